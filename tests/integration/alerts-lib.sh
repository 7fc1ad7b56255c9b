# Shared by the alerts-*.sh tests (sourced, not run): ctl-lib.sh's TAP and
# SQL helpers, a config of our own (the stack's [database] plus our
# [worker]/[sms]/[wechat]/[webhook] keys and fresh sandbox secrets), a
# prepay-msg-sandbox on a free loopback port, and the worker under test,
# which only ever touches this run's site (--site).
#
# With PREPAY_ADMIN_CONF the tests run in a private database (created,
# migrated, dropped): the stack's own prepay-worker serves the shared one
# and would otherwise take our rows and deliver them to its own sandbox.
ALERTS_DB=
if [ -n "${PREPAY_CONF:-}" ] && [ -n "${PREPAY_ADMIN_CONF:-}" ]; then
	ALERTS_DB=prepay_alerts_test_$$
	ALERTS_ADMIN="${PREPAY_BUILDDIR:-.}/tests/integration/ledger-sql $PREPAY_ADMIN_CONF"
	ALERTS_CONF=$(mktemp "${TMPDIR:-/tmp}/prepay-alerts-conf.XXXXXX")
	$ALERTS_ADMIN exec "CREATE DATABASE $ALERTS_DB" >/dev/null ||
	    { echo "Bail out! cannot create database $ALERTS_DB"; exit 1; }
	awk -v db="$ALERTS_DB" '
		/^[ \t]*\[/ { sec = ($0 ~ /^[ \t]*\[database\]/); print; if (sec) print "name = " db; next }
		sec && /^[ \t]*name[ \t]*=/ { next }
		{ print }' "$PREPAY_ADMIN_CONF" >"$ALERTS_CONF"
	if ! PREPAY_SCHEMA_DIR="${PREPAY_SCHEMA_DIR:-${PREPAY_SRCDIR:-.}/schema}" \
	    "${PREPAY_BUILDDIR:-.}/prepayctl" -c "$ALERTS_CONF" db migrate >"$ALERTS_CONF.out" 2>&1; then
		echo "Bail out! cannot migrate $ALERTS_DB:"; sed 's/^/# /' "$ALERTS_CONF.out"
		$ALERTS_ADMIN exec "DROP DATABASE IF EXISTS $ALERTS_DB" >/dev/null
		exit 1
	fi
	PREPAY_CONF=$ALERTS_CONF
	export PREPAY_CONF
fi
. "${ALERTS_LIBDIR:-$(dirname "$0")}/ctl-lib.sh"

WORKER="$PREPAY_BUILDDIR/prepay-worker"
SANDBOX="$PREPAY_BUILDDIR/prepay-msg-sandbox"
DEBIT="$PREPAY_BUILDDIR/tests/integration/policy-debit"
SB_PID=
W_PID=
trap 'alerts_cleanup' EXIT
alerts_cleanup() {
	[ -n "$W_PID" ] && kill "$W_PID" 2>/dev/null
	[ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
	if [ -n "$ALERTS_DB" ]; then
		$ALERTS_ADMIN exec "DROP DATABASE IF EXISTS $ALERTS_DB" >/dev/null
		rm -f "$ALERTS_CONF" "$ALERTS_CONF.out"
	fi
}

mkdir -p "$T/keys"
for k in tencent aliyun wechat webhook; do
	head -c 24 /dev/urandom | base64 >"$T/keys/$k"
done
OPENID_OK=oSandboxUser$(printf '%016d' "$$")
PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d " ") % 9000))

