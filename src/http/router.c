/*
 * router.c - map a request method and path to a handler (see router.h).
 *
 * Patterns are interpreted straight from the table strings on every
 * request instead of being compiled at startup: tables are small, a
 * pattern walk is a handful of byte compares, and it keeps the router free
 * of global state.  router_check_table() catches malformed patterns before
 * the first request, so at match time a malformed segment simply never
 * matches.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/parse.h"
#include "http/router.h"

enum ptype {
	PT_LITERAL = 0,
	PT_INT,
	PT_SLUG,
	PT_HANDLE,
	PT_STR,
	PT_BAD		/* malformed parameter or unknown type */
};

/* One pattern segment, pointing into the pattern string. */
struct pseg {
	const char *s;		/* raw segment text (no slashes) */
	size_t len;
	enum ptype type;
	const char *name;	/* parameter name, for params */
	size_t namelen;
};

/* One decoded path segment, NUL-terminated in the request arena. */
struct dseg {
	const char *s;
	size_t len;
};

/* A parameter captured while matching: which segment, under which name. */
struct capture {
	const char *name;
	size_t namelen;
	size_t seg;
	enum ptype type;
};

#define SLUG_MAX	100
#define HANDLE_MIN	2
#define HANDLE_MAX	32
#define STR_MAX		200
#define INT_MAX_DIGITS	19	/* strlen("9223372036854775807") */

static enum ptype
type_lookup(const char *s, size_t len)
{
	static const struct {
		const char *name;
		enum ptype type;
	} types[] = {
		{ "int", PT_INT },
		{ "slug", PT_SLUG },
		{ "handle", PT_HANDLE },
		{ "str", PT_STR },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == len &&
		    memcmp(types[i].name, s, len) == 0)
			return types[i].type;
	return PT_BAD;
}

/*
 * Step to the next segment of a pattern.  *pp points at the '/' that
 * starts the segment (or at the final NUL).  Returns 1 with @seg filled,
 * 0 at the end, -1 if the pattern does not continue with '/'.
 */
static int
pattern_next(const char **pp, struct pseg *seg)
{
	const char *p = *pp, *e, *colon;

	if (*p == '\0')
		return 0;
	if (*p != '/')
		return -1;
	p++;
	if ((e = strchr(p, '/')) == NULL)
		e = p + strlen(p);
	seg->s = p;
	seg->len = (size_t)(e - p);
	seg->type = PT_LITERAL;
	seg->name = NULL;
	seg->namelen = 0;
	*pp = e;

	if (seg->len >= 2 && p[0] == '{' && e[-1] == '}' &&
	    (colon = memchr(p + 1, ':', seg->len - 2)) != NULL) {
		seg->name = p + 1;
		seg->namelen = (size_t)(colon - seg->name);
		seg->type = type_lookup(colon + 1, (size_t)(e - 1 - colon - 1));
		/* Braces inside the name or type are not a valid param. */
		if (memchr(seg->name, '{', seg->namelen) != NULL ||
		    memchr(colon + 1, '}', (size_t)(e - 1 - colon - 1)) != NULL)
			seg->type = PT_BAD;
	} else if (memchr(p, '{', seg->len) != NULL ||
	    memchr(p, '}', seg->len) != NULL)
		seg->type = PT_BAD;	/* e.g. "gig-{id:int}": unsupported */
	return 1;
}

static int
int_ok(const char *s, size_t len)
{
	size_t i;

	/* No sign and no leading zero: one canonical spelling per id. */
	if (len == 0 || len > INT_MAX_DIGITS || s[0] < '1' || s[0] > '9')
		return 0;
	for (i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	/* Same number of digits: lexical order is numeric order. */
	if (len == INT_MAX_DIGITS && memcmp(s, "9223372036854775807", len) > 0)
		return 0;
	return 1;
}

static int
slug_ok(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > SLUG_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		/* A hyphen only between two alphanumerics. */
		if (c == '-' && i > 0 && i + 1 < len && s[i - 1] != '-')
			continue;
		return 0;
	}
	return 1;
}

