#!/bin/sh
# The control interface: answers, refusals with a reason, and the state
# file that carries counters, relays and serials over a restart.
. "$(dirname "$0")/sim-lib.sh"
need curl jq socat
STATE=$SIM_DIR/state.json
sim_start --state "$STATE" || { nok "simulator starts"; done_testing; }

code() { curl -s -o "$SIM_DIR/body" -w '%{http_code}' -X "$1" ${3:+-d "$3"} "$SIM_URL$2"; }
body_has() { grep -q "$1" "$SIM_DIR/body"; }

[ "$(code GET /healthz)" = 200 ] && [ "$(jq .meters "$SIM_DIR/body")" = 10 ] && ok "GET /healthz: ok, 10 meters" ||
	nok "GET /healthz"
[ "$(code GET /meters/simt/ddsy)" = 200 ] && [ "$(jq -r .profile "$SIM_DIR/body")" = acrel-ddsy1352 ] &&
	ok "GET /meters/SITE/CODE" || nok "GET /meters/simt/ddsy"
[ "$(code GET /meters/ddsy)" = 200 ] && [ "$(jq -r .id "$SIM_DIR/body")" = simt/ddsy ] &&
	ok "GET /meters/CODE when the code is unique" || nok "GET /meters/ddsy"
missing=
for k in id gateway unit serial energy_wh register power_w supply relay fault requests; do
	jq -e "has(\"$k\")" "$SIM_DIR/body" >/dev/null || missing="$missing $k"
done
[ -z "$missing" ] && ok "a meter shows gateway, unit, serial, counter, power, relay and fault" ||
	nok "GET /meters/ddsy lacks$missing"
[ "$(code GET /meters/nosuch)" = 404 ] && body_has 'no meter \\"nosuch\\"' && ok "unknown meter: 404 with its name" ||
	nok "unknown meter: $(cat "$SIM_DIR/body")"
[ "$(code POST /meters/ddsy/fault '{"fault":"bogus"}')" = 400 ] && body_has no_answer &&
	ok "unknown fault: 400 listing the faults" || nok "unknown fault: $(cat "$SIM_DIR/body")"
[ "$(code POST /meters/ddsy/fault '{"fault":"late","cuont":3}')" = 400 ] && body_has cuont &&
	ok "a misspelt key is refused by name" || nok "misspelt key: $(cat "$SIM_DIR/body")"
[ "$(code POST /meters/ddsy/fault '{"fault":"late","count":0}')" = 400 ] && body_has '"count\\" must be' &&
	ok "count 0 is refused" || nok "count 0: $(cat "$SIM_DIR/body")"
[ "$(code POST /meters/ddsy/fault 'not json')" = 400 ] && ok "a body that is not JSON: 400" || nok "not json"
[ "$(meter simt/ddsy .fault)" = null ] && ok "and no refused request left a fault behind" || nok "a fault was left"
[ "$(code POST /meters/sdm120/relay '{"closed":false}')" = 409 ] && body_has "no relay" &&
	ok "relay command to a meter without a relay: 409" || nok "relay on sdm120: $(cat "$SIM_DIR/body")"
[ "$(code POST /meters/water/relay '{"supply":"off"}')" = 200 ] && [ "$(jq -r .valve "$SIM_DIR/body")" = closed ] &&
	ok "supply off closes a valve" || nok "supply off on the valve"
[ "$(code PUT /meters/ddsy/relay '{}')" = 404 ] && ok "an unknown operation: 404" || nok "PUT relay"
big=$(head -c 5000 /dev/zero | tr '\0' x)
[ "$(code POST /meters/ddsy/fault "{\"fault\":\"$big\"}")" = 413 ] && ok "a body over 4 KiB: 413" || nok "big body"
[ "$(code POST /gateways/nosuch/latency '{"ms":5}')" = 404 ] && ok "unknown gateway: 404" || nok "unknown gateway"
[ "$(code POST /gateways/gw2/latency '{"ms":-5}')" = 400 ] && ok "negative latency: 400" || nok "negative latency"

# set a counter: the primary side is divided by the CT ratio (10) in the register
[ "$(code POST /meters/adl400/counter '{"energy_wh":1234560}')" = 200 ] && [ "$(jq .register "$SIM_DIR/body")" -ge 123456 ] &&
	[ "$(jq .register "$SIM_DIR/body")" -lt 124000 ] && ok "POST counter sets the primary counter; the register shows it / CT" ||
	nok "POST counter: $(cat "$SIM_DIR/body")"
r=$($SIM_CLIENT --tcp "$GW2" read 1 3 0x0A 2)
set -- $r
[ "$#" = 2 ] && [ "$(( ($1 * 65536 + $2) * 10 ))" -ge 123450 ] && [ "$(( ($1 * 65536 + $2) * 10 ))" -lt 124000 ] &&
	ok "the Modbus register agrees ($r)" || nok "ADL400 register after POST counter: $r"

# the state file: a restart keeps counters, relays and serials
ctl POST /meters/ddsy/relay '{"closed":false}' >/dev/null
ctl POST /meters/ddsy/counter '{"energy_wh":777000}' >/dev/null
ctl POST /meters/dds238/fault '{"fault":"replaced"}' >/dev/null
sim_stop
[ "$SIM_RC" = 0 ] && [ -s "$STATE" ] && ok "SIGTERM writes the state file and exits 0" || nok "state file on exit ($SIM_RC)"
sim_start --state "$STATE" || nok "simulator restarts"
[ "$(meter simt/ddsy .energy_wh)" = 777000 ] && [ "$(meter simt/ddsy .relay)" = open ] &&
	ok "after a restart the counter and the open relay are back" ||
	nok "after restart: $(meter simt/ddsy .energy_wh) $(meter simt/ddsy .relay)"
[ "$(meter simt/dds238 .serial)" = T-DDS238-R1 ] && ok "and the replaced meter keeps its new serial" ||
	nok "serial after restart: $(meter simt/dds238 .serial)"
sim_stop
echo '{"meters":' > "$STATE"
"$SIM_BIN" --park "$SIM_PARK" --profiles "$SIM_PROFILES" --control "$SIM_CTL" --port-offset "$SIM_OFFSET" \
    --rtu-dir "$SIM_DIR" --state "$STATE" 2>"$SIM_DIR/err" && nok "a broken state file is accepted" ||
	{ grep -q "move it away" "$SIM_DIR/err" && ok "a broken state file stops the start with a hint" || nok "state error: $(cat "$SIM_DIR/err")"; }
"$SIM_BIN" --park "$SIM_PARK" --profiles /nonexistent --control "$SIM_CTL" 2>"$SIM_DIR/err" && nok "missing profiles accepted" ||
	{ grep -q "acrel-ddsy1352.json" "$SIM_DIR/err" && ok "a missing profile is named" || nok "missing profile: $(cat "$SIM_DIR/err")"; }
"$SIM_BIN" --park "$SIM_PARK" --profiles "$SIM_PROFILES" --control "$SIM_CTL" --speed fast 2>"$SIM_DIR/err"
[ $? = 2 ] && grep -q "speed fast" "$SIM_DIR/err" && ok "a bad --speed: exit 2 naming it" || nok "bad speed: $(cat "$SIM_DIR/err")"
done_testing
