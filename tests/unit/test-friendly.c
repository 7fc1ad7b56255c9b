/*
 * Friendly hours: the no-cut windows from rules, zone and calendar, checked
 * through the first instant a cut may happen. March 2026: Fri 6, Sat 7,
 * Sun 8, Mon 9, Wed 11, Sat 14. Europe/Berlin springs forward on Sun 29
 * March and falls back on Sun 25 October 2026.
 */
#include <stdlib.h>
#include "tests/unit/unit.h"
#include "billing/friendly.h"

static struct tz *
zone(const char *name)
{
	char err[200];
	struct tz *z = tz_load(name, err, sizeof err);

	if (z == NULL) {
		printf("# %s: %s\n", name, err);
		exit(1);
	}
	return z;
}

/* local wall-clock time → UTC in zone z */
static int64_t
at(const struct tz *z, int y, int m, int d, int hh, int mm)
{
	int64_t utc;

	tz_local_to_utc(z, tz_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60, &utc);
	return utc;
}

/* the first instant a cut may happen at or after t */
static int64_t
next_cut(const struct policy_rules *r, const struct tz *z, const struct calendar *cal, int64_t t, unsigned *why)
{
	struct policy_windows ws;

	friendly_windows(r, z, cal, t, &ws);
	return policy_next_cut_time(&ws, t, why);
}

TEST(weeknight_waits_for_the_morning)
{
	struct tz *z = zone("Asia/Shanghai");
	struct policy_rules r;
	unsigned why;

	policy_rules_default(&r);
	/* Wednesday 4 March */
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 4, 14, 0), &why), at(z, 2026, 3, 4, 14, 0));
	CHECK_EQ_INT(why, 0);
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 4, 21, 59), &why), at(z, 2026, 3, 4, 21, 59));
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 4, 22, 0), &why), at(z, 2026, 3, 5, 8, 0));
	CHECK_EQ_INT(why, POLICY_NO_CUT_NIGHT);
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 5, 3, 0), &why), at(z, 2026, 3, 5, 8, 0));
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 5, 8, 0), &why), at(z, 2026, 3, 5, 8, 0));
	/* in UTC: 22:00 Shanghai is 14:00Z */
	CHECK_EQ_INT(at(z, 2026, 3, 4, 22, 0), 1772632800LL);
	tz_free(z);
}

TEST(weekend_waits_for_monday_morning)
{
	struct tz *z = zone("Asia/Shanghai");
	struct policy_rules r;
	unsigned why;

	policy_rules_default(&r);
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 6, 23, 0), &why), at(z, 2026, 3, 9, 8, 0));
	CHECK_EQ_INT(why, POLICY_NO_CUT_NIGHT | POLICY_NO_CUT_WEEKEND);
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 7, 14, 0), &why), at(z, 2026, 3, 9, 8, 0));
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 8, 23, 59), &why), at(z, 2026, 3, 9, 8, 0));
	/* weekends allowed: Saturday afternoon is fine, Saturday night is not */
	r.no_cut_weekends = 0;
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 7, 14, 0), &why), at(z, 2026, 3, 7, 14, 0));
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 7, 23, 0), &why), at(z, 2026, 3, 8, 8, 0));
	/* nights allowed, weekends not */
	r.no_cut_weekends = 1;
	r.no_cut_night = 0;
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 6, 23, 0), &why), at(z, 2026, 3, 6, 23, 0));
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 7, 0, 0), &why), at(z, 2026, 3, 9, 0, 0));
	CHECK_EQ_INT(why, POLICY_NO_CUT_WEEKEND);
	tz_free(z);
}

