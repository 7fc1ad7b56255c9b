/* The database half of cgi/auth.h: sessions, CSRF, account scope. */
#include <stdio.h>
#include <string.h>
#include "cgi/auth.h"
#include "cgi/request.h"
#include "lib/log.h"

/* 32 lower-case hex characters: the only shape a token has. */
static int
token_shape_ok(const char *t)
{
	size_t i;

	for (i = 0; t[i]; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	return i == 32;
}

int
auth_session_start(struct db *db, int64_t user_id, int bearer, const char *remote_addr, const char *user_agent,
    char token[AUTH_TOKEN_HEX], char csrf[AUTH_TOKEN_HEX], int *max_age_s)
{
	char hash[AUTH_SHA256_HEX], ua[256];
	int idle = bearer ? AUTH_BEARER_IDLE_S : AUTH_SESSION_IDLE_S;
	int max = bearer ? AUTH_BEARER_MAX_S : AUTH_SESSION_MAX_S;

	if (auth_token_new(token) != 0 || auth_token_new(csrf) != 0)
		return -1;
	auth_sha256_hex(token, hash);
	snprintf(ua, sizeof ua, "%s", user_agent ? user_agent : "");
	for (char *c = ua; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	if (db_exec(db, "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, idle_expires_at, expires_at, "
	    "remote_addr, user_agent) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?, ?)", "sissiiss", hash, user_id, bearer ? "bearer" : "cookie",
	    csrf, (int64_t)idle, (int64_t)max, remote_addr ? remote_addr : "", ua) != 1)
		return -1;
	*max_age_s = max;
	return 0;
}

static int
request_is_write(const struct request *req)
{
	return req->method != HTTP_GET && req->method != HTTP_HEAD && req->method != HTTP_OPTIONS;
}

/* The session token of req and how it came; 0, or -1 after answering 401. */
static int
session_token(struct request *req, char *token, size_t len, int *bearer)
{
	const char *authz = request_header(req, "Authorization"), *cookie = request_header(req, "Cookie");

	token[0] = '\0';
	*bearer = 0;
	if (authz != NULL && strncmp(authz, "Bearer ", 7) == 0) {
		snprintf(token, len, "%s", authz + 7);
		*bearer = 1;
	} else if (cookie == NULL || auth_cookie_get(cookie, AUTH_COOKIE, token, len) != 0)
		token[0] = '\0';
	if (!token_shape_ok(token)) {
		response_header(req, "WWW-Authenticate", "Bearer realm=\"prepay\"");
		response_error(req, 401, "unauthenticated", "sign in first (POST /api/v1/session)");
		return -1;
	}
	return 0;
}

/* u from the AUTH_SESSION_COLS of the current row; returns whether the idle clock is due */
static int
session_read(struct db_rows *rows, struct auth_user *u)
{
	u->session_id = db_rows_int(rows, 0);
	u->user_id = db_rows_int(rows, 1);
	u->tenant_id = db_rows_int(rows, 2);
	/* a cookie token sent as a bearer (or the reverse) is not accepted */
	u->bearer = strcmp(db_rows_str(rows, 3), "bearer") == 0;
	snprintf(u->csrf, sizeof u->csrf, "%s", db_rows_str(rows, 4));
	snprintf(u->name, sizeof u->name, "%s", db_rows_str(rows, 5));
	snprintf(u->phone, sizeof u->phone, "%s", db_rows_str(rows, 6));
	return (int)db_rows_int(rows, 7);
}

/* After the session query (found: a row was read): the kind and CSRF.
 * 0, or -1 answered. */
static int
session_accept(struct request *req, struct auth_user *u, int found, int bearer)
{
	if (!found || u->bearer != bearer) {
		response_header(req, "WWW-Authenticate", "Bearer realm=\"prepay\"");
		response_error(req, 401, "unauthenticated", "the session has ended or is not known; sign in again");
		return -1;
	}
	if (!bearer && request_is_write(req)) {
		const char *t = request_header(req, "X-CSRF-Token");
		if (t == NULL || !auth_equal(t, u->csrf)) {
			response_error(req, 403, "csrf_failed", "a change from the browser needs the X-CSRF-Token header "
			    "of this session (GET /api/v1/session returns it)");
			return -1;
		}
	}
	return 0;
}

void
auth_touch(struct request *req, struct auth_user *u)
{
	struct db *db;

	/* the idle clock moves at most once a minute: reads stay reads */
	if (!u->idle_due || (db = request_db(req)) == NULL)
		return;
	u->idle_due = 0;
	if (db_exec(db, "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(6), idle_expires_at = "
	    "LEAST(expires_at, UTC_TIMESTAMP(6) + INTERVAL ? SECOND) WHERE id = ?", "ii",
	    (int64_t)(u->bearer ? AUTH_BEARER_IDLE_S : AUTH_SESSION_IDLE_S), u->session_id) < 0)
		log_warn("session %lld: cannot move its idle expiry: %s", (long long)u->session_id, db_error(db));
}

/*
 * The session check: sql selects AUTH_SESSION_COLS first, with the token
 * hash as its last parameter and, when scoped, the account id twice before
 * it (AUTH_ACCOUNT_SQL). 0 with *rowsp on the row (the caller frees it),
 * or -1 answered.
 */
static int
session_check(struct request *req, struct auth_user *u, const char *sql, int scoped, int64_t account_id,
    struct db_rows **rowsp)
{
	char token[64], hash[AUTH_SHA256_HEX];
	struct db_rows *rows;
	struct db *db;
	int r, bearer;

	memset(u, 0, sizeof *u);
	*rowsp = NULL;
	if (session_token(req, token, sizeof token, &bearer) != 0 || (db = request_db(req)) == NULL)
		return -1;
	auth_sha256_hex(token, hash);
	rows = scoped ? db_query(db, sql, "iis", account_id, account_id, hash) : db_query(db, sql, "s", hash);
	if (rows == NULL) {
		request_db_failed(req, db);
		return -1;
	}
	if ((r = db_rows_next(rows)) == 1)
		u->idle_due = session_read(rows, u);
	if (r < 0) {
		db_rows_free(rows);
		request_db_failed(req, db);
		return -1;
	}
	if (session_accept(req, u, r == 1, bearer) != 0) {
		db_rows_free(rows);
		return -1;
	}
	*rowsp = rows;
	return 0;
}

int
auth_require(struct request *req, struct auth_user *u)
{
	struct db_rows *rows;

	if (session_check(req, u, "SELECT " AUTH_SESSION_COLS " FROM " AUTH_SESSION_FROM " WHERE " AUTH_SESSION_LIVE,
	    0, 0, &rows) != 0)
		return -1;
	db_rows_free(rows);
	auth_touch(req, u);
	return 0;
}

int
auth_require_account(struct request *req, struct auth_user *u, int64_t account_id, const char *sql,
    struct db_rows **rowsp)
{
	if (session_check(req, u, sql, 1, account_id, rowsp) != 0)
		return -1;
	if (db_rows_isnull(*rowsp, AUTH_SESSION_NCOLS)) {
		db_rows_free(*rowsp);
		*rowsp = NULL;
		/* the same answer whether it exists or not: ids are not an oracle */
		response_error(req, 404, "account_not_found", "you have no account %lld", (long long)account_id);
		return -1;
	}
	return 0;
}

int
auth_account(struct request *req, struct db *db, const struct auth_user *u, int64_t account_id, int64_t *site_id)
{
	int64_t site = 0;
	int r = db_query_int(db, &site, "SELECT a.site_id FROM accounts a WHERE a.id = ? AND (a.tenant_id = ? OR "
	    "EXISTS (SELECT 1 FROM user_accounts ua WHERE ua.user_id = ? AND ua.account_id = a.id))", "iii",
	    account_id, u->tenant_id, u->user_id);

	if (r < 0) {
		request_db_failed(req, db);
		return -1;
	}
	if (r == 0) {
		/* the same answer whether it exists or not: ids are not an oracle */
		response_error(req, 404, "account_not_found", "you have no account %lld", (long long)account_id);
		return 0;
	}
	if (site_id != NULL)
		*site_id = site;
	return 1;
}

int
auth_request_https(const struct request *req)
{
	const char *xf = request_header(req, "X-Forwarded-Proto");

	if (xf != NULL && strcmp(xf, "https") == 0)
		return 1;
	for (char **e = req->env; e != NULL && *e != NULL; e++)
		if (strcmp(*e, "HTTPS=on") == 0)
			return 1;
	return 0;
}
