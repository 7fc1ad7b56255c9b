#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "payments/wechat.h"

int
wechat_b64_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	if (len > (size_t)1 << 28 || outlen < (len + 2) / 3 * 4 + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return 0;
}

static int
b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

long
wechat_b64_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	size_t pad = 0, i;
	int n;

	/* EVP_DecodeBlock skips blanks and ignores what follows padding: be strict first */
	if (len == 0 || len % 4 != 0 || len > (size_t)1 << 28)
		return len == 0 ? 0 : -1;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!b64_char((unsigned char)in[i]))
			return -1;
	if (outlen < len / 4 * 3)
		return -1;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len)) < 0)
		return -1;
	return (long)n - (long)pad;
}

void
wechat_keyring_init(struct wechat_keyring *kr)
{
	memset(kr, 0, sizeof *kr);
}

int
wechat_keyring_add_pem(struct wechat_keyring *kr, const char *serial, const char *pem, size_t len,
    char *err, size_t errlen)
{
	BIO *b;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	char hex[WECHAT_SERIAL_MAX + 1] = "";

	if (kr->n >= WECHAT_KEYS_MAX) {
		snprintf(err, errlen, "more than %d WeChat Pay keys", WECHAT_KEYS_MAX);
		return -1;
	}
	if (len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "cannot read the key");
		return -1;
	}
	if (memmem(pem, len, "BEGIN CERTIFICATE", 17) != NULL) {
		if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
			BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
			char *h = bn != NULL ? BN_bn2hex(bn) : NULL;

			if (h != NULL)
				snprintf(hex, sizeof hex, "%s", h);
			OPENSSL_free(h);
			BN_free(bn);
			k = X509_get_pubkey(x);
			X509_free(x);
		}
	} else
		k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "not an RSA public key or certificate in PEM form");
		return -1;
	}
	if (serial == NULL || *serial == '\0')
		serial = hex;
	if (*serial == '\0' || strlen(serial) > WECHAT_SERIAL_MAX) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "the key needs a serial (public key id or certificate serial) of 1 to %d characters",
		    WECHAT_SERIAL_MAX);
		return -1;
	}
	snprintf(kr->keys[kr->n].serial, sizeof kr->keys[kr->n].serial, "%s", serial);
	kr->keys[kr->n].pkey = k;
	kr->n++;
	return 0;
}

EVP_PKEY *
wechat_keyring_find(const struct wechat_keyring *kr, const char *serial)
{
	for (int i = 0; i < kr->n; i++)
		if (strcmp(kr->keys[i].serial, serial) == 0)
			return kr->keys[i].pkey;
	return NULL;
}

void
wechat_keyring_free(struct wechat_keyring *kr)
{
	for (int i = 0; i < kr->n; i++)
		EVP_PKEY_free(kr->keys[i].pkey);
	kr->n = 0;
}

EVP_PKEY *
wechat_private_key_parse(const char *pem, size_t len, char *err, size_t errlen)
{
	BIO *b;
	EVP_PKEY *k;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "cannot read the key");
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "not an RSA private key in PEM form (openssl genpkey -algorithm RSA makes one)");
		return NULL;
	}
	return k;
}

int
wechat_rsa_sign(EVP_PKEY *key, const char *msg, size_t len, char *out_b64, size_t outlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof sig;
	int rc = -1;

	if (ctx == NULL || key == NULL || EVP_PKEY_get_size(key) > (int)sizeof sig)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, len) != 1)
		goto out;
	rc = wechat_b64_encode(sig, siglen, out_b64, outlen);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
