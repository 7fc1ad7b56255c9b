#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mysql.h>
#include <errmsg.h>
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define DB_MAX_PARAMS 32
#define DB_CACHE 96
#define ER_LOCK_WAIT_TIMEOUT 1205
#define ER_LOCK_DEADLOCK 1213
#define ER_DUP_ENTRY 1062

struct db_cached {
	const char *sql;	/* the literal's address is the key */
	MYSQL_STMT *stmt;
};

struct db {
	MYSQL *my;
	const struct config *cfg;
	struct db_cached cache[DB_CACHE];
	int cache_next;
	int in_tx;
	int retries;
	unsigned err;
	char errmsg[512];
};

struct db_rows {
	struct db *db;
	MYSQL_STMT *stmt;
	MYSQL_RES *meta;
	int ncols;
	MYSQL_BIND *bind;
	char **buf;
	unsigned long *len;
	my_bool *isnull;
	my_bool *error;
	int done;
};

static atomic_ulong db_retries;

unsigned long
db_retry_count(void)
{
	return atomic_load(&db_retries);
}

static void
db_set_error(struct db *db, unsigned code, const char *msg)
{
	db->err = code;
	snprintf(db->errmsg, sizeof db->errmsg, "%s", msg);
}

static void
db_from_stmt(struct db *db, MYSQL_STMT *st)
{
	db_set_error(db, mysql_stmt_errno(st), mysql_stmt_error(st));
}

static int
db_open(struct db *db, char *err, size_t errlen)
{
	const struct config *c = db->cfg;
	unsigned timeout = (unsigned)config_int(c, "database", "connect_timeout_s");
	const char *socket = config_str(c, "database", "socket");
	const char *init =
	    "SET time_zone='+00:00',"
	    " sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'";

	if ((db->my = mysql_init(NULL)) == NULL)
		fatalx("mysql_init: out of memory");
	mysql_options(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db->my, MYSQL_INIT_COMMAND, init);
	/* fewer gap locks, fewer deadlocks; the same on Galera */
	mysql_options(db->my, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
	if (mysql_real_connect(db->my, socket ? NULL : config_str(c, "database", "host"),
	    config_str(c, "database", "user"), config_str(c, "database", "password"),
	    config_str(c, "database", "name"), (unsigned)config_int(c, "database", "port"),
	    socket, CLIENT_FOUND_ROWS) == NULL) {
		snprintf(err, errlen, "cannot connect to MariaDB %s%s%s as %s: %s",
		    socket ? socket : config_str(c, "database", "host"), socket ? "" : ":",
		    socket ? "" : config_str(c, "database", "port"),
		    config_str(c, "database", "user"), mysql_error(db->my));
		mysql_close(db->my);
		db->my = NULL;
		return -1;
	}
	return 0;
}

struct db *
db_connect(const struct config *c, char *err, size_t errlen)
{
	struct db *db = xcalloc(1, sizeof *db);

	db->cfg = c;
	db->retries = (int)config_int(c, "database", "deadlock_retries");
	if (db_open(db, err, errlen) != 0) {
		free(db);
		return NULL;
	}
	return db;
}

static void
db_drop_cache(struct db *db)
{
	for (int i = 0; i < DB_CACHE; i++) {
		if (db->cache[i].stmt != NULL)
			mysql_stmt_close(db->cache[i].stmt);
		db->cache[i].stmt = NULL;
		db->cache[i].sql = NULL;
	}
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_drop_cache(db);
	if (db->my != NULL)
		mysql_close(db->my);
	free(db);
}

static int
db_lost(unsigned code)
{
	return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == 1927 /* killed */;
}

/* Reconnects after a lost connection; never inside a transaction, whose
 * work is gone with the connection. */
static int
db_reconnect(struct db *db)
{
	char err[512];

	if (db->in_tx)
		return -1;
	db_drop_cache(db);
	if (db->my != NULL)
		mysql_close(db->my);
	db->my = NULL;
	if (db_open(db, err, sizeof err) != 0) {
		db_set_error(db, CR_SERVER_GONE_ERROR, err);
		log_error("database: %s", err);
		return -1;
	}
	log_info("database: reconnected");
	return 0;
}

static MYSQL_STMT *
db_prepare(struct db *db, const char *sql)
{
	MYSQL_STMT *st;
	struct db_cached *slot;

	if (db->my == NULL && db_reconnect(db) != 0)
		return NULL;
	for (int i = 0; i < DB_CACHE; i++)
		if (db->cache[i].sql == sql)
			return db->cache[i].stmt;
	if ((st = mysql_stmt_init(db->my)) == NULL)
		fatalx("mysql_stmt_init: out of memory");
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		db_from_stmt(db, st);
		mysql_stmt_close(st);
		if (db_lost(db->err) && db_reconnect(db) == 0)
			return db_prepare(db, sql);
		log_error("database: prepare failed: %s: %s", db->errmsg, sql);
		return NULL;
	}
	slot = &db->cache[db->cache_next];
	db->cache_next = (db->cache_next + 1) % DB_CACHE;
	if (slot->stmt != NULL)
		mysql_stmt_close(slot->stmt);
	slot->sql = sql;
	slot->stmt = st;
	return st;
}

