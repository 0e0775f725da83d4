/*
 * test_alipay.c - Alipay OpenAPI 2.0 (../shared/docs/payment-gateways.md
 * §5): the official notification vector V-AL-1, the §5.2 signing string,
 * the adapter's verify (ack "success"), start (signed redirect), query and
 * refund against a scripted local server, and the refusals: tampered
 * body, wrong key, sign_type kept, other app_id, missing key.
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
#include "core/buf.h"
#include "http/parse.h"
#include "payments/alipay.h"
#include "payments/gateway.h"
#include "gw_testserver.h"
#include "gw_vectors.h"

/* V-AL-1 [OFFICIAL], alipay/alipay-sdk-nodejs-all test/alipay.test.ts. */
static const struct gw_field v_al_1[] = {
	{ "gmt_create", "2019-08-15 15:56:22" },
	{ "charset", "utf-8" },
	{ "seller_email", "z97-yuquerevenue@service.aliyun.com" },
	{ "subject", "语雀空间 500人规模" },
	{ "buyer_id", "2088102534368455" },
	{ "invoice_amount", "0.10" },
	{ "notify_id", "2019081500222155624068450559358070" },
	{ "fund_bill_list", "[{\"amount\":\"0.10\",\"fundChannel\":\"ALIPAYACCOUNT\"}]" },
	{ "notify_type", "trade_status_sync" },
	{ "trade_status", "TRADE_SUCCESS" },
	{ "receipt_amount", "0.10" },
	{ "buyer_pay_amount", "0.10" },
	{ "sign_type", "RSA2" },
	{ "app_id", "2019073166072302" },
	{ "seller_id", "2088531891668739" },
	{ "gmt_payment", "2019-08-15 15:56:24" },
	{ "notify_time", "2019-08-15 15:56:25" },
	{ "version", "1.0" },
	{ "out_trade_no", "20190815155618536-564-57" },
	{ "total_amount", "0.10" },
	{ "trade_no", "2019081522001468450512505578" },
	{ "auth_app_id", "2019073166072302" },
	{ "buyer_logon_id", "xud***@126.com" },
	{ "point_amount", "0.00" },
	{ "sign", "QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ==" },
};
#define NV (sizeof(v_al_1) / sizeof(v_al_1[0]))

static const char v_al_1_pub[] = GW_VEC_AL1_PUB_PEM;

static const char v_al_1_content[] =
    "app_id=2019073166072302&auth_app_id=2019073166072302&buyer_id=2088102534368455&"
    "buyer_logon_id=xud***@126.com&buyer_pay_amount=0.10&charset=utf-8&"
    "fund_bill_list=[{\"amount\":\"0.10\",\"fundChannel\":\"ALIPAYACCOUNT\"}]&"
    "gmt_create=2019-08-15 15:56:22&gmt_payment=2019-08-15 15:56:24&invoice_amount=0.10&"
    "notify_id=2019081500222155624068450559358070&notify_time=2019-08-15 15:56:25&"
    "notify_type=trade_status_sync&out_trade_no=20190815155618536-564-57&point_amount=0.00&"
    "receipt_amount=0.10&seller_email=z97-yuquerevenue@service.aliyun.com&"
    "seller_id=2088531891668739&subject=语雀空间 500人规模&total_amount=0.10&"
    "trade_no=2019081522001468450512505578&trade_status=TRADE_SUCCESS&version=1.0";

/* The fields as a form body, optionally with one value replaced. */
static const char *
form_body(arena_t *a, const struct gw_field *f, size_t n, const char *name, const char *value)
{
	buf_t b;

	buf_init(&b, a);
	for (size_t i = 0; i < n; i++) {
		const char *v = name && strcmp(f[i].name, name) == 0 ? value : f[i].value;

		if (i)
			buf_putc(&b, '&');
		url_encode(&b, f[i].name, strlen(f[i].name));
		buf_putc(&b, '=');
		url_encode(&b, v, strlen(v));
	}
	return buf_cstr(&b);
}

