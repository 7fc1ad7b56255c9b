/*
 * The tenant's alert contacts (docs/tenant.md, docs/alerts.md), within the
 * site's bounds: only SMS and WeChat (webhooks are the operator's), only
 * channels the site has switched on, at most TENANT_MAX_CONTACTS.
 *   GET    /api/v1/contacts           contacts and the site's quiet hours
 *   POST   /api/v1/contacts           {channel, address, lang?, kinds?, name?}
 *   DELETE /api/v1/contacts/{id}
 */
#include <stdio.h>
#include <string.h>
#include "cgi/api.h"
#include "cgi/auth.h"
#include "alerts/message.h"

#define TENANT_MAX_CONTACTS 10

/* The tenant's site and the channels it allows ("sms,wechat,webhook"). */
static int
tenant_site(struct request *req, struct db *db, const struct auth_user *u, int64_t *site_id, char *channels,
    size_t clen, int64_t *quiet_start, int64_t *quiet_end)
{
	struct db_rows *rows = db_query(db, "SELECT t.site_id, COALESCE(s.channels, 'sms,wechat,webhook'), "
	    "COALESCE(s.quiet_start_min, 1320), COALESCE(s.quiet_end_min, 480) FROM tenants t "
	    "LEFT JOIN alert_site_settings s ON s.site_id = t.site_id WHERE t.id = ?", "i", u->tenant_id);
	int r;

	if (rows == NULL || (r = db_rows_next(rows)) < 0) {
		db_rows_free(rows);
		request_db_failed(req, db);
		return -1;
	}
	if (r == 0) {
		db_rows_free(rows);
		response_error(req, 403, "no_tenant", "this user belongs to no tenant; ask the park office");
		return -1;
	}
	*site_id = db_rows_int(rows, 0);
	snprintf(channels, clen, "%s", db_rows_str(rows, 1));
	*quiet_start = db_rows_int(rows, 2);
	*quiet_end = db_rows_int(rows, 3);
	db_rows_free(rows);
	return 0;
}

static int
channel_allowed(const char *channels, const char *ch)
{
	size_t n = strlen(ch);

	for (const char *p = channels; (p = strstr(p, ch)) != NULL; p += n)
		if ((p == channels || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

void
tenant_contacts(struct request *req)
{
	struct auth_user u;
	struct db *db;
	struct db_rows *rows;
	int64_t site_id, qs, qe;
	char channels[64];
	cJSON *root, *arr, *allowed;
	int r;

	if (auth_require(req, &u) != 0 || (db = request_db(req)) == NULL ||
	    tenant_site(req, db, &u, &site_id, channels, sizeof channels, &qs, &qe) != 0)
		return;
	rows = db_query(db, "SELECT id, channel, address, lang, name, kinds, enabled FROM alert_contacts "
	    "WHERE tenant_id = ? ORDER BY id", "i", u.tenant_id);
	if (rows == NULL) {
		request_db_failed(req, db);
		return;
	}
	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "contacts");
	while ((r = db_rows_next(rows)) == 1) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "id", (double)db_rows_int(rows, 0));
		cJSON_AddStringToObject(c, "channel", db_rows_str(rows, 1));
		cJSON_AddStringToObject(c, "address", db_rows_str(rows, 2));
		cJSON_AddStringToObject(c, "lang", db_rows_str(rows, 3));
		cJSON_AddStringToObject(c, "name", db_rows_str(rows, 4));
		cJSON_AddStringToObject(c, "kinds", db_rows_str(rows, 5));
		cJSON_AddBoolToObject(c, "enabled", db_rows_int(rows, 6) != 0);
		cJSON_AddItemToArray(arr, c);
	}
	db_rows_free(rows);
	if (r < 0) {
		cJSON_Delete(root);
		request_db_failed(req, db);
		return;
	}
	allowed = cJSON_AddArrayToObject(root, "channels");
	if (channel_allowed(channels, "sms"))
		cJSON_AddItemToArray(allowed, cJSON_CreateString("sms"));
	if (channel_allowed(channels, "wechat"))
		cJSON_AddItemToArray(allowed, cJSON_CreateString("wechat"));
	cJSON_AddNumberToObject(root, "quiet_start_min", (double)qs);
	cJSON_AddNumberToObject(root, "quiet_end_min", (double)qe);
	cJSON_AddNumberToObject(root, "max_contacts", TENANT_MAX_CONTACTS);
	response_json(req, 200, root);
	cJSON_Delete(root);
}

