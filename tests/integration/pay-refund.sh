#!/bin/bash
# Refunds through WeChat Pay (issue 5), each against a sandbox plan: a
# notification delivered five times at once completes its refund once; a
# refund call that fails twice (HTTP 500) is retried and completes, every
# attempt recorded; a refund the provider closes, or leaves abnormal, gives
# the money back with a reversing adjustment (never an edit), which a cash
# refund then pays out; a dropped notification is recovered by the
# refund.query job; a refusal for good (400) is not retried and reverses;
# a call repeated after a worker died gets the same refund (out_refund_no is
# WeChat Pay's key); a forged notification is refused. The ledger audits clean.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-refund-lib.sh"

A=$(acc a1)
paid "$A" 1000; p_drop=$NO
paid "$A" 2000; p_closed=$NO
paid "$A" 3000; p_fail=$NO
paid "$A" 4000; p_dup=$NO
plan "$p_drop" '{"drop": true}'
plan "$p_closed" '{"outcome": "CLOSED"}'
plan "$p_fail" '{"fail": 2, "fail_status": 500}'
plan "$p_dup" '{"copies": 5, "concurrent": true}'
run_ctl -c "$CONF" account settle "$A" --request-id "refund-$RUN" --reason "moved out"
expect "settled: four refunds, balance 0" "$rc $(balance "$A")" "0 0"
no() { sql "SELECT r.out_refund_no FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.out_trade_no = '$1'"; }
r_drop=$(no "$p_drop") r_closed=$(no "$p_closed") r_fail=$(no "$p_fail") r_dup=$(no "$p_dup")

until_sql "SELECT CONCAT(status, ' ', (SELECT status FROM refunds WHERE out_refund_no = '$r_closed'), ' ',
    (SELECT status FROM refunds WHERE out_refund_no = '$r_fail'))
    FROM refunds WHERE out_refund_no = '$r_dup'" "success closed success"

# duplicates
expect "five concurrent notifications were each answered 204" \
    "$(curl -s "$SB/sandbox/refunds/$r_dup" | jq -c '[.deliveries[].status]')" "[204,204,204,204,204]"
curl -s -X POST "$SB/sandbox/refund-notify/$r_dup" >/dev/null
expect "… and a sixth later: the refund completed once, one entry, nothing given back" \
    "$(sql "SELECT CONCAT(r.status, ' ', r.completed_via, ' ', (SELECT COUNT(*) FROM ledger_entries e WHERE e.idem_key
        LIKE CONCAT('refund%:', r.out_refund_no)), ' ', COALESCE(r.reversal_entry_id, 'none')) FROM refunds r WHERE out_refund_no = '$r_dup'")" \
    "success notify 1 none"

# failing, retried, completed
expect "the failing call: retried twice, then done, each attempt recorded" \
    "$(attempts "refund.request:$r_fail")" "retry:500 retry:500 done:200"
expect "… the refund completed; the failed attempts say what WeChat Pay answered" \
    "$(refund_status "$r_fail") $(sql "SELECT COUNT(*) FROM outbox o JOIN outbox_attempts a ON a.outbox_id = o.id
        WHERE o.dedupe_key = 'refund.request:$r_fail' AND a.error LIKE '%HTTP 500 SYSTEM_ERROR%'")" "success 2"

# closed: a reversing credit, never an edit
expect "closed: a reversing adjustment of its amount, keyed refund-reversal:<no>" \
    "$(sql "SELECT CONCAT(e.kind, ' ', e.amount_fen, ' ', e.counter_account, ' ', e.reference = CONCAT('refund:', r.id)) FROM refunds r
        JOIN ledger_entries e ON e.id = r.reversal_entry_id WHERE r.out_refund_no = '$r_closed' AND e.idem_key = 'refund-reversal:$r_closed'")" \
    "adjustment 2000 adjustment 1"
expect "… the refund entry itself is untouched" \
    "$(sql "SELECT e.amount_fen FROM refunds r JOIN ledger_entries e ON e.id = r.entry_id WHERE r.out_refund_no = '$r_closed'")" -2000
expect "… an audit row says so" "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'refund.reversed' AND request_id = '$r_closed'")" 1
curl -s -X POST "$SB/sandbox/refund-notify/$r_closed" >/dev/null
expect "… its repeat gives nothing back twice" "$(balance "$A")" 2000

# dropped notification: the query job finds out
expect "the dropped one is processing, a query queued" \
    "$(refund_status "$r_drop") $(sql "SELECT status FROM outbox WHERE dedupe_key = 'refund.query:$r_drop'")" "processing pending"
sql "UPDATE outbox SET next_attempt_at = UTC_TIMESTAMP(6) WHERE dedupe_key = 'refund.query:$r_drop'"
until_sql "SELECT status FROM refunds WHERE out_refund_no = '$r_drop'" success
expect "… completed by the query" "$(sql "SELECT completed_via FROM refunds WHERE out_refund_no = '$r_drop'")" query

expect "the settlement needs attention: ¥20 is back on the closed account" \
    "$(sql "SELECT status FROM settlements WHERE request_id = 'refund-$RUN'") $(balance "$A")" "attention 2000"
