/*
 * admin.h - the staff console under /admin: dashboard, user search, user
 * detail, suspend and restore, granting and revoking staff roles, and the
 * audit-log viewer; plus the queries behind them (admin_db.c).
 *
 * Access policy.  Every route's min_role is SUPPORT, the outer gate: the
 * caller must hold at least one staff role.  Staff roles are a set, not a
 * ladder (a FINANCE user is not a MODERATOR), so the handlers check the
 * role bits (req->roles & ROLE_BIT(...)) where the threshold is not enough:
 *
 *   action                         SUPPORT MODERATOR FINANCE ADMIN SUPER_ADMIN
 *   view dashboard, users, user,
 *     audit log                       yes     yes      yes    yes     yes
 *   suspend / restore a non-staff
 *     account (buyer, seller)          -      yes       -     yes     yes
 *   suspend / restore a staff
 *     account (not SUPER_ADMIN)        -       -        -     yes     yes
 *   suspend / restore a SUPER_ADMIN    -       -        -      -      yes
 *   grant / revoke staff roles         -       -        -      -      yes
 *
 * Nobody suspends themselves.  No change may leave the site without an
 * active SUPER_ADMIN (so the last one cannot revoke their own role).
 * Anonymous GETs are sent to /login (303); signed-in non-staff get 403;
 * so does a staff member whose roles do not allow an action.  A staff
 * member without two-factor authentication is sent (303) to /account/2fa
 * from every /admin page before anything else.
 *
 * Every change runs in one transaction with its audit_log entry (before
 * and after snapshots), then ends all of the target's sessions so the new
 * status or roles take effect at once (an actor changing their own roles
 * gets a fresh session token instead: rotation at privilege change).
 * Every console response carries Cache-Control: no-store and noindex.
 */
#ifndef SOUK_ADMIN_ADMIN_H
#define SOUK_ADMIN_ADMIN_H

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"

/* The console's routes, for src/web/app.c (before the catalog's catch-all). */
extern const route_t admin_routes[];
extern const size_t admin_nroutes;

/* Rows per page of the user list and the audit log. */
#define ADMIN_PER_PAGE 25
/* Highest ?page= accepted. */
#define ADMIN_MAX_PAGE 10000
/* Longest suspension reason, in bytes. */
#define ADMIN_REASON_MAX 500

int admin_dashboard(http_req_t *req);		/* GET /admin */
int admin_users(http_req_t *req);		/* GET /admin/users */
int admin_user(http_req_t *req);		/* GET /admin/users/{id:int} */
int admin_suspend(http_req_t *req);		/* POST /admin/users/{id:int}/suspend */
int admin_restore(http_req_t *req);		/* POST /admin/users/{id:int}/restore */
int admin_role_grant(http_req_t *req);		/* POST /admin/users/{id:int}/roles/grant */
int admin_role_revoke(http_req_t *req);		/* POST /admin/users/{id:int}/roles/revoke */
int admin_audit(http_req_t *req);		/* GET /admin/audit */

/*
 * admin_date_ok - whether @s is a YYYY-MM-DD date naming a real calendar
 * day from 2000-01-01 to 2999-12-31 (the console's date filters; also
 * used by src/admin/finance.c).  @s is NUL-terminated.
 * Returns: 1 or 0.
 */
int admin_date_ok(const char *s);

/*
 * admin_param - query or form value @name of @l with leading and trailing
 * blanks (space, tab, CR, LF) removed, copied into req->arena.
 * Returns: the value, or NULL when it is absent or blank.
 */
const char *admin_param(http_req_t *req, const kvlist_t *l, const char *name);

/*
 * admin_page_param - the list page asked for by ?page= (1..ADMIN_MAX_PAGE).
 * Returns: the page, 1 when ?page= is absent or empty, -1 when malformed
 * or out of range.
 */
int admin_page_param(http_req_t *req);

/*
 * admin_list_url - "@base?k1=v1&k2=v2[&page=N]" for a list's links: the
 * @n filters @keys[i]=@vals[i] whose value is not NULL (values URL-encoded),
 * then page=@page when @page > 1.  Memory: req->arena.
 */
const char *admin_list_url(http_req_t *req, const char *base, const char *const *keys,
    const char *const *vals, size_t n, int page);

/*
 * admin_filter - ctx.filter for a list's filter form: {@keys[i]: @vals[i],
 * "" when NULL} for the @n filters and, for each i whose bit (1 << i) is
 * set in @selects, "<@keys[i]>_is": {@vals[i]: true} ({} when NULL), so a
 * <select> can mark its option.  The strings are copied.
 * Returns: 1 when any @vals[i] is set (the list is filtered), else 0.
 */
int admin_filter(json_t *ctx, const char *const *keys, const char *const *vals, size_t n,
    unsigned selects);

