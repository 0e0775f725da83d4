/*
 * gateway.h - one interface for every payment gateway.
 *
 * Each gateway is one file implementing its real protocol as written in
 * ../shared/docs/payment-gateways.md (section numbers below refer to it):
 * payfast.c (§1), ozow.c (§2), stripe.c (§3), paypal.c (§4), alipay.c (§5),
 * wechat.c (§6).  Hosts, keys and allow-lists come from struct souk_config
 * (src/core/config.h); in development and tests they point at
 * tests/tools/souk-paysim.mjs, in production at the real hosts.
 *
 * Money is int64_t minor units of @currency ("USD", "ZAR", "CNY"); a
 * gateway that speaks major units ("123.45") converts with
 * gateway_minor_to_decimal()/gateway_decimal_to_minor(), never floats.
 *
 * Memory: every string a gateway returns is allocated in the arena it was
 * given and lives until that arena is reset; nothing needs freeing.
 *
 * Errors: every call returns GW_OK or one of the negative GW_E* codes and
 * writes a one-line reason (never a secret) into @err.
 */
#ifndef SOUK_PAYMENTS_GATEWAY_H
#define SOUK_PAYMENTS_GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"

enum {
	GW_OK = 0,
	GW_EREJECT = -1,	/* bad signature, foreign source, malformed: refuse, never retry */
	GW_ETEMP = -2,		/* timeout, 5xx, network: nothing changed, try again later */
	GW_EUNSUPPORTED = -3,	/* this gateway cannot do that (e.g. payouts) */
	GW_ECONFIG = -4,	/* a key or URL is missing from the configuration */
};

/* What a verified notification or status query says about a payment. */
enum gw_status {
	GW_PAID = 1,		/* money captured: COMPLETE, Complete, succeeded, TRADE_SUCCESS ... */
	GW_PENDING,		/* not final yet */
	GW_FAILED,		/* declined, error */
	GW_CANCELLED,		/* the buyer abandoned or cancelled */
	GW_IGNORED,		/* an event we do not act on (acknowledge and drop) */
};

/* The shared context of every call. */
struct gw_ctx {
	const struct souk_config *cfg;
	arena_t *arena;				/* where results live */
	time_t (*now)(void);			/* injectable clock (seconds); NULL = time() */
	const char *request_id;			/* for logs */
};

/* One payment to start. */
struct gw_payment {
	const char *reference;		/* payments.reference: [A-Za-z0-9_-]{6,64}, our id */
	int64_t amount_minor;		/* what the gateway must charge */
	const char *currency;
	const char *item_name;		/* shown on the gateway's page (UTF-8, <= 100 bytes) */
	const char *buyer_email;
	const char *buyer_name;		/* may be "" */
	const char *return_url;		/* absolute: the browser after paying */
	const char *cancel_url;		/* absolute: the browser after cancelling */
	const char *notify_url;		/* absolute: server-to-server notification */
	const char *idempotency_key;	/* for outbound API calls (Stripe, WeChat) */
};

/* How the browser goes to the gateway: a GET redirect to @url, or an
 * auto-submitted form POST of @fields (in this order) to @url. */
struct gw_field {
	const char *name;
	const char *value;
};
struct gw_start {
	int post;			/* 1 = form POST of @fields, 0 = redirect to @url */
	const char *url;
	struct gw_field *fields;
	size_t nfields;
	const char *gateway_txn_id;	/* known at start (Stripe pi_..., WeChat prepay_id), else NULL */
};

/* An inbound notification (ITN, callback, webhook), exactly as received. */
struct gw_http {
	const char *remote_addr;	/* the TCP peer as nginx saw it */
	const char *content_type;
	const char *body;		/* the raw body bytes, NUL-terminated */
	size_t body_len;
	/* A request header by its HTTP name ("Stripe-Signature"), or NULL. */
	const char *(*header)(void *ud, const char *name);
	void *ud;
};

/* What a verified notification or a status query found. */
struct gw_notice {
	const char *event_id;		/* the gateway's own id, unique per event: pf_payment_id,
					 * TransactionId+Status, evt_..., notify_id, WeChat id */
	const char *reference;		/* our payments.reference */
	const char *gateway_txn_id;	/* the gateway's id of the payment, or NULL */
	enum gw_status status;
	const char *status_word;	/* the gateway's own status text, for the record */
	int64_t amount_minor;		/* the amount the gateway says it charged; -1 = not stated */
	const char *currency;		/* NULL when the gateway does not state it */
};

/* The acknowledgement a gateway expects, so it stops retrying. */
struct gw_ack {
	int status;			/* HTTP status */
	const char *content_type;
	const char *body;
};

struct gw_refund {
	const char *reference;		/* the payment's reference */
	const char *gateway_txn_id;	/* the gateway's id of the payment */
	int64_t amount_minor;		/* to refund, <= what was paid */
	int64_t paid_minor;		/* what the payment charged */
	const char *currency;
	const char *reason;
	const char *idempotency_key;	/* the same key never refunds twice */
};

struct gw_payout {
	const char *destination;	/* the seller's account at the gateway (acct_..., email) */
	int64_t amount_minor;
	const char *currency;
	const char *source_txn_id;	/* Stripe: the charge the transfer draws on, or NULL */
	const char *idempotency_key;
};

