#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "billing/ledger.h"
#include "tests/integration/statement-fixture.h"

int64_t
sf_meter(struct fixture *f, int64_t account_id, const char *code, const char *energy)
{
	if (db_exec(f->db, "INSERT INTO meters (site_id, code, energy, profile, account_id) VALUES (?, ?, ?, 'test', ?)",
	    "issi", f->site_id, code, energy, account_id) != 1) {
		printf("Bail out! cannot create meter %s: %s\n", code, db_error(f->db));
		exit(1);
	}
	return db_insert_id(f->db);
}

struct imp {
	struct tariff_import im;
	enum tariff_import_status st;
	char err[600];
};

static int
imp_fn(struct db *db, void *p)
{
	struct imp *a = p;

	a->st = tariff_store_import_in_tx(db, &a->im, a->err, sizeof a->err);
	if (a->st == TARIFF_IMPORT_DB_ERROR)
		return -1;
	return a->st <= TARIFF_IMPORT_UNCHANGED ? 0 : 1;
}

enum tariff_import_status
sf_tariff(struct fixture *f, const char *code, const char *json, int correct, int64_t *tariff_id)
{
	struct imp a = { 0 };
	int rc;

	a.im.site_id = f->site_id;
	a.im.code = code;
	a.im.json = json;
	a.im.len = strlen(json);
	a.im.now = (int64_t)time(NULL);
	a.im.correct = correct;
	a.im.actor = "test";
	a.im.reason = correct ? "test correction" : NULL;
	rc = db_tx(f->db, imp_fn, &a);
	if (rc == -1) {
		printf("Bail out! tariff import: %s %s\n", a.err, db_error(f->db));
		exit(1);
	}
	if (rc != 0)
		printf("# tariff import refused: %s\n", a.err);
	if (tariff_id != NULL)
		*tariff_id = a.im.tariff_id;
	return a.st;
}

void
sf_assign(struct fixture *f, int64_t account_id, int64_t tariff_id, const char *energy, int64_t unit_price_uyuan,
    int64_t adjust_bp)
{
	if (db_exec(f->db, "INSERT INTO account_tariffs (account_id, energy, tariff_id, unit_price_uyuan, adjust_bp)"
	    " VALUES (?, ?, ?, IF(? < 0, NULL, ?), ?) ON DUPLICATE KEY UPDATE tariff_id = VALUES(tariff_id),"
	    " unit_price_uyuan = VALUES(unit_price_uyuan), adjust_bp = VALUES(adjust_bp)", "isiiii", account_id,
	    energy, tariff_id, unit_price_uyuan, unit_price_uyuan, adjust_bp) < 0) {
		printf("Bail out! cannot assign: %s\n", db_error(f->db));
		exit(1);
	}
}

struct cons {
	struct tariff_store *store;
	struct consume_reading rd;
	struct consume_result *res;
	enum consume_status st;
};

static int
cons_fn(struct db *db, void *p)
{
	struct cons *a = p;

	a->st = consume_post_in_tx(db, a->store, &a->rd, a->res);
	if (a->st == CONSUME_DB_ERROR)
		return -1;
	return a->st == CONSUME_OK ? 0 : 1;
}

enum consume_status
sf_consume(struct fixture *f, struct tariff_store *store, int64_t meter_id, int64_t start, int64_t end,
    int64_t energy_milli, const int64_t *bands, struct consume_result *res)
{
	struct cons a = { .store = store, .res = res };
	int rc;

	a.rd.meter_id = meter_id;
	a.rd.start_ms = start * 1000;
	a.rd.end_ms = end * 1000;
	a.rd.energy_milli = energy_milli;
	a.rd.actor = "poller";
	if (bands != NULL)
		for (int b = 0; b < 4; b++)
			if (bands[b] >= 0) {
				a.rd.band[a.rd.nbands] = b;
				a.rd.band_milli[a.rd.nbands++] = bands[b];
			}
	rc = db_tx(f->db, cons_fn, &a);
	if (rc == -1) {
		printf("Bail out! consume: %s / %s\n", res->detail, db_error(f->db));
		exit(1);
	}
	return a.st;
}

