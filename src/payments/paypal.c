/*
 * paypal.c - PayPal (USD) through the REST API, as in
 * ../shared/docs/payment-gateways.md §4: an OAuth2 client-credentials
 * token, a v2 checkout order (intent CAPTURE) whose approve link the
 * browser follows, webhooks verified by the verify-webhook-signature
 * postback with the raw event spliced in, capture of approved orders (on a
 * verified CHECKOUT.ORDER.APPROVED webhook and on query; PayPal-Request-Id
 * "capture-<order id>" so it never captures twice), and capture refunds
 * with PayPal-Request-Id idempotency.  Payouts: not supported (NULL).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "http/parse.h"
#include "payments/alipay.h"
#include "payments/paypal.h"

/* ================= pure protocol ================= */

uint32_t
paypal_crc32(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < len; i++) {
		c ^= s[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return c ^ 0xFFFFFFFFu;
}

const char *
paypal_signing_string(arena_t *a, const char *transmission_id,
    const char *transmission_time, const char *webhook_id, const char *body, size_t len)
{
	return arena_printf(a, "%s|%s|%s|%lu", transmission_id, transmission_time, webhook_id,
	    (unsigned long)paypal_crc32(body, len));
}

int
paypal_verify_offline(arena_t *a, EVP_PKEY *key, const struct paypal_headers *h,
    const char *webhook_id, const char *body, size_t len)
{
	const char *msg;

	if (!h->transmission_id || !h->transmission_time || !h->transmission_sig || !webhook_id)
		return 0;
	if (h->auth_algo && strcmp(h->auth_algo, "SHA256withRSA") != 0)
		return 0;
	msg = paypal_signing_string(a, h->transmission_id, h->transmission_time, webhook_id,
	    body, len);
	return alipay_rsa2_verify(key, msg, strlen(msg), h->transmission_sig);
}

/* Append @s as a JSON string; 0, or -1 when it is not valid UTF-8. */
static int
put_json_string(buf_t *b, const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	char *t;

	if (!j)
		return -1;
	t = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
	if (!t)
		return -1;
	buf_puts(b, t);
	free(t);
	return 0;
}

const char *
paypal_verify_request(arena_t *a, const struct paypal_headers *h,
    const char *webhook_id, const char *body, size_t len)
{
	json_t *ev;
	buf_t b;
	int bad = 0;

	/* A NUL byte would cut the spliced text short (and is never JSON). */
	if (memchr(body, '\0', len))
		return NULL;
	ev = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!ev || !json_is_object(ev)) {
		json_decref(ev);
		return NULL;
	}
	json_decref(ev);
	buf_init(&b, a);
	buf_puts(&b, "{\"auth_algo\":");
	bad |= put_json_string(&b, h->auth_algo);
	buf_puts(&b, ",\"cert_url\":");
	bad |= put_json_string(&b, h->cert_url);
	buf_puts(&b, ",\"transmission_id\":");
	bad |= put_json_string(&b, h->transmission_id);
	buf_puts(&b, ",\"transmission_sig\":");
	bad |= put_json_string(&b, h->transmission_sig);
	buf_puts(&b, ",\"transmission_time\":");
	bad |= put_json_string(&b, h->transmission_time);
	buf_puts(&b, ",\"webhook_id\":");
	bad |= put_json_string(&b, webhook_id);
	buf_puts(&b, ",\"webhook_event\":");
	buf_append(&b, body, len);
	buf_putc(&b, '}');
	return bad ? NULL : buf_cstr(&b);
}

int
paypal_verify_answer(const char *resp, size_t len)
{
	json_t *j = json_loadb(resp, len, 0, NULL);
	const char *s = json_string_value(json_object_get(j, "verification_status"));
	int ok = s && strcmp(s, "SUCCESS") == 0;

	json_decref(j);
	return ok;
}

