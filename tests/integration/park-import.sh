#!/bin/sh
# prepayctl park import: a fresh import, a repeat that changes nothing,
# updates matched by code, nothing deleted, dry runs, the audit log row.
. "${PREPAY_SRCDIR:-.}/tests/integration/ctl-lib.sh"

F=$T/park.json
demo_copy "$F"
S=demo-$RUN E=east-$RUN

run_ctl park import "$F"
check "first import succeeds" [ "$rc" = 0 ]
check "first import: everything in demo is new" grep -qx "site $S: 102 new, 0 changed, 0 unchanged" "$T/out"
check "first import: everything in east is new" grep -qx "site $E: 20 new, 0 changed, 0 unchanged" "$T/out"
sum=$(sha256sum "$F" | cut -c1-64)
check "the import is in the audit log with the file's sha256" \
    [ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'park.import' AND detail LIKE '%$sum%'")" = 1 ]
check "the calendar has the 2026 holidays and swapped workdays" \
    [ "$(sql "SELECT CONCAT(SUM(kind = 'holiday'), '/', SUM(kind = 'workday')) FROM site_calendar_days d
        JOIN sites s ON s.id = d.site_id WHERE s.code = '$S'")" = "33/6" ]
check "meter m06 has its gateway, address and CT ratio" \
    [ "$(sql "SELECT CONCAT(g.code, ':', m.modbus_unit, ':', m.ct_ratio, ':', m.relay_capable) FROM meters m
        JOIN sites s ON s.id = m.site_id JOIN gateways g ON g.id = m.gateway_id
        WHERE s.code = '$S' AND m.code = 'm06'")" = "gw2:1:200:0" ]
check "no balance was set by the import" \
    [ "$(sql "SELECT COUNT(*) FROM accounts a JOIN sites s ON s.id = a.site_id
        WHERE s.code IN ('$S', '$E') AND (a.balance_fen <> 0 OR a.last_seq <> 0)")" = 0 ]

before=$(park_counts)
run_ctl park import "$F"
check "second import succeeds" [ "$rc" = 0 ]
check "second import changes nothing" grep -qx "site $S: 0 new, 0 changed, 102 unchanged" "$T/out"
check "second import changes nothing in east either" grep -qx "site $E: 0 new, 0 changed, 20 unchanged" "$T/out"
after=$(park_counts)
check "second import writes only its audit log row" \
    [ "$(echo "$before" | cut -f1-7)" = "$(echo "$after" | cut -f1-7)" ] && \
    [ "$(echo "$after" | cut -f8)" -eq "$(( $(echo "$before" | cut -f8) + 1 ))" ]

# a tenant renamed, two meters swap addresses, one new tenant
jq '(.sites[0].tenants[] | select(.code == "t03") | .name) = "好运来鲜果"
    | (.sites[0].meters[] | select(.code == "m01") | .address) = 2
    | (.sites[0].meters[] | select(.code == "m02") | .address) = 1
    | .sites[0].tenants += [{"code": "t13", "name": "新开奶茶店"}]' "$F" >"$T/changed.json"
before=$(park_counts)
run_ctl park import --dry-run "$T/changed.json"
check "dry run reports what would change" grep -qx "(dry run) site $S: 1 new, 3 changed, 99 unchanged" "$T/out"
check "dry run lists the changed meter" grep -qx "  ~ meter m01" "$T/out"
check "dry run writes nothing, not even the audit log" [ "$before" = "$(park_counts)" ]
run_ctl park import "$T/changed.json"
check "changed file: 1 new, 3 changed" grep -qx "site $S: 1 new, 3 changed, 99 unchanged" "$T/out"
check "the tenant was renamed" \
    [ "$(sql "SELECT t.name FROM tenants t JOIN sites s ON s.id = t.site_id WHERE s.code = '$S' AND t.code = 't03'")" = "好运来鲜果" ]
check "the two meters swapped addresses" \
    [ "$(sql "SELECT GROUP_CONCAT(CONCAT(m.code, '=', m.modbus_unit) ORDER BY m.code) FROM meters m
        JOIN sites s ON s.id = m.site_id WHERE s.code = '$S' AND m.code IN ('m01', 'm02')")" = "m01=2,m02=1" ]

# things missing from the file are never deleted
jq 'del(.sites[0].meters[] | select(.code == "m10"))
    | del(.sites[0].accounts[] | select(.code == "t12-e"))
    | del(.sites[0].tenants[] | select(.code == "t12"))' "$T/changed.json" >"$T/smaller.json"
run_ctl park import "$T/smaller.json"
check "a smaller file imports" [ "$rc" = 0 ]
check "a smaller file counts only what it lists" grep -qx "site $S: 0 new, 0 changed, 100 unchanged" "$T/out"
check "what the file no longer lists is still there" \
    [ "$(sql "SELECT COUNT(*) FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$S' AND a.code = 't12-e'")" = 1 ]

run_ctl --json park import "$F"
check "--json import prints counts per site" \
    [ "$(jq -r '.sites[] | select(.code == "'"$E"'") | "\(.new)/\(.changed)/\(.unchanged)"' "$T/out")" = "0/0/20" ]
check "--json import names the file's sha256" [ "$(jq -r .sha256 "$T/out")" = "$sum" ]
check "--json: re-importing the original undoes the rename" \
    [ "$(jq -r '.sites[] | select(.code == "'"$S"'") | .changed' "$T/out")" = 3 ]

# three imports of one new park at once: one creates it, the others find it
jq '.sites |= map(.code |= . + "-c")' "$F" >"$T/conc.json"
for i in 1 2 3; do
	("$CTL" park import "$T/conc.json" >"$T/conc.$i" 2>&1; echo "exit $?" >>"$T/conc.$i") &
done
wait
check "concurrent imports all succeed" [ "$(cat "$T"/conc.? | grep -c '^exit 0$')" = 3 ]
check "concurrent imports: exactly one created the site" \
    [ "$(cat "$T"/conc.? | grep -c "^site $S-c: 102 new, 0 changed, 0 unchanged$")" = 1 ]
check "concurrent imports: the others changed nothing" \
    [ "$(cat "$T"/conc.? | grep -c "^site $S-c: 0 new, 0 changed, 102 unchanged$")" = 2 ]

done_testing
