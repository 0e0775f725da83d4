/*
 * room.c - the order room (orders.h): my orders, one order's page, and
 * the forms of the buyer and the seller.  Input validation, which query,
 * which template; no SQL here (orders_db.c), state changes through the
 * lifecycle (lifecycle.c).
 *
 * Only the two parties and staff see an order: anyone else gets 404, as
 * if it did not exist.  A form sent in a state that does not allow it
 * answers 409; bad input 422 with the room shown again, the values kept
 * and the message next to the field.  Pages are personal (no-store).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "http/multipart.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "media/media.h"
#include "orders/orders.h"
#include "sellers/sellers.h"
#include "studio/studio.h"
#include "web/app.h"

/* What private files an order takes: everything media accepts. */
#ifdef MEDIA_FILE
#define ORDER_KINDS (MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_PDF | MEDIA_FILE)
#else
#define ORDER_KINDS (MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_PDF)
#endif

#define MAX_FILES 8

enum { R_BUYER = 1, R_SELLER = 2, R_STAFF = 4 };

/* The payment methods by currency, as checkout offers them (contract). */
static const struct {
	const char *currency, *name, *label;
} methods[] = {
	{ "ZAR", "payfast", "PayFast (card)" }, { "ZAR", "ozow", "Ozow (instant EFT)" },
	{ "USD", "stripe", "Stripe (card)" }, { "USD", "paypal", "PayPal" },
	{ "CNY", "alipay", "Alipay" }, { "CNY", "wechat", "WeChat Pay" },
};

static int
is_staff(const http_req_t *req)
{
	return req->role >= ROLE_SUPPORT;
}

static int
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static const char *
order_path(http_req_t *req)
{
	return arena_printf(req->arena, "/orders/%lld", req->match.ints[0]);
}

/* A fresh idempotency key for a money-moving form (32 hex digits). */
static const char *
new_idem_key(http_req_t *req)
{
	unsigned char raw[16];
	char hex[33];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	return arena_strdup(req->arena, hex);
}

/*
 * Read text field @name, cleaned; record error codes in @errors under
 * @name ("required", "too_long", "bad_char") and the raw value in @form.
 */
static const char *
text(http_req_t *req, const char *name, int multiline, int required, size_t max, json_t *form,
    json_t *errors)
{
	const char *raw = http_form(req, name), *v;
	size_t n;

	json_object_set_new(form, name, json_string(raw));
	if (seller_clean_text(req->arena, raw, multiline, &v) != 0) {
		app_form_error(errors, name, "bad_char");
		return "";
	}
	n = seller_utf8_chars(v);
	if (n == 0 && required)
		app_form_error(errors, name, "required");
	else if (n > max)
		app_form_error(errors, name, "too_long");
	return v;
}

/* ==== the room page ==== */

static void
flag(json_t *o, const char *key, int v)
{
	json_object_set_new(o, key, json_boolean(v));
}

/* The requirement questions with the values as typed (@form may be NULL). */
static void
questions_form(json_t *o, json_t *form, json_t *errors)
{
	json_t *q, *c, *e;
	size_t i, j;

	json_array_foreach(json_object_get(o, "questions"), i, q) {
		char name[32], fname[32];
		const char *v;
		json_t *opts = json_array();

		snprintf(name, sizeof(name), "answer_%lld", orders_jint(q, "n"));
		snprintf(fname, sizeof(fname), "file_%lld", orders_jint(q, "n"));
		v = form != NULL ? orders_jstr(form, name) : "";
		json_object_set_new(q, "field", json_string(name));
		json_object_set_new(q, "file_field", json_string(fname));
		json_object_set_new(q, "value", json_string(v));
		json_array_foreach(json_object_get(q, "choices"), j, c) {
			json_array_append_new(opts, json_pack("{s:O, s:b}", "value", c, "selected",
			    is(json_string_value(c), v)));
		}
		json_object_set_new(q, "options", opts);
		e = errors != NULL ? json_object_get(errors, name) : NULL;
		flag(q, "invalid", e != NULL);
		json_object_set_new(q, "err", e != NULL ? json_incref(e) : json_object());
	}
}

/*
 * Render the room of the URL's order with @status.  @which names the
 * form whose values (@form) and errors (@errors) are shown again (both
 * consumed; NULL when none).
 */