TEST(a_holiday_on_a_wednesday_is_spared)
{
	struct tz *z = zone("Asia/Shanghai");
	struct calendar *cal = calendar_new();
	struct policy_rules r;
	char err[100];
	unsigned why;

	CHECK_EQ_INT(calendar_add(cal, tz_days_from_civil(2026, 3, 11), CALENDAR_KIND_HOLIDAY, err, sizeof err), 0);
	policy_rules_default(&r);
	CHECK_EQ_INT(next_cut(&r, z, cal, at(z, 2026, 3, 11, 10, 0), &why), at(z, 2026, 3, 12, 8, 0));
	CHECK_EQ_INT(why, POLICY_NO_CUT_HOLIDAY | POLICY_NO_CUT_NIGHT);
	/* Tuesday night runs into the holiday and on to Thursday morning */
	CHECK_EQ_INT(next_cut(&r, z, cal, at(z, 2026, 3, 10, 22, 30), &why), at(z, 2026, 3, 12, 8, 0));
	r.no_cut_holidays = 0;
	CHECK_EQ_INT(next_cut(&r, z, cal, at(z, 2026, 3, 11, 10, 0), &why), at(z, 2026, 3, 11, 10, 0));
	calendar_free(cal);
	tz_free(z);
}

TEST(a_swapped_workday_saturday_allows_cuts)
{
	struct tz *z = zone("Asia/Shanghai");
	struct calendar *cal = calendar_new();
	struct policy_rules r;
	char err[100];
	unsigned why;

	/* Saturday 14 March worked in exchange (调休) */
	CHECK_EQ_INT(calendar_add(cal, tz_days_from_civil(2026, 3, 14), CALENDAR_KIND_WORKDAY, err, sizeof err), 0);
	policy_rules_default(&r);
	CHECK_EQ_INT(next_cut(&r, z, cal, at(z, 2026, 3, 14, 10, 0), &why), at(z, 2026, 3, 14, 10, 0));
	CHECK_EQ_INT(next_cut(&r, z, cal, at(z, 2026, 3, 13, 23, 0), &why), at(z, 2026, 3, 14, 8, 0));
	CHECK_EQ_INT(why, POLICY_NO_CUT_NIGHT);
	/* its night and the Sunday after are still spared */
	CHECK_EQ_INT(next_cut(&r, z, cal, at(z, 2026, 3, 14, 22, 0), &why), at(z, 2026, 3, 16, 8, 0));
	/* without the calendar it is an ordinary Saturday */
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 14, 10, 0), &why), at(z, 2026, 3, 16, 8, 0));
	calendar_free(cal);
	tz_free(z);
}

TEST(a_night_that_does_not_wrap_midnight)
{
	struct tz *z = zone("Asia/Shanghai");
	struct policy_rules r;
	unsigned why;

	policy_rules_default(&r);
	r.no_cut_weekends = 0;
	r.night_start_min = 0;
	r.night_end_min = 6 * 60;
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 4, 23, 0), &why), at(z, 2026, 3, 4, 23, 0));
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 5, 0, 0), &why), at(z, 2026, 3, 5, 6, 0));
	CHECK_EQ_INT(next_cut(&r, z, NULL, at(z, 2026, 3, 5, 5, 59), &why), at(z, 2026, 3, 5, 6, 0));
	tz_free(z);
}

TEST(dst_nights_are_as_long_as_the_clocks_say)
{
	struct tz *z = zone("Europe/Berlin");
	struct policy_rules r;
	unsigned why;

	policy_rules_default(&r);
	r.no_cut_weekends = 0;
	/* spring forward: Sat 28 22:00 CET (21:00Z) to Sun 29 08:00 CEST (06:00Z), 9 hours */
	CHECK_EQ_INT(next_cut(&r, z, NULL, 1774733400LL, &why), 1774764000LL);
	CHECK_EQ_INT(next_cut(&r, z, NULL, 1774731600LL - 1, &why), 1774731600LL - 1);
	CHECK_EQ_INT(next_cut(&r, z, NULL, 1774731600LL, &why), 1774764000LL);
	/* fall back: Sat 24 22:00 CEST (20:00Z) to Sun 25 08:00 CET (07:00Z), 11 hours */
	CHECK_EQ_INT(next_cut(&r, z, NULL, 1792873800LL, &why), 1792911600LL);
	tz_free(z);
}

