#!/bin/bash
# The tenant API end to end over HTTP (nginx → prepay-api, docs/tenant.md):
# sign-in (cookie and bearer), the account summary, a sandbox top-up that
# changes the balance, usage split by TOU band from real consumption posts,
# insights, ledger pages and CSV, a statement in three formats, contacts,
# emergency credit refused, sign-out and sign-out everywhere.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/tenant-lib.sh"

# --- sign-in --------------------------------------------------------------
signin u1 "$PH1"
expect "sign-in with phone and password: 201" "$code" 201
check "the session cookie is HttpOnly and SameSite=Lax" grep -qiE '^Set-Cookie: prepay_session=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200' "$T/headers"
check "over plain HTTP the cookie is not Secure" sh -c "! grep -qi 'Secure' '$T/headers'"
expect "sign-in answers a CSRF token" "$(wc -c <"$T/jar.u1.csrf")" 33
expect "sign-in lists exactly the tenant's account" "$(body '[.accounts[].id] | join(",")')" "$A1"
check "a browser sign-in does not put the token in the body" sh -c "[ \"\$(jq -r '.token // \"none\"' '$T/body')\" = none ]"
expect "only a hash of the token is stored" \
    "$(sql "SELECT COUNT(*) FROM sessions WHERE token_hash = SHA2('$(awk '$6 == "prepay_session" {print $7}' "$T/jar.u1")', 256)")" 1

signin bad "$PH1" 'wrong-password'
expect "a wrong password is 401 bad_credentials" "$code $(body .error.code)" "401 bad_credentials"
msg_wrong=$(body .error.message)
signin bad "18${PH1#19}" wrong-password	# unknown: no user has an 18… phone here
expect "an unknown phone answers exactly like a wrong password" "$code $(body .error.message)" "401 $msg_wrong"

req u1 GET /api/v1/session
expect "GET /api/v1/session with the cookie: the user" "$code $(body .user.phone)" "200 $PH1"
req nobody GET /api/v1/session
expect "GET /api/v1/session without a cookie: 401" "$code $(body .error.code)" "401 unauthenticated"

# --- account summary --------------------------------------------------------
req u1 GET "/api/v1/accounts/$A1"
expect "account summary: balance 0, supply named, meters listed" \
    "$code $(body '.balance_fen, (.supply | type), (.meters | type), (.emergency_credit.available | type)' | tr '\n' ' ')" \
    "200 0 string array boolean "

