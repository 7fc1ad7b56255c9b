/*
 * Model-based test of billing/ledger: a seeded random sequence of top-ups,
 * debits, adjustments, refunds, emergency credit, transfers, replays,
 * conflicting replays and bad postings on a handful of fresh accounts. Each
 * result is checked against an in-memory model that knows the rules on its
 * own (it does not call ledger_rules), and the database rows after every
 * step. Ends with `prepayctl audit`.
 *
 *   PREPAY_SEED=N      replay a run (the seed is always printed)
 *   PREPAY_MODEL_STEPS number of steps (default 3000)
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "billing/ledger.h"
#include "tests/integration/ledger-fixture.h"
#include "lib/xmalloc.h"

#define NACC 6
#define MAX_DIAG 12

struct macc {
	int64_t id;
	int64_t balance_fen;
	int64_t seq;
	int64_t overdraft_fen;
	int closed;
};

/* A request the model remembers: posted (with its result) or refused. */
struct mreq {
	char key[48];
	char reference[24];
	struct ledger_request rq;
	int posted;
	struct ledger_result res;
};

enum cat { C_FRESH, C_REFUSED, C_REPLAY, C_CONFLICT, C_TRANSFER, C_ROWS, C_COUNT, C_NCATS };
static const char *const cat_names[C_NCATS] = {
	"fresh postings return the modelled entry seq and balance",
	"refusals (below floor, closed, unknown account, invalid) match the model and write nothing",
	"replays (same key, same payload) return the first result and post nothing",
	"conflicting replays (same key, other payload) are refused",
	"transfers move money between two accounts atomically",
	"account balance_fen and last_seq in the database match the model after every step",
	"the number of ledger entries matches the model after every step",
};
static int64_t cat_seen[C_NCATS], cat_bad[C_NCATS];
static int diags;

static struct macc acc[NACC];
static struct mreq *reqs;
static int nreqs;
static int64_t model_entries;
static uint64_t rng;

static uint64_t
next_rand(void)
{
	/* splitmix64: small, fast, the same on every machine */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t
between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next_rand() % (uint64_t)(hi - lo + 1));
}

