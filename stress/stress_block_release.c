/* SPDX-License-Identifier: MIT */
/*
 * stress_block_release - small blocks emptied and released while other threads allocate.
 *
 *   stress_block_release [--smoke] [threads] [iterations] [seed]
 *   threads: even-numbered threads burst, odd-numbered ones allocate steadily
 *   iterations: bursts per bursting thread
 *
 * Blocks are 256 KiB (default pools) and 128 KiB (a custom pool of at most 16), so a
 * burst fills several. A bursting thread allocates 64 allocations, verifies some, frees
 * them all in random order and, half of the time, flushes its thread cache: its blocks
 * empty and the library releases them (vkFreeMemory) while steady threads keep a window
 * of live allocations in the same blocks and read statistics and budgets. The race under
 * test: a block chosen for release while another thread is placing an allocation (or a
 * thread-cache run) in it, or mapping it.
 * VMA issues: none by number; block retirement is listed in design.md §9.
 * Invariants: no block is freed while a live allocation lies in it (the registry learns
 * every vkFreeMemory from the device-memory callbacks), no two live allocations overlap,
 * offsets meet their alignment, patterns survive until free, statistics, budgets and pool
 * statistics stay self-consistent during the churn, and everything balances at the end.
 */
#include <stdio.h>
#include <string.h>

#include "stress_common.h"

#define BLOCK_SIZE (256 * STRESS_KIB)
#define POOL_BLOCK_SIZE (128 * STRESS_KIB)
#define POOL_BLOCKS 16
#define BURST 64
#define WINDOW 16

typedef struct shared {
    stress_allocator *a;
    VmaPool pool;
    uint64_t seed;
    unsigned iterations;
    atomic_uint bursting; /* bursting threads still running */
} shared;

typedef struct worker {
    shared *sh;
    unsigned index;
} worker;

static stress_request
request(shared *sh, stress_rng *r, bool in_pool)
{
    stress_request rq = stress_random_request(r, sh->a->env, in_pool ? sh->pool : VK_NULL_HANDLE);
    /* mostly small: many allocations per block, so a block empties only when all go */
    if (stress_chance(r, 85)) {
        uint32_t k = 8 + stress_below(r, 7); /* 256 B .. 32 KiB */
        rq.size = ((VkDeviceSize)1 << k) + stress_below(r, 1u << k);
        rq.flags &= ~(VmaAllocationCreateFlags)VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    } else if (in_pool && rq.size > POOL_BLOCK_SIZE / 2) {
        rq.size = POOL_BLOCK_SIZE / 2;
    }
    if (rq.kind == STRESS_MEMORY && rq.alignment > 4 * STRESS_KIB && in_pool)
        rq.alignment = 4 * STRESS_KIB; /* keep 16 blocks of 128 KiB enough for the bursts */
    return rq;
}

static void
allocate(shared *sh, stress_rng *r, stress_alloc *x)
{
    bool in_pool = stress_chance(r, 30);
    stress_request rq = request(sh, r, in_pool);
    VkResult res = stress_alloc_create(sh->a, &rq, x);
    /* the custom pool is bounded and may be full; the default pools may not fail */
    if (res != VK_SUCCESS && !(in_pool && res == VK_ERROR_OUT_OF_DEVICE_MEMORY))
        stress_fail("allocation of %llu bytes (kind %d, %s): VkResult %d",
                    (unsigned long long)rq.size, (int)rq.kind,
                    in_pool ? "custom pool" : "default pools", (int)res);
}

