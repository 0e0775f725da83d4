/*
 * replies.c - the seller's saved replies (see tools.h): the list with its
 * create form, the edit form, delete, and the render endpoint that the
 * composer's script and the no-JS insertion share (crm_reply_render).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/utf8.h"
#include "crm/tools.h"
#include "http/parse.h"
#include "i18n/i18n.h"
#include "tmpl/tmpl.h"
#include "web/app.h"

/* [a-z0-9_-]{1,CRM_REPLY_SHORTCUT_MAX} */
static int
shortcut_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_' ||
		    s[n] == '-'))
			return 0;
	return n >= 1 && n <= CRM_REPLY_SHORTCUT_MAX;
}

/* The form as typed: {shortcut, title, body}; a leading "/" of the shortcut is dropped. */
static json_t *
form_read(http_req_t *req)
{
	const char *sc = http_form(req, "shortcut");

	while (*sc == ' ')
		sc++;
	if (*sc == '/')
		sc++;
	return json_pack("{s:s, s:s, s:s}", "shortcut", sc, "title", http_form(req, "title"),
	    "body", http_form(req, "body"));
}

/* Check @form; errors into @errors ({field: {code: true}}).  Returns 0 when valid. */
static int
form_check(http_req_t *req, json_t *form, json_t *errors)
{
	const char *sc = json_string_value(json_object_get(form, "shortcut"));
	const char *title = json_string_value(json_object_get(form, "title"));
	const char *body = json_string_value(json_object_get(form, "body"));
	char err[TMPL_ERRLEN];
	json_t *vars;
	buf_t out;

	if (sc[0] == '\0')
		app_form_error(errors, "shortcut", "required");
	else if (!shortcut_ok(sc))
		app_form_error(errors, "shortcut", "format");
	if (utf8_blank(title))
		app_form_error(errors, "title", "required");
	else if (utf8_chars(title) > CRM_REPLY_TITLE_MAX)
		app_form_error(errors, "title", "too_long");
	if (utf8_blank(body))
		app_form_error(errors, "body", "required");
	else if (utf8_chars(body) > CRM_REPLY_BODY_MAX)
		app_form_error(errors, "body", "too_long");
	else {
		/* it must be a template our engine compiles */
		vars = json_object();
		buf_init(&out, req->arena);
		if (crm_reply_render(body, vars, &out, err, sizeof(err)) != 0) {
			app_form_error(errors, "body", "template");
			json_object_set_new(errors, "template_error", json_string(err));
		}
		json_decref(vars);
	}
	return json_object_size(errors) > 0;
}

/* The list page with the create form (@form, @errors: borrowed; NULL = empty). */
static int
list_page(http_req_t *req, int status, json_t *form, json_t *errors)
{
	json_t *replies = NULL, *ctx;
	int rc;

	if ((rc = crm_db_replies(APP(req)->db, req->user_id, &replies)) != DB_OK)
		return app_db_status(req, rc);
	ctx = json_pack("{s:o, s:b, s:b}", "replies", replies,
	    "has_replies", json_array_size(replies) > 0,
	    "has_errors", errors != NULL && json_object_size(errors) > 0);
	json_object_set_new(ctx, "form", form != NULL ? json_incref(form) :
	    json_pack("{s:s, s:s, s:s}", "shortcut", "", "title", "", "body", ""));
	json_object_set_new(ctx, "errors", errors != NULL ? json_incref(errors) : json_object());
	json_object_set_new(ctx, "limits", json_pack("{s:i, s:i, s:i}", "shortcut",
	    CRM_REPLY_SHORTCUT_MAX, "title", CRM_REPLY_TITLE_MAX, "body", CRM_REPLY_BODY_MAX));
	app_page(ctx, i18n_str(app_lang(req), N_("Saved replies")), NULL, "/crm/replies", NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "crm/replies", ctx);
	json_decref(ctx);
	return rc;
}

/* The edit page of reply @id with @form and @errors (borrowed). */
static int
edit_page(http_req_t *req, int status, long long id, json_t *form, json_t *errors)
{
	json_t *ctx = json_pack("{s:I, s:O, s:O, s:b, s:s}", "id", (json_int_t)id, "form", form,
	    "errors", errors, "has_errors", json_object_size(errors) > 0,
	    "action", arena_printf(req->arena, "/crm/replies/%lld", id));
	int rc;

	json_object_set_new(ctx, "limits", json_pack("{s:i, s:i, s:i}", "shortcut",
	    CRM_REPLY_SHORTCUT_MAX, "title", CRM_REPLY_TITLE_MAX, "body", CRM_REPLY_BODY_MAX));
	app_page(ctx, i18n_str(app_lang(req), N_("Edit saved reply")), NULL, "/crm/replies", NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "crm/reply_edit", ctx);
	json_decref(ctx);
	return rc;
}

