#!/bin/sh
# The billing jobs (docs/statements.md, "Month end"): standing charges for
# an account whose meters send nothing (prepayctl fixed-charges run and the
# worker's billing.fixed), and the month-end statement run (billing.month)
# through prepay-worker — once. One-off job rows name this run's site, and
# the worker runs with --site, so the shared database's other rows wait.
. "${PREPAY_SRCDIR:-.}/tests/integration/ctl-lib.sh"

WORKER="$PREPAY_BUILDDIR/prepay-worker"
F=$T/park.json
demo_copy "$F"
S=demo-$RUN
run_ctl park import "$F"
check "the park is imported" [ "$rc" = 0 ]
run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/commercial-flat.json" --site "$S" --code flat
run_ctl tariff assign "$S/t01-e" flat
run_ctl tariff assign "$S/t04-e" flat
SITE_ID=$(sql "SELECT id FROM sites WHERE code = '$S'")
A1=$(sql "SELECT id FROM accounts WHERE site_id = $SITE_ID AND code = 't01-e'")
A4=$(sql "SELECT id FROM accounts WHERE site_id = $SITE_ID AND code = 't04-e'")

M=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-15) +1 month" +%Y-%m)
P=$(echo "$M" | tr -d -)
NEXT=$(TZ=Asia/Shanghai date -d "${M}-15 +1 month" +%Y-%m)
DAYS=$(TZ=UTC date -d "${NEXT}-01 -1 day" +%d)
# the monthly meter rental (15.00 yuan) through day N, as charged cumulatively: half up to the fen
rental() { echo "$1 $DAYS" | awk '{ printf "%d", (1500 * $1 * 2 + $2) / ($2 * 2) }'; }
charged() { sql "SELECT IFNULL(-SUM(amount_fen), 0) FROM ledger_entries WHERE account_id = $A4 AND reference = 'charges:electricity:$P'"; }
# (by reference: a running stack's own billing.fixed may charge today's days meanwhile)
entries() { sql "SELECT COUNT(*) FROM ledger_entries WHERE account_id = $A4 AND reference = 'charges:electricity:$P'"; }

expect_fail "a bad date is a usage error" 2 "is not a date" fixed-charges run --account "$S/t04-e" --date "${M}-32"
run_ctl fixed-charges run --account "$S/t04-e" --date "${M}-03"
check "fixed-charges run charges an idle account" grep -q "1 account tariffs, 1 charged now" "$T/out"
check "three days of the monthly rental, to the fen" [ "$(charged)" = "$(rental 3)" ]
n=$(entries)
run_ctl fixed-charges run --account "$S/t04-e" --date "${M}-03"
check "the same day again charges nothing" sh -c "grep -q ', 0 charged now' '$T/out' && [ $(entries) = $n ]"

# the worker's billing.fixed, a one-off for this site through the 5th
sql "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES
    ('billing.fixed:test:$RUN', 'billing.fixed', $A4, '{\"site_id\": $SITE_ID, \"date\": \"${M}-05\"}')"
"$WORKER" -c "$PREPAY_CONF" --once --site "$S" >"$T/w.out" 2>"$T/w.err"
check "worker billing.fixed: done" [ "$(sql "SELECT status FROM outbox WHERE dedupe_key = 'billing.fixed:test:$RUN'")" = done ]
check "worker billing.fixed: charged through the 5th" [ "$(charged)" = "$(rental 5)" ]

# month end: usage in M, then the worker at 00:30 and 02:00 on the 1st of the month after
run_ctl consume "$S/m01" --start "${M}-02T08:00" --end "${M}-04T08:00" --energy 42.5
month_job() {	# queue a one-off billing.month for this site, run the worker at $1
	sql "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES
	    ('billing.month:test:$RUN:$2', 'billing.month', $A1, '{\"site_id\": $SITE_ID}')"
	PREPAY_NOW="$1" "$WORKER" -c "$PREPAY_CONF" --once --site "$S" >"$T/w.out" 2>"$T/w.err"
}
answer() { sql "SELECT a.answer FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id WHERE o.dedupe_key = 'billing.month:test:$RUN:$1' ORDER BY a.id DESC LIMIT 1"; }
stmts() { sql "SELECT COUNT(*) FROM statements s JOIN accounts a ON a.id = s.account_id WHERE a.site_id = $SITE_ID AND s.period = $P"; }
month_job "${NEXT}-01T00:30:00+08:00" 1
check "00:30 on the 1st: the month just ended is not run yet (an hour's grace)" [ "$(stmts)" = 0 ]
month_job "${NEXT}-01T02:00:00+08:00" 2
check "02:00 on the 1st: the month's statements are made" \
    [ "$(stmts)" = "$(sql "SELECT COUNT(*) FROM accounts WHERE site_id = $SITE_ID")" ]
check "the job says so" sh -c "answer=\"$(answer 2)\"; echo \"\$answer\" | grep -q 'period=$P sites_run=1 '"
check "the run is recorded once" [ "$(sql "SELECT COUNT(*) FROM statement_runs WHERE site_id = $SITE_ID AND period = $P")" = 1 ]
check "the statements add up (usage = debits)" \
    [ "$(sql "SELECT COUNT(*) FROM statements s JOIN accounts a ON a.id = s.account_id WHERE a.site_id = $SITE_ID AND s.period = $P AND s.mismatch = 0 AND s.usage_fen = s.debited_fen")" = "$(stmts)" ]
gen=$(sql "SELECT MAX(generated_at) FROM statements s JOIN accounts a ON a.id = s.account_id WHERE a.site_id = $SITE_ID AND s.period = $P")
month_job "${NEXT}-03T10:00:00+08:00" 3
check "later in the month: already run, nothing again" sh -c "echo \"$(answer 3)\" | grep -q 'sites_run=0 already=1'"
check "the statements were not regenerated" \
    [ "$(sql "SELECT MAX(generated_at) FROM statements s JOIN accounts a ON a.id = s.account_id WHERE a.site_id = $SITE_ID AND s.period = $P")" = "$gen" ]
run_ctl statement show "$S/t04-e" --month "$M"
check "the idle account's statement shows its standing charge" grep -q "meter-rental (monthly" "$T/out"

check "the billing chains are registered and started by the migration" \
    [ "$(sql "SELECT COUNT(*) FROM outbox WHERE dedupe_key IN ('billing.fixed:start', 'billing.month:start')")" = 2 ]
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
