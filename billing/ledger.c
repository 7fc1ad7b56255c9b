/*
 * Posting and auditing. A posting is: lock the account rows (ascending id),
 * decide each leg with the pure rules, insert the entries (the unique key
 * on idem_key catches a replay: error 1062, then the first result is read
 * back), update the cached balances, queue the outbox rows. The common path
 * is one SELECT … FOR UPDATE, one INSERT and one UPDATE per leg.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "billing/ledger.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define ER_DUP_ENTRY 1062
#define LEDGER_AUDIT_MAX_COUNTERS 10000

struct locked {
	int64_t id;
	int64_t last_seq;
	struct ledger_account_state st;
};

static void
now_utc(char buf[32])
{
	struct timespec ts;
	struct tm tm;

	char day[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, 32, "%.19s.%06d", day, (int)(ts.tv_nsec / 1000) % 1000000);
}

static void
leg_key(const struct ledger_request *rq, int leg, char *buf, size_t len)
{
	if (leg == 0)
		snprintf(buf, len, "%s", rq->idem_key);
	else
		snprintf(buf, len, "%s#%d", rq->idem_key, leg + 1);
}

static enum ledger_status
db_failed(struct db *db, struct ledger_result *res)
{
	snprintf(res->detail, sizeof res->detail, "%s (database: %s)", ledger_strerror(LEDGER_DB_ERROR),
	    db_error(db));
	return res->status = LEDGER_DB_ERROR;
}

/*
 * Looks the key up (waiting for a posting of it still in flight). Returns
 * LEDGER_OK with res filled as a replay, LEDGER_KEY_CONFLICT, LEDGER_DB_ERROR,
 * or -1 when the key was never posted.
 */
static int
ledger_replay(struct db *db, const struct ledger_request *rq, const char *fp, struct ledger_result *res)
{
	char key[LEDGER_KEY_MAX + 8], amount[MONEY_FMT_LEN], when[32] = "", kind[32] = "", sha[65] = "";
	int64_t account = 0, amount_fen = 0;
	struct db_rows *r;
	int found;

	for (int i = 0; i < rq->nlegs; i++) {
		leg_key(rq, i, key, sizeof key);
		r = db_query(db, "SELECT id, account_id, seq, amount_fen, balance_after_fen, payload_sha256,"
		    " kind, created_at FROM ledger_entries WHERE idem_key = ? LOCK IN SHARE MODE", "s", key);
		if (r == NULL)
			return db_failed(db, res);
		if ((found = db_rows_next(r)) != 1) {
			db_rows_free(r);
			if (found < 0)
				return db_failed(db, res);
			if (i == 0)
				return -1;
			snprintf(res->detail, sizeof res->detail, "request id %s: its leg %d is missing from"
			    " the ledger; run prepayctl audit", rq->idem_key, i + 1);
			return res->status = LEDGER_DB_ERROR;
		}
		if (i == 0) {
			snprintf(sha, sizeof sha, "%s", db_rows_str(r, 5));
			snprintf(kind, sizeof kind, "%s", db_rows_str(r, 6));
			snprintf(when, sizeof when, "%s", db_rows_str(r, 7));
			account = db_rows_int(r, 1);
			amount_fen = db_rows_int(r, 3);
			if (strcmp(sha, fp) != 0) {
				db_rows_free(r);
				break;
			}
		}
		res->legs[i].entry_id = db_rows_int(r, 0);
		res->legs[i].account_id = db_rows_int(r, 1);
		res->legs[i].seq = db_rows_int(r, 2);
		res->legs[i].amount_fen = db_rows_int(r, 3);
		res->legs[i].balance_after_fen = db_rows_int(r, 4);
		db_rows_free(r);
	}
	if (strcmp(sha, fp) != 0) {
		res->account_id = account;
		snprintf(res->detail, sizeof res->detail, "request id %s was already used at %.19s UTC for a"
		    " %s of ¥%s on account %" PRId64 "; this is a different operation: give it a new"
		    " request id", rq->idem_key, when, kind, money_format(amount_fen, amount), account);
		return res->status = LEDGER_KEY_CONFLICT;
	}
	res->replayed = 1;
	res->nlegs = rq->nlegs;
	snprintf(res->created_at, sizeof res->created_at, "%s", when);
	snprintf(res->detail, sizeof res->detail, "request id %s was already posted at %.19s UTC;"
	    " nothing new was posted", rq->idem_key, when);
	return res->status = LEDGER_OK;
}

