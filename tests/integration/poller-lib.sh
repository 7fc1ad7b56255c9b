# Shared by tests/integration/poller-*.sh: TAP helpers, a private park (own
# site code, own ports) in the shared database, a simulator and a poller
# started and stopped by PID.
: "${PREPAY_BUILDDIR:=$(pwd)}"
: "${PREPAY_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=0
FAILED=0
ok() { T=$((T + 1)); echo "ok $T - $*"; }
nok() { T=$((T + 1)); FAILED=1; echo "not ok $T - $*"; }
check() { d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else nok "$d"; fi; }
done_testing() { echo "1..$T"; exit $FAILED; }

if [ -z "${PREPAY_CONF:-}" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
for t in curl jq socat mariadb; do
	command -v "$t" >/dev/null 2>&1 || { echo "1..0 # SKIP $t missing"; exit 0; }
done
CTL="$PREPAY_BUILDDIR/prepayctl -c $PREPAY_CONF"
SIM_BIN=$PREPAY_BUILDDIR/prepay-meter-sim
POLLER_BIN=$PREPAY_BUILDDIR/prepay-poller
PROFILES=$PREPAY_SRCDIR/meters/profiles
DIR=$(mktemp -d "${TMPDIR:-/tmp}/prepay-poller.XXXXXX")
SITE=p$(date +%s | tail -c 6)$$
SITE=$(printf '%.16s' "$SITE")
SIM_PID=
POLLER_PID=

# the database, as the config names it, for checks the CLI does not show
. "$PREPAY_SRCDIR/tests/integration/db-lib.sh"
db_lib_init "$DIR"

# ports of our own, below the ephemeral range, away from the sim tests'
ports() {
	BASE=$((24000 + (($$ + ${1:-0} * 211) % 700) * 10))
	SIM_URL=http://127.0.0.1:$((BASE + 9))
}
ports 0

# the test park: tests/integration/data/sim-park.json under our site code
# and ports; water gets its own tariff
make_park() {
	jq --arg s "$SITE" --argjson p1 $((BASE + 1)) --argjson p2 $((BASE + 2)) --arg dev "$DIR/rtu0" '
	    .sites[0].code = $s | .sites[0].name = "poller test \($s)"
	    | .sites[0].gateways[0].port = $p1 | .sites[0].gateways[1].port = $p2
	    | .sites[0].gateways[2].device = $dev
	    | .sites[0].gateways[] |= (.timeout_ms = 300 | .gap_ms = 0)' \
	    "$PREPAY_SRCDIR/tests/integration/data/sim-park.json" > "$DIR/park.json"
}

# price: yuan per kWh (and per m³), so balances move in seconds
setup_park() {
	price=${1:-50.0000}
	make_park
	$CTL park import "$DIR/park.json" >/dev/null || return 1
	# a price for every band: meters with TOU registers bill per band
	cat > "$DIR/elec.json" <<EOF
{ "id": "test-elec", "name": "poller test electricity", "energy": "electricity", "unit": "kWh",
  "versions": [ { "effective_from": "2024-01-01",
    "prices": { "sharp": "$price", "peak": "$price", "flat": "$price", "valley": "$price" } } ] }
EOF
	cat > "$DIR/water.json" <<EOF
{ "id": "test-water", "name": "poller test water", "energy": "water", "unit": "m3",
  "versions": [ { "effective_from": "2024-01-01", "prices": { "flat": "$price" } } ] }
EOF
	$CTL tariff import "$DIR/elec.json" --site "$SITE" --code elec >/dev/null || return 1
	$CTL tariff import "$DIR/water.json" --site "$SITE" --code water >/dev/null || return 1
	for a in t1-e t2-e t3-e t4-e t5-e; do
		$CTL tariff assign "$SITE/$a" "$SITE/elec" >/dev/null || return 1
	done
	$CTL tariff assign "$SITE/t2-w" "$SITE/water" >/dev/null || return 1
	# cut at once when the money is gone, at any hour
	$CTL site policy "$SITE" --grace-min 0 --no-cut-night no --no-cut-weekends no --no-cut-holidays no \
	    --level1 100 --level2 30 --reason "poller test" >/dev/null
}

sim_start() { # extra options
	for try in 0 1 2 3; do
		: > "$DIR/sim.log"
		"$SIM_BIN" --park "$DIR/park.json" --profiles "$PROFILES" --control 127.0.0.1:$((BASE + 9)) \
		    --speed "${SIM_SPEED:-60}" --seed 7 "$@" 2>>"$DIR/sim.log" &
		SIM_PID=$!
		for _ in $(seq 1 100); do
			curl -sf "$SIM_URL/healthz" >/dev/null 2>&1 && return 0
			kill -0 "$SIM_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null
		SIM_PID=
		grep -q "Address already in use" "$DIR/sim.log" || break
		# another set of ports: the park in the database follows
		ports $((try + 1)); make_park; $CTL park import "$DIR/park.json" >/dev/null
	done
	echo "# simulator did not start:"; sed 's/^/# /' "$DIR/sim.log"
	return 1
}

poller_conf() {
	cat "$PREPAY_CONF" > "$DIR/poller.conf"
	cat >> "$DIR/poller.conf" <<EOF
[poller]
cycle_ms = ${CYCLE_MS:-300}
store_every_s = 1
offline_after = 2
backoff_max_s = 1
reconnect_max_s = 1
relay_poll_ms = 100
relay_max_attempts = 3
reload_s = 2
sweep_s = 1
stats_s = 5
speed = ${SIM_SPEED:-60}
EOF
}

poller_start() {
	[ -f "$DIR/poller.conf" ] || poller_conf
	"$POLLER_BIN" -c "$DIR/poller.conf" --site "$SITE" --profiles "$PROFILES" "$@" 2>>"$DIR/poller.log" &
	POLLER_PID=$!
}

poller_stop() {
	[ -n "$POLLER_PID" ] || return 0
	kill "$POLLER_PID" 2>/dev/null
	wait "$POLLER_PID"
	POLLER_RC=$?
	POLLER_PID=
}

poller_kill9() {
	[ -n "$POLLER_PID" ] || return 0
	kill -9 "$POLLER_PID" 2>/dev/null
	wait "$POLLER_PID" 2>/dev/null
	POLLER_PID=
}

# wait_for SECONDS command...: until the command succeeds
wait_for() {
	w_n=$(($1 * 10)); shift
	while [ "$w_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		w_n=$((w_n - 1))
	done
	return 1
}

meter_json() { curl -sf "$SIM_URL/meters/$SITE/$1"; }
sim_relay() { meter_json "$1" | jq -r .relay; }
fault() { # meter json
	curl -sf -X POST -d "$2" "$SIM_URL/meters/$SITE/$1/fault" >/dev/null
}
account_id() { sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$SITE' AND a.code = '$1'"; }
meter_id() { sql "SELECT m.id FROM meters m JOIN sites s ON s.id = m.site_id WHERE s.code = '$SITE' AND m.code = '$1'"; }
balance() { sql "SELECT balance_fen FROM accounts WHERE id = $(account_id "$1")"; }
outbox_count() { # account kind
	sql "SELECT COUNT(*) FROM outbox WHERE account_id = $(account_id "$1") AND kind = '$2'"
}
meter_alerts() { # meter kind
	sql "SELECT COUNT(*) FROM outbox WHERE kind = '$2' AND JSON_VALUE(payload, '\$.meter_id') = $(meter_id "$1")"
}

# no reading billed twice, none negative: what the readings billed equals
# what consumption stored, per meter of the site
billing_consistent() {
	bad=$(sql "SELECT COUNT(*) FROM meters m JOIN sites s ON s.id = m.site_id WHERE s.code = '$SITE' AND
	    (SELECT COALESCE(SUM(billed_milli), 0) FROM readings r WHERE r.meter_id = m.id) <>
	    (SELECT COALESCE(SUM(energy_milli), 0) FROM consumption c WHERE c.meter_id = m.id)")
	neg=$(sql "SELECT COUNT(*) FROM readings r JOIN meters m ON m.id = r.meter_id JOIN sites s ON s.id = m.site_id
	    WHERE s.code = '$SITE' AND r.billed_milli < 0")
	pos=$(sql "SELECT COUNT(*) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id JOIN sites s ON
	    s.id = a.site_id WHERE s.code = '$SITE' AND e.kind = 'consumption' AND e.amount_fen > 0")
	[ "$bad" = 0 ] && [ "$neg" = 0 ] && [ "$pos" = 0 ]
}

cleanup() {
	[ -n "$POLLER_PID" ] && { kill "$POLLER_PID" 2>/dev/null; wait "$POLLER_PID" 2>/dev/null; }
	[ -n "$SIM_PID" ] && { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }
	if [ "$FAILED" != 0 ]; then
		[ -f "$DIR/poller.log" ] && { echo "# poller log:"; tail -n 40 "$DIR/poller.log" | sed 's/^/# /'; }
		[ -f "$DIR/sim.log" ] && { echo "# simulator log:"; tail -n 15 "$DIR/sim.log" | sed 's/^/# /'; }
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
