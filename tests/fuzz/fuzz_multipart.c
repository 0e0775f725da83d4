/*
 * fuzz_multipart.c - libFuzzer target for src/http/multipart.c.
 *
 * Input layout: byte 0 seeds the chunk splitter, byte 1 picks the largest
 * chunk, the rest is a multipart body for the fixed boundary BOUNDARY.
 * The same body is also parsed in one piece, and both runs must report
 * the same events and the same result: a split must never change what
 * the parser sees.  The first line of the body is also tried as a
 * Content-Type header for mp_boundary().  Each run uses a fresh arena,
 * freed at the end, so LeakSanitizer sees any leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/multipart.h"
#include "http/parse.h"

#define BOUNDARY	"fuzzB0undary"

static const struct upload_limits lim = { 8, 4, 256, 512, 4096, 1 << 20 };

struct rec {
	buf_t ev;
	int in_part;
	int is_file;
	size_t size;
};

static int
on_part(void *ctx, const struct mp_part *p)
{
	struct rec *r = ctx;
	size_t n = strlen(p->name);

	if (r->in_part || n == 0 || n > MP_MAX_NAME || !utf8_valid(p->name, n))
		abort();
	r->in_part = 1;
	r->is_file = p->filename != NULL;
	r->size = 0;
	buf_printf(&r->ev, "P%s|%s|%s;", p->name, p->filename ? p->filename : "-",
	    p->content_type ? p->content_type : "-");
	return MP_OK;
}

static int
on_data(void *ctx, const char *d, size_t n)
{
	struct rec *r = ctx;

	if (!r->in_part || n == 0)
		abort();
	r->size += n;
	if (r->size > (r->is_file ? lim.max_file : lim.max_field))
		abort();
	buf_append(&r->ev, d, n);
	return MP_OK;
}

static int
on_end(void *ctx)
{
	struct rec *r = ctx;

	if (!r->in_part)
		abort();
	r->in_part = 0;
	buf_puts(&r->ev, ";E;");
	return MP_OK;
}

static const struct mp_callbacks cb = { on_part, on_data, on_end };

static int
parse(arena_t *a, const char *d, size_t n, unsigned seed, size_t maxchunk, buf_t **ev)
{
	struct rec *r = arena_calloc(a, 1, sizeof(*r));
	mp_parser_t *p;
	size_t off = 0;
	int e = MP_OK;

	buf_init(&r->ev, a);
	*ev = &r->ev;
	p = mp_parser_new(a, BOUNDARY, &lim, &cb, r);
	if (p == NULL)
		abort();
	while (off < n && e == MP_OK) {
		size_t k;

		seed = seed * 1103515245u + 12345u;
		k = maxchunk == 0 ? n - off : 1 + (seed >> 8) % maxchunk;
		if (k > n - off)
			k = n - off;
		e = mp_feed(p, d + off, k);
		off += k;
	}
	if (e == MP_OK)
		e = mp_finish(p);
	if (mp_feed(p, "x", 1) != e && e != MP_OK)
		abort();	/* errors are sticky */
	/* A parser that ended well saw every part closed. */
	if (e == MP_OK && r->in_part)
		abort();
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a;
	buf_t *ev1, *ev2;
	const char *body, *nl, *b;
	size_t n;
	int e1, e2;

	if (size < 2)
		return 0;
	a = arena_new(0);
	body = (const char *)data + 2;
	n = size - 2;
	e1 = parse(a, body, n, data[0], 1 + data[1] % 16, &ev1);
	e2 = parse(a, body, n, 0, 0, &ev2);
	if (e1 != e2)
		abort();
	if (e1 == MP_OK && (ev1->len != ev2->len ||
	    (ev1->len > 0 && memcmp(ev1->data, ev2->data, ev1->len) != 0)))
		abort();
	if (mp_http_status(e1) != 200 && mp_http_status(e1) != 400 && mp_http_status(e1) != 413)
		abort();

	/* The first line as a Content-Type header. */
	nl = memchr(body, '\n', n);
	{
		char *ct = arena_strndup(a, body, nl != NULL ? (size_t)(nl - body) : n);

		if (mp_boundary(a, ct, &b) == MP_OK) {
			size_t bl = strlen(b);

			if (bl == 0 || bl > MP_MAX_BOUNDARY || mp_parser_new(a, b, NULL, NULL, NULL) == NULL)
				abort();
		}
		b = mp_sanitize_filename(a, ct);
		if (!utf8_valid(b, strlen(b)) || strchr(b, '/') != NULL || strchr(b, '\\') != NULL ||
		    b[0] == '.' || strlen(b) > 200)
			abort();
	}
	arena_free(a);
	return 0;
}
