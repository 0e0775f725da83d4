/*
 * test_markdown.c - gig descriptions (src/studio/markdown.c) and the
 * studio's pure functions (price parsing, the status machine).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "studio/markdown.h"
#include "studio/studio.h"

static char *
md(const char *s)
{
	char *h = markdown_to_html(s, strlen(s));

	assert_non_null(h);
	return h;
}

static void
test_basic(void **state)
{
	char *h = md("# Title\n\nSome **bold** and *em*.\n\n- a\n- b\n");

	(void)state;
	assert_non_null(strstr(h, "<h1>Title</h1>"));
	assert_non_null(strstr(h, "<strong>bold</strong>"));
	assert_non_null(strstr(h, "<li>a</li>"));
	free(h);
}

static void
test_raw_html_dropped(void **state)
{
	static const char *const in[] = {
		"<script>alert(1)</script>",
		"hello <img src=x onerror=alert(1)> there",
		"<div onclick=\"x()\">block</div>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"a <svg/onload=alert(1)> b",
		"<style>body{display:none}</style>",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *h = md(in[i]);

		assert_null(strstr(h, "<script"));
		assert_null(strstr(h, "<img"));
		assert_null(strstr(h, "<div"));
		assert_null(strstr(h, "<iframe"));
		assert_null(strstr(h, "<svg"));
		assert_null(strstr(h, "<style"));
		free(h);
	}
}

static void
test_links(void **state)
{
	char *h;

	(void)state;
	h = md("[site](https://example.com/a?b=1&c=2 \"T\\\"x\")");
	assert_non_null(strstr(h, "<a href=\"https://example.com/a?b=1&amp;c=2\" "
	    "title=\"T&quot;x\" rel=\"nofollow ugc\">site</a>"));
	free(h);
	h = md("<https://example.com/auto>");
	assert_non_null(strstr(h, "rel=\"nofollow ugc\""));
	free(h);
	h = md("[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](vbscript:x) "
	    "[w](data:text/html;base64,PHNjcmlwdD4=)");
	assert_null(strstr(h, "href"));
	assert_null(strstr(h, "javascript"));
	assert_non_null(strstr(h, "x"));
	free(h);
	h = md("[q](\"onmouseover=alert(1) \"x\")");
	assert_null(strstr(h, "\" onmouseover"));
	free(h);
	h = md("[r](https://e.com/\"><script>alert(1)</script>)");
	assert_null(strstr(h, "<script"));
	free(h);
	h = md("![i](javascript:alert(1))");
	assert_null(strstr(h, "javascript"));
	free(h);
}

static void
test_url_ok(void **state)
{
	(void)state;
	assert_true(markdown_url_ok("https://a.b"));
	assert_true(markdown_url_ok("HTTP://a.b"));
	assert_true(markdown_url_ok("mailto:a@b.c"));
	assert_true(markdown_url_ok("/relative/path:x"));
	assert_true(markdown_url_ok("#frag"));
	assert_false(markdown_url_ok("javascript:alert(1)"));
	assert_false(markdown_url_ok("data:text/html,x"));
	assert_false(markdown_url_ok("java\tscript:x"));
	assert_false(markdown_url_ok(NULL));
}

static void
test_price(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(studio_parse_price("25", &v), 0);
	assert_int_equal(v, 2500);
	assert_int_equal(studio_parse_price("25.5", &v), 0);
	assert_int_equal(v, 2550);
	assert_int_equal(studio_parse_price("1,250.05", &v), 0);
	assert_int_equal(v, 125005);
	assert_int_equal(studio_parse_price("25,50", &v), 0);
	assert_int_equal(v, 2550);
	assert_int_equal(studio_parse_price("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(studio_parse_price("-5", &v), -1);
	assert_int_equal(studio_parse_price("1.234", &v), -1);
	assert_int_equal(studio_parse_price("abc", &v), -1);
	assert_int_equal(studio_parse_price("", &v), -1);
	assert_int_equal(studio_parse_price("5.", &v), -1);
	assert_int_equal(studio_parse_price("99999999999999999999", &v), -1);
}

static void
test_transitions(void **state)
{
	(void)state;
	assert_true(studio_transition_ok("draft", "pending_review"));
	assert_true(studio_transition_ok("requires_changes", "pending_review"));
	assert_true(studio_transition_ok("pending_review", "active"));
	assert_true(studio_transition_ok("pending_review", "denied"));
	assert_true(studio_transition_ok("active", "paused"));
	assert_true(studio_transition_ok("paused", "active"));
	assert_true(studio_transition_ok("denied", "archived"));
	assert_false(studio_transition_ok("draft", "active"));
	assert_false(studio_transition_ok("denied", "pending_review"));
	assert_false(studio_transition_ok("archived", "archived"));
	assert_false(studio_transition_ok("archived", "active"));
	assert_false(studio_transition_ok("draft", "bogus"));
	assert_false(studio_transition_ok(NULL, "active"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_raw_html_dropped),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_url_ok),
		cmocka_unit_test(test_price),
		cmocka_unit_test(test_transitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
