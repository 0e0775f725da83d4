/* orders_db.c - (being written) */
#include "orders/orders.h"
