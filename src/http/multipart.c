/*
 * multipart.c - streaming multipart/form-data parser (RFC 7578, RFC 2046).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/multipart.h"
#include "http/parse.h"

enum mp_state {
	S_PREAMBLE,		/* before the first delimiter */
	S_AFTER,		/* just after a delimiter: "--", LWSP or CRLF */
	S_HEADERS,		/* a part's header block */
	S_DATA,			/* a part's body */
	S_EPILOGUE		/* after the closing delimiter */
};

enum after_phase { A_START, A_DASH, A_LWSP, A_CR };

struct mp_parser {
	arena_t *arena;
	struct upload_limits lim;
	struct mp_callbacks cb;
	void *ctx;
	char *delim;		/* "\r\n--" boundary */
	size_t dlen;
	size_t match;		/* bytes of delim matched so far */
	enum mp_state state;
	enum after_phase after;
	size_t lwsp;
	char *hbuf;		/* header block of the current part */
	size_t hlen;
	struct mp_part part;
	size_t part_size;
	size_t nfields, nfiles;
	size_t total;
	int err;
};

/* ==== boundary ==== */

/* RFC 2046 5.1.1 bchars, without the space (allowed, but not last). */
static int
is_bchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

static int
boundary_ok(const char *b, size_t n)
{
	if (n == 0 || n > MP_MAX_BOUNDARY || b[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return 0;
	return 1;
}

/* RFC 9110 5.6.2 tchar. */
static int
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int
mp_is_multipart(const char *ct)
{
	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return 0;
	ct = skip_ows(ct + 19);
	return *ct == '\0' || *ct == ';';
}

int
mp_boundary(arena_t *a, const char *ct, const char **out)
{
	buf_t val;
	const char *s, *name;
	size_t nlen;
	char *found = NULL;

	*out = NULL;
	if (!mp_is_multipart(ct))
		return MP_EBOUNDARY;
	s = skip_ows(ct + 19);
	buf_init(&val, a);
	while (*s != '\0') {
		if (*s != ';')
			return MP_EBOUNDARY;
		s = skip_ows(s + 1);
		if (*s == '\0')
			break;		/* a trailing ';' */
		name = s;
		while (is_tchar((unsigned char)*s))
			s++;
		nlen = (size_t)(s - name);
		if (nlen == 0 || *s != '=')
			return MP_EBOUNDARY;
		s++;
		buf_truncate(&val, 0);
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0')
					return MP_EBOUNDARY;
				if (*s == '\\' && s[1] != '\0')
					s++;
				buf_putc(&val, *s);
			}
			s++;
		} else {
			while (is_tchar((unsigned char)*s))
				buf_putc(&val, *s++);
		}
		s = skip_ows(s);
		if (nlen == 8 && strncasecmp(name, "boundary", 8) == 0) {
			if (found != NULL)
				return MP_EBOUNDARY;
			if (!boundary_ok(val.data != NULL ? val.data : "", val.len))
				return MP_EBOUNDARY;
			found = arena_strndup(a, val.data, val.len);
		}
	}
	if (found == NULL)
		return MP_EBOUNDARY;
	*out = found;
	return MP_OK;
}

/* ==== parser ==== */

mp_parser_t *
mp_parser_new(arena_t *a, const char *boundary, const struct upload_limits *lim,
    const struct mp_callbacks *cb, void *ctx)
{
	static const struct upload_limits dflt = UPLOAD_LIMITS_DEFAULT;
	mp_parser_t *p;
	size_t blen;

	if (boundary == NULL)
		return NULL;
	blen = strlen(boundary);
	if (!boundary_ok(boundary, blen))
		return NULL;
	p = arena_calloc(a, 1, sizeof(*p));
	p->arena = a;
	p->lim = lim != NULL ? *lim : dflt;
	if (cb != NULL)
		p->cb = *cb;
	p->ctx = ctx;
	p->dlen = 4 + blen;
	p->delim = arena_alloc(a, p->dlen + 1);
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, blen + 1);
	p->hbuf = arena_alloc(a, p->lim.max_header + 1);
	p->state = S_PREAMBLE;
	p->match = 2;		/* the body may start with the delimiter, without CRLF */
	return p;
}

static int
lower_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/*
 * Parameters of a Content-Disposition value after the type (RFC 7578 4.2,
 * RFC 6266): "; name=value" with token or quoted-string values.  As the
 * HTML standard encodes them, backslashes in quoted strings are literal.
 */
