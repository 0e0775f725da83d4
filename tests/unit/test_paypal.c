/*
 * test_paypal.c - PayPal webhooks and orders (../shared/docs/
 * payment-gateways.md §4): V-PP-1 (CRC32 and the offline signing
 * string), the offline SHA256withRSA check, the verify-webhook-signature
 * postback with the raw event spliced in byte for byte, event mapping,
 * and the adapter's start, verify, query (capture) and refund against a
 * scripted local server; refusals: FAILURE answer, tampered body, wrong
 * key, missing headers, 5xx (temporary).
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
#include <jansson.h>

#include "core/arena.h"
#include "payments/alipay.h"
#include "payments/gateway.h"
#include "payments/paypal.h"
#include "gw_testserver.h"

/* V-PP-1 [COMPUTED]. */
static const char vpp1_body[] = "{\"id\":\"WH-TEST-0001\",\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\","
    "\"resource\":{\"id\":\"5O190127TN364715T\",\"status\":\"COMPLETED\"}}";
#define VPP1_TID	"69cd13f0-d67a-11e5-baa3-778b53f4ae55"
#define VPP1_TIME	"2016-02-18T20:01:35Z"
#define VPP1_WEBHOOK	"1JE4291016473214C"

/* A capture event as PayPal sends it: key order and "1.0"-style numbers must survive. */
static const char capture_body[] = "{\"id\":\"WH-58D329510W468432D-8HN650336L201105X\","
    "\"create_time\":\"2025-01-15T10:00:00.000Z\",\"resource_type\":\"capture\","
    "\"event_version\":\"1.0\",\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"zeta\":1.0,"
    "\"summary\":\"Payment completed for $ 12.34 USD\",\"resource\":{\"amount\":"
    "{\"value\":\"12.34\",\"currency_code\":\"USD\"},\"custom_id\":\"JOB42M1\",\"status\":"
    "\"COMPLETED\",\"id\":\"2GG279541U471931P\",\"final_capture\":true}}";

static void
test_v_pp_1(void **state)
{
	arena_t *a = arena_new(0);

	(void)state;
	assert_int_equal(paypal_crc32(vpp1_body, strlen(vpp1_body)), 1180763003u);
	assert_string_equal(paypal_signing_string(a, VPP1_TID, VPP1_TIME, VPP1_WEBHOOK, vpp1_body,
	    strlen(vpp1_body)),
	    "69cd13f0-d67a-11e5-baa3-778b53f4ae55|2016-02-18T20:01:35Z|1JE4291016473214C|1180763003");
	/* The standard check value of CRC-32 and the empty string. */
	assert_int_equal(paypal_crc32("123456789", 9), 0xCBF43926u);
	assert_int_equal(paypal_crc32("", 0), 0u);
	arena_free(a);
}

static void
test_offline_signature(void **state)
{
	arena_t *a = arena_new(0);
	EVP_PKEY *k = ts_rsa_key(), *other = ts_rsa_key();
	const char *msg = paypal_signing_string(a, VPP1_TID, VPP1_TIME, VPP1_WEBHOOK, vpp1_body,
	    strlen(vpp1_body));
	struct paypal_headers h = { VPP1_TID, VPP1_TIME, alipay_rsa2_sign(a, k, msg, strlen(msg)),
	    "https://api.paypal.com/v1/notifications/certs/CERT-360caa42", "SHA256withRSA" };
	char *tampered = strdup(vpp1_body);

	(void)state;
	assert_int_equal(paypal_verify_offline(a, k, &h, VPP1_WEBHOOK, vpp1_body, strlen(vpp1_body)), 1);
	tampered[10] = 'X';
	assert_int_equal(paypal_verify_offline(a, k, &h, VPP1_WEBHOOK, tampered, strlen(tampered)), 0);
	assert_int_equal(paypal_verify_offline(a, other, &h, VPP1_WEBHOOK, vpp1_body, strlen(vpp1_body)), 0);
	assert_int_equal(paypal_verify_offline(a, k, &h, "OTHERWEBHOOK", vpp1_body, strlen(vpp1_body)), 0);
	h.auth_algo = "SHA1withRSA";
	assert_int_equal(paypal_verify_offline(a, k, &h, VPP1_WEBHOOK, vpp1_body, strlen(vpp1_body)), 0);
	free(tampered);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	arena_free(a);
}

