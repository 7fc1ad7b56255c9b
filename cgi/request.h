/*
 * One HTTP request as a handler sees it, and the response it builds.
 * Handlers fill the response (status, extra headers, body); the server
 * writes it, so a handler never touches the FastCGI streams.
 */
#ifndef PREPAY_CGI_REQUEST_H
#define PREPAY_CGI_REQUEST_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "cgi/buf.h"
#include "cgi/router.h"
#include "lib/db.h"

struct worker;

struct response {
	int status;
	const char *content_type;
	struct buf headers;	/* extra "Name: value\r\n" lines */
	struct buf body;
};

struct request {
	struct worker *worker;		/* the thread answering (NULL in unit tests) */
	int method;			/* HTTP_*, 0 for one we do not know */
	const char *method_name;	/* as received, for logs */
	const char *path;		/* decoded, without the query string */
	const char *query;		/* raw, "" when none */
	const char *content_type;	/* "" when none */
	const char *remote_addr;
	const char *request_id;		/* from the X-Request-Id header if nginx passes it */
	/* the raw body exactly as received (NUL-terminated for convenience;
	 * may itself contain NUL bytes): signatures are checked over these */
	char *body;
	size_t body_len;
	const struct route *route;
	struct params params;		/* validated parameters of route */
	struct response resp;
	char **env;			/* the FastCGI parameters (request_header); NULL in unit tests */
};

/* A request header by its HTTP name ("Wechatpay-Serial"), NULL if absent. */
const char *request_header(const struct request *, const char *name);

/* The validated value of a declared parameter, or the default when absent. */
const char *request_str(const struct request *, const char *name, const char *def);
int64_t request_int(const struct request *, const char *name, int64_t def);

/*
 * The thread's database connection, connected on first use. On failure
 * it answers 503 database_unavailable itself and returns NULL: the
 * handler just returns.
 */
struct db *request_db(struct request *);
/* The same without answering: NULL with the reason in err. */
struct db *request_db_try(struct request *, char *err, size_t errlen);
/* Answers 503 for a failed db_* call on db (counted in /metrics). */
void request_db_failed(struct request *, struct db *);

/* Responses. A later call replaces the status and body of an earlier one. */
void response_init(struct response *, size_t max_body);
void response_free(struct response *);
void response_json(struct request *, int status, const cJSON *);
void response_text(struct request *, int status, const char *content_type, const char *text, size_t len);
/* {"error":{"code":code,"message":...}} */
void response_error(struct request *, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void response_header(struct request *, const char *name, const char *value);
const char *http_status_text(int status);

#define CONTENT_TYPE_JSON "application/json; charset=utf-8"

#endif
