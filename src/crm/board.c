/*
 * board.c - the CRM board (a column per stage), its list view and the CSV
 * export, all with the same filters (see crm.h).
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm/crm.h"
#include "crm/crm_int.h"
#include "i18n/i18n.h"
#include "payments/gateway.h"
#include "payments/payments.h"
#include "payouts/payouts.h"
#include "web/app.h"

#define JS(o, k) json_string_value(json_object_get((o), (k)))
#define JI(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

/* The "last activity" choices of the filter form, in days (0 = any time). */
static const int day_choices[] = { 0, 1, 7, 30, 90 };

/* A decimal amount ("12.50") of the query as minor units into @out; 0 or -1. */
static int
query_amount(const char *s, long long *out)
{
	int64_t v;

	if (s == NULL || s[0] == '\0' || strlen(s) > 20 || gateway_decimal_to_minor(s, &v) != 0 ||
	    v < 0)
		return -1;
	*out = v;
	return 0;
}

json_t *
crm_filters(http_req_t *req, json_t **form)
{
	kvlist_t *q = &req->query_params;
	json_t *f = json_object(), *fm = json_object();
	const char *s;
	long long v;

	if ((s = kv_get(q, "stage")) != NULL && (v = app_form_int(s, 1, LLONG_MAX)) != LLONG_MIN) {
		json_object_set_new(f, "stage", json_integer(v));
		json_object_set_new(fm, "stage", json_integer(v));
	}
	if ((s = kv_get(q, "label")) != NULL && (v = app_form_int(s, 1, LLONG_MAX)) != LLONG_MIN) {
		json_object_set_new(f, "label", json_integer(v));
		json_object_set_new(fm, "label", json_integer(v));
	}
	if ((s = kv_get(q, "unread")) != NULL && strcmp(s, "1") == 0) {
		json_object_set_new(f, "unread", json_true());
		json_object_set_new(fm, "unread", json_true());
	}
	if ((s = kv_get(q, "order")) != NULL && (strcmp(s, "1") == 0 || strcmp(s, "0") == 0)) {
		json_object_set_new(f, "order", json_boolean(s[0] == '1'));
		json_object_set_new(fm, s[0] == '1' ? "order_yes" : "order_no", json_true());
	}
	if ((s = kv_get(q, "min")) != NULL && query_amount(s, &v) == 0) {
		json_object_set_new(f, "min", json_integer(v));
		json_object_set_new(fm, "min", json_string(s));
	}
	if ((s = kv_get(q, "max")) != NULL && query_amount(s, &v) == 0) {
		json_object_set_new(f, "max", json_integer(v));
		json_object_set_new(fm, "max", json_string(s));
	}
	if ((s = kv_get(q, "days")) != NULL && (v = app_form_int(s, 1, 3650)) != LLONG_MIN) {
		json_object_set_new(f, "days", json_integer(v));
		json_object_set_new(fm, "days", json_integer(v));
	}
	json_object_set_new(fm, "active", json_boolean(json_object_size(f) > 0));
	if (form != NULL)
		*form = fm;
	else
		json_decref(fm);
	return f;
}

/*
 * The query string @qs of the board without its "stage" and "view"
 * parameters (still URL-encoded as the browser sent it), for the "Show
 * all" links; "" when nothing is left.  In the request arena.
 */
