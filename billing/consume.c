/*
 * Real-time consumption posting (docs/statements.md): reading → parts
 * (one per billing month touched and per band register) → rate_debit with
 * the persisted state → consumption rows → ledger debits → state saved →
 * policy. Everything in the caller's transaction, under the account lock.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/consume.h"
#include "billing/ledger.h"
#include "billing/policy_apply.h"
#include "billing/usage_rollup.h"
#include "lib/log.h"

typedef __int128 i128;

static const char *const energy_names[] = { "electricity", "water", "gas" };

const char *
consume_strerror(enum consume_status st)
{
	switch (st) {
	case CONSUME_OK:
		return "posted";
	case CONSUME_INVALID:
		return "the reading is not valid";
	case CONSUME_NO_METER:
		return "no such meter, or the meter has no account";
	case CONSUME_NO_TARIFF:
		return "the account has no tariff for this energy";
	case CONSUME_CONFLICT:
		return "this reading was already posted with a different start or energy";
	case CONSUME_OUT_OF_ORDER:
		return "the reading overlaps an earlier one or falls in a closed billing month";
	case CONSUME_REFUSED:
		return "the ledger refused the debit";
	case CONSUME_DB_ERROR:
		return "the database could not record the reading; nothing was posted, try again";
	}
	return "unknown consume status";
}

/* rate_periods: one account × energy's live state */
struct acct_state {
	int32_t row;			/* the row's period; 0: none yet */
	int32_t open_tier_period;
	int64_t open_tier_milli;
	struct rate_state s;
	int64_t rerate_fen;
	int64_t fixed_through;		/* local day number; -1: none */
	int dirty;
};

struct cctx {
	struct db *db;
	struct tariff_store *store;
	int64_t account_id, site_id;
	const char *energy;
	const char *actor;
	struct tariff_terms terms;
	struct rate_ctx *ctx;
	struct acct_state as;
	struct acct_state old;		/* a month the live state has left */
	struct consume_result *res;
};

static enum consume_status
fail(struct consume_result *res, enum consume_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum consume_status
fail(struct consume_result *res, enum consume_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
	res->status = st;
	return st;
}

static enum consume_status
dberr(struct cctx *x, const char *what)
{
	return fail(x->res, CONSUME_DB_ERROR, "%s: %s", what, db_error(x->db));
}

static void
fmt_utc_ms(int64_t ms, char *buf, size_t len)
{
	char s[24];

	tz_format_utc(tz_floor_div(ms, 1000), s, sizeof s);
	snprintf(buf, len, "%s.%03d", s, (int)(ms - tz_floor_div(ms, 1000) * 1000));
}

static int
state_load(struct cctx *x)
{
	struct db_rows *r;
	int rc;

	memset(&x->as, 0, sizeof x->as);
	memset(&x->old, 0, sizeof x->old);
	x->as.fixed_through = -1;
	r = db_query(x->db, "SELECT period, open_tier_period, open_tier_milli, tier_period, tier_milli, energy_nyuan,"
	    " adjust_nyuan, adjust_carry, fee_nyuan, fee_carry, fixed_nyuan, debited_fen, rerate_fen,"
	    " DATEDIFF(fixed_through, '1970-01-01') FROM rate_periods WHERE account_id = ? AND energy = ?"
	    " ORDER BY period DESC LIMIT 1", "is", x->account_id, x->energy);
	if (r == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1) {
		struct rate_state *s = &x->as.s;
		x->as.row = (int32_t)db_rows_int(r, 0);
		x->as.open_tier_period = (int32_t)db_rows_int(r, 1);
		x->as.open_tier_milli = db_rows_int(r, 2);
		s->period = x->as.row;
		s->tier_period = (int32_t)db_rows_int(r, 3);
		s->tier_energy_milli = db_rows_int(r, 4);
		s->energy_nyuan = db_rows_int(r, 5);
		s->adjust_nyuan = db_rows_int(r, 6);
		s->adjust_carry = db_rows_int(r, 7);
		s->fee_nyuan = db_rows_int(r, 8);
		s->fee_carry = db_rows_int(r, 9);
		s->fixed_nyuan = db_rows_int(r, 10);
		s->debited_fen = db_rows_int(r, 11);
		x->as.rerate_fen = db_rows_int(r, 12);
		x->as.fixed_through = db_rows_isnull(r, 13) ? -1 : db_rows_int(r, 13);
	}
	db_rows_free(r);
	return rc == -1 ? -1 : 0;
}

/* Writes the live row (rate_periods is a cache of the state, not money). */
static int
state_save_one(struct cctx *x, struct acct_state *as)
{
	const struct rate_state *s = &as->s;
	long long n;

	if (!as->dirty)
		return 0;
	n = db_exec(x->db, "INSERT INTO rate_periods (account_id, energy, period, open_tier_period, open_tier_milli,"
	    " tier_period, tier_milli, energy_nyuan, adjust_nyuan, adjust_carry, fee_nyuan, fee_carry, fixed_nyuan,"
	    " debited_fen, rerate_fen, fixed_through) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " IF(? < 0, NULL, DATE_ADD('1970-01-01', INTERVAL ? DAY)))"
	    " ON DUPLICATE KEY UPDATE tier_period = VALUES(tier_period), tier_milli = VALUES(tier_milli),"
	    " energy_nyuan = VALUES(energy_nyuan), adjust_nyuan = VALUES(adjust_nyuan),"
	    " adjust_carry = VALUES(adjust_carry), fee_nyuan = VALUES(fee_nyuan), fee_carry = VALUES(fee_carry),"
	    " fixed_nyuan = VALUES(fixed_nyuan), debited_fen = VALUES(debited_fen), rerate_fen = VALUES(rerate_fen),"
	    " fixed_through = VALUES(fixed_through)",
	    "isiiiiiiiiiiiiiii", x->account_id, x->energy, (int64_t)as->row, (int64_t)as->open_tier_period,
	    as->open_tier_milli, (int64_t)s->tier_period, s->tier_energy_milli, s->energy_nyuan, s->adjust_nyuan,
	    s->adjust_carry, s->fee_nyuan, s->fee_carry, s->fixed_nyuan, s->debited_fen, as->rerate_fen,
	    as->fixed_through, as->fixed_through);
	if (n < 0)
		return -1;
	as->dirty = 0;
	return 0;
}

