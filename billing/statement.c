/*
 * Statement assembly and rendering: pure (the caller supplies the figures
 * and the FILE). Lines add up exactly:
 *   opening + Σ ledger lines = closing                       (fen)
 *   Σ usage, fixed, adjust, fee, rounding lines = total     (per energy, nyuan)
 * and the rounding line is the month's one rounding to the fen.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "billing/rate_quote.h"
#include "billing/statement.h"
#include "lib/xmalloc.h"

#define NY TARIFF_NYUAN_PER_FEN

void
stmt_init(struct stmt *st, int64_t account_id, int64_t site_id, int32_t period, const char *account,
    const char *zone)
{
	memset(st, 0, sizeof *st);
	st->account_id = account_id;
	st->site_id = site_id;
	st->period = period;
	snprintf(st->account, sizeof st->account, "%s", account ? account : "");
	snprintf(st->timezone, sizeof st->timezone, "%s", zone ? zone : "");
}

void
stmt_free(struct stmt *st)
{
	free(st->lines);
	st->lines = NULL;
	st->nlines = st->cap = 0;
}

void
stmt_add(struct stmt *st, const struct stmt_line *l)
{
	if (st->nlines == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->lines = xrealloc(st->lines, (size_t)st->cap * sizeof *st->lines);
	}
	st->lines[st->nlines++] = *l;
}

static struct stmt_line
line(const char *section, const char *energy, const char *meter, int64_t amount_nyuan, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static struct stmt_line
line(const char *section, const char *energy, const char *meter, int64_t amount_nyuan, const char *fmt, ...)
{
	struct stmt_line l;
	va_list ap;

	memset(&l, 0, sizeof l);
	snprintf(l.section, sizeof l.section, "%s", section);
	snprintf(l.energy, sizeof l.energy, "%s", energy ? energy : "");
	snprintf(l.meter, sizeof l.meter, "%s", meter ? meter : "");
	va_start(ap, fmt);
	vsnprintf(l.label, sizeof l.label, fmt, ap);
	va_end(ap);
	l.amount_nyuan = amount_nyuan;
	return l;
}

static const char *
kind_label(const char *kind)
{
	static const char *const names[][2] = {
		{ "topup", "top-up" }, { "adjustment", "adjustment" }, { "refund", "refund" },
		{ "emergency_credit", "emergency credit" }, { "emergency_repay", "emergency credit repaid" },
		{ "transfer_in", "transfer in" }, { "transfer_out", "transfer out" }, { "fee", "fee" },
		{ "consumption", "usage charge" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(kind, names[i][0]) == 0)
			return names[i][1];
	return kind;
}

void
stmt_ledger(struct stmt *st, int64_t opening_fen, const struct stmt_entry *e, int n, int64_t closing_fen)
{
	struct stmt_line l;
	int64_t listed = 0;

	st->opening_fen = opening_fen;
	st->closing_fen = closing_fen;
	l = line("balance", NULL, NULL, opening_fen * NY, "opening balance");
	stmt_add(st, &l);
	for (int i = 0; i < n; i++) {
		char extra[300] = "";
		if (e[i].reference[0] != '\0' || e[i].reason[0] != '\0')
			snprintf(extra, sizeof extra, " (%s%s%s)", e[i].reference, e[i].reference[0] && e[i].reason[0] ?
			    "; " : "", e[i].reason);
		l = line("ledger", NULL, NULL, e[i].amount_fen * NY, "%s %s %s%s", e[i].at, kind_label(e[i].kind),
		    e[i].counter, extra);
		stmt_add(st, &l);
		listed += e[i].amount_fen;
		if (e[i].amount_fen > 0)
			st->credits_fen += e[i].amount_fen;
		else
			st->debits_fen -= e[i].amount_fen;
	}
	/* the rest moved the balance: every usage and standing charge posted in the month */
	st->posted_fen = -(closing_fen - opening_fen - listed);
	l = line("ledger", NULL, NULL, -st->posted_fen * NY, "usage and standing charges posted in the month");
	stmt_add(st, &l);
	l = line("balance", NULL, NULL, closing_fen * NY, "closing balance");
	stmt_add(st, &l);
}

static void
version_label(const struct rate_ctx *ctx, int v, char *buf, size_t len)
{
	const struct tariff *t = rate_tariff(ctx);

	tz_format_local(t->versions[v].effective_local, buf, len);
}

