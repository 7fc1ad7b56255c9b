#!/bin/bash
# The tenant API under hostile use (docs/tenant.md): every account route
# with a second tenant's ids, every route without a session, CSRF on cookie
# writes, session expiry (idle and absolute), lockout after wrong
# passwords, a disabled user, SQL injection and oversized input — each a
# clear error with nothing changed.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/tenant-lib.sh"

signin u1 "$PH1"
signin u2 "$PH2"
# an order and a contact of tenant 2 to aim at
req u2 POST "/api/v1/accounts/$A2/topups" '{"amount_fen": 1000, "channel": "sandbox"}'
NO2=$(body .out_trade_no)
req u2 POST /api/v1/contacts '{"channel": "sms", "address": "+8613700137000"}'
C2=$(body .id)
expect "tenant 2 has an order and a contact to aim at" "$([ -n "$NO2" ] && [ -n "$C2" ] && echo yes)" yes

snapshot() {
	sql "SELECT CONCAT_WS(',', (SELECT COUNT(*) FROM payments WHERE account_id IN ($A1, $A2, $A3)),
	    (SELECT COUNT(*) FROM ledger_entries WHERE account_id IN ($A1, $A2, $A3)),
	    (SELECT COUNT(*) FROM alert_contacts a JOIN tenants t ON t.id = a.tenant_id JOIN sites s ON s.id = t.site_id WHERE s.code = '$PAY_SITE'),
	    (SELECT COUNT(*) FROM sessions x JOIN users u ON u.id = x.user_id WHERE u.phone IN ('$PH1', '$PH2', '$PH3') AND x.revoked_at IS NULL))"
}
before=$(snapshot)

# --- authorization matrix: tenant 1 at tenant 2's ids ----------------------------
period=$(date +%Y%m)
while read -r m p b; do
	[ "$b" = - ] && b=
	req u1 "$m" "$p" "$b"
	if [ "$code" = 404 ] && ! grep -q 'balance\|energy_milli\|out_trade_no\|address' "$T/body"; then
		ok "tenant 1: $m $p is 404 without data"
	else
		not_ok "tenant 1: $m $p is 404 without data"
		echo "#   got: $code $(head -c 200 "$T/body")"
	fi
done <<ROUTES
GET /api/v1/accounts/$A2 -
GET /api/v1/accounts/$A2/ledger -
GET /api/v1/accounts/$A2/ledger?format=csv -
GET /api/v1/accounts/$A2/statements -
GET /api/v1/accounts/$A2/statements/$period -
GET /api/v1/accounts/$A2/statements/$period?format=html -
GET /api/v1/accounts/$A2/usage?from=2026-01-01&to=2026-01-02 -
GET /api/v1/accounts/$A2/insights -
GET /api/v1/accounts/$A2/topups -
GET /api/v1/accounts/$A2/topups/$NO2 -
GET /api/v1/accounts/$A1/topups/$NO2 -
POST /api/v1/accounts/$A2/topups {"amount_fen":1000,"channel":"sandbox"}
POST /api/v1/accounts/$A2/emergency-credit -
DELETE /api/v1/contacts/$C2 -
GET /api/v1/accounts/999999999 -
ROUTES
req u1 GET /api/v1/accounts
expect "tenant 1's account list has only its own account" "$(body '[.accounts[].id] | join(",")')" "$A1"
req u1 GET /api/v1/contacts
expect "tenant 1's contacts do not show tenant 2's" "$(body "[.contacts[] | select(.id == $C2)] | length")" 0

# --- no session -------------------------------------------------------------------
while read -r m p; do
	code=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$URL$p")
	expect "no session: $m $p is 401" "$code $(body .error.code)" "401 unauthenticated"
done <<ROUTES
GET /api/v1/session
DELETE /api/v1/session
POST /api/v1/session/revoke-all
GET /api/v1/accounts
GET /api/v1/accounts/$A1
GET /api/v1/accounts/$A1/ledger
GET /api/v1/accounts/$A1/statements
GET /api/v1/accounts/$A1/usage?from=2026-01-01&to=2026-01-02
GET /api/v1/accounts/$A1/insights
GET /api/v1/accounts/$A1/topups
POST /api/v1/accounts/$A1/emergency-credit
GET /api/v1/contacts
ROUTES
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "prepay_session=$(printf '%032d' 0)" "$URL/api/v1/session")
expect "a made-up token is 401" "$code" 401
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "prepay_session=' OR 1=1 --" "$URL/api/v1/session")
expect "an injected cookie is 401" "$code" 401

