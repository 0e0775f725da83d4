/*
 * test_payfast.c - unit tests for src/payments/payfast.c (the vectors of
 * ../shared/docs/payment-gateways.md §1.8, official ones first) and for
 * the shared pieces of src/payments/gateway.c (money strings, the source
 * allow-list, the registry).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "payments/gateway.h"
#include "payments/payfast.h"
#include "gw_testserver.h"

#define NF(x) (sizeof(x) / sizeof((x)[0]))

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

/* The ITN @params (a §1.8 parameter string) with "&signature=@sig" appended. */
static const char *
itn_body(arena_t *a, const char *params, const char *sig)
{
	return arena_printf(a, "%s&signature=%s", params, sig);
}

/* ---- PayFast: official vectors ---- */

/* V-PF-1 [OFFICIAL]: checkout, no passphrase, Cyrillic UTF-8. */
static void
v_pf_1_checkout_cyrillic(void **state)
{
	struct gw_field f[] = {
		{ "merchant_id", "10000100" },
		{ "merchant_key", "46f0cd694581a" },
		{ "notify_url", "http://127.0.0.1:8000/payfast/notify/" },
		{ "name_first", "Вася" },
		{ "name_last", "Пупников" },
		{ "m_payment_id", "23" },
		{ "amount", "234" },
		{ "item_name", "Payment (Планета суши). ID:272-15" },
	};
	char sig[PAYFAST_SIG_SIZE];

	(void)state;
	payfast_checkout_signature(f, NF(f), NULL, sig);
	assert_string_equal(sig, "481366608545707be67c6514386b3fb1");
	payfast_checkout_signature(f, NF(f), "", sig);	/* "" = no passphrase */
	assert_string_equal(sig, "481366608545707be67c6514386b3fb1");
	f[3].value = "";	/* blank name_first is skipped */
	payfast_checkout_signature(f, NF(f), NULL, sig);
	assert_string_equal(sig, "6551205f0fee13cf09174b0b887ec5b3");
	f[4].value = "";
	payfast_checkout_signature(f, NF(f), NULL, sig);
	assert_string_equal(sig, "8f6435965cd9b00a9a965d93fc6c4c48");
}

#define V_PF_2 "m_payment_id=&pf_payment_id=558900&payment_status=COMPLETE&item_name=Flux+capacitor" \
	"&item_description=&amount_gross=123.00&amount_fee=-2.80&amount_net=120.20&custom_str1=" \
	"&custom_str2=&custom_str3=&custom_str4=&custom_str5=&custom_int1=&custom_int2=&custom_int3=" \
	"&custom_int4=&custom_int5=&name_first=Test&name_last=User+01" \
	"&email_address=sbtu01%40payfast.co.za&merchant_id=10000100"

/* V-PF-2 [OFFICIAL]: a real sandbox ITN, no passphrase, empty fields included. */
static void
v_pf_2_itn_sandbox(void **state)
{
	arena_t *a = *state;
	const char *body = itn_body(a, V_PF_2, "94b05677771813701468289ed3cabed1"), *vb;
	struct gw_notice n;
	char err[128];

	assert_int_equal(payfast_itn_check(a, body, strlen(body), NULL, "10000100", &n, &vb,
	    err, sizeof(err)), GW_OK);
	assert_string_equal(n.event_id, "558900:COMPLETE");
	assert_string_equal(n.gateway_txn_id, "558900");
	assert_string_equal(n.reference, "");
	assert_int_equal(n.status, GW_PAID);
	assert_string_equal(n.status_word, "COMPLETE");
	assert_int_equal(n.amount_minor, 12300);
	assert_null(n.currency);
	/* The validate body is the parameter string itself, re-encoded identically. */
	assert_string_equal(vb, V_PF_2);
}

#define V_PF_3_SIG "3441682c5d8a65486f5b7cc8ce41d146"

/* V-PF-3 [OFFICIAL, contributor branch]: passphrase, cycles=0 included;
 * pairs outside the §1.2 list are left out. */
