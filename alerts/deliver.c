/*
 * The channels: one msg.* outbox row is one message to one address.
 * Each handler validates the address first (a malformed one fails at once,
 * no retry), signs the request the provider's way (alerts/sign.c), sends
 * it with a timeout, and sorts the answer into done / retry / failed.
 * Transport errors, timeouts, HTTP 5xx and throttling retry; answers that
 * say the message itself can never go (bad number, 43101) fail.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>
#include <cjson/cJSON.h>
#include "alerts/alerts.h"
#include "alerts/message.h"
#include "alerts/sign.h"
#include "worker/http.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

struct delivery {
	cJSON *root;
	const char *kind, *to, *title, *text, *event_local, *account;
	cJSON *params;
	int64_t balance_fen;
};

static int
delivery_parse(const struct job *job, struct delivery *d, struct job_result *res, const char *channel)
{
	cJSON *v;
	char err[300];

	memset(d, 0, sizeof *d);
	if ((d->root = cJSON_Parse(job->payload)) == NULL) {
		job_set(res, JOB_FAILED, channel, "the delivery's payload is not JSON");
		return -1;
	}
	d->kind = cJSON_GetStringValue(cJSON_GetObjectItem(d->root, "kind"));
	d->to = cJSON_GetStringValue(cJSON_GetObjectItem(d->root, "to"));
	d->title = cJSON_GetStringValue(cJSON_GetObjectItem(d->root, "title"));
	d->text = cJSON_GetStringValue(cJSON_GetObjectItem(d->root, "text"));
	d->event_local = cJSON_GetStringValue(cJSON_GetObjectItem(d->root, "event_local"));
	d->account = cJSON_GetStringValue(cJSON_GetObjectItem(d->root, "account"));
	d->params = cJSON_GetObjectItem(d->root, "params");
	if ((v = cJSON_GetObjectItem(d->root, "balance_fen")) != NULL && cJSON_IsNumber(v))
		d->balance_fen = (int64_t)v->valuedouble;
	if (d->kind == NULL || d->to == NULL || d->text == NULL || d->title == NULL) {
		job_set(res, JOB_FAILED, channel, "the delivery's payload lacks kind, to, title or text");
		return -1;
	}
	if (alert_contact_check(job->kind + 4, d->to, err, sizeof err) != 0) {
		job_set(res, JOB_FAILED, channel, "%s (fix the contact with prepayctl contact)", err);
		return -1;
	}
	return 0;
}

static void
answer(struct job_result *res, const struct http_response *r)
{
	res->http_status = (int)r->status;
	snprintf(res->answer, sizeof res->answer, "%.*s", (int)(sizeof res->answer - 1), r->body);
}

/* transport failure or HTTP status that is not the provider's verdict */
static int
transport_retry(struct job_result *res, const char *channel, int rc, const struct http_response *r)
{
	if (rc != 0) {
		job_set(res, JOB_RETRY, channel, "no answer: %s", r->error);
		return 1;
	}
	answer(res, r);
	if (r->status >= 500 || r->status == 429 || r->status == 408) {
		job_set(res, JOB_RETRY, channel, "HTTP %ld from the provider", r->status);
		return 1;
	}
	return 0;
}

static void
nonce_hex(char *out, size_t bytes)
{
	unsigned char b[32];
	static const char digits[] = "0123456789abcdef";

	if (bytes > sizeof b)
		bytes = sizeof b;
	if (RAND_bytes(b, (int)bytes) != 1)
		fatalx("no random bytes");
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * bytes] = '\0';
}

static const char *
sms_template(const struct config *cfg, const char *kind)
{
	char key[64];
	const char *v;

	snprintf(key, sizeof key, "template_%s", kind);
	/* only the kinds with a key; config_str on an undeclared key is NULL */
	if ((v = config_str(cfg, "sms", key)) != NULL)
		return v;
	if (alert_kind_find(kind)->audience == ALERT_OPERATOR && (v = config_str(cfg, "sms", "template_other")) != NULL)
		return v;
	return kind;
}

