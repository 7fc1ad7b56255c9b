/*
 * prepayctl tariff import|list|show|assign|rerate, consume, statement
 * run|show: tariffs in the database, manual readings, monthly statements
 * (docs/statements.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "billing/consume.h"
#include "billing/statement.h"
#include "billing/tariff_json.h"
#include "billing/tariff_store.h"
#include "tools/ctl.h"
#include "lib/xmalloc.h"

static char *
slurp(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(max + 2);
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		snprintf(err, errlen, "%s: %s", path, n > max ? "file too large" : "read error");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* "SITE/CODE" or an id → tariff id */
static int
tariff_resolve(struct ctl *c, const char *arg, int64_t site_hint, int64_t *id)
{
	const char *slash = strchr(arg, '/');
	long long n;
	int rc;

	if ((n = ctl_parse_id(arg)) > 0)
		rc = db_query_int(ctl_db(c), id, "SELECT id FROM tariffs WHERE id = ?", "i", (int64_t)n);
	else if (slash != NULL) {
		char site[64];
		snprintf(site, sizeof site, "%.*s", (int)(slash - arg), arg);
		rc = db_query_int(ctl_db(c), id, "SELECT t.id FROM tariffs t JOIN sites s ON s.id = t.site_id"
		    " WHERE s.code = ? AND t.code = ?", "ss", site, slash + 1);
	} else
		rc = db_query_int(ctl_db(c), id, "SELECT id FROM tariffs WHERE site_id = ? AND code = ?", "is",
		    site_hint, arg);
	if (rc == -1)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read tariffs: %s", db_error(ctl_db(c)));
	if (rc == 0)
		return ctl_fail(c, CTL_INVALID, "no tariff \"%s\" (prepayctl tariff list shows them)", arg);
	return CTL_OK;
}

static int
month_arg(struct ctl *c, const char *opt, const char *s, int32_t *period)
{
	int y, m;
	char tail;

	if (s == NULL || sscanf(s, "%4d-%2d%c", &y, &m, &tail) != 2 || strlen(s) != 7 || y < 1970 || y > 2199 ||
	    m < 1 || m > 12)
		return ctl_fail(c, CTL_USAGE, "--%s: \"%s\" is not a month YYYY-MM", opt, s ? s : "");
	*period = y * 100 + m;
	return CTL_OK;
}

/* --- tariff import ------------------------------------------------------- */

struct import_arg {
	struct tariff_import im;
	enum tariff_import_status st;
	char err[600];
};

static int
import_fn(struct db *db, void *p)
{
	struct import_arg *a = p;

	a->st = tariff_store_import_in_tx(db, &a->im, a->err, sizeof a->err);
	if (a->st == TARIFF_IMPORT_DB_ERROR)
		return -1;
	return a->st == TARIFF_IMPORT_NEW || a->st == TARIFF_IMPORT_CHANGED || a->st == TARIFF_IMPORT_UNCHANGED ? 0 : 1;
}

