/*
 * The policy's shell (policy_apply.h): loads, calls the pure core,
 * persists. Every write happens in the caller's transaction, after the
 * account row is locked (the ledger locks it the same way), so a
 * deadlock retries the posting and its consequences together.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "billing/friendly.h"
#include "billing/ledger.h"
#include "billing/policy_apply.h"
#include "lib/log.h"
#include "lib/money.h"

#define RELAY_MAX_METERS 256	/* relay-capable meters one account may have */
#define REASON_MAX_BYTES 250	/* VARCHAR(255) columns, cut at a UTF-8 boundary */

int64_t
policy_clock_now(void)
{
	const char *s = getenv("PREPAY_NOW");
	int64_t t;
	int has_off;

	if (s == NULL || *s == '\0')
		return (int64_t)time(NULL);
	if (tz_parse_iso(s, strlen(s), &t, &has_off) != 0 || !has_off)
		fatalx("PREPAY_NOW=\"%.64s\": write an instant like 2026-03-06T14:00:00Z or"
		    " 2026-03-06T22:00:00+08:00 (a test hook: unset it in production)", s);
	return t;
}

/* a copy of s of at most REASON_MAX_BYTES bytes, not splitting a character */
static void
reason_copy(char *dst, size_t dstlen, const char *s)
{
	size_t n = strlen(s);

	if (n > REASON_MAX_BYTES)
		n = REASON_MAX_BYTES;
	if (n >= dstlen)
		n = dstlen - 1;
	while (n > 0 && n < strlen(s) && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The ten rule columns, in the order of both rule tables. */
#define RULE_COLUMNS "level1_fen, level2_fen, restore_fen, grace_s, emergency_credit_fen, no_cut_night," \
	" night_start_min, night_end_min, no_cut_weekends, no_cut_holidays"
#define RULE_NCOLS 10
/* the same prefixed by "o." (the first one by the caller) */
#define RULE_COLUMNS_O "level1_fen, o.level2_fen, o.restore_fen, o.grace_s, o.emergency_credit_fen," \
	" o.no_cut_night, o.night_start_min, o.night_end_min, o.no_cut_weekends, o.no_cut_holidays"

/* rule columns from col on; mask gets a bit per non-NULL column */
static void
rules_read(struct db_rows *rows, int col, struct policy_rules *r, unsigned *mask)
{
	static const unsigned bit[RULE_NCOLS] = { POLICY_F_LEVEL1, POLICY_F_LEVEL2, POLICY_F_RESTORE,
	    POLICY_F_GRACE, POLICY_F_EMERGENCY, POLICY_F_NIGHT, 0, 0, POLICY_F_WEEKENDS, POLICY_F_HOLIDAYS };

	if (mask != NULL)
		for (int i = 0; i < RULE_NCOLS; i++)
			if (bit[i] != 0 && !db_rows_isnull(rows, col + i))
				*mask |= bit[i];
	r->level1_fen = db_rows_int(rows, col);
	r->level2_fen = db_rows_int(rows, col + 1);
	r->restore_fen = db_rows_int(rows, col + 2);
	r->grace_s = db_rows_int(rows, col + 3);
	r->emergency_credit_fen = db_rows_int(rows, col + 4);
	r->no_cut_night = (int)db_rows_int(rows, col + 5);
	r->night_start_min = (int)db_rows_int(rows, col + 6);
	r->night_end_min = (int)db_rows_int(rows, col + 7);
	r->no_cut_weekends = (int)db_rows_int(rows, col + 8);
	r->no_cut_holidays = (int)db_rows_int(rows, col + 9);
}

/* A site's code, zone and rules in one query. 0, 1 no such site, -1. */
static int
site_load(struct db *db, int64_t site_id, struct policy_rules *r, char *code, size_t codelen, char *zone,
    size_t zonelen)
{
	struct db_rows *rows = db_query(db, "SELECT s.code, s.timezone, p.site_id, " RULE_COLUMNS
	    " FROM sites s LEFT JOIN site_policies p ON p.site_id = s.id WHERE s.id = ?", "i", site_id);
	int rc;

	policy_rules_default(r);
	if (rows == NULL)
		return -1;
	if ((rc = db_rows_next(rows)) == 1) {
		if (code != NULL)
			snprintf(code, codelen, "%s", db_rows_str(rows, 0));
		if (zone != NULL)
			snprintf(zone, zonelen, "%s", db_rows_str(rows, 1));
		if (!db_rows_isnull(rows, 2))
			rules_read(rows, 3, r, NULL);
	}
	db_rows_free(rows);
	return rc < 0 ? -1 : rc == 1 ? 0 : 1;
}

int
policy_site_rules(struct db *db, int64_t site_id, struct policy_rules *r)
{
	return site_load(db, site_id, r, NULL, 0, NULL, 0);
}

/* What load() learns beyond the policy_result. */
struct loaded {
	int64_t last_seq;
	int has_state;
	int64_t seen_seq;
	int64_t alert_seq;
	struct tz *tz;		/* loaded only when windows were needed */
};

static struct tz *
site_tz(const char *name)
{
	char err[200];
	struct tz *tz = tz_load(name, err, sizeof err);

	if (tz == NULL) {
		/* park import checks the zone exists; a machine without it
		 * gets China's offset rather than cuts at the wrong hour */
		log_error("policy: time zone %s: %s; using UTC+8", name, err);
		tz = tz_fixed(name, 8 * 3600);
	}
	return tz;
}

static int
load_windows(struct db *db, struct policy_result *out, struct loaded *l, int64_t now, struct policy_windows *ws)
{
	struct calendar *cal = calendar_new();
	struct db_rows *rows;
	int64_t first;
	int ndays, rc = 0;
	char err[160];

	l->tz = site_tz(out->timezone);
	friendly_day_range(l->tz, now, &first, &ndays);
	rows = db_query(db, "SELECT DATEDIFF(day, '1970-01-01'), kind FROM site_calendar_days"
	    " WHERE site_id = ? AND day BETWEEN DATE_ADD('1970-01-01', INTERVAL ? DAY)"
	    " AND DATE_ADD('1970-01-01', INTERVAL ? DAY)", "iii", out->site_id, first, first + ndays);
	if (rows == NULL) {
		calendar_free(cal);
		return -1;
	}
	while ((rc = db_rows_next(rows)) == 1) {
		const char *k = db_rows_str(rows, 1);
		calendar_add(cal, db_rows_int(rows, 0), k != NULL && strcmp(k, "workday") == 0 ?
		    CALENDAR_KIND_WORKDAY : CALENDAR_KIND_HOLIDAY, err, sizeof err);
	}
	db_rows_free(rows);
	if (rc == 0)
		friendly_windows(&out->rules, l->tz, cal, now, ws);
	calendar_free(cal);
	return rc < 0 ? -1 : 0;
}

/*
 * Loads everything and decides. lock: take the account row lock first
 * (apply); without it a plain read (evaluate). 0, 1 no account, -1 db.
 */
static int
load_decide(struct db *db, int64_t account_id, int64_t now, int lock, struct policy_result *out, struct loaded *l)
{
	struct policy_account *a = &out->account;
	struct policy_override o;
	struct policy_windows *ws = NULL;
	struct db_rows *rows;
	char acode[40], scode[40] = "?";
	int rc;

	memset(out, 0, sizeof *out);
	memset(l, 0, sizeof *l);
	memset(&o, 0, sizeof o);
	out->account_id = account_id;
	out->evaluated_at = now;
	/* one round trip: the account, its policy state and its overrides,
	 * locked together under the account row (the ledger's lock order) */
	rows = db_query(db, lock ? "SELECT a.site_id, a.balance_fen, a.overdraft_fen, a.keep_power, a.last_seq, a.code,"
	    " st.account_id, st.supply, COALESCE(FLOOR(UNIX_TIMESTAMP(st.below_since)), 0), st.notified_level,"
	    " st.ec_taken, st.ec_outstanding_fen, st.seen_seq, st.alert_seq, o." RULE_COLUMNS_O
	    " FROM accounts a LEFT JOIN account_policy_state st ON st.account_id = a.id"
	    " LEFT JOIN account_policy_overrides o ON o.account_id = a.id WHERE a.id = ? FOR UPDATE" :
	    "SELECT a.site_id, a.balance_fen, a.overdraft_fen, a.keep_power, a.last_seq, a.code,"
	    " st.account_id, st.supply, COALESCE(FLOOR(UNIX_TIMESTAMP(st.below_since)), 0), st.notified_level,"
	    " st.ec_taken, st.ec_outstanding_fen, st.seen_seq, st.alert_seq, o." RULE_COLUMNS_O
	    " FROM accounts a LEFT JOIN account_policy_state st ON st.account_id = a.id"
	    " LEFT JOIN account_policy_overrides o ON o.account_id = a.id WHERE a.id = ?", "i", account_id);
	if (rows == NULL)
		return -1;
	if ((rc = db_rows_next(rows)) != 1) {
		db_rows_free(rows);
		return rc < 0 ? -1 : 1;
	}
	out->site_id = db_rows_int(rows, 0);
	a->balance_fen = db_rows_int(rows, 1);
	a->overdraft_fen = db_rows_int(rows, 2);
	a->keep_power = db_rows_int(rows, 3) != 0;
	l->last_seq = db_rows_int(rows, 4);
	snprintf(acode, sizeof acode, "%s", db_rows_str(rows, 5));
	a->supply = POLICY_SUPPLY_ON;
	if (!db_rows_isnull(rows, 6)) {
		l->has_state = 1;
		a->supply = strcmp(db_rows_str(rows, 7), "off") == 0 ? POLICY_SUPPLY_OFF : POLICY_SUPPLY_ON;
		a->below_since = db_rows_int(rows, 8);
		a->notified_level = (int)db_rows_int(rows, 9);
		a->ec_taken = db_rows_int(rows, 10) != 0;
		a->ec_outstanding_fen = db_rows_int(rows, 11);
		l->seen_seq = db_rows_int(rows, 12);
		l->alert_seq = db_rows_int(rows, 13);
	}
	rules_read(rows, 14, &o.r, &o.mask);
	db_rows_free(rows);

	if ((rc = site_load(db, out->site_id, &out->site_rules, scode, sizeof scode, out->timezone,
	    sizeof out->timezone)) < 0)
		return -1;
	snprintf(out->label, sizeof out->label, "%s/%s", scode, acode);
	out->override_mask = o.mask;
	policy_rules_merge(&out->site_rules, &o, &out->rules);

	/* top-ups since the last look re-arm the levels and repay emergency
	 * credit; an account seen for the first time has nothing to re-arm */
	if (l->has_state && l->seen_seq < l->last_seq &&
	    db_query_int(db, &a->topup_fen, "SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries"
	    " WHERE account_id = ? AND seq > ? AND kind = 'topup'", "ii", account_id, l->seen_seq) < 0)
		return -1;

	if (policy_needs_windows(&out->rules, a)) {
		ws = malloc(sizeof *ws);
		if (ws == NULL)
			fatalx("out of memory");
		if (load_windows(db, out, l, now, ws) != 0) {
			free(ws);
			return -1;
		}
	}
	rc = policy_decide(&out->rules, a, ws, now, &out->d);
	free(ws);
	if (rc != 0) {
		/* a rule row edited by hand past what the commands allow: keep
		 * the supply as it is rather than guess */
		log_error("policy: account %" PRId64 " (%s): %s; nothing decided", account_id, out->label,
		    out->d.why);
		memset(&out->d, 0, sizeof out->d);
		out->d.supply = a->supply;
		out->d.below_since = a->below_since;
		out->d.notified_level = a->notified_level;
		out->d.ec_outstanding_fen = a->ec_outstanding_fen;
		out->d.ec_taken = a->ec_taken;
		out->d.balance_fen = a->balance_fen;
		out->d.level = a->supply == POLICY_SUPPLY_OFF ? POLICY_LEVEL_CUT : POLICY_LEVEL_NONE;
		snprintf(out->d.why, sizeof out->d.why, "the policy rules are invalid; nothing decided");
	}
	return 0;
}

static void
format_local(const struct tz *tz, int64_t utc, char *buf, size_t len)
{
	int64_t local = utc + tz_offset_at(tz, utc, NULL, NULL);

	tz_format_local(local, buf, len);
}

static char *
message_payload(const struct policy_result *r, const struct loaded *l, enum policy_message m, const char *actor,
    const char *cause, int64_t amount_fen)
{
	const struct policy_decision *d = &r->d;
	cJSON *j = cJSON_CreateObject();
	char buf[64];
	char *s;

	cJSON_AddNumberToObject(j, "account_id", (double)r->account_id);
	cJSON_AddStringToObject(j, "account", r->label);
	cJSON_AddStringToObject(j, "kind", policy_message_kind(m));
	cJSON_AddStringToObject(j, "level", policy_level_name(d->level));
	cJSON_AddNumberToObject(j, "balance_fen", (double)d->balance_fen);
	if (m == POLICY_MSG_LOW_1)
		cJSON_AddNumberToObject(j, "threshold_fen", (double)r->rules.level1_fen);
	else if (m == POLICY_MSG_LOW_2)
		cJSON_AddNumberToObject(j, "threshold_fen", (double)r->rules.level2_fen);
	if (m == POLICY_MSG_CUT_WARNING) {
		policy_format_utc(d->cut_at, buf, sizeof buf);
		cJSON_AddStringToObject(j, "cut_at", buf);
		if (l->tz != NULL) {
			format_local(l->tz, d->cut_at, buf, sizeof buf);
			cJSON_AddStringToObject(j, "cut_at_local", buf);
		}
		cJSON_AddStringToObject(j, "timezone", r->timezone);
		policy_why_text(d->delayed_by, buf, sizeof buf);
		cJSON_AddStringToObject(j, "delayed_by", buf);
	}
	if (m == POLICY_MSG_EMERGENCY_CREDIT)
		cJSON_AddNumberToObject(j, "amount_fen", (double)amount_fen);
	if (d->need_fen > 0)
		cJSON_AddNumberToObject(j, "need_fen", (double)d->need_fen);
	if (d->ec_outstanding_fen > 0)
		cJSON_AddNumberToObject(j, "emergency_outstanding_fen", (double)d->ec_outstanding_fen);
	cJSON_AddStringToObject(j, "reason", d->why);
	cJSON_AddStringToObject(j, "actor", actor);
	if (cause != NULL)
		cJSON_AddStringToObject(j, "cause", cause);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* one outbox row; alert_seq makes its dedupe key unique per account */
static int
queue_message(struct db *db, struct policy_result *r, struct loaded *l, enum policy_message m, const char *actor,
    const char *cause, int64_t amount_fen)
{
	char key[96], kind[64];
	char *payload = message_payload(r, l, m, actor, cause, amount_fen);
	long long n;

	l->alert_seq++;
	snprintf(key, sizeof key, "policy:%" PRId64 ":%" PRId64, r->account_id, l->alert_seq);
	snprintf(kind, sizeof kind, "alert.%s", policy_message_kind(m));
	n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES (?, ?, ?, ?)", "ssis",
	    key, kind, r->account_id, payload);
	free(payload);
	if (n < 0)
		return -1;
	r->outbox_id = db_insert_id(db);
	return db_exec(db, "UPDATE account_policy_state SET alert_seq = ? WHERE account_id = ?", "ii",
	    l->alert_seq, r->account_id) < 0 ? -1 : 0;
}

static int
audit(struct db *db, const char *actor, const char *action, int64_t account_id, const char *request_id, cJSON *d)
{
	char *detail = cJSON_PrintUnformatted(d);
	long long n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id, detail)"
	    " VALUES (?, ?, 'account', ?, ?, ?)", "ssiss", actor, action, account_id, request_id, detail);

	free(detail);
	cJSON_Delete(d);
	return n < 0 ? -1 : 0;
}

