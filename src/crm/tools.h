/*
 * tools.h - the seller's working tools in the chat composer (issue 7,
 * "Working tools in the chat composer"): saved replies with a /shortcut
 * and custom offers the buyer accepts and pays.  Tables in
 * sql/0027_crm_tools.sql.
 *
 *   replies.c   saved replies: the list and its forms, the render endpoint
 *   offers.c    custom offers: create, withdraw, accept (-> checkout)
 *   composer.c  crm_thread_context (the thread page's tools and offer cards),
 *               crm_reply_render, crm_parse_price
 *   tools_db.c  the SQL of all three
 *
 * Templates: crm/replies (list + create form), crm/reply_edit,
 * crm/thread_tools (the composer's tools, for the seller),
 * crm/offer_card (one offer in the thread, both sides), crm/offer_new
 * (the offer form as a page, shown again with its errors).  Script:
 * static/js/crm-composer.js ("/" in the composer offers the shortcuts).
 *
 * Routes:
 *	GET  /crm/replies                 the seller's saved replies and a form (SELLER)
 *	POST /crm/replies                 create: shortcut [a-z0-9_-]{1,32}, title
 *	                                  (1..100 characters), body (1..5000, a
 *	                                  Mustache template); 422 bad value, 409
 *	                                  shortcut taken; values kept; 303 to the list
 *	GET  /crm/replies/{id}/edit       the edit form (404 unless the seller's own)
 *	POST /crm/replies/{id}            update (as create)
 *	POST /crm/replies/{id}/delete     delete; 303 to the list
 *	POST /inbox/{id}/replies/insert   the composer posted by its Insert button
 *	                                  (no JS): body + crm_reply -> the text with
 *	                                  the reply added, kept CRM_DRAFT_TTL s in
 *	                                  Redis; 303 /inbox/{id}?draft=1#composer
 *	GET  /crm/replies/{id}/render     ?conversation=ID: the reply rendered for
 *	                                  that conversation, text/plain (404 unless
 *	                                  the caller is its seller)
 *	GET  /inbox/{id}/offers/new       the offer form (the conversation's seller)
 *	POST /inbox/{id}/offers/new       description, price (decimal, e.g. "120.50"),
 *	                                  currency, delivery_days, revisions,
 *	                                  expiry_days, gig (optional base gig):
 *	                                  the offer and its message (kind 'offer')
 *	                                  in one transaction; 303 to the thread;
 *	                                  422 with values kept; 403 buyer or blocked
 *	POST /offers/{id}/withdraw        the seller withdraws an open offer (409 if not open)
 *	POST /offers/{id}/accept          the buyer accepts: gateway, use_credit,
 *	                                  idempotency_key, expected_total ->
 *	                                  payments_checkout_custom (an order priced
 *	                                  from the offer); 409 withdrawn, expired,
 *	                                  already accepted; 403 the seller; 404 others
 *	GET  /offers/{id}/card            the offer's card (crm/offer_card) as an
 *	                                  HTML fragment rendered for the caller: the
 *	                                  buyer's has the accept form (with csrf),
 *	                                  the seller's the withdraw button; 404 to
 *	                                  anyone else and when its message is gone;
 *	                                  not cached (static/js/chat.js fetches it)
 *	GET  /inbox/{id}/messages/{mid}/offer  the same for the offer message {mid}
 *	                                  of conversation {id} (chat.js, on a
 *	                                  `message` event of kind "offer"); 404 as above
 *
 * Live offers: after every committed change of an offer's status the event
 * `offer` {conversation_id, offer_id, message_id, status ("open",
 * "accepted", "paid", "withdrawn", "expired")} goes to both participants'
 * streams (events_publish, src/events/events.h): on creation (right after
 * the offer message's `message` event), withdraw, accept, expiry (the
 * sweep, or a late accept), and - written by the order trigger of
 * sql/0027 inside the payment's transaction - paid and reopened, which
 * crm_offers_sweep publishes from the lead timeline within one sweep
 * interval.  chat.js refreshes the card in li[data-message=message_id].
 *
 * No-JS insertion of a saved reply: the Insert button above, or a plain
 * GET /inbox/{id}?reply=ID (crm_thread_context renders it into the composer).
 */
#ifndef SOUK_CRM_TOOLS_H
#define SOUK_CRM_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "db/db.h"
#include "http/http.h"
#include "http/router.h"
#include "kv/kv.h"

