#!/bin/sh
# Month-end statement run against the raw read of the same rows
# (docs/statements.md, "Speed"). Fills a scratch database on the server
# PREPAY_CONF points at with ACCOUNTS accounts, one meter each, a month of
# 15-minute consumption rows (2,976 per meter), then runs statement-bench.
#   PREPAY_CONF=FILE tests/bench/statement.sh [BUILDDIR] [ACCOUNTS]
# The scratch database prepay_bench_statement is dropped and re-created.
set -eu
builddir=${1:-.}
n=${2:-1000}
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${PREPAY_CONF:-}" ]; then
	echo "statement.sh: set PREPAY_CONF to a config naming the MariaDB server" >&2
	exit 2
fi
for p in prepayctl tests/bench/statement-bench; do
	[ -x "$builddir/$p" ] || { echo "statement.sh: $builddir/$p not built" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=prepay_bench_statement
# the same server, another database
sed -e "s/^[ \t]*name[ \t]*=.*/name = $db/" "$PREPAY_CONF" >"$tmp/bench.conf"
sock=$(awk -F= '/^[ \t]*socket/ { gsub(/[ \t]/, "", $2); print $2 }' "$PREPAY_CONF")
user=$(awk -F= '/^[ \t]*user/ { gsub(/[ \t]/, "", $2); print $2 }' "$PREPAY_CONF")
my() { mariadb ${sock:+-S "$sock"} -u "${user:-root}" "$@"; }
my -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
PREPAY_SCHEMA_DIR=$src/schema "$builddir/prepayctl" -c "$tmp/bench.conf" db migrate >/dev/null
month=2031-01
period=203101
start=$(date -u +%s)
my "$db" <<SQL
INSERT INTO sites (code, name) VALUES ('bench', 'statement bench');
SET @site = LAST_INSERT_ID();
INSERT INTO tenants (site_id, code, name) SELECT @site, CONCAT('t', seq), 'tenant' FROM seq_1_to_$n;
INSERT INTO accounts (site_id, tenant_id, code, energy)
  SELECT @site, t.id, t.code, 'electricity' FROM tenants t WHERE t.site_id = @site ORDER BY t.id;
INSERT INTO meters (site_id, code, energy, profile, account_id)
  SELECT @site, CONCAT('m', a.code), 'electricity', 'bench', a.id FROM accounts a WHERE a.site_id = @site;
SQL
"$builddir/prepayctl" -c "$tmp/bench.conf" tariff import "$src/docs/tariffs/commercial-flat.json" --site bench --code flat >/dev/null
"$builddir/prepayctl" -c "$tmp/bench.conf" tariff import "$src/tests/bench/statement-tariff.json" --site bench --code tou >/dev/null
my "$db" <<SQL
SET @site = (SELECT id FROM sites WHERE code = 'bench');
SET @tou = (SELECT id FROM tariffs WHERE code = 'tou');
INSERT INTO account_tariffs (account_id, energy, tariff_id, adjust_bp)
  SELECT id, 'electricity', @tou, IF(id % 3 = 0, -500, 0) FROM accounts WHERE site_id = @site;
INSERT INTO rate_periods (account_id, energy, period, fixed_through)
  SELECT id, 'electricity', $period, '$month-31' FROM accounts WHERE site_id = @site;
SQL
# a month of 15-minute rows per meter, in reading order (ids rise with
# time): meters outer, the sequence inner, 1,000 meters per statement
lo=$(my -N "$db" -e "SELECT MIN(id) FROM meters")
hi=$(my -N "$db" -e "SELECT MAX(id) FROM meters")
while [ "$lo" -le "$hi" ]; do
	my "$db" <<SQL
SET foreign_key_checks = 0, unique_checks = 0;
INSERT INTO consumption (meter_id, read_at, part, account_id, energy, period, start_at, end_at, band,
    energy_milli, rated_nyuan, debit_fen)
  SELECT STRAIGHT_JOIN m.id, '$month-01' - INTERVAL 8 HOUR + INTERVAL (s.seq + 1) * 15 MINUTE, 0, m.account_id,
    'electricity', $period, '$month-01' - INTERVAL 8 HOUR + INTERVAL s.seq * 15 MINUTE,
    '$month-01' - INTERVAL 8 HOUR + INTERVAL (s.seq + 1) * 15 MINUTE, NULL,
    (m.id * 7919 + s.seq * 104729) % 4000, 0, 0
  FROM meters m JOIN seq_0_to_2975 s WHERE m.id BETWEEN $lo AND $lo + 999;
SQL
	lo=$((lo + 1000))
done
my "$db" -e "ANALYZE TABLE consumption" >/dev/null
site=$(my -N "$db" -e "SELECT id FROM sites WHERE code = 'bench'")
rows=$(my -N "$db" -e "SELECT COUNT(*) FROM consumption")
echo "generated $n accounts, $rows consumption rows in $(( $(date -u +%s) - start )) s"
PREPAY_CONF=$tmp/bench.conf "$builddir/tests/bench/statement-bench" "$period" "$site"
