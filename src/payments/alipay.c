/* alipay.c - (being written) */
#include "payments/gateway.h"

const gateway_t gateway_alipay = { .name = "alipay", .label = "Alipay", .currencies = "CNY" };
