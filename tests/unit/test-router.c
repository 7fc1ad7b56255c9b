#include <stdint.h>
#include <stdlib.h>
#include "cgi/router.h"
#include "cgi/request.h"
#include "tests/unit/unit.h"

static void h_list(struct request *r) { (void)r; }
static void h_show(struct request *r) { (void)r; }
static void h_topup(struct request *r) { (void)r; }
static void h_hook(struct request *r) { (void)r; }

static const struct param_def list_params[] = {
	{ "limit", PARAM_QUERY, valid_int, 0, 1, 100 },
	{ "site", PARAM_QUERY, valid_code, 0, 0, 0 },
	{ "active", PARAM_QUERY, valid_bool, 0, 0, 0 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def show_params[] = {
	{ "id", PARAM_PATH, valid_id, 1, 0, 0 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def topup_params[] = {
	{ "id", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "amount", PARAM_BODY, valid_yuan, 1, 1, 100000000 },
	{ "note", PARAM_BODY, valid_string, 0, 0, 20 },
	{ "count", PARAM_BODY, valid_int, 0, 0, 0 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def hook_params[] = {
	{ "provider", PARAM_PATH, valid_code, 1, 0, 16 },
	{ NULL, 0, NULL, 0, 0, 0 },
};

static const struct route routes[] = {
	{ HTTP_GET, "/api/v1/accounts", h_list, "accounts_list", BODY_NONE, list_params },
	{ HTTP_GET, "/api/v1/accounts/{id}", h_show, "account_show", BODY_NONE, show_params },
	{ HTTP_POST, "/api/v1/accounts/{id}/topups", h_topup, "account_topup", BODY_JSON, topup_params },
	{ HTTP_DELETE, "/api/v1/accounts/{id}", h_show, "account_delete", BODY_NONE, show_params },
	{ HTTP_POST, "/pay/{provider}/notify", h_hook, "pay_notify", BODY_RAW, hook_params },
	{ 0, NULL, NULL, NULL, 0, NULL },
};

static enum param_error
parse(struct params *ps, int method, const char *path, const char *query, const char *body, char *err)
{
	struct route_match m;

	if (router_match(routes, method, path, &m) != ROUTER_FOUND) {
		snprintf(err, 256, "no route");
		memset(ps, 0, sizeof *ps);
		return PARAM_INVALID;
	}
	return params_parse(ps, &m, query, body, body ? strlen(body) : 0, err, 256);
}

TEST(router_matches_literal_and_captures_segments)
{
	struct route_match m;

	CHECK_EQ_INT(router_match(routes, HTTP_GET, "/api/v1/accounts", &m), ROUTER_FOUND);
	CHECK(m.route == &routes[0]);
	CHECK_EQ_INT(m.index, 0);
	CHECK_EQ_INT(router_match(routes, HTTP_GET, "/api/v1/accounts/42", &m), ROUTER_FOUND);
	CHECK(m.route == &routes[1]);
	CHECK_EQ_INT(m.ncaptures, 1);
	CHECK_EQ_STR(m.captures[0].value, "42");
	CHECK_EQ_INT(m.captures[0].name_len, 2);
	CHECK_EQ_INT(router_match(routes, HTTP_POST, "/api/v1/accounts/7/topups", &m), ROUTER_FOUND);
	CHECK_EQ_STR(m.route->name, "account_topup");
	CHECK_EQ_STR(m.captures[0].value, "7");
	CHECK_EQ_INT(router_match(routes, HTTP_DELETE, "/api/v1/accounts/42", &m), ROUTER_FOUND);
	CHECK_EQ_STR(m.route->name, "account_delete");
}

TEST(router_unknown_paths_are_not_found)
{
	struct route_match m;
	static const char *const paths[] = { "/", "", "api/v1/accounts", "/api/v1/accounts/",
	    "/api/v1/accounts//topups", "/api/v1/account", "/api/v1/accountsx", "/api/v1/accounts/1/2",
	    "/API/v1/accounts", "/api/v1/accounts/1/topups/" };

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		enum router_result r = router_match(routes, HTTP_GET, paths[i], &m);
		if (r != ROUTER_NOT_FOUND)
			printf("# %s matched\n", paths[i]);
		CHECK_EQ_INT(r, ROUTER_NOT_FOUND);
		CHECK(m.route == NULL);
		CHECK_EQ_INT(m.index, -1);
	}
}

TEST(router_wrong_method_lists_the_allowed_ones)
{
	struct route_match m;
	char allow[64];

	CHECK_EQ_INT(router_match(routes, HTTP_POST, "/api/v1/accounts/9", &m), ROUTER_METHOD_NOT_ALLOWED);
	CHECK_EQ_INT(m.allow, HTTP_GET | HTTP_HEAD | HTTP_DELETE);
	CHECK_EQ_INT(http_allow_header(m.allow | HTTP_OPTIONS, allow, sizeof allow), 0);
	CHECK_EQ_STR(allow, "GET, HEAD, DELETE, OPTIONS");
	CHECK_EQ_INT(router_match(routes, HTTP_GET, "/pay/wechat/notify", &m), ROUTER_METHOD_NOT_ALLOWED);
	CHECK_EQ_INT(m.allow, HTTP_POST);
	CHECK_EQ_INT(router_match(routes, 0, "/api/v1/accounts", &m), ROUTER_METHOD_NOT_ALLOWED);
	CHECK_EQ_INT(http_allow_header(HTTP_GET | HTTP_POST, allow, 5), -1);
}

TEST(router_head_answers_where_get_does)
{
	struct route_match m;

	CHECK_EQ_INT(router_match(routes, HTTP_HEAD, "/api/v1/accounts/5", &m), ROUTER_FOUND);
	CHECK_EQ_STR(m.route->name, "account_show");
	CHECK_EQ_INT(router_match(routes, HTTP_HEAD, "/pay/x/notify", &m), ROUTER_METHOD_NOT_ALLOWED);
}

TEST(router_methods_parse_exactly)
{
	CHECK_EQ_INT(http_method_parse("GET"), HTTP_GET);
	CHECK_EQ_INT(http_method_parse("OPTIONS"), HTTP_OPTIONS);
	CHECK_EQ_INT(http_method_parse("get"), 0);
	CHECK_EQ_INT(http_method_parse("BREW"), 0);
	CHECK_EQ_INT(http_method_parse(NULL), 0);
	CHECK_EQ_STR(http_method_name(HTTP_PATCH), "PATCH");
	CHECK_EQ_STR(http_method_name(0), "OTHER");
}

TEST(router_overlong_segment_does_not_match)
{
	struct route_match m;
	char path[600];

	memset(path, 0, sizeof path);
	memcpy(path, "/api/v1/accounts/", 17);
	memset(path + 17, '1', ROUTE_MAX_VALUE + 10);
	CHECK_EQ_INT(router_match(routes, HTTP_GET, path, &m), ROUTER_NOT_FOUND);
}

TEST(router_check_accepts_good_and_refuses_bad_tables)
{
	char err[256];
	static const struct param_def none[] = { { NULL, 0, NULL, 0, 0, 0 } };
	static const struct route undeclared[] = {
		{ HTTP_GET, "/a/{id}", h_show, "a", BODY_NONE, none }, { 0, NULL, NULL, NULL, 0, NULL } };
	static const struct route badname[] = {
		{ HTTP_GET, "/a", h_show, "A-b", BODY_NONE, NULL }, { 0, NULL, NULL, NULL, 0, NULL } };
	static const struct route twice[] = {
		{ HTTP_GET, "/a", h_show, "a", BODY_NONE, NULL }, { HTTP_GET, "/a", h_list, "b", BODY_NONE, NULL },
		{ 0, NULL, NULL, NULL, 0, NULL } };
	static const struct route twomethods[] = {
		{ HTTP_GET | HTTP_POST, "/a", h_show, "a", BODY_NONE, NULL }, { 0, NULL, NULL, NULL, 0, NULL } };
	static const struct param_def bodyp[] = { { "x", PARAM_BODY, valid_int, 0, 0, 0 }, { NULL, 0, NULL, 0, 0, 0 } };
	static const struct route bodynojson[] = {
		{ HTTP_POST, "/a", h_show, "a", BODY_RAW, bodyp }, { 0, NULL, NULL, NULL, 0, NULL } };

	CHECK_EQ_INT(router_check(routes, err, sizeof err), 0);
	CHECK_EQ_INT(router_check(undeclared, err, sizeof err), -1);
	CHECK(strstr(err, "PARAM_PATH") != NULL);
	CHECK_EQ_INT(router_check(badname, err, sizeof err), -1);
	CHECK_EQ_INT(router_check(twice, err, sizeof err), -1);
	CHECK(strstr(err, "twice") != NULL);
	CHECK_EQ_INT(router_check(twomethods, err, sizeof err), -1);
	CHECK_EQ_INT(router_check(bodynojson, err, sizeof err), -1);
}

TEST(params_query_values_are_decoded_and_validated)
{
	struct params ps;
	char err[256];

	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "limit=20&site=demo-1&active=true", NULL, err), PARAM_OK);
	CHECK_EQ_INT(params_get(&ps, "limit")->num, 20);
	CHECK_EQ_STR(params_get(&ps, "site")->str, "demo-1");
	CHECK_EQ_INT(params_get(&ps, "active")->num, 1);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "site=a%2Eb&&", NULL, err), PARAM_OK);
	CHECK_EQ_STR(params_get(&ps, "site")->str, "a.b");
	CHECK(params_get(&ps, "limit") == NULL);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "", NULL, err), PARAM_OK);
	CHECK_EQ_INT(ps.n, 0);
	params_free(&ps);
}

