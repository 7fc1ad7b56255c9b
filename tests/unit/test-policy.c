/*
 * The account policy, table-driven: each row is rules + account + clock +
 * no-cut windows → the expected decision. Then invariants over a sweep of
 * balances and states, the rule merge and validation, and the windows walk.
 */
#include <stdint.h>
#include <stdlib.h>
#include "tests/unit/unit.h"
#include "billing/policy.h"

#define NOW 1772776800LL	/* 2026-03-06T06:00:00Z, a Friday, 14:00 in Shanghai */
#define NO INT64_MIN		/* "not set" for relative times and rule tweaks */
#define H 3600

enum { W_NONE, W_NIGHT_SOON, W_AROUND_NOW, W_ENDS_NOW, W_STARTS_NOW, W_WEEKEND, W_NSETS };

static struct policy_windows windows[W_NSETS];

static void
windows_init(void)
{
	windows[W_NIGHT_SOON].n = 1;
	windows[W_NIGHT_SOON].w[0] = (struct policy_window){ NOW + 8 * H, NOW + 18 * H, POLICY_NO_CUT_NIGHT };
	windows[W_AROUND_NOW].n = 1;
	windows[W_AROUND_NOW].w[0] = (struct policy_window){ NOW - 60, NOW + H, POLICY_NO_CUT_NIGHT };
	windows[W_ENDS_NOW].n = 1;
	windows[W_ENDS_NOW].w[0] = (struct policy_window){ NOW - H, NOW, POLICY_NO_CUT_HOLIDAY };
	windows[W_STARTS_NOW].n = 1;
	windows[W_STARTS_NOW].w[0] = (struct policy_window){ NOW, NOW + H, POLICY_NO_CUT_HOLIDAY };
	/* Friday 22:00 to Monday 08:00, merged, and the next night */
	windows[W_WEEKEND].n = 2;
	windows[W_WEEKEND].w[0] = (struct policy_window){ NOW + 8 * H, NOW + 66 * H,
	    POLICY_NO_CUT_NIGHT | POLICY_NO_CUT_WEEKEND };
	windows[W_WEEKEND].w[1] = (struct policy_window){ NOW + 80 * H, NOW + 90 * H, POLICY_NO_CUT_NIGHT };
}

struct row {
	const char *name;
	/* rules (NO: the default) */
	int64_t restore, grace_s, ec;
	/* account */
	int64_t bal, overdraft;
	int keep, off;
	int64_t below;		/* relative to NOW; NO: not below */
	int notified, ec_taken;
	int64_t ec_out, topup;
	int win;
	/* expected */
	enum policy_level level;
	enum policy_supply supply;
	enum policy_message msg;
	int64_t need;
	int64_t cut_at;		/* relative; NO: 0 */
	int64_t below_after;	/* relative; NO: 0 */
	int notified_after;
	int64_t repay;
	int ec_avail;
	unsigned delayed;
};

#define L0 POLICY_LEVEL_NONE
#define L1 POLICY_LEVEL_1
#define L2 POLICY_LEVEL_2
#define LP POLICY_LEVEL_CUT_PENDING
#define LC POLICY_LEVEL_CUT
#define ON POLICY_SUPPLY_ON
#define OFF POLICY_SUPPLY_OFF
#define M0 POLICY_MSG_NONE
#define M1 POLICY_MSG_LOW_1
#define M2 POLICY_MSG_LOW_2
#define MW POLICY_MSG_CUT_WARNING
#define MC POLICY_MSG_SUPPLY_CUT
#define MR POLICY_MSG_SUPPLY_RESTORED
#define NIGHT POLICY_NO_CUT_NIGHT
#define WKND POLICY_NO_CUT_WEEKEND
#define HOL POLICY_NO_CUT_HOLIDAY

