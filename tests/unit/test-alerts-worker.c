/* The worker's pure parts: backoff with jitter, SQL times, the registry. */
#include <string.h>
#include "tests/unit/unit.h"
#include "worker/worker.h"
#include "worker/run.h"

TEST(backoff_doubles_and_stays_within_jitter)
{
	for (int a = 1; a <= 6; a++) {
		int64_t full = 1000LL << (a - 1);
		CHECK_EQ_INT(worker_backoff_ms(a, 1000, 3600000, 0), full / 2);
		CHECK(worker_backoff_ms(a, 1000, 3600000, (1u << 30) - 1) <= full);
		CHECK(worker_backoff_ms(a, 1000, 3600000, (1u << 30) - 1) > full - full / 100);
	}
}

TEST(backoff_is_capped_even_after_many_attempts)
{
	CHECK(worker_backoff_ms(60, 5000, 1800000, (1u << 30) - 1) <= 1800000);
	CHECK(worker_backoff_ms(60, 5000, 1800000, 0) == 900000);
}

TEST(jitter_spreads_retries)
{
	int64_t lo = worker_backoff_ms(4, 1000, 60000, 12345), hi = worker_backoff_ms(4, 1000, 60000, 987654321);

	CHECK(lo != hi);
	CHECK(lo >= 4000 && hi <= 8000);
}

TEST(sql_time_round_trips_microseconds)
{
	char buf[32];
	int64_t us = 1772589600123456LL;	/* 2026-03-04T02:00:00.123456Z */

	worker_sql_time(us, buf);
	CHECK_EQ_STR(buf, "2026-03-04 02:00:00.123456");
	CHECK_EQ_INT(worker_parse_sql_time(buf), us);
	CHECK_EQ_INT(worker_parse_sql_time("2026-03-04 02:00:00"), 1772589600000000LL);
	CHECK_EQ_INT(worker_parse_sql_time("2026-03-04 02:00:00.5"), 1772589600500000LL);
}

TEST(registry_has_alerts_and_channels)
{
	int alert = 0, sms = 0;

	for (const struct job_handler *h = job_handlers; h->prefix != NULL; h++) {
		alert |= strcmp(h->prefix, "alert.") == 0;
		sms |= strcmp(h->prefix, "msg.sms") == 0;
		CHECK(h->fn != NULL);
	}
	CHECK(alert && sms);
}

int
main(void)
{
	RUN(backoff_doubles_and_stays_within_jitter);
	RUN(backoff_is_capped_even_after_many_attempts);
	RUN(jitter_spreads_retries);
	RUN(sql_time_round_trips_microseconds);
	RUN(registry_has_alerts_and_channels);
	return unit_done();
}
