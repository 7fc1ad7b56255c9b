/*
 * Monthly partitions of `readings`, kept ahead by the poller: the table
 * starts with one catch-all partition (pmax); once an hour the poller
 * splits pmax so the current month and the next months_ahead have their
 * own. Splitting an empty pmax is instant; if maintenance was off for a
 * while the rows in pmax are moved, which is slower but still correct, so
 * an insert never fails for want of a partition. Old months can then be
 * archived or dropped by partition (docs/poller.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "meters/poller/poller.h"
#include "lib/log.h"

/* yyyymm of the month n months after the one containing t */
static int
month_after(int64_t t, int n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int y, m;

	gmtime_r(&tt, &tm);
	y = tm.tm_year + 1900;
	m = tm.tm_mon + n;
	y += m / 12;
	m %= 12;
	return y * 100 + m + 1;
}

int
readings_partitions_ensure(struct db *db, int64_t now_s, int months_ahead)
{
	struct db_rows *rows;
	char have[64][16];
	int nhave = 0, rc, failed = 0;

	rows = db_query(db, "SELECT PARTITION_NAME FROM information_schema.PARTITIONS"
	    " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'readings'", "");
	if (rows == NULL)
		return -1;
	while ((rc = db_rows_next(rows)) == 1 && nhave < 64)
		if (db_rows_str(rows, 0) != NULL)
			snprintf(have[nhave++], sizeof have[0], "%s", db_rows_str(rows, 0));
	db_rows_free(rows);
	if (rc < 0)
		return -1;
	for (int i = 0; i <= months_ahead; i++) {
		int ym = month_after(now_s, i), next = month_after(now_s, i + 1), found = 0, last = 0;
		char name[16], sql[512];
		snprintf(name, sizeof name, "p%06d", ym);
		for (int k = 0; k < nhave; k++) {
			if (strcmp(have[k], name) == 0)
				found = 1;
			/* a later month already split off: this one cannot be inserted before it */
			if (have[k][0] == 'p' && strcmp(have[k], "pmax") != 0 && strcmp(have[k], name) > 0)
				last = 1;
		}
		if (found || last)
			continue;
		/* identifiers and bounds come from the clock, never from input */
		snprintf(sql, sizeof sql, "ALTER TABLE readings REORGANIZE PARTITION pmax INTO ("
		    "PARTITION %s VALUES LESS THAN ('%04d-%02d-01'), PARTITION pmax VALUES LESS THAN (MAXVALUE))",
		    name, next / 100, next % 100);
		if (db_exec_script(db, sql, &failed) != 0) {
			log_error("readings: adding partition %s: %s", name, db_error(db));
			return -1;
		}
		log_info("readings: partition %s added", name);
		if (nhave < 64)
			snprintf(have[nhave++], sizeof have[0], "%s", name);
	}
	return 0;
}
