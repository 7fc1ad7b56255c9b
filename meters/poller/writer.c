/*
 * Writers: the database side of the poller. Each writer owns one
 * connection and a queue; a meter always goes to the same writer, so its
 * readings are judged and stored in order. One short transaction per
 * result (invariant 7): validate against the persisted baseline, store the
 * reading (idempotent on meter + time), bill the delta through
 * consume_post_in_tx (rating, ledger debit and account policy in the same
 * transaction), update the meter's state, and queue operator alerts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "meters/poller/poller.h"
#include "billing/consume.h"
#include "billing/rate.h"
#include "billing/tariff.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

struct writer {
	struct poller *p;
	struct db *db;
	struct tariff_store *store;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct presult *q;
	int cap, head, len;
	int stop;
	char last_warn[POLLER_ERR_MAX];
};

struct writers {
	int n;
	struct writer *w;
	atomic_llong dropped, stored;
};

/* What one transaction works on. */
struct job {
	struct writer *w;
	const struct presult *r;
	/* filled by the transaction, logged after the commit */
	struct validate_result v;
	struct consume_result cr;
	int replayed, billed, same;
	enum consume_status cst;
	char note[256];
};

static int64_t
ratio_mul(int64_t milli, int64_t ratio)
{
	return milli * ratio;	/* < 2^53 × 10^5 at worst: the codec caps values at 2^53 */
}

/* an operator alert in the outbox, once per key */
static int
alert(struct db *db, const char *kind, const char *key, int64_t account_id, cJSON *payload)
{
	char *json;
	long long n;

	cJSON_AddStringToObject(payload, "kind", kind);
	json = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	if (account_id > 0)
		n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, account_id, payload) VALUES (?, ?, ?, ?)"
		    " ON DUPLICATE KEY UPDATE id = id", "ssis", key, kind, account_id, json);
	else
		n = db_exec(db, "INSERT INTO outbox (dedupe_key, kind, payload) VALUES (?, ?, ?)"
		    " ON DUPLICATE KEY UPDATE id = id", "sss", key, kind, json);
	free(json);
	return n < 0 ? -1 : 0;
}

static cJSON *
meter_payload(const struct presult *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "meter_id", (double)r->meter_id);
	cJSON_AddStringToObject(o, "meter", r->code);
	if (r->account_id > 0)
		cJSON_AddNumberToObject(o, "account_id", (double)r->account_id);
	return o;
}

struct mstate {
	int exists;
	struct validate_state st;
	int has_tou;
	int64_t tou[4];
	int offline;
	int64_t offline_since_ms;
	int fail_cycles;
	char relay[16];
};

#define MS(col) "CAST(ROUND(UNIX_TIMESTAMP(" col ") * 1000) AS SIGNED)"

static int
load_state(struct db *db, int64_t meter_id, struct mstate *s)
{
	struct db_rows *rows;
	int rc;

	memset(s, 0, sizeof *s);
	if (db_exec(db, "INSERT IGNORE INTO meter_state (meter_id) VALUES (?)", "i", meter_id) < 0)
		return -1;
	rows = db_query(db, "SELECT good_at IS NOT NULL, " MS("good_at") ", good_register_milli,"
	    " cand_at IS NOT NULL, " MS("cand_at") ", cand_register_milli, serial,"
	    " good_tou_sharp_milli IS NOT NULL, good_tou_sharp_milli, good_tou_peak_milli, good_tou_flat_milli,"
	    " good_tou_valley_milli, offline, " MS("offline_since") ", fail_cycles, relay_state"
	    " FROM meter_state WHERE meter_id = ? FOR UPDATE", "i", meter_id);
	if (rows == NULL)
		return -1;
	if ((rc = db_rows_next(rows)) == 1) {
		s->exists = 1;
		s->st.has_good = (int)db_rows_int(rows, 0);
		s->st.good_at_ms = db_rows_int(rows, 1);
		s->st.good_milli = db_rows_int(rows, 2);
		s->st.has_cand = (int)db_rows_int(rows, 3);
		s->st.cand_at_ms = db_rows_int(rows, 4);
		s->st.cand_milli = db_rows_int(rows, 5);
		snprintf(s->st.serial, sizeof s->st.serial, "%s", db_rows_str(rows, 6) ? db_rows_str(rows, 6) : "");
		s->has_tou = (int)db_rows_int(rows, 7);
		for (int i = 0; i < 4; i++)
			s->tou[i] = db_rows_int(rows, 8 + i);
		s->offline = (int)db_rows_int(rows, 12);
		s->offline_since_ms = db_rows_int(rows, 13);
		s->fail_cycles = (int)db_rows_int(rows, 14);
		snprintf(s->relay, sizeof s->relay, "%s", db_rows_str(rows, 15) ? db_rows_str(rows, 15) : "");
	}
	db_rows_free(rows);
	return rc < 0 ? -1 : 0;
}

