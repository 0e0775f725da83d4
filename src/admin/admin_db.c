/*
 * admin_db.c - the staff console's queries (see admin.h): SQL and nothing
 * else.
 *
 * Each page is one statement returning one JSON value; values only travel
 * as text parameters.  Changes (status, roles) are single statements that
 * the handler runs inside its transaction, together with audit_write.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "admin/admin.h"

/* ------------------------------------------------------------------ */
/* SQL fragments                                                       */
/* ------------------------------------------------------------------ */

/* A timestamp as UTC text, to the minute or the second. */
#define MINUTE(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
#define SECOND(COL) "to_char(" COL " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"

/* The granted roles in role_t order (router.h). */
#define ROLE_ORDER \
	"ARRAY['SELLER', 'SUPPORT', 'MODERATOR', 'FINANCE', 'ADMIN', 'SUPER_ADMIN']::text[]"
#define STAFF_ROLES "('SUPPORT', 'MODERATOR', 'FINANCE', 'ADMIN', 'SUPER_ADMIN')"

/* ["SELLER", ...] of the user whose id is the expression UID. */
#define ROLES_OF(UID) \
	"coalesce((SELECT json_agg(ro.role ORDER BY array_position(" ROLE_ORDER ", ro.role))" \
	" FROM user_roles ro WHERE ro.user_id = " UID "), '[]'::json)"

/* user_snapshot (admin.h) of the users row aliased U. */
#define SNAPSHOT(U) \
	"json_build_object('id', " U ".id, 'handle', " U ".handle, 'email', " U ".email," \
	" 'status', " U ".status, 'suspended_reason', " U ".suspended_reason," \
	" 'roles', " ROLES_OF(U ".id") ")"

/* {id, handle, url} of the users row aliased U, or null when U.id is null. */
#define USER_LINK(U) \
	"CASE WHEN " U ".id IS NULL THEN NULL ELSE json_build_object('id', " U ".id," \
	" 'handle', " U ".handle, 'url', '/admin/users/' || " U ".id) END"

/* audit_entry (admin.h) of the audit_log row aliased a, its actor aliased au. */
#define AUDIT_ENTRY \
	"json_build_object('id', a.id, 'at', " SECOND("a.at") "," \
	" 'actor', " USER_LINK("au") ", 'action', a.action," \
	" 'entity_type', a.entity_type, 'entity_id', a.entity_id," \
	" 'entity_url', CASE WHEN a.entity_type = 'user' AND a.entity_id ~ '^[1-9][0-9]{0,17}$'" \
	"  THEN '/admin/users/' || a.entity_id END," \
	" 'before', jsonb_pretty(a.before), 'after', jsonb_pretty(a.after)," \
	" 'ip', a.ip, 'request_id', a.request_id)"

/* One row of the user list, of users u and profiles p. */
#define USER_ROW \
	"json_build_object('id', u.id, 'handle', u.handle, 'email', u.email," \
	" 'display_name', coalesce(p.display_name, u.handle), 'status', u.status," \
	" 'suspended', u.status = 'suspended', 'deleted', u.status = 'deleted'," \
	" 'roles', " ROLES_OF("u.id") ", 'created', to_char(u.created_at AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD'), 'url', '/admin/users/' || u.id)"

static const char *
itoa_buf(char *b, size_t n, long long v)
{
	snprintf(b, n, "%lld", v);
	return b;
}

/* ------------------------------------------------------------------ */
/* Pages                                                               */
/* ------------------------------------------------------------------ */