static int
parse_disposition(mp_parser_t *p, const char *s, const char *end)
{
	const char *t, *v, *vend;
	const char *name = NULL, *filename = NULL;
	size_t n;

	t = s;
	while (s < end && is_tchar((unsigned char)*s))
		s++;
	if (!lower_eq(t, (size_t)(s - t), "form-data"))
		return MP_EHEADER;
	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end)
			break;
		if (*s++ != ';')
			return MP_EHEADER;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end)
			break;
		t = s;
		while (s < end && is_tchar((unsigned char)*s))
			s++;
		n = (size_t)(s - t);
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (n == 0 || s == end || *s++ != '=')
			return MP_EHEADER;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s < end && *s == '"') {
			v = ++s;
			while (s < end && *s != '"')
				s++;
			if (s == end)
				return MP_EHEADER;
			vend = s++;
		} else {
			v = s;
			while (s < end && is_tchar((unsigned char)*s))
				s++;
			vend = s;
		}
		if (lower_eq(t, n, "name")) {
			if (name != NULL)
				return MP_EHEADER;
			name = arena_strndup(p->arena, v, (size_t)(vend - v));
		} else if (lower_eq(t, n, "filename")) {
			if (filename != NULL)
				return MP_EHEADER;
			filename = arena_strndup(p->arena, v, (size_t)(vend - v));
		}
		/* Others (filename*, RFC 7578 4.2 says not to use it) are ignored. */
	}
	if (name == NULL || name[0] == '\0')
		return MP_EHEADER;
	n = strlen(name);
	if (n > MP_MAX_NAME)
		return MP_EHEADER;
	if (!utf8_valid(name, n))
		return MP_EBADENC;
	p->part.name = name;
	p->part.filename = filename;
	return MP_OK;
}

/*
 * The header block in p->hbuf: lines ending in CRLF, the last one empty.
 * NUL, bare CR and bare LF were refused as they arrived.
 */
static int
parse_headers(mp_parser_t *p)
{
	const char *s = p->hbuf, *end = p->hbuf + p->hlen - 2, *eol, *c, *v;
	int have_cd = 0, have_ct = 0, r;

	memset(&p->part, 0, sizeof(p->part));
	while (s < end) {
		eol = s;
		while (eol < end && *eol != '\r')
			eol++;
		/* No folding (obsolete, RFC 7578 forbids it), no empty name. */
		for (c = s; c < eol && is_tchar((unsigned char)*c); c++)
			;
		if (c == s || c == eol || *c != ':')
			return MP_EHEADER;
		for (v = c + 1; v < eol; v++) {
			unsigned char ch = (unsigned char)*v;

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return MP_EHEADER;
		}
		v = c + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if (lower_eq(s, (size_t)(c - s), "content-disposition")) {
			if (have_cd++)
				return MP_EHEADER;
			if ((r = parse_disposition(p, v, eol)) != MP_OK)
				return r;
		} else if (lower_eq(s, (size_t)(c - s), "content-type")) {
			const char *ve = eol;

			if (have_ct++)
				return MP_EHEADER;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			p->part.content_type = arena_strndup(p->arena, v, (size_t)(ve - v));
		}
		s = eol + 2;
	}
	if (!have_cd)
		return MP_EHEADER;
	return MP_OK;
}

static int
part_begin(mp_parser_t *p)
{
	int r;

	if ((r = parse_headers(p)) != MP_OK)
		return r;
	if (p->part.filename != NULL) {
		if (++p->nfiles > p->lim.max_files)
			return MP_ETOOMANY;
	} else if (++p->nfields > p->lim.max_fields)
		return MP_ETOOMANY;
	p->part_size = 0;
	if (p->cb.on_part != NULL)
		return p->cb.on_part(p->ctx, &p->part);
	return MP_OK;
}

static int
emit(mp_parser_t *p, const char *d, size_t n)
{
	if (n == 0)
		return MP_OK;
	p->part_size += n;
	if (p->part.filename != NULL) {
		if (p->part_size > p->lim.max_file)
			return MP_EFILESIZE;
	} else if (p->part_size > p->lim.max_field)
		return MP_EFIELDSIZE;
	if (p->cb.on_data != NULL)
		return p->cb.on_data(p->ctx, d, n);
	return MP_OK;
}

