/*
 * Shared meters: the pure part (rules, loss price, the split, statement
 * lines). The database half is billing/statement_share.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "billing/rate.h"
#include "billing/share.h"
#include "billing/tariff.h"

#define NY TARIFF_NYUAN_PER_FEN

static const char *const rule_names[] = { "area", "fixed", "consumption", "none" };

const char *
share_rule_name(enum share_rule r)
{
	return (unsigned)r <= SHARE_NONE ? rule_names[r] : "?";
}

int
share_rule_parse(const char *s, enum share_rule *r)
{
	for (int i = 0; i <= SHARE_NONE; i++)
		if (s != NULL && strcmp(s, rule_names[i]) == 0) {
			*r = (enum share_rule)i;
			return 0;
		}
	return -1;
}

int64_t
share_loss_fen(int64_t loss_milli, int64_t sub_milli, int64_t sub_nyuan)
{
	__int128 n;

	if (loss_milli <= 0 || sub_milli <= 0 || sub_nyuan <= 0)
		return 0;
	/* nyuan = loss × sub_nyuan / sub_milli, then fen half up, in one division */
	n = (__int128)loss_milli * sub_nyuan;
	return (int64_t)((2 * n + (__int128)sub_milli * NY) / ((__int128)2 * sub_milli * NY));
}

int
share_split(int64_t source_fen, const int64_t *weights, int n, int64_t *parts_fen, char *why, size_t whylen)
{
	if (n <= 0) {
		snprintf(why, whylen, "nobody shares it (add tenants: prepayctl meter share METER --account A ...)");
		return -1;
	}
	return rate_apportion(source_fen, weights, n, parts_fen, why, whylen);
}

static void
weight_text(const struct stmt_share *s, int64_t w, char *buf, size_t len)
{
	switch (s->rule) {
	case SHARE_AREA:
		tariff_format_decimal(w, 2, buf, len);
		snprintf(buf + strlen(buf), len - strlen(buf), " m2");
		break;
	case SHARE_FIXED:
		tariff_format_decimal(w, 2, buf, len);
		snprintf(buf + strlen(buf), len - strlen(buf), " parts");
		break;
	default:
		tariff_format_decimal(w, 3, buf, len);
		snprintf(buf + strlen(buf), len - strlen(buf), " %s", s->unit);
		break;
	}
}

int64_t
stmt_shares(struct stmt *st, const struct stmt_share *s, int n)
{
	struct stmt_line l;
	int64_t total = 0, posted = 0;
	char a[48], b[48], src[48], text[400];

	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		memset(&l, 0, sizeof l);
		snprintf(l.section, sizeof l.section, "share");
		snprintf(l.energy, sizeof l.energy, "%s", s[i].energy);
		snprintf(l.meter, sizeof l.meter, "%s", s[i].meter);
		tariff_format_decimal(s[i].source_fen, 2, src, sizeof src);
		if (s[i].share_fen < 0) {
			snprintf(text, sizeof text, "shared meter %s: %s yuan for the month charged to the tenants"
			    " by %s share, credited back", s[i].meter, src, share_rule_name(s[i].rule));
		} else {
			weight_text(&s[i], s[i].weight, a, sizeof a);
			weight_text(&s[i], s[i].total_weight, b, sizeof b);
			snprintf(text, sizeof text, "%s %s: %s yuan for the month, %s share: yours %s of %s",
			    s[i].loss ? "line loss of master meter" : "shared meter", s[i].meter, src,
			    share_rule_name(s[i].rule), a, b);
		}
		snprintf(l.label, sizeof l.label, "%.*s", (int)sizeof l.label - 1, text);
		l.amount_nyuan = s[i].share_fen * NY;
		stmt_add(st, &l);
		total += s[i].share_fen;
		posted += s[i].posted_fen;
	}
	memset(&l, 0, sizeof l);
	snprintf(l.section, sizeof l.section, "total");
	snprintf(l.energy, sizeof l.energy, "shared");
	snprintf(l.label, sizeof l.label, "shared meters and line loss for the month");
	l.amount_nyuan = total * NY;
	stmt_add(st, &l);
	memset(&l, 0, sizeof l);
	snprintf(l.section, sizeof l.section, "check");
	snprintf(l.energy, sizeof l.energy, "shared");
	tariff_format_decimal(posted, 2, a, sizeof a);
	snprintf(l.label, sizeof l.label, "posted to the ledger as share entries (reference share:METER:%d): %s yuan%s",
	    st->period, a, posted == total ? ": equal" : ": MISMATCH");
	l.amount_nyuan = posted * NY;
	stmt_add(st, &l);
	if (posted != total) {
		st->mismatch = 1;
		snprintf(st->note, sizeof st->note, "shared: apportioned %" PRId64 " fen, posted %" PRId64 " fen"
		    " (run `prepayctl statement run` without --dry-run to post)", total, posted);
	}
	st->usage_fen += total;
	st->debited_fen += posted;
	return total;
}