static const char DASHBOARD_SQL[] =
	"SELECT json_build_object('counts', json_build_object("
	"  'users', (SELECT count(*) FROM users WHERE status <> 'deleted'),"
	"  'sellers', (SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id"
	"   WHERE r.role = 'SELLER' AND u.status <> 'deleted'),"
	"  'active_gigs', (SELECT count(*) FROM gigs WHERE status = 'active'),"
	"  'signups_7d', (SELECT count(*) FROM users WHERE created_at >= now() - interval '7 days'),"
	"  'suspended', (SELECT count(*) FROM users WHERE status = 'suspended'),"
	"  'staff', (SELECT count(DISTINCT r.user_id) FROM user_roles r JOIN users u"
	"   ON u.id = r.user_id WHERE r.role IN " STAFF_ROLES " AND u.status = 'active')),"
	" 'entries', coalesce((SELECT json_agg(" AUDIT_ENTRY " ORDER BY a.at DESC, a.id DESC)"
	"  FROM (SELECT * FROM audit_log ORDER BY at DESC, id DESC LIMIT 10) a"
	"  LEFT JOIN users au ON au.id = a.actor_id), '[]'::json))";

int
admin_db_dashboard(db_t *db, json_t **out)
{
	return db_query_json(db, out, DASHBOARD_SQL, 0, NULL);
}

/*
 * $1 search text, $2 role or 'staff', $3 status, $4 limit, $5 offset.
 * The text is matched literally: backslash, % and _ are escaped for ILIKE
 * (whose escape character is the backslash).
 */
static const char USERS_SQL[] =
	"WITH f AS (SELECT CASE WHEN $1::text IS NULL THEN NULL ELSE '%' ||"
	"  replace(replace(replace($1::text, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
	"  END AS pat),"
	" m AS (SELECT u.id FROM f, users u LEFT JOIN profiles p ON p.user_id = u.id"
	"  WHERE (f.pat IS NULL OR u.email ILIKE f.pat OR u.handle ILIKE f.pat"
	"   OR p.display_name ILIKE f.pat)"
	"  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id"
	"   AND (r.role = $2::text OR ($2::text = 'staff' AND r.role IN " STAFF_ROLES "))))"
	"  AND ($3::text IS NULL OR u.status = $3::text))"
	" SELECT json_build_object('total', (SELECT count(*) FROM m),"
	"  'users', coalesce((SELECT json_agg(" USER_ROW " ORDER BY u.id DESC)"
	"   FROM (SELECT id FROM m ORDER BY id DESC LIMIT $4::int OFFSET $5::int) pg"
	"   JOIN users u ON u.id = pg.id LEFT JOIN profiles p ON p.user_id = u.id), '[]'::json))";

int
admin_db_users(db_t *db, const struct admin_user_filter *f, json_t **out)
{
	char lim[24], off[24];
	int page = f->page < 1 ? 1 : f->page;
	const char *p[5] = { f->q, f->role, f->status, itoa_buf(lim, sizeof(lim), ADMIN_PER_PAGE),
	    itoa_buf(off, sizeof(off), (long long)(page - 1) * ADMIN_PER_PAGE) };

	return db_query_json(db, out, USERS_SQL, 5, p);
}

static const char USER_SQL[] =
	"SELECT json_build_object('target', json_build_object('id', u.id, 'handle', u.handle,"
	"  'email', u.email, 'display_name', coalesce(p.display_name, u.handle),"
	"  'status', u.status, 'active', u.status = 'active',"
	"  'suspended', u.status = 'suspended', 'deleted', u.status = 'deleted',"
	"  'created', " MINUTE("u.created_at") ", 'updated', " MINUTE("u.updated_at") ","
	"  'suspended_at', " MINUTE("u.suspended_at") ", 'suspended_reason', u.suspended_reason,"
	"  'suspended_by', " USER_LINK("sb") ", 'roles', " ROLES_OF("u.id") ","
	"  'url', '/admin/users/' || u.id,"
	"  'public_url', CASE WHEN EXISTS (SELECT 1 FROM user_roles sr WHERE sr.user_id = u.id"
	"   AND sr.role = 'SELLER') THEN '/u/' || u.handle END),"
	" 'entries', coalesce((SELECT json_agg(" AUDIT_ENTRY " ORDER BY a.at DESC, a.id DESC)"
	"  FROM (SELECT * FROM audit_log al WHERE al.actor_id = u.id"
	"   OR (al.entity_type = 'user' AND al.entity_id = u.id::text)"
	"   ORDER BY al.at DESC, al.id DESC LIMIT 50) a"
	"  LEFT JOIN users au ON au.id = a.actor_id), '[]'::json))"
	" FROM users u LEFT JOIN profiles p ON p.user_id = u.id"
	" LEFT JOIN users sb ON sb.id = u.suspended_by"
	" WHERE u.id = $1::bigint";