static void
test_verify_request_splices_raw_event(void **state)
{
	arena_t *a = arena_new(0);
	struct paypal_headers h = { VPP1_TID, VPP1_TIME, "c2lnbmF0dXJl\"x",
	    "https://api.paypal.com/v1/notifications/certs/CERT-360caa42", "SHA256withRSA" };
	const char *req = paypal_verify_request(a, &h, VPP1_WEBHOOK, capture_body, strlen(capture_body));
	const char *tail;
	json_t *j;

	(void)state;
	assert_non_null(req);
	/* The raw text, byte for byte, as the last member ("1.0" and key order intact). */
	tail = strstr(req, ",\"webhook_event\":");
	assert_non_null(tail);
	tail += strlen(",\"webhook_event\":");
	assert_int_equal(strlen(tail), strlen(capture_body) + 1);
	assert_memory_equal(tail, capture_body, strlen(capture_body));
	assert_string_equal(tail + strlen(capture_body), "}");
	/* And the whole is JSON with the headers as strings (a quote in one stays escaped). */
	j = json_loads(req, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "transmission_sig")), "c2lnbmF0dXJl\"x");
	assert_string_equal(json_string_value(json_object_get(j, "webhook_id")), VPP1_WEBHOOK);
	assert_string_equal(json_string_value(json_object_get(j, "auth_algo")), "SHA256withRSA");
	json_decref(j);

	h.cert_url = NULL;
	assert_null(paypal_verify_request(a, &h, VPP1_WEBHOOK, capture_body, strlen(capture_body)));
	h.cert_url = "https://api.paypal.com/c";
	assert_null(paypal_verify_request(a, &h, VPP1_WEBHOOK, "[1]", 3));
	assert_null(paypal_verify_request(a, &h, VPP1_WEBHOOK, "{\"a\":1} {}", 10));
	assert_null(paypal_verify_request(a, &h, VPP1_WEBHOOK, capture_body, strlen(capture_body) - 1));
	assert_int_equal(paypal_verify_answer("{\"verification_status\":\"SUCCESS\"}", 33), 1);
	assert_int_equal(paypal_verify_answer("{\"verification_status\":\"FAILURE\"}", 33), 0);
	assert_int_equal(paypal_verify_answer("SUCCESS", 7), 0);
	arena_free(a);
}

static void
test_parse_event(void **state)
{
	arena_t *a = arena_new(0);
	struct gw_notice nt;
	char err[160];
	const char *b;

	(void)state;
	assert_int_equal(paypal_parse_event(a, capture_body, strlen(capture_body), &nt, err, sizeof(err)), 0);
	assert_string_equal(nt.event_id, "WH-58D329510W468432D-8HN650336L201105X");
	assert_int_equal(nt.status, GW_PAID);
	assert_string_equal(nt.reference, "JOB42M1");
	assert_string_equal(nt.gateway_txn_id, "2GG279541U471931P");
	assert_int_equal(nt.amount_minor, 1234);
	assert_string_equal(nt.currency, "USD");

	b = "{\"id\":\"WH-2\",\"event_type\":\"PAYMENT.CAPTURE.DENIED\",\"resource\":{\"id\":\"C2\","
	    "\"custom_id\":\"JOB42M1\",\"amount\":{\"value\":\"12\",\"currency_code\":\"USD\"}}}";
	assert_int_equal(paypal_parse_event(a, b, strlen(b), &nt, err, sizeof(err)), 0);
	assert_int_equal(nt.status, GW_FAILED);
	assert_int_equal(nt.amount_minor, 1200);
	b = "{\"id\":\"WH-3\",\"event_type\":\"CHECKOUT.ORDER.APPROVED\",\"resource\":{\"id\":\"5O190127TN364715T\","
	    "\"purchase_units\":[{\"custom_id\":\"JOB42M1\",\"amount\":{\"value\":\"12.34\",\"currency_code\":\"USD\"}}]}}";
	assert_int_equal(paypal_parse_event(a, b, strlen(b), &nt, err, sizeof(err)), 0);
	assert_int_equal(nt.status, GW_PENDING);
	assert_string_equal(nt.gateway_txn_id, "5O190127TN364715T");
	b = "{\"id\":\"WH-4\",\"event_type\":\"BILLING.PLAN.CREATED\",\"resource\":{}}";
	assert_int_equal(paypal_parse_event(a, b, strlen(b), &nt, err, sizeof(err)), 0);
	assert_int_equal(nt.status, GW_IGNORED);
	assert_string_equal(nt.event_id, "WH-4");

	/* V-PP-1's body is a capture event without custom_id or amount: not usable. */
	assert_int_equal(paypal_parse_event(a, vpp1_body, strlen(vpp1_body), &nt, err, sizeof(err)), -1);
	b = "{\"id\":\"WH-5\",\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"resource\":{\"id\":\"C5\","
	    "\"custom_id\":\"JOB42M1\",\"amount\":{\"value\":\"12.345\",\"currency_code\":\"USD\"}}}";
	assert_int_equal(paypal_parse_event(a, b, strlen(b), &nt, err, sizeof(err)), -1);
	b = "{\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"resource\":{}}";
	assert_int_equal(paypal_parse_event(a, b, strlen(b), &nt, err, sizeof(err)), -1);
	assert_int_equal(paypal_parse_event(a, "{", 1, &nt, err, sizeof(err)), -1);
	arena_free(a);
}