# --- top-up through the sandbox ----------------------------------------------
req u1 POST "/api/v1/accounts/$A1/topups" '{"amount_fen": 5000, "channel": "sandbox"}'
expect "top-up order for the own account: 201 with a pay page" "$code $(body '.pay_url | startswith("http")')" "201 true"
NO=$(body .out_trade_no)
curl -s -X POST -d '{}' "$SB/sandbox/pay/$NO" >"$T/paid"
i=0
while [ "$(pay_status "$NO")" != credited ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
req u1 GET "/api/v1/accounts/$A1/topups/$NO"
expect "the order reads credited" "$code $(body .status)" "200 credited"
req u1 GET "/api/v1/accounts/$A1"
expect "the balance shows the top-up" "$(body .balance_fen)" 5000
req u1 GET "/api/v1/accounts/$A1/topups"
expect "the top-up list has the order" "$(body "[.topups[] | select(.out_trade_no == \"$NO\") | .status] | join(\",\")")" credited

# --- usage from real consumption posts ---------------------------------------
run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/jiangsu-industrial-tou.json" --site "$PAY_SITE" --code tou
run_ctl tariff assign "$PAY_SITE/a1" "$PAY_SITE/tou"
expect "a TOU tariff assigned to a1" "$rc" 0
sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT site_id, 'm1', 'chint-ddsu666', id FROM accounts WHERE id = $A1"
# yesterday and the day before (site time): 1 kWh an hour, 48 hours
day0=$(TZ=Asia/Shanghai date -d '2 days ago' +%F)
t0=$(TZ=Asia/Shanghai date -d "$day0 00:00" +%s)
posted=0
for h in $(seq 0 47); do
	s=$(date -u -d "@$((t0 + h * 3600))" '+%FT%H:%MZ')
	e=$(date -u -d "@$((t0 + h * 3600 + 3600))" '+%FT%H:%MZ')
	run_ctl consume "$PAY_SITE/m1" --start "$s" --end "$e" --energy 1
	if [ "$rc" = 0 ]; then posted=$((posted + 1)); elif [ $h = 0 ]; then sed "s/^/# consume: /" "$T/err"; fi
done
expect "48 hourly consumption posts accepted" "$posted" 48
from=$(date -u -d "@$t0" +%FT%TZ)
to=$(date -u -d "@$((t0 + 2 * 86400))" +%FT%TZ)
req u1 GET "/api/v1/accounts/$A1/usage?from=$from&to=$to&step=hour"
expect "usage by hour: 48 buckets of 1 kWh" \
    "$code $(body '.current.buckets | length') $(body '[.current.buckets[].energy_milli] | unique | join(",")')" "200 48 1000"
expect "usage: bands add up to the total and nothing is unsplit" \
    "$(body '[.current.bands[] .energy_milli] | add') $(body .current.bands.unsplit.energy_milli)" "48000 0"
check "usage: a TOU day has valley and peak hours" sh -c "[ $(body .current.bands.valley.energy_milli) -gt 0 ] && [ $(body .current.bands.peak.energy_milli) -gt 0 ]"
expect "usage: the cost of the buckets adds up to what was debited" \
    "$(body .current.cost_fen)" "$(sql "SELECT -SUM(amount_fen) FROM ledger_entries WHERE account_id = $A1 AND kind = 'consumption'")"
expect "usage: the meter's series" "$(body '.current.meters[0].code') $(body '.current.meters[0].energy_milli | add')" "m1 48000"
expect "usage: the previous period is there (empty)" "$(body .previous.energy_milli) $(body '.previous.buckets | length')" "0 48"
req u1 GET "/api/v1/accounts/$A1/usage?from=$from&to=$to&step=day"
expect "usage by day: two local days of 24 kWh" "$(body '[.current.buckets[].energy_milli] | join(",")')" "24000,24000"
req u1 GET "/api/v1/accounts/$A1/usage?from=2020-01-01&to=2026-01-01&step=hour"
expect "usage: too many buckets is a clear 400" "$code $(body .error.code)" "400 range_too_long"

req u1 GET "/api/v1/accounts/$A1/insights?days=7&shift_pct=20"
check "insights: peak share and a saving from shifting to valley" \
    sh -c "[ '$code' = 200 ] && [ $(body .peak_share_bp) -gt 0 ] && [ $(body .shift_saving_fen) -gt 0 ] && [ $(body .energy_milli) = 48000 ]"
expect "insights: night base load: 10 kWh in 00:00-05:00 over the 35 night hours of 7 days" \
    "$(body .night_base_w)" 285

# --- ledger -----------------------------------------------------------------
req u1 GET "/api/v1/accounts/$A1/ledger?per_page=10"
expect "ledger: paged, newest first, total counted" "$code $(body '.entries | length') $(body .total)" "200 10 49"
req u1 GET "/api/v1/accounts/$A1/ledger?kind=topup"
expect "ledger: filtered by kind" "$(body '[.entries[].kind] | unique | join(",")') $(body .total)" "topup 1"
req u1 GET "/api/v1/accounts/$A1/ledger?format=csv"
expect "ledger CSV: a header and 49 rows" "$code $(wc -l <"$T/body")" "200 50"
check "ledger CSV: an attachment" grep -qi '^Content-Disposition: attachment; filename="ledger-' "$T/h"

# --- statements ---------------------------------------------------------------
month=$(TZ=Asia/Shanghai date -d "$day0" +%Y-%m)
run_ctl statement run --month "$month" --account "$PAY_SITE/a1"
expect "a statement is run for the month" "$rc" 0
period=${month/-/}
req u1 GET "/api/v1/accounts/$A1/statements"
expect "statements: the month is listed" "$code $(body "[.statements[].period] | index($period) != null")" "200 true"
req u1 GET "/api/v1/accounts/$A1/statements/$period"
expect "statement JSON" "$code" 200
req u1 GET "/api/v1/accounts/$A1/statements/$period?format=html"
check "statement HTML: a page with a strict CSP" sh -c "[ '$code' = 200 ] && grep -qi '^Content-Type: text/html' '$T/h' && grep -qi 'Content-Security-Policy' '$T/h'"
req u1 GET "/api/v1/accounts/$A1/statements/$period?format=csv"
expect "statement CSV" "$code" 200
req u1 GET "/api/v1/accounts/$A1/statements/209901"
expect "a month without a statement: 404" "$code $(body .error.code)" "404 statement_not_found"

# --- contacts, emergency credit ------------------------------------------------
req u1 POST /api/v1/contacts '{"channel": "sms", "address": "+8613800138000", "lang": "en", "kinds": "*"}'
expect "contact added" "$code" 201
cid=$(body .id)
req u1 GET /api/v1/contacts
expect "contacts listed with the site's channels" "$(body '[.contacts[].id] | join(",")') $(body '.channels | length > 0')" "$cid true"
req u1 POST /api/v1/contacts '{"channel": "webhook", "address": "http://10.0.0.1/"}'
expect "a tenant cannot add a webhook" "$code" 400
req u1 DELETE "/api/v1/contacts/$cid"
expect "contact removed" "$code $(sql "SELECT COUNT(*) FROM alert_contacts WHERE id = $cid")" "200 0"
req u1 POST "/api/v1/accounts/$A1/emergency-credit"
expect "emergency credit where the site offers none: 409, nothing posted" \
    "$code $(sql "SELECT COUNT(*) FROM ledger_entries WHERE account_id = $A1 AND kind = 'emergency_credit'")" "409 0"

# --- bearer (mini-program) ---------------------------------------------------
curl -s -o "$T/app" -H 'Content-Type: application/json' -d "{\"phone\":\"$PH1\",\"password\":\"$PW\",\"client\":\"app\"}" "$URL/api/v1/session"
TOKEN=$(jq -r .token "$T/app")
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/accounts/$A1")
expect "bearer token: the account" "$code $(body .balance_fen)" "200 $(balance "$A1")"
code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"channel":"sms","address":"+8613900139000"}' "$URL/api/v1/contacts")
expect "bearer writes need no CSRF token" "$code" 201
cookie_token=$(awk '$6 == "prepay_session" {print $7}' "$T/jar.u1")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $cookie_token" "$URL/api/v1/session")
expect "a cookie token is not accepted as a bearer token" "$code" 401

# --- sign-out -------------------------------------------------------------------
signin u1b "$PH1"
req u1 DELETE /api/v1/session
expect "sign-out: 200 and the cookie cleared" "$code" 200
req u1 GET /api/v1/session
expect "after sign-out the old cookie is refused" "$code" 401
req u1b GET /api/v1/session
expect "another session of the same user is still in" "$code" 200
req u1b POST /api/v1/session/revoke-all
expect "sign-out everywhere" "$code" 200
req u1b GET /api/v1/session
code2=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/session")
expect "sign-out everywhere ends the browser and the app sessions" "$code $code2" "401 401"

echo "1..$tap_n"
[ "$tap_failed" = 0 ]
