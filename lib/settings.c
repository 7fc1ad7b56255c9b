#include <stdio.h>
#include <stdlib.h>
#include "lib/settings.h"
#include "lib/log.h"

#define BIG 1000000000000000LL

/*
 * Every key of every program, with its section. A key that is not here is
 * an error in the file, so a typo never silently falls back to a default.
 */
const struct config_key prepay_settings[] = {
	{ "database", "host", CONFIG_STRING, 0, "127.0.0.1", 0, 0 },
	{ "database", "port", CONFIG_INT, 0, "3306", 1, 65535 },
	{ "database", "socket", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "database", "name", CONFIG_STRING, 0, "prepay", 0, 0 },
	{ "database", "user", CONFIG_STRING, 1, NULL, 0, 0 },
	{ "database", "password", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "database", "connect_timeout_s", CONFIG_INT, 0, "5", 1, 300 },
	{ "database", "deadlock_retries", CONFIG_INT, 0, "20", 0, 1000 },

	{ "api", "socket", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "api", "threads", CONFIG_INT, 0, "8", 1, 256 },
	{ "api", "max_body_bytes", CONFIG_INT, 0, "65536", 1024, 16777216 },
	{ "api", "public_url", CONFIG_STRING, 0, "http://127.0.0.1:8080", 0, 0 },

	{ "site", "timezone", CONFIG_STRING, 0, "Asia/Shanghai", 0, 0 },
	{ "site", "currency", CONFIG_STRING, 0, "CNY", 0, 0 },

	/* guards against fat fingers: amounts beyond these are refused */
	{ "ledger", "max_topup_fen", CONFIG_INT, 0, "100000000", 1, BIG },
	{ "ledger", "max_adjust_fen", CONFIG_INT, 0, "100000000", 1, BIG },

	{ "log", "level", CONFIG_STRING, 0, "info", 0, 0 },
	{ NULL, NULL, 0, 0, NULL, 0, 0 },
};

struct config *
settings_load_or_die(const char *path)
{
	char err[1024];
	struct config *c;
	enum log_level level;

	if (path == NULL)
		path = getenv("PREPAY_CONF");
	if (path == NULL)
		path = "/etc/prepay/prepay.conf";
	if ((c = config_load(path, prepay_settings, err, sizeof err)) == NULL)
		fatalx("configuration: %s", err);
	if (log_level_parse(config_str(c, "log", "level"), &level) != 0)
		fatalx("configuration: %s: [log] level must be debug, info, warn or error", path);
	return c;
}
