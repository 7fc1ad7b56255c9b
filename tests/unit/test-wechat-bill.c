/* The WeChat Pay trade bill parser and reconciliation: BOM, backticks,
 * the summary block, yuan amounts, and each kind of mismatch. */
#include <stdlib.h>
#include <string.h>
#include "payments/wechat_bill.h"
#include "tests/unit/unit.h"

#define HEADER "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态," \
	"付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态," \
	"商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"
#define ROW(no, txn, state, amount) "`2026-11-27 10:00:00,`wxd678efh567hg6787,`1900000109,`0,`,`" txn ",`" no \
	",`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`" state ",`OTHERS,`CNY,`" amount ",`0.00,`0,`0,`0.00,`0.00,`,`," \
	"`Prepaid energy top-up,`,`0.00600,`0.60%,`" amount ",`0.00,`\r\n"
#define SUMMARY(n, total) "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n" \
	"`" n ",`" total ",`0.00,`0.00,`0.01800,`" total ",`0.00\r\n"

static const char bill[] = "\xEF\xBB\xBF" HEADER
    ROW("T20261127-00000001-aaaaaaaa", "4200000001", "SUCCESS", "100.00")
    ROW("T20261127-00000002-bbbbbbbb", "4200000002", "SUCCESS", "0.01")
    ROW("T20261127-00000003-cccccccc", "4200000003", "SUCCESS", "35.50")
    SUMMARY("3", "135.51");

TEST(bill_parses_bom_backticks_summary_and_yuan)
{
	struct wechat_bill b;
	char err[200];

	CHECK_EQ_INT(wechat_bill_parse(bill, strlen(bill), &b, err, sizeof err), 0);
	CHECK_EQ_INT(b.nrows, 3);
	CHECK_EQ_STR(b.rows[0].time, "2026-11-27 10:00:00");
	CHECK_EQ_STR(b.rows[0].out_trade_no, "T20261127-00000001-aaaaaaaa");
	CHECK_EQ_STR(b.rows[0].transaction_id, "4200000001");
	CHECK_EQ_STR(b.rows[1].trade_state, "SUCCESS");
	CHECK_EQ_INT(b.rows[1].amount_fen, 1);
	CHECK_EQ_INT(b.rows[2].amount_fen, 3550);
	CHECK_EQ_INT(b.summary_count, 3);
	CHECK_EQ_INT(b.summary_amount_fen, 13551);
	wechat_bill_free(&b);
}

TEST(bill_refuses_a_summary_that_does_not_add_up_and_bad_amounts)
{
	struct wechat_bill b;
	char err[200];
	const char *wrong_total = HEADER ROW("T1", "42", "SUCCESS", "1.00") SUMMARY("1", "1.01");
	const char *wrong_count = HEADER ROW("T1", "42", "SUCCESS", "1.00") SUMMARY("2", "1.00");
	const char *bad_amount = HEADER ROW("T1", "42", "SUCCESS", "1.001") SUMMARY("1", "1.001");
	const char *no_summary = HEADER ROW("T1", "42", "SUCCESS", "1.00");
	const char *no_column = "交易时间,商户号\n`x,`y\n";

	CHECK_EQ_INT(wechat_bill_parse(wrong_total, strlen(wrong_total), &b, err, sizeof err), -1);
	CHECK(strstr(err, "summary says") != NULL);
	CHECK_EQ_INT(wechat_bill_parse(wrong_count, strlen(wrong_count), &b, err, sizeof err), -1);
	CHECK_EQ_INT(wechat_bill_parse(bad_amount, strlen(bad_amount), &b, err, sizeof err), -1);
	CHECK(strstr(err, "line 2") != NULL);
	CHECK_EQ_INT(wechat_bill_parse(no_summary, strlen(no_summary), &b, err, sizeof err), -1);
	CHECK_EQ_INT(wechat_bill_parse(no_column, strlen(no_column), &b, err, sizeof err), -1);
	CHECK(strstr(err, "公众账号ID") != NULL);
}

TEST(bill_sha1_is_hex_of_the_file)
{
	char hex[41];

	wechat_bill_sha1("abc", 3, hex);
	CHECK_EQ_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(recon_reports_each_kind_of_mismatch_once)
{
	struct wechat_bill b;
	struct recon_report r;
	char err[200];
	const char *text = HEADER
	    ROW("T-a", "4201", "SUCCESS", "100.00")	/* matches */
	    ROW("T-b", "4202", "SUCCESS", "20.00")	/* not credited here */
	    ROW("T-c", "4203", "SUCCESS", "30.00")	/* amount differs */
	    ROW("T-e", "4205", "SUCCESS", "50.00")	/* another transaction */
	    ROW("T-f", "4206", "REFUND", "60.00")	/* not a payment row */
	    SUMMARY("5", "260.00");
	struct recon_payment pays[] = {
		{ "T-e", "4299", 5000, 1 },
		{ "T-d", "4204", 4000, 1 },	/* credited here, not in the bill */
		{ "T-c", "4203", 3100, 1 },
		{ "T-a", "4201", 10000, 1 },
		{ "T-g", NULL, 7000, 0 },	/* never paid: not ours to report */
	};

	CHECK_EQ_INT(wechat_bill_parse(text, strlen(text), &b, err, sizeof err), 0);
	CHECK_EQ_INT(recon_compare(&b, pays, 5, &r), 0);
	CHECK_EQ_INT(r.matched, 1);
	CHECK_EQ_INT(r.matched_fen, 10000);
	CHECK_EQ_INT(r.nlines, 4);
	if (r.nlines == 4) {
		CHECK_EQ_STR(r.lines[0].out_trade_no, "T-b");
		CHECK_EQ_STR(recon_issue_name(r.lines[0].issue), "missing_here");
		CHECK_EQ_INT(r.lines[0].theirs_fen, 2000);
		CHECK_EQ_STR(r.lines[1].out_trade_no, "T-c");
		CHECK_EQ_STR(recon_issue_name(r.lines[1].issue), "amount");
		CHECK_EQ_INT(r.lines[1].ours_fen - r.lines[1].theirs_fen, 100);
		CHECK_EQ_STR(r.lines[2].out_trade_no, "T-d");
		CHECK_EQ_STR(recon_issue_name(r.lines[2].issue), "missing_there");
		CHECK_EQ_STR(r.lines[3].out_trade_no, "T-e");
		CHECK_EQ_STR(recon_issue_name(r.lines[3].issue), "transaction");
	}
	recon_report_free(&r);
	wechat_bill_free(&b);
}

int
main(void)
{
	RUN(bill_parses_bom_backticks_summary_and_yuan);
	RUN(bill_refuses_a_summary_that_does_not_add_up_and_bad_amounts);
	RUN(bill_sha1_is_hex_of_the_file);
	RUN(recon_reports_each_kind_of_mismatch_once);
	return unit_done();
}
