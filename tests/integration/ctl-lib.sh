# Shared by the park-*.sh and ctl-*.sh integration tests (sourced, not run).
# TAP helpers, the prepayctl under test, and SQL against $PREPAY_CONF's
# database for counting rows.

if [ -z "$PREPAY_CONF" ]; then
	echo "1..0 # SKIP needs the stack's database (run ./deploy/stack check)"
	exit 0
fi
: "${PREPAY_BUILDDIR:=.}"
: "${PREPAY_SRCDIR:=.}"
CTL="$PREPAY_BUILDDIR/prepayctl"
T=$(mktemp -d "${TMPDIR:-/tmp}/prepay-ctl-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# unique per run, short enough for a 32-character code
RUN="r$(date +%s | tail -c 7)$$"
tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}

# check NAME COMMAND...: ok when the command succeeds
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# run_ctl ARGS...: runs prepayctl, leaving stdout, stderr and status in $T/out, $T/err, $rc
run_ctl() {
	rc=0
	"$CTL" "$@" >"$T/out" 2>"$T/err" || rc=$?
}

# expect_fail NAME CODE TEXT ARGS...: exits with CODE and says TEXT on stderr
expect_fail() {
	name=$1 code=$2 text=$3
	shift 3
	run_ctl "$@"
	if [ "$rc" = "$code" ] && grep -qF -- "$text" "$T/err"; then
		ok "$name"
	else
		not_ok "$name"
		echo "# exit $rc (want $code); stderr:"
		sed 's/^/#   /' "$T/err"
		echo "# wanted on stderr: $text"
	fi
}

# a [client] option file for the mariadb client from the [database] section
ini_get() {
	awk -v want="$1" '
		/^[ \t]*\[/ { sec = $0; gsub(/[][ \t]/, "", sec); next }
		sec == "database" && $0 ~ "^[ \t]*" want "[ \t]*=" {
			sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]+$/, ""); print; exit
		}' "$PREPAY_CONF"
}
conf_dir=$(cd "$(dirname "$PREPAY_CONF")" && pwd)
abs_path() {
	case "$1" in /*) echo "$1" ;; *) echo "$conf_dir/$1" ;; esac
}
{
	echo "[client]"
	s=$(ini_get socket); [ -n "$s" ] && echo "socket=$(abs_path "$s")"
	s=$(ini_get host); [ -n "$s" ] && echo "host=$s"
	s=$(ini_get port); [ -n "$s" ] && echo "port=$s"
	echo "user=$(ini_get user)"
	s=$(ini_get password); [ -n "$s" ] && echo "password=$s"
	s=$(ini_get password_file); [ -n "$s" ] && echo "password=$(head -n 1 "$(abs_path "$s")")"
	echo "database=$(ini_get name)"
} >"$T/my.cnf"

sql() {
	mariadb --defaults-file="$T/my.cnf" -N -B -e "$1"
}

# counts of what an import by this test could write: rows of this run's
# sites (other tests import at the same time) and audit rows naming its files
park_counts() {
	sql "SELECT (SELECT COUNT(*) FROM sites WHERE code LIKE '%-$RUN'),
	    (SELECT COUNT(*) FROM site_calendar_days x JOIN sites s ON s.id = x.site_id WHERE s.code LIKE '%-$RUN'),
	    (SELECT COUNT(*) FROM units x JOIN sites s ON s.id = x.site_id WHERE s.code LIKE '%-$RUN'),
	    (SELECT COUNT(*) FROM tenants x JOIN sites s ON s.id = x.site_id WHERE s.code LIKE '%-$RUN'),
	    (SELECT COUNT(*) FROM accounts x JOIN sites s ON s.id = x.site_id WHERE s.code LIKE '%-$RUN'),
	    (SELECT COUNT(*) FROM gateways x JOIN sites s ON s.id = x.site_id WHERE s.code LIKE '%-$RUN'),
	    (SELECT COUNT(*) FROM meters x JOIN sites s ON s.id = x.site_id WHERE s.code LIKE '%-$RUN'),
	    (SELECT COUNT(*) FROM audit_log WHERE action = 'park.import' AND detail LIKE '%$T/%')"
}

# the demo park with its site codes made unique for this run: demo → demo-$RUN
demo_copy() {
	jq --arg s "-$RUN" '.sites[].code |= . + $s' "$PREPAY_SRCDIR/deploy/demo-park.json" >"$1"
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
