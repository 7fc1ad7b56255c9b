/*
 * The pure statement assembly: lines add up to the totals exactly, the
 * month is rounded once, the money part reconciles, and a statement whose
 * lines were tampered with is caught. No database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing/statement.h"
#include "billing/tariff_json.h"
#include "tests/unit/unit.h"

static const char *tariff_text =
	"{\"id\": \"t\", \"energy\": \"electricity\", \"versions\": [{\"effective_from\": \"2024-01-01\","
	" \"prices\": {\"peak\": \"1.0826\", \"flat\": \"0.6523\", \"valley\": \"0.2812\"},"
	" \"schedules\": {\"d\": [{\"from\": \"00:00\", \"to\": \"08:00\", \"band\": \"valley\"},"
	" {\"from\": \"08:00\", \"to\": \"12:00\", \"band\": \"peak\"}, {\"from\": \"12:00\", \"to\": \"24:00\", \"band\": \"flat\"}]},"
	" \"seasons\": [{\"name\": \"all\", \"months\": [\"1-12\"], \"weekday\": \"d\"}],"
	" \"charges\": [{\"kind\": \"monthly\", \"name\": \"rental\", \"price\": \"13.33\"}], \"service_fee_bp\": 333}]}";

struct fixture {
	struct tariff *t;
	struct tz *z;
	struct rate_ctx *ctx;
	struct rate_state s;
	struct rate_result *meter[2];
	struct rate_result *fixed;
	int64_t fen;		/* what real time would have debited */
};

static void
fixture(struct fixture *f)
{
	char err[300];
	struct rate_override ov = { 0, 0, -500 };
	struct rate_state rt = { 0 };
	int64_t start = 1706716800;	/* 2024-02-01T00:00 +08:00 */

	memset(f, 0, sizeof *f);
	f->t = tariff_json_parse(tariff_text, strlen(tariff_text), err, sizeof err);
	f->z = tz_fixed("CST", 8 * 3600);
	f->ctx = rate_ctx_new(f->t, NULL, f->z, &ov, err, sizeof err);
	f->meter[0] = rate_result_new();
	f->meter[1] = rate_result_new();
	f->fixed = rate_result_new();
	for (int i = 0; i < 2000; i++) {
		struct rate_usage u = { start + i * 900, start + (i + 1) * 900, 1000 + (i * 7919) % 3001, RATE_BAND_SCHEDULE };
		struct rate_debit d[4];
		int n;
		rate_add(f->ctx, &f->s, &u, f->meter[i % 2], err, sizeof err);
		rate_debit(f->ctx, &rt, &u, d, 4, &n, err, sizeof err);
		for (int k = 0; k < n; k++)
			f->fen += d[k].fen;
	}
	/* standing charges through the 20th */
	rate_fixed(f->ctx, f->fixed, start, start + 20 * 86400, 0, err, sizeof err);
	f->fen += rate_round_fen(rate_state_nyuan(&rt) + f->fixed->fixed[0].amount_nyuan) - rate_round_fen(rate_state_nyuan(&rt));
}

static void
fixture_free(struct fixture *f)
{
	rate_result_free(f->meter[0]);
	rate_result_free(f->meter[1]);
	rate_result_free(f->fixed);
	rate_ctx_free(f->ctx);
	tz_free(f->z);
	tariff_free(f->t);
}

static void
build(struct fixture *f, struct stmt *st)
{
	struct stmt_entry e[2] = {
		{ "topup", 50000, "cash", "r1", "2024-02-03 10:00", "" },
		{ "adjustment", -1234, "adjustment", "", "2024-02-09 11:00", "meter test" },
	};
	struct stmt_usage u = { .energy = "electricity", .ctx = f->ctx, .nmeters = 2, .meter = { "m1", "m2" },
	    .res = { f->meter[0], f->meter[1] }, .state = &f->s, .fixed = f->fixed, .debited_fen = f->fen,
	    .readings_fen = f->fen };

	stmt_init(st, 7, 1, 202402, "demo/t01-e", "Asia/Shanghai");
	stmt_ledger(st, 10000, e, 2, 10000 + 50000 - 1234 - 30000);
	stmt_usage(st, &u);
	stmt_finish(st);
}

