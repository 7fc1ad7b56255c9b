/*
 * prepayctl account list / account show, and the resolver every command
 * uses to turn what an operator typed ("42" or "demo/t01-e") into an id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define ACCOUNT_LEDGER_SHOWN 10

int
ctl_site_resolve(struct ctl *c, const char *code, int64_t *id)
{
	int found = db_query_int(ctl_db(c), id, "SELECT id FROM sites WHERE code = ?", "s", code);

	if (found < 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read sites: %s", db_error(c->db));
	if (found == 0)
		return ctl_fail(c, CTL_INVALID, "no site \"%.40s\" (site codes are in the park file)", code);
	return CTL_OK;
}

int
ctl_account_resolve(struct ctl *c, const char *arg, int64_t *id)
{
	const char *slash = strchr(arg, '/');
	long long n = ctl_parse_id(arg);
	int found;

	if (n > 0) {
		found = db_query_int(ctl_db(c), id, "SELECT id FROM accounts WHERE id = ?", "i", (int64_t)n);
	} else if (slash != NULL && slash != arg && slash[1] != '\0' && strchr(slash + 1, '/') == NULL &&
	    slash - arg <= 32 && strlen(slash + 1) <= 32) {
		char site[33];
		snprintf(site, sizeof site, "%.*s", (int)(slash - arg), arg);
		found = db_query_int(ctl_db(c), id, "SELECT a.id FROM accounts a JOIN sites s ON s.id = a.site_id"
		    " WHERE s.code = ? AND a.code = ?", "ss", site, slash + 1);
	} else {
		return ctl_fail(c, CTL_INVALID, "\"%.80s\" is not an account: give its id (42) or SITE/CODE"
		    " (demo/t01-e), as in prepayctl account list", arg);
	}
	if (found < 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot look up account %.80s: %s", arg, db_error(c->db));
	if (found == 0)
		return ctl_fail(c, CTL_INVALID, "no account %.80s (see prepayctl account list)", arg);
	return CTL_OK;
}

/* "2026-01-02 03:04:05.123456" → "2026-01-02T03:04:05.123456Z" for JSON */
static char *
iso_utc(const char *dt)
{
	char *s;

	if (dt == NULL)
		return NULL;
	s = xasprintf("%sZ", dt);
	if (strlen(s) > 10 && s[10] == ' ')
		s[10] = 'T';
	return s;
}

/* "2026-01-02 03:04:05" for people: whole seconds are enough */
static const char *
human_time(const char *dt, char buf[20])
{
	snprintf(buf, 20, "%.19s", dt != NULL ? dt : "");
	return buf;
}

static void
json_add_time(cJSON *o, const char *key, const char *dt)
{
	char *s = iso_utc(dt);

	if (s != NULL)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
	free(s);
}

