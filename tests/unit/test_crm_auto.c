/*
 * test_crm_auto.c - the pure helpers of the CRM auto-triggers
 * (src/crm/auto.h): template checks, rendering with every bit of markup
 * escaped, "HH:MM" working hours and trigger durations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crm/auto.h"

static void
test_template_check(void **state)
{
	char big[CRM_TEMPLATE_MAX + 2];

	(void)state;
	assert_int_equal(crm_auto_template_check("Hi {{buyer_name}}, I am {{ seller_name }}."), 0);
	assert_int_equal(crm_auto_template_check("@{{buyer_handle}} <b>plain</b> }} text"), 0);
	assert_int_equal(crm_auto_template_check(""), 0);
	/* unknown names and every other kind of tag are refused */
	const char *bad[] = { "{{password}}", "{{{buyer_name}}}", "{{&buyer_name}}",
		"{{#buyer_name}}x{{/buyer_name}}", "{{> partial}}", "{{=<% %>=}}", "{{! c }}",
		"{{buyer_name", "{{buyer_name.x}}", NULL };
	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(crm_auto_template_check(bad[i]), 2);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(crm_auto_template_check(big), 1);
	big[CRM_TEMPLATE_MAX] = '\0';
	assert_int_equal(crm_auto_template_check(big), 0);
}

static void
test_render_escapes(void **state)
{
	buf_t b;

	(void)state;
	buf_init(&b, NULL);
	assert_int_equal(crm_auto_render("Hi {{buyer_name}} <b>x</b> & {{ seller_name }} '{{buyer_handle}}'",
	    "<i>Ann</i>", "ann", "Bo & Co", &b), 0);
	assert_string_equal(buf_cstr(&b),
	    "Hi &lt;i&gt;Ann&lt;/i&gt; &lt;b&gt;x&lt;/b&gt; &amp; Bo &amp; Co &#39;ann&#39;");
	buf_free(&b);
	buf_init(&b, NULL);
	assert_int_equal(crm_auto_render("{{buyer_name}}", NULL, NULL, NULL, &b), 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_hhmm(void **state)
{
	(void)state;
	assert_int_equal(crm_auto_parse_hhmm("09:30", 0), 570);
	assert_int_equal(crm_auto_parse_hhmm(" 00:00 ", 0), 0);
	assert_int_equal(crm_auto_parse_hhmm("23:59", 0), 1439);
	assert_int_equal(crm_auto_parse_hhmm("24:00", 1), 1440);
	assert_int_equal(crm_auto_parse_hhmm("24:00", 0), -1);
	const char *bad[] = { "", "9:30", "09:60", "24:01", "25:00", "0930", "09:30x", "ab:cd", NULL };
	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(crm_auto_parse_hhmm(bad[i], 1), -1);
	assert_int_equal(crm_auto_parse_hhmm(NULL, 1), -1);
}

static void
test_duration(void **state)
{
	long long s = -1;

	(void)state;
	assert_int_equal(crm_auto_duration("90", "seconds", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(crm_auto_duration(" 2 ", "hours", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(crm_auto_duration("30", "days", &s), 0);
	assert_int_equal(s, 2592000);
	assert_int_equal(crm_auto_duration("365", "days", &s), 0);
	/* zero, negative and over a year: -2; not a number or unit: -1 */
	assert_int_equal(crm_auto_duration("0", "minutes", &s), -2);
	assert_int_equal(crm_auto_duration("-5", "minutes", &s), -2);
	assert_int_equal(crm_auto_duration("366", "days", &s), -2);
	assert_int_equal(crm_auto_duration("99999999999999999999", "seconds", &s), -1);
	assert_int_equal(crm_auto_duration("1.5", "hours", &s), -1);
	assert_int_equal(crm_auto_duration("", "hours", &s), -1);
	assert_int_equal(crm_auto_duration("-", "hours", &s), -1);
	assert_int_equal(crm_auto_duration("5", "weeks", &s), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_check),
		cmocka_unit_test(test_render_escapes),
		cmocka_unit_test(test_hhmm),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
