#!/bin/bash
# A MariaDB restart under load (issue 5): sandbox payments stream in while
# the database is stopped (SIGTERM) and started again, then killed (-9) and
# started again. prepay-api must live through it (503 while the database is
# away, so WeChat Pay retries); afterwards every paid order is credited
# exactly once, the balances add up and prepayctl audit is clean.
#
# The shared server must never be stopped, so this test runs a MariaDB of
# its own (a temporary datadir, a private socket, no networking), migrates
# a database there and points its private payment stack (pay-lib.sh) at it.
if [ -z "$PREPAY_CONF" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
: "${PREPAY_BUILDDIR:=.}"
: "${PREPAY_SRCDIR:=.}"
: "${PREPAY_SCHEMA_DIR:=$PREPAY_SRCDIR/schema}"
for p in mariadbd mariadb-install-db mariadb; do
	if ! command -v "$p" >/dev/null; then
		echo "1..0 # SKIP needs $p (apt-get install mariadb-server)"
		exit 0
	fi
done

D=$(mktemp -d "${TMPDIR:-/tmp}/prepay-dbr.XXXXXX")
MDB_PID=
mdb_cleanup() {
	if [ -n "$MDB_PID" ]; then
		kill -TERM "$MDB_PID" 2>/dev/null
		wait "$MDB_PID" 2>/dev/null
	fi
	rm -rf "$D"
}
trap mdb_cleanup EXIT
# the same options on every start: a small server that starts in a second
mdb_start() {
	mariadbd --no-defaults --datadir="$D/data" --socket="$D/sock" --pid-file="$D/mariadbd.pid" \
	    --skip-networking --user=root --innodb-buffer-pool-size=32M --max-connections=200 \
	    --log-error="$D/mariadbd.err" 2>>"$D/mariadbd.out" &
	MDB_PID=$!
}
mdb_up() {
	i=0
	while [ $i -lt 600 ]; do
		mariadb --no-defaults -S "$D/sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && return 0
		kill -0 "$MDB_PID" 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# mdb_stop SIGNAL: stop it by PID and wait until it is gone
mdb_stop() {
	kill "-$1" "$MDB_PID"
	wait "$MDB_PID" 2>/dev/null
	MDB_PID=
}

if ! mariadb-install-db --no-defaults --datadir="$D/data" --user=root --auth-root-authentication-method=socket \
	    --force --skip-test-db >"$D/install.log" 2>&1; then
	echo "1..0 # SKIP mariadb-install-db failed"
	sed 's/^/# /' "$D/install.log" | tail -n 10
	exit 0
fi
mdb_start
if ! mdb_up || ! mariadb --no-defaults -S "$D/sock" -u root -e 'CREATE DATABASE prepay' 2>"$D/create.err"; then
	echo "1..0 # SKIP the private MariaDB did not start"
	sed 's/^/# /' "$D/mariadbd.err" "$D/create.err" | tail -n 10
	exit 1
fi
cat >"$D/db.conf" <<CONF
[database]
socket = $D/sock
name = prepay
user = root
CONF
if ! PREPAY_SCHEMA_DIR="$PREPAY_SCHEMA_DIR" "$PREPAY_BUILDDIR/prepayctl" -c "$D/db.conf" db migrate >"$D/migrate.log" 2>&1; then
	echo "1..0 # SKIP cannot migrate the private database"
	sed 's/^/# /' "$D/migrate.log" | tail -n 10
	exit 1
fi

# from here on everything (pay-lib's stack, sql, prepayctl) uses the private database
export PREPAY_CONF="$D/db.conf"
PAY_API_THREADS=4
# pay-lib.sh (and ctl-lib.sh) set their own EXIT traps and may exit early:
# whatever they install, the private MariaDB is stopped after it
trap() {
	if [ $# = 2 ] && [ "$2" = EXIT ]; then builtin trap "$1; mdb_cleanup" EXIT; else builtin trap "$@"; fi
}
. "$PREPAY_SRCDIR/tests/integration/pay-lib.sh"
unset -f trap
diag() { printf '# %s\n' "$*"; }

N=150
A1=$(acc a1) A2=$(acc a2) A3=$(acc a3)
: >"$T/orders"
for i in $(seq 1 $N); do
	case $((i % 3)) in 0) a=$A1 ;; 1) a=$A2 ;; *) a=$A3 ;; esac
	topup "$a" $((100 + i)) wechat_native
	[ "$code" = 201 ] && [ -n "$NO" ] && echo "$NO" >>"$T/orders"