static int
room(http_req_t *req, int status, const char *which, json_t *form, json_t *errors)
{
	json_t *o = NULL, *ctx, *c, *m, *me;
	long long uid = req->user_id;
	int rc, buyer, seller, party, staff = is_staff(req), cancellable;
	const char *st;
	size_t i;

	rc = orders_db_room(APP(req)->db, req->match.ints[0], uid, staff, app_lang(req), &o);
	if (rc != DB_OK) {
		json_decref(form);
		json_decref(errors);
		return app_db_status(req, rc);
	}
	buyer = orders_jint(json_object_get(o, "buyer"), "id") == uid;
	seller = orders_jint(json_object_get(o, "seller"), "id") == uid;
	party = buyer || seller;
	st = orders_jstr(o, "state");
	json_object_set_new(o, arena_printf(req->arena, "state_%s", st), json_true());
	questions_form(o, which != NULL && is(which, "requirements") ? form : NULL,
	    which != NULL && is(which, "requirements") ? errors : NULL);

	me = json_object();
	flag(me, "buyer", buyer);
	flag(me, "seller", seller);
	flag(me, "staff_only", !party && staff);
	flag(me, "can_requirements", buyer && is(st, "awaiting_requirements"));
	flag(me, "can_start", seller && is(st, "revision_requested"));
	flag(me, "can_deliver", seller && (is(st, "in_progress") || is(st, "revision_requested")));
	flag(me, "can_accept", buyer && is(st, "delivered") &&
	    !json_is_true(json_object_get(o, "disputed")));
	flag(me, "can_revise", buyer && is(st, "delivered"));
	flag(me, "can_message", party);
	flag(me, "can_change_order", seller && (is(st, "awaiting_requirements") ||
	    is(st, "in_progress") || is(st, "delivered") || is(st, "revision_requested")));
	flag(me, "can_extension", seller && (is(st, "in_progress") || is(st, "revision_requested")) &&
	    json_is_null(json_object_get(o, "extension")));
	flag(me, "answer_extension", buyer && json_is_object(json_object_get(o, "extension")));
	cancellable = orders_transition_allowed(st, "cancelled");
	flag(me, "cancel_direct", buyer && (is(st, "awaiting_payment") ||
	    (is(st, "awaiting_requirements") && !json_is_true(json_object_get(o,
	    "requirements_done"))) || json_is_true(json_object_get(o, "overdue_24h"))));
	flag(me, "can_cancel", party && cancellable &&
	    json_is_null(json_object_get(o, "cancellation")));
	c = json_object_get(o, "cancellation");
	flag(me, "answer_cancellation", party && json_is_object(c) &&
	    !json_is_true(json_object_get(c, "mine")));
	flag(me, "can_receipt", !is(st, "awaiting_payment"));
	json_array_foreach(json_object_get(o, "change_orders"), i, c) {
		int proposed = json_is_true(json_object_get(c, "is_proposed"));
		int accepted = json_is_true(json_object_get(c, "is_accepted"));

		flag(c, "can_answer", buyer && proposed);
		flag(c, "can_pay", buyer && accepted);
		flag(c, "can_withdraw", seller && (proposed || accepted));
	}
	m = json_array();
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (is(methods[i].currency, orders_jstr(o, "currency")))
			json_array_append_new(m, json_pack("{s:s, s:s, s:b}", "name", methods[i].name,
			    "label", methods[i].label, "first", json_array_size(m) == 0));
	/* one key per money-moving form, fresh at each render */
	ctx = json_pack("{s:o, s:o, s:o, s:{s:s, s:s, s:s, s:s, s:s}}", "order", o, "me", me,
	    "methods", m, "idem", "accept", new_idem_key(req), "cancel", new_idem_key(req),
	    "cancellation", new_idem_key(req), "pay", new_idem_key(req), "change_order",
	    new_idem_key(req));
	json_object_set_new(ctx, "form", which != NULL && form != NULL ?
	    json_pack("{s:o}", which, form) : json_object());
	json_object_set_new(ctx, "errors", which != NULL && errors != NULL ?
	    json_pack("{s:o}", which, errors) : json_object());
	flag(ctx, "has_errors", errors != NULL && json_object_size(errors) > 0);
	app_page(ctx, arena_printf(req->arena, "%s #%lld", i18n_str(app_lang(req), N_("Order")),
	    req->match.ints[0]), NULL, req->path, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = status;
	app_render(req, "orders/room", ctx);
	json_decref(ctx);
	return req->status;
}

/* GET /orders/{id} */
static int
room_get(http_req_t *req)
{
	return room(req, 200, NULL, NULL, NULL);
}

/* GET /orders?tab=buying|selling */
static int
list_get(http_req_t *req)
{
	const char *tab = kv_get(&req->query_params, "tab");
	int selling = tab != NULL && is(tab, "selling");
	json_t *orders = NULL, *ctx;
	int rc;

	rc = orders_db_list(APP(req)->db, req->user_id, selling, app_lang(req), &orders);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	ctx = json_pack("{s:o, s:b, s:b, s:b}", "orders", orders, "selling", selling, "buying",
	    !selling, "empty", json_array_size(orders) == 0);
	app_page(ctx, i18n_str(app_lang(req), N_("My orders")), NULL, "/orders", NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = 200;
	app_render(req, "orders/list", ctx);
	json_decref(ctx);
	return req->status;
}

/* ==== POST helpers ==== */

/*
 * When *@errors holds a field error: roll back and show the room again
 * (422) with form @which, handing *@form and *@errors over to it (both
 * set to NULL).  Returns that status, or 0 when there is no error.
 */
static int
invalid(http_req_t *req, const char *which, json_t **form, json_t **errors)
{
	int rc;

	if (json_object_size(*errors) == 0)
		return 0;
	db_rollback(APP(req)->db);
	rc = room(req, 422, which, *form, *errors);
	*form = *errors = NULL;
	return rc;
}

/*
 * Open the transaction and lock the URL's order: *@o (consumed by the
 * caller; @o NULL when only the role is wanted) and *@role (R_*).
 * Returns 0, or the status answered (404 for anyone who is not a party
 * nor staff).
 */
static int
begin(http_req_t *req, json_t **o, int *role)
{
	db_t *db = APP(req)->db;
	long long uid = req->user_id;
	json_t *order = NULL;
	int rc;

	if (o != NULL)
		*o = NULL;
	*role = 0;
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = orders_db_lock(db, req->match.ints[0], &order)) != DB_OK) {
		db_rollback(db);
		return app_db_status(req, rc);
	}
	if (orders_jint(order, "buyer_id") == uid)
		*role |= R_BUYER;
	if (orders_jint(order, "seller_id") == uid)
		*role |= R_SELLER;
	if (is_staff(req))
		*role |= R_STAFF;
	if (*role == 0) {
		db_rollback(db);
		json_decref(order);
		return app_error(req, 404, NULL);
	}
	if (o != NULL)
		*o = order;
	else
		json_decref(order);
	return 0;
}

