/*
 * Park file parser and validator (see park_file.h, docs/park-file.md).
 * Pure: text in, struct park or messages out. Codes compare without regard
 * to ASCII case because the database's unique keys do the same.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "tools/park_file.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define PARK_MAX_SITES 1000
#define PARK_MAX_ITEMS 100000	/* per list in one site */
#define PARK_MAX_RANGE_DAYS 62	/* a holiday range longer than this is a typo */
#define PARK_MAX_DAYS 20000	/* calendar days per site, decades of holidays */
#define PATH_LEN 96

struct pctx {
	struct park_errors *errs;
	const char *file;
};

static const char *const energies_account[] = { "all", "electricity", "water", "gas", NULL };
static const char *const energies_meter[] = { "electricity", "water", "gas", NULL };
static const char *const transports[] = { "tcp", "rtu", NULL };
static const char *const parities[] = { "N", "E", "O", NULL };
static const int bauds[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 0 };

static void __attribute__((format(printf, 2, 0)))
park_verror(struct park_errors *e, const char *fmt, va_list ap)
{
	if (e->n < PARK_MAX_ERRORS)
		vsnprintf(e->msg[e->n++], PARK_ERROR_LEN, fmt, ap);
	e->total++;
}

void
park_error(struct park_errors *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	park_verror(e, fmt, ap);
	va_end(ap);
}

/* A path inside the file ("sites[0].meters[3]"); long ones are cut, not overrun. */
static void __attribute__((format(printf, 2, 3)))
pathf(char out[PATH_LEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, PATH_LEN, fmt, ap);
	va_end(ap);
}

/* "file: path: message" */
static void __attribute__((format(printf, 3, 4)))
perr(struct pctx *x, const char *path, const char *fmt, ...)
{
	char msg[PARK_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	park_error(x->errs, "%s: %s: %s", x->file, path, msg);
}

void
park_line_col(const char *text, size_t len, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;	/* count characters, not UTF-8 continuation bytes */
		}
	}
}

static const char *
json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "true/false";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "an object";
	return "something else";
}

/* Levenshtein distance, capped: only used to suggest a key for a typo. */
static int
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[40], prev, tmp;

	if (la >= 39 || lb >= 39)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* Unknown and repeated keys are errors: a typo must not silently become a default. */
static int
check_keys(struct pctx *x, const cJSON *obj, const char *path, const char *const *allowed)
{
	int bad = 0;

	for (const cJSON *k = obj->child; k != NULL; k = k->next) {
		int known = 0;
		const char *best = NULL;
		int bestd = 3;

		for (const cJSON *p = obj->child; p != k; p = p->next)
			if (strcmp(p->string, k->string) == 0) {
				perr(x, path, "key \"%s\" is given twice", k->string);
				bad = -1;
				break;
			}
		if (strcmp(k->string, "comment") == 0)
			continue;
		for (const char *const *a = allowed; *a != NULL; a++) {
			int d;
			if (strcmp(*a, k->string) == 0) {
				known = 1;
				break;
			}
			if ((d = edit_distance(*a, k->string)) < bestd) {
				bestd = d;
				best = *a;
			}
		}
		if (!known) {
			if (best != NULL)
				perr(x, path, "unknown key \"%s\" (did you mean \"%s\"?)", k->string, best);
			else
				perr(x, path, "unknown key \"%s\"", k->string);
			bad = -1;
		}
	}
	return bad;
}

static int
want_object(struct pctx *x, const cJSON *v, const char *path)
{
	if (cJSON_IsObject(v))
		return 0;
	perr(x, path, "must be an object { ... }, not %s", json_type_name(v));
	return -1;
}

/* Counts UTF-8 characters; -1 when the bytes are not UTF-8 or hold control characters. */
static long
utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		int len;
		unsigned cp;

		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (*p < 0x80) { len = 1; cp = *p; }
		else if ((*p & 0xe0) == 0xc0) { len = 2; cp = *p & 0x1f; }
		else if ((*p & 0xf0) == 0xe0) { len = 3; cp = *p & 0x0f; }
		else if ((*p & 0xf8) == 0xf0) { len = 4; cp = *p & 0x07; }
		else return -1;
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		p += len;
		n++;
	}
	return n;
}

/* A text value of at most maxchars characters; *out stays as is when absent. */
static int
get_str(struct pctx *x, const cJSON *obj, const char *path, const char *key, int required,
    long maxchars, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	long n;

	if (v == NULL) {
		if (required)
			perr(x, path, "\"%s\" is missing", key);
		return required ? -1 : 0;
	}
	if (!cJSON_IsString(v)) {
		perr(x, path, "%s: must be a string, not %s", key, json_type_name(v));
		return -1;
	}
	if ((n = utf8_chars(v->valuestring)) < 0) {
		perr(x, path, "%s: not valid UTF-8 text (or holds control characters)", key);
		return -1;
	}
	if (n > maxchars) {
		perr(x, path, "%s: longer than %ld characters", key, maxchars);
		return -1;
	}
	if (required && n == 0) {
		perr(x, path, "%s: must not be empty", key);
		return -1;
	}
	*out = v->valuestring;
	return 0;
}

