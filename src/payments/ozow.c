/*
 * ozow.c - Ozow instant EFT (../shared/docs/payment-gateways.md §2): the
 * payment request posted by the browser with its SHA-512 HashCheck
 * (§2.2), the notification checked by its Hash (§2.3) and, for a
 * Complete one, cross-checked with the transaction status API (§2.4), and
 * refunds through the token + refunds/submit API (§2.6).  Ozow has no
 * payouts.
 *
 * Built with -DGW_PROTOCOL_ONLY (tests/fuzz/run.sh) this file holds only
 * the pure protocol functions of ozow.h.
 */
#include "payments/ozow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "http/parse.h"

void
ozow_hash(const char *const *values, size_t n, const char *private_key,
    char out[OZOW_HASH_SIZE])
{
	unsigned char md[crypto_hash_sha512_BYTES];
	buf_t b;

	buf_init(&b, NULL);
	for (size_t i = 0; i < n; i++)
		buf_puts(&b, values[i]);
	buf_puts(&b, private_key);
	/* Lower-case the whole string, values and key alike (ASCII only). */
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] >= 'A' && b.data[i] <= 'Z')
			b.data[i] = (char)(b.data[i] - 'A' + 'a');
	crypto_hash_sha512(md, (const unsigned char *)(b.data != NULL ? b.data : ""), b.len);
	sodium_bin2hex(out, OZOW_HASH_SIZE, md, sizeof(md));
	buf_free(&b);
}

enum gw_status
ozow_status(const char *w)
{
	if (w == NULL)
		return GW_IGNORED;
	if (strcasecmp(w, "Complete") == 0)
		return GW_PAID;
	if (strcasecmp(w, "Cancelled") == 0 || strcasecmp(w, "Abandoned") == 0)
		return GW_CANCELLED;
	if (strcasecmp(w, "Error") == 0)
		return GW_FAILED;
	if (strcasecmp(w, "Pending") == 0 || strcasecmp(w, "PendingInvestigation") == 0)
		return GW_PENDING;
	return GW_IGNORED;
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

int
ozow_request_fields(arena_t *a, const struct souk_config *cfg,
    const struct gw_payment *p, struct gw_start *out, char *err, size_t errlen)
{
	enum { CAP = 16 };
	const char *urls[4] = { p->cancel_url, p->cancel_url, p->return_url, p->notify_url };
	const char *vals[CAP];
	char hash[OZOW_HASH_SIZE], *bank;
	size_t n = 0, len;

	memset(out, 0, sizeof(*out));
	if (p->currency == NULL || strcmp(p->currency, "ZAR") != 0 || p->amount_minor <= 0) {
		snprintf(err, errlen, "Ozow takes positive ZAR amounts only");
		return GW_EUNSUPPORTED;
	}
	if (empty(cfg->ozow_site_code) || empty(cfg->ozow_private_key) || empty(cfg->ozow_pay_url)) {
		snprintf(err, errlen, "Ozow site code, private key or pay URL not configured");
		return GW_ECONFIG;
	}
	if (empty(p->reference) || strlen(p->reference) > 50) {
		snprintf(err, errlen, "Ozow TransactionReference must be 1-50 bytes");
		return GW_EUNSUPPORTED;
	}
	for (size_t i = 0; i < 4; i++)
		if (urls[i] == NULL || strlen(urls[i]) > 150) {
			snprintf(err, errlen, "Ozow URLs must be at most 150 bytes");
			return GW_EUNSUPPORTED;
		}
	/* BankReference: <= 20 of letters, digits, spaces and '-'. */
	len = strlen(p->reference) > 20 ? 20 : strlen(p->reference);
	bank = arena_strndup(a, p->reference, len);
	for (size_t i = 0; i < len; i++) {
		char ch = bank[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == ' ' || ch == '-'))
			bank[i] = '-';
	}
	out->post = 1;
	out->url = cfg->ozow_pay_url;
	out->fields = arena_calloc(a, CAP, sizeof(*out->fields));
#define ADD(k, v) do { \
		out->fields[n].name = (k); out->fields[n].value = (v); vals[n] = (v); n++; \
	} while (0)
	ADD("SiteCode", cfg->ozow_site_code);
	ADD("CountryCode", "ZA");
	ADD("CurrencyCode", "ZAR");
	ADD("Amount", gateway_minor_to_decimal(a, p->amount_minor));
	ADD("TransactionReference", p->reference);
	ADD("BankReference", bank);
	if (!empty(p->buyer_name)) {
		/* <= 100 bytes, cut at a UTF-8 boundary. */
		len = strlen(p->buyer_name);
		if (len > 100)
			for (len = 100; len > 0 && ((unsigned char)p->buyer_name[len] & 0xc0) == 0x80;)
				len--;
		ADD("Customer", arena_strndup(a, p->buyer_name, len));
	}
	ADD("CancelUrl", p->cancel_url);
	ADD("ErrorUrl", p->cancel_url);
	ADD("SuccessUrl", p->return_url);
	ADD("NotifyUrl", p->notify_url);
	ADD("IsTest", cfg->gateway_test_mode ? "true" : "false");
