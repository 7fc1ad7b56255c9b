#!/bin/bash
# Mini-program payments (docs/tenant.md "Paying in the mini-program"): the
# JSAPI payer is the openid bound at wx.login, never one the client names.
# wx.login code → jscode2session (prepay-sandbox) → bind → bearer session →
# JSAPI top-up with the wx.requestPayment parameters (paySign checked in
# Node with the merchant public key) → the sandbox pays → signed
# notification → credited, the payment row's openid the bound one. Another
# user's openid is refused, a session without a binding gets 409, the
# sandbox refuses an openid it never issued. Then prepayctl wechat bindings
# and unbind: masked list, the WeChat sessions end, audit row, idempotent.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/tenant-lib.sh"
wechat_restart

# wx CODE: POST /api/v1/session/wechat with a wx.login code
wx() { code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"code\":\"$1\"}" "$URL/api/v1/session/wechat"); }
# bind CODE PHONE: an SMS code of our own stored for PHONE (tenant-signin.sh
# drives the real delivery), then POST /api/v1/session/wechat/bind
bind() {
	salt=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	sms=$(printf '%06d' $(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 )))
	hash=$(printf '%s%s' "$salt" "$sms" | sha256sum | cut -c1-64)
	sql "INSERT INTO sms_codes (phone, user_id, salt, code_hash, expires_at)
	    SELECT '$2', id, '$salt', '$hash', UTC_TIMESTAMP(6) + INTERVAL 5 MINUTE FROM users WHERE login = 'phone:$2'"
	code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"code\":\"$1\",\"phone\":\"$2\",\"sms_code\":\"$sms\"}" "$URL/api/v1/session/wechat/bind")
}
# pay TOKEN ACCOUNT FEN [OPENID]: a JSAPI top-up with a bearer token; $NO
pay() {
	_b=$(jq -nc --argjson f "$3" --arg o "${4:-}" '{amount_fen: $f, channel: "wechat_jsapi"} + (if $o == "" then {} else {openid: $o} end)')
	code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' -d "$_b" "$URL/api/v1/accounts/$2/topups")
	NO=$(body '.out_trade_no // empty')
}
jsapi_orders() { sql "SELECT COUNT(*) FROM payments WHERE account_id = $1 AND channel = 'wechat_jsapi'"; }
W1=p$$a$RANDOM W2=p$$b$RANDOM	# this run's WeChat users: codes "$W1-N" are one openid

# --- no binding: a clear 409, nothing written ------------------------------
signin u1 "$PH1"
req u1 POST "/api/v1/accounts/$A1/topups" '{"amount_fen": 1500, "channel": "wechat_jsapi"}'
expect "a browser session without a WeChat binding: 409 wechat_not_bound" "$code $(body .error.code)" "409 wechat_not_bound"
check "  and the message says to sign in with WeChat first" grep -q 'sign in with WeChat first' "$T/body"
fits "jsapi without a binding" POST "/api/v1/accounts/{account}/topups"
expect "  no order was stored" "$(jsapi_orders "$A1")" 0
code=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"account\": $A1, \"amount_fen\": 1500, \"channel\": \"wechat_jsapi\"}" "$URL/api/v1/topups")
expect "the open route without a session: 401" "$code $(body .error.code) $(jsapi_orders "$A1")" "401 unauthenticated 0"

# --- wx.login, bind once, sign in: the session knows its openid -------------
wx "$W1-1"
expect "wx.login of an unbound WeChat user: 409 bind_phone" "$code $(body .error.code)" "409 bind_phone"
bind "$W1-2" "$PH1"
expect "bind to user 1 with an SMS code: 201" "$code" 201
OPENID1=$(sql "SELECT b.openid FROM wechat_bindings b JOIN users u ON u.id = b.user_id WHERE u.phone = '$PH1'")
expect "the binding keeps the mini-program's appid" "$(sql "SELECT appid FROM wechat_bindings WHERE openid = '$OPENID1'")" "$WX_APPID"
wx "$W1-3"
expect "then wx.login signs user 1 in" "$code $(body .user.phone)" "201 $PH1"
TOKEN1=$(body .token)
expect "the session remembers the openid it signed in with" \
    "$(sql "SELECT wechat_openid FROM sessions WHERE token_hash = SHA2('$TOKEN1', 256)")" "$OPENID1"