int
ctl_tariff_import(struct ctl *c, int argc, char **argv)
{
	const char *site = NULL, *code = NULL, *correct = NULL, *reason = NULL;
	struct ctl_opt opts[] = {
		{ "site", &site, 0 }, { "code", &code, 0 }, { "correct", &correct, 1 }, { "reason", &reason, 0 },
		{ NULL, NULL, 0 },
	};
	struct import_arg a = { 0 };
	char *pos[2], err[300], *text;
	size_t len;
	int np, rc;

	if ((np = ctl_opts(argc, argv, opts, pos, 2)) == -1)
		return CTL_USAGE;
	if (np != 1 || site == NULL || code == NULL) {
		fputs("usage: prepayctl tariff import FILE --site SITE --code CODE [--correct --reason TEXT]\n", stderr);
		return CTL_USAGE;
	}
	if (strlen(code) == 0 || strlen(code) > 64 || strspn(code, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") != strlen(code))
		return ctl_fail(c, CTL_USAGE, "--code: 1 to 64 letters, digits, '-', '_' or '.'");
	if ((text = slurp(pos[0], TARIFF_JSON_MAX, &len, err, sizeof err)) == NULL)
		return ctl_fail(c, CTL_INVALID, "%s", err);
	if ((rc = ctl_site_resolve(c, site, &a.im.site_id)) != CTL_OK) {
		free(text);
		return rc;
	}
	a.im.code = code;
	a.im.json = text;
	a.im.len = len;
	a.im.now = (int64_t)time(NULL);
	a.im.correct = correct != NULL;
	a.im.actor = c->actor;
	a.im.reason = reason;
	rc = db_tx(ctl_db(c), import_fn, &a);
	free(text);
	if (rc == -1)
		return ctl_fail(c, CTL_UNAVAILABLE, "%s", a.err[0] ? a.err : db_error(ctl_db(c)));
	if (rc != 0)
		return ctl_fail(c, a.st == TARIFF_IMPORT_PAST_EDIT ? CTL_CONFLICT : CTL_INVALID, "%s: %s", pos[0], a.err);
	if (a.st == TARIFF_IMPORT_UNCHANGED)
		printf("tariff %s/%s: unchanged (document %d, sha256 %s)\n", site, code, a.im.seq, a.im.sha256);
	else
		printf("tariff %s/%s: %s document %d (sha256 %s)%s\n", site, code, a.st == TARIFF_IMPORT_NEW ? "new," :
		    "stored", a.im.seq, a.im.sha256, a.im.past_edit ? "; it corrects the past: run `prepayctl tariff"
		    " rerate` for the accounts on it" : "");
	return CTL_OK;
}

/* --- tariff list / show ---------------------------------------------------- */

int
ctl_tariff_list(struct ctl *c, int argc, char **argv)
{
	const char *site = NULL;
	struct ctl_opt opts[] = { { "site", &site, 0 }, { NULL, NULL, 0 } };
	static const char *const hdr[] = { "ID", "TARIFF", "ENERGY", "DOC", "VERSIONS", "ACCOUNTS", "NAME" };
	struct ctl_table *t;
	struct db_rows *r;
	int64_t site_id;
	int rc;

	if (ctl_opts(argc, argv, opts, NULL, 0) == -1)
		return CTL_USAGE;
	if (site != NULL && (rc = ctl_site_resolve(c, site, &site_id)) != CTL_OK)
		return rc;
	r = db_query(ctl_db(c), "SELECT t.id, CONCAT(s.code, '/', t.code), t.energy, d.seq, d.nversions,"
	    " (SELECT COUNT(*) FROM account_tariffs x WHERE x.tariff_id = t.id), t.name FROM tariffs t"
	    " JOIN sites s ON s.id = t.site_id JOIN tariff_documents d ON d.tariff_id = t.id AND d.seq ="
	    " (SELECT MAX(seq) FROM tariff_documents WHERE tariff_id = t.id) WHERE (? IS NULL OR s.code = ?)"
	    " ORDER BY s.code, t.code", "ss", site, site);
	if (r == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read tariffs: %s", db_error(ctl_db(c)));
	t = ctl_table_new(7, hdr);
	ctl_table_right(t, 0);
	ctl_table_right(t, 3);
	ctl_table_right(t, 4);
	ctl_table_right(t, 5);
	while ((rc = db_rows_next(r)) == 1) {
		const char *cells[7];
		for (int i = 0; i < 7; i++)
			cells[i] = db_rows_str(r, i);
		ctl_table_add(t, cells);
	}
	db_rows_free(r);
	ctl_table_print(t);
	return rc == -1 ? ctl_fail(c, CTL_UNAVAILABLE, "reading tariffs failed") : CTL_OK;
}

int
ctl_tariff_show(struct ctl *c, int argc, char **argv)
{
	const char *doc = NULL;
	struct ctl_opt opts[] = { { "document", &doc, 1 }, { NULL, NULL, 0 } };
	char *pos[2];
	struct db_rows *r;
	int64_t id;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 2) != 1) {
		fputs("usage: prepayctl tariff show SITE/CODE|ID [--document]\n", stderr);
		return CTL_USAGE;
	}
	if ((rc = tariff_resolve(c, pos[0], 0, &id)) != CTL_OK)
		return rc;
	r = db_query(ctl_db(c), "SELECT CONCAT(s.code, '/', t.code), t.energy, t.name, d.seq, d.sha256, d.nversions,"
	    " d.past_edit, d.actor, d.created_at, d.reason, d.document FROM tariffs t JOIN sites s ON s.id = t.site_id"
	    " JOIN tariff_documents d ON d.tariff_id = t.id WHERE t.id = ? ORDER BY d.seq", "i", id);
	if (r == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read the tariff: %s", db_error(ctl_db(c)));
	for (int first = 1; (rc = db_rows_next(r)) == 1; first = 0) {
		if (first)
			printf("tariff %s (%s) %s\n", db_rows_str(r, 0), db_rows_str(r, 1), db_rows_str(r, 2));
		printf("  document %s: %s versions, sha256 %s, by %s at %s UTC%s%s%s\n", db_rows_str(r, 3),
		    db_rows_str(r, 5), db_rows_str(r, 4), db_rows_str(r, 7), db_rows_str(r, 8),
		    strcmp(db_rows_str(r, 6), "1") == 0 ? ", CORRECTS THE PAST" : "", db_rows_str(r, 9)[0] ? ": " : "",
		    db_rows_str(r, 9));
		if (doc != NULL)
			printf("%s\n", db_rows_str(r, 10));
	}
	db_rows_free(r);
	r = db_query(ctl_db(c), "SELECT CONCAT(s.code, '/', a.code), at.energy, IFNULL(at.unit_price_uyuan, -1),"
	    " at.adjust_bp, at.capacity_milli_kva FROM account_tariffs at JOIN accounts a ON a.id = at.account_id"
	    " JOIN sites s ON s.id = a.site_id WHERE at.tariff_id = ? ORDER BY a.id", "i", id);
	if (r == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read the assignments: %s", db_error(ctl_db(c)));
	while ((rc = db_rows_next(r)) == 1) {
		char p[32] = "tariff price";
		if (db_rows_int(r, 2) >= 0)
			tariff_format_decimal(db_rows_int(r, 2), 6, p, sizeof p);
		printf("  account %s (%s): unit price %s, adjustment %s bp, capacity %s milli-kVA\n", db_rows_str(r, 0),
		    db_rows_str(r, 1), p, db_rows_str(r, 3), db_rows_str(r, 4));
	}
	db_rows_free(r);
	return CTL_OK;
}

/* --- tariff assign ------------------------------------------------------- */

struct assign_arg {
	const char *actor, *energy, *detail;
	int64_t account_id, tariff_id, price_uyuan, bp, kva_milli;
};

static int
assign_fn(struct db *db, void *p)
{
	struct assign_arg *a = p;

	if (db_exec(db, "INSERT INTO account_tariffs (account_id, energy, tariff_id, unit_price_uyuan, adjust_bp,"
	    " capacity_milli_kva, updated_by) VALUES (?, ?, ?, IF(? < 0, NULL, ?), ?, ?, ?) ON DUPLICATE KEY UPDATE"
	    " tariff_id = VALUES(tariff_id), unit_price_uyuan = VALUES(unit_price_uyuan), adjust_bp = VALUES(adjust_bp),"
	    " capacity_milli_kva = VALUES(capacity_milli_kva), updated_by = VALUES(updated_by)", "isiiiiis",
	    a->account_id, a->energy, a->tariff_id, a->price_uyuan, a->price_uyuan, a->bp, a->kva_milli, a->actor) < 0 ||
	    db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, detail) VALUES"
	    " (?, 'tariff.assign', 'account', ?, ?)", "sis", a->actor, a->account_id, a->detail) < 0)
		return -1;
	return 0;
}

int
ctl_tariff_assign(struct ctl *c, int argc, char **argv)
{
	const char *price = NULL, *adjust = NULL, *kva = NULL, *reason = NULL;
	struct ctl_opt opts[] = {
		{ "unit-price", &price, 0 }, { "adjust-bp", &adjust, 0 }, { "capacity-kva", &kva, 0 },
		{ "reason", &reason, 0 }, { NULL, NULL, 0 },
	};
	char *pos[3], *end, energy[16] = "", *detail;
	int64_t account_id, tariff_id, site_id = 0, price_uyuan = -1, kva_milli = 0, bp = 0;
	struct db_rows *r;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 3) != 2) {
		fputs("usage: prepayctl tariff assign ACCOUNT TARIFF [--unit-price YUAN] [--adjust-bp N]"
		    " [--capacity-kva KVA] [--reason TEXT]\n", stderr);
		return CTL_USAGE;
	}
	if (price != NULL && tariff_parse_decimal(price, strlen(price), 6, 0, TARIFF_MAX_PRICE_UYUAN, &price_uyuan) == -1)
		return ctl_fail(c, CTL_USAGE, "--unit-price: \"%s\" is not a price in yuan per unit (up to 6 decimals,"
		    " at most 100)", price);
	if (kva != NULL && tariff_parse_decimal(kva, strlen(kva), 3, 0, 1000000000LL, &kva_milli) == -1)
		return ctl_fail(c, CTL_USAGE, "--capacity-kva: \"%s\" is not a capacity in kVA (up to 3 decimals)", kva);
	if (adjust != NULL) {
		errno = 0;
		bp = strtoll(adjust, &end, 10);
		if (errno != 0 || *end != '\0' || end == adjust || bp < -10000 || bp > 10000)
			return ctl_fail(c, CTL_USAGE, "--adjust-bp: \"%s\" is not -10000..10000 basis points (-500 is a 5%%"
			    " discount)", adjust);
	}
	if ((rc = ctl_account_resolve(c, pos[0], &account_id)) != CTL_OK)
		return rc;
	if (db_query_int(ctl_db(c), &site_id, "SELECT site_id FROM accounts WHERE id = ?", "i", account_id) != 1)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read the account");
	if ((rc = tariff_resolve(c, pos[1], site_id, &tariff_id)) != CTL_OK)
		return rc;
	r = db_query(ctl_db(c), "SELECT t.energy, t.site_id FROM tariffs t WHERE t.id = ?", "i", tariff_id);
	if (r == NULL || db_rows_next(r) != 1) {
		db_rows_free(r);
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read the tariff");
	}
	snprintf(energy, sizeof energy, "%s", db_rows_str(r, 0));
	rc = db_rows_int(r, 1) == site_id;
	db_rows_free(r);
	if (!rc)
		return ctl_fail(c, CTL_INVALID, "tariff %s belongs to another site than account %s", pos[1], pos[0]);
	detail = xasprintf("{\"tariff_id\":%" PRId64 ",\"energy\":\"%s\",\"unit_price_uyuan\":%" PRId64
	    ",\"adjust_bp\":%" PRId64 ",\"capacity_milli_kva\":%" PRId64 ",\"reason\":\"%s\"}", tariff_id, energy,
	    price_uyuan, bp, kva_milli, reason && !strpbrk(reason, "\"\\") ? reason : "");
	struct assign_arg a = { c->actor, energy, detail, account_id, tariff_id, price_uyuan, bp, kva_milli };
	if (db_tx(ctl_db(c), assign_fn, &a) != 0) {
		free(detail);
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot assign the tariff: %s", db_error(ctl_db(c)));
	}
	free(detail);
	printf("account %s: %s tariff %s%s%s\n", pos[0], energy, pos[1], price || adjust || kva ? " with its own terms" : "",
	    "; readings already rated this month keep their price until `prepayctl tariff rerate`");
	return CTL_OK;
}