static const struct row rows[] = {
	/* name                          restore grace  ec     bal     od    kp off below   nt tk ec_out topup  win           level sup msg need  cut_at     below_after nt repay ea delayed */
	/* the alert levels: "below" is strictly below */
	{ "above_level1",                 NO, NO, NO,          10001,  0,    0, 0, NO,     0, 0, 0,    0,    W_NONE,       L0, ON, M0, 0,    NO,        NO,         0, 0,    0, 0 },
	{ "exactly_level1_is_not_below",  NO, NO, NO,          10000,  0,    0, 0, NO,     0, 0, 0,    0,    W_NONE,       L0, ON, M0, 0,    NO,        NO,         0, 0,    0, 0 },
	{ "one_fen_below_level1_tells",   NO, NO, NO,          9999,   0,    0, 0, NO,     0, 0, 0,    0,    W_NONE,       L1, ON, M1, 0,    NO,        NO,         1, 0,    0, 0 },
	{ "level1_told_once",             NO, NO, NO,          5000,   0,    0, 0, NO,     1, 0, 0,    0,    W_NONE,       L1, ON, M0, 0,    NO,        NO,         1, 0,    0, 0 },
	{ "exactly_level2_is_level1",     NO, NO, NO,          3000,   0,    0, 0, NO,     1, 0, 0,    0,    W_NONE,       L1, ON, M0, 0,    NO,        NO,         1, 0,    0, 0 },
	{ "one_fen_below_level2_tells",   NO, NO, NO,          2999,   0,    0, 0, NO,     1, 0, 0,    0,    W_NONE,       L2, ON, M2, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "both_levels_at_once_one_msg",  NO, NO, NO,          2999,   0,    0, 0, NO,     0, 0, 0,    0,    W_NONE,       L2, ON, M2, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "exactly_zero_is_not_cut",      NO, NO, NO,          0,      0,    0, 0, NO,     2, 0, 0,    0,    W_NONE,       L2, ON, M0, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "hover_up_without_topup_quiet", NO, NO, NO,          10001,  0,    0, 0, NO,     1, 0, 0,    0,    W_NONE,       L0, ON, M0, 0,    NO,        NO,         1, 0,    0, 0 },
	{ "hover_down_again_quiet",       NO, NO, NO,          9999,   0,    0, 0, NO,     1, 0, 0,    0,    W_NONE,       L1, ON, M0, 0,    NO,        NO,         1, 0,    0, 0 },
	{ "topup_rearms_to_current",      NO, NO, NO,          9999,   0,    0, 0, NO,     2, 0, 0,    5000, W_NONE,       L1, ON, M0, 0,    NO,        NO,         1, 0,    0, 0 },
	{ "topup_above_all_rearms_all",   NO, NO, NO,          20000,  0,    0, 0, NO,     2, 0, 0,    15000,W_NONE,       L0, ON, M0, 0,    NO,        NO,         0, 0,    0, 0 },
	{ "rearmed_level1_tells_again",   NO, NO, NO,          9999,   0,    0, 0, NO,     0, 0, 0,    0,    W_NONE,       L1, ON, M1, 0,    NO,        NO,         1, 0,    0, 0 },
	/* the cut line, grace and the cut */
	{ "one_fen_below_zero_warns",     NO, NO, NO,          -1,     0,    0, 0, NO,     2, 0, 0,    0,    W_NONE,       LP, ON, MW, 1,    1800,      0,          2, 0,    0, 0 },
	{ "warning_skips_level_msgs",     NO, NO, NO,          -1,     0,    0, 0, NO,     0, 0, 0,    0,    W_NONE,       LP, ON, MW, 1,    1800,      0,          2, 0,    0, 0 },
	{ "exactly_overdraft_line",       NO, NO, NO,          -5000,  5000, 0, 0, NO,     2, 0, 0,    0,    W_NONE,       L2, ON, M0, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "below_overdraft_line",         NO, NO, NO,          -5001,  5000, 0, 0, NO,     2, 0, 0,    0,    W_NONE,       LP, ON, MW, 1,    1800,      0,          2, 0,    0, 0 },
	{ "grace_running_no_repeat",      NO, NO, NO,          -100,   0,    0, 0, -600,   2, 0, 0,    0,    W_NONE,       LP, ON, M0, 100,  1200,      -600,       2, 0,    0, 0 },
	{ "grace_one_second_left",        NO, NO, NO,          -100,   0,    0, 0, -1799,  2, 0, 0,    0,    W_NONE,       LP, ON, M0, 100,  1,         -1799,      2, 0,    0, 0 },
	{ "grace_ends_exactly_now_cuts",  NO, NO, NO,          -100,   0,    0, 0, -1800,  2, 0, 0,    0,    W_NONE,       LC, OFF,MC, 100,  0,         -1800,      2, 0,    0, 0 },
	{ "grace_zero_cuts_at_once",      NO, 0,  NO,          -1,     0,    0, 0, NO,     2, 0, 0,    0,    W_NONE,       LC, OFF,MC, 1,    0,         0,          2, 0,    0, 0 },
	{ "grace_long_over_cuts",         NO, NO, NO,          -100,   0,    0, 0, -86400, 2, 0, 0,    0,    W_NONE,       LC, OFF,MC, 100,  0,         -86400,     2, 0,    0, 0 },
	{ "cut_with_restore_threshold",   1000, NO, NO,        -100,   0,    0, 0, -1800,  2, 0, 0,    0,    W_NONE,       LC, OFF,MC, 1100, 0,         -1800,      2, 0,    0, 0 },
	/* friendly hours */
	{ "grace_into_night_waits",       NO, 10*H, NO,        -1,     0,    0, 0, NO,     2, 0, 0,    0,    W_NIGHT_SOON, LP, ON, MW, 1,    18*H,      0,          2, 0,    0, NIGHT },
	{ "grace_before_night_not_moved", NO, NO, NO,          -1,     0,    0, 0, NO,     2, 0, 0,    0,    W_NIGHT_SOON, LP, ON, MW, 1,    1800,      0,          2, 0,    0, 0 },
	{ "over_grace_but_night_now",     NO, NO, NO,          -100,   0,    0, 0, -7200,  2, 0, 0,    0,    W_AROUND_NOW, LP, ON, M0, 100,  H,         -7200,      2, 0,    0, NIGHT },
	{ "window_ended_exactly_now",     NO, NO, NO,          -100,   0,    0, 0, -7200,  2, 0, 0,    0,    W_ENDS_NOW,   LC, OFF,MC, 100,  0,         -7200,      2, 0,    0, 0 },
	{ "window_starts_exactly_now",    NO, NO, NO,          -100,   0,    0, 0, -7200,  2, 0, 0,    0,    W_STARTS_NOW, LP, ON, M0, 100,  H,         -7200,      2, 0,    0, HOL },
	{ "weekend_waits_till_monday",    NO, 9*H, NO,         -1,     0,    0, 0, NO,     2, 0, 0,    0,    W_WEEKEND,    LP, ON, MW, 1,    66*H,      0,          2, 0,    0, NIGHT | WKND },
	/* keep-power (保电) */
	{ "keep_power_never_cut",         NO, 0,  NO,          -100000,0,    1, 0, NO,     0, 0, 0,    0,    W_NONE,       L2, ON, M2, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "keep_power_ignores_old_grace", NO, NO, NO,          -100,   0,    1, 0, -86400, 2, 0, 0,    0,    W_NONE,       L2, ON, M0, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "keep_power_restores_off",      NO, NO, NO,          -100,   0,    1, 1, NO,     2, 0, 0,    0,    W_NONE,       L2, ON, MR, 0,    NO,        NO,         2, 0,    0, 0 },
	/* off: restore at the threshold */
	{ "off_below_restore_stays",      NO, NO, NO,          -1,     0,    0, 1, NO,     2, 0, 0,    0,    W_NONE,       LC, OFF,M0, 1,    NO,        NO,         2, 0,    0, 0 },
	{ "off_restored_exactly_at_zero", NO, NO, NO,          0,      0,    0, 1, NO,     2, 0, 0,    0,    W_NONE,       L2, ON, MR, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "off_restored_even_in_night",   NO, NO, NO,          500,    0,    0, 1, NO,     2, 0, 0,    500,  W_AROUND_NOW, L2, ON, MR, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "off_one_fen_short_threshold",  1000, NO, NO,        999,    0,    0, 1, NO,     2, 0, 0,    0,    W_NONE,       LC, OFF,M0, 1,    NO,        NO,         2, 0,    0, 0 },
	{ "off_restored_at_threshold",    1000, NO, NO,        1000,   0,    0, 1, NO,     2, 0, 0,    0,    W_NONE,       L2, ON, MR, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "restore_never_below_cut_line", NO, NO, NO,          -1,     5000, 0, 1, NO,     2, 0, 0,    0,    W_NONE,       LC, OFF,M0, 1,    NO,        NO,         2, 0,    0, 0 },
	{ "topup_restores_and_rearms",    NO, NO, NO,          20000,  0,    0, 1, NO,     2, 0, 0,    20100,W_NONE,       L0, ON, MR, 0,    NO,        NO,         0, 0,    0, 0 },
	/* emergency credit */
	{ "ec_offered_below_level2",      NO, NO, 5000,        2999,   0,    0, 0, NO,     2, 0, 0,    0,    W_NONE,       L2, ON, M0, 0,    NO,        NO,         2, 0,    1, 0 },
	{ "ec_not_at_level2",             NO, NO, 5000,        3000,   0,    0, 0, NO,     1, 0, 0,    0,    W_NONE,       L1, ON, M0, 0,    NO,        NO,         1, 0,    0, 0 },
	{ "ec_offered_when_cut",          NO, NO, 5000,        -100,   0,    0, 1, NO,     2, 0, 0,    0,    W_NONE,       LC, OFF,M0, 100,  NO,        NO,         2, 0,    1, 0 },
	{ "ec_once_until_topup",          NO, NO, 5000,        -100,   0,    0, 1, NO,     2, 1, 0,    0,    W_NONE,       LC, OFF,M0, 100,  NO,        NO,         2, 0,    0, 0 },
	{ "ec_topup_offers_it_again",     NO, NO, 5000,        1000,   0,    0, 0, NO,     2, 1, 0,    1000, W_NONE,       L2, ON, M0, 0,    NO,        NO,         2, 0,    1, 0 },
	{ "ec_not_while_outstanding",     NO, NO, 5000,        -100,   0,    0, 1, NO,     2, 0, 3000, 0,    W_NONE,       LC, OFF,M0, 3100, NO,        NO,         2, 0,    0, 0 },
	{ "ec_not_offered_by_site",       NO, NO, 0,           -100,   0,    0, 1, NO,     2, 0, 0,    0,    W_NONE,       LC, OFF,M0, 100,  NO,        NO,         2, 0,    0, 0 },
	{ "ec_not_for_keep_power",        NO, NO, 5000,        -100,   0,    1, 0, NO,     2, 0, 0,    0,    W_NONE,       L2, ON, M0, 0,    NO,        NO,         2, 0,    0, 0 },
	{ "ec_need_counts_outstanding",   NO, NO, 5000,        -1000,  0,    0, 1, NO,     2, 1, 5000, 0,    W_NONE,       LC, OFF,M0, 6000, NO,        NO,         2, 0,    0, 0 },
	{ "ec_pending_need_counts_it",    NO, NO, 5000,        -100,   0,    0, 0, -60,    2, 1, 5000, 0,    W_NONE,       LP, ON, M0, 5100, 1740,      -60,        2, 0,    0, 0 },
	{ "ec_topup_repays_first_fully",  NO, NO, 5000,        9000,   0,    0, 1, NO,     2, 1, 5000, 10000,W_NONE,       L1, ON, MR, 0,    NO,        NO,         1, 5000, 0, 0 },
	{ "ec_repay_stops_at_floor",      NO, NO, 5000,        2000,   0,    0, 1, NO,     2, 1, 5000, 4000, W_NONE,       L2, ON, MR, 0,    NO,        NO,         2, 2000, 0, 0 },
	{ "ec_repay_limited_by_topup",    NO, NO, 5000,        4000,   0,    0, 0, NO,     2, 1, 5000, 1000, W_NONE,       L1, ON, M0, 0,    NO,        NO,         1, 1000, 0, 0 },
	{ "ec_repay_floor_with_overdraft",NO, NO, 5000,        -1000,  2000, 0, 1, NO,     2, 1, 5000, 500,  W_NONE,       LC, OFF,M0, 6000, NO,        NO,         2, 500,  0, 0 },
	{ "ec_topup_below_floor_no_repay",NO, NO, 5000,        -100,   0,    0, 1, NO,     2, 1, 5000, 50,   W_NONE,       LC, OFF,M0, 5100, NO,        NO,         2, 0,    0, 0 },
};

