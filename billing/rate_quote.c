#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/rate_quote.h"
#include "billing/tariff_json.h"
#include "lib/xmalloc.h"

static int
field_time(const char *s, size_t len, const struct tz *z, int64_t *utc)
{
	int64_t secs;
	int has_off;

	while (len > 0 && s[0] == ' ') {
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (tz_parse_iso(s, len, &secs, &has_off) == -1)
		return -1;
	if (has_off)
		*utc = secs;
	else
		tz_local_to_utc(z, secs, utc);
	return 0;
}

int
rate_quote_usage_csv(const char *text, size_t len, const struct tz *z, struct rate_usage **out, int *n,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	struct rate_usage *u = NULL;
	int cap = 0, cnt = 0, line = 0;
	int64_t prev_end = INT64_MIN;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *f[5];
		size_t fl[5];
		int nf = 0;
		struct rate_usage x = { 0 };

		line++;
		while (le > p && (le[-1] == '\r' || le[-1] == ' '))
			le--;
		if (le == p || *p == '#' || (line == 1 && le - p >= 5 && memcmp(p, "start", 5) == 0))
			goto next;
		for (const char *q = p; nf < 5; ) {
			const char *c = memchr(q, ',', (size_t)(le - q));
			f[nf] = q;
			fl[nf] = (size_t)((c ? c : le) - q);
			nf++;
			if (c == NULL)
				break;
			q = c + 1;
		}
		if (nf != 3 && nf != 4) {
			snprintf(err, errlen, "usage line %d: expected start,end,energy or start,end,band,energy", line);
			goto fail;
		}
		if (field_time(f[0], fl[0], z, &x.start) == -1 || field_time(f[1], fl[1], z, &x.end) == -1) {
			snprintf(err, errlen, "usage line %d: times must be local ISO 8601, e.g. 2024-03-01T08:00 "
			    "(or with an offset, 2024-03-01T08:00+08:00)", line);
			goto fail;
		}
		if (x.end <= x.start) {
			snprintf(err, errlen, "usage line %d: end is not after start", line);
			goto fail;
		}
		x.band = RATE_BAND_SCHEDULE;
		if (nf == 4) {
			char b[16];
			enum tariff_band band;
			size_t bl = fl[2];
			const char *bs = f[2];
			while (bl > 0 && *bs == ' ') {
				bs++;
				bl--;
			}
			while (bl > 0 && bs[bl - 1] == ' ')
				bl--;
			snprintf(b, sizeof b, "%.*s", (int)(bl < sizeof b ? bl : sizeof b - 1), bs);
			if (bl >= sizeof b || tariff_band_parse(b, &band) == -1) {
				snprintf(err, errlen, "usage line %d: unknown band \"%.*s\" (sharp, peak, flat, valley)",
				    line, (int)(bl > 20 ? 20 : bl), bs);
				goto fail;
			}
			x.band = (int)band;
		}
		/* per-band registers: one line per band for the same interval */
		if (nf == 4 && cnt > 0 && u[cnt - 1].band != RATE_BAND_SCHEDULE &&
		    x.start == u[cnt - 1].start && x.end == u[cnt - 1].end)
			;
		else if (x.start < prev_end) {
			snprintf(err, errlen, "usage line %d: starts before the previous line ends; lines must be in "
			    "time order without overlap (in the hour repeated when clocks go back, write the "
			    "offset: ...T02:15+01:00)", line);
			goto fail;
		}
		const char *es = f[nf - 1];
		size_t el = fl[nf - 1];
		while (el > 0 && *es == ' ') {
			es++;
			el--;
		}
		if (el > 0 && *es == '-') {
			snprintf(err, errlen, "usage line %d: negative energy; usage is never negative "
			    "(a meter that ran back is a reading problem, not usage)", line);
			goto fail;
		}
		if (tariff_parse_decimal(es, el, 3, 0, RATE_MAX_USAGE_MILLI, &x.energy_milli) == -1) {
			snprintf(err, errlen, "usage line %d: energy \"%.*s\" is not a decimal with at most 3 places "
			    "up to 10000000", line, (int)(el > 24 ? 24 : el), es);
			goto fail;
		}
		if (cnt == RATE_QUOTE_MAX_LINES) {
			snprintf(err, errlen, "usage: more than %d lines", RATE_QUOTE_MAX_LINES);
			goto fail;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			u = xrealloc(u, (size_t)cap * sizeof *u);
		}
		u[cnt++] = x;
		prev_end = x.end;
next:
		p = nl ? nl + 1 : end;
	}
	*out = u;
	*n = cnt;
	return 0;
fail:
	free(u);
	return -1;
}

