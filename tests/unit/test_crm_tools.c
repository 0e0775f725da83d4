/*
 * test_crm_tools.c - the pure functions of the CRM composer tools
 * (src/crm/composer.c): the offer price parser (decimal text -> minor
 * units) and the saved reply renderer (our Mustache engine, variables
 * escaped, quote entities turned back into quotes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crm/tools.h"
#include "tmpl/tmpl.h"

static int64_t
price(const char *s)
{
	int64_t v = -1;

	return crm_parse_price(s, &v) == 0 ? v : -1;
}

static void
test_parse_price(void **state)
{
	(void)state;
	assert_int_equal(price("120"), 12000);
	assert_int_equal(price("120.5"), 12050);
	assert_int_equal(price("120.50"), 12050);
	assert_int_equal(price("120,50"), 12050);
	assert_int_equal(price(" 1 234,50 "), 123450);
	assert_int_equal(price("1,234.50"), 123450);
	assert_int_equal(price("1.234,50"), 123450);
	assert_int_equal(price("1,234"), 123400);	/* three digits after: thousands */
	assert_int_equal(price("1,234,567"), 123456700);
	assert_int_equal(price("0.01"), 1);
	assert_int_equal(price("10000000"), CRM_OFFER_PRICE_MAX);
	/* refused */
	assert_int_equal(price(""), -1);
	assert_int_equal(price("   "), -1);
	assert_int_equal(price("0"), -1);
	assert_int_equal(price("0.00"), -1);
	assert_int_equal(price("-5"), -1);
	assert_int_equal(price("abc"), -1);
	assert_int_equal(price("12.345.6"), -1);
	assert_int_equal(price("1,23,456"), -1);	/* bad grouping */
	assert_int_equal(price("1.234.56"), -1);	/* same separator twice, then decimals */
	assert_int_equal(price("1.5e3"), -1);
	assert_int_equal(price("$12"), -1);
	assert_int_equal(price("10000000.01"), -1);
	assert_int_equal(price("99999999999999999999999"), -1);
	assert_int_equal(price(".5"), -1);
	assert_int_equal(price("5."), -1);
}

static void
test_reply_render(void **state)
{
	json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "buyer_name", "<b>Bo & \"Co\"</b>",
	    "buyer_handle", "bo", "seller_name", "O'Hara", "seller_handle", "ohara",
	    "gig_title", "Logo design");
	char err[TMPL_ERRLEN] = "";
	buf_t out;

	(void)state;
	buf_init(&out, NULL);
	assert_int_equal(crm_reply_render("Hi {{buyer_name}} (@{{buyer_handle}}), {{seller_name}} "
	    "here about {{gig_title}}.{{missing}} <i>raw</i>", vars, &out, err, sizeof(err)), 0);
	assert_string_equal(buf_cstr(&out), "Hi &lt;b&gt;Bo &amp; \"Co\"&lt;/b&gt; (@bo), O'Hara "
	    "here about Logo design. <i>raw</i>");
	/* no partials, no parents: nothing comes from elsewhere */
	buf_truncate(&out, 0);
	assert_int_equal(crm_reply_render("a{{> layouts/base}}b{{<x}}{{/x}}c", vars, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(buf_cstr(&out), "abc");
	/* a syntax error leaves the output alone */
	buf_truncate(&out, 0);
	buf_puts(&out, "kept");
	assert_int_equal(crm_reply_render("Hi {{#buyer_name}} open", vars, &out, err, sizeof(err)),
	    -1);
	assert_string_equal(buf_cstr(&out), "kept");
	assert_non_null(strstr(err, "unclosed section"));
	buf_free(&out);
	json_decref(vars);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_price),
		cmocka_unit_test(test_reply_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