/* A refusal stands unless the key was posted before: then that answers. */
static enum ledger_status
refuse(struct db *db, const struct ledger_request *rq, const char *fp, struct ledger_result *res,
    enum ledger_status st, int64_t account_id, const char *why)
{
	int rc = ledger_replay(db, rq, fp, res);

	if (rc != -1)
		return (enum ledger_status)rc;
	res->account_id = account_id;
	snprintf(res->detail, sizeof res->detail, "%s", why);
	return res->status = st;
}

enum ledger_status
ledger_post_in_tx(struct db *db, const struct ledger_request *rq, struct ledger_result *res)
{
	struct locked acc[LEDGER_MAX_LEGS];
	int order[LEDGER_MAX_LEGS], rc;
	int64_t after[LEDGER_MAX_LEGS];
	char fp[65], why[256], key[LEDGER_KEY_MAX + 8];

	memset(res, 0, sizeof *res);
	if (ledger_validate(rq, res->detail, sizeof res->detail) != 0)
		return res->status = LEDGER_INVALID;
	ledger_fingerprint(rq, fp);

	/* a fixed lock order across all postings: no deadlock between transfers */
	for (int i = 0; i < rq->nlegs; i++)
		order[i] = i;
	for (int i = 1; i < rq->nlegs; i++)
		for (int j = i; j > 0 && rq->legs[order[j]].account_id < rq->legs[order[j - 1]].account_id; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int k = 0; k < rq->nlegs; k++) {
		int i = order[k], seen = 0;
		struct db_rows *r;
		/* the first lock also asks whether the key is known: a replay then
		 * costs no failed INSERT (a key committed while we waited for the
		 * lock is still caught by the unique index below) */
		if (k == 0)
			r = db_query(db, "SELECT balance_fen, last_seq, overdraft_fen, status,"
			    " (SELECT 1 FROM ledger_entries WHERE idem_key = ?) FROM accounts WHERE id = ? FOR UPDATE",
			    "si", rq->idem_key, rq->legs[i].account_id);
		else
			r = db_query(db, "SELECT balance_fen, last_seq, overdraft_fen, status, NULL"
			    " FROM accounts WHERE id = ? FOR UPDATE", "i", rq->legs[i].account_id);
		if (r == NULL)
			return db_failed(db, res);
		rc = db_rows_next(r);
		if (rc == 1) {
			acc[i].id = rq->legs[i].account_id;
			acc[i].st.balance_fen = db_rows_int(r, 0);
			acc[i].last_seq = db_rows_int(r, 1);
			acc[i].st.overdraft_fen = db_rows_int(r, 2);
			acc[i].st.closed = strcmp(db_rows_str(r, 3), "open") != 0;
			seen = !db_rows_isnull(r, 4);
		}
		db_rows_free(r);
		if (rc < 0)
			return db_failed(db, res);
		if (seen && (rc = ledger_replay(db, rq, fp, res)) != -1)
			return (enum ledger_status)rc;
		if (rc == 0) {
			snprintf(why, sizeof why, "no account %" PRId64, rq->legs[i].account_id);
			return refuse(db, rq, fp, res, LEDGER_NO_ACCOUNT, rq->legs[i].account_id, why);
		}
	}
	/* in lock order too, so the refusal named is the same however legs are listed */
	for (int k = 0; k < rq->nlegs; k++) {
		int i = order[k];
		enum ledger_status st = ledger_decide(&rq->legs[i], &acc[i].st, &after[i], why, sizeof why);
		if (st != LEDGER_OK)
			return refuse(db, rq, fp, res, st, rq->legs[i].account_id, why);
	}

	now_utc(res->created_at);
	for (int i = 0; i < rq->nlegs; i++) {
		const struct ledger_leg *l = &rq->legs[i];
		leg_key(rq, i, key, sizeof key);
		if (db_exec(db, "INSERT INTO ledger_entries (account_id, seq, kind, amount_fen,"
		    " balance_after_fen, counter_account, reference, idem_key, payload_sha256, actor, reason,"
		    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "iisiisssssss",
		    l->account_id, acc[i].last_seq + 1, ledger_kind_name(l->kind), l->amount_fen, after[i],
		    l->counter_account, rq->reference, key, fp, rq->actor, rq->reason ? rq->reason : "",
		    res->created_at) < 0) {
			/* the first leg goes in first: a duplicate key there means nothing was written */
			if (i == 0 && db_errno(db) == ER_DUP_ENTRY && strstr(db_error(db), "ledger_idem") != NULL) {
				rc = ledger_replay(db, rq, fp, res);
				if (rc != -1)
					return (enum ledger_status)rc;
			}
			if (db_errno(db) == ER_DUP_ENTRY && strstr(db_error(db), "ledger_account_seq") != NULL)
				log_error("ledger: account %" PRId64 ": last_seq %" PRId64 " is behind its entries;"
				    " run prepayctl audit", l->account_id, acc[i].last_seq);
			return db_failed(db, res);
		}
		res->legs[i].entry_id = db_insert_id(db);
		res->legs[i].account_id = l->account_id;
		res->legs[i].seq = acc[i].last_seq + 1;
		res->legs[i].amount_fen = l->amount_fen;
		res->legs[i].balance_after_fen = after[i];
		if (db_exec(db, "UPDATE accounts SET balance_fen = ?, last_seq = ? WHERE id = ?", "iii",
		    after[i], acc[i].last_seq + 1, l->account_id) != 1)
			return db_failed(db, res);
	}
	for (int i = 0; i < rq->noutbox; i++) {
		const struct ledger_outbox *o = &rq->outbox[i];
		long long n;
		/* already queued by an earlier event: once is enough */
		if (o->account_id > 0)
			n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload)"
			    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id", "ssis", o->dedupe_key,
			    o->kind, o->account_id, o->payload_json);
		else
			n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, payload)"
			    " VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE id = id", "sss", o->dedupe_key,
			    o->kind, o->payload_json);
		if (n < 0)
			return db_failed(db, res);
	}
	res->nlegs = rq->nlegs;
	snprintf(res->detail, sizeof res->detail, "posted");
	return res->status = LEDGER_OK;
}

