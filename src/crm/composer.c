/*
 * composer.c - what the thread page shows of the CRM tools (see tools.h):
 * crm_thread_context fills the seller's composer tools (saved replies,
 * the custom offer form) and every offer message's card, for either
 * participant; crm_reply_render and crm_parse_price are the module's pure
 * functions.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "crm/tools.h"
#include "http/parse.h"
#include "i18n/i18n.h"
#include "orders/orders.h"
#include "payments/payments.h"
#include "tmpl/tmpl.h"
#include "web/app.h"

/* ==== pure functions ==== */

int
crm_reply_render(const char *body, json_t *vars, buf_t *out, char *err, size_t errlen)
{
	buf_t tmp;
	const char *s;
	size_t i;

	buf_init(&tmp, out->arena);
	/* no set: {{> partials}} and {{< parents}} render nothing; no lambdas */
	if (tmpl_render_string(NULL, body, strlen(body), vars, NULL, 0, &tmp, err, errlen) != 0) {
		if (out->arena == NULL)
			buf_free(&tmp);
		return -1;
	}
	s = buf_cstr(&tmp);
	for (i = 0; i < tmp.len; i++) {
		if (strncmp(s + i, "&quot;", 6) == 0) {
			buf_putc(out, '"');
			i += 5;
		} else if (strncmp(s + i, "&#39;", 5) == 0) {
			buf_putc(out, '\'');
			i += 4;
		} else
			buf_putc(out, s[i]);
	}
	if (out->arena == NULL)
		buf_free(&tmp);
	return 0;
}

/* Whether @s[0..n) is digits grouped by thousands with separator @sep (or none). */
static int
grouped_ok(const char *s, size_t n, char sep)
{
	size_t i, run = 0, groups = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			run++;
			continue;
		}
		if (s[i] != sep || run == 0 || (groups == 0 && run > 3) || (groups > 0 && run != 3))
			return 0;
		groups++;
		run = 0;
	}
	return groups == 0 ? run > 0 : run == 3;
}

int
crm_parse_price(const char *s, int64_t *minor)
{
	char t[40];
	size_t n = 0, i, last = SIZE_MAX, intlen;
	char dec = 0, sep = 0;
	int64_t whole = 0, frac = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == ',') || n + 1 >= sizeof(t))
			return -1;
		t[n++] = *s;
	}
	t[n] = '\0';
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (t[i] == '.' || t[i] == ',')
			last = i;
	intlen = n;
	/* a separator followed by one or two digits at the end is the decimal point */
	if (last != SIZE_MAX && (n - last - 1 == 1 || n - last - 1 == 2)) {
		dec = t[last];
		intlen = last;
		for (i = last + 1; i < n; i++)
			frac = frac * 10 + (t[i] - '0');
		if (n - last - 1 == 1)
			frac *= 10;
	}
	for (i = 0; i < intlen; i++)
		if (t[i] == '.' || t[i] == ',') {
			if (sep == 0)
				sep = t[i];
			else if (t[i] != sep)
				return -1;
		}
	if (sep != 0 && sep == dec)
		return -1;
	if (!grouped_ok(t, intlen, sep != 0 ? sep : '\1'))
		return -1;
	for (i = 0; i < intlen; i++) {
		if (t[i] < '0' || t[i] > '9')
			continue;
		whole = whole * 10 + (t[i] - '0');
		if (whole > CRM_OFFER_PRICE_MAX / 100)
			return -1;
	}
	whole = whole * 100 + frac;
	if (whole < 1 || whole > CRM_OFFER_PRICE_MAX)
		return -1;
	*minor = whole;
	return 0;
}

/* ==== shared by the module's handlers ==== */

const char *
crm_draft_key(arena_t *a, long long seller_id, long long conv_id)
{
	return arena_printf(a, "crm:draft:%lld:%lld", seller_id, conv_id);
}

