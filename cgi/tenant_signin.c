/*
 * Tenant sign-in by SMS code and by WeChat mini-program (docs/tenant.md):
 *   POST /api/v1/session/sms-code {phone}                 sends a 6-digit code
 *   POST /api/v1/session/sms      {phone, code, client}   a session, like a password sign-in
 *   POST /api/v1/session/wechat, /api/v1/session/wechat/bind   (below)
 *
 * The code goes out as a msg.sms outbox row (prepay-worker delivers it
 * through the [sms] provider and records each attempt), queued in the
 * transaction that stores the code's hash. A phone no tenant has gets a
 * row and no message, so both answers and limits are the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "cgi/api.h"
#include "cgi/auth.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "worker/http.h"

#define SMS_CODE_TTL_S 300		/* a code lives 5 minutes */
#define SMS_CODE_TRIES 5		/* wrong codes before it is spent */
#define SMS_RESEND_S 60			/* one code a minute per phone */
#define SMS_PHONE_HOUR 5		/* codes an hour per phone */
#define SMS_ADDR_HOUR 20		/* codes an hour per client address */

static void
too_many(struct request *req, int64_t seconds, const char *what)
{
	char ra[24];

	snprintf(ra, sizeof ra, "%lld", (long long)seconds);
	response_header(req, "Retry-After", ra);
	response_error(req, 429, "too_many_attempts", "%s; try again in %lld seconds", what, (long long)seconds);
}

/* The tenant user with this phone (0: none). */
static int
user_by_phone(struct db *db, const char *phone, int64_t *user_id, int64_t *tenant_id, char *name, size_t namelen)
{
	char login[64];
	struct db_rows *rows;
	int r;

	*user_id = *tenant_id = 0;
	snprintf(login, sizeof login, "phone:%s", phone);
	rows = db_query(db, "SELECT id, COALESCE(tenant_id, 0), display_name FROM users "
	    "WHERE login = ? AND role = 'tenant' AND disabled = 0", "s", login);
	if (rows == NULL)
		return -1;
	if ((r = db_rows_next(rows)) == 1) {
		*user_id = db_rows_int(rows, 0);
		*tenant_id = db_rows_int(rows, 1);
		if (name != NULL)
			snprintf(name, namelen, "%s", db_rows_str(rows, 2) ? db_rows_str(rows, 2) : "");
	}
	db_rows_free(rows);
	return r < 0 ? -1 : 0;
}

struct send_tx {
	const char *phone, *addr, *salt, *hash, *code;
	int64_t user_id, tenant_id;
};

static int
send_in_tx(struct db *db, void *arg)
{
	struct send_tx *t = arg;
	char key[64], to[40], text[160];
	int64_t id, account_id = 0;
	cJSON *p, *params;
	char *payload;
	long long n;

	/* a new code replaces the phone's earlier ones */
	if (db_exec(db, "UPDATE sms_codes SET used_at = UTC_TIMESTAMP(6) WHERE phone = ? AND used_at IS NULL",
	    "s", t->phone) < 0)
		return -1;
	if (db_exec(db, "INSERT INTO sms_codes (phone, user_id, salt, code_hash, expires_at, remote_addr) "
	    "VALUES (?, NULLIF(?, 0), ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)", "sissis", t->phone, t->user_id,
	    t->salt, t->hash, (int64_t)SMS_CODE_TTL_S, t->addr) != 1)
		return -1;
	if (t->user_id == 0)
		return 0;
	id = db_insert_id(db);
	/* an account of the tenant routes the row to its site's worker */
	if (t->tenant_id != 0 && db_query_int(db, &account_id, "SELECT MIN(id) FROM accounts WHERE tenant_id = ?",
	    "i", t->tenant_id) < 0)
		return -1;
	snprintf(key, sizeof key, "signin:%lld", (long long)id);
	snprintf(to, sizeof to, "%s%s", t->phone[0] == '+' ? "" : "+86", t->phone);
	snprintf(text, sizeof text, "您的登录验证码为%s，%d分钟内有效，请勿告诉他人。", t->code, SMS_CODE_TTL_S / 60);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "kind", "sign_in_code");
	cJSON_AddStringToObject(p, "to", to);
	cJSON_AddStringToObject(p, "lang", "zh");
	cJSON_AddStringToObject(p, "title", "登录验证码");
	cJSON_AddStringToObject(p, "text", text);
	params = cJSON_AddArrayToObject(p, "params");
	cJSON_AddItemToArray(params, cJSON_CreateString(t->code));
	cJSON_AddItemToArray(params, cJSON_CreateString("5"));
	payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES (?, 'msg.sms', NULLIF(?, 0), ?)",
	    "sis", key, account_id, payload);
	OPENSSL_cleanse(payload, strlen(payload));
	cJSON_free(payload);
	OPENSSL_cleanse(text, sizeof text);
	return n == 1 ? 0 : -1;
}

