/*
 * admin.c - the staff console (see admin.h for the access policy):
 * input validation, the fine-grained role checks, transactions with their
 * audit entries, which template.
 *
 * Query-string filters follow the catalog's rule: unknown values of closed
 * lists are ignored as if absent; malformed numbers and dates get a 400.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "audit/audit.h"
#include "core/log.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "messages/messages.h"
#include "twofa/twofa.h"
#include "web/app.h"

#define STAFF_MASK (ROLE_BIT(ROLE_SUPPORT) | ROLE_BIT(ROLE_MODERATOR) | \
	ROLE_BIT(ROLE_FINANCE) | ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_SUPER_ADMIN))

/*
 * The policy of admin.h, as code.  Staff roles are a set: each rule names
 * the role bits that allow it.
 *
 *   route                                  min_role  in the handler
 *   GET  /admin, /admin/users,             SUPPORT   any staff role
 *        /admin/users/{id}, /admin/audit
 *   POST /admin/users/{id}/suspend|restore SUPPORT   MODERATOR (non-staff
 *                                                    targets), ADMIN (all but
 *                                                    SUPER_ADMIN), SUPER_ADMIN
 *   POST /admin/users/{id}/roles/grant|    SUPPORT   SUPER_ADMIN
 *        revoke
 */

/* Whether the caller may suspend or restore anyone at all. */
static int
may_change_any_status(const http_req_t *req)
{
	return (req->roles & (ROLE_BIT(ROLE_MODERATOR) | ROLE_BIT(ROLE_ADMIN) |
	    ROLE_BIT(ROLE_SUPER_ADMIN))) != 0;
}

/* Whether the caller may suspend or restore an account holding @target roles. */
static int
may_change_status(const http_req_t *req, unsigned target)
{
	if (req->roles & ROLE_BIT(ROLE_SUPER_ADMIN))
		return 1;
	if (target & ROLE_BIT(ROLE_SUPER_ADMIN))
		return 0;
	if (req->roles & ROLE_BIT(ROLE_ADMIN))
		return 1;
	if (target & STAFF_MASK)
		return 0;
	return (req->roles & ROLE_BIT(ROLE_MODERATOR)) != 0;
}

/* Whether the caller may grant and revoke staff roles. */
static int
may_manage_roles(const http_req_t *req)
{
	return (req->roles & ROLE_BIT(ROLE_SUPER_ADMIN)) != 0;
}

/* The role mask of a user_snapshot's "roles" array. */
static unsigned
roles_mask(json_t *snapshot)
{
	json_t *roles = json_object_get(snapshot, "roles"), *v;
	unsigned m = 0;
	size_t i;
	int r;

	json_array_foreach(roles, i, v)
		if (json_is_string(v) && (r = role_parse(json_string_value(v))) > ROLE_BUYER)
			m |= ROLE_BIT(r);
	return m;
}

/*
 * 1 when the signed-in staff member has not turned on two-factor
 * authentication (required for every staff role, issue 3), 0 when they
 * have, -1 when the database cannot tell.
 */
static int
staff_needs_2fa(http_req_t *req)
{
	int on;

	if ((req->roles & STAFF_MASK) == 0)
		return 0;
	if ((on = twofa_enabled(APP(req)->db, req->user_id)) < 0)
		return -1;
	return !on;
}

/*
 * What every console handler does first: no caching, and staff without
 * 2FA are sent to set it up.  Returns 0 to go on, else the status sent.
 */
static int
gate(http_req_t *req)
{
	http_header(req, "Cache-Control", "no-store");
	switch (staff_needs_2fa(req)) {
	case 0:
		return 0;
	case 1:
		http_redirect(req, 303, "/account/2fa?required=1");
		return req->status;
	default:
		return app_error(req, 503, NULL);
	}
}

