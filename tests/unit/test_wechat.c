/*
 * test_wechat.c - WeChat Pay API v3 (../shared/docs/payment-gateways.md
 * §6): the official vectors V-WX-1..4 (wechatpay-go) and V-WX-5, the
 * §6.2 request signature, and the adapter's verify, start, query and
 * refund against a scripted local server; refusals: stale timestamp
 * (injected clock), the WECHATPAY/SIGNTEST/ probe, tampered body, wrong
 * key or serial, GCM tag tamper, missing keys.
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
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/arena.h"
#include "payments/alipay.h"
#include "payments/gateway.h"
#include "payments/wechat.h"
#include "gw_testserver.h"
#include "gw_vectors.h"

/* ---- V-WX-1 [OFFICIAL]: wechatpay-go core/notify/notify_test.go ---- */
#define WX1_TS		"1624523846"
#define WX1_NONCE	"EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz"
#define WX1_SERIAL	"D7CE59D1F522D701"
static const char wx1_sig[] =
    "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXFlbYZTOQ"
    "rVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1"
    "VEA1IBLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEd"
    "kNO6B2Cke5e8VTxY406ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q==";
static const char wx1_body[] =
    "{\"id\":\"3119dfba-e649-5eec-ab1e-3412bc4d2e17\",\"create_time\":\"2021-06-24T16:37:26+08:00\","
    "\"resource_type\":\"encrypt-resource\",\"event_type\":\"PAYSCORE.USER_OPEN_SERVICE\","
    "\"summary\":\"签约成功\",\"resource\":{\"original_type\":\"payscore\",\"algorithm\":"
    "\"AEAD_AES_256_GCM\",\"ciphertext\":\"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1Wpiu"
    "HIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebtha"
    "h3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE5"
    "4PXpnQ==\",\"associated_data\":\"payscore\",\"nonce\":\"Kj7QIyUiYx1q\"}}";
static const char wx1_pub[] = GW_VEC_WX1_PUB_PEM;

/* V-WX-2 [OFFICIAL]: the decrypted resource of V-WX-1. */
static const char wx2_plain[] =
    "{\"mchid\":\"1234567890\",\"appid\":\"054aa7d7a2a54ab5898df65bd96f001c\","
    "\"create_time\":\"2020-06-30T12:12:00+08:00\","
    "\"out_contract_code\":\"21640bdbd08e473e828f3206a2741c6e\"}";

/*
 * V-WX-4 [OFFICIAL]: wechatpay-go core/auth/signers/sha256withrsa_signer_test.go.
 * The SDK's published test key (the private half of wx1_pub), labelled
 * "TESTING KEY" there and here; the test swaps the label before parsing.
 */
static const char wx4_testing_key[] =
    "-----BEGIN TESTING KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd\n"
    "fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7\n"
    "6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1\n"
    "FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR\n"
    "0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW\n"
    "3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm\n"
    "LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km\n"
    "OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4\n"
    "C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN\n"
    "0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF\n"
    "+cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y\n"
    "gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam\n"
    "AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi\n"
    "hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2\n"
    "6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ\n"
    "WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT\n"
    "D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/\n"
    "aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2\n"
    "ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V\n"
    "YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV\n"
    "BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC\n"
    "EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h\n"
    "Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq\n"
    "+RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/\n"
    "jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe\n"
    "BDa+8mDLkWu5nHEhOxy2JJZl\n"
    "-----END TESTING KEY-----\n";
static const char wx4_sig[] =
    "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6"
    "pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZ"
    "UguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJb"
    "knXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==";

/* V-WX-5 [COMPUTED]: production-shaped AES-256-GCM. */
#define WX5_KEY		"k3Y9fW2pQ7zL4mN8rT1vX6bC0dE5gH2j"
#define WX5_NONCE	"a1b2c3d4e5f6"
static const char wx5_plain[] =
    "{\"mchid\":\"1900000001\",\"appid\":\"wx0000000000000001\",\"out_trade_no\":\"JOB42M1\","
    "\"transaction_id\":\"4200000000000000000000000001\",\"trade_type\":\"NATIVE\","
    "\"trade_state\":\"SUCCESS\",\"trade_state_desc\":\"OK\",\"bank_type\":\"OTHERS\","
    "\"attach\":\"\",\"success_time\":\"2025-01-15T10:00:00+08:00\","
    "\"payer\":{\"openid\":\"oTEST000000000000000000000001\"},\"amount\":{\"total\":150000,"
    "\"payer_total\":150000,\"currency\":\"CNY\",\"payer_currency\":\"CNY\"}}";
