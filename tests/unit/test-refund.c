/* The pure part of refunds (payments/refund.c): the move-out plan, refund
 * numbers, the refund object, the request body, which errors retry. */
#include <stdint.h>
#include <string.h>
#include "payments/refund.h"
#include "tests/unit/unit.h"

TEST(refund_plan_takes_newest_first_within_refundable)
{
	/* newest first: 30.00 (10.00 refunded already), 50.00, 100.00 */
	struct refund_source src[] = { { 3, 3000, 1000 }, { 2, 5000, 0 }, { 1, 10000, 0 } };
	struct refund_share sh[4];
	int64_t rest = -1;

	CHECK_EQ_INT(refund_plan(9000, src, 3, sh, 4, &rest), 3);
	CHECK_EQ_INT(rest, 0);
	CHECK_EQ_INT(sh[0].payment_id, 3); CHECK_EQ_INT(sh[0].amount_fen, 2000); CHECK_EQ_INT(sh[0].total_fen, 3000);
	CHECK_EQ_INT(sh[1].payment_id, 2); CHECK_EQ_INT(sh[1].amount_fen, 5000);
	CHECK_EQ_INT(sh[2].payment_id, 1); CHECK_EQ_INT(sh[2].amount_fen, 2000); CHECK_EQ_INT(sh[2].total_fen, 10000);
}

TEST(refund_plan_stops_when_the_balance_is_covered)
{
	struct refund_source src[] = { { 2, 5000, 0 }, { 1, 10000, 0 } };
	struct refund_share sh[4];
	int64_t rest = -1;

	CHECK_EQ_INT(refund_plan(1234, src, 2, sh, 4, &rest), 1);
	CHECK_EQ_INT(sh[0].payment_id, 2); CHECK_EQ_INT(sh[0].amount_fen, 1234); CHECK_EQ_INT(rest, 0);
	CHECK_EQ_INT(refund_plan(0, src, 2, sh, 4, &rest), 0);
	CHECK_EQ_INT(rest, 0);
}

TEST(refund_plan_reports_what_payments_cannot_cover)
{
	struct refund_source src[] = { { 2, 5000, 5000 }, { 1, 1000, 0 } };
	struct refund_share sh[4];
	int64_t rest = -1;

	CHECK_EQ_INT(refund_plan(3000, src, 2, sh, 4, &rest), 1);
	CHECK_EQ_INT(sh[0].payment_id, 1); CHECK_EQ_INT(sh[0].amount_fen, 1000); CHECK_EQ_INT(rest, 2000);
	CHECK_EQ_INT(refund_plan(3000, src, 0, sh, 4, &rest), 0);
	CHECK_EQ_INT(rest, 3000);
	/* at most max shares: the rest stays uncovered */
	CHECK_EQ_INT(refund_plan(6000, (struct refund_source[]){ { 2, 5000, 0 }, { 1, 1000, 0 } }, 2, sh, 1, &rest), 1);
	CHECK_EQ_INT(rest, 1000);
}

TEST(refund_plan_refuses_impossible_input)
{
	struct refund_source over[] = { { 1, 1000, 1001 } }, zero[] = { { 1, 0, 0 } };
	struct refund_share sh[2];
	int64_t rest;

	CHECK_EQ_INT(refund_plan(-1, over, 0, sh, 2, &rest), -1);
	CHECK_EQ_INT(refund_plan(100, over, 1, sh, 2, &rest), -1);
	CHECK_EQ_INT(refund_plan(100, zero, 1, sh, 2, &rest), -1);
}

TEST(refund_numbers_say_day_account_payment_and_count)
{
	char no[REFUND_NO_MAX + 1];

	/* 2026-11-28 00:00:00 UTC */
	CHECK_EQ_INT(refund_no_make('R', 17, 42, 1, 1795824000, NULL, no, sizeof no), 0);
	CHECK_EQ_STR(no, "R20261128-00000017-42-1");
	CHECK_EQ_INT(refund_no_make('C', 17, 0, 0, 1795824000, "3f9a2c1b", no, sizeof no), 0);
	CHECK_EQ_STR(no, "C20261128-00000017-3f9a2c1b");
	CHECK(refund_no_make('R', 17, 42, 1, 1795824000, NULL, no, 10) != 0);
	CHECK(refund_no_valid("R20261128-00000017-42-1"));
	CHECK(!refund_no_valid("R2026"));
	CHECK(!refund_no_valid("R20261128 00000017"));
	CHECK(!refund_no_valid("R20261128-0000001742-1R20261128-0000001742-1R20261128-0000001742-1x"));
}

