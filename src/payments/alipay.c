/*
 * alipay.c - Alipay (CNY) through OpenAPI 2.0 with RSA2 signatures, as in
 * ../shared/docs/payment-gateways.md §5: alipay.trade.page.pay for the
 * browser redirect (§5.2), the asynchronous notification (§5.3),
 * alipay.trade.query and alipay.trade.refund.  Also the SHA256withRSA and
 * base64 helpers shared with wechat.c and paypal.c (alipay.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "http/parse.h"
#include "payments/alipay.h"

/* ================= SHA256withRSA and base64 ================= */

static int
is_rsa(EVP_PKEY *k)
{
	return k && EVP_PKEY_base_id(k) == EVP_PKEY_RSA;
}

/* Encrypted PEM keys are not supported: never prompt on a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *
alipay_key_parse(const char *text, size_t len, int private_key)
{
	EVP_PKEY *k = NULL;
	BIO *b;

	if (!text || len == 0 || len > 65536)
		return NULL;
	if (!memmem(text, len, "-----BEGIN", 10)) {
		/* Bare base64 SPKI as the Alipay open platform shows it (§5.1). */
		arena_t *a;
		unsigned char *der;
		size_t dlen, i, j = 0;
		char *clean;

		if (private_key)
			return NULL;
		a = arena_new(0);
		clean = arena_alloc(a, len + 1);
		for (i = 0; i < len; i++)
			if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t')
				clean[j++] = text[i];
		clean[j] = '\0';
		if (alipay_b64_decode(a, clean, j, &der, &dlen) == 0) {
			const unsigned char *p = der;
			k = d2i_PUBKEY(NULL, &p, (long)dlen);
		}
		arena_free(a);
		goto out;
	}
	b = BIO_new_mem_buf(text, (int)len);
	if (!b)
		goto out;
	if (private_key) {
		k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	} else {
		k = PEM_read_bio_PUBKEY(b, NULL, no_passphrase, NULL);
		if (!k) {
			X509 *x;

			(void)BIO_reset(b);
			x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
			if (x) {
				k = X509_get_pubkey(x);
				X509_free(x);
			}
		}
	}
	BIO_free(b);
out:
	ERR_clear_error();
	if (k && !is_rsa(k)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

EVP_PKEY *
alipay_key_load(const char *path, int private_key)
{
	char buf[65537];
	size_t n;
	FILE *f;
	EVP_PKEY *k;

	if (!path || !*path)
		return NULL;
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == 0 || n > 65536)
		return NULL;
	k = alipay_key_parse(buf, n, private_key);
	OPENSSL_cleanse(buf, n);
	return k;
}

const char *
alipay_b64_encode(arena_t *a, const void *p, size_t len)
{
	char *out = arena_alloc(a, 4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

static int
b64_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

int
alipay_b64_decode(arena_t *a, const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	size_t pad = 0, i;
	unsigned char *o;
	int n;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0 || len > (size_t)1 << 24)
		return -1;
	if (len && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	for (i = 0; i < len - pad; i++)
		if (!b64_char((unsigned char)s[i]))
			return -1;
	o = arena_alloc(a, len / 4 * 3 + 1);
	n = len ? EVP_DecodeBlock(o, (const unsigned char *)s, (int)len) : 0;
	if (n < 0 || (size_t)n < pad)
		return -1;
	o[n - pad] = '\0';
	*out = o;
	*outlen = (size_t)n - pad;
	return 0;
}

const char *
alipay_rsa2_sign(arena_t *a, EVP_PKEY *key, const char *msg, size_t len)
{
	EVP_MD_CTX *md;
	unsigned char *sig;
	size_t siglen = 0;
	const char *res = NULL;

	if (!is_rsa(key))
		return NULL;
	md = EVP_MD_CTX_new();
	if (!md)
		return NULL;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)msg, len) != 1)
		goto out;
	sig = arena_alloc(a, siglen);
	if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, len) != 1)
		goto out;
	res = alipay_b64_encode(a, sig, siglen);
out:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return res;
}

