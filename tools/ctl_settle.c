/*
 * prepayctl account settle, refund cash: a tenant moves out
 * (docs/payments.md). settle refunds the whole balance to the account's
 * WeChat Pay payments, newest first, and closes the account, in one
 * transaction; prepay-worker then carries out the refund calls. A cash
 * refund is recorded by the operator who paid it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "billing/ledger_rules.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "payments/refund_store.h"
#include "payments/wechat_client.h"

#define SETTLE_USAGE "usage: prepayctl account settle ACCOUNT --request-id ID [--reason TEXT] [--json]"
#define CASH_USAGE "usage: prepayctl refund cash ACCOUNT AMOUNT --request-id ID --reason TEXT [--json]"

static int
exit_for(struct ctl *c, enum refund_status st, const char *detail)
{
	switch (st) {
	case REFUND_OK:
		return CTL_OK;
	case REFUND_NO_ACCOUNT:
	case REFUND_BAD:
		return ctl_fail(c, CTL_INVALID, "%s", detail);
	case REFUND_REFUSED:
		return ctl_fail(c, CTL_CONFLICT, "%s; nothing was written", detail);
	case REFUND_DB:
		break;
	}
	return ctl_fail(c, CTL_UNAVAILABLE, "%s", detail);
}

static int
text_arg(struct ctl *c, const char *name, const char *v, size_t max, const char *usage)
{
	if (v != NULL && strlen(v) > max)
		return ctl_fail(c, CTL_INVALID, "--%s is longer than %zu characters", name, max);
	if (v == NULL || v[0] == '\0') {
		ctl_fail(c, CTL_USAGE, "--%s is required%s", name, strcmp(name, "request-id") == 0 ? ": a unique id"
		    " for this operation, so that running the command again never pays out twice" : "");
		fprintf(stderr, "%s\n", usage);
		return CTL_USAGE;
	}
	return CTL_OK;
}

int
ctl_account_settle(struct ctl *c, int argc, char **argv)
{
	const char *rid = NULL, *reason = NULL, *json = NULL;
	struct ctl_opt opts[] = { { "request-id", &rid, 0 }, { "reason", &reason, 0 }, { "json", &json, 1 },
	    { NULL, NULL, 0 } };
	struct pay_wechat w;
	struct settle_result *res;
	char *pos[1], err[512], b1[MONEY_FMT_LEN];
	int64_t account_id;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "%s\n", SETTLE_USAGE);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	if ((rc = text_arg(c, "request-id", rid, LEDGER_KEY_MAX, SETTLE_USAGE)) != CTL_OK)
		return rc;
	if (reason != NULL && strlen(reason) > LEDGER_REASON_MAX)
		return ctl_fail(c, CTL_INVALID, "--reason is longer than %d characters", LEDGER_REASON_MAX);
	if ((rc = ctl_account_resolve(c, pos[0], &account_id)) != CTL_OK)
		return rc;
	if (pay_wechat_load(ctl_config(c), &w, err, sizeof err) != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "[wechatpay]: %s", err);
	/* without [wechatpay] mchid no payment can go back: a cash-only park settles at 0 */
	res = xmalloc(sizeof *res);
	refund_settle(ctl_db(c), account_id, w.mchid, rid, c->actor, reason, res);
	pay_wechat_free(&w);
	if ((rc = exit_for(c, res->status, res->detail)) != CTL_OK) {
		free(res);
		return rc;
	}
	if (c->json) {
		cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "refunds");
		char *s;
		cJSON_AddNumberToObject(j, "account_id", (double)account_id);
		cJSON_AddStringToObject(j, "account", res->account);
		cJSON_AddStringToObject(j, "request_id", rid);
		cJSON_AddBoolToObject(j, "replayed", res->replayed);
		cJSON_AddNumberToObject(j, "settlement_id", (double)res->settlement_id);
		cJSON_AddNumberToObject(j, "balance_fen", (double)res->balance_fen);
		cJSON_AddStringToObject(j, "status", res->settlement_status);
		for (int i = 0; i < res->nrefunds; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "out_refund_no", res->refunds[i].out_refund_no);
			cJSON_AddStringToObject(o, "out_trade_no", res->refunds[i].out_trade_no);
			cJSON_AddNumberToObject(o, "amount_fen", (double)res->refunds[i].amount_fen);
			cJSON_AddNumberToObject(o, "entry_id", (double)res->refunds[i].entry_id);
			cJSON_AddStringToObject(o, "status", res->refunds[i].status);
			cJSON_AddItemToArray(a, o);
		}
		s = cJSON_Print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
	} else {
		static const char *const hdr[] = { "refund", "payment", "amount", "status" };
		struct ctl_table *t;

		printf("account %" PRId64 " (%s): %s ¥%s in %d refund%s; settlement %" PRId64 " is %s%s\n", account_id,
		    res->account, res->replayed ? "settled before (replay, nothing new):" : "settled, account closed:",
		    money_format(res->balance_fen, b1), res->nrefunds, res->nrefunds == 1 ? "" : "s", res->settlement_id,
		    res->settlement_status, res->nrefunds > 0 && !res->replayed ? " (prepay-worker sends the refunds)" : "");
		if (res->nrefunds == 0) {
			free(res);
			return CTL_OK;
		}
		t = ctl_table_new(4, hdr);
		ctl_table_right(t, 2);
		for (int i = 0; i < res->nrefunds; i++) {
			const char *cells[4] = { res->refunds[i].out_refund_no, res->refunds[i].out_trade_no,
			    money_format(res->refunds[i].amount_fen, b1), res->refunds[i].status };
			ctl_table_add(t, cells);
		}
		ctl_table_print(t);
	}
	free(res);
	return CTL_OK;
}

