/*
 * crypto.c - the cryptography of Web Push (see webpush.h): RFC 8291
 * message encryption (aes128gcm, RFC 8188), RFC 8292 VAPID, base64url.
 * OpenSSL 3 EVP throughout; libsodium only for base64.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "webpush/webpush.h"

#define NONCE_LEN	12
#define CEK_LEN		16
#define IKM_LEN		32

struct webpush_vapid {
	EVP_PKEY	*key;
	unsigned char	 pub[WEBPUSH_KEY_LEN];
	char		*pub_b64;
};

/* ==== base64url ==== */

int
webpush_b64url_decode(const char *s, unsigned char *out, size_t outmax, size_t *outlen)
{
	size_t len, n = 0;

	*outlen = 0;
	if (s == NULL)
		return WEBPUSH_EINVAL;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '=')
		len--;
	/* A length of 1 mod 4 can never be base64. */
	if (len % 4 == 1)
		return WEBPUSH_EINVAL;
	if (sodium_base642bin(out, outmax, s, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return WEBPUSH_EINVAL;
	*outlen = n;
	return WEBPUSH_OK;
}

char *
webpush_b64url_encode(const unsigned char *in, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(n);

	if (s == NULL)
		return NULL;
	sodium_bin2base64(s, n, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

/* ==== keys ==== */

/* Copy OpenSSL's last error (or @what) into @err and clear its queue. */
static void
ossl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errlen, "%s: %s", what, buf);
	} else
		snprintf(err, errlen, "%s", what);
	ERR_clear_error();
}

/*
 * A P-256 EVP_PKEY from the raw public point @pub (65 bytes) and, when
 * @priv is not NULL, the private scalar (32 bytes).  OpenSSL decodes the
 * point (EC_POINT_oct2point), which refuses one not on the curve.
 * Returns: a new key (EVP_PKEY_free) or NULL.
 */
static EVP_PKEY *
pkey_from_raw(const unsigned char *pub, const unsigned char *priv)
{
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL;

	if (pub[0] != 0x04 || (bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (priv != NULL && (bn = BN_bin2bn(priv, WEBPUSH_PRIV_LEN, NULL)) == NULL)
		goto out;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, WEBPUSH_KEY_LEN) ||
	    (bn != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn)))
		goto out;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, bn != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
	    params) <= 0) {
		pk = NULL;
		goto out;
	}
	/* Belt and braces: the point is on the curve and not at infinity. */
	if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) <= 0) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
out:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	ERR_clear_error();
	return pk;
}

int
webpush_point_valid(const unsigned char *key, size_t len)
{
	EVP_PKEY *pk;

	if (key == NULL || len != WEBPUSH_KEY_LEN)
		return 0;
	if ((pk = pkey_from_raw(key, NULL)) == NULL)
		return 0;
	EVP_PKEY_free(pk);
	return 1;
}

/* The uncompressed public point of @pk into @pub (65 bytes); 0 on success. */
static int
pkey_public_raw(EVP_PKEY *pk, unsigned char pub[WEBPUSH_KEY_LEN])
{
	size_t n = 0;

	(void)EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    "uncompressed");
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub, WEBPUSH_KEY_LEN,
	    &n) != 1 || n != WEBPUSH_KEY_LEN || pub[0] != 0x04)
		return -1;
	return 0;
}

/* ==== RFC 8291 ==== */