json_t *
admin_staff_page(http_req_t *req, json_t *ctx, const char *section, const char *title,
    const char *canonical)
{
	json_t *admin, *roles = json_array();

	app_page(ctx, arena_printf(req->arena, "%s | %s", title, i18n_str(app_lang(req),
	    N_("Souk admin"))), "", canonical, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	for (int r = ROLE_SUPPORT; r <= ROLE_SUPER_ADMIN; r++)
		if (req->roles & ROLE_BIT(r))
			json_array_append_new(roles, json_string(role_name((role_t)r)));
	admin = json_pack("{s:o}", "roles", roles);
	json_object_set_new(admin, arena_printf(req->arena, "section_%s", section), json_true());
	json_object_set_new(ctx, "admin", admin);
	return admin;
}

int
admin_filter(json_t *ctx, const char *const *keys, const char *const *vals, size_t n,
    unsigned selects)
{
	json_t *filter = json_object(), *is;
	char name[80];
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		json_object_set_new(filter, keys[i], json_string(vals[i] != NULL ? vals[i] : ""));
		any |= vals[i] != NULL;
		if (!(selects & (1u << i)))
			continue;
		is = json_object();
		if (vals[i] != NULL)
			json_object_set_new(is, vals[i], json_true());
		snprintf(name, sizeof(name), "%s_is", keys[i]);
		json_object_set_new(filter, name, is);
	}
	json_object_set_new(ctx, "filter", filter);
	return any;
}

/* ctx.page and ctx.admin (admin_staff_page) with what the caller may do here. */
static void
staff_page(http_req_t *req, json_t *ctx, const char *section, const char *title,
    const char *canonical)
{
	json_t *admin = admin_staff_page(req, ctx, section, title, canonical);

	json_object_set_new(admin, "can_change_status", json_boolean(may_change_any_status(req)));
	json_object_set_new(admin, "can_manage_roles", json_boolean(may_manage_roles(req)));
}

static int
render(http_req_t *req, const char *name, json_t *ctx)
{
	/* Mustache cannot test an array for emptiness around a table: flags. */
	json_object_set_new(ctx, "has_entries",
	    json_boolean(json_array_size(json_object_get(ctx, "entries")) > 0));
	json_object_set_new(ctx, "has_users",
	    json_boolean(json_array_size(json_object_get(ctx, "users")) > 0));
	json_object_set_new(ctx, "has_grantable",
	    json_boolean(json_array_size(json_object_get(ctx, "grantable")) > 0));
	app_render(req, name, ctx);
	json_decref(ctx);
	return req->status;
}

