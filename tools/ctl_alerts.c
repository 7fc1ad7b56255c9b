/*
 * prepayctl alerts list / alerts settings / contact add|list|remove
 * (docs/alerts.md): what was sent to whom, by which channel, delivered or
 * not; who is told; a site's quiet hours and channels.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "alerts/message.h"
#include "lib/xmalloc.h"

static void
print_json(cJSON *o)
{
	char *s = cJSON_Print(o);

	printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

static int
site_id(struct ctl *c, const char *code, int64_t *id)
{
	int found = db_query_int(ctl_db(c), id, "SELECT id FROM sites WHERE code = ?", "s", code);

	if (found < 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot look up site %.40s: %s", code, db_error(c->db));
	if (found == 0)
		return ctl_fail(c, CTL_INVALID, "no site %.40s (see prepayctl account list)", code);
	return CTL_OK;
}

/* "SITE/TENANT" → both ids; "SITE" → the site's operators (tenant 0) */
static int
owner_resolve(struct ctl *c, const char *arg, int64_t *site, int64_t *tenant)
{
	const char *slash = strchr(arg, '/');
	char code[40];
	int rc, found;

	*tenant = 0;
	if (slash == NULL)
		return site_id(c, arg, site);
	if (slash - arg > 32 || slash[1] == '\0' || strlen(slash + 1) > 32)
		return ctl_fail(c, CTL_INVALID, "\"%.80s\" is not a tenant: write SITE/TENANT (demo/t01), or SITE "
		    "for the site's operators", arg);
	snprintf(code, sizeof code, "%.*s", (int)(slash - arg), arg);
	if ((rc = site_id(c, code, site)) != CTL_OK)
		return rc;
	found = db_query_int(c->db, tenant, "SELECT id FROM tenants WHERE site_id = ? AND code = ?", "is", *site,
	    slash + 1);
	if (found < 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot look up tenant: %s", db_error(c->db));
	if (found == 0)
		return ctl_fail(c, CTL_INVALID, "no tenant %.40s in site %s", slash + 1, code);
	return CTL_OK;
}

/* Frees detail; 0 or -1 (database), so a db_tx function can return it. */
static int
audit(struct db *db, const char *actor, const char *action, const char *type, int64_t id, cJSON *detail)
{
	char *d = cJSON_PrintUnformatted(detail);
	long long n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail)"
	    " VALUES (?, ?, ?, ?, ?)", "sssis", actor, action, type, id, d);

	free(d);
	cJSON_Delete(detail);
	return n < 0 ? -1 : 0;
}

struct contact_add {
	const struct ctl *c;
	int64_t site, tenant, id;	/* id: the new contact, or the one already there */
	const char *owner, *channel, *address, *lang, *kinds, *name;
};

/* 0 added, CTL_CONFLICT the address is already a contact, -1 database */
static int
contact_add_tx(struct db *db, void *arg)
{
	struct contact_add *a = arg;
	cJSON *d;
	int found;

	found = db_query_int(db, &a->id, "SELECT id FROM alert_contacts WHERE site_id = ? AND tenant_id <=> NULLIF(?, 0)"
	    " AND channel = ? AND address = ? FOR UPDATE", "iiss", a->site, a->tenant, a->channel, a->address);
	if (found != 0)
		return found < 0 ? -1 : CTL_CONFLICT;
	if (db_exec(db, "INSERT INTO alert_contacts (site_id, tenant_id, channel, address, lang, name, kinds,"
	    " created_by) VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?)", "iissssss", a->site, a->tenant, a->channel,
	    a->address, a->lang, a->name, a->kinds, a->c->actor) < 0)
		return -1;
	a->id = db_insert_id(db);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "owner", a->owner);
	cJSON_AddStringToObject(d, "channel", a->channel);
	cJSON_AddStringToObject(d, "address", a->address);
	cJSON_AddStringToObject(d, "lang", a->lang);
	cJSON_AddStringToObject(d, "kinds", a->kinds);
	return audit(db, a->c->actor, "contact.add", "alert_contact", a->id, d);
}