static int
state_save(struct cctx *x)
{
	if (state_save_one(x, &x->old) == -1)
		return -1;
	return state_save_one(x, &x->as);
}

/*
 * Usage that arrives for a month the live state has left (another meter
 * of the account already read past the month end): rated into that
 * month's own row, which continues where it stopped — so the month's
 * debits still equal its statement (rows are re-rated in id order).
 */
static enum consume_status
state_old(struct cctx *x, int32_t q, struct acct_state **out)
{
	struct db_rows *r;
	char err[200];
	int64_t fen;
	int rc;

	if (x->old.row == q) {
		*out = &x->old;
		return CONSUME_OK;
	}
	if (state_save_one(x, &x->old) == -1)
		return fail(x->res, CONSUME_DB_ERROR, "cannot save the rating state: %s", db_error(x->db));
	memset(&x->old, 0, sizeof x->old);
	x->old.fixed_through = -1;
	r = db_query(x->db, "SELECT open_tier_period, open_tier_milli, tier_period, tier_milli, energy_nyuan,"
	    " adjust_nyuan, adjust_carry, fee_nyuan, fee_carry, fixed_nyuan, debited_fen, rerate_fen,"
	    " DATEDIFF(fixed_through, '1970-01-01') FROM rate_periods WHERE account_id = ? AND energy = ?"
	    " AND period = ? FOR UPDATE", "isi", x->account_id, x->energy, (int64_t)q);
	if (r == NULL)
		return fail(x->res, CONSUME_DB_ERROR, "cannot read the rating state: %s", db_error(x->db));
	x->old.row = q;
	x->old.dirty = 1;
	if ((rc = db_rows_next(r)) == 1) {
		struct rate_state *s = &x->old.s;
		x->old.open_tier_period = (int32_t)db_rows_int(r, 0);
		x->old.open_tier_milli = db_rows_int(r, 1);
		s->period = q;
		s->tier_period = (int32_t)db_rows_int(r, 2);
		s->tier_energy_milli = db_rows_int(r, 3);
		s->energy_nyuan = db_rows_int(r, 4);
		s->adjust_nyuan = db_rows_int(r, 5);
		s->adjust_carry = db_rows_int(r, 6);
		s->fee_nyuan = db_rows_int(r, 7);
		s->fee_carry = db_rows_int(r, 8);
		s->fixed_nyuan = db_rows_int(r, 9);
		s->debited_fen = db_rows_int(r, 10);
		x->old.rerate_fen = db_rows_int(r, 11);
		x->old.fixed_through = db_rows_isnull(r, 12) ? -1 : db_rows_int(r, 12);
	}
	db_rows_free(r);
	if (rc == -1)
		return fail(x->res, CONSUME_DB_ERROR, "cannot read the rating state: %s", db_error(x->db));
	/* no row: the month had nothing yet; it opens with no tier usage */
	if (rc == 0 && (rate_debit_fixed(&x->old.s, q, 0, &fen, err, sizeof err) == -1 || fen != 0))
		return fail(x->res, CONSUME_INVALID, "cannot open billing month %d: %s", q, err);
	*out = &x->old;
	return CONSUME_OK;
}


