#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "billing/tariff_json.h"
#include "billing/tz.h"
#include "lib/xmalloc.h"

struct jctx {
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
jfail(struct jctx *j, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(j->err, j->errlen, "%s: %s", path, msg);
	return -1;
}

static const char *
jtype(const cJSON *x)
{
	if (cJSON_IsString(x))
		return "a string";
	if (cJSON_IsNumber(x))
		return "a number";
	if (cJSON_IsObject(x))
		return "an object";
	if (cJSON_IsArray(x))
		return "an array";
	if (cJSON_IsBool(x))
		return "true/false";
	return "null";
}

/* Every key must be known (typos are errors) and appear once. */
static int
jkeys(struct jctx *j, const char *path, const cJSON *obj, const char *const *known)
{
	for (const cJSON *c = obj->child; c != NULL; c = c->next) {
		int ok = 0;
		for (const char *const *k = known; *k != NULL; k++)
			ok |= strcmp(*k, c->string) == 0;
		if (!ok) {
			char list[256] = "";
			for (const char *const *k = known; *k != NULL; k++) {
				size_t n = strlen(list);
				snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *k);
			}
			return jfail(j, path, "unknown key \"%.40s\" (known: %s)", c->string, list);
		}
		for (const cJSON *d = obj->child; d != c; d = d->next)
			if (strcmp(d->string, c->string) == 0)
				return jfail(j, path, "key \"%.40s\" appears twice", c->string);
	}
	return 0;
}

static int
jobject(struct jctx *j, const char *path, const cJSON *x)
{
	if (!cJSON_IsObject(x))
		return jfail(j, path, "must be an object, not %s", jtype(x));
	return 0;
}

static int
jstring(struct jctx *j, const char *path, const cJSON *x, size_t max, const char **out)
{
	if (!cJSON_IsString(x))
		return jfail(j, path, "must be a string, not %s", jtype(x));
	if (strlen(x->valuestring) > max)
		return jfail(j, path, "longer than %zu bytes", max);
	*out = x->valuestring;
	return 0;
}

static int
jint(struct jctx *j, const char *path, const cJSON *x, int min, int max, int *out)
{
	double d;

	if (!cJSON_IsNumber(x))
		return jfail(j, path, "must be a whole number, not %s", jtype(x));
	d = x->valuedouble;
	/* integers only: they are exact in a double far beyond these ranges */
	if (!(d >= min && d <= max) || d != (double)(long long)d)
		return jfail(j, path, "must be a whole number from %d to %d", min, max);
	*out = (int)d;
	return 0;
}

/* Decimals are strings so no binary floating point ever holds them. */
static int
jdecimal(struct jctx *j, const char *path, const cJSON *x, int scale, int64_t max, int64_t *out)
{
	char maxs[40];

	if (cJSON_IsNumber(x))
		return jfail(j, path, "write decimal amounts as strings, e.g. \"0.6523\" "
		    "(JSON numbers are binary floating point)");
	if (!cJSON_IsString(x))
		return jfail(j, path, "must be a decimal string like \"0.6523\", not %s", jtype(x));
	if (x->valuestring[0] == '-')
		return jfail(j, path, "\"%.30s\" is negative; prices, charges and thresholds are >= 0",
		    x->valuestring);
	if (tariff_parse_decimal(x->valuestring, strlen(x->valuestring), scale, 0, max, out) == -1) {
		tariff_format_decimal(max, scale, maxs, sizeof maxs);
		return jfail(j, path, "\"%.30s\" is not a decimal with at most %d places from 0 to %s",
		    x->valuestring, scale, maxs);
	}
	return 0;
}

/* "HH:MM", 00:00..24:00 */
static int
jminute(struct jctx *j, const char *path, const cJSON *x, int *out)
{
	const char *s;
	int h, m;

	if (jstring(j, path, x, 5, &s) == -1)
		return -1;
	if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return jfail(j, path, "\"%s\" is not a time HH:MM", s);
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return jfail(j, path, "\"%s\" is not a time from 00:00 to 24:00", s);
	*out = h * 60 + m;
	return 0;
}

