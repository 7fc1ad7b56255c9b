/*
 * Tariffs in the database and a per-thread cache of what rating needs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include "billing/tariff_json.h"
#include "billing/tariff_store.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define STORE_DOCS 64
#define STORE_SITES 64
#define STORE_CTXS 256

struct store_doc {
	int64_t doc_id;
	struct tariff *t;
	uint64_t used;
};

struct store_site {
	int64_t site_id;
	struct tz *tz;
	struct calendar *cal;
	time_t loaded;
	uint64_t used;
};

struct store_ctx {
	int64_t doc_id, site_id;
	struct rate_override ov;
	struct rate_ctx *ctx;
	uint64_t used;
};

struct tariff_store {
	uint64_t clock;
	int ndocs, nsites, nctxs;
	struct store_doc docs[STORE_DOCS];
	struct store_site sites[STORE_SITES];
	struct store_ctx ctxs[STORE_CTXS];
};

struct tariff_store *
tariff_store_new(void)
{
	return xcalloc(1, sizeof(struct tariff_store));
}

static void
drop_ctxs(struct tariff_store *s, int64_t doc_id, int64_t site_id)
{
	for (int i = 0; i < s->nctxs;) {
		if (s->ctxs[i].doc_id == doc_id || s->ctxs[i].site_id == site_id) {
			rate_ctx_free(s->ctxs[i].ctx);
			s->ctxs[i] = s->ctxs[--s->nctxs];
		} else
			i++;
	}
}

void
tariff_store_free(struct tariff_store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->nctxs; i++)
		rate_ctx_free(s->ctxs[i].ctx);
	for (int i = 0; i < s->ndocs; i++)
		tariff_free(s->docs[i].t);
	for (int i = 0; i < s->nsites; i++) {
		tz_free(s->sites[i].tz);
		calendar_free(s->sites[i].cal);
	}
	free(s);
}

const struct tariff *
tariff_store_tariff(struct tariff_store *s, struct db *db, int64_t doc_id, char *err, size_t errlen)
{
	struct db_rows *r;
	struct tariff *t = NULL;
	int slot = -1;

	for (int i = 0; i < s->ndocs; i++)
		if (s->docs[i].doc_id == doc_id) {
			s->docs[i].used = ++s->clock;
			return s->docs[i].t;
		}
	if ((r = db_query(db, "SELECT document FROM tariff_documents WHERE id = ?", "i", doc_id)) == NULL) {
		snprintf(err, errlen, "cannot read tariff document %" PRId64 ": %s", doc_id, db_error(db));
		return NULL;
	}
	if (db_rows_next(r) != 1) {
		snprintf(err, errlen, "no tariff document %" PRId64, doc_id);
	} else {
		const char *doc = db_rows_str(r, 0);
		char why[400];
		if ((t = tariff_json_parse(doc, strlen(doc), why, sizeof why)) == NULL)
			snprintf(err, errlen, "tariff document %" PRId64 " no longer parses: %s", doc_id, why);
	}
	db_rows_free(r);
	if (t == NULL)
		return NULL;
	if (s->ndocs < STORE_DOCS) {
		slot = s->ndocs++;
	} else {
		slot = 0;
		for (int i = 1; i < s->ndocs; i++)
			if (s->docs[i].used < s->docs[slot].used)
				slot = i;
		drop_ctxs(s, s->docs[slot].doc_id, -1);
		tariff_free(s->docs[slot].t);
	}
	s->docs[slot].doc_id = doc_id;
	s->docs[slot].t = t;
	s->docs[slot].used = ++s->clock;
	return t;
}

static int
site_load(struct db *db, int64_t site_id, struct tz **tzp, struct calendar **calp, char *err, size_t errlen)
{
	struct db_rows *r;
	struct tz *z = NULL;
	struct calendar *cal;
	char zone[TZ_NAME_MAX + 1] = "";
	int rc;

	if ((r = db_query(db, "SELECT timezone FROM sites WHERE id = ?", "i", site_id)) == NULL) {
		snprintf(err, errlen, "cannot read site %" PRId64 ": %s", site_id, db_error(db));
		return -1;
	}
	rc = db_rows_next(r);
	if (rc == 1)
		snprintf(zone, sizeof zone, "%s", db_rows_str(r, 0));
	db_rows_free(r);
	if (rc != 1) {
		snprintf(err, errlen, "no site %" PRId64, site_id);
		return -1;
	}
	if ((z = tz_load(zone, err, errlen)) == NULL)
		return -1;
	cal = calendar_new();
	r = db_query(db, "SELECT DATE_FORMAT(day, '%Y-%m-%d'), kind FROM site_calendar_days WHERE site_id = ?",
	    "i", site_id);
	if (r == NULL) {
		snprintf(err, errlen, "cannot read the calendar of site %" PRId64 ": %s", site_id, db_error(db));
		goto fail;
	}
	while ((rc = db_rows_next(r)) == 1) {
		const char *day = db_rows_str(r, 0);
		int64_t local;
		int off;
		if (tz_parse_iso(day, strlen(day), &local, &off) == -1 ||
		    calendar_add(cal, tz_floor_div(local, 86400), strcmp(db_rows_str(r, 1), "holiday") == 0 ?
		    CALENDAR_KIND_HOLIDAY : CALENDAR_KIND_WORKDAY, err, errlen) == -1) {
			snprintf(err, errlen, "site %" PRId64 ": calendar day %s cannot be used", site_id, day);
			db_rows_free(r);
			goto fail;
		}
	}
	db_rows_free(r);
	if (rc == -1) {
		snprintf(err, errlen, "cannot read the calendar of site %" PRId64, site_id);
		goto fail;
	}
	*tzp = z;
	*calp = cal;
	return 0;
fail:
	tz_free(z);
	calendar_free(cal);
	return -1;
}

int
tariff_store_site(struct tariff_store *s, struct db *db, int64_t site_id, const struct tz **tzp,
    const struct calendar **calp, char *err, size_t errlen)
{
	time_t now = time(NULL);
	struct tz *z;
	struct calendar *cal;
	int slot = -1;

	for (int i = 0; i < s->nsites; i++)
		if (s->sites[i].site_id == site_id) {
			if (now - s->sites[i].loaded < TARIFF_STORE_SITE_TTL && now >= s->sites[i].loaded) {
				s->sites[i].used = ++s->clock;
				*tzp = s->sites[i].tz;
				*calp = s->sites[i].cal;
				return 0;
			}
			slot = i;
		}
	if (site_load(db, site_id, &z, &cal, err, errlen) == -1)
		return -1;
	if (slot == -1 && s->nsites < STORE_SITES) {
		slot = s->nsites++;
	} else {
		if (slot == -1) {
			slot = 0;
			for (int i = 1; i < s->nsites; i++)
				if (s->sites[i].used < s->sites[slot].used)
					slot = i;
		}
		/* contexts point at the old zone and calendar */
		drop_ctxs(s, -1, s->sites[slot].site_id);
		tz_free(s->sites[slot].tz);
		calendar_free(s->sites[slot].cal);
	}
	s->sites[slot] = (struct store_site){ site_id, z, cal, now, ++s->clock };
	*tzp = z;
	*calp = cal;
	return 0;
}

