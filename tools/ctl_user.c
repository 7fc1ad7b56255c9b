/*
 * prepayctl user: tenant sign-ins (docs/tenant.md).
 *   user add --tenant SITE/CODE --phone PHONE --password-file FILE [--name TEXT] [--replace]
 *   user list [--tenant SITE/CODE]
 * The password is read from a file (never from argv, which ps shows) and
 * stored only as a PBKDF2-HMAC-SHA256 hash; the tenant user sees every
 * account of its tenant. --replace sets a new password (and name) on a
 * user that exists and signs its sessions out; without it an existing
 * phone is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include "tools/ctl.h"
#include "cgi/auth.h"

#define USER_ADD_USAGE "usage: prepayctl user add --tenant SITE/CODE --phone PHONE --password-file FILE " \
	"[--name TEXT] [--replace]"

/* "SITE/CODE" → tenant id. */
static int
tenant_resolve(struct ctl *c, const char *arg, int64_t *id)
{
	const char *slash = strchr(arg, '/');
	char site[33];
	int r;

	if (slash == NULL || slash == arg || slash[1] == '\0' || (size_t)(slash - arg) >= sizeof site)
		return ctl_fail(c, CTL_INVALID, "--tenant \"%s\": write SITE/TENANT, like demo/t01", arg);
	memcpy(site, arg, (size_t)(slash - arg));
	site[slash - arg] = '\0';
	r = db_query_int(ctl_db(c), id, "SELECT t.id FROM tenants t JOIN sites s ON s.id = t.site_id "
	    "WHERE s.code = ? AND t.code = ?", "ss", site, slash + 1);
	if (r < 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (r == 0)
		return ctl_fail(c, CTL_INVALID, "there is no tenant %s (prepayctl account list shows them)", arg);
	return CTL_OK;
}

/* The first line of path, without its line end. */
static int
read_password(struct ctl *c, const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return ctl_fail(c, CTL_INVALID, "--password-file %s: %s", path, strerror(errno));
	if (fgets(out, (int)outlen, f) == NULL) {
		fclose(f);
		return ctl_fail(c, CTL_INVALID, "--password-file %s is empty", path);
	}
	fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return CTL_OK;
}

struct user_add {
	const char *actor, *login, *name, *phone, *tenant;
	const char *hash;
	int64_t tenant_id, user_id;
	int replace, replaced;
};

/* 0 written, CTL_CONFLICT the phone signs in already (no --replace), -1 database */
static int
user_add_tx(struct db *db, void *arg)
{
	struct user_add *a = arg;
	int r;

	if ((r = db_query_int(db, &a->user_id, "SELECT id FROM users WHERE login = ? FOR UPDATE", "s", a->login)) < 0)
		return -1;
	if (r == 1 && !a->replace)
		return CTL_CONFLICT;
	a->replaced = r == 1;
	if (r == 1) {
		if (db_exec(db, "UPDATE users SET password_hash = ?, display_name = ?, tenant_id = ?, disabled = 0 "
		    "WHERE id = ?", "ssii", a->hash, a->name, a->tenant_id, a->user_id) < 0 ||
		    db_exec(db, "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE user_id = ? AND revoked_at IS NULL",
		    "i", a->user_id) < 0)
			return -1;
	} else {
		if (db_exec(db, "INSERT INTO users (login, display_name, role, tenant_id, phone, password_hash) "
		    "VALUES (?, ?, 'tenant', ?, ?, ?)", "ssiss", a->login, a->name, a->tenant_id, a->phone, a->hash) < 0)
			return -1;
		a->user_id = db_insert_id(db);
	}
	return db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail) VALUES (?, ?, 'user', ?, "
	    "JSON_OBJECT('tenant', ?, 'phone', ?))", "ssiss", a->actor, a->replaced ? "user.password" : "user.add",
	    a->user_id, a->tenant, a->phone) < 0 ? -1 : 0;
}

