/*
 * The WeChat Pay v3 and Alipay codecs: the wechatpay-java AES-256-GCM
 * vector, every way a notification can be wrong, and agreement with an
 * independent implementation (Node's crypto, run as /usr/bin/node; those
 * cases are skipped when node is not installed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "payments/alipay.h"
#include "payments/wechat.h"
#include "tests/unit/unit.h"

#define NODE "/usr/bin/node"

static EVP_PKEY *platform_key, *other_key;
static char platform_pub[4096], other_pub[4096], platform_priv[4096];

static void
pem_public(EVP_PKEY *k, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	PEM_write_bio_PUBKEY(b, k);
	n = BIO_get_mem_data(b, &p);
	snprintf(out, outlen, "%.*s", (int)n, p);
	BIO_free(b);
}

static void
pem_private(EVP_PKEY *k, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	snprintf(out, outlen, "%.*s", (int)n, p);
	BIO_free(b);
}

/* A self-signed certificate for k with the given serial, as PEM. */
static void
pem_certificate(EVP_PKEY *k, long serial, char *out, size_t outlen)
{
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	snprintf(out, outlen, "%.*s", (int)n, p);
	BIO_free(b);
	X509_free(x);
}

static const unsigned char apiv3_key[] = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

TEST(aes_gcm_decrypts_the_wechatpay_java_vector)
{
	char out[64];
	long n = wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedData", 14,
	    "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", 32, out, sizeof out);

	CHECK_EQ_INT(n, 7);
	CHECK_EQ_STR(out, "message");
}

TEST(aes_gcm_refuses_tampering_wrong_aad_key_and_nonce)
{
	char out[64];
	const char *ct = "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=";
	unsigned char badkey[33];

	/* one bit of ciphertext flipped: 'u' -> 'v' */
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedData", 14,
	    "vlwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", 32, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedDatb", 14, ct, 32, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "", 0, ct, 32, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RX", 12, "associatedData", 14, ct, 32, out, sizeof out), -1);
	memcpy(badkey, apiv3_key, 33);
	badkey[0] ^= 1;
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(badkey, "uluk4a9R25RW", 12, "associatedData", 14, ct, 32, out, sizeof out), -1);
	/* truncated (tag cut), not base64, too short for a tag, wrong nonce length */
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedData", 14, ct, 28, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedData", 14, "ulwS!IajGClcvcOYvOQ7+l+0PAbzzwI=", 32, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedData", 14, "AAAA", 4, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25R", 11, "associatedData", 14, ct, 32, out, sizeof out), -1);
	/* the plaintext does not fit */
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedData", 14, ct, 32, out, 7), -1);
}

