/*
 * wechat.c - WeChat Pay API v3 (CNY), as in
 * ../shared/docs/payment-gateways.md §6: Native payments (a code_url the
 * checkout page shows as a QR code), signed requests (§6.2), verified and
 * decrypted notifications (§6.3, §6.4, §6.6), order query and domestic
 * refunds.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "core/buf.h"
#include "http/parse.h"
#include "payments/alipay.h"
#include "payments/wechat.h"

/* ================= pure protocol ================= */

const char *
wechat_sign_message(arena_t *a, const char *method, const char *url,
    int64_t ts, const char *nonce, const char *body)
{
	return arena_printf(a, "%s\n%s\n%" PRId64 "\n%s\n%s\n", method, url, ts, nonce,
	    body ? body : "");
}

const char *
wechat_authorization(arena_t *a, EVP_PKEY *key, const char *mchid,
    const char *serial, const char *method, const char *url, int64_t ts,
    const char *nonce, const char *body)
{
	const char *msg = wechat_sign_message(a, method, url, ts, nonce, body);
	const char *sig = alipay_rsa2_sign(a, key, msg, strlen(msg));

	if (!sig)
		return NULL;
	return arena_printf(a, "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\","
	    "timestamp=\"%" PRId64 "\",serial_no=\"%s\",signature=\"%s\"",
	    mchid, nonce, ts, serial, sig);
}

const char *
wechat_canonical_url(arena_t *a, const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	p = strchr(p, '/');
	return arena_strdup(a, p ? p : "/");
}

int
wechat_verify_signature(arena_t *a, EVP_PKEY *key, const char *platform_serial,
    time_t now, const struct wechat_headers *h, const char *body, size_t len,
    char *err, size_t errlen)
{
	long long ts;
	buf_t msg;

	if (!h->timestamp || !h->nonce || !h->signature || !h->serial || !*h->nonce) {
		snprintf(err, errlen, "wechat: Wechatpay-Timestamp, -Nonce, -Signature or -Serial missing");
		return -1;
	}
	if (strncmp(h->signature, "WECHATPAY/SIGNTEST/", 19) == 0) {
		snprintf(err, errlen, "wechat: signature probe (WECHATPAY/SIGNTEST/) refused");
		return -1;
	}
	if (platform_serial && *platform_serial && strcmp(h->serial, platform_serial) != 0) {
		snprintf(err, errlen, "wechat: unknown Wechatpay-Serial");
		return -1;
	}
	if (http_parse_int64(h->timestamp, 0, INT64_MAX / 2, &ts) != 0) {
		snprintf(err, errlen, "wechat: bad Wechatpay-Timestamp");
		return -1;
	}
	if ((long long)now - ts >= WECHAT_WINDOW_S || ts - (long long)now >= WECHAT_WINDOW_S) {
		snprintf(err, errlen, "wechat: Wechatpay-Timestamp outside the %d s window", WECHAT_WINDOW_S);
		return -1;
	}
	buf_init(&msg, a);
	buf_puts(&msg, h->timestamp);
	buf_putc(&msg, '\n');
	buf_puts(&msg, h->nonce);
	buf_putc(&msg, '\n');
	buf_append(&msg, body, len);
	buf_putc(&msg, '\n');
	if (!alipay_rsa2_verify(key, msg.data, msg.len, h->signature)) {
		snprintf(err, errlen, "wechat: notification signature does not verify");
		return -1;
	}
	return 0;
}

int
wechat_gcm_decrypt(const unsigned char *key, size_t keylen,
    const unsigned char *nonce, size_t nonce_len, const unsigned char *aad, size_t aad_len,
    const unsigned char *in, size_t in_len, unsigned char *out)
{
	const EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *c;
	int len = 0, fin = 0, ok = 0, ct_len;

	if (keylen == 32)
		cipher = EVP_aes_256_gcm();
	else if (keylen == 16)
		cipher = EVP_aes_128_gcm();
	else
		return -1;
	if (in_len < 16 || in_len > INT32_MAX || nonce_len == 0 || nonce_len > 64 ||
	    aad_len > INT32_MAX)
		return -1;
	ct_len = (int)(in_len - 16);
	c = EVP_CIPHER_CTX_new();
	if (!c)
		return -1;
	if (EVP_DecryptInit_ex(c, cipher, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) != 1)
		goto out;
	if (aad_len && EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len) != 1)
		goto out;
	if (EVP_DecryptUpdate(c, out, &len, in, ct_len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + ct_len)) != 1)
		goto out;
	ok = EVP_DecryptFinal_ex(c, out + len, &fin) == 1;