/* Limits, in Unicode characters unless said otherwise. */
#define CRM_REPLY_TITLE_MAX	100
#define CRM_REPLY_BODY_MAX	5000
#define CRM_REPLY_SHORTCUT_MAX	32
#define CRM_REPLIES_MAX		200	/* saved replies per seller */
#define CRM_OFFER_DESC_MAX	2000
#define CRM_OFFER_DAYS_MAX	365	/* delivery days */
#define CRM_OFFER_REVISIONS_MAX	99
#define CRM_OFFER_EXPIRY_MAX	30	/* days an offer stays open */
/* Highest price of an offer, minor units (10,000,000.00). */
#define CRM_OFFER_PRICE_MAX	1000000000LL

extern const route_t crm_tools_routes[];
extern const size_t crm_tools_nroutes;

/*
 * crm_thread_context - what the thread page (src/messages/messages.c,
 * show_thread) shows of the CRM tools, added to its context @ctx.
 * @conv: the conversation as messages_db_conversation returns it (borrowed).
 * @ctx: the page context; read: messages (array of {id, ...}), form.body;
 *	written:
 *	- messages[i].offer for each message that carries a custom offer:
 *	  the offer card's model (crm/offer_card; see composer.c);
 *	- for the conversation's seller only, crm: {conversation_id, replies:
 *	  [{id, shortcut, title, selected}], has_replies, offer: the offer
 *	  form's model (crm/offer_new)};
 *	- for the seller with ?reply=ID of one of their replies in the query:
 *	  form.body becomes that reply rendered for this conversation
 *	  (appended after a blank line to text already there).
 * The buyer's page gets no crm key.  Memory: JSON owned by @ctx, strings
 * in req->arena.
 * Returns: 0, or a DB_* error (the page can still be rendered without the
 * tools: the caller may ignore it; nothing was answered).
 */
int crm_thread_context(http_req_t *req, json_t *conv, json_t *ctx);

/*
 * crm_reply_render - render saved reply @body (a Mustache template, UTF-8)
 * with @vars ({buyer_name, buyer_handle, seller_name, seller_handle,
 * gig_title}) by src/tmpl, without partials or lambdas, appending the text
 * to @out.  Variables are HTML-escaped by the engine (so a name can never
 * become markup in the message, whose Markdown reads entities back as
 * text); the quote entities &quot; and &#39; are turned back into quotes,
 * harmless in Markdown text.  @err (TMPL_ERRLEN bytes) gets the engine's
 * message on failure.
 * Returns: 0, or -1 on a template syntax error (@out unchanged).
 */
int crm_reply_render(const char *body, json_t *vars, buf_t *out, char *err, size_t errlen);

/*
 * crm_parse_price - the amount typed in @s ("120", "120.5", "1 234,50",
 * "1,234.50"), in minor units of a two-decimal currency (USD, ZAR, CNY):
 * digits with spaces or one kind of thousands separator, and at most two
 * decimals after a '.' or ','.  Returns 0 and *@minor (1 ..
 * CRM_OFFER_PRICE_MAX), or -1 when @s is not such an amount.
 */
int crm_parse_price(const char *s, int64_t *minor);

/* ==== shared by the module's files (composer.c) ==== */

/* The offer handlers (offers.c), for the route table in replies.c. */
int crm_offer_new_get(http_req_t *req);
int crm_offer_new_post(http_req_t *req);
int crm_offer_withdraw_post(http_req_t *req);
int crm_offer_accept_post(http_req_t *req);

/* The card routes (offers.c). */
int crm_offer_card_get(http_req_t *req);
int crm_offer_message_card_get(http_req_t *req);

/*
 * crm_offer_card_model - complete card @card (one value of
 * crm_db_offer_cards; modified in place) for the viewer req->user_id:
 * for_buyer, for_seller, order_url?, withdraw_action? (the seller, open),
 * accept? (the buyer, open: the checkout total with the buyer fee, the
 * gateways of its currency, a fresh idempotency key); buyer_id and
 * seller_id are removed.  Strings in req->arena.
 */
void crm_offer_card_model(http_req_t *req, json_t *card);

/*
 * crm_offer_publish - the `offer` event of offer @offer_id ({conversation_id,
 * offer_id, message_id, status}; an open offer past expires_at counts as
 * "expired") to its buyer and seller.  Call after the commit of the change.
 * @kv NULL: nothing is sent.
 * Returns: 0, or -1 when the offer could not be read or Redis failed (logged;
 * the change stands: the pages show it on reload).
 */
int crm_offer_publish(kv_conn_t *kv, db_t *db, long long offer_id);

