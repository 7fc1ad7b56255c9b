/*
 * prepayctl topup, adjust, audit: the operator's hands on the ledger
 * (docs/ledger.md). topup and adjust post through billing/ledger with the
 * operator's request id as the idempotency key and write an audit_log row
 * in the same transaction; running the same command twice posts once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "billing/ledger.h"
#include "billing/receipt.h"
#include "billing/policy_apply.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define TOPUP_USAGE "usage: prepayctl topup ACCOUNT AMOUNT --request-id ID [--reason TEXT] [--method cash|bank|pos] [--json]"
#define ADJUST_USAGE "usage: prepayctl adjust ACCOUNT +AMOUNT|-AMOUNT --request-id ID --reason TEXT [--json]"

static int
amount_arg(struct ctl *c, const char *s, int64_t *fen)
{
	if (money_parse_yuan(s, fen) != 0)
		return ctl_fail(c, CTL_INVALID, "\"%s\" is not an amount in yuan: write digits with at most two"
		    " decimals, like 100 or 12.50 (at most ¥%lld)", s, MONEY_MAX_FEN / 100);
	return CTL_OK;
}

struct op {
	const char *action;		/* audit_log action */
	const char *method;		/* topup only */
	int64_t account_id;
	struct ledger_request rq;
	struct ledger_result res;
};

static int
op_fn(struct db *db, void *p)
{
	struct op *o = p;
	enum ledger_status st = ledger_post_in_tx(db, &o->rq, &o->res);
	cJSON *d;
	char *detail;
	long long n;

	if (st == LEDGER_DB_ERROR)
		return -1;
	if (st != LEDGER_OK || o->res.replayed)
		return 1;
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "amount_fen", (double)o->rq.legs[0].amount_fen);
	if (o->method != NULL)
		cJSON_AddStringToObject(d, "method", o->method);
	cJSON_AddStringToObject(d, "reason", o->rq.reason ? o->rq.reason : "");
	cJSON_AddNumberToObject(d, "entry_id", (double)o->res.legs[0].entry_id);
	cJSON_AddNumberToObject(d, "seq", (double)o->res.legs[0].seq);
	cJSON_AddNumberToObject(d, "balance_after_fen", (double)o->res.legs[0].balance_after_fen);
	detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id, detail)"
	    " VALUES (?, ?, 'account', ?, ?, ?)", "ssiss", o->rq.actor, o->action, o->account_id,
	    o->rq.idem_key, detail);
	free(detail);
	if (n < 0) {
		o->res.status = LEDGER_DB_ERROR;
		snprintf(o->res.detail, sizeof o->res.detail, "cannot write the audit log: %s", db_error(db));
		return -1;
	}
	/* a top-up tells the tenant; then the account policy in the same
	 * transaction: alerts, restore (docs/alerts.md, docs/policy.md) */
	if (receipt_queue_in_tx(db, &o->rq, &o->res) != 0)
		return -1;
	return policy_apply_in_tx(db, o->account_id, 0, o->rq.actor, o->rq.idem_key, NULL);
}

static void
account_label(struct db *db, int64_t id, char *buf, size_t len)
{
	struct db_rows *r = db_query(db, "SELECT s.code, a.code FROM accounts a JOIN sites s ON s.id = a.site_id"
	    " WHERE a.id = ?", "i", id);

	snprintf(buf, len, "?");
	if (r != NULL && db_rows_next(r) == 1)
		snprintf(buf, len, "%s/%s", db_rows_str(r, 0), db_rows_str(r, 1));
	db_rows_free(r);
}

