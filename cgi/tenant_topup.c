/*
 * Top-ups of the tenant's own accounts (docs/tenant.md, docs/payments.md).
 * The order itself is the payments code (cgi/topup.c); these routes put
 * the session and the account scope in front of it:
 *   POST /api/v1/accounts/{account}/topups                {amount_fen, channel}
 *        (wechat_jsapi pays as the session's bound WeChat user; an openid
 *        in the body must be that one)
 *   GET  /api/v1/accounts/{account}/topups                the latest orders
 *   GET  /api/v1/accounts/{account}/topups/{out_trade_no} one order (asks the provider while unpaid)
 */
#include <stdio.h>
#include "cgi/api.h"
#include "cgi/auth.h"

void
tenant_topup_create(struct request *req)
{
	struct auth_user u;
	struct db *db;
	int64_t account_id, site_id;

	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	/* topup_create_as reads "account", the path parameter here */
	topup_create_as(req, &u);
}

void
tenant_topup_get(struct request *req)
{
	struct auth_user u;
	struct db *db;
	int64_t account_id, site_id, owner = 0;
	int r;

	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	r = db_query_int(db, &owner, "SELECT account_id FROM payments WHERE out_trade_no = ?", "s",
	    request_str(req, "out_trade_no", ""));
	if (r < 0) {
		request_db_failed(req, db);
		return;
	}
	if (r == 0 || owner != account_id) {
		response_error(req, 404, "order_not_found", "account %lld has no top-up order %.64s", (long long)account_id,
		    request_str(req, "out_trade_no", ""));
		return;
	}
	topup_get(req);
}

void
tenant_topups(struct request *req)
{
	struct auth_user u;
	struct db *db;
	struct db_rows *rows;
	int64_t account_id, site_id;
	cJSON *root, *arr;
	int r;

	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	rows = db_query(db, "SELECT out_trade_no, amount_fen, channel, status, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "
	    "DATE_FORMAT(credited_at, '%Y-%m-%dT%H:%i:%sZ') FROM payments WHERE account_id = ? ORDER BY id DESC LIMIT 50",
	    "i", account_id);
	if (rows == NULL) {
		request_db_failed(req, db);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "account", (double)account_id);
	arr = cJSON_AddArrayToObject(root, "topups");
	while ((r = db_rows_next(rows)) == 1) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "out_trade_no", db_rows_str(rows, 0));
		cJSON_AddNumberToObject(o, "amount_fen", (double)db_rows_int(rows, 1));
		cJSON_AddStringToObject(o, "channel", db_rows_str(rows, 2));
		cJSON_AddStringToObject(o, "status", db_rows_str(rows, 3));
		cJSON_AddStringToObject(o, "created_at", db_rows_str(rows, 4));
		if (db_rows_isnull(rows, 5))
			cJSON_AddNullToObject(o, "credited_at");
		else
			cJSON_AddStringToObject(o, "credited_at", db_rows_str(rows, 5));
		cJSON_AddItemToArray(arr, o);
	}
	db_rows_free(rows);
	if (r < 0) {
		cJSON_Delete(root);
		request_db_failed(req, db);
		return;
	}
	response_json(req, 200, root);
	cJSON_Delete(root);
}
