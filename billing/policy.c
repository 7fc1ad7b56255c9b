/*
 * The account policy (policy.h, docs/policy.md). Pure: the caller hands in
 * everything, including the clock and the no-cut windows.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "billing/policy.h"
#include "billing/tz.h"
#include "lib/money.h"

void
policy_rules_default(struct policy_rules *r)
{
	memset(r, 0, sizeof *r);
	r->level1_fen = 10000;
	r->level2_fen = 3000;
	r->restore_fen = 0;
	r->grace_s = 1800;
	r->emergency_credit_fen = 0;
	r->no_cut_night = 1;
	r->night_start_min = 22 * 60;
	r->night_end_min = 8 * 60;
	r->no_cut_weekends = 1;
	r->no_cut_holidays = 1;
}

static int
fen_ok(int64_t v)
{
	return v >= 0 && v <= POLICY_MAX_FEN;
}

int
policy_rules_validate(const struct policy_rules *r, char *why, size_t whylen)
{
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];

	if (!fen_ok(r->level1_fen) || !fen_ok(r->level2_fen) || !fen_ok(r->restore_fen) ||
	    !fen_ok(r->emergency_credit_fen)) {
		snprintf(why, whylen, "alert levels, the restore threshold and the emergency credit must be"
		    " between ¥0 and ¥%lld", POLICY_MAX_FEN / 100);
		return -1;
	}
	if (r->level2_fen > r->level1_fen) {
		snprintf(why, whylen, "level 2 (¥%s) must not be above level 1 (¥%s): level 2 is the later,"
		    " more urgent warning", money_format(r->level2_fen, b1), money_format(r->level1_fen, b2));
		return -1;
	}
	if (r->grace_s < 0 || r->grace_s > POLICY_MAX_GRACE_S) {
		snprintf(why, whylen, "the grace delay must be between 0 and %d minutes, not %" PRId64 " s",
		    POLICY_MAX_GRACE_S / 60, r->grace_s);
		return -1;
	}
	if (r->night_start_min < 0 || r->night_start_min >= POLICY_MINUTES_PER_DAY ||
	    r->night_end_min < 0 || r->night_end_min >= POLICY_MINUTES_PER_DAY) {
		snprintf(why, whylen, "the night window's times must be between 00:00 and 23:59");
		return -1;
	}
	if (r->no_cut_night && r->night_start_min == r->night_end_min) {
		snprintf(why, whylen, "the night window starts and ends at the same time: give two"
		    " different times like 22:00-08:00, or turn it off");
		return -1;
	}
	if ((r->no_cut_night | r->no_cut_weekends | r->no_cut_holidays) & ~1) {
		snprintf(why, whylen, "the no-cut switches must be yes or no");
		return -1;
	}
	return 0;
}

void
policy_rules_merge(const struct policy_rules *site, const struct policy_override *o, struct policy_rules *out)
{
	*out = *site;
	if (o == NULL)
		return;
	if (o->mask & POLICY_F_LEVEL1)
		out->level1_fen = o->r.level1_fen;
	if (o->mask & POLICY_F_LEVEL2)
		out->level2_fen = o->r.level2_fen;
	if (o->mask & POLICY_F_RESTORE)
		out->restore_fen = o->r.restore_fen;
	if (o->mask & POLICY_F_GRACE)
		out->grace_s = o->r.grace_s;
	if (o->mask & POLICY_F_EMERGENCY)
		out->emergency_credit_fen = o->r.emergency_credit_fen;
	if (o->mask & POLICY_F_NIGHT) {
		out->no_cut_night = o->r.no_cut_night;
		out->night_start_min = o->r.night_start_min;
		out->night_end_min = o->r.night_end_min;
	}
	if (o->mask & POLICY_F_WEEKENDS)
		out->no_cut_weekends = o->r.no_cut_weekends;
	if (o->mask & POLICY_F_HOLIDAYS)
		out->no_cut_holidays = o->r.no_cut_holidays;
}

int
policy_needs_windows(const struct policy_rules *r, const struct policy_account *a)
{
	(void)r;
	/* a top-up may lift the balance; the decision re-checks, this only
	 * has to be true whenever a cut could be pending */
	return !a->keep_power && a->supply == POLICY_SUPPLY_ON && a->balance_fen < -a->overdraft_fen;
}

