/*
 * Usage and insights from the tenant's own hourly rollup (usage_hours,
 * docs/tenant.md "Usage"):
 *   GET /api/v1/accounts/{account}/usage?from&to&step=hour|day|month&energy
 *   GET /api/v1/accounts/{account}/insights?days&shift_pct
 *
 * Buckets are local to the site's zone, built from UTC hours. The band
 * split is the one the rating made when the reading was posted; cost is
 * what was rated (consumption.rated_nyuan), so a month's buckets add up to
 * the charges of its statement before standing charges. No consumption
 * scan and no rating per request.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgi/api.h"
#include "cgi/auth.h"
#include "cgi/buf.h"
#include "billing/rate.h"
#include "billing/tariff_store.h"
#include "billing/usage_rollup.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define USAGE_MAX_BUCKETS 1500
#define USAGE_MAX_METERS 32
#define NBANDS 5		/* sharp, peak, flat, valley, unsplit */
#define USAGE_JSON_MAX (8 << 20)	/* 1500 buckets × 32 meters stays well below */

static const char *const band_names[NBANDS] = { "sharp", "peak", "flat", "valley", "unsplit" };

struct series {
	int64_t first_key;
	int n;
	int64_t *energy_milli, *cost_nyuan;
	int64_t (*band_milli)[NBANDS];
	int64_t band_nyuan[NBANDS];	/* list-price cost per band over the whole range */
	int64_t total_milli, total_nyuan;
	int nmeters;
	int64_t meter_id[USAGE_MAX_METERS];
	char meter_code[USAGE_MAX_METERS][33];
	int64_t *meter_milli[USAGE_MAX_METERS];
	/* for insights: per local hour of day */
	int64_t hour_milli[24];
};

static void
series_init(struct series *s, int64_t first_key, int n)
{
	memset(s, 0, sizeof *s);
	s->first_key = first_key;
	s->n = n;
	s->energy_milli = xcalloc((size_t)n, sizeof *s->energy_milli);
	s->cost_nyuan = xcalloc((size_t)n, sizeof *s->cost_nyuan);
	s->band_milli = xcalloc((size_t)n, sizeof *s->band_milli);
}

static void
series_free(struct series *s)
{
	free(s->energy_milli);
	free(s->cost_nyuan);
	free(s->band_milli);
	for (int i = 0; i < s->nmeters; i++)
		free(s->meter_milli[i]);
}

/* Reads the account's hours of energy in [from, to) — every hour the range
 * touches (the rollup's resolution) — into s, or, for hours before split,
 * into before (the previous period: one range scan for both). 0 or -1
 * (database). */
static int
series_fill(struct db *db, int64_t account_id, const char *energy, int64_t from, int64_t to, int step,
    const struct tz *z, struct series *s, int64_t split, struct series *before)
{
	struct db_rows *rows;
	int r;

	/* the primary key's range: (account, energy, hour) */
	rows = db_query(db, "SELECT u.meter_id, m.code, TIMESTAMPDIFF(SECOND, '1970-01-01', u.hour_at), u.sharp_milli,"
	    " u.peak_milli, u.flat_milli, u.valley_milli, u.unsplit_milli, u.rated_nyuan, u.sharp_nyuan, u.peak_nyuan,"
	    " u.flat_nyuan, u.valley_nyuan FROM usage_hours u JOIN meters m ON m.id = u.meter_id"
	    " WHERE u.account_id = ? AND u.energy = ? AND u.hour_at >= FROM_UNIXTIME(?) AND u.hour_at < FROM_UNIXTIME(?)"
	    " ORDER BY u.meter_id, u.hour_at", "isii", account_id, energy, usage_hour_of(from), to);
	if (rows == NULL)
		return -1;
	while ((r = db_rows_next(rows)) == 1) {
		int64_t meter = db_rows_int(rows, 0), hour = db_rows_int(rows, 2), milli = 0, nyuan = db_rows_int(rows, 8);
		int64_t local = hour + tz_offset_at(z, hour, NULL, NULL), key;
		struct series *x = s;
		int mi;

		if (hour < split) {
			if ((x = before) == NULL)
				continue;
		}
		key = usage_bucket_key(local, step) - x->first_key;
		if (key < 0 || key >= x->n)
			continue;
		/* rows come by meter: a new meter is the last one seen or a new entry */
		for (mi = x->nmeters - 1; mi >= 0 && x->meter_id[mi] != meter; mi--)
			;
		if (mi < 0 && x->nmeters < USAGE_MAX_METERS) {
			mi = x->nmeters++;
			x->meter_id[mi] = meter;
			snprintf(x->meter_code[mi], sizeof x->meter_code[mi], "%s", db_rows_str(rows, 1));
			x->meter_milli[mi] = xcalloc((size_t)x->n, sizeof(int64_t));
		}
		for (int b = 0; b < NBANDS; b++) {
			x->band_milli[key][b] += db_rows_int(rows, 3 + b);
			milli += db_rows_int(rows, 3 + b);
		}
		for (int b = 0; b < 4; b++)
			x->band_nyuan[b] += db_rows_int(rows, 9 + b);
		x->energy_milli[key] += milli;
		x->cost_nyuan[key] += nyuan;
		x->total_milli += milli;
		x->total_nyuan += nyuan;
		if (mi >= 0)
			x->meter_milli[mi][key] += milli;
		x->hour_milli[tz_floor_div(local, 3600) - tz_floor_div(local, 86400) * 24] += milli;
	}
	db_rows_free(rows);
	return r < 0 ? -1 : 0;
}

