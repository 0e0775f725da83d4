/*
 * test_payments.c - the pure functions of src/payments/payments.c: the
 * money formatter (the same text as the SQL function souk_money()) and the
 * checkout quote (subtotal, buyer fee, delivery days, revisions).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "payments/payments.h"

static struct souk_config
defaults(void)
{
	struct souk_config c;

	memset(&c, 0, sizeof(c));
	c.buyer_fee_bps = 550;
	c.small_order_threshold_usd = 5000;
	c.small_order_fee_usd = 200;
	c.small_order_threshold_zar = 90000;
	c.small_order_fee_zar = 3500;
	c.small_order_threshold_cny = 35000;
	c.small_order_fee_cny = 1500;
	return c;
}

static void
test_money(void **state)
{
	arena_t *a = arena_new(4096);

	(void)state;
	/* the outputs of souk_money(minor, currency, 'en') in sql/0001_catalog.sql */
	assert_string_equal(payments_money(a, 0, "USD"), "$0.00");
	assert_string_equal(payments_money(a, 5, "USD"), "$0.05");
	assert_string_equal(payments_money(a, 123450, "USD"), "$1,234.50");
	assert_string_equal(payments_money(a, 100000000, "USD"), "$1,000,000.00");
	assert_string_equal(payments_money(a, -2838, "USD"), "-$28.38");
	assert_string_equal(payments_money(a, 123450, "ZAR"), "R 1 234,50");
	assert_string_equal(payments_money(a, 45000, "ZAR"), "R 450,00");
	assert_string_equal(payments_money(a, 1500, "CNY"), "¥15.00");
	assert_string_equal(payments_money(a, 123456789, "EUR"), "1,234,567.89 EUR");
	arena_free(a);
}

static void
test_quote(void **state)
{
	struct souk_config cfg = defaults();
	struct payments_quote q;
	json_t *pkg = json_pack("{s:I, s:s, s:i, s:i}", "price_minor", (json_int_t)2500,
	    "currency", "USD", "delivery_days", 5, "revisions", 1);
	json_t *none = json_array();
	json_t *extras = json_pack("[{s:s, s:I, s:i}, {s:s, s:I, s:i}, {s:s, s:I, s:i}]",
	    "kind", "fast_delivery", "price_minor", (json_int_t)1000, "added_days", 2,
	    "kind", "extra_revision", "price_minor", (json_int_t)250, "added_days", 1,
	    "kind", "custom", "price_minor", (json_int_t)500, "added_days", 3);

	(void)state;
	/* one unit under the small-order threshold: 5.5% of 25.00 = 1.375 -> 1.38, + 2.00 */
	assert_int_equal(payments_quote(&cfg, pkg, none, 1, &q), 0);
	assert_int_equal(q.subtotal_minor, 2500);
	assert_int_equal(q.buyer_fee_minor, 138 + 200);
	assert_int_equal(q.total_minor, 2838);
	assert_int_equal(q.delivery_days, 5);
	assert_int_equal(q.revisions, 1);
	/* three units and every extra once: fast delivery replaces the days */
	assert_int_equal(payments_quote(&cfg, pkg, extras, 3, &q), 0);
	assert_int_equal(q.extras_minor, 1750);
	assert_int_equal(q.subtotal_minor, 7500 + 1750);
	assert_int_equal(q.buyer_fee_minor, 509);	/* 508.75 -> 509, no small-order fee */
	assert_int_equal(q.total_minor, 9250 + 509);
	assert_int_equal(q.delivery_days, 2 + 1 + 3);
	assert_int_equal(q.revisions, 2);
	/* unlimited revisions stay unlimited */
	json_object_set_new(pkg, "revisions", json_integer(-1));
	assert_int_equal(payments_quote(&cfg, pkg, extras, 1, &q), 0);
	assert_int_equal(q.revisions, -1);
	/* refused: quantity out of range, unknown currency */
	assert_int_equal(payments_quote(&cfg, pkg, none, 0, &q), -1);
	assert_int_equal(payments_quote(&cfg, pkg, none, PAYMENTS_MAX_QUANTITY + 1, &q), -1);
	json_object_set_new(pkg, "currency", json_string("EUR"));
	assert_int_equal(payments_quote(&cfg, pkg, none, 1, &q), -1);
	json_decref(pkg);
	json_decref(none);
	json_decref(extras);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