int64_t
policy_next_cut_time(const struct policy_windows *ws, int64_t from, unsigned *why)
{
	int64_t t = from;

	if (why != NULL)
		*why = 0;
	if (ws == NULL)
		return t;
	/* sorted and merged: one pass moves t past every window it falls in */
	for (int i = 0; i < ws->n && i < POLICY_MAX_WINDOWS; i++) {
		if (t >= ws->w[i].start && t < ws->w[i].end) {
			t = ws->w[i].end;
			if (why != NULL)
				*why |= ws->w[i].why;
		}
	}
	return t;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

int
policy_emergency_check(const struct policy_rules *r, const struct policy_account *a, int64_t *amount_fen,
    char *why, size_t whylen)
{
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN];

	*amount_fen = 0;
	if (r->emergency_credit_fen <= 0) {
		snprintf(why, whylen, "this site offers no emergency credit");
		return -1;
	}
	if (a->keep_power) {
		snprintf(why, whylen, "the account keeps power (保电) and is never cut: it needs no emergency"
		    " credit");
		return -1;
	}
	if (a->ec_taken) {
		snprintf(why, whylen, "emergency credit was already taken; it is offered again after the next"
		    " top-up");
		return -1;
	}
	if (a->ec_outstanding_fen > 0) {
		snprintf(why, whylen, "¥%s of earlier emergency credit is still to be repaid by a top-up",
		    money_format(a->ec_outstanding_fen, b1));
		return -1;
	}
	if (a->balance_fen >= r->level2_fen) {
		snprintf(why, whylen, "emergency credit is offered only when the balance is below ¥%s"
		    " (alert level 2); it is ¥%s", money_format(r->level2_fen, b1),
		    money_format(a->balance_fen, b2));
		return -1;
	}
	*amount_fen = r->emergency_credit_fen;
	return 0;
}

static int
low_level(const struct policy_rules *r, int64_t bal)
{
	if (bal < r->level2_fen)
		return 2;
	if (bal < r->level1_fen)
		return 1;
	return 0;
}

int
policy_decide(const struct policy_rules *r, const struct policy_account *a, const struct policy_windows *no_cut,
    int64_t now, struct policy_decision *d)
{
	char b1[MONEY_FMT_LEN], b2[MONEY_FMT_LEN], b3[MONEY_FMT_LEN], t1[40], t2[40], w[64];
	struct policy_account after;
	int64_t room, bal, amt;
	int low, was_below;
	char ecwhy[160];

	memset(d, 0, sizeof *d);
	if (policy_rules_validate(r, d->why, sizeof d->why) != 0)
		return -1;
	if (a->overdraft_fen < 0 || a->overdraft_fen > POLICY_MAX_FEN || a->topup_fen < 0 ||
	    a->ec_outstanding_fen < 0 || a->notified_level < 0 || a->notified_level > 2 ||
	    a->balance_fen < -POLICY_MAX_FEN * 100 || a->balance_fen > POLICY_MAX_FEN * 100) {
		snprintf(d->why, sizeof d->why, "impossible account state (overdraft, top-up, emergency credit"
		    " or notified level out of range)");
		return -1;
	}
	d->cut_line_fen = -a->overdraft_fen;
	d->restore_at_fen = max64(r->restore_fen, d->cut_line_fen);

	/* a top-up repays outstanding emergency credit first, as far as the
	 * ledger's floor for repayments (the overdraft) lets it */
	if (a->topup_fen > 0 && a->ec_outstanding_fen > 0) {
		room = max64(a->balance_fen - d->cut_line_fen, 0);
		d->repay_fen = min64(min64(a->ec_outstanding_fen, a->topup_fen), room);
	}
	bal = d->balance_fen = a->balance_fen - d->repay_fen;
	d->ec_outstanding_fen = a->ec_outstanding_fen - d->repay_fen;
	d->ec_taken = a->topup_fen > 0 ? 0 : a->ec_taken;
	low = low_level(r, bal);
	/* a top-up re-arms the levels: the next fall below one is told again */
	d->notified_level = a->topup_fen > 0 && low < a->notified_level ? low : a->notified_level;
	d->supply = a->supply;
	was_below = a->below_since != 0;

	if (a->keep_power) {
		d->level = (enum policy_level)low;
		if (a->supply == POLICY_SUPPLY_OFF) {
			d->supply = POLICY_SUPPLY_ON;
			snprintf(d->why, sizeof d->why, "keep-power (保电): the supply is never cut, so it is"
			    " restored; balance ¥%s", money_format(bal, b1));
		} else if (bal < d->cut_line_fen)
			snprintf(d->why, sizeof d->why, "balance ¥%s is below the cut line ¥%s, but the account"
			    " keeps power (保电): alerts only, never cut", money_format(bal, b1),
			    money_format(d->cut_line_fen, b2));
	} else if (a->supply == POLICY_SUPPLY_OFF) {
		if (bal >= d->restore_at_fen) {
			d->supply = POLICY_SUPPLY_ON;
			d->level = (enum policy_level)low;
			snprintf(d->why, sizeof d->why, "balance ¥%s reached the restore threshold ¥%s: supply"
			    " restored", money_format(bal, b1), money_format(d->restore_at_fen, b2));
		} else {
			d->level = POLICY_LEVEL_CUT;
			d->need_fen = d->restore_at_fen - bal + d->ec_outstanding_fen;
			snprintf(d->why, sizeof d->why, "supply is off: balance ¥%s is below the restore"
			    " threshold ¥%s%s; pay ¥%s to restore", money_format(bal, b1),
			    money_format(d->restore_at_fen, b2), d->ec_outstanding_fen > 0 ?
			    " (a top-up first repays the emergency credit)" : "", money_format(d->need_fen, b3));
		}
	} else if (bal < d->cut_line_fen) {
		d->below_since = was_below ? a->below_since : now;
		d->grace_end = d->below_since + r->grace_s;
		/* a cut never happens inside a window, even when grace ended long ago */
		d->cut_at = policy_next_cut_time(no_cut, max64(d->grace_end, now), &d->delayed_by);
		d->need_fen = d->cut_line_fen - bal + d->ec_outstanding_fen;
		policy_format_utc(d->below_since, t1, sizeof t1);
		if (d->cut_at <= now) {
			d->cut_at = now;
			d->supply = POLICY_SUPPLY_OFF;
			d->level = POLICY_LEVEL_CUT;
			d->need_fen = d->restore_at_fen - bal + d->ec_outstanding_fen;
			snprintf(d->why, sizeof d->why, "balance ¥%s below the cut line ¥%s since %s and the"
			    " grace of %" PRId64 " min is over: supply cut; pay ¥%s to restore",
			    money_format(bal, b1), money_format(d->cut_line_fen, b2), t1, r->grace_s / 60,
			    money_format(d->need_fen, b3));
		} else {
			d->level = POLICY_LEVEL_CUT_PENDING;
			policy_format_utc(d->cut_at, t2, sizeof t2);
			policy_why_text(d->delayed_by, w, sizeof w);
			snprintf(d->why, sizeof d->why, "balance ¥%s below the cut line ¥%s since %s: supply"
			    " will be cut at %s%s%s%s unless ¥%s is paid", money_format(bal, b1),
			    money_format(d->cut_line_fen, b2), t1, t2, d->delayed_by ? " (no cuts: " : "",
			    w, d->delayed_by ? ")" : "", money_format(d->need_fen, b3));
		}
	} else {
		d->level = (enum policy_level)low;
	}
	if (d->why[0] == '\0') {
		if (low == 0)
			snprintf(d->why, sizeof d->why, "balance ¥%s is at or above level 1 (¥%s)",
			    money_format(bal, b1), money_format(r->level1_fen, b2));
		else
			snprintf(d->why, sizeof d->why, "balance ¥%s is below level %d (¥%s)", money_format(bal, b1),
			    low, money_format(low == 2 ? r->level2_fen : r->level1_fen, b2));
	}
	d->supply_changed = d->supply != a->supply;

	/* at most one message: a change of supply, a new cut episode, or a
	 * fall below a level not told since the last top-up */
	if (d->supply_changed && d->supply == POLICY_SUPPLY_OFF) {
		d->message = POLICY_MSG_SUPPLY_CUT;
		d->notified_level = 2;
	} else if (d->supply_changed) {
		d->message = POLICY_MSG_SUPPLY_RESTORED;
	} else if (d->level == POLICY_LEVEL_CUT_PENDING && !was_below) {
		d->message = POLICY_MSG_CUT_WARNING;
		d->notified_level = 2;
	} else if (d->supply == POLICY_SUPPLY_ON && low > d->notified_level) {
		d->message = low == 2 ? POLICY_MSG_LOW_2 : POLICY_MSG_LOW_1;
		d->notified_level = low;
	}

	after = *a;
	after.balance_fen = bal;
	after.ec_taken = d->ec_taken;
	after.ec_outstanding_fen = d->ec_outstanding_fen;
	d->ec_available = policy_emergency_check(r, &after, &amt, ecwhy, sizeof ecwhy) == 0;
	d->ec_amount_fen = amt;
	assert(d->supply == POLICY_SUPPLY_ON || !a->keep_power);
	return 0;
}

