/* Reading validation (validate.h): pure, no I/O. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "meters/validate.h"

#define MS_PER_HOUR 3600000LL
#define MAX_POWER_LIMIT 1000000000000LL	/* 1 TW: beyond any meter */
#define MAX_ELAPSED_MS (100LL * 365 * 86400 * 1000)	/* 100 years: power × hours stays in int64 */
#define MAX_SPEED 1000000

int64_t
validate_max_delta(const struct validate_limits *lim, int64_t elapsed_ms)
{
	int64_t p = lim->max_power_milli, speed = lim->speed > 0 ? lim->speed : 1, e, whole, part;

	if (elapsed_ms <= 0)
		return lim->tolerance_milli;
	if (speed > MAX_SPEED)
		speed = MAX_SPEED;
	e = elapsed_ms > MAX_ELAPSED_MS / speed ? MAX_ELAPSED_MS : elapsed_ms * speed;
	/* whole hours and the rest apart, so p × ms never overflows */
	whole = p * (e / MS_PER_HOUR);
	part = (p * (e % MS_PER_HOUR) + MS_PER_HOUR - 1) / MS_PER_HOUR;
	return whole + part + lim->tolerance_milli;
}

/* The usage from (t0, v0) to (t1, v1) if plausible: 1 plain, 2 wrapped; 0 not. */
static int
plausible(const struct validate_limits *lim, int64_t t0, int64_t v0, int64_t t1, int64_t v1, int64_t *delta)
{
	int64_t max = validate_max_delta(lim, t1 - t0);

	if (v1 >= v0) {
		*delta = v1 - v0;
		return *delta <= max ? 1 : 0;
	}
	if (lim->rollover_milli > 0 && v0 < lim->rollover_milli) {
		*delta = lim->rollover_milli - v0 + v1;
		return *delta <= max ? 2 : 0;
	}
	return 0;
}

static void
set_good(struct validate_state *st, int64_t at_ms, int64_t v, const char *serial)
{
	st->has_good = 1;
	st->good_at_ms = at_ms;
	st->good_milli = v;
	st->has_cand = 0;
	st->cand_at_ms = st->cand_milli = 0;
	if (serial[0] != '\0')
		snprintf(st->serial, sizeof st->serial, "%s", serial);
}

int
validate_reading(struct validate_state *st, const struct validate_limits *lim,
    int64_t at_ms, int64_t value_milli, const char *serial, struct validate_result *out)
{
	int64_t delta = 0;
	int kind;

	memset(out, 0, sizeof *out);
	out->from_ms = at_ms;
	if (serial == NULL)
		serial = "";
	if (value_milli < 0 || lim->max_power_milli <= 0 || lim->max_power_milli > MAX_POWER_LIMIT ||
	    lim->rollover_milli < 0 || lim->tolerance_milli < 0 || at_ms < 0 ||
	    (lim->rollover_milli > 0 && value_milli >= lim->rollover_milli)) {
		snprintf(out->why, sizeof out->why, "impossible reading %" PRId64 " (max power %" PRId64
		    ", rollover %" PRId64 "): check the meter's profile", value_milli, lim->max_power_milli,
		    lim->rollover_milli);
		return -1;
	}
	if (serial[0] != '\0' && st->serial[0] != '\0' && strcmp(serial, st->serial) != 0) {
		out->verdict = VALIDATE_REPLACED;
		snprintf(out->why, sizeof out->why, "serial changed from %s to %s: meter replaced, new baseline",
		    st->serial, serial);
		set_good(st, at_ms, value_milli, serial);
		return 0;
	}
	if (!st->has_good) {
		out->verdict = VALIDATE_FIRST;
		snprintf(out->why, sizeof out->why, "first reading: baseline");
		set_good(st, at_ms, value_milli, serial);
		return 0;
	}
	if (at_ms <= st->good_at_ms || (st->has_cand && at_ms <= st->cand_at_ms)) {
		out->verdict = VALIDATE_STALE;
		snprintf(out->why, sizeof out->why, "not later than the last reading: ignored");
		return 0;
	}
	if ((kind = plausible(lim, st->good_at_ms, st->good_milli, at_ms, value_milli, &delta)) != 0) {
		out->verdict = kind == 2 ? VALIDATE_ROLLOVER : VALIDATE_OK;
		out->delta_milli = delta;
		out->from_ms = st->good_at_ms;
		if (kind == 2)
			snprintf(out->why, sizeof out->why, "counter rolled over at %" PRId64, lim->rollover_milli);
		else if (st->has_cand)
			snprintf(out->why, sizeof out->why, "continues from the baseline: the suspect reading was a glitch");
		set_good(st, at_ms, value_milli, serial);
		return 0;
	}
	if (st->has_cand && plausible(lim, st->cand_at_ms, st->cand_milli, at_ms, value_milli, &delta) != 0) {
		out->verdict = VALIDATE_REBASED;
		out->delta_milli = delta;
		out->from_ms = st->cand_at_ms;
		out->unbilled_milli = st->cand_milli - st->good_milli;
		out->unbilled_from_ms = st->good_at_ms;
		out->unbilled_to_ms = st->cand_at_ms;
		snprintf(out->why, sizeof out->why, "counter jumped from %" PRId64 " to %" PRId64
		    " and continues from there: reset or replaced; the jump is not billed", st->good_milli,
		    st->cand_milli);
		set_good(st, at_ms, value_milli, serial);
		return 0;
	}
	out->verdict = VALIDATE_QUARANTINED;
	if (value_milli < st->good_milli) {
		out->suspect = VALIDATE_SUSPECT_DROP;
		snprintf(out->why, sizeof out->why, "counter fell from %" PRId64 " to %" PRId64
		    " (not a rollover): quarantined", st->good_milli, value_milli);
	} else {
		out->suspect = VALIDATE_SUSPECT_SPIKE;
		snprintf(out->why, sizeof out->why, "%" PRId64 " in %" PRId64 " ms is beyond the meter's maximum"
		    " of %" PRId64 ": quarantined", value_milli - st->good_milli, at_ms - st->good_at_ms,
		    validate_max_delta(lim, at_ms - st->good_at_ms));
	}
	st->has_cand = 1;
	st->cand_at_ms = at_ms;
	st->cand_milli = value_milli;
	return 0;
}

const char *
validate_verdict_name(enum validate_verdict v)
{
	static const char *const names[] = { "first", "ok", "rollover", "rebased", "replaced",
	    "quarantined", "stale" };
	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

const char *
validate_suspect_name(enum validate_suspect s)
{
	static const char *const names[] = { "", "counter_drop", "spike" };
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
