/*
 * test_mail.c - message building (RFC 5322/2045/2046), RFC 2047 header
 * encoding, header injection, the mail templates, job back-off.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sodium.h>

#include "core/buf.h"
#include "jobs/jobs.h"
#include "notify/mail.h"
#include "tmpl/tmpl.h"

#define FROM "Souk <no-reply@souk.invalid>"

/* ==== helpers ==== */

/* Every line ends in CRLF, no bare CR or LF, no line over @max octets. */
static void
assert_lines(const char *s, size_t len, size_t max)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r') {
			assert_true(i + 1 < len && s[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		assert_true(s[i] != '\n');
		col++;
		if (col > max)
			fail_msg("line longer than %zu octets at offset %zu", max, i);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode quoted-printable @s (@len bytes) into @out (heap). */
static void
qp_decode(buf_t *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;		/* soft line break */
			continue;
		}
		if (s[i] == '=') {
			assert_true(i + 2 < len || i + 2 == len);
			assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
			buf_putc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
			continue;
		}
		buf_putc(out, s[i]);
	}
}

/* @s with every LF turned into CRLF. */
static void
crlf(buf_t *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_putc(out, '\r');
		buf_putc(out, *s);
	}
}

/* The value of header @name (unfolded, heap copy to free), or NULL. */
static char *
header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg, *e;
	size_t n = strlen(name);
	char *r;
	buf_t v;

	assert_non_null(end);
	while (p < end) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			buf_init(&v, NULL);
			p += n + 1;
			while (*p == ' ')
				p++;
			for (;;) {
				e = strstr(p, "\r\n");
				buf_append(&v, p, (size_t)(e - p));
				p = e + 2;
				if (*p != ' ' && *p != '\t')
					break;
			}
			r = strdup(buf_cstr(&v));
			buf_free(&v);
			return r;
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