/* Codes appear on command lines ("demo/t01-e"), so: letters, digits, . _ - */
static int
get_code(struct pctx *x, const cJSON *obj, const char *path, const char *key, int required,
    const char **out)
{
	const char *s = NULL;

	if (get_str(x, obj, path, key, required, PARK_CODE_MAX, &s) < 0)
		return -1;
	if (s == NULL)
		return 0;
	for (const char *p = s; *p; p++) {
		int alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (!alnum && (p == s || (*p != '-' && *p != '_' && *p != '.'))) {
			perr(x, path, "%s: \"%s\" is not a code: use letters, digits, '-', '_' and '.',"
			    " starting with a letter or digit", key, s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

static int
get_int(struct pctx *x, const cJSON *obj, const char *path, const char *key, int required,
    long long min, long long max, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (v == NULL) {
		if (required)
			perr(x, path, "\"%s\" is missing", key);
		return required ? -1 : 0;
	}
	if (!cJSON_IsNumber(v)) {
		perr(x, path, "%s: must be a number, not %s", key, json_type_name(v));
		return -1;
	}
	d = v->valuedouble;
	if (!(d >= (double)min && d <= (double)max)) {
		perr(x, path, "%s: must be between %lld and %lld", key, min, max);
		return -1;
	}
	if ((double)(long long)d != d) {
		perr(x, path, "%s: must be a whole number", key);
		return -1;
	}
	*out = (long long)d;
	return 0;
}

static int
get_bool(struct pctx *x, const cJSON *obj, const char *path, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL)
		return 0;
	if (!cJSON_IsBool(v)) {
		perr(x, path, "%s: must be true or false, not %s", key, json_type_name(v));
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

static int
get_enum(struct pctx *x, const cJSON *obj, const char *path, const char *key, int required,
    const char *const *values, const char **out)
{
	const char *s = NULL;
	char list[128] = "";
	size_t used = 0;

	if (get_str(x, obj, path, key, required, 32, &s) < 0)
		return -1;
	if (s == NULL)
		return 0;
	for (const char *const *v = values; *v != NULL; v++) {
		int n;
		if (strcmp(*v, s) == 0) {
			*out = *v;
			return 0;
		}
		n = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *v);
		if (n > 0 && (size_t)n < sizeof list - used)
			used += (size_t)n;
	}
	perr(x, path, "%s: \"%s\" is not one of %s", key, s, list);
	return -1;
}

/* A list under key: NULL when absent (or an error, then *bad is set). */
static const cJSON *
get_list(struct pctx *x, const cJSON *obj, const char *path, const char *key, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL)
		return NULL;
	if (!cJSON_IsArray(v)) {
		perr(x, path, "%s: must be a list [ ... ], not %s", key, json_type_name(v));
		*bad = 1;
		return NULL;
	}
	if (cJSON_GetArraySize(v) > PARK_MAX_ITEMS) {
		perr(x, path, "%s: more than %d entries", key, PARK_MAX_ITEMS);
		*bad = 1;
		return NULL;
	}
	return v;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* "YYYY-MM-DD", a real day between 1970 and 2199 → days since the epoch, or -1. */
static long
date_parse(const char *s)
{
	int y, m, d, mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)
		mdays[1] = 29;
	if (y < 1970 || y > 2199 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	return days_from_civil(y, m, d);
}

static int
get_date(struct pctx *x, const cJSON *obj, const char *path, const char *key, long *out)
{
	const char *s = NULL;

	if (get_str(x, obj, path, key, 1, 10, &s) < 0)
		return -1;
	if ((*out = date_parse(s)) < 0) {
		perr(x, path, "%s: \"%s\" is not a date like 2026-10-01", key, s);
		return -1;
	}
	return 0;
}

struct day_origin {
	long day;
	int i;			/* listing order, so "first" is the earlier one */
	char path[PATH_LEN];
};

/* holidays or workdays: entries {"date"} or {"from", "to"}, each with an optional "name". */
static int
parse_days(struct pctx *x, struct park_site *site, const cJSON *list, const char *path,
    enum park_day_kind kind, struct day_origin **orig, int *norig)
{
	static const char *const keys[] = { "date", "from", "to", "name", NULL };
	const cJSON *e;
	int i = 0, bad = 0;

	cJSON_ArrayForEach(e, list) {
		char p[PATH_LEN];
		long from = 0, to = 0;
		const char *name = "";

		pathf(p, "%s[%d]", path, i++);
		if (want_object(x, e, p) < 0 || check_keys(x, e, p, keys) < 0) {
			bad = -1;
			continue;
		}
		if (get_str(x, e, p, "name", 0, 64, &name) < 0)
			bad = -1;
		if (cJSON_GetObjectItemCaseSensitive(e, "date") != NULL) {
			if (cJSON_GetObjectItemCaseSensitive(e, "from") != NULL ||
			    cJSON_GetObjectItemCaseSensitive(e, "to") != NULL) {
				perr(x, p, "give either \"date\" or \"from\" and \"to\", not both");
				bad = -1;
				continue;
			}
			if (get_date(x, e, p, "date", &from) < 0) {
				bad = -1;
				continue;
			}
			to = from;
		} else if (cJSON_GetObjectItemCaseSensitive(e, "from") == NULL &&
		    cJSON_GetObjectItemCaseSensitive(e, "to") == NULL) {
			perr(x, p, "\"date\" (or \"from\" and \"to\") is missing");
			bad = -1;
			continue;
		} else {
			if (get_date(x, e, p, "from", &from) < 0 || get_date(x, e, p, "to", &to) < 0) {
				bad = -1;
				continue;
			}
			if (to < from) {
				perr(x, p, "\"to\" is before \"from\"");
				bad = -1;
				continue;
			}
			if (to - from >= PARK_MAX_RANGE_DAYS) {
				perr(x, p, "a range of more than %d days: check \"from\" and \"to\"",
				    PARK_MAX_RANGE_DAYS);
				bad = -1;
				continue;
			}
		}
		if (site->ndays + (to - from + 1) > PARK_MAX_DAYS) {
			perr(x, p, "more than %d calendar days in one site", PARK_MAX_DAYS);
			return -1;
		}
		for (long d = from; d <= to; d++) {
			struct park_day *pd;
			int y, m, dd;

			site->days = xrealloc(site->days, (size_t)(site->ndays + 1) * sizeof *site->days);
			pd = &site->days[site->ndays++];
			civil_from_days(d, &y, &m, &dd);
			snprintf(pd->date, sizeof pd->date, "%04d-%02d-%02d", y, m, dd);
			pd->kind = kind;
			pd->name = name;
			*orig = xrealloc(*orig, (size_t)(*norig + 1) * sizeof **orig);
			(*orig)[*norig].day = d;
			(*orig)[*norig].i = *norig;
			pathf((*orig)[*norig].path, "%s", p);
			(*norig)++;
		}
	}
	return bad;
}

static int
origin_cmp(const void *a, const void *b)
{
	const struct day_origin *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return x->i - y->i;
}

static int
parse_calendar(struct pctx *x, struct park_site *site, const cJSON *cal, const char *path)
{
	static const char *const keys[] = { "holidays", "workdays", NULL };
	struct day_origin *orig = NULL;
	int norig = 0, bad = 0;
	char p[PATH_LEN];
	const cJSON *l;

	if (want_object(x, cal, path) < 0 || check_keys(x, cal, path, keys) < 0)
		return -1;
	pathf(p, "%s.holidays", path);
	if ((l = get_list(x, cal, path, "holidays", &bad)) != NULL &&
	    parse_days(x, site, l, p, PARK_HOLIDAY, &orig, &norig) < 0)
		bad = 1;
	pathf(p, "%s.workdays", path);
	if ((l = get_list(x, cal, path, "workdays", &bad)) != NULL &&
	    parse_days(x, site, l, p, PARK_WORKDAY, &orig, &norig) < 0)
		bad = 1;
	if (norig > 1) {
		qsort(orig, (size_t)norig, sizeof *orig, origin_cmp);
		for (int i = 1; i < norig; i++) {
			if (orig[i].day == orig[i - 1].day) {
				int y, m, d;
				civil_from_days(orig[i].day, &y, &m, &d);
				perr(x, orig[i].path, "%04d-%02d-%02d is already listed at %s", y, m, d,
				    orig[i - 1].path);
				bad = 1;
			}
		}
	}
	free(orig);
	return bad ? -1 : 0;
}

/* Codes of one list, sorted for duplicate checks and lookups. */
struct code_index {
	const char *code;
	int i;
};

static int
code_cmp(const void *a, const void *b)
{
	const struct code_index *x = a, *y = b;
	int c = strcasecmp(x->code, y->code);

	return c != 0 ? c : x->i - y->i;
}

static int
code_find_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct code_index *)elem)->code);
}

