noinst_LIBRARIES += lib/libprepay.a
lib_libprepay_a_SOURCES = \
	lib/clock.c lib/clock.h \
	lib/config.c lib/config.h \
	lib/db.c lib/db.h \
	lib/log.c lib/log.h \
	lib/money.c lib/money.h \
	lib/settings.c lib/settings.h \
	lib/xmalloc.c lib/xmalloc.h
# what a program linking libprepay needs
PREPAY_LIBS = lib/libprepay.a $(MARIADB_LIBS) $(CJSON_LIBS) $(OPENSSL_LIBS) $(PTHREAD_LIBS)

unit_tests += tests/unit/test-config tests/unit/test-money
check_PROGRAMS += tests/unit/test-config tests/unit/test-money
tests_unit_test_config_SOURCES = tests/unit/test-config.c tests/unit/unit.h
tests_unit_test_config_LDADD = $(PREPAY_LIBS)
tests_unit_test_money_SOURCES = tests/unit/test-money.c tests/unit/unit.h
tests_unit_test_money_LDADD = $(PREPAY_LIBS)