/* Commit and 303 back to the room (#@anchor may be NULL). */
static int
done(http_req_t *req, const char *anchor)
{
	int rc;

	if ((rc = db_commit(APP(req)->db)) != DB_OK) {
		db_rollback(APP(req)->db);
		return app_db_status(req, rc);
	}
	http_no_store(req);
	http_redirect(req, 303, anchor != NULL ? arena_printf(req->arena, "%s#%s", order_path(req),
	    anchor) : order_path(req));
	return req->status;
}

static const char *const conflict_msg =
	N_("This order cannot do that in its current state. Reload the page to see where it stands.");

/* Roll back and answer for a lifecycle or DB result @rc. */
static int
fail(http_req_t *req, int rc)
{
	db_rollback(APP(req)->db);
	if (rc == ORDERS_ECONFLICT)
		return app_error(req, 409, conflict_msg);
	if (rc == ORDERS_ENOTFOUND)
		return app_error(req, 404, NULL);
	if (rc == ORDERS_EINVALID)
		return app_error(req, 422, NULL);
	return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
}

/* Roll back and answer 409 with @msg (NULL: the general one). */
static int
conflict(http_req_t *req, const char *msg)
{
	db_rollback(APP(req)->db);
	return app_error(req, 409, msg != NULL ? msg : conflict_msg);
}

/*
 * The idempotency key of a money-moving form, claimed for @scope inside
 * the open transaction.  Returns 0 to go on (*@key set), or the status
 * answered: a replay is sent to where the first request went.
 */
static int
idem(http_req_t *req, const char *scope, const char **key)
{
	const char *k = http_form(req, "idempotency_key");
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[sizeof(h) * 2 + 1], *loc = NULL;
	const char *what;
	size_t n = strlen(k);
	int rc;

	*key = NULL;
	if (n < 16 || n > 64 || strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") != n) {
		db_rollback(APP(req)->db);
		return app_error(req, 422, N_("This form is missing its one-time key. Reload the "
		    "page and send it again."));
	}
	what = arena_printf(req->arena, "%s:%lld:%lld:%s", scope, req->match.ints[0],
	    req->match.ints[1], http_form(req, "reason"));
	crypto_hash_sha256(h, (const unsigned char *)what, strlen(what));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	rc = orders_db_idem_claim(APP(req)->db, req->arena, req->user_id, k, scope, hex, &loc);
	if (rc == ORDERS_IDEM_NEW) {
		*key = k;
		return 0;
	}
	db_rollback(APP(req)->db);
	if (rc == ORDERS_IDEM_REPLAY) {
		http_no_store(req);
		http_redirect(req, 303, loc);
		return req->status;
	}
	if (rc == ORDERS_IDEM_CONFLICT)
		return app_error(req, 409, N_("This form was already sent for another request. "
		    "Reload the page and try again."));
	return app_db_status(req, rc);
}

/* Store the outcome of a claimed key, commit and 303 to the room. */
static int
idem_done(http_req_t *req, const char *key)
{
	int rc = orders_db_idem_finish(APP(req)->db, req->user_id, key, 303, order_path(req));

	if (rc != DB_OK)
		return fail(req, rc);
	return done(req, NULL);
}

/* ==== files ==== */

struct files {
	long long ids[MAX_FILES];
	const char *keys[MAX_FILES];
	size_t n;
};

static void
discard(struct files *f)
{
	for (size_t i = 0; i < f->n; i++)
		media_discard(f->keys[i]);
	f->n = 0;
}

/* How many uploads field @field has. */
static size_t
count_uploads(http_req_t *req, const char *field)
{
	size_t n = 0;

	for (size_t i = 0; i < req->nuploads; i++)
		if (req->uploads[i].path != NULL && is(req->uploads[i].field, field) &&
		    req->uploads[i].size > 0)
			n++;
	return n;
}

/*
 * Take every non-empty upload of field @field into private media, inside
 * the open transaction.  Returns MEDIA_OK or a MEDIA_E* code with *@err
 * for the user.
 */
static int
take_files(http_req_t *req, const char *field, struct files *f, const char **err)
{
	for (size_t i = 0; i < req->nuploads; i++) {
		struct upload *up = &req->uploads[i];
		long long mid = 0;
		const char *key = NULL;
		int rc;

		if (up->path == NULL || !is(up->field, field) || up->size == 0)
			continue;
		if (f->n >= MAX_FILES) {
			*err = N_("Attach at most 8 files at once.");
			return MEDIA_ETOOBIG;
		}
		rc = media_accept(req, up->path, up->filename, ORDER_KINDS, MEDIA_PRIVATE, &mid,
		    &key, err);
		if (rc != MEDIA_OK)
			return rc;
		up->path = NULL;
		f->ids[f->n] = mid;
		f->keys[f->n++] = key;
	}
	return MEDIA_OK;
}

/* Attach the files to event @event_id. */
static int
attach(http_req_t *req, long long event_id, struct files *f)
{
	int rc;

	for (size_t i = 0; i < f->n; i++)
		if ((rc = orders_db_file_add(APP(req)->db, req->match.ints[0], event_id,
		    f->ids[i])) != DB_OK)
			return rc;
	return DB_OK;
}

/*
 * The end of a handler that stored files @f: with @rc 0 (DB_OK, ORDERS_OK)
 * commit and 303 to the room's #@anchor; otherwise roll back and answer
 * for @rc.  The files are discarded unless the commit went through.
 */
static int
files_done(http_req_t *req, int rc, struct files *f, const char *anchor)
{
	if (rc != 0) {
		discard(f);
		return fail(req, rc);
	}
	rc = done(req, anchor);
	if (rc != 303)
		discard(f);
	return rc;
}