#undef ADD
	ozow_hash(vals, n, cfg->ozow_private_key, hash);
	out->fields[n].name = "HashCheck";
	out->fields[n].value = arena_strdup(a, hash);
	out->nfields = n + 1;
	out->gateway_txn_id = NULL;
	return GW_OK;
}

int
ozow_notify_check(arena_t *a, const char *body, size_t len, const char *private_key,
    const char *site_code, struct ozow_notify *n, struct gw_notice *out,
    char *err, size_t errlen)
{
	/* §2.3 hash order; Hash itself is last and not hashed. */
	static const char *const order[] = {
		"SiteCode", "TransactionId", "TransactionReference", "Amount", "Status",
		"Optional1", "Optional2", "Optional3", "Optional4", "Optional5",
		"CurrencyCode", "IsTest", "StatusMessage",
	};
	enum { NORDER = sizeof(order) / sizeof(order[0]) };
	static const struct parse_limits lim = { 64, 64, 1024 };
	const char *vals[NORDER], *hash;
	char want[OZOW_HASH_SIZE], got[OZOW_HASH_SIZE];
	struct ozow_notify tmp;
	kvlist_t l;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (n == NULL)
		n = &tmp;
	memset(n, 0, sizeof(*n));
	if ((rc = http_parse_urlencoded(a, body, len, &lim, &l)) != PARSE_OK) {
		snprintf(err, errlen, "Ozow notification body: %s", parse_strerror(rc));
		return GW_EREJECT;
	}
	for (size_t i = 0; i < l.n; i++)
		if (kv_count(&l, l.items[i].name) != 1) {
			snprintf(err, errlen, "Ozow notification field repeated");
			return GW_EREJECT;
		}
	if ((hash = kv_get(&l, "Hash")) == NULL || strlen(hash) != OZOW_HASH_SIZE - 1) {
		snprintf(err, errlen, "Ozow notification without a valid Hash");
		return GW_EREJECT;
	}
	for (size_t i = 0; i < NORDER; i++)
		vals[i] = kv_get(&l, order[i]) != NULL ? kv_get(&l, order[i]) : "";
	ozow_hash(vals, NORDER, private_key != NULL ? private_key : "", want);
	/* Compare ignoring case: lower-case the posted hex first. */
	for (size_t i = 0; i < OZOW_HASH_SIZE; i++)
		got[i] = hash[i] >= 'A' && hash[i] <= 'Z' ? (char)(hash[i] - 'A' + 'a') : hash[i];
	if (sodium_memcmp(got, want, OZOW_HASH_SIZE - 1) != 0) {
		snprintf(err, errlen, "Ozow notification Hash mismatch");
		return GW_EREJECT;
	}
	n->site_code = vals[0];
	n->transaction_id = vals[1];
	n->reference = vals[2];
	n->amount = vals[3];
	n->status = vals[4];
	n->currency = vals[10];
	n->is_test = strcasecmp(vals[11], "true") == 0;
	if (empty(n->transaction_id) || empty(n->reference) || empty(n->amount) ||
	    empty(n->status)) {
		snprintf(err, errlen, "Ozow notification field missing");
		return GW_EREJECT;
	}
	if (!empty(site_code) && strcmp(n->site_code, site_code) != 0) {
		snprintf(err, errlen, "Ozow notification for another site");
		return GW_EREJECT;
	}
	if (gateway_decimal_to_minor(n->amount, &out->amount_minor) != 0) {
		out->amount_minor = -1;
		snprintf(err, errlen, "Ozow notification Amount malformed");
		return GW_EREJECT;
	}
	out->event_id = arena_printf(a, "%s:%s", n->transaction_id, n->status);
	out->reference = n->reference;
	out->gateway_txn_id = n->transaction_id;
	out->status = ozow_status(n->status);
	out->status_word = n->status;
	out->currency = empty(n->currency) ? NULL : n->currency;
	return GW_OK;
}

