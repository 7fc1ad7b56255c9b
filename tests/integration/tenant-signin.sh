#!/bin/bash
# Sign-in by SMS code (docs/tenant.md) end to end: the code queued as a
# msg.sms outbox row, delivered by prepay-worker to prepay-msg-sandbox (the
# code is read back from what the sandbox received), then a session; wrong,
# expired and over-tried codes, the resend limit, and an unknown phone that
# gets the same answer as a tenant's. The mini-program's wx.login path
# through prepay-sandbox's jscode2session: unbound → 409, bind after an SMS
# check, sign-in by openid, a second bind refused.
#
# With PREPAY_ADMIN_CONF the test runs in a private database (created,
# migrated, dropped), as the alerts tests do: the stack's own prepay-worker
# serves the shared one and would take our msg.sms rows to its own sandbox.
SIGNIN_DB=
if [ -n "${PREPAY_CONF:-}" ] && [ -n "${PREPAY_ADMIN_CONF:-}" ]; then
	SIGNIN_DB=prepay_signin_test_$$
	SIGNIN_ADMIN="${PREPAY_BUILDDIR:-.}/tests/integration/ledger-sql $PREPAY_ADMIN_CONF"
	SIGNIN_CONF=$(mktemp "${TMPDIR:-/tmp}/prepay-signin-conf.XXXXXX")
	$SIGNIN_ADMIN exec "CREATE DATABASE $SIGNIN_DB" >/dev/null ||
	    { echo "Bail out! cannot create database $SIGNIN_DB"; exit 1; }
	awk -v db="$SIGNIN_DB" '
		/^[ \t]*\[/ { sec = ($0 ~ /^[ \t]*\[database\]/); print; if (sec) print "name = " db; next }
		sec && /^[ \t]*name[ \t]*=/ { next }
		{ print }' "$PREPAY_ADMIN_CONF" >"$SIGNIN_CONF"
	if ! PREPAY_SCHEMA_DIR="${PREPAY_SCHEMA_DIR:-${PREPAY_SRCDIR:-.}/schema}" \
	    "${PREPAY_BUILDDIR:-.}/prepayctl" -c "$SIGNIN_CONF" db migrate >"$SIGNIN_CONF.out" 2>&1; then
		echo "Bail out! cannot migrate $SIGNIN_DB:"; sed 's/^/# /' "$SIGNIN_CONF.out"
		$SIGNIN_ADMIN exec "DROP DATABASE IF EXISTS $SIGNIN_DB" >/dev/null
		exit 1
	fi
	PREPAY_CONF=$SIGNIN_CONF
	export PREPAY_CONF
fi
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/tenant-lib.sh"
signin_cleanup() {
	pay_cleanup
	if [ -n "$SIGNIN_DB" ]; then
		$SIGNIN_ADMIN exec "DROP DATABASE IF EXISTS $SIGNIN_DB" >/dev/null
		rm -f "$SIGNIN_CONF" "$SIGNIN_CONF.out"
	fi
}
trap signin_cleanup EXIT

wechat_restart

# the SMS provider on loopback and the worker's settings for it
head -c 24 /dev/urandom | base64 >"$T/msgkeys/tencent"
MSG_PORT=$(pick_port)
while [ "$MSG_PORT" = "$HTTP_PORT" ] || [ "$MSG_PORT" = "$SB_PORT" ]; do MSG_PORT=$(pick_port); done
{
	cat "$CONF"
	echo "[worker]"
	echo "threads = 1"
	echo "http_timeout_ms = 3000"
	echo "[sms]"
	echo "provider = tencent"
	echo "tencent_url = http://127.0.0.1:$MSG_PORT"
	echo "tencent_secret_id = AKIDsandbox$$"
	echo "tencent_secret_key_file = $T/msgkeys/tencent"
	echo "tencent_sdk_app_id = 1400000001"
} >"$T/msg.conf"
"$PREPAY_BUILDDIR/prepay-msg-sandbox" -c "$T/msg.conf" --listen "127.0.0.1:$MSG_PORT" 2>"$T/msg-sandbox.log" &
PIDS="$PIDS $!"
if ! wait_port "$MSG_PORT"; then
	echo "1..0 # SKIP prepay-msg-sandbox did not start"
	sed 's/^/# /' "$T/msg-sandbox.log"
	exit 1
fi
MSG=http://127.0.0.1:$MSG_PORT
work() { "$PREPAY_BUILDDIR/prepay-worker" -c "$T/msg.conf" --once --site "$PAY_SITE" >"$T/worker.out" 2>"$T/worker.err"; }
# the newest code the sandbox received for +86PHONE
sms_code() { curl -s "$MSG/_sandbox/messages?channel=sms" | jq -rs "[.[] | select(.to == \"+86$1\")] | last | .text // \"\" | fromjson? | .[0] // empty"; }
sms_count() { curl -s "$MSG/_sandbox/messages?channel=sms" | jq -s "[.[] | select(.to == \"+86$1\")] | length"; }
post() { code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -c "$T/jar.sms" -H 'Content-Type: application/json' -d "$2" "$URL$1"); }
ask() { post /api/v1/session/sms-code "{\"phone\":\"$1\"}"; }
# new_code PHONE: a fresh code delivered (an earlier one's minute is moved back first)
new_code() {
	sql "UPDATE sms_codes SET created_at = created_at - INTERVAL 61 SECOND WHERE phone = '$1'"
	ask "$1"
	work
	CODE=$(sms_code "$1")
}

