/*
 * orders.h - orders: fee arithmetic, the state machine, and the lifecycle
 * steps that move escrow (sql/0015_orders.sql).
 *
 * Money is int64_t minor units of the order's currency; no floating point
 * anywhere.  Rounding rule (stated once, tested in tests/unit/test_orders.c):
 * a percentage of an amount is amount * bps / 10000 rounded half up to the
 * minor unit (ties go up: 0.5 cent -> 1 cent), computed in 64-bit integers.
 *
 * Checkout is in src/payments; here: the order room's handlers in room.c
 * (routes below), the lifecycle in lifecycle.c, SQL in orders_db.c, PDF
 * receipts in receipt.c, fees and the state table in fees.c.  Schema:
 * sql/0015_orders.sql and sql/0017_order_room.sql.  The order of an
 * accepted custom offer (sql/0027_crm_tools.sql, src/crm/offers.c) has
 * package_tier 'custom' and may have no gig (gig_id NULL, 0 in the JSON
 * rows below; the room's gig_url then leads to the offer's conversation).
 */
#ifndef SOUK_ORDERS_ORDERS_H
#define SOUK_ORDERS_ORDERS_H

#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
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
 * orders_jstr - string member @k of the JSON object @o (a row the queries
 * below return); "" when it is missing or not a string.  The text is
 * borrowed from @o.  orders_jint - integer member @k, 0 when missing.
 */
const char *orders_jstr(const json_t *o, const char *k);
long long orders_jint(const json_t *o, const char *k);

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

/*
 * orders_refund_payment - send one paid payment of order @order_id back,
 * the way orders_cancel() refunds each payment, without touching the
 * order's state: the gateway part (@amount_minor, minor units of @currency)
 * as a refunds row (idempotency key "refund:<payment_id>"), ledger_refund()
 * and a "refund" job when @gateway has a refund API, else straight to buyer
 * credit; the credit part (@credit_minor) back to buyer credit; a
 * "refunded" timeline event for each.  A payment refunded before is left
 * alone.  Runs inside the caller's transaction, after ledger_payment() put
 * the money into the escrow.  Returns DB_OK or a DB_* / LEDGER_* error.
 */
int orders_refund_payment(db_t *db, long long order_id, long long payment_id,
    const char *gateway, long long buyer_id, const char *currency, int64_t amount_minor,
    int64_t credit_minor);

/*
 * orders_paid - payment @payment_id of order @order_id is confirmed and
 * its ledger posting done (by src/payments): awaiting_payment ->
 * awaiting_requirements, or straight on to in_progress (due date set) when
 * the gig asks no requirements; timeline events and mails to both sides.
 * Runs inside the caller's transaction.  Returns ORDERS_OK,
 * ORDERS_ECONFLICT (the order is no longer awaiting payment) or a DB_* error.
 */
int orders_paid(db_t *db, const struct souk_config *cfg, long long order_id,
    long long payment_id);

/*
 * orders_change_order_paid - change order @change_order_id is paid into
 * its order's escrow: state 'paid', due date pushed by its added days, a
 * delivered order goes back to in_progress (an extra revision instead
 * adds to the revisions allowed, and the buyer then asks for it), timeline
 * event.  Inside the caller's transaction.  Returns ORDERS_OK,
 * ORDERS_ECONFLICT (not accepted, or the order is finished),
 * ORDERS_ENOTFOUND or a DB_* error.
 */
int orders_change_order_paid(db_t *db, const struct souk_config *cfg,
    long long change_order_id, long long payment_id);

/*
 * orders_set_disputed - staff set or clear the disputed flag: a disputed
 * order is never released nor auto-completed.  Timeline event by
 * @actor_id.  Returns ORDERS_OK, ORDERS_ENOTFOUND or a DB_* error.
 */
int orders_set_disputed(db_t *db, long long order_id, int disputed, long long actor_id);

