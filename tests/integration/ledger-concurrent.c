/*
 * Jepsen "bank" style: several processes post at once to overlapping
 * accounts — top-ups, consumption, refunds, transfers in both directions —
 * and replay each other's keys: shared keys whose payload follows from the
 * key (every process sends the same request), and contested keys whose
 * payload differs per process (one must win, the others conflict). Each
 * process writes down every answer; afterwards every key posted at most
 * once, every replay names the first posting's entries, every balance and
 * last_seq equals what the answers add up to, no floor was crossed, and
 * `prepayctl audit` is clean.
 *
 *   PREPAY_SEED=N  replay a run's random choices (printed always)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "billing/ledger.h"
#include "tests/integration/ledger-fixture.h"
#include "lib/xmalloc.h"

#define NPROC 6
#define NACC 4
#define OPS 250
#define SHARED_KEYS 150
#define CONTESTED_KEYS 24

static int64_t acc[NACC];
static const int64_t overdraft[NACC] = { 0, 10000, 0, 50000 };

static uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
transfer(struct ledger_request *rq, int64_t from, int64_t to, int64_t amount_fen)
{
	rq->nlegs = 2;
	/* the debited leg first or second: the ledger must lock by id either way */
	if (from < to) {
		rq->legs[0] = (struct ledger_leg){ from, LEDGER_TRANSFER_OUT, -amount_fen, "transfer" };
		rq->legs[1] = (struct ledger_leg){ to, LEDGER_TRANSFER_IN, amount_fen, "transfer" };
	} else {
		rq->legs[0] = (struct ledger_leg){ to, LEDGER_TRANSFER_IN, amount_fen, "transfer" };
		rq->legs[1] = (struct ledger_leg){ from, LEDGER_TRANSFER_OUT, -amount_fen, "transfer" };
	}
}

/* The request behind a shared key: the same in every process. */
static void
shared_request(struct ledger_request *rq, const char *key, int k)
{
	switch (k % 4) {
	case 0:
		ledger_request_init(rq, key, "bank", acc[k % NACC], LEDGER_TOPUP, 1000 + 7 * k, "bank");
		break;
	case 1:
		ledger_request_init(rq, key, "bank", acc[(k / 4) % NACC], LEDGER_CONSUMPTION, -(500 + 3 * k),
		    "revenue:electricity");
		break;
	case 2:
		ledger_request_init(rq, key, "bank", acc[k % NACC], LEDGER_TRANSFER_OUT, 0, "transfer");
		transfer(rq, acc[k % NACC], acc[(k + 1) % NACC], 300 + k);
		break;
	default:
		ledger_request_init(rq, key, "bank", acc[(k / 4) % NACC], LEDGER_ADJUSTMENT,
		    k % 8 == 3 ? 700 : -(200 + k), "adjustment");
		rq->reason = "shared correction";
		break;
	}
}

static void
child(struct fixture *f, int p, uint64_t seed, const char *path)
{
	struct db *db = fixture_connect(f);
	FILE *out = fopen(path, "w");
	uint64_t s = seed * 1000003 + (uint64_t)p;
	char key[64], actor[32];

	if (out == NULL)
		_exit(3);
	snprintf(actor, sizeof actor, "proc-%d", p);
	for (int i = 0; i < OPS; i++) {
		struct ledger_request rq;
		struct ledger_result res;
		int r = (int)(next_rand(&s) % 100);
		int ia = (int)(next_rand(&s) % NACC), ib = (ia + 1 + (int)(next_rand(&s) % (NACC - 1))) % NACC;
		int64_t a = acc[ia], b = acc[ib];
		int64_t amount = 1 + (int64_t)(next_rand(&s) % 20000);

		if (r < 40) {
			int k = (int)(next_rand(&s) % SHARED_KEYS);
			snprintf(key, sizeof key, "c-%s-%d", f->tag, k);
			shared_request(&rq, key, k);
		} else if (r < 50) {
			int k = (int)(next_rand(&s) % CONTESTED_KEYS);
			snprintf(key, sizeof key, "x-%s-%d", f->tag, k);
			ledger_request_init(&rq, key, actor, acc[k % NACC], LEDGER_TOPUP, 100 + p, "cash");
		} else {
			snprintf(key, sizeof key, "u-%s-%d-%d", f->tag, p, i);
			if (r < 60)
				ledger_request_init(&rq, key, actor, a, LEDGER_TOPUP, amount, "pos");
			else if (r < 72)
				ledger_request_init(&rq, key, actor, a, LEDGER_CONSUMPTION, -amount, "revenue:water");
			else if (r < 78)
				ledger_request_init(&rq, key, actor, a, LEDGER_REFUND, -amount, "refund:cash");
			else {
				ledger_request_init(&rq, key, actor, a, LEDGER_TRANSFER_OUT, 0, "transfer");
				transfer(&rq, a, b, amount);
			}
		}
		rq.actor = actor;
		ledger_post(db, &rq, &res);
		fprintf(out, "%s %d %d %d", key, (int)res.status, res.replayed, rq.nlegs);
		for (int l = 0; l < rq.nlegs; l++)
			fprintf(out, " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64, rq.legs[l].account_id,
			    rq.legs[l].amount_fen, res.status == LEDGER_OK ? res.legs[l].entry_id : 0,
			    res.status == LEDGER_OK ? res.legs[l].seq : 0);
		fputc('\n', out);
		if (res.status == LEDGER_DB_ERROR)
			fprintf(stderr, "proc %d: %s: %s\n", p, key, res.detail);
	}
	fclose(out);
	db_close(db);
	_exit(0);
}

