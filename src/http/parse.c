/*
 * parse.c - decoding of untrusted request input (see parse.h).
 *
 * Every function is a single forward pass (or two, when counting first
 * lets us refuse oversized input before allocating) over its input and
 * allocates only from the arena it is given.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/parse.h"

static const struct parse_limits default_limits = PARSE_LIMITS_DEFAULT;

const char *
parse_strerror(int err)
{
	switch (err) {
	case PARSE_OK:
		return "success";
	case PARSE_EBADENC:
		return "bad encoding";
	case PARSE_ETOOMANY:
		return "too many fields";
	case PARSE_ETOOLONG:
		return "field too long";
	default:
		return "unknown error";
	}
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
url_decode(arena_t *a, const char *s, size_t len, int plus_is_space,
    char **out, size_t *outlen)
{
	char *d;
	size_t i, n;
	int hi, lo;
	unsigned char c;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (s == NULL && len > 0)
		return PARSE_EBADENC;
	if (len == SIZE_MAX)
		return PARSE_EBADENC;

	/* Decoding never grows the input, so len + 1 bytes always suffice. */
	d = arena_alloc(a, len + 1);
	for (i = n = 0; i < len; n++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			/* "%", "%4" at the end and "%zz" are all malformed. */
			if (len - i < 3)
				return PARSE_EBADENC;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return PARSE_EBADENC;
			c = (unsigned char)(hi << 4 | lo);
			i += 3;
		} else {
			if (c == '+' && plus_is_space)
				c = ' ';
			i++;
		}
		/*
		 * A NUL would silently truncate the value for every C string
		 * consumer downstream (templates, libpq), so refuse it.
		 */
		if (c == '\0')
			return PARSE_EBADENC;
		d[n] = (char)c;
	}
	d[n] = '\0';

	/* Checked on the result so raw and escaped bytes are both covered. */
	if (!utf8_valid(d, n))
		return PARSE_EBADENC;
	*out = d;
	if (outlen != NULL)
		*outlen = n;
	return PARSE_OK;
}

/*
 * Decode one half of a name=value piece and check its decoded length.
 * Each %XX shrinks three input bytes to one, so an input longer than
 * 3 * max cannot decode to max bytes or less: refuse it before decoding.
 */
static int
decode_field(arena_t *a, const char *s, size_t len, size_t max,
    char **out, size_t *outlen)
{
	int rc;

	if (len / 3 > max)
		return PARSE_ETOOLONG;
	if ((rc = url_decode(a, s, len, 1, out, outlen)) != PARSE_OK)
		return rc;
	if (*outlen > max)
		return PARSE_ETOOLONG;
	return PARSE_OK;
}

int
http_parse_urlencoded(arena_t *a, const char *s, size_t len,
    const struct parse_limits *lim, kvlist_t *out)
{
	const char *p, *end, *amp, *eq;
	kv_t *items;
	size_t count, i, plen, nlen, vlen, dlen;
	char *name, *value;
	int rc;

	out->items = NULL;
	out->n = 0;
	if (lim == NULL)
		lim = &default_limits;
	if (s == NULL || len == 0)
		return PARSE_OK;
	end = s + len;

	/* First pass: count non-empty pieces so the limit costs nothing. */
	count = 0;
	for (p = s; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p)
			count++;
	}
	if (count > lim->max_fields)
		return PARSE_ETOOMANY;
	if (count == 0)
		return PARSE_OK;

	items = arena_calloc(a, count, sizeof(*items));
	i = 0;
	for (p = s; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		plen = (size_t)(amp - p);
		if ((eq = memchr(p, '=', plen)) != NULL) {
			nlen = (size_t)(eq - p);
			vlen = plen - nlen - 1;
		} else {
			nlen = plen;
			vlen = 0;
			eq = amp - 1;	/* so eq + 1 == amp, an empty value */
		}
		rc = decode_field(a, p, nlen, lim->max_name, &name, &dlen);
		if (rc != PARSE_OK)
			return rc;
		rc = decode_field(a, eq + 1, vlen, lim->max_value, &value,
		    &dlen);
		if (rc != PARSE_OK)
			return rc;
		items[i].name = name;
		items[i].value = value;
		items[i].value_len = dlen;
		i++;
	}
	out->items = items;
	out->n = i;
	return PARSE_OK;
}

