#!/bin/bash
# Move-out (issue 5): prepayctl account settle refunds the balance to the
# account's WeChat Pay payments newest first, each within what is still
# refundable, takes the money off the account at once (refund entries keyed
# on out_refund_no), closes the account and queues one refund.request per
# refund; prepay-worker calls the refund API and the sandbox's REFUND.SUCCESS
# notifications complete them. Replays, refusals and bad input write nothing.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-refund-lib.sh"

A=$(acc a1)
paid "$A" 10000; p1=$NO	# oldest
paid "$A" 5000; p2=$NO
paid "$A" 3000; p3=$NO	# newest
run_ctl adjust "$A" -95 --request-id "use-$RUN" --reason "electricity used before moving out"
expect "three payments credited, ¥95 used: ¥85 left" "$(credits "$A") $(balance "$A")" "3 8500"

run_ctl -c "$CONF" account settle "$A" --request-id "settle-$RUN" --reason "moved out"
expect "settle: exit 0" "$rc" 0
sed 's/^/# /' "$T/err"
check "it says the account is settled and closed" grep -q "settled, account closed: ¥85.00 in 3 refunds" "$T/out"
q="SELECT GROUP_CONCAT(CONCAT(p.out_trade_no, '=', r.amount_fen) ORDER BY r.id SEPARATOR ' ') FROM refunds r
    JOIN payments p ON p.id = r.payment_id WHERE r.account_id = $A"
expect "newest first: ¥30 and ¥50 in full, ¥5 of the oldest" "$(sql "$q")" "$p3=3000 $p2=5000 $p1=500"
expect "the money left the account at once, the account is closed" \
    "$(sql "SELECT CONCAT(balance_fen, ' ', status) FROM accounts WHERE id = $A")" "0 closed"
expect "one refund entry per refund, keyed on its out_refund_no, counter refund:wechat" \
    "$(sql "SELECT COUNT(*) FROM ledger_entries e JOIN refunds r ON r.entry_id = e.id WHERE r.account_id = $A
        AND e.kind = 'refund' AND e.counter_account = 'refund:wechat' AND e.idem_key = CONCAT('refund:', r.out_refund_no)
        AND e.amount_fen = -r.amount_fen")" 3
check "refund numbers name the day, the account and the payment" \
    [ "$(sql "SELECT COUNT(*) FROM refunds r WHERE r.account_id = $A AND r.out_refund_no =
        CONCAT('R', DATE_FORMAT(UTC_DATE(), '%Y%m%d'), '-', LPAD(r.account_id, 8, '0'), '-', r.payment_id, '-1')")" = 3 ]
expect "one refund.request row per refund, in the same transaction" \
    "$(sql "SELECT COUNT(*) FROM outbox WHERE kind = 'refund.request' AND account_id = $A")" 3
expect "an audit row for the settlement" \
    "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'account.settle' AND object_id = $A AND request_id = 'settle-$RUN'")" 1

until_sql "SELECT GROUP_CONCAT(status) FROM refunds WHERE account_id = $A" "success,success,success"
expect "the worker's calls and the notifications complete all three" \
    "$(sql "SELECT GROUP_CONCAT(CONCAT(status, '/', completed_via) ORDER BY id) FROM refunds WHERE account_id = $A")" \
    "success/notify,success/notify,success/notify"
for no in $(sql "SELECT out_refund_no FROM refunds WHERE account_id = $A ORDER BY id"); do
	r=$(curl -s "$SB/sandbox/refunds/$no")
	want=$(sql "SELECT CONCAT(p.out_trade_no, ' ', r.amount_fen, ' ', p.amount_fen) FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.out_refund_no = '$no'")
	expect "WeChat Pay refunded $no to its payment: $want" "$(echo "$r" | jq -r '"\(.out_trade_no) \(.refund) \(.total)"')" "$want"
done
expect "the settlement is done" "$(sql "SELECT status FROM settlements WHERE request_id = 'settle-$RUN'")" done
expect "no refund was reversed, nothing was reviewed" \
    "$(sql "SELECT COUNT(*) FROM refunds WHERE account_id = $A AND reversal_entry_id IS NOT NULL") $(reviews "$p1")$(reviews "$p2")$(reviews "$p3")" "0 "

run_ctl -c "$CONF" account settle "$A" --request-id "settle-$RUN" --reason "moved out"
expect "the same request id again: exit 0" "$rc" 0
check "… says it is a replay, nothing new" grep -q "settled before (replay, nothing new)" "$T/out"
expect "… and writes nothing" "$(sql "SELECT COUNT(*) FROM refunds WHERE account_id = $A") $(sql "SELECT COUNT(*) FROM settlements WHERE account_id = $A")" "3 1"
expect_fail "a new request id on a settled account: refused" 4 "is closed already" \
    -c "$CONF" account settle "$A" --request-id "settle2-$RUN"

