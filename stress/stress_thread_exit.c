/* SPDX-License-Identifier: MIT */
/*
 * stress_thread_exit - threads that exit with live allocations, and the threads after
 * them that free those allocations and allocate more.
 *
 *   stress_thread_exit [--smoke] [threads] [iterations] [seed]
 *   threads: threads per wave
 *   iterations: waves
 *
 * Waves of short-lived threads. Each thread takes a batch of allocations left behind by
 * earlier, exited threads, verifies their patterns, frees about half of them (frees into
 * runs whose owner is gone: in the thread-cache design, design.md §4, those runs are
 * abandoned and the last free reclaims them), allocates more (mostly small, so it would
 * adopt abandoned runs of the same size classes), frees a few of its own, leaves the rest
 * behind for the next waves and exits, half of the time after vkmFlushThreadCache. A wave
 * is started before the previous one is joined, so threads exit while others allocate
 * and free into their runs.
 * VMA issues: none (VMA has no per-thread state); this is the thread-exit hook's test.
 * Invariants: no two live allocations overlap, offsets meet their alignment, every
 * pattern survives its owner's exit, and at the end (everything freed by the main thread)
 * vmaCalculateStatistics shows no allocation, no live cache owns a run, and the
 * device-memory callbacks balance when the allocator is destroyed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress_common.h"

#define TAKE 48 /* allocations a thread takes over from exited ones (keeps the population steady) */
#define MAKE 32 /* allocations a thread makes */
#define LEFT_CAP 4096

typedef struct shared {
    stress_allocator *a;
    uint64_t seed;
    pthread_mutex_t lock;
    stress_alloc *left;  /* under lock: allocations left behind by threads, LEFT_CAP */
    unsigned left_count; /* under lock */
} shared;

typedef struct worker {
    shared *sh;
    uint64_t serial; /* thread number over the whole run */
} worker;

static unsigned
take(shared *sh, stress_rng *r, stress_alloc *out, unsigned want)
{
    unsigned n = 0;
    pthread_mutex_lock(&sh->lock);
    while (n < want && sh->left_count > 0) {
        unsigned k = stress_below(r, sh->left_count);
        out[n++] = sh->left[k];
        sh->left[k] = sh->left[--sh->left_count];
    }
    pthread_mutex_unlock(&sh->lock);
    return n;
}

/* Leaves *x for later threads, or frees it when the table is full. */
static void
leave(shared *sh, stress_alloc *x)
{
    bool stored = false;
    pthread_mutex_lock(&sh->lock);
    if (sh->left_count < LEFT_CAP) {
        sh->left[sh->left_count++] = *x;
        stored = true;
    }
    pthread_mutex_unlock(&sh->lock);
    if (stored)
        memset(x, 0, sizeof(*x));
    else
        stress_alloc_destroy(sh->a, x);
}