/* Band energies for a plain delta: the band registers' deltas, scaled so
 * they add up to the import counter's delta exactly. 0 = no usable split. */
static int
band_split(const struct presult *r, const struct mstate *s, int64_t energy_milli, struct consume_reading *cr)
{
	int64_t d[4], sum = 0, out[4];
	char err[128];

	if (!r->has_tou || !s->has_tou || energy_milli <= 0)
		return 0;
	for (int i = 0; i < 4; i++) {
		d[i] = r->tou_milli[i] - s->tou[i];
		if (d[i] < 0)
			return 0;
		sum += d[i];
	}
	if (sum == 0 || rate_apportion(energy_milli, d, 4, out, err, sizeof err) != 0)
		return 0;
	cr->nbands = 0;
	for (int i = 0; i < 4; i++) {
		if (out[i] == 0)
			continue;
		cr->band[cr->nbands] = TARIFF_SHARP + i;
		cr->band_milli[cr->nbands] = out[i];
		cr->nbands++;
	}
	return 1;
}

static int
tx_reading(struct db *db, void *arg)
{
	struct job *j = arg;
	const struct presult *r = j->r;
	struct mstate s;
	struct validate_state before;
	int64_t exists = 0, billed_milli = 0, energy = ratio_mul(r->reg_milli, r->ratio);
	const char *verdict;

	j->replayed = j->billed = 0;
	j->note[0] = '\0';
	j->cst = CONSUME_OK;
	if (load_state(db, r->meter_id, &s) != 0)
		return -1;
	/* the key: a replay after a crash stores and bills nothing again */
	if (db_query_int(db, &exists, "SELECT 1 FROM readings WHERE meter_id = ? AND read_at = FROM_UNIXTIME(? / 1000)",
	    "ii", r->meter_id, r->at_ms) < 0)
		return -1;
	if (exists) {
		j->replayed = 1;
		return 0;
	}
	before = s.st;
	if (validate_reading(&s.st, &r->lim, r->at_ms, r->reg_milli, r->serial, &j->v) != 0) {
		snprintf(j->note, sizeof j->note, "%s", j->v.why);
		return 2;	/* impossible reading: nothing written */
	}
	if (j->v.verdict == VALIDATE_STALE)
		return db_exec(db, "UPDATE meter_state SET last_read_at = FROM_UNIXTIME(? / 1000), fail_cycles = 0"
		    " WHERE meter_id = ?", "ii", r->at_ms, r->meter_id) < 0 ? -1 : 0;
	verdict = validate_verdict_name(j->v.verdict);
	if (j->v.delta_milli > 0) {
		billed_milli = ratio_mul(j->v.delta_milli, r->ratio);
		if (r->account_id <= 0) {
			snprintf(j->note, sizeof j->note, "no account: not billed");
			billed_milli = 0;
		}
	}
	if (db_exec(db, "INSERT INTO readings (meter_id, read_at, register_milli, energy_milli, tou_sharp_milli,"
	    " tou_peak_milli, tou_flat_milli, tou_valley_milli, verdict, suspect, billed_from, billed_milli, serial, note)"
	    " VALUES (?, FROM_UNIXTIME(? / 1000), ?, ?, IF(?, ?, NULL), IF(?, ?, NULL), IF(?, ?, NULL), IF(?, ?, NULL),"
	    " ?, ?, IF(? > 0, FROM_UNIXTIME(? / 1000), NULL), ?, ?, ?)",
	    "iiiiiiiiiiiissiiiss", r->meter_id, r->at_ms, r->reg_milli, energy,
	    (int64_t)r->has_tou, ratio_mul(r->tou_milli[0], r->ratio), (int64_t)r->has_tou, ratio_mul(r->tou_milli[1], r->ratio),
	    (int64_t)r->has_tou, ratio_mul(r->tou_milli[2], r->ratio), (int64_t)r->has_tou, ratio_mul(r->tou_milli[3], r->ratio),
	    verdict, validate_suspect_name(j->v.suspect), billed_milli, j->v.from_ms, billed_milli,
	    r->serial, j->v.why) < 0)
		return -1;
	if (billed_milli > 0) {
		struct consume_reading cr;
		memset(&cr, 0, sizeof cr);
		cr.meter_id = r->meter_id;
		cr.start_ms = j->v.from_ms;
		cr.end_ms = r->at_ms;
		cr.energy_milli = billed_milli;
		cr.actor = POLLER_ACTOR;
		if (j->v.verdict == VALIDATE_OK)
			band_split(r, &s, billed_milli, &cr);
		j->cst = consume_post_in_tx(db, j->w->store, &cr, &j->cr);
		if (j->cst == CONSUME_DB_ERROR)
			return -1;
		if (j->cst != CONSUME_OK) {
			snprintf(j->note, sizeof j->note, "not billed: %s: %.200s", consume_strerror(j->cst), j->cr.detail);
			return 3;	/* roll back: the baseline stays, the usage is billed later */
		}
		j->billed = 1;
	}
	if (db_exec(db, "UPDATE meter_state SET good_at = IF(? = 0, NULL, FROM_UNIXTIME(? / 1000)),"
	    " good_register_milli = IF(? = 0, NULL, ?), good_energy_milli = IF(? = 0, NULL, ?),"
	    " cand_at = IF(? = 0, NULL, FROM_UNIXTIME(? / 1000)), cand_register_milli = IF(? = 0, NULL, ?),"
	    " serial = ?, last_read_at = FROM_UNIXTIME(? / 1000), fail_cycles = 0, offline = 0, offline_since = NULL,"
	    " last_error = '', quarantined = quarantined + ?, readings = readings + 1 WHERE meter_id = ?", "iiiiiiiiiisiii",
	    (int64_t)s.st.has_good, s.st.good_at_ms, (int64_t)s.st.has_good, s.st.good_milli,
	    (int64_t)s.st.has_good, ratio_mul(s.st.good_milli, r->ratio),
	    (int64_t)s.st.has_cand, s.st.cand_at_ms, (int64_t)s.st.has_cand, s.st.cand_milli,
	    s.st.serial, r->at_ms, (int64_t)(j->v.verdict == VALIDATE_QUARANTINED), r->meter_id) < 0)
		return -1;
	/* the bands move with the baseline */
	if (s.st.good_at_ms == r->at_ms && db_exec(db, "UPDATE meter_state SET good_tou_sharp_milli = IF(?, ?, NULL),"
	    " good_tou_peak_milli = IF(?, ?, NULL), good_tou_flat_milli = IF(?, ?, NULL),"
	    " good_tou_valley_milli = IF(?, ?, NULL) WHERE meter_id = ?", "iiiiiiiii",
	    (int64_t)r->has_tou, r->tou_milli[0], (int64_t)r->has_tou, r->tou_milli[1], (int64_t)r->has_tou,
	    r->tou_milli[2], (int64_t)r->has_tou, r->tou_milli[3], r->meter_id) < 0)
		return -1;
	if (s.offline) {
		char key[96];
		cJSON *o = meter_payload(r);
		snprintf(key, sizeof key, "meter_online:%" PRId64 ":%" PRId64, r->meter_id, r->at_ms);
		cJSON_AddNumberToObject(o, "offline_since_ms", (double)s.offline_since_ms);
		cJSON_AddNumberToObject(o, "gap_billed_milli", (double)billed_milli);
		cJSON_AddStringToObject(o, "message", "meter answers again; the gap's usage is billed with this reading");
		if (alert(db, "alert.meter_online", key, r->account_id, o) != 0)
			return -1;
	}
	if (j->v.verdict == VALIDATE_QUARANTINED || j->v.verdict == VALIDATE_REBASED ||
	    j->v.verdict == VALIDATE_REPLACED) {
		char key[96];
		cJSON *o = meter_payload(r);
		const char *kind = j->v.verdict == VALIDATE_QUARANTINED ? "alert.reading_quarantined" :
		    j->v.verdict == VALIDATE_REBASED ? "alert.counter_rebased" : "alert.meter_replaced";
		snprintf(key, sizeof key, "%s:%" PRId64 ":%" PRId64, kind + 6, r->meter_id, r->at_ms);
		cJSON_AddNumberToObject(o, "read_at_ms", (double)r->at_ms);
		cJSON_AddNumberToObject(o, "register_milli", (double)r->reg_milli);
		cJSON_AddNumberToObject(o, "baseline_milli", (double)before.good_milli);
		if (j->v.verdict == VALIDATE_REBASED) {
			cJSON_AddNumberToObject(o, "unbilled_milli", (double)ratio_mul(j->v.unbilled_milli, r->ratio));
			cJSON_AddNumberToObject(o, "unbilled_from_ms", (double)j->v.unbilled_from_ms);
			cJSON_AddNumberToObject(o, "unbilled_to_ms", (double)j->v.unbilled_to_ms);
		}
		cJSON_AddStringToObject(o, "message", j->v.why);
		if (alert(db, kind, key, r->account_id, o) != 0)
			return -1;
	}
	return 0;
}