TEST(refund_answer_and_notification_parse_alike)
{
	static const char api[] = "{\"refund_id\":\"50000000382019052709732678859\",\"out_refund_no\":\"R20261128-00000017-42-1\","
	    "\"transaction_id\":\"4200000001\",\"out_trade_no\":\"T20261128-00000017-3f9a2c1b\",\"channel\":\"ORIGINAL\","
	    "\"status\":\"PROCESSING\",\"create_time\":\"2026-11-28T10:00:00+08:00\",\"amount\":{\"total\":10000,"
	    "\"refund\":2500,\"payer_total\":10000,\"payer_refund\":2500,\"currency\":\"CNY\"}}";
	static const char note[] = "{\"mchid\":\"1900000100\",\"out_trade_no\":\"T1\",\"transaction_id\":\"42\","
	    "\"out_refund_no\":\"R1x2y3\",\"refund_id\":\"5000\",\"refund_status\":\"SUCCESS\","
	    "\"success_time\":\"2026-11-28T10:01:00+08:00\",\"user_received_account\":\"x\","
	    "\"amount\":{\"total\":999,\"refund\":999,\"payer_total\":999,\"payer_refund\":999}}";
	struct wechat_refund r;
	char err[128];

	CHECK_EQ_INT(wechat_refund_parse(api, strlen(api), &r, err, sizeof err), 0);
	CHECK_EQ_STR(r.status, "PROCESSING");
	CHECK_EQ_INT(r.refund_fen, 2500); CHECK_EQ_INT(r.total_fen, 10000);
	CHECK_EQ_STR(r.out_refund_no, "R20261128-00000017-42-1");
	CHECK_EQ_INT(wechat_refund_parse(note, strlen(note), &r, err, sizeof err), 0);
	CHECK_EQ_STR(r.status, "SUCCESS"); CHECK_EQ_STR(r.mchid, "1900000100");
	CHECK_EQ_INT(refund_state_parse(r.status), REFUND_SUCCESS);
}

TEST(refund_parse_refuses_what_is_not_a_refund)
{
	static const char *const bad[] = { "", "[]", "{\"out_trade_no\":\"T1\"}",
	    "{\"out_trade_no\":\"T1\",\"out_refund_no\":\"R1\",\"refund_id\":\"5\",\"status\":\"SUCCESS\"}",
	    "{\"out_trade_no\":\"T1\",\"out_refund_no\":\"R1\",\"refund_id\":\"5\",\"status\":\"SUCCESS\","
	    "\"amount\":{\"total\":1.5,\"refund\":1}}",
	    "{\"out_trade_no\":\"T1\",\"out_refund_no\":\"R1\",\"refund_id\":\"5\",\"amount\":{\"total\":1,\"refund\":1}}",
	    "{\"out_trade_no\":\"T1\",\"out_refund_no\":\"R1\",\"refund_id\":\"5\",\"status\":\"SUCCESS\","
	    "\"amount\":{\"total\":1,\"refund\":-1}}" };
	struct wechat_refund r;
	char err[128];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = wechat_refund_parse(bad[i], strlen(bad[i]), &r, err, sizeof err);
		if (rc == 0)
			printf("# accepted %s\n", bad[i]);
		CHECK(rc != 0);
	}
}

