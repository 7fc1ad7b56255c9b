/*
 * prepay-worker — carries out the outbox: alerts (SMS, WeChat, webhooks)
 * today, payment queries and refunds through the same registry. See
 * docs/worker.md.
 *
 *   prepay-worker [-c FILE] [--once] [--site CODE] [--threads N]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "worker/run.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/settings.h"

static void
on_signal(int sig)
{
	(void)sig;
	worker_stop();
}

static void
usage(void)
{
	fputs("usage: prepay-worker [-c FILE] [--once] [--site CODE] [--threads N]\n"
	    "  --once      deliver what is due now, then exit (tests, cron)\n"
	    "  --site      only rows of this site's accounts\n"
	    "  --threads   parallel deliveries (default [worker] threads)\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *site = NULL, *threads = NULL;
	struct worker_conf wc = { 0 };
	struct config *cfg;
	struct sigaction sa;
	enum log_level level;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			wc.once = 1;
		else if (strcmp(argv[i], "--site") == 0 && i + 1 < argc)
			site = argv[++i];
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = argv[++i];
		else
			usage();
	}
	cfg = settings_load_or_die(conf);
	log_level_parse(config_str(cfg, "log", "level"), &level);
	log_init("prepay-worker", level);
	wc.cfg = cfg;
	wc.threads = (int)config_int(cfg, "worker", "threads");
	if (threads != NULL) {
		char *end;
		long n = strtol(threads, &end, 10);
		if (*end != '\0' || n < 1 || n > 64) {
			fprintf(stderr, "prepay-worker: --threads must be 1 to 64\n");
			return 2;
		}
		wc.threads = (int)n;
	}
	wc.batch = (int)config_int(cfg, "worker", "batch");
	wc.max_attempts = (int)config_int(cfg, "worker", "max_attempts");
	wc.retry_base_ms = config_int(cfg, "worker", "retry_base_ms");
	wc.retry_max_ms = config_int(cfg, "worker", "retry_max_ms");
	wc.lease_s = (int)config_int(cfg, "worker", "lease_s");
	wc.poll_ms = (int)config_int(cfg, "worker", "poll_ms");
	wc.http_timeout_ms = (long)config_int(cfg, "worker", "http_timeout_ms");
	if (wc.lease_s * 1000L <= wc.http_timeout_ms * 2)
		fatalx("configuration: [worker] lease_s must be more than twice http_timeout_ms, so a slow "
		    "provider's answer is recorded before another worker may take the row");
	if (site != NULL) {
		char err[256];
		struct db *db = db_connect(cfg, err, sizeof err);
		int found;
		if (db == NULL)
			fatalx("database: %s", err);
		found = db_query_int(db, &wc.site_id, "SELECT id FROM sites WHERE code = ?", "s", site);
		db_close(db);
		if (found != 1)
			fatalx("--site %s: no such site (prepayctl account list shows the sites)", site);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("started: %d thread%s, batch %d, up to %d attempts%s%s", wc.threads, wc.threads == 1 ? "" : "s",
	    wc.batch, wc.max_attempts, site ? ", site " : "", site ? site : "");
	rc = worker_run(&wc);
	log_info("stopped: %ld done, %ld not done (retry, failed or dead)", wc.done, wc.not_done);
	if (wc.once)
		printf("done=%ld not_done=%ld\n", wc.done, wc.not_done);
	curl_global_cleanup();
	config_free(cfg);
	return rc == 0 ? 0 : 1;
}
