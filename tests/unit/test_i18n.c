/*
 * test_i18n.c - unit tests for src/i18n: the .mo reader (on catalogs the
 * tests write themselves, in both byte orders and broken in various
 * ways), lookups, Accept-Language negotiation, redirect targets and the
 * GET /lang handler.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "http/parse.h"
#include "i18n/i18n.h"

/* ---- writing .mo files ------------------------------------------------ */

struct pair {
	const char *id;		/* may contain NULs: then idlen says how long */
	size_t idlen;
	const char *str;
	size_t strlen;
};

#define P(id, str) { id, sizeof(id) - 1, str, sizeof(str) - 1 }

static void
put32(unsigned char *p, uint32_t v, int big)
{
	if (big) {
		p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
		p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
	} else {
		p[3] = (unsigned char)(v >> 24); p[2] = (unsigned char)(v >> 16);
		p[1] = (unsigned char)(v >> 8); p[0] = (unsigned char)v;
	}
}

/*
 * A .mo image of @n pairs, in the order given (not sorted, so the reader
 * must not rely on the order), in big- or little-endian byte order.
 * Returns a malloc'd buffer; *size gets its length.
 */
static unsigned char *
mo_image(const struct pair *pairs, size_t n, int big, size_t *size)
{
	size_t o = 28, t = o + n * 8, data = t + n * 8, total = data, i, at;
	unsigned char *img;

	for (i = 0; i < n; i++)
		total += pairs[i].idlen + 1 + pairs[i].strlen + 1;
	img = calloc(1, total);
	assert_non_null(img);
	put32(img, 0x950412de, big);
	put32(img + 4, 0, big);
	put32(img + 8, (uint32_t)n, big);
	put32(img + 12, (uint32_t)o, big);
	put32(img + 16, (uint32_t)t, big);
	put32(img + 20, 0, big);
	put32(img + 24, (uint32_t)total, big);
	at = data;
	for (i = 0; i < n; i++) {
		put32(img + o + i * 8, (uint32_t)pairs[i].idlen, big);
		put32(img + o + i * 8 + 4, (uint32_t)at, big);
		memcpy(img + at, pairs[i].id, pairs[i].idlen);
		at += pairs[i].idlen + 1;
	}
	for (i = 0; i < n; i++) {
		put32(img + t + i * 8, (uint32_t)pairs[i].strlen, big);
		put32(img + t + i * 8 + 4, (uint32_t)at, big);
		memcpy(img + at, pairs[i].str, pairs[i].strlen);
		at += pairs[i].strlen + 1;
	}
	*size = total;
	return img;
}

static char tmpdir[64];

