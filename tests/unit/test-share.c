/*
 * Shared meters, the pure part: the split adds up exactly, the price of a
 * line loss, and the statement lines (total, check, mismatch). No database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/share.h"
#include "tests/unit/unit.h"

#define NY 10000000LL

TEST(split_by_area_adds_up_exactly)
{
	int64_t w[3] = { 8550, 6200, 4825 }, out[3];
	char why[200];

	CHECK_EQ_INT(share_split(6942, w, 3, out, why, sizeof why), 0);
	/* 6942 × w / 19575: 3032.1…, 2198.8…, 1711.0… → the one fen left goes to the largest remainder */
	CHECK_EQ_INT(out[0], 3032);
	CHECK_EQ_INT(out[1], 2199);
	CHECK_EQ_INT(out[2], 1711);
	CHECK_EQ_INT(out[0] + out[1] + out[2], 6942);
}

TEST(split_many_random_weights_always_adds_up)
{
	int64_t w[50], out[50];
	char why[200];
	unsigned seed = 7;

	for (int round = 0; round < 200; round++) {
		int64_t total = (int64_t)(rand_r(&seed) % 10000000), sum = 0;
		int n = 1 + rand_r(&seed) % 50;
		for (int i = 0; i < n; i++)
			w[i] = rand_r(&seed) % 100000;
		w[0] += 1;
		CHECK_EQ_INT(share_split(total, w, n, out, why, sizeof why), 0);
		for (int i = 0; i < n; i++) {
			CHECK(out[i] >= 0);
			sum += out[i];
		}
		CHECK_EQ_INT(sum, total);
	}
}

TEST(split_refuses_nobody_and_zero_weights)
{
	int64_t w[2] = { 0, 0 }, out[2];
	char why[200] = "";

	CHECK_EQ_INT(share_split(100, w, 0, out, why, sizeof why), -1);
	CHECK(strstr(why, "nobody shares it") != NULL);
	CHECK_EQ_INT(share_split(100, w, 2, out, why, sizeof why), -1);
}

TEST(loss_is_priced_at_the_sub_meters_average)
{
	/* subs: 180 kWh for 160.65 yuan (0.8925/kWh); loss 20 kWh → 17.85 yuan */
	CHECK_EQ_INT(share_loss_fen(20000, 180000, 16065 * NY), 1785);
	/* half a fen rounds up */
	CHECK_EQ_INT(share_loss_fen(1, 2, 10000000), 1);	/* 0.5 fen → 1 */
	CHECK_EQ_INT(share_loss_fen(1, 3, 10000000), 0);	/* 0.33 fen → 0 */
	CHECK_EQ_INT(share_loss_fen(-5, 100, 1000), 0);	/* sub-meters read more: no cost */
	CHECK_EQ_INT(share_loss_fen(5, 0, 0), 0);	/* nothing to price it with */
	/* no overflow at park scale: 10^7 kWh loss, 10^8 kWh subs for 10^8 yuan */
	CHECK_EQ_INT(share_loss_fen(10000000000LL, 100000000000LL, 100000000LL * 100 * NY), 1000000000LL);
}

TEST(rules_parse_and_name)
{
	enum share_rule r;

	CHECK_EQ_INT(share_rule_parse("consumption", &r), 0);
	CHECK_EQ_INT(r, SHARE_CONSUMPTION);
	CHECK_EQ_STR(share_rule_name(SHARE_AREA), "area");
	CHECK_EQ_INT(share_rule_parse("floor", &r), -1);
	CHECK_EQ_INT(share_rule_parse(NULL, &r), -1);
}

static struct stmt_share
sh(const char *meter, enum share_rule rule, int64_t w, int64_t tw, int64_t src, int64_t part, int64_t posted)
{
	struct stmt_share s;

	memset(&s, 0, sizeof s);
	snprintf(s.meter, sizeof s.meter, "%s", meter);
	snprintf(s.energy, sizeof s.energy, "electricity");
	snprintf(s.unit, sizeof s.unit, "kWh");
	s.rule = rule;
	s.weight = w;
	s.total_weight = tw;
	s.source_fen = src;
	s.share_fen = part;
	s.posted_fen = posted;
	return s;
}

