#!/usr/bin/env bash
# deploy/demo-setup.sh — make the demo park (deploy/demo-park.json, already
# imported) show the product working: tariffs, opening balances, the site's
# cut-off rules, alert contacts, tenant logins and the park's common account.
# deploy/stack up runs it once after `park import` (and marks it done in var/);
# every step is idempotent, so running it again changes nothing.
#
#   deploy/demo-setup.sh setup            the data, through prepayctl
#   deploy/demo-setup.sh msgbox           register the demo WeChat users with
#                                         prepay-msg-sandbox (it keeps them in
#                                         memory: again after each start)
#   deploy/demo-setup.sh logins           print the demo logins
#
# Environment (deploy/stack sets it): PREPAYCTL (the prepayctl binary),
# PREPAY_CONF, PREPAY_SCHEMA_DIR, DEMO_SECRETS (where the generated demo
# passwords are kept, mode 600), DEMO_MSGBOX (prepay-msg-sandbox host:port).
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SITE=demo
LOGINS=${DEMO_SECRETS:?DEMO_SECRETS is not set}/demo-logins

# Opening balances in yuan (request id demo-opening:SITE/ACCOUNT). The simulator
# runs an hour of load in half a minute (speed 120), so at busy hours a shop
# spends ~¥10-15 a real minute, the factory (t06) ~¥300, the cold store ~¥130.
# The site rules below: level 1 below ¥100, level 2 below ¥30, cut below
# −overdraft after 1 minute of grace, at any hour. At simulated night a shop
# spends a tenth of that: the cuts then take longer.
OPENING=(
	# account  yuan    what the demo shows
	"t01-e     5       level 2 at once; cut (m01 opens) a minute after ¥0"
	"t02-e     300     level 1 after a while"
	"t02-w     8       water: level 2 at once; the valve w01 closes after ¥0"
	"t03-e     150     level 1, then level 2, then a cut with no relay (audited)"
	"t04-e     500     -"
	"t05-e     60      level 1 at once, level 2, cut (m05 opens)"
	"t06-e     60000   factory: hours of supply"
	"t07-e     200     cold storage, keep-power: goes negative, never cut"
	"t08-e     2000    -"
	"t09-e     1000    -"
	"t10-e     5000    -"
	"t10-w     500     -"
	"t11-e     1000    -"
	"t12-e     20000   -"
	"common-e  5000    the park's common account (shared meter m18)"
)

# Tenant logins for the tenant page (/tenant/) and the mini-program:
# tenant phone name (the contact of the park file)
USERS=(
	"t01 13800138001 王丽"
	"t02 13800138002 李强"
	"t05 13800138005 孙敏"
	"t07 13800138007 吴海"
)

# Alert contacts: tenant (or - for the site's operators), channel, address, options
WECHAT_T01=oDemoT01WangLi0000000000001
contacts() {
	local hook=http://${DEMO_MSGBOX:?DEMO_MSGBOX is not set}/hook
	cat <<-EOF
		t01 sms +8613800138001 --name 王丽
		t01 wechat $WECHAT_T01 --name 王丽
		t02 sms +8613800138002 --name 李强
		t03 sms +8613800138003 --name 陈芳
		t05 sms +8613800138005 --name 孙敏
		t07 sms +8613800138007 --name 吴海
		t07 webhook $hook/t07-erp --lang en --name cold-chain-erp
		- webhook $hook/park-office --lang en --name park-office
	EOF
}

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }
ctl() { "${PREPAYCTL:?PREPAYCTL is not set}" "$@"; }

# ctl_once ARGS...: prepayctl where "already there" (exit 4) is success
ctl_once() {
	local rc=0 out
	out=$(ctl "$@" 2>&1) || rc=$?
	if ((rc == 0)); then
		printf '  %s\n' "${out%%$'\n'*}"
	elif ((rc == 4)); then
		printf '  (already) %s\n' "${out%%$'\n'*}"
	else
		printf '%s\n' "$out" >&2
		die "prepayctl $* failed (exit $rc)"
	fi
}

# Two additions to the imported park, kept out of deploy/demo-park.json (the
# tests know that file as it is): the park's common account — tenant "park"
# (物业公共), account common-e (keep power, large overdraft) with the shared
# meter m18 on it — and no overdraft for t01-e, so its cut comes within
# minutes at any simulated hour instead of after ¥50 of night-time use.
park_extras() {
	local park
	park=$(mktemp)
	jq '.sites |= [.[] | select(.code == "demo")]
	    | .sites[0].tenants += [{"code": "park", "name": "物业公共"}]
	    | .sites[0].accounts += [{"code": "common-e", "tenant": "park", "energy": "electricity",
	        "overdraft": "100000.00", "keep_power": true,
	        "comment": "public lighting and lifts, shared by area at month end"}]
	    | (.sites[0].meters[] | select(.code == "m18")).account = "common-e"
	    | (.sites[0].accounts[] | select(.code == "t01-e")).overdraft = "0.00"' \
		"$REPO/deploy/demo-park.json" >"$park"
	say "the common account demo/common-e for the shared meter m18; t01-e without overdraft"
	ctl park import "$park" | sed 's/^/  /'
	rm -f "$park"
}

