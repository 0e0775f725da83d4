/*
 * ozow.h - the Ozow protocol as pure functions (no network): the SHA-512
 * HashCheck of a payment request, the notification Hash, and the parsing
 * of the transaction status API's answer, following
 * ../shared/docs/payment-gateways.md §2.  The adapter (gateway_ozow in
 * ozow.c) uses them; unit tests and the fuzz target call them directly.
 *
 * Memory: strings returned live in the arena passed in.  Hashes are
 * written into caller buffers of OZOW_HASH_SIZE bytes: 128 lower-case hex
 * characters of SHA-512 and a NUL.
 */
#ifndef SOUK_PAYMENTS_OZOW_H
#define SOUK_PAYMENTS_OZOW_H

#include <stddef.h>

#include "payments/gateway.h"

#define OZOW_HASH_SIZE 129

/*
 * ozow_hash - the Ozow hash (§2.2 HashCheck, §2.3 notification Hash,
 * §2.6 refund HashCheck): the @n @values (NULL counts as "") concatenated
 * without separators, then @private_key, the whole string lower-cased
 * (ASCII), SHA-512, lower-case hex into @out.
 */
void ozow_hash(const char *const *values, size_t n, const char *private_key,
    char out[OZOW_HASH_SIZE]);

/*
 * ozow_request_fields - the form the browser POSTs to cfg->ozow_pay_url
 * to start @p (§2.2), in hash order: SiteCode (cfg->ozow_site_code),
 * CountryCode "ZA", CurrencyCode "ZAR", Amount (major units, two
 * decimals), TransactionReference (= p->reference), BankReference (the
 * reference with every character outside [A-Za-z0-9 -] as '-', at most 20
 * bytes), Customer (p->buyer_name, omitted when empty, <= 100 bytes),
 * CancelUrl, ErrorUrl (both p->cancel_url), SuccessUrl (p->return_url),
 * NotifyUrl, IsTest ("true" when cfg->gateway_test_mode, else "false"),
 * then HashCheck (key cfg->ozow_private_key).  Fills @out (post = 1).
 * Returns GW_OK, GW_EUNSUPPORTED (currency not ZAR, amount <= 0, a URL
 * longer than 150 bytes, reference longer than 50) or GW_ECONFIG (site
 * code, private key or pay URL missing), with @err set.
 */
int ozow_request_fields(arena_t *a, const struct souk_config *cfg,
    const struct gw_payment *p, struct gw_start *out, char *err, size_t errlen);

/* The parts of a notification (§2.3) after the Hash matched. */
struct ozow_notify {
	const char *site_code;
	const char *transaction_id;
	const char *reference;		/* TransactionReference */
	const char *amount;		/* as posted: "1500.00" */
	const char *status;		/* Complete, Cancelled, Error, Abandoned,
					 * PendingInvestigation, Pending */
	const char *currency;		/* CurrencyCode */
	int is_test;			/* IsTest true/True; missing = false */
};

/*
 * ozow_status - map an Ozow status word (§2.3; compared ignoring case) to
 * enum gw_status: Complete -> GW_PAID, Cancelled and Abandoned ->
 * GW_CANCELLED, Error -> GW_FAILED, Pending and PendingInvestigation ->
 * GW_PENDING, anything else GW_IGNORED.
 */
enum gw_status ozow_status(const char *word);

/*
 * ozow_notify_check - parse and check one notification body (§2.3), the
 * parts that need no network.
 * @body/@len: the raw application/x-www-form-urlencoded body.
 * @private_key: the site's PrivateKey.
 * @site_code: ours; when not NULL/"" the notification's SiteCode must
 *	equal it.
 * @n: if not NULL, receives the fields (strings in @a).
 * @out: on GW_OK, event_id = TransactionId ":" Status, reference =
 *	TransactionReference, gateway_txn_id = TransactionId, status by
 *	ozow_status(), status_word = Status, amount_minor from Amount,
 *	currency = CurrencyCode.
 * Returns GW_OK, or GW_EREJECT (malformed body, a repeated field,
 * TransactionId/TransactionReference/Amount/Status missing, a bad
 * amount, a Hash that does not match in constant time ignoring case,
 * another site) with a one-line reason in @err.
 */
int ozow_notify_check(arena_t *a, const char *body, size_t len, const char *private_key,
    const char *site_code, struct ozow_notify *n, struct gw_notice *out,
    char *err, size_t errlen);

/*
 * ozow_transaction_parse - read the answer of GetTransaction or
 * GetTransactionByReference (§2.4): a JSON object, or an array of them.
 * @transaction_id: when not NULL/"", the element whose transactionId
 *	equals it (ignoring case) is taken; otherwise the first element with
 *	status Complete, else the first element.
 * @out: event_id = transactionId ":" status, reference =
 *	transactionReference, gateway_txn_id = transactionId, status,
 *	status_word, amount_minor from amount (a JSON number or string,
 *	read from its literal text, never through a double), currency NULL.
 * Returns GW_OK, or GW_EREJECT (not JSON, no matching element, missing
 * transactionId/status, bad amount) with @err set.
 */
int ozow_transaction_parse(arena_t *a, const char *json, size_t len,
    const char *transaction_id, struct gw_notice *out, char *err, size_t errlen);

#endif
