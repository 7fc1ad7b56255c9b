/*
 * Properties of rating over random tariffs and usage (seeded; the seed is
 * printed, PREPAY_SEED=N replays a run):
 *  - the energy rated is exactly the energy used;
 *  - splitting an interval anywhere (energy split by the same pro-rata rule)
 *    moves the total by no more than the documented bound;
 *  - real-time debits, reading by reading, add up to each period's
 *    statement total in fen exactly, and are never negative.
 */
#include <stdlib.h>
#include <time.h>
#include "billing/rate.h"
#include "lib/xmalloc.h"
#include "tests/unit/unit.h"

static unsigned seed;
static char err[512];

static unsigned
rnd(unsigned n)
{
	return (unsigned)rand_r(&seed) % n;
}

static const char *const zones[] = { "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Sydney" };

/* a random, valid tariff with 1-3 versions from 2024-01-01 */
static struct tariff *
random_tariff(void)
{
	struct tariff *t = tariff_new();

	t->nversions = 1 + (int)rnd(3);
	for (int v = 0; v < t->nversions; v++) {
		struct tariff_version *tv = &t->versions[v];
		tv->effective_local = (tz_days_from_civil(2024, 1, 1) + (v ? 20 + 25 * v + (int)rnd(20) : 0)) * 86400 +
		    (v ? (int64_t)rnd(1440) * 60 : 0);
		for (int b = 0; b < TARIFF_NBANDS; b++) {
			tv->has_price[b] = 1;
			tv->price_uyuan[b] = rnd(2000000);
		}
		memset(tv->season_of_month, -1, sizeof tv->season_of_month);
		if (rnd(4) != 0) {
			tv->nschedules = 1 + (int)rnd(3);
			tv->schedules = xcalloc((size_t)tv->nschedules, sizeof *tv->schedules);
			for (int s = 0; s < tv->nschedules; s++) {
				struct tariff_segment seg[12];
				int n = 1 + (int)rnd(10), from = 0;
				for (int i = 0; i < n; i++) {
					int to = i == n - 1 ? TARIFF_MINUTES : from + 1 + (int)rnd((unsigned)((TARIFF_MINUTES - from) / 2));
					if (to >= TARIFF_MINUTES)
						to = TARIFF_MINUTES, n = i + 1;
					seg[i].from_min = from;
					seg[i].to_min = to;
					seg[i].band = (enum tariff_band)rnd(TARIFF_NBANDS);
					from = to;
				}
				snprintf(tv->schedules[s].name, sizeof tv->schedules[s].name, "s%d", s);
				if (tariff_schedule_fill(&tv->schedules[s], seg, n, err, sizeof err) == -1)
					printf("# schedule: %s\n", err);
			}
			tv->nseasons = 2;
			for (int se = 0; se < 2; se++)
				for (int d = 0; d < CALENDAR_NDAY_TYPES; d++)
					tv->seasons[se].schedule[d] = (int8_t)((se + d) % tv->nschedules);
			for (int m = 0; m < 12; m++)
				tv->season_of_month[m] = (int8_t)(m >= 5 && m <= 8);
			/* every schedule must be used */
			for (int s = 0; s < tv->nschedules; s++)
				tv->seasons[0].schedule[s % CALENDAR_NDAY_TYPES] = (int8_t)s;
		}
		tv->ntiers = (int)rnd(4);
		tv->tier_period = rnd(2) ? TARIFF_PERIOD_MONTH : TARIFF_PERIOD_YEAR;
		for (int i = 0; i < tv->ntiers; i++) {
			tv->tiers[i].from_milli = i == 0 ? 0 : tv->tiers[i - 1].from_milli + 1 + rnd(400000);
			tv->tiers[i].is_surcharge = (int)rnd(2);
			tv->tiers[i].price_uyuan = rnd(500000);
		}
		tv->service_fee_bp = rnd(3) ? 0 : (int32_t)rnd(1001);
	}
	if (tariff_validate(t, err, sizeof err) == -1)
		printf("# random tariff invalid: %s\n", err);
	return t;
}

