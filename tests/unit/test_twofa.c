/*
 * test_twofa.c - HOTP/TOTP (RFC 4226, RFC 6238), base32 (RFC 4648),
 * otpauth URIs, recovery codes, sealed secrets and QR codes.
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
#include <qrencode.h>
#include <sodium.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/secretbox.h"
#include "twofa/qr.h"
#include "twofa/totp.h"

/* The secret of the RFC 4226 and RFC 6238 (SHA1) test vectors. */
static const unsigned char rfc_key[] = "12345678901234567890";
#define RFC_KEYLEN 20

/* A TOTP code as the user would type it, with leading zeros. */
static void
code_str(int code, char *s, size_t n)
{
	assert_true(code >= 0);
	snprintf(s, n, "%06d", code);
}

static void
test_hotp_rfc4226(void **state)
{
	/* RFC 4226 Appendix D. */
	static const int want[10] = {
		755224, 287082, 359152, 969429, 338314,
		254676, 287922, 162583, 399871, 520489,
	};

	(void)state;
	for (uint64_t c = 0; c < 10; c++)
		assert_int_equal(hotp(rfc_key, RFC_KEYLEN, c, 6), want[c]);
}

static void
test_totp_rfc6238_sha1(void **state)
{
	/* RFC 6238 Appendix B, the SHA1 rows; T0 = 0, X = 30, 8 digits. */
	static const struct {
		int64_t t;
		int code;
	} v[] = {
		{ 59, 94287082 },
		{ 1111111109, 7081804 },
		{ 1111111111, 14050471 },
		{ 1234567890, 89005924 },
		{ 2000000000, 69279037 },
		{ 20000000000LL, 65353130 },
	};
	char s[16];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(totp_at(rfc_key, RFC_KEYLEN, v[i].t, 30, 8),
		    v[i].code);
	/* 07081804 keeps its leading zero when printed with the width. */
	snprintf(s, sizeof(s), "%08d", totp_at(rfc_key, RFC_KEYLEN, 1111111109, 30, 8));
	assert_string_equal(s, "07081804");
	/* 6 digits are the low 6 of the same truncated value. */
	assert_int_equal(totp_at(rfc_key, RFC_KEYLEN, 59, TOTP_STEP, 6), 287082);
}

static void
test_otp_bad_input(void **state)
{
	(void)state;
	assert_int_equal(hotp(rfc_key, RFC_KEYLEN, 0, 5), -1);
	assert_int_equal(hotp(rfc_key, RFC_KEYLEN, 0, 10), -1);
	assert_int_equal(hotp(rfc_key, 0, 0, 6), -1);
	assert_int_equal(hotp(NULL, 20, 0, 6), -1);
	assert_true(hotp(rfc_key, RFC_KEYLEN, UINT64_MAX, 9) >= 0);
	assert_int_equal(totp_at(rfc_key, RFC_KEYLEN, -1, 30, 6), -1);
	assert_int_equal(totp_at(rfc_key, RFC_KEYLEN, 59, 0, 6), -1);
}

