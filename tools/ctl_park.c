/*
 * prepayctl park import FILE: loads a park file (docs/park-file.md) into the
 * database. Everything is validated first, then written in one transaction:
 * rows are matched by code, new ones inserted, changed ones updated, and
 * nothing is ever deleted. Money never comes in this way: balances move
 * only through the ledger.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include "tools/ctl.h"
#include "tools/park_file.h"
#include "lib/xmalloc.h"

#define IMPORT_DRY_RUN 100	/* import_tx's answer that rolls back a dry run */
#define IMPORT_DUP_RETRIES 3
#define ER_DUP_ENTRY_CODE 1062	/* MariaDB: duplicate key */

struct site_count {
	int64_t id;
	int new, changed, unchanged;
};

struct import {
	struct park *pk;
	const char *file;
	const char *actor;
	char sha256[65];
	int dry_run;
	struct site_count *counts;	/* one per site */
	char **lines;			/* "  + tenant t13", printed after commit */
	int nlines;
};

static void
import_note(struct import *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
import_note(struct import *im, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	im->lines = xrealloc(im->lines, (size_t)(im->nlines + 1) * sizeof *im->lines);
	im->lines[im->nlines++] = xstrdup(buf);
}

static void
import_reset(struct import *im)
{
	for (int i = 0; i < im->nlines; i++)
		free(im->lines[i]);
	free(im->lines);
	im->lines = NULL;
	im->nlines = 0;
	memset(im->counts, 0, (size_t)im->pk->nsites * sizeof *im->counts);
}

/* Integers are compared and bound as text so a column may also be NULL. */
static const char *
num(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

/* 1 when the row's columns from `first` on differ from want (NULL = SQL NULL). */
static int
row_differs(struct db_rows *r, int first, const char *const *want, int n)
{
	for (int i = 0; i < n; i++) {
		const char *have = db_rows_str(r, first + i);
		if ((have == NULL) != (want[i] == NULL))
			return 1;
		if (have != NULL && strcmp(have, want[i]) != 0)
			return 1;
	}
	return 0;
}

/* Bumps the right counter and notes what happened. */
static void
count(struct import *im, int site, const char *kind, const char *code, int found, int differs)
{
	struct site_count *sc = &im->counts[site];

	if (!found) {
		sc->new++;
		import_note(im, "  + %s %s", kind, code);
	} else if (differs) {
		sc->changed++;
		import_note(im, "  ~ %s %s", kind, code);
	} else {
		sc->unchanged++;
	}
}

/* Identifiers come from this fixed list only. */
static int
lookup_id(struct db *db, const char *table, int64_t site_id, const char *code, int64_t *id)
{
	static const char *const sql[][2] = {
		{ "tenants", "SELECT id FROM tenants WHERE site_id = ? AND code = ?" },
		{ "units", "SELECT id FROM units WHERE site_id = ? AND code = ?" },
		{ "accounts", "SELECT id FROM accounts WHERE site_id = ? AND code = ?" },
		{ "gateways", "SELECT id FROM gateways WHERE site_id = ? AND code = ?" },
	};

	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
		if (strcmp(sql[i][0], table) == 0)
			return db_query_int(db, id, sql[i][1], "is", site_id, code) == 1 ? 0 : -1;
	return -1;
}

static int
import_site_row(struct db *db, struct import *im, int si)
{
	const struct park_site *s = &im->pk->sites[si];
	const char *want[] = { s->name, s->timezone };
	struct db_rows *r;
	int found, differs = 0;

	if ((r = db_query(db, "SELECT id, name, timezone FROM sites WHERE code = ? FOR UPDATE", "s",
	    s->code)) == NULL)
		return -1;
	if ((found = db_rows_next(r) == 1)) {
		im->counts[si].id = db_rows_int(r, 0);
		differs = row_differs(r, 1, want, 2);
	}
	db_rows_free(r);
	if (!found) {
		if (db_exec(db, "INSERT INTO sites (code, name, timezone) VALUES (?, ?, ?)", "sss", s->code,
		    s->name, s->timezone) < 0)
			return -1;
		im->counts[si].id = db_insert_id(db);
	} else if (differs && db_exec(db, "UPDATE sites SET name = ?, timezone = ? WHERE id = ?", "ssi",
	    s->name, s->timezone, im->counts[si].id) < 0)
		return -1;
	count(im, si, "site", s->code, found, differs);
	return 0;
}

static int
import_days(struct db *db, struct import *im, int si, int64_t site_id)
{
	const struct park_site *s = &im->pk->sites[si];

	for (int i = 0; i < s->ndays; i++) {
		const struct park_day *d = &s->days[i];
		const char *kind = d->kind == PARK_HOLIDAY ? "holiday" : "workday";
		const char *want[] = { kind, d->name };
		struct db_rows *r;
		int found, differs = 0;

		if ((r = db_query(db, "SELECT kind, name FROM site_calendar_days WHERE site_id = ? AND day = ?",
		    "is", site_id, d->date)) == NULL)
			return -1;
		if ((found = db_rows_next(r) == 1))
			differs = row_differs(r, 0, want, 2);
		db_rows_free(r);
		if (!found && db_exec(db, "INSERT INTO site_calendar_days (site_id, day, kind, name)"
		    " VALUES (?, ?, ?, ?)", "isss", site_id, d->date, kind, d->name) < 0)
			return -1;
		if (differs && db_exec(db, "UPDATE site_calendar_days SET kind = ?, name = ?"
		    " WHERE site_id = ? AND day = ?", "ssis", kind, d->name, site_id, d->date) < 0)
			return -1;
		count(im, si, "day", d->date, found, differs);
	}
	return 0;
}

static int
import_units(struct db *db, struct import *im, int si, int64_t site_id)
{
	const struct park_site *s = &im->pk->sites[si];

	for (int i = 0; i < s->nunits; i++) {
		const struct park_unit *u = &s->units[i];
		char b[24];
		const char *want[] = { u->name, num(b, u->area_m2_e2) };
		struct db_rows *r;
		int found, differs = 0;
		int64_t id = 0;

		if ((r = db_query(db, "SELECT id, name, area_m2_e2 FROM units WHERE site_id = ? AND code = ?",
		    "is", site_id, u->code)) == NULL)
			return -1;
		if ((found = db_rows_next(r) == 1)) {
			id = db_rows_int(r, 0);
			differs = row_differs(r, 1, want, 2);
		}
		db_rows_free(r);
		if (!found && db_exec(db, "INSERT INTO units (site_id, code, name, area_m2_e2) VALUES (?, ?, ?, ?)",
		    "issi", site_id, u->code, u->name, u->area_m2_e2) < 0)
			return -1;
		if (differs && db_exec(db, "UPDATE units SET name = ?, area_m2_e2 = ? WHERE id = ?", "sii",
		    u->name, u->area_m2_e2, id) < 0)
			return -1;
		count(im, si, "unit", u->code, found, differs);
	}
	return 0;
}

static int
import_tenants(struct db *db, struct import *im, int si, int64_t site_id)
{
	const struct park_site *s = &im->pk->sites[si];

	for (int i = 0; i < s->ntenants; i++) {
		const struct park_tenant *t = &s->tenants[i];
		const char *want[] = { t->name, t->contact_name, t->contact_phone };
		struct db_rows *r;
		int found, differs = 0;
		int64_t id = 0;

		if ((r = db_query(db, "SELECT id, name, contact_name, contact_phone FROM tenants"
		    " WHERE site_id = ? AND code = ?", "is", site_id, t->code)) == NULL)
			return -1;
		if ((found = db_rows_next(r) == 1)) {
			id = db_rows_int(r, 0);
			differs = row_differs(r, 1, want, 3);
		}
		db_rows_free(r);
		if (!found && db_exec(db, "INSERT INTO tenants (site_id, code, name, contact_name, contact_phone)"
		    " VALUES (?, ?, ?, ?, ?)", "issss", site_id, t->code, t->name, t->contact_name,
		    t->contact_phone) < 0)
			return -1;
		if (differs && db_exec(db, "UPDATE tenants SET name = ?, contact_name = ?, contact_phone = ?"
		    " WHERE id = ?", "sssi", t->name, t->contact_name, t->contact_phone, id) < 0)
			return -1;
		count(im, si, "tenant", t->code, found, differs);
	}
	return 0;
}

static int
import_accounts(struct db *db, struct import *im, int si, int64_t site_id)
{
	const struct park_site *s = &im->pk->sites[si];

	for (int i = 0; i < s->naccounts; i++) {
		const struct park_account *a = &s->accounts[i];
		char b1[24], b2[24], b3[24];
		int64_t tenant_id, id = 0;
		const char *want[4];
		struct db_rows *r;
		int found, differs = 0;

		if (lookup_id(db, "tenants", site_id, a->tenant, &tenant_id) < 0)
			return -1;
		want[0] = num(b1, tenant_id);
		want[1] = a->energy;
		want[2] = num(b2, a->overdraft_fen);
		want[3] = num(b3, a->keep_power);
		if ((r = db_query(db, "SELECT id, tenant_id, energy, overdraft_fen, keep_power FROM accounts"
		    " WHERE site_id = ? AND code = ? FOR UPDATE", "is", site_id, a->code)) == NULL)
			return -1;
		if ((found = db_rows_next(r) == 1)) {
			id = db_rows_int(r, 0);
			differs = row_differs(r, 1, want, 4);
		}
		db_rows_free(r);
		/* balance_fen and last_seq are never written here: only the ledger moves money */
		if (!found && db_exec(db, "INSERT INTO accounts (site_id, tenant_id, code, energy, overdraft_fen,"
		    " keep_power) VALUES (?, ?, ?, ?, ?, ?)", "iissii", site_id, tenant_id, a->code, a->energy,
		    a->overdraft_fen, (int64_t)a->keep_power) < 0)
			return -1;
		if (differs && db_exec(db, "UPDATE accounts SET tenant_id = ?, energy = ?, overdraft_fen = ?,"
		    " keep_power = ? WHERE id = ?", "isiii", tenant_id, a->energy, a->overdraft_fen,
		    (int64_t)a->keep_power, id) < 0)
			return -1;
		count(im, si, "account", a->code, found, differs);
	}
	return 0;
}

static int
import_gateways(struct db *db, struct import *im, int si, int64_t site_id)
{
	const struct park_site *s = &im->pk->sites[si];

	for (int i = 0; i < s->ngateways; i++) {
		const struct park_gateway *g = &s->gateways[i];
		char bp[24], bb[24], bt[24], bg[24], par[2] = { g->parity, 0 };
		int tcp = g->transport == PARK_TCP;
		const char *want[] = { g->name, tcp ? "tcp" : "rtu", tcp ? g->host : NULL,
		    tcp ? num(bp, g->port) : NULL, tcp ? NULL : g->device, tcp ? NULL : num(bb, g->baud),
		    tcp ? NULL : par, num(bt, g->timeout_ms), num(bg, g->gap_ms) };
		struct db_rows *r;
		int found, differs = 0;
		int64_t id = 0;

		if ((r = db_query(db, "SELECT id, name, transport, host, port, device, baud, parity, timeout_ms,"
		    " gap_ms FROM gateways WHERE site_id = ? AND code = ?", "is", site_id, g->code)) == NULL)
			return -1;
		if ((found = db_rows_next(r) == 1)) {
			id = db_rows_int(r, 0);
			differs = row_differs(r, 1, want, 9);
		}
		db_rows_free(r);
		if (!found && db_exec(db, "INSERT INTO gateways (site_id, code, name, transport, host, port, device,"
		    " baud, parity, timeout_ms, gap_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "issssssssss",
		    site_id, g->code, want[0], want[1], want[2], want[3], want[4], want[5], want[6], want[7],
		    want[8]) < 0)
			return -1;
		if (differs && db_exec(db, "UPDATE gateways SET name = ?, transport = ?, host = ?, port = ?,"
		    " device = ?, baud = ?, parity = ?, timeout_ms = ?, gap_ms = ? WHERE id = ?", "sssssssssi",
		    want[0], want[1], want[2], want[3], want[4], want[5], want[6], want[7], want[8], id) < 0)
			return -1;
		count(im, si, "gateway", g->code, found, differs);
	}
	return 0;
}

struct meter_ref {
	char gateway[24], address[24], unit[24], account[24];
	const char *gw, *addr, *un, *acc;	/* NULL or the buffers */
};

static int
meter_refs(struct db *db, int64_t site_id, const struct park_meter *m, struct meter_ref *mr)
{
	int64_t id;

	memset(mr, 0, sizeof *mr);
	if (m->gateway != NULL) {
		if (lookup_id(db, "gateways", site_id, m->gateway, &id) < 0)
			return -1;
		mr->gw = num(mr->gateway, id);
		mr->addr = num(mr->address, m->address);
	}
	if (m->unit != NULL) {
		if (lookup_id(db, "units", site_id, m->unit, &id) < 0)
			return -1;
		mr->un = num(mr->unit, id);
	}
	if (m->account != NULL) {
		if (lookup_id(db, "accounts", site_id, m->account, &id) < 0)
			return -1;
		mr->acc = num(mr->account, id);
	}
	return 0;
}

/*
 * Meters are unique per (gateway, address), so two meters swapping
 * addresses would collide half-way: first every meter that moves lets go
 * of its address, then all take their new ones. A meter that is not in
 * the file but sits on an address the file wants is refused.
 */
static int
import_meters(struct db *db, struct import *im, int si, int64_t site_id)
{
	const struct park_site *s = &im->pk->sites[si];
	struct meter_ref mr;

	for (int i = 0; i < s->nmeters; i++) {
		const struct park_meter *m = &s->meters[i];
		if (meter_refs(db, site_id, m, &mr) < 0)
			return -1;
		if (db_exec(db, "UPDATE meters SET modbus_unit = NULL WHERE site_id = ? AND code = ?"
		    " AND NOT (gateway_id <=> ? AND modbus_unit <=> ?)", "isss", site_id, m->code, mr.gw,
		    mr.addr) < 0)
			return -1;
	}
	for (int i = 0; i < s->nmeters; i++) {
		const struct park_meter *m = &s->meters[i];
		char bc[24], bp[24], br[24];
		const char *want[10];
		struct db_rows *r;
		int found, differs = 0;
		int64_t id = 0;

		if (meter_refs(db, site_id, m, &mr) < 0)
			return -1;
		if (mr.gw != NULL) {
			if ((r = db_query(db, "SELECT code FROM meters WHERE gateway_id = ? AND modbus_unit = ?"
			    " AND code <> ?", "sss", mr.gw, mr.addr, m->code)) == NULL)
				return -1;
			if (db_rows_next(r) == 1) {
				ctl_fail(NULL, 0, "%s: sites[%d].meters[%d].address: gateway \"%s\" address %d is"
				    " used by meter \"%s\", which is not in this file: give one of them another"
				    " address (nothing was imported)", im->file, si, i, m->gateway, m->address,
				    db_rows_str(r, 0));
				db_rows_free(r);
				return CTL_INVALID;
			}
			db_rows_free(r);
		}
		want[0] = m->serial;
		want[1] = m->energy;
		want[2] = m->profile;
		want[3] = mr.gw;
		want[4] = mr.addr;
		want[5] = mr.un;
		want[6] = mr.acc;
		want[7] = num(bc, m->ct_ratio);
		want[8] = num(bp, m->pt_ratio);
		want[9] = num(br, m->relay);
		if ((r = db_query(db, "SELECT id, serial, energy, profile, gateway_id, modbus_unit, unit_id,"
		    " account_id, ct_ratio, pt_ratio, relay_capable FROM meters WHERE site_id = ? AND code = ?",
		    "is", site_id, m->code)) == NULL)
			return -1;
		if ((found = db_rows_next(r) == 1)) {
			id = db_rows_int(r, 0);
			differs = row_differs(r, 1, want, 10);
		}
		db_rows_free(r);
		if (!found && db_exec(db, "INSERT INTO meters (site_id, code, serial, energy, profile, gateway_id,"
		    " modbus_unit, unit_id, account_id, ct_ratio, pt_ratio, relay_capable)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "isssssssssss", site_id, m->code, want[0],
		    want[1], want[2], want[3], want[4], want[5], want[6], want[7], want[8], want[9]) < 0)
			return -1;
		if (differs && db_exec(db, "UPDATE meters SET serial = ?, energy = ?, profile = ?, gateway_id = ?,"
		    " modbus_unit = ?, unit_id = ?, account_id = ?, ct_ratio = ?, pt_ratio = ?, relay_capable = ?"
		    " WHERE id = ?", "ssssssssssi", want[0], want[1], want[2], want[3], want[4], want[5], want[6],
		    want[7], want[8], want[9], id) < 0)
			return -1;
		count(im, si, "meter", m->code, found, differs);
	}
	return 0;
}

/* What the import did, for --json and the audit log. */
static cJSON *
import_summary(const struct import *im)
{
	cJSON *o = cJSON_CreateObject(), *sites = cJSON_AddArrayToObject(o, "sites");

	cJSON_AddStringToObject(o, "file", im->file);
	cJSON_AddStringToObject(o, "sha256", im->sha256);
	cJSON_AddBoolToObject(o, "dry_run", im->dry_run);
	for (int i = 0; i < im->pk->nsites; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "code", im->pk->sites[i].code);
		cJSON_AddNumberToObject(s, "id", (double)im->counts[i].id);
		cJSON_AddNumberToObject(s, "new", im->counts[i].new);
		cJSON_AddNumberToObject(s, "changed", im->counts[i].changed);
		cJSON_AddNumberToObject(s, "unchanged", im->counts[i].unchanged);
		cJSON_AddItemToArray(sites, s);
	}
	return o;
}

/* The transaction: may run several times (deadlock retry), so it starts clean. */
static int
import_tx(struct db *db, void *arg)
{
	struct import *im = arg;
	cJSON *sum;
	char *detail;
	int rc;

	import_reset(im);
	for (int si = 0; si < im->pk->nsites; si++) {
		if ((rc = import_site_row(db, im, si)) != 0)
			return rc;
		int64_t id = im->counts[si].id;
		if ((rc = import_days(db, im, si, id)) != 0 || (rc = import_units(db, im, si, id)) != 0 ||
		    (rc = import_tenants(db, im, si, id)) != 0 || (rc = import_accounts(db, im, si, id)) != 0 ||
		    (rc = import_gateways(db, im, si, id)) != 0 || (rc = import_meters(db, im, si, id)) != 0)
			return rc;
	}
	if (im->dry_run)
		return IMPORT_DRY_RUN;	/* roll back: dry runs write nothing */
	sum = import_summary(im);
	detail = cJSON_PrintUnformatted(sum);
	cJSON_Delete(sum);
	rc = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail)"
	    " VALUES (?, 'park.import', 'park', NULL, ?)", "ss", im->actor, detail) < 0 ? -1 : 0;
	free(detail);
	return rc;
}