static const char *
qs_without_stage(http_req_t *req, const char *qs)
{
	buf_t b;
	const char *p = qs, *e;

	buf_init(&b, req->arena);
	while (*p != '\0') {
		size_t n;

		e = strchr(p, '&');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > 0 && strncmp(p, "stage=", 6) != 0 && strncmp(p, "view=", 5) != 0 &&
		    !(n == 5 && strncmp(p, "stage", 5) == 0) && !(n == 4 && strncmp(p, "view", 4) == 0)) {
			buf_putc(&b, '&');
			buf_append(&b, p, n);
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return buf_cstr(&b);
}

/*
 * The columns' counts and totals, one per stage of @stages in order:
 * [{id, count, more (count > CRM_BOARD_CAP), show_all_url (the list view
 * of that stage, same filters), totals: [{currency, amount (formatted),
 * amount_minor}]}] from @cols (crm_db_board's "columns", borrowed).  A
 * new reference; strings in the request arena.
 */
static json_t *
column_totals(http_req_t *req, json_t *stages, json_t *cols, const char *qs)
{
	const char *rest = qs_without_stage(req, qs);
	json_t *out = json_array(), *st, *c, *t;
	size_t i, k, j;

	json_array_foreach(stages, i, st) {
		json_t *totals = json_array();
		long long count = 0;

		json_array_foreach(cols, k, c) {
			if (JI(c, "stage_id") != JI(st, "id"))
				continue;
			count = JI(c, "count");
			json_array_foreach(json_object_get(c, "totals"), j, t)
				json_array_append_new(totals, json_pack("{s:s, s:s, s:I}", "currency",
				    JS(t, "currency"), "amount", payments_money(req->arena,
				    JI(t, "amount_minor"), JS(t, "currency")), "amount_minor",
				    (json_int_t)JI(t, "amount_minor")));
			break;
		}
		json_array_append_new(out, json_pack("{s:O, s:I, s:b, s:s, s:o}", "id",
		    json_object_get(st, "id"), "count", (json_int_t)count, "more",
		    count > CRM_BOARD_CAP, "show_all_url", arena_printf(req->arena,
		    "/crm?view=list&stage=%lld%s", JI(st, "id"), rest), "totals", totals));
	}
	return out;
}

/* GET /crm with Accept: application/json: {"columns": column_totals} for the same filters. */
static int
board_json(http_req_t *req, json_t *filters, const char *qs)
{
	db_t *db = APP(req)->db;
	json_t *stages = NULL, *cols = NULL, *o;
	int rc;

	if ((rc = crm_db_stages(db, req->user_id, &stages)) != DB_OK ||
	    (rc = crm_db_columns(db, req->user_id, filters, &cols)) != DB_OK) {
		json_decref(stages);
		return app_db_status(req, rc);
	}
	o = json_pack("{s:o, s:i}", "columns", column_totals(req, stages, cols, qs), "cap",
	    CRM_BOARD_CAP);
	json_decref(stages);
	json_decref(cols);
	http_no_store(req);
	return app_json(req, 200, o);
}

int
crm_board_get(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *view = kv_get(&req->query_params, "view");
	int list = view != NULL && strcmp(view, "list") == 0;
	json_t *filters, *form = NULL, *stages = NULL, *labels = NULL, *leads = NULL, *board = NULL;
	json_t *ctx, *columns, *totals, *st, *l, *days;
	const char *back, *qs;
	size_t i, k;
	int rc;

	if (!crm_is_seller(req))
		return app_error(req, 403, N_("The CRM is for sellers."));
	qs = req->query != NULL ? req->query : "";
	filters = crm_filters(req, &form);
	if (!list && app_wants_json(req)) {
		json_decref(form);
		rc = board_json(req, filters, qs);
		json_decref(filters);
		return rc;
	}
	if ((rc = crm_db_ensure_stages(db, req->user_id)) != DB_OK ||
	    (rc = crm_db_stages(db, req->user_id, &stages)) != DB_OK ||
	    (rc = crm_db_labels(db, req->user_id, &labels)) != DB_OK ||
	    (rc = list ? crm_db_leads(db, req->user_id, filters, &leads) :
	    crm_db_board(db, req->user_id, filters, CRM_BOARD_CAP, &board)) != DB_OK) {
		json_decref(filters);
		json_decref(form);
		json_decref(stages);
		json_decref(labels);
		return app_db_status(req, rc);
	}
	json_decref(filters);
	if (!list) {
		leads = json_incref(json_object_get(board, "cards"));
		totals = column_totals(req, stages, json_object_get(board, "columns"), qs);
		json_decref(board);
	} else
		totals = json_array();
	crm_decorate_leads(req, leads);
	back = qs[0] != '\0' ? arena_printf(req->arena, "/crm?%s", qs) : "/crm";
	/* every card: the stages for its move form and menu */
	json_array_foreach(leads, i, l) {
		json_t *moves = json_array();

		json_array_foreach(stages, k, st)
			json_array_append_new(moves, json_pack("{s:O, s:O, s:b}", "id",
			    json_object_get(st, "id"), "name", json_object_get(st, "name"),
			    "selected", JI(st, "id") == JI(l, "stage_id")));
		json_object_set_new(l, "moves", moves);
	}
	columns = json_array();
	json_array_foreach(stages, i, st) {
		json_t *cards = json_array(), *tc = json_array_get(totals, i);

		json_array_foreach(leads, k, l)
			if (JI(l, "stage_id") == JI(st, "id"))
				json_array_append(cards, l);
		json_array_append_new(columns, json_pack(
		    "{s:O, s:O, s:O, s:O, s:I, s:O, s:b, s:O, s:b, s:o}",
		    "id", json_object_get(st, "id"), "name", json_object_get(st, "name"),
		    "color", json_object_get(st, "color"), "outcome", json_object_get(st, "outcome"),
		    "count", (json_int_t)JI(tc, "count"), "totals", json_object_get(tc, "totals"),
		    "more", json_is_true(json_object_get(tc, "more")), "show_all_url",
		    json_object_get(tc, "show_all_url"), "has_cards", json_array_size(cards) > 0,
		    "cards", cards));
		json_object_set_new(st, "selected", json_boolean(JI(st, "id") == JI(form, "stage")));
	}
	json_decref(totals);
	json_array_foreach(labels, i, st)
		json_object_set_new(st, "selected", json_boolean(JI(st, "id") == JI(form, "label")));
	days = json_array();
	for (k = 1; k < sizeof(day_choices) / sizeof(day_choices[0]); k++)
		json_array_append_new(days, json_pack("{s:i, s:b, s:b}", "n", day_choices[k], "one",
		    day_choices[k] == 1, "selected", JI(form, "days") == day_choices[k]));
	ctx = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:i}",
	    "columns", columns, "stages", stages, "labels", labels, "leads", leads,
	    "filters", form, "day_choices", days, "list", list, "has_leads",
	    json_array_size(leads) > 0, "has_labels", json_array_size(labels) > 0, "back", back,
	    "export_url", qs[0] != '\0' ? arena_printf(req->arena, "/crm/export.csv?%s", qs) :
	    "/crm/export.csv", "board_url", "/crm", "list_url", "/crm?view=list", "cap",
	    CRM_BOARD_CAP);
	app_page(ctx, i18n_str(app_lang(req), N_("CRM")), NULL, list ? "/crm?view=list" : "/crm",
	    NULL);
	http_no_store(req);
	rc = app_render(req, list ? "crm/list" : "crm/board", ctx);
	json_decref(ctx);
	return rc;
}