static int64_t
fen_of(int64_t nyuan)
{
	return nyuan >= 0 ? (nyuan + 5000000) / 10000000 : -((-nyuan + 5000000) / 10000000);
}

/* The site's zone and, when the account has a tariff for energy, a rating context. */
struct usage_env {
	struct tariff_store *store;
	const struct tz *z;
	struct rate_ctx *ctx;
	char tariff[65];
};

/* one store per worker thread: parsed tariffs and rating contexts are cached
 * across requests (a new import has a new doc_id; zones reload after
 * TARIFF_STORE_SITE_TTL); freed when the thread ends (a thread-local pointer
 * alone leaked it at every shutdown) */
static pthread_key_t usage_store_key;
static pthread_once_t usage_store_once = PTHREAD_ONCE_INIT;

static void
usage_store_free(void *store)
{
	tariff_store_free(store);
}

static void
usage_store_key_make(void)
{
	if (pthread_key_create(&usage_store_key, usage_store_free) != 0)
		fatalx("usage: pthread_key_create failed");
}

static struct tariff_store *
usage_thread_store(void)
{
	struct tariff_store *store;

	pthread_once(&usage_store_once, usage_store_key_make);
	if ((store = pthread_getspecific(usage_store_key)) == NULL) {
		store = tariff_store_new();
		if (pthread_setspecific(usage_store_key, store) != 0)
			fatalx("usage: pthread_setspecific failed");
	}
	return store;
}

static int
usage_env_load(struct request *req, struct db *db, int64_t account_id, int64_t site_id, const char *energy,
    int with_ctx, struct usage_env *e)
{
	const struct calendar *cal;
	struct tariff_terms terms;
	char err[256];
	int r;

	memset(e, 0, sizeof *e);
	e->store = usage_thread_store();
	if (tariff_store_site(e->store, db, site_id, &e->z, &cal, err, sizeof err) != 0) {
		log_error("usage: site %lld: %s", (long long)site_id, err);
		response_error(req, 500, "internal_error", "the site's time zone cannot be loaded; it has been logged");
		return -1;
	}
	if ((r = tariff_store_terms(db, account_id, energy, &terms)) < 0) {
		request_db_failed(req, db);
		return -1;
	}
	if (r == 1 && with_ctx && (e->ctx = tariff_store_ctx(e->store, db, terms.doc_id, site_id, &terms.ov, err, sizeof err)) == NULL)
		log_warn("usage: account %lld: no rating context (%s); bands unsplit", (long long)account_id, err);
	if (r == 1)
		snprintf(e->tariff, sizeof e->tariff, "%s", terms.code);
	return 0;
}

static void
usage_env_free(struct usage_env *e)
{
	(void)e;	/* the store is the thread's */
}

