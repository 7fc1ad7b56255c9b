/* The pure alert core: texts in both languages, quiet hours, contact checks. */
#include <string.h>
#include "tests/unit/unit.h"
#include "alerts/message.h"
#include "billing/tz.h"

static int64_t
local(int y, int m, int d, int hh, int mm)
{
	return tz_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

TEST(low_balance_in_chinese_has_yuan_amounts)
{
	struct alert_facts f = { .kind = "balance_low_1", .account = "demo/t01-e", .balance_fen = 9950,
		.threshold_fen = 10000, .has_balance = 1, .has_threshold = 1, .event_local = "2026-03-04T10:00" };
	struct alert_text t;

	alert_render(&f, ALERT_ZH, &t);
	CHECK_EQ_STR(t.text, "您的账户demo/t01-e余额为¥99.50，已低于提醒线¥100.00，请及时充值。");
	CHECK_EQ_STR(t.title, "余额不足提醒");
	CHECK_EQ_INT(t.nparams, 3);
	CHECK_EQ_STR(t.params[1], "99.50");
}

TEST(level_two_in_english_warns_of_the_cut)
{
	struct alert_facts f = { .kind = "balance_low_2", .account = "demo/t01-e", .balance_fen = 2999,
		.threshold_fen = 3000, .has_balance = 1, .has_threshold = 1 };
	struct alert_text t;

	alert_render(&f, ALERT_EN, &t);
	CHECK_EQ_STR(t.text, "Account demo/t01-e: the balance is ¥29.99, below ¥30.00. The supply will be cut "
	    "when it runs out: please top up soon.");
}

TEST(cut_warning_says_when_and_how_much)
{
	struct alert_facts f = { .kind = "cut_warning", .account = "p/a1", .balance_fen = -101, .need_fen = 101,
		.has_balance = 1, .has_need = 1, .cut_at_local = "2026-03-09T08:00", .delayed_by = "night, weekend" };
	struct alert_text t;

	alert_render(&f, ALERT_ZH, &t);
	CHECK_EQ_STR(t.text, "您的账户p/a1已欠费（余额¥-1.01），将于03-09 08:00停止供电（已避开夜间/周末/节假日）。"
	    "充值¥1.01即可避免停电。");
	alert_render(&f, ALERT_EN, &t);
	CHECK_EQ_STR(t.text, "Account p/a1 is in debt (balance ¥-1.01); the supply will be cut at 03-09 08:00 "
	    "(after the night, weekend). Pay ¥1.01 to keep it on.");
}

TEST(cut_restored_and_payment_texts)
{
	struct alert_facts f = { .kind = "supply_cut", .account = "p/a1", .balance_fen = -201, .need_fen = 201,
		.has_need = 1, .event_local = "2026-03-04T10:30" };
	struct alert_text t;

	alert_render(&f, ALERT_ZH, &t);
	CHECK_EQ_STR(t.text, "您的账户p/a1因欠费已于03-04 10:30停止供电（余额¥-2.01）。充值¥2.01即可恢复供电。");
	f.kind = "supply_restored";
	f.balance_fen = 0;
	alert_render(&f, ALERT_EN, &t);
	CHECK_EQ_STR(t.text, "Account p/a1: the supply is back on since 03-04 10:30; the balance is ¥0.00.");
	f.kind = "payment_received";
	f.amount_fen = 10000;
	f.has_amount = 1;
	f.balance_fen = 9799;
	alert_render(&f, ALERT_ZH, &t);
	CHECK_EQ_STR(t.text, "您的账户p/a1收到充值¥100.00，当前余额¥97.99（03-04 10:30）。");
}

TEST(unknown_kinds_go_to_operators_with_the_reason)
{
	struct alert_facts f = { .kind = "meter_offline", .reason = "meter m7 has not answered for 3 cycles",
		.event_local = "2026-03-04T10:30" };
	struct alert_text t;

	CHECK_EQ_INT(alert_kind_find("meter_offline")->audience, ALERT_OPERATOR);
	CHECK_EQ_INT(alert_kind_find("something_new")->audience, ALERT_OPERATOR);
	CHECK_EQ_INT(alert_kind_find("balance_low_1")->audience, ALERT_TENANT);
	alert_render(&f, ALERT_EN, &t);
	CHECK_EQ_STR(t.text, "[Meter offline] meter m7 has not answered for 3 cycles (03-04 10:30)");
}

TEST(only_cut_messages_and_answers_are_urgent)
{
	CHECK(alert_kind_find("cut_warning")->urgent);
	CHECK(alert_kind_find("supply_cut")->urgent);
	CHECK(!alert_kind_find("balance_low_1")->urgent);
	CHECK(!alert_kind_find("balance_low_2")->urgent);
}

TEST(quiet_hours_wrapping_midnight)
{
	/* 22:00-08:00 */
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 4, 21, 59), 1320, 480), local(2026, 3, 4, 21, 59));
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 4, 22, 0), 1320, 480), local(2026, 3, 5, 8, 0));
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 4, 23, 30), 1320, 480), local(2026, 3, 5, 8, 0));
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 5, 3, 0), 1320, 480), local(2026, 3, 5, 8, 0));
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 5, 7, 59), 1320, 480), local(2026, 3, 5, 8, 0));
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 5, 8, 0), 1320, 480), local(2026, 3, 5, 8, 0));
	/* Dec 31 → Jan 1 */
	CHECK_EQ_INT(alert_quiet_until(local(2026, 12, 31, 23, 0), 1320, 480), local(2027, 1, 1, 8, 0));
}