/* A rejected file: roll back, discard, show the room with @err next to @which.@field. */
static int
file_error(http_req_t *req, int rc, struct files *f, const char *which, const char *field,
    const char *err, json_t *form)
{
	json_t *errors;

	db_rollback(APP(req)->db);
	discard(f);
	if (rc != MEDIA_ETYPE && rc != MEDIA_ETOOBIG && rc != MEDIA_EEMPTY) {
		json_decref(form);
		return app_error(req, rc == MEDIA_EDB ? 503 : 500, NULL);
	}
	errors = json_pack("{s:{s:b}}", field, "file", 1);
	json_object_set_new(form, "file_error", json_string(i18n_str(app_lang(req),
	    err != NULL ? err : N_("This file cannot be used."))));
	return room(req, 422, which, form, errors);
}

/* GET /orders/{id}/files/{mid} */
static int
file_get(http_req_t *req)
{
	int rc = orders_db_file_allowed(APP(req)->db, req->match.ints[0], req->match.ints[1],
	    req->user_id, is_staff(req));

	if (rc != DB_OK)
		return app_db_status(req, rc);
	if ((rc = media_private_redirect(req, req->match.ints[1])) != 0)
		return app_error(req, rc, NULL);
	return req->status;
}

/* ==== requirements ==== */

/* POST /orders/{id}/requirements: answer_<n>, file_<n> */
static int
requirements_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *qs = NULL, *q, *form = json_object(), *errors = json_object();
	struct files f = { .n = 0 };
	const char *err = NULL;
	int role, rc;
	size_t i;

	if ((rc = begin(req, &o, &role)) != 0)
		goto out;
	if (!(role & R_BUYER)) {
		rc = conflict(req, N_("Only the buyer answers the requirements."));
		goto out;
	}
	if (!is(orders_jstr(o, "state"), "awaiting_requirements")) {
		rc = conflict(req, N_("The requirements were already submitted."));
		goto out;
	}
	if ((rc = orders_db_questions(db, req->match.ints[0], &qs)) != DB_OK) {
		rc = fail(req, rc);
		goto out;
	}
	/* every text and choice checked first; files after (they write) */
	json_array_foreach(qs, i, q) {
		char name[32], fname[32];
		const char *kind = orders_jstr(q, "kind"), *v;
		int required = json_is_true(json_object_get(q, "required"));

		snprintf(name, sizeof(name), "answer_%lld", orders_jint(q, "n"));
		snprintf(fname, sizeof(fname), "file_%lld", orders_jint(q, "n"));
		if (is(kind, "file")) {
			if (required && count_uploads(req, fname) == 0)
				app_form_error(errors, name, "file_required");
			continue;
		}
		v = text(req, name, 1, required, ORDERS_ANSWER_MAX, form, errors);
		if (is(kind, "choice") && v[0] != '\0') {
			json_t *c;
			size_t j;
			int found = 0;

			json_array_foreach(json_object_get(q, "choices"), j, c)
				found |= is(json_string_value(c), v);
			if (!found)
				app_form_error(errors, name, "choice");
		}
	}
	if ((rc = invalid(req, "requirements", &form, &errors)) != 0)
		goto out;
	json_array_foreach(qs, i, q) {
		char name[32], fname[32];
		const char *kind = orders_jstr(q, "kind");
		long long mid = 0;

		snprintf(name, sizeof(name), "answer_%lld", orders_jint(q, "n"));
		snprintf(fname, sizeof(fname), "file_%lld", orders_jint(q, "n"));
		if (is(kind, "file")) {
			size_t before = f.n;

			if ((rc = take_files(req, fname, &f, &err)) != MEDIA_OK) {
				rc = file_error(req, rc, &f, "requirements", name, err, form);
				form = NULL;
				goto out;
			}
			mid = f.n > before ? f.ids[before] : 0;
			if (mid == 0 && !json_is_true(json_object_get(q, "required")))
				continue;
		} else if (orders_jstr(form, name)[0] == '\0')
			continue;
		rc = orders_db_answer_add(db, req->match.ints[0], (int)orders_jint(q, "n"),
		    orders_jstr(q, "question"), kind,
		    is(kind, "file") ? "" : orders_jstr(form, name), mid);
		if (rc != DB_OK)
			goto finish;
	}
	if ((rc = orders_db_start(db, req->match.ints[0])) != DB_OK)
		goto finish;
	if ((rc = orders_transition(db, req->match.ints[0], "awaiting_requirements",
	    "in_progress")) != ORDERS_OK)
		goto finish;
	if ((rc = orders_event(db, req->match.ints[0], req->user_id, "requirements", NULL, NULL,
	    NULL)) != DB_OK)
		goto finish;
	rc = orders_notify(db, &APP(req)->cfg, req->match.ints[0], NULL, "requirements", NULL);
finish:
	rc = files_done(req, rc, &f, "requirements");
out:
	json_decref(o);
	json_decref(qs);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* ==== messages and delivery ==== */

