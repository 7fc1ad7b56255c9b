/*
 * Friendly hours: the windows in which no cut may happen — at night, on
 * weekends, on the site's holidays — in UTC, from the policy rules, the
 * site's time zone and its calendar. Pure (the caller loads tz and
 * calendar). A 调休 workday on a Saturday is a weekday; a holiday on a
 * Wednesday is a holiday.
 */
#ifndef PREPAY_FRIENDLY_H
#define PREPAY_FRIENDLY_H
#include <stdint.h>
#include "billing/calendar.h"
#include "billing/policy.h"
#include "billing/tz.h"

/* Enough days ahead for the longest grace plus a long holiday. */
#define FRIENDLY_HORIZON_DAYS 40

/* The first local day whose windows friendly_windows computes, and how
 * many (the shell loads the calendar rows for these days). */
void friendly_day_range(const struct tz *, int64_t from_utc, int64_t *first_day, int *ndays);

/*
 * The no-cut windows from the local day before from_utc's to
 * FRIENDLY_HORIZON_DAYS after it, sorted and merged (Friday 22:00 to
 * Monday 08:00 is one window). cal may be NULL (no holidays). Returns 0.
 */
int friendly_windows(const struct policy_rules *, const struct tz *, const struct calendar *,
    int64_t from_utc, struct policy_windows *out);

#endif