int
alipay_rsa2_verify(EVP_PKEY *key, const char *msg, size_t len, const char *sig_b64)
{
	arena_t *a;
	unsigned char *sig;
	size_t siglen;
	EVP_MD_CTX *md;
	int ok = 0;

	if (!is_rsa(key) || !sig_b64 || !msg)
		return 0;
	a = arena_new(1024);
	if (alipay_b64_decode(a, sig_b64, strlen(sig_b64), &sig, &siglen) != 0 || siglen == 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md)
		goto out;
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, (const unsigned char *)msg, len) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
out:
	arena_free(a);
	ERR_clear_error();
	return ok;
}

/* ================= Alipay §5 ================= */

static int
field_cmp(const void *x, const void *y)
{
	const struct gw_field *const *a = x, *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

const char *
alipay_sign_content(arena_t *a, const struct gw_field *fields, size_t n, int drop_sign_type)
{
	const struct gw_field **v = arena_calloc(a, n ? n : 1, sizeof(*v));
	size_t i, k = 0;
	buf_t b;

	for (i = 0; i < n; i++) {
		if (!fields[i].name || !fields[i].value || !*fields[i].value)
			continue;
		if (strcmp(fields[i].name, "sign") == 0)
			continue;
		if (drop_sign_type && strcmp(fields[i].name, "sign_type") == 0)
			continue;
		v[k++] = &fields[i];
	}
	qsort(v, k, sizeof(*v), field_cmp);
	buf_init(&b, a);
	for (i = 0; i < k; i++) {
		if (i)
			buf_putc(&b, '&');
		buf_puts(&b, v[i]->name);
		buf_putc(&b, '=');
		buf_puts(&b, v[i]->value);
	}
	return buf_cstr(&b);
}

int
alipay_parse_notify(arena_t *a, const char *body, size_t len,
    struct gw_field **fields, size_t *n, char *err, size_t errlen)
{
	static const struct parse_limits lim = { 64, 64, 16384 };
	kvlist_t kv;
	struct gw_field *f;
	size_t i;
	int rc;

	*fields = NULL;
	*n = 0;
	rc = http_parse_urlencoded(a, body, len, &lim, &kv);
	if (rc != PARSE_OK) {
		snprintf(err, errlen, "alipay: notification body: %s", parse_strerror(rc));
		return -1;
	}
	f = arena_calloc(a, kv.n ? kv.n : 1, sizeof(*f));
	for (i = 0; i < kv.n; i++) {
		if (kv_count(&kv, kv.items[i].name) != 1) {
			snprintf(err, errlen, "alipay: notification repeats a field");
			return -1;
		}
		f[i].name = kv.items[i].name;
		f[i].value = kv.items[i].value;
	}
	*fields = f;
	*n = kv.n;
	return 0;
}

const char *
alipay_field(const struct gw_field *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return fields[i].value;
	return NULL;
}

int
alipay_verify_fields(arena_t *a, EVP_PKEY *key, const struct gw_field *fields, size_t n)
{
	const char *st = alipay_field(fields, n, "sign_type");
	const char *sig = alipay_field(fields, n, "sign");
	const char *content;

	if (!st || strcmp(st, "RSA2") != 0 || !sig || !*sig)
		return 0;
	content = alipay_sign_content(a, fields, n, 1);
	return alipay_rsa2_verify(key, content, strlen(content), sig);
}

static enum gw_status
trade_status(const char *s)
{
	if (strcmp(s, "TRADE_SUCCESS") == 0 || strcmp(s, "TRADE_FINISHED") == 0)
		return GW_PAID;
	if (strcmp(s, "WAIT_BUYER_PAY") == 0)
		return GW_PENDING;
	if (strcmp(s, "TRADE_CLOSED") == 0)
		return GW_CANCELLED;
	return GW_IGNORED;
}

int
alipay_notice_from_fields(const struct gw_field *fields, size_t n,
    struct gw_notice *out, char *err, size_t errlen)
{
	const char *id = alipay_field(fields, n, "notify_id");
	const char *ref = alipay_field(fields, n, "out_trade_no");
	const char *st = alipay_field(fields, n, "trade_status");
	const char *amt = alipay_field(fields, n, "total_amount");

	memset(out, 0, sizeof(*out));
	if (!id || !*id || !ref || !*ref || !st || !*st) {
		snprintf(err, errlen, "alipay: notification lacks notify_id, out_trade_no or trade_status");
		return -1;
	}
	out->event_id = id;
	out->reference = ref;
	out->gateway_txn_id = alipay_field(fields, n, "trade_no");
	out->status = trade_status(st);
	out->status_word = st;
	out->amount_minor = -1;
	out->currency = NULL;	/* Alipay does not state it: the trade's CNY */
	if (amt && gateway_decimal_to_minor(amt, &out->amount_minor) != 0) {
		snprintf(err, errlen, "alipay: bad total_amount");
		return -1;
	}
	return 0;
}

/* Skip a JSON string starting at s[i] == '"'; returns the index after it, or 0. */
static size_t
skip_json_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

int
alipay_response_content(const char *body, size_t body_len, const char *method,
    size_t *start, size_t *len)
{
	char key[96];
	size_t klen, i, depth = 0;
	int n;

	n = snprintf(key, sizeof(key), "\"%s_response\"", method);
	if (n < 0 || (size_t)n >= sizeof(key))
		return -1;
	for (char *p = key; *p; p++)
		if (*p == '.')
			*p = '_';
	klen = (size_t)n;
	/* Walk the top-level object: only a member name may match. */
	i = 0;
	while (i < body_len && body[i] != '{')
		i++;
	for (i++; i < body_len; i++) {
		char ch = body[i];

		if (ch == '"') {
			size_t e = skip_json_string(body, body_len, i);

			if (!e)
				return -1;
			if (depth == 0 && e - i == klen && memcmp(body + i, key, klen) == 0) {
				size_t j = e, s0, d = 0;

				while (j < body_len && (body[j] == ' ' || body[j] == '\n' || body[j] == '\r' || body[j] == '\t'))
					j++;
				if (j >= body_len || body[j] != ':')
					return -1;
				for (j++; j < body_len && (body[j] == ' ' || body[j] == '\n' || body[j] == '\r' || body[j] == '\t'); j++)
					;
				if (j >= body_len || body[j] != '{')
					return -1;
				s0 = j;
				for (; j < body_len; j++) {
					if (body[j] == '"') {
						j = skip_json_string(body, body_len, j);
						if (!j)
							return -1;
						j--;
					} else if (body[j] == '{' || body[j] == '[') {
						d++;
					} else if (body[j] == '}' || body[j] == ']') {
						if (--d == 0) {
							/* A '[' ... '}' mix is malformed JSON
							 * that json_loadb() refuses later. */
							if (body[j] != '}')
								return -1;
							*start = s0;
							*len = j + 1 - s0;
							return 0;
						}
					}
				}
				return -1;
			}
			i = e - 1;
		} else if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return -1;
			depth--;
		}
	}
	return -1;
}

