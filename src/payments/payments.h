/* payments.h - (being written) */
#ifndef SOUK_PAYMENTS_PAYMENTS_H
#define SOUK_PAYMENTS_PAYMENTS_H
#endif
