/*
 * prepay-poller: reads the park's meters, bills what they counted, and
 * switches their relays (docs/poller.md). Threads are described in
 * poller.h; this file is the main thread: options, configuration, the
 * (re)load of gateways, meters and profiles, the gateway locks, relay
 * hand-over, the policy sweep, partitions and stats.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "lib/clock.h"
#include "meters/poller/poller.h"
#include "billing/policy_apply.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"

#ifndef PREPAY_PROFILE_DIR
#define PREPAY_PROFILE_DIR "meters/profiles"
#endif
#define SWEEP_MAX 256
#define PARTITION_EVERY_MS (3600 * 1000LL)
#define PARTITION_MONTHS_AHEAD 2

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Profiles by name, re-read when their file changes. A replaced profile
 * stays allocated (bus threads may still point to it) until exit. */
struct pcache {
	char name[PROFILE_NAME_MAX];
	struct timespec mtime;
	off_t size;
	struct profile *prof;
	char err[PROFILE_ERR_LEN];
};
static struct pcache *pcache;
static int npcache, cappcache;
static struct profile **graveyard;
static int ngraveyard;

static const struct profile *
profile_get(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1024];
	struct stat sb;
	struct pcache *c = NULL;

	for (int i = 0; i < npcache; i++)
		if (strcmp(pcache[i].name, name) == 0)
			c = &pcache[i];
	snprintf(path, sizeof path, "%s/%s.json", dir, name);
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "profile %s: %.200s: %s", name, path, strerror(errno));
		return c != NULL ? c->prof : NULL;	/* keep the one we have */
	}
	if (c != NULL && c->mtime.tv_sec == sb.st_mtim.tv_sec && c->mtime.tv_nsec == sb.st_mtim.tv_nsec &&
	    c->size == sb.st_size) {
		if (c->prof == NULL)
			snprintf(err, errlen, "%s", c->err);
		return c->prof;
	}
	if (c == NULL) {
		if (npcache == cappcache) {
			cappcache = cappcache ? cappcache * 2 : 16;
			pcache = xrealloc(pcache, (size_t)cappcache * sizeof *pcache);
		}
		c = &pcache[npcache++];
		memset(c, 0, sizeof *c);
		snprintf(c->name, sizeof c->name, "%s", name);
	}
	c->mtime = sb.st_mtim;
	c->size = sb.st_size;
	{
		struct profile *np = xcalloc(1, sizeof *np);
		if (profile_load(dir, name, np, c->err, sizeof c->err) != 0) {
			free(np);
			snprintf(err, errlen, "%s", c->err);
			log_error("%s (meters using it keep the previous version, if any)", c->err);
			return c->prof;
		}
		if (c->prof != NULL) {
			graveyard = xrealloc(graveyard, (size_t)(ngraveyard + 1) * sizeof *graveyard);
			graveyard[ngraveyard++] = c->prof;
			log_info("profile %s changed: reloaded", name);
		}
		c->prof = np;
		c->err[0] = '\0';
	}
	return c->prof;
}

static int
gateway_lock(struct db *db, int64_t id)
{
	int64_t got = 0;
	char name[64];

	snprintf(name, sizeof name, "prepay-poller:gateway:%" PRId64, id);
	if (db_query_int(db, &got, "SELECT IF(IS_USED_LOCK(?) = CONNECTION_ID(), 1, GET_LOCK(?, 0))", "ss",
	    name, name) < 0)
		return -1;
	return got == 1 ? 0 : 1;
}

static void
gateway_unlock(struct db *db, int64_t id)
{
	int64_t got;
	char name[64];

	snprintf(name, sizeof name, "prepay-poller:gateway:%" PRId64, id);
	db_query_int(db, &got, "SELECT RELEASE_LOCK(?)", "s", name);
}

static struct bus *
find_bus(struct poller *p, int64_t id)
{
	for (int i = 0; i < p->nbuses; i++)
		if (p->buses[i]->gw.id == id)
			return p->buses[i];
	return NULL;
}