/* Posts the operation and tells the operator what happened. */
static int
op_run(struct ctl *c, struct op *o, const char *what)
{
	struct db *db = ctl_db(c);
	struct ledger_leg_result *l = &o->res.legs[0];
	char label[100], b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];
	int rc = db_tx(db, op_fn, o);

	if (rc == -1 && o->res.status == LEDGER_OK)
		snprintf(o->res.detail, sizeof o->res.detail, "%s (database: %s)",
		    ledger_strerror(LEDGER_DB_ERROR), db_error(db));
	if (rc == -1)
		o->res.status = LEDGER_DB_ERROR;
	switch (o->res.status) {
	case LEDGER_OK:
		break;
	case LEDGER_NO_ACCOUNT:
		return ctl_fail(c, CTL_INVALID, "no account %" PRId64 " (see prepayctl account list)", o->account_id);
	case LEDGER_INVALID:
		return ctl_fail(c, CTL_INVALID, "%s", o->res.detail);
	case LEDGER_CLOSED:
	case LEDGER_BELOW_FLOOR:
	case LEDGER_KEY_CONFLICT:
		return ctl_fail(c, CTL_CONFLICT, "%s; nothing was posted", o->res.detail);
	case LEDGER_DB_ERROR:
		return ctl_fail(c, CTL_UNAVAILABLE, "%s", o->res.detail);
	}
	account_label(db, o->account_id, label, sizeof label);
	if (c->json) {
		cJSON *j = cJSON_CreateObject();
		char *s;
		cJSON_AddNumberToObject(j, "account_id", (double)o->account_id);
		cJSON_AddStringToObject(j, "account", label);
		cJSON_AddStringToObject(j, "request_id", o->rq.idem_key);
		cJSON_AddBoolToObject(j, "replayed", o->res.replayed);
		cJSON_AddStringToObject(j, "kind", ledger_kind_name(o->rq.legs[0].kind));
		cJSON_AddNumberToObject(j, "entry_id", (double)l->entry_id);
		cJSON_AddNumberToObject(j, "seq", (double)l->seq);
		cJSON_AddNumberToObject(j, "amount_fen", (double)l->amount_fen);
		cJSON_AddNumberToObject(j, "balance_after_fen", (double)l->balance_after_fen);
		cJSON_AddStringToObject(j, "created_at", o->res.created_at);
		s = cJSON_Print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
	} else if (o->res.replayed)
		printf("account %" PRId64 " (%s): request id %s was already carried out at %.19s UTC: %s ¥%s,"
		    " balance after it ¥%s (entry %" PRId64 "). Replay: nothing new was posted.\n",
		    o->account_id, label, o->rq.idem_key, o->res.created_at, what,
		    money_format(l->amount_fen, b1), money_format(l->balance_after_fen, b2), l->entry_id);
	else
		printf("account %" PRId64 " (%s): %s ¥%s, balance now ¥%s (entry %" PRId64 ", seq %" PRId64 ")\n",
		    o->account_id, label, what, money_format(l->amount_fen, b1),
		    money_format(l->balance_after_fen, b2), l->entry_id, l->seq);
	return CTL_OK;
}

static int
need_request_id(struct ctl *c, const char *rid, const char *usage)
{
	if (rid != NULL)
		return CTL_OK;
	ctl_fail(c, CTL_USAGE, "--request-id is required: a unique id for this operation (the receipt"
	    " number, say), so that running the command again never posts twice");
	fprintf(stderr, "%s\n", usage);
	return CTL_USAGE;
}

int
ctl_topup(struct ctl *c, int argc, char **argv)
{
	const char *rid = NULL, *reason = NULL, *method = NULL, *counter, *json = NULL;
	struct ctl_opt opts[] = { { "request-id", &rid, 0 }, { "reason", &reason, 0 },
	    { "method", &method, 0 }, { "json", &json, 1 }, { NULL, NULL, 0 } };
	char *pos[2], b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];
	struct op o = { .action = "account.topup" };
	int64_t amount_fen, max_fen;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 2) != 2) {
		fprintf(stderr, "%s\n", TOPUP_USAGE);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	if ((rc = need_request_id(c, rid, TOPUP_USAGE)) != CTL_OK)
		return rc;
	if (method == NULL || strcmp(method, "cash") == 0)
		counter = "cash";
	else if (strcmp(method, "bank") == 0)
		counter = "bank";
	else if (strcmp(method, "pos") == 0)
		counter = "pos";
	else
		return ctl_fail(c, CTL_USAGE, "--method must be cash, bank or pos, not \"%s\"", method);
	if ((rc = ctl_account_resolve(c, pos[0], &o.account_id)) != CTL_OK ||
	    (rc = amount_arg(c, pos[1], &amount_fen)) != CTL_OK)
		return rc;
	if (amount_fen <= 0)
		return ctl_fail(c, CTL_INVALID, "a top-up must be more than zero, not ¥%s (to take money"
		    " off an account use prepayctl adjust)", money_format(amount_fen, b1));
	max_fen = config_int(ctl_config(c), "ledger", "max_topup_fen");
	if (amount_fen > max_fen)
		return ctl_fail(c, CTL_INVALID, "¥%s is more than the top-up limit of ¥%s ([ledger]"
		    " max_topup_fen): check the amount, or raise the limit", money_format(amount_fen, b1),
		    money_format(max_fen, b2));
	o.method = counter;
	ledger_request_init(&o.rq, rid, c->actor, o.account_id, LEDGER_TOPUP, amount_fen, counter);
	o.rq.reason = reason;
	return op_run(c, &o, "topped up");
}