# --- the JSAPI top-up --------------------------------------------------------
pay "$TOKEN1" "$A1" 1500
expect "JSAPI top-up with the WeChat session: 201" "$code $(body .channel)" "201 wechat_jsapi"
fits "jsapi top-up" POST "/api/v1/accounts/{account}/topups"
cp "$T/body" "$T/jsapi"
expect "wx_request_payment: appId is the mini-program's, package prepay_id=…, signType RSA" \
    "$(jq -r '.wx_request_payment | [.appId, (.package | startswith("prepay_id=wx")), .signType, (.timeStamp | test("^[0-9]+$")), (.nonceStr | length)] | join(" ")' "$T/jsapi")" \
    "$WX_APPID true RSA true 32"
check "paySign verifies (Node, merchant public key) over appId\\ntimeStamp\\nnonceStr\\npackage\\n" node -e '
const c = require("crypto"), fs = require("fs");
const p = JSON.parse(fs.readFileSync(process.argv[1])).wx_request_payment;
const m = `${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`;
process.exit(c.verify("sha256", Buffer.from(m), fs.readFileSync(process.argv[2]), Buffer.from(p.paySign, "base64")) ? 0 : 1);' \
    "$T/jsapi" "$T/keys/merchant.pub"
expect "the payment row: the bound openid, the mini-program's appid" \
    "$(sql "SELECT CONCAT(payer_openid, ' ', appid, ' ', status) FROM payments WHERE out_trade_no = '$NO'")" "$OPENID1 $WX_APPID created"
expect "the sandbox's JSAPI order has the same payer" \
    "$(curl -s "$SB/sandbox/orders/$NO" | jq -r '.trade_type + " " + .openid + " " + .appid')" "JSAPI $OPENID1 $WX_APPID"
curl -s -X POST -d '{}' "$SB/sandbox/pay/$NO" >"$T/paid"
expect "the sandbox pays; its signed notification is answered 204" "$(jq -r '.deliveries[0].status' "$T/paid")" 204
expect "credited once: balance, ledger" "$(pay_status "$NO") $(balance "$A1") $(credits "$A1")" "credited 1500 1"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN1" "$URL/api/v1/accounts/$A1/topups/$NO")
expect "the mini-program reads the order credited" "$code $(body .status)" "200 credited"
check "the binding's last use is recorded" [ -n "$(sql "SELECT last_used_at FROM wechat_bindings WHERE openid = '$OPENID1'")" ]

# --- another user's openid cannot be used ------------------------------------
bind "$W2-1" "$PH2"
expect "a second WeChat user bound to user 2" "$code" 201
OPENID2=$(sql "SELECT b.openid FROM wechat_bindings b JOIN users u ON u.id = b.user_id WHERE u.phone = '$PH2'")
pay "$TOKEN1" "$A1" 1500 "$OPENID2"
expect "user 1 naming user 2's openid: 400 openid_mismatch, no order" \
    "$code $(body .error.code) $(jsapi_orders "$A1")" "400 openid_mismatch 1"
fits "jsapi openid mismatch" POST "/api/v1/accounts/{account}/topups"
pay "$TOKEN1" "$A1" 1500 "$OPENID1"
expect "naming its own openid (an old client) is accepted" "$code $(sql "SELECT payer_openid FROM payments WHERE out_trade_no = '$NO'")" "201 $OPENID1"
req u1 POST "/api/v1/accounts/$A1/topups" '{"amount_fen": 1500, "channel": "wechat_jsapi"}'
expect "user 1's browser session, now bound: pays as the one binding" \
    "$code $(sql "SELECT payer_openid FROM payments WHERE out_trade_no = '$(body .out_trade_no)'")" "201 $OPENID1"

