/*
 * test_ozow.c - unit tests for src/payments/ozow.c: the vectors of
 * ../shared/docs/payment-gateways.md §2.5 (official first), the request
 * form, the notification checks, the status API answer, and the adapter's
 * verify/query/refund calls against a loopback server (gw_testserver.h).
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
#include "payments/gateway.h"
#include "payments/ozow.h"
#include "gw_testserver.h"

#define NF(x) (sizeof(x) / sizeof((x)[0]))
#define KEY "215114531AFF7134A94C88CEEA48E"

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

/* V-OZ-1 [OFFICIAL]: Ozow's own HashCheck example, error.aspx 8th. */
static void
v_oz_1_request_hash(void **state)
{
	const char *v[] = {
		"TSTSTE0001", "ZA", "ZAR", "25.00", "123", "ABC123",
		"http://demo.ozow.com/cancel.aspx", "http://demo.ozow.com/error.aspx",
		"http://demo.ozow.com/success.aspx", "http://demo.ozow.com/notify.aspx", "false",
	};
	char h[OZOW_HASH_SIZE];

	(void)state;
	ozow_hash(v, NF(v), KEY, h);
	assert_string_equal(h, "eedcba106cd8fef3ba6cec5ec80de7d7d7fc90343028bf95b908718c671d0fe8"
	    "85ca08b206d788de009d237a93c18e66edf6ede3f5ca7057e23474106465dcc6");
	/* The page's typo (cancel.aspx twice) gives the other, unpublished value. */
	v[7] = "http://demo.ozow.com/cancel.aspx";
	ozow_hash(v, NF(v), KEY, h);
	assert_string_equal(h, "fbcb404ee61138d0a09d89fcc2f85c378669b21a3c7c48750b3cc8779de55ada"
	    "2e8bc32915cce574e676a75aca62854cdc9a12ad5188f284d840d94a6dd73bf4");
}

/* V-OZ-2 [COMPUTED]: Optional1 and Customer, empty optionals add nothing. */
static void
v_oz_2_request_optional(void **state)
{
	const char *v[] = {
		"TSTSTE0001", "ZA", "ZAR", "1500.00", "JOB-42-M1", "JOB42 M1", "escrow",
		"", "", NULL, "", "Thandi Mokoena",	/* NULL counts as "" */
		"https://market.example.test/pay/ozow/cancel",
		"https://market.example.test/pay/ozow/error",
		"https://market.example.test/pay/ozow/success",
		"https://market.example.test/pay/ozow/notify", "true",
	};
	char h[OZOW_HASH_SIZE];

	(void)state;
	ozow_hash(v, NF(v), KEY, h);
	assert_string_equal(h, "06196a2c788ef6406abc5d0286e4cafb5296764cacf4efac8449e570a0dece91"
	    "84398e273989e07334ad12331353499e3bc56cac66c3bd29e13b66ddf70f34bc");
}

#define V_OZ_3_HASH "aa9766cfc67b2a2aeb363578732b17422e13ca1d76ad685ec81a1139d720cf79" \
	"9784ae17e492e5364f69ca5654e0fe6f15df83cdeee887b561f7dfdccfeb5bff"
#define V_OZ_3 "SiteCode=TSTSTE0001&TransactionId=5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69" \
	"&TransactionReference=JOB-42-M1&Amount=1500.00&Status=Complete&Optional1=escrow" \
	"&Optional2=&Optional3=&Optional4=&Optional5=&CurrencyCode=ZAR&IsTest=true&StatusMessage="

