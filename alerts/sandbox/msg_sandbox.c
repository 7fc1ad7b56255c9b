/*
 * prepay-msg-sandbox — the message providers on loopback, for the stack and
 * the tests (docs/alerts.md): Tencent Cloud SMS (POST / with X-TC-Action),
 * Aliyun SMS (GET /?Action=SendSms…), WeChat stable_token and
 * subscribeMessage.send, and a webhook receiver (POST /hook/…). Each checks
 * the request's signature the way the provider does, with the secrets of
 * the same config file, records what arrived and answers like the provider.
 *
 * Control (for tests):
 *   GET  /_sandbox/messages[?channel=sms]   one JSON object per line
 *   GET  /_sandbox/stats                    counts
 *   POST /_sandbox/fail?channel=C&n=N&mode=http500|timeout|code|slow[&code=X]
 *        the next N requests of channel C (sms, wechat, webhook, all) fail:
 *        HTTP 500, no answer for 30 s, the provider's error code X, or
 *        (slow) accepted and recorded but answered X ms late
 *   POST /_sandbox/wechat/user?openid=O&quota=N   a subscribed user (N sends; -1 any)
 *   POST /_sandbox/reset
 *
 *   prepay-msg-sandbox [-c FILE] [--listen 127.0.0.1:8092]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "alerts/message.h"
#include "alerts/sign.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"

#define HEAD_MAX 16384
#define BODY_MAX 65536
#define RECORDS_MAX 200000	/* then new arrivals are answered but not kept */
#define USERS_MAX 4096
#define SKEW_S 300

struct record {
	int64_t seq, at_us;
	char channel[16];
	char to[80];
	char id[120];		/* our dedupe key as the provider echoes it */
	char template[64];
	char *text;		/* params / data / body */
	char verdict[64];	/* what we answered: ok, or the error code */
};

struct user {
	char openid[80];
	int quota;
};

