#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/money.h"
#include "payments/alipay.h"
#include "payments/wechat.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* In place; -1 on a bad escape or an encoded NUL. */
static int
form_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '+')
			*w++ = ' ';
		else if (*s == '%') {
			int hi = hexval((unsigned char)s[1]), lo = hi < 0 ? -1 : hexval((unsigned char)s[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
	return 0;
}

void
alipay_params_free(struct alipay_params *ap)
{
	free(ap->buf);
	memset(ap, 0, sizeof *ap);
}

int
alipay_form_parse(const char *body, size_t len, struct alipay_params *ap, char *err, size_t errlen)
{
	char *p, *next, *eq;

	memset(ap, 0, sizeof *ap);
	if (len > ALIPAY_BODY_MAX) {
		snprintf(err, errlen, "the body is larger than %d bytes", ALIPAY_BODY_MAX);
		return -1;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(err, errlen, "the body contains a NUL byte");
		return -1;
	}
	if ((ap->buf = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(ap->buf, body, len);
	ap->buf[len] = '\0';
	for (p = ap->buf; p != NULL && *p != '\0'; p = next) {
		if ((next = strchr(p, '&')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errlen, "'%.40s' has no '='", p);
			goto fail;
		}
		*eq++ = '\0';
		if (form_decode(p) != 0 || form_decode(eq) != 0 || *p == '\0') {
			snprintf(err, errlen, "bad %%-escape or empty name near '%.40s'", p);
			goto fail;
		}
		if (alipay_param(ap, p) != NULL) {
			snprintf(err, errlen, "'%.40s' is given twice", p);
			goto fail;
		}
		if (ap->n >= ALIPAY_PARAMS_MAX) {
			snprintf(err, errlen, "more than %d parameters", ALIPAY_PARAMS_MAX);
			goto fail;
		}
		ap->p[ap->n].key = p;
		ap->p[ap->n].value = eq;
		ap->n++;
	}
	return 0;
fail:
	alipay_params_free(ap);
	return -1;
}

const char *
alipay_param(const struct alipay_params *ap, const char *key)
{
	for (int i = 0; i < ap->n; i++)
		if (strcmp(ap->p[i].key, key) == 0)
			return ap->p[i].value;
	return NULL;
}

long
alipay_sign_content(const struct alipay_params *ap, char *out, size_t outlen)
{
	int order[ALIPAY_PARAMS_MAX], n = 0;
	size_t off = 0;

	for (int i = 0; i < ap->n; i++) {
		if (strcmp(ap->p[i].key, "sign") == 0 || strcmp(ap->p[i].key, "sign_type") == 0 ||
		    ap->p[i].value[0] == '\0')
			continue;
		/* insertion sort by key, byte order (n ≤ 64) */
		int j = n++;
		while (j > 0 && strcmp(ap->p[order[j - 1]].key, ap->p[i].key) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(out + off, outlen - off, "%s%s=%s", i ? "&" : "", ap->p[order[i]].key,
		    ap->p[order[i]].value);
		if (w < 0 || (size_t)w >= outlen - off)
			return -1;
		off += (size_t)w;
	}
	return (long)off;
}

int
alipay_verify(EVP_PKEY *pub, const struct alipay_params *ap)
{
	const char *sign = alipay_param(ap, "sign"), *type = alipay_param(ap, "sign_type");
	char *content;
	long n;
	int ok;

	if (sign == NULL || (type != NULL && strcmp(type, "RSA2") != 0))
		return 0;
	if ((content = malloc(ALIPAY_BODY_MAX + 1)) == NULL)
		return 0;
	n = alipay_sign_content(ap, content, ALIPAY_BODY_MAX + 1);
	ok = n >= 0 && wechat_rsa_verify(pub, content, (size_t)n, sign);
	free(content);
	return ok;
}

int
alipay_sign(EVP_PKEY *key, const struct alipay_params *ap, char *sign_b64, size_t outlen)
{
	char *content;
	long n;
	int rc;

	if ((content = malloc(ALIPAY_BODY_MAX + 1)) == NULL)
		return -1;
	n = alipay_sign_content(ap, content, ALIPAY_BODY_MAX + 1);
	rc = n < 0 ? -1 : wechat_rsa_sign(key, content, (size_t)n, sign_b64, outlen);
	free(content);
	return rc;
}

int
alipay_yuan_to_fen(const char *s, int64_t *fen)
{
	if (s == NULL || *s == '-' || money_parse_yuan(s, fen) != 0)
		return -1;
	return 0;
}

const char *
alipay_match_name(enum alipay_match m)
{
	switch (m) {
	case ALIPAY_MATCH_OK: return "ok";
	case ALIPAY_MATCH_NOT_PAID: return "not_paid";
	case ALIPAY_MATCH_OUT_TRADE_NO: return "out_trade_no";
	case ALIPAY_MATCH_APP_ID: return "app_id";
	case ALIPAY_MATCH_SELLER_ID: return "seller_id";
	case ALIPAY_MATCH_AMOUNT: return "amount";
	case ALIPAY_MATCH_NO_TRADE_NO: return "no_trade_no";
	}
	return "?";
}

static int
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

enum alipay_match
alipay_match(const struct alipay_order *o, const struct alipay_params *ap)
{
	const char *status = alipay_param(ap, "trade_status"), *no = alipay_param(ap, "trade_no");
	int64_t fen;

	if (!str_eq(o->out_trade_no, alipay_param(ap, "out_trade_no")))
		return ALIPAY_MATCH_OUT_TRADE_NO;
	if (!str_eq(o->app_id, alipay_param(ap, "app_id")))
		return ALIPAY_MATCH_APP_ID;
	if (o->seller_id != NULL && *o->seller_id && !str_eq(o->seller_id, alipay_param(ap, "seller_id")))
		return ALIPAY_MATCH_SELLER_ID;
	/* both mean paid, and both may arrive: the caller dedupes on trade_no */
	if (!str_eq(status, "TRADE_SUCCESS") && !str_eq(status, "TRADE_FINISHED"))
		return ALIPAY_MATCH_NOT_PAID;
	if (no == NULL || *no == '\0')
		return ALIPAY_MATCH_NO_TRADE_NO;
	if (alipay_yuan_to_fen(alipay_param(ap, "total_amount"), &fen) != 0 || fen != o->amount_fen)
		return ALIPAY_MATCH_AMOUNT;
	return ALIPAY_MATCH_OK;
}

long
alipay_form_encode(const struct alipay_params *ap, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (int i = 0; i < ap->n; i++) {
		for (int part = 0; part < 2; part++) {
			const unsigned char *s = (const unsigned char *)(part ? ap->p[i].value : ap->p[i].key);
			if (o + 2 > outlen)
				return -1;
			if (part)
				out[o++] = '=';
			else if (i > 0)
				out[o++] = '&';
			for (; *s; s++) {
				int plain = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
				    *s == '-' || *s == '_' || *s == '.' || *s == '~';
				if (o + (plain ? 1 : 3) + 1 > outlen)
					return -1;
				if (plain)
					out[o++] = (char)*s;
				else {
					out[o++] = '%';
					out[o++] = hex[*s >> 4];
					out[o++] = hex[*s & 15];
				}
			}
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return (long)o;
}

/* The end of the JSON value starting at p (an object), or NULL. */
static const char *
json_object_end(const char *p, const char *end)
{
	int depth = 0, in_str = 0;

	for (; p < end; p++) {
		if (in_str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"')
			in_str = 1;
		else if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p + 1;
	}
	return NULL;
}

int
alipay_response_content(const char *body, size_t len, const char *response_key, const char **start,
    size_t *content_len, char *sign, size_t signlen)
{
	char key[96];
	const char *end = body + len, *p, *q, *e;
	int n = snprintf(key, sizeof key, "\"%s\":", response_key);

	if (n < 0 || (size_t)n >= sizeof key || (p = memmem(body, len, key, (size_t)n)) == NULL)
		return -1;
	for (p += n; p < end && (*p == ' ' || *p == '\n'); p++)
		;
	if (p >= end || *p != '{' || (e = json_object_end(p, end)) == NULL)
		return -1;
	*start = p;
	*content_len = (size_t)(e - p);
	if ((q = memmem(e, (size_t)(end - e), "\"sign\":\"", 8)) == NULL)
		return -1;
	q += 8;
	if ((p = memchr(q, '"', (size_t)(end - q))) == NULL || (size_t)(p - q) >= signlen)
		return -1;
	memcpy(sign, q, (size_t)(p - q));
	sign[p - q] = '\0';
	/* JSON escapes "/" as "\/" in some encoders: base64 has '/' */
	for (char *r = sign, *w = sign; ; r++) {
		if (r[0] == '\\' && r[1] == '/')
			r++;
		if ((*w++ = *r) == '\0')
			break;
	}
	return 0;
}

static int
field(const struct alipay_params *ap, const char *key, char *out, size_t outlen, int required, char *err, size_t errlen)
{
	const char *v = alipay_param(ap, key);

	out[0] = '\0';
	if (v == NULL || *v == '\0') {
		if (!required)
			return 0;
		snprintf(err, errlen, "'%s' is missing", key);
		return -1;
	}
	if (strlen(v) >= outlen) {
		snprintf(err, errlen, "'%s' is longer than %zu characters", key, outlen - 1);
		return -1;
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

int
alipay_to_transaction(const struct alipay_params *ap, struct wechat_transaction *t, char *err, size_t errlen)
{
	char status[17], gmt[24];

	memset(t, 0, sizeof *t);
	if (field(ap, "app_id", t->appid, sizeof t->appid, 1, err, errlen) != 0 ||
	    field(ap, "seller_id", t->mchid, sizeof t->mchid, 0, err, errlen) != 0 ||
	    field(ap, "out_trade_no", t->out_trade_no, sizeof t->out_trade_no, 1, err, errlen) != 0 ||
	    field(ap, "trade_no", t->transaction_id, sizeof t->transaction_id, 0, err, errlen) != 0 ||
	    field(ap, "trade_status", status, sizeof status, 1, err, errlen) != 0 ||
	    field(ap, "gmt_payment", gmt, sizeof gmt, 0, err, errlen) != 0 ||
	    field(ap, "buyer_id", t->payer_openid, sizeof t->payer_openid, 0, err, errlen) != 0)
		return -1;
	if (alipay_yuan_to_fen(alipay_param(ap, "total_amount"), &t->total_fen) != 0) {
		snprintf(err, errlen, "total_amount is not a yuan amount with at most two decimals");
		return -1;
	}
	/* both mean paid; the caller's dedupe on trade_no makes the second a replay */
	snprintf(t->trade_state, sizeof t->trade_state, "%s",
	    strcmp(status, "TRADE_SUCCESS") == 0 || strcmp(status, "TRADE_FINISHED") == 0 ? "SUCCESS" : status);
	memcpy(t->currency, "CNY", 4);
	memcpy(t->trade_type, "ALIPAY", 7);
	/* gmt_payment is Beijing time "2026-11-28 10:00:00" */
	if (strlen(gmt) == 19 && gmt[10] == ' ')
		snprintf(t->success_time, sizeof t->success_time, "%.10sT%.8s+08:00", gmt, gmt + 11);
	return 0;
}
