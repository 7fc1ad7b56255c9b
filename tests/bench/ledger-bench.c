/*
 * Ledger throughput against the database's own durable-commit rate: N
 * client threads (one connection each) do autocommit single-row INSERTs into
 * a tiny table, then ledger_post top-ups and debits on N distinct accounts,
 * for the same time each, twice in turn; prints both rates and the ratio.
 * Run by tests/bench/ledger.sh (reads PREPAY_CONF); not part of make check.
 *
 *   ledger-bench [-c CLIENTS] [-s SECONDS_PER_ROUND]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "billing/ledger.h"
#include "tests/integration/ledger-fixture.h"

#define MAX_CLIENTS 256

enum mode { RAW, RAW_TX, LEDGER };

struct client {
	struct fixture *f;
	int n;
	int64_t account_id;
	struct db *db;
	enum mode mode;
	int round;
	int64_t done, failed;
};

static pthread_barrier_t start;
static atomic_int stop;

/* The floor of any transaction: the same insert between BEGIN and COMMIT. */
static int
raw_tx(struct db *db, void *p)
{
	struct client *c = p;

	return db_exec(db, "INSERT INTO ledger_bench_raw (client, v) VALUES (?, ?)", "ii", (int64_t)c->n,
	    c->done) == 1 ? 0 : -1;
}

static void *
client_run(void *p)
{
	struct client *c = p;
	char key[80];

	pthread_barrier_wait(&start);
	while (!atomic_load(&stop)) {
		if (c->mode == RAW) {
			if (db_exec(c->db, "INSERT INTO ledger_bench_raw (client, v) VALUES (?, ?)", "ii",
			    (int64_t)c->n, c->done) != 1)
				c->failed++;
		} else if (c->mode == RAW_TX) {
			if (db_tx(c->db, raw_tx, c) != 0)
				c->failed++;
		} else {
			struct ledger_request rq;
			struct ledger_result res;
			snprintf(key, sizeof key, "b-%s-%d-%d-%" PRId64, c->f->tag, c->round, c->n, c->done);
			/* top up, then use it: the balance stays small and never hits the floor */
			if (c->done % 2 == 0)
				ledger_request_init(&rq, key, "bench", c->account_id, LEDGER_TOPUP, 100, "cash");
			else
				ledger_request_init(&rq, key, "bench", c->account_id, LEDGER_CONSUMPTION, -100,
				    "revenue:electricity");
			if (ledger_post(c->db, &rq, &res) != LEDGER_OK || res.replayed)
				c->failed++;
		}
		c->done++;
	}
	return NULL;
}

static double
run_round(struct client *cl, int n, enum mode mode, int round, int seconds, int64_t *failed)
{
	pthread_t th[MAX_CLIENTS];
	struct timespec t0, t1;
	int64_t total = 0;

	atomic_store(&stop, 0);
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		cl[i].mode = mode;
		cl[i].round = round;
		cl[i].done = cl[i].failed = 0;
		pthread_create(&th[i], NULL, client_run, &cl[i]);
	}
	pthread_barrier_wait(&start);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sleep((unsigned)seconds);
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		total += cl[i].done;
		*failed += cl[i].failed;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_barrier_destroy(&start);
	return (double)total / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

int
main(int argc, char **argv)
{
	struct fixture f;
	struct client cl[MAX_CLIENTS];
	int clients = 16, seconds = 5, opt;
	double raw = 0, rawtx = 0, led = 0;
	int64_t failed = 0;
	unsigned long retries0;

	while ((opt = getopt(argc, argv, "c:s:")) != -1) {
		if (opt == 'c')
			clients = (int)strtol(optarg, NULL, 10);
		else if (opt == 's')
			seconds = (int)strtol(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: ledger-bench [-c CLIENTS] [-s SECONDS]\n");
			return 2;
		}
	}
	if (clients < 1 || clients > MAX_CLIENTS || seconds < 1) {
		fprintf(stderr, "ledger-bench: 1 to %d clients, at least 1 second\n", MAX_CLIENTS);
		return 2;
	}
	fixture_open(&f, "bench");
	if (db_exec(f.db, "CREATE TABLE IF NOT EXISTS ledger_bench_raw (id BIGINT NOT NULL AUTO_INCREMENT"
	    " PRIMARY KEY, client INT NOT NULL, v BIGINT NOT NULL) ENGINE=InnoDB", "") < 0) {
		fprintf(stderr, "ledger-bench: %s\n", db_error(f.db));
		return 1;
	}
	for (int i = 0; i < clients; i++) {
		char code[16];
		snprintf(code, sizeof code, "B%d", i);
		cl[i] = (struct client){ .f = &f, .n = i, .account_id = fixture_account(&f, code, 0, 0),
		    .db = fixture_connect(&f) };
	}
	printf("ledger-bench: %d clients, %d s per round, site %s\n", clients, seconds, f.tag);
	retries0 = db_retry_count();
	/* in turn, twice, so a slow disk moment does not favour one side */
	for (int round = 0; round < 2; round++) {
		double r = run_round(cl, clients, RAW, round, seconds, &failed);
		double t = run_round(cl, clients, RAW_TX, round, seconds, &failed);
		double l = run_round(cl, clients, LEDGER, round, seconds, &failed);
		printf("  round %d: raw inserts %.0f/s, in BEGIN/COMMIT %.0f/s, ledger postings %.0f/s (%.0f%%)\n",
		    round + 1, r, t, l, 100.0 * l / r);
		raw += r / 2;
		rawtx += t / 2;
		led += l / 2;
	}
	printf("raw durable inserts:        %.0f/s\n"
	    "same insert in BEGIN/COMMIT: %.0f/s\n"
	    "ledger postings:            %.0f/s\n"
	    "ratio postings/raw:         %.0f%% (target >= 40%%)\n", raw, rawtx, led, 100.0 * led / raw);
	printf("deadlock retries: %lu, failures: %" PRId64 "\n", db_retry_count() - retries0, failed);
	db_exec(f.db, "DROP TABLE ledger_bench_raw", "");
	for (int i = 0; i < clients; i++)
		db_close(cl[i].db);
	fixture_close(&f);
	return failed == 0 ? 0 : 1;
}