out:
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	if (!ok) {
		OPENSSL_cleanse(out, in_len);
		return -1;
	}
	return len + fin;
}

static enum gw_status
trade_state(const char *s)
{
	if (strcmp(s, "SUCCESS") == 0)
		return GW_PAID;
	if (strcmp(s, "NOTPAY") == 0 || strcmp(s, "USERPAYING") == 0)
		return GW_PENDING;
	if (strcmp(s, "PAYERROR") == 0)
		return GW_FAILED;
	if (strcmp(s, "CLOSED") == 0 || strcmp(s, "REVOKED") == 0)
		return GW_CANCELLED;
	return GW_IGNORED;
}

int
wechat_transaction_notice(arena_t *a, const char *json, size_t len,
    struct gw_notice *out, const char **mchid, const char **appid, char *err, size_t errlen)
{
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL), *amt, *tot;
	const char *st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (mchid)
		*mchid = NULL;
	if (appid)
		*appid = NULL;
	if (!o || !json_is_object(o)) {
		snprintf(err, errlen, "wechat: transaction is not a JSON object");
		goto out;
	}
	out->reference = gateway_json_str(a, o, "out_trade_no");
	out->gateway_txn_id = gateway_json_str(a, o, "transaction_id");
	st = gateway_json_str(a, o, "trade_state");
	if (!out->reference || !*out->reference || !st || !*st) {
		snprintf(err, errlen, "wechat: transaction lacks out_trade_no or trade_state");
		goto out;
	}
	out->status = trade_state(st);
	out->status_word = st;
	amt = json_object_get(o, "amount");
	tot = json_object_get(amt, "total");
	if (tot) {
		if (!json_is_integer(tot) || json_integer_value(tot) < 0) {
			snprintf(err, errlen, "wechat: bad amount.total");
			goto out;
		}
		out->amount_minor = (int64_t)json_integer_value(tot);
	}
	out->currency = gateway_json_str(a, amt, "currency");
	if (mchid)
		*mchid = gateway_json_str(a, o, "mchid");
	if (appid)
		*appid = gateway_json_str(a, o, "appid");
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int
wechat_parse_notify(arena_t *a, const char *body, size_t len,
    const unsigned char *key, size_t keylen, struct wechat_event *ev, struct gw_notice *out,
    char *err, size_t errlen)
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *res;
	const char *alg, *ct, *nonce, *aad, *otype;
	unsigned char *in, *pt;
	size_t in_len;
	int n, rc = -1;

	memset(ev, 0, sizeof(*ev));
	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (!o || !json_is_object(o) || memchr(body, '\0', len)) {
		snprintf(err, errlen, "wechat: notification is not a JSON object");
		goto out;
	}
	ev->id = gateway_json_str(a, o, "id");
	ev->event_type = gateway_json_str(a, o, "event_type");
	res = json_object_get(o, "resource");
	alg = json_string_value(json_object_get(res, "algorithm"));
	ct = json_string_value(json_object_get(res, "ciphertext"));
	nonce = json_string_value(json_object_get(res, "nonce"));
	aad = json_string_value(json_object_get(res, "associated_data"));
	otype = json_string_value(json_object_get(res, "original_type"));
	if (!ev->id || !*ev->id || !ev->event_type || !json_is_object(res) || !ct || !nonce) {
		snprintf(err, errlen, "wechat: notification lacks id, event_type or resource");
		goto out;
	}
	if (!alg || strcmp(alg, "AEAD_AES_256_GCM") != 0) {
		snprintf(err, errlen, "wechat: resource algorithm is not AEAD_AES_256_GCM");
		goto out;
	}
	if (alipay_b64_decode(a, ct, strlen(ct), &in, &in_len) != 0) {
		snprintf(err, errlen, "wechat: resource ciphertext is not base64");
		goto out;
	}
	pt = arena_alloc(a, in_len + 1);
	n = wechat_gcm_decrypt(key, keylen, (const unsigned char *)nonce, strlen(nonce),
	    (const unsigned char *)(aad ? aad : ""), aad ? strlen(aad) : 0, in, in_len, pt);
	if (n < 0) {
		snprintf(err, errlen, "wechat: resource does not decrypt (tag mismatch)");
		goto out;
	}
	pt[n] = '\0';
	ev->plaintext = (const char *)pt;
	ev->plaintext_len = (size_t)n;
	if (otype && strcmp(otype, "transaction") == 0) {
		if (wechat_transaction_notice(a, ev->plaintext, ev->plaintext_len, out,
		    &ev->mchid, &ev->appid, err, errlen) != 0)
			goto out;
	} else {
		out->status = GW_IGNORED;
		out->status_word = ev->event_type;
	}
	out->event_id = ev->id;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* ================= the gateway ================= */