run_ctl refund cash "$A" 20 --request-id "cash-$RUN" --reason "closed WeChat refund paid in cash"
expect "a cash refund pays it out; the settlement is done" \
    "$(balance "$A") $(sql "SELECT status FROM settlements WHERE request_id = 'refund-$RUN'")" "0 done"
run_ctl refund cash "$A" 20 --request-id "cash-$RUN" --reason "closed WeChat refund paid in cash"
check "the same cash refund again is a replay" grep -q "already carried out, nothing new" "$T/out"

# refused for good, and abnormal
B=$(acc a2)
paid "$B" 1500; p_bad=$NO
paid "$B" 2500; p_abn=$NO
plan "$p_bad" '{"fail": 1, "fail_status": 400, "fail_code": "INVALID_REQUEST"}'
plan "$p_abn" '{"outcome": "ABNORMAL"}'
run_ctl -c "$CONF" account settle "$B" --request-id "refund-b-$RUN"
r_bad=$(no "$p_bad") r_abn=$(no "$p_abn")
until_sql "SELECT CONCAT((SELECT status FROM refunds WHERE out_refund_no = '$r_bad'), ' ', status)
    FROM refunds WHERE out_refund_no = '$r_abn'" "closed abnormal"
expect "a 400 refusal is not retried: the job failed after one attempt" \
    "$(attempts "refund.request:$r_bad") $(sql "SELECT status FROM outbox WHERE dedupe_key = 'refund.request:$r_bad'")" "failed:400 failed"
expect "… the refund is closed as refused, the money given back" \
    "$(sql "SELECT CONCAT(provider_status, ' ', reversal_entry_id IS NOT NULL, ' ', last_error LIKE '%INVALID_REQUEST%') FROM refunds WHERE out_refund_no = '$r_bad'")" "REFUSED 1 1"
expect "abnormal: given back too; both amounts are on the account" "$(balance "$B")" 4000

# a worker killed after its refund call reached WeChat Pay: the call is made
# again with the same out_refund_no, and WeChat Pay answers with the same refund
C=$(acc a3)
paid "$C" 1200; p_crash=$NO
plan "$p_crash" '{"settle_ms": 100}'
run_ctl -c "$CONF" account settle "$C" --request-id "refund-c-$RUN"
r_crash=$(no "$p_crash")
body=$(jq -nc --arg t "$p_crash" --arg r "$r_crash" --arg u "$URL/pay/wechat/refund-notify" \
    '{out_trade_no: $t, out_refund_no: $r, notify_url: $u, amount: {refund: 1200, total: 1200, currency: "CNY"}}')
# the first worker's call, signed with the merchant key as ours are (then it died)
MKEY=$(sed -n 's/^merchant_key_file = //p' "$CONF") MCH=$(sed -n 's/^mchid = //p' "$CONF" | head -n 1) \
    SERIAL=$(sed -n 's/^merchant_serial = //p' "$CONF") BODY="$body" node -e '
	const c = require("crypto"), fs = require("fs"), e = process.env;
	const ts = String(Math.floor(Date.now() / 1000)), nonce = c.randomBytes(16).toString("hex");
	const sig = c.sign("sha256", Buffer.from(`POST\n/v3/refund/domestic/refunds\n${ts}\n${nonce}\n${e.BODY}\n`),
	    fs.readFileSync(e.MKEY)).toString("base64");
	process.stdout.write(`Authorization: WECHATPAY2-SHA256-RSA2048 mchid="${e.MCH}",nonce_str="${nonce}",signature="${sig}",timestamp="${ts}",serial_no="${e.SERIAL}"`);
	' >"$T/auth"
first=$(curl -s -H @"$T/auth" -H 'Content-Type: application/json' -d "$body" "$SB/v3/refund/domestic/refunds" | jq -r .refund_id)
check "the first call reached WeChat Pay" [ -n "$first" ] && [ "$first" != null ]
expect "… but nothing here knew (the worker died before finishing)" "$(refund_status "$r_crash")" requested
until_sql "SELECT status FROM refunds WHERE out_refund_no = '$r_crash'" success
expect "the retried call got the same refund; one refund there, one entry here" \
    "$(sql "SELECT refund_id FROM refunds WHERE out_refund_no = '$r_crash'") $(curl -s "$SB/sandbox/refunds/$r_crash" | jq -r .refund) $(sql "SELECT COUNT(*) FROM ledger_entries WHERE idem_key LIKE '%:$r_crash'")" \
    "$first 1200 1"

# a forged refund notification
body='{"id":"EV-x","event_type":"REFUND.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAA","nonce":"abcdefabcdef","original_type":"refund"}}'
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Wechatpay-Serial: PUB_KEY_ID_0119000001092026SANDBOX' \
    -H "Wechatpay-Timestamp: $(date +%s)" -H 'Wechatpay-Nonce: n0nce' -H 'Wechatpay-Signature: Zm9yZ2Vk' -d "$body" "$URL/pay/wechat/refund-notify")
expect "a forged refund notification: 401" "$code" 401
check "… leaving a security line in the log" grep -q "security: WeChat Pay refund notification refused" "$T/api.log"

expect "nothing went to finance review" \
    "$(sql "SELECT COUNT(*) FROM payment_reviews WHERE out_trade_no IN ('$p_drop', '$p_closed', '$p_fail', '$p_dup', '$p_bad', '$p_abn')")" 0
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' "$T/out" | head -20
done_testing
