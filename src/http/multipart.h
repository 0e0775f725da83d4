/*
 * multipart.h - streaming multipart/form-data (RFC 7578, RFC 2046 5.1).
 *
 * Two layers:
 *
 *  - mp_parser_*: a push parser.  The body is fed in chunks of any size
 *    (a delimiter may be split across chunks, down to one byte per call);
 *    the parser finds the delimiters, parses and checks each part's
 *    headers and hands part starts, part data and part ends to callbacks.
 *    It never buffers part data, so memory is bounded by the header limit
 *    whatever the body size.  Every limit gives its own error code.
 *
 *  - http_read_multipart(): reads a request body from the FastCGI input
 *    stream through the parser.  Ordinary fields land in req->form (same
 *    guarantees as urlencoded forms: valid UTF-8, no NUL), file parts are
 *    streamed to temporary files we name ourselves (mkstemp, mode 0600)
 *    and described in req->uploads.  On any error every temporary file of
 *    the request is removed before returning.
 *
 * Nothing from the client is trusted: the client's filename is reduced
 * to a display name (never used as a path), its Content-Type is recorded
 * only as a hint; callers must sniff the content (libmagic) themselves.
 */
#ifndef SOUK_HTTP_MULTIPART_H
#define SOUK_HTTP_MULTIPART_H

#include <stddef.h>

#include "core/arena.h"
#include "http/http.h"

/*
 * struct upload_limits - bounds applied to one multipart body.
 * @max_fields: most non-file parts (more: MP_ETOOMANY).
 * @max_files: most file parts (more: MP_ETOOMANY).
 * @max_header: most bytes of one part's header block, including the
 *	CRLFs (more: MP_EHEADERSIZE).
 * @max_field: largest value of a non-file part, in bytes (MP_EFIELDSIZE).
 * @max_file: largest file part, in bytes (MP_EFILESIZE).
 * @max_total: largest whole body, preamble and epilogue included, in
 *	bytes (MP_ETOTALSIZE).
 */
struct upload_limits {
	size_t max_fields;
	size_t max_files;
	size_t max_header;
	size_t max_field;
	size_t max_file;
	size_t max_total;
};

/* Defaults: 128 fields, 8 files, 4 KiB headers, 64 KiB fields, 10 MiB files, 32 MiB body. */
#define UPLOAD_LIMITS_DEFAULT \
	{ 128, 8, 4096, 64 * 1024, 10 * 1024 * 1024, 32 * 1024 * 1024 }

/* Longest boundary allowed by RFC 2046 5.1.1. */
#define MP_MAX_BOUNDARY		70
/* Longest field name, in bytes (as for urlencoded forms). */
#define MP_MAX_NAME		128

/*
 * Return codes; MP_OK is 0, errors are < 0.  mp_http_status() maps them
 * to the status to answer: 400 for malformed input, 413 for exceeded
 * limits, 500 for local I/O failures.
 */
enum {
	MP_OK = 0,
	MP_EBOUNDARY = -1,	/* 400: no or invalid boundary in Content-Type */
	MP_EMALFORMED = -2,	/* 400: no opening delimiter, junk after a delimiter */
	MP_ETRUNCATED = -3,	/* 400: body ended before the closing delimiter */
	MP_EHEADER = -4,	/* 400: bad part headers (no/duplicate Content-
				 * Disposition, not form-data, no name, bare CR
				 * or LF, folding, control characters) */
	MP_EBADENC = -5,	/* 400: NUL byte or invalid UTF-8 in a name or field */
	MP_ETOOMANY = -6,	/* 413: more than max_fields fields or max_files files */
	MP_EHEADERSIZE = -7,	/* 413: a part's headers exceed max_header */
	MP_EFIELDSIZE = -8,	/* 413: a field value exceeds max_field */
	MP_EFILESIZE = -9,	/* 413: a file exceeds max_file */
	MP_ETOTALSIZE = -10,	/* 413: the body exceeds max_total */
	MP_EIO = -11		/* 500: temporary file could not be created or written */
};