/* ================= the gateway ================= */

/* The fuzz targets build only the pure protocol above (see gateway.c). */
#ifndef GW_PROTOCOL_ONLY

static int
config_ok(const struct souk_config *cfg, char *err, size_t errlen)
{
	if (!cfg->alipay_app_id || !*cfg->alipay_app_id || !cfg->alipay_gateway_url ||
	    !*cfg->alipay_gateway_url) {
		snprintf(err, errlen, "alipay: alipay_app_id or alipay_gateway_url not configured");
		return 0;
	}
	return 1;
}

/* The common request parameters of §5.2, then sign; @extra fields appended before signing. */
static int
build_request(const struct gw_ctx *c, const char *method, const char *biz,
    const struct gw_field *extra, size_t nextra, struct gw_field **out, size_t *nout,
    char *err, size_t errlen)
{
	struct gw_field *f = arena_calloc(c->arena, 9 + nextra, sizeof(*f));
	char ts[32];
	time_t t = gateway_now(c) + 8 * 3600;	/* Alipay timestamps are Beijing time */
	struct tm tm;
	EVP_PKEY *key;
	const char *content, *sig;
	size_t n = 0;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	f[n++] = (struct gw_field){ "app_id", c->cfg->alipay_app_id };
	f[n++] = (struct gw_field){ "method", method };
	f[n++] = (struct gw_field){ "format", "JSON" };
	f[n++] = (struct gw_field){ "charset", "utf-8" };
	f[n++] = (struct gw_field){ "sign_type", "RSA2" };
	f[n++] = (struct gw_field){ "timestamp", arena_strdup(c->arena, ts) };
	f[n++] = (struct gw_field){ "version", "1.0" };
	for (size_t i = 0; i < nextra; i++)
		f[n++] = extra[i];
	f[n++] = (struct gw_field){ "biz_content", biz };
	key = alipay_key_load(c->cfg->alipay_private_key_file, 1);
	if (!key) {
		snprintf(err, errlen, "alipay: merchant private key (alipay_private_key_file) missing or not an RSA key");
		return GW_ECONFIG;
	}
	content = alipay_sign_content(c->arena, f, n, 0);
	sig = alipay_rsa2_sign(c->arena, key, content, strlen(content));
	EVP_PKEY_free(key);
	if (!sig) {
		snprintf(err, errlen, "alipay: signing failed");
		return GW_ECONFIG;
	}
	f[n++] = (struct gw_field){ "sign", sig };
	*out = f;
	*nout = n;
	return GW_OK;
}

