#!/bin/sh
# prepay-worker against a failing provider ($PREPAY_CONF, a sandbox of our
# own): the sandbox down for a while, HTTP 500s and a timeout → retried,
# then delivered, nothing lost, nothing doubled; a provider that keeps
# failing → dead after [worker] max_attempts, in the audit log and told to
# the operators; the worker killed (-9) mid-delivery → the row runs again
# after its lease, at most one duplicate; Aliyun SMS signed and accepted;
# SIGTERM stops the daemon cleanly.
. "$(dirname "$0")/alerts-lib.sh"

S=alx-$RUN
start_sandbox "max_attempts = 4" || { not_ok "the message sandbox starts"; done_testing; exit 1; }
ok "the message sandbox starts on port $PORT"
cat >"$T/park.json" <<JSON
{ "version": 1, "sites": [ {
  "code": "$S", "name": "alerts faults", "timezone": "Asia/Shanghai",
  "tenants": [ { "code": "t1", "name": "a" }, { "code": "t2", "name": "b" }, { "code": "t3", "name": "c" },
               { "code": "t4", "name": "d" }, { "code": "t5", "name": "e" } ],
  "accounts": [ { "code": "a1", "tenant": "t1" }, { "code": "a2", "tenant": "t2" }, { "code": "a3", "tenant": "t3" },
                { "code": "a4", "tenant": "t4" }, { "code": "a5", "tenant": "t5" } ]
} ] }
JSON
run_ctl -c "$T/alerts.conf" park import "$T/park.json"
check "a park of our own imports" [ "$rc" = 0 ]
A=$(acc a1) B=$(acc a2) C=$(acc a3) D=$(acc a4) E=$(acc a5)
ctl alerts settings "$S" --quiet none >/dev/null
phone() { echo "+86135$(printf '%04d' $(( $$ % 10000 )))$1"; }
for t in 1 2 3 4 5; do ctl contact add "$S/t$t" sms "$(phone 000$t)" >/dev/null; done
ctl contact add "$S/t2" webhook "http://127.0.0.1:$PORT/hook/$S-t2" >/dev/null
ctl contact add "$S" webhook "http://127.0.0.1:$PORT/hook/$S-ops" >/dev/null
# funded by an adjustment: a top-up would add its own payment-received message
low() { ctl adjust "$1" +150 --request-id "$2-1" --reason "opening balance" >/dev/null && ctl adjust "$1" -60 --request-id "$2-2" --reason drain >/dev/null; }
# wait_for SQL WANT: poll (up to 20 s) until the query answers WANT
wait_for() {
	for i in $(seq 1 200); do
		[ "$(sql "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
status_of() { sql "SELECT CONCAT(status, '/', attempts) FROM outbox WHERE account_id = $1 AND kind = '$2'"; }

# --- the sandbox down, then back
stop_sandbox
low "$A" "ax-$RUN-a"
work_once
expect "sandbox down: the delivery waits for a retry" "$(status_of "$A" msg.sms)" "pending/1"
check "the attempt says why" sh -c "[ \"\$(echo \"SELECT error FROM outbox_attempts t JOIN outbox o ON o.id = t.outbox_id WHERE o.account_id = $A AND o.kind = 'msg.sms'\" | mariadb --defaults-file=$T/my.cnf -N -B)\" != '' ]"
restart_sandbox
check "the sandbox is back on the same port" [ $? = 0 ]
env -u PREPAY_NOW "$WORKER" -c "$T/alerts.conf" --site "$S" 2>"$T/daemon.err" &
W_PID=$!
wait_for "SELECT status FROM outbox WHERE account_id = $A AND kind = 'msg.sms'" done
expect "back up: delivered on the retry" "$(status_of "$A" msg.sms)" "done/2"
expect "and exactly once" "$(sb_count ".to == \"$(phone 0001)\"")" 1

# --- HTTP 500 three times (SMS), a timeout (webhook)
sb_post "fail?channel=sms&n=3&mode=http500"
low "$B" "ax-$RUN-b"
wait_for "SELECT status FROM outbox WHERE account_id = $B AND kind = 'msg.sms'" done
expect "three HTTP 500s, then delivered" "$(status_of "$B" msg.sms)" "done/4"
expect "every attempt recorded: retry, retry, retry, done" \
    "$(sql "SELECT GROUP_CONCAT(CONCAT(outcome, ':', COALESCE(http_status, 0)) ORDER BY attempt_no SEPARATOR ' ') FROM outbox_attempts t JOIN outbox o ON o.id = t.outbox_id WHERE o.account_id = $B AND o.kind = 'msg.sms'")" \
    "retry:500 retry:500 retry:500 done:200"
expect "the SMS arrived once" "$(sb_count ".to == \"$(phone 0002)\" and .verdict == \"Ok\"")" 1
wait_for "SELECT status FROM outbox WHERE account_id = $B AND kind = 'msg.webhook'" done
sb_post "fail?channel=webhook&n=1&mode=timeout"
ctl adjust "$B" -70 --request-id "ax-$RUN-b3" --reason drain >/dev/null
wait_for "SELECT COUNT(*) FROM outbox WHERE account_id = $B AND kind = 'msg.webhook' AND status = 'done'" 2
expect "a timeout, then delivered" \
    "$(sql "SELECT GROUP_CONCAT(t.outcome ORDER BY t.attempt_no SEPARATOR ' ') FROM outbox_attempts t JOIN outbox o ON o.id = t.outbox_id WHERE o.account_id = $B AND o.kind = 'msg.webhook' AND JSON_VALUE(o.payload, '\$.kind') = 'balance_low_2'")" \
    "retry done"
