#!/bin/sh
# Ledger postings per second at 16 concurrent clients against raw durable
# single-row inserts on the same MariaDB, measured in the same run.
#   PREPAY_CONF=FILE tests/bench/ledger.sh [BUILDDIR] [-c CLIENTS] [-s SECONDS]
# The database named in PREPAY_CONF must be migrated; the run adds a site
# with one account per client and drops its scratch table at the end.
set -eu
builddir=.
case "${1:-}" in -*|'') ;; *) builddir=$1; shift ;; esac
if [ -z "${PREPAY_CONF:-}" ]; then
	echo "ledger.sh: set PREPAY_CONF to a config for a migrated database" >&2
	exit 2
fi
bench=$builddir/tests/bench/ledger-bench
if [ ! -x "$bench" ]; then
	echo "ledger.sh: $bench not built: run make in $builddir" >&2
	exit 2
fi
exec "$bench" -c 16 "$@"
