#!/bin/bash
# prepayctl recon DATE (issue 5): the day's trade bill against our payments,
# printed and stored for the admin console. A payment whose notification was
# lost (missing here) is credited on the spot through the query path; a
# short payment goes to finance review, not credited; one credited only here
# is reported. A rerun replaces the stored lines and finds the lost one matched.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

A=$(acc a1)
topup "$A" 1000; ok_no=$NO
curl -s -X POST -d '{}' "$SB/sandbox/pay/$ok_no" >/dev/null
topup "$A" 2000; dropped=$NO
curl -s -X POST -d '{"drop": true}' "$SB/sandbox/pay/$dropped" >/dev/null
topup "$A" 3000; short=$NO
curl -s -X POST -d '{"amount": 2999}' "$SB/sandbox/pay/$short" >/dev/null
topup "$A" 4000; ours_only=$NO
notify --order "$ours_only" --total 4000 --txn "4200RECONCTL$RUN"
expect "seeded: matched, dropped, short-paid, credited only here" \
    "$(pay_status "$ok_no") $(pay_status "$dropped") $(pay_status "$short") $(pay_status "$ours_only")" \
    "credited created created credited"
mchid=$(sed -n 's/^mchid = //p' "$CONF" | head -n 1)
day=$(TZ=Asia/Shanghai date +%F)

run_ctl -c "$CONF" recon "$day"
expect "differences found: exit 1" "$rc" 1
sed 's/^/# /' "$T/err"
check "the summary names the day, the merchant and one match" \
    grep -q "WeChat Pay $day, merchant $mchid: 1 payments matched (¥10.00), 3 differences" "$T/out"
check "the lost notification: missing here, credited via query" \
    grep -Eq "missing_here +$dropped +- +20.00 +query: credited" "$T/out"
check "the short payment: missing here, kept for review" \
    grep -Eq "missing_here +$short +- +29.99 +query: review amount" "$T/out"
check "credited only here: missing there, for finance" \
    grep -Eq "missing_there +$ours_only +40.00 +- +finance" "$T/out"
expect "the lost payment is credited once, by the query" \
    "$(sql "SELECT CONCAT(status, ' ', credited_via) FROM payments WHERE out_trade_no = '$dropped'")" "credited query"
expect "the short one is not credited, it is in review" "$(pay_status "$short") $(reviews "$short")" "created amount"
expect "balance: 10 + 20 + 40" "$(balance "$A")" 7000
rid=$(sql "SELECT id FROM recon_reports WHERE provider = 'wechat' AND mchid = '$mchid' AND bill_date = '$day'")
expect "stored: the day's report" "$(sql "SELECT CONCAT(status, ' ', matched, ' ', matched_fen, ' ', issues, ' ', runs) FROM recon_reports WHERE id = $rid")" \
    "mismatch 1 1000 3 1"
expect "stored: its lines" "$(sql "SELECT GROUP_CONCAT(CONCAT(issue, ':', out_trade_no, ':', COALESCE(ours_fen, ''), ':', COALESCE(theirs_fen, '')) ORDER BY out_trade_no SEPARATOR ' ') FROM recon_lines WHERE report_id = $rid")" \
    "$(printf '%s\n' "missing_here:$dropped:0:2000" "missing_here:$short:0:2999" "missing_there:$ours_only:4000:0" | sort -t: -k2 | tr '\n' ' ' | sed 's/ $//')"

run_ctl -c "$CONF" --json recon "$day"
expect "rerun: the lost one now matches (json)" "$(jq -c '[.matched, .matched_fen, .status, (.lines | length), .credited]' "$T/out")" \
    '[2,3000,"mismatch",2,0]'
expect "rerun: the stored report is replaced, not added to" \
    "$(sql "SELECT CONCAT(COUNT(*), ' ', MAX(runs), ' ', (SELECT COUNT(*) FROM recon_lines WHERE report_id = $rid)) FROM recon_reports WHERE provider = 'wechat' AND mchid = '$mchid' AND bill_date = '$day'")" \
    "1 2 2"
expect "rerun: no second credit" "$(credits "$A") $(balance "$A")" "3 7000"

expect_fail "a date that is not one is refused" 3 "is not a date" -c "$CONF" recon 2026-1-5
expect_fail "no date: usage" 2 "usage: prepayctl recon DATE" -c "$CONF" recon
run_ctl -c "$CONF" recon 2099-01-01
expect "a day with nothing paid is clean: exit 0" "$rc" 0
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
