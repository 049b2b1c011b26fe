/* SPDX-License-Identifier: MIT */
/*
 * stress_map - concurrent mapping of allocations that share a block, and rapid
 * create + map + write + destroy.
 *
 *   stress_map [--smoke] [threads] [iterations] [seed]
 *   iterations: map/unmap cycles per thread in part 1, create/destroy cycles in part 2
 *
 * Part 1 (VMA #525, #267: mapping allocations of one block from several threads at once
 * corrupted the block's map count or unmapped it under a writer). Every thread owns a few
 * small allocations of ONE block (a custom pool of a single 1 MiB block; then the default
 * pools, where each thread works on allocations another thread made, so on runs of other
 * threads' caches in shared blocks) and loops: map, invalidate, check the pattern of the
 * last cycle, write a new one, flush, sometimes map again (nested), unmap. One round has
 * no persistent mapping in the block, so the block's mapping comes and goes; the other
 * has persistently mapped neighbours, so it must stay put.
 * Part 2 (VMA #331: vmaCreateBuffer with MAPPED_BIT + write + vmaDestroyBuffer on several
 * threads crashed or corrupted memory): every thread creates a buffer (mostly
 * persistently mapped, sometimes mapped by hand), writes and verifies it, destroys it,
 * as fast as it can.
 * Both parts run on the real device and on the simulated Intel layout, whose
 * HOST_CACHED type is not coherent: there an unmap under a writer drops the writer's
 * mapping, and its bytes are lost (vk_sim.h), so a wrong map count fails the pattern.
 * Invariants: patterns survive every cycle; nested mappings return the same pointer;
 * while a persistently mapped allocation keeps the block mapped, every mapping of the
 * block agrees on its base address; offsets meet their alignment; no two live
 * allocations overlap; the sim sees no misuse (double map, unmapped flush); the
 * device-memory callbacks balance.
 */
#include <stdio.h>
#include <string.h>

#include "stress_common.h"

#define PER_THREAD 8
#define MAX_ALLOCS (STRESS_MAX_THREADS * PER_THREAD)
#define SHARED_BLOCK (1 * STRESS_MIB)

typedef enum variant {
    ONE_BLOCK_POOL,
    ONE_BLOCK_POOL_PERSISTENT,
    DEFAULT_POOLS
} variant;

typedef struct part1 {
    stress_allocator *a;
    VmaPool pool;
    variant v;
    unsigned threads, iterations;
    uint64_t seed;
    pthread_barrier_t barrier;
    stress_alloc x[MAX_ALLOCS];   /* thread t works on [t*PER_THREAD, (t+1)*PER_THREAD) */
    uint32_t version[MAX_ALLOCS]; /* owned by the working thread */
    /* the block's base address while a persistent mapping pins it (NULL: none) */
    const unsigned char *pinned_base;
    VkDeviceMemory pinned_memory;
} part1;

typedef struct worker {
    void *shared;
    unsigned index;
} worker;

/* pattern id of a version: version 0 is the allocation's own id (what free checks) */
static uint64_t
pattern_id(const stress_alloc *x, uint32_t version)
{
    return x->id ^ ((uint64_t)version << 40);
}

static stress_request
small_request(stress_rng *r, const stress_env *env, VmaPool pool)
{
    stress_request rq = {
        .kind = stress_chance(r, 50) ? STRESS_MEMORY : STRESS_BUFFER,
        .size = 256 + stress_below(r, (uint32_t)(16 * STRESS_KIB)),
        .pool = pool,
        .random_access = true, /* prefers HOST_CACHED: the non-coherent type on the sim */
    };
    if (rq.kind == STRESS_MEMORY) {
        rq.alignment = (VkDeviceSize)64 << stress_below(r, 4);
        rq.memory_type_bits = env->noncoherent_bits ? env->noncoherent_bits : env->buffer_type_bits;
    }
    return rq;
}

