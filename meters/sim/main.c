/*
 * prepay-meter-sim --park FILE --profiles DIR --control HOST:PORT
 *     [--port-offset N] [--speed X] [--seed N] [--state FILE]
 *     [--rtu-dir DIR] [--latency MS] [--log-level LEVEL]
 *
 * Serves every gateway of the park file over Modbus (docs/meter-sim.md).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "meters/sim/sim.h"
#include "tools/park_file.h"

volatile sig_atomic_t sim_stop;
static struct sim S;

int64_t
sim_now(const struct sim *s)
{
	return s->start_real_ms + (clock_mono_ms() - s->start_mono_ms) * s->speed_milli / 1000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: prepay-meter-sim --park FILE --profiles DIR --control HOST:PORT\n"
	    "    [--port-offset N] [--speed X] [--seed N] [--state FILE] [--rtu-dir DIR]\n"
	    "    [--latency MS] [--log-level debug|info|warn|error]\n");
	exit(2);
}

static long long
num_arg(const char *opt, const char *v, long long min, long long max)
{
	char *e;
	long long n;

	errno = 0;
	n = strtoll(v, &e, 10);
	if (errno || *e != '\0' || e == v || n < min || n > max) {
		fprintf(stderr, "prepay-meter-sim: %s %s: give a whole number in %lld..%lld\n", opt, v, min, max);
		exit(2);
	}
	return n;
}

/* "2", "0.5", "60.25": simulated seconds per real second, to 1/1000 */
static int64_t
speed_arg(const char *v)
{
	int64_t whole = 0, frac = 0;
	int digits = 0;
	const char *p = v;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((whole = whole * 10 + (*p - '0')) > 1000000)
			goto bad;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++digits > 3)
				goto bad;
			frac = frac * 10 + (*p - '0');
		}
	}
	if (*p != '\0' || (p[-1] == '.'))
		goto bad;
	while (digits++ < 3)
		frac *= 10;
	if (whole * 1000 + frac <= 0)
		goto bad;
	return whole * 1000 + frac;
bad:
	fprintf(stderr, "prepay-meter-sim: --speed %s: give simulated seconds per real second, "
	    "e.g. 1, 60 or 0.5 (up to 3 decimals, at most 1000000)\n", v);
	exit(2);
}

