// SOURCES: src/payments/paypal.c src/payments/alipay.c src/payments/gateway.c src/http/parse.c src/core/arena.c src/core/buf.c src/core/utf8.c src/core/log.c
// LIBS: -lcrypto -ljansson
// CFLAGS: -DGW_PROTOCOL_ONLY
/*
 * fuzz_paypal.c - libFuzzer target for the PayPal webhook parser and
 * verifier (src/payments/paypal.c, ../shared/docs/payment-gateways.md §4).
 *
 * The input is a webhook body.  It is mapped to a notice
 * (paypal_parse_event), spliced into the verify-webhook-signature request
 * (paypal_verify_request), read as a verification answer, and checked
 * offline against a fixed key (paypal_verify_offline).  Invariants: the
 * request ends with the raw body byte for byte followed by '}', a capture
 * notice has a reference, an amount and a currency, and the offline
 * message ends in the body's CRC-32 as unsigned decimal.  Each run uses a fresh
 * arena, freed at the end, so LeakSanitizer sees any leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "payments/alipay.h"
#include "payments/paypal.h"

#include "../unit/gw_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pub_pem[] = GW_VEC_WX1_PUB_PEM;

static EVP_PKEY *pub;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new(0);
	const char *body = (const char *)data, *req, *sstr;
	struct paypal_headers h = { "69cd13f0-d67a-11e5-baa3-778b53f4ae55", "2016-02-18T20:01:35Z",
	    "c2lnbmF0dXJl", "https://api.paypal.com/v1/notifications/certs/CERT-360caa42",
	    "SHA256withRSA" };
	struct gw_notice nt;
	char err[160];
	size_t rl;

	if (!pub)
		pub = alipay_key_parse(pub_pem, sizeof(pub_pem) - 1, 0);
	if (!pub)
		abort();
	if (paypal_parse_event(a, body, size, &nt, err, sizeof(err)) == 0) {
		if (!nt.event_id || !nt.status_word || nt.status < GW_PAID || nt.status > GW_IGNORED)
			abort();
		if ((nt.status == GW_PAID || nt.status == GW_FAILED) &&
		    (!nt.reference || nt.amount_minor < 0 || !nt.currency))
			abort();
	}
	req = paypal_verify_request(a, &h, "1JE4291016473214C", body, size);
	if (req) {
		rl = strlen(req);
		if (rl < size + 1 || memcmp(req + rl - size - 1, body, size) != 0 || req[rl - 1] != '}')
			abort();
	}
	(void)paypal_verify_answer(body, size);
	(void)paypal_verify_offline(a, pub, &h, "1JE4291016473214C", body, size);
	/* The offline message ends in the CRC-32 as unsigned decimal (§4). */
	sstr = paypal_signing_string(a, h.transmission_id, h.transmission_time, "1JE4291016473214C",
	    body, size);
	if (strtoul(strrchr(sstr, '|') + 1, NULL, 10) != (unsigned long)paypal_crc32(body, size))
		abort();
	arena_free(a);
	return 0;
}
