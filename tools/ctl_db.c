/*
 * prepayctl db migrate: applies schema/NNN_name.sql files in order, once
 * each, recording what ran with its SHA-256. A file changed after it was
 * applied is refused: write a new migration instead.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "tools/ctl.h"
#include "lib/xmalloc.h"

#define MIGRATION_MAX_BYTES (4 * 1024 * 1024)
#define MIGRATION_MAX_FILES 999

struct migration {
	int version;
	char *name;
	char *path;
};

static int
migration_cmp(const void *a, const void *b)
{
	return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

static void
sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL)
		return NULL;
	buf = xmalloc(MIGRATION_MAX_BYTES + 1);
	*len = fread(buf, 1, MIGRATION_MAX_BYTES + 1, f);
	fclose(f);
	if (*len > MIGRATION_MAX_BYTES) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* NNN_name.sql → version NNN; anything else in the folder is ignored. */
static int
migration_version(const char *file)
{
	size_t n = strlen(file);
	int v = 0;

	if (n < 9 || strcmp(file + n - 4, ".sql") != 0 || file[3] != '_')
		return -1;
	for (int i = 0; i < 3; i++) {
		if (file[i] < '0' || file[i] > '9')
			return -1;
		v = v * 10 + file[i] - '0';
	}
	return v > 0 ? v : -1;
}

static const char *
schema_dir(const char *opt)
{
	if (opt != NULL)
		return opt;
	if (getenv("PREPAY_SCHEMA_DIR") != NULL)
		return getenv("PREPAY_SCHEMA_DIR");
	return PREPAY_SCHEMA_DIR;
}

int
ctl_db_migrate(struct ctl *c, int argc, char **argv)
{
	const char *dir_opt = NULL, *dry = NULL;
	struct ctl_opt opts[] = { { "dir", &dir_opt, 0 }, { "dry-run", &dry, 1 }, { NULL, NULL, 0 } };
	char *pos[1];
	const char *dir;
	struct migration *m = NULL;
	int n = 0, applied = 0, rc = CTL_OK;
	DIR *d;
	struct dirent *e;
	struct db *db;

	if (ctl_opts(argc, argv, opts, pos, 0) < 0)
		return CTL_USAGE;
	dir = schema_dir(dir_opt);
	if ((d = opendir(dir)) == NULL)
		return ctl_fail(c, CTL_INVALID, "cannot read the schema folder %s: %s (set --dir or PREPAY_SCHEMA_DIR)",
		    dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		int v = migration_version(e->d_name);
		if (v < 0)
			continue;
		if (n == MIGRATION_MAX_FILES)
			break;
		m = xrealloc(m, (size_t)(n + 1) * sizeof *m);
		m[n].version = v;
		m[n].name = xstrdup(e->d_name);
		m[n].path = xasprintf("%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	qsort(m, (size_t)n, sizeof *m, migration_cmp);
	for (int i = 1; i < n; i++)
		if (m[i].version == m[i - 1].version) {
			rc = ctl_fail(c, CTL_INVALID, "%s and %s have the same number", m[i - 1].name, m[i].name);
			goto out;
		}
	db = ctl_db(c);
	if (db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,"
	    " sha256 CHAR(64) NOT NULL, applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
	    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", "") < 0) {
		rc = ctl_fail(c, CTL_UNAVAILABLE, "cannot create schema_migrations: %s", db_error(db));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		size_t len;
		char sum[65], *sql;
		struct db_rows *r;
		int found, failed;

		if ((sql = slurp(m[i].path, &len)) == NULL) {
			rc = ctl_fail(c, CTL_INVALID, "%s: cannot read (or larger than %d bytes)", m[i].path,
			    MIGRATION_MAX_BYTES);
			goto out;
		}
		sha256_hex(sql, len, sum);
		if ((r = db_query(db, "SELECT sha256 FROM schema_migrations WHERE version = ?", "i",
		    (int64_t)m[i].version)) == NULL) {
			free(sql);
			rc = ctl_fail(c, CTL_UNAVAILABLE, "cannot read schema_migrations: %s", db_error(db));
			goto out;
		}
		found = db_rows_next(r) == 1;
		if (found && strcmp(db_rows_str(r, 0), sum) != 0) {
			db_rows_free(r);
			free(sql);
			rc = ctl_fail(c, CTL_CONFLICT, "%s was changed after it was applied (checksum differs);"
			    " never edit an applied migration: add a new numbered file", m[i].name);
			goto out;
		}
		db_rows_free(r);
		if (found || dry != NULL) {
			if (!found)
				printf("would apply %s\n", m[i].name);
			free(sql);
			continue;
		}
		if (db_exec_script(db, sql, &failed) != 0) {
			rc = ctl_fail(c, CTL_INVALID, "%s: statement %d failed: %s (statements before it have"
			    " been applied; fix the file and run migrate again)", m[i].name, failed, db_error(db));
			free(sql);
			goto out;
		}
		free(sql);
		if (db_exec(db, "INSERT INTO schema_migrations (version, name, sha256) VALUES (?, ?, ?)", "iss",
		    (int64_t)m[i].version, m[i].name, sum) < 0) {
			rc = ctl_fail(c, CTL_UNAVAILABLE, "cannot record %s: %s", m[i].name, db_error(db));
			goto out;
		}
		printf("applied %s\n", m[i].name);
		applied++;
	}
	if (!c->json)
		printf("%d migration%s applied, %d already in place\n", applied, applied == 1 ? "" : "s",
		    n - applied);
out:
	for (int i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].path);
	}
	free(m);
	return rc;
}
