#!/bin/sh
# Shared meters and line loss through the statement run (docs/statements.md,
# "Shared meters and line loss"): a shared meter on the site's common
# account apportioned by area, fixed and consumption share — parts add up
# to the source's cost exactly, one ledger entry per tenant, corrections as
# new entries, re-runs post nothing — and a master meter's line loss
# reported and apportioned. On a park of this run's own.
. "${PREPAY_SRCDIR:-.}/tests/integration/ctl-lib.sh"

F=$T/park.json
S=demo-$RUN
# the demo park, with a common account (keep power) that the shared meter m18 is rated into
jq --arg s "-$RUN" '.sites[].code |= . + $s
    | .sites[0].tenants += [{"code": "park", "name": "物业公共"}]
    | .sites[0].accounts += [{"code": "common-e", "tenant": "park", "energy": "electricity",
        "overdraft": "100000.00", "keep_power": true}]
    | (.sites[0].meters[] | select(.code == "m18")).account = "common-e"' \
    "$PREPAY_SRCDIR/deploy/demo-park.json" >"$F"
run_ctl park import "$F"
check "the park with a common account is imported" [ "$rc" = 0 ]
run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/commercial-flat.json" --site "$S" --code flat
for a in t01-e t02-e t03-e t04-e common-e; do
	run_ctl tariff assign "$S/$a" flat
done
SITE_ID=$(sql "SELECT id FROM sites WHERE code = '$S'")
acct() { sql "SELECT a.id FROM accounts a WHERE a.site_id = $SITE_ID AND a.code = '$1'"; }
A1=$(acct t01-e) A2=$(acct t02-e) A3=$(acct t03-e) A4=$(acct t04-e) AC=$(acct common-e)
M18=$(sql "SELECT id FROM meters WHERE site_id = $SITE_ID AND code = 'm18'")
M17=$(sql "SELECT id FROM meters WHERE site_id = $SITE_ID AND code = 'm17'")

# next month, site time (Asia/Shanghai)
M=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-15) +1 month" +%Y-%m)
P=$(echo "$M" | tr -d -)
NEXT=$(TZ=Asia/Shanghai date -d "${M}-15 +1 month" +%Y-%m)
run_ctl consume "$S/m01" --start "${M}-01T08:00" --end "${M}-03T08:00" --energy 100
run_ctl consume "$S/m02" --start "${M}-01T08:00" --end "${M}-03T08:00" --energy 50
run_ctl consume "$S/m03" --start "${M}-01T08:00" --end "${M}-03T08:00" --energy 30
run_ctl consume "$S/m18" --start "${M}-01T08:00" --end "${M}-03T08:00" --energy 77.777
check "the shared meter's readings are rated into the common account" \
    [ "$(sql "SELECT COUNT(*) FROM consumption WHERE meter_id = $M18 AND account_id = $AC")" -ge 1 ]

expect_fail "fixed shares need --share for each account" 2 "needs its --share" \
    meter share "$S/m18" --rule fixed --account "$S/t01-e"
expect_fail "--share is only for the fixed rule" 2 "only for --rule fixed" \
    meter share "$S/m18" --rule area --account "$S/t01-e" --share 5
expect_fail "the common account does not share its own meter" 3 "credited back" \
    meter share "$S/m18" --rule area --account "$S/common-e"
expect_fail "an unknown rule is refused" 2 "is not area, fixed, consumption or none" \
    meter share "$S/m18" --rule floor
check "the refusals stored nothing" [ "$(sql "SELECT COUNT(*) FROM meter_apportion WHERE meter_id = $M18")" = 0 ]