typedef struct gateway {
	const char *name;		/* "payfast", ... as in payments.gateway */
	const char *label;		/* shown to buyers: "PayFast (card)" */
	const char *currencies;		/* the ones it takes: "ZAR", "USD", "CNY" */

	/* start - create the payment at the gateway (API call where the
	 * protocol has one) and tell how to send the browser there. */
	int (*start)(const struct gw_ctx *c, const struct gw_payment *p,
	    struct gw_start *out, char *err, size_t errlen);

	/* verify - check a notification completely: signature (constant
	 * time), source address where the protocol has an allow-list, and
	 * the server-to-server confirmation where the protocol requires one
	 * (PayFast's /eng/query/validate answering VALID).  It does NOT
	 * check the amount against the order: the caller does, because only
	 * it knows the order.  On GW_OK fills @out and @ack; on GW_EREJECT
	 * fills @ack with the answer for a refused notification. */
	int (*verify)(const struct gw_ctx *c, const struct gw_http *in,
	    struct gw_notice *out, struct gw_ack *ack, char *err, size_t errlen);

	/* query - ask the gateway for the payment's status (reconciliation,
	 * and the cross-check some protocols recommend). */
	int (*query)(const struct gw_ctx *c, const char *reference,
	    const char *gateway_txn_id, struct gw_notice *out, char *err, size_t errlen);

	/* refund - refund through the gateway; @out_id gets the gateway's
	 * refund id.  NULL when the gateway has no refund API (the order
	 * refunds to buyer credit instead). */
	int (*refund)(const struct gw_ctx *c, const struct gw_refund *r,
	    const char **out_id, char *err, size_t errlen);

	/* payout - pay a seller through the gateway; @out_id gets the
	 * gateway's transfer id.  NULL when unsupported (bank-transfer file). */
	int (*payout)(const struct gw_ctx *c, const struct gw_payout *p,
	    const char **out_id, char *err, size_t errlen);
} gateway_t;

/* gateway_find - the gateway named @name, or NULL. */
const gateway_t *gateway_find(const char *name);

/* gateway_all - the table of every gateway; *@n gets its length. */
const gateway_t *const *gateway_all(size_t *n);

/*
 * gateway_for_currency - the gateways that take @currency, in the order
 * checkout offers them (ZAR: payfast, ozow; USD: stripe, paypal; CNY:
 * alipay, wechat).  Writes up to @max into @out; returns how many.
 */
size_t gateway_for_currency(const char *currency, const gateway_t **out, size_t max);

/*
 * gateway_minor_to_decimal - "12345" minor -> "123.45" (two decimals; all
 * three currencies have 2).  Returns the string in @a.
 */
const char *gateway_minor_to_decimal(arena_t *a, int64_t minor);

/*
 * gateway_decimal_to_minor - "123.45" or "123.4" or "123" -> 12345.
 * Returns 0, or -1 on anything else (sign, 3 decimals, junk, overflow).
 */
int gateway_decimal_to_minor(const char *s, int64_t *out);

/*
 * gateway_ip_allowed - 1 when @addr (dotted IPv4) is in @list, a comma-
 * separated list of addresses and a.b.c.d/nn ranges, else 0.  Loopback
 * entries (127.0.0.0/8) in @list count only when @test_mode is set, so a
 * production configuration can never accept loopback; in test mode only
 * the loopback addresses listed count (127.0.0.2 stays foreign when the
 * list says 127.0.0.1).
 */
int gateway_ip_allowed(const char *addr, const char *list, int test_mode);

/*
 * What the six adapters share around their protocols (gateway.c).  These
 * are built with -DGW_PROTOCOL_ONLY too (no libcurl); the JSON ones need
 * jansson (json_t is struct json_t).
 */
struct json_t;

/* gateway_now - the current time in seconds from @c->now, or time() when
 * it is NULL.  Never fails. */
time_t gateway_now(const struct gw_ctx *c);

/* gateway_timeout - the whole-call timeout for outbound calls in seconds:
 * cfg->gateway_timeout, or 20 when it is not positive. */
long gateway_timeout(const struct gw_ctx *c);

/*
 * gateway_json_str - the string member @key of the JSON object @o, copied
 * into @a; NULL when @o is NULL or not an object, or the member is missing
 * or not a string.  @o is not consumed.
 */
const char *gateway_json_str(arena_t *a, const struct json_t *o, const char *key);

/*
 * gateway_json_text - @j as compact JSON text (UTF-8, NUL-terminated) in
 * @a.  Consumes @j (one json_decref) whatever happens; NULL when @j is
 * NULL (a failed json_pack) or cannot be encoded.
 */
const char *gateway_json_text(arena_t *a, struct json_t *j);

/*
 * gateway_json_body_str - parse the @len bytes of @body as JSON (jansson
 * load @flags, e.g. 0 or JSON_REJECT_DUPLICATES) and return its top-level
 * string member @key copied into @a, as gateway_json_str() does; NULL when
 * the body is not JSON or has no such string.  Used for the id in an API
 * answer (refund ids, created objects).  Nothing else is kept.
 */
const char *gateway_json_body_str(arena_t *a, const char *body, size_t len, size_t flags,
    const char *key);

/* gateway_ack_plain - fill @ack with HTTP @status, "text/plain" and an
 * empty body (static strings: nothing is allocated). */
void gateway_ack_plain(struct gw_ack *ack, int status);

/*
 * gateway_http - one outbound HTTPS call with libcurl: TLS verification
 * on, @timeout seconds in all, @headers a NULL-terminated array of
 * "Name: value" lines (may be NULL), @body NULL for GET.  The response
 * body (NUL-terminated) and status go to @resp and @status, in @a.
 * Returns GW_OK, or GW_ETEMP on a network error or timeout.
 */
int gateway_http(arena_t *a, const char *method, const char *url,
    const char *const *headers, const char *body, size_t body_len, long timeout,
    long *status, const char **resp, size_t *resp_len, char *err, size_t errlen);

/* The gateways (one file each). */
extern const gateway_t gateway_payfast, gateway_ozow, gateway_stripe,
    gateway_paypal, gateway_alipay, gateway_wechat;

#endif