TEST(params_bad_query_values_say_what_is_wrong)
{
	struct params ps;
	char err[256];

	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "limit=101", NULL, err), PARAM_INVALID);
	CHECK_EQ_STR(err, "query parameter 'limit': must be a whole number from 1 to 100");
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "limit=1e2", NULL, err), PARAM_INVALID);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "limit=+5", NULL, err), PARAM_INVALID);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "limti=5", NULL, err), PARAM_UNKNOWN);
	CHECK_EQ_STR(err, "unknown query parameter 'limti' (this route takes: limit, site, active)");
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "limit=5&limit=6", NULL, err), PARAM_DUPLICATE);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "site=%zz", NULL, err), PARAM_INVALID);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "site=a%00b", NULL, err), PARAM_INVALID);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "site=-x", NULL, err), PARAM_INVALID);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "active=yes", NULL, err), PARAM_INVALID);
	params_free(&ps);
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "site=", NULL, err), PARAM_INVALID);
	params_free(&ps);
}

TEST(params_path_ids_must_be_positive)
{
	struct params ps;
	char err[256];
	static const char *const bad[] = { "/api/v1/accounts/0", "/api/v1/accounts/-1", "/api/v1/accounts/01",
	    "/api/v1/accounts/x", "/api/v1/accounts/9223372036854775808", "/api/v1/accounts/1%20" };

	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts/9223372036854775807", "", NULL, err), PARAM_OK);
	CHECK_EQ_INT(params_get(&ps, "id")->num, INT64_MAX);
	params_free(&ps);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum param_error e = parse(&ps, HTTP_GET, bad[i], "", NULL, err);
		if (e != PARAM_INVALID)
			printf("# %s accepted\n", bad[i]);
		CHECK_EQ_INT(e, PARAM_INVALID);
		params_free(&ps);
	}
	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts/abc", "", NULL, err), PARAM_INVALID);
	CHECK_EQ_STR(err, "path parameter 'id': must be a positive id like 42");
	params_free(&ps);
}

