/*
 * Payment webhooks: POST /pay/wechat/notify. Verify over the raw body,
 * decrypt, match, credit once (payments/pay_store.c), answer. What each
 * answer makes WeChat Pay do is in docs/payments.md.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cgi/api.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "payments/alipay.h"
#include "payments/alipay_client.h"
#include "payments/pay_store.h"
#include "payments/wechat_client.h"

static pthread_mutex_t pay_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pay_wechat pay_wechat;
static int pay_loaded;	/* 1 loaded, -1 failed (logged once) */

const struct pay_wechat *
pay_wechat_config(struct request *req)
{
	char err[512];
	int loaded;

	pthread_mutex_lock(&pay_lock);
	if (pay_loaded == 0) {
		if (pay_wechat_load(server_config(req), &pay_wechat, err, sizeof err) == 0) {
			pay_loaded = 1;
			if (pay_wechat.problem[0])
				log_info("payments: %s", pay_wechat.problem);
		} else {
			pay_loaded = -1;
			log_error("payments: %s", err);
		}
	}
	loaded = pay_loaded;
	pthread_mutex_unlock(&pay_lock);
	return loaded == 1 ? &pay_wechat : NULL;
}

static struct pay_alipay pay_alipay;
static int pay_alipay_loaded;

const struct pay_alipay *
pay_alipay_config(struct request *req)
{
	char err[512];
	int loaded;

	pthread_mutex_lock(&pay_lock);
	if (pay_alipay_loaded == 0) {
		pay_alipay_loaded = pay_alipay_load(server_config(req), &pay_alipay, err, sizeof err) == 0 ? 1 : -1;
		if (pay_alipay_loaded < 0)
			log_error("payments: %s", err);
	}
	loaded = pay_alipay_loaded;
	pthread_mutex_unlock(&pay_lock);
	return loaded == 1 ? &pay_alipay : NULL;
}

/* WeChat Pay reads {"code":"FAIL","message":…} on a failure answer. */
void
pay_notify_fail(struct request *req, int status, const char *message)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "code", "FAIL");
	cJSON_AddStringToObject(o, "message", message);
	response_json(req, status, o);
	cJSON_Delete(o);
}

/*
 * The first steps of every WeChat Pay notification: configured, then the
 * signature over the raw body by Wechatpay-Serial, fresh timestamp. Returns
 * 0 when genuine; else answers (500, 401 or 413) and returns -1. A forged
 * request leaves nothing but the security line.
 */
int
pay_notify_verify(struct request *req, const struct pay_wechat *w, const char *what)
{
	struct wechat_signed sg;
	enum wechat_verify v;

	if (w == NULL || !w->can_verify) {
		log_error("payments: a WeChat Pay %s arrived but %s", what, w ? w->problem : "[wechatpay] is broken");
		pay_notify_fail(req, 500, "not configured");
		return -1;
	}
	sg.serial = request_header(req, "Wechatpay-Serial");
	sg.signature = request_header(req, "Wechatpay-Signature");
	sg.timestamp = request_header(req, "Wechatpay-Timestamp");
	sg.nonce = request_header(req, "Wechatpay-Nonce");
	sg.body = req->body;
	sg.body_len = req->body_len;
	if ((v = wechat_verify(&w->keys, &sg, (int64_t)time(NULL))) != WECHAT_VERIFY_OK) {
		log_warn("security: WeChat Pay %s refused: %s (from %s, serial '%.64s', timestamp '%.20s',"
		    " %zu bytes, request %s)", what, wechat_verify_strerror(v), req->remote_addr ? req->remote_addr : "-",
		    sg.serial ? sg.serial : "", sg.timestamp ? sg.timestamp : "", req->body_len, req->request_id);
		pay_notify_fail(req, v == WECHAT_VERIFY_TOO_LARGE ? 413 : 401, wechat_verify_strerror(v));
		return -1;
	}
	return 0;
}

