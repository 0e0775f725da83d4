/*
 * offers.c - custom offers (see tools.h): the seller makes one from the
 * chat (the offer and its message of kind 'offer' in one transaction),
 * withdraws it while it is open; the conversation's buyer accepts it,
 * which is a checkout: payments_checkout_custom creates the order priced
 * from the offer (never from the form) with the usual buyer fee, its
 * payment through the chosen gateway, under the form's idempotency key,
 * and links the order to the offer in the same transaction.
 *
 * Live: after each committed status change the `offer` event goes to both
 * participants (crm_offer_publish), and GET /offers/{id}/card renders the
 * card for the caller so static/js/chat.js can put it into the thread;
 * crm_offers_sweep (called by the CRM sweep) expires offers past their
 * time and publishes the paid/reopened changes the order trigger wrote.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/utf8.h"
#include "crm/tools.h"
#include "events/events.h"
#include "http/parse.h"
#include "i18n/i18n.h"
#include "kv/ratelimit.h"
#include "messages/messages.h"
#include "orders/orders.h"
#include "payments/payments.h"
#include "web/app.h"

#define T(req, msgid) i18n_str(app_lang(req), (msgid))

/* The first line of @s, at most @max bytes cut at a UTF-8 boundary, in @a. */
static const char *
first_line(arena_t *a, const char *s, size_t max)
{
	size_t n;

	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	n = strcspn(s, "\r\n");
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return arena_strndup(a, s, n);
}

/*
 * The conversation of the route's {id} as its seller: the parties
 * (crm_db_conv_parties), or NULL after answering 404 (not a participant)
 * or 403 (its buyer).
 */
static json_t *
seller_conversation(http_req_t *req, int *rc)
{
	json_t *c = NULL;
	int r = crm_db_conv_parties(APP(req)->db, req->match.ints[0], &c);

	if (r != DB_OK) {
		*rc = r == DB_ENOROW ? app_error(req, 404, N_("There is no such conversation.")) :
		    app_db_status(req, r);
		return NULL;
	}
	if (json_integer_value(json_object_get(c, "seller_id")) == req->user_id)
		return c;
	*rc = json_integer_value(json_object_get(c, "buyer_id")) == req->user_id ?
	    app_error(req, 403, N_("Only the seller of this conversation can make an offer.")) :
	    app_error(req, 404, N_("There is no such conversation."));
	json_decref(c);
	return NULL;
}

/* The offer form as a page: @values and @errors stolen. */
static int
form_page(http_req_t *req, int status, const json_t *options, json_t *values, json_t *errors)
{
	long long conv_id = req->match.ints[0];
	json_t *ctx = json_pack("{s:o, s:s}", "offer", crm_offer_form(req, conv_id, options,
	    values, errors), "thread_url", arena_printf(req->arena, "/inbox/%lld", conv_id));
	int rc;

	app_page(ctx, T(req, N_("New custom offer")), NULL,
	    arena_printf(req->arena, "/inbox/%lld/offers/new", conv_id), NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "crm/offer_new", ctx);
	json_decref(ctx);
	return rc;
}

int
crm_offer_new_get(http_req_t *req)
{
	json_t *c, *options = NULL;
	int rc;

	if ((c = seller_conversation(req, &rc)) == NULL)
		return rc;
	json_decref(c);
	if ((rc = crm_db_offer_options(APP(req)->db, req->user_id, &options)) != DB_OK)
		return app_db_status(req, rc);
	rc = form_page(req, 200, options, crm_offer_defaults(), json_object());
	json_decref(options);
	return rc;
}

/* The message that carries offer @o (the card shows the rest). */
static const char *
offer_message(http_req_t *req, const struct crm_new_offer *o)
{
	return arena_printf(req->arena, T(req, N_("Custom offer: %s, delivery in %d days, "
	    "%d revisions.")), payments_money(req->arena, o->price_minor, o->currency),
	    o->delivery_days, o->revisions);
}