static const char *
form_encode(arena_t *a, const struct gw_field *f, size_t n)
{
	buf_t b;

	buf_init(&b, a);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, '&');
		url_encode(&b, f[i].name, strlen(f[i].name));
		buf_putc(&b, '=');
		url_encode(&b, f[i].value, strlen(f[i].value));
	}
	return buf_cstr(&b);
}

static int
alipay_start(const struct gw_ctx *c, const struct gw_payment *p,
    struct gw_start *out, char *err, size_t errlen)
{
	struct gw_field extra[2], *f;
	size_t n;
	const char *biz;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!config_ok(c->cfg, err, errlen))
		return GW_ECONFIG;
	if (strcmp(p->currency, "CNY") != 0 || p->amount_minor <= 0) {
		snprintf(err, errlen, "alipay: takes positive CNY amounts only");
		return GW_EREJECT;
	}
	biz = gateway_json_text(c->arena, json_pack("{s:s, s:s, s:s, s:s}",
	    "out_trade_no", p->reference,
	    "product_code", "FAST_INSTANT_TRADE_PAY",
	    "total_amount", gateway_minor_to_decimal(c->arena, p->amount_minor),
	    "subject", p->item_name ? p->item_name : p->reference));
	if (!biz) {
		snprintf(err, errlen, "alipay: cannot encode biz_content");
		return GW_EREJECT;
	}
	extra[0] = (struct gw_field){ "notify_url", p->notify_url ? p->notify_url : "" };
	extra[1] = (struct gw_field){ "return_url", p->return_url ? p->return_url : "" };
	rc = build_request(c, "alipay.trade.page.pay", biz, extra, 2, &f, &n, err, errlen);
	if (rc != GW_OK)
		return rc;
	out->post = 0;
	out->url = arena_printf(c->arena, "%s%c%s", c->cfg->alipay_gateway_url,
	    strchr(c->cfg->alipay_gateway_url, '?') ? '&' : '?', form_encode(c->arena, f, n));
	out->gateway_txn_id = NULL;
	return GW_OK;
}

static int
alipay_verify(const struct gw_ctx *c, const struct gw_http *in,
    struct gw_notice *out, struct gw_ack *ack, char *err, size_t errlen)
{
	struct gw_field *f;
	size_t n;
	EVP_PKEY *key;
	const char *app;
	int ok;

