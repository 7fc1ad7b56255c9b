/*
 * One thread per gateway: the only owner of its Modbus context (libmodbus
 * contexts are not thread safe, and interleaved requests kill a bus).
 * Requests are serialized with the gateway's gap; relay commands go
 * before the next routine read; a meter that does not answer is backed
 * off so it cannot stall its neighbours; after any error the link is
 * flushed (a late answer must not be read as the next one); a broken
 * link is reconnected with backoff. No database here: results go to the
 * writers.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <modbus.h>
#include "lib/clock.h"
#include "meters/poller/poller.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

struct session {
	struct poller *p;
	struct bus *b;
	modbus_t *ctx;
	int need_flush;
	int64_t last_tx_ms;		/* end of the last transaction, for the gap */
	int64_t reconnect_delay_ms, next_connect_ms;
	struct pmeter *m;
	int n;
};

int64_t
poller_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* errors after which the link itself is gone, not just one answer */
static int
link_broken(int e)
{
	return e == ECONNRESET || e == EPIPE || e == EBADF || e == ENOTCONN || e == ECONNREFUSED ||
	    e == ECONNABORTED || e == EIO;
}

static void
session_close(struct session *s)
{
	if (s->ctx == NULL)
		return;
	modbus_close(s->ctx);
	modbus_free(s->ctx);
	s->ctx = NULL;
	atomic_store(&s->b->connected, 0);
}

/* A pseudo-terminal (the simulator's socat bus) has no parity and refuses
 * to be given one (EINVAL): open it with none. A real serial port keeps
 * the gateway's parity. */
static char
rtu_parity(const struct pgateway *g)
{
	char real[PATH_MAX];

	if (g->parity != 'N' && realpath(g->device, real) != NULL && strncmp(real, "/dev/pts/", 9) == 0)
		return 'N';
	return g->parity;
}

static int
session_connect(struct session *s, char *err, size_t errlen)
{
	const struct pgateway *g = &s->b->gw;
	int64_t now = clock_mono_ms();

	if (now < s->next_connect_ms) {
		snprintf(err, errlen, "gateway %s unreachable (next try in %" PRId64 " ms)", g->code,
		    s->next_connect_ms - now);
		return -1;
	}
	s->ctx = g->rtu ? modbus_new_rtu(g->device, g->baud, rtu_parity(g), 8, 1) :
	    modbus_new_tcp(g->host, g->port);
	if (s->ctx == NULL) {
		snprintf(err, errlen, "gateway %s: %s", g->code, modbus_strerror(errno));
		return -1;
	}
	modbus_set_response_timeout(s->ctx, (uint32_t)(g->timeout_ms / 1000), (uint32_t)(g->timeout_ms % 1000) * 1000);
	if (modbus_connect(s->ctx) != 0) {
		snprintf(err, errlen, "gateway %s (%.64s%s%d): cannot connect: %s", g->code,
		    g->rtu ? g->device : g->host, g->rtu ? "@" : ":", g->rtu ? g->baud : g->port,
		    modbus_strerror(errno));
		modbus_free(s->ctx);
		s->ctx = NULL;
		if (s->reconnect_delay_ms == 0)
			log_warn("%s", err);
		s->reconnect_delay_ms = s->reconnect_delay_ms == 0 ? 500 : s->reconnect_delay_ms * 2;
		if (s->reconnect_delay_ms > s->p->o.reconnect_max_ms)
			s->reconnect_delay_ms = s->p->o.reconnect_max_ms;
		s->next_connect_ms = now + s->reconnect_delay_ms;
		return -1;
	}
	if (s->reconnect_delay_ms != 0)
		log_info("gateway %s: connected again", g->code);
	else
		log_debug("gateway %s: connected", g->code);
	s->reconnect_delay_ms = 0;
	s->need_flush = 1;
	atomic_store(&s->b->connected, 1);
	return 0;
}