# --- the whole flow --------------------------------------------------------
ask "$PH1"
expect "asking for a code: 202 sent" "$code $(body .sent) $(body .expires_in_s)" "202 true 300"
fits "sms-code sent" POST /api/v1/session/sms-code
answer_known=$(cat "$T/body")
expect "the code is stored only hashed" \
    "$(sql "SELECT COUNT(*) FROM sms_codes WHERE phone = '$PH1' AND LENGTH(code_hash) = 64 AND used_at IS NULL")" 1
expect "one msg.sms row queued for the phone" \
    "$(sql "SELECT COUNT(*) FROM outbox WHERE kind = 'msg.sms' AND JSON_VALUE(payload, '\$.to') = '+86$PH1'")" 1
work
CODE=$(sms_code "$PH1")
check "the worker delivered a 6-digit code to the phone" sh -c "echo '$CODE' | grep -qE '^[0-9]{6}\$'"
expect "the delivery attempt is recorded" \
    "$(sql "SELECT COUNT(*) FROM outbox o JOIN outbox_attempts t ON t.outbox_id = o.id WHERE o.kind = 'msg.sms'
        AND JSON_VALUE(o.payload, '\$.to') = '+86$PH1' AND t.outcome = 'done'")" 1
expect "the code itself is not in the database" \
    "$(sql "SELECT COUNT(*) FROM sms_codes WHERE phone = '$PH1' AND (code_hash LIKE '%$CODE%' OR salt LIKE '%$CODE%')")" 0