void
tenant_sms_code_send(struct request *req)
{
	const char *phone = request_str(req, "phone", "");
	const char *addr = req->remote_addr ? req->remote_addr : "";
	char code[7], salt[AUTH_TOKEN_HEX], hash[AUTH_SHA256_HEX];
	int64_t recent = 0, hour = 0, by_addr = 0;
	struct send_tx t;
	struct db *db;
	cJSON *root;

	if (!auth_phone_valid(phone)) {
		response_error(req, 400, "invalid_parameter", "phone must be a phone number like 13800138000");
		return;
	}
	if ((db = request_db(req)) == NULL)
		return;
	if (db_query_int(db, &recent, "SELECT COUNT(*) FROM sms_codes WHERE phone = ? AND "
	    "created_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND", "si", phone, (int64_t)SMS_RESEND_S) < 0 ||
	    db_query_int(db, &hour, "SELECT COUNT(*) FROM sms_codes WHERE phone = ? AND "
	    "created_at > UTC_TIMESTAMP(6) - INTERVAL 1 HOUR", "s", phone) < 0 ||
	    db_query_int(db, &by_addr, "SELECT COUNT(*) FROM sms_codes WHERE remote_addr = ? AND "
	    "created_at > UTC_TIMESTAMP(6) - INTERVAL 1 HOUR", "s", addr) < 0) {
		request_db_failed(req, db);
		return;
	}
	if (recent > 0) {
		too_many(req, SMS_RESEND_S, "a code was sent to this phone less than a minute ago");
		return;
	}
	if (hour >= SMS_PHONE_HOUR) {
		too_many(req, 3600, "this phone has had 5 codes in the last hour");
		return;
	}
	if (by_addr >= SMS_ADDR_HOUR) {
		too_many(req, 3600, "too many codes were asked for from this address in the last hour");
		return;
	}
	memset(&t, 0, sizeof t);
	if (user_by_phone(db, phone, &t.user_id, &t.tenant_id, NULL, 0) != 0) {
		request_db_failed(req, db);
		return;
	}
	if (auth_code_new(code) != 0 || auth_token_new(salt) != 0) {
		response_error(req, 500, "internal_error", "no random numbers right now; try again");
		return;
	}
	auth_code_hash(salt, code, hash);
	t.phone = phone;
	t.addr = addr;
	t.salt = salt;
	t.hash = hash;
	t.code = code;
	if (db_tx(db, send_in_tx, &t) != 0) {
		OPENSSL_cleanse(code, sizeof code);
		request_db_failed(req, db);
		return;
	}
	OPENSSL_cleanse(code, sizeof code);
	log_info("sign-in code for phone %s asked from %s (%s)", phone, addr[0] ? addr : "-",
	    t.user_id != 0 ? "sent" : "no such tenant user, not sent");
	root = cJSON_CreateObject();
	cJSON_AddBoolToObject(root, "sent", 1);
	cJSON_AddNumberToObject(root, "expires_in_s", SMS_CODE_TTL_S);
	cJSON_AddNumberToObject(root, "resend_after_s", SMS_RESEND_S);
	response_json(req, 202, root);
	cJSON_Delete(root);
}

enum { CODE_OK, CODE_WRONG, CODE_SPENT };

struct check_tx {
	const char *phone, *code;
	int64_t user_id;
	int outcome;
};

