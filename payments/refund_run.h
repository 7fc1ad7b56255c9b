/*
 * Refunds and reconciliation against WeChat Pay, the I/O: one refund
 * request or query carried out (prepay-worker's refund.request and
 * refund.query), and one day's reconciliation run, acted on (missing here
 * → the order is queried and credited) and stored (prepayctl recon and the
 * worker's payment.recon). Each says what happened in a refund_run.
 */
#ifndef PREPAY_PAYMENTS_REFUND_RUN_H
#define PREPAY_PAYMENTS_REFUND_RUN_H
#include "lib/config.h"
#include "lib/db.h"
#include "payments/wechat_bill.h"
#include "payments/wechat_client.h"

enum refund_run_outcome {
	REFUND_RUN_DONE,	/* carried out: nothing more for this job */
	REFUND_RUN_RETRY,	/* no answer, or an answer worth retrying */
	REFUND_RUN_FAILED,	/* will never work as it stands */
};

struct refund_run {
	enum refund_run_outcome outcome;
	long http_status;
	char status[17];	/* the refund's status afterwards */
	char answer[512];	/* what WeChat Pay said */
	char error[512];	/* for people */
};

/* The URL refund notifications go to: [wechatpay] refund_notify_url, else
 * notify_url with its last path part made "refund-notify". */
void refund_notify_url(const struct config *, const struct pay_wechat *, char *out, size_t outlen);

/* POST /v3/refund/domestic/refunds for one refund (idempotent: WeChat Pay
 * keys it on out_refund_no). A PROCESSING answer queues refund.query. */
int refund_request_run(struct db *, const struct config *, const struct pay_wechat *, const char *out_refund_no,
    struct refund_run *);
/* GET /v3/refund/domestic/refunds/{out_refund_no}: a final status is
 * applied; PROCESSING asks for a retry. */
int refund_query_run(struct db *, const struct pay_wechat *, const char *out_refund_no, struct refund_run *);

#define REFUND_QUERY_AFTER_S 60	/* a notification usually comes first */

struct recon_run {
	struct recon_report rep;
	char **actions;		/* one per rep line */
	int have_report;
	int64_t report_id;
	int credited;		/* missing here, credited through the query now */
	char error[512];
};
/* 0 ran (rep filled, stored), -1 could not (error; stored as an error run
 * when the database works). Free with recon_run_free. */
int recon_run_day(struct db *, const struct pay_wechat *, const char *date, const char *actor, struct recon_run *);
void recon_run_free(struct recon_run *);

#endif
