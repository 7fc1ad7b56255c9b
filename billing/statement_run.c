/*
 * Statements from the database: the small per-account figures are read
 * first (balances at the month's ends, listed entries, rating states,
 * tariffs, meters), then ONE streaming pass over the month's consumption
 * rows in (account, id) order re-rates each account as its rows go by;
 * the statements are written afterwards in batches (a stream owns the
 * connection while it runs). See docs/statements.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "billing/ledger.h"
#include "billing/policy_apply.h"
#include "billing/share.h"
#include "billing/statement.h"
#include "billing/tariff_json.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define NY TARIFF_NYUAN_PER_FEN
#define WRITE_BATCH 200

static const char *const energy_names[] = { "electricity", "water", "gas" };

static int
energy_index(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, energy_names[i]) == 0)
			return i;
	return -1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* --- what is read before the stream -------------------------------------- */

struct site {
	int64_t id;
	const struct tz *z;
	const struct calendar *cal;
	int64_t from, to;		/* UTC month */
};

struct rp {
	int energy;
	int32_t open_tier_period;
	int64_t open_tier_milli;
	int64_t debited_fen, rerate_fen;
	int64_t fixed_through;		/* local day; -1 none */
};

struct terms {
	int energy;
	struct tariff_terms t;
};

struct acct {
	int64_t id, site_id;
	char label[72];
	int site;
	int64_t opening_fen, closing_fen;
	int nentries, capentries;
	struct stmt_entry *entries;
	int nrp;
	struct rp rp[3];
	int nterms;
	struct terms terms[3];
	char old_sha[65];
	int nshares;
	struct stmt_share *shares;	/* shared meters and line loss (billing/share.h) */
};

struct meter {
	int64_t id;
	char code[33];
};

/* tariff documents parsed before the stream (which owns the connection) */
struct rdoc {
	int64_t doc_id;
	struct tariff *t;
	char err[200];
};

struct run {
	struct db *db;
	struct tariff_store *store;
	int32_t period;
	int nsites;
	struct site *sites;
	int naccts;
	struct acct *accts;
	int nmeters;
	struct meter *meters;
	int ndocs;
	struct rdoc *docs;
	int nstmts;
	struct stmt *stmts;
	statement_report_fn report;
	void *arg;
	struct statement_run_stats *stats;
};