static int
jname(struct jctx *j, const char *path, const cJSON *x, char *out, size_t outlen)
{
	const char *s;

	if (jstring(j, path, x, outlen - 1, &s) == -1)
		return -1;
	if (*s == '\0')
		return jfail(j, path, "must not be empty");
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.'))
			return jfail(j, path, "\"%s\": use letters, digits, '-', '_' and '.' only", s);
	snprintf(out, outlen, "%s", s);
	return 0;
}

static int
parse_schedule(struct jctx *j, const char *path, const cJSON *arr, struct tariff_schedule *s)
{
	static const char *const keys[] = { "from", "to", "band", NULL };
	struct tariff_segment seg[127];
	char p[256], e[200];
	int n = 0;

	if (!cJSON_IsArray(arr))
		return jfail(j, path, "must be an array of {\"from\", \"to\", \"band\"}, not %s", jtype(arr));
	for (const cJSON *x = arr->child; x != NULL; x = x->next, n++) {
		const char *band;
		snprintf(p, sizeof p, "%.200s[%d]", path, n);
		if (n == 127)
			return jfail(j, p, "more than 127 entries");
		if (jobject(j, p, x) == -1 || jkeys(j, p, x, keys) == -1)
			return -1;
		char pf[272];
		snprintf(pf, sizeof pf, "%s.from", p);
		if (jminute(j, pf, cJSON_GetObjectItemCaseSensitive(x, "from"), &seg[n].from_min) == -1)
			return -1;
		snprintf(pf, sizeof pf, "%s.to", p);
		if (jminute(j, pf, cJSON_GetObjectItemCaseSensitive(x, "to"), &seg[n].to_min) == -1)
			return -1;
		snprintf(pf, sizeof pf, "%s.band", p);
		if (jstring(j, pf, cJSON_GetObjectItemCaseSensitive(x, "band"), 16, &band) == -1)
			return -1;
		if (tariff_band_parse(band, &seg[n].band) == -1)
			return jfail(j, pf, "unknown band \"%s\" (sharp, peak, flat, valley or 尖, 峰, 平, 谷)", band);
		if (seg[n].from_min == TARIFF_MINUTES)
			return jfail(j, p, "from 24:00: an entry must start before the day ends");
		if (seg[n].from_min == seg[n].to_min && !(seg[n].from_min == 0))
			return jfail(j, p, "from and to are the same time");
		if (seg[n].from_min == 0 && seg[n].to_min == 0)
			seg[n].to_min = TARIFF_MINUTES;	/* 00:00-00:00 = the whole day */
	}
	if (tariff_schedule_fill(s, seg, n, e, sizeof e) == -1) {
		snprintf(j->err, j->errlen, "%s%s%s", path, e[0] == '[' ? "" : ": ", e);
		return -1;
	}
	return 0;
}

static int
find_schedule(const struct tariff_version *v, const char *name)
{
	for (int i = 0; i < v->nschedules; i++)
		if (strcmp(v->schedules[i].name, name) == 0)
			return i;
	return -1;
}

static int
parse_month_item(struct jctx *j, const char *path, const cJSON *x, int *a, int *b)
{
	if (cJSON_IsNumber(x)) {
		if (jint(j, path, x, 1, 12, a) == -1)
			return -1;
		*b = *a;
		return 0;
	}
	if (cJSON_IsString(x)) {
		const char *s = x->valuestring;
		char *end;
		long la = strtol(s, &end, 10), lb;
		if (end != s && *end == '-') {
			const char *s2 = end + 1;
			lb = strtol(s2, &end, 10);
			if (end != s2 && *end == '\0' && la >= 1 && la <= 12 && lb >= 1 && lb <= 12) {
				*a = (int)la;
				*b = (int)lb;
				return 0;
			}
		}
		return jfail(j, path, "\"%.20s\" is not a month range like \"3-5\" (or \"11-2\" across the new year)", s);
	}
	return jfail(j, path, "must be a month 1..12 or a range \"3-5\", not %s", jtype(x));
}

