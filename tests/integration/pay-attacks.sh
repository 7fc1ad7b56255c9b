#!/bin/bash
# Every way a WeChat Pay notification can be wrong (issue 5): forged,
# unknown serial, stale, tampered, wrong AAD, truncated, oversized, wrong
# amount/mchid/appid/currency, unknown order, not paid. Each gets its
# answer and credits nothing; the genuine one afterwards credits once.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

A=$(acc a1)
topup "$A" 10000
expect "a native order is placed through the sandbox" "$code" 201
check "the order has a code_url" grep -q '"code_url":"weixin://wxpay/bizpayurl' "$T/topup"
expect "the order is stored as created" "$(pay_status "$NO")" created

# attack MODE STATUS NAME [driver args]: answered STATUS, nothing credited
attack() {
	mode=$1 want=$2 name=$3
	shift 3
	notify --order "$NO" --total 10000 --mode "$mode" "$@"
	expect "$name: answered $want" "$(cat "$T/notify")" "$want 1"
}
before=$(wc -l <"$T/api.log")
attack forged 401 "forged signature"
attack unknown_serial 401 "unknown Wechatpay-Serial"
attack stale 401 "timestamp 301 s old"
attack future 401 "timestamp 301 s ahead"
attack truncated 401 "body truncated after signing"
attack signtest 401 "WECHATPAY/SIGNTEST probe"
attack no_headers 401 "no Wechatpay-Signature header"
attack oversized 413 "a 20 kB signed body"
attack huge 413 "a 70 kB body (over [api] max_body_bytes)"
expect "refusals leave security log lines" \
    "$(tail -n +"$((before + 1))" "$T/api.log" | grep -c 'security: WeChat Pay notification refused')" 8
attack tampered 500 "tampered ciphertext (signed): cannot decrypt, retried"
attack wrong_aad 500 "wrong associated_data (signed): cannot decrypt, retried"
attack not_json 400 "signed body that is not JSON"
expect "after the attacks: nothing credited" "$(credits "$A")" 0
expect "after the attacks: no review rows either" "$(reviews "$NO")" ""

attack ok 204 "wrong amount: accepted for review" --total 1
attack ok 204 "wrong mchid: accepted for review" --mchid 1900000999
attack ok 204 "wrong appid: accepted for review" --appid wx0000000000000000
attack ok 204 "wrong currency: accepted for review" --currency USD
attack ok 204 "trade_state NOTPAY: accepted, nothing to do" --state NOTPAY
expect "mismatches are kept for finance, one row per reason" "$(reviews "$NO")" "amount,appid,currency,mchid"
expect "mismatches credit nothing" "$(credits "$A")" 0
expect "the order is still open" "$(pay_status "$NO")" created
notify --order "T2099-unknown-$RUN" --total 10000
expect "an order we never made: accepted" "$(cat "$T/notify")" "204 1"
expect "an order we never made: kept for review" "$(reviews T2099-unknown-$RUN)" unknown_order

notify --order "$NO" --total 10000 --txn "4200PAY$RUN"
expect "the genuine notification: 204" "$(cat "$T/notify")" "204 1"
expect "the genuine notification: one credit" "$(credits "$A")" 1
expect "the balance is the amount" "$(balance "$A")" 10000
expect "the order is credited via the notification" \
    "$(sql "SELECT CONCAT(status, ' ', credited_via, ' ', transaction_id) FROM payments WHERE out_trade_no = '$NO'")" \
    "credited notify 4200PAY$RUN"
expect "the ledger entry names the payment" \
    "$(sql "SELECT CONCAT(e.idem_key, ' ', e.counter_account, ' ', e.reference = CONCAT('payment:', p.id))
        FROM payments p JOIN ledger_entries e ON e.id = p.credited_entry_id WHERE p.out_trade_no = '$NO'")" \
    "wechat:4200PAY$RUN payment:wechat 1"
notify --order "$NO" --total 10000 --txn "4200PAY2$RUN"
expect "a second payment of a credited order: accepted" "$(cat "$T/notify")" "204 1"
expect "a second payment is kept for review (money to give back), not credited" \
    "$(reviews "$NO" | tr ',' '\n' | grep -c second_payment) $(credits "$A")" "1 1"

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
