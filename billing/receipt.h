/*
 * The tenant's "payment received" message (docs/alerts.md): queued in the
 * outbox in the same transaction as the credit it reports, keyed on the
 * ledger key, so one credit gives exactly one message and a rolled-back
 * credit none.
 */
#ifndef PREPAY_RECEIPT_H
#define PREPAY_RECEIPT_H
#include "billing/ledger.h"

/* Call after ledger_post_in_tx returned LEDGER_OK for a top-up; a replay
 * (res->replayed) queues nothing. Returns 0 or -1 (database error). */
int receipt_queue_in_tx(struct db *, const struct ledger_request *, const struct ledger_result *);

#endif
