/*
 * alert.* rows → one msg.<channel> row per (contact, channel), in one
 * transaction; each delivery's dedupe key is deliver:<alert>:<contact>,
 * so running the fan-out twice (a worker died after it) adds nothing and
 * a retry of one delivery never re-sends the others. Non-urgent messages
 * are held past the site's quiet hours through next_attempt_at.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "alerts/alerts.h"
#include "alerts/message.h"
#include "billing/tz.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define TZ_CACHE 8
#define FANOUT_MAX 64

struct alerts_thread {
	struct tz *tz[TZ_CACHE];
	int ntz;
};

void *
alerts_thread_new(void)
{
	return xcalloc(1, sizeof(struct alerts_thread));
}

void
alerts_thread_free(void *p)
{
	struct alerts_thread *a = p;

	if (a == NULL)
		return;
	for (int i = 0; i < a->ntz; i++)
		tz_free(a->tz[i]);
	free(a);
}

static const struct tz *
tz_cached(struct alerts_thread *a, const char *name)
{
	char err[128];
	struct tz *z;

	for (int i = 0; i < a->ntz; i++)
		if (strcmp(tz_name(a->tz[i]), name) == 0)
			return a->tz[i];
	if ((z = tz_load(name, err, sizeof err)) == NULL) {
		log_warn("time zone %s: %s; using Asia/Shanghai", name, err);
		if (strcmp(name, "Asia/Shanghai") == 0 || (z = tz_load("Asia/Shanghai", err, sizeof err)) == NULL)
			z = tz_fixed("Asia/Shanghai", 8 * 3600);
	}
	if (a->ntz == TZ_CACHE) {
		tz_free(a->tz[0]);
		memmove(a->tz, a->tz + 1, sizeof a->tz[0] * (TZ_CACHE - 1));
		a->ntz--;
	}
	a->tz[a->ntz++] = z;
	return z;
}

struct contact {
	int64_t id;
	char channel[16];
	char *address;
	enum alert_lang lang;
	char *kinds;
};

struct fanout {
	const struct job *job;
	struct job_result *res;
	struct alerts_thread *at;
	const char *kind;		/* "balance_low_1" */
	cJSON *payload;
	int64_t site_id, tenant_id;
	char account[80], tzname[TZ_NAME_MAX], channels[64];
	int quiet_start, quiet_end;
	struct contact contacts[FANOUT_MAX];
	int ncontacts;
	int queued, skipped;
	int64_t hold_us;
};

static const char *
str(cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static int
num(cJSON *o, const char *name, int64_t *out)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v))
		return 0;
	*out = (int64_t)v->valuedouble;
	return 1;
}

static void
free_contacts(struct fanout *f)
{
	for (int i = 0; i < f->ncontacts; i++) {
		free(f->contacts[i].address);
		free(f->contacts[i].kinds);
	}
	f->ncontacts = 0;
}

/* the account's site and tenant, or the site named by the payload */
static int
load_site(struct db *db, struct fanout *f)
{
	struct db_rows *rows;
	int64_t site_id = 0;
	int rc;

	if (f->job->account_id != 0)
		rows = db_query(db, "SELECT a.site_id, a.tenant_id, CONCAT(s.code, '/', a.code), s.timezone,"
		    " COALESCE(q.quiet_start_min, 1320), COALESCE(q.quiet_end_min, 480),"
		    " COALESCE(q.channels, 'sms,wechat,webhook') FROM accounts a JOIN sites s ON s.id = a.site_id"
		    " LEFT JOIN alert_site_settings q ON q.site_id = a.site_id WHERE a.id = ?", "i",
		    f->job->account_id);
	else if (num(f->payload, "site_id", &site_id))
		rows = db_query(db, "SELECT s.id, 0, '', s.timezone, COALESCE(q.quiet_start_min, 1320),"
		    " COALESCE(q.quiet_end_min, 480), COALESCE(q.channels, 'sms,wechat,webhook') FROM sites s"
		    " LEFT JOIN alert_site_settings q ON q.site_id = s.id WHERE s.id = ?", "i", site_id);
	else if (num(f->payload, "meter_id", &site_id))
		/* the poller's meter alerts name the meter, maybe no account */
		rows = db_query(db, "SELECT s.id, 0, '', s.timezone, COALESCE(q.quiet_start_min, 1320),"
		    " COALESCE(q.quiet_end_min, 480), COALESCE(q.channels, 'sms,wechat,webhook') FROM meters m"
		    " JOIN sites s ON s.id = m.site_id LEFT JOIN alert_site_settings q ON q.site_id = s.id"
		    " WHERE m.id = ?", "i", site_id);
	else
		return 0;
	if (rows == NULL)
		return -1;
	if ((rc = db_rows_next(rows)) == 1) {
		f->site_id = db_rows_int(rows, 0);
		f->tenant_id = db_rows_int(rows, 1);
		snprintf(f->account, sizeof f->account, "%s", db_rows_str(rows, 2));
		snprintf(f->tzname, sizeof f->tzname, "%s", db_rows_str(rows, 3));
		f->quiet_start = (int)db_rows_int(rows, 4);
		f->quiet_end = (int)db_rows_int(rows, 5);
		snprintf(f->channels, sizeof f->channels, "%s", db_rows_str(rows, 6));
	}
	db_rows_free(rows);
	return rc < 0 ? -1 : 0;
}

