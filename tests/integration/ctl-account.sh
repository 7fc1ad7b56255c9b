#!/bin/sh
# prepayctl account list / show: tables, --json, naming accounts by id or
# SITE/CODE, and clear errors for accounts that do not exist.
. "${PREPAY_SRCDIR:-.}/tests/integration/ctl-lib.sh"

F=$T/park.json
demo_copy "$F"
S=demo-$RUN
run_ctl park import "$F"
check "the demo park imports" [ "$rc" = 0 ]

run_ctl account list --site "$S"
check "list: succeeds" [ "$rc" = 0 ]
check "list: a header with the balance in yuan" grep -q "^ *ID  SITE .*BALANCE ¥.*KEEP-POWER.*METERS" "$T/out"
check "list: 14 accounts in the demo site" grep -qx "14 accounts" "$T/out"
check "list: the cold store keeps power and has 2 meters" \
    grep -Eq "$S +t07-e +冰川冷链物流有限公司 +electricity +0\.00 +yes +open +2$" "$T/out"

run_ctl --json account list --site "$S"
check "list --json: 14 objects" [ "$(jq length "$T/out")" = 14 ]
check "list --json: balance in fen and yuan" \
    [ "$(jq -r '.[] | select(.code == "t01-e") | "\(.balance_fen) \(.balance) \(.keep_power) \(.meters)"' "$T/out")" = "0 0.00 false 1" ]
id=$(jq -r '.[] | select(.code == "t07-e") | .id' "$T/out")

run_ctl --json account list --site "$S" --tenant t10
check "list --tenant: the canteen's two accounts" [ "$(jq -r '[.[].code] | join(",")' "$T/out")" = "t10-e,t10-w" ]
expect_fail "list: unknown site" 3 "no site \"nosuch-$RUN\"" account list --site "nosuch-$RUN"
expect_fail "list: unknown tenant" 3 "no tenant \"t99\" in site $S" account list --site "$S" --tenant t99
expect_fail "list: unknown option" 2 "unknown option --sight" account list --sight x

run_ctl account show "$S/t07-e"
check "show SITE/CODE: succeeds" [ "$rc" = 0 ]
check "show: the account line has id and name" grep -qx "account     $id  $S/t07-e" "$T/out"
check "show: tenant and contact" grep -q "^tenant      t07  冰川冷链物流有限公司  (contact: 吴海 13800138007)" "$T/out"
check "show: overdraft and floor" grep -qx "overdraft   ¥5000.00 (the balance may fall to ¥-5000.00)" "$T/out"
check "show: keep-power" grep -q "^keep-power  yes" "$T/out"
check "show: both meters with gateway and address" \
    grep -Eq "^m08 +CHT2025C0001 +electricity +chint-dtsu666 +gw2 +3 +C1 +150 +1 +no +yes$" "$T/out"
check "show: an empty ledger says so" grep -q "no entries yet" "$T/out"
cp "$T/out" "$T/by-code"
run_ctl account show "$id"
check "show ID gives the same as SITE/CODE" cmp -s "$T/out" "$T/by-code"

run_ctl --json account show "$id"
check "show --json: tenant, meters, ledger" \
    [ "$(jq -r '"\(.tenant.code) \(.site.code) \(.overdraft_fen) \(.keep_power) \(.meters | length) \(.ledger | length)"' "$T/out")" = "t07 $S 500000 true 2 0" ]

# with a top-up in the ledger (prepayctl topup, when this build has it)
if "$CTL" --help | grep -q "^  topup "; then
	run_ctl --json account list --site "$S"
	id1=$(jq -r '.[] | select(.code == "t01-e") | .id' "$T/out")
	run_ctl topup "$id1" 500 --request-id "acct-test-$RUN" --reason "test"
	check "a top-up is accepted" [ "$rc" = 0 ]
	run_ctl --json account show "$S/t01-e"
	check "show --json: the entry and the new balance" \
	    [ "$(jq -r '"\(.balance_fen) \(.ledger | length) \(.ledger[0].amount_fen) \(.ledger[0].kind)"' "$T/out")" = "50000 1 50000 topup" ]
	run_ctl account show "$S/t01-e"
	check "show: the entry in the table" grep -Eq "^ *1  [0-9-]+ [0-9:]+  topup +500\.00 +500\.00  cash " "$T/out"
fi

expect_fail "show: an id that does not exist" 3 "no account 999999999 (see prepayctl account list)" account show 999999999
expect_fail "show: a code that does not exist" 3 "no account $S/nope (see prepayctl account list)" account show "$S/nope"
expect_fail "show: not an account name" 3 "\"t01-e\" is not an account: give its id (42) or SITE/CODE" account show t01-e
expect_fail "show: nothing given" 2 "usage: prepayctl account show" account show

done_testing