static int
load_gateways(struct poller *p, struct db *db)
{
	struct db_rows *rows;
	int rc;

	for (int i = 0; i < p->nbuses; i++)
		p->buses[i]->seen = 0;
	rows = db_query(db, "SELECT g.id, g.site_id, g.code, g.transport, COALESCE(g.host, ''), COALESCE(g.port, 0),"
	    " COALESCE(g.device, ''), COALESCE(g.baud, 9600), COALESCE(g.parity, 'N'), g.timeout_ms, g.gap_ms"
	    " FROM gateways g JOIN sites s ON s.id = g.site_id WHERE g.enabled = 1 AND (? = '' OR s.code = ?)"
	    " ORDER BY g.id", "ss", p->o.site, p->o.site);
	if (rows == NULL)
		return -1;
	while ((rc = db_rows_next(rows)) == 1) {
		struct pgateway g;
		struct bus *b;
		int lk;
		memset(&g, 0, sizeof g);
		g.id = db_rows_int(rows, 0);
		g.site_id = db_rows_int(rows, 1);
		snprintf(g.code, sizeof g.code, "%s", db_rows_str(rows, 2));
		g.rtu = strcmp(db_rows_str(rows, 3), "rtu") == 0;
		snprintf(g.host, sizeof g.host, "%s", db_rows_str(rows, 4));
		g.port = (int)db_rows_int(rows, 5);
		snprintf(g.device, sizeof g.device, "%s", db_rows_str(rows, 6));
		g.baud = (int)db_rows_int(rows, 7);
		g.parity = db_rows_str(rows, 8)[0] ? db_rows_str(rows, 8)[0] : 'N';
		g.timeout_ms = (int)db_rows_int(rows, 9);
		g.gap_ms = (int)db_rows_int(rows, 10);
		b = find_bus(p, g.id);
		/* one owner per bus, across processes too */
		if ((lk = gateway_lock(db, g.id)) != 0) {
			if (lk > 0 && (b == NULL || b->started))
				log_warn("gateway %s: another poller owns it; not reading it", g.code);
			if (b != NULL)
				b->seen = 0;
			continue;
		}
		if (b != NULL && memcmp(&b->gw, &g, sizeof g) == 0) {
			b->seen = 1;
			continue;
		}
		if (b != NULL) {
			log_info("gateway %s changed: restarting its bus", g.code);
			bus_stop(b);
			b->gw = g;
		} else {
			b = bus_new(&g);
			p->buses = xrealloc(p->buses, (size_t)(p->nbuses + 1) * sizeof *p->buses);
			pthread_mutex_lock(&p->mu);
			p->buses[p->nbuses++] = b;
			pthread_mutex_unlock(&p->mu);
		}
		b->seen = 2;	/* to start once its meters are handed over */
	}
	db_rows_free(rows);
	if (rc < 0)
		return -1;
	/* gone, disabled or owned by someone else now */
	for (int i = 0; i < p->nbuses; i++) {
		struct bus *b = p->buses[i];
		if (b->seen)
			continue;
		log_info("gateway %s: no longer read by this poller", b->gw.code);
		bus_stop(b);
		gateway_unlock(db, b->gw.id);
		pthread_mutex_lock(&p->mu);
		p->buses[i] = p->buses[--p->nbuses];
		pthread_mutex_unlock(&p->mu);
		bus_free(b);
		i--;
	}
	return 0;
}

static int
load_meters(struct poller *p, struct db *db, int *nmeters)
{
	struct db_rows *rows;
	struct pmeter **lists;
	int *counts, *caps, rc = -1;

	lists = xcalloc((size_t)p->nbuses + 1, sizeof *lists);
	counts = xcalloc((size_t)p->nbuses + 1, sizeof *counts);
	caps = xcalloc((size_t)p->nbuses + 1, sizeof *caps);
	*nmeters = 0;
	rows = db_query(db, "SELECT m.id, m.site_id, COALESCE(m.account_id, 0), m.code, m.serial, m.profile,"
	    " m.gateway_id, COALESCE(m.modbus_unit, 0), m.ct_ratio * m.pt_ratio, m.relay_capable"
	    " FROM meters m JOIN sites s ON s.id = m.site_id"
	    " WHERE m.enabled = 1 AND m.gateway_id IS NOT NULL AND (? = '' OR s.code = ?)"
	    " ORDER BY m.gateway_id, m.modbus_unit", "ss", p->o.site, p->o.site);
	if (rows == NULL)
		goto out;
	while ((rc = db_rows_next(rows)) == 1) {
		struct pmeter m;
		char err[PROFILE_ERR_LEN];
		int bi = -1;
		for (int i = 0; i < p->nbuses; i++)
			if (p->buses[i]->gw.id == db_rows_int(rows, 6))
				bi = i;
		if (bi < 0)
			continue;
		memset(&m, 0, sizeof m);
		m.id = db_rows_int(rows, 0);
		m.site_id = db_rows_int(rows, 1);
		m.account_id = db_rows_int(rows, 2);
		snprintf(m.code, sizeof m.code, "%s", db_rows_str(rows, 3));
		snprintf(m.serial, sizeof m.serial, "%s", db_rows_str(rows, 4));
		m.unit = (int)db_rows_int(rows, 7);
		m.ratio = db_rows_int(rows, 8);
		m.relay_capable = (int)db_rows_int(rows, 9);
		err[0] = '\0';
		if ((m.prof = profile_get(p->o.profiles, db_rows_str(rows, 5), err, sizeof err)) == NULL ||
		    plan_blocks(m.prof, &m, err, sizeof err) != 0) {
			log_error("meter %s: %s: not read", m.code, err);
			continue;
		}
		if (m.unit < 1 || m.unit > 247) {
			log_error("meter %s: Modbus unit %d is not 1..247: not read", m.code, m.unit);
			continue;
		}
		if (counts[bi] == caps[bi]) {
			caps[bi] = caps[bi] ? caps[bi] * 2 : 16;
			lists[bi] = xrealloc(lists[bi], (size_t)caps[bi] * sizeof *lists[bi]);
		}
		lists[bi][counts[bi]++] = m;
		(*nmeters)++;
	}
	db_rows_free(rows);
	if (rc < 0)
		goto out;
	for (int i = 0; i < p->nbuses; i++) {
		bus_set_meters(p->buses[i], lists[i], counts[i]);
		lists[i] = NULL;
		if (p->buses[i]->seen == 2)
			bus_start(p, p->buses[i]);
	}
	rc = 0;
out:
	for (int i = 0; i <= p->nbuses; i++)
		free(lists[i]);
	free(lists);
	free(counts);
	free(caps);
	return rc;
}