static int
tencent_retryable(const char *code)
{
	return strncmp(code, "InternalError", 13) == 0 || strncmp(code, "RequestLimitExceeded", 20) == 0 ||
	    strncmp(code, "LimitExceeded", 13) == 0 || strncmp(code, "AuthFailure", 11) == 0 ||
	    strncmp(code, "FailedOperation.InsufficientBalanceInSmsPackage", 47) == 0;
}

static void
sms_tencent(struct worker_ctx *ctx, const struct job *job, struct delivery *d, struct job_result *res)
{
	const struct config *cfg = ctx->cfg;
	const char *url = config_str(cfg, "sms", "tencent_url"), *id = config_str(cfg, "sms", "tencent_secret_id");
	const char *key = config_str(cfg, "sms", "tencent_secret_key");
	cJSON *body = cJSON_CreateObject(), *set = cJSON_CreateArray(), *params = cJSON_CreateArray(), *r, *e;
	cJSON *root = NULL;
	char host[256], auth[512], sig[SIGN_HEX256_LEN], h_ts[64], h_region[96], h_auth[600];
	struct http_response *resp = xmalloc(sizeof *resp);
	struct tc3_request rq;
	char *json;
	int rc;

	if (id == NULL || key == NULL || http_url_authority(url, host, sizeof host) != 0) {
		job_set(res, JOB_RETRY, "sms:tencent", "[sms] tencent_secret_id, tencent_secret_key and tencent_url "
		    "must be set (docs/alerts.md)");
		cJSON_Delete(body);
		cJSON_Delete(set);
		cJSON_Delete(params);
		free(resp);
		return;
	}
	cJSON_AddItemToArray(set, cJSON_CreateString(d->to));
	cJSON_AddItemToObject(body, "PhoneNumberSet", set);
	cJSON_AddStringToObject(body, "SmsSdkAppId", config_str(cfg, "sms", "tencent_sdk_app_id") ?
	    config_str(cfg, "sms", "tencent_sdk_app_id") : "");
	cJSON_AddStringToObject(body, "SignName", config_str(cfg, "sms", "sign_name"));
	cJSON_AddStringToObject(body, "TemplateId", sms_template(cfg, d->kind));
	for (int i = 0; i < cJSON_GetArraySize(d->params); i++) {
		const char *p = cJSON_GetStringValue(cJSON_GetArrayItem(d->params, i));
		cJSON_AddItemToArray(params, cJSON_CreateString(p ? p : ""));
	}
	cJSON_AddItemToObject(body, "TemplateParamSet", params);
	/* echoed back by Tencent: lets a receipt be matched to its row */
	cJSON_AddStringToObject(body, "SessionContext", job->dedupe_key);
	json = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);

	memset(&rq, 0, sizeof rq);
	rq.secret_id = id;
	rq.secret_key = key;
	rq.service = "sms";
	rq.host = host;
	rq.timestamp = (int64_t)time(NULL);	/* the provider checks the real clock */
	rq.body = json;
	rq.body_len = strlen(json);
	sign_tc3(&rq, sig, auth, sizeof auth);
	snprintf(h_ts, sizeof h_ts, "X-TC-Timestamp: %lld", (long long)rq.timestamp);
	snprintf(h_region, sizeof h_region, "X-TC-Region: %s", config_str(cfg, "sms", "tencent_region"));
	snprintf(h_auth, sizeof h_auth, "Authorization: %s", auth);
	{
		const char *headers[] = { "Content-Type: application/json; charset=utf-8", "X-TC-Action: SendSms",
		    "X-TC-Version: 2021-01-11", h_ts, h_region, h_auth, NULL };
		rc = http_request(ctx->http, "POST", url, headers, json, strlen(json), resp);
	}
	free(json);
	if (transport_retry(res, "sms:tencent", rc, resp))
		goto out;
	root = cJSON_Parse(resp->body);
	if ((r = cJSON_GetObjectItem(root, "Response")) == NULL) {
		job_set(res, JOB_RETRY, "sms:tencent", "HTTP %ld without a Response object", resp->status);
		goto out;
	}
	if ((e = cJSON_GetObjectItem(r, "Error")) != NULL) {
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(e, "Code"));
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(e, "Message"));
		job_set(res, code && tencent_retryable(code) ? JOB_RETRY : JOB_FAILED, "sms:tencent", "Tencent SMS: %s: %s",
		    code ? code : "?", msg ? msg : "");
	} else {
		cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "SendStatusSet"), 0);
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(st, "Code"));
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(st, "Message"));
		if (code != NULL && strcmp(code, "Ok") == 0)
			job_set(res, JOB_DONE, "sms:tencent", "%s", "");
		else
			job_set(res, code && tencent_retryable(code) ? JOB_RETRY : JOB_FAILED, "sms:tencent",
			    "Tencent SMS refused %s: %s: %s", d->to, code ? code : "no status", msg ? msg : "");
	}
