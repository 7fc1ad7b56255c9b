/*
 * prepayctl recon DATE: one Beijing day of our WeChat Pay payments against
 * WeChat Pay's trade bill (docs/payments.md). Orders paid there but not
 * here are queried and credited on the spot; every other difference is
 * for finance. The report is stored (recon_reports, recon_lines) for the
 * admin console; a rerun of the day replaces it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "lib/money.h"
#include "payments/refund_run.h"
#include "payments/wechat_client.h"

#define RECON_USAGE "usage: prepayctl recon DATE [--json]   (DATE: a Beijing day, 2026-11-27)"

int
ctl_recon(struct ctl *c, int argc, char **argv)
{
	const char *json = NULL;
	struct ctl_opt opts[] = { { "json", &json, 1 }, { NULL, NULL, 0 } };
	struct pay_wechat w;
	struct recon_run run;
	char *pos[1], err[512], b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];
	const char *d;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "%s\n", RECON_USAGE);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	d = pos[0];
	if (strlen(d) != 10 || d[4] != '-' || d[7] != '-' || strspn(d, "0123456789-") != 10)
		return ctl_fail(c, CTL_INVALID, "\"%s\" is not a date: write the Beijing day as YYYY-MM-DD", d);
	if (pay_wechat_load(ctl_config(c), &w, err, sizeof err) != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "[wechatpay]: %s", err);
	if (!w.can_order) {
		rc = ctl_fail(c, CTL_UNAVAILABLE, "WeChat Pay is not configured for calls: %s", w.problem);
		pay_wechat_free(&w);
		return rc;
	}
	if (recon_run_day(ctl_db(c), &w, d, c->actor, &run) != 0) {
		rc = ctl_fail(c, CTL_UNAVAILABLE, "reconciliation of %s: %s", d, run.error);
		recon_run_free(&run);
		pay_wechat_free(&w);
		return rc;
	}
	if (c->json) {
		cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "lines");
		char *s;
		cJSON_AddStringToObject(j, "date", d);
		cJSON_AddStringToObject(j, "mchid", w.mchid);
		cJSON_AddNumberToObject(j, "report_id", (double)run.report_id);
		cJSON_AddStringToObject(j, "status", run.rep.nlines ? "mismatch" : "clean");
		cJSON_AddNumberToObject(j, "matched", (double)run.rep.matched);
		cJSON_AddNumberToObject(j, "matched_fen", (double)run.rep.matched_fen);
		cJSON_AddNumberToObject(j, "credited", run.credited);
		for (int i = 0; i < run.rep.nlines; i++) {
			const struct recon_line *l = &run.rep.lines[i];
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "issue", recon_issue_name(l->issue));
			cJSON_AddStringToObject(o, "out_trade_no", l->out_trade_no);
			cJSON_AddNumberToObject(o, "ours_fen", (double)l->ours_fen);
			cJSON_AddNumberToObject(o, "theirs_fen", (double)l->theirs_fen);
			cJSON_AddStringToObject(o, "action", run.actions[i]);
			cJSON_AddItemToArray(a, o);
		}
		s = cJSON_Print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
	} else {
		printf("WeChat Pay %s, merchant %s: %" PRId64 " payments matched (¥%s), %d difference%s (report %" PRId64 ")\n",
		    d, w.mchid, run.rep.matched, money_format(run.rep.matched_fen, b1), run.rep.nlines,
		    run.rep.nlines == 1 ? "" : "s", run.report_id);
		if (run.rep.nlines > 0) {
			static const char *const hdr[] = { "issue", "out_trade_no", "ours", "theirs", "action" };
			struct ctl_table *t = ctl_table_new(5, hdr);
			ctl_table_right(t, 2);
			ctl_table_right(t, 3);
			for (int i = 0; i < run.rep.nlines; i++) {
				const struct recon_line *l = &run.rep.lines[i];
				const char *cells[5] = { recon_issue_name(l->issue), l->out_trade_no,
				    l->issue == RECON_MISSING_HERE ? "-" : money_format(l->ours_fen, b1),
				    l->issue == RECON_MISSING_THERE ? "-" : money_format(l->theirs_fen, b2), run.actions[i] };
				ctl_table_add(t, cells);
			}
			ctl_table_print(t);
		}
	}
	/* differences found: exit 1, as audit does, so a cron job notices */
	rc = run.rep.nlines > 0 ? CTL_FOUND_PROBLEMS : CTL_OK;
	recon_run_free(&run);
	pay_wechat_free(&w);
	return rc;
}
