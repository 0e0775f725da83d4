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
#include <time.h>

#include <hiredis/hiredis.h>

#include "core/log.h"
#include "core/utf8.h"
#include "crm/tools.h"
#include "events/events.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "http/multipart.h"
#include "http/parse.h"
#include "kv/ratelimit.h"
#include "media/media.h"
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
	if (search != NULL && !utf8_blank(search))
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

/*
 * Open (or find) the caller's conversation with seller @handle and go
 * there.  An optional gig id (query or form field "gig", from the gig
 * page's "Contact seller") becomes the lead's source gig when it is an
 * active gig of that seller; anything else in it is ignored.
 */
static int
contact(http_req_t *req, const char *handle)
{
	db_t *db = APP(req)->db;
	struct ratelimit_result rl;
	const char *gs = kv_get(&req->query_params, "gig");
	long long seller_id = 0, id = 0, gig = 0;
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
	if (gs == NULL || gs[0] == '\0')
		gs = http_form(req, "gig");
	if (gs != NULL && gs[0] != '\0' && (gig = app_form_int(gs, 1, LLONG_MAX)) == LLONG_MIN)
		gig = 0;	/* not a gig id: ignored */
	if ((rc = messages_db_find(db, req->user_id, seller_id, &id)) == DB_OK) {
		/* an existing conversation: it may get its source gig now */
		if (gig > 0 && ((rc = db_begin(db)) != DB_OK ||
		    (rc = messages_db_open(db, req->user_id, seller_id, gig, &id)) != DB_OK ||
		    (rc = db_commit(db)) != DB_OK)) {
			(void)db_rollback(db);
			return app_db_status(req, rc);
		}
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
	if ((rc = messages_db_open(db, req->user_id, seller_id, gig, &id)) != DB_OK ||
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

/* The user's message for error code @code (the template says the same). */
static const char *
error_text(const char *code)
{
	static const struct {
		const char *code, *text;
	} t[] = {
		{ "empty", N_("Write a message first.") },
		{ "too_long", N_("The message is too long: at most 5000 characters.") },
		{ "blocked", N_("Messages cannot be sent: one of you has blocked the other.") },
		{ "rate", N_("You are sending messages too fast. Wait a minute and send it again.") },
		{ "not_found", N_("That message does not exist in this conversation.") },
		{ "too_many_files", N_("Attach at most 5 files to one message.") },
		{ "too_late", N_("Messages can only be edited within 5 minutes of sending.") },
		{ "deleted", N_("This message was deleted.") },
		{ "not_yours", N_("You can only change your own messages.") },
		{ "not_editable", N_("This kind of message cannot be changed.") },
		{ "reason", N_("Choose a reason for the report.") },
		{ "details_long", N_("The details are too long: at most 2000 characters.") },
		{ "report_rate", N_("You have sent many reports recently. Try again later.") },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].code, code) == 0)
			return t[i].text;
	return N_("Something went wrong.");
}

/* The reasons a report may give (user_reports.reason, sql/0023), and their labels. */
static const char *const report_reasons[] = {
	"spam", "scam", "off_platform", "harassment", "inappropriate", "other", NULL
};
static const char *const report_labels[] = {
	N_("Spam or advertising"), N_("Scam or fraud"), N_("Asks to pay or talk outside Souk"),
	N_("Harassment or threats"), N_("Inappropriate content"), N_("Something else"), NULL
};

/*
 * What a thread page shows besides the messages: the form values and
 * error to keep after a failed post.
 */
struct thread_view {
	int status;
	const char *body;		/* the composer's text */
	long long reply_to;		/* the quoted message (0 = none) */
	const char *error;		/* an error_text() code for the composer, or NULL */
	const char *file_error;		/* a media error (translated), or NULL */
	long long edit_id;		/* the message whose edit form is open (0 = none) */
	const char *edit_body;		/* its text (NULL = the stored one) */
	const char *edit_error;		/* an error code for the edit form, or NULL */
	const char *report_reason;	/* the report form's values and error */
	const char *report_details;
	const char *report_error;
	long long before;		/* ?before= */
};

/* Whether message @m (messages_db_message or a thread row) is of kind @kind. */
static int
kind_is(json_t *m, const char *kind)
{
	const char *k = json_string_value(json_object_get(m, "kind"));

	return k != NULL && strcmp(k, kind) == 0;
}

/* "12.3 KB" for @n bytes, in the arena. */
static const char *
size_text(http_req_t *req, long long n)
{
	if (n < 1024)
		return arena_printf(req->arena, "%lld B", n);
	if (n < 1024 * 1024)
		return arena_printf(req->arena, "%.1f KB", (double)n / 1024.0);
	return arena_printf(req->arena, "%.1f MB", (double)n / (1024.0 * 1024.0));
}

/* Add body_html and the attachments' size_text to message @m (a thread row). */
static void
decorate(http_req_t *req, json_t *m)
{
	json_t *a;
	size_t j;

	json_object_set_new(m, "body_html", json_string(json_is_true(json_object_get(m,
	    "deleted")) ? "" : body_html(req, json_string_value(json_object_get(m, "body")))));
	json_array_foreach(json_object_get(m, "attachments"), j, a)
		json_object_set_new(a, "size_text", json_string(size_text(req,
		    json_integer_value(json_object_get(a, "size")))));
	json_object_set_new(m, "has_attachments", json_boolean(json_array_size(json_object_get(m,
	    "attachments")) > 0));
	json_object_set_new(m, "offer", json_null());
}

/* ctx.presence {online, last_seen} of user @other from Redis (presence:u:, lastseen:u:). */
static json_t *
presence(http_req_t *req, long long other)
{
	char k1[48], k2[48];
	const char *argv[3] = { "MGET", k1, k2 };
	redisReply *r;
	json_t *out = json_object();

	snprintf(k1, sizeof(k1), "presence:u:%lld", other);
	snprintf(k2, sizeof(k2), "lastseen:u:%lld", other);
	if ((r = kv_command(APP(req)->kv, 3, argv, NULL)) == NULL)
		return out;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		if (r->element[0]->type == REDIS_REPLY_STRING)
			json_object_set_new(out, "online", json_true());
		else if (r->element[1]->type == REDIS_REPLY_STRING) {
			time_t t = (time_t)strtoll(r->element[1]->str, NULL, 10);
			struct tm tm;
			char when[32];

			if (t > 0 && gmtime_r(&t, &tm) != NULL &&
			    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) > 0)
				json_object_set_new(out, "last_seen", json_string(when));
		}
	}
	freeReplyObject(r);
	return out;
}

