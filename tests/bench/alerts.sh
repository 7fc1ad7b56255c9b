#!/bin/sh
# Alert delivery benchmark (docs/alerts.md), not part of make check:
#   PREPAY_CONF=FILE tests/bench/alerts.sh [BUILDDIR] [-n TENANTS] [-r ALERTS_PER_S] [-s SECONDS] [-t THREADS]
# A site of its own with TENANTS tenants, each with an SMS (Tencent, TC3
# signed) and a webhook contact, a prepay-msg-sandbox, and prepay-worker:
#  1. backlog: TENANTS alerts queued at once (2 messages each), the worker
#     started: messages delivered per second until the last one is done;
#  2. steady load: ALERTS_PER_S alert rows committed per second for SECONDS
#     while the worker runs: delivered per second, and the delay from the
#     alert's commit (outbox.created_at) to the provider's acceptance
#     (outbox_attempts.finished_at of the delivery), p50 / p99 / max.
# The sandbox's own count is compared with the database's (nothing lost,
# nothing doubled).
set -e
BUILD=${1:-.}
case "$BUILD" in -*) BUILD=. ;; *) shift || true ;; esac
N=1000 R=300 SECS=10 THREADS=8
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N=$2; shift 2 ;; -r) R=$2; shift 2 ;; -s) SECS=$2; shift 2 ;; -t) THREADS=$2; shift 2 ;;
	*) echo "usage: $0 [BUILDDIR] [-n TENANTS] [-r ALERTS_PER_S] [-s SECONDS] [-t THREADS]" >&2; exit 2 ;;
	esac
done
[ -n "$PREPAY_CONF" ] || { echo "alerts bench: set PREPAY_CONF" >&2; exit 2; }
PREPAY_BUILDDIR=$(cd "$BUILD" && pwd)
PREPAY_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
export PREPAY_BUILDDIR PREPAY_SRCDIR
set +e
ALERTS_LIBDIR=$PREPAY_SRCDIR/tests/integration
. "$ALERTS_LIBDIR/alerts-lib.sh"
S=alb-$RUN
start_sandbox "threads = $THREADS" "batch = 16" "retry_base_ms = 200" "lease_s = 30" "http_timeout_ms = 5000" "poll_ms = 20" || exit 1
{
	echo "{ \"version\": 1, \"sites\": [ { \"code\": \"$S\", \"name\": \"alerts bench\", \"timezone\": \"Asia/Shanghai\", \"tenants\": ["
	i=1; while [ $i -le "$N" ]; do [ $i -gt 1 ] && echo ","; echo "{ \"code\": \"t$i\", \"name\": \"t$i\" }"; i=$((i + 1)); done
	echo "], \"accounts\": ["
	i=1; while [ $i -le "$N" ]; do [ $i -gt 1 ] && echo ","; echo "{ \"code\": \"a$i\", \"tenant\": \"t$i\" }"; i=$((i + 1)); done
	echo "] } ] }"
} >"$T/park.json"
ctl park import "$T/park.json" >/dev/null || { echo "park import failed" >&2; exit 1; }
ctl alerts settings "$S" --quiet none >/dev/null
SITE_ID=$(sql "SELECT id FROM sites WHERE code = '$S'")
# contacts in bulk (prepayctl contact add is one command per contact)
sql "INSERT INTO alert_contacts (site_id, tenant_id, channel, address)
     SELECT $SITE_ID, t.id, 'sms', CONCAT('+86138', LPAD(t.id % 100000000, 8, '0')) FROM tenants t WHERE t.site_id = $SITE_ID;
     INSERT INTO alert_contacts (site_id, tenant_id, channel, address)
     SELECT $SITE_ID, t.id, 'webhook', 'http://127.0.0.1:$PORT/hook/bench' FROM tenants t WHERE t.site_id = $SITE_ID"