/* One Modbus transaction, with the gap before it and a flush after an error. */
static int
session_tx(struct session *s, int unit, int op, uint16_t addr, int count, uint16_t *words, char *err, size_t errlen)
{
	int64_t wait = s->last_tx_ms + s->b->gw.gap_ms - clock_mono_ms();
	int rc, e;

	if (s->ctx == NULL && session_connect(s, err, errlen) != 0)
		return -1;
	if (wait > 0)
		sleep_ms(wait);
	if (s->need_flush) {
		modbus_flush(s->ctx);
		s->need_flush = 0;
	}
	modbus_set_slave(s->ctx, unit);
	switch (op) {
	case 3: rc = modbus_read_registers(s->ctx, addr, count, words); break;
	case 4: rc = modbus_read_input_registers(s->ctx, addr, count, words); break;
	case 6: rc = modbus_write_register(s->ctx, addr, words[0]); break;
	default: rc = modbus_write_registers(s->ctx, addr, count, words); break;
	}
	e = errno;
	s->last_tx_ms = clock_mono_ms();
	atomic_fetch_add(&s->b->reads, 1);
	if (rc == -1 || (op <= 4 && rc != count)) {
		atomic_fetch_add(&s->b->errors, 1);
		snprintf(err, errlen, "unit %d: fc %d @0x%04x: %s", unit, op, addr,
		    rc == -1 ? modbus_strerror(e) : "short answer");
		s->need_flush = 1;
		if (rc == -1 && link_broken(e)) {
			log_warn("gateway %s: link lost (%s): reconnecting", s->b->gw.code, modbus_strerror(e));
			session_close(s);
		}
		return -1;
	}
	return 0;
}

static void
result_init(struct presult *r, enum presult_kind kind, const struct pmeter *m, int64_t speed)
{
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->meter_id = m->id;
	r->account_id = m->account_id;
	r->site_id = m->site_id;
	snprintf(r->code, sizeof r->code, "%s", m->code);
	snprintf(r->serial, sizeof r->serial, "%s", m->serial);
	r->ratio = m->ratio;
	r->lim.max_power_milli = m->prof->max_power_milli;
	r->lim.rollover_milli = m->prof->rollover_milli;
	r->lim.speed = speed;
	r->state_now = -1;
}

static void
read_meter(struct session *s, struct pmeter *m)
{
	const struct poller_opts *o = &s->p->o;
	uint16_t buf[POLLER_MAX_BLOCKS][125];
	uint16_t *words[POLLER_MAX_BLOCKS];
	struct presult r;
	char err[POLLER_ERR_MAX] = "";
	int64_t now;
	int ok = 1;

	for (int i = 0; i < m->nblocks && ok; i++) {
		words[i] = buf[i];
		if (session_tx(s, m->unit, m->blocks[i].fc, m->blocks[i].addr, m->blocks[i].count, buf[i],
		    err, sizeof err) != 0)
			ok = 0;
	}
	now = poller_now_ms();
	if (ok) {
		result_init(&r, PR_READING, m, o->speed);
		r.at_ms = now;
		if (plan_decode(m, words, &r.reg_milli, &r.has_tou, r.tou_milli) != 0) {
			ok = 0;
			snprintf(err, sizeof err, "unit %d: the counter does not decode (NaN, infinite or negative)",
			    m->unit);
		}
	}
	if (ok) {
		int was_failing = m->fails > 0;
		m->fails = 0;
		m->next_try_ms = 0;
		r.lim.tolerance_milli = plan_tolerance(m->prof, r.reg_milli);
		/* store at most every store_every_ms, but at once when it comes back */
		if (!o->no_store && (was_failing || m->last_sent_ms == 0 || now - m->last_sent_ms >= o->store_every_ms) &&
		    now - m->last_sent_ms >= 1000) {
			if (writers_push(s->p->w, &r, 0) == 0)
				m->last_sent_ms = now;
		}
		return;
	}
	m->fails++;
	{
		int64_t backoff = 0;
		if (m->fails > 1) {
			backoff = o->cycle_ms;
			for (int i = 2; i < m->fails && backoff < o->backoff_max_ms; i++)
				backoff *= 2;
			if (backoff > o->backoff_max_ms)
				backoff = o->backoff_max_ms;
		}
		m->next_try_ms = backoff ? clock_mono_ms() + backoff : 0;
	}
	log_debug("meter %s: %s (failure %d)", m->code, err, m->fails);
	if (o->no_store)
		return;
	result_init(&r, PR_FAIL, m, o->speed);
	r.at_ms = now;
	snprintf(r.err, sizeof r.err, "%s", err);
	writers_push(s->p->w, &r, 0);
}

static struct pmeter *
find_meter(struct session *s, int64_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->m[i].id == id)
			return &s->m[i];
	return NULL;
}

