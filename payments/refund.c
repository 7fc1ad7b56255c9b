#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "payments/refund.h"

int
refund_plan(int64_t balance_fen, const struct refund_source *src, int n, struct refund_share *out, int max,
    int64_t *rest_fen)
{
	int64_t left = balance_fen;
	int k = 0;

	if (balance_fen < 0 || n < 0 || max < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (src[i].amount_fen <= 0 || src[i].refunded_fen < 0 || src[i].refunded_fen > src[i].amount_fen)
			return -1;
	for (int i = 0; i < n && left > 0 && k < max; i++) {
		int64_t room = src[i].amount_fen - src[i].refunded_fen;
		int64_t take = room < left ? room : left;

		if (take <= 0)
			continue;
		out[k].payment_id = src[i].payment_id;
		out[k].amount_fen = take;
		out[k].total_fen = src[i].amount_fen;
		k++;
		left -= take;
	}
	*rest_fen = left;
	return k;
}

int
refund_no_make(char prefix, int64_t account_id, int64_t payment_id, int nth, int64_t now, const char *hex,
    char *out, size_t outlen)
{
	struct tm tm;
	time_t t = (time_t)now;
	char day[9];
	int w;

	if (gmtime_r(&t, &tm) == NULL || strftime(day, sizeof day, "%Y%m%d", &tm) != 8 || account_id <= 0)
		return -1;
	if (prefix == 'C')
		w = snprintf(out, outlen, "C%s-%08" PRId64 "-%.8s", day, account_id, hex ? hex : "");
	else
		w = snprintf(out, outlen, "%c%s-%08" PRId64 "-%" PRId64 "-%d", prefix, day, account_id, payment_id, nth);
	return w > 0 && (size_t)w < outlen && w <= REFUND_NO_MAX && refund_no_valid(out) ? 0 : -1;
}

int
refund_no_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 6 || n > REFUND_NO_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    strchr("_-|*@", *s) != NULL))
			return 0;
	return 1;
}

enum refund_state
refund_state_parse(const char *s)
{
	if (s == NULL)
		return REFUND_UNKNOWN;
	if (strcmp(s, "SUCCESS") == 0)
		return REFUND_SUCCESS;
	if (strcmp(s, "PROCESSING") == 0)
		return REFUND_PROCESSING;
	if (strcmp(s, "CLOSED") == 0)
		return REFUND_CLOSED;
	if (strcmp(s, "ABNORMAL") == 0)
		return REFUND_ABNORMAL;
	return REFUND_UNKNOWN;
}

const char *
refund_state_db(enum refund_state s)
{
	switch (s) {
	case REFUND_PROCESSING:
		return "processing";
	case REFUND_SUCCESS:
		return "success";
	case REFUND_CLOSED:
		return "closed";
	case REFUND_ABNORMAL:
		return "abnormal";
	case REFUND_UNKNOWN:
		break;
	}
	return "requested";
}

int
refund_state_reverses(enum refund_state s)
{
	return s == REFUND_CLOSED || s == REFUND_ABNORMAL;
}

static int
jstr(const cJSON *o, const char *name, char *out, size_t outlen, int required, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	out[0] = '\0';
	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			snprintf(err, errlen, "\"%s\" is missing", name);
		return required ? -1 : 0;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= outlen) {
		snprintf(err, errlen, "\"%s\" is not a string of at most %zu characters", name, outlen - 1);
		return -1;
	}
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int
jfen(const cJSON *o, const char *name, int64_t *out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	/* fen are integers well inside a double's exact range (2^53) */
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e15 ||
	    (double)(int64_t)v->valuedouble != v->valuedouble) {
		snprintf(err, errlen, "\"amount.%s\" is not a whole number of fen", name);
		return -1;
	}
	*out = (int64_t)v->valuedouble;
	return 0;
}

