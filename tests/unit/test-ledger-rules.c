/* The ledger's pure rules: kinds, signs, counters, floor, validation,
 * fingerprint and the audit's chain walk. */
#include <stdint.h>
#include <string.h>
#include "billing/ledger_rules.h"
#include "lib/money.h"
#include "tests/unit/unit.h"

static char why[320];

static struct ledger_request
one(enum ledger_kind kind, int64_t amount_fen, const char *counter)
{
	struct ledger_request r;

	ledger_request_init(&r, "req-1", "operator:test", 7, kind, amount_fen, counter);
	return r;
}

static int
valid(struct ledger_request r)
{
	return ledger_validate(&r, why, sizeof why) == 0;
}

TEST(kinds_round_trip_by_name)
{
	for (int k = 0; k < LEDGER_NKINDS; k++) {
		enum ledger_kind back;
		CHECK(ledger_kind_parse(ledger_kind_name((enum ledger_kind)k), &back) == 0);
		CHECK_EQ_INT(back, k);
	}
	enum ledger_kind x;
	CHECK(ledger_kind_parse("deposit", &x) == -1);
	CHECK(ledger_kind_parse(NULL, &x) == -1);
}

TEST(topup_must_be_positive_with_a_payment_counter)
{
	CHECK(valid(one(LEDGER_TOPUP, 100, "cash")));
	CHECK(valid(one(LEDGER_TOPUP, 100, "payment:wechat")));
	CHECK(!valid(one(LEDGER_TOPUP, -100, "cash")));
	CHECK(strstr(why, "must be positive") != NULL);
	CHECK(!valid(one(LEDGER_TOPUP, 0, "cash")));
	CHECK(strstr(why, "zero") != NULL);
	CHECK(!valid(one(LEDGER_TOPUP, 100, "revenue:electricity")));
	CHECK(strstr(why, "counter-account") != NULL);
	CHECK(!valid(one(LEDGER_TOPUP, 100, "payment:")));
	CHECK(!valid(one(LEDGER_TOPUP, 100, "payment:we chat")));
	CHECK(!valid(one(LEDGER_TOPUP, 100, "payment:a:b")));
	CHECK(!valid(one(LEDGER_TOPUP, 100, "Cash")));
	CHECK(!valid(one(LEDGER_TOPUP, 100, NULL)));
}

TEST(debit_kinds_must_be_negative)
{
	CHECK(valid(one(LEDGER_CONSUMPTION, -1, "revenue:electricity")));
	CHECK(!valid(one(LEDGER_CONSUMPTION, 1, "revenue:electricity")));
	CHECK(strstr(why, "must be negative") != NULL);
	CHECK(valid(one(LEDGER_FEE, -500, "revenue:standing")));
	CHECK(valid(one(LEDGER_REFUND, -500, "refund:wechat")));
	CHECK(!valid(one(LEDGER_REFUND, -500, "cash")));
	CHECK(valid(one(LEDGER_EMERGENCY_REPAY, -500, "emergency")));
	CHECK(valid(one(LEDGER_EMERGENCY_CREDIT, 500, "emergency")));
}

TEST(adjustment_goes_both_ways_but_needs_a_reason)
{
	struct ledger_request r = one(LEDGER_ADJUSTMENT, -300, "adjustment");

	CHECK(!valid(r));
	CHECK(strstr(why, "reason") != NULL);
	r.reason = "meter swap correction";
	CHECK(valid(r));
	r.legs[0].amount_fen = 300;
	CHECK(valid(r));
	r.reason = "";
	CHECK(!valid(r));
}

TEST(amount_beyond_the_money_limit_is_refused)
{
	CHECK(valid(one(LEDGER_TOPUP, MONEY_MAX_FEN, "cash")));
	CHECK(!valid(one(LEDGER_TOPUP, MONEY_MAX_FEN + 1, "cash")));
	CHECK(!valid(one(LEDGER_CONSUMPTION, INT64_MIN, "revenue:water")));
}

TEST(request_id_is_printable_ascii_without_hash)
{
	struct ledger_request r = one(LEDGER_TOPUP, 100, "cash");
	char longkey[LEDGER_KEY_MAX + 2];

	r.idem_key = "wechat:4200001234:x.y-z_1";
	CHECK(valid(r));
	r.idem_key = "";
	CHECK(!valid(r));
	r.idem_key = NULL;
	CHECK(!valid(r));
	r.idem_key = "has space";
	CHECK(!valid(r));
	r.idem_key = "leg#2";
	CHECK(!valid(r));
	r.idem_key = "收据";
	CHECK(!valid(r));
	memset(longkey, 'k', sizeof longkey);
	longkey[LEDGER_KEY_MAX] = '\0';
	r.idem_key = longkey;
	CHECK(valid(r));
	longkey[LEDGER_KEY_MAX] = 'k';
	longkey[LEDGER_KEY_MAX + 1] = '\0';
	CHECK(!valid(r));
	CHECK(strstr(why, "request id") != NULL);
}

