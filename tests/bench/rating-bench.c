/*
 * Rating throughput, one thread: a month of 15-minute intervals (2,976 per
 * meter) for many meters under a TOU + tier tariff (the Jiangsu-style
 * schedule with a monthly tier surcharge and a service fee), rated
 *   - into a statement breakdown (rate_add), and
 *   - as real-time debits (rate_debit, one per reading),
 * against a baseline loop that only sums the same interval array.
 * Usage: rating-bench [METERS] [SECONDS]   (tests/bench/rating.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "billing/rate.h"
#include "billing/tariff_json.h"
#include "lib/xmalloc.h"

static const char tariff_json[] =
"{\"id\":\"bench\",\"energy\":\"electricity\",\"versions\":[{\"effective_from\":\"2024-01-01\","
"\"prices\":{\"sharp\":\"1.2991\",\"peak\":\"1.0826\",\"flat\":\"0.6523\",\"valley\":\"0.2812\"},"
"\"schedules\":{\"normal\":["
"{\"from\":\"00:00\",\"to\":\"08:00\",\"band\":\"valley\"},{\"from\":\"08:00\",\"to\":\"11:00\",\"band\":\"peak\"},"
"{\"from\":\"11:00\",\"to\":\"17:00\",\"band\":\"flat\"},{\"from\":\"17:00\",\"to\":\"22:00\",\"band\":\"peak\"},"
"{\"from\":\"22:00\",\"to\":\"24:00\",\"band\":\"flat\"}],"
"\"summer\":[{\"from\":\"00:00\",\"to\":\"08:00\",\"band\":\"valley\"},{\"from\":\"08:00\",\"to\":\"14:00\",\"band\":\"peak\"},"
"{\"from\":\"14:00\",\"to\":\"15:00\",\"band\":\"sharp\"},{\"from\":\"15:00\",\"to\":\"22:00\",\"band\":\"peak\"},"
"{\"from\":\"22:00\",\"to\":\"24:00\",\"band\":\"flat\"}],"
"\"holiday\":[{\"from\":\"00:00\",\"to\":\"08:00\",\"band\":\"valley\"},{\"from\":\"08:00\",\"to\":\"24:00\",\"band\":\"flat\"}]},"
"\"seasons\":[{\"name\":\"summer\",\"months\":[\"7-8\"],\"weekday\":\"summer\",\"weekend\":\"normal\",\"holiday\":\"holiday\"},"
"{\"name\":\"rest\",\"months\":[\"9-6\"],\"weekday\":\"normal\",\"weekend\":\"normal\",\"holiday\":\"holiday\"}],"
"\"tiers\":{\"period\":\"month\",\"steps\":[{\"from\":\"0\",\"surcharge\":\"0\"},{\"from\":\"5000\",\"surcharge\":\"0.05\"},"
"{\"from\":\"20000\",\"surcharge\":\"0.12\"}]},"
"\"service_fee_bp\":300}]}";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	int meters = argc > 1 ? atoi(argv[1]) : 200;	/* bench input, not money */
	double seconds = argc > 2 ? atof(argv[2]) : 2.0;
	const int per = 31 * 96;
	char err[512];
	struct tariff *t = tariff_json_parse(tariff_json, sizeof tariff_json - 1, err, sizeof err);
	struct tz *z = tz_load("Asia/Shanghai", err, sizeof err);
	struct calendar *cal = calendar_new();
	struct rate_ctx *c;
	struct rate_usage *u;
	int64_t start;
	unsigned seed = 42;

	if (t == NULL || z == NULL || meters < 1) {
		fprintf(stderr, "rating-bench: %s\n", err);
		return 1;
	}
	calendar_add(cal, tz_days_from_civil(2024, 7, 1), CALENDAR_KIND_HOLIDAY, err, sizeof err);
	c = rate_ctx_new(t, cal, z, NULL, err, sizeof err);
	tz_local_to_utc(z, tz_days_from_civil(2024, 7, 1) * 86400, &start);
	size_t n = (size_t)meters * (size_t)per;
	u = xmalloc(n * sizeof *u);
	for (int m = 0; m < meters; m++)
		for (int i = 0; i < per; i++) {
			struct rate_usage *x = &u[(size_t)m * per + i];
			x->start = start + (int64_t)i * 900;
			x->end = x->start + 900;
			x->energy_milli = rand_r(&seed) % 20000;	/* up to 20 kWh a quarter hour */
			x->band = RATE_BAND_SCHEDULE;
		}

	/* baseline: read the same array, sum the energy */
	volatile int64_t sink = 0;
	long passes = 0;
	double t0 = now(), base;
	do {
		int64_t sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += u[i].energy_milli;
		sink += sum;
		passes++;
	} while (now() - t0 < seconds);
	base = (double)passes * (double)n / (now() - t0);

	/* statement mode: breakdown by version x band x tier per meter */
	struct rate_result *r = rate_result_new();
	int64_t total_fen = 0;
	passes = 0;
	t0 = now();
	do {
		for (int m = 0; m < meters; m++) {
			struct rate_state s = { 0 };
			memset(r->cell, 0, sizeof r->cell);
			r->nperiods = 0;
			for (int i = 0; i < per; i++)
				if (rate_add(c, &s, &u[(size_t)m * per + i], r, err, sizeof err) == -1) {
					fprintf(stderr, "rating-bench: %s\n", err);
					return 1;
				}
			total_fen += rate_round_fen(rate_state_nyuan(&s));
		}
		passes++;
	} while (now() - t0 < seconds);
	double stmt = (double)passes * (double)n / (now() - t0);

	/* real time: one rate_debit per reading */
	struct rate_debit d[4];
	int nd;
	int64_t debited = 0;
	passes = 0;
	t0 = now();
	do {
		for (int m = 0; m < meters; m++) {
			struct rate_state s = { 0 };
			for (int i = 0; i < per; i++) {
				if (rate_debit(c, &s, &u[(size_t)m * per + i], d, 4, &nd, err, sizeof err) == -1) {
					fprintf(stderr, "rating-bench: %s\n", err);
					return 1;
				}
				debited += d[0].fen;
			}
		}
		passes++;
	} while (now() - t0 < seconds);
	double rt = (double)passes * (double)n / (now() - t0);

	printf("intervals: %d meters x %d (15-minute, July 2024, Asia/Shanghai, TOU + 3 tiers + fee)\n", meters, per);
	printf("baseline (sum the array):  %12.0f intervals/s\n", base);
	printf("rating, statement mode:    %12.0f intervals/s  (%.1f ns each, baseline/rating %.1fx)\n", stmt,
	    1e9 / stmt, base / stmt);
	printf("rating, real-time debits:  %12.0f intervals/s  (%.1f ns each, baseline/rating %.1fx)\n", rt,
	    1e9 / rt, base / rt);
	printf("target: >= 20000000 intervals/s: statement %s, real-time %s\n", stmt >= 2e7 ? "met" : "MISSED",
	    rt >= 2e7 ? "met" : "MISSED");
	printf("(check: %lld %lld %lld)\n", (long long)sink % 1000, (long long)total_fen % 1000, (long long)debited % 1000);
	rate_result_free(r);
	rate_ctx_free(c);
	calendar_free(cal);
	tz_free(z);
	tariff_free(t);
	free(u);
	return 0;
}