static int
check_in_tx(struct db *db, void *arg)
{
	struct check_tx *t = arg;
	char hash[AUTH_SHA256_HEX], salt[AUTH_TOKEN_HEX], stored[AUTH_SHA256_HEX];
	int64_t id, tries;
	struct db_rows *rows;
	int r;

	t->outcome = CODE_WRONG;
	t->user_id = 0;
	rows = db_query(db, "SELECT id, COALESCE(user_id, 0), salt, code_hash, tries FROM sms_codes WHERE phone = ? "
	    "AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6) ORDER BY id DESC LIMIT 1 FOR UPDATE", "s", t->phone);
	if (rows == NULL)
		return -1;
	if ((r = db_rows_next(rows)) != 1) {
		db_rows_free(rows);
		return r < 0 ? -1 : 0;
	}
	id = db_rows_int(rows, 0);
	t->user_id = db_rows_int(rows, 1);
	snprintf(salt, sizeof salt, "%s", db_rows_str(rows, 2));
	snprintf(stored, sizeof stored, "%s", db_rows_str(rows, 3));
	tries = db_rows_int(rows, 4);
	db_rows_free(rows);
	if (tries >= SMS_CODE_TRIES) {
		t->outcome = CODE_SPENT;
		return 0;
	}
	auth_code_hash(salt, t->code, hash);
	if (!auth_equal(hash, stored)) {
		if (db_exec(db, "UPDATE sms_codes SET tries = tries + 1 WHERE id = ?", "i", id) < 0)
			return -1;
		if (tries + 1 >= SMS_CODE_TRIES)
			t->outcome = CODE_SPENT;
		return 0;
	}
	if (db_exec(db, "UPDATE sms_codes SET used_at = UTC_TIMESTAMP(6) WHERE id = ?", "i", id) < 0)
		return -1;
	t->outcome = CODE_OK;
	return 0;
}

/*
 * Checks phone's newest live code and spends it when right: 1 with the
 * user's id, 0 after the answer (401/429), -1 after a 503.
 */
int
tenant_sms_code_check(struct request *req, struct db *db, const char *phone, const char *code, int64_t *user_id)
{
	struct check_tx t = { phone, code, 0, CODE_WRONG };

	if (db_tx(db, check_in_tx, &t) != 0) {
		request_db_failed(req, db);
		return -1;
	}
	if (t.outcome == CODE_SPENT) {
		log_info("sign-in code for phone %s: too many wrong codes", phone);
		response_error(req, 429, "too_many_attempts", "5 wrong codes: this code no longer works; ask for a new one "
		    "(POST /api/v1/session/sms-code)");
		return 0;
	}
	if (t.outcome != CODE_OK || t.user_id == 0) {
		response_error(req, 401, "bad_code", "the code is wrong or has expired; check it or ask for a new one");
		return 0;
	}
	*user_id = t.user_id;
	return 1;
}

void
tenant_sms_signin(struct request *req)
{
	const char *phone = request_str(req, "phone", ""), *code = request_str(req, "code", "");
	const char *client = request_str(req, "client", "web");
	char token[AUTH_TOKEN_HEX], csrf[AUTH_TOKEN_HEX], name[129] = "";
	int64_t user_id = 0, tenant_id = 0, checked = 0;
	int bearer, max_age;
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
	if (!auth_code_valid(code)) {
		response_error(req, 400, "invalid_parameter", "code must be the 6 digits of the text message");
		return;
	}
	if ((db = request_db(req)) == NULL)
		return;
	if (tenant_sms_code_check(req, db, phone, code, &checked) != 1)
		return;
	if (user_by_phone(db, phone, &user_id, &tenant_id, name, sizeof name) != 0) {
		request_db_failed(req, db);
		return;
	}
	if (user_id != checked) {	/* disabled (or replaced) since the code was sent */
		response_error(req, 401, "bad_code", "the code is wrong or has expired; check it or ask for a new one");
		return;
	}
	if (auth_session_start(db, user_id, bearer, req->remote_addr, request_header(req, "User-Agent"), token, csrf,
	    &max_age) != 0) {
		request_db_failed(req, db);
		return;
	}
	log_info("user %lld signed in by SMS code (%s) from %s", (long long)user_id, client,
	    req->remote_addr ? req->remote_addr : "-");
	tenant_session_answer(req, db, user_id, tenant_id, name, phone, bearer, token, csrf, max_age);
	OPENSSL_cleanse(token, sizeof token);
}

/*
 * Mini-program sign-in (docs/tenant.md):
 *   POST /api/v1/session/wechat      {code}                   a bearer session, or 409 bind_phone
 *   POST /api/v1/session/wechat/bind {code, phone, sms_code}  binds the openid once, then a session
 * code is the mini-program's wx.login code, exchanged by jscode2session
 * ([wechat] login_url, appid, secret) for the user's openid.
 */
static int
wx_code_valid(const char *c)
{
	size_t i;

	for (i = 0; c[i]; i++)
		if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z') ||
		    c[i] == '-' || c[i] == '_'))
			return 0;
	return i >= 1 && i <= 128;
}

