/*
 * prepayctl commands of the account policy (docs/policy.md): keep-power,
 * emergency credit, an account's decision now and its overrides, a site's
 * rules, and the sweep that carries out pending cuts that fell due.
 * Every change is one transaction with its audit_log row and the policy
 * applied at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "billing/policy_apply.h"
#include "billing/tz.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define RULE_OPTS_USAGE "[--level1 YUAN] [--level2 YUAN] [--restore YUAN] [--grace-min N]" \
	" [--emergency-credit YUAN] [--no-cut-night HH:MM-HH:MM|no] [--no-cut-weekends yes|no]" \
	" [--no-cut-holidays yes|no]"
#define KEEP_POWER_USAGE "usage: prepayctl account keep-power ACCOUNT on|off --reason TEXT"
#define EC_USAGE "usage: prepayctl account emergency-credit ACCOUNT [--reason TEXT]"
#define ACCOUNT_POLICY_USAGE "usage: prepayctl account policy ACCOUNT [" RULE_OPTS_USAGE " --reason TEXT |" \
	" --inherit --reason TEXT]"
#define SITE_POLICY_USAGE "usage: prepayctl site policy SITE [" RULE_OPTS_USAGE " [--reason TEXT]]"
#define RUN_USAGE "usage: prepayctl policy run [--site SITE]"
#define DUE_BATCH 1000

/* The rule options as typed: NULL when not given. */
struct rule_args {
	const char *level1, *level2, *restore, *grace, *ec, *night, *weekends, *holidays;
};

static int
yuan_arg(struct ctl *c, const char *opt, const char *s, int64_t *fen)
{
	if (money_parse_yuan(s, fen) != 0 || *fen < 0 || *fen > POLICY_MAX_FEN)
		return ctl_fail(c, CTL_INVALID, "--%s \"%s\": write an amount in yuan from 0 to %lld with at"
		    " most two decimals, like 100 or 12.50", opt, s, POLICY_MAX_FEN / 100);
	return CTL_OK;
}

static int
yesno_arg(struct ctl *c, const char *opt, const char *s, int *v)
{
	if (strcmp(s, "yes") == 0)
		*v = 1;
	else if (strcmp(s, "no") == 0)
		*v = 0;
	else
		return ctl_fail(c, CTL_INVALID, "--%s must be yes or no, not \"%s\"", opt, s);
	return CTL_OK;
}