static void
reload(struct poller *p, struct db *db, int first)
{
	int n = 0;

	if (load_gateways(p, db) != 0 || load_meters(p, db, &n) != 0) {
		log_error("loading gateways and meters: %s (keeping what runs)", db_error(db));
		return;
	}
	if (first)
		log_info("reading %d meters on %d gateways%s%s", n, p->nbuses, p->o.site[0] ? " of site " : "",
		    p->o.site);
}

/* cuts that fall due with time, not with a reading (grace, friendly hours) */
static void
sweep(struct poller *p, struct db *db)
{
	int64_t ids[SWEEP_MAX];
	int n = policy_due_accounts(db, policy_clock_now(), p->site_id, ids, SWEEP_MAX);

	if (n < 0) {
		log_error("policy sweep: %s", db_error(db));
		return;
	}
	for (int i = 0; i < n; i++)
		if (policy_apply(db, ids[i], 0, POLLER_ACTOR, "sweep", NULL) != 0)
			log_error("policy sweep: account %" PRId64 ": %s", ids[i], db_error(db));
}

static void
stats(struct poller *p, int64_t elapsed_ms, long long *last_reads)
{
	long long reads = 0, errors = 0, slowest = 0, cycles = 0;
	int connected = 0;

	for (int i = 0; i < p->nbuses; i++) {
		struct bus *b = p->buses[i];
		long long c = atomic_load(&b->last_cycle_ms);
		reads += atomic_load(&b->reads);
		errors += atomic_load(&b->errors);
		cycles += atomic_load(&b->cycles);
		connected += atomic_load(&b->connected);
		if (c > slowest)
			slowest = c;
	}
	log_info("stats: gateways=%d connected=%d transactions=%lld (%.0f/s) errors=%lld slowest_cycle_ms=%lld"
	    " cycles=%lld stored=%lld dropped=%lld queued=%d relays=%lld", p->nbuses, connected, reads,
	    elapsed_ms > 0 ? (double)(reads - *last_reads) * 1000.0 / (double)elapsed_ms : 0.0, errors, slowest,
	    cycles, writers_stored(p->w), writers_dropped(p->w), writers_depth(p->w), atomic_load(&p->relays_done));
	*last_reads = reads;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);	/* a signal ends it early: fine */
}

static int
all_cycled(struct poller *p)
{
	for (int i = 0; i < p->nbuses; i++)
		if (atomic_load(&p->buses[i]->cycles) == 0)
			return 0;
	return 1;
}

static void
usage(FILE *f)
{
	fputs("usage: prepay-poller [-c FILE] [--site CODE] [--profiles DIR] [--once] [--no-store]\n"
	    "                     [--log-level debug|info|warn|error]\n", f);
}

