/*
 * libFuzzer target: tariff JSON → model. A file that parses is also rated
 * over a few days in a DST zone, so whatever the validator lets through
 * must rate without crashing. Seeds: the JSON files in docs/tariffs/ and
 * tests/tariff-cases (the tariff sections).
 */
#include <stddef.h>
#include <stdint.h>
#include "billing/rate.h"
#include "billing/tariff_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tz *z;
	char err[512];
	struct tariff *t;

	if (z == NULL && (z = tz_load("Europe/Berlin", err, sizeof err)) == NULL)
		z = tz_fixed("UTC", 0);
	if ((t = tariff_json_parse((const char *)data, size, err, sizeof err)) == NULL)
		return 0;
	struct rate_override ov = { 0, 0, -500 };
	struct rate_ctx *c = rate_ctx_new(t, NULL, z, &ov, err, sizeof err);
	struct rate_result *r = rate_result_new();
	struct rate_state s = { 0 };
	int64_t at = t->versions[0].effective_local - 7200;
	for (int i = 0; i < 200; i++) {
		struct rate_usage u = { at, at + 1800 + i * 97, 1000 + i * 37, i % 11 == 0 ? i % 4 : RATE_BAND_SCHEDULE };
		if (rate_add(c, &s, &u, r, err, sizeof err) == -1)
			break;
		at = u.end;
	}
	rate_finish(c, &s, r);
	rate_fixed(c, r, t->versions[0].effective_local, t->versions[0].effective_local + 3 * 86400, 1000, err,
	    sizeof err);
	rate_totals(r);
	rate_result_free(r);
	rate_ctx_free(c);
	tariff_free(t);
	return 0;
}
