#include <stdint.h>
#include <stdlib.h>
#include "cgi/metrics.h"
#include "tests/unit/unit.h"

static const char *const names[] = { "healthz", "ping" };
static const struct metrics_process proc = { 1700000000, 3, "0.1.0" };

static char *
render(struct metrics *m)
{
	struct buf out;

	buf_init(&out, 1 << 20);
	if (metrics_render(m, &proc, &out) != 0) {
		buf_free(&out);
		return NULL;
	}
	return out.data;
}

TEST(metrics_counts_requests_by_route_method_and_status)
{
	struct metrics *m = metrics_new(names, 2);
	char *text;

	for (int i = 0; i < 3; i++) {
		metrics_begin(m);
		metrics_end(m, 1, "GET", 200, 100);
	}
	metrics_begin(m);
	metrics_end(m, 0, "GET", 503, 100);
	metrics_begin(m);
	metrics_end(m, -1, "BREW", 404, 100);
	text = render(m);
	CHECK(text != NULL);
	CHECK(strstr(text, "\nprepay_http_requests_total{route=\"ping\",method=\"GET\",status=\"200\"} 3\n") != NULL);
	CHECK(strstr(text, "\nprepay_http_requests_total{route=\"healthz\",method=\"GET\",status=\"503\"} 1\n") != NULL);
	CHECK(strstr(text, "\nprepay_http_requests_total{route=\"unmatched\",method=\"OTHER\",status=\"404\"} 1\n") != NULL);
	CHECK(strstr(text, "# TYPE prepay_http_requests_total counter\n") != NULL);
	free(text);
	metrics_free(m);
}

TEST(metrics_histogram_buckets_are_cumulative)
{
	struct metrics *m = metrics_new(names, 2);
	char *text;

	metrics_begin(m);
	metrics_end(m, 0, "GET", 200, 400);		/* 0.0004 s: every bucket */
	metrics_begin(m);
	metrics_end(m, 0, "GET", 200, 3000);		/* 0.003 s: from le=0.005 */
	metrics_begin(m);
	metrics_end(m, 0, "GET", 200, 20000000);	/* 20 s: only +Inf */
	text = render(m);
	CHECK(strstr(text, "# TYPE prepay_http_request_duration_seconds histogram\n") != NULL);
	CHECK(strstr(text, "prepay_http_request_duration_seconds_bucket{route=\"healthz\",le=\"0.0005\"} 1\n") != NULL);
	CHECK(strstr(text, "prepay_http_request_duration_seconds_bucket{route=\"healthz\",le=\"0.0025\"} 1\n") != NULL);
	CHECK(strstr(text, "prepay_http_request_duration_seconds_bucket{route=\"healthz\",le=\"0.005\"} 2\n") != NULL);
	CHECK(strstr(text, "prepay_http_request_duration_seconds_bucket{route=\"healthz\",le=\"10\"} 2\n") != NULL);
	CHECK(strstr(text, "prepay_http_request_duration_seconds_bucket{route=\"healthz\",le=\"+Inf\"} 3\n") != NULL);
	CHECK(strstr(text, "prepay_http_request_duration_seconds_sum{route=\"healthz\"} 20.003400\n") != NULL);
	CHECK(strstr(text, "prepay_http_request_duration_seconds_count{route=\"healthz\"} 3\n") != NULL);
	/* routes without requests still have their zero series */
	CHECK(strstr(text, "prepay_http_request_duration_seconds_count{route=\"ping\"} 0\n") != NULL);
	free(text);
	metrics_free(m);
}

TEST(metrics_gauges_and_process_facts)
{
	struct metrics *m = metrics_new(names, 2);
	char *text;

	metrics_begin(m);
	metrics_begin(m);
	metrics_end(m, 0, "GET", 200, 1);
	metrics_db_error(m);
	metrics_db_error(m);
	text = render(m);
	CHECK(strstr(text, "\nprepay_http_in_flight 1\n") != NULL);
	CHECK(strstr(text, "\nprepay_db_errors_total 2\n") != NULL);
	CHECK(strstr(text, "\nprepay_db_deadlock_retries_total 3\n") != NULL);
	CHECK(strstr(text, "\nprocess_start_time_seconds 1700000000\n") != NULL);
	CHECK(strstr(text, "\nprepay_build_info{version=\"0.1.0\"} 1\n") != NULL);
	free(text);
	metrics_free(m);
}

/* every line is a comment or "name{labels} value" with one space */
TEST(metrics_text_is_well_formed)
{
	struct metrics *m = metrics_new(names, 2);
	char *text, *line, *nl;
	int bad = 0, lines = 0;

	metrics_begin(m);
	metrics_end(m, 1, "POST", 400, 12345);
	text = render(m);
	CHECK(text[strlen(text) - 1] == '\n');
	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		const char *sp;
		*nl = '\0';
		lines++;
		if (line[0] == '#')
			continue;
		sp = strrchr(line, ' ');
		if (sp == NULL || sp[1] == '\0' || strchr(line, ' ') != sp) {
			printf("# bad line: %s\n", line);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(lines > 40);
	free(text);
	metrics_free(m);
}

TEST(metrics_render_fails_when_the_buffer_is_too_small)
{
	struct metrics *m = metrics_new(names, 2);
	struct buf out;

	buf_init(&out, 100);
	CHECK_EQ_INT(metrics_render(m, &proc, &out), -1);
	CHECK(out.overflow);
	buf_free(&out);
	metrics_free(m);
}

TEST(metrics_many_status_pairs_fold_without_losing_counts)
{
	struct metrics *m = metrics_new(names, 2);
	char *text, *p;
	long long total = 0;

	for (int s = 100; s < 600; s++) {
		metrics_begin(m);
		metrics_end(m, 0, "GET", s, 1);
	}
	text = render(m);
	for (p = text; (p = strstr(p, "prepay_http_requests_total{route=\"healthz\"")) != NULL; p++)
		total += strtoll(strchr(p, '}') + 2, NULL, 10);
	CHECK_EQ_INT(total, 500);
	free(text);
	metrics_free(m);
}

int
main(void)
{
	RUN(metrics_counts_requests_by_route_method_and_status);
	RUN(metrics_histogram_buckets_are_cumulative);
	RUN(metrics_gauges_and_process_facts);
	RUN(metrics_text_is_well_formed);
	RUN(metrics_render_fails_when_the_buffer_is_too_small);
	RUN(metrics_many_status_pairs_fold_without_losing_counts);
	return unit_done();
}
