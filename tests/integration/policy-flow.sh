#!/bin/sh
# The account policy end to end against $PREPAY_CONF, with the clock set
# through PREPAY_NOW: alerts once per crossing, the cut after grace with
# relay commands, restore by top-up, keep-power, emergency credit, friendly
# hours, and a clean ledger audit at the end. Consumption debits go through
# tests/integration/policy-debit (ledger + policy in one transaction, as
# the poller does).
. "$(dirname "$0")/ctl-lib.sh"

DEBIT="$PREPAY_BUILDDIR/tests/integration/policy-debit"
S=pol-$RUN
cat >"$T/park.json" <<EOF
{ "version": 1, "sites": [ {
  "code": "$S", "name": "policy test", "timezone": "Asia/Shanghai",
  "calendar": { "holidays": [ { "date": "2026-03-11", "name": "test holiday" } ] },
  "tenants": [ { "code": "t1", "name": "shop" }, { "code": "t2", "name": "cold store" },
               { "code": "t3", "name": "canteen" }, { "code": "t4", "name": "office" } ],
  "accounts": [ { "code": "a1", "tenant": "t1", "energy": "electricity" },
                { "code": "a2", "tenant": "t2", "energy": "electricity" },
                { "code": "a3", "tenant": "t3", "energy": "electricity" },
                { "code": "a4", "tenant": "t4", "energy": "electricity" } ],
  "gateways": [ { "code": "gw1", "transport": "tcp", "host": "127.0.0.1", "port": 15099 } ],
  "meters": [
    { "code": "m1", "profile": "hiking-dds238", "gateway": "gw1", "address": 1, "account": "a1", "relay": true },
    { "code": "m2", "profile": "acrel-ddsy1352", "gateway": "gw1", "address": 2, "account": "a1", "relay": true },
    { "code": "m3", "profile": "chint-ddsu666", "gateway": "gw1", "address": 3, "account": "a1" },
    { "code": "m4", "profile": "hiking-dds238", "gateway": "gw1", "address": 4, "account": "a2", "relay": true },
    { "code": "m5", "profile": "hiking-dds238", "gateway": "gw1", "address": 5, "account": "a3", "relay": true },
    { "code": "m6", "profile": "hiking-dds238", "gateway": "gw1", "address": 6, "account": "a4", "relay": true } ]
} ] }
EOF
run_ctl park import "$T/park.json"
check "a park of our own imports" [ "$rc" = 0 ]
acc() { sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$S' AND a.code = '$1'"; }
A=$(acc a1) B=$(acc a2) C=$(acc a3) D=$(acc a4)

# the policy's own messages (a top-up's payment-received receipt is not one)
kinds() { sql "SELECT COALESCE(GROUP_CONCAT(kind ORDER BY id SEPARATOR ' '), '') FROM outbox WHERE account_id = $1 AND kind <> 'alert.payment_received'"; }
relays() { sql "SELECT COALESCE(GROUP_CONCAT(CONCAT(action, ':', status) ORDER BY id SEPARATOR ' '), '') FROM relay_commands WHERE account_id = $1"; }
entries() { sql "SELECT COUNT(*) FROM ledger_entries WHERE account_id = $1"; }
# debit ACCOUNT FEN: consumption through the ledger and the policy
debit() {
	n_debit=$((${n_debit:-0} + 1))
	"$DEBIT" "$1" "$2" "pol-$RUN-debit-$n_debit" >"$T/debit" 2>&1
}
# expect NAME ACTUAL WANTED
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   got:    $2"; echo "#   wanted: $3"; fi
}

# Wednesday 4 March 2026, 10:00 in Shanghai: a working day
export PREPAY_NOW=2026-03-04T10:00:00+08:00
run_ctl site policy "$S" --level1 100 --level2 30 --grace-min 30 --emergency-credit 50 --reason "policy test"
check "site policy: saved" [ "$rc" = 0 ]
check "site policy: printed" grep -q "alerts below ¥100.00 (level 1) and ¥30.00 (level 2)" "$T/out"
expect "site policy: audited with before and after" \
    "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'site.policy' AND detail LIKE '%\"site\":\"$S\"%' AND detail LIKE '%\"after\"%'")" 1
expect_fail "site policy: level 2 above level 1 refused" 3 "must not be above level 1" \
    site policy "$S" --level2 200 --reason x
expect_fail "site policy: a bad night window refused" 3 "write local times like 22:00-08:00" \
    site policy "$S" --no-cut-night 22-8
expect "site policy: a refusal changes nothing" \
    "$(sql "SELECT level2_fen FROM site_policies p JOIN sites s ON s.id = p.site_id WHERE s.code = '$S'")" 3000

