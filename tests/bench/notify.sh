#!/bin/bash
# Credited WeChat Pay notifications per second end to end (issue 5): nginx →
# prepay-api → MariaDB with durable commits, all unique orders over 64
# accounts, real signatures and encryption (built before the clock starts),
# 64 concurrent senders; printed beside POST /api/v1/ping (the API's empty
# handler, same nginx, same client) and single-row autocommit INSERTs into
# the same database, all from one run.
#   PREPAY_CONF=FILE [PREPAY_BUILDDIR=DIR] [BENCH_ORDERS=10000] [BENCH_CONCURRENCY=64] tests/bench/notify.sh
set -u
export PREPAY_SRCDIR=${PREPAY_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${PREPAY_CONF:?set PREPAY_CONF to a config for a migrated database}"
PAY_TIME_SCALE=1000 PAY_API_THREADS=${BENCH_THREADS:-8}
. "$PREPAY_SRCDIR/tests/integration/pay-lib.sh"
N=${BENCH_ORDERS:-10000}
CONC=${BENCH_CONCURRENCY:-64}

# 64 accounts of our own, N unique orders spread over them
jq -n --arg s "bench-$RUN" '{version: 1, sites: [{code: $s, name: "notify bench", timezone: "Asia/Shanghai",
    tenants: [range(64) | {code: "t\(.)", name: "t\(.)"}],
    accounts: [range(64) | {code: "a\(.)", tenant: "t\(.)", energy: "electricity"}]}]}' >"$T/bench-park.json"
run_ctl park import "$T/bench-park.json"
[ "$rc" = 0 ] || { echo "notify.sh: park import failed" >&2; cat "$T/err" >&2; exit 1; }
mchid=$(awk -F' *= *' '$1 == "mchid" { print $2 }' "$CONF")
appid=$(awk -F' *= *' '$1 == "appid" { print $2 }' "$CONF")
sql "INSERT INTO payments (provider, channel, out_trade_no, account_id, amount_fen, appid, mchid, status)
    SELECT 'wechat', 'wechat_native', CONCAT('B', '$RUN', '-', q.seq), a.id, 100, '$appid', '$mchid', 'created'
    FROM seq_1_to_$N q JOIN accounts a ON a.code = CONCAT('a', q.seq % 64)
    JOIN sites s ON s.id = a.site_id AND s.code = 'bench-$RUN'"
sql "SELECT out_trade_no, amount_fen FROM payments WHERE out_trade_no LIKE 'B$RUN-%'" | tr '\t' ' ' >"$T/orders"
[ "$(wc -l <"$T/orders")" = "$N" ] || { echo "notify.sh: could not make $N orders" >&2; exit 1; }

echo "# building $N signed, encrypted notifications"
node "$PREPAY_SRCDIR/tests/bench/notify-load.js" --conf "$CONF" --url "$URL/pay/wechat/notify" \
    --orders "$T/orders" --concurrency "$CONC" >"$T/notify.json"
node "$PREPAY_SRCDIR/tests/bench/notify-load.js" --url "$URL/api/v1/ping" --ping "$N" --concurrency "$CONC" >"$T/ping.json"
sql "CREATE TABLE bench_insert_$RUN (id BIGINT AUTO_INCREMENT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB"
ins=2000
seq $ins | sed "s/.*/INSERT INTO bench_insert_$RUN (v) VALUES (&);/" >"$T/ins.sql"
t0=$(date +%s%N)
mariadb --defaults-file="$T/my.cnf" <"$T/ins.sql"
t1=$(date +%s%N)
sql "DROP TABLE bench_insert_$RUN"

credited=$(sql "SELECT COUNT(*) FROM payments WHERE out_trade_no LIKE 'B$RUN-%' AND status = 'credited'")
echo "credited notifications: $(jq -r '"\(.per_s)/s  p50 \(.p50_ms) ms  p99 \(.p99_ms) ms  (\(.requests) in \(.seconds) s, statuses \(.statuses|tostring))"' "$T/notify.json")"
echo "empty handler (ping):   $(jq -r '"\(.per_s)/s  p50 \(.p50_ms) ms  p99 \(.p99_ms) ms"' "$T/ping.json")"
echo "single-row INSERT:      $(( ins * 1000000000 / (t1 - t0) ))/s (autocommit, one client)"
echo "credited: $credited of $N orders, $CONC senders, $PAY_API_THREADS API threads"
run_ctl audit
[ "$rc" = 0 ] && echo "prepayctl audit: clean" || { echo "prepayctl audit: NOT clean"; cat "$T/out" "$T/err"; exit 1; }
[ "$credited" = "$N" ]