/* ---- raw JSON literals: amounts are read from their text, never as doubles ---- */

static size_t
ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* The index after the JSON string starting at s[i] == '"', or 0. */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* The index after the JSON value starting at s[i], or 0 (no recursion). */
static size_t
skip_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	if (i >= len)
		return 0;
	if (s[i] != '{' && s[i] != '[') {
		if (s[i] == '"')
			return skip_string(s, len, i);
		while (i < len && strchr(",}] \t\r\n", s[i]) == NULL)
			i++;
		return i;
	}
	for (; i < len; i++) {
		if (s[i] == '"') {
			if ((i = skip_string(s, len, i)) == 0)
				return 0;
			i--;
		} else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
			return i + 1;
	}
	return 0;
}

/*
 * The raw text of member @key directly inside the object at s[i] (no
 * escapes in the key).  The JSON was already validated by jansson, the
 * bounds are still checked.  Returns 0 and sets @v/@vlen, or -1.
 */
static int
raw_member(const char *s, size_t len, size_t i, const char *key, const char **v, size_t *vlen)
{
	size_t klen = strlen(key), e;

	i = ws(s, len, i);
	if (i >= len || s[i] != '{')
		return -1;
	for (i++;;) {
		i = ws(s, len, i);
		if (i >= len || s[i] != '"')
			return -1;
		if ((e = skip_string(s, len, i)) == 0)
			return -1;
		int match = e - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0;

		i = ws(s, len, e);
		if (i >= len || s[i] != ':')
			return -1;
		i = ws(s, len, i + 1);
		if ((e = skip_value(s, len, i)) == 0)
			return -1;
		if (match) {
			*v = s + i;
			*vlen = e - i;
			return 0;
		}
		i = ws(s, len, e);
		if (i >= len || s[i] != ',')
			return -1;
		i++;
	}
}

