/*
 * prepay-worker's payment jobs (registered in worker/jobs.c):
 *   refund.request  POST the refund to WeChat Pay (payload {"out_refund_no"})
 *   refund.query    ask WeChat Pay how a processing refund ended
 *   payment.sweep   every minute: query unpaid orders, close expired ones
 *   payment.recon   every day at 10:30 Beijing time: reconcile yesterday
 * The two periodic jobs are outbox rows that queue their successor first
 * (schema/011_refunds.sql starts the chains), so a failing run never
 * stops the schedule.
 */
#ifndef PREPAY_PAYMENTS_REFUND_JOBS_H
#define PREPAY_PAYMENTS_REFUND_JOBS_H
#include <stdint.h>
#include "payments/refund.h"
#include "worker/worker.h"

void refund_job_request(struct worker_ctx *, const struct job *, struct job_result *);
void refund_job_query(struct worker_ctx *, const struct job *, struct job_result *);
void refund_job_sweep(struct worker_ctx *, const struct job *, struct job_result *);
void refund_job_recon(struct worker_ctx *, const struct job *, struct job_result *);

#endif