/* code → openid; 0, or -1 after the answer (400/401/502/503) */
static int
wx_openid(struct request *req, const char *code, char *openid, size_t len)
{
	const struct config *cfg = server_config(req);
	const char *base = config_str(cfg, "wechat", "login_url"), *appid = config_str(cfg, "wechat", "appid");
	const char *secret = config_str(cfg, "wechat", "secret");
	struct http_response *resp;
	struct http *h;
	char *url;
	cJSON *j, *o, *e;
	int rc = -1;

	if (!wx_code_valid(code)) {
		response_error(req, 400, "invalid_parameter", "code must be the code of wx.login (letters, digits, - and _)");
		return -1;
	}
	if (base == NULL || appid == NULL || secret == NULL) {
		response_error(req, 503, "wechat_not_configured", "WeChat sign-in is not set up on this server "
		    "([wechat] login_url, appid and secret_file)");
		return -1;
	}
	/* appid and secret come from our config; the code was checked to need no escaping */
	url = xasprintf("%s/sns/jscode2session?appid=%s&secret=%s&js_code=%s&grant_type=authorization_code", base, appid,
	    secret, code);
	resp = xmalloc(sizeof *resp);
	if ((h = http_new(5000)) == NULL || http_request(h, "GET", url, NULL, NULL, 0, resp) != 0 || resp->status != 200) {
		log_error("jscode2session: %s", h == NULL ? "no HTTP client" : resp->status ? "HTTP status not 200" :
		    resp->error);
		response_error(req, 502, "wechat_unavailable", "WeChat did not answer the sign-in; try again");
		goto out;
	}
	resp->body[resp->len < sizeof resp->body ? resp->len : sizeof resp->body - 1] = '\0';
	j = cJSON_Parse(resp->body);
	o = cJSON_GetObjectItem(j, "openid");
	e = cJSON_GetObjectItem(j, "errcode");
	if (cJSON_IsString(o) && strlen(o->valuestring) > 0 && strlen(o->valuestring) < len) {
		snprintf(openid, len, "%s", o->valuestring);
		rc = 0;
	} else if (cJSON_IsNumber(e) && (e->valueint == 40029 || e->valueint == 40163)) {
		response_error(req, 401, "bad_code", "the wx.login code is not valid or was used already; call wx.login again");
	} else {
		log_error("jscode2session refused: %.200s", resp->body);
		response_error(req, 502, "wechat_unavailable", "WeChat refused the sign-in (errcode %d); try again later",
		    cJSON_IsNumber(e) ? e->valueint : -1);
	}
	cJSON_Delete(j);
out:
	OPENSSL_cleanse(url, strlen(url));
	free(url);
	free(resp);
	if (h != NULL)
		http_free(h);
	return rc;
}

/*
 * A bearer session for user_id, answered 201. It remembers openid: a JSAPI
 * top-up pays as this WeChat user, and unbinding it ends the session.
 */
static void
wx_session(struct request *req, struct db *db, int64_t user_id, const char *openid, const char *how)
{
	char token[AUTH_TOKEN_HEX], csrf[AUTH_TOKEN_HEX], name[129] = "", phone[33] = "", hash[AUTH_SHA256_HEX];
	int64_t tenant_id = 0, bound = 0;
	struct db_rows *rows;
	int max_age, r;

	rows = db_query(db, "SELECT COALESCE(tenant_id, 0), display_name, COALESCE(phone, '') FROM users WHERE id = ?",
	    "i", user_id);
	if (rows == NULL || (r = db_rows_next(rows)) < 0) {
		db_rows_free(rows);
		request_db_failed(req, db);
		return;
	}
	if (r == 1) {
		tenant_id = db_rows_int(rows, 0);
		snprintf(name, sizeof name, "%s", db_rows_str(rows, 1) ? db_rows_str(rows, 1) : "");
		snprintf(phone, sizeof phone, "%s", db_rows_str(rows, 2));
	}
	db_rows_free(rows);
	if (auth_session_start(db, user_id, 1, req->remote_addr, request_header(req, "User-Agent"), token, csrf,
	    &max_age) != 0) {
		request_db_failed(req, db);
		return;
	}
	auth_sha256_hex(token, hash);
	if (db_exec(db, "UPDATE sessions SET wechat_openid = ? WHERE token_hash = ?", "ss", openid, hash) != 1 ||
	    db_exec(db, "UPDATE wechat_bindings SET last_used_at = UTC_TIMESTAMP(6) WHERE openid = ?", "s", openid) < 0) {
		OPENSSL_cleanse(token, sizeof token);
		request_db_failed(req, db);
		return;
	}
	/* an unbind that committed between the binding read and the line above
	 * missed this session (it revokes by wechat_openid): look again */
	if (db_query_int(db, &bound, "SELECT COUNT(*) FROM wechat_bindings WHERE openid = ? AND user_id = ?", "si",
	    openid, user_id) < 0) {
		OPENSSL_cleanse(token, sizeof token);
		request_db_failed(req, db);
		return;
	}
	if (bound == 0) {
		OPENSSL_cleanse(token, sizeof token);
		if (db_exec(db, "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE token_hash = ?", "s", hash) != 1) {
			request_db_failed(req, db);
			return;
		}
		response_error(req, 409, "bind_phone", "this WeChat user was unbound just now: bind your phone again "
		    "(POST /api/v1/session/sms-code, then POST /api/v1/session/wechat/bind)");
		return;
	}
	log_info("user %lld signed in by WeChat (%s) from %s", (long long)user_id, how,
	    req->remote_addr ? req->remote_addr : "-");
	tenant_session_answer(req, db, user_id, tenant_id, name, phone, 1, token, csrf, max_age);
	OPENSSL_cleanse(token, sizeof token);
}