static int64_t
max_price(const struct rate_ctx *c, const struct tariff *t)
{
	int64_t m = 0;

	for (int v = 0; v < t->nversions; v++)
		for (int b = 0; b < TARIFF_NBANDS; b++)
			for (int i = 0; i < TARIFF_MAX_TIERS; i++)
				if (rate_price(c, v, b, i) > m)
					m = rate_price(c, v, b, i);
	return m;
}

/* contiguous random readings over ~4 months from 2024-02-20 */
static int
random_usage(struct rate_usage *u, int max, int64_t start)
{
	int n = 0;
	int64_t t = start;

	while (n < max) {
		int64_t d = rnd(5) == 0 ? 1 + rnd(3 * 86400) : 60 * (1 + rnd(240));
		u[n].start = t;
		u[n].end = t + d;
		u[n].energy_milli = rnd(10) == 0 ? 0 : rnd(80000);
		u[n].band = rnd(20) == 0 ? (int)rnd(TARIFF_NBANDS) : RATE_BAND_SCHEDULE;
		t += d + (rnd(10) == 0 ? rnd(7200) : 0);	/* sometimes a gap (meter offline) */
		n++;
	}
	return n;
}

static int
rate_all(struct rate_ctx *c, const struct rate_usage *u, int n, struct rate_result *r)
{
	struct rate_state s = { 0 };

	for (int i = 0; i < n; i++)
		if (rate_add(c, &s, &u[i], r, err, sizeof err) == -1) {
			printf("# rate_add: %s\n", err);
			return -1;
		}
	rate_finish(c, &s, r);
	rate_totals(r);
	return 0;
}

static int64_t
rated_energy(const struct rate_result *r)
{
	int64_t e = 0;

	for (int v = 0; v < TARIFF_MAX_VERSIONS; v++)
		for (int b = 0; b < TARIFF_NBANDS; b++)
			for (int i = 0; i < TARIFF_MAX_TIERS; i++)
				e += r->cell[v][b][i].energy_milli;
	return e;
}

#define ROUNDS 60
#define READINGS 1500

TEST(split_anywhere_stays_within_the_bound)
{
	static struct rate_usage u[READINGS], w[READINGS + 1];

	for (int round = 0; round < ROUNDS; round++) {
		struct tariff *t = random_tariff();
		struct tz *z = tz_load(zones[rnd(4)], err, sizeof err);
		struct rate_override ov = { 0, 0, rnd(3) ? 0 : (int32_t)rnd(4001) - 2000 };
		struct rate_ctx *c = rate_ctx_new(t, NULL, z, &ov, err, sizeof err);
		int64_t start;
		tz_local_to_utc(z, tz_days_from_civil(2024, 2, 20) * 86400, &start);
		int n = random_usage(u, READINGS, start);
		int k = (int)rnd((unsigned)n);
		struct rate_result *a = rate_result_new(), *b = rate_result_new();
		int64_t used = 0;

		/* cut reading k at a random instant; its energy on the same pro-rata line */
		memcpy(w, u, (size_t)k * sizeof *u);
		int64_t d = u[k].end - u[k].start, cut = u[k].start + 1 + (d > 1 ? rnd((unsigned)(d - 1)) : 0);
		if (cut >= u[k].end)
			cut = u[k].end - 1;
		w[k] = u[k];
		w[k].end = cut;
		w[k].energy_milli = u[k].energy_milli * (cut - u[k].start) / d;
		w[k + 1] = u[k];
		w[k + 1].start = cut;
		w[k + 1].energy_milli = u[k].energy_milli - w[k].energy_milli;
		memcpy(w + k + 2, u + k + 1, (size_t)(n - k - 1) * sizeof *u);
		for (int i = 0; i < n; i++)
			used += u[i].energy_milli;

		CHECK(rate_all(c, u, n, a) == 0);
		CHECK(rate_all(c, w, n + 1, b) == 0);
		CHECK_EQ_INT(rated_energy(a), used);
		CHECK_EQ_INT(rated_energy(b), used);
		/*
		 * Documented bound (docs/tariffs.md): the cut moves at most 1 milli-unit
		 * across each boundary inside the reading, so the energy charge moves by
		 * at most (boundaries + 2) x the highest price; adjustment and fee scale
		 * that by at most (1 + 20%) x (1 + 10%) < 2, plus 1 nyuan of rounding each.
		 */
		int64_t days = d / 86400 + 2;
		int64_t boundaries = days * (10 + 2) + 3 + 2 * 4;	/* bands, midnights, versions, DST */
		int64_t bound = (boundaries + 2) * max_price(c, t) * 2 + 2;
		int64_t diff = llabs(a->total_nyuan - b->total_nyuan);
		if (diff > bound)
			printf("# round %d: split changed the total by %lld nyuan, bound %lld\n", round,
			    (long long)diff, (long long)bound);
		CHECK(diff <= bound);
		/* fen: each period rounds once, so add one fen per period either way */
		CHECK(llabs(a->total_fen - b->total_fen) <= bound / TARIFF_NYUAN_PER_FEN + a->nperiods + b->nperiods);
		rate_result_free(a);
		rate_result_free(b);
		rate_ctx_free(c);
		tz_free(z);
		tariff_free(t);
	}
}

