/*
 * test_webpush.c - src/webpush/crypto.c: RFC 8291 Appendix A reproduced
 * byte for byte, the VAPID JWT (RFC 8292) verified with OpenSSL against
 * the key in its k= parameter, and bad input refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "webpush/webpush.h"

/* RFC 8291, Appendix A (base64url, as printed there). */
#define A_PLAINTEXT	"V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24"
#define A_AS_PRIVATE	"yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
#define A_AS_PUBLIC	"BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8w" \
			"EqKK6PBru3jl7A8"
#define A_UA_PUBLIC	"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZ" \
			"GH6SRpkNtoIAiw4"
#define A_AUTH		"BTBZMqHH6r4Tts7J_aSIgg"
#define A_SALT		"DGv6ra1nlYgDCS1FRnbzlw"
#define A_MESSAGE	"DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMo" \
			"ZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXz" \
			"tLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"

static size_t
dec(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;

	assert_int_equal(webpush_b64url_decode(s, out, max, &n), WEBPUSH_OK);
	return n;
}

static void
test_rfc8291_appendix_a(void **state)
{
	unsigned char plain[64], as_priv[32], as_pub[65], ua_pub[65], auth[16], salt[16];
	unsigned char want[256], *out = NULL;
	size_t plen, wlen, outlen = 0;
	char err[256];

	(void)state;
	plen = dec(A_PLAINTEXT, plain, sizeof(plain));
	assert_int_equal(plen, 41);
	assert_memory_equal(plain, "When I grow up, I want to be a watermelon", 41);
	assert_int_equal(dec(A_AS_PRIVATE, as_priv, sizeof(as_priv)), 32);
	assert_int_equal(dec(A_AS_PUBLIC, as_pub, sizeof(as_pub)), 65);
	assert_int_equal(dec(A_UA_PUBLIC, ua_pub, sizeof(ua_pub)), 65);
	assert_int_equal(dec(A_AUTH, auth, sizeof(auth)), 16);
	assert_int_equal(dec(A_SALT, salt, sizeof(salt)), 16);
	wlen = dec(A_MESSAGE, want, sizeof(want));
	assert_int_equal(wlen, plen + WEBPUSH_OVERHEAD);

	assert_int_equal(webpush_encrypt_with(ua_pub, auth, salt, as_priv, as_pub, plain, plen,
	    &out, &outlen, err, sizeof(err)), WEBPUSH_OK);
	assert_int_equal(outlen, wlen);
	assert_memory_equal(out, want, wlen);
	/* and its base64url is the RFC's text */
	{
		char *s = webpush_b64url_encode(out, outlen);

		assert_string_equal(s, A_MESSAGE);
		free(s);
	}
	free(out);
}

static void
test_encrypt_random(void **state)
{
	unsigned char ua_pub[65], auth[16], *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	char err[256];

	(void)state;
	dec(A_UA_PUBLIC, ua_pub, sizeof(ua_pub));
	dec(A_AUTH, auth, sizeof(auth));
	assert_int_equal(webpush_encrypt(ua_pub, auth, (const unsigned char *)"{}", 2, &a, &alen,
	    err, sizeof(err)), WEBPUSH_OK);
	assert_int_equal(webpush_encrypt(ua_pub, auth, (const unsigned char *)"{}", 2, &b, &blen,
	    err, sizeof(err)), WEBPUSH_OK);
	assert_int_equal(alen, 2 + WEBPUSH_OVERHEAD);
	assert_int_equal(blen, alen);
	/* rs = 4096, idlen = 65, keyid a P-256 point */
	assert_memory_equal(a + 16, "\x00\x00\x10\x00\x41", 5);
	assert_true(webpush_point_valid(a + 21, 65));
	/* a fresh salt and key each time */
	assert_memory_not_equal(a, b, 16);
	assert_memory_not_equal(a + 21, b + 21, 65);
	free(a);
	free(b);
}

/* A new P-256 (or other curve) key written to a temporary PEM file; the path in @path. */
static void
write_key(const char *curve, char path[64])
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	FILE *f;
	int fd;

	assert_non_null(pk);
	snprintf(path, 64, "/tmp/test_webpush.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	EVP_PKEY_free(pk);
}

/* An EVP_PKEY for the raw uncompressed P-256 point @pub. */
static EVP_PKEY *
public_key(const unsigned char *pub, size_t len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;

	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, len);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* Verify the ES256 signature @sig64 (r || s) of @input with @pk: 1 valid, 0 not. */
static int
es256_verify(EVP_PKEY *pk, const char *input, size_t inlen, const unsigned char *sig64)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int derlen, ok;

	ECDSA_SIG_set0(sig, BN_bin2bn(sig64, 32, NULL), BN_bin2bn(sig64 + 32, 32, NULL));
	derlen = i2d_ECDSA_SIG(sig, &der);
	assert_true(derlen > 0);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
	ok = EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)input, inlen) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return ok;
}