static int
load_contacts(struct db *db, struct fanout *f, int operators)
{
	struct db_rows *rows;
	int rc;

	if (operators)
		rows = db_query(db, "SELECT id, channel, address, lang, kinds FROM alert_contacts WHERE site_id = ?"
		    " AND tenant_id IS NULL AND enabled = 1 ORDER BY id", "i", f->site_id);
	else
		rows = db_query(db, "SELECT id, channel, address, lang, kinds FROM alert_contacts WHERE tenant_id = ?"
		    " AND enabled = 1 ORDER BY id", "i", f->tenant_id);
	if (rows == NULL)
		return -1;
	while ((rc = db_rows_next(rows)) == 1 && f->ncontacts < FANOUT_MAX) {
		struct contact *c = &f->contacts[f->ncontacts++];
		c->id = db_rows_int(rows, 0);
		snprintf(c->channel, sizeof c->channel, "%s", db_rows_str(rows, 1));
		c->address = xstrdup(db_rows_str(rows, 2));
		c->lang = strcmp(db_rows_str(rows, 3), "en") == 0 ? ALERT_EN : ALERT_ZH;
		c->kinds = xstrdup(db_rows_str(rows, 4));
	}
	db_rows_free(rows);
	return rc < 0 ? -1 : 0;
}

static int
channel_allowed(const char *set, const char *channel)
{
	return alert_kinds_include(set, channel);
}