/* a command per relay-capable meter; a newer one supersedes a pending one */
static int
switch_relays(struct db *db, struct policy_result *r, const char *actor, const char *reason, cJSON *ids)
{
	const char *action = r->d.supply == POLICY_SUPPLY_OFF ? "open" : "close";
	int64_t meters[RELAY_MAX_METERS];
	struct db_rows *rows;
	int n = 0, rc;

	rows = db_query(db, "SELECT id FROM meters WHERE account_id = ? AND relay_capable = 1 AND enabled = 1"
	    " ORDER BY id", "i", r->account_id);
	if (rows == NULL)
		return -1;
	while ((rc = db_rows_next(rows)) == 1 && n < RELAY_MAX_METERS)
		meters[n++] = db_rows_int(rows, 0);
	db_rows_free(rows);
	if (rc < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (db_exec(db, "UPDATE relay_commands SET status = 'superseded', completed_at = UTC_TIMESTAMP(6)"
		    " WHERE meter_id = ? AND status = 'pending'", "i", meters[i]) < 0)
			return -1;
		if (db_exec(db, "INSERT INTO relay_commands (meter_id, account_id, action, reason, actor)"
		    " VALUES (?, ?, ?, ?, ?)", "iisss", meters[i], r->account_id, action, reason, actor) < 0)
			return -1;
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)db_insert_id(db)));
	}
	r->relay_commands = n;
	return 0;
}