TEST(aes_gcm_round_trip_matches_the_vector)
{
	char ct[64], out[64];

	CHECK_EQ_INT(wechat_aes_gcm_encrypt(apiv3_key, "uluk4a9R25RW", 12, "associatedData", 14, "message", 7, ct, sizeof ct), 0);
	CHECK_EQ_STR(ct, "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
	CHECK_EQ_INT(wechat_aes_gcm_encrypt(apiv3_key, "0123456789ab", 12, "", 0, "{\"a\":1}", 7, ct, sizeof ct), 0);
	CHECK_EQ_INT(wechat_aes_gcm_decrypt(apiv3_key, "0123456789ab", 12, "", 0, ct, strlen(ct), out, sizeof out), 7);
	CHECK_EQ_STR(out, "{\"a\":1}");
}

TEST(base64_is_strict)
{
	unsigned char out[16];

	CHECK_EQ_INT(wechat_b64_decode("aGk=", 4, out, sizeof out), 2);
	CHECK_EQ_INT(wechat_b64_decode("aGk", 3, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_b64_decode("aG k", 4, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_b64_decode("a=k=", 4, out, sizeof out), -1);
	CHECK_EQ_INT(wechat_b64_decode("aGk=aGk=", 8, out, sizeof out), -1);
}

/* A signed notification made by our own signer, for the verifier cases. */
struct signed_msg {
	char ts[24], nonce[40], sig[700], body[512];
	struct wechat_signed s;
};

static void
make_signed(struct signed_msg *m, EVP_PKEY *k, const char *serial, long long ts, const char *body)
{
	char msg[1024];
	long n;

	snprintf(m->ts, sizeof m->ts, "%lld", ts);
	snprintf(m->nonce, sizeof m->nonce, "fdasflkja484w");
	snprintf(m->body, sizeof m->body, "%s", body);
	n = wechat_signed_message(m->ts, m->nonce, m->body, strlen(m->body), msg, sizeof msg);
	wechat_rsa_sign(k, msg, (size_t)n, m->sig, sizeof m->sig);
	m->s.serial = serial;
	m->s.signature = m->sig;
	m->s.timestamp = m->ts;
	m->s.nonce = m->nonce;
	m->s.body = m->body;
	m->s.body_len = strlen(m->body);
}

static void
keyring_both(struct wechat_keyring *kr)
{
	char err[200], cert[8192];

	wechat_keyring_init(kr);
	CHECK_EQ_INT(wechat_keyring_add_pem(kr, "PUB_KEY_ID_0114232134912410000", platform_pub, strlen(platform_pub), err, sizeof err), 0);
	pem_certificate(other_key, 0x5157F09EFDC096DE, cert, sizeof cert);
	CHECK_EQ_INT(wechat_keyring_add_pem(kr, NULL, cert, strlen(cert), err, sizeof err), 0);
}

TEST(verify_picks_the_key_by_serial_public_key_id_or_certificate)
{
	struct wechat_keyring kr;
	struct signed_msg m;
	const int64_t now = 1760000000;

	keyring_both(&kr);
	CHECK_EQ_STR(kr.keys[1].serial, "5157F09EFDC096DE");
	make_signed(&m, platform_key, "PUB_KEY_ID_0114232134912410000", now, "{\"id\":\"EV-1\"}");
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_OK);
	make_signed(&m, other_key, "5157F09EFDC096DE", now, "{\"id\":\"EV-2\"}");
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_OK);
	/* the right signature under the other serial does not verify */
	make_signed(&m, other_key, "PUB_KEY_ID_0114232134912410000", now, "{\"id\":\"EV-2\"}");
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_BAD_SIGNATURE);
	wechat_keyring_free(&kr);
}

TEST(verify_refuses_forged_unknown_missing_truncated_and_probes)
{
	struct wechat_keyring kr;
	struct signed_msg m;
	const int64_t now = 1760000000;

	keyring_both(&kr);
	make_signed(&m, platform_key, "PUB_KEY_ID_0114232134912410000", now, "{\"id\":\"EV-1\",\"x\":1}");
	m.s.serial = "PUB_KEY_ID_UNKNOWN";
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_UNKNOWN_SERIAL);
	m.s.serial = "PUB_KEY_ID_0114232134912410000";
	m.s.body_len--;		/* truncated body */
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_BAD_SIGNATURE);
	m.s.body_len++;
	m.body[8] = '2';	/* tampered body */
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_BAD_SIGNATURE);
	m.body[8] = 'V';
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_OK);
	m.s.nonce = "another";
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_BAD_SIGNATURE);
	m.s.nonce = m.nonce;
	m.s.signature = "WECHATPAY/SIGNTEST/abcdefg";
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_BAD_SIGNATURE);
	m.s.signature = NULL;
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_MISSING_HEADER);
	m.s.signature = m.sig;
	m.s.timestamp = "";
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_MISSING_HEADER);
	m.s.timestamp = "17600x0000";
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_BAD_TIMESTAMP);
	m.s.timestamp = m.ts;
	m.s.body_len = WECHAT_BODY_MAX + 1;
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, now), WECHAT_VERIFY_TOO_LARGE);
	wechat_keyring_free(&kr);
}