static const char wx5_ct[] =
    "O/o8OnNXf1mCsMrLiQsy8hQpR1+u7+gAwTof1LVDuti9xWc/iYjGx+3yVLTF0OjRca6Gz2AecoXrGVdSQSl/M3dBHEUpw"
    "k+DU67nvAxpTRToHorPzuCkQd54cUSlxfHFts7HpTL2MLv12c8VUjCtEzMM3+X2CIrBzeSag4CrFNXGtUop+/VzexAuDy"
    "/SQzEkB0LoA0z9BSBxmi3jBXILk0N6RivS786dtG49fMUaiu+sRZJ7jkEh4NWROznrxnjYgWyKe+nXF3r+rl0a3ld/kNR"
    "09nzsv5xTZhF2T/e4Cu2E5S2xmSGr0Q6nF9qoe5UEuyO24FPNIAlgy0S6tjKR7eLT9BPOhWnCmmChdBy0rebRKI3+nivi"
    "Y1i3Cwqg44XdBK3yqCKXZHVvlM0Yo83nuTtkvOulWQ+UG9PY2lL+DODaAsxlF762WM390Baxl/SvREnOOe8dR2cP+dYjf"
    "i+Gplpe4dk44nNJ758iFH0cm66Wxc5dd7E3BqiwFwuhn74gkGBlXeTiQQ4ihZa7bCrIx1nfljuYIlPsdggyPCfsjmpRyh"
    "je/PUGTw==";

static EVP_PKEY *
testing_key(void)
{
	char *pem = strdup(wx4_testing_key), *p;
	EVP_PKEY *k;

	while ((p = strstr(pem, "TESTING KEY")) != NULL)
		memcpy(p, "PRIVATE KEY", 11);
	k = alipay_key_parse(pem, strlen(pem), 1);
	free(pem);
	assert_non_null(k);
	return k;
}

static EVP_PKEY *
wx1_key(void)
{
	EVP_PKEY *k = alipay_key_parse(wx1_pub, strlen(wx1_pub), 0);

	assert_non_null(k);
	return k;
}

static void
test_v_wx_1_signature(void **state)
{
	arena_t *a = arena_new(0);
	EVP_PKEY *pub = wx1_key(), *other = ts_rsa_key();
	struct wechat_headers h = { WX1_TS, WX1_NONCE, wx1_sig, WX1_SERIAL };
	size_t n = strlen(wx1_body);
	char err[160], *tampered;
	time_t t0 = 1624523846;

	(void)state;
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0, &h, wx1_body, n,
	    err, sizeof(err)), 0);
	/* The 300 s window, with the clock injected on both sides. */
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0 + 299, &h, wx1_body, n, err, sizeof(err)), 0);
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0 - 299, &h, wx1_body, n, err, sizeof(err)), 0);
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0 + 300, &h, wx1_body, n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "window"));
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0 - 300, &h, wx1_body, n, err, sizeof(err)), -1);
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, time(NULL), &h, wx1_body, n, err, sizeof(err)), -1);
	/* Tampered body, short body, wrong key, unknown serial. */
	tampered = strdup(wx1_body);
	tampered[strlen("{\"id\":\"3")] = '4';
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0, &h, tampered, n, err, sizeof(err)), -1);
	free(tampered);
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0, &h, wx1_body, n - 1, err, sizeof(err)), -1);
	assert_int_equal(wechat_verify_signature(a, other, WX1_SERIAL, t0, &h, wx1_body, n, err, sizeof(err)), -1);
	assert_int_equal(wechat_verify_signature(a, pub, "5157F09EFDC096DE15EBE81A47057A72", t0, &h,
	    wx1_body, n, err, sizeof(err)), -1);
	/* The probe is refused even though the rest would verify. */
	h.signature = "WECHATPAY/SIGNTEST/tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6l";
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0, &h, wx1_body, n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SIGNTEST"));
	/* Missing or malformed headers. */
	h.signature = wx1_sig;
	h.nonce = NULL;
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0, &h, wx1_body, n, err, sizeof(err)), -1);
	h.nonce = WX1_NONCE;
	h.timestamp = "1624523846x";
	assert_int_equal(wechat_verify_signature(a, pub, WX1_SERIAL, t0, &h, wx1_body, n, err, sizeof(err)), -1);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
	arena_free(a);
}

