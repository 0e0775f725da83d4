/*
 * messages.c - the inbox, conversation threads and their form posts
 * (see messages.h).  Works without JavaScript: every action is a form POST
 * answered 303 back to the page it came from.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "events/events.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "http/parse.h"
#include "kv/ratelimit.h"
#include "messages/messages.h"
#include "studio/markdown.h"
#include "web/app.h"

static const char *const filters[] = { "all", "unread", "starred", "archived", NULL };

long long
messages_unread_total(db_t *db, long long user_id)
{
	long long n = 0;

	if (db == NULL || messages_db_unread_total(db, user_id, &n) != DB_OK)
		return -1;
	return n;
}

/* Unicode characters in the UTF-8 string @s (continuation bytes not counted). */
static size_t
char_count(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Whether @s holds anything but white space. */
static int
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n\f\v", *s) == NULL)
			return 0;
	return 1;
}

/* @body as safe HTML (markdown.h), copied into the request arena; "" when out of memory. */
static const char *
body_html(http_req_t *req, const char *body)
{
	char *h = markdown_to_html(body, strlen(body)), *out;

	if (h == NULL)
		return "";
	out = arena_strdup(req->arena, h);
	free(h);
	return out;
}

/* ==== the inbox ==== */

/* GET /inbox?search=: the caller's messages matching @q, page @page. */
static int
search_get(http_req_t *req, const char *q, long long page)
{
	json_t *ctx, *list = NULL;
	buf_t enc;
	int rc;

	if ((rc = messages_db_search(APP(req)->db, req->user_id, q, page, MESSAGES_INBOX_PAGE,
	    &list)) != DB_OK)
		return app_db_status(req, rc);
	buf_init(&enc, req->arena);
	url_encode(&enc, q, strlen(q));
	ctx = json_pack("{s:O, s:b, s:s, s:b, s:{s:b}}", "results", json_object_get(list, "rows"),
	    "has_results", json_array_size(json_object_get(list, "rows")) > 0, "search", q,
	    "searching", 1, "current", "all", 1);
	if (page > 1)
		json_object_set_new(ctx, "prev_url", json_string(arena_printf(req->arena,
		    "/inbox?search=%s&page=%lld", buf_cstr(&enc), page - 1)));
	if (json_is_true(json_object_get(list, "more")))
		json_object_set_new(ctx, "next_url", json_string(arena_printf(req->arena,
		    "/inbox?search=%s&page=%lld", buf_cstr(&enc), page + 1)));
	json_decref(list);
	app_page(ctx, i18n_str(app_lang(req), N_("Search messages")), NULL, "/inbox", NULL);
	rc = app_render(req, "messages/inbox", ctx);
	json_decref(ctx);
	return rc;
}

static int
inbox_get(http_req_t *req)
{
	const char *filter = app_pick(filters, kv_get(&req->query_params, "filter"));
	const char *page_s = kv_get(&req->query_params, "page");
	const char *search = kv_get(&req->query_params, "search");
	long long page = 1;
	json_t *ctx, *list = NULL, *tabs;
	int rc;

	if (filter == NULL)
		filter = "all";
	if (page_s != NULL && (page = app_form_int(page_s, 1, 100000)) == LLONG_MIN)
		page = 1;
	http_no_store(req);
	if (search != NULL && !blank(search))
		return search_get(req, search, page);
	if ((rc = messages_db_inbox(APP(req)->db, req->user_id, filter, page, MESSAGES_INBOX_PAGE,
	    &list)) != DB_OK)
		return app_db_status(req, rc);
	tabs = json_pack("{s:b}", filter, 1);
	ctx = json_pack("{s:O, s:b, s:s, s:o}", "conversations", json_object_get(list, "rows"),
	    "has_conversations", json_array_size(json_object_get(list, "rows")) > 0,
	    "filter", filter, "current", tabs);
	if (page > 1)
		json_object_set_new(ctx, "prev_url", json_string(arena_printf(req->arena,
		    "/inbox?filter=%s&page=%lld", filter, page - 1)));
	if (json_is_true(json_object_get(list, "more")))
		json_object_set_new(ctx, "next_url", json_string(arena_printf(req->arena,
		    "/inbox?filter=%s&page=%lld", filter, page + 1)));
	json_decref(list);
	app_page(ctx, i18n_str(app_lang(req), N_("Inbox")), NULL, "/inbox", NULL);
	rc = app_render(req, "messages/inbox", ctx);
	json_decref(ctx);
	return rc;
}

