/*
 * A site's calendar: which local days are holidays, and which weekend days
 * are worked in exchange (调休) and so count as weekdays. Pure.
 */
#ifndef PREPAY_CALENDAR_H
#define PREPAY_CALENDAR_H
#include <stddef.h>
#include <stdint.h>

enum calendar_day_type {
	CALENDAR_WEEKDAY,
	CALENDAR_WEEKEND,
	CALENDAR_HOLIDAY,
	CALENDAR_NDAY_TYPES
};

enum calendar_kind {
	CALENDAR_KIND_HOLIDAY,	/* a public holiday, whatever its weekday */
	CALENDAR_KIND_WORKDAY,	/* a Saturday or Sunday worked as a weekday */
};

#define CALENDAR_MAX_DAYS 20000

struct calendar;

struct calendar *calendar_new(void);
void calendar_free(struct calendar *);
/* day: days since 1970-01-01 (local). Returns -1 if the day is already
 * listed (with err set) or the calendar is full. */
int calendar_add(struct calendar *, int64_t day, enum calendar_kind, char *err, size_t errlen);
/* Day type of a local day: listed holiday, listed workday, else Sat/Sun. */
enum calendar_day_type calendar_day_type(const struct calendar *, int64_t day);
const char *calendar_day_type_name(enum calendar_day_type);

/* "YYYY-MM-DD,holiday[,name]" or "...,workday[,name]" lines; '#' comments
 * and blank lines skipped. Errors name the line. NULL cal → new calendar. */
int calendar_parse_csv(struct calendar *, const char *text, size_t len, char *err, size_t errlen);

#endif