struct rate_ctx *
tariff_store_ctx(struct tariff_store *s, struct db *db, int64_t doc_id, int64_t site_id,
    const struct rate_override *ov, char *err, size_t errlen)
{
	const struct tariff *t;
	const struct tz *z;
	const struct calendar *cal;
	struct rate_ctx *ctx;
	int slot;

	/* the site first: a reload drops the contexts that used it */
	if (tariff_store_site(s, db, site_id, &z, &cal, err, errlen) == -1)
		return NULL;
	for (int i = 0; i < s->nctxs; i++) {
		struct store_ctx *x = &s->ctxs[i];
		if (x->doc_id == doc_id && x->site_id == site_id && x->ov.has_unit_price == ov->has_unit_price &&
		    (!ov->has_unit_price || x->ov.unit_price_uyuan == ov->unit_price_uyuan) &&
		    x->ov.adjust_bp == ov->adjust_bp) {
			x->used = ++s->clock;
			return x->ctx;
		}
	}
	if ((t = tariff_store_tariff(s, db, doc_id, err, errlen)) == NULL)
		return NULL;
	if ((ctx = rate_ctx_new(t, cal, z, ov, err, errlen)) == NULL)
		return NULL;
	if (s->nctxs < STORE_CTXS) {
		slot = s->nctxs++;
	} else {
		slot = 0;
		for (int i = 1; i < s->nctxs; i++)
			if (s->ctxs[i].used < s->ctxs[slot].used)
				slot = i;
		rate_ctx_free(s->ctxs[slot].ctx);
	}
	s->ctxs[slot] = (struct store_ctx){ doc_id, site_id, *ov, ctx, ++s->clock };
	return ctx;
}