static int
parse_seasons(struct jctx *j, const char *path, const cJSON *arr, struct tariff_version *v)
{
	static const char *const keys[] = { "name", "months", "weekday", "weekend", "holiday", "note", NULL };
	static const char *const dt[] = { "weekday", "weekend", "holiday" };
	char p[256], pf[300];
	int n = 0;

	if (!cJSON_IsArray(arr))
		return jfail(j, path, "must be an array of seasons, not %s", jtype(arr));
	for (const cJSON *x = arr->child; x != NULL; x = x->next, n++) {
		struct tariff_season *se = &v->seasons[n];
		const cJSON *months;
		int mi = 0;

		snprintf(p, sizeof p, "%.200s[%d]", path, n);
		if (n == TARIFF_MAX_SEASONS)
			return jfail(j, p, "more than %d seasons", TARIFF_MAX_SEASONS);
		if (jobject(j, p, x) == -1 || jkeys(j, p, x, keys) == -1)
			return -1;
		snprintf(pf, sizeof pf, "%s.name", p);
		if (jname(j, pf, cJSON_GetObjectItemCaseSensitive(x, "name"), se->name, sizeof se->name) == -1)
			return -1;
		for (int d = 0; d < CALENDAR_NDAY_TYPES; d++) {
			const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, dt[d]);
			const char *name;
			snprintf(pf, sizeof pf, "%s.%s", p, dt[d]);
			if (s == NULL) {
				if (d == 0)
					return jfail(j, pf, "missing: the schedule for weekdays");
				se->schedule[d] = se->schedule[d - 1];	/* holiday → weekend → weekday */
				continue;
			}
			if (jstring(j, pf, s, TARIFF_NAME_MAX, &name) == -1)
				return -1;
			if ((se->schedule[d] = (int8_t)find_schedule(v, name)) < 0)
				return jfail(j, pf, "no schedule named \"%s\" in this version's schedules", name);
		}
		snprintf(pf, sizeof pf, "%s.months", p);
		months = cJSON_GetObjectItemCaseSensitive(x, "months");
		if (!cJSON_IsArray(months) || months->child == NULL)
			return jfail(j, pf, "must be a non-empty array of months (7) or ranges (\"6-9\")");
		for (const cJSON *m = months->child; m != NULL; m = m->next, mi++) {
			int a = 0, b = 0;
			char pm[320];
			snprintf(pm, sizeof pm, "%s[%d]", pf, mi);
			if (parse_month_item(j, pm, m, &a, &b) == -1)
				return -1;
			for (int k = a; ; k = k % 12 + 1) {
				if (v->season_of_month[k - 1] >= 0)
					return jfail(j, pm, "month %d is already in seasons[%d] (%s); "
					    "each month belongs to one season", k, v->season_of_month[k - 1],
					    v->seasons[v->season_of_month[k - 1]].name);
				v->season_of_month[k - 1] = (int8_t)n;
				if (k == b)
					break;
			}
		}
	}
	v->nseasons = n;
	return 0;
}

