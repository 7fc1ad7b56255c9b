#include <stdio.h>
#include "cgi/api.h"
#include "lib/log.h"

/* GET /healthz: the database answers SELECT 1, or we say what is wrong. */
void
health_get(struct request *req)
{
	char err[512];
	struct db *db;
	int64_t one = 0;
	cJSON *root = cJSON_CreateObject();
	int ok;

	if ((db = request_db_try(req, err, sizeof err)) != NULL &&
	    db_query_int(db, &one, "SELECT 1", "") != 1) {
		snprintf(err, sizeof err, "%s", db_error(db));
		metrics_db_error(server_metrics(req));
		db = NULL;
	}
	ok = db != NULL && one == 1;
	cJSON_AddStringToObject(root, "status", ok ? "ok" : "degraded");
	cJSON_AddStringToObject(root, "database", ok ? "ok" : err);
	cJSON_AddStringToObject(root, "version", PACKAGE_VERSION);
	response_json(req, ok ? 200 : 503, root);
	cJSON_Delete(root);
}

/* GET /metrics: Prometheus text format 0.0.4 */
void
health_metrics(struct request *req)
{
	struct metrics_process proc = {
		.start_time_s = server_start_time(req),
		.db_deadlock_retries = db_retry_count(),
		.version = PACKAGE_VERSION,
	};
	struct buf out;

	buf_init(&out, 4 << 20);
	if (metrics_render(server_metrics(req), &proc, &out) != 0)
		response_error(req, 500, "internal_error", "the metrics do not fit in %zu bytes", out.max);
	else
		response_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
	buf_free(&out);
}

/* GET/POST /api/v1/ping: no database, for probes and benchmarks */
void
health_ping(struct request *req)
{
	const char *echo = request_str(req, "echo", NULL);
	cJSON *root = cJSON_CreateObject();

	cJSON_AddBoolToObject(root, "pong", 1);
	if (echo != NULL)
		cJSON_AddStringToObject(root, "echo", echo);
	response_json(req, 200, root);
	cJSON_Delete(root);
}
