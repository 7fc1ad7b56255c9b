#!/bin/sh
# prepayctl audit finds tampering and names the account. It corrupts a ledger
# on purpose, so it works in a private database: created with the config in
# PREPAY_ADMIN_CONF (a user that may create databases; absolute paths in it),
# migrated, used, dropped. Without PREPAY_ADMIN_CONF the checks are skipped.
if [ -z "${PREPAY_CONF:-}" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
if [ -z "${PREPAY_ADMIN_CONF:-}" ]; then
	echo "ok 1 # SKIP audit tampering needs PREPAY_ADMIN_CONF (a config whose user may create databases)"
	echo "1..1"
	exit 0
fi
B=${PREPAY_BUILDDIR:-.}
CTL="$B/prepayctl"
DB="prepay_audit_test_$$"
T=$(mktemp -d)
export PREPAY_SCHEMA_DIR="${PREPAY_SCHEMA_DIR:-${PREPAY_SRCDIR:-.}/schema}"
ADMIN="$B/tests/integration/ledger-sql $PREPAY_ADMIN_CONF"
n=0 failed=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

$ADMIN exec "CREATE DATABASE $DB" >/dev/null || { echo "Bail out! cannot create database $DB"; exit 1; }
trap '$ADMIN exec "DROP DATABASE IF EXISTS $DB" >/dev/null; rm -rf "$T"' EXIT
# the admin config with the private database's name
awk -v db="$DB" '
	/^[ \t]*\[/ { sec = ($0 ~ /^[ \t]*\[database\]/); print; if (sec) print "name = " db; next }
	sec && /^[ \t]*name[ \t]*=/ { next }
	{ print }' "$PREPAY_ADMIN_CONF" >"$T/conf"
export PREPAY_CONF="$T/conf"
SQL="$B/tests/integration/ledger-sql $T/conf"
"$CTL" db migrate >"$T/out" 2>&1 || { echo "Bail out! cannot migrate $DB:"; sed 's/^/# /' "$T/out"; exit 1; }

A=$($SQL account s1 A 0)
C=$($SQL account s1 C 0)
"$CTL" topup "$A" 100 --request-id r1 >/dev/null &&
"$CTL" topup "$A" 50 --request-id r2 --method pos >/dev/null &&
"$CTL" adjust "$A" -30 --request-id r3 --reason "test" >/dev/null &&
"$CTL" topup "$C" 20 --request-id r4 >/dev/null &&
"$CTL" topup "$C" 5 --request-id r5 >/dev/null
ok $? "a small ledger is posted in the private database"

audit() {	# audit: exit status, report in $T/out
	"$CTL" audit "$@" >"$T/out" 2>"$T/err"
}
audit; st=$?
[ $st -eq 0 ] && grep -q "^clean" "$T/out"; ok $? "audit of an untouched ledger exits 0 and says clean"
grep -q "^total  *5  *175.00  *30.00  *145.00$" "$T/out"
ok $? "the trial balance totals 5 entries, ¥175.00 in, ¥30.00 out, ¥145.00 net"

! $SQL exec "UPDATE ledger_entries SET amount_fen = 1 WHERE account_id = $A" >/dev/null 2>"$T/err" &&
    grep -q "append-only" "$T/err"
ok $? "the database itself refuses to edit a ledger entry (append-only)"
! $SQL exec "DELETE FROM ledger_entries WHERE account_id = $A" >/dev/null 2>&1
ok $? "the database itself refuses to delete a ledger entry"

$SQL exec "UPDATE accounts SET balance_fen = balance_fen + 100 WHERE id = $A" >/dev/null
audit; st=$?
[ $st -eq 1 ] && grep -q "account $A (s1/A): the account shows a balance of ¥121.00 but its 3 ledger entries add up to ¥120.00" "$T/out"
ok $? "a tampered balance: audit exits 1 and names account $A with both amounts"
! grep -q "account $C " "$T/out"; ok $? "the untouched account is not named"
grep -q "all ledger entries add up to ¥145.00 but all account balances add up to ¥146.00" "$T/out"
ok $? "the whole-ledger sum disagrees too, and audit says so"
audit --json; [ $? -eq 1 ] && grep -q '"clean":[[:space:]]*false' "$T/out" && grep -q "\"account_id\":[[:space:]]*$A," "$T/out"
ok $? "audit --json: clean false, the problem names account_id $A"
$SQL exec "UPDATE accounts SET balance_fen = balance_fen - 100 WHERE id = $A" >/dev/null
audit; ok $? "repaired: audit exits 0 again"

$SQL exec "UPDATE accounts SET last_seq = 7 WHERE id = $C" >/dev/null
audit; [ $? -eq 1 ] && grep -q "account $C (s1/C): the account's last_seq is 7 but its last entry is seq 2" "$T/out"
ok $? "a wrong last_seq is named"
$SQL exec "UPDATE accounts SET last_seq = 2 WHERE id = $C" >/dev/null

# past the triggers, as someone with rights on the tables could
$SQL exec "DROP TRIGGER ledger_entries_no_update" >/dev/null
$SQL exec "DROP TRIGGER ledger_entries_no_delete" >/dev/null
$SQL exec "UPDATE ledger_entries SET amount_fen = 6000 WHERE account_id = $A AND seq = 2" >/dev/null
audit; [ $? -eq 1 ] && grep -q "account $A (s1/A): entry seq 2 says the balance after it is ¥150.00, but the balance before it, ¥100.00, plus its amount, ¥60.00, is ¥160.00" "$T/out"
ok $? "an edited entry amount breaks the balance chain, named with seq and amounts"
$SQL exec "UPDATE ledger_entries SET amount_fen = 5000 WHERE account_id = $A AND seq = 2" >/dev/null

$SQL exec "DELETE FROM ledger_entries WHERE account_id = $C AND seq = 1" >/dev/null
audit; [ $? -eq 1 ] && grep -q "account $C (s1/C): entries seq 1 to 1 are missing" "$T/out"
ok $? "a deleted entry shows as a gap in the sequence"

E=$($SQL value "SELECT id FROM ledger_entries WHERE account_id = $A AND seq = 1")
$SQL exec "INSERT INTO payments (provider, out_trade_no, account_id, amount_fen, status, credited_entry_id)
    VALUES ('wechat', 'o-$$', $A, 10000, 'credited', $E)" >/dev/null
audit; [ $? -eq 1 ] && grep -q "was credited by entry $E, a topup of ¥100.00 to account $A from cash" "$T/out"
ok $? "a payment marked credited by a cash entry is named"
# schema 007's payments_credited_whole makes this one impossible to write;
# the audit still names it on a database that predates the constraint
if $SQL exec "INSERT INTO payments (provider, out_trade_no, account_id, amount_fen, status)
    VALUES ('wechat', 'p-$$', $A, 500, 'credited')" >/dev/null 2>&1; then
	audit; grep -q "is credited but names no ledger entry" "$T/out"
	ok $? "a payment marked credited without an entry is named"
else
	ok 0 "a payment marked credited without an entry is refused by the database"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