static int
tx_fail(struct db *db, void *arg)
{
	struct job *j = arg;
	const struct presult *r = j->r;
	struct mstate s;

	if (load_state(db, r->meter_id, &s) != 0)
		return -1;
	if (db_exec(db, "UPDATE meter_state SET fail_cycles = fail_cycles + 1, last_fail_at = FROM_UNIXTIME(? / 1000),"
	    " last_error = LEFT(?, 255) WHERE meter_id = ?", "isi", r->at_ms, r->err, r->meter_id) < 0)
		return -1;
	if (!s.offline && s.fail_cycles + 1 >= j->w->p->o.offline_after) {
		char key[96];
		int64_t below = 0;
		cJSON *o = meter_payload(r);
		if (db_exec(db, "UPDATE meter_state SET offline = 1, offline_since = FROM_UNIXTIME(? / 1000)"
		    " WHERE meter_id = ?", "ii", r->at_ms, r->meter_id) < 0)
			return -1;
		/* an offline meter cannot be cut: say so when the money has run out */
		if (r->account_id > 0 && db_query_int(db, &below, "SELECT balance_fen <= -overdraft_fen FROM accounts"
		    " WHERE id = ?", "i", r->account_id) < 0)
			return -1;
		snprintf(key, sizeof key, "meter_offline:%" PRId64 ":%" PRId64, r->meter_id, r->at_ms);
		cJSON_AddNumberToObject(o, "failed_attempts", s.fail_cycles + 1);
		cJSON_AddStringToObject(o, "last_error", r->err);
		cJSON_AddBoolToObject(o, "balance_exhausted", below != 0);
		cJSON_AddStringToObject(o, "message", below ? "meter offline and the account is at or below its cut"
		    " line: it cannot be cut until it answers; check the bus" : "meter offline: check the bus and the meter;"
		    " its usage is billed when it answers again");
		if (alert(db, "alert.meter_offline", key, r->account_id, o) != 0)
			return -1;
		snprintf(j->note, sizeof j->note, "offline after %d failed attempts: %s", s.fail_cycles + 1, r->err);
	}
	return 0;
}