# --- CSRF -------------------------------------------------------------------------
jar=$T/jar.u1
csrf_try() {	# NAME METHOD PATH BODY HEADER...
	_n=$1 _m=$2 _p=$3 _b=$4
	shift 4
	code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$jar" -X "$_m" -H 'Content-Type: application/json' "$@" \
	    ${_b:+-d "$_b"} "$URL$_p")
	expect "$_n" "$code $(body .error.code)" "403 csrf_failed"
}
csrf_try "cookie POST /api/v1/contacts without X-CSRF-Token: 403" POST /api/v1/contacts '{"channel":"sms","address":"+8613600136000"}'
csrf_try "cookie POST /api/v1/contacts with a wrong token: 403" POST /api/v1/contacts '{"channel":"sms","address":"+8613600136000"}' -H "X-CSRF-Token: $(cat "$T/jar.u2.csrf")"
csrf_try "cookie POST top-up without the token: 403" POST "/api/v1/accounts/$A1/topups" '{"amount_fen":1000,"channel":"sandbox"}'
csrf_try "cookie emergency credit without the token: 403" POST "/api/v1/accounts/$A1/emergency-credit" ''
csrf_try "cookie DELETE session without the token: 403" DELETE /api/v1/session ''
csrf_try "cookie sign-out everywhere without the token: 403" POST /api/v1/session/revoke-all ''
csrf_try "cookie DELETE contact without the token: 403" DELETE "/api/v1/contacts/$C2" ''
expect "after every refused write nothing changed" "$(snapshot)" "$before"
req u1 GET /api/v1/session
expect "the session survived the forged sign-out" "$code" 200

# --- hostile input ----------------------------------------------------------------
while read -r m p b; do
	[ "$b" = - ] && b=
	req u1 "$m" "$p" "$b"
	if [ "$code" = 400 ] && [ -n "$(body .error.message)" ]; then
		ok "bad input: $m ${p:0:70} ${b:0:40} is 400 with a message"
	else
		not_ok "bad input: $m ${p:0:70} ${b:0:40} is 400 with a message"
		echo "#   got: $code $(head -c 200 "$T/body")"
	fi
done <<ROUTES
GET /api/v1/accounts/$A1%20OR%201=1 -
GET /api/v1/accounts/$A1/ledger?kind=topup'%20OR%20'1'='1 -
GET /api/v1/accounts/$A1/ledger?from=2026-01-01'%20OR%201=1 -
GET /api/v1/accounts/$A1/ledger?per_page=100000 -
GET /api/v1/accounts/$A1/ledger?page=0 -
GET /api/v1/accounts/$A1/ledger?format=xml -
GET /api/v1/accounts/$A1/ledger?bogus=1 -
GET /api/v1/accounts/$A1/ledger?kind=a&kind=b -
GET /api/v1/accounts/$A1/statements/202613 -
GET /api/v1/accounts/$A1/statements/$period?format=pdf -
GET /api/v1/accounts/$A1/usage?from=2026-02-30&to=2026-03-01 -
GET /api/v1/accounts/$A1/usage?from=2026-03-02&to=2026-03-01 -
GET /api/v1/accounts/$A1/usage?from=2026-03-01&to=2026-03-02&step=week -
GET /api/v1/accounts/$A1/insights?days=1000 -
GET /api/v1/accounts/$A1/topups/x'%20OR%201=1 -
POST /api/v1/accounts/$A1/topups {"amount_fen":"1e3","channel":"sandbox"}
POST /api/v1/accounts/$A1/topups {"amount_fen":1000,"channel":"sandbox'--"}
POST /api/v1/accounts/$A1/topups {"amount_fen":1000.5,"channel":"sandbox"}
POST /api/v1/accounts/$A1/topups [1,2,3]
POST /api/v1/contacts {"channel":"sms","address":"1'; DROP TABLE users; --"}
POST /api/v1/contacts {"channel":"sms","address":"+8613500135000","kinds":"everything"}
POST /api/v1/contacts {"channel":"sms","address":"+8613500135000","lang":"fr"}
POST /api/v1/contacts {"channel":"sms","address":"+8613500135000","extra":1}
POST /api/v1/contacts not-json
ROUTES
expect "after all of it nothing changed" "$(snapshot)" "$before"

big=$(head -c 3000 /dev/zero | tr '\0' a)
while read -r n b; do
	code=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' -d "$b" "$URL/api/v1/session")
	expect "sign-in with $n: 400" "$code" 400
done <<BODIES
an injected phone {"phone":"1' OR '1'='1","password":"x"}
a 3000-byte phone {"phone":"$big","password":"x"}
a 3000-byte password {"phone":"$PH1","password":"$big"}
a control character {"phone":"$PH1","password":"a\u0001b"}
no password {"phone":"$PH1"}
a bad client {"phone":"$PH1","password":"x","client":"admin"}
BODIES
head -c 70000 /dev/zero | tr '\0' a | sed 's/^/{"phone":"/; s/$/"}/' >"$T/huge"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$T/huge" "$URL/api/v1/session")
expect "a body over the limit is 413 before it is read" "$code" 413
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$jar" "$URL/api/v1/accounts/$(head -c 300 /dev/zero | tr '\0' 9)")
expect "a 300-digit account id is refused" "$([ "$code" = 400 ] || [ "$code" = 404 ] && echo refused)" refused
req u1 POST /api/v1/contacts '{"channel":"sms","address":"+8613400134000","name":"x\u0027); DROP TABLE users; --"}'
expect "SQL in a name is stored as text" "$code $(body .name)" "201 x'); DROP TABLE users; --"
expect "and the users table is still there" "$(sql "SELECT COUNT(*) > 0 FROM users")" 1