TEST(usage_lines_add_up_and_round_once)
{
	struct fixture f;
	struct stmt st;
	char why[300];
	int64_t sum = 0, rounding = 0, total = 0;

	fixture(&f);
	build(&f, &st);
	CHECK(stmt_check(&st, why, sizeof why) == 0);
	for (int i = 0; i < st.nlines; i++) {
		const struct stmt_line *l = &st.lines[i];
		if (strcmp(l->section, "usage") == 0 || strcmp(l->section, "fixed") == 0 ||
		    strcmp(l->section, "adjust") == 0 || strcmp(l->section, "fee") == 0)
			sum += l->amount_nyuan;
		if (strcmp(l->section, "rounding") == 0)
			rounding = l->amount_nyuan;
		if (strcmp(l->section, "total") == 0)
			total = l->amount_nyuan;
		if (l->has_qty && l->has_price && strcmp(l->section, "usage") == 0)
			CHECK_EQ_INT(l->quantity_milli * l->price_uyuan, l->amount_nyuan);
	}
	CHECK_EQ_INT(sum + rounding, total);
	CHECK(rounding > -5000000 && rounding <= 5000000);
	CHECK_EQ_INT(total % 10000000, 0);
	CHECK_EQ_INT(st.usage_fen, f.fen);
	CHECK_EQ_INT(st.mismatch, 0);
	stmt_free(&st);
	fixture_free(&f);
}

TEST(money_part_reconciles)
{
	struct fixture f;
	struct stmt st;

	fixture(&f);
	build(&f, &st);
	CHECK_EQ_INT(st.opening_fen, 10000);
	CHECK_EQ_INT(st.credits_fen, 50000);
	CHECK_EQ_INT(st.debits_fen, 1234);
	CHECK_EQ_INT(st.posted_fen, 30000);
	CHECK_EQ_INT(st.opening_fen + st.credits_fen - st.debits_fen - st.posted_fen, st.closing_fen);
	stmt_free(&st);
	fixture_free(&f);
}

TEST(a_difference_to_real_time_is_flagged)
{
	struct fixture f;
	struct stmt st;

	fixture(&f);
	f.fen += 1;
	build(&f, &st);
	CHECK_EQ_INT(st.mismatch, 1);
	CHECK(strstr(st.note, "charged in real time") != NULL);
	stmt_free(&st);
	fixture_free(&f);
}

TEST(tampered_lines_are_caught)
{
	struct fixture f;
	struct stmt st;
	char why[300];

	fixture(&f);
	build(&f, &st);
	for (int i = 0; i < st.nlines; i++)
		if (strcmp(st.lines[i].section, "usage") == 0) {
			st.lines[i].amount_nyuan += 1;
			break;
		}
	CHECK(stmt_check(&st, why, sizeof why) == -1);
	CHECK(strstr(why, "lines add up to") != NULL);
	stmt_free(&st);
	build(&f, &st);
	st.lines[1].amount_nyuan += 100;	/* a ledger line */
	CHECK(stmt_check(&st, why, sizeof why) == -1);
	stmt_free(&st);
	fixture_free(&f);
}

TEST(same_content_same_hash)
{
	struct fixture f;
	struct stmt a, b;

	fixture(&f);
	build(&f, &a);
	build(&f, &b);
	CHECK_EQ_STR(a.sha256, b.sha256);
	CHECK_EQ_INT(strlen(a.sha256), 64);
	stmt_free(&a);
	stmt_free(&b);
	fixture_free(&f);
}

TEST(renderings)
{
	struct fixture f;
	struct stmt st;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	fixture(&f);
	build(&f, &st);
	m = open_memstream(&buf, &len);
	stmt_render(&st, STMT_CSV, m);
	fclose(m);
	CHECK(strncmp(buf, "section,energy,meter,label,quantity,unit,price_yuan,amount_yuan\n", 63) == 0);
	CHECK(strstr(buf, "usage,electricity,m1,\"tariff from 2024-01-01T00:00, peak 峰, tier 1\"") != NULL);
	free(buf);
	m = open_memstream(&buf, &len);
	stmt_render(&st, STMT_JSON, m);
	fclose(m);
	CHECK(strstr(buf, "\"opening_yuan\":\"100.00\"") != NULL);
	CHECK(strstr(buf, "\"mismatch\":false") != NULL);
	free(buf);
	m = open_memstream(&buf, &len);
	stmt_render(&st, STMT_HTML, m);
	fclose(m);
	CHECK(strstr(buf, "<td>demo/t01-e") == NULL && strstr(buf, "<h1>Statement demo/t01-e") != NULL);
	free(buf);
	m = open_memstream(&buf, &len);
	stmt_render(&st, STMT_TEXT, m);
	fclose(m);
	CHECK(strstr(buf, "rounded once, half up") != NULL);
	free(buf);
	stmt_free(&st);
	fixture_free(&f);
}

int
main(void)
{
	RUN(usage_lines_add_up_and_round_once);
	RUN(money_part_reconciles);
	RUN(a_difference_to_real_time_is_flagged);
	RUN(tampered_lines_are_caught);
	RUN(same_content_same_hash);
	RUN(renderings);
	return unit_done();
}