static char *
delivery_payload(struct fanout *f, const struct contact *c, const struct alert_text *t, const char *event_local)
{
	cJSON *j = cJSON_CreateObject(), *params = cJSON_CreateArray();
	int64_t v;
	char *s;

	cJSON_AddNumberToObject(j, "alert_id", (double)f->job->id);
	cJSON_AddNumberToObject(j, "contact_id", (double)c->id);
	cJSON_AddStringToObject(j, "kind", f->kind);
	cJSON_AddStringToObject(j, "channel", c->channel);
	cJSON_AddStringToObject(j, "to", c->address);
	cJSON_AddStringToObject(j, "lang", c->lang == ALERT_EN ? "en" : "zh");
	cJSON_AddStringToObject(j, "account", f->account);
	cJSON_AddStringToObject(j, "title", t->title);
	cJSON_AddStringToObject(j, "text", t->text);
	for (int i = 0; i < t->nparams; i++)
		cJSON_AddItemToArray(params, cJSON_CreateString(t->params[i]));
	cJSON_AddItemToObject(j, "params", params);
	if (num(f->payload, "balance_fen", &v))
		cJSON_AddNumberToObject(j, "balance_fen", (double)v);
	cJSON_AddStringToObject(j, "event_local", event_local);
	if (f->hold_us != 0)
		cJSON_AddBoolToObject(j, "held_for_quiet_hours", 1);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static void
fanout_answer(struct fanout *f)
{
	char when[32] = "";

	if (f->hold_us != 0) {
		const struct tz *z = tz_cached(f->at, f->tzname);
		int64_t s = f->hold_us / 1000000;
		tz_format_local(s + tz_offset_at(z, s, NULL, NULL), when, sizeof when);
	}
	f->res->outcome = JOB_DONE;
	if (f->site_id == 0)
		snprintf(f->res->answer, sizeof f->res->answer, "no site or account: nobody to tell");
	else
		snprintf(f->res->answer, sizeof f->res->answer, "%d deliver%s queued%s%s%s%s", f->queued,
		    f->queued == 1 ? "y" : "ies", f->skipped ? ", some contacts do not take this kind or channel" : "",
		    f->ncontacts == 0 ? " (no contacts)" : "", f->hold_us ? ", held for quiet hours until " : "", when);
}

static int
fanout_fn(struct db *db, void *arg)
{
	struct fanout *f = arg;
	const struct alert_kind *k = alert_kind_find(f->kind);
	struct alert_facts facts;
	const struct tz *z;
	char event_local[32], next_s[32], meter[128];
	int64_t created_s, local_now;

	free_contacts(f);
	f->queued = f->skipped = 0;
	f->site_id = 0;
	if (load_site(db, f) != 0)
		return -1;
	if (f->site_id == 0) {
		fanout_answer(f);
		return worker_done_in_tx(db, f->job, f->res);
	}
	if (load_contacts(db, f, k->audience == ALERT_OPERATOR) != 0)
		return -1;
	z = tz_cached(f->at, f->tzname);
	created_s = (f->job->created_us ? f->job->created_us : f->job->now_us) / 1000000;
	tz_format_local(created_s + tz_offset_at(z, created_s, NULL, NULL), event_local, sizeof event_local);
	f->hold_us = 0;
	if (!k->urgent) {
		int64_t now_s = f->job->now_us / 1000000, until_local, until_utc;
		local_now = now_s + tz_offset_at(z, now_s, NULL, NULL);
		until_local = alert_quiet_until(local_now, f->quiet_start, f->quiet_end);
		if (until_local != local_now) {
			tz_local_to_utc(z, until_local, &until_utc);
			f->hold_us = until_utc * 1000000;
		}
	}
	worker_sql_time(f->hold_us ? f->hold_us : f->job->now_us, next_s);

	memset(&facts, 0, sizeof facts);
	facts.kind = f->kind;
	facts.account = str(f->payload, "account") ? str(f->payload, "account") : f->account;
	facts.has_balance = num(f->payload, "balance_fen", &facts.balance_fen);
	facts.has_threshold = num(f->payload, "threshold_fen", &facts.threshold_fen);
	facts.has_need = num(f->payload, "need_fen", &facts.need_fen);
	facts.has_amount = num(f->payload, "amount_fen", &facts.amount_fen);
	facts.cut_at_local = str(f->payload, "cut_at_local");
	facts.delayed_by = str(f->payload, "delayed_by");
	facts.reason = str(f->payload, "reason") ? str(f->payload, "reason") : str(f->payload, "message");
	if (k->audience == ALERT_OPERATOR && str(f->payload, "meter") != NULL) {
		if (f->account[0])
			snprintf(meter, sizeof meter, "meter %.40s (%.60s)", str(f->payload, "meter"), f->account);
		else
			snprintf(meter, sizeof meter, "meter %.40s", str(f->payload, "meter"));
		facts.account = meter;
	}
	facts.event_local = event_local;

	for (int i = 0; i < f->ncontacts; i++) {
		const struct contact *c = &f->contacts[i];
		struct alert_text t;
		char key[96], kind[32], *payload;
		long long n;

		if (!channel_allowed(f->channels, c->channel) || !alert_kinds_include(c->kinds, f->kind)) {
			f->skipped++;
			continue;
		}
		alert_render(&facts, c->lang, &t);
		payload = delivery_payload(f, c, &t, event_local);
		snprintf(key, sizeof key, "deliver:%" PRId64 ":%" PRId64, f->job->id, c->id);
		snprintf(kind, sizeof kind, "msg.%s", c->channel);
		if (f->job->account_id != 0)
			n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload, next_attempt_at)"
			    " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id", "ssiss", key, kind,
			    f->job->account_id, payload, next_s);
		else
			n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, payload, next_attempt_at)"
			    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id", "ssss", key, kind, payload, next_s);
		free(payload);
		if (n < 0)
			return -1;
		f->queued++;
	}
	/* the alert row is done in the same commit as its deliveries */
	fanout_answer(f);
	return worker_done_in_tx(db, f->job, f->res);
}

void
alerts_fanout(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	struct fanout *f = xcalloc(1, sizeof *f);
	int rc;

	f->job = job;
	f->res = res;
	f->at = ctx->alerts;
	f->kind = job->kind + strlen("alert.");
	snprintf(res->channel, sizeof res->channel, "fanout");
	if ((f->payload = cJSON_Parse(job->payload)) == NULL) {
		job_set(res, JOB_FAILED, NULL, "the alert's payload is not JSON");
		free(f);
		return;
	}
	rc = db_tx(ctx->db, fanout_fn, f);
	if (rc != 0)
		job_set(res, JOB_RETRY, NULL, "database: %s", db_error(ctx->db));
	free_contacts(f);
	cJSON_Delete(f->payload);
	free(f);
}
