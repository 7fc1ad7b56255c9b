/*
 * Shared meters and line loss in the database (docs/statements.md, "Shared
 * meters and line loss"): the month's cost of each source meter, its split
 * into share_allocations, and the ledger entries that charge it — one fee
 * per tenant per source, key share:<meter>:<yyyymm>:<account>; a re-run
 * that finds another split (late readings) posts only the difference as a
 * new entry. The common account a shared meter is rated into gets the
 * same total back, so the park's own wallet nets to zero.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/ledger.h"
#include "billing/policy_apply.h"
#include "billing/rate.h"
#include "billing/share.h"
#include "billing/tariff_store.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define MAX_SHARERS 4096

struct source {
	int64_t meter_id, account_id;	/* account: the common account of a shared meter */
	char code[33], energy[12];
	int loss;
	enum share_rule rule;
};

struct alloc {
	int64_t account_id, weight, target_fen, posted_fen;
	int known;			/* a row exists */
};

static int
alloc_cmp(const void *a, const void *b)
{
	const struct alloc *x = a, *y = b;

	return x->account_id < y->account_id ? -1 : x->account_id > y->account_id;
}

static int64_t
month_start_utc(const struct tz *z, int32_t period)
{
	int64_t utc;

	tz_local_to_utc(z, tz_days_from_civil(period / 100, period % 100, 1) * 86400, &utc);
	return utc;
}

static int32_t
next_period(int32_t p)
{
	return p % 100 == 12 ? (p / 100 + 1) * 100 + 1 : p + 1;
}

/* The master meter's energy over [from, to) from its register readings;
 * 1 measured, 0 not measurable (why set), -1 database. */
static int
master_energy(struct db *db, int64_t meter_id, int64_t from, int64_t to, int64_t *milli, char *why, size_t whylen)
{
	char f[24], t[24];
	int64_t e0, e1, breaks;
	int rc;

	tz_format_utc(from, f, sizeof f);
	tz_format_utc(to, t, sizeof t);
	if ((rc = db_query_int(db, &e0, "SELECT energy_milli FROM readings WHERE meter_id = ? AND read_at < ? AND"
	    " verdict <> 'quarantined' ORDER BY read_at DESC LIMIT 1", "is", meter_id, f)) == -1)
		return -1;
	if (rc == 0) {
		snprintf(why, whylen, "no reading of the master meter before the month began");
		return 0;
	}
	if ((rc = db_query_int(db, &e1, "SELECT energy_milli FROM readings WHERE meter_id = ? AND read_at < ? AND"
	    " verdict <> 'quarantined' ORDER BY read_at DESC LIMIT 1", "is", meter_id, t)) == -1)
		return -1;
	if (db_query_int(db, &breaks, "SELECT COUNT(*) FROM readings WHERE meter_id = ? AND read_at >= ? AND"
	    " read_at < ? AND verdict IN ('rollover', 'rebased', 'replaced')", "iss", meter_id, f, t) == -1)
		return -1;
	if (breaks > 0) {
		snprintf(why, whylen, "the master meter rolled over or was replaced in the month: measure it by hand");
		return 0;
	}
	*milli = e1 - e0;
	return 1;
}

static int
weights_of(struct db *db, const struct source *s, int32_t period, struct alloc *a, int n)
{
	for (int i = 0; i < n; i++) {
		int rc = 0;
		if (s->rule == SHARE_AREA)
			rc = db_query_int(db, &a[i].weight, "SELECT IFNULL(SUM(u.area_m2_e2), 0) FROM units u WHERE u.id IN"
			    " (SELECT m.unit_id FROM meters m WHERE m.account_id = ?)", "i", a[i].account_id);
		else if (s->rule == SHARE_CONSUMPTION)
			rc = db_query_int(db, &a[i].weight, "SELECT IFNULL(SUM(energy_milli), 0) FROM consumption WHERE"
			    " period = ? AND account_id = ? AND energy = ?", "iis", (int64_t)period, a[i].account_id,
			    s->energy);
		if (rc == -1)
			return -1;
	}
	return 0;
}

struct post_tx {
	const struct source *s;
	int32_t period;
	const char *actor;
	struct alloc *a;
	int n;
	int64_t source_fen, total_weight;
	int entries;
	char err[400];
};