/* Sorts idx (n entries, codes may be NULL when invalid) and reports duplicates. */
static int
code_index_build(struct pctx *x, struct code_index *idx, int *n, const char *site_path, const char *list)
{
	int bad = 0, k = 0;

	for (int i = 0; i < *n; i++)
		if (idx[i].code != NULL)
			idx[k++] = idx[i];
	*n = k;
	qsort(idx, (size_t)k, sizeof *idx, code_cmp);
	for (int i = 1; i < k; i++)
		if (strcasecmp(idx[i].code, idx[i - 1].code) == 0) {
			char p[PATH_LEN];
			pathf(p, "%s.%s[%d].code", site_path, list, idx[i].i);
			perr(x, p, "duplicate code \"%s\" (first at %s[%d])", idx[i].code, list, idx[i - 1].i);
			bad = -1;
		}
	return bad;
}

static int
code_index_has(const struct code_index *idx, int n, const char *code)
{
	const struct code_index *f = bsearch(code, idx, (size_t)n, sizeof *idx, code_find_cmp);

	return f != NULL ? f->i : -1;
}

static int
parse_unit(struct pctx *x, const cJSON *o, const char *p, struct park_unit *u)
{
	static const char *const keys[] = { "code", "name", "area", NULL };
	const cJSON *area;
	int bad = 0;

	if (want_object(x, o, p) < 0 || check_keys(x, o, p, keys) < 0)
		return -1;
	bad |= get_code(x, o, p, "code", 1, &u->code);
	bad |= get_str(x, o, p, "name", 1, PARK_NAME_MAX, &u->name);
	if ((area = cJSON_GetObjectItemCaseSensitive(o, "area")) != NULL) {
		double a, frac;
		if (!cJSON_IsNumber(area)) {
			perr(x, p, "area: must be a number of square metres, not %s", json_type_name(area));
			return -1;
		}
		a = area->valuedouble;
		if (!(a >= 0 && a <= 100000000.0)) {
			perr(x, p, "area: must be between 0 and 100000000 m²");
			return -1;
		}
		u->area_m2_e2 = (int64_t)(a * 100 + 0.5);
		frac = a * 100 - (double)u->area_m2_e2;
		if (frac > 1e-6 || frac < -1e-6) {
			perr(x, p, "area: at most two decimals (0.01 m²)");
			return -1;
		}
	}
	return bad ? -1 : 0;
}