static void
cycle(part1 *p, stress_rng *r, unsigned k)
{
    stress_allocator *a = p->a;
    stress_alloc *x = &p->x[k];
    if (x->alloc == VK_NULL_HANDLE)
        return;
    void *m;
    VkResult res = vmaMapMemory(a->handle, x->alloc, &m);
    if (res != VK_SUCCESS) {
        stress_fail("id %llu: vmaMapMemory: VkResult %d", (unsigned long long)x->id, (int)res);
        return;
    }
    if (x->mapped != NULL)
        STRESS_CHECK(m == x->mapped,
                     "id %llu: vmaMapMemory of a persistently mapped "
                     "allocation returned %p, not %p",
                     (unsigned long long)x->id, m, x->mapped);
    if (p->pinned_base != NULL && x->memory == p->pinned_memory)
        STRESS_CHECK((const unsigned char *)m - x->offset == p->pinned_base,
                     "id %llu: mapping at %p puts the block at %p, but a persistent mapping "
                     "has it at %p",
                     (unsigned long long)x->id, m, (void *)((unsigned char *)m - x->offset),
                     (const void *)p->pinned_base);
    res = vmaInvalidateAllocation(a->handle, x->alloc, 0, VK_WHOLE_SIZE);
    STRESS_CHECK(res == VK_SUCCESS, "vmaInvalidateAllocation: VkResult %d", (int)res);
    VkDeviceSize bad = stress_pattern_check(m, pattern_id(x, p->version[k]), x->size);
    if (bad != VK_WHOLE_SIZE)
        stress_fail("id %llu (memory offset %llu): the pattern of map cycle %u changed at byte "
                    "%llu: lost while another thread mapped or unmapped the block",
                    (unsigned long long)x->id, (unsigned long long)x->offset, p->version[k],
                    (unsigned long long)bad);
    p->version[k]++;
    stress_pattern_write(m, pattern_id(x, p->version[k]), x->size);
    res = vmaFlushAllocation(a->handle, x->alloc, 0, VK_WHOLE_SIZE);
    STRESS_CHECK(res == VK_SUCCESS, "vmaFlushAllocation: VkResult %d", (int)res);
    if (stress_chance(r, 20)) {
        void *m2;
        res = vmaMapMemory(a->handle, x->alloc, &m2);
        if (res == VK_SUCCESS) {
            STRESS_CHECK(m2 == m, "id %llu: nested mappings differ: %p, %p",
                         (unsigned long long)x->id, m, m2);
            vmaUnmapMemory(a->handle, x->alloc);
        } else {
            stress_fail("nested vmaMapMemory: VkResult %d", (int)res);
        }
    }
    vmaUnmapMemory(a->handle, x->alloc);
}

/* back to version 0, which stress_alloc_destroy checks */
static void
restore(part1 *p, unsigned k)
{
    stress_alloc *x = &p->x[k];
    if (x->alloc == VK_NULL_HANDLE)
        return;
    void *m;
    if (vmaMapMemory(p->a->handle, x->alloc, &m) != VK_SUCCESS) {
        stress_fail("id %llu: vmaMapMemory failed", (unsigned long long)x->id);
        return;
    }
    stress_pattern_write(m, x->id, x->size);
    vmaFlushAllocation(p->a->handle, x->alloc, 0, VK_WHOLE_SIZE);
    vmaUnmapMemory(p->a->handle, x->alloc);
    p->version[k] = 0;
}

