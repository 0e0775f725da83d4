/*
 * sellers.h - "Become a seller": the onboarding steps (profile, payout
 * details, identity verification), the seller dashboard, and the staff
 * queue of identity verifications.
 *
 * Routes (sellers_routes, joined into the table of src/web/app.c):
 *
 *	GET  /seller                          dashboard (sellers; others are sent to onboarding)
 *	GET  /seller/onboarding               the first step not done yet
 *	GET  /seller/onboarding/profile       step 1 form
 *	POST /seller/onboarding/profile
 *	GET  /seller/onboarding/payout        step 2 form
 *	POST /seller/onboarding/payout
 *	GET  /seller/onboarding/identity      step 3: status, "submit for verification"
 *	POST /seller/onboarding/identity
 *	GET  /admin/verifications             staff: pending requests
 *	POST /admin/verifications/{id:int}    staff: verified, or rejected with a reason
 *
 * When steps 1 and 2 are both done the SELLER role is granted in the same
 * transaction as the form that completed them, audited as "role.grant"
 * with the user as actor, and the session is started again with the new
 * roles (session_start: a new token, the old one ends).
 *
 * Payout details are sealed with the server key (src/core/secretbox.h)
 * before they reach the database and are only ever shown masked; the
 * masking happens here, in C, after opening.
 *
 * Schema: sql/0007_seller_onboarding.sql.  Queries: sellers_db.c (SQL
 * only).  Templates: templates/seller/.
 */
#ifndef SOUK_SELLERS_SELLERS_H
#define SOUK_SELLERS_SELLERS_H

#include <stddef.h>

#include <jansson.h>

#include "core/arena.h"
#include "db/db.h"
#include "http/http.h"

/* The module's routes, for src/web/app.c (literal paths only; put before the catalog). */
extern const route_t sellers_routes[];
extern const size_t sellers_nroutes;

/* ==== limits (characters are Unicode code points) ==== */

#define SELLER_NAME_MAX		60	/* display name */
#define SELLER_HEADLINE_MAX	120
#define SELLER_BIO_MAX		2000
#define SELLER_SKILLS_MAX	15	/* skills in the list */
#define SELLER_SKILL_MAX	40	/* characters of one skill */
#define SELLER_LANGS_MAX	5	/* language rows of the form */
#define SELLER_LINKS_MAX	5	/* portfolio links */
#define SELLER_URL_MAX		300	/* bytes of one portfolio link */
#define SELLER_HOLDER_MAX	100	/* bank account holder */
#define SELLER_EMAIL_MAX	254
#define SELLER_REASON_MAX	500	/* staff's reason for a rejection */

/* ==== validation and masking: pure functions, no I/O (unit tested) ==== */

/*
 * seller_utf8_chars - the number of code points in @s.
 * @s: NUL-terminated, valid UTF-8 (as every decoded form value is).
 * Returns: the count (continuation bytes are not counted).
 */
size_t seller_utf8_chars(const char *s);

/*
 * seller_clean_text - trim spaces, tabs and line breaks at both ends of
 * @s and check it for control characters.
 * @a: arena for the result.
 * @s: NUL-terminated UTF-8 input (NULL counts as "").
 * @multiline: non-zero to allow line breaks inside (CR LF and lone CR
 *	become LF) and tabs; zero to allow neither.
 * @out: receives the cleaned copy (in @a), or NULL on failure.
 * Returns: 0, or -1 when @s holds a control character that is not allowed
 * (any C0 control other than LF/CR/TAB when multiline, any at all
 * otherwise, and DEL).
 */
int seller_clean_text(arena_t *a, const char *s, int multiline, const char **out);

/*
 * seller_https_url_ok - whether @url is an acceptable portfolio link:
 * "https://" (lower case) then a host of dot-separated labels (at least
 * two; letters, digits and inner hyphens, at most 63 bytes each), an
 * optional :port (1..65535), then optionally a path, query or fragment of
 * printable ASCII without spaces, quotes, '<', '>', '\', '^', '`', '{',
 * '|', '}' and with valid %XX escapes.  No user-info ('@' before the
 * host), at most SELLER_URL_MAX bytes.  NULL is not ok.
 * Returns: 1 if acceptable, 0 if not.
 */
int seller_https_url_ok(const char *url);