static int
day_start(const char *s, const struct tz *z, int64_t *utc)
{
	int64_t secs;
	int has_off;

	if (tz_parse_iso(s, strlen(s), &secs, &has_off) == -1 || has_off || secs % 86400 != 0)
		return -1;
	tz_local_to_utc(z, secs, utc);
	return 0;
}

int
rate_quote_run(struct rate_quote *q, const char *tariff_json, size_t tariff_len, const char *usage_csv,
    size_t usage_len, const struct tz *z, const struct rate_quote_opts *o, char *err, size_t errlen)
{
	char e[400];

	memset(q, 0, sizeof *q);
	if ((q->tariff = tariff_json_parse(tariff_json, tariff_len, e, sizeof e)) == NULL) {
		snprintf(err, errlen, "tariff: %s", e);
		return -1;
	}
	if (rate_quote_usage_csv(usage_csv, usage_len, z, &q->usage, &q->nusage, err, errlen) == -1)
		return -1;
	if ((q->ctx = rate_ctx_new(q->tariff, o->cal, z, &o->ov, e, sizeof e)) == NULL) {
		snprintf(err, errlen, "override: %s", e);
		return -1;
	}
	q->res = rate_result_new();
	for (int i = 0; i < q->nusage; i++) {
		if (rate_add(q->ctx, &q->state, &q->usage[i], q->res, e, sizeof e) == -1) {
			/* the CSV skips comments, so say which usage entry */
			char when[24];
			tz_format_local(q->usage[i].start + tz_offset_at(z, q->usage[i].start, NULL, NULL), when,
			    sizeof when);
			snprintf(err, errlen, "usage entry %d (%s): %s", i + 1, when, e);
			return -1;
		}
		q->energy_milli += q->usage[i].energy_milli;
	}
	rate_finish(q->ctx, &q->state, q->res);
	/* fixed charges: the given days, else every local day the usage touches */
	if (o->from != NULL) {
		if (day_start(o->from, z, &q->from) == -1) {
			snprintf(err, errlen, "from: \"%s\" is not a date YYYY-MM-DD", o->from);
			return -1;
		}
	} else if (q->nusage > 0) {
		int64_t s = q->usage[0].start;
		int64_t d = tz_floor_div(s + tz_offset_at(z, s, NULL, NULL), 86400);
		tz_local_to_utc(z, d * 86400, &q->from);
	}
	if (o->to != NULL) {
		if (day_start(o->to, z, &q->to) == -1) {
			snprintf(err, errlen, "to: \"%s\" is not a date YYYY-MM-DD", o->to);
			return -1;
		}
	} else if (q->nusage > 0) {
		/* the day holding the last instant of usage is charged in full */
		int64_t s = q->usage[q->nusage - 1].end - 1;
		int64_t d = tz_floor_div(s + tz_offset_at(z, s, NULL, NULL), 86400) + 1;
		tz_local_to_utc(z, d * 86400, &q->to);
	}
	if (o->from != NULL && o->to != NULL && q->to <= q->from) {
		snprintf(err, errlen, "to: must be after from");
		return -1;
	}
	if (rate_fixed(q->ctx, q->res, q->from, q->to, o->capacity_milli_kva, e, sizeof e) == -1) {
		snprintf(err, errlen, "fixed charges: %s", e);
		return -1;
	}
	rate_totals(q->res);
	return 0;
}

void
rate_quote_free(struct rate_quote *q)
{
	rate_result_free(q->res);
	rate_ctx_free(q->ctx);
	tariff_free(q->tariff);
	free(q->usage);
	memset(q, 0, sizeof *q);
}

void
rate_format_bp(int32_t bp, char *buf, size_t len)
{
	char d[24];

	tariff_format_decimal(bp, 2, d, sizeof d);
	snprintf(buf, len, "%.20s%%", d);
}

