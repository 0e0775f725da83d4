/* paypal.c - (being written) */
#include "payments/gateway.h"

const gateway_t gateway_paypal = { .name = "paypal", .label = "PayPal", .currencies = "USD" };
