/*
 * notifications.c - the notifications page, the e-mail preferences page,
 * the bell count, the "notification" job of souk-worker and the digest
 * sweep (see notifications.h).  Works without JavaScript: every action is
 * a form POST answered 303.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "events/events.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "jobs/jobs.h"
#include "kv/kv.h"
#include "notify/notifications.h"
#include "tmpl/tmpl.h"
#include "web/app.h"

static const char *const email_choices[] = { "immediate", "daily", "off", NULL };

/* The label of each type on the settings page (msgids; translated at use). */
static const struct {
	const char *type;
	const char *label;
} type_labels[] = {
	{ "message", N_("New messages (e-mailed when unread for 15 minutes)") },
	{ "order.placed", N_("New orders") },
	{ "order.requirements", N_("Requirements submitted") },
	{ "order.delivered", N_("Deliveries") },
	{ "order.revision", N_("Revision requests") },
	{ "order.completed", N_("Completed orders") },
	{ "payment.released", N_("Payments released to your balance") },
	{ "payout.sent", N_("Payouts sent") },
	{ "gig.approved", N_("Gig approved") },
	{ "gig.changes", N_("Gig needs changes") },
};

long long
notifications_unread_count(db_t *db, long long user_id)
{
	long long n = 0;

	if (db == NULL || notifications_db_unread(db, user_id, &n) != DB_OK)
		return -1;
	return n;
}

/* ==== GET /notifications ==== */

static int
list_get(http_req_t *req)
{
	const char *page_s = kv_get(&req->query_params, "page");
	long long page = 1;
	json_t *ctx, *list = NULL, *rows, *r;
	size_t i;
	int rc;

	if (page_s != NULL && (page = app_form_int(page_s, 1, 100000)) == LLONG_MIN)
		page = 1;
	http_no_store(req);
	if ((rc = notifications_db_list(APP(req)->db, req->user_id, page, NOTIFICATIONS_PAGE,
	    &list)) != DB_OK)
		return app_db_status(req, rc);
	rows = json_object_get(list, "rows");
	/* not dispatched yet (the worker renders the title): a generic one */
	json_array_foreach(rows, i, r)
		if (json_string_length(json_object_get(r, "title")) == 0)
			json_object_set_new(r, "title", json_string(i18n_str(app_lang(req),
			    N_("New notification"))));
	ctx = json_pack("{s:O, s:b, s:b}", "notifications", rows,
	    "has_notifications", json_array_size(rows) > 0,
	    "read_all", kv_get(&req->query_params, "done") != NULL);
	if (page > 1)
		json_object_set_new(ctx, "prev_url", json_string(arena_printf(req->arena,
		    "/notifications?page=%lld", page - 1)));
	if (json_is_true(json_object_get(list, "more")))
		json_object_set_new(ctx, "next_url", json_string(arena_printf(req->arena,
		    "/notifications?page=%lld", page + 1)));
	json_decref(list);
	app_page(ctx, i18n_str(app_lang(req), N_("Notifications")), NULL, "/notifications", NULL);
	rc = app_render(req, "notifications/list", ctx);
	json_decref(ctx);
	return rc;
}

/* ==== POST /notifications/read-all, /notifications/{id}/read ==== */

static int
read_all_post(http_req_t *req)
{
	int rc;

	if ((rc = notifications_db_read_all(APP(req)->db, req->user_id)) != DB_OK)
		return app_db_status(req, rc);
	http_redirect(req, 303, "/notifications?done=read");
	return req->status;
}

static int
read_post(http_req_t *req)
{
	char *url = NULL;
	const char *to;
	int rc;

	rc = notifications_db_read(APP(req)->db, req->match.ints[0], req->user_id, &url);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such notification."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	/* a path of this site only (the table's CHECK says so too) */
	to = url[0] == '/' && url[1] != '/' && url[1] != '\\' ? arena_strdup(req->arena, url) :
	    "/notifications";
	free(url);
	http_redirect(req, 303, to);
	return req->status;
}

/* ==== GET/POST /settings/notifications ==== */

static const char *
type_label(const char *type)
{
	for (size_t i = 0; i < sizeof(type_labels) / sizeof(type_labels[0]); i++)
		if (strcmp(type_labels[i].type, type) == 0)
			return type_labels[i].label;
	return type;
}

