#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgi/request.h"
#include "lib/log.h"

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	}
	return status < 300 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
}

void
response_init(struct response *r, size_t max_body)
{
	memset(r, 0, sizeof *r);
	r->status = 500;
	r->content_type = CONTENT_TYPE_JSON;
	buf_init(&r->headers, 4096);
	buf_init(&r->body, max_body);
}

void
response_free(struct response *r)
{
	buf_free(&r->headers);
	buf_free(&r->body);
}

void
response_text(struct request *req, int status, const char *content_type, const char *text, size_t len)
{
	struct response *r = &req->resp;

	buf_reset(&r->body);
	r->status = status;
	r->content_type = content_type;
	if (buf_append(&r->body, text, len) != 0) {
		/* never send half a document */
		log_error("response of %zu bytes is larger than the limit of %zu", len, r->body.max);
		buf_reset(&r->body);
		r->status = 500;
		r->content_type = CONTENT_TYPE_JSON;
		buf_puts(&r->body, "{\"error\":{\"code\":\"internal_error\",\"message\":\"the response was too large\"}}");
	}
}

void
response_json(struct request *req, int status, const cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json);

	if (text == NULL) {
		response_error(req, 500, "internal_error", "could not render the response");
		return;
	}
	response_text(req, status, CONTENT_TYPE_JSON, text, strlen(text));
	free(text);
}

void
response_error(struct request *req, int status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	cJSON *root, *err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	root = cJSON_CreateObject();
	err = cJSON_AddObjectToObject(root, "error");
	cJSON_AddStringToObject(err, "code", code);
	cJSON_AddStringToObject(err, "message", msg);
	response_json(req, status, root);
	cJSON_Delete(root);
}

void
response_header(struct request *req, const char *name, const char *value)
{
	/* values come from our own code, but a stray newline would split the header */
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL) {
		log_error("refusing header %s with a line break", name);
		return;
	}
	if (buf_printf(&req->resp.headers, "%s: %s\r\n", name, value) != 0)
		log_error("response headers are full; dropped %s", name);
}

const char *
request_str(const struct request *req, const char *name, const char *def)
{
	const struct param_value *v = params_get(&req->params, name);

	return v != NULL ? v->str : def;
}

int64_t
request_int(const struct request *req, const char *name, int64_t def)
{
	const struct param_value *v = params_get(&req->params, name);

	return v != NULL ? v->num : def;
}
