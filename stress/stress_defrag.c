/* SPDX-License-Identifier: MIT */
/*
 * stress_defrag.c - defragmentation while other threads churn (VMA #313, #529).
 *
 * One thread defragments every default pool again and again (each algorithm in turn),
 * copying moved data with memcpy through the mappings and verifying its own allocations
 * after every pass. Worker threads meanwhile:
 *   - churn in a custom pool of the same memory type (alloc, write, verify, free) and ask
 *     vmaGetAllocationInfo about long-lived allocations there, which no pass may move:
 *     place and data must not change;
 *   - allocate in the very default pool being defragmented (runs of their own caches, so
 *     passes enumerate slots their owners are handing out). VMA's contract forbids using
 *     or freeing an allocation of the current pass's moves; a worker cannot know which
 *     those are before the pass begins, so it reads, writes and frees its default-pool
 *     allocations under the read side of a lock the defragmenting thread holds for writing
 *     from pass begin to pass end (allocating needs no lock); now and then a worker
 *     pauses, so that pass ends find its cache idle and take its emptied runs back
 *     themselves (src/tcache.h, "Holding") while it may wake up and claim it;
 *   - a spawner starts short-lived threads one after the other, which allocate in the
 *     default pools, pause, free and exit: thread exit races with a pass end holding
 *     the exiting thread's cache.
 * Validator: no two live allocations of one memory overlap, offsets meet the alignment,
 * data written survives every move.
 */
#include "stress_common.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define WINDOW 16

typedef struct shared {
    stress_allocator *sa;
    VmaPool pool;
    uint32_t type;
    unsigned iterations;
    uint64_t seed;
    pthread_rwlock_t pass_lock; /* write: a pass is open; read: a worker touches its own */
    atomic_bool done;
} shared;

typedef struct item {
    VmaAllocation a;
    VkDeviceSize size;
    uint32_t seed;
} item;

static uint8_t
pattern(uint32_t seed, VkDeviceSize k)
{
    return (uint8_t)(seed * 167u + (uint32_t)k * 13u);
}

static void
write_item(VmaAllocator a, const item *it)
{
    VmaAllocationInfo i;
    vmaGetAllocationInfo(a, it->a, &i);
    STRESS_CHECK(i.pMappedData != NULL, "allocation is not mapped");
    if (i.pMappedData == NULL)
        return;
    uint8_t *p = i.pMappedData;
    for (VkDeviceSize k = 0; k < it->size; k++)
        p[k] = pattern(it->seed, k);
}

static void
verify_item(VmaAllocator a, const item *it, const char *when)
{
    VmaAllocationInfo i;
    vmaGetAllocationInfo(a, it->a, &i);
    if (i.pMappedData == NULL) {
        stress_fail("%s: allocation lost its mapping", when);
        return;
    }
    STRESS_CHECK(i.offset % 256 == 0, "%s: offset %llu breaks the alignment", when,
                 (unsigned long long)i.offset);
    const uint8_t *p = i.pMappedData;
    for (VkDeviceSize k = 0; k < it->size; k++) {
        if (p[k] != pattern(it->seed, k)) {
            stress_fail("%s: byte %llu of %llu differs", when, (unsigned long long)k,
                        (unsigned long long)it->size);
            return;
        }
    }
}

static VkResult
make_item(shared *s, VmaPool pool, stress_rng *r, uint32_t seed, item *out)
{
    out->size = 256 + stress_below(r, 12 * 1024);
    out->seed = seed;
    VkMemoryRequirements req = {
        .size = out->size, .alignment = 256, .memoryTypeBits = 1u << s->type};
    VmaAllocationCreateInfo ci = {.flags = VMA_ALLOCATION_CREATE_MAPPED_BIT |
                                           VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT,
                                  .pool = pool};
    if (stress_chance(r, 20))
        ci.flags |= VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT; /* shared path */
    return vmaAllocateMemory(s->sa->handle, &req, &ci, &out->a, NULL);
}

static void
expect_disjoint(VmaAllocator a, const item *set, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        VmaAllocationInfo x;
        vmaGetAllocationInfo(a, set[i].a, &x);
        for (unsigned j = i + 1; j < n; j++) {
            VmaAllocationInfo y;
            vmaGetAllocationInfo(a, set[j].a, &y);
            if (x.deviceMemory == y.deviceMemory)
                STRESS_CHECK(x.offset + x.size <= y.offset || y.offset + y.size <= x.offset,
                             "allocations overlap at %llu and %llu", (unsigned long long)x.offset,
                             (unsigned long long)y.offset);
        }
    }
}

typedef struct worker {
    shared *s;
    unsigned index;
} worker;

/* Idle for a few tens of microseconds: long enough for a pass end to find us outside
 * every operation on our cache. */
static void
pause_briefly(stress_rng *r)
{
    struct timespec ts = {0, 10000 + (long)stress_below(r, 60000)};
    nanosleep(&ts, NULL);
}