const char *
crm_random_key(arena_t *a)
{
	unsigned char raw[18];
	char *s = arena_alloc(a, 33);

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(s, 33, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

json_t *
crm_offer_form(http_req_t *req, long long conv_id, const json_t *options, json_t *values,
    json_t *errors)
{
	const char *cur = json_string_value(json_object_get(values, "currency"));
	const char *gig = json_string_value(json_object_get(values, "gig"));
	json_t *gigs = json_array(), *curs = json_array(), *g, *c;
	size_t i;

	json_array_foreach(json_object_get(options, "gigs"), i, g) {
		char id[24];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(g, "id")));
		json_array_append_new(gigs, json_pack("{s:s, s:O, s:O, s:b}", "id", id,
		    "title", json_object_get(g, "title"), "currency", json_object_get(g, "currency"),
		    "selected", gig != NULL && strcmp(gig, id) == 0));
	}
	json_array_foreach(json_object_get(options, "currencies"), i, c) {
		const char *code = json_string_value(c);

		json_array_append_new(curs, json_pack("{s:s, s:b}", "code", code ? code : "",
		    "selected", cur != NULL && code != NULL && strcmp(cur, code) == 0));
	}
	return json_pack("{s:s, s:o, s:b, s:o, s:b, s:o, s:o, s:i, s:i, s:i}",
	    "action", arena_printf(req->arena, "/inbox/%lld/offers/new", conv_id),
	    "gigs", gigs, "has_gigs", json_array_size(gigs) > 0, "currencies", curs,
	    "has_errors", json_object_size(errors) > 0, "values", values, "errors", errors,
	    "days_max", CRM_OFFER_DAYS_MAX, "revisions_max", CRM_OFFER_REVISIONS_MAX,
	    "expiry_max", CRM_OFFER_EXPIRY_MAX);
}

json_t *
crm_offer_defaults(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "description", "", "price", "",
	    "currency", "", "delivery_days", "3", "revisions", "1", "expiry_days", "7", "gig", "");
}

/*
 * The card of offer @card (crm_db_offer_cards) for the viewer: who may do
 * what, and for the buyer of an open offer the accept form (the total with
 * the buyer fee as checkout computes it, the gateways of its currency).
 * Also the card route's model (offers.c, GET /offers/{id}/card).
 */
void
crm_offer_card_model(http_req_t *req, json_t *card)
{
	long long id = json_integer_value(json_object_get(card, "id"));
	long long order_id = json_integer_value(json_object_get(card, "order_id"));
	int buyer = json_integer_value(json_object_get(card, "buyer_id")) == req->user_id;
	int seller = json_integer_value(json_object_get(card, "seller_id")) == req->user_id;
	int open = json_is_true(json_object_get(card, "is_open"));
	const char *cur = json_string_value(json_object_get(card, "currency"));
	int64_t price = (int64_t)json_integer_value(json_object_get(card, "price_minor"));

	json_object_set_new(card, "for_buyer", json_boolean(buyer));
	json_object_set_new(card, "for_seller", json_boolean(seller));
	if (order_id > 0)
		json_object_set_new(card, "order_url", json_string(arena_printf(req->arena,
		    "/orders/%lld", order_id)));
	if (seller && open)
		json_object_set_new(card, "withdraw_action", json_string(arena_printf(req->arena,
		    "/offers/%lld/withdraw", id)));
	if (buyer && open && cur != NULL) {
		int64_t fee = orders_buyer_fee(&APP(req)->cfg, cur, price);
		json_t *gws = payments_gateways(req, cur);

		if (fee >= 0)
			json_object_set_new(card, "accept", json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:b}",
			    "action", arena_printf(req->arena, "/offers/%lld/accept", id),
			    "idempotency_key", crm_random_key(req->arena),
			    "fee", payments_money(req->arena, fee, cur),
			    "total", payments_money(req->arena, price + fee, cur),
			    "total_minor", (json_int_t)(price + fee), "gateways", gws,
			    "has_gateways", json_array_size(gws) > 0));
		else
			json_decref(gws);
	}
	json_object_del(card, "buyer_id");
	json_object_del(card, "seller_id");
}

/* The seller's ?reply=ID: that reply rendered for this conversation into form.body. */
static int
insert_reply(http_req_t *req, long long conv_id, long long reply_id, json_t *ctx)
{
	db_t *db = APP(req)->db;
	json_t *reply = NULL, *vars = NULL, *form;
	const char *old;
	char err[TMPL_ERRLEN];
	buf_t out;
	int rc;

	if ((rc = crm_db_reply(db, req->user_id, reply_id, &reply)) != DB_OK)
		return rc == DB_ENOROW ? DB_OK : rc;
	if ((rc = crm_db_reply_vars(db, conv_id, req->user_id, &vars)) != DB_OK)
		goto out;
	buf_init(&out, req->arena);
	if ((form = json_object_get(ctx, "form")) == NULL) {
		form = json_object();
		json_object_set_new(ctx, "form", form);
	}
	old = json_string_value(json_object_get(form, "body"));
	if (old != NULL && old[0] != '\0') {
		buf_puts(&out, old);
		buf_puts(&out, "\n\n");
	}
	if (crm_reply_render(json_string_value(json_object_get(reply, "body")), vars, &out, err,
	    sizeof(err)) != 0)
		log_warn("request_id=%s saved reply %lld: %s", req->request_id, reply_id, err);
	else
		json_object_set_new(form, "body", json_string(buf_cstr(&out)));
out:
	json_decref(reply);
	json_decref(vars);
	return rc == DB_ENOROW ? DB_OK : rc;
}

