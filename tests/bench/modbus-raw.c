/*
 * The baseline for the poller benchmark: plain libmodbus read loops, one
 * thread and one connection per gateway, as fast as the gateway answers.
 *
 *   modbus-raw [-s SECONDS] [-f FC] [-a ADDR] [-c COUNT] [-t TIMEOUT_MS]
 *              HOST:PORT:UNITS ...        UNITS: "1-7" or "1,3,5" or "2"
 *
 * Every gateway reads its units round-robin (fc, addr, count) for SECONDS
 * and the total is printed as "reads/s: N" (plus a line per gateway).
 */
#include <errno.h>
#include <modbus.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_GW 1024

struct target {
	char host[64];
	int port;
	int units[247], nunits;
	long reads, errors;
	pthread_t th;
};

static int fc = 3, addr, count = 2, timeout_ms = 500;
static double seconds = 5;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	struct target *t = arg;
	uint16_t regs[125];
	modbus_t *ctx = modbus_new_tcp(t->host, t->port);
	double end;
	int i = 0;

	if (ctx == NULL || modbus_connect(ctx) != 0) {
		fprintf(stderr, "modbus-raw: %s:%d: %s\n", t->host, t->port, modbus_strerror(errno));
		t->errors = -1;
		return NULL;
	}
	modbus_set_response_timeout(ctx, (uint32_t)(timeout_ms / 1000), (uint32_t)(timeout_ms % 1000) * 1000);
	end = now_s() + seconds;
	while (now_s() < end) {
		int rc;

		modbus_set_slave(ctx, t->units[i]);
		i = (i + 1) % t->nunits;
		rc = fc == 4 ? modbus_read_input_registers(ctx, addr, count, regs) :
		    modbus_read_registers(ctx, addr, count, regs);
		if (rc == count)
			t->reads++;
		else {
			t->errors++;
			modbus_flush(ctx);	/* a late answer must not pass for the next one */
		}
	}
	modbus_close(ctx);
	modbus_free(ctx);
	return NULL;
}

static int
parse_units(const char *s, struct target *t)
{
	while (*s) {
		char *e;
		long a = strtol(s, &e, 10), b = a;

		if (e == s)
			return -1;
		if (*e == '-')
			b = strtol(e + 1, &e, 10);
		if (a < 1 || b > 247 || a > b)
			return -1;
		for (long u = a; u <= b && t->nunits < 247; u++)
			t->units[t->nunits++] = (int)u;
		if (*e == ',')
			e++;
		else if (*e != '\0')
			return -1;
		s = e;
	}
	return t->nunits > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static struct target t[MAX_GW];
	int n = 0;
	long reads = 0, errors = 0;
	double t0, el;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] == '-' && v == NULL)
			goto usage;
		if (strcmp(argv[i], "-s") == 0)
			seconds = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "-f") == 0)
			fc = (int)strtol(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "-a") == 0)
			addr = (int)strtol(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "-c") == 0)
			count = (int)strtol(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "-t") == 0)
			timeout_ms = (int)strtol(argv[++i], NULL, 0);
		else {
			char host[64];
			int port;
			const char *c1 = strchr(argv[i], ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

			if (n >= MAX_GW || c2 == NULL || (size_t)(c1 - argv[i]) >= sizeof host)
				goto usage;
			memcpy(host, argv[i], (size_t)(c1 - argv[i]));
			host[c1 - argv[i]] = '\0';
			port = (int)strtol(c1 + 1, NULL, 10);
			snprintf(t[n].host, sizeof t[n].host, "%s", host);
			t[n].port = port;
			if (port < 1 || port > 65535 || parse_units(c2 + 1, &t[n]) != 0)
				goto usage;
			n++;
		}
	}
	if (n == 0 || seconds <= 0 || (fc != 3 && fc != 4) || count < 1 || count > 125 || timeout_ms < 1)
		goto usage;
	t0 = now_s();
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i].th, NULL, run, &t[i]) != 0) {
			fprintf(stderr, "modbus-raw: cannot start thread %d\n", i);
			return 1;
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i].th, NULL);
	el = now_s() - t0;
	for (int i = 0; i < n; i++) {
		if (t[i].errors < 0)
			return 1;
		printf("%s:%d: %d units, %ld reads, %ld errors, %.0f reads/s\n", t[i].host, t[i].port,
		    t[i].nunits, t[i].reads, t[i].errors, (double)t[i].reads / el);
		reads += t[i].reads;
		errors += t[i].errors;
	}
	printf("gateways: %d reads: %ld errors: %ld seconds: %.2f reads/s: %.0f\n", n, reads, errors, el,
	    (double)reads / el);
	return errors > 0 ? 3 : 0;
usage:
	fprintf(stderr, "usage: modbus-raw [-s SECONDS] [-f 3|4] [-a ADDR] [-c COUNT] [-t TIMEOUT_MS] "
	    "HOST:PORT:UNITS ...\n  UNITS: 1-7, 1,3,5 or 2\n");
	return 2;
}