static void
emitf(void (*emit)(void *, const char *), void *arg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
emitf(void (*emit)(void *, const char *), void *arg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	emit(arg, line);
}

#define D(v, s, b) (tariff_format_decimal((v), (s), (b), sizeof(b)), (b))

void
rate_quote_lines(const struct rate_quote *q, void (*emit)(void *, const char *), void *arg)
{
	const struct tariff *t = q->tariff;
	const struct rate_result *r = q->res;
	const char *unit = tariff_unit(t->energy);
	char ver[24], a[40], b[40], c[40];

	for (int v = 0; v < t->nversions; v++) {
		tz_format_local(t->versions[v].effective_local, ver, sizeof ver);
		for (int band = 0; band < TARIFF_NBANDS; band++)
			for (int i = 0; i < TARIFF_MAX_TIERS; i++) {
				const struct rate_cell *cell = &r->cell[v][band][i];
				if (cell->energy_milli == 0 && cell->amount_nyuan == 0)
					continue;
				emitf(emit, arg, "energy %s %s t%d %s %s x %s = %s", ver,
				    tariff_band_name((enum tariff_band)band), i + 1, D(cell->energy_milli, 3, a), unit,
				    D(rate_price(q->ctx, v, band, i), 6, b), D(cell->amount_nyuan, 9, c));
			}
	}
	for (int i = 0; i < r->nfixed; i++) {
		const struct rate_fixed_line *l = &r->fixed[i];
		const struct tariff_charge *ch = &t->versions[l->version].charges[l->charge];
		char per[16];
		snprintf(per, sizeof per, "%04d-%02d", l->period / 100, l->period % 100);
		tz_format_local(t->versions[l->version].effective_local, ver, sizeof ver);
		switch (ch->kind) {
		case TARIFF_CHARGE_DAILY:
			emitf(emit, arg, "fixed %s %s daily %s %d d x %s = %s", per, ver, ch->name, l->days,
			    D(ch->price_uyuan, 6, b), D(l->amount_nyuan, 9, c));
			break;
		case TARIFF_CHARGE_MONTHLY:
			emitf(emit, arg, "fixed %s %s monthly %s %s x %d/%d d = %s", per, ver, ch->name,
			    D(ch->price_uyuan, 6, b), l->days, l->month_days, D(l->amount_nyuan, 9, c));
			break;
		default:
			emitf(emit, arg, "fixed %s %s %s %s %s %s x %s x %d/%d d = %s", per, ver,
			    tariff_charge_kind_name(ch->kind), ch->name, D(l->qty, 3, a),
			    ch->kind == TARIFF_CHARGE_CAPACITY ? "kVA" : "kW", D(ch->price_uyuan, 6, b),
			    l->days, l->month_days, D(l->amount_nyuan, 9, c));
			break;
		}
	}
	for (int i = 0; i < r->nperiods; i++) {
		const struct rate_period *p = &r->periods[i];
		char per[16], bp[80] = "";
		int32_t adj = rate_adjust_bp(q->ctx);
		snprintf(per, sizeof per, "%04d-%02d", p->period / 100, p->period % 100);
		if (adj != 0) {
			rate_format_bp(adj, bp, sizeof bp);
			emitf(emit, arg, "adjust %s %s of %s = %s", per, bp, D(p->energy_nyuan, 9, a),
			    D(p->adjust_nyuan, 9, c));
		}
		bp[0] = '\0';
		int32_t last = -1;
		for (int v = 0; v < t->nversions; v++) {
			int32_t f = t->versions[v].service_fee_bp;
			if (!(p->versions >> v & 1) || f == last)
				continue;
			size_t n = strlen(bp);
			char one[32];
			rate_format_bp(f, one, sizeof one);
			snprintf(bp + n, sizeof bp - n, "%s%s", n ? "/" : "", one);
			last = f;
		}
		if (p->fee_nyuan != 0 || (bp[0] && strcmp(bp, "0.00%") != 0))
			emitf(emit, arg, "fee %s %s of %s = %s", per, bp, D(p->energy_nyuan + p->adjust_nyuan, 9, a),
			    D(p->fee_nyuan, 9, c));
		emitf(emit, arg, "period %s %s -> %s", per, D(p->total_nyuan, 9, a), D(p->total_fen, 2, b));
	}
	emitf(emit, arg, "total %s", D(r->total_fen, 2, a));
}
