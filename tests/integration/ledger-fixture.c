#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/integration/ledger-fixture.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"

static int tap_n, tap_failed;

void
tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

void
fixture_open(struct fixture *f, const char *prefix)
{
	char err[512];
	struct timespec ts;

	memset(f, 0, sizeof *f);
	if (getenv("PREPAY_CONF") == NULL) {
		puts("1..0 # SKIP needs the stack's database (run ./deploy/stack check)");
		exit(0);
	}
	log_init(prefix, LOG_LEVEL_WARN);
	f->cfg = settings_load_or_die(NULL);
	if ((f->db = db_connect(f->cfg, err, sizeof err)) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	/* unique among runs: time, pid and nanoseconds */
	snprintf(f->tag, sizeof f->tag, "%.4s%lx%x%lx", prefix, (long)ts.tv_sec % 0xfffff,
	    (unsigned)getpid() & 0xffff, ts.tv_nsec & 0xfff);
	if (db_exec(f->db, "INSERT INTO sites (code, name) VALUES (?, ?)", "ss", f->tag,
	    "ledger test site") != 1) {
		printf("Bail out! cannot create a site: %s\n", db_error(f->db));
		exit(1);
	}
	f->site_id = db_insert_id(f->db);
	if (db_exec(f->db, "INSERT INTO tenants (site_id, code, name) VALUES (?, 't', 'ledger test tenant')",
	    "i", f->site_id) != 1) {
		printf("Bail out! cannot create a tenant: %s\n", db_error(f->db));
		exit(1);
	}
	f->tenant_id = db_insert_id(f->db);
}

struct db *
fixture_connect(const struct fixture *f)
{
	char err[512];
	struct db *db = db_connect(f->cfg, err, sizeof err);

	if (db == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return db;
}

int64_t
fixture_account(struct fixture *f, const char *code, int64_t overdraft_fen, int closed)
{
	if (db_exec(f->db, "INSERT INTO accounts (site_id, tenant_id, code, overdraft_fen, status)"
	    " VALUES (?, ?, ?, ?, ?)", "iisis", f->site_id, f->tenant_id, code, overdraft_fen,
	    closed ? "closed" : "open") != 1) {
		printf("Bail out! cannot create account %s: %s\n", code, db_error(f->db));
		exit(1);
	}
	return db_insert_id(f->db);
}

int
fixture_audit(void)
{
	const char *dir = getenv("PREPAY_BUILDDIR");
	char *cmd;
	int st;

	/* its report goes to stderr: TAP owns stdout */
	cmd = xasprintf("'%s/prepayctl' audit 1>&2", dir ? dir : ".");
	fflush(stdout);
	st = system(cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

void
fixture_close(struct fixture *f)
{
	db_close(f->db);
	config_free(f->cfg);
}