/* One byte of a header block. */
static int
header_byte(mp_parser_t *p, char c)
{
	char prev = p->hlen > 0 ? p->hbuf[p->hlen - 1] : '\0';

	if (c == '\0')
		return MP_EBADENC;
	if ((c == '\n' && prev != '\r') || (prev == '\r' && c != '\n'))
		return MP_EHEADER;	/* bare LF or CR: header injection */
	if (p->hlen >= p->lim.max_header)
		return MP_EHEADERSIZE;
	p->hbuf[p->hlen++] = c;
	if (p->hlen == 2 && c == '\n')
		return MP_EHEADER;	/* no header at all: no Content-Disposition */
	if (p->hlen >= 4 && memcmp(p->hbuf + p->hlen - 4, "\r\n\r\n", 4) == 0) {
		int r = part_begin(p);

		if (r != MP_OK)
			return r;
		p->state = S_DATA;
		p->match = 0;
	}
	return MP_OK;
}

/* One byte after a delimiter: "--" ends the body, LWSP then CRLF starts a part. */
static int
after_byte(mp_parser_t *p, char c)
{
	switch (p->after) {
	case A_START:
		if (c == '-') {
			p->after = A_DASH;
			return MP_OK;
		}
		/* FALLTHROUGH */
	case A_LWSP:
		if (c == ' ' || c == '\t') {
			p->after = A_LWSP;
			return ++p->lwsp > 64 ? MP_EMALFORMED : MP_OK;
		}
		if (c == '\r') {
			p->after = A_CR;
			return MP_OK;
		}
		return MP_EMALFORMED;
	case A_DASH:
		if (c != '-')
			return MP_EMALFORMED;
		p->state = S_EPILOGUE;
		return MP_OK;
	case A_CR:
		if (c != '\n')
			return MP_EMALFORMED;
		p->state = S_HEADERS;
		p->hlen = 0;
		return MP_OK;
	}
	return MP_EMALFORMED;
}

static int
feed(mp_parser_t *p, const char *data, size_t len)
{
	size_t i = 0;
	const char *cr;
	int r;

	while (i < len) {
		char c = data[i];

		switch (p->state) {
		case S_PREAMBLE:
		case S_DATA:
			if (c == p->delim[p->match]) {
				i++;
				if (++p->match < p->dlen)
					break;
				p->match = 0;
				if (p->state == S_DATA && p->cb.on_part_end != NULL &&
				    (r = p->cb.on_part_end(p->ctx)) != MP_OK)
					return r;
				p->state = S_AFTER;
				p->after = A_START;
				p->lwsp = 0;
			} else if (p->match > 0) {
				/*
				 * A partial delimiter that was data after all.  Only
				 * delim[0] is a CR, so no suffix of it can start a new
				 * match: emit it whole and look at @c again.
				 */
				if (p->state == S_DATA && (r = emit(p, p->delim, p->match)) != MP_OK)
					return r;
				p->match = 0;
			} else {
				cr = memchr(data + i, '\r', len - i);
				if (p->state == S_DATA &&
				    (r = emit(p, data + i, (cr != NULL ? (size_t)(cr - data) : len) - i)) != MP_OK)
					return r;
				i = cr != NULL ? (size_t)(cr - data) : len;
			}
			break;
		case S_AFTER:
			if ((r = after_byte(p, c)) != MP_OK)
				return r;
			i++;
			break;
		case S_HEADERS:
			if ((r = header_byte(p, c)) != MP_OK)
				return r;
			i++;
			break;
		case S_EPILOGUE:
			return MP_OK;
		}
	}
	return MP_OK;
}

int
mp_feed(mp_parser_t *p, const char *data, size_t len)
{
	if (p->err != MP_OK)
		return p->err;
	if (len > p->lim.max_total - p->total)
		return p->err = MP_ETOTALSIZE;
	p->total += len;
	if (len == 0)
		return MP_OK;
	return p->err = feed(p, data, len);
}

int
mp_finish(mp_parser_t *p)
{
	if (p->err != MP_OK)
		return p->err;
	if (p->state == S_EPILOGUE)
		return MP_OK;
	return p->err = p->state == S_PREAMBLE ? MP_EMALFORMED : MP_ETRUNCATED;
}

const char *
mp_strerror(int err)
{
	switch (err) {
	case MP_OK: return "ok";
	case MP_EBOUNDARY: return "missing or invalid multipart boundary";
	case MP_EMALFORMED: return "malformed multipart body";
	case MP_ETRUNCATED: return "truncated multipart body";
	case MP_EHEADER: return "invalid part headers";
	case MP_EBADENC: return "NUL byte or invalid UTF-8 in a name or field";
	case MP_ETOOMANY: return "too many fields or files";
	case MP_EHEADERSIZE: return "part headers too large";
	case MP_EFIELDSIZE: return "field value too large";
	case MP_EFILESIZE: return "file too large";
	case MP_ETOTALSIZE: return "request body too large";
	case MP_EIO: return "temporary file error";
	default: return "unknown error";
	}
}

