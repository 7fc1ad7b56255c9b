/*
 * The tenant's accounts (docs/tenant.md):
 *   GET  /api/v1/accounts                          the accounts the user may see
 *   GET  /api/v1/accounts/{account}                summary: balance, supply, alert
 *                                                  level, pay ¥X to restore, days left,
 *                                                  keep-power, emergency credit, meters
 *   POST /api/v1/accounts/{account}/emergency-credit  takes emergency credit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/clock.h"
#include "cgi/api.h"
#include "cgi/auth.h"
#include "cgi/summary_cache.h"
#include "billing/policy_apply.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

int
tenant_accounts_json(struct db *db, int64_t user_id, int64_t tenant_id, cJSON *arr)
{
	/* a UNION, not an OR: each half uses its index (accounts_tenant, user_accounts) */
	struct db_rows *rows = db_query(db, "SELECT a.id, CONCAT(s.code, '/', a.code), a.energy, a.balance_fen, "
	    "t.name, s.name, a.status FROM (SELECT id FROM accounts WHERE tenant_id = ? UNION "
	    "SELECT account_id FROM user_accounts WHERE user_id = ?) v JOIN accounts a ON a.id = v.id "
	    "JOIN sites s ON s.id = a.site_id JOIN tenants t ON t.id = a.tenant_id ORDER BY a.id", "ii", tenant_id, user_id);
	int r;

	if (rows == NULL)
		return -1;
	while ((r = db_rows_next(rows)) == 1) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "id", (double)db_rows_int(rows, 0));
		cJSON_AddStringToObject(a, "code", db_rows_str(rows, 1));
		cJSON_AddStringToObject(a, "energy", db_rows_str(rows, 2));
		cJSON_AddNumberToObject(a, "balance_fen", (double)db_rows_int(rows, 3));
		cJSON_AddStringToObject(a, "tenant", db_rows_str(rows, 4));
		cJSON_AddStringToObject(a, "site", db_rows_str(rows, 5));
		cJSON_AddStringToObject(a, "status", db_rows_str(rows, 6));
		cJSON_AddItemToArray(arr, a);
	}
	db_rows_free(rows);
	return r < 0 ? -1 : 0;
}

void
tenant_accounts_list(struct request *req)
{
	struct auth_user u;
	struct db *db;
	cJSON *root, *arr;

	if (auth_require(req, &u) != 0 || (db = request_db(req)) == NULL)
		return;
	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "accounts");
	if (tenant_accounts_json(db, u.user_id, u.tenant_id, arr) != 0) {
		cJSON_Delete(root);
		request_db_failed(req, db);
		return;
	}
	response_json(req, 200, root);
	cJSON_Delete(root);
}

/* The signed-in user and an account they may see; 0, or -1 answered. */
int
tenant_begin(struct request *req, struct auth_user *u, struct db **db, int64_t *account_id, int64_t *site_id)
{
	*account_id = request_int(req, "account", 0);
	if (auth_require(req, u) != 0 || (*db = request_db(req)) == NULL)
		return -1;
	return auth_account(req, *db, u, *account_id, site_id) == 1 ? 0 : -1;
}

static void
add_utc(cJSON *o, const char *name, int64_t utc)
{
	char buf[40];

	if (utc <= 0) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	policy_format_utc(utc, buf, sizeof buf);
	cJSON_AddStringToObject(o, name, buf);
}

static int
meters_json(struct db *db, int64_t account_id, cJSON *arr)
{
	struct db_rows *rows = db_query(db, "SELECT m.id, m.code, m.energy, m.relay_capable, "
	    "DATE_FORMAT(ms.good_at, '%Y-%m-%dT%H:%i:%sZ'), ms.good_energy_milli, COALESCE(ms.offline, 0), "
	    "COALESCE(ms.relay_state, 'unknown') FROM meters m LEFT JOIN meter_state ms ON ms.meter_id = m.id "
	    "WHERE m.account_id = ? ORDER BY m.code", "i", account_id);
	int r;

	if (rows == NULL)
		return -1;
	while ((r = db_rows_next(rows)) == 1) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "id", (double)db_rows_int(rows, 0));
		cJSON_AddStringToObject(m, "code", db_rows_str(rows, 1));
		cJSON_AddStringToObject(m, "energy", db_rows_str(rows, 2));
		cJSON_AddBoolToObject(m, "relay_capable", db_rows_int(rows, 3) != 0);
		if (db_rows_isnull(rows, 4)) {
			cJSON_AddNullToObject(m, "last_read_at");
			cJSON_AddNullToObject(m, "last_reading_milli");
		} else {
			cJSON_AddStringToObject(m, "last_read_at", db_rows_str(rows, 4));
			cJSON_AddNumberToObject(m, "last_reading_milli", (double)db_rows_int(rows, 5));
		}
		cJSON_AddBoolToObject(m, "offline", db_rows_int(rows, 6) != 0);
		cJSON_AddStringToObject(m, "relay_state", db_rows_str(rows, 7));
		cJSON_AddItemToArray(arr, m);
	}
	db_rows_free(rows);
	return r < 0 ? -1 : 0;
}

