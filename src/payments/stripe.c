/*
 * stripe.c - Stripe (../shared/docs/payment-gateways.md §3): a
 * PaymentIntent created on the platform account with an Idempotency-Key
 * (§3.2, §3.4 step 1), the browser sent to a hosted confirmation page,
 * webhooks accepted on a valid Stripe-Signature v1 within 300 s (§3.1),
 * refunds, transfers to sellers' connected accounts ("separate charges
 * and transfers", §3.4) and PaymentIntent queries.  Every POST carries the
 * caller's Idempotency-Key.
 *
 * Built with -DGW_PROTOCOL_ONLY (tests/fuzz/run.sh) this file holds only
 * the pure protocol functions of stripe.h.
 */
#include "payments/stripe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "http/parse.h"

void
stripe_signature_hex(const char *secret, const char *t, const char *body, size_t len,
    char out[STRIPE_SIG_SIZE])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, strlen(t));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, STRIPE_SIG_SIZE, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

/* The header's v1 signatures and its timestamp text. */
#define MAX_V1 8

int
stripe_signature_check(const char *header, const char *body, size_t len,
    const char *secrets, time_t now, long tolerance, char *err, size_t errlen)
{
	char t[24], v1[MAX_V1][STRIPE_SIG_SIZE], want[STRIPE_SIG_SIZE], secret[256];
	const char *p, *end, *eq;
	size_t nv1 = 0, nt = 0, nsecrets = 0, ilen;
	long long ts = 0;
	int ok = 0, bad_v1 = 0;

	if (secrets == NULL || strspn(secrets, ", \t") == strlen(secrets)) {
		snprintf(err, errlen, "no Stripe webhook secret configured");
		return GW_ECONFIG;
	}
	if (header == NULL || *header == '\0') {
		snprintf(err, errlen, "no Stripe-Signature header");
		return GW_EREJECT;
	}
	/* 1. Items split on ',', each at its first '='. */
	for (p = header; ; p = end + 1) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		ilen = (size_t)(end - p);
		if ((eq = memchr(p, '=', ilen)) != NULL) {
			size_t klen = (size_t)(eq - p), vlen = ilen - klen - 1;

			if (klen == 1 && p[0] == 't') {
				if (++nt > 1 || vlen == 0 || vlen >= sizeof(t)) {
					nt = 2;
				} else {
					memcpy(t, eq + 1, vlen);
					t[vlen] = '\0';
				}
			} else if (klen == 2 && p[0] == 'v' && p[1] == '1') {
				/* A v1 of the wrong length can never match; keep looking. */
				if (vlen == STRIPE_SIG_SIZE - 1 && nv1 < MAX_V1) {
					memcpy(v1[nv1], eq + 1, vlen);
					v1[nv1][vlen] = '\0';
					nv1++;
				} else
					bad_v1 = 1;
			}
		}
		if (*end == '\0')
			break;
	}
	if (nt != 1 || strspn(t, "0123456789") != strlen(t) ||
	    http_parse_int64(t, 0, 99999999999LL, &ts) != 0) {
		snprintf(err, errlen, "Stripe-Signature without one valid timestamp");
		return GW_EREJECT;
	}
	if (nv1 == 0) {
		snprintf(err, errlen, "Stripe-Signature without a v1 signature%s",
		    bad_v1 ? " of the right length" : "");
		return GW_EREJECT;
	}
	/* 3-4. Every secret against every v1, all in constant time. */
	for (p = secrets; ; p = end + 1) {
		size_t n;

		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0 && n < sizeof(secret)) {
			memcpy(secret, p, n);
			secret[n] = '\0';
			nsecrets++;
			stripe_signature_hex(secret, t, body, len, want);
			for (size_t i = 0; i < nv1; i++)
				ok |= sodium_memcmp(v1[i], want, STRIPE_SIG_SIZE - 1) == 0;
		}
		if (*end == '\0')
			break;
	}
	sodium_memzero(secret, sizeof(secret));
	if (nsecrets == 0) {
		snprintf(err, errlen, "no usable Stripe webhook secret configured");
		return GW_ECONFIG;
	}
	if (!ok) {
		snprintf(err, errlen, "Stripe-Signature does not match");
		return GW_EREJECT;
	}
	/* 5. Tolerance, in both directions. */
	if (tolerance > 0 && ((long long)now - ts > tolerance || ts - (long long)now > tolerance)) {
		snprintf(err, errlen, "Stripe-Signature timestamp outside the tolerance");
		return GW_EREJECT;
	}
	return GW_OK;
}