int
ctl_adjust(struct ctl *c, int argc, char **argv)
{
	const char *rid = NULL, *reason = NULL, *json = NULL;
	struct ctl_opt opts[] = { { "request-id", &rid, 0 }, { "reason", &reason, 0 }, { "json", &json, 1 },
	    { NULL, NULL, 0 } };
	char *pos[2], b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];
	struct op o = { .action = "account.adjust" };
	int64_t amount_fen, max_fen;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 2) != 2) {
		fprintf(stderr, "%s\n", ADJUST_USAGE);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	if ((rc = need_request_id(c, rid, ADJUST_USAGE)) != CTL_OK)
		return rc;
	if (reason == NULL || *reason == '\0') {
		ctl_fail(c, CTL_USAGE, "--reason is required: say why the balance is corrected");
		fprintf(stderr, "%s\n", ADJUST_USAGE);
		return CTL_USAGE;
	}
	if ((rc = ctl_account_resolve(c, pos[0], &o.account_id)) != CTL_OK)
		return rc;
	/* the direction must be typed, so a lost '-' never credits by mistake */
	if (pos[1][0] != '+' && pos[1][0] != '-')
		return ctl_fail(c, CTL_INVALID, "write the direction of the adjustment: +%s adds to the"
		    " balance, -%s takes off it", pos[1], pos[1]);
	if ((rc = amount_arg(c, pos[1], &amount_fen)) != CTL_OK)
		return rc;
	if (amount_fen == 0)
		return ctl_fail(c, CTL_INVALID, "an adjustment of zero changes nothing");
	max_fen = config_int(ctl_config(c), "ledger", "max_adjust_fen");
	if (amount_fen > max_fen || amount_fen < -max_fen)
		return ctl_fail(c, CTL_INVALID, "¥%s is more than the adjustment limit of ¥%s ([ledger]"
		    " max_adjust_fen): check the amount, or raise the limit", money_format(amount_fen, b1),
		    money_format(max_fen, b2));
	ledger_request_init(&o.rq, rid, c->actor, o.account_id, LEDGER_ADJUSTMENT, amount_fen, "adjustment");
	o.rq.reason = reason;
	return op_run(c, &o, "adjusted by");
}

/* ---- audit ---- */

struct audit_out {
	struct ctl *c;
	cJSON *problems;	/* --json */
	int64_t printed;
};

#define AUDIT_JSON_MAX_PROBLEMS 10000

static void
audit_print(void *arg, int64_t account_id, const char *label, const char *msg)
{
	struct audit_out *o = arg;

	if (o->problems != NULL) {
		cJSON *p;
		if (o->printed++ >= AUDIT_JSON_MAX_PROBLEMS)
			return;
		p = cJSON_CreateObject();
		if (account_id > 0) {
			cJSON_AddNumberToObject(p, "account_id", (double)account_id);
			cJSON_AddStringToObject(p, "account", label ? label : "");
		}
		cJSON_AddStringToObject(p, "problem", msg);
		cJSON_AddItemToArray(o->problems, p);
		return;
	}
	if (o->printed++ == 0)
		puts("PROBLEMS");
	if (account_id > 0)
		printf("  account %" PRId64 " (%s): %s\n", account_id, label ? label : "no such account", msg);
	else
		printf("  ledger: %s\n", msg);
	fflush(stdout);
}

