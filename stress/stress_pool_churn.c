/* SPDX-License-Identifier: MIT */
/*
 * stress_pool_churn - churn in default pools and in custom pools that are created and
 * destroyed under the churning threads, with thread caches serving both.
 *
 *   stress_pool_churn [--smoke] [threads] [iterations] [seed]
 *   threads: one manager, threads - 1 (at least 2) workers
 *   iterations: operations per worker
 *
 * POOL_SLOTS slots each hold a live custom pool of the default algorithm (fixed blocks of
 * 256 KiB or 1 MiB, some with maxBlockCount, or library-sized blocks). Workers keep a
 * window of live allocations; each step frees a random one and allocates a new one,
 * mostly small (so it comes from the worker's runs in that pool), in one of
 * the pools or a default pool. Some allocations are handed to a shared queue, from which
 * any worker takes and frees them: frees into another thread's run of the pool. Workers
 * also trim (vmaSetCurrentFrameIndex, vkmFlushThreadCache) now and then.
 * The manager retires one pool after another: it closes the slot (workers stop making
 * allocations there and free the ones they hold, the queue's too), polls
 * vmaGetPoolStatistics / vmaCalculatePoolStatistics and calls vmaDestroyPool the moment
 * allocationCount reads 0, without waiting for the freeing threads (VMA #451), then puts
 * a new pool in the slot. The destroyed pool's runs still sit in the workers'
 * caches (remote frees leave them there); the workers must never touch them again.
 * Invariants (the shared validator): no two live allocations overlap, offsets meet their
 * alignment, data written through a mapping survives until free, no block is freed under
 * a live allocation; pool statistics stay self-consistent and only drop while a slot is
 * closed; nothing is left at the end and the device-memory callbacks balance. Under TSan:
 * no race between a destroyed pool and the caches that held runs of it.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "stress_common.h"

#define POOL_SLOTS 3
#define WINDOW 24
#define QUEUE_CAP 64
#define MAX_WORKERS (STRESS_MAX_THREADS - 1)

typedef struct item {
    stress_alloc x;
    int slot; /* -1: a default pool */
} item;

typedef struct pool_slot {
    VmaPool pool;       /* under lock; VK_NULL_HANDLE while being replaced */
    bool closing;       /* under lock: no new allocation, holders free theirs */
    unsigned users;     /* under lock: workers between choosing the pool and counting */
    VkDeviceSize block; /* the pool's fixed block size, 0: library-sized */
    size_t max_blocks;
} pool_slot;

typedef struct shared {
    stress_allocator *a;
    uint64_t seed;
    unsigned iterations, workers;
    pthread_mutex_t lock;
    pthread_cond_t users_gone;
    pool_slot slots[POOL_SLOTS];      /* under lock */
    item queue[QUEUE_CAP];            /* under lock: a FIFO ring, so a closed pool's items drain */
    unsigned queue_head, queue_count; /* under lock */
    unsigned finished;                /* under lock: workers done, every free of theirs returned */
    unsigned pools_made;              /* manager only */
    atomic_uint xsteps;               /* worker steps so far, paces the manager */
} shared;

typedef struct worker {
    shared *sh;
    unsigned index;
} worker;

/* ---- worker ------------------------------------------------------------------------- */

static void
free_item(shared *sh, item *it)
{
    stress_alloc_destroy(sh->a, &it->x);
    it->slot = -1;
}

/* Takes a pool to allocate in, or VK_NULL_HANDLE (default pools). Pair with put_pool. */
static int
take_pool(shared *sh, stress_rng *r, VmaPool *pool)
{
    int s = (int)stress_below(r, POOL_SLOTS + 1) - 1;
    *pool = VK_NULL_HANDLE;
    if (s < 0)
        return -1;
    pthread_mutex_lock(&sh->lock);
    pool_slot *ps = &sh->slots[s];
    if (ps->pool == VK_NULL_HANDLE || ps->closing) {
        s = -1;
    } else {
        *pool = ps->pool;
        ps->users++;
    }
    pthread_mutex_unlock(&sh->lock);
    return s;
}

static void
put_pool(shared *sh, int s)
{
    if (s < 0)
        return;
    pthread_mutex_lock(&sh->lock);
    if (--sh->slots[s].users == 0)
        pthread_cond_broadcast(&sh->users_gone);
    pthread_mutex_unlock(&sh->lock);
}

