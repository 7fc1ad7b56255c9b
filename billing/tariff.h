/*
 * The tariff model: what a price list says, independent of JSON and of any
 * time zone. See docs/tariffs.md for the file format and the units:
 *   energy        int64 milli-units of the tariff's unit  (energy_milli: Wh, litres)
 *   prices        int64 micro-yuan per unit               (price_uyuan: ¥0.6523 = 652300)
 *   amounts       int64 nano-yuan                          (amount_nyuan; 1 fen = 10^7)
 *   percentages   basis points                             (fee_bp: 5.00% = 500)
 */
#ifndef PREPAY_TARIFF_H
#define PREPAY_TARIFF_H
#include <stddef.h>
#include <stdint.h>
#include "billing/calendar.h"

#define TARIFF_MAX_VERSIONS 64
#define TARIFF_MAX_SCHEDULES 16
#define TARIFF_MAX_SEASONS 12
#define TARIFF_MAX_TIERS 8
#define TARIFF_MAX_CHARGES 8
#define TARIFF_MINUTES 1440
#define TARIFF_NAME_MAX 64
/* limits that keep every product inside int64 (docs/tariffs.md) */
#define TARIFF_MAX_PRICE_UYUAN 100000000LL	/* ¥100 per unit */
#define TARIFF_MAX_CHARGE_UYUAN 1000000000000LL	/* ¥1,000,000 per day/month/kVA/kW */
#define TARIFF_MAX_ENERGY_MILLI 1000000000000LL	/* 10^9 units */
#define TARIFF_NYUAN_PER_FEN 10000000LL

enum tariff_band { TARIFF_SHARP, TARIFF_PEAK, TARIFF_FLAT, TARIFF_VALLEY, TARIFF_NBANDS };
enum tariff_energy { TARIFF_ELECTRICITY, TARIFF_WATER, TARIFF_GAS };
enum tariff_period { TARIFF_PERIOD_MONTH, TARIFF_PERIOD_YEAR };
enum tariff_charge_kind {
	TARIFF_CHARGE_DAILY,	/* standing charge per day */
	TARIFF_CHARGE_MONTHLY,	/* standing charge per month */
	TARIFF_CHARGE_CAPACITY,	/* per kVA of contracted capacity per month */
	TARIFF_CHARGE_DEMAND,	/* per kW of the month's max 15-minute demand */
	TARIFF_NCHARGE_KINDS
};

/* One day: band per local minute, and where each minute's run of the same
 * band ends (so rating finds the next boundary with one lookup). */
struct tariff_schedule {
	char name[TARIFF_NAME_MAX];
	uint8_t band[TARIFF_MINUTES];
	uint16_t run_end[TARIFF_MINUTES];
};

/* A schedule entry as written: [from, to) minutes; to < from wraps midnight. */
struct tariff_segment {
	int from_min, to_min;
	enum tariff_band band;
};

struct tariff_season {
	char name[TARIFF_NAME_MAX];
	int8_t schedule[CALENDAR_NDAY_TYPES];	/* index into version schedules */
};

struct tariff_tier {
	int64_t from_milli;	/* cumulative usage in the period where the tier starts */
	int64_t price_uyuan;	/* the price, or the surcharge on the band price */
	int is_surcharge;
};

struct tariff_charge {
	enum tariff_charge_kind kind;
	char name[TARIFF_NAME_MAX];
	int64_t price_uyuan;	/* per day, per month, per kVA·month or per kW·month */
};

struct tariff_version {
	int64_t effective_local;	/* local wall-clock seconds */
	uint8_t has_price[TARIFF_NBANDS];
	int64_t price_uyuan[TARIFF_NBANDS];
	int nschedules;			/* 0: the whole day is flat */
	struct tariff_schedule *schedules;
	int nseasons;
	struct tariff_season seasons[TARIFF_MAX_SEASONS];
	int8_t season_of_month[12];	/* -1: not yet covered */
	enum tariff_period tier_period;
	int ntiers;			/* 0: one tier, surcharge 0 */
	struct tariff_tier tiers[TARIFF_MAX_TIERS];
	int ncharges;
	struct tariff_charge charges[TARIFF_MAX_CHARGES];
	int32_t service_fee_bp;
};

struct tariff {
	char id[TARIFF_NAME_MAX];
	char name[128];
	enum tariff_energy energy;
	int nversions;
	struct tariff_version versions[TARIFF_MAX_VERSIONS];
};

struct tariff *tariff_new(void);
void tariff_free(struct tariff *);

const char *tariff_band_name(enum tariff_band);	/* "peak" */
const char *tariff_band_name_zh(enum tariff_band);	/* "峰" */
int tariff_band_parse(const char *, enum tariff_band *);
const char *tariff_unit(enum tariff_energy);		/* "kWh", "m3" */
const char *tariff_energy_name(enum tariff_energy);
const char *tariff_charge_kind_name(enum tariff_charge_kind);

/* Fills a schedule from its entries; err (without the path) names the entry
 * and the gap or overlap. */
int tariff_schedule_fill(struct tariff_schedule *, const struct tariff_segment *, int n,
    char *err, size_t errlen);

/* Whole-tariff checks that need more than one field: version order, months
 * covered once, tier order, prices present for every band a schedule uses.
 * err starts with the JSON path ("versions[1].tiers[2].from: ..."). */
int tariff_validate(const struct tariff *, char *err, size_t errlen);

/* Price of (version, band, tier) before any tenant override. */
int64_t tariff_price(const struct tariff_version *, enum tariff_band, int tier);

/* Exact decimals: "12.345" → 12345 with scale 3. Up to `scale` decimals,
 * no sign unless allow_neg, no exponent; -1 on anything else or > max. */
int tariff_parse_decimal(const char *s, size_t len, int scale, int allow_neg, int64_t max, int64_t *v);
/* v with `scale` decimals, trailing zeros kept: (12345, 3) → "12.345" */
void tariff_format_decimal(int64_t v, int scale, char *buf, size_t len);

#endif
