/*
 * test_multipart.c - unit tests for src/http/multipart.c.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "http/multipart.h"
#include "http/parse.h"

#define B	"----souk7MA4YWxkTrZu0gW"
#define CT	"multipart/form-data; boundary=" B

/* Per test: an arena and a private temporary directory. */
struct fx {
	arena_t *a;
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->a = arena_new(0);
	memcpy(f->dir, "/tmp/souk-mp-test.XXXXXX", sizeof("/tmp/souk-mp-test.XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

/* Number of entries in @dir besides . and .. */
static int
dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char p[512];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	arena_free(f->a);
	free(f);
	return 0;
}

/* A body served in chunks of @chunk bytes (0: all at once). */
struct src {
	const char *data;
	size_t len, off, chunk;
};

static long
src_read(void *ctx, char *buf, size_t n)
{
	struct src *s = ctx;
	size_t k = s->len - s->off;

	if (k > n)
		k = n;
	if (s->chunk > 0 && k > s->chunk)
		k = s->chunk;
	memcpy(buf, s->data + s->off, k);
	s->off += k;
	return (long)k;
}

/* Run http_read_multipart_from over @body; returns the status, *err the MP code. */
static int
run(struct fx *f, http_req_t *req, const char *ct, const char *body, size_t len,
    size_t chunk, const struct upload_limits *lim, int *err)
{
	struct src s = { body, len, 0, chunk };

	memset(req, 0, sizeof(*req));
	req->arena = f->a;
	req->request_id = "test";
	req->content_type = ct;
	req->content_length = (long long)len;
	return http_read_multipart_from(req, lim, f->dir, src_read, &s, err);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *d = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(fp);
	n = fread(d, 1, 1 << 20, fp);
	fclose(fp);
	*len = n;
	return d;
}

static const char good_body[] =
    "preamble to ignore\r\n"
    "--" B "\r\n"
    "Content-Disposition: form-data; name=\"csrf\"\r\n"
    "\r\n"
    "tok123\r\n"
    "--" B "\r\n"
    "content-disposition: form-data; name=\"title\"\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Logo design \xe4\xb8\xad\xe6\x96\x87\r\n-- not a boundary\r\n"
    "--" B "\r\n"
    "Content-Disposition: form-data; name=\"image\"; filename=\"../../etc/passwd\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\x89PNG\r\n\x1a\n\0\0\r\n--" "----souk7MA4YWxkTrZu0g" "x-ish\r\r\n-\r\n--\r\n"
    "--" B "\r\n"
    "Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "\r\n"
    "--" B "\r\n"
    "Content-Disposition: form-data; name=\"blank\"\r\n"
    "\r\n"
    "\r\n"
    "--" B "--\r\n"
    "epilogue, ignored\r\n";

static const char file_content[] =
    "\x89PNG\r\n\x1a\n\0\0\r\n--" "----souk7MA4YWxkTrZu0g" "x-ish\r\r\n-\r\n--";

static void
check_good(struct fx *f, size_t chunk)
{
	http_req_t req;
	struct stat st;
	size_t n;
	char *d;
	int err;

	assert_int_equal(run(f, &req, CT, good_body, sizeof(good_body) - 1, chunk, NULL, &err), 0);
	assert_int_equal(err, MP_OK);
	assert_int_equal(req.form.n, 3);
	assert_string_equal(kv_get(&req.form, "csrf"), "tok123");
	assert_string_equal(kv_get(&req.form, "title"),
	    "Logo design \xe4\xb8\xad\xe6\x96\x87\r\n-- not a boundary");
	assert_string_equal(kv_get(&req.form, "blank"), "");
	assert_int_equal(req.nuploads, 1);
	assert_string_equal(req.uploads[0].field, "image");
	assert_string_equal(req.uploads[0].filename, "passwd");
	assert_string_equal(req.uploads[0].client_type, "image/png");
	assert_int_equal(req.uploads[0].size, sizeof(file_content) - 1);
	assert_non_null(req.uploads[0].path);
	assert_int_equal(strncmp(req.uploads[0].path, f->dir, strlen(f->dir)), 0);
	assert_null(strstr(req.uploads[0].path, "passwd"));
	assert_int_equal(stat(req.uploads[0].path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	d = slurp(req.uploads[0].path, &n);
	assert_int_equal(n, sizeof(file_content) - 1);
	assert_memory_equal(d, file_content, n);
	free(d);
	assert_int_equal(dir_entries(f->dir), 1);
	http_uploads_cleanup(&req);
	assert_int_equal(req.nuploads, 0);
	assert_int_equal(dir_entries(f->dir), 0);
	http_uploads_cleanup(&req);	/* twice is fine */
}

static void
test_good_chunks(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 64, 0 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_good(*state, sizes[i]);
}

/* ---- parser level: every split point gives the same events ------------- */

struct rec {
	buf_t out;
	int in_part;
};

static int
rec_part(void *ctx, const struct mp_part *p)
{
	struct rec *r = ctx;

	assert_false(r->in_part);
	r->in_part = 1;
	buf_printf(&r->out, "[%s|%s|%s]", p->name, p->filename ? p->filename : "-",
	    p->content_type ? p->content_type : "-");
	return MP_OK;
}

static int
rec_data(void *ctx, const char *d, size_t n)
{
	struct rec *r = ctx;

	assert_true(r->in_part);
	assert_true(n > 0);
	buf_append(&r->out, d, n);
	return MP_OK;
}

static int
rec_end(void *ctx)
{
	struct rec *r = ctx;

	assert_true(r->in_part);
	r->in_part = 0;
	buf_puts(&r->out, "[/]");
	return MP_OK;
}

static const struct mp_callbacks rec_cb = { rec_part, rec_data, rec_end };

/* Parse @body split at @k; returns the mp_finish code, events in *out. */
static int
parse_split(arena_t *a, const char *boundary, const char *body, size_t len, size_t k,
    const struct upload_limits *lim, const char **out)
{
	struct rec r;
	mp_parser_t *p;
	int e;

	memset(&r, 0, sizeof(r));
	buf_init(&r.out, a);
	p = mp_parser_new(a, boundary, lim, &rec_cb, &r);
	assert_non_null(p);
	if ((e = mp_feed(p, body, k)) == MP_OK && (e = mp_feed(p, body + k, len - k)) == MP_OK)
		e = mp_finish(p);
	*out = buf_cstr(&r.out);
	return e;
}

static void
test_split_everywhere(void **state)
{
	struct fx *f = *state;
	const char *want, *got;
	size_t len = sizeof(good_body) - 1;

	assert_int_equal(parse_split(f->a, B, good_body, len, len, NULL, &want), MP_OK);
	assert_non_null(strstr(want, "[image|../../etc/passwd|image/png]"));
	for (size_t k = 0; k <= len; k++) {
		assert_int_equal(parse_split(f->a, B, good_body, len, k, NULL, &got), MP_OK);
		assert_string_equal(got, want);
	}
}

static void
test_crlf_edges(void **state)
{
	struct fx *f = *state;
	const char *got;
	/* Body starting directly with the delimiter, data with CRs and dashes. */
	static const char body[] =
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\r\r\n\r\n-\r\n--\r\n--c\r\n--bb"
	    "\r\n--b  \t\r\nContent-Disposition: form-data; name=\"z\"\r\n\r\n"
	    "\r\n--b--";

	assert_int_equal(parse_split(f->a, "b", body, sizeof(body) - 1, 3, NULL, &got),
	    MP_EMALFORMED);	/* "\r\n--bb" is the delimiter followed by junk */
	static const char body2[] =
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\r\r\n\r\n-\r\n--\r\n--c\r\n-b"
	    "\r\n--b  \t\r\nContent-Disposition: form-data; name=\"z\"\r\n\r\n"
	    "\r\n--b--";
	assert_int_equal(parse_split(f->a, "b", body2, sizeof(body2) - 1, 7, NULL, &got), MP_OK);
	assert_string_equal(got, "[a|-|-]\r\r\n\r\n-\r\n--\r\n--c\r\n-b[/][z|-|-][/]");
}

static void
test_quoted_boundary(void **state)
{
	struct fx *f = *state;
	http_req_t req;
	int err;
	static const char body[] =
	    "--a b:c=d?'()+_,-./\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
	    "--a b:c=d?'()+_,-./--";

	assert_int_equal(run(f, &req, "Multipart/Form-Data; charset=utf-8; "
	    "boundary=\"a b:c=d?'()+_,-./\"", body, sizeof(body) - 1, 5, NULL, &err), 0);
	assert_string_equal(kv_get(&req.form, "x"), "1");
}

static void
test_boundary_header(void **state)
{
	struct fx *f = *state;
	const char *b;
	char big[128];

	assert_int_equal(mp_boundary(f->a, "multipart/form-data; boundary=abc", &b), MP_OK);
	assert_string_equal(b, "abc");
	assert_int_equal(mp_boundary(f->a, "multipart/form-data;boundary=\"a\\\"\";x=1", &b),
	    MP_EBOUNDARY);	/* '"' is not a bchar */
	assert_int_equal(mp_boundary(f->a, "MULTIPART/FORM-DATA ; BOUNDARY=\"q r\" ;", &b), MP_OK);
	assert_string_equal(b, "q r");
	assert_int_equal(mp_boundary(f->a, "multipart/form-data", &b), MP_EBOUNDARY);
	assert_null(b);
	assert_int_equal(mp_boundary(f->a, "multipart/form-data; boundary=", &b), MP_EBOUNDARY);
	assert_int_equal(mp_boundary(f->a, "multipart/form-data; boundary=\"ab \"", &b), MP_EBOUNDARY);
	assert_int_equal(mp_boundary(f->a, "multipart/form-data; boundary=a; boundary=a", &b),
	    MP_EBOUNDARY);
	assert_int_equal(mp_boundary(f->a, "multipart/mixed; boundary=a", &b), MP_EBOUNDARY);
	assert_int_equal(mp_boundary(f->a, "multipart/form-dataX; boundary=a", &b), MP_EBOUNDARY);
	assert_int_equal(mp_boundary(f->a, "multipart/form-data; boundary=\"abc", &b), MP_EBOUNDARY);
	assert_int_equal(mp_boundary(f->a, NULL, &b), MP_EBOUNDARY);
	memset(big, 'x', 70);
	memcpy(big, "multipart/form-data; boundary=", 30);
	memset(big + 30, 'z', 70);
	big[100] = '\0';
	assert_int_equal(mp_boundary(f->a, big, &b), MP_OK);
	big[100] = 'z';
	big[101] = '\0';
	assert_int_equal(mp_boundary(f->a, big, &b), MP_EBOUNDARY);	/* 71 chars */
	assert_null(mp_parser_new(f->a, "bad\r\n", NULL, NULL, NULL));
	assert_null(mp_parser_new(f->a, "", NULL, NULL, NULL));
}

/* ---- errors: status, code, and no file left behind ---------------------- */

static void
expect(struct fx *f, const char *ct, const char *body, size_t len,
    const struct upload_limits *lim, int status, int code)
{
	static const size_t sizes[] = { 1, 3, 0 };
	http_req_t req;
	int err;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(run(f, &req, ct, body, len, sizes[i], lim, &err), status);
		assert_int_equal(err, code);
		assert_int_equal(req.form.n, 0);
		assert_int_equal(req.nuploads, 0);
		assert_int_equal(dir_entries(f->dir), 0);
	}
}

#define EXPECT(ct, body, lim, st, code) \
	expect(f, (ct), (body), sizeof(body) - 1, (lim), (st), (code))

#define FILEPART(name) \
	"--" B "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" name "\"\r\n\r\n" \
	"0123456789abcdef\r\n"

static void
test_malformed(void **state)
{
	struct fx *f = *state;

	/* Missing boundary parameter, wrong type. */
	EXPECT("multipart/form-data", FILEPART("a") "--" B "--", NULL, 400, MP_EBOUNDARY);
	/* No delimiter at all, empty body. */
	EXPECT(CT, "just some text\r\n", NULL, 400, MP_EMALFORMED);
	EXPECT(CT, "", NULL, 400, MP_EMALFORMED);
	/* No closing delimiter; truncated in data, in headers, in a delimiter. */
	EXPECT(CT, FILEPART("a"), NULL, 400, MP_ETRUNCATED);
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disp", NULL, 400, MP_ETRUNCATED);
	EXPECT(CT, FILEPART("a") "--" B "-", NULL, 400, MP_ETRUNCATED);
	/* Junk after a delimiter. */
	EXPECT(CT, FILEPART("a") "--" B "x\r\n", NULL, 400, MP_EMALFORMED);
	/* Part without Content-Disposition, or without any header. */
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" B "--",
	    NULL, 400, MP_EHEADER);
	EXPECT(CT, FILEPART("a") "--" B "\r\n\r\nx\r\n--" B "--", NULL, 400, MP_EHEADER);
	/* Not form-data, no name, duplicate header or parameter, folding. */
	EXPECT(CT, "--" B "\r\nContent-Disposition: attachment; name=x\r\n\r\nx\r\n--" B "--",
	    NULL, 400, MP_EHEADER);
	EXPECT(CT, "--" B "\r\nContent-Disposition: form-data; filename=x\r\n\r\nx\r\n--" B "--",
	    NULL, 400, MP_EHEADER);
	EXPECT(CT, "--" B "\r\nContent-Disposition: form-data; name=x; name=y\r\n\r\nx\r\n--" B "--",
	    NULL, 400, MP_EHEADER);
	EXPECT(CT, "--" B "\r\nContent-Disposition: form-data; name=x\r\n"
	    "Content-Disposition: form-data; name=y\r\n\r\nx\r\n--" B "--", NULL, 400, MP_EHEADER);
	EXPECT(CT, "--" B "\r\nContent-Disposition: form-data;\r\n name=x\r\n\r\nx\r\n--" B "--",
	    NULL, 400, MP_EHEADER);
	/* Header injection: bare LF or CR inside the header block. */
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disposition: form-data; name=\"a\nX: y\"\r\n\r\n"
	    "x\r\n--" B "--", NULL, 400, MP_EHEADER);
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disposition: form-data; name=\"a\rX\"\r\n\r\n"
	    "x\r\n--" B "--", NULL, 400, MP_EHEADER);
	/* Not multipart at all. */
	EXPECT("application/x-www-form-urlencoded", "a=b", NULL, 415, MP_OK);
}

