/*
 * payfast.c - PayFast (../shared/docs/payment-gateways.md §1): redirect
 * checkout signed with MD5 (§1.2, §1.3), ITN accepted only after the
 * signature, source address, merchant and server-to-server validation
 * checks (§1.5; the amount against the order is the caller's check), and
 * refunds and queries through the signed REST API (§1.7).  Payouts go by
 * bank-transfer file, so there is no payout call.
 *
 * Built with -DGW_PROTOCOL_ONLY (tests/fuzz/run.sh) this file holds only
 * the pure protocol functions of payfast.h.
 */
#include "payments/payfast.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <sodium.h>

/* The §1.2 field list: the checkout signature order. */
static const char *const sig_order[] = {
	"merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url",
	"notify_method", "name_first", "name_last", "email_address", "cell_number",
	"m_payment_id", "amount", "item_name", "item_description",
	"custom_int1", "custom_int2", "custom_int3", "custom_int4", "custom_int5",
	"custom_str1", "custom_str2", "custom_str3", "custom_str4", "custom_str5",
	"email_confirmation", "confirmation_address", "currency", "payment_method",
	"subscription_type", "billing_date", "recurring_amount", "frequency", "cycles",
	"subscription_notify_email", "subscription_notify_webhook",
	"subscription_notify_buyer",
};

void
payfast_urlencode(buf_t *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
			buf_putc(out, (char)c);
		else if (c == ' ')
			buf_putc(out, '+');
		else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

/* PHP trim()'s default set: space, \t, \n, \r, \0, \x0B. */
static int
php_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == '\x0b';
}

/* @s trimmed as by PHP trim(): *@len gets the length, returns the start. */
static const char *
php_trim(const char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n > 0 && php_space(*s))
		s++, n--;
	while (n > 0 && php_space(s[n - 1]))
		n--;
	*len = n;
	return s;
}

