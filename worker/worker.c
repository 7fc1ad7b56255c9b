/*
 * The outbox executor's loop (docs/worker.md): claim due rows in one short
 * transaction (SKIP LOCKED, so workers never wait on each other), lease
 * them through next_attempt_at, run each row's handler with no transaction
 * open, and record the outcome and the attempt in another short one.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "worker/worker.h"
#include "worker/run.h"
#include "worker/http.h"
#include "alerts/alerts.h"
#include "billing/tz.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define CLAIM_MAX 64

static volatile sig_atomic_t stopping;

void
worker_stop(void)
{
	stopping = 1;
}

void
job_set(struct job_result *r, enum job_outcome o, const char *channel, const char *fmt, ...)
{
	va_list ap;

	r->outcome = o;
	if (channel != NULL)
		snprintf(r->channel, sizeof r->channel, "%s", channel);
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
}

int64_t
worker_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint32_t r)
{
	int64_t d = base_ms;

	for (int i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* equal jitter: never sooner than half the delay, spread over the rest */
	return d / 2 + (int64_t)(((uint64_t)(d - d / 2) * (r & ((1u << 30) - 1))) >> 30);
}

void
worker_sql_time(int64_t us, char buf[32])
{
	int64_t s = tz_floor_div(us, 1000000), days = tz_floor_div(s, 86400), rem = s - days * 86400;
	int y, m, d;

	tz_civil_from_days(days, &y, &m, &d);
	snprintf(buf, 32, "%04d-%02d-%02d %02d:%02d:%02d.%06d", y, m, d, (int)(rem / 3600),
	    (int)(rem / 60 % 60), (int)(rem % 60), (int)(us - s * 1000000));
}