/* ?draft=1: the composer's text kept by the no-JS Insert (read once, then deleted). */
static void
take_draft(http_req_t *req, long long conv_id, json_t *ctx)
{
	const char *argv[2] = { "GETDEL", crm_draft_key(req->arena, req->user_id, conv_id) };
	redisReply *r = kv_command(APP(req)->kv, 2, argv, NULL);
	json_t *form;

	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_STRING) {
		if ((form = json_object_get(ctx, "form")) == NULL) {
			form = json_object();
			json_object_set_new(ctx, "form", form);
		}
		json_object_set_new(form, "body", json_stringn(r->str, r->len));
	}
	freeReplyObject(r);
}

/* ==== the thread page ==== */

int
crm_thread_context(http_req_t *req, json_t *conv, json_t *ctx)
{
	db_t *db = APP(req)->db;
	long long conv_id = json_integer_value(json_object_get(conv, "id"));
	json_t *msgs = json_object_get(ctx, "messages"), *m, *cards = NULL, *parties = NULL;
	json_t *replies = NULL, *options = NULL, *r, *crm;
	const char *reply_s;
	long long reply_id = 0;
	size_t i;
	buf_t ids;
	int rc;

	/* offer cards, for whoever reads the thread */
	if (json_array_size(msgs) > 0) {
		buf_init(&ids, req->arena);
		buf_putc(&ids, '{');
		json_array_foreach(msgs, i, m)
			buf_printf(&ids, "%s%lld", i > 0 ? "," : "",
			    (long long)json_integer_value(json_object_get(m, "id")));
		buf_putc(&ids, '}');
		if ((rc = crm_db_offer_cards(db, conv_id, buf_cstr(&ids), app_lang(req), &cards)) !=
		    DB_OK)
			return rc;
		json_array_foreach(msgs, i, m) {
			char key[24];
			json_t *card;

			snprintf(key, sizeof(key), "%lld",
			    (long long)json_integer_value(json_object_get(m, "id")));
			if ((card = json_object_get(cards, key)) != NULL) {
				crm_offer_card_model(req, card);
				json_object_set(m, "offer", card);
			}
		}
		json_decref(cards);
	}
	/* the composer's tools: the conversation's seller only */
	if ((rc = crm_db_conv_parties(db, conv_id, &parties)) != DB_OK)
		return rc;
	if (json_integer_value(json_object_get(parties, "seller_id")) != req->user_id) {
		json_decref(parties);
		return DB_OK;
	}
	json_decref(parties);
	if ((rc = crm_db_replies(db, req->user_id, &replies)) != DB_OK)
		return rc;
	if ((rc = crm_db_offer_options(db, req->user_id, &options)) != DB_OK) {
		json_decref(replies);
		return rc;
	}
	reply_s = kv_get(&req->query_params, "reply");
	if (reply_s != NULL && (reply_id = app_form_int(reply_s, 1, LLONG_MAX - 1)) == LLONG_MIN)
		reply_id = 0;
	json_array_foreach(replies, i, r) {
		json_object_set_new(r, "selected", json_boolean(reply_id > 0 &&
		    json_integer_value(json_object_get(r, "id")) == reply_id));
		json_object_del(r, "body");
	}
	crm = json_pack("{s:I, s:o, s:b, s:o, s:s}", "conversation_id", (json_int_t)conv_id,
	    "replies", replies, "has_replies", json_array_size(replies) > 0,
	    "offer", crm_offer_form(req, conv_id, options, crm_offer_defaults(), json_object()),
	    "replies_url", "/crm/replies");
	json_decref(options);
	json_object_set_new(ctx, "crm", crm);
	if ((reply_s = kv_get(&req->query_params, "draft")) != NULL && strcmp(reply_s, "1") == 0)
		take_draft(req, conv_id, ctx);
	if (reply_id > 0)
		return insert_reply(req, conv_id, reply_id, ctx);
	return DB_OK;
}