/*
 * Render conversation @conv (borrowed) as @v says: the messages (the
 * latest MESSAGES_THREAD_MAX, or those before v->before), the quoted
 * message, the forms with their kept values and errors.
 */
static int
show_thread(http_req_t *req, json_t *conv, const struct thread_view *v)
{
	db_t *db = APP(req)->db;
	long long id = json_integer_value(json_object_get(conv, "id"));
	long long other = json_integer_value(json_object_get(conv, "other_id"));
	json_t *ctx, *th = NULL, *msgs, *m, *errors, *orders = NULL, *reasons, *rep = NULL;
	char scope[EVENTS_SCOPE_MAX];
	size_t i;
	int rc;

	if ((rc = messages_db_thread(db, id, req->user_id, v->before, MESSAGES_THREAD_MAX,
	    &th)) != DB_OK)
		return app_db_status(req, rc);
	msgs = json_object_get(th, "messages");
	json_array_foreach(msgs, i, m) {
		long long mid = json_integer_value(json_object_get(m, "id"));
		int mine = json_is_true(json_object_get(m, "mine"));
		int deleted = json_is_true(json_object_get(m, "deleted"));

		decorate(req, m);
		json_object_set_new(m, "editable", json_boolean(mine && !deleted &&
		    json_is_true(json_object_get(m, "editable_now"))));
		json_object_set_new(m, "deletable", json_boolean(mine && !deleted &&
		    (kind_is(m, "user") || kind_is(m, "auto"))));
		if (mid == v->edit_id && mine && !deleted) {
			json_t *e = json_pack("{s:s}", "body", v->edit_body != NULL ? v->edit_body :
			    json_string_value(json_object_get(m, "body")));

			if (v->edit_error != NULL) {
				json_object_set_new(e, "error", json_string(i18n_str(app_lang(req),
				    error_text(v->edit_error))));
				json_object_set_new(e, "error_code", json_string(v->edit_error));
			}
			json_object_set_new(m, "editing", e);
		}
	}
	if (v->reply_to > 0 && (rc = messages_message_json(db, id, v->reply_to, req->user_id,
	    &rep)) == DB_OK) {
		const char *b = json_string_value(json_object_get(rep, "body"));

		json_object_set_new(rep, "snippet", json_string(b != NULL && strlen(b) > 140 ?
		    arena_printf(req->arena, "%.140s…", b) : (b != NULL ? b : "")));
	}
	if (v->reply_to > 0 && rep == NULL && rc != DB_ENOROW) {
		json_decref(th);
		return app_db_status(req, rc);
	}
	if ((rc = messages_db_orders_between(db, req->user_id, other, &orders)) != DB_OK) {
		json_decref(th);
		json_decref(rep);
		return app_db_status(req, rc);
	}
	errors = json_object();
	if (v->error != NULL)
		json_object_set_new(errors, v->error, json_true());
	reasons = json_array();
	for (i = 0; report_reasons[i] != NULL; i++)
		json_array_append_new(reasons, json_pack("{s:s, s:s, s:b}", "value",
		    report_reasons[i], "label", i18n_str(app_lang(req), report_labels[i]),
		    "selected", v->report_reason != NULL && strcmp(v->report_reason,
		    report_reasons[i]) == 0));
	if (events_scope_token(APP(req)->secret, req->user_id, id, other, (long long)time(NULL) +
	    3600, scope, sizeof(scope)) != 0)
		scope[0] = '\0';
	ctx = json_pack("{s:O, s:O, s:b, s:{s:s, s:I}, s:o, s:b, s:i, s:o, s:b, s:s, s:o}",
	    "conversation", conv, "messages", msgs, "has_messages", json_array_size(msgs) > 0,
	    "form", "body", v->body != NULL ? v->body : "", "reply_to", (json_int_t)v->reply_to,
	    "errors", errors, "has_errors", v->error != NULL || v->file_error != NULL,
	    "body_max", MESSAGES_BODY_MAX, "orders", orders, "has_orders",
	    json_array_size(orders) > 0, "events_url", arena_printf(req->arena,
	    "/events?conversation=%lld&scope=%s", id, scope), "presence", presence(req, other));
	json_object_set_new(ctx, "me", json_integer(req->user_id));
	if (v->file_error != NULL)
		json_object_set_new(ctx, "file_error", json_string(v->file_error));
	if (rep != NULL)
		json_object_set_new(ctx, "reply", rep);
	if (json_is_true(json_object_get(th, "earlier")))
		json_object_set_new(ctx, "earlier_url", json_string(arena_printf(req->arena,
		    "/inbox/%lld?before=%lld", id,
		    (long long)json_integer_value(json_object_get(th, "oldest")))));
	if (v->before > 0)
		json_object_set_new(ctx, "latest_url", json_string(arena_printf(req->arena,
		    "/inbox/%lld", id)));
	json_object_set_new(ctx, "report", json_pack("{s:o, s:s, s:b}", "reasons", reasons,
	    "details", v->report_details != NULL ? v->report_details : "",
	    "open", v->report_error != NULL));
	if (v->report_error != NULL)
		json_object_set_new(json_object_get(ctx, "report"), "error",
		    json_string(i18n_str(app_lang(req), error_text(v->report_error))));
	if (kv_get(&req->query_params, "reported") != NULL)
		json_object_set_new(ctx, "reported", json_true());
	json_decref(th);
	if (crm_thread_context(req, conv, ctx) != DB_OK)	/* CRM tools, offer cards (issue 7) */
		log_warn("request_id=%s thread %lld: CRM tools not shown", req->request_id, id);
	app_page(ctx, i18n_str(app_lang(req), N_("Conversation")), NULL,
	    arena_printf(req->arena, "/inbox/%lld", id), NULL);
	http_no_store(req);
	req->status = v->status;
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
		*rc = app_wants_json(req) ? app_json(req, 404, json_pack("{s:s, s:s}", "error",
		    "not_found", "message", i18n_str(app_lang(req),
		    N_("There is no such conversation.")))) :
		    app_error(req, 404, N_("There is no such conversation."));
	else if (r != DB_OK)
		*rc = app_db_status(req, r);
	return r == DB_OK ? conv : NULL;
}

