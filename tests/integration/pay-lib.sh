# Shared by the pay-*.sh tests (sourced): a private payment stack of this
# test's own — fresh sandbox keys, prepay-api on its own socket against
# $PREPAY_CONF's database, nginx in front on a free port, and prepay-sandbox
# as WeChat Pay — so nothing depends on how the shared stack is configured.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/ctl-lib.sh"

for p in node nginx openssl curl jq; do
	if ! command -v "$p" >/dev/null; then
		echo "1..0 # SKIP needs $p (apt-get install nodejs nginx openssl curl jq)"
		exit 0
	fi
done
PIDS=
pay_cleanup() {
	if [ "${tap_failed:-0}" != 0 ]; then
		echo "# the end of prepay-api's log:"
		tail -n 15 "$T/api.log" | sed 's/^/#   /'
	fi
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap pay_cleanup EXIT
DRIVER="$PREPAY_SRCDIR/tests/integration/pay-notify.js"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 9000))
		port_free "$p" && { echo "$p"; return; }
	done
}
wait_port() {
	i=0
	while port_free "$1" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	! port_free "$1"
}

HTTP_PORT=$(pick_port)
SB_PORT=$(pick_port)
while [ "$SB_PORT" = "$HTTP_PORT" ]; do SB_PORT=$(pick_port); done
URL=http://127.0.0.1:$HTTP_PORT
SB=http://127.0.0.1:$SB_PORT
CONF=$T/prepay.conf

"$PREPAY_SRCDIR/payments/sandbox/keys.sh" "$T/keys" >"$T/keys.conf"
{
	echo "[database]"
	for k in socket host port name user password; do
		v=$(ini_get $k)
		[ -n "$v" ] || continue
		[ "$k" = socket ] && v=$(abs_path "$v")
		echo "$k = $v"
	done
	v=$(ini_get password_file); [ -n "$v" ] && echo "password_file = $(abs_path "$v")"
	echo "[api]"
	echo "socket = $T/api.sock"
	echo "threads = ${PAY_API_THREADS:-8}"
	echo "[log]"
	echo "level = info"
	# a merchant id of this run's own, so reconciliation sees only its payments
	sed -e "s/^mchid = .*/mchid = 19$(printf '%08d' $(( $(od -An -N4 -tu4 /dev/urandom) % 100000000 )))/" \
	    -e "/^\[wechatpay\]/a api_url = $SB\nnotify_url = $URL/pay/wechat/notify\ntimeout_ms = 3000" \
	    -e "/^\[alipay\]/a gateway_url = $SB/alipay/gateway.do\nnotify_url = $URL/pay/alipay/notify" \
	    -e "/^\[sandbox\]/a listen = 127.0.0.1:$SB_PORT\ntime_scale = ${PAY_TIME_SCALE:-1000}\npublic_url = $SB" "$T/keys.conf"
} >"$CONF"

mkdir -p "$T/nginx/tmp"
cat >"$T/nginx/nginx.conf" <<NGINX
$( [ "$(id -u)" = 0 ] && echo "user root;" )
daemon off;
worker_processes 2;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_max_body_size 1m;
    client_body_temp_path $T/nginx/tmp/body;
    fastcgi_temp_path $T/nginx/tmp/fastcgi;
    proxy_temp_path $T/nginx/tmp/proxy;
    uwsgi_temp_path $T/nginx/tmp/uwsgi;
    scgi_temp_path $T/nginx/tmp/scgi;
    upstream api { server unix:$T/api.sock; }
    server {
        listen 127.0.0.1:$HTTP_PORT;
        location / {
            fastcgi_pass api;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param REQUEST_URI \$request_uri;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param DOCUMENT_URI \$document_uri;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param REQUEST_ID \$request_id;
        }
    }
}
NGINX

"$PREPAY_BUILDDIR/prepay-api" -c "$CONF" 2>"$T/api.log" &
PIDS="$PIDS $!"
API_PID=$!
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" 2>>"$T/nginx/error.log" &
PIDS="$PIDS $!"
"$PREPAY_BUILDDIR/prepay-sandbox" -c "$CONF" 2>"$T/sandbox.log" &
PIDS="$PIDS $!"
healthy() {
	i=0
	while ! curl -sf "$URL/healthz" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	curl -sf "$URL/healthz" >/dev/null
}
if ! wait_port "$HTTP_PORT" || ! wait_port "$SB_PORT" || ! healthy; then
	echo "1..0 # SKIP the private payment stack did not start"
	for f in "$T/api.log" "$T/sandbox.log" "$T/nginx/error.log"; do sed 's/^/# /' "$f"; done
	curl -sv "$URL/healthz" 2>&1 | sed 's/^/# /' | tail -5
	exit 1
fi

# a site and accounts of this test's own
PAY_SITE=pay-$RUN
cat >"$T/park.json" <<PARK
{ "version": 1, "sites": [ {
  "code": "$PAY_SITE", "name": "payments test", "timezone": "Asia/Shanghai",
  "tenants": [ { "code": "t1", "name": "shop" }, { "code": "t2", "name": "bakery" }, { "code": "t3", "name": "office" } ],
  "accounts": [ { "code": "a1", "tenant": "t1", "energy": "electricity" },
                { "code": "a2", "tenant": "t2", "energy": "electricity" },
                { "code": "a3", "tenant": "t3", "energy": "electricity" } ]
} ] }
PARK
run_ctl park import "$T/park.json"
if [ "$rc" != 0 ]; then
	echo "1..0 # SKIP cannot import the test park"
	sed 's/^/# /' "$T/err"
	exit 1
fi
acc() { sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$PAY_SITE' AND a.code = '$1'"; }
balance() { sql "SELECT balance_fen FROM accounts WHERE id = $1"; }
credits() { sql "SELECT COUNT(*) FROM ledger_entries WHERE account_id = $1 AND kind = 'topup'"; }
pay_status() { sql "SELECT status FROM payments WHERE out_trade_no = '$1'"; }
reviews() { sql "SELECT COALESCE(GROUP_CONCAT(reason ORDER BY reason), '') FROM payment_reviews WHERE out_trade_no = '$1'"; }

# topup ACCOUNT FEN [CHANNEL [OPENID]]: POST /api/v1/topups; the answer in $T/topup, the number in $NO
topup() {
	body=$(jq -nc --argjson a "$1" --argjson f "$2" --arg c "${3:-wechat_native}" --arg o "${4:-}" \
	    '{account: $a, amount_fen: $f, channel: $c} + (if $o == "" then {} else {openid: $o} end)')
	code=$(curl -s -o "$T/topup" -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$URL/api/v1/topups")
	NO=$(jq -r '.out_trade_no // empty' "$T/topup" 2>/dev/null)
}
# notify ARGS...: the driver against our notify URL; "STATUS COUNT" lines in $T/notify
notify() {
	node "$DRIVER" --conf "$CONF" --url "$URL/pay/wechat/notify" "$@" >"$T/notify" 2>&1
}
# expect NAME ACTUAL WANTED
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   got:    $2"; echo "#   wanted: $3"; fi
}
