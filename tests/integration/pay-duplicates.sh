#!/bin/bash
# Exactly once (issue 5): the same notification 100 times and 50 times at
# once, the sandbox delivering 20 copies at once, and a notification racing
# the active query (GET /api/v1/topups/{no}) with the same transaction:
# one credit each time. Then the demo flows through the sandbox: a QR
# (native) order paid (JSAPI: tenant-wechat-pay.sh), delayed and reordered notifications,
# a dropped one recovered by the query path. prepayctl audit stays clean.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

A=$(acc a1) B=$(acc a2) C=$(acc a3)

topup "$A" 2500
expect "order for 100 sequential duplicates" "$code" 201
notify --order "$NO" --total 2500 --count 100
expect "the same notification 100 times: every answer 204" "$(cat "$T/notify")" "204 100"
expect "the same notification 100 times: one credit" "$(credits "$A") $(balance "$A")" "1 2500"

topup "$B" 3000
notify --order "$NO" --total 3000 --count 50 --concurrency 50
expect "the same notification 50 times at once: every answer 204" "$(cat "$T/notify")" "204 50"
expect "the same notification 50 times at once: one credit" "$(credits "$B") $(balance "$B")" "1 3000"

# the sandbox pays and delivers 20 copies at once itself
topup "$C" 1200
curl -s -X POST -d '{"copies": 20, "concurrent": true}' "$SB/sandbox/pay/$NO" >"$T/paid"
expect "sandbox: 20 concurrent deliveries all answered 204" \
    "$(jq '[.deliveries[] | select(.status == 204)] | length' "$T/paid")" 20
expect "sandbox: 20 concurrent deliveries, one credit" "$(credits "$C") $(balance "$C")" "1 1200"
expect "sandbox-paid order is credited with the sandbox's transaction id" \
    "$(sql "SELECT transaction_id FROM payments WHERE out_trade_no = '$NO'")" "$(jq -r .transaction_id "$T/paid")"

# notification vs active query: the sandbox marks the order paid without
# notifying; then 25 status requests (each queries WeChat Pay) race 25
# copies of the notification for the same transaction
topup "$A" 700
curl -s -X POST -d '{"drop": true}' "$SB/sandbox/pay/$NO" >"$T/paid"
txn=$(jq -r .transaction_id "$T/paid")
qpids=
for i in $(seq 25); do curl -s -o /dev/null "$URL/api/v1/topups/$NO" & qpids="$qpids $!"; done
notify --order "$NO" --total 700 --txn "$txn" --count 25 --concurrency 25
wait $qpids
expect "query vs notification race: notifications all 204" "$(cat "$T/notify")" "204 25"
expect "query vs notification race: one credit" "$(credits "$A") $(balance "$A")" "2 3200"
expect "query vs notification race: credited, no review" \
    "$(pay_status "$NO") $(reviews "$NO")" "credited "

# a notification that never comes: the status request's query credits it
topup "$B" 800
curl -s -X POST -d '{"drop": true}' "$SB/sandbox/pay/$NO" >/dev/null
expect "dropped notification: nothing credited yet" "$(pay_status "$NO")" created
curl -s "$URL/api/v1/topups/$NO" >"$T/status"
expect "dropped notification: GET /api/v1/topups/{no} queries and credits" \
    "$(jq -r .status "$T/status") $(sql "SELECT credited_via FROM payments WHERE out_trade_no = '$NO'")" "credited query"
expect "dropped notification: one credit" "$(credits "$B") $(balance "$B")" "2 3800"

# QR (native) demo flow: order, sandbox pay page, pay, status
topup "$C" 10000 sandbox
expect "sandbox channel: order placed" "$code" 201
expect "sandbox channel: a pay page URL" "$(jq -r .pay_url "$T/topup")" "$SB/sandbox/pay/$NO"
check "sandbox channel: the pay page answers" curl -sf -o /dev/null "$SB/sandbox/pay/$NO"
curl -s -X POST -d '{}' "$SB/sandbox/pay/$NO" >/dev/null
curl -s "$URL/api/v1/topups/$NO" >"$T/status"
expect "QR payment: the order reads credited" "$(jq -r .status "$T/status")" credited
expect "QR payment: balance" "$(balance "$C")" 11200

# JSAPI pays as the signed-in WeChat user (tenant-wechat-pay.sh has the whole
# flow): an openid in the body of the open route is no payer
topup "$C" 600 wechat_jsapi oUpF8uMuAJO_M2pxb1Q9zNjWeS6o
expect "jsapi without a session, openid in the body: 401, no order" \
    "$code $(jq -r .error.code "$T/topup") $(sql "SELECT COUNT(*) FROM payments WHERE account_id = $C AND channel = 'wechat_jsapi'")" \
    "401 unauthenticated 0"

# reordered: the first payment's notification arrives after the second's
topup "$A" 100; first=$NO
topup "$A" 200; second=$NO
curl -s -X POST -d '{"delay_ms": 400}' "$SB/sandbox/pay/$first" >/dev/null
curl -s -X POST -d '{}' "$SB/sandbox/pay/$second" >/dev/null
expect "reordered: the second is credited first" "$(pay_status "$first") $(pay_status "$second")" "created credited"
i=0
while [ "$(pay_status "$first")" != credited ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect "reordered: the delayed first arrives and is credited" "$(pay_status "$first") $(credits "$A")" "credited 4"

# limits and bad requests
expect "below the site minimum: 422" "$(topup "$A" 99; echo "$code")" 422
expect "above the site maximum: 422" "$(topup "$A" 5000001; echo "$code")" 422
sql "INSERT INTO payment_site_limits (site_id, min_topup_fen, max_topup_fen)
    SELECT id, 1000, 2000 FROM sites WHERE code = '$PAY_SITE'"
expect "a site's own limits apply" "$(topup "$A" 2001; echo "$code") $(jq -r .error.code "$T/topup")" "422 amount_out_of_range"
expect "unknown account: 404" "$(topup 999999999 1500; echo "$code")" 404
expect "unknown channel: 400" "$(topup "$A" 1500 bitcoin; echo "$code")" 400
expect "unknown order status: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/topups/T2099-none-$RUN")" 404

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