/* A message id from a query or form value: 0 when empty, -1 when malformed. */
static long long
id_value(const char *s)
{
	long long v;

	if (s == NULL || s[0] == '\0')
		return 0;
	v = app_form_int(s, 1, LLONG_MAX);
	return v == LLONG_MIN ? -1 : v;
}

/* Publish conversation.read for @last_read to both participants of @conv. */
static void
publish_read(http_req_t *req, json_t *conv, long long last_read)
{
	long long ids[2] = { req->user_id, json_integer_value(json_object_get(conv, "other_id")) };
	json_t *data = json_pack("{s:I, s:I, s:I}", "conversation_id",
	    (json_int_t)json_integer_value(json_object_get(conv, "id")), "reader_id",
	    (json_int_t)req->user_id, "last_read_message_id", (json_int_t)last_read);

	if (data == NULL || events_publish(APP(req)->kv, ids, 2, "conversation.read", data) != 0)
		log_warn("request_id=%s conversation.read not published", req->request_id);
	json_decref(data);
}

/* Publish @type with @data (stolen) to both participants of @conv. */
static void
publish_both(http_req_t *req, json_t *conv, const char *type, json_t *data)
{
	long long ids[2] = { req->user_id, json_integer_value(json_object_get(conv, "other_id")) };

	if (data == NULL || events_publish(APP(req)->kv, ids, 2, type, data) != 0)
		log_warn("request_id=%s %s not published", req->request_id, type);
	json_decref(data);
}