static void *
run(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_allocator *a = sh->a;
    stress_rng r = stress_rng_make(sh->seed, w->serial);

    /* a fresh thread has no cache yet: its statistics are all zero */
    VkmThreadCacheStatistics cs = stress_check_cache_statistics(a, false, 1, NULL);
    STRESS_CHECK(cs.threadCount == 0 && cs.runCount == 0 && cs.hits + cs.misses + cs.bypasses == 0,
                 "thread %llu: a new thread's cache statistics are not empty (threadCount %u, "
                 "%u runs)",
                 (unsigned long long)w->serial, cs.threadCount, cs.runCount);

    stress_alloc got[TAKE];
    unsigned n = take(sh, &r, got, TAKE);
    for (unsigned i = 0; i < n; i++) {
        stress_alloc_check_info(a, &got[i]);
        if (stress_chance(&r, 50))
            stress_alloc_destroy(a, &got[i]); /* verifies the pattern first */
        else if (stress_alloc_verify(a, &got[i], "after its owner exited"))
            leave(sh, &got[i]);
        else
            stress_alloc_destroy(a, &got[i]);
    }

    stress_alloc mine[MAKE];
    for (unsigned i = 0; i < MAKE; i++) {
        stress_request rq = stress_random_request(&r, a->env, VK_NULL_HANDLE);
        if (stress_chance(&r, 70)) { /* few size classes, so exited threads' runs fit */
            rq.size = (VkDeviceSize)256 << stress_below(&r, 6); /* 256 B .. 8 KiB */
            if (rq.kind == STRESS_MEMORY)
                rq.alignment = 256;
        }
        VkResult res = stress_alloc_create(a, &rq, &mine[i]);
        if (res != VK_SUCCESS)
            stress_fail("allocation of %llu bytes (kind %d): VkResult %d",
                        (unsigned long long)rq.size, (int)rq.kind, (int)res);
    }
    for (unsigned i = 0; i < MAKE; i++) {
        if (mine[i].alloc == VK_NULL_HANDLE)
            continue;
        if (stress_chance(&r, 25))
            stress_alloc_destroy(a, &mine[i]); /* leaves free slots in its own runs */
        else
            leave(sh, &mine[i]);
    }
    cs = stress_check_cache_statistics(a, false, 1, &cs);
    if (stress_chance(&r, 50)) {
        vkmFlushThreadCache(a->handle);
        stress_check_cache_statistics(a, false, 1, &cs);
    }
    return NULL; /* exits with its allocations live in other threads' hands */
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_thread_exit", (stress_args){4, 400, 1, false},
                         (stress_args){4, 200, 1, true}, &args);
    if (rc != 0)
        return rc;
    stress_env env;
    if ((rc = stress_env_open(&env)) != 0)
        return rc;
    static stress_allocator a;
    VkResult res = stress_allocator_create(&env, 0, 0, &a);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        return stress_finish();
    }
    static shared sh;
    sh.a = &a;
    sh.seed = args.seed;
    pthread_mutex_init(&sh.lock, NULL);
    sh.left = calloc(LEFT_CAP, sizeof(stress_alloc));
    if (sh.left == NULL)
        return STRESS_EXIT_FAIL;

    /* two waves alive at a time: wave k+1 starts before wave k is joined */
    const unsigned t = args.threads;
    pthread_t tid[2][STRESS_MAX_THREADS];
    worker w[2][STRESS_MAX_THREADS];
    uint64_t serial = 0;
    for (unsigned wave = 0; wave <= args.iterations; wave++) {
        unsigned cur = wave % 2, prev = 1 - cur;
        if (wave < args.iterations)
            for (unsigned i = 0; i < t; i++) {
                w[cur][i] = (worker){&sh, ++serial};
                stress_thread_start(&tid[cur][i], run, &w[cur][i]);
            }
        if (wave > 0)
            for (unsigned i = 0; i < t; i++)
                stress_thread_join(tid[prev][i]);
    }

    /* every thread is gone; main frees what they left */
    VkmThreadCacheStatistics all =
        stress_check_cache_statistics(&a, true, (uint32_t)serial + 1, NULL);
    unsigned left = sh.left_count;
    for (unsigned i = 0; i < left; i++)
        stress_alloc_destroy(&a, &sh.left[i]);
    sh.left_count = 0;
    VmaTotalStatistics st = stress_check_statistics(&a);
    STRESS_CHECK(st.total.statistics.allocationCount == 0,
                 "%u allocations left after every allocation was freed",
                 st.total.statistics.allocationCount);
    all = stress_check_cache_statistics(&a, true, (uint32_t)serial + 1, &all);
    STRESS_CHECK(all.runCount == 0 && all.runBytes == 0 && all.cachedBytes == 0,
                 "live caches still own %u runs (%llu bytes) after every worker exited",
                 all.runCount, (unsigned long long)all.runBytes);
    printf("stress_thread_exit: %llu threads, %llu allocations, %u left by exited threads at "
           "the end, %llu device-memory allocations\n",
           (unsigned long long)serial, (unsigned long long)atomic_load(&a.xallocs), left,
           (unsigned long long)atomic_load(&a.xdm_allocs));

    /* the allocator still works after all that */
    stress_rng r = stress_rng_make(args.seed, 0);
    stress_alloc x[16];
    for (unsigned i = 0; i < 16; i++) {
        stress_request rq = stress_random_request(&r, &env, VK_NULL_HANDLE);
        STRESS_CHECK(stress_alloc_create(&a, &rq, &x[i]) == VK_SUCCESS,
                     "allocation %u after the "
                     "waves failed",
                     i);
    }
    for (unsigned i = 0; i < 16; i++)
        stress_alloc_destroy(&a, &x[i]);

    free(sh.left);
    stress_allocator_destroy(&a);
    stress_env_close(&env);
    return stress_finish();
}
