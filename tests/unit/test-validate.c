/* Reading validation: meters/validate.c */
#include "tests/unit/unit.h"
#include "meters/validate.h"

/* 16 kW, register wraps at 1,000,000 kWh, 10 Wh resolution */
static const struct validate_limits lim = { 16000000, 1000000000000LL, 10000, 1 };
#define HOUR 3600000LL

static struct validate_state
fresh(int64_t at, int64_t v)
{
	struct validate_state st = { 0 };
	struct validate_result r;
	validate_reading(&st, &lim, at, v, "S1", &r);
	return st;
}

TEST(first_reading_is_baseline_not_billed)
{
	struct validate_state st = { 0 };
	struct validate_result r;
	CHECK_EQ_INT(validate_reading(&st, &lim, 1000, 5000000, "S1", &r), 0);
	CHECK_EQ_INT(r.verdict, VALIDATE_FIRST);
	CHECK_EQ_INT(r.delta_milli, 0);
	CHECK_EQ_INT(st.has_good, 1);
	CHECK_EQ_INT(st.good_milli, 5000000);
	CHECK_EQ_STR(st.serial, "S1");
}

TEST(monotonic_delta_billed_from_baseline)
{
	struct validate_state st = fresh(0, 5000000);
	struct validate_result r;
	validate_reading(&st, &lim, HOUR, 5000000 + 3000000, "S1", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	CHECK_EQ_INT(r.delta_milli, 3000000);
	CHECK_EQ_INT(r.from_ms, 0);
	CHECK_EQ_INT(st.good_at_ms, HOUR);
}

TEST(zero_usage_is_ok)
{
	struct validate_state st = fresh(0, 7);
	struct validate_result r;
	validate_reading(&st, &lim, 1000, 7, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	CHECK_EQ_INT(r.delta_milli, 0);
}

TEST(max_power_exactly_is_ok_one_step_more_is_spike)
{
	struct validate_state st = fresh(0, 0);
	struct validate_result r;
	/* 16 kW for an hour = 16,000,000 mWh... in Wh-milli: 16 kWh = 16,000,000, + 10,000 slack */
	CHECK_EQ_INT(validate_max_delta(&lim, HOUR), 16000000 + 10000);
	validate_reading(&st, &lim, HOUR, 16010000, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	st = fresh(0, 0);
	validate_reading(&st, &lim, HOUR, 16010001, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_QUARANTINED);
	CHECK_EQ_INT(r.suspect, VALIDATE_SUSPECT_SPIKE);
	CHECK_EQ_INT(r.delta_milli, 0);
	CHECK_EQ_INT(st.good_milli, 0);	/* the baseline stays */
	CHECK_EQ_INT(st.has_cand, 1);
}

TEST(max_delta_rounds_up_and_scales_with_speed)
{
	struct validate_limits l = { 1000, 0, 0, 1 };
	CHECK_EQ_INT(validate_max_delta(&l, 1), 1);	/* 1 W for 1 ms: a sliver, rounded up */
	CHECK_EQ_INT(validate_max_delta(&l, 3600), 1);
	CHECK_EQ_INT(validate_max_delta(&l, 3601), 2);
	l.speed = 60;
	CHECK_EQ_INT(validate_max_delta(&l, 60000), 1000);	/* a minute at 60x = an hour: 1 kWh */
	CHECK_EQ_INT(validate_max_delta(&l, 0), 0);
}

TEST(max_delta_does_not_overflow_on_huge_gaps)
{
	struct validate_limits l = { 1000000000000LL, 0, 0, 1000000 };
	CHECK(validate_max_delta(&l, 1000000000000000LL) > 0);
}

TEST(rollover_at_register_maximum_billed)
{
	struct validate_state st = fresh(0, lim.rollover_milli - 2000);
	struct validate_result r;
	validate_reading(&st, &lim, HOUR, 3000, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_ROLLOVER);
	CHECK_EQ_INT(r.delta_milli, 5000);
	CHECK_EQ_INT(st.good_milli, 3000);
}

TEST(rollover_larger_than_plausible_is_quarantined)
{
	struct validate_state st = fresh(0, lim.rollover_milli - 2000);
	struct validate_result r;
	validate_reading(&st, &lim, 1000, 900000000, "", &r);	/* "wrapped" by 900 kWh in a second */
	CHECK_EQ_INT(r.verdict, VALIDATE_QUARANTINED);
	CHECK_EQ_INT(r.suspect, VALIDATE_SUSPECT_DROP);
}

TEST(counter_drop_quarantined_then_rebased_when_confirmed)
{
	struct validate_state st = fresh(0, 9000000);
	struct validate_result r;
	validate_reading(&st, &lim, 60000, 0, "", &r);		/* counter reset */
	CHECK_EQ_INT(r.verdict, VALIDATE_QUARANTINED);
	CHECK_EQ_INT(r.suspect, VALIDATE_SUSPECT_DROP);
	CHECK_EQ_INT(r.delta_milli, 0);
	validate_reading(&st, &lim, 120000, 200000, "", &r);	/* counts on from 0 */
	CHECK_EQ_INT(r.verdict, VALIDATE_REBASED);
	CHECK_EQ_INT(r.delta_milli, 200000);
	CHECK_EQ_INT(r.from_ms, 60000);
	CHECK_EQ_INT(r.unbilled_milli, -9000000);
	CHECK_EQ_INT(r.unbilled_from_ms, 0);
	CHECK_EQ_INT(r.unbilled_to_ms, 60000);
	CHECK_EQ_INT(st.good_milli, 200000);
	CHECK_EQ_INT(st.has_cand, 0);
	validate_reading(&st, &lim, 180000, 250000, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	CHECK_EQ_INT(r.delta_milli, 50000);
}

TEST(glitch_skipped_when_next_reading_continues_baseline)
{
	struct validate_state st = fresh(0, 9000000);
	struct validate_result r;
	validate_reading(&st, &lim, 60000, 12, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_QUARANTINED);
	validate_reading(&st, &lim, 120000, 9100000, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	CHECK_EQ_INT(r.delta_milli, 100000);
	CHECK_EQ_INT(r.from_ms, 0);
	CHECK_EQ_INT(st.has_cand, 0);
}

TEST(spike_confirmed_rebases_without_billing_the_jump)
{
	struct validate_state st = fresh(0, 1000000);
	struct validate_result r;
	validate_reading(&st, &lim, 60000, 500000000, "", &r);	/* +499 MWh in a minute */
	CHECK_EQ_INT(r.verdict, VALIDATE_QUARANTINED);
	CHECK_EQ_INT(r.suspect, VALIDATE_SUSPECT_SPIKE);
	validate_reading(&st, &lim, 120000, 500010000, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_REBASED);
	CHECK_EQ_INT(r.delta_milli, 10000);
	CHECK_EQ_INT(r.unbilled_milli, 499000000);
}

TEST(two_suspects_in_a_row_stay_quarantined)
{
	struct validate_state st = fresh(0, 1000000);
	struct validate_result r;
	validate_reading(&st, &lim, 60000, 500000000, "", &r);
	validate_reading(&st, &lim, 120000, 3, "", &r);	/* neither from the baseline nor the candidate */
	CHECK_EQ_INT(r.verdict, VALIDATE_QUARANTINED);
	CHECK_EQ_INT(st.cand_milli, 3);
	CHECK_EQ_INT(st.good_milli, 1000000);
}

TEST(serial_change_is_replacement_with_new_baseline)
{
	struct validate_state st = fresh(0, 9000000);
	struct validate_result r;
	validate_reading(&st, &lim, 60000, 0, "S2", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_REPLACED);
	CHECK_EQ_INT(r.delta_milli, 0);
	CHECK_EQ_STR(st.serial, "S2");
	validate_reading(&st, &lim, 120000, 1000, "S2", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	CHECK_EQ_INT(r.delta_milli, 1000);
}

TEST(unknown_serial_keeps_the_known_one)
{
	struct validate_state st = fresh(0, 0);
	struct validate_result r;
	validate_reading(&st, &lim, 1000, 10, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	CHECK_EQ_STR(st.serial, "S1");
}

TEST(same_or_older_timestamp_is_stale)
{
	struct validate_state st = fresh(5000, 100);
	struct validate_result r;
	validate_reading(&st, &lim, 5000, 200, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_STALE);
	validate_reading(&st, &lim, 4000, 200, "", &r);
	CHECK_EQ_INT(r.verdict, VALIDATE_STALE);
	CHECK_EQ_INT(st.good_milli, 100);
}

TEST(impossible_values_refused_state_untouched)
{
	struct validate_state st = fresh(0, 100), before = st;
	struct validate_result r;
	struct validate_limits bad = lim;
	CHECK_EQ_INT(validate_reading(&st, &lim, 1000, -1, "", &r), -1);
	CHECK_EQ_INT(validate_reading(&st, &lim, 1000, lim.rollover_milli, "", &r), -1);
	bad.max_power_milli = 0;
	CHECK_EQ_INT(validate_reading(&st, &bad, 1000, 200, "", &r), -1);
	CHECK(r.why[0] != '\0');
	CHECK(memcmp(&st, &before, sizeof st) == 0);
}

TEST(long_offline_gap_allows_more_energy)
{
	struct validate_state st = fresh(0, 0);
	struct validate_result r;
	validate_reading(&st, &lim, 24 * HOUR, 100000000, "", &r);	/* 100 kWh in a day at <= 16 kW */
	CHECK_EQ_INT(r.verdict, VALIDATE_OK);
	CHECK_EQ_INT(r.delta_milli, 100000000);
}

/* property: whatever the sequence, billed deltas never exceed what the
 * counter could have counted, and never go negative */
TEST(random_sequences_never_bill_negative_or_implausible)
{
	uint64_t x = 88172645463325252ULL;
	for (int run = 0; run < 200; run++) {
		struct validate_state st = { 0 };
		struct validate_result r;
		int64_t t = 0, v = 0;
		for (int i = 0; i < 200; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			t += 1000 + (int64_t)(x % 60000);
			switch (x % 7) {
			case 0: v = (int64_t)((x >> 8) % (uint64_t)lim.rollover_milli); break;
			case 1: v = 0; break;
			default: v = (v + (int64_t)((x >> 16) % 5000)) % lim.rollover_milli; break;
			}
			int64_t prev_at = st.good_at_ms;
			CHECK_EQ_INT(validate_reading(&st, &lim, t, v, "", &r), 0);
			CHECK(r.delta_milli >= 0);
			if (r.delta_milli > 0)
				CHECK(r.delta_milli <= validate_max_delta(&lim, t - r.from_ms));
			if (r.verdict == VALIDATE_QUARANTINED)
				CHECK(st.good_at_ms == prev_at);
		}
	}
}

int
main(void)
{
	RUN(first_reading_is_baseline_not_billed);
	RUN(monotonic_delta_billed_from_baseline);
	RUN(zero_usage_is_ok);
	RUN(max_power_exactly_is_ok_one_step_more_is_spike);
	RUN(max_delta_rounds_up_and_scales_with_speed);
	RUN(max_delta_does_not_overflow_on_huge_gaps);
	RUN(rollover_at_register_maximum_billed);
	RUN(rollover_larger_than_plausible_is_quarantined);
	RUN(counter_drop_quarantined_then_rebased_when_confirmed);
	RUN(glitch_skipped_when_next_reading_continues_baseline);
	RUN(spike_confirmed_rebases_without_billing_the_jump);
	RUN(two_suspects_in_a_row_stay_quarantined);
	RUN(serial_change_is_replacement_with_new_baseline);
	RUN(unknown_serial_keeps_the_known_one);
	RUN(same_or_older_timestamp_is_stale);
	RUN(impossible_values_refused_state_untouched);
	RUN(long_offline_gap_allows_more_energy);
	RUN(random_sequences_never_bill_negative_or_implausible);
	return unit_done();
}
