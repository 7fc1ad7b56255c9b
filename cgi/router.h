/*
 * The route table and its parameters, kcgi-style: each route names its
 * method, path pattern ("/api/v1/accounts/{id}"), handler, metrics name,
 * what its body is, and a table of the parameters it accepts with a pure
 * validator each. The server matches, validates, and only then calls the
 * handler, which sees validated values only. Pure: no I/O.
 */
#ifndef PREPAY_CGI_ROUTER_H
#define PREPAY_CGI_ROUTER_H
#include <stddef.h>
#include <stdint.h>

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
};
int http_method_parse(const char *);		/* 0 if not one of the above */
const char *http_method_name(int method);	/* "GET"; "OTHER" for 0 */
/* "GET, HEAD, OPTIONS" for an Allow header; 0 or -1 if it does not fit */
int http_allow_header(int methods, char *out, size_t outlen);

struct request;
typedef void (*route_handler)(struct request *);

enum param_in { PARAM_PATH, PARAM_QUERY, PARAM_BODY };

/* A validated value: text as received (decoded), num for number-like kinds. */
struct param_value {
	const char *str;
	int64_t num;
	int present;
};

struct param_def;
/* Pure: checks text against def; fills v->num when the kind has one.
 * On failure writes what is wrong (without the name) to err. */
typedef int (*param_validator)(const struct param_def *, const char *text, struct param_value *v,
    char *err, size_t errlen);

struct param_def {
	const char *name;
	enum param_in in;
	param_validator valid;
	int required;
	int64_t min, max;	/* integer bounds, or length bounds for strings */
};

/* The validators a route can use. */
int valid_int(const struct param_def *, const char *, struct param_value *, char *, size_t);
int valid_id(const struct param_def *, const char *, struct param_value *, char *, size_t);
int valid_string(const struct param_def *, const char *, struct param_value *, char *, size_t);
int valid_code(const struct param_def *, const char *, struct param_value *, char *, size_t);
int valid_bool(const struct param_def *, const char *, struct param_value *, char *, size_t);
int valid_yuan(const struct param_def *, const char *, struct param_value *, char *, size_t);

enum route_body {
	BODY_NONE,	/* a non-empty body is refused */
	BODY_JSON,	/* a JSON object; its members are PARAM_BODY parameters */
	BODY_RAW,	/* handed to the handler as bytes (webhooks verify signatures over them) */
};

struct route {
	int method;			/* one HTTP_* (GET also answers HEAD) */
	const char *pattern;		/* literal segments and {name} segments */
	route_handler handler;
	const char *name;		/* metrics label: [a-z0-9_] */
	enum route_body body;
	const struct param_def *params;	/* terminated by a NULL name; NULL for none */
};

#define ROUTE_MAX_CAPTURES 8
#define ROUTE_MAX_VALUE 256

struct route_match {
	const struct route *route;
	int index;			/* into the table, -1 if none */
	int allow;			/* methods the path answers to */
	int ncaptures;
	struct {
		const char *name;	/* points into the pattern, not NUL-terminated */
		size_t name_len;
		char value[ROUTE_MAX_VALUE];
	} captures[ROUTE_MAX_CAPTURES];
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* routes is terminated by an entry with a NULL pattern. HEAD matches GET
 * routes. Allowed methods of a known path are in m->allow either way. */
enum router_result router_match(const struct route *routes, int method, const char *path,
    struct route_match *m);
/* Checks a table once at start-up (names, patterns, parameter tables);
 * 0 or -1 with the problem in err. */
int router_check(const struct route *routes, char *err, size_t errlen);

/* Validated parameters of one request. */
#define PARAMS_MAX 16

enum param_error {
	PARAM_OK,
	PARAM_MISSING,		/* missing_parameter */
	PARAM_INVALID,		/* invalid_parameter */
	PARAM_UNKNOWN,		/* unknown_parameter */
	PARAM_DUPLICATE,	/* duplicate_parameter */
	PARAM_BAD_BODY,		/* bad_body: not JSON, not an object, or a body where none belongs */
};
const char *param_strerror(enum param_error);	/* the JSON error code */

struct params {
	int n;
	struct {
		const struct param_def *def;
		struct param_value v;
		char *owned;
	} p[PARAMS_MAX];
};

/* Fills out from the path captures, the query string and the body as the
 * route declares; on error returns it and writes a message for people. */
enum param_error params_parse(struct params *out, const struct route_match *m, const char *query,
    const char *body, size_t body_len, char *err, size_t errlen);
void params_free(struct params *);
/* NULL when absent (optional and not given) or not declared. */
const struct param_value *params_get(const struct params *, const char *name);

/* Decodes %XX and '+' in place; -1 on a bad escape or an encoded NUL. */
int url_decode(char *s);

#endif
