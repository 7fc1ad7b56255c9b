#!/bin/sh
# An independent peer: a pymodbus server standing in for a Hiking DDS238
# (tests/integration/poller-peer.py) is read, billed and switched by the
# poller — the register map and relay handling do not only agree with our
# own simulator.
. "$(dirname "$0")/poller-lib.sh"
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null ||
	{ echo "1..0 # SKIP python3-pymodbus missing (apt-get install python3-pymodbus)"; exit 0; }

PEER_PORT=$((BASE + 5))
cat > "$DIR/park.json" <<EOF
{ "version": 1, "sites": [ { "code": "$SITE", "name": "poller peer test $SITE", "timezone": "Asia/Shanghai",
  "units": [ { "code": "U1", "name": "shop" } ],
  "tenants": [ { "code": "t1", "name": "peer tenant" } ],
  "accounts": [ { "code": "t1-e", "tenant": "t1", "energy": "electricity" } ],
  "gateways": [ { "code": "peer", "transport": "tcp", "host": "127.0.0.1", "port": $PEER_PORT, "timeout_ms": 500, "gap_ms": 0 } ],
  "meters": [ { "code": "dds", "serial": "PEER-1", "profile": "hiking-dds238", "gateway": "peer", "address": 1,
                "unit": "U1", "account": "t1-e", "relay": true } ] } ] }
EOF
$CTL park import "$DIR/park.json" >/dev/null || { nok "import the peer park"; done_testing; }
cat > "$DIR/elec.json" <<EOF
{ "id": "peer-elec", "name": "peer test", "energy": "electricity", "unit": "kWh",
  "versions": [ { "effective_from": "2024-01-01", "prices": { "flat": "1.0000" } } ] }
EOF
$CTL tariff import "$DIR/elec.json" --site "$SITE" --code elec >/dev/null &&
	$CTL tariff assign "$SITE/t1-e" "$SITE/elec" >/dev/null &&
	$CTL topup "$SITE/t1-e" 1000 --request-id "$SITE-1" --reason "peer test" >/dev/null ||
	{ nok "tariff and top-up"; done_testing; }
ok "peer park $SITE imported"

/usr/bin/python3 "$PREPAY_SRCDIR/tests/integration/poller-peer.py" "$PEER_PORT" 123456 "$DIR/peer.state" \
    2>"$DIR/peer.log" &
PEER_PID=$!
trap 'kill $PEER_PID 2>/dev/null; wait $PEER_PID 2>/dev/null; cleanup' EXIT
peer_up() {
	[ -s "$DIR/peer.state" ] &&
	    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PEER_PORT), 1)" 2>/dev/null
}
wait_for 10 peer_up || { nok "pymodbus peer starts"; cat "$DIR/peer.log" | sed 's/^/# /'; done_testing; }
SIM_SPEED=1
poller_start
mid=$(meter_id dds)
nread() { sql "SELECT COUNT(*) FROM readings WHERE meter_id = $mid"; }
has_read() { [ "$(nread)" -ge "$1" ]; }
check "the poller reads the pymodbus peer" wait_for 15 has_read 1
first=$(sql "SELECT register_milli FROM readings WHERE meter_id = $mid ORDER BY read_at LIMIT 1")
# 123456 × 0.01 kWh = 1234.56 kWh = 1234560 Wh, plus what it counted since
[ "$first" -ge 1234560 ] && [ "$first" -le 1244560 ] && [ $((first % 10)) = 0 ] &&
	ok "its counter decodes as the profile says ($first Wh)" || nok "first reading $first Wh"
billed() { [ "$(sql "SELECT COALESCE(SUM(billed_milli), 0) FROM readings WHERE meter_id = $mid")" -gt 0 ]; }
check "its usage is billed" wait_for 15 billed
peer_counter=$(cut -d' ' -f1 "$DIR/peer.state")
last=$(sql "SELECT MAX(register_milli) FROM readings WHERE meter_id = $mid")
[ "$last" -le $((peer_counter * 10)) ] && ok "never more than the peer counted ($last <= $((peer_counter * 10)))" ||
	nok "read $last, the peer counted $((peer_counter * 10))"

$CTL meter cut "$SITE/dds" --reason "peer test" >/dev/null
peer_relay() { [ "$(cut -d' ' -f2 "$DIR/peer.state")" = "$1" ]; }
check "a cut writes the peer's relay register (FC 16) to 0" wait_for 10 peer_relay 0
confirmed() { [ "$(sql "SELECT status FROM relay_commands WHERE meter_id = $mid ORDER BY id DESC LIMIT 1")" = confirmed ]; }
check "and is confirmed by reading it back" wait_for 10 confirmed
$CTL meter restore "$SITE/dds" --reason "peer test" >/dev/null
check "a restore writes it back to 1" wait_for 10 peer_relay 1
poller_stop
[ "$POLLER_RC" = 0 ] && ok "the poller stops cleanly" || nok "poller exit $POLLER_RC"
check "no doubled or negative charge" billing_consistent
done_testing
