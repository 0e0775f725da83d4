/*
 * payments.h - the buyer's checkout and payment processing (issue 5):
 * the checkout page and its POST, the hand-off to a gateway, the return
 * and cancel pages, gateway notifications (ITN, callbacks, webhooks),
 * paying again for an order or a change order, and the "refund" job.
 *
 * Handlers are in payments.c, SQL in payments_db.c; gateways are called
 * only through src/payments/gateway.h.  Money is int64_t minor units of
 * the order's currency; no floating point.  Tables: sql/0015_orders.sql
 * (orders, payments, idempotency_keys, gateway_notifications,
 * gateway_rejections, refunds) and sql/0016_payments.sql.
 *
 * Routes (the money path contract, /tmp/souk-money-contract.md):
 *   GET  /checkout                     checkout page (query: gig, package, quantity, extra*)
 *   POST /checkout                     fields gig, package, quantity, extra*, gateway,
 *                                      use_credit, idempotency_key, csrf
 *   GET  /payments/{ref}/go            hand-off page (form POST or redirect; WeChat QR)
 *   GET  /payments/{ref}/return        "confirming your payment"; never marks paid
 *   GET  /payments/{ref}/cancel        the payment is cancelled if not paid; try again
 *   POST /payments/notify/{gateway}    notification; no session, no CSRF
 *   POST /orders/{id}/pay              pay an awaiting_payment order again
 *   POST /orders/{id}/change-orders/{cid}/pay   pay an accepted change order
 */
#ifndef SOUK_PAYMENTS_PAYMENTS_H
#define SOUK_PAYMENTS_PAYMENTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/config.h"
#include "db/db.h"
#include "http/router.h"

struct worker_ctx;

/* The route name of POST /payments/notify/{gateway}: src/web/app.c reads
 * neither form nor CSRF token for it (the handler verifies the raw body). */
#define PAYMENTS_NOTIFY_ROUTE "payments.notify"

/* Most units of one package in one order. */
#define PAYMENTS_MAX_QUANTITY 20
/* Most extras chosen in one checkout. */
#define PAYMENTS_MAX_EXTRAS 16
/* Longest delivery time of an order, days (orders.delivery_days). */
#define PAYMENTS_MAX_DAYS 365
/* Attempts of the refund job while the gateway does not answer. */
#define PAYMENTS_REFUND_ATTEMPTS 8

/* The module's routes, for src/web/app.c (listed before the catalog). */
extern const route_t payments_routes[];
extern const size_t payments_nroutes;

/*
 * payments_money - format @minor units of @currency exactly as the SQL
 * function souk_money() does: USD "$1,234.50", CNY "¥1,234.50", ZAR
 * "R 1 234,50", other "1,234.50 XXX".  Returns a string in @a.
 */
const char *payments_money(arena_t *a, int64_t minor, const char *currency);

/*
 * struct payments_quote - what a checkout costs, computed by the server
 * from the database only (payments_quote()).  Amounts in minor units of
 * @currency, days in whole days.
 */
struct payments_quote {
	const char *currency;
	int64_t unit_price_minor;	/* the package's price */
	int quantity;			/* 1 .. PAYMENTS_MAX_QUANTITY */
	int64_t extras_minor;		/* the chosen extras, each counted once */
	int64_t subtotal_minor;		/* unit price * quantity + extras */
	int64_t buyer_fee_minor;	/* orders_buyer_fee() */
	int64_t total_minor;		/* subtotal + buyer fee */
	int delivery_days;		/* package (or fast delivery) + extras' added days */
	int revisions;			/* package revisions + extra revisions; -1 unlimited */
};

/*
 * payments_quote - price a checkout.  @package: the gig_packages row as a
 * JSON object {price_minor, currency, delivery_days, revisions};
 * @extras: the chosen gig_extras rows [{kind, tier, price_minor,
 * added_days}] (already checked to belong to the gig and, for
 * fast_delivery, to the package's @tier); @quantity 1..PAYMENTS_MAX_QUANTITY.
 * Rules: subtotal = price * quantity + sum(extras); a fast_delivery extra
 * replaces the package's delivery days by its own; extra_revision and
 * custom extras add their days; an extra revision adds one revision
 * (unlimited stays unlimited).  Fills @q.  Returns 0, or -1 on an amount
 * out of range (overflow, unknown currency).
 */
int payments_quote(const struct souk_config *cfg, const json_t *package, const json_t *extras,
    int quantity, struct payments_quote *q);

