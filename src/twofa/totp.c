/*
 * totp.c - HOTP/TOTP, base32, otpauth URIs and recovery codes (see totp.h).
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "core/buf.h"
#include "twofa/totp.h"

_Static_assert(RECOVERY_KEYBYTES >= crypto_generichash_KEYBYTES_MIN &&
    RECOVERY_KEYBYTES <= crypto_generichash_KEYBYTES_MAX, "recovery key size");
_Static_assert(RECOVERY_HASH_HEX == 2 * crypto_generichash_BYTES + 1,
    "recovery hash size");
_Static_assert(RECOVERY_CODE_SIZE == RECOVERY_CODE_CHARS + 2, "code size");

static const int powers10[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000,
};

int
hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits)
{
	unsigned char msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint32_t bin;
	unsigned int off;
	int i;

	if (key == NULL || keylen == 0 || keylen > INT_MAX ||
	    digits < 6 || digits > 9)
		return -1;

	/* The counter is hashed as 8 bytes, most significant first. */
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md,
	    &mdlen) == NULL || mdlen != 20) {
		sodium_memzero(md, sizeof(md));
		return -1;
	}

	/*
	 * Dynamic truncation (RFC 4226 5.3): the low nibble of the last byte
	 * picks 4 bytes, whose top bit is dropped so the value is the same
	 * signed or unsigned.
	 */
	off = md[19] & 0x0f;
	bin = (uint32_t)(md[off] & 0x7f) << 24 |
	    (uint32_t)md[off + 1] << 16 |
	    (uint32_t)md[off + 2] << 8 |
	    (uint32_t)md[off + 3];
	sodium_memzero(md, sizeof(md));
	return (int)(bin % (uint32_t)powers10[digits]);
}

int
totp_at(const unsigned char *key, size_t keylen, int64_t unix_time,
    int step, int digits)
{
	if (unix_time < 0 || step < 1)
		return -1;
	return hotp(key, keylen, (uint64_t)(unix_time / step), digits);
}

/*
 * Write @code as exactly TOTP_DIGITS decimal digits, with leading zeros,
 * into @s (no NUL).  No sprintf: the digits stay out of libc's buffers.
 */
static void
code_digits(int code, char s[TOTP_DIGITS])
{
	int i;

	for (i = TOTP_DIGITS - 1; i >= 0; i--) {
		s[i] = (char)('0' + code % 10);
		code /= 10;
	}
}

int
totp_verify(const unsigned char *key, size_t keylen, const char *code,
    int64_t now, int64_t last_used_step, int64_t *matched_step)
{
	char typed[TOTP_DIGITS], want[TOTP_DIGITS];
	int64_t t, s, found = -1;
	size_t n = 0;
	const char *p;
	int c, ok = 1;

	if (code == NULL || now < 0)
		return 0;

	/* Keep the digits, drop spaces; anything else is not a code. */
	for (p = code; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p < '0' || *p > '9' || n == TOTP_DIGITS) {
			ok = 0;
			break;
		}
		typed[n++] = *p;
	}
	if (!ok || n != TOTP_DIGITS) {
		sodium_memzero(typed, sizeof(typed));
		return 0;
	}

	/*
	 * Compute and compare every candidate, so the time taken does not
	 * tell which step (if any) matched.  The latest matching step wins:
	 * should two steps share a code, storing the later one keeps that code
	 * from being accepted a second time.
	 */
	t = now / TOTP_STEP;
	for (s = t - 1; s <= t + 1; s++) {
		if (s < 0)
			continue;
		c = hotp(key, keylen, (uint64_t)s, TOTP_DIGITS);
		if (c < 0) {
			found = -1;
			break;
		}
		code_digits(c, want);
		if (sodium_memcmp(typed, want, TOTP_DIGITS) == 0 &&
		    s > last_used_step)
			found = s;
	}
	sodium_memzero(typed, sizeof(typed));
	sodium_memzero(want, sizeof(want));
	if (found < 0)
		return 0;
	if (matched_step != NULL)
		*matched_step = found;
	return 1;
}

