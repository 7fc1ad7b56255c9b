#!/bin/sh
# Alerts end to end against $PREPAY_CONF and a prepay-msg-sandbox of our
# own: a draining balance gives exactly one level-1, one level-2, one
# cut-warning and one cut message on every channel, a top-up one restored
# and one payment-received (an adjustment sends none); bad contact data
# fails that message alone; quiet hours hold a non-urgent message until
# morning while an urgent one goes out (clock injected with PREPAY_NOW).
. "$(dirname "$0")/alerts-lib.sh"

S=alf-$RUN
start_sandbox || { not_ok "the message sandbox starts"; done_testing; exit 1; }
ok "the message sandbox starts on port $PORT"
cat >"$T/park.json" <<JSON
{ "version": 1, "sites": [ {
  "code": "$S", "name": "alerts flow", "timezone": "Asia/Shanghai",
  "tenants": [ { "code": "t1", "name": "shop" }, { "code": "t2", "name": "bad contacts" },
               { "code": "t3", "name": "night owl" } ],
  "accounts": [ { "code": "a1", "tenant": "t1", "energy": "electricity" },
                { "code": "a2", "tenant": "t2", "energy": "electricity" },
                { "code": "a3", "tenant": "t3", "energy": "electricity" } ],
  "gateways": [ { "code": "gw1", "transport": "tcp", "host": "127.0.0.1", "port": 15099 } ],
  "meters": [ { "code": "m1", "profile": "hiking-dds238", "gateway": "gw1", "address": 1, "account": "a1", "relay": true } ]
} ] }
JSON
run_ctl -c "$T/alerts.conf" park import "$T/park.json"
check "a park of our own imports" [ "$rc" = 0 ]
A=$(acc a1) B=$(acc a2) C=$(acc a3)

# a Thursday, 10:00 in Shanghai: a working day, no friendly-hours delay
export PREPAY_NOW=2027-03-04T10:00:00+08:00
run_ctl -c "$T/alerts.conf" alerts settings "$S" --quiet none
check "alerts settings: quiet hours off" grep -q "no quiet hours" "$T/out"
run_ctl -c "$T/alerts.conf" site policy "$S" --level1 100 --level2 30 --grace-min 30 --reason "alerts test"
check "site policy saved" [ "$rc" = 0 ]
PHONE_A=+86139$(printf '%08d' $(( $$ % 100000000 )))
ctl contact add "$S/t1" sms "$PHONE_A" >/dev/null &&
ctl contact add "$S/t1" webhook "http://127.0.0.1:$PORT/hook/$S-t1" --lang en >/dev/null &&
ctl contact add "$S/t1" wechat "$OPENID_OK" >/dev/null
check "contacts added for t1 (sms, webhook, wechat)" [ $? = 0 ]
sb_post "wechat/user?openid=$OPENID_OK&quota=-1"
expect_fail "contact add: a malformed phone is refused" 3 "is not E.164" -c "$T/alerts.conf" contact add "$S/t1" sms 13800138000
expect_fail "contact add: an unknown kind is refused" 3 "unknown message kind" -c "$T/alerts.conf" contact add "$S/t1" sms +8613800138001 --kinds balance_low_9
expect_fail "contact add: the same address twice is refused" 4 "already contact" -c "$T/alerts.conf" contact add "$S/t1" sms "$PHONE_A"
expect "contact add: refusals write nothing" "$(sql "SELECT COUNT(*) FROM alert_contacts k JOIN sites s ON s.id = k.site_id WHERE s.code = '$S'")" 3

# --- the drain
ctl adjust "$A" +150 --request-id "al-$RUN-a1" --reason "opening balance" >/dev/null
ctl adjust "$A" -60 --request-id "al-$RUN-a2" --reason "test drain" >/dev/null
work_once
expect "level 1: one SMS, one webhook, one WeChat" \
    "$(sb_count '.verdict == "Ok" and .template == "balance_low_1"') $(sb_count '.channel == "webhook" and (.text | contains("balance_low_1"))') $(sb_count '.channel == "wechat" and .verdict == "0"')" "1 1 1"
