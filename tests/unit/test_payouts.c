/*
 * test_payouts.c - the pure helpers of src/payouts: the withdrawal amount
 * parser (major units, integer arithmetic only), RFC 4180 CSV fields with
 * the spreadsheet-formula guard, the bank-transfer file's layout and the
 * server key derivation shared with souk-web.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "payouts/payouts.h"

static void
test_parse_amount(void **state)
{
	int64_t v = -1;

	(void)state;
	assert_int_equal(payouts_parse_amount("12.50", &v), 0);
	assert_int_equal(v, 1250);
	assert_int_equal(payouts_parse_amount("12.5", &v), 0);
	assert_int_equal(v, 1250);
	assert_int_equal(payouts_parse_amount(" 7 ", &v), 0);
	assert_int_equal(v, 700);
	assert_int_equal(payouts_parse_amount("0.01", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(payouts_parse_amount("10000000000.00", &v), 0);
	assert_int_equal(v, 1000000000000LL);
	/* refused: zero, sign, three decimals, separators, exponents, junk, too large */
	const char *bad[] = { "", " ", "0", "0.00", "-1", "+1", "1.234", "1,000", "1 000", "1e3",
		"12.", ".5", "abc", "12.5x", "10000000000.01", "99999999999999999999", NULL };
	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(payouts_parse_amount(bad[i], &v), -1);
	assert_int_equal(payouts_parse_amount(NULL, &v), -1);
}

/* Asserts that @s as a CSV field (@text: a text field) is @want. */
static void
field_is(const char *s, int text, const char *want)
{
	buf_t b;

	buf_init(&b, NULL);
	payouts_csv_field(&b, s, text);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void
test_csv_field(void **state)
{
	(void)state;
	field_is("plain", 1, "plain");
	field_is("a,b", 1, "\"a,b\"");
	field_is("say \"hi\"", 1, "\"say \"\"hi\"\"\"");
	field_is("two\nlines", 1, "\"two\nlines\"");
	field_is(NULL, 1, "");
	/* formulas are defused in text fields, numbers keep their sign */
	field_is("=HYPERLINK(\"x\")", 1, "\"'=HYPERLINK(\"\"x\"\")\"");
	field_is("+1", 1, "'+1");
	field_is("@SUM(A1)", 1, "'@SUM(A1)");
	field_is("-12.50", 0, "-12.50");
}

static void
test_bank_csv(void **state)
{
	json_t *rows = json_pack("[{s:I, s:s, s:s, s:s, s:s, s:I, s:s},"
	    " {s:I, s:s, s:s, s:s, s:s, s:I, s:s}]",
	    "payout_id", (json_int_t)7, "holder", "Thandi Mokoena", "account", "62123456789",
	    "branch", "250655", "bank", "First National Bank (FNB)", "amount_minor", (json_int_t)5000,
	    "currency", "ZAR",
	    "payout_id", (json_int_t)8, "holder", "Smith, \"Jo\"", "account", "=1+2",
	    "branch", "", "bank", "paypal", "amount_minor", (json_int_t)5, "currency", "USD");
	buf_t b;

	(void)state;
	buf_init(&b, NULL);
	payouts_bank_csv(&b, rows);
	assert_string_equal(buf_cstr(&b),
	    "reference,beneficiary,account,branch_code,bank,amount,currency\r\n"
	    "SOUK-PAYOUT-7,Thandi Mokoena,62123456789,250655,First National Bank (FNB),50.00,ZAR\r\n"
	    "SOUK-PAYOUT-8,\"Smith, \"\"Jo\"\"\",'=1+2,,paypal,0.05,USD\r\n");
	buf_free(&b);
	json_decref(rows);
}

static void
test_server_key(void **state)
{
	struct souk_config cfg;
	unsigned char k1[32], k2[32], dev[32];
	char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.secret_key = hex;
	assert_int_equal(payouts_server_key(&cfg, k1), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(k1[i], i);
	cfg.secret_key = (char *)"";
	assert_int_equal(payouts_server_key(&cfg, k2), 0);
	crypto_generichash(dev, 32, (const unsigned char *)"souk development key", 20, NULL, 0);
	assert_memory_equal(k2, dev, 32);
	cfg.secret_key = (char *)"00zz";
	assert_int_equal(payouts_server_key(&cfg, k2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_amount),
		cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_bank_csv),
		cmocka_unit_test(test_server_key),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
