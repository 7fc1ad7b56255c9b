/*
 * Monthly statements (docs/statements.md). Two halves:
 *
 *   pure   stmt_*: assemble a statement from plain figures (ledger entries,
 *          rated usage per meter, fixed charges, the month's real-time
 *          debits) into lines that add up exactly, and render it as text,
 *          JSON, CSV or HTML;
 *   db     statement_run: one streaming pass over the month's consumption
 *          rows (ordered by account), re-rating them with the account's
 *          tariff, checking the result against the real-time debits, and
 *          storing statements + statement_lines in batches; statement_load
 *          reads one back; statement_rerate posts tariff corrections.
 *
 * Money in lines is nano-yuan (exact); balances are whole fen.
 */
#ifndef PREPAY_STATEMENT_H
#define PREPAY_STATEMENT_H
#include <stdint.h>
#include <stdio.h>
#include "billing/rate.h"
#include "billing/tariff_store.h"
#include "lib/config.h"
#include "lib/db.h"

#define STMT_LABEL_MAX 200
#define STMT_MAX_METERS 64	/* meters of one account and energy on one statement */

struct stmt_line {
	char section[12];	/* balance ledger usage fixed adjust fee rounding total check */
	char energy[12];
	char meter[33];
	char label[STMT_LABEL_MAX];
	int has_qty;
	int64_t quantity_milli;
	char unit[8];
	int has_price;
	int64_t price_uyuan;
	int64_t amount_nyuan;
};

struct stmt {
	int64_t account_id, site_id;
	int32_t period;			/* yyyymm, local */
	char account[72];		/* "SITE/CODE" */
	char timezone[64];
	int64_t opening_fen, credits_fen, debits_fen, posted_fen, closing_fen;
	int64_t usage_fen;		/* the month's usage re-rated, all energies */
	int64_t debited_fen;		/* what real time charged for it */
	int mismatch;
	char note[300];			/* why, when mismatch */
	int nlines, cap;
	struct stmt_line *lines;
	char sha256[65];
};

/* A ledger entry as the statement lists it. */
struct stmt_entry {
	char kind[20];
	int64_t amount_fen;
	char counter[65];
	char reference[129];
	char at[20];			/* local "YYYY-MM-DD HH:MM" */
	char reason[129];
};

/* Usage of one energy type: one rate_result per meter (fed with a shared
 * state), the final state, the fixed-charge result and what real time
 * debited for the month. */
struct stmt_usage {
	const char *energy;
	const struct rate_ctx *ctx;
	int nmeters;
	const char *meter[STMT_MAX_METERS];
	const struct rate_result *res[STMT_MAX_METERS];
	const struct rate_state *state;	/* NULL: no usage rated */
	const struct rate_result *fixed;	/* may be NULL */
	int64_t debited_fen;		/* rate_periods.debited_fen */
	int64_t rerate_fen;
	int64_t readings_fen;		/* Σ consumption.debit_fen */
	const char *problem;		/* set: cannot be rated (shown, flagged) */
};

void stmt_init(struct stmt *, int64_t account_id, int64_t site_id, int32_t period, const char *account,
    const char *zone);
void stmt_free(struct stmt *);
void stmt_add(struct stmt *, const struct stmt_line *);
/* Opening, the listed entries, the posted charges (the rest) and closing. */
void stmt_ledger(struct stmt *, int64_t opening_fen, const struct stmt_entry *, int n, int64_t closing_fen);
/* Usage lines of one energy; returns the energy's fen. */
int64_t stmt_usage(struct stmt *, const struct stmt_usage *);
/* Seals it: sha256 over the content (what tells an unchanged re-run). */
void stmt_finish(struct stmt *);
/* Checks the sums (lines add up, rounding in range): 0 or -1 with why. */
int stmt_check(const struct stmt *, char *why, size_t whylen);

enum stmt_format { STMT_TEXT, STMT_JSON, STMT_CSV, STMT_HTML };
int stmt_format_parse(const char *, enum stmt_format *);
void stmt_render(const struct stmt *, enum stmt_format, FILE *);
/* "12.34" / "-0.05" from nano-yuan, to the fen when exact, else to 10^-9 */
void stmt_yuan(int64_t nyuan, char *buf, size_t len);

/* --- database ----------------------------------------------------------- */

struct statement_run_opts {
	int32_t period;			/* yyyymm */
	int64_t site_id;		/* 0: all */
	int64_t account_id;		/* 0: all */
	int dry_run;			/* compute and check, store nothing */
	const char *actor;		/* who posts the month's shares; NULL: "statement-run" */
};

struct statement_run_stats {
	int64_t accounts, rows, statements_new, statements_changed, statements_unchanged, mismatches;
	int64_t usage_fen, debited_fen;
	int64_t share_sources, share_entries, share_problems, line_losses;
	double read_s, write_s;
};

/* report: called for each mismatch (and each statement that does not add
 * up) with a sentence. Returns 0, or -1 with err set. */
typedef void (*statement_report_fn)(void *arg, const struct stmt *, const char *msg);
int statement_run(struct db *, const struct statement_run_opts *, struct statement_run_stats *,
    statement_report_fn, void *arg, char *err, size_t errlen);

/* 1 loaded, 0 no such statement, -1 database error */
int statement_load(struct db *, int64_t account_id, int32_t period, struct stmt *);

/*
 * Rerate one account's energy type for months [from, to) (yyyymm) under
 * its current tariff and terms: what each month should have cost minus
 * what was charged is posted as a correction (a debit as consumption, a
 * credit as an adjustment), never by editing an entry. Idempotent: a month
 * already right posts nothing. One transaction per month.
 */
struct rerate_month {
	int32_t period;
	int64_t charged_fen, correct_fen, posted_fen;	/* posted = correct - charged (0: nothing) */
};
int statement_rerate(struct db *, struct tariff_store *, int64_t account_id, const char *energy, int32_t from,
    int32_t to, const char *actor, const char *reason, struct rerate_month *out, int max, int *n,
    char *err, size_t errlen);

/*
 * The periodic billing jobs (billing/statement_jobs.c; prepay-worker's
 * billing.fixed and billing.month, prepayctl fixed-charges run):
 *
 * statement_fixed_run: standing charges through the local day of
 * `through` (UTC; or, with date "YYYY-MM-DD", that local day in each
 * account's site) for every open account with a tariff — so accounts
 * whose meters send nothing still pay them. Idempotent (days charged are
 * not charged again). site_id / account_id 0: all.
 *
 * statement_month_due: for each site (or the one given) whose local time
 * `now` is past 01:00 on a month's 1st, runs the statement run for the
 * month before, once (statement_runs remembers it).
 */
struct fixed_run_stats {
	int64_t accounts;		/* account × energy assignments looked at */
	int64_t charged;		/* of which something was posted now */
	int64_t posted_fen;
	int64_t failed;
};
typedef void (*statement_job_report_fn)(void *arg, const char *msg);
int statement_fixed_run(struct db *, int64_t site_id, int64_t account_id, const char *date, int64_t through,
    const char *actor, struct fixed_run_stats *, statement_job_report_fn, void *arg, char *err, size_t errlen);

struct month_run_stats {
	int sites_run;			/* statement runs made now */
	int sites_done;			/* already run for their month */
	int64_t accounts, mismatches;
	int32_t last_period;
};
int statement_month_due(struct db *, int64_t site_id, int64_t now, const char *actor, struct month_run_stats *,
    statement_job_report_fn, void *arg, char *err, size_t errlen);

#endif
