/* The worker's settings and entry point (worker/worker.c, worker/main.c). */
#ifndef PREPAY_WORKER_RUN_H
#define PREPAY_WORKER_RUN_H
#include <stdint.h>
#include "lib/config.h"

struct worker_conf {
	const struct config *cfg;
	int threads;
	int batch;		/* rows claimed at once per thread */
	int once;		/* exit when nothing is due */
	int64_t site_id;	/* 0: every site; else only this site's accounts */
	int max_attempts;
	int64_t retry_base_ms, retry_max_ms;
	int lease_s;
	int poll_ms;
	long http_timeout_ms;
	long done, not_done;	/* counts when worker_run returns */
};

int worker_run(struct worker_conf *);
void worker_stop(void);		/* async-signal-safe */
int64_t worker_now_us(void);	/* time, or $PREPAY_NOW (a test hook) */

#endif