/* MD5 of @len bytes at @s as lower-case hex. */
static void
md5_hex(const char *s, size_t len, char sig[PAYFAST_SIG_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(s, len, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16)
		abort();	/* only when libcrypto itself is broken */
	sodium_bin2hex(sig, PAYFAST_SIG_SIZE, md, 16);
}

static void
put_pair(buf_t *b, const char *name, const char *value, size_t vlen)
{
	if (b->len > 0)
		buf_putc(b, '&');
	buf_puts(b, name);
	buf_putc(b, '=');
	payfast_urlencode(b, value, vlen);
}

/* Whether @name is in the §1.2 list. */
static int
signed_name(const char *name)
{
	for (size_t k = 0; k < sizeof(sig_order) / sizeof(sig_order[0]); k++)
		if (strcmp(name, sig_order[k]) == 0)
			return 1;
	return 0;
}

void
payfast_checkout_signature(const struct gw_field *fields, size_t n,
    const char *passphrase, char sig[PAYFAST_SIG_SIZE])
{
	buf_t b;
	size_t len;
	const char *v;

	buf_init(&b, NULL);
	/* The caller's order, filtered by the §1.2 list (the SDK's Auth.php). */
	for (size_t i = 0; i < n; i++) {
		if (fields[i].name == NULL || !signed_name(fields[i].name))
			continue;
		/* Skip "" (the SDK's !== ''), then trim what is signed. */
		if (fields[i].value != NULL && fields[i].value[0] != '\0') {
			v = php_trim(fields[i].value, &len);
			put_pair(&b, fields[i].name, v, len);
		}
	}
	if (passphrase != NULL && passphrase[0] != '\0') {
		v = php_trim(passphrase, &len);
		put_pair(&b, "passphrase", v, len);
	}
	md5_hex(b.data != NULL ? b.data : "", b.len, sig);
	buf_free(&b);
}

const char *
payfast_itn_param_string(arena_t *a, const kvlist_t *itn)
{
	buf_t b;

	buf_init(&b, a);
	for (size_t i = 0; i < itn->n; i++) {
		if (strcmp(itn->items[i].name, "signature") == 0)
			break;
		put_pair(&b, itn->items[i].name, itn->items[i].value, itn->items[i].value_len);
	}
	return b.data != NULL ? b.data : "";
}

void
payfast_itn_signature(arena_t *a, const kvlist_t *itn, const char *passphrase,
    char sig[PAYFAST_SIG_SIZE])
{
	buf_t b;

	buf_init(&b, a);
	buf_puts(&b, payfast_itn_param_string(a, itn));
	if (passphrase != NULL && passphrase[0] != '\0')
		put_pair(&b, "passphrase", passphrase, strlen(passphrase));
	md5_hex(b.data != NULL ? b.data : "", b.len, sig);
}

/* Constant-time equality of two NUL-terminated strings; lengths first. */
static int
ct_streq(const char *x, const char *y)
{
	size_t n = strlen(x);

	return n == strlen(y) && sodium_memcmp(x, y, n) == 0;
}

int
payfast_itn_check(arena_t *a, const char *body, size_t len, const char *passphrase,
    const char *merchant_id, struct gw_notice *out, const char **validate_body,
    char *err, size_t errlen)
{
	static const struct parse_limits lim = { 64, 64, 1024 };
	char want[PAYFAST_SIG_SIZE];
	const char *sig, *pf_id, *status, *mid, *ref, *gross;
	kvlist_t itn;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (validate_body != NULL)
		*validate_body = NULL;
	if ((rc = http_parse_urlencoded(a, body, len, &lim, &itn)) != PARSE_OK) {
		snprintf(err, errlen, "ITN body: %s", parse_strerror(rc));
		return GW_EREJECT;
	}
	/* One value per name: a repeated field makes the meaning ambiguous. */
	for (size_t i = 0; i < itn.n; i++)
		if (kv_count(&itn, itn.items[i].name) != 1) {
			snprintf(err, errlen, "ITN field repeated");
			return GW_EREJECT;
		}
	if ((sig = kv_get(&itn, "signature")) == NULL) {
		snprintf(err, errlen, "ITN without signature");
		return GW_EREJECT;
	}
	payfast_itn_signature(a, &itn, passphrase, want);
	if (!ct_streq(sig, want)) {
		snprintf(err, errlen, "ITN signature mismatch");
		return GW_EREJECT;
	}
	pf_id = kv_get(&itn, "pf_payment_id");
	status = kv_get(&itn, "payment_status");
	ref = kv_get(&itn, "m_payment_id");
	gross = kv_get(&itn, "amount_gross");
	mid = kv_get(&itn, "merchant_id");
	if (pf_id == NULL || *pf_id == '\0' || status == NULL || *status == '\0' ||
	    ref == NULL || gross == NULL || mid == NULL) {
		snprintf(err, errlen, "ITN field missing");
		return GW_EREJECT;
	}
	if (merchant_id != NULL && *merchant_id != '\0' && strcmp(mid, merchant_id) != 0) {
		snprintf(err, errlen, "ITN for another merchant");
		return GW_EREJECT;
	}
	if (gateway_decimal_to_minor(gross, &out->amount_minor) != 0) {
		out->amount_minor = -1;
		snprintf(err, errlen, "ITN amount_gross malformed");
		return GW_EREJECT;
	}
	out->event_id = arena_printf(a, "%s:%s", pf_id, status);
	out->reference = ref;
	out->gateway_txn_id = pf_id;
	out->status_word = status;
	out->currency = NULL;
	if (strcmp(status, "COMPLETE") == 0)
		out->status = GW_PAID;
	else if (strcmp(status, "CANCELLED") == 0)
		out->status = GW_CANCELLED;
	else if (strcmp(status, "FAILED") == 0)
		out->status = GW_FAILED;
	else if (strcmp(status, "PENDING") == 0)
		out->status = GW_PENDING;
	else
		out->status = GW_IGNORED;
	if (validate_body != NULL)
		*validate_body = payfast_itn_param_string(a, &itn);
	return GW_OK;
}

int
payfast_validate_answer(const char *body, size_t len)
{
	while (len > 0 && (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n'))
		body++, len--;
	while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\t' ||
	    body[len - 1] == '\r' || body[len - 1] == '\n'))
		len--;
	return len == 5 && memcmp(body, "VALID", 5) == 0;
}

static int
cmp_field(const void *x, const void *y)
{
	const struct gw_field *a = x, *b = y;

	return strcmp(a->name, b->name);
}

void
payfast_api_signature(const struct gw_field *fields, size_t n,
    const char *passphrase, char sig[PAYFAST_SIG_SIZE])
{
	struct gw_field *all = calloc(n + 1, sizeof(*all));
	size_t k = 0;
	buf_t b;

	if (all == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		all[k++] = fields[i];
	if (passphrase != NULL)
		all[k++] = (struct gw_field){ "passphrase", passphrase };
	qsort(all, k, sizeof(*all), cmp_field);	/* strcmp is byte-wise, like ksort */
	buf_init(&b, NULL);
	for (size_t i = 0; i < k; i++)
		if (all[i].value != NULL && all[i].value[0] != '\0')
			put_pair(&b, all[i].name, all[i].value, strlen(all[i].value));
	md5_hex(b.data != NULL ? b.data : "", b.len, sig);
	buf_free(&b);
	free(all);
}

const char *
payfast_api_timestamp(arena_t *a, time_t t)
{
	struct tm tm;
	char s[32];

	t += 2 * 3600;		/* SAST is UTC+2 all year */
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S+02:00", &tm);
	return arena_strdup(a, s);
}

/* The first @max bytes of @s, cut back to a UTF-8 sequence boundary. */
static const char *
cut_utf8(arena_t *a, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return s;
	n = max;
	/* Step back over continuation bytes to the start of a sequence. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return arena_strndup(a, s, n);
}

/* Append @name = trimmed @value to the form unless the value is empty. */
static void
add_field(arena_t *a, struct gw_start *out, size_t cap, const char *name, const char *value)
{
	size_t len;
	const char *v;

	if (value == NULL || out->nfields >= cap)
		return;
	v = php_trim(value, &len);
	if (len == 0)
		return;
	out->fields[out->nfields].name = name;
	out->fields[out->nfields].value = arena_strndup(a, v, len);
	out->nfields++;
}

int
payfast_checkout_fields(arena_t *a, const struct souk_config *cfg,
    const struct gw_payment *p, struct gw_start *out, char *err, size_t errlen)
{
	enum { CAP = 16 };
	char sig[PAYFAST_SIG_SIZE];
	const char *first = NULL, *last = NULL, *sp;

	memset(out, 0, sizeof(*out));
	if (p->currency == NULL || strcmp(p->currency, "ZAR") != 0) {
		snprintf(err, errlen, "PayFast takes ZAR only");
		return GW_EUNSUPPORTED;
	}
	if (p->amount_minor <= 0) {
		snprintf(err, errlen, "amount must be positive");
		return GW_EUNSUPPORTED;
	}
	if (cfg->payfast_merchant_id == NULL || *cfg->payfast_merchant_id == '\0' ||
	    cfg->payfast_merchant_key == NULL || *cfg->payfast_merchant_key == '\0' ||
	    cfg->payfast_process_url == NULL || *cfg->payfast_process_url == '\0') {
		snprintf(err, errlen, "PayFast merchant id, key or process URL not configured");
		return GW_ECONFIG;
	}
	/* "Thandi Mokoena" -> name_first "Thandi", name_last "Mokoena". */
	if (p->buyer_name != NULL && *p->buyer_name != '\0') {
		if ((sp = strchr(p->buyer_name, ' ')) != NULL) {
			first = arena_strndup(a, p->buyer_name, (size_t)(sp - p->buyer_name));
			last = sp + 1;
		} else
			first = p->buyer_name;
		first = cut_utf8(a, first, 100);
		last = last != NULL ? cut_utf8(a, last, 100) : NULL;
	}
	out->post = 1;
	out->url = cfg->payfast_process_url;
	out->fields = arena_calloc(a, CAP, sizeof(*out->fields));
	/* In §1.2 order, which the form keeps too. */
	add_field(a, out, CAP, "merchant_id", cfg->payfast_merchant_id);
	add_field(a, out, CAP, "merchant_key", cfg->payfast_merchant_key);
	add_field(a, out, CAP, "return_url", p->return_url);
	add_field(a, out, CAP, "cancel_url", p->cancel_url);
	add_field(a, out, CAP, "notify_url", p->notify_url);
	add_field(a, out, CAP, "name_first", first);
	add_field(a, out, CAP, "name_last", last);
	add_field(a, out, CAP, "email_address",
	    p->buyer_email != NULL ? cut_utf8(a, p->buyer_email, 100) : NULL);
	add_field(a, out, CAP, "m_payment_id", p->reference);
	add_field(a, out, CAP, "amount", gateway_minor_to_decimal(a, p->amount_minor));
	add_field(a, out, CAP, "item_name",
	    cut_utf8(a, p->item_name != NULL && *p->item_name != '\0' ? p->item_name :
	    p->reference, 100));
	payfast_checkout_signature(out->fields, out->nfields, cfg->payfast_passphrase, sig);
	out->fields[out->nfields].name = "signature";
	out->fields[out->nfields].value = arena_strdup(a, sig);
	out->nfields++;
	out->gateway_txn_id = NULL;
	return GW_OK;
}

#ifndef GW_PROTOCOL_ONLY

#include <jansson.h>

#include "core/log.h"

static int
pf_start(const struct gw_ctx *c, const struct gw_payment *p, struct gw_start *out,
    char *err, size_t errlen)
{
	return payfast_checkout_fields(c->arena, c->cfg, p, out, err, errlen);
}

static int
pf_verify(const struct gw_ctx *c, const struct gw_http *in, struct gw_notice *out,
    struct gw_ack *ack, char *err, size_t errlen)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL
	};
	const struct souk_config *cfg = c->cfg;
	const char *vbody, *resp;
	size_t resp_len;
	long status;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	gateway_ack_plain(ack, 400);
	if (in->content_type != NULL &&
	    strncasecmp(in->content_type, "application/x-www-form-urlencoded", 33) != 0) {
		snprintf(err, errlen, "ITN content type not a form");
		return GW_EREJECT;
	}
	/* 2. Source: an address in the configured allow-list. */
	if (!gateway_ip_allowed(in->remote_addr, cfg->payfast_itn_allow, cfg->gateway_test_mode)) {
		gateway_ack_plain(ack, 403);
		snprintf(err, errlen, "ITN from a source outside the allow-list");
		return GW_EREJECT;
	}
	/* 1. Signature (and our merchant id). */
	rc = payfast_itn_check(c->arena, in->body != NULL ? in->body : "", in->body_len,
	    cfg->payfast_passphrase, cfg->payfast_merchant_id, out, &vbody, err, errlen);
	if (rc != GW_OK)
		return rc;
	/* 4. Server confirmation: the parameter string, no signature, no passphrase. */
	rc = gateway_http(c->arena, "POST", cfg->payfast_validate_url, hdrs, vbody,
	    strlen(vbody), cfg->gateway_timeout, &status, &resp, &resp_len, err, errlen);
	if (rc != GW_OK || status >= 500 || status == 429) {
		if (rc == GW_OK)
			snprintf(err, errlen, "ITN validation answered HTTP %ld", status);
		gateway_ack_plain(ack, 503);
		return rc == GW_ECONFIG ? GW_ECONFIG : GW_ETEMP;
	}
	if (status != 200 || !payfast_validate_answer(resp, resp_len)) {
		snprintf(err, errlen, "ITN validation did not answer VALID (HTTP %ld)", status);
		return GW_EREJECT;
	}
	/* PayFast stops retrying on a 200; the body is ignored. */
	gateway_ack_plain(ack, 200);
	return GW_OK;
}

/*
 * One signed REST API call (§1.7): headers merchant-id, version,
 * timestamp, signature over the headers, @body fields and the query
 * ("testing=true" in test mode) plus the passphrase, sorted.  @body
 * fields are sent form-encoded; @nbody 0 with "GET" sends no body.
 * The answer JSON goes to *@json (caller json_decref()s it).
 */
static int
pf_api(const struct gw_ctx *c, const char *method, const char *path,
    const struct gw_field *body, size_t nbody, json_t **json, char *err, size_t errlen)
{
	const struct souk_config *cfg = c->cfg;
	arena_t *a = c->arena;
	struct gw_field *all;
	char sig[PAYFAST_SIG_SIZE];
	const char *ts, *hdrs[7], *resp, *url;
	size_t k = 0, resp_len;
	json_error_t jerr;
	long status;
	buf_t form;
	int rc;

	*json = NULL;
	if (cfg->payfast_api_url == NULL || *cfg->payfast_api_url == '\0' ||
	    cfg->payfast_merchant_id == NULL || *cfg->payfast_merchant_id == '\0' ||
	    cfg->payfast_passphrase == NULL || *cfg->payfast_passphrase == '\0') {
		snprintf(err, errlen, "PayFast API URL, merchant id or passphrase not configured");
		return GW_ECONFIG;
	}
	ts = payfast_api_timestamp(a, gateway_now(c));
	all = arena_calloc(a, nbody + 4, sizeof(*all));
	all[k++] = (struct gw_field){ "merchant-id", cfg->payfast_merchant_id };
	all[k++] = (struct gw_field){ "version", "v1" };
	all[k++] = (struct gw_field){ "timestamp", ts };
	if (cfg->gateway_test_mode)
		all[k++] = (struct gw_field){ "testing", "true" };
	for (size_t i = 0; i < nbody; i++)
		all[k++] = body[i];
	payfast_api_signature(all, k, cfg->payfast_passphrase, sig);

	buf_init(&form, a);
	for (size_t i = 0; i < nbody; i++)
		if (body[i].value != NULL && body[i].value[0] != '\0')
			put_pair(&form, body[i].name, body[i].value, strlen(body[i].value));
	url = arena_printf(a, "%s%s%s", cfg->payfast_api_url, path,
	    cfg->gateway_test_mode ? "?testing=true" : "");
	hdrs[0] = arena_printf(a, "merchant-id: %s", cfg->payfast_merchant_id);
	hdrs[1] = "version: v1";
	hdrs[2] = arena_printf(a, "timestamp: %s", ts);
	hdrs[3] = arena_printf(a, "signature: %s", sig);
	hdrs[4] = "Accept: application/json";
	hdrs[5] = nbody > 0 ? "Content-Type: application/x-www-form-urlencoded" : NULL;
	hdrs[6] = NULL;
	rc = gateway_http(a, method, url, hdrs, nbody > 0 ? buf_cstr(&form) : NULL,
	    form.len, cfg->gateway_timeout, &status, &resp, &resp_len, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (status >= 500 || status == 429) {
		snprintf(err, errlen, "PayFast API answered HTTP %ld", status);
		return GW_ETEMP;
	}
	*json = json_loadb(resp, resp_len, 0, &jerr);
	if (status < 200 || status > 299) {
		json_t *m = *json != NULL ? json_object_get(*json, "data") : NULL;

		m = m != NULL ? json_object_get(m, "message") : NULL;
		snprintf(err, errlen, "PayFast API answered HTTP %ld%s%.200s", status,
		    json_is_string(m) ? ": " : "", json_is_string(m) ? json_string_value(m) : "");
		json_decref(*json);
		*json = NULL;
		return GW_EREJECT;
	}
	if (*json == NULL) {
		snprintf(err, errlen, "PayFast API answer is not JSON");
		return GW_EREJECT;
	}
	return GW_OK;
}

/* A string or integer member of @o as text in @a, or NULL. */
static const char *
json_text(arena_t *a, json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	if (json_is_string(v))
		return arena_strdup(a, json_string_value(v));
	if (json_is_integer(v))
		return arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return NULL;
}

/*
 * refund - POST /refunds/{pf_payment_id} with amount (cents), reason and
 * notify_buyer=1 (§1.7).  The refund id is read from data.refund_id,
 * data.id or id of the answer [UNCONFIRMED field names, §8]; when none
 * is present the refund is recorded under the pf_payment_id.  PayFast
 * takes no idempotency key: the caller's refunds row guards repeats.
 */
static int
pf_refund(const struct gw_ctx *c, const struct gw_refund *r, const char **out_id,
    char *err, size_t errlen)
{
	struct gw_field body[3];
	const char *id = NULL;
	json_t *j, *data;
	int rc;

	*out_id = NULL;
	if (r->gateway_txn_id == NULL || *r->gateway_txn_id == '\0' ||
	    strspn(r->gateway_txn_id, "0123456789") != strlen(r->gateway_txn_id)) {
		snprintf(err, errlen, "refund needs the numeric pf_payment_id");
		return GW_EREJECT;
	}
	if (r->amount_minor <= 0 || (r->paid_minor > 0 && r->amount_minor > r->paid_minor)) {
		snprintf(err, errlen, "refund amount out of range");
		return GW_EREJECT;
	}
	body[0] = (struct gw_field){ "amount", arena_printf(c->arena, "%" PRId64, r->amount_minor) };
	body[1] = (struct gw_field){ "reason", r->reason != NULL && *r->reason != '\0' ?
	    r->reason : "Order cancelled" };
	body[2] = (struct gw_field){ "notify_buyer", "1" };
	rc = pf_api(c, "POST", arena_printf(c->arena, "/refunds/%s", r->gateway_txn_id),
	    body, 3, &j, err, errlen);
	if (rc != GW_OK)
		return rc;
	data = json_object_get(j, "data");
	if ((id = json_text(c->arena, data, "refund_id")) == NULL &&
	    (id = json_text(c->arena, data, "id")) == NULL &&
	    (id = json_text(c->arena, j, "id")) == NULL)
		id = r->gateway_txn_id;
	json_decref(j);
	*out_id = id;
	return GW_OK;
}

/*
 * query - GET /process/query/{pf_payment_id} (§1.7).  Reads
 * payment_status (or status), amount_gross (major units, "123.00") or
 * else amount (an integer in cents, as the API counts) and m_payment_id
 * from data.response, data or the top level [UNCONFIRMED field names].
 */
static int
pf_query(const struct gw_ctx *c, const char *reference, const char *gateway_txn_id,
    struct gw_notice *out, char *err, size_t errlen)
{
	json_t *j, *o, *data, *cents;
	const char *st, *amt, *ref;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (gateway_txn_id == NULL || *gateway_txn_id == '\0' ||
	    strspn(gateway_txn_id, "0123456789") != strlen(gateway_txn_id)) {
		snprintf(err, errlen, "PayFast can be queried only by pf_payment_id");
		return GW_EUNSUPPORTED;
	}
	rc = pf_api(c, "GET", arena_printf(c->arena, "/process/query/%s", gateway_txn_id),
	    NULL, 0, &j, err, errlen);
	if (rc != GW_OK)
		return rc;
	data = json_object_get(j, "data");
	o = json_is_object(json_object_get(data, "response")) ?
	    json_object_get(data, "response") : json_is_object(data) ? data : j;
	if ((st = json_text(c->arena, o, "payment_status")) == NULL)
		st = json_text(c->arena, o, "status");
	amt = json_text(c->arena, o, "amount_gross");
	cents = json_object_get(o, "amount");
	if (amt == NULL && json_is_integer(cents) && json_integer_value(cents) >= 0)
		out->amount_minor = (int64_t)json_integer_value(cents);
	ref = json_text(c->arena, o, "m_payment_id");
	json_decref(j);
	if (st == NULL) {
		snprintf(err, errlen, "PayFast query answer has no status");
		return GW_EREJECT;
	}
	out->status_word = st;
	out->event_id = arena_printf(c->arena, "%s:%s", gateway_txn_id, st);
	out->reference = ref != NULL ? ref : reference;
	out->gateway_txn_id = gateway_txn_id;
	if (amt != NULL && gateway_decimal_to_minor(amt, &out->amount_minor) != 0)
		out->amount_minor = -1;
	if (strcasecmp(st, "COMPLETE") == 0)
		out->status = GW_PAID;
	else if (strcasecmp(st, "CANCELLED") == 0)
		out->status = GW_CANCELLED;
	else if (strcasecmp(st, "FAILED") == 0)
		out->status = GW_FAILED;
	else
		out->status = GW_PENDING;
	return GW_OK;
}

const gateway_t gateway_payfast = {
	.name = "payfast",
	.label = "PayFast (card)",
	.currencies = "ZAR",
	.start = pf_start,
	.verify = pf_verify,
	.query = pf_query,
	.refund = pf_refund,
	.payout = NULL,		/* sellers are paid by bank-transfer file */
};

#endif /* !GW_PROTOCOL_ONLY */