out:
	cJSON_Delete(root);
	free(resp);
}

static int
aliyun_retryable(const char *code)
{
	return strncmp(code, "isp.", 4) == 0 || strcmp(code, "isv.BUSINESS_LIMIT_CONTROL") == 0 ||
	    strcmp(code, "isv.AMOUNT_NOT_ENOUGH") == 0 || strncmp(code, "Throttling", 10) == 0 ||
	    strcmp(code, "SignatureDoesNotMatch") == 0 || strncmp(code, "InvalidAccessKeyId", 18) == 0 ||
	    strcmp(code, "SignatureNonceUsed") == 0;
}

static void
sms_aliyun(struct worker_ctx *ctx, const struct job *job, struct delivery *d, struct job_result *res)
{
	const struct config *cfg = ctx->cfg;
	const char *base = config_str(cfg, "sms", "aliyun_url"), *id = config_str(cfg, "sms", "aliyun_access_key_id");
	const char *secret = config_str(cfg, "sms", "aliyun_access_key_secret");
	struct http_response *resp = xmalloc(sizeof *resp);
	char nonce[33], ts[32], sig[64], esig[200], *query, *url, *tparam;
	const char *names[] = { "account", "balance", "detail", "time" };
	cJSON *tp = cJSON_CreateObject(), *root = NULL;
	size_t qlen = 8192;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if (id == NULL || secret == NULL) {
		job_set(res, JOB_RETRY, "sms:aliyun", "[sms] aliyun_access_key_id and aliyun_access_key_secret must "
		    "be set (docs/alerts.md)");
		cJSON_Delete(tp);
		free(resp);
		return;
	}
	for (int i = 0; i < cJSON_GetArraySize(d->params) && i < 4; i++) {
		const char *p = cJSON_GetStringValue(cJSON_GetArrayItem(d->params, i));
		cJSON_AddStringToObject(tp, names[i], p ? p : "");
	}
	tparam = cJSON_PrintUnformatted(tp);
	cJSON_Delete(tp);
	nonce_hex(nonce, 16);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	{
		/* Aliyun wants the number without '+' (86138…) */
		const struct sign_param params[] = {
			{ "AccessKeyId", id }, { "Action", "SendSms" }, { "Format", "JSON" },
			{ "OutId", job->dedupe_key }, { "PhoneNumbers", d->to + 1 }, { "RegionId", "cn-hangzhou" },
			{ "SignName", config_str(cfg, "sms", "sign_name") }, { "SignatureMethod", "HMAC-SHA1" },
			{ "SignatureNonce", nonce }, { "SignatureVersion", "1.0" },
			{ "TemplateCode", sms_template(cfg, d->kind) }, { "TemplateParam", tparam },
			{ "Timestamp", ts }, { "Version", "2017-05-25" },
		};
		query = xmalloc(qlen);
		rc = sign_aliyun_v1("GET", params, sizeof params / sizeof params[0], secret, query, qlen, sig, sizeof sig);
	}
	free(tparam);
	if (rc != 0) {
		job_set(res, JOB_FAILED, "sms:aliyun", "the message is too long to send");
		free(query);
		free(resp);
		return;
	}
	sign_pct_encode(sig, esig, sizeof esig);
	url = xasprintf("%s/?Signature=%s&%s", base, esig, query);
	free(query);
	rc = http_request(ctx->http, "GET", url, NULL, NULL, 0, resp);
	free(url);
	if (transport_retry(res, "sms:aliyun", rc, resp))
		goto out;
	root = cJSON_Parse(resp->body);
	{
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(root, "Code"));
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(root, "Message"));
		if (code == NULL)
			job_set(res, JOB_RETRY, "sms:aliyun", "HTTP %ld without a Code", resp->status);
		else if (strcmp(code, "OK") == 0)
			job_set(res, JOB_DONE, "sms:aliyun", "%s", "");
		else
			job_set(res, aliyun_retryable(code) ? JOB_RETRY : JOB_FAILED, "sms:aliyun", "Aliyun SMS: %s: %s",
			    code, msg ? msg : "");
	}