/*
 * seller_email_ok - a deliberately plain e-mail check: one '@', a local
 * part of 1..64 printable ASCII characters other than spaces, quotes,
 * '<', '>', '(', ')', ',', ';', ':', '\' and '@', a domain of at least two
 * dot-separated labels as for URLs, at most SELLER_EMAIL_MAX bytes.
 * Returns: 1 if acceptable, 0 if not (also for NULL).
 */
int seller_email_ok(const char *s);

/*
 * seller_digits - @s without spaces and hyphens, if what remains is
 * between @min and @max ASCII digits.
 * @a: arena for the result.
 * Returns: the digits (in @a), or NULL when @s is NULL, holds anything
 * else, or has too few or too many digits.
 */
const char *seller_digits(arena_t *a, const char *s, size_t min, size_t max);

/*
 * seller_cn_mobile - normalise a Chinese mobile number written as
 * "+86 1xx xxxx xxxx" (spaces and hyphens allowed between digits).
 * @a: arena for the result.
 * Returns: "+861" followed by ten digits (in @a), or NULL when @s is not
 * such a number (the +86 prefix is required).
 */
const char *seller_cn_mobile(arena_t *a, const char *s);

/*
 * seller_timezone_ok - whether @tz is one of the IANA names offered by the
 * form (seller_timezones).
 * Returns: 1 or 0 (0 for NULL).
 */
int seller_timezone_ok(const char *tz);

/*
 * seller_timezones - the curated list of IANA time-zone names the profile
 * form offers, NULL-terminated, static.
 */
const char *const *seller_timezones(void);

/*
 * seller_bank_label - the display name of a South African bank code of the
 * payout form ("fnb" -> "First National Bank (FNB)").
 * Returns: a static string, or NULL for an unknown code (or NULL).
 */
const char *seller_bank_label(const char *code);

/* Why seller_parse_skills refused a list. */
enum {
	SELLER_SKILLS_OK = 0,
	SELLER_SKILLS_TOO_MANY = -1,	/* more than SELLER_SKILLS_MAX distinct skills */
	SELLER_SKILLS_TOO_LONG = -2,	/* one skill longer than SELLER_SKILL_MAX characters */
	SELLER_SKILLS_BAD_CHAR = -3	/* a control character */
};

/*
 * seller_parse_skills - split a comma-separated list of skills ("," or the
 * full-width "，"), trimming each and dropping empty ones and repeats
 * (ASCII case-insensitive; the first spelling is kept).
 * @a: arena for the result.
 * @s: the field as typed (NULL counts as "").
 * @out: receives a new JSON array of strings (caller json_decref) on
 *	SELLER_SKILLS_OK, else NULL.
 * Returns: one of the SELLER_SKILLS_* values.
 */
int seller_parse_skills(arena_t *a, const char *s, json_t **out);

/*
 * seller_mask_tail - "•••• " followed by the last @keep characters of the
 * ASCII string @s ("62123456789", 4 -> "•••• 6789"); a string of @keep
 * characters or fewer gives "••••" alone.
 * @a: arena for the result.
 * Returns: the masked text (in @a); "" for NULL.
 */
const char *seller_mask_tail(arena_t *a, const char *s, size_t keep);

/*
 * seller_mask_email - keep the first character of the local part and the
 * domain: "jane.doe@example.com" -> "j•••@example.com".
 * @a: arena for the result.
 * Returns: the masked text (in @a); "•••" for NULL or a string without
 * '@' (never the input).
 */
const char *seller_mask_email(arena_t *a, const char *s);

/*
 * seller_mask_name - the initial of every word followed by "•••":
 * "Jane van Wyk" -> "J••• v••• W•••" (UTF-8 aware: "王伟" -> "王•••").
 * @a: arena for the result.
 * Returns: the masked text (in @a); "" for NULL.
 */
const char *seller_mask_name(arena_t *a, const char *s);

/*
 * seller_mask_alipay - an Alipay account for display: an e-mail address
 * as seller_mask_email, a mobile number as "+86 •••• 5678".
 * @a: arena for the result.
 * Returns: the masked text (in @a).
 */
const char *seller_mask_alipay(arena_t *a, const char *s);

/* ==== identity verification, for the admin console ==== */