TEST(reason_is_bounded_utf8_text)
{
	struct ledger_request r = one(LEDGER_TOPUP, 100, "cash");
	char big[LEDGER_REASON_MAX + 2];

	r.reason = "现金充值 收据 0042";
	CHECK(valid(r));
	r.reason = "line\nbreak";
	CHECK(!valid(r));
	r.reason = "\xc3\x28";	/* broken UTF-8 */
	CHECK(!valid(r));
	r.reason = "\xc0\xaf";	/* overlong */
	CHECK(!valid(r));
	memset(big, 'r', sizeof big);
	big[LEDGER_REASON_MAX] = '\0';
	r.reason = big;
	CHECK(valid(r));
	big[LEDGER_REASON_MAX] = 'r';
	big[LEDGER_REASON_MAX + 1] = '\0';
	CHECK(!valid(r));
	CHECK(strstr(why, "256 bytes") != NULL);
}

TEST(actor_and_reference_are_checked)
{
	struct ledger_request r = one(LEDGER_TOPUP, 100, "cash");

	r.actor = "";
	CHECK(!valid(r));
	r.actor = "operator:alice";
	r.reference = "";
	CHECK(!valid(r));
	r.reference = "receipt 42";
	CHECK(valid(r));
}

static struct ledger_request
transfer(int64_t from, int64_t to, int64_t amount_fen)
{
	struct ledger_request r;

	ledger_request_init(&r, "move-1", "operator:test", from, LEDGER_TRANSFER_OUT, -amount_fen, "transfer");
	r.nlegs = 2;
	r.legs[1] = (struct ledger_leg){ to, LEDGER_TRANSFER_IN, amount_fen, "transfer" };
	return r;
}

TEST(transfer_legs_balance_and_name_two_accounts)
{
	struct ledger_request r = transfer(3, 9, 500);

	CHECK(valid(r));
	r.legs[1].amount_fen = 400;
	CHECK(!valid(r));
	CHECK(strstr(why, "add up to zero") != NULL);
	r = transfer(3, 3, 500);
	CHECK(!valid(r));
	CHECK(strstr(why, "two legs") != NULL);
	/* a lone transfer leg, or a top-up among transfer legs */
	r = one(LEDGER_TRANSFER_IN, 500, "transfer");
	CHECK(!valid(r));
	r = transfer(3, 9, 500);
	r.legs[1] = (struct ledger_leg){ 9, LEDGER_TOPUP, 500, "cash" };
	CHECK(!valid(r));
	r = transfer(3, 9, 500);
	r.nlegs = LEDGER_MAX_LEGS + 1;
	CHECK(!valid(r));
	r.nlegs = 0;
	CHECK(!valid(r));
}

TEST(fingerprint_covers_what_moves_not_who_asks)
{
	struct ledger_request a = one(LEDGER_TOPUP, 100, "cash"), b = a;
	char fa[65], fb[65];

	ledger_fingerprint(&a, fa);
	CHECK_EQ_INT(strlen(fa), 64);
	b.actor = "operator:bob";
	b.reason = "retyped";
	ledger_fingerprint(&b, fb);
	CHECK_EQ_STR(fa, fb);
	b.legs[0].amount_fen = 101;
	ledger_fingerprint(&b, fb);
	CHECK(strcmp(fa, fb) != 0);
	b = a;
	b.legs[0].account_id = 8;
	ledger_fingerprint(&b, fb);
	CHECK(strcmp(fa, fb) != 0);
	b = a;
	b.legs[0].counter_account = "bank";
	ledger_fingerprint(&b, fb);
	CHECK(strcmp(fa, fb) != 0);
	b = a;
	b.reference = "receipt 1";
	ledger_fingerprint(&b, fb);
	CHECK(strcmp(fa, fb) != 0);
	/* no reference differs from an empty-looking one */
	a.reference = "-";
	ledger_fingerprint(&a, fa);
	b.reference = NULL;
	ledger_fingerprint(&b, fb);
	CHECK(strcmp(fa, fb) != 0);
}

TEST(fingerprint_is_stable)
{
	struct ledger_request a = one(LEDGER_TOPUP, 100, "cash");
	char fa[65], fb[65];

	ledger_fingerprint(&a, fa);
	ledger_fingerprint(&a, fb);
	CHECK_EQ_STR(fa, fb);
}