static void
test_v_al_1_official(void **state)
{
	arena_t *a = arena_new(0);
	EVP_PKEY *pub = alipay_key_parse(v_al_1_pub, strlen(v_al_1_pub), 0);
	const char *content = alipay_sign_content(a, v_al_1, NV, 1);
	const char *with_type = alipay_sign_content(a, v_al_1, NV, 0);

	(void)state;
	assert_non_null(pub);
	assert_string_equal(content, v_al_1_content);
	assert_int_equal(alipay_rsa2_verify(pub, content, strlen(content), v_al_1[NV - 1].value), 1);
	assert_int_equal(alipay_verify_fields(a, pub, v_al_1, NV), 1);
	/* The expected negative case: sign_type kept in the string. */
	assert_non_null(strstr(with_type, "&sign_type=RSA2&"));
	assert_int_equal(alipay_rsa2_verify(pub, with_type, strlen(with_type), v_al_1[NV - 1].value), 0);
	EVP_PKEY_free(pub);
	arena_free(a);
}

static void
test_v_al_1_body_and_notice(void **state)
{
	arena_t *a = arena_new(0);
	EVP_PKEY *pub = alipay_key_parse(v_al_1_pub, strlen(v_al_1_pub), 0);
	const char *body = form_body(a, v_al_1, NV, NULL, NULL);
	struct gw_field *f;
	struct gw_notice nt;
	char err[160];
	size_t n;

	(void)state;
	assert_int_equal(alipay_parse_notify(a, body, strlen(body), &f, &n, err, sizeof(err)), 0);
	assert_int_equal(n, NV);
	assert_int_equal(alipay_verify_fields(a, pub, f, n), 1);
	assert_int_equal(alipay_notice_from_fields(f, n, &nt, err, sizeof(err)), 0);
	assert_string_equal(nt.event_id, "2019081500222155624068450559358070");
	assert_string_equal(nt.reference, "20190815155618536-564-57");
	assert_string_equal(nt.gateway_txn_id, "2019081522001468450512505578");
	assert_int_equal(nt.status, GW_PAID);
	assert_string_equal(nt.status_word, "TRADE_SUCCESS");
	assert_int_equal(nt.amount_minor, 10);
	assert_null(nt.currency);

	/* '+' for a space, as browsers and Alipay form-encode it. */
	{
		const char *e = form_body(a, v_al_1, NV, NULL, NULL);
		char *plus = arena_printf(a, "%s&x=", e), *w = plus;

		for (const char *r = plus; *r; r++, w++) {
			if (strncmp(r, "%20", 3) == 0) {
				*w = '+';
				r += 2;
			} else {
				*w = *r;
			}
		}
		*w = '\0';
		assert_non_null(strchr(plus, '+'));
		body = plus;
	}
	assert_int_equal(alipay_parse_notify(a, body, strlen(body), &f, &n, err, sizeof(err)), 0);
	assert_int_equal(alipay_verify_fields(a, pub, f, n), 1);	/* empty x dropped */

	/* Tampered amount and tampered subject fail. */
	body = form_body(a, v_al_1, NV, "total_amount", "100.10");
	assert_int_equal(alipay_parse_notify(a, body, strlen(body), &f, &n, err, sizeof(err)), 0);
	assert_int_equal(alipay_verify_fields(a, pub, f, n), 0);
	body = form_body(a, v_al_1, NV, "sign_type", "RSA");
	assert_int_equal(alipay_parse_notify(a, body, strlen(body), &f, &n, err, sizeof(err)), 0);
	assert_int_equal(alipay_verify_fields(a, pub, f, n), 0);

	/* A repeated field is refused before any signature work. */
	body = arena_printf(a, "%s&total_amount=0.10", form_body(a, v_al_1, NV, NULL, NULL));
	assert_int_equal(alipay_parse_notify(a, body, strlen(body), &f, &n, err, sizeof(err)), -1);
	body = "a=%zz";
	assert_int_equal(alipay_parse_notify(a, body, strlen(body), &f, &n, err, sizeof(err)), -1);
	EVP_PKEY_free(pub);
	arena_free(a);
}