/* Same as header() but keeps folding (CRLF SP) in the value. */
static char *
header_raw(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg, *e;
	size_t n = strlen(name);

	while (p < end) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			e = p;
			for (;;) {
				e = strstr(e, "\r\n");
				if (e[2] != ' ' && e[2] != '\t')
					break;
				e += 2;
			}
			return strndup(p, (size_t)(e - p));
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

/* Decode the RFC 2047 words of a folded header value; checks each word. */
static void
decode_words(buf_t *out, const char *v)
{
	unsigned char bin[256];
	const char *p = v, *b, *e;
	size_t binlen;

	while ((b = strstr(p, "=?UTF-8?B?")) != NULL) {
		/* between words only folding white space */
		for (const char *q = p; q < b; q++)
			assert_true(*q == ' ' || *q == '\r' || *q == '\n');
		e = strstr(b + 10, "?=");
		assert_non_null(e);
		assert_true((size_t)(e + 2 - b) <= 75);
		assert_int_equal(sodium_base642bin(bin, sizeof(bin), b + 10, (size_t)(e - b - 10),
		    NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
		/* each word holds whole UTF-8 characters */
		assert_true(binlen > 0);
		assert_true((bin[0] & 0xc0) != 0x80);
		assert_true(bin[binlen - 1] < 0x80 || (bin[binlen - 1] & 0xc0) == 0x80);
		buf_append(out, bin, binlen);
		p = e + 2;
	}
	assert_true(p != v);
	assert_string_equal(p, "");
}

/* The body of MIME part @idx (0-based) of a multipart message, decoded. */
static void
part_body(buf_t *out, const char *msg, int idx, const char *type)
{
	char *ct = header(msg, "Content-Type"), delim[128];
	const char *b, *p, *hdr_end, *next;

	assert_non_null(ct);
	assert_non_null(b = strstr(ct, "boundary=\""));
	b += 10;
	snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)(strchr(b, '"') - b), b);
	free(ct);
	p = strstr(msg, "\r\n\r\n");
	for (int i = 0; i <= idx; i++) {
		assert_non_null(p = strstr(p, delim));
		p += strlen(delim);
		assert_memory_equal(p, "\r\n", 2);
		p += 2;
	}
	hdr_end = strstr(p, "\r\n\r\n");
	assert_non_null(hdr_end);
	{
		char want[128];

		snprintf(want, sizeof(want), "Content-Type: %s; charset=UTF-8\r\n", type);
		assert_non_null(strstr(p, want));
		assert_true(strstr(p, want) < hdr_end);
		assert_true(strstr(p, "Content-Transfer-Encoding: quoted-printable\r\n") < hdr_end);
	}
	p = hdr_end + 4;
	assert_non_null(next = strstr(p, delim));
	qp_decode(out, p, (size_t)(next - p));
}

static int
is_hex32(const char *s)
{
	for (int i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* ==== message building ==== */

static void
test_build_multipart(void **state)
{
	const char *text = "Hi ada,\n\nOpen https://souk.example/verify?t=abc&x=1 to confirm.\n"
	    "A line that ends in spaces   \n.a line that starts with a dot\n"
	    "Price: 100 = 100\n";
	const char *html = "<p>Hi <b>ada</b>,</p>\n<p><a href=\"https://souk.example/verify?t=abc&amp;x=1\">Confirm</a></p>\n";
	char err[256], *v, *v2;
	buf_t m, m2, d, want;

	(void)state;
	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", "Confirm your e-mail address",
	    text, html, (time_t)1741082400, err, sizeof(err)), MAIL_OK);
	assert_lines(m.data, m.len, 998);
	assert_non_null(strstr(m.data, "\r\n\r\n"));

	assert_non_null(v = header(m.data, "Date"));
	assert_string_equal(v, "Tue, 04 Mar 2025 10:00:00 +0000");
	free(v);
	assert_non_null(v = header(m.data, "From"));
	assert_string_equal(v, FROM);
	free(v);
	assert_non_null(v = header(m.data, "To"));
	assert_string_equal(v, "ada@example.com");
	free(v);
	assert_non_null(v = header(m.data, "Subject"));
	assert_string_equal(v, "Confirm your e-mail address");
	free(v);
	assert_non_null(v = header(m.data, "MIME-Version"));
	assert_string_equal(v, "1.0");
	free(v);
	assert_non_null(v = header(m.data, "Auto-Submitted"));
	assert_string_equal(v, "auto-generated");
	free(v);
	assert_non_null(v = header(m.data, "Message-ID"));
	assert_int_equal(v[0], '<');
	assert_true(is_hex32(v + 1));
	assert_string_equal(v + 33, "@souk.invalid>");
	assert_non_null(v2 = header(m.data, "Content-Type"));
	assert_int_equal(strncmp(v2, "multipart/alternative; boundary=\"=_souk_", 40), 0);
	free(v2);

	/* A second message gets another Message-ID. */
	buf_init(&m2, NULL);
	assert_int_equal(mail_build(&m2, FROM, "ada@example.com", "x", "y", "z", 0, err,
	    sizeof(err)), MAIL_OK);
	assert_non_null(v2 = header(m2.data, "Message-ID"));
	assert_string_not_equal(v, v2);
	free(v);
	free(v2);
	buf_free(&m2);

	/* The parts decode back to the input, with CRLF line ends. */
	buf_init(&d, NULL);
	buf_init(&want, NULL);
	part_body(&d, m.data, 0, "text/plain");
	crlf(&want, text);
	assert_string_equal(buf_cstr(&d), buf_cstr(&want));
	buf_truncate(&d, 0);
	buf_truncate(&want, 0);
	part_body(&d, m.data, 1, "text/html");
	crlf(&want, html);
	assert_string_equal(buf_cstr(&d), buf_cstr(&want));
	/* and the closing delimiter ends the message */
	assert_true(m.len > 4 && memcmp(m.data + m.len - 4, "--\r\n", 4) == 0);
	/* no line in the message starts with '.' (SMTP DATA) */
	assert_null(strstr(m.data, "\r\n."));
	buf_free(&d);
	buf_free(&want);
	buf_free(&m);
}

static void
test_build_text_only(void **state)
{
	char err[256], *v;
	buf_t m, d;
	const char *body;

	(void)state;
	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, "no-reply@souk.invalid", "bo@example.org", "Hello",
	    "Only text, caf\xc3\xa9.\n", NULL, 0, err, sizeof(err)), MAIL_OK);
	assert_lines(m.data, m.len, 998);
	assert_non_null(v = header(m.data, "Content-Type"));
	assert_string_equal(v, "text/plain; charset=UTF-8");
	free(v);
	assert_non_null(v = header(m.data, "From"));
	assert_string_equal(v, "no-reply@souk.invalid");
	free(v);
	body = strstr(m.data, "\r\n\r\n") + 4;
	assert_string_equal(body, "Only text, caf=C3=A9.\r\n\r\n");
	buf_init(&d, NULL);
	qp_decode(&d, body, strlen(body));
	assert_string_equal(buf_cstr(&d), "Only text, caf\xc3\xa9.\r\n\r\n");
	buf_free(&d);
	buf_free(&m);
	/* an empty html is no html */
	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, FROM, "bo@example.org", "Hello", "t", "", 0, err,
	    sizeof(err)), MAIL_OK);
	assert_null(strstr(m.data, "multipart"));
	buf_free(&m);
}

