/*
 * password.c - argon2id hashes and password rules (see password.h).
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "core/utf8.h"
#include "identity/password.h"

/*
 * The hash verified when there is no real one, so that an unknown user
 * costs as much time as a wrong password.  Made with the interactive
 * limits of libsodium 1.0.18 of a password nobody uses; when libsodium's
 * limits differ, dummy_hash() makes a fresh one once per process so the
 * timing stays the same as for current hashes.
 */
static const char fixed_dummy[PASSWORD_HASH_SIZE] =
    "$argon2id$v=19$m=65536,t=2,p=1$d7mzJBqbiqtd6cZ2Dtob2g$"
    "KlKTbPcj7YapLS5gVENSHyZRmXKKG6HaMD0xxyoy3ns";

static const char *
dummy_hash(void)
{
	static char made[PASSWORD_HASH_SIZE];
	static int ready;
	unsigned char pw[32];

	if (!password_needs_rehash(fixed_dummy))
		return fixed_dummy;
	if (!ready) {
		char hex[sizeof(pw) * 2 + 1];

		randombytes_buf(pw, sizeof(pw));
		sodium_bin2hex(hex, sizeof(hex), pw, sizeof(pw));
		if (password_hash(hex, made) != 0)
			return fixed_dummy;
		sodium_memzero(hex, sizeof(hex));
		ready = 1;
	}
	return made;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Equal ignoring the case of ASCII letters, independent of the locale. */
static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

enum password_rule
password_check(const char *pw, const char *email, const char *handle)
{
	size_t len;

	if (pw == NULL || pw[0] == '\0')
		return PW_EMPTY;
	len = strlen(pw);
	if (len > PASSWORD_MAX_BYTES)
		return PW_TOO_LONG;
	if (utf8_chars(pw) < PASSWORD_MIN_CHARS)
		return PW_TOO_SHORT;
	if (email != NULL && email[0] != '\0' && ascii_caseeq(pw, email))
		return PW_SAME_AS_EMAIL;
	if (handle != NULL && handle[0] != '\0' && ascii_caseeq(pw, handle))
		return PW_SAME_AS_HANDLE;
	return PW_OK;
}

const char *
password_rule_code(enum password_rule r)
{
	switch (r) {
	case PW_OK: return "ok";
	case PW_EMPTY: return "required";
	case PW_TOO_SHORT: return "too_short";
	case PW_TOO_LONG: return "too_long";
	case PW_SAME_AS_EMAIL: return "same_as_email";
	case PW_SAME_AS_HANDLE: return "same_as_handle";
	}
	return "invalid";
}

int
password_hash(const char *pw, char out[PASSWORD_HASH_SIZE])
{
	size_t len = strlen(pw);

	out[0] = '\0';
	if (len > PASSWORD_MAX_BYTES)
		return -1;
	if (crypto_pwhash_str(out, pw, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * libsodium reads hashes as char[crypto_pwhash_STRBYTES]: hand it a
 * zero-padded copy of that size, never a shorter string.
 */
static int
verify(const char *hash, const char *pw, size_t len)
{
	char h[PASSWORD_HASH_SIZE];
	int ok;

	memset(h, 0, sizeof(h));
	if (strlen(hash) >= sizeof(h))
		return 0;
	memcpy(h, hash, strlen(hash));
	ok = crypto_pwhash_str_verify(h, pw, len) == 0;
	return ok;
}

int
password_verify(const char *hash, const char *pw)
{
	size_t len = strlen(pw);
	int real = hash != NULL && hash[0] != '\0';

	/* Longer than any password we accept: still spend the same time. */
	if (len > PASSWORD_MAX_BYTES) {
		(void)verify(dummy_hash(), pw, PASSWORD_MAX_BYTES);
		return 0;
	}
	if (!real) {
		(void)verify(dummy_hash(), pw, len);
		return 0;
	}
	return verify(hash, pw, len);
}

int
password_needs_rehash(const char *hash)
{
	char h[PASSWORD_HASH_SIZE];

	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0 || strlen(hash) >= sizeof(h))
		return 1;
	memset(h, 0, sizeof(h));
	memcpy(h, hash, strlen(hash));
	return crypto_pwhash_str_needs_rehash(h, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}