/* The fuzz targets build only the pure protocol above (see gateway.c). */
#ifndef GW_PROTOCOL_ONLY

static int
nonempty(const char *s)
{
	return s && *s;
}

static int
config_ok(const struct souk_config *cfg, char *err, size_t errlen)
{
	if (!nonempty(cfg->wechat_mchid) || !nonempty(cfg->wechat_appid) ||
	    !nonempty(cfg->wechat_serial) || !nonempty(cfg->wechat_api_url) ||
	    !nonempty(cfg->wechat_platform_serial) || !cfg->wechat_apiv3_key ||
	    strlen(cfg->wechat_apiv3_key) != 32) {
		snprintf(err, errlen, "wechat: wechat_mchid, _appid, _serial, _api_url, "
		    "_platform_serial or a 32-byte wechat_apiv3_key not configured");
		return 0;
	}
	return 1;
}

/*
 * One signed API call (§6.2) to @path (path and query under
 * wechat_api_url).  GW_OK with the status and body on a 2xx; GW_ETEMP on
 * 5xx/429; GW_EREJECT on other answers with WeChat's code in @err.
 */
static int
wx_call(const struct gw_ctx *c, const char *method, const char *path, const char *body,
    long *status, const char **resp, size_t *rlen, char *err, size_t errlen)
{
	const char *base = c->cfg->wechat_api_url, *url, *auth, *hdr[6];
	unsigned char rnd[16];
	char nonce[33];
	size_t bl = strlen(base);
	EVP_PKEY *key;
	json_t *e;
	int rc;

	if (!config_ok(c->cfg, err, errlen))
		return GW_ECONFIG;
	url = arena_printf(c->arena, "%.*s%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl),
	    base, path);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		snprintf(err, errlen, "wechat: no randomness for the nonce");
		return GW_ETEMP;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(nonce + 2 * i, 3, "%02X", rnd[i]);
	key = alipay_key_load(c->cfg->wechat_private_key_file, 1);
	if (!key) {
		snprintf(err, errlen, "wechat: merchant private key (wechat_private_key_file) missing or not RSA");
		return GW_ECONFIG;
	}
	auth = wechat_authorization(c->arena, key, c->cfg->wechat_mchid, c->cfg->wechat_serial,
	    method, wechat_canonical_url(c->arena, url), (int64_t)gateway_now(c), nonce, body);
	EVP_PKEY_free(key);
	if (!auth) {
		snprintf(err, errlen, "wechat: signing failed");
		return GW_ECONFIG;
	}
	hdr[0] = arena_printf(c->arena, "Authorization: %s", auth);
	hdr[1] = "Accept: application/json";
	hdr[2] = "User-Agent: souk";
	hdr[3] = body ? "Content-Type: application/json" : NULL;
	hdr[4] = NULL;
	rc = gateway_http(c->arena, method, url, hdr, body, body ? strlen(body) : 0,
	    gateway_timeout(c), status, resp, rlen, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (*status >= 200 && *status < 300)
		return GW_OK;
	e = json_loadb(*resp, *rlen, 0, NULL);
	snprintf(err, errlen, "wechat: %s %s: HTTP %ld %.48s", method, path, *status,
	    json_string_value(json_object_get(e, "code")) ?
	    json_string_value(json_object_get(e, "code")) : "");
	json_decref(e);
	return *status >= 500 || *status == 429 ? GW_ETEMP : GW_EREJECT;
}

static int
ref_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 6 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int
wechat_start(const struct gw_ctx *c, const struct gw_payment *p,
    struct gw_start *out, char *err, size_t errlen)
{
	const char *body, *resp, *code_url;
	size_t rlen;
	long status = 0;
	json_t *r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!config_ok(c->cfg, err, errlen))
		return GW_ECONFIG;
	if (strcmp(p->currency, "CNY") != 0 || p->amount_minor <= 0 || p->amount_minor > INT32_MAX) {
		snprintf(err, errlen, "wechat: takes positive CNY amounts only");
		return GW_EREJECT;
	}
	if (!ref_ok(p->reference, 32)) {
		snprintf(err, errlen, "wechat: out_trade_no must be 6-32 of [A-Za-z0-9_-]");
		return GW_EREJECT;
	}
	body = gateway_json_text(c->arena, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:I, s:s}}",
	    "appid", c->cfg->wechat_appid,
	    "mchid", c->cfg->wechat_mchid,
	    "description", p->item_name ? p->item_name : p->reference,
	    "out_trade_no", p->reference,
	    "notify_url", p->notify_url ? p->notify_url : "",
	    "amount", "total", (json_int_t)p->amount_minor, "currency", "CNY"));
	if (!body) {
		snprintf(err, errlen, "wechat: cannot encode the order");
		return GW_EREJECT;
	}
	rc = wx_call(c, "POST", "/v3/pay/transactions/native", body, &status, &resp, &rlen,
	    err, errlen);
	if (rc != GW_OK)
		return rc;
	r = json_loadb(resp, rlen, JSON_REJECT_DUPLICATES, NULL);
	code_url = gateway_json_str(c->arena, r, "code_url");
	json_decref(r);
	if (!code_url || strncmp(code_url, "weixin://", 9) != 0) {
		snprintf(err, errlen, "wechat: answer has no weixin:// code_url");
		return GW_EREJECT;
	}
	out->post = 0;
	out->url = code_url;
	out->gateway_txn_id = NULL;	/* Native payments have no prepay_id */
	return GW_OK;
}