static struct acct *
acct_find(struct run *R, int64_t id)
{
	int lo = 0, hi = R->naccts - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (R->accts[mid].id == id)
			return &R->accts[mid];
		if (R->accts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static const char *
meter_code(struct run *R, int64_t id)
{
	int lo = 0, hi = R->nmeters - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (R->meters[mid].id == id)
			return R->meters[mid].code;
		if (R->meters[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return "?";
}

static int
load_accounts(struct run *R, const struct statement_run_opts *o, char *err, size_t errlen)
{
	struct db_rows *r;
	int rc, cap = 0;

	r = db_query(R->db, "SELECT a.id, a.site_id, CONCAT(s.code, '/', a.code) FROM accounts a JOIN sites s"
	    " ON s.id = a.site_id WHERE (? = 0 OR a.site_id = ?) AND (? = 0 OR a.id = ?) ORDER BY a.id", "iiii",
	    o->site_id, o->site_id, o->account_id, o->account_id);
	if (r == NULL)
		goto dberr;
	while ((rc = db_rows_next(r)) == 1) {
		struct acct *a;
		if (R->naccts == cap) {
			cap = cap ? cap * 2 : 64;
			R->accts = xrealloc(R->accts, (size_t)cap * sizeof *R->accts);
		}
		a = &R->accts[R->naccts++];
		memset(a, 0, sizeof *a);
		a->id = db_rows_int(r, 0);
		a->site_id = db_rows_int(r, 1);
		snprintf(a->label, sizeof a->label, "%s", db_rows_str(r, 2));
		a->site = -1;
		for (int i = 0; i < R->nsites; i++)
			if (R->sites[i].id == a->site_id)
				a->site = i;
		if (a->site == -1) {
			R->sites = xrealloc(R->sites, (size_t)(R->nsites + 1) * sizeof *R->sites);
			R->sites[R->nsites].id = a->site_id;
			a->site = R->nsites++;
		}
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	for (int i = 0; i < R->nsites; i++) {
		struct site *s = &R->sites[i];
		if (tariff_store_site(R->store, R->db, s->id, &s->z, &s->cal, err, errlen) == -1)
			return -1;
		s->from = month_start_utc(s->z, R->period);
		s->to = month_start_utc(s->z, next_period(R->period));
	}
	return 0;
dberr:
	snprintf(err, errlen, "cannot read the accounts: %s", db_error(R->db));
	return -1;
}

static int
balance_at(struct db *db, int64_t account_id, int64_t utc, int64_t *fen)
{
	struct db_rows *r;
	char when[24];
	int rc;

	tz_format_utc(utc, when, sizeof when);
	r = db_query(db, "SELECT balance_after_fen FROM ledger_entries WHERE account_id = ? AND created_at < ?"
	    " ORDER BY created_at DESC, id DESC LIMIT 1", "is", account_id, when);
	if (r == NULL)
		return -1;
	*fen = 0;
	if ((rc = db_rows_next(r)) == 1)
		*fen = db_rows_int(r, 0);
	db_rows_free(r);
	return rc == -1 ? -1 : 0;
}

static int
load_ledger(struct run *R, char *err, size_t errlen)
{
	for (int i = 0; i < R->naccts; i++) {
		struct acct *a = &R->accts[i];
		const struct site *s = &R->sites[a->site];
		if (balance_at(R->db, a->id, s->from, &a->opening_fen) == -1 ||
		    balance_at(R->db, a->id, s->to, &a->closing_fen) == -1) {
			snprintf(err, errlen, "cannot read the balances: %s", db_error(R->db));
			return -1;
		}
	}
	for (int i = 0; i < R->nsites; i++) {
		const struct site *s = &R->sites[i];
		struct db_rows *r;
		char from[24], to[24];
		int rc;

		tz_format_utc(s->from, from, sizeof from);
		tz_format_utc(s->to, to, sizeof to);
		/* everything but usage and standing charges (their sum is what remains) */
		r = db_query(R->db, "SELECT account_id, kind, amount_fen, counter_account, IFNULL(reference, ''),"
		    " TIMESTAMPDIFF(SECOND, '1970-01-01', created_at), reason FROM ledger_entries"
		    " WHERE kind IN ('topup', 'fee', 'adjustment', 'refund', 'emergency_credit', 'emergency_repay',"
		    " 'transfer_in', 'transfer_out') AND created_at >= ? AND created_at < ? ORDER BY account_id, seq",
		    "ss", from, to);
		if (r == NULL) {
			snprintf(err, errlen, "cannot read the ledger: %s", db_error(R->db));
			return -1;
		}
		while ((rc = db_rows_next(r)) == 1) {
			struct acct *a = acct_find(R, db_rows_int(r, 0));
			struct stmt_entry *e;
			int64_t at;
			if (a == NULL || a->site != i)
				continue;
			if (strcmp(db_rows_str(r, 1), "fee") == 0 && strncmp(db_rows_str(r, 4), "charges:", 8) == 0)
				continue;	/* standing charges: on the usage side */
			if (a->nentries == a->capentries) {
				a->capentries = a->capentries ? a->capentries * 2 : 8;
				a->entries = xrealloc(a->entries, (size_t)a->capentries * sizeof *a->entries);
			}
			e = &a->entries[a->nentries++];
			snprintf(e->kind, sizeof e->kind, "%s", db_rows_str(r, 1));
			e->amount_fen = db_rows_int(r, 2);
			snprintf(e->counter, sizeof e->counter, "%s", db_rows_str(r, 3));
			snprintf(e->reference, sizeof e->reference, "%s", db_rows_str(r, 4));
			at = db_rows_int(r, 5);
			tz_format_local(at + tz_offset_at(s->z, at, NULL, NULL), e->at, sizeof e->at);
			snprintf(e->reason, sizeof e->reason, "%s", db_rows_str(r, 6));
		}
		db_rows_free(r);
		if (rc == -1) {
			snprintf(err, errlen, "cannot read the ledger: %s", db_error(R->db));
			return -1;
		}
	}
	return 0;
}

static struct rdoc *
doc_find(struct run *R, int64_t doc_id)
{
	for (int i = 0; i < R->ndocs; i++)
		if (R->docs[i].doc_id == doc_id)
			return &R->docs[i];
	return NULL;
}

static int
doc_load(struct run *R, int64_t doc_id)
{
	struct db_rows *r;
	struct rdoc *d;
	int rc;

	if (doc_find(R, doc_id) != NULL)
		return 0;
	R->docs = xrealloc(R->docs, (size_t)(R->ndocs + 1) * sizeof *R->docs);
	d = &R->docs[R->ndocs++];
	memset(d, 0, sizeof *d);
	d->doc_id = doc_id;
	if ((r = db_query(R->db, "SELECT document FROM tariff_documents WHERE id = ?", "i", doc_id)) == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1) {
		const char *doc = db_rows_str(r, 0);
		char why[300];
		if ((d->t = tariff_json_parse(doc, strlen(doc), why, sizeof why)) == NULL)
			snprintf(d->err, sizeof d->err, "its document no longer parses: %.150s", why);
	} else
		snprintf(d->err, sizeof d->err, "no document %" PRId64, doc_id);
	db_rows_free(r);
	return rc == -1 ? -1 : 0;
}

static int
load_rating(struct run *R, char *err, size_t errlen)
{
	struct db_rows *r;
	int rc;

	r = db_query(R->db, "SELECT account_id, energy + 0, open_tier_period, open_tier_milli, debited_fen, rerate_fen,"
	    " IFNULL(DATEDIFF(fixed_through, '1970-01-01'), -1) FROM rate_periods WHERE period = ?", "i",
	    (int64_t)R->period);
	if (r == NULL)
		goto dberr;
	while ((rc = db_rows_next(r)) == 1) {
		struct acct *a = acct_find(R, db_rows_int(r, 0));
		struct rp *p;
		if (a == NULL || a->nrp == 3)
			continue;
		p = &a->rp[a->nrp++];
		p->energy = (int)db_rows_int(r, 1) - 1;
		p->open_tier_period = (int32_t)db_rows_int(r, 2);
		p->open_tier_milli = db_rows_int(r, 3);
		p->debited_fen = db_rows_int(r, 4);
		p->rerate_fen = db_rows_int(r, 5);
		p->fixed_through = db_rows_int(r, 6);
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	for (int i = 0; i < R->naccts; i++) {
		struct acct *a = &R->accts[i];
		for (int e = 0; e < 3; e++) {
			struct terms *t = &a->terms[a->nterms];
			if ((rc = tariff_store_terms(R->db, a->id, energy_names[e], &t->t)) == -1)
				goto dberr;
			if (rc == 1) {
				t->energy = e;
				a->nterms++;
				if (doc_load(R, t->t.doc_id) == -1)
					goto dberr;
			}
		}
	}
	r = db_query(R->db, "SELECT account_id, sha256 FROM statements WHERE period = ?", "i", (int64_t)R->period);
	if (r == NULL)
		goto dberr;
	while ((rc = db_rows_next(r)) == 1) {
		struct acct *a = acct_find(R, db_rows_int(r, 0));
		if (a != NULL)
			snprintf(a->old_sha, sizeof a->old_sha, "%s", db_rows_str(r, 1));
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	r = db_query(R->db, "SELECT id, code FROM meters ORDER BY id", "");
	if (r == NULL)
		goto dberr;
	int cap = 0;
	while ((rc = db_rows_next(r)) == 1) {
		if (R->nmeters == cap) {
			cap = cap ? cap * 2 : 256;
			R->meters = xrealloc(R->meters, (size_t)cap * sizeof *R->meters);
		}
		R->meters[R->nmeters].id = db_rows_int(r, 0);
		snprintf(R->meters[R->nmeters].code, sizeof R->meters[0].code, "%s", db_rows_str(r, 1));
		R->nmeters++;
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	return 0;
dberr:
	snprintf(err, errlen, "cannot read the rating figures: %s", db_error(R->db));
	return -1;
}

static void
share_add(void *arg, int64_t account_id, const struct stmt_share *sh)
{
	struct acct *a = acct_find(arg, account_id);

	if (a == NULL)
		return;
	a->shares = xrealloc(a->shares, (size_t)(a->nshares + 1) * sizeof *a->shares);
	a->shares[a->nshares++] = *sh;
}

static void
share_problem(void *arg, const char *msg)
{
	struct run *R = arg;

	R->stats->share_problems++;
	log_error("statement run: %s", msg);
}

/* The month's shared-meter and line-loss charges: posted first (unless a
 * dry run), then the allocations read for the statements. */
static int
load_shares(struct run *R, const struct statement_run_opts *o, char *err, size_t errlen)
{
	if (!o->dry_run)
		for (int i = 0; i < R->nsites; i++) {
			struct share_post_stats ps;
			if (share_post_month(R->db, R->sites[i].id, R->period, o->actor ? o->actor : "statement-run", &ps,
			    share_problem, R, err, errlen) == -1)
				return -1;
			R->stats->share_entries += ps.entries;
			R->stats->share_sources += ps.sources;
			R->stats->line_losses += ps.losses;
		}
	if (share_load(R->db, o->account_id, R->period, share_add, R) == -1) {
		snprintf(err, errlen, "cannot read the share allocations: %s", db_error(R->db));
		return -1;
	}
	return 0;
}

/* --- re-rating one account × energy ------------------------------------- */

struct rater {
	int energy;
	const struct rp *rp;
	const struct terms *terms;
	struct rate_ctx *ctx;
	struct rate_state s;
	int nmeters;
	int64_t meter_id[STMT_MAX_METERS];
	struct rate_result *res[STMT_MAX_METERS];
	struct rate_result *fixed;
	int64_t readings_fen, rows;
	char problem[240];
};

static void
rater_start(struct run *R, struct rater *k, const struct acct *a, int energy)
{
	const struct site *site = &R->sites[a->site];
	const struct rdoc *d;
	char err[240];

	memset(k, 0, sizeof *k);
	k->energy = energy;
	for (int i = 0; i < a->nrp; i++)
		if (a->rp[i].energy == energy)
			k->rp = &a->rp[i];
	for (int i = 0; i < a->nterms; i++)
		if (a->terms[i].energy == energy)
			k->terms = &a->terms[i];
	if (k->terms == NULL) {
		snprintf(k->problem, sizeof k->problem, "the account has no %s tariff", energy_names[energy]);
		return;
	}
	if ((d = doc_find(R, k->terms->t.doc_id)) == NULL || d->t == NULL) {
		snprintf(k->problem, sizeof k->problem, "tariff %s: %.150s", k->terms->t.code, d ? d->err : "not loaded");
		return;
	}
	/* no database here: the stream owns the connection */
	if ((k->ctx = rate_ctx_new(d->t, site->cal, site->z, &k->terms->t.ov, err, sizeof err)) == NULL) {
		snprintf(k->problem, sizeof k->problem, "tariff %s: %.160s", k->terms->t.code, err);
		return;
	}
	if (k->rp != NULL) {
		/* the tier position the month opened with, as real time had it */
		k->s.tier_period = k->rp->open_tier_period;
		k->s.tier_energy_milli = k->rp->open_tier_milli;
	}
}

static void
rater_row(struct rater *k, int64_t meter_id, const struct rate_usage *u, int64_t debit_fen)
{
	char err[240];
	int m;

	k->rows++;
	k->readings_fen += debit_fen;
	if (k->problem[0] != '\0')
		return;
	for (m = 0; m < k->nmeters && k->meter_id[m] != meter_id; m++)
		;
	if (m == k->nmeters) {
		if (m == STMT_MAX_METERS) {
			snprintf(k->problem, sizeof k->problem, "more than %d meters", STMT_MAX_METERS);
			return;
		}
		k->meter_id[m] = meter_id;
		k->res[m] = rate_result_new();
		k->nmeters++;
	}
	if (rate_add(k->ctx, &k->s, u, k->res[m], err, sizeof err) == -1)
		snprintf(k->problem, sizeof k->problem, "%s", err);
}

/* Standing charges as real time charged them: cumulative from the 1st
 * through the last day charged. */
static void
rater_fixed(struct rater *k, const struct tz *z, int32_t period)
{
	char err[240];

	if (k->problem[0] != '\0' || k->rp == NULL || k->rp->fixed_through < 0)
		return;
	k->fixed = rate_result_new();
	int64_t first = tz_days_from_civil(period / 100, period % 100, 1), a, b;
	tz_local_to_utc(z, first * 86400, &a);
	tz_local_to_utc(z, (k->rp->fixed_through + 1) * 86400, &b);
	if (rate_fixed(k->ctx, k->fixed, a, b, k->terms->t.capacity_milli_kva, err, sizeof err) == -1)
		snprintf(k->problem, sizeof k->problem, "standing charges: %.200s", err);
}

static void
rater_free(struct rater *k)
{
	for (int m = 0; m < k->nmeters; m++)
		rate_result_free(k->res[m]);
	rate_result_free(k->fixed);
	rate_ctx_free(k->ctx);
	k->nmeters = 0;
	k->fixed = NULL;
	k->ctx = NULL;
}

/* the month's nyuan as rated: energy, adjustment, fee and fixed (no demand) */
static int64_t
rater_nyuan(const struct rater *k)
{
	int64_t n = k->s.energy_nyuan + k->s.adjust_nyuan + k->s.fee_nyuan;

	if (k->fixed != NULL)
		for (int i = 0; i < k->fixed->nfixed; i++)
			if (rate_tariff(k->ctx)->versions[k->fixed->fixed[i].version].charges[k->fixed->fixed[i].charge].kind
			    != TARIFF_CHARGE_DEMAND)
				n += k->fixed->fixed[i].amount_nyuan;
	return n;
}

/* --- the run --------------------------------------------------------------- */

static void
finish_account(struct run *R, struct acct *a, struct rater *k, int *active)
{
	struct stmt *st;

	if (R->nstmts % 256 == 0)
		R->stmts = xrealloc(R->stmts, (size_t)(R->nstmts + 256) * sizeof *R->stmts);
	st = &R->stmts[R->nstmts++];
	stmt_init(st, a->id, a->site_id, R->period, a->label, tz_name(R->sites[a->site].z));
	stmt_ledger(st, a->opening_fen, a->entries, a->nentries, a->closing_fen);
	/* energies with usage, a rating state or standing charges this month */
	for (int e = 0; e < 3; e++) {
		int has_rp = 0;
		for (int i = 0; i < a->nrp; i++)
			has_rp |= a->rp[i].energy == e;
		if (!active[e] && !has_rp)
			continue;
		if (!active[e])
			rater_start(R, &k[e], a, e);
		rater_fixed(&k[e], R->sites[a->site].z, R->period);
		struct stmt_usage u = {
			.energy = energy_names[e], .ctx = k[e].ctx, .nmeters = k[e].nmeters,
			.state = k[e].rows > 0 ? &k[e].s : NULL, .fixed = k[e].fixed,
			.debited_fen = k[e].rp ? k[e].rp->debited_fen : 0, .rerate_fen = k[e].rp ? k[e].rp->rerate_fen : 0,
			.readings_fen = k[e].readings_fen,
		};
		if (k[e].problem[0] != '\0')
			u.problem = k[e].problem;
		else if (k[e].rp == NULL && k[e].rows > 0)
			u.problem = "usage rows without a rating state";
		for (int m = 0; m < k[e].nmeters; m++) {
			u.meter[m] = meter_code(R, k[e].meter_id[m]);
			u.res[m] = k[e].res[m];
		}
		if (u.problem == NULL && rate_round_fen(rater_nyuan(&k[e])) != stmt_usage(st, &u)) {
			/* cannot happen: the lines are the rating's own figures */
			st->mismatch = 1;
			snprintf(st->note, sizeof st->note, "%s: the lines do not reproduce the rating", energy_names[e]);
		} else if (u.problem != NULL) {
			stmt_usage(st, &u);
		}
		rater_free(&k[e]);
		active[e] = 0;
	}
	stmt_shares(st, a->shares, a->nshares);
	stmt_finish(st);
	{
		char why[300];
		if (stmt_check(st, why, sizeof why) == -1) {
			st->mismatch = 1;
			snprintf(st->note, sizeof st->note, "%s", why);
		}
	}
	R->stats->accounts++;
	R->stats->usage_fen += st->usage_fen;
	R->stats->debited_fen += st->debited_fen;
	if (st->mismatch) {
		R->stats->mismatches++;
		if (R->report)
			R->report(R->arg, st, st->note);
	}
}

static int
stream_rows(struct run *R, const struct statement_run_opts *o, char *err, size_t errlen)
{
	struct db_rows *r;
	struct rater k[3];
	int active[3] = { 0, 0, 0 };
	int next = 0, rc;
	struct acct *cur = NULL;

	r = db_query_stream(R->db, "SELECT account_id, energy + 0, meter_id, TIMESTAMPDIFF(SECOND, '1970-01-01',"
	    " start_at), TIMESTAMPDIFF(SECOND, '1970-01-01', end_at), IFNULL(band, -1), energy_milli, debit_fen"
	    " FROM consumption WHERE period = ? AND account_id BETWEEN ? AND ? ORDER BY account_id, id", "iii",
	    (int64_t)R->period, R->naccts ? R->accts[0].id : 0, R->naccts ? R->accts[R->naccts - 1].id : -1);
	if (r == NULL) {
		snprintf(err, errlen, "cannot read the consumption: %s", db_error(R->db));
		return -1;
	}
	while ((rc = db_rows_next(r)) == 1) {
		int64_t aid = db_rows_int(r, 0);
		int e = (int)db_rows_int(r, 1) - 1;
		struct rate_usage u;

		if (cur == NULL || cur->id != aid) {
			if (cur != NULL)
				finish_account(R, cur, k, active);
			/* accounts without rows in between still get their statement */
			while (next < R->naccts && R->accts[next].id < aid) {
				finish_account(R, &R->accts[next], k, active);
				next++;
			}
			cur = NULL;
			if (next < R->naccts && R->accts[next].id == aid)
				cur = &R->accts[next++];
		}
		if (cur == NULL || e < 0 || e > 2)
			continue;	/* not in scope (another site) */
		R->stats->rows++;
		if (!active[e]) {
			rater_start(R, &k[e], cur, e);
			active[e] = 1;
		}
		u.start = db_rows_int(r, 3);
		u.end = db_rows_int(r, 4);
		u.band = (int)db_rows_int(r, 5);
		u.energy_milli = db_rows_int(r, 6);
		rater_row(&k[e], db_rows_int(r, 2), &u, db_rows_int(r, 7));
	}
	db_rows_free(r);
	if (rc == -1) {
		snprintf(err, errlen, "reading the consumption failed: %s", db_error(R->db));
		for (int e = 0; e < 3; e++)
			if (active[e])
				rater_free(&k[e]);
		return -1;
	}
	if (cur != NULL)
		finish_account(R, cur, k, active);
	while (next < R->naccts)
		finish_account(R, &R->accts[next++], k, active);
	return 0;
}

/* JSON for JSON_TABLE: integers as numbers (exact), text escaped */
static void
jstr(FILE *f, const char *s)
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

static int
write_batch(struct db *db, struct stmt **b, int n, int32_t period)
{
	char *hj = NULL, *lj = NULL;
	size_t hl = 0, ll = 0;
	FILE *h = open_memstream(&hj, &hl), *l = open_memstream(&lj, &ll);
	int rc = -1, firstline = 1;

	fputc('[', h);
	fputc('[', l);
	for (int i = 0; i < n; i++) {
		const struct stmt *st = b[i];
		fprintf(h, "%s{\"a\":%" PRId64 ",\"s\":%" PRId64 ",\"o\":%" PRId64 ",\"cr\":%" PRId64 ",\"db\":%" PRId64
		    ",\"p\":%" PRId64 ",\"c\":%" PRId64 ",\"u\":%" PRId64 ",\"d\":%" PRId64 ",\"m\":%d,\"n\":%d,\"h\":\"%s\"}",
		    i ? "," : "", st->account_id, st->site_id, st->opening_fen, st->credits_fen, st->debits_fen,
		    st->posted_fen, st->closing_fen, st->usage_fen, st->debited_fen, st->mismatch, st->nlines, st->sha256);
		for (int j = 0; j < st->nlines; j++) {
			const struct stmt_line *x = &st->lines[j];
			fprintf(l, "%s{\"a\":%" PRId64 ",\"n\":%d,\"s\":\"%s\",\"e\":\"%s\",\"m\":", firstline ? "" : ",",
			    st->account_id, j + 1, x->section, x->energy);
			firstline = 0;
			jstr(l, x->meter);
			fputs(",\"l\":", l);
			jstr(l, x->label);
			if (x->has_qty)
				fprintf(l, ",\"q\":%" PRId64, x->quantity_milli);
			fputs(",\"u\":", l);
			jstr(l, x->unit);
			if (x->has_price)
				fprintf(l, ",\"p\":%" PRId64, x->price_uyuan);
			fprintf(l, ",\"y\":%" PRId64 "}", x->amount_nyuan);
		}
	}
	fputc(']', h);
	fputc(']', l);
	fclose(h);
	fclose(l);
	if (db_begin(db) == -1)
		goto out;
	if (db_exec(db, "DELETE sl FROM statement_lines sl JOIN JSON_TABLE(?, '$[*]' COLUMNS (a BIGINT PATH '$.a')) j"
	    " ON sl.account_id = j.a WHERE sl.period = ?", "si", hj, (int64_t)period) < 0 ||
	    db_exec(db, "INSERT INTO statements (account_id, period, site_id, opening_fen, credits_fen, debits_fen,"
	    " posted_fen, closing_fen, usage_fen, debited_fen, mismatch, nlines, sha256)"
	    " SELECT j.a, ?, j.s, j.o, j.cr, j.db, j.p, j.c, j.u, j.d, j.m, j.n, j.h FROM JSON_TABLE(?, '$[*]' COLUMNS ("
	    " a BIGINT PATH '$.a', s BIGINT PATH '$.s', o BIGINT PATH '$.o', cr BIGINT PATH '$.cr',"
	    " db BIGINT PATH '$.db', p BIGINT PATH '$.p', c BIGINT PATH '$.c', u BIGINT PATH '$.u',"
	    " d BIGINT PATH '$.d', m INT PATH '$.m', n INT PATH '$.n', h VARCHAR(64) PATH '$.h')) j"
	    " ON DUPLICATE KEY UPDATE site_id = VALUES(site_id), opening_fen = VALUES(opening_fen),"
	    " credits_fen = VALUES(credits_fen), debits_fen = VALUES(debits_fen), posted_fen = VALUES(posted_fen),"
	    " closing_fen = VALUES(closing_fen), usage_fen = VALUES(usage_fen), debited_fen = VALUES(debited_fen),"
	    " mismatch = VALUES(mismatch), nlines = VALUES(nlines), sha256 = VALUES(sha256),"
	    " generated_at = CURRENT_TIMESTAMP(6)", "is", (int64_t)period, hj) < 0 ||
	    db_exec(db, "INSERT INTO statement_lines (account_id, period, line_no, section, energy, meter, label,"
	    " quantity_milli, unit, price_uyuan, amount_nyuan) SELECT j.a, ?, j.n, j.s, j.e, j.m, j.l, j.q, j.u, j.p, j.y"
	    " FROM JSON_TABLE(?, '$[*]' COLUMNS (a BIGINT PATH '$.a', n INT PATH '$.n', s VARCHAR(12) PATH '$.s',"
	    " e VARCHAR(12) PATH '$.e', m VARCHAR(33) CHARACTER SET utf8mb4 PATH '$.m', l VARCHAR(255) CHARACTER SET utf8mb4 PATH '$.l', q BIGINT PATH '$.q',"
	    " u VARCHAR(8) PATH '$.u', p BIGINT PATH '$.p', y BIGINT PATH '$.y')) j", "is", (int64_t)period, lj) < 0) {
		db_rollback(db);
		goto out;
	}
	rc = db_commit(db);
out:
	free(hj);
	free(lj);
	return rc;
}

static int
write_statements(struct run *R, char *err, size_t errlen)
{
	struct stmt *batch[WRITE_BATCH];
	int n = 0;

	for (int i = 0; i < R->nstmts; i++) {
		struct stmt *st = &R->stmts[i];
		struct acct *a = acct_find(R, st->account_id);
		if (a != NULL && strcmp(a->old_sha, st->sha256) == 0) {
			R->stats->statements_unchanged++;
			continue;
		}
		if (a != NULL && a->old_sha[0] != '\0')
			R->stats->statements_changed++;
		else
			R->stats->statements_new++;
		batch[n++] = st;
		if (n == WRITE_BATCH || i + 1 == R->nstmts) {
			if (write_batch(R->db, batch, n, R->period) == -1) {
				snprintf(err, errlen, "cannot store the statements: %s", db_error(R->db));
				return -1;
			}
			n = 0;
		}
	}
	if (n > 0 && write_batch(R->db, batch, n, R->period) == -1) {
		snprintf(err, errlen, "cannot store the statements: %s", db_error(R->db));
		return -1;
	}
	return 0;
}

int
statement_run(struct db *db, const struct statement_run_opts *o, struct statement_run_stats *stats,
    statement_report_fn report, void *arg, char *err, size_t errlen)
{
	struct run R = { .db = db, .period = o->period, .report = report, .arg = arg, .stats = stats };
	double t0 = now_s(), t1;
	int rc = -1;

	memset(stats, 0, sizeof *stats);
	R.store = tariff_store_new();
	if (load_accounts(&R, o, err, errlen) == -1 || load_shares(&R, o, err, errlen) == -1 ||
	    load_ledger(&R, err, errlen) == -1 ||
	    load_rating(&R, err, errlen) == -1 || stream_rows(&R, o, err, errlen) == -1)
		goto out;
	t1 = now_s();
	stats->read_s = t1 - t0;
	if (!o->dry_run && write_statements(&R, err, errlen) == -1)
		goto out;
	stats->write_s = now_s() - t1;
	rc = 0;
out:
	for (int i = 0; i < R.nstmts; i++)
		stmt_free(&R.stmts[i]);
	free(R.stmts);
	for (int i = 0; i < R.naccts; i++) {
		free(R.accts[i].entries);
		free(R.accts[i].shares);
	}
	free(R.accts);
	free(R.sites);
	free(R.meters);
	for (int i = 0; i < R.ndocs; i++)
		tariff_free(R.docs[i].t);
	free(R.docs);
	tariff_store_free(R.store);
	return rc;
}

int
statement_load(struct db *db, int64_t account_id, int32_t period, struct stmt *st)
{
	struct db_rows *r;
	int rc;

	r = db_query(db, "SELECT st.site_id, CONCAT(s.code, '/', a.code), s.timezone, st.opening_fen, st.credits_fen,"
	    " st.debits_fen, st.posted_fen, st.closing_fen, st.usage_fen, st.debited_fen, st.mismatch, st.sha256"
	    " FROM statements st JOIN accounts a ON a.id = st.account_id JOIN sites s ON s.id = a.site_id"
	    " WHERE st.account_id = ? AND st.period = ?", "ii", account_id, (int64_t)period);
	if (r == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1) {
		stmt_init(st, account_id, db_rows_int(r, 0), period, db_rows_str(r, 1), db_rows_str(r, 2));
		st->opening_fen = db_rows_int(r, 3);
		st->credits_fen = db_rows_int(r, 4);
		st->debits_fen = db_rows_int(r, 5);
		st->posted_fen = db_rows_int(r, 6);
		st->closing_fen = db_rows_int(r, 7);
		st->usage_fen = db_rows_int(r, 8);
		st->debited_fen = db_rows_int(r, 9);
		st->mismatch = (int)db_rows_int(r, 10);
		snprintf(st->sha256, sizeof st->sha256, "%s", db_rows_str(r, 11));
	}
	db_rows_free(r);
	if (rc != 1)
		return rc;
	r = db_query(db, "SELECT section, energy, meter, label, quantity_milli, unit, price_uyuan, amount_nyuan"
	    " FROM statement_lines WHERE account_id = ? AND period = ? ORDER BY line_no", "ii", account_id,
	    (int64_t)period);
	if (r == NULL) {
		stmt_free(st);
		return -1;
	}
	while ((rc = db_rows_next(r)) == 1) {
		struct stmt_line l;
		memset(&l, 0, sizeof l);
		snprintf(l.section, sizeof l.section, "%s", db_rows_str(r, 0));
		snprintf(l.energy, sizeof l.energy, "%s", db_rows_str(r, 1));
		snprintf(l.meter, sizeof l.meter, "%s", db_rows_str(r, 2));
		snprintf(l.label, sizeof l.label, "%s", db_rows_str(r, 3));
		l.has_qty = !db_rows_isnull(r, 4);
		l.quantity_milli = db_rows_int(r, 4);
		snprintf(l.unit, sizeof l.unit, "%s", db_rows_str(r, 5));
		l.has_price = !db_rows_isnull(r, 6);
		l.price_uyuan = db_rows_int(r, 6);
		l.amount_nyuan = db_rows_int(r, 7);
		stmt_add(st, &l);
		if (strcmp(l.section, "check") == 0 && st->mismatch && st->note[0] == '\0')
			snprintf(st->note, sizeof st->note, "%s", l.label);
	}
	db_rows_free(r);
	if (rc == -1) {
		stmt_free(st);
		return -1;
	}
	return 1;
}

/* --- rerate ---------------------------------------------------------------- */

struct rerate_tx {
	struct tariff_store *store;
	int64_t account_id;
	int energy;
	int32_t period;
	const char *actor, *reason;
	struct rerate_month out;
	struct rate_state rated;
	char err[300];
	int found;
};

static int
rerate_body(struct db *db, struct rerate_tx *x, struct run *Rp)
{
	struct db_rows *r;
	struct tariff_terms terms;
	struct acct a;
	struct rater k;
	struct run R = *Rp;
	struct site site;
	const struct calendar *cal;
	const struct tz *z;
	int rc;
	int64_t site_id = 0, correct, diff;

	memset(&x->out, 0, sizeof x->out);
	x->out.period = x->period;
	x->found = 0;
	if ((r = db_query(db, "SELECT site_id FROM accounts WHERE id = ? FOR UPDATE", "i", x->account_id)) == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1)
		site_id = db_rows_int(r, 0);
	db_rows_free(r);
	if (rc == -1)
		return -1;
	if (rc == 0) {
		snprintf(x->err, sizeof x->err, "no account %" PRId64, x->account_id);
		return 2;
	}
	if ((rc = tariff_store_terms(db, x->account_id, energy_names[x->energy], &terms)) == -1)
		return -1;
	if (rc == 0) {
		snprintf(x->err, sizeof x->err, "the account has no %s tariff", energy_names[x->energy]);
		return 2;
	}
	if (tariff_store_site(x->store, db, site_id, &z, &cal, x->err, sizeof x->err) == -1)
		return 2;
	site = (struct site){ site_id, z, cal, 0, 0 };
	R.sites = &site;
	R.nsites = 1;
	if (doc_load(&R, terms.doc_id) == -1)
		return -1;
	Rp->docs = R.docs;
	Rp->ndocs = R.ndocs;
	memset(&a, 0, sizeof a);
	a.id = x->account_id;
	a.site_id = site_id;
	a.site = 0;
	a.nterms = 1;
	a.terms[0].energy = x->energy;
	a.terms[0].t = terms;
	r = db_query(db, "SELECT open_tier_period, open_tier_milli, debited_fen, rerate_fen,"
	    " IFNULL(DATEDIFF(fixed_through, '1970-01-01'), -1) FROM rate_periods WHERE account_id = ? AND energy = ?"
	    " AND period = ? FOR UPDATE", "isi", x->account_id, energy_names[x->energy], (int64_t)x->period);
	if (r == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1) {
		a.nrp = 1;
		a.rp[0].energy = x->energy;
		a.rp[0].open_tier_period = (int32_t)db_rows_int(r, 0);
		a.rp[0].open_tier_milli = db_rows_int(r, 1);
		a.rp[0].debited_fen = db_rows_int(r, 2);
		a.rp[0].rerate_fen = db_rows_int(r, 3);
		a.rp[0].fixed_through = db_rows_int(r, 4);
	}
	db_rows_free(r);
	if (rc == -1)
		return -1;
	if (rc == 0)
		return 0;	/* nothing was rated or charged that month */
	x->found = 1;
	rater_start(&R, &k, &a, x->energy);
	if (k.problem[0] != '\0') {
		snprintf(x->err, sizeof x->err, "%s", k.problem);
		return 2;
	}
	r = db_query(db, "SELECT meter_id, TIMESTAMPDIFF(SECOND, '1970-01-01', start_at), TIMESTAMPDIFF(SECOND,"
	    " '1970-01-01', end_at), IFNULL(band, -1), energy_milli, debit_fen FROM consumption WHERE period = ?"
	    " AND account_id = ? AND energy = ? ORDER BY id", "iis", (int64_t)x->period, x->account_id,
	    energy_names[x->energy]);
	if (r == NULL) {
		rater_free(&k);
		return -1;
	}
	while ((rc = db_rows_next(r)) == 1) {
		struct rate_usage u = { db_rows_int(r, 1), db_rows_int(r, 2), db_rows_int(r, 4), (int)db_rows_int(r, 3) };
		rater_row(&k, db_rows_int(r, 0), &u, db_rows_int(r, 5));
	}
	db_rows_free(r);
	if (rc == -1) {
		rater_free(&k);
		return -1;
	}
	rater_fixed(&k, z, x->period);
	if (k.problem[0] != '\0') {
		snprintf(x->err, sizeof x->err, "%s", k.problem);
		rater_free(&k);
		return 2;
	}
	correct = rate_round_fen(rater_nyuan(&k));
	x->rated = k.s;
	x->out.charged_fen = a.rp[0].debited_fen;
	x->out.correct_fen = correct;
	diff = correct - a.rp[0].debited_fen;
	{
		int64_t fixed = rater_nyuan(&k) - k.s.energy_nyuan - k.s.adjust_nyuan - k.s.fee_nyuan;
		int opened = k.s.period != 0;
		rater_free(&k);
		if (diff != 0) {
			struct ledger_request rq;
			struct ledger_result lr;
			enum ledger_status ls;
			char key[LEDGER_KEY_MAX], ref[64], counter[40];
			char *detail;

			snprintf(key, sizeof key, "rerate:%" PRId64 ":%s:%d:%" PRId64 ":%" PRId64, x->account_id,
			    energy_names[x->energy], x->period, a.rp[0].debited_fen, correct);
			snprintf(ref, sizeof ref, "rerate:%s:%d", energy_names[x->energy], x->period);
			snprintf(counter, sizeof counter, "revenue:%s", energy_names[x->energy]);
			if (diff > 0)
				ledger_request_init(&rq, key, x->actor, x->account_id, LEDGER_CONSUMPTION, -diff, counter);
			else
				ledger_request_init(&rq, key, x->actor, x->account_id, LEDGER_ADJUSTMENT, -diff, "adjustment");
			rq.reference = ref;
			rq.reason = x->reason;
			if ((ls = ledger_post_in_tx(db, &rq, &lr)) != LEDGER_OK) {
				snprintf(x->err, sizeof x->err, "ledger: %.250s", lr.detail);
				return ls == LEDGER_DB_ERROR ? -1 : 2;
			}
			x->out.posted_fen = diff;
			/* a correction can cross a level like any debit */
			if (!lr.replayed && policy_apply_in_tx(db, x->account_id, 0, x->actor, key, NULL) != 0)
				return -1;
			detail = xasprintf("{\"energy\":\"%s\",\"period\":%d,\"charged_fen\":%" PRId64 ",\"correct_fen\":%"
			    PRId64 ",\"posted_fen\":%" PRId64 ",\"entry_id\":%" PRId64 "}", energy_names[x->energy],
			    x->period, a.rp[0].debited_fen, correct, diff, lr.legs[0].entry_id);
			rc = (int)db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id,"
			    " detail) VALUES (?, 'tariff.rerate', 'account', ?, ?, ?)", "siss", x->actor, x->account_id,
			    key, detail);
			free(detail);
			if (rc < 0)
				return -1;
		}
		/* the state becomes what the month now costs, so later readings continue from it */
		if (db_exec(db, "UPDATE rate_periods SET energy_nyuan = ?, adjust_nyuan = ?, adjust_carry = ?,"
		    " fee_nyuan = ?, fee_carry = ?, fixed_nyuan = ?, debited_fen = ?, rerate_fen = rerate_fen + ?,"
		    " tier_period = IF(?, ?, tier_period), tier_milli = IF(?, ?, tier_milli)"
		    " WHERE account_id = ? AND energy = ? AND period = ?", "iiiiiiiiiiiiisi",
		    x->rated.energy_nyuan, x->rated.adjust_nyuan, opened ? x->rated.adjust_carry : 5000,
		    x->rated.fee_nyuan, opened ? x->rated.fee_carry : 5000, fixed, correct, diff, (int64_t)opened,
		    (int64_t)x->rated.tier_period, (int64_t)opened, x->rated.tier_energy_milli, x->account_id,
		    energy_names[x->energy], (int64_t)x->period) < 0)
			return -1;
	}
	return 0;
}

static int
rerate_fn(struct db *db, void *arg)
{
	struct rerate_tx *x = arg;
	struct run R = { .db = db, .store = x->store, .period = x->period };
	int rc = rerate_body(db, x, &R);

	for (int i = 0; i < R.ndocs; i++)
		tariff_free(R.docs[i].t);
	free(R.docs);
	return rc;
}

int
statement_rerate(struct db *db, struct tariff_store *store, int64_t account_id, const char *energy, int32_t from,
    int32_t to, const char *actor, const char *reason, struct rerate_month *out, int max, int *n,
    char *err, size_t errlen)
{
	struct rerate_tx x = { .store = store, .account_id = account_id, .actor = actor, .reason = reason };

	*n = 0;
	if ((x.energy = energy_index(energy)) < 0) {
		snprintf(err, errlen, "energy must be electricity, water or gas");
		return -1;
	}
	if (from <= 190000 || to <= from || from % 100 < 1 || from % 100 > 12 || to % 100 < 1 || to % 100 > 12) {
		snprintf(err, errlen, "give whole months: --from YYYY-MM --to YYYY-MM (to is exclusive, after from)");
		return -1;
	}
	for (int32_t p = from; p < to; p = next_period(p)) {
		int rc;
		x.period = p;
		x.err[0] = '\0';
		if ((rc = db_tx(db, rerate_fn, &x)) != 0) {
			snprintf(err, errlen, "%04d-%02d: %.250s", p / 100, p % 100, x.err[0] ? x.err : db_error(db));
			return -1;
		}
		if (x.found) {
			if (*n < max)
				out[(*n)++] = x.out;
		}
	}
	return 0;
}