static int
parse_tenant(struct pctx *x, const cJSON *o, const char *p, struct park_tenant *t)
{
	static const char *const keys[] = { "code", "name", "contact", NULL };
	static const char *const ckeys[] = { "name", "phone", NULL };
	const cJSON *c;
	int bad = 0;

	t->contact_name = t->contact_phone = "";
	if (want_object(x, o, p) < 0 || check_keys(x, o, p, keys) < 0)
		return -1;
	bad |= get_code(x, o, p, "code", 1, &t->code);
	bad |= get_str(x, o, p, "name", 1, PARK_NAME_MAX, &t->name);
	if ((c = cJSON_GetObjectItemCaseSensitive(o, "contact")) != NULL) {
		char cp[PATH_LEN];
		pathf(cp, "%s.contact", p);
		if (want_object(x, c, cp) < 0 || check_keys(x, c, cp, ckeys) < 0)
			return -1;
		bad |= get_str(x, c, cp, "name", 0, 64, &t->contact_name);
		if (get_str(x, c, cp, "phone", 0, 32, &t->contact_phone) < 0)
			bad = -1;
		else
			for (const char *s = t->contact_phone; *s; s++)
				if (!((*s >= '0' && *s <= '9') || strchr("+- ()", *s) != NULL)) {
					perr(x, cp, "phone: \"%s\" is not a phone number (digits, +, -, space,"
					    " parentheses)", t->contact_phone);
					bad = -1;
					break;
				}
	}
	return bad ? -1 : 0;
}

/* Overdraft is a limit in yuan: "200.00" (string, as typed for top-ups) or a whole number. */
static int
get_yuan(struct pctx *x, const cJSON *o, const char *p, const char *key, int64_t *fen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		return 0;
	if (cJSON_IsString(v)) {
		if (money_parse_yuan(v->valuestring, fen) < 0 || *fen < 0) {
			perr(x, p, "%s: \"%.40s\" is not an amount in yuan like \"200.00\" (zero or more,"
			    " at most two decimals)", key, v->valuestring);
			return -1;
		}
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (!(d >= 0 && d <= (double)(MONEY_MAX_FEN / 100)) || (double)(long long)d != d) {
			perr(x, p, "%s: must be whole yuan from 0 up, or a string like \"200.50\"", key);
			return -1;
		}
		*fen = (int64_t)d * 100;
		return 0;
	}
	perr(x, p, "%s: must be an amount in yuan like \"200.00\", not %s", key, json_type_name(v));
	return -1;
}

