/*
 * A quote: tariff JSON + usage CSV → rated breakdown and the lines a
 * tenant can check by hand. Pure (the caller reads the files and loads
 * the zone); `prepayctl tariff quote` and the case tests share it.
 */
#ifndef PREPAY_RATE_QUOTE_H
#define PREPAY_RATE_QUOTE_H
#include <stddef.h>
#include "billing/rate.h"

#define RATE_QUOTE_MAX_LINES 5000000

/*
 * Usage CSV: "start,end,energy" or "start,end,band,energy" per line, local
 * ISO 8601 times (an explicit "+08:00"/"Z" is honoured), energy as an exact
 * decimal with up to 3 places in the tariff's unit. An optional header line
 * starting with "start" and '#' comments are skipped. Lines must be in time
 * order without overlap.
 */
int rate_quote_usage_csv(const char *text, size_t len, const struct tz *, struct rate_usage **out, int *n,
    char *err, size_t errlen);

struct rate_quote {
	struct tariff *tariff;
	struct rate_ctx *ctx;
	struct rate_result *res;
	struct rate_state state;
	struct rate_usage *usage;
	int nusage;
	int64_t from, to;		/* UTC: local days charged fixed charges */
	int64_t energy_milli;
};

struct rate_quote_opts {
	const struct calendar *cal;	/* NULL: no holidays */
	struct rate_override ov;
	int64_t capacity_milli_kva;
	const char *from, *to;		/* local dates; NULL: the usage's days */
};

/* Errors start with "tariff: ", "usage line N: " or name the option. */
int rate_quote_run(struct rate_quote *, const char *tariff_json, size_t tariff_len, const char *usage_csv,
    size_t usage_len, const struct tz *, const struct rate_quote_opts *, char *err, size_t errlen);
void rate_quote_free(struct rate_quote *);

/* The breakdown, one line each (docs/tariffs.md, "Reading a quote"):
 *   energy 2024-01-01T00:00 peak t1 100.000 kWh x 1.080000 = 108.000000000
 *   fixed 2024-03 2024-01-01T00:00 daily standing 31 d x 1.000000 = 31.000000000
 *   adjust 2024-03 -5.00% of 108.000000000 = -5.400000000
 *   fee 2024-03 5.00% of 102.600000000 = 5.130000000
 *   period 2024-03 138.730000000 -> 138.73
 *   total 138.73                                                    */
void rate_quote_lines(const struct rate_quote *, void (*emit)(void *, const char *), void *arg);

/* "5.00%" from 500 bp */
void rate_format_bp(int32_t bp, char *buf, size_t len);

#endif
