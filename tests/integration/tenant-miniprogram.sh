#!/bin/sh
# The mini-program's logic (web/miniprogram/lib) under Node's test runner, as TAP.
srcdir=${PREPAY_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v node >/dev/null; then
	echo "1..0 # SKIP needs nodejs"
	exit 0
fi
cd "$srcdir" && exec node --test --test-reporter=tap web/miniprogram/test/