/* "HH:MM" → minutes; -1 if not a time */
static int
hhmm(const char *s, size_t len)
{
	if (len != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	return h < 24 && m < 60 ? h * 60 + m : -1;
}

/* Fills o (mask + values) from the typed options. */
static int
rule_args_parse(struct ctl *c, const struct rule_args *a, struct policy_override *o)
{
	int rc;

	memset(o, 0, sizeof *o);
	if (a->level1 && (rc = yuan_arg(c, "level1", a->level1, &o->r.level1_fen)) != CTL_OK)
		return rc;
	if (a->level2 && (rc = yuan_arg(c, "level2", a->level2, &o->r.level2_fen)) != CTL_OK)
		return rc;
	if (a->restore && (rc = yuan_arg(c, "restore", a->restore, &o->r.restore_fen)) != CTL_OK)
		return rc;
	if (a->ec && (rc = yuan_arg(c, "emergency-credit", a->ec, &o->r.emergency_credit_fen)) != CTL_OK)
		return rc;
	if (a->grace) {
		long long n = ctl_parse_id(a->grace);
		if (strcmp(a->grace, "0") == 0)
			n = 0;
		if (n < 0 || n > POLICY_MAX_GRACE_S / 60)
			return ctl_fail(c, CTL_INVALID, "--grace-min \"%s\": give whole minutes from 0 to %d",
			    a->grace, POLICY_MAX_GRACE_S / 60);
		o->r.grace_s = n * 60;
	}
	if (a->night) {
		const char *dash = strchr(a->night, '-');
		if (strcmp(a->night, "no") == 0) {
			o->r.no_cut_night = 0;
			o->r.night_start_min = 22 * 60;
			o->r.night_end_min = 8 * 60;
		} else if (dash == NULL || (o->r.night_start_min = hhmm(a->night, (size_t)(dash - a->night))) < 0 ||
		    (o->r.night_end_min = hhmm(dash + 1, strlen(dash + 1))) < 0) {
			return ctl_fail(c, CTL_INVALID, "--no-cut-night \"%s\": write local times like 22:00-08:00,"
			    " or no", a->night);
		} else
			o->r.no_cut_night = 1;
	}
	if (a->weekends && (rc = yesno_arg(c, "no-cut-weekends", a->weekends, &o->r.no_cut_weekends)) != CTL_OK)
		return rc;
	if (a->holidays && (rc = yesno_arg(c, "no-cut-holidays", a->holidays, &o->r.no_cut_holidays)) != CTL_OK)
		return rc;
	o->mask = (a->level1 ? POLICY_F_LEVEL1 : 0) | (a->level2 ? POLICY_F_LEVEL2 : 0) |
	    (a->restore ? POLICY_F_RESTORE : 0) | (a->grace ? POLICY_F_GRACE : 0) |
	    (a->ec ? POLICY_F_EMERGENCY : 0) | (a->night ? POLICY_F_NIGHT : 0) |
	    (a->weekends ? POLICY_F_WEEKENDS : 0) | (a->holidays ? POLICY_F_HOLIDAYS : 0);
	return CTL_OK;
}

static void
hm(int min, char buf[8])
{
	snprintf(buf, 8, "%02d:%02d", min / 60 % 100, min % 60);
}

static cJSON *
rules_json(const struct policy_rules *r)
{
	cJSON *j = cJSON_CreateObject();
	char a[8], b[8];

	cJSON_AddNumberToObject(j, "level1_fen", (double)r->level1_fen);
	cJSON_AddNumberToObject(j, "level2_fen", (double)r->level2_fen);
	cJSON_AddNumberToObject(j, "restore_fen", (double)r->restore_fen);
	cJSON_AddNumberToObject(j, "grace_s", (double)r->grace_s);
	cJSON_AddNumberToObject(j, "emergency_credit_fen", (double)r->emergency_credit_fen);
	if (r->no_cut_night) {
		char both[16];
		hm(r->night_start_min, a);
		hm(r->night_end_min, b);
		snprintf(both, sizeof both, "%s-%s", a, b);
		cJSON_AddStringToObject(j, "no_cut_night", both);
	} else
		cJSON_AddFalseToObject(j, "no_cut_night");
	cJSON_AddBoolToObject(j, "no_cut_weekends", r->no_cut_weekends);
	cJSON_AddBoolToObject(j, "no_cut_holidays", r->no_cut_holidays);
	return j;
}

/* the rules in two lines; mark: which fields to star as overrides */
static void
rules_print(const struct policy_rules *r, unsigned mark)
{
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN], b3[MONEY_FMT_LEN], b4[MONEY_FMT_LEN], s[8], e[8];

#define STAR(f) ((mark & (f)) ? "*" : "")
	printf("  alerts below ¥%s%s (level 1) and ¥%s%s (level 2); restore at ¥%s%s; grace %" PRId64 " min%s;"
	    " emergency credit %s%s%s\n", money_format(r->level1_fen, b1), STAR(POLICY_F_LEVEL1),
	    money_format(r->level2_fen, b2), STAR(POLICY_F_LEVEL2), money_format(r->restore_fen, b3),
	    STAR(POLICY_F_RESTORE), r->grace_s / 60, STAR(POLICY_F_GRACE),
	    r->emergency_credit_fen > 0 ? "¥" : "", r->emergency_credit_fen > 0 ?
	    money_format(r->emergency_credit_fen, b4) : "not offered", STAR(POLICY_F_EMERGENCY));
	hm(r->night_start_min, s);
	hm(r->night_end_min, e);
	printf("  no cuts: at night %s%s%s%s, on weekends %s%s, on holidays %s%s\n", r->no_cut_night ? s : "no",
	    r->no_cut_night ? "-" : "", r->no_cut_night ? e : "", STAR(POLICY_F_NIGHT),
	    r->no_cut_weekends ? "yes" : "no", STAR(POLICY_F_WEEKENDS), r->no_cut_holidays ? "yes" : "no",
	    STAR(POLICY_F_HOLIDAYS));
#undef STAR
}

