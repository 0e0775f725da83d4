/*
 * twofa.c - two-factor authentication pages and flows (see twofa.h).
 *
 * Enrolment (/account/2fa):
 *	GET  /account/2fa		status; set-up, new recovery codes, disable
 *	POST /account/2fa/setup		new pending secret: QR code and base32 text
 *	POST /account/2fa/confirm	first code: 2FA on, ten recovery codes shown once
 *	POST /account/2fa/recovery	new recovery codes (needs a current TOTP code)
 *	POST /account/2fa/disable	2FA off (needs a TOTP or recovery code; not for staff)
 *
 * Logging in (/login/2fa): the accounts module checks the password and
 * calls twofa_begin_login(), which keeps the pending log-in in Redis under
 * login2fa:<hex sha256(token)> for five minutes, the token being in the
 * souk_2fa cookie (Path=/login).  The form there takes a 6-digit TOTP
 * code or an "abcde-fghij" recovery code; five wrong codes drop the
 * pending log-in.  Wrong codes are also counted per account in Redis
 * (login2fa_fail:<uid>, 15 minutes from the first): at TWOFA_FAIL_LIMIT
 * the second step, new recovery codes and disabling all answer 429 until
 * the window ends, so a code cannot be guessed by starting over.
 *
 * Every accepted code is recorded with one conditional UPDATE (twofa_db.h)
 * inside the transaction that writes the audit entry, so a code works
 * once even under concurrent requests.  TOTP secrets are sealed with the
 * server key and wiped from memory after use; recovery codes exist in clear
 * only in the response that shows them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit/audit.h"
#include "core/log.h"
#include "core/secretbox.h"
#include "i18n/i18n.h"
#include "identity/session.h"
#include "jobs/jobs.h"
#include "twofa/qr.h"
#include "twofa/totp.h"
#include "twofa/twofa.h"
#include "twofa/twofa_db.h"
#include "web/app.h"

#define PENDING_COOKIE	"souk_2fa"
#define PENDING_PREFIX	"login2fa:"
#define PENDING_TTL	300		/* seconds a pending log-in lives */
#define PENDING_TRIES	5		/* codes tried before it is dropped */
#define TOKEN_BYTES	32
#define TOKEN_CHARS	43		/* base64url of 32 bytes, no padding */
#define FAIL_PREFIX	"login2fa_fail:"
#define TWOFA_FAIL_LIMIT 10		/* wrong codes per account ... */
#define FAIL_WINDOW	900		/* ... within this many seconds */
#define QR_MODULE_PX	4
#define ISSUER		"Souk"
#define MAX_NEXT	512

/* The roles that must use two-factor authentication. */
#define STAFF_ROLES (ROLE_BIT(ROLE_SUPPORT) | ROLE_BIT(ROLE_MODERATOR) | \
	ROLE_BIT(ROLE_FINANCE) | ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_SUPER_ADMIN))

static int manage(http_req_t *);
static int setup(http_req_t *);
static int confirm(http_req_t *);
static int regenerate(http_req_t *);
static int disable(http_req_t *);
static int login_form(http_req_t *);
static int login_submit(http_req_t *);

const route_t twofa_routes[] = {
	{ "GET", "/account/2fa", manage, ROLE_BUYER, "twofa.manage" },
	{ "POST", "/account/2fa/setup", setup, ROLE_BUYER, "twofa.setup" },
	{ "POST", "/account/2fa/confirm", confirm, ROLE_BUYER, "twofa.confirm" },
	{ "POST", "/account/2fa/recovery", regenerate, ROLE_BUYER, "twofa.recovery" },
	{ "POST", "/account/2fa/disable", disable, ROLE_BUYER, "twofa.disable" },
	{ "GET", "/login/2fa", login_form, ROLE_ANON, "twofa.login" },
	{ "POST", "/login/2fa", login_submit, ROLE_ANON, "twofa.login_submit" },
};
const size_t twofa_nroutes = sizeof(twofa_routes) / sizeof(twofa_routes[0]);

/* A pending log-in, as kept in Redis. */
struct pending {
	char key[80];			/* PENDING_PREFIX + 64 hex digits */
	long long user_id;
	char handle[33];
	unsigned roles;
	int remember;
	char next[MAX_NEXT + 1];	/* where to go afterwards, "" for "/" */
};

/* ==== small helpers ==== */

static int
is_staff(unsigned roles)
{
	return (roles & STAFF_ROLES) != 0;
}

static const char *
user_id_str(http_req_t *req, long long id)
{
	return arena_printf(req->arena, "%lld", id);
}