/* Decode the base64url JSON segment [@s, @s + @n) of a JWT. */
static json_t *
segment_json(const char *s, size_t n)
{
	char tmp[1024];
	unsigned char raw[1024];
	size_t len = 0;

	assert_true(n < sizeof(tmp));
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	assert_int_equal(webpush_b64url_decode(tmp, raw, sizeof(raw), &len), WEBPUSH_OK);
	return json_loadb((const char *)raw, len, 0, NULL);
}

static void
test_vapid_jwt(void **state)
{
	const char *endpoint = "https://Push.Example.NET:8443/wpush/v2/abc?x=1";
	char path[64], err[256], *hdr, *t, *k, *dot1, *dot2, *tampered;
	unsigned char pub[80], sig[80];
	size_t publen = 0, siglen = 0;
	webpush_vapid_t *v = NULL;
	json_t *h, *c;
	EVP_PKEY *pk;
	time_t now = 1700000000;

	(void)state;
	write_key("P-256", path);
	assert_int_equal(webpush_vapid_load(path, &v, err, sizeof(err)), WEBPUSH_OK);
	unlink(path);
	hdr = webpush_vapid_header(v, endpoint, "mailto:ops@souk.test", now, err, sizeof(err));
	assert_non_null(hdr);
	assert_int_equal(strncmp(hdr, "vapid t=", 8), 0);
	t = hdr + 8;
	k = strstr(hdr, ", k=");
	assert_non_null(k);
	*k = '\0';
	k += 4;
	assert_string_equal(k, webpush_vapid_public(v));
	assert_int_equal(webpush_b64url_decode(k, pub, sizeof(pub), &publen), WEBPUSH_OK);
	assert_int_equal(publen, 65);
	assert_int_equal(pub[0], 0x04);

	dot1 = strchr(t, '.');
	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	h = segment_json(t, (size_t)(dot1 - t));
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
	c = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "aud")),
	    "https://push.example.net:8443");
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "mailto:ops@souk.test");
	assert_true(json_integer_value(json_object_get(c, "exp")) > now);
	assert_true(json_integer_value(json_object_get(c, "exp")) <= now + 24 * 3600);
	json_decref(h);
	json_decref(c);

	assert_int_equal(webpush_b64url_decode(dot2 + 1, sig, sizeof(sig), &siglen), WEBPUSH_OK);
	assert_int_equal(siglen, 64);
	pk = public_key(pub, publen);
	assert_true(es256_verify(pk, t, (size_t)(dot2 - t), sig));
	/* another input does not verify */
	tampered = strdup(t);
	tampered[dot1 - t + 2] ^= 1;
	assert_false(es256_verify(pk, tampered, (size_t)(dot2 - t), sig));
	free(tampered);
	EVP_PKEY_free(pk);
	free(hdr);
	webpush_vapid_free(v);
}

static void
test_origin(void **state)
{
	char *o;

	(void)state;
	o = webpush_origin("https://fcm.googleapis.com/fcm/send/abc:def");
	assert_string_equal(o, "https://fcm.googleapis.com");
	free(o);
	o = webpush_origin("https://updates.push.services.mozilla.com:443/wpush/v2/x");
	assert_string_equal(o, "https://updates.push.services.mozilla.com");
	free(o);
	o = webpush_origin("http://127.0.0.1:18188/push/7");
	assert_string_equal(o, "http://127.0.0.1:18188");
	free(o);
	assert_null(webpush_origin("ftp://example.com/x"));
	assert_null(webpush_origin("not a url"));
	assert_null(webpush_origin(NULL));
}