int
ctl_contact_add(struct ctl *c, int argc, char **argv)
{
	const char *lang = "zh", *kinds = "*", *name = "";
	struct ctl_opt opts[] = { { "lang", &lang, 0 }, { "kinds", &kinds, 0 }, { "name", &name, 0 },
		{ NULL, NULL, 0 } };
	char *pos[3], err[400];
	struct contact_add a = { 0 };
	cJSON *d;
	int n, rc;

	if ((n = ctl_opts(argc, argv, opts, pos, 3)) < 0)
		return CTL_USAGE;
	if (n != 3)
		return ctl_fail(c, CTL_USAGE, "usage: contact add SITE/TENANT|SITE sms|wechat|webhook ADDRESS "
		    "[--lang zh|en] [--kinds LIST] [--name TEXT]");
	if (alert_contact_check(pos[1], pos[2], err, sizeof err) != 0)
		return ctl_fail(c, CTL_INVALID, "%s", err);
	if (strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0)
		return ctl_fail(c, CTL_INVALID, "--lang must be zh or en");
	if (alert_kinds_check(kinds, err, sizeof err) != 0)
		return ctl_fail(c, CTL_INVALID, "%s", err);
	if (strlen(name) > 64)
		return ctl_fail(c, CTL_INVALID, "--name is at most 64 bytes");
	if ((rc = owner_resolve(c, pos[0], &a.site, &a.tenant)) != CTL_OK)
		return rc;
	a.c = c;
	a.owner = pos[0];
	a.channel = pos[1];
	a.address = pos[2];
	a.lang = lang;
	a.kinds = kinds;
	a.name = name;
	if ((rc = db_tx(c->db, contact_add_tx, &a)) == CTL_CONFLICT)
		return ctl_fail(c, CTL_CONFLICT, "%s %s is already contact %" PRId64 " of %s (contact remove %" PRId64
		    " first to change it)", pos[1], pos[2], a.id, pos[0], a.id);
	if (rc != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (c->json) {
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "id", (double)a.id);
		print_json(d);
	} else
		printf("contact %" PRId64 ": %s %s for %s (%s, %s)\n", a.id, pos[1], pos[2], pos[0], lang, kinds);
	return CTL_OK;
}

int
ctl_contact_list(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { NULL, NULL, 0 } };
	static const char *const heads[] = { "ID", "TENANT", "CHANNEL", "ADDRESS", "LANG", "KINDS", "ON" };
	char *pos[1];
	int64_t site, tenant;
	struct db_rows *rows;
	struct ctl_table *t = NULL;
	cJSON *arr = NULL;
	int n, rc;

	if ((n = ctl_opts(argc, argv, opts, pos, 1)) < 0)
		return CTL_USAGE;
	if (n != 1)
		return ctl_fail(c, CTL_USAGE, "usage: contact list SITE[/TENANT]");
	if ((rc = owner_resolve(c, pos[0], &site, &tenant)) != CTL_OK)
		return rc;
	rows = db_query(c->db, "SELECT k.id, COALESCE(t.code, '(operators)'), k.channel, k.address, k.lang, k.kinds,"
	    " k.enabled FROM alert_contacts k LEFT JOIN tenants t ON t.id = k.tenant_id WHERE k.site_id = ?"
	    " AND (? = 0 OR k.tenant_id = ?) ORDER BY k.tenant_id, k.id", "iii", site, tenant, tenant);
	if (rows == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (c->json)
		arr = cJSON_CreateArray();
	else
		t = ctl_table_new(7, heads);
	while ((rc = db_rows_next(rows)) == 1) {
		if (c->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "id", (double)db_rows_int(rows, 0));
			cJSON_AddStringToObject(o, "tenant", db_rows_str(rows, 1));
			cJSON_AddStringToObject(o, "channel", db_rows_str(rows, 2));
			cJSON_AddStringToObject(o, "address", db_rows_str(rows, 3));
			cJSON_AddStringToObject(o, "lang", db_rows_str(rows, 4));
			cJSON_AddStringToObject(o, "kinds", db_rows_str(rows, 5));
			cJSON_AddBoolToObject(o, "enabled", db_rows_int(rows, 6) != 0);
			cJSON_AddItemToArray(arr, o);
		} else {
			const char *cells[7] = { db_rows_str(rows, 0), db_rows_str(rows, 1), db_rows_str(rows, 2),
				db_rows_str(rows, 3), db_rows_str(rows, 4), db_rows_str(rows, 5),
				db_rows_int(rows, 6) ? "yes" : "no" };
			ctl_table_add(t, cells);
		}
	}
	db_rows_free(rows);
	if (c->json)
		print_json(arr);
	else
		ctl_table_print(t);
	return rc < 0 ? ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db)) : CTL_OK;
}