/* Set ctx.page with noindex; @title is an N_() text, translated here. */
static void
page(http_req_t *req, json_t *ctx, const char *title, const char *canonical)
{
	app_page(ctx, i18n_str(app_lang(req), title), NULL, canonical, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
}

/* Roll back after a failed step of a transaction; return the error page. */
static int
db_fail(http_req_t *req, int rc)
{
	db_rollback(APP(req)->db);
	return app_db_status(req, rc == DB_ENOROW ? DB_ERROR : rc);
}

/*
 * A local path to go to after logging in: "/..." but not "//..." or
 * "/\..." (which browsers take for another host), printable ASCII only.
 */
static int
next_ok(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\')
		return 0;
	if ((n = strlen(s)) > MAX_NEXT)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '\\')
			return 0;
	return 1;
}

/* The code as typed without spaces, when it looks like a TOTP code ("123 456"). */
static int
looks_totp(const char *code)
{
	size_t n = 0;

	for (; *code != '\0'; code++) {
		if (*code == ' ')
			continue;
		if (*code < '0' || *code > '9')
			return 0;
		n++;
	}
	return n == TOTP_DIGITS;
}

/* Run a Redis command of NUL-terminated arguments. */
static redisReply *
kv(http_req_t *req, int argc, const char **argv)
{
	return kv_command(APP(req)->kv, argc, argv, NULL);
}

/* ==== TOTP secrets ==== */

/*
 * Open the sealed secret of @user_id (confirmed or pending) into @key.
 * Returns: DB_OK, DB_ENOROW (none), DB_ERROR (also for a secret that does
 * not open: wrong server key) or DB_EDOWN.
 */
static int
load_secret(http_req_t *req, long long user_id, int confirmed,
    unsigned char key[TOTP_SECRET_BYTES], size_t *keylen, long long *last_step)
{
	char *sealed;
	int rc;

	rc = twofa_db_secret(APP(req)->db, req->arena, user_id, confirmed, &sealed, last_step);
	if (rc != DB_OK)
		return rc;
	if (secretbox_open(APP(req)->secret, sealed, key, TOTP_SECRET_BYTES, keylen) != 0 ||
	    *keylen == 0) {
		log_error("request_id=%s twofa: the secret of user %lld does not open "
		    "(was secret_key changed?)", req->request_id, user_id);
		sodium_memzero(key, TOTP_SECRET_BYTES);
		return DB_ERROR;
	}
	return DB_OK;
}

/*
 * Check @code for @user_id (2FA on) and record its use: a TOTP code's step
 * becomes last_used_step; a recovery code (when @allow_recovery) is spent.
 * Meant to run inside the caller's transaction.
 * @method: receives "totp" or "recovery" (what the code looked like).
 * @left: receives the unused recovery codes left after spending one.
 * Returns: 1 accepted, 0 refused, or DB_ERROR / DB_EDOWN.
 */
static int
check_code(http_req_t *req, long long user_id, const char *code, int allow_recovery,
    const char **method, int *left)
{
	unsigned char key[TOTP_SECRET_BYTES];
	char hash[RECOVERY_HASH_HEX];
	long long last;
	int64_t step;
	size_t keylen;
	int rc, ok;

	*method = "totp";
	if (code == NULL || code[0] == '\0')
		return 0;
	if (looks_totp(code)) {
		rc = load_secret(req, user_id, 1, key, &keylen, &last);
		if (rc == DB_ENOROW)
			return 0;
		if (rc != DB_OK)
			return rc;
		ok = totp_verify(key, keylen, code, (int64_t)time(NULL), last, &step);
		sodium_memzero(key, sizeof(key));
		if (!ok)
			return 0;
		rc = twofa_db_use_step(APP(req)->db, user_id, step);
		return rc == DB_OK ? 1 : rc == DB_ENOROW ? 0 : rc;
	}
	*method = "recovery";
	if (!allow_recovery || recovery_code_hash(APP(req)->secret, code, hash) != 0)
		return 0;
	rc = twofa_db_use_recovery(APP(req)->db, user_id, hash, left);
	return rc == DB_OK ? 1 : rc == DB_ENOROW ? 0 : rc;
}

/*
 * Make TWOFA_RECOVERY_CODES new codes into @codes (the caller shows them
 * once and wipes them) and store only their keyed hashes, replacing the
 * user's old codes; in the caller's transaction.
 */
