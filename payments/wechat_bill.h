/*
 * WeChat Pay's daily trade bill (GET /v3/bill/tradebill → download) and
 * reconciliation against our payments, both pure: the bill text comes in
 * (already un-gzipped), rows and a report come out.
 *
 * The bill is UTF-8 with a BOM, CSV whose every value starts with a
 * backtick, a header naming the columns, one row per trade, then a summary
 * header and line (总交易单数, 应结订单总金额 …); amounts are yuan.
 */
#ifndef PREPAY_PAYMENTS_WECHAT_BILL_H
#define PREPAY_PAYMENTS_WECHAT_BILL_H
#include <stddef.h>
#include <stdint.h>

struct wechat_bill_row {
	char time[20];			/* 交易时间 "2026-11-27 10:00:00" (Beijing time) */
	char appid[33], mchid[33];
	char transaction_id[33];	/* 微信订单号 */
	char out_trade_no[33];		/* 商户订单号 */
	char trade_type[17];
	char trade_state[17];		/* SUCCESS, REFUND, REVOKED … */
	char currency[8];
	int64_t amount_fen;		/* 应结订单金额 */
	int64_t refund_fen;		/* 退款金额 */
};

struct wechat_bill {
	int nrows;
	struct wechat_bill_row *rows;
	int64_t summary_count;		/* 总交易单数 */
	int64_t summary_amount_fen;	/* 应结订单总金额 */
};

/* 0, or -1 with what is wrong (line number, column) in err. The rows must
 * add up to the summary. */
int wechat_bill_parse(const char *text, size_t len, struct wechat_bill *, char *err, size_t errlen);
void wechat_bill_free(struct wechat_bill *);

/* SHA1 of the downloaded file as hex, to compare with hash_value. */
void wechat_bill_sha1(const void *data, size_t len, char hex[41]);

/* One of our payments for the bill's day. */
struct recon_payment {
	const char *out_trade_no, *transaction_id;
	int64_t amount_fen;
	int credited;
};

enum recon_issue {
	RECON_MISSING_HERE,	/* paid there, not credited here: credit it through the query path */
	RECON_MISSING_THERE,	/* credited here, not in their bill */
	RECON_AMOUNT,		/* both, different amounts */
	RECON_TRANSACTION,	/* both, different transaction ids */
};
const char *recon_issue_name(enum recon_issue);

struct recon_line {
	enum recon_issue issue;
	char out_trade_no[33];
	int64_t ours_fen, theirs_fen;
};

struct recon_report {
	int64_t matched, matched_fen;
	int nlines;
	struct recon_line *lines;
};

/* Compares SUCCESS rows of the bill with our payments (any order). */
int recon_compare(const struct wechat_bill *, const struct recon_payment *, int npayments, struct recon_report *);
void recon_report_free(struct recon_report *);

#endif
