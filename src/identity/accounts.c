/*
 * accounts.c - accounts and sessions (see accounts.h): input validation,
 * rate limits, which query, which template.
 *
 * Templates get error and notice *codes* (errors.email.taken: true), not
 * sentences: every visible text is written in the template inside
 * {{#t}}...{{/t}}, so it is translated like the rest of the page.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "audit/audit.h"
#include "core/log.h"
#include "i18n/i18n.h"
#include "identity/accounts.h"
#include "identity/accounts_db.h"
#include "identity/password.h"
#include "identity/session.h"
#include "jobs/jobs.h"
#include "kv/ratelimit.h"
#include "twofa/twofa.h"
#include "web/app.h"

/* ==== pure helpers (unit tested) ==== */

const char *
field_check_code(enum field_check c)
{
	switch (c) {
	case FIELD_OK: return "ok";
	case FIELD_REQUIRED: return "required";
	case FIELD_TOO_SHORT: return "too_short";
	case FIELD_TOO_LONG: return "too_long";
	case FIELD_INVALID: return "invalid";
	case FIELD_RESERVED: return "reserved";
	}
	return "invalid";
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

enum field_check
account_check_email(const char *e)
{
	const char *at, *p, *start, *last = NULL;
	size_t len, lastlen = 0;
	int labels = 0;

	if (e == NULL || e[0] == '\0')
		return FIELD_REQUIRED;
	if (strlen(e) > ACCOUNTS_EMAIL_MAX)
		return FIELD_TOO_LONG;
	if ((at = strchr(e, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return FIELD_INVALID;
	if (at == e || (size_t)(at - e) > ACCOUNTS_LOCAL_MAX)
		return FIELD_INVALID;
	for (p = e; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("()<>[]\\,;:\"", c) != NULL)
			return FIELD_INVALID;
		if (c == '.' && (p == e || p + 1 == at || p[1] == '.'))
			return FIELD_INVALID;
	}
	for (p = at + 1;;) {
		start = p;
		while (is_alnum((unsigned char)*p) || *p == '-')
			p++;
		len = (size_t)(p - start);
		if (len == 0 || len > 63 || start[0] == '-' || p[-1] == '-')
			return FIELD_INVALID;
		labels++;
		last = start;
		lastlen = len;
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p != '\0')
			return FIELD_INVALID;
		break;
	}
	if (labels < 2 || lastlen < 2)
		return FIELD_INVALID;
	for (size_t i = 0; i < lastlen; i++)
		if (!is_alpha((unsigned char)last[i]))
			return FIELD_INVALID;
	return FIELD_OK;
}

/* Names the site uses for its own paths: sql/0001 and sql/0005 refuse them too. */
static const char *const reserved_handles[] = {
	"about", "account", "admin", "api", "dashboard", "events", "gig", "help", "inbox",
	"login", "logout", "media", "messages", "orders", "privacy", "register", "robots",
	"search", "settings", "signup", "sitemap", "static", "terms",
	"dev", "forgot", "lang", "reset", "seller", "sellers", "signin", "support", "verify",
	"checkout", "payments", "earnings", "contact",
};

enum field_check
account_check_handle(const char *h)
{
	size_t n;

	if (h == NULL || h[0] == '\0')
		return FIELD_REQUIRED;
	n = strlen(h);
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9') || h[i] == '_'))
			return FIELD_INVALID;
	if (n < ACCOUNTS_HANDLE_MIN)
		return FIELD_TOO_SHORT;
	if (n > ACCOUNTS_HANDLE_MAX)
		return FIELD_TOO_LONG;
	for (size_t i = 0; i < sizeof(reserved_handles) / sizeof(reserved_handles[0]); i++)
		if (strcmp(h, reserved_handles[i]) == 0)
			return FIELD_RESERVED;
	return FIELD_OK;
}

const char *
account_safe_next(const char *next)
{
	size_t n;

	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\')
		return "/";
	n = strnlen(next, ACCOUNTS_NEXT_MAX + 1);
	if (n > ACCOUNTS_NEXT_MAX)
		return "/";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)next[i] < 0x21 || (unsigned char)next[i] > 0x7e || next[i] == '\\')
			return "/";
	return next;
}

void
account_token_hash(const char *token, char hash_hex[ACCOUNT_HASH_SIZE])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hash_hex, ACCOUNT_HASH_SIZE, h, sizeof(h));
}

void
account_token_new(char token[ACCOUNT_TOKEN_SIZE], char hash_hex[ACCOUNT_HASH_SIZE])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, ACCOUNT_TOKEN_SIZE, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	account_token_hash(token, hash_hex);
}

int
account_token_ok(const char *t)
{
	size_t n;

	if (t == NULL)
		return 0;
	for (n = 0; t[n] != '\0'; n++)
		if (n >= ACCOUNT_TOKEN_CHARS || !(is_alnum((unsigned char)t[n]) || t[n] == '-' ||
		    t[n] == '_'))
			return 0;
	return n == ACCOUNT_TOKEN_CHARS;
}