/*
 * struct mp_part - the headers of one part, as given to the on_part callback.
 * @name: field name from Content-Disposition: 1..MP_MAX_NAME bytes of valid
 *	UTF-8 without control characters.  Never NULL.
 * @filename: the raw filename parameter when the part is a file (possibly
 *	"" when a browser sends an empty file input), NULL for a plain field.
 *	No NUL and no control characters, but otherwise client bytes (may be
 *	invalid UTF-8, may hold "../"): see mp_sanitize_filename().
 * @content_type: the part's Content-Type value, NULL when absent.  Client
 *	input: a hint only.
 * All strings live in the parser's arena.
 */
struct mp_part {
	const char *name;
	const char *filename;
	const char *content_type;
};

/*
 * struct mp_callbacks - what the parser reports; any member may be NULL.
 * @on_part: a part's headers were parsed and checked; its data follows.
 * @on_data: @len (> 0) bytes of the current part's body.  A part's body
 *	may come in any number of pieces.
 * @on_part_end: the current part is complete.
 * Each returns MP_OK to continue or a negative MP_* code, which stops the
 * parser: mp_feed() and mp_finish() then return that code.
 */
struct mp_callbacks {
	int (*on_part)(void *ctx, const struct mp_part *part);
	int (*on_data)(void *ctx, const char *data, size_t len);
	int (*on_part_end)(void *ctx);
};

typedef struct mp_parser mp_parser_t;

/*
 * mp_boundary - extract the boundary parameter of a Content-Type header.
 * @a: arena for the result.
 * @content_type: the header value, e.g. "multipart/form-data;
 *	boundary=----x" (NUL-terminated; NULL allowed).
 * @out: set to the boundary (NUL-terminated, in @a) on success, NULL on
 *	failure.
 * The media type must be multipart/form-data (case-insensitive).  The
 * boundary may be a token or a quoted-string (RFC 9110 5.6.4, with
 * quoted-pairs), must be 1..70 characters from the RFC 2046 bchars set
 * and must not end with a space.  A repeated boundary parameter is refused.
 * Returns: MP_OK or MP_EBOUNDARY.
 */
int mp_boundary(arena_t *a, const char *content_type, const char **out);

/*
 * mp_parser_new - a parser for one body.
 * @a: arena for the parser, its header buffer (@lim->max_header bytes)
 *	and the strings of struct mp_part; freed with the arena.
 * @boundary: boundary as returned by mp_boundary() (1..70 bchars; checked
 *	again here).
 * @lim: limits; NULL means UPLOAD_LIMITS_DEFAULT.  Copied.
 * @cb: callbacks (copied; NULL for none).
 * @ctx: passed to every callback.
 * Returns: the parser, or NULL when @boundary is invalid.
 */
mp_parser_t *mp_parser_new(arena_t *a, const char *boundary,
    const struct upload_limits *lim, const struct mp_callbacks *cb, void *ctx);

/*
 * mp_feed - push the next @len bytes of the body.
 * @p: parser.
 * @data: bytes (NULL allowed when @len is 0).
 * @len: number of bytes; any split of the body is fine.
 * Bytes after the closing delimiter (the epilogue) are ignored but count
 * towards max_total.  Errors are sticky: once a call fails, every later
 * call returns the same code without calling back.
 * Returns: MP_OK or a negative MP_* code.
 */
int mp_feed(mp_parser_t *p, const char *data, size_t len);

/*
 * mp_finish - the body has ended.
 * Returns: MP_OK if the closing delimiter was seen, the sticky error if
 * one occurred, MP_EMALFORMED if not even an opening delimiter was seen,
 * else MP_ETRUNCATED.
 */
int mp_finish(mp_parser_t *p);

/* mp_strerror - a static English description of an MP_* code (never NULL). */
const char *mp_strerror(int err);

