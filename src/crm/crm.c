/*
 * crm.c - moving leads, the stages page, the lead page and its form posts
 * (see crm.h).  Works without JavaScript: every action is a form POST
 * answered 303 back; the move also answers JSON for static/js/crm-board.js.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/utf8.h"
#include "crm/crm.h"
#include "crm/crm_int.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "payments/gateway.h"
#include "payments/payments.h"
#include "web/app.h"

#define JS(o, k) json_string_value(json_object_get((o), (k)))
#define JI(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

/* Largest deal value accepted, minor units (10^12: ten billion major units). */
#define CRM_VALUE_MAX 1000000000000LL

static const char *const currencies[] = { "USD", "ZAR", "CNY", NULL };

int
crm_is_seller(const http_req_t *req)
{
	return (req->roles & ROLE_BIT(ROLE_SELLER)) != 0;
}

/* @s without surrounding white space, in the arena. */
static const char *
trim(http_req_t *req, const char *s)
{
	size_t n;

	while (*s != '\0' && strchr(" \t\r\n\f\v", *s) != NULL)
		s++;
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n\f\v", s[n - 1]) != NULL)
		n--;
	return arena_strndup(req->arena, s, n);
}

/* "#rrggbb" (any case) as lower case into the arena, or NULL when @s is not one. */
static const char *
color_ok(http_req_t *req, const char *s)
{
	char *c;
	int i;

	if (s == NULL || strlen(s) != 7 || s[0] != '#')
		return NULL;
	c = arena_strdup(req->arena, s);
	for (i = 1; i < 7; i++) {
		if (!isxdigit((unsigned char)c[i]))
			return NULL;
		c[i] = (char)tolower((unsigned char)c[i]);
	}
	return c;
}

/*
 * A decimal amount typed by the seller ("12", "12.5", "12.50") into minor
 * units (all three currencies have two decimals).  Returns 0 or -1.
 */
static int
parse_amount(const char *s, long long *out)
{
	char tmp[32];
	size_t n;
	int64_t v;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (gateway_decimal_to_minor(tmp, &v) != 0 || v < 0 || v > CRM_VALUE_MAX)
		return -1;
	*out = v;
	return 0;
}

void
crm_decorate_leads(http_req_t *req, json_t *leads)
{
	json_t *l;
	size_t i;

	json_array_foreach(leads, i, l) {
		json_t *v = json_object_get(l, "value_minor");
		const char *cur = JS(l, "currency");
		int has = json_is_integer(v) && cur != NULL;

		json_object_set_new(l, "has_value", json_boolean(has));
		json_object_set_new(l, "value", json_string(has ? payments_money(req->arena,
		    json_integer_value(v), cur) : ""));
		json_object_set_new(l, "has_labels", json_boolean(json_array_size(json_object_get(l,
		    "labels")) > 0));
		json_object_set_new(l, "has_unread", json_boolean(JI(l, "unread") > 0));
		if (JS(l, "value_source") != NULL && strlen(JS(l, "value_source")) < 20)
			json_object_set_new(l, arena_printf(req->arena, "source_%s",
			    JS(l, "value_source")), json_true());
	}
}

/* Answer @status: the error page, or {"error": @code, "message"} for JSON callers. */
static int
fail(http_req_t *req, int status, const char *code, const char *message)
{
	if (app_wants_json(req))
		return app_json(req, status, json_pack("{s:s, s:s}", "error", code, "message",
		    i18n_str(app_lang(req), message)));
	return app_error(req, status, message);
}

/* The caller is a seller, else 403 answered into @rc (returns 0). */
static int
seller_or_403(http_req_t *req, int *rc)
{
	if (crm_is_seller(req))
		return 1;
	*rc = fail(req, 403, "forbidden", N_("The CRM is for sellers."));
	return 0;
}

/* A safe place to go back to: form field "back" when it is a /crm path, else @dflt. */
static const char *
back_to(http_req_t *req, const char *dflt)
{
	const char *b = http_form(req, "back");

	if (b == NULL || strncmp(b, "/crm", 4) != 0 || strstr(b, "//") != NULL ||
	    strpbrk(b, "\r\n\\") != NULL || (b[4] != '\0' && b[4] != '/' && b[4] != '?'))
		return dflt;
	return b;
}

static int
redirect(http_req_t *req, const char *to)
{
	http_redirect(req, 303, to);
	return req->status;
}

