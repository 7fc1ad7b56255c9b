/* Alert kinds, texts, quiet hours and contact checks, pure; see message.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "alerts/message.h"
#include "lib/money.h"

static const struct alert_kind kinds[] = {
	{ "balance_low_1", ALERT_TENANT, 0 },
	{ "balance_low_2", ALERT_TENANT, 0 },
	/* the tenant must hear of a cut before and when it happens, at any hour */
	{ "cut_warning", ALERT_TENANT, 1 },
	{ "supply_cut", ALERT_TENANT, 1 },
	/* answers to what the tenant just did (paid): no reason to hold them */
	{ "supply_restored", ALERT_TENANT, 1 },
	{ "payment_received", ALERT_TENANT, 1 },
	{ "emergency_credit_taken", ALERT_TENANT, 0 },
	{ "statement_ready", ALERT_TENANT, 0 },
	{ "meter_offline", ALERT_OPERATOR, 0 },
	{ "relay_disobeyed", ALERT_OPERATOR, 1 },
	{ "reading_quarantined", ALERT_OPERATOR, 0 },
	{ "payment_anomaly", ALERT_OPERATOR, 0 },
	{ "reconciliation_mismatch", ALERT_OPERATOR, 0 },
	{ "quota_80", ALERT_OPERATOR, 0 },
	{ "quota_100", ALERT_OPERATOR, 0 },
	{ "delivery_failed", ALERT_OPERATOR, 0 },
	/* the poller's (meters/poller/writer.c) */
	{ "meter_online", ALERT_OPERATOR, 0 },
	{ "counter_rebased", ALERT_OPERATOR, 0 },
	{ "meter_replaced", ALERT_OPERATOR, 0 },
	{ "relay_offline", ALERT_OPERATOR, 1 },
	/* a cut or restore the meter did not carry out */
	{ "relay_failed", ALERT_OPERATOR, 1 },
};
static const struct alert_kind other = { "other", ALERT_OPERATOR, 0 };

const struct alert_kind *
alert_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return &other;
}

/* appends to a bounded buffer; truncation keeps it NUL-terminated */
static void
add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static const char *
yuan(int64_t fen, char buf[MONEY_FMT_LEN])
{
	return money_format(fen, buf);
}

static void
title_for(const char *kind, enum alert_lang lang, char *out, size_t len)
{
	static const struct { const char *kind, *zh, *en; } t[] = {
		{ "balance_low_1", "余额不足提醒", "Low balance" },
		{ "balance_low_2", "余额严重不足", "Balance very low" },
		{ "cut_warning", "停电预警", "Supply will be cut" },
		{ "supply_cut", "已停电", "Supply cut" },
		{ "supply_restored", "已恢复供电", "Supply restored" },
		{ "payment_received", "充值到账", "Payment received" },
		{ "emergency_credit_taken", "应急额度已启用", "Emergency credit taken" },
		{ "statement_ready", "月度账单已生成", "Statement ready" },
		{ "meter_offline", "电表离线", "Meter offline" },
		{ "relay_disobeyed", "继电器未执行", "Relay did not obey" },
		{ "reading_quarantined", "读数异常已隔离", "Reading quarantined" },
		{ "payment_anomaly", "支付异常", "Payment anomaly" },
		{ "reconciliation_mismatch", "对账不符", "Reconciliation mismatch" },
		{ "quota_80", "用量已达预算80%", "Quota at 80%" },
		{ "quota_100", "用量已达预算100%", "Quota at 100%" },
		{ "delivery_failed", "消息发送失败", "Message not delivered" },
		{ "meter_online", "电表恢复在线", "Meter back online" },
		{ "counter_rebased", "电表读数重置", "Meter counter reset" },
		{ "meter_replaced", "电表已更换", "Meter replaced" },
		{ "relay_offline", "继电器离线", "Relay unreachable" },
		{ "relay_failed", "拉合闸失败", "Relay command failed" },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i].kind, kind) == 0) {
			snprintf(out, len, "%s", lang == ALERT_ZH ? t[i].zh : t[i].en);
			return;
		}
	snprintf(out, len, "%s", lang == ALERT_ZH ? "系统提醒" : "Notice");
}

