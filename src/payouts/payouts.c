/* payouts.c - (being written) */
#include "payouts/payouts.h"
