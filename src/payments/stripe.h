/*
 * stripe.h - the Stripe protocol as pure functions (no network): the
 * Stripe-Signature webhook check, the event and PaymentIntent parsers,
 * the form encoding of API calls and the redirect to the hosted
 * confirmation page, following ../shared/docs/payment-gateways.md §3.
 * The adapter (gateway_stripe in stripe.c) uses them; unit tests and the
 * fuzz target call them directly.
 *
 * Memory: strings returned live in the arena passed in.
 */
#ifndef SOUK_PAYMENTS_STRIPE_H
#define SOUK_PAYMENTS_STRIPE_H

#include <stddef.h>
#include <time.h>

#include "payments/gateway.h"

/* 64 lower-case hex characters of HMAC-SHA256 and a NUL. */
#define STRIPE_SIG_SIZE 65
/* Seconds a webhook timestamp may be away from now, either way (§3.1). */
#define STRIPE_TOLERANCE 300

/*
 * stripe_signature_hex - hex(HMAC-SHA256(key = @secret, the whole string
 * including "whsec_"), message = @t "." @body)) into @out (§3.1 steps 2-3).
 * @t is the timestamp exactly as in the header; @body the raw bytes.
 */
void stripe_signature_hex(const char *secret, const char *t, const char *body, size_t len,
    char out[STRIPE_SIG_SIZE]);

/*
 * stripe_signature_check - verify a Stripe-Signature header (§3.1).
 * @header: "t=<digits>,v1=<hex>[,v1=...][,v0=...]"; items split at the
 *	first '='; exactly one t; every v1 is collected, other schemes
 *	ignored.
 * @body/@len: the raw request body.
 * @secrets: comma-separated endpoint secrets (rotation: any may sign;
 *	spaces around items ignored).
 * @now: the current time, Unix seconds.
 * @tolerance: seconds; |now - t| > @tolerance fails (either direction);
 *	<= 0 skips the time check (the SDKs' convention, for tests).
 * Accepts when any v1 equals the HMAC under any secret; every comparison
 * is constant time on equal lengths.
 * Returns GW_OK, GW_ECONFIG (no secret configured) or GW_EREJECT (no or
 * malformed header, no v1, no match, outside the tolerance), @err set.
 */
int stripe_signature_check(const char *header, const char *body, size_t len,
    const char *secrets, time_t now, long tolerance, char *err, size_t errlen);

/*
 * stripe_event_parse - read a verified webhook event (§3.1, §3.3).
 * @out: event_id = the event's id (evt_...), status_word = its type,
 *	status: payment_intent.succeeded -> GW_PAID,
 *	payment_intent.payment_failed -> GW_FAILED, payment_intent.canceled
 *	-> GW_CANCELLED, any other type -> GW_IGNORED; gateway_txn_id =
 *	data.object.id, amount_minor = data.object.amount (-1 when absent),
 *	currency = data.object.currency upper-cased, reference =
 *	data.object.metadata.reference.  A payment_intent event without
 *	metadata.reference is not ours: GW_IGNORED.
 * Returns GW_OK, or GW_EREJECT (not a JSON object, duplicate keys, no
 * id/type/data.object, a payment_intent event without an integer amount
 * >= 0 or a currency) with @err set.
 */
int stripe_event_parse(arena_t *a, const char *body, size_t len, struct gw_notice *out,
    char *err, size_t errlen);

/*
 * stripe_intent_parse - read a PaymentIntent object (the answer of
 * create and retrieve).  @out: gateway_txn_id = id, event_id = id ":"
 * status, status_word = status; status succeeded -> GW_PAID, canceled ->
 * GW_CANCELLED, requires_payment_method after a failed attempt
 * (last_payment_error set) -> GW_FAILED, others GW_PENDING; amount_minor,
 * currency (upper-cased), reference = metadata.reference (or NULL).
 * @client_secret: if not NULL, gets client_secret (or NULL).
 * Returns GW_OK or GW_EREJECT (not an object, no id/status/amount).
 */
int stripe_intent_parse(arena_t *a, const char *json, size_t len, struct gw_notice *out,
    const char **client_secret, char *err, size_t errlen);

/*
 * stripe_form - @n name/value pairs as an application/x-www-form-urlencoded
 * body (names and values percent-encoded, "metadata[reference]" style
 * names included), pairs with a NULL value left out.  Returns it in @a.
 */
const char *stripe_form(arena_t *a, const struct gw_field *f, size_t n);

/*
 * stripe_pay_redirect - the browser's URL on the hosted confirmation page:
 * @pay_url "?payment_intent=<id>&client_secret=<secret>&return_url=<enc>
 * &cancel_url=<enc>" ('&' instead of '?' when @pay_url has a query).
 * Returns it in @a.
 */
const char *stripe_pay_redirect(arena_t *a, const char *pay_url, const char *intent_id,
    const char *client_secret, const char *return_url, const char *cancel_url);

#endif
