/*
 * payments.c - checkout and payment processing (see payments.h): input
 * validation, which query, which gateway call, which template.  No SQL
 * here (payments_db.c); gateways only through gateway.h.
 *
 * Every amount is recomputed by the server from the database; the forms
 * carry only choices (gig, package, quantity, extras, gateway, credit) and
 * the total the buyer saw (expected_total), which must still be the total.
 * Every money-moving POST carries an idempotency key stored with its
 * outcome in the same transaction as the order and payment it creates.
 * Outbound gateway calls are never made inside a database transaction.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "jobs/jobs.h"
#include "ledger/ledger.h"
#include "orders/orders.h"
#include "payments/gateway.h"
#include "payments/payments.h"
#include "twofa/qr.h"
#include "web/app.h"

/* The translation of @msgid in the request's language. */
#define T(req, msgid) i18n_str(app_lang(req), (msgid))

#define MAX_GATEWAYS 8

/* ==== pure functions ==== */

const char *
payments_money(arena_t *a, int64_t minor, const char *currency)
{
	char digits[32], grouped[48];
	uint64_t v = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	const char *sep = ",";
	size_t n, o = 0;

	snprintf(digits, sizeof(digits), "%" PRIu64, v / 100);
	n = strlen(digits);
	if (currency != NULL && strcmp(currency, "ZAR") == 0)
		sep = " ";
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[o++] = sep[0];
		grouped[o++] = digits[i];
	}
	grouped[o] = '\0';
	if (currency == NULL)
		currency = "";
	if (strcmp(currency, "USD") == 0)
		return arena_printf(a, "%s$%s.%02u", minor < 0 ? "-" : "", grouped, (unsigned)(v % 100));
	if (strcmp(currency, "CNY") == 0)
		return arena_printf(a, "%s¥%s.%02u", minor < 0 ? "-" : "", grouped, (unsigned)(v % 100));
	if (strcmp(currency, "ZAR") == 0)
		return arena_printf(a, "%sR %s,%02u", minor < 0 ? "-" : "", grouped, (unsigned)(v % 100));
	return arena_printf(a, "%s%s.%02u %s", minor < 0 ? "-" : "", grouped, (unsigned)(v % 100),
	    currency);
}

static int64_t
jint(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

int
payments_quote(const struct souk_config *cfg, const json_t *package, const json_t *extras,
    int quantity, struct payments_quote *q)
{
	const json_t *e;
	size_t i;
	int64_t fee, price = jint(package, "price_minor");
	int days = (int)jint(package, "delivery_days"), added = 0;
	int revisions = (int)jint(package, "revisions");

	memset(q, 0, sizeof(*q));
	q->currency = jstr(package, "currency");
	if (quantity < 1 || quantity > PAYMENTS_MAX_QUANTITY || price <= 0 ||
	    price > INT64_MAX / 4 / PAYMENTS_MAX_QUANTITY)
		return -1;
	q->unit_price_minor = price;
	q->quantity = quantity;
	json_array_foreach(extras, i, e) {
		int64_t p = jint(e, "price_minor");
		const char *kind = jstr(e, "kind");

		if (p <= 0 || p > INT64_MAX / 4 / PAYMENTS_MAX_EXTRAS)
			return -1;
		q->extras_minor += p;
		if (strcmp(kind, "fast_delivery") == 0)
			days = (int)jint(e, "added_days");
		else {
			added += (int)jint(e, "added_days");
			if (strcmp(kind, "extra_revision") == 0 && revisions >= 0)
				revisions++;
		}
	}
	q->subtotal_minor = price * quantity + q->extras_minor;
	if ((fee = orders_buyer_fee(cfg, q->currency, q->subtotal_minor)) < 0)
		return -1;
	q->buyer_fee_minor = fee;
	q->total_minor = q->subtotal_minor + fee;
	q->delivery_days = days + added;
	if (q->delivery_days < 1)
		q->delivery_days = 1;
	if (q->delivery_days > PAYMENTS_MAX_DAYS)
		q->delivery_days = PAYMENTS_MAX_DAYS;
	q->revisions = revisions;
	return 0;
}

/* 24 URL-safe random characters (18 bytes of libsodium randomness). */
static const char *
random_token(arena_t *a)
{
	unsigned char raw[18];
	char *s = arena_alloc(a, 25 + 8);

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(s, 33, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

/* [A-Za-z0-9_-]{16,64}: the idempotency_keys.key rule. */
static int
idem_key_ok(const char *k)
{
	size_t n = 0;

	for (; k[n] != '\0'; n++)
		if (!((k[n] >= 'a' && k[n] <= 'z') || (k[n] >= 'A' && k[n] <= 'Z') ||
		    (k[n] >= '0' && k[n] <= '9') || k[n] == '_' || k[n] == '-'))
			return 0;
	return n >= 16 && n <= 64;
}

/* Hex SHA-256 of @s, in @a. */
static const char *
sha256_hex(arena_t *a, const char *s)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char *hex = arena_alloc(a, sizeof(h) * 2 + 1);

	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(hex, sizeof(h) * 2 + 1, h, sizeof(h));
	return hex;
}

/* The gateways that take @currency and can start a payment now. */
static size_t
offered(const char *currency, const gateway_t **out)
{
	const gateway_t *all[MAX_GATEWAYS];
	size_t n = gateway_for_currency(currency, all, MAX_GATEWAYS), m = 0;

	for (size_t i = 0; i < n; i++)
		if (all[i] != NULL && all[i]->start != NULL)
			out[m++] = all[i];
	return m;
}

static const gateway_t *
offered_find(const char *currency, const char *name)
{
	const gateway_t *g[MAX_GATEWAYS];
	size_t n = offered(currency, g);

	for (size_t i = 0; i < n; i++)
		if (strcmp(g[i]->name, name) == 0)
			return g[i];
	return NULL;
}

static json_t *
gateways_json(http_req_t *req, const char *currency, const char *chosen)
{
	const gateway_t *g[MAX_GATEWAYS];
	size_t n = offered(currency, g);
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "name", g[i]->name,
		    "label", T(req, g[i]->label), "checked",
		    chosen != NULL && chosen[0] != '\0' ? strcmp(chosen, g[i]->name) == 0 : i == 0));
	return a;
}

/* An absolute URL for @path on the notify/return base. */
static const char *
abs_url(http_req_t *req, const char *path)
{
	const struct souk_config *cfg = &APP(req)->cfg;
	const char *base = cfg->notify_base_url != NULL && cfg->notify_base_url[0] != '\0' ?
	    cfg->notify_base_url : cfg->base_url;

	return arena_printf(req->arena, "%s%s", base, path);
}

/* /login?next=<this request's path and query>. */
static int
login_redirect(http_req_t *req)
{
	buf_t next, to;

	buf_init(&next, req->arena);
	buf_puts(&next, req->path);
	if (req->query[0] != '\0') {
		buf_putc(&next, '?');
		buf_puts(&next, req->query);
	}
	buf_init(&to, req->arena);
	buf_puts(&to, "/login?next=");
	url_encode(&to, buf_cstr(&next), next.len);
	http_redirect(req, 303, buf_cstr(&to));
	return req->status;
}

/* ==== confirming a payment (shared by notifications and credit) ==== */

int
payments_confirm(db_t *db, const struct souk_config *cfg, long long payment_id,
    long long order_id, long long change_order_id, long long buyer_id, const char *gateway,
    const char *currency, int64_t amount_minor, int64_t credit_minor,
    const char *gateway_txn_id)
{
	int rc;

	if ((rc = payments_db_set_paid(db, payment_id, gateway_txn_id)) != DB_OK)
		return rc;
	rc = ledger_payment(db, order_id, payment_id, buyer_id, gateway, currency, amount_minor,
	    credit_minor);
	if (rc != LEDGER_OK && rc != LEDGER_DUPLICATE)
		return rc;
	if (change_order_id > 0)
		return orders_change_order_paid(db, cfg, change_order_id, payment_id);
	return orders_paid(db, cfg, order_id, payment_id);
}

/* ==== GET /checkout and POST /checkout ==== */

struct checkout {
	/* input, as typed */
	const char *gig_s, *tier, *quantity_s, *gateway, *idem_key, *expected_s;
	const char *extra_s[PAYMENTS_MAX_EXTRAS];
	size_t nextra;
	int use_credit;
	int too_many_extras;
	/* checked */
	long long gig_id;
	int quantity;
	/* loaded */
	json_t *data;			/* payments_db_checkout */
	json_t *package;		/* borrowed from data */
	json_t *chosen;			/* new array of chosen extras */
	struct payments_quote q;
	int64_t credit_balance;
	json_t *errors;
	const char *message;		/* a form-level message (N_ msgid) */
};