/* HKDF-SHA-256 (RFC 5869): extract with @salt from @ikm, expand with @info to @outlen bytes. */
static int
hkdf(const unsigned char *salt, size_t saltlen, const unsigned char *ikm, size_t ikmlen,
    const unsigned char *info, size_t infolen, unsigned char *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int ok;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	p[4] = OSSL_PARAM_construct_end();
	ok = kctx != NULL && EVP_KDF_derive(kctx, out, outlen, p) == 1;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

/*
 * The encryption of RFC 8291, 3.4 with the application server key @as
 * (its public point @as_pub) and @salt.
 */
static int
encrypt_pk(const unsigned char *ua_public, const unsigned char *auth, const unsigned char *salt,
    EVP_PKEY *as, const unsigned char *as_pub, const unsigned char *plain, size_t len,
    unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	static const char key_label[] = "WebPush: info";	/* + NUL */
	static const char cek_info[] = "Content-Encoding: aes128gcm";	/* + NUL */
	static const char nonce_info[] = "Content-Encoding: nonce";	/* + NUL */
	unsigned char info[sizeof(key_label) + 2 * WEBPUSH_KEY_LEN];
	unsigned char secret[32], ikm[IKM_LEN], cek[CEK_LEN], nonce[NONCE_LEN];
	unsigned char delim = 0x02, *buf = NULL, *p;
	EVP_PKEY *ua = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_CIPHER_CTX *c = NULL;
	size_t slen = sizeof(secret), total;
	int n, rc = WEBPUSH_ECRYPTO;

	*out = NULL;
	*outlen = 0;
	if (len > WEBPUSH_MAX_PLAINTEXT) {
		snprintf(err, errlen, "payload of %zu bytes is over %d", len, WEBPUSH_MAX_PLAINTEXT);
		return WEBPUSH_EINVAL;
	}
	if ((ua = pkey_from_raw(ua_public, NULL)) == NULL) {
		snprintf(err, errlen, "the subscription's p256dh is not a P-256 point");
		return WEBPUSH_EINVAL;
	}
	/* ecdh_secret = ECDH(as_private, ua_public) */
	if ((dctx = EVP_PKEY_CTX_new_from_pkey(NULL, as, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) <= 0 || EVP_PKEY_derive_set_peer(dctx, ua) <= 0 ||
	    EVP_PKEY_derive(dctx, secret, &slen) <= 0 || slen != sizeof(secret)) {
		ossl_err(err, errlen, "ECDH");
		goto out;
	}
	/* IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32) */
	memcpy(info, key_label, sizeof(key_label));
	memcpy(info + sizeof(key_label), ua_public, WEBPUSH_KEY_LEN);
	memcpy(info + sizeof(key_label) + WEBPUSH_KEY_LEN, as_pub, WEBPUSH_KEY_LEN);
	if (hkdf(auth, WEBPUSH_AUTH_LEN, secret, sizeof(secret), info, sizeof(info), ikm,
	    sizeof(ikm)) != 0 ||
	    hkdf(salt, WEBPUSH_SALT_LEN, ikm, sizeof(ikm), (const unsigned char *)cek_info,
	    sizeof(cek_info), cek, sizeof(cek)) != 0 ||
	    hkdf(salt, WEBPUSH_SALT_LEN, ikm, sizeof(ikm), (const unsigned char *)nonce_info,
	    sizeof(nonce_info), nonce, sizeof(nonce)) != 0) {
		ossl_err(err, errlen, "HKDF");
		goto out;
	}
	total = len + WEBPUSH_OVERHEAD;
	if ((buf = malloc(total)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* The RFC 8188 header: salt || rs || idlen || keyid. */
	p = buf;
	memcpy(p, salt, WEBPUSH_SALT_LEN);
	p += WEBPUSH_SALT_LEN;
	*p++ = (unsigned char)(WEBPUSH_RS >> 24);
	*p++ = (unsigned char)(WEBPUSH_RS >> 16);
	*p++ = (unsigned char)(WEBPUSH_RS >> 8);
	*p++ = (unsigned char)WEBPUSH_RS;
	*p++ = WEBPUSH_KEY_LEN;
	memcpy(p, as_pub, WEBPUSH_KEY_LEN);
	p += WEBPUSH_KEY_LEN;
	/* One record: plaintext || 0x02 (last record, no padding), then the tag. */
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, cek, nonce) != 1)
		goto cipher_fail;
	if (len > 0) {
		if (EVP_EncryptUpdate(c, p, &n, plain, (int)len) != 1)
			goto cipher_fail;
		p += n;
	}
	if (EVP_EncryptUpdate(c, p, &n, &delim, 1) != 1)
		goto cipher_fail;
	p += n;
	if (EVP_EncryptFinal_ex(c, p, &n) != 1)
		goto cipher_fail;
	p += n;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, WEBPUSH_TAG_LEN, p) != 1)
		goto cipher_fail;
	p += WEBPUSH_TAG_LEN;
	if ((size_t)(p - buf) != total) {
		snprintf(err, errlen, "AES-GCM: unexpected length");
		goto out;
	}
	*out = buf;
	*outlen = total;
	buf = NULL;
	rc = WEBPUSH_OK;
	goto out;
cipher_fail:
	ossl_err(err, errlen, "AES-128-GCM");
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(ikm, sizeof(ikm));
	OPENSSL_cleanse(cek, sizeof(cek));
	free(buf);
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(ua);
	return rc;
}

