/* SPDX-License-Identifier: MIT */
/*
 * stress_allocator_destroy - an allocator destroyed while threads that used it are alive,
 * then a new one (often at the same address) used by the same threads.
 *
 *   stress_allocator_destroy [--smoke] [threads] [iterations] [seed]
 *   iterations: rounds (one short-lived allocator each); a group of threads lives for
 *   three rounds, then exits and the next group starts
 *
 * Each round an allocator is created (by the main thread, or by one of the workers on
 * alternate rounds) into the same stress_allocator slot. Workers first check that their
 * cache statistics for it are empty (a stale thread-local entry left by the previous
 * allocator at the same address would show), then churn on it, free some of each
 * other's allocations, free the rest, and half of them flush their caches (the other half
 * keep cached free slots and runs). Then they park at a barrier, alive, and the main
 * thread destroys the allocator: in the thread-cache design (design.md §4) destruction
 * must reclaim the caches of live threads, and each thread's stale entry must be detected
 * by generation, never dereferenced, when it next uses an allocator, or when it exits
 * (the last round of a group exits right after the destroy). A second, long-lived
 * allocator is used by every thread in every round, so threads hold caches of two
 * allocators and one of them dies; its allocations outlive the threads that made them.
 * VMA issues: none (VMA has no per-thread state); design.md §4 "Allocator destruction".
 * Invariants: a new allocator's per-thread statistics start empty; after a flush with
 * nothing live a thread's cache owns no run; destruction with live threads' caches still
 * holding runs frees every block (device-memory callbacks balance, per allocator); no
 * use-after-free (TSan, or a crash); and the usual validator on both allocators.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress_common.h"

#define ROUNDS_PER_GROUP 3
#define WINDOW 16
#define OPS_PER_ROUND 120
#define HANDOFF 4
#define LEFT_CAP 1024

typedef struct shared {
    const stress_env *env;
    uint64_t seed;
    unsigned threads, rounds;
    pthread_barrier_t barrier;        /* workers + main */
    stress_allocator round_allocator; /* recreated every round at this address */
    stress_allocator long_lived;
    stress_alloc handoff[STRESS_MAX_THREADS][HANDOFF]; /* passed across a barrier */
    pthread_mutex_t left_lock;
    stress_alloc left[LEFT_CAP]; /* long-lived allocator's, under left_lock */
    unsigned left_count;         /* under left_lock */
} shared;

typedef struct worker {
    shared *sh;
    unsigned index; /* within the group */
    unsigned first_round;
} worker;

static void
make(stress_allocator *a, stress_rng *r, stress_alloc *x)
{
    stress_request rq = stress_random_request(r, a->env, VK_NULL_HANDLE);
    if (stress_chance(r, 60)) /* mostly the cached path */
        rq.size = (VkDeviceSize)256 << stress_below(r, 6);
    VkResult res = stress_alloc_create(a, &rq, x);
    if (res != VK_SUCCESS)
        stress_fail("allocation of %llu bytes (kind %d): VkResult %d", (unsigned long long)rq.size,
                    (int)rq.kind, (int)res);
}

/* the long-lived allocator: take one left by anyone (maybe an exited thread), free it or
 * put it back; leave a new one */
static void
long_lived_op(shared *sh, stress_rng *r)
{
    stress_alloc got = {0}, mine;
    pthread_mutex_lock(&sh->left_lock);
    if (sh->left_count > 0 && stress_chance(r, 50)) {
        unsigned k = stress_below(r, sh->left_count);
        got = sh->left[k];
        sh->left[k] = sh->left[--sh->left_count];
    }
    pthread_mutex_unlock(&sh->left_lock);
    stress_alloc_destroy(&sh->long_lived, &got);
    make(&sh->long_lived, r, &mine);
    if (mine.alloc == VK_NULL_HANDLE)
        return;
    pthread_mutex_lock(&sh->left_lock);
    bool stored = sh->left_count < LEFT_CAP;
    if (stored)
        sh->left[sh->left_count++] = mine;
    pthread_mutex_unlock(&sh->left_lock);
    if (!stored)
        stress_alloc_destroy(&sh->long_lived, &mine);
}

static void
create_round_allocator(shared *sh)
{
    VkResult res = stress_allocator_create(sh->env, 0, 0, &sh->round_allocator);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        exit(STRESS_EXIT_FAIL);
    }
}