out:
	cJSON_Delete(root);
	free(resp);
}

void
alerts_deliver_sms(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	const char *provider = config_str(ctx->cfg, "sms", "provider");
	struct delivery d;

	if (delivery_parse(job, &d, res, "sms") == 0) {
		if (strcmp(provider, "tencent") == 0)
			sms_tencent(ctx, job, &d, res);
		else if (strcmp(provider, "aliyun") == 0)
			sms_aliyun(ctx, job, &d, res);
		else
			job_set(res, JOB_RETRY, "sms", "[sms] provider is \"%s\": set tencent or aliyun to send SMS",
			    provider);
	}
	cJSON_Delete(d.root);
}

/* the stable_token, shared by the threads, fetched again before it expires */
static struct {
	pthread_mutex_t lock;
	char token[600];
	int64_t expires;	/* time(NULL) */
} wx = { PTHREAD_MUTEX_INITIALIZER, "", 0 };

static int
wechat_token(struct worker_ctx *ctx, char *out, size_t outlen, struct job_result *res)
{
	const char *base = config_str(ctx->cfg, "wechat", "api_url"), *appid = config_str(ctx->cfg, "wechat", "appid");
	const char *secret = config_str(ctx->cfg, "wechat", "secret");
	struct http_response *resp;
	cJSON *b, *root;
	char *json, *url;
	int rc = -1;

	pthread_mutex_lock(&wx.lock);
	if (wx.token[0] != '\0' && time(NULL) < wx.expires) {
		snprintf(out, outlen, "%s", wx.token);
		pthread_mutex_unlock(&wx.lock);
		return 0;
	}
	if (appid == NULL || secret == NULL) {
		pthread_mutex_unlock(&wx.lock);
		job_set(res, JOB_RETRY, "wechat", "[wechat] appid and secret must be set (docs/alerts.md)");
		return -1;
	}
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "grant_type", "client_credential");
	cJSON_AddStringToObject(b, "appid", appid);
	cJSON_AddStringToObject(b, "secret", secret);
	json = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	url = xasprintf("%s/cgi-bin/stable_token", base);
	resp = xmalloc(sizeof *resp);
	{
		const char *headers[] = { "Content-Type: application/json", NULL };
		rc = http_request(ctx->http, "POST", url, headers, json, strlen(json), resp);
	}
	free(url);
	free(json);
	if (rc != 0 || resp->status != 200) {
		job_set(res, JOB_RETRY, "wechat", "stable_token: %s", rc != 0 ? resp->error : "HTTP error");
		res->http_status = (int)resp->status;
		rc = -1;
	} else {
		root = cJSON_Parse(resp->body);
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(root, "access_token"));
		cJSON *exp = cJSON_GetObjectItem(root, "expires_in");
		if (t == NULL || strlen(t) >= sizeof wx.token) {
			job_set(res, JOB_RETRY, "wechat", "stable_token refused: %.300s", resp->body);
			rc = -1;
		} else {
			snprintf(wx.token, sizeof wx.token, "%s", t);
			/* renew five minutes early */
			wx.expires = time(NULL) + (cJSON_IsNumber(exp) ? (int64_t)exp->valuedouble : 7200) - 300;
			snprintf(out, outlen, "%s", t);
			rc = 0;
		}
		cJSON_Delete(root);
	}
	free(resp);
	pthread_mutex_unlock(&wx.lock);
	return rc;
}

