/*
 * fuzz_payfast.c - libFuzzer target for the PayFast ITN parser and
 * checks (src/payments/payfast.c, ../shared/docs/payment-gateways.md §1.5).
 *
 * The input is an ITN body.  It is checked as received (the signature
 * almost never matches, so this covers parsing and rejection), then
 * signed by the harness itself with the passphrase and checked again, so
 * the fuzzer also reaches everything after a valid signature: field
 * extraction, the amount, the status words and the validate body, which
 * must equal the parameter string.  The body is also fed to
 * payfast_validate_answer.  Each run uses a fresh arena, freed at the
 * end, so LeakSanitizer sees any leak.
 *
 * fuzz-sources: src/core/arena.c src/core/buf.c src/core/log.c src/core/utf8.c
 * fuzz-sources: src/http/parse.c src/payments/gateway.c src/payments/payfast.c
 * fuzz-cflags: -DGW_PROTOCOL_ONLY
 * fuzz-libs: -lcrypto -lsodium -ljansson
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/parse.h"
#include "payments/payfast.h"

#define PASS "jt7NOE43FZPn"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new(0);
	char *body = arena_strndup(a, (const char *)data, size);
	char sig[PAYFAST_SIG_SIZE], err[128];
	const char *vb, *signed_body;
	struct gw_notice n;
	kvlist_t l;

	(void)payfast_validate_answer(body, size);
	(void)payfast_itn_check(a, body, size, PASS, "10000100", &n, &vb, err, sizeof(err));
	(void)payfast_itn_check(a, body, size, NULL, NULL, &n, NULL, err, sizeof(err));

	/* Sign what parses, then the check must get past the signature. */
	if (http_parse_urlencoded(a, body, size, NULL, &l) == PARSE_OK && l.n > 0 &&
	    kv_get(&l, "signature") == NULL) {
		payfast_itn_signature(a, &l, PASS, sig);
		signed_body = arena_printf(a, "%s&signature=%s", body, sig);
		if (payfast_itn_check(a, signed_body, strlen(signed_body), PASS, NULL, &n, &vb,
		    err, sizeof(err)) == GW_OK) {
			if (n.event_id == NULL || n.reference == NULL || n.amount_minor < 0 ||
			    strcmp(vb, payfast_itn_param_string(a, &l)) != 0)
				abort();
		}
	}
	arena_free(a);
	return 0;
}
