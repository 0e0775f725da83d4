/*
 * password.h - password hashing and the password rules.
 *
 * Hashes are argon2id strings from libsodium's crypto_pwhash_str with the
 * interactive limits (crypto_pwhash_OPSLIMIT_INTERACTIVE,
 * crypto_pwhash_MEMLIMIT_INTERACTIVE: about 64 MiB and a tenth of a
 * second per hash).  When libsodium's interactive limits change, a stored
 * hash made with the old ones reports password_needs_rehash() and is
 * replaced at the next successful log in.
 *
 * Rules for a new password: at least PASSWORD_MIN_CHARS characters
 * (Unicode code points), at most PASSWORD_MAX_BYTES bytes, and not equal,
 * ignoring ASCII case, to the account's e-mail address or handle.
 *
 * Everything here assumes sodium_init() has been called (souk-web does at
 * start-up).  Nothing here allocates memory the caller must free.
 */
#ifndef SOUK_IDENTITY_PASSWORD_H
#define SOUK_IDENTITY_PASSWORD_H

#include <stddef.h>

#include <sodium.h>

#define PASSWORD_MIN_CHARS	10	/* characters (code points) */
#define PASSWORD_MAX_BYTES	1024	/* bytes of UTF-8 */
#define PASSWORD_HASH_SIZE	crypto_pwhash_STRBYTES	/* a hash string plus its NUL */

/* Results of password_check(); PW_OK is 0. */
enum password_rule {
	PW_OK = 0,
	PW_EMPTY,		/* nothing typed */
	PW_TOO_SHORT,		/* fewer than PASSWORD_MIN_CHARS characters */
	PW_TOO_LONG,		/* more than PASSWORD_MAX_BYTES bytes */
	PW_SAME_AS_EMAIL,	/* equal to the e-mail address, ignoring case */
	PW_SAME_AS_HANDLE,	/* equal to the handle, ignoring case */
};

/*
 * password_check - apply the rules to a new password.
 * @pw: the password as typed (NUL-terminated UTF-8; NULL counts as empty).
 * @email, @handle: the account's e-mail address and handle (NULL: not
 *	compared).
 * Returns: PW_OK or the first rule broken, in the order of the enum.
 */
enum password_rule password_check(const char *pw, const char *email, const char *handle);

/* password_rule_code - a stable lower-case name of @r for templates and logs ("too_short"). */
const char *password_rule_code(enum password_rule r);

/*
 * password_hash - hash @pw (at most PASSWORD_MAX_BYTES bytes) into @out.
 * @out: receives the NUL-terminated argon2id string (PASSWORD_HASH_SIZE bytes).
 * Returns: 0, or -1 when the hash could not be computed (out of memory,
 * or @pw too long); @out is then an empty string.
 */
int password_hash(const char *pw, char out[PASSWORD_HASH_SIZE]);

/*
 * password_verify - compare @pw with the stored hash @hash.
 * @hash: an argon2id string, or NULL (or "") for an account without a
 *	password or a user that does not exist: a fixed dummy hash is
 *	verified instead, so that the answer takes as long as for a real
 *	account, and 0 is returned.
 * Returns: 1 when @pw matches, 0 otherwise (also for a malformed hash).
 */
int password_verify(const char *hash, const char *pw);

/*
 * password_needs_rehash - whether @hash was made with other limits than
 * the current interactive ones (or is not an argon2id string).
 * Returns: 1 when it should be replaced, 0 when it is current.
 */
int password_needs_rehash(const char *hash);

#endif