static void
test_totp_window(void **state)
{
	const int64_t now = 1700000015;		/* mid-step */
	const int64_t t = now / TOTP_STEP;
	int64_t m;
	char s[16], spaced[32];

	(void)state;
	for (int d = -2; d <= 2; d++) {
		code_str(totp_at(rfc_key, RFC_KEYLEN, now + d * TOTP_STEP,
		    TOTP_STEP, TOTP_DIGITS), s, sizeof(s));
		m = -42;
		if (d >= -1 && d <= 1) {
			assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, s,
			    now, -1, &m), 1);
			assert_int_equal(m, t + d);
		} else {
			assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, s,
			    now, -1, &m), 0);
			assert_int_equal(m, -42);	/* untouched */
		}
	}

	/* Spaces are allowed anywhere; the digits must be exactly six. */
	code_str(totp_at(rfc_key, RFC_KEYLEN, now, TOTP_STEP, 6), s, sizeof(s));
	snprintf(spaced, sizeof(spaced), "%.3s %.3s", s, s + 3);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, spaced, now, -1, NULL), 1);
	snprintf(spaced, sizeof(spaced), " %s  ", s);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, spaced, now, -1, NULL), 1);
	snprintf(spaced, sizeof(spaced), "%.5s", s);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, spaced, now, -1, NULL), 0);
	snprintf(spaced, sizeof(spaced), "%s0", s);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, spaced, now, -1, NULL), 0);
	snprintf(spaced, sizeof(spaced), "0%s", s);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, spaced, now, -1, NULL), 0);
	snprintf(spaced, sizeof(spaced), "%.3s-%.3s", s, s + 3);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, spaced, now, -1, NULL), 0);
	snprintf(spaced, sizeof(spaced), "%s\n", s);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, spaced, now, -1, NULL), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, "", now, -1, NULL), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, "12345a", now, -1, NULL), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, NULL, now, -1, NULL), 0);
	/* The wrong key does not match. */
	assert_int_equal(totp_verify((const unsigned char *)"another secret 20 b!",
	    20, s, now, -1, NULL), 0);

	/* At the very start of time there is no step -1 to look at. */
	code_str(totp_at(rfc_key, RFC_KEYLEN, 0, TOTP_STEP, 6), s, sizeof(s));
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, s, 5, -1, &m), 1);
	assert_int_equal(m, 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, s, -1, -1, &m), 0);
}

static void
test_totp_replay(void **state)
{
	const int64_t now = 1234567890;
	const int64_t t = now / TOTP_STEP;
	int64_t m = -1, last;
	char cur[16], prev[16], next[16];

	(void)state;
	code_str(totp_at(rfc_key, RFC_KEYLEN, now, TOTP_STEP, 6), cur, sizeof(cur));
	code_str(totp_at(rfc_key, RFC_KEYLEN, now - TOTP_STEP, TOTP_STEP, 6),
	    prev, sizeof(prev));
	code_str(totp_at(rfc_key, RFC_KEYLEN, now + TOTP_STEP, TOTP_STEP, 6),
	    next, sizeof(next));

	/* First use: accepted, the caller stores the step. */
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, cur, now, -1, &m), 1);
	assert_int_equal(m, t);
	last = m;
	/* The same code again, even seconds later in the same step: refused. */
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, cur, now, last, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, cur, now + 10, last, &m), 0);
	/* ... and still refused one step later, while inside the window. */
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, cur, now + TOTP_STEP,
	    last, &m), 0);
	/* An older code than the last one used: refused. */
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, prev, now, last, &m), 0);
	/* The next step's code is new: accepted. */
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, next, now, last, &m), 1);
	assert_int_equal(m, t + 1);
	last = m;
	assert_int_equal(totp_verify(rfc_key, RFC_KEYLEN, next, now + TOTP_STEP,
	    last, &m), 0);
}

static void
test_totp_secret_generate(void **state)
{
	unsigned char a[TOTP_SECRET_BYTES], b[TOTP_SECRET_BYTES];

	(void)state;
	totp_secret_generate(a);
	totp_secret_generate(b);
	assert_memory_not_equal(a, b, TOTP_SECRET_BYTES);
}