/* ==== opening a conversation ==== */

static int
contact(http_req_t *req, const char *handle)
{
	db_t *db = APP(req)->db;
	struct ratelimit_result rl;
	long long seller_id = 0, id = 0;
	char key[64];
	int rc;

	if (handle == NULL || handle[0] == '\0')
		return app_error(req, 404, N_("There is no seller by that name."));
	if ((rc = messages_db_seller_id(db, handle, &seller_id)) == DB_ENOROW)
		return app_error(req, 404, N_("There is no seller by that name."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if (seller_id == req->user_id)
		return app_error(req, 422, N_("You cannot start a conversation with yourself."));
	if ((rc = messages_db_find(db, req->user_id, seller_id, &id)) == DB_OK) {
		http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld", id));
		return req->status;
	}
	if (rc != DB_ENOROW)
		return app_db_status(req, rc);
	snprintf(key, sizeof(key), "msgnew:user:%lld", req->user_id);
	if (ratelimit_hit(APP(req)->kv, key, MESSAGES_NEW_LIMIT, MESSAGES_NEW_WINDOW, 1, &rl) != 0
	    || !rl.allowed) {
		http_header(req, "Retry-After", arena_printf(req->arena, "%ld",
		    rl.retry_after > 0 ? rl.retry_after : 5L));
		return app_error(req, 429, N_("You have started many conversations recently. "
		    "Try again later."));
	}
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = messages_db_open(db, req->user_id, seller_id, &id)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		return app_db_status(req, rc);
	}
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld", id));
	return req->status;
}

static int
contact_get(http_req_t *req)
{
	return contact(req, kv_get(&req->match.params, "handle"));
}

static int
messages_new(http_req_t *req)
{
	const char *h = kv_get(&req->query_params, "seller");

	if (h == NULL || h[0] == '\0')
		h = http_form(req, "seller");
	return contact(req, h);
}

/* ==== the thread ==== */

/*
 * Render conversation @conv (borrowed) with answer @status, the message
 * form holding @body and the error @error ("empty", "too_long", "blocked",
 * "rate" or NULL).
 */
static int
show_thread(http_req_t *req, int status, json_t *conv, const char *body, const char *error)
{
	long long id = json_integer_value(json_object_get(conv, "id"));
	json_t *ctx, *msgs = NULL, *m, *errors;
	size_t i;
	int rc;

	if ((rc = messages_db_thread(APP(req)->db, id, req->user_id, MESSAGES_THREAD_MAX, &msgs)) !=
	    DB_OK)
		return app_db_status(req, rc);
	json_array_foreach(msgs, i, m)
		json_object_set_new(m, "body_html", json_string(body_html(req,
		    json_string_value(json_object_get(m, "body")))));
	errors = json_object();
	if (error != NULL)
		json_object_set_new(errors, error, json_true());
	ctx = json_pack("{s:O, s:o, s:b, s:{s:s}, s:o, s:b, s:i}", "conversation", conv,
	    "messages", msgs, "has_messages", json_array_size(msgs) > 0, "form", "body", body,
	    "errors", errors, "has_errors", error != NULL, "body_max", MESSAGES_BODY_MAX);
	app_page(ctx, i18n_str(app_lang(req), N_("Conversation")), NULL,
	    arena_printf(req->arena, "/inbox/%lld", id), NULL);
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "messages/thread", ctx);
	json_decref(ctx);
	return rc;
}

/* The conversation of the route's {id} for the caller, or NULL after answering 404/5xx in @rc. */
static json_t *
conversation_or_404(http_req_t *req, int *rc)
{
	json_t *conv = NULL;
	int r = messages_db_conversation(APP(req)->db, req->match.ints[0], req->user_id, &conv);

	if (r == DB_ENOROW)
		*rc = app_error(req, 404, N_("There is no such conversation."));
	else if (r != DB_OK)
		*rc = app_db_status(req, r);
	return r == DB_OK ? conv : NULL;
}

static int
thread_get(http_req_t *req)
{
	json_t *conv;
	int rc;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	if ((rc = messages_db_mark_read(APP(req)->db, req->match.ints[0], req->user_id)) != DB_OK) {
		json_decref(conv);
		return app_db_status(req, rc);
	}
	rc = show_thread(req, 200, conv, "", NULL);
	json_decref(conv);
	return rc;
}

