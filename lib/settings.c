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

	/* prepay-worker, the outbox executor (docs/worker.md) */
	{ "worker", "threads", CONFIG_INT, 0, "8", 1, 64 },
	{ "worker", "batch", CONFIG_INT, 0, "8", 1, 64 },
	{ "worker", "max_attempts", CONFIG_INT, 0, "10", 1, 100 },
	{ "worker", "retry_base_ms", CONFIG_INT, 0, "5000", 10, 3600000 },
	{ "worker", "retry_max_ms", CONFIG_INT, 0, "1800000", 100, 86400000 },
	{ "worker", "lease_s", CONFIG_INT, 0, "120", 2, 3600 },
	{ "worker", "poll_ms", CONFIG_INT, 0, "200", 10, 60000 },
	{ "worker", "http_timeout_ms", CONFIG_INT, 0, "5000", 100, 60000 },
	/* alert channels (docs/alerts.md); the *_url keys point at
	 * prepay-msg-sandbox in the stack; secrets as *_file */
	{ "sms", "provider", CONFIG_STRING, 0, "tencent", 0, 0 },
	{ "sms", "sign_name", CONFIG_STRING, 0, "prepay", 0, 0 },
	{ "sms", "tencent_url", CONFIG_STRING, 0, "https://sms.tencentcloudapi.com", 0, 0 },
	{ "sms", "tencent_secret_id", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "tencent_secret_key", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "sms", "tencent_region", CONFIG_STRING, 0, "ap-guangzhou", 0, 0 },
	{ "sms", "tencent_sdk_app_id", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "aliyun_url", CONFIG_STRING, 0, "https://dysmsapi.aliyuncs.com", 0, 0 },
	{ "sms", "aliyun_access_key_id", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "aliyun_access_key_secret", CONFIG_SECRET, 0, NULL, 0, 0 },
	/* approved template ids per message kind; unset: the kind's name */
	{ "sms", "template_balance_low_1", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_balance_low_2", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_cut_warning", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_supply_cut", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_supply_restored", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_payment_received", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_emergency_credit_taken", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_statement_ready", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "sms", "template_other", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechat", "api_url", CONFIG_STRING, 0, "https://api.weixin.qq.com", 0, 0 },
	{ "wechat", "appid", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechat", "secret", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "wechat", "template_id", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechat", "page", CONFIG_STRING, 0, "pages/index/index", 0, 0 },
	{ "wechat", "miniprogram_state", CONFIG_STRING, 0, "formal", 0, 0 },
	/* mini-program sign-in: jscode2session here with [wechat] appid + secret (docs/tenant.md) */
	{ "wechat", "login_url", CONFIG_STRING, 0, "https://api.weixin.qq.com", 0, 0 },
	{ "webhook", "secret", CONFIG_SECRET, 0, NULL, 0, 0 },
	/* prepay-msg-sandbox: the message providers on loopback (alerts/sandbox) */
	{ "msg_sandbox", "listen", CONFIG_STRING, 0, "127.0.0.1:8092", 0, 0 },

	/* WeChat Pay v3 (docs/payments.md): the merchant's own key signs our
	 * requests; WeChat Pay's public key (by id) and/or platform certificate
	 * verify its answers and notifications; secrets as *_file */
	{ "wechatpay", "mchid", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechatpay", "appid", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechatpay", "merchant_serial", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechatpay", "merchant_key", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "wechatpay", "apiv3_key", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "wechatpay", "public_key_id", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechatpay", "public_key", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "wechatpay", "platform_cert", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "wechatpay", "api_url", CONFIG_STRING, 0, "https://api.mch.weixin.qq.com", 0, 0 },
	{ "wechatpay", "notify_url", CONFIG_STRING, 0, NULL, 0, 0 },
	/* refunds: default notify_url with /notify → /refund-notify (payments/refund_run.c) */
	{ "wechatpay", "refund_notify_url", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "wechatpay", "timeout_ms", CONFIG_INT, 0, "5000", 100, 60000 },
	{ "wechatpay", "order_ttl_s", CONFIG_INT, 0, "1800", 60, 7200 },
	/* per-site limits (payment_site_limits) override these */
	{ "wechatpay", "min_topup_fen", CONFIG_INT, 0, "100", 1, BIG },
	{ "wechatpay", "max_topup_fen", CONFIG_INT, 0, "5000000", 1, BIG },

	{ "alipay", "app_id", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "alipay", "seller_id", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "alipay", "private_key", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "alipay", "alipay_public_key", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "alipay", "gateway_url", CONFIG_STRING, 0, "https://openapi.alipay.com/gateway.do", 0, 0 },
	{ "alipay", "notify_url", CONFIG_STRING, 0, NULL, 0, 0 },

	/* prepay-sandbox: WeChat Pay on loopback (payments/sandbox) */
	{ "sandbox", "listen", CONFIG_STRING, 0, "127.0.0.1:8091", 0, 0 },
	{ "sandbox", "platform_key", CONFIG_SECRET, 0, NULL, 0, 0 },
	{ "sandbox", "merchant_public_key", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "sandbox", "time_scale", CONFIG_INT, 0, "1", 1, 100000 },
	{ "sandbox", "public_url", CONFIG_STRING, 0, NULL, 0, 0 },

	/* prepay-poller (docs/poller.md) */
	{ "poller", "profiles", CONFIG_PATH, 0, NULL, 0, 0 },
	{ "poller", "site", CONFIG_STRING, 0, NULL, 0, 0 },
	{ "poller", "cycle_ms", CONFIG_INT, 0, "10000", 0, 3600000 },	/* 0: back to back (benchmarks) */
	{ "poller", "store_every_s", CONFIG_INT, 0, "60", 1, 86400 },
	{ "poller", "offline_after", CONFIG_INT, 0, "3", 1, 1000 },
	{ "poller", "backoff_max_s", CONFIG_INT, 0, "300", 1, 86400 },
	{ "poller", "reconnect_max_s", CONFIG_INT, 0, "60", 1, 3600 },
	{ "poller", "relay_poll_ms", CONFIG_INT, 0, "250", 10, 60000 },
	{ "poller", "relay_max_attempts", CONFIG_INT, 0, "5", 1, 100 },
	{ "poller", "reload_s", CONFIG_INT, 0, "30", 1, 86400 },
	{ "poller", "sweep_s", CONFIG_INT, 0, "30", 1, 86400 },
	{ "poller", "stats_s", CONFIG_INT, 0, "60", 0, 86400 },
	{ "poller", "db_threads", CONFIG_INT, 0, "2", 1, 16 },
	{ "poller", "queue", CONFIG_INT, 0, "4096", 16, 1000000 },
	/* a simulated park running --speed X: elapsed time × X for the spike check; 1 for real meters */
	{ "poller", "speed", CONFIG_INT, 0, "1", 1, 100000 },

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
