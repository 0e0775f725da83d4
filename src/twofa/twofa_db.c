/*
 * twofa_db.c - two-factor queries (see twofa_db.h): SQL and nothing else.
 *
 * Values travel only as text parameters.  Every change that must happen
 * once (confirming, accepting a code's step, spending a recovery code) is a
 * single conditional UPDATE whose WHERE clause states the precondition, so
 * two concurrent requests cannot both succeed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "identity/session.h"
#include "twofa/twofa_db.h"

/* A long long as text in @a. */
static const char *
num(arena_t *a, long long v)
{
	return arena_printf(a, "%lld", v);
}

/*
 * Run a statement that returns at most one row (UPDATE ... RETURNING);
 * @first, if not NULL, receives the first column as a number.
 * Returns: DB_OK (a row), DB_ENOROW (none), DB_ERROR or DB_EDOWN.
 */
static int
one_row(db_t *db, const char *sql, int n, const char *const *p, long long *first)
{
	PGresult *r;
	int rc;

	if ((rc = db_exec(db, &r, sql, n, p)) != DB_OK)
		return rc;
	rc = PQntuples(r) > 0 ? DB_OK : DB_ENOROW;
	if (rc == DB_OK && first != NULL)
		*first = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

int
twofa_db_enabled(db_t *db, long long user_id, int *enabled)
{
	char id[24];
	const char *p[1] = { id };
	PGresult *r;
	int rc;

	*enabled = 0;
	snprintf(id, sizeof(id), "%lld", user_id);
	rc = db_exec(db, &r,
	    "SELECT EXISTS (SELECT 1 FROM user_totp"
	    " WHERE user_id = $1::bigint AND confirmed_at IS NOT NULL)", 1, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(r) == 1)
		*enabled = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return DB_OK;
}

int
twofa_db_account(db_t *db, long long user_id, int *active, unsigned *roles)
{
	char id[24];
	const char *p[1] = { id };
	PGresult *r;
	int rc, role;

	*active = 0;
	*roles = 1u << ROLE_BUYER;
	snprintf(id, sizeof(id), "%lld", user_id);
	rc = db_exec(db, &r,
	    "SELECT u.status = 'active', r.role FROM users u"
	    " LEFT JOIN user_roles r ON r.user_id = u.id WHERE u.id = $1::bigint", 1, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return DB_ENOROW;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		*active = strcmp(PQgetvalue(r, i, 0), "t") == 0;
		if (!PQgetisnull(r, i, 1) && (role = role_parse(PQgetvalue(r, i, 1))) > 0)
			*roles |= 1u << (unsigned)role;
	}
	PQclear(r);
	return DB_OK;
}

int
twofa_db_status(db_t *db, long long user_id, json_t **out)
{
	char id[24];
	const char *p[1] = { id };

	snprintf(id, sizeof(id), "%lld", user_id);
	return db_query_json(db, out,
	    "SELECT json_build_object("
	    " 'email', u.email, 'handle', u.handle,"
	    " 'enabled', t.confirmed_at IS NOT NULL,"
	    " 'pending', t.user_id IS NOT NULL AND t.confirmed_at IS NULL,"
	    " 'enabled_on', to_char(t.confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
	    " 'recovery_left', (SELECT count(*) FROM user_recovery_codes rc"
	    "  WHERE rc.user_id = u.id AND rc.used_at IS NULL),"
	    " 'recovery_total', (SELECT count(*) FROM user_recovery_codes rc"
	    "  WHERE rc.user_id = u.id))"
	    " FROM users u LEFT JOIN user_totp t ON t.user_id = u.id"
	    " WHERE u.id = $1::bigint", 1, p);
}

int
twofa_db_set_pending(db_t *db, long long user_id, const char *sealed)
{
	char id[24];
	const char *p[2] = { id, sealed };

	snprintf(id, sizeof(id), "%lld", user_id);
	return one_row(db,
	    "INSERT INTO user_totp (user_id, secret_sealed) VALUES ($1::bigint, $2)"
	    " ON CONFLICT (user_id) DO UPDATE"
	    " SET secret_sealed = EXCLUDED.secret_sealed, last_used_step = -1,"
	    "  created_at = now()"
	    " WHERE user_totp.confirmed_at IS NULL"
	    " RETURNING user_id", 2, p, NULL);
}

int
twofa_db_secret(db_t *db, arena_t *a, long long user_id, int confirmed, char **sealed,
    long long *last_used_step)
{
	char id[24];
	const char *p[2] = { id, confirmed ? "t" : "f" };
	PGresult *r;
	int rc;

	*sealed = NULL;
	*last_used_step = -1;
	snprintf(id, sizeof(id), "%lld", user_id);
	rc = db_exec(db, &r,
	    "SELECT secret_sealed, last_used_step FROM user_totp"
	    " WHERE user_id = $1::bigint AND (confirmed_at IS NOT NULL) = $2::boolean", 2, p);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return DB_ENOROW;
	}
	*sealed = arena_strdup(a, PQgetvalue(r, 0, 0));
	*last_used_step = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return DB_OK;
}