/* "2026-03-09 08:00 Asia/Shanghai (2026-03-09T00:00:00Z)" */
static void
when_text(const char *zone, int64_t utc, char *buf, size_t len)
{
	char err[160], loc[40], z[40];
	struct tz *tz = tz_load(zone, err, sizeof err);

	policy_format_utc(utc, z, sizeof z);
	if (tz == NULL) {
		snprintf(buf, len, "%s", z);
		return;
	}
	tz_format_local(utc + tz_offset_at(tz, utc, NULL, NULL), loc, sizeof loc);
	tz_free(tz);
	if (strlen(loc) > 10 && loc[10] == 'T')
		loc[10] = ' ';
	snprintf(buf, len, "%s %s (%s)", loc, zone, z);
}

static void
decision_print(struct ctl *c, const struct policy_result *r)
{
	const struct policy_decision *d = &r->d;
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN], b3[MONEY_FMT_LEN], w[64], when[128], why[200];
	int64_t amt;

	if (c->json) {
		cJSON *j = cJSON_CreateObject();
		char *s;
		cJSON_AddNumberToObject(j, "account_id", (double)r->account_id);
		cJSON_AddStringToObject(j, "account", r->label);
		cJSON_AddStringToObject(j, "level", policy_level_name(d->level));
		cJSON_AddStringToObject(j, "supply", policy_supply_name(d->supply));
		cJSON_AddNumberToObject(j, "balance_fen", (double)d->balance_fen);
		cJSON_AddNumberToObject(j, "cut_line_fen", (double)d->cut_line_fen);
		cJSON_AddNumberToObject(j, "restore_at_fen", (double)d->restore_at_fen);
		cJSON_AddNumberToObject(j, "need_fen", (double)d->need_fen);
		if (d->cut_at != 0) {
			policy_format_utc(d->cut_at, w, sizeof w);
			cJSON_AddStringToObject(j, "cut_at", w);
			policy_why_text(d->delayed_by, w, sizeof w);
			cJSON_AddStringToObject(j, "delayed_by", w);
		} else
			cJSON_AddNullToObject(j, "cut_at");
		cJSON_AddBoolToObject(j, "keep_power", r->account.keep_power);
		cJSON_AddBoolToObject(j, "emergency_credit_available", d->ec_available);
		cJSON_AddNumberToObject(j, "emergency_credit_fen", (double)d->ec_amount_fen);
		cJSON_AddNumberToObject(j, "emergency_outstanding_fen", (double)d->ec_outstanding_fen);
		cJSON_AddStringToObject(j, "why", d->why);
		cJSON_AddStringToObject(j, "timezone", r->timezone);
		cJSON_AddItemToObject(j, "rules", rules_json(&r->rules));
		s = cJSON_Print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
		return;
	}
	printf("account %" PRId64 " (%s)\n", r->account_id, r->label);
	printf("  balance     ¥%s (cut below ¥%s, restore at ¥%s)\n", money_format(d->balance_fen, b1),
	    money_format(d->cut_line_fen, b2), money_format(d->restore_at_fen, b3));
	printf("  level       %s\n", policy_level_name(d->level));
	printf("  supply      %s\n", policy_supply_name(d->supply));
	if (d->level == POLICY_LEVEL_CUT_PENDING) {
		when_text(r->timezone, d->cut_at, when, sizeof when);
		policy_why_text(d->delayed_by, w, sizeof w);
		printf("  cut at      %s%s%s%s\n", when, d->delayed_by ? " (no cuts: " : "", w,
		    d->delayed_by ? ")" : "");
	}
	if (d->need_fen > 0)
		printf("  to pay      ¥%s %s\n", money_format(d->need_fen, b1),
		    d->supply == POLICY_SUPPLY_OFF ? "to restore the supply" : "to keep the supply on");
	if (d->ec_outstanding_fen > 0)
		printf("  emergency   ¥%s taken, repaid first by the next top-up\n",
		    money_format(d->ec_outstanding_fen, b1));
	if (d->ec_available)
		printf("  emergency   ¥%s available (prepayctl account emergency-credit %s)\n",
		    money_format(d->ec_amount_fen, b1), r->label);
	else if (d->ec_outstanding_fen == 0) {
		struct policy_account a = r->account;
		a.balance_fen = d->balance_fen;
		a.ec_taken = d->ec_taken;
		a.ec_outstanding_fen = d->ec_outstanding_fen;
		policy_emergency_check(&r->rules, &a, &amt, why, sizeof why);
		printf("  emergency   not available: %s\n", why);
	}
	printf("  keep-power  %s\n", r->account.keep_power ? "yes (保电: never cut)" : "no");
	printf("  why         %s\n", d->why);
	printf("rules%s\n", r->override_mask ? " (* = this account's own)" : " (the site's)");
	rules_print(&r->rules, r->override_mask);
}

