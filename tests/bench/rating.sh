#!/bin/sh
# Rating throughput benchmark (not part of the test suite): builds
# tests/bench/rating-bench in the build directory and runs it.
#   tests/bench/rating.sh [BUILDDIR] [METERS] [SECONDS]
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${PREPAY_BUILDDIR:-$here/var/build}}
make -C "$build" -s tests/bench/rating-bench
exec "$build/tests/bench/rating-bench" "${2:-200}" "${3:-2}"
