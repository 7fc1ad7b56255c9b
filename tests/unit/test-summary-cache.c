#include <stdlib.h>
#include <string.h>
#include "cgi/summary_cache.h"
#include "tests/unit/unit.h"

/* the cached body for id under stamp at now, or "" on a miss */
static char got[256];
static const char *
get(int64_t id, const char *stamp, int64_t now_ms)
{
	char *body;
	size_t len;

	got[0] = '\0';
	if (summary_cache_get(id, stamp, now_ms, &body, &len) == 1) {
		CHECK_EQ_INT((long long)len, (long long)strlen(body));
		snprintf(got, sizeof got, "%s", body);
		free(body);
	}
	return got;
}

TEST(summary_cache_hits_only_the_same_account_and_stamp)
{
	summary_cache_clear();
	summary_cache_put(7, "100,3", 10000, "{\"balance_fen\":100}");
	CHECK_EQ_STR(get(7, "100,3", 5000), "{\"balance_fen\":100}");
	CHECK_EQ_STR(get(7, "200,4", 5000), "");		/* a top-up moved the stamp */
	CHECK_EQ_STR(get(7, "100,", 5000), "");
	CHECK_EQ_STR(get(8, "100,3", 5000), "");		/* another account */
}

TEST(summary_cache_entry_expires)
{
	summary_cache_clear();
	summary_cache_put(7, "s", 10000, "x");
	CHECK_EQ_STR(get(7, "s", 9999), "x");
	CHECK_EQ_STR(get(7, "s", 10000), "");
}

TEST(summary_cache_accounts_sharing_a_slot_never_see_each_other)
{
	int64_t a = 5, b = 5 + SUMMARY_CACHE_SLOTS;

	summary_cache_clear();
	summary_cache_put(a, "s", 10000, "account a");
	summary_cache_put(b, "s", 10000, "account b");
	CHECK_EQ_STR(get(a, "s", 1), "");
	CHECK_EQ_STR(get(b, "s", 1), "account b");
	summary_cache_put(a, "s", 10000, "account a");
	CHECK_EQ_STR(get(b, "s", 1), "");
	CHECK_EQ_STR(get(a, "s", 1), "account a");
}

TEST(summary_cache_newer_put_replaces)
{
	summary_cache_clear();
	summary_cache_put(9, "1", 10000, "old");
	summary_cache_put(9, "2", 10000, "new");
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
	summary_cache_put(3, stamp, 10000, "x");
	CHECK_EQ_STR(get(3, stamp, 1), "");
	memset(big, 'b', SUMMARY_BODY_MAX + 1);
	big[SUMMARY_BODY_MAX + 1] = '\0';
	summary_cache_put(3, "s", 10000, big);
	CHECK_EQ_STR(get(3, "s", 1), "");
	free(big);
	summary_cache_put(0, "s", 10000, "no account 0");
	CHECK_EQ_STR(get(0, "s", 1), "");
	summary_cache_put(4, "s", 0, "expired already");
	CHECK_EQ_STR(get(4, "s", 0), "");
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
	RUN(summary_cache_expiry_is_the_ttl_or_a_sooner_cut);
	summary_cache_clear();
	return unit_done();
}