int
webpush_encrypt_with(const unsigned char ua_public[WEBPUSH_KEY_LEN],
    const unsigned char auth[WEBPUSH_AUTH_LEN], const unsigned char salt[WEBPUSH_SALT_LEN],
    const unsigned char as_private[WEBPUSH_PRIV_LEN],
    const unsigned char as_public[WEBPUSH_KEY_LEN], const unsigned char *plain, size_t len,
    unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	EVP_PKEY *as;
	int rc;

	*out = NULL;
	*outlen = 0;
	if ((as = pkey_from_raw(as_public, as_private)) == NULL) {
		snprintf(err, errlen, "the application server key pair is not valid");
		return WEBPUSH_EINVAL;
	}
	rc = encrypt_pk(ua_public, auth, salt, as, as_public, plain, len, out, outlen, err,
	    errlen);
	EVP_PKEY_free(as);
	return rc;
}

int
webpush_encrypt(const unsigned char ua_public[WEBPUSH_KEY_LEN],
    const unsigned char auth[WEBPUSH_AUTH_LEN], const unsigned char *plain, size_t len,
    unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	unsigned char salt[WEBPUSH_SALT_LEN], as_pub[WEBPUSH_KEY_LEN];
	EVP_PKEY *as;
	int rc;

	*out = NULL;
	*outlen = 0;
	if ((as = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL) {
		ossl_err(err, errlen, "P-256 key generation");
		return WEBPUSH_ECRYPTO;
	}
	if (pkey_public_raw(as, as_pub) != 0) {
		EVP_PKEY_free(as);
		ossl_err(err, errlen, "P-256 public key");
		return WEBPUSH_ECRYPTO;
	}
	randombytes_buf(salt, sizeof(salt));
	rc = encrypt_pk(ua_public, auth, salt, as, as_pub, plain, len, out, outlen, err, errlen);
	EVP_PKEY_free(as);
	return rc;
}

/* ==== RFC 8292 VAPID ==== */

int
webpush_vapid_load(const char *path, webpush_vapid_t **out, char *err, size_t errlen)
{
	webpush_vapid_t *v;
	EVP_PKEY *pk;
	char group[64];
	FILE *f;

	*out = NULL;
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "vapid_private_key_file is not set");
		return WEBPUSH_ECONFIG;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return WEBPUSH_ECONFIG;
	}
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pk == NULL) {
		ossl_err(err, errlen, "VAPID key: not a PEM private key");
		return WEBPUSH_ECONFIG;
	}
	if (!EVP_PKEY_is_a(pk, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	    NULL) != 1 || strcmp(group, "prime256v1") != 0) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		snprintf(err, errlen, "%s: not an EC P-256 (prime256v1) key", path);
		return WEBPUSH_ECONFIG;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL || pkey_public_raw(pk, v->pub) != 0 ||
	    (v->pub_b64 = webpush_b64url_encode(v->pub, WEBPUSH_KEY_LEN)) == NULL) {
		free(v);
		EVP_PKEY_free(pk);
		ossl_err(err, errlen, "VAPID key: no public key");
		return WEBPUSH_ECONFIG;
	}
	v->key = pk;
	*out = v;
	return WEBPUSH_OK;
}

void
webpush_vapid_free(webpush_vapid_t *v)
{
	if (v == NULL)
		return;
	EVP_PKEY_free(v->key);
	free(v->pub_b64);
	free(v);
}

const char *
webpush_vapid_public(const webpush_vapid_t *v)
{
	return v->pub_b64;
}

