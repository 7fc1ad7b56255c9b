#!/bin/sh
# prepayctl and a broken configuration: exit 5 with "file:line: what is wrong".
# Needs no database, so it runs without the stack too.
: "${PREPAY_BUILDDIR:=.}"
CTL="$PREPAY_BUILDDIR/prepayctl"
T=$(mktemp -d "${TMPDIR:-/tmp}/prepay-ctl-config.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0 failed=0

# conf NAME LINE TEXT: config file $T/c.conf (already written) is refused
conf() {
	n=$((n + 1))
	rc=0
	"$CTL" -c "$T/c.conf" account list >/dev/null 2>"$T/err" || rc=$?
	if [ "$rc" = 5 ] && grep -qF -- "$T/c.conf:$2: $3" "$T/err"; then
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		echo "# exit $rc (want 5); stderr:"
		sed 's/^/#   /' "$T/err"
	fi
}

printf '[database]\nuser = prepay\nnaem = prepay\n' >"$T/c.conf"
conf "an unknown key names file and line" 3 "unknown key"
printf '[database]\nuser = prepay\nport = eighty\n' >"$T/c.conf"
conf "a bad number names file and line" 3 "[database] port must be a whole number"
printf '[database]\nuser = prepay\n[databse]\n' >"$T/c.conf"
conf "an unknown section names file and line" 3 "unknown section [databse]"
printf '[database]\nuser = a\nuser = b\n' >"$T/c.conf"
conf "a repeated key names file and line" 3 "[database] user is already set on line 2"

n=$((n + 1))
rc=0
"$CTL" -c "$T/missing.conf" account list >/dev/null 2>"$T/err" || rc=$?
if [ "$rc" = 5 ] && grep -qF "$T/missing.conf" "$T/err"; then
	echo "ok $n - a missing file is named"
else
	failed=$((failed + 1))
	echo "not ok $n - a missing file is named (exit $rc)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
