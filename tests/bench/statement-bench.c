/*
 * Month-end statement run against the raw read of the same rows.
 *   statement-bench PERIOD SITE_ID      (PREPAY_CONF names the database)
 * tests/bench/statement.sh fills a scratch database and runs this: first
 * the plain streaming SELECT of the month's consumption rows (the same
 * columns and order the statement run reads), then statement_run over the
 * site — reading, re-rating every row, assembling and storing the
 * statements — and the ratio of the two. Each is run twice; the second
 * (warm) figures are the ones compared.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "billing/statement.h"
#include "lib/log.h"
#include "lib/settings.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
raw_read(struct db *db, int64_t period, int64_t lo, int64_t hi, int64_t *rows, int64_t *sum)
{
	double t0 = now_s();
	struct db_rows *r = db_query_stream(db, "SELECT account_id, energy + 0, meter_id, TIMESTAMPDIFF(SECOND,"
	    " '1970-01-01', start_at), TIMESTAMPDIFF(SECOND, '1970-01-01', end_at), IFNULL(band, -1), energy_milli,"
	    " debit_fen FROM consumption WHERE period = ? AND account_id BETWEEN ? AND ? ORDER BY account_id, id",
	    "iii", period, lo, hi);

	*rows = *sum = 0;
	if (r == NULL) {
		fprintf(stderr, "raw read: %s\n", db_error(db));
		exit(1);
	}
	while (db_rows_next(r) == 1) {
		/* touch every column the statement uses, as it does */
		for (int c = 0; c < 8; c++)
			*sum += db_rows_int(r, c);
		(*rows)++;
	}
	db_rows_free(r);
	return now_s() - t0;
}

static void
count(void *arg, const struct stmt *st, const char *msg)
{
	(void)st;
	(void)msg;
	(*(int64_t *)arg)++;
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct db *db;
	char err[400];
	int64_t period, site, lo = 0, hi = 0, rows = 0, sum, flagged = 0;
	double raw = 0, run = 0;
	struct statement_run_stats s;

	if (argc != 3) {
		fputs("usage: statement-bench PERIOD SITE_ID\n", stderr);
		return 2;
	}
	log_init("statement-bench", LOG_LEVEL_WARN);
	period = strtoll(argv[1], NULL, 10);
	site = strtoll(argv[2], NULL, 10);
	cfg = settings_load_or_die(NULL);
	if ((db = db_connect(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	db_query_int(db, &lo, "SELECT MIN(id) FROM accounts WHERE site_id = ?", "i", site);
	db_query_int(db, &hi, "SELECT MAX(id) FROM accounts WHERE site_id = ?", "i", site);
	for (int pass = 1; pass <= 2; pass++) {
		struct statement_run_opts o = { .period = (int32_t)period, .site_id = site };
		double t0;
		raw = raw_read(db, period, lo, hi, &rows, &sum);
		printf("pass %d raw read:      %10" PRId64 " rows in %7.3f s  (%.0f rows/s)\n", pass, rows, raw, rows / raw);
		if (pass == 2) {
			/* statements exist now: make the run write them all again, as a first run would */
			db_exec(db, "UPDATE statements SET sha256 = '' WHERE period = ? AND site_id = ?", "ii", period, site);
		}
		t0 = now_s();
		flagged = 0;
		if (statement_run(db, &o, &s, count, &flagged, err, sizeof err) == -1) {
			fprintf(stderr, "statement run: %s\n", err);
			return 1;
		}
		run = now_s() - t0;
		printf("pass %d statement run: %10" PRId64 " rows in %7.3f s  (%" PRId64 " accounts; read+rate %.3f s,"
		    " write %.3f s; %" PRId64 " new, %" PRId64 " changed)\n", pass, s.rows, run, s.accounts, s.read_s,
		    s.write_s, s.statements_new, s.statements_changed);
	}
	printf("statement run / raw read = %.2f (target <= 1.5)\n", run / raw);
	printf("(%" PRId64 " statements flagged: the bench stores rows without posting their real-time debits)\n",
	    flagged);
	db_close(db);
	config_free(cfg);
	return 0;
}