static void
db_forget(struct db *db, MYSQL_STMT *st)
{
	for (int i = 0; i < DB_CACHE; i++)
		if (db->cache[i].stmt == st) {
			mysql_stmt_close(st);
			db->cache[i].stmt = NULL;
			db->cache[i].sql = NULL;
		}
}

struct db_params {
	MYSQL_BIND bind[DB_MAX_PARAMS];
	long long ints[DB_MAX_PARAMS];
	unsigned long lens[DB_MAX_PARAMS];
	my_bool nulls[DB_MAX_PARAMS];
};

static int
db_bind_params(struct db *db, MYSQL_STMT *st, struct db_params *p, const char *types, va_list ap)
{
	size_t n = strlen(types);

	if (n > DB_MAX_PARAMS || n != mysql_stmt_param_count(st))
		fatalx("database: %zu parameters given for %lu placeholders", n,
		    (unsigned long)mysql_stmt_param_count(st));
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < n; i++) {
		MYSQL_BIND *b = &p->bind[i];
		switch (types[i]) {
		case 'i':
			p->ints[i] = va_arg(ap, int64_t);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &p->ints[i];
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			b->buffer_type = MYSQL_TYPE_STRING;
			if (s == NULL) {
				p->nulls[i] = 1;
				b->is_null = &p->nulls[i];
			} else {
				b->buffer = (void *)s;
				p->lens[i] = strlen(s);
				b->buffer_length = p->lens[i];
				b->length = &p->lens[i];
			}
			break;
		}
		case 'n':
			b->buffer_type = MYSQL_TYPE_NULL;
			break;
		default:
			fatalx("database: bad parameter type '%c'", types[i]);
		}
	}
	if (n > 0 && mysql_stmt_bind_param(st, p->bind) != 0) {
		db_from_stmt(db, st);
		return -1;
	}
	return 0;
}

/* Prepare (cached), bind, execute; one transparent retry when the
 * connection was lost outside a transaction. */
static MYSQL_STMT *
db_run(struct db *db, const char *sql, const char *types, va_list ap)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct db_params p;
		MYSQL_STMT *st = db_prepare(db, sql);
		va_list aq;

		if (st == NULL)
			return NULL;
		va_copy(aq, ap);
		if (db_bind_params(db, st, &p, types, aq) != 0) {
			va_end(aq);
			return NULL;
		}
		va_end(aq);
		if (mysql_stmt_execute(st) == 0)
			return st;
		db_from_stmt(db, st);
		if (!db_lost(db->err) || db->in_tx || attempt == 1) {
			if (db_lost(db->err))
				db_forget(db, st);
			/* deadlocks are retried and duplicate keys are how replays are
			 * found: both are expected, so only the rest is an error */
			if (db->err == ER_DUP_ENTRY || db_is_retryable(db))
				log_debug("database: %s (%u): %.200s", db->errmsg, db->err, sql);
			else
				log_error("database: %s (%u): %.200s", db->errmsg, db->err, sql);
			return NULL;
		}
		if (db_reconnect(db) != 0)
			return NULL;
	}
	return NULL;
}

