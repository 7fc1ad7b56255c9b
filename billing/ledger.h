/*
 * The money ledger: append-only entries in integer fen, one short
 * transaction per posting, idempotent by key. The rules (kinds, floor,
 * fingerprint) are in billing/ledger_rules.h; docs/ledger.md explains both.
 *
 *	struct ledger_request rq;
 *	struct ledger_result res;
 *	ledger_request_init(&rq, "wechat:4200001234", "wechatpay", account_id,
 *	    LEDGER_TOPUP, 10000, "payment:wechat");
 *	rq.reference = "payment:17";
 *	if (ledger_post(db, &rq, &res) != LEDGER_OK)
 *		log_error("top-up: %s", res.detail);
 */
#ifndef PREPAY_LEDGER_H
#define PREPAY_LEDGER_H
#include <stdint.h>
#include "billing/ledger_rules.h"
#include "lib/db.h"

struct ledger_leg_result {
	int64_t account_id;
	int64_t entry_id;
	int64_t seq;
	int64_t amount_fen;
	int64_t balance_after_fen;	/* of this posting (on a replay: as it was then) */
};

struct ledger_result {
	enum ledger_status status;
	int replayed;		/* 1: the key was posted before with the same payload; nothing new */
	int nlegs;
	struct ledger_leg_result legs[LEDGER_MAX_LEGS];
	char created_at[32];	/* UTC "YYYY-MM-DD HH:MM:SS.ffffff" of the (first) posting */
	int64_t account_id;	/* the account a refusal is about */
	char detail[320];	/* for people: what exactly happened or was wrong */
};

/*
 * Posts in its own transaction, retried on deadlock and lock wait timeout.
 * Returns res->status. LEDGER_OK with replayed=1 means the key was already
 * posted with the same payload: res holds that first result.
 */
enum ledger_status ledger_post(struct db *, const struct ledger_request *, struct ledger_result *);

/*
 * The same inside the caller's transaction (db_tx), so the caller's own
 * rows (payment marked credited, a meter reading, an audit_log row) commit
 * or roll back with the entries. On LEDGER_DB_ERROR return -1 from the
 * db_tx function so a deadlock retries the whole transaction; on any other
 * refusal nothing was written by the ledger. A replay writes nothing either.
 * Account rows are locked in ascending id order: a caller that locks
 * accounts itself must do so in the same order, before calling.
 */
enum ledger_status ledger_post_in_tx(struct db *, const struct ledger_request *, struct ledger_result *);

/*
 * The audit: re-derives every balance from the entries inside one
 * consistent snapshot, streaming the entries in (account, seq) order.
 * report is called once per problem (account_id 0 and label NULL for
 * problems of the whole ledger). Returns 0 when it ran (look at problems),
 * -1 on a database error (message in db_error).
 */
struct ledger_counter_total {
	char name[LEDGER_COUNTER_MAX + 1];
	int64_t entries;
	int64_t credit_fen;	/* paid into tenant accounts from this counter-account (>= 0) */
	int64_t debit_fen;	/* taken from tenant accounts to it (<= 0) */
};

struct ledger_audit {
	int64_t accounts;
	int64_t entries;
	int64_t problems;
	int64_t balances_fen;	/* sum of the accounts' cached balances */
	int64_t entries_fen;	/* sum of all entries: equals the above when clean */
	int ncounters;
	struct ledger_counter_total *counters;	/* the trial balance, sorted by name */
};

typedef void (*ledger_audit_report_fn)(void *arg, int64_t account_id, const char *label, const char *msg);
int ledger_audit_run(struct db *, struct ledger_audit *, ledger_audit_report_fn, void *arg);
void ledger_audit_free(struct ledger_audit *);

#endif
