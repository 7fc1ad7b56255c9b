#!/bin/sh
# Every injectable fault, observed from the client side (pymodbus), plus
# gateway latency. The DDSY1352 at unit 1 of gw1 is the victim.
. "$(dirname "$0")/sim-lib.sh"
need curl jq socat
sim_start --speed 60 || { nok "simulator starts"; done_testing; }
read1() { $SIM_CLIENT --tcp "$GW1" --timeout "${2:-0.5}" read 1 3 "${1:-0}" 2; }
fault() { ctl POST /meters/simt/ddsy/fault "$1" >/dev/null; }

fault '{"fault":"no_answer","count":1}'
r=$(read1)
[ "${r%% *}" = error ] && ok "no_answer: the request times out ($r)" || nok "no_answer: $r"
r=$(read1)
[ "${r%% *}" != error ] && [ "$(meter simt/ddsy .fault)" = null ] &&
	ok "no_answer count 1: the next request is answered and the fault is gone" || nok "after no_answer: $r"

ans=$(meter simt/ddsy .answered)
fault '{"fault":"late","count":1,"delay_ms":1500}'
r=$(read1)
[ "${r%% *}" = error ] && ok "late: the answer misses a 0.5 s timeout ($r)" || nok "late: $r"
sleep 1.2
[ "$(meter simt/ddsy .answered)" -gt "$ans" ] && ok "late: the simulator did answer, after the client gave up" ||
	nok "late: no answer was sent"
r=$(read1)
[ "${r%% *}" != error ] && ok "late count 1: then answers in time again" || nok "after late: $r"

fault '{"fault":"garbage","count":1}'
r=$(read1)
[ "${r%% *}" = error ] && ok "garbage: the client rejects the bytes ($r)" || nok "garbage: $r"
r=$(read1)
[ "${r%% *}" != error ] && ok "garbage count 1: the next answer is good" || nok "after garbage: $r"

fault '{"fault":"exception","count":2,"code":6}'
r1=$(read1); r2=$(read1); r3=$(read1)
[ "$r1" = "exception 6" ] && [ "$r2" = "exception 6" ] && [ "${r3%% *}" != exception ] &&
	ok "exception code 6 count 2: two exceptions 06, then data" || nok "exception: $r1 / $r2 / $r3"
fault '{"fault":"exception","for_s":1}'
r1=$(read1); sleep 1.5; r2=$(read1)
[ "$r1" = "exception 4" ] && [ "${r2%% *}" != exception ] &&
	ok "exception for_s 1: exception 04 (default) while it lasts, data after" || nok "exception for_s: $r1 / $r2"

fault '{"fault":"no_answer"}'
r1=$(read1); r2=$(read1)
ctl DELETE /meters/simt/ddsy/fault >/dev/null
r3=$(read1)
[ "${r1%% *}" = error ] && [ "${r2%% *}" = error ] && [ "${r3%% *}" != error ] &&
	ok "a fault without count or for_s lasts until DELETE" || nok "unlimited fault: $r1 / $r2 / $r3"

# counter faults: freeze the meter first so the registers hold still
ctl POST /meters/simt/ddsy/relay '{"closed":false}' >/dev/null
fault '{"fault":"counter_reset"}'
[ "$(read1)" = "0 0" ] && [ "$(meter simt/ddsy .energy_wh)" = 0 ] && ok "counter_reset: the counter reads 0" ||
	nok "counter_reset: $(read1)"
fault '{"fault":"rollover"}'
# rollover 1e9 Wh = 99999999.99 kWh max; 500 Wh below is raw 99999950 = 0x05F5 0xE0CE
[ "$(read1)" = "1525 57550" ] && ok "rollover: the counter stands 0.5 kWh below its maximum (raw 99999950)" ||
	nok "rollover: $(read1)"
ctl POST /meters/simt/ddsy/relay '{"closed":true}' >/dev/null
wrapped=
for _ in $(seq 1 50); do
	set -- $(read1)
	[ "$#" = 2 ] && [ "$1" = 0 ] && { wrapped=$2; break; }
	sleep 0.2
done
[ -n "$wrapped" ] && ok "rollover: the register wraps through zero (now $wrapped x 0.01 kWh)" || nok "rollover never wrapped"
ser=$(meter simt/ddsy .serial)
fault '{"fault":"replaced"}'
set -- $(read1)
[ "$(meter simt/ddsy .serial)" = "T-DDSY-R1" ] && [ "$1" = 0 ] && [ "$2" -lt 100 ] &&
	ok "replaced: new serial ($ser -> T-DDSY-R1), counter from zero ($2)" || nok "replaced: $(meter simt/ddsy .serial) $*"

fault '{"fault":"relay_ignore","count":1}'
r=$($SIM_CLIENT --tcp "$GW1" write16 1 0x57 1 1)
[ "$r" = ok ] && [ "$(meter simt/ddsy .supply)" = on ] && [ "$(read1 0x57)" = "1 0" ] &&
	ok "relay_ignore: the trip is acknowledged but the relay stays closed (read-back 0001 0000)" ||
	nok "relay_ignore: $r, $(meter simt/ddsy .supply)"
r=$($SIM_CLIENT --tcp "$GW1" write16 1 0x57 1 1)
[ "$r" = ok ] && [ "$(meter simt/ddsy .supply)" = off ] && ok "relay_ignore count 1: the next trip works" ||
	nok "after relay_ignore: $r"
r=$(read1)
[ "${r%% *}" != error ] && ok "relay_ignore does not disturb reads" || nok "reads during relay_ignore: $r"

# latency: the gateway answers after 800 ms, a 0.4 s client gives up; 0 ms is fine again
ctl POST /gateways/simt/gw1/latency '{"ms":800}' >/dev/null
r1=$(read1 0 0.4)
ctl POST /gateways/gw1/latency '{"ms":0}' >/dev/null
r2=$(read1 0 0.4)
[ "${r1%% *}" = error ] && [ "${r2%% *}" != error ] && ok "gateway latency 800 ms beats a 0.4 s timeout; 0 ms does not" ||
	nok "latency: $r1 / $r2"
[ "$(ctl GET /gateways | jq '.[] | select(.id=="simt/gw1") | .latency_ms')" = 0 ] &&
	ok "GET /gateways shows the latency" || nok "GET /gateways latency"
# other meters on the gateway are untouched by one meter's faults
fault '{"fault":"no_answer"}'
r=$($SIM_CLIENT --tcp "$GW1" --timeout 0.5 read 2 3 0x0A 2)
[ "${r%% *}" != error ] && ok "a dead meter does not silence its neighbour on the gateway" || nok "neighbour: $r"
done_testing
