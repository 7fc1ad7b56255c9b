/*
 * prepayctl meter list | show | cut | restore — the meters as the poller
 * sees them, and manual switching (docs/poller.md, prepayctl(8)).
 *
 * A manual cut HOLDS: it writes a relay command (actor operator:NAME) and
 * marks the meter held off, and the poller will not close that relay for
 * anybody but an operator — a tenant's top-up does not re-energise a
 * circuit an electrician opened. `meter restore` clears the hold and
 * closes the relay; it does not hold on: the policy's next decision to cut
 * (a new crossing) applies as usual. Keep-power is the tool for "never cut".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tools/ctl.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define METER_REASON_MAX 255
#define METER_SHOWN 8

int
ctl_meter_resolve(struct ctl *c, const char *arg, int64_t *id)
{
	const char *slash = strchr(arg, '/');
	long long n = ctl_parse_id(arg);
	int found;

	if (n > 0) {
		found = db_query_int(ctl_db(c), id, "SELECT id FROM meters WHERE id = ?", "i", (int64_t)n);
	} else if (slash != NULL && slash != arg && slash[1] != '\0' && strchr(slash + 1, '/') == NULL &&
	    slash - arg <= 32 && strlen(slash + 1) <= 32) {
		char site[33];
		snprintf(site, sizeof site, "%.*s", (int)(slash - arg), arg);
		found = db_query_int(ctl_db(c), id, "SELECT m.id FROM meters m JOIN sites s ON s.id = m.site_id"
		    " WHERE s.code = ? AND m.code = ?", "ss", site, slash + 1);
	} else {
		return ctl_fail(c, CTL_INVALID, "\"%.80s\" is not a meter: give its id (42) or SITE/CODE"
		    " (demo/m01), as in prepayctl meter list", arg);
	}
	if (found < 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot look up meter %.80s: %s", arg, db_error(c->db));
	if (found == 0)
		return ctl_fail(c, CTL_INVALID, "no meter %.80s (see prepayctl meter list)", arg);
	return CTL_OK;
}

/* milli-units → "1234.567" */
static const char *
milli_text(const char *s, char buf[32])
{
	long long v;

	if (s == NULL)
		return "-";
	v = strtoll(s, NULL, 10);
	snprintf(buf, 32, "%s%lld.%03lld", v < 0 ? "-" : "", llabs(v) / 1000, llabs(v) % 1000);
	return buf;
}

static const char *
state_text(int64_t enabled, int64_t offline, const char *last, const char *hold)
{
	if (!enabled)
		return "disabled";
	if (hold != NULL && strcmp(hold, "off") == 0)
		return offline ? "held-off,offline" : "held-off";
	if (offline)
		return "offline";
	return last == NULL ? "not-read" : "ok";
}

static void
json_add(cJSON *o, struct db_rows *r, int col, const char *name, int numeric)
{
	const char *s = db_rows_str(r, col);

	if (s == NULL)
		cJSON_AddNullToObject(o, name);
	else if (numeric)
		cJSON_AddNumberToObject(o, name, (double)db_rows_int(r, col));
	else
		cJSON_AddStringToObject(o, name, s);
}