/* a JSON number, integer: no printf per value (a month by hour is ~12,000 of them) */
static void
put_int(struct buf *b, int64_t v)
{
	char t[24], *p = t + sizeof t;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(t + sizeof t - p));
}

/* "key": — keys are our own literals, no escaping needed */
static void
put_key(struct buf *b, const char *key)
{
	buf_puts(b, "\"");
	buf_puts(b, key);
	buf_puts(b, "\":");
}

/* A series as JSON text, written directly: the same document cJSON would
 * print for it, at a fraction of the cost. NULL when it does not fit. */
static char *
series_json(const struct series *s, int step, int with_meters)
{
	struct buf b;
	char t[40], *out;

	buf_init(&b, USAGE_JSON_MAX);
	buf_puts(&b, "{\"buckets\":[");
	for (int i = 0; i < s->n; i++) {
		tz_format_local(usage_bucket_start(s->first_key + i, step), t, sizeof t);
		buf_puts(&b, i ? ",{\"bands_milli\":{" : "{\"bands_milli\":{");
		for (int k = 0; k < NBANDS; k++) {
			if (k)
				buf_puts(&b, ",");
			put_key(&b, band_names[k]);
			put_int(&b, s->band_milli[i][k]);
		}
		buf_puts(&b, "},\"start\":\"");
		buf_puts(&b, t);	/* digits, '-', ':' and 'T' */
		buf_puts(&b, "\",\"energy_milli\":");
		put_int(&b, s->energy_milli[i]);
		buf_puts(&b, ",\"cost_fen\":");
		put_int(&b, fen_of(s->cost_nyuan[i]));
		buf_puts(&b, "}");
	}
	buf_puts(&b, "],\"energy_milli\":");
	put_int(&b, s->total_milli);
	buf_puts(&b, ",\"cost_fen\":");
	put_int(&b, fen_of(s->total_nyuan));
	buf_puts(&b, ",\"bands\":{");
	for (int k = 0; k < NBANDS; k++) {
		int64_t m = 0;
		for (int i = 0; i < s->n; i++)
			m += s->band_milli[i][k];
		if (k)
			buf_puts(&b, ",");
		put_key(&b, band_names[k]);
		buf_puts(&b, "{\"energy_milli\":");
		put_int(&b, m);
		buf_puts(&b, ",\"list_cost_fen\":");
		put_int(&b, fen_of(s->band_nyuan[k]));
		buf_puts(&b, "}");
	}
	buf_puts(&b, "}");
	if (with_meters) {
		buf_puts(&b, ",\"meters\":[");
		for (int i = 0; i < s->nmeters; i++) {
			/* the code is the operator's text: cJSON escapes it */
			cJSON *code = cJSON_CreateString(s->meter_code[i]);
			char *q = cJSON_PrintUnformatted(code);
			buf_puts(&b, i ? ",{\"energy_milli\":[" : "{\"energy_milli\":[");
			for (int k = 0; k < s->n; k++) {
				if (k)
					buf_puts(&b, ",");
				put_int(&b, s->meter_milli[i][k]);
			}
			buf_puts(&b, "],\"id\":");
			put_int(&b, s->meter_id[i]);
			buf_puts(&b, ",\"code\":");
			buf_puts(&b, q != NULL ? q : "\"\"");
			buf_puts(&b, "}");
			free(q);
			cJSON_Delete(code);
		}
		buf_puts(&b, "]");
	}
	buf_puts(&b, "}");
	out = b.overflow ? NULL : xstrdup(b.data);
	buf_free(&b);
	return out;
}

static const char *
energy_param(struct request *req)
{
	const char *e = request_str(req, "energy", "electricity");

	return strcmp(e, "electricity") == 0 || strcmp(e, "water") == 0 || strcmp(e, "gas") == 0 ? e : NULL;
}