int
crm_export_csv(http_req_t *req)
{
	json_t *filters, *leads = NULL, *l, *x;
	buf_t *b = &req->body;
	char num[32];
	size_t i, k;
	int rc;

	if (!crm_is_seller(req))
		return app_error(req, 403, N_("The CRM is for sellers."));
	filters = crm_filters(req, NULL);
	rc = crm_db_leads(APP(req)->db, req->user_id, filters, &leads);
	json_decref(filters);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	req->content_type_out = "text/csv; charset=utf-8";
	http_no_store(req);
	http_header(req, "Content-Disposition", "attachment; filename=\"souk-crm-leads.csv\"");
	buf_puts(b, "conversation,buyer,stage,value,currency,value_minor,value_source,unread,"
	    "has_order,last_activity,score,spam,labels\r\n");
	json_array_foreach(leads, i, l) {
		buf_t lab;

		snprintf(num, sizeof(num), "%lld", JI(l, "conversation_id"));
		payouts_csv_field(b, num, 0);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(l, "buyer_handle"), 1);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(l, "stage_name"), 1);
		buf_putc(b, ',');
		if (json_is_integer(json_object_get(l, "value_minor"))) {
			payouts_csv_field(b, gateway_minor_to_decimal(req->arena, JI(l, "value_minor")),
			    0);
			buf_putc(b, ',');
			payouts_csv_field(b, JS(l, "currency"), 0);
			buf_putc(b, ',');
			snprintf(num, sizeof(num), "%lld", JI(l, "value_minor"));
			payouts_csv_field(b, num, 0);
		} else
			buf_puts(b, ",,");
		buf_putc(b, ',');
		payouts_csv_field(b, JS(l, "value_source"), 0);
		buf_putc(b, ',');
		snprintf(num, sizeof(num), "%lld", JI(l, "unread"));
		payouts_csv_field(b, num, 0);
		buf_putc(b, ',');
		payouts_csv_field(b, json_is_true(json_object_get(l, "has_order")) ? "yes" : "no", 0);
		buf_putc(b, ',');
		payouts_csv_field(b, JS(l, "last_activity"), 0);
		buf_putc(b, ',');
		snprintf(num, sizeof(num), "%lld", JI(l, "score"));
		payouts_csv_field(b, num, 0);
		buf_putc(b, ',');
		payouts_csv_field(b, json_is_true(json_object_get(l, "spam")) ? "yes" : "no", 0);
		buf_putc(b, ',');
		buf_init(&lab, req->arena);
		json_array_foreach(json_object_get(l, "labels"), k, x) {
			if (k > 0)
				buf_puts(&lab, "; ");
			buf_puts(&lab, JS(x, "name"));
		}
		payouts_csv_field(b, buf_cstr(&lab), 1);
		buf_puts(b, "\r\n");
	}
	json_decref(leads);
	return 200;
}
