#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "lib/log.h"
#include "payments/pay_store.h"
#include "payments/pay_sweep.h"

/* Queries one order; credits it if paid. 1 paid and credited (or already),
 * 0 not paid, -1 no usable answer. */
static int
sweep_query(struct db *db, const struct pay_wechat *w, const char *no, struct pay_sweep_stats *st)
{
	struct wechat_response r;
	struct wechat_transaction t;
	struct pay_credit_result res;
	char path[160], err[512];
	int rc = -1;

	st->queried++;
	snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", no, w->mchid);
	if (wechat_call(w, "GET", path, NULL, &r, err, sizeof err) != 0) {
		log_warn("sweep %s: query: %s", no, err);
		return -1;
	}
	if (r.status == 200 && r.body != NULL && wechat_transaction_parse(r.body, r.body_len, &t, err, sizeof err) == 0 &&
	    pay_credit_wechat(db, &t, r.body, "query", &res) == 0) {
		if (res.outcome == PAY_CREDITED)
			st->credited++;
		if (res.outcome != PAY_NOT_PAID)
			log_info("sweep %s: %s%s%s", no, pay_outcome_name(res.outcome), res.reason[0] ? ": " : "", res.reason);
		rc = res.outcome == PAY_NOT_PAID ? 0 : 1;
	} else
		log_warn("sweep %s: query answered HTTP %ld", no, r.status);
	wechat_response_free(&r);
	return rc;
}

/* Closes an expired order there, then here; a paid one is credited instead. */
static void
sweep_close(struct db *db, const struct pay_wechat *w, const char *no, struct pay_sweep_stats *st)
{
	struct wechat_response r;
	char path[160], body[64], err[512];

	/* paid at the last moment? then credit, never close */
	if (sweep_query(db, w, no, st) != 0)
		return;
	snprintf(path, sizeof path, "/v3/pay/transactions/out-trade-no/%s/close", no);
	snprintf(body, sizeof body, "{\"mchid\":\"%s\"}", w->mchid);
	if (wechat_call(w, "POST", path, body, &r, err, sizeof err) != 0) {
		log_warn("sweep %s: close: %s", no, err);
		st->failed++;
		return;
	}
	if (r.status == 204) {
		if (db_exec(db, "UPDATE payments SET status = 'closed', provider_state = 'CLOSED'"
		    " WHERE out_trade_no = ? AND status = 'created'", "s", no) == 1) {
			st->closed++;
			log_info("sweep %s: expired and closed", no);
		}
	} else {
		/* ORDERPAID between our query and the close: the next round's query credits it */
		log_warn("sweep %s: close answered HTTP %ld: %.200s", no, r.status, r.body ? r.body : "");
		st->failed++;
	}
	wechat_response_free(&r);
}

int
pay_sweep_wechat(struct db *db, const struct pay_wechat *w, int max, struct pay_sweep_stats *st, char *err, size_t errlen)
{
	struct db_rows *rows;
	char (*nos)[65];
	int *expired, n = 0;

	memset(st, 0, sizeof *st);
	rows = db_query(db, "SELECT out_trade_no, expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP(6)"
	    " FROM payments WHERE provider = 'wechat' AND mchid = ? AND status = 'created'"
	    " AND created_at <= UTC_TIMESTAMP(6) - INTERVAL ? SECOND ORDER BY created_at LIMIT ?", "sii",
	    w->mchid, (int64_t)PAY_SWEEP_QUERY_AFTER_S, (int64_t)max);
	if (rows == NULL) {
		snprintf(err, errlen, "database: %s", db_error(db));
		return -1;
	}
	nos = calloc((size_t)max + 1, sizeof *nos);
	expired = calloc((size_t)max + 1, sizeof *expired);
	while (nos != NULL && expired != NULL && n < max && db_rows_next(rows) == 1) {
		snprintf(nos[n], sizeof nos[n], "%s", db_rows_str(rows, 0));
		expired[n] = db_rows_int(rows, 1) != 0;
		n++;
	}
	db_rows_free(rows);
	/* the rows are read first: each order's calls run with no result set open */
	for (int i = 0; i < n; i++) {
		if (expired[i])
			sweep_close(db, w, nos[i], st);
		else if (sweep_query(db, w, nos[i], st) < 0)
			st->failed++;
	}
	free(nos);
	free(expired);
	return 0;
}