int64_t
stmt_usage(struct stmt *st, const struct stmt_usage *u)
{
	struct stmt_line l;
	const char *unit = u->ctx ? tariff_unit(rate_tariff(u->ctx)->energy) : "";
	int64_t sum = 0, fen = 0, total;
	char a[48], b[48];

	if (u->problem != NULL) {
		l = line("check", u->energy, NULL, u->debited_fen * NY, "%s: cannot be re-rated: %s; real-time debits"
		    " shown", u->energy, u->problem);
		stmt_add(st, &l);
		st->mismatch = 1;
		snprintf(st->note, sizeof st->note, "%s: %s", u->energy, u->problem);
		st->debited_fen += u->debited_fen;
		return 0;
	}
	for (int m = 0; m < u->nmeters; m++) {
		const struct rate_result *r = u->res[m];
		for (int v = 0; v < r->nversions; v++)
			for (int bd = 0; bd < TARIFF_NBANDS; bd++)
				for (int t = 0; t < TARIFF_MAX_TIERS; t++) {
					const struct rate_cell *c = &r->cell[v][bd][t];
					if (c->energy_milli == 0 && c->amount_nyuan == 0)
						continue;
					version_label(u->ctx, v, a, sizeof a);
					l = line("usage", u->energy, u->meter[m], c->amount_nyuan, "tariff from %s, %s %s, tier %d",
					    a, tariff_band_name(bd), tariff_band_name_zh(bd), t + 1);
					l.has_qty = 1;
					l.quantity_milli = c->energy_milli;
					snprintf(l.unit, sizeof l.unit, "%s", unit);
					l.has_price = 1;
					l.price_uyuan = rate_price(u->ctx, v, bd, t);
					stmt_add(st, &l);
					sum += c->amount_nyuan;
				}
	}
	if (u->fixed != NULL) {
		const struct tariff *t = rate_tariff(u->ctx);
		for (int i = 0; i < u->fixed->nfixed; i++) {
			const struct rate_fixed_line *f = &u->fixed->fixed[i];
			const struct tariff_charge *ch = &t->versions[f->version].charges[f->charge];
			if (ch->kind == TARIFF_CHARGE_DEMAND)
				continue;	/* not charged in real time (docs/statements.md) */
			version_label(u->ctx, f->version, a, sizeof a);
			if (ch->kind == TARIFF_CHARGE_DAILY)
				l = line("fixed", u->energy, NULL, f->amount_nyuan, "%s (daily, tariff from %s): %d days", ch->name,
				    a, f->days);
			else if (ch->kind == TARIFF_CHARGE_MONTHLY)
				l = line("fixed", u->energy, NULL, f->amount_nyuan, "%s (monthly, tariff from %s): %d of %d days",
				    ch->name, a, f->days, f->month_days);
			else {
				tariff_format_decimal(f->qty, 3, b, sizeof b);
				l = line("fixed", u->energy, NULL, f->amount_nyuan, "%s (capacity %s kVA, tariff from %s):"
				    " %d of %d days", ch->name, b, a, f->days, f->month_days);
			}
			l.has_price = 1;
			l.price_uyuan = ch->price_uyuan;
			stmt_add(st, &l);
			sum += f->amount_nyuan;
		}
	}
	if (u->state != NULL && u->state->adjust_nyuan != 0) {
		rate_format_bp(rate_adjust_bp(u->ctx), a, sizeof a);
		l = line("adjust", u->energy, NULL, u->state->adjust_nyuan, "your %s %s on energy charges",
		    rate_adjust_bp(u->ctx) < 0 ? "discount" : "markup", a);
		stmt_add(st, &l);
		sum += u->state->adjust_nyuan;
	}
	if (u->state != NULL && u->state->fee_nyuan != 0) {
		l = line("fee", u->energy, NULL, u->state->fee_nyuan, "service fee on energy charges");
		stmt_add(st, &l);
		sum += u->state->fee_nyuan;
	}
	fen = rate_round_fen(sum);
	total = fen * NY;
	stmt_yuan(sum, a, sizeof a);
	l = line("rounding", u->energy, NULL, total - sum, "the month rounded once, half up: %s -> %" PRId64 ".%02"
	    PRId64, a, fen / 100, (int64_t)llabs(fen % 100));
	stmt_add(st, &l);
	l = line("total", u->energy, NULL, total, "%s for the month", u->energy);
	stmt_add(st, &l);
	l = line("check", u->energy, NULL, u->debited_fen * NY, "charged in real time for this month's %s"
	    " (readings %" PRId64 " fen, standing charges %" PRId64 " fen, corrections %" PRId64 " fen)%s", u->energy,
	    u->readings_fen, u->debited_fen - u->readings_fen - u->rerate_fen, u->rerate_fen,
	    u->debited_fen == fen ? ": equal" : ": MISMATCH");
	stmt_add(st, &l);
	if (u->debited_fen != fen) {
		st->mismatch = 1;
		snprintf(st->note, sizeof st->note, "%s: re-rated %" PRId64 " fen, charged in real time %" PRId64
		    " fen (a tariff corrected in the past needs `prepayctl tariff rerate`)", u->energy, fen,
		    u->debited_fen);
	}
	st->usage_fen += fen;
	st->debited_fen += u->debited_fen;
	return fen;
}