struct contact_remove {
	const char *actor;
	int64_t id;
};

/* 0 removed, CTL_INVALID no such contact, -1 database */
static int
contact_remove_tx(struct db *db, void *arg)
{
	struct contact_remove *a = arg;
	long long n;
	cJSON *d;

	/* queued deliveries keep their copy of the address; only new alerts change */
	if ((n = db_exec(db, "DELETE FROM alert_contacts WHERE id = ?", "i", a->id)) <= 0)
		return n < 0 ? -1 : CTL_INVALID;
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "id", (double)a->id);
	return audit(db, a->actor, "contact.remove", "alert_contact", a->id, d);
}

int
ctl_contact_remove(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { NULL, NULL, 0 } };
	char *pos[1];
	long long id;
	struct contact_remove a;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1)
		return ctl_fail(c, CTL_USAGE, "usage: contact remove ID (contact list shows the ids)");
	if ((id = ctl_parse_id(pos[0])) <= 0)
		return ctl_fail(c, CTL_INVALID, "\"%.40s\" is not a contact id (contact list shows them)", pos[0]);
	a.actor = c->actor;
	a.id = (int64_t)id;
	if ((rc = db_tx(ctl_db(c), contact_remove_tx, &a)) == CTL_INVALID)
		return ctl_fail(c, CTL_INVALID, "no contact %lld (contact list shows them)", id);
	if (rc != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (!c->json)
		printf("contact %lld removed\n", id);
	else
		printf("{\"removed\": %lld}\n", id);
	return CTL_OK;
}

struct alerts_settings {
	const char *actor, *site_code, *channels;
	int64_t site;
	int qs, qe;
};

/* the setting and its audit row commit together */
static int
alerts_settings_tx(struct db *db, void *arg)
{
	struct alerts_settings *a = arg;
	cJSON *d;

	if (db_exec(db, "INSERT INTO alert_site_settings (site_id, quiet_start_min, quiet_end_min, channels,"
	    " updated_by) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE quiet_start_min = VALUES(quiet_start_min),"
	    " quiet_end_min = VALUES(quiet_end_min), channels = VALUES(channels), updated_by = VALUES(updated_by)",
	    "iiiss", a->site, (int64_t)a->qs, (int64_t)a->qe, a->channels, a->actor) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "site", a->site_code);
	cJSON_AddNumberToObject(d, "quiet_start_min", a->qs);
	cJSON_AddNumberToObject(d, "quiet_end_min", a->qe);
	cJSON_AddStringToObject(d, "channels", a->channels);
	return audit(db, a->actor, "alerts.settings", "site", a->site, d);
}

