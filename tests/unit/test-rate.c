/* Rating core: rounding, real-time debits, apportionment, schedules and
 * the errors bad input gets. The hand-computed tariff cases live in
 * tests/tariff-cases/; this file tests the API edges. */
#include <stdlib.h>
#include "billing/rate.h"
#include "billing/rate_quote.h"
#include "billing/tariff_json.h"
#include "tests/unit/unit.h"

static char err[512];

static int64_t
utc8(int y, int m, int d, int h, int mi)
{
	return tz_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 - 8 * 3600;
}

static struct tariff *
flat_tariff(const char *price, int fee_bp)
{
	char json[512];

	snprintf(json, sizeof json, "{\"id\":\"f\",\"energy\":\"electricity\",\"versions\":[{"
	    "\"effective_from\":\"2024-01-01\",\"prices\":{\"flat\":\"%s\"},\"service_fee_bp\":%d}]}",
	    price, fee_bp);
	struct tariff *t = tariff_json_parse(json, strlen(json), err, sizeof err);
	if (t == NULL)
		printf("# %s\n", err);
	return t;
}

TEST(round_fen_is_half_up_towards_plus_infinity)
{
	CHECK_EQ_INT(rate_round_fen(0), 0);
	CHECK_EQ_INT(rate_round_fen(4999999), 0);
	CHECK_EQ_INT(rate_round_fen(5000000), 1);
	CHECK_EQ_INT(rate_round_fen(15000000), 2);
	CHECK_EQ_INT(rate_round_fen(-5000000), 0);
	CHECK_EQ_INT(rate_round_fen(-5000001), -1);
	CHECK_EQ_INT(rate_round_fen(-15000000), -1);
}

TEST(debits_carry_the_remainder_to_the_fen)
{
	struct tariff *t = flat_tariff("0.004", 0);	/* 0.4 fen per kWh */
	struct tz *z = tz_fixed("CST", 8 * 3600);
	struct rate_ctx *c = rate_ctx_new(t, NULL, z, NULL, err, sizeof err);
	struct rate_state s = { 0 };
	struct rate_debit d[4];
	int n, sum = 0;

	/* ten readings of 1 kWh; the running sum in fen 0.4 0.8 1.2 1.6 2.0 2.4 2.8 3.2 3.6 4.0
	 * rounds to 0 1 1 2 2 2 3 3 4 4, so the debits are the steps: */
	static const int want[10] = { 0, 1, 0, 1, 0, 0, 1, 0, 1, 0 };
	for (int i = 0; i < 10; i++) {
		struct rate_usage u = { utc8(2024, 3, 1, i, 0), utc8(2024, 3, 1, i + 1, 0), 1000, RATE_BAND_SCHEDULE };
		CHECK_EQ_INT(rate_debit(c, &s, &u, d, 4, &n, err, sizeof err), 0);
		CHECK_EQ_INT(n, 1);
		CHECK_EQ_INT(d[0].period, 202403);
		CHECK_EQ_INT(d[0].fen, want[i]);
		sum += (int)d[0].fen;
	}
	CHECK_EQ_INT(sum, 4);
	CHECK_EQ_INT(s.debited_fen, 4);
	CHECK_EQ_INT(s.energy_nyuan, 40000000);
	rate_ctx_free(c);
	tz_free(z);
	tariff_free(t);
}