static void
row_inputs(const struct row *r, struct policy_rules *ru, struct policy_account *a)
{
	policy_rules_default(ru);
	if (r->restore != NO)
		ru->restore_fen = r->restore;
	if (r->grace_s != NO)
		ru->grace_s = r->grace_s;
	if (r->ec != NO)
		ru->emergency_credit_fen = r->ec;
	memset(a, 0, sizeof *a);
	a->balance_fen = r->bal;
	a->overdraft_fen = r->overdraft;
	a->keep_power = r->keep;
	a->supply = r->off ? OFF : ON;
	a->below_since = r->below == NO ? 0 : NOW + r->below;
	a->notified_level = r->notified;
	a->ec_taken = r->ec_taken;
	a->ec_outstanding_fen = r->ec_out;
	a->topup_fen = r->topup;
}

TEST(policy_table)
{
	windows_init();
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		struct policy_rules ru;
		struct policy_account a;
		struct policy_decision d;
		int64_t want_cut = r->cut_at == NO ? 0 : NOW + r->cut_at;
		int64_t want_below = r->below_after == NO ? 0 : NOW + r->below_after;
		int bad;

		row_inputs(r, &ru, &a);
		if (policy_decide(&ru, &a, &windows[r->win], NOW, &d) != 0) {
			printf("# %s: refused: %s\n", r->name, d.why);
			CHECK(0);
			continue;
		}
		bad = d.level != r->level || d.supply != r->supply || d.message != r->msg || d.need_fen != r->need ||
		    d.cut_at != want_cut || d.below_since != want_below || d.notified_level != r->notified_after ||
		    d.repay_fen != r->repay || d.ec_available != r->ec_avail || d.delayed_by != r->delayed ||
		    d.supply_changed != (d.supply != a.supply) || d.balance_fen != r->bal - r->repay;
		if (bad) {
			printf("# row %s: level %s/%s supply %s/%s msg %d/%d need %lld/%lld cut_at %+lld/%+lld"
			    " below %+lld/%+lld notified %d/%d repay %lld/%lld ec %d/%d delayed %u/%u (got/want)\n",
			    r->name, policy_level_name(d.level), policy_level_name(r->level),
			    policy_supply_name(d.supply), policy_supply_name(r->supply), d.message, r->msg,
			    (long long)d.need_fen, (long long)r->need, d.cut_at ? (long long)(d.cut_at - NOW) : -999,
			    r->cut_at == NO ? -999LL : (long long)r->cut_at,
			    d.below_since ? (long long)(d.below_since - NOW) : -999,
			    r->below_after == NO ? -999LL : (long long)r->below_after, d.notified_level,
			    r->notified_after, (long long)d.repay_fen, (long long)r->repay, d.ec_available,
			    r->ec_avail, d.delayed_by, r->delayed);
			printf("#   why: %s\n", d.why);
		}
		CHECK(!bad);
		CHECK(d.why[0] != '\0');
	}
}