/*
 * crm_offer_expire - offer @offer_id, open and past expires_at, becomes
 * 'expired' with its 'expired' timeline event (crm_db_offer_event) in one
 * transaction, then the `offer` event is published through @kv (may be
 * NULL).  Idempotent: an offer already decided, or not yet due, is left as
 * it is.  Must not be called inside a transaction.
 * Returns: 1 expired now, 0 nothing to do, or a negative DB_* error
 * (rolled back).
 */
int crm_offer_expire(db_t *db, kv_conn_t *kv, long long offer_id);

/* Most offers one sweep expires, and most timeline events it publishes. */
#define CRM_OFFERS_SWEEP_BATCH 200
/* Redis key of the last crm_lead_events id whose paid/reopened offer event was published. */
#define CRM_OFFERS_CURSOR_KEY "crm:offers:published"

/*
 * crm_offers_sweep - run by the CRM sweep (crm_auto_sweep: souk-worker
 * every CRM_TRIGGERS_EVERY s, and soukctl crm-sweep): (1) every open offer
 * past expires_at (at most CRM_OFFERS_SWEEP_BATCH) through crm_offer_expire;
 * (2) the `offer` event for each 'paid' or 'reopened' timeline event the
 * order trigger of sql/0027 wrote since the last sweep (the id in Redis
 * key CRM_OFFERS_CURSOR_KEY; when it is missing or ahead of the table,
 * it starts at the newest event without publishing; an event whose
 * transaction commits after a higher id was already passed is not
 * published - its page shows it on reload).  @kv NULL: step 2 is
 * skipped and step 1 publishes nothing.  @expired (may be NULL) gets how
 * many offers expired.
 * Returns: DB_OK, or the first DB_* error met (the other offers still run).
 */
int crm_offers_sweep(db_t *db, kv_conn_t *kv, int *expired);

/* Seconds the no-JS Insert keeps the composer's text (crm_draft_key). */
#define CRM_DRAFT_TTL 600

/* crm_draft_key - the Redis key "crm:draft:<seller>:<conversation>" of that text, in @a. */
const char *crm_draft_key(arena_t *a, long long seller_id, long long conv_id);

/* crm_random_key - 24 URL-safe random characters (an idempotency key), in @a. */
const char *crm_random_key(arena_t *a);

/* crm_offer_defaults - the offer form's initial values (strings): a new reference. */
json_t *crm_offer_defaults(void);

/*
 * crm_offer_form - the offer form's model for conversation @conv_id
 * (templates crm/offer_form, crm/offer_new): {action, gigs: [{id, title,
 * currency, selected}], has_gigs, currencies: [{code, selected}], values
 * (as typed), errors ({field: {code: true}}), has_errors, days_max,
 * revisions_max, expiry_max}.  @options: crm_db_offer_options (borrowed);
 * @values and @errors are stolen.  Returns a new reference.
 */
json_t *crm_offer_form(http_req_t *req, long long conv_id, const json_t *options, json_t *values,
    json_t *errors);

/* ==== queries (tools_db.c): DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN; JSON
 * results are new references the caller json_decrefs ==== */

/* crm_db_replies - @seller_id's saved replies, by shortcut: [{id, shortcut, title, body}]. */
int crm_db_replies(db_t *db, long long seller_id, json_t **out);

/* crm_db_reply - saved reply @id of @seller_id: {id, shortcut, title, body}; DB_ENOROW if not theirs. */
int crm_db_reply(db_t *db, long long seller_id, long long id, json_t **out);

/*
 * crm_db_reply_save - insert (@id 0) or update reply @id of @seller_id.
 * *@taken 1 (nothing written) when another reply of the seller has
 * @shortcut; *@full 1 when a new one would pass CRM_REPLIES_MAX.
 * DB_ENOROW: @id is not the seller's.
 */
int crm_db_reply_save(db_t *db, long long seller_id, long long id, const char *shortcut,
    const char *title, const char *body, int *taken, int *full);

/* crm_db_reply_delete - delete reply @id of @seller_id; DB_ENOROW if not theirs. */
int crm_db_reply_delete(db_t *db, long long seller_id, long long id);

/*
 * crm_db_reply_vars - the variables of a saved reply in conversation
 * @conv_id whose seller is @seller_id: {buyer_name, buyer_handle,
 * seller_name, seller_handle, gig_title} (names: the profile's display
 * name, else the handle; gig_title: the lead's source gig, else the last
 * order between them, else the seller's newest active gig, else "").
 * DB_ENOROW when @seller_id is not the conversation's seller.
 */
