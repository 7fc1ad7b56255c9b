#!/bin/bash
# Tenant API benchmarks through nginx, in one run:
#   1. GET /api/v1/accounts/{id} (session check + account + policy_evaluate +
#      7-day spend + meters) at 64 connections vs tests/bench/fcgi-noop, the
#      empty FastCGI handler, same nginx, same threads (wrk --latency: p99);
#   2. GET …/usage for a month by hour for one account, with a big
#      consumption table loaded around it (BENCH_METERS meters × BENCH_DAYS
#      days of 15-minute rows, bulk SQL; the account's own month hourly);
#   3. the page's transfer size and load time in Chromium (tests/bench/tenant-page.mjs).
#   PREPAY_CONF=FILE PREPAY_BUILDDIR=DIR [BENCH_DURATION=10s] [BENCH_THREADS=8]
#     [BENCH_METERS=300] [BENCH_DAYS=60] tests/bench/tenant.sh
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${PREPAY_BUILDDIR:-.}
. "$srcdir/tests/integration/api-lib.sh"
: "${PREPAY_CONF:?set PREPAY_CONF to a config for a migrated database}"
for tool in wrk nginx mariadb jq; do
	command -v $tool >/dev/null || { echo "tenant.sh: needs $tool" >&2; exit 2; }
done
for prog in prepay-api prepayctl tests/bench/fcgi-noop; do
	[ -x "$builddir/$prog" ] || { echo "tenant.sh: no $builddir/$prog (make && make tests/bench/fcgi-noop)" >&2; exit 2; }
done
duration=${BENCH_DURATION:-10s}
threads=${BENCH_THREADS:-8}
meters=${BENCH_METERS:-300}
days=${BENCH_DAYS:-60}

