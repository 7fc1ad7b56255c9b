/*
 * The periodic billing work behind prepay-worker's billing.fixed and
 * billing.month jobs and `prepayctl fixed-charges run`: standing charges
 * for accounts whose meters send nothing, and the month-end statement run
 * (docs/statements.md, "Month end").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/consume.h"
#include "billing/statement.h"
#include "billing/tariff_store.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

struct assignment {
	int64_t account_id, site_id;
	char energy[12];
};

struct fixed_tx {
	struct tariff_store *store;
	const struct assignment *a;
	int64_t through;
	const char *actor;
	struct consume_result res;
	enum consume_status st;
};

static int
fixed_fn(struct db *db, void *arg)
{
	struct fixed_tx *x = arg;

	x->st = consume_fixed_charges_in_tx(db, x->store, x->a->account_id, x->a->energy, x->through, x->actor,
	    &x->res);
	return x->st == CONSUME_OK ? 0 : x->st == CONSUME_DB_ERROR ? -1 : 1;
}

static int
parse_date(const char *s, int64_t *days)
{
	int y, m, d;
	char tail;

	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen(s) != 10 || y < 1970 || y > 2199 || m < 1 ||
	    m > 12 || d < 1 || d > tz_days_in_month(y, m))
		return -1;
	*days = tz_days_from_civil(y, m, d);
	return 0;
}

int
statement_fixed_run(struct db *db, int64_t site_id, int64_t account_id, const char *date, int64_t through,
    const char *actor, struct fixed_run_stats *st, statement_job_report_fn report, void *arg, char *err,
    size_t errlen)
{
	struct tariff_store *store = NULL;
	struct assignment *as = NULL;
	struct db_rows *r;
	int n = 0, cap = 0, rc, ret = -1;
	int64_t day = 0;

	memset(st, 0, sizeof *st);
	if (date != NULL && parse_date(date, &day) == -1) {
		snprintf(err, errlen, "\"%s\" is not a date YYYY-MM-DD", date);
		return -1;
	}
	r = db_query(db, "SELECT t.account_id, a.site_id, t.energy FROM account_tariffs t JOIN accounts a ON"
	    " a.id = t.account_id WHERE a.status = 'open' AND (? = 0 OR a.site_id = ?) AND (? = 0 OR a.id = ?)"
	    " ORDER BY t.account_id, t.energy", "iiii", site_id, site_id, account_id, account_id);
	if (r == NULL)
		goto dberr;
	while ((rc = db_rows_next(r)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			as = xrealloc(as, (size_t)cap * sizeof *as);
		}
		as[n].account_id = db_rows_int(r, 0);
		as[n].site_id = db_rows_int(r, 1);
		snprintf(as[n].energy, sizeof as[n].energy, "%s", db_rows_str(r, 2));
		n++;
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	store = tariff_store_new();
	for (int i = 0; i < n; i++) {
		struct fixed_tx x = { .store = store, .a = &as[i], .through = through, .actor = actor };
		char msg[500];

		if (date != NULL) {
			const struct tz *z;
			const struct calendar *cal;
			if (tariff_store_site(store, db, as[i].site_id, &z, &cal, err, errlen) == -1)
				goto out;
			/* noon: inside the local day whatever its offset */
			tz_local_to_utc(z, day * 86400 + 12 * 3600, &x.through);
		}
		st->accounts++;
		if ((rc = db_tx(db, fixed_fn, &x)) == -1 && x.st == CONSUME_DB_ERROR)
			goto dberr;
		if (rc != 0) {
			st->failed++;
			snprintf(msg, sizeof msg, "account %" PRId64 " %s: %s: %.300s", as[i].account_id, as[i].energy,
			    consume_strerror(x.st), x.res.detail);
			if (report)
				report(arg, msg);
			continue;
		}
		if (x.res.fixed_fen != 0) {
			st->charged++;
			st->posted_fen += x.res.fixed_fen;
		}
	}
	ret = 0;
	goto out;
dberr:
	snprintf(err, errlen, "fixed charges: %s", db_error(db));
out:
	free(as);
	tariff_store_free(store);
	return ret;
}

struct month_report_arg {
	statement_job_report_fn fn;
	void *arg;
};

static void
month_report(void *arg, const struct stmt *st, const char *msg)
{
	struct month_report_arg *p = arg;
	char line[600];

	if (p->fn == NULL)
		return;
	snprintf(line, sizeof line, "MISMATCH %s %04d-%02d: %.500s", st->account, st->period / 100, st->period % 100,
	    msg);
	p->fn(p->arg, line);
}

int
statement_month_due(struct db *db, int64_t site_id, int64_t now, const char *actor, struct month_run_stats *ms,
    statement_job_report_fn report, void *arg, char *err, size_t errlen)
{
	struct tariff_store *store = tariff_store_new();
	int64_t *sites = NULL;
	struct db_rows *r;
	int n = 0, rc, ret = -1;

	memset(ms, 0, sizeof *ms);
	r = db_query(db, "SELECT id FROM sites WHERE ? = 0 OR id = ? ORDER BY id", "ii", site_id, site_id);
	if (r == NULL)
		goto dberr;
	while ((rc = db_rows_next(r)) == 1) {
		sites = xrealloc(sites, (size_t)(n + 1) * sizeof *sites);
		sites[n++] = db_rows_int(r, 0);
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	for (int i = 0; i < n; i++) {
		const struct tz *z;
		const struct calendar *cal;
		int64_t local, day, done;
		int y, m, d;
		int32_t period;
		struct statement_run_opts o = { 0 };
		struct statement_run_stats s;
		struct month_report_arg rarg = { report, arg };

		if (tariff_store_site(store, db, sites[i], &z, &cal, err, errlen) == -1)
			goto out;
		local = now + tz_offset_at(z, now, NULL, NULL);
		day = tz_floor_div(local, 86400);
		tz_civil_from_days(day, &y, &m, &d);
		/* an hour's grace on the 1st: the reading that ends at midnight is read a moment later */
		if (d == 1 && local - day * 86400 < 3600)
			tz_civil_from_days(day - 1, &y, &m, &d);
		period = m == 1 ? (y - 1) * 100 + 12 : y * 100 + m - 1;	/* the month before */
		ms->last_period = period;
		if ((rc = db_query_int(db, &done, "SELECT 1 FROM statement_runs WHERE site_id = ? AND period = ?", "ii",
		    sites[i], (int64_t)period)) == -1)
			goto dberr;
		if (rc == 1) {
			ms->sites_done++;
			continue;
		}
		o.period = period;
		o.site_id = sites[i];
		o.actor = actor;
		if (statement_run(db, &o, &s, month_report, &rarg, err, errlen) == -1)
			goto out;
		if (db_exec(db, "INSERT INTO statement_runs (site_id, period, accounts, mismatches) VALUES (?, ?, ?, ?)"
		    " ON DUPLICATE KEY UPDATE site_id = site_id", "iiii", sites[i], (int64_t)period, s.accounts,
		    s.mismatches) < 0)
			goto dberr;
		ms->sites_run++;
		ms->accounts += s.accounts;
		ms->mismatches += s.mismatches;
		log_info("statement run %04d-%02d site %" PRId64 ": %" PRId64 " accounts, %" PRId64 " mismatches",
		    period / 100, period % 100, sites[i], s.accounts, s.mismatches);
	}
	ret = 0;
	goto out;
dberr:
	snprintf(err, errlen, "month end: %s", db_error(db));
out:
	free(sites);
	tariff_store_free(store);
	return ret;
}
