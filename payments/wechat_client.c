#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "lib/log.h"
#include "payments/wechat_client.h"

/* The whole of a small file (keys, certificates). */
static char *
read_small_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open it", path);
		return NULL;
	}
	buf = malloc(65537);
	n = buf != NULL ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0 || n == 65536) {
		free(buf);
		snprintf(err, errlen, "%s: empty or larger than 64 KiB", path);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int
add_key_file(struct pay_wechat *w, const char *serial, const char *path, char *err, size_t errlen)
{
	char why[200];
	size_t len;
	char *pem = read_small_file(path, &len, err, errlen);
	int rc;

	if (pem == NULL)
		return -1;
	rc = wechat_keyring_add_pem(&w->keys, serial, pem, len, why, sizeof why);
	free(pem);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

static void
set(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v != NULL ? v : "");
}

int
pay_wechat_load(const struct config *c, struct pay_wechat *w, char *err, size_t errlen)
{
	const char *v, *pk = config_str(c, "wechatpay", "public_key"), *id = config_str(c, "wechatpay", "public_key_id");
	const char *cert = config_str(c, "wechatpay", "platform_cert");

	memset(w, 0, sizeof *w);
	wechat_keyring_init(&w->keys);
	set(w->mchid, sizeof w->mchid, config_str(c, "wechatpay", "mchid"));
	set(w->appid, sizeof w->appid, config_str(c, "wechatpay", "appid"));
	set(w->serial, sizeof w->serial, config_str(c, "wechatpay", "merchant_serial"));
	set(w->api_url, sizeof w->api_url, config_str(c, "wechatpay", "api_url"));
	set(w->notify_url, sizeof w->notify_url, config_str(c, "wechatpay", "notify_url"));
	w->timeout_ms = (long)config_int(c, "wechatpay", "timeout_ms");
	w->order_ttl_s = (int)config_int(c, "wechatpay", "order_ttl_s");
	w->min_topup_fen = config_int(c, "wechatpay", "min_topup_fen");
	w->max_topup_fen = config_int(c, "wechatpay", "max_topup_fen");

	if (pk != NULL) {
		if (id == NULL) {
			snprintf(err, errlen, "[wechatpay] public_key needs public_key_id (PUB_KEY_ID_…) beside it");
			goto fail;
		}
		if (add_key_file(w, id, pk, err, errlen) != 0)
			goto fail;
	}
	if (cert != NULL && add_key_file(w, NULL, cert, err, errlen) != 0)
		goto fail;
	if ((v = config_str(c, "wechatpay", "apiv3_key")) != NULL) {
		if (strlen(v) != WECHAT_APIV3_KEY_LEN) {
			snprintf(err, errlen, "[wechatpay] apiv3_key must be the 32-character APIv3 key, not %zu characters",
			    strlen(v));
			goto fail;
		}
		memcpy(w->apiv3_key, v, WECHAT_APIV3_KEY_LEN);
	}
	if ((v = config_str(c, "wechatpay", "merchant_key")) != NULL &&
	    (w->merchant_key = wechat_private_key_parse(v, strlen(v), err, errlen)) == NULL)
		goto fail;

	w->can_verify = w->keys.n > 0 && config_str(c, "wechatpay", "apiv3_key") != NULL;
	if (!w->can_verify)
		snprintf(w->problem, sizeof w->problem, "[wechatpay] needs public_key_id + public_key and/or platform_cert,"
		    " and apiv3_key, to accept notifications");
	w->can_order = w->can_verify && w->mchid[0] && w->appid[0] && w->serial[0] && w->merchant_key != NULL &&
	    w->notify_url[0] && w->api_url[0];
	if (w->can_verify && !w->can_order)
		snprintf(w->problem, sizeof w->problem, "[wechatpay] needs mchid, appid, merchant_serial, merchant_key"
		    " and notify_url to place orders");
	return 0;
fail:
	pay_wechat_free(w);
	return -1;
}

void
pay_wechat_free(struct pay_wechat *w)
{
	wechat_keyring_free(&w->keys);
	EVP_PKEY_free(w->merchant_key);
	w->merchant_key = NULL;
	OPENSSL_cleanse(w->apiv3_key, sizeof w->apiv3_key);
}

void
wechat_response_free(struct wechat_response *r)
{
	free(r->body);
	r->body = NULL;
}

struct sink {
	char *data;
	size_t len;
	int too_big;
	char serial[WECHAT_SERIAL_MAX + 1], signature[700], timestamp[24], nonce[80], request_id[80];
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n;
	char *nd;

	if (s->len + add > WECHAT_RESPONSE_MAX) {
		s->too_big = 1;
		return 0;	/* a bounded buffer: more than any answer is an error */
	}
	if ((nd = realloc(s->data, s->len + add + 1)) == NULL)
		return 0;
	s->data = nd;
	memcpy(s->data + s->len, p, add);
	s->len += add;
	s->data[s->len] = '\0';
	return add;
}

static void
header_value(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name), vl;

	if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	vl = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, line, vl);
	out[vl] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	header_value(p, len, "Wechatpay-Serial", s->serial, sizeof s->serial);
	header_value(p, len, "Wechatpay-Signature", s->signature, sizeof s->signature);
	header_value(p, len, "Wechatpay-Timestamp", s->timestamp, sizeof s->timestamp);
	header_value(p, len, "Wechatpay-Nonce", s->nonce, sizeof s->nonce);
	header_value(p, len, "Request-ID", s->request_id, sizeof s->request_id);
	return len;
}