static enum ledger_status
decide(enum ledger_kind kind, int64_t amount_fen, int64_t balance_fen, int64_t overdraft_fen, int closed,
    int64_t *after)
{
	struct ledger_leg l = { 7, kind, amount_fen, "x" };
	struct ledger_account_state st = { balance_fen, overdraft_fen, closed };

	*after = -1;
	return ledger_decide(&l, &st, after, why, sizeof why);
}

TEST(consumption_and_fees_post_below_the_floor)
{
	int64_t after;

	CHECK_EQ_INT(decide(LEDGER_CONSUMPTION, -500, 100, 0, 0, &after), LEDGER_OK);
	CHECK_EQ_INT(after, -400);
	CHECK_EQ_INT(decide(LEDGER_FEE, -500, -100000, 0, 0, &after), LEDGER_OK);
	CHECK_EQ_INT(after, -100500);
}

TEST(negative_adjustment_stops_at_minus_overdraft)
{
	int64_t after;

	CHECK_EQ_INT(decide(LEDGER_ADJUSTMENT, -500, 100, 400, 0, &after), LEDGER_OK);
	CHECK_EQ_INT(after, -400);
	CHECK_EQ_INT(decide(LEDGER_ADJUSTMENT, -501, 100, 400, 0, &after), LEDGER_BELOW_FLOOR);
	CHECK(strstr(why, "below its floor of ¥-4.00") != NULL);
	CHECK_EQ_INT(after, -1);
	/* a credit is never refused, even when already below the floor */
	CHECK_EQ_INT(decide(LEDGER_ADJUSTMENT, 1, -9000, 0, 0, &after), LEDGER_OK);
	CHECK_EQ_INT(decide(LEDGER_TRANSFER_OUT, -100, 50, 0, 0, &after), LEDGER_BELOW_FLOOR);
	CHECK_EQ_INT(decide(LEDGER_EMERGENCY_REPAY, -100, 50, 50, 0, &after), LEDGER_OK);
}

TEST(refund_never_exceeds_the_credit)
{
	int64_t after;

	CHECK_EQ_INT(decide(LEDGER_REFUND, -100, 100, 100000, 0, &after), LEDGER_OK);
	CHECK_EQ_INT(after, 0);
	CHECK_EQ_INT(decide(LEDGER_REFUND, -101, 100, 100000, 0, &after), LEDGER_BELOW_FLOOR);
	CHECK_EQ_INT(ledger_floor_fen(LEDGER_REFUND, 5000), 0);
	CHECK_EQ_INT(ledger_floor_fen(LEDGER_ADJUSTMENT, 5000), -5000);
	CHECK(ledger_floor_fen(LEDGER_CONSUMPTION, 5000) == INT64_MIN);
}

TEST(closed_account_takes_only_adjustments_and_refunds)
{
	int64_t after;

	CHECK_EQ_INT(decide(LEDGER_TOPUP, 100, 0, 0, 1, &after), LEDGER_CLOSED);
	CHECK(strstr(why, "closed") != NULL);
	CHECK_EQ_INT(decide(LEDGER_CONSUMPTION, -100, 0, 0, 1, &after), LEDGER_CLOSED);
	CHECK_EQ_INT(decide(LEDGER_ADJUSTMENT, 100, 0, 0, 1, &after), LEDGER_OK);
	CHECK_EQ_INT(decide(LEDGER_REFUND, -100, 100, 0, 1, &after), LEDGER_OK);
}

TEST(balance_may_not_run_past_its_limit)
{
	int64_t after;

	CHECK_EQ_INT(decide(LEDGER_TOPUP, MONEY_MAX_FEN, LEDGER_BALANCE_LIMIT_FEN - 1, 0, 0, &after),
	    LEDGER_INVALID);
	CHECK_EQ_INT(decide(LEDGER_CONSUMPTION, -MONEY_MAX_FEN, -LEDGER_BALANCE_LIMIT_FEN, 0, 0, &after),
	    LEDGER_INVALID);
	CHECK_EQ_INT(decide(LEDGER_TOPUP, 1, INT64_MAX, 0, 0, &after), LEDGER_INVALID);
}

static int reports;
static char last_report[400];

static void
collect(void *arg, int64_t account_id, const char *msg)
{
	(void)arg;
	(void)account_id;
	reports++;
	snprintf(last_report, sizeof last_report, "%s", msg);
}