/*
 * Render the settings page with answer @status; @prefs (borrowed) as
 * notifications_db_prefs gives it, its "email" values possibly replaced by
 * what the form sent; @bad: the field names with a bad value (or NULL).
 */
static int
show_settings(http_req_t *req, int status, json_t *prefs, json_t *bad)
{
	json_t *ctx, *p;
	size_t i;
	int rc;

	json_array_foreach(prefs, i, p) {
		const char *email = json_string_value(json_object_get(p, "email"));

		json_object_set_new(p, "label", json_string(i18n_str(app_lang(req),
		    type_label(json_string_value(json_object_get(p, "type"))))));
		json_object_set_new(p, "is", json_pack("{s:b}", email != NULL &&
		    app_pick(email_choices, email) != NULL ? email : "none", 1));
		if (bad != NULL && json_object_get(bad, json_string_value(json_object_get(p,
		    "field"))) != NULL)
			json_object_set_new(p, "invalid", json_true());
	}
	ctx = json_pack("{s:O, s:b, s:b}", "prefs", prefs, "saved",
	    kv_get(&req->query_params, "saved") != NULL, "has_errors", bad != NULL);
	app_page(ctx, i18n_str(app_lang(req), N_("Notification settings")), NULL,
	    "/settings/notifications", NULL);
	http_no_store(req);
	req->status = status;
	rc = app_render(req, "notifications/settings", ctx);
	json_decref(ctx);
	return rc;
}

static int
settings_get(http_req_t *req)
{
	json_t *prefs = NULL;
	int rc;

	if ((rc = notifications_db_prefs(APP(req)->db, req->user_id, &prefs)) != DB_OK)
		return app_db_status(req, rc);
	rc = show_settings(req, 200, prefs, NULL);
	json_decref(prefs);
	return rc;
}

