# Shared by the tenant-*.sh tests (sourced): the private payment stack of
# pay-lib.sh (prepay-api + nginx + prepay-sandbox on free ports against
# $PREPAY_CONF's database, a park of this run's own with tenants t1..t3 and
# accounts a1..a3), plus a tenant user per tenant and curl helpers that keep
# a cookie jar per user.
. "${PREPAY_SRCDIR:-$(dirname "$0")/../..}/tests/integration/pay-lib.sh"

A1=$(acc a1) A2=$(acc a2) A3=$(acc a3)
# every test signs in from 127.0.0.1 and some fail on purpose: earlier runs
# must not put this address over the per-address limit (docs/tenant.md)
sql "DELETE FROM login_failures WHERE k = 'ip:127.0.0.1'"
# phones unique to this run: 19 + 9 digits
PH_BASE=$(( $(date +%s) % 100000 * 10000 + $$ % 10000 ))
PH1=19$(printf '%09d' $((PH_BASE * 3 % 1000000000)))
PH2=19$(printf '%09d' $(((PH_BASE * 3 + 1) % 1000000000)))
PH3=19$(printf '%09d' $(((PH_BASE * 3 + 2) % 1000000000)))
PW='tenant-pass-1'
printf '%s\n' "$PW" >"$T/pw"
for i in 1 2 3; do
	eval "ph=\$PH$i"
	run_ctl user add --tenant "$PAY_SITE/t$i" --phone "$ph" --password-file "$T/pw" --name "user$i"
	if [ "$rc" != 0 ]; then
		echo "1..0 # SKIP cannot add tenant users"
		sed 's/^/# /' "$T/err"
		exit 1
	fi
done

# req JAR METHOD PATH [BODY]: the answer in $T/body, its headers in $T/h, the
# status in $code; cookie writes carry the jar's CSRF token
req() {
	_jar=$T/jar.$1
	_csrf=$(cat "$_jar.csrf" 2>/dev/null)
	if [ -n "${4:-}" ]; then
		code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -b "$_jar" -c "$_jar" -X "$2" \
		    -H "X-CSRF-Token: $_csrf" -H 'Content-Type: application/json' -d "$4" "$URL$3")
	else
		code=$(curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' -b "$_jar" -c "$_jar" -X "$2" \
		    -H "X-CSRF-Token: $_csrf" "$URL$3")
	fi
}
# signin JAR PHONE [PASSWORD]: a browser session kept in the jar
signin() {
	rm -f "$T/jar.$1" "$T/jar.$1.csrf"
	code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -c "$T/jar.$1" -H 'Content-Type: application/json' \
	    -d "{\"phone\":\"$2\",\"password\":\"${3:-$PW}\"}" "$URL/api/v1/session")
	jq -r '.csrf_token // empty' "$T/body" >"$T/jar.$1.csrf" 2>/dev/null
}
body() { jq -r "$1" "$T/body" 2>/dev/null; }