done
expect "$N sandbox orders placed" "$(wc -l <"$T/orders")" $N
orders_in() { sed "s/.*/'&'/" "$T/orders" | paste -sd, -; }
IN=$(orders_in)
credited() { sql "SELECT COUNT(*) FROM payments WHERE out_trade_no IN ($IN) AND status = 'credited'" 2>/dev/null; }

# the stream: one sandbox payment every 40 ms, each delivered to our notify
# URL at once and retried on WeChat Pay's (time-scaled) schedule
(
	while read -r no; do
		curl -s -m 30 -X POST -d '{}' "$SB/sandbox/pay/$no" >/dev/null &
		echo "$no" >>"$T/fired"
		sleep 0.04
	done <"$T/orders"
	wait
) &
stream=$!
fired() { [ -f "$T/fired" ] && wc -l <"$T/fired" || echo 0; }
# wait_fired COUNT: until the stream has fired COUNT payments (or has ended)
wait_fired() {
	while [ "$(fired)" -lt "$1" ] && kill -0 "$stream" 2>/dev/null; do sleep 0.05; done
}

wait_fired 30
at=$(fired)
mdb_stop TERM
# down for a moment while payments keep coming: they get 503 and are retried
sleep 1.5
mdb_start
check "MariaDB stopped (SIGTERM) with $at of $N payments fired, and started again" mdb_up
wait_fired 90
at=$(fired)
mdb_stop KILL
sleep 1.5
mdb_start
check "MariaDB killed (-9) with $at of $N payments fired, and started again (crash recovery)" mdb_up
wait "$stream"
expect "all $N payments fired" "$(fired)" $N

# WeChat Pay's retries (15 s … 3 h / time_scale) bring the rest in
i=0
while [ "$(credited)" != $N ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
c=$(credited)
diag "credited through notifications within $((i / 10)) s of the last payment: $c of $N"
# anything the notifications did not settle: the query path (GET polls WeChat Pay)
if [ "$c" != $N ]; then
	for no in $(sql "SELECT out_trade_no FROM payments WHERE out_trade_no IN ($IN) AND status <> 'credited'"); do
		curl -s -o /dev/null "$URL/api/v1/topups/$no"
	done
fi

check "prepay-api lived through both restarts" kill -0 "$API_PID"
check "prepay-api is healthy again" healthy
# the restarts met payments in flight: some deliveries were not answered 2xx
for no in $(cat "$T/orders"); do
	curl -s "$SB/sandbox/orders/$no" | jq -r '.deliveries[].status'
done >"$T/deliveries"
bad=$(grep -cv '^2' "$T/deliveries")
diag "sandbox deliveries: $(sort "$T/deliveries" | uniq -c | awk '{ printf "%s×%s ", $2, $1 }')"
check "the restarts hit payments in flight (deliveries answered 5xx or not at all)" [ "$bad" -gt 0 ]
diag "credited via: $(sql "SELECT GROUP_CONCAT(CONCAT(credited_via, ' ', n) SEPARATOR ', ') FROM
    (SELECT credited_via, COUNT(*) n FROM payments WHERE out_trade_no IN ($IN) GROUP BY credited_via) x")"
expect "every paid order credited" "$(credited)" $N
expect "exactly one ledger entry per order" \
    "$(sql "SELECT COUNT(*), COUNT(DISTINCT e.idem_key) FROM payments p JOIN ledger_entries e ON e.idem_key = CONCAT('wechat:', p.transaction_id)
        WHERE p.out_trade_no IN ($IN)" | tr '\t' ' ')" "$N $N"
expect "no other top-up entries on the accounts" \
    "$(sql "SELECT COUNT(*) FROM ledger_entries WHERE account_id IN ($A1, $A2, $A3) AND kind = 'topup'")" $N
expect "the balances add up to the orders" \
    "$(sql "SELECT SUM(balance_fen) FROM accounts WHERE id IN ($A1, $A2, $A3)")" \
    "$(sql "SELECT SUM(amount_fen) FROM payments WHERE out_trade_no IN ($IN)")"
expect "no payment went to review" "$(sql "SELECT COUNT(*) FROM payment_reviews")" 0
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/out" "$T/err" | tail -n 15
done_testing
