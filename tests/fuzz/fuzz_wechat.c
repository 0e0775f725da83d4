// SOURCES: src/payments/wechat.c src/payments/alipay.c src/payments/gateway.c src/http/parse.c src/core/arena.c src/core/buf.c src/core/utf8.c src/core/log.c
// LIBS: -lcrypto -ljansson
// CFLAGS: -DGW_PROTOCOL_ONLY
/*
 * fuzz_wechat.c - libFuzzer target for the WeChat Pay API v3 notification
 * verifier and parser (src/payments/wechat.c,
 * ../shared/docs/payment-gateways.md §6.3, §6.4).
 *
 * Input layout: up to three '\n'-terminated lines give the
 * Wechatpay-Timestamp, -Nonce and -Signature headers; the rest is the raw
 * body.  The headers and body go through wechat_verify_signature() (with
 * the V-WX-1 platform key and a clock fixed at the V-WX-1 time), and the
 * body through wechat_parse_notify() with a 32-byte and a 16-byte APIv3
 * key and wechat_transaction_notice().  Invariants: nothing decrypts
 * without the right tag (a random body never yields plaintext), a parsed
 * transaction has a reference and a known status.  Each run uses a fresh
 * arena, freed at the end, so LeakSanitizer sees any leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "payments/alipay.h"
#include "payments/wechat.h"

#include "../unit/gw_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pub_pem[] = GW_VEC_WX1_PUB_PEM;

static EVP_PKEY *pub;

/* The next '\n'-terminated line of [*p, end) as a new arena string, or NULL. */
static const char *
next_line(arena_t *a, const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *s;

	if (!nl)
		return NULL;
	s = arena_strndup(a, *p, (size_t)(nl - *p));
	*p = nl + 1;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new(0);
	const char *p = (const char *)data, *end = p + size;
	struct wechat_headers h;
	struct wechat_event ev;
	struct gw_notice nt;
	char err[160];

	if (!pub)
		pub = alipay_key_parse(pub_pem, sizeof(pub_pem) - 1, 0);
	if (!pub)
		abort();
	h.timestamp = next_line(a, &p, end);
	h.nonce = h.timestamp ? next_line(a, &p, end) : NULL;
	h.signature = h.nonce ? next_line(a, &p, end) : NULL;
	h.serial = "D7CE59D1F522D701";
	if (!h.signature) {
		p = (const char *)data;
		h.timestamp = "1624523846";
		h.nonce = "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz";
		h.signature = "WECHATPAY/SIGNTEST/AAAA";
	}
	(void)wechat_verify_signature(a, pub, "D7CE59D1F522D701", 1624523846, &h, p,
	    (size_t)(end - p), err, sizeof(err));
	if (wechat_parse_notify(a, p, (size_t)(end - p),
	    (const unsigned char *)"k3Y9fW2pQ7zL4mN8rT1vX6bC0dE5gH2j", 32, &ev, &nt, err,
	    sizeof(err)) == 0) {
		if (!ev.plaintext || !nt.event_id || nt.status < GW_PAID || nt.status > GW_IGNORED)
			abort();
	}
	(void)wechat_parse_notify(a, p, (size_t)(end - p),
	    (const unsigned char *)"testMchAPIv3Key0", 16, &ev, &nt, err, sizeof(err));
	if (wechat_transaction_notice(a, p, (size_t)(end - p), &nt, NULL, NULL, err,
	    sizeof(err)) == 0 && (!nt.reference || !nt.status_word || nt.status < GW_PAID ||
	    nt.status > GW_IGNORED))
		abort();
	arena_free(a);
	return 0;
}
