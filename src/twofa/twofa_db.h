/*
 * twofa_db.h - the queries of two-factor authentication (tables user_totp
 * and user_recovery_codes, sql/0008_twofa.sql): SQL and nothing else.
 *
 * Common rules: @user_id is a users.id; strings passed in are only read;
 * strings handed back are copied into the arena @a.  Functions return
 * DB_OK, DB_ENOROW (where said), DB_ERROR or DB_EDOWN (src/db/db.h);
 * errors are logged by the db layer.  Those that change rows are meant to
 * run inside the caller's transaction (db_begin ... db_commit) when they
 * belong with other changes (audit entry, mail job).
 */
#ifndef SOUK_TWOFA_TWOFA_DB_H
#define SOUK_TWOFA_TWOFA_DB_H

#include <jansson.h>

#include "core/arena.h"
#include "db/db.h"

/* How many recovery codes a user gets. */
#define TWOFA_RECOVERY_CODES 10

/*
 * twofa_db_enabled - @enabled receives 1 when @user_id has a confirmed
 * TOTP secret, else 0.
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int twofa_db_enabled(db_t *db, long long user_id, int *enabled);

/*
 * twofa_db_account - the account as it is now, for finishing a log-in
 * begun earlier: @active receives 1 when users.status is 'active', and
 * @roles the granted roles as a mask of 1u << role_t (BUYER included).
 * Returns: DB_OK, DB_ENOROW (no such user), DB_ERROR or DB_EDOWN.
 */
int twofa_db_account(db_t *db, long long user_id, int *active, unsigned *roles);

/*
 * twofa_db_status - the view model of /account/2fa:
 *	{email, handle, enabled: bool, pending: bool,
 *	 enabled_on: "YYYY-MM-DD" | null, recovery_left: N, recovery_total: N}
 * Returns: DB_OK, DB_ENOROW (no such user), DB_ERROR or DB_EDOWN.
 */
int twofa_db_status(db_t *db, long long user_id, json_t **out);

/*
 * twofa_db_set_pending - store @sealed as the user's pending (unconfirmed)
 * secret, replacing an older pending one and resetting last_used_step.
 * Returns: DB_OK; DB_ENOROW when 2FA is already confirmed (nothing
 * changed); DB_ERROR or DB_EDOWN.
 */
int twofa_db_set_pending(db_t *db, long long user_id, const char *sealed);

/*
 * twofa_db_secret - the sealed secret and last_used_step of @user_id's
 * confirmed secret (@confirmed 1) or pending one (@confirmed 0).
 * @sealed: receives the sealed text in @a.
 * Returns: DB_OK, DB_ENOROW (none in that state), DB_ERROR or DB_EDOWN.
 */
int twofa_db_secret(db_t *db, arena_t *a, long long user_id, int confirmed, char **sealed,
    long long *last_used_step);

/*
 * twofa_db_confirm - turn the pending secret on: confirmed_at now() and
 * last_used_step @step, only if it is still pending and @step is later
 * than its last_used_step (one statement, so a race has one winner).
 * Returns: DB_OK, DB_ENOROW (not pending any more, or step not newer),
 * DB_ERROR or DB_EDOWN.
 */
int twofa_db_confirm(db_t *db, long long user_id, long long step);

/*
 * twofa_db_use_step - record that the code of @step was accepted for the
 * confirmed secret of @user_id: last_used_step = @step only where it is
 * lower, so the same code (or an older one) can never be used again.
 * Returns: DB_OK; DB_ENOROW when the step was already used (a replay or a
 * concurrent request won) or 2FA is off; DB_ERROR or DB_EDOWN.
 */
int twofa_db_use_step(db_t *db, long long user_id, long long step);

/*
 * twofa_db_replace_recovery - delete @user_id's recovery codes and store
 * the @n hashes in @hashes (64 lower-case hex digits each).
 * Returns: DB_OK, DB_ERROR or DB_EDOWN.
 */
int twofa_db_replace_recovery(db_t *db, arena_t *a, long long user_id,
    const char *const *hashes, int n);

/*
 * twofa_db_use_recovery - spend the unused recovery code of @user_id whose
 * hash is @hash (used_at now(), WHERE used_at IS NULL), if 2FA is on.
 * @left: if not NULL, receives how many unused codes remain after it.
 * Returns: DB_OK; DB_ENOROW when there is no such unused code; DB_ERROR
 * or DB_EDOWN.
 */
int twofa_db_use_recovery(db_t *db, long long user_id, const char *hash, int *left);

/*
 * twofa_db_disable - delete @user_id's confirmed secret and all recovery
 * codes.
 * Returns: DB_OK, DB_ENOROW (2FA was not on), DB_ERROR or DB_EDOWN.
 */
int twofa_db_disable(db_t *db, long long user_id);

#endif
