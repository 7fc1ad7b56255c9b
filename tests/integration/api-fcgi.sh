#!/bin/bash
# prepay-api spoken to directly over FastCGI (cgi-fcgi, Debian libfcgi-bin),
# on its own socket: socket handling, truncated bodies, a database that is
# down, and a clean stop on SIGTERM with a request in flight.
srcdir=${PREPAY_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${PREPAY_BUILDDIR:-.}
. "$srcdir/tests/integration/api-lib.sh"

if [ -z "${PREPAY_CONF:-}" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
if ! command -v cgi-fcgi >/dev/null; then
	echo "1..0 # SKIP needs cgi-fcgi: apt-get install libfcgi-bin"
	exit 0
fi
api=$builddir/prepay-api
tmp=$(mktemp -d /tmp/prepay-api-test.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	exec 3>&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
sock=$tmp/api.sock

status_of() { head -1 "$1" | tr -d '\r'; }

"$api" -c "$PREPAY_CONF" -s "$sock" -t 3 2>"$tmp/api.log" &
pid=$!
pids="$pids $pid"
check "starts_and_creates_its_socket" wait_for_path "$sock"
check "socket_is_writable_by_nginx_workers" [ "$(stat -c %a "$sock")" = 666 ]

fcgi "$sock" GET /healthz >"$tmp/out"
check "healthz_over_fastcgi_is_200" [ "$(status_of "$tmp/out")" = "Status: 200 OK" ]

printf '{"echo":"x"}' | fcgi "$sock" POST /api/v1/ping "" 40 >"$tmp/out"
check "truncated_body_is_400" [ "$(status_of "$tmp/out")" = "Status: 400 Bad Request" ]
check "truncated_body_error_says_how_much_arrived" \
	grep -qF '{"error":{"code":"bad_request","message":"the body ended after 12 of the 40 bytes announced"}}' "$tmp/out"

printf '{}' | fcgi "$sock" POST /api/v1/ping "" 2x >"$tmp/out"
check "bad_content_length_is_400" [ "$(status_of "$tmp/out")" = "Status: 400 Bad Request" ]

printf '{"echo":"a\\u00e9\xe7\x94\xb5"}' | fcgi "$sock" POST /api/v1/ping "" 21 >"$tmp/out"
check "json_body_is_read_whole" grep -qF '{"pong":true,"echo":"aé电"}' "$tmp/out"

fcgi "$sock" GET /api/v1/ping "" 99999999 </dev/null >"$tmp/out"
check "huge_content_length_is_413_without_reading" [ "$(status_of "$tmp/out")" = "Status: 413 Content Too Large" ]

"$api" -c "$PREPAY_CONF" -s "$sock" -t 1 2>"$tmp/second.log"
rc=$?
check "second_instance_on_a_live_socket_refuses" \
	sh -c "[ $rc = 1 ] && grep -q 'another program is listening there' '$tmp/second.log'"
fcgi "$sock" GET /healthz >"$tmp/out"
check "first_instance_still_answers_after_that" [ "$(status_of "$tmp/out")" = "Status: 200 OK" ]

# SIGTERM while a request waits for its body: it must be answered, then exit 0
mkfifo "$tmp/body"
fcgi "$sock" POST /api/v1/ping "" 15 <"$tmp/body" >"$tmp/slow" 2>&1 &
client=$!
exec 3>"$tmp/body"
inflight=0
for i in $(seq 100); do
	inflight=$(fcgi "$sock" GET /metrics | awk '$1 == "prepay_http_in_flight" { print $2 }')
	[ "${inflight:-0}" -ge 2 ] && break
	sleep 0.1
done
check "slow_request_is_in_flight" [ "${inflight:-0}" -ge 2 ]
kill -TERM "$pid"
for i in $(seq 50); do grep -q 'SIGTERM: stopping' "$tmp/api.log" && break; sleep 0.1; done
check "sigterm_is_logged" grep -q 'SIGTERM: stopping; finishing the requests in flight' "$tmp/api.log"
check "server_waits_for_the_request_in_flight" kill -0 "$pid"
printf '{"echo":"slow"}' >&3
exec 3>&-
wait "$client"
check "request_in_flight_is_answered_after_sigterm" \
	sh -c "[ \"\$(head -1 '$tmp/slow' | tr -d '\r')\" = 'Status: 200 OK' ] && grep -qF '{\"pong\":true,\"echo\":\"slow\"}' '$tmp/slow'"
wait "$pid"
rc=$?
check "exits_0_after_sigterm" [ $rc = 0 ]
check "removes_its_socket" [ ! -e "$sock" ]
check "logs_stopped" grep -q ': info: stopped$' "$tmp/api.log"
diag "$(cat "$tmp/api.log")"

# a socket left by a process that died is replaced
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
"$api" -c "$PREPAY_CONF" -s "$sock" -t 1 2>"$tmp/api2.log" &
pid=$!
pids="$pids $pid"
for i in $(seq 50); do grep -q listening "$tmp/api2.log" && break; sleep 0.1; done
fcgi "$sock" GET /api/v1/ping >"$tmp/out"
check "stale_socket_is_replaced" sh -c "grep -q 'removed the stale socket' '$tmp/api2.log' && grep -qF '{\"pong\":true}' '$tmp/out'"
kill -INT "$pid"
wait "$pid"
check "exits_0_after_sigint" [ $? = 0 ]

# the database is down: healthz says so, the server stays up
cat >"$tmp/nodb.conf" <<CONF
[database]
socket = $tmp/no-database.sock
user = nobody
connect_timeout_s = 1
[api]
socket = $sock
threads = 2
CONF
"$api" -c "$tmp/nodb.conf" 2>"$tmp/api3.log" &
pid=$!
pids="$pids $pid"
wait_for_path "$sock"
fcgi "$sock" GET /healthz >"$tmp/out"
check "healthz_without_database_is_503" [ "$(status_of "$tmp/out")" = "Status: 503 Service Unavailable" ]
check "healthz_without_database_says_degraded_and_why" \
	grep -q '{"status":"degraded","database":"cannot connect to MariaDB .*no-database.sock' "$tmp/out"
fcgi "$sock" GET /api/v1/ping >"$tmp/out"
check "server_without_database_still_answers" grep -qF '{"pong":true}' "$tmp/out"
fcgi "$sock" GET /metrics >"$tmp/out"
check "database_errors_are_counted" \
	sh -c "awk '\$1 == \"prepay_db_errors_total\" && \$2 >= 1 { f = 1 } END { exit !f }' '$tmp/out'"
kill -TERM "$pid"
wait "$pid"
check "exits_0_without_a_database_too" [ $? = 0 ]

tap_done
