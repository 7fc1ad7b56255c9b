/*
 * The control interface (docs/meter-sim.md): HTTP/1.1 + JSON on loopback,
 * one request per connection, answered in turn by one thread. Requests are
 * bounded (8 KiB of head, 4 KiB of body) and must arrive within 2 s.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "meters/sim/sim.h"

#define HEAD_MAX 8192
#define BODY_MAX 4096
#define REQ_DEADLINE_MS 2000

static struct sim *S;
static int listen_fd = -1;
static pthread_t thread;
static int running;

struct reply {
	int status;
	char *body;		/* JSON text, malloc'd */
};

static void
reply_json(struct reply *r, int status, cJSON *j)
{
	r->status = status;
	r->body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
}

static void __attribute__((format(printf, 3, 4)))
reply_error(struct reply *r, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	cJSON *j = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(j, "error", msg);
	reply_json(r, status, j);
}

static const char *
band_name(int b)
{
	static const char *const n[] = { "sharp", "peak", "flat", "valley" };
	return n[b];
}

/* the meter as JSON; takes the lock */
static cJSON *
meter_json(struct sim_meter *m)
{
	cJSON *j = cJSON_CreateObject(), *f;
	const struct profile *p = m->profile;
	int water = p->energy == PROFILE_WATER;
	int64_t now_mono = clock_mono_ms();

	pthread_mutex_lock(&m->lock);
	model_advance(m, sim_now(S));
	cJSON_AddStringToObject(j, "id", m->id);
	cJSON_AddStringToObject(j, "site", m->site);
	cJSON_AddStringToObject(j, "code", m->code);
	cJSON_AddStringToObject(j, "gateway", m->gw->code);
	cJSON_AddNumberToObject(j, "unit", m->unit);
	cJSON_AddStringToObject(j, "serial", m->serial);
	cJSON_AddStringToObject(j, "profile", p->name);
	cJSON_AddStringToObject(j, "energy", water ? "water" : "electricity");
	cJSON_AddStringToObject(j, "load", model_kind_name(m->kind));
	cJSON_AddNumberToObject(j, "ratio", m->ratio);
	/* primary side: what the tenant used; register: what the meter shows */
	cJSON_AddNumberToObject(j, water ? "volume_l" : "energy_wh", (double)(m->counter_mwh / 1000));
	cJSON_AddNumberToObject(j, "register", (double)model_register_counter(m, m->counter_mwh));
	if (p->has_tou) {
		cJSON *t = cJSON_AddObjectToObject(j, "tou_wh");
		for (int b = 0; b < SIM_TOU_BANDS; b++)
			cJSON_AddNumberToObject(t, band_name(b), (double)(m->tou_mwh[b] / 1000));
	}
	cJSON_AddNumberToObject(j, water ? "flow_lh" : "power_w", (double)m->power_milli);
	cJSON_AddStringToObject(j, "supply", m->supply_on ? "on" : "off");
	if (p->relay.present)
		cJSON_AddStringToObject(j, p->relay.kind == PROFILE_VALVE ? "valve" : "relay",
		    p->relay.kind == PROFILE_VALVE ? (m->supply_on ? "open" : "closed") :
		    (m->supply_on ? "closed" : "open"));
	else
		cJSON_AddNullToObject(j, "relay");
	if (m->fault != FAULT_NONE && m->fault_until_ms && now_mono >= m->fault_until_ms)
		m->fault = FAULT_NONE;
	if (m->fault == FAULT_NONE)
		cJSON_AddNullToObject(j, "fault");
	else {
		f = cJSON_AddObjectToObject(j, "fault");
		cJSON_AddStringToObject(f, "fault", fault_name(m->fault));
		if (m->fault_left > 0)
			cJSON_AddNumberToObject(f, "count", m->fault_left);
		if (m->fault_until_ms)
			cJSON_AddNumberToObject(f, "for_s", (double)((m->fault_until_ms - now_mono + 999) / 1000));
		if (m->fault == FAULT_LATE)
			cJSON_AddNumberToObject(f, "delay_ms", m->fault_delay_ms);
		if (m->fault == FAULT_EXCEPTION)
			cJSON_AddNumberToObject(f, "code", m->fault_code);
	}
	cJSON_AddNumberToObject(j, "requests", (double)m->requests);
	cJSON_AddNumberToObject(j, "answered", (double)m->answered);
	cJSON_AddNumberToObject(j, "relay_writes", (double)m->relay_writes);
	pthread_mutex_unlock(&m->lock);
	return j;
}

