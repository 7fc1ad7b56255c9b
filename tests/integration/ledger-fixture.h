/*
 * Shared by the ledger's integration tests and benchmark: a connection from
 * $PREPAY_CONF, a fresh site and tenant with a code unique to this run (the
 * database is shared with other tests), accounts in it, and TAP output.
 */
#ifndef PREPAY_LEDGER_FIXTURE_H
#define PREPAY_LEDGER_FIXTURE_H
#include <stdint.h>
#include "lib/config.h"
#include "lib/db.h"

struct fixture {
	struct config *cfg;
	struct db *db;
	char tag[24];		/* unique per run: the site code, a prefix for keys */
	int64_t site_id;
	int64_t tenant_id;
};

/* Without $PREPAY_CONF prints the TAP skip plan and exits 0. */
void fixture_open(struct fixture *, const char *prefix);
/* Another connection to the same database (for another process/thread). */
struct db *fixture_connect(const struct fixture *);
/* A fresh account in the fixture's site; exits on a database error. */
int64_t fixture_account(struct fixture *, const char *code, int64_t overdraft_fen, int closed);
/* Runs `prepayctl audit` on the same database: its exit status. */
int fixture_audit(void);
void fixture_close(struct fixture *);

/* TAP: one line per checked behaviour. */
void tap_ok(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_done(void);		/* prints the plan; exit status for main */

#endif
