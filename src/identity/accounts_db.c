/*
 * accounts_db.c - account queries (see accounts_db.h): SQL and nothing else.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/accounts_db.h"
#include "identity/session.h"

/* The columns of struct account, in the order row_account() reads them. */
#define ACCOUNT_COLS \
	"SELECT u.id, u.email, u.handle, u.password_hash, u.status, u.lang," \
	" u.email_verified_at IS NOT NULL," \
	" CASE WHEN u.locked_until > now()" \
	"  THEN ceil(extract(epoch FROM u.locked_until - now()))::bigint ELSE 0 END," \
	" coalesce((SELECT string_agg(r.role, ',') FROM user_roles r WHERE r.user_id = u.id), '')" \
	" FROM users u "

static const char sql_find_email[] = ACCOUNT_COLS "WHERE lower(u.email) = lower($1)";
static const char sql_find_handle[] = ACCOUNT_COLS "WHERE u.handle = $1";
static const char sql_find_id[] = ACCOUNT_COLS "WHERE u.id = $1::bigint";

static const char *
col(arena_t *a, PGresult *r, int c)
{
	if (PQgetisnull(r, 0, c))
		return NULL;
	return arena_strndup(a, PQgetvalue(r, 0, c), (size_t)PQgetlength(r, 0, c));
}

/* "SELLER,ADMIN" into a role mask (unknown names are ignored), plus BUYER. */
static unsigned
roles_mask(const char *list)
{
	unsigned mask = ROLE_BIT(ROLE_BUYER);
	char name[32];
	size_t n;
	int r;

	while (list != NULL && *list != '\0') {
		n = strcspn(list, ",");
		if (n < sizeof(name)) {
			memcpy(name, list, n);
			name[n] = '\0';
			if ((r = role_parse(name)) > ROLE_ANON)
				mask |= ROLE_BIT(r);
		}
		list += n;
		if (*list == ',')
			list++;
	}
	return mask;
}

int
accounts_db_find(db_t *db, arena_t *a, const char *by, const char *value, struct account *out)
{
	const char *sql;
	PGresult *r;
	int rc;

	if (strcmp(by, "email") == 0)
		sql = sql_find_email;
	else if (strcmp(by, "handle") == 0)
		sql = sql_find_handle;
	else
		sql = sql_find_id;
	if ((rc = db_exec(db, &r, sql, 1, (const char *[]){ value })) != DB_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return DB_ENOROW;
	}
	memset(out, 0, sizeof(*out));
	out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	out->email = col(a, r, 1);
	out->handle = col(a, r, 2);
	out->password_hash = col(a, r, 3);
	out->status = col(a, r, 4);
	out->lang = col(a, r, 5);
	out->verified = PQgetvalue(r, 0, 6)[0] == 't';
	out->lock_seconds = strtol(PQgetvalue(r, 0, 7), NULL, 10);
	out->roles = roles_mask(PQgetvalue(r, 0, 8));
	PQclear(r);
	return DB_OK;
}

int
accounts_db_taken(db_t *db, const char *email, const char *handle, int *email_taken,
    int *handle_taken)
{
	PGresult *r;
	int rc;

	*email_taken = *handle_taken = 0;
	rc = db_exec(db, &r,
	    "SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1)),"
	    " EXISTS (SELECT 1 FROM users WHERE handle = $2)", 2,
	    (const char *[]){ email, handle });
	if (rc != DB_OK)
		return rc;
	*email_taken = PQgetvalue(r, 0, 0)[0] == 't';
	*handle_taken = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	return DB_OK;
}

int
accounts_db_create(db_t *db, const char *email, const char *handle, const char *hash,
    const char *lang, long long *id, enum account_conflict *conflict)
{
	PGresult *r;
	int rc;

	*conflict = CONFLICT_NONE;
	*id = 0;
	rc = db_exec(db, &r,
	    "INSERT INTO users (email, handle, password_hash, status, lang, password_changed_at)"
	    " VALUES ($1, $2, $3, 'active', $4, now()) RETURNING id", 4,
	    (const char *[]){ email, handle, hash, lang });
	if (rc == DB_ERROR && strcmp(db_sqlstate(db), "23505") == 0)
		*conflict = strstr(db_errmsg(db), "users_handle_key") != NULL ?
		    CONFLICT_HANDLE : CONFLICT_EMAIL;
	if (rc != DB_OK)
		return rc;
	*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return DB_OK;
}

int
accounts_db_token_add(db_t *db, long long user_id, const char *purpose, const char *hash_hex,
    const char *email, long ttl)
{
	char uid[24], secs[24];

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(secs, sizeof(secs), "%ld", ttl);
	return db_exec(db, NULL,
	    "INSERT INTO email_tokens (user_id, purpose, token_hash, email, expires_at)"
	    " VALUES ($1::bigint, $2, $3, $4, now() + $5::int * interval '1 second')", 5,
	    (const char *[]){ uid, purpose, hash_hex, email, secs });
}

int
accounts_db_token_expire(db_t *db, long long user_id, const char *purpose)
{
	char uid[24];

	snprintf(uid, sizeof(uid), "%lld", user_id);
	return db_exec(db, NULL,
	    "UPDATE email_tokens SET expires_at = now()"
	    " WHERE user_id = $1::bigint AND purpose = $2 AND used_at IS NULL"
	    " AND expires_at > now()", 2, (const char *[]){ uid, purpose });
}

