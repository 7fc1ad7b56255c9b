#!/bin/bash
# The account summary's cache never shows a stale balance, supply or alert
# level, another tenant's account, or anything to an ended session
# (docs/tenant.md, "Account summary: what is cached"). prepay-api runs ONE
# thread here, so every request goes through the same thread and the same
# process-wide cache; each check first warms the cache with two reads.
PAY_API_THREADS=1
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/tenant-lib.sh"

S=$PAY_SITE
# cuts at once, at any hour and day: the supply flips within the test
run_ctl site policy "$S" --grace-min 0 --no-cut-night no --no-cut-weekends no --no-cut-holidays no --reason "summary test"
expect "site policy: cut without grace or friendly hours" "$rc" 0
signin u1 "$PH1"
signin u2 "$PH2"
# summary JAR ACCOUNT: two reads (the first may fill the cache), the second in $T/body
summary() { req "$1" GET "/api/v1/accounts/$2"; req "$1" GET "/api/v1/accounts/$2"; }
fields() { body '[.balance_fen, .supply, .alert_level, .keep_power] | map(tostring) | join(" ")'; }

summary u1 "$A1"
expect "a fresh account: 0, supply on, level2, no keep-power" "$code $(fields)" "200 0 on level2 false"

# --- balance and supply: exact on the very next request ----------------------------
# consumption on a TOU tariff takes the balance below zero; the policy cuts at once
run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/jiangsu-industrial-tou.json" --site "$S" --code tou
run_ctl tariff assign "$S/a1" "$S/tou"
sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT site_id, 'sum-m1', 'chint-ddsu666', id FROM accounts WHERE id = $A1"
hour=0
# consume KWH: one more hour of consumption on a1's meter, yesterday
consume() {
	t0=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date -d yesterday +%F) 00:00" +%s)
	run_ctl consume "$S/sum-m1" --start "$(date -u -d "@$((t0 + hour * 3600))" '+%FT%H:%MZ')" \
	    --end "$(date -u -d "@$((t0 + hour * 3600 + 3600))" '+%FT%H:%MZ')" --energy "$1"
	[ "$rc" = 0 ] || sed "s/^/# consume: /" "$T/err"
	hour=$((hour + 1))
}
# what the database says: balance, desired supply
truth() { sql "SELECT CONCAT_WS(' ', a.balance_fen, COALESCE(st.supply, 'on')) FROM accounts a
    LEFT JOIN account_policy_state st ON st.account_id = a.id WHERE a.id = $1"; }
consume 100
summary u1 "$A1"
expect "after consumption into debt: the balance and the cut, as the database has them" \
    "$code $(body '[.balance_fen, .supply, .alert_level] | map(tostring) | join(" ")')" "200 $(truth "$A1") cut"
expect "the cut happened (balance below zero, supply off)" "$(truth "$A1" | awk '{ print ($1 < 0) " " $2 }')" "1 off"
run_ctl topup "$S/a1" 500.00 --request-id "sum-$RUN-2"
req u1 GET "/api/v1/accounts/$A1"
expect "the very next summary after a top-up: the new balance, supply on, level none" \
    "$code $(body '[.balance_fen, .supply, .alert_level] | map(tostring) | join(" ")')" "200 $(truth "$A1") none"
bal=$(balance "$A1")
run_ctl adjust "$S/a1" "-$(printf '%d.%02d' $(((bal - 7000) / 100)) $(((bal - 7000) % 100)))" \
    --request-id "sum-$RUN-3" --reason "summary test: below level 1"
req u1 GET "/api/v1/accounts/$A1"
expect "the very next summary after a debit below level 1" "$(fields)" "7000 on level1 false"
summary u1 "$A1"
run_ctl adjust "$S/a1" -0.01 --request-id "sum-$RUN-5" --reason "summary test: one fen, same level"
req u1 GET "/api/v1/accounts/$A1"
expect "the very next summary after a one-fen debit at the same level" "$(fields)" "6999 on level1 false"

# --- keep-power, the site's and the account's rules: stamped, so at once -------------
summary u1 "$A1"
run_ctl account keep-power "$S/a1" on --reason "summary test"
req u1 GET "/api/v1/accounts/$A1"
expect "keep-power on shows on the very next request" "$(body .keep_power)" true
run_ctl account keep-power "$S/a1" off --reason "summary test"
req u1 GET "/api/v1/accounts/$A1"
expect "keep-power off shows on the very next request" "$(body .keep_power)" false
summary u1 "$A1"
run_ctl site policy "$S" --level1 50.00 --level2 20.00 --reason "summary test: lower levels"
req u1 GET "/api/v1/accounts/$A1"
expect "a site policy change (level 1 now ¥50) shows on the very next request" "$(body .alert_level)" none
summary u1 "$A1"
run_ctl account policy "$S/a1" --level1 100.00 --reason "summary test: the account's own level"
req u1 GET "/api/v1/accounts/$A1"
expect "an account's own rule shows on the very next request" "$(body .alert_level)" level1
run_ctl account policy "$S/a1" --inherit --reason "summary test"
req u1 GET "/api/v1/accounts/$A1"
expect "back to the site's rules on the very next request" "$(body .alert_level)" none

# --- emergency credit: the policy state is stamped -----------------------------------
run_ctl site policy "$S" --emergency-credit 30.00 --reason "summary test: offer emergency credit"
run_ctl adjust "$S/a1" -69.00 --request-id "sum-$RUN-4" --reason "summary test: to ¥1"
consume 20
summary u1 "$A1"
expect "cut again, emergency credit offered" \
    "$(body '[.balance_fen, .supply, .emergency_credit.available] | map(tostring) | join(" ")')" "$(truth "$A1") true"
req u1 POST "/api/v1/accounts/$A1/emergency-credit"
expect "emergency credit taken" "$code" 200
req u1 GET "/api/v1/accounts/$A1"
expect "the very next summary: credit taken and outstanding, balance and supply as the database has them" \
    "$(body '[.emergency_credit.taken, .emergency_credit.outstanding_fen, .balance_fen, .supply] | map(tostring) | join(" ")')" \
    "true 3000 $(truth "$A1")"

# --- two tenants on the same thread -----------------------------------------------------
bad=0
for i in 1 2 3 4 5; do
	req u1 GET "/api/v1/accounts/$A1"; [ "$code $(body .id) $(body .tenant)" = "200 $A1 shop" ] || bad=1
	req u2 GET "/api/v1/accounts/$A2"; [ "$code $(body .id) $(body .tenant)" = "200 $A2 bakery" ] || bad=1
	req u1 GET "/api/v1/accounts/$A2"
	{ [ "$code" = 404 ] && ! grep -q balance "$T/body"; } || bad=1
	req u2 GET "/api/v1/accounts/$A1"
	{ [ "$code" = 404 ] && ! grep -q balance "$T/body"; } || bad=1
done
expect "tenants 1 and 2 alternating on one thread: each its own account, the other's is 404 without data" "$bad" 0

# --- an account listed for a user (user_accounts), then unlisted ----------------------
UID2=$(sql "SELECT id FROM users WHERE phone = '$PH2' AND role = 'tenant'")
sql "INSERT INTO user_accounts (user_id, account_id) VALUES ($UID2, $A1)"
req u2 GET "/api/v1/accounts/$A1"
expect "an account listed for user 2 is shown to it" "$code $(body .id)" "200 $A1"
sql "DELETE FROM user_accounts WHERE user_id = $UID2 AND account_id = $A1"
req u2 GET "/api/v1/accounts/$A1"
expect "unlisted: the very next request is 404 without data" "$code $(grep -c balance "$T/body")" "404 0"

# --- sessions: ended on the very next request -------------------------------------------
summary u1 "$A1"
req u1 DELETE /api/v1/session
expect "sign-out" "$code" 200
req u1 GET "/api/v1/accounts/$A1"
expect "after sign-out the next summary is 401" "$code $(grep -c balance "$T/body")" "401 0"
token=$(curl -s -H 'Content-Type: application/json' -d "{\"phone\":\"$PH1\",\"password\":\"$PW\",\"client\":\"app\"}" \
    "$URL/api/v1/session" | jq -r .token)
bearer() { code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $token" "$URL/api/v1/accounts/$A1"); }
bearer; bearer
expect "a bearer session reads the summary" "$code $(body .id)" "200 $A1"
sql "UPDATE sessions SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE token_hash = SHA2('$token', 256)"
bearer
expect "an expired session: the next summary is 401" "$code" 401
signin u2b "$PH2"
req u2b GET "/api/v1/accounts/$A2"; req u2b GET "/api/v1/accounts/$A2"
sql "UPDATE users SET disabled = 1 WHERE phone = '$PH2' AND role = 'tenant'"
req u2b GET "/api/v1/accounts/$A2"
expect "a disabled user: the next summary is 401" "$code $(grep -c balance "$T/body")" "401 0"
sql "UPDATE users SET disabled = 0 WHERE phone = '$PH2' AND role = 'tenant'"
signin u2c "$PH2"
req u2c POST /api/v1/session/revoke-all
req u2b GET "/api/v1/accounts/$A2"
expect "signed out everywhere: the next summary is 401" "$code" 401

# --- what may lag: a meter's reading, within the TTL (5 s) -----------------------------
sql "INSERT INTO meters (site_id, code, profile, account_id) SELECT site_id, 'sum-m3', 'chint-ddsu666', id FROM accounts WHERE id = $A3"
M3=$(sql "SELECT id FROM meters WHERE account_id = $A3 AND code = 'sum-m3'")
signin u3 "$PH3"
summary u3 "$A3"
expect "a meter without readings" "$(body '.meters[0].last_reading_milli')" null
sql "INSERT INTO meter_state (meter_id, good_at, good_energy_milli) VALUES ($M3, UTC_TIMESTAMP(3), 123456)"
i=0
while req u3 GET "/api/v1/accounts/$A3" && [ "$(body '.meters[0].last_reading_milli')" != 123456 ] && [ $i -lt 40 ]; do
	sleep 0.25; i=$((i + 1))
done
expect "a new reading shows within the TTL" "$(body '.meters[0].last_reading_milli')" 123456

# --- days left: the last 7 days' rated usage (what consumption says), within the TTL ----
# a1 consumed yesterday; its daily spend is Σ rated ÷ 7 in fen, days left (balance − cut line) ÷ it
signin u1d "$PH1"
spent=$(sql "SELECT (COALESCE(SUM(rated_nyuan), 0) + 5000000) DIV 10000000 FROM consumption
    WHERE account_id = $A1 AND start_at >= UTC_TIMESTAMP() - INTERVAL 7 DAY")
daily=$(( (spent + 6) / 7 ))
i=0
while req u1d GET "/api/v1/accounts/$A1" && [ "$(body .daily_spend_fen)" != "$daily" ] && [ $i -lt 40 ]; do
	sleep 0.25; i=$((i + 1))
done
expect "daily spend: the last 7 days' rated consumption ÷ 7 ($spent fen > 0)" \
    "$(body .daily_spend_fen) $([ "$spent" -gt 0 ] && echo used)" "$daily used"
expect "days left: (balance − cut line) ÷ daily spend" "$(body .days_left)" \
    "$(body '((.balance_fen - .cut_line_fen) / .daily_spend_fen | floor) as $d | if $d < 0 then 0 else $d end')"

echo "1..$tap_n"
[ "$tap_failed" = 0 ]