static void
wechat_token_drop(const char *token)
{
	pthread_mutex_lock(&wx.lock);
	if (strcmp(wx.token, token) == 0)
		wx.token[0] = '\0';
	pthread_mutex_unlock(&wx.lock);
}

/* a "thing" value: at most 20 characters (UTF-8 code points) */
static void
utf8_cut(const char *s, int chars, char *out, size_t outlen)
{
	size_t o = 0;
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && n < chars; n++) {
		size_t l = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		if (o + l >= outlen)
			break;
		for (size_t i = 0; i < l && p[i] != '\0'; i++)
			out[o++] = (char)p[i];
		p += l;
		if (p[-1] == '\0')
			break;
	}
	out[o] = '\0';
}

static void
field(cJSON *data, const char *name, const char *value)
{
	cJSON *f = cJSON_CreateObject();

	cJSON_AddStringToObject(f, "value", value);
	cJSON_AddItemToObject(data, name, f);
}

void
alerts_deliver_wechat(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	const char *base = config_str(ctx->cfg, "wechat", "api_url");
	const char *tmpl = config_str(ctx->cfg, "wechat", "template_id");
	struct http_response *resp = NULL;
	char token[600], thing[100], detail[100], amount[40], when[40];
	cJSON *b, *data, *root = NULL;
	struct delivery d;
	char *json = NULL, *url = NULL;
	int rc;

	if (delivery_parse(job, &d, res, "wechat") != 0)
		goto out;
	if (tmpl == NULL) {
		job_set(res, JOB_RETRY, "wechat", "[wechat] template_id must be set (docs/alerts.md)");
		goto out;
	}
	if (wechat_token(ctx, token, sizeof token, res) != 0)
		goto out;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "touser", d.to);
	cJSON_AddStringToObject(b, "template_id", tmpl);
	cJSON_AddStringToObject(b, "page", config_str(ctx->cfg, "wechat", "page"));
	data = cJSON_CreateObject();
	utf8_cut(d.title, 20, thing, sizeof thing);
	field(data, "thing1", thing);
	{
		char y[MONEY_FMT_LEN];
		snprintf(amount, sizeof amount, "¥%s", money_format(d.balance_fen, y));
	}
	field(data, "amount2", amount);
	utf8_cut(d.text, 20, detail, sizeof detail);
	snprintf(when, sizeof when, "%s", d.event_local ? d.event_local : "");
	if (strlen(when) >= 16)
		when[10] = ' ';
	field(data, "time3", when);
	field(data, "thing4", detail);
	cJSON_AddItemToObject(b, "data", data);
	cJSON_AddStringToObject(b, "miniprogram_state", config_str(ctx->cfg, "wechat", "miniprogram_state"));
	cJSON_AddStringToObject(b, "lang", strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d.root, "lang")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(d.root, "lang")) : "zh", "en") == 0 ? "en_US" : "zh_CN");
	json = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	url = xasprintf("%s/cgi-bin/message/subscribe/send?access_token=%s", base, token);
	resp = xmalloc(sizeof *resp);
	{
		const char *headers[] = { "Content-Type: application/json", NULL };
		rc = http_request(ctx->http, "POST", url, headers, json, strlen(json), resp);
	}
	if (transport_retry(res, "wechat", rc, resp))
		goto out;
	root = cJSON_Parse(resp->body);
	{
		cJSON *ec = cJSON_GetObjectItem(root, "errcode");
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(root, "errmsg"));
		long code = cJSON_IsNumber(ec) ? (long)ec->valuedouble : -2;
		if (code == 0)
			job_set(res, JOB_DONE, "wechat", "%s", "");
		else if (code == 43101)
			job_set(res, JOB_FAILED, "wechat", "WeChat 43101: the tenant has no subscription left for this "
			    "message (they must subscribe again in the mini-program); not retried");
		else if (code == 40003)
			job_set(res, JOB_FAILED, "wechat", "WeChat 40003: openid %s is unknown to this mini-program "
			    "(fix the contact with prepayctl contact)", d.to);
		else if (code == 40001 || code == 42001 || code == 40014) {
			wechat_token_drop(token);
			job_set(res, JOB_RETRY, "wechat", "WeChat %ld: the access token was refused; fetching a new one", code);
			res->retry_after_ms = 1;
		} else if (code == -1 || code == 45009 || code == -2)
			job_set(res, JOB_RETRY, "wechat", "WeChat %ld: %s", code, msg ? msg : "busy");
		else
			job_set(res, JOB_FAILED, "wechat", "WeChat %ld: %s", code, msg ? msg : "");
	}
