/*
 * secretbox.h - small secrets sealed at rest with the server key.
 *
 * Used for values the server must read back but the database should not
 * hold in clear: TOTP secrets (src/twofa) and payout details.  The key is
 * the 32-byte server key of the configuration (secret_key), so a copy of
 * the database alone does not reveal them.
 *
 * Sealed format, stored as text: base64url without padding (libsodium's
 * sodium_base64_VARIANT_URLSAFE_NO_PADDING) of
 *
 *	nonce (24 bytes, random) || MAC (16 bytes) || ciphertext (len bytes)
 *
 * as made by crypto_secretbox_easy (XSalsa20-Poly1305).  A random 192-bit
 * nonce per seal makes nonce reuse negligible without any counter state.
 */
#ifndef SOUK_CORE_SECRETBOX_H
#define SOUK_CORE_SECRETBOX_H

#include <stddef.h>

#include "core/buf.h"

/* Key length in bytes (crypto_secretbox_KEYBYTES). */
#define SECRETBOX_KEYBYTES 32

/* Bytes that sealing adds to the plaintext before base64 (nonce + MAC). */
#define SECRETBOX_OVERHEAD (24 + 16)

/*
 * secretbox_seal - encrypt and authenticate @len bytes of @plain.
 * @key: the 32-byte server key.
 * @plain: the plaintext (may be NULL when @len is 0); only read.
 * @len: its length in bytes.
 * @out_b64: the sealed text is APPENDED to it (NUL-terminated as every
 *	buf_t); the caller owns @out_b64 as usual.  Its length is
 *	4 * (len + 40) / 3 rounded up characters.
 * Returns: 0, or -1 if @len is too large to seal (nothing is appended).
 * Every call uses a fresh random nonce, so sealing the same plaintext twice
 * gives different texts.
 */
int secretbox_seal(const unsigned char key[SECRETBOX_KEYBYTES],
    const unsigned char *plain, size_t len, buf_t *out_b64);

/*
 * secretbox_open - check and decrypt a text made by secretbox_seal.
 * @key: the 32-byte server key used to seal.
 * @b64: the sealed text, NUL-terminated.
 * @plain: receives the plaintext; owned by the caller, who should wipe it
 *	(sodium_memzero) when done.
 * @cap: size of @plain in bytes.
 * @len: receives the plaintext length in bytes on success.
 * Returns: 0, or -1 when @b64 is not valid base64url, is too short, was
 * sealed with another key, was altered, or the plaintext does not fit in
 * @cap bytes.  On failure @plain holds no plaintext and *@len is 0.
 */
int secretbox_open(const unsigned char key[SECRETBOX_KEYBYTES],
    const char *b64, unsigned char *plain, size_t cap, size_t *len);

#endif