static cJSON *
gateway_json(struct sim_gateway *g)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "id", g->id);
	cJSON_AddStringToObject(j, "site", g->site);
	cJSON_AddStringToObject(j, "code", g->code);
	cJSON_AddStringToObject(j, "transport", g->rtu ? "rtu" : "tcp");
	if (g->rtu) {
		cJSON_AddStringToObject(j, "device", g->device);
		cJSON_AddNumberToObject(j, "baud", g->baud);
	} else {
		cJSON_AddStringToObject(j, "host", g->host);
		cJSON_AddNumberToObject(j, "port", g->port);
	}
	cJSON_AddNumberToObject(j, "meters", g->nmeters);
	cJSON_AddNumberToObject(j, "latency_ms", __atomic_load_n(&g->latency_ms, __ATOMIC_RELAXED));
	cJSON_AddNumberToObject(j, "transactions",
	    (double)__atomic_load_n(&g->transactions, __ATOMIC_RELAXED));
	if (!g->rtu)
		cJSON_AddNumberToObject(j, "clients", __atomic_load_n(&g->clients, __ATOMIC_RELAXED));
	return j;
}

/*
 * "site/code" or a code that is unique in the park. *rest gets what follows.
 */
static struct sim_meter *
find_meter(const char *path, const char **rest, struct reply *r)
{
	char seg0[64], seg1[64];
	const char *s1 = strchr(path, '/'), *s2;
	size_t n0 = s1 ? (size_t)(s1 - path) : strlen(path);
	struct sim_meter *hit = NULL;
	int hits = 0;

	if (n0 == 0 || n0 >= sizeof seg0) {
		reply_error(r, 404, "no meter \"%.*s\" (see GET /meters)", (int)(n0 < 64 ? n0 : 64), path);
		return NULL;
	}
	memcpy(seg0, path, n0);
	seg0[n0] = '\0';
	if (s1) {
		s2 = strchr(s1 + 1, '/');
		size_t n1 = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
		if (n1 > 0 && n1 < sizeof seg1) {
			memcpy(seg1, s1 + 1, n1);
			seg1[n1] = '\0';
			for (int i = 0; i < S->nmeters; i++)
				if (strcmp(S->meters[i].site, seg0) == 0 && strcmp(S->meters[i].code, seg1) == 0) {
					*rest = s2 ? s2 : "";
					return &S->meters[i];
				}
		}
	}
	for (int i = 0; i < S->nmeters; i++)
		if (strcmp(S->meters[i].code, seg0) == 0) {
			hit = &S->meters[i];
			hits++;
		}
	if (hits > 1) {
		reply_error(r, 400, "meter code \"%s\" is in more than one site: use /meters/SITE/%s", seg0, seg0);
		return NULL;
	}
	if (hits == 0) {
		reply_error(r, 404, "no meter \"%s\" (see GET /meters)", seg0);
		return NULL;
	}
	*rest = s1 ? s1 : "";
	return hit;
}

static struct sim_gateway *
find_gateway(const char *path, const char **rest, struct reply *r)
{
	struct sim_gateway *hit = NULL;
	int hits = 0;

	for (int i = 0; i < S->ngateways; i++) {
		size_t n = strlen(S->gateways[i].id);
		if (strncmp(path, S->gateways[i].id, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
			*rest = path + n;
			return &S->gateways[i];
		}
	}
	for (int i = 0; i < S->ngateways; i++) {
		size_t n = strlen(S->gateways[i].code);
		if (strncmp(path, S->gateways[i].code, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
			hit = &S->gateways[i];
			*rest = path + n;
			hits++;
		}
	}
	if (hits == 1)
		return hit;
	if (hits > 1)
		reply_error(r, 400, "gateway code is in more than one site: use /gateways/SITE/CODE");
	else
		reply_error(r, 404, "no such gateway (see GET /gateways)");
	return NULL;
}

/* body keys must be among allowed; returns the parsed object or NULL (reply set) */
static cJSON *
parse_body(const char *body, size_t len, const char *const *allowed, struct reply *r)
{
	cJSON *j = cJSON_ParseWithLength(body, len);

	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		reply_error(r, 400, "the body must be a JSON object");
		return NULL;
	}
	for (cJSON *k = j->child; k; k = k->next) {
		int ok = 0;
		for (int i = 0; allowed[i]; i++)
			ok |= strcmp(k->string, allowed[i]) == 0;
		if (!ok) {
			reply_error(r, 400, "unknown key \"%s\"", k->string);
			cJSON_Delete(j);
			return NULL;
		}
	}
	return j;
}

/* an optional integer member in [min, max]; -1 with the reply set when bad */
static int
body_int(cJSON *j, const char *key, int64_t min, int64_t max, int64_t *out, struct reply *r)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < (double)min || v->valuedouble > (double)max) {
		reply_error(r, 400, "\"%s\" must be an integer in %lld..%lld", key, (long long)min,
		    (long long)max);
		return -1;
	}
	*out = (int64_t)v->valuedouble;
	return 1;
}