static void
checkout_free(struct checkout *c)
{
	json_decref(c->data);
	json_decref(c->chosen);
	json_decref(c->errors);
}

/* Read the choices from @kv (query string or form). */
static void
checkout_read(struct checkout *c, const kvlist_t *kv)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	c->errors = json_object();
	c->gig_s = (v = kv_get(kv, "gig")) != NULL ? v : "";
	c->tier = (v = kv_get(kv, "package")) != NULL && v[0] != '\0' ? v : "basic";
	c->quantity_s = (v = kv_get(kv, "quantity")) != NULL && v[0] != '\0' ? v : "1";
	c->gateway = (v = kv_get(kv, "gateway")) != NULL ? v : "";
	c->idem_key = (v = kv_get(kv, "idempotency_key")) != NULL ? v : "";
	c->expected_s = (v = kv_get(kv, "expected_total")) != NULL ? v : "";
	v = kv_get(kv, "use_credit");
	c->use_credit = v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "on") == 0);
	for (size_t i = 0; i < kv->n; i++) {
		if (strcmp(kv->items[i].name, "extra") != 0 || kv->items[i].value[0] == '\0')
			continue;
		if (c->nextra == PAYMENTS_MAX_EXTRAS) {
			c->too_many_extras = 1;
			break;
		}
		c->extra_s[c->nextra++] = kv->items[i].value;
	}
}

/*
 * Load and check the choices.  Returns 0 (c->q filled), or the HTTP
 * status of the refusal: 404 (no such gig), 403 (the buyer's own gig),
 * 422 (bad choices: c->errors says which; the page can still render when
 * c->package is set), or a DB status (rendered).
 */
static int
checkout_load(http_req_t *req, struct checkout *c)
{
	json_t *pk, *ex;
	long long n;
	size_t i, j;
	int rc;

	if (http_parse_int64(c->gig_s, 1, INT64_MAX, &n) != 0)
		return 404;
	c->gig_id = n;
	if ((rc = payments_db_checkout(APP(req)->db, c->gig_id, app_lang(req), &c->data)) != DB_OK)
		return rc == DB_ENOROW ? 404 : app_db_status(req, rc);
	if (jint(json_object_get(c->data, "gig"), "seller_id") == req->user_id)
		return 403;
	json_array_foreach(json_object_get(c->data, "packages"), i, pk)
		if (strcmp(jstr(pk, "tier"), c->tier) == 0)
			c->package = pk;
	if (c->package == NULL) {
		app_form_error(c->errors, "package", "unknown");
		c->package = json_array_get(json_object_get(c->data, "packages"), 0);
		if (c->package == NULL)
			return 404;
		c->tier = jstr(c->package, "tier");
	}
	if (http_parse_int64(c->quantity_s, 1, PAYMENTS_MAX_QUANTITY, &n) != 0) {
		app_form_error(c->errors, "quantity", "range");
		c->quantity = 1;
	} else
		c->quantity = (int)n;
	c->chosen = json_array();
	if (c->too_many_extras)
		app_form_error(c->errors, "extra", "unknown");
	for (i = 0; i < c->nextra; i++) {
		json_t *found = NULL;

		if (http_parse_int64(c->extra_s[i], 1, INT64_MAX, &n) == 0)
			json_array_foreach(json_object_get(c->data, "extras"), j, ex)
				if (jint(ex, "id") == n)
					found = ex;
		/* a fast delivery of another package is not on offer */
		if (found != NULL && strcmp(jstr(found, "kind"), "fast_delivery") == 0 &&
		    strcmp(jstr(found, "tier"), c->tier) != 0)
			found = NULL;
		if (found == NULL) {
			app_form_error(c->errors, "extra", "unknown");
			continue;
		}
		/* the same extra twice counts once */
		json_array_foreach(c->chosen, j, ex)
			if (ex == found)
				break;
		if (j == json_array_size(c->chosen))
			json_array_append(c->chosen, found);
	}
	if (payments_quote(&APP(req)->cfg, c->package, c->chosen, c->quantity, &c->q) != 0) {
		app_form_error(c->errors, "quantity", "range");
		return 422;
	}
	if (req->user_id > 0 && (rc = ledger_balance(APP(req)->db, "buyer_credit", c->q.currency,
	    req->user_id, 0, NULL, &c->credit_balance)) != DB_OK)
		return app_db_status(req, rc);
	return json_object_size(c->errors) > 0 ? 422 : 0;
}

/* The checkout page's context. */
static json_t *
checkout_ctx(http_req_t *req, struct checkout *c)
{
	arena_t *a = req->arena;
	const char *cur = c->q.currency;
	json_t *gig = json_object_get(c->data, "gig");
	json_t *ctx = json_object(), *pkgs = json_array(), *extras = json_array(), *lines;
	json_t *pk, *ex;
	size_t i, j;
	int64_t credit = 0;

	json_array_foreach(json_object_get(c->data, "packages"), i, pk)
		json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:s, s:b}",
		    "tier", jstr(pk, "tier"), "tier_label", jstr(pk, "tier_label"),
		    "name", jstr(pk, "name"), "price", jstr(pk, "price"),
		    "selected", pk == c->package));
	json_array_foreach(json_object_get(c->data, "extras"), i, ex) {
		const char *kind = jstr(ex, "kind");
		int checked = 0;
		json_t *ch;

		if (strcmp(kind, "fast_delivery") == 0 && strcmp(jstr(ex, "tier"), c->tier) != 0)
			continue;
		json_array_foreach(c->chosen, j, ch)
			if (ch == ex)
				checked = 1;
		json_array_append_new(extras, json_pack("{s:I, s:b, s:b, s:b, s:s, s:s, s:I, s:b}",
		    "id", (json_int_t)jint(ex, "id"), "fast", strcmp(kind, "fast_delivery") == 0,
		    "revision", strcmp(kind, "extra_revision") == 0,
		    "custom", strcmp(kind, "custom") == 0, "title", jstr(ex, "title"),
		    "price", jstr(ex, "price"), "added_days", (json_int_t)jint(ex, "added_days"),
		    "checked", checked));
	}
	lines = json_array();
	json_array_foreach(c->chosen, i, ex) {
		const char *kind = jstr(ex, "kind");

		json_array_append_new(lines, json_pack("{s:b, s:b, s:b, s:s, s:s, s:I}",
		    "fast", strcmp(kind, "fast_delivery") == 0,
		    "revision", strcmp(kind, "extra_revision") == 0,
		    "custom", strcmp(kind, "custom") == 0, "title", jstr(ex, "title"),
		    "price", jstr(ex, "price"), "id", (json_int_t)jint(ex, "id")));
	}
	if (c->use_credit && c->credit_balance > 0)
		credit = c->credit_balance < c->q.total_minor ? c->credit_balance : c->q.total_minor;
	json_object_set_new(ctx, "gig", json_pack("{s:I, s:s, s:s, s:s}",
	    "id", (json_int_t)jint(gig, "id"), "title", jstr(gig, "title"),
	    "url", jstr(gig, "url"), "currency", cur));
	json_object_set_new(ctx, "packages", pkgs);
	json_object_set_new(ctx, "package", json_pack("{s:s, s:s, s:s, s:s}",
	    "tier", c->tier, "tier_label", jstr(c->package, "tier_label"),
	    "name", jstr(c->package, "name"), "price", jstr(c->package, "price")));
	json_object_set_new(ctx, "extras", extras);
	json_object_set_new(ctx, "has_extras", json_boolean(json_array_size(extras) > 0));
	json_object_set_new(ctx, "form", json_pack("{s:s, s:s, s:b}", "quantity", c->quantity_s,
	    "gateway", c->gateway, "use_credit", c->use_credit));
	json_object_set_new(ctx, "summary", json_pack(
	    "{s:i, s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:i, s:b, s:s?, s:s, s:b}",
	    "quantity", c->q.quantity,
	    "unit_price", payments_money(a, c->q.unit_price_minor, cur),
	    "package_price", payments_money(a, c->q.unit_price_minor * c->q.quantity, cur),
	    "extras", lines,
	    "subtotal", payments_money(a, c->q.subtotal_minor, cur),
	    "fee", payments_money(a, c->q.buyer_fee_minor, cur),
	    "total", payments_money(a, c->q.total_minor, cur),
	    "total_minor", (json_int_t)c->q.total_minor,
	    "delivery_days", c->q.delivery_days,
	    "unlimited_revisions", c->q.revisions < 0,
	    "credit_used", credit > 0 ? payments_money(a, credit, cur) : NULL,
	    "to_pay", payments_money(a, c->q.total_minor - credit, cur),
	    "covered", credit > 0 && credit == c->q.total_minor));
	json_object_set_new(json_object_get(ctx, "summary"), "revisions",
	    json_integer(c->q.revisions));
	json_object_set_new(ctx, "gateways", gateways_json(req, cur, c->gateway));
	if (c->credit_balance > 0)
		json_object_set_new(ctx, "credit", json_pack("{s:s}", "balance",
		    payments_money(a, c->credit_balance, cur)));
	json_object_set_new(ctx, "idempotency_key", json_string(random_token(a)));
	json_object_set(ctx, "errors", c->errors);
	json_object_set_new(ctx, "has_errors", json_boolean(json_object_size(c->errors) > 0));
	if (c->message != NULL)
		json_object_set_new(ctx, "message", json_string(T(req, c->message)));
	app_page(ctx, arena_printf(a, T(req, N_("Checkout: %s | Souk")), jstr(gig, "title")),
	    NULL, "/checkout", NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	return ctx;
}