/* V-OZ-3 [COMPUTED]: a notification. */
static void
v_oz_3_notification(void **state)
{
	arena_t *a = *state;
	const char *body = V_OZ_3 "&Hash=" V_OZ_3_HASH;
	struct ozow_notify n;
	struct gw_notice out;
	char err[128];

	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, "TSTSTE0001", &n, &out,
	    err, sizeof(err)), GW_OK);
	assert_string_equal(out.event_id, "5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69:Complete");
	assert_string_equal(out.reference, "JOB-42-M1");
	assert_string_equal(out.gateway_txn_id, "5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69");
	assert_int_equal(out.status, GW_PAID);
	assert_string_equal(out.status_word, "Complete");
	assert_int_equal(out.amount_minor, 150000);
	assert_string_equal(out.currency, "ZAR");
	assert_true(n.is_test);

	/* The Hash compares ignoring case; IsTest=True hashes like true. */
	{
		char up[OZOW_HASH_SIZE];

		for (size_t i = 0; i < OZOW_HASH_SIZE; i++)
			up[i] = V_OZ_3_HASH[i] >= 'a' && V_OZ_3_HASH[i] <= 'f' ?
			    (char)(V_OZ_3_HASH[i] - 32) : V_OZ_3_HASH[i];
		body = arena_printf(a, "%s&Hash=%s", V_OZ_3, up);
		assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, NULL, NULL, &out,
		    err, sizeof(err)), GW_OK);
	}
	/* Missing optionals count as "", in any posted order. */
	body = "Hash=" V_OZ_3_HASH "&Status=Complete&SiteCode=TSTSTE0001"
	    "&TransactionId=5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69&TransactionReference=JOB-42-M1"
	    "&Amount=1500.00&Optional1=escrow&CurrencyCode=ZAR&IsTest=True";
	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, NULL, &n, &out,
	    err, sizeof(err)), GW_OK);
	assert_true(n.is_test);
}

static void
notification_tampered_fails(void **state)
{
	arena_t *a = *state;
	struct gw_notice out;
	char err[128];
	const char *body;

	/* Amount changed. */
	body = "SiteCode=TSTSTE0001&TransactionId=5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69"
	    "&TransactionReference=JOB-42-M1&Amount=15.00&Status=Complete&Optional1=escrow"
	    "&CurrencyCode=ZAR&IsTest=true&Hash=" V_OZ_3_HASH;
	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, NULL, NULL, &out,
	    err, sizeof(err)), GW_EREJECT);
	assert_non_null(strstr(err, "Hash"));
	/* Status changed. */
	body = "SiteCode=TSTSTE0001&TransactionId=5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69"
	    "&TransactionReference=JOB-42-M1&Amount=1500.00&Status=Cancelled&Optional1=escrow"
	    "&CurrencyCode=ZAR&IsTest=true&Hash=" V_OZ_3_HASH;
	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, NULL, NULL, &out,
	    err, sizeof(err)), GW_EREJECT);
	/* Wrong private key. */
	body = V_OZ_3 "&Hash=" V_OZ_3_HASH;
	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY "0", NULL, NULL, &out,
	    err, sizeof(err)), GW_EREJECT);
	/* Another site (correct hash under its key). */
	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, "OTHER0001", NULL, &out,
	    err, sizeof(err)), GW_EREJECT);
	/* No Hash, a short Hash, a repeated field. */
	assert_int_equal(ozow_notify_check(a, V_OZ_3, strlen(V_OZ_3), KEY, NULL, NULL, &out,
	    err, sizeof(err)), GW_EREJECT);
	body = V_OZ_3 "&Hash=aa9766cf";
	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, NULL, NULL, &out,
	    err, sizeof(err)), GW_EREJECT);
	body = V_OZ_3 "&Hash=" V_OZ_3_HASH "&Status=Cancelled";
	assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, NULL, NULL, &out,
	    err, sizeof(err)), GW_EREJECT);
}

/* A notification signed by us under KEY: the hash is what the check needs. */
static const char *
signed_notification(arena_t *a, const char *status, const char *amount, const char *is_test)
{
	const char *v[] = {
		"TSTSTE0001", "5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69", "JOB-42-M1", amount, status,
		"", "", "", "", "", "ZAR", is_test, "",
	};
	char h[OZOW_HASH_SIZE];

	ozow_hash(v, NF(v), KEY, h);
	return arena_printf(a, "SiteCode=TSTSTE0001&TransactionId=%s&TransactionReference=JOB-42-M1"
	    "&Amount=%s&Status=%s&CurrencyCode=ZAR&IsTest=%s&Hash=%s", v[1], amount, status,
	    is_test, h);
}

static void
status_words(void **state)
{
	static const struct { const char *w; enum gw_status st; } m[] = {
		{ "Complete", GW_PAID }, { "Cancelled", GW_CANCELLED }, { "Abandoned", GW_CANCELLED },
		{ "Error", GW_FAILED }, { "Pending", GW_PENDING },
		{ "PendingInvestigation", GW_PENDING }, { "Refunded", GW_IGNORED },
	};
	arena_t *a = *state;

	for (size_t i = 0; i < NF(m); i++) {
		const char *body = signed_notification(a, m[i].w, "10.50", "false");
		struct gw_notice out;
		char err[128];

		assert_int_equal(ozow_notify_check(a, body, strlen(body), KEY, "TSTSTE0001", NULL,
		    &out, err, sizeof(err)), GW_OK);
		assert_int_equal(out.status, m[i].st);
		assert_int_equal(out.amount_minor, 1050);
		assert_string_equal(out.event_id,
		    arena_printf(a, "5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69:%s", m[i].w));
	}
}