/* Moves the live state into billing month q: the old row is kept as what
 * its month was charged, the new one remembers the tier position it
 * opened with. */
static enum consume_status
state_enter(struct cctx *x, int32_t q)
{
	char err[200];
	int64_t fen;

	if (x->as.row == q)
		return CONSUME_OK;
	if (x->as.row > q)
		return fail(x->res, CONSUME_OUT_OF_ORDER, "billing month %04d-%02d is closed for this account's %s"
		    " (rating is in %04d-%02d): post readings in time order", q / 100, q % 100, x->energy,
		    x->as.row / 100, x->as.row % 100);
	if (state_save(x) == -1)
		return dberr(x, "cannot save the rating state");
	x->as.open_tier_period = x->as.s.tier_period;
	x->as.open_tier_milli = x->as.s.tier_energy_milli;
	x->as.row = q;
	x->as.fixed_through = -1;
	x->as.rerate_fen = 0;
	x->as.dirty = 1;
	/* opens the period in the state: zero sums, carries at half */
	if (rate_debit_fixed(&x->as.s, q, 0, &fen, err, sizeof err) == -1 || fen != 0)
		return fail(x->res, CONSUME_INVALID, "cannot open billing month %d: %s", q, err);
	return CONSUME_OK;
}

static int
tariff_has_charges(const struct tariff *t)
{
	for (int v = 0; v < t->nversions; v++)
		for (int c = 0; c < t->versions[v].ncharges; c++)
			if (t->versions[v].charges[c].kind != TARIFF_CHARGE_DEMAND)
				return 1;
	return 0;
}

static int64_t
local_day_utc(const struct tz *z, int64_t day)
{
	int64_t utc;

	tz_local_to_utc(z, day * 86400, &utc);
	return utc;
}

static int
ledger_err(struct cctx *x, enum ledger_status st, const struct ledger_result *lr)
{
	if (st == LEDGER_DB_ERROR) {
		fail(x->res, CONSUME_DB_ERROR, "ledger: %s", lr->detail);
		return -1;
	}
	fail(x->res, CONSUME_REFUSED, "ledger: %s", lr->detail[0] ? lr->detail : ledger_strerror(st));
	return -1;
}

/*
 * Fixed charges for billing month q through local day D (in advance):
 * cumulative from the month's first day, so the month ends at exactly
 * what rate_fixed says for the whole month. Demand charges excluded.
 */
static enum consume_status
charge_month(struct cctx *x, const struct tz *z, int64_t D)
{
	int y, m, d;
	int32_t q;
	int64_t first, target = 0, fen;
	struct rate_result *rr;
	enum consume_status st;
	char err[300];

	tz_civil_from_days(D, &y, &m, &d);
	q = y * 100 + m;
	if (x->as.row > q)
		return CONSUME_OK;	/* charged as its days came; the month is closed */
	if (x->as.row == q && x->as.fixed_through >= D)
		return CONSUME_OK;
	if ((st = state_enter(x, q)) != CONSUME_OK)
		return st;
	first = tz_days_from_civil(y, m, 1);
	rr = rate_result_new();
	if (rate_fixed(x->ctx, rr, local_day_utc(z, first), local_day_utc(z, D + 1), x->terms.capacity_milli_kva,
	    err, sizeof err) == -1) {
		rate_result_free(rr);
		return fail(x->res, CONSUME_INVALID, "standing charges of tariff %s: %s (prepayctl tariff assign"
		    " --capacity-kva)", x->terms.code, err);
	}
	for (int i = 0; i < rr->nfixed; i++)
		if (rate_tariff(x->ctx)->versions[rr->fixed[i].version].charges[rr->fixed[i].charge].kind !=
		    TARIFF_CHARGE_DEMAND)
			target += rr->fixed[i].amount_nyuan;
	rate_result_free(rr);
	if (rate_debit_fixed(&x->as.s, q, target - x->as.s.fixed_nyuan, &fen, err, sizeof err) == -1)
		return fail(x->res, CONSUME_INVALID, "standing charges: %s", err);
	x->as.fixed_through = D;
	x->as.dirty = 1;
	if (fen > 0) {
		struct ledger_request rq;
		struct ledger_result lr;
		char key[LEDGER_KEY_MAX], ref[64], counter[40];
		enum ledger_status ls;

		snprintf(key, sizeof key, "charges:%" PRId64 ":%s:%04d-%02d-%02d", x->account_id, x->energy, y, m, d);
		snprintf(ref, sizeof ref, "charges:%s:%d", x->energy, q);
		snprintf(counter, sizeof counter, "revenue:%s", x->energy);
		ledger_request_init(&rq, key, x->actor, x->account_id, LEDGER_FEE, -fen, counter);
		rq.reference = ref;
		rq.reason = "standing charges";
		if ((ls = ledger_post_in_tx(x->db, &rq, &lr)) != LEDGER_OK) {
			ledger_err(x, ls, &lr);
			return x->res->status;
		}
		x->res->fixed_fen += fen;
		x->res->balance_after_fen = lr.legs[0].balance_after_fen;
	}
	return CONSUME_OK;
}