/* ---- the adapter ---- */

struct hdrs {
	const char *tid, *time, *sig, *cert, *algo;
};

static const char *
get_header(void *ud, const char *name)
{
	struct hdrs *h = ud;

	if (strcmp(name, "PAYPAL-TRANSMISSION-ID") == 0)
		return h->tid;
	if (strcmp(name, "PAYPAL-TRANSMISSION-TIME") == 0)
		return h->time;
	if (strcmp(name, "PAYPAL-TRANSMISSION-SIG") == 0)
		return h->sig;
	if (strcmp(name, "PAYPAL-CERT-URL") == 0)
		return h->cert;
	if (strcmp(name, "PAYPAL-AUTH-ALGO") == 0)
		return h->algo;
	return NULL;
}

static void
cfg_init(struct souk_config *cfg, const char *url)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->paypal_client_id = "client-1";
	cfg->paypal_secret = "secret-1";
	cfg->paypal_webhook_id = VPP1_WEBHOOK;
	cfg->paypal_api_url = (char *)url;
	cfg->gateway_timeout = 5;
}

#define TOKEN	{ 200, "{\"scope\":\"x\",\"access_token\":\"A21AAtoken\",\"token_type\":\"Bearer\",\"expires_in\":32400}" }

/* The recorded request @i starts with @line and has header @hdr (or NULL). */
static void
check_request(struct testserver *s, int i, const char *line, const char *hdr)
{
	const char *p = ts_request(s, i);

	assert_int_equal(strncmp(p, line, strlen(line)), 0);
	if (hdr)
		assert_non_null(strstr(p, hdr));
}

static void
test_adapter_verify(void **state)
{
	arena_t *a = arena_new(0);
	const struct ts_reply replies[] = {
		TOKEN, { 200, "{\"verification_status\":\"SUCCESS\"}" },
		TOKEN, { 200, "{\"verification_status\":\"FAILURE\"}" },
		TOKEN, { 503, "{\"name\":\"SERVICE_UNAVAILABLE\"}" },
	};
	struct hdrs h = { VPP1_TID, VPP1_TIME, "c2ln", "https://api.paypal.com/v1/notifications/certs/C",
	    "SHA256withRSA" };
	struct gw_http in = { "203.0.113.9", "application/json", capture_body, strlen(capture_body),
	    get_header, &h };
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, NULL, "t" };
	struct gw_notice nt;
	struct gw_ack ack;
	struct testserver s;
	char err[160];
	const char *body;

	(void)state;
	assert_int_equal(ts_start(&s, replies, 6), 0);
	cfg_init(&cfg, s.url);
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(ack.status, 200);
	assert_int_equal(nt.status, GW_PAID);
	assert_int_equal(nt.amount_minor, 1234);
	assert_string_equal(nt.reference, "JOB42M1");
	assert_string_equal(nt.event_id, "WH-58D329510W468432D-8HN650336L201105X");
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	assert_true(ack.status >= 400 && ack.status < 500);
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ETEMP);
	assert_true(ack.status >= 500);
	check_request(&s, 0, "POST /v1/oauth2/token ", "Authorization: Basic Y2xpZW50LTE6c2VjcmV0LTE=");
	check_request(&s, 1, "POST /v1/notifications/verify-webhook-signature ",
	    "Authorization: Bearer A21AAtoken");
	body = ts_body(&s, 1);
	assert_non_null(strstr(body, capture_body));
	assert_non_null(strstr(body, "\"webhook_id\":\"" VPP1_WEBHOOK "\""));
	ts_stop(&s);

	/* Refused before any call: a missing header, junk, no webhook id. */
	h.sig = NULL;
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	h.sig = "c2ln";
	in.body = "not json";
	in.body_len = 8;
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	cfg.paypal_webhook_id = "";
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ECONFIG);
	arena_free(a);
}

