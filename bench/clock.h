/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the one clock the benchmark programs read: CLOCK_MONOTONIC in seconds.
 */
#ifndef VKM_BENCH_CLOCK_H
#define VKM_BENCH_CLOCK_H

#include <time.h>

static inline double
vkm_bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif /* VKM_BENCH_CLOCK_H */