/* @s ("usd") upper-cased in @a; NULL unless three ASCII letters. */
static const char *
currency_upper(arena_t *a, const char *s)
{
	char *u;

	if (s == NULL || strlen(s) != 3)
		return NULL;
	u = arena_strdup(a, s);
	for (int i = 0; i < 3; i++) {
		if (u[i] >= 'a' && u[i] <= 'z')
			u[i] = (char)(u[i] - 'a' + 'A');
		else if (u[i] < 'A' || u[i] > 'Z')
			return NULL;
	}
	return u;
}

int
stripe_event_parse(arena_t *a, const char *body, size_t len, struct gw_notice *out,
    char *err, size_t errlen)
{
	json_t *root, *obj, *amt;
	const char *type;
	int rc = GW_EREJECT, pi;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "Stripe event is not a JSON object");
		goto out;
	}
	out->event_id = gateway_json_str(a, root, "id");
	type = gateway_json_str(a, root, "type");
	obj = json_object_get(json_object_get(root, "data"), "object");
	if (out->event_id == NULL || *out->event_id == '\0' || type == NULL || *type == '\0' ||
	    !json_is_object(obj)) {
		snprintf(err, errlen, "Stripe event without id, type or data.object");
		goto out;
	}
	out->status_word = type;
	out->gateway_txn_id = gateway_json_str(a, obj, "id");
	out->reference = gateway_json_str(a, json_object_get(obj, "metadata"), "reference");
	if (strcmp(type, "payment_intent.succeeded") == 0)
		out->status = GW_PAID;
	else if (strcmp(type, "payment_intent.payment_failed") == 0)
		out->status = GW_FAILED;
	else if (strcmp(type, "payment_intent.canceled") == 0)
		out->status = GW_CANCELLED;
	else
		out->status = GW_IGNORED;
	pi = out->status != GW_IGNORED;
	amt = json_object_get(obj, "amount");
	if (json_is_integer(amt) && json_integer_value(amt) >= 0)
		out->amount_minor = (int64_t)json_integer_value(amt);
	else if (pi) {
		snprintf(err, errlen, "Stripe payment_intent event without an amount");
		goto out;
	}
	out->currency = currency_upper(a, json_string_value(json_object_get(obj, "currency")));
	if (pi && (out->currency == NULL || out->gateway_txn_id == NULL)) {
		snprintf(err, errlen, "Stripe payment_intent event without id or currency");
		goto out;
	}
	/* A PaymentIntent we did not create: acknowledge and drop. */
	if (pi && (out->reference == NULL || *out->reference == '\0'))
		out->status = GW_IGNORED;
	rc = GW_OK;
out:
	json_decref(root);
	return rc;
}

int
stripe_intent_parse(arena_t *a, const char *json, size_t len, struct gw_notice *out,
    const char **client_secret, char *err, size_t errlen)
{
	json_t *o, *amt, *lpe;
	const char *st;
	int rc = GW_EREJECT;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (client_secret != NULL)
		*client_secret = NULL;
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "Stripe PaymentIntent is not a JSON object");
		goto out;
	}
	out->gateway_txn_id = gateway_json_str(a, o, "id");
	st = gateway_json_str(a, o, "status");
	amt = json_object_get(o, "amount");
	if (out->gateway_txn_id == NULL || *out->gateway_txn_id == '\0' || st == NULL ||
	    !json_is_integer(amt) || json_integer_value(amt) < 0) {
		snprintf(err, errlen, "Stripe PaymentIntent without id, status or amount");
		goto out;
	}
	out->amount_minor = (int64_t)json_integer_value(amt);
	out->status_word = st;
	out->event_id = arena_printf(a, "%s:%s", out->gateway_txn_id, st);
	out->currency = currency_upper(a, json_string_value(json_object_get(o, "currency")));
	out->reference = gateway_json_str(a, json_object_get(o, "metadata"), "reference");
	lpe = json_object_get(o, "last_payment_error");
	if (strcmp(st, "succeeded") == 0)
		out->status = GW_PAID;
	else if (strcmp(st, "canceled") == 0)
		out->status = GW_CANCELLED;
	else if (strcmp(st, "requires_payment_method") == 0 && lpe != NULL && !json_is_null(lpe))
		out->status = GW_FAILED;
	else
		out->status = GW_PENDING;
	if (client_secret != NULL)
		*client_secret = gateway_json_str(a, o, "client_secret");
	rc = GW_OK;