static int
parse_tiers(struct jctx *j, const char *path, const cJSON *obj, struct tariff_version *v)
{
	static const char *const keys[] = { "period", "steps", "note", NULL };
	static const char *const skeys[] = { "from", "price", "surcharge", "note", NULL };
	const cJSON *steps, *per;
	char p[256], pf[300];
	const char *ps;
	int n = 0;

	if (jobject(j, path, obj) == -1 || jkeys(j, path, obj, keys) == -1)
		return -1;
	snprintf(p, sizeof p, "%.200s.period", path);
	per = cJSON_GetObjectItemCaseSensitive(obj, "period");
	if (per == NULL)
		return jfail(j, p, "missing: \"month\" or \"year\" (usage accumulates over it)");
	if (jstring(j, p, per, 8, &ps) == -1)
		return -1;
	if (strcmp(ps, "month") == 0)
		v->tier_period = TARIFF_PERIOD_MONTH;
	else if (strcmp(ps, "year") == 0)
		v->tier_period = TARIFF_PERIOD_YEAR;
	else
		return jfail(j, p, "\"%s\" is neither \"month\" nor \"year\"", ps);
	snprintf(p, sizeof p, "%.200s.steps", path);
	steps = cJSON_GetObjectItemCaseSensitive(obj, "steps");
	if (!cJSON_IsArray(steps) || steps->child == NULL)
		return jfail(j, p, "must be a non-empty array of {\"from\", \"price\" or \"surcharge\"}");
	for (const cJSON *x = steps->child; x != NULL; x = x->next, n++) {
		struct tariff_tier *t = &v->tiers[n];
		const cJSON *pr, *su;
		snprintf(pf, sizeof pf, "%s[%d]", p, n);
		if (n == TARIFF_MAX_TIERS)
			return jfail(j, pf, "more than %d tiers", TARIFF_MAX_TIERS);
		if (jobject(j, pf, x) == -1 || jkeys(j, pf, x, skeys) == -1)
			return -1;
		char pk[320];
		snprintf(pk, sizeof pk, "%s.from", pf);
		if (jdecimal(j, pk, cJSON_GetObjectItemCaseSensitive(x, "from"), 3, TARIFF_MAX_ENERGY_MILLI,
		    &t->from_milli) == -1)
			return -1;
		pr = cJSON_GetObjectItemCaseSensitive(x, "price");
		su = cJSON_GetObjectItemCaseSensitive(x, "surcharge");
		if ((pr == NULL) == (su == NULL))
			return jfail(j, pf, "give either \"price\" (replaces the band price) or \"surcharge\" "
			    "(added to it)");
		t->is_surcharge = su != NULL;
		snprintf(pk, sizeof pk, "%s.%s", pf, su ? "surcharge" : "price");
		if (jdecimal(j, pk, su ? su : pr, 6, TARIFF_MAX_PRICE_UYUAN, &t->price_uyuan) == -1)
			return -1;
	}
	v->ntiers = n;
	return 0;
}

static int
parse_charges(struct jctx *j, const char *path, const cJSON *arr, struct tariff_version *v)
{
	static const char *const keys[] = { "kind", "name", "price", "note", NULL };
	char p[256], pf[300];
	int n = 0;

	if (!cJSON_IsArray(arr))
		return jfail(j, path, "must be an array of {\"kind\", \"price\"}, not %s", jtype(arr));
	for (const cJSON *x = arr->child; x != NULL; x = x->next, n++) {
		struct tariff_charge *c = &v->charges[n];
		const cJSON *nm;
		const char *kind;
		int k;
		snprintf(p, sizeof p, "%.200s[%d]", path, n);
		if (n == TARIFF_MAX_CHARGES)
			return jfail(j, p, "more than %d charges", TARIFF_MAX_CHARGES);
		if (jobject(j, p, x) == -1 || jkeys(j, p, x, keys) == -1)
			return -1;
		snprintf(pf, sizeof pf, "%s.kind", p);
		if (jstring(j, pf, cJSON_GetObjectItemCaseSensitive(x, "kind"), 16, &kind) == -1)
			return -1;
		for (k = 0; k < TARIFF_NCHARGE_KINDS; k++)
			if (strcmp(kind, tariff_charge_kind_name((enum tariff_charge_kind)k)) == 0)
				break;
		if (k == TARIFF_NCHARGE_KINDS)
			return jfail(j, pf, "unknown kind \"%s\" (daily, monthly, capacity, demand)", kind);
		c->kind = (enum tariff_charge_kind)k;
		snprintf(pf, sizeof pf, "%s.name", p);
		if ((nm = cJSON_GetObjectItemCaseSensitive(x, "name")) != NULL) {
			if (jname(j, pf, nm, c->name, sizeof c->name) == -1)
				return -1;
		} else {
			snprintf(c->name, sizeof c->name, "%s", k <= TARIFF_CHARGE_MONTHLY ? "standing" : kind);
		}
		snprintf(pf, sizeof pf, "%s.price", p);
		if (jdecimal(j, pf, cJSON_GetObjectItemCaseSensitive(x, "price"), 6, TARIFF_MAX_CHARGE_UYUAN,
		    &c->price_uyuan) == -1)
			return -1;
	}
	v->ncharges = n;
	return 0;
}

