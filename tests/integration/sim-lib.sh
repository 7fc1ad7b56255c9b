# Shared by tests/integration/sim-*.sh: TAP helpers and a private simulator.
# Needs no database, so these tests always run.
: "${PREPAY_BUILDDIR:=$(pwd)}"
: "${PREPAY_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
SIM_BIN=$PREPAY_BUILDDIR/prepay-meter-sim
SIM_PARK=$PREPAY_SRCDIR/tests/integration/data/sim-park.json
SIM_PROFILES=$PREPAY_SRCDIR/meters/profiles
SIM_CLIENT="/usr/bin/python3 $PREPAY_SRCDIR/tests/integration/sim-client.py"
T=0
FAILED=0

ok() { T=$((T + 1)); echo "ok $T - $*"; }
nok() { T=$((T + 1)); FAILED=1; echo "not ok $T - $*"; }
check() { # check "description" command...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else nok "$d"; fi
}
done_testing() { echo "1..$T"; exit $FAILED; }

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { echo "1..0 # SKIP $t missing (apt-get install ${t#/usr/bin/})"; exit 0; }
	done
	/usr/bin/python3 -c 'import pymodbus' 2>/dev/null ||
		{ echo "1..0 # SKIP python3-pymodbus missing (apt-get install python3-pymodbus)"; exit 0; }
}

# private ports per test process, below the kernel's ephemeral range
# (32768+) so client connections cannot hold them; the park's gateway
# ports are 1 and 2; another offset is tried when one is taken
sim_ports() {
	SIM_OFFSET=$((20000 + (($$ + ${1:-0} * 397) % 1200) * 10))
	SIM_CTL=127.0.0.1:$((SIM_OFFSET + 9))
	SIM_URL=http://$SIM_CTL
	GW1=127.0.0.1:$((SIM_OFFSET + 1))
	GW2=127.0.0.1:$((SIM_OFFSET + 2))
}
sim_ports 0
SIM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/prepay-sim.XXXXXX")
RTU=$SIM_DIR/rtu0
SIM_PID=

sim_start() { # extra options
	for try in 0 1 2 3 4; do
		: > "$SIM_DIR/sim.log"
		"$SIM_BIN" --park "$SIM_PARK" --profiles "$SIM_PROFILES" --control "$SIM_CTL" \
		    --port-offset "$SIM_OFFSET" --rtu-dir "$SIM_DIR" "$@" 2>>"$SIM_DIR/sim.log" &
		SIM_PID=$!
		for _ in $(seq 1 100); do
			curl -sf "$SIM_URL/healthz" >/dev/null 2>&1 && return 0
			kill -0 "$SIM_PID" 2>/dev/null || break
			sleep 0.1
		done
		wait "$SIM_PID" 2>/dev/null
		SIM_PID=
		grep -q "Address already in use" "$SIM_DIR/sim.log" || break
		sim_ports $((try + 1))
	done
	echo "# simulator did not start:"; sed 's/^/# /' "$SIM_DIR/sim.log"
	return 1
}

sim_stop() {
	[ -n "$SIM_PID" ] || return 0
	kill "$SIM_PID" 2>/dev/null
	wait "$SIM_PID"
	SIM_RC=$?
	SIM_PID=
	return 0
}

cleanup() {
	sim_stop
	if [ "$FAILED" != 0 ] && [ -f "$SIM_DIR/sim.log" ]; then
		echo "# simulator log:"; tail -n 40 "$SIM_DIR/sim.log" | sed 's/^/# /'
	fi
	rm -rf "$SIM_DIR"
}
trap cleanup EXIT

# ctl METHOD PATH [JSON] -> body on stdout
ctl() {
	if [ -n "${3:-}" ]; then
		curl -s -X "$1" -H 'Content-Type: application/json' -d "$3" "$SIM_URL$2"
	else
		curl -s -X "$1" "$SIM_URL$2"
	fi
}
meter() { ctl GET "/meters/$1" | jq -r "$2"; }
