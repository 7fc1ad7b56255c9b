/*
 * Tariffs in the database (schema/003_tariffs.sql): import a validated JSON
 * document as a tariff's new current version set, and — for a process —
 * a cache of parsed tariffs, site time zones and calendars, so rating a
 * reading costs no parsing. One store per thread, like a db connection.
 */
#ifndef PREPAY_TARIFF_STORE_H
#define PREPAY_TARIFF_STORE_H
#include <stddef.h>
#include <stdint.h>
#include "billing/rate.h"
#include "lib/db.h"

struct tariff_store;

struct tariff_store *tariff_store_new(void);
void tariff_store_free(struct tariff_store *);

/* The parsed current document of a tariff: doc_id is the tariff_documents
 * row (callers get it with the assignment, so a new import is seen at
 * once). NULL with err set if missing or no longer valid. */
const struct tariff *tariff_store_tariff(struct tariff_store *, struct db *, int64_t doc_id,
    char *err, size_t errlen);
/* A site's zone and calendar, reloaded after TARIFF_STORE_SITE_TTL seconds. */
#define TARIFF_STORE_SITE_TTL 300
int tariff_store_site(struct tariff_store *, struct db *, int64_t site_id, const struct tz **,
    const struct calendar **, char *err, size_t errlen);

/* A rating context for (document, site, override), cached (the context
 * remembers the stretch it rated last, which makes the next reading cheap). */
struct rate_ctx *tariff_store_ctx(struct tariff_store *, struct db *, int64_t doc_id, int64_t site_id,
    const struct rate_override *, char *err, size_t errlen);

/* What an account pays for an energy type (account_tariffs + the tariff's
 * current document). Returns 1 found, 0 not assigned, -1 database error. */
struct tariff_terms {
	int64_t tariff_id, doc_id, site_id;
	char code[65];
	struct rate_override ov;
	int64_t capacity_milli_kva;
};
int tariff_store_terms(struct db *, int64_t account_id, const char *energy, struct tariff_terms *);

/* tariff import: validates the document, refuses a change to versions
 * already in effect unless correct is set (then reason is required), and
 * stores it as the tariff's new current document (nothing when it is the
 * same as the current one). All in the caller's transaction. */
enum tariff_import_status {
	TARIFF_IMPORT_NEW,		/* a new tariff */
	TARIFF_IMPORT_CHANGED,		/* a new document for an existing tariff */
	TARIFF_IMPORT_UNCHANGED,	/* same sha256 as the current document */
	TARIFF_IMPORT_INVALID,		/* err says what (nothing written) */
	TARIFF_IMPORT_PAST_EDIT,	/* changes the past without --correct (nothing written) */
	TARIFF_IMPORT_DB_ERROR,
};
struct tariff_import {
	int64_t site_id;
	const char *code;
	const char *json;
	size_t len;
	int64_t now;			/* UTC: what is "already in effect" */
	int correct;			/* allow a change to the past */
	const char *actor, *reason;
	/* out */
	int64_t tariff_id, doc_id;
	int seq;
	int past_edit;
	int64_t past_from;		/* UTC: earliest instant whose price changed (past_edit) */
	char sha256[65];
};
enum tariff_import_status tariff_store_import_in_tx(struct db *, struct tariff_import *, char *err, size_t errlen);

/* Pure: the first instant (UTC, in zone z) from which tariffs a and b say
 * something different, or INT64_MAX if they agree everywhere. */
int64_t tariff_first_difference(const struct tariff *a, const struct tariff *b, const struct tz *z);

#endif