static int
parse_version(struct jctx *j, int vi, const cJSON *x, struct tariff_version *v)
{
	static const char *const keys[] = { "effective_from", "prices", "schedules", "seasons", "tiers",
		"charges", "service_fee_bp", "note", NULL };
	char p[64], pf[256];
	const cJSON *it;
	const char *s;
	int64_t secs;
	int has_off;

	snprintf(p, sizeof p, "versions[%d]", vi);
	memset(v->season_of_month, -1, sizeof v->season_of_month);
	if (jobject(j, p, x) == -1 || jkeys(j, p, x, keys) == -1)
		return -1;
	snprintf(pf, sizeof pf, "%s.effective_from", p);
	if ((it = cJSON_GetObjectItemCaseSensitive(x, "effective_from")) == NULL)
		return jfail(j, pf, "missing: the local date (and time) the version starts, \"2024-07-01\"");
	if (jstring(j, pf, it, 32, &s) == -1)
		return -1;
	if (tz_parse_iso(s, strlen(s), &secs, &has_off) == -1 || has_off)
		return jfail(j, pf, "\"%s\" is not a local date \"YYYY-MM-DD\" or \"YYYY-MM-DDTHH:MM\" "
		    "(no zone: the site's time zone applies)", s);
	v->effective_local = secs;

	if ((it = cJSON_GetObjectItemCaseSensitive(x, "prices")) != NULL) {
		static const char *const bkeys[] = { "sharp", "peak", "flat", "valley", NULL };
		snprintf(pf, sizeof pf, "%s.prices", p);
		if (jobject(j, pf, it) == -1 || jkeys(j, pf, it, bkeys) == -1)
			return -1;
		for (int b = 0; b < TARIFF_NBANDS; b++) {
			const cJSON *pr = cJSON_GetObjectItemCaseSensitive(it, tariff_band_name((enum tariff_band)b));
			if (pr == NULL)
				continue;
			snprintf(pf, sizeof pf, "%s.prices.%s", p, tariff_band_name((enum tariff_band)b));
			if (jdecimal(j, pf, pr, 6, TARIFF_MAX_PRICE_UYUAN, &v->price_uyuan[b]) == -1)
				return -1;
			v->has_price[b] = 1;
		}
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(x, "schedules")) != NULL) {
		int n = 0;
		snprintf(pf, sizeof pf, "%s.schedules", p);
		if (jobject(j, pf, it) == -1)
			return -1;
		for (const cJSON *c = it->child; c != NULL; c = c->next)
			n++;
		if (n < 1 || n > TARIFF_MAX_SCHEDULES)
			return jfail(j, pf, "give 1 to %d named day schedules", TARIFF_MAX_SCHEDULES);
		v->schedules = xcalloc((size_t)n, sizeof *v->schedules);
		for (const cJSON *c = it->child; c != NULL; c = c->next) {
			struct tariff_schedule *sc = &v->schedules[v->nschedules];
			snprintf(pf, sizeof pf, "%s.schedules.%.40s", p, c->string);
			if (strlen(c->string) >= sizeof sc->name || c->string[0] == '\0')
				return jfail(j, pf, "a schedule name needs 1 to %zu bytes", sizeof sc->name - 1);
			snprintf(sc->name, sizeof sc->name, "%s", c->string);
			if (find_schedule(v, sc->name) >= 0)
				return jfail(j, pf, "schedule defined twice");
			if (parse_schedule(j, pf, c, sc) == -1)
				return -1;
			v->nschedules++;
		}
	}
	it = cJSON_GetObjectItemCaseSensitive(x, "seasons");
	snprintf(pf, sizeof pf, "%s.seasons", p);
	if (it != NULL && v->nschedules == 0)
		return jfail(j, pf, "seasons need schedules: add \"schedules\" or drop \"seasons\"");
	if (it == NULL && v->nschedules > 0)
		return jfail(j, pf, "missing: say which schedule applies in which months");
	if (it != NULL && parse_seasons(j, pf, it, v) == -1)
		return -1;
	if ((it = cJSON_GetObjectItemCaseSensitive(x, "tiers")) != NULL) {
		snprintf(pf, sizeof pf, "%s.tiers", p);
		if (parse_tiers(j, pf, it, v) == -1)
			return -1;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(x, "charges")) != NULL) {
		snprintf(pf, sizeof pf, "%s.charges", p);
		if (parse_charges(j, pf, it, v) == -1)
			return -1;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(x, "service_fee_bp")) != NULL) {
		int bp;
		snprintf(pf, sizeof pf, "%s.service_fee_bp", p);
		if (jint(j, pf, it, 0, 10000, &bp) == -1)
			return -1;
		v->service_fee_bp = bp;
	}
	return 0;
}