wechat_rsa_verify(EVP_PKEY *key, const char *msg, size_t len, const char *sig_b64)
{
	unsigned char sig[1024];
	long n;
	EVP_MD_CTX *ctx;
	int ok;

	if (key == NULL || sig_b64 == NULL)
		return 0;
	if ((n = wechat_b64_decode(sig_b64, strlen(sig_b64), sig, sizeof sig)) <= 0)
		return 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, (size_t)n, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Joins parts, each followed by '\n', into a heap buffer. */
static char *
join_lines(const char **parts, const size_t *lens, int n, size_t *outlen)
{
	size_t total = 0, off = 0;
	char *s;

	for (int i = 0; i < n; i++)
		total += lens[i] + 1;
	if ((s = malloc(total + 1)) == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		memcpy(s + off, parts[i], lens[i]);
		off += lens[i];
		s[off++] = '\n';
	}
	s[off] = '\0';
	*outlen = off;
	return s;
}

int
wechat_authorization(const struct wechat_merchant *m, const char *method, const char *path_query,
    const char *body, size_t body_len, int64_t timestamp, const char *nonce, char *out, size_t outlen)
{
	char ts[24], sig[700];
	const char *parts[5];
	size_t lens[5], mlen;
	char *msg;
	int rc, n;

	snprintf(ts, sizeof ts, "%lld", (long long)timestamp);
	parts[0] = method; parts[1] = path_query; parts[2] = ts; parts[3] = nonce; parts[4] = body ? body : "";
	for (int i = 0; i < 5; i++)
		lens[i] = i == 4 ? (body ? body_len : 0) : strlen(parts[i]);
	if ((msg = join_lines(parts, lens, 5, &mlen)) == NULL)
		return -1;
	rc = wechat_rsa_sign(m->key, msg, mlen, sig, sizeof sig);
	free(msg);
	if (rc != 0)
		return -1;
	n = snprintf(out, outlen, "%s mchid=\"%s\",nonce_str=\"%s\",signature=\"%s\",timestamp=\"%s\",serial_no=\"%s\"",
	    WECHAT_SIGNATURE_TYPE, m->mchid, nonce, sig, ts, m->serial_no);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Copies the quoted value of name="…" from an Authorization header. */
static int
auth_field(const char *h, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = h, *end;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == h || p[-1] == ',' || p[-1] == ' ') && p[nl] == '=' && p[nl + 1] == '"') {
			p += nl + 2;
			if ((end = strchr(p, '"')) == NULL || (size_t)(end - p) >= outlen)
				return -1;
			memcpy(out, p, (size_t)(end - p));
			out[end - p] = '\0';
			return 0;
		}
		p += nl;
	}
	return -1;
}

int
wechat_authorization_parse(const char *h, struct wechat_auth_parts *a)
{
	size_t tl = strlen(WECHAT_SIGNATURE_TYPE);

	memset(a, 0, sizeof *a);
	if (h == NULL || strncmp(h, WECHAT_SIGNATURE_TYPE, tl) != 0 || h[tl] != ' ')
		return -1;
	h += tl + 1;
	if (auth_field(h, "mchid", a->mchid, sizeof a->mchid) != 0 ||
	    auth_field(h, "nonce_str", a->nonce_str, sizeof a->nonce_str) != 0 ||
	    auth_field(h, "signature", a->signature, sizeof a->signature) != 0 ||
	    auth_field(h, "timestamp", a->timestamp, sizeof a->timestamp) != 0 ||
	    auth_field(h, "serial_no", a->serial_no, sizeof a->serial_no) != 0)
		return -1;
	return 0;
}

int
wechat_jsapi_sign(EVP_PKEY *key, const char *appid, const char *timestamp, const char *nonce,
    const char *prepay_id, char *out_b64, size_t outlen)
{
	char msg[512];
	int n = snprintf(msg, sizeof msg, "%s\n%s\n%s\nprepay_id=%s\n", appid, timestamp, nonce, prepay_id);

	if (n < 0 || (size_t)n >= sizeof msg)
		return -1;
	return wechat_rsa_sign(key, msg, (size_t)n, out_b64, outlen);
}

long
wechat_signed_message(const char *timestamp, const char *nonce, const char *body, size_t body_len,
    char *out, size_t outlen)
{
	size_t tl = strlen(timestamp), nl = strlen(nonce), total = tl + nl + body_len + 3;

	if (total >= outlen)
		return -1;
	memcpy(out, timestamp, tl);
	out[tl] = '\n';
	memcpy(out + tl + 1, nonce, nl);
	out[tl + 1 + nl] = '\n';
	memcpy(out + tl + nl + 2, body, body_len);
	out[total - 1] = '\n';
	out[total] = '\0';
	return (long)total;
}