void
stmt_yuan(int64_t nyuan, char *buf, size_t len)
{
	if (nyuan % 10000000 == 0)
		tariff_format_decimal(nyuan / 10000000, 2, buf, len);
	else
		tariff_format_decimal(nyuan, 9, buf, len);
}

static void
render_csv_line(FILE *f, const struct stmt_line *l);

void
stmt_finish(struct stmt *st)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[32];
	unsigned int hl = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fprintf(f, "%" PRId64 ",%d,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%"
	    PRId64 ",%d\n", st->account_id, st->period, st->opening_fen, st->credits_fen, st->debits_fen,
	    st->posted_fen, st->closing_fen, st->usage_fen, st->debited_fen, st->mismatch);
	for (int i = 0; i < st->nlines; i++)
		render_csv_line(f, &st->lines[i]);
	fclose(f);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, buf, len);
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	free(buf);
	for (int i = 0; i < 32; i++)
		snprintf(st->sha256 + 2 * i, 3, "%02x", h[i]);
}

int
stmt_check(const struct stmt *st, char *why, size_t whylen)
{
	int64_t bal = 0, usage = 0, total = 0;
	int have_open = 0;

	for (int i = 0; i < st->nlines; i++) {
		const struct stmt_line *l = &st->lines[i];
		if (strcmp(l->section, "balance") == 0) {
			if (!have_open) {
				bal = l->amount_nyuan;
				have_open = 1;
			} else if (bal != l->amount_nyuan) {
				snprintf(why, whylen, "opening and the ledger lines add up to %" PRId64 " nyuan, not the"
				    " closing balance %" PRId64, bal, l->amount_nyuan);
				return -1;
			}
		} else if (strcmp(l->section, "ledger") == 0) {
			bal += l->amount_nyuan;
		} else if (strcmp(l->section, "total") == 0) {
			if (usage != l->amount_nyuan) {
				snprintf(why, whylen, "%s: lines add up to %" PRId64 " nyuan, the total says %" PRId64,
				    l->energy, usage, l->amount_nyuan);
				return -1;
			}
			total += l->amount_nyuan;
			usage = 0;
		} else if (strcmp(l->section, "rounding") == 0) {
			if (l->amount_nyuan <= -NY / 2 || l->amount_nyuan > NY / 2) {
				snprintf(why, whylen, "%s: rounding of %" PRId64 " nyuan is more than half a fen",
				    l->energy, l->amount_nyuan);
				return -1;
			}
			usage += l->amount_nyuan;
		} else if (strcmp(l->section, "check") != 0) {
			usage += l->amount_nyuan;
		}
	}
	if (total != st->usage_fen * NY) {
		snprintf(why, whylen, "the energy totals add up to %" PRId64 " nyuan, the statement says %" PRId64
		    " fen", total, st->usage_fen);
		return -1;
	}
	return 0;
}

int
stmt_format_parse(const char *s, enum stmt_format *f)
{
	static const char *const names[] = { "text", "json", "csv", "html" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*f = (enum stmt_format)i;
			return 0;
		}
	return -1;
}

/* CSV: RFC 4180 quoting */
static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
render_csv_line(FILE *f, const struct stmt_line *l)
{
	char q[40] = "", p[40] = "", a[48];

	if (l->has_qty)
		tariff_format_decimal(l->quantity_milli, 3, q, sizeof q);
	if (l->has_price)
		tariff_format_decimal(l->price_uyuan, 6, p, sizeof p);
	tariff_format_decimal(l->amount_nyuan, 9, a, sizeof a);
	fprintf(f, "%s,%s,", l->section, l->energy);
	csv_field(f, l->meter);
	fputc(',', f);
	csv_field(f, l->label);
	fprintf(f, ",%s,%s,%s,%s\n", q, l->unit, p, a);
}