static int
settings_post(http_req_t *req)
{
	db_t *db = APP(req)->db;
	json_t *prefs = NULL, *p, *bad = NULL;
	size_t i;
	int rc;

	if ((rc = notifications_db_prefs(db, req->user_id, &prefs)) != DB_OK)
		return app_db_status(req, rc);
	/* a field left out keeps its value; a field with another value is refused */
	json_array_foreach(prefs, i, p) {
		const char *field = json_string_value(json_object_get(p, "field"));
		const char *v = http_form(req, field);

		if (v[0] == '\0')
			continue;
		json_object_set_new(p, "email", json_string(v));
		if (app_pick(email_choices, v) == NULL) {
			if (bad == NULL)
				bad = json_object();
			json_object_set_new(bad, field, json_true());
		}
	}
	if (bad != NULL) {
		rc = show_settings(req, 422, prefs, bad);
		goto out;
	}
	if ((rc = db_begin(db)) != DB_OK) {
		rc = app_db_status(req, rc);
		goto out;
	}
	json_array_foreach(prefs, i, p)
		if ((rc = notifications_db_set_pref(db, req->user_id,
		    json_string_value(json_object_get(p, "type")),
		    json_string_value(json_object_get(p, "email")))) != DB_OK)
			break;
	if (rc != DB_OK || (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		rc = app_db_status(req, rc);
		goto out;
	}
	http_redirect(req, 303, "/settings/notifications?saved=1");
	rc = req->status;
out:
	json_decref(bad);
	json_decref(prefs);
	return rc;
}

const route_t notifications_routes[] = {
	{ "GET", "/notifications", list_get, ROLE_BUYER, "notifications.list" },
	{ "POST", "/notifications/read-all", read_all_post, ROLE_BUYER, "notifications.read_all" },
	{ "POST", "/notifications/{id:int}/read", read_post, ROLE_BUYER, "notifications.read" },
	{ "GET", "/settings/notifications", settings_get, ROLE_BUYER, "notifications.settings" },
	{ "POST", "/settings/notifications", settings_post, ROLE_BUYER,
	    "notifications.settings_post" },
};
const size_t notifications_nroutes = sizeof(notifications_routes) /
    sizeof(notifications_routes[0]);

/* ==== the "notification" job (souk-worker) ==== */

/* souk-worker's Redis connection, opened on first use (notifications_worker_end closes it). */
static kv_conn_t *worker_kv;

void
notifications_worker_end(void)
{
	kv_free(worker_kv);
	worker_kv = NULL;
}

static kv_conn_t *
kv_of(struct worker_ctx *w)
{
	if (worker_kv == NULL && w->cfg != NULL && w->cfg->redis_url != NULL)
		worker_kv = kv_new(w->cfg->redis_url);
	return worker_kv;
}

/*
 * Whether @user_id has an open tab: the key presence:u:<id> that souk-sse
 * keeps exists.  1 yes, 0 no or unknown (Redis unreachable: push anyway).
 */
static int
has_open_tab(kv_conn_t *kv, long long user_id)
{
	char key[48];
	const char *argv[2] = { "EXISTS", key };
	redisReply *r;
	int yes;

	if (kv == NULL)
		return 0;
	snprintf(key, sizeof(key), "presence:u:%lld", user_id);
	if ((r = kv_command(kv, 2, argv, NULL)) == NULL)
		return 0;
	yes = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return yes;
}

static int
notify_t(void *closure, const char *text, size_t len, buf_t *out)
{
	size_t n;
	const char *s = i18n_gettext(closure, text, len, &n);

	buf_append(out, s, n);
	return 0;
}

/* @b's text on one line: white space runs become one space, none at the ends. */
static char *
one_line(buf_t *b)
{
	const char *s = buf_cstr(b);
	char *out = malloc(b->len + 1), *o = out;
	int space = 0;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			space = o != out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/*
 * Render templates/notifications/@part for notification @n (the
 * dispatch_load object; borrowed) in @lang into a heap string.
 * Returns NULL with @err filled on failure.
 */
static char *
render(struct worker_ctx *w, json_t *n, const char *part, const char *lang, char *err,
    size_t errlen)
{
	tmpl_lambda_t lambdas[1] = { { "t", notify_t, (void *)lang } };
	char tname[64], terr[TMPL_ERRLEN], flag[64], *out = NULL;
	const char *type = json_string_value(json_object_get(n, "type"));
	json_t *ctx, *data = json_object_get(n, "data");
	buf_t b;

	snprintf(tname, sizeof(tname), "notifications/%s", part);
	ctx = json_is_object(data) ? json_copy(data) : json_object();
	snprintf(flag, sizeof(flag), "%s", type != NULL ? type : "");
	for (char *c = flag; *c != '\0'; c++)
		if (*c == '.')
			*c = '_';
	json_object_set_new(ctx, flag, json_true());
	json_object_set(ctx, "amount", json_object_get(n, "amount"));
	json_object_set_new(ctx, "lang", json_string(lang));
	json_object_set_new(ctx, "site", json_pack("{s:s}", "name", "Souk"));
	buf_init(&b, NULL);
	if (tmpl_render(w->tmpl, tname, ctx, lambdas, 1, &b, terr, sizeof(terr)) != 0)
		snprintf(err, errlen, "%s: %s", tname, terr);
	else if ((out = one_line(&b)) == NULL)
		snprintf(err, errlen, "out of memory");
	buf_free(&b);
	json_decref(ctx);
	return out;
}

/* The absolute URL of path @url for an e-mail (heap). */
static char *
absolute(struct worker_ctx *w, const char *url)
{
	const char *base = w->cfg != NULL && w->cfg->base_url != NULL ? w->cfg->base_url : "";
	size_t n = strlen(base) + strlen(url) + 1;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s%s", base, url);
	return s;
}

/*
 * In the open transaction: the rendered texts, the immediate e-mail, the
 * push job.  Returns DB_OK or the failing call's code.
 */
static int
dispatch_tx(struct worker_ctx *w, json_t *n, long long id, const char *title, const char *body,
    int push)
{
	const char *type = json_string_value(json_object_get(n, "type"));
	const char *pref = json_string_value(json_object_get(n, "pref"));
	const char *email = json_string_value(json_object_get(n, "email"));
	const char *lang = json_string_value(json_object_get(n, "lang"));
	int read = json_is_true(json_object_get(n, "read"));
	json_t *job;
	char *link;
	int rc;

	if ((rc = notifications_db_store(w->db, id, title, body)) != DB_OK)
		return rc;
	if (!read && pref != NULL && strcmp(pref, "immediate") == 0 && type != NULL &&
	    strcmp(type, "message") != 0 && !json_is_true(json_object_get(n, "emailed")) &&
	    json_is_true(json_object_get(n, "active")) && email != NULL && email[0] != '\0') {
		if ((link = absolute(w, json_string_value(json_object_get(n, "url")))) == NULL)
			return DB_ERROR;
		job = json_pack("{s:s, s:s, s:s, s:{s:O, s:s, s:s, s:s, s:s}}", "template",
		    "notification", "to", email, "lang", lang != NULL ? lang : "en", "data",
		    "handle", json_object_get(n, "handle"), "type", type, "title", title,
		    "body", body, "link", link);
		free(link);
		if (job == NULL)
			return DB_ERROR;
		rc = jobs_enqueue(w->db, "mail", job, 0, NULL);
		json_decref(job);
		if (rc != DB_OK || (rc = notifications_db_mark_emailed(w->db, id)) != DB_OK)
			return rc;
	}
	if (push && !read) {
		job = json_pack("{s:I}", "notification_id", (json_int_t)id);
		rc = jobs_enqueue(w->db, "push", job, 0, NULL);
		json_decref(job);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

int
notifications_job(struct worker_ctx *w, json_t *payload, char *err, size_t errlen)
{
	json_t *idv = json_object_get(payload, "id"), *n = NULL, *ev;
	long long id, user_id, unread = 0;
	const char *lang;
	char *title = NULL, *body = NULL;
	int rc, push, result = JOB_OK;

	if (!json_is_integer(idv) || (id = json_integer_value(idv)) <= 0) {
		snprintf(err, errlen, "payload.id must be a positive integer");
		return JOB_EPERM;
	}
	rc = notifications_db_dispatch_load(w->db, id, &n);
	if (rc == DB_ENOROW)
		return JOB_OK;	/* deleted with its user: nothing to do */
	if (rc != DB_OK) {
		snprintf(err, errlen, "loading notification %lld: %s", id, db_errmsg(w->db));
		return JOB_ERETRY;
	}
	user_id = json_integer_value(json_object_get(n, "user_id"));
	lang = json_string_value(json_object_get(n, "lang"));
	if (lang == NULL || strcmp(lang, "zh-CN") != 0)
		lang = "en";
	if ((title = render(w, n, "title", lang, err, errlen)) == NULL ||
	    (body = render(w, n, "body", lang, err, errlen)) == NULL) {
		result = JOB_EPERM;
		goto out;
	}
	push = !has_open_tab(kv_of(w), user_id);
	if ((rc = db_begin(w->db)) != DB_OK ||
	    (rc = dispatch_tx(w, n, id, title, body, push)) != DB_OK ||
	    (rc = db_commit(w->db)) != DB_OK) {
		snprintf(err, errlen, "dispatching notification %lld: %s", id, db_errmsg(w->db));
		if (rc != DB_EDOWN)
			(void)db_rollback(w->db);
		result = JOB_ERETRY;
		goto out;
	}
	if (notifications_db_unread(w->db, user_id, &unread) != DB_OK)
		unread = 0;
	ev = json_pack("{s:I, s:O, s:s, s:s, s:O, s:I}", "id", (json_int_t)id, "type",
	    json_object_get(n, "type"), "title", title, "body", body, "url",
	    json_object_get(n, "url"), "unread_count", (json_int_t)unread);
	if (ev == NULL || events_publish(kv_of(w), &user_id, 1, "notification", ev) != 0)
		log_warn("notification %lld: live event not published", id);
	json_decref(ev);
out:
	free(title);
	free(body);
	json_decref(n);
	return result;
}

/* ==== digests ==== */

int
notifications_sweep(db_t *db, struct notifications_sweep *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = notifications_db_sweep_daily(db, &out->daily)) != DB_OK)
		return rc;
	return notifications_db_sweep_messages(db, NOTIFICATIONS_MESSAGE_DIGEST_AFTER,
	    &out->messages);
}