check "the timeout is named" sh -c "echo \"SELECT error FROM outbox_attempts t JOIN outbox o ON o.id = t.outbox_id WHERE o.account_id = $B AND t.outcome = 'retry' AND o.kind = 'msg.webhook'\" | mariadb --defaults-file=$T/my.cnf -N -B | grep -q 'did not answer in time'"

# --- a provider that keeps failing: dead after max_attempts (4)
sb_post "fail?channel=sms&n=1000&mode=code&code=InternalError.Timeout"
low "$C" "ax-$RUN-c"
wait_for "SELECT status FROM outbox WHERE account_id = $C AND kind = 'msg.sms'" dead
expect "gave up: dead after 4 attempts" "$(status_of "$C" msg.sms)" "dead/4"
expect "the last error says so" "$(sql "SELECT last_error FROM outbox WHERE account_id = $C AND kind = 'msg.sms'")" \
    "Tencent SMS: InternalError.Timeout: sandbox injected (gave up after 4 attempts)"
expect "in the audit log" "$(sql "SELECT COUNT(*) FROM audit_log l JOIN outbox o ON o.id = l.object_id WHERE l.action = 'outbox.dead' AND o.account_id = $C")" 1
sb_post "fail?channel=sms&n=0"
wait_for "SELECT status FROM outbox WHERE account_id = $C AND kind = 'alert.delivery_failed'" done
check "the operators are told by webhook" sh -c "curl -s 'http://127.0.0.1:$PORT/_sandbox/messages?channel=webhook' | grep '$S-ops' | grep -q 'not delivered after 4 attempts'"

# --- kill -9 mid-delivery: at most one duplicate
kill "$W_PID"; wait "$W_PID" 2>/dev/null
W_PID=
sb_post "fail?channel=sms&n=1&mode=slow&code=3000"
low "$D" "ax-$RUN-d"
env -u PREPAY_NOW "$WORKER" -c "$T/alerts.conf" --site "$S" --threads 1 2>>"$T/daemon.err" &
W_PID=$!
for i in $(seq 1 100); do
	[ "$(sb_count ".to == \"$(phone 0004)\"")" = 1 ] && break
	sleep 0.1
done
kill -9 "$W_PID"; wait "$W_PID" 2>/dev/null
W_PID=
expect "killed while the provider had the message: the attempt never finished" \
    "$(sql "SELECT CONCAT(o.status, '/', COUNT(t.id), '/', SUM(t.finished_at IS NULL)) FROM outbox o JOIN outbox_attempts t ON t.outbox_id = o.id WHERE o.account_id = $D AND o.kind = 'msg.sms' GROUP BY o.id")" \
    "running/1/1"
sleep 4.5	# the lease (lease_s = 4) runs out
work_once
expect "after the lease: delivered" "$(status_of "$D" msg.sms)" "done/2"
n=$(sb_count ".to == \"$(phone 0004)\"")
check "at most one duplicate (the provider saw it $n times)" [ "$n" -ge 1 ] && [ "$n" -le 2 ]