static void
v_pf_3_subscription_zero(void **state)
{
	struct gw_field f[] = {
		{ "merchant_id", "10028084" },
		{ "merchant_key", "4hjoenwbwnuso" },
		{ "return_url", "https://test.com/billing/success" },
		{ "cancel_url", "https://test.com/billing/cancel" },
		{ "notify_url", "https://test.com/payfast/webhook" },
		{ "name_first", "Test" },
		{ "name_last", "Test" },
		{ "email_address", "test@test.com" },
		{ "m_payment_id", "5" },
		{ "amount", "5.00" },
		{ "item_name", "Test" },
		{ "custom_int1", "1" },
		{ "custom_int2", "1" },
		{ "custom_str1", "U29tZSBUZXN0IFN0cmluZw" },
		{ "custom_str2", "QW5vdGhlciBUZXN0IFN0cmluZw" },
		{ "source", "not-signed" },	/* not in §1.2: left out */
		{ "email_confirmation", "1" },
		{ "confirmation_address", "test@test.test" },
		{ "subscription_type", "1" },
		{ "billing_date", "2023-01-01" },
		{ "recurring_amount", "5" },
		{ "frequency", "3" },
		{ "cycles", "0" },
		{ "signature", "ignored" },
	};
	char sig[PAYFAST_SIG_SIZE];

	(void)state;
	payfast_checkout_signature(f, NF(f), "payfastsandbox", sig);
	assert_string_equal(sig, V_PF_3_SIG);
	f[22].value = "";	/* dropping cycles=0 gives the other digest */
	payfast_checkout_signature(f, NF(f), "payfastsandbox", sig);
	assert_string_equal(sig, "0e0f32548edb257cf86105d9291e4c0d");
}

/* ---- PayFast: computed vectors ---- */

static struct gw_field v_pf_4_fields[] = {
	{ "merchant_id", "10000100" },
	{ "merchant_key", "46f0cd694581a" },
	{ "return_url", "https://market.example.test/pay/return?job=42" },
	{ "cancel_url", "https://market.example.test/pay/cancel?job=42" },
	{ "notify_url", "https://market.example.test/pay/payfast/itn" },
	{ "name_first", "Thandi" },
	{ "name_last", "Mokoena" },
	{ "email_address", "thandi@example.test" },
	{ "m_payment_id", "JOB-42-M1" },
	{ "amount", "1500.00" },
	{ "item_name", "Logo design – milestone 1" },
	{ "item_description", "" },
	{ "custom_str1", "escrow" },
	{ "custom_int1", "42" },
};

/* V-PF-4 [COMPUTED]: en dash, ?/= in URLs, empty field skipped.  The
 * vector signs custom_str1 before custom_int1 (the caller's insertion
 * order); in §1.2 order the same pairs give 2f1530... (md5sum). */
static void
v_pf_4_checkout_milestone(void **state)
{
	struct gw_field f[NF(v_pf_4_fields)];
	char sig[PAYFAST_SIG_SIZE];

	(void)state;
	payfast_checkout_signature(v_pf_4_fields, NF(v_pf_4_fields), "jt7NOE43FZPn", sig);
	assert_string_equal(sig, "7d2ec254482a256960fd4f728c4f7c5e");
	payfast_checkout_signature(v_pf_4_fields, NF(v_pf_4_fields), NULL, sig);
	assert_string_equal(sig, "b33a527606c2ab17f2415ce196c9c3d5");
	/* The order given is the order signed. */
	memcpy(f, v_pf_4_fields, sizeof(f));
	f[12] = v_pf_4_fields[13];
	f[13] = v_pf_4_fields[12];
	payfast_checkout_signature(f, NF(f), "jt7NOE43FZPn", sig);
	assert_string_equal(sig, "2f153031b970e2c9224e82546662e653");
}

#define V_PF_5 "m_payment_id=JOB-42-M1&pf_payment_id=1089250&payment_status=COMPLETE" \
	"&item_name=Logo+design+%E2%80%93+milestone+1&item_description=&amount_gross=1500.00" \
	"&amount_fee=-34.50&amount_net=1465.50&custom_str1=escrow&custom_str2=&custom_str3=" \
	"&custom_str4=&custom_str5=&custom_int1=42&custom_int2=&custom_int3=&custom_int4=" \
	"&custom_int5=&name_first=Thandi&name_last=Mokoena&email_address=thandi%40example.test" \
	"&merchant_id=10000100"
#define V_PF_5_SIG "d430a916fd5b65e350bb016fce9380b6"

