/*
 * parse.h - decoding of untrusted request input.
 *
 * Query strings, form bodies, cookies and numbers arrive from the network
 * and are the first thing a request touches, so everything here is strict
 * (reject rather than guess), bounded (callers pass limits) and linear in
 * the input length (no recursion, no backtracking).  All memory comes from
 * the per-request arena passed in; nothing is malloc'd and nothing needs to
 * be freed.  Decoded text is always valid UTF-8 without NUL bytes, so later
 * layers (templates, SQL parameters, logs) never see a truncated string.
 */
#ifndef SOUK_HTTP_PARSE_H
#define SOUK_HTTP_PARSE_H

#include <stddef.h>

#include "core/arena.h"
#include "core/utf8.h"
#include "core/buf.h"

/*
 * kv_t - one decoded name/value pair.
 * @name: NUL-terminated name (valid UTF-8, no NUL inside).
 * @value: NUL-terminated value (valid UTF-8, no NUL inside), never NULL.
 * @value_len: length of @value in bytes, excluding the terminating NUL.
 * Both strings live in the arena of the call that produced them.
 */
typedef struct kv {
	const char *name;
	const char *value;
	size_t value_len;
} kv_t;

/*
 * kvlist_t - pairs in the order they appeared in the input.
 * @items: array of @n pairs in the arena (NULL when @n is 0).
 * @n: number of pairs.
 */
typedef struct kvlist {
	kv_t *items;
	size_t n;
} kvlist_t;

/*
 * struct parse_limits - bounds applied while parsing.
 * @max_fields: most pairs accepted (more gives PARSE_ETOOMANY).
 * @max_name: longest name in bytes, after decoding (PARSE_ETOOLONG).
 * @max_value: longest value in bytes, after decoding (PARSE_ETOOLONG).
 */
struct parse_limits {
	size_t max_fields;
	size_t max_name;
	size_t max_value;
};

/* Defaults for query strings and small forms: 64 pairs, 128/8192 bytes. */
#define PARSE_LIMITS_DEFAULT { 64, 128, 8192 }

/* Return codes of the parsing functions; PARSE_OK is 0, errors are < 0. */
enum {
	PARSE_OK = 0,
	PARSE_EBADENC = -1,	/* bad %-escape, invalid UTF-8 or NUL byte */
	PARSE_ETOOMANY = -2,	/* more than max_fields pairs */
	PARSE_ETOOLONG = -3	/* a name or value exceeds its limit */
};

/*
 * parse_strerror - describe a PARSE_* code.
 * @err: one of the PARSE_* values.
 * Returns: a static English string (never NULL); "unknown error" for
 * values that are not PARSE_* codes.
 */
const char *parse_strerror(int err);

/* utf8_valid: see core/utf8.h */

/*
 * url_decode - percent-decode @len bytes of @s into a new arena string.
 * @a: arena that receives the result.
 * @s: encoded input (need not be NUL-terminated).
 * @len: length of @s in bytes.
 * @plus_is_space: non-zero to turn '+' into ' ' (form encoding); zero for
 *	path segments, where '+' is a literal plus.
 * @out: set to the decoded, NUL-terminated string (in @a) on success and
 *	to NULL on failure.
 * @outlen: if not NULL, set to the decoded length in bytes (excluding the
 *	NUL) on success and to 0 on failure.
 * %XX accepts hex digits of either case.  A '%' not followed by two hex
 * digits (including one at the very end), a NUL byte (raw or %00) and a
 * result that is not valid UTF-8 are all rejected.
 * Returns: PARSE_OK or PARSE_EBADENC.
 */
int url_decode(arena_t *a, const char *s, size_t len, int plus_is_space,
    char **out, size_t *outlen);