static void
test_wrong_key_and_bare_spki(void **state)
{
	arena_t *a = arena_new(0);
	EVP_PKEY *other = ts_rsa_key(), *bare;
	char b64[1024];
	size_t j = 0;

	(void)state;
	assert_int_equal(alipay_verify_fields(a, other, v_al_1, NV), 0);
	/* The open platform shows the key as bare base64 SPKI (§5.1). */
	for (const char *p = strchr(v_al_1_pub, '\n') + 1; *p && *p != '-'; p++)
		if (*p != '\n')
			b64[j++] = *p;
	b64[j] = '\0';
	bare = alipay_key_parse(b64, j, 0);
	assert_non_null(bare);
	assert_int_equal(alipay_verify_fields(a, bare, v_al_1, NV), 1);
	assert_null(alipay_key_parse("junk", 4, 0));
	assert_null(alipay_key_parse(v_al_1_pub, strlen(v_al_1_pub), 1));
	EVP_PKEY_free(bare);
	EVP_PKEY_free(other);
	arena_free(a);
}

static void
test_sign_content_rules(void **state)
{
	/* §5.2: sign out, sign_type in, empty values out, ASCII order, raw values. */
	static const struct gw_field f[] = {
		{ "timestamp", "2025-01-15 10:00:00" }, { "sign", "xyz" }, { "app_id", "1" },
		{ "biz_content", "{\"a\":\"b&c\"}" }, { "notify_url", "" }, { "Zed", "9" },
		{ "sign_type", "RSA2" },
	};
	arena_t *a = arena_new(0);
	EVP_PKEY *k = ts_rsa_key();
	const char *s = alipay_sign_content(a, f, 7, 0), *sig;

	(void)state;
	assert_string_equal(s, "Zed=9&app_id=1&biz_content={\"a\":\"b&c\"}&sign_type=RSA2&"
	    "timestamp=2025-01-15 10:00:00");
	sig = alipay_rsa2_sign(a, k, s, strlen(s));
	assert_non_null(sig);
	assert_int_equal(alipay_rsa2_verify(k, s, strlen(s), sig), 1);
	assert_int_equal(alipay_rsa2_verify(k, s, strlen(s) - 1, sig), 0);
	assert_int_equal(alipay_rsa2_verify(k, s, strlen(s), "not base64!"), 0);
	assert_string_equal(alipay_sign_content(a, f, 0, 1), "");
	EVP_PKEY_free(k);
	arena_free(a);
}