TEST(debit_across_month_end_closes_the_old_month)
{
	struct tariff *t = flat_tariff("0.85", 0);
	struct tz *z = tz_fixed("CST", 8 * 3600);
	struct rate_ctx *c = rate_ctx_new(t, NULL, z, NULL, err, sizeof err);
	struct rate_state s = { 0 };
	struct rate_debit d[4];
	int n;
	struct rate_usage u1 = { utc8(2024, 3, 31, 22, 0), utc8(2024, 3, 31, 23, 30), 1500, RATE_BAND_SCHEDULE };
	struct rate_usage u2 = { utc8(2024, 3, 31, 23, 30), utc8(2024, 4, 1, 0, 30), 1000, RATE_BAND_SCHEDULE };

	/* 1.5 kWh x 0.85 = 1.275 -> 1.28 */
	CHECK_EQ_INT(rate_debit(c, &s, &u1, d, 4, &n, err, sizeof err), 0);
	CHECK_EQ_INT(d[0].fen, 128);
	/* 0.5 more in March: 1.7 -> 1.70, so +42; April 0.425 -> 0.43 */
	CHECK_EQ_INT(rate_debit(c, &s, &u2, d, 4, &n, err, sizeof err), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(d[0].period, 202403);
	CHECK_EQ_INT(d[0].fen, 42);
	CHECK_EQ_INT(d[1].period, 202404);
	CHECK_EQ_INT(d[1].fen, 43);
	CHECK_EQ_INT(s.period, 202404);
	rate_ctx_free(c);
	tz_free(z);
	tariff_free(t);
}

TEST(debit_errors_leave_the_state_alone)
{
	struct tariff *t = flat_tariff("0.85", 0);
	struct tz *z = tz_fixed("CST", 8 * 3600);
	struct rate_ctx *c = rate_ctx_new(t, NULL, z, NULL, err, sizeof err);
	struct rate_state s = { 0 }, before;
	struct rate_debit d[2];
	int n;
	struct rate_usage ok = { utc8(2024, 3, 10, 0, 0), utc8(2024, 3, 10, 1, 0), 1000, RATE_BAND_SCHEDULE };
	struct rate_usage back = { utc8(2024, 3, 10, 1, 0), utc8(2024, 3, 10, 0, 0), 1000, RATE_BAND_SCHEDULE };
	struct rate_usage neg = { utc8(2024, 3, 10, 1, 0), utc8(2024, 3, 10, 2, 0), -1, RATE_BAND_SCHEDULE };
	struct rate_usage band = { utc8(2024, 3, 10, 1, 0), utc8(2024, 3, 10, 2, 0), 1, 9 };
	struct rate_usage early = { utc8(2023, 3, 10, 1, 0), utc8(2023, 3, 10, 2, 0), 1, RATE_BAND_SCHEDULE };
	struct rate_usage long_ = { utc8(2024, 3, 10, 1, 0), utc8(2024, 6, 10, 2, 0), 1, RATE_BAND_SCHEDULE };

	CHECK_EQ_INT(rate_debit(c, &s, &ok, d, 2, &n, err, sizeof err), 0);
	before = s;
	CHECK_EQ_INT(rate_debit(c, &s, &back, d, 2, &n, err, sizeof err), -1);
	CHECK(strstr(err, "ends before it starts") != NULL);
	CHECK_EQ_INT(rate_debit(c, &s, &neg, d, 2, &n, err, sizeof err), -1);
	CHECK(strstr(err, "energy must be") != NULL);
	CHECK_EQ_INT(rate_debit(c, &s, &band, d, 2, &n, err, sizeof err), -1);
	CHECK(strstr(err, "unknown band") != NULL);
	CHECK_EQ_INT(rate_debit(c, &s, &early, d, 2, &n, err, sizeof err), -1);
	CHECK(strstr(err, "before the state's billing period") != NULL);
	CHECK_EQ_INT(rate_debit(c, &s, &long_, d, 2, &n, err, sizeof err), -1);
	CHECK(strstr(err, "spans 4 billing periods") != NULL);
	CHECK(memcmp(&s, &before, sizeof s) == 0);
	rate_ctx_free(c);
	tz_free(z);
	tariff_free(t);
}

TEST(fixed_postings_share_the_period_rounding)
{
	struct rate_state s = { 0 };
	int64_t fen;

	/* three postings of 0.4 fen: 0, 1 (0.8), 0 (1.2) -> 1 fen in all */
	CHECK_EQ_INT(rate_debit_fixed(&s, 202403, 4000000, &fen, err, sizeof err), 0);
	CHECK_EQ_INT(fen, 0);
	CHECK_EQ_INT(rate_debit_fixed(&s, 202403, 4000000, &fen, err, sizeof err), 0);
	CHECK_EQ_INT(fen, 1);
	CHECK_EQ_INT(rate_debit_fixed(&s, 202403, 4000000, &fen, err, sizeof err), 0);
	CHECK_EQ_INT(fen, 0);
	CHECK_EQ_INT(rate_debit_fixed(&s, 202404, 4000000, &fen, err, sizeof err), 0);
	CHECK_EQ_INT(s.period, 202404);
	CHECK_EQ_INT(rate_debit_fixed(&s, 202403, 1, &fen, err, sizeof err), -1);
	CHECK(strstr(err, "closed") != NULL);
}

TEST(apportion_adds_up_exactly)
{
	int64_t w[7], out[7];
	unsigned seed = 12345;

	for (int round = 0; round < 2000; round++) {
		int n = 1 + round % 7;
		int64_t total = (int64_t)(rand_r(&seed) % 1000000) - 300000, sum = 0, wsum = 0;
		for (int i = 0; i < n; i++)
			wsum += w[i] = rand_r(&seed) % 5000;
		if (wsum == 0)
			w[0] = 1;
		CHECK_EQ_INT(rate_apportion(total, w, n, out, err, sizeof err), 0);
		for (int i = 0; i < n; i++) {
			sum += out[i];
			/* nobody gets a unit more than the exact share, rounded up */
			CHECK(llabs(out[i]) <= llabs(total) * w[i] / (wsum ? wsum : 1) + 1);
		}
		CHECK_EQ_INT(sum, total);
	}
}

TEST(apportion_refuses_bad_shares)
{
	int64_t w[2] = { 1, -1 }, z[2] = { 0, 0 }, out[2];

	CHECK_EQ_INT(rate_apportion(100, w, 2, out, err, sizeof err), -1);
	CHECK(strstr(err, "share 2 is negative") != NULL);
	CHECK_EQ_INT(rate_apportion(100, z, 2, out, err, sizeof err), -1);
	CHECK(strstr(err, "add up to zero") != NULL);
	CHECK_EQ_INT(rate_apportion(100, z, 0, out, err, sizeof err), -1);
}

TEST(schedule_entries_may_wrap_midnight)
{
	struct tariff_schedule s;
	struct tariff_segment seg[2] = { { 22 * 60, 6 * 60, TARIFF_VALLEY }, { 6 * 60, 22 * 60, TARIFF_FLAT } };

	CHECK_EQ_INT(tariff_schedule_fill(&s, seg, 2, err, sizeof err), 0);
	CHECK_EQ_INT(s.band[0], TARIFF_VALLEY);
	CHECK_EQ_INT(s.band[359], TARIFF_VALLEY);
	CHECK_EQ_INT(s.band[360], TARIFF_FLAT);
	CHECK_EQ_INT(s.band[1319], TARIFF_FLAT);
	CHECK_EQ_INT(s.band[1320], TARIFF_VALLEY);
	CHECK_EQ_INT(s.run_end[0], 360);
	CHECK_EQ_INT(s.run_end[1320], 1440);
	seg[1].to_min = 23 * 60;
	CHECK_EQ_INT(tariff_schedule_fill(&s, seg, 2, err, sizeof err), -1);
	CHECK(strstr(err, "overlaps") != NULL);
}

TEST(decimals_parse_exactly)
{
	int64_t v;

	CHECK_EQ_INT(tariff_parse_decimal("0.6523", 6, 6, 0, TARIFF_MAX_PRICE_UYUAN, &v), 0);
	CHECK_EQ_INT(v, 652300);
	CHECK_EQ_INT(tariff_parse_decimal("12.345", 6, 3, 0, INT64_MAX, &v), 0);
	CHECK_EQ_INT(v, 12345);
	CHECK_EQ_INT(tariff_parse_decimal("12.3456", 7, 3, 0, INT64_MAX, &v), -1);
	CHECK_EQ_INT(tariff_parse_decimal("1e3", 3, 3, 0, INT64_MAX, &v), -1);
	CHECK_EQ_INT(tariff_parse_decimal("-1", 2, 3, 0, INT64_MAX, &v), -1);
	CHECK_EQ_INT(tariff_parse_decimal("-1", 2, 3, 1, INT64_MAX, &v), 0);
	CHECK_EQ_INT(v, -1000);
	CHECK_EQ_INT(tariff_parse_decimal("1.", 2, 3, 0, INT64_MAX, &v), -1);
	CHECK_EQ_INT(tariff_parse_decimal(".5", 2, 3, 0, INT64_MAX, &v), -1);
	CHECK_EQ_INT(tariff_parse_decimal("101", 3, 6, 0, TARIFF_MAX_PRICE_UYUAN, &v), -1);
	CHECK_EQ_INT(tariff_parse_decimal("99999999999999999999", 20, 0, 0, INT64_MAX, &v), -1);
}

TEST(calendar_rules)
{
	struct calendar *c = calendar_new();
	static const char good[] = "# 2024\n2024-05-01,holiday,Labour Day\n2024-04-28,workday\n";
	static const char dup[] = "2024-05-01,holiday\n2024-05-01,workday\n";
	static const char bad[] = "2024-05-01,party\n";

	CHECK_EQ_INT(calendar_parse_csv(c, good, sizeof good - 1, err, sizeof err), 0);
	CHECK_EQ_INT(calendar_day_type(c, tz_days_from_civil(2024, 5, 1)), CALENDAR_HOLIDAY);
	CHECK_EQ_INT(calendar_day_type(c, tz_days_from_civil(2024, 4, 28)), CALENDAR_WEEKDAY);
	CHECK_EQ_INT(calendar_day_type(c, tz_days_from_civil(2024, 4, 27)), CALENDAR_WEEKEND);
	CHECK_EQ_INT(calendar_day_type(c, tz_days_from_civil(2024, 4, 26)), CALENDAR_WEEKDAY);
	calendar_free(c);
	c = calendar_new();
	CHECK_EQ_INT(calendar_parse_csv(c, dup, sizeof dup - 1, err, sizeof err), -1);
	CHECK(strstr(err, "line 2: 2024-05-01 is listed twice") != NULL);
	CHECK_EQ_INT(calendar_parse_csv(c, bad, sizeof bad - 1, err, sizeof err), -1);
	CHECK(strstr(err, "line 1: kind \"party\"") != NULL);
	calendar_free(c);
}

TEST(json_errors_name_the_path)
{
	static const struct { const char *json, *want; } cases[] = {
		{ "[]", "(top level): must be an object" },
		{ "{\"id\":\"x\",\"energy\":\"steam\",\"versions\":[]}", "energy: \"steam\" is not" },
		{ "{\"id\":\"x\",\"energy\":\"water\",\"unit\":\"kWh\",\"versions\":[]}", "unit: \"kWh\" does not fit water" },
		{ "{\"id\":\"x\",\"energy\":\"water\",\"versions\":[]}", "versions: must be a non-empty array" },
		{ "{\"id\":\"x\",\"id\":\"y\",\"energy\":\"water\",\"versions\":[]}", "key \"id\" appears twice" },
		{ "{\"id\":\"x\",\"energy\":\"gas\",\"versions\":[{\"effective_from\":\"2024-01-01\","
		  "\"prices\":{\"flat\":\"1\"},\"charges\":[{\"kind\":\"demand\",\"price\":\"1\"}]}]}",
		  "versions[0].charges[0].kind: demand charges are for electricity only" },
		{ "{\"id\":\"x\",\"energy\":\"gas\",\"versions\":[{\"effective_from\":\"2024-01-01\","
		  "\"prices\":{\"flat\":\"1\"},\"service_fee_bp\":20000}]}",
		  "versions[0].service_fee_bp: must be a whole number from 0 to 10000" },
		{ "{\"id\":\"x\",\"energy\":\"gas\",\"versions\":[{\"effective_from\":\"2024-01-01T25:00\","
		  "\"prices\":{\"flat\":\"1\"}}]}", "versions[0].effective_from" },
		{ "{\"id\":\"x\",\"energy\":\"gas\",\"versions\":[{\"effective_from\":\"2024-01-01\","
		  "\"tiers\":{\"period\":\"week\",\"steps\":[]}}]}", "versions[0].tiers.period: \"week\"" },
		{ "{\"id\":\"x\",\"energy\":\"gas\",\"versions\":[{\"effective_from\":\"2024-01-01\","
		  "\"tiers\":{\"period\":\"month\",\"steps\":[{\"from\":\"5\",\"price\":\"1\"}]}}]}",
		  "versions[0].tiers.steps[0].from: the first tier must start at 0" },
		{ "{\"id\":\"x\",\"energy\":\"gas\",\"versions\":[{\"effective_from\":\"2024-01-01\","
		  "\"tiers\":{\"period\":\"month\",\"steps\":[{\"from\":\"0\",\"price\":\"1\",\"surcharge\":\"1\"}]}}]}",
		  "versions[0].tiers.steps[0]: give either \"price\"" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tariff *t = tariff_json_parse(cases[i].json, strlen(cases[i].json), err, sizeof err);
		CHECK(t == NULL);
		tariff_free(t);
		if (strstr(err, cases[i].want) == NULL)
			printf("# case %zu: got \"%s\", want \"%s\"\n", i, err, cases[i].want);
		CHECK(strstr(err, cases[i].want) != NULL);
	}
}

TEST(example_tariffs_parse)
{
	static const char *files[] = { "jiangsu-industrial-tou.json", "commercial-flat.json", "water-3-tier.json" };
	const char *src = getenv("PREPAY_SRCDIR");

	for (size_t i = 0; i < 3; i++) {
		char path[1024], buf[16384];
		snprintf(path, sizeof path, "%s/docs/tariffs/%s", src ? src : ".", files[i]);
		FILE *f = fopen(path, "rb");
		CHECK(f != NULL);
		if (f == NULL)
			continue;
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		struct tariff *t = tariff_json_parse(buf, n, err, sizeof err);
		if (t == NULL)
			printf("# %s: %s\n", files[i], err);
		CHECK(t != NULL);
		tariff_free(t);
	}
}

int
main(void)
{
	RUN(round_fen_is_half_up_towards_plus_infinity);
	RUN(debits_carry_the_remainder_to_the_fen);
	RUN(debit_across_month_end_closes_the_old_month);
	RUN(debit_errors_leave_the_state_alone);
	RUN(fixed_postings_share_the_period_rounding);
	RUN(apportion_adds_up_exactly);
	RUN(apportion_refuses_bad_shares);
	RUN(schedule_entries_may_wrap_midnight);
	RUN(decimals_parse_exactly);
	RUN(calendar_rules);
	RUN(json_errors_name_the_path);
	RUN(example_tariffs_parse);
	return unit_done();
}
