#!/bin/bash
# prepay-api through nginx ($PREPAY_HTTP_URL): health, error shapes,
# methods, body limits, parameter validation, metrics.
srcdir=${PREPAY_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/integration/api-lib.sh"

if [ -z "${PREPAY_CONF:-}" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
if [ -z "${PREPAY_HTTP_URL:-}" ]; then
	echo "1..0 # SKIP needs PREPAY_HTTP_URL, nginx in front of prepay-api (run ./deploy/stack check)"
	exit 0
fi
url=${PREPAY_HTTP_URL%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# http METHOD PATH [curl args...]: sets $status, $tmp/h (headers), $tmp/b (body)
http() {
	_m=$1 _p=$2
	shift 2
	: >"$tmp/b"
	: >"$tmp/h"
	if [ "$_m" = HEAD ]; then
		status=$(curl -s -I -o /dev/null -D "$tmp/h" -w '%{http_code}' "$@" "$url$_p")
	else
		status=$(curl -s -X "$_m" -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' "$@" "$url$_p")
	fi
}
body_has() { grep -qF -- "$1" "$tmp/b" || { diag "body: $(head -c 300 "$tmp/b")"; return 1; }; }
header_has() { tr -d '\r' <"$tmp/h" | grep -qi -- "^$1" || { diag "headers: $(tr -d '\r' <"$tmp/h")"; return 1; }; }
is_json() { header_has 'Content-Type: application/json; charset=utf-8$'; }
status_is() { [ "$status" = "$1" ] || { diag "status $status, expected $1"; return 1; }; }
# the value of one sample line in $tmp/b, 0 when absent
metric() { awk -v k="$1" 'index($0, k " ") == 1 { v = $NF } END { print v + 0 }' "$tmp/b"; }

http GET /healthz
check "healthz_answers_200_with_the_database" status_is 200
check "healthz_says_ok_and_names_the_version" \
	body_has '{"status":"ok","database":"ok","version":"'
check "healthz_is_json" is_json

http GET /api/v1/no-such-thing
check "unknown_path_is_404" status_is 404
check "unknown_path_error_has_the_json_shape" \
	body_has '{"error":{"code":"not_found","message":"there is nothing at /api/v1/no-such-thing"}}'
check "unknown_path_error_is_json" is_json

http PUT /healthz
check "wrong_method_is_405" status_is 405
check "wrong_method_lists_allow" header_has 'Allow: GET, HEAD, OPTIONS'
check "wrong_method_error_code" body_has '"code":"method_not_allowed"'
check "wrong_method_error_is_json" is_json

http HEAD /healthz
check "head_answers_like_get_without_a_body" \
	sh -c "[ '$status' = 200 ] && [ ! -s '$tmp/b' ]"
check "head_sends_the_content_length_of_get" header_has 'Content-Length: [1-9]'

http OPTIONS /api/v1/ping
check "options_is_204_with_allow" \
	sh -c "[ '$status' = 204 ] && tr -d '\r' <'$tmp/h' | grep -q '^Allow: GET, HEAD, POST, OPTIONS$'"
http OPTIONS /api/v1/nothing-here
check "options_on_an_unknown_path_is_404" status_is 404

max=$(awk -F' *= *' '/^\[/ { s = $0 } s == "[api]" && $1 == "max_body_bytes" { print $2 }' "$PREPAY_CONF")
max=${max:-65536}
head -c $((max + 1)) /dev/zero | tr '\0' 'x' >"$tmp/big"
http POST /api/v1/ping -H 'Content-Type: application/json' --data-binary @"$tmp/big"
check "body_over_max_body_bytes_is_413" status_is 413
check "body_over_the_limit_error_says_the_limit" \
	body_has "\"code\":\"payload_too_large\",\"message\":\"the body is $((max + 1)) bytes; the limit is $max"
# exactly at the limit the body is read, and then refused for what it says
{ printf '{"echo":"'; head -c $((max - 11)) /dev/zero | tr '\0' 'y'; printf '"}'; } >"$tmp/edge"
http POST /api/v1/ping -H 'Content-Type: application/json' --data-binary @"$tmp/edge"
check "body_at_the_limit_is_read_and_validated" \
	sh -c "[ '$status' = 400 ] && grep -q '\"code\":\"invalid_parameter\",\"message\":\"body parameter .echo.: must be 1 to 256 bytes long\"' '$tmp/b'"

http GET '/api/v1/ping?echo=%E7%94%B5%E8%B4%B9'
check "ping_echoes_a_decoded_query_parameter" body_has '{"pong":true,"echo":"电费"}'
http GET '/api/v1/ping?ehco=1'
check "unknown_query_parameter_is_400" \
	sh -c "[ '$status' = 400 ] && grep -qF '\"code\":\"unknown_parameter\",\"message\":\"unknown query parameter '\''ehco'\'' (this route takes: echo)\"' '$tmp/b'"
http POST /api/v1/ping -H 'Content-Type: application/json' --data-binary '{"echo":"hi",'
check "bad_json_body_is_400_bad_body" \
	sh -c "[ '$status' = 400 ] && grep -q '\"code\":\"bad_body\"' '$tmp/b'"
http POST /api/v1/ping -H 'Content-Type: application/json' --data-binary '{"echo":"你好"}'
check "json_body_parameter_reaches_the_handler" body_has '{"pong":true,"echo":"你好"}'

http GET /metrics
check "metrics_is_prometheus_text" header_has 'Content-Type: text/plain; version=0.0.4'
ping_before=$(metric 'prepay_http_requests_total{route="ping",method="GET",status="200"}')
hist_before=$(metric 'prepay_http_request_duration_seconds_count{route="ping"}')
nf_before=$(metric 'prepay_http_requests_total{route="unmatched",method="GET",status="404"}')
for i in 1 2 3; do curl -s -o /dev/null "$url/api/v1/ping"; done
curl -s -o /dev/null "$url/api/v1/no-such-thing"
http GET /metrics
ping_after=$(metric 'prepay_http_requests_total{route="ping",method="GET",status="200"}')
hist_after=$(metric 'prepay_http_request_duration_seconds_count{route="ping"}')
nf_after=$(metric 'prepay_http_requests_total{route="unmatched",method="GET",status="404"}')
diag "ping GET 200: $ping_before -> $ping_after; histogram $hist_before -> $hist_after; 404 $nf_before -> $nf_after"
check "metrics_count_each_request" [ "$ping_after" -ge $((ping_before + 3)) ]
check "metrics_histogram_counts_each_request" [ "$hist_after" -ge $((hist_before + 3)) ]
check "metrics_count_unmatched_paths_under_one_label" [ "$nf_after" -ge $((nf_before + 1)) ]
check "metrics_have_in_flight_and_db_series" sh -c \
	"grep -q '^prepay_http_in_flight [0-9]' '$tmp/b' && grep -q '^prepay_db_errors_total [0-9]' '$tmp/b' &&
	 grep -q '^prepay_db_deadlock_retries_total [0-9]' '$tmp/b' && grep -q '^process_start_time_seconds [0-9]' '$tmp/b'"
check "metrics_histogram_has_inf_bucket" \
	grep -q '^prepay_http_request_duration_seconds_bucket{route="ping",le="+Inf"} [0-9]' "$tmp/b"

tap_done
