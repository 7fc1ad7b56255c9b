# prepay-poller (docs/poller.md): reads the meters, validates and bills
# readings, carries out relay commands. meters/libpoller.a holds the pure
# reading validation so the unit tests link it without the program.
noinst_LIBRARIES += meters/libpoller.a
meters_libpoller_a_SOURCES = meters/validate.c meters/validate.h

unit_tests += tests/unit/test-validate
check_PROGRAMS += tests/unit/test-validate
tests_unit_test_validate_SOURCES = tests/unit/test-validate.c tests/unit/unit.h
tests_unit_test_validate_LDADD = meters/libpoller.a

# the program: one thread per gateway, writers with their own connections
sbin_PROGRAMS += prepay-poller
prepay_poller_SOURCES = meters/poller/poller.h meters/poller/main.c meters/poller/bus.c \
	meters/poller/plan.c meters/poller/writer.c meters/poller/relay.c meters/poller/readings.c
prepay_poller_CPPFLAGS = $(AM_CPPFLAGS) -DPREPAY_PROFILE_DIR='"$(profilesdir)"'
prepay_poller_CFLAGS = $(AM_CFLAGS) $(MODBUS_CFLAGS)
prepay_poller_LDADD = meters/libpoller.a meters/libmeters.a $(STATEMENTS_LIBS) $(MODBUS_LIBS) -lm

# prepayctl meter list/show/cut/restore
prepayctl_SOURCES += tools/ctl_meter.c

# integration tests: the simulator on private ports and the shared database
poller_tests = tests/integration/poller-flow.sh tests/integration/poller-faults.sh \
	tests/integration/poller-crash.sh tests/integration/poller-peer.sh
integration_tests += $(poller_tests)
EXTRA_DIST += $(poller_tests) tests/integration/poller-lib.sh tests/integration/db-lib.sh tests/integration/poller-peer.py docs/poller.md
