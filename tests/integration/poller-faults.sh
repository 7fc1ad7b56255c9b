#!/bin/sh
# Every simulator fault against a running poller: no crash, no negative or
# doubled charge, the right operator alert, and the neighbours on the same
# bus keep being read.
. "$(dirname "$0")/poller-lib.sh"

setup_park 0.5000 || { nok "set up the test park"; done_testing; }
for a in t1-e t2-e t2-w t3-e t4-e t5-e; do
	$CTL topup "$SITE/$a" 1000000 --request-id "$SITE-$a-1" --reason "poller test" >/dev/null
done
sim_start || { nok "simulator starts"; done_testing; }
poller_start
readings_of() { sql "SELECT COUNT(*) FROM readings WHERE meter_id = $(meter_id "$1")"; }
verdicts_of() { sql "SELECT COUNT(*) FROM readings WHERE meter_id = $(meter_id "$1") AND verdict = '$2'"; }
more_readings() { [ "$(readings_of "$1")" -gt "$2" ]; }
has_alert() { [ "$(meter_alerts "$1" "$2")" -ge 1 ]; }
has_verdict() { [ "$(verdicts_of "$1" "$2")" -ge 1 ]; }
wait_for 20 more_readings sdm120 1 || { nok "the poller reads the park"; done_testing; }

# no answer: offline alert, neighbours unaffected, online alert when back
n=$(readings_of ddsy)
fault sdm120 '{"fault":"no_answer","for_s":4}'
check "no answer: the meter is reported offline" wait_for 10 has_alert sdm120 alert.meter_offline
check "no answer: its neighbours on the bus are still read" wait_for 10 more_readings ddsy $((n + 2))
check "no answer: back online, with an alert" wait_for 15 has_alert sdm120 alert.meter_online

# late answers, garbage, exceptions on gw2: the poller flushes and goes on
fault sdm630 '{"fault":"late","count":3,"delay_ms":800}'
fault dtsu '{"fault":"garbage","count":3}'
fault adl400 '{"fault":"exception","count":3,"code":4}'
n1=$(readings_of sdm630); n2=$(readings_of dtsu); n3=$(readings_of adl400)
check "late answer: the meter is read again afterwards" wait_for 20 more_readings sdm630 $((n1 + 1))
check "garbage: the meter is read again afterwards" wait_for 20 more_readings dtsu $((n2 + 1))
check "exception: the meter is read again afterwards" wait_for 20 more_readings adl400 $((n3 + 1))
q=$(sql "SELECT COUNT(*) FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.id IN
    ($(meter_id sdm630), $(meter_id dtsu), $(meter_id adl400)) AND r.verdict = 'quarantined'")
[ "$q" = 0 ] && ok "no late or garbled answer was taken for a reading" || nok "$q quarantined readings on gw2"

# counter reset: quarantined, confirmed, rebased; nothing negative billed
fault ddsu '{"fault":"counter_reset"}'
check "counter reset: the reading is quarantined" wait_for 10 has_verdict ddsu quarantined
check "counter reset: an operator alert" wait_for 5 has_alert ddsu alert.reading_quarantined
check "counter reset: confirmed by the next reading and rebased" wait_for 10 has_verdict ddsu rebased
check "counter reset: a rebase alert says what was not billed" wait_for 5 has_alert ddsu alert.counter_rebased

# meter replaced (new serial in the meter, counter from zero): the same path
fault water '{"fault":"replaced"}'
check "meter replaced: quarantined, then rebased" wait_for 15 has_verdict water rebased

# rollover: the jump to the top is suspect, the wrap itself is billed
fault adl400 '{"fault":"rollover"}'
check "rollover: the wrap at the register's maximum is billed" wait_for 40 has_verdict adl400 rollover

# a relay that ignores its commands: retried, then failed with an alert
fault dds238 '{"fault":"relay_ignore","count":50}'
$CTL meter cut "$SITE/dds238" --reason "test: relay ignores" >/dev/null
mid=$(meter_id dds238)
failed() { [ "$(sql "SELECT status FROM relay_commands WHERE meter_id = $mid ORDER BY id DESC LIMIT 1")" = failed ]; }
check "relay ignores: the command fails after its attempts" wait_for 30 failed
a=$(sql "SELECT attempts FROM relay_commands WHERE meter_id = $mid ORDER BY id DESC LIMIT 1")
[ "$a" = 3 ] && ok "relay ignores: written and read back 3 times" || nok "attempts: $a"
check "relay ignores: an operator alert" has_alert dds238 alert.relay_failed
n=$(sql "SELECT COUNT(*) FROM audit_log WHERE object_type = 'meter' AND object_id = $mid AND action = 'meter.relay_failed'")
[ "$n" = 1 ] && ok "relay ignores: the failure is in the audit trail" || nok "audit rows: $n"
curl -sf -X DELETE "$SIM_URL/meters/$SITE/dds238/fault" >/dev/null
$CTL meter restore "$SITE/dds238" --reason "test over" >/dev/null

# an offline meter cannot be cut: the operator is told
fault ddsy '{"fault":"no_answer","for_s":20}'
check "offline meter: reported offline" wait_for 10 has_alert ddsy alert.meter_offline
$CTL meter cut "$SITE/ddsy" --reason "test: cut while offline" >/dev/null
check "offline meter: the cut cannot be carried out, the operator is alerted" wait_for 10 has_alert ddsy alert.relay_offline
curl -sf -X DELETE "$SIM_URL/meters/$SITE/ddsy/fault" >/dev/null
relay_is() { [ "$(sim_relay "$1")" = "$2" ]; }
check "offline meter: cut once it answers again (retry with backoff)" wait_for 20 relay_is ddsy open
$CTL meter restore "$SITE/ddsy" --reason "test over" >/dev/null

check "the poller is still running" kill -0 "$POLLER_PID"
poller_stop
[ "$POLLER_RC" = 0 ] && ok "the poller stops cleanly" || nok "poller exit $POLLER_RC"
check "no doubled or negative charge" billing_consistent
check "prepayctl audit is clean" $CTL audit
done_testing
