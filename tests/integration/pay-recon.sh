#!/bin/bash
# Reconciliation against the trade bill (issue 5): the sandbox serves the
# day's bill (BOM, backticks, yuan, summary; SHA1 in the API answer);
# pay_recon_wechat downloads, checks, parses and compares it with our
# payments, and reports each seeded mismatch once.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

A=$(acc a1)
topup "$A" 1000; ok_no=$NO
curl -s -X POST -d '{}' "$SB/sandbox/pay/$ok_no" >/dev/null
topup "$A" 2000; dropped=$NO
curl -s -X POST -d '{"drop": true}' "$SB/sandbox/pay/$dropped" >/dev/null
topup "$A" 3000; short=$NO
curl -s -X POST -d '{"amount": 2999}' "$SB/sandbox/pay/$short" >/dev/null
topup "$A" 4000; ours_only=$NO
notify --order "$ours_only" --total 4000 --txn "4200RECON$RUN"
expect "seeded: matched, dropped, short-paid, credited only here" \
    "$(pay_status "$ok_no") $(pay_status "$dropped") $(pay_status "$short") $(pay_status "$ours_only")" \
    "credited created created credited"

# the bill of the Beijing day the sandbox and we both stamp the payments with
day=$(TZ=Asia/Shanghai date +%F)
"$PREPAY_BUILDDIR/tests/integration/pay-recon" "$CONF" "$day" >"$T/recon" 2>"$T/recon.err"
check "recon runs" [ $? = 0 ]
sed 's/^/# /' "$T/recon.err"
expect "one payment matches" "$(grep '^matched' "$T/recon")" "matched 1 1000"
expect "the dropped notification: missing here, their amount" "$(grep " $dropped " "$T/recon")" "missing_here $dropped 0 2000"
expect "the short payment (kept for review, not credited): missing here" "$(grep " $short " "$T/recon")" "missing_here $short 0 2999"
expect "credited here, not in their bill: missing there" "$(grep " $ours_only " "$T/recon")" "missing_there $ours_only 4000 0"
expect "nothing else" "$(wc -l <"$T/recon")" 4
"$PREPAY_BUILDDIR/tests/integration/pay-recon" "$CONF" "2026-13-45x" >/dev/null 2>"$T/recon.err"
check "a bad date is refused with a sentence" grep -q "is not a date like" "$T/recon.err"
done_testing
