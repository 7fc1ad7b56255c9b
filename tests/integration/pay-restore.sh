#!/bin/bash
# A payment restores the supply (issue 5, DESIGN "the two flows"): an
# account drained below zero is cut after its grace (relay open command),
# the tenant pays through the sandbox, and the credit's transaction applies
# the policy: close commands supersede the open ones, supply_restored is
# queued and audited — all in the notification's transaction.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

R=payr-$RUN
cat >"$T/restore-park.json" <<PARK
{ "version": 1, "sites": [ {
  "code": "$R", "name": "payment restore test", "timezone": "Asia/Shanghai",
  "tenants": [ { "code": "t1", "name": "noodle shop" } ],
  "accounts": [ { "code": "a1", "tenant": "t1", "energy": "electricity" } ],
  "gateways": [ { "code": "gw1", "transport": "tcp", "host": "127.0.0.1", "port": 15098 } ],
  "meters": [ { "code": "m1", "profile": "hiking-dds238", "gateway": "gw1", "address": 1, "account": "a1", "relay": true } ]
} ] }
PARK
run_ctl park import "$T/restore-park.json"
check "a park with a relay meter imports" [ "$rc" = 0 ]
A=$(sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$R' AND a.code = 'a1'")
relays() { sql "SELECT COALESCE(GROUP_CONCAT(CONCAT(action, ':', status) ORDER BY id SEPARATOR ' '), '') FROM relay_commands WHERE account_id = $A"; }

# drained on a Wednesday morning, cut when the 30-minute grace is over
PREPAY_NOW=2026-03-04T10:00:00+08:00 "$PREPAY_BUILDDIR/tests/integration/policy-debit" "$A" 500 "payr-$RUN-debit" >"$T/debit" 2>&1
check "a debit takes the balance below zero: cut pending" grep -q "balance=-500 level=cut_pending" "$T/debit"
PREPAY_NOW=2026-03-04T10:30:00+08:00 run_ctl policy run --site "$R"
expect "after the grace: the relay open command" "$(relays)" "open:pending"

topup "$A" 20000 sandbox
expect "the tenant orders ¥200 through the sandbox" "$code" 201
curl -s -X POST -d '{}' "$SB/sandbox/pay/$NO" >"$T/paid"
expect "the sandbox's notification was answered 204" "$(jq -r '.deliveries[0].status' "$T/paid")" 204
expect "credited once, balance ¥195" "$(credits "$A") $(balance "$A")" "1 19500"
expect "the credit restored the supply: close supersedes open" "$(relays)" "open:superseded close:pending"
expect "supply_restored queued for the tenant" \
    "$(sql "SELECT COUNT(*) FROM outbox WHERE account_id = $A AND kind = 'alert.supply_restored'")" 1
expect "the restore is audited, caused by the payment" \
    "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'supply.restore' AND object_id = $A")" 1
curl -s -X POST "$SB/sandbox/notify/$NO" >/dev/null
expect "the notification again: nothing new" "$(credits "$A") $(relays)" "1 open:superseded close:pending"

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