const char *
kv_get(const kvlist_t *l, const char *name)
{
	size_t i;

	if (l == NULL || name == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return l->items[i].value;
	return NULL;
}

size_t
kv_count(const kvlist_t *l, const char *name)
{
	size_t i, n = 0;

	if (l == NULL || name == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			n++;
	return n;
}

/* RFC 9110 tchar: the characters allowed in a token such as a cookie name. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int
http_parse_cookies(arena_t *a, const char *header,
    const struct parse_limits *lim, kvlist_t *out)
{
	const char *p, *b, *e, *eq, *ne, *vb, *ve;
	kv_t *items = NULL;
	size_t pieces, cap, n, i;
	int ok;

	out->items = NULL;
	out->n = 0;
	if (lim == NULL)
		lim = &default_limits;
	if (header == NULL || *header == '\0')
		return PARSE_OK;

	/*
	 * Size the array by the number of ';'-separated pieces, but never
	 * beyond max_fields: a header of 4000 semicolons must not cost more
	 * than the limit allows.
	 */
	pieces = 1;
	for (p = header; *p != '\0'; p++)
		if (*p == ';')
			pieces++;
	cap = pieces < lim->max_fields ? pieces : lim->max_fields;
	if (cap > 0)
		items = arena_calloc(a, cap, sizeof(*items));

	n = 0;
	for (p = header; *p != '\0'; p = *e == ';' ? e + 1 : e) {
		b = p;
		if ((e = strchr(b, ';')) == NULL)
			e = b + strlen(b);

		/* Trim the piece, then split at the first '='. */
		while (b < e && is_ows(*b))
			b++;
		ve = e;
		while (ve > b && is_ows(ve[-1]))
			ve--;
		if ((eq = memchr(b, '=', (size_t)(ve - b))) == NULL)
			continue;
		ne = eq;
		while (ne > b && is_ows(ne[-1]))
			ne--;
		vb = eq + 1;
		while (vb < ve && is_ows(*vb))
			vb++;

		/* Name: a non-empty token, else the pair is junk. */
		if (ne == b)
			continue;
		ok = 1;
		for (i = 0; ok && i < (size_t)(ne - b); i++)
			ok = is_tchar((unsigned char)b[i]);
		if (!ok)
			continue;

		/* Value: unquote "..." (RFC 6265 allows DQUOTE around it). */
		if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') {
			vb++;
			ve--;
		}
		for (i = 0; ok && i < (size_t)(ve - vb); i++)
			ok = (unsigned char)vb[i] >= 0x20 && vb[i] != 0x7f;
		if (!ok || !utf8_valid(vb, (size_t)(ve - vb)))
			continue;

		if ((size_t)(ne - b) > lim->max_name ||
		    (size_t)(ve - vb) > lim->max_value)
			return PARSE_ETOOLONG;
		if (n == cap)
			return PARSE_ETOOMANY;
		items[n].name = arena_strndup(a, b, (size_t)(ne - b));
		items[n].value = arena_strndup(a, vb, (size_t)(ve - vb));
		items[n].value_len = (size_t)(ve - vb);
		n++;
	}
	out->items = n > 0 ? items : NULL;
	out->n = n;
	return PARSE_OK;
}

int
http_parse_int64(const char *s, long long min, long long max,
    long long *out)
{
	unsigned long long acc = 0, limit;
	unsigned int d;
	long long v;
	int neg = 0;

	if (s == NULL || out == NULL || min > max)
		return -1;
	if (*s == '-') {
		if (min >= 0)
			return -1;
		neg = 1;
		s++;
	}
	if (*s < '0' || *s > '9')
		return -1;

	/*
	 * Accumulate the magnitude unsigned; LLONG_MIN's magnitude is one
	 * more than LLONG_MAX, which an unsigned long long can hold.
	 */
	limit = neg ? (unsigned long long)LLONG_MAX + 1 :
	    (unsigned long long)LLONG_MAX;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (acc > (limit - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	if (*s != '\0')
		return -1;
	if (!neg)
		v = (long long)acc;
	else if (acc == (unsigned long long)LLONG_MAX + 1)
		v = LLONG_MIN;
	else
		v = -(long long)acc;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

void
url_encode(buf_t *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run;
	unsigned char c;
	char esc[3];

	/* Worst case is three bytes per input byte; reserve once if sane. */
	if (len <= SIZE_MAX / 4)
		buf_reserve(out, len * 3);
	for (i = 0; i < len; ) {
		/* Copy unreserved runs in one append. */
		for (run = 0; i + run < len &&
		    is_unreserved((unsigned char)s[i + run]); run++)
			;
		if (run > 0) {
			buf_append(out, s + i, run);
			i += run;
			continue;
		}
		c = (unsigned char)s[i++];
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0x0f];
		buf_append(out, esc, sizeof(esc));
	}
}

int
http_header_token_ok(const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}
