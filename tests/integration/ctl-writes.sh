#!/bin/sh
# prepayctl's operator writes that run in one db_tx each (contact add|remove,
# alerts settings, user add, tariff assign): what they print and write, and
# that a failing audit row takes the change back with it; and --site SITE on
# the list commands: an unknown site is exit 3 "no site", never an empty list.
. "${PREPAY_SRCDIR:-.}/tests/integration/ctl-lib.sh"

F=$T/park.json
demo_copy "$F"
S=demo-$RUN
E=east-$RUN
run_ctl park import "$F"
check "the demo park imports" [ "$rc" = 0 ]

# --- an unknown --site: exit 3 and the same message as account list
for cmd in "account list" "meter list" "tariff list" "meter loss --month 2030-01" "fixed-charges run" "wechat bindings"; do
	# shellcheck disable=SC2086
	expect_fail "$cmd --site: unknown site" 3 "no site \"nosuch-$RUN\"" $cmd --site "nosuch-$RUN"
	check "$cmd --site: nothing on stdout" [ ! -s "$T/out" ]
done
run_ctl meter list --site "$S"
check "meter list --site: a known site lists its meters" grep -Eq "^ *[0-9]+ +$S +m01 " "$T/out"
check "meter list --site: only that site" sh -c "! grep -q ' $E ' '$T/out'"
run_ctl --json meter list --site "$E"
check "meter list --site --json: the east site's 3 meters" [ "$(jq length "$T/out")" = 3 ]

audits() {
	sql "SELECT COUNT(*) FROM audit_log WHERE action = '$1' AND detail LIKE '%$2%'"
}

# --- contact add / remove
run_ctl contact add "$S/t01" sms +8613800138000 --lang en
id=$(sed -n 's/^contact \([0-9]*\): sms +8613800138000 for .*/\1/p' "$T/out")
check "contact add: prints the new contact" \
    grep -qx "contact $id: sms +8613800138000 for $S/t01 (en, \*)" "$T/out"
check "contact add: exit 0" [ "$rc" = 0 ]
check "contact add: the row and its audit row" \
    [ "$(sql "SELECT COUNT(*) FROM alert_contacts WHERE id = '$id'"):$(audits contact.add "$S/t01")" = 1:1 ]
expect_fail "contact add: the same address again is a conflict naming the contact" 4 \
    "sms +8613800138000 is already contact $id of $S/t01 (contact remove $id first to change it)" \
    contact add "$S/t01" sms +8613800138000
check "contact add: the conflict wrote no audit row" [ "$(audits contact.add "$S/t01")" = 1 ]
run_ctl --json contact add "$S" webhook https://ops.example.com/hook
check "contact add --json: the id" [ "$(jq -r '.id | type' "$T/out")" = number ]
run_ctl contact remove "$id"
check "contact remove: prints and exits 0" sh -c "[ $rc = 0 ] && grep -qx 'contact $id removed' '$T/out'"
check "contact remove: row gone, audit row written" \
    [ "$(sql "SELECT COUNT(*) FROM alert_contacts WHERE id = $id"):$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'contact.remove' AND object_id = $id")" = 0:1 ]
expect_fail "contact remove: again is exit 3" 3 "no contact $id (contact list shows them)" contact remove "$id"

# --- alerts settings
run_ctl alerts settings "$S" --quiet 22:30-07:00 --channels sms,webhook
check "alerts settings: prints the settings" \
    grep -qx "site $S: quiet hours 22:30-07:00 (non-urgent messages wait); channels sms,webhook" "$T/out"
check "alerts settings: the row and one audit row" \
    [ "$(sql "SELECT CONCAT(x.quiet_start_min, '-', x.quiet_end_min, ' ', x.channels) FROM alert_site_settings x JOIN sites s ON s.id = x.site_id WHERE s.code = '$S'"):$(audits alerts.settings "\"$S\"")" = "1350-420 sms,webhook:1" ]
run_ctl alerts settings "$S"
check "alerts settings without changes: shows, writes no audit row" \
    sh -c "[ $rc = 0 ] && grep -q 'quiet hours 22:30-07:00' '$T/out' && [ $(audits alerts.settings "\"$S\"") = 1 ]"