static int
persist(struct db *db, struct policy_result *r, struct loaded *l, int64_t now, const char *actor, const char *cause)
{
	const struct policy_decision *d = &r->d;
	char reason[REASON_MAX_BYTES + 1];
	int64_t seen = l->last_seq;

	if (d->repay_fen > 0) {
		struct ledger_request rq;
		struct ledger_result res;
		char key[80];
		enum ledger_status st;
		snprintf(key, sizeof key, "ec-repay:%" PRId64 ":%" PRId64, r->account_id, l->last_seq);
		ledger_request_init(&rq, key, actor, r->account_id, LEDGER_EMERGENCY_REPAY, -d->repay_fen, "emergency");
		rq.reason = "emergency credit repaid first from a top-up";
		rq.reference = cause;
		if ((st = ledger_post_in_tx(db, &rq, &res)) != LEDGER_OK) {
			log_error("policy: account %" PRId64 ": repaying emergency credit: %s", r->account_id,
			    res.detail);
			return -1;
		}
		seen = res.legs[0].seq;
	}
	if (!l->has_state && db_exec(db, "INSERT INTO account_policy_state (account_id) VALUES (?)", "i",
	    r->account_id) < 0)
		return -1;
	if (db_exec(db, "UPDATE account_policy_state SET below_since = IF(? = 0, NULL, FROM_UNIXTIME(?)),"
	    " cut_at = IF(? = 0, NULL, FROM_UNIXTIME(?)), level = ?, notified_level = ?, ec_taken = ?,"
	    " ec_outstanding_fen = ?, seen_seq = ?, evaluated_at = FROM_UNIXTIME(?) WHERE account_id = ?",
	    "iiiiiiiiiii", d->below_since, d->below_since, d->level == POLICY_LEVEL_CUT_PENDING ? d->cut_at : 0,
	    d->cut_at, (int64_t)d->level, (int64_t)d->notified_level, (int64_t)d->ec_taken, d->ec_outstanding_fen,
	    seen, now, r->account_id) < 0)
		return -1;
	if (d->supply_changed) {
		cJSON *det = cJSON_CreateObject(), *ids = cJSON_CreateArray();
		reason_copy(reason, sizeof reason, d->why);
		if (db_exec(db, "UPDATE account_policy_state SET supply = ?, supply_reason = ?, supply_actor = ?,"
		    " supply_changed_at = FROM_UNIXTIME(?) WHERE account_id = ?", "sssii",
		    policy_supply_name(d->supply), reason, actor, now, r->account_id) < 0 ||
		    switch_relays(db, r, actor, reason, ids) != 0) {
			cJSON_Delete(ids);
			cJSON_Delete(det);
			return -1;
		}
		cJSON_AddStringToObject(det, "supply", policy_supply_name(d->supply));
		cJSON_AddStringToObject(det, "reason", d->why);
		cJSON_AddNumberToObject(det, "balance_fen", (double)d->balance_fen);
		cJSON_AddNumberToObject(det, "cut_line_fen", (double)d->cut_line_fen);
		cJSON_AddNumberToObject(det, "restore_at_fen", (double)d->restore_at_fen);
		cJSON_AddBoolToObject(det, "keep_power", r->account.keep_power);
		cJSON_AddItemToObject(det, "relay_commands", ids);
		if (r->relay_commands == 0)
			cJSON_AddStringToObject(det, "note", "no relay-capable meter: nothing can be switched");
		if (audit(db, actor, d->supply == POLICY_SUPPLY_OFF ? "supply.cut" : "supply.restore",
		    r->account_id, cause, det) != 0)
			return -1;
		log_info("policy: account %" PRId64 " (%s): supply %s by %s: %s", r->account_id, r->label,
		    policy_supply_name(d->supply), actor, d->why);
	}
	if (d->message != POLICY_MSG_NONE && queue_message(db, r, l, d->message, actor, cause, 0) != 0)
		return -1;
	return 0;
}

