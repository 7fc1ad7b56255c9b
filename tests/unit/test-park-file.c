/* The park file parser: a good file, and each kind of error with its exact path. */
#include <stdlib.h>
#include "tests/unit/unit.h"
#include "tools/park_file.h"

static struct park_errors errs;

/* Parses text as "t.json"; returns the first message, or "" when it parsed. */
static const char *
first_error(const char *text)
{
	struct park *pk = park_file_parse(text, strlen(text), "t.json", &errs);

	if (pk != NULL) {
		park_free(pk);
		return "";
	}
	return errs.msg[0];
}

/* A small valid site; tests splice one broken piece into it. */
#define SITE_HEAD "{\"sites\": [{\"code\": \"s1\", \"name\": \"Site\", \"timezone\": \"Asia/Shanghai\""
#define TENANTS ", \"tenants\": [{\"code\": \"t1\", \"name\": \"Shop\"}]"
#define ACCOUNTS ", \"accounts\": [{\"code\": \"a1\", \"tenant\": \"t1\", \"energy\": \"electricity\"}]"
#define GATEWAYS ", \"gateways\": [{\"code\": \"gw1\", \"transport\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 502}]"
#define TAIL "}]}"

TEST(park_good_small_file_parses_with_defaults)
{
	const char *text = SITE_HEAD TENANTS ACCOUNTS GATEWAYS
	    ", \"units\": [{\"code\": \"u1\", \"name\": \"Room\", \"area\": 12.34}]"
	    ", \"meters\": [{\"code\": \"m1\", \"profile\": \"acrel-adl400\", \"gateway\": \"GW1\", \"address\": 7,"
	    " \"unit\": \"u1\", \"account\": \"a1\"}]"
	    ", \"calendar\": {\"holidays\": [{\"from\": \"2026-02-27\", \"to\": \"2026-03-02\", \"name\": \"x\"}],"
	    " \"workdays\": [{\"date\": \"2026-02-14\"}]}" TAIL;
	struct park *pk = park_file_parse(text, strlen(text), "t.json", &errs);
	struct park_site *s;

	CHECK(pk != NULL);
	if (pk == NULL) {
		printf("# %s\n", errs.msg[0]);
		return;
	}
	s = &pk->sites[0];
	CHECK_EQ_INT(pk->nsites, 1);
	CHECK_EQ_STR(s->code, "s1");
	CHECK_EQ_INT(s->nunits, 1);
	CHECK_EQ_INT(s->units[0].area_m2_e2, 1234);
	CHECK_EQ_INT(s->ndays, 5);	/* 27, 28 Feb, 1, 2 Mar (not a leap year), and 14 Feb */
	CHECK_EQ_STR(s->days[2].date, "2026-03-01");
	CHECK_EQ_INT(s->days[4].kind, PARK_WORKDAY);
	CHECK_EQ_STR(s->days[4].name, "");
	CHECK_EQ_STR(s->accounts[0].energy, "electricity");
	CHECK_EQ_INT(s->accounts[0].overdraft_fen, 0);
	CHECK_EQ_INT(s->accounts[0].keep_power, 0);
	CHECK_EQ_INT(s->gateways[0].timeout_ms, 500);
	CHECK_EQ_INT(s->gateways[0].gap_ms, 20);
	CHECK_EQ_INT(s->gateways[0].transport, PARK_TCP);
	CHECK_EQ_STR(s->meters[0].energy, "electricity");
	CHECK_EQ_INT(s->meters[0].ct_ratio, 1);
	CHECK_EQ_INT(s->meters[0].address, 7);
	CHECK_EQ_INT(s->meters[0].relay, 0);
	park_free(pk);
}

