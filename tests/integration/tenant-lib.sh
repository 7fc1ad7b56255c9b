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

# fits NAME METHOD PATH: the last answer ($code, $T/body, $T/h) fits
# docs/api/openapi.yaml (tests/integration/tenant-openapi.py; without
# python3-yaml not checked)
HAVE_YAML=0
python3 -c 'import yaml' 2>/dev/null && HAVE_YAML=1
fits() {
	[ "$HAVE_YAML" = 1 ] || return 0
	_ct=$(sed -n 's/^Content-Type: \([^;]*\).*/\1/Ip' "$T/h" | tr -d '\r' | tail -1)
	if python3 "$PREPAY_SRCDIR/tests/integration/tenant-openapi.py" "$PREPAY_SRCDIR/docs/api/openapi.yaml" "$2" "$3" \
	    "$code" "$T/body" "$_ct" >"$T/why"; then
		ok "openapi: $1 ($code) fits the spec"
	else
		not_ok "openapi: $1 ($code) fits the spec"
		sed 's/^/# /' "$T/why"
	fi
}

# wechat_restart: the mini-program's [wechat] appid ($WX_APPID) and secret for
# jscode2session in prepay-sandbox; prepay-api and the sandbox start again
# with them (the sandbox forgets its orders and issued openids)
wechat_restart() {
	mkdir -p "$T/msgkeys"
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$T/msgkeys/wechat"
	WX_APPID=wxsignin$$
	printf '[wechat]\nlogin_url = %s\nappid = %s\nsecret_file = %s\n' "$SB" "$WX_APPID" "$T/msgkeys/wechat" >>"$CONF"
	SBX_PID=${PIDS##* }
	kill -TERM "$API_PID" "$SBX_PID"
	wait "$API_PID" "$SBX_PID" 2>/dev/null
	"$PREPAY_BUILDDIR/prepay-api" -c "$CONF" 2>>"$T/api.log" &
	API_PID=$!
	PIDS="$PIDS $!"
	"$PREPAY_BUILDDIR/prepay-sandbox" -c "$CONF" 2>>"$T/sandbox.log" &
	PIDS="$PIDS $!"
	if ! wait_port "$SB_PORT" || ! healthy; then
		echo "1..0 # SKIP prepay-api or prepay-sandbox did not start again"
		sed 's/^/# /' "$T/api.log" "$T/sandbox.log" | tail -20
		exit 1
	fi
}