static int
post_fn(struct db *db, void *arg)
{
	struct post_tx *x = arg;
	char ref[64], reason[160];

	x->entries = 0;
	snprintf(ref, sizeof ref, "share:%s:%d", x->s->code, x->period);
	snprintf(reason, sizeof reason, "%s %s %04d-%02d apportioned by %s", x->s->loss ? "line loss of" : "shared meter",
	    x->s->code, x->period / 100, x->period % 100, share_rule_name(x->s->rule));
	/* the rows first: a concurrent run of the same month waits here */
	for (int i = 0; i < x->n; i++) {
		struct alloc *a = &x->a[i];
		int rc = db_query_int(db, &a->posted_fen, "SELECT posted_fen FROM share_allocations WHERE meter_id = ?"
		    " AND period = ? AND account_id = ? FOR UPDATE", "iii", x->s->meter_id, (int64_t)x->period,
		    a->account_id);
		if (rc == -1)
			return -1;
		if (rc == 0)
			a->posted_fen = 0;
	}
	/* accounts in ascending id order: the ledger's lock order */
	for (int i = 0; i < x->n; i++) {
		struct alloc *a = &x->a[i];
		int64_t diff = a->target_fen - a->posted_fen;	/* > 0: charge more */
		struct ledger_request rq;
		struct ledger_result lr;
		enum ledger_status ls;
		char key[LEDGER_KEY_MAX];

		if (diff != 0) {
			if (a->posted_fen == 0)
				snprintf(key, sizeof key, "share:%" PRId64 ":%d:%" PRId64, x->s->meter_id, x->period,
				    a->account_id);
			else
				snprintf(key, sizeof key, "share:%" PRId64 ":%d:%" PRId64 ":%" PRId64 ":%" PRId64,
				    x->s->meter_id, x->period, a->account_id, a->posted_fen, a->target_fen);
			/* a charge is a fee (no floor: the energy was used); a credit an adjustment */
			if (diff > 0)
				ledger_request_init(&rq, key, x->actor, a->account_id, LEDGER_FEE, -diff, "revenue:shared");
			else
				ledger_request_init(&rq, key, x->actor, a->account_id, LEDGER_ADJUSTMENT, -diff, "adjustment");
			rq.reference = ref;
			rq.reason = reason;
			if ((ls = ledger_post_in_tx(db, &rq, &lr)) != LEDGER_OK) {
				snprintf(x->err, sizeof x->err, "%s: account %" PRId64 ": %.300s", x->s->code, a->account_id,
				    lr.detail);
				return ls == LEDGER_DB_ERROR ? -1 : 2;
			}
			if (!lr.replayed)
				x->entries++;
			/* a month-end charge can cross a level like any debit */
			if (!lr.replayed && policy_apply_in_tx(db, a->account_id, 0, x->actor, key, NULL) != 0)
				return -1;
		}
		if (db_exec(db, "INSERT INTO share_allocations (meter_id, period, account_id, rule, weight, total_weight,"
		    " source_fen, share_fen, posted_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
		    " rule = VALUES(rule), weight = VALUES(weight), total_weight = VALUES(total_weight),"
		    " source_fen = VALUES(source_fen), share_fen = VALUES(share_fen), posted_fen = VALUES(posted_fen)",
		    "iiisiiiii", x->s->meter_id, (int64_t)x->period, a->account_id, share_rule_name(x->s->rule), a->weight,
		    x->total_weight, x->source_fen, a->target_fen, a->target_fen) < 0)
			return -1;
	}
	return 0;
}

static int
post_source(struct db *db, const struct source *s, int32_t period, int64_t source_fen, const char *actor,
    struct share_post_stats *st, share_report_fn report, void *arg, char *err, size_t errlen)
{
	struct db_rows *r;
	struct alloc *a = xcalloc(MAX_SHARERS, sizeof *a);
	int64_t *w = xcalloc(MAX_SHARERS, sizeof *w), *parts = xcalloc(MAX_SHARERS, sizeof *parts);
	int n = 0, nsharers, rc, ret = -1;
	char why[300];
	struct post_tx x = { .s = s, .period = period, .actor = actor, .source_fen = source_fen };