TEST(verify_stale_at_five_minutes_either_way)
{
	struct wechat_keyring kr;
	struct signed_msg m;
	const int64_t ts = 1760000000;

	keyring_both(&kr);
	make_signed(&m, platform_key, "PUB_KEY_ID_0114232134912410000", ts, "{}");
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, ts + 299), WECHAT_VERIFY_OK);
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, ts + 300), WECHAT_VERIFY_STALE);
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, ts - 299), WECHAT_VERIFY_OK);
	CHECK_EQ_INT(wechat_verify(&kr, &m.s, ts - 300), WECHAT_VERIFY_STALE);
	wechat_keyring_free(&kr);
}

TEST(authorization_header_has_every_field_and_verifies)
{
	struct wechat_merchant mch = { "1900009191", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB", platform_key };
	struct wechat_auth_parts a;
	char h[1200], msg[512];
	const char *body = "{\"mchid\":\"1900009191\"}";
	int n;

	CHECK_EQ_INT(wechat_authorization(&mch, "POST", "/v3/pay/transactions/native", body, strlen(body),
	    1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", h, sizeof h), 0);
	CHECK(strncmp(h, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900009191\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",signature=\"", 99) == 0);
	CHECK_EQ_INT(wechat_authorization_parse(h, &a), 0);
	CHECK_EQ_STR(a.timestamp, "1554208460");
	CHECK_EQ_STR(a.serial_no, "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB");
	n = snprintf(msg, sizeof msg, "POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n%s\n", body);
	CHECK(wechat_rsa_verify(platform_key, msg, (size_t)n, a.signature));
	/* a GET signs an empty body line */
	CHECK_EQ_INT(wechat_authorization(&mch, "GET", "/v3/pay/transactions/out-trade-no/T1?mchid=1900009191", NULL, 0,
	    1554208460, "N", h, sizeof h), 0);
	CHECK_EQ_INT(wechat_authorization_parse(h, &a), 0);
	n = snprintf(msg, sizeof msg, "GET\n/v3/pay/transactions/out-trade-no/T1?mchid=1900009191\n1554208460\nN\n\n");
	CHECK(wechat_rsa_verify(platform_key, msg, (size_t)n, a.signature));
	CHECK_EQ_INT(wechat_authorization_parse("Bearer x", &a), -1);
	CHECK_EQ_INT(wechat_authorization_parse("WECHATPAY2-SHA256-RSA2048 mchid=\"1\"", &a), -1);
}

static const char *txn_json =
    "{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1230000109\",\"out_trade_no\":\"T20261128-00000017-3f9a2c1b\","
    "\"transaction_id\":\"1217752501201407033233368018\",\"trade_type\":\"NATIVE\",\"trade_state\":\"SUCCESS\","
    "\"trade_state_desc\":\"支付成功\",\"bank_type\":\"CMC\",\"attach\":\"\",\"success_time\":\"2018-06-08T10:34:56+08:00\","
    "\"payer\":{\"openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"},"
    "\"amount\":{\"total\":10000,\"payer_total\":10000,\"currency\":\"CNY\",\"payer_currency\":\"CNY\"}}";

TEST(transaction_parses_and_matches_its_order)
{
	struct wechat_transaction t;
	struct wechat_order o = { "wxd678efh567hg6787", "1230000109", "T20261128-00000017-3f9a2c1b", "CNY", 10000 };
	char err[200];

	CHECK_EQ_INT(wechat_transaction_parse(txn_json, strlen(txn_json), &t, err, sizeof err), 0);
	CHECK_EQ_INT(t.total_fen, 10000);
	CHECK_EQ_STR(t.transaction_id, "1217752501201407033233368018");
	CHECK_EQ_STR(t.payer_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_OK);
	o.amount_fen = 9999;
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_AMOUNT);
	o.amount_fen = 10000;
	o.mchid = "1230000110";
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_MCHID);
	o.mchid = "1230000109";
	o.appid = "wx0000000000000000";
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_APPID);
	o.appid = "wxd678efh567hg6787";
	o.currency = "USD";
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_CURRENCY);
	o.currency = "CNY";
	o.out_trade_no = "T20261128-00000017-3f9a2c1c";
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_OUT_TRADE_NO);
	o.out_trade_no = "T20261128-00000017-3f9a2c1b";
	memcpy(t.trade_state, "NOTPAY", 7);
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_NOT_PAID);
	CHECK_EQ_STR(wechat_match_name(WECHAT_MATCH_AMOUNT), "amount");
}

