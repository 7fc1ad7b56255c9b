#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcgiapp.h>
#include "cgi/api.h"
#include "cgi/server.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define RESPONSE_MAX_BYTES (16u << 20)
#define LISTEN_BACKLOG 256
/* after a failed connect, answer 503 at once for this long instead of
 * making every request wait for the connect timeout */
#define DB_RETRY_AFTER_MS 1000

struct server {
	const struct server_opts *opts;
	int listen_fd;
	atomic_int stopping;
	struct metrics *metrics;
	int64_t start_time_s;
};

struct worker {
	struct server *srv;
	int id;
	pthread_t tid;
	struct db *db;
	int64_t db_retry_at_ms;
	char db_err[256];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct metrics *
server_metrics(struct request *req)
{
	return req->worker->srv->metrics;
}

int64_t
server_start_time(struct request *req)
{
	return req->worker->srv->start_time_s;
}

const struct config *
server_config(struct request *req)
{
	return req->worker->srv->opts->cfg;
}

/* nginx passes each header as HTTP_NAME: upper case, '-' as '_' */
const char *
request_header(const struct request *req, const char *name)
{
	char key[128] = "HTTP_";
	size_t i, n = strlen(name);

	if (req->env == NULL || n + 6 > sizeof key)
		return NULL;
	for (i = 0; i < n; i++)
		key[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	key[5 + n] = '\0';
	return FCGX_GetParam(key, req->env);
}

struct db *
request_db_try(struct request *req, char *err, size_t errlen)
{
	struct worker *w = req->worker;
	int64_t now;

	if (w->db != NULL)
		return w->db;
	now = now_ms();
	if (now < w->db_retry_at_ms) {
		snprintf(err, errlen, "%s", w->db_err);
		return NULL;
	}
	if ((w->db = db_connect(w->srv->opts->cfg, w->db_err, sizeof w->db_err)) == NULL) {
		w->db_retry_at_ms = now + DB_RETRY_AFTER_MS;
		metrics_db_error(w->srv->metrics);
		log_error("worker %d: %s", w->id, w->db_err);
		snprintf(err, errlen, "%s", w->db_err);
		return NULL;
	}
	log_info("worker %d: connected to the database", w->id);
	return w->db;
}

struct db *
request_db(struct request *req)
{
	char err[256];
	struct db *db = request_db_try(req, err, sizeof err);

	if (db == NULL)
		response_error(req, 503, "database_unavailable",
		    "the database cannot be reached; try again in a moment");
	return db;
}

void
request_db_failed(struct request *req, struct db *db)
{
	unsigned e = db_errno(db);

	metrics_db_error(req->worker->srv->metrics);
	/* client-side errors (lost connection, timeouts) and lock trouble are
	 * worth a retry; anything else is our bug */
	if ((e >= 2000 && e < 3000) || e == 1927 || db_is_retryable(db))
		response_error(req, 503, "database_unavailable",
		    "the database is not available right now; try again in a moment");
	else
		response_error(req, 500, "internal_error", "a database statement failed; it has been logged");
}

/* The request path: nginx's normalised $document_uri, else the CGI pair. */
static const char *
server_path(FCGX_ParamArray env, char *tmp, size_t tmplen)
{
	const char *p = FCGX_GetParam("DOCUMENT_URI", env), *pi, *uri;

	if (p != NULL && *p != '\0')
		return p;
	p = FCGX_GetParam("SCRIPT_NAME", env);
	pi = FCGX_GetParam("PATH_INFO", env);
	if (p != NULL && *p != '\0') {
		if (pi == NULL || *pi == '\0')
			return p;
		snprintf(tmp, tmplen, "%s%s", p, pi);
		return tmp;
	}
	if ((uri = FCGX_GetParam("REQUEST_URI", env)) != NULL) {
		snprintf(tmp, tmplen, "%.*s", (int)strcspn(uri, "?"), uri);
		return tmp;
	}
	return NULL;
}

/* CONTENT_LENGTH as a size; empty or absent is 0. */
static int
server_content_length(const char *s, size_t *out)
{
	size_t n = 0;

	if (s == NULL || *s == '\0') {
		*out = 0;
		return 0;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (SIZE_MAX - 9) / 10)
			return -1;
		n = n * 10 + (size_t)(*s - '0');
	}
	*out = n;
	return 0;
}

/* Reads the body whole; the answer is set when it cannot be. */
static int
server_read_body(struct request *req, FCGX_Request *fr, size_t max)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	size_t n, got = 0;