static int
replies_get(http_req_t *req)
{
	return list_page(req, 200, NULL, NULL);
}

/* Create (@id 0) or update reply @id from the form: 303 to the list, or the form again. */
static int
save(http_req_t *req, long long id)
{
	json_t *form = form_read(req), *errors = json_object();
	int rc, taken = 0, full = 0, status = 0;

	if (form_check(req, form, errors))
		status = 422;
	else {
		rc = crm_db_reply_save(APP(req)->db, req->user_id, id,
		    json_string_value(json_object_get(form, "shortcut")),
		    json_string_value(json_object_get(form, "title")),
		    json_string_value(json_object_get(form, "body")), &taken, &full);
		if (rc != DB_OK) {
			json_decref(form);
			json_decref(errors);
			return app_db_status(req, rc);
		}
		if (taken) {
			app_form_error(errors, "shortcut", "taken");
			status = 409;
		} else if (full) {
			app_form_error(errors, "form", "full");
			status = 422;
		}
	}
	if (status != 0)
		rc = id > 0 ? edit_page(req, status, id, form, errors) :
		    list_page(req, status, form, errors);
	else {
		http_redirect(req, 303, "/crm/replies");
		rc = req->status;
	}
	json_decref(form);
	json_decref(errors);
	return rc;
}

static int
replies_post(http_req_t *req)
{
	return save(req, 0);
}