/* POST /pay/wechat/notify */
void
pay_wechat_notify(struct request *req)
{
	const struct pay_wechat *w = pay_wechat_config(req);
	struct wechat_notification *n;
	struct wechat_transaction t;
	struct pay_credit_result res;
	char err[256], *plain;
	long plen;
	struct db *db;

	if (pay_notify_verify(req, w, "notification") != 0)
		return;
	n = xmalloc(sizeof *n);
	plain = xmalloc(WECHAT_BODY_MAX + 1);
	if (wechat_notification_parse(req->body, req->body_len, n, err, sizeof err) != 0) {
		log_error("payments: a signed WeChat Pay notification does not parse: %s (request %s)", err, req->request_id);
		pay_notify_fail(req, 400, err);
		goto out;
	}
	if (strcmp(n->event_type, "TRANSACTION.SUCCESS") != 0 ||
	    (n->original_type[0] && strcmp(n->original_type, "transaction") != 0)) {
		log_info("payments: WeChat Pay notification %s (%s) is not a payment; nothing to do", n->id, n->event_type);
		response_text(req, 204, CONTENT_TYPE_JSON, "", 0);
		goto out;
	}
	plen = wechat_aes_gcm_decrypt(w->apiv3_key, n->nonce, strlen(n->nonce), n->associated_data,
	    strlen(n->associated_data), n->ciphertext, strlen(n->ciphertext), plain, WECHAT_BODY_MAX + 1);
	if (plen < 0) {
		/* signed by WeChat Pay yet not ours to read: our APIv3 key is wrong;
		 * a failure answer keeps WeChat retrying until it is fixed */
		log_error("security: signed WeChat Pay notification %s does not decrypt (tag mismatch): check [wechatpay]"
		    " apiv3_key (request %s)", n->id, req->request_id);
		pay_notify_fail(req, 500, "cannot decrypt");
		goto out;
	}
	if (wechat_transaction_parse(plain, (size_t)plen, &t, err, sizeof err) != 0) {
		log_error("payments: WeChat Pay notification %s: the transaction does not parse: %s", n->id, err);
		pay_notify_fail(req, 400, err);
		goto out;
	}
	if ((db = request_db(req)) == NULL)
		goto out;
	if (pay_credit_wechat(db, &t, plain, "notify", &res) != 0) {
		request_db_failed(req, db);
		goto out;
	}
	if (res.outcome == PAY_REVIEW)
		log_warn("payments: %s (transaction %s, %lld fen) does not match its order: %s; kept for finance review,"
		    " not credited", t.out_trade_no, t.transaction_id, (long long)t.total_fen, res.reason);
	else
		log_info("payments: %s (transaction %s): %s via notification", t.out_trade_no, t.transaction_id,
		    pay_outcome_name(res.outcome));
	response_text(req, 204, CONTENT_TYPE_JSON, "", 0);
out:
	free(plain);
	free(n);
}

/* Alipay reads the body: exactly "success" stops its retries, anything else does not. */
static void
alipay_answer(struct request *req, int status, const char *text)
{
	response_text(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* POST /pay/alipay/notify: form body, RSA2 over the sorted parameters */
void
pay_alipay_notify(struct request *req)
{
	const struct pay_alipay *a = pay_alipay_config(req);
	struct alipay_params ap;
	struct wechat_transaction t;
	struct pay_credit_result res;
	char err[256], *raw;
	struct db *db;

	if (a == NULL || !a->can_verify) {
		log_error("payments: an Alipay notification arrived but %s", a ? a->problem : "[alipay] is broken");
		alipay_answer(req, 500, "fail");
		return;
	}
	if (req->body_len > ALIPAY_BODY_MAX || alipay_form_parse(req->body, req->body_len, &ap, err, sizeof err) != 0) {
		log_warn("security: Alipay notification refused: %s (from %s, %zu bytes, request %s)",
		    req->body_len > ALIPAY_BODY_MAX ? "too large" : err, req->remote_addr ? req->remote_addr : "-",
		    req->body_len, req->request_id);
		alipay_answer(req, req->body_len > ALIPAY_BODY_MAX ? 413 : 400, "fail");
		return;
	}
	if (!alipay_verify(a->alipay_public, &ap)) {
		log_warn("security: Alipay notification refused: the RSA2 signature does not verify (from %s,"
		    " out_trade_no '%.40s', request %s)", req->remote_addr ? req->remote_addr : "-",
		    alipay_param(&ap, "out_trade_no") ? alipay_param(&ap, "out_trade_no") : "", req->request_id);
		alipay_answer(req, 401, "fail");
		goto out;
	}
	if (alipay_to_transaction(&ap, &t, err, sizeof err) != 0) {
		log_error("payments: a signed Alipay notification is incomplete: %s (request %s)", err, req->request_id);
		alipay_answer(req, 400, "fail");
		goto out;
	}
	if ((db = request_db(req)) == NULL)
		goto out;
	raw = xmalloc(req->body_len + 1);
	memcpy(raw, req->body, req->body_len + 1);
	if (pay_credit(db, "alipay", &t, raw, "notify", &res) != 0) {
		free(raw);
		request_db_failed(req, db);
		goto out;
	}
	free(raw);
	if (res.outcome == PAY_REVIEW)
		log_warn("payments: Alipay %s (trade %s, %lld fen) does not match its order: %s; kept for finance review,"
		    " not credited", t.out_trade_no, t.transaction_id, (long long)t.total_fen, res.reason);
	else
		log_info("payments: Alipay %s (trade %s): %s via notification", t.out_trade_no, t.transaction_id,
		    pay_outcome_name(res.outcome));
	alipay_answer(req, 200, "success");
out:
	alipay_params_free(&ap);
}