static void
test_v_wx_2_decrypt_notification(void **state)
{
	arena_t *a = arena_new(0);
	struct wechat_event ev;
	struct gw_notice nt;
	char err[160];

	(void)state;
	assert_int_equal(wechat_parse_notify(a, wx1_body, strlen(wx1_body),
	    (const unsigned char *)"testMchAPIv3Key0", 16, &ev, &nt, err, sizeof(err)), 0);
	assert_string_equal(ev.plaintext, wx2_plain);
	assert_int_equal(ev.plaintext_len, strlen(wx2_plain));
	assert_string_equal(ev.id, "3119dfba-e649-5eec-ab1e-3412bc4d2e17");
	assert_string_equal(ev.event_type, "PAYSCORE.USER_OPEN_SERVICE");
	assert_string_equal(nt.event_id, "3119dfba-e649-5eec-ab1e-3412bc4d2e17");
	assert_int_equal(nt.status, GW_IGNORED);	/* not a payment */
	/* The wrong APIv3 key does not authenticate. */
	assert_int_equal(wechat_parse_notify(a, wx1_body, strlen(wx1_body),
	    (const unsigned char *)"testMchAPIv3Key1", 16, &ev, &nt, err, sizeof(err)), -1);
	arena_free(a);
}

static void
test_v_wx_3_gcm(void **state)
{
	arena_t *a = arena_new(0);
	unsigned char *in, out[64];
	size_t n;
	const char *aad = "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8";

	(void)state;
	assert_int_equal(alipay_b64_decode(a, "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC", 36, &in, &n), 0);
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)"testAPIv3Key0000", 16,
	    (const unsigned char *)"wCq51qZv4Yfg", 12, (const unsigned char *)aad, strlen(aad),
	    in, n, out), 11);
	assert_memory_equal(out, "Hello World", 11);
	/* Other AAD, other nonce, bad key length, input shorter than the tag. */
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)"testAPIv3Key0000", 16,
	    (const unsigned char *)"wCq51qZv4Yfg", 12, (const unsigned char *)"x", 1, in, n, out), -1);
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)"testAPIv3Key0000", 16,
	    (const unsigned char *)"wCq51qZv4Yfh", 12, (const unsigned char *)aad, strlen(aad), in, n, out), -1);
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)"testAPIv3Key000", 15,
	    (const unsigned char *)"wCq51qZv4Yfg", 12, (const unsigned char *)aad, strlen(aad), in, n, out), -1);
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)"testAPIv3Key0000", 16,
	    (const unsigned char *)"wCq51qZv4Yfg", 12, NULL, 0, in, 15, out), -1);
	arena_free(a);
}

static void
test_v_wx_4_rsa(void **state)
{
	arena_t *a = arena_new(0);
	EVP_PKEY *pub = wx1_key(), *priv = testing_key();

	(void)state;
	assert_int_equal(alipay_rsa2_verify(pub, "source", 6, wx4_sig), 1);
	assert_int_equal(alipay_rsa2_verify(pub, "sourcE", 6, wx4_sig), 0);
	/* PKCS#1 v1.5 is deterministic: the signer must give these exact bytes. */
	assert_string_equal(alipay_rsa2_sign(a, priv, "source", 6), wx4_sig);
	assert_null(alipay_rsa2_sign(a, pub, "source", 6));	/* a public key cannot sign */
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	arena_free(a);
}