/* POST /orders/{id}/messages: body, optional file */
static int
messages_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *form = json_object(), *errors = json_object();
	struct files f = { .n = 0 };
	const char *body, *err = NULL;
	long long eid = 0;
	int role, rc;

	body = text(req, "body", 1, count_uploads(req, "file") == 0, ORDERS_MESSAGE_MAX, form,
	    errors);
	if ((rc = begin(req, &o, &role)) != 0)
		goto out;
	if (!(role & (R_BUYER | R_SELLER))) {
		rc = conflict(req, N_("Only the buyer and the seller write in the order's thread."));
		goto out;
	}
	if ((rc = invalid(req, "message", &form, &errors)) != 0)
		goto out;
	if ((rc = take_files(req, "file", &f, &err)) != MEDIA_OK) {
		rc = file_error(req, rc, &f, "message", "body", err, form);
		form = NULL;
		goto out;
	}
	if ((rc = orders_event(db, req->match.ints[0], req->user_id, "message", body, NULL,
	    &eid)) == DB_OK)
		rc = attach(req, eid, &f);
	rc = files_done(req, rc, &f, "timeline");
out:
	json_decref(o);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* POST /orders/{id}/start: the seller starts work on a requested revision. */
static int
start_post(http_req_t *req)
{
	int role, rc;

	if ((rc = begin(req, NULL, &role)) != 0)
		return rc;
	if (!(role & R_SELLER))
		rc = conflict(req, NULL);
	else if ((rc = orders_transition(APP(req)->db, req->match.ints[0], "revision_requested",
	    "in_progress")) != ORDERS_OK || (rc = orders_event(APP(req)->db, req->match.ints[0],
	    req->user_id, "revision_started", NULL, NULL, NULL)) != DB_OK)
		rc = fail(req, rc);
	else
		rc = done(req, NULL);
	return rc;
}

/* POST /orders/{id}/deliver: message, file (repeated) */
static int
deliver_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *form = json_object(), *errors = json_object();
	struct files f = { .n = 0 };
	const char *msg, *err = NULL, *st;
	long long eid = 0, id = req->match.ints[0];
	char data[48];
	int role, rc;

	msg = text(req, "message", 1, 1, ORDERS_MESSAGE_MAX, form, errors);
	if ((rc = begin(req, &o, &role)) != 0)
		goto out;
	st = orders_jstr(o, "state");
	if (!(role & R_SELLER) || !(is(st, "in_progress") || is(st, "revision_requested"))) {
		rc = conflict(req, (role & R_SELLER) ? N_("This order cannot be delivered now: "
		    "only an order in progress or with a revision requested can.") : NULL);
		goto out;
	}
	if ((rc = invalid(req, "deliver", &form, &errors)) != 0)
		goto out;
	if ((rc = take_files(req, "file", &f, &err)) != MEDIA_OK) {
		rc = file_error(req, rc, &f, "deliver", "message", err, form);
		form = NULL;
		goto out;
	}
	if (is(st, "revision_requested") &&
	    (rc = orders_transition(db, id, "revision_requested", "in_progress")) != ORDERS_OK)
		goto finish;
	snprintf(data, sizeof(data), "{\"files\": %zu}", f.n);
	if ((rc = orders_transition(db, id, "in_progress", "delivered")) == ORDERS_OK &&
	    (rc = orders_db_delivered(db, id, APP(req)->cfg.auto_complete_days)) == DB_OK &&
	    (rc = orders_event(db, id, req->user_id, "delivery", msg, data, &eid)) == DB_OK &&
	    (rc = attach(req, eid, &f)) == DB_OK)
		rc = orders_notify(db, &APP(req)->cfg, id, "delivered", NULL, NULL);
finish:
	rc = files_done(req, rc, &f, "timeline");
out:
	json_decref(o);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* ==== accept, revision ==== */

/* POST /orders/{id}/accept: idempotency_key */
static int
accept_post(http_req_t *req)
{
	const char *key;
	int role, rc;

	if ((rc = begin(req, NULL, &role)) != 0)
		return rc;
	if (!(role & R_BUYER))
		return conflict(req, N_("Only the buyer accepts a delivery."));
	if ((rc = idem(req, "order_accept", &key)) != 0)
		return rc;
	rc = orders_complete(APP(req)->db, &APP(req)->cfg, req->match.ints[0], req->user_id);
	if (rc != ORDERS_OK)
		return fail(req, rc);
	return idem_done(req, key);
}

/* POST /orders/{id}/revision: reason */
static int
revision_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *form = json_object(), *errors = json_object();
	const char *reason;
	long long id = req->match.ints[0], allowed;
	int role, rc;

	reason = text(req, "reason", 1, 1, ORDERS_REASON_MAX, form, errors);
	if ((rc = begin(req, &o, &role)) != 0)
		goto out;
	if (!(role & R_BUYER) || !is(orders_jstr(o, "state"), "delivered")) {
		rc = conflict(req, (role & R_BUYER) ? N_("A revision can be requested only of a "
		    "delivered order.") : NULL);
		goto out;
	}
	allowed = orders_jint(o, "revisions_allowed");
	if (allowed != -1 && orders_jint(o, "revisions_used") >= allowed) {
		rc = conflict(req, N_("No revisions left — buy an extra revision in the order "
		    "room, or ask the seller for a change order."));
		goto out;
	}
	if ((rc = invalid(req, "revision", &form, &errors)) != 0)
		goto out;
	if ((rc = orders_transition(db, id, "delivered", "revision_requested")) != ORDERS_OK ||
	    (rc = orders_db_revision_used(db, id)) != DB_OK ||
	    (rc = orders_event(db, id, req->user_id, "revision", reason, NULL, NULL)) != DB_OK ||
	    (rc = orders_notify(db, &APP(req)->cfg, id, NULL, "revision", reason)) != DB_OK)
		rc = fail(req, rc);
	else
		rc = done(req, "timeline");
out:
	json_decref(o);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* ==== change orders ==== */

/*
 * POST /orders/{id}/extra-revision: the buyer, out of revisions, buys one
 * at the gig's extra_revision price: an accepted change order to pay.
 */