static int
checkout_render(http_req_t *req, struct checkout *c, int status)
{
	json_t *ctx = checkout_ctx(req, c);

	http_no_store(req);
	req->status = status;
	app_render(req, "payments/checkout", ctx);
	json_decref(ctx);
	return req->status;
}

/* A refusal of checkout_load as a page. */
static int
checkout_refuse(http_req_t *req, struct checkout *c, int st)
{
	switch (st) {
	case 404:
		return app_error(req, 404, N_("This service is not available to order."));
	case 403:
		return app_error(req, 403, N_("You cannot order your own service."));
	case 422:
		if (c->package != NULL)
			return checkout_render(req, c, 422);
		return app_error(req, 422, NULL);
	default:
		return req->status;	/* already rendered */
	}
}

static int
checkout_page(http_req_t *req)
{
	struct checkout c;
	int st;

	if (req->user_id == 0)
		return login_redirect(req);
	checkout_read(&c, &req->query_params);
	if (kv_get(&req->query_params, "use_credit") == NULL)
		c.use_credit = 1;	/* credit is used unless the buyer unticks it */
	st = checkout_load(req, &c);
	if (st == 0)
		st = checkout_render(req, &c, 200);
	else
		st = checkout_refuse(req, &c, st);
	checkout_free(&c);
	return st;
}

/* The stored outcome of an idempotency key already used: 303, 409 or 422. */
static int
idem_replay(http_req_t *req, const char *hash, const char *old_hash, int status,
    const char *location)
{
	if (strcmp(hash, old_hash) != 0)
		return app_error(req, 422, N_("This form was already sent with other choices. "
		    "Go back, reload the page and choose again."));
	if (status == 0 || location == NULL || location[0] == '\0')
		return app_error(req, 409, N_("This payment is already being processed. "
		    "Wait a moment, then reload the page."));
	http_redirect(req, 303, location);
	return req->status;
}

/* Roll back and answer the status of a failed step. */
static int
tx_fail(http_req_t *req, int rc)
{
	const char *st = db_sqlstate(APP(req)->db);

	db_rollback(APP(req)->db);
	if (rc == LEDGER_ENOFUNDS)
		return app_error(req, 409, N_("Your Souk credit has changed. Reload the page and "
		    "try again."));
	if (rc == ORDERS_ECONFLICT || (st != NULL && strcmp(st, "SK409") == 0))
		return app_error(req, 409, N_("This order has changed meanwhile. Reload the page."));
	if (st != NULL && (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strcmp(st, "23505") == 0))
		return app_error(req, 409, N_("Another request changed this at the same time. "
		    "Reload the page and try again."));
	return app_db_status(req, rc == DB_EDOWN ? DB_EDOWN : DB_ERROR);
}

/*
 * Create a payment of @total_minor for order @order_id (change order @cid,
 * 0 = none) through @gw (NULL = buyer credit covers it), inside the open
 * transaction; confirm it at once when credit covers everything.  Writes
 * the outcome's location into *@location.  Returns DB_OK or an error code.
 */
static int
payment_create(http_req_t *req, long long order_id, long long cid, const char *currency,
    int64_t total_minor, int64_t credit, const gateway_t *gw, const char **location)
{
	db_t *db = APP(req)->db;
	const char *ref = random_token(req->arena);
	const char *gname = credit >= total_minor ? "credit" : gw->name;
	long long pid;
	int rc;

	if ((rc = payments_db_payment_insert(db, order_id, cid, req->user_id, gname, currency,
	    total_minor - credit, credit, ref, &pid)) != DB_OK)
		return rc;
	if (credit >= total_minor) {
		rc = payments_confirm(db, &APP(req)->cfg, pid, order_id, cid, req->user_id,
		    "credit", currency, 0, credit, NULL);
		if (rc != DB_OK)
			return rc;
		*location = arena_printf(req->arena, "/payments/%s/return", ref);
	} else
		*location = arena_printf(req->arena, "/payments/%s/go", ref);
	return DB_OK;
}

static int
checkout_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	struct checkout c;
	struct payments_new_order o;
	const gateway_t *gw = NULL;
	const char *hash, *location = NULL, *old_hash;
	char *oh, *oloc;
	json_t *gig, *ex, *frozen;
	buf_t key;
	size_t i;
	long long order_id, expected;
	int64_t credit = 0;
	int st, rc, claimed, ostatus;
	char *extras_json;

	checkout_read(&c, &req->form);
	if (req->user_id == 0) {
		/* Signed out meanwhile: log in, then back to the same choices. */
		buf_t next, to;

		buf_init(&next, req->arena);
		buf_puts(&next, "/checkout?gig=");
		url_encode(&next, c.gig_s, strlen(c.gig_s));
		buf_puts(&next, "&package=");
		url_encode(&next, c.tier, strlen(c.tier));
		buf_puts(&next, "&quantity=");
		url_encode(&next, c.quantity_s, strlen(c.quantity_s));
		for (i = 0; i < c.nextra; i++) {
			buf_puts(&next, "&extra=");
			url_encode(&next, c.extra_s[i], strlen(c.extra_s[i]));
		}
		buf_init(&to, req->arena);
		buf_puts(&to, "/login?next=");
		url_encode(&to, buf_cstr(&next), next.len);
		http_redirect(req, 303, buf_cstr(&to));
		st = req->status;
		goto out;
	}
	if ((st = checkout_load(req, &c)) != 0 && st != 422) {
		st = checkout_refuse(req, &c, st);
		goto out;
	}
	if (c.gateway[0] == '\0' && !(c.use_credit && c.credit_balance >= c.q.total_minor))
		app_form_error(c.errors, "gateway", "required");
	else if (c.gateway[0] != '\0' && (gw = offered_find(c.q.currency, c.gateway)) == NULL)
		app_form_error(c.errors, "gateway", "unknown");
	if (!idem_key_ok(c.idem_key)) {
		app_form_error(c.errors, "idempotency_key", "invalid");
		c.message = N_("This form has expired. Check your choices and send it again.");
	}
	/* The total the buyer saw must still be the total. */
	if (c.expected_s[0] != '\0' && (http_parse_int64(c.expected_s, 0, INT64_MAX, &expected) != 0 ||
	    expected != c.q.total_minor)) {
		app_form_error(c.errors, "total", "changed");
		c.message = N_("The price is not what the page showed. Check the new total and "
		    "send the form again.");
	}
	if (json_object_size(c.errors) > 0) {
		st = checkout_refuse(req, &c, 422);
		goto out;
	}
	/* The request's meaningful fields, as the idempotency key's hash. */
	buf_init(&key, req->arena);
	buf_printf(&key, "checkout\n%lld\n%s\n%d\n%s\n%d", c.gig_id, c.tier, c.quantity,
	    c.gateway, c.use_credit);
	{
		long long ids[PAYMENTS_MAX_EXTRAS];
		size_t n = 0, a, b;

		json_array_foreach(c.chosen, i, ex)
			ids[n++] = (long long)jint(ex, "id");
		for (a = 1; a < n; a++)	/* sorted: the order of the boxes does not matter */
			for (b = a; b > 0 && ids[b - 1] > ids[b]; b--) {
				long long t = ids[b];
				ids[b] = ids[b - 1];
				ids[b - 1] = t;
			}
		for (a = 0; a < n; a++)
			buf_printf(&key, "\n%lld", ids[a]);
	}
	hash = sha256_hex(req->arena, buf_cstr(&key));

	if ((rc = db_begin(db)) != DB_OK) {
		st = app_db_status(req, rc);
		goto out;
	}
	if ((rc = payments_db_idem_claim(db, req->arena, req->user_id, c.idem_key, "checkout",
	    hash, &claimed, &oh, &ostatus, &oloc)) != DB_OK) {
		st = tx_fail(req, rc);
		goto out;
	}
	if (!claimed) {
		db_rollback(db);
		old_hash = oh;
		st = idem_replay(req, hash, old_hash, ostatus, oloc);
		goto out;
	}
	/* Credit is read again inside the transaction; the posting checks it too. */
	if (c.use_credit) {
		if ((rc = ledger_balance(db, "buyer_credit", c.q.currency, req->user_id, 0, NULL,
		    &c.credit_balance)) != DB_OK) {
			st = tx_fail(req, rc);
			goto out;
		}
		credit = c.credit_balance < c.q.total_minor ? c.credit_balance : c.q.total_minor;
		if (credit < 0)
			credit = 0;
	}
	if (credit < c.q.total_minor && gw == NULL) {
		db_rollback(db);
		app_form_error(c.errors, "gateway", "required");
		st = checkout_render(req, &c, 422);
		goto out;
	}
	frozen = json_array();
	json_array_foreach(c.chosen, i, ex)
		json_array_append_new(frozen, json_pack("{s:I, s:s, s:s?, s:s, s:I, s:I, s:i}",
		    "id", (json_int_t)jint(ex, "id"), "kind", jstr(ex, "kind"),
		    "tier", json_string_value(json_object_get(ex, "tier")),
		    "title", jstr(ex, "title"), "price_minor", (json_int_t)jint(ex, "price_minor"),
		    "added_days", (json_int_t)jint(ex, "added_days"), "quantity", 1));
	extras_json = json_dumps(frozen, JSON_COMPACT);
	json_decref(frozen);
	gig = json_object_get(c.data, "gig");
	memset(&o, 0, sizeof(o));
	o.buyer_id = req->user_id;
	o.seller_id = (long long)jint(gig, "seller_id");
	o.gig_id = c.gig_id;
	o.package_tier = c.tier;
	o.package_name = jstr(c.package, "name");
	o.gig_title = jstr(gig, "title");
	o.quantity = c.quantity;
	o.extras_json = extras_json != NULL ? extras_json : "[]";
	o.currency = c.q.currency;
	o.unit_price_minor = c.q.unit_price_minor;
	o.subtotal_minor = c.q.subtotal_minor;
	o.buyer_fee_minor = c.q.buyer_fee_minor;
	o.total_minor = c.q.total_minor;
	o.seller_fee_bps = APP(req)->cfg.seller_fee_bps;
	o.delivery_days = c.q.delivery_days;
	o.revisions_allowed = c.q.revisions;
	rc = payments_db_order_insert(db, &o, &order_id);
	free(extras_json);
	if (rc == DB_OK)
		rc = orders_event(db, order_id, req->user_id, "created", "", NULL, NULL);
	if (rc == DB_OK)
		rc = payment_create(req, order_id, 0, c.q.currency, c.q.total_minor, credit, gw,
		    &location);
	if (rc == DB_OK)
		rc = payments_db_idem_done(db, req->user_id, c.idem_key, 303, location);
	if (rc != DB_OK) {
		st = tx_fail(req, rc);
		goto out;
	}
	if ((rc = db_commit(db)) != DB_OK) {
		st = tx_fail(req, rc);
		goto out;
	}
	log_info("request_id=%s checkout order=%lld buyer=%lld total=%" PRId64 " %s",
	    req->request_id, order_id, req->user_id, c.q.total_minor, c.q.currency);
	http_redirect(req, 303, location);
	st = req->status;
