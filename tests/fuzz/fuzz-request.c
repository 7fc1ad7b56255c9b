/*
 * Request parsing as the tenant routes see it: the input is split at the
 * first two NUL bytes into a path, a query string and a JSON body; the
 * router matches the path against a table with the tenant routes' parameter
 * kinds (ids, codes, strings, bounded ints, UTC instants) and parses the
 * query and body; the cookie parser and phone check get the query text too.
 * Anything the parser accepts must hold its promises (bounded, validated).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cgi/api.h"
#include "cgi/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void nop(struct request *r) { (void)r; }

static const struct param_def account_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "kind", PARAM_QUERY, valid_code, 0, 1, 32 },
	{ "from", PARAM_QUERY, tenant_valid_instant, 0, 0, 0 },
	{ "to", PARAM_QUERY, tenant_valid_instant, 0, 0, 0 },
	{ "page", PARAM_QUERY, valid_int, 0, 1, 100000 },
	{ "format", PARAM_QUERY, valid_code, 0, 1, 8 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def body_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "amount_fen", PARAM_BODY, valid_int, 1, 1, 1000000000000LL },
	{ "channel", PARAM_BODY, valid_code, 1, 1, 32 },
	{ "openid", PARAM_BODY, valid_string, 0, 1, 128 },
	{ "on", PARAM_BODY, valid_bool, 0, 0, 0 },
	{ "yuan", PARAM_BODY, valid_yuan, 0, 0, 0 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct route routes[] = {
	{ HTTP_GET, "/api/v1/accounts/{account}/ledger", nop, "ledger", BODY_NONE, account_params },
	{ HTTP_POST, "/api/v1/accounts/{account}/topups", nop, "topup", BODY_JSON, body_params },
	{ 0, NULL, NULL, NULL, 0, NULL },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3), *path, *query, *body, err[512], cookie[64];
	struct route_match m;
	struct params ps;
	const struct param_value *v;
	size_t plen, qlen;

	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	path = buf;
	plen = strlen(path);
	query = path + plen + 1 <= buf + size ? path + plen + 1 : buf + size + 1;
	qlen = strlen(query);
	body = query + qlen + 1 <= buf + size ? query + qlen + 1 : buf + size + 2;
	for (int method = HTTP_GET; method <= HTTP_POST; method <<= 2) {
		if (router_match(routes, method, path, &m) != ROUTER_FOUND)
			continue;
		if (params_parse(&ps, &m, query, body, strlen(body), err, sizeof err) == PARAM_OK) {
			if ((v = params_get(&ps, "account")) != NULL && v->num < 1)
				abort();
			if ((v = params_get(&ps, "page")) != NULL && (v->num < 1 || v->num > 100000))
				abort();
			if ((v = params_get(&ps, "from")) != NULL) {
				char sql[24];
				tenant_instant_sql(v->num, sql, sizeof sql);
				if (strlen(sql) != 19)
					abort();
			}
		}
		params_free(&ps);
	}
	if (auth_cookie_get(query, AUTH_COOKIE, cookie, sizeof cookie) == 0 && strlen(cookie) >= sizeof cookie)
		abort();
	(void)auth_phone_valid(query);
	free(buf);
	return 0;
}