static void
test_base32_rfc4648(void **state)
{
	/* RFC 4648 section 10, without the padding. */
	static const char *v[][2] = {
		{ "", "" },
		{ "f", "MY" },
		{ "fo", "MZXQ" },
		{ "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	static const char *padded[] = {
		"", "MY======", "MZXQ====", "MZXW6===", "MZXW6YQ=", "MZXW6YTB",
		"MZXW6YTBOI======",
	};
	arena_t *a = arena_new(0);
	unsigned char out[32];
	size_t n, len;
	buf_t b;
	char *lower;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		len = strlen(v[i][0]);
		buf_init(&b, a);
		base32_encode(&b, (const unsigned char *)v[i][0], len);
		assert_string_equal(buf_cstr(&b), v[i][1]);

		assert_int_equal(base32_decode(v[i][1], out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, v[i][0], len);

		/* Padding, lower case, spaces and dashes are all accepted. */
		assert_int_equal(base32_decode(padded[i], out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, v[i][0], len);
		lower = arena_strdup(a, v[i][1]);
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		assert_int_equal(base32_decode(lower, out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, v[i][0], len);
	}
	assert_int_equal(base32_decode(" mzxw-6ytb oi ", out, sizeof(out), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);

	/* The secret of Google's Key Uri Format example. */
	assert_int_equal(base32_decode("JBSWY3DPEHPK3PXP", out, sizeof(out), &n), 0);
	assert_int_equal(n, 10);
	assert_memory_equal(out, "Hello!\xde\xad\xbe\xef", 10);
	arena_free(a);
}

static void
test_base32_round_trip(void **state)
{
	unsigned char in[64], out[64];
	size_t n;
	buf_t b;

	(void)state;
	buf_init(&b, NULL);
	for (size_t len = 0; len <= sizeof(in); len++) {
		randombytes_buf(in, len);
		buf_truncate(&b, 0);
		base32_encode(&b, in, len);
		assert_int_equal(b.len, (len * 8 + 4) / 5);
		assert_int_equal(strspn(buf_cstr(&b), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		    b.len);
		assert_int_equal(base32_decode(buf_cstr(&b), out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
	}
	/* A TOTP secret is 32 characters, no padding needed. */
	buf_truncate(&b, 0);
	base32_encode(&b, in, TOTP_SECRET_BYTES);
	assert_int_equal(b.len, 32);
	/* Appends, does not overwrite. */
	buf_truncate(&b, 0);
	buf_puts(&b, "x=");
	base32_encode(&b, (const unsigned char *)"f", 1);
	assert_string_equal(buf_cstr(&b), "x=MY");
	buf_free(&b);
}

static void
test_base32_invalid(void **state)
{
	static const char *bad[] = {
		"M",		/* 1 character: not even one byte */
		"MZX",		/* 3 characters mod 8 */
		"MZXW6Y",	/* 6 characters mod 8 */
		"MZ",		/* unused bits not zero (not canonical) */
		"MY1",		/* '1' is not base32 */
		"M0",		/* nor '0' */
		"MY8=",		/* nor '8' */
		"MY!",
		"MY_Q",
		"MY\tQ",
		"MY==MZXQ",	/* data after padding */
		"MY\xc3\xa9",	/* non-ASCII */
	};
	unsigned char out[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		assert_int_equal(base32_decode(bad[i], out, sizeof(out), &n), -1);
		assert_int_equal(n, 0);
	}
	/* Output longer than the buffer. */
	assert_int_equal(base32_decode("MZXW6YTBOI", out, 5, &n), -1);
	assert_int_equal(base32_decode("MZXW6YTBOI", out, 6, &n), 0);
	assert_int_equal(n, 6);
}

static void
test_otpauth_uri(void **state)
{
	buf_t b;

	(void)state;
	buf_init(&b, NULL);
	totp_otpauth_uri(&b, "Souk", "alice@example.com", "JBSWY3DPEHPK3PXP");
	assert_string_equal(buf_cstr(&b),
	    "otpauth://totp/Souk:alice%40example.com?secret=JBSWY3DPEHPK3PXP"
	    "&issuer=Souk&algorithm=SHA1&digits=6&period=30");

	/* Characters that would break the label or the query are encoded. */
	buf_truncate(&b, 0);
	totp_otpauth_uri(&b, "Souk & Co: Ltd", "bob smith?x=1#y/z",
	    "MZXW6YTBOI");
	assert_string_equal(buf_cstr(&b),
	    "otpauth://totp/Souk%20%26%20Co%3A%20Ltd:bob%20smith%3Fx%3D1%23y%2Fz"
	    "?secret=MZXW6YTBOI&issuer=Souk%20%26%20Co%3A%20Ltd"
	    "&algorithm=SHA1&digits=6&period=30");

	/* UTF-8 is encoded byte by byte; unreserved characters are kept. */
	buf_truncate(&b, 0);
	totp_otpauth_uri(&b, "S\xc3\xbbk", "a-b.c_d~e", "MY");
	assert_string_equal(buf_cstr(&b),
	    "otpauth://totp/S%C3%BBk:a-b.c_d~e?secret=MY&issuer=S%C3%BBk"
	    "&algorithm=SHA1&digits=6&period=30");

	/* No issuer: neither the prefix nor the parameter. */
	buf_truncate(&b, 0);
	totp_otpauth_uri(&b, NULL, "carol", "MY");
	assert_string_equal(buf_cstr(&b),
	    "otpauth://totp/carol?secret=MY&algorithm=SHA1&digits=6&period=30");
	buf_truncate(&b, 0);
	totp_otpauth_uri(&b, "", "carol", "MY");
	assert_string_equal(buf_cstr(&b),
	    "otpauth://totp/carol?secret=MY&algorithm=SHA1&digits=6&period=30");
	buf_free(&b);
}

static const unsigned char server_key[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static void
test_recovery_code_format(void **state)
{
	static const char alphabet[] = "23456789abcdefghijkmnpqrstuvwxyz";
	enum { N = 500 };
	char (*codes)[RECOVERY_CODE_SIZE] = calloc(N, RECOVERY_CODE_SIZE);
	char hex[RECOVERY_HASH_HEX];
	int seen[256] = { 0 };

	(void)state;
	assert_non_null(codes);
	for (int i = 0; i < N; i++) {
		memset(codes[i], 'X', RECOVERY_CODE_SIZE);
		recovery_code_generate(codes[i]);
		assert_int_equal(strlen(codes[i]), 11);
		assert_int_equal(codes[i][5], '-');
		for (int j = 0; j < 11; j++) {
			if (j == 5)
				continue;
			assert_non_null(strchr(alphabet, codes[i][j]));
			seen[(unsigned char)codes[i][j]]++;
		}
		assert_int_equal(recovery_code_hash(server_key, codes[i], hex), 0);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(codes[i], codes[k]);
	}
	/* No look-alikes, and (5000 draws of 32) every character turns up. */
	assert_int_equal(seen['0'] + seen['1'] + seen['o'] + seen['l'], 0);
	for (const char *p = alphabet; *p; p++)
		assert_true(seen[(unsigned char)*p] > 0);
	free(codes);
}

static void
test_recovery_code_hash(void **state)
{
	char h1[RECOVERY_HASH_HEX], h2[RECOVERY_HASH_HEX];
	unsigned char other_key[32];
	static const char *bad[] = {
		"", "abcde", "abcde-fghi", "abcde-fghijk", "abcde-fghi0",
		"abcde-fghio", "abcde-fghi1", "abcdl-fghij", "abcde_fghij",
		"abcde.fghij", "abcde-fghi\xc3\xa9",
	};

	(void)state;
	assert_int_equal(recovery_code_hash(server_key, "abcdefghij", h1), 0);
	assert_int_equal(strlen(h1), 64);
	assert_int_equal(strspn(h1, "0123456789abcdef"), 64);

	/* Case, dashes and spaces do not matter. */
	assert_int_equal(recovery_code_hash(server_key, "ABCDE-FGHIJ", h2), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(recovery_code_hash(server_key, " abcde fghij ", h2), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(recovery_code_hash(server_key, "aBcD-eFgH-iJ", h2), 0);
	assert_string_equal(h1, h2);

	/* Another code, or another key, gives another hash. */
	assert_int_equal(recovery_code_hash(server_key, "abcde-fghik", h2), 0);
	assert_string_not_equal(h1, h2);
	memcpy(other_key, server_key, sizeof(other_key));
	other_key[31] ^= 1;
	assert_int_equal(recovery_code_hash(other_key, "abcde-fghij", h2), 0);
	assert_string_not_equal(h1, h2);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(h2, 'x', sizeof(h2));
		assert_int_equal(recovery_code_hash(server_key, bad[i], h2), -1);
		assert_string_equal(h2, "");
	}
	assert_int_equal(recovery_code_hash(server_key, NULL, h2), -1);
}

static void
test_secretbox(void **state)
{
	unsigned char secret[TOTP_SECRET_BYTES], out[64], other_key[32];
	size_t n;
	buf_t s1, s2;
	char *t;

	(void)state;
	totp_secret_generate(secret);
	buf_init(&s1, NULL);
	buf_init(&s2, NULL);
	assert_int_equal(secretbox_seal(server_key, secret, sizeof(secret), &s1), 0);
	assert_int_equal(secretbox_seal(server_key, secret, sizeof(secret), &s2), 0);
	/* base64url without padding of 24 + 16 + 20 bytes. */
	assert_int_equal(s1.len, 80);
	assert_int_equal(strspn(buf_cstr(&s1),
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 80);
	/* A fresh nonce each time. */
	assert_string_not_equal(buf_cstr(&s1), buf_cstr(&s2));

	assert_int_equal(secretbox_open(server_key, buf_cstr(&s1), out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(secret));
	assert_memory_equal(out, secret, sizeof(secret));
	assert_int_equal(secretbox_open(server_key, buf_cstr(&s2), out, sizeof(out), &n), 0);
	assert_memory_equal(out, secret, sizeof(secret));
	/* Exactly the plaintext size is enough; one byte less is not. */
	assert_int_equal(secretbox_open(server_key, buf_cstr(&s1), out, 20, &n), 0);
	assert_int_equal(secretbox_open(server_key, buf_cstr(&s1), out, 19, &n), -1);
	assert_int_equal(n, 0);

	/* Tampering anywhere (nonce, MAC, ciphertext) is detected. */
	t = strdup(buf_cstr(&s1));
	assert_non_null(t);
	for (size_t i = 0; i < s1.len; i++) {
		char saved = t[i];

		t[i] = saved == 'A' ? 'B' : 'A';
		memset(out, 0, sizeof(out));
		assert_int_equal(secretbox_open(server_key, t, out, sizeof(out), &n), -1);
		assert_int_equal(n, 0);
		/* Nothing decrypted is left behind. */
		assert_memory_not_equal(out, secret, sizeof(secret));
		t[i] = saved;
	}
	/* Truncated, extended, not base64, empty. */
	t[s1.len - 2] = '\0';
	assert_int_equal(secretbox_open(server_key, t, out, sizeof(out), &n), -1);
	assert_int_equal(secretbox_open(server_key, "!!!!", out, sizeof(out), &n), -1);
	assert_int_equal(secretbox_open(server_key, "", out, sizeof(out), &n), -1);
	assert_int_equal(secretbox_open(server_key, "AAAA", out, sizeof(out), &n), -1);
	free(t);
	buf_puts(&s2, "AA");
	assert_int_equal(secretbox_open(server_key, buf_cstr(&s2), out, sizeof(out), &n), -1);

	/* Another key cannot open it. */
	memcpy(other_key, server_key, sizeof(other_key));
	other_key[0] ^= 0x80;
	assert_int_equal(secretbox_open(other_key, buf_cstr(&s1), out, sizeof(out), &n), -1);

	/* An empty plaintext round-trips too, and sealing appends. */
	buf_truncate(&s1, 0);
	buf_puts(&s1, "v=");
	assert_int_equal(secretbox_seal(server_key, NULL, 0, &s1), 0);
	assert_int_equal(strncmp(buf_cstr(&s1), "v=", 2), 0);
	assert_int_equal(secretbox_open(server_key, buf_cstr(&s1) + 2, out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);

	sodium_memzero(secret, sizeof(secret));
	buf_free(&s1);
	buf_free(&s2);
}

/*
 * Redraw the modules from the path of @svg (runs "Mx yhNv1h-Nz") and check
 * them against libqrencode's own symbol for @text.
 */
static void
check_svg_modules(const char *svg, const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	const char *p;
	unsigned char *grid;
	int w, x, y, n, n2, used, size, runs = 0;
	char attr[128];

	assert_non_null(qr);
	w = qr->width;
	size = w + 8;
	snprintf(attr, sizeof(attr), "viewBox=\"0 0 %d %d\"", size, size);
	assert_non_null(strstr(svg, attr));
	snprintf(attr, sizeof(attr), "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>",
	    size, size);
	assert_non_null(strstr(svg, attr));

	grid = calloc((size_t)w * (size_t)w, 1);
	assert_non_null(grid);
	p = strstr(svg, " d=\"");
	assert_non_null(p);
	p += 4;
	while (*p == 'M') {
		assert_int_equal(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2,
		    &used), 4);
		assert_int_equal(n, n2);
		x -= 4;
		y -= 4;
		assert_true(x >= 0 && y >= 0 && y < w && n >= 1 && x + n <= w);
		for (int i = 0; i < n; i++) {
			assert_int_equal(grid[y * w + x + i], 0);	/* no overlap */
			grid[y * w + x + i] = 1;
		}
		/* Runs are maximal: light (or the edge) on both sides. */
		assert_true(x == 0 || !(qr->data[y * w + x - 1] & 1));
		assert_true(x + n == w || !(qr->data[y * w + x + n] & 1));
		p += used;
		runs++;
	}
	assert_string_equal(p, "\"/></svg>");
	for (int i = 0; i < w * w; i++)
		assert_int_equal(grid[i], qr->data[i] & 1);
	/* The top-left finder pattern: a 7-module dark ring row. */
	for (int i = 0; i < 7; i++)
		assert_int_equal(grid[i], 1);
	assert_true(runs > w);
	free(grid);
	QRcode_free(qr);
}

static void
test_qr_svg(void **state)
{
	const char *uri = "otpauth://totp/Souk:alice%40example.com?"
	    "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Souk"
	    "&algorithm=SHA1&digits=6&period=30";
	char *big;
	buf_t a, b;

	(void)state;
	buf_init(&a, NULL);
	buf_init(&b, NULL);
	assert_int_equal(qr_svg(&a, uri, 4), 0);
	assert_int_equal(strncmp(buf_cstr(&a), "<svg ", 5), 0);
	assert_non_null(strstr(buf_cstr(&a), "<path "));
	assert_non_null(strstr(buf_cstr(&a), "role=\"img\""));
	assert_non_null(strstr(buf_cstr(&a), "aria-label=\"QR code\""));
	assert_non_null(strstr(buf_cstr(&a), "shape-rendering=\"crispEdges\""));
	assert_non_null(strstr(buf_cstr(&a), "fill=\"#000\""));
	/* The secret itself is not in the markup. */
	assert_null(strstr(buf_cstr(&a), "JBSWY3DP"));
	check_svg_modules(buf_cstr(&a), uri);
	/* Small enough to inline. */
	assert_true(a.len < 12000);

	/* Deterministic. */
	assert_int_equal(qr_svg(&b, uri, 4), 0);
	assert_string_equal(buf_cstr(&a), buf_cstr(&b));

	/* Another text, another drawing; module size scales width only. */
	buf_truncate(&b, 0);
	assert_int_equal(qr_svg(&b, "otpauth://totp/x?secret=MY", 4), 0);
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));
	check_svg_modules(buf_cstr(&b), "otpauth://totp/x?secret=MY");
	buf_truncate(&b, 0);
	assert_int_equal(qr_svg(&b, "hello", 1), 0);
	check_svg_modules(buf_cstr(&b), "hello");
	/* Version 1 is 21 modules: 29 with the quiet zone. */
	assert_non_null(strstr(buf_cstr(&b), "width=\"29\" height=\"29\""));
	buf_truncate(&b, 0);
	assert_int_equal(qr_svg(&b, "hello", 10), 0);
	assert_non_null(strstr(buf_cstr(&b), "width=\"290\" height=\"290\""));

	/* Refusals append nothing. */
	buf_truncate(&b, 0);
	assert_int_equal(qr_svg(&b, "", 4), -1);
	assert_int_equal(qr_svg(&b, NULL, 4), -1);
	assert_int_equal(qr_svg(&b, "x", 0), -1);
	assert_int_equal(qr_svg(&b, "x", 65), -1);
	big = malloc(5001);
	assert_non_null(big);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	assert_int_equal(qr_svg(&b, big, 4), -1);
	free(big);
	assert_int_equal(b.len, 0);

	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_rfc4226),
		cmocka_unit_test(test_totp_rfc6238_sha1),
		cmocka_unit_test(test_otp_bad_input),
		cmocka_unit_test(test_totp_window),
		cmocka_unit_test(test_totp_replay),
		cmocka_unit_test(test_totp_secret_generate),
		cmocka_unit_test(test_base32_rfc4648),
		cmocka_unit_test(test_base32_round_trip),
		cmocka_unit_test(test_base32_invalid),
		cmocka_unit_test(test_otpauth_uri),
		cmocka_unit_test(test_recovery_code_format),
		cmocka_unit_test(test_recovery_code_hash),
		cmocka_unit_test(test_secretbox),
		cmocka_unit_test(test_qr_svg),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