/*
 * What the summary depends on that may change at any moment, compared on
 * every request (docs/tenant.md): the balance and everything the policy
 * reads (account, policy state, the account's and the site's rules; a
 * top-up moves last_seq). Each nullable part is spelled out, so a missing
 * row never shifts the others.
 */
#define SUMMARY_STAMP "CONCAT_WS(',', a.balance_fen, a.last_seq, a.overdraft_fen, a.keep_power, a.status, " \
	"a.site_id, a.tenant_id, IFNULL(st.supply, '-'), IFNULL(st.below_since, '-'), " \
	"IFNULL(st.notified_level, '-'), IFNULL(st.ec_taken, '-'), IFNULL(st.ec_outstanding_fen, '-'), " \
	"IFNULL(st.seen_seq, '-'), IFNULL(o.updated_at, '-'), IFNULL(p.updated_at, '-'))"
#define SUMMARY_JOINS "LEFT JOIN account_policy_state st ON st.account_id = a.id " \
	"LEFT JOIN account_policy_overrides o ON o.account_id = a.id LEFT JOIN site_policies p ON p.site_id = a.site_id"
/* after the stamp: what the answer is checked against before it is cached (see below) */
#define SUMMARY_COLS SUMMARY_STAMP ", a.status, a.balance_fen, a.overdraft_fen, a.keep_power, IFNULL(st.supply, 'on') = 'off'"

/* The parts of a summary that may lag by the TTL: names, the 7-day spend, the meters. */
struct summary_parts {
	char *code, *energy, *tenant, *site;
	int64_t daily_fen;
	cJSON *meters;
};

static void
parts_free(struct summary_parts *p)
{
	free(p->code);
	free(p->energy);
	free(p->tenant);
	free(p->site);
	cJSON_Delete(p->meters);
	memset(p, 0, sizeof *p);
}

/* The parts from the database: 0, 1 no such account, -1 database error. */
static int
parts_load(struct db *db, int64_t account_id, struct summary_parts *p)
{
	/* the scope was checked with the session; the last 7 days' rated usage
	 * here, from the hourly rollup: at most 168 rows a meter however old
	 * the account (its ledger entries would be a scan of all of them) */
	struct db_rows *rows = db_query(db, "SELECT CONCAT(s.code, '/', a.code), a.energy, t.name, s.name, "
	    "(SELECT COALESCE(SUM(u.rated_nyuan), 0) FROM usage_hours u WHERE u.account_id = a.id "
	    "AND u.energy = a.energy AND u.hour_at >= UTC_TIMESTAMP() - INTERVAL 7 DAY) "
	    "FROM accounts a JOIN sites s ON s.id = a.site_id JOIN tenants t ON t.id = a.tenant_id "
	    "WHERE a.id = ?", "i", account_id);
	int64_t spent;
	int r;

	memset(p, 0, sizeof *p);
	if (rows == NULL || (r = db_rows_next(rows)) < 0) {
		db_rows_free(rows);
		return -1;
	}
	if (r == 0) {
		db_rows_free(rows);
		return 1;
	}
	p->code = xstrdup(db_rows_str(rows, 0));
	p->energy = xstrdup(db_rows_str(rows, 1));
	p->tenant = xstrdup(db_rows_str(rows, 2));
	p->site = xstrdup(db_rows_str(rows, 3));
	spent = (db_rows_int(rows, 4) + 5000000) / 10000000;	/* nano-yuan to fen, half up */
	p->daily_fen = spent > 0 ? (spent + 6) / 7 : 0;
	db_rows_free(rows);
	p->meters = cJSON_CreateArray();
	if (meters_json(db, account_id, p->meters) != 0) {
		parts_free(p);
		return -1;
	}
	return 0;
}