int crm_db_reply_vars(db_t *db, long long conv_id, long long seller_id, json_t **out);

/*
 * crm_db_conv_parties - conversation @conv_id: {id, buyer_id, seller_id,
 * blocked (either blocked the other)}.  DB_ENOROW when there is none.
 */
int crm_db_conv_parties(db_t *db, long long conv_id, json_t **out);

/*
 * crm_db_offer_options - the offer form's choices for @seller_id: {gigs:
 * [{id, title, currency}] (active gigs), currencies: ["USD", ...] (of those
 * gigs; all three when the seller has none)}.
 */
int crm_db_offer_options(db_t *db, long long seller_id, json_t **out);

/* A new offer (crm_db_offer_insert); amounts in minor units of @currency. */
struct crm_new_offer {
	long long conversation_id, seller_id, buyer_id, gig_id;	/* gig_id 0 = none */
	const char *description, *currency;
	int64_t price_minor;
	int delivery_days, revisions, expiry_days;
};

/*
 * crm_db_offer_insert - the offer (status 'open', expires souk_now() +
 * expiry_days) inside the caller's transaction; *@id gets its id.
 * DB_ENOROW when the base gig is not an active gig of the seller.
 */
int crm_db_offer_insert(db_t *db, const struct crm_new_offer *o, long long *id);

/* crm_db_offer_set_message - link offer @id to its message @msg_id. */
int crm_db_offer_set_message(db_t *db, long long id, long long msg_id);

/*
 * crm_db_offer - offer @id: {id, conversation_id, seller_id, buyer_id,
 * gig_id (0 = none), gig_title, description, price_minor, currency,
 * delivery_days, revisions, status, expired (open and past expires_at),
 * message_id, order_id (0 = none)}.  DB_ENOROW when there is none.
 */
int crm_db_offer(db_t *db, long long id, json_t **out);

/*
 * crm_db_offer_cards - the offers of conversation @conv_id carried by the
 * messages @msg_ids (a PostgreSQL array literal "{1,2}"), formatted for
 * @lang: {"<message_id>": {id, description, price, price_minor, currency,
 * delivery_days, revisions, expires_at, status, is_<status>, expired,
 * gig: {title, url} | null, order_id}}.
 */
int crm_db_offer_cards(db_t *db, long long conv_id, const char *msg_ids, const char *lang,
    json_t **out);

/*
 * crm_db_offer_accept - inside the caller's transaction: offer @id, open,
 * unexpired and of buyer @buyer_id -> 'accepted' with order @order_id.
 * DB_ENOROW when it is no longer open (or expired, or not the buyer's).
 */
int crm_db_offer_accept(db_t *db, long long id, long long buyer_id, long long order_id);

/* crm_db_offer_withdraw - open offer @id of @seller_id -> 'withdrawn'; DB_ENOROW when not open. */
int crm_db_offer_withdraw(db_t *db, long long id, long long seller_id);

/* crm_db_offer_expire - open offer @id past expires_at -> 'expired' (autocommit is fine);
 * DB_ENOROW when it was not such an offer (nothing changed). */
int crm_db_offer_expire(db_t *db, long long id);

/*
 * crm_db_offers_due - ids of open offers past expires_at, oldest first, at
 * most @limit: [id, ...].
 */
int crm_db_offers_due(db_t *db, int limit, json_t **out);

/*
 * crm_db_offer_changes - the 'offer' timeline events with action "paid" or
 * "reopened" whose id is above @after, oldest first, at most @limit:
 * [{event_id, offer_id}, ...].
 */
int crm_db_offer_changes(db_t *db, long long after, int limit, json_t **out);

/*
 * crm_db_offer_of_message - *@id: the offer carried by message @msg_id of
 * conversation @conv_id; DB_ENOROW when there is none.
 */
int crm_db_offer_of_message(db_t *db, long long conv_id, long long msg_id, long long *id);

/*
 * crm_db_offer_event - an 'offer' event on the lead's timeline
 * (crm_lead_events, sql/0026_crm.sql): data {offer_id, action ("created",
 * "accepted", "withdrawn", "expired"; the order trigger of sql/0027 writes
 * "paid", and "reopened" when the unpaid order is cancelled),
 * price_minor, currency, order_id?}.  The lead's deal value needs no
 * write: while the seller has set none, crm_lead_value() (replaced in
 * sql/0027) takes an open offer's price after open orders.
 */
int crm_db_offer_event(db_t *db, long long offer_id, const char *action);

#endif