/*
 * http_parse_urlencoded - parse a query string or form body.
 * @a: arena for the list and all strings.
 * @s: input as sent, without the leading '?' (need not be NUL-terminated;
 *	NULL allowed if @len is 0).
 * @len: length of @s in bytes.
 * @lim: limits to apply; NULL means PARSE_LIMITS_DEFAULT.
 * @out: receives the pairs in input order; set to an empty list on error.
 * Pieces are separated by '&'; empty pieces ("a=1&&b=2", a trailing '&')
 * are ignored.  Each piece is name=value split at the first '='; a piece
 * without '=' gets an empty value, "=x" gives an empty name.  Both halves
 * are decoded with url_decode(plus_is_space = 1).  Repeated names are kept
 * in order (see kv_count).  The field count is checked before anything is
 * decoded, so an oversized input costs one scan and no allocation.
 * Returns: PARSE_OK, PARSE_EBADENC, PARSE_ETOOMANY or PARSE_ETOOLONG
 * (name longer than @lim->max_name or value longer than @lim->max_value
 * bytes once decoded).
 */
int http_parse_urlencoded(arena_t *a, const char *s, size_t len,
    const struct parse_limits *lim, kvlist_t *out);

/*
 * kv_get - first value for @name.
 * @l: list to search (NULL allowed).
 * @name: exact, case-sensitive name.
 * Returns: the value (owned by the list's arena) or NULL if absent.
 */
const char *kv_get(const kvlist_t *l, const char *name);

/*
 * kv_count - how many times @name occurs in @l (0 if @l is NULL).
 * Use it to reject ambiguous input such as "?id=1&id=2" where a single
 * value is expected.
 */
size_t kv_count(const kvlist_t *l, const char *name);

/*
 * http_parse_cookies - parse a Cookie request header (RFC 6265 5.4).
 * @a: arena for the list and all strings.
 * @header: NUL-terminated header value, e.g. "a=b; c=d"; NULL gives an
 *	empty list.
 * @lim: limits to apply; NULL means PARSE_LIMITS_DEFAULT.
 * @out: receives the cookies in header order; set to an empty list on error.
 * Pairs are separated by ';'.  Spaces and tabs around names and values are
 * dropped, and a value wrapped in double quotes is unquoted.  Values are
 * not percent-decoded (cookies are opaque).  A pair is skipped, without
 * error, when it has no '=', an empty name, a name that is not an HTTP
 * token, or a value with control characters or invalid UTF-8: browsers
 * send other sites' junk too, and one bad cookie must not lock a user out.
 * The limits apply to the pairs that are kept.
 * Returns: PARSE_OK, PARSE_ETOOMANY or PARSE_ETOOLONG.
 */
int http_parse_cookies(arena_t *a, const char *header,
    const struct parse_limits *lim, kvlist_t *out);

/*
 * http_parse_int64 - strict decimal to long long.
 * @s: NUL-terminated input; NULL is rejected.
 * @min: smallest accepted value; a leading '-' is only accepted if @min < 0.
 * @max: largest accepted value.
 * @out: receives the value on success; untouched on failure.
 * Only [-]digits: no '+', no spaces, no trailing characters, no empty
 * string.  Leading zeros are accepted ("007" is 7).  Overflow is detected
 * without relying on undefined behaviour.
 * Returns: 0 on success, -1 if malformed, out of [@min, @max] or overflows.
 */
int http_parse_int64(const char *s, long long min, long long max,
    long long *out);

/*
 * url_encode - append @s percent-encoded to @out.
 * @out: buffer to append to (arena or heap, see buf.h).
 * @s: bytes to encode (need not be NUL-terminated).
 * @len: length of @s in bytes.
 * Everything but the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~) is
 * written as %XX with upper-case hex; space becomes %20, never '+', so the
 * result is safe in both path segments and query strings.
 */
void url_encode(buf_t *out, const char *s, size_t len);

/*
 * http_header_token_ok - whether @s may be echoed into a response header.
 * @s: NUL-terminated string; NULL is not ok.
 * Rejects every ASCII control character (0x00-0x1f, including CR, LF and
 * TAB, and 0x7f), which rules out header splitting.  Bytes >= 0x80 are
 * allowed.
 * Returns: 1 if safe, 0 if not.
 */
int http_header_token_ok(const char *s);

#endif
