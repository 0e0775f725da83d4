/* payouts_db.c - (being written) */
#include "payouts/payouts.h"