void
account_client_key(const char *addr, char *out, size_t outlen)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];

	if (addr == NULL || addr[0] == '\0')
		addr = "-";
	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			if (inet_ntop(AF_INET, a6.s6_addr + 12, buf, sizeof(buf)) != NULL) {
				snprintf(out, outlen, "%s", buf);
				return;
			}
		} else {
			memset(a6.s6_addr + 8, 0, 8);
			if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) != NULL) {
				snprintf(out, outlen, "%s/64", buf);
				return;
			}
		}
	}
	snprintf(out, outlen, "%.64s", addr);
}

/* ==== request helpers ==== */

/* A form or query value without surrounding blanks, in the arena; "" when absent. */
static const char *
field(http_req_t *req, const kvlist_t *l, const char *name)
{
	const char *v = kv_get(l, name), *end;

	if (v == NULL)
		return "";
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	return arena_strndup(req->arena, v, (size_t)(end - v));
}

/* A password field exactly as typed (blanks count); "" when absent. */
static const char *
secret_field(http_req_t *req, const char *name)
{
	const char *v = kv_get(&req->form, name);

	return v != NULL ? v : "";
}

static char *
ascii_lower(http_req_t *req, const char *s)
{
	char *c = arena_strdup(req->arena, s);

	for (char *p = c; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return c;
}

/* errors.<field>.<code> = true (the first error of a field wins). */
static void
add_error(json_t *errors, const char *name, const char *code)
{
	if (json_object_get(errors, name) == NULL)
		json_object_set_new(errors, name, json_pack("{s:b}", code, 1));
}

/* Attach @errors to @ctx when it holds any (the templates test {{#errors}}). */
static void
set_errors(json_t *ctx, json_t *errors)
{
	if (json_object_size(errors) > 0)
		json_object_set_new(ctx, "errors", errors);
	else
		json_decref(errors);
}

/* Render @tmpl with @ctx (consumed) as a private, never cached page; @title is an N_() msgid. */
static int
show(http_req_t *req, int status, const char *tmpl, const char *title, const char *canonical,
    json_t *ctx)
{
	req->status = status;
	http_header(req, "Cache-Control", "no-store");
	(void)csrf_token(req);
	app_page(ctx, i18n_str(app_lang(req), title), NULL, canonical, NULL);
	json_object_set_new(json_object_get(ctx, "page"), "noindex", json_true());
	app_render(req, tmpl, ctx);
	json_decref(ctx);
	return req->status;
}

/* The generic result page: message.<kind> = true, plus @extra's keys (consumed, may be NULL). */
static int
message(http_req_t *req, int status, const char *title, const char *kind, json_t *extra)
{
	json_t *ctx = extra != NULL ? extra : json_object();

	json_object_set_new(ctx, "message", json_pack("{s:b}", kind, 1));
	return show(req, status, "account/message", title, req->path, ctx);
}

static void
retry_after(http_req_t *req, json_t *ctx, long seconds)
{
	if (seconds < 1)
		seconds = 1;
	http_header(req, "Retry-After", arena_printf(req->arena, "%ld", seconds));
	json_object_set_new(ctx, "retry_minutes", json_integer((seconds + 59) / 60));
}

/*
 * One rate-limit check.  Returns 0 (go on), 1 (over the limit; *retry
 * set) or -1 (Redis unreachable).
 */
static int
limited(http_req_t *req, const char *key, int limit, long window, int record, long *retry)
{
	struct ratelimit_result r;

	*retry = 0;
	if (ratelimit_hit(APP(req)->kv, key, limit, window, record, &r) != 0) {
		log_warn("request_id=%s rate limit %s: redis unreachable", req->request_id, key);
		return -1;
	}
	*retry = r.retry_after;
	return r.allowed ? 0 : 1;
}

/* The rate-limit key of this client under @scope ("login:ip:203.0.113.9"). */
static const char *
ip_key(http_req_t *req, const char *scope)
{
	char addr[96];

	account_client_key(req->remote_addr, addr, sizeof(addr));
	return arena_printf(req->arena, "%s:ip:%s", scope, addr);
}

/* A key for something typed (an e-mail address), hashed: no addresses in Redis. */
static const char *
typed_key(http_req_t *req, const char *scope, const char *typed)
{
	char hex[ACCOUNT_HASH_SIZE];

	account_token_hash(ascii_lower(req, typed), hex);
	hex[32] = '\0';
	return arena_printf(req->arena, "%s:x:%s", scope, hex);
}

/* Roll back the open transaction and answer for @rc. */
static int
abort_tx(http_req_t *req, int rc)
{
	(void)db_rollback(APP(req)->db);
	return app_db_status(req, rc == DB_ENOROW || rc == DB_OK ? DB_ERROR : rc);
}

/* An audit entry about user @uid; @after (may be NULL) is consumed. */
static int
audit(http_req_t *req, long long actor, const char *action, long long uid, json_t *after)
{
	const char *id = uid > 0 ? arena_printf(req->arena, "%lld", uid) : NULL;
	int rc = audit_write(req, actor, action, "user", id, NULL, after);

	json_decref(after);
	return rc;
}

/* Queue a mail (kind "mail") in the open transaction; @data is consumed. */
static int
mail(http_req_t *req, const char *tmpl, const char *to, const char *lang, json_t *data)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:o}", "template", tmpl, "to", to,
	    "lang", lang != NULL ? lang : "en", "data", data);
	int rc;

	if (p == NULL)
		return DB_ERROR;
	rc = jobs_enqueue(APP(req)->db, "mail", p, 0, NULL);
	json_decref(p);
	return rc;
}

