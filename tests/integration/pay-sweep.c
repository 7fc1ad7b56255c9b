/*
 * pay-sweep CONF: one round of pay_sweep_wechat (what prepay-worker runs
 * every minute) and its counts on one line:
 *   queried=N credited=N closed=N failed=N
 */
#include <stdio.h>
#include "lib/log.h"
#include "lib/settings.h"
#include "payments/pay_sweep.h"

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct pay_wechat w;
	struct pay_sweep_stats st;
	struct db *db;
	char err[512] = "";

	if (argc != 2) {
		fprintf(stderr, "usage: pay-sweep CONF\n");
		return 2;
	}
	log_init("pay-sweep", LOG_LEVEL_WARN);
	cfg = settings_load_or_die(argv[1]);
	if (pay_wechat_load(cfg, &w, err, sizeof err) != 0 || !w.can_order) {
		fprintf(stderr, "pay-sweep: %s\n", err[0] ? err : w.problem);
		return 1;
	}
	if ((db = db_connect(cfg, err, sizeof err)) == NULL || pay_sweep_wechat(db, &w, 100, &st, err, sizeof err) != 0) {
		fprintf(stderr, "pay-sweep: %s\n", err);
		return 1;
	}
	printf("queried=%d credited=%d closed=%d failed=%d\n", st.queried, st.credited, st.closed, st.failed);
	db_close(db);
	pay_wechat_free(&w);
	config_free(cfg);
	return 0;
}