static void *
worker_main(void *p)
{
    worker *w = p;
    shared *s = w->s;
    VmaAllocator a = s->sa->handle;
    stress_rng r = stress_rng_make(s->seed, w->index + 1);
    item fixed[4], mine[WINDOW];
    VmaAllocationInfo fixed_info[4];
    unsigned nmine = 0;
    uint32_t seed = w->index * 1000003u;
    for (unsigned i = 0; i < 4; i++) {
        if (make_item(s, s->pool, &r, ++seed, &fixed[i]) != VK_SUCCESS) {
            stress_fail("vmaAllocateMemory in the custom pool failed");
            return NULL;
        }
        write_item(a, &fixed[i]);
        vmaGetAllocationInfo(a, fixed[i].a, &fixed_info[i]);
    }
    for (unsigned it = 0; it < s->iterations; it++) {
        if (stress_chance(&r, 2))
            pause_briefly(&r);
        const uint32_t op = stress_below(&r, 100);
        if (op < 40) {
            /* churn in the custom pool: no pass touches it */
            item x;
            if (make_item(s, s->pool, &r, ++seed, &x) == VK_SUCCESS) {
                write_item(a, &x);
                verify_item(a, &x, "custom pool churn");
                vmaFreeMemory(a, x.a);
            }
        } else if (op < 55) {
            /* queries on allocations no pass moves, at any time */
            const unsigned k = stress_below(&r, 4);
            VmaAllocationInfo now;
            vmaGetAllocationInfo(a, fixed[k].a, &now);
            STRESS_CHECK(now.deviceMemory == fixed_info[k].deviceMemory &&
                             now.offset == fixed_info[k].offset,
                         "a custom-pool allocation moved");
            verify_item(a, &fixed[k], "long-lived custom-pool allocation");
        } else if (nmine < WINDOW && op < 85) {
            /* allocate in the pool being defragmented: no lock */
            item x;
            if (make_item(s, VK_NULL_HANDLE, &r, ++seed, &x) != VK_SUCCESS)
                continue;
            pthread_rwlock_rdlock(&s->pass_lock);
            write_item(a, &x);
            pthread_rwlock_unlock(&s->pass_lock);
            mine[nmine++] = x;
        } else if (nmine > 0) {
            const unsigned k = stress_below(&r, nmine);
            pthread_rwlock_rdlock(&s->pass_lock);
            verify_item(a, &mine[k], "worker's default-pool allocation");
            vmaFreeMemory(a, mine[k].a);
            pthread_rwlock_unlock(&s->pass_lock);
            mine[k] = mine[--nmine];
        }
    }
    pthread_rwlock_rdlock(&s->pass_lock);
    for (unsigned k = 0; k < nmine; k++) {
        verify_item(a, &mine[k], "worker's default-pool allocation at the end");
        vmaFreeMemory(a, mine[k].a);
    }
    pthread_rwlock_unlock(&s->pass_lock);
    for (unsigned i = 0; i < 4; i++)
        vmaFreeMemory(a, fixed[i].a);
    return NULL;
}

/* A short-lived thread: a few default-pool allocations (slots of runs of its own), a
 * pause in which pass ends may hold its cache, the frees, and its exit. */
static void *
ephemeral_main(void *p)
{
    worker *w = p;
    shared *s = w->s;
    VmaAllocator a = s->sa->handle;
    stress_rng r = stress_rng_make(s->seed, 0x10000u + w->index);
    item mine[WINDOW];
    unsigned n = 0;
    uint32_t seed = 0x40000000u + w->index * 4099u;
    while (n < WINDOW && make_item(s, VK_NULL_HANDLE, &r, ++seed, &mine[n]) == VK_SUCCESS) {
        pthread_rwlock_rdlock(&s->pass_lock);
        write_item(a, &mine[n]);
        pthread_rwlock_unlock(&s->pass_lock);
        n++;
    }
    pause_briefly(&r);
    pthread_rwlock_rdlock(&s->pass_lock);
    for (unsigned k = 0; k < n; k += 2) { /* half now: runs empty while others stay */
        verify_item(a, &mine[k], "short-lived thread's allocation");
        vmaFreeMemory(a, mine[k].a);
    }
    pthread_rwlock_unlock(&s->pass_lock);
    pause_briefly(&r);
    pthread_rwlock_rdlock(&s->pass_lock);
    for (unsigned k = 1; k < n; k += 2) {
        verify_item(a, &mine[k], "short-lived thread's allocation");
        vmaFreeMemory(a, mine[k].a);
    }
    pthread_rwlock_unlock(&s->pass_lock);
    return NULL;
}

static void *
spawner_main(void *p)
{
    shared *s = p;
    for (unsigned i = 0; !atomic_load(&s->done); i++) {
        worker w = {s, i};
        pthread_t t;
        stress_thread_start(&t, ephemeral_main, &w);
        stress_thread_join(t);
    }
    return NULL;
}