static void
test_b64(void **state)
{
	arena_t *a = arena_new(0);
	unsigned char *o;
	size_t n;

	(void)state;
	assert_int_equal(alipay_b64_decode(a, "SGVsbG8=", 8, &o, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(o, "Hello", 5);
	assert_int_equal(alipay_b64_decode(a, "SGVsbA==", 8, &o, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(alipay_b64_decode(a, "", 0, &o, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(alipay_b64_decode(a, "SGVsbG8", 7, &o, &n), -1);
	assert_int_equal(alipay_b64_decode(a, "SGV sbG8", 8, &o, &n), -1);
	assert_int_equal(alipay_b64_decode(a, "SG=sbG8=", 8, &o, &n), -1);
	assert_string_equal(alipay_b64_encode(a, "Hello", 5), "SGVsbG8=");
	arena_free(a);
}

static void
test_response_content(void **state)
{
	const char *b = "{\"x\":\"\\\"alipay_trade_query_response\\\"\",\"alipay_trade_query_response\" : "
	    "{\"code\":\"10000\",\"s\":\"}{\\\"\",\"o\":{\"a\":[1,{}]}},\"sign\":\"abc\"}";
	size_t st, len;

	(void)state;
	assert_int_equal(alipay_response_content(b, strlen(b), "alipay.trade.query", &st, &len), 0);
	assert_int_equal(strncmp(b + st, "{\"code\":\"10000\",\"s\":\"}{\\\"\",\"o\":{\"a\":[1,{}]}}", len), 0);
	assert_int_equal(len, strlen("{\"code\":\"10000\",\"s\":\"}{\\\"\",\"o\":{\"a\":[1,{}]}}"));
	assert_int_equal(alipay_response_content(b, strlen(b), "alipay.trade.refund", &st, &len), -1);
	assert_int_equal(alipay_response_content("{\"alipay_trade_query_response\":\"x\"}", 35,
	    "alipay.trade.query", &st, &len), -1);
	assert_int_equal(alipay_response_content("{\"alipay_trade_query_response\":{", 32,
	    "alipay.trade.query", &st, &len), -1);
}

/* ---- the adapter ---- */

static char pub_path[64], mkey_path[64], apkey_path[64];
static EVP_PKEY *merchant, *alipay_side;
static time_t fixed_now;

static time_t
clock_fixed(void)
{
	return fixed_now;
}

static int
setup(void **state)
{
	FILE *f;
	int fd;

	(void)state;
	strcpy(pub_path, "/tmp/souk-alipub-XXXXXX");
	fd = mkstemp(pub_path);
	f = fdopen(fd, "w");
	fputs(v_al_1_pub, f);
	fclose(f);
	merchant = ts_rsa_key();
	alipay_side = ts_rsa_key();
	ts_pem_file(merchant, 1, mkey_path);
	ts_pem_file(alipay_side, 0, apkey_path);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(pub_path);
	unlink(mkey_path);
	unlink(apkey_path);
	EVP_PKEY_free(merchant);
	EVP_PKEY_free(alipay_side);
	return 0;
}

static void
cfg_init(struct souk_config *cfg, const char *pub)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->alipay_app_id = "2019073166072302";
	cfg->alipay_private_key_file = mkey_path;
	cfg->alipay_public_key_file = (char *)pub;
	cfg->alipay_gateway_url = "https://openapi.alipay.com/gateway.do";
	cfg->gateway_timeout = 5;
}

static void
test_adapter_verify(void **state)
{
	arena_t *a = arena_new(0);
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, clock_fixed, "t" };
	struct gw_http in = { "203.0.113.9", "application/x-www-form-urlencoded", NULL, 0, NULL, NULL };
	struct gw_notice nt;
	struct gw_ack ack;
	char err[160];

	(void)state;
	cfg_init(&cfg, pub_path);
	in.body = form_body(a, v_al_1, NV, NULL, NULL);
	in.body_len = strlen(in.body);
	assert_int_equal(gateway_alipay.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(ack.status, 200);
	assert_string_equal(ack.content_type, "text/plain");
	assert_string_equal(ack.body, "success");
	assert_int_equal(nt.status, GW_PAID);
	assert_int_equal(nt.amount_minor, 10);
	assert_string_equal(nt.event_id, "2019081500222155624068450559358070");

	/* Tampered body: refused, and the answer is not "success". */
	in.body = form_body(a, v_al_1, NV, "out_trade_no", "SOMEONE-ELSES");
	in.body_len = strlen(in.body);
	assert_int_equal(gateway_alipay.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	assert_string_not_equal(ack.body, "success");

	/* Signed correctly but for another app. */
	cfg.alipay_app_id = "2021000000000000";
	in.body = form_body(a, v_al_1, NV, NULL, NULL);
	in.body_len = strlen(in.body);
	assert_int_equal(gateway_alipay.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);

	/* Wrong Alipay key configured, then no key at all. */
	cfg_init(&cfg, apkey_path);
	assert_int_equal(gateway_alipay.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	cfg_init(&cfg, "/nonexistent/alipay.pem");
	assert_int_equal(gateway_alipay.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ECONFIG);
	cfg_init(&cfg, "");
	assert_int_equal(gateway_alipay.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ECONFIG);
	arena_free(a);
}

static void
test_adapter_start(void **state)
{
	arena_t *a = arena_new(0);
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, clock_fixed, "t" };
	struct gw_payment p = { "JOB42M1", 150000, "CNY", "Logo design 标志", "b@example.test", "",
	    "https://souk.test/return", "https://souk.test/cancel", "https://souk.test/notify/alipay",
	    "idem-1" };
	struct gw_start st;
	struct gw_field *f;
	kvlist_t kv;
	char err[160];
	const char *q, *content;
	json_t *biz;
	size_t n;

	(void)state;
	fixed_now = 1736906400;		/* 2025-01-15 02:00:00 UTC = 10:00:00 Beijing */
	cfg_init(&cfg, pub_path);
	assert_int_equal(gateway_alipay.start(&c, &p, &st, err, sizeof(err)), GW_OK);
	assert_int_equal(st.post, 0);
	assert_int_equal(strncmp(st.url, "https://openapi.alipay.com/gateway.do?", 38), 0);
	q = st.url + 38;
	assert_int_equal(http_parse_urlencoded(a, q, strlen(q), NULL, &kv), PARSE_OK);
	assert_string_equal(kv_get(&kv, "method"), "alipay.trade.page.pay");
	assert_string_equal(kv_get(&kv, "sign_type"), "RSA2");
	assert_string_equal(kv_get(&kv, "charset"), "utf-8");
	assert_string_equal(kv_get(&kv, "timestamp"), "2025-01-15 10:00:00");
	assert_string_equal(kv_get(&kv, "notify_url"), "https://souk.test/notify/alipay");
	biz = json_loads(kv_get(&kv, "biz_content"), 0, NULL);
	assert_non_null(biz);
	assert_string_equal(json_string_value(json_object_get(biz, "out_trade_no")), "JOB42M1");
	assert_string_equal(json_string_value(json_object_get(biz, "total_amount")), "1500.00");
	assert_string_equal(json_string_value(json_object_get(biz, "product_code")), "FAST_INSTANT_TRADE_PAY");
	assert_string_equal(json_string_value(json_object_get(biz, "subject")), "Logo design 标志");
	json_decref(biz);
	/* The signature covers every parameter but sign, with the merchant key (§5.2). */
	f = arena_calloc(a, kv.n, sizeof(*f));
	for (n = 0; n < kv.n; n++)
		f[n] = (struct gw_field){ kv.items[n].name, kv.items[n].value };
	content = alipay_sign_content(a, f, n, 0);
	assert_int_equal(alipay_rsa2_verify(merchant, content, strlen(content), kv_get(&kv, "sign")), 1);

	p.currency = "USD";
	assert_int_equal(gateway_alipay.start(&c, &p, &st, err, sizeof(err)), GW_EREJECT);
	p.currency = "CNY";
	cfg.alipay_private_key_file = "";
	assert_int_equal(gateway_alipay.start(&c, &p, &st, err, sizeof(err)), GW_ECONFIG);
	arena_free(a);
}

/* A response signed by "Alipay" over the raw text of the response object. */
static const char *
signed_response(arena_t *a, const char *method_key, const char *obj)
{
	return arena_printf(a, "{\"%s\":%s,\"sign\":\"%s\"}", method_key, obj,
	    alipay_rsa2_sign(a, alipay_side, obj, strlen(obj)));
}

static void
test_adapter_query_refund(void **state)
{
	arena_t *a = arena_new(0);
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, clock_fixed, "t" };
	const char *ok_obj = "{\"code\":\"10000\",\"msg\":\"Success\",\"trade_no\":\"2025011522001\","
	    "\"out_trade_no\":\"JOB42M1\",\"trade_status\":\"TRADE_SUCCESS\",\"total_amount\":\"1500.00\"}";
	const char *ref_obj = "{\"code\":\"10000\",\"msg\":\"Success\",\"trade_no\":\"2025011522001\","
	    "\"out_trade_no\":\"JOB42M1\",\"refund_fee\":\"88.88\",\"fund_change\":\"Y\"}";
	const struct ts_reply replies[] = {
		{ 200, signed_response(a, "alipay_trade_query_response", ok_obj) },
		{ 200, "{\"alipay_trade_query_response\":{\"code\":\"10000\",\"trade_status\":\"TRADE_SUCCESS\","
		    "\"out_trade_no\":\"JOB42M1\",\"total_amount\":\"1.00\"},\"sign\":\"AAAA\"}" },
		{ 503, "busy" },
		{ 200, signed_response(a, "alipay_trade_refund_response", ref_obj) },
		{ 200, signed_response(a, "alipay_trade_refund_response",
		    "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":\"ACQ.TRADE_NOT_EXIST\"}") },
	};
	struct gw_refund r = { "JOB42M1", "2025011522001", 8888, 150000, "CNY", "buyer cancelled", "rf-77" };
	struct gw_notice nt;
	struct testserver s;
	char err[160];
	const char *body;
	const char *id;
	kvlist_t kv;

	(void)state;
	fixed_now = 1736906400;
	assert_int_equal(ts_start(&s, replies, 5), 0);
	cfg_init(&cfg, apkey_path);
	cfg.alipay_gateway_url = s.url;
	assert_int_equal(gateway_alipay.query(&c, "JOB42M1", NULL, &nt, err, sizeof(err)), GW_OK);
	assert_int_equal(nt.status, GW_PAID);
	assert_int_equal(nt.amount_minor, 150000);
	assert_string_equal(nt.gateway_txn_id, "2025011522001");
	/* A forged answer (bad sign) is refused; a 503 is temporary. */
	assert_int_equal(gateway_alipay.query(&c, "JOB42M1", NULL, &nt, err, sizeof(err)), GW_EREJECT);
	assert_int_equal(gateway_alipay.query(&c, "JOB42M1", NULL, &nt, err, sizeof(err)), GW_ETEMP);
	assert_int_equal(gateway_alipay.refund(&c, &r, &id, err, sizeof(err)), GW_OK);
	assert_string_equal(id, "rf-77");
	assert_int_equal(gateway_alipay.refund(&c, &r, &id, err, sizeof(err)), GW_EREJECT);
	assert_non_null(strstr(err, "ACQ.TRADE_NOT_EXIST"));

	/* The refund request: signed form with out_request_no as idempotency key. */
	body = ts_body(&s, 3);
	assert_non_null(body);
	assert_int_equal(http_parse_urlencoded(a, body, strlen(body), NULL, &kv), PARSE_OK);
	assert_string_equal(kv_get(&kv, "method"), "alipay.trade.refund");
	assert_non_null(strstr(kv_get(&kv, "biz_content"), "\"out_request_no\":\"rf-77\""));
	assert_non_null(strstr(kv_get(&kv, "biz_content"), "\"refund_amount\":\"88.88\""));
	{
		struct gw_field *f = arena_calloc(a, kv.n, sizeof(*f));
		const char *content;

		for (size_t i = 0; i < kv.n; i++)
			f[i] = (struct gw_field){ kv.items[i].name, kv.items[i].value };
		content = alipay_sign_content(a, f, kv.n, 0);
		assert_int_equal(alipay_rsa2_verify(merchant, content, strlen(content),
		    kv_get(&kv, "sign")), 1);
	}
	ts_stop(&s);

	r.amount_minor = r.paid_minor + 1;
	assert_int_equal(gateway_alipay.refund(&c, &r, &id, err, sizeof(err)), GW_EREJECT);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v_al_1_official),
		cmocka_unit_test(test_v_al_1_body_and_notice),
		cmocka_unit_test(test_wrong_key_and_bare_spki),
		cmocka_unit_test(test_sign_content_rules),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_response_content),
		cmocka_unit_test(test_adapter_verify),
		cmocka_unit_test(test_adapter_start),
		cmocka_unit_test(test_adapter_query_refund),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