int
ctl_alerts_settings(struct ctl *c, int argc, char **argv)
{
	const char *quiet = NULL, *channels = NULL;
	struct ctl_opt opts[] = { { "quiet", &quiet, 0 }, { "channels", &channels, 0 }, { NULL, NULL, 0 } };
	char *pos[1];
	int64_t site;
	int qs = 1320, qe = 480, rc;
	struct db_rows *rows;
	char chans[64] = "sms,wechat,webhook";
	cJSON *d;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1)
		return ctl_fail(c, CTL_USAGE, "usage: alerts settings SITE [--quiet HH:MM-HH:MM|none] "
		    "[--channels sms,wechat,webhook]");
	if ((rc = site_id(c, pos[0], &site)) != CTL_OK)
		return rc;
	rows = db_query(c->db, "SELECT quiet_start_min, quiet_end_min, channels FROM alert_site_settings WHERE site_id = ?",
	    "i", site);
	if (rows == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (db_rows_next(rows) == 1) {
		qs = (int)db_rows_int(rows, 0);
		qe = (int)db_rows_int(rows, 1);
		snprintf(chans, sizeof chans, "%s", db_rows_str(rows, 2));
	}
	db_rows_free(rows);
	if (quiet != NULL && alert_quiet_parse(quiet, &qs, &qe) != 0)
		return ctl_fail(c, CTL_INVALID, "--quiet \"%.40s\": write local times like 22:00-08:00, or none", quiet);
	if (channels != NULL) {
		char copy[64];
		snprintf(copy, sizeof copy, "%s", channels);
		for (char *p = copy, *e; *p; p = e ? e + 1 : p + strlen(p)) {
			if ((e = strchr(p, ',')) != NULL)
				*e = '\0';
			if (strcmp(p, "sms") != 0 && strcmp(p, "wechat") != 0 && strcmp(p, "webhook") != 0)
				return ctl_fail(c, CTL_INVALID, "--channels: \"%.20s\" is not sms, wechat or webhook", p);
			if (e == NULL)
				break;
		}
		snprintf(chans, sizeof chans, "%s", channels);
	}
	if (quiet != NULL || channels != NULL) {
		struct alerts_settings a = { c->actor, pos[0], chans, site, qs, qe };

		if (db_tx(c->db, alerts_settings_tx, &a) != 0)
			return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	}
	if (c->json) {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "site", pos[0]);
		cJSON_AddNumberToObject(d, "quiet_start_min", qs);
		cJSON_AddNumberToObject(d, "quiet_end_min", qe);
		cJSON_AddStringToObject(d, "channels", chans);
		print_json(d);
	} else if (qs == qe)
		printf("site %s: no quiet hours; channels %s\n", pos[0], chans);
	else
		printf("site %s: quiet hours %02d:%02d-%02d:%02d (non-urgent messages wait); channels %s\n", pos[0],
		    qs / 60, qs % 60, qe / 60, qe % 60, chans);
	return CTL_OK;
}

