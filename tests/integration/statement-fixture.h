/*
 * Shared by the statement and consumption integration tests: meters,
 * tariffs and assignments in a ledger fixture's site, readings posted the
 * way the poller posts them (consume_post_in_tx in a db_tx), and sums
 * straight from the ledger to check statements against.
 */
#ifndef PREPAY_STATEMENT_FIXTURE_H
#define PREPAY_STATEMENT_FIXTURE_H
#include <stdint.h>
#include "billing/consume.h"
#include "billing/statement.h"
#include "tests/integration/ledger-fixture.h"

int64_t sf_meter(struct fixture *, int64_t account_id, const char *code, const char *energy);
/* imports (or re-imports) a tariff document; exits on failure unless
 * want is not NEW/CHANGED (then returns the status) */
enum tariff_import_status sf_tariff(struct fixture *, const char *code, const char *json, int correct,
    int64_t *tariff_id);
void sf_assign(struct fixture *, int64_t account_id, int64_t tariff_id, const char *energy, int64_t unit_price_uyuan,
    int64_t adjust_bp);
/* one reading [start, end) UTC seconds; bands NULL or 4 energies (sharp..valley, -1 = absent) */
enum consume_status sf_consume(struct fixture *, struct tariff_store *, int64_t meter_id, int64_t start, int64_t end,
    int64_t energy_milli, const int64_t *bands, struct consume_result *);
/* several readings in one transaction (as a poller may batch a cycle);
 * returns the first status that is not OK (then nothing was posted) */
enum consume_status sf_consume_batch(struct fixture *, struct tariff_store *, const struct consume_reading *, int n,
    struct consume_result *);
int64_t sf_post(struct fixture *, int64_t account_id, int kind, int64_t fen, const char *key);
int64_t sf_int(struct fixture *, const char *sql, const char *types, ...);
/* Σ ledger debits (fen, positive) made for the account's usage of a month:
 * entries referencing its consumption rows, standing charges, rerates */
int64_t sf_debits_for_period(struct fixture *, int64_t account_id, int32_t period);
/* UTC of local midnight of YYYY-MM-DD in Asia/Shanghai */
int64_t sf_local(int y, int m, int d, int hh, int mm);
int32_t sf_period_now(int months_ahead);

#endif