static struct souk_config
test_cfg(void)
{
	struct souk_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ozow_site_code = "TSTSTE0001";
	cfg.ozow_private_key = KEY;
	cfg.ozow_api_key = "api-key-1";
	cfg.ozow_pay_url = "http://127.0.0.1:9/";
	cfg.ozow_api_url = "http://127.0.0.1:9";
	cfg.gateway_test_mode = 1;
	cfg.gateway_timeout = 5;
	return cfg;
}

static void
request_fields(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg = test_cfg();
	struct gw_payment p = {
		.reference = "JOB-42-M1", .amount_minor = 150000, .currency = "ZAR",
		.item_name = "Logo", .buyer_email = "thandi@example.test",
		.buyer_name = "Thandi Mokoena",
		.return_url = "https://market.example.test/pay/ozow/success",
		.cancel_url = "https://market.example.test/pay/ozow/cancel",
		.notify_url = "https://market.example.test/pay/ozow/notify",
	};
	static const char *const names[] = {
		"SiteCode", "CountryCode", "CurrencyCode", "Amount", "TransactionReference",
		"BankReference", "Customer", "CancelUrl", "ErrorUrl", "SuccessUrl", "NotifyUrl",
		"IsTest", "HashCheck",
	};
	struct gw_start s;
	char err[128];

	assert_int_equal(ozow_request_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_OK);
	assert_int_equal(s.post, 1);
	assert_string_equal(s.url, "http://127.0.0.1:9/");
	assert_int_equal(s.nfields, NF(names));
	for (size_t i = 0; i < NF(names); i++)
		assert_string_equal(s.fields[i].name, names[i]);
	assert_string_equal(s.fields[3].value, "1500.00");
	assert_string_equal(s.fields[11].value, "true");
	/* sha512sum of the lower-cased concatenation, computed by hand. */
	assert_string_equal(s.fields[12].value,
	    "b4f1ad2d206807a56a72f0c976ca0d5c53f3746360ab2ca81032576f7b0b4574"
	    "7d7160554bf5d9b6e6c3b5f4241d7b67d8386be7dcf2596039c7af24d5015b96");

	/* BankReference: only [A-Za-z0-9 -], at most 20 bytes. */
	p.reference = "ord_2024_abcdefghijklmnop";
	cfg.gateway_test_mode = 0;
	assert_int_equal(ozow_request_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_OK);
	assert_string_equal(s.fields[5].value, "ord-2024-abcdefghijk");
	assert_string_equal(s.fields[11].value, "false");
	/* No Customer when the name is empty. */
	p.buyer_name = "";
	assert_int_equal(ozow_request_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_OK);
	assert_string_equal(s.fields[6].name, "CancelUrl");

	p.currency = "USD";
	assert_int_equal(ozow_request_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_EUNSUPPORTED);
	p.currency = "ZAR";
	cfg.ozow_private_key = "";
	assert_int_equal(ozow_request_fields(a, &cfg, &p, &s, err, sizeof(err)), GW_ECONFIG);
}

