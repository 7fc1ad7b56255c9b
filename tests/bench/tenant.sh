#!/bin/bash
# Tenant API benchmarks through nginx, in one run:
#   1. GET /api/v1/accounts/{id} (one round trip: session + scope + change
#      stamp, then the cached answer; docs/tenant.md) and /healthz (one
#      SELECT 1, for scale) at 64 connections vs tests/bench/fcgi-noop, the
#      empty FastCGI handler, same nginx, same threads (wrk --latency: p99);
#   2. GET …/usage for a month by hour for one account at 1, 8 and 64
#      connections, with the park's hourly rollup loaded around it
#      (BENCH_METERS meters × BENCH_DAYS days, see "data" below);
#   3. the page's transfer size and load time in Chromium (tests/bench/tenant-page.mjs).
#   PREPAY_CONF=FILE PREPAY_BUILDDIR=DIR [BENCH_DURATION=10s] [BENCH_THREADS=8]
#     [BENCH_METERS=300] [BENCH_DAYS=60] [BENCH_RAW_METERS=300] [BENCH_RAW_DAYS=60]
#     [BENCH_LOAD_ONLY=1: load the data and stop] tests/bench/tenant.sh
#   full scale: BENCH_METERS=10000 BENCH_DAYS=365 BENCH_RAW_METERS=100 BENCH_RAW_DAYS=365
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
# The park as the system holds it after BENCH_DAYS days of 15-minute readings of
# BENCH_METERS meters: the hourly rollup (usage_hours, what the usage query
# reads) for every meter, raw consumption rows for the bench account's meter
# and for BENCH_RAW_METERS × BENCH_RAW_DAYS of the others (the full raw set,
# ~35,000 rows per meter-year, is ~50 GB at 10,000 meters). The site code
# names the scale: a second run finds it loaded and skips loading (an
# interrupted load resumes account by account). Drop it by dropping the
# bench's database. The park's rollup rows have no consumption rows behind
# them (except the raw sample): `prepayctl usage rebuild` without --account
# on this database would clear them.
raw_meters=${BENCH_RAW_METERS:-$((meters < 300 ? meters : 300))}
raw_days=${BENCH_RAW_DAYS:-$((days < 60 ? days : 60))}
[ "$raw_meters" -le "$meters" ] && [ "$raw_days" -le "$days" ] ||
    { echo "tenant.sh: BENCH_RAW_METERS/BENCH_RAW_DAYS must not exceed BENCH_METERS/BENCH_DAYS" >&2; exit 2; }
per_account=100		# meters per account of the rest of the park
naccounts=$(( (meters + per_account - 1) / per_account ))
site=bu${meters}x${days}r${raw_meters}x${raw_days}
S=$(sql "SELECT id FROM sites WHERE code = '$site'")
if [ -z "$S" ]; then
	# the data ends at the start of this local month: the month before is the one read
	t_end=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01)" +%s)
	{
		printf '{ "version": 1, "sites": [ { "code": "%s", "name": "bench end=%s", "timezone": "Asia/Shanghai",\n' "$site" "$t_end"
		printf '  "tenants": [ { "code": "t1", "name": "bench tenant" }'
		for i in $(seq 1 "$naccounts"); do printf ', { "code": "p%d", "name": "park tenant %d" }' "$i" "$i"; done
		printf ' ],\n  "accounts": [ { "code": "a1", "tenant": "t1", "energy": "electricity" }'
		for i in $(seq 1 "$naccounts"); do printf ', { "code": "p%d", "tenant": "p%d", "energy": "electricity" }' "$i" "$i"; done
		printf ' ] } ] }\n'
	} >"$tmp/park.json"
	ctl park import "$tmp/park.json" >/dev/null || exit 1
	ctl tariff import "$srcdir/docs/tariffs/jiangsu-industrial-tou.json" --site "$site" --code tou >/dev/null || exit 1
	ctl tariff assign "$site/a1" "$site/tou" >/dev/null || exit 1
	S=$(sql "SELECT id FROM sites WHERE code = '$site'")
	A=$(sql "SELECT a.id FROM accounts a WHERE a.site_id = $S AND a.code = 'a1'")
	sql "INSERT INTO meters (site_id, code, profile, account_id) VALUES ($S, 'm-a1', 'chint-ddsu666', $A)"
	# meter seq belongs to account p{(seq - 1) / 100 + 1}
	sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT $S, CONCAT('m', q.seq), 'chint-ddsu666', a.id
	     FROM seq_1_to_$((meters - 1)) q JOIN accounts a ON a.site_id = $S AND a.code = CONCAT('p', (q.seq - 1) DIV $per_account + 1)
	     ORDER BY q.seq"
