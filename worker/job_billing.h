/*
 * prepay-worker's billing jobs (registered in worker/jobs.c):
 *   billing.fixed   every hour: standing charges through the current local
 *                   day for every open account with a tariff (idempotent:
 *                   a day is charged once, so each local day start in any
 *                   zone is covered within the hour)
 *   billing.month   every hour: each site past 01:00 on its 1st gets the
 *                   statement run for the month before, once
 * Both are outbox rows that queue their successor first (schema/012 starts
 * the chains). A row whose payload names {"site_id": N} (and, for
 * billing.fixed, optionally "date": "YYYY-MM-DD") is a one-off for that
 * site and queues nothing.
 */
#ifndef PREPAY_WORKER_JOB_BILLING_H
#define PREPAY_WORKER_JOB_BILLING_H
#include <stdint.h>
#include "worker/worker.h"

#define BILLING_JOB_EVERY_S 3600

void billing_job_fixed(struct worker_ctx *, const struct job *, struct job_result *);
void billing_job_month(struct worker_ctx *, const struct job *, struct job_result *);

/* Pure: the next run after now (Unix seconds): the next whole hour. */
int64_t billing_job_next(int64_t now);

#endif
