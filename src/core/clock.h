/*
 * clock.h - time for durations and back-off.
 */
#ifndef SOUK_CORE_CLOCK_H
#define SOUK_CORE_CLOCK_H

/* clock_mono - seconds of CLOCK_MONOTONIC, with nanosecond resolution; for durations only. */
double clock_mono(void);

#endif
