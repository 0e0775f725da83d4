/*
 * lifecycle.c - the steps of an order that move it through the state
 * machine and move its escrow (orders.h).  Every function runs inside the
 * caller's transaction, except orders_sweep, which opens one per order.
 * SQL lives in orders_db.c; postings in src/ledger.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "jobs/jobs.h"
#include "ledger/ledger.h"
#include "orders/orders.h"
#include "payments/gateway.h"

/* A DB_* or LEDGER_* code as an ORDERS_* result (SK409 = a refused move). */
static int
db_result(db_t *db, int rc)
{
	if (rc == DB_ERROR && strcmp(db_sqlstate(db), "SK409") == 0)
		return ORDERS_ECONFLICT;
	return rc;
}

int
orders_transition(db_t *db, long long order_id, const char *from, const char *to)
{
	int rc;

	if (!orders_transition_allowed(from, to))
		return ORDERS_ECONFLICT;
	rc = orders_db_set_state(db, order_id, from, to);
	if (rc == DB_ENOROW)
		return ORDERS_ECONFLICT;
	return db_result(db, rc);
}

int
orders_event(db_t *db, long long order_id, long long actor_id, const char *kind,
    const char *body, const char *data, long long *event_id)
{
	return orders_db_event(db, order_id, actor_id, kind, body, data, event_id);
}

/*
 * Whether the notification of sql/0024_notifications.sql already tells
 * @who about @what: its e-mail (immediately, in the daily digest or not at
 * all, as the user chose) replaces this module's own mail then.
 */