static int
thread_get(http_req_t *req)
{
	struct thread_view v = { .status = 200, .body = "" };
	long long last = 0;
	json_t *conv;
	int rc;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	v.before = id_value(kv_get(&req->query_params, "before"));
	v.reply_to = id_value(kv_get(&req->query_params, "reply_to"));
	v.edit_id = id_value(kv_get(&req->query_params, "edit"));
	if (v.before < 0 || v.reply_to < 0 || v.edit_id < 0) {
		json_decref(conv);
		return app_error(req, 404, N_("That message does not exist in this conversation."));
	}
	if (v.reply_to > 0) {
		json_t *m = NULL;

		rc = messages_db_message(APP(req)->db, req->match.ints[0], v.reply_to, &m);
		json_decref(m);
		if (rc != DB_OK) {
			json_decref(conv);
			return rc == DB_ENOROW ? app_error(req, 404,
			    N_("That message does not exist in this conversation.")) :
			    app_db_status(req, rc);
		}
	}
	rc = messages_db_mark_read(APP(req)->db, req->match.ints[0], req->user_id, 0, &last);
	if (rc == DB_OK)
		publish_read(req, conv, last);
	else if (rc != DB_ENOROW) {
		json_decref(conv);
		return app_db_status(req, rc);
	}
	rc = show_thread(req, conv, &v);
	json_decref(conv);
	return rc;
}

/* A composer error: JSON {error, message} or the thread again with @v's values. */
static int
post_error(http_req_t *req, json_t *conv, int status, const char *code, struct thread_view *v)
{
	if (app_wants_json(req))
		return app_json(req, status, json_pack("{s:s, s:s}", "error", code, "message",
		    v->file_error != NULL ? v->file_error : i18n_str(app_lang(req),
		    error_text(code))));
	v->status = status;
	if (v->error == NULL && v->file_error == NULL)
		v->error = code;
	return show_thread(req, conv, v);
}

/* Whether conversation @conv is blocked either way. */
static int
blocked(json_t *conv)
{
	return json_is_true(json_object_get(conv, "blocked_by_me")) ||
	    json_is_true(json_object_get(conv, "blocked_by_other"));
}

/* How many non-empty uploads the field "files" has. */
static size_t
count_files(http_req_t *req)
{
	size_t n = 0;

	for (size_t i = 0; i < req->nuploads; i++)
		if (req->uploads[i].path != NULL && req->uploads[i].field != NULL &&
		    strcmp(req->uploads[i].field, "files") == 0 && req->uploads[i].size > 0)
			n++;
	return n;
}