/* The offset of element @idx of the array at s[i], or (size_t)-1. */
static size_t
raw_element(const char *s, size_t len, size_t i, size_t idx)
{
	i = ws(s, len, i);
	if (i >= len || s[i] != '[')
		return (size_t)-1;
	i++;
	for (size_t k = 0;; k++) {
		size_t e;

		i = ws(s, len, i);
		if (k == idx)
			return i;
		if ((e = skip_value(s, len, i)) == 0)
			return (size_t)-1;
		i = ws(s, len, e);
		if (i >= len || s[i] != ',')
			return (size_t)-1;
		i++;
	}
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
ozow_transaction_parse(arena_t *a, const char *json, size_t len,
    const char *transaction_id, struct gw_notice *out, char *err, size_t errlen)
{
	json_t *root, *o = NULL, *amt;
	size_t idx = 0, off = 0, rlen;
	const char *id, *st, *ref, *raw;
	int rc = GW_EREJECT;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		snprintf(err, errlen, "Ozow status answer is not JSON");
		return GW_EREJECT;
	}
	if (json_is_object(root))
		o = root;
	else if (json_is_array(root)) {
		json_t *e;
		size_t i;

		json_array_foreach(root, i, e) {
			if (!json_is_object(e))
				continue;
			if (!empty(transaction_id)) {
				if (jstr(e, "transactionId") != NULL &&
				    strcasecmp(jstr(e, "transactionId"), transaction_id) == 0) {
					o = e, idx = i;
					break;
				}
			} else if (o == NULL || (ozow_status(jstr(e, "status")) == GW_PAID &&
			    ozow_status(jstr(o, "status")) != GW_PAID))
				o = e, idx = i;
		}
		if (o != NULL && (off = raw_element(json, len, 0, idx)) == (size_t)-1)
			o = NULL;
	}
	if (o == NULL) {
		snprintf(err, errlen, "Ozow status answer has no such transaction");
		goto out;
	}
	id = jstr(o, "transactionId");
	st = jstr(o, "status");
	ref = jstr(o, "transactionReference");
	if (empty(id) || empty(st)) {
		snprintf(err, errlen, "Ozow status answer lacks transactionId or status");
		goto out;
	}
	if (json_is_object(root) && !empty(transaction_id) && strcasecmp(id, transaction_id) != 0) {
		snprintf(err, errlen, "Ozow status answer is for another transaction");
		goto out;
	}
	amt = json_object_get(o, "amount");
	if (json_is_string(amt))
		raw = arena_strdup(a, json_string_value(amt));
	else if (json_is_number(amt) && raw_member(json, len, off, "amount", &raw, &rlen) == 0)
		raw = arena_strndup(a, raw, rlen);
	else
		raw = NULL;
	if (raw == NULL || gateway_decimal_to_minor(raw, &out->amount_minor) != 0) {
		out->amount_minor = -1;
		snprintf(err, errlen, "Ozow status answer amount malformed");
		goto out;
	}
	out->gateway_txn_id = arena_strdup(a, id);
	out->status_word = arena_strdup(a, st);
	out->reference = ref != NULL ? arena_strdup(a, ref) : NULL;
	out->event_id = arena_printf(a, "%s:%s", id, st);
	out->status = ozow_status(st);
	out->currency = NULL;
	rc = GW_OK;
out:
	json_decref(root);
	return rc;
}

#ifndef GW_PROTOCOL_ONLY

static int
oz_start(const struct gw_ctx *c, const struct gw_payment *p, struct gw_start *out,
    char *err, size_t errlen)
{
	return ozow_request_fields(c->arena, c->cfg, p, out, err, errlen);
}

/* GET GetTransaction / GetTransactionByReference (§2.4) into @out. */
static int
oz_status_api(const struct gw_ctx *c, const char *reference, const char *txn_id,
    struct gw_notice *out, char *err, size_t errlen)
{
	const struct souk_config *cfg = c->cfg;
	const char *hdrs[3], *resp;
	size_t resp_len;
	long status;
	buf_t url;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	if (empty(cfg->ozow_api_url) || empty(cfg->ozow_api_key) || empty(cfg->ozow_site_code)) {
		snprintf(err, errlen, "Ozow API URL, API key or site code not configured");
		return GW_ECONFIG;
	}
	buf_init(&url, c->arena);
	buf_puts(&url, cfg->ozow_api_url);
	if (!empty(txn_id)) {
		buf_puts(&url, "/GetTransaction?siteCode=");
		url_encode(&url, cfg->ozow_site_code, strlen(cfg->ozow_site_code));
		buf_puts(&url, "&transactionId=");
		url_encode(&url, txn_id, strlen(txn_id));
	} else if (!empty(reference)) {
		buf_puts(&url, "/GetTransactionByReference?siteCode=");
		url_encode(&url, cfg->ozow_site_code, strlen(cfg->ozow_site_code));
		buf_puts(&url, "&transactionReference=");
		url_encode(&url, reference, strlen(reference));
	} else {
		snprintf(err, errlen, "Ozow query needs a TransactionId or reference");
		return GW_EREJECT;
	}
	buf_puts(&url, cfg->gateway_test_mode ? "&isTest=true" : "&isTest=false");
	hdrs[0] = arena_printf(c->arena, "ApiKey: %s", cfg->ozow_api_key);
	hdrs[1] = "Accept: application/json";
	hdrs[2] = NULL;
	rc = gateway_http(c->arena, "GET", buf_cstr(&url), hdrs, NULL, 0, cfg->gateway_timeout,
	    &status, &resp, &resp_len, err, errlen);
	if (rc != GW_OK)
		return rc;
	if (status >= 500 || status == 429) {
		snprintf(err, errlen, "Ozow status API answered HTTP %ld", status);
		return GW_ETEMP;
	}
	if (status != 200) {
		snprintf(err, errlen, "Ozow status API answered HTTP %ld", status);
		return GW_EREJECT;
	}
	return ozow_transaction_parse(c->arena, resp, resp_len, txn_id, out, err, errlen);
}

