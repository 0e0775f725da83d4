/*
 * accounts.h - accounts and sessions: sign up, e-mail verification, log in
 * and out (also of every device), the account page, password change,
 * "forgot password" and reset.  Handlers for the route table of
 * src/web/app.c; each returns the response status.
 *
 * Every form is one transaction: the account change, its e-mail (a "mail"
 * job, src/jobs/jobs.h) and its audit entry commit or roll back together.
 * Forms that fail validation answer 422 (409 for an e-mail or handle in
 * use) with the form again, the values kept except passwords, and the
 * message next to the field.
 *
 * Throttling (src/kv/ratelimit.h; all windows slide):
 *  - log in: per client address, ACCOUNTS_LOGIN_IP_FAILS failed attempts
 *    per ACCOUNTS_LOGIN_IP_WINDOW (only failures count, so people behind
 *    one address who type their password right are never held up); per
 *    account, ACCOUNTS_LOGIN_ACCT attempts of any outcome per
 *    ACCOUNTS_LOGIN_ACCT_WINDOW.  ACCOUNTS_LOCK_AFTER wrong passwords in a
 *    row lock the account for ACCOUNTS_LOCK_SECONDS and mail the owner.
 *  - sign up: ACCOUNTS_SIGNUP_IP attempts (that pass validation) per
 *    address per ACCOUNTS_SIGNUP_IP_WINDOW.
 *  - forgot password: per address and per e-mail address typed.
 *  - password change and "send the verification mail again": per user.
 * Over a limit: 429 with Retry-After (seconds).  IPv6 clients are counted
 * per /64.
 *
 * Answers are never stored by caches (Cache-Control: no-store): the forms
 * carry per-visitor CSRF tokens.
 */
#ifndef SOUK_IDENTITY_ACCOUNTS_H
#define SOUK_IDENTITY_ACCOUNTS_H

#include <stddef.h>

#include "http/http.h"

#define ACCOUNTS_LOGIN_IP_FAILS		30
#define ACCOUNTS_LOGIN_IP_WINDOW	600
#define ACCOUNTS_LOGIN_ACCT		10
#define ACCOUNTS_LOGIN_ACCT_WINDOW	600
#define ACCOUNTS_LOCK_AFTER		5
#define ACCOUNTS_LOCK_SECONDS		900
#define ACCOUNTS_SIGNUP_IP		30
#define ACCOUNTS_SIGNUP_IP_WINDOW	3600
#define ACCOUNTS_FORGOT_IP		20
#define ACCOUNTS_FORGOT_ACCT		5
#define ACCOUNTS_FORGOT_WINDOW		3600
#define ACCOUNTS_PWCHANGE		10
#define ACCOUNTS_PWCHANGE_WINDOW	600
#define ACCOUNTS_RESEND			5
#define ACCOUNTS_RESEND_WINDOW		3600
#define ACCOUNTS_TOKEN_TTL		3600	/* verification and reset links, seconds */

#define ACCOUNTS_EMAIL_MAX	254	/* bytes (RFC 5321 path limit) */
#define ACCOUNTS_LOCAL_MAX	64	/* bytes before the '@' */
#define ACCOUNTS_HANDLE_MIN	2
#define ACCOUNTS_HANDLE_MAX	32
#define ACCOUNTS_NEXT_MAX	2048	/* bytes of a ?next= path */

#define ACCOUNT_TOKEN_CHARS	43	/* base64url of 32 random bytes, no padding */
#define ACCOUNT_TOKEN_SIZE	(ACCOUNT_TOKEN_CHARS + 1)
#define ACCOUNT_HASH_SIZE	65	/* 64 hex digits of SHA-256 plus the NUL */

/* Why an e-mail address or handle was refused; FIELD_OK is 0. */
enum field_check {
	FIELD_OK = 0,
	FIELD_REQUIRED,		/* empty */
	FIELD_TOO_SHORT,
	FIELD_TOO_LONG,
	FIELD_INVALID,		/* characters or shape */
	FIELD_RESERVED,		/* a handle the site uses for its own pages */
};

/* field_check_code - a stable lower-case name of @c for templates ("too_long"). */
const char *field_check_code(enum field_check c);

