/*
 * WeChat Pay API v3, the pure part: request signatures
 * (WECHATPAY2-SHA256-RSA2048), verification of signed responses and
 * notifications over the raw body, the stale-timestamp rule, AEAD_AES_256_GCM
 * resources, and the notification / transaction JSON. No I/O: keys come in
 * as PEM text, the clock as an argument. docs/payments.md has the protocol.
 */
#ifndef PREPAY_PAYMENTS_WECHAT_H
#define PREPAY_PAYMENTS_WECHAT_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define WECHAT_SIGNATURE_TYPE "WECHATPAY2-SHA256-RSA2048"
/* |now - timestamp| at or beyond this is stale (what the official SDKs do) */
#define WECHAT_MAX_SKEW_S 300
#define WECHAT_APIV3_KEY_LEN 32
#define WECHAT_NONCE_LEN 12
#define WECHAT_SERIAL_MAX 64
#define WECHAT_KEYS_MAX 8
/* A notification body is a few hundred bytes; anything past this is refused. */
#define WECHAT_BODY_MAX 16384

/* base64 (standard alphabet, padded). Encode: 0 or -1 when out is too small.
 * Decode: the length, or -1 on any character, padding or size that is wrong. */
int wechat_b64_encode(const unsigned char *in, size_t len, char *out, size_t outlen);
long wechat_b64_decode(const char *in, size_t len, unsigned char *out, size_t outlen);

/* The keys that may sign for WeChat Pay, chosen by Wechatpay-Serial: public
 * key ids (PUB_KEY_ID_…) and platform certificate serials side by side. */
struct wechat_keyring {
	int n;
	struct {
		char serial[WECHAT_SERIAL_MAX + 1];
		EVP_PKEY *pkey;
	} keys[WECHAT_KEYS_MAX];
};

void wechat_keyring_init(struct wechat_keyring *);
/* pem: a public key ("BEGIN PUBLIC KEY") or an X.509 certificate. For a
 * certificate with serial NULL the certificate's own serial (hex, upper
 * case) is used. 0 or -1 with err. */
int wechat_keyring_add_pem(struct wechat_keyring *, const char *serial, const char *pem, size_t len,
    char *err, size_t errlen);
EVP_PKEY *wechat_keyring_find(const struct wechat_keyring *, const char *serial);
void wechat_keyring_free(struct wechat_keyring *);

/* A private key (PKCS#8 or PKCS#1 PEM); NULL with err. */
EVP_PKEY *wechat_private_key_parse(const char *pem, size_t len, char *err, size_t errlen);

/* SHA256withRSA (PKCS#1 v1.5) of msg, base64. 0 or -1. */
int wechat_rsa_sign(EVP_PKEY *key, const char *msg, size_t len, char *out_b64, size_t outlen);
/* 1 valid, 0 not valid (including a signature that is not base64). */
int wechat_rsa_verify(EVP_PKEY *key, const char *msg, size_t len, const char *sig_b64);

/* The signing string of a request: METHOD\nPATH\ntimestamp\nnonce\nbody\n.
 * Writes the Authorization header's value (without "Authorization: ").
 * 0 or -1 when it does not fit or signing fails. */
struct wechat_merchant {
	const char *mchid;
	const char *serial_no;	/* the merchant certificate's serial */
	EVP_PKEY *key;		/* the merchant private key */
};
int wechat_authorization(const struct wechat_merchant *, const char *method, const char *path_query,
    const char *body, size_t body_len, int64_t timestamp, const char *nonce, char *out, size_t outlen);

/* The parts of an Authorization header (the sandbox checks ours with them). */
struct wechat_auth_parts {
	char mchid[33], nonce_str[65], signature[700], timestamp[21], serial_no[WECHAT_SERIAL_MAX + 1];
};
int wechat_authorization_parse(const char *header, struct wechat_auth_parts *);

/* wx.requestPayment's paySign: appId\ntimeStamp\nnonceStr\nprepay_id=…\n */
int wechat_jsapi_sign(EVP_PKEY *key, const char *appid, const char *timestamp, const char *nonce,
    const char *prepay_id, char *out_b64, size_t outlen);

/* The message a response or notification is signed over. Returns its
 * length, or -1 when it does not fit. */
long wechat_signed_message(const char *timestamp, const char *nonce, const char *body, size_t body_len,
    char *out, size_t outlen);