int
twofa_db_confirm(db_t *db, long long user_id, long long step)
{
	char id[24], st[24];
	const char *p[2] = { id, st };

	snprintf(id, sizeof(id), "%lld", user_id);
	snprintf(st, sizeof(st), "%lld", step);
	return one_row(db,
	    "UPDATE user_totp SET confirmed_at = now(), last_used_step = $2::bigint"
	    " WHERE user_id = $1::bigint AND confirmed_at IS NULL"
	    " AND last_used_step < $2::bigint RETURNING user_id", 2, p, NULL);
}

int
twofa_db_use_step(db_t *db, long long user_id, long long step)
{
	char id[24], st[24];
	const char *p[2] = { id, st };

	snprintf(id, sizeof(id), "%lld", user_id);
	snprintf(st, sizeof(st), "%lld", step);
	return one_row(db,
	    "UPDATE user_totp SET last_used_step = $2::bigint"
	    " WHERE user_id = $1::bigint AND confirmed_at IS NOT NULL"
	    " AND last_used_step < $2::bigint RETURNING user_id", 2, p, NULL);
}

int
twofa_db_replace_recovery(db_t *db, arena_t *a, long long user_id,
    const char *const *hashes, int n)
{
	const char *p[2];
	buf_t arr;
	int rc;

	/* A text[] literal; the hashes are hex digits, so nothing needs quoting. */
	buf_init(&arr, a);
	buf_putc(&arr, '{');
	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&arr, ',');
		buf_puts(&arr, hashes[i]);
	}
	buf_putc(&arr, '}');
	p[0] = num(a, user_id);
	p[1] = buf_cstr(&arr);
	rc = db_exec(db, NULL, "DELETE FROM user_recovery_codes WHERE user_id = $1::bigint", 1, p);
	if (rc != DB_OK)
		return rc;
	return db_exec(db, NULL,
	    "INSERT INTO user_recovery_codes (user_id, code_hash)"
	    " SELECT $1::bigint, h FROM unnest($2::text[]) AS h", 2, p);
}

int
twofa_db_use_recovery(db_t *db, long long user_id, const char *hash, int *left)
{
	char id[24];
	const char *p[2] = { id, hash };
	long long n = 0;
	int rc;

	snprintf(id, sizeof(id), "%lld", user_id);
	rc = one_row(db,
	    "WITH u AS (UPDATE user_recovery_codes SET used_at = now()"
	    "  WHERE user_id = $1::bigint AND code_hash = $2 AND used_at IS NULL"
	    "  AND EXISTS (SELECT 1 FROM user_totp t"
	    "   WHERE t.user_id = $1::bigint AND t.confirmed_at IS NOT NULL)"
	    "  RETURNING id)"
	    " SELECT (SELECT count(*) FROM user_recovery_codes rc"
	    "  WHERE rc.user_id = $1::bigint AND rc.used_at IS NULL"
	    "  AND rc.id NOT IN (SELECT id FROM u)) FROM u", 2, p, &n);
	if (rc == DB_OK && left != NULL)
		*left = (int)n;
	return rc;
}

int
twofa_db_disable(db_t *db, long long user_id)
{
	char id[24];
	const char *p[1] = { id };
	int rc;

	snprintf(id, sizeof(id), "%lld", user_id);
	rc = db_exec(db, NULL, "DELETE FROM user_recovery_codes WHERE user_id = $1::bigint", 1, p);
	if (rc != DB_OK)
		return rc;
	return one_row(db,
	    "DELETE FROM user_totp WHERE user_id = $1::bigint AND confirmed_at IS NOT NULL"
	    " RETURNING user_id", 1, p, NULL);
}
