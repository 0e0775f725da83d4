/*
 * session.c - sessions in Redis, cookies, CSRF (see session.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "identity/session.h"
#include "web/app.h"

#define TOKEN_BYTES 32
#define TOKEN_CHARS 43		/* base64url of 32 bytes, no padding */
#define USER_SET_TTL (SESSION_REMEMBER_SECONDS + 86400)

static const char *const role_names[] = {
	"ANON", "BUYER", "SELLER", "SUPPORT", "MODERATOR", "FINANCE", "ADMIN", "SUPER_ADMIN"
};

const char *
role_name(role_t r)
{
	if ((unsigned)r < sizeof(role_names) / sizeof(role_names[0]))
		return role_names[r];
	return "ANON";
}

int
role_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(role_names[i], name) == 0)
			return (int)i;
	return -1;
}

role_t
roles_highest(unsigned roles)
{
	for (int r = ROLE_SUPER_ADMIN; r > ROLE_ANON; r--)
		if (roles & ROLE_BIT(r))
			return (role_t)r;
	return ROLE_ANON;
}

static long long
now_unix(void)
{
	return (long long)time(NULL);
}

/* "sess:" + hex(sha256(token)) into @key (70 bytes). */
static void
session_key(const char *token, char key[70])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	memcpy(key, "sess:", 5);
	sodium_bin2hex(key + 5, 65, h, sizeof(h));
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

/* Run a command of up to 16 NUL-terminated arguments. */
static redisReply *
cmd(http_req_t *req, int argc, const char **argv)
{
	return kv_command(APP(req)->kv, argc, argv, NULL);
}

static void
set_cookie(http_req_t *req, const char *name, const char *value, long long max_age)
{
	const char *v;

	if (max_age < 0)
		v = arena_printf(req->arena, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
		    name, req->cookie_secure ? "; Secure" : "");
	else if (max_age > 0)
		v = arena_printf(req->arena, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
		    name, value, max_age, req->cookie_secure ? "; Secure" : "");
	else
		v = arena_printf(req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s",
		    name, value, req->cookie_secure ? "; Secure" : "");
	http_header(req, "Set-Cookie", v);
}

int
session_load(http_req_t *req)
{
	const char *token = kv_get(&req->cookies, SESSION_COOKIE);
	struct session *s;
	redisReply *r;
	long long now = now_unix(), ttl;
	char key[70];
	int have_uid = 0, have_csrf = 0;

	if (token == NULL)
		return 0;
	if (!token_ok(token)) {
		set_cookie(req, SESSION_COOKIE, "", -1);
		return 0;
	}
	session_key(token, key);
	if ((r = cmd(req, 2, (const char *[]){ "HGETALL", key })) == NULL)
		return -1;
	s = arena_calloc(req->arena, 1, sizeof(*s));
	memcpy(s->key, key, sizeof(key));
	if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			const char *f = r->element[i]->str, *v = r->element[i + 1]->str;

			if (f == NULL || v == NULL)
				continue;
			if (strcmp(f, "uid") == 0) {
				s->user_id = strtoll(v, NULL, 10);
				have_uid = s->user_id > 0;
			} else if (strcmp(f, "handle") == 0)
				snprintf(s->handle, sizeof(s->handle), "%s", v);
			else if (strcmp(f, "roles") == 0)
				s->roles = (unsigned)strtoul(v, NULL, 10);
			else if (strcmp(f, "csrf") == 0 && strlen(v) == 64) {
				memcpy(s->csrf_secret, v, 65);
				have_csrf = 1;
			} else if (strcmp(f, "created") == 0)
				s->created = strtoll(v, NULL, 10);
			else if (strcmp(f, "seen") == 0)
				s->seen = strtoll(v, NULL, 10);
			else if (strcmp(f, "abs_exp") == 0)
				s->abs_exp = strtoll(v, NULL, 10);
			else if (strcmp(f, "remember") == 0)
				s->remember = v[0] == '1';
		}
	}
	freeReplyObject(r);
	if (!have_uid || !have_csrf || s->abs_exp <= now) {
		/* Unknown, forged or past its absolute limit. */
		if (have_uid)
			freeReplyObject(cmd(req, 2, (const char *[]){ "DEL", key }));
		set_cookie(req, SESSION_COOKIE, "", -1);
		return 0;
	}
	/* Slide the idle expiry, at most once a minute. */
	if (now - s->seen >= 60) {
		ttl = s->abs_exp - now;
		if (ttl > SESSION_IDLE_SECONDS)
			ttl = SESSION_IDLE_SECONDS;
		freeReplyObject(cmd(req, 4, (const char *[]){ "HSET", key, "seen",
		    arena_printf(req->arena, "%lld", now) }));
		freeReplyObject(cmd(req, 3, (const char *[]){ "EXPIRE", key,
		    arena_printf(req->arena, "%lld", ttl) }));
		s->seen = now;
	}
	req->session = s;
	req->user_id = s->user_id;
	req->roles = s->roles | ROLE_BIT(ROLE_BUYER);
	req->role = roles_highest(req->roles);
	return 0;
}