# --- the sandbox refuses an openid it never issued for the appid --------------
FAKE=oFake$$x$RANDOM
sql "INSERT INTO wechat_bindings (openid, appid, user_id) SELECT '$FAKE', '$WX_APPID', id FROM users WHERE login = 'phone:$PH3'"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$PH3\",\"password\":\"$PW\",\"client\":\"app\"}" "$URL/api/v1/session")
TOKEN3=$(body .token)
pay "$TOKEN3" "$A3" 1500
expect "an openid jscode2session never gave: WeChat Pay (sandbox) refuses, 502" \
    "$code $(body .error.code)" "502 provider_refused"
check "  with the sandbox's reason" grep -q 'openid' "$T/body"

# --- prepayctl wechat bindings / unbind ---------------------------------------
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN1" "$URL/api/v1/accounts/$A1")
expect "the WeChat session reads its account summary" "$code $(body .balance_fen)" "200 1500"
run_ctl wechat bindings --site "$PAY_SITE"
check "bindings lists the site's three bindings" [ "$rc" = 0 ] && [ "$(grep -c "$PAY_SITE/t" "$T/out")" = 3 ]
mask1="${OPENID1:0:1}…${OPENID1: -4}"
check "  openids masked like o…abcd, never whole" grep -q "$PH1.*$WX_APPID.*$mask1" "$T/out"
check "  no whole openid in the table" sh -c "! grep -q '$OPENID1' '$T/out'"
run_ctl --json wechat bindings --user "$PH1"
expect "--json --user: one binding, whole openid, last use, its two WeChat sessions (bind, sign-in)" \
    "$(jq -r '.[] | [.phone, .openid, (.last_used_at != null), .sessions] | join(" ")' "$T/out")" "$PH1 $OPENID1 true 2"
run_ctl wechat unbind "$PH1"
expect "unbind without --reason: usage error 2" "$rc" 2
run_ctl wechat unbind 12345 --reason x
expect "unbind of a malformed phone: 3" "$rc" 3
run_ctl wechat unbind "$PH1" --reason "tenant changed WeChat account"
expect "unbind by phone: 0" "$rc" 0
check "  says what it removed, masked" grep -q "unbound WeChat user $mask1 from phone $PH1" "$T/out"
expect "  the binding is gone" "$(sql "SELECT COUNT(*) FROM wechat_bindings WHERE openid = '$OPENID1'")" 0
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN1" "$URL/api/v1/session")
expect "  the sessions WeChat signed in have ended" "$code $(sql "SELECT COUNT(*) FROM sessions WHERE wechat_openid = '$OPENID1' AND revoked_at IS NULL")" "401 0"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN1" "$URL/api/v1/accounts/$A1")
expect "  and reads no account any more (the summary route too)" "$code" 401
req u1 GET /api/v1/session
expect "  the user's browser session goes on" "$code" 200
expect "  an audit_log row with the reason" \
    "$(sql "SELECT CONCAT(action, ' ', JSON_VALUE(detail, '\$.reason'), ' ', JSON_VALUE(detail, '\$.sessions_revoked')) FROM audit_log WHERE action = 'wechat.unbind' AND JSON_VALUE(detail, '\$.openid') = '$OPENID1'")" \
    "wechat.unbind tenant changed WeChat account 2"
req u1 POST "/api/v1/accounts/$A1/topups" '{"amount_fen": 1500, "channel": "wechat_jsapi"}'
expect "  a JSAPI top-up after it: 409 wechat_not_bound" "$code $(body .error.code)" "409 wechat_not_bound"
run_ctl wechat unbind "$PH1" --reason "again"
expect "unbind again: 0, nothing to do, no audit row" \
    "$rc $(grep -c 'nothing to unbind' "$T/out") $(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'wechat.unbind' AND JSON_VALUE(detail, '\$.phone') = '$PH1'")" "0 1 1"
run_ctl wechat unbind --openid "$OPENID2" --reason "wrong phone"
expect "unbind by --openid: user 2's binding gone" "$rc $(sql "SELECT COUNT(*) FROM wechat_bindings WHERE openid = '$OPENID2'")" "0 0"
wx "$W1-4"
expect "the unbound WeChat user signs in again only after binding: 409 bind_phone" "$code $(body .error.code)" "409 bind_phone"
run_ctl wechat unbind 19999999999 --reason x
expect "unbind of a phone no tenant user has: 3" "$rc" 3

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
