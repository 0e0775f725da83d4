/* wechat.c - (being written) */
#include "payments/gateway.h"

const gateway_t gateway_wechat = { .name = "wechat", .label = "WeChat Pay", .currencies = "CNY" };