static void
drop_session(http_req_t *req, long long uid, const char *key)
{
	char uset[40];

	snprintf(uset, sizeof(uset), "usess:%lld", uid);
	freeReplyObject(cmd(req, 2, (const char *[]){ "DEL", key }));
	freeReplyObject(cmd(req, 3, (const char *[]){ "SREM", uset, key }));
}

int
session_start(http_req_t *req, long long user_id, const char *handle, unsigned roles,
    int remember)
{
	unsigned char raw[TOKEN_BYTES], secret[32];
	char token[TOKEN_CHARS + 2], csrf[65], key[70], uset[40];
	struct session *s;
	long long now = now_unix(), life, ttl;
	redisReply *r;

	if (req->session != NULL)
		drop_session(req, req->session->user_id, req->session->key);
	req->session = NULL;
	req->csrf = NULL;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, sizeof(token), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	randombytes_buf(secret, sizeof(secret));
	sodium_bin2hex(csrf, sizeof(csrf), secret, sizeof(secret));
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(secret, sizeof(secret));
	session_key(token, key);
	snprintf(uset, sizeof(uset), "usess:%lld", user_id);

	life = remember ? SESSION_REMEMBER_SECONDS : SESSION_ABS_SECONDS;
	ttl = life < SESSION_IDLE_SECONDS ? life : SESSION_IDLE_SECONDS;
	r = cmd(req, 18, (const char *[]){ "HSET", key,
	    "uid", arena_printf(req->arena, "%lld", user_id),
	    "handle", handle,
	    "roles", arena_printf(req->arena, "%u", roles),
	    "csrf", csrf,
	    "created", arena_printf(req->arena, "%lld", now),
	    "seen", arena_printf(req->arena, "%lld", now),
	    "abs_exp", arena_printf(req->arena, "%lld", now + life),
	    "remember", remember ? "1" : "0" });
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	freeReplyObject(cmd(req, 3, (const char *[]){ "EXPIRE", key,
	    arena_printf(req->arena, "%lld", ttl) }));
	freeReplyObject(cmd(req, 3, (const char *[]){ "SADD", uset, key }));
	freeReplyObject(cmd(req, 3, (const char *[]){ "EXPIRE", uset,
	    arena_printf(req->arena, "%d", USER_SET_TTL) }));

	s = arena_calloc(req->arena, 1, sizeof(*s));
	memcpy(s->key, key, sizeof(key));
	s->user_id = user_id;
	snprintf(s->handle, sizeof(s->handle), "%s", handle);
	s->roles = roles;
	memcpy(s->csrf_secret, csrf, sizeof(csrf));
	s->created = s->seen = now;
	s->abs_exp = now + life;
	s->remember = remember;
	req->session = s;
	req->user_id = user_id;
	req->roles = roles | ROLE_BIT(ROLE_BUYER);
	req->role = roles_highest(req->roles);
	set_cookie(req, SESSION_COOKIE, token, remember ? life : 0);
	return 0;
}

