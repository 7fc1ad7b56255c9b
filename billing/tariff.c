#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/tariff.h"
#include "billing/tz.h"
#include "lib/xmalloc.h"

struct tariff *
tariff_new(void)
{
	return xcalloc(1, sizeof(struct tariff));
}

void
tariff_free(struct tariff *t)
{
	if (t == NULL)
		return;
	for (int v = 0; v < t->nversions; v++)
		free(t->versions[v].schedules);
	free(t);
}

static const char *const band_names[TARIFF_NBANDS] = { "sharp", "peak", "flat", "valley" };
static const char *const band_names_zh[TARIFF_NBANDS] = { "尖", "峰", "平", "谷" };

const char *
tariff_band_name(enum tariff_band b)
{
	return (unsigned)b < TARIFF_NBANDS ? band_names[b] : "?";
}

const char *
tariff_band_name_zh(enum tariff_band b)
{
	return (unsigned)b < TARIFF_NBANDS ? band_names_zh[b] : "?";
}

int
tariff_band_parse(const char *s, enum tariff_band *b)
{
	for (int i = 0; i < TARIFF_NBANDS; i++)
		if (strcmp(s, band_names[i]) == 0 || strcmp(s, band_names_zh[i]) == 0) {
			*b = (enum tariff_band)i;
			return 0;
		}
	return -1;
}

const char *
tariff_unit(enum tariff_energy e)
{
	return e == TARIFF_ELECTRICITY ? "kWh" : "m3";
}

const char *
tariff_energy_name(enum tariff_energy e)
{
	static const char *names[] = { "electricity", "water", "gas" };

	return (unsigned)e <= TARIFF_GAS ? names[e] : "?";
}

const char *
tariff_charge_kind_name(enum tariff_charge_kind k)
{
	static const char *names[] = { "daily", "monthly", "capacity", "demand" };

	return (unsigned)k < TARIFF_NCHARGE_KINDS ? names[k] : "?";
}

static void
fmt_min(int m, char *buf, size_t len)
{
	snprintf(buf, len, "%02d:%02d", (m / 60) % 100, m % 60);
}

int
tariff_schedule_fill(struct tariff_schedule *s, const struct tariff_segment *seg, int n,
    char *err, size_t errlen)
{
	int8_t owner[TARIFF_MINUTES];
	char a[8], b[8], c[8], d[8];

	memset(owner, -1, sizeof owner);
	if (n < 1 || n > 127) {
		snprintf(err, errlen, "a schedule needs 1 to 127 entries");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int from = seg[i].from_min, to = seg[i].to_min;
		if (from < 0 || from >= TARIFF_MINUTES || to < 0 || to > TARIFF_MINUTES || from == to ||
		    (unsigned)seg[i].band >= TARIFF_NBANDS) {
			snprintf(err, errlen, "[%d]: from and to must be times 00:00..24:00 that differ", i);
			return -1;
		}
		/* to < from runs past midnight: 22:00-06:00 */
		int len = to > from ? to - from : to + TARIFF_MINUTES - from;
		for (int k = 0; k < len; k++) {
			int m = (from + k) % TARIFF_MINUTES;
			if (owner[m] >= 0) {
				const struct tariff_segment *o = &seg[owner[m]];
				fmt_min(from, a, sizeof a);
				fmt_min(to, b, sizeof b);
				fmt_min(o->from_min, c, sizeof c);
				fmt_min(o->to_min, d, sizeof d);
				snprintf(err, errlen, "[%d]: %s-%s overlaps [%d] %s-%s at %02d:%02d",
				    i, a, b, owner[m], c, d, m / 60, m % 60);
				return -1;
			}
			owner[m] = (int8_t)i;
			s->band[m] = (uint8_t)seg[i].band;
		}
	}
	for (int m = 0; m < TARIFF_MINUTES; m++) {
		if (owner[m] >= 0)
			continue;
		int e = m;
		while (e < TARIFF_MINUTES && owner[e] < 0)
			e++;
		fmt_min(m, a, sizeof a);
		fmt_min(e, b, sizeof b);
		snprintf(err, errlen, "%s-%s is not covered by any entry (a day needs 00:00-24:00 without gaps)", a, b);
		return -1;
	}
	for (int m = TARIFF_MINUTES - 1; m >= 0; m--)
		s->run_end[m] = (uint16_t)(m + 1 < TARIFF_MINUTES && s->band[m + 1] == s->band[m] ?
		    s->run_end[m + 1] : m + 1);
	return 0;
}

int64_t
tariff_price(const struct tariff_version *v, enum tariff_band b, int tier)
{
	if (v->ntiers == 0)
		return v->price_uyuan[b];
	if (v->tiers[tier].is_surcharge)
		return v->price_uyuan[b] + v->tiers[tier].price_uyuan;
	return v->tiers[tier].price_uyuan;
}

static const char *const month_names[12] = { "January", "February", "March", "April", "May",
	"June", "July", "August", "September", "October", "November", "December" };

