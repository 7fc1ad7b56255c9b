/* cgi/tenant_calc.c: local buckets and the insights arithmetic. */
#include <string.h>
#include "cgi/api.h"
#include "billing/tz.h"
#include "tests/unit/unit.h"

TEST(step_parse_knows_three_steps)
{
	CHECK_EQ_INT(usage_step_parse("hour"), USAGE_HOUR);
	CHECK_EQ_INT(usage_step_parse("day"), USAGE_DAY);
	CHECK_EQ_INT(usage_step_parse("month"), USAGE_MONTH);
	CHECK_EQ_INT(usage_step_parse("week"), -1);
}

TEST(month_bucket_starts_on_the_first)
{
	int64_t local = tz_days_from_civil(2026, 11, 17) * 86400 + 3600 * 5;
	int64_t k = usage_bucket_key(local, USAGE_MONTH);

	CHECK_EQ_INT(k, 2026 * 12 + 10);
	CHECK_EQ_INT(usage_bucket_start(k, USAGE_MONTH), tz_days_from_civil(2026, 11, 1) * 86400);
	CHECK_EQ_INT(usage_bucket_start(k + 2, USAGE_MONTH), tz_days_from_civil(2027, 1, 1) * 86400);
}

TEST(day_and_hour_buckets_floor)
{
	int64_t local = tz_days_from_civil(2026, 3, 1) * 86400 + 7 * 3600 + 59 * 60;

	CHECK_EQ_INT(usage_bucket_start(usage_bucket_key(local, USAGE_DAY), USAGE_DAY), tz_days_from_civil(2026, 3, 1) * 86400);
	CHECK_EQ_INT(usage_bucket_start(usage_bucket_key(local, USAGE_HOUR), USAGE_HOUR), local - 59 * 60);
	CHECK_EQ_INT(usage_bucket_key(-1, USAGE_DAY), -1);
}

TEST(insights_peak_share_and_shift_saving)
{
	int64_t days[2] = { 1000, 1000 };
	int we[2] = { 0, 0 };
	struct insight_in in;
	struct insight_out out;

	memset(&in, 0, sizeof in);
	in.ndays = 2;
	in.day_milli = days;
	in.day_weekend = we;
	/* 100 kWh sharp, 300 kWh peak, 400 flat, 200 valley */
	in.band_milli[0] = 100000;
	in.band_milli[1] = 300000;
	in.band_milli[2] = 400000;
	in.band_milli[3] = 200000;
	in.has_price = 1;
	in.price_uyuan[0] = 1500000;	/* ¥1.50 */
	in.price_uyuan[1] = 1100000;
	in.price_uyuan[2] = 700000;
	in.price_uyuan[3] = 300000;
	in.shift_pct = 20;
	insights_compute(&in, &out);
	CHECK_EQ_INT(out.peak_share_bp, 4000);
	CHECK_EQ_INT(out.shift_milli, 80000);
	/* peak side price (1.5*100 + 1.1*300)/400 = 1.20; 80 kWh * (1.20 - 0.30) = ¥72.00 */
	CHECK_EQ_INT(out.peak_price_uyuan, 1200000);
	CHECK_EQ_INT(out.shift_saving_fen, 7200);
}

TEST(insights_without_prices_save_nothing)
{
	int64_t days[1] = { 0 };
	int we[1] = { 0 };
	struct insight_in in;
	struct insight_out out;

	memset(&in, 0, sizeof in);
	in.ndays = 1;
	in.day_milli = days;
	in.day_weekend = we;
	in.band_milli[1] = 5000;
	in.shift_pct = 50;
	insights_compute(&in, &out);
	CHECK_EQ_INT(out.peak_share_bp, 10000);
	CHECK_EQ_INT(out.shift_saving_fen, 0);
	CHECK_EQ_INT(out.nstandout, 0);
}

TEST(insights_base_load_weekends_and_standout_days)
{
	int64_t days[7] = { 24000, 24000, 24000, 96000, 24000, 12000, 12000 };
	int we[7] = { 0, 0, 0, 0, 0, 1, 1 };
	struct insight_in in;
	struct insight_out out;

	memset(&in, 0, sizeof in);
	in.ndays = 7;
	in.day_milli = days;
	in.day_weekend = we;
	in.night_milli = 35 * 500;	/* 500 W through 35 night hours */
	in.night_hours = 35;
	insights_compute(&in, &out);
	CHECK_EQ_INT(out.night_base_w, 500);
	CHECK_EQ_INT(out.weekday_avg_w, (24000 * 4 + 96000) / (5 * 24));
	CHECK_EQ_INT(out.weekend_avg_w, 500);
	CHECK_EQ_INT(out.baseline_milli, 24000);
	CHECK_EQ_INT(out.nstandout, 1);
	CHECK_EQ_INT(out.standout[0], 3);
}

int
main(void)
{
	RUN(step_parse_knows_three_steps);
	RUN(month_bucket_starts_on_the_first);
	RUN(day_and_hour_buckets_floor);
	RUN(insights_peak_share_and_shift_saving);
	RUN(insights_without_prices_save_nothing);
	RUN(insights_base_load_weekends_and_standout_days);
	return unit_done();
}