/* Whatever the state, the rules that must never break. */
TEST(policy_invariants_over_a_sweep)
{
	static const int64_t below_rel[] = { 0, -1, -1799, -1800, -100000 };
	static const int64_t overdrafts[] = { 0, 5000 };
	static const int wins[] = { W_NONE, W_AROUND_NOW, W_WEEKEND };
	long cases = 0;

	windows_init();
	for (int64_t bal = -12000; bal <= 12000; bal += 7)
	for (int od = 0; od < 2; od++)
	for (int keep = 0; keep < 2; keep++)
	for (int off = 0; off < 2; off++)
	for (int b = 0; b < 5; b++)
	for (int nt = 0; nt < 3; nt++)
	for (int w = 0; w < 3; w++)
	for (int64_t topup = 0; topup <= 4000; topup += 4000) {
		struct policy_rules ru;
		struct policy_account a = { 0 };
		struct policy_decision d;
		int msgs_down;

		policy_rules_default(&ru);
		ru.restore_fen = 500;
		ru.emergency_credit_fen = 2000;
		a.balance_fen = bal;
		a.overdraft_fen = overdrafts[od];
		a.keep_power = keep;
		a.supply = off ? OFF : ON;
		a.below_since = below_rel[b] ? NOW + below_rel[b] : 0;
		a.notified_level = nt;
		a.ec_outstanding_fen = bal % 3 == 0 ? 1500 : 0;
		a.topup_fen = topup;
		cases++;
		if (policy_decide(&ru, &a, &windows[wins[w]], NOW, &d) != 0) {
			CHECK(0);
			return;
		}
		/* keep-power is never cut */
		if (keep && d.supply != ON) {
			CHECK(0);
			return;
		}
		/* a cut happens only when below the cut line, grace over, outside every window */
		if (d.supply == OFF && a.supply == ON) {
			unsigned why;
			int64_t at = policy_next_cut_time(&windows[wins[w]], NOW, &why);
			if (!(d.balance_fen < -a.overdraft_fen && a.below_since != 0 &&
			    a.below_since + ru.grace_s <= NOW && at == NOW)) {
				printf("# bad cut: bal %lld od %lld below %lld win %d\n", (long long)bal,
				    (long long)a.overdraft_fen, (long long)below_rel[b], w);
				CHECK(0);
				return;
			}
		}
		/* restored only at the threshold; off only below it */
		if (a.supply == OFF && !keep && (d.supply == ON) != (d.balance_fen >= d.restore_at_fen)) {
			CHECK(0);
			return;
		}
		/* restore threshold never below the cut line: no flapping */
		CHECK(d.restore_at_fen >= d.cut_line_fen);
		/* repayment never more than owed, paid or the floor allows */
		if (d.repay_fen < 0 || d.repay_fen > a.ec_outstanding_fen || d.repay_fen > a.topup_fen ||
		    (d.repay_fen > 0 && d.balance_fen < -a.overdraft_fen)) {
			CHECK(0);
			return;
		}
		CHECK(d.need_fen >= 0);
		/* the amount asked for is enough and no more: paying it gives the supply */
		if (d.need_fen > 0) {
			int64_t pay = d.need_fen, owed = d.ec_outstanding_fen;
			int64_t after = d.balance_fen + pay - (owed < pay ? owed : pay);
			int64_t line = d.supply == OFF ? d.restore_at_fen : d.cut_line_fen;
			if (after < line || (after - 1 >= line && pay > owed)) {
				printf("# need %lld wrong: bal %lld owed %lld line %lld\n", (long long)pay,
				    (long long)d.balance_fen, (long long)owed, (long long)line);
				CHECK(0);
				return;
			}
		}
		/* one message at most, and never a level message already told */
		msgs_down = d.message == M1 || d.message == M2;
		if (msgs_down && (int)d.message <= a.notified_level && topup == 0) {
			CHECK(0);
			return;
		}
		if (d.notified_level < 0 || d.notified_level > 2) {
			CHECK(0);
			return;
		}
	}
	printf("# %ld cases\n", cases);
}

