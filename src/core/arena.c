/*
 * arena.c - per-request region allocator (see arena.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK (64 * 1024)

struct chunk {
	struct chunk *next;
	size_t size;	/* usable bytes in data[] */
	size_t used;
	unsigned char data[] __attribute__((aligned(ARENA_ALIGN)));
};

struct arena {
	struct chunk *head;	/* current chunk; older chunks follow */
	size_t chunk;
	size_t total;
};

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c = malloc(sizeof(*c) + size);

	if (c == NULL)
		fatal("arena: out of memory (%zu bytes)", size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

arena_t *
arena_new(size_t chunk)
{
	arena_t *a = calloc(1, sizeof(*a));

	if (a == NULL)
		fatal("arena: out of memory");
	a->chunk = chunk ? chunk : ARENA_DEFAULT_CHUNK;
	return a;
}

void
arena_free(arena_t *a)
{
	struct chunk *c, *n;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void
arena_reset(arena_t *a)
{
	struct chunk *c, *n, *keep = NULL;

	/* Keep the last (first-allocated, standard sized) chunk. */
	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		if (n == NULL && c->size == a->chunk)
			keep = c;
		else
			free(c);
	}
	a->head = keep;
	a->total = 0;
	if (keep != NULL) {
		keep->used = 0;
		a->total = sizeof(*keep) + keep->size;
	}
}

void *
arena_alloc(arena_t *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < n)
		fatal("arena: size overflow");
	if (need == 0)
		need = ARENA_ALIGN;
	if (c == NULL || c->size - c->used < need) {
		if (need > a->chunk / 4) {
			/* Large block: its own chunk, slotted behind the head. */
			struct chunk *big = chunk_new(need);

			a->total += sizeof(*big) + need;
			big->used = need;
			if (c != NULL) {
				big->next = c->next;
				c->next = big;
			} else
				a->head = big;
			return big->data;
		}
		c = chunk_new(a->chunk);
		a->total += sizeof(*c) + a->chunk;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	return p;
}

void *
arena_calloc(arena_t *a, size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > SIZE_MAX / size)
		fatal("arena: size overflow");
	p = arena_alloc(a, count * size);
	memset(p, 0, count * size);
	return p;
}

char *
arena_strndup(arena_t *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(arena_t *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(arena_t *a, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	char *p;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		fatal("arena: bad format");
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(arena_t *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

size_t
arena_bytes(const arena_t *a)
{
	return a->total;
}
