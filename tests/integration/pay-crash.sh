#!/bin/bash
# kill -9 of prepay-api while notifications are being credited (issue 5):
# 300 paid orders, notifications in flight at 32 at once, the API killed
# mid-way and started again, then WeChat Pay's retry (every notification
# again, freshly signed): each order is credited exactly once and
# prepayctl audit is clean.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

N=300
mchid=$(awk -F' *= *' '$1 == "mchid" { print $2 }' "$CONF")
appid=$(awk -F' *= *' '$1 == "appid" { print $2 }' "$CONF")
sql "INSERT INTO payments (provider, channel, out_trade_no, account_id, amount_fen, appid, mchid, status)
    SELECT 'wechat', 'wechat_native', CONCAT('K', '$RUN', '-', q.seq), a.id, 100 + q.seq, '$appid', '$mchid', 'created'
    FROM seq_1_to_$N q JOIN accounts a ON a.code = CONCAT('a', 1 + q.seq % 3)
    JOIN sites s ON s.id = a.site_id AND s.code = '$PAY_SITE'"
sql "SELECT out_trade_no, amount_fen FROM payments WHERE out_trade_no LIKE 'K$RUN-%'" | tr '\t' ' ' >"$T/orders"
expect "$N orders stored" "$(wc -l <"$T/orders")" $N
LOAD="$PREPAY_SRCDIR/tests/bench/notify-load.js"

node "$LOAD" --conf "$CONF" --url "$URL/pay/wechat/notify" --orders "$T/orders" --concurrency 32 >"$T/load1.json" &
load=$!
# kill once some, not all, are credited
i=0
while [ "$(sql "SELECT COUNT(*) FROM payments WHERE out_trade_no LIKE 'K$RUN-%' AND status = 'credited'")" -lt 20 ] && [ $i -lt 300 ]; do
	sleep 0.05; i=$((i + 1))
done
kill -9 "$API_PID"
wait "$API_PID" 2>/dev/null
wait "$load"
mid=$(sql "SELECT COUNT(*) FROM payments WHERE out_trade_no LIKE 'K$RUN-%' AND status = 'credited'")
diag() { printf '# %s\n' "$*"; }
diag "credited before the kill took effect: $mid of $N; first run: $(cat "$T/load1.json")"
check "killed mid-way: some but not all credited" [ "$mid" -gt 0 ] && [ "$mid" -lt $N ]

"$PREPAY_BUILDDIR/prepay-api" -c "$CONF" 2>>"$T/api.log" &
PIDS="$PIDS $!"
check "prepay-api starts again (the stale socket is cleared)" healthy
node "$LOAD" --conf "$CONF" --url "$URL/pay/wechat/notify" --orders "$T/orders" --concurrency 32 >"$T/load2.json"
expect "WeChat's retry of every notification: all answered 204" "$(jq -c .statuses "$T/load2.json")" "{\"204\":$N}"
expect "every order credited" "$(sql "SELECT COUNT(*) FROM payments WHERE out_trade_no LIKE 'K$RUN-%' AND status = 'credited'")" $N
expect "exactly one ledger entry per order" \
    "$(sql "SELECT COUNT(*), COUNT(DISTINCT e.idem_key) FROM payments p JOIN ledger_entries e ON e.idem_key = CONCAT('wechat:', p.transaction_id)
        WHERE p.out_trade_no LIKE 'K$RUN-%'" | tr '\t' ' ')" "$N $N"
expect "the balances add up to the orders" \
    "$(sql "SELECT SUM(a.balance_fen) FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$PAY_SITE'")" \
    "$(sql "SELECT SUM(amount_fen) FROM payments WHERE out_trade_no LIKE 'K$RUN-%'")"
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
