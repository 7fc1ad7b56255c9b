/*
 * prepayctl tariff quote: rate a usage CSV with a tariff file and print a
 * breakdown a tenant can check by hand. Needs no config and no database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "billing/rate_quote.h"
#include "billing/tariff_json.h"
#include "tools/ctl.h"
#include "lib/xmalloc.h"

#define QUOTE_FILE_MAX (512 * 1024 * 1024)

static char *
read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (n == cap) {
			if (cap >= max) {
				snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
				fclose(f);
				free(buf);
				return NULL;
			}
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap + 1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

struct json_lines {
	cJSON *arr;
};

static void
emit_text(void *arg, const char *line)
{
	(void)arg;
	puts(line);
}

static void
emit_json(void *arg, const char *line)
{
	cJSON_AddItemToArray(((struct json_lines *)arg)->arr, cJSON_CreateString(line));
}

/* Human output: a header, then the documented breakdown lines as they are
 * (docs/tariffs.md), so what a tenant reads is what the tests check. */
static void
print_text(const struct rate_quote *q, const char *path, const struct tz *z)
{
	const struct tariff *t = q->tariff;
	char a[40], from[24], to[24];

	tariff_format_decimal(q->energy_milli, 3, a, sizeof a);
	tz_format_local(q->from + tz_offset_at(z, q->from, NULL, NULL), from, sizeof from);
	tz_format_local(q->to + tz_offset_at(z, q->to, NULL, NULL), to, sizeof to);
	printf("tariff %s%s%s%s (%s, %s) from %s, time zone %s\n", t->id, t->name[0] ? " \"" : "", t->name,
	    t->name[0] ? "\"" : "", tariff_energy_name(t->energy), tariff_unit(t->energy), path, tz_name(z));
	printf("usage: %d intervals, %s %s; fixed charges for local days %.10s .. %.10s (exclusive)\n",
	    q->nusage, a, tariff_unit(t->energy), from, to);
	printf("amounts in yuan: quantity x price = amount, exact to 0.000000001;\n"
	    "each billing period is rounded once, half up, to the fen (->)\n\n");
	rate_quote_lines(q, emit_text, NULL);
}

