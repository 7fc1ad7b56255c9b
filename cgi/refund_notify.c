/*
 * POST /pay/wechat/refund-notify: WeChat Pay's word on a refund
 * (REFUND.SUCCESS, REFUND.CLOSED, REFUND.ABNORMAL). The same steps and
 * answers as the payment notification (cgi/pay.c): verify over the raw
 * body, decrypt, then refund_apply completes the refund once, or gives the
 * money back to the account for a closed or abnormal one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgi/api.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "payments/refund.h"
#include "payments/refund_store.h"
#include "payments/wechat_client.h"

void
pay_wechat_refund_notify(struct request *req)
{
	const struct pay_wechat *w = pay_wechat_config(req);
	struct wechat_notification *n;
	struct wechat_refund r;
	struct refund_apply_result res;
	char err[256], *plain;
	long plen;
	struct db *db;

	if (pay_notify_verify(req, w, "refund notification") != 0)
		return;
	n = xmalloc(sizeof *n);
	plain = xmalloc(WECHAT_BODY_MAX + 1);
	if (wechat_notification_parse(req->body, req->body_len, n, err, sizeof err) != 0) {
		log_error("payments: a signed refund notification does not parse: %s (request %s)", err, req->request_id);
		pay_notify_fail(req, 400, err);
		goto out;
	}
	if (strncmp(n->event_type, "REFUND.", 7) != 0 || (n->original_type[0] && strcmp(n->original_type, "refund") != 0)) {
		log_info("payments: WeChat Pay notification %s (%s) at the refund URL is not a refund; nothing to do",
		    n->id, n->event_type);
		response_text(req, 204, CONTENT_TYPE_JSON, "", 0);
		goto out;
	}
	plen = wechat_aes_gcm_decrypt(w->apiv3_key, n->nonce, strlen(n->nonce), n->associated_data,
	    strlen(n->associated_data), n->ciphertext, strlen(n->ciphertext), plain, WECHAT_BODY_MAX + 1);
	if (plen < 0) {
		log_error("security: signed refund notification %s does not decrypt (tag mismatch): check [wechatpay]"
		    " apiv3_key (request %s)", n->id, req->request_id);
		pay_notify_fail(req, 500, "cannot decrypt");
		goto out;
	}
	if (wechat_refund_parse(plain, (size_t)plen, &r, err, sizeof err) != 0) {
		log_error("payments: refund notification %s: the refund does not parse: %s", n->id, err);
		pay_notify_fail(req, 400, err);
		goto out;
	}
	if ((db = request_db(req)) == NULL)
		goto out;
	if (refund_apply(db, w->mchid, &r, plain, "notify", &res) != 0) {
		request_db_failed(req, db);
		goto out;
	}
	if (res.outcome == REFUND_REVIEW)
		log_warn("payments: refund %s (%s, %lld fen) does not match ours: %s; kept for finance review",
		    r.out_refund_no, r.status, (long long)r.refund_fen, res.reason);
	else
		log_info("payments: refund %s: %s via notification (%s)", r.out_refund_no, res.status,
		    res.outcome == REFUND_ALREADY ? "already" : "applied");
	response_text(req, 204, CONTENT_TYPE_JSON, "", 0);
out:
	free(plain);
	free(n);
}