TEST(park_demo_file_parses)
{
	const char *src = getenv("PREPAY_SRCDIR");
	char path[4096], *buf;
	size_t len;
	FILE *f;
	struct park *pk;

	snprintf(path, sizeof path, "%s/deploy/demo-park.json", src ? src : ".");
	CHECK((f = fopen(path, "rb")) != NULL);
	if (f == NULL)
		return;
	buf = malloc(PARK_FILE_MAX_BYTES);
	len = fread(buf, 1, PARK_FILE_MAX_BYTES, f);
	fclose(f);
	pk = park_file_parse(buf, len, "demo-park.json", &errs);
	CHECK(pk != NULL);
	if (pk == NULL)
		printf("# %s\n", errs.msg[0]);
	if (pk != NULL) {
		CHECK_EQ_INT(pk->nsites, 2);
		CHECK_EQ_STR(pk->sites[0].name, "示范产业园");
		CHECK(pk->sites[0].ntenants >= 10);
		CHECK(pk->sites[0].nmeters >= 18);
		CHECK_EQ_INT(pk->sites[0].gateways[2].transport, PARK_RTU);
		CHECK_EQ_INT(pk->sites[0].gateways[2].parity, 'E');
		CHECK_EQ_INT(pk->sites[0].accounts[0].overdraft_fen, 5000);
	}
	park_free(pk);
	free(buf);
}

TEST(park_syntax_error_gives_line_and_column)
{
	CHECK_EQ_STR(first_error("{\n  \"sites\": [\n    {\"code\": \"s1\",, }\n]}"),
	    "t.json:3:20: JSON syntax error near \"}\"");
	CHECK_EQ_STR(first_error("{\"sites\": ["), "t.json:1:12: JSON syntax error: the file ends too early"
	    " (a missing ']', '}' or '\"'?)");
	CHECK_EQ_STR(first_error("{\"sites\": []} x"), "t.json:1:15: JSON syntax error: text after the end of the document");
	CHECK_EQ_STR(first_error("{\"sites\": [{\"name\": \"unterminated}]}\n"),
	    "t.json:2:1: JSON syntax error: the file ends too early (a missing ']', '}' or '\"'?)");
	CHECK_EQ_STR(first_error("{\"sites\": [],}"), "t.json:1:14: JSON syntax error near \"}\"");
	CHECK_EQ_STR(first_error(""), "t.json:1:1: JSON syntax error: the file ends too early (a missing ']', '}' or '\"'?)");
}

TEST(park_unknown_key_is_named_with_a_suggestion)
{
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"tenants\": [{\"code\": \"t1\", \"naem\": \"x\"}]" TAIL),
	    "t.json: sites[0].tenants[0]: unknown key \"naem\" (did you mean \"name\"?)");
	CHECK_EQ_STR(first_error("{\"sites\": [], \"colour\": 1}"), "t.json: (top): unknown key \"colour\"");
	CHECK_EQ_STR(first_error(SITE_HEAD TENANTS ", \"code\": \"s2\"" TAIL),
	    "t.json: sites[0]: key \"code\" is given twice");
}

TEST(park_missing_required_key)
{
	CHECK_EQ_STR(first_error("{\"sites\": [{\"code\": \"s1\", \"name\": \"Site\"}]}"),
	    "t.json: sites[0]: \"timezone\" is missing");
	CHECK_EQ_STR(first_error("{}"), "t.json: (top): \"sites\" is missing");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"accounts\": [{\"code\": \"a1\"}]" TAIL),
	    "t.json: sites[0].accounts[0]: \"tenant\" is missing");
	CHECK_EQ_STR(first_error(SITE_HEAD GATEWAYS ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"gateway\": \"gw1\"}]" TAIL),
	    "t.json: sites[0].meters[0]: \"address\" is missing");
}

TEST(park_wrong_types)
{
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"tenants\": [{\"code\": 5, \"name\": \"x\"}]" TAIL),
	    "t.json: sites[0].tenants[0]: code: must be a string, not a number");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"units\": {}" TAIL),
	    "t.json: sites[0]: units: must be a list [ ... ], not an object");
	CHECK_EQ_STR(first_error(SITE_HEAD TENANTS ", \"accounts\": [{\"code\": \"a1\", \"tenant\": \"t1\", \"keep_power\": \"yes\"}]" TAIL),
	    "t.json: sites[0].accounts[0]: keep_power: must be true or false, not a string");
	CHECK_EQ_STR(first_error("{\"sites\": [7]}"), "t.json: sites[0]: must be an object { ... }, not a number");
	CHECK_EQ_STR(first_error("[]"), "t.json: (top): must be an object { ... }, not a list");
}

