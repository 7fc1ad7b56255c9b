/*
 * Payments in the database: top-up orders, and crediting a paid
 * transaction exactly once — whichever path brings it (notification,
 * active query), however often, however concurrently. See docs/payments.md.
 */
#ifndef PREPAY_PAYMENTS_PAY_STORE_H
#define PREPAY_PAYMENTS_PAY_STORE_H
#include <stdint.h>
#include "lib/db.h"
#include "payments/wechat.h"

#define PAY_OUT_TRADE_NO_LEN 27	/* "T20261128-00000017-3f9a2c1b" */

/* A new order: T<yyyymmdd UTC>-<account id, 8 digits>-<8 hex random>. */
int pay_out_trade_no_make(int64_t account_id, int64_t now, char out[PAY_OUT_TRADE_NO_LEN + 1]);

struct pay_account {
	int64_t id, site_id;
	char label[72];		/* "SITE/CODE" */
	int closed;
	int64_t min_topup_fen, max_topup_fen;	/* the site's, or the defaults given */
};
/* 1 found, 0 no such account, -1 database error. */
int pay_account_load(struct db *, int64_t account_id, int64_t def_min_fen, int64_t def_max_fen, struct pay_account *);

struct pay_order {
	int64_t id, account_id, amount_fen;
	char provider[17], channel[33], out_trade_no[65], transaction_id[65];
	char currency[4], appid[33], mchid[33], description[128], payer_openid[129];
	char status[17], provider_state[33], prepay_id[65], code_url[256];
	char created_at[32], expires_at[32], credited_at[32];
	int64_t balance_fen;	/* the account's balance now (for the status answer) */
};

/* Stored before any provider is called. 0, or -1 (db_error says why). */
int pay_order_insert(struct db *, const struct pay_order *, int ttl_s);
/* 1 found, 0 none, -1 database error. */
int pay_order_load(struct db *, const char *out_trade_no, struct pay_order *);
/* What the provider said when the order was placed. */
int pay_order_placed(struct db *, int64_t id, const char *prepay_id, const char *code_url);
int pay_order_failed(struct db *, int64_t id, int definite, const char *error);

enum pay_outcome {
	PAY_CREDITED,		/* credited now */
	PAY_ALREADY,		/* credited before, same transaction: nothing new */
	PAY_NOT_PAID,		/* trade_state is not SUCCESS: nothing to credit */
	PAY_REVIEW,		/* genuine but disagrees with the order: kept for finance */
};
const char *pay_outcome_name(enum pay_outcome);

struct pay_credit_result {
	enum pay_outcome outcome;
	char reason[33];		/* for PAY_REVIEW: amount, mchid, unknown_order … */
	int64_t payment_id, account_id, entry_id, balance_after_fen;
	char detail[320];
};

/*
 * Credits a WeChat Pay transaction (decrypted notification or query
 * answer) in one transaction: the order row locked by out_trade_no,
 * matched, the ledger posted under "wechat:<transaction_id>", the row
 * marked credited, the account policy applied (a cut account gets its
 * restore command). via: "notify" or "query". raw: the transaction JSON
 * as received, kept for a review. Returns 0 with res filled, -1 on a
 * database error after the retries (nothing written).
 */
int pay_credit_wechat(struct db *, const struct wechat_transaction *, const char *raw, const char *via,
    struct pay_credit_result *res);

/* The same for any provider ("wechat", "alipay"): an Alipay notification
 * is first put in a wechat_transaction's shape (alipay_to_transaction):
 * appid = app_id, mchid = seller_id, transaction_id = trade_no,
 * trade_state SUCCESS for TRADE_SUCCESS and TRADE_FINISHED. The ledger key
 * is "<provider>:<transaction_id>", the counter "payment:<provider>". */
int pay_credit(struct db *, const char *provider, const struct wechat_transaction *, const char *raw, const char *via,
    struct pay_credit_result *res);

#endif
