#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>
#include "billing/ledger.h"
#include "billing/receipt.h"
#include "billing/policy_apply.h"
#include "lib/log.h"
#include "payments/pay_store.h"

int
pay_out_trade_no_make(int64_t account_id, int64_t now, char out[PAY_OUT_TRADE_NO_LEN + 1])
{
	unsigned char r[4];
	struct tm tm;
	time_t t = (time_t)now;
	int n;

	if (account_id <= 0 || account_id > 99999999 || RAND_bytes(r, sizeof r) != 1 || gmtime_r(&t, &tm) == NULL)
		return -1;
	n = snprintf(out, PAY_OUT_TRADE_NO_LEN + 1, "T%04d%02d%02d-%08lld-%02x%02x%02x%02x",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, (long long)account_id, r[0], r[1], r[2], r[3]);
	return n == PAY_OUT_TRADE_NO_LEN ? 0 : -1;
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

int
pay_account_load(struct db *db, int64_t account_id, int64_t def_min_fen, int64_t def_max_fen, struct pay_account *a)
{
	struct db_rows *r;
	int rc;

	memset(a, 0, sizeof *a);
	r = db_query(db, "SELECT a.id, a.site_id, CONCAT(s.code, '/', a.code), a.status = 'closed',"
	    " l.min_topup_fen, l.max_topup_fen FROM accounts a JOIN sites s ON s.id = a.site_id"
	    " LEFT JOIN payment_site_limits l ON l.site_id = a.site_id WHERE a.id = ?", "i", account_id);
	if (r == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1) {
		a->id = db_rows_int(r, 0);
		a->site_id = db_rows_int(r, 1);
		copy(a->label, sizeof a->label, db_rows_str(r, 2));
		a->closed = db_rows_int(r, 3) != 0;
		a->min_topup_fen = db_rows_isnull(r, 4) ? def_min_fen : db_rows_int(r, 4);
		a->max_topup_fen = db_rows_isnull(r, 5) ? def_max_fen : db_rows_int(r, 5);
	}
	db_rows_free(r);
	return rc;
}

int
pay_order_insert(struct db *db, const struct pay_order *o, int ttl_s)
{
	return db_exec(db, "INSERT INTO payments (provider, channel, out_trade_no, account_id, amount_fen, currency,"
	    " appid, mchid, description, payer_openid, status, expires_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', UTC_TIMESTAMP(6) + INTERVAL ? SECOND)", "sssiisssssi",
	    o->provider, o->channel, o->out_trade_no, o->account_id, o->amount_fen, o->currency, o->appid, o->mchid,
	    o->description, o->payer_openid[0] ? o->payer_openid : NULL, (int64_t)ttl_s) == 1 ? 0 : -1;
}

#define ORDER_COLUMNS "p.id, p.account_id, p.amount_fen, p.provider, p.channel, p.out_trade_no," \
	" p.transaction_id, p.currency, p.appid, p.mchid, p.description, p.payer_openid, p.status," \
	" p.provider_state, p.prepay_id, p.code_url, DATE_FORMAT(p.created_at, '%Y-%m-%dT%H:%i:%sZ')," \
	" DATE_FORMAT(p.expires_at, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(p.credited_at, '%Y-%m-%dT%H:%i:%sZ')," \
	" a.balance_fen"

static void
order_from_row(struct db_rows *r, struct pay_order *o)
{
	memset(o, 0, sizeof *o);
	o->id = db_rows_int(r, 0);
	o->account_id = db_rows_int(r, 1);
	o->amount_fen = db_rows_int(r, 2);
	copy(o->provider, sizeof o->provider, db_rows_str(r, 3));
	copy(o->channel, sizeof o->channel, db_rows_str(r, 4));
	copy(o->out_trade_no, sizeof o->out_trade_no, db_rows_str(r, 5));
	copy(o->transaction_id, sizeof o->transaction_id, db_rows_str(r, 6));
	copy(o->currency, sizeof o->currency, db_rows_str(r, 7));
	copy(o->appid, sizeof o->appid, db_rows_str(r, 8));
	copy(o->mchid, sizeof o->mchid, db_rows_str(r, 9));
	copy(o->description, sizeof o->description, db_rows_str(r, 10));
	copy(o->payer_openid, sizeof o->payer_openid, db_rows_str(r, 11));
	copy(o->status, sizeof o->status, db_rows_str(r, 12));
	copy(o->provider_state, sizeof o->provider_state, db_rows_str(r, 13));
	copy(o->prepay_id, sizeof o->prepay_id, db_rows_str(r, 14));
	copy(o->code_url, sizeof o->code_url, db_rows_str(r, 15));
	copy(o->created_at, sizeof o->created_at, db_rows_str(r, 16));
	copy(o->expires_at, sizeof o->expires_at, db_rows_str(r, 17));
	copy(o->credited_at, sizeof o->credited_at, db_rows_str(r, 18));
	o->balance_fen = db_rows_int(r, 19);
}

static int
order_query(struct db *db, const char *sql, const char *out_trade_no, struct pay_order *o)
{
	struct db_rows *r = db_query(db, sql, "s", out_trade_no);
	int rc;

	if (r == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1)
		order_from_row(r, o);
	db_rows_free(r);
	return rc;
}

int
pay_order_load(struct db *db, const char *out_trade_no, struct pay_order *o)
{
	return order_query(db, "SELECT " ORDER_COLUMNS " FROM payments p JOIN accounts a ON a.id = p.account_id"
	    " WHERE p.out_trade_no = ?", out_trade_no, o);
}

int
pay_order_placed(struct db *db, int64_t id, const char *prepay_id, const char *code_url)
{
	return db_exec(db, "UPDATE payments SET prepay_id = ?, code_url = ?, last_error = NULL WHERE id = ?", "ssi",
	    prepay_id, code_url, id) < 0 ? -1 : 0;
}

int
pay_order_failed(struct db *db, int64_t id, int definite, const char *error)
{
	char e[256];

	copy(e, sizeof e, error);
	/* only an order the provider refused is failed; after a timeout it may exist there */
	return db_exec(db, "UPDATE payments SET last_error = ?, status = IF(? AND status = 'created', 'failed', status)"
	    " WHERE id = ?", "sii", e, (int64_t)(definite != 0), id) < 0 ? -1 : 0;
}

const char *
pay_outcome_name(enum pay_outcome o)
{
	switch (o) {
	case PAY_CREDITED: return "credited";
	case PAY_ALREADY: return "already_credited";
	case PAY_NOT_PAID: return "not_paid";
	case PAY_REVIEW: return "review";
	}
	return "?";
}

struct credit_arg {
	const char *provider, *actor;
	const struct wechat_transaction *t;
	const char *raw, *via;
	struct pay_credit_result *res;
};

/* Keeps a genuine disagreement for finance; a repeat counts up. */
static int
review(struct db *db, struct credit_arg *a, int64_t payment_id, const char *reason)
{
	const struct wechat_transaction *t = a->t;

	copy(a->res->reason, sizeof a->res->reason, reason);
	a->res->outcome = PAY_REVIEW;
	a->res->payment_id = payment_id;
	if (db_exec(db, "INSERT INTO payment_reviews (provider, out_trade_no, transaction_id, reason, payment_id,"
	    " paid_fen, detail) VALUES (?, ?, ?, ?, NULLIF(?, 0), ?, ?) ON DUPLICATE KEY UPDATE seen = seen + 1", "ssssiis",
	    a->provider, t->out_trade_no, t->transaction_id, reason, payment_id, t->total_fen, a->raw ? a->raw : "") < 0)
		return -1;
	if (payment_id > 0 && db_exec(db, "UPDATE payments SET last_error = CONCAT('review: ', ?) WHERE id = ?", "si",
	    reason, payment_id) < 0)
		return -1;
	return 0;
}

static int
credit_tx(struct db *db, void *arg)
{
	struct credit_arg *a = arg;
	const struct wechat_transaction *t = a->t;
	struct pay_credit_result *res = a->res;
	struct db_rows *r;
	struct wechat_order o;
	struct ledger_request rq;
	struct ledger_result lr;
	char appid[33], mchid[33], currency[4], status[17], txid[65], key[LEDGER_KEY_MAX], ref[48], reason[96];
	char counter[40];
	char paid_at[24] = "";
	int64_t id, account_id, amount_fen, paid;
	enum wechat_match m;
	enum ledger_status ls;
	int rc;

	memset(res, 0, sizeof *res);
	r = db_query(db, "SELECT id, account_id, amount_fen, appid, mchid, currency, status, transaction_id"
	    " FROM payments WHERE out_trade_no = ? AND provider = ? FOR UPDATE", "ss", t->out_trade_no, a->provider);
	if (r == NULL)
		return -1;
	if ((rc = db_rows_next(r)) != 1) {
		db_rows_free(r);
		return rc < 0 ? -1 : review(db, a, 0, "unknown_order");
	}
	id = db_rows_int(r, 0);
	account_id = db_rows_int(r, 1);
	amount_fen = db_rows_int(r, 2);
	copy(appid, sizeof appid, db_rows_str(r, 3));
	copy(mchid, sizeof mchid, db_rows_str(r, 4));
	copy(currency, sizeof currency, db_rows_str(r, 5));
	copy(status, sizeof status, db_rows_str(r, 6));
	copy(txid, sizeof txid, db_rows_str(r, 7));
	db_rows_free(r);
	res->payment_id = id;
	res->account_id = account_id;

	o.appid = appid;
	o.mchid = mchid;
	o.out_trade_no = t->out_trade_no;
	o.currency = currency;
	o.amount_fen = amount_fen;
	m = wechat_match(&o, t);
	if (m == WECHAT_MATCH_NOT_PAID) {
		res->outcome = PAY_NOT_PAID;
		/* remember what the provider says; a closed order stays closed only while unpaid */
		return db_exec(db, "UPDATE payments SET provider_state = ?, status = IF(status = 'created' AND ? IN"
		    " ('CLOSED', 'REVOKED', 'PAYERROR'), 'closed', status) WHERE id = ?", "ssi",
		    t->trade_state, t->trade_state, id) < 0 ? -1 : 0;
	}
	if (m != WECHAT_MATCH_OK)
		return review(db, a, id, wechat_match_name(m));
	if (strcmp(status, "credited") == 0) {
		if (strcmp(txid, t->transaction_id) == 0) {
			res->outcome = PAY_ALREADY;
			return 0;
		}
		/* the same order paid twice: money came in that we must give back */
		return review(db, a, id, "second_payment");
	}

	snprintf(key, sizeof key, "%s:%s", a->provider, t->transaction_id);
	snprintf(ref, sizeof ref, "payment:%lld", (long long)id);
	snprintf(reason, sizeof reason, "%s top-up %s", strcmp(a->provider, "wechat") == 0 ? "WeChat Pay" : "Alipay",
	    t->out_trade_no);
	snprintf(counter, sizeof counter, "payment:%s", a->provider);
	ledger_request_init(&rq, key, a->actor, account_id, LEDGER_TOPUP, amount_fen, counter);
	rq.reference = ref;
	rq.reason = reason;
	ls = ledger_post_in_tx(db, &rq, &lr);
	if (ls == LEDGER_DB_ERROR)
		return -1;
	if (ls != LEDGER_OK) {
		/* closed account, a transaction id already used for something else … */
		log_error("payment %s: the ledger refused the credit: %s", t->out_trade_no, lr.detail);
		copy(res->detail, sizeof res->detail, lr.detail);
		return review(db, a, id, ls == LEDGER_KEY_CONFLICT ? "key_conflict" :
		    ls == LEDGER_CLOSED ? "account_closed" : "ledger_refused");
	}
	if (t->success_time[0] != '\0' && wechat_time_parse(t->success_time, &paid) == 0) {
		time_t tt = (time_t)paid;
		struct tm tm;
		if (gmtime_r(&tt, &tm) != NULL)
			strftime(paid_at, sizeof paid_at, "%Y-%m-%d %H:%M:%S", &tm);
	}
	if (db_exec(db, "UPDATE payments SET status = 'credited', transaction_id = ?, credited_entry_id = ?,"
	    " credited_at = UTC_TIMESTAMP(6), credited_via = ?, provider_state = 'SUCCESS', paid_at = ?,"
	    " payer_openid = COALESCE(payer_openid, ?), last_error = NULL WHERE id = ?", "sisssi",
	    t->transaction_id, lr.legs[0].entry_id, a->via, paid_at[0] ? paid_at : NULL,
	    t->payer_openid[0] ? t->payer_openid : NULL, id) < 0)
		return -1;
	if (receipt_queue_in_tx(db, &rq, &lr) != 0 ||
	    policy_apply_in_tx(db, account_id, 0, a->actor, key, NULL) != 0)
		return -1;
	res->outcome = PAY_CREDITED;
	res->entry_id = lr.legs[0].entry_id;
	res->balance_after_fen = lr.legs[0].balance_after_fen;
	return 0;
}

int
pay_credit(struct db *db, const char *provider, const struct wechat_transaction *t, const char *raw, const char *via,
    struct pay_credit_result *res)
{
	struct credit_arg a = { provider, strcmp(provider, "wechat") == 0 ? "wechatpay" : provider, t, raw, via, res };
	int rc = db_tx(db, credit_tx, &a);

	if (rc != 0) {
		log_error("payment %s (transaction %s): %s", t->out_trade_no, t->transaction_id, db_error(db));
		return -1;
	}
	return 0;
}

int
pay_credit_wechat(struct db *db, const struct wechat_transaction *t, const char *raw, const char *via,
    struct pay_credit_result *res)
{
	return pay_credit(db, "wechat", t, raw, via, res);
}
