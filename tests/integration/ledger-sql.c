/*
 * A helper for the ledger's shell tests (not a test itself): runs SQL on
 * the database of a config file, so a test can make accounts, count rows
 * before and after, and (in a private database) tamper with the ledger.
 *
 *   ledger-sql CONF account SITE CODE [OVERDRAFT_FEN]   prints the new id
 *   ledger-sql CONF value SQL                           prints the first column of the first row
 *   ledger-sql CONF exec SQL                            prints the affected rows
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/db.h"
#include "lib/log.h"
#include "lib/settings.h"

static int
die(struct db *db, const char *what)
{
	fprintf(stderr, "ledger-sql: %s: %s\n", what, db_error(db));
	return 1;
}

static int
ledger_sql_run(struct db *db, int argc, char **argv)
{
	int64_t site = 0, tenant, v;

	if (strcmp(argv[2], "value") == 0) {
		int rc = db_query_int(db, &v, argv[3], "");
		if (rc < 0)
			return die(db, argv[3]);
		if (rc == 1)
			printf("%" PRId64 "\n", v);
		return 0;
	}
	if (strcmp(argv[2], "exec") == 0) {
		long long n = db_exec(db, argv[3], "");
		if (n < 0)
			return die(db, argv[3]);
		printf("%lld\n", n);
		return 0;
	}
	if (strcmp(argv[2], "account") == 0 && argc >= 5) {
		/* the site is made on first use; its one tenant holds every account */
		if (db_query_int(db, &site, "SELECT id FROM sites WHERE code = ?", "s", argv[3]) == 0) {
			if (db_exec(db, "INSERT INTO sites (code, name) VALUES (?, 'ledger shell test')", "s", argv[3]) != 1)
				return die(db, "site");
			site = db_insert_id(db);
			if (db_exec(db, "INSERT INTO tenants (site_id, code, name) VALUES (?, 't', 'test tenant')", "i",
			    site) != 1)
				return die(db, "tenant");
		}
		if (db_query_int(db, &tenant, "SELECT id FROM tenants WHERE site_id = ? AND code = 't'", "i", site) != 1)
			return die(db, "tenant");
		if (db_exec(db, "INSERT INTO accounts (site_id, tenant_id, code, overdraft_fen) VALUES (?, ?, ?, ?)",
		    "iisi", site, tenant, argv[4], argc > 5 ? (int64_t)strtoll(argv[5], NULL, 10) : (int64_t)0) != 1)
			return die(db, "account");
		printf("%" PRId64 "\n", db_insert_id(db));
		return 0;
	}
	fprintf(stderr, "ledger-sql: unknown command %s\n", argv[2]);
	return 2;
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct db *db;
	char err[512];
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: ledger-sql CONF account SITE CODE [OVERDRAFT_FEN] | value SQL | exec SQL\n");
		return 2;
	}
	log_init("ledger-sql", LOG_LEVEL_ERROR);
	cfg = settings_load_or_die(argv[1]);
	if ((db = db_connect(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "ledger-sql: %s\n", err);
		config_free(cfg);
		return 1;
	}
	rc = ledger_sql_run(db, argc, argv);
	/* freed so LeakSanitizer stays quiet and the exit status stays ours */
	db_close(db);
	config_free(cfg);
	return rc;
}
