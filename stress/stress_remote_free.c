/* SPDX-License-Identifier: MIT */
/*
 * stress_remote_free - cross-thread frees at volume.
 *
 *   stress_remote_free [--smoke] [threads] [iterations] [seed]
 *   threads: half producers, half consumers (at least one of each)
 *   iterations: allocations per producer
 *
 * Producers allocate (mostly small sizes, so the same thread-cache size classes are hit
 * over and over) and hand each allocation through a bounded queue to a consumer, which
 * verifies it and frees it: in the thread-cache design (design.md §4) every such free is a
 * remote free into a run the consumer does not own, published with one atomic operation
 * and collected later by the owner. Besides the queues, every thread (producers and
 * consumers, which also allocate a little) swaps allocations through a shared exchange
 * table: it takes whatever another thread left in a random slot and frees it, so a random
 * fraction of each thread's allocations is freed by some other thread while the owner is
 * still allocating from the same runs.
 * VMA issues: none directly (VMA has no thread caches); this is the volume test of the
 * remote-free path every later scenario relies on.
 * Invariants: no two live allocations overlap (a slot handed out twice would), offsets
 * meet their alignment, the pattern survives until the consumer frees it, per-thread
 * cache statistics stay bounded by the thread's own allocations and frees, and at the
 * end nothing is allocated and the device-memory callbacks balance.
 */
#include <stdio.h>
#include <string.h>

#include "stress_common.h"

#define QUEUE_CAP 128
#define EXCHANGE_SLOTS 256

typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    stress_alloc items[QUEUE_CAP]; /* under lock */
    unsigned head, count;          /* under lock */
    bool closed;                   /* under lock: no producer will push again */
} queue;

typedef struct exchange_slot {
    pthread_mutex_t lock;
    stress_alloc item; /* under lock; an empty slot has alloc == VK_NULL_HANDLE */
} exchange_slot;

typedef struct shared {
    stress_allocator *a;
    queue *queues;
    unsigned consumers;
    exchange_slot exchange[EXCHANGE_SLOTS];
    uint64_t seed;
    unsigned iterations;
} shared;

typedef struct worker {
    shared *sh;
    unsigned index;
    bool producer;
} worker;

static void
queue_push(queue *q, const stress_alloc *x)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == QUEUE_CAP)
        pthread_cond_wait(&q->not_full, &q->lock);
    q->items[(q->head + q->count) % QUEUE_CAP] = *x;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