wrong=$(printf '%06d' $(( (10#$CODE + 1) % 1000000 )))
post /api/v1/session/sms "{\"phone\":\"$PH1\",\"code\":\"$wrong\"}"
expect "a wrong code: 401 bad_code" "$code $(body .error.code)" "401 bad_code"
fits "sms wrong code" POST /api/v1/session/sms
post /api/v1/session/sms "{\"phone\":\"$PH1\",\"code\":\"$CODE\"}"
expect "the right code: 201 and a browser session" "$code $(body .user.phone)" "201 $PH1"
fits "sms signed in (web)" POST /api/v1/session/sms
check "the session cookie is set" grep -qiE '^Set-Cookie: prepay_session=[0-9a-f]{32}; Path=/; HttpOnly' "$T/h"
expect "the session lists the tenant's account" "$(body '[.accounts[].id] | join(",")')" "$A1"
post /api/v1/session/sms "{\"phone\":\"$PH1\",\"code\":\"$CODE\"}"
expect "a code works once" "$code $(body .error.code)" "401 bad_code"

new_code "$PH1"
post /api/v1/session/sms "{\"phone\":\"$PH1\",\"code\":\"$CODE\",\"client\":\"app\"}"
expect "client app: a bearer token" "$code $(body '.token | length')" "201 32"
fits "sms signed in (app)" POST /api/v1/session/sms
TOKEN=$(body .token)
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/session")
expect "the bearer token is a session of the right user" "$code $(body .user.phone)" "200 $PH1"

# --- expired ---------------------------------------------------------------
new_code "$PH1"
sql "UPDATE sms_codes SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE phone = '$PH1' AND used_at IS NULL"
post /api/v1/session/sms "{\"phone\":\"$PH1\",\"code\":\"$CODE\"}"
expect "an expired code: 401 bad_code" "$code $(body .error.code)" "401 bad_code"

# --- too many tries --------------------------------------------------------
new_code "$PH2"
wrong=$(printf '%06d' $(( (10#$CODE + 7) % 1000000 )))
codes=
for i in 1 2 3 4 5; do
	post /api/v1/session/sms "{\"phone\":\"$PH2\",\"code\":\"$wrong\"}"
	codes="$codes$code "
done
expect "five wrong codes: four 401 then 429" "$codes" "401 401 401 401 429 "
post /api/v1/session/sms "{\"phone\":\"$PH2\",\"code\":\"$CODE\"}"
expect "after five wrong codes the right one no longer works" "$code $(body .error.code)" "429 too_many_attempts"
fits "sms too many tries" POST /api/v1/session/sms
new_code "$PH2"
post /api/v1/session/sms "{\"phone\":\"$PH2\",\"code\":\"$CODE\"}"
expect "a new code works again" "$code $(body .user.phone)" "201 $PH2"

# --- resend limits ---------------------------------------------------------
ask "$PH3"
ask "$PH3"
expect "a second code within the minute: 429 with Retry-After" \
    "$code $(body .error.code) $(grep -ci '^Retry-After: 60' "$T/h")" "429 too_many_attempts 1"
fits "sms-code resend limit" POST /api/v1/session/sms-code
for i in 2 3 4 5; do
	sql "UPDATE sms_codes SET created_at = created_at - INTERVAL 61 SECOND WHERE phone = '$PH3'"
	ask "$PH3"
done
expect "five codes an hour are sent" "$code" 202
sql "UPDATE sms_codes SET created_at = created_at - INTERVAL 61 SECOND WHERE phone = '$PH3'"
ask "$PH3"
expect "the sixth in an hour: 429" "$code $(body .error.code)" "429 too_many_attempts"
work
expect "the phone got five messages, no more" "$(sms_count "$PH3")" 5
# the address limit: 20 an hour from one address (rows of other phones moved into this hour)
sql "UPDATE sms_codes SET created_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR WHERE remote_addr = '127.0.0.1'"
ADDR_PH=17$(printf '%09d' $((PH_BASE % 1000000000)))
for i in $(seq 1 20); do ask "17$(printf '%09d' $(((PH_BASE + i) % 1000000000)))"; done
expect "twenty codes an hour from one address" "$code" 202
ask "$ADDR_PH"
expect "the 21st from the address: 429" "$code $(body .error.code)" "429 too_many_attempts"
sql "UPDATE sms_codes SET created_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR WHERE remote_addr = '127.0.0.1'"

# --- an unknown phone ------------------------------------------------------
UNK=16$(printf '%09d' $((PH_BASE % 1000000000)))
ask "$UNK"
expect "an unknown phone gets the same answer as a tenant's" "$code $(cat "$T/body")" "202 $answer_known"
expect "and no message is queued for it" \
    "$(sql "SELECT COUNT(*) FROM outbox WHERE kind = 'msg.sms' AND JSON_VALUE(payload, '\$.to') = '+86$UNK'")" 0
ask "$UNK"
expect "its resend limit is the same too" "$code $(body .error.code)" "429 too_many_attempts"
post /api/v1/session/sms "{\"phone\":\"$UNK\",\"code\":\"123456\"}"
expect "no code signs an unknown phone in" "$code $(body .error.code)" "401 bad_code"

# --- WeChat mini-program: wx.login → jscode2session → openid ------------------
wx() { post "$1" "$2"; }
WXU=u$$x$RANDOM		# this run's WeChat user: codes "$WXU-N" are one openid
wx /api/v1/session/wechat "{\"code\":\"$WXU-1\"}"
expect "an unbound WeChat user: 409 bind_phone" "$code $(body .error.code)" "409 bind_phone"
fits "wechat unbound" POST /api/v1/session/wechat
check "the 409 says to bind the phone" sh -c "grep -q 'bind your phone' '$T/body'"
wx /api/v1/session/wechat "{\"code\":\"$WXU-1\"}"
expect "a wx.login code works once (jscode2session 40163): 401" "$code $(body .error.code)" "401 bad_code"
wx /api/v1/session/wechat '{"code":"bad-code"}'
expect "an invalid wx.login code: 401 bad_code" "$code $(body .error.code)" "401 bad_code"
fits "wechat invalid code" POST /api/v1/session/wechat
wx /api/v1/session/wechat '{"code":"a b"}'
expect "a malformed wx.login code: 400" "$code $(body .error.code)" "400 invalid_parameter"
fits "wechat malformed code" POST /api/v1/session/wechat

sql "UPDATE sms_codes SET created_at = created_at - INTERVAL 2 HOUR WHERE phone = '$PH3'"
new_code "$PH3"
wx /api/v1/session/wechat/bind "{\"code\":\"$WXU-2\",\"phone\":\"$PH3\",\"sms_code\":\"$(printf '%06d' $(( (10#$CODE + 3) % 1000000 )))\"}"
expect "bind with a wrong SMS code: 401, nothing bound" "$code $(body .error.code) $(sql "SELECT COUNT(*) FROM wechat_bindings b JOIN users u ON u.id = b.user_id WHERE u.phone = '$PH3'")" "401 bad_code 0"
fits "bind wrong SMS code" POST /api/v1/session/wechat/bind
wx /api/v1/session/wechat/bind "{\"code\":\"$WXU-3\",\"phone\":\"$PH3\",\"sms_code\":\"$CODE\"}"
expect "bind with the SMS code: 201, a bearer session of tenant 3" "$code $(body '.token | length') $(body .user.phone) $(body '[.accounts[].id] | join(",")')" "201 32 $PH3 $A3"
fits "bind" POST /api/v1/session/wechat/bind
OPENID=$(sql "SELECT b.openid FROM wechat_bindings b JOIN users u ON u.id = b.user_id WHERE u.phone = '$PH3'")
check "the openid is stored bound to the user" sh -c "[ -n '$OPENID' ]"
wx /api/v1/session/wechat "{\"code\":\"$WXU-4\"}"
expect "then wx.login signs in: 201 bearer for the right tenant" "$code $(body '.token | length') $(body .user.phone) $(body '[.accounts[].id] | join(",")')" "201 32 $PH3 $A3"
fits "wechat signed in" POST /api/v1/session/wechat
TOKEN=$(body .token)
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/accounts/$A3")
expect "the bearer reads tenant 3's account" "$code" 200
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/accounts/$A1")
expect "and not tenant 1's" "$code" 404
new_code "$PH1"
wx /api/v1/session/wechat/bind "{\"code\":\"$WXU-5\",\"phone\":\"$PH1\",\"sms_code\":\"$CODE\"}"
expect "a second bind of the same openid (another phone): 409 already_bound" "$code $(body .error.code)" "409 already_bound"
fits "bind again" POST /api/v1/session/wechat/bind
expect "the binding is unchanged" "$(sql "SELECT COUNT(*) FROM wechat_bindings WHERE openid = '$OPENID'") $(sql "SELECT u.phone FROM wechat_bindings b JOIN users u ON u.id = b.user_id WHERE b.openid = '$OPENID'")" "1 $PH3"
post /api/v1/session/sms "{\"phone\":\"$PH1\",\"code\":\"$CODE\"}"
expect "a refused bind does not spend the SMS code" "$code" 201

# --- the page's 验证码登录 in Chromium (skipped without it) ---------------------
CHROMIUM=${PREPAY_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && [ -d "$PREPAY_SRCDIR/node_modules/playwright-core" ]; then
	WEB_PORT=$(pick_port)
	mkdir -p "$T/web-nginx/tmp"
	cat >"$T/web-nginx/nginx.conf" <<NGINX
$( [ "$(id -u)" = 0 ] && echo "user root;" )
daemon off;
worker_processes 1;
pid $T/web-nginx/nginx.pid;
error_log $T/web-nginx/error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $T/web-nginx/tmp/body;
    fastcgi_temp_path $T/web-nginx/tmp/fastcgi;
    proxy_temp_path $T/web-nginx/tmp/proxy;
    uwsgi_temp_path $T/web-nginx/tmp/uwsgi;
    scgi_temp_path $T/web-nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$WEB_PORT;
        root $PREPAY_SRCDIR/web;
        location / { try_files \$uri \$uri/index.html =404; }
        location /api/ {
            fastcgi_pass unix:$T/api.sock;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param DOCUMENT_URI \$document_uri;
            fastcgi_param REMOTE_ADDR \$remote_addr;
        }
    }
}
NGINX
	nginx -p "$T/web-nginx" -c "$T/web-nginx/nginx.conf" 2>>"$T/web-nginx/error.log" &
	PIDS="$PIDS $!"
	wait_port "$WEB_PORT"
	sql "UPDATE sms_codes SET created_at = created_at - INTERVAL 2 HOUR WHERE phone = '$PH2'"
	SI_URL="http://127.0.0.1:$WEB_PORT" SI_PHONE="$PH2" SI_MSG="$MSG" SI_CHROMIUM="$CHROMIUM" \
	    SI_NODE_MODULES="$PREPAY_SRCDIR/node_modules" \
	    SI_WORKER="'$PREPAY_BUILDDIR/prepay-worker' -c '$T/msg.conf' --once --site '$PAY_SITE' >/dev/null 2>&1" \
	    timeout 120 node "$PREPAY_SRCDIR/tests/e2e/tenant-signin.mjs" >"$T/page.tap" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$T/page.tap"
	grep -q '^ok - page: signed in' "$T/page.tap" || not_ok "page: the browser run finished"
else
	echo "# the page's SMS sign-in not driven: needs $CHROMIUM and npm ci (playwright-core)"
fi

# --- bad input -------------------------------------------------------------
post /api/v1/session/sms-code '{"phone":"12; DROP TABLE users"}'
expect "a malformed phone: 400" "$code $(body .error.code)" "400 invalid_parameter"
fits "sms-code malformed phone" POST /api/v1/session/sms-code
post /api/v1/session/sms "{\"phone\":\"$PH1\",\"code\":\"12ab56\"}"
expect "a code that is not 6 digits: 400" "$code $(body .error.code)" "400 invalid_parameter"
sql "UPDATE sms_codes SET created_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR WHERE remote_addr = '127.0.0.1'"

echo "1..$tap_n"
[ "$tap_failed" = 0 ]