int
ctl_user_add(struct ctl *c, int argc, char **argv)
{
	const char *tenant = NULL, *phone = NULL, *pwfile = NULL, *name = "", *replace = NULL;
	struct ctl_opt opts[] = { { "tenant", &tenant, 0 }, { "phone", &phone, 0 }, { "password-file", &pwfile, 0 },
		{ "name", &name, 0 }, { "replace", &replace, 1 }, { NULL, NULL, 0 } };
	char *pos[1], pw[256], hash[AUTH_HASH_MAX], why[160], login[64];
	struct user_add a = { 0 };
	int rc, r;

	if (ctl_opts(argc, argv, opts, pos, 1) != 0 || tenant == NULL || phone == NULL || pwfile == NULL)
		return ctl_fail(c, CTL_USAGE, USER_ADD_USAGE);
	if (!auth_phone_valid(phone))
		return ctl_fail(c, CTL_INVALID, "--phone \"%s\": write the mobile number, digits only (or +CC…)", phone);
	if (strlen(name) > 128)
		return ctl_fail(c, CTL_INVALID, "--name is at most 128 bytes");
	if ((rc = read_password(c, pwfile, pw, sizeof pw)) != CTL_OK)
		return rc;
	if (auth_password_acceptable(pw, why, sizeof why) != 0) {
		OPENSSL_cleanse(pw, sizeof pw);
		return ctl_fail(c, CTL_INVALID, "%s: %s", pwfile, why);
	}
	r = auth_password_hash(pw, 0, hash, sizeof hash);
	OPENSSL_cleanse(pw, sizeof pw);
	if (r != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot hash the password (OpenSSL)");
	if ((rc = tenant_resolve(c, tenant, &a.tenant_id)) != CTL_OK) {
		OPENSSL_cleanse(hash, sizeof hash);
		return rc;
	}
	snprintf(login, sizeof login, "phone:%s", phone);
	a.actor = c->actor;
	a.login = login;
	a.name = name;
	a.phone = phone;
	a.tenant = tenant;
	a.hash = hash;
	a.replace = replace != NULL;
	r = db_tx(c->db, user_add_tx, &a);
	OPENSSL_cleanse(hash, sizeof hash);
	if (r == CTL_CONFLICT)
		return ctl_fail(c, CTL_CONFLICT, "phone %s already signs in as user %lld (--replace sets a new password)",
		    phone, (long long)a.user_id);
	if (r != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	if (c->json)
		printf("{\"user\":%lld,\"tenant\":\"%s\",\"phone\":\"%s\",\"replaced\":%s}\n", (long long)a.user_id,
		    tenant, phone, a.replaced ? "true" : "false");
	else
		printf("user %lld: %s signs in for %s%s\n", (long long)a.user_id, phone, tenant,
		    a.replaced ? " (password replaced, sessions signed out)" : "");
	return CTL_OK;
}

int
ctl_user_list(struct ctl *c, int argc, char **argv)
{
	const char *tenant = NULL;
	struct ctl_opt opts[] = { { "tenant", &tenant, 0 }, { NULL, NULL, 0 } };
	static const char *const headers[] = { "ID", "PHONE", "TENANT", "NAME", "DISABLED", "SESSIONS" };
	struct ctl_table *t;
	struct db_rows *rows;
	char *pos[1];
	int64_t tenant_id = 0;
	int rc, r;

	if (ctl_opts(argc, argv, opts, pos, 1) != 0)
		return ctl_fail(c, CTL_USAGE, "usage: prepayctl user list [--tenant SITE/CODE]");
	if (tenant != NULL && (rc = tenant_resolve(c, tenant, &tenant_id)) != CTL_OK)
		return rc;
	rows = db_query(ctl_db(c), "SELECT u.id, u.phone, CONCAT(s.code, '/', t.code), u.display_name, u.disabled, "
	    "(SELECT COUNT(*) FROM sessions x WHERE x.user_id = u.id AND x.revoked_at IS NULL AND x.expires_at > UTC_TIMESTAMP(6)) "
	    "FROM users u JOIN tenants t ON t.id = u.tenant_id JOIN sites s ON s.id = t.site_id "
	    "WHERE u.role = 'tenant' AND (? = 0 OR u.tenant_id = ?) ORDER BY u.id", "ii", tenant_id, tenant_id);
	if (rows == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db));
	t = ctl_table_new(6, headers);
	ctl_table_right(t, 0);
	ctl_table_right(t, 5);
	while ((r = db_rows_next(rows)) == 1) {
		const char *cells[6] = { db_rows_str(rows, 0), db_rows_str(rows, 1), db_rows_str(rows, 2),
			db_rows_str(rows, 3), db_rows_int(rows, 4) ? "yes" : "no", db_rows_str(rows, 5) };
		ctl_table_add(t, cells);
	}
	db_rows_free(rows);
	ctl_table_print(t);
	return r < 0 ? ctl_fail(c, CTL_UNAVAILABLE, "database: %s", db_error(c->db)) : CTL_OK;
}