/* ==== RFC 2047 ==== */

static void
test_subject_rfc2047(void **state)
{
	const char *zh = "\xe7\xa1\xae\xe8\xae\xa4\xe6\x82\xa8\xe5\x9c\xa8 Souk "
	    "\xe7\x9a\x84\xe7\x94\xb5\xe5\xad\x90\xe9\x82\xae\xe4\xbb\xb6\xe5\x9c\xb0\xe5\x9d\x80";
	char err[256], *raw;
	buf_t m, d, longs;

	(void)state;
	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", zh, "t", "<p>h</p>", 0, err,
	    sizeof(err)), MAIL_OK);
	assert_lines(m.data, strstr(m.data, "\r\n\r\n") - m.data + 2, 78);
	assert_non_null(raw = header_raw(m.data, "Subject"));
	assert_int_equal(strncmp(raw, " =?UTF-8?B?", 11), 0);
	buf_init(&d, NULL);
	decode_words(&d, raw);
	assert_string_equal(buf_cstr(&d), zh);
	free(raw);
	buf_free(&m);

	/* A long subject: several words, each whole characters, lines <= 78. */
	buf_init(&longs, NULL);
	for (int i = 0; i < 40; i++)
		buf_puts(&longs, i % 3 == 0 ? "\xe5\xb8\x82 " : "\xe5\x9c\xba\xf0\x9f\x98\x80");
	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", buf_cstr(&longs), "t", NULL, 0,
	    err, sizeof(err)), MAIL_OK);
	assert_lines(m.data, strstr(m.data, "\r\n\r\n") - m.data + 2, 78);
	assert_non_null(raw = header_raw(m.data, "Subject"));
	assert_non_null(strstr(raw, "?=\r\n =?UTF-8?B?"));
	buf_truncate(&d, 0);
	decode_words(&d, raw);
	assert_string_equal(buf_cstr(&d), buf_cstr(&longs));
	free(raw);
	buf_free(&m);
	buf_free(&longs);

	/* ASCII that looks like an encoded-word is encoded too. */
	buf_truncate(&d, 0);
	buf_init(&m, NULL);
	assert_int_equal(mail_header(&m, "Subject", "=?UTF-8?B?eA==?="), MAIL_OK);
	assert_int_equal(strncmp(m.data, "Subject: =?UTF-8?B?", 19), 0);
	buf_free(&m);

	/* Long ASCII is folded at spaces, not encoded. */
	buf_init(&m, NULL);
	assert_int_equal(mail_header(&m, "Subject", "Your order 12345 for the logo design "
	    "package was delivered; please review it within three days"), MAIL_OK);
	assert_null(strstr(m.data, "=?"));
	assert_non_null(strstr(m.data, "\r\n "));
	assert_lines(m.data, m.len, 78);
	buf_free(&m);
	buf_free(&d);
}