/* ---- account keep-power ---- */

struct kp_arg {
	int64_t id;
	int on;
	const char *actor, *reason;
	struct policy_result r;
};

static int
kp_fn(struct db *db, void *p)
{
	struct kp_arg *a = p;

	return policy_keep_power_in_tx(db, a->id, a->on, 0, a->actor, a->reason, &a->r);
}

int
ctl_account_keep_power(struct ctl *c, int argc, char **argv)
{
	const char *reason = NULL;
	struct ctl_opt opts[] = { { "reason", &reason, 0 }, { NULL, NULL, 0 } };
	struct kp_arg a = { 0 };
	char *pos[2];
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 2) != 2) {
		fprintf(stderr, "%s\n", KEEP_POWER_USAGE);
		return CTL_USAGE;
	}
	if (strcmp(pos[1], "on") != 0 && strcmp(pos[1], "off") != 0) {
		ctl_fail(c, CTL_USAGE, "say on or off, not \"%s\"", pos[1]);
		fprintf(stderr, "%s\n", KEEP_POWER_USAGE);
		return CTL_USAGE;
	}
	if (reason == NULL || *reason == '\0') {
		ctl_fail(c, CTL_USAGE, "--reason is required: say why this account keeps power (or no longer does)");
		fprintf(stderr, "%s\n", KEEP_POWER_USAGE);
		return CTL_USAGE;
	}
	if ((rc = ctl_account_resolve(c, pos[0], &a.id)) != CTL_OK)
		return rc;
	a.on = strcmp(pos[1], "on") == 0;
	a.actor = c->actor;
	a.reason = reason;
	if ((rc = db_tx(ctl_db(c), kp_fn, &a)) != 0)
		return rc == 1 ? ctl_fail(c, CTL_INVALID, "no account %s", pos[0]) :
		    ctl_fail(c, CTL_UNAVAILABLE, "keep-power not changed: %s", db_error(c->db));
	if (!c->json)
		printf("account %" PRId64 " (%s): keep-power %s\n", a.id, a.r.label, a.on ? "on" : "off");
	decision_print(c, &a.r);
	return CTL_OK;
}

/* ---- account emergency-credit ---- */

struct ec_arg {
	int64_t id;
	const char *actor, *reason;
	struct policy_result r;
	char why[256];
};

static int
ec_fn(struct db *db, void *p)
{
	struct ec_arg *a = p;

	return policy_emergency_credit_in_tx(db, a->id, 0, a->actor, a->reason, &a->r, a->why, sizeof a->why);
}