/* One defragmentation of the default pools, memcpy moves, under the write lock. */
static void
defragment(shared *s, VmaDefragmentationFlags flags, item *set, unsigned n)
{
    VmaAllocator a = s->sa->handle;
    VmaDefragmentationInfo info = {.flags = flags, .maxAllocationsPerPass = 24};
    VmaDefragmentationContext ctx;
    VkResult res = vmaBeginDefragmentation(a, &info, &ctx);
    if (res != VK_SUCCESS) {
        stress_fail("vmaBeginDefragmentation: VkResult %d", (int)res);
        return;
    }
    for (unsigned pass_no = 0; pass_no < 64; pass_no++) {
        pthread_rwlock_wrlock(&s->pass_lock);
        VmaDefragmentationPassMoveInfo pass;
        res = vmaBeginDefragmentationPass(a, ctx, &pass);
        if (res != VK_INCOMPLETE) {
            pthread_rwlock_unlock(&s->pass_lock);
            STRESS_CHECK(res == VK_SUCCESS, "vmaBeginDefragmentationPass: VkResult %d", (int)res);
            break;
        }
        for (uint32_t i = 0; i < pass.moveCount; i++) {
            VmaAllocationInfo si;
            vmaGetAllocationInfo(a, pass.pMoves[i].srcAllocation, &si);
            void *dst = NULL;
            if (si.pMappedData == NULL ||
                vmaMapMemory(a, pass.pMoves[i].dstTmpAllocation, &dst) != VK_SUCCESS) {
                stress_fail("a move's source or destination cannot be mapped");
                pass.pMoves[i].operation = VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE;
                continue;
            }
            memcpy(dst, si.pMappedData, (size_t)si.size);
            vmaUnmapMemory(a, pass.pMoves[i].dstTmpAllocation);
        }
        res = vmaEndDefragmentationPass(a, ctx, &pass);
        pthread_rwlock_unlock(&s->pass_lock);
        for (unsigned k = 0; k < n; k++)
            verify_item(a, &set[k], "defragmenter's allocation after a pass");
        if (res == VK_SUCCESS)
            break;
    }
    VmaDefragmentationStats st;
    vmaEndDefragmentation(a, ctx, &st);
    expect_disjoint(a, set, n);
}

static void
run(const stress_env *env, const stress_args *args)
{
    static stress_allocator sa;
    VkResult res = stress_allocator_create(env, 0, 0, &sa);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        return;
    }
    static shared s;
    memset(&s, 0, sizeof(s));
    s.sa = &sa;
    s.type = env->host_pool_type;
    s.iterations = args->iterations;
    s.seed = args->seed;
    pthread_rwlock_init(&s.pass_lock, NULL);
    VmaPoolCreateInfo pci = {.memoryTypeIndex = s.type, .blockSize = 256 * STRESS_KIB};
    res = vmaCreatePool(sa.handle, &pci, &s.pool);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreatePool: VkResult %d", (int)res);
        stress_allocator_destroy(&sa);
        return;
    }
    const unsigned nworkers = args->threads > 1 ? args->threads - 1 : 1;
    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned i = 0; i < nworkers; i++) {
        w[i] = (worker){&s, i};
        stress_thread_start(&tid[i], worker_main, &w[i]);
    }
    pthread_t spawner;
    stress_thread_start(&spawner, spawner_main, &s);
    /* The defragmenter: fragment its own set, defragment, repeat. */
    static item set[64];
    unsigned n = 0;
    stress_rng r = stress_rng_make(args->seed, 0);
    static const VmaDefragmentationFlags algs[] = {
        VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT,
        VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT,
        VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT,
        VMA_DEFRAGMENTATION_FLAG_ALGORITHM_EXTENSIVE_BIT};
    const unsigned rounds = args->iterations / 50 + 2;
    uint32_t seed = 0x9e3779b9u;
    for (unsigned round = 0; round < rounds; round++) {
        while (n < 64) {
            if (make_item(&s, VK_NULL_HANDLE, &r, ++seed, &set[n]) != VK_SUCCESS)
                break;
            pthread_rwlock_rdlock(&s.pass_lock); /* not needed for our own; keeps order */
            write_item(sa.handle, &set[n]);
            pthread_rwlock_unlock(&s.pass_lock);
            n++;
        }
        for (unsigned k = 0; k < n; k += 1 + stress_below(&r, 2)) {
            vmaFreeMemory(sa.handle, set[k].a);
            set[k] = set[--n];
        }
        defragment(&s, algs[round % 4], set, n);
    }
    for (unsigned i = 0; i < nworkers; i++)
        stress_thread_join(tid[i]);
    atomic_store(&s.done, true);
    stress_thread_join(spawner);
    defragment(&s, VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT, set, n);
    for (unsigned k = 0; k < n; k++) {
        verify_item(sa.handle, &set[k], "at the end");
        vmaFreeMemory(sa.handle, set[k].a);
    }
    vmaDestroyPool(sa.handle, s.pool);
    pthread_rwlock_destroy(&s.pass_lock);
    stress_allocator_destroy(&sa);
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_defrag", (stress_args){4, 20000, 1, false},
                         (stress_args){3, 600, 1, true}, &args);
    if (rc != 0)
        return rc;
    stress_env env;
    if ((rc = stress_env_open(&env)) != 0)
        return rc;
    run(&env, &args);
    stress_env_close(&env);
    return stress_finish();
}