static void *
burster(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_rng r = stress_rng_make(sh->seed, w->index);
    stress_alloc x[BURST];
    unsigned order[BURST];
    for (unsigned b = 0; b < sh->iterations; b++) {
        for (unsigned i = 0; i < BURST; i++)
            allocate(sh, &r, &x[i]);
        for (unsigned i = 0; i < BURST; i += 8)
            stress_alloc_verify(sh->a, &x[i], "in a burst");
        for (unsigned i = 0; i < BURST; i++)
            order[i] = i;
        for (unsigned i = BURST - 1; i > 0; i--) {
            unsigned j = stress_below(&r, i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (unsigned i = 0; i < BURST; i++)
            stress_alloc_destroy(sh->a, &x[order[i]]);
        if (stress_chance(&r, 50))
            vkmFlushThreadCache(sh->a->handle);
    }
    atomic_fetch_sub(&sh->bursting, 1);
    return NULL;
}

static void *
steady(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_rng r = stress_rng_make(sh->seed, w->index);
    stress_alloc win[WINDOW];
    memset(win, 0, sizeof(win));
    VkmThreadCacheStatistics all = {0};
    const bool reader = w->index == 1;
    /* until the bursts end, with a bound in case a burster died */
    for (unsigned i = 0; atomic_load(&sh->bursting) > 0 && i < sh->iterations * 4096u; i++) {
        stress_alloc *x = &win[stress_below(&r, WINDOW)];
        uint32_t op = stress_below(&r, 100);
        if (op < 45 || x->alloc == VK_NULL_HANDLE) {
            stress_alloc_destroy(sh->a, x);
            allocate(sh, &r, x);
        } else if (op < 85) {
            stress_alloc_destroy(sh->a, x);
        } else if (op < 95) {
            stress_alloc_check_info(sh->a, x);
            stress_alloc_verify(sh->a, x, "while blocks are released");
        } else if (reader) {
            stress_check_statistics(sh->a);
            stress_check_budgets(sh->a);
            stress_check_pool_statistics(sh->a, sh->pool, POOL_BLOCK_SIZE, POOL_BLOCKS);
            all = stress_check_cache_statistics(sh->a, true, STRESS_MAX_THREADS + 1, &all);
        }
    }
    for (unsigned k = 0; k < WINDOW; k++)
        stress_alloc_destroy(sh->a, &win[k]);
    return NULL;
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_block_release", (stress_args){4, 1000, 1, false},
                         (stress_args){4, 250, 1, true}, &args);
    if (rc != 0)
        return rc;
    stress_env env;
    if ((rc = stress_env_open(&env)) != 0)
        return rc;
    static stress_allocator a;
    VkResult res = stress_allocator_create(&env, BLOCK_SIZE, 0, &a);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        return stress_finish();
    }
    static shared sh;
    sh.a = &a;
    sh.seed = args.seed;
    sh.iterations = args.iterations;
    res = stress_pool_create(&a, POOL_BLOCK_SIZE, POOL_BLOCKS, &sh.pool);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreatePool: VkResult %d", (int)res);
        return stress_finish();
    }
    unsigned bursters = (args.threads + 1) / 2;
    atomic_init(&sh.bursting, bursters);

    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned i = 0; i < args.threads; i++) {
        w[i] = (worker){&sh, i};
        stress_thread_start(&tid[i], i % 2 == 0 ? burster : steady, &w[i]);
    }
    for (unsigned i = 0; i < args.threads; i++)
        stress_thread_join(tid[i]);

    uint64_t released_during = atomic_load(&a.xdm_frees);
    VmaTotalStatistics st = stress_check_statistics(&a);
    STRESS_CHECK(st.total.statistics.allocationCount == 0,
                 "%u allocations left after every thread freed its own",
                 st.total.statistics.allocationCount);
    stress_check_pool_statistics(&a, sh.pool, POOL_BLOCK_SIZE, POOL_BLOCKS);
    printf("stress_block_release: %llu allocations, %llu blocks allocated, %llu released while "
           "the threads ran, %u still held\n",
           (unsigned long long)atomic_load(&a.xallocs),
           (unsigned long long)atomic_load(&a.xdm_allocs), (unsigned long long)released_during,
           st.total.statistics.blockCount);
    vmaDestroyPool(a.handle, sh.pool);
    stress_allocator_destroy(&a);
    stress_env_close(&env);
    return stress_finish();
}