# --- A: drain, one message per crossing, cut after grace, restore by top-up
run_ctl topup "$A" 150 --request-id "pol-$RUN-a-top1"
check "A: topped up" [ "$rc" = 0 ]
expect "A: no alert above the levels" "$(kinds "$A")" ""
run_ctl adjust "$A" -60 --request-id "pol-$RUN-a-adj1" --reason "test drain"
expect "A: below ¥100 → one balance_low_1" "$(kinds "$A")" "alert.balance_low_1"
debit "$A" 500
expect "A: further down, still above ¥30: nothing new" "$(kinds "$A")" "alert.balance_low_1"
debit "$A" 6000
expect "A: below ¥30 → balance_low_2" "$(kinds "$A")" "alert.balance_low_1 alert.balance_low_2"
debit "$A" 2500
check "A: exactly ¥0.00 is not below the cut line" grep -q "balance=0 level=level2 supply=on message=none" "$T/debit"
debit "$A" 1
check "A: one fen below zero: cut pending, 30 min grace" \
    grep -q "balance=-1 level=cut_pending supply=on message=cut_warning cut_at=2026-03-04T02:30:00Z need=1" "$T/debit"
expect "A: cut_warning queued once" "$(kinds "$A")" "alert.balance_low_1 alert.balance_low_2 alert.cut_warning"
expect "A: the warning says when" \
    "$(sql "SELECT JSON_VALUE(payload, '\$.cut_at_local') FROM outbox WHERE account_id = $A AND kind = 'alert.cut_warning'")" \
    "2026-03-04T10:30"
debit "$A" 100
expect "A: more debt during grace: no second warning" "$(kinds "$A")" "alert.balance_low_1 alert.balance_low_2 alert.cut_warning"
PREPAY_NOW=2026-03-04T10:29:59+08:00 run_ctl account policy "$A"
check "A: account policy shows the pending cut and the amount" \
    sh -c "grep -q 'level       cut_pending' '$T/out' && grep -q 'cut at      2026-03-04 10:30 Asia/Shanghai' '$T/out' && grep -q 'to pay      ¥1.01 to keep the supply on' '$T/out'"
PREPAY_NOW=2026-03-04T10:29:59+08:00 run_ctl policy run --site "$S"
check "A: one second before the grace ends: no cut" grep -q "0 cut" "$T/out"
expect "A: no relay command yet" "$(relays "$A")" ""
PREPAY_NOW=2026-03-04T10:30:00+08:00 run_ctl --actor policytest policy run --site "$S"
check "A: grace over: policy run cuts" grep -q "account $A ($S/a1): supply cut" "$T/out"
expect "A: one open command per relay-capable meter" "$(relays "$A")" "open:pending open:pending"
expect "A: supply_cut queued" "$(kinds "$A")" \
    "alert.balance_low_1 alert.balance_low_2 alert.cut_warning alert.supply_cut"
expect "A: the cut is audited with actor and reason" \
    "$(sql "SELECT CONCAT(actor, ' ', JSON_VALUE(detail, '\$.supply')) FROM audit_log WHERE action = 'supply.cut' AND object_id = $A")" \
    "operator:policytest off"
expect "A: the relay command carries the reason" \
    "$(sql "SELECT COUNT(*) FROM relay_commands WHERE account_id = $A AND reason LIKE '%grace of 30 min is over%'")" 2
export PREPAY_NOW=2026-03-04T10:31:00+08:00
debit "$A" 100
expect "A: debits while cut: no new message or command" "$(kinds "$A") / $(relays "$A")" \
    "alert.balance_low_1 alert.balance_low_2 alert.cut_warning alert.supply_cut / open:pending open:pending"
run_ctl account policy "$A"
check "A: pay ¥2.01 to restore" grep -q "to pay      ¥2.01 to restore the supply" "$T/out"
run_ctl topup "$A" 2.00 --request-id "pol-$RUN-a-top2"
expect "A: one fen short: still off" "$(relays "$A")" "open:pending open:pending"
run_ctl topup "$A" 0.01 --request-id "pol-$RUN-a-top3"
expect "A: the balance reaches the threshold: close supersedes open" "$(relays "$A")" \
    "open:superseded open:superseded close:pending close:pending"
expect "A: supply_restored queued" "$(kinds "$A" | tr ' ' '\n' | tail -n 1)" "alert.supply_restored"
expect "A: the restore is audited" "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'supply.restore' AND object_id = $A")" 1
before=$(kinds "$A")/$(relays "$A")/$(entries "$A")
run_ctl topup "$A" 0.01 --request-id "pol-$RUN-a-top3"
check "A: a replayed top-up succeeds" [ "$rc" = 0 ]
expect "A: a replay writes nothing" "$(kinds "$A")/$(relays "$A")/$(entries "$A")" "$before"

# --- B: keep-power (保电) is never cut
expect_fail "B: keep-power needs a reason" 2 "--reason is required" account keep-power "$B" on
run_ctl account keep-power "$S/a2" on --reason "cold storage"
check "B: keep-power on" [ "$rc" = 0 ]
expect "B: audited" "$(sql "SELECT JSON_VALUE(detail, '\$.reason') FROM audit_log WHERE action = 'account.keep_power' AND object_id = $B")" \
    "cold storage"
debit "$B" 100000
check "B: deep in debt: an alert, supply on" grep -q "balance=-100000 level=level2 supply=on" "$T/debit"
PREPAY_NOW=2026-03-05T10:00:00+08:00 run_ctl policy run --site "$S"
expect "B: a day later: never cut" "$(relays "$B")" ""
run_ctl account keep-power "$B" off --reason "contract ended"
check "B: keep-power off: the cut is now pending" grep -q "level       cut_pending" "$T/out"
expect "B: and the tenant is warned" "$(kinds "$B")" "alert.balance_low_2 alert.cut_warning"