static int
message_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *body = http_form(req, "body"), *err = NULL;
	struct thread_view v = { .status = 200, .body = body };
	struct ratelimit_result rl;
	const char *keys[MESSAGES_FILES_MAX];
	long long msg_id = 0;
	size_t nfiles = count_files(req), nkeys = 0;
	char at[32], key[64];
	json_t *conv;
	int rc, mrc;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	v.reply_to = id_value(http_form(req, "reply_to"));
	if (v.reply_to < 0) {
		v.reply_to = 0;
		rc = post_error(req, conv, 404, "not_found", &v);
		goto out;
	}
	if (blocked(conv)) {
		rc = post_error(req, conv, 403, "blocked", &v);
		goto out;
	}
	if (utf8_blank(body) && nfiles == 0) {
		rc = post_error(req, conv, 422, "empty", &v);
		goto out;
	}
	if (utf8_chars(body) > MESSAGES_BODY_MAX) {
		rc = post_error(req, conv, 413, "too_long", &v);
		goto out;
	}
	if (nfiles > MESSAGES_FILES_MAX) {
		rc = post_error(req, conv, 413, "too_many_files", &v);
		goto out;
	}
	snprintf(key, sizeof(key), "msg:user:%lld", req->user_id);
	if (ratelimit_hit(APP(req)->kv, key, MESSAGES_RATE_LIMIT, MESSAGES_RATE_WINDOW, 1, &rl) != 0
	    || !rl.allowed) {
		http_header(req, "Retry-After", arena_printf(req->arena, "%ld",
		    rl.retry_after > 0 ? rl.retry_after : 5L));
		rc = post_error(req, conv, 429, "rate", &v);
		goto out;
	}
	messages_warn_init(APP(req)->cfg.message_warn_patterns);
	if ((rc = db_begin(db)) != DB_OK) {
		rc = app_db_status(req, rc);
		goto out;
	}
	rc = messages_db_insert_ex(db, req->match.ints[0], req->user_id, utf8_blank(body) ? "" : body,
	    "user", v.reply_to, &msg_id, at);
	if (rc == DB_ENOROW) {
		(void)db_rollback(db);
		rc = post_error(req, conv, 404, "not_found", &v);
		goto out;
	}
	for (size_t i = 0; rc == DB_OK && i < req->nuploads; i++) {
		struct upload *up = &req->uploads[i];
		long long mid = 0;
		const char *k = NULL;

		if (up->path == NULL || up->field == NULL || strcmp(up->field, "files") != 0 ||
		    up->size == 0)
			continue;
		if ((long long)up->size > MESSAGES_FILE_MAX_BYTES) {
			mrc = MEDIA_ETOOBIG;
			err = N_("A file is too large: at most 10 MB each.");
		} else
			mrc = media_accept(req, up->path, up->filename,
			    MEDIA_IMAGE | MEDIA_VIDEO | MEDIA_PDF, MEDIA_PRIVATE, &mid, &k, &err);
		if (mrc != MEDIA_OK) {
			(void)db_rollback(db);
			for (size_t j = 0; j < nkeys; j++)
				media_discard(keys[j]);
			if (mrc != MEDIA_ETYPE && mrc != MEDIA_ETOOBIG && mrc != MEDIA_EEMPTY) {
				rc = app_error(req, mrc == MEDIA_EDB ? 503 : 500, NULL);
				goto out;
			}
			v.file_error = i18n_str(app_lang(req), err != NULL ? err :
			    N_("This file cannot be used."));
			rc = post_error(req, conv, mrc == MEDIA_ETOOBIG ? 413 : 422, "file", &v);
			goto out;
		}
		up->path = NULL;
		keys[nkeys++] = k;
		rc = messages_db_attach(db, msg_id, mid, (int)nkeys);
	}
	if (rc != DB_OK || (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		for (size_t j = 0; j < nkeys; j++)
			media_discard(keys[j]);
		rc = app_db_status(req, rc);
		goto out;
	}
	(void)messages_publish_new(APP(req)->kv, db, req->match.ints[0], msg_id);
	if (app_wants_json(req)) {
		json_t *m = NULL;

		if (messages_message_json(db, req->match.ints[0], msg_id, req->user_id, &m) != DB_OK)
			m = json_pack("{s:I}", "message_id", (json_int_t)msg_id);
		rc = app_json(req, 201, json_pack("{s:o}", "message", m));
		goto out;
	}
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld#m%lld", req->match.ints[0],
	    msg_id));
	rc = req->status;
