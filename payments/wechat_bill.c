#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include "lib/money.h"
#include "payments/wechat_bill.h"

#define BILL_MAX_COLS 40
#define BILL_MAX_ROWS 1000000

/* Splits one line at commas; strips the backtick prefix of each value. */
static int
split(char *line, char **cols, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *c = strchr(p, ',');
		if (n >= max)
			return -1;
		if (c != NULL)
			*c = '\0';
		cols[n++] = *p == '`' ? p + 1 : p;
		if (c == NULL)
			return n;
		p = c + 1;
	}
}

static int
col_index(char **cols, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(cols[i], name) == 0)
			return i;
	return -1;
}

static int
yuan(const char *s, int64_t *fen)
{
	if (*s == '\0') {
		*fen = 0;
		return 0;
	}
	return money_parse_yuan(s, fen);
}

static void
put(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

enum { C_TIME, C_APPID, C_MCHID, C_TXN, C_NO, C_TYPE, C_STATE, C_CUR, C_AMOUNT, C_REFUND, NC };
static const char *const col_names[NC] = {
	"交易时间", "公众账号ID", "商户号", "微信订单号", "商户订单号", "交易类型", "交易状态", "货币种类",
	"应结订单金额", "退款金额",
};

int
wechat_bill_parse(const char *text, size_t len, struct wechat_bill *b, char *err, size_t errlen)
{
	char *buf, *line, *next, *cols[BILL_MAX_COLS];
	int idx[NC], ncols = 0, lineno = 0, cap = 0, in_summary = 0, have_header = 0, have_summary = 0, n;
	int64_t sum = 0;

	memset(b, 0, sizeof *b);
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "the bill contains a NUL byte");
		return -1;
	}
	if ((buf = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	line = buf;
	if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	for (; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line != '\0' && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (*line == '\0')
			continue;
		if ((n = split(line, cols, BILL_MAX_COLS)) < 0) {
			snprintf(err, errlen, "line %d: more than %d columns", lineno, BILL_MAX_COLS);
			goto fail;
		}
		if (!have_header) {
			for (int i = 0; i < NC; i++)
				if ((idx[i] = col_index(cols, n, col_names[i])) < 0) {
					snprintf(err, errlen, "line %d: the header has no column %s", lineno, col_names[i]);
					goto fail;
				}
			ncols = n;
			have_header = 1;
			continue;
		}
		if (strcmp(cols[0], "总交易单数") == 0) {
			in_summary = 1;
			if (col_index(cols, n, "应结订单总金额") != 1) {
				snprintf(err, errlen, "line %d: the summary header is not 总交易单数,应结订单总金额,…", lineno);
				goto fail;
			}
			continue;
		}
		if (in_summary) {
			if (have_summary || n < 2 || money_parse_yuan(cols[1], &b->summary_amount_fen) != 0) {
				snprintf(err, errlen, "line %d: the summary line is not a count and a yuan amount", lineno);
				goto fail;
			}
			char *end;
			b->summary_count = strtoll(cols[0], &end, 10);
			if (*cols[0] == '\0' || *end != '\0' || b->summary_count < 0) {
				snprintf(err, errlen, "line %d: the trade count '%.20s' is not a number", lineno, cols[0]);
				goto fail;
			}
			have_summary = 1;
			continue;
		}
		if (n != ncols) {
			snprintf(err, errlen, "line %d: %d columns, the header has %d", lineno, n, ncols);
			goto fail;
		}
		if (b->nrows >= BILL_MAX_ROWS) {
			snprintf(err, errlen, "more than %d rows", BILL_MAX_ROWS);
			goto fail;
		}
		if (b->nrows == cap) {
			cap = cap ? cap * 2 : 64;
			struct wechat_bill_row *r = realloc(b->rows, (size_t)cap * sizeof *r);
			if (r == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			b->rows = r;
		}
		struct wechat_bill_row *r = &b->rows[b->nrows];
		memset(r, 0, sizeof *r);
		if (yuan(cols[idx[C_AMOUNT]], &r->amount_fen) != 0 || yuan(cols[idx[C_REFUND]], &r->refund_fen) != 0) {
			snprintf(err, errlen, "line %d: an amount is not yuan with at most two decimals", lineno);
			goto fail;
		}
		put(r->time, sizeof r->time, cols[idx[C_TIME]]);
		put(r->appid, sizeof r->appid, cols[idx[C_APPID]]);
		put(r->mchid, sizeof r->mchid, cols[idx[C_MCHID]]);
		put(r->transaction_id, sizeof r->transaction_id, cols[idx[C_TXN]]);
		put(r->out_trade_no, sizeof r->out_trade_no, cols[idx[C_NO]]);
		put(r->trade_type, sizeof r->trade_type, cols[idx[C_TYPE]]);
		put(r->trade_state, sizeof r->trade_state, cols[idx[C_STATE]]);
		put(r->currency, sizeof r->currency, cols[idx[C_CUR]]);
		sum += r->amount_fen;
		b->nrows++;
	}
	if (!have_header || !have_summary) {
		snprintf(err, errlen, "the bill has no %s", have_header ? "summary" : "header");
		goto fail;
	}
	if (b->summary_count != b->nrows || b->summary_amount_fen != sum) {
		snprintf(err, errlen, "the summary says %lld trades, ¥%lld.%02lld; the rows are %d, ¥%lld.%02lld",
		    (long long)b->summary_count, (long long)(b->summary_amount_fen / 100),
		    (long long)(b->summary_amount_fen % 100), b->nrows, (long long)(sum / 100), (long long)(sum % 100));
		goto fail;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	wechat_bill_free(b);
	return -1;
}

void
wechat_bill_free(struct wechat_bill *b)
{
	free(b->rows);
	memset(b, 0, sizeof *b);
}

void
wechat_bill_sha1(const void *data, size_t len, char hex[41])
{
	unsigned char md[SHA_DIGEST_LENGTH];

	SHA1(data, len, md);
	for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

const char *
recon_issue_name(enum recon_issue i)
{
	switch (i) {
	case RECON_MISSING_HERE: return "missing_here";
	case RECON_MISSING_THERE: return "missing_there";
	case RECON_AMOUNT: return "amount";
	case RECON_TRANSACTION: return "transaction";
	}
	return "?";
}

static int
add_line(struct recon_report *r, enum recon_issue issue, const char *no, int64_t ours, int64_t theirs)
{
	struct recon_line *l = realloc(r->lines, (size_t)(r->nlines + 1) * sizeof *l);

	if (l == NULL)
		return -1;
	r->lines = l;
	l += r->nlines++;
	l->issue = issue;
	put(l->out_trade_no, sizeof l->out_trade_no, no);
	l->ours_fen = ours;
	l->theirs_fen = theirs;
	return 0;
}

static int
cmp_row(const void *a, const void *b)
{
	return strcmp((*(const struct wechat_bill_row *const *)a)->out_trade_no,
	    (*(const struct wechat_bill_row *const *)b)->out_trade_no);
}

static int
cmp_pay(const void *a, const void *b)
{
	return strcmp((*(const struct recon_payment *const *)a)->out_trade_no,
	    (*(const struct recon_payment *const *)b)->out_trade_no);
}

int
recon_compare(const struct wechat_bill *b, const struct recon_payment *pays, int npays, struct recon_report *r)
{
	const struct wechat_bill_row **rows = calloc((size_t)b->nrows + 1, sizeof *rows);
	const struct recon_payment **ps = calloc((size_t)npays + 1, sizeof *ps);
	int nr = 0, np = 0, i = 0, j = 0, rc = -1;

	memset(r, 0, sizeof *r);
	if (rows == NULL || ps == NULL)
		goto out;
	for (int k = 0; k < b->nrows; k++)
		if (strcmp(b->rows[k].trade_state, "SUCCESS") == 0)
			rows[nr++] = &b->rows[k];
	for (int k = 0; k < npays; k++)
		if (pays[k].credited)
			ps[np++] = &pays[k];
	qsort(rows, (size_t)nr, sizeof *rows, cmp_row);
	qsort(ps, (size_t)np, sizeof *ps, cmp_pay);
	/* a merge of two sorted lists: each order is looked at once */
	while (i < nr || j < np) {
		int c = i >= nr ? 1 : j >= np ? -1 : strcmp(rows[i]->out_trade_no, ps[j]->out_trade_no);
		if (c < 0) {
			if (add_line(r, RECON_MISSING_HERE, rows[i]->out_trade_no, 0, rows[i]->amount_fen) != 0)
				goto out;
			i++;
		} else if (c > 0) {
			if (add_line(r, RECON_MISSING_THERE, ps[j]->out_trade_no, ps[j]->amount_fen, 0) != 0)
				goto out;
			j++;
		} else {
			if (rows[i]->amount_fen != ps[j]->amount_fen) {
				if (add_line(r, RECON_AMOUNT, ps[j]->out_trade_no, ps[j]->amount_fen, rows[i]->amount_fen) != 0)
					goto out;
			} else if (strcmp(rows[i]->transaction_id, ps[j]->transaction_id) != 0) {
				if (add_line(r, RECON_TRANSACTION, ps[j]->out_trade_no, ps[j]->amount_fen, rows[i]->amount_fen) != 0)
					goto out;
			} else {
				r->matched++;
				r->matched_fen += ps[j]->amount_fen;
			}
			i++;
			j++;
		}
	}
	rc = 0;
out:
	free(rows);
	free(ps);
	if (rc != 0)
		recon_report_free(r);
	return rc;
}

void
recon_report_free(struct recon_report *r)
{
	free(r->lines);
	memset(r, 0, sizeof *r);
}