void
totp_secret_generate(unsigned char out[TOTP_SECRET_BYTES])
{
	randombytes_buf(out, TOTP_SECRET_BYTES);
}

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void
base32_encode(buf_t *out, const unsigned char *in, size_t len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	/* Up to 8 characters per 5 bytes, +1 for a partial group. */
	buf_reserve(out, len / 5 * 8 + 8);
	for (i = 0; i < len; i++) {
		acc = (acc << 8 | in[i]) & 0xfff;	/* at most 12 bits live */
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			buf_putc(out, b32_alphabet[(acc >> bits) & 0x1f]);
		}
	}
	/* Leftover bits, padded with zeros on the right. */
	if (bits > 0)
		buf_putc(out, b32_alphabet[(acc << (5 - bits)) & 0x1f]);
}

/* The 5-bit value of base32 character @c (either case), or -1. */
static int
b32_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int
base32_decode(const char *in, unsigned char *out, size_t outcap,
    size_t *outlen)
{
	uint32_t acc = 0;
	size_t n = 0, chars = 0;
	int bits = 0, v, padding = 0;
	const char *p;

	*outlen = 0;
	for (p = in; *p != '\0'; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p == '=') {
			padding = 1;
			continue;
		}
		/* Data after padding, or outside the alphabet. */
		if (padding || (v = b32_value((unsigned char)*p)) < 0)
			return -1;
		chars++;
		acc = (acc << 5 | (uint32_t)v) & 0xfff;	/* at most 12 bits live */
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == outcap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/*
	 * A complete encoding leaves fewer than 5 bits, all zero; 1, 3 or 6
	 * characters in the last group would leave 5 or more.
	 */
	switch (chars % 8) {
	case 1:
	case 3:
	case 6:
		return -1;
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* Append @s percent-encoded: RFC 3986 unreserved characters stay as they are. */
static void
pct_encode(buf_t *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 0x0f]);
		}
	}
}

void
totp_otpauth_uri(buf_t *out, const char *issuer, const char *account,
    const char *secret_b32)
{
	int has_issuer = issuer != NULL && *issuer != '\0';

	buf_puts(out, "otpauth://totp/");
	if (has_issuer) {
		pct_encode(out, issuer);
		buf_putc(out, ':');
	}
	pct_encode(out, account != NULL ? account : "");
	buf_puts(out, "?secret=");
	buf_puts(out, secret_b32);
	if (has_issuer) {
		buf_puts(out, "&issuer=");
		pct_encode(out, issuer);
	}
	buf_printf(out, "&algorithm=SHA1&digits=%d&period=%d",
	    TOTP_DIGITS, TOTP_STEP);
}

/* 32 characters (5 bits each): no 0/o or 1/l, which read alike in many fonts. */
static const char rc_alphabet[] = "23456789abcdefghijkmnpqrstuvwxyz";
_Static_assert(sizeof(rc_alphabet) - 1 == 32, "recovery alphabet");

void
recovery_code_generate(char out[RECOVERY_CODE_SIZE])
{
	size_t i, j = 0;

	for (i = 0; i < RECOVERY_CODE_CHARS; i++) {
		if (i == RECOVERY_CODE_CHARS / 2)
			out[j++] = '-';
		out[j++] = rc_alphabet[randombytes_uniform(
		    (uint32_t)(sizeof(rc_alphabet) - 1))];
	}
	out[j] = '\0';
}

/* Domain separation, in case the same server key is ever used for more. */
static const char rc_context[] = "souk recovery code v1";

int
recovery_code_hash(const unsigned char key[RECOVERY_KEYBYTES],
    const char *code, char hex_out[RECOVERY_HASH_HEX])
{
	crypto_generichash_state st;
	unsigned char norm[RECOVERY_CODE_CHARS], h[crypto_generichash_BYTES];
	size_t n = 0;
	const char *p;
	char c;
	int rc = -1;

	hex_out[0] = '\0';
	if (code == NULL)
		return -1;
	for (p = code; *p != '\0'; p++) {
		c = *p;
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (n == RECOVERY_CODE_CHARS || strchr(rc_alphabet, c) == NULL)
			goto out;
		norm[n++] = (unsigned char)c;
	}
	if (n != RECOVERY_CODE_CHARS)
		goto out;

	crypto_generichash_init(&st, key, RECOVERY_KEYBYTES, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)rc_context,
	    sizeof(rc_context));	/* with its NUL, as a separator */
	crypto_generichash_update(&st, norm, sizeof(norm));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex_out, RECOVERY_HASH_HEX, h, sizeof(h));
	rc = 0;
out:
	sodium_memzero(norm, sizeof(norm));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(&st, sizeof(st));
	return rc;
}