out:
	checkout_free(&c);
	return st;
}

/* ==== the payment pages ==== */

/* The buyer's payment @ref, or an answered 404. */
static json_t *
own_payment(http_req_t *req)
{
	const char *ref = route_param(&req->match, "ref");
	json_t *p = NULL;
	int rc;

	if ((rc = payments_db_payment(APP(req)->db, ref, 0, app_lang(req), &p)) != DB_OK) {
		app_db_status(req, rc);
		return NULL;
	}
	if (jint(p, "buyer_id") != req->user_id) {
		json_decref(p);
		app_error(req, 404, NULL);
		return NULL;
	}
	return p;
}

/* The "pay again" form's target for payment @p. */
static const char *
pay_again_action(http_req_t *req, const json_t *p)
{
	if (jint(p, "change_order_id") > 0)
		return arena_printf(req->arena, "/orders/%lld/change-orders/%lld/pay",
		    (long long)jint(p, "order_id"), (long long)jint(p, "change_order_id"));
	return arena_printf(req->arena, "/orders/%lld/pay", (long long)jint(p, "order_id"));
}

/* A page about payment @p: template @name with its state and a retry form. */
static int
payment_page(http_req_t *req, json_t *p, const char *name, int status, const char *title)
{
	json_t *ctx = json_object();
	const char *state = jstr(p, "state");

	json_object_set(ctx, "payment", p);
	json_object_set_new(ctx, "paid", json_boolean(strcmp(state, "paid") == 0));
	json_object_set_new(ctx, "pending", json_boolean(strcmp(state, "pending") == 0 ||
	    strcmp(state, "created") == 0));
	json_object_set_new(ctx, "failed", json_boolean(strcmp(state, "failed") == 0));
	json_object_set_new(ctx, "cancelled", json_boolean(strcmp(state, "cancelled") == 0));
	json_object_set_new(ctx, "order_url", json_string(arena_printf(req->arena, "/orders/%lld",
	    (long long)jint(p, "order_id"))));
	json_object_set_new(ctx, "go_url", json_string(arena_printf(req->arena,
	    "/payments/%s/go", jstr(p, "reference"))));
	json_object_set_new(ctx, "return_url", json_string(arena_printf(req->arena,
	    "/payments/%s/return", jstr(p, "reference"))));
	/* Paying again makes sense while nothing is paid and the order waits. */
	if (strcmp(state, "paid") != 0 && (jint(p, "change_order_id") > 0 ||
	    strcmp(jstr(p, "order_state"), "awaiting_payment") == 0)) {
		json_object_set_new(ctx, "retry", json_pack("{s:s, s:s, s:o}",
		    "action", pay_again_action(req, p),
		    "idempotency_key", random_token(req->arena),
		    "gateways", gateways_json(req, jstr(p, "currency"), jstr(p, "gateway"))));
	}
	app_page(ctx, title, NULL, req->path, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = status;
	app_render(req, name, ctx);
	json_decref(ctx);
	return req->status;
}

/* scheme://host[:port] of @url for the page's form-action, or NULL. */
static const char *
url_origin(arena_t *a, const char *url)
{
	const char *p = strstr(url, "://"), *end;

	if (p == NULL)
		return NULL;
	end = strchr(p + 3, '/');
	if (end == NULL)
		end = p + strlen(p);
	for (const char *s = url; s < end; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == ':' || *s == '/' || *s == '-'))
			return NULL;
	return arena_strndup(a, url, (size_t)(end - url));
}

/* At most @max bytes of @s, cut at a UTF-8 character boundary. */
static const char *
utf8_cut(arena_t *a, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return s;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return arena_strndup(a, s, n);
}

