/*
 * payfast.h - the PayFast protocol as pure functions (no network): the
 * checkout signature, the ITN signature and checks, and the REST API
 * signature, following ../shared/docs/payment-gateways.md §1.  The
 * adapter (gateway_payfast in payfast.c) uses them; unit tests and the
 * fuzz target call them directly.
 *
 * Memory: strings returned live in the arena passed in.  Signatures are
 * written into caller buffers of PAYFAST_SIG_SIZE bytes: 32 lower-case hex
 * characters of MD5 and a NUL.
 */
#ifndef SOUK_PAYMENTS_PAYFAST_H
#define SOUK_PAYMENTS_PAYFAST_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "http/parse.h"
#include "payments/gateway.h"

#define PAYFAST_SIG_SIZE 33

/*
 * payfast_urlencode - append the @len bytes at @s to @out encoded exactly
 * like PHP urlencode() (§1.3 step 3): A-Z a-z 0-9 - _ . kept, space as
 * '+', every other byte as %XX with upper-case hex.
 */
void payfast_urlencode(buf_t *out, const char *s, size_t len);

/*
 * payfast_checkout_signature - the checkout/onsite signature (§1.3).
 * @fields: name/value pairs, signed in the order given, which must be
 *	the §1.2 order (PayFast fails a payment whose signed fields are out
 *	of that order); names not in the §1.2 list (signature, setup,
 *	source, ...) are left out, as the official SDK's Auth.php does.  A
 *	value that is "" is skipped ("0" is not); values are PHP-trimmed
 *	and urlencoded.
 * @passphrase: appended as "&passphrase=..." (trimmed) when not NULL/"".
 * @sig: receives the MD5 as 32 lower-case hex characters and a NUL.
 */
void payfast_checkout_signature(const struct gw_field *fields, size_t n,
    const char *passphrase, char sig[PAYFAST_SIG_SIZE]);

/*
 * payfast_checkout_fields - the form the browser POSTs to
 * cfg->payfast_process_url to start @p (§1.2): merchant_id, merchant_key,
 * return_url, cancel_url, notify_url, name_first, name_last,
 * email_address, m_payment_id (= p->reference), amount (major units, two
 * decimals), item_name (<= 100 bytes, cut at a UTF-8 boundary), in that
 * order, empty ones left out, values trimmed, then signature (passphrase
 * cfg->payfast_passphrase).  Fills @out (post = 1) in @a.
 * Returns GW_OK, GW_EUNSUPPORTED (currency not ZAR, amount <= 0) or
 * GW_ECONFIG (merchant id/key or process URL missing), with @err set.
 */
int payfast_checkout_fields(arena_t *a, const struct souk_config *cfg,
    const struct gw_payment *p, struct gw_start *out, char *err, size_t errlen);

/*
 * payfast_itn_param_string - the ITN parameter string (§1.5): every pair
 * of @itn in received order up to and excluding "signature", empty values
 * included, each value re-encoded with payfast_urlencode, joined by '&',
 * without the passphrase.  This is also the body POSTed to
 * /eng/query/validate.  Returns the string in @a.
 */
const char *payfast_itn_param_string(arena_t *a, const kvlist_t *itn);

/*
 * payfast_itn_signature - MD5 (lower-case hex) of the ITN parameter
 * string plus "&passphrase=" + urlencode(passphrase) when @passphrase is
 * not NULL/"" (§1.5).  @sig as for payfast_checkout_signature.
 */
void payfast_itn_signature(arena_t *a, const kvlist_t *itn, const char *passphrase,
    char sig[PAYFAST_SIG_SIZE]);

/*
 * payfast_itn_check - parse and check one ITN body, the parts that need
 * no network (§1.5 checks 1 and 3's merchant_id).
 * @body/@len: the raw application/x-www-form-urlencoded body.
 * @passphrase: the account passphrase, or NULL/"".
 * @merchant_id: ours; when not NULL/"" the ITN's merchant_id must equal it.
 * @out: on GW_OK, event_id = pf_payment_id ":" payment_status, reference =
 *	m_payment_id, gateway_txn_id = pf_payment_id, status (COMPLETE ->
 *	GW_PAID, CANCELLED -> GW_CANCELLED, FAILED -> GW_FAILED, PENDING ->
 *	GW_PENDING, anything else GW_IGNORED), status_word = payment_status,
 *	amount_minor from amount_gross, currency NULL (PayFast does not
 *	state it; it is always ZAR).
 * @validate_body: if not NULL, gets the body for /eng/query/validate.
 * Returns GW_OK, or GW_EREJECT (malformed body, repeated field, missing
 * field, bad amount, signature mismatch compared in constant time,
 * foreign merchant) with a one-line reason in @err.
 */
int payfast_itn_check(arena_t *a, const char *body, size_t len, const char *passphrase,
    const char *merchant_id, struct gw_notice *out, const char **validate_body,
    char *err, size_t errlen);

/*
 * payfast_validate_answer - 1 when the answer body of /eng/query/validate
 * is "VALID" once surrounding whitespace and CR/LF are trimmed, else 0
 * (§1.5 check 4).
 */
int payfast_validate_answer(const char *body, size_t len);

/*
 * payfast_api_signature - the REST API signature (§1.7): the pairs of
 * @fields (headers merchant-id, version, timestamp, every body and query
 * field) plus passphrase, sorted byte-wise by name, empty values skipped,
 * values urlencoded as in §1.3, joined by '&', MD5 lower-case hex.
 */
void payfast_api_signature(const struct gw_field *fields, size_t n,
    const char *passphrase, char sig[PAYFAST_SIG_SIZE]);

/*
 * payfast_api_timestamp - @t (Unix seconds) as the API's ISO-8601
 * timestamp in South African time, e.g. "2025-01-15T10:00:00+02:00".
 * Returns the string in @a.
 */
const char *payfast_api_timestamp(arena_t *a, time_t t);

#endif
