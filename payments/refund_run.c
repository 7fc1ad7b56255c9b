#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "payments/pay_recon.h"
#include "payments/pay_store.h"
#include "payments/refund.h"
#include "payments/refund_run.h"
#include "payments/refund_store.h"

void
refund_notify_url(const struct config *cfg, const struct pay_wechat *w, char *out, size_t outlen)
{
	const char *u = cfg ? config_str(cfg, "wechatpay", "refund_notify_url") : NULL;
	const char *slash;

	if (u != NULL && u[0] != '\0') {
		snprintf(out, outlen, "%s", u);
		return;
	}
	slash = strrchr(w->notify_url, '/');
	if (slash == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(out, outlen, "%.*s/refund-notify", (int)(slash - w->notify_url), w->notify_url);
}

/* The "code" of a WeChat Pay error answer, or "". */
static void
answer_code(const struct wechat_response *r, char *code, size_t len)
{
	cJSON *j = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "code"));

	snprintf(code, len, "%s", c ? c : "");
	cJSON_Delete(j);
}

/* A refund object from an answer applied; 0 or -1 (out filled). */
static int
apply_answer(struct db *db, const struct pay_wechat *w, const struct wechat_response *r, const char *via,
    struct refund_run *out)
{
	struct wechat_refund wr;
	struct refund_apply_result ar;
	char err[256];

	if (r->body == NULL || wechat_refund_parse(r->body, r->body_len, &wr, err, sizeof err) != 0) {
		out->outcome = REFUND_RUN_RETRY;
		snprintf(out->error, sizeof out->error, "WeChat Pay's refund answer does not parse: %s", r->body ? err :
		    "empty");
		return -1;
	}
	if (refund_apply(db, w->mchid, &wr, r->body, via, &ar) != 0) {
		out->outcome = REFUND_RUN_RETRY;
		snprintf(out->error, sizeof out->error, "database: %s", db_error(db));
		return -1;
	}
	snprintf(out->status, sizeof out->status, "%s", ar.status);
	if (ar.outcome == REFUND_REVIEW) {
		out->outcome = REFUND_RUN_FAILED;
		snprintf(out->error, sizeof out->error, "WeChat Pay's answer does not match refund %s (%s): kept in"
		    " payment_reviews for finance", wr.out_refund_no, ar.reason);
		return -1;
	}
	return 0;
}

int
refund_request_run(struct db *db, const struct config *cfg, const struct pay_wechat *w, const char *no,
    struct refund_run *out)
{
	struct refund_call c;
	struct wechat_response r;
	struct refund_apply_result ar;
	char body[1024], url[300], err[512], code[64];
	int found;