fi
t_end=$(sql "SELECT SUBSTRING(name, 11) FROM sites WHERE id = $S")
t_begin=$((t_end - days * 86400))
A=$(sql "SELECT a.id FROM accounts a WHERE a.site_id = $S AND a.code = 'a1'")
MA=$(sql "SELECT id FROM meters WHERE site_id = $S AND code = 'm-a1'")
hours=$((days * 24))
if [ "$(sql "SELECT COUNT(*) FROM sites WHERE id = $S AND name LIKE 'bench end=%'")" = 1 ] &&
   [ "$(sql "SELECT COUNT(*) FROM usage_hours WHERE account_id = $A")" = 0 ]; then
	t_load=$(date +%s.%N)
	echo "loading $site: $meters meters x $days days hourly rollup, raw 15-minute rows for the bench account and $raw_meters x $raw_days days"
	# local hour h (the data starts at a local midnight) → the tariff's workday band (0 sharp .. 3 valley)
	band="CASE WHEN (h.seq % 24) < 8 THEN 3 WHEN (h.seq % 24) < 11 OR (h.seq % 24) BETWEEN 17 AND 21 THEN 1 ELSE 2 END"
	for k in $(seq 1 "$naccounts"); do
		P=$(sql "SELECT id FROM accounts WHERE site_id = $S AND code = 'p$k'")
		[ "$(sql "SELECT COUNT(*) FROM usage_hours WHERE account_id = $P LIMIT 1")" = 0 ] || continue
		# 4 readings of 250 Wh an hour; list price 0.6523 yuan/kWh flat, peak 1.0826, valley 0.2812
		sql "INSERT INTO usage_hours (account_id, energy, hour_at, meter_id, peak_milli, flat_milli, valley_milli,
		       rated_nyuan, peak_nyuan, flat_nyuan, valley_nyuan)
		     SELECT $P, 'electricity', FROM_UNIXTIME($t_begin + h.seq * 3600), m.id,
		       IF($band = 1, 1000, 0), IF($band = 2, 1000, 0), IF($band = 3, 1000, 0),
		       CASE $band WHEN 1 THEN 1082600000 WHEN 2 THEN 652300000 ELSE 281200000 END,
		       IF($band = 1, 1082600000, 0), IF($band = 2, 652300000, 0), IF($band = 3, 281200000, 0)
		     FROM seq_0_to_$((hours - 1)) h JOIN meters m ON m.account_id = $P ORDER BY h.seq, m.id" || exit 1
		[ $((k % 10)) = 0 ] && printf '  %d/%d accounts, %.0f s\n' "$k" "$naccounts" "$(echo "$(date +%s.%N) - $t_load" | bc)"
	done
	t_roll=$(date +%s.%N)
	# raw rows of the first raw_meters - 1 park meters, 10 meters a statement
	for lo in $(seq 1 10 $((raw_meters - 1))); do
		[ "$(sql "SELECT COUNT(*) FROM consumption c JOIN meters m ON m.id = c.meter_id WHERE m.site_id = $S AND m.code = 'm$lo'")" = 0 ] || continue
		sql "INSERT INTO consumption (meter_id, read_at, part, account_id, energy, period, start_at, end_at, band,
		       energy_milli, rated_nyuan, debit_fen)
		     SELECT m.id, FROM_UNIXTIME($t_end - 86400 * $raw_days + q.seq * 900 + 900), 0, m.account_id, 'electricity',
		       DATE_FORMAT(FROM_UNIXTIME($t_end - 86400 * $raw_days + q.seq * 900) + INTERVAL 8 HOUR, '%Y%m'),
		       FROM_UNIXTIME($t_end - 86400 * $raw_days + q.seq * 900),
		       FROM_UNIXTIME($t_end - 86400 * $raw_days + q.seq * 900 + 900), NULL, 250, 163075000, 0
		     FROM meters m JOIN seq_0_to_$((raw_days * 96 - 1)) q
		     WHERE m.site_id = $S AND m.code IN ($(seq -s, -f "'m%g'" "$lo" $((lo + 9 < raw_meters - 1 ? lo + 9 : raw_meters - 1))))
		     ORDER BY m.id, q.seq" || exit 1
	done
	# the bench account: every 15-minute row (rated at 0.6523 yuan/kWh), its rollup by `usage rebuild`
	sql "INSERT IGNORE INTO consumption (meter_id, read_at, part, account_id, energy, period, start_at, end_at, band,
	       energy_milli, rated_nyuan, debit_fen)
	     SELECT $MA, FROM_UNIXTIME($t_begin + q.seq * 900 + 900), 0, $A, 'electricity',
	       DATE_FORMAT(FROM_UNIXTIME($t_begin + q.seq * 900) + INTERVAL 8 HOUR, '%Y%m'),
	       FROM_UNIXTIME($t_begin + q.seq * 900), FROM_UNIXTIME($t_begin + q.seq * 900 + 900), NULL,
	       250 + q.seq % 7 * 25, (250 + q.seq % 7 * 25) * 652300, 0
	     FROM seq_0_to_$((days * 96 - 1)) q ORDER BY q.seq" || exit 1
	t_raw=$(date +%s.%N)
	ctl usage rebuild --account "$site/a1" || exit 1
	printf 'loaded in %.0f s (rollup %.0f s, raw rows %.0f s, rebuild %.0f s)\n' "$(echo "$(date +%s.%N) - $t_load" | bc)" \
	    "$(echo "$t_roll - $t_load" | bc)" "$(echo "$t_raw - $t_roll" | bc)" "$(echo "$(date +%s.%N) - $t_raw" | bc)"
