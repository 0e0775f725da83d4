/*
 * support.c - the SUPPORT queue of the staff console: user reports filed
 * from a conversation (POST /inbox/{id}/report, src/messages; table
 * user_reports, sql/0023_messages_more.sql).
 *
 * Routes (min_role SUPPORT: any staff role; signed-in non-staff get 403,
 * anonymous GETs go to /login; staff without 2FA are sent to
 * /account/2fa, as everywhere in the console):
 *
 *	GET  /admin/support                  ?status=open|resolved|dismissed|all
 *	                                     &page=N (ADMIN_PER_PAGE a page;
 *	                                     open ones oldest first, others
 *	                                     newest first)
 *	GET  /admin/support/{id}             one report: reporter, reported
 *	                                     user, reason, details, and the
 *	                                     reported conversation's messages
 *	                                     (read-only, deleted ones too)
 *	POST /admin/support/{id}/resolve     note (1..2000 characters)
 *	POST /admin/support/{id}/dismiss     note (1..2000 characters)
 *
 * Viewing a report writes "support.report.view" to the audit log;
 * resolving and dismissing write "support.report.resolve" /
 * "support.report.dismiss" with the before and after snapshots, in the
 * same transaction as the change.  A report already handled answers 409;
 * an unknown id 404; an empty note 422 and a note over 2000 characters
 * 413, with the note kept.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "audit/audit.h"
#include "core/utf8.h"
#include "i18n/i18n.h"
#include "messages/messages.h"
#include "studio/markdown.h"
#include "twofa/twofa.h"
#include "web/app.h"

/* Longest resolution note, Unicode characters (the column's CHECK agrees). */
#define SUPPORT_NOTE_MAX 2000
/* Messages of the reported conversation shown (the latest ones). */
#define SUPPORT_THREAD_MAX 200

static const char *const statuses[] = { "open", "resolved", "dismissed", "all", NULL };

/* As admin.c's gate(): no caching; staff without 2FA go and set it up. */
static int
gate(http_req_t *req)
{
	int on;

	http_header(req, "Cache-Control", "no-store");
	if ((on = twofa_enabled(APP(req)->db, req->user_id)) < 0)
		return app_error(req, 503, NULL);
	if (!on) {
		http_redirect(req, 303, "/account/2fa?required=1");
		return req->status;
	}
	return 0;
}

static int
render(http_req_t *req, const char *name, json_t *ctx)
{
	int rc = app_render(req, name, ctx);

	json_decref(ctx);
	return rc;
}

/* GET /admin/support */
int
support_list(http_req_t *req)
{
	const char *status = app_pick(statuses, admin_param(req, &req->query_params, "status"));
	char o[24], l[24];
	const char *p[3];
	json_t *ctx = NULL;
	int page, rc;

	if ((rc = gate(req)) != 0)
		return rc;
	if ((page = admin_page_param(req)) < 0)
		return app_error(req, 400, N_("The page number must be a whole number from 1 to 10000."));
	if (status == NULL)
		status = "open";
	p[0] = status;
	p[1] = DB_NUM(o, (long long)(page - 1) * ADMIN_PER_PAGE);
	p[2] = DB_NUM(l, ADMIN_PER_PAGE);
	rc = db_query_json(APP(req)->db, &ctx,
	    "WITH r AS (SELECT r.*, count(*) OVER () AS total FROM user_reports r"
	    "  WHERE $1 = 'all' OR r.status = $1"
	    "  ORDER BY CASE WHEN $1 = 'open' THEN r.created_at END ASC,"
	    "  r.created_at DESC, r.id DESC OFFSET $2::bigint LIMIT $3::int)"
	    " SELECT json_build_object('total', coalesce((SELECT max(total) FROM r), 0),"
	    " 'reports', coalesce((SELECT json_agg(json_build_object('id', r.id,"
	    "  'url', '/admin/support/' || r.id, 'reason', r.reason, 'status', r.status,"
	    "  'details', left(r.details, 140),"
	    "  'reporter', (SELECT handle FROM users WHERE id = r.reporter_id),"
	    "  'reported', (SELECT handle FROM users WHERE id = r.reported_id),"
	    "  'created', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'))"
	    "  ORDER BY CASE WHEN $1 = 'open' THEN r.created_at END ASC,"
	    "  r.created_at DESC, r.id DESC) FROM r), '[]'::json))", 3, p);
	if (rc != DB_OK)
		return app_db_status(req, rc);
	{
		const char *keys[] = { "status" }, *vals[] = { status };
		long long total = json_integer_value(json_object_get(ctx, "total"));

		admin_filter(ctx, keys, vals, 1, 1u);
		json_object_set_new(ctx, "has_reports",
		    json_boolean(json_array_size(json_object_get(ctx, "reports")) > 0));
		if (page > 1)
			json_object_set_new(ctx, "prev_url", json_string(admin_list_url(req,
			    "/admin/support", keys, vals, 1, page - 1)));
		if ((long long)page * ADMIN_PER_PAGE < total)
			json_object_set_new(ctx, "next_url", json_string(admin_list_url(req,
			    "/admin/support", keys, vals, 1, page + 1)));
		admin_staff_page(req, ctx, "support", i18n_str(app_lang(req), N_("Support")),
		    admin_list_url(req, "/admin/support", keys, vals, 1, page));
	}
	return render(req, "admin/support", ctx);
}