static void
test_from_display_names(void **state)
{
	char err[256], *v;
	buf_t m, d;

	(void)state;
	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, "Souk \xe5\xb8\x82\xe5\x9c\xba <no-reply@souk.invalid>",
	    "ada@example.com", "s", "t", NULL, 0, err, sizeof(err)), MAIL_OK);
	assert_non_null(v = header_raw(m.data, "From"));
	assert_non_null(strstr(v, " <no-reply@souk.invalid>"));
	*strstr(v, " <no-reply") = '\0';
	buf_init(&d, NULL);
	decode_words(&d, v);
	assert_string_equal(buf_cstr(&d), "Souk \xe5\xb8\x82\xe5\x9c\xba");
	free(v);
	buf_free(&d);
	buf_free(&m);

	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, "Souk, Inc. \"HQ\" <no-reply@souk.invalid>",
	    "ada@example.com", "s", "t", NULL, 0, err, sizeof(err)), MAIL_OK);
	assert_non_null(v = header(m.data, "From"));
	assert_string_equal(v, "\"Souk, Inc. \\\"HQ\\\"\" <no-reply@souk.invalid>");
	free(v);
	/* Message-ID takes the sender's domain */
	assert_non_null(v = header(m.data, "Message-ID"));
	assert_non_null(strstr(v, "@souk.invalid>"));
	free(v);
	buf_free(&m);
}

/* ==== refusals ==== */

static void
test_header_injection(void **state)
{
	char err[256];
	buf_t m;

	(void)state;
	buf_init(&m, NULL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com\r\nBcc: eve@example.com", "s", "t",
	    NULL, 0, err, sizeof(err)), MAIL_EINVAL);
	assert_non_null(strstr(err, "injection"));
	assert_int_equal(m.len, 0);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com\nBcc: eve@example.com", "s", "t",
	    NULL, 0, err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", "Hello\r\nBcc: eve@example.com",
	    "t", NULL, 0, err, sizeof(err)), MAIL_EINVAL);
	assert_non_null(strstr(err, "injection"));
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", "Hello\nX-Evil: 1", "t", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", "Hello\rX", "t", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, "Souk\r\nBcc: x@y.z <no-reply@souk.invalid>",
	    "ada@example.com", "s", "t", NULL, 0, err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", "bell\a", "t", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", "bad \xff utf-8", "t", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", "s", "bad \xc3 body", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, FROM, "ada@example.com", NULL, "t", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, "not an address", "ada@example.com", "s", "t", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(mail_build(&m, FROM, "<ada@example.com>", "s", "t", NULL, 0,
	    err, sizeof(err)), MAIL_EINVAL);
	assert_int_equal(m.len, 0);

	assert_int_equal(mail_header(&m, "Subject", "a\r\nb"), MAIL_EINVAL);
	assert_int_equal(mail_header(&m, "Subject", "a\nb"), MAIL_EINVAL);
	assert_int_equal(m.len, 0);
	buf_free(&m);
}

