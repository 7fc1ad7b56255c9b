#!/bin/bash
# Alipay (issue 5): alipay_qr places an alipay.trade.precreate order (RSA2
# both ways, through the sandbox); the form notification is verified over
# the sorted parameters and credits once — TRADE_SUCCESS then
# TRADE_FINISHED is one credit; forged or altered ones answer "fail" and
# credit nothing; a wrong amount goes to review.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

A=$(acc a3)
topup "$A" 8888 alipay_qr
expect "alipay_qr: order placed" "$code" 201
check "alipay_qr: a QR code from precreate" grep -q '"qr_code":"https://qr.alipay.com/sandbox' "$T/topup"
expect "alipay_qr: stored as an Alipay order" \
    "$(sql "SELECT CONCAT(provider, ' ', channel, ' ', status) FROM payments WHERE out_trade_no = '$NO'")" "alipay alipay_qr created"
curl -s -X POST -d '{}' "$SB/sandbox/pay/$NO" >"$T/paid"
expect "the notification is answered \"success\"" "$(jq -r '.deliveries[0].status' "$T/paid")" 200
expect "credited once" "$(credits "$A") $(balance "$A") $(pay_status "$NO")" "1 8888 credited"
trade=$(jq -r .transaction_id "$T/paid")
expect "the ledger entry is keyed on the Alipay trade number" \
    "$(sql "SELECT CONCAT(e.idem_key, ' ', e.counter_account) FROM payments p JOIN ledger_entries e ON e.id = p.credited_entry_id
        WHERE p.out_trade_no = '$NO'")" "alipay:$trade payment:alipay"
curl -s -X POST -d '{"again": true, "state": "TRADE_FINISHED"}' "$SB/sandbox/pay/$NO" >"$T/paid"
expect "TRADE_FINISHED after TRADE_SUCCESS: answered \"success\"" "$(jq -r '.deliveries[-1].status' "$T/paid")" 200
expect "TRADE_FINISHED after TRADE_SUCCESS: still one credit" "$(credits "$A") $(balance "$A")" "1 8888"

# forged (another key) and altered (the sandbox's key, amount changed after signing)
form() {	# KEYFILE|random TOTAL_SIGNED TOTAL_SENT
	node -e '
const c = require("crypto"), [kf, signed, sent, no, app, seller] = process.argv.slice(1);
const key = kf === "random" ? c.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey : c.createPrivateKey(require("fs").readFileSync(kf));
const p = { app_id: app, charset: "utf-8", gmt_payment: "2026-11-28 10:00:00", notify_id: "n1", notify_time: "2026-11-28 10:00:01",
  notify_type: "trade_status_sync", out_trade_no: no, seller_id: seller, total_amount: signed, trade_no: "2026" + no.replace(/-/g, ""),
  trade_status: "TRADE_SUCCESS", version: "1.0" };
const content = Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join("&");
p.sign = c.sign("sha256", Buffer.from(content), key).toString("base64");
p.sign_type = "RSA2";
p.total_amount = sent;
console.log(Object.entries(p).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));' "$@"
}
app=$(awk -F' *= *' '$1 == "app_id" { print $2 }' "$CONF")
seller=$(awk -F' *= *' '$1 == "seller_id" { print $2 }' "$CONF")
topup "$A" 500 alipay_qr
post_form() { curl -s -o "$T/ans" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$1" "$URL/pay/alipay/notify"; }
expect "a forged notification: 401 \"fail\"" "$(post_form "$(form random 5.00 5.00 "$NO" "$app" "$seller")") $(cat "$T/ans")" "401 fail"
expect "an altered amount: 401 \"fail\"" "$(post_form "$(form "$T/keys/platform.key" 0.01 5.00 "$NO" "$app" "$seller")") $(cat "$T/ans")" "401 fail"
expect "a body that is not a form: 400" "$(post_form '%zz')" 400
expect "forged and altered: nothing credited" "$(credits "$A") $(pay_status "$NO")" "1 created"
expect "a genuine one for the wrong amount: answered \"success\"" \
    "$(post_form "$(form "$T/keys/platform.key" 0.01 0.01 "$NO" "$app" "$seller")") $(cat "$T/ans")" "200 success"
expect "the wrong amount is kept for review, not credited" "$(reviews "$NO") $(credits "$A")" "amount 1"
expect "the genuine one: credited" \
    "$(post_form "$(form "$T/keys/platform.key" 5.00 5.00 "$NO" "$app" "$seller")") $(credits "$A") $(balance "$A")" "200 2 9388"

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