int
wechat_refund_parse(const char *json, size_t len, struct wechat_refund *r, char *err, size_t errlen)
{
	cJSON *root;
	const cJSON *amount;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if ((root = cJSON_ParseWithLength(json, len)) == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "the refund is not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	if (jstr(root, "mchid", r->mchid, sizeof r->mchid, 0, err, errlen) != 0 ||
	    jstr(root, "out_trade_no", r->out_trade_no, sizeof r->out_trade_no, 1, err, errlen) != 0 ||
	    jstr(root, "transaction_id", r->transaction_id, sizeof r->transaction_id, 0, err, errlen) != 0 ||
	    jstr(root, "out_refund_no", r->out_refund_no, sizeof r->out_refund_no, 1, err, errlen) != 0 ||
	    jstr(root, "refund_id", r->refund_id, sizeof r->refund_id, 1, err, errlen) != 0 ||
	    jstr(root, "success_time", r->success_time, sizeof r->success_time, 0, err, errlen) != 0)
		goto out;
	if (jstr(root, "status", r->status, sizeof r->status, 0, err, errlen) != 0 ||
	    (r->status[0] == '\0' && jstr(root, "refund_status", r->status, sizeof r->status, 1, err, errlen) != 0))
		goto out;
	if (!cJSON_IsObject(amount = cJSON_GetObjectItemCaseSensitive(root, "amount"))) {
		snprintf(err, errlen, "\"amount\" is missing");
		goto out;
	}
	if (jfen(amount, "total", &r->total_fen, err, errlen) != 0 ||
	    jfen(amount, "refund", &r->refund_fen, err, errlen) != 0 ||
	    jstr(amount, "currency", r->currency, sizeof r->currency, 0, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
wechat_refund_body(const char *out_trade_no, const char *out_refund_no, const char *reason, const char *notify_url,
    int64_t refund_fen, int64_t total_fen, char *out, size_t outlen)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char *s;
	int rc = -1;

	cJSON_AddStringToObject(o, "out_trade_no", out_trade_no);
	cJSON_AddStringToObject(o, "out_refund_no", out_refund_no);
	if (reason != NULL && reason[0] != '\0')
		cJSON_AddStringToObject(o, "reason", reason);
	if (notify_url != NULL && notify_url[0] != '\0')
		cJSON_AddStringToObject(o, "notify_url", notify_url);
	a = cJSON_AddObjectToObject(o, "amount");
	cJSON_AddNumberToObject(a, "refund", (double)refund_fen);
	cJSON_AddNumberToObject(a, "total", (double)total_fen);
	cJSON_AddStringToObject(a, "currency", "CNY");
	if ((s = cJSON_PrintUnformatted(o)) != NULL && strlen(s) < outlen) {
		memcpy(out, s, strlen(s) + 1);
		rc = 0;
	}
	free(s);
	cJSON_Delete(o);
	return rc;
}

int
wechat_refund_error_retryable(long status, const char *code)
{
	static const char *const again[] = { "SYSTEM_ERROR", "FREQUENCY_LIMITED", "NOT_ENOUGH", "BIZ_ERR_NEED_RETRY",
		NULL };

	if (status == 0 || status >= 500 || status == 429)
		return 1;
	for (int i = 0; code != NULL && again[i] != NULL; i++)
		if (strcmp(code, again[i]) == 0)
			return 1;
	return 0;
}

int64_t
refund_jobs_next_sweep(int64_t now)
{
	return now - now % PAYMENT_SWEEP_EVERY_S + PAYMENT_SWEEP_EVERY_S;
}

int64_t
refund_jobs_next_recon(int64_t now)
{
	int64_t day = now - now % 86400, at = day + PAYMENT_RECON_AT_S;

	return at > now ? at : at + 86400;
}

void
refund_jobs_recon_date(int64_t now, char out[11])
{
	time_t t = (time_t)(now + 8 * 3600 - 86400);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		snprintf(out, 11, "1970-01-01");
}