tariffs() {
	local s code energy
	for s in demo east; do
		say "tariffs of site $s"
		ctl_once tariff import "$REPO/docs/tariffs/jiangsu-industrial-tou.json" --site "$s" --code tou
		ctl_once tariff import "$REPO/docs/tariffs/water-3-tier.json" --site "$s" --code water3
		while read -r code energy; do
			case $energy in
			electricity) ctl_once tariff assign "$s/$code" "$s/tou" ;;
			water) ctl_once tariff assign "$s/$code" "$s/water3" ;;
			*) die "account $s/$code: no demo tariff for $energy" ;;
			esac
		done < <(ctl --json account list --site "$s" | jq -r '.[] | "\(.code) \(.energy)"')
	done
}

policy() {
	say "site rules: alerts below ¥100 and ¥30, cut after 1 minute at any hour, ¥20 emergency credit"
	ctl site policy "$SITE" --level1 100 --level2 30 --restore 0 --grace-min 1 \
		--emergency-credit 20 --no-cut-night no --no-cut-weekends no --no-cut-holidays no \
		--reason "demo: show alerts and cut-offs at any hour" | sed 's/^/  /'
	# messages go out at once, not held until the morning
	ctl_once alerts settings "$SITE" --quiet none
	ctl_once alerts settings east --quiet none
}

openings() {
	local line code yuan _
	say "opening balances (prepayctl topup, request id demo-opening:ACCOUNT)"
	for line in "${OPENING[@]}"; do
		read -r code yuan _ <<<"$line"
		ctl_once topup "$SITE/$code" "$yuan" --request-id "demo-opening:$SITE/$code" \
			--reason "demo opening balance" --method cash
	done
	for code in e01-e e02-e; do
		ctl_once topup "east/$code" 2000 --request-id "demo-opening:east/$code" \
			--reason "demo opening balance" --method cash
	done
}

contacts_add() {
	local tenant channel address opts
	say "alert contacts (delivered to prepay-msg-sandbox)"
	while read -r tenant channel address opts; do
		local who=$SITE/$tenant
		[[ $tenant != - ]] || who=$SITE
		# shellcheck disable=SC2086 # opts are words
		ctl_once contact add "$who" "$channel" "$address" $opts
	done < <(contacts)
}

# a password per login, made once: letters and digits, never all digits
users_add() {
	local tenant phone name pw raw pwfile
	say "tenant logins (passwords in $LOGINS)"
	mkdir -p "$(dirname "$LOGINS")"
	[[ -f $LOGINS ]] || (umask 077 && : >"$LOGINS")
	chmod 600 "$LOGINS"
	pwfile=$(umask 077 && mktemp)
	for line in "${USERS[@]}"; do
		read -r tenant phone name <<<"$line"
		pw=$(awk -v p="$phone" '$1 == p { print $2 }' "$LOGINS")
		if [[ -z $pw ]]; then
			raw=$(head -c 32 /dev/urandom | base64 -w0)
			raw=${raw//[^A-Za-z0-9]/}
			pw=demo-${raw:0:10}
			printf '%s %s %s/%s %s\n' "$phone" "$pw" "$SITE" "$tenant" "$name" >>"$LOGINS"
		fi
		printf '%s\n' "$pw" >"$pwfile"
		ctl_once user add --tenant "$SITE/$tenant" --phone "$phone" --password-file "$pwfile" \
			--name "$name" --replace
	done
	rm -f "$pwfile"
}

shares() {
	say "the shared meter m18 is apportioned by floor area at month end"
	ctl_once meter share "$SITE/m18" --rule area
}

cmd_setup() {
	command -v jq >/dev/null || die "jq is needed (Debian jq)"
	park_extras
	tariffs
	policy
	contacts_add
	users_add
	shares
	# last: each top-up applies the rules above at once (alerts, cuts)
	openings
	say "done"
}

cmd_msgbox() {
	local url=http://${DEMO_MSGBOX:?DEMO_MSGBOX is not set}/_sandbox/wechat/user
	curl -sf -o /dev/null -m 5 -X POST "$url?openid=$WECHAT_T01&quota=-1" ||
		die "prepay-msg-sandbox did not take the WeChat user $WECHAT_T01 ($url)"
}

cmd_logins() {
	[[ -s $LOGINS ]] || return 0
	awk '{ printf "  %-10s phone %-12s password %-16s %s\n", $3, $1, $2, $4 }' "$LOGINS"
}

case ${1:-} in
setup) cmd_setup ;;
msgbox) cmd_msgbox ;;
logins) cmd_logins ;;
*)
	sed -n '2,/^set -E/{/^set -E/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