static int
new_recovery_codes(http_req_t *req, long long user_id,
    char codes[TWOFA_RECOVERY_CODES][RECOVERY_CODE_SIZE])
{
	const char *hashes[TWOFA_RECOVERY_CODES];
	char h[RECOVERY_HASH_HEX];

	for (int i = 0; i < TWOFA_RECOVERY_CODES; i++) {
		recovery_code_generate(codes[i]);
		if (recovery_code_hash(APP(req)->secret, codes[i], h) != 0)
			fatal("twofa: a generated recovery code does not hash");
		hashes[i] = arena_strdup(req->arena, h);
	}
	return twofa_db_replace_recovery(APP(req)->db, req->arena, user_id, hashes,
	    TWOFA_RECOVERY_CODES);
}

/* Queue the "two_factor_changed" mail to the account's owner (in the transaction). */
static int
queue_mail(http_req_t *req, json_t *status, int enabled)
{
	const char *email = json_string_value(json_object_get(status, "email"));
	const char *handle = json_string_value(json_object_get(status, "handle"));
	json_t *payload;
	int rc;

	if (email == NULL || handle == NULL)
		return DB_OK;
	payload = json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "template", "two_factor_changed",
	    "to", email, "lang", app_lang(req), "data", "handle", handle, "enabled", enabled);
	rc = jobs_enqueue(APP(req)->db, "mail", payload, 0, NULL);
	json_decref(payload);
	return rc;
}

/*
 * Audit a change of the signed-in user's 2FA: {"twofa": before} ->
 * {"twofa": after[, "method": @method]}.  Returns DB_OK or DB_ERROR/DB_EDOWN.
 */
static int
audit(http_req_t *req, const char *action, int before, int after, const char *method)
{
	json_t *b = json_pack("{s:b}", "twofa", before);
	json_t *a = json_pack("{s:b}", "twofa", after);
	int rc;

	if (method != NULL)
		json_object_set_new(a, "method", json_string(method));
	rc = audit_write(req, req->user_id, action, "user", user_id_str(req, req->user_id),
	    b, a);
	json_decref(b);
	json_decref(a);
	return rc;
}

/* A privilege-relevant change: new session token, same user and roles. */
static void
rotate_session(http_req_t *req)
{
	struct session *s = req->session;

	if (s == NULL)
		return;
	if (session_start(req, s->user_id, s->handle, s->roles, s->remember) != 0)
		log_warn("request_id=%s twofa: session not rotated: redis unreachable",
		    req->request_id);
}

/*
 * Wrong codes per account, in Redis (FAIL_PREFIX<uid>, FAIL_WINDOW seconds
 * from the first): with @add, count one more.  Returns the count so far
 * (0 when Redis cannot tell).
 */
static long long
fail_count(http_req_t *req, long long user_id, int add)
{
	const char *key = arena_printf(req->arena, "%s%lld", FAIL_PREFIX, user_id);
	redisReply *r;
	long long n = 0;

	if (!add) {
		r = kv(req, 2, (const char *[]){ "GET", key });
		if (r != NULL && r->type == REDIS_REPLY_STRING)
			n = strtoll(r->str, NULL, 10);
		freeReplyObject(r);
		return n;
	}
	r = kv(req, 2, (const char *[]){ "INCR", key });
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		n = r->integer;
	freeReplyObject(r);
	if (n == 1)
		freeReplyObject(kv(req, 3, (const char *[]){ "EXPIRE", key,
		    arena_printf(req->arena, "%d", FAIL_WINDOW) }));
	return n;
}

/* ==== /account/2fa ==== */

/* The 429 page once an account has had too many wrong codes. */
static int
too_many(http_req_t *req)
{
	http_header(req, "Retry-After", arena_printf(req->arena, "%d", FAIL_WINDOW));
	return app_error(req, 429, i18n_str(app_lang(req),
	    N_("Too many wrong codes were entered for this account. "
	    "Wait 15 minutes, then log in again.")));
}


/*
 * Render the status page with @status (twofa_db_status) and @error, a key
 * of the messages in templates/twofa/manage.mustache, or NULL.
 */