static int
parse_account(struct pctx *x, const cJSON *o, const char *p, struct park_account *a)
{
	static const char *const keys[] = { "code", "tenant", "energy", "overdraft", "keep_power", NULL };
	int bad = 0;

	a->energy = "all";
	if (want_object(x, o, p) < 0 || check_keys(x, o, p, keys) < 0)
		return -1;
	bad |= get_code(x, o, p, "code", 1, &a->code);
	bad |= get_code(x, o, p, "tenant", 1, &a->tenant);
	bad |= get_enum(x, o, p, "energy", 0, energies_account, &a->energy);
	bad |= get_yuan(x, o, p, "overdraft", &a->overdraft_fen);
	bad |= get_bool(x, o, p, "keep_power", &a->keep_power);
	return bad ? -1 : 0;
}

static int
forbid(struct pctx *x, const cJSON *o, const char *p, const char *key, const char *transport)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key) == NULL)
		return 0;
	perr(x, p, "%s: not used with transport \"%s\"", key, transport);
	return -1;
}

static int
parse_gateway(struct pctx *x, const cJSON *o, const char *p, struct park_gateway *g)
{
	static const char *const keys[] = { "code", "name", "transport", "host", "port", "device", "baud",
	    "parity", "timeout_ms", "gap_ms", NULL };
	const char *tr = NULL, *par = "N";
	long long v;
	int bad = 0;

	g->name = "";
	g->timeout_ms = 500;
	g->gap_ms = 20;
	if (want_object(x, o, p) < 0 || check_keys(x, o, p, keys) < 0)
		return -1;
	bad |= get_code(x, o, p, "code", 1, &g->code);
	bad |= get_str(x, o, p, "name", 0, PARK_NAME_MAX, &g->name);
	v = g->timeout_ms;
	bad |= get_int(x, o, p, "timeout_ms", 0, 1, 60000, &v);
	g->timeout_ms = (int)v;
	v = g->gap_ms;
	bad |= get_int(x, o, p, "gap_ms", 0, 0, 10000, &v);
	g->gap_ms = (int)v;
	if (get_enum(x, o, p, "transport", 1, transports, &tr) < 0)
		return -1;
	if (strcmp(tr, "tcp") == 0) {
		g->transport = PARK_TCP;
		bad |= forbid(x, o, p, "device", tr) | forbid(x, o, p, "baud", tr) | forbid(x, o, p, "parity", tr);
		if (get_str(x, o, p, "host", 1, 255, &g->host) < 0)
			bad = -1;
		else if (strpbrk(g->host, " /\\") != NULL) {
			perr(x, p, "host: \"%s\" is not a host name or address", g->host);
			bad = -1;
		}
		v = 0;
		bad |= get_int(x, o, p, "port", 1, 1, 65535, &v);
		g->port = (int)v;
	} else {
		g->transport = PARK_RTU;
		bad |= forbid(x, o, p, "host", tr) | forbid(x, o, p, "port", tr);
		bad |= get_str(x, o, p, "device", 1, 255, &g->device);
		v = 9600;
		if (get_int(x, o, p, "baud", 0, 1, 1000000, &v) < 0)
			bad = -1;
		else {
			int ok = 0;
			for (const int *b = bauds; *b; b++)
				ok |= *b == v;
			if (!ok) {
				perr(x, p, "baud: %lld is not a serial speed (1200, 2400, 4800, 9600, 19200,"
				    " 38400, 57600 or 115200)", v);
				bad = -1;
			}
		}
		g->baud = (int)v;
		bad |= get_enum(x, o, p, "parity", 0, parities, &par);
		g->parity = par[0];
	}
	return bad ? -1 : 0;
}

static int
parse_meter(struct pctx *x, const cJSON *o, const char *p, struct park_meter *m)
{
	static const char *const keys[] = { "code", "serial", "energy", "profile", "gateway", "address", "unit",
	    "account", "ct_ratio", "pt_ratio", "relay", NULL };
	long long v;
	int bad = 0;

	m->serial = "";
	m->energy = "electricity";
	m->ct_ratio = m->pt_ratio = 1;
	if (want_object(x, o, p) < 0 || check_keys(x, o, p, keys) < 0)
		return -1;
	bad |= get_code(x, o, p, "code", 1, &m->code);
	bad |= get_str(x, o, p, "serial", 0, 64, &m->serial);
	bad |= get_enum(x, o, p, "energy", 0, energies_meter, &m->energy);
	if (get_str(x, o, p, "profile", 1, 64, &m->profile) < 0)
		bad = -1;
	else
		for (const char *s = m->profile; *s; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) {
				perr(x, p, "profile: \"%s\" is not a profile name (lower-case letters, digits,"
				    " '-', '_')", m->profile);
				bad = -1;
				break;
			}
	bad |= get_code(x, o, p, "gateway", 0, &m->gateway);
	v = 0;
	bad |= get_int(x, o, p, "address", m->gateway != NULL, 1, 247, &v);
	m->address = (int)v;
	if (m->gateway == NULL && cJSON_GetObjectItemCaseSensitive(o, "address") != NULL) {
		perr(x, p, "address: given without a \"gateway\"");
		bad = -1;
	}
	bad |= get_code(x, o, p, "unit", 0, &m->unit);
	bad |= get_code(x, o, p, "account", 0, &m->account);
	v = 1;
	bad |= get_int(x, o, p, "ct_ratio", 0, 1, 100000, &v);
	m->ct_ratio = (int)v;
	v = 1;
	bad |= get_int(x, o, p, "pt_ratio", 0, 1, 100000, &v);
	m->pt_ratio = (int)v;
	bad |= get_bool(x, o, p, "relay", &m->relay);
	return bad ? -1 : 0;
}

