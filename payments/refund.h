/*
 * Refunds, the pure part: how a move-out balance is spread over the
 * payments it came from (newest first, each within what is still
 * refundable), refund numbers, and the refund object WeChat Pay answers
 * with and notifies (POST /v3/refund/domestic/refunds, GET …/{no},
 * REFUND.* notifications). No I/O; docs/payments.md has the flow.
 */
#ifndef PREPAY_PAYMENTS_REFUND_H
#define PREPAY_PAYMENTS_REFUND_H
#include <stddef.h>
#include <stdint.h>

/* One payment that may be refunded, as read under the account's lock. */
struct refund_source {
	int64_t payment_id;
	int64_t amount_fen;	/* what was paid */
	int64_t refunded_fen;	/* refunds not closed or abnormal: requested, processing, success */
};

struct refund_share {
	int64_t payment_id;
	int64_t amount_fen;	/* > 0 */
	int64_t total_fen;	/* the payment's amount (the refund API wants it) */
};

/*
 * Spreads balance_fen over sources, which are ordered newest first: each
 * payment gives at most amount - refunded. Writes at most max shares and
 * returns how many; *rest_fen is what the payments could not cover (0 for
 * a full refund). -1 when the arguments are impossible (negative balance,
 * refunded beyond the amount).
 */
int refund_plan(int64_t balance_fen, const struct refund_source *sources, int n, struct refund_share *shares,
    int max, int64_t *rest_fen);

#define REFUND_NO_MAX 64
/* "R20261128-00000017-42-1": day (UTC), account, payment id, the payment's
 * nth refund. Meaningful on a bill line, and unique by construction (the
 * column is UNIQUE too). Cash refunds: "C20261128-00000017-<8 hex>". */
int refund_no_make(char prefix, int64_t account_id, int64_t payment_id, int nth, int64_t now,
    const char *random_hex, char *out, size_t outlen);
/* 6-64 of [0-9A-Za-z_-|*@]: what WeChat Pay accepts. 1 if well formed. */
int refund_no_valid(const char *);

enum refund_state {
	REFUND_PROCESSING,
	REFUND_SUCCESS,
	REFUND_CLOSED,
	REFUND_ABNORMAL,
	REFUND_UNKNOWN,
};
enum refund_state refund_state_parse(const char *);	/* "SUCCESS" … */
const char *refund_state_db(enum refund_state);		/* the refunds.status value */
/* a final state that sends the money back to the tenant account */
int refund_state_reverses(enum refund_state);

/* The API's refund object and the notification's plaintext, one shape:
 * status (API) and refund_status (notification) both fill status. */
struct wechat_refund {
	char mchid[33], out_trade_no[33], transaction_id[33];
	char out_refund_no[REFUND_NO_MAX + 1], refund_id[65];
	char status[17];
	char success_time[41];
	int64_t total_fen, refund_fen;
	char currency[8];
};
int wechat_refund_parse(const char *json, size_t len, struct wechat_refund *, char *err, size_t errlen);

/* The request body of POST /v3/refund/domestic/refunds. 0 or -1 (too small). */
int wechat_refund_body(const char *out_trade_no, const char *out_refund_no, const char *reason,
    const char *notify_url, int64_t refund_fen, int64_t total_fen, char *out, size_t outlen);

/* Whether a refusal of the refund API is worth retrying (the money may
 * still go out later) or final (this refund will never be made). */
int wechat_refund_error_retryable(long http_status, const char *code);

/* The worker's periodic payment jobs (payments/refund_jobs.c). */
#define PAYMENT_SWEEP_EVERY_S 60
#define PAYMENT_RECON_AT_S (2 * 3600 + 1800)	/* 02:30 UTC = 10:30 Beijing: the bill is out by 10:00 */

/* Pure: when the periodic job after now runs (Unix seconds). */
int64_t refund_jobs_next_sweep(int64_t now);
int64_t refund_jobs_next_recon(int64_t now);
/* Pure: the Beijing day before now, "YYYY-MM-DD". */
void refund_jobs_recon_date(int64_t now, char out[11]);

#endif