static void
fail_ack(struct gw_ack *ack, int status, const char *msg)
{
	ack->status = status;
	ack->content_type = "application/json";
	ack->body = msg;
}

static int
wechat_verify(const struct gw_ctx *c, const struct gw_http *in,
    struct gw_notice *out, struct gw_ack *ack, char *err, size_t errlen)
{
	struct wechat_headers h;
	struct wechat_event ev;
	EVP_PKEY *key;
	int rc;

	memset(out, 0, sizeof(*out));
	fail_ack(ack, 400, "{\"code\":\"FAIL\",\"message\":\"rejected\"}");
	if (!config_ok(c->cfg, err, errlen)) {
		fail_ack(ack, 500, "{\"code\":\"FAIL\",\"message\":\"not configured\"}");
		return GW_ECONFIG;
	}
	memset(&h, 0, sizeof(h));
	if (in->header) {
		h.timestamp = in->header(in->ud, "Wechatpay-Timestamp");
		h.nonce = in->header(in->ud, "Wechatpay-Nonce");
		h.signature = in->header(in->ud, "Wechatpay-Signature");
		h.serial = in->header(in->ud, "Wechatpay-Serial");
	}
	key = alipay_key_load(c->cfg->wechat_platform_key_file, 0);
	if (!key) {
		snprintf(err, errlen, "wechat: platform key (wechat_platform_key_file) missing or not RSA");
		fail_ack(ack, 500, "{\"code\":\"FAIL\",\"message\":\"not configured\"}");
		return GW_ECONFIG;
	}
	rc = wechat_verify_signature(c->arena, key, c->cfg->wechat_platform_serial, gateway_now(c),
	    &h, in->body, in->body_len, err, errlen);
	EVP_PKEY_free(key);
	if (rc != 0) {
		fail_ack(ack, 401, "{\"code\":\"FAIL\",\"message\":\"signature\"}");
		return GW_EREJECT;
	}
	if (wechat_parse_notify(c->arena, in->body, in->body_len,
	    (const unsigned char *)c->cfg->wechat_apiv3_key, 32, &ev, out, err, errlen) != 0)
		return GW_EREJECT;
	if ((ev.mchid && strcmp(ev.mchid, c->cfg->wechat_mchid) != 0) ||
	    (ev.appid && strcmp(ev.appid, c->cfg->wechat_appid) != 0)) {
		snprintf(err, errlen, "wechat: notification for another mchid or appid");
		return GW_EREJECT;
	}
	ack->status = 200;
	ack->content_type = "application/json";
	ack->body = "{\"code\":\"SUCCESS\",\"message\":\"成功\"}";
	return GW_OK;
}

