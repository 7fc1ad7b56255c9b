#!/bin/sh
# prepay-meter-sim against independent peers (pymodbus, mbpoll): register
# maps match the profiles, counters advance, relays stop them, function
# codes and exceptions behave like the real meters.
. "$(dirname "$0")/sim-lib.sh"
need mbpoll curl jq socat
sim_start --speed 60 || { nok "simulator starts"; done_testing; }
ok "simulator starts with the test park"

# every meter's counters and relay state, read by pymodbus from the profile files
$SIM_CLIENT mapcheck "$SIM_URL" "$SIM_PROFILES" 127.0.0.1 "$SIM_OFFSET" "$SIM_DIR" > "$SIM_DIR/map.tap"
while read -r st rest; do
	case $st in
	ok) ok "map: ${rest#* - }" ;;
	not) nok "map: ${rest#* - }" ;;
	esac
done < "$SIM_DIR/map.tap"

# mbpoll (libmodbus) reads the DDSY1352 counter: uint32 ABCD in 0.01 kWh at 0x0000
c1=$(mbpoll -m tcp -a 1 -p "$((SIM_OFFSET + 1))" -t 4:int -B -r 1 -c 1 -1 127.0.0.1 2>&1 | sed -n 's/^\[1\]:[[:space:]]*//p')
reg=$(meter simt/ddsy .register)
[ -n "$c1" ] && [ "$((c1 * 10))" -le "$reg" ] && [ "$((reg - c1 * 10))" -lt 2000 ] &&
	ok "mbpoll reads the DDSY1352 counter ($c1 x 0.01 kWh, simulator $reg Wh)" ||
	nok "mbpoll reads the DDSY1352 counter (got '$c1', simulator $reg Wh)"
# SDM120 import kWh: float32 ABCD, input register 0x0048
f=$(mbpoll -m tcp -a 4 -p "$((SIM_OFFSET + 1))" -t 3:float -B -r 73 -c 1 -1 127.0.0.1 2>&1 | sed -n 's/^\[73\]:[[:space:]]*//p')
reg=$(meter simt/sdm120 .register)
# mbpoll prints 6 significant digits; the counter moves ~100 Wh/s meanwhile
awk -v f="$f" -v r="$reg" 'BEGIN { d = f * 1000 - r; if (d < 0) d = -d; exit !(f != "" && d < r * 1e-5 + 2000) }' &&
	ok "mbpoll reads the SDM120 float counter ($f kWh, simulator $reg Wh)" ||
	nok "mbpoll reads the SDM120 float counter (got '$f', simulator $reg Wh)"

# counters advance by the load shape
a=$(meter simt/ddsy .energy_wh); sleep 1.5; b=$(meter simt/ddsy .energy_wh)
[ "$b" -gt "$a" ] && ok "the counter advances ($a -> $b Wh in 1.5 s at speed 60)" || nok "the counter advances ($a -> $b)"

# relay: DDSY1352 takes 0001 0001 at 0x0057 with FC16 -> open, counter stops
r=$($SIM_CLIENT --tcp "$GW1" write16 1 0x57 1 1)
[ "$r" = ok ] && ok "FC16 trip command to the DDSY1352 is acknowledged" || nok "FC16 trip to the DDSY1352: $r"
[ "$(meter simt/ddsy .relay)" = open ] && ok "the relay is open in the simulator" || nok "the relay is open"
[ "$($SIM_CLIENT --tcp "$GW1" read 1 3 0x57 2)" = "1 1" ] && ok "the relay register reads back 0001 0001" ||
	nok "the relay register reads back 0001 0001"