out:
	json_decref(conv);
	return rc;
}

/*
 * The message {mid} of the route's conversation, checked to be the
 * caller's and not deleted; NULL after answering (404, 403, 409) in @rc.
 * @v: the thread view to show an error with.
 */
static json_t *
own_message(http_req_t *req, json_t *conv, struct thread_view *v, int *rc)
{
	json_t *m = NULL;
	int r = messages_db_message(APP(req)->db, req->match.ints[0], req->match.ints[1], &m);
	const char *code = NULL;
	int status = 0;

	if (r != DB_OK && r != DB_ENOROW) {
		*rc = app_db_status(req, r);
		return NULL;
	}
	if (r == DB_ENOROW) {
		code = "not_found";
		status = 404;
	} else if (json_integer_value(json_object_get(m, "sender_id")) != req->user_id) {
		code = "not_yours";
		status = 403;
	} else if (json_is_true(json_object_get(m, "deleted"))) {
		code = "deleted";
		status = 409;
	}
	if (code == NULL)
		return m;
	json_decref(m);
	if (app_wants_json(req))
		*rc = app_json(req, status, json_pack("{s:s, s:s}", "error", code, "message",
		    i18n_str(app_lang(req), error_text(code))));
	else if (status == 409) {
		v->status = 409;
		v->error = code;
		*rc = show_thread(req, conv, v);
	} else
		*rc = app_error(req, status, error_text(code));
	return NULL;
}

/* POST /inbox/{id}/messages/{mid}/edit: body */
static int
edit_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *body = http_form(req, "body"), *code = NULL;
	struct thread_view v = { .status = 200, .body = "" };
	json_t *conv, *m = NULL, *data = NULL;
	int rc, status = 0, warn;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	v.edit_id = req->match.ints[1];
	v.edit_body = body;
	if ((m = own_message(req, conv, &v, &rc)) == NULL)
		goto out;
	if (blocked(conv)) {
		code = "blocked";
		status = 403;
	} else if (!kind_is(m, "user")) {
		code = "not_editable";
		status = 409;
	} else if (json_integer_value(json_object_get(m, "age")) >= MESSAGES_EDIT_WINDOW) {
		code = "too_late";
		status = 409;
	} else if (utf8_blank(body)) {
		code = "empty";
		status = 422;
	} else if (utf8_chars(body) > MESSAGES_BODY_MAX) {
		code = "too_long";
		status = 413;
	}
	messages_warn_init(APP(req)->cfg.message_warn_patterns);
	warn = messages_warn_match(body);
	if (code == NULL) {
		rc = messages_db_edit(db, req->match.ints[0], req->match.ints[1], req->user_id, body,
		    warn, MESSAGES_EDIT_WINDOW);
		if (rc == DB_ENOROW) {
			code = "too_late";
			status = 409;
		} else if (rc != DB_OK) {
			rc = app_db_status(req, rc);
			goto out;
		}
	}
	if (code != NULL) {
		if (app_wants_json(req))
			rc = app_json(req, status, json_pack("{s:s, s:s}", "error", code, "message",
			    i18n_str(app_lang(req), error_text(code))));
		else {
			v.status = status;
			v.edit_error = code;
			rc = show_thread(req, conv, &v);
		}
		goto out;
	}
	json_decref(m);
	m = NULL;
	if (messages_message_json(db, req->match.ints[0], req->match.ints[1], req->user_id, &m) ==
	    DB_OK) {
		data = json_pack("{s:I, s:I, s:O, s:O, s:O}", "conversation_id",
		    (json_int_t)req->match.ints[0], "message_id", (json_int_t)req->match.ints[1],
		    "body_html", json_object_get(m, "body_html"), "warn", json_object_get(m, "warn"),
		    "edited_at", json_object_get(m, "edited_at"));
		publish_both(req, conv, "message.edited", data);
	}
	if (app_wants_json(req)) {
		rc = app_json(req, 200, json_pack("{s:O}", "message", m != NULL ? m : json_null()));
		goto out;
	}
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld#m%lld", req->match.ints[0],
	    req->match.ints[1]));
	rc = req->status;