int
ctl_meter_list(struct ctl *c, int argc, char **argv)
{
	const char *site = NULL, *offline = NULL;
	struct ctl_opt opts[] = { { "site", &site, 0 }, { "offline", &offline, 1 }, { NULL, NULL, 0 } };
	static const char *const head[] = { "ID", "SITE", "METER", "PROFILE", "GATEWAY", "UNIT", "ACCOUNT",
	    "LAST READ (UTC)", "COUNTER", "STATE", "RELAY", "QUAR" };
	struct ctl_table *t = NULL;
	struct db_rows *r;
	cJSON *arr = NULL;
	char *pos[1];
	int64_t site_id;
	int n = 0, rc;

	if (ctl_opts(argc, argv, opts, pos, 0) != 0)
		return CTL_USAGE;
	if (site != NULL && (rc = ctl_site_resolve(c, site, &site_id)) != CTL_OK)
		return rc;
	r = db_query(ctl_db(c), "SELECT m.id, s.code, m.code, m.profile, COALESCE(g.code, ''), m.modbus_unit,"
	    " COALESCE(a.code, ''), ms.last_read_at, ms.good_energy_milli, m.enabled, COALESCE(ms.offline, 0),"
	    " ms.hold, COALESCE(ms.relay_state, 'unknown'), m.relay_capable, COALESCE(ms.quarantined, 0),"
	    " ms.last_error"
	    " FROM meters m JOIN sites s ON s.id = m.site_id LEFT JOIN gateways g ON g.id = m.gateway_id"
	    " LEFT JOIN accounts a ON a.id = m.account_id LEFT JOIN meter_state ms ON ms.meter_id = m.id"
	    " WHERE (? IS NULL OR s.code = ?) AND (? IS NULL OR ms.offline = 1) ORDER BY s.code, m.code",
	    "sss", site, site, offline);
	if (r == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot list meters: %s", db_error(c->db));
	if (c->json) {
		arr = cJSON_CreateArray();
	} else {
		t = ctl_table_new(12, head);
		ctl_table_right(t, 0);
		ctl_table_right(t, 5);
		ctl_table_right(t, 8);
		ctl_table_right(t, 11);
	}
	while ((rc = db_rows_next(r)) == 1) {
		char id[24], unit[16], counter[32], quar[16], last[20];
		const char *state = state_text(db_rows_int(r, 9), db_rows_int(r, 10), db_rows_str(r, 7),
		    db_rows_str(r, 11));
		const char *relay = db_rows_int(r, 13) ? db_rows_str(r, 12) : "-";
		n++;
		if (arr != NULL) {
			cJSON *o = cJSON_CreateObject();
			json_add(o, r, 0, "id", 1);
			json_add(o, r, 1, "site", 0);
			json_add(o, r, 2, "code", 0);
			json_add(o, r, 3, "profile", 0);
			json_add(o, r, 4, "gateway", 0);
			json_add(o, r, 5, "unit", 1);
			json_add(o, r, 6, "account", 0);
			json_add(o, r, 7, "last_read_at", 0);
			json_add(o, r, 8, "energy_milli", 1);
			cJSON_AddStringToObject(o, "state", state);
			cJSON_AddStringToObject(o, "relay", relay);
			json_add(o, r, 14, "quarantined", 1);
			json_add(o, r, 15, "last_error", 0);
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		snprintf(id, sizeof id, "%" PRId64, db_rows_int(r, 0));
		snprintf(unit, sizeof unit, "%" PRId64, db_rows_int(r, 5));
		snprintf(quar, sizeof quar, "%" PRId64, db_rows_int(r, 14));
		snprintf(last, sizeof last, "%.19s", db_rows_str(r, 7) ? db_rows_str(r, 7) : "-");
		{
			const char *cells[] = { id, db_rows_str(r, 1), db_rows_str(r, 2), db_rows_str(r, 3),
			    db_rows_str(r, 4), unit, db_rows_str(r, 6), last, milli_text(db_rows_str(r, 8), counter),
			    state, relay, quar };
			ctl_table_add(t, cells);
		}
	}
	db_rows_free(r);
	if (rc < 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot list meters: %s", db_error(c->db));
	if (arr != NULL) {
		char *s = cJSON_Print(arr);
		puts(s);
		free(s);
		cJSON_Delete(arr);
		return CTL_OK;
	}
	ctl_table_print(t);
	printf("%d meter%s (counter: kWh or m³ on the primary side, as last accepted)\n", n, n == 1 ? "" : "s");
	return CTL_OK;
}

int
ctl_meter_show(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { NULL, NULL, 0 } };
	char *pos[1], buf[32];
	struct db_rows *r;
	int64_t id;
	int rc, n = 0;
	cJSON *o = NULL, *arr;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "usage: prepayctl meter show ID|SITE/CODE\n");
		return CTL_USAGE;
	}
	if ((rc = ctl_meter_resolve(c, pos[0], &id)) != CTL_OK)
		return rc;
	r = db_query(c->db, "SELECT m.id, s.code, m.code, m.serial, m.energy, m.profile, COALESCE(g.code, '-'),"
	    " m.modbus_unit, COALESCE(CONCAT(s.code, '/', a.code), '-'), m.ct_ratio, m.pt_ratio, m.relay_capable,"
	    " m.enabled, ms.last_read_at, ms.good_at, ms.good_energy_milli, ms.cand_at, ms.fail_cycles,"
	    " COALESCE(ms.offline, 0), ms.offline_since, ms.last_error, ms.quarantined, ms.readings,"
	    " COALESCE(ms.relay_state, 'unknown'), ms.relay_checked_at, COALESCE(ms.hold, 'none'), ms.hold_reason,"
	    " ms.hold_actor, ms.hold_at"
	    " FROM meters m JOIN sites s ON s.id = m.site_id LEFT JOIN gateways g ON g.id = m.gateway_id"
	    " LEFT JOIN accounts a ON a.id = m.account_id LEFT JOIN meter_state ms ON ms.meter_id = m.id"
	    " WHERE m.id = ?", "i", id);
	if (r == NULL || db_rows_next(r) != 1) {
		db_rows_free(r);
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read meter %" PRId64 ": %s", id, db_error(c->db));
	}
	if (c->json) {
		o = cJSON_CreateObject();
		for (int i = 0; i < db_rows_ncols(r); i++) {
			const char *name = db_rows_name(r, i);
			static const char *const names[] = { "id", "site", "code", "serial", "energy", "profile",
			    "gateway", "unit", "account", "ct_ratio", "pt_ratio", "relay_capable", "enabled",
			    "last_read_at", "good_at", "energy_milli", "suspect_at", "fail_cycles", "offline",
			    "offline_since", "last_error", "quarantined", "readings", "relay", "relay_checked_at",
			    "hold", "hold_reason", "hold_actor", "hold_at" };
			static const int numeric[] = { 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0,
			    1, 1, 0, 0, 0, 0, 0, 0 };
			(void)name;
			if (i < (int)(sizeof names / sizeof names[0]))
				json_add(o, r, i, names[i], numeric[i]);
		}
	} else {
		printf("meter %s/%s (id %" PRId64 "), serial %s, %s, profile %s\n", db_rows_str(r, 1),
		    db_rows_str(r, 2), db_rows_int(r, 0), db_rows_str(r, 3), db_rows_str(r, 4), db_rows_str(r, 5));
		printf("  bus:        gateway %s, unit %" PRId64 ", CT %" PRId64 " x PT %" PRId64 "%s%s\n",
		    db_rows_str(r, 6), db_rows_int(r, 7), db_rows_int(r, 9), db_rows_int(r, 10),
		    db_rows_int(r, 11) ? ", relay" : "", db_rows_int(r, 12) ? "" : ", DISABLED");
		printf("  account:    %s\n", db_rows_str(r, 8));
		printf("  state:      %s", state_text(db_rows_int(r, 12), db_rows_int(r, 18), db_rows_str(r, 13),
		    db_rows_str(r, 25)));
		if (db_rows_int(r, 18))
			printf(" since %.19s", db_rows_str(r, 19) ? db_rows_str(r, 19) : "?");
		printf(", %" PRId64 " failed attempt(s) in a row\n", db_rows_int(r, 17));
		printf("  last read:  %.23s UTC; baseline %s at %.23s\n", db_rows_str(r, 13) ? db_rows_str(r, 13) : "never",
		    milli_text(db_rows_str(r, 15), buf), db_rows_str(r, 14) ? db_rows_str(r, 14) : "-");
		if (db_rows_str(r, 16) != NULL)
			printf("  suspect:    a quarantined reading of %.23s waits for confirmation\n", db_rows_str(r, 16));
		printf("  readings:   %" PRId64 " stored, %" PRId64 " quarantined\n", db_rows_int(r, 22),
		    db_rows_int(r, 21));
		if (db_rows_str(r, 20) != NULL && db_rows_str(r, 20)[0] != '\0')
			printf("  last error: %s\n", db_rows_str(r, 20));
		if (db_rows_int(r, 11))
			printf("  relay:      supply %s (read back %.19s)\n", db_rows_str(r, 23),
			    db_rows_str(r, 24) ? db_rows_str(r, 24) : "never");
		if (strcmp(db_rows_str(r, 25), "off") == 0)
			printf("  HELD OFF:   by %s at %.19s: %s (prepayctl meter restore clears it)\n",
			    db_rows_str(r, 27), db_rows_str(r, 28) ? db_rows_str(r, 28) : "", db_rows_str(r, 26));
	}
	db_rows_free(r);

	r = db_query(c->db, "SELECT read_at, verdict, suspect, energy_milli, billed_milli, note FROM readings"
	    " WHERE meter_id = ? ORDER BY read_at DESC LIMIT 8", "i", id);
	if (r == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read readings: %s", db_error(c->db));
	arr = o ? cJSON_AddArrayToObject(o, "readings") : NULL;
	while ((rc = db_rows_next(r)) == 1) {
		char b2[32];
		if (arr != NULL) {
			cJSON *x = cJSON_CreateObject();
			json_add(x, r, 0, "read_at", 0);
			json_add(x, r, 1, "verdict", 0);
			json_add(x, r, 2, "suspect", 0);
			json_add(x, r, 3, "energy_milli", 1);
			json_add(x, r, 4, "billed_milli", 1);
			json_add(x, r, 5, "note", 0);
			cJSON_AddItemToArray(arr, x);
			continue;
		}
		if (n++ == 0)
			printf("  last readings (UTC, counter, billed):\n");
		printf("    %.23s  %12s  %10s  %s%s%s\n", db_rows_str(r, 0), milli_text(db_rows_str(r, 3), buf),
		    milli_text(db_rows_str(r, 4), b2), db_rows_str(r, 1),
		    db_rows_str(r, 5)[0] ? ": " : "", db_rows_str(r, 5));
	}
	db_rows_free(r);

	r = db_query(c->db, "SELECT id, action, status, actor, reason, attempts, COALESCE(readback, ''), created_at"
	    " FROM relay_commands WHERE meter_id = ? ORDER BY id DESC LIMIT 8", "i", id);
	if (r == NULL)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot read relay commands: %s", db_error(c->db));
	arr = o ? cJSON_AddArrayToObject(o, "relay_commands") : NULL;
	n = 0;
	while ((rc = db_rows_next(r)) == 1) {
		if (arr != NULL) {
			cJSON *x = cJSON_CreateObject();
			json_add(x, r, 0, "id", 1);
			json_add(x, r, 1, "action", 0);
			json_add(x, r, 2, "status", 0);
			json_add(x, r, 3, "actor", 0);
			json_add(x, r, 4, "reason", 0);
			json_add(x, r, 5, "attempts", 1);
			json_add(x, r, 6, "readback", 0);
			json_add(x, r, 7, "created_at", 0);
			cJSON_AddItemToArray(arr, x);
			continue;
		}
		if (n++ == 0)
			printf("  relay commands:\n");
		printf("    #%" PRId64 " %.19s %-5s %-10s by %s, %" PRId64 " attempt(s)%s%s: %.80s\n", db_rows_int(r, 0),
		    db_rows_str(r, 7), db_rows_str(r, 1), db_rows_str(r, 2), db_rows_str(r, 3), db_rows_int(r, 5),
		    db_rows_str(r, 6)[0] ? ", " : "", db_rows_str(r, 6), db_rows_str(r, 4));
	}
	db_rows_free(r);
	if (o != NULL) {
		char *s = cJSON_Print(o);
		puts(s);
		free(s);
		cJSON_Delete(o);
	}
	return CTL_OK;
}

struct switch_job {
	int64_t meter_id;
	int off;			/* 1 cut, 0 restore */
	const char *actor, *reason, *request_id;
	/* out */
	int64_t command_id, account_id;
	int replayed, policy_off;
	char why[256];
};

static int
tx_switch(struct db *db, void *arg)
{
	struct switch_job *j = arg;
	struct db_rows *r;
	int64_t relay = 0, account = 0, prior = 0;
	char *detail;
	cJSON *d;
	int rc;

	j->replayed = j->policy_off = 0;
	j->why[0] = '\0';
	/* the meter row first: two runs of the same request wait for each
	 * other here, so the second sees the first's audit row */
	if ((r = db_query(db, "SELECT relay_capable, COALESCE(account_id, 0) FROM meters WHERE id = ? FOR UPDATE",
	    "i", j->meter_id)) == NULL)
		return -1;
	if ((rc = db_rows_next(r)) == 1) {
		relay = db_rows_int(r, 0);
		account = db_rows_int(r, 1);
	}
	db_rows_free(r);
	if (rc < 0)
		return -1;
	if (j->request_id != NULL) {
		struct db_rows *q = db_query(db, "SELECT action, object_id,"
		    " CAST(JSON_VALUE(detail, '$.relay_command') AS SIGNED) FROM audit_log"
		    " WHERE request_id = ? AND action IN ('meter.cut', 'meter.restore') AND object_type = 'meter'"
		    " LIMIT 1", "s", j->request_id);
		int found;
		if (q == NULL)
			return -1;
		if ((found = db_rows_next(q)) == 1) {
			int same = strcmp(db_rows_str(q, 0), j->off ? "meter.cut" : "meter.restore") == 0 &&
			    db_rows_int(q, 1) == j->meter_id;
			if (!same)
				snprintf(j->why, sizeof j->why, "request id %s was already used for %s of meter %"
				    PRId64 "; use a new request id", j->request_id, db_rows_str(q, 0),
				    db_rows_int(q, 1));
			prior = db_rows_int(q, 2);
		}
		db_rows_free(q);
		if (found < 0)
			return -1;
		if (found == 1 && j->why[0] != '\0')
			return 2;
		if (found == 1) {
			j->replayed = 1;
			j->command_id = prior;
			return 0;
		}
	}
	if (!relay) {
		snprintf(j->why, sizeof j->why, "meter %" PRId64 " has no relay or valve: it cannot be switched"
		    " (cut the supply at the breaker and tell the tenant)", j->meter_id);
		return 2;
	}
	j->account_id = account;
	if (db_exec(db, "INSERT IGNORE INTO meter_state (meter_id) VALUES (?)", "i", j->meter_id) < 0)
		return -1;
	if (db_exec(db, "UPDATE meter_state SET hold = ?, hold_reason = ?, hold_actor = ?,"
	    " hold_at = IF(? = 'off', UTC_TIMESTAMP(6), NULL) WHERE meter_id = ?", "ssssi",
	    j->off ? "off" : "none", j->off ? j->reason : "", j->off ? j->actor : "", j->off ? "off" : "none",
	    j->meter_id) < 0)
		return -1;
	if (db_exec(db, "UPDATE relay_commands SET status = 'superseded', completed_at = UTC_TIMESTAMP(6)"
	    " WHERE meter_id = ? AND status = 'pending'", "i", j->meter_id) < 0)
		return -1;
	if (db_exec(db, "INSERT INTO relay_commands (meter_id, account_id, action, reason, actor)"
	    " VALUES (?, IF(? = 0, NULL, ?), ?, ?, ?)", "iiisss", j->meter_id, account, account,
	    j->off ? "open" : "close", j->reason, j->actor) < 0)
		return -1;
	j->command_id = db_insert_id(db);
	if (!j->off && account > 0) {
		int64_t off = 0;
		if (db_query_int(db, &off, "SELECT supply = 'off' FROM account_policy_state WHERE account_id = ?", "i",
		    account) < 0)
			return -1;
		j->policy_off = off != 0;
	}
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "relay_command", (double)j->command_id);
	cJSON_AddStringToObject(d, "action", j->off ? "open" : "close");
	cJSON_AddStringToObject(d, "reason", j->reason);
	cJSON_AddBoolToObject(d, "hold", j->off);
	if (account > 0)
		cJSON_AddNumberToObject(d, "account_id", (double)account);
	if (j->policy_off)
		cJSON_AddStringToObject(d, "note", "the account's policy says supply off: restored by hand");
	detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	rc = (int)db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id, detail)"
	    " VALUES (?, ?, 'meter', ?, ?, ?)", "ssiss", j->actor, j->off ? "meter.cut" : "meter.restore",
	    j->meter_id, j->request_id, detail);
	free(detail);
	return rc < 0 ? -1 : 0;
}