out:
	cJSON_Delete(root);
	cJSON_Delete(d.root);
	free(json);
	free(url);
	free(resp);
}

void
alerts_deliver_webhook(struct worker_ctx *ctx, const struct job *job, struct job_result *res)
{
	const char *secret = config_str(ctx->cfg, "webhook", "secret");
	struct http_response *resp = NULL;
	char sig[128], h_sig[160], h_ts[64], h_id[240];
	cJSON *b;
	struct delivery d;
	char *json = NULL;
	int64_t ts;
	int rc;

	if (delivery_parse(job, &d, res, "webhook") != 0)
		goto out;
	if (secret == NULL) {
		job_set(res, JOB_RETRY, "webhook", "[webhook] secret must be set (docs/alerts.md)");
		goto out;
	}
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "id", job->dedupe_key);
	cJSON_AddStringToObject(b, "kind", d.kind);
	if (d.account != NULL)
		cJSON_AddStringToObject(b, "account", d.account);
	cJSON_AddStringToObject(b, "title", d.title);
	cJSON_AddStringToObject(b, "text", d.text);
	cJSON_AddStringToObject(b, "lang", cJSON_GetStringValue(cJSON_GetObjectItem(d.root, "lang")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(d.root, "lang")) : "zh");
	if (cJSON_GetObjectItem(d.root, "balance_fen") != NULL)
		cJSON_AddNumberToObject(b, "balance_fen", (double)d.balance_fen);
	if (d.event_local != NULL)
		cJSON_AddStringToObject(b, "at_local", d.event_local);
	json = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	ts = (int64_t)time(NULL);
	sign_webhook(secret, ts, json, strlen(json), sig, sizeof sig);
	snprintf(h_sig, sizeof h_sig, "X-Prepay-Signature: %s", sig);
	snprintf(h_ts, sizeof h_ts, "X-Prepay-Timestamp: %lld", (long long)ts);
	/* receivers dedupe on it: a retry after a lost answer repeats it */
	snprintf(h_id, sizeof h_id, "X-Prepay-Delivery: %s", job->dedupe_key);
	resp = xmalloc(sizeof *resp);
	{
		const char *headers[] = { "Content-Type: application/json", h_sig, h_ts, h_id, NULL };
		rc = http_request(ctx->http, "POST", d.to, headers, json, strlen(json), resp);
	}
	if (transport_retry(res, "webhook", rc, resp))
		goto out;
	if (resp->status >= 200 && resp->status < 300)
		job_set(res, JOB_DONE, "webhook", "%s", "");
	else
		job_set(res, JOB_FAILED, "webhook", "the webhook answered HTTP %ld: it refuses the message "
		    "(check its URL and secret)", resp->status);
out:
	cJSON_Delete(d.root);
	free(json);
	free(resp);
}