static void
bad(enum cat c, int step, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
bad(enum cat c, int step, const char *fmt, ...)
{
	va_list ap;

	cat_bad[c]++;
	if (diags++ >= MAX_DIAG)
		return;
	printf("# step %d: ", step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static struct macc *
find(int64_t id)
{
	for (int i = 0; i < NACC; i++)
		if (acc[i].id == id)
			return &acc[i];
	return NULL;
}

static int
same_payload(const struct ledger_request *a, const struct ledger_request *b)
{
	if (a->nlegs != b->nlegs || (a->reference == NULL) != (b->reference == NULL) ||
	    (a->reference && strcmp(a->reference, b->reference) != 0))
		return 0;
	for (int i = 0; i < a->nlegs; i++)
		if (a->legs[i].account_id != b->legs[i].account_id || a->legs[i].kind != b->legs[i].kind ||
		    a->legs[i].amount_fen != b->legs[i].amount_fen ||
		    strcmp(a->legs[i].counter_account, b->legs[i].counter_account) != 0)
			return 0;
	return 1;
}

/* The rules, written again from docs/ledger.md. */
static int64_t
model_floor(enum ledger_kind k, int64_t overdraft_fen)
{
	switch (k) {
	case LEDGER_ADJUSTMENT:
	case LEDGER_EMERGENCY_REPAY:
	case LEDGER_TRANSFER_OUT:
		return -overdraft_fen;
	case LEDGER_REFUND:
		return 0;
	default:
		return INT64_MIN;
	}
}

/* Legs are checked in ascending account order, as the ledger locks them;
 * the first refusal is the answer. */
static enum ledger_status
model_decide(const struct ledger_request *rq, int64_t *after)
{
	int order[LEDGER_MAX_LEGS];

	for (int i = 0; i < rq->nlegs; i++)
		order[i] = i;
	if (rq->nlegs == 2 && rq->legs[1].account_id < rq->legs[0].account_id) {
		order[0] = 1;
		order[1] = 0;
	}
	for (int k = 0; k < rq->nlegs; k++) {
		const struct ledger_leg *l = &rq->legs[order[k]];
		struct macc *a = find(l->account_id);
		if (a == NULL)
			return LEDGER_NO_ACCOUNT;
		if (a->closed && l->kind != LEDGER_ADJUSTMENT && l->kind != LEDGER_REFUND)
			return LEDGER_CLOSED;
		after[order[k]] = a->balance_fen + l->amount_fen;
		if (l->amount_fen < 0 && after[order[k]] < model_floor(l->kind, a->overdraft_fen))
			return LEDGER_BELOW_FLOOR;
	}
	return LEDGER_OK;
}

static struct mreq *
new_req(struct fixture *f)
{
	struct mreq *m = &reqs[nreqs++];

	memset(m, 0, sizeof *m);
	snprintf(m->key, sizeof m->key, "m-%s-%d", f->tag, nreqs);
	return m;
}

static void
leg(struct mreq *m, int i, int64_t account, enum ledger_kind k, int64_t amount, const char *counter)
{
	m->rq.legs[i] = (struct ledger_leg){ account, k, amount, counter };
}

/* A new random request; returns its category hint. */
static void
make_request(struct fixture *f, struct mreq *m)
{
	static const char *const topup_counters[] = { "cash", "bank", "pos" };
	int64_t a = acc[between(0, NACC - 1)].id, b;
	int r = (int)between(0, 99);

	m->rq.idem_key = m->key;
	m->rq.actor = "model";
	m->rq.nlegs = 1;
	if (between(0, 3) == 0) {
		snprintf(m->reference, sizeof m->reference, "ref-%d", (int)between(0, 999));
		m->rq.reference = m->reference;
	}
	if (r < 22)
		leg(m, 0, a, LEDGER_TOPUP, between(1, 100000), topup_counters[between(0, 2)]);
	else if (r < 48)
		leg(m, 0, a, LEDGER_CONSUMPTION, -between(1, 25000), between(0, 1) ? "revenue:electricity" :
		    "revenue:water");
	else if (r < 53)
		leg(m, 0, a, LEDGER_FEE, -between(1, 5000), "revenue:standing");
	else if (r < 65) {
		leg(m, 0, a, LEDGER_ADJUSTMENT, between(0, 1) ? between(1, 30000) : -between(1, 30000),
		    "adjustment");
		m->rq.reason = "model correction";
	} else if (r < 71)
		leg(m, 0, a, LEDGER_REFUND, -between(1, 40000), "refund:cash");
	else if (r < 75)
		leg(m, 0, a, LEDGER_EMERGENCY_CREDIT, between(1, 5000), "emergency");
	else if (r < 79)
		leg(m, 0, a, LEDGER_EMERGENCY_REPAY, -between(1, 5000), "emergency");
	else if (r < 90) {
		int64_t x = between(1, 30000);
		do
			b = acc[between(0, NACC - 1)].id;
		while (b == a);
		m->rq.nlegs = 2;
		/* legs in either order: the ledger locks by id, not by leg */
		if (between(0, 1)) {
			leg(m, 0, a, LEDGER_TRANSFER_OUT, -x, "transfer");
			leg(m, 1, b, LEDGER_TRANSFER_IN, x, "transfer");
		} else {
			leg(m, 0, b, LEDGER_TRANSFER_IN, x, "transfer");
			leg(m, 1, a, LEDGER_TRANSFER_OUT, -x, "transfer");
		}
	} else if (r < 95)
		/* an account that does not exist */
		leg(m, 0, acc[NACC - 1].id + 1000000 + between(0, 1000), LEDGER_TOPUP, between(1, 999), "cash");
	else {
		/* malformed: a wrong sign or zero, refused before any lock */
		leg(m, 0, a, LEDGER_CONSUMPTION, between(0, 1) ? 0 : between(1, 100), "revenue:electricity");
	}
	(void)f;
}

static int
check_rows(struct fixture *f, int step)
{
	int64_t n;
	int ok = 1;

	for (int i = 0; i < NACC; i++) {
		struct db_rows *r = db_query(f->db, "SELECT balance_fen, last_seq FROM accounts WHERE id = ?",
		    "i", acc[i].id);
		if (r == NULL || db_rows_next(r) != 1) {
			bad(C_ROWS, step, "cannot read account %" PRId64 ": %s", acc[i].id, db_error(f->db));
			db_rows_free(r);
			return 0;
		}
		if (db_rows_int(r, 0) != acc[i].balance_fen || db_rows_int(r, 1) != acc[i].seq) {
			bad(C_ROWS, step, "account %" PRId64 ": database balance %" PRId64 " seq %" PRId64
			    ", model %" PRId64 " seq %" PRId64, acc[i].id, db_rows_int(r, 0), db_rows_int(r, 1),
			    acc[i].balance_fen, acc[i].seq);
			ok = 0;
		}
		db_rows_free(r);
	}
	cat_seen[C_ROWS]++;
	if (db_query_int(f->db, &n, "SELECT COUNT(*) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
	    " WHERE a.site_id = ?", "i", f->site_id) != 1 || n != model_entries) {
		bad(C_COUNT, step, "%" PRId64 " entries in the database, model %" PRId64, n, model_entries);
		ok = 0;
	}
	cat_seen[C_COUNT]++;
	return ok;
}

static void
run_step(struct fixture *f, int step)
{
	struct mreq *m = NULL, *prev = NULL, tmp;
	struct ledger_result res;
	enum ledger_status want, got;
	int64_t after[LEDGER_MAX_LEGS];
	int r = (int)between(0, 99), conflict = 0;

	if (nreqs > 0 && r < 14) {
		/* an earlier request again: same payload, another actor and reason */
		prev = &reqs[between(0, nreqs - 1)];
		tmp = *prev;
		tmp.rq.actor = "model-retry";
		if (tmp.rq.reason != NULL)
			tmp.rq.reason = "retyped reason";
		if (r < 4 && prev->rq.legs[0].kind != LEDGER_TRANSFER_OUT && prev->rq.legs[0].kind != LEDGER_TRANSFER_IN &&
		    prev->rq.legs[0].amount_fen != 0) {
			/* a different amount under the same key */
			tmp.rq.legs[0].amount_fen += tmp.rq.legs[0].amount_fen > 0 ? 1 : -1;
			conflict = 1;
		}
		m = &tmp;
	} else {
		m = new_req(f);
		make_request(f, m);
	}

	/* what the model expects */
	if (prev != NULL && prev->posted)
		want = same_payload(&prev->rq, &m->rq) ? LEDGER_OK : LEDGER_KEY_CONFLICT;
	else if (m->rq.legs[0].amount_fen == 0 || (m->rq.legs[0].kind == LEDGER_CONSUMPTION &&
	    m->rq.legs[0].amount_fen > 0))
		want = LEDGER_INVALID;
	else
		want = model_decide(&m->rq, after);

	got = ledger_post(f->db, &m->rq, &res);
	if (got != want) {
		bad(prev && prev->posted ? (conflict ? C_CONFLICT : C_REPLAY) : C_FRESH, step,
		    "%s %s: got %s (%s), model says %s", m->rq.idem_key, ledger_kind_name(m->rq.legs[0].kind),
		    ledger_strerror(got), res.detail, ledger_strerror(want));
		return;
	}
	if (prev != NULL && prev->posted) {
		enum cat c = want == LEDGER_OK ? C_REPLAY : C_CONFLICT;
		cat_seen[c]++;
		if (want == LEDGER_OK) {
			int same = res.replayed && res.nlegs == prev->res.nlegs;
			for (int i = 0; same && i < res.nlegs; i++)
				same = res.legs[i].entry_id == prev->res.legs[i].entry_id &&
				    res.legs[i].seq == prev->res.legs[i].seq &&
				    res.legs[i].balance_after_fen == prev->res.legs[i].balance_after_fen;
			if (!same)
				bad(c, step, "replay of %s did not return the first result", m->rq.idem_key);
		}
		return;
	}
	if (want != LEDGER_OK) {
		cat_seen[C_REFUSED]++;
		return;
	}
	/* a fresh posting: seq and balance per leg */
	cat_seen[m->rq.nlegs > 1 ? C_TRANSFER : C_FRESH]++;
	if (res.replayed || res.nlegs != m->rq.nlegs)
		bad(C_FRESH, step, "%s: fresh posting reported replayed=%d nlegs=%d", m->rq.idem_key,
		    res.replayed, res.nlegs);
	for (int i = 0; i < m->rq.nlegs; i++) {
		struct macc *a = find(m->rq.legs[i].account_id);
		if (res.legs[i].seq != a->seq + 1 || res.legs[i].balance_after_fen != after[i] ||
		    res.legs[i].entry_id <= 0 || res.legs[i].account_id != a->id)
			bad(m->rq.nlegs > 1 ? C_TRANSFER : C_FRESH, step, "%s leg %d: seq %" PRId64 " balance %"
			    PRId64 ", model seq %" PRId64 " balance %" PRId64, m->rq.idem_key, i + 1,
			    res.legs[i].seq, res.legs[i].balance_after_fen, a->seq + 1, after[i]);
		a->seq++;
		a->balance_fen = after[i];
		model_entries++;
	}
	if (prev != NULL) {
		/* a refused request that now went through: remember it as posted */
		prev->rq = m->rq;
		prev->posted = 1;
		prev->res = res;
	} else {
		m->posted = 1;
		m->res = res;
	}
}

int
main(void)
{
	struct fixture f;
	const char *s;
	int steps = 3000, failed_rows = 0;
	uint64_t seed;
	struct timespec t0, t1;

	fixture_open(&f, "model");
	seed = (s = getenv("PREPAY_SEED")) != NULL ? strtoull(s, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
	if ((s = getenv("PREPAY_MODEL_STEPS")) != NULL && strtol(s, NULL, 10) > 0)
		steps = (int)strtol(s, NULL, 10);
	rng = seed;
	printf("# seed %" PRIu64 " (rerun with PREPAY_SEED=%" PRIu64 "), %d steps, site %s\n", seed, seed, steps, f.tag);
	reqs = xcalloc((size_t)steps, sizeof *reqs);
	for (int i = 0; i < NACC; i++) {
		char code[16];
		snprintf(code, sizeof code, "M%d", i);
		/* some may owe, one is closed */
		acc[i].overdraft_fen = i % 3 == 1 ? 20000 : 0;
		acc[i].closed = i == NACC - 1;
		acc[i].id = fixture_account(&f, code, acc[i].overdraft_fen, acc[i].closed);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int step = 1; step <= steps; step++) {
		if (between(0, 199) == 0) {
			/* the operator changes an overdraft now and then */
			struct macc *a = &acc[between(0, NACC - 2)];
			a->overdraft_fen = between(0, 3) * 10000;
			db_exec(f.db, "UPDATE accounts SET overdraft_fen = ? WHERE id = ?", "ii", a->overdraft_fen, a->id);
		}
		run_step(&f, step);
		if (!check_rows(&f, step) && ++failed_rows > 3)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %d steps in %.1f s\n", steps, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int c = 0; c < C_NCATS; c++)
		tap_ok(cat_seen[c] > 0 && cat_bad[c] == 0, "%s (%" PRId64 " checked, %" PRId64 " wrong)",
		    cat_names[c], cat_seen[c], cat_bad[c]);
	tap_ok(fixture_audit() == 0, "prepayctl audit is clean afterwards");
	free(reqs);
	fixture_close(&f);
	return tap_done();
}