struct batch {
	struct tariff_store *store;
	const struct consume_reading *rd;
	int n;
	struct consume_result *res;
	enum consume_status st;
};

static int
batch_fn(struct db *db, void *p)
{
	struct batch *a = p;

	for (int i = 0; i < a->n; i++) {
		a->st = consume_post_in_tx(db, a->store, &a->rd[i], a->res);
		if (a->st == CONSUME_DB_ERROR)
			return -1;
		if (a->st != CONSUME_OK)
			return 1;
	}
	return 0;
}

enum consume_status
sf_consume_batch(struct fixture *f, struct tariff_store *store, const struct consume_reading *rd, int n,
    struct consume_result *res)
{
	struct batch a = { store, rd, n, res, CONSUME_OK };

	if (db_tx(f->db, batch_fn, &a) == -1) {
		printf("Bail out! consume: %s / %s\n", res->detail, db_error(f->db));
		exit(1);
	}
	return a.st;
}

int64_t
sf_post(struct fixture *f, int64_t account_id, int kind, int64_t fen, const char *key)
{
	struct ledger_request rq;
	struct ledger_result res;

	ledger_request_init(&rq, key, "operator:test", account_id, (enum ledger_kind)kind, fen,
	    kind == LEDGER_TOPUP ? "cash" : "adjustment");
	rq.reason = "test";
	if (ledger_post(f->db, &rq, &res) != LEDGER_OK) {
		printf("Bail out! posting %s: %s\n", key, res.detail);
		exit(1);
	}
	return res.legs[0].balance_after_fen;
}

int64_t
sf_int(struct fixture *f, const char *sql, const char *types, ...)
{
	/* the fixed queries here take at most three parameters */
	va_list ap;
	int64_t p[3] = { 0 }, v = 0;
	size_t n = strlen(types);
	int rc;

	va_start(ap, types);
	for (size_t i = 0; i < n && i < 3; i++)
		p[i] = va_arg(ap, int64_t);
	va_end(ap);
	if (n == 0)
		rc = db_query_int(f->db, &v, sql, "");
	else if (n == 1)
		rc = db_query_int(f->db, &v, sql, "i", p[0]);
	else if (n == 2)
		rc = db_query_int(f->db, &v, sql, "ii", p[0], p[1]);
	else
		rc = db_query_int(f->db, &v, sql, "iii", p[0], p[1], p[2]);
	if (rc == -1) {
		printf("Bail out! %s: %s\n", sql, db_error(f->db));
		exit(1);
	}
	return v;
}

int64_t
sf_debits_for_period(struct fixture *f, int64_t account_id, int32_t period)
{
	int64_t a, b;

	/* from the account's entries to the rows they name (reference has no index) */
	a = sf_int(f, "SELECT IFNULL(-SUM(e.amount_fen), 0) FROM ledger_entries e JOIN consumption c"
	    " ON c.id = CAST(SUBSTRING(e.reference, 13) AS UNSIGNED) WHERE e.account_id = ? AND e.kind = 'consumption'"
	    " AND e.reference LIKE 'consumption:%' AND c.period = ?", "ii", account_id, (int64_t)period);
	b = sf_int(f, "SELECT IFNULL(-SUM(amount_fen), 0) FROM ledger_entries WHERE account_id = ?"
	    " AND (reference LIKE CONCAT('charges:%:', ?) OR reference LIKE CONCAT('rerate:%:', ?))", "iii",
	    account_id, (int64_t)period, (int64_t)period);
	return a + b;
}

int64_t
sf_local(int y, int m, int d, int hh, int mm)
{
	/* Asia/Shanghai has no DST: UTC+8 */
	return tz_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 - 8 * 3600;
}

int32_t
sf_period_now(int months_ahead)
{
	int64_t now = (int64_t)time(NULL) + 8 * 3600;
	int y, m, d;

	tz_civil_from_days(now / 86400, &y, &m, &d);
	m += months_ahead;
	while (m > 12) {
		m -= 12;
		y++;
	}
	return y * 100 + m;
}
