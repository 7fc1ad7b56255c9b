#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "lib/xmalloc.h"
#include "payments/pay_recon.h"

static int
date_valid(const char *d)
{
	if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
			return 0;
	return 1;
}

int
pay_recon_wechat(struct db *db, const struct pay_wechat *w, const char *date, struct recon_report *rep,
    char *err, size_t errlen)
{
	struct wechat_response r, dl;
	struct wechat_bill bill;
	struct recon_payment *pays = NULL;
	struct db_rows *rows = NULL;
	cJSON *j = NULL;
	const cJSON *hash, *url;
	char path[128], sha[41], **keep = NULL;
	int n = 0, cap = 0, rc = -1, have_bill = 0;

	memset(&r, 0, sizeof r);
	memset(&dl, 0, sizeof dl);
	if (!date_valid(date)) {
		snprintf(err, errlen, "'%.20s' is not a date like 2026-11-27", date);
		return -1;
	}
	snprintf(path, sizeof path, "/v3/bill/tradebill?bill_date=%s&bill_type=ALL", date);
	if (wechat_call(w, "GET", path, NULL, &r, err, errlen) != 0)
		return -1;
	if (r.status != 200 || (j = cJSON_ParseWithLength(r.body ? r.body : "", r.body_len)) == NULL ||
	    !cJSON_IsString(hash = cJSON_GetObjectItemCaseSensitive(j, "hash_value")) ||
	    !cJSON_IsString(url = cJSON_GetObjectItemCaseSensitive(j, "download_url"))) {
		snprintf(err, errlen, "the trade bill of %s is not available (HTTP %ld: %.200s)", date, r.status,
		    r.body ? r.body : "");
		goto out;
	}
	if (wechat_download(w, url->valuestring, &dl, err, errlen) != 0)
		goto out;
	wechat_bill_sha1(dl.body ? dl.body : "", dl.body_len, sha);
	if (dl.status != 200 || strcasecmp(sha, hash->valuestring) != 0) {
		snprintf(err, errlen, "the bill download (HTTP %ld) has SHA1 %s, the API said %.64s", dl.status, sha,
		    hash->valuestring);
		goto out;
	}
	if (wechat_bill_parse(dl.body ? dl.body : "", dl.body_len, &bill, err, errlen) != 0)
		goto out;
	have_bill = 1;

	/* paid that day in Beijing time: [date 00:00+08, +1 day) in UTC */
	rows = db_query(db, "SELECT out_trade_no, COALESCE(transaction_id, ''), amount_fen, status = 'credited'"
	    " FROM payments WHERE provider = 'wechat' AND mchid = ? AND paid_at >= CAST(? AS DATETIME) - INTERVAL 8 HOUR"
	    " AND paid_at < CAST(? AS DATETIME) + INTERVAL 16 HOUR", "sss", w->mchid, date, date);
	if (rows == NULL) {
		snprintf(err, errlen, "database: %s", db_error(db));
		goto out;
	}
	while (db_rows_next(rows) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			pays = xrealloc(pays, (size_t)cap * sizeof *pays);
			keep = xrealloc(keep, (size_t)cap * 2 * sizeof *keep);
		}
		keep[2 * n] = xstrdup(db_rows_str(rows, 0));
		keep[2 * n + 1] = xstrdup(db_rows_str(rows, 1));
		pays[n].out_trade_no = keep[2 * n];
		pays[n].transaction_id = keep[2 * n + 1];
		pays[n].amount_fen = db_rows_int(rows, 2);
		pays[n].credited = db_rows_int(rows, 3) != 0;
		n++;
	}
	if (recon_compare(&bill, pays, n, rep) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	db_rows_free(rows);
	for (int i = 0; i < 2 * n; i++)
		free(keep[i]);
	free(keep);
	free(pays);
	if (have_bill)
		wechat_bill_free(&bill);
	cJSON_Delete(j);
	wechat_response_free(&r);
	wechat_response_free(&dl);
	return rc;
}