/* --- tariff rerate --------------------------------------------------------- */

int
ctl_tariff_rerate(struct ctl *c, int argc, char **argv)
{
	const char *account = NULL, *from = NULL, *to = NULL, *energy = "electricity", *reason = NULL;
	struct ctl_opt opts[] = {
		{ "account", &account, 0 }, { "from", &from, 0 }, { "to", &to, 0 }, { "energy", &energy, 0 },
		{ "reason", &reason, 0 }, { NULL, NULL, 0 },
	};
	struct rerate_month out[240];
	struct tariff_store *store;
	int32_t pf, pt;
	int64_t id;
	char err[400];
	int n, rc;

	if (ctl_opts(argc, argv, opts, NULL, 0) == -1)
		return CTL_USAGE;
	if (account == NULL || from == NULL || to == NULL || reason == NULL) {
		fputs("usage: prepayctl tariff rerate --account ACCOUNT --from YYYY-MM --to YYYY-MM --reason TEXT"
		    " [--energy electricity|water|gas]   (--to is exclusive)\n", stderr);
		return CTL_USAGE;
	}
	if ((rc = month_arg(c, "from", from, &pf)) != CTL_OK || (rc = month_arg(c, "to", to, &pt)) != CTL_OK)
		return rc;
	if (pt <= pf)
		return ctl_fail(c, CTL_USAGE, "--to must be after --from (it is exclusive)");
	if ((rc = ctl_account_resolve(c, account, &id)) != CTL_OK)
		return rc;
	store = tariff_store_new();
	rc = statement_rerate(ctl_db(c), store, id, energy, pf, pt, c->actor, reason, out, 240, &n, err, sizeof err);
	tariff_store_free(store);
	if (rc == -1)
		return ctl_fail(c, CTL_INVALID, "rerate: %s", err);
	for (int i = 0; i < n; i++) {
		char a[32], b[32], d[32];
		tariff_format_decimal(out[i].charged_fen, 2, a, sizeof a);
		tariff_format_decimal(out[i].correct_fen, 2, b, sizeof b);
		tariff_format_decimal(out[i].posted_fen, 2, d, sizeof d);
		printf("%04d-%02d %s: charged %s, rated now %s: %s\n", out[i].period / 100, out[i].period % 100, energy,
		    a, b, out[i].posted_fen == 0 ? "nothing to correct" : out[i].posted_fen > 0 ? "charged the difference" :
		    "credited the difference");
		(void)d;
	}
	if (n == 0)
		printf("nothing was rated for %s in those months\n", energy);
	return CTL_OK;
}

