/*
 * prepay-worker: carries out the outbox (docs/worker.md). Rows are claimed
 * with SELECT … FOR UPDATE SKIP LOCKED, leased through next_attempt_at,
 * handed to the handler whose prefix matches their kind, and finished as
 * done, retried with backoff, failed (no retry) or dead (gave up); every
 * attempt is a row in outbox_attempts.
 */
#ifndef PREPAY_WORKER_H
#define PREPAY_WORKER_H
#include <stddef.h>
#include <stdint.h>
#include "lib/config.h"
#include "lib/db.h"

enum job_outcome {
	JOB_DONE,	/* delivered / carried out */
	JOB_RETRY,	/* try again later (backoff), until the give-up limit */
	JOB_FAILED,	/* will never work as it is: no retry (bad address, 43101 …) */
};

struct job {
	int64_t id;
	const char *kind;		/* "alert.balance_low_1", "msg.sms" */
	const char *dedupe_key;
	int64_t account_id;		/* 0 when NULL */
	const char *payload;		/* JSON text */
	int attempt;			/* 1 for the first */
	int64_t created_us;		/* when the row was committed (UTC µs) */
	int64_t now_us;			/* the worker's clock (PREPAY_NOW in tests) */
};

#define JOB_TEXT_MAX 1000

struct job_result {
	enum job_outcome outcome;
	char channel[32];		/* "sms:tencent", "wechat", "webhook", "fanout" */
	int http_status;		/* 0: no HTTP answer */
	char answer[JOB_TEXT_MAX];	/* what the provider said */
	char error[JOB_TEXT_MAX];	/* for people: what went wrong, what to do */
	int64_t retry_after_ms;		/* > 0: the provider asked for this delay */
};

struct http;
struct worker_ctx {
	struct db *db;
	const struct config *cfg;
	struct http *http;		/* one libcurl handle per thread (keep-alive) */
	int thread;
	void *alerts;			/* alerts/ per-thread state (time zone cache) */
};

typedef void (*job_fn)(struct worker_ctx *, const struct job *, struct job_result *);

/* The registry (worker/jobs.c): the first entry whose prefix starts the
 * row's kind runs it. Only kinds listed here are claimed. */
struct job_handler {
	const char *prefix;		/* "alert.", "msg.sms" */
	job_fn fn;
};
extern const struct job_handler job_handlers[];

/* Sets the result fields in one line: job_set(r, JOB_FAILED, "sms", "…%s", x) */
void job_set(struct job_result *, enum job_outcome, const char *channel, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* For a handler that writes in a transaction of its own: marks the row
 * done (and its attempt finished, with res's channel and answer) inside
 * that transaction, saving the worker's separate commit. Call it last in
 * the db_tx function; return its value (-1 = database error). */
int worker_done_in_tx(struct db *, const struct job *, const struct job_result *);

/* Pure: the delay before attempt `attempt + 1` after `attempt` failed:
 * base * 2^(attempt-1) capped at max, then "equal jitter" — a uniform
 * draw in [delay/2, delay] from r in [0, 1<<30). */
int64_t worker_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint32_t r);

/* "YYYY-MM-DD HH:MM:SS.ffffff" (UTC) for SQL, and back. */
void worker_sql_time(int64_t us, char buf[32]);
int64_t worker_parse_sql_time(const char *s);

#endif