check "the SMS carries the amounts in yuan" sh -c "curl -s http://127.0.0.1:$PORT/_sandbox/messages | grep -q '\"text\":\"\[\\\\\"$S/a1\\\\\",\\\\\"90.00\\\\\",\\\\\"100.00\\\\\"\]\"'"
check "the English webhook text says the balance" sh -c "curl -s http://127.0.0.1:$PORT/_sandbox/messages?channel=webhook | grep -q 'the balance is ¥90.00, below ¥100.00'"
check "the WeChat message has the title and the balance" sh -c "curl -s http://127.0.0.1:$PORT/_sandbox/messages?channel=wechat | grep -q '余额不足提醒.*¥90.00'"
debit "$A" 500
work_once
expect "further down, still above level 2: nothing new" "$(sb_count '.verdict == "Ok"')" 1
debit "$A" 6000
debit "$A" 2500
debit "$A" 1
check "one fen below zero: cut pending" grep -q "message=cut_warning" "$T/debit"
work_once
PREPAY_NOW=2027-03-04T10:31:00+08:00 ctl policy run --site "$S" >/dev/null
work_once
tmpls=$(sb messages | jq -r 'select(.channel == "sms:tencent" and .verdict == "Ok") | .template' | tr '\n' ' ')
expect "the drain: exactly one of each SMS, in order" "$tmpls" "balance_low_1 balance_low_2 cut_warning supply_cut "
expect "and one of each webhook" "$(sb messages | jq -r 'select(.channel == "webhook") | .template' | tr '\n' ' ')" \
    "balance_low_1 balance_low_2 cut_warning supply_cut "
check "the cut warning says when (local time) and how much" sh -c "curl -s 'http://127.0.0.1:$PORT/_sandbox/messages?channel=webhook' | grep 'cut_warning' | grep -q '03-04 10:30. Pay ¥0.01'"
expect "every delivery row done after one attempt" "$(deliveries "$A")" \
    "balance_low_1/sms/done/1 balance_low_1/webhook/done/1 balance_low_1/wechat/done/1 balance_low_2/sms/done/1 balance_low_2/webhook/done/1 balance_low_2/wechat/done/1 cut_warning/sms/done/1 cut_warning/webhook/done/1 cut_warning/wechat/done/1 supply_cut/sms/done/1 supply_cut/webhook/done/1 supply_cut/wechat/done/1"
expect "each attempt recorded with the provider's answer" \
    "$(sql "SELECT COUNT(*) FROM outbox_attempts t JOIN outbox o ON o.id = t.outbox_id WHERE o.account_id = $A AND o.kind LIKE 'msg.%' AND t.outcome = 'done' AND t.finished_at IS NOT NULL AND t.answer <> ''")" 12
work_once
expect "the worker again: nothing sent twice" "$(sb_count '.channel != "wechat_token"')" 12

# --- the top-up
PREPAY_NOW=2027-03-04T10:40:00+08:00 ctl topup "$A" 50 --request-id "al-$RUN-a3" >/dev/null
work_once
expect "top-up: one restored message per channel" "$(sb_count '.template == "supply_restored" or (.channel == "webhook" and (.text | contains("supply_restored")))')" 2
expect "top-up: one payment-received message per channel (SMS + WeChat by template, webhook)" \
    "$(sb_count '.template == "payment_received"') $(sb_count '.channel == "webhook" and (.text | contains("payment_received"))')" "2 1"
check "the receipt says the amount and the new balance" sh -c "curl -s 'http://127.0.0.1:$PORT/_sandbox/messages?channel=webhook' | grep -q '¥50.00 received; the balance is ¥'"
run_ctl -c "$T/alerts.conf" alerts list --account "$A"
check "alerts list shows the deliveries" sh -c "grep -q 'supply_cut' '$T/out' && grep -c delivered '$T/out' | grep -q '^18$'"
run_ctl -c "$T/alerts.conf" --json alerts list --account "$A"
expect "alerts list --json: delivered flags" "$(jq '[.[] | select(.delivered)] | length' "$T/out")" 18

