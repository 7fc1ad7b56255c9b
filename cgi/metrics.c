#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "cgi/metrics.h"
#include "lib/xmalloc.h"

/* bucket bounds in microseconds and the same bounds as Prometheus labels */
static const uint64_t bucket_us[METRICS_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
static const char *const bucket_le[METRICS_BUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "10",
};
static const char *const method_names[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER",
};
#define NMETHODS ((int)(sizeof method_names / sizeof method_names[0]))
/* distinct (method, status) pairs kept per route; more fold into the last */
#define MAX_PAIRS 48

struct metrics_pair {
	int method;
	int status;
	uint64_t count;
};

struct metrics_route {
	const char *name;
	struct metrics_pair pairs[MAX_PAIRS];
	int npairs;
	uint64_t buckets[METRICS_BUCKETS];	/* not cumulative; summed when rendered */
	uint64_t count;
	uint64_t sum_us;
};

struct metrics {
	pthread_mutex_t mu;
	int nroutes;			/* including "unmatched" */
	struct metrics_route *routes;
	int64_t in_flight;
	uint64_t db_errors;
};

struct metrics *
metrics_new(const char *const *route_names, int nroutes)
{
	struct metrics *m = xcalloc(1, sizeof *m);

	pthread_mutex_init(&m->mu, NULL);
	m->nroutes = nroutes + 1;
	m->routes = xcalloc((size_t)m->nroutes, sizeof *m->routes);
	for (int i = 0; i < nroutes; i++)
		m->routes[i].name = route_names[i];
	m->routes[nroutes].name = "unmatched";
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m->routes);
	free(m);
}

void
metrics_begin(struct metrics *m)
{
	pthread_mutex_lock(&m->mu);
	m->in_flight++;
	pthread_mutex_unlock(&m->mu);
}

static int
metrics_method(const char *method)
{
	for (int i = 0; i < NMETHODS - 1; i++)
		if (method != NULL && strcmp(method, method_names[i]) == 0)
			return i;
	return NMETHODS - 1;
}

void
metrics_end(struct metrics *m, int route, const char *method, int status, uint64_t duration_us)
{
	int mi = metrics_method(method);
	struct metrics_route *r;
	int i;

	if (route < 0 || route >= m->nroutes - 1)
		route = m->nroutes - 1;
	if (status < 100 || status > 599)
		status = 500;
	pthread_mutex_lock(&m->mu);
	m->in_flight--;
	r = &m->routes[route];
	for (i = 0; i < r->npairs; i++)
		if (r->pairs[i].method == mi && r->pairs[i].status == status)
			break;
	if (i == r->npairs) {
		if (r->npairs < MAX_PAIRS) {
			r->pairs[i].method = mi;
			r->pairs[i].status = status;
			r->npairs++;
		} else
			i = MAX_PAIRS - 1;
	}
	r->pairs[i].count++;
	for (i = 0; i < METRICS_BUCKETS; i++)
		if (duration_us <= bucket_us[i])
			break;
	if (i < METRICS_BUCKETS)
		r->buckets[i]++;
	r->count++;
	r->sum_us += duration_us;
	pthread_mutex_unlock(&m->mu);
}

void
metrics_db_error(struct metrics *m)
{
	pthread_mutex_lock(&m->mu);
	m->db_errors++;
	pthread_mutex_unlock(&m->mu);
}

static int
metrics_render_route(const struct metrics_route *r, struct buf *out)
{
	uint64_t cum = 0;
	int rc = 0;

	for (int i = 0; i < METRICS_BUCKETS; i++) {
		cum += r->buckets[i];
		rc |= buf_printf(out, "prepay_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %llu\n",
		    r->name, bucket_le[i], (unsigned long long)cum);
	}
	rc |= buf_printf(out, "prepay_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
	    r->name, (unsigned long long)r->count);
	rc |= buf_printf(out, "prepay_http_request_duration_seconds_sum{route=\"%s\"} %llu.%06llu\n",
	    r->name, (unsigned long long)(r->sum_us / 1000000), (unsigned long long)(r->sum_us % 1000000));
	rc |= buf_printf(out, "prepay_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
	    r->name, (unsigned long long)r->count);
	return rc;
}

int
metrics_render(struct metrics *m, const struct metrics_process *p, struct buf *out)
{
	struct metrics_route *routes;
	int64_t in_flight;
	uint64_t db_errors;
	int rc = 0, n;

	/* copy under the lock, format without it */
	routes = xcalloc((size_t)m->nroutes, sizeof *routes);
	pthread_mutex_lock(&m->mu);
	n = m->nroutes;
	memcpy(routes, m->routes, (size_t)n * sizeof *routes);
	in_flight = m->in_flight;
	db_errors = m->db_errors;
	pthread_mutex_unlock(&m->mu);

	rc |= buf_puts(out, "# HELP prepay_http_requests_total HTTP requests answered, by route, method and status.\n"
	    "# TYPE prepay_http_requests_total counter\n");
	for (int i = 0; i < n; i++)
		for (int j = 0; j < routes[i].npairs; j++)
			rc |= buf_printf(out, "prepay_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
			    routes[i].name, method_names[routes[i].pairs[j].method], routes[i].pairs[j].status,
			    (unsigned long long)routes[i].pairs[j].count);
	rc |= buf_puts(out, "# HELP prepay_http_request_duration_seconds Time from accepting a request to its response, by route.\n"
	    "# TYPE prepay_http_request_duration_seconds histogram\n");
	for (int i = 0; i < n; i++)
		rc |= metrics_render_route(&routes[i], out);
	rc |= buf_printf(out, "# HELP prepay_http_in_flight Requests being handled now.\n"
	    "# TYPE prepay_http_in_flight gauge\nprepay_http_in_flight %lld\n", (long long)in_flight);
	rc |= buf_printf(out, "# HELP prepay_db_errors_total Database errors seen while answering requests.\n"
	    "# TYPE prepay_db_errors_total counter\nprepay_db_errors_total %llu\n", (unsigned long long)db_errors);
	rc |= buf_printf(out, "# HELP prepay_db_deadlock_retries_total Transactions retried after a deadlock or lock wait timeout.\n"
	    "# TYPE prepay_db_deadlock_retries_total counter\nprepay_db_deadlock_retries_total %llu\n",
	    (unsigned long long)p->db_deadlock_retries);
	rc |= buf_printf(out, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
	    "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %lld\n", (long long)p->start_time_s);
	rc |= buf_printf(out, "# HELP prepay_build_info The running version.\n"
	    "# TYPE prepay_build_info gauge\nprepay_build_info{version=\"%s\"} 1\n", p->version ? p->version : "unknown");
	free(routes);
	return rc ? -1 : 0;
}