int
ctl_account_emergency_credit(struct ctl *c, int argc, char **argv)
{
	const char *reason = NULL;
	struct ctl_opt opts[] = { { "reason", &reason, 0 }, { NULL, NULL, 0 } };
	struct ec_arg a = { 0 };
	char *pos[1], b1[MONEY_FMT_LEN];
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "%s\n", EC_USAGE);
		return CTL_USAGE;
	}
	if ((rc = ctl_account_resolve(c, pos[0], &a.id)) != CTL_OK)
		return rc;
	a.actor = c->actor;
	a.reason = reason;
	rc = db_tx(ctl_db(c), ec_fn, &a);
	if (rc == 1)
		return ctl_fail(c, CTL_CONFLICT, "no emergency credit for account %s: %s; nothing was posted",
		    pos[0], a.why);
	if (rc != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "emergency credit not posted: %s", db_error(c->db));
	if (!c->json)
		printf("account %" PRId64 " (%s): emergency credit of ¥%s posted; a top-up repays it first\n",
		    a.id, a.r.label, money_format(a.r.d.ec_outstanding_fen, b1));
	decision_print(c, &a.r);
	return CTL_OK;
}

/* ---- account policy ---- */

struct ovr_arg {
	int64_t id;
	const struct policy_override *set;	/* NULL with inherit */
	int inherit;
	const char *actor, *reason;
	struct policy_result r;
	char why[256];
};

static int
ovr_fn(struct db *db, void *p)
{
	struct ovr_arg *a = p;
	struct policy_rules site, merged;
	struct policy_override cur;
	struct policy_result r;
	cJSON *d;
	char *detail;
	long long n;

	/* the account row lock first, as every policy writer takes it */
	if (db_query_int(db, &(int64_t){ 0 }, "SELECT id FROM accounts WHERE id = ? FOR UPDATE", "i", a->id) < 0 ||
	    policy_evaluate(db, a->id, 0, &r) != 0)
		return -1;
	site = r.site_rules;
	memset(&cur, 0, sizeof cur);
	if (!a->inherit) {
		/* what the account already overrides, plus what is typed now */
		policy_rules_merge(&site, &(struct policy_override){ r.override_mask, r.rules }, &cur.r);
		cur.mask = r.override_mask | a->set->mask;
		policy_rules_merge(&cur.r, a->set, &cur.r);
		policy_rules_merge(&site, &cur, &merged);
		if (policy_rules_validate(&merged, a->why, sizeof a->why) != 0)
			return 2;
	}
	if (a->inherit)
		n = db_exec(db, "DELETE FROM account_policy_overrides WHERE account_id = ?", "i", a->id);
	else {
		n = db_exec(db, "REPLACE INTO account_policy_overrides (account_id, level1_fen, level2_fen,"
		    " restore_fen, grace_s, emergency_credit_fen, no_cut_night, night_start_min, night_end_min,"
		    " no_cut_weekends, no_cut_holidays, updated_by) VALUES (?, IF(?, ?, NULL), IF(?, ?, NULL),"
		    " IF(?, ?, NULL), IF(?, ?, NULL), IF(?, ?, NULL), IF(?, ?, NULL), IF(?, ?, NULL), IF(?, ?, NULL),"
		    " IF(?, ?, NULL), IF(?, ?, NULL), ?)", "iiiiiiiiiiiiiiiiiiiiis", a->id,
		    (int64_t)((cur.mask & POLICY_F_LEVEL1) != 0), cur.r.level1_fen,
		    (int64_t)((cur.mask & POLICY_F_LEVEL2) != 0), cur.r.level2_fen,
		    (int64_t)((cur.mask & POLICY_F_RESTORE) != 0), cur.r.restore_fen,
		    (int64_t)((cur.mask & POLICY_F_GRACE) != 0), cur.r.grace_s,
		    (int64_t)((cur.mask & POLICY_F_EMERGENCY) != 0), cur.r.emergency_credit_fen,
		    (int64_t)((cur.mask & POLICY_F_NIGHT) != 0), (int64_t)cur.r.no_cut_night,
		    (int64_t)((cur.mask & POLICY_F_NIGHT) != 0), (int64_t)cur.r.night_start_min,
		    (int64_t)((cur.mask & POLICY_F_NIGHT) != 0), (int64_t)cur.r.night_end_min,
		    (int64_t)((cur.mask & POLICY_F_WEEKENDS) != 0), (int64_t)cur.r.no_cut_weekends,
		    (int64_t)((cur.mask & POLICY_F_HOLIDAYS) != 0), (int64_t)cur.r.no_cut_holidays, a->actor);
	}
	if (n < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "before", rules_json(&r.rules));
	if (!a->inherit)
		cJSON_AddItemToObject(d, "after", rules_json(&merged));
	cJSON_AddBoolToObject(d, "inherit", a->inherit);
	cJSON_AddStringToObject(d, "reason", a->reason);
	detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail)"
	    " VALUES (?, 'account.policy', 'account', ?, ?)", "sis", a->actor, a->id, detail);
	free(detail);
	if (n < 0)
		return -1;
	return policy_apply_in_tx(db, a->id, 0, a->actor, "account policy", &a->r);
}