/* "sites[0].meters", parses each element with fn into an array of size bytes each. */
typedef int (*parse_fn)(struct pctx *, const cJSON *, const char *, void *);

static int
parse_list(struct pctx *x, const cJSON *site, const char *spath, const char *key, size_t size,
    parse_fn fn, void **out, int *n)
{
	const cJSON *l, *e;
	int bad = 0, i = 0;

	if ((l = get_list(x, site, spath, key, &bad)) == NULL)
		return bad ? -1 : 0;
	*n = cJSON_GetArraySize(l);
	*out = xcalloc((size_t)*n + 1, size);
	cJSON_ArrayForEach(e, l) {
		char p[PATH_LEN];
		pathf(p, "%s.%s[%d]", spath, key, i);
		if (fn(x, e, p, (char *)*out + (size_t)i * size) < 0)
			bad = -1;
		i++;
	}
	return bad;
}

static struct code_index *
index_of(const void *items, int n, size_t size, int *nout)
{
	struct code_index *idx = xcalloc((size_t)n + 1, sizeof *idx);

	/* every item struct starts with its code */
	for (int i = 0; i < n; i++) {
		idx[i].code = *(const char *const *)((const char *)items + (size_t)i * size);
		idx[i].i = i;
	}
	*nout = n;
	return idx;
}

struct bus_slot {
	const char *gateway;
	int address, i;
};

static int
bus_cmp(const void *a, const void *b)
{
	const struct bus_slot *x = a, *y = b;
	int c = strcasecmp(x->gateway, y->gateway);

	if (c != 0)
		return c;
	if (x->address != y->address)
		return x->address - y->address;
	return x->i - y->i;
}

/* References inside one site: account → tenant, meter → gateway, unit, account. */
static int
check_site_refs(struct pctx *x, struct park_site *s, const char *sp)
{
	struct code_index *ti, *ai, *gi, *ui, *mi;
	int nt, na, ng, nu, nm, bad = 0, nb = 0;
	struct bus_slot *bus;
	char p[PATH_LEN];

	ti = index_of(s->tenants, s->ntenants, sizeof *s->tenants, &nt);
	ai = index_of(s->accounts, s->naccounts, sizeof *s->accounts, &na);
	gi = index_of(s->gateways, s->ngateways, sizeof *s->gateways, &ng);
	ui = index_of(s->units, s->nunits, sizeof *s->units, &nu);
	mi = index_of(s->meters, s->nmeters, sizeof *s->meters, &nm);
	bad |= code_index_build(x, ui, &nu, sp, "units");
	bad |= code_index_build(x, ti, &nt, sp, "tenants");
	bad |= code_index_build(x, ai, &na, sp, "accounts");
	bad |= code_index_build(x, gi, &ng, sp, "gateways");
	bad |= code_index_build(x, mi, &nm, sp, "meters");
	for (int i = 0; i < s->naccounts; i++) {
		const struct park_account *a = &s->accounts[i];
		if (a->tenant != NULL && code_index_has(ti, nt, a->tenant) < 0) {
			pathf(p, "%s.accounts[%d].tenant", sp, i);
			perr(x, p, "no tenant \"%s\" in site \"%s\"", a->tenant, s->code);
			bad = -1;
		}
	}
	bus = xcalloc((size_t)s->nmeters + 1, sizeof *bus);
	for (int i = 0; i < s->nmeters; i++) {
		const struct park_meter *m = &s->meters[i];
		int k;
		if (m->gateway != NULL) {
			if (code_index_has(gi, ng, m->gateway) < 0) {
				pathf(p, "%s.meters[%d].gateway", sp, i);
				perr(x, p, "no gateway \"%s\" in site \"%s\"", m->gateway, s->code);
				bad = -1;
			} else if (m->address > 0) {
				bus[nb].gateway = m->gateway;
				bus[nb].address = m->address;
				bus[nb++].i = i;
			}
		}
		if (m->unit != NULL && code_index_has(ui, nu, m->unit) < 0) {
			pathf(p, "%s.meters[%d].unit", sp, i);
			perr(x, p, "no unit \"%s\" in site \"%s\"", m->unit, s->code);
			bad = -1;
		}
		if (m->account != NULL) {
			pathf(p, "%s.meters[%d].account", sp, i);
			if ((k = code_index_has(ai, na, m->account)) < 0) {
				perr(x, p, "no account \"%s\" in site \"%s\"", m->account, s->code);
				bad = -1;
			} else if (m->energy != NULL && s->accounts[k].energy != NULL &&
			    strcmp(s->accounts[k].energy, "all") != 0 &&
			    strcmp(s->accounts[k].energy, m->energy) != 0) {
				perr(x, p, "account \"%s\" pays for %s, but this meter measures %s", m->account,
				    s->accounts[k].energy, m->energy);
				bad = -1;
			}
		}
	}
	qsort(bus, (size_t)nb, sizeof *bus, bus_cmp);
	for (int i = 1; i < nb; i++)
		if (strcasecmp(bus[i].gateway, bus[i - 1].gateway) == 0 && bus[i].address == bus[i - 1].address) {
			pathf(p, "%s.meters[%d].address", sp, bus[i].i);
			perr(x, p, "gateway \"%s\" address %d is already used by meters[%d]", bus[i].gateway,
			    bus[i].address, bus[i - 1].i);
			bad = -1;
		}
	free(bus);
	free(ti);
	free(ai);
	free(gi);
	free(ui);
	free(mi);
	return bad;
}