/* false when the queue is closed and empty */
static bool
queue_pop(queue *q, stress_alloc *out)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->lock);
    bool got = q->count > 0;
    if (got) {
        *out = q->items[q->head];
        q->head = (q->head + 1) % QUEUE_CAP;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

static void
queue_close(queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

/* Puts *x into a random slot and frees what was there (another thread's allocation). */
static void
exchange(shared *sh, stress_rng *r, stress_alloc *x)
{
    exchange_slot *s = &sh->exchange[stress_below(r, EXCHANGE_SLOTS)];
    stress_alloc old;
    pthread_mutex_lock(&s->lock);
    old = s->item;
    s->item = *x;
    pthread_mutex_unlock(&s->lock);
    memset(x, 0, sizeof(*x));
    stress_alloc_destroy(sh->a, &old);
}

static stress_request
request(stress_rng *r, const stress_env *env)
{
    stress_request rq = stress_random_request(r, env, VK_NULL_HANDLE);
    /* volume on few size classes: most requests small and plainly aligned */
    if (stress_chance(r, 60)) {
        rq.size = (VkDeviceSize)256 << stress_below(r, 5); /* 256 B .. 4 KiB */
        if (rq.kind == STRESS_MEMORY)
            rq.alignment = 256;
        rq.flags &= ~(VmaAllocationCreateFlags)VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    }
    return rq;
}

static void
allocate(shared *sh, stress_rng *r, stress_alloc *x)
{
    stress_request rq = request(r, sh->a->env);
    VkResult res = stress_alloc_create(sh->a, &rq, x);
    if (res != VK_SUCCESS)
        stress_fail("allocation of %llu bytes (kind %d): VkResult %d", (unsigned long long)rq.size,
                    (int)rq.kind, (int)res);
}

static void
check_own_cache(shared *sh, VkmThreadCacheStatistics *prev)
{
    *prev = stress_check_cache_statistics(sh->a, false, 1, prev);
}

static void *
producer(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_rng r = stress_rng_make(sh->seed, w->index);
    VkmThreadCacheStatistics cs = {0};
    for (unsigned i = 0; i < sh->iterations; i++) {
        stress_alloc x;
        allocate(sh, &r, &x);
        if (x.alloc == VK_NULL_HANDLE)
            continue;
        uint32_t c = stress_below(&r, 100);
        if (c < 70)
            queue_push(&sh->queues[stress_below(&r, sh->consumers)], &x);
        else if (c < 95)
            exchange(sh, &r, &x);
        else
            stress_alloc_destroy(sh->a, &x); /* a local free among the remote ones */
        if (i % 256 == 0)
            check_own_cache(sh, &cs);
    }
    check_own_cache(sh, &cs);
    return NULL;
}

static void *
consumer(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    queue *q = &sh->queues[w->index % sh->consumers];
    stress_rng r = stress_rng_make(sh->seed, 1000 + w->index);
    VkmThreadCacheStatistics cs = {0};
    stress_alloc x;
    unsigned n = 0;
    while (queue_pop(q, &x)) {
        stress_alloc_destroy(sh->a, &x);
        /* consumers allocate too, so producers end up freeing some of theirs */
        if (stress_chance(&r, 10)) {
            stress_alloc y;
            allocate(sh, &r, &y);
            if (y.alloc != VK_NULL_HANDLE)
                exchange(sh, &r, &y);
        }
        if (++n % 256 == 0)
            check_own_cache(sh, &cs);
    }
    check_own_cache(sh, &cs);
    return NULL;
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_remote_free", (stress_args){4, 50000, 1, false},
                         (stress_args){4, 16000, 1, true}, &args);
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

    unsigned threads = args.threads < 2 ? 2 : args.threads;
    unsigned consumers = threads / 2, producers = threads - consumers;
    static shared sh;
    static queue queues[STRESS_MAX_THREADS];
    sh.a = &a;
    sh.queues = queues;
    sh.consumers = consumers;
    sh.seed = args.seed;
    sh.iterations = args.iterations;
    for (unsigned i = 0; i < consumers; i++) {
        pthread_mutex_init(&queues[i].lock, NULL);
        pthread_cond_init(&queues[i].not_empty, NULL);
        pthread_cond_init(&queues[i].not_full, NULL);
    }
    for (unsigned i = 0; i < EXCHANGE_SLOTS; i++)
        pthread_mutex_init(&sh.exchange[i].lock, NULL);

    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (worker){&sh, i, i < producers};
        stress_thread_start(&tid[i], w[i].producer ? producer : consumer, &w[i]);
    }
    for (unsigned i = 0; i < producers; i++)
        stress_thread_join(tid[i]);
    for (unsigned i = 0; i < consumers; i++)
        queue_close(&queues[i]);
    for (unsigned i = producers; i < threads; i++)
        stress_thread_join(tid[i]);
    /* what is left in the exchange: allocations of exited threads, freed by main */
    for (unsigned i = 0; i < EXCHANGE_SLOTS; i++)
        stress_alloc_destroy(&a, &sh.exchange[i].item);

    VmaTotalStatistics st = stress_check_statistics(&a);
    STRESS_CHECK(st.total.statistics.allocationCount == 0,
                 "%u allocations left after every allocation was freed",
                 st.total.statistics.allocationCount);
    VkmThreadCacheStatistics all = stress_check_cache_statistics(&a, true, threads + 1, NULL);
    /* only main is alive and it never allocated: no live cache owns a run */
    STRESS_CHECK(all.runCount == 0 && all.runBytes == 0 && all.cachedBytes == 0,
                 "live caches still own %u runs (%llu bytes) after the workers exited",
                 all.runCount, (unsigned long long)all.runBytes);
    printf("stress_remote_free: %llu allocations, %llu frees, %llu device-memory allocations\n",
           (unsigned long long)atomic_load(&a.xallocs), (unsigned long long)atomic_load(&a.xfrees),
           (unsigned long long)atomic_load(&a.xdm_allocs));
    stress_allocator_destroy(&a);
    stress_env_close(&env);
    return stress_finish();
}