static void
write_mo(const unsigned char *img, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/zh_CN.mo", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

static const struct pair sample[] = {
	P("Search", "搜索"),
	P("", "Content-Type: text/plain; charset=UTF-8\n"),	/* the header */
	P("{{total}} services available", "共 {{total}} 项服务"),
	P("Home", "首页"),
	P("Untranslated", ""),
	{ "file\0files", 10, "文件\0", 7 },			/* plural */
	P("Search services", "搜索服务"),
	P("Page", "页码"),
};
#define NSAMPLE (sizeof(sample) / sizeof(sample[0]))

static int
setup(void **state)
{
	unsigned char *img;
	size_t size;
	char err[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_i18n.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	img = mo_image(sample, NSAMPLE, 0, &size);
	write_mo(img, size);
	free(img);
	assert_int_equal(i18n_load(tmpdir, err, sizeof(err)), 0);
	*state = arena_new(0);
	return 0;
}

static int
teardown(void **state)
{
	char path[128];

	arena_free(*state);
	i18n_free();
	snprintf(path, sizeof(path), "%s/zh_CN.mo", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

/* ---- lookups ---------------------------------------------------------- */

static void
test_lookup(void **state)
{
	const char *msg = "Search services and more";
	const char *s;
	size_t n;

	(void)state;
	/* header and untranslated entries are not counted */
	assert_int_equal(i18n_count("zh-CN"), NSAMPLE - 2);
	assert_int_equal(i18n_count("en"), 0);
	assert_int_equal(i18n_count("fr"), 0);

	s = i18n_gettext("zh-CN", "Search", 6, &n);
	assert_int_equal(n, strlen("搜索"));
	assert_memory_equal(s, "搜索", n);
	assert_int_equal(s[n], '\0');
	assert_string_equal(i18n_str("zh-CN", "Home"), "首页");
	assert_string_equal(i18n_str("zh-CN", "{{total}} services available"),
	    "共 {{total}} 项服务");
	/* the length bounds the key: a prefix of a longer text */
	s = i18n_gettext("zh-CN", msg, 15, &n);
	assert_int_equal(n, strlen("搜索服务"));
	assert_memory_equal(s, "搜索服务", n);
	s = i18n_gettext("zh-CN", msg, 6, &n);
	assert_string_equal(s, "搜索");

	/* misses give the msgid itself, pointer and length */
	s = i18n_gettext("zh-CN", msg, strlen(msg), &n);
	assert_ptr_equal(s, msg);
	assert_int_equal(n, strlen(msg));
	assert_ptr_equal(i18n_str("zh-CN", msg), msg);
	assert_string_equal(i18n_str("zh-CN", "Sear"), "Sear");
	assert_string_equal(i18n_str("zh-CN", "Searchx"), "Searchx");
	assert_string_equal(i18n_str("zh-CN", "search"), "search");
	assert_string_equal(i18n_str("zh-CN", "Untranslated"), "Untranslated");
	/* the header is not a translation of "" */
	s = i18n_gettext("zh-CN", "", 0, &n);
	assert_string_equal(s, "");
	assert_int_equal(n, 0);
	/* plural entries: singular key, first form */
	assert_string_equal(i18n_str("zh-CN", "file"), "文件");
	assert_string_equal(i18n_str("zh-CN", "files"), "files");

	/* English and unknown languages: no lookup at all */
	assert_ptr_equal(i18n_str("en", "Home"), i18n_str(NULL, "Home"));
	assert_string_equal(i18n_str("en", "Home"), "Home");
	assert_string_equal(i18n_str("fr", "Home"), "Home");
	assert_string_equal(i18n_str(NULL, "Home"), "Home");
	assert_null(i18n_str("zh-CN", NULL));
	assert_null(i18n_gettext("zh-CN", NULL, 0, NULL));

	/* error page titles */
	assert_string_equal(i18n_status_text("en", 404), "Not Found");
	assert_string_equal(i18n_status_text("zh-CN", 404), "Not Found");	/* not in this catalog */
	assert_string_equal(i18n_status_text("en", 599), "Unknown");
}

static void
test_big_endian(void **state)
{
	static const struct pair pairs[] = { P("Next", "下一页"), P("Previous", "上一页") };
	unsigned char *img;
	size_t size;
	char err[256];

	(void)state;
	img = mo_image(pairs, 2, 1, &size);
	write_mo(img, size);
	free(img);
	assert_int_equal(i18n_load(tmpdir, err, sizeof(err)), 0);
	assert_int_equal(i18n_count("zh-CN"), 2);
	assert_string_equal(i18n_str("zh-CN", "Next"), "下一页");
	assert_string_equal(i18n_str("zh-CN", "Previous"), "上一页");
	assert_string_equal(i18n_str("zh-CN", "Home"), "Home");
}

/* Load a broken image: must fail with a message and keep the old catalog. */
static void
expect_broken(unsigned char *img, size_t size, const char *what)
{
	char err[256] = "";

	write_mo(img, size);
	assert_int_equal(i18n_load(tmpdir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "zh_CN.mo"));
	if (what != NULL && strstr(err, what) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", what, err);
	assert_string_equal(i18n_str("zh-CN", "Home"), "首页");
}

static void
test_malformed(void **state)
{
	unsigned char *img;
	size_t size;
	char err[256];

	(void)state;
	img = mo_image(sample, NSAMPLE, 0, &size);

	img[0] ^= 0xff;					/* magic */
	expect_broken(img, size, "magic");
	img[0] ^= 0xff;

	expect_broken(img, 10, "short");		/* shorter than the header */
	expect_broken(img, 40, NULL);			/* tables cut off */
	expect_broken(img, size - 3, NULL);		/* last string cut off */

	put32(img + 4, 2u << 16, 0);			/* revision 2.0 */
	expect_broken(img, size, "revision");
	put32(img + 4, 1, 0);				/* 0.1 is fine */
	write_mo(img, size);
	assert_int_equal(i18n_load(tmpdir, err, sizeof(err)), 0);
	put32(img + 4, 0, 0);

	put32(img + 8, 0x20000000, 0);			/* N far too large */
	expect_broken(img, size, NULL);
	put32(img + 8, NSAMPLE, 0);

	put32(img + 12, 0xfffffff0u, 0);		/* O past the end */
	expect_broken(img, size, NULL);
	put32(img + 12, 28, 0);

	free(img);
	img = mo_image(sample, NSAMPLE, 0, &size);
	put32(img + 28 + 4, 0xffffffffu, 0);		/* a string offset past the end */
	expect_broken(img, size, NULL);
	free(img);
	img = mo_image(sample, NSAMPLE, 0, &size);
	put32(img + 28, 0xfffffff0u, 0);		/* a length past the end */
	expect_broken(img, size, NULL);
	free(img);
	img = mo_image(sample, NSAMPLE, 0, &size);
	put32(img + 28 + NSAMPLE * 8 + 4, (uint32_t)size, 0);	/* a translation at the very end */
	expect_broken(img, size, NULL);

	free(img);
	img = mo_image(sample, NSAMPLE, 0, &size);
	img[size - 1] = 'x';				/* a string without its NUL */
	expect_broken(img, size, NULL);
	free(img);

	/* a missing file is an error; NULL unloads */
	assert_int_equal(i18n_load("/nonexistent/souk-locale", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/souk-locale/zh_CN.mo"));
	assert_string_equal(i18n_str("zh-CN", "Home"), "首页");
	assert_int_equal(i18n_load(NULL, err, sizeof(err)), 0);
	assert_int_equal(i18n_count("zh-CN"), 0);
	assert_string_equal(i18n_str("zh-CN", "Home"), "Home");
	/* an empty file */
	write_mo((const unsigned char *)"", 0);
	assert_int_equal(i18n_load(tmpdir, err, sizeof(err)), -1);
}

static void
test_load_default(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(setenv("SOUK_LOCALE_DIR", tmpdir, 1), 0);
	assert_int_equal(i18n_load_default(err, sizeof(err)), 0);
	assert_string_equal(i18n_str("zh-CN", "Home"), "首页");
	assert_int_equal(setenv("SOUK_LOCALE_DIR", "/nonexistent/souk-locale", 1), 0);
	assert_int_equal(i18n_load_default(err, sizeof(err)), -1);
	assert_int_equal(unsetenv("SOUK_LOCALE_DIR"), 0);
}

/* ---- negotiation ------------------------------------------------------- */

#define PICK(cookie, al, want) assert_string_equal(i18n_pick(cookie, al), want)

static void
test_pick(void **state)
{
	(void)state;
	/* the brief's examples */
	PICK(NULL, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN");
	PICK(NULL, "en-US,en;q=0.9,zh;q=0.8", "en");
	PICK(NULL, "fr", "en");
	PICK(NULL, "zh-TW", "zh-CN");

	/* no header, empty, wildcard */
	PICK(NULL, NULL, "en");
	PICK(NULL, "", "en");
	PICK(NULL, "*", "en");
	PICK(NULL, "   ,  ,", "en");

	/* every Chinese variant is Simplified Chinese here */
	PICK(NULL, "zh", "zh-CN");
	PICK(NULL, "zh-Hans", "zh-CN");
	PICK(NULL, "zh-Hans-CN", "zh-CN");
	PICK(NULL, "zh-SG", "zh-CN");
	PICK(NULL, "ZH-cn", "zh-CN");
	PICK(NULL, "zh-HK, en;q=0.5", "zh-CN");
	PICK(NULL, "zhx", "en");		/* not zh */
	PICK(NULL, "enz, zh;q=0.1", "zh-CN");	/* not en */
	PICK(NULL, "en-GB", "en");

	/* q-values */
	PICK(NULL, "en;q=0.5, zh;q=0.6", "zh-CN");
	PICK(NULL, "zh;q=0.5, en;q=0.6", "en");
	PICK(NULL, "fr, de;q=0.9, zh;q=0.1", "zh-CN");
	PICK(NULL, "zh;q=1.000, en", "zh-CN");	/* a tie: the first named */
	PICK(NULL, "en, zh", "en");
	PICK(NULL, "zh, en", "zh-CN");
	PICK(NULL, "zh;q=0.500, en;q=0.499", "zh-CN");
	PICK(NULL, "zh ; q = 0.9 , en ; q=0.8", "en");	/* no blanks around '=': zh is skipped */
	PICK(NULL, "zh;Q=0.9, en;q=0.8", "zh-CN");	/* parameter names are case-insensitive */
	PICK(NULL, "zh-CN;level=1;q=0.9, en;q=0.8", "zh-CN");

	/* q=0 excludes */
	PICK(NULL, "zh;q=0", "en");
	PICK(NULL, "zh;q=0.000, en;q=0", "en");
	PICK(NULL, "en;q=0, zh;q=0.1", "zh-CN");
	PICK(NULL, "zh-CN, zh;q=0", "zh-CN");	/* the best range counts */

	/* the wildcard covers what is not named */
	PICK(NULL, "en;q=0, *", "zh-CN");
	PICK(NULL, "zh;q=0.5, *", "en");
	PICK(NULL, "*;q=0.1, zh;q=0.2", "zh-CN");
	PICK(NULL, "de, *;q=0.5", "en");

	/* malformed input is skipped, never fatal */
	PICK(NULL, "xx-Ugh;q=abc, *;q=-1, zh-CN", "zh-CN");
	PICK(NULL, "zh;q=2", "en");
	PICK(NULL, "zh;q=1.5", "en");
	PICK(NULL, "zh;q=0.1234", "en");
	PICK(NULL, "zh;q=", "en");
	PICK(NULL, "zh;q", "en");
	PICK(NULL, "zh;;;", "zh-CN");
	PICK(NULL, "zh-", "en");
	PICK(NULL, "-zh", "en");
	PICK(NULL, "zh--CN", "en");
	PICK(NULL, "zh-abcdefghi", "en");	/* subtag longer than 8 */
	PICK(NULL, "1zh", "en");
	PICK(NULL, "zh CN", "en");
	PICK(NULL, "z\xe4h, zh", "zh-CN");
	PICK(NULL, ";q=1, zh;q=0.3", "zh-CN");
	PICK(NULL, "\"zh\"", "en");
	PICK(NULL, "zh\t;\tq=0.7\t,\ten;q=0.6", "zh-CN");

	/* only the first 64 ranges are read */
	{
		char big[64 * 3 + 8];
		size_t i;

		for (i = 0; i < 64; i++)
			memcpy(big + i * 3, "fr,", 3);
		memcpy(big + 64 * 3, "zh", 3);
		PICK(NULL, big, "en");
		PICK(NULL, big + 3, "zh-CN");	/* 63 + 1 */
	}

	/* the cookie wins when valid */
	PICK("zh-CN", "en-US,en", "zh-CN");
	PICK("en", "zh-CN", "en");
	PICK("zh-cn", "zh-CN", "zh-CN");	/* invalid cookie: the header decides */
	PICK("zh-cn", "en", "en");
	PICK("fr", "zh", "zh-CN");
	PICK("", "zh", "zh-CN");
	PICK("en ", "zh", "zh-CN");
}

static void
test_lang_valid(void **state)
{
	(void)state;
	assert_int_equal(i18n_lang_valid("en"), 1);
	assert_int_equal(i18n_lang_valid("zh-CN"), 1);
	assert_int_equal(i18n_lang_valid("zh"), 0);
	assert_int_equal(i18n_lang_valid("EN"), 0);
	assert_int_equal(i18n_lang_valid(""), 0);
	assert_int_equal(i18n_lang_valid(NULL), 0);
}

/* A request as http_req_init leaves it, from a few FastCGI parameters. */
static void
fake_req(http_req_t *req, arena_t *a, FCGX_Request *f, char **envp, const char *query,
    const char *cookie, const char *al)
{
	memset(req, 0, sizeof(*req));
	memset(f, 0, sizeof(*f));
	f->envp = envp;
	req->arena = a;
	req->fcgx = f;
	req->status = 200;
	req->method = "GET";
	req->path = "/lang";
	req->host = "127.0.0.1";
	req->accept_language = al;
	buf_init(&req->headers, a);
	buf_init(&req->body, a);
	assert_int_equal(http_parse_urlencoded(a, query, strlen(query), NULL,
	    &req->query_params), PARSE_OK);
	assert_int_equal(http_parse_cookies(a, cookie, NULL, &req->cookies), PARSE_OK);
}

static void
test_negotiate(void **state)
{
	arena_t *a = *state;
	char *envp[] = { NULL };
	FCGX_Request f;
	http_req_t req;

	fake_req(&req, a, &f, envp, "", "souk_lang=zh-CN; other=1", "en-US");
	assert_string_equal(i18n_negotiate(&req), "zh-CN");
	assert_non_null(strstr(buf_cstr(&req.headers), "Vary: Accept-Language, Cookie\r\n"));
	fake_req(&req, a, &f, envp, "", "other=1", "zh;q=0.8, en;q=0.2");
	assert_string_equal(i18n_negotiate(&req), "zh-CN");
	fake_req(&req, a, &f, envp, "", "", "");
	assert_string_equal(i18n_negotiate(&req), "en");
}

/* ---- redirect targets and GET /lang -------------------------------------- */

static void
test_safe_next(void **state)
{
	arena_t *a = *state;
	char longp[2100];

	assert_string_equal(i18n_safe_next(a, "/"), "/");
	assert_string_equal(i18n_safe_next(a, "/c/logo-design?page=2&sort=rating"),
	    "/c/logo-design?page=2&sort=rating");
	assert_string_equal(i18n_safe_next(a, "/search?q=设计"),
	    "/search?q=%E8%AE%BE%E8%AE%A1");
	assert_string_equal(i18n_safe_next(a, "/search?q=a b\"<x>"), "/search?q=a%20b%22%3Cx%3E");
	assert_null(i18n_safe_next(a, NULL));
	assert_null(i18n_safe_next(a, ""));
	assert_null(i18n_safe_next(a, "//evil.example"));
	assert_null(i18n_safe_next(a, "//evil.example/path"));
	assert_null(i18n_safe_next(a, "/\\evil.example"));
	assert_null(i18n_safe_next(a, "/a\\b"));
	assert_null(i18n_safe_next(a, "https://evil.example/"));
	assert_null(i18n_safe_next(a, "evil.example"));
	assert_null(i18n_safe_next(a, "javascript:alert(1)"));
	assert_null(i18n_safe_next(a, "/x\r\nSet-Cookie: a=b"));
	assert_null(i18n_safe_next(a, "/x\ty"));
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_null(i18n_safe_next(a, longp));
}

/* The value of response header @name in @req, or NULL. */
static const char *
header(http_req_t *req, const char *name)
{
	const char *p = buf_cstr(&req->headers), *eol;
	size_t n = strlen(name);

	for (; (eol = strstr(p, "\r\n")) != NULL; p = eol + 2)
		if (strncmp(p, name, n) == 0 && p[n] == ':' && p[n + 1] == ' ')
			return arena_strndup(req->arena, p + n + 2, (size_t)(eol - p - n - 2));
	return NULL;
}

static void
expect_switch(arena_t *a, const char *query, const char *referer, const char *location)
{
	char ref[512], *envp[] = { ref, NULL };
	FCGX_Request f;
	http_req_t req;

	if (referer != NULL)
		snprintf(ref, sizeof(ref), "HTTP_REFERER=%s", referer);
	else
		envp[0] = NULL;
	fake_req(&req, a, &f, envp, query, "", "");
	assert_int_equal(i18n_switch(&req), 303);
	assert_int_equal(req.status, 303);
	assert_non_null(header(&req, "Location"));
	if (strcmp(header(&req, "Location"), location) != 0)
		fail_msg("%s (referer %s): Location %s, want %s", query,
		    referer ? referer : "-", header(&req, "Location"), location);
	assert_non_null(header(&req, "Set-Cookie"));
	assert_string_equal(header(&req, "Cache-Control"), "no-store");
}

static void
test_switch(void **state)
{
	arena_t *a = *state;
	char *envp[] = { NULL };
	FCGX_Request f;
	http_req_t req;

	fake_req(&req, a, &f, envp, "l=zh-CN&next=%2Fc%2Flogo-design%3Fpage%3D2", "", "");
	assert_int_equal(i18n_switch(&req), 303);
	assert_string_equal(header(&req, "Location"), "/c/logo-design?page=2");
	assert_string_equal(header(&req, "Set-Cookie"),
	    "souk_lang=zh-CN; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");
	fake_req(&req, a, &f, envp, "l=en&next=/", "", "");
	req.cookie_secure = 1;
	assert_int_equal(i18n_switch(&req), 303);
	assert_string_equal(header(&req, "Set-Cookie"),
	    "souk_lang=en; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure");

	/* where to go back to */
	expect_switch(a, "l=en&next=//evil.example", NULL, "/");
	expect_switch(a, "l=en&next=https://evil.example/", NULL, "/");
	expect_switch(a, "l=en&next=/lang?l=zh-CN", NULL, "/");
	expect_switch(a, "l=en", NULL, "/");
	expect_switch(a, "l=en", "http://127.0.0.1:8080/c/writing?sort=newest#top",
	    "/c/writing?sort=newest");
	expect_switch(a, "l=en", "https://127.0.0.1/u/amira", "/u/amira");
	expect_switch(a, "l=en", "http://127.0.0.1:8080", "/");
	expect_switch(a, "l=en", "http://127.0.0.1:8080?x", "/");
	expect_switch(a, "l=en", "http://evil.example/c/writing", "/");
	expect_switch(a, "l=en", "http://127.0.0.1.evil.example/c/writing", "/");
	expect_switch(a, "l=en", "http://127.0.0.1@evil.example/x", "/");
	expect_switch(a, "l=en", "http://127.0.0.1:8080//evil.example", "/");
	expect_switch(a, "l=en", "ftp://127.0.0.1/x", "/");
	expect_switch(a, "l=en", "/relative", "/");
	expect_switch(a, "l=en", "http://127.0.0.1:8080/lang?l=zh-CN", "/");
	/* next wins over the Referer */
	expect_switch(a, "l=zh-CN&next=/search?q=x", "http://127.0.0.1/c/writing", "/search?q=x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_endian, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lang_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negotiate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safe_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