static int
covered(const char *who, const char *what)
{
	static const char *const pairs[][2] = {
		{ "seller", "new_order" }, { "seller", "requirements" }, { "buyer", "delivered" },
		{ "seller", "revision" }, { "buyer", "completed" }, { "seller", "completed" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (strcmp(pairs[i][0], who) == 0 && strcmp(pairs[i][1], what) == 0)
			return 1;
	return 0;
}

/*
 * Queue the "order_update" mail about order @o (orders_db_parties) to
 * its @who ("buyer" or "seller") for @what (a flag the template tests:
 * paid, new_order, delivered, ...); @reason may be NULL.
 */
static int
mail(db_t *db, const struct souk_config *cfg, json_t *parties, const char *who,
    const char *what, const char *reason)
{
	json_t *u = json_object_get(parties, who), *data, *p;
	long long id = orders_jint(parties, "order_id");
	char link[512];
	int rc;

	if (u == NULL || orders_jstr(u, "email")[0] == '\0' || covered(who, what))
		return DB_OK;
	snprintf(link, sizeof(link), "%s/orders/%lld", cfg->base_url, id);
	data = json_pack("{s:s, s:s, s:I, s:s, s:b, s:s, s:s}", "handle", orders_jstr(u, "handle"),
	    "title", orders_jstr(parties, "gig_title"), "order_id", (json_int_t)id, "link", link,
	    what, 1, "reason", reason != NULL ? reason : "", "role", who);
	if (data == NULL)
		return DB_ERROR;
	json_object_set_new(data, strcmp(who, "buyer") == 0 ? "to_buyer" : "to_seller",
	    json_true());
	p = json_pack("{s:s, s:s, s:s, s:o}", "template", "order_update",
	    "to", orders_jstr(u, "email"),
	    "lang", orders_jstr(u, "lang")[0] ? orders_jstr(u, "lang") : "en", "data", data);
	if (p == NULL)
		return DB_ERROR;
	rc = jobs_enqueue(db, "mail", p, 0, NULL);
	json_decref(p);
	return rc;
}

/* Mail both sides of order @order_id; @buyer_what/@seller_what NULL = none. */
static int
mail_both(db_t *db, const struct souk_config *cfg, long long order_id, const char *buyer_what,
    const char *seller_what, const char *reason)
{
	json_t *parties = NULL;
	int rc;

	if ((rc = orders_db_parties(db, order_id, &parties)) != DB_OK)
		return rc == DB_ENOROW ? DB_ERROR : rc;
	if (buyer_what != NULL)
		rc = mail(db, cfg, parties, "buyer", buyer_what, reason);
	if (rc == DB_OK && seller_what != NULL)
		rc = mail(db, cfg, parties, "seller", seller_what, reason);
	json_decref(parties);
	return rc;
}

int
orders_notify(db_t *db, const struct souk_config *cfg, long long order_id,
    const char *buyer_what, const char *seller_what, const char *reason)
{
	return mail_both(db, cfg, order_id, buyer_what, seller_what, reason);
}

/* Lock the order: ORDERS_ENOTFOUND, a DB_* error or ORDERS_OK with *@o. */
static int
lock(db_t *db, long long order_id, json_t **o)
{
	int rc = orders_db_lock(db, order_id, o);

	if (rc == DB_ENOROW)
		return ORDERS_ENOTFOUND;
	return rc;
}

int
orders_paid(db_t *db, const struct souk_config *cfg, long long order_id, long long payment_id)
{
	json_t *o = NULL;
	long long nreq = 0;
	char data[64];
	int rc;

	if ((rc = lock(db, order_id, &o)) != ORDERS_OK)
		return rc;
	if (strcmp(orders_jstr(o, "state"), "awaiting_payment") != 0) {
		rc = ORDERS_ECONFLICT;
		goto out;
	}
	snprintf(data, sizeof(data), "{\"payment_id\": %lld}", payment_id);
	if ((rc = orders_transition(db, order_id, "awaiting_payment",
	    "awaiting_requirements")) != ORDERS_OK)
		goto out;
	if ((rc = orders_event(db, order_id, 0, "paid", NULL, data, NULL)) != DB_OK)
		goto out;
	if ((rc = orders_db_requirement_count(db, order_id, &nreq)) != DB_OK)
		goto out;
	if (nreq == 0) {
		if ((rc = orders_db_start(db, order_id)) != DB_OK)
			goto out;
		if ((rc = orders_transition(db, order_id, "awaiting_requirements",
		    "in_progress")) != ORDERS_OK)
			goto out;
		if ((rc = orders_event(db, order_id, 0, "started", NULL, NULL, NULL)) != DB_OK)
			goto out;
	}
	rc = mail_both(db, cfg, order_id, nreq > 0 ? "paid_requirements" : "paid_started",
	    "new_order", NULL);
out:
	json_decref(o);
	return db_result(db, rc);
}

int
orders_change_order_paid(db_t *db, const struct souk_config *cfg, long long change_order_id,
    long long payment_id)
{
	json_t *c = NULL, *o = NULL;
	const char *st;
	long long order_id;
	char data[160];
	int rc;

	if ((rc = orders_db_change_order_lock(db, change_order_id, &c)) != DB_OK)
		return rc == DB_ENOROW ? ORDERS_ENOTFOUND : rc;
	order_id = orders_jint(c, "order_id");
	if ((rc = lock(db, order_id, &o)) != ORDERS_OK)
		goto out;
	st = orders_jstr(o, "state");
	if (strcmp(orders_jstr(c, "state"), "accepted") != 0 ||
	    !(strcmp(st, "awaiting_requirements") == 0 || strcmp(st, "in_progress") == 0 ||
	    strcmp(st, "delivered") == 0 || strcmp(st, "revision_requested") == 0)) {
		rc = ORDERS_ECONFLICT;
		goto out;
	}
	if ((rc = orders_db_change_order_set(db, change_order_id, "accepted", "paid")) != DB_OK)
		goto out;
	if ((rc = orders_db_push_due(db, order_id, (int)orders_jint(c, "added_days"))) != DB_OK)
		goto out;
	if (orders_jint(c, "extra_revisions") > 0) {
		if ((rc = orders_db_add_revisions(db, order_id,
		    (int)orders_jint(c, "extra_revisions"))) != DB_OK)
			goto out;
	} else if (strcmp(st, "delivered") == 0) {
		if ((rc = orders_transition(db, order_id, "delivered", "in_progress")) != ORDERS_OK)
			goto out;
		if ((rc = orders_db_unschedule(db, order_id)) != DB_OK)
			goto out;
	}
	snprintf(data, sizeof(data), "{\"change_order_id\": %lld, \"payment_id\": %lld,"
	    " \"amount_minor\": %lld, \"added_days\": %lld}", change_order_id, payment_id,
	    orders_jint(c, "amount_minor"), orders_jint(c, "added_days"));
	if ((rc = orders_event(db, order_id, 0, "change_order_paid", orders_jstr(c, "description"),
	    data, NULL)) != DB_OK)
		goto out;
	rc = mail_both(db, cfg, order_id, NULL, "change_order_paid", NULL);
out:
	json_decref(c);
	json_decref(o);
	return db_result(db, rc);
}

int
orders_complete(db_t *db, const struct souk_config *cfg, long long order_id, long long actor_id)
{
	json_t *o = NULL;
	int64_t held = 0, base = 0, net;
	int top = 0, rc;
	long long seller;
	const char *cur;
	char data[160];

	if ((rc = lock(db, order_id, &o)) != ORDERS_OK)
		return rc;
	if (json_is_true(json_object_get(o, "disputed")) ||
	    strcmp(orders_jstr(o, "state"), "delivered") != 0) {
		rc = ORDERS_ECONFLICT;
		goto out;
	}
	seller = orders_jint(o, "seller_id");
	cur = orders_jstr(o, "currency");
	if ((rc = orders_transition(db, order_id, "delivered", "completed")) != ORDERS_OK)
		goto out;
	if ((rc = ledger_balance(db, "escrow", cur, 0, order_id, NULL, &held)) != DB_OK)
		goto out;
	if ((rc = orders_db_release_terms(db, order_id, &base, &top)) != DB_OK)
		goto out;
	net = orders_seller_net(base, (int)orders_jint(o, "seller_fee_bps"));
	if (net > held)
		net = held;	/* never release more than the escrow holds */
	if (held > 0) {
		rc = ledger_release(db, order_id, seller, cur, held, net);
		if (rc == LEDGER_DUPLICATE)
			rc = LEDGER_OK;
		if (rc != LEDGER_OK)
			goto out;
	}
	if ((rc = orders_db_completed(db, order_id, seller, cur, net,
	    top ? cfg->clearance_days_top : cfg->clearance_days)) != DB_OK)
		goto out;
	if ((rc = orders_event(db, order_id, actor_id, actor_id > 0 ? "completed" :
	    "auto_completed", NULL, NULL, NULL)) != DB_OK)
		goto out;
	snprintf(data, sizeof(data), "{\"held_minor\": %lld, \"seller_net_minor\": %lld,"
	    " \"fees_minor\": %lld}", (long long)held, (long long)net, (long long)(held - net));
	if ((rc = orders_event(db, order_id, 0, "released", NULL, data, NULL)) != DB_OK)
		goto out;
	rc = mail_both(db, cfg, order_id, "completed", "completed", NULL);
out:
	json_decref(o);
	return db_result(db, rc);
}

/* Refund one part of payment @y; @part: "gateway" (its charge) or "credit". */
static int
refund_part(db_t *db, long long order_id, json_t *y, const char *cur, int credit_part)
{
	const gateway_t *gw;
	const char *gname = orders_jstr(y, "gateway");
	long long pid = orders_jint(y, "id"), buyer = orders_jint(y, "buyer_id"), refund_id = 0;
	int64_t amount = orders_jint(y, credit_part ? "credit_minor" : "amount_minor");
	int to_gateway;
	char key[64], data[160];
	int rc;

	if (amount <= 0)
		return DB_OK;
	to_gateway = !credit_part && strcmp(gname, "credit") != 0 &&
	    (gw = gateway_find(gname)) != NULL && gw->refund != NULL;
	snprintf(key, sizeof(key), credit_part ? "refund_credit:%lld" : "refund:%lld", pid);
	rc = orders_db_refund_add(db, order_id, pid, amount, cur, to_gateway ? "gateway" :
	    "credit", to_gateway ? "requested" : "succeeded", key, &refund_id);
	if (rc == DB_ENOROW)
		return DB_OK;	/* refunded before */
	if (rc != DB_OK)
		return rc;
	rc = ledger_refund(db, order_id, refund_id, buyer, cur, amount, !to_gateway);
	if (rc == LEDGER_DUPLICATE)
		rc = LEDGER_OK;
	if (rc != LEDGER_OK)
		return rc;
	if (to_gateway) {
		json_t *p = json_pack("{s:I}", "refund_id", (json_int_t)refund_id);

		rc = jobs_enqueue(db, "refund", p, 0, NULL);
		json_decref(p);
		if (rc != DB_OK)
			return rc;
	}
	snprintf(data, sizeof(data), "{\"refund_id\": %lld, \"payment_id\": %lld,"
	    " \"amount_minor\": %lld, \"method\": \"%s\"}", refund_id, pid, (long long)amount,
	    to_gateway ? "gateway" : "credit");
	return orders_event(db, order_id, 0, "refunded", NULL, data, NULL);
}

int
orders_refund_payment(db_t *db, long long order_id, long long payment_id, const char *gateway,
    long long buyer_id, const char *currency, int64_t amount_minor, int64_t credit_minor)
{
	json_t *y = json_pack("{s:I, s:s, s:I, s:I, s:I}", "id", (json_int_t)payment_id,
	    "gateway", gateway, "amount_minor", (json_int_t)amount_minor,
	    "credit_minor", (json_int_t)credit_minor, "buyer_id", (json_int_t)buyer_id);
	int rc;

	if (y == NULL)
		return DB_ERROR;
	rc = refund_part(db, order_id, y, currency, 0);
	if (rc == DB_OK)
		rc = refund_part(db, order_id, y, currency, 1);
	json_decref(y);
	return rc;
}

int
orders_cancel(db_t *db, const struct souk_config *cfg, long long order_id, long long actor_id,
    const char *reason)
{
	json_t *o = NULL, *pays = NULL, *y;
	const char *st, *cur;
	size_t i;
	int rc;

	if ((rc = lock(db, order_id, &o)) != ORDERS_OK)
		return rc;
	st = orders_jstr(o, "state");
	cur = orders_jstr(o, "currency");
	if (!orders_transition_allowed(st, "cancelled")) {
		rc = ORDERS_ECONFLICT;
		goto out;
	}
	if ((rc = orders_transition(db, order_id, st, "cancelled")) != ORDERS_OK)
		goto out;
	if ((rc = orders_db_cancelled(db, order_id, reason)) != DB_OK)
		goto out;
	if ((rc = orders_event(db, order_id, actor_id, "cancelled", reason, NULL, NULL)) != DB_OK)
		goto out;
	/* Everything paid into the escrow goes back (nothing when awaiting payment). */
	if ((rc = orders_db_paid_payments(db, order_id, &pays)) != DB_OK)
		goto out;
	json_array_foreach(pays, i, y) {
		if ((rc = refund_part(db, order_id, y, cur, 0)) != DB_OK)
			goto out;
		if ((rc = refund_part(db, order_id, y, cur, 1)) != DB_OK)
			goto out;
	}
	rc = mail_both(db, cfg, order_id, "cancelled", "cancelled", reason);
out:
	json_decref(pays);
	json_decref(o);
	return db_result(db, rc);
}

int
orders_set_disputed(db_t *db, long long order_id, int disputed, long long actor_id)
{
	json_t *o = NULL;
	int rc;

	if ((rc = lock(db, order_id, &o)) != ORDERS_OK)
		return rc;
	json_decref(o);
	if ((rc = orders_db_set_disputed(db, order_id, disputed)) != DB_OK)
		return rc == DB_ENOROW ? ORDERS_ENOTFOUND : rc;
	return orders_event(db, order_id, actor_id, disputed ? "disputed" : "undisputed", NULL,
	    NULL, NULL);
}

/* Sweep one order (or cancellation request @id) in its own transaction; 1 when it changed. */
static int
sweep_one(db_t *db, const struct souk_config *cfg, long long id, int cancellation, arena_t *a)
{
	long long order_id = id;
	char *reason = NULL;
	int rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if (cancellation) {
		rc = orders_db_cancellation_expire(db, a, id, &order_id, &reason);
		if (rc == DB_OK) {
			rc = orders_event(db, order_id, 0, "cancellation_expired", reason, NULL,
			    NULL);
			if (rc == DB_OK)
				rc = orders_cancel(db, cfg, order_id, 0, reason);
		}
	} else
		rc = orders_complete(db, cfg, id, 0);
	if (rc == ORDERS_OK && (rc = db_commit(db)) == DB_OK)
		return 1;
	db_rollback(db);
	if (cancellation && rc == ORDERS_ECONFLICT && db_begin(db) == DB_OK) {
		/* the order finished meanwhile: the request just expires */
		if (orders_db_cancellation_expire(db, a, id, &order_id, &reason) != DB_OK ||
		    db_commit(db) != DB_OK)
			db_rollback(db);
		return 0;
	}
	if (rc != DB_ENOROW && rc != ORDERS_ECONFLICT && rc != ORDERS_ENOTFOUND)
		log_warn("orders_sweep: %s %lld: error %d (%s)", cancellation ? "cancellation" :
		    "order", id, rc, db_sqlstate(db));
	return rc == DB_EDOWN ? DB_EDOWN : 0;
}

int
orders_sweep(db_t *db, const struct souk_config *cfg, int *done)
{
	json_t *comp = NULL, *canc = NULL, *v;
	arena_t *a;
	size_t i;
	int rc, n = 0;

	if (done != NULL)
		*done = 0;
	if ((rc = orders_db_sweep_due(db, &comp, &canc)) != DB_OK)
		return rc;
	a = arena_new(4096);
	json_array_foreach(comp, i, v) {
		if ((rc = sweep_one(db, cfg, (long long)json_integer_value(v), 0, a)) < 0)
			goto out;
		n += rc;
	}
	json_array_foreach(canc, i, v) {
		if ((rc = sweep_one(db, cfg, (long long)json_integer_value(v), 1, a)) < 0)
			goto out;
		n += rc;
	}
	rc = 0;
out:
	arena_free(a);
	json_decref(comp);
	json_decref(canc);
	if (done != NULL)
		*done = n;
	return rc;
}
