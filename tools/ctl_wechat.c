/*
 * prepayctl wechat: the mini-program's WeChat bindings (docs/tenant.md).
 *   wechat bindings [--site SITE] [--user PHONE]
 *   wechat unbind PHONE|--openid OPENID --reason TEXT
 * A binding ties a WeChat user (openid of the mini-program's appid) to a
 * tenant user after an SMS check of the phone. When a tenant changes phone
 * or WeChat account the park office removes it; the sessions that openid
 * signed in (sessions.wechat_openid) end with it, password and SMS-code
 * sessions of the same user go on. The table masks openids (they name a
 * person to WeChat); --json, for scripts, has them whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "cgi/auth.h"

#define UNBIND_USAGE "usage: prepayctl wechat unbind PHONE|--openid OPENID --reason TEXT [--json]"
#define UNBIND_MAX 32		/* bindings of one user removed at once; more is not a real user */

/* "o…abcd": enough to tell two bindings apart, not enough to use one */
static void
openid_mask(const char *openid, char *out, size_t outlen)
{
	size_t n = strlen(openid);

	if (n <= 6)
		snprintf(out, outlen, "…");
	else
		snprintf(out, outlen, "%c…%s", openid[0], openid + n - 4);
}

int
ctl_wechat_bindings(struct ctl *c, int argc, char **argv)
{
	const char *site = NULL, *phone = NULL, *json = NULL;
	struct ctl_opt opts[] = { { "site", &site, 0 }, { "user", &phone, 0 }, { "json", &json, 1 }, { NULL, NULL, 0 } };
	static const char *const headers[] = { "USER", "PHONE", "TENANT", "APPID", "OPENID", "BOUND", "LAST USED",
		"SESSIONS" };
	struct ctl_table *t = NULL;
	struct db_rows *rows;
	cJSON *arr = NULL;
	char *pos[1], masked[16];
	int64_t site_id;
	int r;

	if (ctl_opts(argc, argv, opts, pos, 1) != 0)
		return ctl_fail(c, CTL_USAGE, "usage: prepayctl wechat bindings [--site SITE] [--user PHONE] [--json]");
	if (json != NULL)
		c->json = 1;
	if (phone != NULL && !auth_phone_valid(phone))
		return ctl_fail(c, CTL_INVALID, "--user \"%s\": write the tenant user's mobile number", phone);
	/* an unknown site is exit 3, not an empty list, as every --site SITE */
	if (site != NULL && (r = ctl_site_resolve(c, site, &site_id)) != CTL_OK)
		return r;
	rows = db_query(ctl_db(c), "SELECT u.id, COALESCE(u.phone, ''), COALESCE(CONCAT(s.code, '/', t.code), '-'), "
	    "b.appid, b.openid, DATE_FORMAT(b.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
	    "COALESCE(DATE_FORMAT(b.last_used_at, '%Y-%m-%dT%H:%i:%sZ'), ''), "
	    "(SELECT COUNT(*) FROM sessions x WHERE x.wechat_openid = b.openid AND x.revoked_at IS NULL "
	    "AND x.expires_at > UTC_TIMESTAMP(6)) "
	    "FROM wechat_bindings b JOIN users u ON u.id = b.user_id LEFT JOIN tenants t ON t.id = u.tenant_id "
	    "LEFT JOIN sites s ON s.id = t.site_id WHERE (? = '' OR s.code = ?) AND (? = '' OR u.phone = ?) "
	    "ORDER BY s.code, t.code, u.id, b.id", "ssss", site ? site : "", site ? site : "", phone ? phone : "",
	    phone ? phone : "");
	if (rows == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (c->json)
		arr = cJSON_CreateArray();
	else {
		t = ctl_table_new(8, headers);
		ctl_table_right(t, 0);
		ctl_table_right(t, 7);
	}
	while ((r = db_rows_next(rows)) == 1) {
		const char *appid = db_rows_str(rows, 3)[0] ? db_rows_str(rows, 3) : "-";

		openid_mask(db_rows_str(rows, 4), masked, sizeof masked);
		if (c->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "user", (double)db_rows_int(rows, 0));
			cJSON_AddStringToObject(o, "phone", db_rows_str(rows, 1));
			cJSON_AddStringToObject(o, "tenant", db_rows_str(rows, 2));
			cJSON_AddStringToObject(o, "appid", db_rows_str(rows, 3));
			cJSON_AddStringToObject(o, "openid", db_rows_str(rows, 4));
			cJSON_AddStringToObject(o, "bound_at", db_rows_str(rows, 5));
			if (db_rows_str(rows, 6)[0])
				cJSON_AddStringToObject(o, "last_used_at", db_rows_str(rows, 6));
			else
				cJSON_AddNullToObject(o, "last_used_at");
			cJSON_AddNumberToObject(o, "sessions", (double)db_rows_int(rows, 7));
			cJSON_AddItemToArray(arr, o);
		} else {
			const char *cells[8] = { db_rows_str(rows, 0), db_rows_str(rows, 1), db_rows_str(rows, 2), appid,
				masked, db_rows_str(rows, 5), db_rows_str(rows, 6)[0] ? db_rows_str(rows, 6) : "-",
				db_rows_str(rows, 7) };
			ctl_table_add(t, cells);
		}
	}
	db_rows_free(rows);
	if (c->json) {
		char *s = cJSON_Print(arr);
		if (r >= 0)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(arr);
	} else
		ctl_table_print(t);
	return r < 0 ? ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db)) : CTL_OK;
}

