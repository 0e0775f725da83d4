/*
 * test_http.c - unit tests for src/http/parse.c and src/http/router.c.
 */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/parse.h"
#include "http/router.h"

/* Every test gets a fresh arena as its state, freed afterwards. */
static int
setup(void **state)
{
	*state = arena_new(0);
	return 0;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

/* ---- utf8_valid --------------------------------------------------------- */

#define U8(s)	utf8_valid((s), sizeof(s) - 1)

static void
test_utf8_valid(void **state)
{
	assert_int_equal(utf8_valid(NULL, 0), 1);
	assert_int_equal(U8(""), 1);
	assert_int_equal(U8("plain ascii"), 1);
	assert_int_equal(U8("\xc3\xa9"), 1);			/* é */
	assert_int_equal(U8("\xe8\xae\xbe\xe8\xae\xa1"), 1);	/* 设计 */
	assert_int_equal(U8("\xf0\x9f\x98\x80"), 1);		/* U+1F600 */
	assert_int_equal(U8("\xed\x9f\xbf"), 1);		/* U+D7FF */
	assert_int_equal(U8("\xee\x80\x80"), 1);		/* U+E000 */
	assert_int_equal(U8("\xf4\x8f\xbf\xbf"), 1);		/* U+10FFFF */
	assert_int_equal(U8("\xef\xbf\xbf"), 1);		/* U+FFFF */

	assert_int_equal(U8("\xc0\xaf"), 0);		/* overlong '/' */
	assert_int_equal(U8("\xc1\xbf"), 0);		/* overlong */
	assert_int_equal(U8("\xe0\x80\xaf"), 0);		/* overlong 3-byte */
	assert_int_equal(U8("\xe0\x9f\xbf"), 0);		/* overlong 3-byte */
	assert_int_equal(U8("\xf0\x80\x80\xaf"), 0);	/* overlong 4-byte */
	assert_int_equal(U8("\xf0\x8f\xbf\xbf"), 0);	/* overlong 4-byte */
	assert_int_equal(U8("\xed\xa0\x80"), 0);		/* U+D800 surrogate */
	assert_int_equal(U8("\xed\xbf\xbf"), 0);		/* U+DFFF surrogate */
	assert_int_equal(U8("\xf4\x90\x80\x80"), 0);	/* U+110000 */
	assert_int_equal(U8("\xf5\x80\x80\x80"), 0);
	assert_int_equal(U8("\xff"), 0);
	assert_int_equal(U8("\xfe"), 0);
	assert_int_equal(U8("\x80"), 0);			/* lone continuation */
	assert_int_equal(U8("a\xbf"), 0);
	assert_int_equal(U8("\xe8\xae"), 0);		/* truncated */
	assert_int_equal(U8("\xe8\xae" "a"), 0);		/* bad continuation */
	assert_int_equal(U8("\xf0\x9f\x98"), 0);		/* truncated 4-byte */
	assert_int_equal(U8("\xc3"), 0);
	/* The length, not a NUL, bounds the check. */
	assert_int_equal(utf8_valid("\xe8\xae\xbe", 2), 0);
	assert_int_equal(utf8_valid("ab\xff", 2), 1);
}

/* ---- utf8_chars, utf8_blank --------------------------------------------- */

static void
test_utf8_chars_blank(void **state)
{
	assert_int_equal(utf8_chars(""), 0);
	assert_int_equal(utf8_chars("abc"), 3);
	assert_int_equal(utf8_chars("\xe8\xae\xbe\xe8\xae\xa1"), 2);	/* 设计 */
	assert_int_equal(utf8_chars("a\xf0\x9f\x98\x80" "b"), 3);	/* a U+1F600 b */
	assert_int_equal(utf8_chars("\xc3\xa9 "), 2);

	assert_int_equal(utf8_blank(""), 1);
	assert_int_equal(utf8_blank(" \t\r\n\f\v"), 1);
	assert_int_equal(utf8_blank("  x "), 0);
	assert_int_equal(utf8_blank("\xe3\x80\x80"), 0);	/* U+3000 is not ASCII white space */
}

/* ---- url_decode --------------------------------------------------------- */

/* Decode NUL-terminated @s; returns the result or NULL on error. */
static char *
dec(arena_t *a, const char *s, int plus)
{
	char *out = (char *)"sentinel";
	size_t len = 12345;
	int rc;

	rc = url_decode(a, s, strlen(s), plus, &out, &len);
	if (rc != PARSE_OK) {
		assert_int_equal(rc, PARSE_EBADENC);
		assert_null(out);
		assert_int_equal(len, 0);
		return NULL;
	}
	assert_non_null(out);
	assert_int_equal(len, strlen(out));
	return out;
}

static void
test_url_decode_ok(void **state)
{
	arena_t *a = *state;
	char *out;
	size_t len;

	assert_string_equal(dec(a, "", 1), "");
	assert_string_equal(dec(a, "abc", 1), "abc");
	assert_string_equal(dec(a, "a%20b", 1), "a b");
	assert_string_equal(dec(a, "%41%4a%4A%7e", 0), "AJJ~");
	assert_string_equal(dec(a, "a+b", 1), "a b");
	assert_string_equal(dec(a, "a+b", 0), "a+b");
	assert_string_equal(dec(a, "a%2Bb", 1), "a+b");
	assert_string_equal(dec(a, "%25", 1), "%");
	assert_string_equal(dec(a, "%2525", 1), "%25");	/* no double decode */
	assert_string_equal(dec(a, "%E8%AE%BE", 1), "\xe8\xae\xbe");
	assert_string_equal(dec(a, "%e8%ae%be%E8%AE%A1", 1),
	    "\xe8\xae\xbe\xe8\xae\xa1");
	/* Raw UTF-8 passes through. */
	assert_string_equal(dec(a, "\xe8\xae\xbe", 1), "\xe8\xae\xbe");
	/* Controls are data (form textareas send %0D%0A). */
	assert_string_equal(dec(a, "a%0D%0Ab", 1), "a\r\nb");

	/* Only @len bytes are read; the output is NUL-terminated anyway. */
	assert_int_equal(url_decode(a, "ab%41XYZ", 5, 0, &out, &len),
	    PARSE_OK);
	assert_string_equal(out, "abA");
	assert_int_equal(len, 3);
	/* outlen may be NULL. */
	assert_int_equal(url_decode(a, "x%20", 4, 0, &out, NULL), PARSE_OK);
	assert_string_equal(out, "x ");
	assert_int_equal(url_decode(a, NULL, 0, 0, &out, &len), PARSE_OK);
	assert_string_equal(out, "");
}

static void
test_url_decode_bad(void **state)
{
	arena_t *a = *state;
	char *out;
	size_t len;

	assert_null(dec(a, "%zz", 1));
	assert_null(dec(a, "%4", 1));
	assert_null(dec(a, "ab%4", 1));
	assert_null(dec(a, "%", 1));
	assert_null(dec(a, "abc%", 1));
	assert_null(dec(a, "%%41", 1));
	assert_null(dec(a, "%4g", 1));
	assert_null(dec(a, "%g4", 1));
	assert_null(dec(a, "% 4", 1));
	assert_null(dec(a, "%00", 1));
	assert_null(dec(a, "a%00b", 0));
	assert_null(dec(a, "%C0%AF", 1));		/* overlong '/' */
	assert_null(dec(a, "%c0%80", 1));		/* overlong NUL */
	assert_null(dec(a, "%E0%80%AF", 1));
	assert_null(dec(a, "%ED%A0%80", 1));		/* surrogate */
	assert_null(dec(a, "%F4%90%80%80", 1));		/* > U+10FFFF */
	assert_null(dec(a, "%FF", 1));
	assert_null(dec(a, "%E8%AE", 1));		/* truncated char */
	assert_null(dec(a, "\xc0\xaf", 1));		/* raw overlong */
	/* A raw NUL inside the counted bytes. */
	assert_int_equal(url_decode(a, "a\0b", 3, 0, &out, &len),
	    PARSE_EBADENC);
	assert_null(out);
	/* An escape cut by @len is truncated even if more bytes follow. */
	assert_int_equal(url_decode(a, "%41", 2, 0, &out, &len),
	    PARSE_EBADENC);
}

/* ---- http_parse_urlencoded ---------------------------------------------- */

static void
assert_kv(const kvlist_t *l, size_t i, const char *name, const char *value)
{
	assert_true(i < l->n);
	assert_string_equal(l->items[i].name, name);
	assert_string_equal(l->items[i].value, value);
	assert_int_equal(l->items[i].value_len, strlen(value));
}

static int
form(arena_t *a, const char *s, const struct parse_limits *lim,
    kvlist_t *l)
{
	return http_parse_urlencoded(a, s, strlen(s), lim, l);
}

static void
test_urlencoded_basic(void **state)
{
	arena_t *a = *state;
	kvlist_t l;

	assert_int_equal(form(a, "a=1&b=2", NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 2);
	assert_kv(&l, 0, "a", "1");
	assert_kv(&l, 1, "b", "2");

	assert_int_equal(form(a, "q=hello+world%21&x=%E8%AE%BE", NULL, &l),
	    PARSE_OK);
	assert_kv(&l, 0, "q", "hello world!");
	assert_kv(&l, 1, "x", "\xe8\xae\xbe");

	/* Names are decoded too. */
	assert_int_equal(form(a, "first+name=Al&a%5B%5D=1", NULL, &l),
	    PARSE_OK);
	assert_kv(&l, 0, "first name", "Al");
	assert_kv(&l, 1, "a[]", "1");

	/* Split at the first '=' only; encoded '&' and '=' are data. */
	assert_int_equal(form(a, "a=b=c&d=%26%3D", NULL, &l), PARSE_OK);
	assert_kv(&l, 0, "a", "b=c");
	assert_kv(&l, 1, "d", "&=");

	/* Empty input, NULL input. */
	assert_int_equal(form(a, "", NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	assert_int_equal(http_parse_urlencoded(a, NULL, 0, NULL, &l),
	    PARSE_OK);
	assert_int_equal(l.n, 0);

	/* Only @len bytes are parsed. */
	assert_int_equal(http_parse_urlencoded(a, "a=1&b=2", 3, NULL, &l),
	    PARSE_OK);
	assert_int_equal(l.n, 1);
	assert_kv(&l, 0, "a", "1");
}

static void
test_urlencoded_empty_pieces(void **state)
{
	arena_t *a = *state;
	kvlist_t l;

	assert_int_equal(form(a, "&&a=1&&b=&c&", NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 3);
	assert_kv(&l, 0, "a", "1");
	assert_kv(&l, 1, "b", "");
	assert_kv(&l, 2, "c", "");		/* no '=' -> empty value */

	assert_int_equal(form(a, "&&&", NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 0);

	/* "=x" keeps an empty name; "=" alone is an empty pair. */
	assert_int_equal(form(a, "=x&=", NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 2);
	assert_kv(&l, 0, "", "x");
	assert_kv(&l, 1, "", "");
}

static void
test_urlencoded_repeated(void **state)
{
	arena_t *a = *state;
	kvlist_t l;

	assert_int_equal(form(a, "tag=x&id=1&tag=y&tag=z", NULL, &l),
	    PARSE_OK);
	assert_int_equal(l.n, 4);
	assert_kv(&l, 0, "tag", "x");
	assert_kv(&l, 2, "tag", "y");
	assert_kv(&l, 3, "tag", "z");
	assert_string_equal(kv_get(&l, "tag"), "x");
	assert_string_equal(kv_get(&l, "id"), "1");
	assert_int_equal(kv_count(&l, "tag"), 3);
	assert_int_equal(kv_count(&l, "id"), 1);
	assert_int_equal(kv_count(&l, "nope"), 0);
	assert_null(kv_get(&l, "nope"));
	assert_null(kv_get(&l, "TAG"));		/* case-sensitive */
	assert_null(kv_get(NULL, "tag"));
	assert_int_equal(kv_count(NULL, "tag"), 0);
}

static void
test_urlencoded_bad(void **state)
{
	arena_t *a = *state;
	kvlist_t l;

	assert_int_equal(form(a, "a=1&b=%zz", NULL, &l), PARSE_EBADENC);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	assert_int_equal(form(a, "a%=1", NULL, &l), PARSE_EBADENC);
	assert_int_equal(form(a, "a=%00", NULL, &l), PARSE_EBADENC);
	assert_int_equal(form(a, "a=%C0%AF", NULL, &l), PARSE_EBADENC);
	assert_int_equal(form(a, "a=%ED%A0%80", NULL, &l), PARSE_EBADENC);
	assert_int_equal(form(a, "a=1&b=2%", NULL, &l), PARSE_EBADENC);
}

static void
test_urlencoded_limits(void **state)
{
	arena_t *a = *state;
	struct parse_limits lim = { 2, 4, 3 };
	struct parse_limits def = PARSE_LIMITS_DEFAULT;
	buf_t b;
	kvlist_t l;
	int i;

	assert_int_equal(form(a, "a=1&b=2", &lim, &l), PARSE_OK);
	assert_int_equal(form(a, "a=1&b=2&c=3", &lim, &l), PARSE_ETOOMANY);
	assert_int_equal(l.n, 0);
	/* Empty pieces do not count. */
	assert_int_equal(form(a, "a=1&&&b=2&", &lim, &l), PARSE_OK);
	assert_int_equal(l.n, 2);

	/* Name: 4 bytes ok, 5 not; measured after decoding. */
	assert_int_equal(form(a, "abcd=1", &lim, &l), PARSE_OK);
	assert_int_equal(form(a, "abcde=1", &lim, &l), PARSE_ETOOLONG);
	assert_int_equal(form(a, "%61%62%63%64=1", &lim, &l), PARSE_OK);
	assert_int_equal(form(a, "abcde", &lim, &l), PARSE_ETOOLONG);

	/* Value: 3 bytes ok, 4 not; "%41%41%41" decodes to 3. */
	assert_int_equal(form(a, "a=xyz", &lim, &l), PARSE_OK);
	assert_int_equal(form(a, "a=%41%41%41", &lim, &l), PARSE_OK);
	assert_kv(&l, 0, "a", "AAA");
	assert_int_equal(form(a, "a=wxyz", &lim, &l), PARSE_ETOOLONG);
	assert_int_equal(form(a, "a=%41%41%41%41", &lim, &l),
	    PARSE_ETOOLONG);
	/* 设 is 3 bytes, so one character is the whole budget. */
	assert_int_equal(form(a, "a=%E8%AE%BE", &lim, &l), PARSE_OK);
	assert_int_equal(form(a, "a=%E8%AE%BEx", &lim, &l), PARSE_ETOOLONG);

	/* Defaults: 64 fields. */
	assert_int_equal(def.max_fields, 64);
	buf_init(&b, a);
	for (i = 0; i < 64; i++)
		buf_printf(&b, "f%d=%d&", i, i);
	assert_int_equal(form(a, buf_cstr(&b), NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 64);
	assert_kv(&l, 63, "f63", "63");
	buf_puts(&b, "one=more");
	assert_int_equal(form(a, buf_cstr(&b), NULL, &l), PARSE_ETOOMANY);
	assert_int_equal(l.n, 0);

	/* Defaults: 8192-byte values, 128-byte names. */
	buf_init(&b, a);
	buf_puts(&b, "v=");
	for (i = 0; i < 8192; i++)
		buf_putc(&b, 'x');
	assert_int_equal(form(a, buf_cstr(&b), NULL, &l), PARSE_OK);
	assert_int_equal(l.items[0].value_len, 8192);
	buf_putc(&b, 'x');
	assert_int_equal(form(a, buf_cstr(&b), NULL, &l), PARSE_ETOOLONG);
	buf_init(&b, a);
	for (i = 0; i < 129; i++)
		buf_putc(&b, 'n');
	assert_int_equal(form(a, buf_cstr(&b), NULL, &l), PARSE_ETOOLONG);

	/* Zero fields allowed: only an input without pieces passes. */
	lim.max_fields = 0;
	assert_int_equal(form(a, "&", &lim, &l), PARSE_OK);
	assert_int_equal(form(a, "a", &lim, &l), PARSE_ETOOMANY);
}

/* ---- cookies ------------------------------------------------------------ */

static void
test_cookies_basic(void **state)
{
	arena_t *a = *state;
	kvlist_t l;

	assert_int_equal(http_parse_cookies(a, "a=b; c=d", NULL, &l),
	    PARSE_OK);
	assert_int_equal(l.n, 2);
	assert_kv(&l, 0, "a", "b");
	assert_kv(&l, 1, "c", "d");

	assert_int_equal(http_parse_cookies(a, "a=b;c=d;", NULL, &l),
	    PARSE_OK);
	assert_int_equal(l.n, 2);
	assert_kv(&l, 1, "c", "d");

	/* Tolerant of spaces and tabs around names and values. */
	assert_int_equal(http_parse_cookies(a, "  a = b ;\tc=d  ;  e= f",
	    NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 3);
	assert_kv(&l, 0, "a", "b");
	assert_kv(&l, 1, "c", "d");
	assert_kv(&l, 2, "e", "f");

	/* Quoted values are unquoted; a lone quote is kept as data. */
	assert_int_equal(http_parse_cookies(a,
	    "sid=\"abc123\"; e=\"\"; q=\"; r=x\"y", NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 4);
	assert_kv(&l, 0, "sid", "abc123");
	assert_kv(&l, 1, "e", "");
	assert_kv(&l, 2, "q", "\"");
	assert_kv(&l, 3, "r", "x\"y");

	/* Values are opaque: '=' kept, no %-decoding, no '+' mapping. */
	assert_int_equal(http_parse_cookies(a, "t=a=b==; p=%41+b", NULL,
	    &l), PARSE_OK);
	assert_kv(&l, 0, "t", "a=b==");
	assert_kv(&l, 1, "p", "%41+b");

	/* Empty values, duplicates kept in order, first one wins. */
	assert_int_equal(http_parse_cookies(a, "a=; a=2", NULL, &l),
	    PARSE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(kv_get(&l, "a"), "");
	assert_int_equal(kv_count(&l, "a"), 2);

	/* Nothing to parse. */
	assert_int_equal(http_parse_cookies(a, NULL, NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(http_parse_cookies(a, "", NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(http_parse_cookies(a, " ; ;; ", NULL, &l),
	    PARSE_OK);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
}

static void
test_cookies_malformed(void **state)
{
	arena_t *a = *state;
	kvlist_t l;

	/* Each junk pair is skipped, the good ones survive. */
	assert_int_equal(http_parse_cookies(a,
	    "junk; =x; a=1; b c=2; d=\x01; (x)=3; e=ok; f=a\tb; g=\xc0\xaf; "
	    "h=\xe8\xae\xbe; i\x7f=1",
	    NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 3);
	assert_kv(&l, 0, "a", "1");
	assert_kv(&l, 1, "e", "ok");
	assert_kv(&l, 2, "h", "\xe8\xae\xbe");
	assert_null(kv_get(&l, "junk"));
	assert_null(kv_get(&l, "b c"));
	assert_null(kv_get(&l, "g"));

	/* Token characters are fine in names. */
	assert_int_equal(http_parse_cookies(a, "__Host-sid=1; a.b!#$=2",
	    NULL, &l), PARSE_OK);
	assert_int_equal(l.n, 2);
	assert_kv(&l, 0, "__Host-sid", "1");
	assert_kv(&l, 1, "a.b!#$", "2");
}

static void
test_cookies_limits(void **state)
{
	arena_t *a = *state;
	struct parse_limits lim = { 2, 3, 4 };
	kvlist_t l;

	assert_int_equal(http_parse_cookies(a, "a=1; b=2", &lim, &l),
	    PARSE_OK);
	assert_int_equal(http_parse_cookies(a, "a=1; b=2; c=3", &lim, &l),
	    PARSE_ETOOMANY);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	/* Skipped junk does not count against the limit. */
	assert_int_equal(http_parse_cookies(a, "x; a=1; =; b=2; ;", &lim,
	    &l), PARSE_OK);
	assert_int_equal(l.n, 2);

	assert_int_equal(http_parse_cookies(a, "abc=1", &lim, &l), PARSE_OK);
	assert_int_equal(http_parse_cookies(a, "abcd=1", &lim, &l),
	    PARSE_ETOOLONG);
	assert_int_equal(http_parse_cookies(a, "a=1234", &lim, &l),
	    PARSE_OK);
	/* Quotes do not count toward the value. */
	assert_int_equal(http_parse_cookies(a, "a=\"1234\"", &lim, &l),
	    PARSE_OK);
	assert_int_equal(http_parse_cookies(a, "a=12345", &lim, &l),
	    PARSE_ETOOLONG);

	lim.max_fields = 0;
	assert_int_equal(http_parse_cookies(a, "junk", &lim, &l), PARSE_OK);
	assert_int_equal(http_parse_cookies(a, "a=1", &lim, &l),
	    PARSE_ETOOMANY);
}

/* ---- http_parse_int64 ---------------------------------------------------- */

static void
test_parse_int64(void **state)
{
	long long v;

	assert_int_equal(http_parse_int64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(http_parse_int64("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(http_parse_int64("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(http_parse_int64("-1", -10, 10, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(http_parse_int64("-0", -10, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(http_parse_int64("9223372036854775807", 0,
	    LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(http_parse_int64("-9223372036854775808", LLONG_MIN,
	    0, &v), 0);
	assert_true(v == LLONG_MIN);

	/* Failures leave *out alone. */
	v = 42;
	assert_int_equal(http_parse_int64("-1", 0, 10, &v), -1);
	assert_int_equal(http_parse_int64("9223372036854775808", 0,
	    LLONG_MAX, &v), -1);
	assert_int_equal(http_parse_int64("-9223372036854775809", LLONG_MIN,
	    LLONG_MAX, &v), -1);
	assert_int_equal(http_parse_int64("18446744073709551616", 0,
	    LLONG_MAX, &v), -1);
	assert_int_equal(http_parse_int64("99999999999999999999999999", 0,
	    LLONG_MAX, &v), -1);
	assert_int_equal(http_parse_int64("12a", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64(" 1", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64("1 ", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64("+1", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64("", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64("-", -100, 100, &v), -1);
	assert_int_equal(http_parse_int64("--1", -100, 100, &v), -1);
	assert_int_equal(http_parse_int64("0x10", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64("1e3", 0, 10000, &v), -1);
	assert_int_equal(http_parse_int64("1.0", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64("\xd9\xa1", 0, 100, &v), -1);
	assert_int_equal(http_parse_int64("11", 0, 10, &v), -1);
	assert_int_equal(http_parse_int64("-11", -10, 10, &v), -1);
	assert_int_equal(http_parse_int64("5", 6, 10, &v), -1);
	assert_int_equal(http_parse_int64("5", 10, 0, &v), -1); /* min>max */
	assert_int_equal(http_parse_int64(NULL, 0, 10, &v), -1);
	assert_int_equal(v, 42);
}

/* ---- url_encode, header check, strerror ---------------------------------- */

static void
test_url_encode(void **state)
{
	arena_t *a = *state;
	buf_t b;

	buf_init(&b, a);
	url_encode(&b, "", 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");

	url_encode(&b, "AZaz09-._~", 10);
	assert_string_equal(buf_cstr(&b), "AZaz09-._~");

	buf_truncate(&b, 0);
	url_encode(&b, "a b&c=d/e?f#g+h%i", 17);
	assert_string_equal(buf_cstr(&b),
	    "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25i");

	buf_truncate(&b, 0);
	url_encode(&b, "\xe8\xae\xbe\r\n\x7f\xff", 7);
	assert_string_equal(buf_cstr(&b), "%E8%AE%BE%0D%0A%7F%FF");

	/* Appends rather than overwrites. */
	buf_truncate(&b, 0);
	buf_puts(&b, "/search?q=");
	url_encode(&b, "x y", 3);
	assert_string_equal(buf_cstr(&b), "/search?q=x%20y");
}

static void
test_url_encode_roundtrip(void **state)
{
	arena_t *a = *state;
	char in[256], *out;
	size_t n, len;
	buf_t b;
	int c;

	/* Every non-NUL ASCII byte plus some multi-byte characters. */
	n = 0;
	for (c = 1; c < 0x80; c++)
		in[n++] = (char)c;
	memcpy(in + n, "\xe8\xae\xbe\xc3\xa9\xf0\x9f\x98\x80", 9);
	n += 9;

	buf_init(&b, a);
	url_encode(&b, in, n);
	/* Only unreserved characters and escapes are left. */
	assert_int_equal(strspn(buf_cstr(&b), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~%"), b.len);
	/* Round trip with either decoding mode, since spaces are %20. */
	assert_int_equal(url_decode(a, b.data, b.len, 0, &out, &len),
	    PARSE_OK);
	assert_int_equal(len, n);
	assert_memory_equal(out, in, n);
	assert_int_equal(url_decode(a, b.data, b.len, 1, &out, &len),
	    PARSE_OK);
	assert_int_equal(len, n);
	assert_memory_equal(out, in, n);

	/* Through a query string parse as well. */
	buf_truncate(&b, 0);
	buf_puts(&b, "q=");
	url_encode(&b, "a&b=c d+e\xe8\xae\xbe", 12);
	buf_puts(&b, "&x=1");
	{
		kvlist_t l;

		assert_int_equal(http_parse_urlencoded(a, b.data, b.len, NULL,
		    &l), PARSE_OK);
		assert_int_equal(l.n, 2);
		assert_kv(&l, 0, "q", "a&b=c d+e\xe8\xae\xbe");
		assert_kv(&l, 1, "x", "1");
	}

	/* A heap buffer works too. */
	buf_init(&b, NULL);
	url_encode(&b, "a b", 3);
	assert_string_equal(buf_cstr(&b), "a%20b");
	buf_free(&b);
}

static void
test_header_token_ok(void **state)
{
	assert_int_equal(http_header_token_ok(""), 1);
	assert_int_equal(http_header_token_ok("text/html; charset=utf-8"), 1);
	assert_int_equal(http_header_token_ok("/gig/42?x=\"y\""), 1);
	assert_int_equal(http_header_token_ok("\xe8\xae\xbe"), 1);
	assert_int_equal(http_header_token_ok("a\r\nSet-Cookie: x=1"), 0);
	assert_int_equal(http_header_token_ok("a\nb"), 0);
	assert_int_equal(http_header_token_ok("a\rb"), 0);
	assert_int_equal(http_header_token_ok("a\tb"), 0);
	assert_int_equal(http_header_token_ok("\x01"), 0);
	assert_int_equal(http_header_token_ok("a\x7f"), 0);
	assert_int_equal(http_header_token_ok(NULL), 0);
}

static void
test_parse_strerror(void **state)
{
	assert_string_equal(parse_strerror(PARSE_OK), "success");
	assert_string_equal(parse_strerror(PARSE_EBADENC), "bad encoding");
	assert_string_equal(parse_strerror(PARSE_ETOOMANY),
	    "too many fields");
	assert_string_equal(parse_strerror(PARSE_ETOOLONG), "field too long");
	assert_string_equal(parse_strerror(-99), "unknown error");
}

/* ---- router ------------------------------------------------------------- */

static int
h_dummy(struct http_req *req)
{
	return 0;
}

static const route_t routes[] = {
	{ "GET", "/", h_dummy, ROLE_ANON, "home" },
	{ "GET", "/search", h_dummy, ROLE_ANON, "search" },
	{ "GET", "/sitemap.xml", h_dummy, ROLE_ANON, "sitemap" },
	{ "POST", "/login", h_dummy, ROLE_ANON, "login.post" },
	{ "GET", "/c/{category:slug}", h_dummy, ROLE_ANON, "category" },
	{ "GET", "/gig/{id:int}", h_dummy, ROLE_ANON, "gig.show" },
	{ "POST", "/gig/{id:int}", h_dummy, ROLE_SELLER, "gig.update" },
	{ "DELETE", "/gig/{id:int}", h_dummy, ROLE_SELLER, "gig.delete" },
	{ "GET", "/o/{order:int}/m/{msg:int}", h_dummy, ROLE_BUYER,
	    "order.msg" },
	{ "GET", "/u/{handle:handle}", h_dummy, ROLE_ANON, "user" },
	{ "GET", "/tag/{name:str}", h_dummy, ROLE_ANON, "tag" },
	{ "PURGE", "/cache", h_dummy, ROLE_ADMIN, "cache.purge" },
	{ "GET", "/{handle:handle}/{gig:slug}", h_dummy, ROLE_ANON,
	    "gig.byslug" },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* Match and return the route name, or NULL; @rc gets the code. */
static const char *
route(arena_t *a, const char *method, const char *path, int *rc,
    route_match_t *m)
{
	*rc = router_match(routes, NROUTES, method, path, a, m);
	if (*rc == ROUTER_OK) {
		assert_non_null(m->route);
		assert_null(m->allow);
		return m->route->name;
	}
	assert_null(m->route);
	assert_int_equal(m->params.n, 0);
	if (*rc != ROUTER_METHOD_NOT_ALLOWED)
		assert_null(m->allow);
	return NULL;
}

/* Shorthand: expect ROUTER_OK and route @name. */
static void
expect_route(arena_t *a, const char *method, const char *path,
    const char *name, route_match_t *m)
{
	int rc;
	const char *got = route(a, method, path, &rc, m);

	if (rc != ROUTER_OK)
		fail_msg("%s %s: rc %d, want route %s", method, path, rc, name);
	assert_string_equal(got, name);
}

static void
expect_rc(arena_t *a, const char *method, const char *path, int want)
{
	route_match_t m;
	int rc;

	(void)route(a, method, path, &rc, &m);
	if (rc != want)
		fail_msg("%s %s: rc %d, want %d", method, path, rc, want);
}

static void
test_router_check_table_ok(void **state)
{
	char err[256];

	assert_int_equal(router_check_table(routes, NROUTES, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(router_check_table(routes, NROUTES, NULL, 0), 0);
}

static void
test_router_static(void **state)
{
	arena_t *a = *state;
	route_match_t m;

	expect_route(a, "GET", "/", "home", &m);
	assert_int_equal(m.params.n, 0);
	assert_null(route_param(&m, "x"));
	expect_route(a, "GET", "/search", "search", &m);
	expect_route(a, "GET", "/sitemap.xml", "sitemap", &m);
	expect_route(a, "POST", "/login", "login.post", &m);
	assert_int_equal(m.route->min_role, ROLE_ANON);
	expect_route(a, "PURGE", "/cache", "cache.purge", &m);
	assert_int_equal(m.route->min_role, ROLE_ADMIN);

	/* The query string and fragment are not part of the path. */
	expect_route(a, "GET", "/search?q=a/b&x=%zz", "search", &m);
	expect_route(a, "GET", "/?", "home", &m);
	expect_route(a, "GET", "/search#top", "search", &m);

	/* Literals compare against the decoded segment. */
	expect_route(a, "GET", "/s%65arch", "search", &m);

	/* Case-sensitive, no prefix matching. */
	expect_rc(a, "GET", "/Search", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/searchx", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/sitemap.xm", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/nope", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/a/b/c", ROUTER_NOT_FOUND);
}

static void
test_router_params(void **state)
{
	arena_t *a = *state;
	route_match_t m;

	expect_route(a, "GET", "/c/web-design", "category", &m);
	assert_int_equal(m.params.n, 1);
	assert_string_equal(route_param(&m, "category"), "web-design");
	assert_null(route_param(&m, "id"));

	expect_route(a, "GET", "/gig/42", "gig.show", &m);
	assert_string_equal(route_param(&m, "id"), "42");
	assert_true(m.ints[0] == 42);
	assert_true(m.ints[1] == 0);

	expect_route(a, "GET", "/gig/9223372036854775807", "gig.show", &m);
	assert_true(m.ints[0] == LLONG_MAX);

	expect_route(a, "GET", "/o/7/m/1234567890123", "order.msg", &m);
	assert_true(m.ints[0] == 7);
	assert_true(m.ints[1] == 1234567890123LL);
	assert_string_equal(route_param(&m, "order"), "7");
	assert_string_equal(route_param(&m, "msg"), "1234567890123");
	assert_int_equal(m.route->min_role, ROLE_BUYER);

	expect_route(a, "GET", "/u/bob_99", "user", &m);
	assert_string_equal(route_param(&m, "handle"), "bob_99");

	expect_route(a, "GET", "/alice/logo-design", "gig.byslug", &m);
	assert_int_equal(m.params.n, 2);
	assert_string_equal(m.params.items[0].name, "handle");
	assert_string_equal(m.params.items[1].name, "gig");
	assert_string_equal(route_param(&m, "handle"), "alice");
	assert_string_equal(route_param(&m, "gig"), "logo-design");

	/* Decoded before the type check: %61 is 'a'. */
	expect_route(a, "GET", "/c/%61bc", "category", &m);
	assert_string_equal(route_param(&m, "category"), "abc");

	/*
	 * Table order: "/gig/42" also fits "/{handle}/{gig:slug}" ("gig" is
	 * a handle, "42" a slug) but gig.show comes first.
	 */
	expect_route(a, "GET", "/gig/42", "gig.show", &m);
	expect_route(a, "GET", "/ab/cd", "gig.byslug", &m);

	assert_null(route_param(NULL, "x"));
}

/*
 * Int checks go through "/o/{order:int}/m/1": unlike "/gig/x", no later
 * row ("/{handle}/{gig:slug}") can pick up a rejected value, since "o" is
 * too short to be a handle.
 */
static void
expect_order(arena_t *a, const char *id, int want)
{
	char path[128];

	snprintf(path, sizeof(path), "/o/%s/m/1", id);
	expect_rc(a, "GET", path, want);
}

static void
test_router_int_type(void **state)
{
	arena_t *a = *state;

	expect_order(a, "1", ROUTER_OK);
	expect_order(a, "9223372036854775807", ROUTER_OK);
	expect_order(a, "%31", ROUTER_OK);
	expect_order(a, "0", ROUTER_NOT_FOUND);
	expect_order(a, "007", ROUTER_NOT_FOUND);
	expect_order(a, "-1", ROUTER_NOT_FOUND);
	expect_order(a, "+1", ROUTER_NOT_FOUND);
	expect_order(a, "%2B1", ROUTER_NOT_FOUND);
	expect_order(a, "12a", ROUTER_NOT_FOUND);
	expect_order(a, "1.5", ROUTER_NOT_FOUND);
	expect_order(a, "%201", ROUTER_NOT_FOUND);
	expect_order(a, "1%20", ROUTER_NOT_FOUND);
	expect_order(a, "9223372036854775808", ROUTER_NOT_FOUND);
	expect_order(a, "9999999999999999999", ROUTER_NOT_FOUND);
	expect_order(a, "99999999999999999999", ROUTER_NOT_FOUND);
	expect_order(a, "", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/o/1/m", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/gig", ROUTER_NOT_FOUND);
}

static void
test_router_slug_handle_types(void **state)
{
	arena_t *a = *state;
	char path[512];

	expect_rc(a, "GET", "/c/a", ROUTER_OK);
	expect_rc(a, "GET", "/c/a-1-b2", ROUTER_OK);
	expect_rc(a, "GET", "/c/Web", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/-a", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/a-", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/a--b", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/a_b", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/a.b", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/%E8%AE%BE", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/", ROUTER_NOT_FOUND);
	/* 100 bytes ok, 101 not. */
	snprintf(path, sizeof(path), "/c/%0100d", 0);
	expect_rc(a, "GET", path, ROUTER_OK);
	snprintf(path, sizeof(path), "/c/%0101d", 0);
	expect_rc(a, "GET", path, ROUTER_NOT_FOUND);

	expect_rc(a, "GET", "/u/ab", ROUTER_OK);
	expect_rc(a, "GET", "/u/__", ROUTER_OK);
	expect_rc(a, "GET", "/u/12345", ROUTER_OK);
	expect_rc(a, "GET", "/u/a", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/u/Bob", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/u/a-b", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/u/a.b", ROUTER_NOT_FOUND);
	/* 32 bytes ok, 33 not. */
	snprintf(path, sizeof(path), "/u/%032d", 0);
	expect_rc(a, "GET", path, ROUTER_OK);
	snprintf(path, sizeof(path), "/u/%033d", 0);
	expect_rc(a, "GET", path, ROUTER_NOT_FOUND);
}

static void
test_router_str_type(void **state)
{
	arena_t *a = *state;
	route_match_t m;
	char path[1024];
	int n;

	expect_route(a, "GET", "/tag/Hello%20World!", "tag", &m);
	assert_string_equal(route_param(&m, "name"), "Hello World!");
	/* '+' is literal in paths. */
	expect_route(a, "GET", "/tag/c++", "tag", &m);
	assert_string_equal(route_param(&m, "name"), "c++");

	/* Chinese, escaped and raw. */
	expect_route(a, "GET", "/tag/%E8%AE%BE%E8%AE%A1", "tag", &m);
	assert_string_equal(route_param(&m, "name"),
	    "\xe8\xae\xbe\xe8\xae\xa1");
	assert_int_equal(m.params.items[0].value_len, 6);
	expect_route(a, "GET", "/tag/\xe8\xae\xbe\xe8\xae\xa1", "tag", &m);
	assert_string_equal(route_param(&m, "name"),
	    "\xe8\xae\xbe\xe8\xae\xa1");

	/* Controls and dot-segments are not str values. */
	expect_rc(a, "GET", "/tag/a%0Ab", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/tag/%7F", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/tag/.", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/tag/..", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/tag/%2E%2E", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/tag/...", ROUTER_OK);
	expect_rc(a, "GET", "/tag/", ROUTER_NOT_FOUND);

	/* 200 decoded bytes ok, 201 not. */
	n = snprintf(path, sizeof(path), "/tag/");
	while (n < 5 + 200)
		path[n++] = 'x';
	path[n] = '\0';
	expect_rc(a, "GET", path, ROUTER_OK);
	path[n++] = 'x';
	path[n] = '\0';
	expect_rc(a, "GET", path, ROUTER_NOT_FOUND);
	/* 66 x 3-byte characters = 198 bytes ok, 67 = 201 not. */
	n = snprintf(path, sizeof(path), "/tag/");
	while (n < 5 + 66 * 9)
		n += snprintf(path + n, sizeof(path) - (size_t)n,
		    "%%E8%%AE%%BE");
	expect_rc(a, "GET", path, ROUTER_OK);
	snprintf(path + n, sizeof(path) - (size_t)n, "%%E8%%AE%%BE");
	expect_rc(a, "GET", path, ROUTER_NOT_FOUND);
}

static void
test_router_encoded_slash(void **state)
{
	arena_t *a = *state;
	route_match_t m;

	/* %2F stays inside its segment. */
	expect_route(a, "GET", "/tag/a%2Fb", "tag", &m);
	assert_string_equal(route_param(&m, "name"), "a/b");
	expect_route(a, "GET", "/tag/%2F..%2F..%2Fetc", "tag", &m);
	assert_string_equal(route_param(&m, "name"), "/../../etc");
	expect_rc(a, "GET", "/tag/a/b", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/a%2Fb", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/u/ab%2fcd", ROUTER_NOT_FOUND);
	/* "gig/42" is one segment, matching neither literal nor handle. */
	expect_rc(a, "GET", "/gig%2F42", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "%2Fsearch", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/%2Fsearch", ROUTER_NOT_FOUND);
}

static void
test_router_bad_request(void **state)
{
	arena_t *a = *state;
	route_match_t m;
	char path[256];
	int i, n;

	expect_rc(a, "GET", "/c/%zz", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/c/%", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/c/ab%4", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/tag/%00", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/tag/%C0%AF", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/tag/%ED%A0%80", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/tag/\xff", ROUTER_BAD_REQUEST);
	/* Even where no route could match, and in any segment. */
	expect_rc(a, "GET", "/nope/%4", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "/%zz/search", ROUTER_BAD_REQUEST);
	expect_rc(a, "POST", "/search/%", ROUTER_BAD_REQUEST);
	/* The query string is not the router's business. */
	expect_rc(a, "GET", "/search?%zz", ROUTER_OK);

	expect_rc(a, "GET", "", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "search", ROUTER_BAD_REQUEST);
	expect_rc(a, "GET", "?x", ROUTER_BAD_REQUEST);
	expect_rc(a, "", "/", ROUTER_BAD_REQUEST);
	assert_int_equal(router_match(routes, NROUTES, NULL, "/", a, &m),
	    ROUTER_BAD_REQUEST);
	assert_int_equal(router_match(routes, NROUTES, "GET", NULL, a, &m),
	    ROUTER_BAD_REQUEST);
	assert_null(m.route);

	/* Too many segments: 404, but a bad escape anywhere is still 400. */
	n = 0;
	for (i = 0; i < ROUTER_MAX_SEGS + 1; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "/a");
	expect_rc(a, "GET", path, ROUTER_NOT_FOUND);
	snprintf(path + n, sizeof(path) - (size_t)n, "/%%zz");
	expect_rc(a, "GET", path, ROUTER_BAD_REQUEST);
}

static void
test_router_trailing_slash(void **state)
{
	arena_t *a = *state;

	expect_rc(a, "GET", "/c/x/", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c/x", ROUTER_OK);
	expect_rc(a, "GET", "/search/", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/gig/5/", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "//", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "//search", ROUTER_NOT_FOUND);
	expect_rc(a, "GET", "/c//x", ROUTER_NOT_FOUND);
	/* A trailing-slash path never yields 405 either. */
	expect_rc(a, "POST", "/search/", ROUTER_NOT_FOUND);
}

static void
test_router_405(void **state)
{
	arena_t *a = *state;
	route_match_t m;
	int rc;

	assert_null(route(a, "POST", "/search", &rc, &m));
	assert_int_equal(rc, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");

	assert_null(route(a, "GET", "/login", &rc, &m));
	assert_int_equal(rc, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST");
	assert_null(route(a, "HEAD", "/login", &rc, &m));
	assert_int_equal(rc, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST");

	/* All rows sharing the path contribute, in a fixed order. */
	assert_null(route(a, "PUT", "/gig/5", &rc, &m));
	assert_int_equal(rc, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD, POST, DELETE");

	/* Non-standard methods are listed after the known ones. */
	assert_null(route(a, "GET", "/cache", &rc, &m));
	assert_int_equal(rc, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "PURGE");

	/* A later row with the same path takes the method: no 405. */
	expect_route(a, "POST", "/gig/5", "gig.update", &m);
	assert_true(m.ints[0] == 5);
	expect_route(a, "DELETE", "/gig/5", "gig.delete", &m);

	/* Type mismatch is 404, not 405... */
	expect_rc(a, "POST", "/c/ABC", ROUTER_NOT_FOUND);
	/* ...unless another row's pattern fits: "gig"/"abc" is a gig slug. */
	assert_null(route(a, "POST", "/gig/abc", &rc, &m));
	assert_int_equal(rc, ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");
	expect_rc(a, "GET", "/nope", ROUTER_NOT_FOUND);
	expect_rc(a, "PUT", "/nope", ROUTER_NOT_FOUND);
	/* Methods are case-sensitive. */
	expect_rc(a, "get", "/search", ROUTER_METHOD_NOT_ALLOWED);
}

static void
test_router_head(void **state)
{
	arena_t *a = *state;
	route_match_t m;

	expect_route(a, "HEAD", "/", "home", &m);
	assert_string_equal(m.route->method, "GET");
	expect_route(a, "HEAD", "/gig/9", "gig.show", &m);
	assert_true(m.ints[0] == 9);
	expect_route(a, "HEAD", "/alice/logo", "gig.byslug", &m);
	expect_rc(a, "HEAD", "/nope", ROUTER_NOT_FOUND);
	expect_rc(a, "HEAD", "/cache", ROUTER_METHOD_NOT_ALLOWED);
}

static void
test_router_explicit_head(void **state)
{
	static const route_t t[] = {
		{ "HEAD", "/ping", h_dummy, ROLE_ANON, "ping.head" },
		{ "GET", "/ping", h_dummy, ROLE_ANON, "ping" },
		{ "POST", "/form", h_dummy, ROLE_ANON, "form" },
		{ "PUT", "/form", h_dummy, ROLE_ANON, "form.put" },
		{ "OPTIONS", "/form", h_dummy, ROLE_ANON, "form.opt" },
		{ "PATCH", "/form", h_dummy, ROLE_ANON, "form.patch" },
	};
	arena_t *a = *state;
	route_match_t m;
	char err[256];

	assert_int_equal(router_check_table(t, 6, err, sizeof(err)), 0);
	assert_int_equal(router_match(t, 6, "HEAD", "/ping", a, &m),
	    ROUTER_OK);
	assert_string_equal(m.route->name, "ping.head");
	assert_int_equal(router_match(t, 6, "GET", "/ping", a, &m),
	    ROUTER_OK);
	assert_string_equal(m.route->name, "ping");
	assert_int_equal(router_match(t, 6, "DELETE", "/ping", a, &m),
	    ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");
	assert_int_equal(router_match(t, 6, "GET", "/form", a, &m),
	    ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST, PUT, PATCH, OPTIONS");
	/* An empty table finds nothing. */
	assert_int_equal(router_match(t, 0, "GET", "/", a, &m),
	    ROUTER_NOT_FOUND);
}

/* Run router_check_table over a one- or two-row table. */
static int
check2(const char *m1, const char *p1, const char *m2, const char *p2,
    char *err, size_t errlen)
{
	route_t t[2] = {
		{ m1, p1, h_dummy, ROLE_ANON, "first" },
		{ m2, p2, h_dummy, ROLE_ANON, "second" },
	};

	return router_check_table(t, m2 == NULL ? 1 : 2, err, errlen);
}

/* Expect router_check_table() to refuse (@m, @p) with @needle in the error. */
static void
check_bad(const char *m, const char *p, const char *needle)
{
	char err[256];

	assert_int_equal(check2(m, p, NULL, NULL, err, sizeof(err)), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("pattern %s: error \"%s\" lacks \"%s\"",
		    p != NULL ? p : "NULL", err, needle);
}

static void
test_router_check_table_bad(void **state)
{
	char err[256];
	route_t t[1] = { { "GET", "/", NULL, ROLE_ANON, "nohandler" } };

	check_bad("GET", "search", "start with '/'");
	check_bad("GET", "", "start with '/'");
	check_bad("GET", NULL, "start with '/'");
	check_bad("GET", "/c/{x}", "bad parameter");
	check_bad("GET", "/c/{x:float}", "bad parameter");
	check_bad("GET", "/c/{x:}", "bad parameter");
	check_bad("GET", "/c/gig-{id:int}", "bad parameter");
	check_bad("GET", "/c/{id:int}x", "bad parameter");
	check_bad("GET", "/c/{a:b:int}", "bad parameter");
	check_bad("GET", "/c/{:int}", "parameter name");
	check_bad("GET", "/c/{Id:int}", "parameter name");
	check_bad("GET", "/c/{1d:int}", "parameter name");
	check_bad("GET", "/a//b", "empty segment");
	check_bad("GET", "/a/", "empty segment");
	check_bad("GET", "//", "empty segment");
	check_bad("GET", "/a%20b", "bad character");
	check_bad("GET", "/a b", "bad character");
	check_bad("GET", "/a?b", "bad character");
	check_bad("GET", "/\xe8\xae\xbe", "bad character");
	check_bad("GET", "/{id:int}/{id:slug}", "used twice");
	check_bad("GET", "/{a:int}/{b:int}/{c:int}/{d:int}/{e:int}/{f:int}"
	    "/{g:int}/{h:int}/{i:int}", "int parameters");
	check_bad("GET", "/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a", "segments");
	check_bad("get", "/", "upper-case");
	check_bad("", "/", "no method");
	check_bad(NULL, "/", "no method");

	assert_int_equal(router_check_table(t, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no handler"));
	t[0].handler = h_dummy;
	t[0].min_role = (role_t)(ROLE_SUPER_ADMIN + 1);
	assert_int_equal(router_check_table(t, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad role"));
	t[0].min_role = ROLE_SUPER_ADMIN;
	assert_int_equal(router_check_table(t, 1, err, sizeof(err)), 0);

	/* Limits that are exactly met are fine. */
	assert_int_equal(check2("GET", "/{a:int}/{b:int}/{c:int}/{d:int}"
	    "/{e:int}/{f:int}/{g:int}/{h:int}", NULL, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(check2("GET",
	    "/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a", NULL, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(check2("GET", "/a-b.c_d~e!$&'()*+,;=:@", NULL, NULL,
	    err, sizeof(err)), 0);

	/* A tiny error buffer is truncated, NULL with size 0 is fine. */
	assert_int_equal(check2("GET", "x", NULL, NULL, err, 5), -1);
	assert_int_equal(strlen(err), 4);
	assert_int_equal(check2("GET", "x", NULL, NULL, NULL, 0), -1);
}

static void
test_router_check_table_shadow(void **state)
{
	char err[256];

	/* The classic mistake: catch-all before a literal route. */
	assert_int_equal(check2("GET", "/{handle:handle}/{gig:slug}",
	    "GET", "/help/{topic:slug}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unreachable"));
	assert_non_null(strstr(err, "second"));
	assert_int_equal(check2("GET", "/help/{topic:slug}",
	    "GET", "/{handle:handle}/{gig:slug}", err, sizeof(err)), 0);

	/* Exact duplicates, including "/". */
	assert_int_equal(check2("GET", "/", "GET", "/", err, sizeof(err)),
	    -1);
	assert_int_equal(check2("POST", "/x", "POST", "/x", err,
	    sizeof(err)), -1);
	/* Same path, different methods: fine. */
	assert_int_equal(check2("GET", "/x", "POST", "/x", err, sizeof(err)),
	    0);
	/* GET serves HEAD, so a later HEAD row is dead; the reverse is not. */
	assert_int_equal(check2("GET", "/x", "HEAD", "/x", err, sizeof(err)),
	    -1);
	assert_int_equal(check2("HEAD", "/x", "GET", "/x", err, sizeof(err)),
	    0);

	/* Type containment: int within slug within str; handle within str. */
	assert_int_equal(check2("GET", "/c/{s:slug}", "GET", "/c/{n:int}",
	    err, sizeof(err)), -1);
	assert_int_equal(check2("GET", "/c/{n:int}", "GET", "/c/{s:slug}",
	    err, sizeof(err)), 0);
	assert_int_equal(check2("GET", "/c/{s:str}", "GET", "/c/{h:handle}",
	    err, sizeof(err)), -1);
	assert_int_equal(check2("GET", "/c/{h:handle}", "GET", "/c/{n:int}",
	    err, sizeof(err)), 0);	/* "1" is not a handle */
	assert_int_equal(check2("GET", "/c/{h:handle}", "GET", "/c/{s:slug}",
	    err, sizeof(err)), 0);
	assert_int_equal(check2("GET", "/{a:str}", "GET", "/x", err,
	    sizeof(err)), -1);
	assert_int_equal(check2("GET", "/{a:int}", "GET", "/x", err,
	    sizeof(err)), 0);
	assert_int_equal(check2("GET", "/{a:int}", "GET", "/42", err,
	    sizeof(err)), -1);
	/* Different lengths never shadow. */
	assert_int_equal(check2("GET", "/{a:str}", "GET", "/{a:str}/x", err,
	    sizeof(err)), 0);
	assert_int_equal(check2("GET", "/{a:str}/x", "GET", "/{a:str}", err,
	    sizeof(err)), 0);
	/* Literal first, param second: the param row stays reachable. */
	assert_int_equal(check2("GET", "/x", "GET", "/{a:str}", err,
	    sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_chars_blank),
		cmocka_unit_test_setup_teardown(test_url_decode_ok, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_url_decode_bad, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_urlencoded_basic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_urlencoded_empty_pieces,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_urlencoded_repeated,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_urlencoded_bad, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_urlencoded_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cookies_basic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cookies_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cookies_limits, setup,
		    teardown),
		cmocka_unit_test(test_parse_int64),
		cmocka_unit_test_setup_teardown(test_url_encode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_url_encode_roundtrip,
		    setup, teardown),
		cmocka_unit_test(test_header_token_ok),
		cmocka_unit_test(test_parse_strerror),
		cmocka_unit_test(test_router_check_table_ok),
		cmocka_unit_test_setup_teardown(test_router_static, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_params, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_int_type, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_slug_handle_types,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_router_str_type, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_encoded_slash,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_router_bad_request, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_trailing_slash,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_router_405, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_head, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_explicit_head,
		    setup, teardown),
		cmocka_unit_test(test_router_check_table_bad),
		cmocka_unit_test(test_router_check_table_shadow),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