/* 1 on, 0 off, -1 neither (or not readable) */
static int
relay_state(struct session *s, const struct pmeter *m, char *err, size_t errlen)
{
	const struct profile_relay *rl = &m->prof->relay;
	uint16_t w[PROFILE_RELAY_MAX_WORDS];

	if (session_tx(s, m->unit, rl->state_fc, rl->state_address, rl->state_nwords, w, err, errlen) != 0)
		return -1;
	if (memcmp(w, rl->state_on, (size_t)rl->state_nwords * sizeof w[0]) == 0)
		return 1;
	if (memcmp(w, rl->state_off, (size_t)rl->state_nwords * sizeof w[0]) == 0)
		return 0;
	snprintf(err, errlen, "unit %d: relay state 0x%04x is neither on nor off", m->unit, w[0]);
	return -1;
}

/* Read first, write only when needed, read back to confirm: a command
 * carried out again after a crash switches nothing twice. */
static void
run_relay(struct session *s, const struct prelay *cmd)
{
	struct pmeter *m = find_meter(s, cmd->meter_id);
	struct presult r;
	char err[POLLER_ERR_MAX] = "";

	memset(&r, 0, sizeof r);
	if (m != NULL)
		result_init(&r, PR_RELAY, m, s->p->o.speed);
	r.kind = PR_RELAY;
	r.meter_id = cmd->meter_id;
	r.account_id = cmd->account_id;
	r.cmd = *cmd;
	r.state_now = -1;
	if (m == NULL || !m->prof->relay.present) {
		snprintf(r.err, sizeof r.err, "meter %" PRId64 " is not on gateway %s or its profile has no relay",
		    cmd->meter_id, s->b->gw.code);
	} else {
		const struct profile_relay *rl = &m->prof->relay;
		r.state_now = relay_state(s, m, err, sizeof err);
		if (r.state_now == cmd->supply_on) {
			r.confirmed = 1;
		} else if (s->ctx != NULL) {	/* else the link is down: err says so */
			uint16_t w[PROFILE_RELAY_MAX_WORDS];
			memcpy(w, cmd->supply_on ? rl->on : rl->off, sizeof w);
			err[0] = '\0';
			if (session_tx(s, m->unit, rl->write_fc16 ? 16 : 6, rl->address, rl->nwords, w, err,
			    sizeof err) == 0) {
				r.wrote = 1;
				r.state_now = relay_state(s, m, err, sizeof err);
				r.confirmed = r.state_now == cmd->supply_on;
				if (!r.confirmed && err[0] == '\0')
					snprintf(err, sizeof err, "wrote supply %s but the meter still reads %s",
					    cmd->supply_on ? "on" : "off", r.state_now == 1 ? "on" : "off");
			}
		}
		if (!r.confirmed)
			snprintf(r.err, sizeof r.err, "%s", err);
	}
	r.at_ms = poller_now_ms();
	log_info("relay command %" PRId64 ": meter %" PRId64 " supply %s: %s%s%s", cmd->id, cmd->meter_id,
	    cmd->supply_on ? "on" : "off", r.confirmed ? "confirmed" : "not confirmed",
	    r.confirmed ? (r.wrote ? " after a write" : " (already so)") : ": ", r.confirmed ? "" : r.err);
	writers_push(s->p->w, &r, 1);
}

static void
service_relays(struct session *s)
{
	struct prelay cmd;

	for (;;) {
		pthread_mutex_lock(&s->b->mu);
		if (s->b->nrelay == 0) {
			pthread_mutex_unlock(&s->b->mu);
			return;
		}
		cmd = s->b->relay[0];
		memmove(&s->b->relay[0], &s->b->relay[1], (size_t)(s->b->nrelay - 1) * sizeof cmd);
		s->b->nrelay--;
		pthread_mutex_unlock(&s->b->mu);
		run_relay(s, &cmd);
	}
}