/*
 * orders_sweep - souk-worker's periodic pass (and soukctl's): completes
 * delivered orders whose auto_complete_at (souk_now()) passed and that are
 * not disputed; cancels orders whose cancellation request expired
 * unanswered.  Each order in its own transaction.  *@done gets how many
 * orders changed.  Returns 0, or a DB_* error.
 */
int orders_sweep(db_t *db, const struct souk_config *cfg, int *done);

/*
 * orders_notify - queue the "order_update" mail (templates/mail/) about
 * order @order_id to the buyer with flag @buyer_what and to the seller
 * with flag @seller_what (NULL = not that side), e.g. "delivered";
 * @reason (may be NULL) is quoted in the mail.  Inside the caller's
 * transaction (outbox).  Returns DB_OK or a DB_* error.
 */
int orders_notify(db_t *db, const struct souk_config *cfg, long long order_id,
    const char *buyer_what, const char *seller_what, const char *reason);

/*
 * Delivery time.  orders.delivery_days is the whole delivery time frozen at
 * checkout (the package's days, or the fast-delivery extra's days instead,
 * plus every other extra's added_days x quantity).  The due date is
 * requirements_at + delivery_days days, pushed by accepted extensions and
 * paid change orders.
 */

/* Limits of the order room's text fields, in code points. */
#define ORDERS_MESSAGE_MAX	5000
#define ORDERS_REASON_MAX	1000
#define ORDERS_ANSWER_MAX	5000
#define ORDERS_CHANGE_DESC_MAX	2000

/* A buyer may cancel alone this long after the due date passed, seconds. */
#define ORDERS_LATE_CANCEL_S	(24 * 3600)

/* ==== queries (orders_db.c: SQL only; every function runs in the
 * caller's transaction when there is one; JSON results are new
 * references the caller json_decref()s; DB_OK, DB_ENOROW, DB_ERROR or
 * DB_EDOWN unless said otherwise) ==== */

/*
 * orders_db_lock - lock order @order_id FOR UPDATE; @out gets {id,
 * buyer_id, seller_id, gig_id, state, currency, subtotal_minor,
 * total_minor, seller_fee_bps, delivery_days, revisions_allowed,
 * revisions_used, disputed, requirements_done, overdue_24h, gig_title}.
 */
int orders_db_lock(db_t *db, long long order_id, json_t **out);

/* orders_db_set_state - UPDATE ... SET state = @to WHERE state = @from; DB_ENOROW when not in @from. */
int orders_db_set_state(db_t *db, long long order_id, const char *from, const char *to);

/* orders_db_event - insert a timeline event (see orders_event). */
int orders_db_event(db_t *db, long long order_id, long long actor_id, const char *kind,
    const char *body, const char *data, long long *event_id);

/* orders_db_requirement_count - how many questions the order's gig asks, into *@n. */
int orders_db_requirement_count(db_t *db, long long order_id, long long *n);

/* orders_db_start - requirements_at = souk_now(), due_at = souk_now() + delivery_days days. */
int orders_db_start(db_t *db, long long order_id);

/* orders_db_delivered - delivered_at = souk_now(), auto_complete_at = souk_now() + @auto_days days. */
int orders_db_delivered(db_t *db, long long order_id, int auto_days);

/* orders_db_revision_used - revisions_used + 1 and no auto-completion. */
int orders_db_revision_used(db_t *db, long long order_id);

/* orders_db_unschedule - auto_complete_at = NULL (the order went back to work). */
int orders_db_unschedule(db_t *db, long long order_id);

/* orders_db_push_due - due_at + @days days (or delivery_days + @days before the due date is set). */
int orders_db_push_due(db_t *db, long long order_id, int days);

/*
 * orders_db_release_terms - what a release needs: @base_minor = subtotal
 * plus the paid change orders' amounts, @top = 1 when the seller is
 * top-rated (profiles.seller_level).
 */
int orders_db_release_terms(db_t *db, long long order_id, int64_t *base_minor, int *top);

/* orders_db_completed - completed_at = souk_now(), and the seller_clearances row. */
int orders_db_completed(db_t *db, long long order_id, long long seller_id, const char *currency,
    int64_t net_minor, int clearance_days);

