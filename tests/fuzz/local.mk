# libFuzzer targets, built with ./configure CC=clang --enable-fuzzing.
# Each area adds its fuzzer to `fuzzers` (defined in Makefile.am) inside its
# own `if FUZZING`; `make print-fuzzers` prints their paths, one a line, and
# the stack script runs each for a few seconds.
if FUZZING
fuzzers += tests/fuzz/fuzz-park-file tests/fuzz/fuzz-config
check_PROGRAMS += tests/fuzz/fuzz-park-file tests/fuzz/fuzz-config
tests_fuzz_fuzz_park_file_SOURCES = tests/fuzz/fuzz-park-file.c tools/park_file.c tools/park_file.h
tests_fuzz_fuzz_park_file_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_park_file_LDADD = $(PREPAY_LIBS)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_config_LDADD = $(PREPAY_LIBS)

print-fuzzers:
	@for f in $(fuzzers); do echo "$(abs_top_builddir)/$$f"; done
else
# without --enable-fuzzing there is nothing to run
print-fuzzers:
	@:
endif
.PHONY: print-fuzzers
EXTRA_DIST += tests/fuzz/fuzz-park-file.c tests/fuzz/fuzz-config.c