/* The "message" event for both participants, after the commit. */
static void
publish(http_req_t *req, json_t *conv, long long msg_id, const char *body, const char *at)
{
	long long ids[2] = { req->user_id, json_integer_value(json_object_get(conv, "other_id")) };
	json_t *data = json_pack("{s:I, s:I, s:s, s:s, s:s}",
	    "conversation_id", (json_int_t)json_integer_value(json_object_get(conv, "id")),
	    "message_id", (json_int_t)msg_id, "sender_handle", req->session->handle,
	    "body_html", body_html(req, body), "at", at);

	if (data == NULL || events_publish(APP(req)->kv, ids, 2, "message", data) != 0)
		log_warn("request_id=%s message %lld: live event not published", req->request_id,
		    msg_id);
	json_decref(data);
}

static int
message_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *body = http_form(req, "body");
	struct ratelimit_result rl;
	long long msg_id = 0;
	char at[32], key[64];
	json_t *conv;
	int rc;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	if (json_is_true(json_object_get(conv, "blocked_by_me")) ||
	    json_is_true(json_object_get(conv, "blocked_by_other"))) {
		rc = show_thread(req, 403, conv, body, "blocked");
		goto out;
	}
	if (blank(body)) {
		rc = show_thread(req, 422, conv, body, "empty");
		goto out;
	}
	if (char_count(body) > MESSAGES_BODY_MAX) {
		rc = show_thread(req, 413, conv, body, "too_long");
		goto out;
	}
	snprintf(key, sizeof(key), "msg:user:%lld", req->user_id);
	if (ratelimit_hit(APP(req)->kv, key, MESSAGES_RATE_LIMIT, MESSAGES_RATE_WINDOW, 1, &rl) != 0
	    || !rl.allowed) {
		http_header(req, "Retry-After", arena_printf(req->arena, "%ld",
		    rl.retry_after > 0 ? rl.retry_after : 5L));
		rc = show_thread(req, 429, conv, body, "rate");
		goto out;
	}
	if ((rc = db_begin(db)) != DB_OK ||
	    (rc = messages_db_insert(db, req->match.ints[0], req->user_id, body, &msg_id, at)) !=
	    DB_OK || (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		rc = app_db_status(req, rc);
		goto out;
	}
	publish(req, conv, msg_id, body, at);
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld#m%lld", req->match.ints[0],
	    msg_id));
	rc = req->status;
out:
	json_decref(conv);
	return rc;
}

/* POST /inbox/{id}/star|archive|block: toggle, then back to the thread. */
static int
toggle(http_req_t *req, const char *what)
{
	db_t *db = APP(req)->db;
	json_t *conv;
	int rc;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	if (strcmp(what, "block") == 0)
		rc = messages_db_block_toggle(db, req->user_id,
		    json_integer_value(json_object_get(conv, "other_id")));
	else
		rc = messages_db_toggle(db, req->match.ints[0], req->user_id, what);
	json_decref(conv);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld", req->match.ints[0]));
	return req->status;
}

static int star_post(http_req_t *req) { return toggle(req, "starred"); }
static int archive_post(http_req_t *req) { return toggle(req, "archived"); }
static int block_post(http_req_t *req) { return toggle(req, "block"); }

const route_t messages_routes[] = {
	{ "GET", "/inbox", inbox_get, ROLE_BUYER, "messages.inbox" },
	{ "GET", "/contact/{handle:handle}", contact_get, ROLE_BUYER, "messages.contact" },
	{ "POST", "/messages/new", messages_new, ROLE_BUYER, "messages.new" },
	{ "GET", "/inbox/{id:int}", thread_get, ROLE_BUYER, "messages.thread" },
	{ "POST", "/inbox/{id:int}/messages", message_post, ROLE_BUYER, "messages.post" },
	{ "POST", "/inbox/{id:int}/star", star_post, ROLE_BUYER, "messages.star" },
	{ "POST", "/inbox/{id:int}/archive", archive_post, ROLE_BUYER, "messages.archive" },
	{ "POST", "/inbox/{id:int}/block", block_post, ROLE_BUYER, "messages.block" },
};
const size_t messages_nroutes = sizeof(messages_routes) / sizeof(messages_routes[0]);
