/* Provider request signatures, pure; see sign.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include "alerts/sign.h"
#include "lib/xmalloc.h"

static void
hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
sign_sha256_hex(const void *data, size_t len, char out[SIGN_HEX256_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	hex(md, sizeof md, out);
}

static void
hmac256(const void *key, size_t keylen, const void *data, size_t len, unsigned char md[32])
{
	unsigned int mdlen = 32;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen);
}

void
sign_hmac256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[SIGN_HEX256_LEN])
{
	unsigned char md[32];

	hmac256(key, keylen, data, len, md);
	hex(md, sizeof md, out);
}

int
sign_base64(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	if (outlen < 4 * ((len + 2) / 3) + 1)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int
sign_tc3(const struct tc3_request *rq, char sig[SIGN_HEX256_LEN], char *authorization, size_t authlen)
{
	char body_hash[SIGN_HEX256_LEN], canon_hash[SIGN_HEX256_LEN], date[16], scope[64];
	char *canon, *to_sign, *k0;
	unsigned char k[32];
	time_t t = (time_t)rq->timestamp;
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	snprintf(scope, sizeof scope, "%s/%s/tc3_request", date, rq->service);
	sign_sha256_hex(rq->body, rq->body_len, body_hash);
	canon = xasprintf("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:%s\n\n"
	    "content-type;host\n%s", rq->host, body_hash);
	sign_sha256_hex(canon, strlen(canon), canon_hash);
	free(canon);
	to_sign = xasprintf("TC3-HMAC-SHA256\n%lld\n%s\n%s", (long long)rq->timestamp, scope, canon_hash);
	/* kDate = HMAC("TC3" + key, date); kService; kSigning */
	k0 = xasprintf("TC3%s", rq->secret_key);
	hmac256(k0, strlen(k0), date, strlen(date), k);
	OPENSSL_cleanse(k0, strlen(k0));
	free(k0);
	hmac256(k, 32, rq->service, strlen(rq->service), k);
	hmac256(k, 32, "tc3_request", 11, k);
	sign_hmac256_hex(k, 32, to_sign, strlen(to_sign), sig);
	OPENSSL_cleanse(k, sizeof k);
	free(to_sign);
	if (authorization == NULL)
		return 0;
	n = snprintf(authorization, authlen,
	    "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s",
	    rq->secret_id, scope, sig);
	return n < 0 || (size_t)n >= authlen ? -1 : 0;
}

int
sign_pct_encode(const char *s, char *out, size_t outlen)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		int keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~';
		if (o + (keep ? 1 : 3) >= outlen)
			return -1;
		if (keep)
			out[o++] = (char)*p;
		else {
			out[o++] = '%';
			out[o++] = digits[*p >> 4];
			out[o++] = digits[*p & 15];
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return (int)o;
}

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

int
sign_pct_decode(const char *s, size_t len, int plus_is_space, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= len || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return (int)o;
}

struct enc_pair {
	char *name, *value;
};

static int
pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct enc_pair *)a)->name, ((const struct enc_pair *)b)->name);
}

int
sign_aliyun_v1(const char *method, const struct sign_param *params, size_t n, const char *secret,
    char *query, size_t querylen, char *sig, size_t siglen)
{
	struct enc_pair *e = xcalloc(n ? n : 1, sizeof *e);
	size_t o = 0, elen;
	char *key, *to_sign, *enc_query;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(params[i].name) * 3 + 1, vl = strlen(params[i].value) * 3 + 1;
		e[i].name = xmalloc(nl);
		e[i].value = xmalloc(vl);
		sign_pct_encode(params[i].name, e[i].name, nl);
		sign_pct_encode(params[i].value, e[i].value, vl);
	}
	/* sorted by the encoded name: the same as the raw name for ASCII names */
	qsort(e, n, sizeof *e, pair_cmp);
	if (querylen == 0)
		goto out;
	query[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(query + o, querylen - o, "%s%s=%s", i ? "&" : "", e[i].name, e[i].value);
		if (w < 0 || (size_t)w >= querylen - o)
			goto out;
		o += (size_t)w;
	}
	elen = o * 3 + 1;
	enc_query = xmalloc(elen);
	sign_pct_encode(query, enc_query, elen);
	to_sign = xasprintf("%s&%%2F&%s", method, enc_query);
	free(enc_query);
	key = xasprintf("%s&", secret);
	HMAC(EVP_sha1(), key, (int)strlen(key), (const unsigned char *)to_sign, strlen(to_sign), md, &mdlen);
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	free(to_sign);
	rc = sign_base64(md, mdlen, sig, siglen) < 0 ? -1 : 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
	return rc;
}

int
sign_webhook(const char *secret, int64_t timestamp, const char *body, size_t body_len, char *header,
    size_t headerlen)
{
	char prefix[32], sig[SIGN_HEX256_LEN];
	size_t pl;
	char *msg;
	int n;

	n = snprintf(prefix, sizeof prefix, "%lld.", (long long)timestamp);
	pl = (size_t)n;
	msg = xmalloc(pl + body_len + 1);
	memcpy(msg, prefix, pl);
	memcpy(msg + pl, body, body_len);
	sign_hmac256_hex(secret, strlen(secret), msg, pl + body_len, sig);
	free(msg);
	n = snprintf(header, headerlen, "sha256=%s", sig);
	return n < 0 || (size_t)n >= headerlen ? -1 : 0;
}

int
sign_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}