out:
	json_decref(m);
	json_decref(conv);
	return rc;
}

/* POST /inbox/{id}/messages/{mid}/delete */
static int
delete_post(http_req_t *req)
{
	struct thread_view v = { .status = 200, .body = "" };
	json_t *conv, *m;
	int rc;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	if ((m = own_message(req, conv, &v, &rc)) == NULL)
		goto out;
	if (!kind_is(m, "user") && !kind_is(m, "auto")) {
		json_decref(m);
		if (app_wants_json(req))
			rc = app_json(req, 409, json_pack("{s:s, s:s}", "error", "not_editable",
			    "message", i18n_str(app_lang(req), error_text("not_editable"))));
		else {
			v.status = 409;
			v.error = "not_editable";
			rc = show_thread(req, conv, &v);
		}
		goto out;
	}
	json_decref(m);
	rc = messages_db_delete(APP(req)->db, req->match.ints[0], req->match.ints[1],
	    req->user_id);
	if (rc != DB_OK && rc != DB_ENOROW) {
		rc = app_db_status(req, rc);
		goto out;
	}
	if (rc == DB_OK)
		publish_both(req, conv, "message.deleted", json_pack("{s:I, s:I}",
		    "conversation_id", (json_int_t)req->match.ints[0], "message_id",
		    (json_int_t)req->match.ints[1]));
	if (app_wants_json(req)) {
		rc = app_json(req, 204, NULL);
		goto out;
	}
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld#m%lld", req->match.ints[0],
	    req->match.ints[1]));
	rc = req->status;
out:
	json_decref(conv);
	return rc;
}

/* GET /inbox/{id}/files/{mid}: an attachment, to the participants (and staff) only. */
static int
file_get(http_req_t *req)
{
	int staff = req->role >= ROLE_SUPPORT;
	int rc = messages_db_file_allowed(APP(req)->db, req->match.ints[0], req->match.ints[1],
	    req->user_id, staff);

	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such file."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_no_store(req);
	if ((rc = media_private_redirect(req, req->match.ints[1])) != 0)
		return app_error(req, rc, NULL);
	return req->status;
}

/* POST /inbox/{id}/typing: the ephemeral "typing" event, at most one per 3 s per user. */
static int
typing_post(http_req_t *req)
{
	char key[80], ttl[16], ch[48];
	const char *argv[6] = { "SET", key, "1", "NX", "EX", ttl };
	redisReply *r;
	json_t *conv;
	int rc, go = 0;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	snprintf(key, sizeof(key), "typing:%lld:%lld", req->match.ints[0], req->user_id);
	snprintf(ttl, sizeof(ttl), "%d", MESSAGES_TYPING_EVERY);
	if ((r = kv_command(APP(req)->kv, 6, argv, NULL)) != NULL) {
		go = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
	}
	if (go && !blocked(conv)) {
		json_t *data = json_pack("{s:I, s:I, s:s}", "conversation_id",
		    (json_int_t)req->match.ints[0], "user_id", (json_int_t)req->user_id, "handle",
		    req->session->handle);

		snprintf(ch, sizeof(ch), "ev:c:%lld", req->match.ints[0]);
		if (data != NULL)
			(void)events_publish_ephemeral(APP(req)->kv, ch, "typing", data);
		json_decref(data);
	}
	json_decref(conv);
	return app_json(req, 204, NULL);
}

/* POST /inbox/{id}/read: up_to (a message id; empty = the last one). */
static int
read_post(http_req_t *req)
{
	long long up_to = id_value(http_form(req, "up_to")), last = 0;
	json_t *conv;
	int rc;

	if (up_to < 0)
		return app_wants_json(req) ? app_json(req, 422, json_pack("{s:s, s:s}", "error",
		    "up_to", "message", i18n_str(app_lang(req), N_("That is not a message id.")))) :
		    app_error(req, 422, N_("That is not a message id."));
	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	rc = messages_db_mark_read(APP(req)->db, req->match.ints[0], req->user_id, up_to, &last);
	if (rc == DB_OK)
		publish_read(req, conv, last);
	json_decref(conv);
	if (rc != DB_OK && rc != DB_ENOROW)
		return app_db_status(req, rc);
	if (app_wants_json(req))
		return app_json(req, 204, NULL);
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld", req->match.ints[0]));
	return req->status;
}

