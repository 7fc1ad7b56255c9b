/* The account summary's cache (summary_cache.h). One mutex: a hit holds
 * it for a compare and a copy of a few KB, far below a database round trip. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/clock.h"
#include "cgi/summary_cache.h"
#include "lib/xmalloc.h"

struct slot {
	int64_t account_id;		/* 0: empty */
	int64_t expires_ms;
	int64_t parts_expires_ms;	/* the names, spend and meters in body */
	char stamp[SUMMARY_STAMP_MAX];
	char *body;
	size_t len;
};

static struct slot slots[SUMMARY_CACHE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct slot *
slot_of(int64_t account_id)
{
	return &slots[(uint64_t)account_id % SUMMARY_CACHE_SLOTS];
}

int
summary_cache_get(int64_t account_id, const char *stamp, int64_t now_ms, char **body, size_t *len,
    int64_t *parts_expires_ms)
{
	struct slot *s = slot_of(account_id);
	int found = 0;

	*body = NULL;
	*len = 0;
	*parts_expires_ms = 0;
	if (account_id <= 0)
		return 0;
	pthread_mutex_lock(&lock);
	if (s->account_id == account_id && s->body != NULL && now_ms < s->parts_expires_ms) {
		found = now_ms < s->expires_ms && strcmp(s->stamp, stamp) == 0 ? 1 : 2;
		*body = xmalloc(s->len + 1);
		memcpy(*body, s->body, s->len + 1);
		*len = s->len;
		*parts_expires_ms = s->parts_expires_ms;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void
summary_cache_put(int64_t account_id, const char *stamp, int64_t expires_ms, int64_t parts_expires_ms,
    const char *body)
{
	struct slot *s = slot_of(account_id);
	size_t len = strlen(body);
	char *copy, *old;

	if (account_id <= 0 || parts_expires_ms <= 0 || strlen(stamp) >= SUMMARY_STAMP_MAX || len > SUMMARY_BODY_MAX)
		return;
	copy = xmalloc(len + 1);
	memcpy(copy, body, len + 1);
	pthread_mutex_lock(&lock);
	old = s->body;
	s->account_id = account_id;
	s->expires_ms = expires_ms < parts_expires_ms ? expires_ms : parts_expires_ms;
	s->parts_expires_ms = parts_expires_ms;
	memcpy(s->stamp, stamp, strlen(stamp) + 1);
	s->body = copy;
	s->len = len;
	pthread_mutex_unlock(&lock);
	free(old);
}

int64_t
summary_cache_expiry(int64_t now_ms, int64_t cut_in_s)
{
	int64_t ttl_ms = SUMMARY_TTL_MS;

	/* the decision flips to "cut" at the due time: the entry must not outlive it */
	if (cut_in_s >= 0 && cut_in_s * 1000 < ttl_ms)
		ttl_ms = cut_in_s * 1000;
	return ttl_ms > 0 ? now_ms + ttl_ms : 0;
}

void
summary_cache_clear(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < SUMMARY_CACHE_SLOTS; i++) {
		free(slots[i].body);
		memset(&slots[i], 0, sizeof slots[i]);
	}
	pthread_mutex_unlock(&lock);
}
