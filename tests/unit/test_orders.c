/*
 * test_orders.c - fee arithmetic (the rounding rule of orders.h: a share
 * of an amount is amount * bps / 10000 rounded half up to the minor unit,
 * in 64-bit integers) and the order state machine, which must be the same
 * table as order_state_transitions in sql/0015_orders.sql.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orders/orders.h"

static struct souk_config
defaults(void)
{
	struct souk_config c;

	memset(&c, 0, sizeof(c));
	c.buyer_fee_bps = 550;
	c.seller_fee_bps = 2000;
	c.small_order_threshold_usd = 4000;	/* $40.00 */
	c.small_order_fee_usd = 200;		/* $2.00 */
	c.small_order_threshold_zar = 50000;	/* R 500,00 */
	c.small_order_fee_zar = 3000;		/* R 30,00 */
	c.small_order_threshold_cny = 30000;	/* ¥300.00 */
	c.small_order_fee_cny = 1500;		/* ¥15.00 */
	return c;
}

static void
test_bps_rounding(void **state)
{
	(void)state;
	assert_int_equal(orders_bps(0, 550), 0);
	assert_int_equal(orders_bps(10000, 0), 0);
	assert_int_equal(orders_bps(10000, 550), 550);
	/* 100 * 5.5% = 5.5 -> 6 (a tie goes up) */
	assert_int_equal(orders_bps(100, 550), 6);
	/* 99 * 5.5% = 5.445 -> 5 */
	assert_int_equal(orders_bps(99, 550), 5);
	/* 91 * 5.5% = 5.005 -> 5; 109 * 5.5% = 5.995 -> 6 */
	assert_int_equal(orders_bps(91, 550), 5);
	assert_int_equal(orders_bps(109, 550), 6);
	/* exact ties at half a minor unit: 0.5 -> 1, 1.5 -> 2, 2.5 -> 3 (not banker's) */
	assert_int_equal(orders_bps(1, 5000), 1);
	assert_int_equal(orders_bps(3, 5000), 2);
	assert_int_equal(orders_bps(5, 5000), 3);
	/* just below a tie goes down: 0.4999 -> 0 */
	assert_int_equal(orders_bps(4999, 1), 0);
	assert_int_equal(orders_bps(5000, 1), 1);
	/* 100% and large amounts stay exact in 64 bits (1e9 major units) */
	assert_int_equal(orders_bps(12345, 10000), 12345);
	assert_int_equal(orders_bps(100000000000LL, 550), 5500000000LL);
	assert_int_equal(orders_bps(100000000001LL, 2000), 20000000000LL);
	/* negative amounts never produce a fee */
	assert_int_equal(orders_bps(-100, 550), 0);
}

static void
test_buyer_fee_thresholds(void **state)
{
	struct souk_config c = defaults();

	(void)state;
	/* USD: under $40.00 pays 5.5% + $2.00; from $40.00 on only 5.5% */
	assert_int_equal(orders_buyer_fee(&c, "USD", 3999), orders_bps(3999, 550) + 200);
	assert_int_equal(orders_buyer_fee(&c, "USD", 3999), 220 + 200);
	assert_int_equal(orders_buyer_fee(&c, "USD", 4000), 220);
	assert_int_equal(orders_buyer_fee(&c, "USD", 4001), 220);
	assert_int_equal(orders_buyer_fee(&c, "USD", 1), 0 + 200);
	/* ZAR: threshold R 500,00 and R 30,00 */
	assert_int_equal(orders_buyer_fee(&c, "ZAR", 49999), 2750 + 3000);
	assert_int_equal(orders_buyer_fee(&c, "ZAR", 50000), 2750);
	assert_int_equal(orders_buyer_fee(&c, "ZAR", 2500), 138 + 3000);	/* 137.5 -> 138 */
	/* CNY: threshold ¥300.00 and ¥15.00 */
	assert_int_equal(orders_buyer_fee(&c, "CNY", 29999), 1650 + 1500);
	assert_int_equal(orders_buyer_fee(&c, "CNY", 30000), 1650);
	/* unknown currencies are refused */
	assert_int_equal(orders_buyer_fee(&c, "EUR", 1000), -1);
	assert_int_equal(orders_buyer_fee(&c, "usd", 1000), -1);
	/* a configured 0 fee and 0 threshold */
	c.buyer_fee_bps = 0;
	c.small_order_threshold_usd = 0;
	assert_int_equal(orders_buyer_fee(&c, "USD", 1), 0);
}

static void
test_seller_net(void **state)
{
	(void)state;
	assert_int_equal(orders_seller_net(10000, 2000), 8000);
	assert_int_equal(orders_seller_net(2500, 2000), 2000);
	/* 3 * 20% = 0.6 -> the fee is 1, the seller gets 2 */
	assert_int_equal(orders_seller_net(3, 2000), 2);
	/* 1 * 20% = 0.2 -> no fee */
	assert_int_equal(orders_seller_net(1, 2000), 1);
	/* a tie: 1 * 50% = 0.5 -> fee 1, seller 0 */
	assert_int_equal(orders_seller_net(1, 5000), 0);
	assert_int_equal(orders_seller_net(999, 0), 999);
	assert_int_equal(orders_seller_net(999, 10000), 0);
	/* net + fee is always exactly the subtotal: no minor unit lost or made */
	for (int64_t a = 0; a < 20000; a += 7)
		for (int bps = 0; bps <= 10000; bps += 125)
			assert_int_equal(orders_seller_net(a, bps) + orders_bps(a, bps), a);
}

