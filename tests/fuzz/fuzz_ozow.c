/*
 * fuzz_ozow.c - libFuzzer target for the Ozow notification check and the
 * status API answer parser (src/payments/ozow.c,
 * ../shared/docs/payment-gateways.md §2.3, §2.4).
 *
 * The input is used three ways: as a notification body checked as
 * received; as the same body with a Hash computed by the harness, so the
 * fuzzer reaches everything after a valid Hash; and as a GetTransaction
 * answer (JSON), parsed with and without a transaction id, which drives
 * the raw JSON literal scanner that reads amounts without doubles.  Each
 * run uses a fresh arena, freed at the end, so LeakSanitizer sees any
 * leak.
 *
 * fuzz-sources: src/core/arena.c src/core/buf.c src/core/log.c src/core/utf8.c
 * fuzz-sources: src/http/parse.c src/payments/gateway.c src/payments/ozow.c
 * fuzz-cflags: -DGW_PROTOCOL_ONLY
 * fuzz-libs: -lsodium -ljansson
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/parse.h"
#include "payments/ozow.h"

#define KEY "215114531AFF7134A94C88CEEA48E"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const order[] = {
		"SiteCode", "TransactionId", "TransactionReference", "Amount", "Status",
		"Optional1", "Optional2", "Optional3", "Optional4", "Optional5",
		"CurrencyCode", "IsTest", "StatusMessage",
	};
	arena_t *a = arena_new(0);
	char *body = arena_strndup(a, (const char *)data, size);
	char h[OZOW_HASH_SIZE], err[128];
	const char *vals[13], *signed_body;
	struct ozow_notify on;
	struct gw_notice n;
	kvlist_t l;

	(void)ozow_notify_check(a, body, size, KEY, "TSTSTE0001", &on, &n, err, sizeof(err));

	if (http_parse_urlencoded(a, body, size, NULL, &l) == PARSE_OK && l.n > 0 &&
	    kv_get(&l, "Hash") == NULL) {
		for (size_t i = 0; i < 13; i++)
			vals[i] = kv_get(&l, order[i]) != NULL ? kv_get(&l, order[i]) : "";
		ozow_hash(vals, 13, KEY, h);
		signed_body = arena_printf(a, "%s&Hash=%s", body, h);
		if (ozow_notify_check(a, signed_body, strlen(signed_body), KEY, NULL, &on, &n,
		    err, sizeof(err)) == GW_OK &&
		    (n.event_id == NULL || n.amount_minor < 0 || n.reference == NULL))
			abort();
	}

	if (ozow_transaction_parse(a, body, size, NULL, &n, err, sizeof(err)) == GW_OK &&
	    (n.amount_minor < 0 || n.gateway_txn_id == NULL))
		abort();
	(void)ozow_transaction_parse(a, body, size, "a", &n, err, sizeof(err));
	arena_free(a);
	return 0;
}
