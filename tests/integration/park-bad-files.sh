#!/bin/sh
# prepayctl park import refuses bad files with the path of the error, exit 3,
# and writes nothing (every table an import touches is counted before/after).
. "${PREPAY_SRCDIR:-.}/tests/integration/ctl-lib.sh"

F=$T/park.json
demo_copy "$F"
S=demo-$RUN

# bad NAME JQ-FILTER MESSAGE: the demo park changed by the filter is refused
bad() {
	what=$1 filter=$2 msg=$3
	jq "$filter" "$F" >"$T/bad.json"
	before=$(park_counts)
	expect_fail "$what: refused with its path" 3 "$msg" park import "$T/bad.json"
	check "$what: nothing written" [ "$before" = "$(park_counts)" ]
}

bad "dangling gateway" '.sites[0].meters[3].gateway = "gw9"' \
    "bad.json: sites[0].meters[3].gateway: no gateway \"gw9\" in site \"$S\""
bad "unknown key" '.sites[0].tenants[2].naem = "x"' \
    'bad.json: sites[0].tenants[2]: unknown key "naem" (did you mean "name"?)'
bad "bad time zone" '.sites[1].timezone = "Asia/Shangai"' \
    'bad.json: sites[1].timezone: no time zone "Asia/Shangai" in'
bad "duplicate code" '.sites[0].accounts[1].code = "t01-e"' \
    'bad.json: sites[0].accounts[1].code: duplicate code "t01-e" (first at accounts[0])'
bad "negative ratio" '.sites[0].meters[6].ct_ratio = -200' \
    'bad.json: sites[0].meters[6]: ct_ratio: must be between 1 and 100000'
bad "unit address out of range" '.sites[0].meters[0].address = 248' \
    'bad.json: sites[0].meters[0]: address: must be between 1 and 247'
bad "missing key" 'del(.sites[0].gateways[0].transport)' \
    'bad.json: sites[0].gateways[0]: "transport" is missing'
bad "wrong type" '.sites[0].accounts[0].keep_power = "yes"' \
    'bad.json: sites[0].accounts[0]: keep_power: must be true or false, not a string'
bad "money is not set by the park file" '.sites[0].accounts[0].balance = 100' \
    'bad.json: sites[0].accounts[0]: unknown key "balance"'

# the counts see this run's rows: import once so "nothing written" compares non-zero counts
run_ctl park import "$F"
check "the good file imports" [ "$rc" = 0 ]
check "the counts see what this test wrote" [ "$(park_counts | cut -f1,8)" = "$(printf '2\t1')" ]

# a JSON syntax error is reported with line:column
sed 's/"tenants": \[/"tenants": [,/' "$F" >"$T/syntax.json"
line=$(grep -n '"tenants": \[,' "$T/syntax.json" | head -n 1 | cut -d: -f1)
before=$(park_counts)
expect_fail "syntax error: line and column" 3 "syntax.json:$line:" park import "$T/syntax.json"
check "syntax error: says it is JSON syntax" grep -q "JSON syntax error near" "$T/err"
check "syntax error: nothing written" [ "$before" = "$(park_counts)" ]

expect_fail "missing file" 3 "cannot read $T/none.json" park import "$T/none.json"
expect_fail "no file given" 2 "usage: prepayctl park import" park import

# a conflict only the database can see: another meter, not in the file,
# holds the address the file wants. The whole import rolls back.
jq '{sites: [.sites[0] | .tenants = [.tenants[0]] | .accounts = [.accounts[0]]
    | .meters = [.meters[0]] | .calendar = {}]}' "$F" >"$T/one.json"
run_ctl park import "$T/one.json"
check "a one-meter site imports" [ "$rc" = 0 ]
jq '.sites[0].meters[0].code = "m99" | .sites[0].tenants += [{"code": "tx", "name": "must not appear"}]' \
    "$T/one.json" >"$T/clash.json"
before=$(park_counts)
expect_fail "address held by a meter not in the file" 3 \
    "clash.json: sites[0].meters[0].address: gateway \"gw1\" address 1 is used by meter \"m01\", which is not in this file" \
    park import "$T/clash.json"
check "address clash: nothing written" [ "$before" = "$(park_counts)" ]
check "address clash: the new tenant was rolled back" \
    [ "$(sql "SELECT COUNT(*) FROM tenants t JOIN sites s ON s.id = t.site_id WHERE s.code = '$S' AND t.code = 'tx'")" = 0 ]

done_testing