static void
transaction_answer(void **state)
{
	arena_t *a = *state;
	struct gw_notice n;
	char err[128];
	const char *j;

	j = "{\"transactionId\":\"5C0A6AB3-6f67-4b2e-9a8e-1d2f3c4b5a69\",\"transactionReference\":"
	    "\"JOB-42-M1\",\"amount\": 1500.00 ,\"status\":\"Complete\",\"statusMessage\":null}";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j),
	    "5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69", &n, err, sizeof(err)), GW_OK);
	assert_int_equal(n.amount_minor, 150000);
	assert_int_equal(n.status, GW_PAID);
	assert_string_equal(n.reference, "JOB-42-M1");
	/* An array: the element with the asked id, amount read from its own text. */
	j = "[{\"transactionId\":\"a\",\"meta\":{\"amount\":1},\"amount\":10.5,\"status\":\"Error\"},"
	    " {\"transactionId\":\"b\",\"transactionReference\":\"R\",\"x\":[1,{\"amount\":\"9\"}],"
	    "\"amount\":\"20.25\",\"status\":\"Pending\"},"
	    "{\"transactionId\":\"c\",\"transactionReference\":\"R\",\"amount\":30,\"status\":\"Complete\"}]";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "a", &n, err, sizeof(err)), GW_OK);
	assert_int_equal(n.amount_minor, 1050);
	assert_int_equal(n.status, GW_FAILED);
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "b", &n, err, sizeof(err)), GW_OK);
	assert_int_equal(n.amount_minor, 2025);
	/* By reference: the Complete one wins. */
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), NULL, &n, err, sizeof(err)), GW_OK);
	assert_string_equal(n.gateway_txn_id, "c");
	assert_int_equal(n.amount_minor, 3000);
	assert_string_equal(n.event_id, "c:Complete");
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "d", &n, err, sizeof(err)),
	    GW_EREJECT);
	/* Amounts that are not exact cents are refused, never rounded. */
	j = "{\"transactionId\":\"a\",\"amount\":1500.001,\"status\":\"Complete\"}";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "a", &n, err, sizeof(err)),
	    GW_EREJECT);
	j = "{\"transactionId\":\"a\",\"amount\":1.5e3,\"status\":\"Complete\"}";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "a", &n, err, sizeof(err)),
	    GW_EREJECT);
	j = "{\"transactionId\":\"a\",\"amount\":-15,\"status\":\"Complete\"}";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "a", &n, err, sizeof(err)),
	    GW_EREJECT);
	j = "{\"transactionId\":\"b\",\"amount\":15,\"status\":\"Complete\"}";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "a", &n, err, sizeof(err)),
	    GW_EREJECT);
	j = "{\"transactionId\":\"a\",\"amount\":15,\"amount\":16,\"status\":\"Complete\"}";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "a", &n, err, sizeof(err)),
	    GW_EREJECT);
	j = "not json";
	assert_int_equal(ozow_transaction_parse(a, j, strlen(j), "a", &n, err, sizeof(err)),
	    GW_EREJECT);
}

/* ---- the adapter against a loopback server ---- */

static struct gw_http
form_in(const char *body)
{
	struct gw_http in = {
		.remote_addr = "127.0.0.1", .content_type = "application/x-www-form-urlencoded",
		.body = body, .body_len = strlen(body),
	};
	return in;
}

static void
verify_cross_checks_status_api(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg = test_cfg();
	struct gw_ctx c = { .cfg = &cfg, .arena = a };
	const char *ok = "{\"transactionId\":\"5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69\","
	    "\"transactionReference\":\"JOB-42-M1\",\"amount\":1500.00,\"status\":\"Complete\"}";
	const char *other_amount = "{\"transactionId\":\"5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69\","
	    "\"transactionReference\":\"JOB-42-M1\",\"amount\":15.00,\"status\":\"Complete\"}";
	const char *pending = "{\"transactionId\":\"5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69\","
	    "\"transactionReference\":\"JOB-42-M1\",\"amount\":1500.00,\"status\":\"Pending\"}";
	const struct ts_reply r[] = {
		{ 200, ok }, { 200, other_amount }, { 200, pending }, { 503, "{}" },
	};
	struct testserver ts;
	struct gw_http in = form_in(V_OZ_3 "&Hash=" V_OZ_3_HASH);
	struct gw_notice n;
	struct gw_ack ack;
	char err[160];

	assert_int_equal(ts_start(&ts, r, NF(r)), 0);
	cfg.ozow_api_url = arena_printf(a, "http://127.0.0.1:%d", ts.port);

	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(ack.status, 200);
	assert_int_equal(n.status, GW_PAID);
	assert_int_equal(n.amount_minor, 150000);
	assert_non_null(strstr(ts_request(&ts, 0), "GET /GetTransaction?siteCode=TSTSTE0001"
	    "&transactionId=5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69&isTest=true HTTP/1.1\r\n"));
	assert_non_null(strstr(ts_request(&ts, 0), "\r\nApiKey: api-key-1\r\n"));

	/* The API does not confirm: refused. */
	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(ack.status, 400);
	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	/* The API is down: try again later. */
	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_ETEMP);
	assert_int_equal(ack.status, 503);
	ts_stop(&ts);

	/* Nobody listening any more: a network error is temporary too. */
	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_ETEMP);

	/* A test transaction in production is acknowledged and ignored, no API call. */
	cfg.gateway_test_mode = 0;
	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_IGNORED);
	assert_int_equal(ack.status, 200);
	/* A Cancelled notification needs no confirmation. */
	cfg.gateway_test_mode = 1;
	in = form_in(signed_notification(a, "Cancelled", "1500.00", "true"));
	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_CANCELLED);
	/* A bad hash is refused before any network. */
	in = form_in(V_OZ_3 "&Hash=" V_OZ_3_HASH "0");
	assert_int_equal(gateway_ozow.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(ack.status, 400);
}