struct post_arg {
	const struct ledger_request *rq;
	struct ledger_result *res;
};

static int
post_fn(struct db *db, void *p)
{
	struct post_arg *a = p;
	enum ledger_status st = ledger_post_in_tx(db, a->rq, a->res);

	if (st == LEDGER_DB_ERROR)
		return -1;
	/* a refusal or a replay wrote nothing: release the locks at once */
	return st == LEDGER_OK && !a->res->replayed ? 0 : 1;
}

enum ledger_status
ledger_post(struct db *db, const struct ledger_request *rq, struct ledger_result *res)
{
	struct post_arg a = { rq, res };

	memset(res, 0, sizeof *res);
	if (db_tx(db, post_fn, &a) == -1 && res->status != LEDGER_DB_ERROR) {
		/* the commit itself failed: the result is not known to be durable */
		db_failed(db, res);
	}
	return res->status;
}

/* ---- audit ---- */

struct audit_account {
	int64_t id;
	int64_t balance_fen;
	int64_t last_seq;
	char *label;		/* "SITE/CODE" */
};

struct audit_ctx {
	struct ledger_audit *out;
	ledger_audit_report_fn report;
	void *arg;
	struct audit_account *acc;
	size_t nacc;
	size_t cur;		/* the account being walked */
};

static void
audit_report(void *p, int64_t account_id, const char *msg)
{
	struct audit_ctx *a = p;
	const char *label = NULL;

	if (a->cur < a->nacc && a->acc[a->cur].id == account_id)
		label = a->acc[a->cur].label;
	a->out->problems++;
	a->report(a->arg, account_id, label, msg);
}