# --- user add
PH=139$(printf '%08d' $(( ($(date +%s) * 100 + $$) % 100000000 )))
PH2=138${PH#139}
echo "Tariff-Meter-$RUN-ok" >"$T/pw"
run_ctl user add --tenant "$S/t01" --phone "$PH" --password-file "$T/pw" --name 王丽
uid=$(sed -n "s/^user \([0-9]*\): $PH signs in for $S\/t01\$/\1/p" "$T/out")
check "user add: prints the new user" [ -n "$uid" ]
check "user add: the user and a user.add audit row" \
    [ "$(sql "SELECT COUNT(*) FROM users WHERE id = '$uid' AND login = 'phone:$PH'"):$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'user.add' AND object_id = '$uid'")" = 1:1 ]
expect_fail "user add: the same phone again is a conflict" 4 \
    "phone $PH already signs in as user $uid (--replace sets a new password)" \
    user add --tenant "$S/t01" --phone "$PH" --password-file "$T/pw"
run_ctl --json user add --tenant "$S/t02" --phone "$PH" --password-file "$T/pw" --replace
check "user add --replace --json: the same user, replaced" \
    [ "$(jq -r '"\(.user) \(.tenant) \(.replaced)"' "$T/out")" = "$uid $S/t02 true" ]
check "user add --replace: moved to t02, a user.password audit row" \
    [ "$(sql "SELECT t.code FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = '$uid'"):$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'user.password' AND object_id = '$uid'")" = t02:1 ]

# --- tariff assign
run_ctl tariff import "$PREPAY_SRCDIR/docs/tariffs/commercial-flat.json" --site "$S" --code flat
run_ctl tariff assign "$S/t01-e" flat --adjust-bp -500 --reason "assign-$RUN"
check "tariff assign: prints the assignment" grep -q "^account $S/t01-e: electricity tariff flat with its own terms;" "$T/out"
check "tariff assign: the row and its audit row" \
    [ "$(sql "SELECT x.adjust_bp FROM account_tariffs x JOIN accounts a ON a.id = x.account_id JOIN sites s ON s.id = a.site_id WHERE s.code = '$S' AND a.code = 't01-e'"):$(audits tariff.assign "assign-$RUN")" = -500:1 ]

# --- a failing audit insert takes the change back (one transaction each):
# a trigger refuses audit rows that name this run's east site or "fail-$RUN"
TRG="ctl_writes_$RUN"
if mariadb --defaults-file="$T/my.cnf" 2>"$T/trg" <<EOF
DELIMITER //
CREATE TRIGGER $TRG BEFORE INSERT ON audit_log FOR EACH ROW
IF NEW.detail LIKE '%$E%' OR NEW.detail LIKE '%fail-$RUN%' THEN
	SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by $TRG';
END IF //
EOF
then
	trap 'sql "DROP TRIGGER IF EXISTS $TRG"; rm -rf "$T"' EXIT
	expect_fail "audit refused: contact add fails" 5 "refused by $TRG" contact add "$E/e01" sms +8613800138001
	check "audit refused: no contact written" \
	    [ "$(sql "SELECT COUNT(*) FROM alert_contacts k JOIN sites s ON s.id = k.site_id WHERE s.code = '$E'")" = 0 ]
	expect_fail "audit refused: alerts settings fails" 5 "refused by $TRG" alerts settings "$E" --quiet none
	check "audit refused: the setting was not written" \
	    [ "$(sql "SELECT COUNT(*) FROM alert_site_settings x JOIN sites s ON s.id = x.site_id WHERE s.code = '$E'")" = 0 ]
	expect_fail "audit refused: user add fails" 5 "refused by $TRG" \
	    user add --tenant "$E/e01" --phone "$PH2" --password-file "$T/pw"
	check "audit refused: no user written" [ "$(sql "SELECT COUNT(*) FROM users WHERE login = 'phone:$PH2'")" = 0 ]
	expect_fail "audit refused: tariff assign fails" 5 "refused by $TRG" \
	    tariff assign "$S/t02-e" flat --reason "fail-$RUN"
	check "audit refused: no tariff assigned" \
	    [ "$(sql "SELECT COUNT(*) FROM account_tariffs x JOIN accounts a ON a.id = x.account_id JOIN sites s ON s.id = a.site_id WHERE s.code = '$S' AND a.code = 't02-e'")" = 0 ]
	sql "DROP TRIGGER $TRG"
else
	echo "ok $((tap_n + 1)) # SKIP cannot create a trigger here: $(head -n 1 "$T/trg")"
	tap_n=$((tap_n + 1))
fi

run_ctl audit
check "the ledger audit is clean" [ "$rc" = 0 ]
done_testing