static int
render_manage(http_req_t *req, json_t *status, const char *error, int code)
{
	json_t *ctx = json_object(), *errors = json_object();
	const char *q_required = kv_get(&req->query_params, "required");
	const char *q_done = kv_get(&req->query_params, "done");
	int enabled = json_is_true(json_object_get(status, "enabled"));
	int staff = is_staff(req->roles);

	if (error != NULL)
		json_object_set_new(errors, error, json_true());
	json_object_set(ctx, "twofa", status);
	json_object_set_new(ctx, "error", errors);
	json_object_set_new(ctx, "staff", json_boolean(staff));
	json_object_set_new(ctx, "required", json_boolean(!enabled &&
	    (staff || (q_required != NULL && strcmp(q_required, "1") == 0))));
	json_object_set_new(ctx, "can_disable", json_boolean(enabled && !staff));
	if (q_done != NULL && (strcmp(q_done, "disabled") == 0 || strcmp(q_done, "enabled") == 0))
		json_object_set_new(ctx, "done", json_pack("{s:b}", q_done, 1));
	page(req, ctx, N_("Two-factor authentication | Souk"), "/account/2fa");
	http_no_store(req);
	req->status = code;
	app_render(req, "twofa/manage", ctx);
	json_decref(ctx);
	return req->status;
}

static int
load_status(http_req_t *req, json_t **status)
{
	int rc;

	if ((rc = twofa_db_status(APP(req)->db, req->user_id, status)) != DB_OK)
		return app_db_status(req, rc);
	return 0;
}

/* GET /account/2fa */
static int
manage(http_req_t *req)
{
	json_t *status;
	int rc;

	if ((rc = load_status(req, &status)) != 0)
		return rc;
	rc = render_manage(req, status, NULL, 200);
	json_decref(status);
	return rc;
}

/*
 * Render the set-up page for the secret @key: the QR code of its otpauth
 * URI, the base32 text in groups of four, and the form for the first code.
 */
static int
render_setup(http_req_t *req, json_t *status, const unsigned char *key, size_t keylen,
    const char *error, int code)
{
	const char *email = json_string_value(json_object_get(status, "email"));
	const char *handle = json_string_value(json_object_get(status, "handle"));
	const char *account = email != NULL && email[0] != '\0' ? email : handle;
	json_t *ctx = json_object(), *errors = json_object();
	buf_t b32, grouped, uri, svg;

	buf_init(&b32, NULL);
	buf_init(&grouped, NULL);
	buf_init(&uri, NULL);
	buf_init(&svg, NULL);
	base32_encode(&b32, key, keylen);
	for (size_t i = 0; i < b32.len; i++) {
		if (i > 0 && i % 4 == 0)
			buf_putc(&grouped, ' ');
		buf_putc(&grouped, b32.data[i]);
	}
	totp_otpauth_uri(&uri, ISSUER, account != NULL ? account : "", buf_cstr(&b32));
	if (qr_svg(&svg, buf_cstr(&uri), QR_MODULE_PX) != 0)
		log_error("request_id=%s twofa: QR code failed", req->request_id);

	if (error != NULL)
		json_object_set_new(errors, error, json_true());
	json_object_set_new(ctx, "error", errors);
	json_object_set_new(ctx, "setup", json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "qr_svg", buf_cstr(&svg), "secret", buf_cstr(&grouped), "uri", buf_cstr(&uri),
	    "account", account != NULL ? account : "", "issuer", ISSUER));
	page(req, ctx, N_("Set up two-factor authentication | Souk"), "/account/2fa");
	http_no_store(req);
	req->status = code;
	app_render(req, "twofa/setup", ctx);
	json_decref(ctx);

	/* The page is built: wipe every copy of the secret we made. */
	sodium_memzero(b32.data, b32.cap);
	sodium_memzero(grouped.data, grouped.cap);
	sodium_memzero(uri.data, uri.cap);
	buf_free(&b32);
	buf_free(&grouped);
	buf_free(&uri);
	buf_free(&svg);
	return req->status;
}

/* POST /account/2fa/setup: a new pending secret. */
static int
setup(http_req_t *req)
{
	unsigned char key[TOTP_SECRET_BYTES];
	json_t *status;
	buf_t sealed;
	int rc;

	if ((rc = load_status(req, &status)) != 0)
		return rc;
	if (json_is_true(json_object_get(status, "enabled"))) {
		json_decref(status);
		http_redirect(req, 303, "/account/2fa");
		return req->status;
	}
	totp_secret_generate(key);
	buf_init(&sealed, req->arena);
	if (secretbox_seal(APP(req)->secret, key, sizeof(key), &sealed) != 0)
		fatal("twofa: cannot seal a TOTP secret");
	rc = twofa_db_set_pending(APP(req)->db, req->user_id, buf_cstr(&sealed));
	if (rc == DB_ENOROW) {
		/* Turned on meanwhile (another tab). */
		sodium_memzero(key, sizeof(key));
		json_decref(status);
		http_redirect(req, 303, "/account/2fa");
		return req->status;
	}
	if (rc != DB_OK) {
		sodium_memzero(key, sizeof(key));
		json_decref(status);
		return app_db_status(req, rc);
	}
	rc = render_setup(req, status, key, sizeof(key), NULL, 200);
	sodium_memzero(key, sizeof(key));
	json_decref(status);
	return rc;
}

