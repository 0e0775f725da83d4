/*
 * buf.c - growable byte buffer (see buf.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"

void
buf_init(buf_t *b, arena_t *arena)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->arena = arena;
}

void
buf_free(buf_t *b)
{
	if (b->arena == NULL)
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_reserve(buf_t *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (n > ((size_t)-1) / 2 - b->len)
		fatal("buf: size overflow");
	want = b->len + n + 1;
	if (want <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	if (b->arena != NULL) {
		p = arena_alloc(b->arena, cap);
		if (b->len)
			memcpy(p, b->data, b->len);
	} else {
		p = realloc(b->data, cap);
		if (p == NULL)
			fatal("buf: out of memory (%zu bytes)", cap);
	}
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
}

void
buf_append(buf_t *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(buf_t *b, const char *s)
{
	if (s != NULL)
		buf_append(b, s, strlen(s));
}

void
buf_putc(buf_t *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		fatal("buf: bad format");
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(buf_t *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_truncate(buf_t *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

const char *
buf_cstr(buf_t *b)
{
	return b->data ? b->data : "";
}