static int
extra_revision_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL;
	long long id = req->match.ints[0], cid = 0, allowed;
	int64_t price = 0;
	int role, rc, days = 0;
	char data[64];

	if ((rc = begin(req, &o, &role)) != 0)
		return rc;
	allowed = orders_jint(o, "revisions_allowed");
	if (!(role & R_BUYER) || !is(orders_jstr(o, "state"), "delivered") || allowed == -1 ||
	    orders_jint(o, "revisions_used") < allowed) {
		json_decref(o);
		return conflict(req, N_("An extra revision is sold only when the delivery is "
		    "waiting for you and no revision is left."));
	}
	json_decref(o);
	rc = orders_db_extra_revision_price(db, id, &price, &days);
	if (rc == DB_ENOROW)
		return conflict(req, N_("This gig does not sell extra revisions: ask the seller "
		    "for a change order."));
	if (rc != DB_OK)
		return fail(req, rc);
	rc = orders_db_extra_revision_add(db, id, price, orders_bps(price,
	    APP(req)->cfg.buyer_fee_bps), days, &cid);
	if (rc == DB_ENOROW)
		return conflict(req, N_("An extra revision is already waiting for your payment."));
	snprintf(data, sizeof(data), "{\"change_order_id\": %lld, \"amount_minor\": %lld}", cid,
	    (long long)price);
	if (rc != DB_OK || (rc = orders_event(db, id, req->user_id, "extra_revision_ordered", NULL,
	    data, NULL)) != DB_OK)
		return fail(req, rc);
	return done(req, "change-orders");
}

/* POST /orders/{id}/change-orders: description, amount ("12.50"), added_days */
static int
change_order_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *form = json_object(), *errors = json_object();
	const char *desc, *st;
	long long amount = 0, days, cid = 0, id = req->match.ints[0];
	char data[48];
	int role, rc;

	desc = text(req, "description", 1, 1, ORDERS_CHANGE_DESC_MAX, form, errors);
	json_object_set_new(form, "amount", json_string(http_form(req, "amount")));
	json_object_set_new(form, "added_days", json_string(http_form(req, "added_days")));
	if (studio_parse_price(http_form(req, "amount"), &amount) != 0 || amount <= 0)
		app_form_error(errors, "amount", "invalid");
	days = app_form_int(http_form(req, "added_days"), 0, 90);
	if (days == LLONG_MIN)
		app_form_error(errors, "added_days", "invalid");
	if ((rc = begin(req, &o, &role)) != 0)
		goto out;
	st = orders_jstr(o, "state");
	if (!(role & R_SELLER) || !(is(st, "awaiting_requirements") || is(st, "in_progress") ||
	    is(st, "delivered") || is(st, "revision_requested"))) {
		rc = conflict(req, NULL);
		goto out;
	}
	if ((rc = invalid(req, "change_order", &form, &errors)) != 0)
		goto out;
	if ((rc = orders_db_change_order_add(db, id, desc, amount,
	    orders_bps(amount, APP(req)->cfg.buyer_fee_bps), (int)days, &cid)) != DB_OK)
		goto failed;
	snprintf(data, sizeof(data), "{\"change_order_id\": %lld, \"amount_minor\": %lld}", cid,
	    amount);
	if ((rc = orders_event(db, id, req->user_id, "change_order_proposed", desc, data,
	    NULL)) != DB_OK ||
	    (rc = orders_notify(db, &APP(req)->cfg, id, "change_order", NULL, NULL)) != DB_OK)
		goto failed;
	rc = done(req, "change-orders");
	goto out;
failed:
	rc = fail(req, rc);
out:
	json_decref(o);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* POST /orders/{id}/change-orders/{cid}/accept|decline|withdraw */
static int
change_order_decide(http_req_t *req, int who, const char *to, const char *kind)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *c = NULL;
	long long id = req->match.ints[0], cid = req->match.ints[1];
	const char *cs, *st;
	char data[48];
	int role, rc, open_order;

	if ((rc = begin(req, &o, &role)) != 0)
		return rc;
	st = orders_jstr(o, "state");
	open_order = is(st, "awaiting_requirements") || is(st, "in_progress") ||
	    is(st, "delivered") || is(st, "revision_requested");
	json_decref(o);
	if (!open_order)
		return conflict(req, N_("This order is finished: its change orders are closed."));
	if ((rc = orders_db_change_order_lock(db, cid, &c)) != DB_OK ||
	    orders_jint(c, "order_id") != id) {
		json_decref(c);
		db_rollback(db);
		return app_error(req, 404, NULL);
	}
	cs = orders_jstr(c, "state");
	if (!(role & who) || !(is(cs, "proposed") || (!is(to, "accepted") && is(cs, "accepted")))) {
		json_decref(c);
		return conflict(req, N_("This change order cannot be changed any more."));
	}
	snprintf(data, sizeof(data), "{\"change_order_id\": %lld}", cid);
	if ((rc = orders_db_change_order_set(db, cid, cs, to)) != DB_OK ||
	    (rc = orders_event(db, id, req->user_id, kind, orders_jstr(c, "description"), data,
	    NULL)) != DB_OK) {
		json_decref(c);
		return fail(req, rc);
	}
	json_decref(c);
	return done(req, "change-orders");
}

static int
change_order_accept(http_req_t *req)
{
	return change_order_decide(req, R_BUYER, "accepted", "change_order_accepted");
}

static int
change_order_decline(http_req_t *req)
{
	return change_order_decide(req, R_BUYER, "declined", "change_order_declined");
}

static int
change_order_withdraw(http_req_t *req)
{
	return change_order_decide(req, R_SELLER, "withdrawn", "change_order_withdrawn");
}

