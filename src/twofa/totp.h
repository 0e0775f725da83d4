/*
 * totp.h - primitives of two-factor authentication.
 *
 * One-time passwords as authenticator apps make them: HOTP (RFC 4226) with
 * HMAC-SHA1, TOTP (RFC 6238) with 30-second steps and 6 digits, secrets
 * shown in base32 (RFC 4648) inside an otpauth:// URI (Google
 * Authenticator's Key Uri Format).  HMAC-SHA1 comes from OpenSSL's
 * libcrypto: libsodium has no SHA-1, and SHA-1's collision weakness does
 * not affect HMAC.
 *
 * Also here: one-use recovery codes and their keyed hashes.  TOTP secrets
 * are stored sealed with secretbox_seal (src/core/secretbox.h).
 *
 * Functions that draw random bytes assume sodium_init() has been called, as
 * souk-web does at start-up.  Nothing here allocates except into the buf_t
 * the caller passes.
 */
#ifndef SOUK_TWOFA_TOTP_H
#define SOUK_TWOFA_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define TOTP_SECRET_BYTES 20	/* secret length in bytes (160 bits, RFC 4226 R6) */
#define TOTP_STEP 30		/* time step in seconds (RFC 6238 X) */
#define TOTP_DIGITS 6		/* digits of a code */

#define RECOVERY_CODE_CHARS 10	/* random characters of a recovery code */
#define RECOVERY_CODE_SIZE 12	/* "abcde-fghij" plus the NUL */
#define RECOVERY_KEYBYTES 32	/* key of recovery_code_hash */
#define RECOVERY_HASH_HEX 65	/* 64 hex digits plus the NUL */

/*
 * hotp - HMAC-based one-time password, RFC 4226 section 5.
 * @key: the shared secret (raw bytes, not base32); only read.
 * @keylen: its length in bytes, at least 1.
 * @counter: the moving factor, hashed as 8 big-endian bytes.
 * @digits: code length, 6 to 9 (RFC 4226 R4 asks for at least 6).
 * Returns: HMAC-SHA1 of @counter, dynamically truncated (section 5.3) and
 * reduced modulo 10^@digits, as a number in 0 .. 10^@digits - 1 (print it
 * with leading zeros), or -1 for an empty key, a bad @digits, or an HMAC
 * failure.
 */
int hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits);

/*
 * totp_at - time-based one-time password, RFC 6238 section 4, HMAC-SHA1.
 * @key, @keylen: the shared secret, as for hotp().
 * @unix_time: the time in seconds since 1970-01-01 UTC (T0 = 0); not
 *	negative.
 * @step: the time step in seconds (normally TOTP_STEP), at least 1.
 * @digits: code length, 6 to 9.
 * Returns: hotp() of counter floor(@unix_time / @step), or -1 on bad input.
 */
int totp_at(const unsigned char *key, size_t keylen, int64_t unix_time,
    int step, int digits);

/*
 * totp_verify - check a code typed by the user, RFC 6238 section 5.
 * @key, @keylen: the user's secret, as for hotp().
 * @code: what the user typed: exactly TOTP_DIGITS ASCII digits, with any
 *	number of spaces anywhere ("123 456" as apps display it).  Anything
 *	else does not match.
 * @now: the current time in seconds since the epoch.
 * @last_used_step: the step (time / TOTP_STEP) of the last code accepted for
 *	this user, or -1 if none.  Codes of that step and earlier are refused,
 *	so an observed code cannot be replayed (section 5.2).
 * @matched_step: if not NULL, receives on a match the step that matched;
 *	the caller must store it as the new last_used_step (atomically with
 *	the login, e.g. UPDATE ... WHERE last_used_step < $matched).
 * The steps now-1, now and now+1 are accepted (one step of clock drift each
 * way).  All three candidate codes are computed and compared in constant
 * time, whatever matches.
 * Returns: 1 on a match, 0 otherwise (including bad input).
 */
int totp_verify(const unsigned char *key, size_t keylen, const char *code,
    int64_t now, int64_t last_used_step, int64_t *matched_step);

/*
 * totp_secret_generate - fill @out with TOTP_SECRET_BYTES random bytes
 * (libsodium randombytes_buf) to use as a new user's secret.  The caller
 * owns @out and should wipe it (sodium_memzero) after sealing it.
 */