int
accounts_db_token_state(db_t *db, const char *hash_hex, const char *purpose,
    enum token_state *state, long long *user_id)
{
	PGresult *r;
	int rc;

	*state = TOKEN_UNKNOWN;
	*user_id = 0;
	rc = db_exec(db, &r,
	    "SELECT user_id, used_at IS NOT NULL, expires_at <= now()"
	    " FROM email_tokens WHERE token_hash = $1 AND purpose = $2", 2,
	    (const char *[]){ hash_hex, purpose });
	if (rc != DB_OK)
		return rc;
	if (PQntuples(r) == 1) {
		*user_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		if (PQgetvalue(r, 0, 1)[0] == 't')
			*state = TOKEN_USED;
		else if (PQgetvalue(r, 0, 2)[0] == 't')
			*state = TOKEN_EXPIRED;
		else
			*state = TOKEN_VALID;
	}
	PQclear(r);
	return DB_OK;
}

int
accounts_db_token_use(db_t *db, arena_t *a, const char *hash_hex, const char *purpose,
    long long *user_id, char **email)
{
	PGresult *r;
	int rc;

	*user_id = 0;
	*email = NULL;
	rc = db_exec(db, &r,
	    "UPDATE email_tokens SET used_at = now()"
	    " WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()"
	    " RETURNING user_id, email", 2, (const char *[]){ hash_hex, purpose });
	if (rc != DB_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return DB_ENOROW;
	}
	*user_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	*email = arena_strdup(a, PQgetvalue(r, 0, 1));
	PQclear(r);
	return DB_OK;
}

int
accounts_db_mark_verified(db_t *db, long long user_id, const char *email)
{
	PGresult *r;
	char uid[24];
	int rc, n;

	snprintf(uid, sizeof(uid), "%lld", user_id);
	rc = db_exec(db, &r,
	    "UPDATE users SET email_verified_at = coalesce(email_verified_at, now())"
	    " WHERE id = $1::bigint AND lower(email) = lower($2) RETURNING id", 2,
	    (const char *[]){ uid, email });
	if (rc != DB_OK)
		return rc;
	n = PQntuples(r);
	PQclear(r);
	return n == 1 ? DB_OK : DB_ENOROW;
}

int
accounts_db_login_failed(db_t *db, long long user_id, int max_failures, long lock_seconds,
    int *locked_now)
{
	PGresult *r;
	char uid[24], max[16], secs[24];
	int rc;

	*locked_now = 0;
	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(max, sizeof(max), "%d", max_failures);
	snprintf(secs, sizeof(secs), "%ld", lock_seconds);
	/*
	 * now() is the start of the transaction, so the lock set by this
	 * statement is exactly now() + the lock time: that is how RETURNING
	 * tells "locked by this failure" from an older lock.
	 */
	rc = db_exec(db, &r,
	    "UPDATE users SET"
	    " failed_logins = CASE WHEN failed_logins + 1 >= $2::int THEN 0"
	    "  ELSE failed_logins + 1 END,"
	    " locked_until = CASE WHEN failed_logins + 1 >= $2::int"
	    "  THEN now() + $3::int * interval '1 second' ELSE locked_until END"
	    " WHERE id = $1::bigint"
	    " RETURNING coalesce(locked_until = now() + $3::int * interval '1 second', false)", 3,
	    (const char *[]){ uid, max, secs });
	if (rc != DB_OK)
		return rc;
	if (PQntuples(r) == 1)
		*locked_now = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return DB_OK;
}

int
accounts_db_login_ok(db_t *db, long long user_id, const char *new_hash)
{
	char uid[24];

	snprintf(uid, sizeof(uid), "%lld", user_id);
	return db_exec(db, NULL,
	    "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now(),"
	    " password_hash = coalesce($2, password_hash)"
	    " WHERE id = $1::bigint", 2, (const char *[]){ uid, new_hash });
}

int
accounts_db_set_password(db_t *db, long long user_id, const char *hash, const char *proved_email)
{
	char uid[24];

	snprintf(uid, sizeof(uid), "%lld", user_id);
	return db_exec(db, NULL,
	    "UPDATE users SET password_hash = $2, password_changed_at = now(),"
	    " failed_logins = 0, locked_until = NULL,"
	    " email_verified_at = CASE WHEN $3::text IS NOT NULL AND lower(email) = lower($3)"
	    "  THEN coalesce(email_verified_at, now()) ELSE email_verified_at END"
	    " WHERE id = $1::bigint", 3, (const char *[]){ uid, hash, proved_email });
}

int
accounts_db_settings(db_t *db, long long user_id, json_t **out)
{
	char uid[24];

	snprintf(uid, sizeof(uid), "%lld", user_id);
	return db_query_json(db, out,
	    "SELECT json_build_object('account', json_build_object("
	    " 'id', u.id, 'email', u.email, 'handle', u.handle,"
	    " 'verified', u.email_verified_at IS NOT NULL,"
	    " 'member_since', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
	    " 'password_changed', to_char(u.password_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
	    " 'last_login', to_char(u.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC',"
	    " 'lang', u.lang))"
	    " FROM users u WHERE u.id = $1::bigint", 1, (const char *[]){ uid });
}