/* mp_http_status - the HTTP status for an MP_* error: 400, 413 or 500 (200 for MP_OK). */
int mp_http_status(int err);

/*
 * mp_sanitize_filename - a display name from a client filename.
 * @a: arena for the result.
 * @raw: the client's filename (NULL allowed).
 * Keeps what follows the last '/' or '\\', drops control characters and
 * leading dots and spaces, replaces '"' by '\'' and, when the result is
 * not valid UTF-8, every byte >= 0x80 by '_'; cuts it to at most 200
 * bytes on a character boundary; "file" when nothing is left.  The
 * result is for display only: it must never be used to build a path.
 * Returns: a NUL-terminated valid UTF-8 string in @a.
 */
const char *mp_sanitize_filename(arena_t *a, const char *raw);

/*
 * struct upload - one file received by http_read_multipart().
 * @field: the form field name.
 * @filename: the client's filename after mp_sanitize_filename(); display only.
 * @client_type: the client's Content-Type for the part ("" when absent or
 *	not valid UTF-8);
 *	untrusted: sniff the content instead.
 * @path: absolute path of the temporary file (mode 0600, name made by
 *	mkstemp, never derived from client input), or NULL once released.
 * @size: file size in bytes.
 * A handler that keeps the file renames it away (same filesystem) and then
 * sets @path to NULL; http_uploads_cleanup() unlinks whatever is left.
 */
struct upload {
	const char *field;
	const char *filename;
	const char *client_type;
	const char *path;
	size_t size;
};

/* mp_is_multipart - whether @content_type is multipart/form-data (case-insensitive). */
int mp_is_multipart(const char *content_type);

/*
 * http_upload_tmpdir - where temporary upload files go: $SOUK_UPLOAD_TMP
 * when set and not empty, else P_tmpdir (usually "/tmp").
 */
const char *http_upload_tmpdir(void);

/*
 * mp_read_fn - a body source for http_read_multipart_from(): read up to
 * @n bytes into @buf; returns the count read, 0 at end of input, < 0 on
 * error.
 */
typedef long (*mp_read_fn)(void *ctx, char *buf, size_t n);

/*
 * http_read_multipart - read a multipart/form-data body into @req.
 * @req: the request; req->content_type must carry the boundary and
 *	req->content_length, when not -1, the body size in bytes.
 * @lim: limits; NULL means UPLOAD_LIMITS_DEFAULT.
 * @tmpdir: existing directory for the temporary files (see
 *	http_upload_tmpdir()); NULL means http_upload_tmpdir().
 * On success req->form holds the non-file fields in body order (each a
 * valid UTF-8 string without NUL, at most @lim->max_field bytes) and
 * req->uploads/req->nuploads the files (empty file inputs, i.e. a part
 * with filename="" are skipped).  The temporary files belong to the
 * request: call http_uploads_cleanup() when it ends.  On error req->form
 * and req->uploads are empty and no temporary file is left on disk.
 * Returns: 0, 400 (malformed), 413 (a limit; a Content-Length above
 * @lim->max_total is refused before reading), 415 (not
 * multipart/form-data) or 500 (temporary file I/O); the MP_* cause is
 * logged.
 */
int http_read_multipart(http_req_t *req, const struct upload_limits *lim,
    const char *tmpdir);

/*
 * http_read_multipart_from - http_read_multipart() reading the body from
 * @rd(@rctx, ...) instead of FastCGI (tests, tools).
 * @err: if not NULL, receives the MP_* code behind the status.
 * Returns: as http_read_multipart().
 */
int http_read_multipart_from(http_req_t *req, const struct upload_limits *lim,
    const char *tmpdir, mp_read_fn rd, void *rctx, int *err);

/*
 * http_uploads_cleanup - unlink every temporary file of @req whose path is
 * still set (ENOENT is ignored: the file was taken over), and empty the list.
 * Safe to call more than once and on requests without uploads.
 */
void http_uploads_cleanup(http_req_t *req);

#endif
