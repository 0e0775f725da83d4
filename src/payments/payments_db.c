/* payments_db.c - (being written) */
#include "payments/payments.h"
