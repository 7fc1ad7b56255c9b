# meters: the pure profile parser and Modbus value codec (also used by the
# poller), the meter profiles, and the simulated park prepay-meter-sim
noinst_LIBRARIES += meters/libmeters.a
meters_libmeters_a_SOURCES = \
	meters/codec.c meters/codec.h \
	meters/profile.c meters/profile.h \
	meters/profile_load.c
METERS_LIBS = meters/libmeters.a $(PREPAY_LIBS) -lm

profilesdir = $(pkgdatadir)/profiles
dist_profiles_DATA = \
	meters/profiles/acrel-ddsy1352.json meters/profiles/acrel-adl400.json \
	meters/profiles/chint-dtsu666.json meters/profiles/chint-ddsu666.json \
	meters/profiles/eastron-sdm630.json meters/profiles/eastron-sdm120.json \
	meters/profiles/hiking-dds238.json meters/profiles/water-valve.json

unit_tests += tests/unit/test-codec tests/unit/test-profile
check_PROGRAMS += tests/unit/test-codec tests/unit/test-profile
tests_unit_test_codec_SOURCES = tests/unit/test-codec.c tests/unit/unit.h
tests_unit_test_codec_LDADD = $(METERS_LIBS)
tests_unit_test_profile_SOURCES = tests/unit/test-profile.c tests/unit/unit.h
tests_unit_test_profile_LDADD = $(METERS_LIBS)

# the simulated park; it reads the park file with the shared parser
bin_PROGRAMS += prepay-meter-sim
prepay_meter_sim_SOURCES = \
	meters/sim/sim.h meters/sim/main.c meters/sim/model.c meters/sim/modbus.c \
	meters/sim/gateway.c meters/sim/control.c meters/sim/state.c \
	tools/park_file.c tools/park_file.h
prepay_meter_sim_LDADD = $(METERS_LIBS)

# simulator tests: no database needed, so they always run (mbpoll, socat,
# python3-pymodbus, curl and jq are Debian packages the stack installs)
sim_tests = tests/integration/sim-modbus.sh tests/integration/sim-faults.sh \
	tests/integration/sim-rtu.sh tests/integration/sim-control.sh
integration_tests += $(sim_tests)
EXTRA_DIST += $(sim_tests) tests/integration/sim-lib.sh tests/integration/sim-client.py \
	tests/integration/data/sim-park.json

# the poller benchmark's baseline: raw libmodbus read loops (run by hand)
noinst_PROGRAMS += tests/bench/modbus-raw
tests_bench_modbus_raw_SOURCES = tests/bench/modbus-raw.c
tests_bench_modbus_raw_CFLAGS = $(AM_CFLAGS) $(MODBUS_CFLAGS)
tests_bench_modbus_raw_LDADD = $(MODBUS_LIBS) $(PTHREAD_LIBS)

if FUZZING
fuzzers += tests/fuzz/fuzz-profile
check_PROGRAMS += tests/fuzz/fuzz-profile
tests_fuzz_fuzz_profile_SOURCES = tests/fuzz/fuzz-profile.c
tests_fuzz_fuzz_profile_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_profile_LDADD = $(METERS_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-profile.c docs/meter-sim.md docs/meter-profiles.md