int
crm_offer_new_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	static const char *const fields[] = { "description", "price", "currency", "delivery_days",
	    "revisions", "expiry_days", "gig", NULL };
	json_t *c, *options = NULL, *values, *errors, *g;
	struct crm_new_offer o;
	const char *gig_s, *cur;
	long long v, msg_id = 0, offer_id = 0;
	char at[32];
	size_t i;
	int rc, found;

	if ((c = seller_conversation(req, &rc)) == NULL)
		return rc;
	if ((rc = crm_db_offer_options(db, req->user_id, &options)) != DB_OK) {
		json_decref(c);
		return app_db_status(req, rc);
	}
	values = json_object();
	for (i = 0; fields[i] != NULL; i++)
		json_object_set_new(values, fields[i], json_string(http_form(req, fields[i])));
	errors = json_object();
	memset(&o, 0, sizeof(o));
	o.conversation_id = req->match.ints[0];
	o.seller_id = req->user_id;
	o.buyer_id = json_integer_value(json_object_get(c, "buyer_id"));
	o.description = http_form(req, "description");
	if (json_is_true(json_object_get(c, "blocked")))
		app_form_error(errors, "form", "blocked");
	json_decref(c);
	if (utf8_blank(o.description))
		app_form_error(errors, "description", "required");
	else if (utf8_chars(o.description) > CRM_OFFER_DESC_MAX)
		app_form_error(errors, "description", "too_long");
	if (crm_parse_price(http_form(req, "price"), &o.price_minor) != 0)
		app_form_error(errors, "price", "format");
	cur = http_form(req, "currency");
	found = 0;
	json_array_foreach(json_object_get(options, "currencies"), i, g)
		if (json_string_value(g) != NULL && strcmp(json_string_value(g), cur) == 0)
			found = 1;
	if (!found)
		app_form_error(errors, "currency", "unknown");
	o.currency = cur;
	if ((v = app_form_int(http_form(req, "delivery_days"), 1, CRM_OFFER_DAYS_MAX)) == LLONG_MIN)
		app_form_error(errors, "delivery_days", "range");
	o.delivery_days = (int)v;
	if ((v = app_form_int(http_form(req, "revisions"), 0, CRM_OFFER_REVISIONS_MAX)) == LLONG_MIN)
		app_form_error(errors, "revisions", "range");
	o.revisions = (int)v;
	if ((v = app_form_int(http_form(req, "expiry_days"), 1, CRM_OFFER_EXPIRY_MAX)) == LLONG_MIN)
		app_form_error(errors, "expiry_days", "range");
	o.expiry_days = (int)v;
	gig_s = http_form(req, "gig");
	if (gig_s[0] != '\0') {
		const char *gcur = NULL;

		v = app_form_int(gig_s, 1, LLONG_MAX - 1);
		json_array_foreach(json_object_get(options, "gigs"), i, g)
			if (json_integer_value(json_object_get(g, "id")) == v)
				gcur = json_string_value(json_object_get(g, "currency"));
		if (gcur == NULL)
			app_form_error(errors, "gig", "unknown");
		else if (found && strcmp(gcur, cur) != 0)
			app_form_error(errors, "currency", "gig_currency");
		o.gig_id = v;
	}
	if (json_object_size(errors) > 0) {
		rc = form_page(req, json_object_get(errors, "form") != NULL ? 403 : 422, options,
		    values, errors);
		json_decref(options);
		return rc;
	}
	/* an offer is a message: the messages' rate limit (src/messages/messages.h) */
	{
		struct ratelimit_result rl;
		char key[64];

		snprintf(key, sizeof(key), "msg:user:%lld", req->user_id);
		if (ratelimit_hit(APP(req)->kv, key, MESSAGES_RATE_LIMIT, MESSAGES_RATE_WINDOW, 1,
		    &rl) != 0 || !rl.allowed) {
			http_header(req, "Retry-After", arena_printf(req->arena, "%ld",
			    rl.retry_after > 0 ? rl.retry_after : 5L));
			app_form_error(errors, "form", "rate");
			rc = form_page(req, 429, options, values, errors);
			json_decref(options);
			return rc;
		}
	}
	if ((rc = db_begin(db)) != DB_OK)
		goto fail;
	if ((rc = crm_db_offer_insert(db, &o, &offer_id)) == DB_ENOROW) {
		/* the base gig stopped being active meanwhile */
		db_rollback(db);
		app_form_error(errors, "gig", "unknown");
		rc = form_page(req, 422, options, values, errors);
		json_decref(options);
		return rc;
	}
	if (rc != DB_OK ||
	    (rc = messages_db_insert_ex(db, o.conversation_id, req->user_id, offer_message(req, &o),
	    "offer", 0, &msg_id, at)) != DB_OK ||
	    (rc = crm_db_offer_set_message(db, offer_id, msg_id)) != DB_OK ||
	    (rc = crm_db_offer_event(db, offer_id, "created")) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		db_rollback(db);
		goto fail;
	}
	json_decref(options);
	json_decref(values);
	json_decref(errors);
	/* the message first: the `offer` event names it for the pages */
	rc = messages_publish_new(APP(req)->kv, db, o.conversation_id, msg_id);
	if (crm_offer_publish(APP(req)->kv, db, offer_id) != 0 || rc != 0)
		log_warn("request_id=%s offer %lld: live event not published", req->request_id,
		    offer_id);
	log_info("request_id=%s offer %lld conversation=%lld price=%" PRId64 " %s",
	    req->request_id, offer_id, o.conversation_id, o.price_minor, o.currency);
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld#m%lld", o.conversation_id,
	    msg_id));
	return req->status;