char *
webpush_origin(const char *url)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *res = NULL;
	CURLU *u;
	size_t n;

	if (url == NULL || (u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0')
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
		port = NULL;
	n = strlen(scheme) + 3 + strlen(host) + (port != NULL ? 1 + strlen(port) : 0) + 1;
	if ((res = malloc(n)) != NULL) {
		snprintf(res, n, "%s://%s%s%s", scheme, host, port != NULL ? ":" : "",
		    port != NULL ? port : "");
		/* Origins are compared lower case (RFC 6454, 4). */
		for (char *p = res; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return res;
}

/* The NUL-terminated @s as base64url, a heap string (NULL when out of memory). */
static char *
b64_json(const char *s)
{
	return webpush_b64url_encode((const unsigned char *)s, strlen(s));
}

char *
webpush_vapid_jwt(const webpush_vapid_t *v, const char *endpoint, const char *subject,
    time_t now, char *err, size_t errlen)
{
	static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
	char *aud, *claims_s = NULL, *h64 = NULL, *c64 = NULL, *s64 = NULL, *input = NULL;
	char *jwt = NULL;
	unsigned char der[128], raw[64];
	const unsigned char *dp = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig = NULL;
	EVP_MD_CTX *md = NULL;
	size_t derlen = sizeof(der), n;
	json_t *claims;

	if ((aud = webpush_origin(endpoint)) == NULL) {
		snprintf(err, errlen, "the endpoint is not an http(s) URL");
		return NULL;
	}
	claims = json_pack("{s:s, s:I, s:s}", "aud", aud,
	    "exp", (json_int_t)(now + WEBPUSH_JWT_LIFETIME), "sub", subject != NULL ? subject : "");
	if (claims == NULL || (claims_s = json_dumps(claims, JSON_COMPACT)) == NULL ||
	    (h64 = b64_json(header)) == NULL || (c64 = b64_json(claims_s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = strlen(h64) + 1 + strlen(c64) + 1;
	if ((input = malloc(n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(input, n, "%s.%s", h64, c64);
	/* ES256 (RFC 7518, 3.4): ECDSA P-256 over SHA-256, then r || s. */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, v->key) != 1 ||
	    EVP_DigestSign(md, der, &derlen, (const unsigned char *)input, strlen(input)) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &dp, (long)derlen)) == NULL) {
		ossl_err(err, errlen, "ES256 signature");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32 ||
	    (s64 = webpush_b64url_encode(raw, sizeof(raw))) == NULL) {
		snprintf(err, errlen, "ES256 signature: bad size");
		goto out;
	}
	n = strlen(input) + 1 + strlen(s64) + 1;
	if ((jwt = malloc(n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(jwt, n, "%s.%s", input, s64);
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	json_decref(claims);
	free(aud);
	free(claims_s);
	free(h64);
	free(c64);
	free(s64);
	free(input);
	return jwt;
}

char *
webpush_vapid_header(const webpush_vapid_t *v, const char *endpoint, const char *subject,
    time_t now, char *err, size_t errlen)
{
	char *jwt = webpush_vapid_jwt(v, endpoint, subject, now, err, errlen), *h;
	size_t n;

	if (jwt == NULL)
		return NULL;
	n = strlen("vapid t=, k=") + strlen(jwt) + strlen(v->pub_b64) + 1;
	if ((h = malloc(n)) != NULL)
		snprintf(h, n, "vapid t=%s, k=%s", jwt, v->pub_b64);
	else
		snprintf(err, errlen, "out of memory");
	free(jwt);
	return h;
}

/* ==== endpoints ==== */

int
webpush_endpoint_ok(const char *endpoint, int allow_loopback)
{
	char *scheme = NULL, *host = NULL, *user = NULL;
	size_t len;
	CURLU *u;
	int ok = 0;

	if (endpoint == NULL || (len = strlen(endpoint)) == 0 || len > WEBPUSH_ENDPOINT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)endpoint[i] <= 0x20 || (unsigned char)endpoint[i] >= 0x7f)
			return 0;
	if (strncmp(endpoint, "https://", 8) != 0 &&
	    !(allow_loopback && strncmp(endpoint, "http://", 7) == 0))
		return 0;
	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0')
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		goto out;	/* no credentials in an endpoint */
	if (strcmp(scheme, "https") == 0)
		ok = 1;
	else if (strcmp(scheme, "http") == 0 && allow_loopback)
		ok = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}
