/*
 * prepayctl meter share | meter loss | fixed-charges run: shared meters,
 * line loss and standing charges for idle accounts (docs/statements.md,
 * "Shared meters and line loss", "Month end").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "billing/share.h"
#include "billing/statement.h"
#include "billing/tariff.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "tools/ctl.h"

#define MAX_SHARE_ARGS 512
#define MAX_SUBMETERS 256

struct sharer {
	int64_t account_id, weight;
};

struct share_tx {
	int64_t meter_id, site_id, account_id;	/* account: the shared meter's own (0: a master) */
	const char *energy;
	enum share_rule rule;
	int n;
	struct sharer *s;
	int nsubs;
	int64_t subs[MAX_SUBMETERS];
	const char *actor;
	char err[300];
};

static int
share_fn(struct db *db, void *arg)
{
	struct share_tx *x = arg;
	char *detail;
	long long rc;

	if (db_exec(db, "INSERT INTO meter_apportion (meter_id, source, rule, updated_by) VALUES (?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE source = VALUES(source), rule = VALUES(rule), updated_by = VALUES(updated_by)",
	    "isss", x->meter_id, x->account_id ? "shared" : "loss", share_rule_name(x->rule), x->actor) < 0 ||
	    db_exec(db, "DELETE FROM meter_shares WHERE meter_id = ?", "i", x->meter_id) < 0)
		return -1;
	for (int i = 0; i < x->n; i++)
		if (db_exec(db, "INSERT INTO meter_shares (meter_id, account_id, rule, weight) VALUES (?, ?, ?, ?)",
		    "iisi", x->meter_id, x->s[i].account_id, x->rule == SHARE_NONE ? "fixed" : share_rule_name(x->rule),
		    x->s[i].weight) < 0)
			return -1;
	if (x->nsubs > 0) {
		if (db_exec(db, "DELETE FROM meter_submeters WHERE master_id = ?", "i", x->meter_id) < 0)
			return -1;
		for (int i = 0; i < x->nsubs; i++)
			if (db_exec(db, "INSERT INTO meter_submeters (meter_id, master_id) VALUES (?, ?) ON DUPLICATE KEY"
			    " UPDATE master_id = VALUES(master_id)", "ii", x->subs[i], x->meter_id) < 0)
				return -1;
	}
	detail = xasprintf("{\"source\":\"%s\",\"rule\":\"%s\",\"accounts\":%d,\"submeters\":%d}",
	    x->account_id ? "shared" : "loss", share_rule_name(x->rule), x->n, x->nsubs);
	rc = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail) VALUES (?, 'meter.share',"
	    " 'meter', ?, ?)", "sis", x->actor, x->meter_id, detail);
	free(detail);
	return rc < 0 ? -1 : 0;
}

static int
usage_share(void)
{
	fputs("usage: prepayctl meter share METER --rule area|fixed|consumption|none [--account ACCOUNT [--share N]]..."
	    " [--submeters METER,...]\n", stderr);
	return CTL_USAGE;
}

/* a meter code of the same site, or an id */
static int
sub_resolve(struct ctl *c, int64_t site_id, const char *code, int64_t *id)
{
	int rc;
	long long n = ctl_parse_id(code);

	if (n > 0)
		rc = db_query_int(ctl_db(c), id, "SELECT id FROM meters WHERE id = ? AND site_id = ?", "ii", (int64_t)n,
		    site_id);
	else
		rc = db_query_int(ctl_db(c), id, "SELECT id FROM meters WHERE code = ? AND site_id = ?", "si", code,
		    site_id);
	if (rc == -1)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read meters: %s", db_error(c->db));
	if (rc == 0)
		return ctl_fail(c, CTL_INVALID, "--submeters: no meter \"%.40s\" in the master meter's site", code);
	return CTL_OK;
}

