/*
 * prepayctl usage rebuild [--account ACCOUNT]: recomputes the hourly usage
 * rollup (usage_hours, docs/tenant.md "Usage") from the consumption rows,
 * one account per transaction. Each billing month is re-rated from the
 * tier position it opened with, rows in id order — the order real time
 * rated them (as statements do) — so the rebuilt rows are the ones real
 * time wrote while the account's tariff document is unchanged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/tariff_store.h"
#include "billing/usage_rollup.h"
#include "lib/xmalloc.h"
#include "tools/ctl.h"

#define NENERGY 3
#define REBUILD_MAX_ROWS 10000000	/* one account's consumption rows held in memory: ~1.1 GB */

static const char *const energy_names[NENERGY] = { "electricity", "water", "gas" };

/* one consumption row's contribution to an hour */
struct hour_row {
	int energy;
	int64_t hour, meter_id;
	int64_t v[10];		/* 5 band milli, rated_nyuan, 4 band list nyuan */
};

struct open_tier {
	int energy;
	int32_t period, tier_period;
	int64_t tier_milli;
};

struct rebuild {
	struct tariff_store *store;
	int64_t account_id;
	/* out */
	int64_t rows, hours, before_hours, unsplit_rows;
	int changed;
	char problem[300];
};

static int
hour_row_cmp(const void *a, const void *b)
{
	const struct hour_row *x = a, *y = b;

	if (x->energy != y->energy)
		return x->energy - y->energy;
	if (x->hour != y->hour)
		return x->hour < y->hour ? -1 : 1;
	return x->meter_id < y->meter_id ? -1 : x->meter_id > y->meter_id;
}

/* rows and an order-independent checksum of the account's usage_hours */
static int
rollup_sum(struct db *db, int64_t account_id, int64_t *n, int64_t *sum)
{
	struct db_rows *r = db_query(db, "SELECT COUNT(*), IFNULL(SUM(CRC32(CONCAT_WS(',', energy, hour_at, meter_id,"
	    " sharp_milli, peak_milli, flat_milli, valley_milli, unsplit_milli, rated_nyuan, sharp_nyuan, peak_nyuan,"
	    " flat_nyuan, valley_nyuan))), 0) FROM usage_hours WHERE account_id = ?", "i", account_id);
	int rc;

	if (r == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1) {
		*n = db_rows_int(r, 0);
		*sum = db_rows_int(r, 1);
	}
	db_rows_free(r);
	return rc == 1 ? 0 : -1;
}

