/*
 * MariaDB access: prepared statements only, cached per connection, the
 * session in UTC, and transactions that retry on deadlock (1213), lock wait
 * timeout (1205) and Galera certification failure (1213 too) — invariant 7.
 *
 * Parameters are described by a type string, one letter each:
 *   'i' int64_t   's' const char * (NULL binds SQL NULL)   'n' SQL NULL
 * One connection is used by one thread at a time.
 */
#ifndef PREPAY_DB_H
#define PREPAY_DB_H
#include <stddef.h>
#include <stdint.h>
#include "lib/config.h"

struct db;
struct db_rows;

struct db *db_connect(const struct config *, char *err, size_t errlen);
void db_close(struct db *);

/* Returns affected rows (>= 0) or -1; the error is in db_errno/db_error. */
long long db_exec(struct db *, const char *sql, const char *types, ...);
/* All rows, fetched into memory; NULL on error. */
struct db_rows *db_query(struct db *, const char *sql, const char *types, ...);
/* Rows fetched one at a time (for large reads); no other statement may run
 * on this connection until db_rows_free. */
struct db_rows *db_query_stream(struct db *, const char *sql, const char *types, ...);
/* 1 = a row is ready, 0 = no more rows, -1 = error. */
int db_rows_next(struct db_rows *);
int db_rows_ncols(const struct db_rows *);
const char *db_rows_name(const struct db_rows *, int col);
const char *db_rows_str(const struct db_rows *, int col);	/* NULL for SQL NULL */
int64_t db_rows_int(const struct db_rows *, int col);		/* 0 for SQL NULL */
int db_rows_isnull(const struct db_rows *, int col);
void db_rows_free(struct db_rows *);

/* Convenience: the first column of the first row as int64; 1 found,
 * 0 no row, -1 error. */
int db_query_int(struct db *, int64_t *out, const char *sql, const char *types, ...);

/* Runs a script of several ';'-separated statements (migrations only: no
 * parameters). Returns 0 or -1; on error *failed_stmt is the 1-based index
 * of the statement that failed. */
int db_exec_script(struct db *, const char *sql, int *failed_stmt);

int64_t db_insert_id(struct db *);
unsigned db_errno(struct db *);
const char *db_error(struct db *);
int db_is_retryable(struct db *);

int db_begin(struct db *);
int db_commit(struct db *);
int db_rollback(struct db *);

/*
 * Runs fn inside a transaction and commits. fn returns 0 to commit, or -1
 * after a failed db_* call (retried from the start when the error is a
 * deadlock or lock timeout), or any other value to roll back and return it.
 * Returns 0, -1 (database error, retries exhausted) or fn's value.
 */
int db_tx(struct db *, int (*fn)(struct db *, void *), void *arg);
/* Counts of deadlock retries since start (for /metrics and benchmarks). */
unsigned long db_retry_count(void);

#endif