static void
test_bad_inputs(void **state)
{
	unsigned char buf[128], ua_pub[65], auth[16], *out = (unsigned char *)"x";
	size_t n = 99, outlen = 99;
	webpush_vapid_t *v = (webpush_vapid_t *)1;
	char err[256], path[64];
	unsigned char big[WEBPUSH_MAX_PLAINTEXT + 1];

	(void)state;
	/* base64url */
	assert_int_equal(webpush_b64url_decode("ab+c", buf, sizeof(buf), &n), WEBPUSH_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(webpush_b64url_decode("ab/c", buf, sizeof(buf), &n), WEBPUSH_EINVAL);
	assert_int_equal(webpush_b64url_decode("abcde", buf, sizeof(buf), &n), WEBPUSH_EINVAL);
	assert_int_equal(webpush_b64url_decode("ab c", buf, sizeof(buf), &n), WEBPUSH_EINVAL);
	assert_int_equal(webpush_b64url_decode(NULL, buf, sizeof(buf), &n), WEBPUSH_EINVAL);
	assert_int_equal(webpush_b64url_decode(A_UA_PUBLIC, buf, 64, &n), WEBPUSH_EINVAL);
	assert_int_equal(webpush_b64url_decode("BTBZMqHH6r4Tts7J_aSIgg==", buf, sizeof(buf), &n),
	    WEBPUSH_OK);
	assert_int_equal(n, 16);

	/* keys: short, wrong prefix, not on the curve */
	dec(A_UA_PUBLIC, ua_pub, sizeof(ua_pub));
	dec(A_AUTH, auth, sizeof(auth));
	assert_true(webpush_point_valid(ua_pub, 65));
	assert_false(webpush_point_valid(ua_pub, 64));
	assert_false(webpush_point_valid(NULL, 65));
	memcpy(buf, ua_pub, 65);
	buf[0] = 0x02;
	assert_false(webpush_point_valid(buf, 65));
	memcpy(buf, ua_pub, 65);
	buf[64] ^= 0x01;	/* y changed: off the curve */
	assert_false(webpush_point_valid(buf, 65));
	assert_int_equal(webpush_encrypt(buf, auth, (const unsigned char *)"x", 1, &out, &outlen,
	    err, sizeof(err)), WEBPUSH_EINVAL);
	assert_null(out);
	assert_int_equal(outlen, 0);
	memset(big, 'a', sizeof(big));
	assert_int_equal(webpush_encrypt(ua_pub, auth, big, sizeof(big), &out, &outlen, err,
	    sizeof(err)), WEBPUSH_EINVAL);
	assert_int_equal(webpush_encrypt(ua_pub, auth, big, sizeof(big) - 1, &out, &outlen, err,
	    sizeof(err)), WEBPUSH_OK);
	assert_int_equal(outlen, 4096);
	free(out);

	/* VAPID key files */
	assert_int_equal(webpush_vapid_load("/nonexistent/vapid.pem", &v, err, sizeof(err)),
	    WEBPUSH_ECONFIG);
	assert_null(v);
	assert_int_equal(webpush_vapid_load("", &v, err, sizeof(err)), WEBPUSH_ECONFIG);
	write_key("P-384", path);
	assert_int_equal(webpush_vapid_load(path, &v, err, sizeof(err)), WEBPUSH_ECONFIG);
	assert_non_null(strstr(err, "P-256"));
	unlink(path);

	/* endpoints */
	assert_true(webpush_endpoint_ok("https://fcm.googleapis.com/fcm/send/abc", 0));
	assert_false(webpush_endpoint_ok("http://fcm.googleapis.com/fcm/send/abc", 0));
	assert_false(webpush_endpoint_ok("http://127.0.0.1:18188/push/1", 0));
	assert_true(webpush_endpoint_ok("http://127.0.0.1:18188/push/1", 1));
	assert_false(webpush_endpoint_ok("http://10.0.0.1/push/1", 1));
	assert_false(webpush_endpoint_ok("https://user:pw@push.example.net/x", 0));
	assert_false(webpush_endpoint_ok("https://push.example.net/a b", 0));
	assert_false(webpush_endpoint_ok("javascript:alert(1)", 1));
	assert_false(webpush_endpoint_ok("", 0));
	assert_false(webpush_endpoint_ok(NULL, 0));
	{
		char longurl[WEBPUSH_ENDPOINT_MAX + 10];

		memset(longurl, 'a', sizeof(longurl) - 1);
		memcpy(longurl, "https://x.example/", 18);
		longurl[sizeof(longurl) - 1] = '\0';
		assert_false(webpush_endpoint_ok(longurl, 0));
	}
}

/* webpush_send refuses, before any byte is sent, hosts that are not public. */
static void
test_send_private_refused(void **state)
{
	static const char *const private[] = {
		"https://127.0.0.1:9/push/x", "https://10.1.2.3:9/push/x", "https://192.168.1.1:9/x",
		"https://172.16.0.1:9/x", "https://169.254.169.254:9/latest", "https://[::1]:9/x",
		"https://[fd00::1]:9/x", "https://[::ffff:127.0.0.1]:9/x", "https://localhost:9/x",
	};
	struct webpush_sub sub;
	webpush_vapid_t *v = NULL;
	char path[64], err[256];
	long status = -1;

	(void)state;
	write_key("P-256", path);
	assert_int_equal(webpush_vapid_load(path, &v, err, sizeof(err)), WEBPUSH_OK);
	unlink(path);
	dec(A_UA_PUBLIC, sub.p256dh, sizeof(sub.p256dh));
	dec(A_AUTH, sub.auth, sizeof(sub.auth));
	for (size_t i = 0; i < sizeof(private) / sizeof(private[0]); i++) {
		sub.endpoint = private[i];
		assert_int_equal(webpush_send(v, "mailto:ops@souk.test", &sub, (const unsigned char *)"{}",
		    2, 60, "normal", 0, &status, err, sizeof(err)), WEBPUSH_EREJECTED);
		assert_int_equal(status, 0);
		assert_non_null(strstr(err, "not a public address"));
	}
	/* plain http is refused without allow_loopback */
	sub.endpoint = "http://127.0.0.1:9/push/x";
	assert_int_equal(webpush_send(v, "mailto:ops@souk.test", &sub, (const unsigned char *)"{}", 2,
	    60, "normal", 0, &status, err, sizeof(err)), WEBPUSH_EINVAL);
	/* with it, the connection is attempted (nothing listens on port 9: retry later) */
	assert_int_equal(webpush_send(v, "mailto:ops@souk.test", &sub, (const unsigned char *)"{}", 2,
	    60, "normal", 1, &status, err, sizeof(err)), WEBPUSH_ERETRY);
	webpush_vapid_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8291_appendix_a),
		cmocka_unit_test(test_encrypt_random),
		cmocka_unit_test(test_vapid_jwt),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_send_private_refused),
	};
	int rc;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
