/* SPDX-License-Identifier: MIT */
/*
 * stress_stats - statistics, budgets and thread-cache statistics read in a loop while
 * other threads churn.
 *
 *   stress_stats [--smoke] [threads] [iterations] [seed]
 *   threads: one reader per four threads (at least one), the rest churn
 *   iterations: operations per churning thread
 *
 * Churning threads keep a window of live allocations in the default pools and in a shared
 * custom pool, allocate, free, and now and then call vmaSetCurrentFrameIndex (where
 * thread caches trim, design.md §4). Reader threads, which never allocate, loop over
 * vmaCalculateStatistics, vmaGetHeapBudgets, vmaGetPoolStatistics,
 * vmaCalculatePoolStatistics, vkmGetAllThreadCacheStatistics, vkmGetThreadCacheStatistics
 * and vkmSetThreadCacheLimit, and now and then write a detailed JSON dump, which reads
 * the name each churner gave its allocations at creation while their owners free and
 * reuse the slots (tcache.h, "Dumps"). Halfway, the churners stop at a barrier with their
 * allocations live, and the main thread compares the figures at rest.
 * VMA issues: statistics torn or wrapped while others allocate (design.md §5: every
 * counter a consistent snapshot); VMA #451's "statistics say empty" is stress_pool_destroy.
 * Invariants during the churn: allocationBytes <= blockBytes (total, heaps, types, pool),
 * the total equals the sum over heaps and over memory types, min/max follow VMA's
 * conventions, no count or byte figure exceeds what was ever allocated (nothing wraps),
 * the budget stays within the heap, thread-cache figures are self-consistent (cachedBytes
 * <= runBytes) and their counters never go backwards, and a thread that never allocated
 * has an empty cache. At rest: the allocation count equals the live allocations the test
 * holds, the pool's count equals the test's pool allocations, and the budgets' statistics
 * equal vmaCalculateStatistics' per heap. The usual validator runs throughout.
 */
#include <linux/membarrier.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stress_common.h"

#define WINDOW 24
#define POOL_BLOCK_SIZE (256 * STRESS_KIB)
#define POOL_BLOCKS 8

typedef struct shared {
    stress_allocator *a;
    VmaPool pool;
    uint64_t seed;
    unsigned iterations, churners, threads;
    pthread_barrier_t rest;          /* churners + main, twice: stop, go on */
    atomic_uint churning;            /* churners not finished */
    atomic_uint_fast64_t xpool_live; /* the test's live allocations in the pool */
} shared;

typedef struct worker {
    shared *sh;
    unsigned index;
    char name[32]; /* a churner's allocations: NAME_PREFIX and its index */
} worker;

#define NAME_PREFIX "churner "

static bool
process_barrier_available(void)
{
    const long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds > 0 && (cmds & (MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_GLOBAL));
}

/* A detailed dump: every allocation name in it is one the churners gave (a name read
 * from a freed or half-made object would be garbage, or a sanitizer's report). Returns
 * how many named allocations it showed. */
static unsigned
check_dump_names(stress_allocator *a)
{
    char *text = NULL;
    vmaBuildStatsString(a->handle, &text, VK_TRUE);
    STRESS_CHECK(text != NULL, "vmaBuildStatsString gave no string");
    if (text == NULL)
        return 0;
    unsigned named = 0;
    static const char key[] = "\"Name\": \"";
    for (const char *p = strstr(text, key); p != NULL; p = strstr(p, key)) {
        p += sizeof(key) - 1;
        if (*p >= '0' && *p <= '9') /* a pool's name: VMA prefixes its index */
            continue;
        STRESS_CHECK(strncmp(p, NAME_PREFIX, sizeof(NAME_PREFIX) - 1) == 0,
                     "the dump names an allocation \"%.24s\"", p);
        named++;
    }
    vmaFreeStatsString(a->handle, text);
    return named;
}

