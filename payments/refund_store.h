/*
 * Refunds in the database: a move-out settlement (the balance refunded to
 * the account's WeChat Pay payments, newest first, the account closed, one
 * refund.request outbox row per refund, all in one transaction), the
 * provider's answer applied to a refund exactly once, cash refunds, and
 * stored reconciliation reports. docs/payments.md explains the flow.
 */
#ifndef PREPAY_PAYMENTS_REFUND_STORE_H
#define PREPAY_PAYMENTS_REFUND_STORE_H
#include <stdint.h>
#include "lib/db.h"
#include "payments/refund.h"
#include "payments/wechat_bill.h"

#define REFUND_SETTLE_MAX 256	/* payments one settlement may refund */

enum refund_status {
	REFUND_OK,		/* done (or replayed: see replayed) */
	REFUND_NO_ACCOUNT,
	REFUND_BAD,		/* the request is wrong: detail says what */
	REFUND_REFUSED,		/* refused as it stands (closed account, not covered, key reused): detail */
	REFUND_DB,		/* the database did not confirm: retry with the same request id */
};

struct refund_line {
	char out_refund_no[REFUND_NO_MAX + 1];
	char out_trade_no[65];
	char status[17];
	int64_t payment_id, amount_fen, entry_id;
};

struct settle_result {
	enum refund_status status;
	int replayed;
	int64_t settlement_id, account_id, balance_fen;
	char account[72];		/* "SITE/CODE" */
	char settlement_status[16];
	int nrefunds;
	struct refund_line refunds[REFUND_SETTLE_MAX];
	char detail[400];
};

/* mchid: this merchant's: only its payments can be refunded through its
 * API ("" when WeChat Pay is not set up: none can). The caller allocates
 * res (it is large). */
int refund_settle(struct db *, int64_t account_id, const char *mchid, const char *request_id, const char *actor,
    const char *reason, struct settle_result *res);

struct cash_result {
	enum refund_status status;
	int replayed;
	int64_t refund_id, entry_id, balance_after_fen;
	char out_refund_no[REFUND_NO_MAX + 1];
	char detail[400];
};
int refund_cash(struct db *, int64_t account_id, int64_t amount_fen, const char *request_id, const char *actor,
    const char *reason, struct cash_result *res);

/* What applying a provider's answer did. */
enum refund_outcome {
	REFUND_APPLIED,		/* the refund moved on (processing, success, closed + reversal) */
	REFUND_ALREADY,		/* it was there already: nothing new */
	REFUND_REVIEW,		/* genuine but does not match our refund: kept in payment_reviews */
};
struct refund_apply_result {
	enum refund_outcome outcome;
	char status[17];		/* the refund's status now */
	char reason[33];		/* for REFUND_REVIEW */
	int64_t reversal_entry_id;
};

/*
 * Applies WeChat Pay's word on a refund (API answer, query, notification)
 * in one transaction: success completes it; closed and abnormal post the
 * reversing adjustment (key "refund-reversal:<out_refund_no>"); a final
 * state is never changed again. via: "request", "query", "notify". raw is
 * kept for a review. 0 with res filled, -1 on a database error.
 */
int refund_apply(struct db *, const char *mchid, const struct wechat_refund *, const char *raw, const char *via,
    struct refund_apply_result *res);
/* The refund API refused for good (4xx that no retry changes): the same as
 * a closed refund, with the provider's words kept in last_error. */
int refund_refused(struct db *, const char *out_refund_no, const char *why, struct refund_apply_result *res);
/* A failed attempt that will be retried: its words in last_error. */
int refund_note_error(struct db *, const char *out_refund_no, const char *why);

/* A refund as the worker needs it to call the API. 1 found, 0 no, -1 error. */
struct refund_call {
	char out_refund_no[REFUND_NO_MAX + 1], out_trade_no[65], status[17], mchid[33];
	int64_t account_id, amount_fen, total_fen;
};
int refund_load_call(struct db *, const char *out_refund_no, struct refund_call *);

/* The reconciliation of a day stored for the admin console (one row per
 * provider, merchant and day; a rerun replaces its lines). rep NULL and
 * error set for a run that could not get the bill. actions: one sentence
 * per line of rep (may be NULL). 0 or -1. */
int recon_store(struct db *, const char *mchid, const char *date, const struct recon_report *rep,
    const char *const *actions, const char *error, const char *actor, int64_t *report_id);

#endif
