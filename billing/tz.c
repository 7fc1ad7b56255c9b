#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/tz.h"
#include "lib/xmalloc.h"

/* utoff[i] holds from at[i] (inclusive) to at[i+1]; before at[0] holds utoff0. */
struct tz {
	char name[TZ_NAME_MAX];
	int32_t utoff0;
	int n, cap;
	int64_t *at;
	int32_t *utoff;
};

#define TZ_MAX_TRANSITIONS 20000

int64_t
tz_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t
tz_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = tz_floor_div(yy, 400);
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
tz_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = tz_floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
	int mm = (int)(mp < 10 ? mp + 3 : mp - 9);

	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = mm;
	*d = dd;
}

int
tz_days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

int
tz_weekday(int64_t days)
{
	return (int)(days - tz_floor_div(days + 4, 7) * 7 + 4) % 7;
}

static void
tz_push(struct tz *z, int64_t at, int32_t utoff)
{
	int32_t prev = z->n ? z->utoff[z->n - 1] : z->utoff0;

	if (z->n && at <= z->at[z->n - 1])
		return;		/* footer rule restating what the table has */
	if (utoff == prev)
		return;		/* an isdst or name change: same offset for us */
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->at = xrealloc(z->at, (size_t)z->cap * sizeof *z->at);
		z->utoff = xrealloc(z->utoff, (size_t)z->cap * sizeof *z->utoff);
	}
	z->at[z->n] = at;
	z->utoff[z->n] = utoff;
	z->n++;
}

static struct tz *
tz_new(const char *name)
{
	struct tz *z = xcalloc(1, sizeof *z);

	snprintf(z->name, sizeof z->name, "%s", name);
	return z;
}

struct tz *
tz_fixed(const char *name, int32_t utoff)
{
	struct tz *z = tz_new(name);

	z->utoff0 = utoff;
	return z;
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->at);
	free(z->utoff);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

/* ---- POSIX TZ footer: "CET-1CEST,M3.5.0,M10.5.0/3" ---- */

struct posix_rule {
	char kind;		/* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' */
	int day, month, week, wday;
	int32_t time;		/* seconds after local midnight, may exceed a day */
};