static int
oz_verify(const struct gw_ctx *c, const struct gw_http *in, struct gw_notice *out,
    struct gw_ack *ack, char *err, size_t errlen)
{
	const struct souk_config *cfg = c->cfg;
	struct ozow_notify n;
	struct gw_notice api;
	int rc;

	memset(out, 0, sizeof(*out));
	out->amount_minor = -1;
	gateway_ack_plain(ack, 400);
	if (empty(cfg->ozow_private_key)) {
		gateway_ack_plain(ack, 503);
		snprintf(err, errlen, "Ozow private key not configured");
		return GW_ECONFIG;
	}
	if (in->content_type != NULL &&
	    strncasecmp(in->content_type, "application/x-www-form-urlencoded", 33) != 0) {
		snprintf(err, errlen, "Ozow notification content type not a form");
		return GW_EREJECT;
	}
	rc = ozow_notify_check(c->arena, in->body != NULL ? in->body : "", in->body_len,
	    cfg->ozow_private_key, cfg->ozow_site_code, &n, out, err, errlen);
	if (rc != GW_OK)
		return rc;
	/* A test transaction never pays anything in production. */
	if (n.is_test && !cfg->gateway_test_mode) {
		out->status = GW_IGNORED;
		gateway_ack_plain(ack, 200);
		return GW_OK;
	}
	/* §2.3: a Complete notification is confirmed by the status API. */
	if (out->status == GW_PAID) {
		rc = oz_status_api(c, NULL, n.transaction_id, &api, err, errlen);
		if (rc == GW_ETEMP || rc == GW_ECONFIG) {
			gateway_ack_plain(ack, 503);
			return rc;
		}
		if (rc != GW_OK)
			return rc;
		if (api.status != GW_PAID || api.amount_minor != out->amount_minor ||
		    api.reference == NULL || strcmp(api.reference, out->reference) != 0) {
			snprintf(err, errlen, "Ozow status API does not confirm the notification"
			    " (%s)", api.status_word);
			return GW_EREJECT;
		}
	}
	gateway_ack_plain(ack, 200);
	return GW_OK;
}

static int
oz_query(const struct gw_ctx *c, const char *reference, const char *gateway_txn_id,
    struct gw_notice *out, char *err, size_t errlen)
{
	return oz_status_api(c, reference, gateway_txn_id, out, err, errlen);
}

/*
 * refund - §2.6: a bearer token from POST /token (ApiKey header, form
 * grant_type=password&SiteCode=...), then POST /secure/refunds/submit
 * with a one-element JSON array carrying HashCheck = sha512(lower(
 * transactionId + amount + refundReason + notifyUrl + PrivateKey)).
 * notifyUrl is "" (refund notifications are not used).  Ozow takes no
 * idempotency key: the caller's refunds row guards repeats.
 */