static void *
part1_thread(void *arg)
{
    worker *w = arg;
    part1 *p = w->shared;
    stress_rng r = stress_rng_make(p->seed, w->index);
    /* default pools: every thread makes allocations, then works on its neighbour's */
    unsigned own = w->index * PER_THREAD;
    if (p->v == DEFAULT_POOLS) {
        for (unsigned i = 0; i < PER_THREAD; i++) {
            stress_request rq = small_request(&r, p->a->env, VK_NULL_HANDLE);
            if (stress_chance(&r, 25))
                rq.flags |= VMA_ALLOCATION_CREATE_MAPPED_BIT;
            VkResult res = stress_alloc_create(p->a, &rq, &p->x[own + i]);
            STRESS_CHECK(res == VK_SUCCESS, "allocation: VkResult %d", (int)res);
        }
        pthread_barrier_wait(&p->barrier);
        own = ((w->index + 1) % p->threads) * PER_THREAD;
    }
    for (unsigned i = 0; i < p->iterations; i++)
        cycle(p, &r, own + stress_below(&r, PER_THREAD));
    for (unsigned i = 0; i < PER_THREAD; i++)
        restore(p, own + i);
    return NULL;
}

static void
run_part1(const stress_env *env, const stress_args *args, variant v)
{
    static part1 p;
    memset(&p, 0, sizeof(p));
    static stress_allocator a;
    VkResult res = stress_allocator_create(env, 0, 0, &a);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        return;
    }
    p.a = &a;
    p.v = v;
    p.threads = args->threads;
    p.iterations = args->iterations;
    p.seed = args->seed + (uint64_t)v * 7919;
    pthread_barrier_init(&p.barrier, NULL, p.threads);
    stress_rng r = stress_rng_make(p.seed, 999);
    if (v != DEFAULT_POOLS) {
        /* one block: the non-coherent host-visible type when there is one */
        uint32_t type = env->host_pool_type;
        uint32_t nc = env->noncoherent_bits & env->buffer_type_bits;
        if (nc != 0)
            for (type = 0; !(nc & (1u << type)); type++)
                ;
        VmaPoolCreateInfo pci = {.memoryTypeIndex = type,
                                 .blockSize = SHARED_BLOCK,
                                 .minBlockCount = 1,
                                 .maxBlockCount = 1};
        res = vmaCreatePool(a.handle, &pci, &p.pool);
        if (res != VK_SUCCESS) {
            stress_fail("vmaCreatePool: VkResult %d", (int)res);
            stress_allocator_destroy(&a);
            return;
        }
        for (unsigned i = 0; i < p.threads * PER_THREAD; i++) {
            stress_request rq = small_request(&r, env, p.pool);
            rq.memory_type_bits = UINT32_MAX;
            if (v == ONE_BLOCK_POOL_PERSISTENT && i % 4 == 0)
                rq.flags |= VMA_ALLOCATION_CREATE_MAPPED_BIT;
            res = stress_alloc_create(&a, &rq, &p.x[i]);
            STRESS_CHECK(res == VK_SUCCESS, "allocation %u in the one-block pool: VkResult %d", i,
                         (int)res);
            if (p.x[i].mapped != NULL && p.pinned_base == NULL) {
                p.pinned_base = (const unsigned char *)p.x[i].mapped - p.x[i].offset;
                p.pinned_memory = p.x[i].memory;
            }
        }
        for (unsigned i = 1; i < p.threads * PER_THREAD; i++)
            STRESS_CHECK(p.x[i].alloc == VK_NULL_HANDLE || p.x[i].memory == p.x[0].memory,
                         "allocation %u of a one-block pool is in another VkDeviceMemory", i);
    }

    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned i = 0; i < p.threads; i++) {
        w[i] = (worker){&p, i};
        stress_thread_start(&tid[i], part1_thread, &w[i]);
    }
    for (unsigned i = 0; i < p.threads; i++)
        stress_thread_join(tid[i]);
    for (unsigned i = 0; i < p.threads * PER_THREAD; i++)
        stress_alloc_destroy(&a, &p.x[i]);
    stress_check_statistics(&a);
    if (p.pool != VK_NULL_HANDLE) {
        stress_check_pool_statistics(&a, p.pool, SHARED_BLOCK, 1);
        vmaDestroyPool(a.handle, p.pool);
    }
    pthread_barrier_destroy(&p.barrier);
    stress_allocator_destroy(&a);
}