/* line and column (1-based, bytes) of an offset, for syntax errors */
static void
line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

struct tariff *
tariff_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	static const char *const keys[] = { "id", "name", "energy", "unit", "versions", "note", NULL };
	struct jctx j = { err, errlen };
	const char *end = NULL, *s;
	struct tariff *t = NULL;
	const cJSON *it;
	cJSON *root;
	int n = 0;

	if (len > TARIFF_JSON_MAX) {
		snprintf(err, errlen, "file larger than %d bytes", TARIFF_JSON_MAX);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL) {
		int line, col;
		size_t off = end != NULL && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		line_col(text, off, &line, &col);
		snprintf(err, errlen, "line %d, column %d: JSON syntax error", line, col);
		return NULL;
	}
	t = tariff_new();
	if (jobject(&j, "(top level)", root) == -1 || jkeys(&j, "(top level)", root, keys) == -1)
		goto fail;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "id")) == NULL) {
		jfail(&j, "id", "missing: a short name like \"jiangsu-industrial-tou\"");
		goto fail;
	}
	if (jname(&j, "id", it, t->id, sizeof t->id) == -1)
		goto fail;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "name")) != NULL) {
		if (jstring(&j, "name", it, sizeof t->name - 1, &s) == -1)
			goto fail;
		snprintf(t->name, sizeof t->name, "%s", s);
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "energy")) == NULL) {
		jfail(&j, "energy", "missing: \"electricity\", \"water\" or \"gas\"");
		goto fail;
	}
	if (jstring(&j, "energy", it, 16, &s) == -1)
		goto fail;
	if (strcmp(s, "electricity") == 0)
		t->energy = TARIFF_ELECTRICITY;
	else if (strcmp(s, "water") == 0)
		t->energy = TARIFF_WATER;
	else if (strcmp(s, "gas") == 0)
		t->energy = TARIFF_GAS;
	else {
		jfail(&j, "energy", "\"%s\" is not electricity, water or gas", s);
		goto fail;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "unit")) != NULL) {
		if (jstring(&j, "unit", it, 8, &s) == -1)
			goto fail;
		if (strcmp(s, tariff_unit(t->energy)) != 0 && !(t->energy != TARIFF_ELECTRICITY && strcmp(s, "m³") == 0)) {
			jfail(&j, "unit", "\"%s\" does not fit %s; the unit is %s", s,
			    tariff_energy_name(t->energy), tariff_unit(t->energy));
			goto fail;
		}
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "versions");
	if (!cJSON_IsArray(it) || it->child == NULL) {
		jfail(&j, "versions", "must be a non-empty array of versions, oldest first");
		goto fail;
	}
	for (const cJSON *x = it->child; x != NULL; x = x->next, n++) {
		if (n == TARIFF_MAX_VERSIONS) {
			jfail(&j, "versions", "more than %d versions", TARIFF_MAX_VERSIONS);
			goto fail;
		}
		t->nversions = n + 1;
		if (parse_version(&j, n, x, &t->versions[n]) == -1)
			goto fail;
	}
	if (tariff_validate(t, err, errlen) == -1)
		goto fail;
	cJSON_Delete(root);
	return t;
fail:
	cJSON_Delete(root);
	tariff_free(t);
	return NULL;
}
