/*
 * Reconciliation of one day against WeChat Pay's trade bill: download
 * (signed request, SHA1-checked answer), parse, compare with our payments
 * paid that day (Beijing time), report. prepayctl recon and prepay-worker
 * call this; the pure parts are in payments/wechat_bill.h.
 */
#ifndef PREPAY_PAYMENTS_PAY_RECON_H
#define PREPAY_PAYMENTS_PAY_RECON_H
#include "lib/db.h"
#include "payments/wechat_bill.h"
#include "payments/wechat_client.h"

/* date: "YYYY-MM-DD". 0 with the report, -1 with err (provider, hash,
 * parse or database). */
int pay_recon_wechat(struct db *, const struct pay_wechat *, const char *date, struct recon_report *,
    char *err, size_t errlen);

#endif