/* "2026-03-04T10:30" → "03-04 10:30": what a person reads in a message */
static void
short_time(const char *iso, char *out, size_t len)
{
	if (iso == NULL || strlen(iso) < 16) {
		snprintf(out, len, "%s", iso ? iso : "");
		return;
	}
	snprintf(out, len, "%.5s %.5s", iso + 5, iso + 11);
}

static void
param(struct alert_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
param(struct alert_text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->nparams >= ALERT_PARAMS)
		return;
	va_start(ap, fmt);
	vsnprintf(t->params[t->nparams++], ALERT_PARAM_MAX, fmt, ap);
	va_end(ap);
}

void
alert_render(const struct alert_facts *f, enum alert_lang lang, struct alert_text *t)
{
	char bal[MONEY_FMT_LEN], x[MONEY_FMT_LEN], when[32], cut[32];
	const char *k = f->kind ? f->kind : "other";
	const char *acct = f->account ? f->account : "-";
	const int zh = lang == ALERT_ZH;
	char *s = t->text;
	const size_t n = sizeof t->text;

	memset(t, 0, sizeof *t);
	title_for(k, lang, t->title, sizeof t->title);
	yuan(f->balance_fen, bal);
	short_time(f->event_local, when, sizeof when);
	short_time(f->cut_at_local, cut, sizeof cut);

	if (strcmp(k, "balance_low_1") == 0 || strcmp(k, "balance_low_2") == 0) {
		int l2 = k[12] == '2';
		if (zh) {
			add(s, n, "您的账户%s余额为¥%s", acct, bal);
			if (f->has_threshold)
				add(s, n, "，已低于%s提醒线¥%s", l2 ? "二级" : "", yuan(f->threshold_fen, x));
			add(s, n, l2 ? "。余额用完将停止供电，请尽快充值。" : "，请及时充值。");
		} else {
			add(s, n, "Account %s: the balance is ¥%s", acct, bal);
			if (f->has_threshold)
				add(s, n, ", below ¥%s", yuan(f->threshold_fen, x));
			add(s, n, l2 ? ". The supply will be cut when it runs out: please top up soon." :
			    ". Please top up.");
		}
		param(t, "%s", acct);
		param(t, "%s", bal);
		param(t, "%s", f->has_threshold ? yuan(f->threshold_fen, x) : "");
	} else if (strcmp(k, "cut_warning") == 0) {
		if (zh) {
			add(s, n, "您的账户%s已欠费（余额¥%s）", acct, bal);
			if (f->cut_at_local)
				add(s, n, "，将于%s停止供电", cut);
			if (f->delayed_by && *f->delayed_by)
				add(s, n, "（已避开夜间/周末/节假日）");
			if (f->has_need)
				add(s, n, "。充值¥%s即可避免停电。", yuan(f->need_fen, x));
			else
				add(s, n, "。请尽快充值。");
		} else {
			add(s, n, "Account %s is in debt (balance ¥%s)", acct, bal);
			if (f->cut_at_local)
				add(s, n, "; the supply will be cut at %s", cut);
			if (f->delayed_by && *f->delayed_by)
				add(s, n, " (after the %s)", f->delayed_by);
			if (f->has_need)
				add(s, n, ". Pay ¥%s to keep it on.", yuan(f->need_fen, x));
			else
				add(s, n, ". Please top up.");
		}
		param(t, "%s", acct);
		param(t, "%s", bal);
		param(t, "%s", cut);
		param(t, "%s", f->has_need ? yuan(f->need_fen, x) : "");
	} else if (strcmp(k, "supply_cut") == 0) {
		if (zh) {
			add(s, n, "您的账户%s因欠费已于%s停止供电（余额¥%s）", acct, when, bal);
			if (f->has_need)
				add(s, n, "。充值¥%s即可恢复供电。", yuan(f->need_fen, x));
			else
				add(s, n, "。充值后即可恢复供电。");
		} else {
			add(s, n, "Account %s: the supply was cut at %s (balance ¥%s)", acct, when, bal);
			if (f->has_need)
				add(s, n, ". Pay ¥%s to restore it.", yuan(f->need_fen, x));
			else
				add(s, n, ". Top up to restore it.");
		}
		param(t, "%s", acct);
		param(t, "%s", bal);
		param(t, "%s", f->has_need ? yuan(f->need_fen, x) : "");
		param(t, "%s", when);
	} else if (strcmp(k, "supply_restored") == 0) {
		if (zh)
			add(s, n, "您的账户%s已于%s恢复供电，当前余额¥%s。", acct, when, bal);
		else
			add(s, n, "Account %s: the supply is back on since %s; the balance is ¥%s.", acct, when, bal);
		param(t, "%s", acct);
		param(t, "%s", bal);
		param(t, "%s", when);
	} else if (strcmp(k, "payment_received") == 0) {
		if (zh) {
			add(s, n, "您的账户%s", acct);
			if (f->has_amount)
				add(s, n, "收到充值¥%s", yuan(f->amount_fen, x));
			add(s, n, "，当前余额¥%s（%s）。", bal, when);
		} else {
			add(s, n, "Account %s: ", acct);
			if (f->has_amount)
				add(s, n, "¥%s received", yuan(f->amount_fen, x));
			else
				add(s, n, "payment received");
			add(s, n, "; the balance is ¥%s (%s).", bal, when);
		}
		param(t, "%s", acct);
		param(t, "%s", bal);
		param(t, "%s", f->has_amount ? yuan(f->amount_fen, x) : "");
		param(t, "%s", when);
	} else if (strcmp(k, "emergency_credit_taken") == 0) {
		if (zh)
			add(s, n, "您的账户%s已启用应急额度¥%s，当前余额¥%s，下次充值时优先抵扣。", acct,
			    f->has_amount ? yuan(f->amount_fen, x) : "-", bal);
		else
			add(s, n, "Account %s: emergency credit of ¥%s taken; the balance is ¥%s. "
			    "The next top-up repays it first.", acct, f->has_amount ? yuan(f->amount_fen, x) : "-", bal);
		param(t, "%s", acct);
		param(t, "%s", bal);
		param(t, "%s", f->has_amount ? yuan(f->amount_fen, x) : "");
	} else {
		/* operator alerts and kinds without their own wording */
		add(s, n, zh ? "【%s】%s%s%s（%s）" : "[%s] %s%s%s (%s)", t->title,
		    f->account ? f->account : "", f->account ? (zh ? "：" : ": ") : "",
		    f->reason ? f->reason : k, when);
		param(t, "%s", f->account ? f->account : "");
		param(t, "%.60s", f->reason ? f->reason : k);
		param(t, "%s", when);
	}
}

