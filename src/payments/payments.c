/* payments.c - (being written) */
#include "payments/payments.h"