TEST(quiet_hours_within_a_day_and_none)
{
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 4, 12, 30), 720, 840), local(2026, 3, 4, 14, 0));
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 4, 14, 0), 720, 840), local(2026, 3, 4, 14, 0));
	CHECK_EQ_INT(alert_quiet_until(local(2026, 3, 4, 23, 0), 0, 0), local(2026, 3, 4, 23, 0));
}

TEST(quiet_hours_parse)
{
	int a, b;

	CHECK(alert_quiet_parse("22:00-08:00", &a, &b) == 0 && a == 1320 && b == 480);
	CHECK(alert_quiet_parse("none", &a, &b) == 0 && a == 0 && b == 0);
	CHECK_EQ_INT(alert_quiet_parse("22-8", &a, &b), -1);
	CHECK_EQ_INT(alert_quiet_parse("24:00-08:00", &a, &b), -1);
	CHECK_EQ_INT(alert_quiet_parse("08:00-08:00", &a, &b), -1);
}

TEST(phone_numbers_must_be_e164)
{
	char err[300];

	CHECK_EQ_INT(alert_contact_check("sms", "+8613800138000", err, sizeof err), 0);
	CHECK_EQ_INT(alert_contact_check("sms", "+4915112345678", err, sizeof err), 0);
	CHECK_EQ_INT(alert_contact_check("sms", "13800138000", err, sizeof err), -1);
	CHECK(strstr(err, "is not E.164") != NULL);
	CHECK_EQ_INT(alert_contact_check("sms", "+86138001380", err, sizeof err), -1);
	CHECK_EQ_INT(alert_contact_check("sms", "+8623800138000", err, sizeof err), -1);
	CHECK_EQ_INT(alert_contact_check("sms", "+86 13800138000", err, sizeof err), -1);
	CHECK_EQ_INT(alert_contact_check("sms", "+12ab", err, sizeof err), -1);
}

TEST(openids_and_webhook_urls)
{
	char err[300];

	CHECK_EQ_INT(alert_contact_check("wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", err, sizeof err), 0);
	CHECK_EQ_INT(alert_contact_check("wechat", "o pen id", err, sizeof err), -1);
	CHECK(strstr(err, "openid") != NULL);
	CHECK_EQ_INT(alert_contact_check("webhook", "https://ops.example.com/hook", err, sizeof err), 0);
	CHECK_EQ_INT(alert_contact_check("webhook", "ftp://x", err, sizeof err), -1);
	CHECK_EQ_INT(alert_contact_check("webhook", "http://", err, sizeof err), -1);
	CHECK_EQ_INT(alert_contact_check("fax", "x", err, sizeof err), -1);
}

TEST(kind_lists)
{
	char err[400];

	CHECK(alert_kinds_include("*", "supply_cut"));
	CHECK(alert_kinds_include("balance_low_1,supply_cut", "supply_cut"));
	CHECK(!alert_kinds_include("balance_low_1,supply_cut", "supply"));
	CHECK(!alert_kinds_include("balance_low_10", "balance_low_1"));
	CHECK_EQ_INT(alert_kinds_check("balance_low_1,cut_warning", err, sizeof err), 0);
	CHECK_EQ_INT(alert_kinds_check("balance_low_3", err, sizeof err), -1);
	CHECK(strstr(err, "balance_low_3") != NULL);
}

int
main(void)
{
	RUN(low_balance_in_chinese_has_yuan_amounts);
	RUN(level_two_in_english_warns_of_the_cut);
	RUN(cut_warning_says_when_and_how_much);
	RUN(cut_restored_and_payment_texts);
	RUN(unknown_kinds_go_to_operators_with_the_reason);
	RUN(only_cut_messages_and_answers_are_urgent);
	RUN(quiet_hours_wrapping_midnight);
	RUN(quiet_hours_within_a_day_and_none);
	RUN(quiet_hours_parse);
	RUN(phone_numbers_must_be_e164);
	RUN(openids_and_webhook_urls);
	RUN(kind_lists);
	return unit_done();
}
