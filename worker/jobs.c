/*
 * The job registry: one line per kind prefix (docs/worker.md). The first
 * match wins, so list a longer prefix before a shorter one it starts with.
 * Only kinds listed here are claimed; other rows wait for their owner.
 */
#include <stddef.h>
#include "worker/worker.h"
#include "alerts/alerts.h"

const struct job_handler job_handlers[] = {
	{ "alert.", alerts_fanout },		/* one alert → one delivery per contact and channel */
	{ "msg.sms", alerts_deliver_sms },	/* Tencent Cloud SMS or Aliyun SMS */
	{ "msg.wechat", alerts_deliver_wechat },	/* WeChat subscribe message */
	{ "msg.webhook", alerts_deliver_webhook },	/* signed JSON POST */
	{ NULL, NULL },
};