/* Render the recovery codes, shown once, with a text file to download. */
static int
render_codes(http_req_t *req, char codes[TWOFA_RECOVERY_CODES][RECOVERY_CODE_SIZE],
    const char *why)
{
	json_t *ctx = json_object(), *list = json_array();
	const char *lang = app_lang(req);
	buf_t text, href;

	buf_init(&text, NULL);
	buf_init(&href, NULL);
	buf_printf(&text, "%s\n", i18n_str(lang, N_("Souk recovery codes")));
	if (req->session != NULL)
		buf_printf(&text, "%s %s\n", i18n_str(lang, N_("Account:")), req->session->handle);
	buf_printf(&text, "%s\n\n", i18n_str(lang, N_("Each code can be used once.")));
	for (int i = 0; i < TWOFA_RECOVERY_CODES; i++) {
		json_array_append_new(list, json_string(codes[i]));
		buf_printf(&text, "%s\n", codes[i]);
	}
	buf_puts(&href, "data:text/plain;charset=utf-8,");
	url_encode(&href, text.data, text.len);
	json_object_set_new(ctx, "codes", list);
	json_object_set_new(ctx, "download", json_string(buf_cstr(&href)));
	json_object_set_new(ctx, why, json_true());
	page(req, ctx, N_("Your recovery codes | Souk"), "/account/2fa");
	http_no_store(req);
	req->status = 200;
	app_render(req, "twofa/codes", ctx);
	json_decref(ctx);
	sodium_memzero(text.data, text.cap);
	sodium_memzero(href.data, href.cap);
	buf_free(&text);
	buf_free(&href);
	return req->status;
}

/* POST /account/2fa/confirm: the first code turns 2FA on. */
static int
confirm(http_req_t *req)
{
	char codes[TWOFA_RECOVERY_CODES][RECOVERY_CODE_SIZE];
	unsigned char key[TOTP_SECRET_BYTES];
	const char *code = kv_get(&req->form, "code");
	json_t *status;
	long long last;
	int64_t step;
	size_t keylen;
	int rc;

	if ((rc = load_status(req, &status)) != 0)
		return rc;
	rc = load_secret(req, req->user_id, 0, key, &keylen, &last);
	if (rc == DB_ENOROW) {
		/* Already on, or never set up: the status page says which. */
		json_decref(status);
		http_redirect(req, 303, "/account/2fa");
		return req->status;
	}
	if (rc != DB_OK) {
		json_decref(status);
		return app_db_status(req, rc);
	}
	if (code == NULL || code[0] == '\0' || !looks_totp(code) ||
	    !totp_verify(key, keylen, code, (int64_t)time(NULL), last, &step)) {
		rc = render_setup(req, status, key, keylen,
		    code == NULL || code[0] == '\0' ? "missing" : "wrong", 422);
		sodium_memzero(key, sizeof(key));
		json_decref(status);
		return rc;
	}
	sodium_memzero(key, sizeof(key));

	if ((rc = db_begin(APP(req)->db)) != DB_OK) {
		json_decref(status);
		return app_db_status(req, rc);
	}
	rc = twofa_db_confirm(APP(req)->db, req->user_id, step);
	if (rc == DB_ENOROW) {
		/* Another request confirmed (or replaced) it first. */
		db_rollback(APP(req)->db);
		json_decref(status);
		http_redirect(req, 303, "/account/2fa");
		return req->status;
	}
	if (rc == DB_OK)
		rc = new_recovery_codes(req, req->user_id, codes);
	if (rc == DB_OK)
		rc = queue_mail(req, status, 1);
	if (rc == DB_OK)
		rc = audit(req, "twofa.enable", 0, 1, NULL);
	json_decref(status);
	if (rc != DB_OK || (rc = db_commit(APP(req)->db)) != DB_OK) {
		sodium_memzero(codes, sizeof(codes));
		return db_fail(req, rc);
	}
	rotate_session(req);
	rc = render_codes(req, codes, "enabled");
	sodium_memzero(codes, sizeof(codes));
	return rc;
}