static int
posix_name(const char **pp)
{
	const char *p = *pp;
	int n = 0;

	if (*p == '<') {
		for (p++; *p && *p != '>'; p++)
			n++;
		if (*p != '>' || n < 1)
			return -1;
		*pp = p + 1;
		return 0;
	}
	for (; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'); p++)
		n++;
	if (n < 3)
		return -1;
	*pp = p;
	return 0;
}

static int
posix_num(const char **pp, int max, int *v)
{
	const char *p = *pp;
	int x = 0, n = 0;

	for (; *p >= '0' && *p <= '9' && n < 4; p++, n++)
		x = x * 10 + (*p - '0');
	if (n == 0 || x > max)
		return -1;
	*v = x;
	*pp = p;
	return 0;
}

/* [+-]hh[:mm[:ss]]; hours up to 167 (RFC 8536 extension) */
static int
posix_time(const char **pp, int32_t *secs)
{
	const char *p = *pp;
	int neg = 0, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (posix_num(&p, 167, &h) == -1)
		return -1;
	if (*p == ':') {
		p++;
		if (posix_num(&p, 59, &m) == -1)
			return -1;
		if (*p == ':') {
			p++;
			if (posix_num(&p, 59, &s) == -1)
				return -1;
		}
	}
	*secs = (neg ? -1 : 1) * (h * 3600 + m * 60 + s);
	*pp = p;
	return 0;
}

static int
posix_rule_parse(const char **pp, struct posix_rule *r)
{
	const char *p = *pp;

	memset(r, 0, sizeof *r);
	r->time = 7200;
	if (*p == 'J') {
		p++;
		r->kind = 'J';
		if (posix_num(&p, 365, &r->day) == -1 || r->day < 1)
			return -1;
	} else if (*p == 'M') {
		p++;
		r->kind = 'M';
		if (posix_num(&p, 12, &r->month) == -1 || r->month < 1 || *p++ != '.' ||
		    posix_num(&p, 5, &r->week) == -1 || r->week < 1 || *p++ != '.' ||
		    posix_num(&p, 6, &r->wday) == -1)
			return -1;
	} else {
		r->kind = 'D';
		if (posix_num(&p, 365, &r->day) == -1)
			return -1;
	}
	if (*p == '/') {
		p++;
		if (posix_time(&p, &r->time) == -1)
			return -1;
	}
	*pp = p;
	return 0;
}

/* Local day (days since epoch) on which the rule falls in year y. */
static int64_t
posix_rule_day(const struct posix_rule *r, int y)
{
	int64_t jan1 = tz_days_from_civil(y, 1, 1);
	int leap = tz_days_in_month(y, 2) == 29;

	if (r->kind == 'J')
		return jan1 + r->day - 1 + (leap && r->day >= 60);
	if (r->kind == 'D')
		return jan1 + r->day;
	int64_t first = tz_days_from_civil(y, r->month, 1);
	int64_t d = first + ((r->wday - tz_weekday(first)) + 7) % 7 + (int64_t)(r->week - 1) * 7;
	int64_t next = first + tz_days_in_month(y, r->month);
	while (d >= next)
		d -= 7;
	return d;
}

/* Extends the table with the footer's rule from the year of the last
 * explicit transition up to TZ_LAST_YEAR. */
static int
tz_footer(struct tz *z, const char *s)
{
	const char *p = s;
	int32_t std_west, dst_west;
	struct posix_rule start, end;

	if (*p == '\0')
		return 0;	/* no rule: the last offset holds forever */
	if (posix_name(&p) == -1 || posix_time(&p, &std_west) == -1)
		return -1;
	if (*p == '\0') {
		tz_push(z, z->n ? z->at[z->n - 1] + 1 : INT64_MIN / 4, -std_west);
		return 0;
	}
	if (posix_name(&p) == -1)
		return -1;
	dst_west = std_west - 3600;
	if (*p != ',' && *p != '\0' && posix_time(&p, &dst_west) == -1)
		return -1;
	if (*p != ',')
		return -1;	/* DST without rules: not in any TZif file we accept */
	p++;
	if (posix_rule_parse(&p, &start) == -1 || *p++ != ',' ||
	    posix_rule_parse(&p, &end) == -1 || *p != '\0')
		return -1;

	int y0 = 1970;
	if (z->n) {
		int yy, mm, dd;
		tz_civil_from_days(tz_floor_div(z->at[z->n - 1], 86400), &yy, &mm, &dd);
		y0 = yy;
	}
	for (int y = y0; y <= TZ_LAST_YEAR; y++) {
		/* start is read in standard time, end in daylight time */
		int64_t a = posix_rule_day(&start, y) * 86400 + start.time + std_west;
		int64_t b = posix_rule_day(&end, y) * 86400 + end.time + dst_west;
		if (a < b) {
			tz_push(z, a, -dst_west);
			tz_push(z, b, -std_west);
		} else {
			tz_push(z, b, -std_west);
			tz_push(z, a, -dst_west);
		}
		if (z->n > TZ_MAX_TRANSITIONS)
			return -1;
	}
	return 0;
}

/* ---- TZif ---- */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int
tzif_header(const unsigned char *buf, size_t len, size_t off, char *version, struct tzif_counts *c)
{
	if (len < off + 44 || memcmp(buf + off, "TZif", 4) != 0)
		return -1;
	*version = (char)buf[off + 4];
	c->isut = be32(buf + off + 20);
	c->isstd = be32(buf + off + 24);
	c->leap = be32(buf + off + 28);
	c->time = be32(buf + off + 32);
	c->type = be32(buf + off + 36);
	c->chars = be32(buf + off + 40);
	if (c->type == 0 || c->type > 256 || c->time > TZ_MAX_TRANSITIONS || c->chars > 4096 ||
	    c->leap > 1000 || (c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type))
		return -1;
	return 0;
}

static size_t
tzif_block_len(const struct tzif_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd + c->isut;
}

struct tz *
tz_parse(const char *name, const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	struct tzif_counts c;
	char version;
	size_t off = 0, tsize = 4;
	struct tz *z;

	if (tzif_header(buf, len, 0, &version, &c) == -1)
		goto bad;
	if (version >= '2') {
		off = 44 + tzif_block_len(&c, 4);
		if (tzif_header(buf, len, off, &version, &c) == -1)
			goto bad;
		tsize = 8;
	}
	off += 44;
	size_t blen = tzif_block_len(&c, tsize);
	if (len < off + blen)
		goto bad;
	const unsigned char *times = buf + off;
	const unsigned char *idx = times + c.time * tsize;
	const unsigned char *types = idx + c.time;

	z = tz_new(name);
	/* RFC 8536: type 0 applies before the first transition */
	z->utoff0 = (int32_t)be32(types);
	for (uint32_t i = 0; i < c.type; i++) {
		int32_t o = (int32_t)be32(types + 6 * i);
		if (o < -25 * 3600 || o > 26 * 3600 || types[6 * i + 4] > 1)
			goto bad_z;
	}
	for (uint32_t i = 0; i < c.time; i++) {
		int64_t at = tsize == 8 ? be64(times + 8 * i) : (int64_t)(int32_t)be32(times + 4 * i);
		if (idx[i] >= c.type || (z->n && at <= z->at[z->n - 1]))
			goto bad_z;
		tz_push(z, at, (int32_t)be32(types + 6 * idx[i]));
	}
	if (version >= '2') {
		const char *f = (const char *)buf + off + blen;
		size_t flen = len - off - blen;
		char rule[128];
		const char *nl;

		if (flen < 2 || f[0] != '\n' || (nl = memchr(f + 1, '\n', flen - 1)) == NULL ||
		    (size_t)(nl - f - 1) >= sizeof rule)
			goto bad_z;
		memcpy(rule, f + 1, (size_t)(nl - f - 1));
		rule[nl - f - 1] = '\0';
		if (tz_footer(z, rule) == -1)
			goto bad_z;
	}
	return z;
bad_z:
	tz_free(z);
bad:
	snprintf(err, errlen, "time zone %s: not a valid TZif file", name);
	return NULL;
}

static int
tz_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || strstr(name, "..") != NULL)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '/' || *p == '_' || *p == '-' || *p == '+'))
			return 0;
	return 1;
}