SRC_FEN=$(sql "SELECT ROUND(SUM(rated_nyuan) / 10000000) FROM consumption WHERE meter_id = $M18 AND period = $P")
# the shares as the largest-remainder split says, computed here independently
expect_split() {	# SOURCE W1 W2 W3 → three parts
	echo "$@" | awk '{ s = $1; t = $2 + $3 + $4; left = s
		for (i = 1; i <= 3; i++) { q[i] = int(s * $(i + 1) / t); r[i] = s * $(i + 1) - q[i] * t; left -= q[i] }
		while (left > 0) { b = 0; for (i = 1; i <= 3; i++) if (b == 0 || r[i] > r[b]) b = i; q[b]++; r[b] = -1; left-- }
		print q[1], q[2], q[3] }'
}
shares() { sql "SELECT share_fen FROM share_allocations WHERE meter_id = $1 AND period = $P AND account_id IN ($A1, $A2, $A3) ORDER BY account_id" | tr '\n' ' ' | sed 's/ $//'; }
ledger_share() {	# what the ledger charged ACCOUNT for meter CODE's shares
	sql "SELECT IFNULL(-SUM(amount_fen), 0) FROM ledger_entries WHERE account_id = $1 AND reference = 'share:$2:$P'"
}
share_entries() { sql "SELECT COUNT(*) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id WHERE a.site_id = $SITE_ID AND e.reference LIKE 'share:%'"; }
ledger_matches() {	# every account's ledger carries exactly its allocations
	[ "$(ledger_share "$A1" "$1")" = "$(sql "SELECT share_fen FROM share_allocations WHERE meter_id = $2 AND period = $P AND account_id = $A1")" ] &&
	[ "$(ledger_share "$A2" "$1")" = "$(sql "SELECT share_fen FROM share_allocations WHERE meter_id = $2 AND period = $P AND account_id = $A2")" ] &&
	[ "$(ledger_share "$A3" "$1")" = "$(sql "SELECT share_fen FROM share_allocations WHERE meter_id = $2 AND period = $P AND account_id = $A3")" ]
}
statements_ok() {	# no mismatch on the site's statements
	[ "$(sql "SELECT COUNT(*) FROM statements s JOIN accounts a ON a.id = s.account_id WHERE a.site_id = $SITE_ID AND s.period = $P AND (s.mismatch = 1 OR s.usage_fen <> s.debited_fen)")" = 0 ]
}

# --- by area (units.area_m2_e2: A101 85.50, A102 62.00, A103 48.25 m2) ----------
run_ctl meter share "$S/m18" --rule area --account "$S/t01-e" --account "$S/t02-e" --account "$S/t03-e"
check "meter share by area" grep -q "rule area, 3 accounts" "$T/out"
run_ctl statement run --month "$M" --site "$S"
check "statement run with a shared meter: all equal" grep -q "(all equal)" "$T/out"
check "area: the parts are the largest-remainder split of the cost" \
    [ "$(shares "$M18")" = "$(expect_split "$SRC_FEN" 8550 6200 4825)" ]
check "area: the parts add up to the source's cost exactly" \
    [ "$(sql "SELECT SUM(share_fen) FROM share_allocations WHERE meter_id = $M18 AND period = $P AND share_fen > 0")" = "$SRC_FEN" ]
area_entries() { [ "$(share_entries)" = 4 ] && ledger_matches m18 "$M18"; }
check "area: one ledger entry per tenant (and the credit), equal to its part" area_entries
check "area: the common account is credited the cost back" [ "$(ledger_share "$AC" m18)" = "-$SRC_FEN" ]
check "area: statements agree" statements_ok
run_ctl statement show "$S/t01-e" --month "$M"
check "the tenant's statement shows the source meter and the shares" \
    grep -q "shared meter m18: .* area share: yours 85.50 m2 of 195.75 m2" "$T/out"
run_ctl statement show "$S/t01-e" --month "$M" --format json
check "json: usage (shares included) equals what was debited" \
    [ "$(jq -r '.usage_yuan == .debited_yuan and ([.lines[] | select(.section == "share")] | length) == 1' "$T/out")" = true ]
run_ctl statement run --month "$M" --site "$S"
check "re-run: nothing posted, nothing changed" sh -c "[ $(share_entries) = 4 ] && grep -q ' 0 new, 0 changed, ' '$T/out'"

# --- fixed shares 50 / 30 / 20: the differences are posted as new entries -----
run_ctl meter share "$S/m18" --rule fixed --account "$S/t01-e" --share 50 --account "$S/t02-e" --share 30 \
    --account "$S/t03-e" --share 20