const char *
wechat_verify_strerror(enum wechat_verify v)
{
	switch (v) {
	case WECHAT_VERIFY_OK: return "verified";
	case WECHAT_VERIFY_MISSING_HEADER: return "a Wechatpay-Serial/Signature/Timestamp/Nonce header is missing";
	case WECHAT_VERIFY_UNKNOWN_SERIAL: return "Wechatpay-Serial names no key we hold";
	case WECHAT_VERIFY_BAD_TIMESTAMP: return "Wechatpay-Timestamp is not a number of seconds";
	case WECHAT_VERIFY_BAD_SIGNATURE: return "the signature does not verify over the body";
	case WECHAT_VERIFY_STALE: return "the timestamp is 5 minutes or more away from our clock";
	case WECHAT_VERIFY_TOO_LARGE: return "the body is larger than any notification";
	}
	return "?";
}

static int
parse_seconds(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (*s == '\0' || strlen(s) > 12)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

enum wechat_verify
wechat_verify(const struct wechat_keyring *kr, const struct wechat_signed *s, int64_t now)
{
	EVP_PKEY *k;
	int64_t ts;
	char *msg;
	long mlen;
	size_t cap;
	int ok;

	if (s->serial == NULL || s->signature == NULL || s->timestamp == NULL || s->nonce == NULL ||
	    !*s->serial || !*s->signature || !*s->timestamp || !*s->nonce)
		return WECHAT_VERIFY_MISSING_HEADER;
	if (s->body_len > WECHAT_BODY_MAX)
		return WECHAT_VERIFY_TOO_LARGE;
	if ((k = wechat_keyring_find(kr, s->serial)) == NULL)
		return WECHAT_VERIFY_UNKNOWN_SERIAL;
	if (parse_seconds(s->timestamp, &ts) != 0 || strlen(s->nonce) > 64)
		return WECHAT_VERIFY_BAD_TIMESTAMP;
	cap = s->body_len + 100;
	if ((msg = malloc(cap)) == NULL)
		return WECHAT_VERIFY_BAD_SIGNATURE;
	mlen = wechat_signed_message(s->timestamp, s->nonce, s->body, s->body_len, msg, cap);
	ok = mlen >= 0 && wechat_rsa_verify(k, msg, (size_t)mlen, s->signature);
	free(msg);
	if (!ok)
		return WECHAT_VERIFY_BAD_SIGNATURE;
	if (ts - now >= WECHAT_MAX_SKEW_S || now - ts >= WECHAT_MAX_SKEW_S)
		return WECHAT_VERIFY_STALE;
	return WECHAT_VERIFY_OK;
}

#define GCM_TAG_LEN 16

long
wechat_aes_gcm_decrypt(const unsigned char key[WECHAT_APIV3_KEY_LEN], const char *nonce, size_t nonce_len,
    const char *aad, size_t aad_len, const char *ct_b64, size_t ct_b64_len, char *out, size_t outlen)
{
	unsigned char *raw;
	long n;
	int len = 0, fin = 0, ok = 0;
	EVP_CIPHER_CTX *ctx = NULL;

	if (nonce_len != WECHAT_NONCE_LEN || ct_b64_len > WECHAT_BODY_MAX || aad_len > 1024)
		return -1;
	if ((raw = malloc(ct_b64_len / 4 * 3 + 3)) == NULL)
		return -1;
	n = wechat_b64_decode(ct_b64, ct_b64_len, raw, ct_b64_len / 4 * 3 + 3);
	if (n < GCM_TAG_LEN || (size_t)(n - GCM_TAG_LEN) >= outlen)
		goto out;
	n -= GCM_TAG_LEN;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, (const unsigned char *)nonce) != 1)
		goto out;
	if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)aad_len) != 1)
		goto out;
	if (EVP_DecryptUpdate(ctx, (unsigned char *)out, &len, raw, (int)n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, raw + n) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)out + len, &fin) != 1)
		goto out;
	out[len + fin] = '\0';
	ok = 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	if (!ok && outlen > 0)
		OPENSSL_cleanse(out, outlen);	/* nothing unauthenticated leaves */
	return ok ? (long)(len + fin) : -1;
}

