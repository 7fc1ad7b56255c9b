#include <stdint.h>
#include "lib/money.h"
#include "tests/unit/unit.h"

static int64_t
parse(const char *s, int *ok)
{
	int64_t v = -999;
	*ok = money_parse_yuan(s, &v) == 0;
	return v;
}

TEST(money_parses_whole_and_decimal_yuan)
{
	int ok;
	CHECK_EQ_INT(parse("12", &ok), 1200); CHECK(ok);
	CHECK_EQ_INT(parse("12.3", &ok), 1230); CHECK(ok);
	CHECK_EQ_INT(parse("12.34", &ok), 1234); CHECK(ok);
	CHECK_EQ_INT(parse("0.01", &ok), 1); CHECK(ok);
	CHECK_EQ_INT(parse("-0.05", &ok), -5); CHECK(ok);
	CHECK_EQ_INT(parse("+7", &ok), 700); CHECK(ok);
}

TEST(money_rejects_what_is_not_an_amount)
{
	static const char *const bad[] = { "", "-", ".5", "1.", "1.234", "1,000", "1e3", "12a",
	    " 1", "1 ", "0x10", "1..2", "--1", "10000000000.01", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int ok;
		parse(bad[i], &ok);
		if (ok)
			printf("# accepted \"%s\"\n", bad[i]);
		CHECK(!ok);
	}
}

TEST(money_accepts_the_maximum_and_not_a_fen_more)
{
	int ok;
	CHECK_EQ_INT(parse("10000000000.00", &ok), MONEY_MAX_FEN); CHECK(ok);
	parse("10000000000.01", &ok); CHECK(!ok);
}

TEST(money_formats_fen_as_yuan)
{
	char buf[MONEY_FMT_LEN];
	CHECK_EQ_STR(money_format(0, buf), "0.00");
	CHECK_EQ_STR(money_format(5, buf), "0.05");
	CHECK_EQ_STR(money_format(-5, buf), "-0.05");
	CHECK_EQ_STR(money_format(123456, buf), "1234.56");
	CHECK_EQ_STR(money_format(INT64_MIN, buf), "-92233720368547758.08");
}

TEST(money_round_trips_through_text)
{
	char buf[MONEY_FMT_LEN];
	for (int64_t v = -100000; v <= 100000; v += 37) {
		int ok;
		CHECK_EQ_INT(parse(money_format(v, buf), &ok), v);
	}
}

int
main(void)
{
	RUN(money_parses_whole_and_decimal_yuan);
	RUN(money_rejects_what_is_not_an_amount);
	RUN(money_accepts_the_maximum_and_not_a_fen_more);
	RUN(money_formats_fen_as_yuan);
	RUN(money_round_trips_through_text);
	return unit_done();
}