TEST(policy_merge_takes_only_overridden_fields)
{
	struct policy_rules site, out;
	struct policy_override o = { 0 };

	policy_rules_default(&site);
	o.mask = POLICY_F_LEVEL2 | POLICY_F_NIGHT;
	o.r.level1_fen = 1;	/* not in the mask: ignored */
	o.r.level2_fen = 1000;
	o.r.no_cut_night = 1;
	o.r.night_start_min = 20 * 60;
	o.r.night_end_min = 6 * 60;
	o.r.grace_s = 5;
	policy_rules_merge(&site, &o, &out);
	CHECK_EQ_INT(out.level1_fen, 10000);
	CHECK_EQ_INT(out.level2_fen, 1000);
	CHECK_EQ_INT(out.night_start_min, 1200);
	CHECK_EQ_INT(out.night_end_min, 360);
	CHECK_EQ_INT(out.grace_s, 1800);
	policy_rules_merge(&site, NULL, &out);
	CHECK(memcmp(&out, &site, sizeof out) == 0);
	o.mask = POLICY_F_WEEKENDS | POLICY_F_HOLIDAYS | POLICY_F_EMERGENCY | POLICY_F_RESTORE | POLICY_F_GRACE |
	    POLICY_F_LEVEL1;
	o.r.no_cut_weekends = 0;
	o.r.no_cut_holidays = 0;
	o.r.emergency_credit_fen = 777;
	o.r.restore_fen = 100;
	o.r.level1_fen = 20000;
	policy_rules_merge(&site, &o, &out);
	CHECK_EQ_INT(out.no_cut_weekends, 0);
	CHECK_EQ_INT(out.no_cut_holidays, 0);
	CHECK_EQ_INT(out.emergency_credit_fen, 777);
	CHECK_EQ_INT(out.restore_fen, 100);
	CHECK_EQ_INT(out.grace_s, 5);
	CHECK_EQ_INT(out.level1_fen, 20000);
	CHECK_EQ_INT(out.level2_fen, 3000);
}