static void
query_and_refund(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg = test_cfg();
	struct gw_ctx c = { .cfg = &cfg, .arena = a };
	const struct ts_reply r[] = {
		{ 200, "[{\"transactionId\":\"t1\",\"transactionReference\":\"JOB-42-M1\","
		    "\"amount\":1500.00,\"status\":\"Complete\"}]" },
		{ 200, "{\"access_token\":\"tok-1\",\"token_type\":\"bearer\"}" },
		{ 200, "[{\"refundId\":\"rf-9\",\"errors\":null}]" },
		{ 200, "{\"access_token\":\"tok-2\"}" },
		{ 200, "[{\"refundId\":null,\"errors\":[\"too much\"]}]" },
	};
	struct gw_refund rf = {
		.reference = "JOB-42-M1", .gateway_txn_id = "t1", .amount_minor = 5000,
		.paid_minor = 150000, .currency = "ZAR", .reason = "Cancelled order",
		.idempotency_key = "k1",
	};
	const char *v[] = { "t1", "50.00", "Cancelled order", "" }, *id;
	struct testserver ts;
	struct gw_notice n;
	char err[160], h[OZOW_HASH_SIZE];

	assert_int_equal(ts_start(&ts, r, NF(r)), 0);
	cfg.ozow_api_url = arena_printf(a, "http://127.0.0.1:%d", ts.port);
	assert_int_equal(gateway_ozow.query(&c, "JOB-42-M1", NULL, &n, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_PAID);
	assert_string_equal(n.gateway_txn_id, "t1");
	assert_non_null(strstr(ts_request(&ts, 0), "GET /GetTransactionByReference?siteCode="
	    "TSTSTE0001&transactionReference=JOB-42-M1&isTest=true "));

	assert_int_equal(gateway_ozow.refund(&c, &rf, &id, err, sizeof(err)), GW_OK);
	assert_string_equal(id, "rf-9");
	assert_non_null(strstr(ts_request(&ts, 1), "POST /token HTTP/1.1\r\n"));
	assert_non_null(strstr(ts_request(&ts, 1), "\r\nApiKey: api-key-1\r\n"));
	assert_string_equal(ts_body(&ts, 1), "grant_type=password&SiteCode=TSTSTE0001");
	assert_non_null(strstr(ts_request(&ts, 2), "POST /secure/refunds/submit HTTP/1.1\r\n"));
	assert_non_null(strstr(ts_request(&ts, 2), "\r\nAuthorization: Bearer tok-1\r\n"));
	ozow_hash(v, NF(v), KEY, h);
	assert_string_equal(ts_body(&ts, 2), arena_printf(a, "[{\"transactionId\":\"t1\","
	    "\"amount\":\"50.00\",\"refundReason\":\"Cancelled order\",\"notifyUrl\":\"\","
	    "\"HashCheck\":\"%s\"}]", h));
	/* Refused by Ozow. */
	assert_int_equal(gateway_ozow.refund(&c, &rf, &id, err, sizeof(err)), GW_EREJECT);
	assert_null(id);
	ts_stop(&ts);
	/* More than was paid: refused before any call. */
	rf.amount_minor = 150001;
	assert_int_equal(gateway_ozow.refund(&c, &rf, &id, err, sizeof(err)), GW_EREJECT);
	assert_null(gateway_ozow.payout);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(v_oz_1_request_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(v_oz_2_request_optional, setup, teardown),
		cmocka_unit_test_setup_teardown(v_oz_3_notification, setup, teardown),
		cmocka_unit_test_setup_teardown(notification_tampered_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(status_words, setup, teardown),
		cmocka_unit_test_setup_teardown(request_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(transaction_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_cross_checks_status_api, setup, teardown),
		cmocka_unit_test_setup_teardown(query_and_refund, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