/* V-PF-5 [COMPUTED]: the ITN for V-PF-4 with the passphrase. */
static void
v_pf_5_itn_passphrase(void **state)
{
	arena_t *a = *state;
	const char *body = itn_body(a, V_PF_5, V_PF_5_SIG), *vb;
	struct gw_notice n;
	char err[128];

	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", "10000100",
	    &n, &vb, err, sizeof(err)), GW_OK);
	assert_string_equal(n.event_id, "1089250:COMPLETE");
	assert_string_equal(n.reference, "JOB-42-M1");
	assert_int_equal(n.amount_minor, 150000);
	assert_int_equal(n.status, GW_PAID);
	/* §1.5 check 4: without signature and without passphrase. */
	assert_string_equal(vb, V_PF_5);
}

/* V-PF-6 [COMPUTED]: subscription checkout, monthly, indefinite. */
static void
v_pf_6_subscription(void **state)
{
	struct gw_field f[] = {
		{ "merchant_id", "10000100" },
		{ "merchant_key", "46f0cd694581a" },
		{ "return_url", "https://market.example.test/pay/return" },
		{ "cancel_url", "https://market.example.test/pay/cancel" },
		{ "notify_url", "https://market.example.test/pay/payfast/itn" },
		{ "m_payment_id", "SUB-7" },
		{ "amount", "99.00" },
		{ "item_name", "Pro membership" },
		{ "subscription_type", "1" },
		{ "billing_date", "2025-07-01" },
		{ "recurring_amount", "99.00" },
		{ "frequency", "3" },
		{ "cycles", "0" },
	};
	char sig[PAYFAST_SIG_SIZE];

	(void)state;
	payfast_checkout_signature(f, NF(f), "jt7NOE43FZPn", sig);
	assert_string_equal(sig, "8819dce494abe96bd16d558864fb507c");
}

#define V_PF_7 "m_payment_id=SUB-7&pf_payment_id=1124001&payment_status=COMPLETE" \
	"&item_name=Pro+membership&item_description=&amount_gross=99.00&amount_fee=-2.28" \
	"&amount_net=96.72&custom_str1=&custom_str2=&custom_str3=&custom_str4=&custom_str5=" \
	"&custom_int1=&custom_int2=&custom_int3=&custom_int4=&custom_int5=&name_first=Thandi" \
	"&name_last=Mokoena&email_address=thandi%40example.test&merchant_id=10000100" \
	"&token=dc0521d3-55fe-269b-fa00-b647310d760f&billing_date=2025-07-01"

/* V-PF-7 [COMPUTED]: a renewal ITN with token and billing_date. */
static void
v_pf_7_itn_renewal(void **state)
{
	arena_t *a = *state;
	const char *body = itn_body(a, V_PF_7, "409867d5544b3426253f74ba66a78613");
	struct gw_notice n;
	char err[128];

	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", "10000100",
	    &n, NULL, err, sizeof(err)), GW_OK);
	assert_string_equal(n.event_id, "1124001:COMPLETE");
	assert_string_equal(n.reference, "SUB-7");
	assert_int_equal(n.amount_minor, 9900);
}

/* V-PF-8 [COMPUTED]: API signatures, passphrase sorted in. */
static void
v_pf_8_api(void **state)
{
	arena_t *a = *state;
	const char *ts = payfast_api_timestamp(a, 1736928000);	/* 2025-01-15T08:00:00Z */
	struct gw_field ping[] = {
		{ "version", "v1" }, { "timestamp", ts }, { "merchant-id", "10000100" },
	};
	struct gw_field refund[] = {
		{ "merchant-id", "10000100" }, { "version", "v1" }, { "timestamp", ts },
		{ "amount", "15000" }, { "reason", "Milestone cancelled" },
		{ "acc_type", "savings" }, { "notify_buyer", "1" },
	};
	char sig[PAYFAST_SIG_SIZE];

	assert_string_equal(ts, "2025-01-15T10:00:00+02:00");
	payfast_api_signature(ping, NF(ping), "jt7NOE43FZPn", sig);
	assert_string_equal(sig, "b05ac97ce4f62b48c5afecc7a944da7b");
	payfast_api_signature(refund, NF(refund), "jt7NOE43FZPn", sig);
	assert_string_equal(sig, "63eea84c62861ecc0570664dfde43927");
}

/* ---- PayFast: negative cases and the checkout form ---- */