/* Every month from the live state's up to D's: a month left behind is
 * charged to its end first. */
static enum consume_status
charge_through(struct cctx *x, int64_t D)
{
	const struct tz *z = rate_tz(x->ctx);
	enum consume_status st;
	int y, m, d;

	if (!tariff_has_charges(rate_tariff(x->ctx)))
		return CONSUME_OK;
	tz_civil_from_days(D, &y, &m, &d);
	if (x->as.row != 0 && x->as.row < y * 100 + m) {
		int ry = x->as.row / 100, rm = x->as.row % 100;
		for (int guard = 0; ry * 100 + rm < y * 100 + m; guard++) {
			int64_t last = tz_days_from_civil(ry, rm, tz_days_in_month(ry, rm));
			if (guard > 1200)
				return fail(x->res, CONSUME_INVALID, "standing charges over more than 100 years");
			if ((st = charge_month(x, z, last)) != CONSUME_OK)
				return st;
			if (++rm > 12) {
				rm = 1;
				ry++;
			}
		}
	}
	return charge_month(x, z, D);
}

static enum consume_status
open_account(struct cctx *x, int64_t account_id, const char *energy)
{
	struct db_rows *r;
	char err[300];
	int rc;

	x->account_id = account_id;
	x->energy = energy;
	x->res->account_id = account_id;
	/* the account lock first: one reading of an account at a time, in the
	 * ledger's lock order */
	if ((r = db_query(x->db, "SELECT site_id FROM accounts WHERE id = ? FOR UPDATE", "i", account_id)) == NULL)
		return dberr(x, "cannot lock the account");
	if ((rc = db_rows_next(r)) == 1)
		x->site_id = db_rows_int(r, 0);
	db_rows_free(r);
	if (rc == -1)
		return dberr(x, "cannot lock the account");
	if (rc == 0)
		return fail(x->res, CONSUME_NO_METER, "no account %" PRId64, account_id);
	if ((rc = tariff_store_terms(x->db, account_id, energy, &x->terms)) == -1)
		return dberr(x, "cannot read the account's tariff");
	if (rc == 0 || x->terms.doc_id == 0)
		return fail(x->res, CONSUME_NO_TARIFF, "account %" PRId64 " has no %s tariff: assign one with"
		    " `prepayctl tariff assign`", account_id, energy);
	if ((x->ctx = tariff_store_ctx(x->store, x->db, x->terms.doc_id, x->site_id, &x->terms.ov, err,
	    sizeof err)) == NULL)
		return fail(x->res, CONSUME_NO_TARIFF, "tariff %s: %s", x->terms.code, err);
	if (state_load(x) == -1)
		return dberr(x, "cannot read the rating state");
	return CONSUME_OK;
}

static int
apply_policy(struct cctx *x, const char *cause)
{
	if (x->res->debit_fen == 0 && x->res->fixed_fen == 0)
		return 0;
	if (policy_apply_in_tx(x->db, x->account_id, 0, x->actor, cause, NULL) != 0) {
		fail(x->res, CONSUME_DB_ERROR, "the account policy could not be applied: %s", db_error(x->db));
		return -1;
	}
	return 0;
}

/* A reading seen before: same start and energy per band → its first
 * result; anything else → conflict. */