static void
test_v_wx_5_transaction(void **state)
{
	arena_t *a = arena_new(0);
	unsigned char *in, *out;
	size_t n;
	struct gw_notice nt;
	const char *mchid, *appid;
	char err[160];
	int m;

	(void)state;
	assert_int_equal(alipay_b64_decode(a, wx5_ct, strlen(wx5_ct), &in, &n), 0);
	assert_int_equal(n, 424);
	out = arena_alloc(a, n + 1);
	m = wechat_gcm_decrypt((const unsigned char *)WX5_KEY, 32, (const unsigned char *)WX5_NONCE, 12,
	    (const unsigned char *)"transaction", 11, in, n, out);
	assert_int_equal(m, 408);
	assert_memory_equal(out, wx5_plain, 408);
	assert_int_equal(wechat_transaction_notice(a, (const char *)out, (size_t)m, &nt, &mchid, &appid,
	    err, sizeof(err)), 0);
	assert_int_equal(nt.status, GW_PAID);
	assert_string_equal(nt.status_word, "SUCCESS");
	assert_string_equal(nt.reference, "JOB42M1");
	assert_string_equal(nt.gateway_txn_id, "4200000000000000000000000001");
	assert_int_equal(nt.amount_minor, 150000);
	assert_string_equal(nt.currency, "CNY");
	assert_string_equal(mchid, "1900000001");
	assert_string_equal(appid, "wx0000000000000001");

	/* GCM tag tamper, ciphertext tamper, wrong AAD: all fail. */
	in[n - 1] ^= 1;
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)WX5_KEY, 32,
	    (const unsigned char *)WX5_NONCE, 12, (const unsigned char *)"transaction", 11, in, n, out), -1);
	in[n - 1] ^= 1;
	in[100] ^= 0x80;
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)WX5_KEY, 32,
	    (const unsigned char *)WX5_NONCE, 12, (const unsigned char *)"transaction", 11, in, n, out), -1);
	in[100] ^= 0x80;
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)WX5_KEY, 32,
	    (const unsigned char *)WX5_NONCE, 12, (const unsigned char *)"transactioN", 11, in, n, out), -1);
	assert_int_equal(wechat_gcm_decrypt((const unsigned char *)WX5_KEY, 32,
	    (const unsigned char *)WX5_NONCE, 12, (const unsigned char *)"transaction", 11, in, n, out), 408);

	/* Other trade states and malformed transactions. */
	assert_int_equal(wechat_transaction_notice(a, "{\"out_trade_no\":\"A1\",\"trade_state\":\"NOTPAY\"}",
	    44, &nt, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(nt.status, GW_PENDING);
	assert_int_equal(nt.amount_minor, -1);
	assert_int_equal(wechat_transaction_notice(a, "{\"out_trade_no\":\"A1\",\"trade_state\":\"CLOSED\"}",
	    44, &nt, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(nt.status, GW_CANCELLED);
	assert_int_equal(wechat_transaction_notice(a, "{\"out_trade_no\":\"A1\",\"trade_state\":\"SUCCESS\","
	    "\"amount\":{\"total\":\"100\"}}", 65, &nt, NULL, NULL, err, sizeof(err)), -1);
	assert_int_equal(wechat_transaction_notice(a, "{\"trade_state\":\"SUCCESS\"}", 25, &nt, NULL,
	    NULL, err, sizeof(err)), -1);
	arena_free(a);
}

static void
test_request_signature(void **state)
{
	arena_t *a = arena_new(0);
	static const char auth_prefix[] = "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\","
	    "nonce_str=\"N1\",timestamp=\"1554208460\",serial_no=\"F5765756002FDD77\",signature=\"";
	EVP_PKEY *priv = testing_key(), *pub = wx1_key();
	const char *auth, *sig, *msg;

	(void)state;
	/* §6.2: five lines, each ending in '\n' (the body line empty for GET). */
	assert_string_equal(wechat_sign_message(a, "GET", "/v3/certificates", 1554208460,
	    "593BEC0C930BF1AFEB40B4A08C8FB242", NULL),
	    "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n");
	msg = wechat_sign_message(a, "POST", "/v3/pay/transactions/native", 1554208460, "N1", "{\"a\":1}");
	assert_string_equal(msg, "POST\n/v3/pay/transactions/native\n1554208460\nN1\n{\"a\":1}\n");
	auth = wechat_authorization(a, priv, "1900000001", "F5765756002FDD77", "POST",
	    "/v3/pay/transactions/native", 1554208460, "N1", "{\"a\":1}");
	assert_non_null(auth);
	assert_int_equal(strncmp(auth, auth_prefix, strlen(auth_prefix)), 0);
	sig = arena_strndup(a, auth + strlen(auth_prefix), strlen(auth) - strlen(auth_prefix) - 1);
	assert_int_equal(auth[strlen(auth) - 1], '"');
	assert_int_equal(alipay_rsa2_verify(pub, msg, strlen(msg), sig), 1);
	assert_string_equal(wechat_canonical_url(a, "https://api.mch.weixin.qq.com/v3/x?mchid=1"), "/v3/x?mchid=1");
	assert_string_equal(wechat_canonical_url(a, "http://127.0.0.1:9/wechat/v3/x"), "/wechat/v3/x");
	assert_string_equal(wechat_canonical_url(a, "https://h"), "/");
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	arena_free(a);
}

static void
test_platform_certificate_pem(void **state)
{
	/* §6.1: the platform key may come as a certificate; its public key is used. */
	arena_t *a = arena_new(0);
	EVP_PKEY *priv = testing_key(), *fromcert;
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	(void)state;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"sim", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, priv);
	assert_true(X509_sign(x, priv, EVP_sha256()) > 0);
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &pem);
	fromcert = alipay_key_parse(pem, (size_t)n, 0);
	assert_non_null(fromcert);
	assert_int_equal(alipay_rsa2_verify(fromcert, "source", 6, wx4_sig), 1);
	EVP_PKEY_free(fromcert);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(priv);
	arena_free(a);
}

/* ---- the adapter ---- */

static char mkey_path[64], pkey_path[64];
static time_t fixed_now;

static time_t
clock_fixed(void)
{
	return fixed_now;
}

static int
setup(void **state)
{
	EVP_PKEY *k = alipay_key_parse(wx1_pub, strlen(wx1_pub), 0);
	EVP_PKEY *priv;
	char *pem = strdup(wx4_testing_key), *p;

	(void)state;
	while ((p = strstr(pem, "TESTING KEY")) != NULL)
		memcpy(p, "PRIVATE KEY", 11);
	priv = alipay_key_parse(pem, strlen(pem), 1);
	free(pem);
	/* The SDK key pair plays both the merchant and the platform here. */
	ts_pem_file(priv, 1, mkey_path);
	ts_pem_file(k, 0, pkey_path);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(k);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(mkey_path);
	unlink(pkey_path);
	return 0;
}

static void
cfg_init(struct souk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->wechat_mchid = "1900000001";
	cfg->wechat_appid = "wx0000000000000001";
	cfg->wechat_serial = "F5765756002FDD77";
	cfg->wechat_private_key_file = mkey_path;
	cfg->wechat_platform_key_file = pkey_path;
	cfg->wechat_platform_serial = WX1_SERIAL;
	cfg->wechat_apiv3_key = WX5_KEY;
	cfg->wechat_api_url = "https://api.mch.weixin.qq.com";
	cfg->gateway_timeout = 5;
}

struct hdrs {
	const char *ts, *nonce, *sig, *serial;
};

static const char *
get_header(void *ud, const char *name)
{
	struct hdrs *h = ud;

	if (strcmp(name, "Wechatpay-Timestamp") == 0)
		return h->ts;
	if (strcmp(name, "Wechatpay-Nonce") == 0)
		return h->nonce;
	if (strcmp(name, "Wechatpay-Signature") == 0)
		return h->sig;
	if (strcmp(name, "Wechatpay-Serial") == 0)
		return h->serial;
	return NULL;
}

static void
test_adapter_verify(void **state)
{
	arena_t *a = arena_new(0);
	EVP_PKEY *platform = testing_key();
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, clock_fixed, "t" };
	const char *body = arena_printf(a, "{\"id\":\"EV-2025-0001\",\"create_time\":"
	    "\"2025-01-15T10:00:01+08:00\",\"resource_type\":\"encrypt-resource\","
	    "\"event_type\":\"TRANSACTION.SUCCESS\",\"summary\":\"支付成功\",\"resource\":"
	    "{\"original_type\":\"transaction\",\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":"
	    "\"%s\",\"associated_data\":\"transaction\",\"nonce\":\"%s\"}}", wx5_ct, WX5_NONCE);
	const char *msg = arena_printf(a, "1736906401\nnonce-1\n%s\n", body);
	struct hdrs h = { "1736906401", "nonce-1", alipay_rsa2_sign(a, platform, msg, strlen(msg)),
	    WX1_SERIAL };
	struct gw_http in = { "203.0.113.9", "application/json", body, strlen(body), get_header, &h };
	struct gw_notice nt;
	struct gw_ack ack;
	char err[160];

	(void)state;
	cfg_init(&cfg);
	fixed_now = 1736906401 + 10;
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_OK);
	assert_int_equal(ack.status, 200);
	assert_string_equal(ack.body, "{\"code\":\"SUCCESS\",\"message\":\"成功\"}");
	assert_string_equal(nt.event_id, "EV-2025-0001");
	assert_string_equal(nt.reference, "JOB42M1");
	assert_int_equal(nt.status, GW_PAID);
	assert_int_equal(nt.amount_minor, 150000);
	assert_string_equal(nt.currency, "CNY");

	/* Stale (replayed 10 minutes later): refused with a 4xx FAIL answer. */
	fixed_now = 1736906401 + 600;
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	assert_true(ack.status >= 400 && ack.status < 500);
	assert_non_null(strstr(ack.body, "\"FAIL\""));
	fixed_now = 1736906401;

	/* The probe. */
	h.sig = arena_printf(a, "WECHATPAY/SIGNTEST/%s", alipay_rsa2_sign(a, platform, msg, strlen(msg)));
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	h.sig = alipay_rsa2_sign(a, platform, msg, strlen(msg));

	/* Another merchant's notification, correctly signed: refused. */
	cfg.wechat_mchid = "1900000002";
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	cfg_init(&cfg);

	/* A different APIv3 key: the signature holds, the tag does not. */
	cfg.wechat_apiv3_key = "k3Y9fW2pQ7zL4mN8rT1vX6bC0dE5gH2J";
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_EREJECT);
	cfg_init(&cfg);

	/* Missing or wrong configuration. */
	cfg.wechat_platform_key_file = "/nonexistent";
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ECONFIG);
	cfg.wechat_platform_key_file = mkey_path;	/* a private key is not a public key */
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ECONFIG);
	cfg_init(&cfg);
	cfg.wechat_apiv3_key = "short";
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_ECONFIG);
	cfg_init(&cfg);
	assert_int_equal(gateway_wechat.verify(&c, &in, &nt, &ack, err, sizeof(err)), GW_OK);
	EVP_PKEY_free(platform);
	arena_free(a);
}

