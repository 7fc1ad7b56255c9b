/*
 * Money. The ledger, payments and everything a person reads are in fen
 * (int64, 1/100 yuan). Rating works below the fen (billing/ keeps its own
 * sub-fen unit and carries the remainder); see docs/money.md.
 */
#ifndef PREPAY_MONEY_H
#define PREPAY_MONEY_H
#include <stdint.h>

/* Largest amount anyone may type: ¥10,000,000,000.00 */
#define MONEY_MAX_FEN 1000000000000LL
#define MONEY_FMT_LEN 32

/* "12", "12.3", "12.34", "-0.05" → fen. No exponent, no third decimal,
 * no separators. Returns 0 or -1 (the text is not an amount or too large). */
int money_parse_yuan(const char *s, int64_t *fen);
/* "-12.34" */
const char *money_format(int64_t fen, char buf[MONEY_FMT_LEN]);

#endif
