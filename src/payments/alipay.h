/*
 * alipay.h - the pure parts of the Alipay protocol (OpenAPI 2.0, RSA2),
 * as written in ../shared/docs/payment-gateways.md §5, plus the
 * SHA256withRSA and base64 helpers that wechat.c (§6) and paypal.c (§4)
 * share, because all three gateways sign with RSA PKCS#1 v1.5 over
 * SHA-256 (§0.1).
 *
 * Nothing here talks to the network; alipay.c's gateway_alipay does the
 * calls.  Strings returned live in the arena passed in.  Keys are
 * OpenSSL EVP_PKEY objects owned by the caller (EVP_PKEY_free).
 */
#ifndef SOUK_PAYMENTS_ALIPAY_H
#define SOUK_PAYMENTS_ALIPAY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "core/arena.h"
#include "payments/gateway.h"

/* ---- SHA256withRSA and base64 (shared by alipay.c, wechat.c, paypal.c) ---- */

/*
 * alipay_key_parse - an RSA key from text.
 * @text, @len: an unencrypted PEM "PRIVATE KEY" / "RSA PRIVATE KEY" when @private_key
 *	is set; otherwise a PEM "PUBLIC KEY", a PEM "CERTIFICATE" (its public
 *	key is used) or the bare base64 SPKI the Alipay open platform shows
 *	(§5.1).
 * Returns: a new key owned by the caller (EVP_PKEY_free), or NULL when the
 * text holds no RSA key of that kind.  Clears the OpenSSL error queue.
 */
EVP_PKEY *alipay_key_parse(const char *text, size_t len, int private_key);

/*
 * alipay_key_load - alipay_key_parse() over the file at @path (at most
 * 64 KiB).  Returns NULL when @path is NULL or "", unreadable or holds no
 * such key.  Keys are read per call, never cached, so a rotated key file
 * takes effect at once.
 */
EVP_PKEY *alipay_key_load(const char *path, int private_key);

/*
 * alipay_rsa2_sign - SHA256withRSA (PKCS#1 v1.5) signature of @len bytes
 * of @msg with the private @key, base64 encoded (standard alphabet,
 * padded; §5.1, §6.2).
 * Returns: the NUL-terminated base64 text in @a, or NULL when @key is not
 * an RSA private key or signing fails.
 */
const char *alipay_rsa2_sign(arena_t *a, EVP_PKEY *key, const char *msg, size_t len);

/*
 * alipay_rsa2_verify - check a base64 SHA256withRSA signature @sig_b64
 * (NUL-terminated) of @len bytes of @msg against the public @key (§5.3,
 * §6.3, §4 offline method).  Malformed base64, a non-RSA key and a wrong
 * signature all fail.
 * Returns: 1 when the signature is valid, 0 otherwise.
 */
int alipay_rsa2_verify(EVP_PKEY *key, const char *msg, size_t len, const char *sig_b64);

/*
 * alipay_b64_decode - strict standard base64 (padded, no whitespace) of
 * @len bytes at @s.  On success *@out gets the bytes (NUL-terminated, in
 * @a) and *@outlen their count.  Returns 0, or -1 when @s is not
 * canonical base64.
 */
int alipay_b64_decode(arena_t *a, const char *s, size_t len, unsigned char **out, size_t *outlen);

/* alipay_b64_encode - standard padded base64 of @len bytes, NUL-terminated in @a. */
const char *alipay_b64_encode(arena_t *a, const void *p, size_t len);

/* ---- Alipay §5 ---- */

/*
 * alipay_sign_content - the signing string of §5.2 / verification string
 * of §5.3: the @n @fields minus "sign" (and minus "sign_type" when
 * @drop_sign_type is set), minus empty values, sorted by name in ASCII
 * byte order, joined as name=value with '&', values raw (not URL-encoded).
 * Duplicate names are the caller's problem (alipay_parse_notify rejects
 * them).  Returns the string in @a ("" when nothing is left).
 */
const char *alipay_sign_content(arena_t *a, const struct gw_field *fields, size_t n,
    int drop_sign_type);

/*
 * alipay_parse_notify - decode an asynchronous notification body
 * (application/x-www-form-urlencoded, UTF-8; §5.3) into fields.
 * @body, @len: the raw body.  On success *@fields (in @a) gets the fields
 * in body order and *@n their count.  Rejects bad %-escapes, invalid
 * UTF-8, more than 64 fields, values over 16 KiB and repeated names.
 * Returns: 0, or -1 with a reason in @err.
 */
int alipay_parse_notify(arena_t *a, const char *body, size_t len,
    struct gw_field **fields, size_t *n, char *err, size_t errlen);

/*
 * alipay_field - the value of @name among @n @fields, or NULL.
 */
const char *alipay_field(const struct gw_field *fields, size_t n, const char *name);

/*
 * alipay_notice_from_fields - map verified notification fields to a
 * notice (§5.3): event_id = notify_id, reference = out_trade_no,
 * gateway_txn_id = trade_no, amount_minor from total_amount (CNY yuan ->
 * fen), status from trade_status (TRADE_SUCCESS and TRADE_FINISHED ->
 * GW_PAID, WAIT_BUYER_PAY -> GW_PENDING, TRADE_CLOSED -> GW_CANCELLED,
 * others GW_IGNORED).  Strings point into @fields.  Does not check the
 * signature: call it only after alipay_verify_fields().
 * Returns: 0, or -1 with a reason in @err when a required field is
 * missing or total_amount is not a valid amount.
 */
int alipay_notice_from_fields(const struct gw_field *fields, size_t n,
    struct gw_notice *out, char *err, size_t errlen);

/*
 * alipay_verify_fields - §5.3 signature check: sign_type must be "RSA2";
 * the verification string (without sign and sign_type) must verify
 * against Alipay's public @key.  Returns 1 valid, 0 not.
 */
int alipay_verify_fields(arena_t *a, EVP_PKEY *key, const struct gw_field *fields, size_t n);

/*
 * alipay_response_content - the raw text of the "<@method with '.'
 * replaced by '_'>_response" object in an OpenAPI 2.0 JSON response
 * @body, which is what Alipay signs (the "sign" member beside it).
 * On success *@start and *@len delimit the object inside @body.
 * Returns 0, or -1 when the member is missing or not a JSON object.
 */
int alipay_response_content(const char *body, size_t body_len, const char *method,
    size_t *start, size_t *len);

#endif
