/*
 * router.h - map a request method and path to a handler.
 *
 * Routes live in a static table (an array of route_t) owned by the web
 * layer.  A pattern is a '/'-separated list of segments; each segment is
 * either a literal ("search", "sitemap.xml") or one typed parameter that
 * fills the whole segment:
 *
 *	"/"  "/search"  "/c/{category:slug}"  "/gig/{id:int}"
 *	"/u/{handle:handle}"  "/{handle:handle}/{gig:slug}"
 *
 * Parameter types (checked on the percent-decoded segment):
 *	int	1 .. 2^63-1 in decimal, no sign, no leading zeros
 *	slug	[a-z0-9]+(-[a-z0-9]+)*, at most 100 bytes
 *	handle	[a-z0-9_]{2,32}
 *	str	any non-empty UTF-8 segment up to 200 bytes, except control
 *		characters and the dot-segments "." and ".."
 *
 * Matching walks the table in order and the first route whose pattern and
 * method both match wins.  Table authors therefore list literal routes
 * before parameter routes that could also match them ("/help/{t:slug}"
 * before "/{handle:handle}/{gig:slug}"); router_check_table() refuses a
 * table in which a route can never be reached for that reason.
 *
 * The path is split at '/' first and each segment is percent-decoded on
 * its own, so "%2F" inside a segment is a literal slash in that segment's
 * value and never creates a new segment.  The router is stateless and
 * allocates only from the request arena.
 */
#ifndef SOUK_HTTP_ROUTER_H
#define SOUK_HTTP_ROUTER_H

#include <stddef.h>

#include "core/arena.h"
#include "http/parse.h"

/*
 * role_t - privilege levels, lowest to highest.  The router only carries
 * a route's minimum role; the access policy that compares it with the
 * session's role lives elsewhere.
 */
typedef enum {
	ROLE_ANON = 0,
	ROLE_BUYER,
	ROLE_SELLER,
	ROLE_SUPPORT,
	ROLE_MODERATOR,
	ROLE_FINANCE,
	ROLE_ADMIN,
	ROLE_SUPER_ADMIN
} role_t;

struct http_req;

/* A handler gets the request and returns a status for the caller (http.h). */
typedef int (*route_handler_fn)(struct http_req *req);

/*
 * route_t - one row of a routing table.
 * @method: upper-case HTTP method, e.g. "GET" or "POST" (a GET route also
 *	serves HEAD).
 * @pattern: path pattern, see the top of this file.
 * @handler: function to call.
 * @min_role: least privileged role allowed (enforced by the caller).
 * @name: short name for logs and metrics, e.g. "gig.show".
 */
typedef struct route {
	const char *method;
	const char *pattern;
	route_handler_fn handler;
	role_t min_role;
	const char *name;
} route_t;

/* Most segments in a pattern; longer paths simply do not match. */
#define ROUTER_MAX_SEGS	16
/* Most {x:int} parameters in one pattern (size of route_match_t.ints). */
#define ROUTER_MAX_INTS	8

/* Return codes of router_match(). */
enum {
	ROUTER_OK = 0,
	ROUTER_NOT_FOUND = -1,		/* no pattern matches the path: 404 */
	ROUTER_METHOD_NOT_ALLOWED = -2,	/* path matches, method does not: 405 */
	ROUTER_BAD_REQUEST = -3		/* malformed path or method: 400 */
};

/*
 * route_match_t - result of router_match().
 * @route: matched table row (ROUTER_OK), else NULL.
 * @params: parameters in pattern order, name -> decoded value; names and
 *	values are in the arena passed to router_match().
 * @ints: values of the int parameters, in pattern order (ints[0] is the
 *	first {x:int}); unused entries are 0.
 * @allow: for ROUTER_METHOD_NOT_ALLOWED, the value for the Allow header,
 *	e.g. "GET, HEAD, POST" (in the arena); NULL otherwise.
 */
typedef struct route_match {
	const route_t *route;
	kvlist_t params;
	long long ints[ROUTER_MAX_INTS];
	const char *allow;
} route_match_t;

/*
 * router_match - find the route for a request.
 * @table: routing table.
 * @n: number of rows in @table.
 * @method: request method, case-sensitive ("HEAD" also matches GET rows).
 * @path: the raw, still percent-encoded request path starting with '/'
 *	(e.g. REQUEST_URI).  Anything from the first '?' or '#' on is
 *	ignored.  Do not pass a path the web server has already decoded
 *	(nginx $uri / DOCUMENT_URI): "%2F" would then have become '/'.
 * @a: arena for the decoded segments, parameters and Allow string.
 * @out: always reset; filled as described for route_match_t.
 * A path with a trailing slash ("/c/x/") does not match "/c/x"; the caller
 * may redirect.  Paths with more than ROUTER_MAX_SEGS segments never match.
 * Returns: ROUTER_OK; ROUTER_NOT_FOUND; ROUTER_METHOD_NOT_ALLOWED when
 * some route matches the path but none with @method (@out->allow is set;
 * it lists HEAD whenever GET is allowed); ROUTER_BAD_REQUEST when @method
 * is NULL or empty, @path is NULL or does not start with '/', or a segment
 * has a bad %-escape, a NUL byte or invalid UTF-8 once decoded.
 */
int router_match(const route_t *table, size_t n, const char *method,
    const char *path, arena_t *a, route_match_t *out);

/*
 * route_param - a parameter of a successful match, by name.
 * @m: result of router_match() (NULL allowed).
 * @name: parameter name from the pattern, e.g. "handle".
 * Returns: the decoded value (in the match's arena) or NULL if absent.
 */
const char *route_param(const route_match_t *m, const char *name);

/*
 * router_check_table - validate a routing table, meant for startup.
 * @table: routing table.
 * @n: number of rows.
 * @err: buffer for a one-line description of the first problem (may be
 *	NULL when @errlen is 0); always NUL-terminated when @errlen > 0.
 * @errlen: size of @err in bytes.
 * Checks, for each row: an upper-case method; a non-NULL handler; a valid
 * role; a pattern that starts with '/', has no empty segments (so no
 * trailing slash, except "/" itself), at most ROUTER_MAX_SEGS segments,
 * literals made of RFC 3986 path characters other than '%', parameters of
 * the form {name:type} with a known type, [a-z_][a-z0-9_]* names unique
 * within the pattern, and at most ROUTER_MAX_INTS int parameters.  It also
 * refuses a row that can never be reached because an earlier row with the
 * same method (or GET for a HEAD row) accepts every path it accepts.
 * Returns: 0 if the table is valid, -1 otherwise.
 */
int router_check_table(const route_t *table, size_t n, char *err,
    size_t errlen);

#endif
