#include "cgi/api.h"

/* GET/POST /api/v1/ping?echo=... : a round trip that touches nothing */
static const struct param_def ping_get_params[] = {
	{ "echo", PARAM_QUERY, valid_string, 0, 1, 256 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def ping_post_params[] = {
	{ "echo", PARAM_BODY, valid_string, 0, 1, 256 },
	{ NULL, 0, NULL, 0, 0, 0 },
};

/* method, pattern, handler, metrics name, body, parameters */
const struct route api_routes[] = {
	{ HTTP_GET, "/healthz", health_get, "healthz", BODY_NONE, NULL },
	{ HTTP_GET, "/metrics", health_metrics, "metrics", BODY_NONE, NULL },
	{ HTTP_GET, "/api/v1/ping", health_ping, "ping", BODY_NONE, ping_get_params },
	{ HTTP_POST, "/api/v1/ping", health_ping, "ping_post", BODY_JSON, ping_post_params },
	{ 0, NULL, NULL, NULL, 0, NULL },
};
