/*
 * fees.c - fee arithmetic, the state machine table and the JSON field
 * readers the order code shares (orders.h).
 */
#include "orders/orders.h"

#include <string.h>

int64_t
orders_bps(int64_t amount_minor, int bps)
{
	if (amount_minor <= 0 || bps <= 0)
		return 0;
	/* amounts are far below 2^63 / 10^4 (CHECKed at 1e9 major units) */
	return (amount_minor * bps + 5000) / 10000;
}

int64_t
orders_buyer_fee(const struct souk_config *cfg, const char *currency, int64_t subtotal_minor)
{
	int64_t threshold, small;

	if (strcmp(currency, "USD") == 0) {
		threshold = cfg->small_order_threshold_usd;
		small = cfg->small_order_fee_usd;
	} else if (strcmp(currency, "ZAR") == 0) {
		threshold = cfg->small_order_threshold_zar;
		small = cfg->small_order_fee_zar;
	} else if (strcmp(currency, "CNY") == 0) {
		threshold = cfg->small_order_threshold_cny;
		small = cfg->small_order_fee_cny;
	} else
		return -1;
	return orders_bps(subtotal_minor, cfg->buyer_fee_bps) +
	    (subtotal_minor < threshold ? small : 0);
}

int64_t
orders_seller_net(int64_t subtotal_minor, int seller_fee_bps)
{
	return subtotal_minor - orders_bps(subtotal_minor, seller_fee_bps);
}

/* Mirrors order_state_transitions in sql/0015_orders.sql. */
static const char *const transitions[][2] = {
	{ "awaiting_payment", "awaiting_requirements" },
	{ "awaiting_payment", "cancelled" },
	{ "awaiting_requirements", "in_progress" },
	{ "awaiting_requirements", "cancelled" },
	{ "in_progress", "delivered" },
	{ "in_progress", "cancelled" },
	{ "delivered", "revision_requested" },
	{ "delivered", "in_progress" },
	{ "delivered", "completed" },
	{ "delivered", "cancelled" },
	{ "revision_requested", "in_progress" },
	{ "revision_requested", "cancelled" },
};

int
orders_transition_allowed(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (strcmp(transitions[i][0], from) == 0 && strcmp(transitions[i][1], to) == 0)
			return 1;
	return 0;
}

const char *
orders_jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

long long
orders_jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}