static int
handle_ok(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len < HANDLE_MIN || len > HANDLE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_'))
			return 0;
	}
	return 1;
}

static int
str_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > STR_MAX)
		return 0;
	/*
	 * Dot-segments mean "this/parent directory" to every URL resolver;
	 * refusing them keeps a str value from ever being a path trick.
	 */
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' &&
	    s[1] == '.'))
		return 0;
	/* Controls (a decoded %0A, say) would end up in logs and headers. */
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return utf8_valid(s, len);
}

static int
type_ok(enum ptype t, const char *s, size_t len)
{
	switch (t) {
	case PT_INT:
		return int_ok(s, len);
	case PT_SLUG:
		return slug_ok(s, len);
	case PT_HANDLE:
		return handle_ok(s, len);
	case PT_STR:
		return str_ok(s, len);
	default:
		return 0;
	}
}

/*
 * Match @pattern against the decoded path segments.  Returns the number
 * of captured parameters (in @caps), or -1 if the pattern does not match.
 * @nseg is at most ROUTER_MAX_SEGS, which bounds the captures.
 */
static int
match_pattern(const char *pattern, const struct dseg *segs, size_t nseg,
    struct capture *caps)
{
	struct pseg ps;
	size_t k = 0;
	int rc, ncap = 0;

	while ((rc = pattern_next(&pattern, &ps)) == 1) {
		if (k >= nseg)
			return -1;
		if (ps.type == PT_LITERAL) {
			if (ps.len != segs[k].len ||
			    memcmp(ps.s, segs[k].s, ps.len) != 0)
				return -1;
		} else if (type_ok(ps.type, segs[k].s, segs[k].len)) {
			caps[ncap].name = ps.name;
			caps[ncap].namelen = ps.namelen;
			caps[ncap].seg = k;
			caps[ncap].type = ps.type;
			ncap++;
		} else
			return -1;
		k++;
	}
	if (rc < 0 || k != nseg)
		return -1;
	return ncap;
}

static int
method_ok(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0)
		return 1;
	/* HEAD is GET without a body; the caller drops the body. */
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

/* Methods collected for the Allow header of a 405. */
static const char *const known_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
};
#define N_KNOWN		(sizeof(known_methods) / sizeof(known_methods[0]))
#define MAX_EXTRA	8

struct allow {
	unsigned int known;		/* bit i: known_methods[i] */
	const char *extra[MAX_EXTRA];	/* others, in table order */
	size_t nextra;
};

static void
allow_add(struct allow *al, const char *m)
{
	size_t i;

	for (i = 0; i < N_KNOWN; i++)
		if (strcmp(known_methods[i], m) == 0) {
			al->known |= 1u << i;
			if (i == 0)		/* GET implies HEAD */
				al->known |= 1u << 1;
			return;
		}
	for (i = 0; i < al->nextra; i++)
		if (strcmp(al->extra[i], m) == 0)
			return;
	/* Beyond MAX_EXTRA exotic methods the header is merely incomplete. */
	if (al->nextra < MAX_EXTRA)
		al->extra[al->nextra++] = m;
}

static const char *
allow_str(const struct allow *al, arena_t *a)
{
	buf_t b;
	size_t i;

	buf_init(&b, a);
	for (i = 0; i < N_KNOWN; i++)
		if (al->known & (1u << i)) {
			if (b.len > 0)
				buf_puts(&b, ", ");
			buf_puts(&b, known_methods[i]);
		}
	for (i = 0; i < al->nextra; i++) {
		if (b.len > 0)
			buf_puts(&b, ", ");
		buf_puts(&b, al->extra[i]);
	}
	return b.len > 0 ? b.data : arena_strdup(a, "");
}