/* --- consume --------------------------------------------------------------- */

struct consume_arg {
	struct tariff_store *store;
	struct consume_reading rd;
	struct consume_result res;
	const char *request_id;
	enum consume_status st;
};

static int
consume_fn(struct db *db, void *p)
{
	struct consume_arg *a = p;
	char *detail;
	long long n;

	a->st = consume_post_in_tx(db, a->store, &a->rd, &a->res);
	if (a->st == CONSUME_DB_ERROR)
		return -1;
	if (a->st != CONSUME_OK)
		return 1;
	if (a->res.replayed)
		return 0;
	detail = xasprintf("{\"start_ms\":%" PRId64 ",\"end_ms\":%" PRId64 ",\"energy_milli\":%" PRId64
	    ",\"debit_fen\":%" PRId64 ",\"fixed_fen\":%" PRId64 ",\"parts\":%d}", a->rd.start_ms, a->rd.end_ms,
	    a->rd.energy_milli, a->res.debit_fen, a->res.fixed_fen, a->res.nparts);
	n = db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id, detail)"
	    " VALUES (?, 'meter.consume', 'meter', ?, ?, ?)", "siss", a->rd.actor, a->rd.meter_id, a->request_id,
	    detail);
	free(detail);
	return n < 0 ? -1 : 0;
}

