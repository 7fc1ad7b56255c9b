/*
 * A month of 15-minute readings for three meters on two accounts, posted
 * as the poller posts them, with top-ups, adjustments, a tariff version
 * starting mid-month, a replay, a conflicting reading and a corrected
 * tariff — then the statements: lines add up, the closing balance is the
 * ledger's, the month's usage equals its real-time debits to the fen,
 * a re-run changes nothing, rerate corrects, the audit is clean.
 * PREPAY_SEED=N replays a run (the seed is printed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "billing/ledger.h"
#include "tests/integration/statement-fixture.h"

#define TARIFF_HEAD \
	"{\"id\": \"t\", \"energy\": \"electricity\", \"versions\": [" \
	"{\"effective_from\": \"2020-01-01\", \"prices\": {\"peak\": \"1.0000\", \"flat\": \"0.6500\", \"valley\": \"0.3000\"}," \
	" \"schedules\": {\"day\": [{\"from\": \"00:00\", \"to\": \"08:00\", \"band\": \"valley\"}," \
	" {\"from\": \"08:00\", \"to\": \"12:00\", \"band\": \"peak\"}, {\"from\": \"12:00\", \"to\": \"24:00\", \"band\": \"flat\"}]}," \
	" \"seasons\": [{\"name\": \"all\", \"months\": [\"1-12\"], \"weekday\": \"day\"}]," \
	" \"tiers\": {\"period\": \"month\", \"steps\": [{\"from\": \"0\", \"surcharge\": \"0\"}, {\"from\": \"300\", \"surcharge\": \"0.05\"}]}," \
	" \"charges\": [{\"kind\": \"daily\", \"name\": \"standing\", \"price\": \"0.50\"}, {\"kind\": \"monthly\", \"name\": \"meter-rental\", \"price\": \"10.00\"}]," \
	" \"service_fee_bp\": 300}"
#define TARIFF_V2(date, peak) \
	", {\"effective_from\": \"" date "\", \"prices\": {\"peak\": \"" peak "\", \"flat\": \"0.7000\", \"valley\": \"0.3100\"}," \
	" \"schedules\": {\"day\": [{\"from\": \"00:00\", \"to\": \"08:00\", \"band\": \"valley\"}," \
	" {\"from\": \"08:00\", \"to\": \"12:00\", \"band\": \"peak\"}, {\"from\": \"12:00\", \"to\": \"24:00\", \"band\": \"flat\"}]}," \
	" \"seasons\": [{\"name\": \"all\", \"months\": [\"1-12\"], \"weekday\": \"day\"}]," \
	" \"tiers\": {\"period\": \"month\", \"steps\": [{\"from\": \"0\", \"surcharge\": \"0\"}, {\"from\": \"300\", \"surcharge\": \"0.05\"}]}," \
	" \"charges\": [{\"kind\": \"daily\", \"name\": \"standing\", \"price\": \"0.50\"}, {\"kind\": \"monthly\", \"name\": \"meter-rental\", \"price\": \"10.00\"}]," \
	" \"service_fee_bp\": 300}"

static uint64_t rng;

static uint64_t
rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static void
report(void *arg, const struct stmt *st, const char *msg)
{
	(*(int *)arg)++;
	printf("# flagged %s %d: %s\n", st->account, st->period, msg);
}

static int
has_label(const struct stmt *st, const char *s)
{
	for (int i = 0; i < st->nlines; i++)
		if (strstr(st->lines[i].label, s) != NULL)
			return 1;
	return 0;
}

int
main(void)
{
	struct fixture f;
	struct tariff_store *store;
	struct consume_result res;
	struct statement_run_opts o = { 0 };
	struct statement_run_stats s;
	struct rerate_month rm[4];
	int64_t acct[2], meter[3], tid;
	int32_t P, now_period;
	int y, m, days, nrm, flagged = 0;
	char json[8192], date[32], err[400], key[96];
	int64_t t0, entries, rows;
	struct stmt st;

	fixture_open(&f, "stmt");
	rng = getenv("PREPAY_SEED") ? strtoull(getenv("PREPAY_SEED"), NULL, 10) : (uint64_t)time(NULL);
	if (rng == 0)
		rng = 1;
	printf("# seed %" PRIu64 " (PREPAY_SEED=%" PRIu64 " replays it)\n", rng, rng);
	store = tariff_store_new();
	P = sf_period_now(1);
	now_period = sf_period_now(0);
	y = P / 100;
	m = P % 100;
	days = tz_days_in_month(y, m);
	snprintf(date, sizeof date, "%04d-%02d-16", y, m);

	acct[0] = fixture_account(&f, "a1", 0, 0);
	acct[1] = fixture_account(&f, "a2", 0, 0);
	meter[0] = sf_meter(&f, acct[0], "m1", "electricity");
	meter[1] = sf_meter(&f, acct[0], "m2", "electricity");	/* TOU registers */
	meter[2] = sf_meter(&f, acct[1], "m3", "electricity");
	snprintf(json, sizeof json, TARIFF_HEAD "]}");
	tap_ok(sf_tariff(&f, "tou", json, 0, &tid) == TARIFF_IMPORT_NEW, "a tariff is imported");
	tap_ok(sf_tariff(&f, "tou", json, 0, NULL) == TARIFF_IMPORT_UNCHANGED, "the same file again changes nothing");
	sf_assign(&f, acct[0], tid, "electricity", -1, -500);
	sf_assign(&f, acct[1], tid, "electricity", 700000, 0);
	tap_ok(sf_consume(&f, store, sf_meter(&f, 0 + acct[0], "m9", "water"), sf_local(y, m, 1, 0, 0),
	    sf_local(y, m, 1, 0, 15), 1000, NULL, &res) == CONSUME_NO_TARIFF, "a meter whose energy has no tariff: refused");

	sf_post(&f, acct[0], LEDGER_TOPUP, 100000, (snprintf(key, sizeof key, "%s-top1", f.tag), key));
	t0 = sf_local(y, m, 1, 0, 0);
	/* a day of readings per transaction, as a poller may commit a cycle */
	for (int day = 1; day <= days; day++) {
		struct consume_reading rd[96 * 3];
		int n = 0;
		if (day == 16) {
			/* a new version from the 16th: imported before it starts */
			snprintf(json, sizeof json, TARIFF_HEAD TARIFF_V2("%s", "1.1000") "]}", date);
			tap_ok(sf_tariff(&f, "tou", json, 0, NULL) == TARIFF_IMPORT_CHANGED,
			    "a new version from the 16th is imported as a new document");
			sf_post(&f, acct[1], LEDGER_TOPUP, 50000, (snprintf(key, sizeof key, "%s-top2", f.tag), key));
			sf_post(&f, acct[0], LEDGER_ADJUSTMENT, 1234, (snprintf(key, sizeof key, "%s-adj1", f.tag), key));
		}
		for (int64_t t = sf_local(y, m, day, 0, 0); t < sf_local(y, m, day, 0, 0) + 86400; t += 900)
			for (int k = 0; k < 3; k++) {
				struct consume_reading *r = &rd[n++];
				memset(r, 0, sizeof *r);
				r->meter_id = meter[k];
				r->start_ms = t * 1000;
				r->end_ms = (t + 900) * 1000;
				r->actor = "poller";
				if (k == 1) {
					/* TOU registers: peak, flat, valley */
					for (int b = 1; b < 4; b++) {
						r->band[r->nbands] = b;
						r->band_milli[r->nbands] = (int64_t)rnd(1000);
						r->energy_milli += r->band_milli[r->nbands++];
					}
				} else
					r->energy_milli = (int64_t)rnd(3000);
			}
		if (sf_consume_batch(&f, store, rd, n, &res) != CONSUME_OK) {
			printf("Bail out! readings of day %d: %s\n", day, res.detail);
			return 1;
		}
	}
	/* a replay posts nothing; the same key with other energy is refused */
	entries = sf_int(&f, "SELECT COUNT(*) FROM ledger_entries WHERE account_id = ?", "i", acct[1]);
	rows = sf_int(&f, "SELECT COUNT(*) FROM consumption WHERE account_id = ?", "i", acct[1]);
	{
		int64_t e = sf_int(&f, "SELECT energy_milli FROM consumption WHERE meter_id = ? ORDER BY id LIMIT 1 OFFSET 5",
		    "i", meter[2]);
		enum consume_status cs = sf_consume(&f, store, meter[2], t0 + 5 * 900, t0 + 6 * 900, e, NULL, &res);
		tap_ok(cs == CONSUME_OK && res.replayed, "replaying a reading returns its first result");
		cs = sf_consume(&f, store, meter[2], t0 + 5 * 900, t0 + 6 * 900, e + 1, NULL, &res);
		tap_ok(cs == CONSUME_CONFLICT, "the same reading with other energy is refused: %s", res.detail);
		cs = sf_consume(&f, store, meter[2], t0 + 5 * 900, t0 + 99 * 900 + 7, e, NULL, &res);
		tap_ok(cs == CONSUME_OUT_OF_ORDER, "a reading overlapping the meter's last is refused");
		cs = sf_consume(&f, store, meter[2], t0, t0 + 900, -5, NULL, &res);
		tap_ok(cs == CONSUME_INVALID, "negative energy is refused: %s", res.detail);
	}
	tap_ok(entries == sf_int(&f, "SELECT COUNT(*) FROM ledger_entries WHERE account_id = ?", "i", acct[1]) &&
	    rows == sf_int(&f, "SELECT COUNT(*) FROM consumption WHERE account_id = ?", "i", acct[1]),
	    "replay, conflict and refusals posted nothing");

	o.period = P;
	o.site_id = f.site_id;
	tap_ok(statement_run(f.db, &o, &s, report, &flagged, err, sizeof err) == 0, "statement run for %d", P);
	tap_ok(s.mismatches == 0 && flagged == 0, "no statement differs from the real-time debits");
	tap_ok(s.statements_new == 2 && s.rows == rows + sf_int(&f, "SELECT COUNT(*) FROM consumption WHERE account_id = ?",
	    "i", acct[0]), "two statements over every row (%" PRId64 " rows)", s.rows);
	for (int a = 0; a < 2; a++) {
		char why[300];
		int64_t debits = sf_debits_for_period(&f, acct[a], P);
		tap_ok(statement_load(f.db, acct[a], P, &st) == 1, "account %d: statement stored", a + 1);
		tap_ok(stmt_check(&st, why, sizeof why) == 0, "account %d: lines add up", a + 1);
		tap_ok(st.usage_fen == debits && st.debited_fen == debits && st.usage_fen > 0,
		    "account %d: usage %" PRId64 " fen = the month's ledger debits %" PRId64 " fen", a + 1, st.usage_fen,
		    debits);
		if (a == 0) {
			char v2[64];
			snprintf(v2, sizeof v2, "tariff from %sT00:00", date);
			tap_ok(has_label(&st, "tariff from 2020-01-01T00:00") && has_label(&st, v2),
			    "account 1: the statement shows both versions");
			tap_ok(has_label(&st, "standing (daily") && has_label(&st, "meter-rental (monthly") &&
			    has_label(&st, "your discount -5.00%") && has_label(&st, "service fee"),
			    "account 1: standing charges, discount and service fee lines");
		}
		stmt_free(&st);
	}
	tap_ok(statement_run(f.db, &o, &s, report, &flagged, err, sizeof err) == 0 && s.statements_unchanged == 2 &&
	    s.statements_new == 0 && s.statements_changed == 0, "a re-run changes nothing");

	/* this month: every posting was made now */
	o.period = now_period;
	tap_ok(statement_run(f.db, &o, &s, report, &flagged, err, sizeof err) == 0, "statement run for this month");
	for (int a = 0; a < 2; a++) {
		int64_t bal = sf_int(&f, "SELECT balance_fen FROM accounts WHERE id = ?", "i", acct[a]);
		int found = statement_load(f.db, acct[a], now_period, &st);
		tap_ok(found == 1 && st.closing_fen == bal &&
		    st.posted_fen == sf_debits_for_period(&f, acct[a], P) && st.credits_fen == (a == 0 ? 101234 : 50000),
		    "account %d: closing %" PRId64 " = ledger balance %" PRId64 ", top-ups and debits listed", a + 1,
		    st.closing_fen, bal);
		stmt_free(&st);
	}

	/* a past version may not change; a corrected future one needs a rerate */
	snprintf(json, sizeof json, TARIFF_HEAD TARIFF_V2("%s", "1.1000") "]}", date);
	{
		char *p = strstr(json, "\"0.6500\"");
		memcpy(p, "\"0.6600\"", 8);
		tap_ok(sf_tariff(&f, "tou", json, 0, NULL) == TARIFF_IMPORT_PAST_EDIT, "changing a version in effect is"
		    " refused");
	}
	snprintf(json, sizeof json, TARIFF_HEAD TARIFF_V2("%s", "1.2000") "]}", date);
	tap_ok(sf_tariff(&f, "tou", json, 0, NULL) == TARIFF_IMPORT_CHANGED, "a corrected price of the new version");
	o.period = P;
	flagged = 0;
	tap_ok(statement_run(f.db, &o, &s, report, &flagged, err, sizeof err) == 0 && s.mismatches == 1 && flagged == 1,
	    "the statement run flags the difference loudly (account 1; account 2 pays its own price)");
	tap_ok(statement_rerate(f.db, store, acct[0], "electricity", P, P % 100 == 12 ? P + 89 : P + 1, "test",
	    "price corrected", rm, 4, &nrm, err, sizeof err) == 0 && nrm == 1 && rm[0].posted_fen > 0 &&
	    rm[0].correct_fen - rm[0].charged_fen == rm[0].posted_fen, "rerate posts the difference (%" PRId64 " fen)",
	    nrm ? rm[0].posted_fen : 0);
	tap_ok(statement_rerate(f.db, store, acct[0], "electricity", P, P % 100 == 12 ? P + 89 : P + 1, "test",
	    "price corrected", rm, 4, &nrm, err, sizeof err) == 0 && nrm == 1 && rm[0].posted_fen == 0,
	    "rerate again posts nothing");
	statement_rerate(f.db, store, acct[1], "electricity", P, P % 100 == 12 ? P + 89 : P + 1, "test",
	    "price corrected", rm, 4, &nrm, err, sizeof err);
	flagged = 0;
	tap_ok(statement_run(f.db, &o, &s, report, &flagged, err, sizeof err) == 0 && s.mismatches == 0,
	    "after the rerate the statements match again");
	for (int a = 0; a < 2; a++) {
		int found = statement_load(f.db, acct[a], P, &st);
		tap_ok(found == 1 && st.usage_fen == sf_debits_for_period(&f, acct[a], P),
		    "account %d: usage = debits including the correction", a + 1);
		stmt_free(&st);
	}
	tap_ok(fixture_audit() == 0, "prepayctl audit is clean");
	tariff_store_free(store);
	fixture_close(&f);
	return tap_done();
}
