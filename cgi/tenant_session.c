/*
 * Tenant sign-in and sign-out (docs/tenant.md):
 *   POST   /api/v1/session            {phone, password, client: web|app}
 *   GET    /api/v1/session            who is signed in, the CSRF token, accounts
 *   DELETE /api/v1/session            signs this session out
 *   POST   /api/v1/session/revoke-all signs out every session of the user
 */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include "cgi/api.h"
#include "cgi/auth.h"
#include "lib/log.h"

/* a real hash of nothing useful: unknown phones cost as much time as known ones */
static const char dummy_hash[] = "pbkdf2-sha256$210000$00112233445566778899aabbccddeeff$"
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Seconds a key stays locked (0: not locked) and its failures in the window. */
static int
login_lock_state(struct db *db, const char *key, int64_t *locked_s, int64_t *failures)
{
	struct db_rows *rows = db_query(db, "SELECT GREATEST(0, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), "
	    "COALESCE(locked_until, UTC_TIMESTAMP(6)))), IF(window_start > UTC_TIMESTAMP(6) - INTERVAL ? SECOND, "
	    "failures, 0) FROM login_failures WHERE k = ?", "is", (int64_t)AUTH_WINDOW_S, key);
	int r;

	*locked_s = *failures = 0;
	if (rows == NULL)
		return -1;
	if ((r = db_rows_next(rows)) == 1) {
		*locked_s = db_rows_int(rows, 0);
		*failures = db_rows_int(rows, 1);
	}
	db_rows_free(rows);
	return r < 0 ? -1 : 0;
}

static int
login_failed(struct db *db, const char *key, int lock_after)
{
	/* assignments run left to right: failures = 1 marks a fresh window */
	if (db_exec(db, "INSERT INTO login_failures (k, failures, window_start) VALUES (?, 1, UTC_TIMESTAMP(6)) "
	    "ON DUPLICATE KEY UPDATE failures = IF(window_start < UTC_TIMESTAMP(6) - INTERVAL ? SECOND, 1, failures + 1), "
	    "window_start = IF(failures = 1, UTC_TIMESTAMP(6), window_start), "
	    "locked_until = IF(failures = 1, NULL, locked_until)", "si", key, (int64_t)AUTH_WINDOW_S) < 0)
		return -1;
	if (lock_after > 0 && db_exec(db, "UPDATE login_failures SET locked_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
	    "WHERE k = ? AND failures >= ? AND locked_until IS NULL", "isi", (int64_t)AUTH_LOCK_S, key,
	    (int64_t)lock_after) < 0)
		return -1;
	return 0;
}

static void
too_many(struct request *req, int64_t seconds, const char *what)
{
	char ra[24];

	snprintf(ra, sizeof ra, "%lld", (long long)(seconds > 0 ? seconds : AUTH_WINDOW_S));
	response_header(req, "Retry-After", ra);
	response_error(req, 429, "too_many_attempts", "%s; try again in %lld minutes", what,
	    (long long)((seconds > 0 ? seconds : AUTH_WINDOW_S) + 59) / 60);
}

static void
session_set_cookie(struct request *req, const char *token, int max_age_s)
{
	char c[256];

	snprintf(c, sizeof c, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s", AUTH_COOKIE, token, max_age_s,
	    auth_request_https(req) ? "; Secure" : "");
	response_header(req, "Set-Cookie", c);
}

static cJSON *
session_json(struct request *req, struct db *db, int64_t user_id, int64_t tenant_id, const char *name,
    const char *phone, const char *csrf)
{
	cJSON *root = cJSON_CreateObject(), *user = cJSON_AddObjectToObject(root, "user");
	cJSON *accounts = cJSON_AddArrayToObject(root, "accounts");

	cJSON_AddNumberToObject(user, "id", (double)user_id);
	cJSON_AddStringToObject(user, "name", name);
	cJSON_AddStringToObject(user, "phone", phone);
	cJSON_AddStringToObject(root, "csrf_token", csrf);
	if (tenant_accounts_json(db, user_id, tenant_id, accounts) != 0) {
		cJSON_Delete(root);
		request_db_failed(req, db);
		return NULL;
	}
	return root;
}