static int
wechat_query(const struct gw_ctx *c, const char *reference,
    const char *gateway_txn_id, struct gw_notice *out, char *err, size_t errlen)
{
	const char *resp, *mchid = NULL, *path;
	size_t rlen;
	long status = 0;
	buf_t b;
	int rc;

	(void)gateway_txn_id;
	memset(out, 0, sizeof(*out));
	if (!ref_ok(reference, 32)) {
		snprintf(err, errlen, "wechat: bad out_trade_no");
		return GW_EREJECT;
	}
	if (!config_ok(c->cfg, err, errlen))
		return GW_ECONFIG;
	buf_init(&b, c->arena);
	buf_puts(&b, "/v3/pay/transactions/out-trade-no/");
	buf_puts(&b, reference);
	buf_puts(&b, "?mchid=");
	url_encode(&b, c->cfg->wechat_mchid, strlen(c->cfg->wechat_mchid));
	path = buf_cstr(&b);
	rc = wx_call(c, "GET", path, NULL, &status, &resp, &rlen, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (wechat_transaction_notice(c->arena, resp, rlen, out, &mchid, NULL, err, errlen) != 0)
		return GW_EREJECT;
	if (strcmp(out->reference, reference) != 0 || (mchid && strcmp(mchid, c->cfg->wechat_mchid) != 0)) {
		snprintf(err, errlen, "wechat: query answer names another order or merchant");
		return GW_EREJECT;
	}
	out->event_id = arena_printf(c->arena, "%s/%s",
	    out->gateway_txn_id ? out->gateway_txn_id : reference, out->status_word);
	return GW_OK;
}

static int
wechat_refund(const struct gw_ctx *c, const struct gw_refund *r,
    const char **out_id, char *err, size_t errlen)
{
	const char *body, *resp, *id;
	size_t rlen;
	long status = 0;
	json_t *q;
	int rc;

	*out_id = NULL;
	if (r->amount_minor <= 0 || r->amount_minor > r->paid_minor ||
	    !ref_ok(r->idempotency_key, 64) || !ref_ok(r->reference, 32)) {
		snprintf(err, errlen, "wechat: refund needs 0 < amount <= paid and a 6-64 char out_refund_no");
		return GW_EREJECT;
	}
	q = json_pack("{s:s, s:s, s:{s:I, s:I, s:s}}",
	    "out_trade_no", r->reference,
	    "out_refund_no", r->idempotency_key,
	    "amount", "refund", (json_int_t)r->amount_minor, "total", (json_int_t)r->paid_minor,
	    "currency", "CNY");
	if (q && r->reason && *r->reason)
		json_object_set_new(q, "reason", json_string(r->reason));
	body = gateway_json_text(c->arena, q);
	if (!body) {
		snprintf(err, errlen, "wechat: cannot encode the refund");
		return GW_EREJECT;
	}
	rc = wx_call(c, "POST", "/v3/refund/domestic/refunds", body, &status, &resp, &rlen,
	    err, errlen);
	if (rc != GW_OK)
		return rc;
	id = gateway_json_body_str(c->arena, resp, rlen, JSON_REJECT_DUPLICATES, "refund_id");
	if (!id || !*id) {
		snprintf(err, errlen, "wechat: refund answer has no refund_id");
		return GW_EREJECT;
	}
	*out_id = id;
	return GW_OK;
}

const gateway_t gateway_wechat = {
	.name = "wechat",
	.label = "WeChat Pay",
	.currencies = "CNY",
	.start = wechat_start,
	.verify = wechat_verify,
	.query = wechat_query,
	.refund = wechat_refund,
	.payout = NULL,
};

#endif /* !GW_PROTOCOL_ONLY */
