#!/bin/bash
# Real answers of every tenant route checked against docs/api/openapi.yaml
# (tests/integration/tenant-openapi.py): the documented status, content type
# and schema — successes and the errors a client meets.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/tenant-lib.sh"
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "1..0 # SKIP needs python3-yaml"
	exit 0
fi
SPEC=$PREPAY_SRCDIR/docs/api/openapi.yaml

# conforms NAME METHOD TEMPLATE [CONTENT_TYPE]: the last answer ($code, $T/body) fits the spec
conforms() {
	_ct=${4:-$(sed -n 's/^Content-Type: \([^;]*\).*/\1/Ip' "$T/h" | tr -d '\r' | tail -1)}
	if python3 "$PREPAY_SRCDIR/tests/integration/tenant-openapi.py" "$SPEC" "$2" "$3" "$code" "$T/body" "$_ct" >"$T/why"; then
		ok "$1 ($code) fits the spec"
	else
		not_ok "$1 ($code) fits the spec"
		cat "$T/why"
	fi
}

# data: a tariff, a meter and a day of consumption, a statement, a top-up
run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/jiangsu-industrial-tou.json" --site "$PAY_SITE" --code tou
run_ctl tariff assign "$PAY_SITE/a1" "$PAY_SITE/tou"
sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT site_id, 'm1', 'chint-ddsu666', id FROM accounts WHERE id = $A1"
t0=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date -d yesterday +%F) 00:00" +%s)
for h in $(seq 0 23); do
	run_ctl consume "$PAY_SITE/m1" --start "$(date -u -d "@$((t0 + h * 3600))" '+%FT%H:%MZ')" \
	    --end "$(date -u -d "@$((t0 + h * 3600 + 3600))" '+%FT%H:%MZ')" --energy 2
done
month=$(TZ=Asia/Shanghai date -d "@$t0" +%Y-%m)
run_ctl statement run --month "$month" --account "$PAY_SITE/a1"
period=${month/-/}
from=$(date -u -d "@$t0" +%FT%TZ) to=$(date -u -d "@$((t0 + 86400))" +%FT%TZ)

P=/api/v1/accounts/{account}
code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$PH1\",\"password\":\"$PW\",\"client\":\"app\"}" "$URL/api/v1/session")
conforms "POST /api/v1/session (app)" POST /api/v1/session
signin u1 "$PH1"
cp "$T/headers" "$T/h"
conforms "POST /api/v1/session (web)" POST /api/v1/session
signin bad "$PH1" wrong-password
cp "$T/headers" "$T/h"
conforms "POST /api/v1/session wrong password" POST /api/v1/session
req u1 GET /api/v1/session; conforms "GET /api/v1/session" GET /api/v1/session
req nobody GET /api/v1/session; conforms "GET /api/v1/session without one" GET /api/v1/session
req u1 GET /api/v1/accounts; conforms "GET /api/v1/accounts" GET /api/v1/accounts
req u1 GET "/api/v1/accounts/$A1"; conforms "GET account summary" GET "$P"
req u1 GET "/api/v1/accounts/$A2"; conforms "GET another tenant's account" GET "$P"
req u1 GET "/api/v1/accounts/$A1/ledger?per_page=5"; conforms "GET ledger" GET "$P/ledger"
req u1 GET "/api/v1/accounts/$A1/ledger?format=csv"; conforms "GET ledger CSV" GET "$P/ledger"
req u1 GET "/api/v1/accounts/$A1/ledger?kind=nope"; conforms "GET ledger with a bad kind" GET "$P/ledger"
req u1 GET "/api/v1/accounts/$A1/statements"; conforms "GET statements" GET "$P/statements"
req u1 GET "/api/v1/accounts/$A1/statements/$period"; conforms "GET statement JSON" GET "$P/statements/{period}"
req u1 GET "/api/v1/accounts/$A1/statements/$period?format=html"; conforms "GET statement HTML" GET "$P/statements/{period}"
req u1 GET "/api/v1/accounts/$A1/statements/$period?format=csv"; conforms "GET statement CSV" GET "$P/statements/{period}"
req u1 GET "/api/v1/accounts/$A1/statements/209912"; conforms "GET a missing statement" GET "$P/statements/{period}"
req u1 GET "/api/v1/accounts/$A1/usage?from=$from&to=$to&step=hour"; conforms "GET usage by hour" GET "$P/usage"
expect "usage by hour has its 24 buckets" "$(body '.current.buckets | length')" 24
req u1 GET "/api/v1/accounts/$A1/usage?from=$from&to=$to&step=month"; conforms "GET usage by month" GET "$P/usage"
req u1 GET "/api/v1/accounts/$A1/usage?from=$from"; conforms "GET usage without to" GET "$P/usage"
req u1 GET "/api/v1/accounts/$A1/insights"; conforms "GET insights" GET "$P/insights"
req u1 GET "/api/v1/accounts/$A3/insights"; conforms "GET insights of another tenant" GET "$P/insights"
req u1 POST "/api/v1/accounts/$A1/topups" '{"amount_fen": 3000, "channel": "sandbox"}'; conforms "POST top-up" POST "$P/topups"
NO=$(body .out_trade_no)
req u1 GET "/api/v1/accounts/$A1/topups"; conforms "GET top-ups" GET "$P/topups"
req u1 GET "/api/v1/accounts/$A1/topups/$NO"; conforms "GET one top-up" GET "$P/topups/{out_trade_no}"
req u1 POST "/api/v1/accounts/$A1/emergency-credit"; conforms "POST emergency credit where none is offered" POST "$P/emergency-credit"
req u1 POST /api/v1/contacts '{"channel":"sms","address":"+8613800138000"}'; conforms "POST contact" POST /api/v1/contacts
cid=$(body .id)
req u1 POST /api/v1/contacts '{"channel":"sms","address":"+8613800138000"}'; conforms "POST the same contact again" POST /api/v1/contacts
req u1 GET /api/v1/contacts; conforms "GET contacts" GET /api/v1/contacts
req u1 DELETE "/api/v1/contacts/$cid"; conforms "DELETE contact" DELETE "/api/v1/contacts/{id}"
req u1 DELETE "/api/v1/contacts/$cid"; conforms "DELETE it again" DELETE "/api/v1/contacts/{id}"
code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -b "$T/jar.u1" -X DELETE "$URL/api/v1/session")
conforms "DELETE session without the CSRF token" DELETE /api/v1/session
req u1 POST /api/v1/session/revoke-all; conforms "POST revoke-all" POST /api/v1/session/revoke-all
req u1 DELETE /api/v1/session; conforms "DELETE session after it ended" DELETE /api/v1/session

echo "1..$tap_n"
[ "$tap_failed" = 0 ]
