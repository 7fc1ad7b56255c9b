#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cgi/router.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

static const struct {
	int method;
	const char *name;
} methods[] = {
	{ HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" }, { HTTP_PUT, "PUT" },
	{ HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" }, { HTTP_OPTIONS, "OPTIONS" },
};
#define NMETHODS (sizeof methods / sizeof methods[0])

int
http_method_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < NMETHODS; i++)
		if (strcmp(s, methods[i].name) == 0)
			return methods[i].method;
	return 0;
}

const char *
http_method_name(int method)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (method == methods[i].method)
			return methods[i].name;
	return "OTHER";
}

int
http_allow_header(int allow, char *out, size_t outlen)
{
	size_t off = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < NMETHODS; i++) {
		int n;
		if (!(allow & methods[i].method))
			continue;
		n = snprintf(out + off, outlen - off, "%s%s", off ? ", " : "", methods[i].name);
		if (n < 0 || (size_t)n >= outlen - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Matches path against pattern; captures go to m (when m != NULL). */
static int
route_path_matches(const char *pattern, const char *path, struct route_match *m)
{
	const char *p = pattern, *s = path;
	int nc = 0;

	if (*p != '/' || *s != '/')
		return 0;
	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			const char *pend = strchr(p, '}'), *send = strchr(s, '/');
			size_t vlen;

			if (pend == NULL)
				return 0;
			if (send == NULL)
				send = s + strlen(s);
			vlen = (size_t)(send - s);
			if (vlen == 0 || vlen >= ROUTE_MAX_VALUE || nc >= ROUTE_MAX_CAPTURES)
				return 0;
			if (m != NULL) {
				m->captures[nc].name = p + 1;
				m->captures[nc].name_len = (size_t)(pend - p - 1);
				memcpy(m->captures[nc].value, s, vlen);
				m->captures[nc].value[vlen] = '\0';
			}
			nc++;
			p = pend + 1;
			s = send;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	if (m != NULL)
		m->ncaptures = nc;
	return 1;
}

static int
route_answers(const struct route *r)
{
	return r->method == HTTP_GET ? HTTP_GET | HTTP_HEAD : r->method;
}

enum router_result
router_match(const struct route *routes, int method, const char *path, struct route_match *m)
{
	memset(m, 0, sizeof *m);
	m->index = -1;
	for (int i = 0; routes[i].pattern != NULL; i++) {
		const struct route *r = &routes[i];

		if (!route_path_matches(r->pattern, path, NULL))
			continue;
		m->allow |= route_answers(r);
		if (m->route == NULL && (route_answers(r) & method)) {
			m->route = r;
			m->index = i;
			route_path_matches(r->pattern, path, m);
		}
	}
	if (m->route != NULL)
		return ROUTER_FOUND;
	return m->allow ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}

static int
route_name_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static const struct param_def *
param_find(const struct param_def *defs, enum param_in in, const char *name, size_t len)
{
	for (; defs != NULL && defs->name != NULL; defs++)
		if (defs->in == in && strlen(defs->name) == len && memcmp(defs->name, name, len) == 0)
			return defs;
	return NULL;
}

int
router_check(const struct route *routes, char *err, size_t errlen)
{
	for (int i = 0; routes[i].pattern != NULL; i++) {
		const struct route *r = &routes[i];
		const char *p;
		int n = 0;

		if (!route_name_ok(r->name) || r->handler == NULL || r->pattern[0] != '/' ||
		    http_method_parse(http_method_name(r->method)) != r->method) {
			snprintf(err, errlen, "route %d (%s): needs a name of [a-z0-9_], a handler, "
			    "one method and a pattern starting with '/'", i, r->pattern);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (routes[j].method == r->method && strcmp(routes[j].pattern, r->pattern) == 0) {
				snprintf(err, errlen, "route %s %s is listed twice", http_method_name(r->method), r->pattern);
				return -1;
			}
		for (p = r->pattern; (p = strchr(p, '{')) != NULL; p++) {
			const char *end = strchr(p, '}');
			if (end == NULL || end == p + 1 || param_find(r->params, PARAM_PATH, p + 1, (size_t)(end - p - 1)) == NULL) {
				snprintf(err, errlen, "route %s: every {name} must be closed and declared as a PARAM_PATH parameter",
				    r->pattern);
				return -1;
			}
		}
		for (const struct param_def *d = r->params; d != NULL && d->name != NULL; d++, n++)
			if (d->valid == NULL || n >= PARAMS_MAX || (d->in == PARAM_BODY && r->body != BODY_JSON)) {
				snprintf(err, errlen, "route %s: parameter %s needs a validator, at most %d parameters, "
				    "and body parameters need BODY_JSON", r->pattern, d->name, PARAMS_MAX);
				return -1;
			}
	}
	return 0;
}

const char *
param_strerror(enum param_error e)
{
	switch (e) {
	case PARAM_OK: return "ok";
	case PARAM_MISSING: return "missing_parameter";
	case PARAM_INVALID: return "invalid_parameter";
	case PARAM_UNKNOWN: return "unknown_parameter";
	case PARAM_DUPLICATE: return "duplicate_parameter";
	case PARAM_BAD_BODY: return "bad_body";
	}
	return "invalid_parameter";
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
url_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '+')
			*w++ = ' ';
		else if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
	return 0;
}

static const char *
param_where(enum param_in in)
{
	return in == PARAM_PATH ? "path" : in == PARAM_QUERY ? "query" : "body";
}

/* Validates and stores one value; text is copied. */
static enum param_error
params_add(struct params *out, const struct param_def *d, const char *text, char *err, size_t errlen)
{
	char why[160];
	int k = out->n;

	for (int i = 0; i < out->n; i++)
		if (out->p[i].def == d) {
			snprintf(err, errlen, "%s parameter '%s' is given twice", param_where(d->in), d->name);
			return PARAM_DUPLICATE;
		}
	if (k >= PARAMS_MAX) {
		snprintf(err, errlen, "too many parameters");
		return PARAM_INVALID;
	}
	memset(&out->p[k], 0, sizeof out->p[k]);
	out->p[k].owned = xstrdup(text);
	out->p[k].v.str = out->p[k].owned;
	if (d->valid(d, out->p[k].owned, &out->p[k].v, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s parameter '%s': %s", param_where(d->in), d->name, why);
		free(out->p[k].owned);
		return PARAM_INVALID;
	}
	out->p[k].v.present = 1;
	out->p[k].def = d;
	out->n++;
	return PARAM_OK;
}

/* "a, b, c" of the parameters a route takes in one place, for messages. */
static void
param_names(const struct param_def *defs, enum param_in in, char *out, size_t outlen)
{
	size_t off = 0;

	out[0] = '\0';
	for (; defs != NULL && defs->name != NULL; defs++) {
		int n;
		if (defs->in != in)
			continue;
		n = snprintf(out + off, outlen - off, "%s%s", off ? ", " : "", defs->name);
		if (n < 0 || (size_t)n >= outlen - off)
			break;
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(out, outlen, "none");
}

static enum param_error
params_query(struct params *out, const struct route *r, const char *query, char *err, size_t errlen)
{
	char *copy, *p, *next;
	enum param_error e = PARAM_OK;

	if (query == NULL || *query == '\0')
		return PARAM_OK;
	copy = xstrdup(query);
	for (p = copy; p != NULL && e == PARAM_OK; p = next) {
		char *eq, names[200];
		const struct param_def *d;

		if ((next = strchr(p, '&')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) != NULL)
			*eq++ = '\0';
		if (url_decode(p) != 0 || (eq != NULL && url_decode(eq) != 0)) {
			snprintf(err, errlen, "the query string has a bad %%-escape near '%.40s'", p);
			e = PARAM_INVALID;
		} else if ((d = param_find(r->params, PARAM_QUERY, p, strlen(p))) == NULL) {
			param_names(r->params, PARAM_QUERY, names, sizeof names);
			snprintf(err, errlen, "unknown query parameter '%.60s' (this route takes: %s)", p, names);
			e = PARAM_UNKNOWN;
		} else
			e = params_add(out, d, eq != NULL ? eq : "", err, errlen);
	}
	free(copy);
	return e;
}

static enum param_error
params_json(struct params *out, const struct route *r, const char *body, size_t body_len,
    char *err, size_t errlen)
{
	cJSON *root, *item;
	enum param_error e = PARAM_OK;

	if (body_len == 0)
		return PARAM_OK;
	if ((root = cJSON_ParseWithLength(body, body_len)) == NULL) {
		snprintf(err, errlen, "the request body is not valid JSON");
		return PARAM_BAD_BODY;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		snprintf(err, errlen, "the request body must be a JSON object");
		return PARAM_BAD_BODY;
	}
	cJSON_ArrayForEach(item, root) {
		const struct param_def *d = param_find(r->params, PARAM_BODY, item->string, strlen(item->string));
		char num[32], names[200];

		if (d == NULL) {
			param_names(r->params, PARAM_BODY, names, sizeof names);
			snprintf(err, errlen, "unknown body field '%.60s' (this route takes: %s)", item->string, names);
			e = PARAM_UNKNOWN;
		} else if (cJSON_IsNull(item))
			continue;
		else if (cJSON_IsString(item))
			e = params_add(out, d, item->valuestring, err, errlen);
		else if (cJSON_IsBool(item))
			e = params_add(out, d, cJSON_IsTrue(item) ? "true" : "false", err, errlen);
		else if (cJSON_IsNumber(item)) {
			/* exact only for integers below 2^53; amounts go as strings ("12.50") */
			double v = item->valuedouble;
			if (v != v || v < -9007199254740992.0 || v > 9007199254740992.0 || v != (double)(long long)v) {
				snprintf(err, errlen, "body field '%s': numbers must be whole and below 2^53; "
				    "send amounts as strings like \"12.50\"", d->name);
				e = PARAM_INVALID;
			} else {
				snprintf(num, sizeof num, "%lld", (long long)v);
				e = params_add(out, d, num, err, errlen);
			}
		} else {
			snprintf(err, errlen, "body field '%s' must be a string, number or boolean", d->name);
			e = PARAM_INVALID;
		}
		if (e != PARAM_OK)
			break;
	}
	cJSON_Delete(root);
	return e;
}

enum param_error
params_parse(struct params *out, const struct route_match *m, const char *query,
    const char *body, size_t body_len, char *err, size_t errlen)
{
	const struct route *r = m->route;
	enum param_error e;

	memset(out, 0, sizeof *out);
	for (int i = 0; i < m->ncaptures; i++) {
		const struct param_def *d = param_find(r->params, PARAM_PATH, m->captures[i].name,
		    m->captures[i].name_len);
		if (d == NULL) {
			snprintf(err, errlen, "route %s: path parameter is not declared", r->pattern);
			return PARAM_INVALID;
		}
		if ((e = params_add(out, d, m->captures[i].value, err, errlen)) != PARAM_OK)
			return e;
	}
	if ((e = params_query(out, r, query, err, errlen)) != PARAM_OK)
		return e;
	if (r->body == BODY_NONE && body_len > 0) {
		snprintf(err, errlen, "%s %s takes no request body", http_method_name(r->method), r->pattern);
		return PARAM_BAD_BODY;
	}
	if (r->body == BODY_JSON && (e = params_json(out, r, body, body_len, err, errlen)) != PARAM_OK)
		return e;
	for (const struct param_def *d = r->params; d != NULL && d->name != NULL; d++)
		if (d->required && params_get(out, d->name) == NULL) {
			snprintf(err, errlen, "%s parameter '%s' is required", param_where(d->in), d->name);
			return PARAM_MISSING;
		}
	return PARAM_OK;
}

void
params_free(struct params *ps)
{
	for (int i = 0; i < ps->n; i++)
		free(ps->p[i].owned);
	ps->n = 0;
}

const struct param_value *
params_get(const struct params *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].def->name, name) == 0)
			return &ps->p[i].v;
	return NULL;
}

/* Validators. Each is pure and says in err what a good value looks like. */

/* Strict decimal integer: optional '-', digits, no spaces or '+'. */
static int
parse_int64(const char *s, int64_t *out)
{
	int neg = 0;
	uint64_t v = 0, limit;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (*s == '\0')
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (limit - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

int
valid_int(const struct param_def *d, const char *s, struct param_value *v, char *err, size_t errlen)
{
	int64_t n;
	int bounded = d->min != 0 || d->max != 0;

	if (parse_int64(s, &n) != 0 || (bounded && (n < d->min || n > d->max))) {
		if (bounded)
			snprintf(err, errlen, "must be a whole number from %lld to %lld",
			    (long long)d->min, (long long)d->max);
		else
			snprintf(err, errlen, "must be a whole number");
		return -1;
	}
	v->num = n;
	return 0;
}

int
valid_id(const struct param_def *d, const char *s, struct param_value *v, char *err, size_t errlen)
{
	int64_t n;

	if (*s == '-' || parse_int64(s, &n) != 0 || n < 1 || (s[0] == '0')) {
		snprintf(err, errlen, "must be a positive id like 42");
		return -1;
	}
	v->num = n;
	return 0;
}

/* Length of the UTF-8 sequence at s, or 0 if it is not well formed. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

int
valid_string(const struct param_def *d, const char *s, struct param_value *v, char *err, size_t errlen)
{
	int64_t max = d->max ? d->max : 1024;
	size_t len = strlen(s);

	if ((int64_t)len < d->min || (int64_t)len > max) {
		snprintf(err, errlen, "must be %lld to %lld bytes long", (long long)d->min, (long long)max);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; ) {
		size_t n = utf8_len(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "must be UTF-8 text without control characters");
			return -1;
		}
		p += n;
	}
	v->num = (int64_t)len;
	return 0;
}

int
valid_code(const struct param_def *d, const char *s, struct param_value *v, char *err, size_t errlen)
{
	int64_t max = d->max ? d->max : 64;
	size_t len = strlen(s);
	int ok = len >= 1 && (int64_t)len <= max;

	for (size_t i = 0; ok && i < len; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		ok = alnum || (i > 0 && (c == '_' || c == '-' || c == '.'));
	}
	if (!ok) {
		snprintf(err, errlen, "must be a code of 1 to %lld letters, digits, '_', '-' or '.', "
		    "starting with a letter or digit", (long long)max);
		return -1;
	}
	return 0;
}

int
valid_bool(const struct param_def *d, const char *s, struct param_value *v, char *err, size_t errlen)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		v->num = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		v->num = 0;
	else {
		snprintf(err, errlen, "must be true or false");
		return -1;
	}
	return 0;
}

int
valid_yuan(const struct param_def *d, const char *s, struct param_value *v, char *err, size_t errlen)
{
	int64_t fen;
	int bounded = d->min != 0 || d->max != 0;

	if (money_parse_yuan(s, &fen) != 0 || (bounded && (fen < d->min || fen > d->max))) {
		char lo[MONEY_FMT_LEN], hi[MONEY_FMT_LEN];
		if (bounded)
			snprintf(err, errlen, "must be an amount in yuan like 12.50, from %s to %s",
			    money_format(d->min, lo), money_format(d->max, hi));
		else
			snprintf(err, errlen, "must be an amount in yuan like 12.50");
		return -1;
	}
	v->num = fen;
	return 0;
}