TEST(params_json_body_fields_are_validated)
{
	struct params ps;
	char err[256];

	CHECK_EQ_INT(parse(&ps, HTTP_POST, "/api/v1/accounts/3/topups", "",
	    "{\"amount\":\"12.50\",\"note\":\"电费\",\"count\":7}", err), PARAM_OK);
	CHECK_EQ_INT(params_get(&ps, "id")->num, 3);
	CHECK_EQ_INT(params_get(&ps, "amount")->num, 1250);
	CHECK_EQ_STR(params_get(&ps, "note")->str, "电费");
	CHECK_EQ_INT(params_get(&ps, "count")->num, 7);
	params_free(&ps);
	/* null is the same as absent */
	CHECK_EQ_INT(parse(&ps, HTTP_POST, "/api/v1/accounts/3/topups", "", "{\"amount\":\"1\",\"note\":null}", err), PARAM_OK);
	CHECK(params_get(&ps, "note") == NULL);
	params_free(&ps);
}

TEST(params_bad_json_bodies_are_refused)
{
	struct params ps;
	char err[256];
	static const struct { const char *body; enum param_error want; } cases[] = {
		{ "{\"amount\":12.5}", PARAM_INVALID },		/* a float is never money */
		{ "{\"amount\":\"12.505\"}", PARAM_INVALID },
		{ "{\"amount\":\"0\"}", PARAM_INVALID },		/* below min */
		{ "{\"amount\":\"1000000.01\"}", PARAM_INVALID },	/* above max */
		{ "{\"amount\":\"1\",\"amount\":\"2\"}", PARAM_DUPLICATE },
		{ "{\"amount\":\"1\",\"amont\":\"2\"}", PARAM_UNKNOWN },
		{ "{\"amount\":[1]}", PARAM_INVALID },
		{ "{\"amount\":\"1\",\"note\":\"this note is far too long\"}", PARAM_INVALID },
		{ "{\"amount\":\"1\",\"note\":\"a\\u0001b\"}", PARAM_INVALID },
		{ "{\"amount\":\"1\",\"count\":1e300}", PARAM_INVALID },
		{ "{\"note\":\"x\"}", PARAM_MISSING },
		{ "", PARAM_MISSING },
		{ "[\"amount\"]", PARAM_BAD_BODY },
		{ "{\"amount\":", PARAM_BAD_BODY },
		{ "amount=1", PARAM_BAD_BODY },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum param_error e = parse(&ps, HTTP_POST, "/api/v1/accounts/3/topups", "", cases[i].body, err);
		if (e != cases[i].want)
			printf("# body %s gave %s (%s)\n", cases[i].body, param_strerror(e), err);
		CHECK_EQ_INT(e, cases[i].want);
		params_free(&ps);
	}
	CHECK_EQ_INT(parse(&ps, HTTP_POST, "/api/v1/accounts/3/topups", "", "{\"amount\":\"0.001\"}", err), PARAM_INVALID);
	CHECK_EQ_STR(err, "body parameter 'amount': must be an amount in yuan like 12.50, from 0.01 to 1000000.00");
	params_free(&ps);
}