struct answer {
	char key[64];
	int status, replayed, nlegs;
	int64_t account[LEDGER_MAX_LEGS], amount[LEDGER_MAX_LEGS], entry[LEDGER_MAX_LEGS], seq[LEDGER_MAX_LEGS];
};

static int
key_cmp(const void *x, const void *y)
{
	const struct answer *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	/* the fresh posting of a key sorts first among its answers */
	return c != 0 ? c : (a->status != LEDGER_OK || a->replayed) - (b->status != LEDGER_OK || b->replayed);
}

int
main(void)
{
	struct fixture f;
	const char *s;
	uint64_t seed;
	char path[NPROC][256];
	pid_t pids[NPROC];
	struct answer *ans = xcalloc(NPROC * OPS, sizeof *ans);
	int nans = 0, children_ok = 1, db_errors = 0, double_posts = 0, bad_replays = 0, conflicts = 0;
	int contested_wins = 0, contested_bad = 0, replays = 0, wrong_balance = 0, rc;
	int64_t balance[NACC] = { 0 }, seqs[NACC] = { 0 }, n;

	fixture_open(&f, "conc");
	seed = (s = getenv("PREPAY_SEED")) != NULL ? strtoull(s, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
	printf("# seed %" PRIu64 " (rerun with PREPAY_SEED=%" PRIu64 "), %d processes x %d postings, site %s\n",
	    seed, seed, NPROC, OPS, f.tag);
	for (int i = 0; i < NACC; i++) {
		char code[8];
		snprintf(code, sizeof code, "C%d", i);
		acc[i] = fixture_account(&f, code, overdraft[i], 0);
	}
	fflush(stdout);
	for (int p = 0; p < NPROC; p++) {
		snprintf(path[p], sizeof path[p], "%s/ledger-conc-%s-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		    f.tag, p);
		if ((pids[p] = fork()) == 0)
			child(&f, p, seed, path[p]);
		if (pids[p] < 0) {
			printf("Bail out! fork failed\n");
			return 1;
		}
	}
	for (int p = 0; p < NPROC; p++) {
		int st;
		if (waitpid(pids[p], &st, 0) != pids[p] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			children_ok = 0;
	}
	tap_ok(children_ok, "all %d processes finished", NPROC);

	for (int p = 0; p < NPROC; p++) {
		FILE *in = fopen(path[p], "r");
		while (in != NULL && nans < NPROC * OPS) {
			struct answer *a = &ans[nans];
			if (fscanf(in, "%63s %d %d %d", a->key, &a->status, &a->replayed, &a->nlegs) != 4 ||
			    a->nlegs < 1 || a->nlegs > LEDGER_MAX_LEGS)
				break;
			for (int l = 0; l < a->nlegs; l++)
				if (fscanf(in, "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64, &a->account[l],
				    &a->amount[l], &a->entry[l], &a->seq[l]) != 4)
					a->nlegs = -1;
			if (a->nlegs < 0)
				break;
			nans++;
		}
		if (in != NULL)
			fclose(in);
		unlink(path[p]);
	}
	tap_ok(nans == NPROC * OPS, "every process wrote down all its answers (%d of %d)", nans, NPROC * OPS);

	qsort(ans, (size_t)nans, sizeof *ans, key_cmp);
	for (int i = 0; i < nans; i++) {
		struct answer *a = &ans[i];
		const struct answer *first;
		/* the first answer of this key in sorted order */
		int j = i;
		while (j > 0 && strcmp(ans[j - 1].key, a->key) == 0)
			j--;
		first = &ans[j];
		if (a->status == LEDGER_DB_ERROR)
			db_errors++;
		if (a->status == LEDGER_KEY_CONFLICT)
			conflicts++;
		if (a->status != LEDGER_OK)
			continue;
		if (!a->replayed) {
			if (first != a) {
				double_posts++;
				printf("# %s was posted twice\n", a->key);
			}
			for (int l = 0; l < a->nlegs; l++)
				for (int k = 0; k < NACC; k++)
					if (acc[k] == a->account[l]) {
						balance[k] += a->amount[l];
						seqs[k]++;
					}
			if (a->key[0] == 'x')
				contested_wins++;
			continue;
		}
		replays++;
		if (first->replayed || first->status != LEDGER_OK || first->nlegs != a->nlegs) {
			bad_replays++;
			printf("# %s: a replay without a first posting among the answers\n", a->key);
			continue;
		}
		for (int l = 0; l < a->nlegs; l++)
			if (a->entry[l] != first->entry[l] || a->seq[l] != first->seq[l] ||
			    a->amount[l] != first->amount[l]) {
				bad_replays++;
				printf("# %s: replay names entry %" PRId64 ", first posting %" PRId64 "\n", a->key,
				    a->entry[l], first->entry[l]);
			}
	}
	/* contested keys: the losers conflict, never post */
	for (int i = 0; i < nans; i++)
		if (ans[i].key[0] == 'x' && ans[i].status != LEDGER_OK && ans[i].status != LEDGER_KEY_CONFLICT)
			contested_bad++;
	tap_ok(db_errors == 0, "no posting failed on the database: deadlocks were retried (%d failed)", db_errors);
	tap_ok(double_posts == 0, "no key was posted twice, though processes sent the same keys at once (%d)",
	    double_posts);
	tap_ok(replays > 0 && bad_replays == 0, "every replay returned the first posting's entries (%d replays, %d wrong)",
	    replays, bad_replays);
	tap_ok(contested_wins > 0 && conflicts > 0 && contested_bad == 0,
	    "contested keys: one payload won each, the others were refused as conflicts (%d won, %d conflicts)",
	    contested_wins, conflicts);

	for (int k = 0; k < NACC; k++) {
		struct db_rows *r = db_query(f.db, "SELECT balance_fen, last_seq FROM accounts WHERE id = ?", "i", acc[k]);
		if (r == NULL || db_rows_next(r) != 1 || db_rows_int(r, 0) != balance[k] || db_rows_int(r, 1) != seqs[k]) {
			wrong_balance++;
			printf("# account %" PRId64 ": database %" PRId64 " seq %" PRId64 ", answers add up to %" PRId64
			    " seq %" PRId64 "\n", acc[k], r ? db_rows_int(r, 0) : -1, r ? db_rows_int(r, 1) : -1,
			    balance[k], seqs[k]);
		}
		db_rows_free(r);
	}
	tap_ok(wrong_balance == 0, "every balance and last_seq equals what the answers add up to");

	rc = db_query_int(f.db, &n, "SELECT COUNT(*) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
	    " WHERE a.site_id = ? AND e.amount_fen < 0 AND ((e.kind IN ('transfer_out', 'adjustment')"
	    " AND e.balance_after_fen < -a.overdraft_fen) OR (e.kind = 'refund' AND e.balance_after_fen < 0))",
	    "i", f.site_id);
	tap_ok(rc == 1 && n == 0, "no transfer, negative adjustment or refund went below its floor (%" PRId64 ")", n);
	tap_ok(fixture_audit() == 0, "prepayctl audit is clean afterwards");
	free(ans);
	fixture_close(&f);
	return tap_done();
}
