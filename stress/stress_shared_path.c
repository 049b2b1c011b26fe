/* SPDX-License-Identifier: MIT */
/*
 * stress_shared_path - many threads mixing every common call on the default pools and
 * on one custom pool that all of them share.
 *
 *   stress_shared_path [--smoke] [threads] [iterations] [seed]
 *   iterations: operations per thread
 *
 * Each thread keeps a window of live allocations (raw memory, buffers, images; half of
 * them persistently mapped; a third in the shared custom pool of four 512 KiB blocks) and
 * mixes allocate / free / map-verify-unmap / vmaGetAllocationInfo / statistics reads.
 * Blocks are small, so they are created and released all the time. The custom pool's
 * allocations bypass thread caches (design.md §3): this is the shared block path, with
 * the default pools' cached path running beside it. VMA issues: none in particular; the
 * baseline the other suites build on.
 * Invariants (stress_common.h): no two live allocations overlap; offsets meet their
 * alignment; a pattern written through a mapping survives until free; statistics and pool
 * statistics stay self-consistent during the churn; at the end nothing is allocated and
 * the device-memory callbacks balance. Under TSan any report fails the test.
 */
#include <stdlib.h>
#include <string.h>

#include "stress_common.h"

#define WINDOW 32
#define POOL_BLOCK_SIZE (512 * STRESS_KIB)
#define POOL_BLOCKS 4

typedef struct worker {
    stress_allocator *a;
    VmaPool pool;
    unsigned index, iterations;
    uint64_t seed;
} worker;

static void *
run(void *arg)
{
    worker *w = arg;
    stress_allocator *a = w->a;
    const stress_env *env = a->env;
    stress_rng r = stress_rng_make(w->seed, w->index);
    stress_alloc win[WINDOW];
    memset(win, 0, sizeof(win));
    for (unsigned i = 0; i < w->iterations; i++) {
        stress_alloc *x = &win[stress_below(&r, WINDOW)];
        uint32_t op = stress_below(&r, 100);
        if (op < 50 || x->alloc == VK_NULL_HANDLE) {
            stress_alloc_destroy(a, x);
            bool in_pool = stress_chance(&r, 33);
            stress_request rq = stress_random_request(&r, env, in_pool ? w->pool : VK_NULL_HANDLE);
            if (in_pool && rq.size > 256 * STRESS_KIB)
                rq.size = 256 * STRESS_KIB;
            VkResult res = stress_alloc_create(a, &rq, x);
            /* the pool is bounded: it may be full; the default pools may not fail */
            if (res != VK_SUCCESS && !(in_pool && res == VK_ERROR_OUT_OF_DEVICE_MEMORY))
                stress_fail("allocation of %llu bytes (kind %d, %s): VkResult %d",
                            (unsigned long long)rq.size, (int)rq.kind,
                            in_pool ? "custom pool" : "default pools", (int)res);
        } else if (op < 80) {
            stress_alloc_destroy(a, x);
        } else if (op < 90) {
            stress_alloc_check_info(a, x);
            stress_alloc_verify(a, x, "while live");
        } else if (op < 95) {
            /* nested mappings of one allocation: both pointers agree, the count balances */
            void *p1, *p2;
            if (vmaMapMemory(a->handle, x->alloc, &p1) == VK_SUCCESS) {
                if (vmaMapMemory(a->handle, x->alloc, &p2) == VK_SUCCESS) {
                    STRESS_CHECK(p1 == p2, "two mappings of one allocation differ: %p, %p", p1, p2);
                    vmaUnmapMemory(a->handle, x->alloc);
                } else {
                    stress_fail("second vmaMapMemory of one allocation failed");
                }
                vmaUnmapMemory(a->handle, x->alloc);
            } else {
                stress_fail("vmaMapMemory failed");
            }
            stress_alloc_verify(a, x, "after nested map/unmap");
        } else {
            stress_check_statistics(a);
            stress_check_budgets(a);
            stress_check_pool_statistics(a, w->pool, POOL_BLOCK_SIZE, POOL_BLOCKS);
        }
    }
    for (unsigned k = 0; k < WINDOW; k++)
        stress_alloc_destroy(a, &win[k]);
    return NULL;
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_shared_path", (stress_args){4, 20000, 1, false},
                         (stress_args){4, 8000, 1, true}, &args);
    if (rc != 0)
        return rc;
    stress_env env;
    if ((rc = stress_env_open(&env)) != 0)
        return rc;
    stress_allocator a;
    VkResult res = stress_allocator_create(&env, 0, 0, &a);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        return stress_finish();
    }
    VmaPool pool;
    res = stress_pool_create(&a, POOL_BLOCK_SIZE, POOL_BLOCKS, &pool);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreatePool: VkResult %d", (int)res);
        return stress_finish();
    }

    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned i = 0; i < args.threads; i++) {
        w[i] = (worker){&a, pool, i, args.iterations, args.seed};
        stress_thread_start(&tid[i], run, &w[i]);
    }
    for (unsigned i = 0; i < args.threads; i++)
        stress_thread_join(tid[i]);

    VmaTotalStatistics st = stress_check_statistics(&a);
    STRESS_CHECK(st.total.statistics.allocationCount == 0,
                 "%u allocations left after every thread freed its own",
                 st.total.statistics.allocationCount);
    vmaDestroyPool(a.handle, pool);
    stress_allocator_destroy(&a);
    stress_env_close(&env);
    return stress_finish();
}