static void
opts_from_config(struct poller_opts *o, const struct config *c)
{
	const char *dir = config_str(c, "poller", "profiles");

	o->cycle_ms = config_int(c, "poller", "cycle_ms");
	o->store_every_ms = config_int(c, "poller", "store_every_s") * 1000;
	o->offline_after = (int)config_int(c, "poller", "offline_after");
	o->backoff_max_ms = config_int(c, "poller", "backoff_max_s") * 1000;
	o->reconnect_max_ms = config_int(c, "poller", "reconnect_max_s") * 1000;
	o->relay_poll_ms = config_int(c, "poller", "relay_poll_ms");
	o->relay_max_attempts = (int)config_int(c, "poller", "relay_max_attempts");
	o->reload_ms = config_int(c, "poller", "reload_s") * 1000;
	o->sweep_ms = config_int(c, "poller", "sweep_s") * 1000;
	o->stats_ms = config_int(c, "poller", "stats_s") * 1000;
	o->db_threads = (int)config_int(c, "poller", "db_threads");
	o->queue_len = (int)config_int(c, "poller", "queue");
	o->speed = config_int(c, "poller", "speed");
	snprintf(o->site, sizeof o->site, "%s", config_str(c, "poller", "site") ? config_str(c, "poller", "site") : "");
	snprintf(o->profiles, sizeof o->profiles, "%s", dir ? dir : PREPAY_PROFILE_DIR);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "profiles", required_argument, NULL, 'p' },
		{ "once", no_argument, NULL, 'o' },
		{ "no-store", no_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *site = NULL, *profiles = NULL, *level = NULL;
	struct poller p;
	struct db *db;
	struct sigaction sa;
	enum log_level lv;
	char err[512];
	int ch, once = 0, no_store = 0;
	int64_t next_reload, next_sweep, next_stats, next_part, last_stats, start;
	long long last_reads = 0;

	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 's': site = optarg; break;
		case 'p': profiles = optarg; break;
		case 'o': once = 1; break;
		case 'n': no_store = 1; break;
		case 'l': level = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	memset(&p, 0, sizeof p);
	p.cfg = settings_load_or_die(conf);
	if (log_level_parse(level ? level : config_str(p.cfg, "log", "level"), &lv) != 0) {
		fprintf(stderr, "prepay-poller: --log-level must be debug, info, warn or error\n");
		return 2;
	}
	log_init("prepay-poller", lv);
	opts_from_config(&p.o, p.cfg);
	if (site != NULL)
		snprintf(p.o.site, sizeof p.o.site, "%s", site);
	if (profiles != NULL)
		snprintf(p.o.profiles, sizeof p.o.profiles, "%s", profiles);
	p.o.once = once;
	p.o.no_store = no_store;
	pthread_mutex_init(&p.mu, NULL);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the first connection before any thread: the client library initialises here */
	if ((db = db_connect(p.cfg, err, sizeof err)) == NULL)
		fatalx("%s", err);
	if (p.o.site[0] != '\0' && db_query_int(db, &p.site_id, "SELECT id FROM sites WHERE code = ?", "s",
	    p.o.site) != 1)
		fatalx("--site %s: no such site (prepayctl park import creates sites)", p.o.site);
	writers_start(&p, p.o.db_threads, p.o.queue_len);
	log_info("started: cycle %" PRId64 " ms, store every %" PRId64 " s, %d writers%s, profiles %s",
	    p.o.cycle_ms, p.o.store_every_ms / 1000, p.o.db_threads, p.o.no_store ? " (--no-store: nothing written)" : "",
	    p.o.profiles);

	start = last_stats = clock_mono_ms();
	next_reload = next_sweep = next_part = start;
	next_stats = start + p.o.stats_ms;
	reload(&p, db, 1);
	next_reload = start + p.o.reload_ms;
	while (!stopping) {
		int64_t now = clock_mono_ms();
		if (now >= next_reload) {
			reload(&p, db, 0);
			next_reload = now + p.o.reload_ms;
		}
		if (!p.o.no_store) {
			if (relay_dispatch(&p, db) < 0)
				log_error("relay commands: %s", db_error(db));
			if (now >= next_sweep) {
				sweep(&p, db);
				next_sweep = now + p.o.sweep_ms;
			}
			if (now >= next_part) {
				readings_partitions_ensure(db, (int64_t)time(NULL), PARTITION_MONTHS_AHEAD);
				next_part = now + PARTITION_EVERY_MS;
			}
		}
		if (p.o.stats_ms > 0 && now >= next_stats) {
			stats(&p, now - last_stats, &last_reads);
			last_stats = now;
			next_stats = now + p.o.stats_ms;
		}
		if (p.o.once && all_cycled(&p))
			break;
		sleep_ms(p.o.relay_poll_ms);
	}
	log_info("stopping");
	for (int i = 0; i < p.nbuses; i++)
		bus_stop(p.buses[i]);
	writers_stop(p.w);	/* stores what is queued first */
	stats(&p, clock_mono_ms() - last_stats, &last_reads);
	for (int i = 0; i < p.nbuses; i++)
		bus_free(p.buses[i]);
	free(p.buses);
	free(p.inflight);
	writers_free(p.w);
	db_close(db);
	for (int i = 0; i < npcache; i++)
		free(pcache[i].prof);
	free(pcache);
	for (int i = 0; i < ngraveyard; i++)
		free(graveyard[i]);
	free(graveyard);
	config_free((struct config *)p.cfg);
	return 0;
}