struct tz *
tz_load(const char *name, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	unsigned char *buf;
	size_t len = 0, r;
	FILE *f;
	struct tz *z;

	if (!tz_name_ok(name)) {
		snprintf(err, errlen, "time zone \"%.64s\": not a zone name like Asia/Shanghai", name);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "time zone %s: %s: %s (is tzdata installed?)", name, path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(TZ_FILE_MAX);
	while ((r = fread(buf + len, 1, TZ_FILE_MAX - len, f)) > 0 && len < TZ_FILE_MAX)
		len += r;
	fclose(f);
	z = tz_parse(name, buf, len, err, errlen);
	free(buf);
	return z;
}

int32_t
tz_offset_at(const struct tz *z, int64_t utc, int64_t *lo, int64_t *hi)
{
	int a = 0, b = z->n;	/* first transition with at > utc */

	while (a < b) {
		int m = a + (b - a) / 2;
		if (z->at[m] <= utc)
			a = m + 1;
		else
			b = m;
	}
	if (lo != NULL)
		*lo = a == 0 ? INT64_MIN : z->at[a - 1];
	if (hi != NULL)
		*hi = a == z->n ? INT64_MAX : z->at[a];
	return a == 0 ? z->utoff0 : z->utoff[a - 1];
}

int
tz_local_to_utc(const struct tz *z, int64_t local, int64_t *utc)
{
	int64_t found[4];
	int nfound = 0;
	int64_t lo, hi, t = local - 2 * 86400;

	/* each constant-offset span near the wall time may contain it */
	for (int i = 0; i < 64 && t < local + 2 * 86400; i++) {
		int32_t off = tz_offset_at(z, t, &lo, &hi);
		int64_t u = local - off;
		if (u >= lo && u < hi && nfound < 4)
			found[nfound++] = u;
		if (hi == INT64_MAX)
			break;
		t = hi;
	}
	if (nfound > 0) {
		*utc = found[0];	/* spans are visited in order: first occurrence */
		return nfound > 1;
	}
	/* in a gap: read it with the offset of the span before the gap */
	int32_t prev = tz_offset_at(z, local - 2 * 86400, &lo, &hi);
	*utc = local - prev;
	for (int i = 0; i < 64 && hi != INT64_MAX; i++) {
		int32_t off = tz_offset_at(z, hi, &lo, &hi);
		if (lo + off > local)
			break;
		prev = off;
		*utc = local - prev;
	}
	return 2;
}

static int
digits(const char *s, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

int
tz_parse_iso(const char *s, size_t len, int64_t *secs, int *has_offset)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t i = 10;

	*has_offset = 0;
	if (len < 10 || digits(s, 4, &y) == -1 || s[4] != '-' || digits(s + 5, 2, &mo) == -1 ||
	    s[7] != '-' || digits(s + 8, 2, &d) == -1)
		return -1;
	if (y < 1900 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > tz_days_in_month(y, mo))
		return -1;
	if (i < len && (s[i] == 'T' || s[i] == ' ')) {
		if (len < i + 6 || digits(s + i + 1, 2, &h) == -1 || s[i + 3] != ':' ||
		    digits(s + i + 4, 2, &mi) == -1)
			return -1;
		i += 6;
		if (i < len && s[i] == ':') {
			if (len < i + 3 || digits(s + i + 1, 2, &se) == -1)
				return -1;
			i += 3;
		}
		/* 24:00 is the end of the day, as in schedules */
		if (mi > 59 || se > 59 || h > 24 || (h == 24 && (mi || se)))
			return -1;
	}
	int64_t t = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (i < len && s[i] == 'Z') {
		*has_offset = 1;
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int oh, om;
		if (len < i + 6 || digits(s + i + 1, 2, &oh) == -1 || s[i + 3] != ':' ||
		    digits(s + i + 4, 2, &om) == -1 || oh > 18 || om > 59)
			return -1;
		t -= (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		*has_offset = 1;
		i += 6;
	}
	if (i != len)
		return -1;
	*secs = t;
	return 0;
}

void
tz_format_local(int64_t local, char *buf, size_t len)
{
	int64_t days = tz_floor_div(local, 86400);
	int64_t sod = local - days * 86400;
	int y, m, d;

	tz_civil_from_days(days, &y, &m, &d);
	if (sod % 60)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, (int)(sod / 3600),
		    (int)(sod / 60 % 60), (int)(sod % 60));
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d", y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60));
}

void
tz_format_utc(int64_t utc, char *buf, size_t len)
{
	int y, m, d;
	int64_t day = tz_floor_div(utc, 86400), sod = utc - day * 86400;

	tz_civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
	    (int)(sod % 60));
}