/* Check the recorded request @i: its Authorization header signs METHOD URL TS NONCE BODY. */
static void
check_auth(arena_t *a, struct testserver *s, int i, const char *method, const char *url)
{
	const char *p = ts_request(s, i), *body = ts_body(s, i);
	char nonce[64], sig[512];
	long long ts;
	EVP_PKEY *pub = wx1_key();
	const char *msg;

	assert_int_equal(strncmp(p, method, strlen(method)), 0);
	assert_int_equal(strncmp(p + strlen(method) + 1, url, strlen(url)), 0);
	p = strstr(p, "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\","
	    "nonce_str=\"%63[^\"]\",timestamp=\"%lld\",serial_no=\"F5765756002FDD77\",signature=\"%511[^\"]\"",
	    nonce, &ts, sig), 3);
	assert_int_equal(ts, (long long)fixed_now);
	msg = wechat_sign_message(a, method, url, ts, nonce, body);
	assert_int_equal(alipay_rsa2_verify(pub, msg, strlen(msg), sig), 1);
	EVP_PKEY_free(pub);
}

static void
test_adapter_calls(void **state)
{
	arena_t *a = arena_new(0);
	struct souk_config cfg;
	struct gw_ctx c = { &cfg, a, clock_fixed, "t" };
	struct gw_payment p = { "JOB42M1", 150000, "CNY", "Logo design", "b@example.test", "",
	    "https://souk.test/return", "https://souk.test/cancel", "https://souk.test/notify/wechat",
	    "idem-1" };
	const struct ts_reply replies[] = {
		{ 200, "{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}" },
		{ 200, wx5_plain },
		{ 404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"no such order\"}" },
		{ 500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"busy\"}" },
		{ 200, "{\"refund_id\":\"50000000382019052709732678859\",\"out_refund_no\":\"rf-0001\","
		    "\"status\":\"PROCESSING\"}" },
	};
	struct gw_refund r = { "JOB42M1", "4200000000000000000000000001", 5000, 150000, "CNY",
	    "cancelled", "rf-0001" };
	struct gw_start st;
	struct gw_notice nt;
	struct testserver s;
	char err[160];
	const char *body;
	const char *id;
	json_t *j;

	(void)state;
	fixed_now = 1736906400;
	assert_int_equal(ts_start(&s, replies, 5), 0);
	cfg_init(&cfg);
	cfg.wechat_api_url = arena_printf(a, "%s/", s.url);
	assert_int_equal(gateway_wechat.start(&c, &p, &st, err, sizeof(err)), GW_OK);
	assert_int_equal(st.post, 0);
	assert_string_equal(st.url, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz");
	assert_int_equal(gateway_wechat.query(&c, "JOB42M1", NULL, &nt, err, sizeof(err)), GW_OK);
	assert_int_equal(nt.status, GW_PAID);
	assert_int_equal(nt.amount_minor, 150000);
	assert_string_equal(nt.gateway_txn_id, "4200000000000000000000000001");
	assert_int_equal(gateway_wechat.query(&c, "JOB42M1", NULL, &nt, err, sizeof(err)), GW_EREJECT);
	assert_non_null(strstr(err, "ORDER_NOT_EXIST"));
	assert_int_equal(gateway_wechat.query(&c, "JOB42M1", NULL, &nt, err, sizeof(err)), GW_ETEMP);
	assert_int_equal(gateway_wechat.refund(&c, &r, &id, err, sizeof(err)), GW_OK);
	assert_string_equal(id, "50000000382019052709732678859");

	check_auth(a, &s, 0, "POST", "/v3/pay/transactions/native");
	body = ts_body(&s, 0);
	j = json_loads(body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "out_trade_no")), "JOB42M1");
	assert_string_equal(json_string_value(json_object_get(j, "appid")), "wx0000000000000001");
	assert_string_equal(json_string_value(json_object_get(j, "notify_url")), "https://souk.test/notify/wechat");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "amount"), "total")), 150000);
	json_decref(j);
	check_auth(a, &s, 1, "GET", "/v3/pay/transactions/out-trade-no/JOB42M1?mchid=1900000001");
	check_auth(a, &s, 4, "POST", "/v3/refund/domestic/refunds");
	body = ts_body(&s, 4);
	j = json_loads(body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "out_refund_no")), "rf-0001");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "amount"), "refund")), 5000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "amount"), "total")), 150000);
	json_decref(j);
	ts_stop(&s);

	/* Refused before any call. */
	p.reference = "JOB42M1-this-reference-is-longer-than-32";
	assert_int_equal(gateway_wechat.start(&c, &p, &st, err, sizeof(err)), GW_EREJECT);
	r.amount_minor = 150001;
	assert_int_equal(gateway_wechat.refund(&c, &r, &id, err, sizeof(err)), GW_EREJECT);
	cfg.wechat_private_key_file = "";
	p.reference = "JOB42M1";
	assert_int_equal(gateway_wechat.start(&c, &p, &st, err, sizeof(err)), GW_ECONFIG);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v_wx_1_signature),
		cmocka_unit_test(test_v_wx_2_decrypt_notification),
		cmocka_unit_test(test_v_wx_3_gcm),
		cmocka_unit_test(test_v_wx_4_rsa),
		cmocka_unit_test(test_v_wx_5_transaction),
		cmocka_unit_test(test_request_signature),
		cmocka_unit_test(test_platform_certificate_pem),
		cmocka_unit_test(test_adapter_verify),
		cmocka_unit_test(test_adapter_calls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