TEST(policy_rules_validation_says_what)
{
	struct policy_rules r;
	char why[200];

	policy_rules_default(&r);
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), 0);
	r.level2_fen = 20000;
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), -1);
	CHECK(strstr(why, "level 2 (¥200.00) must not be above level 1 (¥100.00)") != NULL);
	policy_rules_default(&r);
	r.level1_fen = -1;
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), -1);
	policy_rules_default(&r);
	r.grace_s = POLICY_MAX_GRACE_S + 1;
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), -1);
	CHECK(strstr(why, "grace") != NULL);
	policy_rules_default(&r);
	r.night_start_min = r.night_end_min = 60;
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), -1);
	CHECK(strstr(why, "same time") != NULL);
	r.no_cut_night = 0;	/* off: the times do not matter */
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), 0);
	r.night_end_min = 1440;
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), -1);
	policy_rules_default(&r);
	r.no_cut_weekends = 2;
	CHECK_EQ_INT(policy_rules_validate(&r, why, sizeof why), -1);
}

TEST(policy_refuses_impossible_input)
{
	struct policy_rules r;
	struct policy_account a = { 0 };
	struct policy_decision d;

	policy_rules_default(&r);
	r.level2_fen = r.level1_fen + 1;
	CHECK_EQ_INT(policy_decide(&r, &a, NULL, NOW, &d), -1);
	CHECK(d.why[0] != '\0');
	policy_rules_default(&r);
	a.overdraft_fen = -1;
	CHECK_EQ_INT(policy_decide(&r, &a, NULL, NOW, &d), -1);
	a.overdraft_fen = 0;
	a.notified_level = 3;
	CHECK_EQ_INT(policy_decide(&r, &a, NULL, NOW, &d), -1);
	a.notified_level = 0;
	a.topup_fen = -5;
	CHECK_EQ_INT(policy_decide(&r, &a, NULL, NOW, &d), -1);
}