int
mp_http_status(int err)
{
	switch (err) {
	case MP_OK:
		return 200;
	case MP_ETOOMANY:
	case MP_EHEADERSIZE:
	case MP_EFIELDSIZE:
	case MP_EFILESIZE:
	case MP_ETOTALSIZE:
		return 413;
	case MP_EIO:
		return 500;
	default:
		return 400;
	}
}

const char *
mp_sanitize_filename(arena_t *a, const char *raw)
{
	const char *base = raw != NULL ? raw : "";
	char *out;
	size_t n = 0, cut;

	for (const char *s = base; *s != '\0'; s++)
		if (*s == '/' || *s == '\\')
			base = s + 1;
	out = arena_alloc(a, strlen(base) + 1);
	for (const char *s = base; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			continue;
		if (n == 0 && (c == '.' || c == ' '))
			continue;
		out[n++] = c == '"' ? '\'' : (char)c;
	}
	out[n] = '\0';
	if (!utf8_valid(out, n))
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] >= 0x80)
				out[i] = '_';
	if (n > 200) {
		cut = 200;
		while (cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80)
			cut--;
		out[cut] = '\0';
		n = cut;
	}
	return n == 0 ? "file" : out;
}

/* ==== reading a request ==== */

const char *
http_upload_tmpdir(void)
{
	const char *d = getenv("SOUK_UPLOAD_TMP");

	return d != NULL && *d != '\0' ? d : P_tmpdir;
}

enum sink_mode { M_FIELD, M_FILE, M_SKIP };

struct sink {
	http_req_t *req;
	const char *tmpdir;
	enum sink_mode mode;
	const char *name;
	buf_t val;
	int fd;
	kv_t *kv;
	size_t nkv, kvcap;
	size_t upcap;
};

static int
sink_part(void *ctx, const struct mp_part *part)
{
	struct sink *s = ctx;
	arena_t *a = s->req->arena;
	struct upload *u;
	char *path;

	s->name = part->name;
	if (part->filename == NULL) {
		s->mode = M_FIELD;
		buf_truncate(&s->val, 0);
		return MP_OK;
	}
	if (part->filename[0] == '\0') {
		s->mode = M_SKIP;	/* a file input left empty */
		return MP_OK;
	}
	if (s->req->nuploads == s->upcap) {
		size_t cap = s->upcap ? s->upcap * 2 : 4;
		struct upload *nu = arena_calloc(a, cap, sizeof(*nu));

		if (s->req->nuploads > 0)
			memcpy(nu, s->req->uploads, s->req->nuploads * sizeof(*nu));
		s->req->uploads = nu;
		s->upcap = cap;
	}
	path = arena_printf(a, "%s/souk-upload-XXXXXX", s->tmpdir);
	s->fd = mkostemp(path, O_CLOEXEC);
	if (s->fd < 0) {
		log_error("multipart: cannot create a file in %s: %s", s->tmpdir, strerror(errno));
		return MP_EIO;
	}
	(void)fchmod(s->fd, 0600);
	u = &s->req->uploads[s->req->nuploads++];
	u->field = part->name;
	u->filename = mp_sanitize_filename(a, part->filename);
	u->client_type = part->content_type != NULL &&
	    utf8_valid(part->content_type, strlen(part->content_type)) ? part->content_type : "";
	u->path = path;
	u->size = 0;
	s->mode = M_FILE;
	return MP_OK;
}

static int
sink_data(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;
	ssize_t w;

	switch (s->mode) {
	case M_FIELD:
		buf_append(&s->val, data, len);
		break;
	case M_FILE:
		s->req->uploads[s->req->nuploads - 1].size += len;
		while (len > 0) {
			w = write(s->fd, data, len);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				log_error("multipart: cannot write %s: %s",
				    s->req->uploads[s->req->nuploads - 1].path,
				    w < 0 ? strerror(errno) : "short write");
				return MP_EIO;
			}
			data += w;
			len -= (size_t)w;
		}
		break;
	case M_SKIP:
		break;
	}
	return MP_OK;
}