static int
tx_relay(struct db *db, void *arg)
{
	struct job *j = arg;
	const struct presult *r = j->r;
	struct db_rows *rows;
	char status[16] = "", action[8] = "", actor[65] = "", reason[256] = "", readback[65];
	int64_t attempts = 0, offline = 0;
	int rc, final, max = j->w->p->o.relay_max_attempts;
	cJSON *d;
	char *detail;

	j->note[0] = '\0';
	rows = db_query(db, "SELECT status, attempts, action, actor, reason FROM relay_commands WHERE id = ? FOR UPDATE",
	    "i", r->cmd.id);
	if (rows == NULL)
		return -1;
	if ((rc = db_rows_next(rows)) == 1) {
		snprintf(status, sizeof status, "%s", db_rows_str(rows, 0));
		attempts = db_rows_int(rows, 1);
		snprintf(action, sizeof action, "%s", db_rows_str(rows, 2));
		snprintf(actor, sizeof actor, "%s", db_rows_str(rows, 3));
		snprintf(reason, sizeof reason, "%s", db_rows_str(rows, 4));
	}
	db_rows_free(rows);
	if (rc < 0)
		return -1;
	if (rc == 0 || (strcmp(status, "pending") != 0 && strcmp(status, "sent") != 0)) {
		snprintf(j->note, sizeof j->note, "command is %s now: result not recorded", rc ? status : "gone");
		return 0;
	}
	attempts++;
	if (r->confirmed)
		snprintf(readback, sizeof readback, "supply %s%s", r->state_now ? "on" : "off", r->wrote ? "" : " (already)");
	else
		snprintf(readback, sizeof readback, "%.64s", r->err[0] ? r->err : "no answer");
	final = r->confirmed || attempts >= max;
	if (db_exec(db, "UPDATE relay_commands SET status = ?, attempts = ?, last_attempt_at = FROM_UNIXTIME(? / 1000),"
	    " readback = ?, completed_at = IF(?, FROM_UNIXTIME(? / 1000), NULL) WHERE id = ?", "siisiii",
	    r->confirmed ? "confirmed" : final ? "failed" : "sent", attempts, r->at_ms, readback, (int64_t)final,
	    r->at_ms, r->cmd.id) < 0)
		return -1;
	if (r->state_now >= 0 && db_exec(db, "UPDATE meter_state SET relay_state = ?, relay_checked_at ="
	    " FROM_UNIXTIME(? / 1000) WHERE meter_id = ?", "sii", r->state_now ? "on" : "off", r->at_ms,
	    r->meter_id) < 0)
		return -1;
	if (db_query_int(db, &offline, "SELECT offline FROM meter_state WHERE meter_id = ?", "i", r->meter_id) < 0)
		return -1;
	if (!r->confirmed && offline) {
		char key[96];
		cJSON *o = meter_payload(r);
		snprintf(key, sizeof key, "relay_offline:%" PRId64, r->cmd.id);
		cJSON_AddNumberToObject(o, "relay_command", (double)r->cmd.id);
		cJSON_AddStringToObject(o, "action", action);
		cJSON_AddStringToObject(o, "message", strcmp(action, "open") == 0 ?
		    "the account should be cut but its meter is offline: it cannot be cut; check the bus or cut by hand" :
		    "the supply should be restored but the meter is offline: restore by hand or fix the bus");
		if (alert(db, "alert.relay_offline", key, r->account_id, o) != 0)
			return -1;
	}
	if (!final)
		return 0;
	if (!r->confirmed) {
		char key[96];
		cJSON *o = meter_payload(r);
		snprintf(key, sizeof key, "relay_failed:%" PRId64, r->cmd.id);
		cJSON_AddNumberToObject(o, "relay_command", (double)r->cmd.id);
		cJSON_AddStringToObject(o, "action", action);
		cJSON_AddNumberToObject(o, "attempts", (double)attempts);
		cJSON_AddStringToObject(o, "last_error", r->err);
		cJSON_AddStringToObject(o, "message", "the meter will not obey the relay command: send someone to it");
		if (alert(db, "alert.relay_failed", key, r->account_id, o) != 0)
			return -1;
	}
	/* invariant 6: every switch has its read-back in the audit trail */
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "relay_command", (double)r->cmd.id);
	cJSON_AddStringToObject(d, "action", action);
	cJSON_AddStringToObject(d, "ordered_by", actor);
	cJSON_AddStringToObject(d, "reason", reason);
	cJSON_AddNumberToObject(d, "attempts", (double)attempts);
	cJSON_AddBoolToObject(d, "wrote", r->wrote);
	cJSON_AddStringToObject(d, "readback", readback);
	if (r->account_id > 0)
		cJSON_AddNumberToObject(d, "account_id", (double)r->account_id);
	detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	rc = (int)db_exec(db, "INSERT INTO audit_log (actor, action, object_type, object_id, request_id, detail)"
	    " VALUES (?, ?, 'meter', ?, ?, ?)", "ssiss", POLLER_ACTOR,
	    r->confirmed ? "meter.relay_confirmed" : "meter.relay_failed", r->meter_id, NULL, detail);
	free(detail);
	return rc < 0 ? -1 : 0;
}

