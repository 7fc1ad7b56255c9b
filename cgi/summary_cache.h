/*
 * The account summary's cache (docs/tenant.md, "Account summary: what is
 * cached"): the rendered JSON of GET /api/v1/accounts/{id}, one slot per
 * account, shared by prepay-api's threads. An entry is served only while
 * the account's change stamp (read from the database on every request, in
 * the same round trip as the session and scope checks) is byte for byte
 * the one it was rendered under, and until its expiry: at most
 * SUMMARY_TTL_MS, sooner when a pending cut falls due. No I/O here.
 */
#ifndef PREPAY_CGI_SUMMARY_CACHE_H
#define PREPAY_CGI_SUMMARY_CACHE_H
#include <stddef.h>
#include <stdint.h>

#define SUMMARY_CACHE_SLOTS 4096		/* direct-mapped by account id */
#define SUMMARY_STAMP_MAX 256			/* longer stamps are not cached */
#define SUMMARY_BODY_MAX (64 * 1024)		/* larger answers are not cached */
#define SUMMARY_TTL_MS 5000			/* what moves with time: days left, meters, cut time */

/* 1 and a malloc'd copy in *body (its length in *len) when account_id's
 * summary is cached under stamp and not expired at now_ms; else 0. */
int summary_cache_get(int64_t account_id, const char *stamp, int64_t now_ms, char **body, size_t *len);
/* Remembers body for account_id under stamp until expires_ms, replacing
 * what its slot held (another account's entry, or an older one). */
void summary_cache_put(int64_t account_id, const char *stamp, int64_t expires_ms, const char *body);
/* When an entry rendered at now_ms expires: the TTL, or the pending cut's
 * due time (cut_in_s seconds from now; < 0: none pending) if sooner. 0 when
 * it is due already and must not be cached. */
int64_t summary_cache_expiry(int64_t now_ms, int64_t cut_in_s);
/* The monotonic clock of the expiries, in ms. */
int64_t summary_cache_now_ms(void);
/* Forgets every entry (tests). */
void summary_cache_clear(void);

#endif
