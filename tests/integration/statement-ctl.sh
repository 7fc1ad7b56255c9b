#!/bin/sh
# prepayctl tariff import/list/show/assign, consume, statement run/show in
# every format, rerate — and their refusals — on a park of this run's own.
. "${PREPAY_SRCDIR:-.}/tests/integration/ctl-lib.sh"

F=$T/park.json
demo_copy "$F"
S=demo-$RUN
run_ctl park import "$F"
check "the park is imported" [ "$rc" = 0 ]

TF="$PREPAY_SRCDIR/docs/tariffs/commercial-flat.json"
run_ctl tariff import "$TF" --site "$S" --code flat
check "tariff import: a new tariff" grep -q "^tariff $S/flat: new, document 1" "$T/out"
run_ctl tariff import "$TF" --site "$S" --code flat
check "the same file again: unchanged" grep -q "^tariff $S/flat: unchanged" "$T/out"
jq '.versions[0].prices.flat = "0.9000"' "$TF" >"$T/past.json"
expect_fail "changing a version in effect is refused" 4 "a past version is never edited" \
    tariff import "$T/past.json" --site "$S" --code flat
jq '.versions[0].schedules = {"d": [{"from": "00:00", "to": "08:00", "band": "valley"}]}' "$TF" >"$T/bad.json"
expect_fail "a bad tariff names the place in the file" 3 "versions[0]" \
    tariff import "$T/bad.json" --site "$S" --code bad
check "the refused files stored nothing" \
    [ "$(sql "SELECT COUNT(*) FROM tariff_documents d JOIN tariffs t ON t.id = d.tariff_id JOIN sites s ON s.id = t.site_id WHERE s.code = '$S'")" = 1 ]
run_ctl tariff list --site "$S"
check "tariff list shows it" grep -q "$S/flat" "$T/out"

run_ctl tariff assign "$S/t01-e" flat --adjust-bp -500
check "tariff assign with a discount" [ "$rc" = 0 ]
expect_fail "an adjustment out of range is refused" 2 "--adjust-bp" tariff assign "$S/t02-e" flat --adjust-bp 20000
expect_fail "a meter without a tariff cannot be billed" 3 "has no electricity tariff" \
    consume "$S/m02" --start 2030-01-01T00:00 --end 2030-01-01T00:15 --energy 1

# next month, site time (Asia/Shanghai)
M=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-15) +1 month" +%Y-%m)
run_ctl tariff show "$S/flat"
check "tariff show names the account on it" grep -q "account $S/t01-e" "$T/out"
run_ctl consume "$S/m01" --start "${M}-01T00:00" --end "${M}-01T00:15" --energy 12.345 --key "$RUN-r1"
check "a reading is posted" grep -q "^posted: debited" "$T/out"
run_ctl consume "$S/m01" --start "${M}-01T00:00" --end "${M}-01T00:15" --energy 12.345
check "the same reading again is a replay" grep -q "^replayed" "$T/out"
expect_fail "the same reading with other energy is refused" 4 "already posted with another start or energy" \
    consume "$S/m01" --start "${M}-01T00:00" --end "${M}-01T00:15" --energy 12.346
expect_fail "negative energy is refused" 2 "--energy" \
    consume "$S/m01" --start "${M}-01T00:15" --end "${M}-01T00:30" --energy -1
expect_fail "TOU registers in a band the tariff has no price for are refused" 3 "has no peak price" \
    consume "$S/m01" --start "${M}-01T00:15" --end "${M}-02T08:00" --energy 300 --bands peak=100,flat=200
run_ctl consume "$S/m01" --start "${M}-01T00:15" --end "${M}-02T08:00" --energy 300 --bands flat=300
check "a reading with a TOU register" grep -q "^posted" "$T/out"
check "manual readings are in the audit log" \
    [ "$(sql "SELECT COUNT(*) FROM audit_log a JOIN meters m ON m.id = a.object_id JOIN sites s ON s.id = m.site_id WHERE a.action = 'meter.consume' AND s.code = '$S'")" = 2 ]

run_ctl statement run --month "$M" --site "$S"
check "statement run: everything equal" grep -q "(all equal)" "$T/out"
run_ctl statement run --month "$M" --site "$S"
check "statement run again: nothing changed" grep -q " 0 new, 0 changed, " "$T/out"
run_ctl statement show "$S/t01-e" --month "$M"
check "text: the service fee and the discount" grep -q "service fee" "$T/out" && grep -q "discount -5.00%" "$T/out"
check "text: the month is rounded once" grep -q "rounded once, half up" "$T/out"
run_ctl statement show "$S/t01-e" --month "$M" --format json
check "json parses and its usage equals its debits" \
    [ "$(jq -r '.usage_yuan == .debited_yuan and (.lines | length) > 5' "$T/out")" = true ]
run_ctl statement show "$S/t01-e" --month "$M" --format csv
check "csv has a header and the usage lines" \
    sh -c "head -1 '$T/out' | grep -q '^section,energy,meter,label' && grep -q '^usage,electricity,m01,' '$T/out'"
run_ctl statement show "$S/t01-e" --month "$M" --format html
check "html is a page with a table" sh -c "grep -q '<table>' '$T/out' && grep -q '</html>' '$T/out'"
expect_fail "a statement not run is explained" 3 "statement run --month 2001-01" \
    statement show "$S/t01-e" --month 2001-01
expect_fail "a bad month is a usage error" 2 "YYYY-MM" statement run --month 2026-13

run_ctl tariff rerate --account "$S/t01-e" --from "$M" --to "$(TZ=Asia/Shanghai date -d "${M}-15 +1 month" +%Y-%m)" --reason "check"
check "rerate of a right month posts nothing" grep -q "nothing to correct" "$T/out"
expect_fail "rerate needs --reason" 2 "usage:" tariff rerate --account "$S/t01-e" --from "$M" --to "$M"

run_ctl audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