TEST(realtime_debits_equal_the_statement)
{
	static struct rate_usage u[READINGS];

	for (int round = 0; round < ROUNDS; round++) {
		struct tariff *t = random_tariff();
		struct tz *z = tz_load(zones[rnd(4)], err, sizeof err);
		struct rate_override ov = { rnd(8) == 0, rnd(1000000), rnd(3) ? 0 : (int32_t)rnd(4001) - 2000 };
		struct rate_ctx *c = rate_ctx_new(t, NULL, z, &ov, err, sizeof err);
		struct rate_result *r = rate_result_new();
		struct rate_state s = { 0 };
		struct rate_debit d[8];
		int64_t start, debited[64] = { 0 };
		int32_t periods[64];
		int np = 0, nd, bad = 0;

		tz_local_to_utc(z, tz_days_from_civil(2024, 2, 20) * 86400, &start);
		int n = random_usage(u, READINGS, start);
		for (int i = 0; i < n; i++) {
			if (rate_debit(c, &s, &u[i], d, 8, &nd, err, sizeof err) == -1) {
				printf("# rate_debit: %s\n", err);
				bad++;
				break;
			}
			for (int j = 0; j < nd; j++) {
				int p;
				for (p = 0; p < np && periods[p] != d[j].period; p++)
					;
				if (p == np && np < 64)
					periods[np++] = d[j].period;
				debited[p] += d[j].fen;
				bad += d[j].fen < 0;
			}
		}
		CHECK_EQ_INT(bad, 0);
		CHECK(rate_all(c, u, n, r) == 0);
		CHECK_EQ_INT(r->nperiods, np);
		for (int p = 0; p < r->nperiods && p < np; p++) {
			CHECK_EQ_INT(r->periods[p].period, periods[p]);
			if (debited[p] != r->periods[p].total_fen)
				printf("# round %d period %d: debits %lld, statement %lld\n", round, periods[p],
				    (long long)debited[p], (long long)r->periods[p].total_fen);
			CHECK_EQ_INT(debited[p], r->periods[p].total_fen);
		}
		rate_result_free(r);
		rate_ctx_free(c);
		tz_free(z);
		tariff_free(t);
	}
}

int
main(void)
{
	const char *s = getenv("PREPAY_SEED");

	seed = s && *s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
	printf("# seed %u (PREPAY_SEED=%u replays this run)\n", seed, seed);
	RUN(split_anywhere_stays_within_the_bound);
	RUN(realtime_debits_equal_the_statement);
	return unit_done();
}