void totp_secret_generate(unsigned char out[TOTP_SECRET_BYTES]);

/*
 * base32_encode - RFC 4648 section 6 base32, upper case, WITHOUT the '='
 * padding (authenticator apps expect none).
 * @out: the text is appended to it (owned by the caller).
 * @in: @len bytes to encode; only read.  ceil(8 * @len / 5) characters
 *	are appended.
 */
void base32_encode(buf_t *out, const unsigned char *in, size_t len);

/*
 * base32_decode - decode RFC 4648 base32.
 * @in: NUL-terminated text.  Letters may be of either case; spaces and '-'
 *	are ignored anywhere (for secrets typed in groups); '=' padding is
 *	allowed at the end only.
 * @out: receives the bytes; owned by the caller.
 * @outcap: size of @out in bytes.
 * @outlen: receives the number of bytes decoded.
 * Returns: 0, or -1 on a character outside the alphabet, a length no
 * encoding can have (1, 3 or 6 characters modulo 8), non-zero unused bits
 * in the last character (not the canonical encoding), or output longer than
 * @outcap.  On failure *@outlen is 0; @out may hold partial output.
 */
int base32_decode(const char *in, unsigned char *out, size_t outcap,
    size_t *outlen);

/*
 * totp_otpauth_uri - the provisioning URI to show as a QR code, following
 * Google Authenticator's Key Uri Format:
 *	otpauth://totp/ISSUER:ACCOUNT?secret=S&issuer=ISSUER&algorithm=SHA1
 *	&digits=6&period=30
 * @out: the URI is appended to it (owned by the caller).
 * @issuer: the service name ("Souk"), or NULL/"" to leave out both the
 *	label prefix and the issuer parameter.
 * @account: the user's account name (e-mail or username).
 * @secret_b32: the secret as base32_encode() makes it.
 * Issuer and account are percent-encoded (RFC 3986: every byte but
 * A-Z a-z 0-9 - . _ ~ becomes %XX, space is %20), so a ':' or '&' in them
 * cannot break the URI.  The result is a secret: do not log it.
 */
void totp_otpauth_uri(buf_t *out, const char *issuer, const char *account,
    const char *secret_b32);

/*
 * recovery_code_generate - a new one-use recovery code, "abcde-fghij":
 * RECOVERY_CODE_CHARS characters drawn uniformly (randombytes_uniform) from
 * the 32 characters "23456789abcdefghijkmnpqrstuvwxyz" (no 0/o and 1/l
 * look-alikes), so 50 bits, in two groups of five joined by '-'.
 * @out: receives the NUL-terminated code (RECOVERY_CODE_SIZE bytes); owned
 *	by the caller, who shows it once and keeps only its hash.
 */
void recovery_code_generate(char out[RECOVERY_CODE_SIZE]);

/*
 * recovery_code_hash - the keyed hash under which a recovery code is stored
 * and looked up.
 * @key: RECOVERY_KEYBYTES bytes of server key (from the configuration).
 * @code: a code as generated or as typed: it is normalised first (upper
 *	case folded to lower, '-' and spaces removed) so "ABCDE-FGHIJ",
 *	"abcde fghij" and "abcdefghij" hash alike.
 * @hex_out: receives 64 lower-case hex digits and a NUL.
 * Why a fast keyed hash and not crypto_pwhash: a slow KDF protects
 * low-entropy secrets that people choose.  These codes are random with 50
 * bits of entropy, so even a fast hash leaves ~2^49 guesses per code, and
 * online guessing is rate-limited.  A fast hash also lets the login step
 * look the typed code up by hash in one query, instead of running a 64 MiB
 * crypto_pwhash against each of a user's stored codes.  The hash is
 * BLAKE2b-256 (crypto_generichash) keyed with the server key, so a leak of
 * the database alone does not even allow checking guesses offline.
 * Returns: 0, or -1 if @code is malformed (after normalisation, not exactly
 * RECOVERY_CODE_CHARS characters of the code alphabet); @hex_out is then
 * an empty string.
 */
int recovery_code_hash(const unsigned char key[RECOVERY_KEYBYTES],
    const char *code, char hex_out[RECOVERY_HASH_HEX]);

#endif
