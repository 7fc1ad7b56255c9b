/*
 * WeChat Pay v3 from a program: the merchant's settings and keys read from
 * the config ([wechatpay]), and signed HTTPS calls through libcurl whose
 * answers are verified before anyone reads them.
 */
#ifndef PREPAY_PAYMENTS_WECHAT_CLIENT_H
#define PREPAY_PAYMENTS_WECHAT_CLIENT_H
#include <stddef.h>
#include <stdint.h>
#include "lib/config.h"
#include "payments/wechat.h"

struct pay_wechat {
	int can_verify;		/* keys to check notifications: public key and/or certificate, APIv3 key */
	int can_order;		/* mchid, appid, merchant key and serial, notify_url */
	char mchid[33], appid[33], serial[WECHAT_SERIAL_MAX + 1];
	char api_url[256], notify_url[256];
	EVP_PKEY *merchant_key;
	unsigned char apiv3_key[WECHAT_APIV3_KEY_LEN];
	struct wechat_keyring keys;
	long timeout_ms;
	int order_ttl_s;
	int64_t min_topup_fen, max_topup_fen;
	char problem[256];	/* why can_verify / can_order is 0, for people */
};

/* Reads [wechatpay] and the key files it names. Missing settings are not
 * an error (the features they enable are off, problem says why); a key
 * that is named but unreadable or malformed is: -1 with err. */
int pay_wechat_load(const struct config *, struct pay_wechat *, char *err, size_t errlen);
void pay_wechat_free(struct pay_wechat *);

#define WECHAT_RESPONSE_MAX (256u << 10)

struct wechat_response {
	long status;		/* HTTP status, 0 when there was no answer */
	char *body;		/* NUL-terminated; NULL when empty */
	size_t body_len;
	enum wechat_verify verified;
	char request_id[80];
};
void wechat_response_free(struct wechat_response *);

/*
 * One signed call: method, path with query ("/v3/pay/transactions/native"),
 * JSON body or NULL. Returns 0 when an answer came back and its signature
 * verified (look at status), -1 when none did (err says why: connect,
 * timeout) or the answer is not genuinely WeChat Pay's. A request that
 * never reached the server is retried once; a timeout is retried only for
 * GET (reads are safe to repeat).
 */
int wechat_call(const struct pay_wechat *, const char *method, const char *path_query, const char *body,
    struct wechat_response *, char *err, size_t errlen);

/* GETs a bill's download_url with our signature; the answer is not
 * signed (check its SHA1). 0 with out->status and body, or -1. */
int wechat_download(const struct pay_wechat *, const char *url, struct wechat_response *, char *err, size_t errlen);

#endif