int64_t
worker_parse_sql_time(const char *s)
{
	int y, mo, d, h, mi, sec, n = 0;
	long frac = 0;
	int64_t us;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return 0;
	if (s[n] == '.') {
		int digits = 0;
		for (const char *p = s + n + 1; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
			frac = frac * 10 + (*p - '0');
		for (; digits < 6; digits++)
			frac *= 10;
	}
	us = ((tz_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + sec) * (int64_t)1000000 + frac;
	return us;
}

int64_t
worker_now_us(void)
{
	const char *env = getenv("PREPAY_NOW");
	struct timespec ts;

	if (env != NULL && *env != '\0') {
		int64_t secs;
		int has_offset = 0;
		if (tz_parse_iso(env, strlen(env), &secs, &has_offset) != 0 || !has_offset)
			fatalx("PREPAY_NOW=%s is not an instant: write it like 2026-03-06T21:45:00+08:00", env);
		return secs * 1000000;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct claimed {
	struct job job;		/* first: handlers get &job, worker_done_in_tx finds the rest */
	int64_t attempt_id;
	int prior_attempts;
	int dead;		/* out of attempts when claimed (earlier runs died) */
	int done_in_tx;		/* the handler finished it (worker_done_in_tx) */
	char *kind, *key, *payload;
};

struct thread {
	struct worker_conf *conf;
	struct worker_ctx ctx;
	pthread_t tid;
	char name[64];
	char *claim_sql;
	struct claimed rows[CLAIM_MAX];
	int nrows, first_unstarted;
	unsigned seed;
	long done, failed;
};

static const struct job_handler *
handler_for(const char *kind)
{
	for (const struct job_handler *h = job_handlers; h->prefix != NULL; h++)
		if (strncmp(kind, h->prefix, strlen(h->prefix)) == 0)
			return h;
	return NULL;
}

/* the claim query: only kinds with a handler; prefixes are code constants */
static char *
claim_sql(void)
{
	size_t cap = 2048, off = 0;
	char *s = xmalloc(cap);

	off += (size_t)snprintf(s + off, cap - off,
	    "SELECT o.id, o.kind, o.dedupe_key, COALESCE(o.account_id, 0), o.payload, o.attempts,"
	    " o.created_at FROM outbox o WHERE o.status = ? AND o.next_attempt_at <= ?"
	    " AND (");
	for (const struct job_handler *h = job_handlers; h->prefix != NULL; h++) {
		off += (size_t)snprintf(s + off, cap - off, "%so.kind LIKE '", h == job_handlers ? "" : " OR ");
		for (const char *p = h->prefix; *p != '\0'; p++) {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_'))
				fatalx("job registry: prefix \"%s\" may only use a-z, 0-9, '.', '_'", h->prefix);
			if (*p == '_')
				s[off++] = '\\';
			s[off++] = *p;
		}
		off += (size_t)snprintf(s + off, cap - off, "%%'");
	}
	snprintf(s + off, cap - off, ") AND (? = 0 OR o.account_id IN (SELECT a.id FROM accounts a"
	    " WHERE a.site_id = ?)) ORDER BY o.next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED");
	return s;
}

static void
free_rows(struct thread *t)
{
	for (int i = 0; i < t->nrows; i++) {
		free(t->rows[i].kind);
		free(t->rows[i].key);
		free(t->rows[i].payload);
	}
	t->nrows = 0;
}

/* one status per query keeps the index order (status, next_attempt_at),
 * so a long queue costs a claim no more than a short one */
static int
claim_pass(struct db *db, struct thread *t, const char *status, const char *now_s)
{
	struct worker_conf *c = t->conf;
	struct db_rows *rows;
	int rc;

	rows = db_query(db, t->claim_sql, "ssiii", status, now_s, c->site_id, c->site_id,
	    (int64_t)(c->batch - t->nrows));
	if (rows == NULL)
		return -1;
	while ((rc = db_rows_next(rows)) == 1 && t->nrows < CLAIM_MAX) {
		struct claimed *r = &t->rows[t->nrows++];
		memset(r, 0, sizeof *r);
		r->job.id = db_rows_int(rows, 0);
		r->kind = xstrdup(db_rows_str(rows, 1));
		r->key = xstrdup(db_rows_str(rows, 2));
		r->job.account_id = db_rows_int(rows, 3);
		r->payload = xstrdup(db_rows_str(rows, 4) ? db_rows_str(rows, 4) : "{}");
		r->prior_attempts = (int)db_rows_int(rows, 5);
		r->job.created_us = worker_parse_sql_time(db_rows_str(rows, 6));
		r->job.kind = r->kind;
		r->job.dedupe_key = r->key;
		r->job.payload = r->payload;
		r->job.attempt = r->prior_attempts + 1;
	}
	db_rows_free(rows);
	return rc < 0 ? -1 : 0;
}

static int
claim_fn(struct db *db, void *arg)
{
	struct thread *t = arg;
	struct worker_conf *c = t->conf;
	int64_t now = worker_now_us();
	char now_s[32], lease_s[32];

	free_rows(t);
	worker_sql_time(now, now_s);
	worker_sql_time(now + (int64_t)c->lease_s * 1000000, lease_s);
	/* pending rows first, then running ones whose lease ran out (a worker died) */
	if (claim_pass(db, t, "pending", now_s) != 0)
		return -1;
	if (t->nrows < c->batch && claim_pass(db, t, "running", now_s) != 0)
		return -1;
	for (int i = 0; i < t->nrows; i++) {
		struct claimed *r = &t->rows[i];
		if (r->prior_attempts >= c->max_attempts) {
			/* earlier attempts never finished (the worker died each time) */
			r->dead = 1;
			continue;
		}
		if (db_exec(db, "UPDATE outbox SET status = 'running', attempts = attempts + 1, next_attempt_at = ?"
		    " WHERE id = ?", "si", lease_s, r->job.id) < 0)
			return -1;
		if (db_exec(db, "INSERT INTO outbox_attempts (outbox_id, attempt_no, worker, started_at)"
		    " VALUES (?, ?, ?, ?)", "iiss", r->job.id, (int64_t)r->job.attempt, t->name, now_s) < 0)
			return -1;
		r->attempt_id = db_insert_id(db);
	}
	return 0;
}

struct finish {
	struct thread *t;
	struct claimed *row;
	struct job_result *res;
	const char *status;	/* done, pending (retry), failed, dead */
	int64_t next_us;
};

/* an operator-visible failure: an audit row, and an alert to the site's
 * operators when a message to a tenant could not be delivered */
static int
record_failure(struct db *db, struct finish *f)
{
	const struct job *j = &f->row->job;
	cJSON *p = cJSON_Parse(j->payload), *d = cJSON_CreateObject(), *a;
	const char *msgkind = NULL, *to = NULL;
	char *detail, *payload, key[96], reason[JOB_TEXT_MAX + 200];
	long long n;

	if (p != NULL) {
		msgkind = cJSON_GetStringValue(cJSON_GetObjectItem(p, "kind"));
		to = cJSON_GetStringValue(cJSON_GetObjectItem(p, "to"));
	}
	cJSON_AddNumberToObject(d, "outbox_id", (double)j->id);
	cJSON_AddStringToObject(d, "kind", j->kind);
	cJSON_AddStringToObject(d, "status", f->status);
	cJSON_AddNumberToObject(d, "attempts", j->attempt);
	cJSON_AddStringToObject(d, "error", f->res->error);
	detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id, detail)"
	    " VALUES ('worker', ?, 'outbox', ?, ?, ?)", "siss",
	    strcmp(f->status, "dead") == 0 ? "outbox.dead" : "outbox.failed", j->id, j->dedupe_key, detail);
	free(detail);
	if (n < 0) {
		cJSON_Delete(p);
		return -1;
	}
	/* never about a failed delivery of a failure notice: no loops */
	if (strncmp(j->kind, "msg.", 4) != 0 || msgkind == NULL || strcmp(msgkind, "delivery_failed") == 0 ||
	    j->account_id == 0) {
		cJSON_Delete(p);
		return 0;
	}
	snprintf(reason, sizeof reason, "%s %s to %s not delivered after %d attempt%s: %s", msgkind,
	    j->kind + 4, to ? to : "?", j->attempt, j->attempt == 1 ? "" : "s", f->res->error);
	a = cJSON_CreateObject();
	cJSON_AddNumberToObject(a, "account_id", (double)j->account_id);
	if (cJSON_GetStringValue(cJSON_GetObjectItem(p, "account")) != NULL)
		cJSON_AddStringToObject(a, "account", cJSON_GetStringValue(cJSON_GetObjectItem(p, "account")));
	cJSON_AddStringToObject(a, "kind", "delivery_failed");
	cJSON_AddNumberToObject(a, "outbox_id", (double)j->id);
	cJSON_AddStringToObject(a, "reason", reason);
	payload = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	cJSON_Delete(p);
	snprintf(key, sizeof key, "failed:%" PRId64, j->id);
	n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES (?, 'alert.delivery_failed',"
	    " ?, ?) ON DUPLICATE KEY UPDATE id = id", "sis", key, j->account_id, payload);
	free(payload);
	return n < 0 ? -1 : 0;
}

static int
finish_fn(struct db *db, void *arg)
{
	struct finish *f = arg;
	struct claimed *r = f->row;
	char now_s[32], next_s[32];
	const char *outcome = strcmp(f->status, "pending") == 0 ? "retry" : f->status;
	long long n;

	worker_sql_time(worker_now_us(), now_s);
	worker_sql_time(f->next_us, next_s);
	n = db_exec(db, "UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?"
	    " AND attempts = ? AND status = 'running'", "sssii", f->status, next_s,
	    f->res->error[0] ? f->res->error : NULL, r->job.id, (int64_t)(r->dead ? r->prior_attempts : r->job.attempt));
	if (n < 0)
		return -1;
	if (n == 0 && r->dead)
		n = db_exec(db, "UPDATE outbox SET status = 'dead', last_error = ? WHERE id = ? AND status IN"
		    " ('pending', 'running')", "si", f->res->error, r->job.id);
	if (n < 0)
		return -1;
	if (n == 0) {
		/* our lease ran out and another worker took the row: its answer counts */
		log_warn("outbox %" PRId64 ": finished after its lease ran out; another worker has it", r->job.id);
	}
	if (r->attempt_id != 0 && db_exec(db, "UPDATE outbox_attempts SET finished_at = ?, outcome = ?, channel = ?,"
	    " http_status = ?, answer = ?, error = ? WHERE id = ?", "sssissi", now_s, outcome, f->res->channel,
	    (int64_t)f->res->http_status, f->res->answer, f->res->error, r->attempt_id) < 0)
		return -1;
	if (n > 0 && (strcmp(f->status, "dead") == 0 || strcmp(f->status, "failed") == 0))
		return record_failure(db, f);
	return 0;
}

int
worker_done_in_tx(struct db *db, const struct job *job, const struct job_result *res)
{
	struct claimed *r = (struct claimed *)(void *)job;
	char now_s[32];

	r->done_in_tx = 0;
	worker_sql_time(worker_now_us(), now_s);
	if (db_exec(db, "UPDATE outbox SET status = 'done', next_attempt_at = ?, last_error = NULL WHERE id = ?"
	    " AND attempts = ? AND status = 'running'", "sii", now_s, r->job.id, (int64_t)r->job.attempt) < 0)
		return -1;
	if (r->attempt_id != 0 && db_exec(db, "UPDATE outbox_attempts SET finished_at = ?, outcome = 'done',"
	    " channel = ?, http_status = ?, answer = ?, error = ? WHERE id = ?", "ssissi", now_s, res->channel,
	    (int64_t)res->http_status, res->answer, res->error, r->attempt_id) < 0)
		return -1;
	r->done_in_tx = 1;
	return 0;
}

static void
run_one(struct thread *t, struct claimed *r)
{
	struct worker_conf *c = t->conf;
	struct job_result res;
	struct finish f = { t, r, &res, "done", 0 };
	const struct job_handler *h;

	memset(&res, 0, sizeof res);
	if (r->dead) {
		job_set(&res, JOB_RETRY, "", "gave up: %d attempts started and none finished "
		    "(the worker stopped during each; see outbox_attempts)", r->prior_attempts);
		f.status = "dead";
	} else {
		r->job.now_us = worker_now_us();
		h = handler_for(r->job.kind);
		if (h == NULL)
			job_set(&res, JOB_FAILED, "", "no handler for kind %s", r->job.kind);
		else
			h->fn(&t->ctx, &r->job, &res);
		f.next_us = worker_now_us();
		if (res.outcome == JOB_DONE && r->done_in_tx) {
			t->done++;
			return;
		}
		if (res.outcome == JOB_DONE)
			f.status = "done";
		else if (res.outcome == JOB_FAILED)
			f.status = "failed";
		else if (r->job.attempt >= c->max_attempts) {
			f.status = "dead";
			size_t l = strlen(res.error);
			snprintf(res.error + l, sizeof res.error - l, " (gave up after %d attempts)", r->job.attempt);
		} else {
			int64_t ms = worker_backoff_ms(r->job.attempt, c->retry_base_ms, c->retry_max_ms,
			    (uint32_t)rand_r(&t->seed));
			if (res.retry_after_ms > ms)
				ms = res.retry_after_ms;
			f.status = "pending";
			f.next_us += ms * 1000;
		}
	}
	if (db_tx(t->ctx.db, finish_fn, &f) != 0)
		log_error("outbox %" PRId64 ": could not record the outcome (%s): %s; the lease expires and "
		    "the row runs again", r->job.id, f.status, db_error(t->ctx.db));
	if (strcmp(f.status, "done") == 0)
		t->done++;
	else {
		t->failed++;
		(strcmp(f.status, "pending") == 0 ? log_info : log_warn)("outbox %" PRId64 " %s attempt %d: %s: %s",
		    r->job.id, r->job.kind, r->job.attempt, f.status, res.error);
	}
}

static void
nap(int ms)
{
	for (int i = 0; i < ms && !stopping; i += 20) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* after SIGTERM: rows claimed but not started go back at once, their
 * attempt never made */
static int
release_fn(struct db *db, void *arg)
{
	struct thread *t = arg;
	char now_s[32];

	worker_sql_time(worker_now_us(), now_s);
	for (int i = t->first_unstarted; i < t->nrows; i++) {
		struct claimed *r = &t->rows[i];
		if (r->dead || r->attempt_id == 0)
			continue;
		if (db_exec(db, "UPDATE outbox SET status = 'pending', attempts = attempts - 1, next_attempt_at = ?"
		    " WHERE id = ? AND status = 'running' AND attempts = ?", "sii", now_s, r->job.id,
		    (int64_t)r->job.attempt) < 0)
			return -1;
		if (db_exec(db, "DELETE FROM outbox_attempts WHERE id = ? AND finished_at IS NULL", "i",
		    r->attempt_id) < 0)
			return -1;
	}
	return 0;
}

static void *
thread_main(void *arg)
{
	struct thread *t = arg;
	struct worker_conf *c = t->conf;

	while (!stopping) {
		int rc = db_tx(t->ctx.db, claim_fn, t);
		if (rc != 0) {
			log_error("claim: %s", db_error(t->ctx.db));
			free_rows(t);
			if (c->once)
				break;
			nap(1000);
			continue;
		}
		if (t->nrows == 0) {
			if (c->once)
				break;
			nap(c->poll_ms);
			continue;
		}
		for (t->first_unstarted = 0; t->first_unstarted < t->nrows && !stopping; t->first_unstarted++)
			run_one(t, &t->rows[t->first_unstarted]);
		if (t->first_unstarted < t->nrows && db_tx(t->ctx.db, release_fn, t) != 0)
			log_error("release: %s (the rows run again when their lease ends)", db_error(t->ctx.db));
		free_rows(t);
	}
	return NULL;
}

int
worker_run(struct worker_conf *c)
{
	struct thread *ts = xcalloc((size_t)c->threads, sizeof *ts);
	char host[64] = "localhost", err[256];
	char *sql = claim_sql();
	long done = 0, failed = 0;
	int rc = 0;

	gethostname(host, sizeof host - 1);
	for (int i = 0; i < c->threads; i++) {
		struct thread *t = &ts[i];
		t->conf = c;
		t->claim_sql = sql;
		t->seed = (unsigned)(time(NULL) ^ (getpid() << 8) ^ i);
		snprintf(t->name, sizeof t->name, "%.40s:%d/%d", host, (int)getpid(), i);
		if ((t->ctx.db = db_connect(c->cfg, err, sizeof err)) == NULL) {
			log_error("database: %s", err);
			rc = -1;
			break;
		}
		t->ctx.cfg = c->cfg;
		t->ctx.thread = i;
		t->ctx.http = http_new(c->http_timeout_ms);
		t->ctx.alerts = alerts_thread_new();
		if (t->ctx.http == NULL)
			fatalx("libcurl could not start");
	}
	if (rc == 0) {
		for (int i = 0; i < c->threads; i++)
			if (pthread_create(&ts[i].tid, NULL, thread_main, &ts[i]) != 0)
				fatal("pthread_create");
		for (int i = 0; i < c->threads; i++) {
			pthread_join(ts[i].tid, NULL);
			done += ts[i].done;
			failed += ts[i].failed;
		}
	}
	for (int i = 0; i < c->threads; i++) {
		db_close(ts[i].ctx.db);
		http_free(ts[i].ctx.http);
		alerts_thread_free(ts[i].ctx.alerts);
	}
	free(ts);
	free(sql);
	c->done = done;
	c->not_done = failed;
	return rc;
}