static void
json_print(cJSON *o)
{
	char *s = cJSON_Print(o);

	printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

int
ctl_account_list(struct ctl *c, int argc, char **argv)
{
	const char *site = NULL, *tenant = NULL;
	struct ctl_opt opts[] = { { "site", &site, 0 }, { "tenant", &tenant, 0 }, { NULL, NULL, 0 } };
	static const char *const headers[] = { "ID", "SITE", "ACCOUNT", "TENANT", "ENERGY", "BALANCE ¥",
	    "KEEP-POWER", "STATUS", "METERS" };
	struct ctl_table *t = NULL;
	cJSON *arr = NULL;
	struct db_rows *r;
	struct db *db;
	int64_t n;
	int rows = 0, rc;

	if (ctl_opts(argc, argv, opts, NULL, 0) < 0) {
		fputs("usage: prepayctl account list [--site CODE] [--tenant CODE]\n", stderr);
		return CTL_USAGE;
	}
	db = ctl_db(c);
	if (site != NULL && (rc = ctl_site_resolve(c, site, &n)) != CTL_OK)
		return rc;
	if (tenant != NULL) {
		if (db_query_int(db, &n, "SELECT COUNT(*) FROM tenants t JOIN sites s ON s.id = t.site_id"
		    " WHERE t.code = ? AND (? IS NULL OR s.code = ?)", "sss", tenant, site, site) < 0)
			return ctl_fail(c, CTL_UNAVAILABLE, "cannot read tenants: %s", db_error(db));
		if (n == 0)
			return ctl_fail(c, CTL_INVALID, "no tenant \"%.40s\"%s%.40s", tenant,
			    site != NULL ? " in site " : "", site != NULL ? site : "");
	}
	if ((r = db_query(db, "SELECT a.id, s.code, a.code, t.code, t.name, a.energy, a.balance_fen,"
	    " a.keep_power, a.status, (SELECT COUNT(*) FROM meters m WHERE m.account_id = a.id)"
	    " FROM accounts a JOIN sites s ON s.id = a.site_id JOIN tenants t ON t.id = a.tenant_id"
	    " WHERE (? IS NULL OR s.code = ?) AND (? IS NULL OR t.code = ?)"
	    " ORDER BY s.code, a.code, a.id", "ssss", site, site, tenant, tenant)) == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read accounts: %s", db_error(db));
	if (c->json)
		arr = cJSON_CreateArray();
	else {
		t = ctl_table_new(9, headers);
		ctl_table_right(t, 0);
		ctl_table_right(t, 5);
		ctl_table_right(t, 8);
	}
	while (db_rows_next(r) == 1) {
		char money[MONEY_FMT_LEN];
		money_format(db_rows_int(r, 6), money);
		if (c->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "id", (double)db_rows_int(r, 0));
			cJSON_AddStringToObject(o, "site", db_rows_str(r, 1));
			cJSON_AddStringToObject(o, "code", db_rows_str(r, 2));
			cJSON_AddStringToObject(o, "tenant_code", db_rows_str(r, 3));
			cJSON_AddStringToObject(o, "tenant", db_rows_str(r, 4));
			cJSON_AddStringToObject(o, "energy", db_rows_str(r, 5));
			cJSON_AddNumberToObject(o, "balance_fen", (double)db_rows_int(r, 6));
			cJSON_AddStringToObject(o, "balance", money);
			cJSON_AddBoolToObject(o, "keep_power", db_rows_int(r, 7) != 0);
			cJSON_AddStringToObject(o, "status", db_rows_str(r, 8));
			cJSON_AddNumberToObject(o, "meters", (double)db_rows_int(r, 9));
			cJSON_AddItemToArray(arr, o);
		} else {
			const char *cells[] = { db_rows_str(r, 0), db_rows_str(r, 1), db_rows_str(r, 2),
			    db_rows_str(r, 4), db_rows_str(r, 5), money, db_rows_int(r, 7) ? "yes" : "",
			    db_rows_str(r, 8), db_rows_str(r, 9) };
			ctl_table_add(t, cells);
		}
		rows++;
	}
	db_rows_free(r);
	if (c->json) {
		json_print(arr);
		return CTL_OK;
	}
	ctl_table_print(t);
	printf("%d account%s\n", rows, rows == 1 ? "" : "s");
	return CTL_OK;
}

/* The account's meters: table rows for people or a JSON array. */
static int
show_meters(struct ctl *c, int64_t id, cJSON *o)
{
	static const char *const headers[] = { "METER", "SERIAL", "ENERGY", "PROFILE", "GATEWAY", "ADDRESS",
	    "UNIT", "CT", "PT", "RELAY", "ENABLED" };
	struct ctl_table *t = NULL;
	cJSON *arr = NULL;
	struct db_rows *r;
	int n = 0;

	if ((r = db_query(c->db, "SELECT m.code, m.serial, m.energy, m.profile, g.code, m.modbus_unit, u.code,"
	    " m.ct_ratio, m.pt_ratio, m.relay_capable, m.enabled FROM meters m"
	    " LEFT JOIN gateways g ON g.id = m.gateway_id LEFT JOIN units u ON u.id = m.unit_id"
	    " WHERE m.account_id = ? ORDER BY m.code", "i", id)) == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read meters: %s", db_error(c->db));
	if (o != NULL)
		arr = cJSON_AddArrayToObject(o, "meters");
	else
		t = ctl_table_new(11, headers);
	while (db_rows_next(r) == 1) {
		n++;
		if (o != NULL) {
			cJSON *m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "code", db_rows_str(r, 0));
			cJSON_AddStringToObject(m, "serial", db_rows_str(r, 1));
			cJSON_AddStringToObject(m, "energy", db_rows_str(r, 2));
			cJSON_AddStringToObject(m, "profile", db_rows_str(r, 3));
			if (db_rows_isnull(r, 4))
				cJSON_AddNullToObject(m, "gateway");
			else
				cJSON_AddStringToObject(m, "gateway", db_rows_str(r, 4));
			if (db_rows_isnull(r, 5))
				cJSON_AddNullToObject(m, "address");
			else
				cJSON_AddNumberToObject(m, "address", (double)db_rows_int(r, 5));
			if (db_rows_isnull(r, 6))
				cJSON_AddNullToObject(m, "unit");
			else
				cJSON_AddStringToObject(m, "unit", db_rows_str(r, 6));
			cJSON_AddNumberToObject(m, "ct_ratio", (double)db_rows_int(r, 7));
			cJSON_AddNumberToObject(m, "pt_ratio", (double)db_rows_int(r, 8));
			cJSON_AddBoolToObject(m, "relay", db_rows_int(r, 9) != 0);
			cJSON_AddBoolToObject(m, "enabled", db_rows_int(r, 10) != 0);
			cJSON_AddItemToArray(arr, m);
		} else {
			const char *cells[] = { db_rows_str(r, 0), db_rows_str(r, 1), db_rows_str(r, 2),
			    db_rows_str(r, 3), db_rows_str(r, 4), db_rows_str(r, 5), db_rows_str(r, 6),
			    db_rows_str(r, 7), db_rows_str(r, 8), db_rows_int(r, 9) ? "yes" : "no",
			    db_rows_int(r, 10) ? "yes" : "no" };
			ctl_table_add(t, cells);
		}
	}
	db_rows_free(r);
	if (o == NULL) {
		printf("\nmeters (%d)\n", n);
		ctl_table_print(t);
		if (n == 0)
			printf("(no meters: the park file links meters to accounts)\n");
	}
	return CTL_OK;
}

/* The last entries, oldest first, as a statement reads. */
static int
show_ledger(struct ctl *c, int64_t id, cJSON *o)
{
	static const char *const headers[] = { "SEQ", "TIME (UTC)", "KIND", "AMOUNT ¥", "BALANCE ¥", "COUNTER",
	    "REFERENCE", "ACTOR", "REASON" };
	struct ctl_table *t = NULL;
	cJSON *arr = NULL;
	struct db_rows *r;
	int n = 0;

	if ((r = db_query(c->db, "SELECT seq, created_at, kind, amount_fen, balance_after_fen, counter_account,"
	    " reference, actor, reason FROM (SELECT * FROM ledger_entries WHERE account_id = ?"
	    " ORDER BY seq DESC LIMIT ?) e ORDER BY seq", "ii", id, (int64_t)ACCOUNT_LEDGER_SHOWN)) == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read the ledger: %s (has prepayctl db migrate run?)",
		    db_error(c->db));
	if (o != NULL)
		arr = cJSON_AddArrayToObject(o, "ledger");
	else {
		t = ctl_table_new(9, headers);
		ctl_table_right(t, 0);
		ctl_table_right(t, 3);
		ctl_table_right(t, 4);
	}
	while (db_rows_next(r) == 1) {
		char amount[MONEY_FMT_LEN], after[MONEY_FMT_LEN], when[20];
		n++;
		money_format(db_rows_int(r, 3), amount);
		money_format(db_rows_int(r, 4), after);
		if (o != NULL) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "seq", (double)db_rows_int(r, 0));
			json_add_time(e, "created_at", db_rows_str(r, 1));
			cJSON_AddStringToObject(e, "kind", db_rows_str(r, 2));
			cJSON_AddNumberToObject(e, "amount_fen", (double)db_rows_int(r, 3));
			cJSON_AddNumberToObject(e, "balance_after_fen", (double)db_rows_int(r, 4));
			cJSON_AddStringToObject(e, "counter_account", db_rows_str(r, 5));
			if (db_rows_isnull(r, 6))
				cJSON_AddNullToObject(e, "reference");
			else
				cJSON_AddStringToObject(e, "reference", db_rows_str(r, 6));
			cJSON_AddStringToObject(e, "actor", db_rows_str(r, 7));
			cJSON_AddStringToObject(e, "reason", db_rows_str(r, 8));
			cJSON_AddItemToArray(arr, e);
		} else {
			const char *cells[] = { db_rows_str(r, 0), human_time(db_rows_str(r, 1), when),
			    db_rows_str(r, 2), amount, after, db_rows_str(r, 5), db_rows_str(r, 6),
			    db_rows_str(r, 7), db_rows_str(r, 8) };
			ctl_table_add(t, cells);
		}
	}
	db_rows_free(r);
	if (o == NULL) {
		printf("\nlast %d ledger entr%s (at most %d)\n", n, n == 1 ? "y" : "ies", ACCOUNT_LEDGER_SHOWN);
		ctl_table_print(t);
		if (n == 0)
			printf("(no entries yet: see prepayctl topup)\n");
	}
	return CTL_OK;
}