/* amount {value, currency_code} -> minor units; 0, or -1 when absent or malformed. */
static int
json_amount(arena_t *a, json_t *amt, int64_t *minor, const char **currency)
{
	const char *v = json_string_value(json_object_get(amt, "value"));

	*minor = -1;
	*currency = gateway_json_str(a, amt, "currency_code");
	if (!v || !*currency || gateway_decimal_to_minor(v, minor) != 0) {
		*minor = -1;
		return -1;
	}
	return 0;
}

int
paypal_parse_event(arena_t *a, const char *body, size_t len, struct gw_notice *out,
    char *err, size_t errlen)
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *res, *pu;
	const char *type;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (!o || !json_is_object(o) || memchr(body, '\0', len)) {
		snprintf(err, errlen, "paypal: event is not a JSON object");
		goto out;
	}
	out->event_id = gateway_json_str(a, o, "id");
	type = gateway_json_str(a, o, "event_type");
	res = json_object_get(o, "resource");
	if (!out->event_id || !*out->event_id || !type || !json_is_object(res)) {
		snprintf(err, errlen, "paypal: event lacks id, event_type or resource");
		goto out;
	}
	out->status_word = type;
	out->status = GW_IGNORED;
	if (strcmp(type, "PAYMENT.CAPTURE.COMPLETED") == 0 ||
	    strcmp(type, "PAYMENT.CAPTURE.PENDING") == 0 ||
	    strcmp(type, "PAYMENT.CAPTURE.DENIED") == 0 ||
	    strcmp(type, "PAYMENT.CAPTURE.DECLINED") == 0) {
		out->status = strcmp(type, "PAYMENT.CAPTURE.COMPLETED") == 0 ? GW_PAID :
		    strcmp(type, "PAYMENT.CAPTURE.PENDING") == 0 ? GW_PENDING : GW_FAILED;
		out->reference = gateway_json_str(a, res, "custom_id");
		out->gateway_txn_id = gateway_json_str(a, res, "id");
		if (!out->reference || !*out->reference || !out->gateway_txn_id ||
		    json_amount(a, json_object_get(res, "amount"), &out->amount_minor,
		    &out->currency) != 0) {
			snprintf(err, errlen, "paypal: capture event lacks custom_id, id or a valid amount");
			goto out;
		}
	} else if (strcmp(type, "CHECKOUT.ORDER.APPROVED") == 0) {
		pu = json_array_get(json_object_get(res, "purchase_units"), 0);
		out->status = GW_PENDING;
		out->reference = gateway_json_str(a, pu, "custom_id");
		out->gateway_txn_id = gateway_json_str(a, res, "id");
		if (!out->reference || !out->gateway_txn_id) {
			snprintf(err, errlen, "paypal: order event lacks id or custom_id");
			goto out;
		}
		(void)json_amount(a, json_object_get(pu, "amount"), &out->amount_minor,
		    &out->currency);
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* ================= the gateway ================= */

/* The fuzz targets build only the pure protocol above (see gateway.c). */
#ifndef GW_PROTOCOL_ONLY

static enum gw_status
capture_status(const char *s)
{
	if (!s)
		return GW_IGNORED;
	if (strcmp(s, "COMPLETED") == 0)
		return GW_PAID;
	if (strcmp(s, "PENDING") == 0)
		return GW_PENDING;
	if (strcmp(s, "DECLINED") == 0 || strcmp(s, "FAILED") == 0)
		return GW_FAILED;
	return GW_IGNORED;	/* REFUNDED, PARTIALLY_REFUNDED: the refund path owns those */
}

static int
nonempty(const char *s)
{
	return s && *s;
}

static int
config_ok(const struct souk_config *cfg, int need_webhook, char *err, size_t errlen)
{
	if (!nonempty(cfg->paypal_client_id) || !nonempty(cfg->paypal_secret) ||
	    !nonempty(cfg->paypal_api_url) || (need_webhook && !nonempty(cfg->paypal_webhook_id))) {
		snprintf(err, errlen, "paypal: paypal_client_id, _secret, _api_url or _webhook_id not configured");
		return 0;
	}
	return 1;
}

static const char *
api_url(const struct gw_ctx *c, const char *path)
{
	const char *base = c->cfg->paypal_api_url;
	size_t bl = strlen(base);

	return arena_printf(c->arena, "%.*s%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl),
	    base, path);
}

/* Map an HTTP answer: 2xx GW_OK, 5xx/429 GW_ETEMP, else GW_EREJECT with PayPal's name. */
static int
http_result(long status, const char *what, const char *resp, size_t rlen, char *err, size_t errlen)
{
	json_t *e;

	if (status >= 200 && status < 300)
		return GW_OK;
	e = json_loadb(resp, rlen, 0, NULL);
	snprintf(err, errlen, "paypal: %s: HTTP %ld %.64s", what, status,
	    json_string_value(json_object_get(e, "name")) ?
	    json_string_value(json_object_get(e, "name")) :
	    json_string_value(json_object_get(e, "error")) ?
	    json_string_value(json_object_get(e, "error")) : "");
	json_decref(e);
	return status >= 500 || status == 429 ? GW_ETEMP : GW_EREJECT;
}

/* OAuth2 client credentials: *@bearer gets "Authorization: Bearer ..." in the arena. */
static int
paypal_token(const struct gw_ctx *c, const char **bearer, char *err, size_t errlen)
{
	const char *cred, *hdr[4], *resp, *tok;
	size_t rlen;
	long status = 0;
	json_t *j;
	int rc;

	cred = arena_printf(c->arena, "%s:%s", c->cfg->paypal_client_id, c->cfg->paypal_secret);
	hdr[0] = arena_printf(c->arena, "Authorization: Basic %s",
	    alipay_b64_encode(c->arena, cred, strlen(cred)));
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = "Accept: application/json";
	hdr[3] = NULL;
	rc = gateway_http(c->arena, "POST", api_url(c, "/v1/oauth2/token"), hdr,
	    "grant_type=client_credentials", 29, gateway_timeout(c), &status, &resp, &rlen, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (status == 401) {
		snprintf(err, errlen, "paypal: client credentials refused");
		return GW_ECONFIG;
	}
	rc = http_result(status, "oauth2 token", resp, rlen, err, errlen);
	if (rc != GW_OK)
		return rc;
	j = json_loadb(resp, rlen, 0, NULL);
	tok = gateway_json_str(c->arena, j, "access_token");
	json_decref(j);
	if (!tok || !*tok || !http_header_token_ok(tok)) {
		snprintf(err, errlen, "paypal: token answer has no access_token");
		return GW_EREJECT;
	}
	*bearer = arena_printf(c->arena, "Authorization: Bearer %s", tok);
	return GW_OK;
}

/* One authorised JSON call; @request_id NULL for none.  Returns as http_result(). */
static int
paypal_call(const struct gw_ctx *c, const char *method, const char *path, const char *body,
    const char *request_id, long *status, const char **resp, size_t *rlen, char *err, size_t errlen)
{
	const char *hdr[5], *bearer;
	int rc, n = 0;

	rc = paypal_token(c, &bearer, err, errlen);
	if (rc != GW_OK)
		return rc;
	hdr[n++] = bearer;
	hdr[n++] = "Accept: application/json";
	if (body)
		hdr[n++] = "Content-Type: application/json";
	if (request_id && http_header_token_ok(request_id))
		hdr[n++] = arena_printf(c->arena, "PayPal-Request-Id: %s", request_id);
	hdr[n] = NULL;
	rc = gateway_http(c->arena, method, api_url(c, path), hdr, body, body ? strlen(body) : 0,
	    gateway_timeout(c), status, resp, rlen, err, errlen);
	if (rc != GW_OK)
		return rc;
	return http_result(*status, path, *resp, *rlen, err, errlen);
}

static int
id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int
paypal_start(const struct gw_ctx *c, const struct gw_payment *p,
    struct gw_start *out, char *err, size_t errlen)
{
	const char *body, *resp, *href = NULL, *id;
	size_t rlen, i;
	long status = 0;
	json_t *r, *links, *l;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!config_ok(c->cfg, 0, err, errlen))
		return GW_ECONFIG;
	if (strcmp(p->currency, "USD") != 0 || p->amount_minor <= 0) {
		snprintf(err, errlen, "paypal: takes positive USD amounts only");
		return GW_EREJECT;
	}
	body = gateway_json_text(c->arena, json_pack("{s:s, s:[{s:s, s:s, s:s, s:{s:s, s:s}}],"
	    " s:{s:s, s:s, s:s, s:s}}",
	    "intent", "CAPTURE",
	    "purchase_units",
	    "reference_id", p->reference,
	    "custom_id", p->reference,
	    "description", p->item_name ? p->item_name : p->reference,
	    "amount", "currency_code", "USD",
	    "value", gateway_minor_to_decimal(c->arena, p->amount_minor),
	    "application_context",
	    "return_url", p->return_url ? p->return_url : "",
	    "cancel_url", p->cancel_url ? p->cancel_url : "",
	    "user_action", "PAY_NOW",
	    "shipping_preference", "NO_SHIPPING"));
	if (!body) {
		snprintf(err, errlen, "paypal: cannot encode the order");
		return GW_EREJECT;
	}
	rc = paypal_call(c, "POST", "/v2/checkout/orders", body, p->idempotency_key, &status,
	    &resp, &rlen, err, errlen);
	if (rc != GW_OK)
		return rc;
	r = json_loadb(resp, rlen, 0, NULL);
	id = gateway_json_str(c->arena, r, "id");
	links = json_object_get(r, "links");
	json_array_foreach(links, i, l) {
		const char *rel = json_string_value(json_object_get(l, "rel"));

		if (rel && (strcmp(rel, "approve") == 0 || strcmp(rel, "payer-action") == 0)) {
			href = gateway_json_str(c->arena, l, "href");
			break;
		}
	}
	json_decref(r);
	if (!id || !id_ok(id) || !href || (strncmp(href, "https://", 8) != 0 &&
	    !(c->cfg->gateway_test_mode && strncmp(href, "http://", 7) == 0))) {
		snprintf(err, errlen, "paypal: order answer lacks id or approve link");
		return GW_EREJECT;
	}
	out->post = 0;
	out->url = href;
	out->gateway_txn_id = id;
	return GW_OK;
}

static const char *
header(const struct gw_http *in, const char *name)
{
	return in->header ? in->header(in->ud, name) : NULL;
}

static int paypal_query(const struct gw_ctx *c, const char *reference,
    const char *gateway_txn_id, struct gw_notice *out, char *err, size_t errlen);

static int
paypal_verify(const struct gw_ctx *c, const struct gw_http *in,
    struct gw_notice *out, struct gw_ack *ack, char *err, size_t errlen)
{
	struct paypal_headers h;
	const char *req, *resp;
	size_t rlen;
	long status = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	ack->status = 400;
	ack->content_type = "text/plain";
	ack->body = "rejected";
	if (!config_ok(c->cfg, 1, err, errlen)) {
		ack->status = 503;
		return GW_ECONFIG;
	}
	h.transmission_id = header(in, "PAYPAL-TRANSMISSION-ID");
	h.transmission_time = header(in, "PAYPAL-TRANSMISSION-TIME");
	h.transmission_sig = header(in, "PAYPAL-TRANSMISSION-SIG");
	h.cert_url = header(in, "PAYPAL-CERT-URL");
	h.auth_algo = header(in, "PAYPAL-AUTH-ALGO");
	if (paypal_parse_event(c->arena, in->body, in->body_len, out, err, errlen) != 0)
		return GW_EREJECT;
	req = paypal_verify_request(c->arena, &h, c->cfg->paypal_webhook_id, in->body, in->body_len);
	if (!req) {
		snprintf(err, errlen, "paypal: PAYPAL-* headers missing or malformed");
		return GW_EREJECT;
	}
	rc = paypal_call(c, "POST", "/v1/notifications/verify-webhook-signature", req, NULL,
	    &status, &resp, &rlen, err, errlen);
	if (rc != GW_OK) {
		if (rc != GW_EREJECT)
			ack->status = 503;	/* PayPal retries non-2xx */
		return rc;
	}
	if (!paypal_verify_answer(resp, rlen)) {
		snprintf(err, errlen, "paypal: verify-webhook-signature did not answer SUCCESS");
		return GW_EREJECT;
	}
	if (out->status == GW_PENDING && strcmp(out->status_word, "CHECKOUT.ORDER.APPROVED") == 0) {
		/*
		 * Intent CAPTURE: nothing is charged until the merchant captures
		 * the approved order.  Capture now (idempotent, see query) so
		 * the payment completes even if the buyer never comes back.
		 */
		struct gw_notice q;

		rc = paypal_query(c, out->reference, out->gateway_txn_id, &q, err, errlen);
		if (rc == GW_ETEMP) {
			ack->status = 503;
			return rc;
		}
		if (rc == GW_OK) {
			q.event_id = out->event_id;
			*out = q;
		}
	}
	ack->status = 200;
	ack->body = "";
	return GW_OK;
}

/* Fill @out from a capture object; 0, or -1 when it lacks id or status. */
static int
notice_from_capture(arena_t *a, json_t *cap, const char *custom_id, struct gw_notice *out)
{
	const char *st = gateway_json_str(a, cap, "status");

	out->gateway_txn_id = gateway_json_str(a, cap, "id");
	out->reference = gateway_json_str(a, cap, "custom_id");
	if (!out->reference)
		out->reference = custom_id;
	if (!st || !out->gateway_txn_id)
		return -1;
	out->status = capture_status(st);
	out->status_word = st;
	(void)json_amount(a, json_object_get(cap, "amount"), &out->amount_minor, &out->currency);
	return 0;
}

/*
 * query - @gateway_txn_id is the order id from start (or a capture id once
 * a capture was seen).  An APPROVED order is captured here (PayPal-Request-Id
 * "capture-<order id>", so a retry never captures twice).
 */
static int
paypal_query(const struct gw_ctx *c, const char *reference,
    const char *gateway_txn_id, struct gw_notice *out, char *err, size_t errlen)
{
	const char *resp, *st, *custom;
	size_t rlen;
	long status = 0;
	json_t *o, *pu, *cap;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (!config_ok(c->cfg, 0, err, errlen))
		return GW_ECONFIG;
	if (!id_ok(gateway_txn_id)) {
		snprintf(err, errlen, "paypal: query needs the PayPal order or capture id");
		return GW_EREJECT;
	}
	rc = paypal_call(c, "GET", arena_printf(c->arena, "/v2/checkout/orders/%s", gateway_txn_id),
	    NULL, NULL, &status, &resp, &rlen, err, errlen);
	if (rc == GW_EREJECT && status == 404) {
		/* Not an order: a capture id. */
		rc = paypal_call(c, "GET", arena_printf(c->arena, "/v2/payments/captures/%s",
		    gateway_txn_id), NULL, NULL, &status, &resp, &rlen, err, errlen);
		if (rc != GW_OK)
			return rc;
		o = json_loadb(resp, rlen, 0, NULL);
		rc = notice_from_capture(c->arena, o, NULL, out);
		json_decref(o);
		goto done;
	}
	if (rc != GW_OK)
		return rc;
	o = json_loadb(resp, rlen, 0, NULL);
	st = gateway_json_str(c->arena, o, "status");
	if (st && strcmp(st, "APPROVED") == 0) {
		json_decref(o);
		rc = paypal_call(c, "POST", arena_printf(c->arena, "/v2/checkout/orders/%s/capture",
		    gateway_txn_id), "{}", arena_printf(c->arena, "capture-%s", gateway_txn_id),
		    &status, &resp, &rlen, err, errlen);
		if (rc != GW_OK)
			return rc;
		o = json_loadb(resp, rlen, 0, NULL);
		st = gateway_json_str(c->arena, o, "status");
	}
	pu = json_array_get(json_object_get(o, "purchase_units"), 0);
	custom = gateway_json_str(c->arena, pu, "custom_id");
	cap = json_array_get(json_object_get(json_object_get(pu, "payments"), "captures"), 0);
	if (cap) {
		rc = notice_from_capture(c->arena, cap, custom, out);
	} else if (st) {
		out->reference = custom;
		out->gateway_txn_id = arena_strdup(c->arena, gateway_txn_id);
		out->status_word = st;
		out->status = strcmp(st, "VOIDED") == 0 ? GW_CANCELLED : GW_PENDING;
		(void)json_amount(c->arena, json_object_get(pu, "amount"), &out->amount_minor,
		    &out->currency);
		rc = 0;
	} else {
		rc = -1;
	}
	json_decref(o);
done:
	if (rc != 0 || !out->reference || strcmp(out->reference, reference) != 0) {
		snprintf(err, errlen, "paypal: query answer lacks a status or names another payment");
		return GW_EREJECT;
	}
	out->event_id = arena_printf(c->arena, "%s/%s", out->gateway_txn_id, out->status_word);
	return GW_OK;
}

static int
paypal_refund(const struct gw_ctx *c, const struct gw_refund *r,
    const char **out_id, char *err, size_t errlen)
{
	const char *body, *resp, *id, *cap_id = r->gateway_txn_id;
	size_t rlen;
	long status = 0;
	json_t *q, *o, *cap;
	int rc;

	*out_id = NULL;
	if (!config_ok(c->cfg, 0, err, errlen))
		return GW_ECONFIG;
	if (r->amount_minor <= 0 || r->amount_minor > r->paid_minor || !id_ok(cap_id) ||
	    !r->idempotency_key || !*r->idempotency_key) {
		snprintf(err, errlen, "paypal: refund needs 0 < amount <= paid, the capture id and an idempotency key");
		return GW_EREJECT;
	}
	q = json_pack("{s:{s:s, s:s}}", "amount",
	    "value", gateway_minor_to_decimal(c->arena, r->amount_minor), "currency_code", "USD");
	if (q && r->reason && *r->reason)
		json_object_set_new(q, "note_to_payer", json_string(r->reason));
	body = gateway_json_text(c->arena, q);
	if (!body) {
		snprintf(err, errlen, "paypal: cannot encode the refund");
		return GW_EREJECT;
	}
	rc = paypal_call(c, "POST", arena_printf(c->arena, "/v2/payments/captures/%s/refund", cap_id),
	    body, r->idempotency_key, &status, &resp, &rlen, err, errlen);
	if (rc == GW_EREJECT && status == 404) {
		/* An order id: refund its first capture. */
		rc = paypal_call(c, "GET", arena_printf(c->arena, "/v2/checkout/orders/%s", cap_id),
		    NULL, NULL, &status, &resp, &rlen, err, errlen);
		if (rc != GW_OK)
			return rc;
		o = json_loadb(resp, rlen, 0, NULL);
		cap = json_array_get(json_object_get(json_object_get(
		    json_array_get(json_object_get(o, "purchase_units"), 0), "payments"), "captures"), 0);
		cap_id = gateway_json_str(c->arena, cap, "id");
		json_decref(o);
		if (!id_ok(cap_id)) {
			snprintf(err, errlen, "paypal: order has no capture to refund");
			return GW_EREJECT;
		}
		rc = paypal_call(c, "POST", arena_printf(c->arena, "/v2/payments/captures/%s/refund",
		    cap_id), body, r->idempotency_key, &status, &resp, &rlen, err, errlen);
	}
	if (rc != GW_OK)
		return rc;
	id = gateway_json_body_str(c->arena, resp, rlen, 0, "id");
	if (!id || !*id) {
		snprintf(err, errlen, "paypal: refund answer has no id");
		return GW_EREJECT;
	}
	*out_id = id;
	return GW_OK;
}

const gateway_t gateway_paypal = {
	.name = "paypal",
	.label = "PayPal",
	.currencies = "USD",
	.start = paypal_start,
	.verify = paypal_verify,
	.query = paypal_query,
	.refund = paypal_refund,
	.payout = NULL,
};

#endif /* !GW_PROTOCOL_ONLY */
