/*
 * moderation.c - the gig moderation queue (see moderation.h for the
 * access policy): role checks, the decision transactions with their audit
 * entries and mails, which template.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "jobs/jobs.h"
#include "media/media.h"
#include "moderation/moderation.h"
#include "studio/gallery.h"
#include "twofa/twofa.h"
#include "web/app.h"

#define STAFF_MASK (ROLE_BIT(ROLE_SUPPORT) | ROLE_BIT(ROLE_MODERATOR) | \
	ROLE_BIT(ROLE_FINANCE) | ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_SUPER_ADMIN))

/* The role bits that may moderate gigs. */
#define MODERATE_MASK (ROLE_BIT(ROLE_MODERATOR) | ROLE_BIT(ROLE_ADMIN) | \
	ROLE_BIT(ROLE_SUPER_ADMIN))

/* Outcomes shown after the redirect to the queue (?done=). */
static const char *const done_values[] = { "approved", "changes", "denied", NULL };

/*
 * What every handler does first: no caching; staff without 2FA are sent
 * to set it up; then the moderator role check.  Returns 0 to go on, else
 * the status sent.
 */
static int
gate(http_req_t *req)
{
	int on;

	http_header(req, "Cache-Control", "no-store");
	if ((req->roles & STAFF_MASK) != 0) {
		if ((on = twofa_enabled(APP(req)->db, req->user_id)) < 0)
			return app_error(req, 503, NULL);
		if (!on) {
			http_redirect(req, 303, "/account/2fa?required=1");
			return req->status;
		}
	}
	if ((req->roles & MODERATE_MASK) == 0)
		return app_error(req, 403, N_("Moderating gigs takes the MODERATOR, ADMIN or "
		    "SUPER_ADMIN role."));
	return 0;
}