/* The parts out of a summary rendered before: 0, or -1 when it is not one. */
static int
parts_from(const char *body, struct summary_parts *p)
{
	cJSON *root = cJSON_Parse(body), *spend;
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "code"));
	const char *energy = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "energy"));
	const char *tenant = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "tenant"));
	const char *site = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "site"));

	memset(p, 0, sizeof *p);
	spend = cJSON_GetObjectItemCaseSensitive(root, "daily_spend_fen");
	p->meters = cJSON_DetachItemFromObjectCaseSensitive(root, "meters");
	if (code == NULL || energy == NULL || tenant == NULL || site == NULL || !cJSON_IsNumber(spend) ||
	    !cJSON_IsArray(p->meters)) {
		cJSON_Delete(p->meters);
		p->meters = NULL;
		cJSON_Delete(root);
		return -1;
	}
	p->code = xstrdup(code);
	p->energy = xstrdup(energy);
	p->tenant = xstrdup(tenant);
	p->site = xstrdup(site);
	p->daily_fen = (int64_t)spend->valuedouble;
	cJSON_Delete(root);
	return 0;
}

/* The summary: the parts (their meters move into it), the status, and the policy's exact answer. */
static cJSON *
summary_build(int64_t account_id, struct summary_parts *p, const char *status, const struct policy_result *pr)
{
	const struct policy_decision *d = &pr->d;
	cJSON *root = cJSON_CreateObject(), *ec;

	cJSON_AddNumberToObject(root, "id", (double)account_id);
	cJSON_AddStringToObject(root, "code", p->code);
	cJSON_AddStringToObject(root, "energy", p->energy);
	cJSON_AddNumberToObject(root, "balance_fen", (double)pr->account.balance_fen);
	cJSON_AddNumberToObject(root, "overdraft_fen", (double)pr->account.overdraft_fen);
	cJSON_AddBoolToObject(root, "keep_power", pr->account.keep_power != 0);
	cJSON_AddStringToObject(root, "status", status);
	cJSON_AddStringToObject(root, "tenant", p->tenant);
	cJSON_AddStringToObject(root, "site", p->site);
	cJSON_AddStringToObject(root, "supply", policy_supply_name(d->supply));
	cJSON_AddStringToObject(root, "alert_level", policy_level_name(d->level));
	cJSON_AddNumberToObject(root, "alert_level_n", (double)d->level);
	cJSON_AddNumberToObject(root, "need_fen", (double)d->need_fen);
	cJSON_AddNumberToObject(root, "cut_line_fen", (double)d->cut_line_fen);
	cJSON_AddNumberToObject(root, "restore_at_fen", (double)d->restore_at_fen);
	add_utc(root, "cut_at", d->cut_at);
	cJSON_AddStringToObject(root, "why", d->why);
	cJSON_AddStringToObject(root, "timezone", pr->timezone[0] ? pr->timezone : "Asia/Shanghai");
	cJSON_AddNumberToObject(root, "daily_spend_fen", (double)p->daily_fen);
	/* days until the cut line at the last week's pace; null when nothing is used */
	if (p->daily_fen > 0) {
		int64_t room = pr->account.balance_fen - d->cut_line_fen;
		cJSON_AddNumberToObject(root, "days_left", (double)(room > 0 ? room / p->daily_fen : 0));
	} else
		cJSON_AddNullToObject(root, "days_left");
	ec = cJSON_AddObjectToObject(root, "emergency_credit");
	cJSON_AddBoolToObject(ec, "available", d->ec_available != 0);
	cJSON_AddNumberToObject(ec, "amount_fen", (double)d->ec_amount_fen);
	cJSON_AddBoolToObject(ec, "taken", d->ec_taken != 0);
	cJSON_AddNumberToObject(ec, "outstanding_fen", (double)d->ec_outstanding_fen);
	cJSON_AddItemToObject(root, "meters", p->meters);
	p->meters = NULL;
	return root;
}

/*
 * One round trip when nothing changed: session, scope and the stamp
 * together, then the cached answer. When the stamp moved (a debit, a
 * top-up), the policy is evaluated again and the lagging parts reused
 * while fresh; else everything is read.
 */
