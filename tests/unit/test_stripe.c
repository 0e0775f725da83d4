/*
 * test_stripe.c - unit tests for src/payments/stripe.c: the vectors of
 * ../shared/docs/payment-gateways.md §3.5, the negative cases §3.5 asks
 * for (malformed header, other scheme, wrong signature, timestamps
 * outside the tolerance either way, one good and one bad v1, wrong
 * secret), secret rotation, the event parser, and the adapter's API calls
 * against a loopback server (gw_testserver.h) with an injected clock.
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
#include "payments/stripe.h"
#include "gw_testserver.h"

#define NF(x) (sizeof(x) / sizeof((x)[0]))
#define SECRET "whsec_test_secret"
#define T0 1614000000
#define V_ST_1_BODY "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}"
#define V_ST_1_SIG "92aa6d54e0ff430d69e93c79b5abe517df5059b3eb69a5bf7854423572ed0beb"
#define V_ST_2_BODY "{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\"}"
#define V_ST_2_SIG "8eb8456fdc50c73d65423feb3f509a6043354a4f253c375c8ea024a44914b93a"
#define BAD_SIG "0000000000000000000000000000000000000000000000000000000000000000"

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

static int
check(const char *header, const char *body, const char *secrets, time_t now, long tol)
{
	char err[128];

	return stripe_signature_check(header, body, strlen(body), secrets, now, tol, err,
	    sizeof(err));
}

/* V-ST-1 and V-ST-2 [COMPUTED]: the HMAC and the header around it. */
static void
v_st_vectors(void **state)
{
	char sig[STRIPE_SIG_SIZE];

	(void)state;
	stripe_signature_hex(SECRET, "1614000000", V_ST_1_BODY, strlen(V_ST_1_BODY), sig);
	assert_string_equal(sig, V_ST_1_SIG);
	stripe_signature_hex(SECRET, "1614000000", V_ST_2_BODY, strlen(V_ST_2_BODY), sig);
	assert_string_equal(sig, V_ST_2_SIG);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0, 300), GW_OK);
	assert_int_equal(check("t=1614000000,v1=" V_ST_2_SIG, V_ST_2_BODY, SECRET, T0 + 300, 300),
	    GW_OK);
	/* Tolerance <= 0 skips the time check (SDK convention). */
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0 + 999999, 0),
	    GW_OK);
}

static void
signature_negative(void **state)
{
	(void)state;
	/* Malformed headers. */
	assert_int_equal(check(NULL, V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
	assert_int_equal(check("", V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
	assert_int_equal(check("garbage", V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
	assert_int_equal(check("v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
	assert_int_equal(check("t=,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
	assert_int_equal(check("t=16140000x0,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0, 300),
	    GW_EREJECT);
	assert_int_equal(check("t=-1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0, 300),
	    GW_EREJECT);
	assert_int_equal(check("t=1614000000,t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET,
	    T0, 300), GW_EREJECT);
	assert_int_equal(check("t=1614000000", V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
	/* Another scheme only. */
	assert_int_equal(check("t=1614000000,v0=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0, 300),
	    GW_EREJECT);
	/* Wrong signature, upper-case hex, truncated. */
	assert_int_equal(check("t=1614000000,v1=" BAD_SIG, V_ST_1_BODY, SECRET, T0, 300),
	    GW_EREJECT);
	assert_int_equal(check("t=1614000000,v1=92AA6D54E0FF430D69E93C79B5ABE517DF5059B3EB69A5BF"
	    "7854423572ED0BEB", V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
	assert_int_equal(check("t=1614000000,v1=92aa6d54", V_ST_1_BODY, SECRET, T0, 300),
	    GW_EREJECT);
	/* Body or timestamp changed under the same signature. */
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_2_BODY, SECRET, T0, 300),
	    GW_EREJECT);
	assert_int_equal(check("t=1614000001,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0, 300),
	    GW_EREJECT);
	/* Wrong secret; no secret. */
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, "whsec_other", T0, 300),
	    GW_EREJECT);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, "", T0, 300),
	    GW_ECONFIG);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, " , ", T0, 300),
	    GW_ECONFIG);
	/* One valid and one bad v1 (either order), plus a v0: passes. */
	assert_int_equal(check("t=1614000000,v1=" BAD_SIG ",v1=" V_ST_1_SIG ",v0=abc",
	    V_ST_1_BODY, SECRET, T0, 300), GW_OK);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG ",v1=short", V_ST_1_BODY, SECRET,
	    T0, 300), GW_OK);
}

/* A timestamp 15 s outside a 10 s tolerance fails in either direction. */
static void
signature_tolerance(void **state)
{
	(void)state;
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0 + 10, 10),
	    GW_OK);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0 - 10, 10),
	    GW_OK);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0 + 25, 10),
	    GW_EREJECT);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0 - 25, 10),
	    GW_EREJECT);
	/* The default 300 s: 301 s stale fails. */
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0 + 301,
	    STRIPE_TOLERANCE), GW_EREJECT);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY, SECRET, T0 - 301,
	    STRIPE_TOLERANCE), GW_EREJECT);
}