/* after a refused billing: the meter answered, say why nothing was billed */
static int
tx_not_billed(struct db *db, void *arg)
{
	struct job *j = arg;

	struct db_rows *r;
	int rc;

	if (db_exec(db, "INSERT IGNORE INTO meter_state (meter_id) VALUES (?)", "i", j->r->meter_id) < 0)
		return -1;
	if ((r = db_query(db, "SELECT last_error = LEFT(?, 255) FROM meter_state WHERE meter_id = ? FOR UPDATE", "si",
	    j->note, j->r->meter_id)) == NULL)
		return -1;
	rc = db_rows_next(r);
	j->same = rc == 1 && db_rows_int(r, 0) == 1;
	db_rows_free(r);
	if (rc < 0)
		return -1;
	return db_exec(db, "UPDATE meter_state SET last_read_at = FROM_UNIXTIME(? / 1000), fail_cycles = 0,"
	    " last_error = LEFT(?, 255) WHERE meter_id = ?", "isi", j->r->at_ms, j->note, j->r->meter_id) < 0 ? -1 : 0;
}

/* the same complaint about the same meter in a row once, not every reading */
static void
warn_once(struct writer *w, const char *code, const char *msg)
{
	char line[POLLER_ERR_MAX];

	snprintf(line, sizeof line, "%s %.120s", code, msg);
	if (strcmp(line, w->last_warn) == 0)
		return;
	snprintf(w->last_warn, sizeof w->last_warn, "%s", line);
	log_warn("meter %s: %s", code, msg);
}