static char *
read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL)
		return NULL;
	buf = xmalloc(max + 1);
	*len = fread(buf, 1, max + 1, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static const struct profile *
profile_get(const char *dir, const char *name)
{
	char err[PROFILE_ERR_LEN];

	for (int i = 0; i < S.nprofiles; i++)
		if (strcmp(S.profiles[i].name, name) == 0)
			return &S.profiles[i];
	if (profile_load(dir, name, &S.profiles[S.nprofiles], err, sizeof err) != 0) {
		log_error("%s", err);
		return NULL;
	}
	return &S.profiles[S.nprofiles++];
}

static const char *
tenant_name(const struct park_site *s, const char *account)
{
	for (int i = 0; account && i < s->naccounts; i++)
		if (strcasecmp(s->accounts[i].code, account) == 0)
			for (int j = 0; j < s->ntenants; j++)
				if (strcasecmp(s->tenants[j].code, s->accounts[i].tenant) == 0)
					return s->tenants[j].name;
	return NULL;
}

static const char *
unit_name(const struct park_site *s, const char *unit)
{
	for (int i = 0; unit && i < s->nunits; i++)
		if (strcasecmp(s->units[i].code, unit) == 0)
			return s->units[i].name;
	return NULL;
}

static int
strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Builds gateways and meters from the park; 0 or -1 (logged). */
static int
build(struct park *pk, const char *profiles, int port_offset, const char *rtu_dir, int latency)
{
	int ng = 0, nm = 0, bad = 0, nh = 0, nw = 0;
	const char **hol, **work;

	for (int i = 0; i < pk->nsites; i++) {
		ng += pk->sites[i].ngateways;
		nm += pk->sites[i].nmeters;
		for (int d = 0; d < pk->sites[i].ndays; d++)
			if (pk->sites[i].days[d].kind == PARK_HOLIDAY)
				nh++;
			else
				nw++;
	}
	S.gateways = xcalloc((size_t)ng + 1, sizeof *S.gateways);
	S.meters = xcalloc((size_t)nm + 1, sizeof *S.meters);
	S.profiles = xcalloc((size_t)nm + 1, sizeof *S.profiles);
	hol = xcalloc((size_t)nh + 1, sizeof *hol);
	work = xcalloc((size_t)nw + 1, sizeof *work);
	nh = nw = 0;
	for (int i = 0; i < pk->nsites; i++) {
		struct park_site *site = &pk->sites[i];
		int g0 = S.ngateways;

		if (i > 0 && strcmp(site->timezone, pk->sites[0].timezone) != 0)
			log_warn("site %s: time zone %s differs from %s; the simulator runs all sites in %s",
			    site->code, site->timezone, pk->sites[0].timezone, pk->sites[0].timezone);
		/* one calendar for the whole simulated park (docs/meter-sim.md) */
		for (int d = 0; d < site->ndays; d++)
			if (site->days[d].kind == PARK_HOLIDAY)
				hol[nh++] = site->days[d].date;
			else
				work[nw++] = site->days[d].date;
		for (int j = 0; j < site->ngateways; j++) {
			const struct park_gateway *pg = &site->gateways[j];
			struct sim_gateway *g = &S.gateways[S.ngateways++];

			snprintf(g->id, sizeof g->id, "%s/%s", site->code, pg->code);
			g->site = site->code;
			g->code = pg->code;
			g->latency_ms = latency;
			if (pg->transport == PARK_RTU) {
				char tmp[1024];
				g->rtu = 1;
				g->baud = pg->baud > 0 ? pg->baud : 9600;
				g->bits_per_char = pg->parity == 'N' ? 10 : 11;
				snprintf(tmp, sizeof tmp, "%s", pg->device);
				if (rtu_dir)
					snprintf(g->device, sizeof g->device, "%s/%s", rtu_dir, basename(tmp));
				else
					snprintf(g->device, sizeof g->device, "%s", pg->device);
			} else {
				snprintf(g->host, sizeof g->host, "%s", pg->host);
				g->port = pg->port + port_offset;
				if (g->port < 1 || g->port > 65535) {
					log_error("gateway %s: port %d + offset %d is not a TCP port", g->id, pg->port,
					    port_offset);
					bad = 1;
				}
			}
		}
		for (int j = 0; j < site->nmeters; j++) {
			const struct park_meter *pm = &site->meters[j];
			struct sim_meter *m;
			struct sim_gateway *g = NULL;
			const struct profile *p;

			if (pm->gateway == NULL) {
				log_info("meter %s/%s has no gateway (read by hand): not simulated", site->code, pm->code);
				continue;
			}
			for (int k = g0; k < S.ngateways; k++)
				if (strcasecmp(S.gateways[k].code, pm->gateway) == 0)
					g = &S.gateways[k];
			if (g == NULL || (p = profile_get(profiles, pm->profile)) == NULL) {
				bad = 1;
				continue;
			}
			if ((strcmp(pm->energy, "water") == 0) != (p->energy == PROFILE_WATER)) {
				log_error("meter %s/%s: energy %s, but profile %s measures %s", site->code, pm->code,
				    pm->energy, p->name, p->energy == PROFILE_WATER ? "water" : "electricity");
				bad = 1;
				continue;
			}
			if (g->by_unit[pm->address] != NULL) {
				log_error("meter %s/%s: unit %d on gateway %s is taken by %s", site->code, pm->code,
				    pm->address, g->id, g->by_unit[pm->address]->id);
				bad = 1;
				continue;
			}
			m = &S.meters[S.nmeters++];
			pthread_mutex_init(&m->lock, NULL);
			snprintf(m->id, sizeof m->id, "%s/%s", site->code, pm->code);
			m->site = site->code;
			m->code = pm->code;
			snprintf(m->serial, sizeof m->serial, "%s", pm->serial ? pm->serial : pm->code);
			m->profile = p;
			m->gw = g;
			m->unit = pm->address;
			m->ratio = (pm->ct_ratio > 0 ? pm->ct_ratio : 1) * (pm->pt_ratio > 0 ? pm->pt_ratio : 1);
			m->park_relay = pm->relay;
			m->kind = model_kind_guess(tenant_name(site, pm->account), unit_name(site, pm->unit),
			    pm->account != NULL);
			g->by_unit[pm->address] = m;
			g->nmeters++;
			if (pm->relay && !p->relay.present)
				log_warn("meter %s: the park says relay, but profile %s has no relay register: "
				    "it cannot be switched", m->id, p->name);
		}
	}
	qsort(hol, (size_t)nh, sizeof *hol, strcmp_ptr);
	qsort(work, (size_t)nw, sizeof *work, strcmp_ptr);
	model_set_calendar(hol, nh, work, nw);
	return bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
	const char *park_path = NULL, *profiles = NULL, *control = NULL, *state = NULL, *rtu_dir = NULL;
	int port_offset = 0, latency = 0, rc = 1;
	enum log_level level = LOG_LEVEL_INFO;
	struct park_errors *errs;
	struct park *pk;
	sigset_t set;
	size_t len;
	char *text;

	S.speed_milli = 1000;
	S.seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0)
			usage();
		if (v == NULL)
			usage();
		i++;
		if (strcmp(o, "--park") == 0)
			park_path = v;
		else if (strcmp(o, "--profiles") == 0)
			profiles = v;
		else if (strcmp(o, "--control") == 0)
			control = v;
		else if (strcmp(o, "--state") == 0)
			state = v;
		else if (strcmp(o, "--rtu-dir") == 0)
			rtu_dir = v;
		else if (strcmp(o, "--port-offset") == 0)
			port_offset = (int)num_arg(o, v, -65535, 65535);
		else if (strcmp(o, "--latency") == 0)
			latency = (int)num_arg(o, v, 0, 60000);
		else if (strcmp(o, "--seed") == 0)
			S.seed = (uint64_t)num_arg(o, v, 0, LLONG_MAX);
		else if (strcmp(o, "--speed") == 0)
			S.speed_milli = speed_arg(v);
		else if (strcmp(o, "--log-level") == 0) {
			if (log_level_parse(v, &level) != 0) {
				fprintf(stderr, "prepay-meter-sim: --log-level %s: use debug, info, warn or error\n", v);
				return 2;
			}
		} else {
			fprintf(stderr, "prepay-meter-sim: unknown option %s\n", o);
			usage();
		}
	}
	if (park_path == NULL || profiles == NULL || control == NULL)
		usage();
	log_init("prepay-meter-sim", level);

	if ((text = read_file(park_path, PARK_FILE_MAX_BYTES, &len)) == NULL)
		fatal("%s", park_path);
	errs = xcalloc(1, sizeof *errs);
	if ((pk = park_file_parse(text, len, park_path, errs)) == NULL) {
		for (int i = 0; i < errs->n; i++)
			log_error("%s", errs->msg[i]);
		fatalx("%s: %d error(s); fix the park file", park_path, errs->total);
	}
	/* TOU bands and load shapes follow the site's local time */
	if (pk->nsites > 0 && pk->sites[0].timezone)
		setenv("TZ", pk->sites[0].timezone, 1);
	tzset();
	if (build(pk, profiles, port_offset, rtu_dir, latency) != 0)
		fatalx("%s: the park cannot be simulated (see above)", park_path);

	S.start_real_ms = (int64_t)time(NULL) * 1000;
	S.start_mono_ms = clock_mono_ms();
	for (int i = 0; i < S.nmeters; i++)
		model_init(&S.meters[i], S.seed, S.start_real_ms);
	if (state && access(state, F_OK) == 0 && state_load(&S, state) != 0)
		fatalx("state file %s cannot be used (see above); move it away to start fresh", state);

	/* signals go to this thread only; gateway threads poll sim_stop */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < S.ngateways; i++)
		if (gateway_start(&S, &S.gateways[i]) != 0) {
			log_error("gateway %s could not start", S.gateways[i].id);
			goto stop;
		}
	if (control_start(&S, control) != 0)
		goto stop;
	log_info("simulating %d meters on %d gateways, speed %lld.%03lld, seed %llu", S.nmeters,
	    S.ngateways, (long long)(S.speed_milli / 1000), (long long)(S.speed_milli % 1000),
	    (unsigned long long)S.seed);
	for (;;) {
		struct timespec ts = { 10, 0 };
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			log_info("signal %d: stopping", sig);
			break;
		}
		if (state)
			state_save(&S, state);
	}
	rc = 0;
stop:
	sim_stop = 1;
	control_stop();
	for (int i = 0; i < S.ngateways; i++)
		gateway_stop(&S.gateways[i]);
	if (state && rc == 0 && state_save(&S, state) != 0)
		rc = 1;
	park_free(pk);
	free(errs);
	free(text);
	log_info("stopped");
	return rc;
}
