/*
 * The hourly usage rollup's arithmetic (docs/tenant.md "Usage"), pure:
 * how one consumption row lands in usage_hours. Real time
 * (billing/consume.c) and `prepayctl usage rebuild` both call it, so the
 * incremental rows and the rebuilt ones are the same numbers.
 */
#ifndef PREPAY_USAGE_ROLLUP_H
#define PREPAY_USAGE_ROLLUP_H
#include <stddef.h>
#include <stdint.h>
#include "billing/rate.h"

#define USAGE_ROLLUP_NBANDS 5		/* sharp, peak, flat, valley, unsplit */
#define USAGE_ROLLUP_UNSPLIT 4

struct usage_split {
	int64_t band_milli[USAGE_ROLLUP_NBANDS];
	int64_t list_nyuan[TARIFF_NBANDS];	/* list price × energy per band, tiers applied */
};

/*
 * Rates u into s (advancing its tier position like rate_debit does) and
 * says which bands the energy went to at which list price. The split is
 * the rating's own (rate_add cells), so a schedule-split row and a band
 * register row are treated alike. 0, or -1 with err (s unchanged, out
 * all unsplit).
 */
int usage_split_add(struct rate_ctx *, struct rate_state *s, const struct rate_usage *u, struct usage_split *out,
    char *err, size_t errlen);

/* A row that cannot be rated (no tariff): all of it unsplit. */
void usage_split_unsplit(int64_t energy_milli, struct usage_split *out);

/* The UTC hour a row starting at start (UTC seconds) is counted in. */
int64_t usage_hour_of(int64_t start);

#endif