void
tenant_usage(struct request *req)
{
	const struct param_value *pf = params_get(&req->params, "from"), *pt = params_get(&req->params, "to");
	int step = usage_step_parse(request_str(req, "step", "day"));
	const char *energy = energy_param(req);
	struct auth_user u;
	struct usage_env env;
	struct series cur, prev;
	struct db *db;
	int64_t account_id, site_id, from, to, lfrom, lto, k0, k1, span;
	char a[24], b[24], *jcur, *jprev;
	int hoff;
	cJSON *root;

	if (step < 0 || energy == NULL) {
		response_error(req, 400, "invalid_parameter", step < 0 ? "step must be hour, day or month" :
		    "energy must be electricity, water or gas");
		return;
	}
	if (pf == NULL || pt == NULL) {
		response_error(req, 400, "missing_parameter", "from and to are required (UTC: 2026-11-01T16:00:00Z)");
		return;
	}
	tenant_instant_sql(pf->num, a, sizeof a);
	tenant_instant_sql(pt->num, b, sizeof b);
	/* the text is UTC: read without a zone it is those seconds */
	if (tz_parse_iso(a, strlen(a), &from, &hoff) != 0 || tz_parse_iso(b, strlen(b), &to, &hoff) != 0 || to <= from) {
		response_error(req, 400, "invalid_parameter", "to must be after from");
		return;
	}
	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	if (usage_env_load(req, db, account_id, site_id, energy, 0, &env) != 0) {
		usage_env_free(&env);
		return;
	}
	lfrom = from + tz_offset_at(env.z, from, NULL, NULL);
	lto = to - 1 + tz_offset_at(env.z, to - 1, NULL, NULL);
	k0 = usage_bucket_key(lfrom, step);
	k1 = usage_bucket_key(lto, step);
	if (k1 - k0 + 1 > USAGE_MAX_BUCKETS) {
		usage_env_free(&env);
		response_error(req, 400, "range_too_long", "that is %lld buckets; at most %d: use a longer step or a shorter range",
		    (long long)(k1 - k0 + 1), USAGE_MAX_BUCKETS);
		return;
	}
	span = to - from;
	series_init(&cur, k0, (int)(k1 - k0 + 1));
	/* the period before, of the same length, bucketed the same way; sized
	 * by its own range (31 days before March 1 by month is January and
	 * February: one bucket more than March alone) */
	series_init(&prev, usage_bucket_key(lfrom - span, step),
	    (int)(usage_bucket_key(lto - span, step) - usage_bucket_key(lfrom - span, step) + 1));
	if (series_fill(db, account_id, energy, from - span, to, step, env.z, &cur, usage_hour_of(from), &prev) != 0) {
		series_free(&cur);
		series_free(&prev);
		usage_env_free(&env);
		request_db_failed(req, db);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "account", (double)account_id);
	cJSON_AddStringToObject(root, "energy", energy);
	cJSON_AddStringToObject(root, "step", request_str(req, "step", "day"));
	cJSON_AddStringToObject(root, "timezone", tz_name(env.z));
	if (env.tariff[0])
		cJSON_AddStringToObject(root, "tariff", env.tariff);
	else
		cJSON_AddNullToObject(root, "tariff");
	jcur = series_json(&cur, step, 1);
	jprev = series_json(&prev, step, 0);
	series_free(&cur);
	series_free(&prev);
	usage_env_free(&env);
	if (jcur == NULL || jprev == NULL)
		response_error(req, 500, "internal_error", "the usage answer is too large; it has been logged");
	else {
		cJSON_AddRawToObject(root, "current", jcur);
		cJSON_AddRawToObject(root, "previous", jprev);
		response_json(req, 200, root);
	}
	if (jcur == NULL || jprev == NULL)
		log_error("usage: account %lld: the answer is over %d bytes", (long long)account_id, USAGE_JSON_MAX);
	free(jcur);
	free(jprev);
	cJSON_Delete(root);
}

/* The price per band of the version in effect now (0 when a band is unpriced). */
static int
current_prices(struct rate_ctx *ctx, int64_t now, int64_t price[4])
{
	const struct tariff *t = rate_tariff(ctx);
	int v = -1;

	for (int i = 0; i < t->nversions; i++)
		if (rate_version_start(ctx, i) <= now)
			v = i;
	if (v < 0)
		return 0;
	for (int b = 0; b < 4; b++)
		price[b] = t->versions[v].has_price[b] ? rate_price(ctx, v, b, 0) : 0;
	return 1;
}