int
wechat_aes_gcm_encrypt(const unsigned char key[WECHAT_APIV3_KEY_LEN], const char *nonce, size_t nonce_len,
    const char *aad, size_t aad_len, const char *plain, size_t plain_len, char *out, size_t outlen)
{
	unsigned char *raw;
	int len = 0, fin = 0, rc = -1;
	EVP_CIPHER_CTX *ctx = NULL;

	if (nonce_len != WECHAT_NONCE_LEN || plain_len > WECHAT_BODY_MAX)
		return -1;
	if ((raw = malloc(plain_len + GCM_TAG_LEN)) == NULL)
		return -1;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, (const unsigned char *)nonce) != 1)
		goto out;
	if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)aad_len) != 1)
		goto out;
	if (EVP_EncryptUpdate(ctx, raw, &len, (const unsigned char *)plain, (int)plain_len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, raw + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, raw + len + fin) != 1)
		goto out;
	rc = wechat_b64_encode(raw, (size_t)(len + fin) + GCM_TAG_LEN, out, outlen);
out:
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	return rc;
}

/* A string member copied into a bounded field; required ones must be there. */
static int
json_str(const cJSON *o, const char *name, char *out, size_t outlen, int required, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	out[0] = '\0';
	if (v == NULL || cJSON_IsNull(v)) {
		if (!required)
			return 0;
		snprintf(err, errlen, "'%s' is missing", name);
		return -1;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		snprintf(err, errlen, "'%s' is not a string", name);
		return -1;
	}
	if (strlen(v->valuestring) >= outlen) {
		snprintf(err, errlen, "'%s' is longer than %zu characters", name, outlen - 1);
		return -1;
	}
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* A JSON integer (no fraction, no exponent beyond int64). */
static int
json_fen(const cJSON *o, const char *name, int64_t *out, int required, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	*out = 0;
	if (v == NULL) {
		if (!required)
			return 0;
		snprintf(err, errlen, "'%s' is missing", name);
		return -1;
	}
	/* valuedouble holds integers up to 2^53 exactly; fen never come near */
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e15 ||
	    v->valuedouble != (double)(int64_t)v->valuedouble) {
		snprintf(err, errlen, "'%s' is not a whole number of fen", name);
		return -1;
	}
	*out = (int64_t)v->valuedouble;
	return 0;
}

