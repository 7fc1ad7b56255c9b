/*
 * The billing jobs of prepay-worker (worker/job_billing.h): thin shells
 * around statement_fixed_run and statement_month_due (billing/).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "billing/statement.h"
#include "lib/log.h"
#include "worker/job_billing.h"

int64_t
billing_job_next(int64_t now)
{
	return now - now % BILLING_JOB_EVERY_S + BILLING_JOB_EVERY_S;
}

/* the successor, queued before this run does anything, so a failing run
 * never stops the chain */
static int
queue_next(struct db *db, const char *kind, int64_t at)
{
	char key[96], when[32];
	time_t t = (time_t)at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(key, sizeof key, "%s@%s", kind, when);
	return db_exec(db, "INSERT INTO outbox (dedupe_key, kind, payload, next_attempt_at) VALUES (?, ?, '{}', ?)"
	    " ON DUPLICATE KEY UPDATE id = id", "sss", key, kind, when) < 0 ? -1 : 0;
}

struct payload {
	int64_t site_id;	/* 0: the chain (every site) */
	char date[16];
};

static int
payload_parse(const struct job *job, struct payload *p)
{
	cJSON *j = cJSON_Parse(job->payload), *s;
	const char *d;

	memset(p, 0, sizeof *p);
	if (j == NULL)
		return -1;
	if ((s = cJSON_GetObjectItemCaseSensitive(j, "site_id")) != NULL && cJSON_IsNumber(s))
		p->site_id = (int64_t)s->valuedouble;
	if ((d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "date"))) != NULL)
		snprintf(p->date, sizeof p->date, "%s", d);
	cJSON_Delete(j);
	return 0;
}

static void
report(void *arg, const char *msg)
{
	const char *kind = arg;

	log_error("%s: %s", kind, msg);
}

void
billing_job_fixed(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	struct payload p;
	struct fixed_run_stats st;
	char err[400];
	int64_t now = job->now_us / 1000000;

	if (payload_parse(job, &p) == -1) {
		job_set(res, JOB_FAILED, "billing", "the payload is not JSON");
		return;
	}
	if (p.site_id == 0 && queue_next(ctx->db, "billing.fixed", billing_job_next(now)) != 0) {
		job_set(res, JOB_RETRY, "billing", "cannot queue the next run: %s", db_error(ctx->db));
		return;
	}
	if (statement_fixed_run(ctx->db, p.site_id, 0, p.date[0] ? p.date : NULL, now, "worker", &st, report,
	    (void *)"billing.fixed", err, sizeof err) == -1) {
		job_set(res, JOB_RETRY, "billing", "%s", err);
		return;
	}
	job_set(res, JOB_DONE, "billing", "%s", "");
	snprintf(res->answer, sizeof res->answer, "accounts=%" PRId64 " charged=%" PRId64 " posted_fen=%" PRId64
	    " failed=%" PRId64, st.accounts, st.charged, st.posted_fen, st.failed);
	if (st.charged > 0 || st.failed > 0)
		log_info("billing.fixed: %s", res->answer);
}

void
billing_job_month(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	struct payload p;
	struct month_run_stats ms;
	char err[400];
	int64_t now = job->now_us / 1000000;

	if (payload_parse(job, &p) == -1) {
		job_set(res, JOB_FAILED, "billing", "the payload is not JSON");
		return;
	}
	if (p.site_id == 0 && queue_next(ctx->db, "billing.month", billing_job_next(now)) != 0) {
		job_set(res, JOB_RETRY, "billing", "cannot queue the next run: %s", db_error(ctx->db));
		return;
	}
	if (statement_month_due(ctx->db, p.site_id, now, "worker", &ms, report, (void *)"billing.month", err,
	    sizeof err) == -1) {
		job_set(res, JOB_RETRY, "billing", "%s", err);
		return;
	}
	job_set(res, JOB_DONE, "billing", "%s", "");
	snprintf(res->answer, sizeof res->answer, "period=%d sites_run=%d already=%d accounts=%" PRId64
	    " mismatches=%" PRId64, ms.last_period, ms.sites_run, ms.sites_done, ms.accounts, ms.mismatches);
	if (ms.sites_run > 0)
		log_info("billing.month: %s", res->answer);
}