TEST(policy_next_cut_time_walks_merged_windows)
{
	struct policy_windows ws = { 0 };
	unsigned why;

	ws.n = 3;
	ws.w[0] = (struct policy_window){ 100, 200, POLICY_NO_CUT_NIGHT };
	ws.w[1] = (struct policy_window){ 200, 300, POLICY_NO_CUT_WEEKEND };	/* adjacent: walked on */
	ws.w[2] = (struct policy_window){ 400, 500, POLICY_NO_CUT_HOLIDAY };
	CHECK_EQ_INT(policy_next_cut_time(&ws, 99, &why), 99);
	CHECK_EQ_INT(why, 0);
	CHECK_EQ_INT(policy_next_cut_time(&ws, 100, &why), 300);
	CHECK_EQ_INT(why, POLICY_NO_CUT_NIGHT | POLICY_NO_CUT_WEEKEND);
	CHECK_EQ_INT(policy_next_cut_time(&ws, 300, &why), 300);
	CHECK_EQ_INT(policy_next_cut_time(&ws, 499, &why), 500);
	CHECK_EQ_INT(why, POLICY_NO_CUT_HOLIDAY);
	CHECK_EQ_INT(policy_next_cut_time(&ws, 500, &why), 500);
	CHECK_EQ_INT(policy_next_cut_time(NULL, 123, &why), 123);
}