static int
reply_edit_get(http_req_t *req)
{
	json_t *r = NULL, *errors;
	int rc;

	if ((rc = crm_db_reply(APP(req)->db, req->user_id, req->match.ints[0], &r)) == DB_ENOROW)
		return app_error(req, 404, N_("There is no such saved reply."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	errors = json_object();
	rc = edit_page(req, 200, req->match.ints[0], r, errors);
	json_decref(r);
	json_decref(errors);
	return rc;
}

static int
reply_update_post(http_req_t *req)
{
	json_t *r = NULL;
	int rc;

	if ((rc = crm_db_reply(APP(req)->db, req->user_id, req->match.ints[0], &r)) == DB_ENOROW)
		return app_error(req, 404, N_("There is no such saved reply."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	json_decref(r);
	return save(req, req->match.ints[0]);
}

static int
reply_delete_post(http_req_t *req)
{
	int rc = crm_db_reply_delete(APP(req)->db, req->user_id, req->match.ints[0]);

	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such saved reply."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_redirect(req, 303, "/crm/replies");
	return req->status;
}

/* GET /crm/replies/{id}/render?conversation=ID: the rendered text, text/plain. */
static int
reply_render_get(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *c = kv_get(&req->query_params, "conversation");
	long long conv_id = c != NULL ? app_form_int(c, 1, LLONG_MAX - 1) : LLONG_MIN;
	json_t *r = NULL, *vars = NULL;
	char err[TMPL_ERRLEN];
	int rc;

	if (conv_id == LLONG_MIN)
		return app_error(req, 404, N_("There is no such conversation."));
	if ((rc = crm_db_reply(db, req->user_id, req->match.ints[0], &r)) == DB_ENOROW)
		return app_error(req, 404, N_("There is no such saved reply."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if ((rc = crm_db_reply_vars(db, conv_id, req->user_id, &vars)) != DB_OK) {
		json_decref(r);
		return rc == DB_ENOROW ? app_error(req, 404, N_("There is no such conversation.")) :
		    app_db_status(req, rc);
	}
	buf_truncate(&req->body, 0);
	rc = crm_reply_render(json_string_value(json_object_get(r, "body")), vars, &req->body, err,
	    sizeof(err));
	json_decref(r);
	json_decref(vars);
	if (rc != 0) {
		log_warn("request_id=%s saved reply %lld: %s", req->request_id, req->match.ints[0],
		    err);
		return app_error(req, 422, N_("This saved reply is not a valid template. Edit it "
		    "and try again."));
	}
	req->content_type_out = "text/plain; charset=utf-8";
	http_no_store(req);
	req->status = 200;
	return req->status;
}

/*
 * POST /inbox/{id}/replies/insert - the composer's Insert button without
 * JavaScript: the composer's text (body) with saved reply crm_reply added
 * after a blank line, kept as the seller's draft of this conversation in
 * Redis (crm_draft_key, CRM_DRAFT_TTL seconds), then 303 to the thread,
 * whose composer shows it (crm_thread_context, ?draft=1).  Files chosen
 * in the composer are not kept.
 */
static int
reply_insert_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	long long conv_id = req->match.ints[0], reply_id;
	const char *body = http_form(req, "body"), *key, *argv[5];
	json_t *r = NULL, *vars = NULL;
	char err[TMPL_ERRLEN], ttl[16];
	redisReply *rr;
	buf_t out;
	int rc;

	if ((rc = crm_db_reply_vars(db, conv_id, req->user_id, &vars)) != DB_OK)
		return rc == DB_ENOROW ? app_error(req, 404, N_("There is no such conversation.")) :
		    app_db_status(req, rc);
	reply_id = app_form_int(http_form(req, "crm_reply"), 1, LLONG_MAX - 1);
	if (reply_id == LLONG_MIN ||
	    (rc = crm_db_reply(db, req->user_id, reply_id, &r)) == DB_ENOROW) {
		json_decref(vars);
		return app_error(req, 404, N_("There is no such saved reply."));
	}
	if (rc != DB_OK) {
		json_decref(vars);
		return app_db_status(req, rc);
	}
	buf_init(&out, req->arena);
	if (!utf8_blank(body)) {
		buf_puts(&out, body);
		buf_puts(&out, "\n\n");
	}
	rc = crm_reply_render(json_string_value(json_object_get(r, "body")), vars, &out, err,
	    sizeof(err));
	json_decref(r);
	json_decref(vars);
	if (rc != 0)
		return app_error(req, 422, N_("This saved reply is not a valid template. Edit it "
		    "and try again."));
	key = crm_draft_key(req->arena, req->user_id, conv_id);
	snprintf(ttl, sizeof(ttl), "%d", CRM_DRAFT_TTL);
	argv[0] = "SET"; argv[1] = key; argv[2] = buf_cstr(&out); argv[3] = "EX"; argv[4] = ttl;
	if ((rr = kv_command(APP(req)->kv, 5, argv, NULL)) == NULL || rr->type == REDIS_REPLY_ERROR) {
		if (rr != NULL)
			freeReplyObject(rr);
		return app_error(req, 503, NULL);
	}
	freeReplyObject(rr);
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld?draft=1#composer", conv_id));
	return req->status;
}

/* ==== routes (saved replies and custom offers; offers.c adds its handlers) ==== */

const route_t crm_tools_routes[] = {
	{ "GET", "/crm/replies", replies_get, ROLE_SELLER, "crm.replies" },
	{ "POST", "/crm/replies", replies_post, ROLE_SELLER, "crm.replies.create" },
	{ "GET", "/crm/replies/{id:int}/edit", reply_edit_get, ROLE_SELLER, "crm.replies.edit" },
	{ "GET", "/crm/replies/{id:int}/render", reply_render_get, ROLE_SELLER,
	    "crm.replies.render" },
	{ "POST", "/crm/replies/{id:int}", reply_update_post, ROLE_SELLER, "crm.replies.update" },
	{ "POST", "/crm/replies/{id:int}/delete", reply_delete_post, ROLE_SELLER,
	    "crm.replies.delete" },
	{ "POST", "/inbox/{id:int}/replies/insert", reply_insert_post, ROLE_SELLER,
	    "crm.replies.insert" },
	{ "GET", "/inbox/{id:int}/offers/new", crm_offer_new_get, ROLE_SELLER, "crm.offers.new" },
	{ "POST", "/inbox/{id:int}/offers/new", crm_offer_new_post, ROLE_SELLER,
	    "crm.offers.create" },
	{ "POST", "/offers/{id:int}/withdraw", crm_offer_withdraw_post, ROLE_SELLER,
	    "crm.offers.withdraw" },
	{ "POST", "/offers/{id:int}/accept", crm_offer_accept_post, ROLE_BUYER,
	    "crm.offers.accept" },
	{ "GET", "/offers/{id:int}/card", crm_offer_card_get, ROLE_BUYER, "crm.offers.card" },
	{ "GET", "/inbox/{id:int}/messages/{mid:int}/offer", crm_offer_message_card_get, ROLE_BUYER,
	    "crm.offers.message_card" },
};
const size_t crm_tools_nroutes = sizeof(crm_tools_routes) / sizeof(crm_tools_routes[0]);
