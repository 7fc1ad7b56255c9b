#!/bin/bash
# prepay-poller benchmarks (docs/poller.md, "Benchmarks"); not in the suite.
#
#   PREPAY_BENCH_CONF=FILE tests/bench/poller.sh [BUILDDIR]
#
# FILE names a scratch database on the server (created and migrated here;
# the park is added to it). Four figures:
#   1. cycle time for GWS × PER meters with LAT ms per transaction, against
#      the physical limit PER × LAT (the busiest gateway) — storing and
#      billing on, as in production (store_every_s 60);
#   2. poller RSS with that park;
#   3. restore latency: top-up committed → relay closed in the simulator,
#      SAMPLES times, while the poller reads the whole park;
#   4. loopback without latency: poller transactions/s (--no-store,
#      cycle_ms 0) against tests/bench/modbus-raw on the same simulator.
# Environment: GWS (200), PER (50), LAT (20), SECONDS (30), SAMPLES (30).
set -u
B=$(cd "${1:-.}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
GWS=${GWS:-200}; PER=${PER:-50}; LAT=${LAT:-20}; SECONDS_RUN=${SECONDS:-30}; SAMPLES=${SAMPLES:-30}
CONF=${PREPAY_BENCH_CONF:?set PREPAY_BENCH_CONF to a config naming a scratch database}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/poller-bench.XXXXXX")
SITE=pb$$
BASE=$((30000 - GWS - 20))
CTL="$B/prepayctl -c $CONF"
SIM_PID= POLLER_PID=
cleanup() {
	[ -n "$POLLER_PID" ] && kill "$POLLER_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
. "$SRC/tests/integration/db-lib.sh"
PREPAY_CONF=$CONF db_lib_init "$DIR"
sqlq() { sql "$1"; }
PREPAY_SCHEMA_DIR=$SRC/schema $CTL db migrate >/dev/null || exit 1

echo "# park: $GWS gateways x $PER meters (acrel-ddsy1352), $LAT ms per transaction"
python3 - "$SITE" "$GWS" "$PER" "$BASE" > "$DIR/park.json" <<'EOF'
import json, sys
site, gws, per, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
n = gws * per
park = {"version": 1, "sites": [{"code": site, "name": "poller bench " + site, "timezone": "Asia/Shanghai",
    "units": [{"code": "U%d" % i, "name": "shop %d" % i} for i in range(n)],
    "tenants": [{"code": "t%d" % i, "name": "shop tenant %d" % i} for i in range(n)],
    "accounts": [{"code": "a%d" % i, "tenant": "t%d" % i, "energy": "electricity"} for i in range(n)],
    "gateways": [{"code": "g%d" % g, "transport": "tcp", "host": "127.0.0.1", "port": base + g,
                  "timeout_ms": 500, "gap_ms": 0} for g in range(gws)],
    "meters": [{"code": "m%d" % i, "serial": "B%d" % i, "profile": "acrel-ddsy1352", "gateway": "g%d" % (i // per),
                "address": i % per + 1, "unit": "U%d" % i, "account": "a%d" % i, "relay": True} for i in range(n)]}]}
print(json.dumps(park))
EOF
t0=$(date +%s.%N)
$CTL park import "$DIR/park.json" >/dev/null || exit 1
echo "# park import: $(echo "$(date +%s.%N) - $t0" | bc) s"
cat > "$DIR/elec.json" <<EOF
{ "id": "bench", "name": "bench", "energy": "electricity", "unit": "kWh",
  "versions": [ { "effective_from": "2024-01-01", "prices": { "flat": "1.0000" } } ] }
EOF
$CTL tariff import "$DIR/elec.json" --site "$SITE" --code elec >/dev/null
tid=$(sqlq "SELECT t.id FROM tariffs t JOIN sites s ON s.id = t.site_id WHERE s.code = '$SITE'")
# every account on the tariff, funded (SQL: 10,000 prepayctl runs would take minutes)
sqlq "INSERT INTO account_tariffs (account_id, energy, tariff_id, updated_by)
      SELECT a.id, 'electricity', $tid, 'bench' FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$SITE'"
# nobody is cut for want of money except a0..a9 (the restore samples): a
# deep overdraft is a setting, not a ledger entry
sqlq "UPDATE accounts a JOIN sites s ON s.id = a.site_id SET a.overdraft_fen = 1000000000
      WHERE s.code = '$SITE' AND a.code NOT IN ('a0','a1','a2','a3','a4','a5','a6','a7','a8','a9')"
$CTL site policy "$SITE" --grace-min 0 --no-cut-night no --no-cut-weekends no --no-cut-holidays no --reason bench >/dev/null
for i in 0 1 2 3 4 5 6 7 8 9; do
	$CTL topup "$SITE/a$i" 100000 --request-id "$SITE-a$i" --reason bench >/dev/null
done

"$B/prepay-meter-sim" --park "$DIR/park.json" --profiles "$SRC/meters/profiles" --control 127.0.0.1:$((BASE - 1)) \
    --latency "$LAT" --log-level warn 2>"$DIR/sim.log" &
SIM_PID=$!
for _ in $(seq 1 100); do curl -sf 127.0.0.1:$((BASE - 1))/healthz >/dev/null && break; sleep 0.1; done

cat "$CONF" > "$DIR/poller.conf"
cat >> "$DIR/poller.conf" <<EOF
[poller]
cycle_ms = $((PER * LAT))
store_every_s = 60
stats_s = 2
relay_poll_ms = 100
EOF
"$B/prepay-poller" -c "$DIR/poller.conf" --site "$SITE" --profiles "$SRC/meters/profiles" 2>"$DIR/poller.log" &
POLLER_PID=$!
sleep "$SECONDS_RUN"
limit=$((PER * LAT))
echo "## 1. cycle time ($GWS gateways, busiest has $PER meters, $LAT ms per transaction)"
grep "stats:" "$DIR/poller.log" | tail -n 5 | sed 's/.*stats: /#   /'
grep "stats:" "$DIR/poller.log" | tail -n 5 | sed 's/.*slowest_cycle_ms=\([0-9]*\).*/\1/' | sort -n > "$DIR/cyc"
med=$(sed -n 3p "$DIR/cyc"); slow=$(tail -1 "$DIR/cyc")
echo "cycle_ms of the slowest bus, last 5 samples: median $med (ratio $(echo "scale=3; $med / $limit" | bc)), worst $slow (ratio $(echo "scale=3; $slow / $limit" | bc)); physical limit $limit ms"
stored=$(sqlq "SELECT COUNT(*) FROM readings r JOIN meters m ON m.id = r.meter_id JOIN sites s ON s.id = m.site_id WHERE s.code = '$SITE'")
echo "readings stored and billed in the run: $stored"
echo "## 2. memory"
echo "poller RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$POLLER_PID/status)  (VmHWM $(awk '/VmHWM/ {print $2, $3}' /proc/$POLLER_PID/status))"

echo "## 3. restore latency (top-up committed -> relay closed in the simulator), $SAMPLES samples"
: > "$DIR/lat"
for i in $(seq 1 "$SAMPLES"); do
	a=a$((i % 10))
	aid=$(sqlq "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$SITE' AND a.code = '$a'")
	bal=$(sqlq "SELECT balance_fen FROM accounts WHERE id = $aid")
	# below zero through the ledger (an overdraft allows the adjustment),
	# then the overdraft back to 0 and the policy re-applied: it cuts
	sqlq "UPDATE accounts SET overdraft_fen = 100000 WHERE id = $aid"
	$CTL adjust "$SITE/$a" "-$(( bal / 100 + 5 ))" --request-id "$SITE-cut-$i" --reason bench >/dev/null
	sqlq "UPDATE accounts SET overdraft_fen = 0 WHERE id = $aid"
	$CTL account policy "$SITE/$a" --grace-min 0 --reason bench >/dev/null
	for _ in $(seq 1 300); do
		[ "$(curl -sf 127.0.0.1:$((BASE - 1))/meters/$SITE/m$((i % 10)) | jq -r .relay)" = open ] && break
		sleep 0.02
	done
	$CTL topup "$SITE/$a" 10 --request-id "$SITE-restore-$i" --reason bench >/dev/null
	t0=$(date +%s%N)
	for _ in $(seq 1 500); do
		[ "$(curl -sf 127.0.0.1:$((BASE - 1))/meters/$SITE/m$((i % 10)) | jq -r .relay)" = closed ] && break
		sleep 0.01
	done
	echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$DIR/lat"
done
sort -n "$DIR/lat" > "$DIR/lat.s"
n=$(wc -l < "$DIR/lat.s")
p50=$(sed -n "$(( (n + 1) / 2 ))p" "$DIR/lat.s"); p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$DIR/lat.s")
echo "restore latency ms: p50 $p50  p99 $p99  max $(tail -1 "$DIR/lat.s")  (n=$n)"
kill "$POLLER_PID"; wait "$POLLER_PID" 2>/dev/null; POLLER_PID=

echo "## 4. loopback without latency: poller vs raw libmodbus, same simulator"
curl -sf 127.0.0.1:$((BASE - 1))/gateways | jq -r '.[].code' | while read -r g; do
	curl -sf -X POST -d '{"ms":0}' "127.0.0.1:$((BASE - 1))/gateways/$SITE/$g/latency" >/dev/null
done
NG=${LOOP_GWS:-8}
targets=
for g in $(seq 0 $((NG - 1))); do targets="$targets 127.0.0.1:$((BASE + g)):1-$PER"; done
sqlq "UPDATE gateways g JOIN sites s ON s.id = g.site_id SET g.enabled = (CAST(SUBSTRING(g.code, 2) AS UNSIGNED) < $NG) WHERE s.code = '$SITE'"
sed -i 's/^cycle_ms = .*/cycle_ms = 0/; s/^stats_s = .*/stats_s = 5/' "$DIR/poller.conf"
# the machine is shared (2 cores, the simulator on them too): alternate the
# two clients three times and compare medians
: > "$DIR/raw.all"; : > "$DIR/pol.all"
for round in 1 2 3; do
	"$B/tests/bench/modbus-raw" -s 5 -f 3 -a 0 -c 10 $targets > "$DIR/raw.out"
	grep '^gateways:' "$DIR/raw.out" | sed 's/.*reads\/s: *//' >> "$DIR/raw.all"
	"$B/prepay-poller" -c "$DIR/poller.conf" --site "$SITE" --profiles "$SRC/meters/profiles" --no-store 2>"$DIR/poller2.log" &
	POLLER_PID=$!
	sleep 11.5
	kill "$POLLER_PID"; wait "$POLLER_PID" 2>/dev/null; POLLER_PID=
	# answered transactions per second between the first two stats lines (5 s apart, after warm-up)
	grep "stats:" "$DIR/poller2.log" | head -2 | sed 's/.*transactions=\([0-9]*\).*errors=\([0-9]*\).*/\1 \2/' |
	    awk 'NR == 1 { a = $1 - $2 } NR == 2 { printf "%.0f\n", ($1 - $2 - a) / 5 }' >> "$DIR/pol.all"
done
echo "#   raw reads/s:     $(tr '\n' ' ' < "$DIR/raw.all")"
echo "#   poller reads/s:  $(tr '\n' ' ' < "$DIR/pol.all")"
raw=$(sort -n "$DIR/raw.all" | sed -n 2p); pol=$(sort -n "$DIR/pol.all" | sed -n 2p)
echo "raw libmodbus reads/s (median): $raw   poller (median): $pol   ratio: $(echo "scale=3; $pol / $raw" | bc)  ($NG gateways x $PER meters, 10 registers)"
sqlq "UPDATE gateways g JOIN sites s ON s.id = g.site_id SET g.enabled = 1 WHERE s.code = '$SITE'"
