#!/bin/bash
# The hourly usage rollup (usage_hours, docs/tenant.md "Usage") equals the
# consumption it is built from: readings of a schedule-split meter and of a
# band-register meter across a month end (one reading split at midnight,
# one spanning hours, late July registers after August began, a replay),
# then the usage API's buckets — energy, cost, bands and list cost — are
# compared with sums over consumption and the tariff's prices, and
# `prepayctl usage rebuild` reproduces the rows exactly.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/tenant-lib.sh"

run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/jiangsu-industrial-tou.json" --site "$PAY_SITE" --code tou
run_ctl tariff assign "$PAY_SITE/a1" "$PAY_SITE/tou"
expect "a TOU tariff (all four bands priced) assigned to a1" "$rc" 0
sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT site_id, 'r1', 'chint-ddsu666', id FROM accounts WHERE id = $A1"
sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT site_id, 'r2', 'chint-ddsu666', id FROM accounts WHERE id = $A1"
M1=$(sql "SELECT m.id FROM meters m JOIN sites s ON s.id = m.site_id WHERE s.code = '$PAY_SITE' AND m.code = 'r1'")
M2=$(sql "SELECT m.id FROM meters m JOIN sites s ON s.id = m.site_id WHERE s.code = '$PAY_SITE' AND m.code = 'r2'")

# local (UTC+8) 2025-07-31 20:00 → 2025-08-01 04:00: summer bands sharp 20-21,
# peak 21-22, flat 22-24, valley 0-8
t0=$(date -u -d '2025-07-31 12:00' +%s)
utc() { date -u -d "@$1" '+%FT%H:%M:%SZ'; }
post() {	# METER START END ENERGY [BANDS]
	run_ctl consume "$PAY_SITE/$1" --start "$(utc "$2")" --end "$(utc "$3")" --energy "$4" ${5:+--bands "$5"}
	[ "$rc" = 0 ] || { bad=$((bad + 1)); sed 's/^/# consume: /' "$T/err"; }
}
bad=0
kwh() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
# r1: 15-minute readings 20:00-23:45, one 23:45-00:15 across the month end,
# then 00:15-01:00 in quarters and one reading 01:00-03:30
for q in $(seq 0 14); do
	post r1 $((t0 + q * 900)) $((t0 + q * 900 + 900)) "$(kwh $((100 + q * 37)))"
done
post r1 $((t0 + 15 * 900)) $((t0 + 17 * 900)) 0.5
for q in 17 18 19; do post r1 $((t0 + q * 900)) $((t0 + q * 900 + 900)) 0.333; done
post r1 $((t0 + 5 * 3600)) $((t0 + 7 * 3600 + 1800)) 4.321
# r2: hourly TOU registers; its July hours come after r1 moved the account into August
for h in 0 1 2 3 4 5 6; do
	post r2 $((t0 + h * 3600)) $((t0 + h * 3600 + 3600)) 1.5 "peak=$(kwh $((200 + h * 100))),valley=$(kwh $((1300 - h * 100)))"
done
expect "every reading posted" "$bad" 0

# the rollup's rows, byte for byte, in key order
rollup() {
	sql "SET SESSION group_concat_max_len = 1048576; SELECT COUNT(*), SHA2(IFNULL(GROUP_CONCAT(CONCAT_WS(',', energy, hour_at,
	     meter_id, sharp_milli, peak_milli, flat_milli, valley_milli, unsplit_milli, rated_nyuan, sharp_nyuan, peak_nyuan,
	     flat_nyuan, valley_nyuan) ORDER BY energy, hour_at, meter_id SEPARATOR ';'), ''), 256) FROM usage_hours
	     WHERE account_id = $A1"
}
# consumption summed per meter and UTC start hour, against usage_hours
check "usage_hours holds one row per meter and start hour with consumption's energy and rated cost" [ "$(sql "
    SELECT COUNT(*) FROM (SELECT meter_id, DATE_FORMAT(start_at, '%Y-%m-%d %H:00:00') h, SUM(energy_milli) e,
      SUM(rated_nyuan) r FROM consumption WHERE account_id = $A1 GROUP BY meter_id, h) c
    JOIN usage_hours u ON u.account_id = $A1 AND u.meter_id = c.meter_id AND u.hour_at = c.h
    WHERE c.e = u.sharp_milli + u.peak_milli + u.flat_milli + u.valley_milli + u.unsplit_milli AND c.r = u.rated_nyuan")" \
    = "$(sql "SELECT COUNT(*) FROM usage_hours WHERE account_id = $A1")" ]
expect "usage_hours: 6 start hours of r1, 7 of r2" "$(sql "SELECT COUNT(*) FROM usage_hours WHERE account_id = $A1")" 13

before=$(rollup)
run_ctl consume "$PAY_SITE/r1" --start "$(utc $((t0 + 3 * 900)))" --end "$(utc $((t0 + 4 * 900)))" --energy "$(kwh $((100 + 3 * 37)))"
expect "the same reading again is a replay" "$rc $(cut -d: -f1 "$T/out")" "0 replayed (already posted)"
expect "a replay leaves the rollup alone" "$(rollup)" "$before"