int
ctl_meter_share(struct ctl *c, int argc, char **argv)
{
	const char *meter = NULL, *rule = NULL, *subs = NULL;
	struct share_tx x = { .actor = c->actor };
	struct sharer *sh = xcalloc(MAX_SHARE_ARGS, sizeof *sh);
	const char *share_arg[MAX_SHARE_ARGS], *acct_arg[MAX_SHARE_ARGS];
	int64_t nsite_accounts = 0;
	char energy[16] = "", code[80] = "";
	struct db_rows *r;
	int rc = CTL_USAGE, n = 0, given_share = 0;

	x.s = sh;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--rule") == 0 && i + 1 < argc)
			rule = argv[++i];
		else if (strcmp(a, "--submeters") == 0 && i + 1 < argc)
			subs = argv[++i];
		else if (strcmp(a, "--account") == 0 && i + 1 < argc) {
			if (n == MAX_SHARE_ARGS) {
				rc = ctl_fail(c, CTL_USAGE, "at most %d --account", MAX_SHARE_ARGS);
				goto out;
			}
			/* resolved below, once the meter is known */
			share_arg[n] = NULL;
			acct_arg[n++] = argv[++i];
		} else if (strcmp(a, "--share") == 0 && i + 1 < argc) {
			if (n == 0 || share_arg[n - 1] != NULL) {
				rc = ctl_fail(c, CTL_USAGE, "--share N follows the --account it is for");
				goto out;
			}
			share_arg[n - 1] = argv[++i];
			given_share = 1;
		} else if (a[0] != '-' && meter == NULL)
			meter = a;
		else {
			fprintf(stderr, "prepayctl: unexpected argument \"%s\"\n", a);
			rc = usage_share();
			goto out;
		}
	}
	if (meter == NULL || rule == NULL) {
		rc = usage_share();
		goto out;
	}
	if (share_rule_parse(rule, &x.rule) == -1) {
		rc = ctl_fail(c, CTL_USAGE, "--rule: \"%.40s\" is not area, fixed, consumption or none", rule);
		goto out;
	}
	if (x.rule == SHARE_FIXED) {
		if (n == 0) {
			rc = ctl_fail(c, CTL_USAGE, "--rule fixed needs --account A --share N for each tenant");
			goto out;
		}
		for (int i = 0; i < n; i++)
			if (share_arg[i] == NULL) {
				rc = ctl_fail(c, CTL_USAGE, "--rule fixed: --account %s needs its --share N", acct_arg[i]);
				goto out;
			}
	} else if (given_share) {
		rc = ctl_fail(c, CTL_USAGE, "--share is only for --rule fixed (area and consumption shares are measured)");
		goto out;
	}
	if ((rc = ctl_meter_resolve(c, meter, &x.meter_id)) != CTL_OK)
		goto out;
	r = db_query(ctl_db(c), "SELECT m.site_id, IFNULL(m.account_id, 0), m.energy, CONCAT(s.code, '/', m.code)"
	    " FROM meters m JOIN sites s ON s.id = m.site_id WHERE m.id = ?", "i", x.meter_id);
	if (r == NULL || db_rows_next(r) != 1) {
		db_rows_free(r);
		rc = ctl_fail(c, CTL_UNAVAILABLE, "cannot read the meter: %s", db_error(c->db));
		goto out;
	}
	x.site_id = db_rows_int(r, 0);
	x.account_id = db_rows_int(r, 1);
	snprintf(energy, sizeof energy, "%s", db_rows_str(r, 2));
	snprintf(code, sizeof code, "%s", db_rows_str(r, 3));
	db_rows_free(r);
	x.energy = energy;
	if (subs != NULL && x.account_id != 0) {
		rc = ctl_fail(c, CTL_INVALID, "%s has an account, so it is a shared meter; --submeters is for a master"
		    " meter (one without an account) whose line loss is apportioned", code);
		goto out;
	}
	if (subs != NULL) {
		char buf[4096], *p, *e;
		snprintf(buf, sizeof buf, "%s", subs);
		for (p = buf; *p != '\0'; p = e) {
			e = p + strcspn(p, ",");
			if (*e == ',')
				*e++ = '\0';
			if (*p == '\0')
				continue;
			if (x.nsubs == MAX_SUBMETERS) {
				rc = ctl_fail(c, CTL_USAGE, "--submeters: at most %d", MAX_SUBMETERS);
				goto out;
			}
			if ((rc = sub_resolve(c, x.site_id, p, &x.subs[x.nsubs])) != CTL_OK)
				goto out;
			if (x.subs[x.nsubs] == x.meter_id) {
				rc = ctl_fail(c, CTL_INVALID, "--submeters: a master meter cannot be its own sub-meter");
				goto out;
			}
			x.nsubs++;
		}
	}
	/* the sharers: those named, or every open account of the site for this energy */
	for (int i = 0; i < n; i++) {
		const char *name = acct_arg[i];
		int64_t site;
		if ((rc = ctl_account_resolve(c, name, &sh[i].account_id)) != CTL_OK)
			goto out;
		if (db_query_int(ctl_db(c), &site, "SELECT site_id FROM accounts WHERE id = ?", "i", sh[i].account_id) != 1 ||
		    site != x.site_id) {
			rc = ctl_fail(c, CTL_INVALID, "account %s is not in the meter's site", name);
			goto out;
		}
		if (sh[i].account_id == x.account_id) {
			rc = ctl_fail(c, CTL_INVALID, "account %s is the shared meter's own account: it is credited back,"
			    " not charged", name);
			goto out;
		}
		for (int j = 0; j < i; j++)
			if (sh[j].account_id == sh[i].account_id) {
				rc = ctl_fail(c, CTL_USAGE, "account %s is named twice", name);
				goto out;
			}
		sh[i].weight = 0;
		if (x.rule == SHARE_FIXED) {
			if (money_parse_yuan(share_arg[i], &sh[i].weight) != 0 || sh[i].weight <= 0) {
				rc = ctl_fail(c, CTL_USAGE, "--share \"%.40s\": give a positive number of parts (up to 2"
				    " decimals), e.g. 25 or 12.5", share_arg[i]);
				goto out;
			}
		}
	}
	if (n == 0 && x.rule != SHARE_NONE) {
		r = db_query(ctl_db(c), "SELECT id FROM accounts WHERE site_id = ? AND status = 'open' AND energy IN ('all', ?)"
		    " AND id <> ? ORDER BY id", "isi", x.site_id, energy, x.account_id);
		if (r == NULL) {
			rc = ctl_fail(c, CTL_UNAVAILABLE, "cannot read accounts: %s", db_error(c->db));
			goto out;
		}
		while (db_rows_next(r) == 1 && n < MAX_SHARE_ARGS)
			sh[n++].account_id = db_rows_int(r, 0);
		db_rows_free(r);
	}
	if (x.rule == SHARE_AREA) {
		for (int i = 0; i < n; i++) {
			int64_t a = 0;
			db_query_int(ctl_db(c), &a, "SELECT IFNULL(SUM(u.area_m2_e2), 0) FROM units u WHERE u.id IN"
			    " (SELECT m.unit_id FROM meters m WHERE m.account_id = ?)", "i", sh[i].account_id);
			nsite_accounts += a;
		}
		if (nsite_accounts == 0) {
			rc = ctl_fail(c, CTL_INVALID, "--rule area: none of these accounts' meters is in a unit with an"
			    " area (set the units' area in the park file)");
			goto out;
		}
	}
	x.n = n;
	if (x.rule != SHARE_NONE && n == 0) {
		rc = ctl_fail(c, CTL_INVALID, "no account of the site could share %s", code);
		goto out;
	}
	if (db_tx(ctl_db(c), share_fn, &x) != 0) {
		rc = ctl_fail(c, CTL_UNAVAILABLE, "cannot store the shares: %s", db_error(c->db));
		goto out;
	}
	printf("meter %s: %s, rule %s, %d account%s%s", code, x.account_id ? "shared meter (its account is credited"
	    " back)" : "master meter (line loss)", share_rule_name(x.rule), n, n == 1 ? "" : "s",
	    x.nsubs ? "" : "\n");
	if (x.nsubs)
		printf(", %d sub-meters\n", x.nsubs);
	rc = CTL_OK;