static enum consume_status
check_replay(struct cctx *x, const struct consume_reading *rd, const char *read_at, int *seen)
{
	struct db_rows *r;
	int64_t start = INT64_MAX, band_sum[TARIFF_NBANDS + 1] = { 0 }, want[TARIFF_NBANDS + 1] = { 0 };
	int rc, n = 0;

	*seen = 0;
	r = db_query(x->db, "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01', start_at), IFNULL(band, -1), energy_milli,"
	    " debit_fen, rated_nyuan, account_id FROM consumption WHERE meter_id = ? AND read_at = ?", "is",
	    rd->meter_id, read_at);
	if (r == NULL)
		return dberr(x, "cannot look the reading up");
	while ((rc = db_rows_next(r)) == 1) {
		int64_t b = db_rows_int(r, 1);
		if (db_rows_int(r, 0) < start)
			start = db_rows_int(r, 0);
		if (b >= -1 && b < TARIFF_NBANDS)
			band_sum[b + 1] += db_rows_int(r, 2);
		x->res->debit_fen += db_rows_int(r, 3);
		x->res->rated_nyuan += db_rows_int(r, 4);
		x->res->account_id = db_rows_int(r, 5);
		n++;
	}
	db_rows_free(r);
	if (rc == -1)
		return dberr(x, "cannot look the reading up");
	if (n == 0)
		return CONSUME_OK;
	*seen = 1;
	if (rd->nbands == 0)
		want[0] = rd->energy_milli;
	for (int i = 0; i < rd->nbands; i++)
		want[rd->band[i] + 1] += rd->band_milli[i];
	if (start != tz_floor_div(rd->start_ms, 1000) || memcmp(want, band_sum, sizeof want) != 0) {
		x->res->debit_fen = x->res->rated_nyuan = 0;
		return fail(x->res, CONSUME_CONFLICT, "meter %" PRId64 ": the reading at %s was already posted with"
		    " another start or energy; nothing was posted (a correction is an adjustment, not a new reading)",
		    rd->meter_id, read_at);
	}
	x->res->replayed = 1;
	x->res->nparts = n;
	x->res->status = CONSUME_OK;
	snprintf(x->res->detail, sizeof x->res->detail, "already posted: replayed");
	return CONSUME_OK;
}

static enum consume_status
validate(const struct consume_reading *rd, struct consume_result *res)
{
	int64_t sum = 0;
	int seen[TARIFF_NBANDS] = { 0 };

	if (rd->meter_id <= 0)
		return fail(res, CONSUME_INVALID, "no meter given");
	if (rd->end_ms <= rd->start_ms)
		return fail(res, CONSUME_INVALID, "the reading ends before it starts (end must be after start)");
	if (rd->energy_milli < 0)
		return fail(res, CONSUME_INVALID, "negative energy: a meter counter does not run backwards"
		    " (the poller validates rollovers and swaps before posting)");
	if (rd->energy_milli > RATE_MAX_USAGE_MILLI)
		return fail(res, CONSUME_INVALID, "more than 10,000,000 units in one reading: split it");
	if (rd->nbands < 0 || rd->nbands > TARIFF_NBANDS)
		return fail(res, CONSUME_INVALID, "at most %d band registers", TARIFF_NBANDS);
	for (int i = 0; i < rd->nbands; i++) {
		if (rd->band[i] < 0 || rd->band[i] >= TARIFF_NBANDS || seen[rd->band[i]]++)
			return fail(res, CONSUME_INVALID, "band register %d: unknown or given twice", i);
		if (rd->band_milli[i] < 0)
			return fail(res, CONSUME_INVALID, "band register %s: negative energy",
			    tariff_band_name(rd->band[i]));
		sum += rd->band_milli[i];
	}
	if (rd->nbands > 0 && sum != rd->energy_milli)
		return fail(res, CONSUME_INVALID, "the band registers add up to %" PRId64 ", not the reading's %" PRId64,
		    sum, rd->energy_milli);
	if (rd->actor == NULL || rd->actor[0] == '\0')
		return fail(res, CONSUME_INVALID, "no actor given");
	return CONSUME_OK;
}

/* one row: a month piece of one band (or of the schedule) */
struct part {
	int64_t start, end, energy_milli;
	int band;			/* RATE_BAND_SCHEDULE or a register's band */
	int32_t period;
};

/* A register band the tariff has no price for would be billed at zero. */
static int
band_priced(const struct cctx *x, int band, int64_t start, int64_t end)
{
	const struct tariff *t = rate_tariff(x->ctx);

	if (x->terms.ov.has_unit_price)
		return 1;
	for (int v = 0; v < t->nversions; v++) {
		const struct tariff_version *tv = &t->versions[v];
		int64_t from = rate_version_start(x->ctx, v);
		int64_t to = v + 1 < t->nversions ? rate_version_start(x->ctx, v + 1) : INT64_MAX;
		int absolute = tv->ntiers > 0;
		if (to <= start || from >= end)
			continue;
		for (int i = 0; i < tv->ntiers; i++)
			absolute &= !tv->tiers[i].is_surcharge;
		if (!tv->has_price[band] && !absolute)
			return 0;
	}
	return 1;
}

/*
 * The part's hour in usage_hours (docs/tenant.md "Usage"), split over the
 * bands as rating from the state before the part (pre) splits it.
 */