TEST(park_dangling_references)
{
	CHECK_EQ_STR(first_error(SITE_HEAD GATEWAYS ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"gateway\": \"gw9\", \"address\": 1}]" TAIL),
	    "t.json: sites[0].meters[0].gateway: no gateway \"gw9\" in site \"s1\"");
	CHECK_EQ_STR(first_error(SITE_HEAD TENANTS ", \"accounts\": [{\"code\": \"a1\", \"tenant\": \"t2\"}]" TAIL),
	    "t.json: sites[0].accounts[0].tenant: no tenant \"t2\" in site \"s1\"");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"unit\": \"u1\"}]" TAIL),
	    "t.json: sites[0].meters[0].unit: no unit \"u1\" in site \"s1\"");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"account\": \"a9\"}]" TAIL),
	    "t.json: sites[0].meters[0].account: no account \"a9\" in site \"s1\"");
	CHECK_EQ_STR(first_error(SITE_HEAD TENANTS ACCOUNTS ", \"meters\": [{\"code\": \"w1\", \"energy\": \"water\", \"profile\": \"p\", \"account\": \"a1\"}]" TAIL),
	    "t.json: sites[0].meters[0].account: account \"a1\" pays for electricity, but this meter measures water");
}

TEST(park_duplicate_codes)
{
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"tenants\": [{\"code\": \"t1\", \"name\": \"a\"}, {\"code\": \"t2\", \"name\": \"b\"},"
	    " {\"code\": \"T1\", \"name\": \"c\"}]" TAIL),
	    "t.json: sites[0].tenants[2].code: duplicate code \"T1\" (first at tenants[0])");
	CHECK_EQ_STR(first_error("{\"sites\": [{\"code\": \"s1\", \"name\": \"a\", \"timezone\": \"UTC\"},"
	    " {\"code\": \"s1\", \"name\": \"b\", \"timezone\": \"UTC\"}]}"),
	    "t.json: sites[1].code: duplicate code \"s1\" (first at sites[0])");
	CHECK_EQ_STR(first_error(SITE_HEAD GATEWAYS ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"gateway\": \"gw1\", \"address\": 3},"
	    " {\"code\": \"m2\", \"profile\": \"p\", \"gateway\": \"gw1\", \"address\": 3}]" TAIL),
	    "t.json: sites[0].meters[1].address: gateway \"gw1\" address 3 is already used by meters[0]");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"calendar\": {\"holidays\": [{\"from\": \"2026-10-01\", \"to\": \"2026-10-07\"}],"
	    " \"workdays\": [{\"date\": \"2026-10-03\"}]}" TAIL),
	    "t.json: sites[0].calendar.workdays[0]: 2026-10-03 is already listed at sites[0].calendar.holidays[0]");
}

TEST(park_numbers_out_of_range)
{
	CHECK_EQ_STR(first_error(SITE_HEAD GATEWAYS ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"gateway\": \"gw1\", \"address\": 248}]" TAIL),
	    "t.json: sites[0].meters[0]: address: must be between 1 and 247");
	CHECK_EQ_STR(first_error(SITE_HEAD GATEWAYS ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"gateway\": \"gw1\", \"address\": 0}]" TAIL),
	    "t.json: sites[0].meters[0]: address: must be between 1 and 247");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"ct_ratio\": -5}]" TAIL),
	    "t.json: sites[0].meters[0]: ct_ratio: must be between 1 and 100000");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"meters\": [{\"code\": \"m1\", \"profile\": \"p\", \"pt_ratio\": 1.5}]" TAIL),
	    "t.json: sites[0].meters[0]: pt_ratio: must be a whole number");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"units\": [{\"code\": \"u1\", \"name\": \"r\", \"area\": 1.234}]" TAIL),
	    "t.json: sites[0].units[0]: area: at most two decimals (0.01 m²)");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"gateways\": [{\"code\": \"g\", \"transport\": \"tcp\", \"host\": \"h\", \"port\": 70000}]" TAIL),
	    "t.json: sites[0].gateways[0]: port: must be between 1 and 65535");
}

