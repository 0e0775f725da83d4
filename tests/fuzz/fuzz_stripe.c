/*
 * fuzz_stripe.c - libFuzzer target for the Stripe webhook signature
 * check and the event and PaymentIntent parsers (src/payments/stripe.c,
 * ../shared/docs/payment-gateways.md §3.1).
 *
 * Input layout: the first line is a Stripe-Signature header, the rest the
 * raw body.  The pair is checked as received (two secrets, fixed clock);
 * then the body is signed by the harness under the second secret and
 * must verify, and is parsed as an event and as a PaymentIntent.  Each
 * run uses a fresh arena, freed at the end, so LeakSanitizer sees any
 * leak.
 *
 * fuzz-sources: src/core/arena.c src/core/buf.c src/core/log.c src/core/utf8.c
 * fuzz-sources: src/http/parse.c src/payments/gateway.c src/payments/stripe.c
 * fuzz-cflags: -DGW_PROTOCOL_ONLY
 * fuzz-libs: -lsodium -ljansson
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "payments/stripe.h"

#define SECRETS "whsec_old,whsec_test_secret"
#define T0 1614000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new(0);
	const char *nl = memchr(data, '\n', size);
	size_t hlen = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	char *header = arena_strndup(a, (const char *)data, hlen);
	const char *body = nl != NULL ? nl + 1 : "";
	size_t blen = nl != NULL ? size - hlen - 1 : 0;
	char sig[STRIPE_SIG_SIZE], err[128];
	const char *hdr, *cs;
	struct gw_notice n;

	body = arena_strndup(a, body, blen);	/* NUL-terminated like a request body */
	(void)stripe_signature_check(header, body, blen, SECRETS, T0, STRIPE_TOLERANCE,
	    err, sizeof(err));

	stripe_signature_hex("whsec_test_secret", "1614000000", body, blen, sig);
	hdr = arena_printf(a, "t=1614000000,v0=x,v1=%s", sig);
	if (stripe_signature_check(hdr, body, blen, SECRETS, T0 + 299, STRIPE_TOLERANCE,
	    err, sizeof(err)) != GW_OK)
		abort();
	if (stripe_event_parse(a, body, blen, &n, err, sizeof(err)) == GW_OK &&
	    (n.event_id == NULL || n.status_word == NULL))
		abort();
	(void)stripe_intent_parse(a, body, blen, &n, &cs, err, sizeof(err));
	arena_free(a);
	return 0;
}