static int
rebuild_fn(struct db *db, void *arg)
{
	struct rebuild *x = arg;
	struct rate_ctx *ctx[NENERGY] = { NULL };
	struct open_tier *ot = NULL;
	struct hour_row *h = NULL;
	struct rate_state st;
	struct db_rows *r;
	int64_t site_id = 0, sum0, sum1, n1;
	size_t nh = 0, caph = 0, not = 0;
	int rc, cur_energy = -1;
	int32_t cur_period = 0;
	char err[300], hour[24];

	x->rows = x->hours = x->unsplit_rows = 0;
	x->changed = 0;
	x->problem[0] = '\0';
	/* the account lock first, as consume takes it: no reading lands mid-rebuild */
	if ((rc = db_query_int(db, &site_id, "SELECT site_id FROM accounts WHERE id = ? FOR UPDATE", "i",
	    x->account_id)) != 1) {
		snprintf(x->problem, sizeof x->problem, "no such account");
		return rc == -1 ? -1 : 2;
	}
	if (rollup_sum(db, x->account_id, &x->before_hours, &sum0) == -1)
		return -1;
	for (int e = 0; e < NENERGY; e++) {
		struct tariff_terms terms;
		if ((rc = tariff_store_terms(db, x->account_id, energy_names[e], &terms)) == -1)
			return -1;
		if (rc == 1 && terms.doc_id != 0)
			ctx[e] = tariff_store_ctx(x->store, db, terms.doc_id, site_id, &terms.ov, err, sizeof err);
	}
	if ((r = db_query(db, "SELECT energy + 0, period, open_tier_period, open_tier_milli FROM rate_periods"
	    " WHERE account_id = ?", "i", x->account_id)) == NULL)
		return -1;
	while ((rc = db_rows_next(r)) == 1) {
		ot = xrealloc(ot, (not + 1) * sizeof *ot);
		ot[not].energy = (int)db_rows_int(r, 0) - 1;
		ot[not].period = (int32_t)db_rows_int(r, 1);
		ot[not].tier_period = (int32_t)db_rows_int(r, 2);
		ot[not].tier_milli = db_rows_int(r, 3);
		not++;
	}
	db_rows_free(r);
	if (rc == -1) {
		free(ot);
		return -1;
	}
	r = db_query_stream(db, "SELECT energy + 0, period, meter_id, TIMESTAMPDIFF(SECOND, '1970-01-01', start_at),"
	    " TIMESTAMPDIFF(SECOND, '1970-01-01', end_at), IFNULL(band, -1), energy_milli, rated_nyuan FROM consumption"
	    " WHERE account_id = ? ORDER BY energy, period, id", "i", x->account_id);
	if (r == NULL) {
		free(ot);
		return -1;
	}
	while ((rc = db_rows_next(r)) == 1) {
		int e = (int)db_rows_int(r, 0) - 1;
		int32_t period = (int32_t)db_rows_int(r, 1);
		struct rate_usage u = { db_rows_int(r, 3), db_rows_int(r, 4), db_rows_int(r, 6), (int)db_rows_int(r, 5) };
		struct usage_split sp;
		struct hour_row *o;

		if (e < 0 || e >= NENERGY || ++x->rows > REBUILD_MAX_ROWS)
			continue;
		if (e != cur_energy || period != cur_period) {
			/* each month from the tier position it opened with */
			memset(&st, 0, sizeof st);
			for (size_t i = 0; i < not; i++)
				if (ot[i].energy == e && ot[i].period == period) {
					st.tier_period = ot[i].tier_period;
					st.tier_energy_milli = ot[i].tier_milli;
				}
			cur_energy = e;
			cur_period = period;
		}
		if (ctx[e] == NULL || usage_split_add(ctx[e], &st, &u, &sp, err, sizeof err) == -1) {
			usage_split_unsplit(u.energy_milli, &sp);
			x->unsplit_rows++;
		}
		if (nh == caph) {
			caph = caph ? caph * 2 : 4096;
			h = xrealloc(h, caph * sizeof *h);
		}
		o = &h[nh++];
		o->energy = e;
		o->hour = usage_hour_of(u.start);
		o->meter_id = db_rows_int(r, 2);
		memcpy(o->v, sp.band_milli, sizeof sp.band_milli);
		o->v[5] = db_rows_int(r, 7);
		memcpy(o->v + 6, sp.list_nyuan, sizeof sp.list_nyuan);
	}
	db_rows_free(r);
	free(ot);
	if (rc == -1 || x->rows > REBUILD_MAX_ROWS) {
		free(h);
		if (rc == -1)
			return -1;
		snprintf(x->problem, sizeof x->problem, "more than %d consumption rows: not rebuilt", REBUILD_MAX_ROWS);
		return 2;
	}
	if (db_exec(db, "DELETE FROM usage_hours WHERE account_id = ?", "i", x->account_id) < 0) {
		free(h);
		return -1;
	}
	/* rows → hours: sorted by the key, equal keys summed */
	if (nh > 0)
		qsort(h, nh, sizeof *h, hour_row_cmp);
	for (size_t i = 0; i < nh; ) {
		struct hour_row s = h[i];
		for (i++; i < nh && hour_row_cmp(&h[i], &s) == 0; i++)
			for (int k = 0; k < 10; k++)
				s.v[k] += h[i].v[k];
		tz_format_utc(s.hour, hour, sizeof hour);
		if (db_exec(db, "INSERT INTO usage_hours (account_id, energy, hour_at, meter_id, sharp_milli, peak_milli,"
		    " flat_milli, valley_milli, unsplit_milli, rated_nyuan, sharp_nyuan, peak_nyuan, flat_nyuan, valley_nyuan)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "issiiiiiiiiiii", x->account_id,
		    energy_names[s.energy], hour, s.meter_id, s.v[0], s.v[1], s.v[2], s.v[3], s.v[4], s.v[5], s.v[6], s.v[7],
		    s.v[8], s.v[9]) < 0) {
			free(h);
			return -1;
		}
		x->hours++;
	}
	free(h);
	if (rollup_sum(db, x->account_id, &n1, &sum1) == -1)
		return -1;
	x->changed = n1 != x->before_hours || sum1 != sum0;
	return 0;
}

