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

/* payments (docs/payments.md) */
static const struct param_def topup_post_params[] = {
	{ "account", PARAM_BODY, valid_id, 1, 0, 0 },
	{ "amount_fen", PARAM_BODY, valid_int, 1, 1, 1000000000000LL },
	{ "channel", PARAM_BODY, valid_code, 1, 1, 32 },
	{ "openid", PARAM_BODY, valid_string, 0, 1, 128 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def topup_get_params[] = {
	{ "out_trade_no", PARAM_PATH, valid_code, 1, 6, 32 },
	{ NULL, 0, NULL, 0, 0, 0 },
};

/* method, pattern, handler, metrics name, body, parameters */
const struct route api_routes[] = {
	{ HTTP_GET, "/healthz", health_get, "healthz", BODY_NONE, NULL },
	{ HTTP_GET, "/metrics", health_metrics, "metrics", BODY_NONE, NULL },
	{ HTTP_GET, "/api/v1/ping", health_ping, "ping", BODY_NONE, ping_get_params },
	{ HTTP_POST, "/api/v1/ping", health_ping, "ping_post", BODY_JSON, ping_post_params },
	{ HTTP_POST, "/api/v1/topups", topup_create, "topup_create", BODY_JSON, topup_post_params },
	{ HTTP_GET, "/api/v1/topups/{out_trade_no}", topup_get, "topup_get", BODY_NONE, topup_get_params },
	{ HTTP_POST, "/pay/wechat/notify", pay_wechat_notify, "pay_wechat_notify", BODY_RAW, NULL },
	{ 0, NULL, NULL, NULL, 0, NULL },
};