/* a reload's meter list replaces ours; each meter keeps its backoff */
static void
take_meters(struct session *s)
{
	struct pmeter *nm;
	int nn;

	pthread_mutex_lock(&s->b->mu);
	if (!s->b->has_next) {
		pthread_mutex_unlock(&s->b->mu);
		return;
	}
	nm = s->b->next_meters;
	nn = s->b->next_nmeters;
	s->b->next_meters = NULL;
	s->b->has_next = 0;
	pthread_mutex_unlock(&s->b->mu);
	for (int i = 0; i < nn; i++) {
		struct pmeter *old = find_meter(s, nm[i].id);
		if (old != NULL) {
			nm[i].fails = old->fails;
			nm[i].next_try_ms = old->next_try_ms;
			nm[i].last_sent_ms = old->last_sent_ms;
		}
	}
	free(s->m);
	s->m = nm;
	s->n = nn;
}

static void *
bus_main(void *arg)
{
	struct session s = { 0 };
	struct bus *b = arg;

	s.b = b;
	s.p = b->p;
	while (!atomic_load(&b->stop)) {
		int64_t start = clock_mono_ms(), deadline;
		long long reads_before = atomic_load(&b->reads);
		char err[POLLER_ERR_MAX];

		take_meters(&s);
		service_relays(&s);
		if (s.ctx == NULL && session_connect(&s, err, sizeof err) != 0) {
			/* each due meter counts a failed attempt, so offline alerts come */
			for (int i = 0; i < s.n; i++) {
				struct pmeter *m = &s.m[i];
				struct presult r;
				if (m->next_try_ms > start || s.p->o.no_store)
					continue;
				m->fails++;
				m->next_try_ms = start + s.p->o.cycle_ms / 2;
				result_init(&r, PR_FAIL, m, s.p->o.speed);
				r.at_ms = poller_now_ms();
				snprintf(r.err, sizeof r.err, "%s", err);
				writers_push(s.p->w, &r, 0);
			}
		} else {
			for (int i = 0; i < s.n && !atomic_load(&b->stop); i++) {
				service_relays(&s);
				if (s.m[i].next_try_ms > clock_mono_ms())
					continue;
				read_meter(&s, &s.m[i]);
			}
		}
		atomic_store(&b->last_cycle_ms, clock_mono_ms() - start);
		atomic_fetch_add(&b->cycles, 1);
		if (s.p->o.once)
			break;
		/* never spin: a round without a transaction (no meters, link down) waits */
		deadline = start + s.p->o.cycle_ms;
		if (atomic_load(&b->reads) == reads_before && deadline < start + 100)
			deadline = start + 100;
		for (;;) {
			int64_t left;
			struct timespec ts;
			service_relays(&s);
			if (atomic_load(&b->stop) || (left = deadline - clock_mono_ms()) <= 0)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)(left / 1000);
			ts.tv_nsec += (long)(left % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_mutex_lock(&b->mu);
			if (b->nrelay == 0 && !atomic_load(&b->stop))
				pthread_cond_timedwait(&b->cv, &b->mu, &ts);
			pthread_mutex_unlock(&b->mu);
		}
	}
	session_close(&s);
	free(s.m);
	return NULL;
}

void
bus_start(struct poller *p, struct bus *b)
{
	b->p = p;
	if (pthread_create(&b->thread, NULL, bus_main, b) != 0)
		fatal("pthread_create");
	b->started = 1;
}

void
bus_stop(struct bus *b)
{
	if (!b->started)
		return;
	atomic_store(&b->stop, 1);
	pthread_mutex_lock(&b->mu);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	b->started = 0;
	free(b->next_meters);
	b->next_meters = NULL;
}

void
bus_set_meters(struct bus *b, struct pmeter *m, int n)
{
	pthread_mutex_lock(&b->mu);
	free(b->next_meters);
	b->next_meters = m;
	b->next_nmeters = n;
	b->has_next = 1;
	pthread_mutex_unlock(&b->mu);
}

int
bus_queue_relay(struct bus *b, const struct prelay *cmd)
{
	int rc = -1;

	pthread_mutex_lock(&b->mu);
	if (b->nrelay < POLLER_RELAY_QUEUE) {
		b->relay[b->nrelay++] = *cmd;
		rc = 0;
		pthread_cond_broadcast(&b->cv);
	}
	pthread_mutex_unlock(&b->mu);
	return rc;
}

struct bus *
bus_new(const struct pgateway *g)
{
	struct bus *b = xcalloc(1, sizeof *b);

	b->gw = *g;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	return b;
}

void
bus_free(struct bus *b)
{
	if (b == NULL)
		return;
	free(b->next_meters);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b);
}
