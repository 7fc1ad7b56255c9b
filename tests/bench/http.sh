#!/bin/bash
# Requests per second through nginx: prepay-api's GET /api/v1/ping (no DB)
# and GET /healthz (SELECT 1) against tests/bench/fcgi-noop, a FastCGI
# program that answers the same bytes and does nothing else. Same nginx,
# same thread count, same client (wrk -t2 -c32), all in one run.
#   PREPAY_CONF=FILE [PREPAY_BUILDDIR=DIR] [BENCH_DURATION=10s] [BENCH_THREADS=N] tests/bench/http.sh
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${PREPAY_BUILDDIR:-.}
. "$srcdir/tests/integration/api-lib.sh"

: "${PREPAY_CONF:?set PREPAY_CONF to a config for a migrated database}"
for tool in wrk nginx; do
	command -v $tool >/dev/null || { echo "http.sh: needs $tool: apt-get install $tool" >&2; exit 2; }
done
for prog in prepay-api tests/bench/fcgi-noop; do
	[ -x "$builddir/$prog" ] || { echo "http.sh: no $builddir/$prog: run make && make tests/bench/fcgi-noop, or set PREPAY_BUILDDIR" >&2; exit 2; }
done
duration=${BENCH_DURATION:-10s}
threads=${BENCH_THREADS:-$(awk -F' *= *' '/^\[/ { s = $0 } s == "[api]" && $1 == "threads" { print $2 }' "$PREPAY_CONF")}
threads=${threads:-8}

tmp=$(mktemp -d /tmp/prepay-bench.XXXXXX)
chmod 755 "$tmp"	# nginx workers (nobody) reach the sockets through it
pids=
cleanup() {
	[ -f "$tmp/nginx.pid" ] && kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null
	for p in $pids; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

"$builddir/prepay-api" -c "$PREPAY_CONF" -s "$tmp/api.sock" -t "$threads" 2>"$tmp/api.log" &
pids="$pids $!"
"$builddir/tests/bench/fcgi-noop" "$tmp/noop.sock" "$threads" 2>"$tmp/noop.log" &
pids="$pids $!"
wait_for_path "$tmp/api.sock" && wait_for_path "$tmp/noop.sock" || { echo "http.sh: a FastCGI program did not start" >&2; cat "$tmp"/*.log >&2; exit 1; }
api_port=$(free_port 0)
noop_port=$(free_port 1)
[ "$noop_port" = "$api_port" ] && noop_port=$((api_port + 1))
nginx_config "$tmp" "$api_port:$tmp/api.sock" "$noop_port:$tmp/noop.sock"
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" || exit 1
wait_for_port "$api_port" && wait_for_port "$noop_port" || { echo "http.sh: nginx did not start" >&2; exit 1; }

# first request per thread connects to the database; warm up outside the measurement
curl -sf -o /dev/null "http://127.0.0.1:$api_port/healthz" || { echo "http.sh: /healthz is not 200" >&2; exit 1; }
wrk -t2 -c32 -d2s "http://127.0.0.1:$api_port/healthz" >/dev/null

bad=0
run() {	# LABEL URL -> $rps
	out=$(wrk -t2 -c32 -d"$duration" "$2")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	lat=$(awk '$1 == "Latency" { print $2 }' <<<"$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	errs=$(awk '/Socket errors/' <<<"$out")
	printf '%-28s %10s req/s   avg latency %s%s%s\n' "$1" "$rps" "$lat" \
	    "${non2xx:+   NON-2XX: $non2xx}" "${errs:+   $errs}"
	[ -n "$non2xx" ] && bad=1
	[ -n "$rps" ] || { echo "http.sh: wrk printed no Requests/sec" >&2; exit 1; }
}

echo "nginx -> FastCGI, $threads threads each, wrk -t2 -c32 -d$duration ($(nproc) CPUs)"
run "fcgi-noop (baseline)" "http://127.0.0.1:$noop_port/api/v1/ping"; noop1=$rps
run "prepay-api GET /api/v1/ping" "http://127.0.0.1:$api_port/api/v1/ping"; ping=$rps
run "fcgi-noop (baseline again)" "http://127.0.0.1:$noop_port/api/v1/ping"; noop2=$rps
run "prepay-api GET /healthz" "http://127.0.0.1:$api_port/healthz"; health=$rps
awk -v n1="$noop1" -v n2="$noop2" -v p="$ping" -v h="$health" 'BEGIN {
	base = (n1 + n2) / 2
	printf "baseline (mean of both runs) %.0f req/s\n", base
	printf "ping / baseline              %.2f\n", p / base
	printf "healthz / baseline           %.2f\n", h / base
}'
grep -E 'warn|error' "$tmp/api.log" >&2
[ $bad = 0 ]
