/* payfast.c - (being written) */
#include "payments/gateway.h"
