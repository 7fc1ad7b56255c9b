#!/bin/bash
# End to end (issue 5): a balance at zero, the relay open in the simulator
# → a sandbox payment → the relay closed in the simulator. The whole chain
# runs for real: prepay-meter-sim serves a park of this test's own, the
# poller bills the consumption and the policy (grace 0) cuts; the tenant
# orders through POST /api/v1/topups and pays at the sandbox; the
# notification's transaction writes the close command and the poller
# carries it out. The time from the payment to the closed relay is printed
# (a diagnostic, not an assertion).
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"
diag() { printf '# %s\n' "$*"; }

for p in prepay-meter-sim prepay-poller; do
	if [ ! -x "$PREPAY_BUILDDIR/$p" ]; then
		echo "1..0 # SKIP needs $PREPAY_BUILDDIR/$p"
		exit 0
	fi
done
SIM_PID=
POLLER_PID=
relay_cleanup() {
	if [ "${tap_failed:-0}" != 0 ]; then
		echo "# the end of the poller's and the simulator's logs:"
		tail -n 15 "$T/poller.log" "$T/sim.log" 2>/dev/null | sed 's/^/#   /'
	fi
	for p in $POLLER_PID $SIM_PID; do kill -TERM "$p" 2>/dev/null; done
	for p in $POLLER_PID $SIM_PID; do wait "$p" 2>/dev/null; done
	pay_cleanup
}
trap relay_cleanup EXIT

