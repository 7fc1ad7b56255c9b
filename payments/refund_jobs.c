#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "lib/log.h"
#include "payments/pay_sweep.h"
#include "payments/refund_jobs.h"
#include "payments/refund_run.h"

/* The job's own copy of the [wechatpay] settings; 0, or -1 with res set. */
static int
load(struct worker_ctx *ctx, struct pay_wechat *w, struct job_result *res)
{
	char err[512];

	if (pay_wechat_load(ctx->cfg, w, err, sizeof err) != 0) {
		job_set(res, JOB_RETRY, "wechatpay", "[wechatpay]: %s", err);
		return -1;
	}
	return 0;
}

static const char *
payload_no(const struct job *job, char *out, size_t len)
{
	cJSON *p = cJSON_Parse(job->payload);
	const char *no = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "out_refund_no"));

	snprintf(out, len, "%s", no ? no : "");
	cJSON_Delete(p);
	return out[0] ? out : NULL;
}

static void
finish(const struct refund_run *run, struct job_result *res)
{
	static const enum job_outcome map[] = { JOB_DONE, JOB_RETRY, JOB_FAILED };

	job_set(res, map[run->outcome], "wechatpay", "%s", run->error);
	res->http_status = (int)run->http_status;
	snprintf(res->answer, sizeof res->answer, "%s", run->answer);
}

static void
refund_job(struct worker_ctx *ctx, const struct job *job, struct job_result *res, int query)
{
	struct pay_wechat w;
	struct refund_run run;
	char no[80];

	if (payload_no(job, no, sizeof no) == NULL) {
		job_set(res, JOB_FAILED, "wechatpay", "the payload names no out_refund_no");
		return;
	}
	if (load(ctx, &w, res) != 0)
		return;
	if (query)
		refund_query_run(ctx->db, &w, no, &run);
	else
		refund_request_run(ctx->db, ctx->cfg, &w, no, &run);
	pay_wechat_free(&w);
	log_info("%s %s: %s%s%s", job->kind, no, run.status[0] ? run.status : "?", run.error[0] ? ": " : "", run.error);
	finish(&run, res);
}

void
refund_job_request(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	refund_job(ctx, job, res, 0);
}

void
refund_job_query(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	refund_job(ctx, job, res, 1);
}

/* The next run of a periodic job, queued before this one does anything. */
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

void
refund_job_sweep(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	struct pay_wechat w;
	struct pay_sweep_stats st;
	char err[512];

	if (queue_next(ctx->db, "payment.sweep", refund_jobs_next_sweep(job->now_us / 1000000)) != 0) {
		job_set(res, JOB_RETRY, "payments", "cannot queue the next sweep: %s", db_error(ctx->db));
		return;
	}
	if (load(ctx, &w, res) != 0)
		return;
	if (!w.can_order) {
		/* nothing to sweep without a merchant; the chain goes on */
		job_set(res, JOB_DONE, "payments", "%s", "");
		snprintf(res->answer, sizeof res->answer, "WeChat Pay not configured: %s", w.problem);
	} else if (pay_sweep_wechat(ctx->db, &w, 200, &st, err, sizeof err) != 0)
		job_set(res, JOB_RETRY, "payments", "sweep: %s", err);
	else {
		job_set(res, JOB_DONE, "payments", "%s", "");
		snprintf(res->answer, sizeof res->answer, "queried=%d credited=%d closed=%d failed=%d", st.queried,
		    st.credited, st.closed, st.failed);
		if (st.queried > 0)
			log_info("payment.sweep: %s", res->answer);
	}
	pay_wechat_free(&w);
}

void
refund_job_recon(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	struct pay_wechat w;
	struct recon_run run;
	cJSON *p = cJSON_Parse(job->payload);
	const char *given = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "date"));
	char date[11];

	memset(&run, 0, sizeof run);
	if (given != NULL)
		snprintf(date, sizeof date, "%s", given);
	else
		refund_jobs_recon_date(job->now_us / 1000000, date);
	cJSON_Delete(p);
	/* a row with its own date is a one-off; the chain's rows queue the next day */
	if (given == NULL && queue_next(ctx->db, "payment.recon", refund_jobs_next_recon(job->now_us / 1000000)) != 0) {
		job_set(res, JOB_RETRY, "payments", "cannot queue the next reconciliation: %s", db_error(ctx->db));
		return;
	}
	if (load(ctx, &w, res) != 0)
		return;
	if (!w.can_order) {
		job_set(res, JOB_DONE, "payments", "%s", "");
		snprintf(res->answer, sizeof res->answer, "WeChat Pay not configured: %s", w.problem);
	} else if (recon_run_day(ctx->db, &w, date, "worker", &run) != 0)
		job_set(res, JOB_RETRY, "wechatpay", "reconciliation of %s: %s", date, run.error);
	else {
		job_set(res, JOB_DONE, "wechatpay", "%s", "");
		snprintf(res->answer, sizeof res->answer, "%s: matched=%" PRId64 " issues=%d credited=%d report=%" PRId64,
		    date, run.rep.matched, run.rep.nlines, run.credited, run.report_id);
		log_info("payment.recon %s", res->answer);
	}
	recon_run_free(&run);
	pay_wechat_free(&w);
}