const char *
admin_param(http_req_t *req, const kvlist_t *l, const char *name)
{
	const char *v = kv_get(l, name);
	size_t n;

	if (v == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n' || v[n - 1] == '\r'))
		n--;
	return n == 0 ? NULL : arena_strndup(req->arena, v, n);
}

int
admin_page_param(http_req_t *req)
{
	const char *p = kv_get(&req->query_params, "page");
	long long n;

	if (p == NULL || p[0] == '\0')
		return 1;
	if (http_parse_int64(p, 1, ADMIN_MAX_PAGE, &n) != 0)
		return -1;
	return (int)n;
}

const char *
admin_list_url(http_req_t *req, const char *base, const char *const *keys, const char *const *vals,
    size_t n, int page)
{
	buf_t b;
	char sep = '?';

	buf_init(&b, req->arena);
	buf_puts(&b, base);
	for (size_t i = 0; i < n; i++) {
		if (vals[i] == NULL)
			continue;
		buf_printf(&b, "%c%s=", sep, keys[i]);
		url_encode(&b, vals[i], strlen(vals[i]));
		sep = '&';
	}
	if (page > 1)
		buf_printf(&b, "%cpage=%d", sep, page);
	return arena_strdup(req->arena, buf_cstr(&b));
}

/* ctx.pagination, in the shape of partials/pagination, when there is more than one page. */
static void
paginate(http_req_t *req, json_t *ctx, const char *base, const char *const *keys,
    const char *const *vals, size_t n, int page)
{
	long long total = json_integer_value(json_object_get(ctx, "total"));
	int pages = (int)((total + ADMIN_PER_PAGE - 1) / ADMIN_PER_PAGE), gap = 0;
	json_t *links, *p;

	if (pages <= 1)
		return;
	links = json_array();
	for (int i = 1; i <= pages; i++) {
		if (i == 1 || i == pages || abs(i - page) <= 2) {
			json_array_append_new(links, json_pack("{s:i, s:s, s:b, s:b}", "n", i,
			    "url", admin_list_url(req, base, keys, vals, n, i), "current", i == page,
			    "gap", 0));
			gap = 0;
		} else if (!gap) {
			json_array_append_new(links, json_pack("{s:b}", "gap", 1));
			gap = 1;
		}
	}
	p = json_pack("{s:i, s:i, s:I, s:o}", "page", page, "page_count", pages,
	    "total", (json_int_t)total, "links", links);
	if (page > 1)
		json_object_set_new(p, "prev_url",
		    json_string(admin_list_url(req, base, keys, vals, n, page - 1)));
	if (page < pages)
		json_object_set_new(p, "next_url",
		    json_string(admin_list_url(req, base, keys, vals, n, page + 1)));
	json_object_set_new(ctx, "pagination", p);
}

/* ==== GET /admin ==== */

int
admin_dashboard(http_req_t *req)
{
	json_t *ctx;
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	if ((rc = admin_db_dashboard(APP(req)->db, &ctx)) != DB_OK)
		return app_db_status(req, rc);
	staff_page(req, ctx, "dashboard", i18n_str(app_lang(req), N_("Dashboard")), "/admin");
	return render(req, "admin/dashboard", ctx);
}

/* ==== GET /admin/users ==== */

static const char *const user_roles_filter[] = { "staff", "SELLER", "SUPPORT", "MODERATOR",
	"FINANCE", "ADMIN", "SUPER_ADMIN", NULL };
static const char *const user_status_filter[] = { "active", "suspended", "deleted", NULL };

int
admin_users(http_req_t *req)
{
	struct admin_user_filter f;
	const kvlist_t *qp = &req->query_params;
	json_t *ctx;
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	memset(&f, 0, sizeof(f));
	if ((f.page = admin_page_param(req)) < 0)
		return app_error(req, 400, N_("The page number must be a whole number from 1 to 10000."));
	f.q = admin_param(req, qp, "q");
	if (f.q != NULL && strlen(f.q) > 200)
		return app_error(req, 400, N_("Search for at most 200 characters."));
	f.role = app_pick(user_roles_filter, kv_get(qp, "role"));
	f.status = app_pick(user_status_filter, kv_get(qp, "status"));
	if ((rc = admin_db_users(APP(req)->db, &f, &ctx)) != DB_OK)
		return app_db_status(req, rc);

	const char *keys[] = { "q", "role", "status" };
	const char *vals[] = { f.q, f.role, f.status };

	json_object_set_new(ctx, "filtered", json_boolean(admin_filter(ctx, keys, vals, 3, 6)));
	/* the site header's search box is for services: keep q out of it */
	json_object_set_new(ctx, "q", json_string(""));
	staff_page(req, ctx, "users", i18n_str(app_lang(req), N_("Users")),
	    admin_list_url(req, "/admin/users", keys, vals, 3, f.page));
	paginate(req, ctx, "/admin/users", keys, vals, 3, f.page);
	return render(req, "admin/users", ctx);
}

/* ==== GET /admin/users/{id} and the forms on it ==== */

/* Outcomes of the forms, shown as a notice after the redirect (?done=). */
static const char *const done_values[] = { "suspended", "restored", "granted", "revoked", NULL };

/*
 * Render the user detail page of @id with @status; @error names a
 * problem with the form just sent (ctx.error.<error>), @reason keeps what
 * was typed.
 */
static int
show_user(http_req_t *req, long long id, int status, const char *error, const char *reason)
{
	json_t *ctx, *target, *roles, *grantable;
	unsigned mask;
	const char *outcome;
	int rc, self, n, is_active, is_suspended;

	if ((rc = admin_db_user(APP(req)->db, id, &ctx)) != DB_OK)
		return app_db_status(req, rc);
	target = json_object_get(ctx, "target");
	mask = roles_mask(target);
	self = id == req->user_id;
	is_active = json_is_true(json_object_get(target, "active"));
	is_suspended = json_is_true(json_object_get(target, "suspended"));

	roles = json_array();
	grantable = json_array();
	for (int r = ROLE_SELLER; r <= ROLE_SUPER_ADMIN; r++) {
		int staff = (ROLE_BIT(r) & STAFF_MASK) != 0;

		if (mask & ROLE_BIT(r))
			json_array_append_new(roles, json_pack("{s:s, s:b}", "name",
			    role_name((role_t)r), "revocable", staff && may_manage_roles(req)));
		else if (staff && may_manage_roles(req) &&
		    !json_is_true(json_object_get(target, "deleted")))
			json_array_append_new(grantable, json_pack("{s:s}", "name",
			    role_name((role_t)r)));
	}
	json_object_set_new(ctx, "roles", roles);
	json_object_set_new(ctx, "grantable", grantable);
	json_object_set_new(ctx, "is_self", json_boolean(self));
	json_object_set_new(ctx, "is_staff", json_boolean((mask & STAFF_MASK) != 0));
	json_object_set_new(ctx, "can_suspend",
	    json_boolean(!self && is_active && may_change_status(req, mask)));
	json_object_set_new(ctx, "can_restore",
	    json_boolean(!self && is_suspended && may_change_status(req, mask)));
	json_object_set_new(ctx, "can_manage_roles", json_boolean(may_manage_roles(req) &&
	    json_array_size(roles) + json_array_size(grantable) > 0));
	if ((n = session_count(req, id)) >= 0)
		json_object_set_new(ctx, "sessions", json_integer(n));
	else
		json_object_set_new(ctx, "sessions_unknown", json_true());
	if ((outcome = app_pick(done_values, kv_get(&req->query_params, "done"))) != NULL &&
	    status == 200)
		json_object_set_new(ctx, "done", json_pack("{s:b}", outcome, 1));
	if (error != NULL)
		json_object_set_new(ctx, "error", json_pack("{s:b}", error, 1));
	json_object_set_new(ctx, "form", json_pack("{s:s}", "reason", reason ? reason : ""));
	staff_page(req, ctx, "users", arena_printf(req->arena, "@%s",
	    json_string_value(json_object_get(target, "handle"))),
	    arena_printf(req->arena, "/admin/users/%lld", id));
	req->status = status;
	return render(req, "admin/user", ctx);
}

int
admin_user(http_req_t *req)
{
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	return show_user(req, req->match.ints[0], 200, NULL, NULL);
}

/* Roll back and show the user page with @status and @error. */
static int
refuse(http_req_t *req, long long id, int status, const char *error, const char *reason)
{
	db_rollback(APP(req)->db);
	return show_user(req, id, status, error, reason);
}

/* Roll back after a failed query and answer with its status. */
static int
failed(http_req_t *req, int rc)
{
	db_rollback(APP(req)->db);
	return app_db_status(req, rc);
}

/* After a committed change: back to the user page with a notice. */
static int
back_to_user(http_req_t *req, long long id, const char *what)
{
	http_redirect(req, 303, arena_printf(req->arena, "/admin/users/%lld?done=%s", id, what));
	return req->status;
}

/*
 * The suspend and restore forms.  @suspend: 1 to suspend (a reason is
 * required), 0 to restore.
 */
static int
change_status(http_req_t *req, int suspend)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0];
	const char *reason = NULL, *want = suspend ? "active" : "suspended";
	json_t *before = NULL, *after = NULL;
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	if (!may_change_any_status(req))
		return app_error(req, 403, N_("Suspending and restoring accounts takes the MODERATOR, "
		    "ADMIN or SUPER_ADMIN role."));
	if (suspend) {
		reason = admin_param(req, &req->form, "reason");
		if (reason == NULL)
			return show_user(req, id, 400, "reason_missing", NULL);
		if (strlen(reason) > ADMIN_REASON_MAX)
			return show_user(req, id, 400, "reason_long", reason);
	}
	if (id == req->user_id)
		return show_user(req, id, 403, "self", reason);

	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = admin_db_user_lock(db, id, &before)) != DB_OK)
		return failed(req, rc);
	if (!may_change_status(req, roles_mask(before))) {
		json_decref(before);
		return refuse(req, id, 403, "forbidden_target", reason);
	}
	if (strcmp(json_string_value(json_object_get(before, "status")), want) != 0) {
		json_decref(before);
		return refuse(req, id, 409, suspend ? "not_active" : "not_suspended", reason);
	}
	if ((rc = admin_db_set_status(db, id, req->user_id, suspend ? "suspended" : "active",
	    reason, &after)) != DB_OK) {
		json_decref(before);
		return failed(req, rc);
	}
	rc = audit_write(req, req->user_id, suspend ? "user.suspend" : "user.restore", "user",
	    arena_printf(req->arena, "%lld", id), before, after);
	json_decref(before);
	json_decref(after);
	if (rc != DB_OK)
		return failed(req, rc);
	if ((rc = db_commit(db)) != DB_OK)
		return failed(req, rc);

	/* A suspended user's sessions end at once. */
	if (suspend && session_end_all(req, id, 0) < 0)
		log_warn("request_id=%s admin: user %lld suspended but Redis is unreachable: "
		    "sessions not ended", req->request_id, id);
	return back_to_user(req, id, suspend ? "suspended" : "restored");
}