fail:
	json_decref(options);
	json_decref(values);
	json_decref(errors);
	return app_db_status(req, rc);
}

/* Offer @id if the caller is one of its parties, else NULL after 404. */
static json_t *
party_offer_id(http_req_t *req, long long id, int *rc)
{
	json_t *f = NULL;
	int r = crm_db_offer(APP(req)->db, id, &f);

	if (r != DB_OK) {
		*rc = r == DB_ENOROW ? app_error(req, 404, N_("There is no such offer.")) :
		    app_db_status(req, r);
		return NULL;
	}
	if (json_integer_value(json_object_get(f, "seller_id")) != req->user_id &&
	    json_integer_value(json_object_get(f, "buyer_id")) != req->user_id) {
		json_decref(f);
		*rc = app_error(req, 404, N_("There is no such offer."));
		return NULL;
	}
	return f;
}

/* The offer of the route's {id} if the caller is one of its parties, else NULL after 404. */
static json_t *
party_offer(http_req_t *req, int *rc)
{
	return party_offer_id(req, req->match.ints[0], rc);
}

/* 303 back to the offer's message in its thread. */
static int
back_to_thread(http_req_t *req, const json_t *f)
{
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld#m%lld",
	    (long long)json_integer_value(json_object_get(f, "conversation_id")),
	    (long long)json_integer_value(json_object_get(f, "message_id"))));
	return req->status;
}

int
crm_offer_withdraw_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *f;
	int rc;

	if ((f = party_offer(req, &rc)) == NULL)
		return rc;
	if (json_integer_value(json_object_get(f, "seller_id")) != req->user_id) {
		json_decref(f);
		return app_error(req, 403, N_("Only the seller can withdraw this offer."));
	}
	if ((rc = db_begin(db)) != DB_OK) {
		json_decref(f);
		return app_db_status(req, rc);
	}
	rc = crm_db_offer_withdraw(db, req->match.ints[0], req->user_id);
	if (rc == DB_ENOROW) {
		db_rollback(db);
		json_decref(f);
		return app_error(req, 409, N_("This offer is no longer open, so it cannot be "
		    "withdrawn."));
	}
	if (rc != DB_OK || (rc = crm_db_offer_event(db, req->match.ints[0], "withdrawn")) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		db_rollback(db);
		json_decref(f);
		return app_db_status(req, rc);
	}
	log_info("request_id=%s offer %lld withdrawn", req->request_id, req->match.ints[0]);
	(void)crm_offer_publish(APP(req)->kv, db, req->match.ints[0]);
	rc = back_to_thread(req, f);
	json_decref(f);
	return rc;
}

/* What the accept transaction needs (payments_custom.attach). */
struct accept_arg {
	long long offer_id, buyer_id;
};

/* Inside the checkout's transaction: the offer, still open, takes the new order. */
static int
accept_attach(db_t *db, void *arg, long long order_id)
{
	struct accept_arg *a = arg;
	int rc = crm_db_offer_accept(db, a->offer_id, a->buyer_id, order_id);

	if (rc == DB_ENOROW)
		return ORDERS_ECONFLICT;
	if (rc != DB_OK)
		return rc;
	return crm_db_offer_event(db, a->offer_id, "accepted");
}

