#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/rate.h"
#include "lib/xmalloc.h"

typedef __int128 i128;

struct rate_ctx {
	const struct tariff *t;
	const struct calendar *cal;
	const struct tz *tz;
	struct rate_override ov;
	int has_demand;
	int64_t version_utc[TARIFF_MAX_VERSIONS + 1];	/* [nversions] = INT64_MAX */
	int64_t price[TARIFF_MAX_VERSIONS][TARIFF_NBANDS][TARIFF_MAX_TIERS];
	int64_t tier_from[TARIFF_MAX_VERSIONS][TARIFF_MAX_TIERS + 1];	/* [ntiers] = INT64_MAX */
	struct tariff_schedule flat_day;

	/* the stretch of time rated last: constant local day, offset and version */
	int64_t c_lo, c_hi;		/* UTC [lo, hi) */
	int64_t c_utc0;			/* UTC of the local midnight, at this offset */
	const uint8_t *c_band;
	const uint16_t *c_run;
	int c_version;
	int32_t c_period, c_tier_period;
};

int64_t
rate_round_fen(int64_t nyuan)
{
	return tz_floor_div(nyuan + TARIFF_NYUAN_PER_FEN / 2, TARIFF_NYUAN_PER_FEN);
}

int64_t
rate_state_nyuan(const struct rate_state *s)
{
	return s->energy_nyuan + s->adjust_nyuan + s->fee_nyuan + s->fixed_nyuan;
}

const struct tariff *
rate_tariff(const struct rate_ctx *c)
{
	return c->t;
}

const struct tz *
rate_tz(const struct rate_ctx *c)
{
	return c->tz;
}

int32_t
rate_adjust_bp(const struct rate_ctx *c)
{
	return c->ov.adjust_bp;
}

int64_t
rate_version_start(const struct rate_ctx *c, int v)
{
	return c->version_utc[v];
}

int64_t
rate_price(const struct rate_ctx *c, int v, int band, int tier)
{
	return c->price[v][band][tier];
}