static void
process(struct writer *w, const struct presult *r)
{
	struct job j;
	int rc;

	memset(&j, 0, sizeof j);
	j.w = w;
	j.r = r;
	switch (r->kind) {
	case PR_READING:
		rc = db_tx(w->db, tx_reading, &j);
		if (rc == 0 && !j.replayed) {
			atomic_fetch_add(&w->p->w->stored, 1);
			if (j.v.verdict != VALIDATE_OK && j.v.verdict != VALIDATE_STALE)
				log_info("meter %s: reading %s: %s", r->code, validate_verdict_name(j.v.verdict), j.v.why);
			else
				log_debug("meter %s: %" PRId64 " milli billed, %" PRId64 " fen", r->code,
				    j.v.delta_milli * r->ratio, j.billed ? j.cr.debit_fen : 0);
		} else if (rc == 2) {
			warn_once(w, r->code, j.note);
		} else if (rc == 3) {
			/* the usage stays unbilled until fixed; said once per change */
			if (db_tx(w->db, tx_not_billed, &j) != 0 || !j.same)
				log_warn("meter %s: %s", r->code, j.note);
		} else if (rc != 0) {
			log_error("meter %s: storing a reading: %s", r->code, db_error(w->db));
		}
		break;
	case PR_FAIL:
		if (db_tx(w->db, tx_fail, &j) != 0)
			log_error("meter %s: recording a failure: %s", r->code, db_error(w->db));
		else if (j.note[0] != '\0')
			log_warn("meter %s: %s", r->code, j.note);
		break;
	case PR_RELAY:
		if (db_tx(w->db, tx_relay, &j) != 0)
			log_error("relay command %" PRId64 ": recording the result: %s", r->cmd.id, db_error(w->db));
		else if (j.note[0] != '\0')
			log_info("relay command %" PRId64 ": %s", r->cmd.id, j.note);
		relay_done(w->p, r->cmd.id);
		break;
	}
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct presult r;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->len == 0 && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->len == 0 && w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		r = w->q[w->head];
		w->head = (w->head + 1) % w->cap;
		w->len--;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		process(w, &r);
	}
	return NULL;
}

