/*
 * prepayctl: the operator's command line. Each command lives in its own
 * tools/ctl_*.c file and is listed in the table in tools/prepayctl.c.
 */
#ifndef PREPAY_CTL_H
#define PREPAY_CTL_H
#include <stdarg.h>
#include "lib/config.h"
#include "lib/db.h"

/* Exit codes (documented in docs/prepayctl.8). */
enum ctl_exit {
	CTL_OK = 0,
	CTL_FOUND_PROBLEMS = 1,	/* the command ran and found violations (audit) */
	CTL_USAGE = 2,		/* bad arguments */
	CTL_INVALID = 3,	/* bad input data: file, amount, unknown id */
	CTL_CONFLICT = 4,	/* refused: key reused with other payload, below floor, closed */
	CTL_UNAVAILABLE = 5,	/* config or database could not be used */
};

struct ctl {
	const char *conf_path;	/* -c, else $PREPAY_CONF */
	struct config *cfg;
	struct db *db;
	int json;		/* --json: machine-readable output on stdout */
	const char *actor;	/* "operator:<login>" */
};

struct config *ctl_config(struct ctl *);	/* loads once, exits on error */
struct db *ctl_db(struct ctl *);		/* connects once, exits on error */

/* "prepayctl: message" on stderr; returns code so callers can
 * `return ctl_fail(c, CTL_INVALID, "...")`. */
int ctl_fail(struct ctl *, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Options: ctl_opts walks argv, filling values for "--name VALUE" options
 * named in opts (NULL-terminated names) and collecting positional
 * arguments. Unknown options are a usage error. Returns the number of
 * positional arguments or -1 (message printed).
 */
struct ctl_opt {
	const char *name;	/* "request-id" for --request-id */
	const char **value;	/* set when given */
	int is_flag;		/* no value; *value becomes "1" */
};
int ctl_opts(int argc, char **argv, struct ctl_opt *opts, char **pos, int maxpos);

/* A table for people: columns aligned by display width (CJK counts 2). */
struct ctl_table;
struct ctl_table *ctl_table_new(int ncols, const char *const *headers);
/* right-align a column (numbers, money) */
void ctl_table_right(struct ctl_table *, int col);
void ctl_table_add(struct ctl_table *, const char *const *cells);
void ctl_table_print(struct ctl_table *);	/* prints and frees */

/* Parse a positive id or code ("42"); -1 when not a number. */
long long ctl_parse_id(const char *s);

/* What an operator typed for an account, "42" (id) or "SITE/CODE" (demo/t01-e),
 * to its id. Returns CTL_OK, or after printing why: CTL_INVALID (no such
 * account, or not an account name) or CTL_UNAVAILABLE (database). */
int ctl_account_resolve(struct ctl *, const char *arg, int64_t *id);
/* a site code → its id; "no site" is CTL_INVALID (exit 3), as every --site SITE */
int ctl_site_resolve(struct ctl *, const char *code, int64_t *id);
/* a meter as an operator types it, "42" or "SITE/CODE" (demo/m01), to its id; CTL_OK, CTL_INVALID or CTL_UNAVAILABLE, said why */
int ctl_meter_resolve(struct ctl *, const char *arg, int64_t *id);

typedef int (*ctl_fn)(struct ctl *, int argc, char **argv);

/* Commands (one file each) get the arguments after the command words. */
int ctl_park_import(struct ctl *, int, char **);	/* tools/ctl_park.c */
int ctl_account_list(struct ctl *, int, char **);	/* tools/ctl_account.c */
int ctl_account_show(struct ctl *, int, char **);
int ctl_db_migrate(struct ctl *, int, char **);
int ctl_tariff_quote(struct ctl *, int, char **);	/* tools/ctl_tariff.c */
int ctl_topup(struct ctl *, int, char **);		/* tools/ctl_ledger.c */
int ctl_adjust(struct ctl *, int, char **);
int ctl_audit(struct ctl *, int, char **);
int ctl_account_keep_power(struct ctl *, int, char **);	/* tools/ctl_policy.c */
int ctl_account_emergency_credit(struct ctl *, int, char **);
int ctl_account_policy(struct ctl *, int, char **);
int ctl_site_policy(struct ctl *, int, char **);
int ctl_policy_run(struct ctl *, int, char **);
int ctl_alerts_list(struct ctl *, int, char **);	/* tools/ctl_alerts.c */
int ctl_alerts_settings(struct ctl *, int, char **);
int ctl_contact_add(struct ctl *, int, char **);
int ctl_contact_list(struct ctl *, int, char **);
int ctl_contact_remove(struct ctl *, int, char **);

int ctl_tariff_import(struct ctl *, int, char **);	/* tools/ctl_tariff_db.c */
int ctl_tariff_list(struct ctl *, int, char **);
int ctl_tariff_show(struct ctl *, int, char **);
int ctl_tariff_assign(struct ctl *, int, char **);
int ctl_tariff_rerate(struct ctl *, int, char **);
int ctl_consume(struct ctl *, int, char **);
int ctl_statement_run(struct ctl *, int, char **);
int ctl_statement_show(struct ctl *, int, char **);
int ctl_meter_share(struct ctl *, int, char **);	/* tools/ctl_share.c */
int ctl_meter_loss(struct ctl *, int, char **);
int ctl_fixed_run(struct ctl *, int, char **);
int ctl_meter_list(struct ctl *, int, char **);		/* tools/ctl_meter.c */
int ctl_meter_show(struct ctl *, int, char **);
int ctl_meter_cut(struct ctl *, int, char **);
int ctl_meter_restore(struct ctl *, int, char **);
int ctl_user_add(struct ctl *, int, char **);		/* tools/ctl_user.c */
int ctl_user_list(struct ctl *, int, char **);
int ctl_account_settle(struct ctl *, int, char **);	/* tools/ctl_settle.c */
int ctl_refund_cash(struct ctl *, int, char **);
int ctl_recon(struct ctl *, int, char **);		/* tools/ctl_recon.c */
int ctl_wechat_bindings(struct ctl *, int, char **);	/* tools/ctl_wechat.c */
int ctl_wechat_unbind(struct ctl *, int, char **);
int ctl_usage_rebuild(struct ctl *, int, char **);	/* tools/ctl_usage.c */

#endif
