/* Time zones from TZif files and the civil calendar, checked against
 * values worked out independently (zone transition dates from the
 * published rules). */
#include <stdlib.h>
#include "billing/tz.h"
#include "tests/unit/unit.h"

static struct tz *
load(const char *name)
{
	char err[256];
	struct tz *z = tz_load(name, err, sizeof err);

	if (z == NULL)
		printf("# %s\n", err);
	return z;
}

static int64_t
utc(int y, int m, int d, int h, int mi)
{
	return tz_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

TEST(civil_dates_round_trip)
{
	int y, m, d;

	CHECK_EQ_INT(tz_days_from_civil(1970, 1, 1), 0);
	CHECK_EQ_INT(tz_days_from_civil(2000, 3, 1), 11017);
	CHECK_EQ_INT(tz_days_from_civil(2024, 2, 29), 19782);
	CHECK_EQ_INT(tz_days_from_civil(1969, 12, 31), -1);
	for (int64_t day = -800000; day < 800000; day += 997) {
		tz_civil_from_days(day, &y, &m, &d);
		CHECK_EQ_INT(tz_days_from_civil(y, m, d), day);
	}
	CHECK_EQ_INT(tz_days_in_month(2024, 2), 29);
	CHECK_EQ_INT(tz_days_in_month(1900, 2), 28);
	CHECK_EQ_INT(tz_days_in_month(2000, 2), 29);
	CHECK_EQ_INT(tz_weekday(0), 4);		/* 1970-01-01 was a Thursday */
	CHECK_EQ_INT(tz_weekday(tz_days_from_civil(2024, 3, 1)), 5);
	CHECK_EQ_INT(tz_weekday(-1), 3);
}

TEST(shanghai_is_plus_eight_and_had_dst_in_1988)
{
	struct tz *z = load("Asia/Shanghai");

	CHECK(z != NULL);
	if (z == NULL)
		return;
	CHECK_EQ_INT(tz_offset_at(z, utc(2024, 7, 1, 0, 0), NULL, NULL), 8 * 3600);
	CHECK_EQ_INT(tz_offset_at(z, utc(2150, 7, 1, 0, 0), NULL, NULL), 8 * 3600);
	CHECK_EQ_INT(tz_offset_at(z, utc(1988, 7, 1, 0, 0), NULL, NULL), 9 * 3600);
	tz_free(z);
}

TEST(berlin_switches_on_the_last_sundays)
{
	struct tz *z = load("Europe/Berlin");
	int64_t lo, hi;

	CHECK(z != NULL);
	if (z == NULL)
		return;
	/* 2024-03-31 01:00Z clocks go 02:00 → 03:00; 2024-10-27 01:00Z 03:00 → 02:00 */
	CHECK_EQ_INT(tz_offset_at(z, utc(2024, 3, 31, 1, 0) - 1, NULL, &hi), 3600);
	CHECK_EQ_INT(hi, utc(2024, 3, 31, 1, 0));
	CHECK_EQ_INT(tz_offset_at(z, utc(2024, 3, 31, 1, 0), &lo, &hi), 7200);
	CHECK_EQ_INT(lo, utc(2024, 3, 31, 1, 0));
	CHECK_EQ_INT(hi, utc(2024, 10, 27, 1, 0));
	CHECK_EQ_INT(tz_offset_at(z, utc(2024, 10, 27, 1, 0), NULL, NULL), 3600);
	/* beyond the file's table: the footer rule CET-1CEST,M3.5.0,M10.5.0/3 */
	CHECK_EQ_INT(tz_offset_at(z, 4109878800LL - 1, NULL, NULL), 3600);	/* 2100-03-28 01:00Z */
	CHECK_EQ_INT(tz_offset_at(z, 4109878800LL, NULL, NULL), 7200);
	CHECK_EQ_INT(tz_offset_at(z, 4128627600LL - 1, NULL, NULL), 7200);	/* 2100-10-31 01:00Z */
	CHECK_EQ_INT(tz_offset_at(z, 4128627600LL, NULL, NULL), 3600);
	tz_free(z);
}

TEST(footer_rules_southern_hemisphere_and_us)
{
	struct tz *z = load("Australia/Sydney");

	CHECK(z != NULL);
	if (z != NULL) {
		CHECK_EQ_INT(tz_offset_at(z, 5680281600LL, NULL, NULL), 39600);		/* 2150-01-01 */
		CHECK_EQ_INT(tz_offset_at(z, 5688374400LL - 1, NULL, NULL), 39600);
		CHECK_EQ_INT(tz_offset_at(z, 5688374400LL, NULL, NULL), 36000);		/* 2150-04-04 16:00Z */
		CHECK_EQ_INT(tz_offset_at(z, 5704099200LL, NULL, NULL), 39600);		/* 2150-10-03 16:00Z */
		tz_free(z);
	}
	z = load("America/New_York");
	CHECK(z != NULL);
	if (z != NULL) {
		CHECK_EQ_INT(tz_offset_at(z, 7232482800LL - 1, NULL, NULL), -18000);	/* 2199-03-10 07:00Z */
		CHECK_EQ_INT(tz_offset_at(z, 7232482800LL, NULL, NULL), -14400);
		CHECK_EQ_INT(tz_offset_at(z, 7253042400LL, NULL, NULL), -18000);	/* 2199-11-03 06:00Z */
		tz_free(z);
	}
}

TEST(local_to_utc_gap_and_repeated_hour)
{
	struct tz *z = load("Europe/Berlin");
	int64_t u;

	CHECK(z != NULL);
	if (z == NULL)
		return;
	CHECK_EQ_INT(tz_local_to_utc(z, utc(2024, 7, 1, 12, 0), &u), 0);
	CHECK_EQ_INT(u, utc(2024, 7, 1, 10, 0));
	/* 02:30 does not exist on 2024-03-31: read at +01:00, i.e. 03:30 CEST */
	CHECK_EQ_INT(tz_local_to_utc(z, utc(2024, 3, 31, 2, 30), &u), 2);
	CHECK_EQ_INT(u, utc(2024, 3, 31, 1, 30));
	/* 02:30 happens twice on 2024-10-27: the first, at +02:00 */
	CHECK_EQ_INT(tz_local_to_utc(z, utc(2024, 10, 27, 2, 30), &u), 1);
	CHECK_EQ_INT(u, utc(2024, 10, 27, 0, 30));
	CHECK_EQ_INT(tz_local_to_utc(z, utc(2024, 10, 27, 3, 0), &u), 0);
	CHECK_EQ_INT(u, utc(2024, 10, 27, 2, 0));
	tz_free(z);
}

TEST(bad_zone_names_and_files_are_refused)
{
	char err[256];
	static const unsigned char junk[] = "TZif2 not really";

	CHECK(tz_load("../../etc/passwd", err, sizeof err) == NULL);
	CHECK(strstr(err, "not a zone name") != NULL);
	CHECK(tz_load("Mars/Olympus_Mons", err, sizeof err) == NULL);
	CHECK(strstr(err, "Mars/Olympus_Mons") != NULL);
	CHECK(tz_parse("x", junk, sizeof junk, err, sizeof err) == NULL);
	CHECK(strstr(err, "not a valid TZif") != NULL);
	CHECK(tz_parse("x", junk, 0, err, sizeof err) == NULL);
}

TEST(truncated_tzif_is_refused)
{
	char err[256];
	unsigned char buf[4096];
	FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
	size_t n;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	struct tz *z = tz_parse("Europe/Berlin", buf, n, err, sizeof err);
	CHECK(z != NULL);
	tz_free(z);
	for (size_t cut = 0; cut < n; cut += 7)
		CHECK(tz_parse("Europe/Berlin", buf, cut, err, sizeof err) == NULL);
}

TEST(iso_times_parse_strictly)
{
	int64_t s;
	int off;

	CHECK_EQ_INT(tz_parse_iso("2024-02-29", 10, &s, &off), 0);
	CHECK_EQ_INT(s, utc(2024, 2, 29, 0, 0));
	CHECK_EQ_INT(tz_parse_iso("2024-02-29T24:00", 16, &s, &off), 0);
	CHECK_EQ_INT(s, utc(2024, 3, 1, 0, 0));
	CHECK_EQ_INT(tz_parse_iso("2024-03-01T08:00:30+08:00", 25, &s, &off), 0);
	CHECK_EQ_INT(off, 1);
	CHECK_EQ_INT(s, utc(2024, 3, 1, 0, 0) + 30);
	CHECK_EQ_INT(tz_parse_iso("2024-03-01 08:00Z", 17, &s, &off), 0);
	CHECK_EQ_INT(s, utc(2024, 3, 1, 8, 0));
	CHECK_EQ_INT(tz_parse_iso("2023-02-29", 10, &s, &off), -1);
	CHECK_EQ_INT(tz_parse_iso("2024-13-01", 10, &s, &off), -1);
	CHECK_EQ_INT(tz_parse_iso("2024-01-01T24:01", 16, &s, &off), -1);
	CHECK_EQ_INT(tz_parse_iso("2024-01-01T8:00", 15, &s, &off), -1);
	CHECK_EQ_INT(tz_parse_iso("2024-01-01T08:00x", 17, &s, &off), -1);
}

TEST(fixed_zone_has_no_transitions)
{
	struct tz *z = tz_fixed("UTC+8", 28800);
	int64_t lo, hi, u;

	CHECK_EQ_INT(tz_offset_at(z, 0, &lo, &hi), 28800);
	CHECK(lo == INT64_MIN && hi == INT64_MAX);
	CHECK_EQ_INT(tz_local_to_utc(z, 28800, &u), 0);
	CHECK_EQ_INT(u, 0);
	tz_free(z);
}

int
main(void)
{
	RUN(civil_dates_round_trip);
	RUN(shanghai_is_plus_eight_and_had_dst_in_1988);
	RUN(berlin_switches_on_the_last_sundays);
	RUN(footer_rules_southern_hemisphere_and_us);
	RUN(local_to_utc_gap_and_repeated_hour);
	RUN(bad_zone_names_and_files_are_refused);
	RUN(truncated_tzif_is_refused);
	RUN(iso_times_parse_strictly);
	RUN(fixed_zone_has_no_transitions);
	return unit_done();
}