/* POST /account/2fa/recovery: new recovery codes, for a current TOTP code. */
static int
regenerate(http_req_t *req)
{
	char codes[TWOFA_RECOVERY_CODES][RECOVERY_CODE_SIZE];
	const char *code = kv_get(&req->form, "code"), *method;
	json_t *status;
	int rc;

	if ((rc = load_status(req, &status)) != 0)
		return rc;
	if (!json_is_true(json_object_get(status, "enabled"))) {
		json_decref(status);
		http_redirect(req, 303, "/account/2fa");
		return req->status;
	}
	if (fail_count(req, req->user_id, 0) >= TWOFA_FAIL_LIMIT) {
		json_decref(status);
		return too_many(req);
	}
	if ((rc = db_begin(APP(req)->db)) != DB_OK) {
		json_decref(status);
		return app_db_status(req, rc);
	}
	rc = check_code(req, req->user_id, code, 0, &method, NULL);
	if (rc == 0) {
		db_rollback(APP(req)->db);
		fail_count(req, req->user_id, 1);
		rc = render_manage(req, status, code == NULL || code[0] == '\0' ?
		    "regen_missing" : "regen_wrong", 422);
		json_decref(status);
		return rc;
	}
	json_decref(status);
	if (rc < 0)
		return db_fail(req, rc);
	rc = new_recovery_codes(req, req->user_id, codes);
	if (rc == DB_OK)
		rc = audit(req, "twofa.recovery_codes", 1, 1, NULL);
	if (rc != DB_OK || (rc = db_commit(APP(req)->db)) != DB_OK) {
		sodium_memzero(codes, sizeof(codes));
		return db_fail(req, rc);
	}
	rc = render_codes(req, codes, "regenerated");
	sodium_memzero(codes, sizeof(codes));
	return rc;
}

/* POST /account/2fa/disable: off, for a TOTP or recovery code; never for staff. */
static int
disable(http_req_t *req)
{
	const char *code = kv_get(&req->form, "code"), *method;
	json_t *status;
	int rc, left = 0;

	if ((rc = load_status(req, &status)) != 0)
		return rc;
	if (!json_is_true(json_object_get(status, "enabled"))) {
		json_decref(status);
		http_redirect(req, 303, "/account/2fa");
		return req->status;
	}
	if (is_staff(req->roles)) {
		rc = render_manage(req, status, "staff", 403);
		json_decref(status);
		return rc;
	}
	if (fail_count(req, req->user_id, 0) >= TWOFA_FAIL_LIMIT) {
		json_decref(status);
		return too_many(req);
	}
	if ((rc = db_begin(APP(req)->db)) != DB_OK) {
		json_decref(status);
		return app_db_status(req, rc);
	}
	rc = check_code(req, req->user_id, code, 1, &method, &left);
	if (rc == 0) {
		db_rollback(APP(req)->db);
		fail_count(req, req->user_id, 1);
		rc = render_manage(req, status, code == NULL || code[0] == '\0' ?
		    "disable_missing" : "disable_wrong", 422);
		json_decref(status);
		return rc;
	}
	if (rc < 0) {
		json_decref(status);
		return db_fail(req, rc);
	}
	rc = twofa_db_disable(APP(req)->db, req->user_id);
	if (rc == DB_OK)
		rc = queue_mail(req, status, 0);
	json_decref(status);
	if (rc == DB_OK)
		rc = audit(req, "twofa.disable", 1, 0, method);
	if (rc != DB_OK || (rc = db_commit(APP(req)->db)) != DB_OK)
		return db_fail(req, rc);
	rotate_session(req);
	http_redirect(req, 303, "/account/2fa?done=disabled");
	return req->status;
}

/* ==== logging in: the second step ==== */

static void
pending_cookie(http_req_t *req, const char *token)
{
	const char *secure = req->cookie_secure ? "; Secure" : "";

	if (token != NULL)
		http_header(req, "Set-Cookie", arena_printf(req->arena,
		    "%s=%s; Path=/login; Max-Age=%d; HttpOnly; SameSite=Lax%s",
		    PENDING_COOKIE, token, PENDING_TTL, secure));
	else
		http_header(req, "Set-Cookie", arena_printf(req->arena,
		    "%s=; Path=/login; Max-Age=0; HttpOnly; SameSite=Lax%s",
		    PENDING_COOKIE, secure));
}

/* PENDING_PREFIX + hex(sha256(@token)) into @key (80 bytes). */
static void
pending_key(const char *token, char key[80])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	snprintf(key, 80, "%s", PENDING_PREFIX);
	sodium_bin2hex(key + strlen(PENDING_PREFIX), 65, h, sizeof(h));
}

