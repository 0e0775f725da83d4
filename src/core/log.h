/*
 * log.h - logging to stderr.
 *
 * Lines are logfmt ("ts=... level=... msg=..."), one per call, written with
 * a single write(2) so lines from several workers do not interleave.
 */
#ifndef SOUK_CORE_LOG_H
#define SOUK_CORE_LOG_H

#include <stdarg.h>

/* log_set_prog - name put in every line as prog=; @name must outlive logging. */
void log_set_prog(const char *name);

/* log_info / log_warn / log_error - write one line at that level; printf-style message. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_raw - write @fmt as given (plus a newline) with ts= and prog= prefixed; for access logs. */
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fatal - log at level=fatal and abort(); never returns. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