void
tenant_wechat_signin(struct request *req)
{
	char openid[65];
	int64_t user_id = 0;
	struct db *db;
	int r;

	if (wx_openid(req, request_str(req, "code", ""), openid, sizeof openid) != 0)
		return;
	if ((db = request_db(req)) == NULL)
		return;
	/* '' is a binding made before appids were kept: the appid configured now */
	r = db_query_int(db, &user_id, "SELECT b.user_id FROM wechat_bindings b JOIN users u ON u.id = b.user_id "
	    "WHERE b.openid = ? AND b.appid IN (?, '') AND u.role = 'tenant' AND u.disabled = 0", "ss", openid,
	    config_str(server_config(req), "wechat", "appid"));
	if (r < 0) {
		request_db_failed(req, db);
		return;
	}
	if (r == 0) {
		response_error(req, 409, "bind_phone", "this WeChat user is not bound to a tenant yet: bind your phone "
		    "(POST /api/v1/session/sms-code, then POST /api/v1/session/wechat/bind with a new wx.login code)");
		return;
	}
	wx_session(req, db, user_id, openid, "openid");
}

void
tenant_wechat_bind(struct request *req)
{
	const char *phone = request_str(req, "phone", ""), *sms = request_str(req, "sms_code", "");
	char openid[65];
	int64_t user_id = 0, bound = 0;
	struct db *db;
	long long n;

	if (!auth_phone_valid(phone)) {
		response_error(req, 400, "invalid_parameter", "phone must be a phone number like 13800138000");
		return;
	}
	if (!auth_code_valid(sms)) {
		response_error(req, 400, "invalid_parameter", "sms_code must be the 6 digits of the text message");
		return;
	}
	if (wx_openid(req, request_str(req, "code", ""), openid, sizeof openid) != 0)
		return;
	if ((db = request_db(req)) == NULL)
		return;
	if (db_query_int(db, &bound, "SELECT COUNT(*) FROM wechat_bindings WHERE openid = ?", "s", openid) < 0) {
		request_db_failed(req, db);
		return;
	}
	if (bound > 0) {
		response_error(req, 409, "already_bound", "this WeChat user is bound already; sign in with "
		    "POST /api/v1/session/wechat (the park office can undo a wrong binding)");
		return;
	}
	if (tenant_sms_code_check(req, db, phone, sms, &user_id) != 1)
		return;
	/* the unique openid decides a race between two binds */
	n = db_exec(db, "INSERT IGNORE INTO wechat_bindings (openid, appid, user_id, remote_addr) VALUES (?, ?, ?, ?)",
	    "ssis", openid, config_str(server_config(req), "wechat", "appid"), user_id,
	    req->remote_addr ? req->remote_addr : "");
	if (n < 0) {
		request_db_failed(req, db);
		return;
	}
	if (n == 0) {
		response_error(req, 409, "already_bound", "this WeChat user is bound already; sign in with "
		    "POST /api/v1/session/wechat");
		return;
	}
	log_info("openid bound to user %lld after an SMS check of %s", (long long)user_id, phone);
	wx_session(req, db, user_id, openid, "bound");
}