static void *
churner(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_allocator *a = sh->a;
    stress_rng r = stress_rng_make(sh->seed, w->index);
    stress_alloc win[WINDOW];
    bool in_pool[WINDOW];
    memset(win, 0, sizeof(win));
    memset(in_pool, 0, sizeof(in_pool));
    for (unsigned i = 0; i <= sh->iterations; i++) {
        if (i == sh->iterations / 2) {
            pthread_barrier_wait(&sh->rest); /* main reads the figures at rest */
            pthread_barrier_wait(&sh->rest);
        }
        if (i == sh->iterations)
            break;
        unsigned k = stress_below(&r, WINDOW);
        stress_alloc *x = &win[k];
        uint32_t op = stress_below(&r, 100);
        if (x->alloc != VK_NULL_HANDLE && (op < 45 || op >= 55)) {
            if (in_pool[k])
                atomic_fetch_sub(&sh->xpool_live, 1);
            stress_alloc_destroy(a, x);
        }
        if (x->alloc == VK_NULL_HANDLE && op < 55) {
            in_pool[k] = stress_chance(&r, 30);
            stress_request rq =
                stress_random_request(&r, a->env, in_pool[k] ? sh->pool : VK_NULL_HANDLE);
            rq.name = w->name;
            if (in_pool[k] && rq.size > POOL_BLOCK_SIZE / 2)
                rq.size = POOL_BLOCK_SIZE / 2;
            VkResult res = stress_alloc_create(a, &rq, x);
            if (res == VK_SUCCESS && in_pool[k])
                atomic_fetch_add(&sh->xpool_live, 1);
            else if (res != VK_SUCCESS && !(in_pool[k] && res == VK_ERROR_OUT_OF_DEVICE_MEMORY))
                stress_fail("allocation of %llu bytes (kind %d): VkResult %d",
                            (unsigned long long)rq.size, (int)rq.kind, (int)res);
        }
        if (op == 99)
            vmaSetCurrentFrameIndex(a->handle, i);
    }
    for (unsigned k = 0; k < WINDOW; k++) {
        if (win[k].alloc != VK_NULL_HANDLE && in_pool[k])
            atomic_fetch_sub(&sh->xpool_live, 1);
        stress_alloc_destroy(a, &win[k]);
    }
    atomic_fetch_sub(&sh->churning, 1);
    return NULL;
}

static void *
reader(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_allocator *a = sh->a;
    stress_rng r = stress_rng_make(sh->seed, 1000 + w->index);
    VkmThreadCacheStatistics all = {0};
    do { /* at least one read, however the threads are scheduled */
        stress_check_statistics(a);
        stress_check_budgets(a);
        stress_check_pool_statistics(a, sh->pool, POOL_BLOCK_SIZE, POOL_BLOCKS);
        all = stress_check_cache_statistics(a, true, sh->threads + 1, &all);
        VkmThreadCacheStatistics own = stress_check_cache_statistics(a, false, 1, NULL);
        STRESS_CHECK(own.threadCount == 0 && own.runCount == 0 && own.runBytes == 0 &&
                         own.hits + own.misses + own.bypasses == 0,
                     "a reader that never allocated has a cache (threadCount %u, %u runs)",
                     own.threadCount, own.runCount);
        if (stress_chance(&r, 3))
            (void)check_dump_names(a);
        if (stress_chance(&r, 5)) {
            VkDeviceSize limit = stress_chance(&r, 50)
                                     ? VKM_DEFAULT_THREAD_CACHE_BYTES
                                     : (VkDeviceSize)stress_below(&r, 4) * 256 * STRESS_KIB;
            VkResult res = vkmSetThreadCacheLimit(a->handle, limit);
            STRESS_CHECK(res == VK_SUCCESS, "vkmSetThreadCacheLimit: VkResult %d", (int)res);
            (void)vkmGetThreadCacheLimit(a->handle);
        }
    } while (atomic_load(&sh->churning) > 0);
    return NULL;
}

