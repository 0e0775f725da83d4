/*
 * wechat.h - the pure parts of WeChat Pay API v3, as written in
 * ../shared/docs/payment-gateways.md §6: the request signature and
 * Authorization header (§6.2), the notification signature check with its
 * 300 s window and probe rule (§6.3), and AEAD_AES_256_GCM decryption and
 * parsing of the notification resource (§6.4, §6.6).
 *
 * Nothing here talks to the network; wechat.c's gateway_wechat does the
 * calls.  Strings returned live in the arena passed in; keys are OpenSSL
 * EVP_PKEY objects owned by the caller (see alipay.h for loading them).
 */
#ifndef SOUK_PAYMENTS_WECHAT_H
#define SOUK_PAYMENTS_WECHAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/arena.h"
#include "payments/gateway.h"

/* The notification's timestamp must be within this many seconds of now (§6.3). */
#define WECHAT_WINDOW_S	300

/*
 * wechat_sign_message - the §6.2 message: METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n
 * (every line ends in '\n', including the last; @body NULL or "" for GET).
 * @url is the canonical URL: path plus query ("/v3/pay/transactions/native").
 * @ts is a Unix time in seconds.  Returns the message in @a.
 */
const char *wechat_sign_message(arena_t *a, const char *method, const char *url,
    int64_t ts, const char *nonce, const char *body);

/*
 * wechat_authorization - the value of the Authorization header of §6.2:
 * WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",timestamp="..",
 * serial_no="..",signature=".." with the message above signed
 * SHA256withRSA by the merchant private @key.
 * Returns the header value in @a, or NULL when signing fails.
 */
const char *wechat_authorization(arena_t *a, EVP_PKEY *key, const char *mchid,
    const char *serial, const char *method, const char *url, int64_t ts,
    const char *nonce, const char *body);

/*
 * wechat_canonical_url - the path and query of the absolute @url
 * ("https://h/v3/x?a=1" -> "/v3/x?a=1"), in @a; "/" when it has no path.
 */
const char *wechat_canonical_url(arena_t *a, const char *url);

/* The Wechatpay-* headers of a notification or response (§6.3); any may be NULL. */
struct wechat_headers {
	const char *timestamp;	/* Wechatpay-Timestamp, decimal Unix seconds */
	const char *nonce;	/* Wechatpay-Nonce */
	const char *signature;	/* Wechatpay-Signature, base64 */
	const char *serial;	/* Wechatpay-Serial */
};

/*
 * wechat_verify_signature - §6.3 in full: every header present; the
 * signature does not start with "WECHATPAY/SIGNTEST/" (the probe, which
 * must fail); the serial equals @platform_serial (skipped when it is
 * NULL or ""); |@now - timestamp| < WECHAT_WINDOW_S seconds; the message
 * TIMESTAMP\nNONCE\nBODY\n verifies SHA256withRSA against the platform
 * public @key.  @body/@len are the raw body bytes.
 * Returns 0, or -1 with a reason in @err.
 */
int wechat_verify_signature(arena_t *a, EVP_PKEY *key, const char *platform_serial,
    time_t now, const struct wechat_headers *h, const char *body, size_t len,
    char *err, size_t errlen);

/*
 * wechat_gcm_decrypt - AES-GCM decryption of §6.4/§6.6: @key of @keylen
 * bytes (32: AES-256, the production APIv3 key; 16: AES-128, used by the
 * SDK vectors of §6.5), IV = @nonce bytes, AAD = @aad bytes (may be
 * empty), @in = ciphertext followed by the 16-byte tag.  @out must have
 * room for @in_len bytes.
 * Returns the plaintext length, or -1 on a bad key length, input shorter
 * than the tag, or a tag that does not authenticate.
 */
int wechat_gcm_decrypt(const unsigned char *key, size_t keylen,
    const unsigned char *nonce, size_t nonce_len, const unsigned char *aad, size_t aad_len,
    const unsigned char *in, size_t in_len, unsigned char *out);

/* What a decrypted notification says besides the notice. */
struct wechat_event {
	const char *id;			/* the notification id */
	const char *event_type;		/* TRANSACTION.SUCCESS, ... */
	const char *plaintext;		/* the decrypted resource (NUL-terminated) */
	size_t plaintext_len;
	const char *mchid;		/* from a transaction resource, else NULL */
	const char *appid;
};

/*
 * wechat_transaction_notice - map a transaction JSON object (the
 * decrypted resource, or a query answer) of @len bytes to a notice:
 * reference = out_trade_no, gateway_txn_id = transaction_id, status from
 * trade_state (SUCCESS -> GW_PAID; NOTPAY, USERPAYING -> GW_PENDING;
 * PAYERROR -> GW_FAILED; CLOSED, REVOKED -> GW_CANCELLED; REFUND and
 * others -> GW_IGNORED), amount_minor = amount.total (fen), currency =
 * amount.currency.  event_id is left NULL.  *@mchid and *@appid (may be
 * NULL pointers) get those fields.
 * Returns 0, or -1 with a reason in @err.
 */
int wechat_transaction_notice(arena_t *a, const char *json, size_t len,
    struct gw_notice *out, const char **mchid, const char **appid, char *err, size_t errlen);

/*
 * wechat_parse_notify - parse a notification body (§6.4), decrypt its
 * resource with the APIv3 @key (@keylen 32, or 16 for the SDK vectors),
 * and fill @ev and @out.  For a resource of original_type "transaction"
 * the notice comes from wechat_transaction_notice(); any other event is
 * GW_IGNORED.  out->event_id = the notification id.  Does not check the
 * signature: call wechat_verify_signature() first.
 * Returns 0, or -1 with a reason in @err (malformed JSON, algorithm other
 * than AEAD_AES_256_GCM, bad base64, tag mismatch).
 */
int wechat_parse_notify(arena_t *a, const char *body, size_t len,
    const unsigned char *key, size_t keylen, struct wechat_event *ev, struct gw_notice *out,
    char *err, size_t errlen);

#endif