/* Two secrets during rotation: either may sign; the header may carry both. */
static void
signature_rotation(void **state)
{
	char sig2[STRIPE_SIG_SIZE];
	const char *h;

	(void)state;
	stripe_signature_hex("whsec_new_secret", "1614000000", V_ST_1_BODY, strlen(V_ST_1_BODY),
	    sig2);
	assert_int_equal(check("t=1614000000,v1=" V_ST_1_SIG, V_ST_1_BODY,
	    "whsec_new_secret, " SECRET, T0, 300), GW_OK);
	h = "t=1614000000,v1=";
	{
		char hdr[256];

		snprintf(hdr, sizeof(hdr), "%s%s", h, sig2);
		assert_int_equal(check(hdr, V_ST_1_BODY, SECRET ",whsec_new_secret", T0, 300), GW_OK);
		assert_int_equal(check(hdr, V_ST_1_BODY, SECRET, T0, 300), GW_EREJECT);
		snprintf(hdr, sizeof(hdr), "%s%s,v1=%s", h, sig2, V_ST_1_SIG);
		assert_int_equal(check(hdr, V_ST_1_BODY, SECRET, T0, 300), GW_OK);
		assert_int_equal(check(hdr, V_ST_1_BODY, "whsec_new_secret", T0, 300), GW_OK);
		assert_int_equal(check(hdr, V_ST_1_BODY, "whsec_third", T0, 300), GW_EREJECT);
	}
}

#define EVT(type, obj) "{\"id\":\"evt_9\",\"object\":\"event\",\"type\":\"" type "\"," \
	"\"data\":{\"object\":" obj "}}"
#define PI_OBJ "{\"id\":\"pi_123\",\"object\":\"payment_intent\",\"amount\":1999," \
	"\"currency\":\"usd\",\"status\":\"succeeded\",\"metadata\":{\"reference\":\"ORD-123456\"}}"