int
session_end(http_req_t *req)
{
	if (req->session != NULL) {
		if (APP(req)->kv == NULL || kv_ensure(APP(req)->kv) != 0)
			return -1;
		drop_session(req, req->session->user_id, req->session->key);
	}
	req->session = NULL;
	req->user_id = 0;
	req->roles = 0;
	req->role = ROLE_ANON;
	req->csrf = NULL;
	set_cookie(req, SESSION_COOKIE, "", -1);
	return 0;
}

int
session_end_all(http_req_t *req, long long user_id, int keep_current)
{
	char uset[40];
	redisReply *r;
	int n = 0;

	snprintf(uset, sizeof(uset), "usess:%lld", user_id);
	if ((r = cmd(req, 2, (const char *[]){ "SMEMBERS", uset })) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < r->elements; i++) {
			const char *key = r->element[i]->str;

			if (key == NULL)
				continue;
			if (keep_current && req->session != NULL &&
			    req->session->user_id == user_id && strcmp(key, req->session->key) == 0)
				continue;
			drop_session(req, user_id, key);
			n++;
		}
	}
	freeReplyObject(r);
	if (!keep_current && req->session != NULL && req->session->user_id == user_id) {
		req->session = NULL;
		req->user_id = 0;
		req->roles = 0;
		req->role = ROLE_ANON;
		set_cookie(req, SESSION_COOKIE, "", -1);
	}
	return n;
}

int
session_count(http_req_t *req, long long user_id)
{
	char uset[40];
	redisReply *r;
	int n = 0;

	snprintf(uset, sizeof(uset), "usess:%lld", user_id);
	if ((r = cmd(req, 2, (const char *[]){ "SMEMBERS", uset })) == NULL)
		return -1;
	/* The set may name sessions that expired on their own: count live ones. */
	if (r->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < r->elements; i++) {
			redisReply *e;

			if (r->element[i]->str == NULL)
				continue;
			e = cmd(req, 2, (const char *[]){ "EXISTS", r->element[i]->str });
			if (e != NULL && e->type == REDIS_REPLY_INTEGER && e->integer == 1)
				n++;
			else
				freeReplyObject(cmd(req, 3, (const char *[]){ "SREM", uset,
				    r->element[i]->str }));
			freeReplyObject(e);
		}
	freeReplyObject(r);
	return n;
}

const char *
csrf_token(http_req_t *req)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES], key[32], raw[32];
	const char *c;
	char *hex;
	size_t n;

	if (req->csrf != NULL)
		return req->csrf;
	hex = arena_alloc(req->arena, 65);
	if (req->session != NULL) {
		if (sodium_hex2bin(key, sizeof(key), req->session->csrf_secret, 64, NULL, &n,
		    NULL) != 0 || n != sizeof(key))
			fatal("session: bad CSRF secret");
		crypto_auth_hmacsha256(mac, (const unsigned char *)"souk-csrf-v1", 12, key);
		sodium_bin2hex(hex, 65, mac, sizeof(mac));
		sodium_memzero(key, sizeof(key));
	} else if ((c = kv_get(&req->cookies, CSRF_COOKIE)) != NULL && strlen(c) == 64 &&
	    strspn(c, "0123456789abcdef") == 64) {
		memcpy(hex, c, 65);
	} else {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, 65, raw, sizeof(raw));
		set_cookie(req, CSRF_COOKIE, hex, 0);
	}
	req->csrf = hex;
	return hex;
}

int
csrf_check(http_req_t *req)
{
	const char *got = kv_get(&req->form, CSRF_FIELD);
	const char *want;

	/* An anonymous request with no cookie has nothing to match. */
	if (req->session == NULL && kv_get(&req->cookies, CSRF_COOKIE) == NULL)
		return -1;
	want = csrf_token(req);
	if (got == NULL || strlen(got) != 64)
		return -1;
	return sodium_memcmp(got, want, 64) == 0 ? 0 : -1;
}