int
policy_apply_in_tx(struct db *db, int64_t account_id, int64_t now, const char *actor, const char *cause,
    struct policy_result *out)
{
	struct policy_result local;
	struct loaded l;
	int rc;

	if (out == NULL)
		out = &local;
	if (now == 0)
		now = policy_clock_now();
	if (actor == NULL || *actor == '\0')
		actor = "policy";
	rc = load_decide(db, account_id, now, 1, out, &l);
	if (rc == 0)
		rc = persist(db, out, &l, now, actor, cause);
	else if (rc == 1) {
		log_error("policy: no account %" PRId64, account_id);
		rc = -1;
	}
	tz_free(l.tz);
	return rc;
}

struct apply_arg {
	int64_t account_id, now;
	const char *actor, *cause;
	struct policy_result *out;
};

static int
apply_fn(struct db *db, void *p)
{
	struct apply_arg *a = p;

	return policy_apply_in_tx(db, a->account_id, a->now, a->actor, a->cause, a->out);
}

int
policy_apply(struct db *db, int64_t account_id, int64_t now, const char *actor, const char *cause,
    struct policy_result *out)
{
	struct apply_arg a = { account_id, now ? now : policy_clock_now(), actor, cause, out };

	return db_tx(db, apply_fn, &a);
}

int
policy_evaluate(struct db *db, int64_t account_id, int64_t now, struct policy_result *out)
{
	struct loaded l;
	int rc = load_decide(db, account_id, now ? now : policy_clock_now(), 0, out, &l);

	tz_free(l.tz);
	return rc;
}

