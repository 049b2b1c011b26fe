/* SPDX-License-Identifier: MIT */
/*
 * wl_latency.c - latency: the distribution of single vmaAllocateMemory and vmaFreeMemory
 * calls under contention, where the other workloads report only throughput. Each thread
 * keeps a window of LAT_WINDOW live allocations and per step frees a random one and
 * allocates its replacement, as churn does, timing the two calls separately. Sizes: 70 %
 * 256 B - 16 KiB, 30 % 16 - 256 KiB (log-uniform by octave), alignment 256: churn's mix
 * without its 256 KiB - 4 MiB band, whose vkAllocateMemory calls would set the tail by
 * themselves and hide the allocator's own. One op = one free + one allocation.
 *
 * The clock is the time-stamp counter on x86-64 (a few ns per read, no system call),
 * converted to ns by each thread from a CLOCK_MONOTONIC reading at both ends of its timed
 * part; elsewhere CLOCK_MONOTONIC itself. A timed call therefore includes one clock read.
 * Each thread records into its own histogram (HDR-style: 16 linear buckets per power of
 * two, so a reported percentile is within 6.25 % of the true one); the report merges them
 * after the threads returned. The histograms live in the shared state, one row per
 * thread, each written only by its thread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "wl.h"

#define LAT_WINDOW 256u
#define LAT_SUB_BITS 4u
#define LAT_SUB (1u << LAT_SUB_BITS)
/* Values below LAT_SUB get a bucket each; then LAT_SUB buckets per power of two, up to
 * 2^63. */
#define LAT_BUCKETS ((64u - LAT_SUB_BITS + 1u) * LAT_SUB)

typedef struct lat_hist {
    uint64_t count[LAT_BUCKETS];
} lat_hist;

/* One thread's row: written by its thread only, read by the report after the join. */
typedef struct lat_row {
    lat_hist alloc, free;
    double ticks_per_ns; /* 0 when the thread could not calibrate (no timed part) */
} lat_row;

typedef struct lat_state {
    uint32_t threads;
    lat_row *rows;
} lat_state;

static inline uint64_t
lat_ticks(void)
{
#if defined(__x86_64__)
    return __rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static uint64_t
lat_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint32_t
lat_bucket(uint64_t v)
{
    if (v < LAT_SUB)
        return (uint32_t)v;
    const uint32_t msb = 63u - (uint32_t)__builtin_clzll(v); /* >= LAT_SUB_BITS */
    const uint32_t sub = (uint32_t)(v >> (msb - LAT_SUB_BITS)) & (LAT_SUB - 1u);
    return (msb - LAT_SUB_BITS + 1u) * LAT_SUB + sub;
}

/* The middle of bucket i, in ticks. */
static double
lat_bucket_mid(uint32_t i)
{
    if (i < LAT_SUB)
        return (double)i;
    const uint32_t msb = i / LAT_SUB + LAT_SUB_BITS - 1u;
    const uint32_t shift = msb - LAT_SUB_BITS;
    const double lo = ldexp((double)(LAT_SUB + i % LAT_SUB), (int)shift);
    return lo + 0.5 * ldexp(1.0, (int)shift);
}

/* Percentiles pct[0..n) of the merged histogram, in ticks; 0 when it is empty. */
static void
lat_percentiles(const lat_hist *h, const double *pct, uint32_t n, double *out)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < LAT_BUCKETS; i++)
        total += h->count[i];
    for (uint32_t k = 0; k < n; k++) {
        out[k] = 0.0;
        if (total == 0)
            continue;
        /* The smallest value with at least pct % of the samples at or below it. */
        uint64_t rank = (uint64_t)ceil(pct[k] / 100.0 * (double)total);
        rank = rank == 0 ? 1 : rank;
        uint64_t seen = 0;
        for (uint32_t i = 0; i < LAT_BUCKETS; i++) {
            seen += h->count[i];
            if (seen >= rank) {
                out[k] = lat_bucket_mid(i);
                break;
            }
        }
    }
}

static void
lat_teardown(void *state)
{
    lat_state *s = state;
    if (s == NULL)
        return;
    free(s->rows);
    free(s);
}