static void
test_address_ok(void **state)
{
	(void)state;
	assert_true(mail_address_ok("ada@example.com"));
	assert_true(mail_address_ok("ada.lovelace+souk@mail.example.co.za"));
	assert_true(mail_address_ok("o'brien@example.ie"));
	assert_false(mail_address_ok(NULL));
	assert_false(mail_address_ok(""));
	assert_false(mail_address_ok("ada"));
	assert_false(mail_address_ok("@example.com"));
	assert_false(mail_address_ok("ada@"));
	assert_false(mail_address_ok("ada@@example.com"));
	assert_false(mail_address_ok("a@b@example.com"));
	assert_false(mail_address_ok("ada lovelace@example.com"));
	assert_false(mail_address_ok("ada@exa mple.com"));
	assert_false(mail_address_ok("ada@example.com>"));
	assert_false(mail_address_ok("ada,bo@example.com"));
	assert_false(mail_address_ok("ada@example.com\r\n"));
	assert_false(mail_address_ok(".ada@example.com"));
	assert_false(mail_address_ok("ada.@example.com"));
	assert_false(mail_address_ok("a..da@example.com"));
	assert_false(mail_address_ok("ada@.example.com"));
	assert_false(mail_address_ok("ada@example.com."));
	assert_false(mail_address_ok("\xe7\x94\xa8\xe6\x88\xb7@example.com"));
	assert_false(mail_address_ok("ada@[127.0.0.1]"));
}

/* ==== quoted-printable ==== */

static void
test_qp(void **state)
{
	char line[300];
	buf_t q, d, want;
	uint32_t x = 12345;

	(void)state;
	buf_init(&q, NULL);
	mail_qp_encode(&q, "a=b", 3);
	assert_string_equal(buf_cstr(&q), "a=3Db");
	buf_truncate(&q, 0);
	mail_qp_encode(&q, "x \ny\t", 5);
	assert_string_equal(buf_cstr(&q), "x=20\r\ny=09");
	buf_truncate(&q, 0);
	mail_qp_encode(&q, ".\r\n.x", 5);
	assert_string_equal(buf_cstr(&q), "=2E\r\n=2Ex");
	buf_truncate(&q, 0);
	mail_qp_encode(&q, "caf\xc3\xa9\r", 6);
	assert_string_equal(buf_cstr(&q), "caf=C3=A9=0D");

	/* long lines: soft breaks, at most 76 octets, decodes back */
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (int i = 0; i < 299; i += 7)
		line[i] = '=';
	buf_truncate(&q, 0);
	mail_qp_encode(&q, line, strlen(line));
	assert_lines(q.data, q.len, 76);
	assert_non_null(strstr(q.data, "=\r\n"));
	buf_init(&d, NULL);
	qp_decode(&d, q.data, q.len);
	assert_string_equal(buf_cstr(&d), line);

	/* pseudo-random bytes (no CR): decode(encode(s)) == s with CRLF line ends */
	for (int round = 0; round < 50; round++) {
		char s[600];
		size_t n = (size_t)(round * 11 + 1);

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			s[i] = (char)((x >> 16) & 0xff);
			if (s[i] == '\r' || s[i] == '\0')
				s[i] = (x & 1) ? '\n' : ' ';
		}
		s[n] = '\0';
		buf_truncate(&q, 0);
		buf_truncate(&d, 0);
		mail_qp_encode(&q, s, n);
		assert_lines(q.data, q.len, 76);
		for (size_t i = 0; i < q.len; i++)
			assert_true((unsigned char)q.data[i] < 0x7f);
		assert_null(strstr(q.data, "\r\n."));
		assert_true(q.len == 0 || q.data[0] != '.');
		qp_decode(&d, q.data, q.len);
		buf_init(&want, NULL);
		crlf(&want, s);
		assert_int_equal(d.len, want.len);
		assert_memory_equal(d.data, want.data, d.len);
		buf_free(&want);
	}
	buf_free(&d);
	buf_free(&q);
}

/* ==== templates ==== */

struct tcase {
	const char	*name;
	const char	*data;
	const char	*in_text;	/* must appear in the text part */
	const char	*in_html;	/* must appear in the HTML part */
};

