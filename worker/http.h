/*
 * A small HTTP client over libcurl for the worker's channels: one handle
 * per thread (connections are kept alive), a timeout on every call, and
 * a response body bounded in size (a larger answer is cut, not grown).
 */
#ifndef PREPAY_WORKER_HTTP_H
#define PREPAY_WORKER_HTTP_H
#include <stddef.h>

#define HTTP_BODY_MAX 16384

struct http;

struct http_response {
	long status;			/* 0 when no answer arrived */
	char body[HTTP_BODY_MAX];
	size_t len;
	char error[256];		/* transport error ("timed out after 5000 ms") */
};

struct http *http_new(long timeout_ms);
void http_free(struct http *);
/* method "GET" or "POST"; headers NULL-terminated "Name: value" lines;
 * body may be NULL. 0 when an HTTP answer arrived (any status), -1 on a
 * transport failure (resp->error says which). */
int http_request(struct http *, const char *method, const char *url, const char *const *headers,
    const char *body, size_t body_len, struct http_response *resp);
/* "https://host:port/path" → "host:port" (the Host header). 0 or -1. */
int http_url_authority(const char *url, char *out, size_t outlen);

#endif