static int
time_arg(struct ctl *c, const char *opt, const char *s, const struct tz *z, int64_t *ms)
{
	int64_t secs;
	int has_off;

	if (s == NULL || tz_parse_iso(s, strlen(s), &secs, &has_off) == -1)
		return ctl_fail(c, CTL_USAGE, "--%s: \"%s\" is not a time YYYY-MM-DDTHH:MM[:SS] (site time, or with Z"
		    " or +08:00)", opt, s ? s : "");
	if (!has_off)
		tz_local_to_utc(z, secs, &secs);
	*ms = secs * 1000;
	return CTL_OK;
}

int
ctl_consume(struct ctl *c, int argc, char **argv)
{
	const char *start = NULL, *end = NULL, *energy = NULL, *key = NULL, *bands = NULL;
	struct ctl_opt opts[] = {
		{ "start", &start, 0 }, { "end", &end, 0 }, { "energy", &energy, 0 }, { "key", &key, 0 },
		{ "bands", &bands, 0 }, { NULL, NULL, 0 },
	};
	struct consume_arg a = { 0 };
	char *pos[2], err[300], a1[32];
	const struct tz *z;
	const struct calendar *cal;
	int64_t site_id;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 2) != 1 || start == NULL || end == NULL || energy == NULL) {
		fputs("usage: prepayctl consume METER --start TIME --end TIME --energy UNITS [--bands"
		    " sharp=U,peak=U,flat=U,valley=U] [--key REQUEST-ID]\n  METER: id or SITE/CODE; times in the site's"
		    " zone unless they carry Z or an offset; the reading's key is (meter, end)\n", stderr);
		return CTL_USAGE;
	}
	{
		const char *slash = strchr(pos[0], '/');
		long long n = ctl_parse_id(pos[0]);
		int64_t id = 0;
		if (n > 0)
			rc = db_query_int(ctl_db(c), &id, "SELECT id FROM meters WHERE id = ?", "i", (int64_t)n);
		else if (slash != NULL) {
			char site[64];
			snprintf(site, sizeof site, "%.*s", (int)(slash - pos[0]), pos[0]);
			rc = db_query_int(ctl_db(c), &id, "SELECT m.id FROM meters m JOIN sites s ON s.id = m.site_id"
			    " WHERE s.code = ? AND m.code = ?", "ss", site, slash + 1);
		} else
			rc = 0;
		if (rc == -1)
			return ctl_fail(c, CTL_UNAVAILABLE, "cannot read meters: %s", db_error(ctl_db(c)));
		if (rc == 0)
			return ctl_fail(c, CTL_INVALID, "no meter \"%s\" (give its id or SITE/CODE)", pos[0]);
		a.rd.meter_id = id;
	}
	if (db_query_int(ctl_db(c), &site_id, "SELECT site_id FROM meters WHERE id = ?", "i", a.rd.meter_id) != 1)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read the meter");
	a.store = tariff_store_new();
	if (tariff_store_site(a.store, ctl_db(c), site_id, &z, &cal, err, sizeof err) == -1) {
		tariff_store_free(a.store);
		return ctl_fail(c, CTL_INVALID, "%s", err);
	}
	if ((rc = time_arg(c, "start", start, z, &a.rd.start_ms)) != CTL_OK ||
	    (rc = time_arg(c, "end", end, z, &a.rd.end_ms)) != CTL_OK)
		goto out;
	if (tariff_parse_decimal(energy, strlen(energy), 3, 0, RATE_MAX_USAGE_MILLI, &a.rd.energy_milli) == -1) {
		rc = ctl_fail(c, CTL_USAGE, "--energy: \"%s\" is not an amount of energy >= 0 in the tariff's unit (up to"
		    " 3 decimals)", energy);
		goto out;
	}
	if (bands != NULL) {
		const char *s = bands;
		int64_t sum = 0;
		while (*s != '\0' && a.rd.nbands < 4) {
			const char *eq = strchr(s, '='), *comma = strchr(s, ',');
			size_t vlen;
			char name[16];
			enum tariff_band b;
			if (comma == NULL)
				comma = s + strlen(s);
			if (eq == NULL || eq > comma || (size_t)(eq - s) >= sizeof name)
				break;
			snprintf(name, sizeof name, "%.*s", (int)(eq - s), s);
			vlen = (size_t)(comma - eq - 1);
			if (tariff_band_parse(name, &b) == -1 || tariff_parse_decimal(eq + 1, vlen, 3, 0,
			    RATE_MAX_USAGE_MILLI, &a.rd.band_milli[a.rd.nbands]) == -1)
				break;
			a.rd.band[a.rd.nbands] = (int)b;
			sum += a.rd.band_milli[a.rd.nbands++];
			s = *comma ? comma + 1 : comma;
		}
		if (*s != '\0') {
			rc = ctl_fail(c, CTL_USAGE, "--bands: write band=units pairs, e.g. peak=1.200,valley=0.300");
			goto out;
		}
		(void)sum;
	}
	a.rd.actor = c->actor;
	a.request_id = key;
	rc = db_tx(ctl_db(c), consume_fn, &a);
	if (rc == -1) {
		rc = ctl_fail(c, CTL_UNAVAILABLE, "%s", a.res.detail[0] ? a.res.detail : db_error(ctl_db(c)));
		goto out;
	}
	if (rc != 0) {
		rc = ctl_fail(c, a.st == CONSUME_CONFLICT || a.st == CONSUME_OUT_OF_ORDER || a.st == CONSUME_REFUSED ?
		    CTL_CONFLICT : CTL_INVALID, "%s: %s", consume_strerror(a.st), a.res.detail);
		goto out;
	}
	tariff_format_decimal(a.res.debit_fen, 2, a1, sizeof a1);
	if (c->json)
		printf("{\"replayed\":%s,\"account_id\":%" PRId64 ",\"debit_fen\":%" PRId64 ",\"fixed_fen\":%" PRId64
		    ",\"rated_nyuan\":%" PRId64 ",\"parts\":%d}\n", a.res.replayed ? "true" : "false", a.res.account_id,
		    a.res.debit_fen, a.res.fixed_fen, a.res.rated_nyuan, a.res.nparts);
	else
		printf("%s: debited %s yuan%s\n", a.res.replayed ? "replayed (already posted)" : "posted", a1,
		    a.res.fixed_fen ? " plus standing charges" : "");
	rc = CTL_OK;