# write_conf [EXTRA WORKER LINES...]: $T/alerts.conf for the current $PORT
write_conf() {
	{
		echo "[database]"
		s=$(ini_get socket); [ -n "$s" ] && echo "socket = $(abs_path "$s")"
		s=$(ini_get host); [ -n "$s" ] && echo "host = $s"
		s=$(ini_get port); [ -n "$s" ] && echo "port = $s"
		echo "name = $(ini_get name)"
		echo "user = $(ini_get user)"
		s=$(ini_get password); [ -n "$s" ] && echo "password = $s"
		s=$(ini_get password_file); [ -n "$s" ] && echo "password_file = $(abs_path "$s")"
		echo "[worker]"
		# the caller's lines win over these
		for line in "threads = 2" "retry_base_ms = 100" "retry_max_ms = 400" "http_timeout_ms = 1500" \
		    "lease_s = 4" "poll_ms = 50"; do
			key=${line%% *}
			for x in "$@"; do [ "${x%% *}" = "$key" ] && line=; done
			[ -n "$line" ] && echo "$line"
		done
		for line in "$@"; do echo "$line"; done
		echo "[sms]"
		echo "provider = ${SMS_PROVIDER:-tencent}"
		echo "tencent_url = http://127.0.0.1:$PORT"
		echo "tencent_secret_id = AKIDsandbox$$"
		echo "tencent_secret_key_file = $T/keys/tencent"
		echo "tencent_sdk_app_id = 1400000001"
		echo "aliyun_url = http://127.0.0.1:$PORT"
		echo "aliyun_access_key_id = LTAIsandbox$$"
		echo "aliyun_access_key_secret_file = $T/keys/aliyun"
		echo "[wechat]"
		echo "api_url = http://127.0.0.1:$PORT"
		echo "appid = wxsandbox$$"
		echo "secret_file = $T/keys/wechat"
		echo "template_id = TPL-prepay-alert"
		echo "[webhook]"
		echo "secret_file = $T/keys/webhook"
		echo "[log]"
		echo "level = warn"
	} >"$T/alerts.conf"
}

# start_sandbox: on $PORT, another port if that one is taken
start_sandbox() {
	for try in 1 2 3 4 5 6 7 8; do
		write_conf "$@"
		"$SANDBOX" -c "$T/alerts.conf" --listen "127.0.0.1:$PORT" >>"$T/sandbox.log" 2>&1 &
		SB_PID=$!
		for i in 1 2 3 4 5 6 7 8 9 10; do
			if curl -sf "http://127.0.0.1:$PORT/_sandbox/stats" >/dev/null 2>&1; then
				return 0
			fi
			kill -0 "$SB_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SB_PID" 2>/dev/null
		wait "$SB_PID" 2>/dev/null
		PORT=$((PORT + 97))
	done
	echo "# prepay-msg-sandbox did not start:"; sed 's/^/#   /' "$T/sandbox.log"
	return 1
}

stop_sandbox() {
	kill "$SB_PID" 2>/dev/null
	wait "$SB_PID" 2>/dev/null
	SB_PID=
}

# restart the sandbox on the same port (after stop_sandbox)
restart_sandbox() {
	"$SANDBOX" -c "$T/alerts.conf" --listen "127.0.0.1:$PORT" >>"$T/sandbox.log" 2>&1 &
	SB_PID=$!
	for i in $(seq 1 50); do
		curl -sf "http://127.0.0.1:$PORT/_sandbox/stats" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

sb() { curl -s "http://127.0.0.1:$PORT/_sandbox/$1"; }
sb_post() { curl -s -X POST "http://127.0.0.1:$PORT/_sandbox/$1" >/dev/null; }
# what the sandbox accepted: sb_count FILTER (jq select expression)
sb_count() { sb messages | jq -s "[.[] | select($1)] | length"; }

# the worker, once, on our site only, on the real clock; one thread, so
# deliveries happen in queue order and the tests can read them in order
work_once() { env -u PREPAY_NOW "$WORKER" -c "$T/alerts.conf" --once --threads 1 --site "$S" >"$T/worker.out" 2>"$T/worker.err"; }
# the worker with an injected clock
work_once_at() { PREPAY_NOW=$1 "$WORKER" -c "$T/alerts.conf" --once --threads 1 --site "$S" >"$T/worker.out" 2>"$T/worker.err"; }
ctl() { "$CTL" -c "$T/alerts.conf" "$@"; }
acc() { sql "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id WHERE s.code = '$S' AND a.code = '$1'"; }
# debit ACCOUNT FEN: consumption through the ledger and the policy
debit() {
	n_debit=$((${n_debit:-0} + 1))
	PREPAY_CONF="$T/alerts.conf" "$DEBIT" "$1" "$2" "al-$RUN-debit-$n_debit" >"$T/debit" 2>&1
}
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   got:    $2"; echo "#   wanted: $3"; fi
}
# delivery rows of an account: "kind/channel/status/attempts …"
deliveries() {
	sql "SELECT COALESCE(GROUP_CONCAT(CONCAT(JSON_VALUE(payload, '\$.kind'), '/', SUBSTRING(kind, 5), '/', status, '/', attempts)
	    ORDER BY id SEPARATOR ' '), '') FROM outbox WHERE account_id = $1 AND kind LIKE 'msg.%'"
}