static int
version_validate(const struct tariff *t, int vi, char *err, size_t errlen)
{
	const struct tariff_version *v = &t->versions[vi];
	int used[TARIFF_NBANDS] = { 0 }, all_tiers_priced = v->ntiers > 0;
	char when[24];

	if (vi > 0 && v->effective_local <= t->versions[vi - 1].effective_local) {
		tz_format_local(t->versions[vi - 1].effective_local, when, sizeof when);
		snprintf(err, errlen, "versions[%d].effective_from: must be after versions[%d] (%s); "
		    "list versions oldest first", vi, vi - 1, when);
		return -1;
	}
	if (v->nschedules > 0) {
		if (v->nseasons == 0) {
			snprintf(err, errlen, "versions[%d].seasons: schedules need seasons that use them", vi);
			return -1;
		}
		for (int m = 0; m < 12; m++)
			if (v->season_of_month[m] < 0) {
				snprintf(err, errlen, "versions[%d].seasons: month %d (%s) is in no season; "
				    "the seasons must cover every month once", vi, m + 1, month_names[m]);
				return -1;
			}
		for (int s = 0; s < v->nschedules; s++) {
			int refs = 0;
			for (int se = 0; se < v->nseasons; se++)
				for (int d = 0; d < CALENDAR_NDAY_TYPES; d++)
					refs += v->seasons[se].schedule[d] == s;
			if (refs == 0) {
				snprintf(err, errlen, "versions[%d].schedules.%s: no season uses this schedule",
				    vi, v->schedules[s].name);
				return -1;
			}
			for (int m = 0; m < TARIFF_MINUTES; m++)
				used[v->schedules[s].band[m]] = 1;
		}
	} else {
		used[TARIFF_FLAT] = 1;
	}
	for (int i = 0; i < v->ntiers; i++) {
		const struct tariff_tier *tr = &v->tiers[i];
		if (tr->is_surcharge)
			all_tiers_priced = 0;
		if (i == 0 && tr->from_milli != 0) {
			snprintf(err, errlen, "versions[%d].tiers.steps[0].from: the first tier must start at 0", vi);
			return -1;
		}
		if (i > 0 && tr->from_milli <= v->tiers[i - 1].from_milli) {
			snprintf(err, errlen, "versions[%d].tiers.steps[%d].from: tiers out of order: must be "
			    "above steps[%d].from", vi, i, i - 1);
			return -1;
		}
	}
	if (!all_tiers_priced)
		for (int b = 0; b < TARIFF_NBANDS; b++)
			if (used[b] && !v->has_price[b]) {
				snprintf(err, errlen, "versions[%d].prices.%s: missing; the %s band is used%s",
				    vi, tariff_band_name((enum tariff_band)b), tariff_band_name((enum tariff_band)b),
				    v->nschedules ? " by a schedule" : " all day when there are no schedules");
				return -1;
			}
	for (int c = 0; c < v->ncharges; c++) {
		enum tariff_charge_kind k = v->charges[c].kind;
		if ((k == TARIFF_CHARGE_CAPACITY || k == TARIFF_CHARGE_DEMAND) && t->energy != TARIFF_ELECTRICITY) {
			snprintf(err, errlen, "versions[%d].charges[%d].kind: %s charges are for electricity only",
			    vi, c, tariff_charge_kind_name(k));
			return -1;
		}
		for (int o = 0; o < c; o++)
			if (v->charges[o].kind == k && strcmp(v->charges[o].name, v->charges[c].name) == 0) {
				snprintf(err, errlen, "versions[%d].charges[%d]: same kind and name as charges[%d]",
				    vi, c, o);
				return -1;
			}
	}
	if (v->service_fee_bp < 0 || v->service_fee_bp > 10000) {
		snprintf(err, errlen, "versions[%d].service_fee_bp: must be 0..10000 (basis points: 500 = 5%%)", vi);
		return -1;
	}
	return 0;
}

int
tariff_validate(const struct tariff *t, char *err, size_t errlen)
{
	if (t->nversions < 1) {
		snprintf(err, errlen, "versions: a tariff needs at least one version");
		return -1;
	}
	for (int v = 0; v < t->nversions; v++)
		if (version_validate(t, v, err, errlen) == -1)
			return -1;
	return 0;
}

int
tariff_parse_decimal(const char *s, size_t len, int scale, int allow_neg, int64_t max, int64_t *v)
{
	int neg = 0, decimals = -1, ndig = 0;
	int64_t x = 0;
	size_t i = 0;

	if (i < len && (s[i] == '-' || s[i] == '+')) {
		neg = s[i] == '-';
		i++;
		if (neg && !allow_neg)
			return -1;
	}
	for (; i < len; i++) {
		if (s[i] == '.' && decimals < 0 && ndig > 0) {
			decimals = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (decimals >= 0 && ++decimals > scale)
			return -1;
		ndig++;
		if (x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (ndig == 0 || decimals == 0)
		return -1;
	for (int d = decimals < 0 ? 0 : decimals; d < scale; d++) {
		if (x > max)
			return -1;
		x *= 10;
	}
	if (x > max)
		return -1;
	*v = neg ? -x : x;
	return 0;
}

void
tariff_format_decimal(int64_t v, int scale, char *buf, size_t len)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, p = 1;

	for (int i = 0; i < scale; i++)
		p *= 10;
	if (scale == 0)
		snprintf(buf, len, "%s%llu", v < 0 ? "-" : "", (unsigned long long)m);
	else
		snprintf(buf, len, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)(m / p), scale,
		    (unsigned long long)(m % p));
}
