/*
 * Request counters and latency histograms per route, rendered in the
 * Prometheus text format 0.0.4. Pure: no I/O; callers pass the clock
 * readings and process facts in. Thread-safe: one mutex, held only to
 * bump or copy counters.
 */
#ifndef PREPAY_CGI_METRICS_H
#define PREPAY_CGI_METRICS_H
#include <stdint.h>
#include "cgi/buf.h"

#define METRICS_BUCKETS 14

struct metrics;

/* What the process knows that the counters do not. */
struct metrics_process {
	int64_t start_time_s;		/* unix time the process started */
	uint64_t db_deadlock_retries;	/* db_retry_count() */
	const char *version;
};

/* route_names: the label of each route index; index nroutes is added
 * for requests that matched no route ("unmatched"). */
struct metrics *metrics_new(const char *const *route_names, int nroutes);
void metrics_free(struct metrics *);

void metrics_begin(struct metrics *);	/* a request is in flight */
/* route -1 means unmatched; method is an upper-case name (others count as
 * "OTHER" so a client cannot create series at will). */
void metrics_end(struct metrics *, int route, const char *method, int status, uint64_t duration_us);
void metrics_db_error(struct metrics *);

/* Appends the whole exposition to out; 0 or -1 if out is full. */
int metrics_render(struct metrics *, const struct metrics_process *, struct buf *out);

#endif