static void
html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
stmt_render(const struct stmt *st, enum stmt_format fmt, FILE *f)
{
	char a[48], q[40], p[40];
	int y = st->period / 100, m = st->period % 100;

	switch (fmt) {
	case STMT_CSV:
		fputs("section,energy,meter,label,quantity,unit,price_yuan,amount_yuan\n", f);
		for (int i = 0; i < st->nlines; i++)
			render_csv_line(f, &st->lines[i]);
		return;
	case STMT_JSON:
		fprintf(f, "{\"account\":");
		json_str(f, st->account);
		fprintf(f, ",\"account_id\":%" PRId64 ",\"month\":\"%04d-%02d\",\"timezone\":", st->account_id, y, m);
		json_str(f, st->timezone);
		/* money as exact decimal strings: JSON numbers are floating point */
		tariff_format_decimal(st->opening_fen, 2, a, sizeof a);
		fprintf(f, ",\"opening_yuan\":\"%s\"", a);
		tariff_format_decimal(st->closing_fen, 2, a, sizeof a);
		fprintf(f, ",\"closing_yuan\":\"%s\"", a);
		tariff_format_decimal(st->usage_fen, 2, a, sizeof a);
		fprintf(f, ",\"usage_yuan\":\"%s\"", a);
		tariff_format_decimal(st->debited_fen, 2, a, sizeof a);
		fprintf(f, ",\"debited_yuan\":\"%s\",\"mismatch\":%s,\"sha256\":\"%s\",\"lines\":[", a,
		    st->mismatch ? "true" : "false", st->sha256);
		for (int i = 0; i < st->nlines; i++) {
			const struct stmt_line *l = &st->lines[i];
			fprintf(f, "%s{\"section\":\"%s\",\"energy\":\"%s\",\"meter\":", i ? "," : "", l->section, l->energy);
			json_str(f, l->meter);
			fputs(",\"label\":", f);
			json_str(f, l->label);
			if (l->has_qty) {
				tariff_format_decimal(l->quantity_milli, 3, q, sizeof q);
				fprintf(f, ",\"quantity\":\"%s\",\"unit\":\"%s\"", q, l->unit);
			}
			if (l->has_price) {
				tariff_format_decimal(l->price_uyuan, 6, p, sizeof p);
				fprintf(f, ",\"price_yuan\":\"%s\"", p);
			}
			tariff_format_decimal(l->amount_nyuan, 9, a, sizeof a);
			fprintf(f, ",\"amount_yuan\":\"%s\"}", a);
		}
		fputs("]}\n", f);
		return;
	case STMT_HTML:
		fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>Statement ", f);
		html_text(f, st->account);
		fprintf(f, " %04d-%02d</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
		    "collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}td.n{text-align:right;"
		    "font-variant-numeric:tabular-nums}tr.total td{font-weight:bold}@media print{body{margin:0}}"
		    "</style></head><body>\n<h1>Statement ", y, m);
		html_text(f, st->account);
		fprintf(f, " — %04d-%02d</h1>\n<p>Times in ", y, m);
		html_text(f, st->timezone);
		fputs(". Amounts in yuan; energy lines are quantity × price exactly, each month is rounded once to the"
		    " fen.</p>\n", f);
		if (st->mismatch) {
			fputs("<p><strong>Check: ", f);
			html_text(f, st->note);
			fputs("</strong></p>\n", f);
		}
		fputs("<table><tr><th>section</th><th>energy</th><th>meter</th><th>item</th><th>quantity</th>"
		    "<th>price</th><th>amount</th></tr>\n", f);
		for (int i = 0; i < st->nlines; i++) {
			const struct stmt_line *l = &st->lines[i];
			q[0] = p[0] = '\0';
			if (l->has_qty)
				tariff_format_decimal(l->quantity_milli, 3, q, sizeof q);
			if (l->has_price)
				tariff_format_decimal(l->price_uyuan, 6, p, sizeof p);
			stmt_yuan(l->amount_nyuan, a, sizeof a);
			fprintf(f, "<tr%s><td>%s</td><td>%s</td><td>", strcmp(l->section, "total") == 0 ||
			    strcmp(l->section, "balance") == 0 ? " class=\"total\"" : "", l->section, l->energy);
			html_text(f, l->meter);
			fputs("</td><td>", f);
			html_text(f, l->label);
			fprintf(f, "</td><td class=\"n\">%s %s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
			    q, l->unit, p, a);
		}
		fputs("</table>\n</body></html>\n", f);
		return;
	case STMT_TEXT:
		break;
	}
	fprintf(f, "statement %s %04d-%02d (times in %s; amounts in yuan)\n", st->account, y, m, st->timezone);
	for (int i = 0; i < st->nlines; i++) {
		const struct stmt_line *l = &st->lines[i];
		stmt_yuan(l->amount_nyuan, a, sizeof a);
		if (l->has_qty && l->has_price) {
			tariff_format_decimal(l->quantity_milli, 3, q, sizeof q);
			tariff_format_decimal(l->price_uyuan, 6, p, sizeof p);
			fprintf(f, "%-8s %-11s %-8s %s: %s %s x %s = %s\n", l->section, l->energy, l->meter, l->label, q,
			    l->unit, p, a);
		} else if (l->has_price) {
			tariff_format_decimal(l->price_uyuan, 6, p, sizeof p);
			fprintf(f, "%-8s %-11s %-8s %s at %s = %s\n", l->section, l->energy, l->meter, l->label, p, a);
		} else {
			fprintf(f, "%-8s %-11s %-8s %s = %s\n", l->section, l->energy, l->meter, l->label, a);
		}
	}
	if (st->mismatch)
		fprintf(f, "CHECK: %s\n", st->note);
}
