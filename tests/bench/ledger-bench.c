/*
 * Ledger throughput against the database's own durable-commit rate: N
 * client threads (one connection each) do autocommit single-row INSERTs into
 * a tiny table, then ledger_post top-ups and debits on N distinct accounts,
 * for the same time each, in turn for a number of rounds (2 unless -r);
 * prints the rates, each round's ratio and their median (the machine may be
 * shared: a round in a busy moment says little, the median more).
 * Run by tests/bench/ledger.sh (reads PREPAY_CONF); not part of make check.
 *
 * With -p PID (the server's process on this machine, serving nothing else)
 * it also prints the server's CPU time per operation of each kind, which a
 * busy machine disturbs far less than the rates.
 *
 *   ledger-bench [-c CLIENTS] [-s SECONDS_PER_ROUND] [-r ROUNDS] [-p SERVER_PID]
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
#define MAX_ROUNDS 100

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
static long server_pid;

/* The server's user + system CPU time in clock ticks, or -1. */
static long long
server_ticks(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	if (server_pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/stat", server_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields 14 and 15, counted after the ")" that ends the command name */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

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

/* Runs one mode for a while: its rate per second; *cpu_us is the server's
 * CPU time per operation (0 without -p). */
static double
run_round(struct client *cl, int n, enum mode mode, int round, int seconds, int64_t *failed, double *cpu_us)
{
	pthread_t th[MAX_CLIENTS];
	struct timespec t0, t1;
	int64_t total = 0;
	long long c0, c1;

	atomic_store(&stop, 0);
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		cl[i].mode = mode;
		cl[i].round = round;
		cl[i].done = cl[i].failed = 0;
		pthread_create(&th[i], NULL, client_run, &cl[i]);
	}
	pthread_barrier_wait(&start);
	c0 = server_ticks();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sleep((unsigned)seconds);
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		total += cl[i].done;
		*failed += cl[i].failed;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c1 = server_ticks();
	*cpu_us = c0 >= 0 && c1 >= 0 && total > 0 ?
	    (double)(c1 - c0) * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)total : 0;
	pthread_barrier_destroy(&start);
	return (double)total / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static int
ratio_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct fixture f;
	struct client cl[MAX_CLIENTS];
	int clients = 16, seconds = 5, rounds = 2, opt;
	double raw = 0, rawtx = 0, led = 0, ratio[MAX_ROUNDS], median, cpu_raw = 0, cpu_led = 0;
	int64_t failed = 0;
	unsigned long retries0;

	while ((opt = getopt(argc, argv, "c:s:r:p:")) != -1) {
		if (opt == 'c')
			clients = (int)strtol(optarg, NULL, 10);
		else if (opt == 's')
			seconds = (int)strtol(optarg, NULL, 10);
		else if (opt == 'r')
			rounds = (int)strtol(optarg, NULL, 10);
		else if (opt == 'p')
			server_pid = strtol(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: ledger-bench [-c CLIENTS] [-s SECONDS] [-r ROUNDS] [-p SERVER_PID]\n");
			return 2;
		}
	}
	if (server_pid != 0 && (server_pid < 0 || server_ticks() < 0)) {
		fprintf(stderr, "ledger-bench: -p %ld: no process to read the CPU time of\n", server_pid);
		return 2;
	}
	if (clients < 1 || clients > MAX_CLIENTS || seconds < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "ledger-bench: 1 to %d clients, at least 1 second, 1 to %d rounds\n",
		    MAX_CLIENTS, MAX_ROUNDS);
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
	/* in turn, so a slow disk moment does not favour one side */
	for (int round = 0; round < rounds; round++) {
		double rc, tc, lc;
		double r = run_round(cl, clients, RAW, round, seconds, &failed, &rc);
		double t = run_round(cl, clients, RAW_TX, round, seconds, &failed, &tc);
		double l = run_round(cl, clients, LEDGER, round, seconds, &failed, &lc);
		printf("  round %d: raw inserts %.0f/s, in BEGIN/COMMIT %.0f/s, ledger postings %.0f/s (%.0f%%)\n",
		    round + 1, r, t, l, 100.0 * l / r);
		if (server_pid > 0) {
			printf("    server CPU per operation: raw %.0f us, in BEGIN/COMMIT %.0f us, posting %.0f us"
			    " (raw/posting %.0f%%)\n", rc, tc, lc, lc > 0 ? 100.0 * rc / lc : 0);
			cpu_raw += rc / rounds;
			cpu_led += lc / rounds;
		}
		fflush(stdout);
		ratio[round] = l / r;
		raw += r / rounds;
		rawtx += t / rounds;
		led += l / rounds;
	}
	qsort(ratio, (size_t)rounds, sizeof ratio[0], ratio_cmp);
	median = rounds % 2 ? ratio[rounds / 2] : (ratio[rounds / 2 - 1] + ratio[rounds / 2]) / 2;
	printf("raw durable inserts:        %.0f/s\n"
	    "same insert in BEGIN/COMMIT: %.0f/s\n"
	    "ledger postings:            %.0f/s\n"
	    "ratio postings/raw:         %.0f%% (target >= 40%%)\n"
	    "median ratio of the rounds: %.0f%% (lowest %.0f%%, highest %.0f%%)\n", raw, rawtx, led,
	    100.0 * led / raw, 100.0 * median, 100.0 * ratio[0], 100.0 * ratio[rounds - 1]);
	if (server_pid > 0)
		printf("server CPU per operation:   raw insert %.0f us, posting %.0f us (raw/posting %.0f%%)\n",
		    cpu_raw, cpu_led, cpu_led > 0 ? 100.0 * cpu_raw / cpu_led : 0);
	printf("deadlock retries: %lu, failures: %" PRId64 "\n", db_retry_count() - retries0, failed);
	db_exec(f.db, "DROP TABLE ledger_bench_raw", "");
	for (int i = 0; i < clients; i++)
		db_close(cl[i].db);
	fixture_close(&f);
	return failed == 0 ? 0 : 1;
}