int
wechat_notification_parse(const char *body, size_t len, struct wechat_notification *n, char *err, size_t errlen)
{
	cJSON *root;
	const cJSON *res;
	int rc = -1;

	memset(n, 0, sizeof *n);
	if (len > WECHAT_BODY_MAX) {
		snprintf(err, errlen, "the body is larger than %d bytes", WECHAT_BODY_MAX);
		return -1;
	}
	if ((root = cJSON_ParseWithLength(body, len)) == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "the body is not a JSON object");
		goto out;
	}
	if (json_str(root, "id", n->id, sizeof n->id, 1, err, errlen) != 0 ||
	    json_str(root, "event_type", n->event_type, sizeof n->event_type, 1, err, errlen) != 0 ||
	    json_str(root, "resource_type", n->resource_type, sizeof n->resource_type, 0, err, errlen) != 0)
		goto out;
	res = cJSON_GetObjectItemCaseSensitive(root, "resource");
	if (!cJSON_IsObject(res)) {
		snprintf(err, errlen, "'resource' is missing or not an object");
		goto out;
	}
	if (json_str(res, "algorithm", n->algorithm, sizeof n->algorithm, 1, err, errlen) != 0 ||
	    json_str(res, "original_type", n->original_type, sizeof n->original_type, 0, err, errlen) != 0 ||
	    json_str(res, "associated_data", n->associated_data, sizeof n->associated_data, 0, err, errlen) != 0 ||
	    json_str(res, "nonce", n->nonce, sizeof n->nonce, 1, err, errlen) != 0 ||
	    json_str(res, "ciphertext", n->ciphertext, sizeof n->ciphertext, 1, err, errlen) != 0)
		goto out;
	if (strcmp(n->algorithm, "AEAD_AES_256_GCM") != 0) {
		snprintf(err, errlen, "resource algorithm '%.32s' is not AEAD_AES_256_GCM", n->algorithm);
		goto out;
	}
	if (strlen(n->nonce) != WECHAT_NONCE_LEN) {
		snprintf(err, errlen, "resource nonce is not %d characters", WECHAT_NONCE_LEN);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
wechat_transaction_parse(const char *json, size_t len, struct wechat_transaction *t, char *err, size_t errlen)
{
	cJSON *root;
	const cJSON *amount, *payer;
	int rc = -1;

	memset(t, 0, sizeof *t);
	if ((root = cJSON_ParseWithLength(json, len)) == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "the transaction is not a JSON object");
		goto out;
	}
	if (json_str(root, "appid", t->appid, sizeof t->appid, 0, err, errlen) != 0 ||
	    json_str(root, "mchid", t->mchid, sizeof t->mchid, 1, err, errlen) != 0 ||
	    json_str(root, "out_trade_no", t->out_trade_no, sizeof t->out_trade_no, 1, err, errlen) != 0 ||
	    json_str(root, "transaction_id", t->transaction_id, sizeof t->transaction_id, 0, err, errlen) != 0 ||
	    json_str(root, "trade_type", t->trade_type, sizeof t->trade_type, 0, err, errlen) != 0 ||
	    json_str(root, "trade_state", t->trade_state, sizeof t->trade_state, 1, err, errlen) != 0 ||
	    json_str(root, "success_time", t->success_time, sizeof t->success_time, 0, err, errlen) != 0)
		goto out;
	amount = cJSON_GetObjectItemCaseSensitive(root, "amount");
	if (!cJSON_IsObject(amount)) {
		snprintf(err, errlen, "'amount' is missing or not an object");
		goto out;
	}
	if (json_fen(amount, "total", &t->total_fen, 1, err, errlen) != 0 ||
	    json_fen(amount, "payer_total", &t->payer_total_fen, 0, err, errlen) != 0 ||
	    json_str(amount, "currency", t->currency, sizeof t->currency, 0, err, errlen) != 0)
		goto out;
	if (t->currency[0] == '\0')
		memcpy(t->currency, "CNY", 4);	/* the API's documented default */
	payer = cJSON_GetObjectItemCaseSensitive(root, "payer");
	if (cJSON_IsObject(payer) &&
	    json_str(payer, "openid", t->payer_openid, sizeof t->payer_openid, 0, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

const char *
wechat_match_name(enum wechat_match m)
{
	switch (m) {
	case WECHAT_MATCH_OK: return "ok";
	case WECHAT_MATCH_NOT_PAID: return "not_paid";
	case WECHAT_MATCH_OUT_TRADE_NO: return "out_trade_no";
	case WECHAT_MATCH_APPID: return "appid";
	case WECHAT_MATCH_MCHID: return "mchid";
	case WECHAT_MATCH_AMOUNT: return "amount";
	case WECHAT_MATCH_CURRENCY: return "currency";
	case WECHAT_MATCH_NO_TRANSACTION_ID: return "no_transaction_id";
	}
	return "?";
}

enum wechat_match
wechat_match(const struct wechat_order *o, const struct wechat_transaction *t)
{
	/* who it is for first: a paid notification for another merchant is never ours */
	if (strcmp(o->out_trade_no, t->out_trade_no) != 0)
		return WECHAT_MATCH_OUT_TRADE_NO;
	if (strcmp(o->mchid, t->mchid) != 0)
		return WECHAT_MATCH_MCHID;
	if (o->appid != NULL && *o->appid != '\0' && strcmp(o->appid, t->appid) != 0)
		return WECHAT_MATCH_APPID;
	if (strcmp(t->trade_state, "SUCCESS") != 0)
		return WECHAT_MATCH_NOT_PAID;
	if (t->transaction_id[0] == '\0')
		return WECHAT_MATCH_NO_TRANSACTION_ID;
	if (strcmp(o->currency, t->currency) != 0)
		return WECHAT_MATCH_CURRENCY;
	if (o->amount_fen != t->total_fen)
		return WECHAT_MATCH_AMOUNT;
	return WECHAT_MATCH_OK;
}

int
wechat_out_trade_no_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 6 || n > 32)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '|' && *s != '*')
			return 0;
	return 1;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
wechat_time_parse(const char *s, int64_t *utc)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 1;
	struct tm tm;
	const char *z;

	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	z = s + 19;
	if (*z == '.')	/* fractions of a second: dropped */
		for (z++; *z >= '0' && *z <= '9'; z++)
			;
	if (strcmp(z, "Z") != 0) {
		if ((z[0] != '+' && z[0] != '-') || strlen(z) != 6 || z[3] != ':' ||
		    digits(z + 1, 2, &oh) || digits(z + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		sign = z[0] == '-' ? -1 : 1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*utc = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}
