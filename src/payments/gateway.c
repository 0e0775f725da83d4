/*
 * gateway.c - what every gateway adapter shares: the registry, decimal
 * money strings without floating point, the source-address allow-list,
 * the small context and JSON helpers, and the one outbound HTTPS call
 * (libcurl).
 *
 * The fuzz targets (tests/fuzz/run.sh) compile this file with
 * -DGW_PROTOCOL_ONLY: then only the pure functions (money strings,
 * allow-list, context and JSON helpers) are built, so they link without
 * libcurl and without the six adapters (jansson is still needed).
 */
#include "payments/gateway.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"

#ifndef GW_PROTOCOL_ONLY
#include <curl/curl.h>

#include "core/log.h"

/* The order is the order checkout offers them per currency. */
static const gateway_t *const gateways[] = {
	&gateway_payfast, &gateway_ozow,
	&gateway_stripe, &gateway_paypal,
	&gateway_alipay, &gateway_wechat,
};
#define NGATEWAYS (sizeof(gateways) / sizeof(gateways[0]))

const gateway_t *
gateway_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < NGATEWAYS; i++)
		if (strcmp(gateways[i]->name, name) == 0)
			return gateways[i];
	return NULL;
}

const gateway_t *const *
gateway_all(size_t *n)
{
	if (n != NULL)
		*n = NGATEWAYS;
	return gateways;
}

/* Whether the comma-separated @list (e.g. "USD" or "ZAR,USD") holds @cur. */
static int
list_has(const char *list, const char *cur)
{
	size_t n = strlen(cur);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == n && memcmp(p, cur, n) == 0)
			return 1;
		p = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

size_t
gateway_for_currency(const char *currency, const gateway_t **out, size_t max)
{
	size_t k = 0;

	if (currency == NULL || *currency == '\0')
		return 0;
	for (size_t i = 0; i < NGATEWAYS && k < max; i++)
		if (gateways[i]->currencies != NULL && list_has(gateways[i]->currencies, currency))
			out[k++] = gateways[i];
	return k;
}
#endif /* !GW_PROTOCOL_ONLY */

const char *
gateway_minor_to_decimal(arena_t *a, int64_t minor)
{
	/* The magnitude as unsigned, so INT64_MIN does not overflow. */
	uint64_t m = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

	return arena_printf(a, "%s%" PRIu64 ".%02u", minor < 0 ? "-" : "",
	    m / 100, (unsigned)(m % 100));
}

int
gateway_decimal_to_minor(const char *s, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	int nfrac = 0;
	const char *p = s;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (INT64_MAX / 100 - (*p - '0')) / 10)
			return -1;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (++nfrac > 2)
				return -1;
			frac = frac * 10 + (*p - '0');
		}
		if (nfrac == 0)		/* "12." */
			return -1;
		if (nfrac == 1)
			frac *= 10;
	}
	if (*p != '\0')
		return -1;
	/* whole <= INT64_MAX / 100 here; the fraction may still overflow. */
	if (whole > (INT64_MAX - frac) / 100)
		return -1;
	*out = whole * 100 + frac;
	return 0;
}

/* Strict dotted-quad IPv4 into host order; 0 on success. */
static int
parse_ipv4(const char *s, size_t len, uint32_t *ip)
{
	char tmp[INET_ADDRSTRLEN];
	struct in_addr in;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, &in) != 1)
		return -1;
	*ip = ntohl(in.s_addr);
	return 0;
}