int
ctl_refund_cash(struct ctl *c, int argc, char **argv)
{
	const char *rid = NULL, *reason = NULL, *json = NULL;
	struct ctl_opt opts[] = { { "request-id", &rid, 0 }, { "reason", &reason, 0 }, { "json", &json, 1 },
	    { NULL, NULL, 0 } };
	struct cash_result res;
	char *pos[2], b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];
	int64_t account_id, amount_fen, max_fen;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 2) != 2) {
		fprintf(stderr, "%s\n", CASH_USAGE);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	if ((rc = text_arg(c, "request-id", rid, LEDGER_KEY_MAX, CASH_USAGE)) != CTL_OK ||
	    (rc = text_arg(c, "reason", reason, LEDGER_REASON_MAX, CASH_USAGE)) != CTL_OK)
		return rc;
	if ((rc = ctl_account_resolve(c, pos[0], &account_id)) != CTL_OK)
		return rc;
	if (money_parse_yuan(pos[1], &amount_fen) != 0)
		return ctl_fail(c, CTL_INVALID, "\"%s\" is not an amount in yuan: write digits with at most two"
		    " decimals, like 100 or 12.50", pos[1]);
	if (amount_fen <= 0)
		return ctl_fail(c, CTL_INVALID, "a cash refund must be more than zero, not ¥%s", money_format(amount_fen, b1));
	max_fen = config_int(ctl_config(c), "ledger", "max_adjust_fen");
	if (amount_fen > max_fen)
		return ctl_fail(c, CTL_INVALID, "¥%s is more than the limit of ¥%s ([ledger] max_adjust_fen): check the"
		    " amount", money_format(amount_fen, b1), money_format(max_fen, b2));
	refund_cash(ctl_db(c), account_id, amount_fen, rid, c->actor, reason, &res);
	if ((rc = exit_for(c, res.status, res.detail)) != CTL_OK)
		return rc;
	if (c->json) {
		cJSON *j = cJSON_CreateObject();
		char *s;
		cJSON_AddNumberToObject(j, "account_id", (double)account_id);
		cJSON_AddStringToObject(j, "request_id", rid);
		cJSON_AddBoolToObject(j, "replayed", res.replayed);
		cJSON_AddStringToObject(j, "out_refund_no", res.out_refund_no);
		cJSON_AddNumberToObject(j, "amount_fen", (double)amount_fen);
		cJSON_AddNumberToObject(j, "entry_id", (double)res.entry_id);
		cJSON_AddNumberToObject(j, "balance_after_fen", (double)res.balance_after_fen);
		s = cJSON_Print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
	} else
		printf("account %" PRId64 ": %s ¥%s in cash (refund %s, entry %" PRId64 "), balance %s¥%s\n", account_id,
		    res.replayed ? "request id already carried out, nothing new:" : "refunded", money_format(amount_fen, b1),
		    res.out_refund_no, res.entry_id, res.replayed ? "after it " : "now ", money_format(res.balance_after_fen, b2));
	return CTL_OK;
}
