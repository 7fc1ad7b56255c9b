#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "billing/receipt.h"

int
receipt_queue_in_tx(struct db *db, const struct ledger_request *rq, const struct ledger_result *res)
{
	char key[LEDGER_KEY_MAX + 32], *payload;
	cJSON *j;
	long long n;

	if (res->replayed || res->nlegs < 1 || rq->legs[0].kind != LEDGER_TOPUP)
		return 0;
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "account_id", (double)res->legs[0].account_id);
	cJSON_AddStringToObject(j, "kind", "payment_received");
	cJSON_AddNumberToObject(j, "amount_fen", (double)res->legs[0].amount_fen);
	cJSON_AddNumberToObject(j, "balance_fen", (double)res->legs[0].balance_after_fen);
	cJSON_AddStringToObject(j, "counter", rq->legs[0].counter_account);
	payload = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	snprintf(key, sizeof key, "receipt:%s", rq->idem_key);
	n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES (?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE id = id", "ssis", key, "alert.payment_received",
	    res->legs[0].account_id, payload);
	free(payload);
	return n < 0 ? -1 : 0;
}