/* POST /inbox/{id}/report: reason, details */
static int
report_post(http_req_t *req)
{
	const char *reason = app_pick(report_reasons, http_form(req, "reason"));
	const char *details = http_form(req, "details");
	struct thread_view v = { .status = 200, .body = "" };
	struct ratelimit_result rl;
	long long report_id = 0;
	char key[64];
	json_t *conv;
	int rc;

	if ((conv = conversation_or_404(req, &rc)) == NULL)
		return rc;
	v.report_reason = http_form(req, "reason");
	v.report_details = details;
	if (reason == NULL)
		v.report_error = "reason", v.status = 422;
	else if (utf8_chars(details) > MESSAGES_REPORT_MAX)
		v.report_error = "details_long", v.status = 413;
	if (v.report_error == NULL) {
		snprintf(key, sizeof(key), "report:user:%lld", req->user_id);
		if (ratelimit_hit(APP(req)->kv, key, 10, 3600, 1, &rl) != 0 || !rl.allowed)
			v.report_error = "report_rate", v.status = 429;
	}
	if (v.report_error != NULL) {
		rc = show_thread(req, conv, &v);
		goto out;
	}
	rc = messages_db_report(APP(req)->db, req->user_id,
	    json_integer_value(json_object_get(conv, "other_id")), req->match.ints[0], reason,
	    details, &report_id);
	if (rc != DB_OK) {
		rc = app_db_status(req, rc);
		goto out;
	}
	log_info("request_id=%s report %lld filed on conversation %lld", req->request_id,
	    report_id, req->match.ints[0]);
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld?reported=1#report",
	    req->match.ints[0]));
	rc = req->status;
out:
	json_decref(conv);
	return rc;
}

/* GET /inbox/with/{handle}: the conversation with a user one shares an order with, or a seller. */
static int
with_get(http_req_t *req)
{
	db_t *db = APP(req)->db;
	const char *handle = kv_get(&req->match.params, "handle");
	long long other = 0, buyer = 0, seller = 0, id = 0;
	int rc;

	rc = messages_db_with(db, req->user_id, handle != NULL ? handle : "", &other, &buyer,
	    &seller);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no conversation to open with that user."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	if ((rc = messages_db_find(db, req->user_id, other, &id)) == DB_ENOROW) {
		if ((rc = db_begin(db)) == DB_OK &&
		    (rc = messages_db_open(db, buyer, seller, 0, &id)) == DB_OK)
			rc = db_commit(db);
		if (rc != DB_OK)
			(void)db_rollback(db);
	}
	if (rc != DB_OK)
		return app_db_status(req, rc);
	http_redirect(req, 303, arena_printf(req->arena, "/inbox/%lld", id));
	return req->status;
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
	{ "POST", "/inbox/{id:int}/messages", message_post, ROLE_BUYER, MESSAGES_POST_ROUTE },
	{ "POST", "/inbox/{id:int}/messages/{mid:int}/edit", edit_post, ROLE_BUYER,
	  "messages.edit" },
	{ "POST", "/inbox/{id:int}/messages/{mid:int}/delete", delete_post, ROLE_BUYER,
	  "messages.delete" },
	{ "GET", "/inbox/{id:int}/files/{mid:int}", file_get, ROLE_BUYER, "messages.file" },
	{ "POST", "/inbox/{id:int}/typing", typing_post, ROLE_BUYER, "messages.typing" },
	{ "POST", "/inbox/{id:int}/read", read_post, ROLE_BUYER, "messages.read" },
	{ "POST", "/inbox/{id:int}/report", report_post, ROLE_BUYER, "messages.report" },
	{ "GET", "/inbox/with/{handle:handle}", with_get, ROLE_BUYER, "messages.with" },
	{ "POST", "/inbox/{id:int}/star", star_post, ROLE_BUYER, "messages.star" },
	{ "POST", "/inbox/{id:int}/archive", archive_post, ROLE_BUYER, "messages.archive" },
	{ "POST", "/inbox/{id:int}/block", block_post, ROLE_BUYER, "messages.block" },
};
const size_t messages_nroutes = sizeof(messages_routes) / sizeof(messages_routes[0]);