/* ctx.page (noindex) and ctx.admin for the console's navigation; render; free @ctx. */
static int
render(http_req_t *req, const char *name, json_t *ctx, const char *title, const char *canonical)
{
	json_t *roles = json_array();

	app_page(ctx, arena_printf(req->arena, "%s | %s", title, i18n_str(app_lang(req),
	    N_("Souk admin"))), "", canonical, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	for (int r = ROLE_SUPPORT; r <= ROLE_SUPER_ADMIN; r++)
		if (req->roles & ROLE_BIT(r))
			json_array_append_new(roles, json_string(role_name((role_t)r)));
	json_object_set_new(ctx, "admin", json_pack("{s:o, s:b}", "roles", roles,
	    "section_moderation", 1));
	app_render(req, name, ctx);
	json_decref(ctx);
	return req->status;
}

/* ==== GET /admin/moderation ==== */

int
moderation_queue(http_req_t *req)
{
	const char *done = kv_get(&req->query_params, "done");
	json_t *ctx;
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	if ((rc = moderation_db_queue(APP(req)->db, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	json_object_set_new(ctx, "has_gigs",
	    json_boolean(json_array_size(json_object_get(ctx, "gigs")) > 0));
	for (size_t i = 0; done != NULL && done_values[i] != NULL; i++)
		if (strcmp(done, done_values[i]) == 0)
			json_object_set_new(ctx, "done", json_pack("{s:b}", done_values[i], 1));
	return render(req, "moderation/queue", ctx, i18n_str(app_lang(req),
	    N_("Moderation")), "/admin/moderation");
}

/* ==== GET /admin/moderation/{id} ==== */

/*
 * The review page of gig @id with @status; @error names a problem with the
 * form just sent (ctx.error.<error>), @reason keeps what was typed.
 */
static int
show(http_req_t *req, long long id, int status, const char *error, const char *reason)
{
	json_t *ctx;
	const char *title;
	int rc;

	if ((rc = moderation_db_gig(APP(req)->db, id, app_lang(req), &ctx)) != DB_OK)
		return app_db_status(req, rc);
	if (error != NULL)
		json_object_set_new(ctx, "error", json_pack("{s:b}", error, 1));
	json_object_set_new(ctx, "form", json_pack("{s:s}", "reason", reason ? reason : ""));
	title = json_string_value(json_object_get(json_object_get(ctx, "gig"), "title"));
	req->status = status;
	return render(req, "moderation/gig", ctx, title ? title : "",
	    arena_printf(req->arena, "/admin/moderation/%lld", id));
}

int
moderation_show(http_req_t *req)
{
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	return show(req, req->match.ints[0], 200, NULL, NULL);
}

/* ==== the decisions ==== */

/* The "reason" field without surrounding blanks; NULL when absent or blank. */
static const char *
reason_param(http_req_t *req)
{
	const char *v = kv_get(&req->form, "reason");
	size_t n;

	if (v == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n' ||
	    v[n - 1] == '\r'))
		n--;
	return n == 0 ? NULL : arena_strndup(req->arena, v, n);
}

/* Roll back after a failed query and answer with its status. */
static int
failed(http_req_t *req, int rc)
{
	db_rollback(APP(req)->db);
	return app_db_status(req, rc);
}

/* Queue the gig_decision mail to the seller of @after, in the open transaction. */
static int
notify_seller(http_req_t *req, json_t *after, const char *decision, const char *reason)
{
	json_t *seller = json_object_get(after, "seller"), *data, *p;
	const char *lang = json_string_value(json_object_get(seller, "lang"));
	int rc;

	data = json_pack("{s:s, s:s, s:{s:b}, s:s, s:s}",
	    "handle", json_string_value(json_object_get(seller, "handle")),
	    "title", json_string_value(json_object_get(after, "title")),
	    "decision", decision, 1, "reason", reason ? reason : "",
	    "link", arena_printf(req->arena, "%s/seller/gigs", APP(req)->cfg.base_url));
	if (data == NULL)
		return DB_ERROR;
	p = json_pack("{s:s, s:s, s:s, s:o}", "template", "gig_decision",
	    "to", json_string_value(json_object_get(seller, "email")),
	    "lang", lang != NULL ? lang : "en", "data", data);
	if (p == NULL)
		return DB_ERROR;
	rc = jobs_enqueue(APP(req)->db, "mail", p, 0, NULL);
	json_decref(p);
	return rc;
}

/*
 * One decision.  @to: the new status (an edit of a live gig keeps its
 * own); @kind: "approve", "changes" or "deny"; @action: the audit action;
 * @decision: the mail's and the notice's name for it; @need_reason: the
 * form must carry a reason.
 */
static int
decide(http_req_t *req, const char *to, const char *kind, const char *action,
    const char *decision, int need_reason)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0];
	const char *reason = NULL, *status;
	int live_edit;
	json_t *before = NULL, *after = NULL, *keys = NULL, *key;
	size_t i;
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	if (need_reason) {
		if ((reason = reason_param(req)) == NULL)
			return show(req, id, 400, "reason_missing", NULL);
		if (strlen(reason) > MODERATION_REASON_MAX)
			return show(req, id, 400, "reason_long", reason);
	}
	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = moderation_db_lock(db, id, &before)) != DB_OK)
		return failed(req, rc);
	status = json_string_value(json_object_get(before, "status"));
	/* An edit of a live gig keeps its status; only its held changes are decided. */
	live_edit = (strcmp(status, "active") == 0 || strcmp(status, "paused") == 0) &&
	    json_is_object(json_object_get(before, "pending_changes"));
	if (strcmp(status, "pending_review") != 0 && !live_edit) {
		json_decref(before);
		db_rollback(db);
		return show(req, id, 409, "decided", reason);
	}
	if (live_edit)
		to = arena_strdup(req->arena, status);
	if ((rc = moderation_db_decide(db, id, to, kind, reason, &after)) != DB_OK) {
		json_decref(before);
		if (rc == DB_ERROR && strcmp(db_sqlstate(db), "23514") == 0) {
			db_rollback(db);
			return show(req, id, 409, "incomplete", reason);
		}
		return failed(req, rc);
	}
	/* a held gallery change: applied on approval, dropped on denial */
	if (live_edit && strcmp(kind, "changes") != 0)
		rc = gallery_decide(db, id, json_object_get(json_object_get(before,
		    "pending_changes"), "media"), strcmp(kind, "approve") == 0, &keys);
	if (rc == DB_OK)
		rc = audit_write(req, req->user_id, action, "gig",
		    arena_printf(req->arena, "%lld", id), before, after);
	/* approval and "needs changes" reach the seller as notifications (sql/0024) */
	if (rc == DB_OK && strcmp(kind, "deny") == 0)
		rc = notify_seller(req, after, decision, reason);
	json_decref(before);
	json_decref(after);
	if (rc != DB_OK) {
		json_decref(keys);
		return failed(req, rc);
	}
	if ((rc = db_commit(db)) != DB_OK) {
		json_decref(keys);
		return failed(req, rc);
	}
	json_array_foreach(keys, i, key)
		media_discard(json_string_value(key));
	json_decref(keys);
	http_redirect(req, 303, arena_printf(req->arena, "/admin/moderation?done=%s", decision));
	return req->status;
}

int
moderation_approve(http_req_t *req)
{
	return decide(req, "active", "approve", "gig.approve", "approved", 0);
}

int
moderation_request_changes(http_req_t *req)
{
	return decide(req, "requires_changes", "changes", "gig.request_changes", "changes", 1);
}

int
moderation_deny(http_req_t *req)
{
	return decide(req, "denied", "deny", "gig.deny", "denied", 1);
}

/* ==== routes ==== */

/* min_role SUPPORT is the console's outer gate; gate() requires a moderator. */
const route_t moderation_routes[] = {
	{ "GET", "/admin/moderation", moderation_queue, ROLE_SUPPORT, "moderation.queue" },
	{ "GET", "/admin/moderation/{id:int}", moderation_show, ROLE_SUPPORT, "moderation.gig" },
	{ "POST", "/admin/moderation/{id:int}/approve", moderation_approve, ROLE_SUPPORT,
	    "moderation.approve" },
	{ "POST", "/admin/moderation/{id:int}/request-changes", moderation_request_changes,
	    ROLE_SUPPORT, "moderation.request_changes" },
	{ "POST", "/admin/moderation/{id:int}/deny", moderation_deny, ROLE_SUPPORT,
	    "moderation.deny" },
};
const size_t moderation_nroutes = sizeof(moderation_routes) / sizeof(moderation_routes[0]);
