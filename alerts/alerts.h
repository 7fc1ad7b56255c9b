/*
 * The alerts area's job handlers for prepay-worker (docs/alerts.md):
 * alerts_fanout turns one alert.* outbox row into one msg.* row per
 * (contact, channel), each with its own dedupe key; the deliver_* handlers
 * send one message each.
 */
#ifndef PREPAY_ALERTS_H
#define PREPAY_ALERTS_H
#include "worker/worker.h"

void alerts_fanout(struct worker_ctx *, const struct job *, struct job_result *);
void alerts_deliver_sms(struct worker_ctx *, const struct job *, struct job_result *);
void alerts_deliver_wechat(struct worker_ctx *, const struct job *, struct job_result *);
void alerts_deliver_webhook(struct worker_ctx *, const struct job *, struct job_result *);
/* per-thread state (time zone cache); freed by alerts_thread_free */
void *alerts_thread_new(void);
void alerts_thread_free(void *);

#endif
