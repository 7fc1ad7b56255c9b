#!/bin/bash
# The worker's payment round (pay_sweep_wechat): a paid order whose
# notification was lost is credited by the query; an expired unpaid order
# is closed with WeChat Pay and here; an expired order that was paid after
# all is credited, not closed; a fresh order is left alone.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"
SWEEP="$PREPAY_BUILDDIR/tests/integration/pay-sweep"

A=$(acc a2)
topup "$A" 1500; lost=$NO
curl -s -X POST -d '{"drop": true}' "$SB/sandbox/pay/$lost" >/dev/null
topup "$A" 1600; unpaid=$NO
topup "$A" 1700; late=$NO
curl -s -X POST -d '{"drop": true}' "$SB/sandbox/pay/$late" >/dev/null
topup "$A" 1800; fresh=$NO
# age them: placed 5 minutes ago; two of them past their expiry
sql "UPDATE payments SET created_at = created_at - INTERVAL 5 MINUTE WHERE out_trade_no IN ('$lost', '$unpaid', '$late')"
sql "UPDATE payments SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE out_trade_no IN ('$unpaid', '$late')"

"$SWEEP" "$CONF" >"$T/sweep" 2>"$T/sweep.err"
check "a sweep round runs" [ $? = 0 ]
sed 's/^/# /' "$T/sweep.err"
expect "it queried the three old orders, credited two, closed one" "$(cat "$T/sweep")" \
    "queried=3 credited=2 closed=1 failed=0"
expect "lost notification: credited via query" \
    "$(sql "SELECT CONCAT(status, ' ', credited_via) FROM payments WHERE out_trade_no = '$lost'")" "credited query"
expect "expired and unpaid: closed here" "$(pay_status "$unpaid")" closed
expect "expired and unpaid: closed at WeChat Pay" "$(curl -s "$SB/sandbox/orders/$unpaid" | jq -r .state)" CLOSED
expect "expired but paid: credited, not closed" "$(pay_status "$late")" credited
expect "a fresh order is left to its notification" "$(pay_status "$fresh")" created
expect "two credits, the right balance" "$(credits "$A") $(balance "$A")" "2 3200"
"$SWEEP" "$CONF" >"$T/sweep"
expect "the next round finds nothing to do" "$(cat "$T/sweep")" "queried=0 credited=0 closed=0 failed=0"
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