/*
 * orders_db_paid_payments - the order's paid payments not refunded yet:
 * JSON array of {id, gateway, amount_minor, credit_minor, buyer_id}.
 */
int orders_db_paid_payments(db_t *db, long long order_id, json_t **out);

/*
 * orders_db_refund_add - insert a refunds row (@method "gateway" or
 * "credit", @state "requested" or "succeeded") under @idem_key and count
 * it in payments.refunded_minor; *@refund_id gets its id.  DB_ENOROW when
 * the key exists already (nothing written).
 */
int orders_db_refund_add(db_t *db, long long order_id, long long payment_id,
    int64_t amount_minor, const char *currency, const char *method, const char *state,
    const char *idem_key, long long *refund_id);

/* orders_db_cancelled - cancelled_at, cancel_reason; open payments, change
 * orders, extensions and cancellation requests closed. */
int orders_db_cancelled(db_t *db, long long order_id, const char *reason);

/* orders_db_parties - {order_id, gig_title, buyer: {id, email, handle, lang}, seller: {...}}. */
int orders_db_parties(db_t *db, long long order_id, json_t **out);

/* orders_db_change_order_lock - {id, order_id, state, amount_minor, added_days, description} FOR UPDATE. */
int orders_db_change_order_lock(db_t *db, long long change_order_id, json_t **out);

/* orders_db_change_order_set - state @from -> @to (decided_at); DB_ENOROW when not in @from. */
int orders_db_change_order_set(db_t *db, long long change_order_id, const char *from,
    const char *to);

/* orders_db_sweep_due - up to 200 ids to sweep: @completions (delivered,
 * auto_complete_at passed, not disputed) and @cancellations (expired
 * requests): JSON arrays of ids. */
int orders_db_sweep_due(db_t *db, json_t **completions, json_t **cancellations);

/* orders_db_cancellation_expire - request @id -> expired when it is still
 * open and past expires_at; *@order_id and @reason (in @a) of it. */
int orders_db_cancellation_expire(db_t *db, arena_t *a, long long id, long long *order_id,
    char **reason);

/* orders_db_set_disputed - the flag; DB_ENOROW for no such order. */
int orders_db_set_disputed(db_t *db, long long order_id, int disputed);

/* --- the order room's queries --- */

/*
 * orders_db_room - the room's view model of order @order_id for
 * @viewer_id (amounts formatted for @lang, times in UTC): the order, its
 * parties, questions and answers, timeline events with their files,
 * change orders, the open extension and cancellation requests.
 * DB_ENOROW when there is no such order or the viewer is neither a party
 * nor @staff.
 */
int orders_db_room(db_t *db, long long order_id, long long viewer_id, int staff,
    const char *lang, json_t **out);

/* orders_db_list - @user_id's orders as buyer (@selling 0) or seller: a JSON array. */
int orders_db_list(db_t *db, long long user_id, int selling, const char *lang, json_t **out);

/* orders_db_file_allowed - DB_OK when media @media_id is a file of order
 * @order_id and @user_id is one of its parties (or @staff), else DB_ENOROW. */
int orders_db_file_allowed(db_t *db, long long order_id, long long media_id, long long user_id,
    int staff);

/* orders_db_questions - the gig's requirements: [{n (1-based), question, kind, required, choices}]. */
int orders_db_questions(db_t *db, long long order_id, json_t **out);

/* orders_db_answer_add - one answer (@media_id 0 = no file). */
int orders_db_answer_add(db_t *db, long long order_id, int position, const char *question,
    const char *kind, const char *answer, long long media_id);

/* orders_db_file_add - attach media @media_id to event @event_id. */
int orders_db_file_add(db_t *db, long long order_id, long long event_id, long long media_id);

/* orders_db_change_order_add - a proposed change order; *@id_out gets its id. */
int orders_db_change_order_add(db_t *db, long long order_id, const char *description,
    int64_t amount_minor, int64_t fee_minor, int added_days, long long *id_out);

