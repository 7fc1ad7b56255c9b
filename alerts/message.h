/*
 * Alert messages, pure: which kinds exist and who they are for, the
 * Chinese and English texts with amounts and local times filled in, quiet
 * hours, and contact address checks. The fan-out (alerts/fanout.c) feeds
 * it facts read from an outbox row; nothing here touches the database.
 */
#ifndef PREPAY_ALERTS_MESSAGE_H
#define PREPAY_ALERTS_MESSAGE_H
#include <stddef.h>
#include <stdint.h>

#define ALERT_TEXT_MAX 512
#define ALERT_TITLE_MAX 64
#define ALERT_PARAMS 4
#define ALERT_PARAM_MAX 64

enum alert_lang { ALERT_ZH, ALERT_EN };
enum alert_audience { ALERT_TENANT, ALERT_OPERATOR };

struct alert_kind {
	const char *name;		/* "balance_low_1": the outbox kind without "alert." */
	enum alert_audience audience;
	int urgent;			/* sent during quiet hours too */
};

/* The kind's entry; an unknown name gives a generic operator kind (so a
 * new alert from another area is still delivered, to the operators). */
const struct alert_kind *alert_kind_find(const char *name);

/* What a message says, taken from the outbox payload and row. Amounts in
 * fen; has_* says whether the payload carried the value. */
struct alert_facts {
	const char *kind;		/* "balance_low_1" */
	const char *account;		/* "demo/t01-e" */
	int64_t balance_fen, threshold_fen, need_fen, amount_fen;
	int has_balance, has_threshold, has_need, has_amount;
	const char *cut_at_local;	/* "2026-03-04T10:30" (site time) */
	const char *delayed_by;		/* "night, weekend" */
	const char *event_local;	/* when it happened, site time "2026-03-04T10:00" */
	const char *reason;		/* the policy's or the poller's sentence */
};

struct alert_text {
	char title[ALERT_TITLE_MAX];	/* short: a WeChat "thing" field, a webhook title */
	char text[ALERT_TEXT_MAX];	/* the whole message */
	/* template parameters for SMS providers (approved templates take
	 * values, not free text): account, balance, detail, time */
	char params[ALERT_PARAMS][ALERT_PARAM_MAX];
	int nparams;
};

/* Renders kind + lang + facts. Always succeeds (missing facts are left
 * out of the sentence); the text is UTF-8 and NUL-terminated. */
void alert_render(const struct alert_facts *, enum alert_lang, struct alert_text *);

/*
 * Quiet hours [start_min, end_min) in local minutes after midnight; a
 * start after the end wraps midnight; start == end means none. Given the
 * local wall-clock time (seconds since 1970 local), returns the local time
 * the quiet period ends, or local itself when it is not quiet.
 */
int64_t alert_quiet_until(int64_t local, int start_min, int end_min);

/* "22:00-08:00" or "none" → minutes; 0 or -1. */
int alert_quiet_parse(const char *s, int *start_min, int *end_min);

/*
 * Contact addresses. sms: E.164 ("+8613800138000": '+', 8 to 15 digits;
 * a +86 number must be a mobile: 1 and 10 more digits); wechat: an openid
 * (6 to 64 of [A-Za-z0-9_-]); webhook: an http:// or https:// URL of at
 * most 500 bytes without spaces or control characters. 0 or -1 with a
 * sentence in err saying what is wrong.
 */
int alert_contact_check(const char *channel, const char *address, char *err, size_t errlen);

/* Does "balance_low_1,supply_cut" (or "*") include kind? */
int alert_kinds_include(const char *kinds, const char *kind);
/* Checks a kinds list: "*" or comma-separated known kind names. */
int alert_kinds_check(const char *kinds, char *err, size_t errlen);

#endif