/* figures that must agree exactly when nothing moves */
static void
check_at_rest(shared *sh, const char *when)
{
    stress_allocator *a = sh->a;
    VmaTotalStatistics st = stress_check_statistics(a);
    uint64_t live = stress_registry_live();
    STRESS_CHECK(st.total.statistics.allocationCount == live,
                 "%s: vmaCalculateStatistics counts %u allocations, the test holds %llu", when,
                 st.total.statistics.allocationCount, (unsigned long long)live);
    VmaStatistics ps;
    vmaGetPoolStatistics(a->handle, sh->pool, &ps);
    uint64_t pool_live = atomic_load(&sh->xpool_live);
    STRESS_CHECK(ps.allocationCount == pool_live,
                 "%s: the pool counts %u allocations, the test holds %llu", when,
                 ps.allocationCount, (unsigned long long)pool_live);
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a->handle, b);
    for (uint32_t h = 0; h < a->env->mem_props.memoryHeapCount; h++) {
        const VmaStatistics *x = &b[h].statistics, *y = &st.memoryHeap[h].statistics;
        STRESS_CHECK(x->blockCount == y->blockCount && x->blockBytes == y->blockBytes &&
                         x->allocationCount == y->allocationCount &&
                         x->allocationBytes == y->allocationBytes,
                     "%s, heap %u: budget statistics (%u blocks, %llu bytes, %u allocations, "
                     "%llu bytes) differ from vmaCalculateStatistics (%u, %llu, %u, %llu)",
                     when, h, x->blockCount, (unsigned long long)x->blockBytes, x->allocationCount,
                     (unsigned long long)x->allocationBytes, y->blockCount,
                     (unsigned long long)y->blockBytes, y->allocationCount,
                     (unsigned long long)y->allocationBytes);
    }
    stress_check_cache_statistics(a, true, sh->threads + 1, NULL);
    /* Every live allocation was named at creation, by a thread other than this one (where
     * the kernel refuses membarrier, other threads' small ones show no name: tcache.h). */
    unsigned named = check_dump_names(a);
    STRESS_CHECK(named == live || (!process_barrier_available() && named <= live),
                 "%s: the detailed dump names %u allocations, the test holds %llu", when, named,
                 (unsigned long long)live);
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_stats", (stress_args){4, 20000, 1, false},
                         (stress_args){4, 10000, 1, true}, &args);
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
    sh.iterations = args.iterations;
    unsigned threads = args.threads < 2 ? 2 : args.threads;
    unsigned readers = threads / 4 ? threads / 4 : 1;
    sh.churners = threads - readers;
    sh.threads = threads;
    atomic_init(&sh.churning, sh.churners);
    atomic_init(&sh.xpool_live, 0);
    pthread_barrier_init(&sh.rest, NULL, sh.churners + 1);
    res = stress_pool_create(&a, POOL_BLOCK_SIZE, POOL_BLOCKS, &sh.pool);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreatePool: VkResult %d", (int)res);
        return stress_finish();
    }

    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (worker){&sh, i, ""};
        snprintf(w[i].name, sizeof(w[i].name), NAME_PREFIX "%u", i);
        stress_thread_start(&tid[i], i < sh.churners ? churner : reader, &w[i]);
    }
    pthread_barrier_wait(&sh.rest);
    check_at_rest(&sh, "halfway, churners paused");
    pthread_barrier_wait(&sh.rest);
    for (unsigned i = 0; i < threads; i++)
        stress_thread_join(tid[i]);

    check_at_rest(&sh, "at the end");
    VmaTotalStatistics st = stress_check_statistics(&a);
    STRESS_CHECK(st.total.statistics.allocationCount == 0,
                 "%u allocations left after every thread freed its own",
                 st.total.statistics.allocationCount);
    VkmThreadCacheStatistics all = stress_check_cache_statistics(&a, true, threads + 1, NULL);
    STRESS_CHECK(all.runCount == 0 && all.runBytes == 0 && all.cachedBytes == 0,
                 "live caches still own %u runs (%llu bytes) after the churners exited",
                 all.runCount, (unsigned long long)all.runBytes);
    vmaDestroyPool(a.handle, sh.pool);
    pthread_barrier_destroy(&sh.rest);
    stress_allocator_destroy(&a);
    stress_env_close(&env);
    return stress_finish();
}