int
admin_db_user(db_t *db, long long id, json_t **out)
{
	char b[24];
	const char *p[1] = { itoa_buf(b, sizeof(b), id) };

	return db_query_json(db, out, USER_SQL, 1, p);
}

/* ------------------------------------------------------------------ */
/* Changes                                                             */
/* ------------------------------------------------------------------ */

static const char USER_LOCK_SQL[] =
	"SELECT " SNAPSHOT("u") " FROM users u WHERE u.id = $1::bigint FOR UPDATE OF u";

int
admin_db_user_lock(db_t *db, long long id, json_t **out)
{
	char b[24];
	const char *p[1] = { itoa_buf(b, sizeof(b), id) };

	return db_query_json(db, out, USER_LOCK_SQL, 1, p);
}

/* $1 id, $2 actor, $3 'active' or 'suspended', $4 reason. */
static const char SET_STATUS_SQL[] =
	"UPDATE users u SET status = $3::text,"
	" suspended_at = CASE WHEN $3::text = 'suspended' THEN now() END,"
	" suspended_reason = CASE WHEN $3::text = 'suspended' THEN $4::text END,"
	" suspended_by = CASE WHEN $3::text = 'suspended' THEN $2::bigint END"
	" WHERE u.id = $1::bigint RETURNING " SNAPSHOT("u");

int
admin_db_set_status(db_t *db, long long id, long long actor_id, const char *status,
    const char *reason, json_t **out)
{
	char b1[24], b2[24];
	const char *p[4] = { itoa_buf(b1, sizeof(b1), id), itoa_buf(b2, sizeof(b2), actor_id),
	    status, reason };

	return db_query_json(db, out, SET_STATUS_SQL, 4, p);
}

static const char GRANT_SQL[] =
	"INSERT INTO user_roles (user_id, role, granted_by) VALUES ($1::bigint, $2::text, $3::bigint)"
	" ON CONFLICT (user_id, role) DO NOTHING";
static const char REVOKE_SQL[] =
	"DELETE FROM user_roles WHERE user_id = $1::bigint AND role = $2::text";
static const char SNAPSHOT_SQL[] =
	"SELECT " SNAPSHOT("u") " FROM users u WHERE u.id = $1::bigint";

int
admin_db_role_set(db_t *db, long long id, const char *role, int grant, long long actor_id,
    json_t **out)
{
	char b1[24], b2[24];
	const char *p[3] = { itoa_buf(b1, sizeof(b1), id), role, itoa_buf(b2, sizeof(b2), actor_id) };
	int rc;

	if (grant)
		rc = db_exec(db, NULL, GRANT_SQL, 3, p);
	else
		rc = db_exec(db, NULL, REVOKE_SQL, 2, p);
	if (rc != DB_OK)
		return rc;
	return db_query_json(db, out, SNAPSHOT_SQL, 1, p);
}

static const char SUPER_ADMINS_SQL[] =
	"SELECT count(*) FROM (SELECT 1 FROM user_roles r JOIN users u ON u.id = r.user_id"
	" WHERE r.role = 'SUPER_ADMIN' AND u.status = 'active' FOR UPDATE OF r) s";

int
admin_db_super_admins(db_t *db, long long *n)
{
	PGresult *res;
	int rc;

	*n = 0;
	if ((rc = db_exec(db, &res, SUPER_ADMINS_SQL, 0, NULL)) != DB_OK)
		return rc;
	if (PQntuples(res) == 1)
		*n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return DB_OK;
}

/* ------------------------------------------------------------------ */
/* Audit log                                                           */
/* ------------------------------------------------------------------ */

/*
 * $1 actor id, $2 actor handle, $3 action or dotted prefix, $4 entity
 * type, $5 entity id, $6 from date, $7 to date (inclusive), $8 limit,
 * $9 offset.  An action may hold '_', a LIKE wildcard, which is escaped.
 */