/* The snapshot of report @id for the audit log: {id, status, note, handled_by}. */
static int
snapshot(db_t *db, long long id, int lock, json_t **out)
{
	char r[24];
	const char *p[1] = { DB_NUM(r, id) };

	return db_query_json(db, out, lock ?
	    "SELECT json_build_object('id', id, 'status', status, 'note', note, 'reason', reason,"
	    " 'reporter_id', reporter_id, 'reported_id', reported_id, 'handled_by', handled_by)"
	    " FROM user_reports WHERE id = $1::bigint FOR UPDATE" :
	    "SELECT json_build_object('id', id, 'status', status, 'note', note, 'reason', reason,"
	    " 'reporter_id', reporter_id, 'reported_id', reported_id, 'handled_by', handled_by)"
	    " FROM user_reports WHERE id = $1::bigint", 1, p);
}

/*
 * Render report {id} with answer @status, the note form holding @note and
 * the error @error (translated) or NULL.  Writes the view to the audit log
 * when @audit is set.
 */
static int
show(http_req_t *req, int status, const char *note, const char *error, int audit)
{
	db_t *db = APP(req)->db;
	char r[24], lim[24];
	const char *p[2] = { DB_NUM(r, req->match.ints[0]), DB_NUM(lim, SUPPORT_THREAD_MAX) };
	json_t *ctx = NULL, *m;
	size_t i;
	int rc;

	rc = db_query_json(db, &ctx,
	    "SELECT json_build_object('report', json_build_object('id', r.id, 'reason', r.reason,"
	    "  'details', r.details, 'status', r.status, 'open', r.status = 'open', 'note', r.note,"
	    "  'conversation_id', r.conversation_id,"
	    "  'created', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
	    "  'handled', to_char(r.handled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
	    "  'handled_by', (SELECT handle FROM users WHERE id = r.handled_by),"
	    "  'reporter', json_build_object('id', a.id, 'handle', a.handle,"
	    "   'url', '/admin/users/' || a.id),"
	    "  'reported', json_build_object('id', b.id, 'handle', b.handle,"
	    "   'url', '/admin/users/' || b.id, 'reports', (SELECT count(*) FROM user_reports x"
	    "   WHERE x.reported_id = b.id))),"
	    " 'messages', coalesce((SELECT json_agg(json_build_object('id', t.id,"
	    "  'sender_handle', (SELECT handle FROM users WHERE id = t.sender_id),"
	    "  'reported', t.sender_id = r.reported_id, 'body', t.body, 'kind', t.kind,"
	    "  'deleted', t.deleted_at IS NOT NULL, 'edited', t.edited_at IS NOT NULL,"
	    "  'warn', t.warn, 'attachments', (souk_message_json(t)->'attachments'),"
	    "  'at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')) ORDER BY t.id)"
	    "  FROM (SELECT * FROM messages WHERE conversation_id = r.conversation_id"
	    "   ORDER BY id DESC LIMIT $2::int) t), '[]'::json))"
	    " FROM user_reports r JOIN users a ON a.id = r.reporter_id"
	    " JOIN users b ON b.id = r.reported_id WHERE r.id = $1::bigint", 2, p);
	if (rc == DB_ENOROW)
		return app_error(req, 404, N_("There is no such report."));
	if (rc != DB_OK)
		return app_db_status(req, rc);
	json_array_foreach(json_object_get(ctx, "messages"), i, m) {
		const char *b = json_string_value(json_object_get(m, "body"));
		char *h = markdown_to_html(b != NULL ? b : "", b != NULL ? strlen(b) : 0);

		json_object_set_new(m, "body_html", json_string(h != NULL ? h : ""));
		free(h);
	}
	json_object_set_new(ctx, "has_messages",
	    json_boolean(json_array_size(json_object_get(ctx, "messages")) > 0));
	json_object_set_new(ctx, "form", json_pack("{s:s}", "note", note != NULL ? note : ""));
	if (error != NULL)
		json_object_set_new(ctx, "error", json_string(error));
	if (audit) {
		char id[24];

		if ((rc = audit_write(req, req->user_id, "support.report.view", "user_report",
		    DB_NUM(id, req->match.ints[0]), NULL, NULL)) != DB_OK) {
			json_decref(ctx);
			return app_db_status(req, rc);
		}
	}
	admin_staff_page(req, ctx, "support", i18n_str(app_lang(req), N_("Report")),
	    arena_printf(req->arena, "/admin/support/%lld", req->match.ints[0]));
	req->status = status;
	return render(req, "admin/support_report", ctx);
}