int
tariff_store_terms(struct db *db, int64_t account_id, const char *energy, struct tariff_terms *out)
{
	struct db_rows *r;
	int rc;

	r = db_query(db, "SELECT at.tariff_id, t.code, t.site_id, at.unit_price_uyuan, at.adjust_bp,"
	    " at.capacity_milli_kva, (SELECT MAX(d.id) FROM tariff_documents d WHERE d.tariff_id = t.id)"
	    " FROM account_tariffs at JOIN tariffs t ON t.id = at.tariff_id"
	    " WHERE at.account_id = ? AND at.energy = ?", "is", account_id, energy);
	if (r == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	if ((rc = db_rows_next(r)) == 1) {
		out->tariff_id = db_rows_int(r, 0);
		snprintf(out->code, sizeof out->code, "%s", db_rows_str(r, 1));
		out->site_id = db_rows_int(r, 2);
		out->ov.has_unit_price = !db_rows_isnull(r, 3);
		out->ov.unit_price_uyuan = db_rows_int(r, 3);
		out->ov.adjust_bp = (int32_t)db_rows_int(r, 4);
		out->capacity_milli_kva = db_rows_int(r, 5);
		out->doc_id = db_rows_int(r, 6);
	}
	db_rows_free(r);
	return rc;
}

/* --- comparing tariffs: a past version is never edited ------------------ */

static int
version_equal(const struct tariff_version *a, const struct tariff_version *b)
{
	if (a->effective_local != b->effective_local || a->nschedules != b->nschedules ||
	    a->nseasons != b->nseasons || a->tier_period != b->tier_period || a->ntiers != b->ntiers ||
	    a->ncharges != b->ncharges || a->service_fee_bp != b->service_fee_bp)
		return 0;
	for (int i = 0; i < TARIFF_NBANDS; i++)
		if (a->has_price[i] != b->has_price[i] || (a->has_price[i] && a->price_uyuan[i] != b->price_uyuan[i]))
			return 0;
	for (int i = 0; i < a->nschedules; i++)
		if (memcmp(a->schedules[i].band, b->schedules[i].band, sizeof a->schedules[i].band) != 0)
			return 0;
	if (memcmp(a->season_of_month, b->season_of_month, sizeof a->season_of_month) != 0)
		return 0;
	for (int i = 0; i < a->nseasons; i++)
		if (memcmp(a->seasons[i].schedule, b->seasons[i].schedule, sizeof a->seasons[i].schedule) != 0)
			return 0;
	for (int i = 0; i < a->ntiers; i++)
		if (a->tiers[i].from_milli != b->tiers[i].from_milli || a->tiers[i].price_uyuan != b->tiers[i].price_uyuan ||
		    a->tiers[i].is_surcharge != b->tiers[i].is_surcharge)
			return 0;
	for (int i = 0; i < a->ncharges; i++)
		if (a->charges[i].kind != b->charges[i].kind || a->charges[i].price_uyuan != b->charges[i].price_uyuan ||
		    strcmp(a->charges[i].name, b->charges[i].name) != 0)
			return 0;
	return 1;
}

static int64_t
version_utc(const struct tariff *t, int v, const struct tz *z)
{
	int64_t utc;

	if (v >= t->nversions)
		return INT64_MAX;
	tz_local_to_utc(z, t->versions[v].effective_local, &utc);
	return utc;
}

int64_t
tariff_first_difference(const struct tariff *a, const struct tariff *b, const struct tz *z)
{
	int n = a->nversions > b->nversions ? a->nversions : b->nversions;

	if (a->energy != b->energy)
		return INT64_MIN;
	for (int v = 0; v < n; v++) {
		if (v < a->nversions && v < b->nversions && version_equal(&a->versions[v], &b->versions[v]))
			continue;
		int64_t x = version_utc(a, v, z), y = version_utc(b, v, z);
		return x < y ? x : y;
	}
	return INT64_MAX;
}

static void
sha256_hex(const char *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static const char *const energy_names[] = { "electricity", "water", "gas" };

enum tariff_import_status
tariff_store_import_in_tx(struct db *db, struct tariff_import *im, char *err, size_t errlen)
{
	struct tariff *t, *old = NULL;
	struct db_rows *r;
	struct tz *z = NULL;
	struct calendar *cal = NULL;
	enum tariff_import_status st = TARIFF_IMPORT_DB_ERROR;
	char why[500], cur_sha[65] = "", energy[16] = "";
	char *olddoc = NULL, *detail;
	int rc, cur_seq = 0;
	int64_t cur_doc = 0;
	cJSON *d;

	im->tariff_id = im->doc_id = 0;
	im->past_edit = 0;
	im->past_from = INT64_MAX;
	if (im->len > TARIFF_JSON_MAX) {
		snprintf(err, errlen, "the tariff file is larger than %d bytes", TARIFF_JSON_MAX);
		return TARIFF_IMPORT_INVALID;
	}
	if ((t = tariff_json_parse(im->json, im->len, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "%s", why);
		return TARIFF_IMPORT_INVALID;
	}
	sha256_hex(im->json, im->len, im->sha256);
	if ((r = db_query(db, "SELECT id, energy FROM tariffs WHERE site_id = ? AND code = ? FOR UPDATE", "is",
	    im->site_id, im->code)) == NULL)
		goto dberr;
	if ((rc = db_rows_next(r)) == 1) {
		im->tariff_id = db_rows_int(r, 0);
		snprintf(energy, sizeof energy, "%s", db_rows_str(r, 1));
	}
	db_rows_free(r);
	if (rc == -1)
		goto dberr;
	if (im->tariff_id != 0 && strcmp(energy, energy_names[t->energy]) != 0) {
		snprintf(err, errlen, "tariff %s is for %s; this file is for %s (import it under another code)",
		    im->code, energy, energy_names[t->energy]);
		st = TARIFF_IMPORT_INVALID;
		goto out;
	}
	if (im->tariff_id != 0) {
		r = db_query(db, "SELECT id, seq, sha256, document FROM tariff_documents WHERE tariff_id = ?"
		    " ORDER BY seq DESC LIMIT 1", "i", im->tariff_id);
		if (r == NULL)
			goto dberr;
		if ((rc = db_rows_next(r)) == 1) {
			cur_doc = db_rows_int(r, 0);
			cur_seq = (int)db_rows_int(r, 1);
			snprintf(cur_sha, sizeof cur_sha, "%s", db_rows_str(r, 2));
			olddoc = xstrdup(db_rows_str(r, 3));
		}
		db_rows_free(r);
		if (rc == -1)
			goto dberr;
	}
	im->seq = cur_seq;
	if (cur_doc != 0 && strcmp(cur_sha, im->sha256) == 0) {
		im->doc_id = cur_doc;
		st = TARIFF_IMPORT_UNCHANGED;
		goto out;
	}
	if (olddoc != NULL) {
		if ((old = tariff_json_parse(olddoc, strlen(olddoc), why, sizeof why)) == NULL) {
			snprintf(err, errlen, "the current document of %s no longer parses: %s", im->code, why);
			st = TARIFF_IMPORT_INVALID;
			goto out;
		}
		if (site_load(db, im->site_id, &z, &cal, err, errlen) == -1)
			goto out;
		im->past_from = tariff_first_difference(old, t, z);
		if (im->past_from <= im->now) {
			char when[32];
			tz_format_local(im->past_from + tz_offset_at(z, im->past_from, NULL, NULL), when, sizeof when);
			im->past_edit = 1;
			if (!im->correct) {
				snprintf(err, errlen, "this file changes prices already in effect (from %s, site time): a past"
				    " version is never edited; add a new version with a later effective_from, or import with"
				    " --correct --reason TEXT and then run `prepayctl tariff rerate`", when);
				st = TARIFF_IMPORT_PAST_EDIT;
				goto out;
			}
			if (im->reason == NULL || im->reason[0] == '\0') {
				snprintf(err, errlen, "--correct needs --reason TEXT: say why the past is being corrected");
				st = TARIFF_IMPORT_INVALID;
				goto out;
			}
		}
	}
	if (im->tariff_id == 0) {
		if (db_exec(db, "INSERT INTO tariffs (site_id, code, energy, name) VALUES (?, ?, ?, ?)", "isss",
		    im->site_id, im->code, energy_names[t->energy], t->name) < 0)
			goto dberr;
		im->tariff_id = db_insert_id(db);
	} else if (db_exec(db, "UPDATE tariffs SET name = ? WHERE id = ?", "si", t->name, im->tariff_id) < 0) {
		goto dberr;
	}
	im->seq = cur_seq + 1;
	if (db_exec(db, "INSERT INTO tariff_documents (tariff_id, seq, document, sha256, nversions, past_edit,"
	    " actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "iissiiss", im->tariff_id, (int64_t)im->seq, im->json,
	    im->sha256, (int64_t)t->nversions, (int64_t)im->past_edit, im->actor, im->reason ? im->reason : "") < 0)
		goto dberr;
	im->doc_id = db_insert_id(db);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "code", im->code);
	cJSON_AddNumberToObject(d, "site_id", (double)im->site_id);
	cJSON_AddNumberToObject(d, "seq", im->seq);
	cJSON_AddStringToObject(d, "sha256", im->sha256);
	cJSON_AddNumberToObject(d, "versions", t->nversions);
	cJSON_AddBoolToObject(d, "past_edit", im->past_edit);
	cJSON_AddStringToObject(d, "reason", im->reason ? im->reason : "");
	detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	rc = (int)db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail)"
	    " VALUES (?, 'tariff.import', 'tariff', ?, ?)", "sis", im->actor, im->tariff_id, detail);
	free(detail);
	if (rc < 0)
		goto dberr;
	st = cur_doc == 0 ? TARIFF_IMPORT_NEW : TARIFF_IMPORT_CHANGED;
	goto out;
dberr:
	snprintf(err, errlen, "database: %s", db_error(db));
	st = TARIFF_IMPORT_DB_ERROR;
out:
	tariff_free(t);
	tariff_free(old);
	free(olddoc);
	tz_free(z);
	calendar_free(cal);
	return st;
}