static enum consume_status
rollup_add(struct cctx *x, const struct consume_reading *rd, const struct part *p, struct rate_state *pre,
    int64_t rated_nyuan)
{
	struct rate_usage u = { p->start, p->end, p->energy_milli, p->band };
	struct usage_split sp;
	char err[300], hour[24];

	if (usage_split_add(x->ctx, pre, &u, &sp, err, sizeof err) == -1)
		return fail(x->res, CONSUME_INVALID, "usage rollup: %s", err);
	tz_format_utc(usage_hour_of(p->start), hour, sizeof hour);
	if (db_exec(x->db, "INSERT INTO usage_hours (account_id, energy, hour_at, meter_id, sharp_milli, peak_milli,"
	    " flat_milli, valley_milli, unsplit_milli, rated_nyuan, sharp_nyuan, peak_nyuan, flat_nyuan, valley_nyuan)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
	    " sharp_milli = sharp_milli + VALUES(sharp_milli), peak_milli = peak_milli + VALUES(peak_milli),"
	    " flat_milli = flat_milli + VALUES(flat_milli), valley_milli = valley_milli + VALUES(valley_milli),"
	    " unsplit_milli = unsplit_milli + VALUES(unsplit_milli), rated_nyuan = rated_nyuan + VALUES(rated_nyuan),"
	    " sharp_nyuan = sharp_nyuan + VALUES(sharp_nyuan), peak_nyuan = peak_nyuan + VALUES(peak_nyuan),"
	    " flat_nyuan = flat_nyuan + VALUES(flat_nyuan), valley_nyuan = valley_nyuan + VALUES(valley_nyuan)",
	    "issiiiiiiiiiii", x->account_id, x->energy, hour, rd->meter_id, sp.band_milli[0], sp.band_milli[1],
	    sp.band_milli[2], sp.band_milli[3], sp.band_milli[4], rated_nyuan, sp.list_nyuan[0], sp.list_nyuan[1],
	    sp.list_nyuan[2], sp.list_nyuan[3]) < 0)
		return dberr(x, "cannot store the hourly usage");
	return CONSUME_OK;
}

static enum consume_status
post_part(struct cctx *x, const struct consume_reading *rd, const char *read_at, int idx, const struct part *p)
{
	struct rate_usage u = { p->start, p->end, p->energy_milli, p->band };
	struct rate_debit out[4];
	int nout;
	int64_t before, fen = 0, id;
	enum consume_status st;
	char err[300], s[24], e[24], counter[40];
	long long n;

	struct acct_state *as = &x->as;
	struct rate_state pre;

	if (p->band != RATE_BAND_SCHEDULE && p->energy_milli > 0 && !band_priced(x, p->band, p->start, p->end))
		return fail(x->res, CONSUME_INVALID, "tariff %s has no %s price: this meter's TOU registers cannot be"
		    " billed with it (post the total instead, or give the tariff a price for every band)",
		    x->terms.code, tariff_band_name(p->band));
	if (p->period < x->as.row) {
		if ((st = state_old(x, p->period, &as)) != CONSUME_OK)
			return st;
	} else if ((st = state_enter(x, p->period)) != CONSUME_OK)
		return st;
	before = rate_state_nyuan(&as->s);
	pre = as->s;
	if (rate_debit(x->ctx, &as->s, &u, out, 4, &nout, err, sizeof err) == -1)
		return fail(x->res, CONSUME_INVALID, "%s", err);
	as->dirty = 1;
	for (int i = 0; i < nout; i++) {
		if (out[i].period != p->period && out[i].fen != 0)
			return fail(x->res, CONSUME_INVALID, "internal: a debit of %" PRId64 " fen for period %d outside"
			    " the part's month %d", out[i].fen, out[i].period, p->period);
		fen += out[i].fen;
	}
	tz_format_utc(p->start, s, sizeof s);
	tz_format_utc(p->end, e, sizeof e);
	if (p->band == RATE_BAND_SCHEDULE)
		n = db_exec(x->db, "INSERT INTO consumption (meter_id, read_at, part, account_id, energy, period, start_at,"
		    " end_at, band, energy_milli, rated_nyuan, debit_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
		    "isiisissiii", rd->meter_id, read_at, (int64_t)idx, x->account_id, x->energy, (int64_t)p->period, s, e,
		    p->energy_milli, rate_state_nyuan(&as->s) - before, fen);
	else
		n = db_exec(x->db, "INSERT INTO consumption (meter_id, read_at, part, account_id, energy, period, start_at,"
		    " end_at, band, energy_milli, rated_nyuan, debit_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    "isiisissiiii", rd->meter_id, read_at, (int64_t)idx, x->account_id, x->energy, (int64_t)p->period,
		    s, e, (int64_t)p->band, p->energy_milli, rate_state_nyuan(&as->s) - before, fen);
	if (n < 0)
		return dberr(x, "cannot store the consumption");
	id = db_insert_id(x->db);
	if ((st = rollup_add(x, rd, p, &pre, rate_state_nyuan(&as->s) - before)) != CONSUME_OK)
		return st;
	x->res->rated_nyuan += rate_state_nyuan(&as->s) - before;
	if (fen > 0) {
		struct ledger_request rq;
		struct ledger_result lr;
		enum ledger_status ls;
		char key[LEDGER_KEY_MAX], ref[48];

		snprintf(key, sizeof key, "reading:%" PRId64 ":%" PRId64 ":%d", rd->meter_id, rd->end_ms, idx);
		snprintf(ref, sizeof ref, "consumption:%" PRId64, id);
		snprintf(counter, sizeof counter, "revenue:%s", x->energy);
		ledger_request_init(&rq, key, x->actor, x->account_id, LEDGER_CONSUMPTION, -fen, counter);
		rq.reference = ref;
		if ((ls = ledger_post_in_tx(x->db, &rq, &lr)) != LEDGER_OK) {
			ledger_err(x, ls, &lr);
			return x->res->status;
		}
		x->res->debit_fen += fen;
		x->res->balance_after_fen = lr.legs[0].balance_after_fen;
	}
	return CONSUME_OK;
}

