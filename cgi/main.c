/*
 * prepay-api: the HTTP API as a multi-threaded FastCGI program behind nginx.
 *   prepay-api [-c CONFIG] [-s SOCKET] [-t THREADS]
 * -s and -t override [api] socket and [api] threads (tests, benchmarks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgi/server.h"
#include "lib/log.h"
#include "lib/settings.h"

static void
usage(FILE *f)
{
	fputs("usage: prepay-api [-c CONFIG] [-s SOCKET] [-t THREADS]\n"
	    "CONFIG defaults to $PREPAY_CONF; SOCKET and THREADS to [api] socket and threads.\n", f);
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *sock = NULL, *threads_arg = NULL;
	struct server_opts opts;
	struct config *cfg;
	enum log_level level;
	long threads;
	char *end;
	int ch;

	log_init("prepay-api", LOG_LEVEL_INFO);
	while ((ch = getopt(argc, argv, "c:s:t:h")) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 's': sock = optarg; break;
		case 't': threads_arg = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg = settings_load_or_die(conf);
	if (log_level_parse(config_str(cfg, "log", "level"), &level) == 0)
		log_init("prepay-api", level);
	memset(&opts, 0, sizeof opts);
	opts.cfg = cfg;
	opts.socket_path = sock != NULL ? sock : config_str(cfg, "api", "socket");
	if (opts.socket_path == NULL)
		fatalx("no socket to listen on: set 'socket = /run/prepay/api.sock' under [api] or pass -s PATH");
	threads = config_int(cfg, "api", "threads");
	if (threads_arg != NULL) {
		threads = strtol(threads_arg, &end, 10);
		if (*threads_arg == '\0' || *end != '\0' || threads < 1 || threads > 256)
			fatalx("-t %s: the thread count must be a number from 1 to 256", threads_arg);
	}
	opts.threads = (int)threads;
	opts.max_body_bytes = (size_t)config_int(cfg, "api", "max_body_bytes");
	if (server_run(&opts) != 0) {
		config_free(cfg);
		return 1;
	}
	config_free(cfg);
	return 0;
}