	memset(out, 0, sizeof(*out));
	ack->status = 400;
	ack->content_type = "text/plain";
	ack->body = "fail";
	if (!config_ok(c->cfg, err, errlen))
		return GW_ECONFIG;
	if (alipay_parse_notify(c->arena, in->body, in->body_len, &f, &n, err, errlen) != 0)
		return GW_EREJECT;
	key = alipay_key_load(c->cfg->alipay_public_key_file, 0);
	if (!key) {
		snprintf(err, errlen, "alipay: Alipay public key (alipay_public_key_file) missing or not an RSA key");
		return GW_ECONFIG;
	}
	ok = alipay_verify_fields(c->arena, key, f, n);
	EVP_PKEY_free(key);
	if (!ok) {
		snprintf(err, errlen, "alipay: notification signature does not verify");
		return GW_EREJECT;
	}
	app = alipay_field(f, n, "app_id");
	if (!app || strcmp(app, c->cfg->alipay_app_id) != 0) {
		snprintf(err, errlen, "alipay: notification for another app_id");
		return GW_EREJECT;
	}
	if (alipay_notice_from_fields(f, n, out, err, errlen) != 0)
		return GW_EREJECT;
	ack->status = 200;
	ack->body = "success";
	return GW_OK;
}

/*
 * One OpenAPI call: POST the signed form, check the response signature,
 * return the "<method>_response" object in *@res (caller json_decref).
 */
static int
alipay_call(const struct gw_ctx *c, const char *method, const char *biz, json_t **res,
    char *err, size_t errlen)
{
	static const char *const hdr[] = {
		"Content-Type: application/x-www-form-urlencoded;charset=utf-8",
		"Accept: application/json", NULL };
	struct gw_field *f;
	size_t n, start, clen, rlen;
	const char *body, *resp, *sign = NULL, *code, *sub;
	long status = 0;
	json_t *root, *obj;
	EVP_PKEY *key;
	int rc, ok;

	*res = NULL;
	if (!config_ok(c->cfg, err, errlen))
		return GW_ECONFIG;
	rc = build_request(c, method, biz, NULL, 0, &f, &n, err, errlen);
	if (rc != GW_OK)
		return rc;
	body = form_encode(c->arena, f, n);
	rc = gateway_http(c->arena, "POST", c->cfg->alipay_gateway_url, hdr, body, strlen(body),
	    gateway_timeout(c), &status, &resp, &rlen, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (status >= 500 || status == 429) {
		snprintf(err, errlen, "alipay: %s answered HTTP %ld", method, status);
		return GW_ETEMP;
	}
	if (status != 200 || alipay_response_content(resp, rlen, method, &start, &clen) != 0) {
		snprintf(err, errlen, "alipay: %s: unexpected answer (HTTP %ld)", method, status);
		return GW_EREJECT;
	}
	root = json_loadb(resp, rlen, JSON_REJECT_DUPLICATES, NULL);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		snprintf(err, errlen, "alipay: %s: answer is not JSON", method);
		return GW_EREJECT;
	}
	sign = json_string_value(json_object_get(root, "sign"));
	if (sign || !c->cfg->gateway_test_mode) {
		/* Alipay signs the raw text of the response object (§5.1 RSA2). */
		key = alipay_key_load(c->cfg->alipay_public_key_file, 0);
		if (!key) {
			json_decref(root);
			snprintf(err, errlen, "alipay: Alipay public key (alipay_public_key_file) missing");
			return GW_ECONFIG;
		}
		ok = sign && alipay_rsa2_verify(key, resp + start, clen, sign);
		EVP_PKEY_free(key);
		if (!ok) {
			json_decref(root);
			snprintf(err, errlen, "alipay: %s: answer signature does not verify", method);
			return GW_EREJECT;
		}
	}
	obj = json_loadb(resp + start, clen, JSON_REJECT_DUPLICATES, NULL);
	json_decref(root);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		snprintf(err, errlen, "alipay: %s: bad response object", method);
		return GW_EREJECT;
	}
	code = json_string_value(json_object_get(obj, "code"));
	if (!code || strcmp(code, "10000") != 0) {
		sub = json_string_value(json_object_get(obj, "sub_code"));
		rc = (code && strcmp(code, "20000") == 0) ||
		    (sub && strcmp(sub, "ACQ.SYSTEM_ERROR") == 0) ? GW_ETEMP : GW_EREJECT;
		snprintf(err, errlen, "alipay: %s: code %.16s %.64s", method, code ? code : "?",
		    sub ? sub : "");
		json_decref(obj);
		return rc;
	}
	*res = obj;
	return GW_OK;
}