int64_t
alert_quiet_until(int64_t local, int start_min, int end_min)
{
	int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t midnight = day * 86400;
	int64_t m = (local - midnight) / 60;

	if (start_min == end_min)
		return local;
	if (start_min < end_min)
		return m >= start_min && m < end_min ? midnight + (int64_t)end_min * 60 : local;
	/* wraps midnight: quiet from start to midnight and from midnight to end */
	if (m >= start_min)
		return midnight + 86400 + (int64_t)end_min * 60;
	if (m < end_min)
		return midnight + (int64_t)end_min * 60;
	return local;
}

static int
hhmm(const char *s, int *min)
{
	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || mm > 59)
		return -1;
	*min = h * 60 + mm;
	return 0;
}

int
alert_quiet_parse(const char *s, int *start_min, int *end_min)
{
	char a[8], b[8];
	const char *dash;

	if (strcmp(s, "none") == 0) {
		*start_min = *end_min = 0;
		return 0;
	}
	if ((dash = strchr(s, '-')) == NULL || dash - s != 5 || strlen(dash + 1) != 5)
		return -1;
	memcpy(a, s, 5);
	a[5] = '\0';
	memcpy(b, dash + 1, 6);
	if (hhmm(a, start_min) != 0 || hhmm(b, end_min) != 0 || *start_min == *end_min)
		return -1;
	return 0;
}