int
crm_offer_accept_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	struct payments_custom c;
	struct accept_arg arg;
	json_t *f, *parties = NULL;
	const char *status, *exp, *use;
	long long expected = -1;
	long long id = req->match.ints[0];
	int rc;

	if ((f = party_offer(req, &rc)) == NULL)
		return rc;
	if (json_integer_value(json_object_get(f, "buyer_id")) != req->user_id) {
		json_decref(f);
		return app_error(req, 403, N_("You cannot accept your own offer."));
	}
	status = json_string_value(json_object_get(f, "status"));
	if (strcmp(status, "withdrawn") == 0) {
		json_decref(f);
		return app_error(req, 409, N_("The seller withdrew this offer, so it cannot be "
		    "accepted."));
	}
	if (strcmp(status, "expired") == 0 || json_is_true(json_object_get(f, "expired"))) {
		(void)crm_offer_expire(db, APP(req)->kv, id);
		json_decref(f);
		return app_error(req, 409, N_("This offer has expired, so it cannot be accepted. "
		    "Ask the seller for a new one."));
	}
	if ((rc = crm_db_conv_parties(db, json_integer_value(json_object_get(f,
	    "conversation_id")), &parties)) != DB_OK) {
		json_decref(f);
		return app_db_status(req, rc);
	}
	rc = json_is_true(json_object_get(parties, "blocked"));
	json_decref(parties);
	if (rc) {
		json_decref(f);
		return app_error(req, 403, N_("This offer cannot be accepted: one of you has blocked "
		    "the other."));
	}
	/* Accepted or paid already: a replayed key still gets its outcome below. */
	memset(&c, 0, sizeof(c));
	c.order.seller_id = json_integer_value(json_object_get(f, "seller_id"));
	c.order.gig_id = json_integer_value(json_object_get(f, "gig_id"));
	c.order.package_tier = "custom";
	c.order.package_name = "Custom offer";
	c.order.gig_title = json_is_string(json_object_get(f, "gig_title")) ?
	    arena_strdup(req->arena, json_string_value(json_object_get(f, "gig_title"))) :
	    first_line(req->arena, json_string_value(json_object_get(f, "description")), 120);
	c.order.quantity = 1;
	c.order.extras_json = "[]";
	c.order.currency = arena_strdup(req->arena, json_string_value(json_object_get(f,
	    "currency")));
	c.order.unit_price_minor = (int64_t)json_integer_value(json_object_get(f, "price_minor"));
	c.order.subtotal_minor = c.order.unit_price_minor;
	c.order.delivery_days = (int)json_integer_value(json_object_get(f, "delivery_days"));
	c.order.revisions_allowed = (int)json_integer_value(json_object_get(f, "revisions"));
	json_decref(f);
	c.scope = "offer_accept";
	c.request = arena_printf(req->arena, "%lld", id);
	c.gateway = http_form(req, "gateway");
	use = http_form(req, "use_credit");
	c.use_credit = strcmp(use, "1") == 0 || strcmp(use, "on") == 0;
	c.idem_key = http_form(req, "idempotency_key");
	exp = http_form(req, "expected_total");
	if (exp[0] != '\0' && http_parse_int64(exp, 0, INT64_MAX, &expected) != 0)
		expected = -2;	/* never a total: answered 422 */
	c.expected_total = (int64_t)expected;
	arg.offer_id = id;
	arg.buyer_id = req->user_id;
	c.attach = accept_attach;
	c.arg = &arg;
	c.conflict_message = N_("This offer can no longer be accepted: it was accepted already, "
	    "withdrawn or has expired. Your orders list has the order if you accepted it.");
	rc = payments_checkout_custom(req, &c);
	/* accepted (or paid at once with credit): the seller's page follows */
	if (rc < 400) {
		json_t *now = NULL;

		if (crm_db_offer(db, id, &now) == DB_OK && json_integer_value(json_object_get(now,
		    "order_id")) > 0)
			(void)crm_offer_publish(APP(req)->kv, db, id);
		json_decref(now);
	}
	return rc;
}

/* The card fragment of offer @id for the caller (a party), else 404. */
static int
card_fragment(http_req_t *req, long long id)
{
	json_t *f, *cards = NULL, *card;
	long long conv_id, msg_id;
	char ids[32], key[24];
	int rc;

	if ((f = party_offer_id(req, id, &rc)) == NULL)
		return rc;
	conv_id = json_integer_value(json_object_get(f, "conversation_id"));
	msg_id = json_integer_value(json_object_get(f, "message_id"));
	json_decref(f);
	if (msg_id <= 0)
		return app_error(req, 404, N_("There is no such offer."));
	snprintf(ids, sizeof(ids), "{%lld}", msg_id);
	snprintf(key, sizeof(key), "%lld", msg_id);
	if ((rc = crm_db_offer_cards(APP(req)->db, conv_id, ids, app_lang(req), &cards)) != DB_OK)
		return app_db_status(req, rc);
	if ((card = json_object_get(cards, key)) == NULL) {
		json_decref(cards);
		return app_error(req, 404, N_("There is no such offer."));
	}
	json_incref(card);
	json_decref(cards);
	crm_offer_card_model(req, card);
	http_no_store(req);
	rc = app_render(req, "crm/offer_card", card);
	json_decref(card);
	return rc;
}

int
crm_offer_card_get(http_req_t *req)
{
	return card_fragment(req, req->match.ints[0]);
}

int
crm_offer_message_card_get(http_req_t *req)
{
	long long id = 0;
	int rc = crm_db_offer_of_message(APP(req)->db, req->match.ints[0], req->match.ints[1], &id);

	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such offer."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	return card_fragment(req, id);
}

/* ==== live events and the expiry sweep ==== */

