/*
 * Relay commands, the main thread's side: the policy (or an operator)
 * writes relay_commands rows; here the due ones are handed to their bus,
 * ahead of its routine reads. A command is in flight from hand-over until
 * its writer recorded the result, so it is never handed over twice; after
 * a crash the rows still say pending/sent and are simply carried out again
 * (the bus reads the relay first and writes only if it differs).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "meters/poller/poller.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define RELAY_BATCH 500

static int
inflight_has(struct poller *p, int64_t id)
{
	for (int i = 0; i < p->ninflight; i++)
		if (p->inflight[i] == id)
			return 1;
	return 0;
}

void
relay_done(struct poller *p, int64_t id)
{
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->ninflight; i++)
		if (p->inflight[i] == id) {
			p->inflight[i] = p->inflight[--p->ninflight];
			break;
		}
	pthread_mutex_unlock(&p->mu);
	atomic_fetch_add(&p->relays_done, 1);
}

static struct bus *
bus_of(struct poller *p, int64_t gateway_id)
{
	for (int i = 0; i < p->nbuses; i++)
		if (p->buses[i]->gw.id == gateway_id)
			return p->buses[i];
	return NULL;
}

int
relay_dispatch(struct poller *p, struct db *db)
{
	struct db_rows *rows;
	int rc, n = 0;

	/* only the newest unfinished command of a meter counts (the policy
	 * supersedes pending ones; a 'sent' one being retried is ours to retire) */
	if (db_exec(db, "UPDATE relay_commands rc JOIN (SELECT meter_id, MAX(id) AS newest FROM relay_commands"
	    " WHERE status IN ('pending','sent') GROUP BY meter_id) n ON n.meter_id = rc.meter_id"
	    " SET rc.status = 'superseded', rc.completed_at = UTC_TIMESTAMP(6)"
	    " WHERE rc.status IN ('pending','sent') AND rc.id < n.newest", "") < 0)
		return -1;
	/* an operator's cut holds: nobody but an operator closes that relay */
	if (db_exec(db, "UPDATE relay_commands rc JOIN meter_state ms ON ms.meter_id = rc.meter_id"
	    " SET rc.status = 'superseded', rc.completed_at = UTC_TIMESTAMP(6),"
	    " rc.readback = LEFT(CONCAT('held off by ', ms.hold_actor), 64)"
	    " WHERE rc.status IN ('pending','sent') AND rc.action = 'close' AND ms.hold = 'off'"
	    " AND rc.actor NOT LIKE 'operator:%'", "") < 0)
		return -1;
	rows = db_query(db, "SELECT rc.id, rc.meter_id, COALESCE(rc.account_id, 0), rc.action, rc.attempts,"
	    " COALESCE(m.gateway_id, 0), m.enabled FROM relay_commands rc JOIN meters m ON m.id = rc.meter_id"
	    " JOIN sites s ON s.id = m.site_id"
	    " WHERE rc.status IN ('pending','sent') AND (rc.last_attempt_at IS NULL OR"
	    " rc.last_attempt_at <= UTC_TIMESTAMP(3) - INTERVAL LEAST(POW(2, rc.attempts), 60) SECOND)"
	    " AND (? = '' OR s.code = ?) ORDER BY rc.id LIMIT 500", "ss", p->o.site, p->o.site);
	if (rows == NULL)
		return -1;
	pthread_mutex_lock(&p->mu);
	while ((rc = db_rows_next(rows)) == 1) {
		struct prelay cmd;
		struct bus *b;
		cmd.id = db_rows_int(rows, 0);
		cmd.meter_id = db_rows_int(rows, 1);
		cmd.account_id = db_rows_int(rows, 2);
		cmd.supply_on = strcmp(db_rows_str(rows, 3), "close") == 0;
		cmd.attempts = (int)db_rows_int(rows, 4);
		if (inflight_has(p, cmd.id))
			continue;
		if ((b = bus_of(p, db_rows_int(rows, 5))) == NULL || !db_rows_int(rows, 6))
			continue;	/* not our bus (or disabled): another poller's, or waits for a reload */
		if (p->ninflight == p->capinflight) {
			p->capinflight = p->capinflight ? p->capinflight * 2 : 64;
			p->inflight = xrealloc(p->inflight, (size_t)p->capinflight * sizeof *p->inflight);
		}
		if (bus_queue_relay(b, &cmd) != 0)
			break;	/* that bus is busy: next round */
		p->inflight[p->ninflight++] = cmd.id;
		n++;
		log_debug("relay command %" PRId64 " (meter %" PRId64 ", %s) to gateway %s", cmd.id, cmd.meter_id,
		    cmd.supply_on ? "close" : "open", b->gw.code);
	}
	pthread_mutex_unlock(&p->mu);
	db_rows_free(rows);
	return rc < 0 ? -1 : n;
}