out:
	tariff_store_free(a.store);
	return rc;
}

/* --- statement run / show ---------------------------------------------------- */

static void
report_mismatch(void *arg, const struct stmt *st, const char *msg)
{
	(void)arg;
	fprintf(stderr, "prepayctl: MISMATCH %s %04d-%02d: %s\n", st->account, st->period / 100, st->period % 100, msg);
}

int
ctl_statement_run(struct ctl *c, int argc, char **argv)
{
	const char *month = NULL, *site = NULL, *account = NULL, *dry = NULL;
	struct ctl_opt opts[] = {
		{ "month", &month, 0 }, { "site", &site, 0 }, { "account", &account, 0 }, { "dry-run", &dry, 1 },
		{ NULL, NULL, 0 },
	};
	struct statement_run_opts o = { 0 };
	struct statement_run_stats s;
	char err[400], a[32], b[32];
	int rc;

	if (ctl_opts(argc, argv, opts, NULL, 0) == -1)
		return CTL_USAGE;
	if (month == NULL) {
		fputs("usage: prepayctl statement run --month YYYY-MM [--site SITE] [--account ACCOUNT] [--dry-run]\n", stderr);
		return CTL_USAGE;
	}
	if ((rc = month_arg(c, "month", month, &o.period)) != CTL_OK)
		return rc;
	if (site != NULL && (rc = ctl_site_resolve(c, site, &o.site_id)) != CTL_OK)
		return rc;
	if (account != NULL && (rc = ctl_account_resolve(c, account, &o.account_id)) != CTL_OK)
		return rc;
	o.dry_run = dry != NULL;
	o.actor = c->actor;
	if (statement_run(ctl_db(c), &o, &s, report_mismatch, NULL, err, sizeof err) == -1)
		return ctl_fail(c, CTL_UNAVAILABLE, "statement run: %s", err);
	tariff_format_decimal(s.usage_fen, 2, a, sizeof a);
	tariff_format_decimal(s.debited_fen, 2, b, sizeof b);
	printf("%s%s: %" PRId64 " accounts, %" PRId64 " usage rows; %" PRId64 " new, %" PRId64 " changed, %" PRId64
	    " unchanged; usage %s = real-time debits %s%s; read+rate %.3f s, write %.3f s\n", dry ? "(dry run) " : "",
	    month, s.accounts, s.rows, s.statements_new, s.statements_changed, s.statements_unchanged, a, b,
	    s.mismatches ? "" : " (all equal)", s.read_s, s.write_s);
	if (s.share_sources + s.line_losses + s.share_problems > 0)
		printf("shared meters: %" PRId64 " apportioned, %" PRId64 " ledger entries posted now, %" PRId64
		    " line losses measured (prepayctl meter loss), %" PRId64 " could not be apportioned\n",
		    s.share_sources, s.share_entries, s.line_losses, s.share_problems);
	if (s.share_problems > 0 && s.mismatches == 0)
		return ctl_fail(c, CTL_FOUND_PROBLEMS, "%" PRId64 " shared meter%s could not be apportioned (above)",
		    s.share_problems, s.share_problems == 1 ? "" : "s");
	if (s.mismatches > 0)
		return ctl_fail(c, CTL_FOUND_PROBLEMS, "%" PRId64 " statement%s do not match the real-time debits"
		    " (listed above)", s.mismatches, s.mismatches == 1 ? "" : "s");
	return CTL_OK;
}