int
ctl_alerts_list(struct ctl *c, int argc, char **argv)
{
	const char *account = NULL, *limit_s = "50";
	struct ctl_opt opts[] = { { "account", &account, 0 }, { "limit", &limit_s, 0 }, { NULL, NULL, 0 } };
	static const char *const heads[] = { "ALERT", "CREATED (UTC)", "ACCOUNT", "MESSAGE", "CHANNEL", "TO",
		"STATUS", "TRIES", "WHEN (UTC)", "ERROR" };
	char *pos[1];
	int64_t acc = 0;
	long long limit;
	struct db_rows *rows;
	struct ctl_table *t = NULL;
	cJSON *arr = NULL;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 0)
		return ctl_fail(c, CTL_USAGE, "usage: alerts list [--account ACCOUNT] [--limit N] [--json]");
	if ((limit = ctl_parse_id(limit_s)) <= 0 || limit > 100000)
		return ctl_fail(c, CTL_INVALID, "--limit must be 1 to 100000");
	if (account != NULL && (rc = ctl_account_resolve(c, account, &acc)) != CTL_OK)
		return rc;
	/* each alert with its deliveries (deliver:<alert>:<contact>, a prefix of the unique key) */
	rows = db_query(ctl_db(c), "SELECT a.id, LEFT(a.created_at, 19), COALESCE(CONCAT(s.code, '/', ac.code), '-'),"
	    " SUBSTRING(a.kind, 7), a.status, COALESCE(SUBSTRING(d.kind, 5), '-'), COALESCE(JSON_VALUE(d.payload, '$.to'), '-'),"
	    " COALESCE(d.status, ''), COALESCE(d.attempts, 0),"
	    " LEFT(COALESCE(CASE WHEN d.status IN ('done', 'failed', 'dead') THEN d.updated_at ELSE d.next_attempt_at END, ''), 19),"
	    " COALESCE(d.last_error, ''), a.account_id, d.id"
	    " FROM (SELECT * FROM outbox WHERE kind LIKE 'alert.%' AND (? = 0 OR account_id = ?) ORDER BY id DESC LIMIT ?) a"
	    " LEFT JOIN outbox d ON d.dedupe_key LIKE CONCAT('deliver:', a.id, ':%')"
	    " LEFT JOIN accounts ac ON ac.id = a.account_id LEFT JOIN sites s ON s.id = ac.site_id"
	    " ORDER BY a.id DESC, d.id", "iii", acc, acc, (int64_t)limit);
	if (rows == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (c->json)
		arr = cJSON_CreateArray();
	else
		t = ctl_table_new(10, heads);
	while ((rc = db_rows_next(rows)) == 1) {
		const char *astatus = db_rows_str(rows, 4), *dstatus = db_rows_str(rows, 7);
		char status[32], tries[16];
		/* an alert not fanned out yet, or one with nobody to tell */
		if (db_rows_isnull(rows, 12))
			snprintf(status, sizeof status, "%s", strcmp(astatus, "done") == 0 ? "no contacts" : astatus);
		else
			snprintf(status, sizeof status, "%s", strcmp(dstatus, "done") == 0 ? "delivered" :
			    strcmp(dstatus, "pending") == 0 && db_rows_int(rows, 8) > 0 ? "retrying" : dstatus);
		snprintf(tries, sizeof tries, "%" PRId64, db_rows_int(rows, 8));
		if (c->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "alert_id", (double)db_rows_int(rows, 0));
			cJSON_AddStringToObject(o, "created_at", db_rows_str(rows, 1));
			cJSON_AddStringToObject(o, "account", db_rows_str(rows, 2));
			cJSON_AddNumberToObject(o, "account_id", (double)db_rows_int(rows, 11));
			cJSON_AddStringToObject(o, "message", db_rows_str(rows, 3));
			cJSON_AddStringToObject(o, "channel", db_rows_str(rows, 5));
			cJSON_AddStringToObject(o, "to", db_rows_str(rows, 6));
			cJSON_AddStringToObject(o, "status", status);
			cJSON_AddBoolToObject(o, "delivered", strcmp(status, "delivered") == 0);
			cJSON_AddNumberToObject(o, "attempts", (double)db_rows_int(rows, 8));
			cJSON_AddStringToObject(o, "when", db_rows_str(rows, 9));
			cJSON_AddStringToObject(o, "error", db_rows_str(rows, 10));
			if (!db_rows_isnull(rows, 12))
				cJSON_AddNumberToObject(o, "delivery_id", (double)db_rows_int(rows, 12));
			cJSON_AddItemToArray(arr, o);
		} else {
			char aid[24], err[90];
			snprintf(aid, sizeof aid, "%" PRId64, db_rows_int(rows, 0));
			snprintf(err, sizeof err, "%.80s", db_rows_str(rows, 10));
			const char *cells[10] = { aid, db_rows_str(rows, 1), db_rows_str(rows, 2), db_rows_str(rows, 3),
				db_rows_str(rows, 5), db_rows_str(rows, 6), status, tries, db_rows_str(rows, 9), err };
			ctl_table_add(t, cells);
		}
	}
	db_rows_free(rows);
	if (c->json)
		print_json(arr);
	else
		ctl_table_print(t);
	return rc < 0 ? ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db)) : CTL_OK;
}
