/* The hourly usage rollup's arithmetic (billing/usage_rollup.c): the band
 * split and list cost of one row, as rating produces them. */
#include <stdlib.h>
#include "billing/tariff_json.h"
#include "billing/usage_rollup.h"
#include "tests/unit/unit.h"

static char err[512];

static int64_t
utc8(int y, int m, int d, int h, int mi)
{
	return tz_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 - 8 * 3600;
}

/* a tariff rated in UTC+8 */
struct fx {
	struct tariff *t;
	struct tz *z;
	struct rate_ctx *c;
};

static struct rate_ctx *
fx_open(struct fx *f, const char *json)
{
	f->z = tz_fixed("CST", 8 * 3600);
	f->c = NULL;
	if ((f->t = tariff_json_parse(json, strlen(json), err, sizeof err)) == NULL ||
	    (f->c = rate_ctx_new(f->t, NULL, f->z, NULL, err, sizeof err)) == NULL)
		printf("# %s\n", err);
	return f->c;
}

static void
fx_close(struct fx *f)
{
	rate_ctx_free(f->c);
	tariff_free(f->t);
	tz_free(f->z);
}

/* valley 0.30 before 08:00, peak 1.00 after */
static const char tou[] = "{\"id\":\"t\",\"energy\":\"electricity\",\"versions\":[{\"effective_from\":\"2024-01-01\","
    "\"prices\":{\"peak\":\"1.00\",\"valley\":\"0.30\"},\"schedules\":{\"d\":[{\"from\":\"00:00\",\"to\":\"08:00\","
    "\"band\":\"valley\"},{\"from\":\"08:00\",\"to\":\"24:00\",\"band\":\"peak\"}]},\"seasons\":[{\"name\":\"all\","
    "\"months\":[\"1-12\"],\"weekday\":\"d\",\"weekend\":\"d\",\"holiday\":\"d\"}]}]}";

static const char tiers[] = "{\"id\":\"w\",\"energy\":\"water\",\"versions\":[{\"effective_from\":\"2024-01-01\","
    "\"tiers\":{\"period\":\"year\",\"steps\":[{\"from\":\"0\",\"price\":\"3.45\"},{\"from\":\"180\",\"price\":\"4.83\"}]}}]}";

TEST(schedule_row_splits_at_the_band_boundary)
{
	struct fx f;
	struct rate_ctx *c = fx_open(&f, tou);
	struct rate_state s = { 0 };
	struct usage_split sp;
	struct rate_usage u = { utc8(2024, 3, 1, 7, 30), utc8(2024, 3, 1, 8, 30), 1000, RATE_BAND_SCHEDULE };

	CHECK_EQ_INT(usage_split_add(c, &s, &u, &sp, err, sizeof err), 0);
	CHECK_EQ_INT(sp.band_milli[TARIFF_VALLEY], 500);
	CHECK_EQ_INT(sp.band_milli[TARIFF_PEAK], 500);
	CHECK_EQ_INT(sp.band_milli[USAGE_ROLLUP_UNSPLIT], 0);
	CHECK_EQ_INT(sp.list_nyuan[TARIFF_VALLEY], 500LL * 300000);
	CHECK_EQ_INT(sp.list_nyuan[TARIFF_PEAK], 500LL * 1000000);
	CHECK_EQ_INT(sp.list_nyuan[TARIFF_FLAT] + sp.list_nyuan[TARIFF_SHARP], 0);
	fx_close(&f);
}

TEST(register_row_stays_in_its_band)
{
	struct fx f;
	struct rate_ctx *c = fx_open(&f, tou);
	struct rate_state s = { 0 };
	struct usage_split sp;
	struct rate_usage u = { utc8(2024, 3, 1, 12, 0), utc8(2024, 3, 1, 12, 15), 700, TARIFF_VALLEY };

	CHECK_EQ_INT(usage_split_add(c, &s, &u, &sp, err, sizeof err), 0);
	CHECK_EQ_INT(sp.band_milli[TARIFF_VALLEY], 700);
	CHECK_EQ_INT(sp.band_milli[TARIFF_PEAK], 0);
	CHECK_EQ_INT(sp.list_nyuan[TARIFF_VALLEY], 700LL * 300000);
	fx_close(&f);
}

/* the tier position moves as rate_debit moves it, and the price follows it */
TEST(tiers_price_the_split_and_advance_like_a_debit)
{
	struct fx f;
	struct rate_ctx *c = fx_open(&f, tiers);
	struct rate_state s = { .tier_period = 2024, .tier_energy_milli = 179500 }, d = s;
	struct rate_debit out[4];
	struct usage_split sp;
	struct rate_usage u = { utc8(2024, 5, 1, 0, 0), utc8(2024, 5, 1, 1, 0), 1000, RATE_BAND_SCHEDULE };
	int n;

	CHECK_EQ_INT(usage_split_add(c, &s, &u, &sp, err, sizeof err), 0);
	CHECK_EQ_INT(sp.band_milli[TARIFF_FLAT], 1000);
	CHECK_EQ_INT(sp.list_nyuan[TARIFF_FLAT], 500LL * 3450000 + 500LL * 4830000);
	CHECK_EQ_INT(rate_debit(c, &d, &u, out, 4, &n, err, sizeof err), 0);
	CHECK_EQ_INT(s.tier_period, d.tier_period);
	CHECK_EQ_INT(s.tier_energy_milli, d.tier_energy_milli);
	CHECK_EQ_INT(s.energy_nyuan, d.energy_nyuan);
	fx_close(&f);
}

TEST(unratable_row_is_unsplit_and_leaves_the_state)
{
	struct fx f;
	struct rate_ctx *c = fx_open(&f, tou);
	struct rate_state s = { .tier_period = 202312, .tier_energy_milli = 5 };
	struct usage_split sp;
	struct rate_usage u = { utc8(2023, 12, 1, 0, 0), utc8(2023, 12, 1, 1, 0), 900, RATE_BAND_SCHEDULE };

	CHECK_EQ_INT(usage_split_add(c, &s, &u, &sp, err, sizeof err), -1);
	CHECK(strstr(err, "before the tariff's first version") != NULL);
	CHECK_EQ_INT(sp.band_milli[USAGE_ROLLUP_UNSPLIT], 900);
	CHECK_EQ_INT(sp.band_milli[TARIFF_VALLEY] + sp.list_nyuan[TARIFF_VALLEY], 0);
	CHECK_EQ_INT(s.tier_energy_milli, 5);
	fx_close(&f);
}

TEST(rows_count_in_their_start_hour)
{
	CHECK_EQ_INT(usage_hour_of(7200), 7200);
	CHECK_EQ_INT(usage_hour_of(7200 + 3599), 7200);
	CHECK_EQ_INT(usage_hour_of(-1), -3600);
}

int
main(void)
{
	RUN(schedule_row_splits_at_the_band_boundary);
	RUN(register_row_stays_in_its_band);
	RUN(tiers_price_the_split_and_advance_like_a_debit);
	RUN(unratable_row_is_unsplit_and_leaves_the_state);
	RUN(rows_count_in_their_start_hour);
	return unit_done();
}
