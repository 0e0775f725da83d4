/* lifecycle.c - (being written) */
#include "orders/orders.h"