TEST(policy_names_and_texts)
{
	char buf[64];

	CHECK_EQ_STR(policy_message_kind(POLICY_MSG_LOW_1), "balance_low_1");
	CHECK_EQ_STR(policy_message_kind(POLICY_MSG_LOW_2), "balance_low_2");
	CHECK_EQ_STR(policy_message_kind(POLICY_MSG_CUT_WARNING), "cut_warning");
	CHECK_EQ_STR(policy_message_kind(POLICY_MSG_SUPPLY_CUT), "supply_cut");
	CHECK_EQ_STR(policy_message_kind(POLICY_MSG_SUPPLY_RESTORED), "supply_restored");
	CHECK_EQ_STR(policy_message_kind(POLICY_MSG_EMERGENCY_CREDIT), "emergency_credit_taken");
	CHECK(policy_message_kind(POLICY_MSG_NONE) == NULL);
	CHECK_EQ_STR(policy_level_name(POLICY_LEVEL_CUT_PENDING), "cut_pending");
	policy_why_text(POLICY_NO_CUT_NIGHT | POLICY_NO_CUT_HOLIDAY, buf, sizeof buf);
	CHECK_EQ_STR(buf, "night, holiday");
	policy_format_utc(NOW, buf, sizeof buf);
	CHECK_EQ_STR(buf, "2026-03-06T06:00:00Z");
}

TEST(policy_emergency_check_says_why)
{
	struct policy_rules r;
	struct policy_account a = { 0 };
	int64_t amt;
	char why[200];

	policy_rules_default(&r);
	a.balance_fen = -100;
	CHECK_EQ_INT(policy_emergency_check(&r, &a, &amt, why, sizeof why), -1);
	CHECK(strstr(why, "offers no emergency credit") != NULL);
	r.emergency_credit_fen = 5000;
	CHECK_EQ_INT(policy_emergency_check(&r, &a, &amt, why, sizeof why), 0);
	CHECK_EQ_INT(amt, 5000);
	a.ec_taken = 1;
	CHECK_EQ_INT(policy_emergency_check(&r, &a, &amt, why, sizeof why), -1);
	CHECK(strstr(why, "after the next top-up") != NULL);
	a.ec_taken = 0;
	a.balance_fen = 3000;
	CHECK_EQ_INT(policy_emergency_check(&r, &a, &amt, why, sizeof why), -1);
	CHECK(strstr(why, "below ¥30.00") != NULL);
}

int
main(void)
{
	RUN(policy_table);
	RUN(policy_invariants_over_a_sweep);
	RUN(policy_merge_takes_only_overridden_fields);
	RUN(policy_rules_validation_says_what);
	RUN(policy_refuses_impossible_input);
	RUN(policy_next_cut_time_walks_merged_windows);
	RUN(policy_names_and_texts);
	RUN(policy_emergency_check_says_why);
	return unit_done();
}
