# Shared by pay-refund.sh and pay-settle.sh (sourced): the private payment
# stack of pay-lib.sh, plus prepay-worker runs that carry out this test's
# own refund rows (--site), quick retries, and helpers for refunds.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

# retries within a test's patience: 50 ms, 100 ms, … capped at 200 ms
printf '\n[worker]\nthreads = 2\nretry_base_ms = 50\nretry_max_ms = 200\nmax_attempts = 6\n' >>"$CONF"

# paid ACCOUNT FEN: a top-up paid through the sandbox and credited; $NO
paid() {
	topup "$1" "$2"
	curl -s -X POST -d '{}' "$SB/sandbox/pay/$NO" >/dev/null
}
# plan OUT_TRADE_NO JSON: what the sandbox does to refunds of that order
plan() {
	curl -s -X POST -d "$2" "$SB/sandbox/refund-plan/$1" >/dev/null
}
# work [N]: prepay-worker --once for this test's site, up to N rounds (default 1)
work() {
	for _ in $(seq "${1:-1}"); do
		"$PREPAY_BUILDDIR/prepay-worker" -c "$CONF" --once --site "$PAY_SITE" >>"$T/worker.out" 2>>"$T/worker.log"
	done
}
# until_sql QUERY WANTED [ROUNDS]: worker rounds until the query answers WANTED
until_sql() {
	for _ in $(seq "${3:-40}"); do
		[ "$(sql "$1")" = "$2" ] && return 0
		work
		sleep 0.1
	done
	[ "$(sql "$1")" = "$2" ]
}
refund_status() { sql "SELECT status FROM refunds WHERE out_refund_no = '$1'"; }
# attempts of an outbox row, as outcome:http_status in order
attempts() {
	sql "SELECT GROUP_CONCAT(CONCAT(a.outcome, ':', a.http_status) ORDER BY a.attempt_no SEPARATOR ' ')
	    FROM outbox o JOIN outbox_attempts a ON a.outbox_id = o.id WHERE o.dedupe_key = '$1'"
}