TEST(transaction_refuses_bad_amounts_and_missing_fields)
{
	struct wechat_transaction t;
	char err[200];
	const char *bad[] = {
		"{\"mchid\":\"1\",\"out_trade_no\":\"T00001\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":100.5}}",
		"{\"mchid\":\"1\",\"out_trade_no\":\"T00001\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":-1}}",
		"{\"mchid\":\"1\",\"out_trade_no\":\"T00001\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":\"100\"}}",
		"{\"mchid\":\"1\",\"out_trade_no\":\"T00001\",\"trade_state\":\"SUCCESS\"}",
		"{\"mchid\":\"1\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":1}}",
		"{\"mchid\":1,\"out_trade_no\":\"T00001\",\"trade_state\":\"SUCCESS\",\"amount\":{\"total\":1}}",
		"[1,2]", "{", "",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		CHECK_EQ_INT(wechat_transaction_parse(bad[i], strlen(bad[i]), &t, err, sizeof err), -1);
		CHECK(err[0] != '\0');
	}
}

TEST(notification_envelope_parses_and_refuses)
{
	struct wechat_notification *n = malloc(sizeof *n);
	char err[200];
	const char *good = "{\"id\":\"EV-2018022511223320873\",\"create_time\":\"2015-05-20T13:29:35+08:00\","
	    "\"resource_type\":\"encrypt-resource\",\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"支付成功\","
	    "\"resource\":{\"original_type\":\"transaction\",\"algorithm\":\"AEAD_AES_256_GCM\","
	    "\"ciphertext\":\"ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=\",\"associated_data\":\"transaction\",\"nonce\":\"uluk4a9R25RW\"}}";

	CHECK_EQ_INT(wechat_notification_parse(good, strlen(good), n, err, sizeof err), 0);
	CHECK_EQ_STR(n->event_type, "TRANSACTION.SUCCESS");
	CHECK_EQ_STR(n->nonce, "uluk4a9R25RW");
	CHECK_EQ_STR(n->associated_data, "transaction");
	CHECK_EQ_INT(wechat_notification_parse(good, strlen(good) - 1, n, err, sizeof err), -1);
	{
		const char *b1 = "{\"id\":\"x\",\"event_type\":\"T\",\"resource\":{\"algorithm\":\"AEAD_AES_128_GCM\","
		    "\"ciphertext\":\"\",\"nonce\":\"uluk4a9R25RW\"}}";
		const char *b2 = "{\"id\":\"x\",\"event_type\":\"T\",\"resource\":{\"algorithm\":\"AEAD_AES_256_GCM\","
		    "\"ciphertext\":\"\",\"nonce\":\"short\"}}";
		CHECK_EQ_INT(wechat_notification_parse(b1, strlen(b1), n, err, sizeof err), -1);
		CHECK(strstr(err, "AEAD_AES_256_GCM") != NULL);
		CHECK_EQ_INT(wechat_notification_parse(b2, strlen(b2), n, err, sizeof err), -1);
	}
	CHECK(strstr(err, "nonce") != NULL);
	free(n);
}

TEST(success_time_to_utc)
{
	int64_t t;

	CHECK_EQ_INT(wechat_time_parse("2018-06-08T10:34:56+08:00", &t), 0);
	CHECK_EQ_INT(t, 1528425296);
	CHECK_EQ_INT(wechat_time_parse("2018-06-08T02:34:56Z", &t), 0);
	CHECK_EQ_INT(t, 1528425296);
	CHECK_EQ_INT(wechat_time_parse("2018-06-08T02:34:56.123Z", &t), 0);
	CHECK_EQ_INT(t, 1528425296);
	CHECK_EQ_INT(wechat_time_parse("2018-06-08 10:34:56+08:00", &t), -1);
	CHECK_EQ_INT(wechat_time_parse("2018-06-08T10:34:56+0800", &t), -1);
	CHECK_EQ_INT(wechat_time_parse("2018-13-08T10:34:56Z", &t), -1);
}