/* ==== extensions ==== */

/* POST /orders/{id}/extension: days, reason */
static int
extension_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *form = json_object(), *errors = json_object();
	const char *reason, *st;
	long long days, eid = 0, id = req->match.ints[0];
	char data[64];
	int role, rc;

	reason = text(req, "reason", 1, 1, ORDERS_REASON_MAX, form, errors);
	json_object_set_new(form, "days", json_string(http_form(req, "days")));
	if ((days = app_form_int(http_form(req, "days"), 1, 30)) == LLONG_MIN)
		app_form_error(errors, "days", "invalid");
	if ((rc = begin(req, &o, &role)) != 0)
		goto out;
	st = orders_jstr(o, "state");
	if (!(role & R_SELLER) || !(is(st, "in_progress") || is(st, "revision_requested"))) {
		rc = conflict(req, NULL);
		goto out;
	}
	if ((rc = invalid(req, "extension", &form, &errors)) != 0)
		goto out;
	rc = orders_db_extension_add(db, id, (int)days, reason, &eid);
	if (rc == DB_ENOROW) {
		rc = conflict(req, N_("An extension is already waiting for the buyer's answer."));
		goto out;
	}
	snprintf(data, sizeof(data), "{\"extension_id\": %lld, \"days\": %lld}", eid, days);
	if (rc != DB_OK ||
	    (rc = orders_event(db, id, req->user_id, "extension_requested", reason, data,
	    NULL)) != DB_OK ||
	    (rc = orders_notify(db, &APP(req)->cfg, id, "extension", NULL, reason)) != DB_OK)
		rc = fail(req, rc);
	else
		rc = done(req, "timeline");
out:
	json_decref(o);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* POST /orders/{id}/extension/{eid}/accept|decline */
static int
extension_decide(http_req_t *req, int accept)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0], eid = req->match.ints[1];
	int role, rc, days = 0;
	char data[64];

	if ((rc = begin(req, NULL, &role)) != 0)
		return rc;
	if (!(role & R_BUYER))
		return conflict(req, N_("Only the buyer answers an extension request."));
	rc = orders_db_extension_decide(db, id, eid, accept ? "accepted" : "declined", &days);
	if (rc == DB_ENOROW)
		return conflict(req, N_("This extension request is no longer open."));
	snprintf(data, sizeof(data), "{\"extension_id\": %lld, \"days\": %d}", eid, days);
	if (rc != DB_OK || (accept && (rc = orders_db_push_due(db, id, days)) != DB_OK) ||
	    (rc = orders_event(db, id, req->user_id, accept ? "extension_accepted" :
	    "extension_declined", NULL, data, NULL)) != DB_OK)
		return fail(req, rc);
	return done(req, "timeline");
}

static int
extension_accept(http_req_t *req)
{
	return extension_decide(req, 1);
}

static int
extension_decline(http_req_t *req)
{
	return extension_decide(req, 0);
}

/* ==== cancellation ==== */

/*
 * POST /orders/{id}/cancel: reason, idempotency_key.  The buyer cancels
 * alone before paying, while the requirements were never submitted, or
 * 24 hours after the due date; otherwise this asks the other side.
 */
static int
cancel_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *o = NULL, *form = json_object(), *errors = json_object();
	const char *reason, *st, *key;
	long long id = req->match.ints[0], cid = 0;
	int role, rc, direct;

	reason = text(req, "reason", 1, 1, ORDERS_REASON_MAX, form, errors);
	if ((rc = begin(req, &o, &role)) != 0)
		goto out;
	st = orders_jstr(o, "state");
	if (!(role & (R_BUYER | R_SELLER)) || !orders_transition_allowed(st, "cancelled")) {
		rc = conflict(req, (role & (R_BUYER | R_SELLER)) ? N_("This order can no longer "
		    "be cancelled.") : N_("Staff cancel orders from the admin console."));
		goto out;
	}
	if ((rc = invalid(req, "cancel", &form, &errors)) != 0)
		goto out;
	if ((rc = idem(req, "order_cancel", &key)) != 0)
		goto out;
	direct = (role & R_BUYER) && (is(st, "awaiting_payment") ||
	    (is(st, "awaiting_requirements") && !json_is_true(json_object_get(o,
	    "requirements_done"))) || json_is_true(json_object_get(o, "overdue_24h")));
	if (direct) {
		if ((rc = orders_cancel(db, &APP(req)->cfg, id, req->user_id, reason)) != ORDERS_OK)
			rc = fail(req, rc);
		else
			rc = idem_done(req, key);
		goto out;
	}
	rc = orders_db_cancellation_add(db, id, req->user_id, reason,
	    APP(req)->cfg.cancel_answer_hours, &cid);
	if (rc == DB_ENOROW) {
		rc = conflict(req, N_("A cancellation request is already waiting for an answer."));
		goto out;
	}
	if (rc != DB_OK ||
	    (rc = orders_event(db, id, req->user_id, "cancellation_requested", reason, NULL,
	    NULL)) != DB_OK ||
	    (rc = orders_notify(db, &APP(req)->cfg, id, (role & R_BUYER) ? NULL :
	    "cancellation_requested", (role & R_BUYER) ? "cancellation_requested" : NULL,
	    reason)) != DB_OK)
		rc = fail(req, rc);
	else
		rc = idem_done(req, key);
out:
	json_decref(o);
	json_decref(form);
	json_decref(errors);
	return rc;
}