signin u1 "$PH1"
from=$(utc "$t0") to=$(utc $((t0 + 8 * 3600)))
req u1 GET "/api/v1/accounts/$A1/usage?from=$from&to=$to&step=hour"
expect "usage by hour: 200, 8 buckets" "$code $(body '.current.buckets | length')" "200 8"
# local hour → the summer workday band of the tariff (sharp 0, peak 1, flat 2, valley 3)
bands_sql="SELECT DATE_FORMAT(start_at + INTERVAL 8 HOUR, '%Y-%m-%dT%H') h, energy_milli e, rated_nyuan r,
    IFNULL(band, CASE WHEN HOUR(start_at + INTERVAL 8 HOUR) < 8 THEN 3 WHEN HOUR(start_at + INTERVAL 8 HOUR) = 20 THEN 0
      WHEN HOUR(start_at + INTERVAL 8 HOUR) = 21 THEN 1 ELSE 2 END) b FROM consumption WHERE account_id = $A1"
expect "usage by hour: each bucket's energy and cost are consumption's sums" \
    "$(body '.current.buckets[] | select(.energy_milli > 0) | "\(.start[0:13]) \(.energy_milli) \(.cost_fen)"')" \
    "$(sql "SELECT h, SUM(e), FLOOR((SUM(r) + 5000000) / 10000000) FROM ($bands_sql) x GROUP BY h ORDER BY h" | tr '\t' ' ')"
expect "usage by hour: each bucket's bands are the tariff's bands and the registers'" \
    "$(body '.current.buckets[] | select(.energy_milli > 0) | "\(.start[0:13]) \(.bands_milli.sharp) \(.bands_milli.peak) \(.bands_milli.flat) \(.bands_milli.valley) \(.bands_milli.unsplit)"')" \
    "$(sql "SELECT h, SUM(IF(b = 0, e, 0)), SUM(IF(b = 1, e, 0)), SUM(IF(b = 2, e, 0)), SUM(IF(b = 3, e, 0)), 0
            FROM ($bands_sql) x GROUP BY h ORDER BY h" | tr '\t' ' ')"
# list prices of the version in effect (2024-07-01): sharp 1.2991, peak 1.0826, flat 0.6640, valley 0.2900
expect "usage: list cost per band is energy at the band's price" \
    "$(body '[.current.bands.sharp, .current.bands.peak, .current.bands.flat, .current.bands.valley] | map("\(.energy_milli) \(.list_cost_fen)") | join(" ")')" \
    "$(sql "SELECT CONCAT_WS(' ', s, FLOOR((s * 1299100 + 5000000) / 10000000), p, FLOOR((p * 1082600 + 5000000) / 10000000),
            f, FLOOR((f * 664000 + 5000000) / 10000000), v, FLOOR((v * 290000 + 5000000) / 10000000)) FROM (SELECT
            SUM(IF(b = 0, e, 0)) s, SUM(IF(b = 1, e, 0)) p, SUM(IF(b = 2, e, 0)) f, SUM(IF(b = 3, e, 0)) v FROM ($bands_sql) x) y")"
expect "usage: the meters' series add up to consumption per meter" \
    "$(body '.current.meters[] | "\(.code) \(.energy_milli | add)"')" \
    "$(sql "SELECT m.code, SUM(c.energy_milli) FROM consumption c JOIN meters m ON m.id = c.meter_id WHERE c.account_id = $A1 GROUP BY m.id ORDER BY m.id" | tr '\t' ' ')"
req u1 GET "/api/v1/accounts/$A1/usage?from=$(utc $((t0 - 30 * 86400 - 20 * 3600)))&to=$(utc $((t0 + 31 * 86400 + 4 * 3600)))&step=month"
expect "usage by month: July and August are consumption's billing months" \
    "$code $(body '.current.buckets[] | "\(.start[0:7]) \(.energy_milli) \(.cost_fen)"' | tr '\n' ' ')" \
    "200 $(sql "SELECT CONCAT(LEFT(period, 4), '-', RIGHT(period, 2)), SUM(energy_milli), FLOOR((SUM(rated_nyuan) + 5000000) / 10000000)
              FROM consumption WHERE account_id = $A1 GROUP BY period ORDER BY period" | tr '\t' ' ' | tr '\n' ' ')"
# two August days by month: the period before (July 31 and August 1) is two months' buckets
req u1 GET "/api/v1/accounts/$A1/usage?from=$(utc $((t0 + 28 * 3600)))&to=$(utc $((t0 + 76 * 3600)))&step=month"
expect "usage by month: a previous period across a month end keeps both months" \
    "$code $(body '[(.current.buckets | length), (.previous.buckets | length), .previous.energy_milli] | map(tostring) | join(" ")')" \
    "200 1 2 $(sql "SELECT SUM(energy_milli) FROM consumption WHERE account_id = $A1")"

run_ctl usage rebuild --account "$PAY_SITE/a1"
expect "usage rebuild of an up-to-date account: unchanged" "$rc $(grep -c unchanged "$T/out")" "0 1"
expect "usage rebuild reproduces the rows byte for byte" "$(rollup)" "$before"
sql "DELETE FROM usage_hours WHERE account_id = $A1"
run_ctl usage rebuild --account "$A1"
expect "usage rebuild from nothing: the same rows byte for byte" "$rc $(rollup)" "0 $before"
run_ctl usage rebuild --account "$PAY_SITE/nosuch"
expect "usage rebuild of an unknown account: exit 3, nothing rebuilt" "$rc $(grep -c rebuild "$T/out")" "3 0"
echo "1..$tap_n"