void
tenant_insights(struct request *req)
{
	int64_t days = request_int(req, "days", 30), shift = request_int(req, "shift_pct", 20);
	struct auth_user u;
	struct usage_env env;
	struct series s;
	struct insight_in in;
	struct insight_out out;
	struct db *db;
	int64_t account_id, site_id, now = (int64_t)time(NULL), lnow, kend, from, day_milli[INSIGHT_MAX_DAYS];
	int weekend[INSIGHT_MAX_DAYS];
	cJSON *root, *arr;
	char t[40];

	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	if (usage_env_load(req, db, account_id, site_id, "electricity", 1, &env) != 0) {
		usage_env_free(&env);
		return;
	}
	/* whole local days up to today's start */
	lnow = now + tz_offset_at(env.z, now, NULL, NULL);
	kend = usage_bucket_key(lnow, USAGE_DAY);
	if (tz_local_to_utc(env.z, usage_bucket_start(kend - days, USAGE_DAY), &from) != 0)
		from = now - days * 86400;
	series_init(&s, kend - days, (int)days);
	if (series_fill(db, account_id, "electricity", from, now - (lnow - usage_bucket_start(kend, USAGE_DAY)), USAGE_DAY,
	    env.z, &s, INT64_MIN, NULL) != 0) {
		series_free(&s);
		usage_env_free(&env);
		request_db_failed(req, db);
		return;
	}
	memset(&in, 0, sizeof in);
	in.ndays = (int)days;
	for (int i = 0; i < days; i++) {
		int wd = tz_weekday(s.first_key + i);
		day_milli[i] = s.energy_milli[i];
		weekend[i] = wd == 0 || wd == 6;
	}
	in.day_milli = day_milli;
	in.day_weekend = weekend;
	for (int h = 0; h < 5; h++)
		in.night_milli += s.hour_milli[h];
	in.night_hours = days * 5;
	for (int i = 0; i < s.n; i++)
		for (int b = 0; b < 4; b++)
			in.band_milli[b] += s.band_milli[i][b];
	in.has_price = env.ctx != NULL && current_prices(env.ctx, now, in.price_uyuan);
	in.shift_pct = (int)shift;
	insights_compute(&in, &out);

	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "account", (double)account_id);
	cJSON_AddNumberToObject(root, "days", (double)days);
	cJSON_AddNumberToObject(root, "energy_milli", (double)out.total_milli);
	cJSON_AddNumberToObject(root, "unsplit_milli", (double)(s.total_milli - out.total_milli));
	cJSON_AddNumberToObject(root, "peak_share_bp", (double)out.peak_share_bp);
	cJSON_AddNumberToObject(root, "shift_pct", (double)shift);
	cJSON_AddNumberToObject(root, "shift_milli", (double)out.shift_milli);
	if (in.has_price) {
		cJSON_AddNumberToObject(root, "shift_saving_fen", (double)out.shift_saving_fen);
		cJSON_AddNumberToObject(root, "peak_price_uyuan", (double)out.peak_price_uyuan);
		cJSON_AddNumberToObject(root, "valley_price_uyuan", (double)in.price_uyuan[3]);
	} else
		cJSON_AddNullToObject(root, "shift_saving_fen");
	cJSON_AddNumberToObject(root, "night_base_w", (double)out.night_base_w);
	cJSON_AddNumberToObject(root, "weekday_avg_w", (double)out.weekday_avg_w);
	cJSON_AddNumberToObject(root, "weekend_avg_w", (double)out.weekend_avg_w);
	cJSON_AddNumberToObject(root, "baseline_day_milli", (double)out.baseline_milli);
	arr = cJSON_AddArrayToObject(root, "standout_days");
	for (int i = 0; i < out.nstandout; i++) {
		cJSON *d = cJSON_CreateObject();
		tz_format_local(usage_bucket_start(s.first_key + out.standout[i], USAGE_DAY), t, sizeof t);
		t[10] = '\0';
		cJSON_AddStringToObject(d, "date", t);
		cJSON_AddNumberToObject(d, "energy_milli", (double)day_milli[out.standout[i]]);
		cJSON_AddItemToArray(arr, d);
	}
	series_free(&s);
	usage_env_free(&env);
	response_json(req, 200, root);
	cJSON_Delete(root);
}