static int
token_ok(const char *t)
{
	size_t n = 0;

	for (; t[n] != '\0'; n++)
		if (!((t[n] >= 'a' && t[n] <= 'z') || (t[n] >= 'A' && t[n] <= 'Z') ||
		    (t[n] >= '0' && t[n] <= '9') || t[n] == '-' || t[n] == '_'))
			return 0;
	return n == TOKEN_CHARS;
}

int
twofa_begin_login(http_req_t *req, long long user_id, const char *handle, unsigned roles,
    int remember)
{
	unsigned char raw[TOKEN_BYTES];
	char token[TOKEN_CHARS + 2], key[80];
	const char *next = kv_get(&req->form, "next");
	redisReply *r;

	if (!next_ok(next))
		next = kv_get(&req->query_params, "next");
	if (!next_ok(next))
		next = "";
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, sizeof(token), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	pending_key(token, key);
	r = kv(req, 14, (const char *[]){ "HSET", key,
	    "uid", user_id_str(req, user_id),
	    "handle", handle != NULL ? handle : "",
	    "roles", arena_printf(req->arena, "%u", roles),
	    "remember", remember ? "1" : "0",
	    "attempts", "0",
	    "next", next });
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		sodium_memzero(token, sizeof(token));
		return app_error(req, 503, NULL);
	}
	freeReplyObject(r);
	r = kv(req, 3, (const char *[]){ "EXPIRE", key,
	    arena_printf(req->arena, "%d", PENDING_TTL) });
	if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
		freeReplyObject(r);
		freeReplyObject(kv(req, 2, (const char *[]){ "DEL", key }));
		sodium_memzero(token, sizeof(token));
		return app_error(req, 503, NULL);
	}
	freeReplyObject(r);
	pending_cookie(req, token);
	sodium_memzero(token, sizeof(token));
	http_no_store(req);
	http_redirect(req, 303, "/login/2fa");
	return req->status;
}

/*
 * The pending log-in named by the souk_2fa cookie.
 * Returns: 1 found (@p filled), 0 none (missing, malformed or expired),
 * -1 when Redis is unreachable.
 */
static int
pending_load(http_req_t *req, struct pending *p)
{
	const char *token = kv_get(&req->cookies, PENDING_COOKIE);
	redisReply *r;
	int have_uid = 0;

	memset(p, 0, sizeof(*p));
	if (token == NULL || !token_ok(token))
		return 0;
	pending_key(token, p->key);
	if ((r = kv(req, 2, (const char *[]){ "HGETALL", p->key })) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			const char *f = r->element[i]->str, *v = r->element[i + 1]->str;

			if (f == NULL || v == NULL)
				continue;
			if (strcmp(f, "uid") == 0) {
				p->user_id = strtoll(v, NULL, 10);
				have_uid = p->user_id > 0;
			} else if (strcmp(f, "handle") == 0)
				snprintf(p->handle, sizeof(p->handle), "%s", v);
			else if (strcmp(f, "roles") == 0)
				p->roles = (unsigned)strtoul(v, NULL, 10);
			else if (strcmp(f, "remember") == 0)
				p->remember = v[0] == '1';
			else if (strcmp(f, "next") == 0 && next_ok(v))
				snprintf(p->next, sizeof(p->next), "%s", v);
		}
	}
	freeReplyObject(r);
	return have_uid;
}

static void
pending_drop(http_req_t *req, const struct pending *p)
{
	freeReplyObject(kv(req, 2, (const char *[]){ "DEL", p->key }));
	pending_cookie(req, NULL);
}

/* Render the code form; @error is a message key of templates/twofa/login.mustache. */
static int
render_login(http_req_t *req, int recovery, const char *error, int tries_left, int code)
{
	json_t *ctx = json_object(), *errors = json_object();

	if (error != NULL)
		json_object_set_new(errors, error, json_true());
	json_object_set_new(ctx, "error", errors);
	json_object_set_new(ctx, "recovery", json_boolean(recovery));
	if (tries_left > 0)
		json_object_set_new(ctx, "tries_left", json_integer(tries_left));
	csrf_token(req);	/* an anonymous form: sets souk_csrf if needed */
	page(req, ctx, N_("Two-factor authentication | Souk"), "/login/2fa");
	http_no_store(req);
	req->status = code;
	app_render(req, "twofa/login", ctx);
	json_decref(ctx);
	return req->status;
}