int
ctl_account_policy(struct ctl *c, int argc, char **argv)
{
	struct rule_args ra = { 0 };
	const char *reason = NULL, *inherit = NULL, *json = NULL;
	struct ctl_opt opts[] = { { "level1", &ra.level1, 0 }, { "level2", &ra.level2, 0 },
	    { "restore", &ra.restore, 0 }, { "grace-min", &ra.grace, 0 }, { "emergency-credit", &ra.ec, 0 },
	    { "no-cut-night", &ra.night, 0 }, { "no-cut-weekends", &ra.weekends, 0 },
	    { "no-cut-holidays", &ra.holidays, 0 }, { "reason", &reason, 0 }, { "inherit", &inherit, 1 },
	    { "json", &json, 1 }, { NULL, NULL, 0 } };
	struct policy_override o;
	struct ovr_arg a = { 0 };
	char *pos[1];
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "%s\n", ACCOUNT_POLICY_USAGE);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	if ((rc = rule_args_parse(c, &ra, &o)) != CTL_OK)
		return rc;
	if (o.mask != 0 && inherit != NULL)
		return ctl_fail(c, CTL_USAGE, "--inherit drops every override of the account: give it alone");
	if ((o.mask != 0 || inherit != NULL) && (reason == NULL || *reason == '\0')) {
		ctl_fail(c, CTL_USAGE, "--reason is required to change an account's rules");
		fprintf(stderr, "%s\n", ACCOUNT_POLICY_USAGE);
		return CTL_USAGE;
	}
	if ((rc = ctl_account_resolve(c, pos[0], &a.id)) != CTL_OK)
		return rc;
	if (o.mask == 0 && inherit == NULL) {
		rc = policy_evaluate(ctl_db(c), a.id, 0, &a.r);
		if (rc != 0)
			return ctl_fail(c, CTL_UNAVAILABLE, "cannot read account %s: %s", pos[0], db_error(c->db));
		decision_print(c, &a.r);
		return CTL_OK;
	}
	a.set = &o;
	a.inherit = inherit != NULL;
	a.actor = c->actor;
	a.reason = reason;
	rc = db_tx(ctl_db(c), ovr_fn, &a);
	if (rc == 2)
		return ctl_fail(c, CTL_INVALID, "account %s: %s; nothing was changed", pos[0], a.why);
	if (rc != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "account rules not changed: %s", db_error(c->db));
	decision_print(c, &a.r);
	return CTL_OK;
}

/* ---- site policy ---- */

struct site_arg {
	int64_t site_id;
	const struct policy_override *set;
	const char *actor, *reason, *code;
	struct policy_rules before, after;
	char why[256];
};