TEST(refund_states_map_and_only_closed_or_abnormal_reverse)
{
	CHECK_EQ_STR(refund_state_db(refund_state_parse("PROCESSING")), "processing");
	CHECK_EQ_STR(refund_state_db(refund_state_parse("CLOSED")), "closed");
	CHECK_EQ_STR(refund_state_db(refund_state_parse("ABNORMAL")), "abnormal");
	CHECK_EQ_INT(refund_state_parse("REFUNDED"), REFUND_UNKNOWN);
	CHECK(refund_state_reverses(REFUND_CLOSED));
	CHECK(refund_state_reverses(REFUND_ABNORMAL));
	CHECK(!refund_state_reverses(REFUND_SUCCESS));
	CHECK(!refund_state_reverses(REFUND_PROCESSING));
}

TEST(refund_body_is_the_api_request)
{
	char body[512];

	CHECK_EQ_INT(wechat_refund_body("T1xxxx", "R1xxxx", "move \"out\"", "https://x/pay/wechat/refund-notify", 2500, 10000,
	    body, sizeof body), 0);
	CHECK_EQ_STR(body, "{\"out_trade_no\":\"T1xxxx\",\"out_refund_no\":\"R1xxxx\",\"reason\":\"move \\\"out\\\"\","
	    "\"notify_url\":\"https://x/pay/wechat/refund-notify\",\"amount\":{\"refund\":2500,\"total\":10000,"
	    "\"currency\":\"CNY\"}}");
	CHECK(wechat_refund_body("T1xxxx", "R1xxxx", NULL, NULL, 1, 1, body, 20) != 0);
}

TEST(refund_errors_retry_only_when_a_retry_can_help)
{
	CHECK(wechat_refund_error_retryable(0, ""));
	CHECK(wechat_refund_error_retryable(500, "SYSTEM_ERROR"));
	CHECK(wechat_refund_error_retryable(429, "FREQUENCY_LIMITED"));
	CHECK(wechat_refund_error_retryable(403, "NOT_ENOUGH"));
	CHECK(!wechat_refund_error_retryable(400, "INVALID_REQUEST"));
	CHECK(!wechat_refund_error_retryable(404, "RESOURCE_NOT_EXISTS"));
	CHECK(!wechat_refund_error_retryable(403, "USER_ACCOUNT_ABNORMAL"));
}

TEST(refund_jobs_schedule_the_next_sweep_and_reconciliation)
{
	char day[11];
	int64_t t = 1795824000;	/* 2026-11-28 00:00:00 UTC = 08:00 Beijing */

	CHECK_EQ_INT(refund_jobs_next_sweep(t), t + 60);
	CHECK_EQ_INT(refund_jobs_next_sweep(t + 59), t + 60);
	CHECK_EQ_INT(refund_jobs_next_sweep(t + 60), t + 120);
	/* 10:30 Beijing the same day; once past it, the next day's */
	CHECK_EQ_INT(refund_jobs_next_recon(t), t + 9000);
	CHECK_EQ_INT(refund_jobs_next_recon(t + 9000), t + 9000 + 86400);
	CHECK_EQ_INT(refund_jobs_next_recon(t + 86399), t + 9000 + 86400);
	/* the day reconciled is yesterday in Beijing */
	refund_jobs_recon_date(t + 9000, day);
	CHECK_EQ_STR(day, "2026-11-27");
	refund_jobs_recon_date(t - 8 * 3600, day);	/* 00:00 Beijing on the 28th */
	CHECK_EQ_STR(day, "2026-11-27");
	refund_jobs_recon_date(t - 8 * 3600 - 1, day);
	CHECK_EQ_STR(day, "2026-11-26");
}

int
main(void)
{
	RUN(refund_plan_takes_newest_first_within_refundable);
	RUN(refund_plan_stops_when_the_balance_is_covered);
	RUN(refund_plan_reports_what_payments_cannot_cover);
	RUN(refund_plan_refuses_impossible_input);
	RUN(refund_numbers_say_day_account_payment_and_count);
	RUN(refund_answer_and_notification_parse_alike);
	RUN(refund_parse_refuses_what_is_not_a_refund);
	RUN(refund_states_map_and_only_closed_or_abnormal_reverse);
	RUN(refund_body_is_the_api_request);
	RUN(refund_errors_retry_only_when_a_retry_can_help);
	RUN(refund_jobs_schedule_the_next_sweep_and_reconciliation);
	return unit_done();
}