/* GET /login/2fa */
static int
login_form(http_req_t *req)
{
	const char *rec = kv_get(&req->query_params, "recovery");
	struct pending p;
	int rc;

	if ((rc = pending_load(req, &p)) < 0)
		return app_error(req, 503, NULL);
	if (rc == 0) {
		if (kv_get(&req->cookies, PENDING_COOKIE) != NULL)
			pending_cookie(req, NULL);
		http_no_store(req);
		http_redirect(req, 303, "/login");
		return req->status;
	}
	return render_login(req, rec != NULL && strcmp(rec, "1") == 0, NULL, 0, 200);
}

/* POST /login/2fa */
static int
login_submit(http_req_t *req)
{
	const char *code = kv_get(&req->form, "code"), *method = "totp";
	int recovery = kv_get(&req->form, "recovery") != NULL;
	struct pending p;
	redisReply *r;
	long long tries;
	int rc, left = -1;

	http_no_store(req);
	if ((rc = pending_load(req, &p)) < 0)
		return app_error(req, 503, NULL);
	if (rc == 0) {
		pending_cookie(req, NULL);
		http_redirect(req, 303, "/login?twofa=expired");
		return req->status;
	}
	if (fail_count(req, p.user_id, 0) >= TWOFA_FAIL_LIMIT) {
		pending_drop(req, &p);
		return too_many(req);
	}
	/* Count the attempt first, so concurrent requests cannot exceed the limit. */
	r = kv(req, 4, (const char *[]){ "HINCRBY", p.key, "attempts", "1" });
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return app_error(req, 503, NULL);
	}
	tries = r->integer;
	freeReplyObject(r);
	if (tries > PENDING_TRIES) {
		pending_drop(req, &p);
		http_redirect(req, 303, "/login?twofa=failed");
		return req->status;
	}

	if ((rc = db_begin(APP(req)->db)) != DB_OK)
		return app_db_status(req, rc);
	/*
	 * The log-in began up to five minutes ago: a suspension or a role
	 * change since then must count, so read the account again.
	 */
	{
		unsigned roles;
		int active;

		if ((rc = twofa_db_account(APP(req)->db, p.user_id, &active, &roles)) != DB_OK) {
			db_rollback(APP(req)->db);
			return app_db_status(req, rc);
		}
		if (!active) {
			db_rollback(APP(req)->db);
			pending_drop(req, &p);
			return app_error(req, 403, N_("This account is suspended."));
		}
		p.roles = roles;
	}
	rc = check_code(req, p.user_id, code, 1, &method, &left);
	if (rc == 1) {
		json_t *after = json_pack("{s:s}", "method", method);

		if (left >= 0)
			json_object_set_new(after, "recovery_left", json_integer(left));
		rc = audit_write(req, p.user_id, "user.login", "user",
		    user_id_str(req, p.user_id), NULL, after);
		json_decref(after);
		if (rc != DB_OK || (rc = db_commit(APP(req)->db)) != DB_OK)
			return db_fail(req, rc);
		pending_drop(req, &p);
		if (session_start(req, p.user_id, p.handle, p.roles, p.remember) != 0)
			return app_error(req, 503, NULL);
		http_redirect(req, 303, p.next[0] != '\0' ? p.next : "/");
		return req->status;
	}
	db_rollback(APP(req)->db);
	if (rc < 0)
		return app_db_status(req, rc);

	/* A wrong, malformed or already used code. */
	{
		json_t *after = json_pack("{s:s, s:s}", "step", "2fa", "method", method);

		if (audit_write(req, 0, "user.login_failed", "user",
		    user_id_str(req, p.user_id), NULL, after) != DB_OK)
			log_warn("request_id=%s twofa: audit of a failed code not written",
			    req->request_id);
		json_decref(after);
	}
	fail_count(req, p.user_id, 1);
	if (tries >= PENDING_TRIES) {
		pending_drop(req, &p);
		http_redirect(req, 303, "/login?twofa=failed");
		return req->status;
	}
	return render_login(req, recovery || strcmp(method, "recovery") == 0,
	    code == NULL || code[0] == '\0' ? "missing" : "wrong",
	    (int)(PENDING_TRIES - tries), 422);
}

/* ==== for other modules ==== */

int
twofa_enabled(db_t *db, long long user_id)
{
	int enabled = 0;

	if (twofa_db_enabled(db, user_id, &enabled) != DB_OK)
		return -1;
	return enabled;
}

int
twofa_staff_gate(http_req_t *req)
{
	int e;

	if (req->session == NULL || !is_staff(req->roles))
		return 0;
	if ((e = twofa_enabled(APP(req)->db, req->user_id)) == 1)
		return 0;
	if (e < 0)
		return app_error(req, 503, NULL);
	http_no_store(req);
	http_redirect(req, 303, "/account/2fa?required=1");
	return req->status;
}
