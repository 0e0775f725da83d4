/*
 * arena.h - per-request region allocator.
 *
 * An arena hands out memory from large chunks and frees it all at once.
 * Every request gets one (src/http), handlers allocate from it and never
 * free single objects.  Allocation failure aborts the process (a worker that
 * cannot allocate is respawned by the master), so callers do not check NULL.
 */
#ifndef SOUK_CORE_ARENA_H
#define SOUK_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena_t;

/*
 * arena_new - create an empty arena.
 * @chunk: size in bytes of each chunk taken from malloc (0 = 64 KiB).
 * Returns: the arena, owned by the caller; release it with arena_free().
 */
arena_t *arena_new(size_t chunk);

/*
 * arena_free - release an arena and everything allocated from it.
 * @a: the arena, or NULL (ignored).
 */
void arena_free(arena_t *a);

/*
 * arena_reset - forget every allocation but keep the first chunk for reuse.
 * @a: the arena.  Pointers handed out before are invalid afterwards.
 */
void arena_reset(arena_t *a);

/*
 * arena_alloc - allocate @n bytes aligned to 16 bytes, uninitialised.
 * Returns: memory owned by the arena, valid until arena_reset/arena_free.
 */
void *arena_alloc(arena_t *a, size_t n);

/* arena_calloc - like arena_alloc for @count * @size bytes, zeroed; aborts on overflow. */
void *arena_calloc(arena_t *a, size_t count, size_t size);

/* arena_strdup - copy of the NUL-terminated @s in the arena (NULL gives NULL). */
char *arena_strdup(arena_t *a, const char *s);

/* arena_strndup - copy of the first @n bytes of @s plus a NUL, in the arena. */
char *arena_strndup(arena_t *a, const char *s, size_t n);

/* arena_printf - printf into a new NUL-terminated string in the arena. */
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* arena_vprintf - va_list form of arena_printf. */
char *arena_vprintf(arena_t *a, const char *fmt, va_list ap);

/* arena_bytes - total bytes currently taken from malloc by @a (for metrics). */
size_t arena_bytes(const arena_t *a);

#endif