/*
 * payments_confirm - a payment is confirmed (a verified notification whose
 * amount and currency matched, or buyer credit covering everything):
 * payments.state 'paid', paid_at souk_now(), gateway_txn_id (may be NULL),
 * ledger_payment() (the gateway amount through its clearing account, the
 * credit out of the buyer's credit, both into the order's escrow), then
 * orders_paid() for an order payment or orders_change_order_paid() for a
 * change order's.  Runs inside the caller's transaction, on a payment row
 * the caller locked (FOR UPDATE) and found not yet paid.
 * Returns DB_OK, LEDGER_ENOFUNDS (the buyer's credit is gone), an ORDERS_*
 * code, or a DB_* error; on any error the caller rolls back.
 */
int payments_confirm(db_t *db, const struct souk_config *cfg, long long payment_id,
    long long order_id, long long change_order_id, long long buyer_id, const char *gateway,
    const char *currency, int64_t amount_minor, int64_t credit_minor,
    const char *gateway_txn_id);

/*
 * payments_refund_job - the "refund" job (payload {"refund_id": n}),
 * enqueued by orders_cancel() and by a stray payment: the run first claims
 * the refund (payments_db_refund_claim: 'requested' -> 'processing', under
 * the refund's row lock), so only one run at a time calls the gateway; a
 * run that finds it claimed by another retries later (JOB_ERETRY), one that
 * finds it done stops (JOB_OK).  Then the gateway's refund API, outside any
 * transaction, with an idempotency key derived from the refund's own
 * (refunds.idempotency_key with ':' as '-', the same on every attempt, so a
 * gateway that honours it refunds once however often the call is retried),
 * and the outcome from 'processing' only:
 *   GW_OK -> 'succeeded' (gateway_refund_id; payments.refunded_minor +=
 *     amount; an order event);
 *   GW_ETEMP -> back to 'requested', JOB_ERETRY, up to
 *     PAYMENTS_REFUND_ATTEMPTS runs;
 *   a refusal (or no refund API) on the first attempt -> 'failed' and the
 *     money becomes buyer credit (ledger_refund_to_credit) with an order
 *     event;
 *   a refusal after an earlier attempt that may have reached the gateway,
 *     or temporary failures up to the last attempt -> back to 'requested'
 *     with the error, log_error, JOB_EPERM: FINANCE checks the gateway,
 *     because falling back to credit could pay the buyer twice.
 * A claim older than 2 * gateway_timeout + 60 seconds is a crashed run's
 * and is taken over.  Signature of job_handler.run (jobs.h).
 */
int payments_refund_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen);

/* A new order, as frozen at checkout (sql/0015_orders.sql, orders;
 * gig_id 0 = none, for a custom offer's order: sql/0027_crm_tools.sql). */
struct payments_new_order {
	long long buyer_id, seller_id, gig_id;
	const char *package_tier, *package_name, *gig_title;
	int quantity;
	const char *extras_json;	/* [{id, kind, title, price_minor, added_days, quantity}] */
	const char *currency;
	int64_t unit_price_minor, subtotal_minor, buyer_fee_minor, total_minor;
	int seller_fee_bps, delivery_days, revisions_allowed;
};

/*
 * payments_gateways - the gateways that take @currency and can start a
 * payment now, as [{name, label (in the request's language), checked}]
 * for a payment form's radio buttons (the first one checked).  Returns a
 * new reference the caller json_decrefs.
 */
json_t *payments_gateways(struct http_req *req, const char *currency);

/*
 * struct payments_custom - the checkout of an order whose price was not
 * taken from a gig package but decided elsewhere and read by the caller
 * from the database (a custom offer, src/crm/offers.c).  The caller never
 * passes an amount the buyer typed.
 * @order: the order's snapshot: seller_id, gig_id (0 = none),
 *	package_tier ("custom" unless a package), package_name, gig_title,
 *	quantity, extras_json, currency, unit_price_minor, subtotal_minor,
 *	delivery_days, revisions_allowed.  buyer_id (the signed-in user),
 *	buyer_fee_minor (orders_buyer_fee), total_minor and seller_fee_bps
 *	(configuration) are set by payments_checkout_custom.
 * @scope: the idempotency key's scope ([a-z_]{3,40}), e.g. "offer_accept".
 * @request: the request's meaningful fields as text (e.g. the offer id),
 *	hashed with the gateway and credit choice: a key reused for another
 *	request answers 422.
 * @gateway: the gateway chosen ("" when buyer credit covers everything).
 * @use_credit: 1 to use the buyer's Souk credit of @order.currency first.
 * @idem_key: the form's idempotency key ([A-Za-z0-9_-]{16,64}).
 * @expected_total: the total (minor units) the page showed, -1 = not sent;
 *	when it is no longer the total the answer is 422.
 * @attach: called inside the transaction right after the order row is
 *	inserted, with @arg and the new order's id: the caller links and
 *	checks its own rows (e.g. an offer still open -> accepted).  Returns
 *	DB_OK to go on, ORDERS_ECONFLICT to refuse with 409 and
 *	@conflict_message, or a DB_* error; anything but DB_OK rolls
 *	everything back.
 * @conflict_message: the 409 page's text, an N_() msgid (translated there).
 */