int
alert_contact_check(const char *channel, const char *address, char *err, size_t errlen)
{
	size_t len = strlen(address);

	if (strcmp(channel, "sms") == 0) {
		size_t digits = len > 0 ? len - 1 : 0;
		int ok = len > 0 && address[0] == '+' && digits >= 8 && digits <= 15;
		for (size_t i = 1; ok && i < len; i++)
			ok = address[i] >= '0' && address[i] <= '9';
		if (ok && strncmp(address, "+86", 3) == 0)
			ok = len == 14 && address[3] == '1';
		if (!ok) {
			snprintf(err, errlen, "phone number \"%.40s\" is not E.164: write it as + country code and "
			    "number, e.g. +8613800138000 (a mainland mobile is +86 and 11 digits starting with 1)",
			    address);
			return -1;
		}
		return 0;
	}
	if (strcmp(channel, "wechat") == 0) {
		int ok = len >= 6 && len <= 64;
		for (size_t i = 0; ok && i < len; i++) {
			char c = address[i];
			ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '_' || c == '-';
		}
		if (!ok) {
			snprintf(err, errlen, "WeChat openid \"%.70s\" is malformed: an openid is 6 to 64 letters, "
			    "digits, '_' or '-' (the mini-program's login gives it)", address);
			return -1;
		}
		return 0;
	}
	if (strcmp(channel, "webhook") == 0) {
		int ok = len <= 500 && (strncmp(address, "http://", 7) == 0 || strncmp(address, "https://", 8) == 0);
		if (ok)
			ok = len > (address[4] == 's' ? 8u : 7u);
		for (size_t i = 0; ok && i < len; i++)
			ok = (unsigned char)address[i] > ' ' && address[i] != 0x7f;
		if (!ok) {
			snprintf(err, errlen, "webhook URL \"%.70s\" is not an http:// or https:// URL "
			    "(at most 500 bytes, no spaces)", address);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown channel \"%.20s\": use sms, wechat or webhook", channel);
	return -1;
}

int
alert_kinds_include(const char *list, const char *kind)
{
	size_t kl = strlen(kind);

	if (strcmp(list, "*") == 0)
		return 1;
	for (const char *p = list; *p != '\0';) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == kl && strncmp(p, kind, kl) == 0)
			return 1;
		p += l + (e ? 1 : 0);
	}
	return 0;
}

int
alert_kinds_check(const char *list, char *err, size_t errlen)
{
	if (strcmp(list, "*") == 0)
		return 0;
	if (*list == '\0' || strlen(list) > 500)
		goto bad;
	for (const char *p = list; *p != '\0';) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		int found = 0;
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if (strlen(kinds[i].name) == l && strncmp(kinds[i].name, p, l) == 0)
				found = 1;
		if (!found) {
			snprintf(err, errlen, "unknown message kind \"%.*s\" in --kinds: use * or a comma-separated "
			    "list of balance_low_1, balance_low_2, cut_warning, supply_cut, supply_restored, "
			    "payment_received, emergency_credit_taken, statement_ready (or an operator kind)",
			    (int)(l > 40 ? 40 : l), p);
			return -1;
		}
		p += l + (e ? 1 : 0);
	}
	return 0;
bad:
	snprintf(err, errlen, "--kinds must be * or a comma-separated list of message kinds");
	return -1;
}
