/*
 * session.h - sessions in Redis, session cookies and CSRF tokens.
 *
 * The cookie souk_sess holds a 256-bit random token (base64url, 43
 * characters).  Redis keeps the hash sess:<hex sha256(token)> with the
 * fields uid, handle, roles (bit mask of 1 << role_t), csrf (hex, 32 random
 * bytes), created, seen, abs_exp (Unix seconds) and remember (0/1); its
 * TTL is the idle limit (2 h) capped by the absolute limit (30 d with
 * "remember me", else 12 h).  The set usess:<uid> lists the user's
 * session keys, so every session of a user can be ended at once (log
 * out of all devices, password change, suspension, role change).
 *
 * CSRF: a signed-in form carries hex(HMAC-SHA-256(csrf secret,
 * "souk-csrf-v1")) (crypto_auth_hmacsha256); an anonymous form (log in,
 * sign up) carries the value of the souk_csrf cookie, set when the form
 * is shown (double submit).  Both are compared in constant time.
 */
#ifndef SOUK_IDENTITY_SESSION_H
#define SOUK_IDENTITY_SESSION_H

#include "http/http.h"

#define SESSION_IDLE_SECONDS	(2 * 3600)
#define SESSION_ABS_SECONDS	(12 * 3600)
#define SESSION_REMEMBER_SECONDS (30 * 24 * 3600)
#define SESSION_COOKIE		"souk_sess"
#define CSRF_COOKIE		"souk_csrf"
#define CSRF_FIELD		"csrf"

/* A loaded session (req->session). */
struct session {
	char key[70];		/* "sess:" + 64 hex digits */
	long long user_id;
	char handle[33];	/* the user's handle, for the page header */
	unsigned roles;		/* bit mask of 1u << role_t */
	char csrf_secret[65];	/* hex */
	long long created, seen, abs_exp;	/* Unix seconds */
	int remember;
};

/* role_bit - the bit of @r in a role mask. */
#define ROLE_BIT(r) (1u << (unsigned)(r))

/*
 * session_load - find the session named by the request's souk_sess cookie
 * and, when it is valid, set req->session, req->user_id, req->roles and
 * req->role (the highest role) and slide its idle expiry.  A forged,
 * expired or unknown cookie leaves the request anonymous.
 * Returns: 0; -1 when Redis is unreachable (the request stays anonymous).
 */
int session_load(http_req_t *req);

/*
 * session_start - sign @user_id (whose handle is @handle, at most 32
 * bytes) in with @roles: a new token (the old
 * session of this request, if any, is ended: rotation), the Redis hash
 * and the user's set, and the Set-Cookie header (Max-Age only with
 * @remember).  Sets req->session and the user fields.
 * Returns: 0, or -1 when Redis is unreachable (nothing is signed in).
 */
int session_start(http_req_t *req, long long user_id, const char *handle, unsigned roles,
    int remember);

/*
 * session_end - end the request's session (if any) and expire the cookie.
 * Returns: 0, or -1 when Redis is unreachable.
 */
int session_end(http_req_t *req);

/*
 * session_end_all - end every session of @user_id, except the request's
 * own when @keep_current is 1 and it belongs to that user.
 * Returns: the number of sessions ended, or -1 when Redis is unreachable.
 */
int session_end_all(http_req_t *req, long long user_id, int keep_current);

/*
 * session_count - the number of live sessions of @user_id (for the admin
 * console); -1 when Redis is unreachable.
 */
int session_count(http_req_t *req, long long user_id);

/*
 * csrf_token - the token a form of this request must carry, in the arena.
 * For an anonymous request without a souk_csrf cookie one is created and
 * a Set-Cookie header added.
 */
const char *csrf_token(http_req_t *req);

/*
 * csrf_check - compare the form field "csrf" (req->form must be read)
 * with the expected token in constant time.
 * Returns: 0 when it matches, -1 otherwise.
 */
int csrf_check(http_req_t *req);

/* roles_highest - the highest role in a mask (ROLE_BUYER for a signed-in user without others). */
role_t roles_highest(unsigned roles);

/* role_name / role_parse - "SUPER_ADMIN" <-> ROLE_SUPER_ADMIN; parse returns -1 for unknown. */
const char *role_name(role_t r);
int role_parse(const char *name);

#endif