static int
site_fn(struct db *db, void *p)
{
	struct site_arg *a = p;
	const struct policy_rules *r = &a->after;
	cJSON *d;
	char *detail;
	long long n;

	/* lock the site's rules row (or its gap) so two operators serialize */
	if (db_query_int(db, &(int64_t){ 0 }, "SELECT site_id FROM site_policies WHERE site_id = ? FOR UPDATE", "i",
	    a->site_id) < 0 || policy_site_rules(db, a->site_id, &a->before) != 0)
		return -1;
	policy_rules_merge(&a->before, a->set, &a->after);
	if (policy_rules_validate(&a->after, a->why, sizeof a->why) != 0)
		return 2;
	n = db_exec(db, "INSERT INTO site_policies (site_id, level1_fen, level2_fen, restore_fen, grace_s,"
	    " emergency_credit_fen, no_cut_night, night_start_min, night_end_min, no_cut_weekends, no_cut_holidays,"
	    " updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
	    " level1_fen = VALUES(level1_fen), level2_fen = VALUES(level2_fen), restore_fen = VALUES(restore_fen),"
	    " grace_s = VALUES(grace_s), emergency_credit_fen = VALUES(emergency_credit_fen),"
	    " no_cut_night = VALUES(no_cut_night), night_start_min = VALUES(night_start_min),"
	    " night_end_min = VALUES(night_end_min), no_cut_weekends = VALUES(no_cut_weekends),"
	    " no_cut_holidays = VALUES(no_cut_holidays), updated_by = VALUES(updated_by)", "iiiiiiiiiiis",
	    a->site_id, r->level1_fen, r->level2_fen, r->restore_fen, r->grace_s, r->emergency_credit_fen,
	    (int64_t)r->no_cut_night, (int64_t)r->night_start_min, (int64_t)r->night_end_min,
	    (int64_t)r->no_cut_weekends, (int64_t)r->no_cut_holidays, a->actor);
	if (n < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "site", a->code);
	cJSON_AddItemToObject(d, "before", rules_json(&a->before));
	cJSON_AddItemToObject(d, "after", rules_json(&a->after));
	cJSON_AddStringToObject(d, "reason", a->reason ? a->reason : "");
	detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail)"
	    " VALUES (?, 'site.policy', 'site', ?, ?)", "sis", a->actor, a->site_id, detail);
	free(detail);
	return n < 0 ? -1 : 0;
}

/* New rules may restore or cut: evaluate the site's accounts the policy
 * has seen, each in its own short transaction. */
static int
reapply_site(struct ctl *c, int64_t site_id, const char *actor, int *changed)
{
	struct db_rows *rows = db_query(ctl_db(c), "SELECT st.account_id FROM account_policy_state st"
	    " JOIN accounts a ON a.id = st.account_id WHERE a.site_id = ? ORDER BY st.account_id", "i", site_id);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*changed = 0;
	if (rows == NULL)
		return -1;
	while ((rc = db_rows_next(rows)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = realloc(ids, cap * sizeof *ids);
			if (ids == NULL)
				fatalx("out of memory");
		}
		ids[n++] = db_rows_int(rows, 0);
	}
	db_rows_free(rows);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct policy_result r;
		if (policy_apply(ctl_db(c), ids[i], 0, actor, "site policy", &r) != 0)
			rc = -1;
		else if (r.d.supply_changed)
			(*changed)++;
	}
	free(ids);
	return rc;
}