/* ==== POST /crm/leads/{conv}/move ==== */

static int
move_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	long long conv = req->match.ints[0], owner = 0, stage, pos = -1, ev = 0;
	const char *ps = http_form(req, "position");
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	if ((stage = app_form_int(http_form(req, "stage_id"), 1, LLONG_MAX)) == LLONG_MIN)
		return fail(req, 422, "stage", N_("Choose a stage."));
	if (ps != NULL && !utf8_blank(ps) && (pos = app_form_int(ps, 0, 1000000)) == LLONG_MIN)
		return fail(req, 422, "position", N_("The position is not a valid number."));
	if ((rc = crm_db_lead_owner(db, conv, &owner)) == DB_ENOROW ||
	    (rc == DB_OK && owner != req->user_id))
		return fail(req, 404, "not_found", N_("There is no such lead."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	rc = crm_lead_move_at(db, req->user_id, conv, stage, (int)pos, "seller", &ev);
	if (rc != CRM_OK) {
		(void)db_rollback(db);
		switch (rc) {
		case CRM_FORBIDDEN:
			return fail(req, 403, "forbidden", N_("That stage is not one of yours."));
		case CRM_NOT_FOUND:
			return fail(req, 404, "not_found", N_("There is no such stage."));
		case CRM_CONFLICT:
			return fail(req, 409, "deleted", N_("That stage has been removed."));
		case CRM_EDOWN:
			return app_db_status(req, DB_EDOWN);
		default:
			return app_db_status(req, DB_ERROR);
		}
	}
	if ((rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		return app_db_status(req, rc);
	}
	crm_publish_move(APP(req)->kv, db, req->user_id, conv);
	if (app_wants_json(req)) {
		json_t *o = NULL;
		char c[24];
		const char *p[1] = { c };

		snprintf(c, sizeof(c), "%lld", conv);
		if ((rc = db_query_json(db, &o, "SELECT json_build_object('ok', true,"
		    " 'conversation_id', conversation_id, 'stage_id', stage_id, 'position', position)"
		    " FROM crm_leads WHERE conversation_id = $1::bigint", 1, p)) != DB_OK)
			return app_db_status(req, rc);
		return app_json(req, 200, o);
	}
	return redirect(req, back_to(req, "/crm"));
}

/* ==== the stages page ==== */

/* Render the stages page with answer @status, @form / @errors (borrowed; may be NULL). */
static int
stages_page(http_req_t *req, int status, json_t *form, json_t *errors)
{
	json_t *ctx, *stages = NULL, *s;
	size_t i, n;
	int rc;

	if ((rc = crm_db_ensure_stages(APP(req)->db, req->user_id)) != DB_OK ||
	    (rc = crm_db_stages(APP(req)->db, req->user_id, &stages)) != DB_OK)
		return app_db_status(req, rc);
	n = json_array_size(stages);
	json_array_foreach(stages, i, s) {
		json_t *targets = json_array(), *t;
		size_t k;

		json_array_foreach(stages, k, t)
			if (k != i)
				json_array_append_new(targets, json_pack("{s:O, s:O}", "id",
				    json_object_get(t, "id"), "name", json_object_get(t, "name")));
		json_object_set_new(s, "targets", targets);
		json_object_set_new(s, "first", json_boolean(i == 0));
		json_object_set_new(s, "last", json_boolean(i + 1 == n));
		json_object_set_new(s, "can_delete", json_boolean(n > 1));
	}
	ctx = json_pack("{s:o, s:o, s:o, s:b}", "stages", stages,
	    "form", form != NULL ? json_incref(form) : json_pack("{s:s, s:s}", "name", "",
	    "color", "#6b7280"), "errors", errors != NULL ? json_incref(errors) : json_object(),
	    "has_errors", errors != NULL && json_object_size(errors) > 0);
	app_page(ctx, i18n_str(app_lang(req), N_("Pipeline stages")), NULL, "/crm/stages", NULL);
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "crm/stages", ctx);
	json_decref(ctx);
	return rc;
}

static int
stages_get(http_req_t *req)
{
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	return stages_page(req, 200, NULL, NULL);
}

/*
 * Check the stage form (name, color): the trimmed name into @name and
 * the colour into @color; errors into @errors.  Returns 1 when valid.
 */
static int
stage_form(http_req_t *req, json_t *errors, const char **name, const char **color)
{
	*name = trim(req, http_form(req, "name"));
	*color = color_ok(req, trim(req, http_form(req, "color")));
	if ((*name)[0] == '\0')
		app_form_error(errors, "name", "required");
	else if (utf8_chars(*name) > CRM_STAGE_NAME_MAX)
		app_form_error(errors, "name", "too_long");
	if (*color == NULL)
		app_form_error(errors, "color", "invalid");
	return json_object_size(errors) == 0;
}

static int
stages_post(http_req_t *req)
{
	json_t *errors, *form;
	const char *name, *color;
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	errors = json_object();
	form = json_pack("{s:s, s:s}", "name", http_form(req, "name"), "color",
	    http_form(req, "color"));
	if (!stage_form(req, errors, &name, &color)) {
		rc = stages_page(req, 422, form, errors);
		goto out;
	}
	if ((rc = crm_db_ensure_stages(APP(req)->db, req->user_id)) != DB_OK ||
	    (rc = crm_db_stage_create(APP(req)->db, req->user_id, name, color)) != DB_OK) {
		rc = app_db_status(req, rc);
		goto out;
	}
	rc = redirect(req, "/crm/stages");
out:
	json_decref(errors);
	json_decref(form);
	return rc;
}

static int
stage_post(http_req_t *req)
{
	json_t *errors;
	const char *name, *color;
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	errors = json_object();
	if (!stage_form(req, errors, &name, &color)) {
		json_t *form = json_pack("{s:s, s:s}", "name", "", "color", "#6b7280");

		json_object_set_new(errors, "stage_id", json_integer(req->match.ints[0]));
		json_object_set_new(errors, "edit_name", json_string(http_form(req, "name")));
		rc = stages_page(req, 422, form, errors);
		json_decref(form);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	rc = crm_db_stage_update(APP(req)->db, req->user_id, req->match.ints[0], name, color);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such stage."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	return redirect(req, "/crm/stages");
}

static int
stage_shift(http_req_t *req, int dir)
{
	db_t *db = APP(req)->db;
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = crm_db_stage_shift(db, req->user_id, req->match.ints[0], dir)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		if (rc == DB_ENOROW)
			return app_error(req, 404, N_("There is no such stage."));
		return app_db_status(req, rc);
	}
	return redirect(req, "/crm/stages");
}

static int stage_up(http_req_t *req) { return stage_shift(req, -1); }
static int stage_down(http_req_t *req) { return stage_shift(req, 1); }

static int
stage_delete(http_req_t *req)
{
	db_t *db = APP(req)->db;
	long long target, owner = 0, stage = req->match.ints[0];
	int rc, deleted = 0;

	if (!seller_or_403(req, &rc))
		return rc;
	if ((rc = crm_db_stage_owner(db, stage, &owner, &deleted)) == DB_ENOROW ||
	    (rc == DB_OK && owner != req->user_id))
		return app_error(req, 404, N_("There is no such stage."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if (deleted)
		return app_error(req, 409, N_("That stage has been removed."));
	target = app_form_int(http_form(req, "target"), 1, LLONG_MAX);
	if (target == LLONG_MIN || target == stage) {
		json_t *errors = json_object();

		app_form_error(errors, "target", "required");
		json_object_set_new(errors, "stage_id", json_integer(stage));
		rc = stages_page(req, 422, NULL, errors);
		json_decref(errors);
		return rc;
	}
	if ((rc = crm_db_stage_owner(db, target, &owner, &deleted)) == DB_ENOROW)
		return app_error(req, 422, N_("Choose the stage its leads move to."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if (owner != req->user_id)
		return app_error(req, 403, N_("That stage is not one of yours."));
	if (deleted)
		return app_error(req, 409, N_("That stage has been removed."));
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = crm_db_stage_delete(db, req->user_id, stage, target)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		if (rc == DB_ENOROW)
			return app_error(req, 409, N_("That stage has been removed."));
		return app_db_status(req, rc);
	}
	return redirect(req, "/crm/stages");
}

/* ==== the lead page ==== */

/* A duration in seconds as "2 h 5 min" / "12 min" / "40 s" (English units, short). */
static const char *
duration(http_req_t *req, long long s)
{
	if (s >= 86400)
		return arena_printf(req->arena, "%lld d %lld h", s / 86400, (s % 86400) / 3600);
	if (s >= 3600)
		return arena_printf(req->arena, "%lld h %lld min", s / 3600, (s % 3600) / 60);
	if (s >= 60)
		return arena_printf(req->arena, "%lld min", s / 60);
	return arena_printf(req->arena, "%lld s", s);
}

/* Flags the lead template tests: is_<kind>, and <field>_<value> for the event's words. */
static void
decorate_events(http_req_t *req, json_t *events)
{
	static const char *const words[] = { "sender", "event", "action", "message_kind", "by",
	    "state", NULL };
	json_t *e;
	size_t i;
	int k;

	json_array_foreach(events, i, e) {
		json_t *d = json_object_get(e, "data");

		json_object_set_new(e, arena_printf(req->arena, "is_%s", JS(e, "kind")), json_true());
		for (k = 0; words[k] != NULL; k++) {
			const char *v = JS(d, words[k]);

			if (v != NULL && strlen(v) < 40 && strchr(v, ':') == NULL)
				json_object_set_new(e, arena_printf(req->arena, "%s_%s", words[k], v),
				    json_true());
		}
		if (json_is_integer(json_object_get(d, "subtotal_minor")) && JS(d, "currency") != NULL)
			json_object_set_new(e, "amount", json_string(payments_money(req->arena,
			    JI(d, "subtotal_minor"), JS(d, "currency"))));
		else if (json_is_integer(json_object_get(d, "price_minor")) && JS(d, "currency") != NULL)
			json_object_set_new(e, "amount", json_string(payments_money(req->arena,
			    JI(d, "price_minor"), JS(d, "currency"))));
		if (JS(d, "by") != NULL && strncmp(JS(d, "by"), "trigger:", 8) == 0)
			json_object_set_new(e, "by_trigger", json_true());
	}
}

/*
 * Render lead @conv with answer @status and @form / @errors (borrowed;
 * may be NULL): the note, value and label forms keep what was typed.
 */
static int
lead_page(http_req_t *req, int status, json_t *form, json_t *errors)
{
	db_t *db = APP(req)->db;
	long long conv = req->match.ints[0];
	json_t *data = NULL, *lead, *stages = NULL, *labels = NULL, *b, *x, *cur;
	long long total = 0;
	size_t i;
	int rc;

	if ((rc = crm_db_ensure_stages(db, req->user_id)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = crm_db_lead(db, req->user_id, conv, &data)) == DB_ENOROW)
		return app_error(req, 404, N_("There is no such lead."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if ((rc = crm_db_stages(db, req->user_id, &stages)) != DB_OK ||
	    (rc = crm_db_labels(db, req->user_id, &labels)) != DB_OK) {
		json_decref(data);
		json_decref(stages);
		return app_db_status(req, rc);
	}
	lead = json_object_get(data, "lead");
	{
		json_t *one = json_pack("[O]", lead);

		crm_decorate_leads(req, one);
		json_decref(one);
	}
	json_array_foreach(stages, i, x)
		json_object_set_new(x, "selected", json_boolean(JI(x, "id") == JI(lead, "stage_id")));
	json_array_foreach(labels, i, x) {
		json_t *on = json_object_get(lead, "labels"), *y;
		size_t k;
		int has = 0;

		json_array_foreach(on, k, y)
			if (JI(y, "id") == JI(x, "id"))
				has = 1;
		json_object_set_new(x, "on", json_boolean(has));
	}
	b = json_object_get(data, "breakdown");
	json_array_foreach(b, i, x) {
		json_t *ms = json_object_get(x, "mean_seconds");

		total += JI(x, "points");
		if (!json_is_null(json_object_get(x, "days")) && json_object_get(x, "days") != NULL)
			json_object_set_new(x, "has_last", json_true());
		json_object_set_new(x, arena_printf(req->arena, "k_%s", JS(x, "key")), json_true());
		if (json_is_integer(ms))
			json_object_set_new(x, "mean", json_string(duration(req,
			    json_integer_value(ms))));
		if (json_is_integer(json_object_get(x, "sum_minor")))
			json_object_set_new(x, "sum", json_string(gateway_minor_to_decimal(req->arena,
			    JI(x, "sum_minor"))));
	}
	json_object_set_new(data, "score", json_integer(total));
	decorate_events(req, json_object_get(data, "events"));
	cur = json_array();
	for (i = 0; currencies[i] != NULL; i++) {
		const char *sel = form != NULL && JS(form, "currency") != NULL ? JS(form, "currency") :
		    JS(data, "manual_currency") != NULL ? JS(data, "manual_currency") : "USD";

		json_array_append_new(cur, json_pack("{s:s, s:b}", "code", currencies[i], "selected",
		    strcmp(sel, currencies[i]) == 0));
	}
	json_object_set_new(data, "currencies", cur);
	json_object_set_new(data, "stages", stages);
	json_object_set_new(data, "labels", labels);
	json_object_set_new(data, "has_notes", json_boolean(json_array_size(json_object_get(data,
	    "notes")) > 0));
	json_object_set_new(data, "has_events", json_boolean(json_array_size(json_object_get(data,
	    "events")) > 0));
	if (form == NULL) {
		json_t *mv = json_object_get(data, "manual_value");

		json_object_set_new(data, "form", json_pack("{s:s, s:s, s:s, s:s}", "note", "",
		    "amount", json_is_integer(mv) ? gateway_minor_to_decimal(req->arena,
		    json_integer_value(mv)) : "", "label_name", "", "label_color", "#2563eb"));
	} else
		json_object_set(data, "form", form);
	json_object_set_new(data, "errors", errors != NULL ? json_incref(errors) : json_object());
	app_page(data, i18n_str(app_lang(req), N_("Lead")), NULL,
	    arena_printf(req->arena, "/crm/leads/%lld", conv), NULL);
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "crm/lead", data);
	json_decref(data);
	return rc;
}

static int
lead_get(http_req_t *req)
{
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	return lead_page(req, 200, NULL, NULL);
}

/* The lead page again with @status, @field's error @code and the typed values. */
static int
lead_err(http_req_t *req, int status, const char *field, const char *code)
{
	json_t *errors = json_object(), *form;
	int rc;

	app_form_error(errors, field, code);
	form = json_pack("{s:s, s:s, s:s, s:s, s:s}", "note", http_form(req, "body"), "amount",
	    http_form(req, "amount"), "currency", http_form(req, "currency"), "label_name",
	    http_form(req, "name"), "label_color", http_form(req, "color"));
	rc = lead_page(req, status, form, errors);
	json_decref(form);
	json_decref(errors);
	return rc;
}

static const char *
lead_url(http_req_t *req)
{
	return arena_printf(req->arena, "/crm/leads/%lld", req->match.ints[0]);
}

static int
value_post(http_req_t *req)
{
	const char *amount = http_form(req, "amount");
	const char *cur = app_pick(currencies, http_form(req, "currency"));
	long long v = -1;
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	if (!utf8_blank(amount)) {
		if (parse_amount(amount, &v) != 0)
			return lead_err(req, 422, "amount", "invalid");
		if (cur == NULL)
			return lead_err(req, 422, "currency", "invalid");
	}
	rc = crm_db_set_value(APP(req)->db, req->user_id, req->match.ints[0], v, cur);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such lead."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	return redirect(req, lead_url(req));
}

static int
spam_post(http_req_t *req)
{
	const char *s = http_form(req, "spam");
	int rc;

	if (!seller_or_403(req, &rc))
		return rc;
	rc = crm_db_set_spam(APP(req)->db, req->user_id, req->match.ints[0],
	    s != NULL && strcmp(s, "1") == 0);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such lead."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	return redirect(req, lead_url(req));
}

/* 1 when lead {conv} is the caller's; else the answer (404/5xx) is in @rc. */
static int
own_lead(http_req_t *req, int *rc)
{
	long long owner = 0;
	int r = crm_db_lead_owner(APP(req)->db, req->match.ints[0], &owner);

	if (r == DB_OK && owner == req->user_id)
		return 1;
	*rc = (r == DB_OK || r == DB_ENOROW) ? app_error(req, 404, N_("There is no such lead.")) :
	    app_db_status(req, r);
	return 0;
}

static int
labels_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *id_s = http_form(req, "label_id");
	long long label = LLONG_MIN;
	int rc;

	if (!seller_or_403(req, &rc) || !own_lead(req, &rc))
		return rc;
	if (id_s[0] != '\0')
		label = app_form_int(id_s, 1, LLONG_MAX);
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if (label == LLONG_MIN) {
		const char *name = trim(req, http_form(req, "name"));
		const char *color = color_ok(req, trim(req, http_form(req, "color")));

		(void)db_rollback(db);
		if (name[0] == '\0')
			return lead_err(req, 422, "label_name", "required");
		if (utf8_chars(name) > CRM_LABEL_NAME_MAX)
			return lead_err(req, 422, "label_name", "too_long");
		if (color == NULL)
			return lead_err(req, 422, "label_color", "invalid");
		if ((rc = db_begin(db)) != DB_OK ||
		    (rc = crm_db_label_create(db, req->user_id, name, color, &label)) != DB_OK)
			goto fail;
	}
	if ((rc = crm_db_label_add(db, req->user_id, req->match.ints[0], label)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK)
		goto fail;
	return redirect(req, lead_url(req));
fail:
	(void)db_rollback(db);
	return app_db_status(req, rc);
}

static int
label_remove(http_req_t *req)
{
	db_t *db = APP(req)->db;
	int rc;

	if (!seller_or_403(req, &rc) || !own_lead(req, &rc))
		return rc;
	if ((rc = db_begin(db)) != DB_OK ||
	    (rc = crm_db_label_remove(db, req->user_id, req->match.ints[0], req->match.ints[1])) !=
	    DB_OK || (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		return app_db_status(req, rc);
	}
	return redirect(req, lead_url(req));
}

static int
notes_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *body = http_form(req, "body");
	long long id = 0;
	int rc;

	if (!seller_or_403(req, &rc) || !own_lead(req, &rc))
		return rc;
	if (utf8_blank(body))
		return lead_err(req, 422, "note", "required");
	if (utf8_chars(body) > CRM_NOTE_MAX)
		return lead_err(req, 413, "note", "too_long");
	if ((rc = db_begin(db)) != DB_OK ||
	    (rc = crm_db_note_add(db, req->user_id, req->match.ints[0], body, &id)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		return app_db_status(req, rc);
	}
	return redirect(req, arena_printf(req->arena, "%s#note%lld", lead_url(req), id));
}

static int
note_delete(http_req_t *req)
{
	db_t *db = APP(req)->db;
	int rc;

	if (!seller_or_403(req, &rc) || !own_lead(req, &rc))
		return rc;
	if ((rc = db_begin(db)) != DB_OK ||
	    (rc = crm_db_note_delete(db, req->user_id, req->match.ints[0], req->match.ints[1])) !=
	    DB_OK || (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		if (rc == DB_ENOROW)
			return app_error(req, 404, N_("There is no such note."));
		return app_db_status(req, rc);
	}
	return redirect(req, lead_url(req));
}

const route_t crm_routes[] = {
	{ "GET", "/crm", crm_board_get, ROLE_SELLER, "crm.board" },
	{ "GET", "/crm/export.csv", crm_export_csv, ROLE_SELLER, "crm.export" },
	{ "GET", "/crm/stages", stages_get, ROLE_SELLER, "crm.stages" },
	{ "POST", "/crm/stages", stages_post, ROLE_SELLER, "crm.stage_new" },
	{ "POST", "/crm/stages/{id:int}", stage_post, ROLE_SELLER, "crm.stage_edit" },
	{ "POST", "/crm/stages/{id:int}/up", stage_up, ROLE_SELLER, "crm.stage_up" },
	{ "POST", "/crm/stages/{id:int}/down", stage_down, ROLE_SELLER, "crm.stage_down" },
	{ "POST", "/crm/stages/{id:int}/delete", stage_delete, ROLE_SELLER, "crm.stage_delete" },
	{ "GET", "/crm/leads/{conv:int}", lead_get, ROLE_SELLER, "crm.lead" },
	{ "POST", "/crm/leads/{conv:int}/move", move_post, ROLE_SELLER, "crm.move" },
	{ "POST", "/crm/leads/{conv:int}/value", value_post, ROLE_SELLER, "crm.value" },
	{ "POST", "/crm/leads/{conv:int}/spam", spam_post, ROLE_SELLER, "crm.spam" },
	{ "POST", "/crm/leads/{conv:int}/labels", labels_post, ROLE_SELLER, "crm.label_add" },
	{ "POST", "/crm/leads/{conv:int}/labels/{id:int}/remove", label_remove, ROLE_SELLER,
	    "crm.label_remove" },
	{ "POST", "/crm/leads/{conv:int}/notes", notes_post, ROLE_SELLER, "crm.note_add" },
	{ "POST", "/crm/leads/{conv:int}/notes/{id:int}/delete", note_delete, ROLE_SELLER,
	    "crm.note_delete" },
};
const size_t crm_nroutes = sizeof(crm_routes) / sizeof(crm_routes[0]);