static void
print_json(const struct rate_quote *q, const struct tz *z)
{
	cJSON *o = cJSON_CreateObject(), *periods = cJSON_AddArrayToObject(o, "periods");
	struct json_lines jl = { cJSON_AddArrayToObject(o, "lines") };
	char a[40];
	char *s;

	cJSON_AddStringToObject(o, "tariff", q->tariff->id);
	cJSON_AddStringToObject(o, "timezone", tz_name(z));
	cJSON_AddStringToObject(o, "unit", tariff_unit(q->tariff->energy));
	cJSON_AddNumberToObject(o, "intervals", q->nusage);
	cJSON_AddStringToObject(o, "energy", (tariff_format_decimal(q->energy_milli, 3, a, sizeof a), a));
	rate_quote_lines(q, emit_json, &jl);
	for (int i = 0; i < q->res->nperiods; i++) {
		const struct rate_period *p = &q->res->periods[i];
		cJSON *x = cJSON_CreateObject();
		char per[16];
		snprintf(per, sizeof per, "%04d-%02d", p->period / 100, p->period % 100);
		cJSON_AddStringToObject(x, "period", per);
		/* money as strings: exact decimals, no floating point */
		cJSON_AddStringToObject(x, "energy_yuan", (tariff_format_decimal(p->energy_nyuan, 9, a, sizeof a), a));
		cJSON_AddStringToObject(x, "adjust_yuan", (tariff_format_decimal(p->adjust_nyuan, 9, a, sizeof a), a));
		cJSON_AddStringToObject(x, "fee_yuan", (tariff_format_decimal(p->fee_nyuan, 9, a, sizeof a), a));
		cJSON_AddStringToObject(x, "fixed_yuan", (tariff_format_decimal(p->fixed_nyuan, 9, a, sizeof a), a));
		cJSON_AddStringToObject(x, "total_yuan", (tariff_format_decimal(p->total_nyuan, 9, a, sizeof a), a));
		cJSON_AddStringToObject(x, "total_fen", (tariff_format_decimal(p->total_fen, 0, a, sizeof a), a));
		cJSON_AddItemToArray(periods, x);
	}
	cJSON_AddStringToObject(o, "total_fen", (tariff_format_decimal(q->res->total_fen, 0, a, sizeof a), a));
	cJSON_AddStringToObject(o, "total_yuan", (tariff_format_decimal(q->res->total_fen, 2, a, sizeof a), a));
	s = cJSON_Print(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}

int
ctl_tariff_quote(struct ctl *c, int argc, char **argv)
{
	const char *tariff = NULL, *usage = NULL, *zone = "Asia/Shanghai", *calendar = NULL, *json = NULL;
	const char *price = NULL, *adjust = NULL, *kva = NULL, *from = NULL, *to = NULL;
	struct ctl_opt opts[] = {
		{ "tariff", &tariff, 0 }, { "usage", &usage, 0 }, { "timezone", &zone, 0 },
		{ "calendar", &calendar, 0 }, { "json", &json, 1 }, { "unit-price", &price, 0 },
		{ "adjust-bp", &adjust, 0 }, { "capacity-kva", &kva, 0 }, { "from", &from, 0 },
		{ "to", &to, 0 }, { NULL, NULL, 0 },
	};
	struct rate_quote_opts o = { 0 };
	struct rate_quote q;
	struct calendar *cal = NULL;
	struct tz *z = NULL;
	char err[600], *ttext = NULL, *utext = NULL, *ctext = NULL;
	size_t tlen, ulen, clen;
	int rc = CTL_INVALID;

	if (ctl_opts(argc, argv, opts, NULL, 0) == -1)
		return CTL_USAGE;
	if (tariff == NULL || usage == NULL) {
		fprintf(stderr, "usage: prepayctl tariff quote --tariff FILE --usage FILE [--timezone TZ] "
		    "[--calendar FILE] [--unit-price YUAN] [--adjust-bp N] [--capacity-kva KVA] "
		    "[--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]\n");
		return CTL_USAGE;
	}
	if (price != NULL) {
		if (tariff_parse_decimal(price, strlen(price), 6, 0, TARIFF_MAX_PRICE_UYUAN,
		    &o.ov.unit_price_uyuan) == -1)
			return ctl_fail(c, CTL_USAGE, "--unit-price: \"%s\" is not a price in yuan like 0.75 "
			    "(up to 6 decimals, 0..100)", price);
		o.ov.has_unit_price = 1;
	}
	if (adjust != NULL) {
		int64_t bp;
		if (tariff_parse_decimal(adjust, strlen(adjust), 0, 1, 10000, &bp) == -1 || bp < -10000)
			return ctl_fail(c, CTL_USAGE, "--adjust-bp: \"%s\" is not -10000..10000 basis points "
			    "(-500 = 5%% discount)", adjust);
		o.ov.adjust_bp = (int32_t)bp;
	}
	if (kva != NULL && (tariff_parse_decimal(kva, strlen(kva), 3, 0, 1000000000, &o.capacity_milli_kva) == -1 ||
	    o.capacity_milli_kva == 0))
		return ctl_fail(c, CTL_USAGE, "--capacity-kva: \"%s\" is not a capacity in kVA like 400", kva);
	o.from = from;
	o.to = to;
	if ((z = tz_load(zone, err, sizeof err)) == NULL)
		return ctl_fail(c, CTL_INVALID, "--timezone: %s", err);
	if ((ttext = read_file(tariff, TARIFF_JSON_MAX, &tlen, err, sizeof err)) == NULL ||
	    (utext = read_file(usage, QUOTE_FILE_MAX, &ulen, err, sizeof err)) == NULL) {
		ctl_fail(c, CTL_INVALID, "%s", err);
		goto out;
	}
	if (calendar != NULL) {
		cal = calendar_new();
		if ((ctext = read_file(calendar, 16 * 1024 * 1024, &clen, err, sizeof err)) == NULL ||
		    calendar_parse_csv(cal, ctext, clen, err, sizeof err) == -1) {
			ctl_fail(c, CTL_INVALID, "%s: %s", calendar, err);
			goto out;
		}
		o.cal = cal;
	}
	if (rate_quote_run(&q, ttext, tlen, utext, ulen, z, &o, err, sizeof err) == -1) {
		const char *file = strncmp(err, "tariff: ", 8) == 0 ? tariff : strncmp(err, "usage", 5) == 0 ? usage : NULL;
		if (file != NULL)
			ctl_fail(c, CTL_INVALID, "%s: %s", file, err + (err[0] == 't' ? 8 : 0));
		else
			ctl_fail(c, CTL_INVALID, "%s", err);
		rate_quote_free(&q);
		goto out;
	}
	if (c->json || json != NULL)
		print_json(&q, z);
	else
		print_text(&q, tariff, z);
	rate_quote_free(&q);
	rc = CTL_OK;
out:
	free(ttext);
	free(utext);
	free(ctext);
	calendar_free(cal);
	tz_free(z);
	return rc;
}
