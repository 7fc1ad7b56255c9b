/*
 * Tenant authentication (docs/tenant.md).
 *
 *   pure   auth_password_*: PBKDF2-HMAC-SHA256 hashes with a per-user salt,
 *          stored as "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX" so the cost can
 *          be raised without breaking old hashes; auth_token_*: 128-bit
 *          random tokens and their SHA-256; auth_code_*: 6-digit SMS sign-in
 *          codes and their salted hash; auth_cookie_get: one cookie out
 *          of a Cookie header; auth_phone_valid.
 *   db     sessions (cookie or bearer), their expiry, CSRF check on cookie
 *          writes, and what accounts a user may see.
 */
#ifndef PREPAY_CGI_AUTH_H
#define PREPAY_CGI_AUTH_H
#include <stddef.h>
#include <stdint.h>

struct request;
struct db;

#define AUTH_PBKDF2_ITER 210000		/* OWASP 2023 floor for PBKDF2-HMAC-SHA256 is 600k; see docs/tenant.md */
#define AUTH_HASH_MAX 160
#define AUTH_TOKEN_HEX 33		/* 128 bits as hex + NUL */
#define AUTH_SHA256_HEX 65
#define AUTH_COOKIE "prepay_session"
#define AUTH_SESSION_IDLE_S (30 * 60)		/* browser: signed out after 30 min unused */
#define AUTH_SESSION_MAX_S (12 * 3600)		/* browser: at most 12 h */
#define AUTH_BEARER_IDLE_S (30 * 86400)		/* mini-program: 30 days unused */
#define AUTH_BEARER_MAX_S (90 * 86400)
#define AUTH_LOCK_FAILURES 5			/* per phone in the window, then locked */
#define AUTH_IP_FAILURES 50			/* per address in the window, then 429 */
#define AUTH_WINDOW_S (15 * 60)
#define AUTH_LOCK_S (15 * 60)

/* Hashes password with a fresh salt; 0 or -1. iter 0: AUTH_PBKDF2_ITER. */
int auth_password_hash(const char *password, unsigned iter, char *out, size_t outlen);
/* 1 matches, 0 does not (or the stored hash is not one of ours). */
int auth_password_verify(const char *password, const char *stored);
/* A password acceptable to set: 8..128 bytes, not all digits. 0, or -1 with why. */
int auth_password_acceptable(const char *password, char *why, size_t whylen);
/* 32 hex chars of fresh random; 0 or -1. */
int auth_token_new(char out[AUTH_TOKEN_HEX]);
void auth_sha256_hex(const char *s, char out[AUTH_SHA256_HEX]);
/* One-time sign-in codes (SMS): 6 uniformly random digits; 0 or -1. */
#define AUTH_CODE_LEN 7
int auth_code_new(char out[AUTH_CODE_LEN]);
/* 1 when c is exactly 6 digits */
int auth_code_valid(const char *c);
/* What is stored of a code: SHA-256 hex of salt followed by the code. */
void auth_code_hash(const char *salt, const char *code, char out[AUTH_SHA256_HEX]);
/* Copies the value of cookie name out of a Cookie header; 0 found, -1 not. */
int auth_cookie_get(const char *header, const char *name, char *out, size_t outlen);
/* Mainland mobile (1 + 10 digits) or +CC digits, 6..20 digits: 1 or 0. */
int auth_phone_valid(const char *phone);
/* Compares in time independent of where they differ: 1 equal. */
int auth_equal(const char *a, const char *b);

/* The signed-in user of a request. */
struct auth_user {
	int64_t session_id, user_id, tenant_id;
	int bearer;			/* authenticated by Authorization: Bearer */
	char csrf[AUTH_TOKEN_HEX];
	char name[129];
	char phone[33];
	int idle_due;			/* the idle clock is to move (auth_touch) */
};

/*
 * The session of req (cookie or bearer), checked: not expired, not revoked,
 * a tenant user not disabled; a write (not GET/HEAD) over a cookie must
 * carry X-CSRF-Token equal to the session's. 0, or -1 with the answer
 * given (401 unauthenticated / 403 csrf_failed / 503).
 */
int auth_require(struct request *, struct auth_user *);

/*
 * The live session of a token hash, as SQL pieces (the hash is the one
 * parameter of AUTH_SESSION_LIVE): SELECT AUTH_SESSION_COLS FROM
 * AUTH_SESSION_FROM WHERE AUTH_SESSION_LIVE.
 */
#define AUTH_SESSION_COLS "s.id, s.user_id, COALESCE(u.tenant_id, 0), s.kind, s.csrf_token, u.display_name, " \
	"u.phone, s.last_seen_at < UTC_TIMESTAMP(6) - INTERVAL 60 SECOND"
#define AUTH_SESSION_NCOLS 8
#define AUTH_SESSION_FROM "sessions s JOIN users u ON u.id = s.user_id"
#define AUTH_SESSION_LIVE "s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(6) " \
	"AND s.idle_expires_at > UTC_TIMESTAMP(6) AND u.disabled = 0 AND u.role = 'tenant'"

/*
 * auth_require and auth_account in one round trip, plus columns of the
 * account (alias a) and of tables joined to it, for a hot read route. The
 * statement must be a string constant (prepared statements are cached by
 * its address) built with AUTH_ACCOUNT_SQL(cols, joins), cols and joins
 * without parameters; cols start at column AUTH_ACCOUNT_COL0 (an account
 * the user may not see is refused before they are looked at). The scope
 * is auth_account's rule as a join (not EXISTS: ~1.4x the rate, measured).
 * 0 with *rows on the one row: the caller frees it and then calls
 * auth_touch (never a statement while the rows are open: the statement
 * cache may close theirs). Or -1 answered exactly as auth_require /
 * auth_account would (401, 403 csrf_failed, 404 account_not_found, 503).
 */
#define AUTH_ACCOUNT_SQL(cols, joins) "SELECT " AUTH_SESSION_COLS ", a.id, " cols " FROM " AUTH_SESSION_FROM \
	" LEFT JOIN user_accounts ua ON ua.user_id = s.user_id AND ua.account_id = ?" \
	" LEFT JOIN accounts a ON a.id = ? AND (a.tenant_id = u.tenant_id OR ua.account_id IS NOT NULL) " joins \
	" WHERE " AUTH_SESSION_LIVE
#define AUTH_ACCOUNT_COL0 (AUTH_SESSION_NCOLS + 1)
struct db_rows;
/* Moves the session's idle clock when it is due (at most once a minute). */
void auth_touch(struct request *, struct auth_user *);
int auth_require_account(struct request *, struct auth_user *, int64_t account_id, const char *sql,
    struct db_rows **rows);

/*
 * 1 when u may see account_id (accounts of the user's tenant, or listed in
 * user_accounts for u); 0 after answering 404 account_not_found (the same
 * answer as an account that does not exist); -1 after a database error
 * answer. site_id (may be NULL) gets the account's site.
 */
int auth_account(struct request *, struct db *, const struct auth_user *, int64_t account_id,
    int64_t *site_id);

/* 1 when the request came over HTTPS (nginx's HTTPS param, or
 * X-Forwarded-Proto: https from a proxy in front): cookies get Secure. */
int auth_request_https(const struct request *);

/* Starts a session for user_id; fills token (the only copy) and csrf. */
int auth_session_start(struct db *, int64_t user_id, int bearer, const char *remote_addr,
    const char *user_agent, char token[AUTH_TOKEN_HEX], char csrf[AUTH_TOKEN_HEX], int *max_age_s);

#endif