void
tenant_account_get(struct request *req)
{
	struct auth_user u;
	struct summary_parts parts;
	struct policy_result pr;
	struct db_rows *rows;
	struct db *db;
	int64_t account_id = request_int(req, "account", 0), now_ms, parts_expires_ms;
	char stamp[SUMMARY_STAMP_MAX], status[32], *text = NULL;
	struct policy_account seen;
	size_t len;
	cJSON *root;
	int r, cached;

	if (auth_require_account(req, &u, account_id, AUTH_ACCOUNT_SQL(SUMMARY_COLS, SUMMARY_JOINS), &rows) != 0)
		return;
	/* a stamp too long for the buffer is left empty: never cached */
	if (snprintf(stamp, sizeof stamp, "%s", db_rows_str(rows, AUTH_ACCOUNT_COL0)) >= (int)sizeof stamp)
		stamp[0] = '\0';
	snprintf(status, sizeof status, "%s", db_rows_str(rows, AUTH_ACCOUNT_COL0 + 1));
	memset(&seen, 0, sizeof seen);
	seen.balance_fen = db_rows_int(rows, AUTH_ACCOUNT_COL0 + 2);
	seen.overdraft_fen = db_rows_int(rows, AUTH_ACCOUNT_COL0 + 3);
	seen.keep_power = db_rows_int(rows, AUTH_ACCOUNT_COL0 + 4) != 0;
	seen.supply = db_rows_int(rows, AUTH_ACCOUNT_COL0 + 5) != 0 ? POLICY_SUPPLY_OFF : POLICY_SUPPLY_ON;
	db_rows_free(rows);
	auth_touch(req, &u);
	now_ms = clock_mono_ms();
	cached = stamp[0] != '\0' ? summary_cache_get(account_id, stamp, now_ms, &text, &len, &parts_expires_ms) : 0;
	if (cached == 1) {
		response_text(req, 200, CONTENT_TYPE_JSON, text, len);
		free(text);
		return;
	}
	if ((db = request_db(req)) == NULL) {
		free(text);
		return;
	}
	if (cached == 2 && parts_from(text, &parts) != 0)
		cached = 0;
	free(text);
	if (cached == 0) {
		if ((r = parts_load(db, account_id, &parts)) != 0)
			goto failed;
		parts_expires_ms = now_ms + SUMMARY_TTL_MS;
	}
	/* read-only: the poller and top-ups persist decisions, a page view does not */
	if ((r = policy_evaluate(db, account_id, 0, &pr)) != 0) {
		parts_free(&parts);
		goto failed;
	}
	root = summary_build(account_id, &parts, status, &pr);
	parts_free(&parts);
	if ((text = cJSON_PrintUnformatted(root)) == NULL) {
		cJSON_Delete(root);
		response_error(req, 500, "internal_error", "could not render the response");
		return;
	}
	cJSON_Delete(root);
	/* the policy read after the stamp: a change in between (even one undone
	 * since, like keep-power off and on) must not be cached under it. A
	 * pending cut's entry ends a second early: evaluated_at is whole
	 * seconds, up to one behind the clock */
	if (stamp[0] != '\0' && pr.account.balance_fen == seen.balance_fen && pr.account.overdraft_fen ==
	    seen.overdraft_fen && pr.account.keep_power == seen.keep_power && pr.account.supply == seen.supply)
		summary_cache_put(account_id, stamp, summary_cache_expiry(now_ms, pr.d.level == POLICY_LEVEL_CUT_PENDING &&
		    pr.d.cut_at > 0 ? pr.d.cut_at - pr.evaluated_at - 1 : -1), parts_expires_ms, text);
	response_text(req, 200, CONTENT_TYPE_JSON, text, strlen(text));
	free(text);
	return;
failed:
	if (r == 1)
		response_error(req, 404, "account_not_found", "you have no account %lld", (long long)account_id);
	else
		request_db_failed(req, db);
}

struct ec_tx {
	int64_t account_id;
	char actor[64];
	struct policy_result pr;
	char why[256];
};

static int
ec_take(struct db *db, void *arg)
{
	struct ec_tx *t = arg;

	t->why[0] = '\0';
	return policy_emergency_credit_in_tx(db, t->account_id, 0, t->actor, "requested by the tenant", &t->pr,
	    t->why, sizeof t->why);
}

void
tenant_emergency_credit(struct request *req)
{
	struct auth_user u;
	struct db *db;
	struct ec_tx t;
	int64_t site_id;
	cJSON *root;
	int r;

	memset(&t, 0, sizeof t);
	if (tenant_begin(req, &u, &db, &t.account_id, &site_id) != 0)
		return;
	snprintf(t.actor, sizeof t.actor, "tenant:%lld", (long long)u.user_id);
	if ((r = db_tx(db, ec_take, &t)) < 0) {
		request_db_failed(req, db);
		return;
	}
	if (r == 1) {
		response_error(req, 409, "emergency_credit_unavailable", "%s", t.why[0] ? t.why :
		    "emergency credit is not available for this account now");
		return;
	}
	log_info("account %lld: emergency credit taken by %s", (long long)t.account_id, t.actor);
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "account", (double)t.account_id);
	cJSON_AddNumberToObject(root, "amount_fen", (double)t.pr.d.ec_amount_fen);
	cJSON_AddNumberToObject(root, "balance_fen", (double)t.pr.d.balance_fen);
	cJSON_AddStringToObject(root, "supply", policy_supply_name(t.pr.d.supply));
	response_json(req, 200, root);
	cJSON_Delete(root);
}
