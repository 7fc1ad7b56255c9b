/*
 * The job registry: one line per kind prefix (docs/worker.md). The first
 * match wins, so list a longer prefix before a shorter one it starts with.
 * Only kinds listed here are claimed; other rows wait for their owner.
 */
#include <stddef.h>
#include "worker/worker.h"
#include "alerts/alerts.h"
#include "payments/refund_jobs.h"
#include "worker/job_billing.h"

const struct job_handler job_handlers[] = {
	{ "alert.", alerts_fanout },		/* one alert → one delivery per contact and channel */
	{ "msg.sms", alerts_deliver_sms },	/* Tencent Cloud SMS or Aliyun SMS */
	{ "msg.wechat", alerts_deliver_wechat },	/* WeChat subscribe message */
	{ "msg.webhook", alerts_deliver_webhook },	/* signed JSON POST */
	{ "refund.request", refund_job_request },	/* WeChat Pay refund API (payments/refund_jobs.c) */
	{ "refund.query", refund_job_query },	/* how a processing refund ended */
	{ "payment.sweep", refund_job_sweep },	/* periodic: unpaid orders queried, expired closed */
	{ "payment.recon", refund_job_recon },	/* periodic: yesterday against the trade bill */
	{ "billing.fixed", billing_job_fixed },	/* periodic: standing charges for idle accounts */
	{ "billing.month", billing_job_month },	/* periodic: the statement run after a site's month end */
	{ NULL, NULL },
};
