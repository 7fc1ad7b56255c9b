/*
 * Pure arithmetic behind the usage series and the insights: bucket keys in
 * local time, and what the tenant's own figures say. No I/O; unit tested
 * (tests/unit/test-tenant-calc.c).
 */
#include <stdio.h>
#include <string.h>
#include "cgi/api.h"
#include "billing/tz.h"

int
usage_step_parse(const char *s)
{
	if (strcmp(s, "hour") == 0)
		return USAGE_HOUR;
	if (strcmp(s, "day") == 0)
		return USAGE_DAY;
	if (strcmp(s, "month") == 0)
		return USAGE_MONTH;
	return -1;
}

int64_t
usage_bucket_key(int64_t local, int step)
{
	int y, m, d;

	switch (step) {
	case USAGE_HOUR:
		return tz_floor_div(local, 3600);
	case USAGE_DAY:
		return tz_floor_div(local, 86400);
	default:
		tz_civil_from_days(tz_floor_div(local, 86400), &y, &m, &d);
		return (int64_t)y * 12 + (m - 1);
	}
}

int64_t
usage_bucket_start(int64_t key, int step)
{
	switch (step) {
	case USAGE_HOUR:
		return key * 3600;
	case USAGE_DAY:
		return key * 86400;
	default:
		return tz_days_from_civil((int)tz_floor_div(key, 12), (int)(key - tz_floor_div(key, 12) * 12) + 1, 1) * 86400;
	}
}

/* Median of n values (n <= INSIGHT_MAX_DAYS), the lower one of the middle two. */
static int64_t
median(const int64_t *v, int n)
{
	int64_t s[INSIGHT_MAX_DAYS];

	if (n <= 0)
		return 0;
	memcpy(s, v, (size_t)n * sizeof s[0]);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
			int64_t t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	return s[(n - 1) / 2];
}

void
insights_compute(const struct insight_in *in, struct insight_out *out)
{
	int64_t peak = in->band_milli[0] + in->band_milli[1], total = 0, wd = 0, we = 0;
	int nwd = 0, nwe = 0, n = in->ndays > INSIGHT_MAX_DAYS ? INSIGHT_MAX_DAYS : in->ndays;

	memset(out, 0, sizeof *out);
	for (int b = 0; b < 4; b++)
		total += in->band_milli[b];
	out->total_milli = total;
	out->peak_share_bp = total > 0 ? peak * 10000 / total : 0;
	out->shift_milli = peak * in->shift_pct / 100;
	if (in->has_price && peak > 0) {
		/* the peak side's price weighted by what was used in sharp and peak */
		int64_t peak_price = (in->price_uyuan[0] * in->band_milli[0] + in->price_uyuan[1] * in->band_milli[1]) / peak;
		int64_t diff = peak_price - in->price_uyuan[3];
		int64_t nyuan = out->shift_milli * (diff > 0 ? diff : 0);
		out->shift_saving_fen = (nyuan + 5000000) / 10000000;
		out->peak_price_uyuan = peak_price;
	}
	out->night_base_w = in->night_hours > 0 ? in->night_milli / in->night_hours : 0;
	for (int i = 0; i < n; i++) {
		if (in->day_weekend[i]) {
			we += in->day_milli[i];
			nwe++;
		} else {
			wd += in->day_milli[i];
			nwd++;
		}
	}
	out->weekday_avg_w = nwd > 0 ? wd / (nwd * 24) : 0;
	out->weekend_avg_w = nwe > 0 ? we / (nwe * 24) : 0;
	out->baseline_milli = median(in->day_milli, n);
	/* a day stands out at more than 1.5 times the tenant's median day */
	for (int i = 0; i < n && out->nstandout < INSIGHT_MAX_STANDOUT; i++)
		if (out->baseline_milli > 0 && 2 * in->day_milli[i] > 3 * out->baseline_milli)
			out->standout[out->nstandout++] = i;
}

/* "2026-11-01" or "2026-11-01T16:00:00Z" (UTC) → "2026-11-01 16:00:00" in v->str's place. */
int
tenant_valid_instant(const struct param_def *d, const char *s, struct param_value *v, char *err, size_t errlen)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t n = strlen(s);
	int y, mo, da, h = 0, mi = 0, se = 0;

	(void)d;
	if (n != 10 && n != 20)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			goto bad;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	da = (s[8] - '0') * 10 + (s[9] - '0');
	if (n == 20) {
		h = (s[11] - '0') * 10 + (s[12] - '0');
		mi = (s[14] - '0') * 10 + (s[15] - '0');
		se = (s[17] - '0') * 10 + (s[18] - '0');
	}
	if (y < 2000 || y > 2999 || mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 59)
		goto bad;
	v->num = ((int64_t)y * 10000 + mo * 100 + da) * 1000000 + h * 10000 + mi * 100 + se;
	return 0;
bad:
	snprintf(err, errlen, "must be a date like 2026-11-01 or a UTC time like 2026-11-01T16:00:00Z");
	return -1;
}

/* The SQL DATETIME text of a validated instant. */
void
tenant_instant_sql(int64_t num, char *out, size_t outlen)
{
	int64_t date = num / 1000000, t = num % 1000000;

	snprintf(out, outlen, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld", (long long)(date / 10000),
	    (long long)(date / 100 % 100), (long long)(date % 100), (long long)(t / 10000), (long long)(t / 100 % 100),
	    (long long)(t % 100));
}