/* Cuts [start, end) at local month starts; energies split on the
 * interval's straight line, floored (the pieces add up exactly). */
static enum consume_status
make_parts(struct cctx *x, const struct consume_reading *rd, int64_t start, int64_t end, struct part *parts,
    int *nparts)
{
	const struct tz *z = rate_tz(x->ctx);
	int64_t cuts[CONSUME_MAX_PARTS + 1];
	int32_t periods[CONSUME_MAX_PARTS];
	int ncuts = 0, nb = rd->nbands ? rd->nbands : 1;

	cuts[ncuts] = start;
	for (;;) {
		int32_t q = rate_period_of(x->ctx, cuts[ncuts]);
		int y = q / 100, m = q % 100 + 1;
		int64_t next;
		if (m > 12) {
			m = 1;
			y++;
		}
		tz_local_to_utc(z, tz_days_from_civil(y, m, 1) * 86400, &next);
		periods[ncuts] = q;
		if ((ncuts + 1) * nb > CONSUME_MAX_PARTS)
			return fail(x->res, CONSUME_INVALID, "the reading spans too many billing months: post it in"
			    " pieces of at most %d months", CONSUME_MAX_PARTS / nb);
		if (next >= end) {
			cuts[++ncuts] = end;
			break;
		}
		cuts[++ncuts] = next;
	}
	*nparts = 0;
	for (int b = 0; b < nb; b++) {
		int64_t e = rd->nbands ? rd->band_milli[b] : rd->energy_milli, done = 0;
		for (int i = 0; i < ncuts; i++) {
			struct part *p = &parts[*nparts];
			int64_t upto = i + 1 == ncuts ? e :
			    (int64_t)((i128)e * (cuts[i + 1] - start) / (end - start));
			p->start = cuts[i];
			p->end = cuts[i + 1];
			p->energy_milli = upto - done;
			p->band = rd->nbands ? rd->band[b] : RATE_BAND_SCHEDULE;
			p->period = periods[i];
			done = upto;
			(*nparts)++;
		}
	}
	return CONSUME_OK;
}

static int
part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->band - y->band;
}

enum consume_status
consume_post_in_tx(struct db *db, struct tariff_store *store, const struct consume_reading *rd,
    struct consume_result *res)
{
	struct cctx x = { .db = db, .store = store, .actor = rd->actor, .res = res };
	struct part parts[CONSUME_MAX_PARTS];
	struct db_rows *r;
	char read_at[32], key[64];
	int64_t account_id = 0, start, end;
	enum consume_status st;
	int rc, seen, nparts = 0;
	int energy = 0, enabled = 0;