int
admin_suspend(http_req_t *req)
{
	return change_status(req, 1);
}

int
admin_restore(http_req_t *req)
{
	return change_status(req, 0);
}

/*
 * The grant and revoke forms (SUPER_ADMIN only): field "role", a staff
 * role.  @grant: 1 to grant, 0 to revoke.
 */
static int
change_role(http_req_t *req, int grant)
{
	db_t *db = APP(req)->db;
	long long id = req->match.ints[0], supers;
	const char *role_s = admin_param(req, &req->form, "role");
	json_t *before = NULL, *after = NULL;
	unsigned was, now;
	int rc, role;

	if ((rc = gate(req)) != 0)
		return rc;
	if (!may_manage_roles(req))
		return app_error(req, 403, N_("Granting and revoking staff roles takes the SUPER_ADMIN role."));
	role = role_s != NULL ? role_parse(role_s) : -1;
	if (role < 0 || (ROLE_BIT(role) & STAFF_MASK) == 0)
		return show_user(req, id, 400, "role_invalid", NULL);

	if ((rc = db_begin(db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = admin_db_user_lock(db, id, &before)) != DB_OK)
		return failed(req, rc);
	was = roles_mask(before);
	if (grant && strcmp(json_string_value(json_object_get(before, "status")), "deleted") == 0) {
		json_decref(before);
		return refuse(req, id, 409, "deleted", NULL);
	}
	if (grant == ((was & ROLE_BIT(role)) != 0)) {
		json_decref(before);
		return refuse(req, id, 409, grant ? "role_held" : "role_missing", NULL);
	}
	if ((rc = admin_db_role_set(db, id, role_name((role_t)role), grant, req->user_id,
	    &after)) != DB_OK) {
		json_decref(before);
		return failed(req, rc);
	}
	/* The site keeps at least one active SUPER_ADMIN (rows locked: no race). */
	if (!grant && role == ROLE_SUPER_ADMIN &&
	    ((rc = admin_db_super_admins(db, &supers)) != DB_OK || supers < 1)) {
		json_decref(before);
		json_decref(after);
		return rc != DB_OK ? failed(req, rc) : refuse(req, id, 409, "last_super_admin", NULL);
	}
	now = roles_mask(after);
	json_object_set_new(after, grant ? "granted" : "revoked", json_string(role_name((role_t)role)));
	rc = audit_write(req, req->user_id, grant ? "role.grant" : "role.revoke", "user",
	    arena_printf(req->arena, "%lld", id), before, after);
	json_decref(before);
	json_decref(after);
	if (rc != DB_OK)
		return failed(req, rc);
	if ((rc = db_commit(db)) != DB_OK)
		return failed(req, rc);

	/*
	 * Sessions carry the roles: end the target's so the change applies at
	 * once.  When the actor changed their own roles, their other sessions
	 * end and this one gets a new token with the new roles (rotation).
	 */
	if (id == req->user_id && req->session != NULL) {
		char handle[sizeof(req->session->handle)];
		int remember = req->session->remember;

		memcpy(handle, req->session->handle, sizeof(handle));
		if (session_end_all(req, id, 1) < 0 || session_start(req, id, handle,
		    now | ROLE_BIT(ROLE_BUYER), remember) != 0)
			log_warn("request_id=%s admin: roles of user %lld changed but Redis is "
			    "unreachable: sessions not renewed", req->request_id, id);
		if ((now & STAFF_MASK) == 0) {
			http_redirect(req, 303, "/");
			return req->status;
		}
	} else if (session_end_all(req, id, 0) < 0)
		log_warn("request_id=%s admin: roles of user %lld changed but Redis is unreachable: "
		    "sessions not ended", req->request_id, id);
	return back_to_user(req, id, grant ? "granted" : "revoked");
}

int
admin_role_grant(http_req_t *req)
{
	return change_role(req, 1);
}

int
admin_role_revoke(http_req_t *req)
{
	return change_role(req, 0);
}

/* ==== GET /admin/audit ==== */

int
admin_date_ok(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, leap;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

/* [a-z0-9_.]{1,64}: what audit actions are made of. */
static int
action_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

int
admin_audit(http_req_t *req)
{
	struct admin_audit_filter f;
	const kvlist_t *qp = &req->query_params;
	json_t *ctx;
	int rc;

	if ((rc = gate(req)) != 0)
		return rc;
	memset(&f, 0, sizeof(f));
	if ((f.page = admin_page_param(req)) < 0)
		return app_error(req, 400, N_("The page number must be a whole number from 1 to 10000."));
	f.actor = admin_param(req, qp, "actor");
	f.action = admin_param(req, qp, "action");
	f.entity_type = admin_param(req, qp, "entity_type");
	f.entity_id = admin_param(req, qp, "entity_id");
	f.from = admin_param(req, qp, "from");
	f.to = admin_param(req, qp, "to");
	if (f.actor != NULL) {
		long long n;

		if (f.actor[0] == '@')
			f.actor++;
		if (f.actor[0] >= '0' && f.actor[0] <= '9') {
			if (http_parse_int64(f.actor, 1, 999999999999999999LL, &n) != 0)
				return app_error(req, 400, N_("The actor is a user id or a handle."));
		} else if (strlen(f.actor) < 2 || strlen(f.actor) > 32 ||
		    strspn(f.actor, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(f.actor))
			return app_error(req, 400, N_("The actor is a user id or a handle."));
	}
	if (f.action != NULL && !action_ok(f.action))
		return app_error(req, 400, N_("An action is made of lower-case letters, digits, '_' "
		    "and '.', such as user.suspend."));
	if (f.entity_type != NULL && strlen(f.entity_type) > 64)
		return app_error(req, 400, N_("The entity type is at most 64 characters."));
	if (f.entity_id != NULL && strlen(f.entity_id) > 128)
		return app_error(req, 400, N_("The entity id is at most 128 characters."));
	if ((f.from != NULL && !admin_date_ok(f.from)) || (f.to != NULL && !admin_date_ok(f.to)))
		return app_error(req, 400, N_("Dates are written YYYY-MM-DD, such as 2025-03-01."));
	if ((rc = admin_db_audit(APP(req)->db, &f, &ctx)) != DB_OK)
		return app_db_status(req, rc);

	const char *keys[] = { "actor", "action", "entity_type", "entity_id", "from", "to" };
	const char *vals[] = { f.actor, f.action, f.entity_type, f.entity_id, f.from, f.to };

	json_object_set_new(ctx, "filtered", json_boolean(admin_filter(ctx, keys, vals, 6, 0)));
	json_object_set_new(ctx, "expand_json", json_true());
	staff_page(req, ctx, "audit", i18n_str(app_lang(req), N_("Audit log")),
	    admin_list_url(req, "/admin/audit", keys, vals, 6, f.page));
	paginate(req, ctx, "/admin/audit", keys, vals, 6, f.page);
	return render(req, "admin/audit", ctx);
}

/* ==== routes ==== */

/* min_role SUPPORT is the outer gate (any staff role); the handlers refine it. */
const route_t admin_routes[] = {
	{ "GET", "/admin", admin_dashboard, ROLE_SUPPORT, "admin.dashboard" },
	{ "GET", "/admin/users", admin_users, ROLE_SUPPORT, "admin.users" },
	{ "GET", "/admin/users/{id:int}", admin_user, ROLE_SUPPORT, "admin.user" },
	{ "POST", "/admin/users/{id:int}/suspend", admin_suspend, ROLE_SUPPORT, "admin.suspend" },
	{ "POST", "/admin/users/{id:int}/restore", admin_restore, ROLE_SUPPORT, "admin.restore" },
	{ "POST", "/admin/users/{id:int}/roles/grant", admin_role_grant, ROLE_SUPPORT,
	    "admin.role_grant" },
	{ "POST", "/admin/users/{id:int}/roles/revoke", admin_role_revoke, ROLE_SUPPORT,
	    "admin.role_revoke" },
	{ "GET", "/admin/audit", admin_audit, ROLE_SUPPORT, "admin.audit" },
	/* the SUPPORT queue of user reports (src/admin/support.c) */
	{ "GET", "/admin/support", support_list, ROLE_SUPPORT, "admin.support" },
	{ "GET", "/admin/support/{id:int}", support_show, ROLE_SUPPORT, "admin.support_report" },
	{ "POST", "/admin/support/{id:int}/resolve", support_resolve, ROLE_SUPPORT,
	    "admin.support_resolve" },
	{ "POST", "/admin/support/{id:int}/dismiss", support_dismiss, ROLE_SUPPORT,
	    "admin.support_dismiss" },
};
const size_t admin_nroutes = sizeof(admin_routes) / sizeof(admin_routes[0]);
