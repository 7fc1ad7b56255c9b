/*
 * The payments part of prepay-worker's rounds: orders still unpaid a few
 * minutes after they were placed are queried (a lost notification still
 * credits, through the same pay_credit_wechat), and expired ones are
 * closed with WeChat Pay — or credited, when the close finds them paid.
 */
#ifndef PREPAY_PAYMENTS_PAY_SWEEP_H
#define PREPAY_PAYMENTS_PAY_SWEEP_H
#include "lib/db.h"
#include "payments/wechat_client.h"

#define PAY_SWEEP_QUERY_AFTER_S 120	/* give the notification this long first */

struct pay_sweep_stats {
	int queried, credited, closed, failed;
};

/* One round over at most max orders. 0, or -1 on a database error (err);
 * a provider that does not answer is counted in failed and retried on the
 * next round. */
int pay_sweep_wechat(struct db *, const struct pay_wechat *, int max, struct pay_sweep_stats *, char *err, size_t errlen);

#endif
