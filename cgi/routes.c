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

/* tenant self-service (docs/tenant.md) */
static const struct param_def session_post_params[] = {
	{ "phone", PARAM_BODY, valid_string, 1, 1, 32 },
	{ "password", PARAM_BODY, valid_string, 1, 1, 256 },
	{ "client", PARAM_BODY, valid_code, 0, 1, 8 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def sms_code_params[] = {
	{ "phone", PARAM_BODY, valid_string, 1, 1, 32 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def sms_signin_params[] = {
	{ "phone", PARAM_BODY, valid_string, 1, 1, 32 },
	{ "code", PARAM_BODY, valid_string, 1, 1, 16 },
	{ "client", PARAM_BODY, valid_code, 0, 1, 8 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def wechat_signin_params[] = {
	{ "code", PARAM_BODY, valid_string, 1, 1, 128 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def wechat_bind_params[] = {
	{ "code", PARAM_BODY, valid_string, 1, 1, 128 },
	{ "phone", PARAM_BODY, valid_string, 1, 1, 32 },
	{ "sms_code", PARAM_BODY, valid_string, 1, 1, 16 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def tenant_account_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def tenant_ledger_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "kind", PARAM_QUERY, valid_code, 0, 1, 32 },
	{ "from", PARAM_QUERY, tenant_valid_instant, 0, 0, 0 },
	{ "to", PARAM_QUERY, tenant_valid_instant, 0, 0, 0 },
	{ "page", PARAM_QUERY, valid_int, 0, 1, 100000 },
	{ "per_page", PARAM_QUERY, valid_int, 0, 1, 500 },
	{ "format", PARAM_QUERY, valid_code, 0, 1, 8 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def tenant_statement_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "period", PARAM_PATH, valid_int, 1, 200001, 299912 },
	{ "format", PARAM_QUERY, valid_code, 0, 1, 8 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def tenant_usage_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "from", PARAM_QUERY, tenant_valid_instant, 1, 0, 0 },
	{ "to", PARAM_QUERY, tenant_valid_instant, 1, 0, 0 },
	{ "step", PARAM_QUERY, valid_code, 0, 1, 8 },
	{ "energy", PARAM_QUERY, valid_code, 0, 1, 16 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def tenant_insights_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "days", PARAM_QUERY, valid_int, 0, 7, 93 },
	{ "shift_pct", PARAM_QUERY, valid_int, 0, 1, 100 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def tenant_topup_post_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "amount_fen", PARAM_BODY, valid_int, 1, 1, 1000000000000LL },
	{ "channel", PARAM_BODY, valid_code, 1, 1, 32 },
	{ "openid", PARAM_BODY, valid_string, 0, 1, 128 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def tenant_topup_get_params[] = {
	{ "account", PARAM_PATH, valid_id, 1, 0, 0 },
	{ "out_trade_no", PARAM_PATH, valid_code, 1, 6, 32 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def contact_post_params[] = {
	{ "channel", PARAM_BODY, valid_code, 1, 1, 16 },
	{ "address", PARAM_BODY, valid_string, 1, 1, 500 },
	{ "lang", PARAM_BODY, valid_code, 0, 1, 4 },
	{ "kinds", PARAM_BODY, valid_string, 0, 1, 500 },
	{ "name", PARAM_BODY, valid_string, 0, 0, 64 },
	{ NULL, 0, NULL, 0, 0, 0 },
};
static const struct param_def contact_delete_params[] = {
	{ "id", PARAM_PATH, valid_id, 1, 0, 0 },
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
	{ HTTP_POST, "/pay/alipay/notify", pay_alipay_notify, "pay_alipay_notify", BODY_RAW, NULL },
	{ HTTP_POST, "/pay/wechat/refund-notify", pay_wechat_refund_notify, "pay_wechat_refund_notify", BODY_RAW, NULL },
	{ HTTP_POST, "/api/v1/session", tenant_session_create, "session_create", BODY_JSON, session_post_params },
	{ HTTP_GET, "/api/v1/session", tenant_session_get, "session_get", BODY_NONE, NULL },
	{ HTTP_DELETE, "/api/v1/session", tenant_session_delete, "session_delete", BODY_NONE, NULL },
	{ HTTP_POST, "/api/v1/session/revoke-all", tenant_session_revoke_all, "session_revoke_all", BODY_NONE, NULL },
	{ HTTP_POST, "/api/v1/session/sms-code", tenant_sms_code_send, "session_sms_code", BODY_JSON, sms_code_params },
	{ HTTP_POST, "/api/v1/session/sms", tenant_sms_signin, "session_sms", BODY_JSON, sms_signin_params },
	{ HTTP_POST, "/api/v1/session/wechat", tenant_wechat_signin, "session_wechat", BODY_JSON, wechat_signin_params },
	{ HTTP_POST, "/api/v1/session/wechat/bind", tenant_wechat_bind, "session_wechat_bind", BODY_JSON, wechat_bind_params },
	{ HTTP_GET, "/api/v1/accounts", tenant_accounts_list, "accounts_list", BODY_NONE, NULL },
	{ HTTP_GET, "/api/v1/accounts/{account}", tenant_account_get, "account_get", BODY_NONE, tenant_account_params },
	{ HTTP_POST, "/api/v1/accounts/{account}/emergency-credit", tenant_emergency_credit, "account_emergency_credit",
	    BODY_NONE, tenant_account_params },
	{ HTTP_GET, "/api/v1/accounts/{account}/ledger", tenant_ledger, "account_ledger", BODY_NONE, tenant_ledger_params },
	{ HTTP_GET, "/api/v1/accounts/{account}/statements", tenant_statements, "account_statements", BODY_NONE,
	    tenant_account_params },
	{ HTTP_GET, "/api/v1/accounts/{account}/statements/{period}", tenant_statement_get, "account_statement_get",
	    BODY_NONE, tenant_statement_params },
	{ HTTP_GET, "/api/v1/accounts/{account}/usage", tenant_usage, "account_usage", BODY_NONE, tenant_usage_params },
	{ HTTP_GET, "/api/v1/accounts/{account}/insights", tenant_insights, "account_insights", BODY_NONE,
	    tenant_insights_params },
	{ HTTP_POST, "/api/v1/accounts/{account}/topups", tenant_topup_create, "account_topup_create", BODY_JSON,
	    tenant_topup_post_params },
	{ HTTP_GET, "/api/v1/accounts/{account}/topups", tenant_topups, "account_topups", BODY_NONE, tenant_account_params },
	{ HTTP_GET, "/api/v1/accounts/{account}/topups/{out_trade_no}", tenant_topup_get, "account_topup_get", BODY_NONE,
	    tenant_topup_get_params },
	{ HTTP_GET, "/api/v1/contacts", tenant_contacts, "contacts_list", BODY_NONE, NULL },
	{ HTTP_POST, "/api/v1/contacts", tenant_contact_add, "contact_add", BODY_JSON, contact_post_params },
	{ HTTP_DELETE, "/api/v1/contacts/{id}", tenant_contact_delete, "contact_delete", BODY_NONE, contact_delete_params },
	{ 0, NULL, NULL, NULL, 0, NULL },
};