static void *
run(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_allocator *a = &sh->round_allocator;
    for (unsigned round = w->first_round;
         round < w->first_round + ROUNDS_PER_GROUP && round < sh->rounds; round++) {
        stress_rng r = stress_rng_make(sh->seed, (uint64_t)round * STRESS_MAX_THREADS + w->index);
        if (round % 2 == 1 && w->index == 0)
            create_round_allocator(sh);     /* a parked thread makes the next allocator */
        pthread_barrier_wait(&sh->barrier); /* 1: allocator ready */

        VkmThreadCacheStatistics cs = stress_check_cache_statistics(a, false, 1, NULL);
        STRESS_CHECK(cs.threadCount == 0 && cs.runCount == 0 && cs.runBytes == 0 &&
                         cs.cachedBytes == 0 && cs.hits + cs.misses + cs.bypasses == 0 &&
                         cs.remoteFrees == 0,
                     "round %u: before its first allocation from a new allocator, a thread "
                     "has cache statistics for it (threadCount %u, %u runs, %llu hits): a "
                     "stale entry of the previous allocator at the same address?",
                     round, cs.threadCount, cs.runCount, (unsigned long long)cs.hits);

        stress_alloc win[WINDOW];
        memset(win, 0, sizeof(win));
        for (unsigned i = 0; i < OPS_PER_ROUND; i++) {
            stress_alloc *x = &win[stress_below(&r, WINDOW)];
            uint32_t op = stress_below(&r, 100);
            if (op < 55) {
                stress_alloc_destroy(a, x);
                make(a, &r, x);
            } else if (op < 85) {
                stress_alloc_destroy(a, x);
            } else if (op < 95) {
                stress_alloc_check_info(a, x);
                stress_alloc_verify(a, x, "during the round");
            } else {
                long_lived_op(sh, &r);
            }
        }
        /* hand a few to the neighbour: remote frees into this thread's runs */
        unsigned h = 0;
        for (unsigned k = 0; k < WINDOW && h < HANDOFF; k++)
            if (win[k].alloc != VK_NULL_HANDLE) {
                sh->handoff[w->index][h++] = win[k];
                memset(&win[k], 0, sizeof(win[k]));
            }
        pthread_barrier_wait(&sh->barrier); /* 2: handoffs published */
        unsigned from = (w->index + 1) % sh->threads;
        for (unsigned k = 0; k < HANDOFF; k++)
            stress_alloc_destroy(a, &sh->handoff[from][k]);
        for (unsigned k = 0; k < WINDOW; k++)
            stress_alloc_destroy(a, &win[k]);
        pthread_barrier_wait(&sh->barrier); /* 3: nothing of this allocator is live */

        if (stress_chance(&r, 50)) {
            vkmFlushThreadCache(a->handle);
            cs = stress_check_cache_statistics(a, false, 1, NULL);
            STRESS_CHECK(cs.runCount == 0 && cs.runBytes == 0 && cs.cachedBytes == 0,
                         "round %u: after a flush with nothing live the cache still owns %u "
                         "runs (%llu bytes, %llu cached)",
                         round, cs.runCount, (unsigned long long)cs.runBytes,
                         (unsigned long long)cs.cachedBytes);
        } else {
            stress_check_cache_statistics(a, false, 1, NULL); /* keeps its free slots */
        }
        pthread_barrier_wait(&sh->barrier); /* 4: parked, alive; main destroys */
        pthread_barrier_wait(&sh->barrier); /* 5: destroyed */
        long_lived_op(sh, &r);              /* the other allocator after this one's death */
    }
    return NULL; /* exits holding a stale entry for the destroyed allocator */
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_allocator_destroy", (stress_args){4, 300, 1, false},
                         (stress_args){4, 120, 1, true}, &args);
    if (rc != 0)
        return rc;
    stress_env env;
    if ((rc = stress_env_open(&env)) != 0)
        return rc;
    static shared sh;
    sh.env = &env;
    sh.seed = args.seed;
    sh.threads = args.threads;
    sh.rounds = args.iterations;
    pthread_mutex_init(&sh.left_lock, NULL);
    pthread_barrier_init(&sh.barrier, NULL, args.threads + 1);
    VkResult res = stress_allocator_create(&env, 0, 0, &sh.long_lived);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        return stress_finish();
    }

    stress_rng r = stress_rng_make(args.seed, 4242);
    VmaAllocator prev_handle = VK_NULL_HANDLE;
    unsigned reused = 0, groups = 0;
    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned round = 0; round < sh.rounds; round++) {
        if (round % ROUNDS_PER_GROUP == 0) {
            for (unsigned i = 0; i < args.threads; i++) {
                w[i] = (worker){&sh, i, round};
                stress_thread_start(&tid[i], run, &w[i]);
            }
            groups++;
        }
        if (round % 2 == 0)
            create_round_allocator(&sh);
        pthread_barrier_wait(&sh.barrier); /* 1 */
        if (sh.round_allocator.handle == prev_handle)
            reused++;
        prev_handle = sh.round_allocator.handle;
        /* main uses it too: its own thread-local entries go stale every round */
        stress_alloc mine;
        make(&sh.round_allocator, &r, &mine);
        pthread_barrier_wait(&sh.barrier); /* 2 */
        stress_alloc_destroy(&sh.round_allocator, &mine);
        pthread_barrier_wait(&sh.barrier); /* 3 */
        pthread_barrier_wait(&sh.barrier); /* 4: workers parked */
        stress_check_statistics(&sh.round_allocator);
        stress_allocator_destroy(&sh.round_allocator); /* checks nothing left, blocks balance */
        pthread_barrier_wait(&sh.barrier);             /* 5 */
        if ((round + 1) % ROUNDS_PER_GROUP == 0 || round + 1 == sh.rounds)
            for (unsigned i = 0; i < args.threads; i++)
                stress_thread_join(tid[i]);
    }

    for (unsigned i = 0; i < sh.left_count; i++)
        stress_alloc_destroy(&sh.long_lived, &sh.left[i]);
    sh.left_count = 0;
    VkmThreadCacheStatistics all =
        stress_check_cache_statistics(&sh.long_lived, true, groups * args.threads + 1, NULL);
    STRESS_CHECK(all.runCount == 0 && all.runBytes == 0,
                 "long-lived allocator: live caches own %u runs after every worker exited",
                 all.runCount);
    printf("stress_allocator_destroy: %u allocators, %u at the address of the previous one, "
           "%u thread groups\n",
           sh.rounds, reused, groups);
    stress_allocator_destroy(&sh.long_lived);
    pthread_barrier_destroy(&sh.barrier);
    stress_env_close(&env);
    return stress_finish();
}
