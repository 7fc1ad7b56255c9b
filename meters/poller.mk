# prepay-poller (docs/poller.md): reads the meters, validates and bills
# readings, carries out relay commands. meters/libpoller.a holds the pure
# reading validation so the unit tests link it without the program.
noinst_LIBRARIES += meters/libpoller.a
meters_libpoller_a_SOURCES = meters/validate.c meters/validate.h

unit_tests += tests/unit/test-validate
check_PROGRAMS += tests/unit/test-validate
tests_unit_test_validate_SOURCES = tests/unit/test-validate.c tests/unit/unit.h
tests_unit_test_validate_LDADD = meters/libpoller.a
