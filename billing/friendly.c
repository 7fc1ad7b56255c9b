/*
 * The no-cut windows (friendly.h). Each local day contributes its whole
 * span when it is a weekend or holiday day the rules spare, and its night;
 * wall-clock times become UTC through the site's zone, so a night across a
 * DST change is as long as the clocks say.
 */
#include <stdlib.h>
#include <string.h>
#include "billing/friendly.h"

#define DAY_S 86400

static int64_t
local_to_utc(const struct tz *tz, int64_t local)
{
	int64_t utc;

	tz_local_to_utc(tz, local, &utc);
	return utc;
}

void
friendly_day_range(const struct tz *tz, int64_t from_utc, int64_t *first_day, int *ndays)
{
	int64_t local = from_utc + tz_offset_at(tz, from_utc, NULL, NULL);

	*first_day = tz_floor_div(local, DAY_S) - 1;
	*ndays = FRIENDLY_HORIZON_DAYS + 2;
}

static int
window_cmp(const void *a, const void *b)
{
	const struct policy_window *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

int
friendly_windows(const struct policy_rules *r, const struct tz *tz, const struct calendar *cal, int64_t from_utc,
    struct policy_windows *out)
{
	/* at most a day window and a night window per day, before merging */
	struct policy_window raw[2 * (FRIENDLY_HORIZON_DAYS + 2)];
	int64_t first;
	int ndays, n = 0;

	memset(out, 0, sizeof *out);
	friendly_day_range(tz, from_utc, &first, &ndays);
	for (int i = 0; i < ndays; i++) {
		int64_t day = first + i, midnight = day * DAY_S;
		enum calendar_day_type t = calendar_day_type(cal, day);
		unsigned why = 0;

		if (t == CALENDAR_WEEKEND && r->no_cut_weekends)
			why = POLICY_NO_CUT_WEEKEND;
		else if (t == CALENDAR_HOLIDAY && r->no_cut_holidays)
			why = POLICY_NO_CUT_HOLIDAY;
		if (why != 0)
			raw[n++] = (struct policy_window){ local_to_utc(tz, midnight),
			    local_to_utc(tz, midnight + DAY_S), why };
		if (r->no_cut_night) {
			int64_t s = midnight + (int64_t)r->night_start_min * 60;
			int64_t e = midnight + (int64_t)r->night_end_min * 60;
			if (r->night_end_min < r->night_start_min)
				e += DAY_S;	/* 22:00-08:00 ends the next morning */
			raw[n++] = (struct policy_window){ local_to_utc(tz, s), local_to_utc(tz, e),
			    POLICY_NO_CUT_NIGHT };
		}
	}
	qsort(raw, (size_t)n, sizeof raw[0], window_cmp);
	for (int i = 0; i < n; i++) {
		struct policy_window *last = out->n > 0 ? &out->w[out->n - 1] : NULL;
		if (raw[i].end <= raw[i].start)
			continue;
		if (last != NULL && raw[i].start <= last->end) {
			if (raw[i].end > last->end)
				last->end = raw[i].end;
			last->why |= raw[i].why;
		} else if (out->n < POLICY_MAX_WINDOWS) {
			out->w[out->n++] = raw[i];
		}
	}
	return 0;
}