int
ctl_audit(struct ctl *c, int argc, char **argv)
{
	const char *json = NULL;
	struct ctl_opt opts[] = { { "json", &json, 1 }, { NULL, NULL, 0 } };
	struct audit_out out = { c, NULL, 0 };
	struct ledger_audit a;
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN], b3[MONEY_FMT_LEN];
	struct db *db;

	if (ctl_opts(argc, argv, opts, NULL, 0) != 0) {
		fputs("usage: prepayctl audit [--json]\n", stderr);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	db = ctl_db(c);
	if (c->json)
		out.problems = cJSON_CreateArray();
	if (ledger_audit_run(db, &a, audit_print, &out) != 0) {
		cJSON_Delete(out.problems);
		ledger_audit_free(&a);
		return ctl_fail(c, CTL_UNAVAILABLE, "the audit could not read the ledger: %s", db_error(db));
	}
	if (c->json) {
		cJSON *j = cJSON_CreateObject(), *tb = cJSON_CreateArray();
		char *s;
		cJSON_AddBoolToObject(j, "clean", a.problems == 0);
		cJSON_AddNumberToObject(j, "accounts", (double)a.accounts);
		cJSON_AddNumberToObject(j, "entries", (double)a.entries);
		cJSON_AddNumberToObject(j, "balances_fen", (double)a.balances_fen);
		cJSON_AddNumberToObject(j, "entries_fen", (double)a.entries_fen);
		cJSON_AddNumberToObject(j, "problem_count", (double)a.problems);
		cJSON_AddItemToObject(j, "problems", out.problems);
		for (int i = 0; i < a.ncounters; i++) {
			cJSON *t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "counter_account", a.counters[i].name);
			cJSON_AddNumberToObject(t, "entries", (double)a.counters[i].entries);
			cJSON_AddNumberToObject(t, "credit_fen", (double)a.counters[i].credit_fen);
			cJSON_AddNumberToObject(t, "debit_fen", (double)a.counters[i].debit_fen);
			cJSON_AddNumberToObject(t, "net_fen", (double)(a.counters[i].credit_fen + a.counters[i].debit_fen));
			cJSON_AddItemToArray(tb, t);
		}
		cJSON_AddItemToObject(j, "trial_balance", tb);
		s = cJSON_Print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
	} else {
		static const char *const head[] = { "COUNTER-ACCOUNT", "ENTRIES", "PAID IN ¥", "TAKEN OUT ¥", "NET ¥" };
		struct ctl_table *t = ctl_table_new(5, head);
		int64_t n = 0, in = 0, outf = 0;
		char cnt[24];
		for (int col = 1; col < 5; col++)
			ctl_table_right(t, col);
		for (int i = 0; i < a.ncounters; i++) {
			const struct ledger_counter_total *x = &a.counters[i];
			snprintf(cnt, sizeof cnt, "%" PRId64, x->entries);
			ctl_table_add(t, (const char *const[]){ x->name, cnt, money_format(x->credit_fen, b1),
			    money_format(-x->debit_fen, b2), money_format(x->credit_fen + x->debit_fen, b3) });
			n += x->entries;
			in += x->credit_fen;
			outf += x->debit_fen;
		}
		snprintf(cnt, sizeof cnt, "%" PRId64, n);
		ctl_table_add(t, (const char *const[]){ "total", cnt, money_format(in, b1), money_format(-outf, b2),
		    money_format(in + outf, b3) });
		if (out.printed > 0)
			putchar('\n');
		puts("TRIAL BALANCE (money into and out of tenant accounts, by the other side)");
		ctl_table_print(t);
		printf("\n%" PRId64 " accounts, %" PRId64 " entries; account balances add up to ¥%s, entries to ¥%s\n",
		    a.accounts, a.entries, money_format(a.balances_fen, b1), money_format(a.entries_fen, b2));
		if (a.problems == 0)
			puts("clean: every balance, sequence and cross-check agrees with the ledger");
		else
			printf("%" PRId64 " problem%s found (listed above)\n", a.problems, a.problems == 1 ? "" : "s");
	}
	ledger_audit_free(&a);
	return a.problems == 0 ? CTL_OK : CTL_FOUND_PROBLEMS;
}