int
ctl_site_policy(struct ctl *c, int argc, char **argv)
{
	struct rule_args ra = { 0 };
	const char *reason = NULL, *json = NULL;
	struct ctl_opt opts[] = { { "level1", &ra.level1, 0 }, { "level2", &ra.level2, 0 },
	    { "restore", &ra.restore, 0 }, { "grace-min", &ra.grace, 0 }, { "emergency-credit", &ra.ec, 0 },
	    { "no-cut-night", &ra.night, 0 }, { "no-cut-weekends", &ra.weekends, 0 },
	    { "no-cut-holidays", &ra.holidays, 0 }, { "reason", &reason, 0 }, { "json", &json, 1 },
	    { NULL, NULL, 0 } };
	struct policy_override o;
	struct site_arg a = { 0 };
	char *pos[1];
	int rc, changed = 0;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "%s\n", SITE_POLICY_USAGE);
		return CTL_USAGE;
	}
	if (json != NULL)
		c->json = 1;
	if ((rc = rule_args_parse(c, &ra, &o)) != CTL_OK || (rc = ctl_site_resolve(c, pos[0], &a.site_id)) != CTL_OK)
		return rc;
	if (o.mask == 0) {
		if (policy_site_rules(ctl_db(c), a.site_id, &a.after) != 0)
			return ctl_fail(c, CTL_UNAVAILABLE, "cannot read site %s: %s", pos[0], db_error(c->db));
	} else {
		a.set = &o;
		a.actor = c->actor;
		a.reason = reason;
		a.code = pos[0];
		rc = db_tx(ctl_db(c), site_fn, &a);
		if (rc == 2)
			return ctl_fail(c, CTL_INVALID, "site %s: %s; nothing was changed", pos[0], a.why);
		if (rc != 0)
			return ctl_fail(c, CTL_UNAVAILABLE, "site rules not changed: %s", db_error(c->db));
		if (reapply_site(c, a.site_id, c->actor, &changed) != 0)
			return ctl_fail(c, CTL_UNAVAILABLE, "the rules were saved, but re-evaluating the site's"
			    " accounts failed (%s); the next reading or prepayctl policy run does it", db_error(c->db));
	}
	if (c->json) {
		cJSON *j = rules_json(&a.after);
		char *s;
		cJSON_AddStringToObject(j, "site", pos[0]);
		s = cJSON_Print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
		return CTL_OK;
	}
	printf("site %s%s\n", pos[0], o.mask ? ": rules saved" : "");
	rules_print(&a.after, 0);
	if (o.mask && changed > 0)
		printf("%d account%s changed supply under the new rules\n", changed, changed == 1 ? "" : "s");
	return CTL_OK;
}

/* ---- policy run ---- */

int
ctl_policy_run(struct ctl *c, int argc, char **argv)
{
	const char *site = NULL;
	struct ctl_opt opts[] = { { "site", &site, 0 }, { NULL, NULL, 0 } };
	int64_t site_id = 0, now = policy_clock_now(), *ids;
	int n, rc, cut = 0, errors = 0;

	if (ctl_opts(argc, argv, opts, NULL, 0) != 0) {
		fprintf(stderr, "%s\n", RUN_USAGE);
		return CTL_USAGE;
	}
	if (site != NULL && (rc = ctl_site_resolve(c, site, &site_id)) != CTL_OK)
		return rc;
	ids = xmalloc(DUE_BATCH * sizeof *ids);
	if ((n = policy_due_accounts(ctl_db(c), now, site_id, ids, DUE_BATCH)) < 0) {
		free(ids);
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot list the accounts due: %s", db_error(c->db));
	}
	for (int i = 0; i < n; i++) {
		struct policy_result r;
		if (policy_apply(c->db, ids[i], now, c->actor, "policy run", &r) != 0) {
			fprintf(stderr, "prepayctl: account %" PRId64 ": %s\n", ids[i], db_error(c->db));
			errors++;
			continue;
		}
		if (r.d.supply_changed && r.d.supply == POLICY_SUPPLY_OFF) {
			cut++;
			if (!c->json)
				printf("account %" PRId64 " (%s): supply cut: %s\n", ids[i], r.label, r.d.why);
		}
	}
	free(ids);
	if (c->json)
		printf("{\"due\": %d, \"cut\": %d, \"errors\": %d}\n", n, cut, errors);
	else
		printf("%d account%s due, %d cut%s\n", n, n == 1 ? "" : "s", cut,
		    n == DUE_BATCH ? " (more may be due: run again)" : "");
	return errors ? CTL_UNAVAILABLE : CTL_OK;
}
