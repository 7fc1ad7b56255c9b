#!/bin/sh
# prepayctl tariff quote end to end: no config file, no database; the
# breakdown, --json, and bad input with clear errors and exit code 3.
b=${PREPAY_BUILDDIR:-.}; s=${PREPAY_SRCDIR:-.}
ctl="$b/prepayctl"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
unset PREPAY_CONF
n=0; fail=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

cat > "$tmp/u.csv" <<'CSV'
start,end,energy
2024-03-01T00:00,2024-04-01T00:00,100.000
CSV
"$ctl" tariff quote --tariff "$s/docs/tariffs/commercial-flat.json" --usage "$tmp/u.csv" > "$tmp/out" 2> "$tmp/err"
ok $? "quote runs without a config file"
# 100 x 0.85 = 85.00; fee 5% = 4.25; rental 15.00 -> 104.25
grep -qx 'energy 2024-01-01T00:00 flat t1 100.000 kWh x 0.850000 = 85.000000000' "$tmp/out"; ok $? "energy line quantity x price = amount"
grep -qx 'fee 2024-03 5.00% of 85.000000000 = 4.250000000' "$tmp/out"; ok $? "service fee on its own line"
grep -qx 'total 104.25' "$tmp/out"; ok $? "total in yuan"

"$ctl" --json tariff quote --tariff "$s/docs/tariffs/commercial-flat.json" --usage "$tmp/u.csv" > "$tmp/json"
grep -q '"total_fen":[[:space:]]*"10425"' "$tmp/json"; ok $? "--json gives the total in fen as a string"

"$ctl" tariff quote --tariff "$s/docs/tariffs/commercial-flat.json" --usage "$tmp/u.csv" --adjust-bp -1000 > "$tmp/out"
# 85.00 - 8.50 = 76.50; fee 5% of 76.50 = 3.825; + 15.00 = 95.325 -> 95.33
grep -qx 'total 95.33' "$tmp/out"; ok $? "--adjust-bp applies a tenant discount"

printf '2024-03-01T10:00,2024-03-01T09:00,1\n' > "$tmp/bad.csv"
"$ctl" tariff quote --tariff "$s/docs/tariffs/commercial-flat.json" --usage "$tmp/bad.csv" > /dev/null 2> "$tmp/err"
rc=$?; [ $rc = 3 ] && grep -q 'bad.csv: usage line 1: end is not after start' "$tmp/err"; ok $? "end before start: exit 3 naming file and line"

printf '{"id":"x","energy":"electricity","versions":[{"effective_from":"2024-01-01","prices":{"flat":"0.5"},"tiers":{"period":"month","steps":[{"from":"0","price":"1"},{"from":"0","price":"2"}]}}]}' > "$tmp/t.json"
"$ctl" tariff quote --tariff "$tmp/t.json" --usage "$tmp/u.csv" > /dev/null 2> "$tmp/err"
rc=$?; [ $rc = 3 ] && grep -q 't.json: versions\[0\].tiers.steps\[1\].from: tiers out of order' "$tmp/err"; ok $? "tiers out of order: exit 3 with the path in the file"

"$ctl" tariff quote --tariff "$s/docs/tariffs/commercial-flat.json" --usage "$tmp/u.csv" --timezone Mars/Base > /dev/null 2> "$tmp/err"
rc=$?; [ $rc = 3 ] && grep -q 'timezone: time zone Mars/Base' "$tmp/err"; ok $? "unknown time zone is refused"

"$ctl" tariff quote --usage "$tmp/u.csv" > /dev/null 2>&1
[ $? = 2 ]; ok $? "missing --tariff is a usage error (exit 2)"

echo "1..$n"
exit $fail