a=$(meter simt/ddsy .energy_wh); sleep 1.2; b=$(meter simt/ddsy .energy_wh)
[ "$a" = "$b" ] && ok "an open relay stops the counter ($a Wh)" || nok "an open relay stops the counter ($a -> $b)"
[ "$($SIM_CLIENT --tcp "$GW1" read 1 3 0x0D 1)" = "0" ] && ok "power reads 0 with the relay open" || nok "power reads 0"
r=$($SIM_CLIENT --tcp "$GW1" write16 1 0x57 1 0)
a=$(meter simt/ddsy .energy_wh); sleep 1.2; b=$(meter simt/ddsy .energy_wh)
[ "$r" = ok ] && [ "$(meter simt/ddsy .relay)" = closed ] && [ "$b" -gt "$a" ] &&
	ok "restore (0001 0000) closes the relay and the counter runs again" || nok "restore: $r, $a -> $b"
r=$($SIM_CLIENT --tcp "$GW1" write16 1 0x57 7 7)
[ "$r" = "exception 3" ] && ok "a value that is neither trip nor restore gets exception 03" || nok "bad relay value: $r"

# DDS238: relay 0x001A, FC16 only; FC06 gets "illegal function" like the real one
r=$($SIM_CLIENT --tcp "$GW1" write06 2 0x1A 0)
[ "$r" = "exception 1" ] && ok "FC06 to the DDS238 relay gets exception 01" || nok "FC06 to the DDS238 relay: $r"
[ "$(meter simt/dds238 .supply)" = on ] && ok "and the relay did not move" || nok "the DDS238 relay moved on FC06"
mbpoll -m tcp -a 2 -p "$((SIM_OFFSET + 1))" -t 4 -r 27 -0 127.0.0.1 0 >/dev/null 2>&1 && nok "mbpoll's FC06 write was accepted" ||
	ok "mbpoll's single-register write (FC06) to the DDS238 relay fails"
r=$($SIM_CLIENT --tcp "$GW1" write16 2 0x1A 0)
[ "$r" = ok ] && [ "$(meter simt/dds238 .relay)" = open ] && ok "FC16 opens the DDS238 relay" || nok "FC16 to DDS238: $r"

# water valve: 1 open, 2 close, FC06 accepted; a closed valve stops the water
r=$($SIM_CLIENT --tcp "$GW1" write06 3 0x10 2)
a=$(meter simt/water .volume_l); sleep 1.2; b=$(meter simt/water .volume_l)
[ "$r" = ok ] && [ "$(meter simt/water .valve)" = closed ] && [ "$a" = "$b" ] &&
	ok "FC06 closes the water valve and the volume stops ($a L)" || nok "valve close: $r, $a -> $b"
[ "$($SIM_CLIENT --tcp "$GW1" read 3 3 0x10 1)" = 2 ] && ok "the valve register reads 2 (closed)" || nok "valve reads 2"

# the edges of the map
r=$($SIM_CLIENT --tcp "$GW1" read 1 3 0x0100 2)
[ "$r" = "exception 2" ] && ok "a read outside the map gets exception 02" || nok "read outside the map: $r"
r=$($SIM_CLIENT --tcp "$GW1" read 1 4 0 2)
[ "$r" = "exception 2" ] && ok "FC04 on a holding-register meter gets exception 02" || nok "FC04 on DDSY: $r"
r=$($SIM_CLIENT --tcp "$GW1" read 1 3 0 17)
set -- $r
[ $# = 17 ] && ok "one read covers the DDSY1352 block 0x0000-0x0010, gaps read 0 ($(echo "$r" | cut -d' ' -f11))" ||
	nok "block read: $r"
r=$($SIM_CLIENT --tcp "$GW1" --timeout 0.5 read 77 3 0 2)
[ "${r%% *}" = error ] && ok "an unknown unit id gets no answer ($r)" || nok "unknown unit: $r"
n=$(ctl GET /meters | jq length)
[ "$n" = 10 ] && ok "GET /meters lists the 10 meters" || nok "GET /meters lists $n meters"

sim_stop
[ "$SIM_RC" = 0 ] && ok "SIGTERM stops the simulator cleanly (exit 0)" || nok "SIGTERM exit status $SIM_RC"
[ ! -e "$RTU" ] && ! pgrep -f "link=$RTU" >/dev/null && ok "socat is stopped and the pty links are gone" ||
	nok "socat or the pty link is left behind"
done_testing
