/*
 * Alipay, the pure part: the form-encoded async notification, the RSA2
 * signing content (parameters but sign and sign_type, empty values dropped,
 * sorted by key, joined k=v&…), its SHA256withRSA signature, and the yuan
 * amounts Alipay speaks. No I/O.
 */
#ifndef PREPAY_PAYMENTS_ALIPAY_H
#define PREPAY_PAYMENTS_ALIPAY_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define ALIPAY_PARAMS_MAX 64
#define ALIPAY_BODY_MAX 16384

struct alipay_params {
	int n;
	struct { char *key, *value; } p[ALIPAY_PARAMS_MAX];
	char *buf;	/* one allocation holds every key and value */
};

/* application/x-www-form-urlencoded → decoded pairs. A key given twice,
 * a bad %-escape, an encoded NUL or too many pairs is an error. */
int alipay_form_parse(const char *body, size_t len, struct alipay_params *, char *err, size_t errlen);
void alipay_params_free(struct alipay_params *);
const char *alipay_param(const struct alipay_params *, const char *key);	/* NULL if absent */

/* The signing content; its length, or -1 when it does not fit out. */
long alipay_sign_content(const struct alipay_params *, char *out, size_t outlen);

/* 1 when sign verifies over the content with Alipay's public key (RSA2), else 0. */
int alipay_verify(EVP_PKEY *alipay_public, const struct alipay_params *);
/* Signs params (the sandbox, tests) into sign_b64. 0 or -1. */
int alipay_sign(EVP_PKEY *private_key, const struct alipay_params *, char *sign_b64, size_t outlen);

/* application/x-www-form-urlencoded of params (RFC 3986 unreserved kept,
 * everything else %XX); its length, or -1 when it does not fit. */
long alipay_form_encode(const struct alipay_params *, char *out, size_t outlen);

/* An answer {"<method>_response":{…},"sign":"…"} is signed over the exact
 * text of the response object: finds it (and the sign) without reparsing.
 * 0 or -1 when the answer is not of that shape. */
int alipay_response_content(const char *body, size_t len, const char *response_key, const char **start,
    size_t *content_len, char *sign, size_t signlen);

/* Alipay's total_amount "12.34" (at most two decimals) → fen. 0 or -1. */
int alipay_yuan_to_fen(const char *, int64_t *fen);

struct alipay_order {
	const char *app_id, *seller_id, *out_trade_no;
	int64_t amount_fen;
};
enum alipay_match {
	ALIPAY_MATCH_OK,
	ALIPAY_MATCH_NOT_PAID,		/* trade_status not TRADE_SUCCESS / TRADE_FINISHED */
	ALIPAY_MATCH_OUT_TRADE_NO,
	ALIPAY_MATCH_APP_ID,
	ALIPAY_MATCH_SELLER_ID,
	ALIPAY_MATCH_AMOUNT,
	ALIPAY_MATCH_NO_TRADE_NO,
};
const char *alipay_match_name(enum alipay_match);
enum alipay_match alipay_match(const struct alipay_order *, const struct alipay_params *);

/* An async notification in the shape pay_credit takes (see pay_store.h).
 * 0, or -1 with err when a field is missing, too long or not an amount. */
struct wechat_transaction;
int alipay_to_transaction(const struct alipay_params *, struct wechat_transaction *, char *err, size_t errlen);

#endif
