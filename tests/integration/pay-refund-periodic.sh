#!/bin/bash
# The worker's periodic payment jobs (payments/refund_jobs.c): the migration
# starts the payment.sweep and payment.recon chains; each run queues its
# successor first (the next minute; the next 10:30 Beijing time) and then
# works: the sweep credits an order whose notification was lost, the
# reconciliation stores its report. The worker claims rows of every account
# here, so this runs in a private database made through PREPAY_ADMIN_CONF.
if [ -z "${PREPAY_CONF:-}" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
if [ -z "${PREPAY_ADMIN_CONF:-}" ]; then
	echo "ok 1 # SKIP the periodic jobs need PREPAY_ADMIN_CONF (a config whose user may create databases)"
	echo "1..1"
	exit 0
fi
ADMIN="${PREPAY_BUILDDIR:-.}/tests/integration/ledger-sql"
PDB="prepay_periodic_test_$$"
P=$(mktemp -d)
"$ADMIN" "$PREPAY_ADMIN_CONF" exec "CREATE DATABASE $PDB" >/dev/null || { echo "Bail out! cannot create database $PDB"; exit 1; }
drop_private() { "$ADMIN" "$PREPAY_ADMIN_CONF" exec "DROP DATABASE IF EXISTS $PDB" >/dev/null; rm -rf "$P"; }
trap drop_private EXIT
awk -v db="$PDB" '
	/^[ \t]*\[/ { sec = ($0 ~ /^[ \t]*\[database\]/); print; if (sec) print "name = " db; next }
	sec && /^[ \t]*name[ \t]*=/ { next }
	{ print }' "$PREPAY_ADMIN_CONF" >"$P/conf"
PREPAY_SCHEMA_DIR="${PREPAY_SCHEMA_DIR:-${PREPAY_SRCDIR:-.}/schema}" "${PREPAY_BUILDDIR:-.}/prepayctl" -c "$P/conf" db migrate \
    >"$P/out" 2>&1 || { echo "Bail out! cannot migrate $PDB:"; sed 's/^/# /' "$P/out"; exit 1; }
export PREPAY_CONF="$P/conf"
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-refund-lib.sh"
trap 'pay_cleanup; drop_private' EXIT

# every row of this database is ours: the worker runs without --site
work_all() { "$PREPAY_BUILDDIR/prepay-worker" -c "$CONF" --once >>"$T/worker.out" 2>>"$T/worker.log"; }
expect "the migration started both chains" \
    "$(sql "SELECT GROUP_CONCAT(CONCAT(dedupe_key, ':', status) ORDER BY id) FROM outbox WHERE kind LIKE 'payment.%'")" \
    "payment.sweep:start:pending,payment.recon:start:pending"

A=$(acc a1)
topup "$A" 1500; lost=$NO
curl -s -X POST -d '{"drop": true}' "$SB/sandbox/pay/$lost" >/dev/null
sql "UPDATE payments SET created_at = created_at - INTERVAL 5 MINUTE WHERE out_trade_no = '$lost'"
day=$(TZ=Asia/Shanghai date +%F)
sql "INSERT INTO outbox (dedupe_key, kind, payload) VALUES ('recon-today', 'payment.recon', '{\"date\": \"$day\"}')"
work_all
sed 's/^/# /' "$T/worker.log" | grep -iE "error|warn" | head -5
expect "the sweep ran: the lost notification is credited via query" \
    "$(sql "SELECT CONCAT(status, ' ', credited_via) FROM payments WHERE out_trade_no = '$lost'") $(balance "$A")" "credited query 1500"
expect "… its attempt says what it did" "$(sql "SELECT a.answer FROM outbox o JOIN outbox_attempts a ON a.outbox_id = o.id
    WHERE o.dedupe_key = 'payment.sweep:start'")" "queried=1 credited=1 closed=0 failed=0"
next=$(date -u -d "@$(( ($(date +%s) / 60 + 1) * 60 ))" '+%Y-%m-%d %H:%M:%S')
expect "… and queued the next sweep at the next minute" \
    "$(sql "SELECT CONCAT(status, ' ', next_attempt_at) FROM outbox WHERE kind = 'payment.sweep' AND dedupe_key = 'payment.sweep@$next'")" \
    "pending $next.000000"
expect "the day's reconciliation is stored: the swept payment matches the bill" \
    "$(sql "SELECT CONCAT(status, ' ', matched, ' ', matched_fen, ' ', actor) FROM recon_reports WHERE bill_date = '$day'")" "clean 1 1500 worker"
expect "the chain's reconciliation ran for yesterday and queued tomorrow's at 10:30 Beijing" \
    "$(sql "SELECT COUNT(*) FROM recon_reports WHERE bill_date = '$(TZ=Asia/Shanghai date -d yesterday +%F)'") $(sql "SELECT COUNT(*)
        FROM outbox WHERE kind = 'payment.recon' AND status = 'pending' AND TIME(next_attempt_at) = '02:30:00'")" "1 1"
expect "a one-off reconciliation queues nothing" "$(sql "SELECT COUNT(*) FROM outbox WHERE kind = 'payment.recon'")" 3

# a minute later (the worker's clock): the next sweep runs and queues its own successor
PREPAY_NOW=$(date -u -d "$next UTC + 5 seconds" '+%Y-%m-%dT%H:%M:%S+00:00') work_all
expect "the next sweep ran" "$(sql "SELECT status FROM outbox WHERE dedupe_key = 'payment.sweep@$next'")" done
after=$(date -u -d "$next UTC + 60 seconds" '+%Y-%m-%d %H:%M:%S')
expect "… and queued the one after" "$(sql "SELECT status FROM outbox WHERE dedupe_key = 'payment.sweep@$after'")" pending
work_all
expect "nothing runs before its time" "$(sql "SELECT COUNT(*) FROM outbox WHERE kind = 'payment.sweep' AND status = 'pending'")" 1
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