int
policy_emergency_credit_in_tx(struct db *db, int64_t account_id, int64_t now, const char *actor,
    const char *reason, struct policy_result *out, char *why, size_t whylen)
{
	struct policy_result r;
	struct ledger_request rq;
	struct ledger_result res;
	enum ledger_status st;
	struct loaded l;
	int64_t amount_fen;
	char key[80];
	cJSON *det;
	int rc;

	if (now == 0)
		now = policy_clock_now();
	/* settle what earlier postings owe first (a top-up resets "taken") */
	if (policy_apply_in_tx(db, account_id, now, actor, "emergency-credit", &r) != 0)
		return -1;
	rc = load_decide(db, account_id, now, 1, &r, &l);
	tz_free(l.tz);
	if (rc != 0)
		return -1;
	if (policy_emergency_check(&r.rules, &r.account, &amount_fen, why, whylen) != 0) {
		if (out != NULL)
			*out = r;
		return 1;
	}
	snprintf(key, sizeof key, "ec:%" PRId64 ":%" PRId64, account_id, l.last_seq + 1);
	ledger_request_init(&rq, key, actor, account_id, LEDGER_EMERGENCY_CREDIT, amount_fen, "emergency");
	rq.reason = reason != NULL && *reason ? reason : "emergency credit taken";
	if ((st = ledger_post_in_tx(db, &rq, &res)) != LEDGER_OK) {
		snprintf(why, whylen, "the ledger refused the emergency credit: %s", res.detail);
		return st == LEDGER_DB_ERROR ? -1 : 1;
	}
	if (db_exec(db, "UPDATE account_policy_state SET ec_taken = 1,"
	    " ec_outstanding_fen = ec_outstanding_fen + ? WHERE account_id = ?", "ii", amount_fen, account_id) < 0)
		return -1;
	det = cJSON_CreateObject();
	cJSON_AddNumberToObject(det, "amount_fen", (double)amount_fen);
	cJSON_AddNumberToObject(det, "entry_id", (double)res.legs[0].entry_id);
	cJSON_AddNumberToObject(det, "balance_after_fen", (double)res.legs[0].balance_after_fen);
	cJSON_AddStringToObject(det, "reason", rq.reason);
	if (audit(db, actor, "account.emergency_credit", account_id, key, det) != 0)
		return -1;
	/* the message, then whatever the new balance means (a restore) */
	if (policy_apply_in_tx(db, account_id, now, actor, key, &r) != 0)
		return -1;
	rc = load_decide(db, account_id, now, 1, &r, &l);
	if (rc == 0)
		rc = queue_message(db, &r, &l, POLICY_MSG_EMERGENCY_CREDIT, actor, key, amount_fen);
	tz_free(l.tz);
	if (rc != 0)
		return -1;
	if (out != NULL)
		*out = r;
	return 0;
}