run_ctl statement run --month "$M" --site "$S"
check "fixed: statement run all equal" grep -q "(all equal)" "$T/out"
check "fixed: the parts are the split 50:30:20" [ "$(shares "$M18")" = "$(expect_split "$SRC_FEN" 50 30 20)" ]
check "fixed: the ledger carries exactly the new parts (corrections, no edits)" ledger_matches m18 "$M18"
check "fixed: statements agree" statements_ok
n_fixed=$(share_entries)
run_ctl statement run --month "$M" --site "$S"
check "fixed: re-run posts nothing" [ "$(share_entries)" = "$n_fixed" ]

# --- consumption share: the tenants' own usage of the month (100 / 50 / 30) ------
run_ctl meter share "$S/m18" --rule consumption --account "$S/t01-e" --account "$S/t02-e" --account "$S/t03-e"
run_ctl statement run --month "$M" --site "$S"
check "consumption: statement run all equal" grep -q "(all equal)" "$T/out"
check "consumption: the parts follow the usage" [ "$(shares "$M18")" = "$(expect_split "$SRC_FEN" 100000 50000 30000)" ]
check "consumption: the ledger carries exactly the parts" ledger_matches m18 "$M18"
check "the common account still nets the cost exactly" [ "$(ledger_share "$AC" m18)" = "-$SRC_FEN" ]

# --- line loss: master m17 (no account) over m01..m03 --------------------------------
utc() { TZ=UTC date -d "$1" '+%F %T'; }
sql "INSERT INTO readings (meter_id, read_at, register_milli, energy_milli, verdict) VALUES
    ($M17, '$(utc "${M}-01T00:00+08:00 -1 hour")', 2500000, 1000000000, 'ok'),
    ($M17, '$(utc "${NEXT}-01T00:00+08:00 -1 hour")', 3000000, 1000200000, 'ok')"
run_ctl meter share "$S/m17" --rule none --submeters m01,m02,m03
check "a master meter with its sub-meters" grep -q "master meter (line loss), rule none, 0 accounts, 3 sub-meters" "$T/out"
run_ctl statement run --month "$M" --site "$S"
run_ctl meter loss --month "$M" --site "$S"
check "line loss reported: master 200 kWh, sub-meters 180, loss 20 (10%)" \
    grep -q "$S/m17 .*200\.000 .*180\.000 .*20\.000 .*10\.00" "$T/out"
LOSS_FEN=$(sql "SELECT loss_fen FROM line_losses WHERE master_id = $M17 AND period = $P")
SUB=$(sql "SELECT SUM(c.rated_nyuan) FROM consumption c JOIN meters m ON m.id = c.meter_id WHERE m.site_id = $SITE_ID AND m.code IN ('m01', 'm02', 'm03') AND c.period = $P")
check "the loss is priced at the sub-meters' average price" \
    [ "$LOSS_FEN" = "$(echo "$SUB" | awk '{ printf "%d", $1 * 20 / 180 / 10000000 + 0.5 }')" ]
check "rule none: reported, nothing charged" [ "$(sql "SELECT COUNT(*) FROM share_allocations WHERE meter_id = $M17")" = 0 ]
run_ctl meter share "$S/m17" --rule area --account "$S/t01-e" --account "$S/t02-e" --account "$S/t03-e"
run_ctl statement run --month "$M" --site "$S"
check "loss apportioned by area: the split adds up to the loss" \
    [ "$(shares "$M17")" = "$(expect_split "$LOSS_FEN" 8550 6200 4825)" ]
check "loss: the ledger carries the parts" ledger_matches m17 "$M17"
check "loss: statements agree" statements_ok
run_ctl statement show "$S/t02-e" --month "$M"
check "the statement shows the line loss line" grep -q "line loss of master meter m17" "$T/out"

# a split that cannot be made (consumption share, but the sharer used nothing) posts nothing and says so
n_before=$(share_entries)
run_ctl meter share "$S/m18" --rule consumption --account "$S/t05-e"
run_ctl statement run --month "$M" --site "$S"
check "an impossible split: exit 1, named, nothing posted" \
    sh -c "[ $rc = 1 ] && grep -q 'm18 $M: cannot apportion' '$T/err' && [ $(share_entries) = $n_before ]"

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