void
tenant_contact_add(struct request *req)
{
	const char *channel = request_str(req, "channel", ""), *address = request_str(req, "address", "");
	const char *lang = request_str(req, "lang", "zh"), *kinds = request_str(req, "kinds", "*");
	const char *name = request_str(req, "name", "");
	struct auth_user u;
	struct db *db;
	int64_t site_id, qs, qe, n = 0, id;
	char channels[64], err[300], actor[64];
	cJSON *root;

	if (strcmp(channel, "sms") != 0 && strcmp(channel, "wechat") != 0) {
		response_error(req, 400, "invalid_parameter", "channel must be sms or wechat (webhooks are set by the park office)");
		return;
	}
	if (strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0) {
		response_error(req, 400, "invalid_parameter", "lang must be zh or en");
		return;
	}
	if (alert_contact_check(channel, address, err, sizeof err) != 0 || alert_kinds_check(kinds, err, sizeof err) != 0) {
		response_error(req, 400, "invalid_parameter", "%s", err);
		return;
	}
	if (auth_require(req, &u) != 0 || (db = request_db(req)) == NULL ||
	    tenant_site(req, db, &u, &site_id, channels, sizeof channels, &qs, &qe) != 0)
		return;
	if (!channel_allowed(channels, channel)) {
		response_error(req, 422, "channel_not_allowed", "this park does not send alerts by %s", channel);
		return;
	}
	if (db_query_int(db, &n, "SELECT COUNT(*) FROM alert_contacts WHERE tenant_id = ?", "i", u.tenant_id) < 0) {
		request_db_failed(req, db);
		return;
	}
	if (n >= TENANT_MAX_CONTACTS) {
		response_error(req, 422, "too_many_contacts", "at most %d contacts; remove one first", TENANT_MAX_CONTACTS);
		return;
	}
	snprintf(actor, sizeof actor, "tenant:%lld", (long long)u.user_id);
	if (db_exec(db, "INSERT INTO alert_contacts (site_id, tenant_id, channel, address, lang, name, kinds, created_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "iissssss", site_id, u.tenant_id, channel, address, lang, name, kinds,
	    actor) < 0) {
		if (db_errno(db) == 1062) {
			response_error(req, 409, "contact_exists", "%s %s is already a contact", channel, address);
			return;
		}
		request_db_failed(req, db);
		return;
	}
	id = db_insert_id(db);
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "id", (double)id);
	cJSON_AddStringToObject(root, "channel", channel);
	cJSON_AddStringToObject(root, "address", address);
	cJSON_AddStringToObject(root, "lang", lang);
	cJSON_AddStringToObject(root, "name", name);
	cJSON_AddStringToObject(root, "kinds", kinds);
	cJSON_AddBoolToObject(root, "enabled", 1);
	response_json(req, 201, root);
	cJSON_Delete(root);
}

void
tenant_contact_delete(struct request *req)
{
	struct auth_user u;
	struct db *db;
	long long n;
	int64_t id = request_int(req, "id", 0);
	cJSON *root;

	if (auth_require(req, &u) != 0 || (db = request_db(req)) == NULL)
		return;
	if ((n = db_exec(db, "DELETE FROM alert_contacts WHERE id = ? AND tenant_id = ?", "ii", id, u.tenant_id)) < 0) {
		request_db_failed(req, db);
		return;
	}
	if (n == 0) {
		response_error(req, 404, "contact_not_found", "you have no contact %lld", (long long)id);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "deleted", (double)id);
	response_json(req, 200, root);
	cJSON_Delete(root);
}