int
ctl_account_show(struct ctl *c, int argc, char **argv)
{
	char *pos[1], bal[MONEY_FMT_LEN], od[MONEY_FMT_LEN], floor[MONEY_FMT_LEN];
	struct db_rows *r;
	cJSON *o = NULL;
	int64_t id;
	int rc;

	if (ctl_opts(argc, argv, NULL, pos, 1) != 1) {
		fputs("usage: prepayctl account show ID|SITE/CODE\n", stderr);
		return CTL_USAGE;
	}
	if ((rc = ctl_account_resolve(c, pos[0], &id)) != CTL_OK)
		return rc;
	if ((r = db_query(c->db, "SELECT a.id, s.code, s.name, a.code, t.code, t.name, t.contact_name,"
	    " t.contact_phone, a.energy, a.balance_fen, a.overdraft_fen, a.keep_power, a.status, a.last_seq,"
	    " a.created_at, a.updated_at FROM accounts a JOIN sites s ON s.id = a.site_id"
	    " JOIN tenants t ON t.id = a.tenant_id WHERE a.id = ?", "i", id)) == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read account %lld: %s", (long long)id, db_error(c->db));
	if (db_rows_next(r) != 1) {
		db_rows_free(r);
		return ctl_fail(c, CTL_INVALID, "no account %.80s (see prepayctl account list)", pos[0]);
	}
	money_format(db_rows_int(r, 9), bal);
	money_format(db_rows_int(r, 10), od);
	money_format(-db_rows_int(r, 10), floor);
	if (c->json) {
		cJSON *s, *t;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)id);
		cJSON_AddStringToObject(o, "code", db_rows_str(r, 3));
		s = cJSON_AddObjectToObject(o, "site");
		cJSON_AddStringToObject(s, "code", db_rows_str(r, 1));
		cJSON_AddStringToObject(s, "name", db_rows_str(r, 2));
		t = cJSON_AddObjectToObject(o, "tenant");
		cJSON_AddStringToObject(t, "code", db_rows_str(r, 4));
		cJSON_AddStringToObject(t, "name", db_rows_str(r, 5));
		cJSON_AddStringToObject(t, "contact_name", db_rows_str(r, 6));
		cJSON_AddStringToObject(t, "contact_phone", db_rows_str(r, 7));
		cJSON_AddStringToObject(o, "energy", db_rows_str(r, 8));
		cJSON_AddStringToObject(o, "status", db_rows_str(r, 12));
		cJSON_AddNumberToObject(o, "balance_fen", (double)db_rows_int(r, 9));
		cJSON_AddStringToObject(o, "balance", bal);
		cJSON_AddNumberToObject(o, "overdraft_fen", (double)db_rows_int(r, 10));
		cJSON_AddBoolToObject(o, "keep_power", db_rows_int(r, 11) != 0);
		cJSON_AddNumberToObject(o, "last_seq", (double)db_rows_int(r, 13));
		json_add_time(o, "created_at", db_rows_str(r, 14));
		json_add_time(o, "updated_at", db_rows_str(r, 15));
	} else {
		char t1[20];
		printf("account     %lld  %s/%s\n", (long long)id, db_rows_str(r, 1), db_rows_str(r, 3));
		printf("site        %s  %s\n", db_rows_str(r, 1), db_rows_str(r, 2));
		printf("tenant      %s  %s", db_rows_str(r, 4), db_rows_str(r, 5));
		if (db_rows_str(r, 6)[0] != '\0' || db_rows_str(r, 7)[0] != '\0')
			printf("  (contact: %s %s)", db_rows_str(r, 6), db_rows_str(r, 7));
		printf("\nenergy      %s\n", db_rows_str(r, 8));
		printf("status      %s\n", db_rows_str(r, 12));
		printf("balance     ¥%s\n", bal);
		printf("overdraft   ¥%s (the balance may fall to ¥%s)\n", od, floor);
		printf("keep-power  %s\n", db_rows_int(r, 11) ? "yes (保电: supply is never cut)" : "no");
		printf("entries     %s\n", db_rows_str(r, 13));
		printf("created     %s UTC\n", human_time(db_rows_str(r, 14), t1));
	}
	db_rows_free(r);
	if ((rc = show_meters(c, id, o)) != CTL_OK || (rc = show_ledger(c, id, o)) != CTL_OK) {
		cJSON_Delete(o);
		return rc;
	}
	if (o != NULL)
		json_print(o);
	return CTL_OK;
}
