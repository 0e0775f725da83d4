/*
 * orders.h - orders: fee arithmetic, the state machine, and the lifecycle
 * steps that move escrow (sql/0015_orders.sql).
 *
 * Money is int64_t minor units of the order's currency; no floating point
 * anywhere.  Rounding rule (stated once, tested in tests/unit/test_orders.c):
 * a percentage of an amount is amount * bps / 10000 rounded half up to the
 * minor unit (ties go up: 0.5 cent -> 1 cent), computed in 64-bit integers.
 *
 * Handlers live in orders.c (checkout is in src/payments), the order room
 * in room.c, the lifecycle in lifecycle.c, SQL in orders_db.c.
 */
#ifndef SOUK_ORDERS_ORDERS_H
#define SOUK_ORDERS_ORDERS_H

#include <stdint.h>

#include "core/config.h"
#include "db/db.h"
#include "http/router.h"

enum {
	ORDERS_OK = 0,
	ORDERS_ECONFLICT = -409,	/* transition not allowed from the current state */
	ORDERS_ENOTFOUND = -404,
	ORDERS_EINVALID = -422,
};

/*
 * orders_bps - @amount_minor * @bps / 10000, rounded half up.
 * @amount_minor >= 0, 0 <= @bps <= 10000.  Returns the share in minor units.
 */
int64_t orders_bps(int64_t amount_minor, int bps);

/*
 * orders_buyer_fee - the buyer service fee on @subtotal_minor in @currency:
 * cfg->buyer_fee_bps of it, plus the small-order fee of that currency when
 * the subtotal is below its threshold.  Returns the fee, or -1 for an
 * unknown currency.
 */
int64_t orders_buyer_fee(const struct souk_config *cfg, const char *currency,
    int64_t subtotal_minor);

/*
 * orders_seller_net - what the seller earns on @subtotal_minor after the
 * seller fee of @seller_fee_bps (rounded half up, taken from the seller).
 */
int64_t orders_seller_net(int64_t subtotal_minor, int seller_fee_bps);

/*
 * orders_transition_allowed - 1 when @from -> @to is in the state machine
 * (the same table as order_state_transitions in SQL), else 0.
 */
int orders_transition_allowed(const char *from, const char *to);

/*
 * orders_transition - move order @order_id from @from to @to, only if it
 * is in @from now (UPDATE ... WHERE state = @from).  Inside the caller's
 * transaction.  Returns ORDERS_OK, ORDERS_ECONFLICT (not in @from, or the
 * move is not allowed) or a DB_* error.
 */
int orders_transition(db_t *db, long long order_id, const char *from, const char *to);

/*
 * orders_event - append to the order's timeline.  @actor_id 0 = the
 * system; @data a JSON object text or NULL.  Writes the new event id to
 * @event_id when not NULL.  Returns DB_OK or a DB_* error.
 */
int orders_event(db_t *db, long long order_id, long long actor_id, const char *kind,
    const char *body, const char *data, long long *event_id);

/*
 * orders_complete - delivered -> completed: release the escrow (seller
 * net to pending, fees to platform revenue) and schedule clearance after
 * cfg->clearance_days (clearance_days_top for top-rated sellers).
 * @actor_id 0 = auto-completion by souk-worker.  Refused with
 * ORDERS_ECONFLICT when the order is disputed or not delivered.
 * Runs inside the caller's transaction.
 */
int orders_complete(db_t *db, const struct souk_config *cfg, long long order_id,
    long long actor_id);

/*
 * orders_cancel - cancel the order and refund everything held in its
 * escrow: a refunds row, a ledger posting, and a "refund" job that calls
 * the gateway's refund API (or, for a gateway without one, the money goes
 * to buyer credit at once).  @actor_id 0 = the system; @reason shown on
 * the timeline.  Runs inside the caller's transaction.
 * Returns ORDERS_OK, ORDERS_ECONFLICT (already completed/cancelled) or a DB_* error.
 */
int orders_cancel(db_t *db, const struct souk_config *cfg, long long order_id,
    long long actor_id, const char *reason);

/* The order room's routes (room.c), for src/web/app.c. */
extern const route_t orders_routes[];
extern const size_t orders_nroutes;

#endif