static int
sink_part_end(void *ctx)
{
	struct sink *s = ctx;
	arena_t *a = s->req->arena;
	const char *v;
	size_t n;

	if (s->mode == M_FILE) {
		int fd = s->fd;

		s->fd = -1;
		if (close(fd) != 0) {
			log_error("multipart: close: %s", strerror(errno));
			return MP_EIO;
		}
		return MP_OK;
	}
	if (s->mode != M_FIELD)
		return MP_OK;
	v = s->val.data != NULL ? s->val.data : "";
	n = s->val.len;
	if (memchr(v, '\0', n) != NULL || !utf8_valid(v, n))
		return MP_EBADENC;
	if (s->nkv == s->kvcap) {
		size_t cap = s->kvcap ? s->kvcap * 2 : 16;
		kv_t *nk = arena_calloc(a, cap, sizeof(*nk));

		if (s->nkv > 0)
			memcpy(nk, s->kv, s->nkv * sizeof(*nk));
		s->kv = nk;
		s->kvcap = cap;
	}
	s->kv[s->nkv].name = s->name;
	s->kv[s->nkv].value = arena_strndup(a, v, n);
	s->kv[s->nkv].value_len = n;
	s->nkv++;
	return MP_OK;
}

static long
fcgx_read(void *ctx, char *buf, size_t n)
{
	http_req_t *req = ctx;

	if (req->fcgx == NULL)
		return 0;
	return FCGX_GetStr(buf, n > 65536 ? 65536 : (int)n, req->fcgx->in);
}

int
http_read_multipart_from(http_req_t *req, const struct upload_limits *lim,
    const char *tmpdir, mp_read_fn rd, void *rctx, int *errp)
{
	static const struct upload_limits dflt = UPLOAD_LIMITS_DEFAULT;
	static const struct mp_callbacks cb = { sink_part, sink_data, sink_part_end };
	struct sink s;
	const char *boundary;
	mp_parser_t *p;
	size_t got = 0, want;
	char *chunk;
	long n;
	int err;

	if (lim == NULL)
		lim = &dflt;
	if (tmpdir == NULL)
		tmpdir = http_upload_tmpdir();
	req->form.items = NULL;
	req->form.n = 0;
	req->uploads = NULL;
	req->nuploads = 0;
	if (errp != NULL)
		*errp = MP_OK;
	if (!mp_is_multipart(req->content_type))
		return 415;
	memset(&s, 0, sizeof(s));
	s.req = req;
	s.tmpdir = tmpdir;
	s.fd = -1;
	buf_init(&s.val, req->arena);
	if ((err = mp_boundary(req->arena, req->content_type, &boundary)) != MP_OK)
		goto fail;
	if (req->content_length >= 0 && (unsigned long long)req->content_length > lim->max_total) {
		err = MP_ETOTALSIZE;
		goto fail;
	}
	if ((p = mp_parser_new(req->arena, boundary, lim, &cb, &s)) == NULL) {
		err = MP_EBOUNDARY;
		goto fail;
	}
	want = req->content_length >= 0 ? (size_t)req->content_length : (size_t)-1;
	chunk = arena_alloc(req->arena, 65536);
	while (got < want) {
		size_t ask = want - got < 65536 ? want - got : 65536;

		n = rd(rctx, chunk, ask);
		if (n <= 0)
			break;
		got += (size_t)n;
		if ((err = mp_feed(p, chunk, (size_t)n)) != MP_OK)
			goto fail;
	}
	err = mp_finish(p);
	if (err == MP_OK && req->content_length >= 0 && got != want)
		err = MP_ETRUNCATED;	/* less than Content-Length announced */
	if (err != MP_OK)
		goto fail;
	req->form.items = s.kv;
	req->form.n = s.nkv;
	return 0;
fail:
	if (s.fd >= 0)
		(void)close(s.fd);
	http_uploads_cleanup(req);
	req->uploads = NULL;
	req->form.items = NULL;
	req->form.n = 0;
	if (errp != NULL)
		*errp = err;
	log_info("request_id=%s multipart refused: %s",
	    req->request_id != NULL ? req->request_id : "-", mp_strerror(err));
	return mp_http_status(err);
}

int
http_read_multipart(http_req_t *req, const struct upload_limits *lim, const char *tmpdir)
{
	return http_read_multipart_from(req, lim, tmpdir, fcgx_read, req, NULL);
}

void
http_uploads_cleanup(http_req_t *req)
{
	for (size_t i = 0; i < req->nuploads; i++) {
		struct upload *u = &req->uploads[i];

		if (u->path == NULL)
			continue;
		if (unlink(u->path) != 0 && errno != ENOENT)
			log_warn("multipart: cannot remove %s: %s", u->path, strerror(errno));
		u->path = NULL;
	}
	req->nuploads = 0;
}
