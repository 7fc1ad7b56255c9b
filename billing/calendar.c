#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/calendar.h"
#include "billing/tz.h"
#include "lib/xmalloc.h"

struct calendar_day {
	int64_t day;
	enum calendar_kind kind;
};

struct calendar {
	int n, cap;
	struct calendar_day *days;	/* sorted by day */
};

struct calendar *
calendar_new(void)
{
	return xcalloc(1, sizeof(struct calendar));
}

void
calendar_free(struct calendar *c)
{
	if (c == NULL)
		return;
	free(c->days);
	free(c);
}

/* index of the first entry with day >= d */
static int
calendar_find(const struct calendar *c, int64_t d)
{
	int a = 0, b = c->n;

	while (a < b) {
		int m = a + (b - a) / 2;
		if (c->days[m].day < d)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

int
calendar_add(struct calendar *c, int64_t day, enum calendar_kind kind, char *err, size_t errlen)
{
	int i = calendar_find(c, day);
	char date[24];

	if (i < c->n && c->days[i].day == day) {
		tz_format_local(day * 86400, date, sizeof date);
		snprintf(err, errlen, "%.10s is listed twice", date);
		return -1;
	}
	if (c->n >= CALENDAR_MAX_DAYS) {
		snprintf(err, errlen, "more than %d calendar days", CALENDAR_MAX_DAYS);
		return -1;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->days = xrealloc(c->days, (size_t)c->cap * sizeof *c->days);
	}
	memmove(c->days + i + 1, c->days + i, (size_t)(c->n - i) * sizeof *c->days);
	c->days[i].day = day;
	c->days[i].kind = kind;
	c->n++;
	return 0;
}

enum calendar_day_type
calendar_day_type(const struct calendar *c, int64_t day)
{
	if (c != NULL && c->n > 0) {
		int i = calendar_find(c, day);
		if (i < c->n && c->days[i].day == day)
			return c->days[i].kind == CALENDAR_KIND_HOLIDAY ? CALENDAR_HOLIDAY : CALENDAR_WEEKDAY;
	}
	int wd = tz_weekday(day);
	return wd == 0 || wd == 6 ? CALENDAR_WEEKEND : CALENDAR_WEEKDAY;
}

const char *
calendar_day_type_name(enum calendar_day_type t)
{
	static const char *names[] = { "weekday", "weekend", "holiday" };

	return (unsigned)t < CALENDAR_NDAY_TYPES ? names[t] : "?";
}

int
calendar_parse_csv(struct calendar *c, const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	int line = 0;
	char e2[128];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *f2, *f3;
		size_t kl;
		int64_t secs;
		int has_off;
		enum calendar_kind kind;

		line++;
		while (le > p && (le[-1] == '\r' || le[-1] == ' '))
			le--;
		if (le == p || *p == '#')
			goto next;
		f2 = memchr(p, ',', (size_t)(le - p));
		if (f2 == NULL || tz_parse_iso(p, (size_t)(f2 - p), &secs, &has_off) == -1 || has_off ||
		    secs % 86400 != 0) {
			snprintf(err, errlen, "calendar line %d: expected YYYY-MM-DD,holiday|workday[,name]", line);
			return -1;
		}
		f2++;
		f3 = memchr(f2, ',', (size_t)(le - f2));
		kl = (size_t)((f3 ? f3 : le) - f2);
		if (kl == 7 && memcmp(f2, "holiday", 7) == 0)
			kind = CALENDAR_KIND_HOLIDAY;
		else if (kl == 7 && memcmp(f2, "workday", 7) == 0)
			kind = CALENDAR_KIND_WORKDAY;
		else {
			snprintf(err, errlen, "calendar line %d: kind \"%.*s\" is neither holiday nor workday",
			    line, (int)(kl > 20 ? 20 : kl), f2);
			return -1;
		}
		if (calendar_add(c, secs / 86400, kind, e2, sizeof e2) == -1) {
			snprintf(err, errlen, "calendar line %d: %s", line, e2);
			return -1;
		}
next:
		p = nl ? nl + 1 : end;
	}
	return 0;
}