int
policy_keep_power_in_tx(struct db *db, int64_t account_id, int on, int64_t now, const char *actor,
    const char *reason, struct policy_result *out)
{
	int64_t was;
	int found;
	cJSON *det;

	found = db_query_int(db, &was, "SELECT keep_power FROM accounts WHERE id = ? FOR UPDATE", "i", account_id);
	if (found <= 0)
		return found < 0 ? -1 : 1;
	if ((was != 0) != (on != 0)) {
		if (db_exec(db, "UPDATE accounts SET keep_power = ? WHERE id = ?", "ii", (int64_t)(on != 0),
		    account_id) < 0)
			return -1;
		det = cJSON_CreateObject();
		cJSON_AddBoolToObject(det, "from", was != 0);
		cJSON_AddBoolToObject(det, "to", on != 0);
		cJSON_AddStringToObject(det, "reason", reason != NULL ? reason : "");
		if (audit(db, actor, "account.keep_power", account_id, NULL, det) != 0)
			return -1;
	}
	return policy_apply_in_tx(db, account_id, now, actor, on ? "keep-power on" : "keep-power off", out);
}

int
policy_due_accounts(struct db *db, int64_t now, int64_t site_id, int64_t *ids, int max)
{
	struct db_rows *rows;
	int n = 0, rc;

	if (site_id > 0)
		rows = db_query(db, "SELECT st.account_id FROM account_policy_state st JOIN accounts a"
		    " ON a.id = st.account_id WHERE st.cut_at <= FROM_UNIXTIME(?) AND st.supply = 'on'"
		    " AND a.site_id = ? ORDER BY st.account_id LIMIT ?", "iii", now, site_id, (int64_t)max);
	else
		rows = db_query(db, "SELECT account_id FROM account_policy_state WHERE cut_at <= FROM_UNIXTIME(?)"
		    " AND supply = 'on' ORDER BY account_id LIMIT ?", "ii", now, (int64_t)max);
	if (rows == NULL)
		return -1;
	while ((rc = db_rows_next(rows)) == 1 && n < max)
		ids[n++] = db_rows_int(rows, 0);
	db_rows_free(rows);
	return rc < 0 ? -1 : n;
}