int
router_match(const route_t *table, size_t n, const char *method,
    const char *path, arena_t *a, route_match_t *out)
{
	struct dseg segs[ROUTER_MAX_SEGS];
	struct capture caps[ROUTER_MAX_SEGS];
	struct allow al;
	const route_t *r;
	const char *p, *e, *end;
	char *d;
	size_t nseg, dlen, i, j, nints;
	kv_t *items;
	int ncap, path_matched = 0;

	memset(out, 0, sizeof(*out));
	if (method == NULL || *method == '\0' || path == NULL || *path != '/')
		return ROUTER_BAD_REQUEST;

	/*
	 * Split first, decode each segment second, so an encoded slash
	 * stays inside its segment.  Every segment is decoded even past
	 * ROUTER_MAX_SEGS, so a bad escape is a 400 however long the path.
	 */
	end = path + strcspn(path, "?#");
	nseg = 0;
	for (p = path + 1; ; p = e + 1) {
		if ((e = memchr(p, '/', (size_t)(end - p))) == NULL)
			e = end;
		if (url_decode(a, p, (size_t)(e - p), 0, &d, &dlen) !=
		    PARSE_OK)
			return ROUTER_BAD_REQUEST;
		if (nseg < ROUTER_MAX_SEGS) {
			segs[nseg].s = d;
			segs[nseg].len = dlen;
		}
		nseg++;
		if (e == end)
			break;
	}
	if (nseg > ROUTER_MAX_SEGS)
		return ROUTER_NOT_FOUND;

	memset(&al, 0, sizeof(al));
	for (i = 0; i < n; i++) {
		r = &table[i];
		if (r->method == NULL || r->pattern == NULL)
			continue;
		if ((ncap = match_pattern(r->pattern, segs, nseg, caps)) < 0)
			continue;
		if (!method_ok(r->method, method)) {
			/* Keep looking: a later row may take this method. */
			allow_add(&al, r->method);
			path_matched = 1;
			continue;
		}

		out->route = r;
		if (ncap == 0)
			return ROUTER_OK;
		items = arena_calloc(a, (size_t)ncap, sizeof(*items));
		nints = 0;
		for (j = 0; j < (size_t)ncap; j++) {
			items[j].name = arena_strndup(a, caps[j].name,
			    caps[j].namelen);
			items[j].value = segs[caps[j].seg].s;
			items[j].value_len = segs[caps[j].seg].len;
			/* int_ok() already bounded it; this cannot fail. */
			if (caps[j].type == PT_INT && nints < ROUTER_MAX_INTS)
				(void)http_parse_int64(items[j].value, 1,
				    LLONG_MAX, &out->ints[nints++]);
		}
		out->params.items = items;
		out->params.n = (size_t)ncap;
		return ROUTER_OK;
	}
	if (path_matched) {
		out->allow = allow_str(&al, a);
		return ROUTER_METHOD_NOT_ALLOWED;
	}
	return ROUTER_NOT_FOUND;
}

const char *
route_param(const route_match_t *m, const char *name)
{
	if (m == NULL)
		return NULL;
	return kv_get(&m->params, name);
}

/* ---- startup validation ------------------------------------------------ */