	/* who shares now, then anyone charged before who no longer does (their part becomes 0) */
	r = db_query(db, "SELECT account_id, weight, 0 FROM meter_shares WHERE meter_id = ? UNION ALL"
	    " SELECT account_id, 0, 1 FROM share_allocations WHERE meter_id = ? AND period = ? AND account_id <> ?"
	    " AND account_id NOT IN (SELECT account_id FROM meter_shares WHERE meter_id = ?) ORDER BY 3, 1", "iiiii",
	    s->meter_id, s->meter_id, (int64_t)period, s->loss ? (int64_t)0 : s->account_id, s->meter_id);
	if (r == NULL)
		goto dberr;
	nsharers = 0;
	while ((rc = db_rows_next(r)) == 1 && n < MAX_SHARERS - 1) {
		a[n].account_id = db_rows_int(r, 0);
		a[n].weight = db_rows_int(r, 1);
		a[n].known = (int)db_rows_int(r, 2);
		if (!a[n].known)
			nsharers++;
		n++;
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	if (weights_of(db, s, period, a, nsharers) == -1)
		goto dberr;
	for (int i = 0; i < nsharers; i++)
		w[i] = a[i].weight;
	if (share_split(source_fen, w, nsharers, parts, why, sizeof why) == -1) {
		char msg[500];
		snprintf(msg, sizeof msg, "%s %04d-%02d: cannot apportion %" PRId64 " fen by %s: %s; nothing posted",
		    s->code, period / 100, period % 100, source_fen, share_rule_name(s->rule), why);
		if (report)
			report(arg, msg);
		ret = 0;
		goto out;
	}
	for (int i = 0; i < nsharers; i++) {
		a[i].target_fen = parts[i];
		x.total_weight += w[i];
	}
	/* a shared meter's common account gets the total back */
	if (!s->loss && s->account_id > 0) {
		a[n].account_id = s->account_id;
		a[n].target_fen = -source_fen;
		n++;
	}
	qsort(a, (size_t)n, sizeof *a, alloc_cmp);
	x.a = a;
	x.n = n;
	if ((rc = db_tx(db, post_fn, &x)) != 0) {
		if (rc == -1 && x.err[0] == '\0')
			goto dberr;
		char msg[500];
		snprintf(msg, sizeof msg, "%04d-%02d: %s; nothing posted for it", period / 100, period % 100,
		    x.err[0] ? x.err : db_error(db));
		if (report)
			report(arg, msg);
		ret = 0;
		goto out;
	}
	st->sources++;
	st->allocations += n;
	st->entries += x.entries;
	st->apportioned_fen += source_fen;
	ret = 0;
	goto out;
dberr:
	snprintf(err, errlen, "shares of %s: %s", s->code, db_error(db));
out:
	free(a);
	free(w);
	free(parts);
	return ret;
}

int
share_post_month(struct db *db, int64_t site_id, int32_t period, const char *actor, struct share_post_stats *st,
    share_report_fn report, void *arg, char *err, size_t errlen)
{
	struct tariff_store *store = tariff_store_new();
	const struct tz *z;
	const struct calendar *cal;
	struct source *src = NULL;
	struct db_rows *r;
	int nsrc = 0, rc, ret = -1;
	int64_t from, to;

	memset(st, 0, sizeof *st);
	if (tariff_store_site(store, db, site_id, &z, &cal, err, errlen) == -1)
		goto out;
	from = month_start_utc(z, period);
	to = month_start_utc(z, next_period(period));
	r = db_query(db, "SELECT ma.meter_id, m.code, m.energy, ma.source, ma.rule, IFNULL(m.account_id, 0)"
	    " FROM meter_apportion ma JOIN meters m ON m.id = ma.meter_id WHERE m.site_id = ? ORDER BY ma.meter_id",
	    "i", site_id);
	if (r == NULL)
		goto dberr;
	while ((rc = db_rows_next(r)) == 1) {
		struct source *s;
		src = xrealloc(src, (size_t)(nsrc + 1) * sizeof *src);
		s = &src[nsrc++];
		memset(s, 0, sizeof *s);
		s->meter_id = db_rows_int(r, 0);
		snprintf(s->code, sizeof s->code, "%s", db_rows_str(r, 1));
		snprintf(s->energy, sizeof s->energy, "%s", db_rows_str(r, 2));
		s->loss = strcmp(db_rows_str(r, 3), "loss") == 0;
		if (share_rule_parse(db_rows_str(r, 4), &s->rule) == -1)
			s->rule = SHARE_NONE;
		s->account_id = db_rows_int(r, 5);
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	for (int i = 0; i < nsrc; i++) {
		struct source *s = &src[i];
		int64_t source_fen = 0, nyuan = 0;
		char msg[400];

		if (s->loss) {
			int64_t master = 0, sub_milli = 0, sub_nyuan = 0, loss = 0, loss_fen = 0;
			char why[200] = "";
			int measured;
			if ((measured = master_energy(db, s->meter_id, from, to, &master, why, sizeof why)) == -1)
				goto dberr;
			if (db_query_int(db, &sub_milli, "SELECT IFNULL(SUM(c.energy_milli), 0) FROM consumption c JOIN"
			    " meter_submeters sm ON sm.meter_id = c.meter_id WHERE sm.master_id = ? AND c.period = ?", "ii",
			    s->meter_id, (int64_t)period) == -1 ||
			    db_query_int(db, &sub_nyuan, "SELECT IFNULL(SUM(c.rated_nyuan), 0) FROM consumption c JOIN"
			    " meter_submeters sm ON sm.meter_id = c.meter_id WHERE sm.master_id = ? AND c.period = ?", "ii",
			    s->meter_id, (int64_t)period) == -1)
				goto dberr;
			if (measured) {
				loss = rate_line_loss(master, &sub_milli, 1);
				loss_fen = share_loss_fen(loss, sub_milli, sub_nyuan);
				if (loss < 0)
					snprintf(why, sizeof why, "the sub-meters read more than the master: check the wiring"
					    " and CT ratios");
			}
			if (db_exec(db, "INSERT INTO line_losses (master_id, period, site_id, master_milli, sub_milli,"
			    " loss_milli, loss_fen, note) VALUES (?, ?, ?, IF(?, ?, NULL), ?, IF(?, ?, NULL), ?, ?)"
			    " ON DUPLICATE KEY UPDATE master_milli = VALUES(master_milli), sub_milli = VALUES(sub_milli),"
			    " loss_milli = VALUES(loss_milli), loss_fen = VALUES(loss_fen), note = VALUES(note)",
			    "iiiiiiiiis", s->meter_id, (int64_t)period, site_id, (int64_t)measured, master, sub_milli,
			    (int64_t)measured, loss, loss_fen, why) < 0)
				goto dberr;
			st->losses++;
			if (s->rule == SHARE_NONE || !measured)
				continue;
			source_fen = loss_fen;
		} else {
			if (s->rule == SHARE_NONE)
				continue;
			if (s->account_id <= 0) {
				snprintf(msg, sizeof msg, "shared meter %s has no account: put it on the site's common account"
				    " (its readings are rated there); nothing apportioned", s->code);
				if (report)
					report(arg, msg);
				continue;
			}
			if (db_query_int(db, &nyuan, "SELECT IFNULL(SUM(rated_nyuan), 0) FROM consumption WHERE meter_id = ?"
			    " AND period = ?", "ii", s->meter_id, (int64_t)period) == -1)
				goto dberr;
			source_fen = rate_round_fen(nyuan);
		}
		if (post_source(db, s, period, source_fen, actor, st, report, arg, err, errlen) == -1)
			goto out;
	}
	ret = 0;
	goto out;
dberr:
	snprintf(err, errlen, "shared meters: %s", db_error(db));
out:
	free(src);
	tariff_store_free(store);
	return ret;
}

static const char *
energy_unit(const char *energy)
{
	return strcmp(energy, "electricity") == 0 ? "kWh" : "m3";
}

int
share_load(struct db *db, int64_t account_id, int32_t period, share_load_fn fn, void *arg)
{
	struct db_rows *r;
	int rc;

	r = db_query(db, "SELECT sa.account_id, m.code, m.energy, IFNULL(ma.source, 'shared'), sa.rule, sa.weight,"
	    " sa.total_weight, sa.source_fen, sa.share_fen, sa.posted_fen FROM share_allocations sa JOIN meters m"
	    " ON m.id = sa.meter_id LEFT JOIN meter_apportion ma ON ma.meter_id = sa.meter_id WHERE sa.period = ?"
	    " AND (? = 0 OR sa.account_id = ?) ORDER BY sa.account_id, m.code", "iii", (int64_t)period, account_id,
	    account_id);
	if (r == NULL)
		return -1;
	while ((rc = db_rows_next(r)) == 1) {
		struct stmt_share s;
		memset(&s, 0, sizeof s);
		snprintf(s.meter, sizeof s.meter, "%s", db_rows_str(r, 1));
		snprintf(s.energy, sizeof s.energy, "%s", db_rows_str(r, 2));
		snprintf(s.unit, sizeof s.unit, "%s", energy_unit(s.energy));
		s.loss = strcmp(db_rows_str(r, 3), "loss") == 0;
		if (share_rule_parse(db_rows_str(r, 4), &s.rule) == -1)
			s.rule = SHARE_NONE;
		s.weight = db_rows_int(r, 5);
		s.total_weight = db_rows_int(r, 6);
		s.source_fen = db_rows_int(r, 7);
		s.share_fen = db_rows_int(r, 8);
		s.posted_fen = db_rows_int(r, 9);
		fn(arg, db_rows_int(r, 0), &s);
	}
	db_rows_free(r);
	return rc == -1 ? -1 : 0;
}