# refundable = amount - already refunded: an earlier refund of the newest payment counts
B=$(acc a2)
paid "$B" 4000; q1=$NO
paid "$B" 2000; q2=$NO
run_ctl refund cash "$B" 20 --request-id "cash-$RUN" --reason "earlier refund"
# seeded: that earlier ¥20 went back to the newest payment through WeChat Pay
sql "UPDATE refunds SET method = 'wechat', payment_id = (SELECT id FROM payments WHERE out_trade_no = '$q2')
    WHERE request_id = 'cash-$RUN'"
expect_fail "the same request id for another account: refused" 4 "was already used to settle account $A" \
    -c "$CONF" account settle "$B" --request-id "settle-$RUN"
run_ctl -c "$CONF" --json account settle "$B" --request-id "settle-b-$RUN"
expect "settle (json): the ¥40 left all from the older payment" \
    "$(jq -c '[.balance_fen, .status, [.refunds[] | [.out_trade_no, .amount_fen]]]' "$T/out")" "[4000,\"refunding\",[[\"$q1\",4000]]]"
until_sql "SELECT status FROM settlements WHERE request_id = 'settle-b-$RUN'" done

# refusals write nothing
C=$(acc a3)
run_ctl topup "$C" 10 --request-id "cash-in-$RUN"
expect_fail "money paid in cash cannot go back through WeChat Pay: refused, pointing at refund cash" 4 \
    "can take back only ¥0.00; pay the other ¥10.00 out first with prepayctl refund cash" \
    -c "$CONF" account settle "$C" --request-id "settle-c-$RUN"
expect "… and nothing was written" "$(sql "SELECT CONCAT((SELECT status FROM accounts WHERE id = $C), ' ',
    (SELECT COUNT(*) FROM settlements WHERE account_id = $C), ' ', (SELECT COUNT(*) FROM refunds WHERE account_id = $C))")" "open 0 0"
expect_fail "no request id: usage" 2 "--request-id is required" -c "$CONF" account settle "$C"
expect_fail "an unknown account" 3 "no account" -c "$CONF" account settle 999999999 --request-id "x-$RUN"
run_ctl refund cash "$C" 10 --request-id "cash-out-$RUN" --reason "paid back in cash"
run_ctl -c "$CONF" account settle "$C" --request-id "settle-c-$RUN"
expect "after a cash refund to zero, settle closes it with no refunds" \
    "$(sql "SELECT CONCAT(a.status, ' ', s.status, ' ', s.refunds) FROM accounts a JOIN settlements s ON s.account_id = a.id WHERE a.id = $C")" \
    "closed done 0"
# cash refund: bad input is refused with its exit code, and writes nothing
before=$(sql "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(amount_fen), 0)) FROM ledger_entries WHERE account_id IN ($A, $B, $C)")
expect_fail "cash refund without --reason: usage" 2 "--reason is required" refund cash "$B" 5 --request-id "bad1-$RUN"
expect_fail "cash refund without --request-id: usage" 2 "--request-id is required" refund cash "$B" 5 --reason x
expect_fail "cash refund of \"abc\": invalid" 3 "is not an amount in yuan" refund cash "$B" abc --request-id "bad2-$RUN" --reason x
expect_fail "cash refund of 0: invalid" 3 "must be more than zero" refund cash "$B" 0 --request-id "bad3-$RUN" --reason x
expect_fail "cash refund of -5: invalid" 3 "must be more than zero" refund cash "$B" -5 --request-id "bad4-$RUN" --reason x
expect_fail "cash refund of three decimals: invalid" 3 "is not an amount in yuan" refund cash "$B" 1.234 --request-id "bad5-$RUN" --reason x
expect_fail "cash refund to an unknown account: invalid" 3 "no-such" refund cash "$PAY_SITE/no-such" 5 --request-id "bad6-$RUN" --reason x
expect_fail "cash refund above the balance: refused, never below 0" 4 "no more can be paid out than the credit" \
    refund cash "$C" 5 --request-id "bad7-$RUN" --reason x
expect_fail "cash refund reusing a request id for another amount: refused" 4 "different operation" \
    refund cash "$C" 5 --request-id "cash-out-$RUN" --reason x
expect_fail "cash refund with an overlong reason: invalid" 3 "--reason is longer than 255" \
    refund cash "$B" 5 --request-id "bad8-$RUN" --reason "$(printf 'x%.0s' $(seq 300))"
expect_fail "cash refund with an extra argument: usage" 2 "usage: prepayctl refund cash" \
    refund cash "$B" 5 6 --request-id "bad9-$RUN" --reason x
expect "… none of them wrote anything" \
    "$(sql "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(amount_fen), 0)) FROM ledger_entries WHERE account_id IN ($A, $B, $C)") $(sql "SELECT COUNT(*) FROM refunds WHERE request_id LIKE 'bad%-$RUN'")" \
    "$before 0"
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
