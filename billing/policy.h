/*
 * The account policy, pure: from an account's balance, its remembered
 * state, its site's rules, the windows in which no cut may happen and the
 * time, decide the alert level, the desired supply state, when a pending
 * cut happens, what to pay to restore, and which one message to send.
 * No I/O; billing/policy_apply.c loads and persists. See docs/policy.md.
 */
#ifndef PREPAY_POLICY_H
#define PREPAY_POLICY_H
#include <stddef.h>
#include <stdint.h>

enum policy_level {
	POLICY_LEVEL_NONE,
	POLICY_LEVEL_1,		/* below level1_fen */
	POLICY_LEVEL_2,		/* below level2_fen */
	POLICY_LEVEL_CUT_PENDING,	/* below the cut line, waiting for grace / friendly hours */
	POLICY_LEVEL_CUT,	/* supply off */
};

enum policy_supply { POLICY_SUPPLY_ON, POLICY_SUPPLY_OFF };

/* The one tenant message an evaluation may queue (the most severe). */
enum policy_message {
	POLICY_MSG_NONE,
	POLICY_MSG_LOW_1,		/* balance_low_1 */
	POLICY_MSG_LOW_2,		/* balance_low_2 */
	POLICY_MSG_CUT_WARNING,		/* cut_warning, with when */
	POLICY_MSG_SUPPLY_CUT,		/* supply_cut */
	POLICY_MSG_SUPPLY_RESTORED,	/* supply_restored */
	POLICY_MSG_EMERGENCY_CREDIT,	/* emergency_credit_taken (queued by the shell) */
};

/* Why no cut may happen in a window (bits, merged windows or them). */
#define POLICY_NO_CUT_NIGHT	0x1u
#define POLICY_NO_CUT_WEEKEND	0x2u
#define POLICY_NO_CUT_HOLIDAY	0x4u

#define POLICY_MAX_FEN 10000000000LL	/* ¥100,000,000: no threshold is larger */
#define POLICY_MAX_GRACE_S (7 * 86400)
#define POLICY_MINUTES_PER_DAY 1440

struct policy_rules {
	int64_t level1_fen;		/* level 1 when the balance is below this */
	int64_t level2_fen;		/* level 2 (<= level1_fen) */
	int64_t restore_fen;		/* supply back once the balance reaches this (and the cut line) */
	int64_t grace_s;		/* below the cut line this long before the cut */
	int64_t emergency_credit_fen;	/* the fixed credit offered; 0: none */
	int no_cut_night;
	int night_start_min, night_end_min;	/* local minutes; start > end wraps midnight */
	int no_cut_weekends;
	int no_cut_holidays;
};

/* Per-account exceptions: only the fields whose bit is in mask apply. */
enum policy_field {
	POLICY_F_LEVEL1 = 1 << 0,
	POLICY_F_LEVEL2 = 1 << 1,
	POLICY_F_RESTORE = 1 << 2,
	POLICY_F_GRACE = 1 << 3,
	POLICY_F_EMERGENCY = 1 << 4,
	POLICY_F_NIGHT = 1 << 5,	/* no_cut_night and its start/end */
	POLICY_F_WEEKENDS = 1 << 6,
	POLICY_F_HOLIDAYS = 1 << 7,
};
struct policy_override {
	unsigned mask;
	struct policy_rules r;
};

/* The account as the policy sees it (balance under the row lock). */
struct policy_account {
	int64_t balance_fen;
	int64_t overdraft_fen;		/* the cut line is -overdraft_fen */
	int keep_power;			/* 保电: never cut */
	enum policy_supply supply;	/* the desired state decided last time */
	int64_t below_since;		/* UTC; 0: not below the cut line */
	int notified_level;		/* low-balance level already told: 0, 1 or 2 */
	int ec_taken;			/* emergency credit taken since the last top-up */
	int64_t ec_outstanding_fen;	/* emergency credit not yet repaid */
	int64_t topup_fen;		/* top-ups posted since the last evaluation */
};

/* Instants (UTC, [start, end)) in which no cut may happen, sorted, merged. */
#define POLICY_MAX_WINDOWS 128
struct policy_window {
	int64_t start, end;
	unsigned why;			/* POLICY_NO_CUT_* */
};
struct policy_windows {
	int n;
	struct policy_window w[POLICY_MAX_WINDOWS];
};

struct policy_decision {
	enum policy_level level;
	enum policy_supply supply;	/* desired */
	int supply_changed;
	enum policy_message message;
	int64_t repay_fen;		/* emergency credit a top-up repays now (post it) */
	int64_t balance_fen;		/* after that repayment */
	int64_t ec_outstanding_fen;	/* after it */
	int ec_taken;
	int ec_available;		/* the tenant may take emergency credit now */
	int64_t ec_amount_fen;
	int64_t cut_line_fen;		/* cut when the balance is below this */
	int64_t restore_at_fen;		/* restore when the balance reaches this */
	int64_t below_since;		/* to persist; 0: not below */
	int64_t grace_end;		/* 0 unless below the cut line and not keep-power */
	int64_t cut_at;			/* when the pending cut happens (or happened: now); 0: none */
	unsigned delayed_by;		/* POLICY_NO_CUT_* that pushed cut_at past grace_end */
	int64_t need_fen;		/* least top-up that keeps or brings the supply on; 0: none */
	int notified_level;		/* to persist */
	char why[320];			/* for people: why this decision */
};

/* The rules when a site sets none. */
void policy_rules_default(struct policy_rules *);
/* 0, or -1 with a sentence in why (which setting, what is allowed). */
int policy_rules_validate(const struct policy_rules *, char *why, size_t whylen);
/* Site rules with an account's overrides on top. */
void policy_rules_merge(const struct policy_rules *site, const struct policy_override *,
    struct policy_rules *out);

/* Whether deciding for this account needs the no-cut windows (a cut is
 * pending or due); the shell loads the calendar and time zone only then. */
int policy_needs_windows(const struct policy_rules *, const struct policy_account *);

/* The first instant >= from outside every window; *why collects the
 * reasons of the windows it had to skip (may be NULL). */
int64_t policy_next_cut_time(const struct policy_windows *, int64_t from, unsigned *why);

/* The decision. no_cut may be NULL (no windows). Returns 0, or -1 when the
 * rules or account are impossible (why filled, out->why too). */
int policy_decide(const struct policy_rules *, const struct policy_account *,
    const struct policy_windows *no_cut, int64_t now, struct policy_decision *out);

/*
 * Emergency credit: 0 when the tenant may take it now (amount in
 * *amount_fen), else -1 with a sentence for the tenant in why.
 */
int policy_emergency_check(const struct policy_rules *, const struct policy_account *,
    int64_t *amount_fen, char *why, size_t whylen);

const char *policy_level_name(enum policy_level);
const char *policy_supply_name(enum policy_supply);
/* "balance_low_1" … ; NULL for POLICY_MSG_NONE */
const char *policy_message_kind(enum policy_message);
/* "night, weekend" for people */
void policy_why_text(unsigned why, char *buf, size_t len);
/* UTC seconds → "2026-03-06T14:00:00Z" */
void policy_format_utc(int64_t utc, char *buf, size_t len);

#endif