const char *
policy_level_name(enum policy_level l)
{
	static const char *names[] = { "none", "level1", "level2", "cut_pending", "cut" };

	return (unsigned)l <= POLICY_LEVEL_CUT ? names[l] : "?";
}

const char *
policy_supply_name(enum policy_supply s)
{
	return s == POLICY_SUPPLY_OFF ? "off" : "on";
}

const char *
policy_message_kind(enum policy_message m)
{
	static const char *kinds[] = { NULL, "balance_low_1", "balance_low_2", "cut_warning", "supply_cut",
	    "supply_restored", "emergency_credit_taken" };

	return (unsigned)m <= POLICY_MSG_EMERGENCY_CREDIT ? kinds[m] : NULL;
}

void
policy_why_text(unsigned why, char *buf, size_t len)
{
	size_t off = 0;
	static const struct { unsigned bit; const char *name; } names[] = {
		{ POLICY_NO_CUT_NIGHT, "night" }, { POLICY_NO_CUT_WEEKEND, "weekend" },
		{ POLICY_NO_CUT_HOLIDAY, "holiday" } };

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		int n;
		if (!(why & names[i].bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", names[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
}

void
policy_format_utc(int64_t utc, char *buf, size_t len)
{
	int64_t days = tz_floor_div(utc, 86400), s = utc - days * 86400;
	int y, m, d;

	tz_civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(s / 3600), (int)(s % 3600 / 60),
	    (int)(s % 60));
}