tmp=$(mktemp -d /tmp/prepay-bench-tenant.XXXXXX)
chmod 755 "$tmp"
pids=
cleanup() {
	[ -f "$tmp/nginx.pid" ] && kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null
	for p in $pids; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
# the database as the config names it (password or password_file, relative paths)
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/integration/db-lib.sh"
db_lib_init "$tmp"
ctl() { "$builddir/prepayctl" -c "$PREPAY_CONF" "$@"; }

# --- data -------------------------------------------------------------------------
site=bench$(date +%s | tail -c 7)
cat >"$tmp/park.json" <<PARK
{ "version": 1, "sites": [ { "code": "$site", "name": "bench", "timezone": "Asia/Shanghai",
  "tenants": [ { "code": "t1", "name": "bench tenant" }, { "code": "big", "name": "the rest of the park" } ],
  "accounts": [ { "code": "a1", "tenant": "t1", "energy": "electricity" }, { "code": "big", "tenant": "big", "energy": "electricity" } ] } ] }
PARK
ctl park import "$tmp/park.json" >/dev/null || exit 1
ctl tariff import "$srcdir/docs/tariffs/jiangsu-industrial-tou.json" --site "$site" --code tou >/dev/null
ctl tariff assign "$site/a1" "$site/tou" >/dev/null
A=$(sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$site' AND a.code = 'a1'")
B=$(sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$site' AND a.code = 'big'")
S=$(sql "SELECT id FROM sites WHERE code = '$site'")
phone=17$(printf '%09d' $(( $(date +%s) % 1000000000 )))
printf 'bench-pass-1\n' >"$tmp/pw"
ctl user add --tenant "$site/t1" --phone "$phone" --password-file "$tmp/pw" >/dev/null || exit 1
month_start=$(TZ=Asia/Shanghai date -d "$(date +%Y-%m-01) -1 month" +%s)
t0=$(( month_start ))
echo "loading: the account's month of hourly rows, and $meters meters x $days days of 15-minute rows around it"
sql "INSERT INTO meters (site_id, code, profile, account_id) VALUES ($S, 'm-a1', 'chint-ddsu666', $A)"
MA=$(sql "SELECT id FROM meters WHERE site_id = $S AND code = 'm-a1'")
sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT $S, CONCAT('m', seq), 'chint-ddsu666', $B FROM seq_1_to_$meters"
t_load=$(date +%s.%N)
sql "INSERT INTO consumption (meter_id, read_at, part, account_id, energy, period, start_at, end_at, band, energy_milli, rated_nyuan, debit_fen)
     SELECT $MA, FROM_UNIXTIME($t0 + seq * 3600 + 3600), 0, $A, 'electricity',
       DATE_FORMAT(FROM_UNIXTIME($t0 + seq * 3600) + INTERVAL 8 HOUR, '%Y%m'),
       FROM_UNIXTIME($t0 + seq * 3600), FROM_UNIXTIME($t0 + seq * 3600 + 3600), NULL, 1000 + seq % 7 * 100, 700000000, 0
     FROM seq_0_to_$((31 * 24 - 1))"
sql "INSERT INTO consumption (meter_id, read_at, part, account_id, energy, period, start_at, end_at, band, energy_milli, rated_nyuan, debit_fen)
     SELECT m.id, FROM_UNIXTIME($t0 - 86400 * 15 + q.seq * 900 + 900), 0, $B, 'electricity',
       DATE_FORMAT(FROM_UNIXTIME($t0 - 86400 * 15 + q.seq * 900) + INTERVAL 8 HOUR, '%Y%m'),
       FROM_UNIXTIME($t0 - 86400 * 15 + q.seq * 900), FROM_UNIXTIME($t0 - 86400 * 15 + q.seq * 900 + 900), NULL, 250, 175000000, 0
     FROM meters m JOIN seq_0_to_$((days * 96 - 1)) q WHERE m.site_id = $S AND m.account_id = $B"
rows=$(sql "SELECT COUNT(*) FROM consumption")
printf 'consumption table: %s rows (loaded in %.0f s)\n' "$rows" "$(echo "$(date +%s.%N) - $t_load" | bc)"

# --- servers ----------------------------------------------------------------------
"$builddir/prepay-api" -c "$PREPAY_CONF" -s "$tmp/api.sock" -t "$threads" 2>"$tmp/api.log" &
pids="$pids $!"
"$builddir/tests/bench/fcgi-noop" "$tmp/noop.sock" "$threads" 2>"$tmp/noop.log" &
pids="$pids $!"
wait_for_path "$tmp/api.sock" && wait_for_path "$tmp/noop.sock" || { echo "tenant.sh: a FastCGI program did not start" >&2; exit 1; }
api_port=$(free_port 0)
noop_port=$(free_port 1)
[ "$noop_port" = "$api_port" ] && noop_port=$((api_port + 1))
nginx_config "$tmp" "$api_port:$tmp/api.sock" "$noop_port:$tmp/noop.sock"
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" || exit 1
wait_for_port "$api_port" && wait_for_port "$noop_port" || exit 1
token=$(curl -sf -H 'Content-Type: application/json' -d "{\"phone\":\"$phone\",\"password\":\"bench-pass-1\",\"client\":\"app\"}" \
    "http://127.0.0.1:$api_port/api/v1/session" | jq -r .token)
[ -n "$token" ] && [ "$token" != null ] || { echo "tenant.sh: cannot sign in" >&2; exit 1; }
H="Authorization: Bearer $token"
from=$(date -u -d "@$t0" +%FT%TZ) to=$(date -u -d "@$((t0 + 31 * 86400))" +%FT%TZ)
usage="http://127.0.0.1:$api_port/api/v1/accounts/$A/usage?from=$from&to=$to&step=hour"
n=$(curl -sf -H "$H" "$usage" | jq '.current.buckets | length')
echo "usage answer: $n hourly buckets, $(curl -sf -H "$H" "$usage" | wc -c) bytes"
wrk -t2 -c64 -d2s -H "$H" "http://127.0.0.1:$api_port/api/v1/accounts/$A" >/dev/null

bad=0
run() {	# LABEL CONNECTIONS URL -> $rps $p99
	out=$(wrk -t2 -c"$2" -d"$duration" --latency -H "$H" "$3")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	printf '%-36s %9s req/s   p50 %-8s p99 %-8s%s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:+   NON-2XX: $non2xx}"
	[ -n "$non2xx" ] && bad=1
}
echo "nginx -> FastCGI, $threads threads each, wrk -t2 --latency -d$duration ($(nproc) CPUs)"
run "fcgi-noop (baseline), 64 conn" 64 "http://127.0.0.1:$noop_port/api/v1/ping"; noop=$rps
run "GET /api/v1/accounts/{id}, 64 conn" 64 "http://127.0.0.1:$api_port/api/v1/accounts/$A"; acc=$rps
run "fcgi-noop (baseline again)" 64 "http://127.0.0.1:$noop_port/api/v1/ping"; noop2=$rps
run "GET usage month by hour, 8 conn" 8 "$usage"
run "GET usage month by hour, 64 conn" 64 "$usage"
awk -v n1="$noop" -v n2="$noop2" -v a="$acc" 'BEGIN { printf "account / baseline: %.2f (target >= 0.50)\n", a / ((n1 + n2) / 2) }'

# --- the page in Chromium --------------------------------------------------------
if [ -x /usr/bin/chromium ] && [ -d "$srcdir/node_modules/playwright-core" ]; then
	web_port=$(free_port 7)
	cat >"$tmp/web.conf" <<NGINX
worker_processes 1;
pid $tmp/web.pid;
error_log $tmp/web-error.log warn;
events { worker_connections 256; }
http {
	include /etc/nginx/mime.types;
	access_log off;
	client_body_temp_path $tmp/tmp/body;
	fastcgi_temp_path $tmp/tmp/fastcgi;
	proxy_temp_path $tmp/tmp/proxy;
	uwsgi_temp_path $tmp/tmp/uwsgi;
	scgi_temp_path $tmp/tmp/scgi;
	gzip on;
	gzip_types text/css application/javascript application/json;
	server {
		listen 127.0.0.1:$web_port;
		root $srcdir/web;
		location / { try_files \$uri \$uri/index.html =404; }
		location /api/ { include /etc/nginx/fastcgi_params; fastcgi_pass unix:$tmp/api.sock; }
	}
}
NGINX
	nginx -p "$tmp" -c "$tmp/web.conf" -e "$tmp/web-error.log" && wait_for_port "$web_port" &&
	    E2E_NODE_MODULES="$srcdir/node_modules" node "$srcdir/tests/bench/tenant-page.mjs" "http://127.0.0.1:$web_port/tenant/" "$phone" bench-pass-1
	kill -TERM "$(cat "$tmp/web.pid")" 2>/dev/null
else
	echo "page: skipped (needs /usr/bin/chromium and npm ci)"
fi
grep -E 'warn|error' "$tmp/api.log" | head -5 >&2
[ $bad = 0 ]
