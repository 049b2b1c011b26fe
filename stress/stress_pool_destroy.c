/* SPDX-License-Identifier: MIT */
/*
 * stress_pool_destroy - a pool destroyed the instant its statistics read empty, while
 * the threads that freed its allocations are still running (VMA #451).
 *
 *   stress_pool_destroy [--smoke] [threads] [iterations] [seed]
 *   threads: the main thread polls and destroys; threads - 1 (at least 2) free
 *   iterations: rounds (one pool each)
 *
 * Each round the main thread creates a custom pool (64 KiB blocks, 256 KiB blocks, or
 * library-sized blocks with dedicated allocations mixed in), fills it with small raw
 * allocations, buffers and images, and hands them to the freeing threads, which live for
 * the whole run (they are never joined before a destroy). They verify and free their
 * share in random order, then churn a little in the default pools. Meanwhile the main
 * thread polls vmaGetPoolStatistics and vmaCalculatePoolStatistics and calls
 * vmaDestroyPool the moment allocationCount reads 0; only then does it wait for the
 * freeing threads to report the round done. In VMA #451 the statistics could read empty
 * while a free was still inside the pool's block list, and the destroy freed it under
 * that thread: vkmalloc promises "empty" means every free has finished with the pool
 * (design.md §1).
 * Invariants: no access to a destroyed pool (TSan, or a crash), no block freed while a
 * live allocation lies in it (registry), patterns survive until free, pool statistics
 * stay self-consistent while they drop, nothing is left after each round, and the
 * device-memory callbacks balance at the end.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "stress_common.h"

#define PER_FREER 12
#define MAX_FREERS (STRESS_MAX_THREADS - 1)

typedef struct freer_state {
    stress_alloc items[PER_FREER]; /* filled by main before the round starts */
    unsigned count;
} freer_state;

typedef struct shared {
    stress_allocator *a;
    uint64_t seed;
    unsigned freers;
    pthread_mutex_t lock;
    pthread_cond_t round_changed, round_done;
    unsigned round;               /* under lock: the round the freers may work on; 0 = none yet */
    bool stop;                    /* under lock */
    unsigned done;                /* under lock: freers finished with `round` */
    freer_state work[MAX_FREERS]; /* handed over under lock (round / done) */
} shared;

typedef struct worker {
    shared *sh;
    unsigned index;
} worker;

static void *
freer(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_rng r = stress_rng_make(sh->seed, w->index);
    unsigned seen = 0;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        while (sh->round == seen && !sh->stop)
            pthread_cond_wait(&sh->round_changed, &sh->lock);
        bool stop = sh->stop;
        seen = sh->round;
        pthread_mutex_unlock(&sh->lock);
        if (stop)
            break;

        freer_state *fs = &sh->work[w->index];
        /* random order, with the odd yield to spread the frees over the polling */
        for (unsigned n = fs->count; n > 0; n--) {
            unsigned k = stress_below(&r, n);
            stress_alloc x = fs->items[k];
            fs->items[k] = fs->items[n - 1];
            memset(&fs->items[n - 1], 0, sizeof(stress_alloc));
            stress_alloc_destroy(sh->a, &x);
            if (stress_chance(&r, 10))
                sched_yield();
        }
        fs->count = 0;
        /* default-pool traffic right after the pool's last free */
        stress_alloc y[4];
        for (unsigned i = 0; i < 4; i++) {
            stress_request rq = stress_random_request(&r, sh->a->env, VK_NULL_HANDLE);
            rq.size = 256 + stress_below(&r, (uint32_t)(8 * STRESS_KIB));
            VkResult res = stress_alloc_create(sh->a, &rq, &y[i]);
            STRESS_CHECK(res == VK_SUCCESS, "default-pool allocation: VkResult %d", (int)res);
        }
        for (unsigned i = 0; i < 4; i++)
            stress_alloc_destroy(sh->a, &y[i]);

        pthread_mutex_lock(&sh->lock);
        sh->done++;
        pthread_cond_signal(&sh->round_done);
        pthread_mutex_unlock(&sh->lock);
    }
    return NULL;
}

static unsigned
done_now(shared *sh)
{
    pthread_mutex_lock(&sh->lock);
    unsigned d = sh->done;
    pthread_mutex_unlock(&sh->lock);
    return d;
}

static uint32_t
pool_count(stress_allocator *a, VmaPool pool, bool detailed)
{
    if (detailed) {
        VmaDetailedStatistics d;
        vmaCalculatePoolStatistics(a->handle, pool, &d);
        return d.statistics.allocationCount;
    }
    VmaStatistics s;
    vmaGetPoolStatistics(a->handle, pool, &s);
    return s.allocationCount;
}

