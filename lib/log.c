#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/log.h"

static const char *log_prog = "prepay";
static enum log_level log_min = LOG_LEVEL_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_min = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

static void __attribute__((format(printf, 2, 0)))
log_vwrite(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	char msg[2048], stamp[32];
	struct timespec ts;
	struct tm tm;

	if (level < log_min)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* one event, one line: never let a value smuggle in a newline */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%ld]: %s: %s%s%s\n", stamp, ts.tv_nsec / 1000000,
	    log_prog, (long)getpid(), level_names[level], msg,
	    suffix ? ": " : "", suffix ? suffix : "");
}

#define LOG_FN(name, level) \
	void name(const char *fmt, ...) { va_list ap; va_start(ap, fmt); \
	log_vwrite(level, fmt, ap, NULL); va_end(ap); }
LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_error, LOG_LEVEL_ERROR)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