/* POST /orders/{id}/cancellation/{cid}/accept|decline (the other side) */
static int
cancellation_decide(http_req_t *req, int accept)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0], cid = req->match.ints[1];
	const char *key = NULL;
	char *reason = NULL;
	int role, rc;

	if ((rc = begin(req, NULL, &role)) != 0)
		return rc;
	if (!(role & (R_BUYER | R_SELLER)))
		return conflict(req, NULL);
	if (accept && (rc = idem(req, "order_cancellation", &key)) != 0)
		return rc;
	rc = orders_db_cancellation_decide(db, req->arena, id, cid, req->user_id,
	    accept ? "accepted" : "declined", &reason);
	if (rc == DB_ENOROW)
		return conflict(req, N_("This cancellation request is no longer open."));
	if (rc != DB_OK)
		return fail(req, rc);
	if (accept) {
		if ((rc = orders_event(db, id, req->user_id, "cancellation_accepted", NULL, NULL,
		    NULL)) != DB_OK ||
		    (rc = orders_cancel(db, &APP(req)->cfg, id, req->user_id, reason)) != ORDERS_OK)
			return fail(req, rc);
		return idem_done(req, key);
	}
	if ((rc = orders_event(db, id, req->user_id, "cancellation_declined", NULL, NULL,
	    NULL)) != DB_OK)
		return fail(req, rc);
	return done(req, "timeline");
}

static int
cancellation_accept(http_req_t *req)
{
	return cancellation_decide(req, 1);
}

static int
cancellation_decline(http_req_t *req)
{
	return cancellation_decide(req, 0);
}

/* ==== receipts ==== */

static int
pdf_get(http_req_t *req, int invoice)
{
	json_t *r = NULL;
	int rc;

	rc = orders_db_receipt(APP(req)->db, req->match.ints[0], req->user_id, is_staff(req), &r);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if (is(orders_jstr(r, "state"), "awaiting_payment")) {
		json_decref(r);
		return app_error(req, 409, N_("There is no receipt before the order is paid."));
	}
	buf_truncate(&req->body, 0);
	rc = orders_pdf(r, invoice, &req->body);
	json_decref(r);
	if (rc != 0) {
		buf_truncate(&req->body, 0);
		return app_error(req, 500, NULL);
	}
	req->content_type_out = "application/pdf";
	http_header(req, "Content-Disposition", arena_printf(req->arena,
	    "inline; filename=\"%s-%lld.pdf\"", invoice ? "invoice" : "receipt", req->match.ints[0]));
	http_no_store(req);
	req->status = 200;
	return 200;
}

static int
receipt_get(http_req_t *req)
{
	return pdf_get(req, 0);
}

static int
invoice_get(http_req_t *req)
{
	return pdf_get(req, 1);
}

const route_t orders_routes[] = {
	{ "GET", "/orders", list_get, ROLE_BUYER, "orders.list" },
	{ "GET", "/orders/{id:int}", room_get, ROLE_BUYER, "orders.room" },
	{ "GET", "/orders/{id:int}/receipt.pdf", receipt_get, ROLE_BUYER, "orders.receipt" },
	{ "GET", "/orders/{id:int}/invoice.pdf", invoice_get, ROLE_BUYER, "orders.invoice" },
	{ "GET", "/orders/{id:int}/files/{mid:int}", file_get, ROLE_BUYER, "orders.file" },
	{ "POST", "/orders/{id:int}/requirements", requirements_post, ROLE_BUYER,
	  "orders.requirements" },
	{ "POST", "/orders/{id:int}/messages", messages_post, ROLE_BUYER, "orders.message" },
	{ "POST", "/orders/{id:int}/start", start_post, ROLE_BUYER, "orders.start" },
	{ "POST", "/orders/{id:int}/deliver", deliver_post, ROLE_BUYER, "orders.deliver" },
	{ "POST", "/orders/{id:int}/accept", accept_post, ROLE_BUYER, "orders.accept" },
	{ "POST", "/orders/{id:int}/revision", revision_post, ROLE_BUYER, "orders.revision" },
	{ "POST", "/orders/{id:int}/extra-revision", extra_revision_post, ROLE_BUYER,
	  "orders.extra_revision" },
	{ "POST", "/orders/{id:int}/change-orders", change_order_post, ROLE_BUYER,
	  "orders.change_order" },
	{ "POST", "/orders/{id:int}/change-orders/{cid:int}/accept", change_order_accept,
	  ROLE_BUYER, "orders.change_order.accept" },
	{ "POST", "/orders/{id:int}/change-orders/{cid:int}/decline", change_order_decline,
	  ROLE_BUYER, "orders.change_order.decline" },
	{ "POST", "/orders/{id:int}/change-orders/{cid:int}/withdraw", change_order_withdraw,
	  ROLE_BUYER, "orders.change_order.withdraw" },
	{ "POST", "/orders/{id:int}/extension", extension_post, ROLE_BUYER, "orders.extension" },
	{ "POST", "/orders/{id:int}/extension/{eid:int}/accept", extension_accept, ROLE_BUYER,
	  "orders.extension.accept" },
	{ "POST", "/orders/{id:int}/extension/{eid:int}/decline", extension_decline, ROLE_BUYER,
	  "orders.extension.decline" },
	{ "POST", "/orders/{id:int}/cancel", cancel_post, ROLE_BUYER, "orders.cancel" },
	{ "POST", "/orders/{id:int}/cancellation/{cid:int}/accept", cancellation_accept,
	  ROLE_BUYER, "orders.cancellation.accept" },
	{ "POST", "/orders/{id:int}/cancellation/{cid:int}/decline", cancellation_decline,
	  ROLE_BUYER, "orders.cancellation.decline" },
};
const size_t orders_nroutes = sizeof(orders_routes) / sizeof(orders_routes[0]);