static void
post_fault(struct sim_meter *m, const char *body, size_t len, struct reply *r)
{
	static const char *const keys[] = { "fault", "count", "for_s", "delay_ms", "code", NULL };
	cJSON *j = parse_body(body, len, keys, r), *v;
	enum sim_fault f;
	int64_t count = -1, for_s = 0, delay = 2000, code = 4;

	if (j == NULL)
		return;
	v = cJSON_GetObjectItemCaseSensitive(j, "fault");
	if (!cJSON_IsString(v) || fault_parse(v->valuestring, &f) != 0) {
		reply_error(r, 400, "\"fault\" must be one of no_answer, late, garbage, exception, "
		    "relay_ignore, counter_reset, rollover, replaced");
		goto out;
	}
	if (body_int(j, "count", 1, 1000000, &count, r) < 0 || body_int(j, "for_s", 1, 86400, &for_s, r) < 0 ||
	    body_int(j, "delay_ms", 1, 60000, &delay, r) < 0 || body_int(j, "code", 1, 255, &code, r) < 0)
		goto out;
	pthread_mutex_lock(&m->lock);
	if (f >= FAULT_COUNTER_RESET)
		fault_apply_action(m, f, sim_now(S));
	else {
		m->fault = f;
		m->fault_left = (int)count;
		m->fault_until_ms = for_s ? clock_mono_ms() + for_s * 1000 : 0;
		m->fault_delay_ms = (int)delay;
		m->fault_code = (int)code;
		if (count > 0)
			log_info("meter %s: fault %s set (count %lld)", m->id, fault_name(f), (long long)count);
		else if (for_s > 0)
			log_info("meter %s: fault %s set (for %lld s)", m->id, fault_name(f), (long long)for_s);
		else
			log_info("meter %s: fault %s set (until cleared)", m->id, fault_name(f));
	}
	pthread_mutex_unlock(&m->lock);
	reply_json(r, 200, meter_json(m));
out:
	cJSON_Delete(j);
}

static void
post_counter(struct sim_meter *m, const char *body, size_t len, struct reply *r)
{
	static const char *const keys[] = { "energy_wh", "volume_l", "tou_wh", NULL };
	cJSON *j = parse_body(body, len, keys, r), *t;
	int64_t v = -1, tou[SIM_TOU_BANDS];
	const int64_t max = (int64_t)1 << 50;

	if (j == NULL)
		return;
	if (body_int(j, "energy_wh", 0, max, &v, r) < 0 || body_int(j, "volume_l", 0, max, &v, r) < 0)
		goto out;
	if (v < 0) {
		reply_error(r, 400, "give \"energy_wh\" (or \"volume_l\" for water): the primary-side counter");
		goto out;
	}
	if ((t = cJSON_GetObjectItemCaseSensitive(j, "tou_wh")) != NULL) {
		int i = 0;
		if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) != SIM_TOU_BANDS) {
			reply_error(r, 400, "\"tou_wh\" must be [sharp, peak, flat, valley] in Wh");
			goto out;
		}
		for (cJSON *e = t->child; e; e = e->next, i++) {
			if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 ||
			    e->valuedouble > (double)max) {
				reply_error(r, 400, "\"tou_wh\"[%d] must be a whole number of Wh", i);
				goto out;
			}
			tou[i] = (int64_t)e->valuedouble;
		}
	}
	pthread_mutex_lock(&m->lock);
	model_advance(m, sim_now(S));
	m->counter_mwh = v * 1000;
	m->rem = 0;
	if (t)
		for (int b = 0; b < SIM_TOU_BANDS; b++)
			m->tou_mwh[b] = tou[b] * 1000;
	log_info("meter %s: counter set to %lld (control interface)", m->id, (long long)v);
	pthread_mutex_unlock(&m->lock);
	reply_json(r, 200, meter_json(m));
out:
	cJSON_Delete(j);
}

