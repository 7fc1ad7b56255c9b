#include <stdlib.h>
#include <string.h>
#include "cgi/summary_cache.h"
#include "tests/unit/unit.h"

/* the body cached for id under this very stamp at now, or "" */
static char got[256];
static int64_t parts_until;
static int
lookup(int64_t id, const char *stamp, int64_t now_ms)
{
	char *body;
	size_t len;
	int r = summary_cache_get(id, stamp, now_ms, &body, &len, &parts_until);

	got[0] = '\0';
	if (r != 0) {
		CHECK_EQ_INT((long long)len, (long long)strlen(body));
		snprintf(got, sizeof got, "%s", body);
		free(body);
	} else
		CHECK(body == NULL);
	return r;
}
static const char *
get(int64_t id, const char *stamp, int64_t now_ms)
{
	if (lookup(id, stamp, now_ms) != 1)
		got[0] = '\0';
	return got;
}
#define put(id, stamp, expires, body) summary_cache_put(id, stamp, expires, 10000, body)

TEST(summary_cache_hits_only_the_same_account_and_stamp)
{
	summary_cache_clear();
	put(7, "100,3", 10000, "{\"balance_fen\":100}");
	CHECK_EQ_STR(get(7, "100,3", 5000), "{\"balance_fen\":100}");
	CHECK_EQ_STR(get(7, "200,4", 5000), "");		/* a top-up moved the stamp */
	CHECK_EQ_STR(get(7, "100,", 5000), "");
	CHECK_EQ_STR(get(8, "100,3", 5000), "");		/* another account */
}

TEST(summary_cache_entry_expires)
{
	summary_cache_clear();
	put(7, "s", 10000, "x");
	CHECK_EQ_STR(get(7, "s", 9999), "x");
	CHECK_EQ_STR(get(7, "s", 10000), "");
}

TEST(summary_cache_accounts_sharing_a_slot_never_see_each_other)
{
	int64_t a = 5, b = 5 + SUMMARY_CACHE_SLOTS;

	summary_cache_clear();
	put(a, "s", 10000, "account a");
	put(b, "s", 10000, "account b");
	CHECK_EQ_STR(get(a, "s", 1), "");
	CHECK_EQ_STR(get(b, "s", 1), "account b");
	put(a, "s", 10000, "account a");
	CHECK_EQ_STR(get(b, "s", 1), "");
	CHECK_EQ_STR(get(a, "s", 1), "account a");
}

TEST(summary_cache_newer_put_replaces)
{
	summary_cache_clear();
	put(9, "1", 10000, "old");
	put(9, "2", 10000, "new");
	CHECK_EQ_STR(get(9, "1", 1), "");
	CHECK_EQ_STR(get(9, "2", 1), "new");
}

TEST(summary_cache_refuses_what_it_cannot_hold)
{
	char stamp[SUMMARY_STAMP_MAX + 1];
	char *big = malloc(SUMMARY_BODY_MAX + 2);

	summary_cache_clear();
	memset(stamp, '1', sizeof stamp - 1);
	stamp[sizeof stamp - 1] = '\0';
	put(3, stamp, 10000, "x");
	CHECK_EQ_STR(get(3, stamp, 1), "");
	memset(big, 'b', SUMMARY_BODY_MAX + 1);
	big[SUMMARY_BODY_MAX + 1] = '\0';
	put(3, "s", 10000, big);
	CHECK_EQ_STR(get(3, "s", 1), "");
	free(big);
	put(0, "s", 10000, "no account 0");
	CHECK_EQ_STR(get(0, "s", 1), "");
	put(4, "s", 0, "expired already");
	CHECK_EQ_STR(get(4, "s", 0), "");
}

TEST(summary_cache_offers_fresh_parts_under_an_old_stamp)
{
	summary_cache_clear();
	summary_cache_put(7, "100,3", 4000, 5000, "{\"old\":1}");
	CHECK_EQ_INT(lookup(7, "100,3", 3999), 1);
	CHECK_EQ_INT(lookup(7, "200,4", 3999), 2);		/* the stamp moved: parts only */
	CHECK_EQ_STR(got, "{\"old\":1}");
	CHECK_EQ_INT(parts_until, 5000);
	CHECK_EQ_INT(lookup(7, "100,3", 4000), 2);		/* expired (a cut due), parts still fresh */
	CHECK_EQ_INT(lookup(7, "100,3", 5000), 0);		/* the parts are too old too */
	CHECK_EQ_INT(lookup(8, "100,3", 1), 0);
	summary_cache_put(9, "s", 9000, 5000, "x");		/* never valid past its parts */
	CHECK_EQ_INT(lookup(9, "s", 5000), 0);
}

TEST(summary_cache_expiry_is_the_ttl_or_a_sooner_cut)
{
	CHECK_EQ_INT(summary_cache_expiry(1000, -1), 1000 + SUMMARY_TTL_MS);
	CHECK_EQ_INT(summary_cache_expiry(1000, 3600), 1000 + SUMMARY_TTL_MS);
	CHECK_EQ_INT(summary_cache_expiry(1000, 2), 3000);
	CHECK_EQ_INT(summary_cache_expiry(1000, 0), 0);		/* due now: not cached */
}

int
main(void)
{
	RUN(summary_cache_hits_only_the_same_account_and_stamp);
	RUN(summary_cache_entry_expires);
	RUN(summary_cache_accounts_sharing_a_slot_never_see_each_other);
	RUN(summary_cache_newer_put_replaces);
	RUN(summary_cache_refuses_what_it_cannot_hold);
	RUN(summary_cache_offers_fresh_parts_under_an_old_stamp);
	RUN(summary_cache_expiry_is_the_ttl_or_a_sooner_cut);
	summary_cache_clear();
	return unit_done();
}