static struct {
	pthread_mutex_t lock;
	struct record *rec;
	int64_t nrec, seq;
	char fail_channel[16], fail_mode[16], fail_code[64];
	int fail_n;
	long sig_failures;
	struct user users[USERS_MAX];
	int nusers;
	char token[64];
	int64_t token_expires;
	int64_t msgid;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const struct config *cfg;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct req {
	char method[8], path[2048], query[8192];
	char host[256], ctype[128], auth[600], tc_ts[32], tc_action[64], wh_sig[128], wh_ts[32], wh_id[200];
	char *body;
	size_t body_len;
	int close;
};

struct resp {
	int status;
	char *body;
	long delay_ms;		/* "slow": answer this much later */
};

static void
reply(struct resp *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
reply(struct resp *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	free(r->body);
	va_start(ap, fmt);
	if (vasprintf(&r->body, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
}

static void
record(const char *channel, const char *to, const char *id, const char *tmpl, const char *text, const char *verdict)
{
	struct record *r;

	pthread_mutex_lock(&st.lock);
	if (st.nrec < RECORDS_MAX) {
		r = &st.rec[st.nrec++];
		memset(r, 0, sizeof *r);
		r->seq = ++st.seq;
		r->at_us = now_us();
		snprintf(r->channel, sizeof r->channel, "%s", channel);
		snprintf(r->to, sizeof r->to, "%s", to ? to : "");
		snprintf(r->id, sizeof r->id, "%s", id ? id : "");
		snprintf(r->template, sizeof r->template, "%s", tmpl ? tmpl : "");
		r->text = xstrdup(text ? text : "");
		snprintf(r->verdict, sizeof r->verdict, "%s", verdict);
	}
	pthread_mutex_unlock(&st.lock);
}

/* 1 when this request must fail as asked (mode copied out) */
static int
take_failure(const char *channel, char *mode, char *code)
{
	int hit = 0;

	pthread_mutex_lock(&st.lock);
	if (st.fail_n > 0 && (strcmp(st.fail_channel, "all") == 0 || strcmp(st.fail_channel, channel) == 0)) {
		st.fail_n--;
		hit = 1;
		snprintf(mode, 16, "%s", st.fail_mode);
		snprintf(code, 64, "%s", st.fail_code);
	}
	pthread_mutex_unlock(&st.lock);
	return hit;
}

static long
num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s != '\0' && *end == '\0' ? v : 0;
}

static void
sig_failed(void)
{
	pthread_mutex_lock(&st.lock);
	st.sig_failures++;
	pthread_mutex_unlock(&st.lock);
}

/* the failure as the channel's provider would send it; 1 when answered */
static int
inject(const char *channel, struct resp *r)
{
	char mode[16], code[64];

	if (!take_failure(channel, mode, code))
		return 0;
	if (strcmp(mode, "slow") == 0) {
		/* handled normally (and recorded) now, answered late */
		r->delay_ms = num(code) > 0 ? num(code) : 3000;
		return 0;
	}
	if (strcmp(mode, "timeout") == 0) {
		/* longer than any sane client timeout */
		sleep(30);
		reply(r, 504, "{\"error\":\"sandbox timeout\"}");
	} else if (strcmp(mode, "code") == 0) {
		if (strcmp(channel, "wechat") == 0)
			reply(r, 200, "{\"errcode\":%s,\"errmsg\":\"sandbox injected\"}", code[0] ? code : "-1");
		else if (strcmp(channel, "sms") == 0)
			reply(r, 200, "{\"Response\":{\"Error\":{\"Code\":\"%s\",\"Message\":\"sandbox injected\"},"
			    "\"RequestId\":\"sandbox\"}}", code[0] ? code : "InternalError");
		else
			reply(r, num(code) >= 400 && num(code) < 600 ? (int)num(code) : 500, "{\"error\":\"sandbox injected\"}");
	} else
		reply(r, 500, "{\"error\":\"sandbox injected HTTP 500\"}");
	record(channel, "", "", "", "", mode);
	return 1;
}

static const char *
qparam(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *p = query; p && *p;) {
		const char *e = strchr(p, '&');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			if (sign_pct_decode(p + nl + 1, l - nl - 1, 1, out, outlen) < 0)
				return NULL;
			return out;
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

static void
tencent(struct req *q, struct resp *r)
{
	const char *id = config_str(cfg, "sms", "tencent_secret_id"), *key = config_str(cfg, "sms", "tencent_secret_key");
	char want_auth[512], sig[SIGN_HEX256_LEN], err[300];
	struct tc3_request rq = { id, key, "sms", q->host, 0, q->body, q->body_len };
	cJSON *b = NULL, *phones, *params;
	const char *phone, *ctx, *tmpl;
	char *ptext;
	long long ts;

	if (inject("sms", r))
		return;
	ts = strtoll(q->tc_ts, NULL, 10);
	rq.timestamp = ts;
	if (id == NULL || key == NULL || strcmp(q->ctype, "application/json; charset=utf-8") != 0 ||
	    sign_tc3(&rq, sig, want_auth, sizeof want_auth) != 0 || !sign_equal(q->auth, want_auth)) {
		sig_failed();
		record("sms:tencent", "", "", "", q->body, "AuthFailure.SignatureFailure");
		reply(r, 200, "{\"Response\":{\"Error\":{\"Code\":\"AuthFailure.SignatureFailure\",\"Message\":"
		    "\"The provided credentials could not be validated.\"},\"RequestId\":\"sandbox\"}}");
		return;
	}
	if (llabs(ts - (long long)time(NULL)) > SKEW_S) {
		sig_failed();
		reply(r, 200, "{\"Response\":{\"Error\":{\"Code\":\"AuthFailure.SignatureExpire\",\"Message\":"
		    "\"Signature expired.\"},\"RequestId\":\"sandbox\"}}");
		return;
	}
	b = cJSON_Parse(q->body);
	phones = cJSON_GetObjectItem(b, "PhoneNumberSet");
	phone = cJSON_GetStringValue(cJSON_GetArrayItem(phones, 0));
	ctx = cJSON_GetStringValue(cJSON_GetObjectItem(b, "SessionContext"));
	tmpl = cJSON_GetStringValue(cJSON_GetObjectItem(b, "TemplateId"));
	params = cJSON_GetObjectItem(b, "TemplateParamSet");
	ptext = params ? cJSON_PrintUnformatted(params) : xstrdup("[]");
	if (phone == NULL || cJSON_GetArraySize(phones) != 1 || alert_contact_check("sms", phone, err, sizeof err) != 0) {
		record("sms:tencent", phone, ctx, tmpl, ptext, "InvalidParameterValue.IncorrectPhoneNumber");
		reply(r, 200, "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"\",\"PhoneNumber\":\"%s\",\"Fee\":0,"
		    "\"Code\":\"InvalidParameterValue.IncorrectPhoneNumber\",\"Message\":\"incorrect number format\"}],"
		    "\"RequestId\":\"sandbox\"}}", phone ? "?" : "");
	} else {
		record("sms:tencent", phone, ctx, tmpl, ptext, "Ok");
		reply(r, 200, "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"sandbox-%" PRId64 "\",\"PhoneNumber\":"
		    "\"%s\",\"Fee\":1,\"SessionContext\":\"%s\",\"Code\":\"Ok\",\"Message\":\"send success\","
		    "\"IsoCode\":\"CN\"}],\"RequestId\":\"sandbox\"}}", st.seq, phone, ctx ? ctx : "");
	}
	free(ptext);
	cJSON_Delete(b);
}

static void
aliyun(struct req *q, struct resp *r)
{
	const char *id = config_str(cfg, "sms", "aliyun_access_key_id");
	const char *secret = config_str(cfg, "sms", "aliyun_access_key_secret");
	struct sign_param p[32];
	char *names[32], *values[32], got[128] = "", want[64], canon[8192], phone[64], err[300];
	const char *outid = NULL, *tmpl = NULL, *tparam = NULL, *akid = NULL, *stamp = NULL, *phones = NULL;
	size_t n = 0;

	if (inject("sms", r))
		return;
	for (const char *s = q->query; *s && n < 32;) {
		const char *e = strchr(s, '&'), *eq;
		size_t l = e ? (size_t)(e - s) : strlen(s);
		char *nm = xmalloc(l + 1), *val = xmalloc(l + 1);
		eq = memchr(s, '=', l);
		if (eq == NULL || sign_pct_decode(s, (size_t)(eq - s), 0, nm, l + 1) < 0 ||
		    sign_pct_decode(eq + 1, l - (size_t)(eq - s) - 1, 0, val, l + 1) < 0) {
			free(nm);
			free(val);
			break;
		}
		if (strcmp(nm, "Signature") == 0) {
			snprintf(got, sizeof got, "%s", val);
			free(nm);
			free(val);
		} else {
			names[n] = nm;
			values[n] = val;
			p[n].name = nm;
			p[n].value = val;
			n++;
		}
		s = e ? e + 1 : s + l;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "OutId") == 0) outid = values[i];
		if (strcmp(names[i], "TemplateCode") == 0) tmpl = values[i];
		if (strcmp(names[i], "TemplateParam") == 0) tparam = values[i];
		if (strcmp(names[i], "AccessKeyId") == 0) akid = values[i];
		if (strcmp(names[i], "Timestamp") == 0) stamp = values[i];
		if (strcmp(names[i], "PhoneNumbers") == 0) phones = values[i];
	}
	if (id == NULL || secret == NULL || akid == NULL || strcmp(akid, id) != 0 ||
	    sign_aliyun_v1("GET", p, n, secret, canon, sizeof canon, want, sizeof want) != 0 || !sign_equal(got, want)) {
		sig_failed();
		record("sms:aliyun", phones, outid, tmpl, tparam, "SignatureDoesNotMatch");
		reply(r, 400, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"Specified signature is not matched "
		    "with our calculation.\",\"RequestId\":\"sandbox\"}");
		goto out;
	}
	{
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		if (stamp == NULL || strptime(stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL ||
		    llabs((long long)timegm(&tm) - (long long)time(NULL)) > 900) {
			reply(r, 400, "{\"Code\":\"InvalidTimeStamp.Expired\",\"Message\":\"Specified time stamp or date "
			    "value is expired.\",\"RequestId\":\"sandbox\"}");
			goto out;
		}
	}
	snprintf(phone, sizeof phone, "+%s", phones ? phones : "");
	if (phones == NULL || alert_contact_check("sms", phone, err, sizeof err) != 0) {
		record("sms:aliyun", phone, outid, tmpl, tparam, "isv.MOBILE_NUMBER_ILLEGAL");
		reply(r, 200, "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":\"illegal mobile number\","
		    "\"RequestId\":\"sandbox\"}");
		goto out;
	}
	record("sms:aliyun", phone, outid, tmpl, tparam, "OK");
	reply(r, 200, "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"sandbox-%" PRId64 "\",\"RequestId\":\"sandbox\"}",
	    st.seq);
out:
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(values[i]);
	}
}

static void
stable_token(struct req *q, struct resp *r)
{
	cJSON *b = cJSON_Parse(q->body);
	const char *appid = cJSON_GetStringValue(cJSON_GetObjectItem(b, "appid"));
	const char *secret = cJSON_GetStringValue(cJSON_GetObjectItem(b, "secret"));
	const char *want_app = config_str(cfg, "wechat", "appid"), *want_secret = config_str(cfg, "wechat", "secret");

	if (inject("wechat", r))
		goto out;
	if (appid == NULL || want_app == NULL || strcmp(appid, want_app) != 0) {
		reply(r, 200, "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}");
		goto out;
	}
	if (secret == NULL || want_secret == NULL || !sign_equal(secret, want_secret)) {
		sig_failed();
		reply(r, 200, "{\"errcode\":40125,\"errmsg\":\"invalid appsecret\"}");
		goto out;
	}
	pthread_mutex_lock(&st.lock);
	if (st.token[0] == '\0' || time(NULL) >= st.token_expires) {
		unsigned char raw[16];
		FILE *f = fopen("/dev/urandom", "r");
		if (f == NULL || fread(raw, 1, sizeof raw, f) != sizeof raw)
			fatal("/dev/urandom");
		fclose(f);
		for (int i = 0; i < 16; i++)
			snprintf(st.token + 2 * i, 3, "%02x", raw[i]);
		st.token_expires = time(NULL) + 7200;
	}
	reply(r, 200, "{\"access_token\":\"%s\",\"expires_in\":%lld}", st.token,
	    (long long)(st.token_expires - time(NULL)));
	pthread_mutex_unlock(&st.lock);
	record("wechat_token", appid, "", "", "", "0");
out:
	cJSON_Delete(b);
}

static int
utf8_chars(const char *s)
{
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

static void
subscribe_send(struct req *q, struct resp *r)
{
	char token[80];
	cJSON *b = cJSON_Parse(q->body), *data, *f;
	const char *to, *tmpl, *want_tmpl = config_str(cfg, "wechat", "template_id");
	char *dtext;
	int quota = -2, idx = -1, valid;

	if (inject("wechat", r))
		goto out;
	pthread_mutex_lock(&st.lock);
	valid = qparam(q->query, "access_token", token, sizeof token) != NULL && st.token[0] != '\0' &&
	    strcmp(token, st.token) == 0 && time(NULL) < st.token_expires;
	pthread_mutex_unlock(&st.lock);
	if (!valid) {
		sig_failed();
		reply(r, 200, "{\"errcode\":40001,\"errmsg\":\"invalid credential, access_token is invalid or not latest\"}");
		goto out;
	}
	to = cJSON_GetStringValue(cJSON_GetObjectItem(b, "touser"));
	tmpl = cJSON_GetStringValue(cJSON_GetObjectItem(b, "template_id"));
	data = cJSON_GetObjectItem(b, "data");
	dtext = data ? cJSON_PrintUnformatted(data) : xstrdup("{}");
	if (tmpl == NULL || want_tmpl == NULL || strcmp(tmpl, want_tmpl) != 0) {
		record("wechat", to, "", tmpl, dtext, "40037");
		reply(r, 200, "{\"errcode\":40037,\"errmsg\":\"invalid template_id\"}");
		free(dtext);
		goto out;
	}
	cJSON_ArrayForEach(f, data) {
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(f, "value"));
		if (v == NULL || (strncmp(f->string, "thing", 5) == 0 && utf8_chars(v) > 20)) {
			record("wechat", to, "", tmpl, dtext, "47003");
			reply(r, 200, "{\"errcode\":47003,\"errmsg\":\"argument invalid! data.%s.value invalid\"}", f->string);
			free(dtext);
			goto out;
		}
	}
	pthread_mutex_lock(&st.lock);
	for (int i = 0; to && i < st.nusers; i++)
		if (strcmp(st.users[i].openid, to) == 0) {
			idx = i;
			quota = st.users[i].quota;
		}
	if (idx >= 0 && quota > 0)
		st.users[idx].quota--;
	pthread_mutex_unlock(&st.lock);
	if (idx < 0) {
		record("wechat", to, "", tmpl, dtext, "40003");
		reply(r, 200, "{\"errcode\":40003,\"errmsg\":\"invalid openid\"}");
	} else if (quota == 0) {
		record("wechat", to, "", tmpl, dtext, "43101");
		reply(r, 200, "{\"errcode\":43101,\"errmsg\":\"user refuse to accept the msg\"}");
	} else {
		record("wechat", to, to, tmpl, dtext, "0");
		reply(r, 200, "{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":%" PRId64 "}", st.seq);
	}
	free(dtext);
out:
	cJSON_Delete(b);
}

static void
webhook(struct req *q, struct resp *r)
{
	const char *secret = config_str(cfg, "webhook", "secret");
	char want[128];
	long long ts = strtoll(q->wh_ts, NULL, 10);
	cJSON *b;

	if (inject("webhook", r))
		return;
	if (secret == NULL || sign_webhook(secret, ts, q->body, q->body_len, want, sizeof want) != 0 ||
	    !sign_equal(q->wh_sig, want) || llabs(ts - (long long)time(NULL)) > SKEW_S) {
		sig_failed();
		record("webhook", q->path, q->wh_id, "", q->body, "401");
		reply(r, 401, "{\"error\":\"bad signature or stale timestamp\"}");
		return;
	}
	b = cJSON_Parse(q->body);
	record("webhook", q->path, q->wh_id, cJSON_GetStringValue(cJSON_GetObjectItem(b, "kind")), q->body, "200");
	cJSON_Delete(b);
	reply(r, 200, "{\"ok\":true}");
}

static void
control(struct req *q, struct resp *r)
{
	char v[128], ch[32] = "";

	if (strcmp(q->path, "/_sandbox/messages") == 0) {
		size_t cap = 1 << 16, off = 0;
		char *out = xmalloc(cap);
		qparam(q->query, "channel", ch, sizeof ch);
		out[0] = '\0';
		pthread_mutex_lock(&st.lock);
		for (int64_t i = 0; i < st.nrec; i++) {
			struct record *x = &st.rec[i];
			cJSON *j;
			char *s;
			size_t l;
			if (ch[0] && strncmp(x->channel, ch, strlen(ch)) != 0)
				continue;
			j = cJSON_CreateObject();
			cJSON_AddNumberToObject(j, "seq", (double)x->seq);
			cJSON_AddNumberToObject(j, "at_us", (double)x->at_us);
			cJSON_AddStringToObject(j, "channel", x->channel);
			cJSON_AddStringToObject(j, "to", x->to);
			cJSON_AddStringToObject(j, "id", x->id);
			cJSON_AddStringToObject(j, "template", x->template);
			cJSON_AddStringToObject(j, "text", x->text);
			cJSON_AddStringToObject(j, "verdict", x->verdict);
			s = cJSON_PrintUnformatted(j);
			cJSON_Delete(j);
			l = strlen(s);
			while (off + l + 2 > cap)
				out = xrealloc(out, cap *= 2);
			memcpy(out + off, s, l);
			off += l;
			out[off++] = '\n';
			out[off] = '\0';
			free(s);
		}
		pthread_mutex_unlock(&st.lock);
		r->status = 200;
		free(r->body);
		r->body = out;
	} else if (strcmp(q->path, "/_sandbox/stats") == 0) {
		pthread_mutex_lock(&st.lock);
		reply(r, 200, "{\"received\":%" PRId64 ",\"signature_failures\":%ld,\"fail_pending\":%d}\n", st.nrec,
		    st.sig_failures, st.fail_n);
		pthread_mutex_unlock(&st.lock);
	} else if (strcmp(q->path, "/_sandbox/fail") == 0 && strcmp(q->method, "POST") == 0) {
		char n[16] = "1", mode[16] = "http500", code[64] = "";
		qparam(q->query, "channel", ch, sizeof ch);
		qparam(q->query, "n", n, sizeof n);
		qparam(q->query, "mode", mode, sizeof mode);
		qparam(q->query, "code", code, sizeof code);
		if (strcmp(mode, "http500") != 0 && strcmp(mode, "timeout") != 0 && strcmp(mode, "code") != 0 &&
		    strcmp(mode, "slow") != 0) {
			reply(r, 400, "{\"error\":\"mode must be http500, timeout, code or slow\"}\n");
			return;
		}
		pthread_mutex_lock(&st.lock);
		snprintf(st.fail_channel, sizeof st.fail_channel, "%s", ch[0] ? ch : "all");
		snprintf(st.fail_mode, sizeof st.fail_mode, "%s", mode);
		snprintf(st.fail_code, sizeof st.fail_code, "%s", code);
		st.fail_n = (int)num(n);
		pthread_mutex_unlock(&st.lock);
		reply(r, 200, "{\"ok\":true}\n");
	} else if (strcmp(q->path, "/_sandbox/wechat/user") == 0 && strcmp(q->method, "POST") == 0) {
		char quota[16] = "-1";
		if (qparam(q->query, "openid", v, sizeof v) == NULL) {
			reply(r, 400, "{\"error\":\"openid= is required\"}\n");
			return;
		}
		qparam(q->query, "quota", quota, sizeof quota);
		pthread_mutex_lock(&st.lock);
		if (st.nusers < USERS_MAX) {
			snprintf(st.users[st.nusers].openid, sizeof st.users[0].openid, "%.79s", v);
			st.users[st.nusers++].quota = (int)num(quota);
		}
		pthread_mutex_unlock(&st.lock);
		reply(r, 200, "{\"ok\":true}\n");
	} else if (strcmp(q->path, "/_sandbox/reset") == 0 && strcmp(q->method, "POST") == 0) {
		pthread_mutex_lock(&st.lock);
		for (int64_t i = 0; i < st.nrec; i++)
			free(st.rec[i].text);
		st.nrec = 0;
		st.fail_n = 0;
		st.sig_failures = 0;
		pthread_mutex_unlock(&st.lock);
		reply(r, 200, "{\"ok\":true}\n");
	} else
		reply(r, 404, "{\"error\":\"no such sandbox endpoint\"}\n");
}

static void
route(struct req *q, struct resp *r)
{
	if (strncmp(q->path, "/_sandbox/", 10) == 0)
		control(q, r);
	else if (strcmp(q->method, "POST") == 0 && strcmp(q->path, "/") == 0 && strcmp(q->tc_action, "SendSms") == 0)
		tencent(q, r);
	else if (strcmp(q->method, "GET") == 0 && strcmp(q->path, "/") == 0 && strstr(q->query, "Action=SendSms"))
		aliyun(q, r);
	else if (strcmp(q->method, "POST") == 0 && strcmp(q->path, "/cgi-bin/stable_token") == 0)
		stable_token(q, r);
	else if (strcmp(q->method, "POST") == 0 && strcmp(q->path, "/cgi-bin/message/subscribe/send") == 0)
		subscribe_send(q, r);
	else if (strcmp(q->method, "POST") == 0 && strncmp(q->path, "/hook/", 6) == 0)
		webhook(q, r);
	else
		reply(r, 404, "{\"error\":\"not a provider endpoint this sandbox knows\"}\n");
}

static void
header(struct req *q, const char *name, const char *value)
{
	static const struct { const char *name; size_t off, len; } hs[] = {
		{ "host", offsetof(struct req, host), sizeof ((struct req *)0)->host },
		{ "content-type", offsetof(struct req, ctype), sizeof ((struct req *)0)->ctype },
		{ "authorization", offsetof(struct req, auth), sizeof ((struct req *)0)->auth },
		{ "x-tc-timestamp", offsetof(struct req, tc_ts), sizeof ((struct req *)0)->tc_ts },
		{ "x-tc-action", offsetof(struct req, tc_action), sizeof ((struct req *)0)->tc_action },
		{ "x-prepay-signature", offsetof(struct req, wh_sig), sizeof ((struct req *)0)->wh_sig },
		{ "x-prepay-timestamp", offsetof(struct req, wh_ts), sizeof ((struct req *)0)->wh_ts },
		{ "x-prepay-delivery", offsetof(struct req, wh_id), sizeof ((struct req *)0)->wh_id },
	};

	for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
		if (strcasecmp(name, hs[i].name) == 0)
			snprintf((char *)q + hs[i].off, hs[i].len, "%s", value);
	if (strcasecmp(name, "connection") == 0 && strcasecmp(value, "close") == 0)
		q->close = 1;
}

/* one connection, several requests (keep-alive); bounded head and body */
static void *
conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = xmalloc(HEAD_MAX + BODY_MAX + 1);
	size_t have = 0;

	for (;;) {
		struct req q;
		struct resp r = { 0, NULL, 0 };
		char *end, *line, *next, out[256];
		size_t head_len, clen = 0;
		ssize_t n;

		while ((end = have ? memmem(buf, have, "\r\n\r\n", 4) : NULL) == NULL) {
			if (have >= HEAD_MAX || (n = read(fd, buf + have, HEAD_MAX - have)) <= 0)
				goto done;
			have += (size_t)n;
		}
		head_len = (size_t)(end - buf) + 4;
		memset(&q, 0, sizeof q);
		*end = '\0';
		line = buf;
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		{
			char target[10240];
			if (sscanf(line, "%7s %10239s", q.method, target) != 2)
				goto done;
			char *qm = strchr(target, '?');
			if (qm) {
				*qm = '\0';
				snprintf(q.query, sizeof q.query, "%s", qm + 1);
			}
			snprintf(q.path, sizeof q.path, "%.2047s", target);
		}
		for (line = next ? next + 2 : NULL; line && *line; line = next ? next + 2 : NULL) {
			char *colon;
			if ((next = strstr(line, "\r\n")) != NULL)
				*next = '\0';
			if ((colon = strchr(line, ':')) == NULL)
				continue;
			*colon = '\0';
			for (colon++; *colon == ' '; colon++)
				;
			if (strcasecmp(line, "content-length") == 0)
				clen = strtoul(colon, NULL, 10);
			header(&q, line, colon);
		}
		if (clen > BODY_MAX)
			goto done;
		while (have < head_len + clen) {
			if ((n = read(fd, buf + have, head_len + clen - have)) <= 0)
				goto done;
			have += (size_t)n;
		}
		q.body = xmalloc(clen + 1);
		memcpy(q.body, buf + head_len, clen);
		q.body[clen] = '\0';
		q.body_len = clen;
		memmove(buf, buf + head_len + clen, have - head_len - clen);
		have -= head_len + clen;
		route(&q, &r);
		free(q.body);
		if (r.delay_ms > 0) {
			struct timespec ts = { r.delay_ms / 1000, (r.delay_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		snprintf(out, sizeof out, "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
		    "Content-Length: %zu\r\n%s\r\n", r.status, r.status == 200 ? "OK" : "Error",
		    strlen(r.body), q.close ? "Connection: close\r\n" : "");
		if (write(fd, out, strlen(out)) < 0 || write(fd, r.body, strlen(r.body)) < 0) {
			free(r.body);
			goto done;
		}
		free(r.body);
		if (q.close)
			break;
	}
done:
	free(buf);
	close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *listen_at = NULL;
	char host[64];
	struct sockaddr_in sa;
	int port, fd, one = 1;
	struct config *c;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_at = argv[++i];
		else {
			fputs("usage: prepay-msg-sandbox [-c FILE] [--listen 127.0.0.1:PORT]\n", stderr);
			return 2;
		}
	}
	log_init("prepay-msg-sandbox", LOG_LEVEL_INFO);
	c = settings_load_or_die(conf);
	cfg = c;
	if (listen_at == NULL)
		listen_at = config_str(c, "msg_sandbox", "listen");
	if (sscanf(listen_at, "%63[^:]:%d", host, &port) != 2 || port < 1 || port > 65535)
		fatalx("listen address %s: write it as 127.0.0.1:8092", listen_at);
	st.rec = xcalloc(RECORDS_MAX, sizeof *st.rec);
	signal(SIGPIPE, SIG_IGN);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		fatalx("listen address %s: an IPv4 address is needed", host);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0)
		fatal("listen on %s", listen_at);
	log_info("listening on http://%s (Tencent SMS, Aliyun SMS, WeChat, /hook/, /_sandbox/)", listen_at);
	for (;;) {
		int cfd = accept(fd, NULL, NULL);
		pthread_t t;
		pthread_attr_t at;
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			fatal("accept");
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, conn_main, (void *)(intptr_t)cfd) != 0)
			close(cfd);
		pthread_attr_destroy(&at);
	}
}