static int
alipay_query(const struct gw_ctx *c, const char *reference,
    const char *gateway_txn_id, struct gw_notice *out, char *err, size_t errlen)
{
	json_t *q = json_pack("{s:s}", "out_trade_no", reference), *r;
	const char *biz, *st, *amt;
	int rc;

	memset(out, 0, sizeof(*out));
	if (q && gateway_txn_id && *gateway_txn_id)
		json_object_set_new(q, "trade_no", json_string(gateway_txn_id));
	biz = gateway_json_text(c->arena, q);
	if (!biz) {
		snprintf(err, errlen, "alipay: bad reference");
		return GW_EREJECT;
	}
	rc = alipay_call(c, "alipay.trade.query", biz, &r, err, errlen);
	if (rc != GW_OK)
		return rc;
	out->reference = gateway_json_str(c->arena, r, "out_trade_no");
	out->gateway_txn_id = gateway_json_str(c->arena, r, "trade_no");
	st = gateway_json_str(c->arena, r, "trade_status");
	amt = json_string_value(json_object_get(r, "total_amount"));
	out->amount_minor = -1;
	if (amt && gateway_decimal_to_minor(amt, &out->amount_minor) != 0)
		out->amount_minor = -1;
	json_decref(r);
	if (!st || !out->reference || strcmp(out->reference, reference) != 0) {
		snprintf(err, errlen, "alipay: query answer lacks trade_status or names another trade");
		return GW_EREJECT;
	}
	out->status = trade_status(st);
	out->status_word = st;
	out->event_id = arena_printf(c->arena, "%s/%s", out->gateway_txn_id ? out->gateway_txn_id : reference, st);
	return GW_OK;
}

static int
alipay_refund(const struct gw_ctx *c, const struct gw_refund *r,
    const char **out_id, char *err, size_t errlen)
{
	json_t *q, *res;
	const char *biz;
	int rc;

	*out_id = NULL;
	if (r->amount_minor <= 0 || r->amount_minor > r->paid_minor || !r->idempotency_key ||
	    !*r->idempotency_key) {
		snprintf(err, errlen, "alipay: refund needs 0 < amount <= paid and an idempotency key");
		return GW_EREJECT;
	}
	q = json_pack("{s:s, s:s, s:s}", "out_trade_no", r->reference,
	    "refund_amount", gateway_minor_to_decimal(c->arena, r->amount_minor),
	    "out_request_no", r->idempotency_key);
	if (q && r->gateway_txn_id && *r->gateway_txn_id)
		json_object_set_new(q, "trade_no", json_string(r->gateway_txn_id));
	if (q && r->reason && *r->reason)
		json_object_set_new(q, "refund_reason", json_string(r->reason));
	biz = gateway_json_text(c->arena, q);
	if (!biz) {
		snprintf(err, errlen, "alipay: cannot encode refund");
		return GW_EREJECT;
	}
	rc = alipay_call(c, "alipay.trade.refund", biz, &res, err, errlen);
	if (rc != GW_OK)
		return rc;
	json_decref(res);
	/* Alipay has no refund id: out_request_no names the refund. */
	*out_id = arena_strdup(c->arena, r->idempotency_key);
	return GW_OK;
}

const gateway_t gateway_alipay = {
	.name = "alipay",
	.label = "Alipay",
	.currencies = "CNY",
	.start = alipay_start,
	.verify = alipay_verify,
	.query = alipay_query,
	.refund = alipay_refund,
	.payout = NULL,
};

#endif /* !GW_PROTOCOL_ONLY */