struct payments_custom {
	struct payments_new_order order;
	const char *scope;
	const char *request;
	const char *gateway;
	int use_credit;
	const char *idem_key;
	int64_t expected_total;
	int (*attach)(db_t *db, void *arg, long long order_id);
	void *arg;
	const char *conflict_message;
};

/*
 * payments_checkout_custom - POST-side checkout of @c for the signed-in
 * buyer, the same money path as POST /checkout: the buyer fee rules of
 * any order, the idempotency key claimed and its outcome stored in the
 * transaction that inserts the order (awaiting_payment, a "created"
 * event) and its payment (through the chosen gateway of the currency, or
 * confirmed at once when buyer credit covers the total), then 303 to
 * /payments/<ref>/go (or /return for credit).  A replayed key answers its
 * stored outcome.  Refusals are answered as pages: 422 (bad key, no
 * payment method, total changed), 409 (@attach refused, credit changed,
 * a concurrent request), 5xx.  Returns the response status.
 */
int payments_checkout_custom(struct http_req *req, struct payments_custom *c);

/* ==== queries (payments_db.c) ====
 * Each returns DB_OK, DB_ENOROW where said, DB_ERROR (SQLSTATE in
 * db_sqlstate) or DB_EDOWN.  JSON results are new references the caller
 * json_decrefs; strings copied into an arena live as long as it. */

/*
 * payments_db_checkout - an active gig of an active seller for checkout:
 * {gig: {id, seller_id, title, currency, url}, packages: [{tier,
 * tier_label, name, price_minor, price, currency, delivery_days,
 * revisions}], extras: [{id, kind, tier, tier_label, title, price_minor,
 * price, added_days}]} with labels in @lang.  DB_ENOROW: no such active gig.
 */
int payments_db_checkout(db_t *db, long long gig_id, const char *lang, json_t **out);

/*
 * payments_db_idem_claim - insert the idempotency key (@user_id, @key,
 * @scope, @hash) inside the caller's transaction.  *@claimed 1: the key is
 * ours now.  0: it existed (the other request committed, or this waited for
 * it): *@hash_out, *@status (0 while it runs) and *@location tell its
 * outcome (strings in @a).
 */
int payments_db_idem_claim(db_t *db, arena_t *a, long long user_id, const char *key,
    const char *scope, const char *hash, int *claimed, char **hash_out, int *status,
    char **location);

/* payments_db_idem_done - store the outcome (HTTP @status, @location) of the key. */
int payments_db_idem_done(db_t *db, long long user_id, const char *key, int status,
    const char *location);

/* payments_db_order_insert - insert the order (awaiting_payment; gig_id 0 as NULL); *@order_id gets its id. */
int payments_db_order_insert(db_t *db, const struct payments_new_order *o, long long *order_id);

/*
 * payments_db_payment_insert - a payment row in state 'created'.
 * @change_order_id 0 = the order itself.  *@payment_id gets its id.
 */
int payments_db_payment_insert(db_t *db, long long order_id, long long change_order_id,
    long long buyer_id, const char *gateway, const char *currency, int64_t amount_minor,
    int64_t credit_minor, const char *reference, long long *payment_id);

/*
 * payments_db_payment - the payment with reference @ref and its order:
 * {id, order_id, change_order_id (0 = none), buyer_id, seller_id, gateway,
 * currency, amount_minor, credit_minor, state, reference, gateway_txn_id,
 * order_state, gig_title, package_name, buyer_email, buyer_name, total,
 * amount (formatted in @lang)}.  @lock: FOR UPDATE of its order's row, then
 * of the payment row (inside a transaction).  DB_ENOROW: no such payment.
 */
int payments_db_payment(db_t *db, const char *ref, int lock, const char *lang, json_t **out);

/* payments_db_set_pending - created/pending -> pending, keeping @txn_id (NULL: unchanged). */
int payments_db_set_pending(db_t *db, long long payment_id, const char *txn_id);

/* payments_db_set_paid - -> paid at souk_now(), with @txn_id (NULL: unchanged). */
int payments_db_set_paid(db_t *db, long long payment_id, const char *txn_id);

/* payments_db_set_final - created/pending -> @state ('failed' or 'cancelled');
 * a paid payment never goes back.  *@changed 1 when it moved. */
int payments_db_set_final(db_t *db, long long payment_id, const char *state, int *changed);

/*
 * payments_db_notification - store a verified notification under
 * (@gateway, @event_id) unless it is there already: *@inserted 1 for the
 * first time, 0 for a duplicate (nothing written).  @reference links it to
 * the payment when one has it.
 */
