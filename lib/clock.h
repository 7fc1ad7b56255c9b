#ifndef PREPAY_LIB_CLOCK_H
#define PREPAY_LIB_CLOCK_H
#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: for intervals, deadlines and TTLs (never
 * steps when the wall clock is set). */
int64_t clock_mono_ms(void);

#endif