enum wechat_verify {
	WECHAT_VERIFY_OK,
	WECHAT_VERIFY_MISSING_HEADER,	/* a Wechatpay-* header is absent or empty */
	WECHAT_VERIFY_UNKNOWN_SERIAL,
	WECHAT_VERIFY_BAD_TIMESTAMP,	/* not a number of seconds */
	WECHAT_VERIFY_BAD_SIGNATURE,
	WECHAT_VERIFY_STALE,		/* genuine signature, timestamp too far from now */
	WECHAT_VERIFY_TOO_LARGE,
};
const char *wechat_verify_strerror(enum wechat_verify);

struct wechat_signed {
	const char *serial, *signature, *timestamp, *nonce;	/* the Wechatpay-* headers; NULL if absent */
	const char *body;
	size_t body_len;
};
/* Verification in the documented order: headers, key by serial, signature
 * over the raw body, then the clock. */
enum wechat_verify wechat_verify(const struct wechat_keyring *, const struct wechat_signed *, int64_t now);

/*
 * AEAD_AES_256_GCM: key is the 32-byte APIv3 key, nonce used as-is (12
 * bytes), ciphertext base64 with the 16-byte tag at its end. Decrypt
 * returns the plaintext length (out NUL-terminated) or -1 when anything is
 * malformed or the tag does not match (tampered ciphertext, wrong AAD, key).
 */
long wechat_aes_gcm_decrypt(const unsigned char key[WECHAT_APIV3_KEY_LEN], const char *nonce, size_t nonce_len,
    const char *aad, size_t aad_len, const char *ct_b64, size_t ct_b64_len, char *out, size_t outlen);
/* The other direction (the sandbox and tests): base64 ciphertext+tag in out. */
int wechat_aes_gcm_encrypt(const unsigned char key[WECHAT_APIV3_KEY_LEN], const char *nonce, size_t nonce_len,
    const char *aad, size_t aad_len, const char *plain, size_t plain_len, char *out, size_t outlen);

/* The notification envelope. */
struct wechat_notification {
	char id[65];
	char event_type[65];		/* TRANSACTION.SUCCESS, REFUND.SUCCESS … */
	char resource_type[33];
	char algorithm[33];		/* AEAD_AES_256_GCM */
	char original_type[33];		/* transaction, refund */
	char associated_data[129];
	char nonce[WECHAT_NONCE_LEN + 1];
	char ciphertext[WECHAT_BODY_MAX];
};
/* 0 or -1 with what is wrong in err. Pure: parses, decides nothing. */
int wechat_notification_parse(const char *body, size_t len, struct wechat_notification *, char *err, size_t errlen);

/* A transaction (decrypted resource or the query API's answer). */
struct wechat_transaction {
	char appid[33], mchid[33], out_trade_no[33], transaction_id[33];
	char trade_type[17], trade_state[17], success_time[41], payer_openid[129];
	char currency[8];
	int64_t total_fen;
	int64_t payer_total_fen;
};
int wechat_transaction_parse(const char *json, size_t len, struct wechat_transaction *, char *err, size_t errlen);

/* What we stored for an order, to compare a transaction with. */
struct wechat_order {
	const char *appid, *mchid, *out_trade_no, *currency;
	int64_t amount_fen;
};

enum wechat_match {
	WECHAT_MATCH_OK,		/* paid, and everything agrees: credit it */
	WECHAT_MATCH_NOT_PAID,		/* trade_state is not SUCCESS: nothing to credit */
	WECHAT_MATCH_OUT_TRADE_NO,
	WECHAT_MATCH_APPID,
	WECHAT_MATCH_MCHID,
	WECHAT_MATCH_AMOUNT,
	WECHAT_MATCH_CURRENCY,
	WECHAT_MATCH_NO_TRANSACTION_ID,
};
const char *wechat_match_name(enum wechat_match);	/* "amount", "mchid" … */
enum wechat_match wechat_match(const struct wechat_order *, const struct wechat_transaction *);

/* RFC 3339 "2018-06-08T10:34:56+08:00" (or Z) → Unix seconds. 0 or -1. */
int wechat_time_parse(const char *, int64_t *utc);

/* out_trade_no: 6-32 of [0-9A-Za-z_-|*]. 1 if well formed. */
int wechat_out_trade_no_valid(const char *);

#endif