static void
test_templates(void **state)
{
	static const struct tcase cases[] = {
		{ "verify_email", "{\"handle\": \"ada<&>\", \"link\": \"https://souk.example/verify?t=A&b=1\"}",
		  "https://souk.example/verify?t=A&b=1", "href=\"https://souk.example/verify?t=A&amp;b=1\"" },
		{ "password_reset", "{\"handle\": \"ada<&>\", \"link\": \"https://souk.example/reset?t=B\", \"hours\": 2}",
		  "https://souk.example/reset?t=B", "valid for 2 hours" },
		{ "account_locked", "{\"handle\": \"ada<&>\", \"minutes\": 15, \"reset_link\": \"https://souk.example/reset\"}",
		  "15 minutes", "href=\"https://souk.example/reset\"" },
		{ "password_changed", "{\"handle\": \"ada<&>\"}",
		  "was just changed", "was just changed" },
		{ "two_factor_changed", "{\"handle\": \"ada<&>\", \"enabled\": true}",
		  "is now on", "<strong>on</strong>" },
		{ "two_factor_changed", "{\"handle\": \"ada<&>\", \"enabled\": false}",
		  "was turned off", "<strong>off</strong>" },
		{ "order_update", "{\"handle\": \"ada<&>\", \"title\": \"Logo\", \"order_id\": 7, \"link\": \"https://souk.example/orders/7\", \"delivered\": true, \"reason\": \"\"}", "https://souk.example/orders/7", "href=\"https://souk.example/orders/7\"" },
	};
	const char *srcdir = getenv("SOUK_SRCDIR");
	char dir[1024], err[512];
	tmpl_set_t *set = tmpl_set_new();
	buf_t subject, text, html, m;
	json_t *data;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/templates", srcdir != NULL ? srcdir : "..");
	if (tmpl_set_load_dir(set, dir, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int zh = 0; zh < 2; zh++) {
			assert_non_null(data = json_loads(cases[i].data, 0, NULL));
			buf_init(&subject, NULL);
			buf_init(&text, NULL);
			buf_init(&html, NULL);
			if (mail_render(set, cases[i].name, zh ? "zh-CN" : "en", data, "Souk",
			    "https://souk.example", &subject, &text, &html, err, sizeof(err)) != 0)
				fail_msg("%s: %s", cases[i].name, err);
			/* one line, not empty, no HTML escaping */
			assert_true(subject.len > 5);
			assert_null(strpbrk(subject.data, "\r\n"));
			assert_null(strstr(subject.data, "&amp;"));
			/* the plain text is not HTML-escaped, the HTML is */
			assert_non_null(strstr(text.data, "Hi ada<&>,"));
			if (strstr(text.data, cases[i].in_text) == NULL)
				fail_msg("%s: %s not in\n%s", cases[i].name, cases[i].in_text, text.data);
			assert_null(strstr(text.data, "{{"));
			assert_true(html.len > 0);
			assert_non_null(strstr(html.data, "ada&lt;&amp;&gt;"));
			assert_null(strstr(html.data, "ada<&>"));
			if (strstr(html.data, cases[i].in_html) == NULL)
				fail_msg("%s: %s not in\n%s", cases[i].name, cases[i].in_html, html.data);
			assert_non_null(strstr(html.data, "<!doctype html>"));
			assert_non_null(strstr(html.data, zh ? "lang=\"zh-CN\"" : "lang=\"en\""));
			assert_non_null(strstr(html.data, "https://souk.example/"));
			assert_null(strstr(html.data, "{{"));
			/* no external resources */
			assert_null(strstr(html.data, "<img"));
			assert_null(strstr(html.data, "<link"));
			assert_null(strstr(html.data, "<script"));
			/* and it makes a valid message */
			buf_init(&m, NULL);
			assert_int_equal(mail_build(&m, FROM, "ada@example.com", subject.data,
			    text.data, html.data, 0, err, sizeof(err)), MAIL_OK);
			assert_lines(m.data, m.len, 998);
			buf_free(&m);
			buf_free(&subject);
			buf_free(&text);
			buf_free(&html);
			json_decref(data);
		}
	}

	/* bad names and missing templates */
	buf_init(&subject, NULL);
	buf_init(&text, NULL);
	buf_init(&html, NULL);
	assert_int_equal(mail_render(set, "../verify_email", "en", NULL, "Souk", "", &subject,
	    &text, &html, err, sizeof(err)), -1);
	assert_int_equal(mail_render(set, "layout", "en", NULL, "Souk", "", &subject,
	    &text, &html, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no template"));
	assert_int_equal(mail_render(set, "no_such_mail", "en", NULL, "Souk", "", &subject,
	    &text, &html, err, sizeof(err)), -1);
	data = json_array();
	assert_int_equal(mail_render(set, "verify_email", "en", data, "Souk", "", &subject,
	    &text, &html, err, sizeof(err)), -1);
	json_decref(data);
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	tmpl_set_free(set);
}

/* ==== delivery errors and the job handler's refusals ==== */

static void
test_send_unreachable(void **state)
{
	struct mail_config mc = {
		.url = "smtp://127.0.0.1:1", .from = FROM,
		.connect_timeout_ms = 2000, .timeout_ms = 2000,
	};
	char err[512];

	(void)state;
	assert_int_equal(mail_send(&mc, "ada@example.com", "s", "t", NULL, err, sizeof(err)),
	    MAIL_ERROR);
	assert_int_equal(strncmp(err, "smtp: ", 6), 0);
	/* refused before any connection */
	assert_int_equal(mail_send(&mc, "ada@example.com", "a\r\nb", "t", NULL, err, sizeof(err)),
	    MAIL_EINVAL);
}

static void
test_mail_job_refusals(void **state)
{
	struct mail_config mc = { .url = "smtp://127.0.0.1:1", .from = FROM,
	    .connect_timeout_ms = 1000, .timeout_ms = 1000 };
	struct worker_ctx w = { .mail = &mc };
	char err[512];
	json_t *p;

	(void)state;
	w.tmpl = tmpl_set_new();
	p = json_pack("[i]", 1);
	assert_int_equal(mail_job(&w, p, err, sizeof(err)), JOB_EPERM);
	json_decref(p);
	p = json_pack("{s:s}", "to", "ada@example.com");
	assert_int_equal(mail_job(&w, p, err, sizeof(err)), JOB_EPERM);
	assert_non_null(strstr(err, "template"));
	json_decref(p);
	p = json_pack("{s:s, s:s}", "template", "verify_email", "to", "ada@example.com\r\nBcc: e@x.y");
	assert_int_equal(mail_job(&w, p, err, sizeof(err)), JOB_EPERM);
	json_decref(p);
	p = json_pack("{s:s, s:s}", "template", "verify_email", "to", "ada@example.com");
	assert_int_equal(mail_job(&w, p, err, sizeof(err)), JOB_EPERM);	/* no such template in the empty set */
	assert_non_null(strstr(err, "no template"));
	json_decref(p);
	tmpl_set_free((tmpl_set_t *)w.tmpl);
}

/* ==== jobs ==== */

static void
test_backoff(void **state)
{
	double b;

	(void)state;
	for (int i = 0; i < 100; i++) {
		b = jobs_backoff(1);
		assert_true(b >= 2.0 && b <= 2.5);
		b = jobs_backoff(0);
		assert_true(b >= 2.0 && b <= 2.5);
		b = jobs_backoff(5);
		assert_true(b >= 32.0 && b <= 40.0);
		b = jobs_backoff(11);
		assert_true(b >= 2048.0 && b <= JOBS_BACKOFF_MAX);
		assert_true(jobs_backoff(12) == JOBS_BACKOFF_MAX);
		assert_true(jobs_backoff(1000) == JOBS_BACKOFF_MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_multipart),
		cmocka_unit_test(test_build_text_only),
		cmocka_unit_test(test_subject_rfc2047),
		cmocka_unit_test(test_from_display_names),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_address_ok),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_send_unreachable),
		cmocka_unit_test(test_mail_job_refusals),
		cmocka_unit_test(test_backoff),
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