static char *
read_file(const char *path, size_t *len, int *too_big)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	*too_big = 0;
	if (f == NULL)
		return NULL;
	buf = xmalloc(PARK_FILE_MAX_BYTES + 1);
	*len = fread(buf, 1, PARK_FILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	if (*len > PARK_FILE_MAX_BYTES) {
		*too_big = 1;
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* The shell's part of validation: the machine must know each time zone. */
static void
check_timezones(const struct park *pk, const char *file, struct park_errors *errs)
{
	const char *dir = getenv("TZDIR") != NULL ? getenv("TZDIR") : "/usr/share/zoneinfo";
	struct stat st;

	memset(errs, 0, sizeof *errs);
	for (int i = 0; i < pk->nsites; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, pk->sites[i].timezone);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			park_error(errs, "%s: sites[%d].timezone: no time zone \"%s\" in %s (a name like"
			    " \"Asia/Shanghai\"; apt-get install tzdata if the folder is empty)", file, i,
			    pk->sites[i].timezone, dir);
	}
}

static int
print_errors(struct ctl *c, const struct park_errors *errs, const char *file)
{
	for (int i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	if (errs->total > errs->n)
		fprintf(stderr, "... and %d more\n", errs->total - errs->n);
	return ctl_fail(c, CTL_INVALID, "%s: %d error%s; nothing was imported", file, errs->total,
	    errs->total == 1 ? "" : "s");
}

int
ctl_park_import(struct ctl *c, int argc, char **argv)
{
	const char *dry = NULL, *verbose = NULL;
	struct ctl_opt opts[] = { { "dry-run", &dry, 1 }, { "verbose", &verbose, 1 }, { NULL, NULL, 0 } };
	struct import im = { 0 };
	struct park_errors errs;
	char *pos[1], *text;
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t len = 0;
	int too_big, rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fputs("usage: prepayctl park import [--dry-run] [--verbose] FILE\n", stderr);
		return CTL_USAGE;
	}
	im.file = pos[0];
	im.actor = c->actor;
	im.dry_run = dry != NULL;
	if ((text = read_file(im.file, &len, &too_big)) == NULL) {
		if (too_big)
			return ctl_fail(c, CTL_INVALID, "%s: larger than %d bytes", im.file, PARK_FILE_MAX_BYTES);
		return ctl_fail(c, CTL_INVALID, "cannot read %s: %s", im.file, strerror(errno));
	}
	EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(im.sha256 + 2 * i, 3, "%02x", md[i]);
	im.pk = park_file_parse(text, len, im.file, &errs);
	free(text);
	if (im.pk == NULL)
		return print_errors(c, &errs, im.file);
	check_timezones(im.pk, im.file, &errs);
	if (errs.total > 0) {
		rc = print_errors(c, &errs, im.file);
		goto out;
	}
	im.counts = xcalloc((size_t)im.pk->nsites, sizeof *im.counts);
	/* Under READ COMMITTED two imports of the same new site both see no row
	 * and the second INSERT fails as a duplicate once the first commits;
	 * running again then finds the rows, so that one error is retried. */
	for (int attempt = 0;; attempt++) {
		rc = db_tx(ctl_db(c), import_tx, &im);
		if (rc != -1 || db_errno(c->db) != ER_DUP_ENTRY_CODE || attempt == IMPORT_DUP_RETRIES)
			break;
	}
	if (rc == -1) {
		rc = ctl_fail(c, CTL_UNAVAILABLE, "%s: the database refused the import: %s (nothing was imported)",
		    im.file, db_error(c->db));
		goto out;
	}
	if (rc != 0 && rc != IMPORT_DRY_RUN)
		goto out;
	rc = CTL_OK;
	if (c->json) {
		cJSON *sum = import_summary(&im);
		char *s = cJSON_Print(sum);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(sum);
		goto out;
	}
	if (verbose != NULL || im.dry_run)
		for (int i = 0; i < im.nlines; i++)
			printf("%s\n", im.lines[i]);
	for (int i = 0; i < im.pk->nsites; i++)
		printf("%ssite %s: %d new, %d changed, %d unchanged\n", im.dry_run ? "(dry run) " : "",
		    im.pk->sites[i].code, im.counts[i].new, im.counts[i].changed, im.counts[i].unchanged);
	if (im.dry_run)
		printf("dry run: nothing was written\n");
out:
	if (im.counts != NULL)
		import_reset(&im);
	free(im.counts);
	park_free(im.pk);
	return rc;
}
