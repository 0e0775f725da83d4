/*
 * test_sellers.c - unit tests of the pure functions of src/sellers/sellers.c:
 * input validation of the onboarding forms and the masking of payout
 * details.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/arena.h"
#include "sellers/sellers.h"

#define B "\xe2\x80\xa2"	/* • */

static int
setup(void **state)
{
	*state = arena_new(0);
	return 0;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

static void
test_utf8_chars(void **state)
{
	(void)state;
	assert_int_equal(seller_utf8_chars(""), 0);
	assert_int_equal(seller_utf8_chars("abc"), 3);
	assert_int_equal(seller_utf8_chars("\xe7\x8e\x8b\xe4\xbc\x9f"), 2);	/* 王伟 */
	assert_int_equal(seller_utf8_chars("a\xf0\x9f\x98\x80" "b"), 3);
}

static void
test_clean_text(void **state)
{
	arena_t *a = *state;
	const char *out;

	assert_int_equal(seller_clean_text(a, "  Jane Doe \t", 0, &out), 0);
	assert_string_equal(out, "Jane Doe");
	assert_int_equal(seller_clean_text(a, NULL, 0, &out), 0);
	assert_string_equal(out, "");
	assert_int_equal(seller_clean_text(a, "\r\n \n", 0, &out), 0);
	assert_string_equal(out, "");
	/* Line breaks: refused on one line, normalised to LF in text. */
	assert_int_equal(seller_clean_text(a, "a\nb", 0, &out), -1);
	assert_null(out);
	assert_int_equal(seller_clean_text(a, "a\tb", 0, &out), -1);
	assert_int_equal(seller_clean_text(a, "a\r\nb\rc\n\td", 1, &out), 0);
	assert_string_equal(out, "a\nb\nc\n\td");
	/* Controls, C1 controls and bidi overrides are refused everywhere. */
	assert_int_equal(seller_clean_text(a, "a\x01" "b", 1, &out), -1);
	assert_int_equal(seller_clean_text(a, "a\x7f", 1, &out), -1);
	assert_int_equal(seller_clean_text(a, "a\xc2\x85" "b", 1, &out), -1);
	assert_int_equal(seller_clean_text(a, "evil\xe2\x80\xae" "gpj.exe", 0, &out), -1);
	assert_int_equal(seller_clean_text(a, "x\xe2\x81\xa6" "y", 0, &out), -1);
	/* HTML is text: kept as typed (escaped when shown). */
	assert_int_equal(seller_clean_text(a, "<b>bold</b> & <script>x</script>", 1, &out), 0);
	assert_string_equal(out, "<b>bold</b> & <script>x</script>");
	/* Other non-ASCII text passes. */
	assert_int_equal(seller_clean_text(a, "\xe7\x8e\x8b\xe4\xbc\x9f \xc3\xa9\xe2\x80\x94", 0, &out), 0);
}

static void
test_https_url(void **state)
{
	char longurl[400];

	(void)state;
	assert_true(seller_https_url_ok("https://example.com"));
	assert_true(seller_https_url_ok("https://example.com/"));
	assert_true(seller_https_url_ok("https://www.behance.net/jane-doe?tab=work#top"));
	assert_true(seller_https_url_ok("https://medium.com/@jane/post-1"));
	assert_true(seller_https_url_ok("https://a.b.co.za:8443/x%20y"));
	assert_true(seller_https_url_ok("https://xn--fiqs8s.cn/"));

	assert_false(seller_https_url_ok(NULL));
	assert_false(seller_https_url_ok(""));
	assert_false(seller_https_url_ok("http://example.com"));
	assert_false(seller_https_url_ok("HTTPS://example.com"));
	assert_false(seller_https_url_ok("javascript:alert(1)"));
	assert_false(seller_https_url_ok("https://"));
	assert_false(seller_https_url_ok("https:///path"));
	assert_false(seller_https_url_ok("https://localhost/"));
	assert_false(seller_https_url_ok("https://127.0.0.1/"));
	assert_false(seller_https_url_ok("https://user@example.com/"));
	assert_false(seller_https_url_ok("https://good.com@evil.com/"));
	assert_false(seller_https_url_ok("https://exa mple.com/"));
	assert_false(seller_https_url_ok("https://example.com/a b"));
	assert_false(seller_https_url_ok("https://example.com/\"onmouseover=x"));
	assert_false(seller_https_url_ok("https://example.com/<script>"));
	assert_false(seller_https_url_ok("https://-bad.com/"));
	assert_false(seller_https_url_ok("https://bad-.com/"));
	assert_false(seller_https_url_ok("https://bad..com/"));
	assert_false(seller_https_url_ok("https://example.com./"));
	assert_false(seller_https_url_ok("https://example.com:0/"));
	assert_false(seller_https_url_ok("https://example.com:65536/"));
	assert_false(seller_https_url_ok("https://example.com:/"));
	assert_false(seller_https_url_ok("https://example.com:80x/"));
	assert_false(seller_https_url_ok("https://example.com/%zz"));
	assert_false(seller_https_url_ok("https://example.com/%4"));
	assert_false(seller_https_url_ok("https://\xe4\xbe\x8b\xe5\xad\x90.com/"));
	assert_false(seller_https_url_ok("https://example.com/\xc3\xa9"));

	/* Length: 300 bytes pass, 301 do not. */
	memset(longurl, 'a', sizeof(longurl));
	memcpy(longurl, "https://example.com/", 20);
	longurl[300] = '\0';
	assert_true(seller_https_url_ok(longurl));
	longurl[300] = 'a';
	longurl[301] = '\0';
	assert_false(seller_https_url_ok(longurl));
}

static void
test_email(void **state)
{
	(void)state;
	assert_true(seller_email_ok("jane@example.com"));
	assert_true(seller_email_ok("jane.doe+souk@mail.example.co.za"));
	assert_false(seller_email_ok(NULL));
	assert_false(seller_email_ok(""));
	assert_false(seller_email_ok("jane"));
	assert_false(seller_email_ok("@example.com"));
	assert_false(seller_email_ok("jane@"));
	assert_false(seller_email_ok("jane@localhost"));
	assert_false(seller_email_ok("jane@@example.com"));
	assert_false(seller_email_ok("ja ne@example.com"));
	assert_false(seller_email_ok("jane@exa mple.com"));
	assert_false(seller_email_ok("\"jane\"@example.com"));
	assert_false(seller_email_ok(".jane@example.com"));
	assert_false(seller_email_ok("jane.@example.com"));
	assert_false(seller_email_ok("ja..ne@example.com"));
	assert_false(seller_email_ok("<jane@example.com>"));
}

static void
test_digits(void **state)
{
	arena_t *a = *state;

	assert_string_equal(seller_digits(a, "250655", 6, 6), "250655");
	assert_string_equal(seller_digits(a, "250 655", 6, 6), "250655");
	assert_string_equal(seller_digits(a, "6212-345-6789", 7, 11), "62123456789");
	assert_null(seller_digits(a, "25065", 6, 6));
	assert_null(seller_digits(a, "2506551", 6, 6));
	assert_null(seller_digits(a, "25O655", 6, 6));
	assert_null(seller_digits(a, "", 6, 6));
	assert_null(seller_digits(a, NULL, 6, 6));
	assert_null(seller_digits(a, "123456", 7, 11));
	assert_null(seller_digits(a, "123456789012", 7, 11));
	assert_string_equal(seller_digits(a, "1234567", 7, 11), "1234567");
	assert_null(seller_digits(a, "+1234567", 7, 11));
}

static void
test_cn_mobile(void **state)
{
	arena_t *a = *state;

	assert_string_equal(seller_cn_mobile(a, "+8613812345678"), "+8613812345678");
	assert_string_equal(seller_cn_mobile(a, "+86 138 1234 5678"), "+8613812345678");
	assert_string_equal(seller_cn_mobile(a, "+86-199-1234-5678"), "+8619912345678");
	assert_null(seller_cn_mobile(a, "13812345678"));		/* +86 required */
	assert_null(seller_cn_mobile(a, "+85213812345678"));
	assert_null(seller_cn_mobile(a, "+86 1381234567"));		/* 10 digits */
	assert_null(seller_cn_mobile(a, "+86 138123456789"));	/* 12 digits */
	assert_null(seller_cn_mobile(a, "+86 23812345678"));	/* not 1xx */
	assert_null(seller_cn_mobile(a, "+86 11812345678"));	/* no 11x mobiles */
	assert_null(seller_cn_mobile(a, "+86 138a2345678"));
	assert_null(seller_cn_mobile(a, NULL));
}

static void
test_timezones_and_banks(void **state)
{
	const char *const *tz = seller_timezones();
	size_t n = 0;

	(void)state;
	for (; tz[n] != NULL; n++)
		assert_true(seller_timezone_ok(tz[n]));
	assert_true(n >= 40);
	assert_true(seller_timezone_ok("Africa/Johannesburg"));
	assert_true(seller_timezone_ok("Asia/Shanghai"));
	assert_true(seller_timezone_ok("UTC"));
	assert_false(seller_timezone_ok("Mars/Olympus_Mons"));
	assert_false(seller_timezone_ok("africa/johannesburg"));
	assert_false(seller_timezone_ok(""));
	assert_false(seller_timezone_ok(NULL));

	assert_string_equal(seller_bank_label("fnb"), "First National Bank (FNB)");
	assert_string_equal(seller_bank_label("capitec"), "Capitec Bank");
	assert_null(seller_bank_label("FNB"));
	assert_null(seller_bank_label("hsbc"));
	assert_null(seller_bank_label(NULL));
}

static void
test_skills(void **state)
{
	arena_t *a = *state;
	json_t *s;
	char many[400], longskill[64];

	assert_int_equal(seller_parse_skills(a, " Logo design, Branding ,,Illustration, ", &s),
	    SELLER_SKILLS_OK);
	assert_int_equal(json_array_size(s), 3);
	assert_string_equal(json_string_value(json_array_get(s, 0)), "Logo design");
	assert_string_equal(json_string_value(json_array_get(s, 1)), "Branding");
	assert_string_equal(json_string_value(json_array_get(s, 2)), "Illustration");
	json_decref(s);

	/* Full-width comma and the enumeration comma; repeats dropped. */
	assert_int_equal(seller_parse_skills(a,
	    "\xe8\xae\xbe\xe8\xae\xa1\xef\xbc\x8c\xe7\xbf\xbb\xe8\xaf\x91\xe3\x80\x81SEO, seo", &s),
	    SELLER_SKILLS_OK);
	assert_int_equal(json_array_size(s), 3);
	assert_string_equal(json_string_value(json_array_get(s, 2)), "SEO");
	json_decref(s);

	assert_int_equal(seller_parse_skills(a, NULL, &s), SELLER_SKILLS_OK);
	assert_int_equal(json_array_size(s), 0);
	json_decref(s);

	/* 15 skills pass, 16 do not (repeats do not count). */
	snprintf(many, sizeof(many), "%s", "s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11,s12,s13,s14,s15,S15");
	assert_int_equal(seller_parse_skills(a, many, &s), SELLER_SKILLS_OK);
	assert_int_equal(json_array_size(s), 15);
	json_decref(s);
	snprintf(many, sizeof(many), "%s", "s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11,s12,s13,s14,s15,s16");
	assert_int_equal(seller_parse_skills(a, many, &s), SELLER_SKILLS_TOO_MANY);
	assert_null(s);

	/* 40 characters pass (CJK counted as characters), 41 do not. */
	memset(longskill, 'x', 40);
	longskill[40] = '\0';
	assert_int_equal(seller_parse_skills(a, longskill, &s), SELLER_SKILLS_OK);
	json_decref(s);
	longskill[40] = 'x';
	longskill[41] = '\0';
	assert_int_equal(seller_parse_skills(a, longskill, &s), SELLER_SKILLS_TOO_LONG);
	assert_null(s);
	assert_int_equal(seller_parse_skills(a, "a\x01" "b", &s), SELLER_SKILLS_BAD_CHAR);
	assert_int_equal(seller_parse_skills(a, "a\nb", &s), SELLER_SKILLS_BAD_CHAR);
}

static void
test_mask(void **state)
{
	arena_t *a = *state;

	assert_string_equal(seller_mask_tail(a, "62123456789", 4), B B B B " 6789");
	assert_string_equal(seller_mask_tail(a, "1234", 4), B B B B);
	assert_string_equal(seller_mask_tail(a, "", 4), B B B B);
	assert_string_equal(seller_mask_tail(a, NULL, 4), "");

	assert_string_equal(seller_mask_email(a, "jane.doe@example.com"), "j" B B B "@example.com");
	assert_string_equal(seller_mask_email(a, "j@example.com"), "j" B B B "@example.com");
	assert_string_equal(seller_mask_email(a, "\xe7\x8e\x8b@example.cn"),
	    "\xe7\x8e\x8b" B B B "@example.cn");
	assert_string_equal(seller_mask_email(a, "noatsign"), B B B);
	assert_string_equal(seller_mask_email(a, "@example.com"), B B B);
	assert_string_equal(seller_mask_email(a, NULL), B B B);

	assert_string_equal(seller_mask_name(a, "Jane van Wyk"), "J" B B B " v" B B B " W" B B B);
	assert_string_equal(seller_mask_name(a, "  Thabo  "), "T" B B B);
	assert_string_equal(seller_mask_name(a, "\xe7\x8e\x8b\xe4\xbc\x9f"), "\xe7\x8e\x8b" B B B);
	assert_string_equal(seller_mask_name(a, ""), "");
	assert_string_equal(seller_mask_name(a, NULL), "");

	assert_string_equal(seller_mask_alipay(a, "+8613812345678"), "+86 " B B B B " 5678");
	assert_string_equal(seller_mask_alipay(a, "li.wei@example.cn"), "l" B B B "@example.cn");
	assert_string_equal(seller_mask_alipay(a, "123"), B B B B);

	/* Never the whole value. */
	assert_null(strstr(seller_mask_tail(a, "62123456789", 4), "62123456789"));
	assert_null(strstr(seller_mask_email(a, "jane.doe@example.com"), "jane.doe"));
	assert_null(strstr(seller_mask_alipay(a, "+8613812345678"), "13812345678"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_utf8_chars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_https_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_email, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cn_mobile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timezones_and_banks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