static int
parse_unit_v(struct pctx *x, const cJSON *o, const char *p, void *out)
{
	return parse_unit(x, o, p, out);
}

static int
parse_tenant_v(struct pctx *x, const cJSON *o, const char *p, void *out)
{
	return parse_tenant(x, o, p, out);
}

static int
parse_account_v(struct pctx *x, const cJSON *o, const char *p, void *out)
{
	return parse_account(x, o, p, out);
}

static int
parse_gateway_v(struct pctx *x, const cJSON *o, const char *p, void *out)
{
	return parse_gateway(x, o, p, out);
}

static int
parse_meter_v(struct pctx *x, const cJSON *o, const char *p, void *out)
{
	return parse_meter(x, o, p, out);
}

static int
parse_site(struct pctx *x, const cJSON *o, const char *sp, struct park_site *s)
{
	static const char *const keys[] = { "code", "name", "timezone", "calendar", "units", "tenants",
	    "accounts", "gateways", "meters", NULL };
	const cJSON *cal;
	char p[PATH_LEN];
	int bad = 0;

	if (want_object(x, o, sp) < 0 || check_keys(x, o, sp, keys) < 0)
		return -1;
	bad |= get_code(x, o, sp, "code", 1, &s->code);
	bad |= get_str(x, o, sp, "name", 1, PARK_NAME_MAX, &s->name);
	if (get_str(x, o, sp, "timezone", 1, 64, &s->timezone) < 0)
		bad = -1;
	else {
		const char *tz = s->timezone;
		int ok = tz[0] != '/' && strstr(tz, "..") == NULL;
		for (const char *c = tz; *c && ok; c++)
			ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			    strchr("/_+-", *c) != NULL;
		if (!ok) {
			perr(x, sp, "timezone: \"%s\" is not a time zone name like \"Asia/Shanghai\"", tz);
			bad = -1;
		}
	}
	if ((cal = cJSON_GetObjectItemCaseSensitive(o, "calendar")) != NULL) {
		pathf(p, "%s.calendar", sp);
		bad |= parse_calendar(x, s, cal, p);
	}
	bad |= parse_list(x, o, sp, "units", sizeof *s->units, parse_unit_v, (void **)&s->units, &s->nunits);
	bad |= parse_list(x, o, sp, "tenants", sizeof *s->tenants, parse_tenant_v, (void **)&s->tenants,
	    &s->ntenants);
	bad |= parse_list(x, o, sp, "accounts", sizeof *s->accounts, parse_account_v, (void **)&s->accounts,
	    &s->naccounts);
	bad |= parse_list(x, o, sp, "gateways", sizeof *s->gateways, parse_gateway_v, (void **)&s->gateways,
	    &s->ngateways);
	bad |= parse_list(x, o, sp, "meters", sizeof *s->meters, parse_meter_v, (void **)&s->meters,
	    &s->nmeters);
	bad |= check_site_refs(x, s, sp);
	return bad ? -1 : 0;
}