	memset(res, 0, sizeof *res);
	if ((st = validate(rd, res)) != CONSUME_OK)
		return st;
	if ((r = db_query(db, "SELECT account_id, energy + 0, enabled FROM meters WHERE id = ?", "i",
	    rd->meter_id)) == NULL)
		return dberr(&x, "cannot read the meter");
	if ((rc = db_rows_next(r)) == 1) {
		account_id = db_rows_int(r, 0);
		energy = (int)db_rows_int(r, 1) - 1;
		enabled = (int)db_rows_int(r, 2);
	}
	db_rows_free(r);
	if (rc == -1)
		return dberr(&x, "cannot read the meter");
	if (rc == 0)
		return fail(res, CONSUME_NO_METER, "no meter %" PRId64, rd->meter_id);
	if (account_id == 0)
		return fail(res, CONSUME_NO_METER, "meter %" PRId64 " has no account: nobody to bill", rd->meter_id);
	if (energy < 0 || energy > 2)
		return fail(res, CONSUME_INVALID, "meter %" PRId64 ": unknown energy type", rd->meter_id);
	(void)enabled;	/* a disabled meter's last reading is still owed */
	if ((st = open_account(&x, account_id, energy_names[energy])) != CONSUME_OK)
		return st;
	fmt_utc_ms(rd->end_ms, read_at, sizeof read_at);
	if ((st = check_replay(&x, rd, read_at, &seen)) != CONSUME_OK || seen)
		return st;
	/* a reading that overlaps the meter's last one would bill energy twice */
	r = db_query(db, "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', read_at) DIV 1000 FROM consumption"
	    " WHERE meter_id = ? ORDER BY read_at DESC LIMIT 1", "i", rd->meter_id);
	if (r == NULL)
		return dberr(&x, "cannot read the meter's last reading");
	if ((rc = db_rows_next(r)) == 1 && db_rows_int(r, 0) > rd->start_ms) {
		char last[32];
		fmt_utc_ms(db_rows_int(r, 0), last, sizeof last);
		db_rows_free(r);
		return fail(res, CONSUME_OUT_OF_ORDER, "meter %" PRId64 ": the reading starts before the last one"
		    " posted ended (%s UTC); readings of a meter must not overlap", rd->meter_id, last);
	}
	db_rows_free(r);
	if (rc == -1)
		return dberr(&x, "cannot read the meter's last reading");
	/* rating works in seconds; a sub-second reading still covers one */
	start = tz_floor_div(rd->start_ms, 1000);
	end = tz_floor_div(rd->end_ms, 1000);
	if (end <= start)
		end = start + 1;
	if ((st = make_parts(&x, rd, start, end, parts, &nparts)) != CONSUME_OK)
		return st;
	/* by time, then band: the order the state moves through the months */
	qsort(parts, (size_t)nparts, sizeof parts[0], part_cmp);
	for (int i = 0; i < nparts; i++) {
		const struct tz *z = rate_tz(x.ctx);
		int64_t last = parts[i].end - 1;
		if ((st = charge_through(&x, tz_floor_div(last + tz_offset_at(z, last, NULL, NULL), 86400))) != CONSUME_OK)
			return st;
		if ((st = post_part(&x, rd, read_at, i, &parts[i])) != CONSUME_OK)
			return st;
	}
	res->nparts = nparts;
	if (state_save(&x) == -1)
		return dberr(&x, "cannot save the rating state");
	snprintf(key, sizeof key, "reading:%" PRId64 ":%" PRId64, rd->meter_id, rd->end_ms);
	if (apply_policy(&x, key) == -1)
		return res->status;
	res->status = CONSUME_OK;
	return CONSUME_OK;
}

enum consume_status
consume_fixed_charges_in_tx(struct db *db, struct tariff_store *store, int64_t account_id, const char *energy,
    int64_t through, const char *actor, struct consume_result *res)
{
	struct cctx x = { .db = db, .store = store, .actor = actor, .res = res };
	enum consume_status st;
	const struct tz *z;
	char cause[64];
	int ok = 0;

	memset(res, 0, sizeof *res);
	for (int i = 0; i < 3; i++)
		if (energy != NULL && strcmp(energy, energy_names[i]) == 0)
			ok = 1;
	if (!ok)
		return fail(res, CONSUME_INVALID, "energy must be electricity, water or gas");
	if (actor == NULL || actor[0] == '\0')
		return fail(res, CONSUME_INVALID, "no actor given");
	if ((st = open_account(&x, account_id, energy)) != CONSUME_OK)
		return st;
	z = rate_tz(x.ctx);
	if ((st = charge_through(&x, tz_floor_div(through + tz_offset_at(z, through, NULL, NULL), 86400))) != CONSUME_OK)
		return st;
	if (state_save(&x) == -1)
		return dberr(&x, "cannot save the rating state");
	snprintf(cause, sizeof cause, "charges:%" PRId64 ":%s", account_id, energy);
	if (apply_policy(&x, cause) == -1)
		return res->status;
	res->status = CONSUME_OK;
	return CONSUME_OK;
}