else
	echo "$site: already loaded, not loading again"
fi
phone=17$(printf '%09d' $(( $(date +%s%N) / 1000 % 1000000000 )))
printf 'bench-pass-1\n' >"$tmp/pw"
ctl user add --tenant "$site/t1" --phone "$phone" --password-file "$tmp/pw" >/dev/null || exit 1
sql "SELECT table_name, table_rows, ROUND(data_length / 1048576), ROUND(index_length / 1048576)
     FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('usage_hours', 'consumption')" |
    while read -r t n d i; do printf '%-12s ~%s rows (estimate), data %s MiB, indexes %s MiB\n' "$t" "$n" "$d" "$i"; done
printf 'usage_hours of %s: %s rows; its consumption rows: %s\n' "$site" \
    "$(sql "SELECT COUNT(*) FROM usage_hours u JOIN accounts a ON a.id = u.account_id WHERE a.site_id = $S")" \
    "$(sql "SELECT COUNT(*) FROM consumption c JOIN meters m ON m.id = c.meter_id WHERE m.site_id = $S")"
t0=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date -d "@$((t_end - 86400))" +%Y-%m-01)" +%s)
[ "${BENCH_LOAD_ONLY:-0}" = 1 ] && exit 0

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
from=$(date -u -d "@$t0" +%FT%TZ) to=$(date -u -d "@$t_end" +%FT%TZ)
usage="http://127.0.0.1:$api_port/api/v1/accounts/$A/usage?from=$from&to=$to&step=hour"
n=$(curl -sf -H "$H" "$usage" | jq '.current.buckets | length')
echo "usage answer: $n hourly buckets, $(curl -sf -H "$H" "$usage" | wc -c) bytes"
wrk -t2 -c64 -d2s -H "$H" "http://127.0.0.1:$api_port/api/v1/accounts/$A" >/dev/null

bad=0
run() {	# LABEL CONNECTIONS URL -> $rps $p99
	out=$(wrk -t"$(($2 < 2 ? 1 : 2))" -c"$2" -d"$duration" --latency -H "$H" "$3")
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
run "GET /healthz (SELECT 1), 64 conn" 64 "http://127.0.0.1:$api_port/healthz"; hz=$rps
run "fcgi-noop (baseline again)" 64 "http://127.0.0.1:$noop_port/api/v1/ping"; noop2=$rps
run "GET usage month by hour, 1 conn" 1 "$usage"
run "GET usage month by hour, 8 conn" 8 "$usage"
run "GET usage month by hour, 64 conn" 64 "$usage"
awk -v n1="$noop" -v n2="$noop2" -v a="$acc" -v h="$hz" 'BEGIN { b = (n1 + n2) / 2;
	printf "account / baseline: %.2f (target >= 0.50); healthz / baseline: %.2f\n", a / b, h / b }'

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
