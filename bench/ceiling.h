/* SPDX-License-Identifier: MIT */
/*
 * ceiling.h - vkm_ceiling's parts (bench/ceiling.c drives them).
 */
#ifndef VKM_BENCH_CEILING_H
#define VKM_BENCH_CEILING_H

#include <stdbool.h>
#include <stdint.h>

typedef enum vkm_ceiling_shape {
    VKM_CEILING_HANDOFF, /* pairs: one thread allocates, the other frees */
    VKM_CEILING_FRAME,   /* each thread frees the next one's frame */
} vkm_ceiling_shape;

/* Records passed and freed per second by n threads in `shape` (ceiling_pass.c); *ok is
 * false when a thread or a pool could not be made, or a record read back wrong. Handoff
 * needs n = 1 or an even n. */
double vkm_ceiling_pass(vkm_ceiling_shape shape, uint32_t n, double seconds, bool *ok);

#endif /* VKM_BENCH_CEILING_H */
