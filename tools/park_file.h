/*
 * The park file (docs/park-file.md): a JSON description of sites, their
 * calendars, units, tenants, accounts, gateways and meters, imported by
 * `prepayctl park import`. This module only parses and validates: no I/O,
 * so it is unit tested and fuzzed on its own. Checks that need the machine
 * (does the time zone exist?) or the database are the caller's.
 *
 * Every error names the path inside the file:
 *   demo-park.json: sites[0].meters[3].gateway: no gateway "gw9" in site "demo"
 * JSON syntax errors give line:column instead.
 */
#ifndef PREPAY_PARK_FILE_H
#define PREPAY_PARK_FILE_H
#include <stddef.h>
#include <stdint.h>

#define PARK_FILE_MAX_BYTES (8 * 1024 * 1024)
#define PARK_MAX_ERRORS 20
#define PARK_ERROR_LEN 320

#define PARK_CODE_MAX 32	/* characters, as in the schema */
#define PARK_NAME_MAX 128

enum park_day_kind { PARK_HOLIDAY, PARK_WORKDAY };
enum park_transport { PARK_TCP, PARK_RTU };

struct park_day {
	char date[11];		/* "2026-10-01" */
	enum park_day_kind kind;
	const char *name;	/* "" when not given */
};

struct park_unit {
	const char *code, *name;
	int64_t area_m2_e2;	/* 0.01 m² */
};

struct park_tenant {
	const char *code, *name;
	const char *contact_name, *contact_phone;	/* "" when not given */
};

struct park_account {
	const char *code;
	const char *tenant;	/* tenant code in the same site */
	const char *energy;	/* all, electricity, water, gas */
	int64_t overdraft_fen;
	int keep_power;
};

struct park_gateway {
	const char *code, *name;
	enum park_transport transport;
	const char *host;	/* tcp; NULL for rtu */
	int port;
	const char *device;	/* rtu; NULL for tcp */
	int baud;
	char parity;		/* 'N', 'E', 'O'; 0 for tcp */
	int timeout_ms, gap_ms;
};

struct park_meter {
	const char *code, *serial;
	const char *energy;	/* electricity, water, gas */
	const char *profile;
	const char *gateway;	/* gateway code, NULL when read by hand */
	int address;		/* Modbus unit id 1..247, 0 without gateway */
	const char *unit;	/* unit code or NULL */
	const char *account;	/* account code or NULL */
	int ct_ratio, pt_ratio;
	int relay;
};

struct park_site {
	const char *code, *name, *timezone;
	struct park_day *days;
	int ndays;
	struct park_unit *units;
	int nunits;
	struct park_tenant *tenants;
	int ntenants;
	struct park_account *accounts;
	int naccounts;
	struct park_gateway *gateways;
	int ngateways;
	struct park_meter *meters;
	int nmeters;
};

struct park {
	struct park_site *sites;
	int nsites;
	void *json;		/* the cJSON tree the strings point into */
};

struct park_errors {
	int n;			/* messages kept (at most PARK_MAX_ERRORS) */
	int total;		/* errors found */
	char msg[PARK_MAX_ERRORS][PARK_ERROR_LEN];
};

/*
 * Parses and validates text (len bytes, need not be NUL-terminated);
 * filename prefixes the messages. Returns the park, or NULL with at least
 * one message in errs.
 */
struct park *park_file_parse(const char *text, size_t len, const char *filename,
    struct park_errors *errs);
void park_free(struct park *);

/* Adds a message (printf style) to errs; used by the shell for checks it
 * makes after parsing, so they read the same. */
void park_error(struct park_errors *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Line and column (both from 1) of byte offset off in text. */
void park_line_col(const char *text, size_t len, size_t off, int *line, int *col);

#endif