/* orders_db_add_revisions - revisions_allowed + @n (unless unlimited). */
int orders_db_add_revisions(db_t *db, long long order_id, int n);

/* orders_db_extra_revision_price - the gig's extra_revision extra: price and added days; DB_ENOROW if none. */
int orders_db_extra_revision_price(db_t *db, long long order_id, int64_t *price_minor, int *days);

/*
 * orders_db_extra_revision_add - the buyer buys one extra revision: a
 * change order created 'accepted' (the buyer asked for it) with
 * extra_revisions 1 (sql/0017_order_room.sql), @amount_minor + @fee_minor
 * to pay.  DB_ENOROW when one is already waiting for payment.
 */
int orders_db_extra_revision_add(db_t *db, long long order_id, int64_t amount_minor,
    int64_t fee_minor, int added_days, long long *id_out);

/* orders_db_extension_add - a requested extension; DB_ENOROW when one is open already. */
int orders_db_extension_add(db_t *db, long long order_id, int days, const char *reason,
    long long *id_out);

/* orders_db_extension_decide - open extension @ext_id -> @to; *@days gets its days; DB_ENOROW if not open. */
int orders_db_extension_decide(db_t *db, long long order_id, long long ext_id, const char *to,
    int *days);

/* orders_db_cancellation_add - a cancellation request answered within @hours; DB_ENOROW when one is open. */
int orders_db_cancellation_add(db_t *db, long long order_id, long long user_id, const char *reason,
    int hours, long long *id_out);

/* orders_db_cancellation_decide - open, unexpired request @cid not made by
 * @user_id -> @to; @reason (in @a) of it; DB_ENOROW otherwise. */
int orders_db_cancellation_decide(db_t *db, arena_t *a, long long order_id, long long cid,
    long long user_id, const char *to, char **reason);

/* Results of orders_db_idem_claim (besides DB_* errors). */
enum {
	ORDERS_IDEM_NEW = 10,		/* first use: go on, then orders_db_idem_finish */
	ORDERS_IDEM_REPLAY = 11,	/* done before: answer 303 to *@location */
	ORDERS_IDEM_CONFLICT = 12,	/* running, or used for another request: 409 */
};

/*
 * orders_db_idem_claim - claim idempotency key @key of @user_id for the
 * request @scope + @hash (table idempotency_keys), inside the caller's
 * transaction (a concurrent twin waits for it on the unique key).
 */
int orders_db_idem_claim(db_t *db, arena_t *a, long long user_id, const char *key,
    const char *scope, const char *hash, char **location);

/* orders_db_idem_finish - store the outcome (@status, @location) of a claimed key. */
int orders_db_idem_finish(db_t *db, long long user_id, const char *key, int status,
    const char *location);

/* orders_db_receipt - what the receipt and the invoice print (English formats); DB_ENOROW as orders_db_room. */
int orders_db_receipt(db_t *db, long long order_id, long long viewer_id, int staff, json_t **out);

/* --- receipts (receipt.c) --- */

/* Who issues receipts (the platform), printed on every PDF. */
#define ORDERS_PLATFORM_NAME	"Souk Marketplace (Pty) Ltd"
#define ORDERS_PLATFORM_ADDRESS	"1 Long Street, Cape Town 8001, South Africa"
#define ORDERS_PLATFORM_EMAIL	"billing@souk.invalid"

/*
 * orders_pdf - render the receipt (@invoice 0: from the platform to the
 * buyer: lines, service fee, total, payment method, paid date) or the
 * invoice (@invoice 1: from the seller to the buyer for the service, with
 * the fee lines) of @r (orders_db_receipt) as a PDF with cairo into @out.
 * Returns 0, or -1 when cairo failed.
 */
int orders_pdf(const json_t *r, int invoice, buf_t *out);

/* The order room's routes (room.c), for src/web/app.c. */
extern const route_t orders_routes[];
extern const size_t orders_nroutes;

#endif