	memset(out, 0, sizeof *out);
	if ((found = refund_load_call(db, no, &c)) <= 0) {
		out->outcome = found < 0 ? REFUND_RUN_RETRY : REFUND_RUN_FAILED;
		snprintf(out->error, sizeof out->error, found < 0 ? "database: %s" : "no refund %s here", found < 0 ?
		    db_error(db) : no);
		return 0;
	}
	snprintf(out->status, sizeof out->status, "%s", c.status);
	if (strcmp(c.status, "requested") != 0) {
		out->outcome = REFUND_RUN_DONE;	/* a notification or query got there first */
		return 0;
	}
	if (!w->can_order || strcmp(c.mchid, w->mchid) != 0) {
		out->outcome = REFUND_RUN_RETRY;
		snprintf(out->error, sizeof out->error, "cannot call WeChat Pay for merchant %s: %s", c.mchid,
		    w->can_order ? "this worker is configured for another merchant" : w->problem);
		return 0;
	}
	refund_notify_url(cfg, w, url, sizeof url);
	if (wechat_refund_body(c.out_trade_no, c.out_refund_no, "prepaid balance refund", url, c.amount_fen,
	    c.total_fen, body, sizeof body) != 0) {
		out->outcome = REFUND_RUN_FAILED;
		snprintf(out->error, sizeof out->error, "cannot build the refund request");
		return 0;
	}
	if (wechat_call(w, "POST", "/v3/refund/domestic/refunds", body, &r, err, sizeof err) != 0) {
		out->outcome = REFUND_RUN_RETRY;
		snprintf(out->error, sizeof out->error, "WeChat Pay: %.400s", err);
		refund_note_error(db, no, out->error);
		return 0;
	}
	out->http_status = r.status;
	snprintf(out->answer, sizeof out->answer, "%.500s", r.body ? r.body : "");
	if (r.status == 200) {
		if (apply_answer(db, w, &r, "request", out) == 0) {
			out->outcome = REFUND_RUN_DONE;
			/* processing: ask again later in case the notification is lost */
			if (strcmp(out->status, "processing") == 0) {
				char key[REFUND_NO_MAX + 24], payload[128];
				snprintf(key, sizeof key, "refund.query:%s", no);
				snprintf(payload, sizeof payload, "{\"out_refund_no\":\"%s\"}", no);
				if (db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload, next_attempt_at)"
				    " VALUES (?, 'refund.query', ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)"
				    " ON DUPLICATE KEY UPDATE id = id", "sisi", key, c.account_id, payload,
				    (int64_t)REFUND_QUERY_AFTER_S) < 0) {
					out->outcome = REFUND_RUN_RETRY;
					snprintf(out->error, sizeof out->error, "database: %s", db_error(db));
				}
			}
		}
		wechat_response_free(&r);
		return 0;
	}
	answer_code(&r, code, sizeof code);
	if (wechat_refund_error_retryable(r.status, code)) {
		out->outcome = REFUND_RUN_RETRY;
		snprintf(out->error, sizeof out->error, "WeChat Pay answered HTTP %ld %s; retried later", r.status, code);
		refund_note_error(db, no, out->error);
	} else {
		/* refused for good: the money goes back on the account */
		snprintf(out->error, sizeof out->error, "WeChat Pay refused refund %s: HTTP %ld %.200s", no, r.status,
		    r.body ? r.body : "");
		if (refund_refused(db, no, out->error, &ar) != 0) {
			out->outcome = REFUND_RUN_RETRY;
			snprintf(out->error, sizeof out->error, "database: %s", db_error(db));
		} else {
			out->outcome = REFUND_RUN_FAILED;
			snprintf(out->status, sizeof out->status, "%s", ar.status);
		}
	}
	wechat_response_free(&r);
	return 0;
}

int
refund_query_run(struct db *db, const struct pay_wechat *w, const char *no, struct refund_run *out)
{
	struct refund_call c;
	struct wechat_response r;
	char path[160], err[512];
	int found;

	memset(out, 0, sizeof *out);
	if ((found = refund_load_call(db, no, &c)) <= 0) {
		out->outcome = found < 0 ? REFUND_RUN_RETRY : REFUND_RUN_FAILED;
		snprintf(out->error, sizeof out->error, found < 0 ? "database: %s" : "no refund %s here", found < 0 ?
		    db_error(db) : no);
		return 0;
	}
	snprintf(out->status, sizeof out->status, "%s", c.status);
	if (strcmp(c.status, "requested") != 0 && strcmp(c.status, "processing") != 0) {
		out->outcome = REFUND_RUN_DONE;
		return 0;
	}
	snprintf(path, sizeof path, "/v3/refund/domestic/refunds/%s", no);
	if (wechat_call(w, "GET", path, NULL, &r, err, sizeof err) != 0) {
		out->outcome = REFUND_RUN_RETRY;
		snprintf(out->error, sizeof out->error, "WeChat Pay: %.400s", err);
		return 0;
	}
	out->http_status = r.status;
	snprintf(out->answer, sizeof out->answer, "%.500s", r.body ? r.body : "");
	if (r.status == 200 && apply_answer(db, w, &r, "query", out) == 0)
		out->outcome = strcmp(out->status, "processing") == 0 || strcmp(out->status, "requested") == 0 ?
		    REFUND_RUN_RETRY : REFUND_RUN_DONE;
	else if (r.status != 200) {
		/* 404 too: the request may still be on its way (its job retries) */
		out->outcome = REFUND_RUN_RETRY;
		snprintf(out->error, sizeof out->error, "WeChat Pay answered HTTP %ld", r.status);
	}
	if (out->outcome == REFUND_RUN_RETRY && out->error[0] == '\0')
		snprintf(out->error, sizeof out->error, "refund %s is still %s", no, out->status);
	wechat_response_free(&r);
	return 0;
}

