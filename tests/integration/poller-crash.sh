#!/bin/sh
# kill -9 of the poller mid-cycle and mid-switch, then a restart: nothing
# billed twice or lost (the reading key and the persisted baseline), no
# relay switched twice (the command status and read-before-write), and
# the state converges.
. "$(dirname "$0")/poller-lib.sh"

setup_park 5.0000 || { nok "set up the test park"; done_testing; }
for a in t1-e t2-e t2-w t3-e t4-e t5-e; do
	$CTL topup "$SITE/$a" 1000000 --request-id "$SITE-$a-1" --reason "poller test" >/dev/null
done
sim_start || { nok "simulator starts"; done_testing; }
stored() { sql "SELECT COUNT(*) FROM readings r JOIN meters m ON m.id = r.meter_id JOIN sites s ON s.id = m.site_id
    WHERE s.code = '$SITE'"; }
more_stored() { [ "$(stored)" -gt "$1" ]; }

# mid-cycle: kill at odd moments while readings are being stored and billed
i=0
while [ $i -lt 6 ]; do
	poller_start
	wait_for 10 more_stored "$(stored)"
	sleep "0.$((3 + i))"
	poller_kill9
	i=$((i + 1))
done
ok "killed with -9 six times mid-cycle"
poller_start
n=$(stored)
check "restarted, it reads on" wait_for 10 more_stored $((n + 10))

# mid-switch: kill as soon as the cut is being carried out
mid=$(meter_id ddsy)
w0=$(meter_json ddsy | jq .relay_writes)
$CTL meter cut "$SITE/ddsy" --reason "test: crash mid-switch" >/dev/null
sleep 0.12
poller_kill9
poller_start
relay_is() { [ "$(sim_relay "$1")" = "$2" ]; }
done_cmd() { [ "$(sql "SELECT status FROM relay_commands WHERE meter_id = $mid ORDER BY id DESC LIMIT 1")" = confirmed ]; }
check "after the restart the cut converges: relay open" wait_for 15 relay_is ddsy open
check "after the restart the cut command is confirmed" wait_for 10 done_cmd
w1=$(meter_json ddsy | jq .relay_writes)
[ $((w1 - w0)) = 1 ] && ok "the relay was written exactly once" || nok "relay writes: $w0 -> $w1"

# and the restore, killed the same way
$CTL meter restore "$SITE/ddsy" --reason "test: crash mid-switch" >/dev/null
sleep 0.15
poller_kill9
poller_start
check "the restore converges after another kill" wait_for 15 relay_is ddsy closed
check "the restore command is confirmed" wait_for 10 done_cmd
w2=$(meter_json ddsy | jq .relay_writes)
[ $((w2 - w1)) = 1 ] && ok "written exactly once again" || nok "relay writes: $w1 -> $w2"
sleep 1
poller_stop
[ "$POLLER_RC" = 0 ] && ok "the poller stops cleanly" || nok "poller exit $POLLER_RC"

# nothing billed twice or lost: per meter, billed energy = counter progress
# since the first reading (no faults here, so every reading is ok)
bad=$(sql "SELECT COUNT(*) FROM (SELECT r.meter_id, SUM(r.billed_milli) AS billed,
    MAX(r.energy_milli) - MIN(r.energy_milli) AS progress, SUM(r.verdict NOT IN ('first','ok')) AS odd
    FROM readings r JOIN meters m ON m.id = r.meter_id JOIN sites s ON s.id = m.site_id
    WHERE s.code = '$SITE' GROUP BY r.meter_id) x WHERE billed <> progress OR odd <> 0")
[ "$bad" = 0 ] && ok "every meter billed exactly its counter's progress across the kills" ||
    nok "$bad meters billed more or less than they counted"
check "readings and consumption rows agree" billing_consistent
check "prepayctl audit is clean" $CTL audit
done_testing