static int
call_once(const struct pay_wechat *w, const char *method, const char *path_query, const char *body,
    struct wechat_response *out, CURLcode *cc, char *err, size_t errlen, const char *full_url)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct sink s;
	unsigned char rnd[16];
	char nonce[33], auth[1400], url[1024], line[1500];
	size_t body_len = body != NULL ? strlen(body) : 0;
	struct wechat_signed sg;
	int rc = -1;

	memset(&s, 0, sizeof s);
	*cc = CURLE_OK;
	if (h == NULL || RAND_bytes(rnd, sizeof rnd) != 1) {
		snprintf(err, errlen, "cannot start an HTTP request");
		goto out;
	}
	for (int i = 0; i < 16; i++)
		snprintf(nonce + 2 * i, 3, "%02X", rnd[i]);
	{
		struct wechat_merchant m = { w->mchid, w->serial, w->merchant_key };
		if (wechat_authorization(&m, method, path_query, body, body_len, (int64_t)time(NULL), nonce,
		    auth, sizeof auth) != 0) {
			snprintf(err, errlen, "cannot sign the request with [wechatpay] merchant_key");
			goto out;
		}
	}
	snprintf(url, sizeof url, "%s%s", full_url ? "" : w->api_url, full_url ? full_url : path_query);
	snprintf(line, sizeof line, "Authorization: %s", auth);
	hdrs = curl_slist_append(hdrs, line);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "User-Agent: prepay/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, w->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, w->timeout_ms < 3000 ? w->timeout_ms : 3000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
	if ((*cc = curl_easy_perform(h)) != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s%s", method, url, curl_easy_strerror(*cc),
		    s.too_big ? " (the answer is larger than any WeChat Pay answer)" : "");
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	set(out->request_id, sizeof out->request_id, s.request_id);
	if (full_url != NULL) {
		/* a bill download is not signed: the caller checks its SHA1 */
		out->verified = WECHAT_VERIFY_OK;
		out->body = s.data;
		out->body_len = s.len;
		s.data = NULL;
		rc = 0;
		goto out;
	}
	sg.serial = s.serial;
	sg.signature = s.signature;
	sg.timestamp = s.timestamp;
	sg.nonce = s.nonce;
	sg.body = s.data != NULL ? s.data : "";
	sg.body_len = s.len;
	out->verified = wechat_verify(&w->keys, &sg, (int64_t)time(NULL));
	if (out->verified != WECHAT_VERIFY_OK) {
		snprintf(err, errlen, "%s %s answered %ld but not as WeChat Pay: %s", method, url, out->status,
		    wechat_verify_strerror(out->verified));
		goto out;
	}
	out->body = s.data;
	out->body_len = s.len;
	s.data = NULL;
	rc = 0;
out:
	free(s.data);
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	return rc;
}

int
wechat_call(const struct pay_wechat *w, const char *method, const char *path_query, const char *body,
    struct wechat_response *out, char *err, size_t errlen)
{
	CURLcode cc;

	memset(out, 0, sizeof *out);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (call_once(w, method, path_query, body, out, &cc, err, errlen, NULL) == 0)
			return 0;
		/* repeat only what cannot have been done twice */
		if (cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST &&
		    !(cc == CURLE_OPERATION_TIMEDOUT && strcmp(method, "GET") == 0))
			break;
		log_warn("WeChat Pay: %s; trying once more", err);
	}
	return -1;
}

int
wechat_download(const struct pay_wechat *w, const char *url, struct wechat_response *out, char *err, size_t errlen)
{
	const char *p = strstr(url, "://");
	CURLcode cc;

	memset(out, 0, sizeof *out);
	/* the signature covers the path and query of the download URL */
	if (p == NULL || (p = strchr(p + 3, '/')) == NULL) {
		snprintf(err, errlen, "download_url '%.100s' is not an http(s) URL", url);
		return -1;
	}
	return call_once(w, "GET", p, NULL, out, &cc, err, errlen, url);
}