# every route: a 70 KB body is 413 before it is read, a 100-parameter query 400
before=$(snapshot)
head -c 70000 /dev/zero | tr '\0' a >"$T/big"
q=$(for i in $(seq 100); do printf 'p%d=1&' "$i"; done)
while read -r m p; do
	code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$jar" -X "$m" -H "X-CSRF-Token: $(cat "$T/jar.u1.csrf")" \
	    -H 'Content-Type: application/json' --data-binary @"$T/big" "$URL$p")
	expect "oversized body: $m $p is 413" "$code" 413
	code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$jar" -X "$m" -H "X-CSRF-Token: $(cat "$T/jar.u1.csrf")" "$URL$p?$q")
	expect "100 unknown query parameters: $m $p is 400" "$code" 400
done <<ROUTES
POST /api/v1/session
GET /api/v1/session
DELETE /api/v1/session
POST /api/v1/session/revoke-all
GET /api/v1/accounts
GET /api/v1/accounts/$A1
POST /api/v1/accounts/$A1/emergency-credit
GET /api/v1/accounts/$A1/ledger
GET /api/v1/accounts/$A1/statements
GET /api/v1/accounts/$A1/statements/$period
GET /api/v1/accounts/$A1/usage
GET /api/v1/accounts/$A1/insights
POST /api/v1/accounts/$A1/topups
GET /api/v1/accounts/$A1/topups
GET /api/v1/accounts/$A1/topups/$NO2
GET /api/v1/contacts
POST /api/v1/contacts
DELETE /api/v1/contacts/$C2
ROUTES
expect "after the oversized requests nothing changed" "$(snapshot)" "$before"

# --- expiry ----------------------------------------------------------------------
signin e1 "$PH1"
tok=$(awk '$6 == "prepay_session" {print $7}' "$T/jar.e1")
req e1 GET /api/v1/session
expect "a fresh session works" "$code" 200
sql "UPDATE sessions SET idle_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE token_hash = SHA2('$tok', 256)"
req e1 GET /api/v1/session
expect "idle past its limit: 401" "$code" 401
signin e2 "$PH1"
tok=$(awk '$6 == "prepay_session" {print $7}' "$T/jar.e2")
sql "UPDATE sessions SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE token_hash = SHA2('$tok', 256)"
req e2 GET /api/v1/session
expect "past its absolute end: 401 (used or not)" "$code" 401
expect "sessions expire: idle 30 min, at most 12 h for the browser" \
    "$(sql "SELECT TIMESTAMPDIFF(MINUTE, x.created_at, x.idle_expires_at), TIMESTAMPDIFF(HOUR, x.created_at, x.expires_at) FROM sessions x JOIN users u ON u.id = x.user_id WHERE u.phone = '$PH2' ORDER BY x.id LIMIT 1" | tr '\t' ' ')" "30 12"

# --- lockout ---------------------------------------------------------------------
for i in 1 2 3 4 5; do signin l "$PH3" wrong-password-$i; done
expect "five wrong passwords are each 401" "$code" 401
signin l "$PH3"
expect "then even the right password is 429 for a while" "$code $(body .error.code)" "429 too_many_attempts"
check "with a Retry-After" grep -qi '^Retry-After: [0-9]' "$T/headers"
expect "the lock is recorded for 15 minutes" \
    "$(sql "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(6), locked_until) BETWEEN 13 AND 15 FROM login_failures WHERE k = 'phone:$PH3'")" 1
signin l2 "$PH1"
expect "another phone from the same address still signs in" "$code" 201
sql "UPDATE login_failures SET locked_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND, window_start = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE k = 'phone:$PH3'"
signin l "$PH3"
expect "after the lock runs out the right password works again" "$code" 201

# --- a disabled user ---------------------------------------------------------------
signin d "$PH2"
sql "UPDATE users SET disabled = 1 WHERE phone = '$PH2' AND role = 'tenant'"
req d GET /api/v1/session
expect "a disabled user's session is refused" "$code" 401
signin d "$PH2"
expect "a disabled user cannot sign in" "$code" 401
sql "UPDATE users SET disabled = 0 WHERE phone = '$PH2' AND role = 'tenant'"

echo "1..$tap_n"
[ "$tap_failed" = 0 ]