static void
test_adapter_verify_captures_approved_order(void **state)
{
	arena_t *a = arena_new(0);
	static const char approved[] = "{\"id\":\"WH-3\",\"event_type\":\"CHECKOUT.ORDER.APPROVED\","
	    "\"resource\":{\"id\":\"5O190127TN364715T\",\"status\":\"APPROVED\",\"purchase_units\":"
	    "[{\"custom_id\":\"JOB42M1\",\"amount\":{\"value\":\"12.34\",\"currency_code\":\"USD\"}}]}}";
	const struct ts_reply replies[] = {
		TOKEN, { 200, "{\"verification_status\":\"SUCCESS\"}" },
		TOKEN, { 200, "{\"id\":\"5O190127TN364715T\",\"status\":\"APPROVED\",\"purchase_units\":"
		    "[{\"custom_id\":\"JOB42M1\",\"amount\":{\"value\":\"12.34\",\"currency_code\":\"USD\"}}]}" },
		TOKEN, { 201, "{\"id\":\"5O190127TN364715T\",\"status\":\"COMPLETED\",\"purchase_units\":"
		    "[{\"payments\":{\"captures\":[{\"id\":\"3C679366HH908993F\",\"status\":\"COMPLETED\","
		    "\"amount\":{\"value\":\"12.34\",\"currency_code\":\"USD\"},\"custom_id\":\"JOB42M1\"}]}}]}" },
		TOKEN, { 200, "{\"verification_status\":\"SUCCESS\"}" },
		TOKEN, { 503, "{\"name\":\"SERVICE_UNAVAILABLE\"}" },
	};
	struct hdrs h = { VPP1_TID, VPP1_TIME, "c2ln", "https://api.paypal.com/v1/notifications/certs/C",
	    "SHA256withRSA" };
	struct gw_http in = { "203.0.113.9", "application/json", approved, strlen(approved),
	    get_header, &h };
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, NULL, "t" };
	struct gw_notice nt;
	struct gw_ack ack;
	struct testserver s;
	char err[160];

	(void)state;
	assert_int_equal(ts_start(&s, replies, 10), 0);
	cfg_init(&cfg, s.url);
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(ack.status, 200);
	assert_string_equal(nt.event_id, "WH-3");
	assert_int_equal(nt.status, GW_PAID);
	assert_string_equal(nt.reference, "JOB42M1");
	assert_string_equal(nt.gateway_txn_id, "3C679366HH908993F");
	assert_int_equal(nt.amount_minor, 1234);
	/* The capture call is down: retry the whole delivery later. */
	assert_int_equal(gateway_paypal.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ETEMP);
	assert_int_equal(ack.status, 503);
	check_request(&s, 5, "POST /v2/checkout/orders/5O190127TN364715T/capture ",
	    "PayPal-Request-Id: capture-5O190127TN364715T");
	ts_stop(&s);
	arena_free(a);
}

