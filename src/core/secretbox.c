/*
 * secretbox.c - small secrets sealed at rest (see secretbox.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/secretbox.h"

_Static_assert(SECRETBOX_KEYBYTES == crypto_secretbox_KEYBYTES, "key size");
_Static_assert(SECRETBOX_OVERHEAD == crypto_secretbox_NONCEBYTES +
    crypto_secretbox_MACBYTES, "overhead");

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* Plaintexts are small (a TOTP secret, an IBAN): refuse anything absurd. */
#define SEAL_MAX (1024 * 1024)

int
secretbox_seal(const unsigned char key[SECRETBOX_KEYBYTES],
    const unsigned char *plain, size_t len, buf_t *out_b64)
{
	static const unsigned char none[1];
	unsigned char *box;
	size_t boxlen, b64len;

	if (len > SEAL_MAX)
		return -1;
	if (plain == NULL)
		plain = none;	/* len is 0: libsodium reads nothing */
	boxlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	if ((box = malloc(boxlen)) == NULL)
		fatal("secretbox: out of memory (%zu bytes)", boxlen);

	/* The box holds only ciphertext: no need to wipe it. */
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len,
	    box, key);

	/* sodium_base64_ENCODED_LEN counts the NUL, which buf_t adds itself. */
	b64len = sodium_base64_ENCODED_LEN(boxlen, B64_VARIANT);
	buf_reserve(out_b64, b64len);
	sodium_bin2base64(out_b64->data + out_b64->len, b64len, box, boxlen,
	    B64_VARIANT);
	out_b64->len += b64len - 1;
	free(box);
	return 0;
}

int
secretbox_open(const unsigned char key[SECRETBOX_KEYBYTES],
    const char *b64, unsigned char *plain, size_t cap, size_t *len)
{
	unsigned char *box;
	size_t b64len, boxmax, boxlen, plainlen;
	int rc = -1;

	*len = 0;
	b64len = strlen(b64);
	if (b64len > sodium_base64_ENCODED_LEN(SEAL_MAX + SECRETBOX_OVERHEAD,
	    B64_VARIANT))
		return -1;
	boxmax = b64len / 4 * 3 + 3;
	if ((box = malloc(boxmax)) == NULL)
		fatal("secretbox: out of memory (%zu bytes)", boxmax);
	/* No ignored characters, and the whole text must be consumed. */
	if (sodium_base642bin(box, boxmax, b64, b64len, NULL, &boxlen, NULL,
	    B64_VARIANT) != 0)
		goto out;
	if (boxlen < SECRETBOX_OVERHEAD)
		goto out;
	plainlen = boxlen - SECRETBOX_OVERHEAD;
	if (plainlen > cap)
		goto out;
	/*
	 * libsodium checks the MAC before it decrypts, so a forged or damaged
	 * box leaves @plain untouched.
	 */
	if (crypto_secretbox_open_easy(plain,
	    box + crypto_secretbox_NONCEBYTES,
	    boxlen - crypto_secretbox_NONCEBYTES, box, key) != 0)
		goto out;
	*len = plainlen;
	rc = 0;
out:
	free(box);
	return rc;
}
