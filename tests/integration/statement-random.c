/*
 * Property: many random readings (5 minutes to 3 days long, gaps, TOU
 * registers now and then) across several month ends, under tariffs with
 * yearly and monthly tiers, standing charges, a service fee and tenant
 * discounts — every month's statement equals that month's real-time
 * ledger debits to the fen, and no debit is negative. Seeded: the seed is
 * printed, PREPAY_SEED=N replays it; PREPAY_READINGS sets the count.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tests/integration/statement-fixture.h"

static const char *const tariffs[] = {
	"{\"id\": \"y\", \"energy\": \"electricity\", \"versions\": [{\"effective_from\": \"2020-01-01\","
	" \"prices\": {\"peak\": \"1.0826\", \"flat\": \"0.6523\", \"valley\": \"0.2812\"},"
	" \"schedules\": {\"d\": [{\"from\": \"00:00\", \"to\": \"07:30\", \"band\": \"valley\"},"
	" {\"from\": \"07:30\", \"to\": \"11:15\", \"band\": \"peak\"}, {\"from\": \"11:15\", \"to\": \"24:00\", \"band\": \"flat\"}]},"
	" \"seasons\": [{\"name\": \"all\", \"months\": [\"1-12\"], \"weekday\": \"d\"}],"
	" \"tiers\": {\"period\": \"year\", \"steps\": [{\"from\": \"0\", \"surcharge\": \"0\"}, {\"from\": \"900\", \"surcharge\": \"0.0333\"},"
	" {\"from\": \"2500\", \"surcharge\": \"0.1111\"}]},"
	" \"charges\": [{\"kind\": \"monthly\", \"name\": \"rental\", \"price\": \"13.33\"}], \"service_fee_bp\": 333}]}",
	"{\"id\": \"m\", \"energy\": \"electricity\", \"versions\": [{\"effective_from\": \"2020-01-01\","
	" \"prices\": {\"flat\": \"0.8531\"}, \"tiers\": {\"period\": \"month\", \"steps\": [{\"from\": \"0\", \"price\": \"0.5\"},"
	" {\"from\": \"200\", \"price\": \"0.7777\"}]}, \"charges\": [{\"kind\": \"daily\", \"name\": \"standing\", \"price\": \"0.37\"}]}]}",
};

static uint64_t rng;

static uint64_t
rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

int
main(void)
{
	struct fixture f;
	struct tariff_store *store;
	struct consume_result res;
	int64_t acct[3], meter[4], tid[2], t[4];
	int32_t P0, periods[6];
	int nreadings = getenv("PREPAY_READINGS") ? atoi(getenv("PREPAY_READINGS")) : 1500, bad = 0, checked = 0;
	char err[400];

	fixture_open(&f, "srnd");
	rng = getenv("PREPAY_SEED") ? strtoull(getenv("PREPAY_SEED"), NULL, 10) : (uint64_t)time(NULL);
	if (rng == 0)
		rng = 1;
	printf("# seed %" PRIu64 " (PREPAY_SEED=%" PRIu64 " replays it), %d readings\n", rng, rng, nreadings);
	store = tariff_store_new();
	tap_ok(sf_tariff(&f, "y", tariffs[0], 0, &tid[0]) == TARIFF_IMPORT_NEW &&
	    sf_tariff(&f, "m", tariffs[1], 0, &tid[1]) == TARIFF_IMPORT_NEW, "two tariffs imported");
	acct[0] = fixture_account(&f, "a", 0, 0);
	acct[1] = fixture_account(&f, "b", 0, 0);
	acct[2] = fixture_account(&f, "c", 0, 0);
	sf_assign(&f, acct[0], tid[0], "electricity", -1, -333);
	sf_assign(&f, acct[1], tid[1], "electricity", -1, 777);
	sf_assign(&f, acct[2], tid[0], "electricity", -1, 0);
	meter[0] = sf_meter(&f, acct[0], "m0", "electricity");
	meter[1] = sf_meter(&f, acct[0], "m1", "electricity");
	meter[2] = sf_meter(&f, acct[1], "m2", "electricity");
	meter[3] = sf_meter(&f, acct[2], "m3", "electricity");
	/* from next November: the yearly tiers carry across the new year */
	P0 = sf_period_now(0) / 100 * 100 + 111;
	periods[0] = P0;
	for (int i = 1; i < 6; i++)
		periods[i] = periods[i - 1] % 100 == 12 ? (periods[i - 1] / 100 + 1) * 100 + 1 : periods[i - 1] + 1;
	for (int k = 0; k < 4; k++)
		t[k] = sf_local(P0 / 100, P0 % 100, 1, 0, 0) + (int64_t)rnd(3600);
	for (int i = 0; i < nreadings; i += 50) {
		struct consume_reading rd[50];
		int n = 0;
		for (int j = 0; j < 50 && i + j < nreadings; j++) {
			int k = (int)rnd(4);
			struct consume_reading *r = &rd[n++];
			int64_t len = rnd(10) == 0 ? 3600 + (int64_t)rnd(3 * 86400) : 300 + (int64_t)rnd(1800);
			memset(r, 0, sizeof *r);
			if (rnd(20) == 0)
				t[k] += (int64_t)rnd(86400);	/* a gap: the meter was offline */
			r->meter_id = meter[k];
			r->start_ms = t[k] * 1000;
			t[k] += len;
			r->end_ms = t[k] * 1000;
			r->actor = "poller";
			if (rnd(6) == 0) {
				/* peak, flat, valley: the bands the tariffs price */
				for (int b = 1; b < 4; b++)
					if (rnd(2)) {
						r->band[r->nbands] = b;
						r->band_milli[r->nbands] = (int64_t)rnd(len * 3);
						r->energy_milli += r->band_milli[r->nbands++];
					}
			} else
				r->energy_milli = (int64_t)rnd(len * 4);
		}
		if (sf_consume_batch(&f, store, rd, n, &res) != CONSUME_OK) {
			printf("Bail out! readings %d..: %s\n", i, res.detail);
			return 1;
		}
	}
	tap_ok(sf_int(&f, "SELECT COUNT(*) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
	    " WHERE a.site_id = ? AND e.amount_fen > 0", "i", f.site_id) == 0, "no debit was ever negative");
	tap_ok(sf_int(&f, "SELECT COUNT(DISTINCT period) FROM consumption c JOIN accounts a ON a.id = c.account_id"
	    " WHERE a.site_id = ?", "i", f.site_id) >= 3, "the readings cross at least two month ends");
	for (int p = 0; p < 6; p++) {
		struct statement_run_opts o = { .period = periods[p], .site_id = f.site_id };
		struct statement_run_stats s;
		if (statement_run(f.db, &o, &s, NULL, NULL, err, sizeof err) == -1) {
			printf("Bail out! statement run %d: %s\n", periods[p], err);
			return 1;
		}
		for (int a = 0; a < 3; a++) {
			struct stmt st;
			char why[300];
			int64_t debits = sf_debits_for_period(&f, acct[a], periods[p]);
			if (statement_load(f.db, acct[a], periods[p], &st) != 1) {
				printf("Bail out! no statement %d\n", periods[p]);
				return 1;
			}
			checked++;
			if (st.usage_fen != debits || st.debited_fen != debits || st.mismatch ||
			    stmt_check(&st, why, sizeof why) == -1) {
				bad++;
				printf("# account %c %d: statement %" PRId64 " fen, real-time %" PRId64 " fen, ledger %" PRId64
				    " fen %s\n", 'a' + a, periods[p], st.usage_fen, st.debited_fen, debits, st.note);
			}
			stmt_free(&st);
		}
	}
	tap_ok(bad == 0, "%d monthly statements equal the month's ledger debits to the fen", checked);
	tap_ok(fixture_audit() == 0, "prepayctl audit is clean");
	tariff_store_free(store);
	fixture_close(&f);
	return tap_done();
}
