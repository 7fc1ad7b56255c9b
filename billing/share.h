/*
 * Shared meters and line loss (docs/statements.md, "Shared meters and line
 * loss"). Two halves, like statement.h:
 *
 *   pure   share_*: rule names, the price of a line loss, the month's
 *          split of a source's cost (rate_apportion: parts add up exactly)
 *          and the statement lines a tenant sees for its shares;
 *   db     share_post_month: for every source meter of a site, the month's
 *          cost, its split, share_allocations rows and the ledger entries
 *          (one fee per tenant per source, idempotent, corrections as new
 *          entries); share_load: what a statement shows.
 */
#ifndef PREPAY_SHARE_H
#define PREPAY_SHARE_H
#include <stddef.h>
#include <stdint.h>
#include "billing/statement.h"
#include "lib/db.h"

enum share_rule { SHARE_AREA, SHARE_FIXED, SHARE_CONSUMPTION, SHARE_NONE };

const char *share_rule_name(enum share_rule);
int share_rule_parse(const char *, enum share_rule *);

/* The cost of a line loss: loss energy at the sub-meters' average rated
 * price (sub_nyuan / sub_milli), rounded half up to the fen. 0 when there
 * is no loss (loss <= 0) or no sub-meter usage to price it with. */
int64_t share_loss_fen(int64_t loss_milli, int64_t sub_milli, int64_t sub_nyuan);

/* The split of source_fen by weights: 0, or -1 with why (no weights, all
 * zero, negative). The parts add up to source_fen exactly. */
int share_split(int64_t source_fen, const int64_t *weights, int n, int64_t *parts_fen, char *why, size_t whylen);

/* One allocation as a statement shows it. */
struct stmt_share {
	char meter[33];			/* the source meter's code */
	char energy[12];
	int loss;			/* 1: a master meter's line loss */
	enum share_rule rule;
	int64_t weight, total_weight;
	int64_t source_fen;
	int64_t share_fen;		/* < 0: the common account credited back */
	int64_t posted_fen;		/* what the ledger carries for it */
	char unit[8];			/* the source's unit (kWh, m3) for consumption weights */
};

/* Adds a "share" line per allocation, their total and a check line
 * (posted against apportioned) to the statement; returns the total fen.
 * A difference marks the statement mismatch. n == 0 adds nothing. */
int64_t stmt_shares(struct stmt *, const struct stmt_share *, int n);

/* --- database ----------------------------------------------------------- */

struct share_post_stats {
	int sources, allocations, entries;	/* entries: ledger entries posted now */
	int losses;				/* line_losses rows written */
	int64_t apportioned_fen;
};

/* problems (a source that cannot be split) are reported and skipped */
typedef void (*share_report_fn)(void *arg, const char *msg);

/* Apportions every source meter of the site for the month (yyyymm) and
 * posts the differences to the ledger. Idempotent. 0 or -1 (err). */
int share_post_month(struct db *, int64_t site_id, int32_t period, const char *actor, struct share_post_stats *,
    share_report_fn, void *arg, char *err, size_t errlen);

/* The month's allocations (of one account, or all with account_id 0) in
 * account order, one call each. 0 or -1 (database). */
typedef void (*share_load_fn)(void *arg, int64_t account_id, const struct stmt_share *);
int share_load(struct db *, int64_t account_id, int32_t period, share_load_fn, void *arg);

#endif