static const char AUDIT_SQL[] =
	"WITH m AS (SELECT a.id, a.at FROM audit_log a"
	"  WHERE ($1::bigint IS NULL OR a.actor_id = $1::bigint)"
	"  AND ($2::text IS NULL OR a.actor_id = (SELECT id FROM users WHERE handle = $2::text))"
	"  AND ($3::text IS NULL OR a.action = $3::text"
	"   OR a.action LIKE replace($3::text, '_', '\\_') || '.%')"
	"  AND ($4::text IS NULL OR a.entity_type = $4::text)"
	"  AND ($5::text IS NULL OR a.entity_id = $5::text)"
	"  AND ($6::date IS NULL OR a.at >= $6::date::timestamp AT TIME ZONE 'UTC')"
	"  AND ($7::date IS NULL OR a.at < ($7::date + 1)::timestamp AT TIME ZONE 'UTC'))"
	" SELECT json_build_object('total', (SELECT count(*) FROM m),"
	"  'entries', coalesce((SELECT json_agg(" AUDIT_ENTRY " ORDER BY a.at DESC, a.id DESC)"
	"   FROM (SELECT id FROM m ORDER BY at DESC, id DESC LIMIT $8::int OFFSET $9::int) pg"
	"   JOIN audit_log a ON a.id = pg.id LEFT JOIN users au ON au.id = a.actor_id),"
	"   '[]'::json))";

int
admin_db_audit(db_t *db, const struct admin_audit_filter *f, json_t **out)
{
	char lim[24], off[24];
	int page = f->page < 1 ? 1 : f->page, numeric = 0;
	const char *s;

	if (f->actor != NULL && f->actor[0] != '\0') {
		numeric = 1;
		for (s = f->actor; *s != '\0'; s++)
			if (*s < '0' || *s > '9')
				numeric = 0;
	}
	const char *p[9] = { numeric ? f->actor : NULL, numeric ? NULL : f->actor, f->action,
	    f->entity_type, f->entity_id, f->from, f->to, itoa_buf(lim, sizeof(lim), ADMIN_PER_PAGE),
	    itoa_buf(off, sizeof(off), (long long)(page - 1) * ADMIN_PER_PAGE) };

	return db_query_json(db, out, AUDIT_SQL, 9, p);
}

/* ------------------------------------------------------------------ */
/* soukctl user create                                                 */
/* ------------------------------------------------------------------ */

static const char CREATE_USER_SQL[] =
	"WITH nu AS (INSERT INTO users (email, handle, password_hash, email_verified_at,"
	"  password_changed_at) VALUES ($1::text, $2::text, $3::text, now(), now())"
	"  RETURNING id, email, handle),"
	" nr AS (INSERT INTO user_roles (user_id, role)"
	"  SELECT DISTINCT nu.id, x.role FROM nu, unnest($4::text[]) AS x(role) RETURNING role),"
	" na AS (INSERT INTO audit_log (actor_id, action, entity_type, entity_id, after, user_agent)"
	"  SELECT NULL, 'user.create', 'user', nu.id::text, jsonb_build_object('email', nu.email,"
	"   'handle', nu.handle, 'status', 'active', 'roles', (SELECT coalesce(jsonb_agg(DISTINCT"
	"   x.role), '[]'::jsonb) FROM unnest($4::text[]) AS x(role)), 'via', 'soukctl'),"
	"   'soukctl' FROM nu)"
	" SELECT id FROM nu";

int
admin_db_create_user(db_t *db, const char *email, const char *handle, const char *hash,
    const char *roles, long long *id)
{
	PGresult *res;
	const char *p[4] = { email, handle, hash, roles };
	int rc;

	*id = 0;
	if ((rc = db_exec(db, &res, CREATE_USER_SQL, 4, p)) != DB_OK)
		return rc;
	if (PQntuples(res) == 1)
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return *id > 0 ? DB_OK : DB_ERROR;
}