	if (server_content_length(cl, &n) != 0) {
		response_error(req, 400, "bad_request", "Content-Length '%.40s' is not a number", cl);
		return -1;
	}
	if (n > max) {
		/* refused before reading a byte of it */
		response_error(req, 413, "payload_too_large",
		    "the body is %zu bytes; the limit is %zu ([api] max_body_bytes)", n, max);
		return -1;
	}
	req->body = xmalloc(n + 1);
	while (got < n) {
		int chunk = n - got > (1u << 20) ? 1 << 20 : (int)(n - got);
		int r = FCGX_GetStr(req->body + got, chunk, fr->in);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	req->body[got] = '\0';
	req->body_len = got;
	if (got < n) {
		response_error(req, 400, "bad_request", "the body ended after %zu of the %zu bytes announced", got, n);
		return -1;
	}
	return 0;
}

static void
server_dispatch(struct worker *w, struct request *req, FCGX_Request *fr, struct route_match *m)
{
	char allow[128], err[512];
	enum router_result rr;
	enum param_error pe;

	if (req->path == NULL || req->path[0] != '/') {
		response_error(req, 400, "bad_request", "the request has no path");
		return;
	}
	rr = router_match(api_routes, req->method, req->path, m);
	if (rr == ROUTER_NOT_FOUND) {
		response_error(req, 404, "not_found", "there is nothing at %.200s", req->path);
		return;
	}
	http_allow_header(m->allow | HTTP_OPTIONS, allow, sizeof allow);
	if (req->method == HTTP_OPTIONS) {
		response_header(req, "Allow", allow);
		response_text(req, 204, CONTENT_TYPE_JSON, "", 0);
		return;
	}
	if (rr == ROUTER_METHOD_NOT_ALLOWED) {
		response_header(req, "Allow", allow);
		response_error(req, 405, "method_not_allowed", "%.200s answers to %s, not %s",
		    req->path, allow, req->method_name);
		return;
	}
	req->route = m->route;
	if (server_read_body(req, fr, w->srv->opts->max_body_bytes) != 0)
		return;
	pe = params_parse(&req->params, m, req->query, req->body, req->body_len, err, sizeof err);
	if (pe != PARAM_OK) {
		response_error(req, 400, param_strerror(pe), "%s", err);
		return;
	}
	/* a handler that forgets to answer is a bug; say so rather than send nothing */
	response_error(req, 500, "internal_error", "the handler did not answer");
	m->route->handler(req);
}

static void
server_write(struct request *req, FCGX_Request *fr)
{
	struct response *r = &req->resp;
	int nobody = r->status == 204 || r->status == 304;
	struct buf head;

	/* formatted here: FCGX_FPrintF knows no %zu */
	buf_init(&head, 8192);
	buf_printf(&head, "Status: %d %s\r\n", r->status, http_status_text(r->status));
	if (!nobody)
		buf_printf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n", r->content_type, r->body.len);
	buf_printf(&head, "Cache-Control: no-store\r\n%s\r\n", r->headers.data ? r->headers.data : "");
	FCGX_PutStr(head.data, (int)head.len, fr->out);
	buf_free(&head);
	if (!nobody && req->method != HTTP_HEAD && r->body.len > 0)
		FCGX_PutStr(r->body.data, (int)r->body.len, fr->out);
}

static void
server_handle(struct worker *w, FCGX_Request *fr)
{
	struct server *srv = w->srv;
	struct request req;
	struct route_match m;
	char pathbuf[2048];
	uint64_t start = now_us();
	const char *rid;

	metrics_begin(srv->metrics);
	memset(&req, 0, sizeof req);
	response_init(&req.resp, RESPONSE_MAX_BYTES);
	req.worker = w;
	req.env = fr->envp;
	req.method_name = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	if (req.method_name == NULL)
		req.method_name = "";
	req.method = http_method_parse(req.method_name);
	req.path = server_path(fr->envp, pathbuf, sizeof pathbuf);
	req.query = FCGX_GetParam("QUERY_STRING", fr->envp);
	if (req.query == NULL)
		req.query = "";
	req.content_type = FCGX_GetParam("CONTENT_TYPE", fr->envp);
	if (req.content_type == NULL)
		req.content_type = "";
	req.remote_addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	rid = FCGX_GetParam("REQUEST_ID", fr->envp);
	req.request_id = rid != NULL ? rid : "-";
	m.index = -1;

	server_dispatch(w, &req, fr, &m);
	server_write(&req, fr);

	metrics_end(srv->metrics, req.route != NULL ? m.index : -1, http_method_name(req.method),
	    req.resp.status, now_us() - start);
	if (req.resp.status >= 500)
		log_warn("%s %.200s -> %d (request %s, worker %d)", req.method_name,
		    req.path ? req.path : "-", req.resp.status, req.request_id, w->id);
	else
		log_debug("%s %.200s -> %d (request %s, worker %d)", req.method_name,
		    req.path ? req.path : "-", req.resp.status, req.request_id, w->id);
	params_free(&req.params);
	free(req.body);
	response_free(&req.resp);
}

static void *
server_worker(void *arg)
{
	struct worker *w = arg;
	struct server *srv = w->srv;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, srv->listen_fd, 0) != 0)
		fatalx("worker %d: FCGX_InitRequest failed", w->id);
	while (!atomic_load(&srv->stopping)) {
		int rc = FCGX_Accept_r(&fr);

		if (rc < 0) {
			if (atomic_load(&srv->stopping))
				break;
			log_error("worker %d: accept failed (%d); retrying", w->id, rc);
			usleep(100000);
			continue;
		}
		server_handle(w, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 0);
	return NULL;
}