# --- C: emergency credit once until the next top-up, repaid first
debit "$C" 100
PREPAY_NOW=2026-03-04T11:01:00+08:00 run_ctl policy run --site "$S"
expect "C: cut after grace" "$(relays "$C")" "open:pending"
export PREPAY_NOW=2026-03-04T11:05:00+08:00
n=$(entries "$C")
run_ctl account emergency-credit "$S/a3"
check "C: emergency credit taken" sh -c "[ $rc = 0 ] && grep -q 'emergency credit of ¥50.00 posted' '$T/out'"
expect "C: posted through the ledger" \
    "$(sql "SELECT CONCAT(kind, ' ', amount_fen, ' ', counter_account) FROM ledger_entries WHERE account_id = $C ORDER BY seq DESC LIMIT 1")" \
    "emergency_credit 5000 emergency"
expect "C: the supply comes back" "$(relays "$C")" "open:superseded close:pending"
expect "C: messages: restored, credit taken" "$(kinds "$C" | cut -d' ' -f3-)" "alert.supply_restored alert.emergency_credit_taken"
n=$(entries "$C")
expect_fail "C: a second emergency credit is refused" 4 "already taken; it is offered again after the next top-up" \
    account emergency-credit "$C"
expect "C: the refusal posts nothing" "$(entries "$C")" "$n"
run_ctl topup "$C" 100 --request-id "pol-$RUN-c-top1"
expect "C: a top-up repays the credit first" \
    "$(sql "SELECT CONCAT(kind, ' ', amount_fen) FROM ledger_entries WHERE account_id = $C ORDER BY seq DESC LIMIT 1")" \
    "emergency_repay -5000"
expect "C: balance after top-up and repayment" "$(sql "SELECT balance_fen FROM accounts WHERE id = $C")" 9900
expect "C: nothing outstanding" "$(sql "SELECT CONCAT(ec_taken, ' ', ec_outstanding_fen) FROM account_policy_state WHERE account_id = $C")" "0 0"
expect_fail "C: not offered above level 2" 4 "only when the balance is below ¥30.00" account emergency-credit "$C"

# --- D: friendly hours: Friday night debt waits for Monday morning
export PREPAY_NOW=2026-03-06T21:45:00+08:00
debit "$D" 1
check "D: Friday 21:45: cut pending until Monday 08:00" \
    grep -q "level=cut_pending supply=on message=cut_warning cut_at=2026-03-09T00:00:00Z" "$T/debit"
expect "D: the warning says until when and why" \
    "$(sql "SELECT CONCAT(JSON_VALUE(payload, '\$.cut_at_local'), ' ', JSON_VALUE(payload, '\$.delayed_by')) FROM outbox WHERE account_id = $D AND kind = 'alert.cut_warning'")" \
    "2026-03-09T08:00 night, weekend"
PREPAY_NOW=2026-03-07T14:00:00+08:00 run_ctl policy run --site "$S"
PREPAY_NOW=2026-03-09T07:59:59+08:00 run_ctl policy run --site "$S"
expect "D: not on Saturday, not before 08:00 Monday" "$(relays "$D")" ""
PREPAY_NOW=2026-03-09T08:00:00+08:00 run_ctl policy run --site "$S"
expect "D: Monday 08:00: cut" "$(relays "$D")" "open:pending"
# the site's holiday (Wednesday 11 March) is spared too
PREPAY_NOW=2026-03-09T09:00:00+08:00 run_ctl topup "$D" 1 --request-id "pol-$RUN-d-top1"
expect "D: a top-up restores" "$(relays "$D")" "open:superseded close:pending"
export PREPAY_NOW=2026-03-10T21:45:00+08:00
debit "$D" 200
check "D: Tuesday 21:45 → over the night and the holiday to Thursday 08:00" \
    grep -q "cut_at=2026-03-12T00:00:00Z" "$T/debit"

# --- the tools refuse bad input clearly
expect_fail "keep-power: on or off" 2 "say on or off" account keep-power "$A" maybe --reason x
expect_fail "account policy: unknown account" 3 "no account" account policy "$S/nope"
expect_fail "site policy: unknown site" 3 "no site" site policy "nope-$RUN"
expect_fail "account policy: changing rules needs a reason" 2 "--reason is required" account policy "$A" --grace-min 5
run_ctl account policy "$A" --grace-min 5 --reason "test override"
check "account policy: an override is saved and starred" grep -q "grace 5 min\\*" "$T/out"
run_ctl account policy "$A" --inherit --reason "back to the site's"
check "account policy: --inherit drops it" grep -q "grace 30 min;" "$T/out"
unset PREPAY_NOW
PREPAY_NOW=yesterday run_ctl account policy "$A"
check "PREPAY_NOW must be an instant" grep -q "PREPAY_NOW=\"yesterday\"" "$T/err"

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