int
crm_offer_publish(kv_conn_t *kv, db_t *db, long long offer_id)
{
	json_t *f = NULL, *ev;
	long long ids[2];
	const char *status;
	int rc;

	if (kv == NULL)
		return 0;
	if (crm_db_offer(db, offer_id, &f) != DB_OK) {
		log_warn("offer %lld: not found for its live event", offer_id);
		return -1;
	}
	status = json_is_true(json_object_get(f, "expired")) ? "expired" :
	    json_string_value(json_object_get(f, "status"));
	ev = json_pack("{s:O, s:I, s:O, s:s}", "conversation_id",
	    json_object_get(f, "conversation_id"), "offer_id", (json_int_t)offer_id,
	    "message_id", json_object_get(f, "message_id"), "status", status ? status : "");
	ids[0] = json_integer_value(json_object_get(f, "buyer_id"));
	ids[1] = json_integer_value(json_object_get(f, "seller_id"));
	rc = ev != NULL ? events_publish(kv, ids, 2, "offer", ev) : -1;
	json_decref(ev);
	json_decref(f);
	return rc;
}

int
crm_offer_expire(db_t *db, kv_conn_t *kv, long long offer_id)
{
	int rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc > 0 ? DB_ERROR : rc;
	rc = crm_db_offer_expire(db, offer_id);
	if (rc == DB_ENOROW) {	/* decided already, not due, or another sweep took it */
		(void)db_rollback(db);
		return 0;
	}
	if (rc != DB_OK || (rc = crm_db_offer_event(db, offer_id, "expired")) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		return rc > 0 ? DB_ERROR : rc;
	}
	log_info("offer %lld expired", offer_id);
	(void)crm_offer_publish(kv, db, offer_id);
	return 1;
}

/* Publish the paid/reopened changes the order trigger wrote since the cursor in Redis. */
static int
publish_changes(db_t *db, kv_conn_t *kv)
{
	const char *get[2] = { "GET", CRM_OFFERS_CURSOR_KEY };
	const char *set[3] = { "SET", CRM_OFFERS_CURSOR_KEY, NULL };
	json_t *changes = NULL, *c;
	redisReply *r;
	long long cursor = -1, top = 0;
	char num[24];
	size_t i;
	int rc;

	if ((rc = db_query_bigint(db, &top, "SELECT coalesce(max(id), 0) FROM crm_lead_events",
	    0, NULL)) != DB_OK)
		return rc;
	if ((r = kv_command(kv, 2, get, NULL)) == NULL)
		return DB_OK;	/* Redis is down: nobody would hear it; try next sweep */
	if (r->type == REDIS_REPLY_STRING)
		cursor = strtoll(r->str, NULL, 10);
	freeReplyObject(r);
	if (cursor >= 0 && cursor <= top) {
		if ((rc = crm_db_offer_changes(db, cursor, CRM_OFFERS_SWEEP_BATCH, &changes)) !=
		    DB_OK)
			return rc;
		json_array_foreach(changes, i, c) {
			(void)crm_offer_publish(kv, db, json_integer_value(json_object_get(c,
			    "offer_id")));
			top = json_integer_value(json_object_get(c, "event_id"));
		}
		json_decref(changes);
	}
	if (top == cursor)
		return DB_OK;
	set[2] = DB_NUM(num, top);
	if ((r = kv_command(kv, 3, set, NULL)) != NULL)
		freeReplyObject(r);
	return DB_OK;
}

int
crm_offers_sweep(db_t *db, kv_conn_t *kv, int *expired)
{
	json_t *due = NULL, *id;
	size_t i;
	int rc, first = DB_OK, n = 0;

	if (expired != NULL)
		*expired = 0;
	if ((rc = crm_db_offers_due(db, CRM_OFFERS_SWEEP_BATCH, &due)) != DB_OK) {
		log_warn("offers sweep: due: %s", db_errmsg(db));
		first = rc;
	}
	json_array_foreach(due, i, id) {
		if ((rc = crm_offer_expire(db, kv, json_integer_value(id))) < 0) {
			log_warn("offers sweep: offer %lld: %s", (long long)json_integer_value(id),
			    db_errmsg(db));
			if (first == DB_OK)
				first = rc;
			if (rc == DB_EDOWN)
				break;
		} else
			n += rc;
	}
	json_decref(due);
	if (expired != NULL)
		*expired = n;
	if (kv != NULL && first != DB_EDOWN && (rc = publish_changes(db, kv)) != DB_OK) {
		log_warn("offers sweep: live changes: %s", db_errmsg(db));
		if (first == DB_OK)
			first = rc;
	}
	return first;
}