static VkResult
lat_setup(const vkm_wl_params *p, void **state)
{
    lat_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    s->threads = p->threads;
    s->rows = calloc(p->threads, sizeof(*s->rows));
    if (s->rows == NULL) {
        lat_teardown(s);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    *state = s;
    return VK_SUCCESS;
}

static VkDeviceSize
lat_pick_size(vkm_wl_thread *t)
{
    if (vkm_wl_rand(t) % 100 < 70)
        return vkm_wl_size_log(t, 256u, 16u << 10);
    return vkm_wl_size_log(t, 16u << 10, 256u << 10);
}

static void
lat_thread(vkm_wl_thread *t)
{
    lat_state *s = t->state;
    lat_row *row = &s->rows[t->index];
    VmaAllocation window[LAT_WINDOW];
    for (uint32_t i = 0; i < LAT_WINDOW; i++)
        (void)vkm_wl_alloc(t, lat_pick_size(t), 256u, &window[i]);

    vkm_wl_start(t);
    const uint64_t ns0 = lat_ns(), tick0 = lat_ticks();
    uint64_t steps = 0, ops = 0; /* steps include failed allocations */
    for (; vkm_wl_running(t, steps); steps++) {
        const uint32_t slot = (uint32_t)(vkm_wl_rand(t) % LAT_WINDOW);
        const VkDeviceSize size = lat_pick_size(t);
        uint64_t a = lat_ticks();
        if (window[slot] != VK_NULL_HANDLE) {
            vkm_wl_free(t, window[slot]);
            const uint64_t b = lat_ticks();
            row->free.count[lat_bucket(b - a)]++;
            a = b;
        }
        const VkResult res = vkm_wl_alloc(t, size, 256u, &window[slot]);
        const uint64_t c = lat_ticks();
        if (res == VK_SUCCESS) {
            row->alloc.count[lat_bucket(c - a)]++;
            ops++;
        }
    }
    const uint64_t ns1 = lat_ns(), tick1 = lat_ticks();
    t->ops = ops;
    row->ticks_per_ns = ns1 > ns0 ? (double)(tick1 - tick0) / (double)(ns1 - ns0) : 0.0;
    vkm_wl_quiesce(t);

    for (uint32_t i = 0; i < LAT_WINDOW; i++)
        if (window[i] != VK_NULL_HANDLE)
            vkm_wl_free(t, window[i]);
}

/* Merges the rows (the time-stamp counter runs at one rate on every core of a machine
 * whose counter is invariant, as every x86-64 of the last decade's is) and converts. */
static void
lat_report(void *state, vkm_wl_result *out)
{
    const lat_state *s = state;
    lat_hist *alloc = calloc(1, sizeof(*alloc)), *fr = calloc(1, sizeof(*fr));
    double rate = 0.0;
    uint32_t rated = 0;
    for (uint32_t i = 0; alloc != NULL && fr != NULL && i < s->threads; i++) {
        const lat_row *row = &s->rows[i];
        for (uint32_t b = 0; b < LAT_BUCKETS; b++) {
            alloc->count[b] += row->alloc.count[b];
            fr->count[b] += row->free.count[b];
        }
        if (row->ticks_per_ns > 0.0) {
            rate += row->ticks_per_ns;
            rated++;
        }
    }
    if (alloc != NULL && fr != NULL && rated > 0) {
        rate /= rated;
        const double pct[3] = VKM_WL_PERCENTILES;
        lat_percentiles(alloc, pct, 3, out->alloc_ns);
        lat_percentiles(fr, pct, 3, out->free_ns);
        for (uint32_t k = 0; k < 3; k++) {
            out->alloc_ns[k] /= rate;
            out->free_ns[k] /= rate;
        }
    }
    free(alloc);
    free(fr);
}

const vkm_workload vkm_wl_latency = {
    .name = "latency",
    .summary = "churn's replace-one step on a window of 256 (256 B - 256 KiB), each "
               "vmaAllocateMemory and vmaFreeMemory timed: p50 / p99 / p99.9 in ns",
    .setup = lat_setup,
    .thread_main = lat_thread,
    .report = lat_report,
    .teardown = lat_teardown,
    .host_reference_ok = true,
};