TEST(park_bad_values)
{
	CHECK_EQ_STR(first_error(SITE_HEAD TENANTS ", \"accounts\": [{\"code\": \"a1\", \"tenant\": \"t1\", \"overdraft\": \"-5\"}]" TAIL),
	    "t.json: sites[0].accounts[0]: overdraft: \"-5\" is not an amount in yuan like \"200.00\" (zero or more, at most two decimals)");
	CHECK_EQ_STR(first_error(SITE_HEAD TENANTS ", \"accounts\": [{\"code\": \"a1\", \"tenant\": \"t1\", \"energy\": \"steam\"}]" TAIL),
	    "t.json: sites[0].accounts[0]: energy: \"steam\" is not one of all, electricity, water, gas");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"tenants\": [{\"code\": \"t 1\", \"name\": \"x\"}]" TAIL),
	    "t.json: sites[0].tenants[0]: code: \"t 1\" is not a code: use letters, digits, '-', '_' and '.', starting with a letter or digit");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"calendar\": {\"holidays\": [{\"date\": \"2026-02-29\"}]}" TAIL),
	    "t.json: sites[0].calendar.holidays[0]: date: \"2026-02-29\" is not a date like 2026-10-01");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"gateways\": [{\"code\": \"g\", \"transport\": \"rtu\", \"device\": \"/dev/ttyS0\", \"port\": 1}]" TAIL),
	    "t.json: sites[0].gateways[0]: port: not used with transport \"rtu\"");
	CHECK_EQ_STR(first_error(SITE_HEAD ", \"gateways\": [{\"code\": \"g\", \"transport\": \"rtu\", \"device\": \"/dev/ttyS0\", \"baud\": 9601}]" TAIL),
	    "t.json: sites[0].gateways[0]: baud: 9601 is not a serial speed (1200, 2400, 4800, 9600, 19200, 38400, 57600 or 115200)");
	CHECK_EQ_STR(first_error("{\"sites\": [{\"code\": \"s1\", \"name\": \"a\", \"timezone\": \"../etc/passwd\"}]}"),
	    "t.json: sites[0]: timezone: \"../etc/passwd\" is not a time zone name like \"Asia/Shanghai\"");
	CHECK_EQ_STR(first_error("{\"sites\": [{\"code\": \"s1\", \"name\": \"\xff\", \"timezone\": \"UTC\"}]}"),
	    "t.json: sites[0]: name: not valid UTF-8 text (or holds control characters)");
	CHECK_EQ_STR(first_error("{\"version\": 2, \"sites\": []}"),
	    "t.json: version: this prepayctl reads version 1 park files, not 2");
}

TEST(park_reports_several_errors_at_once)
{
	first_error(SITE_HEAD ", \"tenants\": [{\"code\": \"t1\"}, {\"name\": \"x\"}]" TAIL);
	CHECK_EQ_INT(errs.total, 2);
	CHECK_EQ_STR(errs.msg[1], "t.json: sites[0].tenants[1]: \"code\" is missing");
}

TEST(park_overdraft_whole_number_is_yuan)
{
	const char *text = SITE_HEAD TENANTS ", \"accounts\": [{\"code\": \"a1\", \"tenant\": \"t1\", \"overdraft\": 200},"
	    " {\"code\": \"a2\", \"tenant\": \"t1\", \"overdraft\": \"0.5\"}]" TAIL;
	struct park *pk = park_file_parse(text, strlen(text), "t.json", &errs);

	CHECK(pk != NULL);
	if (pk != NULL) {
		CHECK_EQ_INT(pk->sites[0].accounts[0].overdraft_fen, 20000);
		CHECK_EQ_INT(pk->sites[0].accounts[1].overdraft_fen, 50);
	}
	park_free(pk);
}

TEST(park_line_col_counts_characters)
{
	int line, col;
	const char *t = "ab\n示c";

	park_line_col(t, strlen(t), strlen("ab\n示"), &line, &col);
	CHECK_EQ_INT(line, 2);
	CHECK_EQ_INT(col, 2);
}

int
main(void)
{
	RUN(park_good_small_file_parses_with_defaults);
	RUN(park_demo_file_parses);
	RUN(park_syntax_error_gives_line_and_column);
	RUN(park_unknown_key_is_named_with_a_suggestion);
	RUN(park_missing_required_key);
	RUN(park_wrong_types);
	RUN(park_dangling_references);
	RUN(park_duplicate_codes);
	RUN(park_numbers_out_of_range);
	RUN(park_bad_values);
	RUN(park_reports_several_errors_at_once);
	RUN(park_overdraft_whole_number_is_yuan);
	RUN(park_line_col_counts_characters);
	return unit_done();
}