/* Removes a socket left by a process that died; refuses if one is alive
 * or if the path is not a socket. */
static int
server_clear_socket(const char *path)
{
	struct stat st;
	struct sockaddr_un sa;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s exists and is not a socket; not removing it (fix [api] socket)", path);
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		log_error("%s: the socket path is longer than %zu bytes", path, sizeof sa.sun_path - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	if (rc == 0) {
		log_error("%s: another program is listening there; stop it first", path);
		return -1;
	}
	if (unlink(path) != 0) {
		log_error("%s: cannot remove the stale socket: %s", path, strerror(errno));
		return -1;
	}
	log_info("removed the stale socket %s", path);
	return 0;
}

int
server_run(const struct server_opts *opts)
{
	struct server srv;
	struct worker *workers;
	const char *names[64];
	int nroutes = 0, sig, started = 0;
	char err[256];
	sigset_t set;

	if (router_check(api_routes, err, sizeof err) != 0)
		fatalx("route table: %s", err);
	for (; api_routes[nroutes].pattern != NULL; nroutes++) {
		if (nroutes >= (int)(sizeof names / sizeof names[0]))
			fatalx("route table: more than %zu routes", sizeof names / sizeof names[0]);
		names[nroutes] = api_routes[nroutes].name;
	}
	memset(&srv, 0, sizeof srv);
	srv.opts = opts;
	srv.start_time_s = (int64_t)time(NULL);

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	if (server_clear_socket(opts->socket_path) != 0)
		return -1;
	if ((srv.listen_fd = FCGX_OpenSocket(opts->socket_path, LISTEN_BACKLOG)) < 0) {
		log_error("%s: cannot listen: %s", opts->socket_path, strerror(errno));
		return -1;
	}
	/* nginx workers run as another user */
	if (chmod(opts->socket_path, 0666) != 0)
		log_warn("%s: chmod 0666: %s", opts->socket_path, strerror(errno));
	/* only now: the early returns above would leak it */
	srv.metrics = metrics_new(names, nroutes);

	/* only this thread takes the stop signals; workers inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	workers = xcalloc((size_t)opts->threads, sizeof *workers);
	for (int i = 0; i < opts->threads; i++) {
		workers[i].srv = &srv;
		workers[i].id = i;
		if (pthread_create(&workers[i].tid, NULL, server_worker, &workers[i]) != 0) {
			log_error("cannot start worker %d: %s", i, strerror(errno));
			break;
		}
		started++;
	}
	if (started == opts->threads) {
		log_info("listening on %s with %d threads (version %s, max body %zu bytes)",
		    opts->socket_path, opts->threads, PACKAGE_VERSION, opts->max_body_bytes);
		if (sigwait(&set, &sig) == 0)
			log_info("%s: stopping; finishing the requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	}

	/* stop accepting: wakes every worker blocked in accept() */
	atomic_store(&srv.stopping, 1);
	FCGX_ShutdownPending();
	shutdown(srv.listen_fd, SHUT_RDWR);
	for (int i = 0; i < started; i++) {
		pthread_join(workers[i].tid, NULL);
		db_close(workers[i].db);
	}
	close(srv.listen_fd);
	if (unlink(opts->socket_path) != 0)
		log_warn("%s: cannot remove the socket: %s", opts->socket_path, strerror(errno));
	metrics_free(srv.metrics);
	free(workers);
	log_info("stopped");
	return started == opts->threads ? 0 : -1;
}
