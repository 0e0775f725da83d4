/*
 * buf.h - growable byte buffer.
 *
 * A buf_t either lives in an arena (grows by copying into a larger arena
 * block; released with the arena) or on the heap (arena == NULL; released
 * with buf_free).  The data is always NUL-terminated after len bytes, so it
 * can be used as a C string when it holds text.
 */
#ifndef SOUK_CORE_BUF_H
#define SOUK_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/arena.h"

typedef struct buf {
	char *data;	/* NUL-terminated contents (NULL while cap == 0) */
	size_t len;	/* bytes used, excluding the NUL */
	size_t cap;	/* bytes allocated */
	arena_t *arena;	/* owner of data, or NULL for malloc */
} buf_t;

/* buf_init - make @b empty, owned by @arena (NULL: heap). Allocates nothing. */
void buf_init(buf_t *b, arena_t *arena);

/* buf_free - release heap storage of @b (no-op for arena buffers); @b is empty after. */
void buf_free(buf_t *b);

/* buf_reserve - ensure room for @n more bytes plus the NUL. Aborts when out of memory. */
void buf_reserve(buf_t *b, size_t n);

/* buf_append - append @n bytes from @p. */
void buf_append(buf_t *b, const void *p, size_t n);

/* buf_puts - append the NUL-terminated string @s (NULL appends nothing). */
void buf_puts(buf_t *b, const char *s);

/* buf_putc - append one byte. */
void buf_putc(buf_t *b, char c);

/* buf_printf - append printf-formatted text. */
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* buf_vprintf - va_list form of buf_printf. */
void buf_vprintf(buf_t *b, const char *fmt, va_list ap);

/* buf_truncate - shorten to @len bytes (no-op if already shorter). */
void buf_truncate(buf_t *b, size_t len);

/* buf_cstr - the contents as a NUL-terminated string ("" when empty); owned by @b. */
const char *buf_cstr(buf_t *b);

#endif