# queue_alerts TAG: one balance_low_1 alert per account, one multi-row INSERT
queue_alerts() {
	sql "INSERT INTO outbox (dedupe_key, kind, account_id, payload)
	     SELECT CONCAT('bench:$RUN:$1:', a.id), 'alert.balance_low_1', a.id,
	       JSON_OBJECT('account_id', a.id, 'account', CONCAT('$S/', a.code), 'kind', 'balance_low_1',
	                   'balance_fen', 9000, 'threshold_fen', 10000)
	     FROM accounts a WHERE a.site_id = $SITE_ID $2"
}
delivered() { sql "SELECT COUNT(*) FROM outbox o JOIN accounts a ON a.id = o.account_id WHERE a.site_id = $SITE_ID AND o.kind LIKE 'msg.%' AND o.status = 'done'"; }
now_ms() { date +%s%3N; }

echo "alerts bench: $N tenants × (SMS + webhook), worker threads $THREADS, sandbox 127.0.0.1:$PORT"
# 1. backlog
queue_alerts backlog ""
t0=$(now_ms)
env -u PREPAY_NOW "$WORKER" -c "$T/alerts.conf" --site "$S" 2>"$T/worker.err" &
W_PID=$!
want=$((N * 2))
while [ "$(delivered)" -lt "$want" ]; do sleep 0.05; done
t1=$(now_ms)
echo "backlog: $want messages delivered in $((t1 - t0)) ms = $((want * 1000 / (t1 - t0))) messages/s"

# 2. steady load: R alerts/s for SECS seconds (ticks of 100 ms), worker running
per_tick=$((R / 10))
before=$(delivered)
t0=$(now_ms)
tick=0
while [ $tick -lt $((SECS * 10)) ]; do
	lo=$((tick * per_tick % (N - per_tick + 1)))
	queue_alerts "s$tick" "ORDER BY a.id LIMIT $per_tick OFFSET $lo"
	tick=$((tick + 1))
	# keep to the schedule: sleep until the next 100 ms tick
	t=$(now_ms); next=$((t0 + tick * 100))
	[ "$next" -gt "$t" ] && sleep "$(printf '0.%03d' $((next - t)))"
done
queued=$(sql "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'bench:$RUN:s%'")
want=$((before + queued * 2))
while [ "$(delivered)" -lt "$want" ]; do sleep 0.05; done
t1=$(now_ms)
echo "steady: $queued alerts (${R}/s offered) → $((want - before)) messages in $((t1 - t0)) ms = $(((want - before) * 1000 / (t1 - t0))) messages/s"
sql "SELECT TIMESTAMPDIFF(MICROSECOND, al.created_at, t.finished_at)
     FROM outbox al JOIN outbox d ON d.dedupe_key LIKE CONCAT('deliver:', al.id, ':%')
     JOIN outbox_attempts t ON t.outbox_id = d.id AND t.outcome = 'done'
     WHERE al.dedupe_key LIKE 'bench:$RUN:s%'" | sort -n >"$T/delays"
n=$(wc -l <"$T/delays")
p() { sed -n "$(( ($n * $1 + 99) / 100 ))p" "$T/delays"; }
echo "commit → delivery over $n messages: p50 $(($(p 50) / 1000)) ms, p99 $(($(p 99) / 1000)) ms, max $(($(tail -n 1 "$T/delays") / 1000)) ms"
kill "$W_PID"; wait "$W_PID" 2>/dev/null; W_PID=
sms=$(sb_count '.channel == "sms:tencent" and .verdict == "Ok"')
hooks=$(sb_count '.channel == "webhook" and .verdict == "200"')
dup=$(sb messages | jq -r 'select(.verdict == "Ok" or .verdict == "200") | .id' | sort | uniq -d | wc -l)
echo "sandbox accepted: $sms SMS + $hooks webhooks, $dup ids seen twice, $(sb stats | jq .signature_failures) signature failures; database says $(delivered) delivered"
