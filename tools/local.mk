bin_PROGRAMS += prepayctl
prepayctl_SOURCES = \
	tools/prepayctl.c tools/ctl.c tools/ctl.h \
	tools/ctl_db.c
prepayctl_CPPFLAGS = $(AM_CPPFLAGS) -DPREPAY_SCHEMA_DIR='"$(schemadir)"'
prepayctl_LDADD = $(PREPAY_LIBS)

# park import, account list/show; the park file parser is pure and has its own tests
prepayctl_SOURCES += tools/ctl_park.c tools/ctl_account.c tools/park_file.c tools/park_file.h
dist_man_MANS += docs/prepayctl.8
EXTRA_DIST += deploy/demo-park.json docs/park-file.md
unit_tests += tests/unit/test-park-file
check_PROGRAMS += tests/unit/test-park-file
tests_unit_test_park_file_SOURCES = tests/unit/test-park-file.c tests/unit/unit.h \
	tools/park_file.c tools/park_file.h
tests_unit_test_park_file_LDADD = $(PREPAY_LIBS)
ctl_tests = tests/integration/park-import.sh tests/integration/park-bad-files.sh \
	tests/integration/ctl-account.sh tests/integration/ctl-config.sh tests/integration/ctl-writes.sh
integration_tests += $(ctl_tests)
EXTRA_DIST += $(ctl_tests) tests/integration/ctl-lib.sh

# WeChat bindings of the mini-program (docs/tenant.md)
prepayctl_SOURCES += tools/ctl_wechat.c
# the mini-program's JSAPI payment with the bound openid, and the two commands
integration_tests += tests/integration/tenant-wechat-pay.sh
EXTRA_DIST += tests/integration/tenant-wechat-pay.sh
