# Tariffs and rating (docs/tariffs.md): billing/librating.a — pure cores
# (tariff model and JSON, time zones, calendar, rating, quotes) — the
# `prepayctl tariff quote` command, the hand-computed cases in
# tests/tariff-cases/, a property test, a fuzzer and a benchmark.
noinst_LIBRARIES += billing/librating.a
billing_librating_a_SOURCES = \
	billing/tariff.c billing/tariff.h \
	billing/tariff_json.c billing/tariff_json.h \
	billing/tz.c billing/tz.h \
	billing/calendar.c billing/calendar.h \
	billing/rate.c billing/rate.h \
	billing/rate_quote.c billing/rate_quote.h
RATING_LIBS = billing/librating.a $(PREPAY_LIBS)

prepayctl_SOURCES += tools/ctl_tariff.c
prepayctl_LDADD += $(RATING_LIBS)

rating_unit = tests/unit/test-tz tests/unit/test-rate tests/unit/test-rate-property \
	tests/unit/test-tariff-cases
unit_tests += $(rating_unit) tests/unit/test-rate-quote-cli.sh
check_PROGRAMS += $(rating_unit)
tests_unit_test_tz_SOURCES = tests/unit/test-tz.c tests/unit/unit.h
tests_unit_test_tz_LDADD = $(RATING_LIBS)
tests_unit_test_rate_SOURCES = tests/unit/test-rate.c tests/unit/unit.h
tests_unit_test_rate_LDADD = $(RATING_LIBS)
tests_unit_test_rate_property_SOURCES = tests/unit/test-rate-property.c tests/unit/unit.h
tests_unit_test_rate_property_LDADD = $(RATING_LIBS)
tests_unit_test_tariff_cases_SOURCES = tests/unit/test-tariff-cases.c tests/unit/unit.h
tests_unit_test_tariff_cases_LDADD = $(RATING_LIBS)
EXTRA_DIST += tests/tariff-cases docs/tariffs.md docs/tariffs tests/unit/test-rate-quote-cli.sh

if FUZZING
fuzzers += tests/fuzz/fuzz-tariff-json
check_PROGRAMS += tests/fuzz/fuzz-tariff-json
tests_fuzz_fuzz_tariff_json_SOURCES = tests/fuzz/fuzz-tariff-json.c
tests_fuzz_fuzz_tariff_json_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_tariff_json_LDADD = $(RATING_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-tariff-json.c

# run by hand: tests/bench/rating.sh (docs/tariffs.md, "Speed")
noinst_PROGRAMS += tests/bench/rating-bench
tests_bench_rating_bench_SOURCES = tests/bench/rating-bench.c
tests_bench_rating_bench_LDADD = $(RATING_LIBS)
EXTRA_DIST += tests/bench/rating.sh