static void
event_parse(void **state)
{
	static const struct { const char *body; enum gw_status st; } m[] = {
		{ EVT("payment_intent.succeeded", PI_OBJ), GW_PAID },
		{ EVT("payment_intent.payment_failed", PI_OBJ), GW_FAILED },
		{ EVT("payment_intent.canceled", PI_OBJ), GW_CANCELLED },
		{ EVT("payment_intent.created", PI_OBJ), GW_IGNORED },
		{ EVT("charge.refunded", "{\"id\":\"ch_1\",\"amount\":5}"), GW_IGNORED },
	};
	arena_t *a = *state;
	struct gw_notice n;
	char err[128];
	const char *b;

	for (size_t i = 0; i < NF(m); i++) {
		assert_int_equal(stripe_event_parse(a, m[i].body, strlen(m[i].body), &n, err,
		    sizeof(err)), GW_OK);
		assert_int_equal(n.status, m[i].st);
		assert_string_equal(n.event_id, "evt_9");
	}
	b = EVT("payment_intent.succeeded", PI_OBJ);
	assert_int_equal(stripe_event_parse(a, b, strlen(b), &n, err, sizeof(err)), GW_OK);
	assert_string_equal(n.gateway_txn_id, "pi_123");
	assert_string_equal(n.reference, "ORD-123456");
	assert_string_equal(n.currency, "USD");
	assert_string_equal(n.status_word, "payment_intent.succeeded");
	assert_int_equal(n.amount_minor, 1999);
	/* Not ours (no metadata.reference): acknowledged and dropped. */
	b = EVT("payment_intent.succeeded", "{\"id\":\"pi_9\",\"amount\":1,\"currency\":\"usd\"}");
	assert_int_equal(stripe_event_parse(a, b, strlen(b), &n, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_IGNORED);
	/* Malformed ones. */
	static const char *const bad[] = {
		"", "[]", "{\"id\":\"evt_1\"}", "{\"id\":\"evt_1\",\"type\":\"x\"}",
		"{\"id\":\"evt_1\",\"type\":\"x\",\"data\":{\"object\":1}}",
		"{\"id\":\"evt_1\",\"id\":\"evt_2\",\"type\":\"x\",\"data\":{\"object\":{}}}",
		EVT("payment_intent.succeeded", "{\"id\":\"pi_1\",\"amount\":19.99,\"currency\":\"usd\","
		    "\"metadata\":{\"reference\":\"ORD-123456\"}}"),
		EVT("payment_intent.succeeded", "{\"id\":\"pi_1\",\"amount\":-1,\"currency\":\"usd\","
		    "\"metadata\":{\"reference\":\"ORD-123456\"}}"),
		EVT("payment_intent.succeeded", "{\"id\":\"pi_1\",\"amount\":1,\"currency\":\"us\","
		    "\"metadata\":{\"reference\":\"ORD-123456\"}}"),
		"{\"id\":\"evt_1\",\"type\":\"x\",\"data\":{\"object\":{}}",
	};
	for (size_t i = 0; i < NF(bad); i++)
		assert_int_equal(stripe_event_parse(a, bad[i], strlen(bad[i]), &n, err, sizeof(err)),
		    GW_EREJECT);
}

static void
intent_parse(void **state)
{
	arena_t *a = *state;
	struct gw_notice n;
	const char *cs, *j;
	char err[128];

	j = "{\"id\":\"pi_1\",\"amount\":500,\"currency\":\"usd\",\"status\":\"requires_payment_method\","
	    "\"client_secret\":\"pi_1_secret_x\",\"last_payment_error\":null,"
	    "\"metadata\":{\"reference\":\"R-000001\"}}";
	assert_int_equal(stripe_intent_parse(a, j, strlen(j), &n, &cs, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_PENDING);
	assert_string_equal(cs, "pi_1_secret_x");
	assert_string_equal(n.event_id, "pi_1:requires_payment_method");
	assert_string_equal(n.reference, "R-000001");
	j = "{\"id\":\"pi_1\",\"amount\":500,\"status\":\"requires_payment_method\","
	    "\"last_payment_error\":{\"code\":\"card_declined\"}}";
	assert_int_equal(stripe_intent_parse(a, j, strlen(j), &n, NULL, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_FAILED);
	j = "{\"id\":\"pi_1\",\"amount\":500,\"status\":\"succeeded\"}";
	assert_int_equal(stripe_intent_parse(a, j, strlen(j), &n, NULL, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_PAID);
	j = "{\"id\":\"pi_1\",\"amount\":500,\"status\":\"canceled\"}";
	assert_int_equal(stripe_intent_parse(a, j, strlen(j), &n, NULL, err, sizeof(err)), GW_OK);
	assert_int_equal(n.status, GW_CANCELLED);
	j = "{\"id\":\"pi_1\",\"status\":\"canceled\"}";
	assert_int_equal(stripe_intent_parse(a, j, strlen(j), &n, NULL, err, sizeof(err)),
	    GW_EREJECT);
}

static void
form_and_redirect(void **state)
{
	arena_t *a = *state;
	struct gw_field f[] = {
		{ "amount", "1999" }, { "currency", "usd" }, { "skip", NULL },
		{ "metadata[reference]", "ORD 1&2" },
	};

	assert_string_equal(stripe_form(a, f, NF(f)),
	    "amount=1999&currency=usd&metadata%5Breference%5D=ORD%201%262");
	assert_string_equal(stripe_pay_redirect(a, "http://127.0.0.1:4010/stripe/pay", "pi_1",
	    "pi_1_secret_x", "https://m.test/o/1?x=1", "https://m.test/o/1/cancel"),
	    "http://127.0.0.1:4010/stripe/pay?payment_intent=pi_1&client_secret=pi_1_secret_x"
	    "&return_url=https%3A%2F%2Fm.test%2Fo%2F1%3Fx%3D1"
	    "&cancel_url=https%3A%2F%2Fm.test%2Fo%2F1%2Fcancel");
	assert_string_equal(stripe_pay_redirect(a, "https://p.test/pay?a=b", "pi_1", "s", "r", "c"),
	    "https://p.test/pay?a=b&payment_intent=pi_1&client_secret=s&return_url=r&cancel_url=c");
}

/* ---- the adapter ---- */

static time_t fake_now;

static time_t
clock_fn(void)
{
	return fake_now;
}

struct hdrs {
	const char *sig;
};

static const char *
get_header(void *ud, const char *name)
{
	struct hdrs *h = ud;

	return strcmp(name, "Stripe-Signature") == 0 ? h->sig : NULL;
}

static struct souk_config
test_cfg(void)
{
	struct souk_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.stripe_secret_key = "sk_test_123";
	cfg.stripe_webhook_secret = "whsec_old, " SECRET;
	cfg.stripe_api_url = "http://127.0.0.1:9";
	cfg.stripe_pay_url = "http://127.0.0.1:9/stripe/pay";
	cfg.gateway_test_mode = 1;
	cfg.gateway_timeout = 5;
	return cfg;
}

static void
verify_webhook(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg = test_cfg();
	struct gw_ctx c = { .cfg = &cfg, .arena = a, .now = clock_fn };
	const char *body = EVT("payment_intent.succeeded", PI_OBJ);
	char sig[STRIPE_SIG_SIZE];
	struct hdrs h;
	struct gw_http in = {
		.remote_addr = "3.18.12.63", .content_type = "application/json",
		.body = body, .body_len = strlen(body), .header = get_header, .ud = &h,
	};
	struct gw_notice n;
	struct gw_ack ack;
	char err[128];

	stripe_signature_hex(SECRET, "1700000000", body, strlen(body), sig);
	h.sig = arena_printf(a, "t=1700000000,v1=%s", sig);
	fake_now = 1700000000 + 120;
	assert_int_equal(gateway_stripe.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(ack.status, 200);
	assert_string_equal(ack.content_type, "application/json");
	assert_string_equal(ack.body, "{\"received\":true}");
	assert_int_equal(n.status, GW_PAID);
	assert_string_equal(n.event_id, "evt_9");
	assert_string_equal(n.reference, "ORD-123456");
	/* The same delivery replayed 10 minutes later: stale. */
	fake_now = 1700000000 + 600;
	assert_int_equal(gateway_stripe.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(ack.status, 400);
	assert_non_null(strstr(err, "tolerance"));
	/* No header. */
	fake_now = 1700000000;
	h.sig = NULL;
	assert_int_equal(gateway_stripe.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	in.header = NULL;
	assert_int_equal(gateway_stripe.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
	/* Body tampered (amount), signature kept. */
	in.header = get_header;
	h.sig = arena_printf(a, "t=1700000000,v1=%s", sig);
	body = EVT("payment_intent.succeeded", "{\"id\":\"pi_123\",\"object\":\"payment_intent\","
	    "\"amount\":1,\"currency\":\"usd\",\"status\":\"succeeded\",\"metadata\":"
	    "{\"reference\":\"ORD-123456\"}}");
	in.body = body;
	in.body_len = strlen(body);
	assert_int_equal(gateway_stripe.verify(&c, &in, &n, &ack, err, sizeof(err)), GW_EREJECT);
}

static void
api_calls(void **state)
{
	arena_t *a = *state;
	struct souk_config cfg = test_cfg();
	struct gw_ctx c = { .cfg = &cfg, .arena = a };
	const struct ts_reply r[] = {
		{ 200, "{\"id\":\"pi_3N\",\"object\":\"payment_intent\",\"amount\":1999,"
		    "\"currency\":\"usd\",\"status\":\"requires_payment_method\","
		    "\"client_secret\":\"pi_3N_secret_abc\",\"metadata\":{\"reference\":\"ORD-123456\"}}" },
		{ 200, "{\"id\":\"re_1\",\"object\":\"refund\",\"amount\":500}" },
		{ 200, "{\"id\":\"tr_1\",\"object\":\"transfer\"}" },
		{ 200, "{\"id\":\"pi_3N\",\"amount\":1999,\"currency\":\"usd\",\"status\":\"succeeded\","
		    "\"metadata\":{\"reference\":\"ORD-123456\"}}" },
		{ 400, "{\"error\":{\"message\":\"Keys for idempotent requests can only be used with "
		    "the same parameters\",\"type\":\"idempotency_error\"}}" },
		{ 500, "{\"error\":{\"message\":\"oops\"}}" },
	};
	struct gw_payment p = {
		.reference = "ORD-123456", .amount_minor = 1999, .currency = "USD",
		.item_name = "Logo", .buyer_email = "b@example.test", .buyer_name = "",
		.return_url = "https://m.test/orders/7", .cancel_url = "https://m.test/orders/7/cancel",
		.notify_url = "https://m.test/pay/stripe", .idempotency_key = "idem-start-1",
	};
	struct gw_refund rf = {
		.reference = "ORD-123456", .gateway_txn_id = "pi_3N", .amount_minor = 500,
		.paid_minor = 1999, .currency = "USD", .reason = "cancelled",
		.idempotency_key = "idem-refund-1",
	};
	struct gw_payout po = {
		.destination = "acct_1Seller", .amount_minor = 1599, .currency = "USD",
		.source_txn_id = "ch_3N", .idempotency_key = "idem-payout-1",
	};
	struct testserver ts;
	struct gw_start s;
	struct gw_notice n;
	const char *id;
	char err[200];

	assert_int_equal(ts_start(&ts, r, NF(r)), 0);
	cfg.stripe_api_url = arena_printf(a, "http://127.0.0.1:%d", ts.port);

	assert_int_equal(gateway_stripe.start(&c, &p, &s, err, sizeof(err)), GW_OK);
	assert_int_equal(s.post, 0);
	assert_string_equal(s.gateway_txn_id, "pi_3N");
	assert_string_equal(s.url, "http://127.0.0.1:9/stripe/pay?payment_intent=pi_3N"
	    "&client_secret=pi_3N_secret_abc&return_url=https%3A%2F%2Fm.test%2Forders%2F7"
	    "&cancel_url=https%3A%2F%2Fm.test%2Forders%2F7%2Fcancel");
	assert_non_null(strstr(ts_request(&ts, 0), "POST /v1/payment_intents HTTP/1.1\r\n"));
	assert_non_null(strstr(ts_request(&ts, 0), "\r\nAuthorization: Bearer sk_test_123\r\n"));
	assert_non_null(strstr(ts_request(&ts, 0), "\r\nIdempotency-Key: idem-start-1\r\n"));
	assert_string_equal(ts_body(&ts, 0),
	    "amount=1999&currency=usd&metadata%5Breference%5D=ORD-123456");

	assert_int_equal(gateway_stripe.refund(&c, &rf, &id, err, sizeof(err)), GW_OK);
	assert_string_equal(id, "re_1");
	assert_non_null(strstr(ts_request(&ts, 1), "POST /v1/refunds HTTP/1.1\r\n"));
	assert_non_null(strstr(ts_request(&ts, 1), "\r\nIdempotency-Key: idem-refund-1\r\n"));
	assert_string_equal(ts_body(&ts, 1), "payment_intent=pi_3N&amount=500"
	    "&metadata%5Breference%5D=ORD-123456&metadata%5Breason%5D=cancelled");

	assert_int_equal(gateway_stripe.payout(&c, &po, &id, err, sizeof(err)), GW_OK);
	assert_string_equal(id, "tr_1");
	assert_non_null(strstr(ts_request(&ts, 2), "POST /v1/transfers HTTP/1.1\r\n"));
	assert_non_null(strstr(ts_request(&ts, 2), "\r\nIdempotency-Key: idem-payout-1\r\n"));
	assert_string_equal(ts_body(&ts, 2),
	    "amount=1599&currency=usd&destination=acct_1Seller&source_transaction=ch_3N");

	assert_int_equal(gateway_stripe.query(&c, "ORD-123456", "pi_3N", &n, err, sizeof(err)),
	    GW_OK);
	assert_int_equal(n.status, GW_PAID);
	assert_int_equal(n.amount_minor, 1999);
	assert_non_null(strstr(ts_request(&ts, 3), "GET /v1/payment_intents/pi_3N HTTP/1.1\r\n"));
	assert_null(strstr(ts_request(&ts, 3), "Idempotency-Key"));

	/* A reused key with other parameters is refused; a 5xx is temporary. */
	assert_int_equal(gateway_stripe.refund(&c, &rf, &id, err, sizeof(err)), GW_EREJECT);
	assert_non_null(strstr(err, "same parameters"));
	assert_int_equal(gateway_stripe.refund(&c, &rf, &id, err, sizeof(err)), GW_ETEMP);
	ts_stop(&ts);

	/* Refused before any call: no key, too much, bad destination, wrong currency. */
	p.idempotency_key = NULL;
	assert_int_equal(gateway_stripe.start(&c, &p, &s, err, sizeof(err)), GW_EREJECT);
	p.idempotency_key = "k";
	p.currency = "ZAR";
	assert_int_equal(gateway_stripe.start(&c, &p, &s, err, sizeof(err)), GW_EUNSUPPORTED);
	rf.amount_minor = 2000;
	assert_int_equal(gateway_stripe.refund(&c, &rf, &id, err, sizeof(err)), GW_EREJECT);
	po.destination = "seller@example.test";
	assert_int_equal(gateway_stripe.payout(&c, &po, &id, err, sizeof(err)), GW_EREJECT);
	/* Nobody listening: temporary. */
	p.currency = "USD";
	assert_int_equal(gateway_stripe.start(&c, &p, &s, err, sizeof(err)), GW_ETEMP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(v_st_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(signature_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(signature_tolerance, setup, teardown),
		cmocka_unit_test_setup_teardown(signature_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(event_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(intent_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(form_and_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_webhook, setup, teardown),
		cmocka_unit_test_setup_teardown(api_calls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
