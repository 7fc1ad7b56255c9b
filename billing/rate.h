/*
 * Rating: usage → money, pure (no I/O, no globals; a rate_ctx is one
 * thread's). The same code serves three callers:
 *
 *   statements / quote   rate_add() for each interval into a rate_result
 *                        (quantities and amounts by version × band × tier),
 *                        then rate_finish(), rate_fixed(), rate_totals();
 *   the poller           rate_debit() per reading delta: updates the
 *                        persisted rate_state and says how many fen to debit;
 *   fixed-charge posting rate_debit_fixed() into the same state.
 *
 * Rounding (docs/tariffs.md): amounts are exact in nano-yuan
 * (energy_milli × price_uyuan). Tenant adjustment and service fee are
 * rounded half up on the period's running sum (a carry of the remainder),
 * and a billing period's fen = round_half_up(period nyuan / 10^7). A
 * real-time debit is the change of that rounded figure, so the debits of
 * a period add up to its statement exactly.
 */
#ifndef PREPAY_RATE_H
#define PREPAY_RATE_H
#include <stddef.h>
#include <stdint.h>
#include "billing/calendar.h"
#include "billing/tariff.h"
#include "billing/tz.h"

#define RATE_BAND_SCHEDULE (-1)		/* usage without a band: split by the schedule */
#define RATE_MAX_USAGE_MILLI 10000000000LL	/* 10^7 units in one interval */
#define RATE_DEMAND_WINDOW 900		/* seconds: 15-minute demand */
#define RATE_MAX_FIXED_DAYS 3700

/* Per-tenant overrides. */
struct rate_override {
	int has_unit_price;
	int64_t unit_price_uyuan;	/* replaces every band and tier price */
	int32_t adjust_bp;		/* discount (< 0) or markup (> 0) on energy charges */
};

/* One reading's consumption: [start, end) UTC seconds. */
struct rate_usage {
	int64_t start, end;
	int64_t energy_milli;
	int band;		/* RATE_BAND_SCHEDULE, or the register's enum tariff_band */
};

/*
 * What the caller persists per account (and energy type) between
 * readings. All zero is a valid start.
 */
struct rate_state {
	int32_t period;			/* billing month yyyymm (local); 0: none yet */
	int32_t tier_period;		/* yyyymm or yyyy, as the version's tiers say */
	int64_t tier_energy_milli;	/* usage so far in the tier period */
	int64_t energy_nyuan;		/* Σ quantity × price in the billing period */
	int64_t adjust_nyuan, adjust_carry;	/* carry: remainder ×10^4, in [0, 10^4) */
	int64_t fee_nyuan, fee_carry;
	int64_t fixed_nyuan;		/* standing, capacity, demand charges posted */
	int64_t debited_fen;		/* fen debited so far in the period */
};

struct rate_debit {
	int32_t period;			/* yyyymm */
	int64_t fen;			/* debit this much now (>= 0 for usage) */
};

struct rate_cell {
	int64_t energy_milli;
	int64_t amount_nyuan;
};

struct rate_period {
	int32_t period;			/* yyyymm */
	uint64_t versions;		/* bit v: version v rated usage here */
	int64_t energy_milli;
	int64_t energy_nyuan, adjust_nyuan, fee_nyuan, fixed_nyuan;
	int64_t total_nyuan, total_fen;	/* set by rate_totals() */
	int64_t demand_w[TARIFF_MAX_VERSIONS];	/* max 15-min demand in W (= milli-kW) */
};

struct rate_fixed_line {
	int32_t period;
	int version, charge;		/* index into the version's charges */
	int32_t days, month_days;	/* days charged of the month's days */
	int64_t qty;			/* days, milli-kVA or W of demand */
	int64_t amount_nyuan;
};

struct rate_result {
	int nversions;
	struct rate_cell cell[TARIFF_MAX_VERSIONS][TARIFF_NBANDS][TARIFF_MAX_TIERS];
	int nperiods, cap_periods, cur;	/* cur: index of the state's period */
	struct rate_period *periods;	/* in time order */
	int nfixed, cap_fixed;
	struct rate_fixed_line *fixed;
	int64_t total_nyuan, total_fen;
	int64_t win, win_energy_milli;	/* the 15-minute demand window being filled */
	int win_period, win_version;
};

struct rate_ctx;

/* Prepares a tariff for rating in a site's zone and calendar (cal may be
 * NULL: Saturdays and Sundays are the weekend, no holidays). The tariff,
 * calendar and zone must outlive the context. */
struct rate_ctx *rate_ctx_new(const struct tariff *, const struct calendar *, const struct tz *,
    const struct rate_override *, char *err, size_t errlen);
void rate_ctx_free(struct rate_ctx *);
/* UTC instant version v takes effect */
int64_t rate_version_start(const struct rate_ctx *, int v);
/* price actually used for (version, band, tier), override included */
int64_t rate_price(const struct rate_ctx *, int v, int band, int tier);
const struct tariff *rate_tariff(const struct rate_ctx *);
const struct tz *rate_tz(const struct rate_ctx *);
int32_t rate_adjust_bp(const struct rate_ctx *);

/* Batch rating. Intervals must come in time order without overlap. */
struct rate_result *rate_result_new(void);
void rate_result_free(struct rate_result *);
int rate_add(struct rate_ctx *, struct rate_state *, const struct rate_usage *, struct rate_result *,
    char *err, size_t errlen);
/* closes the open period (and demand window) into the result */
void rate_finish(struct rate_ctx *, const struct rate_state *, struct rate_result *);
/* Fixed charges for the local days whose midnight lies in [from, to).
 * capacity_milli_kva: contracted capacity (needed when a capacity charge exists). */
int rate_fixed(struct rate_ctx *, struct rate_result *, int64_t from, int64_t to,
    int64_t capacity_milli_kva, char *err, size_t errlen);
/* per-period and overall totals, fen rounded per period */
void rate_totals(struct rate_result *);

/* Real time: rates one reading's usage into the state and fills the fen to
 * debit per billing period touched (a delta across a month end debits the
 * old month's last fen and the new month's). The state is unchanged on
 * error. */
int rate_debit(struct rate_ctx *, struct rate_state *, const struct rate_usage *,
    struct rate_debit *out, int maxout, int *nout, char *err, size_t errlen);
/* Posts a fixed charge of amount_nyuan into the state's period; returns
 * the fen to debit. */
int rate_debit_fixed(struct rate_state *, int32_t period, int64_t amount_nyuan, int64_t *fen,
    char *err, size_t errlen);

/* The period's money as the state has it: energy + adjustment + fee + fixed. */
int64_t rate_state_nyuan(const struct rate_state *);
/* round half up (towards +infinity) to fen */
int64_t rate_round_fen(int64_t nyuan);
/* local billing month (yyyymm) of a UTC instant */
int32_t rate_period_of(const struct rate_ctx *, int64_t utc);

/*
 * Shared meters: split total (any unit: nyuan, fen, milli-units) by
 * weights so the parts add up to the total exactly: each part gets
 * floor(total × w / Σw), and the units left over go one each to the
 * largest remainders (ties: earlier entry first). Weights >= 0, Σw > 0.
 */
int rate_apportion(int64_t total, const int64_t *weights, int n, int64_t *out, char *err, size_t errlen);
/* Line loss: master − Σ sub-meters (negative means the sub-meters read more). */
int64_t rate_line_loss(int64_t master_milli, const int64_t *sub_milli, int n);

#endif
