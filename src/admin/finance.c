/* finance.c - (being written) */
#include "admin/admin.h"