TEST(statement_shows_shares_total_and_check)
{
	struct stmt st;
	struct stmt_share s[2] = { sh("m18", SHARE_AREA, 8550, 19575, 6942, 3032, 3032),
		sh("m17", SHARE_FIXED, 5000, 10000, 1785, 893, 893) };
	char why[300];

	s[1].loss = 1;
	stmt_init(&st, 1, 1, 202612, "demo/t01-e", "Asia/Shanghai");
	stmt_ledger(&st, 10000, NULL, 0, 10000);
	CHECK_EQ_INT(stmt_shares(&st, s, 2), 3925);
	CHECK_EQ_INT(st.usage_fen, 3925);
	CHECK_EQ_INT(st.debited_fen, 3925);
	CHECK_EQ_INT(st.mismatch, 0);
	CHECK_EQ_INT(stmt_check(&st, why, sizeof why), 0);
	CHECK(strstr(st.lines[st.nlines - 4].label, "shared meter m18: 69.42 yuan for the month, area share: yours 85.50 m2 of"
	    " 195.75 m2") != NULL);
	CHECK(strstr(st.lines[st.nlines - 3].label, "line loss of master meter m17") != NULL);
	CHECK_EQ_STR(st.lines[st.nlines - 2].section, "total");
	CHECK_EQ_INT(st.lines[st.nlines - 2].amount_nyuan, 3925 * NY);
	CHECK(strstr(st.lines[st.nlines - 1].label, ": equal") != NULL);
	stmt_free(&st);
}

TEST(statement_flags_shares_not_posted)
{
	struct stmt st;
	struct stmt_share s = sh("m18", SHARE_CONSUMPTION, 100000, 180000, 6942, 3857, 3032);

	stmt_init(&st, 1, 1, 202612, "demo/t01-e", "Asia/Shanghai");
	stmt_shares(&st, &s, 1);
	CHECK_EQ_INT(st.mismatch, 1);
	CHECK(strstr(st.note, "apportioned 3857 fen, posted 3032 fen") != NULL);
	CHECK(strstr(st.lines[0].label, "yours 100.000 kWh of 180.000 kWh") != NULL);
	stmt_free(&st);
}

TEST(common_account_line_is_a_credit)
{
	struct stmt st;
	struct stmt_share s = sh("m18", SHARE_AREA, 0, 19575, 6942, -6942, -6942);
	char why[300];

	stmt_init(&st, 15, 1, 202612, "demo/common-e", "Asia/Shanghai");
	stmt_ledger(&st, 0, NULL, 0, 0);
	CHECK_EQ_INT(stmt_shares(&st, &s, 1), -6942);
	CHECK_EQ_INT(st.mismatch, 0);
	CHECK_EQ_INT(stmt_check(&st, why, sizeof why), 0);
	CHECK(strstr(st.lines[st.nlines - 3].label, "credited back") != NULL);
	stmt_free(&st);
}

TEST(no_shares_adds_no_lines)
{
	struct stmt st;

	stmt_init(&st, 1, 1, 202612, "x", "UTC");
	CHECK_EQ_INT(stmt_shares(&st, NULL, 0), 0);
	CHECK_EQ_INT(st.nlines, 0);
	stmt_free(&st);
}

int
main(void)
{
	RUN(split_by_area_adds_up_exactly);
	RUN(split_many_random_weights_always_adds_up);
	RUN(split_refuses_nobody_and_zero_weights);
	RUN(loss_is_priced_at_the_sub_meters_average);
	RUN(rules_parse_and_name);
	RUN(statement_shows_shares_total_and_check);
	RUN(statement_flags_shares_not_posted);
	RUN(common_account_line_is_a_credit);
	RUN(no_shares_adds_no_lines);
	return unit_done();
}