TEST(out_trade_no_rules)
{
	CHECK(wechat_out_trade_no_valid("T20261128-00000017-3f9a2c1b"));
	CHECK(!wechat_out_trade_no_valid("T2026"));
	CHECK(!wechat_out_trade_no_valid("T20261128-00000017-3f9a2c1b-0123456"));
	CHECK(!wechat_out_trade_no_valid("T2026112 8"));
}

/* Runs a Node script (argv[1] = a file holding arg) and returns its stdout. */
static int
node_run(const char *script, const char *arg, char *out, size_t outlen)
{
	char sp[] = "/tmp/prepay-test-wechat-XXXXXX", ap[] = "/tmp/prepay-test-wechat-XXXXXX", cmd[256];
	int fd;
	FILE *f;
	size_t n;

	if (access(NODE, X_OK) != 0)
		return -2;
	if ((fd = mkstemp(sp)) < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script))
		return -1;
	close(fd);
	if ((fd = mkstemp(ap)) < 0 || write(fd, arg, strlen(arg)) != (ssize_t)strlen(arg))
		return -1;
	close(fd);
	snprintf(cmd, sizeof cmd, "%s %s %s", NODE, sp, ap);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fd = pclose(f);
	unlink(sp);
	unlink(ap);
	return fd == 0 ? 0 : -1;
}

static int node_skipped;

/* Node makes a notification the way WeChat Pay does: its own key pair,
 * AES-256-GCM with the APIv3 key, SHA256withRSA over ts\nnonce\nbody\n. */
static const char *node_notify =
    "const c = require('crypto'), fs = require('fs');\n"
    "const a = JSON.parse(fs.readFileSync(process.argv[2]));\n"
    "const { publicKey, privateKey } = c.generateKeyPairSync('rsa', { modulusLength: 2048 });\n"
    "const nonce = 'r8NfyxZ2Lk0q';\n"
    "const e = c.createCipheriv('aes-256-gcm', Buffer.from(a.key), Buffer.from(nonce));\n"
    "e.setAAD(Buffer.from('transaction'));\n"
    "const ct = Buffer.concat([e.update(a.plain), e.final(), e.getAuthTag()]).toString('base64');\n"
    "const body = JSON.stringify({ id: 'EV-node-1', create_time: '2026-11-28T10:00:00+08:00',\n"
    "  resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',\n"
    "  resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct,\n"
    "    associated_data: 'transaction', nonce } });\n"
    "const ts = String(a.ts), n = c.randomBytes(16).toString('hex');\n"
    "const sig = c.sign('sha256', Buffer.from(`${ts}\\n${n}\\n${body}\\n`), privateKey).toString('base64');\n"
    "console.log(JSON.stringify({ pub: publicKey.export({ type: 'spki', format: 'pem' }), ts, nonce: n, sig, body }));\n";