static int
oz_refund(const struct gw_ctx *c, const struct gw_refund *r, const char **out_id,
    char *err, size_t errlen)
{
	const struct souk_config *cfg = c->cfg;
	arena_t *a = c->arena;
	const char *hdrs[4], *resp, *amount, *reason, *token, *v[4];
	char hash[OZOW_HASH_SIZE], *body;
	size_t resp_len;
	json_t *j, *e, *errs;
	long status;
	buf_t form;
	int rc;

	*out_id = NULL;
	if (empty(cfg->ozow_api_url) || empty(cfg->ozow_api_key) || empty(cfg->ozow_site_code) ||
	    empty(cfg->ozow_private_key)) {
		snprintf(err, errlen, "Ozow API URL, keys or site code not configured");
		return GW_ECONFIG;
	}
	if (empty(r->gateway_txn_id) || r->amount_minor <= 0 ||
	    (r->paid_minor > 0 && r->amount_minor > r->paid_minor)) {
		snprintf(err, errlen, "Ozow refund needs the TransactionId and 0 < amount <= paid");
		return GW_EREJECT;
	}
	/* 1. The token. */
	buf_init(&form, a);
	buf_puts(&form, "grant_type=password&SiteCode=");
	url_encode(&form, cfg->ozow_site_code, strlen(cfg->ozow_site_code));
	hdrs[0] = arena_printf(a, "ApiKey: %s", cfg->ozow_api_key);
	hdrs[1] = "Content-Type: application/x-www-form-urlencoded";
	hdrs[2] = "Accept: application/json";
	hdrs[3] = NULL;
	rc = gateway_http(a, "POST", arena_printf(a, "%s/token", cfg->ozow_api_url), hdrs,
	    buf_cstr(&form), form.len, cfg->gateway_timeout, &status, &resp, &resp_len,
	    err, errlen);
	if (rc != GW_OK)
		return rc;
	if (status != 200) {
		snprintf(err, errlen, "Ozow token answered HTTP %ld", status);
		return status >= 500 || status == 429 ? GW_ETEMP : GW_EREJECT;
	}
	j = json_loadb(resp, resp_len, 0, NULL);
	token = jstr(j, "access_token") != NULL ? arena_strdup(a, jstr(j, "access_token")) : NULL;
	json_decref(j);
	if (empty(token)) {
		snprintf(err, errlen, "Ozow token answer has no access_token");
		return GW_EREJECT;
	}
	/* 2. The refund. */
	amount = gateway_minor_to_decimal(a, r->amount_minor);
	reason = !empty(r->reason) ? r->reason : "Order cancelled";
	v[0] = r->gateway_txn_id, v[1] = amount, v[2] = reason, v[3] = "";
	ozow_hash(v, 4, cfg->ozow_private_key, hash);
	j = json_pack("[{s:s, s:s, s:s, s:s, s:s}]", "transactionId", r->gateway_txn_id,
	    "amount", amount, "refundReason", reason, "notifyUrl", "", "HashCheck", hash);
	if (j == NULL || (body = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		snprintf(err, errlen, "Ozow refund cannot be encoded");
		return GW_EREJECT;
	}
	json_decref(j);
	hdrs[0] = arena_printf(a, "Authorization: Bearer %s", token);
	hdrs[1] = "Content-Type: application/json";
	rc = gateway_http(a, "POST", arena_printf(a, "%s/secure/refunds/submit", cfg->ozow_api_url),
	    hdrs, body, strlen(body), cfg->gateway_timeout, &status, &resp, &resp_len, err, errlen);
	free(body);
	if (rc != GW_OK)
		return rc;
	if (status >= 500 || status == 429) {
		snprintf(err, errlen, "Ozow refund answered HTTP %ld", status);
		return GW_ETEMP;
	}
	j = json_loadb(resp, resp_len, 0, NULL);
	e = json_array_get(j, 0);
	errs = json_object_get(e, "errors");
	if (status != 200 || jstr(e, "refundId") == NULL ||
	    (errs != NULL && !json_is_null(errs) &&
	    !(json_is_array(errs) && json_array_size(errs) == 0))) {
		snprintf(err, errlen, "Ozow refund refused (HTTP %ld)", status);
		json_decref(j);
		return GW_EREJECT;
	}
	*out_id = arena_strdup(a, jstr(e, "refundId"));
	json_decref(j);
	return GW_OK;
}

const gateway_t gateway_ozow = {
	.name = "ozow",
	.label = "Ozow (instant EFT)",
	.currencies = "ZAR",
	.start = oz_start,
	.verify = oz_verify,
	.query = oz_query,
	.refund = oz_refund,
	.payout = NULL,
};

#endif /* !GW_PROTOCOL_ONLY */
