/*
 * pay-recon CONF DATE: reconciles DATE against WeChat Pay (the sandbox in
 * the tests) through pay_recon_wechat and prints the report a test greps:
 *   matched N FEN
 *   ISSUE OUT_TRADE_NO OURS_FEN THEIRS_FEN
 * Exit 0, or 1 with the reason on stderr.
 */
#include <stdio.h>
#include "lib/log.h"
#include "lib/settings.h"
#include "payments/pay_recon.h"

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct pay_wechat w;
	struct recon_report rep;
	struct db *db = NULL;
	char err[512];
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: pay-recon CONF YYYY-MM-DD\n");
		return 2;
	}
	log_init("pay-recon", LOG_LEVEL_WARN);
	cfg = settings_load_or_die(argv[1]);
	if (pay_wechat_load(cfg, &w, err, sizeof err) != 0 || !w.can_order) {
		fprintf(stderr, "pay-recon: %s\n", err[0] ? err : w.problem);
		goto out;
	}
	if ((db = db_connect(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "pay-recon: %s\n", err);
		goto out;
	}
	if (pay_recon_wechat(db, &w, argv[2], &rep, err, sizeof err) != 0) {
		fprintf(stderr, "pay-recon: %s\n", err);
		goto out;
	}
	printf("matched %lld %lld\n", (long long)rep.matched, (long long)rep.matched_fen);
	for (int i = 0; i < rep.nlines; i++)
		printf("%s %s %lld %lld\n", recon_issue_name(rep.lines[i].issue), rep.lines[i].out_trade_no,
		    (long long)rep.lines[i].ours_fen, (long long)rep.lines[i].theirs_fen);
	recon_report_free(&rep);
	rc = 0;
out:
	/* freed on every path: a LeakSanitizer report would change the exit status */
	db_close(db);
	pay_wechat_free(&w);
	config_free(cfg);
	return rc;
}