struct writers *
writers_start(struct poller *p, int n, int queue_len)
{
	struct writers *ws = xcalloc(1, sizeof *ws);
	char err[512];

	ws->n = n;
	ws->w = xcalloc((size_t)n, sizeof *ws->w);
	p->w = ws;
	for (int i = 0; i < n; i++) {
		struct writer *w = &ws->w[i];
		w->p = p;
		w->cap = queue_len;
		w->q = xcalloc((size_t)queue_len, sizeof *w->q);
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (p->o.no_store)
			continue;
		if ((w->db = db_connect(p->cfg, err, sizeof err)) == NULL)
			fatalx("%s", err);
		w->store = tariff_store_new();
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
			fatal("pthread_create");
	}
	return ws;
}

void
writers_stop(struct writers *ws)
{
	if (ws == NULL)
		return;
	for (int i = 0; i < ws->n; i++) {
		struct writer *w = &ws->w[i];
		if (w->db == NULL)
			continue;
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		tariff_store_free(w->store);
		db_close(w->db);
		w->db = NULL;
	}
}

void
writers_free(struct writers *ws)
{
	if (ws == NULL)
		return;
	for (int i = 0; i < ws->n; i++)
		free(ws->w[i].q);
	free(ws->w);
	free(ws);
}

int
writers_push(struct writers *ws, const struct presult *r, int wait)
{
	struct writer *w = &ws->w[(uint64_t)r->meter_id % (uint64_t)ws->n];

	if (w->db == NULL)
		return 0;	/* --no-store */
	pthread_mutex_lock(&w->mu);
	while (w->len == w->cap && wait && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->len == w->cap) {
		pthread_mutex_unlock(&w->mu);
		atomic_fetch_add(&ws->dropped, 1);
		return -1;
	}
	w->q[(w->head + w->len) % w->cap] = *r;
	w->len++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

long long
writers_dropped(struct writers *ws)
{
	return atomic_load(&ws->dropped);
}

long long
writers_stored(struct writers *ws)
{
	return atomic_load(&ws->stored);
}

int
writers_depth(struct writers *ws)
{
	int n = 0;

	for (int i = 0; i < ws->n; i++) {
		pthread_mutex_lock(&ws->w[i].mu);
		n += ws->w[i].len;
		pthread_mutex_unlock(&ws->w[i].mu);
	}
	return n;
}