static void
test_encoding(void **state)
{
	struct fx *f = *state;

	/* NUL in a name, in a filename, in a field value; invalid UTF-8. */
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\n"
	    "x\r\n--" B "--", NULL, 400, MP_EBADENC);
	EXPECT(CT, FILEPART("a\0b") "--" B "--", NULL, 400, MP_EBADENC);
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n"
	    "a\0b\r\n--" B "--", NULL, 400, MP_EBADENC);
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n"
	    "caf\xe9\r\n--" B "--", NULL, 400, MP_EBADENC);
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disposition: form-data; name=\"\xc0\xaf\"\r\n\r\n"
	    "x\r\n--" B "--", NULL, 400, MP_EBADENC);
}

static void
test_limits(void **state)
{
	struct fx *f = *state;
	struct upload_limits lim = UPLOAD_LIMITS_DEFAULT;
	buf_t many;
	http_req_t req;
	int err;

	/* 2,000 fields (the default allows 128). */
	buf_init(&many, f->a);
	for (int i = 0; i < 2000; i++)
		buf_printf(&many, "--" B "\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
	buf_puts(&many, "--" B "--\r\n");
	assert_int_equal(run(f, &req, CT, many.data, many.len, 0, NULL, &err), 413);
	assert_int_equal(err, MP_ETOOMANY);
	assert_int_equal(req.form.n, 0);

	/* Exactly at the limits is fine; one byte more is not. */
	lim.max_file = 16;
	lim.max_field = 4;
	lim.max_files = 1;
	assert_int_equal(run(f, &req, CT, FILEPART("a") "--" B "--", sizeof(FILEPART("a") "--" B "--") - 1,
	    0, &lim, &err), 0);
	http_uploads_cleanup(&req);
	lim.max_file = 15;
	EXPECT(CT, FILEPART("a") "--" B "--", &lim, 413, MP_EFILESIZE);
	lim.max_file = 16;
	EXPECT(CT, FILEPART("a") FILEPART("b") "--" B "--", &lim, 413, MP_ETOOMANY);
	EXPECT(CT, FILEPART("a") "--" B "\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n"
	    "abcde\r\n--" B "--", &lim, 413, MP_EFIELDSIZE);
	lim.max_header = 40;
	EXPECT(CT, "--" B "\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n"
	    "abcd\r\n--" B "--", &lim, 413, MP_EHEADERSIZE);
	lim = (struct upload_limits)UPLOAD_LIMITS_DEFAULT;
	lim.max_total = 100;
	EXPECT(CT, FILEPART("a") FILEPART("b") "--" B "--", &lim, 413, MP_ETOTALSIZE);
	/* Announced too large: refused before reading; also when read without a length. */
	{
		struct src s = { "x", 1, 0, 0 };

		memset(&req, 0, sizeof(req));
		req.arena = f->a;
		req.content_type = CT;
		req.content_length = 101;
		assert_int_equal(http_read_multipart_from(&req, &lim, f->dir, src_read, &s, &err), 413);
		assert_int_equal(err, MP_ETOTALSIZE);
		assert_int_equal(s.off, 0);
	}
	/* A field over the default 64 KiB. */
	{
		buf_t big;

		buf_init(&big, f->a);
		buf_puts(&big, "--" B "\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\n");
		for (int i = 0; i < 64 * 1024 + 1; i++)
			buf_putc(&big, 'x');
		buf_puts(&big, "\r\n--" B "--");
		assert_int_equal(run(f, &req, CT, big.data, big.len, 1000, NULL, &err), 413);
		assert_int_equal(err, MP_EFIELDSIZE);
	}
}

/* A body shorter than its Content-Length. */
static void
test_short_body(void **state)
{
	struct fx *f = *state;
	static const char body[] = FILEPART("a") "--" B "--";
	struct src s = { body, sizeof(body) - 1, 0, 7 };
	http_req_t req;
	int err;

	memset(&req, 0, sizeof(req));
	req.arena = f->a;
	req.content_type = CT;
	req.content_length = (long long)sizeof(body) + 10;
	assert_int_equal(http_read_multipart_from(&req, NULL, f->dir, src_read, &s, &err), 400);
	assert_int_equal(err, MP_ETRUNCATED);
	assert_int_equal(dir_entries(f->dir), 0);
	/* Cut in the middle of the file: no file left either. */
	s = (struct src){ body, 60, 0, 7 };
	req.content_length = (long long)sizeof(body) - 1;
	assert_int_equal(http_read_multipart_from(&req, NULL, f->dir, src_read, &s, &err), 400);
	assert_int_equal(err, MP_ETRUNCATED);
	assert_int_equal(dir_entries(f->dir), 0);
}

/* The temporary directory cannot be written: 500, nothing half done. */
static void
test_tmpdir_missing(void **state)
{
	struct fx *f = *state;
	static const char body[] = FILEPART("a") "--" B "--";
	struct src s = { body, sizeof(body) - 1, 0, 0 };
	http_req_t req;
	int err;

	memset(&req, 0, sizeof(req));
	req.arena = f->a;
	req.content_type = CT;
	req.content_length = -1;
	assert_int_equal(http_read_multipart_from(&req, NULL, "/nonexistent/souk", src_read, &s, &err),
	    500);
	assert_int_equal(err, MP_EIO);
	assert_int_equal(req.nuploads, 0);
}

/* A handler takes a file over by renaming it; cleanup leaves it alone. */
static void
test_take_over(void **state)
{
	struct fx *f = *state;
	static const char body[] = FILEPART("a.png") FILEPART("b.png") "--" B "--";
	char kept[128];
	http_req_t req;
	int err;

	assert_int_equal(run(f, &req, CT, body, sizeof(body) - 1, 0, NULL, &err), 0);
	assert_int_equal(req.nuploads, 2);
	snprintf(kept, sizeof(kept), "%s/kept", f->dir);
	assert_int_equal(rename(req.uploads[0].path, kept), 0);
	req.uploads[0].path = NULL;
	assert_int_equal(dir_entries(f->dir), 2);
	http_uploads_cleanup(&req);
	assert_int_equal(dir_entries(f->dir), 1);
	assert_int_equal(access(kept, F_OK), 0);
	unlink(kept);
	/* A path already gone (ENOENT) is ignored. */
	assert_int_equal(run(f, &req, CT, body, sizeof(body) - 1, 0, NULL, &err), 0);
	unlink(req.uploads[1].path);
	http_uploads_cleanup(&req);
	assert_int_equal(dir_entries(f->dir), 0);
}

static void
test_sanitize(void **state)
{
	struct fx *f = *state;

	assert_string_equal(mp_sanitize_filename(f->a, "../../etc/passwd"), "passwd");
	assert_string_equal(mp_sanitize_filename(f->a, "C:\\Users\\me\\cat.jpg"), "cat.jpg");
	assert_string_equal(mp_sanitize_filename(f->a, ".."), "file");
	assert_string_equal(mp_sanitize_filename(f->a, "dir/"), "file");
	assert_string_equal(mp_sanitize_filename(f->a, ""), "file");
	assert_string_equal(mp_sanitize_filename(f->a, NULL), "file");
	assert_string_equal(mp_sanitize_filename(f->a, ".htaccess"), "htaccess");
	assert_string_equal(mp_sanitize_filename(f->a, "a\tb\x7f\"c\".png"), "ab'c'.png");
	assert_string_equal(mp_sanitize_filename(f->a, "\xe4\xb8\xad.png"), "\xe4\xb8\xad.png");
	assert_string_equal(mp_sanitize_filename(f->a, "caf\xe9.png"), "caf_.png");
	{
		char longname[460];
		const char *r;

		/* 150 three-byte characters: cut at 200 bytes, on a character boundary. */
		for (int i = 0; i < 150; i++)
			memcpy(longname + 3 * i, "\xe4\xb8\xad", 3);
		longname[450] = '\0';
		r = mp_sanitize_filename(f->a, longname);
		assert_true(strlen(r) <= 200);
		assert_int_equal(strlen(r) % 3, 0);
		assert_true(utf8_valid(r, strlen(r)));
	}
}

static void
test_status_map(void **state)
{
	(void)state;
	assert_int_equal(mp_http_status(MP_OK), 200);
	assert_int_equal(mp_http_status(MP_EBOUNDARY), 400);
	assert_int_equal(mp_http_status(MP_EMALFORMED), 400);
	assert_int_equal(mp_http_status(MP_ETRUNCATED), 400);
	assert_int_equal(mp_http_status(MP_EHEADER), 400);
	assert_int_equal(mp_http_status(MP_EBADENC), 400);
	assert_int_equal(mp_http_status(MP_ETOOMANY), 413);
	assert_int_equal(mp_http_status(MP_EHEADERSIZE), 413);
	assert_int_equal(mp_http_status(MP_EFIELDSIZE), 413);
	assert_int_equal(mp_http_status(MP_EFILESIZE), 413);
	assert_int_equal(mp_http_status(MP_ETOTALSIZE), 413);
	assert_int_equal(mp_http_status(MP_EIO), 500);
	for (int e = 0; e >= MP_EIO; e--)
		assert_string_not_equal(mp_strerror(e), "unknown error");
	assert_string_equal(mp_strerror(42), "unknown error");
	assert_true(mp_is_multipart("multipart/form-data; boundary=x"));
	assert_true(mp_is_multipart("Multipart/Form-Data"));
	assert_false(mp_is_multipart("multipart/form-datax"));
	assert_false(mp_is_multipart("text/plain"));
	assert_false(mp_is_multipart(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlf_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quoted_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundary_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmpdir_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sanitize, setup, teardown),
		cmocka_unit_test(test_status_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