static void
make_item(shared *sh, stress_rng *r, item *it)
{
    VmaPool pool;
    const int s = take_pool(sh, r, &pool);
    stress_request rq = stress_random_request(r, sh->a->env, pool);
    rq.flags &= ~(VmaAllocationCreateFlags)VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    if (pool != VK_NULL_HANDLE || stress_chance(r, 70)) {
        /* mostly what runs serve: small, or small and over-aligned */
        rq.size = 256 + stress_below(r, (uint32_t)(12 * STRESS_KIB));
        if (rq.kind == STRESS_MEMORY)
            rq.alignment = stress_chance(r, 20) ? 16 * STRESS_KIB : 256;
        else if (rq.alignment > 4 * STRESS_KIB)
            rq.alignment = 0;
    }
    if (stress_chance(r, 10))
        rq.flags |= VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT; /* the shared path */
    VkResult res = stress_alloc_create(sh->a, &rq, &it->x);
    const bool bounded = s >= 0 && sh->slots[s].max_blocks != 0; /* immutable while used */
    STRESS_CHECK(res == VK_SUCCESS || (bounded && res == VK_ERROR_OUT_OF_DEVICE_MEMORY),
                 "allocation of %llu bytes in %s: VkResult %d", (unsigned long long)rq.size,
                 s < 0 ? "a default pool" : "a custom pool", (int)res);
    it->slot = res == VK_SUCCESS ? s : -1;
    put_pool(sh, s);
}

/* Under lock, with queue_count > 0: the oldest item. */
static item
queue_pop(shared *sh)
{
    item it = sh->queue[sh->queue_head];
    sh->queue_head = (sh->queue_head + 1) % QUEUE_CAP;
    sh->queue_count--;
    return it;
}

/* Frees the window's items of closing slots, and takes one item from the queue. */
static void
serve_closing(shared *sh, item *win)
{
    bool closing[POOL_SLOTS];
    item taken = {.slot = -1};
    pthread_mutex_lock(&sh->lock);
    for (int s = 0; s < POOL_SLOTS; s++)
        closing[s] = sh->slots[s].closing;
    if (sh->queue_count > 0)
        taken = queue_pop(sh);
    pthread_mutex_unlock(&sh->lock);
    for (unsigned i = 0; i < WINDOW; i++)
        if (win[i].x.alloc != VK_NULL_HANDLE && win[i].slot >= 0 && closing[win[i].slot])
            free_item(sh, &win[i]);
    if (taken.x.alloc != VK_NULL_HANDLE)
        free_item(sh, &taken); /* another thread's allocation: a remote free */
}

/* Hands an item to whichever worker takes it next (freed locally when the queue is full). */
static void
hand_over(shared *sh, item *it)
{
    bool queued = false;
    pthread_mutex_lock(&sh->lock);
    /* an item of a slot closing meanwhile is freed here: the queue then holds none */
    if (sh->queue_count < QUEUE_CAP && (it->slot < 0 || !sh->slots[it->slot].closing)) {
        sh->queue[(sh->queue_head + sh->queue_count++) % QUEUE_CAP] = *it;
        queued = true;
    }
    pthread_mutex_unlock(&sh->lock);
    if (queued) {
        memset(it, 0, sizeof(*it));
        it->slot = -1;
    } else {
        free_item(sh, it);
    }
}

static void
drain_queue(shared *sh)
{
    for (;;) {
        item taken = {.slot = -1};
        pthread_mutex_lock(&sh->lock);
        if (sh->queue_count > 0)
            taken = queue_pop(sh);
        pthread_mutex_unlock(&sh->lock);
        if (taken.x.alloc == VK_NULL_HANDLE)
            return;
        free_item(sh, &taken);
    }
}

static void *
worker_main(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    stress_rng r = stress_rng_make(sh->seed, w->index);
    item win[WINDOW];
    memset(win, 0, sizeof(win));
    for (unsigned i = 0; i < WINDOW; i++)
        win[i].slot = -1;
    for (unsigned it = 0; it < sh->iterations; it++) {
        serve_closing(sh, win);
        item *victim = &win[stress_below(&r, WINDOW)];
        if (victim->x.alloc != VK_NULL_HANDLE) {
            if (stress_chance(&r, 25))
                hand_over(sh, victim);
            else
                free_item(sh, victim);
        }
        make_item(sh, &r, victim);
        atomic_fetch_add_explicit(&sh->xsteps, 1, memory_order_relaxed);
        if (stress_chance(&r, 2))
            vmaSetCurrentFrameIndex(sh->a->handle, it);
        if (stress_chance(&r, 1))
            vkmFlushThreadCache(sh->a->handle);
    }
    for (unsigned i = 0; i < WINDOW; i++)
        free_item(sh, &win[i]);
    /* every push of ours is followed by this drain, so once all are finished the queue
     * is empty and every free has returned */
    drain_queue(sh);
    pthread_mutex_lock(&sh->lock);
    sh->finished++;
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

/* ---- manager ------------------------------------------------------------------------ */

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

static VmaPool
make_pool(shared *sh, stress_rng *r, pool_slot *ps)
{
    const unsigned shape = sh->pools_made++ % 4;
    ps->block = shape == 0 ? 256 * STRESS_KIB : shape == 3 ? 0 : STRESS_MIB;
    ps->max_blocks = shape == 1 ? 3 : 0;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = sh->a->env->host_pool_type,
                             .blockSize = ps->block,
                             .maxBlockCount = ps->max_blocks,
                             .minBlockCount = stress_chance(r, 30) ? 1 : 0};
    VmaPool pool = VK_NULL_HANDLE;
    VkResult res = vmaCreatePool(sh->a->handle, &pci, &pool);
    STRESS_CHECK(res == VK_SUCCESS, "vmaCreatePool: VkResult %d", (int)res);
    return pool;
}