out:
	json_decref(o);
	return rc;
}

const char *
stripe_form(arena_t *a, const struct gw_field *f, size_t n)
{
	buf_t b;

	buf_init(&b, a);
	for (size_t i = 0; i < n; i++) {
		if (f[i].value == NULL)
			continue;
		if (b.len > 0)
			buf_putc(&b, '&');
		url_encode(&b, f[i].name, strlen(f[i].name));
		buf_putc(&b, '=');
		url_encode(&b, f[i].value, strlen(f[i].value));
	}
	return buf_cstr(&b);
}

const char *
stripe_pay_redirect(arena_t *a, const char *pay_url, const char *intent_id,
    const char *client_secret, const char *return_url, const char *cancel_url)
{
	buf_t b;

	buf_init(&b, a);
	buf_puts(&b, pay_url);
	buf_puts(&b, strchr(pay_url, '?') != NULL ? "&payment_intent=" : "?payment_intent=");
	url_encode(&b, intent_id, strlen(intent_id));
	buf_puts(&b, "&client_secret=");
	url_encode(&b, client_secret, strlen(client_secret));
	buf_puts(&b, "&return_url=");
	url_encode(&b, return_url, strlen(return_url));
	buf_puts(&b, "&cancel_url=");
	url_encode(&b, cancel_url, strlen(cancel_url));
	return buf_cstr(&b);
}

