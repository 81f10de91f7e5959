/*
 * lib/core/ods_time.h — the one clock module: monotonic time for
 * durations and deadlines, wall time for timestamps, and absolute
 * deadlines for pthread_cond_timedwait. No other file of lib/ calls
 * clock_gettime for these.
 */
#ifndef ODS_TIME_H
#define ODS_TIME_H

#include <stdint.h>
#include <time.h>

/* Monotonic clock: milliseconds, seconds, nanoseconds. */
int64_t		 ods_now_ms(void);
double		 ods_now_sec(void);
uint64_t	 ods_now_ns(void);

/* Wall clock (CLOCK_REALTIME) in milliseconds since the epoch. */
int64_t		 ods_wall_ms(void);

/*
 * The absolute time ms milliseconds from now on clock (CLOCK_MONOTONIC
 * or CLOCK_REALTIME), as pthread_cond_timedwait wants it: use the clock
 * the condition variable was made with.
 */
void		 ods_deadline(struct timespec *, clockid_t, long ms);

/* Sleep ms milliseconds (whole, across signals). */
void		 ods_sleep_ms(long ms);

#endif /* ODS_TIME_H */