TEST(windows_are_sorted_merged_and_bounded)
{
	struct tz *z = zone("Asia/Shanghai");
	struct calendar *cal = calendar_new();
	struct policy_windows ws;
	struct policy_rules r;
	char err[100];

	/* a week-long holiday: one window from the night before to the morning after */
	for (int d = 1; d <= 7; d++)
		calendar_add(cal, tz_days_from_civil(2026, 10, d), CALENDAR_KIND_HOLIDAY, err, sizeof err);
	policy_rules_default(&r);
	friendly_windows(&r, z, cal, at(z, 2026, 9, 29, 12, 0), &ws);
	CHECK(ws.n > 10 && ws.n <= POLICY_MAX_WINDOWS);
	for (int i = 0; i < ws.n; i++) {
		CHECK(ws.w[i].start < ws.w[i].end);
		if (i > 0)
			CHECK(ws.w[i - 1].end < ws.w[i].start);
	}
	CHECK_EQ_INT(policy_next_cut_time(&ws, at(z, 2026, 9, 30, 22, 0), NULL), at(z, 2026, 10, 8, 8, 0));
	/* 10 October 2026 is a Saturday; 9 October a Friday */
	CHECK_EQ_INT(policy_next_cut_time(&ws, at(z, 2026, 10, 8, 12, 0), NULL), at(z, 2026, 10, 8, 12, 0));
	/* the horizon reaches at least FRIENDLY_HORIZON_DAYS ahead */
	CHECK(ws.w[ws.n - 1].end >= at(z, 2026, 9, 29, 12, 0) + (int64_t)FRIENDLY_HORIZON_DAYS * 86400 - 86400);
	calendar_free(cal);
	tz_free(z);
}

/* The policy and the windows together: a Friday afternoon debt is cut on Monday. */
TEST(friday_grace_into_the_weekend_cuts_monday)
{
	struct tz *z = zone("Asia/Shanghai");
	struct policy_windows ws;
	struct policy_rules r;
	struct policy_account a = { 0 };
	struct policy_decision d;
	int64_t now = at(z, 2026, 3, 6, 21, 45);

	policy_rules_default(&r);
	a.balance_fen = -1;
	a.notified_level = 2;
	friendly_windows(&r, z, NULL, now, &ws);
	CHECK_EQ_INT(policy_decide(&r, &a, &ws, now, &d), 0);
	CHECK_EQ_INT(d.level, POLICY_LEVEL_CUT_PENDING);
	CHECK_EQ_INT(d.message, POLICY_MSG_CUT_WARNING);
	CHECK_EQ_INT(d.grace_end, at(z, 2026, 3, 6, 22, 15));
	CHECK_EQ_INT(d.cut_at, at(z, 2026, 3, 9, 8, 0));
	CHECK_EQ_INT(d.delayed_by, POLICY_NO_CUT_NIGHT | POLICY_NO_CUT_WEEKEND);
	/* Monday 08:00 exactly: cut */
	a.below_since = now;
	now = at(z, 2026, 3, 9, 8, 0);
	friendly_windows(&r, z, NULL, now, &ws);
	CHECK_EQ_INT(policy_decide(&r, &a, &ws, now, &d), 0);
	CHECK_EQ_INT(d.supply, POLICY_SUPPLY_OFF);
	CHECK_EQ_INT(d.message, POLICY_MSG_SUPPLY_CUT);
	tz_free(z);
}

int
main(void)
{
	RUN(weeknight_waits_for_the_morning);
	RUN(weekend_waits_for_monday_morning);
	RUN(a_holiday_on_a_wednesday_is_spared);
	RUN(a_swapped_workday_saturday_allows_cuts);
	RUN(a_night_that_does_not_wrap_midnight);
	RUN(dst_nights_are_as_long_as_the_clocks_say);
	RUN(windows_are_sorted_merged_and_bounded);
	RUN(friday_grace_into_the_weekend_cuts_monday);
	return unit_done();
}
