/*
 * The account summary's cache (docs/tenant.md, "Account summary: what is
 * cached"): the rendered JSON of GET /api/v1/accounts/{id}, one slot per
 * account, shared by prepay-api's threads. An entry is served only while
 * the account's change stamp (read from the database on every request, in
 * the same round trip as the session and scope checks) is byte for byte
 * the one it was rendered under, and until its expiry: at most
 * SUMMARY_TTL_MS, sooner when a pending cut falls due. When the stamp
 * moved, its parts that may lag (read at most SUMMARY_TTL_MS ago) are
 * still offered so only the exact parts are recomputed. No I/O here.
 */
#ifndef PREPAY_CGI_SUMMARY_CACHE_H
#define PREPAY_CGI_SUMMARY_CACHE_H
#include <stddef.h>
#include <stdint.h>

#define SUMMARY_CACHE_SLOTS 4096		/* direct-mapped by account id */
#define SUMMARY_STAMP_MAX 256			/* longer stamps are not cached */
#define SUMMARY_BODY_MAX (64 * 1024)		/* larger answers are not cached */
#define SUMMARY_TTL_MS 5000			/* what moves with time: days left, meters, cut time */

/*
 * What the slot of account_id holds at now_ms, as a malloc'd copy in *body
 * (its length in *len): 1 the summary under this very stamp, not expired;
 * 2 a summary under another stamp whose lagging parts (names, 7-day spend,
 * meters) are still fresh until *parts_expires_ms: reuse those, recompute
 * the rest; 0 nothing usable (*body NULL).
 */
int summary_cache_get(int64_t account_id, const char *stamp, int64_t now_ms, char **body, size_t *len,
    int64_t *parts_expires_ms);
/* Remembers body for account_id under stamp until expires_ms (never past
 * parts_expires_ms, when its lagging parts were read + the TTL), replacing
 * what its slot held (another account's entry, or an older one). */
void summary_cache_put(int64_t account_id, const char *stamp, int64_t expires_ms, int64_t parts_expires_ms,
    const char *body);
/* When an entry rendered at now_ms expires: the TTL, or the pending cut's
 * due time (cut_in_s seconds from now; < 0: none pending) if sooner. 0 when
 * it is due already and must not be cached. */
int64_t summary_cache_expiry(int64_t now_ms, int64_t cut_in_s);
/* Forgets every entry (tests). */
void summary_cache_clear(void);

#endif
