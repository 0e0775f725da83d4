/* payouts.h - (being written) */
#ifndef SOUK_PAYOUTS_PAYOUTS_H
#define SOUK_PAYOUTS_PAYOUTS_H
#endif