# --- bad contact data: that message fails, the others go
sql "INSERT INTO alert_contacts (site_id, tenant_id, channel, address) SELECT site_id, id, 'sms', '+86-1380013800' FROM tenants WHERE id = (SELECT tenant_id FROM accounts WHERE id = $B)"
ctl contact add "$S/t2" wechat oUnknownOpenid000000000000 >/dev/null
ctl contact add "$S/t2" webhook "http://127.0.0.1:$PORT/hook/$S-t2" >/dev/null
ctl contact add "$S" webhook "http://127.0.0.1:$PORT/hook/$S-operators" --lang en >/dev/null
ctl adjust "$B" +150 --request-id "al-$RUN-b1" --reason "opening balance" >/dev/null
ctl adjust "$B" -60 --request-id "al-$RUN-b2" --reason "test drain" >/dev/null
work_once
expect "bad contacts: sms and wechat failed at once, webhook delivered" "$(deliveries "$B")" \
    "balance_low_1/sms/failed/1 balance_low_1/wechat/failed/1 balance_low_1/webhook/done/1 delivery_failed/webhook/done/1 delivery_failed/webhook/done/1"
expect "the malformed phone: a clear error" \
    "$(sql "SELECT last_error LIKE '%is not E.164%' FROM outbox WHERE account_id = $B AND kind = 'msg.sms'")" 1
expect "the unknown openid: the provider's 40003 in words" \
    "$(sql "SELECT last_error LIKE 'WeChat 40003: openid oUnknownOpenid000000000000 is unknown%' FROM outbox WHERE account_id = $B AND kind = 'msg.wechat'")" 1
expect "the operators hear of both failures" \
    "$(sb messages | jq -r "select(.channel == \"webhook\" and .to == \"/hook/$S-operators\") | .template" | tr '\n' ' ')" \
    "delivery_failed delivery_failed "
expect "the failures are in the audit log" \
    "$(sql "SELECT COUNT(*) FROM audit_log l JOIN outbox o ON o.id = l.object_id WHERE l.action = 'outbox.failed' AND o.account_id = $B")" 2

# --- an operator alert as the poller writes it (meters/poller/writer.c)
M1=$(sql "SELECT m.id FROM meters m JOIN sites s ON s.id = m.site_id WHERE s.code = '$S' AND m.code = 'm1'")
sql "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES ('meter_offline:$M1:$RUN', 'alert.meter_offline', $A,
    JSON_OBJECT('meter_id', $M1, 'meter', 'm1', 'account_id', $A, 'kind', 'alert.meter_offline',
                'message', 'meter offline: check the bus and the meter'))"
work_once
expect "meter offline: to the operators, not the tenant" \
    "$(sb messages | jq -r "select(.template == \"meter_offline\") | .to" | tr '\n' ' ')" "/hook/$S-operators "
check "the operators read which meter and why" sh -c "curl -s 'http://127.0.0.1:$PORT/_sandbox/messages?channel=webhook' | grep -q 'Meter offline.*meter m1 ($S/a1): meter offline: check the bus'"

# --- quiet hours: 23:00 local, a fall from ¥90 to below zero
# the two alerts fan out in the same worker pass, on any of its threads:
# compare the deliveries as a set
deliveries_sorted() { deliveries "$1" | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }
ctl alerts settings "$S" --quiet 22:00-08:00 >/dev/null
ctl contact add "$S/t3" sms "+86137$(printf '%08d' $(( $$ % 100000000 )))" >/dev/null
export PREPAY_NOW=2027-03-04T23:00:00+08:00
ctl adjust "$C" +90 --request-id "al-$RUN-c1" --reason "opening balance" >/dev/null
debit "$C" 9001
work_once_at 2027-03-04T23:00:00+08:00
expect "23:00: the urgent cut warning goes out, the low-balance message waits" "$(deliveries_sorted "$C")" \
    "balance_low_1/sms/pending/0 cut_warning/sms/done/1"
expect "held until 08:00 local" "$(sql "SELECT next_attempt_at FROM outbox WHERE account_id = $C AND kind = 'msg.sms' AND status = 'pending'")" \
    "2027-03-05 00:00:00.000000"
work_once_at 2027-03-05T07:59:59+08:00
expect "07:59:59: still held" "$(deliveries_sorted "$C")" "balance_low_1/sms/pending/0 cut_warning/sms/done/1"
work_once_at 2027-03-05T08:00:00+08:00
expect "08:00: delivered" "$(deliveries_sorted "$C")" "balance_low_1/sms/done/1 cut_warning/sms/done/1"
expect "nothing signed wrong all along" "$(sb stats | jq .signature_failures)" 0

run_ctl -c "$T/alerts.conf" audit
check "prepayctl audit is clean" [ "$rc" = 0 ]
done_testing