static void
round_of(shared *sh, stress_rng *r, unsigned round)
{
    stress_allocator *a = sh->a;
    const stress_env *env = a->env;
    unsigned shape = round % 3;
    VkDeviceSize block = shape == 0 ? 64 * STRESS_KIB : shape == 1 ? 256 * STRESS_KIB : 0;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = env->host_pool_type, .blockSize = block};
    VmaPool pool;
    VkResult res = vmaCreatePool(a->handle, &pci, &pool);
    if (res != VK_SUCCESS) {
        stress_fail("round %u: vmaCreatePool: VkResult %d", round, (int)res);
        return;
    }
    unsigned made = 0;
    for (unsigned f = 0; f < sh->freers; f++) {
        freer_state *fs = &sh->work[f];
        fs->count = 0;
        for (unsigned i = 0; i < PER_FREER; i++) {
            stress_request rq = stress_random_request(r, env, pool);
            rq.size = 256 + stress_below(r, (uint32_t)(16 * STRESS_KIB));
            if (rq.kind == STRESS_MEMORY || rq.alignment > 4 * STRESS_KIB)
                rq.alignment = (VkDeviceSize)64 << stress_below(r, 6);
            rq.flags &= ~(VmaAllocationCreateFlags)VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
            if (shape == 2 && stress_chance(r, 30))
                rq.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
            res = stress_alloc_create(a, &rq, &fs->items[fs->count]);
            if (res != VK_SUCCESS) {
                stress_fail("round %u: pool allocation of %llu bytes: VkResult %d", round,
                            (unsigned long long)rq.size, (int)res);
                continue;
            }
            fs->count++;
            made++;
        }
    }
    VkDeviceSize check_block = block;
    STRESS_CHECK(pool_count(a, pool, false) == made,
                 "round %u: the pool reads %u allocations, "
                 "%u were made",
                 round, pool_count(a, pool, false), made);
    if (check_block != 0)
        stress_check_pool_statistics(a, pool, check_block, 0);

    pthread_mutex_lock(&sh->lock);
    sh->done = 0;
    sh->round = round + 1;
    pthread_cond_broadcast(&sh->round_changed);
    pthread_mutex_unlock(&sh->lock);

    /* poll; destroy the instant the pool reads empty, freers not waited for */
    bool detailed = stress_chance(r, 50);
    uint32_t last = made;
    for (unsigned polls = 0;; polls++) {
        uint32_t n = pool_count(a, pool, detailed);
        STRESS_CHECK(n <= last,
                     "round %u: pool allocationCount went up from %u to %u while "
                     "only frees happen",
                     round, last, n);
        last = n;
        if (n == 0)
            break;
        if (check_block != 0 && polls % 16 == 0)
            stress_check_pool_statistics(a, pool, check_block, 0);
        if (done_now(sh) == sh->freers && pool_count(a, pool, detailed) != 0) {
            stress_fail("round %u: every free returned but the pool still reads %u "
                        "allocations",
                        round, pool_count(a, pool, detailed));
            break;
        }
    }
    vmaDestroyPool(a->handle, pool);

    pthread_mutex_lock(&sh->lock);
    while (sh->done < sh->freers)
        pthread_cond_wait(&sh->round_done, &sh->lock);
    pthread_mutex_unlock(&sh->lock);
    VmaTotalStatistics st = stress_check_statistics(a);
    STRESS_CHECK(st.total.statistics.allocationCount == 0,
                 "round %u: %u allocations left after the round", round,
                 st.total.statistics.allocationCount);
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_pool_destroy", (stress_args){4, 2000, 1, false},
                         (stress_args){4, 1500, 1, true}, &args);
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
    sh.freers = args.threads < 3 ? 2 : args.threads - 1;
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.round_changed, NULL);
    pthread_cond_init(&sh.round_done, NULL);

    pthread_t tid[MAX_FREERS];
    worker w[MAX_FREERS];
    for (unsigned i = 0; i < sh.freers; i++) {
        w[i] = (worker){&sh, i};
        stress_thread_start(&tid[i], freer, &w[i]);
    }
    stress_rng r = stress_rng_make(args.seed, 1000);
    for (unsigned round = 0; round < args.iterations; round++)
        round_of(&sh, &r, round);

    pthread_mutex_lock(&sh.lock);
    sh.stop = true;
    pthread_cond_broadcast(&sh.round_changed);
    pthread_mutex_unlock(&sh.lock);
    for (unsigned i = 0; i < sh.freers; i++)
        stress_thread_join(tid[i]);
    printf("stress_pool_destroy: %u pools, %llu allocations, %llu device-memory allocations\n",
           args.iterations, (unsigned long long)atomic_load(&a.xallocs),
           (unsigned long long)atomic_load(&a.xdm_allocs));
    stress_allocator_destroy(&a);
    stress_env_close(&env);
    return stress_finish();
}