struct rate_ctx *
rate_ctx_new(const struct tariff *t, const struct calendar *cal, const struct tz *tz,
    const struct rate_override *ov, char *err, size_t errlen)
{
	struct rate_ctx *c;

	if (ov != NULL && (ov->adjust_bp < -10000 || ov->adjust_bp > 10000)) {
		snprintf(err, errlen, "adjustment %d bp is outside -10000..10000", ov->adjust_bp);
		return NULL;
	}
	if (ov != NULL && ov->has_unit_price &&
	    (ov->unit_price_uyuan < 0 || ov->unit_price_uyuan > TARIFF_MAX_PRICE_UYUAN)) {
		snprintf(err, errlen, "unit price override must be 0..100 yuan");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->t = t;
	c->cal = cal;
	c->tz = tz;
	if (ov != NULL)
		c->ov = *ov;
	memset(c->flat_day.band, TARIFF_FLAT, sizeof c->flat_day.band);
	for (int m = 0; m < TARIFF_MINUTES; m++)
		c->flat_day.run_end[m] = TARIFF_MINUTES;
	for (int v = 0; v < t->nversions; v++) {
		const struct tariff_version *tv = &t->versions[v];
		int nt = tv->ntiers ? tv->ntiers : 1;
		tz_local_to_utc(tz, tv->effective_local, &c->version_utc[v]);
		for (int b = 0; b < TARIFF_NBANDS; b++)
			for (int i = 0; i < TARIFF_MAX_TIERS; i++)
				c->price[v][b][i] = c->ov.has_unit_price ? c->ov.unit_price_uyuan :
				    tariff_price(tv, (enum tariff_band)b, i < nt ? i : nt - 1);
		for (int i = 0; i <= TARIFF_MAX_TIERS; i++)
			c->tier_from[v][i] = i < nt ? (tv->ntiers ? tv->tiers[i].from_milli : 0) : INT64_MAX;
		for (int k = 0; k < tv->ncharges; k++)
			c->has_demand |= tv->charges[k].kind == TARIFF_CHARGE_DEMAND;
	}
	c->version_utc[t->nversions] = INT64_MAX;
	c->c_lo = c->c_hi = 0;
	return c;
}

void
rate_ctx_free(struct rate_ctx *c)
{
	free(c);
}

static int
version_at(const struct rate_ctx *c, int64_t utc)
{
	int v = -1;

	for (int i = 0; i < c->t->nversions && c->version_utc[i] <= utc; i++)
		v = i;
	return v;
}

int32_t
rate_period_of(const struct rate_ctx *c, int64_t utc)
{
	int y, m, d;

	tz_civil_from_days(tz_floor_div(utc + tz_offset_at(c->tz, utc, NULL, NULL), 86400), &y, &m, &d);
	return y * 100 + m;
}

/* Finds the stretch around utc: local day, zone offset and version constant. */
static int
ctx_seek(struct rate_ctx *c, int64_t utc, char *err, size_t errlen)
{
	int64_t olo, ohi, day, lo, hi;
	int32_t off = tz_offset_at(c->tz, utc, &olo, &ohi);
	int v = version_at(c, utc), y, m, d;
	const struct tariff_version *tv;
	char when[24];

	if (v < 0) {
		tz_format_local(utc + off, when, sizeof when);
		snprintf(err, errlen, "usage at %s is before the tariff's first version", when);
		return -1;
	}
	tv = &c->t->versions[v];
	day = tz_floor_div(utc + off, 86400);
	c->c_utc0 = day * 86400 - off;
	lo = c->c_utc0 > olo ? c->c_utc0 : olo;
	hi = c->c_utc0 + 86400 < ohi ? c->c_utc0 + 86400 : ohi;
	if (c->version_utc[v] > lo)
		lo = c->version_utc[v];
	if (c->version_utc[v + 1] < hi)
		hi = c->version_utc[v + 1];
	c->c_lo = lo;
	c->c_hi = hi;
	c->c_version = v;
	tz_civil_from_days(day, &y, &m, &d);
	c->c_period = y * 100 + m;
	c->c_tier_period = tv->tier_period == TARIFF_PERIOD_YEAR ? y : y * 100 + m;
	if (tv->nschedules == 0) {
		c->c_band = c->flat_day.band;
		c->c_run = c->flat_day.run_end;
	} else {
		const struct tariff_season *se = &tv->seasons[tv->season_of_month[m - 1]];
		const struct tariff_schedule *s = &tv->schedules[se->schedule[calendar_day_type(c->cal, day)]];
		c->c_band = s->band;
		c->c_run = s->run_end;
	}
	return 0;
}

/* Where pieces go besides the state. */
struct rate_sink {
	struct rate_result *res;
	struct rate_debit *debits;
	int maxdebits, ndebits;
};

static struct rate_period *
result_period(struct rate_result *r, int32_t period)
{
	int i;

	for (i = r->nperiods - 1; i >= 0 && r->periods[i].period > period; i--)
		;
	if (i >= 0 && r->periods[i].period == period)
		return &r->periods[i];
	if (r->nperiods == r->cap_periods) {
		r->cap_periods = r->cap_periods ? r->cap_periods * 2 : 4;
		r->periods = xrealloc(r->periods, (size_t)r->cap_periods * sizeof *r->periods);
	}
	i++;
	memmove(r->periods + i + 1, r->periods + i, (size_t)(r->nperiods - i) * sizeof *r->periods);
	memset(&r->periods[i], 0, sizeof r->periods[i]);
	r->periods[i].period = period;
	r->nperiods++;
	return &r->periods[i];
}

static void
period_close(const struct rate_state *s, struct rate_sink *k)
{
	if (s->period == 0)
		return;
	if (k->res != NULL) {
		struct rate_period *p = result_period(k->res, s->period);
		p->energy_nyuan = s->energy_nyuan;
		p->adjust_nyuan = s->adjust_nyuan;
		p->fee_nyuan = s->fee_nyuan;
		p->fixed_nyuan = s->fixed_nyuan;
	}
	if (k->debits != NULL) {
		/* rate_debit checked the room beforehand */
		k->debits[k->ndebits].period = s->period;
		k->debits[k->ndebits].fen = rate_round_fen(rate_state_nyuan(s)) - s->debited_fen;
		k->ndebits++;
	}
}

static void
period_open(struct rate_state *s, int32_t period)
{
	s->period = period;
	s->energy_nyuan = s->adjust_nyuan = s->fee_nyuan = s->fixed_nyuan = 0;
	s->debited_fen = 0;
	/* starting the carry at half makes the running floor a half-up rounding */
	s->adjust_carry = s->fee_carry = 5000;
}

/* x = a × bp + carry; returns floor(x / 10^4) and keeps the remainder */
static inline int64_t
carry_bp(int64_t a, int32_t bp, int64_t *carry)
{
	if (a < INT64_MAX / 20000 && a > -(INT64_MAX / 20000)) {
		int64_t x = a * bp + *carry;
		int64_t q = tz_floor_div(x, 10000);
		*carry = x - q * 10000;
		return q;
	}
	i128 x = (i128)a * bp + *carry;
	i128 q = x / 10000;
	if (x % 10000 != 0 && x < 0)
		q--;
	*carry = (int64_t)(x - q * 10000);
	return (int64_t)q;
}

static void
demand_flush(struct rate_result *r)
{
	if (r->win_energy_milli > 0) {
		/* Wh in a quarter hour × 4 = average W */
		int64_t w = r->win_energy_milli * (3600 / RATE_DEMAND_WINDOW);
		int64_t *max = &r->periods[r->win_period].demand_w[r->win_version];
		if (w > *max)
			*max = w;
	}
	r->win_energy_milli = 0;
}

/* One piece: a single version, band and billing period. */
static int
rate_piece(struct rate_ctx *c, struct rate_state *s, struct rate_sink *k, int band, int64_t e,
    int64_t t, char *err, size_t errlen)
{
	int v = c->c_version;
	const int64_t *from = c->tier_from[v];
	struct rate_result *r = k->res;
	int32_t fee_bp = c->t->versions[v].service_fee_bp;

	if (s->period != c->c_period) {
		period_close(s, k);
		period_open(s, c->c_period);
	}
	if (s->tier_period != c->c_tier_period) {
		s->tier_period = c->c_tier_period;
		s->tier_energy_milli = 0;
	}
	if (r != NULL) {
		if (r->nperiods == 0 || r->periods[r->cur].period != s->period)
			r->cur = (int)(result_period(r, s->period) - r->periods);
		r->periods[r->cur].versions |= 1ULL << v;
		r->periods[r->cur].energy_milli += e;
		if (c->has_demand) {
			int64_t w = tz_floor_div(t, RATE_DEMAND_WINDOW);
			if (w != r->win) {
				demand_flush(r);
				r->win = w;
				r->win_period = r->cur;
				r->win_version = v;
			}
			r->win_energy_milli += e;
		}
	}
	while (e > 0) {
		int i = 0;
		while (from[i + 1] <= s->tier_energy_milli)
			i++;
		int64_t room = from[i + 1] == INT64_MAX ? INT64_MAX : from[i + 1] - s->tier_energy_milli;
		int64_t take = e < room ? e : room;
		int64_t amount = take * c->price[v][band][i];	/* both bounded: fits */
		int64_t adj = 0;

		if (c->ov.adjust_bp != 0)
			adj = carry_bp(amount, c->ov.adjust_bp, &s->adjust_carry);
		if (__builtin_add_overflow(s->energy_nyuan, amount, &s->energy_nyuan) ||
		    __builtin_add_overflow(s->adjust_nyuan, adj, &s->adjust_nyuan)) {
			snprintf(err, errlen, "amount too large for one billing period");
			return -1;
		}
		if (fee_bp != 0 && __builtin_add_overflow(s->fee_nyuan,
		    carry_bp(amount + adj, fee_bp, &s->fee_carry), &s->fee_nyuan)) {
			snprintf(err, errlen, "amount too large for one billing period");
			return -1;
		}
		if (r != NULL) {
			struct rate_cell *cell = &r->cell[v][band][i];
			cell->energy_milli += take;
			cell->amount_nyuan += amount;
		}
		s->tier_energy_milli += take;
		e -= take;
	}
	return 0;
}

/* floor(e × num / den) without overflow; 0 <= num <= den */
static inline int64_t
muldiv(int64_t e, int64_t num, int64_t den)
{
	return (int64_t)((i128)e * num / den);
}

static int
rate_usage(struct rate_ctx *c, struct rate_state *s, const struct rate_usage *u, struct rate_sink *k,
    char *err, size_t errlen)
{
	int64_t t = u->start, e = u->end, d = u->end - u->start, done = 0;
	int band = u->band;

	if (u->end <= u->start) {
		snprintf(err, errlen, "usage ends before it starts (end must be after start)");
		return -1;
	}
	if (u->energy_milli < 0 || u->energy_milli > RATE_MAX_USAGE_MILLI) {
		snprintf(err, errlen, "usage energy must be 0..10000000 units per interval");
		return -1;
	}
	if (band != RATE_BAND_SCHEDULE && (band < 0 || band >= TARIFF_NBANDS)) {
		snprintf(err, errlen, "unknown band %d", band);
		return -1;
	}
	while (t < e) {
		int64_t p, piece;

		if (t < c->c_lo || t >= c->c_hi)
			if (ctx_seek(c, t, err, errlen) == -1)
				return -1;
		p = e < c->c_hi ? e : c->c_hi;
		if (u->band == RATE_BAND_SCHEDULE) {
			int minute = (int)((t - c->c_utc0) / 60);
			int64_t be = c->c_utc0 + (int64_t)c->c_run[minute] * 60;
			band = c->c_band[minute];
			if (be < p)
				p = be;
		}
		if (c->has_demand && k->res != NULL) {
			int64_t we = (tz_floor_div(t, RATE_DEMAND_WINDOW) + 1) * RATE_DEMAND_WINDOW;
			if (we < p)
				p = we;
		}
		/* pro rata by time on the cumulative line, floored: pieces add up to the whole */
		if (p == e)
			piece = u->energy_milli - done;
		else
			piece = muldiv(u->energy_milli, p - u->start, d) - done;
		done += piece;
		if (rate_piece(c, s, k, band, piece, t, err, errlen) == -1)
			return -1;
		t = p;
	}
	return 0;
}

struct rate_result *
rate_result_new(void)
{
	struct rate_result *r = xcalloc(1, sizeof *r);

	r->win = INT64_MIN;
	return r;
}

void
rate_result_free(struct rate_result *r)
{
	if (r == NULL)
		return;
	free(r->periods);
	free(r->fixed);
	free(r);
}

int
rate_add(struct rate_ctx *c, struct rate_state *s, const struct rate_usage *u, struct rate_result *r,
    char *err, size_t errlen)
{
	struct rate_sink k = { r, NULL, 0, 0 };

	r->nversions = c->t->nversions;
	return rate_usage(c, s, u, &k, err, errlen);
}

void
rate_finish(struct rate_ctx *c, const struct rate_state *s, struct rate_result *r)
{
	struct rate_sink k = { r, NULL, 0, 0 };

	r->nversions = c->t->nversions;
	if (r->nperiods > 0)
		demand_flush(r);
	period_close(s, &k);
}

static int64_t
round_div(i128 num, int64_t den)
{
	/* half up; num >= 0 here */
	return (int64_t)((num + den / 2) / den);
}

int
rate_fixed(struct rate_ctx *c, struct rate_result *r, int64_t from, int64_t to,
    int64_t capacity_milli_kva, char *err, size_t errlen)
{
	int64_t day0 = tz_floor_div(from + tz_offset_at(c->tz, from, NULL, NULL), 86400);
	int64_t start;
	int n = 0;

	r->nversions = c->t->nversions;
	if (to <= from)
		return 0;
	for (int64_t day = day0; ; day++) {
		int y, m, dd, v;

		tz_local_to_utc(c->tz, day * 86400, &start);
		if (start < from)
			continue;
		if (start >= to)
			break;
		if (++n > RATE_MAX_FIXED_DAYS) {
			snprintf(err, errlen, "fixed charges over more than %d days", RATE_MAX_FIXED_DAYS);
			return -1;
		}
		if ((v = version_at(c, start)) < 0)
			continue;	/* no tariff yet, nothing to charge */
		const struct tariff_version *tv = &c->t->versions[v];
		tz_civil_from_days(day, &y, &m, &dd);
		for (int ch = 0; ch < tv->ncharges; ch++) {
			struct rate_fixed_line *l = NULL;
			for (int i = 0; i < r->nfixed; i++)
				if (r->fixed[i].period == y * 100 + m && r->fixed[i].version == v &&
				    r->fixed[i].charge == ch)
					l = &r->fixed[i];
			if (l == NULL) {
				if (tv->charges[ch].kind == TARIFF_CHARGE_CAPACITY && capacity_milli_kva <= 0) {
					snprintf(err, errlen, "the tariff has a capacity charge: give the contracted "
					    "capacity in kVA");
					return -1;
				}
				if (r->nfixed == r->cap_fixed) {
					r->cap_fixed = r->cap_fixed ? r->cap_fixed * 2 : 8;
					r->fixed = xrealloc(r->fixed, (size_t)r->cap_fixed * sizeof *r->fixed);
				}
				l = &r->fixed[r->nfixed++];
				memset(l, 0, sizeof *l);
				l->period = y * 100 + m;
				l->version = v;
				l->charge = ch;
				l->month_days = tz_days_in_month(y, m);
			}
			l->days++;
		}
	}
	for (int i = 0; i < r->nfixed; i++) {
		struct rate_fixed_line *l = &r->fixed[i];
		const struct tariff_charge *ch = &c->t->versions[l->version].charges[l->charge];
		struct rate_period *p = result_period(r, l->period);
		int64_t q = 1000;	/* uyuan × 1000 = nyuan */

		switch (ch->kind) {
		case TARIFF_CHARGE_DAILY:
			l->qty = l->days;
			l->amount_nyuan = ch->price_uyuan * 1000 * l->days;
			break;
		case TARIFF_CHARGE_MONTHLY:
			l->qty = l->days;
			l->amount_nyuan = round_div((i128)ch->price_uyuan * q * l->days, l->month_days);
			break;
		case TARIFF_CHARGE_CAPACITY:
			l->qty = capacity_milli_kva;
			l->amount_nyuan = round_div((i128)ch->price_uyuan * capacity_milli_kva * l->days, l->month_days);
			break;
		default:
			l->qty = p->demand_w[l->version];
			l->amount_nyuan = round_div((i128)ch->price_uyuan * l->qty * l->days, l->month_days);
			break;
		}
		p->fixed_nyuan += l->amount_nyuan;
	}
	return 0;
}

void
rate_totals(struct rate_result *r)
{
	r->total_nyuan = r->total_fen = 0;
	for (int i = 0; i < r->nperiods; i++) {
		struct rate_period *p = &r->periods[i];
		p->total_nyuan = p->energy_nyuan + p->adjust_nyuan + p->fee_nyuan + p->fixed_nyuan;
		p->total_fen = rate_round_fen(p->total_nyuan);
		r->total_nyuan += p->total_nyuan;
		r->total_fen += p->total_fen;
	}
}

int
rate_debit(struct rate_ctx *c, struct rate_state *s, const struct rate_usage *u,
    struct rate_debit *out, int maxout, int *nout, char *err, size_t errlen)
{
	struct rate_state w = *s;
	struct rate_sink k = { NULL, out, maxout, 0 };
	int32_t a, b;
	int span;

	*nout = 0;
	if (u->end <= u->start) {
		snprintf(err, errlen, "usage ends before it starts (end must be after start)");
		return -1;
	}
	if (u->start >= c->c_lo && u->end <= c->c_hi) {
		a = b = c->c_period;	/* inside the stretch rated last: no zone lookup */
	} else {
		a = rate_period_of(c, u->start);
		b = rate_period_of(c, u->end - 1);
	}
	if (s->period != 0 && a < s->period) {
		snprintf(err, errlen, "usage in %d is before the state's billing period %d", a, s->period);
		return -1;
	}
	span = (b / 100 - a / 100) * 12 + (b % 100 - a % 100) + 1 + (s->period != 0 && s->period != a);
	if (span > maxout) {
		snprintf(err, errlen, "usage spans %d billing periods; split it at month ends", span);
		return -1;
	}
	if (rate_usage(c, &w, u, &k, err, errlen) == -1)
		return -1;
	int64_t fen = rate_round_fen(rate_state_nyuan(&w));
	out[k.ndebits].period = w.period;
	out[k.ndebits].fen = fen - w.debited_fen;
	k.ndebits++;
	w.debited_fen = fen;
	*s = w;
	*nout = k.ndebits;
	return 0;
}

int
rate_debit_fixed(struct rate_state *s, int32_t period, int64_t amount_nyuan, int64_t *fen,
    char *err, size_t errlen)
{
	if (s->period != period) {
		if (s->period > period) {
			snprintf(err, errlen, "period %d is closed (state is in %d)", period, s->period);
			return -1;
		}
		period_open(s, period);
	}
	if (__builtin_add_overflow(s->fixed_nyuan, amount_nyuan, &s->fixed_nyuan)) {
		snprintf(err, errlen, "amount too large for one billing period");
		return -1;
	}
	int64_t now = rate_round_fen(rate_state_nyuan(s));
	*fen = now - s->debited_fen;
	s->debited_fen = now;
	return 0;
}

struct share_rem {
	i128 rem;
	int idx;
};

static int
share_rem_cmp(const void *a, const void *b)
{
	const struct share_rem *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->idx - y->idx;
}

int
rate_apportion(int64_t total, const int64_t *w, int n, int64_t *out, char *err, size_t errlen)
{
	i128 sum = 0;
	int64_t mag, given = 0;
	struct share_rem *rem;

	if (n < 1 || n > 1000000) {
		snprintf(err, errlen, "apportion needs 1 to 1000000 shares");
		return -1;
	}
	if (total == INT64_MIN) {
		snprintf(err, errlen, "amount out of range");
		return -1;
	}
	mag = total < 0 ? -total : total;
	for (int i = 0; i < n; i++) {
		if (w[i] < 0) {
			snprintf(err, errlen, "share %d is negative", i + 1);
			return -1;
		}
		sum += w[i];
	}
	if (sum == 0) {
		snprintf(err, errlen, "the shares add up to zero");
		return -1;
	}
	rem = xcalloc((size_t)n, sizeof *rem);
	for (int i = 0; i < n; i++) {
		i128 x = (i128)mag * w[i];
		out[i] = (int64_t)(x / sum);
		rem[i].rem = x % sum;
		rem[i].idx = i;
		given += out[i];
	}
	/* fewer than n units are left over: one each to the largest remainders */
	qsort(rem, (size_t)n, sizeof *rem, share_rem_cmp);
	for (int64_t i = 0; i < mag - given; i++)
		out[rem[i].idx]++;
	free(rem);
	if (total < 0)
		for (int i = 0; i < n; i++)
			out[i] = -out[i];
	return 0;
}

int64_t
rate_line_loss(int64_t master_milli, const int64_t *sub_milli, int n)
{
	int64_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += sub_milli[i];
	return master_milli - sum;
}