/* The escrow of an order: total = subtotal + buyer fee; release = net + platform. */
static void
test_release_split(void **state)
{
	struct souk_config c = defaults();
	static const struct {
		const char *cur;
		int64_t subtotal;
	} cases[] = { { "USD", 2500 }, { "USD", 4000 }, { "ZAR", 123457 }, { "CNY", 29999 },
	    { "CNY", 1 } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t fee = orders_buyer_fee(&c, cases[i].cur, cases[i].subtotal);
		int64_t held = cases[i].subtotal + fee;
		int64_t net = orders_seller_net(cases[i].subtotal, c.seller_fee_bps);
		int64_t platform = held - net;

		assert_true(fee >= 0);
		assert_true(net >= 0 && net <= cases[i].subtotal);
		assert_int_equal(platform, fee + orders_bps(cases[i].subtotal, c.seller_fee_bps));
		assert_int_equal(net + platform, held);
	}
	/* a worked example: $25.00, 5.5% + $2.00, 20% seller fee */
	assert_int_equal(orders_buyer_fee(&c, "USD", 2500), 138 + 200);
	assert_int_equal(orders_seller_net(2500, 2000), 2000);
}

static const char *const states[] = { "awaiting_payment", "awaiting_requirements",
    "in_progress", "delivered", "revision_requested", "completed", "cancelled" };
#define NSTATES (sizeof(states) / sizeof(states[0]))

/* The allowed moves, as the issue describes the life of an order. */
static const char *const allowed[][2] = {
	{ "awaiting_payment", "awaiting_requirements" },
	{ "awaiting_payment", "cancelled" },
	{ "awaiting_requirements", "in_progress" },
	{ "awaiting_requirements", "cancelled" },
	{ "in_progress", "delivered" },
	{ "in_progress", "cancelled" },
	{ "delivered", "revision_requested" },
	{ "delivered", "in_progress" },
	{ "delivered", "completed" },
	{ "delivered", "cancelled" },
	{ "revision_requested", "in_progress" },
	{ "revision_requested", "cancelled" },
};

static int
in_allowed(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i][0], from) == 0 && strcmp(allowed[i][1], to) == 0)
			return 1;
	return 0;
}

static void
test_state_machine(void **state)
{
	(void)state;
	/* every pair of states: allowed exactly when listed */
	for (size_t i = 0; i < NSTATES; i++)
		for (size_t j = 0; j < NSTATES; j++)
			if (orders_transition_allowed(states[i], states[j]) !=
			    in_allowed(states[i], states[j]))
				fail_msg("%s -> %s", states[i], states[j]);
	/* refused moves named by the issue */
	assert_false(orders_transition_allowed("completed", "cancelled"));
	assert_false(orders_transition_allowed("cancelled", "in_progress"));
	assert_false(orders_transition_allowed("cancelled", "delivered"));
	assert_false(orders_transition_allowed("awaiting_payment", "in_progress"));
	assert_false(orders_transition_allowed("awaiting_payment", "completed"));
	assert_false(orders_transition_allowed("in_progress", "completed"));
	assert_false(orders_transition_allowed("revision_requested", "delivered"));
	assert_false(orders_transition_allowed("revision_requested", "completed"));
	assert_false(orders_transition_allowed("delivered", "delivered"));
	/* terminal states have no way out */
	for (size_t j = 0; j < NSTATES; j++) {
		assert_false(orders_transition_allowed("completed", states[j]));
		assert_false(orders_transition_allowed("cancelled", states[j]));
	}
	/* unknown names */
	assert_false(orders_transition_allowed("late", "cancelled"));
	assert_false(orders_transition_allowed("", ""));
	assert_false(orders_transition_allowed("in_progress", "Delivered"));
}

/* The C table equals the SQL one (sql/0015_orders.sql, order_state_transitions). */
static void
test_state_machine_matches_sql(void **state)
{
	const char *srcdir = getenv("SOUK_SRCDIR");
	char path[1024], *text, *p, *end;
	FILE *f;
	long n;
	size_t rows = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/sql/0015_orders.sql", srcdir != NULL ? srcdir : "..");
	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	assert_non_null(text = malloc((size_t)n + 1));
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	p = strstr(text, "INSERT INTO order_state_transitions");
	assert_non_null(p);
	end = strchr(p, ';');
	assert_non_null(end);
	*end = '\0';
	/* each row is ('from', 'to') */
	while ((p = strstr(p, "('")) != NULL) {
		char from[40], to[40];

		if (sscanf(p, "('%39[a-z_]', '%39[a-z_]')", from, to) != 2)
			fail_msg("cannot read a row at %.40s", p);
		if (!orders_transition_allowed(from, to))
			fail_msg("SQL allows %s -> %s, C does not", from, to);
		rows++;
		p += 2;
	}
	assert_int_equal(rows, sizeof(allowed) / sizeof(allowed[0]));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bps_rounding),
		cmocka_unit_test(test_buyer_fee_thresholds),
		cmocka_unit_test(test_seller_net),
		cmocka_unit_test(test_release_split),
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_state_machine_matches_sql),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