TEST(chain_walk_accepts_a_clean_history)
{
	struct ledger_chain ch;

	reports = 0;
	ledger_chain_start(&ch, 7);
	CHECK_EQ_INT(ledger_chain_step(&ch, 1, LEDGER_TOPUP, 1000, 1000, "cash", collect, NULL), 0);
	CHECK_EQ_INT(ledger_chain_step(&ch, 2, LEDGER_CONSUMPTION, -1500, -500, "revenue:electricity",
	    collect, NULL), 0);
	CHECK_EQ_INT(ledger_chain_finish(&ch, -500, 2, collect, NULL), 0);
	CHECK_EQ_INT(reports, 0);
}

TEST(chain_walk_names_gaps_broken_balances_and_stale_caches)
{
	struct ledger_chain ch;

	reports = 0;
	ledger_chain_start(&ch, 7);
	ledger_chain_step(&ch, 1, LEDGER_TOPUP, 1000, 1000, "cash", collect, NULL);
	CHECK_EQ_INT(ledger_chain_step(&ch, 3, LEDGER_TOPUP, 1000, 2000, "cash", collect, NULL), 1);
	CHECK(strstr(last_report, "seq 2 to 2 are missing") != NULL);
	CHECK_EQ_INT(ledger_chain_step(&ch, 4, LEDGER_TOPUP, 1000, 9999, "cash", collect, NULL), 1);
	CHECK(strstr(last_report, "balance after it is ¥99.99") != NULL);
	/* the next entry chains from what the broken one said: one message only */
	CHECK_EQ_INT(ledger_chain_step(&ch, 5, LEDGER_TOPUP, 1, 10000, "cash", collect, NULL), 0);
	CHECK_EQ_INT(ledger_chain_step(&ch, 6, LEDGER_TOPUP, -1, 9999, "cash", collect, NULL), 1);
	CHECK(strstr(last_report, "must be positive") != NULL);
	/* the entries add up to ¥30.00, the broken chain ended at ¥99.99 */
	CHECK_EQ_INT(ledger_chain_finish(&ch, 3000, 6, collect, NULL), 1);
	CHECK(strstr(last_report, "last entry says the balance is ¥99.99 but the entries add up to ¥30.00") != NULL);
	CHECK_EQ_INT(ledger_chain_finish(&ch, 5000, 6, collect, NULL), 1);
	CHECK(strstr(last_report, "balance of ¥50.00 but its 5 ledger entries add up to ¥30.00") != NULL);
	CHECK_EQ_INT(ledger_chain_finish(&ch, 5000, 5, collect, NULL), 2);
	CHECK(strstr(last_report, "last_seq is 5") != NULL);
}

TEST(chain_walk_survives_absurd_stored_values)
{
	struct ledger_chain ch;

	reports = 0;
	ledger_chain_start(&ch, 7);
	CHECK_EQ_INT(ledger_chain_step(&ch, 1, LEDGER_TOPUP, INT64_MAX, INT64_MAX, "cash", collect, NULL), 1);
	CHECK(strstr(last_report, "impossible amount") != NULL);
	CHECK(ledger_chain_step(&ch, INT64_MAX, LEDGER_NKINDS, INT64_MIN, INT64_MIN, "?", collect, NULL) >= 1);
}

TEST(an_account_without_entries_must_be_empty)
{
	struct ledger_chain ch;

	reports = 0;
	ledger_chain_start(&ch, 9);
	CHECK_EQ_INT(ledger_chain_finish(&ch, 0, 0, collect, NULL), 0);
	CHECK_EQ_INT(ledger_chain_finish(&ch, 100, 1, collect, NULL), 2);
}

int
main(void)
{
	RUN(kinds_round_trip_by_name);
	RUN(topup_must_be_positive_with_a_payment_counter);
	RUN(debit_kinds_must_be_negative);
	RUN(adjustment_goes_both_ways_but_needs_a_reason);
	RUN(amount_beyond_the_money_limit_is_refused);
	RUN(request_id_is_printable_ascii_without_hash);
	RUN(reason_is_bounded_utf8_text);
	RUN(actor_and_reference_are_checked);
	RUN(transfer_legs_balance_and_name_two_accounts);
	RUN(fingerprint_covers_what_moves_not_who_asks);
	RUN(fingerprint_is_stable);
	RUN(consumption_and_fees_post_below_the_floor);
	RUN(negative_adjustment_stops_at_minus_overdraft);
	RUN(refund_never_exceeds_the_credit);
	RUN(closed_account_takes_only_adjustments_and_refunds);
	RUN(balance_may_not_run_past_its_limit);
	RUN(chain_walk_accepts_a_clean_history);
	RUN(chain_walk_names_gaps_broken_balances_and_stale_caches);
	RUN(chain_walk_survives_absurd_stored_values);
	RUN(an_account_without_entries_must_be_empty);
	return unit_done();
}