static int
pay_go(http_req_t *req)
{
	json_t *p, *ctx, *fields;
	const gateway_t *gw;
	struct gw_ctx gc;
	struct gw_payment gp;
	struct gw_start out;
	const char *ref, *origin;
	char err[256] = "";
	int rc;

	if ((p = own_payment(req)) == NULL)
		return req->status;
	ref = jstr(p, "reference");
	if (strcmp(jstr(p, "state"), "paid") == 0 || strcmp(jstr(p, "gateway"), "credit") == 0) {
		json_decref(p);
		http_redirect(req, 303, arena_printf(req->arena, "/payments/%s/return", ref));
		return req->status;
	}
	if (strcmp(jstr(p, "state"), "failed") == 0 || strcmp(jstr(p, "state"), "cancelled") == 0 ||
	    (jint(p, "change_order_id") == 0 &&
	    strcmp(jstr(p, "order_state"), "awaiting_payment") != 0)) {
		rc = payment_page(req, p, "payments/return", 409,
		    T(req, N_("This payment cannot be continued | Souk")));
		json_decref(p);
		return rc;
	}
	gw = gateway_find(jstr(p, "gateway"));
	if (gw == NULL || gw->start == NULL) {
		rc = payment_page(req, p, "payments/unavailable", 503,
		    T(req, N_("Payment provider unavailable | Souk")));
		json_decref(p);
		return rc;
	}
	memset(&gc, 0, sizeof(gc));
	gc.cfg = &APP(req)->cfg;
	gc.arena = req->arena;
	gc.request_id = req->request_id;
	memset(&gp, 0, sizeof(gp));
	gp.reference = ref;
	gp.amount_minor = jint(p, "amount_minor");
	gp.currency = jstr(p, "currency");
	gp.item_name = utf8_cut(req->arena, jstr(p, "gig_title"), 100);
	gp.buyer_email = jstr(p, "buyer_email");
	gp.buyer_name = jstr(p, "buyer_name");
	gp.return_url = abs_url(req, arena_printf(req->arena, "/payments/%s/return", ref));
	gp.cancel_url = abs_url(req, arena_printf(req->arena, "/payments/%s/cancel", ref));
	gp.notify_url = abs_url(req, arena_printf(req->arena, "/payments/notify/%s", gw->name));
	gp.idempotency_key = arena_printf(req->arena, "start-%s", ref);
	memset(&out, 0, sizeof(out));
	/* The outbound call: no transaction is open here. */
	rc = gw->start(&gc, &gp, &out, err, sizeof(err));
	if (rc != GW_OK) {
		log_warn("request_id=%s payment=%s gateway=%s start failed (%d): %s",
		    req->request_id, ref, gw->name, rc, err);
		http_header(req, "Retry-After", "5");
		rc = payment_page(req, p, "payments/unavailable", 503,
		    T(req, N_("Payment provider unavailable | Souk")));
		json_decref(p);
		return rc;
	}
	if ((rc = payments_db_set_pending(APP(req)->db, jint(p, "id"), out.gateway_txn_id)) != DB_OK) {
		json_decref(p);
		return app_db_status(req, rc);
	}
	ctx = json_object();
	json_object_set(ctx, "payment", p);
	json_object_set_new(ctx, "gateway", json_pack("{s:s, s:s}", "name", gw->name,
	    "label", T(req, gw->label)));
	json_object_set_new(ctx, "url", json_string(out.url != NULL ? out.url : ""));
	/*
	 * Never a 303 to the gateway: this page is the end of the redirect
	 * chain of the checkout form's POST, and Chromium checks every
	 * redirect of a form submission against the submitting page's
	 * form-action ('self').  The buyer leaves from this page instead, by
	 * its own form (POST gateways: the fields; redirect gateways: a GET
	 * form carrying the URL's query as fields), which this page's own CSP
	 * lets go to the gateway's origin only; a plain link when the URL's
	 * query cannot be carried as fields.
	 */
	if (out.post || strcmp(gw->name, "wechat") != 0) {
		const char *action = out.url != NULL ? out.url : "";
		int is_form = 1;

		fields = json_array();
		if (out.post) {
			for (size_t i = 0; i < out.nfields; i++)
				json_array_append_new(fields, json_pack("{s:s, s:s}",
				    "name", out.fields[i].name ? out.fields[i].name : "",
				    "value", out.fields[i].value ? out.fields[i].value : ""));
		} else {
			const char *q = strchr(action, '?');
			kvlist_t kv;

			if (strchr(action, '#') != NULL)
				is_form = 0;
			else if (q != NULL) {
				if (http_parse_urlencoded(req->arena, q + 1, strlen(q + 1), NULL,
				    &kv) != PARSE_OK)
					is_form = 0;
				else {
					for (size_t i = 0; i < kv.n; i++)
						json_array_append_new(fields, json_pack("{s:s, s:s}",
						    "name", kv.items[i].name,
						    "value", kv.items[i].value));
					action = arena_strndup(req->arena, action,
					    (size_t)(q - action));
				}
			}
		}
		if (is_form) {
			json_object_set_new(ctx, "form", json_pack("{s:s, s:s}", "method",
			    out.post ? "post" : "get", "action", action));
			json_object_set_new(ctx, "fields", fields);
		} else {
			json_decref(fields);
			json_object_set_new(ctx, "link", json_true());
		}
		json_object_set_new(ctx, "post", json_true());
		if (out.url != NULL && (origin = url_origin(req->arena, out.url)) != NULL)
			http_header(req, "Content-Security-Policy", arena_printf(req->arena,
			    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
			    "script-src 'self'; object-src 'none'; base-uri 'self'; "
			    "form-action 'self' %s; frame-ancestors 'none'", origin));
	} else {
		buf_t svg;

		buf_init(&svg, req->arena);
		if (out.url != NULL && qr_svg(&svg, out.url, 6) == 0)
			json_object_set_new(ctx, "qr_svg", json_string(buf_cstr(&svg)));
		json_object_set_new(ctx, "qr", json_true());
	}
	json_object_set_new(ctx, "return_url", json_string(arena_printf(req->arena,
	    "/payments/%s/return", ref)));
	app_page(ctx, arena_printf(req->arena, T(req, N_("Pay with %s | Souk")), T(req, gw->label)),
	    NULL, req->path, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	app_render(req, "payments/go", ctx);
	json_decref(ctx);
	json_decref(p);
	return req->status;
}

static int
pay_return(http_req_t *req)
{
	json_t *p;
	int rc;

	if ((p = own_payment(req)) == NULL)
		return req->status;
	rc = payment_page(req, p, "payments/return", 200,
	    T(req, N_("Confirming your payment | Souk")));
	json_decref(p);
	return rc;
}

static int
pay_cancel(http_req_t *req)
{
	json_t *p, *again;
	int rc, changed = 0;

	if ((p = own_payment(req)) == NULL)
		return req->status;
	if (strcmp(jstr(p, "state"), "paid") != 0 &&
	    (rc = payments_db_set_final(APP(req)->db, jint(p, "id"), "cancelled", &changed)) != DB_OK) {
		json_decref(p);
		return app_db_status(req, rc);
	}
	if (changed) {
		log_info("request_id=%s payment=%s cancelled by the buyer", req->request_id,
		    jstr(p, "reference"));
		if (payments_db_payment(APP(req)->db, jstr(p, "reference"), 0, app_lang(req),
		    &again) == DB_OK) {
			json_decref(p);
			p = again;
		}
	}
	rc = payment_page(req, p, "payments/cancel", 200, T(req, N_("Payment cancelled | Souk")));
	json_decref(p);
	return rc;
}

/* ==== POST /payments/notify/{gateway} ==== */

static const char *
notify_header(void *ud, const char *name)
{
	return http_req_header(ud, name);
}

/* Answer the gateway's acknowledgement (or a plain one). */
static int
ack(http_req_t *req, const struct gw_ack *a, int dflt)
{
	req->status = a != NULL && a->status > 0 ? a->status : dflt;
	req->content_type_out = a != NULL && a->content_type != NULL ? a->content_type :
	    "text/plain; charset=utf-8";
	buf_truncate(&req->body, 0);
	if (a != NULL && a->body != NULL)
		buf_puts(&req->body, a->body);
	http_no_store(req);
	return req->status;
}

/* Answer 503 so that the gateway tries again later; nothing was changed. */
static int
notify_retry(http_req_t *req, const char *gateway, const char *why)
{
	log_warn("request_id=%s notify gateway=%s retry later: %s", req->request_id, gateway, why);
	req->status = 503;
	req->content_type_out = "text/plain; charset=utf-8";
	http_header(req, "Retry-After", "30");
	buf_truncate(&req->body, 0);
	buf_puts(&req->body, "try again\n");
	return req->status;
}

/* A refused notification: recorded, logged, answered; nothing else changes. */
static int
notify_refuse(http_req_t *req, const char *gateway, const char *reason, const char *body,
    const struct gw_ack *a, int dflt)
{
	int rc = payments_db_rejection(APP(req)->db, gateway, reason, req->remote_addr,
	    req->request_id, body);

	log_warn("request_id=%s notify gateway=%s from=%s refused: %s%s", req->request_id,
	    gateway, req->remote_addr, reason, rc == DB_OK ? "" : " (not recorded)");
	return ack(req, a, dflt);
}

/* What applying a verified notice did. */
enum notice_outcome {
	NOTICE_DONE,		/* acted on (or nothing to do): acknowledge */
	NOTICE_DUPLICATE,	/* seen before: acknowledge, nothing changed */
	NOTICE_REFUSED,		/* refused (@why): record, answer 400 */
	NOTICE_REFUSED_ACK,	/* refused (@why) but the gateway must stop: record, acknowledge */
	NOTICE_RETRY,		/* nothing changed; the gateway should try again (503) */
};

/*
 * A stray payment @p (payments_db_stray): the gateway captured it after its
 * order (or change order) stopped waiting for it.  Inside the notification's
 * transaction: the payment becomes paid and stray, its gateway amount goes
 * into the order's escrow (ledger_payment; the buyer credit it meant to use
 * was never taken and stays with the buyer), and straight back out the way
 * a cancellation refunds (orders_refund_payment: a refunds row,
 * ledger_refund, the "refund" job, or buyer credit for a gateway without a
 * refund API), with a "stray_payment_refunded" order event.  Returns DB_OK
 * or an error (the caller rolls back).
 */
static int
payment_stray(db_t *db, const json_t *p, const char *gateway, const char *txn_id)
{
	long long pid = (long long)jint(p, "id"), oid = (long long)jint(p, "order_id");
	long long buyer = (long long)jint(p, "buyer_id");
	const char *cur = jstr(p, "currency");
	int64_t amount = jint(p, "amount_minor");
	char data[160];
	int rc;

	if ((rc = payments_db_set_stray(db, pid, txn_id)) != DB_OK)
		return rc;
	rc = ledger_payment(db, oid, pid, buyer, gateway, cur, amount, 0);
	if (rc != LEDGER_OK && rc != LEDGER_DUPLICATE)
		return rc;
	if ((rc = orders_refund_payment(db, oid, pid, gateway, buyer, cur, amount, 0)) != DB_OK)
		return rc;
	snprintf(data, sizeof(data), "{\"payment_id\": %lld, \"change_order_id\": %lld,"
	    " \"amount_minor\": %" PRId64 "}", pid, (long long)jint(p, "change_order_id"), amount);
	return orders_event(db, oid, 0, "stray_payment_refunded",
	    N_("A payment arrived after the order stopped waiting for it; it is being refunded."),
	    data, NULL);
}

/*
 * Apply verified notice @nt of gateway @gw in ONE transaction: store it
 * under (gateway, event id) first (a duplicate stops there), lock the
 * order and the payment, check amount and currency, then paid (or, when
 * the order no longer waits for it, stray: booked and refunded at once),
 * failed or cancelled (never backwards).  @body is what is stored with it.
 */
static enum notice_outcome
apply_notice(http_req_t *req, const gateway_t *gw, const struct gw_notice *nt,
    const char *body, const char **why)
{
	struct app *app = APP(req);
	db_t *db = app->db;
	json_t *p = NULL;
	int rc, inserted, changed, stray = 0;

	*why = NULL;
	if ((rc = db_begin(db)) != DB_OK) {
		*why = "database unavailable";
		return NOTICE_RETRY;
	}
	rc = payments_db_notification(db, gw->name, nt->event_id, nt->reference,
	    nt->status_word, req->remote_addr, req->request_id, body, &inserted);
	if (rc != DB_OK)
		goto retry;
	if (!inserted) {
		/* processed before, or right now by its twin (which we waited for) */
		db_rollback(db);
		log_info("request_id=%s notify gateway=%s event=%s duplicate", req->request_id,
		    gw->name, nt->event_id);
		return NOTICE_DUPLICATE;
	}
	if (nt->status == GW_IGNORED || nt->reference == NULL) {
		if (db_commit(db) != DB_OK)
			goto retry;
		return NOTICE_DONE;
	}
	rc = payments_db_payment(db, nt->reference, 1, "en", &p);
	if (rc == DB_ENOROW) {
		db_rollback(db);
		*why = "unknown payment reference";
		return NOTICE_REFUSED;
	}
	if (rc != DB_OK)
		goto retry;
	if (strcmp(jstr(p, "gateway"), gw->name) != 0) {
		db_rollback(db);
		json_decref(p);
		*why = "payment of another gateway";
		return NOTICE_REFUSED;
	}
	if ((nt->amount_minor >= 0 && nt->amount_minor != jint(p, "amount_minor")) ||
	    (nt->currency != NULL && strcmp(nt->currency, jstr(p, "currency")) != 0) ||
	    (nt->amount_minor < 0 && nt->status == GW_PAID)) {
		db_rollback(db);
		json_decref(p);
		*why = "amount mismatch";
		return NOTICE_REFUSED;
	}
	if (nt->status == GW_PAID) {
		if (strcmp(jstr(p, "state"), "paid") == 0)
			log_info("request_id=%s payment=%s already paid", req->request_id,
			    nt->reference);
		else if ((rc = payments_db_stray(db, jint(p, "id"), &stray)) != DB_OK)
			goto retry;
		else if (stray) {
			/* The order no longer waits for this money: book it, send it back. */
			if ((rc = payment_stray(db, p, gw->name, nt->gateway_txn_id)) != DB_OK)
				goto retry;
			log_warn("request_id=%s payment=%s order=%lld paid via %s event=%s after its "
			    "order stopped waiting for it: booked and refunded", req->request_id,
			    nt->reference, (long long)jint(p, "order_id"), gw->name, nt->event_id);
		} else {
			rc = payments_confirm(db, &app->cfg, jint(p, "id"), jint(p, "order_id"),
			    jint(p, "change_order_id"), jint(p, "buyer_id"), gw->name,
			    jstr(p, "currency"), jint(p, "amount_minor"), jint(p, "credit_minor"),
			    nt->gateway_txn_id);
			if (rc == ORDERS_ECONFLICT || rc == ORDERS_ENOTFOUND) {
				/* Not expected: payments_db_stray decided under the order's
				 * lock.  Kept for staff; the gateway is acknowledged. */
				db_rollback(db);
				json_decref(p);
				log_error("request_id=%s payment=%s paid but its order is no longer "
				    "awaiting payment: refund it by hand", req->request_id,
				    nt->reference);
				*why = "order no longer awaiting payment";
				return NOTICE_REFUSED_ACK;
			}
			if (rc == LEDGER_ENOFUNDS) {
				db_rollback(db);
				json_decref(p);
				*why = "buyer credit no longer sufficient";
				return NOTICE_RETRY;
			}
			if (rc != DB_OK)
				goto retry;
			log_info("request_id=%s payment=%s order=%lld paid via %s event=%s",
			    req->request_id, nt->reference, (long long)jint(p, "order_id"),
			    gw->name, nt->event_id);
		}
	} else if (nt->status == GW_FAILED || nt->status == GW_CANCELLED) {
		if ((rc = payments_db_set_final(db, jint(p, "id"),
		    nt->status == GW_FAILED ? "failed" : "cancelled", &changed)) != DB_OK)
			goto retry;
	} else if (nt->status == GW_PENDING) {
		if ((rc = payments_db_set_pending(db, jint(p, "id"), nt->gateway_txn_id)) != DB_OK)
			goto retry;
	}
	json_decref(p);
	p = NULL;
	if (db_commit(db) != DB_OK)
		goto retry;
	return NOTICE_DONE;
retry:
	json_decref(p);
	*why = arena_printf(req->arena, "database error %s", db_sqlstate(db));
	db_rollback(db);
	return NOTICE_RETRY;
}

static int
notify(http_req_t *req)
{
	struct app *app = APP(req);
	const char *name = route_param(&req->match, "gateway");
	const gateway_t *gw = name != NULL ? gateway_find(name) : NULL;
	struct gw_ctx gc;
	struct gw_http in;
	struct gw_notice nt, qn;
	struct gw_ack ak;
	const char *why;
	char err[256] = "";
	int rc;

	if (gw == NULL || gw->verify == NULL)
		return app_error(req, 404, NULL);
	if ((rc = http_read_body(req, app->cfg.max_body)) != 0)
		return app_error(req, rc, NULL);
	memset(&gc, 0, sizeof(gc));
	gc.cfg = &app->cfg;
	gc.arena = req->arena;
	gc.request_id = req->request_id;
	memset(&in, 0, sizeof(in));
	in.remote_addr = req->remote_addr;
	in.content_type = req->content_type;
	in.body = req->raw_body;
	in.body_len = req->raw_body_len;
	in.header = notify_header;
	in.ud = req;
	memset(&nt, 0, sizeof(nt));
	memset(&ak, 0, sizeof(ak));
	rc = gw->verify(&gc, &in, &nt, &ak, err, sizeof(err));
	if (rc == GW_ETEMP || rc == GW_ECONFIG) {
		if (rc == GW_ECONFIG)
			log_error("request_id=%s notify gateway=%s not configured: %s",
			    req->request_id, gw->name, err);
		return notify_retry(req, gw->name, err);
	}
	if (rc != GW_OK)
		return notify_refuse(req, gw->name, err[0] ? err : "refused", req->raw_body, &ak, 400);
	if (nt.event_id == NULL || nt.event_id[0] == '\0')
		return notify_refuse(req, gw->name, "no event id", req->raw_body, NULL, 400);

	switch (apply_notice(req, gw, &nt, req->raw_body, &why)) {
	case NOTICE_DONE:
		break;
	case NOTICE_DUPLICATE:
		if (nt.status == GW_PENDING)
			break;	/* a retried pending notice: ask again below */
		return ack(req, &ak, 200);
	case NOTICE_REFUSED:
		return notify_refuse(req, gw->name, why, req->raw_body, NULL, 400);
	case NOTICE_REFUSED_ACK:
		return notify_refuse(req, gw->name, why, req->raw_body, &ak, 200);
	case NOTICE_RETRY:
		return notify_retry(req, gw->name, why);
	}
	/*
	 * Not final yet (PayPal: an approved order waits for our capture): ask
	 * the gateway now, outside any transaction.  Its answer comes over an
	 * authenticated API call and is applied like a notification, under
	 * its own event id.  When the gateway does not answer, 503 makes it
	 * send the notification again, and the retry asks again.
	 */
	if (nt.status == GW_PENDING && gw->query != NULL && nt.reference != NULL) {
		memset(&qn, 0, sizeof(qn));
		err[0] = '\0';
		rc = gw->query(&gc, nt.reference, nt.gateway_txn_id, &qn, err, sizeof(err));
		if (rc == GW_ETEMP)
			return notify_retry(req, gw->name, err);
		if (rc != GW_OK)
			log_warn("request_id=%s notify gateway=%s payment=%s status query failed "
			    "(%d): %s", req->request_id, gw->name, nt.reference, rc, err);
		else if (qn.status != GW_PENDING && qn.status != GW_IGNORED) {
			if (qn.reference == NULL || strcmp(qn.reference, nt.reference) != 0)
				qn.reference = nt.reference;
			if (qn.event_id == NULL || qn.event_id[0] == '\0')
				qn.event_id = arena_printf(req->arena, "query:%s:%d", nt.reference,
				    (int)qn.status);
			switch (apply_notice(req, gw, &qn, "(status query)", &why)) {
			case NOTICE_REFUSED:
			case NOTICE_REFUSED_ACK:
				(void)payments_db_rejection(app->db, gw->name, why, req->remote_addr,
				    req->request_id, "(status query)");
				log_warn("request_id=%s notify gateway=%s status query refused: %s",
				    req->request_id, gw->name, why);
				break;
			default:
				break;
			}
		}
	}
	return ack(req, &ak, 200);
}

/* ==== POST /orders/{id}/pay and /orders/{id}/change-orders/{cid}/pay ==== */

static int
pay_again(http_req_t *req, long long order_id, long long cid)
{
	db_t *db = APP(req)->db;
	const char *gname = http_form(req, "gateway");
	const char *ikey = http_form(req, "idempotency_key");
	const char *use = http_form(req, "use_credit");
	const char *scope = cid > 0 ? "change_order_pay" : "order_pay";
	const char *currency, *hash, *location = NULL;
	const gateway_t *gw;
	json_t *o = NULL;
	int64_t total, credit = 0, balance = 0;
	char *oh, *oloc;
	int rc, claimed, ostatus, use_credit = strcmp(use, "1") == 0 || strcmp(use, "on") == 0;

	rc = cid > 0 ? payments_db_change_order(db, order_id, cid, req->user_id, &o) :
	    payments_db_order(db, order_id, req->user_id, &o);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	currency = arena_strdup(req->arena, jstr(o, "currency"));
	if (cid > 0) {
		total = jint(o, "amount_minor") + jint(o, "buyer_fee_minor");
		rc = strcmp(jstr(o, "state"), "accepted") == 0 && !json_is_true(json_object_get(o, "paid"));
	} else {
		total = jint(o, "total_minor");
		rc = strcmp(jstr(o, "state"), "awaiting_payment") == 0 &&
		    !json_is_true(json_object_get(o, "paid"));
	}
	json_decref(o);
	if (!rc)
		return app_error(req, 409, cid > 0 ?
		    N_("This change order is not waiting for payment.") :
		    N_("This order is not waiting for payment."));
	if (!idem_key_ok(ikey))
		return app_error(req, 422, N_("This form has expired. Go back, reload the page and "
		    "send it again."));
	if (use_credit && (rc = ledger_balance(db, "buyer_credit", currency, req->user_id, 0, NULL,
	    &balance)) != DB_OK)
		return app_db_status(req, rc);
	gw = offered_find(currency, gname);
	if (gw == NULL && !(use_credit && balance >= total))
		return app_error(req, 422, N_("Choose a payment method."));
	hash = sha256_hex(req->arena, arena_printf(req->arena, "%s\n%lld\n%lld\n%s\n%d", scope,
	    order_id, cid, gname, use_credit));
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = payments_db_idem_claim(db, req->arena, req->user_id, ikey, scope, hash, &claimed,
	    &oh, &ostatus, &oloc)) != DB_OK)
		return tx_fail(req, rc);
	if (!claimed) {
		db_rollback(db);
		return idem_replay(req, hash, oh, ostatus, oloc);
	}
	if (use_credit) {
		if ((rc = ledger_balance(db, "buyer_credit", currency, req->user_id, 0, NULL,
		    &balance)) != DB_OK)
			return tx_fail(req, rc);
		credit = balance < total ? balance : total;
		if (credit < 0)
			credit = 0;
		if (credit < total && gw == NULL) {
			db_rollback(db);
			return app_error(req, 422, N_("Choose a payment method."));
		}
	}
	rc = payment_create(req, order_id, cid, currency, total, credit, gw, &location);
	if (rc == DB_OK)
		rc = payments_db_idem_done(db, req->user_id, ikey, 303, location);
	if (rc != DB_OK)
		return tx_fail(req, rc);
	if ((rc = db_commit(db)) != DB_OK)
		return tx_fail(req, rc);
	http_redirect(req, 303, location);
	return req->status;
}

