/*
 * The consumption path as the poller will run it, for the policy tests:
 * one transaction posts a consumption debit through the ledger and applies
 * the policy (PREPAY_NOW sets its clock). Prints one line a test can grep:
 *
 *   policy-debit ACCOUNT_ID AMOUNT_FEN IDEM_KEY
 *   → balance=-500 level=cut_pending supply=on message=cut_warning cut_at=2026-03-09T00:00:00Z
 *
 * Exits 0 on success, 1 when the ledger refused, 2 on usage, 3 on a
 * database error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "billing/ledger.h"
#include "billing/policy_apply.h"
#include "lib/log.h"
#include "lib/settings.h"

struct arg {
	struct ledger_request rq;
	struct ledger_result res;
	struct policy_result pr;
};

static int
debit_fn(struct db *db, void *p)
{
	struct arg *a = p;
	enum ledger_status st = ledger_post_in_tx(db, &a->rq, &a->res);

	if (st == LEDGER_DB_ERROR)
		return -1;
	if (st != LEDGER_OK)
		return 1;
	return policy_apply_in_tx(db, a->rq.legs[0].account_id, 0, "poller", a->rq.idem_key, &a->pr);
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct db *db;
	struct arg a = { 0 };
	char err[256], when[40] = "-";
	long long id, amount;
	char *end;
	int rc;

	log_init("policy-debit", LOG_LEVEL_WARN);
	if (argc != 4) {
		fputs("usage: policy-debit ACCOUNT_ID AMOUNT_FEN IDEM_KEY (PREPAY_CONF names the database)\n", stderr);
		return 2;
	}
	id = strtoll(argv[1], &end, 10);
	if (*end != '\0' || id <= 0)
		return 2;
	amount = strtoll(argv[2], &end, 10);
	if (*end != '\0' || amount <= 0)
		return 2;
	cfg = settings_load_or_die(NULL);
	if ((db = db_connect(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "policy-debit: %s\n", err);
		return 3;
	}
	ledger_request_init(&a.rq, argv[3], "poller", id, LEDGER_CONSUMPTION, -amount, "revenue:electricity");
	rc = db_tx(db, debit_fn, &a);
	if (rc == 0) {
		if (a.pr.d.cut_at != 0)
			policy_format_utc(a.pr.d.cut_at, when, sizeof when);
		printf("balance=%" PRId64 " level=%s supply=%s message=%s cut_at=%s need=%" PRId64 "\n",
		    a.pr.d.balance_fen, policy_level_name(a.pr.d.level), policy_supply_name(a.pr.d.supply),
		    a.pr.d.message ? policy_message_kind(a.pr.d.message) : "none", when, a.pr.d.need_fen);
	} else if (rc == 1)
		fprintf(stderr, "policy-debit: %s\n", a.res.detail);
	else
		fprintf(stderr, "policy-debit: %s\n", db_error(db));
	db_close(db);
	config_free(cfg);
	return rc == 0 ? 0 : rc == 1 ? 1 : 3;
}
