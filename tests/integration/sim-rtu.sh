#!/bin/sh
# Modbus RTU on a socat pty pair: the simulator's bus "bus1" (DDSY1352 at
# unit 1, SDM120 at unit 2), read by mbpoll (libmodbus) and pymodbus.
. "$(dirname "$0")/sim-lib.sh"
need mbpoll curl jq socat
sim_start --speed 60 || { nok "simulator starts"; done_testing; }
[ -L "$RTU" ] && [ -c "$RTU" ] && ok "the pty link for the poller is there ($RTU)" || nok "no pty link at $RTU"
rtu() { $SIM_CLIENT --rtu "$RTU" --timeout "${T_OUT:-1}" "$@"; }
mb() { mbpoll -m rtu -b 9600 -P even -o 1 -1 "$@" "$RTU" 2>&1; }

v=$(mb -a 1 -t 4:int -B -r 1 -c 1 | sed -n 's/^\[1\]:[[:space:]]*//p')
reg=$(meter simt/rddsy .register)
[ -n "$v" ] && [ "$((v * 10))" -le "$reg" ] && ok "mbpoll reads the DDSY1352 over RTU ($v x 0.01 kWh)" ||
	nok "mbpoll RTU read: '$v' vs $reg"
# five opens and closes of the poller's end: socat must survive them
for i in 1 2 3 4 5; do mb -a 2 -t 3:float -B -r 73 -c 1 >/dev/null; done
f=$(mb -a 2 -t 3:float -B -r 73 -c 1 | sed -n 's/^\[73\]:[[:space:]]*//p')
[ -n "$f" ] && ok "the bus survives the poller reopening it ($f kWh from the SDM120)" || nok "RTU after reopening: '$f'"
r=$(rtu read 1 3 0 2)
set -- $r
[ "$#" = 2 ] && ok "pymodbus reads over RTU ($r)" || nok "pymodbus RTU read: $r"
r=$(rtu write16 1 0x57 1 1)
[ "$r" = ok ] && [ "$(meter simt/rddsy .relay)" = open ] && ok "a relay trip over RTU opens the relay" || nok "RTU trip: $r"
r=$(T_OUT=0.5 rtu read 9 3 0 2)
[ "${r%% *}" = error ] && ok "a unit that is not on the bus stays silent ($r)" || nok "unit 9: $r"
r=$(rtu read 1 3 0 2)
[ "${r%% *}" != error ] && ok "and the bus answers the next request" || nok "after silence: $r"
ctl POST /meters/simt/rddsy/fault '{"fault":"garbage","count":1}' >/dev/null
r=$(rtu read 1 3 0 2)
[ "${r%% *}" = error ] && ok "garbage over RTU: the client rejects the frame ($r)" || nok "RTU garbage: $r"
ctl POST /meters/simt/rddsy/fault '{"fault":"exception","count":1,"code":2}' >/dev/null
r=$(rtu read 1 3 0 2)
[ "$r" = "exception 2" ] && ok "an exception over RTU arrives with a good CRC" || nok "RTU exception: $r"
r=$(rtu read 2 4 0x48 2)
set -- $r
[ "$#" = 2 ] && ok "the other meter on the bus answers throughout" || nok "unit 2: $r"
sim_stop
[ ! -e "$RTU" ] && ok "stopping the simulator removes the pty link" || nok "pty link left behind"
done_testing