TEST(node_made_notification_verifies_decrypts_and_matches)
{
	char arg[4096], *out = malloc(65536), err[200], plain[4096];
	cJSON *j, *pub, *body;
	struct wechat_keyring kr;
	struct wechat_signed s;
	struct wechat_notification *n = malloc(sizeof *n);
	struct wechat_transaction t;
	struct wechat_order o = { "wxd678efh567hg6787", "1230000109", "T20261128-00000017-3f9a2c1b", "CNY", 10000 };
	cJSON *txn_item = cJSON_CreateString(txn_json);
	char *txn = cJSON_PrintUnformatted(txn_item);
	int rc;
	long pl;

	snprintf(arg, sizeof arg, "{\"key\":\"%s\",\"ts\":1760000000,\"plain\":%s}", apiv3_key, txn);
	free(txn);
	cJSON_Delete(txn_item);
	rc = node_run(node_notify, arg, out, 65536);
	if (rc == -2) {
		node_skipped = 1;
		goto out;
	}
	CHECK_EQ_INT(rc, 0);
	j = cJSON_Parse(out);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	pub = cJSON_GetObjectItem(j, "pub");
	body = cJSON_GetObjectItem(j, "body");
	wechat_keyring_init(&kr);
	CHECK_EQ_INT(wechat_keyring_add_pem(&kr, "PUB_KEY_ID_NODE", pub->valuestring, strlen(pub->valuestring), err, sizeof err), 0);
	s.serial = "PUB_KEY_ID_NODE";
	s.signature = cJSON_GetObjectItem(j, "sig")->valuestring;
	s.timestamp = cJSON_GetObjectItem(j, "ts")->valuestring;
	s.nonce = cJSON_GetObjectItem(j, "nonce")->valuestring;
	s.body = body->valuestring;
	s.body_len = strlen(body->valuestring);
	CHECK_EQ_INT(wechat_verify(&kr, &s, 1760000010), WECHAT_VERIFY_OK);
	CHECK_EQ_INT(wechat_verify(&kr, &s, 1760000300), WECHAT_VERIFY_STALE);
	CHECK_EQ_INT(wechat_notification_parse(s.body, s.body_len, n, err, sizeof err), 0);
	pl = wechat_aes_gcm_decrypt(apiv3_key, n->nonce, strlen(n->nonce), n->associated_data, strlen(n->associated_data),
	    n->ciphertext, strlen(n->ciphertext), plain, sizeof plain);
	CHECK(pl > 0);
	CHECK_EQ_INT(wechat_transaction_parse(plain, (size_t)pl, &t, err, sizeof err), 0);
	CHECK_EQ_INT(wechat_match(&o, &t), WECHAT_MATCH_OK);
	wechat_keyring_free(&kr);
	cJSON_Delete(j);
out:
	free(n);
	free(out);
}

/* Node checks our Authorization header and paySign independently. */
static const char *node_check_ours =
    "const c = require('crypto'), fs = require('fs');\n"
    "const a = JSON.parse(fs.readFileSync(process.argv[2]));\n"
    "const f = {}; a.auth.replace(/^WECHATPAY2-SHA256-RSA2048 /, '').split(',').forEach(p => {\n"
    "  const i = p.indexOf('='); f[p.slice(0, i)] = p.slice(i + 2, -1); });\n"
    "const m = `POST\\n/v3/pay/transactions/jsapi\\n${f.timestamp}\\n${f.nonce_str}\\n${a.body}\\n`;\n"
    "const ok1 = c.verify('sha256', Buffer.from(m), a.pub, Buffer.from(f.signature, 'base64'));\n"
    "const p = `wxd678efh567hg6787\\n1414561699\\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\\nprepay_id=wx201410272009395522657a690389285100\\n`;\n"
    "const ok2 = c.verify('sha256', Buffer.from(p), a.pub, Buffer.from(a.paysign, 'base64'));\n"
    "const as = c.sign('sha256', Buffer.from(a.alipay), a.priv).toString('base64');\n"
    "console.log(`${ok1 && f.mchid === '1900009191'} ${ok2} ${as}`);\n";

