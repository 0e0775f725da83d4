/*
 * twofa.h - two-factor authentication: TOTP enrolment, the second step of
 * logging in, recovery codes, and the rule that staff must use it.
 *
 * Secrets follow RFC 6238 (HMAC-SHA1, 30 s steps, 6 digits, +-1 step,
 * each code accepted once); see totp.h for the primitives.  The secret is
 * stored sealed with the server key (src/core/secretbox.h); the ten
 * recovery codes are stored as keyed hashes and each works once.
 * Schema: sql/0008_twofa.sql.
 */
#ifndef SOUK_TWOFA_TWOFA_H
#define SOUK_TWOFA_TWOFA_H

#include "db/db.h"
#include "http/http.h"
#include "http/router.h"

/*
 * twofa_enabled - whether @user_id has confirmed TOTP enrolment.
 * Returns: 1 enabled, 0 not, -1 on a database error (callers treat it as
 * "cannot decide": refuse the protected action with 503).
 */
int twofa_enabled(db_t *db, long long user_id);

/*
 * twofa_begin_login - the password of @user_id was right and 2FA is on:
 * remember a pending log-in (Redis, 5 minutes, keyed by a random token in
 * the souk_2fa cookie) with @handle, @roles and @remember, and redirect
 * (303) to /login/2fa, where a TOTP or recovery code completes it with
 * session_start.  Returns: the response status (303, or 503 when Redis is
 * unreachable, with the error page rendered).
 */
int twofa_begin_login(http_req_t *req, long long user_id, const char *handle, unsigned roles,
    int remember);

/*
 * twofa_staff_gate - for staff pages: when the signed-in user holds a
 * staff role and has no 2FA, redirect (303) to /account/2fa and return
 * the status; otherwise return 0 and let the handler go on.
 */
int twofa_staff_gate(http_req_t *req);

/* The module's routes (/login/2fa, /account/2fa, ...) for src/web/app.c. */
extern const route_t twofa_routes[];
extern const size_t twofa_nroutes;

#endif
