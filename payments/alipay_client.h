/*
 * Alipay from a program: [alipay] settings and keys, and
 * alipay.trade.precreate (the QR code of alipay_qr) as a signed form POST
 * whose answer is verified with Alipay's public key.
 */
#ifndef PREPAY_PAYMENTS_ALIPAY_CLIENT_H
#define PREPAY_PAYMENTS_ALIPAY_CLIENT_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "lib/config.h"

struct pay_alipay {
	int can_verify;		/* Alipay's public key: notifications can be checked */
	int can_order;		/* also app_id, seller_id, our private key, notify_url */
	char app_id[33], seller_id[33], gateway_url[256], notify_url[256];
	EVP_PKEY *app_key, *alipay_public;
	long timeout_ms;
	char problem[256];
};

int pay_alipay_load(const struct config *, struct pay_alipay *, char *err, size_t errlen);
void pay_alipay_free(struct pay_alipay *);

/* Places a QR order; fills qr_code. 0, or -1 with err (definite set when
 * Alipay answered and refused, so the order is failed rather than unknown). */
int alipay_precreate(const struct pay_alipay *, const char *out_trade_no, int64_t amount_fen, const char *subject,
    char *qr_code, size_t qrlen, int *definite, char *err, size_t errlen);

#endif
