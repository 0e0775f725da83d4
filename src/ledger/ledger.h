/*
 * ledger.h - the double-entry ledger (sql/0014_ledger.sql).
 *
 * Every money movement is one ledger transaction whose entries sum to zero
 * per currency (a deferred constraint trigger refuses any other at commit).
 * The accounts and the sign convention are described at the top of
 * sql/0014_ledger.sql: positive = money held in the bucket; only
 * gateway_clearing goes negative.  Balances are always computed from
 * entries (ledger_balance); no code writes a balance.
 *
 * Each posting names its business event (@event_key such as
 * "release:order:42"): posting the same event twice writes nothing the
 * second time and returns LEDGER_DUPLICATE, so a retried job or a
 * replayed notification can never move money twice.
 *
 * All functions must run inside the caller's open transaction (db_begin):
 * the posting commits or rolls back with the business change that caused
 * it.  Amounts are int64_t minor units of @currency ("USD", "ZAR", "CNY").
 *
 * Returns (all functions): LEDGER_OK, LEDGER_DUPLICATE, LEDGER_ENOFUNDS
 * (a debit would take a non-clearing account below zero; SQLSTATE SK402;
 * the caller's transaction is aborted and must roll back), or a DB_* error
 * from src/db/db.h (negative).
 */
#ifndef SOUK_LEDGER_LEDGER_H
#define SOUK_LEDGER_LEDGER_H

#include <stdint.h>

#include "db/db.h"

enum {
	LEDGER_OK = 0,
	LEDGER_DUPLICATE = 1,		/* the event was posted before; nothing written */
	LEDGER_ENOFUNDS = -100,		/* SK402: not enough in the account debited */
};

/* One leg of a posting: the account (kind + owner) and the signed amount. */
struct ledger_leg {
	const char *kind;	/* ledger_accounts.kind */
	long long user_id;	/* owner for seller_* and buyer_credit, else 0 */
	long long order_id;	/* owner for escrow, else 0 */
	const char *gateway;	/* owner for gateway_clearing, else NULL */
	int64_t amount_minor;	/* signed; legs with 0 are skipped */
};

/*
 * ledger_post - post one transaction of @n legs in @currency.
 * @kind: what happened ([a-z_]{3,40}); @order_id/@payment_id/@payout_id:
 * what it belongs to (0 = none); @memo: free text (<= 500 bytes);
 * @event_key: the business event, unique forever.
 * @txn_id: receives the new transaction id (0 on LEDGER_DUPLICATE); may be NULL.
 */
int ledger_post(db_t *db, const char *kind, long long order_id, long long payment_id,
    long long payout_id, const char *memo, const char *event_key, const char *currency,
    const struct ledger_leg *legs, int n, long long *txn_id);

/*
 * ledger_payment - a confirmed payment: @gateway_minor arrives through
 * @gateway's clearing account and @credit_minor comes out of the buyer's
 * credit; both go into the order's escrow.  Event "payment:<payment_id>".
 */
int ledger_payment(db_t *db, long long order_id, long long payment_id, long long buyer_id,
    const char *gateway, const char *currency, int64_t gateway_minor, int64_t credit_minor);

/*
 * ledger_release - an accepted (or auto-completed) order: the escrow's
 * whole @held_minor leaves; @seller_net_minor goes to the seller's pending
 * (clearance) account and the rest (buyer fee + seller fee) to platform
 * revenue.  Event "release:order:<order_id>".
 */
int ledger_release(db_t *db, long long order_id, long long seller_id, const char *currency,
    int64_t held_minor, int64_t seller_net_minor);

/*
 * ledger_clear - the clearance hold has passed: @amount_minor moves from
 * seller pending to seller available.  Event "clear:order:<order_id>".
 */
int ledger_clear(db_t *db, long long order_id, long long seller_id, const char *currency,
    int64_t amount_minor);

/*
 * ledger_refund - money leaves the order's escrow for the buyer: to the
 * original payment method (@to_credit 0: the refunds account) or to the
 * buyer's credit (@to_credit 1).  Event "refund:<refund_id>".
 */
int ledger_refund(db_t *db, long long order_id, long long refund_id, long long buyer_id,
    const char *currency, int64_t amount_minor, int to_credit);

/*
 * ledger_refund_to_credit - a gateway refund that finally failed: what was
 * booked to the refunds account becomes buyer credit instead.
 * Event "refund_fallback:<refund_id>".
 */
int ledger_refund_to_credit(db_t *db, long long order_id, long long refund_id,
    long long buyer_id, const char *currency, int64_t amount_minor);

/*
 * ledger_payout_request - a withdrawal: available -> seller_payout (being
 * paid).  Event "payout_request:<payout_id>".
 */
int ledger_payout_request(db_t *db, long long payout_id, long long seller_id,
    const char *currency, int64_t amount_minor);

/* ledger_payout_paid - seller_payout -> seller_paid_out.  Event "payout_paid:<id>". */
int ledger_payout_paid(db_t *db, long long payout_id, long long seller_id,
    const char *currency, int64_t amount_minor);

/* ledger_payout_returned - a failed or cancelled payout: seller_payout ->
 * available.  Event "payout_returned:<id>". */
int ledger_payout_returned(db_t *db, long long payout_id, long long seller_id,
    const char *currency, int64_t amount_minor);

/*
 * ledger_balance - the balance of one account, from its entries (0 when the
 * account does not exist yet).  Owners as in struct ledger_leg.
 * Returns DB_OK and *@out, or a DB_* error.
 */
int ledger_balance(db_t *db, const char *kind, const char *currency, long long user_id,
    long long order_id, const char *gateway, int64_t *out);

#endif