/* Missing here: ours and unpaid here? ask WeChat Pay and credit it. */
static char *
credit_missing(struct db *db, const struct pay_wechat *w, const char *no, int *credited)
{
	struct wechat_response r;
	struct wechat_transaction t;
	struct pay_credit_result res;
	char path[160], err[512];
	int64_t mine = 0;
	char *s;

	if (db_query_int(db, &mine, "SELECT COUNT(*) FROM payments WHERE out_trade_no = ? AND mchid = ?", "ss", no,
	    w->mchid) < 0)
		return xasprintf("database: %s", db_error(db));
	if (mine == 0)
		return xstrdup("finance: not an order of ours (refund it, or find its account)");
	snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", no, w->mchid);
	if (wechat_call(w, "GET", path, NULL, &r, err, sizeof err) != 0)
		return xasprintf("query failed (%s): the next run tries again", err);
	if (r.status != 200 || r.body == NULL || wechat_transaction_parse(r.body, r.body_len, &t, err, sizeof err) != 0)
		s = xasprintf("query answered HTTP %ld: the next run tries again", r.status);
	else if (pay_credit_wechat(db, &t, r.body, "query", &res) != 0)
		s = xasprintf("database: %s", db_error(db));
	else {
		if (res.outcome == PAY_CREDITED)
			(*credited)++;
		s = xasprintf("query: %s%s%s", pay_outcome_name(res.outcome), res.reason[0] ? " " : "", res.reason);
	}
	wechat_response_free(&r);
	return s;
}

int
recon_run_day(struct db *db, const struct pay_wechat *w, const char *date, const char *actor, struct recon_run *out)
{
	memset(out, 0, sizeof *out);
	if (pay_recon_wechat(db, w, date, &out->rep, out->error, sizeof out->error) != 0) {
		/* stored, so the console shows the day could not be checked (a bad date is not) */
		if (strlen(date) == 10)
			recon_store(db, w->mchid, date, NULL, NULL, out->error, actor, &out->report_id);
		return -1;
	}
	out->have_report = 1;
	out->actions = xcalloc((size_t)out->rep.nlines + 1, sizeof *out->actions);
	for (int i = 0; i < out->rep.nlines; i++) {
		const struct recon_line *l = &out->rep.lines[i];
		switch (l->issue) {
		case RECON_MISSING_HERE:
			out->actions[i] = credit_missing(db, w, l->out_trade_no, &out->credited);
			break;
		case RECON_MISSING_THERE:
			out->actions[i] = xstrdup("finance: credited here, not in WeChat Pay's bill");
			break;
		case RECON_AMOUNT:
			out->actions[i] = xstrdup("finance: the amounts differ");
			break;
		case RECON_TRANSACTION:
			out->actions[i] = xstrdup("finance: the transaction ids differ");
			break;
		}
	}
	if (recon_store(db, w->mchid, date, &out->rep, (const char *const *)out->actions, NULL, actor,
	    &out->report_id) != 0) {
		snprintf(out->error, sizeof out->error, "cannot store the report: %s", db_error(db));
		return -1;
	}
	return 0;
}

void
recon_run_free(struct recon_run *out)
{
	for (int i = 0; out->actions != NULL && i < out->rep.nlines; i++)
		free(out->actions[i]);
	free(out->actions);
	if (out->have_report)
		recon_report_free(&out->rep);
	memset(out, 0, sizeof *out);
}