static int check_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
check_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* RFC 3986 pchar without '%': what a literal segment may contain. */
static int
literal_char_ok(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

static int
param_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* Does every value of type @sub also pass type @super? */
static int
type_within(enum ptype sub, enum ptype super)
{
	if (sub == super || super == PT_STR)
		return 1;
	/* A canonical int ("42") is also a valid slug. */
	return sub == PT_INT && super == PT_SLUG;
}

/*
 * Does pattern @a accept every path pattern @b accepts?  Both patterns
 * have already passed the checks in router_check_table().
 */
static int
pattern_covers(const char *a, const char *b)
{
	struct pseg sa, sb;
	int ra, rb;

	for (;;) {
		ra = pattern_next(&a, &sa);
		rb = pattern_next(&b, &sb);
		if (ra != 1 || rb != 1)
			return ra == rb;
		if (sa.type == PT_LITERAL) {
			if (sb.type != PT_LITERAL || sa.len != sb.len ||
			    memcmp(sa.s, sb.s, sa.len) != 0)
				return 0;
		} else if (sb.type == PT_LITERAL) {
			if (!type_ok(sa.type, sb.s, sb.len))
				return 0;
		} else if (!type_within(sb.type, sa.type))
			return 0;
	}
}

static int
methods_overlap(const char *earlier, const char *later)
{
	return strcmp(earlier, later) == 0 ||
	    (strcmp(earlier, "GET") == 0 && strcmp(later, "HEAD") == 0);
}

int
router_check_table(const route_t *table, size_t n, char *err, size_t errlen)
{
	struct pseg ps, names[ROUTER_MAX_SEGS];
	const route_t *r;
	const char *p, *label;
	size_t i, j, k, nseg, nnames, nints;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (i = 0; i < n; i++) {
		r = &table[i];
		label = r->name != NULL ? r->name : "(unnamed)";

		if (r->method == NULL || r->method[0] == '\0')
			return check_fail(err, errlen,
			    "route %zu %s: no method", i, label);
		for (p = r->method; *p != '\0'; p++)
			if (*p < 'A' || *p > 'Z')
				return check_fail(err, errlen,
				    "route %zu %s: method \"%s\" is not "
				    "upper-case letters", i, label, r->method);
		if (r->handler == NULL)
			return check_fail(err, errlen,
			    "route %zu %s: no handler", i, label);
		if ((int)r->min_role < (int)ROLE_ANON ||
		    (int)r->min_role > (int)ROLE_SUPER_ADMIN)
			return check_fail(err, errlen,
			    "route %zu %s: bad role %d", i, label,
			    (int)r->min_role);
		if (r->pattern == NULL || r->pattern[0] != '/')
			return check_fail(err, errlen,
			    "route %zu %s: pattern must start with '/'",
			    i, label);

		p = r->pattern;
		nseg = nnames = nints = 0;
		while ((rc = pattern_next(&p, &ps)) == 1) {
			if (++nseg > ROUTER_MAX_SEGS)
				return check_fail(err, errlen,
				    "route %zu %s: more than %d segments",
				    i, label, ROUTER_MAX_SEGS);
			if (ps.len == 0 && strcmp(r->pattern, "/") != 0)
				return check_fail(err, errlen,
				    "route %zu %s: empty segment in \"%s\"",
				    i, label, r->pattern);
			if (ps.type == PT_LITERAL) {
				for (k = 0; k < ps.len; k++)
					if (!literal_char_ok(
					    (unsigned char)ps.s[k]))
						return check_fail(err, errlen,
						    "route %zu %s: bad character "
						    "in \"%s\"", i, label,
						    r->pattern);
				continue;
			}
			if (ps.type == PT_BAD)
				return check_fail(err, errlen,
				    "route %zu %s: bad parameter \"%.*s\" "
				    "(want {name:int|slug|handle|str})",
				    i, label, (int)ps.len, ps.s);
			if (!param_name_ok(ps.name, ps.namelen))
				return check_fail(err, errlen,
				    "route %zu %s: bad parameter name in "
				    "\"%.*s\"", i, label, (int)ps.len, ps.s);
			for (k = 0; k < nnames; k++)
				if (names[k].namelen == ps.namelen &&
				    memcmp(names[k].name, ps.name,
				    ps.namelen) == 0)
					return check_fail(err, errlen,
					    "route %zu %s: parameter \"%.*s\" "
					    "used twice", i, label,
					    (int)ps.namelen, ps.name);
			names[nnames++] = ps;
			if (ps.type == PT_INT && ++nints > ROUTER_MAX_INTS)
				return check_fail(err, errlen,
				    "route %zu %s: more than %d int "
				    "parameters", i, label, ROUTER_MAX_INTS);
		}
		if (rc < 0)	/* cannot happen after the '/' check */
			return check_fail(err, errlen,
			    "route %zu %s: malformed pattern", i, label);

		/* Earlier rows are valid by now, so they can be compared. */
		for (j = 0; j < i; j++)
			if (methods_overlap(table[j].method, r->method) &&
			    pattern_covers(table[j].pattern, r->pattern))
				return check_fail(err, errlen,
				    "route %zu %s (%s %s) is unreachable: "
				    "route %zu %s (%s %s) matches first",
				    i, label, r->method, r->pattern, j,
				    table[j].name != NULL ? table[j].name :
				    "(unnamed)", table[j].method,
				    table[j].pattern);
	}
	return 0;
}