out:
	free(sh);
	return rc;
}

int
ctl_meter_loss(struct ctl *c, int argc, char **argv)
{
	const char *month = NULL, *site = NULL;
	struct ctl_opt opts[] = { { "month", &month, 0 }, { "site", &site, 0 }, { NULL, NULL, 0 } };
	static const char *const hdr[] = { "master", "month", "master kWh", "sub-meters", "loss", "loss %", "cost",
	    "note" };
	struct ctl_table *t;
	struct db_rows *r;
	int64_t site_id;
	int y, m, rc;
	char tail;

	if (ctl_opts(argc, argv, opts, NULL, 0) == -1 || month == NULL) {
		fputs("usage: prepayctl meter loss --month YYYY-MM [--site SITE]\n", stderr);
		return CTL_USAGE;
	}
	if (sscanf(month, "%4d-%2d%c", &y, &m, &tail) != 2 || strlen(month) != 7 || m < 1 || m > 12)
		return ctl_fail(c, CTL_USAGE, "--month: \"%.20s\" is not a month YYYY-MM", month);
	if (site != NULL && (rc = ctl_site_resolve(c, site, &site_id)) != CTL_OK)
		return rc;
	r = db_query(ctl_db(c), "SELECT CONCAT(s.code, '/', m.code), l.period, l.master_milli IS NULL, l.master_milli,"
	    " l.sub_milli, l.loss_milli, l.loss_fen, l.note, m.energy FROM line_losses l JOIN meters m ON m.id = l.master_id"
	    " JOIN sites s ON s.id = l.site_id WHERE l.period = ? AND (? IS NULL OR s.code = ?) ORDER BY s.code, m.code",
	    "iss", (int64_t)(y * 100 + m), site, site);
	if (r == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read line_losses: %s", db_error(c->db));
	int first = 1;
	t = c->json ? NULL : ctl_table_new(8, hdr);
	for (int i = 2; t != NULL && i < 7; i++)
		ctl_table_right(t, i);
	if (c->json)
		fputs("[", stdout);
	while ((rc = db_rows_next(r)) == 1) {
		char a[32] = "-", b[32], l[32] = "-", pct[16] = "-", cost[32], per[16];
		int64_t master = db_rows_int(r, 3), sub = db_rows_int(r, 4), loss = db_rows_int(r, 5);
		int measured = !db_rows_int(r, 2);
		if (measured) {
			tariff_format_decimal(master, 3, a, sizeof a);
			tariff_format_decimal(loss, 3, l, sizeof l);
			if (master > 0)
				tariff_format_decimal(loss * 10000 / master, 2, pct, sizeof pct);
		}
		tariff_format_decimal(sub, 3, b, sizeof b);
		tariff_format_decimal(db_rows_int(r, 6), 2, cost, sizeof cost);
		snprintf(per, sizeof per, "%04d-%02d", (int)(db_rows_int(r, 1) / 100), (int)(db_rows_int(r, 1) % 100));
		if (c->json) {
			printf("%s{\"meter\":\"%s\",\"month\":\"%s\",\"energy\":\"%s\",\"master\":%s%s%s,\"sub\":\"%s\","
			    "\"loss\":%s%s%s,\"loss_percent\":%s%s%s,\"loss_yuan\":\"%s\",\"note\":\"%s\"}", first ? "" : ",",
			    db_rows_str(r, 0), per, db_rows_str(r, 8), measured ? "\"" : "", measured ? a : "null",
			    measured ? "\"" : "", b, measured ? "\"" : "", measured ? l : "null", measured ? "\"" : "",
			    pct[0] != '-' ? "\"" : "", pct[0] != '-' ? pct : "null", pct[0] != '-' ? "\"" : "", cost,
			    db_rows_str(r, 7));
			first = 0;
		} else {
			const char *cells[8] = { db_rows_str(r, 0), per, a, b, l, pct, cost, db_rows_str(r, 7) };
			ctl_table_add(t, cells);
		}
	}
	db_rows_free(r);
	if (c->json)
		puts("]");
	else
		ctl_table_print(t);
	if (rc == -1)
		return ctl_fail(c, CTL_UNAVAILABLE, "reading line_losses failed: %s", db_error(c->db));
	return CTL_OK;
}

static void
fixed_report(void *arg, const char *msg)
{
	int *failed = arg;

	(*failed)++;
	fprintf(stderr, "prepayctl: %s\n", msg);
}

int
ctl_fixed_run(struct ctl *c, int argc, char **argv)
{
	const char *date = NULL, *site = NULL, *account = NULL;
	struct ctl_opt opts[] = { { "date", &date, 0 }, { "site", &site, 0 }, { "account", &account, 0 },
		{ NULL, NULL, 0 } };
	struct fixed_run_stats st;
	int64_t site_id = 0, account_id = 0;
	char err[400], money[32];
	int rc, failed = 0;

	if (ctl_opts(argc, argv, opts, NULL, 0) == -1) {
		fputs("usage: prepayctl fixed-charges run [--date YYYY-MM-DD] [--site SITE] [--account ACCOUNT]\n", stderr);
		return CTL_USAGE;
	}
	if (site != NULL && (rc = ctl_site_resolve(c, site, &site_id)) != CTL_OK)
		return rc;
	if (account != NULL && (rc = ctl_account_resolve(c, account, &account_id)) != CTL_OK)
		return rc;
	if (statement_fixed_run(ctl_db(c), site_id, account_id, date, (int64_t)time(NULL), c->actor, &st, fixed_report,
	    &failed, err, sizeof err) == -1)
		return ctl_fail(c, strstr(err, "is not a date") ? CTL_USAGE : CTL_UNAVAILABLE, "fixed-charges run: %s", err);
	tariff_format_decimal(st.posted_fen, 2, money, sizeof money);
	printf("fixed charges through %s: %" PRId64 " account tariffs, %" PRId64 " charged now, %s yuan posted, %" PRId64
	    " refused\n", date ? date : "today", st.accounts, st.charged, money, st.failed);
	return st.failed ? ctl_fail(c, CTL_FOUND_PROBLEMS, "%" PRId64 " accounts could not be charged (listed above)",
	    st.failed) : CTL_OK;
}
