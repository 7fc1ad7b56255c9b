/*
 * The tenant's money records (docs/tenant.md):
 *   GET /api/v1/accounts/{account}/ledger?kind&from&to&page&per_page&format=json|csv
 *   GET /api/v1/accounts/{account}/statements
 *   GET /api/v1/accounts/{account}/statements/{period}?format=json|html|csv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgi/api.h"
#include "cgi/auth.h"
#include "billing/statement.h"
#include "lib/money.h"

#define LEDGER_CSV_MAX 100000	/* rows in one export */

static const char *const ledger_kinds[] = {
	"topup", "consumption", "fee", "adjustment", "refund", "emergency_credit", "emergency_repay", "transfer_in", "transfer_out", NULL
};

/* A CSV field: quoted, and a leading = + - @ defused so spreadsheets do not
 * run it. -1 when the body's limit is reached. */
static int
csv_field(struct buf *b, const char *s, int last)
{
	int rc = buf_puts(b, "\"");

	if ((*s == '=' || *s == '+' || *s == '-' || *s == '@') && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
		rc |= buf_puts(b, "'");
	for (; *s && rc == 0; s++)
		rc |= *s == '"' ? buf_puts(b, "\"\"") : buf_append(b, s, 1);
	rc |= buf_puts(b, last ? "\"\r\n" : "\",");
	return rc != 0 ? -1 : 0;
}

void
tenant_ledger(struct request *req)
{
	struct auth_user u;
	struct db *db;
	struct db_rows *rows;
	int64_t account_id, site_id, page = request_int(req, "page", 1), per = request_int(req, "per_page", 50);
	int64_t total = 0;
	const char *kind = request_str(req, "kind", ""), *format = request_str(req, "format", "json");
	const struct param_value *pf = params_get(&req->params, "from"), *pt = params_get(&req->params, "to");
	char from[24] = "2000-01-01 00:00:00", to[24] = "2999-12-31 23:59:59", amt[MONEY_FMT_LEN], bal[MONEY_FMT_LEN];
	int csv = strcmp(format, "csv") == 0, r, known = kind[0] == '\0';
	cJSON *root = NULL, *arr = NULL;

	for (int i = 0; !known && ledger_kinds[i] != NULL; i++)
		known = strcmp(kind, ledger_kinds[i]) == 0;
	if (!known) {
		response_error(req, 400, "invalid_parameter", "kind must be one of topup, consumption, fee, adjustment, "
		    "refund, emergency_credit, emergency_repay, transfer_in, transfer_out");
		return;
	}
	if (!csv && strcmp(format, "json") != 0) {
		response_error(req, 400, "invalid_parameter", "format must be json or csv");
		return;
	}
	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	if (pf != NULL)
		tenant_instant_sql(pf->num, from, sizeof from);
	if (pt != NULL)
		tenant_instant_sql(pt->num, to, sizeof to);
	if (csv) {
		page = 1;
		per = LEDGER_CSV_MAX;
	} else if (db_query_int(db, &total, "SELECT COUNT(*) FROM ledger_entries WHERE account_id = ? AND (? = '' OR kind = ?) "
	    "AND created_at >= ? AND created_at < ?", "issss", account_id, kind, kind, from, to) < 0) {
		request_db_failed(req, db);
		return;
	}
	rows = db_query(db, "SELECT seq, kind, amount_fen, balance_after_fen, COALESCE(reference, ''), reason, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM ledger_entries WHERE account_id = ? AND (? = '' OR kind = ?) "
	    "AND created_at >= ? AND created_at < ? ORDER BY seq DESC LIMIT ? OFFSET ?", "issssii", account_id, kind, kind,
	    from, to, per, (page - 1) * per);
	if (rows == NULL) {
		request_db_failed(req, db);
		return;
	}
	if (csv) {
		struct response *resp = &req->resp;
		char num[24], disp[96];

		buf_reset(&resp->body);
		buf_puts(&resp->body, "\xef\xbb\xbf" "seq,time_utc,kind,amount_yuan,balance_after_yuan,reference,reason\r\n");
		int full = 0;

		while (!full && (r = db_rows_next(rows)) == 1) {
			snprintf(num, sizeof num, "%lld", (long long)db_rows_int(rows, 0));
			full = csv_field(&resp->body, num, 0) || csv_field(&resp->body, db_rows_str(rows, 6), 0) ||
			    csv_field(&resp->body, db_rows_str(rows, 1), 0) ||
			    csv_field(&resp->body, money_format(db_rows_int(rows, 2), amt), 0) ||
			    csv_field(&resp->body, money_format(db_rows_int(rows, 3), bal), 0) ||
			    csv_field(&resp->body, db_rows_str(rows, 4), 0) || csv_field(&resp->body, db_rows_str(rows, 5), 1);
		}
		db_rows_free(rows);
		if (r < 0) {
			request_db_failed(req, db);
			return;
		}
		if (full) {
			/* never half an export */
			response_error(req, 413, "export_too_large", "the export does not fit in one answer; "
			    "narrow it with from and to (a year at a time)");
			return;
		}
		resp->status = 200;
		resp->content_type = "text/csv; charset=utf-8";
		snprintf(disp, sizeof disp, "attachment; filename=\"ledger-%lld.csv\"", (long long)account_id);
		response_header(req, "Content-Disposition", disp);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "account", (double)account_id);
	cJSON_AddNumberToObject(root, "page", (double)page);
	cJSON_AddNumberToObject(root, "per_page", (double)per);
	cJSON_AddNumberToObject(root, "total", (double)total);
	arr = cJSON_AddArrayToObject(root, "entries");
	while ((r = db_rows_next(rows)) == 1) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "seq", (double)db_rows_int(rows, 0));
		cJSON_AddStringToObject(e, "kind", db_rows_str(rows, 1));
		cJSON_AddNumberToObject(e, "amount_fen", (double)db_rows_int(rows, 2));
		cJSON_AddNumberToObject(e, "balance_after_fen", (double)db_rows_int(rows, 3));
		cJSON_AddStringToObject(e, "reference", db_rows_str(rows, 4));
		cJSON_AddStringToObject(e, "reason", db_rows_str(rows, 5));
		cJSON_AddStringToObject(e, "at", db_rows_str(rows, 6));
		cJSON_AddItemToArray(arr, e);
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

void
tenant_statements(struct request *req)
{
	struct auth_user u;
	struct db *db;
	struct db_rows *rows;
	int64_t account_id, site_id;
	cJSON *root, *arr;
	int r;

	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	rows = db_query(db, "SELECT period, opening_fen, credits_fen, debits_fen, posted_fen, closing_fen, usage_fen, "
	    "DATE_FORMAT(generated_at, '%Y-%m-%dT%H:%i:%sZ') FROM statements WHERE account_id = ? ORDER BY period DESC "
	    "LIMIT 120", "i", account_id);
	if (rows == NULL) {
		request_db_failed(req, db);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "account", (double)account_id);
	arr = cJSON_AddArrayToObject(root, "statements");
	while ((r = db_rows_next(rows)) == 1) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "period", (double)db_rows_int(rows, 0));
		cJSON_AddNumberToObject(s, "opening_fen", (double)db_rows_int(rows, 1));
		cJSON_AddNumberToObject(s, "credits_fen", (double)db_rows_int(rows, 2));
		cJSON_AddNumberToObject(s, "debits_fen", (double)db_rows_int(rows, 3));
		cJSON_AddNumberToObject(s, "posted_fen", (double)db_rows_int(rows, 4));
		cJSON_AddNumberToObject(s, "closing_fen", (double)db_rows_int(rows, 5));
		cJSON_AddNumberToObject(s, "usage_fen", (double)db_rows_int(rows, 6));
		cJSON_AddStringToObject(s, "generated_at", db_rows_str(rows, 7));
		cJSON_AddItemToArray(arr, s);
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

void
tenant_statement_get(struct request *req)
{
	struct auth_user u;
	struct db *db;
	struct stmt st;
	enum stmt_format fmt;
	const char *format = request_str(req, "format", "json");
	int64_t account_id, site_id, period = request_int(req, "period", 0);
	char *text = NULL, disp[96];
	size_t len = 0;
	FILE *f;
	int r;

	if (period % 100 < 1 || period % 100 > 12) {
		response_error(req, 400, "invalid_parameter", "path parameter 'period': must be a month like 202611");
		return;
	}
	if ((strcmp(format, "json") != 0 && strcmp(format, "html") != 0 && strcmp(format, "csv") != 0) ||
	    stmt_format_parse(format, &fmt) != 0) {
		response_error(req, 400, "invalid_parameter", "format must be json, html or csv");
		return;
	}
	if (tenant_begin(req, &u, &db, &account_id, &site_id) != 0)
		return;
	memset(&st, 0, sizeof st);
	if ((r = statement_load(db, account_id, (int32_t)period, &st)) <= 0) {
		if (r < 0)
			request_db_failed(req, db);
		else
			response_error(req, 404, "statement_not_found", "there is no statement for %lld-%02lld yet",
			    (long long)(period / 100), (long long)(period % 100));
		stmt_free(&st);
		return;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		stmt_free(&st);
		response_error(req, 500, "internal_error", "out of memory");
		return;
	}
	stmt_render(&st, fmt, f);
	fclose(f);
	stmt_free(&st);
	if (fmt == STMT_CSV) {
		snprintf(disp, sizeof disp, "attachment; filename=\"statement-%lld-%lld.csv\"", (long long)account_id,
		    (long long)period);
		response_header(req, "Content-Disposition", disp);
	}
	if (fmt == STMT_HTML)
		response_header(req, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
	response_text(req, 200, fmt == STMT_JSON ? CONTENT_TYPE_JSON : fmt == STMT_HTML ? "text/html; charset=utf-8" :
	    "text/csv; charset=utf-8", text, len);
	free(text);
}