/* GET /admin/support/{id} */
int
support_show(http_req_t *req)
{
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	return show(req, 200, "", NULL, 1);
}

/* POST /admin/support/{id}/resolve|dismiss: note */
static int
handle(http_req_t *req, const char *to)
{
	db_t *db = APP(req)->db;
	const char *note = http_form(req, "note");
	char r[24], u[24], id[24];
	const char *p[4] = { DB_NUM(r, req->match.ints[0]), to, note, DB_NUM(u, req->user_id) };
	const char *blank = note + strspn(note, " \t\r\n");
	json_t *before = NULL, *after = NULL;
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	if (*blank == '\0')
		return show(req, 422, note, i18n_str(app_lang(req),
		    N_("Write a note: what was done, or why nothing is needed.")), 0);
	if (utf8_chars(note) > SUPPORT_NOTE_MAX)
		return show(req, 413, note, i18n_str(app_lang(req),
		    N_("The note is too long: at most 2000 characters.")), 0);
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = snapshot(db, req->match.ints[0], 1, &before)) != DB_OK) {
		(void)db_rollback(db);
		return rc == DB_ENOROW ? app_error(req, 404, N_("There is no such report.")) :
		    app_db_status(req, rc);
	}
	if (strcmp(json_string_value(json_object_get(before, "status")), "open") != 0) {
		(void)db_rollback(db);
		json_decref(before);
		return show(req, 409, note, i18n_str(app_lang(req),
		    N_("This report was already handled.")), 0);
	}
	if ((rc = db_exec(db, NULL, "UPDATE user_reports SET status = $2, note = $3,"
	    " handled_by = $4::bigint, handled_at = souk_now() WHERE id = $1::bigint", 4, p)) !=
	    DB_OK || (rc = snapshot(db, req->match.ints[0], 0, &after)) != DB_OK ||
	    (rc = audit_write(req, req->user_id, strcmp(to, "resolved") == 0 ?
	    "support.report.resolve" : "support.report.dismiss", "user_report",
	    DB_NUM(id, req->match.ints[0]), before, after)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK) {
		(void)db_rollback(db);
		json_decref(before);
		json_decref(after);
		return app_db_status(req, rc);
	}
	json_decref(before);
	json_decref(after);
	http_redirect(req, 303, arena_printf(req->arena, "/admin/support/%lld",
	    req->match.ints[0]));
	return req->status;
}

int
support_resolve(http_req_t *req)
{
	return handle(req, "resolved");
}

int
support_dismiss(http_req_t *req)
{
	return handle(req, "dismissed");
}
