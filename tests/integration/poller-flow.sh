#!/bin/sh
# prepay-poller end to end with the simulator: consumption drains a
# balance, level 1 and 2 alerts once per crossing, the relay opens in the
# simulator at zero, a top-up closes it, a manual cut holds against the
# policy, every step is in the audit trail, and the ledger audit is clean.
. "$(dirname "$0")/poller-lib.sh"

setup_park 50.0000 || { nok "set up the test park"; done_testing; }
ok "test park $SITE imported with tariffs and a cut-at-zero policy"
# t1-e pays for ddsy (relay) and ddsu: start above level 1, let it drain
$CTL topup "$SITE/t1-e" 130 --request-id "$SITE-t1-1" --reason "poller test" >/dev/null
# the others stay well funded so nothing else is cut
for a in t2-e t2-w t3-e t4-e t5-e; do
	$CTL topup "$SITE/$a" 1000000 --request-id "$SITE-$a-1" --reason "poller test" >/dev/null
done
sim_start || { nok "simulator starts"; done_testing; }
poller_start
read_count() {
	sql "SELECT COUNT(DISTINCT r.meter_id) FROM readings r JOIN meters m ON m.id = r.meter_id
	    JOIN sites s ON s.id = m.site_id WHERE s.code = '$SITE'"
}
all_read() { [ "$(read_count)" -ge 10 ]; }
relay_is() { [ "$(sim_relay "$1")" = "$2" ]; }
wait_for 20 all_read
n=$(read_count)
[ "$n" -ge 10 ] && ok "all 10 meters read, RTU bus included ($n)" || nok "meters read: $n of 10"

below_zero() { [ "$(balance t1-e)" -lt 0 ]; }
check "consumption drains t1-e below zero" wait_for 90 below_zero
check "at zero the relay opens in the simulator" wait_for 15 relay_is ddsy open
[ "$(outbox_count t1-e alert.balance_low_1)" = 1 ] && ok "one level 1 alert" ||
    nok "level 1 alerts: $(outbox_count t1-e alert.balance_low_1)"
[ "$(outbox_count t1-e alert.balance_low_2)" = 1 ] && ok "one level 2 alert" ||
    nok "level 2 alerts: $(outbox_count t1-e alert.balance_low_2)"
mid=$(meter_id ddsy)
st=$(sql "SELECT status FROM relay_commands WHERE meter_id = $mid AND action = 'open' ORDER BY id DESC LIMIT 1")
[ "$st" = confirmed ] && ok "the cut command is confirmed by read-back" || nok "cut command status: $st"
# the counter stops once the relay is open
c1=$(meter_json ddsy | jq .energy_wh); sleep 2; c2=$(meter_json ddsy | jq .energy_wh)
[ "$c1" = "$c2" ] && ok "the open relay stops the counter" || nok "counter moved $c1 -> $c2"

need=$(( -$(balance t1-e) / 100 + 200 ))
$CTL topup "$SITE/t1-e" "$need" --request-id "$SITE-t1-2" --reason "poller test restore" >/dev/null
check "prepayctl topup closes the relay in the simulator" wait_for 10 relay_is ddsy closed

aid=$(account_id t1-e)
cut=$(sql "SELECT COUNT(*) FROM audit_log WHERE object_type = 'account' AND object_id = $aid AND action = 'supply.cut'")
res=$(sql "SELECT COUNT(*) FROM audit_log WHERE object_type = 'account' AND object_id = $aid AND action = 'supply.restore'")
conf=$(sql "SELECT COUNT(*) FROM audit_log WHERE object_type = 'meter' AND object_id = $mid AND action = 'meter.relay_confirmed'")
[ "$cut" -ge 1 ] && [ "$res" -ge 1 ] && [ "$conf" -ge 2 ] && ok "cut, restore and both read-backs are in the audit trail" ||
    nok "audit trail: cut $cut restore $res confirmed $conf"

# a manual cut holds: the policy's restore does not close it
$CTL meter cut "$SITE/ddsy" --reason "electrician at work" --request-id "$SITE-cut-1" >/dev/null
check "meter cut opens the relay" wait_for 10 relay_is ddsy open
again=$($CTL --json meter cut "$SITE/ddsy" --reason "electrician at work" --request-id "$SITE-cut-1" | jq -r .replayed)
[ "$again" = true ] && ok "the same request id again changes nothing" || nok "meter cut replay: $again"
$CTL meter restore "$SITE/ddsy" --reason "not this one" --request-id "$SITE-cut-1" >/dev/null 2>"$DIR/reuse.err"
[ $? = 4 ] && grep -q "already used for meter.cut" "$DIR/reuse.err" && ok "the same request id for another action is refused" ||
    nok "request id reuse: $(cat "$DIR/reuse.err")"
sql "INSERT INTO relay_commands (meter_id, account_id, action, reason, actor) VALUES ($mid, $aid, 'close', 'test: policy restore', 'poller')"
sleep 2
[ "$(sim_relay ddsy)" = open ] && ok "a held meter is not closed by the policy" || nok "held meter closed"
st=$(sql "SELECT status FROM relay_commands WHERE meter_id = $mid ORDER BY id DESC LIMIT 1")
[ "$st" = superseded ] && ok "the policy's close is superseded by the hold" || nok "close status: $st"
$CTL meter show "$SITE/ddsy" | grep -q "HELD OFF" && ok "meter show says it is held off" || nok "meter show"
$CTL meter restore "$SITE/ddsy" --reason "work done" >/dev/null
check "meter restore closes it" wait_for 10 relay_is ddsy closed
n=$(sql "SELECT COUNT(*) FROM audit_log WHERE object_type = 'meter' AND object_id = $mid AND action IN ('meter.cut', 'meter.restore')")
[ "$n" = 2 ] && ok "manual cut and restore audited once each" || nok "manual audit rows: $n"

$CTL meter list --site "$SITE" | grep -q "ddsy" && ok "meter list shows the park" || nok "meter list"
poller_stop
[ "$POLLER_RC" = 0 ] && ok "the poller stops cleanly on SIGTERM" || nok "poller exit $POLLER_RC"
check "no doubled or negative charge" billing_consistent
check "prepayctl audit is clean" $CTL audit
done_testing
