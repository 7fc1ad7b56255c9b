#!/bin/sh
# prepayctl topup / adjust against the stack's database: what works, and bad
# input — each refused with a clear message, its documented exit code
# (docs/ledger.md), and nothing written (entries and audit_log rows counted
# before and after). Accounts are made in a site of its own.
if [ -z "${PREPAY_CONF:-}" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
B=${PREPAY_BUILDDIR:-.}
CTL="$B/prepayctl"
SQL="$B/tests/integration/ledger-sql $PREPAY_CONF"
SITE="lc$$$(date +%s | tail -c 6)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 failed=0

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# rows of this site's accounts: ledger entries and audit_log lines
counts() {
	$SQL value "SELECT (SELECT COUNT(*) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
	    JOIN sites s ON s.id = a.site_id WHERE s.code = '$SITE') * 1000000 + (SELECT COUNT(*) FROM audit_log l
	    JOIN accounts a ON l.object_type = 'account' AND a.id = l.object_id JOIN sites s ON s.id = a.site_id
	    WHERE s.code = '$SITE')"
}
# refused NAME EXIT PATTERN -- prepayctl ARGS...: the exit code, the message, nothing written
refused() {
	name=$1 want=$2 pattern=$3
	shift 4
	before=$(counts)
	"$CTL" "$@" >"$T/out" 2>"$T/err"
	got=$?
	after=$(counts)
	if [ "$got" -eq "$want" ] && grep -q -- "$pattern" "$T/err" && [ "$before" = "$after" ]; then
		ok 0 "$name: exit $want, says \"$pattern\", nothing written"
	else
		ok 1 "$name: exit $want, says \"$pattern\", nothing written"
		echo "# exit $got (want $want), rows $before -> $after; stderr:"; sed 's/^/#   /' "$T/err"
	fi
}

A=$($SQL account "$SITE" A 0) || { echo "Bail out! cannot make an account"; exit 1; }
C=$($SQL account "$SITE" C 0)
$SQL exec "UPDATE accounts SET status = 'closed' WHERE id = $C" >/dev/null

before=$(counts)
"$CTL" topup "$A" 100 --request-id "r1-$SITE" --reason "现金 receipt 1" >"$T/out" 2>"$T/err"
ok $? "topup of 100 yuan succeeds"
grep -q "balance now ¥100.00" "$T/out"; ok $? "topup prints the new balance ¥100.00"
[ "$(counts)" -eq $((before + 1000001)) ]; ok $? "topup wrote one entry and one audit_log row"

before=$(counts)
"$CTL" topup "$A" 100 --request-id "r1-$SITE" --reason "retyped" >"$T/out" 2>"$T/err"
ok $? "the same topup again exits 0"
grep -q "Replay: nothing new was posted" "$T/out" && grep -q "balance after it ¥100.00" "$T/out"
ok $? "the replay prints the first result and says it was a replay"
[ "$(counts)" = "$before" ]; ok $? "the replay wrote nothing"

"$CTL" topup "$A" 12.50 --request-id "r2-$SITE" --method bank --json >"$T/out" 2>"$T/err" &&
    grep -q '"replayed":[[:space:]]*false' "$T/out" && grep -q '"balance_after_fen":[[:space:]]*11250' "$T/out"
ok $? "--json topup of 12.50 by bank reports balance_after_fen 11250"
"$CTL" topup "$A" 12.50 --request-id "r2-$SITE" --method bank --json >"$T/out" 2>"$T/err" &&
    grep -q '"replayed":[[:space:]]*true' "$T/out"
ok $? "--json replay says replayed: true"

refused "conflicting replay" 4 "already used" -- topup "$A" 101 --request-id "r1-$SITE"
refused "unknown account" 3 "no account 999999999" -- topup 999999999 5 --request-id "u-$SITE"
refused "unknown SITE/CODE" 3 "no account $SITE/nosuch" -- topup "$SITE/nosuch" 5 --request-id "u-$SITE"
refused "not an account name" 3 "not an account" -- topup "a/b/c" 5 --request-id "u-$SITE"
refused "negative top-up" 3 "more than zero" -- topup "$A" -5 --request-id "n-$SITE"
refused "zero top-up" 3 "more than zero" -- topup "$A" 0 --request-id "n-$SITE"
refused "three decimals" 3 "at most two" -- topup "$A" 12.345 --request-id "n-$SITE"
refused "not a number" 3 "not an amount" -- topup "$A" 1e3 --request-id "n-$SITE"
refused "absurd amount" 3 "not an amount" -- topup "$A" 99999999999999 --request-id "n-$SITE"
refused "above [ledger] max_topup_fen" 3 "top-up limit" -- topup "$A" 2000000 --request-id "n-$SITE"
refused "missing request id" 2 "request-id is required" -- topup "$A" 5
refused "overlong request id" 3 "request id must be 1 to 120" -- topup "$A" 5 --request-id "$(printf 'k%.0s' $(seq 121))"
refused "request id with a space" 3 "request id must be" -- topup "$A" 5 --request-id "two words"
refused "overlong reason" 3 "reason must be at most 255" -- topup "$A" 5 --request-id "l-$SITE" --reason "$(printf 'r%.0s' $(seq 256))"
refused "unknown method" 2 "method must be cash, bank or pos" -- topup "$A" 5 --request-id "m-$SITE" --method card
refused "closed account" 4 "closed" -- topup "$C" 5 --request-id "c-$SITE"
refused "adjust without a reason" 2 "reason is required" -- adjust "$A" -5 --request-id "a-$SITE"
refused "adjust without a sign" 3 "direction" -- adjust "$A" 5 --request-id "a-$SITE" --reason x
refused "adjust below the floor" 4 "below its floor" -- adjust "$A" -500 --request-id "a-$SITE" --reason "too much"
refused "adjust above [ledger] max_adjust_fen" 3 "adjustment limit" -- adjust "$A" +2000000 --request-id "a-$SITE" --reason x

"$CTL" adjust "$A" -12.50 --request-id "a-$SITE" --reason "bank fee charged twice" >"$T/out" 2>"$T/err" &&
    grep -q "balance now ¥100.00" "$T/out"
ok $? "adjust -12.50 with a reason succeeds (balance ¥100.00)"
"$CTL" adjust "$SITE/C" +3 --request-id "ac-$SITE" --reason "correction after move-out" >"$T/out" 2>"$T/err"
ok $? "a closed account, named SITE/CODE, still takes an adjustment"
[ "$($SQL value "SELECT COUNT(*) FROM audit_log WHERE request_id = 'a-$SITE' AND action = 'account.adjust'
    AND actor LIKE 'operator:%' AND detail LIKE '%bank fee charged twice%'")" = 1 ]
ok $? "the adjustment's audit_log row names the operator and the reason"
[ "$($SQL value "SELECT balance_fen FROM accounts WHERE id = $A")" = 10000 ]
ok $? "the account's balance is 10000 fen"
"$CTL" audit >"$T/out" 2>"$T/err"
ok $? "prepayctl audit is clean"
echo "1..$n"
[ "$failed" -eq 0 ]