static void
post_relay(struct sim_meter *m, const char *body, size_t len, struct reply *r)
{
	static const char *const keys[] = { "closed", "supply", NULL };
	cJSON *j = parse_body(body, len, keys, r), *c, *s;
	int on;

	if (j == NULL)
		return;
	c = cJSON_GetObjectItemCaseSensitive(j, "closed");
	s = cJSON_GetObjectItemCaseSensitive(j, "supply");
	if (!m->profile->relay.present) {
		reply_error(r, 409, "meter %s (profile %s) has no relay or valve", m->id, m->profile->name);
		goto out;
	}
	if (c && cJSON_IsBool(c) && !s && m->profile->relay.kind == PROFILE_RELAY)
		on = cJSON_IsTrue(c);
	else if (c && cJSON_IsBool(c) && !s)
		on = !cJSON_IsTrue(c);	/* a closed valve stops the water */
	else if (s && !c && cJSON_IsString(s) && strcmp(s->valuestring, "on") == 0)
		on = 1;
	else if (s && !c && cJSON_IsString(s) && strcmp(s->valuestring, "off") == 0)
		on = 0;
	else {
		reply_error(r, 400, "give {\"closed\": true|false} or {\"supply\": \"on\"|\"off\"}");
		goto out;
	}
	pthread_mutex_lock(&m->lock);
	model_advance(m, sim_now(S));
	model_set_supply(m, on, "manual, control interface");
	pthread_mutex_unlock(&m->lock);
	reply_json(r, 200, meter_json(m));
out:
	cJSON_Delete(j);
}

static void
route(const char *method, const char *path, const char *body, size_t blen, struct reply *r)
{
	const char *rest = "";

	if (strcmp(path, "/healthz") == 0 && strcmp(method, "GET") == 0) {
		cJSON *j = cJSON_CreateObject();
		char stamp[40];
		time_t t = (time_t)(sim_now(S) / 1000);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z", &tm);
		cJSON_AddBoolToObject(j, "ok", 1);
		cJSON_AddNumberToObject(j, "gateways", S->ngateways);
		cJSON_AddNumberToObject(j, "meters", S->nmeters);
		cJSON_AddStringToObject(j, "sim_time", stamp);
		cJSON_AddNumberToObject(j, "speed", (double)S->speed_milli / 1000.0);
		reply_json(r, 200, j);
		return;
	}
	if (strcmp(path, "/meters") == 0) {
		cJSON *a;
		if (strcmp(method, "GET") != 0) {
			reply_error(r, 405, "%s /meters: only GET", method);
			return;
		}
		a = cJSON_CreateArray();
		for (int i = 0; i < S->nmeters; i++)
			cJSON_AddItemToArray(a, meter_json(&S->meters[i]));
		reply_json(r, 200, a);
		return;
	}
	if (strcmp(path, "/gateways") == 0 && strcmp(method, "GET") == 0) {
		cJSON *a = cJSON_CreateArray();
		for (int i = 0; i < S->ngateways; i++)
			cJSON_AddItemToArray(a, gateway_json(&S->gateways[i]));
		reply_json(r, 200, a);
		return;
	}
	if (strncmp(path, "/meters/", 8) == 0) {
		struct sim_meter *m = find_meter(path + 8, &rest, r);
		if (m == NULL)
			return;
		if (strcmp(rest, "") == 0 && strcmp(method, "GET") == 0)
			reply_json(r, 200, meter_json(m));
		else if (strcmp(rest, "/fault") == 0 && strcmp(method, "POST") == 0)
			post_fault(m, body, blen, r);
		else if (strcmp(rest, "/fault") == 0 && strcmp(method, "DELETE") == 0) {
			pthread_mutex_lock(&m->lock);
			if (m->fault != FAULT_NONE)
				log_info("meter %s: fault %s cleared", m->id, fault_name(m->fault));
			m->fault = FAULT_NONE;
			pthread_mutex_unlock(&m->lock);
			reply_json(r, 200, meter_json(m));
		} else if (strcmp(rest, "/counter") == 0 && strcmp(method, "POST") == 0)
			post_counter(m, body, blen, r);
		else if (strcmp(rest, "/relay") == 0 && strcmp(method, "POST") == 0)
			post_relay(m, body, blen, r);
		else
			reply_error(r, 404, "%s %s: no such operation (see docs/meter-sim.md)", method, path);
		return;
	}
	if (strncmp(path, "/gateways/", 10) == 0) {
		struct sim_gateway *g = find_gateway(path + 10, &rest, r);
		static const char *const keys[] = { "ms", NULL };
		cJSON *j;
		int64_t ms = -1;

		if (g == NULL)
			return;
		if (strcmp(rest, "") == 0 && strcmp(method, "GET") == 0) {
			reply_json(r, 200, gateway_json(g));
			return;
		}
		if (strcmp(rest, "/latency") != 0 || strcmp(method, "POST") != 0) {
			reply_error(r, 404, "%s %s: no such operation (see docs/meter-sim.md)", method, path);
			return;
		}
		if ((j = parse_body(body, blen, keys, r)) == NULL)
			return;
		if (body_int(j, "ms", 0, 60000, &ms, r) >= 0) {
			if (ms < 0)
				reply_error(r, 400, "give {\"ms\": N}, 0..60000");
			else {
				__atomic_store_n(&g->latency_ms, (int)ms, __ATOMIC_RELAXED);
				log_info("gateway %s: latency set to %lld ms", g->id, (long long)ms);
				reply_json(r, 200, gateway_json(g));
			}
		}
		cJSON_Delete(j);
		return;
	}
	reply_error(r, 404, "%s %s: not found (see docs/meter-sim.md)", method, path);
}