static const char *
abs_link(http_req_t *req, const char *path, const char *token)
{
	return arena_printf(req->arena, "%s%s%s", APP(req)->cfg.base_url, path, token ? token : "");
}

/* A new @purpose token for @a stored in the open transaction; the raw token in the arena. */
static int
new_token(http_req_t *req, const struct account *a, const char *purpose, const char **token)
{
	char raw[ACCOUNT_TOKEN_SIZE], hex[ACCOUNT_HASH_SIZE];
	int rc;

	account_token_new(raw, hex);
	rc = accounts_db_token_add(APP(req)->db, a->id, purpose, hex, a->email,
	    ACCOUNTS_TOKEN_TTL);
	*token = arena_strdup(req->arena, raw);
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

/* ==== sign up ==== */

static int
signup_page(http_req_t *req, int status, const char *email, const char *handle, json_t *errors,
    long retry)
{
	json_t *ctx = json_pack("{s:{s:s, s:s}}", "values", "email", email, "handle", handle);

	if (retry > 0) {
		add_error(errors, "general", "rate_limited");
		retry_after(req, ctx, retry);
	}
	set_errors(ctx, errors);
	return show(req, status, "account/signup", N_("Join Souk"), "/signup", ctx);
}

int
accounts_signup_form(http_req_t *req)
{
	if (req->session != NULL) {
		http_redirect(req, 303, "/account");
		return req->status;
	}
	return signup_page(req, 200, "", "", json_object(), 0);
}

/* Check the two new-password fields; errors go under "password" and "password_confirm". */
static void
check_new_password(json_t *errors, const char *pw, const char *pw2, const char *email,
    const char *handle)
{
	enum password_rule r = password_check(pw, email, handle);

	if (r != PW_OK)
		add_error(errors, "password", password_rule_code(r));
	if (pw2[0] == '\0')
		add_error(errors, "password_confirm", "required");
	else if (strcmp(pw, pw2) != 0)
		add_error(errors, "password_confirm", "mismatch");
}

int
accounts_signup(http_req_t *req)
{
	struct app *app = APP(req);
	const char *email = field(req, &req->form, "email");
	const char *handle = ascii_lower(req, field(req, &req->form, "handle"));
	const char *pw = secret_field(req, "password");
	const char *pw2 = secret_field(req, "password_confirm");
	const char *token;
	json_t *errors = json_object();
	enum field_check fc;
	enum account_conflict conflict;
	struct account a;
	char hash[PASSWORD_HASH_SIZE];
	int rc, email_taken, handle_taken;
	long retry;

	/* Overlong values are not echoed back whole. */
	if ((fc = account_check_email(email)) != FIELD_OK)
		add_error(errors, "email", field_check_code(fc));
	if ((fc = account_check_handle(handle)) != FIELD_OK)
		add_error(errors, "handle", field_check_code(fc));
	check_new_password(errors, pw, pw2, email, handle);
	if (strlen(email) > ACCOUNTS_EMAIL_MAX)
		email = "";
	if (strlen(handle) > 64)
		handle = "";
	if (json_object_size(errors) > 0)
		return signup_page(req, 422, email, handle, errors, 0);

	if ((rc = limited(req, ip_key(req, "signup"), ACCOUNTS_SIGNUP_IP,
	    ACCOUNTS_SIGNUP_IP_WINDOW, 1, &retry)) < 0) {
		json_decref(errors);
		return app_error(req, 503, NULL);
	}
	if (rc > 0)
		return signup_page(req, 429, email, handle, errors, retry);

	if ((rc = accounts_db_taken(app->db, email, handle, &email_taken, &handle_taken)) != DB_OK) {
		json_decref(errors);
		return app_db_status(req, rc);
	}
	if (email_taken)
		add_error(errors, "email", "taken");
	if (handle_taken)
		add_error(errors, "handle", "taken");
	if (json_object_size(errors) > 0)
		return signup_page(req, 409, email, handle, errors, 0);

	if (password_hash(pw, hash) != 0) {
		json_decref(errors);
		log_error("request_id=%s signup: password hashing failed", req->request_id);
		return app_error(req, 500, NULL);
	}
	memset(&a, 0, sizeof(a));
	a.email = email;
	a.handle = handle;
	a.lang = app_lang(req);
	if ((rc = db_begin(app->db)) != DB_OK) {
		json_decref(errors);
		return app_db_status(req, rc);
	}
	rc = accounts_db_create(app->db, email, handle, hash, a.lang, &a.id, &conflict);
	sodium_memzero(hash, sizeof(hash));
	if (rc == DB_ERROR && conflict != CONFLICT_NONE) {
		/* Someone took it between the check and the insert. */
		(void)db_rollback(app->db);
		add_error(errors, conflict == CONFLICT_HANDLE ? "handle" : "email", "taken");
		return signup_page(req, 409, email, handle, errors, 0);
	}
	json_decref(errors);
	if (rc != DB_OK ||
	    (rc = new_token(req, &a, "verify", &token)) != DB_OK ||
	    (rc = mail(req, "verify_email", email, a.lang, json_pack("{s:s, s:s}",
	    "handle", handle, "link", abs_link(req, "/verify?token=", token)))) != DB_OK ||
	    (rc = audit(req, a.id, "user.signup", a.id, json_pack("{s:s, s:s}",
	    "handle", handle, "lang", a.lang))) != DB_OK)
		return abort_tx(req, rc);
	if ((rc = db_commit(app->db)) != DB_OK)
		return abort_tx(req, rc);

	/* In at once; the account page asks them to verify the address. */
	if (session_start(req, a.id, handle, ROLE_BIT(ROLE_BUYER), 0) != 0) {
		http_redirect(req, 303, "/login");
		return req->status;
	}
	http_redirect(req, 303, "/account?done=welcome");
	return req->status;
}

/* ==== e-mail verification ==== */

static int
token_problem(http_req_t *req, const char *title, const char *prefix, enum token_state st)
{
	const char *kind;

	switch (st) {
	case TOKEN_USED:
		kind = "used";
		break;
	case TOKEN_EXPIRED:
		kind = "expired";
		break;
	default:
		kind = "invalid";
		break;
	}
	return message(req, 400, title, arena_printf(req->arena, "%s_%s", prefix, kind),
	    json_pack("{s:b}", "signed_in", req->session != NULL));
}

int
accounts_verify(http_req_t *req)
{
	struct app *app = APP(req);
	const char *token = kv_get(&req->query_params, "token");
	char hex[ACCOUNT_HASH_SIZE], *email;
	enum token_state st;
	long long uid, owner;
	int rc;

	if (!account_token_ok(token))
		return token_problem(req, N_("Verification link"), "verify", TOKEN_UNKNOWN);
	account_token_hash(token, hex);
	if (strcmp(req->method, "HEAD") == 0) {
		/* Link checkers probe with HEAD: answer without using the token. */
		if ((rc = accounts_db_token_state(app->db, hex, "verify", &st, &owner)) != DB_OK)
			return app_db_status(req, rc);
		if (st != TOKEN_VALID)
			return token_problem(req, N_("Verification link"), "verify", st);
		http_header(req, "Cache-Control", "no-store");
		req->status = 200;
		return req->status;
	}
	if ((rc = db_begin(app->db)) != DB_OK)
		return app_db_status(req, rc);
	rc = accounts_db_token_use(app->db, req->arena, hex, "verify", &uid, &email);
	if (rc == DB_ENOROW) {
		(void)db_rollback(app->db);
		if ((rc = accounts_db_token_state(app->db, hex, "verify", &st, &owner)) != DB_OK)
			return app_db_status(req, rc);
		return token_problem(req, N_("Verification link"), "verify", st);
	}
	if (rc != DB_OK)
		return abort_tx(req, rc);
	rc = accounts_db_mark_verified(app->db, uid, email);
	if (rc == DB_ENOROW) {
		/* The account has another address now: the link is spent, nothing verified. */
		if ((rc = db_commit(app->db)) != DB_OK)
			return abort_tx(req, rc);
		return token_problem(req, N_("Verification link"), "verify", TOKEN_EXPIRED);
	}
	if (rc != DB_OK ||
	    (rc = audit(req, uid, "user.email_verify", uid, json_pack("{s:s}", "email", email))) != DB_OK)
		return abort_tx(req, rc);
	if ((rc = db_commit(app->db)) != DB_OK)
		return abort_tx(req, rc);
	return message(req, 200, N_("E-mail address verified"), "verified",
	    json_pack("{s:b, s:s}", "signed_in", req->session != NULL, "email", email));
}

/* ==== log in and out ==== */

static int
login_page(http_req_t *req, int status, const char *login, int remember, const char *next,
    json_t *errors, json_t *extra)
{
	json_t *ctx = extra != NULL ? extra : json_object();
	const char *done = kv_get(&req->query_params, "done");

	json_object_set_new(ctx, "values", json_pack("{s:s, s:b, s:s}", "login", login,
	    "remember", remember, "next", next));
	if (done != NULL && (strcmp(done, "logout_all") == 0 || strcmp(done, "reset") == 0))
		json_object_set_new(ctx, "done", json_pack("{s:b}", done, 1));
	set_errors(ctx, errors);
	return show(req, status, "account/login", N_("Log in to Souk"), "/login", ctx);
}

int
accounts_login_form(http_req_t *req)
{
	const char *next = account_safe_next(kv_get(&req->query_params, "next"));

	if (req->session != NULL) {
		http_redirect(req, 303, next);
		return req->status;
	}
	return login_page(req, 200, "", 0, next, json_object(), NULL);
}

/* Count a failed attempt against this client address. */
static void
ip_failure(http_req_t *req)
{
	long retry;

	(void)limited(req, ip_key(req, "login"), ACCOUNTS_LOGIN_IP_FAILS,
	    ACCOUNTS_LOGIN_IP_WINDOW, 1, &retry);
}

int
accounts_login(http_req_t *req)
{
	struct app *app = APP(req);
	const char *login = field(req, &req->form, "login");
	const char *pw = secret_field(req, "password");
	const char *r = kv_get(&req->form, "remember");
	const char *next = account_safe_next(kv_get(&req->form, "next"));
	const char *key;
	int remember = r != NULL && r[0] != '\0' && strcmp(r, "0") != 0;
	json_t *errors = json_object(), *extra;
	struct account a;
	char hash[PASSWORD_HASH_SIZE];
	const char *new_hash = NULL;
	int rc, found, locked_now = 0, tfa;
	long retry;

	if (login[0] == '\0')
		add_error(errors, "login", "required");
	else if (strlen(login) > ACCOUNTS_EMAIL_MAX) {
		add_error(errors, "login", "too_long");
		login = "";
	}
	if (pw[0] == '\0')
		add_error(errors, "password", "required");
	else if (strlen(pw) > PASSWORD_MAX_BYTES)
		add_error(errors, "password", "too_long");
	if (json_object_size(errors) > 0)
		return login_page(req, 422, login, remember, next, errors, NULL);

	/* Too many failures from this address: refuse before any work. */
	if ((rc = limited(req, ip_key(req, "login"), ACCOUNTS_LOGIN_IP_FAILS,
	    ACCOUNTS_LOGIN_IP_WINDOW, 0, &retry)) != 0)
		goto limited;

	rc = strchr(login, '@') != NULL ?
	    accounts_db_find(app->db, req->arena, "email", login, &a) :
	    accounts_db_find(app->db, req->arena, "handle", ascii_lower(req, login), &a);
	if (rc != DB_OK && rc != DB_ENOROW) {
		json_decref(errors);
		return app_db_status(req, rc);
	}
	found = rc == DB_OK && strcmp(a.status, "deleted") != 0;

	/* Every attempt counts against the account (or against what was typed). */
	key = found ? arena_printf(req->arena, "login:acct:%lld", a.id) :
	    typed_key(req, "login:acct", login);
	if ((rc = limited(req, key, ACCOUNTS_LOGIN_ACCT, ACCOUNTS_LOGIN_ACCT_WINDOW, 1,
	    &retry)) != 0)
		goto limited;

	if (!found || a.password_hash == NULL) {
		/* Same work as a wrong password, same answer. */
		(void)password_verify(NULL, pw);
		ip_failure(req);
		if ((rc = audit(req, 0, "user.login_failed", found ? a.id : 0,
		    json_pack("{s:s, s:s}", "login", login,
		    "reason", found ? "no_password" : "unknown_account"))) != DB_OK)
			log_warn("request_id=%s audit failed", req->request_id);
		add_error(errors, "general", "credentials");
		return login_page(req, 422, login, remember, next, errors, NULL);
	}
	if (a.lock_seconds > 0) {
		(void)audit(req, 0, "user.login_failed", a.id,
		    json_pack("{s:s}", "reason", "locked"));
		add_error(errors, "general", "locked");
		extra = json_object();
		json_object_set_new(extra, "lock_minutes", json_integer((a.lock_seconds + 59) / 60));
		return login_page(req, 403, login, remember, next, errors, extra);
	}
	if (!password_verify(a.password_hash, pw)) {
		ip_failure(req);
		if ((rc = db_begin(app->db)) != DB_OK) {
			json_decref(errors);
			return app_db_status(req, rc);
		}
		if ((rc = accounts_db_login_failed(app->db, a.id, ACCOUNTS_LOCK_AFTER,
		    ACCOUNTS_LOCK_SECONDS, &locked_now)) != DB_OK ||
		    (rc = audit(req, 0, "user.login_failed", a.id,
		    json_pack("{s:s}", "reason", "password"))) != DB_OK)
			goto fail_tx;
		if (locked_now &&
		    ((rc = mail(req, "account_locked", a.email, a.lang, json_pack("{s:s, s:i, s:s}",
		    "handle", a.handle, "minutes", ACCOUNTS_LOCK_SECONDS / 60,
		    "reset_link", abs_link(req, "/forgot", NULL)))) != DB_OK ||
		    (rc = audit(req, 0, "user.lock", a.id, json_pack("{s:i}", "minutes",
		    ACCOUNTS_LOCK_SECONDS / 60))) != DB_OK))
			goto fail_tx;
		if ((rc = db_commit(app->db)) != DB_OK)
			goto fail_tx;
		if (locked_now) {
			add_error(errors, "general", "locked");
			extra = json_object();
			json_object_set_new(extra, "lock_minutes",
			    json_integer(ACCOUNTS_LOCK_SECONDS / 60));
			return login_page(req, 403, login, remember, next, errors, extra);
		}
		add_error(errors, "general", "credentials");
		return login_page(req, 422, login, remember, next, errors, NULL);
	}
	if (strcmp(a.status, "active") != 0) {
		(void)audit(req, 0, "user.login_failed", a.id,
		    json_pack("{s:s}", "reason", "suspended"));
		add_error(errors, "general", "suspended");
		return login_page(req, 403, login, remember, next, errors, NULL);
	}
	json_decref(errors);

	/* The password is right. */
	if (password_needs_rehash(a.password_hash) && password_hash(pw, hash) == 0)
		new_hash = hash;
	if ((tfa = twofa_enabled(app->db, a.id)) < 0)
		return app_error(req, 503, NULL);
	if ((rc = db_begin(app->db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = accounts_db_login_ok(app->db, a.id, new_hash)) != DB_OK ||
	    (new_hash != NULL && (rc = audit(req, a.id, "user.password_rehash", a.id,
	    NULL)) != DB_OK) ||
	    (!tfa && (rc = audit(req, a.id, "user.login", a.id,
	    json_pack("{s:b}", "remember", remember))) != DB_OK))
		return abort_tx(req, rc);
	if ((rc = db_commit(app->db)) != DB_OK)
		return abort_tx(req, rc);
	sodium_memzero(hash, sizeof(hash));
	if (tfa)
		return twofa_begin_login(req, a.id, a.handle, a.roles, remember);
	if (session_start(req, a.id, a.handle, a.roles, remember) != 0)
		return app_error(req, 503, NULL);
	http_redirect(req, 303, next);
	return req->status;

limited:
	if (rc < 0) {
		json_decref(errors);
		return app_error(req, 503, NULL);
	}
	add_error(errors, "general", "rate_limited");
	extra = json_object();
	retry_after(req, extra, retry);
	return login_page(req, 429, login, remember, next, errors, extra);

fail_tx:
	json_decref(errors);
	return abort_tx(req, rc);
}

int
accounts_logout(http_req_t *req)
{
	if (req->session != NULL) {
		(void)audit(req, req->user_id, "user.logout", req->user_id, NULL);
		if (session_end(req) != 0)
			return app_error(req, 503, NULL);
	}
	http_redirect(req, 303, "/");
	return req->status;
}

int
accounts_logout_all(http_req_t *req)
{
	long long uid = req->user_id;
	int n;

	if ((n = session_end_all(req, uid, 0)) < 0)
		return app_error(req, 503, NULL);
	(void)audit(req, uid, "user.logout_all", uid, json_pack("{s:i}", "sessions", n));
	http_redirect(req, 303, "/login?done=logout_all");
	return req->status;
}

/* ==== the account page ==== */

static int
settings_page(http_req_t *req, int status, json_t *errors)
{
	const char *done = kv_get(&req->query_params, "done");
	const char *const dones[] = { "welcome", "password", "verify_sent" };
	json_t *ctx;
	int rc, n;

	if ((rc = accounts_db_settings(APP(req)->db, req->user_id, &ctx)) != DB_OK) {
		json_decref(errors);
		return app_db_status(req, rc);
	}
	n = session_count(req, req->user_id);
	json_object_set_new(ctx, "sessions", json_integer(n < 0 ? 0 : n));
	json_object_set_new(ctx, "other_sessions", json_integer(n > 1 ? n - 1 : 0));
	for (size_t i = 0; status == 200 && done != NULL && i < sizeof(dones) / sizeof(dones[0]); i++)
		if (strcmp(done, dones[i]) == 0)
			json_object_set_new(ctx, "done", json_pack("{s:b}", dones[i], 1));
	set_errors(ctx, errors);
	return show(req, status, "account/settings", N_("Your account"), "/account", ctx);
}

int
accounts_settings(http_req_t *req)
{
	return settings_page(req, 200, json_object());
}

int
accounts_password(http_req_t *req)
{
	struct app *app = APP(req);
	const char *cur = secret_field(req, "current_password");
	const char *pw = secret_field(req, "password");
	const char *pw2 = secret_field(req, "password_confirm");
	json_t *errors = json_object();
	struct account a;
	char hash[PASSWORD_HASH_SIZE], uid[24];
	unsigned roles;
	int rc, remember;
	long retry;

	snprintf(uid, sizeof(uid), "%lld", req->user_id);
	if ((rc = limited(req, arena_printf(req->arena, "pwchange:%lld", req->user_id),
	    ACCOUNTS_PWCHANGE, ACCOUNTS_PWCHANGE_WINDOW, 1, &retry)) < 0) {
		json_decref(errors);
		return app_error(req, 503, NULL);
	}
	if (rc > 0) {
		json_decref(errors);
		http_header(req, "Retry-After", arena_printf(req->arena, "%ld", retry));
		return app_error(req, 429, N_("You tried to change your password too many times. "
		    "Please wait a few minutes and try again."));
	}
	if ((rc = accounts_db_find(app->db, req->arena, "id", uid, &a)) != DB_OK) {
		json_decref(errors);
		return app_db_status(req, rc);
	}
	if (cur[0] == '\0')
		add_error(errors, "current_password", "required");
	else if (strlen(cur) > PASSWORD_MAX_BYTES || !password_verify(a.password_hash, cur))
		add_error(errors, "current_password", "wrong");
	check_new_password(errors, pw, pw2, a.email, a.handle);
	if (json_object_get(errors, "password") == NULL && strcmp(pw, cur) == 0)
		add_error(errors, "password", "same_as_current");
	if (json_object_size(errors) > 0) {
		if (json_object_get(errors, "current_password") != NULL)
			(void)audit(req, a.id, "user.password_change_failed", a.id, NULL);
		return settings_page(req, 422, errors);
	}
	json_decref(errors);

	if (password_hash(pw, hash) != 0)
		return app_error(req, 500, NULL);
	if ((rc = db_begin(app->db)) != DB_OK)
		return app_db_status(req, rc);
	rc = accounts_db_set_password(app->db, a.id, hash, NULL);
	sodium_memzero(hash, sizeof(hash));
	if (rc != DB_OK ||
	    (rc = mail(req, "password_changed", a.email, a.lang,
	    json_pack("{s:s}", "handle", a.handle))) != DB_OK ||
	    (rc = audit(req, a.id, "user.password_change", a.id, NULL)) != DB_OK)
		return abort_tx(req, rc);
	if ((rc = db_commit(app->db)) != DB_OK)
		return abort_tx(req, rc);

	/* Every other device is signed out; this one gets a fresh token. */
	roles = req->session->roles;
	remember = req->session->remember;
	if (session_end_all(req, a.id, 1) < 0 ||
	    session_start(req, a.id, a.handle, roles, remember) != 0)
		return app_error(req, 503, NULL);
	http_redirect(req, 303, "/account?done=password");
	return req->status;
}

int
accounts_resend(http_req_t *req)
{
	struct app *app = APP(req);
	struct account a;
	const char *token;
	char uid[24];
	int rc;
	long retry;

	snprintf(uid, sizeof(uid), "%lld", req->user_id);
	if ((rc = accounts_db_find(app->db, req->arena, "id", uid, &a)) != DB_OK)
		return app_db_status(req, rc);
	if (a.verified) {
		http_redirect(req, 303, "/account");
		return req->status;
	}
	if ((rc = limited(req, arena_printf(req->arena, "resend:%lld", a.id), ACCOUNTS_RESEND,
	    ACCOUNTS_RESEND_WINDOW, 1, &retry)) < 0)
		return app_error(req, 503, NULL);
	if (rc > 0) {
		http_header(req, "Retry-After", arena_printf(req->arena, "%ld", retry));
		return app_error(req, 429, N_("We have sent several verification e-mails already. "
		    "Please check your inbox and spam folder, or try again later."));
	}
	if ((rc = db_begin(app->db)) != DB_OK)
		return app_db_status(req, rc);
	if ((rc = accounts_db_token_expire(app->db, a.id, "verify")) != DB_OK ||
	    (rc = new_token(req, &a, "verify", &token)) != DB_OK ||
	    (rc = mail(req, "verify_email", a.email, a.lang, json_pack("{s:s, s:s}",
	    "handle", a.handle, "link", abs_link(req, "/verify?token=", token)))) != DB_OK ||
	    (rc = audit(req, a.id, "user.email_verify_resend", a.id, NULL)) != DB_OK)
		return abort_tx(req, rc);
	if ((rc = db_commit(app->db)) != DB_OK)
		return abort_tx(req, rc);
	http_redirect(req, 303, "/account?done=verify_sent");
	return req->status;
}

/* ==== forgotten password ==== */

static int
forgot_page(http_req_t *req, int status, const char *email, json_t *errors, long retry)
{
	json_t *ctx = json_pack("{s:{s:s}}", "values", "email", email);

	if (retry > 0) {
		add_error(errors, "general", "rate_limited");
		retry_after(req, ctx, retry);
	}
	set_errors(ctx, errors);
	return show(req, status, "account/forgot", N_("Reset your password"), "/forgot", ctx);
}

int
accounts_forgot_form(http_req_t *req)
{
	return forgot_page(req, 200, "", json_object(), 0);
}

int
accounts_forgot(http_req_t *req)
{
	struct app *app = APP(req);
	const char *email = field(req, &req->form, "email");
	const char *token;
	json_t *errors = json_object();
	enum field_check fc;
	struct account a;
	int rc;
	long retry;

	if ((fc = account_check_email(email)) != FIELD_OK) {
		add_error(errors, "email", field_check_code(fc));
		return forgot_page(req, 422, fc == FIELD_TOO_LONG ? "" : email, errors, 0);
	}
	if ((rc = limited(req, ip_key(req, "forgot"), ACCOUNTS_FORGOT_IP, ACCOUNTS_FORGOT_WINDOW,
	    1, &retry)) == 0)
		rc = limited(req, typed_key(req, "forgot:acct", email), ACCOUNTS_FORGOT_ACCT,
		    ACCOUNTS_FORGOT_WINDOW, 1, &retry);
	if (rc < 0) {
		json_decref(errors);
		return app_error(req, 503, NULL);
	}
	if (rc > 0)
		return forgot_page(req, 429, email, errors, retry);
	json_decref(errors);

	rc = accounts_db_find(app->db, req->arena, "email", email, &a);
	if (rc != DB_OK && rc != DB_ENOROW)
		return app_db_status(req, rc);
	/* Only active accounts get a link; the answer is the same for everyone. */
	if (rc == DB_OK && strcmp(a.status, "active") == 0) {
		if ((rc = db_begin(app->db)) != DB_OK)
			return app_db_status(req, rc);
		if ((rc = accounts_db_token_expire(app->db, a.id, "reset")) != DB_OK ||
		    (rc = new_token(req, &a, "reset", &token)) != DB_OK ||
		    (rc = mail(req, "password_reset", a.email, a.lang, json_pack("{s:s, s:s}",
		    "handle", a.handle, "link", abs_link(req, "/reset?token=", token)))) != DB_OK ||
		    (rc = audit(req, 0, "user.password_reset_request", a.id, NULL)) != DB_OK)
			return abort_tx(req, rc);
		if ((rc = db_commit(app->db)) != DB_OK)
			return abort_tx(req, rc);
	}
	return message(req, 200, N_("Check your e-mail"), "forgot_sent",
	    json_pack("{s:s}", "email", email));
}

/* ==== reset ==== */

static int
reset_page(http_req_t *req, int status, const char *token, const char *handle, json_t *errors)
{
	json_t *ctx = json_pack("{s:s, s:s}", "token", token, "handle", handle);

	set_errors(ctx, errors);
	return show(req, status, "account/reset", N_("Choose a new password"), "/reset", ctx);
}

/* The account of a valid reset token, or an answer (the status) on *status. */
static int
reset_account(http_req_t *req, const char *token, char hex[ACCOUNT_HASH_SIZE],
    struct account *a, int *status)
{
	enum token_state st;
	long long uid;
	char id[24];
	int rc;

	if (!account_token_ok(token)) {
		*status = token_problem(req, N_("Password reset link"), "reset", TOKEN_UNKNOWN);
		return -1;
	}
	account_token_hash(token, hex);
	if ((rc = accounts_db_token_state(APP(req)->db, hex, "reset", &st, &uid)) != DB_OK) {
		*status = app_db_status(req, rc);
		return -1;
	}
	if (st != TOKEN_VALID) {
		*status = token_problem(req, N_("Password reset link"), "reset", st);
		return -1;
	}
	snprintf(id, sizeof(id), "%lld", uid);
	if ((rc = accounts_db_find(APP(req)->db, req->arena, "id", id, a)) != DB_OK) {
		*status = app_db_status(req, rc);
		return -1;
	}
	return 0;
}

int
accounts_reset_form(http_req_t *req)
{
	const char *token = kv_get(&req->query_params, "token");
	char hex[ACCOUNT_HASH_SIZE];
	struct account a;
	int status;

	if (reset_account(req, token, hex, &a, &status) != 0)
		return status;
	return reset_page(req, 200, token, a.handle, json_object());
}

int
accounts_reset(http_req_t *req)
{
	struct app *app = APP(req);
	const char *token = kv_get(&req->form, "token");
	const char *pw = secret_field(req, "password");
	const char *pw2 = secret_field(req, "password_confirm");
	char hex[ACCOUNT_HASH_SIZE], hash[PASSWORD_HASH_SIZE], *email;
	json_t *errors = json_object();
	struct account a;
	long long uid;
	int rc, status;

	if (reset_account(req, token, hex, &a, &status) != 0) {
		json_decref(errors);
		return status;
	}
	check_new_password(errors, pw, pw2, a.email, a.handle);
	if (json_object_size(errors) > 0)
		return reset_page(req, 422, token, a.handle, errors);
	json_decref(errors);

	if (password_hash(pw, hash) != 0)
		return app_error(req, 500, NULL);
	if ((rc = db_begin(app->db)) != DB_OK)
		return app_db_status(req, rc);
	rc = accounts_db_token_use(app->db, req->arena, hex, "reset", &uid, &email);
	if (rc == DB_ENOROW || (rc == DB_OK && uid != a.id)) {
		/* Used by a concurrent request meanwhile. */
		(void)db_rollback(app->db);
		sodium_memzero(hash, sizeof(hash));
		return token_problem(req, N_("Password reset link"), "reset", TOKEN_USED);
	}
	if (rc == DB_OK)
		rc = accounts_db_set_password(app->db, a.id, hash, email);
	sodium_memzero(hash, sizeof(hash));
	if (rc != DB_OK ||
	    (rc = accounts_db_token_expire(app->db, a.id, "reset")) != DB_OK ||
	    (rc = mail(req, "password_changed", a.email, a.lang,
	    json_pack("{s:s}", "handle", a.handle))) != DB_OK ||
	    (rc = audit(req, 0, "user.password_reset", a.id, NULL)) != DB_OK)
		return abort_tx(req, rc);
	if ((rc = db_commit(app->db)) != DB_OK)
		return abort_tx(req, rc);
	/* Whoever had the old password is out, everywhere. */
	if (session_end_all(req, a.id, 0) < 0)
		log_warn("request_id=%s reset: sessions of user %lld not ended (redis)",
		    req->request_id, a.id);
	http_redirect(req, 303, "/login?done=reset");
	return req->status;
}

const route_t accounts_routes[] = {
	{ "GET", "/signup", accounts_signup_form, ROLE_ANON, "signup.form" },
	{ "POST", "/signup", accounts_signup, ROLE_ANON, "signup" },
	{ "GET", "/verify", accounts_verify, ROLE_ANON, "verify" },
	{ "GET", "/login", accounts_login_form, ROLE_ANON, "login.form" },
	{ "POST", "/login", accounts_login, ROLE_ANON, "login" },
	{ "POST", "/logout", accounts_logout, ROLE_ANON, "logout" },
	{ "GET", "/forgot", accounts_forgot_form, ROLE_ANON, "forgot.form" },
	{ "POST", "/forgot", accounts_forgot, ROLE_ANON, "forgot" },
	{ "GET", "/reset", accounts_reset_form, ROLE_ANON, "reset.form" },
	{ "POST", "/reset", accounts_reset, ROLE_ANON, "reset" },
	{ "GET", "/account", accounts_settings, ROLE_BUYER, "account" },
	{ "POST", "/account/password", accounts_password, ROLE_BUYER, "account.password" },
	{ "POST", "/account/verify", accounts_resend, ROLE_BUYER, "account.verify" },
	{ "POST", "/account/logout-all", accounts_logout_all, ROLE_BUYER, "account.logout_all" },
};
const size_t accounts_nroutes = sizeof(accounts_routes) / sizeof(accounts_routes[0]);
