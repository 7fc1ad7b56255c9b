#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include "lib/money.h"
#include "payments/alipay.h"
#include "payments/alipay_client.h"
#include "payments/wechat.h"

int
pay_alipay_load(const struct config *c, struct pay_alipay *a, char *err, size_t errlen)
{
	const char *v, *pub = config_str(c, "alipay", "alipay_public_key");

	memset(a, 0, sizeof *a);
	snprintf(a->app_id, sizeof a->app_id, "%s", (v = config_str(c, "alipay", "app_id")) ? v : "");
	snprintf(a->seller_id, sizeof a->seller_id, "%s", (v = config_str(c, "alipay", "seller_id")) ? v : "");
	snprintf(a->gateway_url, sizeof a->gateway_url, "%s", (v = config_str(c, "alipay", "gateway_url")) ? v : "");
	snprintf(a->notify_url, sizeof a->notify_url, "%s", (v = config_str(c, "alipay", "notify_url")) ? v : "");
	a->timeout_ms = (long)config_int(c, "wechatpay", "timeout_ms");
	if (pub != NULL) {
		FILE *f = fopen(pub, "r");
		if (f == NULL || (a->alipay_public = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL) {
			snprintf(err, errlen, "[alipay] alipay_public_key %s: %s", pub,
			    f ? "not a public key in PEM form" : "cannot open it");
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
	}
	if ((v = config_str(c, "alipay", "private_key")) != NULL &&
	    (a->app_key = wechat_private_key_parse(v, strlen(v), err, errlen)) == NULL) {
		pay_alipay_free(a);
		return -1;
	}
	a->can_verify = a->alipay_public != NULL && a->app_id[0];
	a->can_order = a->can_verify && a->app_key != NULL && a->seller_id[0] && a->notify_url[0] && a->gateway_url[0];
	if (!a->can_order)
		snprintf(a->problem, sizeof a->problem, "[alipay] needs app_id, seller_id, private_key, alipay_public_key"
		    " and notify_url");
	return 0;
}

void
pay_alipay_free(struct pay_alipay *a)
{
	EVP_PKEY_free(a->app_key);
	EVP_PKEY_free(a->alipay_public);
	a->app_key = a->alipay_public = NULL;
}

struct sink {
	char *data;
	size_t len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n;
	char *nd;

	if (s->len + add > (64u << 10) || (nd = realloc(s->data, s->len + add + 1)) == NULL)
		return 0;
	s->data = nd;
	memcpy(s->data + s->len, p, add);
	s->len += add;
	s->data[s->len] = '\0';
	return add;
}

int
alipay_precreate(const struct pay_alipay *a, const char *out_trade_no, int64_t amount_fen, const char *subject,
    char *qr_code, size_t qrlen, int *definite, char *err, size_t errlen)
{
	struct alipay_params ap;
	char ts[24], amount[MONEY_FMT_LEN], sig[700], *biz, *form = NULL, sign[700];
	const char *content;
	size_t clen;
	cJSON *b = cJSON_CreateObject(), *resp = NULL;
	const cJSON *code, *qr;
	struct sink s = { NULL, 0 };
	time_t now = time(NULL) + 8 * 3600;	/* Alipay's timestamps are Beijing time */
	struct tm tm;
	CURL *h = NULL;
	CURLcode cc;
	long status = 0;
	int rc = -1;

	*definite = 0;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	cJSON_AddStringToObject(b, "out_trade_no", out_trade_no);
	cJSON_AddStringToObject(b, "total_amount", money_format(amount_fen, amount));
	cJSON_AddStringToObject(b, "subject", subject);
	biz = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	memset(&ap, 0, sizeof ap);
	{
		const char *kv[][2] = {
			{ "app_id", a->app_id }, { "method", "alipay.trade.precreate" }, { "format", "JSON" },
			{ "charset", "utf-8" }, { "sign_type", "RSA2" }, { "timestamp", ts }, { "version", "1.0" },
			{ "notify_url", a->notify_url }, { "biz_content", biz },
		};
		for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
			ap.p[ap.n].key = (char *)kv[i][0];
			ap.p[ap.n].value = (char *)kv[i][1];
			ap.n++;
		}
		if (alipay_sign(a->app_key, &ap, sig, sizeof sig) != 0) {
			snprintf(err, errlen, "cannot sign with [alipay] private_key");
			goto out;
		}
		ap.p[ap.n].key = (char *)"sign";
		ap.p[ap.n].value = sig;
		ap.n++;
		form = malloc(8192);
		if (form == NULL || alipay_form_encode(&ap, form, 8192) < 0) {
			snprintf(err, errlen, "the request does not fit");
			goto out;
		}
	}
	if ((h = curl_easy_init()) == NULL)
		goto out;
	curl_easy_setopt(h, CURLOPT_URL, a->gateway_url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, a->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	/* a precreate is not repeated here: the same out_trade_no may be asked again by a new order call */
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		snprintf(err, errlen, "Alipay %s: %s", a->gateway_url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (s.data == NULL || alipay_response_content(s.data, s.len, "alipay_trade_precreate_response", &content, &clen,
	    sign, sizeof sign) != 0 || !wechat_rsa_verify(a->alipay_public, content, clen, sign)) {
		snprintf(err, errlen, "Alipay answered HTTP %ld without a valid signature", status);
		goto out;
	}
	resp = cJSON_ParseWithLength(content, clen);
	code = resp ? cJSON_GetObjectItemCaseSensitive(resp, "code") : NULL;
	qr = resp ? cJSON_GetObjectItemCaseSensitive(resp, "qr_code") : NULL;
	if (!cJSON_IsString(code) || strcmp(code->valuestring, "10000") != 0 || !cJSON_IsString(qr)) {
		const cJSON *m = resp ? cJSON_GetObjectItemCaseSensitive(resp, "sub_msg") : NULL;
		snprintf(err, errlen, "Alipay refused the order: %.200s", cJSON_IsString(m) ? m->valuestring : "no qr_code");
		*definite = 1;
		goto out;
	}
	snprintf(qr_code, qrlen, "%s", qr->valuestring);
	rc = 0;
out:
	if (h != NULL)
		curl_easy_cleanup(h);
	cJSON_Delete(resp);
	cJSON_free(biz);
	free(form);
	free(s.data);
	return rc;
}