void
park_free(struct park *pk)
{
	if (pk == NULL)
		return;
	for (int i = 0; i < pk->nsites; i++) {
		struct park_site *s = &pk->sites[i];
		free(s->days);
		free(s->units);
		free(s->tenants);
		free(s->accounts);
		free(s->gateways);
		free(s->meters);
	}
	free(pk->sites);
	cJSON_Delete(pk->json);
	free(pk);
}

/* True when the text stops inside a string or an unclosed [ or {. cJSON
 * puts its error position on the last byte then, which would mislead. */
static int
json_truncated(const char *text, size_t len)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return in_str || depth > 0 || len == 0;
}

static void
syntax_error(struct park_errors *errs, const char *filename, const char *text, size_t len, size_t off)
{
	char near[16];
	size_t n = 0, i = off;
	int line, col;

	if (json_truncated(text, len)) {
		park_line_col(text, len, len, &line, &col);
		park_error(errs, "%s:%d:%d: JSON syntax error: the file ends too early (a missing ']', '}'"
		    " or '\"'?)", filename, line, col);
		return;
	}
	park_line_col(text, len, off, &line, &col);
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
		i++;
	for (; i < len && n < sizeof near - 1 && text[i] != '\n' && text[i] != '\r'; i++)
		near[n++] = text[i];
	while (n > 0 && ((unsigned char)near[n - 1] & 0xc0) == 0x80)
		n--;		/* do not cut a character in half */
	if (n > 0 && ((unsigned char)near[n - 1] & 0xc0) == 0xc0)
		n--;
	near[n] = '\0';
	park_error(errs, "%s:%d:%d: JSON syntax error near \"%s\"", filename, line, col, near);
}

struct park *
park_file_parse(const char *text, size_t len, const char *filename, struct park_errors *errs)
{
	static const char *const keys[] = { "version", "sites", NULL };
	struct pctx x = { errs, filename };
	struct park *pk;
	const char *end = NULL;
	const cJSON *sites, *e;
	cJSON *root;
	long long version = 1;
	int i = 0, bad = 0;

	memset(errs, 0, sizeof *errs);
	if (len > PARK_FILE_MAX_BYTES) {
		park_error(errs, "%s: larger than %d bytes", filename, PARK_FILE_MAX_BYTES);
		return NULL;
	}
	if ((root = cJSON_ParseWithLengthOpts(text, len, &end, 0)) == NULL) {
		size_t off = end != NULL && end >= text && end <= text + len ? (size_t)(end - text) : len;
		syntax_error(errs, filename, text, len, off);
		return NULL;
	}
	/* trailing text after the value is an error too */
	while (end != NULL && end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != NULL && end < text + len) {
		int line, col;
		park_line_col(text, len, (size_t)(end - text), &line, &col);
		park_error(errs, "%s:%d:%d: JSON syntax error: text after the end of the document", filename,
		    line, col);
		cJSON_Delete(root);
		return NULL;
	}
	pk = xcalloc(1, sizeof *pk);
	pk->json = root;
	if (want_object(&x, root, "(top)") < 0 || check_keys(&x, root, "(top)", keys) < 0)
		goto fail;
	if (get_int(&x, root, "(top)", "version", 0, 1, 1000, &version) < 0)
		goto fail;
	if (version != 1) {
		perr(&x, "version", "this prepayctl reads version 1 park files, not %lld", version);
		goto fail;
	}
	if ((sites = get_list(&x, root, "(top)", "sites", &bad)) == NULL) {
		if (!bad)
			perr(&x, "(top)", "\"sites\" is missing");
		goto fail;
	}
	if ((i = cJSON_GetArraySize(sites)) == 0 || i > PARK_MAX_SITES) {
		perr(&x, "sites", "must list between 1 and %d sites", PARK_MAX_SITES);
		goto fail;
	}
	pk->sites = xcalloc((size_t)i, sizeof *pk->sites);
	pk->nsites = i;
	i = 0;
	cJSON_ArrayForEach(e, sites) {
		char sp[PATH_LEN];
		pathf(sp, "sites[%d]", i);
		bad |= parse_site(&x, e, sp, &pk->sites[i]);
		for (int j = 0; j < i && pk->sites[i].code != NULL; j++)
			if (pk->sites[j].code != NULL && strcasecmp(pk->sites[j].code, pk->sites[i].code) == 0) {
				pathf(sp, "sites[%d].code", i);
				perr(&x, sp, "duplicate code \"%s\" (first at sites[%d])", pk->sites[i].code, j);
				bad = -1;
				break;
			}
		i++;
	}
	if (bad || errs->total > 0)
		goto fail;
	return pk;
fail:
	if (errs->total == 0)
		park_error(errs, "%s: invalid park file", filename);
	park_free(pk);
	return NULL;
}