static int
order_pay(http_req_t *req)
{
	return pay_again(req, req->match.ints[0], 0);
}

static int
change_order_pay(http_req_t *req)
{
	return pay_again(req, req->match.ints[0], req->match.ints[1]);
}

/* ==== the checkout of a custom order (payments_checkout_custom) ==== */

json_t *
payments_gateways(http_req_t *req, const char *currency)
{
	return gateways_json(req, currency, NULL);
}

int
payments_checkout_custom(http_req_t *req, struct payments_custom *c)
{
	db_t *db = APP(req)->db;
	struct payments_new_order *o = &c->order;
	const gateway_t *gw = NULL;
	const char *hash, *location = NULL, *gname = c->gateway != NULL ? c->gateway : "";
	char *oh, *oloc;
	long long order_id;
	int64_t fee, credit = 0, balance = 0;
	int rc, claimed, ostatus;

	if (c->idem_key == NULL || !idem_key_ok(c->idem_key))
		return app_error(req, 422, N_("This form has expired. Go back, reload the page and "
		    "send it again."));
	if (o->subtotal_minor <= 0 || o->subtotal_minor > INT64_MAX / 4 ||
	    (fee = orders_buyer_fee(&APP(req)->cfg, o->currency, o->subtotal_minor)) < 0)
		return app_error(req, 422, NULL);
	o->buyer_id = req->user_id;
	o->buyer_fee_minor = fee;
	o->total_minor = o->subtotal_minor + fee;
	o->seller_fee_bps = APP(req)->cfg.seller_fee_bps;
	if (c->expected_total != -1 && c->expected_total != o->total_minor)
		return app_error(req, 422, N_("The price is not what the page showed. Go back, "
		    "reload the page and check the new total."));
	if (c->use_credit && (rc = ledger_balance(db, "buyer_credit", o->currency, req->user_id, 0,
	    NULL, &balance)) != DB_OK)
		return app_db_status(req, rc);
	if (gname[0] != '\0')
		gw = offered_find(o->currency, gname);
	if (gw == NULL && !(c->use_credit && balance >= o->total_minor))
		return app_error(req, 422, N_("Choose a payment method."));
	hash = sha256_hex(req->arena, arena_printf(req->arena, "%s\n%s\n%s\n%d", c->scope,
	    c->request, gname, c->use_credit));
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = payments_db_idem_claim(db, req->arena, req->user_id, c->idem_key, c->scope, hash,
	    &claimed, &oh, &ostatus, &oloc)) != DB_OK)
		return tx_fail(req, rc);
	if (!claimed) {
		db_rollback(db);
		return idem_replay(req, hash, oh, ostatus, oloc);
	}
	/* Credit is read again inside the transaction; the posting checks it too. */
	if (c->use_credit) {
		if ((rc = ledger_balance(db, "buyer_credit", o->currency, req->user_id, 0, NULL,
		    &balance)) != DB_OK)
			return tx_fail(req, rc);
		credit = balance < o->total_minor ? balance : o->total_minor;
		if (credit < 0)
			credit = 0;
		if (credit < o->total_minor && gw == NULL) {
			db_rollback(db);
			return app_error(req, 422, N_("Choose a payment method."));
		}
	}
	if ((rc = payments_db_order_insert(db, o, &order_id)) != DB_OK)
		return tx_fail(req, rc);
	if (c->attach != NULL && (rc = c->attach(db, c->arg, order_id)) != DB_OK) {
		if (rc != ORDERS_ECONFLICT)
			return tx_fail(req, rc);
		db_rollback(db);
		return app_error(req, 409, c->conflict_message);
	}
	rc = orders_event(db, order_id, req->user_id, "created", "", NULL, NULL);
	if (rc == DB_OK)
		rc = payment_create(req, order_id, 0, o->currency, o->total_minor, credit, gw,
		    &location);
	if (rc == DB_OK)
		rc = payments_db_idem_done(db, req->user_id, c->idem_key, 303, location);
	if (rc != DB_OK || (rc = db_commit(db)) != DB_OK)
		return tx_fail(req, rc);
	log_info("request_id=%s checkout %s order=%lld buyer=%lld total=%" PRId64 " %s",
	    req->request_id, c->scope, order_id, req->user_id, o->total_minor, o->currency);
	http_redirect(req, 303, location);
	return req->status;
}