int
ctl_usage_rebuild(struct ctl *c, int argc, char **argv)
{
	const char *account = NULL;
	struct ctl_opt opts[] = { { "account", &account, 0 }, { NULL, NULL, 0 } };
	struct rebuild x;
	struct db_rows *r;
	int64_t *ids = NULL, one, accounts = 0, changed = 0, rows = 0, hours = 0;
	size_t nids = 0;
	int rc, failed = 0;

	if (ctl_opts(argc, argv, opts, NULL, 0) == -1) {
		fputs("usage: prepayctl usage rebuild [--account ACCOUNT]\n", stderr);
		return CTL_USAGE;
	}
	if (account != NULL) {
		if ((rc = ctl_account_resolve(c, account, &one)) != CTL_OK)
			return rc;
		ids = xmalloc(sizeof *ids);
		ids[nids++] = one;
	} else {
		/* the accounts with anything to rebuild or to clear */
		if ((r = db_query(ctl_db(c), "SELECT id FROM accounts a WHERE EXISTS (SELECT 1 FROM consumption c"
		    " WHERE c.account_id = a.id) OR EXISTS (SELECT 1 FROM usage_hours u WHERE u.account_id = a.id)"
		    " ORDER BY id", "")) == NULL)
			return ctl_fail(c, CTL_UNAVAILABLE, "cannot list the accounts: %s", db_error(c->db));
		while ((rc = db_rows_next(r)) == 1) {
			ids = xrealloc(ids, (nids + 1) * sizeof *ids);
			ids[nids++] = db_rows_int(r, 0);
		}
		db_rows_free(r);
		if (rc == -1) {
			free(ids);
			return ctl_fail(c, CTL_UNAVAILABLE, "cannot list the accounts: %s", db_error(c->db));
		}
	}
	memset(&x, 0, sizeof x);
	x.store = tariff_store_new();
	for (size_t i = 0; i < nids; i++) {
		x.account_id = ids[i];
		if ((rc = db_tx(ctl_db(c), rebuild_fn, &x)) != 0) {
			fprintf(stderr, "prepayctl: account %" PRId64 ": not rebuilt: %s\n", ids[i],
			    rc == -1 ? db_error(c->db) : x.problem);
			failed++;
			continue;
		}
		printf("account %" PRId64 ": %" PRId64 " consumption rows -> %" PRId64 " hours (%" PRId64 " before), %s",
		    ids[i], x.rows, x.hours, x.before_hours, x.changed ? "changed" : "unchanged");
		if (x.unsplit_rows)
			printf(" (%" PRId64 " rows unsplit: no tariff rates them)", x.unsplit_rows);
		putchar('\n');
		accounts++;
		changed += x.changed;
		rows += x.rows;
		hours += x.hours;
	}
	tariff_store_free(x.store);
	free(ids);
	printf("usage rebuild: %" PRId64 " accounts, %" PRId64 " changed, %" PRId64 " consumption rows, %" PRId64
	    " hours\n", accounts, changed, rows, hours);
	if (failed)
		return ctl_fail(c, CTL_UNAVAILABLE, "%d accounts could not be rebuilt (listed above); run it again", failed);
	return CTL_OK;
}