static void
test_adapter_start_query_refund(void **state)
{
	arena_t *a = arena_new(0);
	const struct ts_reply replies[] = {
		TOKEN, { 201, "{\"id\":\"5O190127TN364715T\",\"status\":\"CREATED\",\"links\":["
		    "{\"href\":\"https://api-m.paypal.com/v2/checkout/orders/5O190127TN364715T\",\"rel\":\"self\",\"method\":\"GET\"},"
		    "{\"href\":\"https://www.paypal.com/checkoutnow?token=5O190127TN364715T\",\"rel\":\"approve\",\"method\":\"GET\"}]}" },
		TOKEN, { 200, "{\"id\":\"5O190127TN364715T\",\"status\":\"APPROVED\",\"purchase_units\":"
		    "[{\"reference_id\":\"JOB42M1\",\"custom_id\":\"JOB42M1\",\"amount\":{\"value\":\"12.34\",\"currency_code\":\"USD\"}}]}" },
		TOKEN, { 201, "{\"id\":\"5O190127TN364715T\",\"status\":\"COMPLETED\",\"purchase_units\":"
		    "[{\"reference_id\":\"JOB42M1\",\"payments\":{\"captures\":[{\"id\":\"3C679366HH908993F\","
		    "\"status\":\"COMPLETED\",\"amount\":{\"value\":\"12.34\",\"currency_code\":\"USD\"},"
		    "\"custom_id\":\"JOB42M1\"}]}}]}" },
		TOKEN, { 201, "{\"id\":\"1JU08902781691411\",\"status\":\"COMPLETED\"}" },
	};
	struct gw_payment p = { "JOB42M1", 1234, "USD", "Logo design", "b@example.test", "",
	    "https://souk.test/return", "https://souk.test/cancel", "https://souk.test/notify/paypal",
	    "idem-start-1" };
	struct gw_refund r = { "JOB42M1", "3C679366HH908993F", 1000, 1234, "USD", "cancelled", "rf-1" };
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, NULL, "t" };
	struct gw_start st;
	struct gw_notice nt;
	struct testserver s;
	char err[160];
	const char *body;
	const char *id;
	json_t *j, *pu;

	(void)state;
	assert_int_equal(ts_start(&s, replies, 8), 0);
	cfg_init(&cfg, s.url);
	assert_int_equal(gateway_paypal.start(&c, &p, &st, err, sizeof(err)), GW_OK);
	assert_int_equal(st.post, 0);
	assert_string_equal(st.url, "https://www.paypal.com/checkoutnow?token=5O190127TN364715T");
	assert_string_equal(st.gateway_txn_id, "5O190127TN364715T");
	assert_int_equal(gateway_paypal.query(&c, "JOB42M1", "5O190127TN364715T", &nt, err, sizeof(err)), GW_OK);
	assert_int_equal(nt.status, GW_PAID);
	assert_int_equal(nt.amount_minor, 1234);
	assert_string_equal(nt.gateway_txn_id, "3C679366HH908993F");
	assert_int_equal(gateway_paypal.refund(&c, &r, &id, err, sizeof(err)), GW_OK);
	assert_string_equal(id, "1JU08902781691411");

	check_request(&s, 1, "POST /v2/checkout/orders ", "PayPal-Request-Id: idem-start-1");
	body = ts_body(&s, 1);
	j = json_loads(body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "intent")), "CAPTURE");
	pu = json_array_get(json_object_get(j, "purchase_units"), 0);
	assert_string_equal(json_string_value(json_object_get(pu, "custom_id")), "JOB42M1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(pu, "amount"), "value")), "12.34");
	json_decref(j);
	check_request(&s, 3, "GET /v2/checkout/orders/5O190127TN364715T ", NULL);
	check_request(&s, 5, "POST /v2/checkout/orders/5O190127TN364715T/capture ",
	    "PayPal-Request-Id: capture-5O190127TN364715T");
	check_request(&s, 7, "POST /v2/payments/captures/3C679366HH908993F/refund ", "PayPal-Request-Id: rf-1");
	body = ts_body(&s, 7);
	assert_non_null(strstr(body, "\"value\":\"10.00\""));
	ts_stop(&s);

	p.currency = "ZAR";
	assert_int_equal(gateway_paypal.start(&c, &p, &st, err, sizeof(err)), GW_EREJECT);
	r.amount_minor = 1235;
	assert_int_equal(gateway_paypal.refund(&c, &r, &id, err, sizeof(err)), GW_EREJECT);
	cfg.paypal_secret = "";
	assert_int_equal(gateway_paypal.query(&c, "JOB42M1", "5O190127TN364715T", &nt, err, sizeof(err)),
	    GW_ECONFIG);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v_pp_1),
		cmocka_unit_test(test_offline_signature),
		cmocka_unit_test(test_verify_request_splices_raw_event),
		cmocka_unit_test(test_parse_event),
		cmocka_unit_test(test_adapter_verify),
		cmocka_unit_test(test_adapter_verify_captures_approved_order),
		cmocka_unit_test(test_adapter_start_query_refund),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