TEST(node_verifies_our_request_signature_and_pay_sign)
{
	struct wechat_merchant mch = { "1900009191", "SERIAL1", platform_key };
	const char *body = "{\"appid\":\"wxd678efh567hg6787\",\"amount\":{\"total\":1}}";
	char h[1200], paysign[700], *arg = malloc(32768), out[2048];
	cJSON *j = cJSON_CreateObject();
	char *js;
	int rc;

	CHECK_EQ_INT(wechat_authorization(&mch, "POST", "/v3/pay/transactions/jsapi", body, strlen(body),
	    1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", h, sizeof h), 0);
	CHECK_EQ_INT(wechat_jsapi_sign(platform_key, "wxd678efh567hg6787", "1414561699", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
	    "wx201410272009395522657a690389285100", paysign, sizeof paysign), 0);
	cJSON_AddStringToObject(j, "auth", h);
	cJSON_AddStringToObject(j, "body", body);
	cJSON_AddStringToObject(j, "pub", platform_pub);
	cJSON_AddStringToObject(j, "priv", platform_priv);
	cJSON_AddStringToObject(j, "paysign", paysign);
	cJSON_AddStringToObject(j, "alipay", "app_id=2014072300007148&out_trade_no=T1&total_amount=88.88&trade_status=TRADE_SUCCESS");
	js = cJSON_PrintUnformatted(j);
	snprintf(arg, 32768, "%s", js);
	free(js);
	cJSON_Delete(j);
	rc = node_run(node_check_ours, arg, out, sizeof out);
	if (rc != -2) {
		struct alipay_params ap;
		char form[4096], err[200], *sig;

		CHECK_EQ_INT(rc, 0);
		CHECK(strncmp(out, "true true ", 10) == 0);
		/* Node signed Alipay's content (keys sorted by hand): we verify it
		 * from a form in another order, with an empty value and sign_type */
		sig = strchr(out + 10, '\n');
		if (sig != NULL)
			*sig = '\0';
		snprintf(form, sizeof form, "trade_status=TRADE_SUCCESS&sign_type=RSA2&total_amount=88.88&buyer_id=&"
		    "out_trade_no=T1&app_id=2014072300007148&sign=%s", out + 10);
		/* the signature's base64 needs its '+' '/' '=' escaped in a form */
		{
			char esc[8192];
			size_t o = 0;
			for (const char *p = form; *p && o + 4 < sizeof esc; p++) {
				if (p > strstr(form, "sign=") + 4 && (*p == '+' || *p == '/' || *p == '='))
					o += (size_t)snprintf(esc + o, sizeof esc - o, "%%%02X", (unsigned char)*p);
				else
					esc[o++] = *p;
			}
			esc[o] = '\0';
			CHECK_EQ_INT(alipay_form_parse(esc, strlen(esc), &ap, err, sizeof err), 0);
		}
		CHECK(alipay_verify(platform_key, &ap));
		{
			struct alipay_order o = { "2014072300007148", NULL, "T1", 8888 };
			CHECK_EQ_INT(alipay_match(&o, &ap), ALIPAY_MATCH_NO_TRADE_NO);
		}
		alipay_params_free(&ap);
	} else
		node_skipped = 1;
	free(arg);
}

TEST(alipay_content_sorted_without_sign_and_empty)
{
	struct alipay_params ap;
	char err[200], content[512], sig[700];
	const char *form = "b=2&sign_type=RSA2&a=%E4%B8%AD+1&c=&sign=xx&trade_no=2013&out_trade_no=T1&app_id=A"
	    "&trade_status=TRADE_FINISHED&total_amount=0.01";
	struct alipay_order o = { "A", NULL, "T1", 1 };

	CHECK_EQ_INT(alipay_form_parse(form, strlen(form), &ap, err, sizeof err), 0);
	CHECK(alipay_sign_content(&ap, content, sizeof content) > 0);
	CHECK_EQ_STR(content, "a=中 1&app_id=A&b=2&out_trade_no=T1&total_amount=0.01&trade_no=2013&trade_status=TRADE_FINISHED");
	CHECK(!alipay_verify(platform_key, &ap));
	CHECK_EQ_INT(alipay_match(&o, &ap), ALIPAY_MATCH_OK);
	o.amount_fen = 2;
	CHECK_EQ_INT(alipay_match(&o, &ap), ALIPAY_MATCH_AMOUNT);
	CHECK_EQ_INT(alipay_sign(platform_key, &ap, sig, sizeof sig), 0);
	alipay_params_free(&ap);
	CHECK_EQ_INT(alipay_form_parse("a=1&a=2", 7, &ap, err, sizeof err), -1);
	CHECK_EQ_INT(alipay_form_parse("a=%zz", 5, &ap, err, sizeof err), -1);
	CHECK_EQ_INT(alipay_form_parse("a=%00", 5, &ap, err, sizeof err), -1);
	CHECK_EQ_INT(alipay_form_parse("novalue", 7, &ap, err, sizeof err), -1);
}

TEST(alipay_form_encode_and_response_content)
{
	struct alipay_params ap = { 0 };
	char out[256], sign[64];
	const char *body = "{\"alipay_trade_precreate_response\":{\"code\":\"10000\",\"msg\":\"Success\","
	    "\"qr_code\":\"https:\\/\\/qr.alipay.com\\/x{}\"},\"sign\":\"ab\\/c=\"}";
	const char *start;
	size_t n;

	ap.n = 2;
	ap.p[0].key = (char *)"biz_content";
	ap.p[0].value = (char *)"{\"a\":\"中 1\"}";
	ap.p[1].key = (char *)"sign";
	ap.p[1].value = (char *)"a+b/c=";
	CHECK(alipay_form_encode(&ap, out, sizeof out) > 0);
	CHECK_EQ_STR(out, "biz_content=%7B%22a%22%3A%22%E4%B8%AD%201%22%7D&sign=a%2Bb%2Fc%3D");
	CHECK_EQ_INT(alipay_form_encode(&ap, out, 20), -1);
	CHECK_EQ_INT(alipay_response_content(body, strlen(body), "alipay_trade_precreate_response", &start, &n,
	    sign, sizeof sign), 0);
	CHECK(n == strlen("{\"code\":\"10000\",\"msg\":\"Success\",\"qr_code\":\"https:\\/\\/qr.alipay.com\\/x{}\"}"));
	CHECK(strncmp(start, "{\"code\":", 8) == 0);
	CHECK_EQ_STR(sign, "ab/c=");
	CHECK_EQ_INT(alipay_response_content(body, strlen(body), "alipay_trade_query_response", &start, &n,
	    sign, sizeof sign), -1);
	CHECK_EQ_INT(alipay_response_content("{\"alipay_trade_precreate_response\":{\"a\":1", 40,
	    "alipay_trade_precreate_response", &start, &n, sign, sizeof sign), -1);
}

TEST(node_cases_ran)
{
	if (node_skipped)
		printf("# %s is not installed: the independent-implementation cases were skipped\n", NODE);
	CHECK(1);
}

int
main(void)
{
	platform_key = EVP_RSA_gen(2048);
	other_key = EVP_RSA_gen(2048);
	pem_public(platform_key, platform_pub, sizeof platform_pub);
	pem_public(other_key, other_pub, sizeof other_pub);
	pem_private(platform_key, platform_priv, sizeof platform_priv);
	RUN(aes_gcm_decrypts_the_wechatpay_java_vector);
	RUN(aes_gcm_refuses_tampering_wrong_aad_key_and_nonce);
	RUN(aes_gcm_round_trip_matches_the_vector);
	RUN(base64_is_strict);
	RUN(verify_picks_the_key_by_serial_public_key_id_or_certificate);
	RUN(verify_refuses_forged_unknown_missing_truncated_and_probes);
	RUN(verify_stale_at_five_minutes_either_way);
	RUN(authorization_header_has_every_field_and_verifies);
	RUN(transaction_parses_and_matches_its_order);
	RUN(transaction_refuses_bad_amounts_and_missing_fields);
	RUN(notification_envelope_parses_and_refuses);
	RUN(success_time_to_utc);
	RUN(out_trade_no_rules);
	RUN(node_made_notification_verifies_decrypts_and_matches);
	RUN(node_verifies_our_request_signature_and_pay_sign);
	RUN(alipay_content_sorted_without_sign_and_empty);
	RUN(alipay_form_encode_and_response_content);
	RUN(node_cases_ran);
	EVP_PKEY_free(platform_key);
	EVP_PKEY_free(other_key);
	return unit_done();
}