static const char *
status_text(int s)
{
	switch (s) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	default: return "Error";
	}
}

/* reads until want bytes are there or the deadline passes */
static int
read_some(int fd, char *buf, size_t cap, size_t *n, int64_t deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t left = deadline - clock_mono_ms();
	ssize_t r;

	if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
		return -1;
	r = read(fd, buf + *n, cap - *n);
	if (r <= 0)
		return -1;
	*n += (size_t)r;
	return 0;
}

static void
serve(int fd)
{
	char buf[HEAD_MAX + BODY_MAX + 1], method[16], path[512], hdr[256];
	size_t n = 0, head_len, clen = 0;
	char *end, *p;
	struct reply r = { 0, NULL };
	int64_t deadline = clock_mono_ms() + REQ_DEADLINE_MS;

	for (;;) {
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (n >= HEAD_MAX) {
			reply_error(&r, 413, "request head larger than %d bytes", HEAD_MAX);
			goto send;
		}
		if (read_some(fd, buf, HEAD_MAX, &n, deadline) != 0)
			goto drop;
	}
	head_len = (size_t)(end - buf) + 4;
	if (sscanf(buf, "%15s %511s HTTP/1.", method, path) != 2) {
		reply_error(&r, 400, "not an HTTP request line");
		goto send;
	}
	for (p = strstr(buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		size_t l = strcspn(p + 2, "\r");
		if (l >= sizeof hdr)
			continue;
		memcpy(hdr, p + 2, l);
		hdr[l] = '\0';
		if (strncasecmp(hdr, "Content-Length:", 15) == 0) {
			char *e;
			unsigned long v = strtoul(hdr + 15, &e, 10);
			if (*e != '\0' || v > BODY_MAX) {
				reply_error(&r, 413, "body larger than %d bytes or a bad Content-Length", BODY_MAX);
				goto send;
			}
			clen = v;
		}
	}
	while (n < head_len + clen)
		if (read_some(fd, buf, head_len + clen, &n, deadline) != 0)
			goto drop;
	if (strchr(path, '?'))
		*strchr(path, '?') = '\0';
	route(method, path, buf + head_len, clen, &r);
	if (r.status != 200)
		log_info("control: %s %s -> %d", method, path, r.status);
send: {
		char head[256];
		size_t bl = r.body ? strlen(r.body) : 0;
		int hl = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", r.status, status_text(r.status), bl + 1);

		if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) == hl && bl)
			send(fd, r.body, bl, MSG_NOSIGNAL);
		send(fd, "\n", 1, MSG_NOSIGNAL);
	}
drop:
	free(r.body);
}

static void *
control_thread(void *arg)
{
	while (!sim_stop) {
		struct pollfd pfd = { listen_fd, POLLIN, 0 };
		int fd;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((fd = accept(listen_fd, NULL, NULL)) < 0)
			continue;
		serve(fd);
		close(fd);
	}
	return NULL;
}

int
control_start(struct sim *s, const char *hostport)
{
	struct sockaddr_in sa;
	char host[64];
	const char *colon = strrchr(hostport, ':');
	char *e;
	long port;
	int one = 1;

	S = s;
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof host) {
		log_error("--control %s: give HOST:PORT, e.g. 127.0.0.1:15080", hostport);
		return -1;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	port = strtol(colon + 1, &e, 10);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (*e != '\0' || port < 1 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		log_error("--control %s: give an IPv4 HOST:PORT, e.g. 127.0.0.1:15080", hostport);
		return -1;
	}
	if ((listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(listen_fd, 16) < 0) {
		log_error("control: cannot listen on %s: %s", hostport, strerror(errno));
		return -1;
	}
	if (pthread_create(&thread, NULL, control_thread, NULL) != 0)
		return -1;
	running = 1;
	log_info("control interface on http://%s/", hostport);
	return 0;
}

void
control_stop(void)
{
	if (running)
		pthread_join(thread, NULL);
	if (listen_fd >= 0)
		close(listen_fd);
}
