/*
 * Real-time consumption: one reading delta of a meter is rated with the
 * account's tariff and persisted rating state, stored as consumption rows,
 * debited through the ledger and followed by the account policy — all in
 * the CALLER's transaction (docs/statements.md):
 *
 *	struct consume_reading r = { .meter_id = m, .start_ms = s, .end_ms = e,
 *	    .energy_milli = 1234, .actor = "poller" };
 *	struct consume_result res;
 *	static int fn(struct db *db, void *arg) {
 *		int st = consume_post_in_tx(db, store, &r, &res);
 *		return st == CONSUME_DB_ERROR ? -1 : st == CONSUME_OK ? 0 : 1;
 *	}
 *	db_tx(db, fn, ...);
 *
 * The key is (meter, end_ms): the same reading again returns the first
 * result with replayed = 1 and writes nothing; the same key with another
 * start or energy is CONSUME_CONFLICT. On any status but CONSUME_OK the
 * caller must roll back (return non-zero from the db_tx function):
 * consume may have written rows before it found the problem.
 */
#ifndef PREPAY_CONSUME_H
#define PREPAY_CONSUME_H
#include <stddef.h>
#include <stdint.h>
#include "billing/tariff_store.h"
#include "lib/db.h"

#define CONSUME_MAX_PARTS 16

struct consume_reading {
	int64_t meter_id;
	int64_t start_ms, end_ms;	/* UTC milliseconds: [start, end); end is the key */
	int64_t energy_milli;		/* primary energy (CT × PT applied), tariff milli-units */
	/* TOU registers: energy per band (enum tariff_band); nbands 0 = the
	 * schedule splits it. With bands, energy_milli must be their sum. */
	int nbands;
	int band[4];
	int64_t band_milli[4];
	const char *actor;		/* "poller", "operator:alice" */
};

enum consume_status {
	CONSUME_OK = 0,
	CONSUME_INVALID,	/* the reading itself is wrong (detail says what) */
	CONSUME_NO_METER,	/* no such meter, or it has no account */
	CONSUME_NO_TARIFF,	/* the account has no tariff for the meter's energy */
	CONSUME_CONFLICT,	/* the key was used with another start or energy */
	CONSUME_OUT_OF_ORDER,	/* overlaps an earlier reading, or its month is closed */
	CONSUME_REFUSED,	/* the ledger refused (closed account) */
	CONSUME_DB_ERROR,
};

struct consume_result {
	enum consume_status status;
	int replayed;
	int64_t account_id;
	int nparts;
	int64_t debit_fen;		/* posted for this reading (all parts) */
	int64_t fixed_fen;		/* standing charges posted on the way */
	int64_t rated_nyuan;
	int64_t balance_after_fen;	/* 0 when nothing was posted */
	char detail[320];
};

const char *consume_strerror(enum consume_status);

enum consume_status consume_post_in_tx(struct db *, struct tariff_store *, const struct consume_reading *,
    struct consume_result *);

/*
 * Standing, monthly and capacity charges of an account's energy type for
 * the local days up to and including the one containing `through` (UTC),
 * posted in advance, cumulatively per month (a full month is exactly the
 * price), as fee entries. Idempotent: days already charged are not charged
 * again. Readings call it for the days they touch; a daily job covers
 * meters that send nothing. Demand charges are not charged in real time.
 * Returns CONSUME_OK (res->fixed_fen says what was posted) or an error.
 */
enum consume_status consume_fixed_charges_in_tx(struct db *, struct tariff_store *, int64_t account_id,
    const char *energy, int64_t through, const char *actor, struct consume_result *);

#endif