/* ==== the "refund" job ==== */

/* The refund was refused: the money becomes buyer credit, on the timeline.
 * Nothing when the refund was no longer ours to fail (*@changed 0). */
static int
refund_to_credit(db_t *db, const json_t *r, const char *why)
{
	long long rid = (long long)jint(r, "id"), oid = (long long)jint(r, "order_id");
	char data[96];
	int rc, changed = 0;

	if ((rc = payments_db_refund_failed(db, rid, why, &changed)) != DB_OK)
		return rc;
	if (!changed)
		return DB_OK;
	rc = ledger_refund_to_credit(db, oid, rid, (long long)jint(r, "buyer_id"),
	    jstr(r, "currency"), jint(r, "amount_minor"));
	if (rc != LEDGER_OK && rc != LEDGER_DUPLICATE)
		return rc;
	snprintf(data, sizeof(data), "{\"refund_id\": %lld, \"amount_minor\": %" PRId64 "}", rid,
	    jint(r, "amount_minor"));
	return orders_event(db, oid, 0, "refunded",
	    "The refund to the original payment method failed; the amount is now Souk credit.",
	    data, NULL);
}

/* The refund's idempotency key as the gateways take it ([A-Za-z0-9_-]). */
static const char *
refund_gateway_key(arena_t *a, const char *key)
{
	char *k = arena_strdup(a, key);

	for (char *c = k; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			*c = '-';
	return k;
}

/* Give the claim of refund @rid back ('requested', @why) in its own transaction. */
static int
refund_release(db_t *db, long long rid, const char *why)
{
	int rc, changed;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = payments_db_refund_release(db, rid, why, &changed)) != DB_OK) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

