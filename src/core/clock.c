/*
 * clock.c - time for durations (see clock.h).
 */
#include "config.h"

#include <time.h>

#include "core/clock.h"

double
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