/*
 * admin_staff_page - set ctx.page (title "@title | Souk admin", @canonical
 * path, noindex) and ctx.admin {roles: the caller's staff role names,
 * section_<@section>: true} for the console's navigation.
 * Returns: ctx.admin (borrowed from @ctx), for the caller to add what the
 * user may do there.
 */
json_t *admin_staff_page(http_req_t *req, json_t *ctx, const char *section, const char *title,
    const char *canonical);

/* ==== queries (admin_db.c) ====
 *
 * Each returns the view model as JSON built in SQL; @out receives a new
 * reference on DB_OK only.  Times are UTC text ("2025-03-01 14:05").
 * Returns DB_OK, DB_ENOROW (where said), DB_ERROR or DB_EDOWN.
 *
 * audit_entry: {id, at, actor: {id, handle, url} | null, action,
 *   entity_type, entity_id, entity_url (user entities) | null,
 *   before, after (pretty-printed JSON text, or null), ip, request_id}
 * user_snapshot: {id, handle, email, status, suspended_reason,
 *   roles: ["SELLER", ...]} (roles in role_t order)
 */

/* User list filters. */
struct admin_user_filter {
	const char *q;		/* substring of e-mail, handle or display name; NULL = any */
	const char *role;	/* a role name from user_roles, "staff" (any staff role); NULL = any */
	const char *status;	/* "active", "suspended", "deleted"; NULL = any */
	int page;		/* 1-based */
};

/* Audit-log filters; NULL means "any". */
struct admin_audit_filter {
	const char *actor;	/* an actor's id (digits) or handle */
	const char *action;	/* an action, or a dotted prefix ("user" finds "user.*") */
	const char *entity_type;
	const char *entity_id;
	const char *from;	/* YYYY-MM-DD, inclusive, UTC */
	const char *to;		/* YYYY-MM-DD, inclusive, UTC */
	int page;		/* 1-based */
};

/*
 * admin_db_dashboard - {counts: {users, sellers, active_gigs, signups_7d,
 * suspended, staff}, entries: [audit_entry] (the latest 10)}.  Deleted
 * accounts are not counted as users or sellers.
 */
int admin_db_dashboard(db_t *db, json_t **out);

/*
 * admin_db_users - {users: [{id, handle, email, display_name, status,
 * roles, created, url}], total} for @f, newest first, ADMIN_PER_PAGE a page.
 * The search text matches literally (LIKE wildcards in it are escaped).
 */
int admin_db_users(db_t *db, const struct admin_user_filter *f, json_t **out);

/*
 * admin_db_user - the user detail page: {target: {id, handle, email,
 * display_name, status, created, updated, suspended_at, suspended_reason,
 * suspended_by: {id, handle, url} | null, roles, url, public_url},
 * entries: [audit_entry] (the latest 50 where the user is actor or entity)}.
 * Returns DB_ENOROW for an unknown id.
 */
int admin_db_user(db_t *db, long long id, json_t **out);

/*
 * admin_db_user_lock - inside a transaction: lock user @id's row (FOR
 * UPDATE) and return its user_snapshot in @out.  DB_ENOROW if none.
 */
int admin_db_user_lock(db_t *db, long long id, json_t **out);

/*
 * admin_db_set_status - set user @id's status to "active" or "suspended";
 * suspending records @reason, @actor_id and the time, restoring clears
 * them.  @out receives the user_snapshot after the change.
 */
int admin_db_set_status(db_t *db, long long id, long long actor_id, const char *status,
    const char *reason, json_t **out);

/*
 * admin_db_role_set - grant (@grant = 1) or revoke (0) @role of user @id,
 * recording @actor_id as the granter.  Granting a held role or revoking a
 * missing one changes nothing.  @out receives the user_snapshot after.
 */
int admin_db_role_set(db_t *db, long long id, const char *role, int grant, long long actor_id,
    json_t **out);

/*
 * admin_db_super_admins - inside a transaction: lock the SUPER_ADMIN role
 * rows of active accounts and count them into @n.
 */
int admin_db_super_admins(db_t *db, long long *n);

/*
 * admin_db_audit - {entries: [audit_entry], total} for @f, newest first,
 * ADMIN_PER_PAGE a page.  An @f->actor that names nobody matches nothing.
 */
int admin_db_audit(db_t *db, const struct admin_audit_filter *f, json_t **out);

/*
 * admin_db_create_user - for `soukctl user create`: insert an active user
 * with @email, @handle and the crypto_pwhash_str @hash, its e-mail marked
 * verified (email_verified_at, sql/0005), the roles in @roles (a
 * PostgreSQL array literal such as "{SUPPORT,ADMIN}", "{}" for a plain
 * buyer) and a "user.create" audit entry without an actor, in one
 * statement.  @id receives the new id.
 * Returns DB_OK, DB_ERROR (db_sqlstate 23505: the e-mail or handle is
 * taken; 23514: a value the schema refuses) or DB_EDOWN.
 */
int admin_db_create_user(db_t *db, const char *email, const char *handle, const char *hash,
    const char *roles, long long *id);

#endif