static int
meter_switch(struct ctl *c, int argc, char **argv, int off)
{
	const char *reason = NULL, *request_id = NULL;
	struct ctl_opt opts[] = { { "reason", &reason, 0 }, { "request-id", &request_id, 0 }, { NULL, NULL, 0 } };
	struct switch_job j;
	char *pos[1];
	int rc;

	if (ctl_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "usage: prepayctl meter %s ID|SITE/CODE --reason TEXT [--request-id ID]\n",
		    off ? "cut" : "restore");
		return CTL_USAGE;
	}
	if (reason == NULL || reason[0] == '\0')
		return ctl_fail(c, CTL_USAGE, "--reason is required: say why the supply is %s by hand (it goes"
		    " into the audit trail)", off ? "cut" : "restored");
	if (strlen(reason) > METER_REASON_MAX)
		return ctl_fail(c, CTL_INVALID, "--reason is %zu bytes; keep it under %d", strlen(reason),
		    METER_REASON_MAX);
	memset(&j, 0, sizeof j);
	if ((rc = ctl_meter_resolve(c, pos[0], &j.meter_id)) != CTL_OK)
		return rc;
	j.off = off;
	j.actor = c->actor;
	j.reason = reason;
	j.request_id = request_id;
	rc = db_tx(c->db, tx_switch, &j);
	if (rc == 2)
		return ctl_fail(c, CTL_CONFLICT, "%s", j.why);
	if (rc != 0)
		return ctl_fail(c, CTL_UNAVAILABLE, "cannot queue the relay command: %s", db_error(c->db));
	if (c->json) {
		printf("{\"meter_id\":%" PRId64 ",\"relay_command\":%" PRId64 ",\"action\":\"%s\",\"replayed\":%s,"
		    "\"hold\":%s,\"policy_off\":%s}\n", j.meter_id, j.command_id, off ? "open" : "close",
		    j.replayed ? "true" : "false", off ? "true" : "false", j.policy_off ? "true" : "false");
		return CTL_OK;
	}
	if (j.replayed) {
		printf("already done with this request id: relay command %" PRId64 "\n", j.command_id);
		return CTL_OK;
	}
	printf("relay command %" PRId64 ": %s meter %" PRId64 " queued; prepay-poller carries it out and reads"
	    " it back (prepayctl meter show %" PRId64 ")\n", j.command_id, off ? "open (supply off)" :
	    "close (supply on)", j.meter_id, j.meter_id);
	if (off)
		printf("held off: only an operator's `prepayctl meter restore` closes it again\n");
	if (j.policy_off)
		printf("note: the account's policy says supply off (its balance is below the cut line); this"
		    " restore lasts until the policy decides to cut again after a new crossing; use"
		    " `prepayctl account keep-power` to keep it on\n");
	return CTL_OK;
}

int
ctl_meter_cut(struct ctl *c, int argc, char **argv)
{
	return meter_switch(c, argc, argv, 1);
}

int
ctl_meter_restore(struct ctl *c, int argc, char **argv)
{
	return meter_switch(c, argc, argv, 0);
}