TEST(params_body_where_none_belongs_is_refused)
{
	struct params ps;
	char err[256];

	CHECK_EQ_INT(parse(&ps, HTTP_GET, "/api/v1/accounts", "", "{}", err), PARAM_BAD_BODY);
	params_free(&ps);
	/* a raw body is left alone for the handler */
	CHECK_EQ_INT(parse(&ps, HTTP_POST, "/pay/wechat/notify", "", "not json at all", err), PARAM_OK);
	CHECK_EQ_STR(params_get(&ps, "provider")->str, "wechat");
	params_free(&ps);
}

TEST(url_decode_handles_escapes_and_plus)
{
	char a[] = "a+b%20c%e7%94%b5", b[] = "%4", c[] = "%g0", d[] = "100%";

	CHECK_EQ_INT(url_decode(a), 0);
	CHECK_EQ_STR(a, "a b c电");
	CHECK_EQ_INT(url_decode(b), -1);
	CHECK_EQ_INT(url_decode(c), -1);
	CHECK_EQ_INT(url_decode(d), -1);
}

TEST(validators_strings_must_be_utf8_text)
{
	struct param_def d = { "s", PARAM_QUERY, valid_string, 0, 0, 0 };
	struct param_value v;
	char err[128];

	CHECK_EQ_INT(valid_string(&d, "示范产业园", &v, err, sizeof err), 0);
	CHECK_EQ_INT(valid_string(&d, "\xc3\x28", &v, err, sizeof err), -1);	/* bad continuation */
	CHECK_EQ_INT(valid_string(&d, "\xc0\xaf", &v, err, sizeof err), -1);	/* overlong */
	CHECK_EQ_INT(valid_string(&d, "\xed\xa0\x80", &v, err, sizeof err), -1);	/* surrogate */
	CHECK_EQ_INT(valid_string(&d, "tab\there", &v, err, sizeof err), -1);
	CHECK_EQ_STR(err, "must be UTF-8 text without control characters");
}

TEST(response_error_has_the_documented_shape)
{
	struct request req;

	memset(&req, 0, sizeof req);
	response_init(&req.resp, 1024);
	response_error(&req, 404, "not_found", "there is nothing at %s", "/x\"y");
	CHECK_EQ_INT(req.resp.status, 404);
	CHECK_EQ_STR(req.resp.content_type, "application/json; charset=utf-8");
	CHECK_EQ_STR(req.resp.body.data, "{\"error\":{\"code\":\"not_found\",\"message\":\"there is nothing at /x\\\"y\"}}");
	response_header(&req, "Allow", "GET");
	response_header(&req, "X-Bad", "a\r\nSet-Cookie: x");
	CHECK_EQ_STR(req.resp.headers.data, "Allow: GET\r\n");
	response_free(&req.resp);
}

TEST(response_too_large_becomes_an_error_not_half_a_body)
{
	struct request req;
	char big[2000];

	memset(big, 'a', sizeof big);
	memset(&req, 0, sizeof req);
	response_init(&req.resp, 1024);
	response_text(&req, 200, "text/plain", big, sizeof big);
	CHECK_EQ_INT(req.resp.status, 500);
	CHECK(strstr(req.resp.body.data, "internal_error") != NULL);
	response_free(&req.resp);
}

int
main(void)
{
	RUN(router_matches_literal_and_captures_segments);
	RUN(router_unknown_paths_are_not_found);
	RUN(router_wrong_method_lists_the_allowed_ones);
	RUN(router_head_answers_where_get_does);
	RUN(router_methods_parse_exactly);
	RUN(router_overlong_segment_does_not_match);
	RUN(router_check_accepts_good_and_refuses_bad_tables);
	RUN(params_query_values_are_decoded_and_validated);
	RUN(params_bad_query_values_say_what_is_wrong);
	RUN(params_path_ids_must_be_positive);
	RUN(params_json_body_fields_are_validated);
	RUN(params_bad_json_bodies_are_refused);
	RUN(params_body_where_none_belongs_is_refused);
	RUN(url_decode_handles_escapes_and_plus);
	RUN(validators_strings_must_be_utf8_text);
	RUN(response_error_has_the_documented_shape);
	RUN(response_too_large_becomes_an_error_not_half_a_body);
	return unit_done();
}