int
gateway_ip_allowed(const char *addr, const char *list, int test_mode)
{
	uint32_t ip, net, mask;
	const char *p;

	if (addr == NULL || list == NULL || parse_ipv4(addr, strlen(addr), &ip) != 0)
		return 0;
	/* Loopback is the simulator: never a gateway in production. */
	if ((ip >> 24) == 127 && !test_mode)
		return 0;
	for (p = list; *p != '\0';) {
		const char *end = strchr(p, ','), *slash;
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		unsigned bits = 32;

		/* Trim spaces around the item. */
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		slash = memchr(p, '/', len);
		if (slash != NULL) {
			const char *d = slash + 1, *e = p + len;

			if (d == e || e - d > 2)
				goto next;
			bits = 0;
			for (; d < e; d++) {
				if (*d < '0' || *d > '9')
					goto next;
				bits = bits * 10 + (unsigned)(*d - '0');
			}
			if (bits > 32)
				goto next;
		}
		if (parse_ipv4(p, slash != NULL ? (size_t)(slash - p) : len, &net) != 0)
			goto next;
		mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
		if ((ip & mask) == (net & mask))
			return 1;
next:
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

time_t
gateway_now(const struct gw_ctx *c)
{
	return c->now != NULL ? c->now() : time(NULL);
}

long
gateway_timeout(const struct gw_ctx *c)
{
	return c->cfg->gateway_timeout > 0 ? c->cfg->gateway_timeout : 20;
}

const char *
gateway_json_str(arena_t *a, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? arena_strdup(a, s) : NULL;
}

const char *
gateway_json_text(arena_t *a, json_t *j)
{
	char *s;
	const char *r;

	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return NULL;
	r = arena_strdup(a, s);
	free(s);
	return r;
}

const char *
gateway_json_body_str(arena_t *a, const char *body, size_t len, size_t flags,
    const char *key)
{
	json_t *j = json_loadb(body, len, flags, NULL);
	const char *s = gateway_json_str(a, j, key);

	json_decref(j);
	return s;
}

void
gateway_ack_plain(struct gw_ack *ack, int status)
{
	ack->status = status;
	ack->content_type = "text/plain";
	ack->body = "";
}

#ifndef GW_PROTOCOL_ONLY

/* A gateway answer larger than this is refused (they are a few KiB). */
#define GW_HTTP_MAX_RESPONSE (1024 * 1024)

struct sink {
	buf_t b;
	int too_big;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (s->b.len + n > GW_HTTP_MAX_RESPONSE) {
		s->too_big = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	buf_append(&s->b, ptr, n);
	return n;
}

int
gateway_http(arena_t *a, const char *method, const char *url,
    const char *const *headers, const char *body, size_t body_len, long timeout,
    long *status, const char **resp, size_t *resp_len, char *err, size_t errlen)
{
	struct curl_slist *hl = NULL, *tmp;
	struct sink s;
	CURLcode cc;
	CURL *h;
	int rc = GW_OK;

	*status = 0;
	*resp = "";
	if (resp_len != NULL)
		*resp_len = 0;
	if (url == NULL || *url == '\0') {
		snprintf(err, errlen, "no URL configured");
		return GW_ECONFIG;
	}
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return GW_ETEMP;
	}
	buf_init(&s.b, NULL);
	s.too_big = 0;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		if ((tmp = curl_slist_append(hl, headers[i])) == NULL) {
			curl_slist_free_all(hl);
			curl_easy_cleanup(h);
			snprintf(err, errlen, "out of memory");
			return GW_ETEMP;
		}
		hl = tmp;
	}
	/* Expect: 100-continue only costs a round trip here. */
	if ((tmp = curl_slist_append(hl, "Expect:")) != NULL)
		hl = tmp;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout > 0 ? timeout : 20L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout > 0 && timeout < 10 ? timeout : 10L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "souk/1");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (method != NULL && strcmp(method, body != NULL ? "POST" : "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);

	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		/* The URL may carry an id but never a secret; the reason is curl's. */
		snprintf(err, errlen, "%s", s.too_big ? "response too large" :
		    curl_easy_strerror(cc));
		rc = GW_ETEMP;
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		*resp = arena_strndup(a, s.b.data != NULL ? s.b.data : "", s.b.len);
		if (resp_len != NULL)
			*resp_len = s.b.len;
	}
	buf_free(&s.b);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return rc;
}

#endif /* !GW_PROTOCOL_ONLY */