/* ---- part 2: rapid create + map + write + destroy (VMA #331) ------------------------- */

typedef struct part2 {
    stress_allocator *a;
    unsigned iterations;
    uint64_t seed;
} part2;

static void *
part2_thread(void *arg)
{
    worker *w = arg;
    part2 *p = w->shared;
    stress_allocator *a = p->a;
    stress_rng r = stress_rng_make(p->seed, w->index);
    stress_alloc prev = {0};
    for (unsigned i = 0; i < p->iterations; i++) {
        stress_request rq = {
            .kind = STRESS_BUFFER,
            .size = stress_chance(&r, 90) ? 256 + stress_below(&r, (uint32_t)(64 * STRESS_KIB))
                                          : stress_random_size(&r),
            .random_access = stress_chance(&r, 50),
        };
        if (stress_chance(&r, 80)) /* the #331 shape; the rest maps by hand in the helper */
            rq.flags |= VMA_ALLOCATION_CREATE_MAPPED_BIT;
        if (stress_chance(&r, 20))
            rq.alignment = stress_random_alignment(&r);
        stress_alloc x;
        VkResult res = stress_alloc_create(a, &rq, &x); /* writes through the mapping */
        if (res != VK_SUCCESS) {
            stress_fail("vmaCreateBuffer of %llu bytes: VkResult %d", (unsigned long long)rq.size,
                        (int)res);
            continue;
        }
        stress_alloc_verify(a, &x, "right after the write");
        /* mostly destroyed at once; sometimes one iteration later, so two are live */
        stress_alloc_destroy(a, &prev);
        if (stress_chance(&r, 75))
            stress_alloc_destroy(a, &x);
        else
            prev = x;
    }
    stress_alloc_destroy(a, &prev);
    return NULL;
}

static void
run_part2(const stress_env *env, const stress_args *args)
{
    static stress_allocator a;
    VkResult res = stress_allocator_create(env, 0, 0, &a);
    if (res != VK_SUCCESS) {
        stress_fail("vmaCreateAllocator: VkResult %d", (int)res);
        return;
    }
    part2 p = {&a, args->iterations, args->seed + 31};
    pthread_t tid[STRESS_MAX_THREADS];
    worker w[STRESS_MAX_THREADS];
    for (unsigned i = 0; i < args->threads; i++) {
        w[i] = (worker){&p, i};
        stress_thread_start(&tid[i], part2_thread, &w[i]);
    }
    for (unsigned i = 0; i < args->threads; i++)
        stress_thread_join(tid[i]);
    stress_check_statistics(&a);
    stress_allocator_destroy(&a);
}

static int
run_on(const char *layout, const stress_args *args)
{
    stress_env env;
    int rc = layout ? stress_env_open_layout(&env, layout) : stress_env_open(&env);
    if (rc != 0)
        return rc;
    printf("stress_map: on %s\n", env.sim ? vkm_sim_layout_name(env.sim) : "the real device");
    run_part1(&env, args, ONE_BLOCK_POOL);
    run_part1(&env, args, ONE_BLOCK_POOL_PERSISTENT);
    run_part1(&env, args, DEFAULT_POOLS);
    run_part2(&env, args);
    stress_env_close(&env);
    return 0;
}

int
main(int argc, char **argv)
{
    stress_args args;
    int rc = stress_init(argc, argv, "stress_map", (stress_args){4, 20000, 1, false},
                         (stress_args){4, 5000, 1, true}, &args);
    if (rc != 0)
        return rc;
    if ((rc = run_on(NULL, &args)) != 0)
        return rc;
    /* a non-coherent type: a mapping dropped under a writer loses its bytes */
    if ((rc = run_on("intel-igpu-nonllc", &args)) == STRESS_EXIT_SKIP)
        return rc;
    return stress_finish();
}