/*
 * account_check_email - is @email (already trimmed) an address we accept?
 * At most ACCOUNTS_EMAIL_MAX bytes; printable ASCII without spaces;
 * exactly one '@'; a local part of 1 to ACCOUNTS_LOCAL_MAX bytes without
 * the characters ()<>[]\,;:" and without leading, trailing or double
 * dots; a domain of at least two dot-separated labels of letters, digits
 * and inner hyphens (each 1 to 63 bytes) ending in a label of at least two
 * letters.
 * Returns: FIELD_OK, FIELD_REQUIRED, FIELD_TOO_LONG or FIELD_INVALID.
 */
enum field_check account_check_email(const char *email);

/*
 * account_check_handle - is @handle (already trimmed and lower-cased) a
 * handle we accept?  [a-z0-9_], ACCOUNTS_HANDLE_MIN to ACCOUNTS_HANDLE_MAX
 * bytes, not one of the names the site reserves for its own paths.
 * Returns: FIELD_OK, FIELD_REQUIRED, FIELD_TOO_SHORT, FIELD_TOO_LONG,
 * FIELD_INVALID or FIELD_RESERVED.
 */
enum field_check account_check_handle(const char *handle);

/*
 * account_safe_next - where to send the browser after logging in.
 * @next: the ?next= value (decoded), or NULL.
 * Returns: @next itself when it is a local path: it starts with "/" but
 * not "//" or "/\", has at most ACCOUNTS_NEXT_MAX bytes, and holds only
 * printable ASCII other than the backslash; otherwise "/" (a static string).
 */
const char *account_safe_next(const char *next);

/*
 * account_token_new - a new link token and the hash stored for it.
 * @token: receives ACCOUNT_TOKEN_CHARS base64url characters (256 random
 *	bits) and a NUL.
 * @hash_hex: receives account_token_hash(@token).
 */
void account_token_new(char token[ACCOUNT_TOKEN_SIZE], char hash_hex[ACCOUNT_HASH_SIZE]);

/*
 * account_token_hash - the stored form of a token: lower-case hex of
 * SHA-256 over the token's characters.
 * @token: NUL-terminated; @hash_hex receives 64 hex digits and a NUL.
 */
void account_token_hash(const char *token, char hash_hex[ACCOUNT_HASH_SIZE]);

/*
 * account_token_ok - 1 when @token has the shape account_token_new()
 * makes (exactly ACCOUNT_TOKEN_CHARS characters of [A-Za-z0-9_-]), else 0
 * (NULL included).  Checked before any lookup.
 */
int account_token_ok(const char *token);

/*
 * account_client_key - the part of a client address rate limits count
 * by: an IPv4 address as is, an IPv6 address reduced to its /64 prefix
 * ("2001:db8:1:2::/64"), anything else as given (at most 64 bytes).
 * @addr: REMOTE_ADDR (NULL counts as "-"); @out: @outlen bytes, NUL-terminated.
 */
void account_client_key(const char *addr, char *out, size_t outlen);

/* The module's routes, for src/web/app.c (before the catalog's catch-all). */
extern const route_t accounts_routes[];
extern const size_t accounts_nroutes;

int accounts_signup_form(http_req_t *req);	/* GET /signup */
int accounts_signup(http_req_t *req);		/* POST /signup */
int accounts_verify(http_req_t *req);		/* GET /verify?token= */
int accounts_login_form(http_req_t *req);	/* GET /login?next= */
int accounts_login(http_req_t *req);		/* POST /login */
int accounts_logout(http_req_t *req);		/* POST /logout */
int accounts_settings(http_req_t *req);		/* GET /account */
int accounts_password(http_req_t *req);		/* POST /account/password */
int accounts_resend(http_req_t *req);		/* POST /account/verify */
int accounts_logout_all(http_req_t *req);	/* POST /account/logout-all */
int accounts_forgot_form(http_req_t *req);	/* GET /forgot */
int accounts_forgot(http_req_t *req);		/* POST /forgot */
int accounts_reset_form(http_req_t *req);	/* GET /reset?token= */
int accounts_reset(http_req_t *req);		/* POST /reset */

#endif