int
ctl_statement_show(struct ctl *c, int argc, char **argv)
{
	const char *month = NULL, *format = "text";
	struct ctl_opt opts[] = { { "month", &month, 0 }, { "format", &format, 0 }, { NULL, NULL, 0 } };
	enum stmt_format f;
	struct stmt st;
	char *pos[2];
	int32_t period;
	int64_t id;
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 2) != 1 || month == NULL) {
		fputs("usage: prepayctl statement show ACCOUNT --month YYYY-MM [--format text|json|csv|html]\n", stderr);
		return CTL_USAGE;
	}
	if (c->json)
		format = "json";
	if (stmt_format_parse(format, &f) == -1)
		return ctl_fail(c, CTL_USAGE, "--format: text, json, csv or html, not \"%s\"", format);
	if ((rc = month_arg(c, "month", month, &period)) != CTL_OK)
		return rc;
	if ((rc = ctl_account_resolve(c, pos[0], &id)) != CTL_OK)
		return rc;
	if ((rc = statement_load(ctl_db(c), id, period, &st)) == -1)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read the statement: %s", db_error(ctl_db(c)));
	if (rc == 0)
		return ctl_fail(c, CTL_INVALID, "no statement for %s in %s: run `prepayctl statement run --month %s`",
		    pos[0], month, month);
	stmt_render(&st, f, stdout);
	stmt_free(&st);
	return CTL_OK;
}