# wait_for SECONDS COMMAND...: poll until the command succeeds
wait_for() {
	w_n=$(($1 * 10)); shift
	while [ "$w_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; w_n=$((w_n - 1))
	done
	return 1
}

# a site of our own: one relay meter on a gateway at a free port
R=rl-$RUN
GW_PORT=$(pick_port)
CTL_PORT=$(pick_port)
while [ "$CTL_PORT" = "$GW_PORT" ] || [ "$CTL_PORT" = "$HTTP_PORT" ] || [ "$CTL_PORT" = "$SB_PORT" ]; do CTL_PORT=$(pick_port); done
SIM_URL=http://127.0.0.1:$CTL_PORT
make_park() {
	cat >"$T/relay-park.json" <<PARK
{ "version": 1, "sites": [ {
  "code": "$R", "name": "payment relay test", "timezone": "Asia/Shanghai",
  "units": [ { "code": "S1", "name": "shop 1" } ],
  "tenants": [ { "code": "t1", "name": "corner shop" } ],
  "accounts": [ { "code": "a1", "tenant": "t1", "energy": "electricity" } ],
  "gateways": [ { "code": "gw1", "transport": "tcp", "host": "127.0.0.1", "port": $GW_PORT, "timeout_ms": 300, "gap_ms": 0 } ],
  "meters": [ { "code": "m1", "serial": "RL-$RUN", "profile": "acrel-ddsy1352", "gateway": "gw1", "address": 1,
                "unit": "S1", "account": "a1", "relay": true } ]
} ] }
PARK
	run_ctl park import "$T/relay-park.json"
}
make_park
check "a park with a relay meter imports" [ "$rc" = 0 ]
cat >"$T/elec.json" <<TARIFF
{ "id": "rl-elec", "name": "relay test electricity", "energy": "electricity", "unit": "kWh",
  "versions": [ { "effective_from": "2024-01-01",
    "prices": { "sharp": "1.0000", "peak": "1.0000", "flat": "1.0000", "valley": "1.0000" } } ] }
TARIFF
run_ctl tariff import "$T/elec.json" --site "$R" --code elec && [ "$rc" = 0 ] && run_ctl tariff assign "$R/a1" "$R/elec"
check "a tariff assigned" [ "$rc" = 0 ]
# cut as soon as the money is gone, at any hour of any day
run_ctl site policy "$R" --grace-min 0 --no-cut-night no --no-cut-weekends no --no-cut-holidays no \
    --level1 100 --level2 30 --reason "payment relay test"
check "a cut-at-zero policy" [ "$rc" = 0 ]
A=$(sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$R' AND a.code = 'a1'")
M=$(sql "SELECT m.id FROM meters m JOIN sites s ON s.id = m.site_id WHERE s.code = '$R' AND m.code = 'm1'")
expect "the account starts at zero" "$(balance "$A")" 0

sim_relay() { curl -sf "$SIM_URL/meters/$R/m1" | jq -r .relay; }
relay_is() { [ "$(sim_relay)" = "$1" ]; }
sim_start() {
	for try in 0 1 2 3; do
		: >"$T/sim.log"
		"$PREPAY_BUILDDIR/prepay-meter-sim" --park "$T/relay-park.json" --profiles "$PREPAY_SRCDIR/meters/profiles" \
		    --control "127.0.0.1:$CTL_PORT" --speed 60 --seed 7 2>>"$T/sim.log" &
		SIM_PID=$!
		wait_for 10 curl -sf "$SIM_URL/healthz" && return 0
		kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null
		SIM_PID=
		grep -q "Address already in use" "$T/sim.log" || break
		# taken meanwhile: other ports, and the park in the database follows
		GW_PORT=$(pick_port); CTL_PORT=$(pick_port); SIM_URL=http://127.0.0.1:$CTL_PORT
		make_park
	done
	sed 's/^/# /' "$T/sim.log"
	return 1
}
if ! sim_start; then
	not_ok "the simulator starts"
	done_testing
	exit
fi
{
	cat "$PREPAY_CONF"
	cat <<POLLER
[poller]
cycle_ms = 300
store_every_s = 1
offline_after = 2
backoff_max_s = 1
reconnect_max_s = 1
relay_poll_ms = 100
relay_max_attempts = 3
reload_s = 2
sweep_s = 1
stats_s = 5
speed = 60
POLLER
} >"$T/poller.conf"
"$PREPAY_BUILDDIR/prepay-poller" -c "$T/poller.conf" --site "$R" --profiles "$PREPAY_SRCDIR/meters/profiles" 2>>"$T/poller.log" &
POLLER_PID=$!

below_zero() { [ "$(balance "$A")" -lt 0 ]; }
check "consumption takes the balance below zero" wait_for 120 below_zero
check "the policy cuts: the relay is open in the simulator" wait_for 60 relay_is open
expect "the cut command is confirmed by read-back" \
    "$(sql "SELECT status FROM relay_commands WHERE meter_id = $M AND action = 'open' ORDER BY id DESC LIMIT 1")" confirmed

# the tenant pays what is owed and ¥500 more
fen=$(( -$(balance "$A") + 50000 ))
topup "$A" "$fen" sandbox
expect "a sandbox top-up order through POST /api/v1/topups" "$code" 201
pay_url=$(jq -r '.pay_url // empty' "$T/topup")
check "the order has the sandbox's pay page" [ -n "$pay_url" ]
t0=$(date +%s.%N)
curl -s -X POST -d '{}' "$SB/sandbox/pay/$NO" >"$T/paid"
expect "the sandbox's notification was answered 204" "$(jq -r '.deliveries[0].status' "$T/paid")" 204
check "the relay closes in the simulator" wait_for 60 relay_is closed
t1=$(date +%s.%N)
diag "payment → relay closed in the simulator: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
expect "credited once" "$(credits "$A")" 1
expect "the close command is confirmed by read-back" \
    "$(sql "SELECT status FROM relay_commands WHERE meter_id = $M AND action = 'close' ORDER BY id DESC LIMIT 1")" confirmed
expect "the restore is audited" \
    "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'supply.restore' AND object_type = 'account' AND object_id = $A")" 1

kill -TERM "$POLLER_PID"
wait "$POLLER_PID"
prc=$?
POLLER_PID=
expect "the poller stops cleanly" "$prc" 0
run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/out" "$T/err" | tail -n 15
done_testing