static bool
workers_running(shared *sh)
{
    pthread_mutex_lock(&sh->lock);
    bool running = sh->finished < sh->workers;
    pthread_mutex_unlock(&sh->lock);
    return running;
}

/* Closes slot s, waits for its pool to read empty and destroys it at once. */
static void
retire(shared *sh, stress_rng *r, int s)
{
    stress_allocator *a = sh->a;
    pool_slot *ps = &sh->slots[s];
    pthread_mutex_lock(&sh->lock);
    VmaPool pool = ps->pool;
    ps->closing = true;
    while (ps->users > 0)
        pthread_cond_wait(&sh->users_gone, &sh->lock);
    pthread_mutex_unlock(&sh->lock);
    if (pool == VK_NULL_HANDLE)
        return;
    const bool detailed = stress_chance(r, 50);
    uint32_t last = UINT32_MAX;
    for (unsigned polls = 0;; polls++) {
        const uint32_t n = pool_count(a, pool, detailed);
        STRESS_CHECK(n <= last, "closed pool: allocationCount went up from %u to %u", last, n);
        last = n;
        if (n == 0)
            break;
        if (ps->block != 0 && polls % 32 == 0)
            stress_check_pool_statistics(a, pool, ps->block, ps->max_blocks);
        if (!workers_running(sh)) {
            /* the workers freed everything they held and drained the queue */
            if (pool_count(a, pool, detailed) != 0) {
                stress_fail("closed pool still reads %u allocations after every worker "
                            "finished",
                            pool_count(a, pool, detailed));
                break;
            }
        }
        sched_yield();
    }
    vmaDestroyPool(a->handle, pool); /* the freeing threads are not waited for */
    pthread_mutex_lock(&sh->lock);
    ps->pool = VK_NULL_HANDLE;
    ps->closing = false;
    pthread_mutex_unlock(&sh->lock);
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_pool_churn", (stress_args){4, 20000, 1, false},
                         (stress_args){4, 2500, 1, true}, &args);
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
    sh.workers = args.threads < 3 ? 2 : args.threads - 1;
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.users_gone, NULL);
    stress_rng r = stress_rng_make(args.seed, 1000);
    for (int s = 0; s < POOL_SLOTS; s++)
        sh.slots[s].pool = make_pool(&sh, &r, &sh.slots[s]);

    pthread_t tid[MAX_WORKERS];
    worker w[MAX_WORKERS];
    for (unsigned i = 0; i < sh.workers; i++) {
        w[i] = (worker){&sh, i};
        stress_thread_start(&tid[i], worker_main, &w[i]);
    }
    unsigned retired = 0;
    for (int s = 0; workers_running(&sh); s = (s + 1) % POOL_SLOTS) {
        /* let the pools fill the workers' caches before the next one goes */
        const unsigned until = atomic_load(&sh.xsteps) + 12 * sh.workers;
        while (atomic_load(&sh.xsteps) < until && workers_running(&sh))
            sched_yield();
        retire(&sh, &r, s);
        retired++;
        VmaPool p = make_pool(&sh, &r, &sh.slots[s]);
        pthread_mutex_lock(&sh.lock);
        sh.slots[s].pool = p;
        pthread_mutex_unlock(&sh.lock);
        if (retired % 8 == 0)
            stress_check_statistics(&a);
    }
    for (unsigned i = 0; i < sh.workers; i++)
        stress_thread_join(tid[i]);
    drain_queue(&sh);
    for (int s = 0; s < POOL_SLOTS; s++)
        retire(&sh, &r, s);
    VmaTotalStatistics st = stress_check_statistics(&a);
    STRESS_CHECK(st.total.statistics.allocationCount == 0, "%u allocations left at the end",
                 st.total.statistics.allocationCount);
    printf("stress_pool_churn: %u pools retired under %u workers, %llu allocations, %llu "
           "device-memory allocations\n",
           retired, sh.workers, (unsigned long long)atomic_load(&a.xallocs),
           (unsigned long long)atomic_load(&a.xdm_allocs));
    stress_allocator_destroy(&a);
    stress_env_close(&env);
    return stress_finish();
}