#ifndef GW_PROTOCOL_ONLY

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Stripe ids: pi_..., ch_..., acct_... */
static int
id_ok(const char *s)
{
	return !empty(s) && strlen(s) <= 255 &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static const char *
currency_lower(arena_t *a, const char *s)
{
	char *l = arena_strdup(a, s);

	for (char *p = l; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

/*
 * One API call: @form NULL = GET.  Authorization: Bearer secret key,
 * Idempotency-Key on POST (required).  GW_OK with the JSON answer in
 * *@resp on a 2xx; GW_ETEMP on network errors, 5xx, 429 and 409 (a
 * request with the same key still running); GW_EREJECT on other 4xx,
 * with Stripe's error message (never a secret) in @err.
 */
static int
st_api(const struct gw_ctx *c, const char *method, const char *path, const char *form,
    const char *idempotency_key, const char **resp, size_t *resp_len, char *err, size_t errlen)
{
	const struct souk_config *cfg = c->cfg;
	const char *hdrs[5];
	size_t k = 0;
	long status;
	int rc;

	if (empty(cfg->stripe_api_url) || empty(cfg->stripe_secret_key)) {
		snprintf(err, errlen, "Stripe API URL or secret key not configured");
		return GW_ECONFIG;
	}
	if (form != NULL && (empty(idempotency_key) || strlen(idempotency_key) > 255 ||
	    !http_header_token_ok(idempotency_key))) {
		snprintf(err, errlen, "Stripe POST needs an Idempotency-Key of 1-255 bytes");
		return GW_EREJECT;
	}
	hdrs[k++] = arena_printf(c->arena, "Authorization: Bearer %s", cfg->stripe_secret_key);
	if (form != NULL) {
		hdrs[k++] = "Content-Type: application/x-www-form-urlencoded";
		hdrs[k++] = arena_printf(c->arena, "Idempotency-Key: %s", idempotency_key);
	}
	hdrs[k++] = "Accept: application/json";
	hdrs[k] = NULL;
	rc = gateway_http(c->arena, method, arena_printf(c->arena, "%s%s", cfg->stripe_api_url,
	    path), hdrs, form, form != NULL ? strlen(form) : 0, cfg->gateway_timeout, &status,
	    resp, resp_len, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (status >= 200 && status <= 299)
		return GW_OK;
	{
		json_t *j = json_loadb(*resp, *resp_len, 0, NULL);
		const char *m = json_string_value(json_object_get(json_object_get(j, "error"),
		    "message"));

		snprintf(err, errlen, "Stripe %s %s answered HTTP %ld%s%.160s", method, path, status,
		    m != NULL ? ": " : "", m != NULL ? m : "");
		json_decref(j);
	}
	return status >= 500 || status == 429 || status == 409 ? GW_ETEMP : GW_EREJECT;
}

/*
 * start - create the PaymentIntent (amount, currency, metadata[reference])
 * and send the browser to cfg->stripe_pay_url with its id and client
 * secret.  That page confirms the intent: in development the simulator
 * serves it; in production it is a page of ours running Stripe Elements
 * (or Stripe Checkout) against the same PaymentIntent.
 */
static int
st_start(const struct gw_ctx *c, const struct gw_payment *p, struct gw_start *out,
    char *err, size_t errlen)
{
	arena_t *a = c->arena;
	struct gw_notice pi;
	struct gw_field f[3];
	const char *resp, *secret;
	size_t resp_len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (p->currency == NULL || strcmp(p->currency, "USD") != 0 || p->amount_minor <= 0) {
		snprintf(err, errlen, "Stripe takes positive USD amounts here");
		return GW_EUNSUPPORTED;
	}
	if (empty(c->cfg->stripe_pay_url)) {
		snprintf(err, errlen, "Stripe pay URL not configured");
		return GW_ECONFIG;
	}
	f[0] = (struct gw_field){ "amount", arena_printf(a, "%lld", (long long)p->amount_minor) };
	f[1] = (struct gw_field){ "currency", currency_lower(a, p->currency) };
	f[2] = (struct gw_field){ "metadata[reference]", p->reference };
	rc = st_api(c, "POST", "/v1/payment_intents", stripe_form(a, f, 3), p->idempotency_key,
	    &resp, &resp_len, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (stripe_intent_parse(a, resp, resp_len, &pi, &secret, err, errlen) != GW_OK)
		return GW_EREJECT;
	if (empty(secret) || !id_ok(pi.gateway_txn_id) || pi.amount_minor != p->amount_minor) {
		snprintf(err, errlen, "Stripe PaymentIntent answer unusable");
		return GW_EREJECT;
	}
	out->post = 0;
	out->url = stripe_pay_redirect(a, c->cfg->stripe_pay_url, pi.gateway_txn_id, secret,
	    p->return_url != NULL ? p->return_url : "", p->cancel_url != NULL ? p->cancel_url : "");
	out->gateway_txn_id = pi.gateway_txn_id;
	return GW_OK;
}

static int
st_verify(const struct gw_ctx *c, const struct gw_http *in, struct gw_notice *out,
    struct gw_ack *ack, char *err, size_t errlen)
{
	const char *sig = in->header != NULL ? in->header(in->ud, "Stripe-Signature") : NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	ack->status = 400;
	ack->content_type = "text/plain";
	ack->body = "";
	rc = stripe_signature_check(sig, in->body != NULL ? in->body : "", in->body_len,
	    c->cfg->stripe_webhook_secret, gateway_now(c), STRIPE_TOLERANCE, err, errlen);
	if (rc == GW_ECONFIG)
		ack->status = 503;
	if (rc != GW_OK)
		return rc;
	if ((rc = stripe_event_parse(c->arena, in->body != NULL ? in->body : "", in->body_len,
	    out, err, errlen)) != GW_OK)
		return rc;
	ack->status = 200;
	ack->content_type = "application/json";
	ack->body = "{\"received\":true}";
	return GW_OK;
}

static int
st_query(const struct gw_ctx *c, const char *reference, const char *gateway_txn_id,
    struct gw_notice *out, char *err, size_t errlen)
{
	const char *resp;
	size_t resp_len;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (!id_ok(gateway_txn_id)) {
		snprintf(err, errlen, "Stripe query needs the PaymentIntent id");
		return GW_EUNSUPPORTED;
	}
	rc = st_api(c, "GET", arena_printf(c->arena, "/v1/payment_intents/%s", gateway_txn_id),
	    NULL, NULL, &resp, &resp_len, err, errlen);
	if (rc != GW_OK)
		return rc;
	if ((rc = stripe_intent_parse(c->arena, resp, resp_len, out, NULL, err, errlen)) != GW_OK)
		return rc;
	if (strcmp(out->gateway_txn_id, gateway_txn_id) != 0 ||
	    (reference != NULL && out->reference != NULL && strcmp(out->reference, reference) != 0)) {
		snprintf(err, errlen, "Stripe query answer is for another payment");
		return GW_EREJECT;
	}
	return GW_OK;
}

/*
 * POST @form to @path (a create call: /v1/refunds, /v1/transfers) with
 * @idem_key; *@out_id gets the created object's "id" (re_..., tr_...).
 * An answer without one is GW_EREJECT ("Stripe @what answer without an id").
 */
static int
st_create(const struct gw_ctx *c, const char *path, const char *form, const char *idem_key,
    const char *what, const char **out_id, char *err, size_t errlen)
{
	const char *resp;
	size_t resp_len;
	int rc;

	rc = st_api(c, "POST", path, form, idem_key, &resp, &resp_len, err, errlen);
	if (rc != GW_OK)
		return rc;
	*out_id = gateway_json_body_str(c->arena, resp, resp_len, 0, "id");
	if (*out_id == NULL) {
		snprintf(err, errlen, "Stripe %s answer without an id", what);
		return GW_EREJECT;
	}
	return GW_OK;
}

/* refund - POST /v1/refunds (payment_intent, amount, metadata[reference]). */
static int
st_refund(const struct gw_ctx *c, const struct gw_refund *r, const char **out_id,
    char *err, size_t errlen)
{
	arena_t *a = c->arena;
	struct gw_field f[4];

	*out_id = NULL;
	if (!id_ok(r->gateway_txn_id) || r->amount_minor <= 0 ||
	    (r->paid_minor > 0 && r->amount_minor > r->paid_minor)) {
		snprintf(err, errlen, "Stripe refund needs the PaymentIntent id and 0 < amount <= paid");
		return GW_EREJECT;
	}
	f[0] = (struct gw_field){ "payment_intent", r->gateway_txn_id };
	f[1] = (struct gw_field){ "amount", arena_printf(a, "%lld", (long long)r->amount_minor) };
	f[2] = (struct gw_field){ "metadata[reference]", r->reference };
	f[3] = (struct gw_field){ "metadata[reason]", empty(r->reason) ? NULL : r->reason };
	return st_create(c, "/v1/refunds", stripe_form(a, f, 4), r->idempotency_key, "refund", out_id,
	    err, errlen);
}

/* payout - POST /v1/transfers to the seller's connected account (§3.4 step 3). */
static int
st_payout(const struct gw_ctx *c, const struct gw_payout *p, const char **out_id,
    char *err, size_t errlen)
{
	arena_t *a = c->arena;
	struct gw_field f[4];

	*out_id = NULL;
	if (!id_ok(p->destination) || strncmp(p->destination, "acct_", 5) != 0 ||
	    p->amount_minor <= 0 || p->currency == NULL || strlen(p->currency) != 3 ||
	    (p->source_txn_id != NULL && !id_ok(p->source_txn_id))) {
		snprintf(err, errlen, "Stripe transfer needs an acct_ destination and a positive amount");
		return GW_EREJECT;
	}
	f[0] = (struct gw_field){ "amount", arena_printf(a, "%lld", (long long)p->amount_minor) };
	f[1] = (struct gw_field){ "currency", currency_lower(a, p->currency) };
	f[2] = (struct gw_field){ "destination", p->destination };
	f[3] = (struct gw_field){ "source_transaction", p->source_txn_id };
	return st_create(c, "/v1/transfers", stripe_form(a, f, 4), p->idempotency_key, "transfer", out_id,
	    err, errlen);
}

const gateway_t gateway_stripe = {
	.name = "stripe",
	.label = "Card (Stripe)",
	.currencies = "USD",
	.start = st_start,
	.verify = st_verify,
	.query = st_query,
	.refund = st_refund,
	.payout = st_payout,
};

#endif /* !GW_PROTOCOL_ONLY */
