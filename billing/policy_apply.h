/*
 * The policy's shell: inside the caller's transaction, load an account's
 * balance, rules (site + account overrides), policy state, and — only when
 * a cut is pending — its site's time zone and calendar; run policy_decide;
 * persist what it decided: the desired supply state with reason and actor,
 * a relay_commands row per relay-capable meter when it changes, one outbox
 * row per alert crossing, audit_log rows for cuts and restores, and the
 * emergency-credit repayment a top-up owes. See docs/policy.md.
 *
 * Call it after every ledger posting, in the same db_tx:
 *
 *	if (ledger_post_in_tx(db, &rq, &res) == LEDGER_DB_ERROR)
 *		return -1;
 *	...
 *	if (policy_apply_in_tx(db, account_id, 0, rq.actor, rq.idem_key, NULL) != 0)
 *		return -1;
 */
#ifndef PREPAY_POLICY_APPLY_H
#define PREPAY_POLICY_APPLY_H
#include <stdint.h>
#include "billing/policy.h"
#include "lib/db.h"

struct policy_result {
	int64_t account_id, site_id;
	char label[72];			/* "SITE/CODE" */
	char timezone[64];
	struct policy_rules rules;	/* site rules with the account's overrides */
	struct policy_rules site_rules;
	unsigned override_mask;		/* which fields the account overrides */
	struct policy_account account;	/* as loaded */
	struct policy_decision d;
	int64_t evaluated_at;
	int relay_commands;		/* rows written by this evaluation */
	int64_t outbox_id;		/* 0: no message */
};

/*
 * The clock the policy runs on: time(NULL), or $PREPAY_NOW (ISO 8601 with
 * Z or an offset, "2026-03-06T14:00:00Z") — a test hook, documented in
 * docs/policy.md, honoured only here.
 */
int64_t policy_clock_now(void);

/*
 * Evaluates and persists inside the caller's transaction. now 0: the
 * policy clock. actor: who caused it ("poller", "operator:alice"); cause:
 * the posting or request that led here (an idempotency key), may be NULL.
 * out may be NULL. Returns 0, or -1 on a database error (return -1 from
 * the db_tx function so the whole transaction retries; the reason is in
 * db_error or logged). An unknown account is logged and returns -1 too.
 */
int policy_apply_in_tx(struct db *, int64_t account_id, int64_t now, const char *actor, const char *cause,
    struct policy_result *out);

/* The same in its own transaction. */
int policy_apply(struct db *, int64_t account_id, int64_t now, const char *actor, const char *cause,
    struct policy_result *out);

/*
 * Loads and decides without writing anything (prepayctl account policy).
 * Returns 0, 1 when there is no such account, -1 on a database error.
 */
int policy_evaluate(struct db *, int64_t account_id, int64_t now, struct policy_result *out);

/*
 * Emergency credit, in the caller's transaction: refuses with a sentence
 * (returns 1, why filled) when the policy says it is not available now;
 * else posts LEDGER_EMERGENCY_CREDIT through the ledger, remembers it as
 * taken and outstanding, queues emergency_credit_taken, and applies the
 * policy (which may restore the supply). 0 done, -1 database error.
 */
int policy_emergency_credit_in_tx(struct db *, int64_t account_id, int64_t now, const char *actor,
    const char *reason, struct policy_result *out, char *why, size_t whylen);

/*
 * Sets keep-power (保电) on or off with an audit row (reason required),
 * then applies the policy. 0 done (also when it was already so), 1 no
 * such account, -1 database error.
 */
int policy_keep_power_in_tx(struct db *, int64_t account_id, int on, int64_t now, const char *actor,
    const char *reason, struct policy_result *out);

/*
 * Accounts whose pending cut is due at now (the poller's sweep, or
 * prepayctl policy run): up to max ids in ascending order. Returns the
 * count or -1.
 */
int policy_due_accounts(struct db *, int64_t now, int64_t site_id, int64_t *ids, int max);

/* Site rules as stored (defaults when the site has none): 0, 1 no such
 * site, -1 database error. */
int policy_site_rules(struct db *, int64_t site_id, struct policy_rules *out);

#endif
