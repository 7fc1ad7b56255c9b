/* libcurl with timeouts and a bounded response; see http.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "worker/http.h"
#include "lib/xmalloc.h"

struct http {
	CURL *curl;
	long timeout_ms;
};

struct http *
http_new(long timeout_ms)
{
	struct http *h = xcalloc(1, sizeof *h);

	if ((h->curl = curl_easy_init()) == NULL) {
		free(h);
		return NULL;
	}
	h->timeout_ms = timeout_ms;
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_response *r = arg;
	size_t n = size * nmemb, room = sizeof r->body - 1 - r->len;

	/* past the bound the rest is dropped: answers we act on are short */
	memcpy(r->body + r->len, ptr, n < room ? n : room);
	r->len += n < room ? n : room;
	r->body[r->len] = '\0';
	return n;
}

int
http_request(struct http *h, const char *method, const char *url, const char *const *headers,
    const char *body, size_t body_len, struct http_response *resp)
{
	struct curl_slist *hl = NULL;
	CURLcode rc;

	memset(resp, 0, sizeof *resp);
	curl_easy_reset(h->curl);
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms < 3000 ? h->timeout_ms : 3000L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "prepay-worker/1");
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
	} else
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	rc = curl_easy_perform(h->curl);
	curl_slist_free_all(hl);
	if (rc != CURLE_OK) {
		snprintf(resp->error, sizeof resp->error, "%s%s", curl_easy_strerror(rc),
		    rc == CURLE_OPERATION_TIMEDOUT ? " (the provider did not answer in time)" : "");
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	return 0;
}

int
http_url_authority(const char *url, char *out, size_t outlen)
{
	const char *p = strstr(url, "://"), *e;
	size_t n;

	if (p == NULL)
		return -1;
	p += 3;
	e = p + strcspn(p, "/?#");
	n = (size_t)(e - p);
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}