/*
 * sellers_verification_review - staff decision on a pending request, in
 * one transaction with its audit entry ("seller.verification", actor
 * req->user_id, entity user/<@seller_id>, before/after status).
 * @req: a staff request (the caller has checked the role and 2FA).
 * @seller_id: the seller whose request is decided.
 * @verified: 1 for verified, 0 for rejected.
 * @reason: required (non-empty, at most SELLER_REASON_MAX characters) when
 *	rejected; ignored when verified.
 * Returns: DB_OK; DB_ENOROW when the seller has no pending request (or is
 * the reviewer); DB_ERROR (also for a missing or overlong reason) or
 * DB_EDOWN.  Nothing is written unless DB_OK.
 */
int sellers_verification_review(http_req_t *req, long long seller_id, int verified,
    const char *reason);

/* ==== queries (sellers_db.c: SQL only) ====
 *
 * Common rules: @lang is "en" or "zh-CN" (names of countries and
 * languages); JSON results are new references for the caller
 * (json_decref) on DB_OK only; strings passed in are only read during the
 * call; each returns DB_OK, DB_ENOROW where said, DB_ERROR or DB_EDOWN.
 */

/*
 * sellers_db_state - all a seller page needs about @user_id:
 *   {handle, is_seller: bool, profile_done: bool,
 *    profile: {display_name, headline, bio, skills: [..],
 *              languages: [{code, level}], country, country_name, timezone} | null,
 *    portfolio_links: [..],
 *    payout: {method, sealed, updated: "YYYY-MM-DD"} | null,
 *    verification: {status: "none"|"pending"|"verified"|"rejected", reason,
 *                   submitted: "YYYY-MM-DD", reviewed: "YYYY-MM-DD"}}
 * payout.sealed is the sealed text: the handler opens it and must remove it
 * from the context before rendering.
 * Returns: DB_ENOROW when the account does not exist or is not active.
 */
int sellers_db_state(db_t *db, long long user_id, const char *lang, json_t **out);

/*
 * sellers_db_reference - the choices of the profile form:
 *   {countries: [{code, name}], languages: [{code, name, name_en}]}
 * sorted by name in @lang.
 */
int sellers_db_reference(db_t *db, const char *lang, json_t **out);

/*
 * sellers_db_save_profile - create or replace the profile of @user_id and
 * mark step 1 done, in one statement.
 * @skills: JSON array text of strings; @languages: JSON array text of
 *	{code, name, level}; @links: JSON array text of URLs.
 * @country, @timezone: validated values.
 */
int sellers_db_save_profile(db_t *db, long long user_id, const char *display_name,
    const char *headline, const char *bio, const char *skills, const char *languages,
    const char *country, const char *timezone, const char *links);

/*
 * sellers_db_save_payout - create or replace the payout details of
 * @user_id: @method ("bank", "paypal", "alipay", "stripe": sql/0021) and @sealed, the
 * secretbox text of the details.
 */
int sellers_db_save_payout(db_t *db, long long user_id, const char *method, const char *sealed);

/*
 * sellers_db_grant_if_ready - grant SELLER to @user_id (granted_by the
 * user) when step 1 is done, payout details exist, onboarding has not
 * granted it before (seller_onboarding.seller_granted_at: a role staff
 * took away is not given back by a form) and the role is not held yet.
 * @granted: set to 1 when this call granted the role, else 0.
 */
int sellers_db_grant_if_ready(db_t *db, long long user_id, int *granted);

/*
 * sellers_db_submit_verification - move the request of @user_id to
 * 'pending' from 'none' or 'rejected' (creating the row if needed).
 * @before: receives the previous status (static string) on DB_OK.
 * Returns: DB_ENOROW when the status is already 'pending' or 'verified'.
 */
int sellers_db_submit_verification(db_t *db, long long user_id, const char **before);

/*
 * sellers_db_pending - the staff queue, oldest first (at most 200):
 *   {pending: [{user_id, handle, display_name, country_name, email,
 *               submitted: "YYYY-MM-DD HH:MM", url: "/u/<handle>"}], count}
 */
int sellers_db_pending(db_t *db, const char *lang, json_t **out);

/*
 * sellers_db_review - set the pending request of @seller_id to @status
 * ("verified" or "rejected") with @reason (NULL when verified), reviewed
 * by @staff_id now.
 * Returns: DB_ENOROW when no pending request of another user matched.
 */
int sellers_db_review(db_t *db, long long seller_id, long long staff_id, const char *status,
    const char *reason);

#endif