struct unbind_tx {
	struct ctl *c;
	int64_t user_id;		/* by phone, or 0 */
	const char *openid;		/* by openid, or NULL */
	const char *reason;
	int removed;
	long long sessions;
	char phones[UNBIND_MAX][33];	/* for the report */
	char masked[UNBIND_MAX][16];
};

static int
unbind_in_tx(struct db *db, void *arg)
{
	struct unbind_tx *u = arg;
	struct db_rows *rows;
	struct { int64_t id, user_id; char openid[65], appid[33], phone[33]; } b[UNBIND_MAX];
	int n = 0, r;

	u->removed = 0;
	u->sessions = 0;
	rows = db_query(db, "SELECT b.id, b.user_id, b.openid, b.appid, COALESCE(u.phone, '') FROM wechat_bindings b "
	    "JOIN users u ON u.id = b.user_id WHERE b.user_id = ? OR b.openid = ? ORDER BY b.id LIMIT ? FOR UPDATE", "isi",
	    u->user_id, u->openid ? u->openid : "", (int64_t)UNBIND_MAX);
	if (rows == NULL)
		return -1;
	while ((r = db_rows_next(rows)) == 1 && n < UNBIND_MAX) {
		b[n].id = db_rows_int(rows, 0);
		b[n].user_id = db_rows_int(rows, 1);
		snprintf(b[n].openid, sizeof b[n].openid, "%s", db_rows_str(rows, 2));
		snprintf(b[n].appid, sizeof b[n].appid, "%s", db_rows_str(rows, 3));
		snprintf(b[n].phone, sizeof b[n].phone, "%s", db_rows_str(rows, 4));
		n++;
	}
	db_rows_free(rows);
	if (r < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		long long s;

		if (db_exec(db, "DELETE FROM wechat_bindings WHERE id = ?", "i", b[i].id) != 1)
			return -1;
		/* the sessions this WeChat user signed in; the user's other sessions go on */
		if ((s = db_exec(db, "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE wechat_openid = ? "
		    "AND revoked_at IS NULL", "s", b[i].openid)) < 0)
			return -1;
		if (db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail) VALUES "
		    "(?, 'wechat.unbind', 'user', ?, JSON_OBJECT('openid', ?, 'appid', ?, 'phone', ?, 'reason', ?, "
		    "'sessions_revoked', ?))", "sissssi", u->c->actor, b[i].user_id, b[i].openid, b[i].appid, b[i].phone,
		    u->reason, (int64_t)s) != 1)
			return -1;
		u->sessions += s;
		snprintf(u->phones[i], sizeof u->phones[i], "%s", b[i].phone);
		openid_mask(b[i].openid, u->masked[i], sizeof u->masked[i]);
	}
	u->removed = n;
	return 0;
}

int
ctl_wechat_unbind(struct ctl *c, int argc, char **argv)
{
	const char *openid = NULL, *reason = NULL, *json = NULL;
	struct ctl_opt opts[] = { { "openid", &openid, 0 }, { "reason", &reason, 0 }, { "json", &json, 1 },
		{ NULL, NULL, 0 } };
	struct unbind_tx u;
	char *pos[1], login[64];
	int n, r;

	if ((n = ctl_opts(argc, argv, opts, pos, 1)) < 0)
		return CTL_USAGE;
	if ((n == 1) == (openid != NULL) || reason == NULL)
		return ctl_fail(c, CTL_USAGE, UNBIND_USAGE);
	if (json != NULL)
		c->json = 1;
	if (reason[0] == '\0' || strlen(reason) > 500)
		return ctl_fail(c, CTL_INVALID, "--reason: say why in 1 to 500 bytes (it goes to the audit log)");
	memset(&u, 0, sizeof u);
	u.c = c;
	u.reason = reason;
	if (openid != NULL) {
		/* only ever a statement parameter: its length is all there is to check */
		if (openid[0] == '\0' || strlen(openid) > 64)
			return ctl_fail(c, CTL_INVALID, "--openid: an openid is 1 to 64 characters (the whole one: "
			    "prepayctl --json wechat bindings shows it)");
		u.openid = openid;
	} else {
		if (!auth_phone_valid(pos[0]))
			return ctl_fail(c, CTL_INVALID, "\"%s\": write the tenant user's mobile number (or --openid OPENID)",
			    pos[0]);
		snprintf(login, sizeof login, "phone:%s", pos[0]);
		r = db_query_int(ctl_db(c), &u.user_id, "SELECT id FROM users WHERE login = ? AND role = 'tenant'", "s",
		    login);
		if (r < 0)
			return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
		if (r == 0)
			return ctl_fail(c, CTL_INVALID, "there is no tenant user with phone %s (prepayctl user list)", pos[0]);
	}
	if (db_tx(ctl_db(c), unbind_in_tx, &u) != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (c->json) {
		printf("{\"removed\":%d,\"sessions_revoked\":%lld}\n", u.removed, u.sessions);
		return CTL_OK;
	}
	/* removing what is not there is done already: scripts may run this twice */
	if (u.removed == 0)
		printf("nothing to unbind: %s%s has no WeChat binding\n", openid ? "openid " : "phone ",
		    openid ? "given" : pos[0]);
	for (int i = 0; i < u.removed; i++)
		printf("unbound WeChat user %s from phone %s\n", u.masked[i], u.phones[i]);
	if (u.removed > 0)
		printf("%lld session%s signed in by WeChat ended\n", u.sessions, u.sessions == 1 ? "" : "s");
	return CTL_OK;
}