static void
audit_global(struct audit_ctx *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
audit_global(struct audit_ctx *a, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	a->out->problems++;
	a->report(a->arg, 0, NULL, msg);
}

/* Counter-accounts are few (dozens): a sorted array, found or inserted at
 * its lower bound (no bsearch: the array is NULL until the first one). */
static struct ledger_counter_total *
audit_counter(struct audit_ctx *a, const char *name)
{
	struct ledger_audit *o = a->out;
	char key[sizeof o->counters[0].name];
	int lo = 0, hi = o->ncounters;

	snprintf(key, sizeof key, "%s", name ? name : "");
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (strcmp(o->counters[mid].name, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < o->ncounters && strcmp(o->counters[lo].name, key) == 0)
		return &o->counters[lo];
	if (o->ncounters >= LEDGER_AUDIT_MAX_COUNTERS)
		return NULL;
	o->counters = xrealloc(o->counters, (size_t)(o->ncounters + 1) * sizeof *o->counters);
	memmove(&o->counters[lo + 1], &o->counters[lo], (size_t)(o->ncounters - lo) * sizeof *o->counters);
	memset(&o->counters[lo], 0, sizeof *o->counters);
	snprintf(o->counters[lo].name, sizeof o->counters[lo].name, "%s", key);
	o->ncounters++;
	return &o->counters[lo];
}

/* Accounts without entries up to (not including) id are finished empty. */
static void
audit_finish_until(struct audit_ctx *a, struct ledger_chain *ch, int64_t id)
{
	while (a->cur < a->nacc && a->acc[a->cur].id < id) {
		struct audit_account *x = &a->acc[a->cur];
		if (ch->account_id != x->id)
			ledger_chain_start(ch, x->id);
		ledger_chain_finish(ch, x->balance_fen, x->last_seq, audit_report, a);
		a->cur++;
	}
}

static int
audit_load_accounts(struct db *db, struct audit_ctx *a)
{
	struct db_rows *r = db_query_stream(db, "SELECT a.id, s.code, a.code, a.balance_fen, a.last_seq"
	    " FROM accounts a JOIN sites s ON s.id = a.site_id ORDER BY a.id", "");
	size_t cap = 0;
	int rc;

	if (r == NULL)
		return -1;
	while ((rc = db_rows_next(r)) == 1) {
		if (a->nacc == cap) {
			cap = cap ? cap * 2 : 1024;
			a->acc = xrealloc(a->acc, cap * sizeof *a->acc);
		}
		a->acc[a->nacc].id = db_rows_int(r, 0);
		a->acc[a->nacc].label = xasprintf("%s/%s", db_rows_str(r, 1), db_rows_str(r, 2));
		a->acc[a->nacc].balance_fen = db_rows_int(r, 3);
		a->acc[a->nacc].last_seq = db_rows_int(r, 4);
		if (__builtin_add_overflow(a->out->balances_fen, a->acc[a->nacc].balance_fen,
		    &a->out->balances_fen))
			a->out->balances_fen = INT64_MAX;
		a->nacc++;
	}
	db_rows_free(r);
	a->out->accounts = (int64_t)a->nacc;
	return rc;
}

static int
audit_entries(struct db *db, struct audit_ctx *a)
{
	struct db_rows *r = db_query_stream(db, "SELECT account_id, seq, kind, amount_fen, balance_after_fen,"
	    " counter_account FROM ledger_entries FORCE INDEX (ledger_account_seq) ORDER BY account_id, seq", "");
	struct ledger_chain ch;
	int rc;
	int64_t orphan = 0;

	if (r == NULL)
		return -1;
	ledger_chain_start(&ch, 0);
	while ((rc = db_rows_next(r)) == 1) {
		int64_t id = db_rows_int(r, 0), amount = db_rows_int(r, 3);
		enum ledger_kind kind;
		struct ledger_counter_total *c;

		if (id != ch.account_id) {
			/* the previous account is done, and any without entries before this one */
			if (a->cur < a->nacc && a->acc[a->cur].id == ch.account_id) {
				ledger_chain_finish(&ch, a->acc[a->cur].balance_fen, a->acc[a->cur].last_seq,
				    audit_report, a);
				a->cur++;
			}
			audit_finish_until(a, &ch, id);
			ledger_chain_start(&ch, id);
			if (a->cur >= a->nacc || a->acc[a->cur].id != id)
				orphan = id;
		}
		if (ledger_kind_parse(db_rows_str(r, 2), &kind) != 0)
			kind = LEDGER_NKINDS;
		ledger_chain_step(&ch, db_rows_int(r, 1), kind, amount, db_rows_int(r, 4), db_rows_str(r, 5),
		    audit_report, a);
		a->out->entries++;
		if (__builtin_add_overflow(a->out->entries_fen, amount, &a->out->entries_fen))
			a->out->entries_fen = INT64_MAX;
		/* an impossible amount was reported by the chain; keep it out of the sums */
		if (amount <= MONEY_MAX_FEN && amount >= -MONEY_MAX_FEN &&
		    (c = audit_counter(a, db_rows_str(r, 5))) != NULL) {
			c->entries++;
			if (amount > 0)
				c->credit_fen += amount;
			else
				c->debit_fen += amount;
		}
		if (orphan == id) {
			audit_global(a, "ledger entries of account %" PRId64 " exist but the account does not", id);
			orphan = -1;
		}
	}
	db_rows_free(r);
	if (rc < 0)
		return -1;
	if (a->cur < a->nacc && a->acc[a->cur].id == ch.account_id) {
		ledger_chain_finish(&ch, a->acc[a->cur].balance_fen, a->acc[a->cur].last_seq, audit_report, a);
		a->cur++;
	}
	audit_finish_until(a, &ch, INT64_MAX);
	return 0;
}

/* Cross-checks of the whole ledger beyond the per-account walk. */
static int
audit_cross(struct db *db, struct audit_ctx *a)
{
	struct db_rows *r;
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];
	int rc;

	if (a->out->entries_fen != a->out->balances_fen)
		audit_global(a, "all ledger entries add up to ¥%s but all account balances add up to ¥%s",
		    money_format(a->out->entries_fen, b1), money_format(a->out->balances_fen, b2));
	for (int i = 0; i < a->out->ncounters; i++) {
		struct ledger_counter_total *c = &a->out->counters[i];
		if (strcmp(c->name, "transfer") == 0 && c->credit_fen + c->debit_fen != 0)
			audit_global(a, "transfers between accounts should add up to zero but add up to ¥%s",
			    money_format(c->credit_fen + c->debit_fen, b1));
	}

	/* the unique index makes this impossible; the audit trusts nothing */
	if ((r = db_query(db, "SELECT idem_key, COUNT(*) FROM ledger_entries GROUP BY idem_key"
	    " HAVING COUNT(*) > 1 LIMIT 100", "")) == NULL)
		return -1;
	while ((rc = db_rows_next(r)) == 1)
		audit_global(a, "request id %s was posted %" PRId64 " times", db_rows_str(r, 0), db_rows_int(r, 1));
	db_rows_free(r);
	if (rc < 0)
		return -1;

	/* a payment is credited once, by one top-up of its amount to its account */
	if ((r = db_query_stream(db, "SELECT p.id, p.provider, p.status, p.account_id, p.amount_fen,"
	    " p.credited_entry_id, e.id, e.account_id, e.amount_fen, e.kind, e.counter_account"
	    " FROM payments p LEFT JOIN ledger_entries e ON e.id = p.credited_entry_id"
	    " WHERE p.status IN ('credited', 'refunded') OR p.credited_entry_id IS NOT NULL", "")) == NULL)
		return -1;
	while ((rc = db_rows_next(r)) == 1) {
		int64_t pid = db_rows_int(r, 0);
		const char *status = db_rows_str(r, 2);
		int credited = strcmp(status, "credited") == 0 || strcmp(status, "refunded") == 0;
		char counter[LEDGER_COUNTER_MAX + 1];

		snprintf(counter, sizeof counter, "payment:%s", db_rows_str(r, 1));
		if (credited && db_rows_isnull(r, 5))
			audit_global(a, "payment %" PRId64 " is %s but names no ledger entry", pid, status);
		else if (!credited)
			audit_global(a, "payment %" PRId64 " is %s yet names ledger entry %" PRId64, pid, status,
			    db_rows_int(r, 5));
		else if (db_rows_isnull(r, 6))
			audit_global(a, "payment %" PRId64 " names ledger entry %" PRId64 ", which does not exist",
			    pid, db_rows_int(r, 5));
		else if (db_rows_int(r, 7) != db_rows_int(r, 3) || db_rows_int(r, 8) != db_rows_int(r, 4) ||
		    strcmp(db_rows_str(r, 9), "topup") != 0 || strcmp(db_rows_str(r, 10), counter) != 0)
			audit_global(a, "payment %" PRId64 " (¥%s to account %" PRId64 ") was credited by entry"
			    " %" PRId64 ", a %s of ¥%s to account %" PRId64 " from %s", pid,
			    money_format(db_rows_int(r, 4), b1), db_rows_int(r, 3), db_rows_int(r, 6),
			    db_rows_str(r, 9), money_format(db_rows_int(r, 8), b2), db_rows_int(r, 7),
			    db_rows_str(r, 10));
	}
	db_rows_free(r);
	if (rc < 0)
		return -1;

	/* and every provider's money in the ledger came through a payment */
	if ((r = db_query_stream(db, "SELECT e.id, e.account_id, e.seq, e.amount_fen, e.counter_account"
	    " FROM ledger_entries e LEFT JOIN payments p ON p.credited_entry_id = e.id"
	    " WHERE e.counter_account LIKE 'payment:%' AND p.id IS NULL", "")) == NULL)
		return -1;
	while ((rc = db_rows_next(r)) == 1)
		audit_global(a, "account %" PRId64 " entry seq %" PRId64 " credits ¥%s from %s, but no payment"
		    " is marked as credited by it", db_rows_int(r, 1), db_rows_int(r, 2),
		    money_format(db_rows_int(r, 3), b1), db_rows_str(r, 4));
	db_rows_free(r);
	return rc < 0 ? -1 : 0;
}

int
ledger_audit_run(struct db *db, struct ledger_audit *out, ledger_audit_report_fn report, void *arg)
{
	struct audit_ctx a = { out, report, arg, NULL, 0, 0 };
	int rc = -1;

	memset(out, 0, sizeof *out);
	/* one snapshot for every read: postings running meanwhile are not half-seen */
	if (db_exec(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "") < 0 || db_begin(db) != 0)
		return -1;
	if (audit_load_accounts(db, &a) == 0 && audit_entries(db, &a) == 0 && audit_cross(db, &a) == 0)
		rc = 0;
	db_rollback(db);
	for (size_t i = 0; i < a.nacc; i++)
		free(a.acc[i].label);
	free(a.acc);
	return rc;
}

void
ledger_audit_free(struct ledger_audit *out)
{
	free(out->counters);
	out->counters = NULL;
	out->ncounters = 0;
}