long long
db_exec(struct db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	MYSQL_STMT *st;

	va_start(ap, types);
	st = db_run(db, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	return (long long)mysql_stmt_affected_rows(st);
}

static struct db_rows *
db_query_v(struct db *db, int buffered, const char *sql, const char *types, va_list ap)
{
	MYSQL_STMT *st = db_run(db, sql, types, ap);
	struct db_rows *r;
	MYSQL_FIELD *fields;

	if (st == NULL)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->db = db;
	r->stmt = st;
	if ((r->meta = mysql_stmt_result_metadata(st)) == NULL) {
		db_set_error(db, 0, "statement returns no rows");
		free(r);
		return NULL;
	}
	r->ncols = (int)mysql_num_fields(r->meta);
	fields = mysql_fetch_fields(r->meta);
	r->bind = xcalloc((size_t)r->ncols, sizeof *r->bind);
	r->buf = xcalloc((size_t)r->ncols, sizeof *r->buf);
	r->len = xcalloc((size_t)r->ncols, sizeof *r->len);
	r->isnull = xcalloc((size_t)r->ncols, sizeof *r->isnull);
	r->error = xcalloc((size_t)r->ncols, sizeof *r->error);
	for (int i = 0; i < r->ncols; i++) {
		/* every column arrives as text; long ones are refetched whole */
		unsigned long cap = fields[i].length < 64 ? 64 : fields[i].length > 1024 ? 1024 : fields[i].length;
		r->buf[i] = xmalloc(cap + 1);
		r->bind[i].buffer_type = MYSQL_TYPE_STRING;
		r->bind[i].buffer = r->buf[i];
		r->bind[i].buffer_length = cap;
		r->bind[i].length = &r->len[i];
		r->bind[i].is_null = &r->isnull[i];
		r->bind[i].error = &r->error[i];
	}
	if (mysql_stmt_bind_result(st, r->bind) != 0 ||
	    (buffered && mysql_stmt_store_result(st) != 0)) {
		db_from_stmt(db, st);
		db_rows_free(r);
		return NULL;
	}
	return r;
}

struct db_rows *
db_query(struct db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	struct db_rows *r;

	va_start(ap, types);
	r = db_query_v(db, 1, sql, types, ap);
	va_end(ap);
	return r;
}

struct db_rows *
db_query_stream(struct db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	struct db_rows *r;

	va_start(ap, types);
	r = db_query_v(db, 0, sql, types, ap);
	va_end(ap);
	return r;
}

int
db_rows_next(struct db_rows *r)
{
	int rc;

	if (r->done)
		return 0;
	rc = mysql_stmt_fetch(r->stmt);
	if (rc == MYSQL_NO_DATA) {
		r->done = 1;
		return 0;
	}
	if (rc == 1) {
		db_from_stmt(r->db, r->stmt);
		r->done = 1;
		return -1;
	}
	for (int i = 0; i < r->ncols; i++) {
		if (r->isnull[i])
			continue;
		if (r->len[i] > r->bind[i].buffer_length) {
			r->buf[i] = xrealloc(r->buf[i], r->len[i] + 1);
			r->bind[i].buffer = r->buf[i];
			r->bind[i].buffer_length = r->len[i];
			if (mysql_stmt_fetch_column(r->stmt, &r->bind[i], (unsigned)i, 0) != 0) {
				db_from_stmt(r->db, r->stmt);
				r->done = 1;
				return -1;
			}
		}
		r->buf[i][r->len[i]] = '\0';
	}
	/* rebinding is needed after a buffer grew */
	if (mysql_stmt_bind_result(r->stmt, r->bind) != 0) {
		db_from_stmt(r->db, r->stmt);
		return -1;
	}
	return 1;
}

int
db_rows_ncols(const struct db_rows *r)
{
	return r->ncols;
}

const char *
db_rows_name(const struct db_rows *r, int col)
{
	return mysql_fetch_fields(r->meta)[col].name;
}

const char *
db_rows_str(const struct db_rows *r, int col)
{
	if (col < 0 || col >= r->ncols)
		fatalx("database: column %d of %d", col, r->ncols);
	return r->isnull[col] ? NULL : r->buf[col];
}

int64_t
db_rows_int(const struct db_rows *r, int col)
{
	const char *s = db_rows_str(r, col);

	return s == NULL ? 0 : (int64_t)strtoll(s, NULL, 10);
}

int
db_rows_isnull(const struct db_rows *r, int col)
{
	return db_rows_str(r, col) == NULL;
}

void
db_rows_free(struct db_rows *r)
{
	if (r == NULL)
		return;
	/* the statement stays cached; only its result is released (reading
	 * out any rows left). No mysql_stmt_reset: that is a round trip to the
	 * server per query, and only cursors and long data need it. */
	mysql_stmt_free_result(r->stmt);
	if (r->meta != NULL)
		mysql_free_result(r->meta);
	for (int i = 0; i < r->ncols; i++)
		free(r->buf[i]);
	free(r->bind);
	free(r->buf);
	free(r->len);
	free(r->isnull);
	free(r->error);
	free(r);
}

int
db_query_int(struct db *db, int64_t *out, const char *sql, const char *types, ...)
{
	va_list ap;
	struct db_rows *r;
	int rc;

	va_start(ap, types);
	r = db_query_v(db, 1, sql, types, ap);
	va_end(ap);
	if (r == NULL)
		return -1;
	rc = db_rows_next(r);
	if (rc == 1)
		*out = db_rows_int(r, 0);
	db_rows_free(r);
	return rc;
}

int
db_exec_script(struct db *db, const char *sql, int *failed_stmt)
{
	int n = 1, rc = 0;

	*failed_stmt = 0;
	if (db->my == NULL && db_reconnect(db) != 0)
		return -1;
	mysql_set_server_option(db->my, MYSQL_OPTION_MULTI_STATEMENTS_ON);
	if (mysql_real_query(db->my, sql, strlen(sql)) != 0) {
		db_set_error(db, mysql_errno(db->my), mysql_error(db->my));
		*failed_stmt = 1;
		rc = -1;
	} else {
		for (;;) {
			MYSQL_RES *res = mysql_store_result(db->my);
			int next;
			if (res != NULL)
				mysql_free_result(res);
			if ((next = mysql_next_result(db->my)) == -1)
				break;
			n++;
			if (next > 0) {
				db_set_error(db, mysql_errno(db->my), mysql_error(db->my));
				*failed_stmt = n;
				rc = -1;
				break;
			}
		}
	}
	mysql_set_server_option(db->my, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	return rc;
}

int64_t
db_insert_id(struct db *db)
{
	return (int64_t)mysql_insert_id(db->my);
}

unsigned
db_errno(struct db *db)
{
	return db->err;
}

const char *
db_error(struct db *db)
{
	return db->errmsg;
}

int
db_is_retryable(struct db *db)
{
	return db->err == ER_LOCK_DEADLOCK || db->err == ER_LOCK_WAIT_TIMEOUT;
}

static int
db_simple(struct db *db, const char *sql)
{
	if (db->my == NULL && db_reconnect(db) != 0)
		return -1;
	if (mysql_query(db->my, sql) != 0) {
		db_set_error(db, mysql_errno(db->my), mysql_error(db->my));
		return -1;
	}
	return 0;
}

int
db_begin(struct db *db)
{
	if (db_simple(db, "START TRANSACTION") != 0) {
		if (!db_lost(db->err) || db_reconnect(db) != 0 || db_simple(db, "START TRANSACTION") != 0)
			return -1;
	}
	db->in_tx = 1;
	return 0;
}

int
db_commit(struct db *db)
{
	int rc = db_simple(db, "COMMIT");

	db->in_tx = 0;
	return rc;
}

int
db_rollback(struct db *db)
{
	int rc = db_simple(db, "ROLLBACK");

	db->in_tx = 0;
	return rc;
}

int
db_tx(struct db *db, int (*fn)(struct db *, void *), void *arg)
{
	for (int attempt = 0;; attempt++) {
		int rc;

		if (db_begin(db) != 0)
			return -1;
		rc = fn(db, arg);
		if (rc == 0 && db_commit(db) == 0)
			return 0;
		if (rc == 0)
			rc = -1;	/* the commit failed */
		else {
			unsigned err = db->err;
			char msg[sizeof db->errmsg];
			memcpy(msg, db->errmsg, sizeof msg);
			db_rollback(db);
			db->err = err;	/* keep the cause, not the rollback's answer */
			memcpy(db->errmsg, msg, sizeof msg);
		}
		if (rc != -1 || !db_is_retryable(db) || attempt >= db->retries)
			return rc;
		atomic_fetch_add(&db_retries, 1);
		/* back off a little, more each time, so the winners finish */
		struct timespec ts = { 0, (long)(1000000L * (1 + attempt) + (rand() % 1000) * 1000L) };
		nanosleep(&ts, NULL);
	}
}