int payments_db_notification(db_t *db, const char *gateway, const char *event_id,
    const char *reference, const char *status, const char *remote_addr,
    const char *request_id, const char *body, int *inserted);

/* payments_db_rejection - record a refused notification (autocommit or in a transaction). */
int payments_db_rejection(db_t *db, const char *gateway, const char *reason,
    const char *remote_addr, const char *request_id, const char *body);

/*
 * payments_db_order - order @order_id of buyer @buyer_id for paying it:
 * {id, state, currency, total_minor, gig_title, paid (a payment of it is
 * paid)}.  DB_ENOROW: not this buyer's order.
 */
int payments_db_order(db_t *db, long long order_id, long long buyer_id, json_t **out);

/*
 * payments_db_change_order - change order @cid of order @order_id of buyer
 * @buyer_id: {id, order_id, state, currency, amount_minor,
 * buyer_fee_minor, order_state, paid}.  DB_ENOROW: none such for this buyer.
 */
int payments_db_change_order(db_t *db, long long order_id, long long cid, long long buyer_id,
    json_t **out);

/*
 * payments_db_refund - refund @refund_id with its payment, locked (FOR
 * UPDATE, inside a transaction): {id, order_id, payment_id, buyer_id,
 * amount_minor, currency, method, state, idempotency_key, attempts,
 * gateway, reference, gateway_txn_id, paid_minor}.  DB_ENOROW: no such refund.
 */
int payments_db_refund(db_t *db, long long refund_id, json_t **out);

/*
 * payments_db_refund_claim - claim gateway refund @refund_id for one run of
 * the refund job, in one statement: 'requested' (or a 'processing' claim
 * older than @stale_s seconds: a crashed run's) -> 'processing', attempts
 * + 1.  *@claimed 1 and *@attempts the count when this run has it; 0 when
 * the refund is done or another run holds it.
 */
int payments_db_refund_claim(db_t *db, long long refund_id, int stale_s, int *claimed,
    int *attempts);

/* payments_db_refund_release - 'processing' -> 'requested' with @error, for a
 * later attempt.  *@changed 0 when the claim was no longer ours. */
int payments_db_refund_release(db_t *db, long long refund_id, const char *error, int *changed);

/* payments_db_refund_succeeded - 'processing' -> 'succeeded' with
 * @gateway_refund_id; the payment's refunded_minor grows by the refund's
 * amount.  *@changed 0 (and nothing written) when it was not 'processing'. */
int payments_db_refund_succeeded(db_t *db, long long refund_id, const char *gateway_refund_id,
    int *changed);

/* payments_db_refund_failed - 'processing' -> 'failed' with @error (its
 * money goes to buyer credit through ledger_refund_to_credit, by the caller,
 * only when *@changed is 1). */
int payments_db_refund_failed(db_t *db, long long refund_id, const char *error, int *changed);

/*
 * payments_db_refund_take - FINANCE settles a stuck gateway refund by hand
 * (src/admin/finance.c): 'requested' or 'processing' -> 'processing'
 * without counting an attempt, inside the caller's transaction and under
 * the refund's row lock, so that payments_db_refund_succeeded() or
 * payments_db_refund_failed() (the job's own outcomes) follow in the same
 * transaction.  The caller has checked that no "refund" job for it is
 * queued or running.  *@changed 0 (nothing written) when it is not a
 * gateway refund in one of those states.
 */
int payments_db_refund_take(db_t *db, long long refund_id, int *changed);

/*
 * payments_db_refund_requeue - FINANCE retries a stuck gateway refund: a
 * stale 'processing' claim (or 'requested') -> 'requested', attempts and
 * error kept (so a refusal after this still never becomes credit, and
 * a refund whose attempts ran out gets one gateway call per retry), in
 * the caller's transaction, before it enqueues a fresh "refund" job.
 * *@changed 0 when it is not a gateway refund in those states.
 */
int payments_db_refund_requeue(db_t *db, long long refund_id, int *changed);

/*
 * payments_db_stray - is payment @payment_id stray (sql/0020_stray_payments.sql)?
 * *@stray 1 when its order no longer awaits payment (a change order's: the
 * change order is not 'accepted' or the order not held), or another payment
 * already paid the same order or change order.  Call with the order and
 * payment locked (payments_db_payment with @lock).  DB_ENOROW: no such payment.
 */
int payments_db_stray(db_t *db, long long payment_id, int *stray);

/* payments_db_set_stray - -> paid and stray at souk_now(), with @txn_id (NULL:
 * unchanged); its credit_minor becomes 0 (the buyer's credit was never taken). */
int payments_db_set_stray(db_t *db, long long payment_id, const char *txn_id);

#endif