static void
itn_tampered_fails(void **state)
{
	arena_t *a = *state;
	struct gw_notice n;
	char err[128];
	const char *body;

	/* amount_gross changed, signature kept. */
	body = itn_body(a, "m_payment_id=JOB-42-M1&pf_payment_id=1089250&payment_status=COMPLETE"
	    "&item_name=Logo+design+%E2%80%93+milestone+1&item_description=&amount_gross=15.00"
	    "&amount_fee=-34.50&amount_net=1465.50&custom_str1=escrow&custom_str2=&custom_str3="
	    "&custom_str4=&custom_str5=&custom_int1=42&custom_int2=&custom_int3=&custom_int4="
	    "&custom_int5=&name_first=Thandi&name_last=Mokoena&email_address=thandi%40example.test"
	    "&merchant_id=10000100", V_PF_5_SIG);
	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", "10000100",
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	assert_non_null(strstr(err, "signature"));
	/* Signature in upper case, truncated, or missing. */
	body = itn_body(a, V_PF_5, "D430A916FD5B65E350BB016FCE9380B6");
	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", NULL,
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	body = itn_body(a, V_PF_5, "d430a916fd5b65e350bb016fce9380b");
	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", NULL,
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(payfast_itn_check(a, V_PF_5, strlen(V_PF_5), "jt7NOE43FZPn", NULL,
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	/* A field repeated after the signed ones. */
	body = arena_printf(a, "%s&signature=%s&payment_status=CANCELLED", V_PF_5, V_PF_5_SIG);
	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", NULL,
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	/* Another merchant's ITN, correctly signed. */
	body = itn_body(a, V_PF_5, V_PF_5_SIG);
	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", "10000200",
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	/* Bad percent-encoding. */
	body = "m_payment_id=%zz&signature=x";
	assert_int_equal(payfast_itn_check(a, body, strlen(body), NULL, NULL,
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
}

static void
itn_wrong_passphrase_fails(void **state)
{
	arena_t *a = *state;
	const char *body = itn_body(a, V_PF_5, V_PF_5_SIG);
	struct gw_notice n;
	char err[128];

	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPm", "10000100",
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(payfast_itn_check(a, body, strlen(body), NULL, "10000100",
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	/* V-PF-2 was signed without a passphrase: adding one must fail. */
	body = itn_body(a, V_PF_2, "94b05677771813701468289ed3cabed1");
	assert_int_equal(payfast_itn_check(a, body, strlen(body), "jt7NOE43FZPn", "10000100",
	    &n, NULL, err, sizeof(err)), GW_EREJECT);
	/* Checkout side: the passphrase changes the signature. */
	{
		char s1[PAYFAST_SIG_SIZE], s2[PAYFAST_SIG_SIZE];

		payfast_checkout_signature(v_pf_4_fields, NF(v_pf_4_fields), "jt7NOE43FZPn", s1);
		payfast_checkout_signature(v_pf_4_fields, NF(v_pf_4_fields), "jt7NOE43FZPN", s2);
		assert_string_not_equal(s1, s2);
	}
}

/* Status words map as §1.5 says; a re-signed ITN changes only what it states. */
static void
itn_status_words(void **state)
{
	static const struct { const char *word; enum gw_status st; } m[] = {
		{ "COMPLETE", GW_PAID }, { "CANCELLED", GW_CANCELLED }, { "FAILED", GW_FAILED },
		{ "PENDING", GW_PENDING }, { "SOMETHING", GW_IGNORED },
	};
	arena_t *a = *state;

	for (size_t i = 0; i < NF(m); i++) {
		const char *p = arena_printf(a, "m_payment_id=REF-1&pf_payment_id=77"
		    "&payment_status=%s&amount_gross=10.5&merchant_id=1", m[i].word);
		kvlist_t l;
		char sig[PAYFAST_SIG_SIZE], err[128];
		struct gw_notice n;
		const char *body;

		assert_int_equal(http_parse_urlencoded(a, p, strlen(p), NULL, &l), PARSE_OK);
		payfast_itn_signature(a, &l, "pp", sig);
		body = itn_body(a, p, sig);
		assert_int_equal(payfast_itn_check(a, body, strlen(body), "pp", "1", &n, NULL,
		    err, sizeof(err)), GW_OK);
		assert_int_equal(n.status, m[i].st);
		assert_string_equal(n.event_id, arena_printf(a, "77:%s", m[i].word));
		assert_int_equal(n.amount_minor, 1050);
	}
}

static void
urlencode_php_rules(void **state)
{
	buf_t b;
	const char in[] = "a-_.~ !*'()/\xe2\x80\x93Z9";

	(void)state;
	buf_init(&b, NULL);
	payfast_urlencode(&b, in, sizeof(in) - 1);
	assert_string_equal(buf_cstr(&b), "a-_.%7E+%21%2A%27%28%29%2F%E2%80%93Z9");
	buf_free(&b);
}

static void
validate_answer(void **state)
{
	(void)state;
	assert_true(payfast_validate_answer("VALID", 5));
	assert_true(payfast_validate_answer("VALID\r\n", 7));
	assert_true(payfast_validate_answer(" VALID\n", 7));
	assert_false(payfast_validate_answer("INVALID", 7));
	assert_false(payfast_validate_answer("valid", 5));
	assert_false(payfast_validate_answer("VALIDX", 6));
	assert_false(payfast_validate_answer("", 0));
}

static void
checkout_fields(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg;
	struct gw_payment p = {
		.reference = "JOB-42-M1", .amount_minor = 150000, .currency = "ZAR",
		.item_name = "Logo design – milestone 1", .buyer_email = "thandi@example.test",
		.buyer_name = "Thandi Mokoena",
		.return_url = "https://market.example.test/pay/return?job=42",
		.cancel_url = "https://market.example.test/pay/cancel?job=42",
		.notify_url = "https://market.example.test/pay/payfast/itn",
	};
	static const char *const names[] = {
		"merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url",
		"name_first", "name_last", "email_address", "m_payment_id", "amount",
		"item_name", "signature",
	};
	struct gw_start s;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.payfast_merchant_id = "10000100";
	cfg.payfast_merchant_key = "46f0cd694581a";
	cfg.payfast_passphrase = "jt7NOE43FZPn";
	cfg.payfast_process_url = "http://127.0.0.1:9/eng/process";
	assert_int_equal(payfast_checkout_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_OK);
	assert_int_equal(s.post, 1);
	assert_string_equal(s.url, "http://127.0.0.1:9/eng/process");
	assert_null(s.gateway_txn_id);
	assert_int_equal(s.nfields, NF(names));
	for (size_t i = 0; i < NF(names); i++)
		assert_string_equal(s.fields[i].name, names[i]);
	assert_string_equal(s.fields[5].value, "Thandi");
	assert_string_equal(s.fields[6].value, "Mokoena");
	assert_string_equal(s.fields[9].value, "1500.00");
	/* md5 of V-PF-4's string without custom_str1/custom_int1 (md5sum). */
	assert_string_equal(s.fields[11].value, "2e3866ad729ca0733374b8fca6a734c0");

	/* Long item names are cut at a UTF-8 boundary within 100 bytes. */
	p.item_name = "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé";
	assert_int_equal(payfast_checkout_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_OK);
	assert_int_equal(strlen(s.fields[10].value), 100);

	p.currency = "USD";
	assert_int_equal(payfast_checkout_fields(a, &cfg, &p, &s, err, sizeof(err)),
	    GW_EUNSUPPORTED);
	p.currency = "ZAR";
	cfg.payfast_merchant_key = "";
	assert_int_equal(payfast_checkout_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_ECONFIG);
}

/* ---- gateway.c: money strings, allow-list, registry ---- */

static void
decimal_conversion(void **state)
{
	static const struct { const char *s; int64_t v; } ok[] = {
		{ "123.45", 12345 }, { "123.4", 12340 }, { "123", 12300 }, { "0", 0 },
		{ "0.01", 1 }, { "0.1", 10 }, { "007.00", 700 },
		{ "92233720368547758.07", INT64_MAX },
	};
	static const char *const bad[] = {
		"", "-1.00", "+1.00", "1.234", "1.", ".5", "1,00", " 1.00", "1.00 ", "1e3",
		"0x10", "1.-1", "92233720368547758.08", "92233720368547759", "99999999999999999999",
		"1..0", "NaN",
	};
	arena_t *a = *state;
	int64_t v;

	for (size_t i = 0; i < NF(ok); i++) {
		assert_int_equal(gateway_decimal_to_minor(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
	for (size_t i = 0; i < NF(bad); i++) {
		v = 42;
		assert_int_equal(gateway_decimal_to_minor(bad[i], &v), -1);
		assert_true(v == 42);
	}
	assert_int_equal(gateway_decimal_to_minor(NULL, &v), -1);
	assert_string_equal(gateway_minor_to_decimal(a, 12345), "123.45");
	assert_string_equal(gateway_minor_to_decimal(a, 5), "0.05");
	assert_string_equal(gateway_minor_to_decimal(a, 0), "0.00");
	assert_string_equal(gateway_minor_to_decimal(a, 100), "1.00");
	assert_string_equal(gateway_minor_to_decimal(a, -280), "-2.80");
	assert_string_equal(gateway_minor_to_decimal(a, INT64_MAX), "92233720368547758.07");
	assert_string_equal(gateway_minor_to_decimal(a, INT64_MIN), "-92233720368547758.08");
	/* Round trip. */
	for (int64_t m = 0; m < 1000; m += 7) {
		assert_int_equal(gateway_decimal_to_minor(gateway_minor_to_decimal(a, m), &v), 0);
		assert_true(v == m);
	}
}

static void
ip_allow_list(void **state)
{
	const char *list = "197.97.145.144/28, 41.74.179.192/27,10.1.2.3,127.0.0.1";

	(void)state;
	assert_true(gateway_ip_allowed("197.97.145.144", list, 0));
	assert_true(gateway_ip_allowed("197.97.145.159", list, 0));
	assert_false(gateway_ip_allowed("197.97.145.160", list, 0));
	assert_false(gateway_ip_allowed("197.97.145.143", list, 0));
	assert_true(gateway_ip_allowed("41.74.179.223", list, 0));
	assert_false(gateway_ip_allowed("41.74.179.224", list, 0));
	assert_true(gateway_ip_allowed("10.1.2.3", list, 0));
	assert_false(gateway_ip_allowed("10.1.2.4", list, 0));
	/* Loopback only in test mode, and only when listed. */
	assert_false(gateway_ip_allowed("127.0.0.1", list, 0));
	assert_true(gateway_ip_allowed("127.0.0.1", list, 1));
	assert_false(gateway_ip_allowed("127.0.0.1", "127.0.0.0/8", 0));
	assert_true(gateway_ip_allowed("127.0.0.2", "127.0.0.0/8", 1));
	assert_false(gateway_ip_allowed("127.0.0.2", list, 1));
	assert_false(gateway_ip_allowed("127.0.0.1", "", 1));
	/* /0 matches everything except loopback outside test mode. */
	assert_true(gateway_ip_allowed("8.8.8.8", "0.0.0.0/0", 0));
	assert_false(gateway_ip_allowed("127.0.0.1", "0.0.0.0/0", 0));
	/* Malformed addresses and list items never match. */
	assert_false(gateway_ip_allowed("197.97.145.144 ", list, 0));
	assert_false(gateway_ip_allowed("197.97.145", list, 0));
	assert_false(gateway_ip_allowed("::1", list, 1));
	assert_false(gateway_ip_allowed("", list, 0));
	assert_false(gateway_ip_allowed(NULL, list, 0));
	assert_false(gateway_ip_allowed("10.1.2.3", NULL, 0));
	assert_false(gateway_ip_allowed("10.0.0.1", "10.0.0.0/33,10.0.0.0/,10.0.0.0/x", 0));
	assert_true(gateway_ip_allowed("10.0.0.1", "junk,,10.0.0.0/8", 0));
}

static void
registry(void **state)
{
	static const char *const names[] = {
		"payfast", "ozow", "stripe", "paypal", "alipay", "wechat",
	};
	const gateway_t *const *all, *out[6];
	size_t n;

	(void)state;
	all = gateway_all(&n);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(all[i]->name, names[i]);
		assert_ptr_equal(gateway_find(names[i]), all[i]);
	}
	assert_null(gateway_find("bitcoin"));
	assert_null(gateway_find(NULL));
	assert_int_equal(gateway_for_currency("ZAR", out, 6), 2);
	assert_ptr_equal(out[0], &gateway_payfast);
	assert_ptr_equal(out[1], &gateway_ozow);
	assert_int_equal(gateway_for_currency("USD", out, 6), 2);
	assert_ptr_equal(out[0], &gateway_stripe);
	assert_ptr_equal(out[1], &gateway_paypal);
	assert_int_equal(gateway_for_currency("CNY", out, 6), 2);
	assert_ptr_equal(out[0], &gateway_alipay);
	assert_ptr_equal(out[1], &gateway_wechat);
	assert_int_equal(gateway_for_currency("ZAR", out, 1), 1);
	assert_int_equal(gateway_for_currency("EUR", out, 6), 0);
	assert_int_equal(gateway_for_currency("ZA", out, 6), 0);
	/* PayFast pays out by bank file. */
	assert_null(gateway_payfast.payout);
	assert_non_null(gateway_payfast.verify);
}

/* The adapter refuses an ITN from outside the allow-list before any network. */
static void
verify_source_address(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg;
	struct gw_ctx c = { .cfg = &cfg, .arena = a };
	const char *body = itn_body(a, V_PF_5, V_PF_5_SIG);
	struct gw_http in = {
		.remote_addr = "127.0.0.1",
		.content_type = "application/x-www-form-urlencoded",
		.body = body, .body_len = strlen(body),
	};
	struct gw_notice n;
	struct gw_ack ack;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.payfast_merchant_id = "10000100";
	cfg.payfast_passphrase = "jt7NOE43FZPn";
	cfg.payfast_itn_allow = "127.0.0.1";
	cfg.payfast_validate_url = "";	/* never reached */
	cfg.gateway_test_mode = 0;
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(ack.status, 403);
	in.remote_addr = "41.74.179.200";
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(ack.status, 403);
	/* In test mode the listed loopback passes on to the validation call. */
	cfg.gateway_test_mode = 1;
	in.remote_addr = "127.0.0.1";
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_ECONFIG);
	assert_int_equal(ack.status, 503);
}

static time_t
fixed_now(void)
{
	return 1736928000;	/* 2025-01-15T10:00:00+02:00 */
}

static struct souk_config
net_cfg(void)
{
	struct souk_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.payfast_merchant_id = "10000100";
	cfg.payfast_merchant_key = "46f0cd694581a";
	cfg.payfast_passphrase = "jt7NOE43FZPn";
	cfg.payfast_itn_allow = "197.97.145.144/28,127.0.0.1";
	cfg.gateway_test_mode = 1;
	cfg.gateway_timeout = 5;
	return cfg;
}

/* §1.5 check 4 through the real HTTP call: VALID, INVALID, 5xx, down. */
static void
verify_validates_with_server(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg = net_cfg();
	struct gw_ctx c = { .cfg = &cfg, .arena = a };
	const char *body = itn_body(a, V_PF_5, V_PF_5_SIG);
	struct gw_http in = {
		.remote_addr = "127.0.0.1",
		.content_type = "application/x-www-form-urlencoded; charset=utf-8",
		.body = body, .body_len = strlen(body),
	};
	const struct ts_reply r[] = {
		{ 200, "VALID" }, { 200, "INVALID" }, { 500, "oops" }, { 200, "VALID\r\n" },
	};
	struct testserver ts;
	struct gw_notice n;
	struct gw_ack ack;
	char err[160];

	assert_int_equal(ts_start(&ts, r, NF(r)), 0);
	cfg.payfast_validate_url = arena_printf(a, "http://127.0.0.1:%d/eng/query/validate", ts.port);
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(ack.status, 200);
	assert_string_equal(ack.body, "");
	assert_int_equal(n.status, GW_PAID);
	assert_string_equal(n.event_id, "1089250:COMPLETE");
	assert_non_null(strstr(ts_request(&ts, 0), "POST /eng/query/validate HTTP/1.1\r\n"));
	assert_non_null(strstr(ts_request(&ts, 0),
	    "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
	/* Without signature and without passphrase. */
	assert_string_equal(ts_body(&ts, 0), V_PF_5);
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(ack.status, 400);
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_ETEMP);
	assert_int_equal(ack.status, 503);
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_OK);
	ts_stop(&ts);
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_ETEMP);
	/* Not a form: refused. */
	in.content_type = "application/json";
	assert_int_equal(gateway_payfast.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
}

/* §1.7: signed headers, sorted signature with testing=true, cents. */
static void
refund_and_query_requests(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg = net_cfg();
	struct gw_ctx c = { .cfg = &cfg, .arena = a, .now = fixed_now };
	const struct ts_reply r[] = {
		{ 200, "{\"code\":200,\"status\":\"success\",\"data\":{\"response\":true,"
		    "\"message\":\"Success\",\"refund_id\":\"1089250-R1\"}}" },
		{ 200, "{\"code\":200,\"status\":\"success\",\"data\":{\"response\":{"
		    "\"pf_payment_id\":\"1089250\",\"m_payment_id\":\"JOB-42-M1\","
		    "\"status\":\"COMPLETE\",\"amount\":150000}}}" },
		{ 400, "{\"code\":400,\"status\":\"failed\",\"data\":{\"response\":\"x\","
		    "\"message\":\"Refund amount exceeds the available amount\"}}" },
		{ 500, "{}" },
	};
	struct gw_refund rf = {
		.reference = "JOB-42-M1", .gateway_txn_id = "1089250", .amount_minor = 15000,
		.paid_minor = 150000, .currency = "ZAR", .reason = "Milestone cancelled",
		.idempotency_key = "k1",
	};
	struct testserver ts;
	struct gw_notice n;
	const char *id, *req;
	char err[200];

	assert_int_equal(ts_start(&ts, r, NF(r)), 0);
	cfg.payfast_api_url = arena_printf(a, "http://127.0.0.1:%d", ts.port);
	assert_int_equal(gateway_payfast.refund(&c, &rf, &id, err, sizeof(err)), GW_OK);
	assert_string_equal(id, "1089250-R1");
	req = ts_request(&ts, 0);
	assert_non_null(strstr(req, "POST /refunds/1089250?testing=true HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\nmerchant-id: 10000100\r\n"));
	assert_non_null(strstr(req, "\r\nversion: v1\r\n"));
	assert_non_null(strstr(req, "\r\ntimestamp: 2025-01-15T10:00:00+02:00\r\n"));
	/* md5sum of the sorted pairs, testing=true and passphrase included. */
	assert_non_null(strstr(req, "\r\nsignature: 37c1816febbeeda67674f29a5cef0df4\r\n"));
	assert_string_equal(ts_body(&ts, 0), "amount=15000&reason=Milestone+cancelled&notify_buyer=1");

	assert_int_equal(gateway_payfast.query(&c, "JOB-42-M1", "1089250", &n, err, sizeof(err)),
	    GW_OK);
	assert_int_equal(n.status, GW_PAID);
	assert_int_equal(n.amount_minor, 150000);
	assert_string_equal(n.reference, "JOB-42-M1");
	req = ts_request(&ts, 1);
	assert_non_null(strstr(req, "GET /process/query/1089250?testing=true HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\nsignature: dc3ac701b6b2d83b397b4c02646c7f4e\r\n"));

	assert_int_equal(gateway_payfast.refund(&c, &rf, &id, err, sizeof(err)), GW_EREJECT);
	assert_non_null(strstr(err, "exceeds"));
	assert_int_equal(gateway_payfast.refund(&c, &rf, &id, err, sizeof(err)), GW_ETEMP);
	ts_stop(&ts);
	/* Refused before any call. */
	rf.amount_minor = 150001;
	assert_int_equal(gateway_payfast.refund(&c, &rf, &id, err, sizeof(err)), GW_EREJECT);
	rf.amount_minor = 100;
	rf.gateway_txn_id = "../x";
	assert_int_equal(gateway_payfast.refund(&c, &rf, &id, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(gateway_payfast.query(&c, "JOB-42-M1", NULL, &n, err, sizeof(err)),
	    GW_EUNSUPPORTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(v_pf_1_checkout_cyrillic, setup, teardown),
		cmocka_unit_test_setup_teardown(v_pf_2_itn_sandbox, setup, teardown),
		cmocka_unit_test_setup_teardown(v_pf_3_subscription_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(v_pf_4_checkout_milestone, setup, teardown),
		cmocka_unit_test_setup_teardown(v_pf_5_itn_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(v_pf_6_subscription, setup, teardown),
		cmocka_unit_test_setup_teardown(v_pf_7_itn_renewal, setup, teardown),
		cmocka_unit_test_setup_teardown(v_pf_8_api, setup, teardown),
		cmocka_unit_test_setup_teardown(itn_tampered_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(itn_wrong_passphrase_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(itn_status_words, setup, teardown),
		cmocka_unit_test_setup_teardown(urlencode_php_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(validate_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(checkout_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(decimal_conversion, setup, teardown),
		cmocka_unit_test_setup_teardown(ip_allow_list, setup, teardown),
		cmocka_unit_test_setup_teardown(registry, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_source_address, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_validates_with_server, setup, teardown),
		cmocka_unit_test_setup_teardown(refund_and_query_requests, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
