/*
 * log.c - logfmt lines on stderr (see log.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static const char *prog = "souk";

void
log_set_prog(const char *name)
{
	prog = name;
}

static void
emit(const char *level, const char *fmt, va_list ap)
{
	char line[4096];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ prog=%s pid=%d ",
	    ts.tv_nsec / 1000000, prog, (int)getpid());
	if (r > 0)
		n += (size_t)r;
	if (level != NULL) {
		r = snprintf(line + n, sizeof(line) - n, "level=%s msg=\"", level);
		if (r > 0)
			n += (size_t)r;
	}
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (r > 0)
			n += (size_t)r;
	}
	if (n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	/* Keep the message inside its quotes on one line. */
	if (level != NULL) {
		for (size_t i = 0; i < n; i++)
			if (line[i] == '\n')
				line[i] = ' ';
		line[n++] = '"';
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nothing sensible to do */
	}
}

#define LOGFN(name, level)                      \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		emit(level, fmt, ap);           \
		va_end(ap);                     \
	}
LOGFN(log_info, "info")
LOGFN(log_warn, "warn")
LOGFN(log_error, "error")
LOGFN(log_raw, NULL)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("fatal", fmt, ap);
	va_end(ap);
	abort();
}
