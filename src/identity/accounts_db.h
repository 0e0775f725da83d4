/*
 * accounts_db.h - the queries of accounts.c: users (sql/0001, 0005),
 * user_roles (0003) and email_tokens (0005).  SQL and nothing else.
 *
 * Common rules:
 *  - Strings handed back are copied into the arena @a passed in (freed with
 *    the request); strings passed in are only read during the call.
 *  - Returns DB_OK, DB_ENOROW (where said), DB_ERROR or DB_EDOWN (see
 *    db/db.h).  Functions that write run inside the caller's transaction
 *    when one is open: on DB_ERROR the transaction is aborted and the
 *    caller must roll back.
 */
#ifndef SOUK_IDENTITY_ACCOUNTS_DB_H
#define SOUK_IDENTITY_ACCOUNTS_DB_H

#include <jansson.h>

#include "core/arena.h"
#include "db/db.h"

/* One account, as log in and the account pages need it. */
struct account {
	long long id;
	const char *email;
	const char *handle;
	const char *password_hash;	/* NULL: no password set (cannot log in) */
	const char *status;		/* "active", "suspended" or "deleted" */
	const char *lang;		/* "en" or "zh-CN" */
	int verified;			/* 1 when email_verified_at is set */
	long lock_seconds;		/* > 0: locked for this many more seconds */
	unsigned roles;			/* ROLE_BIT() mask, ROLE_BUYER always included */
};

/* What accounts_db_token_state() found for a token hash. */
enum token_state {
	TOKEN_UNKNOWN = 0,	/* no such token for that purpose */
	TOKEN_VALID,		/* unused and not expired */
	TOKEN_USED,		/* used already */
	TOKEN_EXPIRED,		/* unused but past expires_at */
};

/* The account an insert collided with (accounts_db_create). */
enum account_conflict {
	CONFLICT_NONE = 0,
	CONFLICT_EMAIL,		/* users_email_lower_key */
	CONFLICT_HANDLE,	/* users_handle_key */
};

/*
 * accounts_db_find - one account by e-mail (@by "email", compared without
 * case), by handle (@by "handle", exact) or by id (@by "id", decimal).
 * @out: filled on DB_OK (strings in @a).
 * Returns: DB_OK, DB_ENOROW (no such account), DB_ERROR or DB_EDOWN.
 */
int accounts_db_find(db_t *db, arena_t *a, const char *by, const char *value,
    struct account *out);

/*
 * accounts_db_taken - whether an account already uses @email (any case)
 * and whether one uses @handle.
 * @email_taken, @handle_taken: receive 1 or 0.
 */
int accounts_db_taken(db_t *db, const char *email, const char *handle, int *email_taken,
    int *handle_taken);

/*
 * accounts_db_create - insert an active, unverified account.
 * @hash: argon2id string (password.h); @lang: "en" or "zh-CN".
 * @id: receives the new users.id on DB_OK.
 * @conflict: receives CONFLICT_EMAIL or CONFLICT_HANDLE when the insert
 *	hit a unique index (DB_ERROR, SQLSTATE 23505), else CONFLICT_NONE.
 */
int accounts_db_create(db_t *db, const char *email, const char *handle, const char *hash,
    const char *lang, long long *id, enum account_conflict *conflict);

/*
 * accounts_db_token_add - store a token (its SHA-256 in hex, @hash_hex)
 * for @user_id, @purpose "verify" or "reset", mailed to @email, valid
 * for @ttl seconds from now.
 */
int accounts_db_token_add(db_t *db, long long user_id, const char *purpose,
    const char *hash_hex, const char *email, long ttl);

/*
 * accounts_db_token_expire - end every live @purpose token of @user_id
 * (sent links stop working; used ones stay as they are).
 */
int accounts_db_token_expire(db_t *db, long long user_id, const char *purpose);

/*
 * accounts_db_token_state - look a token up without using it.
 * @state: receives an enum token_state.
 * @user_id: receives the owner (0 for TOKEN_UNKNOWN).
 * Returns: DB_OK (also for TOKEN_UNKNOWN), DB_ERROR or DB_EDOWN.
 */
int accounts_db_token_state(db_t *db, const char *hash_hex, const char *purpose,
    enum token_state *state, long long *user_id);

/*
 * accounts_db_token_use - mark a valid token used, atomically: of two
 * concurrent uses only one succeeds.
 * @user_id, @email: receive the owner and the address the link went to
 *	(@email in @a).
 * Returns: DB_OK; DB_ENOROW when the token is unknown, used or expired;
 * DB_ERROR or DB_EDOWN.
 */
int accounts_db_token_use(db_t *db, arena_t *a, const char *hash_hex, const char *purpose,
    long long *user_id, char **email);

/*
 * accounts_db_mark_verified - record that @user_id proved @email (kept
 * when already set).  Returns DB_ENOROW when the account's address is no
 * longer @email.
 */
int accounts_db_mark_verified(db_t *db, long long user_id, const char *email);

/*
 * accounts_db_login_failed - count one wrong password.  On the
 * @max_failures-th failure in a row the account is locked for
 * @lock_seconds and the counter starts again from 0.
 * @locked_now: receives 1 when this failure locked the account.
 */
int accounts_db_login_failed(db_t *db, long long user_id, int max_failures, long lock_seconds,
    int *locked_now);

/*
 * accounts_db_login_ok - a successful log in: clear the failure counter
 * and the lock, stamp last_login_at, and store @new_hash when not NULL
 * (a rehash with the current limits).
 */
int accounts_db_login_ok(db_t *db, long long user_id, const char *new_hash);

/*
 * accounts_db_set_password - store a new password hash, stamp
 * password_changed_at, clear failures and lock.  When @proved_email is
 * not NULL (a reset link that went to it) and still is the account's
 * address, the address counts as verified too.
 */
int accounts_db_set_password(db_t *db, long long user_id, const char *hash,
    const char *proved_email);

/*
 * accounts_db_settings - the account page's view model:
 * {account: {id, email, handle, verified: bool, member_since: "2025-03-01",
 *            password_changed: "2025-03-01" | null, last_login: "2025-03-01 14:05 UTC" | null,
 *            lang}}
 * @out: new reference (caller json_decref) on DB_OK.
 * Returns: DB_OK, DB_ENOROW, DB_ERROR or DB_EDOWN.
 */
int accounts_db_settings(db_t *db, long long user_id, json_t **out);

#endif
