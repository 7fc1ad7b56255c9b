/*
 * Reading validation, pure (no I/O): is a meter's new counter value
 * billable, and how much? Everything is in the meter's own terms
 * (register milli-units: Wh or L on the secondary side, before CT × PT),
 * because that is where the rollover and the plausible power live.
 *
 * The baseline is the last accepted reading. A reading that cannot be
 * explained from it (a counter below it that is not a rollover, or a jump
 * beyond max power × elapsed time) is quarantined: stored, flagged, never
 * billed, and kept as a candidate. If the next reading continues
 * plausibly from the candidate and not from the baseline, the counter
 * really was reset, replaced or set: the candidate becomes the baseline
 * (the jump itself is never billed; the operator decides) and only usage
 * counted after it is billed. A one-off glitch is simply skipped. A new
 * serial number (the operator recorded a meter swap) starts a new
 * baseline at once. See docs/poller.md.
 */
#ifndef PREPAY_METERS_VALIDATE_H
#define PREPAY_METERS_VALIDATE_H
#include <stddef.h>
#include <stdint.h>

#define VALIDATE_SERIAL_MAX 64

/* The remembered state of one meter, persisted in meter_state. */
struct validate_state {
	int has_good;			/* 0: no accepted reading yet */
	int64_t good_at_ms;		/* UTC ms of the baseline */
	int64_t good_milli;		/* its register value */
	int has_cand;			/* a quarantined reading waits for confirmation */
	int64_t cand_at_ms;
	int64_t cand_milli;
	char serial[VALIDATE_SERIAL_MAX];	/* serial of the baseline's meter */
};

struct validate_limits {
	int64_t max_power_milli;	/* W (L/h) at the meter's terminals */
	int64_t rollover_milli;		/* the register wraps to 0 here; 0: never */
	int64_t tolerance_milli;	/* the register's resolution: truncation slack */
	int64_t speed;			/* elapsed time multiplier (simulated park); 1 for real meters */
};

enum validate_verdict {
	VALIDATE_FIRST,		/* first reading: the baseline, nothing billed */
	VALIDATE_OK,		/* billed: delta since the baseline */
	VALIDATE_ROLLOVER,	/* billed: the counter wrapped at its maximum */
	VALIDATE_REBASED,	/* confirmed reset/replacement: billed from the candidate */
	VALIDATE_REPLACED,	/* serial changed: new baseline, nothing billed */
	VALIDATE_QUARANTINED,	/* suspect: stored and flagged, not billed */
	VALIDATE_STALE,		/* not after the baseline: ignored, not stored */
};

enum validate_suspect {
	VALIDATE_SUSPECT_NONE,
	VALIDATE_SUSPECT_DROP,	/* below the baseline, not a rollover */
	VALIDATE_SUSPECT_SPIKE,	/* more than max power for the elapsed time */
};

struct validate_result {
	enum validate_verdict verdict;
	enum validate_suspect suspect;
	int64_t delta_milli;		/* register milli-units to bill (>= 0) */
	int64_t from_ms;		/* the billed interval is [from_ms, at_ms) */
	int64_t unbilled_milli;		/* a confirmed jump left to the operator (may be < 0) */
	int64_t unbilled_from_ms;	/* the interval the jump happened in */
	int64_t unbilled_to_ms;
	char why[200];			/* for people */
};

/*
 * Judges the reading (at_ms, value_milli, serial) against st and updates
 * st to the state after it. serial may be "" (unknown). Returns 0, or -1
 * for an impossible input (negative value, bad limits): st untouched,
 * why filled.
 */
int validate_reading(struct validate_state *st, const struct validate_limits *lim,
    int64_t at_ms, int64_t value_milli, const char *serial, struct validate_result *out);

/* The most energy plausible in elapsed_ms at max power, with the slack. */
int64_t validate_max_delta(const struct validate_limits *lim, int64_t elapsed_ms);

const char *validate_verdict_name(enum validate_verdict);
const char *validate_suspect_name(enum validate_suspect);

#endif