int
payments_refund_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen)
{
	db_t *db = w->db;
	json_int_t rid = json_integer_value(json_object_get(payload, "refund_id"));
	const gateway_t *gw;
	json_t *r = NULL;
	arena_t *a;
	struct gw_ctx gc;
	struct gw_refund gr;
	const char *gid = NULL;
	char gerr[256] = "";
	int rc, attempts = 0, claimed = 0, grc, changed = 0;
	int stale = (w->cfg->gateway_timeout > 0 ? w->cfg->gateway_timeout : 20) * 2 + 60;

	if (rid <= 0) {
		snprintf(err, errlen, "refund job without refund_id");
		return JOB_EPERM;
	}
	/*
	 * Read the refund under its row lock and claim it in the same
	 * transaction, committed before the call: a second run (a retry, or the
	 * same job on another worker) waits for the lock, then finds it claimed.
	 */
	if ((rc = db_begin(db)) != DB_OK)
		goto db_retry;
	if ((rc = payments_db_refund(db, (long long)rid, &r)) != DB_OK) {
		db_rollback(db);
		if (rc == DB_ENOROW) {
			snprintf(err, errlen, "refund %lld does not exist", (long long)rid);
			return JOB_EPERM;
		}
		goto db_retry;
	}
	if (strcmp(jstr(r, "method"), "gateway") != 0 || (strcmp(jstr(r, "state"), "requested") != 0 &&
	    strcmp(jstr(r, "state"), "processing") != 0)) {
		db_rollback(db);
		json_decref(r);
		return JOB_OK;	/* done before */
	}
	if ((rc = payments_db_refund_claim(db, (long long)rid, stale, &claimed, &attempts)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		db_rollback(db);
		json_decref(r);
		goto db_retry;
	}
	if (!claimed) {
		json_decref(r);
		snprintf(err, errlen, "refund %lld: another run is calling the gateway", (long long)rid);
		return JOB_ERETRY;
	}
	gw = gateway_find(jstr(r, "gateway"));
	a = arena_new(16 * 1024);
	memset(&gc, 0, sizeof(gc));
	gc.cfg = w->cfg;
	gc.arena = a;
	gc.request_id = arena_printf(a, "refund-%lld", (long long)rid);
	memset(&gr, 0, sizeof(gr));
	gr.reference = jstr(r, "reference");
	gr.gateway_txn_id = json_string_value(json_object_get(r, "gateway_txn_id"));
	gr.amount_minor = jint(r, "amount_minor");
	gr.paid_minor = jint(r, "paid_minor");
	gr.currency = jstr(r, "currency");
	gr.reason = "order cancelled";
	gr.idempotency_key = refund_gateway_key(a, jstr(r, "idempotency_key"));
	if (gw == NULL || gw->refund == NULL) {
		grc = GW_EUNSUPPORTED;
		snprintf(gerr, sizeof(gerr), "gateway %s has no refund API", jstr(r, "gateway"));
	} else
		grc = gw->refund(&gc, &gr, &gid, gerr, sizeof(gerr));
	if (grc != GW_OK && (grc == GW_ETEMP || attempts > 1)) {
		/*
		 * Not answered, or refused after an earlier attempt that may have
		 * reached the gateway (a timeout, a crashed run): never credit
		 * what the gateway may have refunded.  Try again while attempts
		 * are left, then leave it to FINANCE.
		 */
		int last = grc != GW_ETEMP || attempts >= PAYMENTS_REFUND_ATTEMPTS;

		rc = refund_release(db, (long long)rid, gerr[0] ? gerr : "refund failed");
		if (last)
			log_error("refund %lld (order %lld, payment %s): %s after %d attempts; the "
			    "gateway may have refunded it: check the gateway, then settle it by hand",
			    (long long)rid, (long long)jint(r, "order_id"), jstr(r, "reference"),
			    gerr, attempts);
		snprintf(err, errlen, "refund %lld: %s (attempt %d): %s", (long long)rid,
		    grc == GW_ETEMP ? "gateway unavailable" : "refused after an earlier attempt",
		    attempts, gerr);
		arena_free(a);
		json_decref(r);
		if (rc != DB_OK)
			goto db_retry;
		return last ? JOB_EPERM : JOB_ERETRY;
	}
	/* The outcome, in its own transaction, from our claim only. */
	if ((rc = db_begin(db)) != DB_OK) {
		arena_free(a);
		json_decref(r);
		goto db_retry;
	}
	if (grc == GW_OK) {
		rc = payments_db_refund_succeeded(db, (long long)rid, gid, &changed);
		if (rc == DB_OK && changed) {
			json_t *d = json_pack("{s:I, s:s?}", "refund_id", rid,
			    "gateway_refund_id", gid);
			char *data = json_dumps(d, JSON_COMPACT);

			rc = orders_event(db, (long long)jint(r, "order_id"), 0, "refunded",
			    "The refund to the original payment method went through.", data, NULL);
			free(data);
			json_decref(d);
		}
	} else
		rc = refund_to_credit(db, r, gerr[0] ? gerr : "refund failed");
	if (rc == DB_OK || rc == LEDGER_DUPLICATE)
		rc = db_commit(db);
	else
		db_rollback(db);
	arena_free(a);
	if (rc != DB_OK) {
		json_decref(r);
		goto db_retry;
	}
	log_info("refund %lld: %s", (long long)rid, grc == GW_OK ? "succeeded" :
	    "refused, amount moved to buyer credit");
	json_decref(r);
	return JOB_OK;
db_retry:
	snprintf(err, errlen, "refund %lld: database error %s", (long long)rid, db_sqlstate(db));
	return JOB_ERETRY;
}

/* ==== routes ==== */

const route_t payments_routes[] = {
	{ "GET", "/checkout", checkout_page, ROLE_ANON, "checkout" },
	{ "POST", "/checkout", checkout_post, ROLE_ANON, "checkout.post" },
	{ "POST", "/payments/notify/{gateway:slug}", notify, ROLE_ANON, PAYMENTS_NOTIFY_ROUTE },
	{ "GET", "/payments/{ref:str}/go", pay_go, ROLE_BUYER, "payments.go" },
	{ "GET", "/payments/{ref:str}/return", pay_return, ROLE_BUYER, "payments.return" },
	{ "GET", "/payments/{ref:str}/cancel", pay_cancel, ROLE_BUYER, "payments.cancel" },
	{ "POST", "/orders/{id:int}/pay", order_pay, ROLE_BUYER, "orders.pay" },
	{ "POST", "/orders/{id:int}/change-orders/{cid:int}/pay", change_order_pay, ROLE_BUYER,
	    "orders.change_order.pay" },
};
const size_t payments_nroutes = sizeof(payments_routes) / sizeof(payments_routes[0]);
