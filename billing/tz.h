/*
 * Time zones without the C library's global state: a TZif file from
 * /usr/share/zoneinfo (or $TZDIR) is read once into a table of UTC offset
 * changes (its POSIX footer rule extended to TZ_LAST_YEAR); after that every
 * conversion is a pure lookup, safe from any thread.
 *
 * Times: "utc" is seconds since 1970-01-01T00:00Z; "local" is the wall-clock
 * reading expressed the same way (seconds since 1970-01-01T00:00 local).
 */
#ifndef PREPAY_TZ_H
#define PREPAY_TZ_H
#include <stddef.h>
#include <stdint.h>

#define TZ_NAME_MAX 64
#define TZ_LAST_YEAR 2200	/* DST rules are expanded up to here */
#define TZ_FILE_MAX (256 * 1024)

struct tz;

/* Reads $TZDIR/NAME (default /usr/share/zoneinfo). NULL with err set when
 * the name is unsafe, the file is missing or it is not a valid TZif file. */
struct tz *tz_load(const char *name, char *err, size_t errlen);
/* Pure: parse TZif bytes (for tests and fuzzing). */
struct tz *tz_parse(const char *name, const unsigned char *buf, size_t len, char *err, size_t errlen);
/* A zone with one fixed offset (seconds east of UTC). */
struct tz *tz_fixed(const char *name, int32_t utoff);
void tz_free(struct tz *);
const char *tz_name(const struct tz *);

/* Offset (seconds east of UTC) in effect at utc, and the span
 * [*lo, *hi) around utc during which it does not change (either may be NULL). */
int32_t tz_offset_at(const struct tz *, int64_t utc, int64_t *lo, int64_t *hi);

/* Local wall-clock → UTC. A time that occurs twice (the repeated hour when
 * clocks go back) gives the first occurrence; a time that does not exist
 * (skipped when clocks go forward) is read with the offset in effect before
 * the change, i.e. it lands just as far after the change. Returns 1 when
 * the time was ambiguous, 2 when it did not exist, else 0. */
int tz_local_to_utc(const struct tz *, int64_t local, int64_t *utc);

/* Civil calendar (proleptic Gregorian), pure. */
int64_t tz_days_from_civil(int y, int m, int d);
void tz_civil_from_days(int64_t days, int *y, int *m, int *d);
int tz_days_in_month(int y, int m);
int tz_weekday(int64_t days);		/* 0 = Sunday .. 6 = Saturday */
int64_t tz_floor_div(int64_t a, int64_t b);

/*
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (a space works for T) → local
 * seconds; with a trailing "Z" or "+HH:MM"/"-HH:MM" the text names an
 * instant and *has_offset is set and *secs is UTC. Returns 0 or -1.
 */
int tz_parse_iso(const char *s, size_t len, int64_t *secs, int *has_offset);
/* local seconds → "YYYY-MM-DDTHH:MM" (":SS" only when not zero) */
void tz_format_local(int64_t local, char *buf, size_t len);
/* UTC seconds → "YYYY-MM-DD HH:MM:SS", the form MariaDB DATETIME takes */
void tz_format_utc(int64_t utc, char *buf, size_t len);

#endif