void
tenant_session_create(struct request *req)
{
	const char *phone = request_str(req, "phone", ""), *password = request_str(req, "password", "");
	const char *client = request_str(req, "client", "web");
	char pkey[64], ikey[96], login[64], hash[AUTH_HASH_MAX], token[AUTH_TOKEN_HEX], csrf[AUTH_TOKEN_HEX];
	char name[129] = "";
	int64_t locked_s, failures, user_id = 0, tenant_id = 0;
	int bearer, ok, max_age, r;
	struct db_rows *rows;
	struct db *db;

	if (strcmp(client, "web") != 0 && strcmp(client, "app") != 0) {
		response_error(req, 400, "invalid_parameter", "client must be web (a cookie) or app (a bearer token)");
		return;
	}
	bearer = strcmp(client, "app") == 0;
	if (!auth_phone_valid(phone)) {
		response_error(req, 400, "invalid_parameter", "phone must be a phone number like 13800138000");
		return;
	}
	if ((db = request_db(req)) == NULL)
		return;
	snprintf(pkey, sizeof pkey, "phone:%s", phone);
	snprintf(ikey, sizeof ikey, "ip:%.64s", req->remote_addr ? req->remote_addr : "-");
	if (login_lock_state(db, pkey, &locked_s, &failures) != 0) {
		request_db_failed(req, db);
		return;
	}
	if (locked_s > 0) {
		too_many(req, locked_s, "this phone is locked after too many wrong passwords");
		return;
	}
	if (login_lock_state(db, ikey, &locked_s, &failures) != 0) {
		request_db_failed(req, db);
		return;
	}
	if (failures >= AUTH_IP_FAILURES) {
		too_many(req, 0, "too many failed sign-ins from this address");
		return;
	}

	snprintf(login, sizeof login, "phone:%s", phone);
	hash[0] = '\0';
	rows = db_query(db, "SELECT id, COALESCE(tenant_id, 0), password_hash, display_name FROM users "
	    "WHERE login = ? AND role = 'tenant' AND disabled = 0", "s", login);
	if (rows == NULL) {
		request_db_failed(req, db);
		return;
	}
	if ((r = db_rows_next(rows)) == 1) {
		user_id = db_rows_int(rows, 0);
		tenant_id = db_rows_int(rows, 1);
		snprintf(hash, sizeof hash, "%s", db_rows_str(rows, 2));
		snprintf(name, sizeof name, "%s", db_rows_str(rows, 3));
	}
	db_rows_free(rows);
	if (r < 0) {
		request_db_failed(req, db);
		return;
	}
	ok = auth_password_verify(password, user_id != 0 ? hash : dummy_hash) && user_id != 0;
	OPENSSL_cleanse(hash, sizeof hash);
	if (!ok) {
		if (login_failed(db, pkey, AUTH_LOCK_FAILURES) != 0 || login_failed(db, ikey, 0) != 0) {
			request_db_failed(req, db);
			return;
		}
		log_info("sign-in refused for phone %s from %s", phone, req->remote_addr ? req->remote_addr : "-");
		response_error(req, 401, "bad_credentials", "the phone number or the password is wrong");
		return;
	}
	if (db_exec(db, "DELETE FROM login_failures WHERE k = ?", "s", pkey) < 0 ||
	    auth_session_start(db, user_id, bearer, req->remote_addr, request_header(req, "User-Agent"), token, csrf,
	    &max_age) != 0) {
		request_db_failed(req, db);
		return;
	}
	log_info("user %lld signed in (%s) from %s", (long long)user_id, client, req->remote_addr ? req->remote_addr : "-");
	tenant_session_answer(req, db, user_id, tenant_id, name, phone, bearer, token, csrf, max_age);
	OPENSSL_cleanse(token, sizeof token);
}

void
tenant_session_answer(struct request *req, struct db *db, int64_t user_id, int64_t tenant_id, const char *name,
    const char *phone, int bearer, const char *token, const char *csrf, int max_age)
{
	cJSON *root;

	if ((root = session_json(req, db, user_id, tenant_id, name, phone, csrf)) == NULL)
		return;
	cJSON_AddNumberToObject(root, "expires_in_s", max_age);
	if (bearer)
		cJSON_AddStringToObject(root, "token", token);
	else
		session_set_cookie(req, token, max_age);
	response_json(req, 201, root);
	cJSON_Delete(root);
}

void
tenant_session_get(struct request *req)
{
	struct auth_user u;
	struct db *db;
	cJSON *root;

	if (auth_require(req, &u) != 0 || (db = request_db(req)) == NULL)
		return;
	if ((root = session_json(req, db, u.user_id, u.tenant_id, u.name, u.phone, u.csrf)) == NULL)
		return;
	response_json(req, 200, root);
	cJSON_Delete(root);
}

static void
session_revoke(struct request *req, int everywhere)
{
	struct auth_user u;
	struct db *db;
	long long n;
	cJSON *root;

	if (auth_require(req, &u) != 0 || (db = request_db(req)) == NULL)
		return;
	if (everywhere)
		n = db_exec(db, "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE user_id = ? AND revoked_at IS NULL",
		    "i", u.user_id);
	else
		n = db_exec(db, "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE id = ? AND revoked_at IS NULL",
		    "i", u.session_id);
	if (n < 0) {
		request_db_failed(req, db);
		return;
	}
	if (!u.bearer)
		session_set_cookie(req, "", 0);
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "signed_out", (double)n);
	response_json(req, 200, root);
	cJSON_Delete(root);
}

void
tenant_session_delete(struct request *req)
{
	session_revoke(req, 0);
}

void
tenant_session_revoke_all(struct request *req)
{
	session_revoke(req, 1);
}
