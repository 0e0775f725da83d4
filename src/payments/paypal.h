/*
 * paypal.h - the pure parts of PayPal webhooks, as written in
 * ../shared/docs/payment-gateways.md §4: the postback body of
 * /v1/notifications/verify-webhook-signature with the raw event spliced
 * in, the offline signing string with its CRC32, and the mapping of
 * webhook events to a notice.
 *
 * Nothing here talks to the network; paypal.c's gateway_paypal does the
 * calls.  Strings returned live in the arena passed in.
 */
#ifndef SOUK_PAYMENTS_PAYPAL_H
#define SOUK_PAYMENTS_PAYPAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/arena.h"
#include "payments/gateway.h"

/* The PAYPAL-* headers of a webhook delivery (§4); any may be NULL. */
struct paypal_headers {
	const char *transmission_id;	/* PAYPAL-TRANSMISSION-ID */
	const char *transmission_time;	/* PAYPAL-TRANSMISSION-TIME */
	const char *transmission_sig;	/* PAYPAL-TRANSMISSION-SIG, base64 */
	const char *cert_url;		/* PAYPAL-CERT-URL */
	const char *auth_algo;		/* PAYPAL-AUTH-ALGO, "SHA256withRSA" */
};

/*
 * paypal_crc32 - the standard (zlib/IEEE 802.3, reflected 0xEDB88320)
 * CRC-32 of @len bytes at @p (§4 offline method).
 */
uint32_t paypal_crc32(const void *p, size_t len);

/*
 * paypal_signing_string - the §4 offline message
 * transmission_id|transmission_time|webhook_id|crc32(raw body), the CRC
 * as unsigned decimal.  Returns it in @a.
 */
const char *paypal_signing_string(arena_t *a, const char *transmission_id,
    const char *transmission_time, const char *webhook_id, const char *body, size_t len);

/*
 * paypal_verify_offline - check PAYPAL-TRANSMISSION-SIG (@sig_b64) over
 * paypal_signing_string() with the public @key of PayPal's certificate
 * (SHA256withRSA, PKCS#1 v1.5; §4 method 2).  The caller fetches and
 * validates the certificate.  Returns 1 valid, 0 not.
 */
int paypal_verify_offline(arena_t *a, EVP_PKEY *key, const struct paypal_headers *h,
    const char *webhook_id, const char *body, size_t len);

/*
 * paypal_verify_request - the JSON body to POST to
 * /v1/notifications/verify-webhook-signature (§4 method 1): the header
 * values and @webhook_id as JSON strings and "webhook_event" as the raw
 * @body text spliced in byte for byte (never re-serialised).
 * Returns the body in @a, or NULL when a header is missing or not UTF-8,
 * or @body is not one JSON object (or holds a NUL byte).
 */
const char *paypal_verify_request(arena_t *a, const struct paypal_headers *h,
    const char *webhook_id, const char *body, size_t len);

/*
 * paypal_verify_answer - 1 when the verify-webhook-signature answer
 * (@len bytes of JSON) says "verification_status":"SUCCESS", else 0.
 */
int paypal_verify_answer(const char *resp, size_t len);

/*
 * paypal_parse_event - map a webhook event (@len bytes of raw JSON) to a
 * notice: event_id = the event id (WH-...).
 * PAYMENT.CAPTURE.COMPLETED -> GW_PAID, PAYMENT.CAPTURE.PENDING ->
 * GW_PENDING, PAYMENT.CAPTURE.DENIED/DECLINED -> GW_FAILED, with
 * reference = resource.custom_id, gateway_txn_id = resource.id (the
 * capture), amount_minor/currency from resource.amount.value (dollars ->
 * cents) and currency_code; CHECKOUT.ORDER.APPROVED -> GW_PENDING with the
 * order's id and purchase_units[0].custom_id; every other event ->
 * GW_IGNORED.  Does not check the signature.
 * Returns 0, or -1 with a reason in @err (not JSON, no id or event_type,
 * a capture event without custom_id or a valid amount).
 */
int paypal_parse_event(arena_t *a, const char *body, size_t len, struct gw_notice *out,
    char *err, size_t errlen);

#endif
