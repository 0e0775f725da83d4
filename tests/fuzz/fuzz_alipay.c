// SOURCES: src/payments/alipay.c src/payments/gateway.c src/http/parse.c src/core/arena.c src/core/buf.c src/core/utf8.c src/core/log.c
// LIBS: -lcrypto -ljansson
// CFLAGS: -DGW_PROTOCOL_ONLY
/*
 * fuzz_alipay.c - libFuzzer target for the Alipay notification parser and
 * verifier (src/payments/alipay.c, ../shared/docs/payment-gateways.md §5).
 *
 * The input is an asynchronous-notification body.  It is decoded, turned
 * into both verification strings (with and without sign_type), checked
 * against the V-AL-1 public key, and mapped to a notice; the same bytes
 * are also tried as an OpenAPI JSON response (alipay_response_content)
 * and as base64.  Invariants: a parsed body never repeats a field, the
 * verification string holds exactly the non-empty fields other than sign
 * and sign_type, a notice that maps has its event_id, reference and
 * status set, and an extracted response object lies inside the input.  Each run uses a fresh arena,
 * freed at the end, so LeakSanitizer sees any leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "payments/alipay.h"

#include "../unit/gw_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pub_pem[] = GW_VEC_AL1_PUB_PEM;

static EVP_PKEY *pub;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new(0);
	const char *body = (const char *)data, *s1, *s2;
	struct gw_field *f;
	struct gw_notice nt;
	unsigned char *bin;
	size_t n, st, len, blen, want = 0;
	char err[160];

	if (!pub)
		pub = alipay_key_parse(pub_pem, sizeof(pub_pem) - 1, 0);
	if (!pub)
		abort();
	if (alipay_parse_notify(a, body, size, &f, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (strcmp(f[i].name, f[j].name) == 0)
					abort();
		s1 = alipay_sign_content(a, f, n, 1);
		s2 = alipay_sign_content(a, f, n, 0);
		/* Exactly the non-empty fields other than sign and sign_type, '&'-joined. */
		for (size_t i = 0, k = 0; i < n; i++) {
			if (!*f[i].value || strcmp(f[i].name, "sign") == 0 ||
			    strcmp(f[i].name, "sign_type") == 0)
				continue;
			want += (k++ ? 1 : 0) + strlen(f[i].name) + 1 + strlen(f[i].value);
		}
		if (strlen(s1) != want || strlen(s2) < strlen(s1))
			abort();
		(void)alipay_verify_fields(a, pub, f, n);
		if (alipay_notice_from_fields(f, n, &nt, err, sizeof(err)) == 0 &&
		    (!nt.event_id || !nt.reference || !nt.status_word || nt.status < GW_PAID ||
		    nt.status > GW_IGNORED))
			abort();
	}
	if (alipay_response_content(body, size, "alipay.trade.query", &st, &len) == 0 &&
	    (st + len > size || body[st] != '{' || body[st + len - 1] != '}'))
		abort();
	if (alipay_b64_decode(a, body, size, &bin, &blen) == 0 && blen > size)
		abort();
	(void)alipay_rsa2_verify(pub, body, size, "AAAA");
	arena_free(a);
	return 0;
}
