/*
 * prepay-poller (docs/poller.md). Threads:
 *
 *   main     loads gateways, meters and profiles (and reloads them), owns
 *            the gateway locks, hands due relay commands to their bus,
 *            runs the policy sweep and keeps the readings partitions.
 *   bus      one per gateway: the only user of its Modbus context. Reads
 *            its meters in turn with the gateway's gap between requests,
 *            relay commands first; backs off dead meters and reconnects.
 *            It never touches the database: results go to a writer.
 *   writer   [poller] db_threads of them, each with its own connection;
 *            a meter always goes to the same writer, so its readings are
 *            stored in order. Validate, store, bill, alert — one
 *            transaction per result.
 */
#ifndef PREPAY_POLLER_H
#define PREPAY_POLLER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "lib/config.h"
#include "lib/db.h"
#include "meters/profile.h"
#include "meters/validate.h"

#define POLLER_CODE_MAX 33
#define POLLER_MAX_BLOCKS 4		/* reads per meter per cycle */
#define POLLER_ERR_MAX 160
#define POLLER_RELAY_QUEUE 64		/* relay commands waiting per bus */
#define POLLER_ACTOR "poller"

struct poller_opts {
	int64_t cycle_ms;		/* a bus starts a new round this often */
	int64_t store_every_ms;		/* store and bill a meter's reading at most this often */
	int offline_after;		/* failed attempts in a row: offline alert */
	int64_t backoff_max_ms;		/* a dead meter is retried at least this often */
	int64_t reconnect_max_ms;
	int64_t relay_poll_ms;
	int relay_max_attempts;
	int64_t reload_ms, sweep_ms, stats_ms;
	int db_threads;
	int queue_len;			/* results waiting per writer */
	int64_t speed;			/* simulated park: elapsed time × speed for the spike check */
	int no_store;			/* benchmark: read only, write nothing */
	int once;			/* one cycle per bus, then exit (tests, benchmarks) */
	char site[POLLER_CODE_MAX];	/* only this site's gateways; "" all */
	char profiles[512];
};

struct pblock { uint8_t fc; uint16_t addr, count; };

/* One meter as loaded; what a bus needs to read it and a writer to judge it. */
struct pmeter {
	int64_t id, site_id, account_id;
	char code[POLLER_CODE_MAX], serial[VALIDATE_SERIAL_MAX];
	int unit;
	int64_t ratio;			/* CT × PT */
	int relay_capable;
	const struct profile *prof;	/* lives as long as the process (profile cache) */
	int nblocks;
	struct pblock blocks[POLLER_MAX_BLOCKS];
	/* the bus thread's own bookkeeping */
	int fails;
	int64_t next_try_ms, last_sent_ms;
};

struct pgateway {
	int64_t id, site_id;
	char code[POLLER_CODE_MAX];
	int rtu;
	char host[256], device[256];
	int port, baud;
	char parity;
	int timeout_ms, gap_ms;
};

/* A relay command on its way to the bus and back. */
struct prelay {
	int64_t id, meter_id, account_id;
	int supply_on;			/* 1 close (on), 0 open (off) */
	int attempts;			/* before this one */
};

enum presult_kind { PR_READING, PR_FAIL, PR_RELAY };

struct presult {
	enum presult_kind kind;
	int64_t meter_id, account_id, site_id;
	char code[POLLER_CODE_MAX], serial[VALIDATE_SERIAL_MAX];
	int64_t ratio;
	struct validate_limits lim;
	int64_t at_ms;
	int64_t reg_milli;		/* PR_READING: the import counter */
	int has_tou;
	int64_t tou_milli[4];		/* sharp, peak, flat, valley (register terms) */
	char err[POLLER_ERR_MAX];	/* PR_FAIL, PR_RELAY */
	struct prelay cmd;		/* PR_RELAY */
	int confirmed, wrote;
	int state_now;			/* -1 unknown, 0 off, 1 on */
};

struct bus {
	struct poller *p;
	struct pgateway gw;
	pthread_t thread;
	int started;
	atomic_int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pmeter *next_meters;	/* handed over by a reload, taken at a round's start */
	int next_nmeters, has_next;
	struct prelay relay[POLLER_RELAY_QUEUE];
	int nrelay;
	/* for stats: written by the bus, read by main */
	atomic_llong last_cycle_ms, reads, errors, cycles;
	atomic_int connected;
	int seen;			/* reload bookkeeping */
};

struct poller;

/* bus.c */
struct bus *bus_new(const struct pgateway *);
void bus_free(struct bus *);			/* after bus_stop */
void bus_start(struct poller *, struct bus *);
void bus_stop(struct bus *);			/* joins */
void bus_set_meters(struct bus *, struct pmeter *, int n);	/* takes ownership */
int bus_queue_relay(struct bus *, const struct prelay *);	/* 0, or -1 full */
int64_t poller_now_ms(void);

/* plan.c: which registers to read for a profile */
int plan_blocks(const struct profile *, struct pmeter *, char *err, size_t errlen);
/* decode the blocks' words into the counter and TOU bands */
int plan_decode(const struct pmeter *, uint16_t *const words[], int64_t *import_milli,
    int *has_tou, int64_t tou_milli[4]);
int64_t plan_tolerance(const struct profile *, int64_t value_milli);

/* writer.c */
struct writers;
struct writers *writers_start(struct poller *, int n, int queue_len);
void writers_stop(struct writers *);	/* drains the queues, joins */
void writers_free(struct writers *);
/* 0, or -1 when the queue is full (wait=0) */
int writers_push(struct writers *, const struct presult *, int wait);
long long writers_dropped(struct writers *);
long long writers_stored(struct writers *);
int writers_depth(struct writers *);

/* relay.c: the main thread's side of relay commands */
int relay_dispatch(struct poller *, struct db *);
void relay_done(struct poller *, int64_t cmd_id);	/* a writer finished it */

/* readings.c: partitions, and the state a writer persists */
int readings_partitions_ensure(struct db *, int64_t now_s, int months_ahead);

struct poller {
	const struct config *cfg;
	struct poller_opts o;
	struct writers *w;
	pthread_mutex_t mu;		/* buses list, in-flight relay commands */
	struct bus **buses;
	int nbuses;
	int64_t *inflight;
	int ninflight, capinflight;
	int64_t site_id;		/* with o.site */
	atomic_llong relays_done;
};

#endif
