#include <string.h>
#include "billing/usage_rollup.h"

void
usage_split_unsplit(int64_t energy_milli, struct usage_split *out)
{
	memset(out, 0, sizeof *out);
	out->band_milli[USAGE_ROLLUP_UNSPLIT] = energy_milli;
}

int
usage_split_add(struct rate_ctx *c, struct rate_state *s, const struct rate_usage *u, struct usage_split *out,
    char *err, size_t errlen)
{
	struct rate_result *r = rate_result_new();
	struct rate_state w = *s;

	usage_split_unsplit(u->energy_milli, out);
	if (rate_add(c, &w, u, r, err, errlen) == -1) {
		rate_result_free(r);
		return -1;
	}
	/* Σ over versions and tiers of each band's cells */
	out->band_milli[USAGE_ROLLUP_UNSPLIT] = 0;
	for (int v = 0; v < r->nversions; v++)
		for (int b = 0; b < TARIFF_NBANDS; b++)
			for (int t = 0; t < TARIFF_MAX_TIERS; t++) {
				out->band_milli[b] += r->cell[v][b][t].energy_milli;
				out->list_nyuan[b] += r->cell[v][b][t].amount_nyuan;
			}
	rate_result_free(r);
	*s = w;
	return 0;
}

int64_t
usage_hour_of(int64_t start)
{
	return tz_floor_div(start, 3600) * 3600;
}