# --- Aliyun SMS, signed the v1 way and verified by the sandbox
SMS_PROVIDER=aliyun write_conf "max_attempts = 4"
low "$E" "ax-$RUN-e"
work_once
expect "Aliyun: delivered" "$(status_of "$E" msg.sms)" "done/1"
check "Aliyun: the template parameters arrived as JSON" sh -c "curl -s 'http://127.0.0.1:$PORT/_sandbox/messages?channel=sms:aliyun' | grep -q 'balance_low_1.*\\\\\"balance\\\\\":\\\\\"90.00\\\\\"'"
expect "no signature was refused all along" "$(sb stats | jq .signature_failures)" 0

# --- WeChat 43101: one subscription left, two messages
OPENID_ONCE=oSandboxOnce$(printf '%016d' "$$")
sb_post "wechat/user?openid=$OPENID_ONCE&quota=1"
# low-balance messages only: the top-up below (it re-arms the levels) must not use the subscription
ctl contact add "$S/t3" wechat "$OPENID_ONCE" --kinds balance_low_1,balance_low_2 >/dev/null
ctl topup "$C" 200 --request-id "ax-$RUN-c3" >/dev/null
ctl adjust "$C" -200 --request-id "ax-$RUN-c4" --reason drain >/dev/null
ctl adjust "$C" -70 --request-id "ax-$RUN-c5" --reason drain >/dev/null
tokens=$(sb_count '.channel == "wechat_token"')
work_once
# the worker's threads may deliver the two in either order: one gets the
# subscription, the other 43101
expect "43101: one message used the subscription, the other failed without a retry" \
    "$(sql "SELECT GROUP_CONCAT(CONCAT(status, '/', attempts) ORDER BY status SEPARATOR ' ') FROM outbox WHERE account_id = $C AND kind = 'msg.wechat'")" \
    "done/1 failed/1"
check "43101 is explained" sh -c "echo \"SELECT last_error FROM outbox WHERE account_id = $C AND kind = 'msg.wechat' AND status = 'failed'\" | mariadb --defaults-file=$T/my.cnf -N -B | grep -q 'WeChat 43101: the tenant has no subscription left'"
expect "one stable_token fetch for both messages (cached)" "$(( $(sb_count '.channel == "wechat_token"') - tokens ))" 1

# --- three workers at once on the same queue: each message exactly once
sql "INSERT INTO outbox (dedupe_key, kind, account_id, payload)
     SELECT CONCAT('many:$RUN:', seq), 'alert.balance_low_1', $E,
            JSON_OBJECT('account_id', $E, 'kind', 'balance_low_1', 'balance_fen', 9000, 'threshold_fen', 10000)
     FROM seq_1_to_300"
sent_before=$(sb_count ".to == \"$(phone 0005)\"")
pids=
for w in 1 2 3; do
	env -u PREPAY_NOW "$WORKER" -c "$T/alerts.conf" --once --site "$S" --threads 4 >/dev/null 2>"$T/many$w.err" &
	pids="$pids $!"
done
# not a bare wait: the sandbox runs in the background too
for p in $pids; do wait "$p"; done
expect "3 workers × 4 threads: 300 SMS, each exactly once" \
    "$(( $(sb_count ".to == \"$(phone 0005)\"") - sent_before )) $(sb messages | jq -r "select(.to == \"$(phone 0005)\") | .id" | sort | uniq -d | wc -l)" "300 0"
expect "one attempt per delivery, all done" \
    "$(sql "SELECT CONCAT(COUNT(DISTINCT o.id), '/', COUNT(t.id), '/', SUM(o.status = 'done')) FROM outbox o JOIN outbox_attempts t ON t.outbox_id = o.id JOIN outbox a ON o.dedupe_key LIKE CONCAT('deliver:', a.id, ':%') WHERE a.dedupe_key LIKE 'many:$RUN:%'")" \
    "300/300/300"

# --- SIGTERM: a clean stop
env -u PREPAY_NOW "$WORKER" -c "$T/alerts.conf" --site "$S" 2>"$T/term.err" &
W_PID=$!
sleep 0.3
kill -TERM "$W_PID"
wait "$W_PID"
rc=$?
W_PID=
check "SIGTERM: a clean exit 0" [ "$rc" = 0 ]
expect "nothing left running" "$(sql "SELECT COUNT(*) FROM outbox o JOIN accounts a ON a.id = o.account_id JOIN sites s ON s.id = a.site_id WHERE s.code = '$S' AND o.status = 'running'")" 0
done_testing
