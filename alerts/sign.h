/*
 * Request signatures of the message providers, pure (no I/O, no clock):
 * the worker signs with them and prepay-msg-sandbox verifies with the same
 * code, and tests/unit/test-sign.c holds them to the providers' published
 * examples.
 */
#ifndef PREPAY_ALERTS_SIGN_H
#define PREPAY_ALERTS_SIGN_H
#include <stddef.h>
#include <stdint.h>

#define SIGN_HEX256_LEN 65	/* 64 hex digits + NUL */

/* lowercase hex of SHA-256(data) */
void sign_sha256_hex(const void *data, size_t len, char out[SIGN_HEX256_LEN]);
/* lowercase hex of HMAC-SHA256(key, data) */
void sign_hmac256_hex(const void *key, size_t keylen, const void *data, size_t len,
    char out[SIGN_HEX256_LEN]);
/* standard base64 with padding; returns the length or -1 when out is too small */
int sign_base64(const unsigned char *in, size_t len, char *out, size_t outlen);

/*
 * Tencent Cloud API 3.0, TC3-HMAC-SHA256, a POST with a JSON body and
 * the signed headers content-type;host.
 */
struct tc3_request {
	const char *secret_id, *secret_key;
	const char *service;	/* "sms" */
	const char *host;	/* "sms.tencentcloudapi.com" (the Host header sent) */
	int64_t timestamp;	/* X-TC-Timestamp; its UTC date goes into the scope */
	const char *body;
	size_t body_len;
};
/* The signature (hex) and the whole Authorization header value. 0 or -1. */
int sign_tc3(const struct tc3_request *, char sig[SIGN_HEX256_LEN], char *authorization, size_t authlen);

/*
 * Aliyun RPC signature v1 (HMAC-SHA1). Parameters are name/value pairs
 * without Signature; they are sorted here. Percent-encoding is RFC 3986
 * (unreserved A-Z a-z 0-9 - _ . ~ kept, everything else %XX uppercase).
 */
struct sign_param {
	const char *name, *value;
};
/* Writes the canonical query "k=v&…" (encoded, sorted) and the base64
 * signature. method: "GET" or "POST". 0, or -1 when a buffer is too small. */
int sign_aliyun_v1(const char *method, const struct sign_param *params, size_t n, const char *secret,
    char *query, size_t querylen, char *sig, size_t siglen);
/* RFC 3986 percent-encoding of s; -1 when out is too small. */
int sign_pct_encode(const char *s, char *out, size_t outlen);
/* Decodes %XX (and '+' as a space when plus_is_space); -1 on a bad escape. */
int sign_pct_decode(const char *s, size_t len, int plus_is_space, char *out, size_t outlen);

/*
 * Our webhook: header X-Prepay-Signature: "sha256=" + hex(HMAC-SHA256(secret,
 * timestamp + "." + body)), X-Prepay-Timestamp: timestamp (Unix seconds).
 */
int sign_webhook(const char *secret, int64_t timestamp, const char *body, size_t body_len,
    char *header, size_t headerlen);
/* Constant-time comparison of two NUL-terminated strings. 1 equal, 0 not. */
int sign_equal(const char *a, const char *b);

#endif
