/* SPDX-License-Identifier: MIT */
/*
 * test_pool_tcache.c - thread caches in custom pools of the default algorithm, seen
 * through the public API: small and over-aligned pool requests come from runs
 * (vkmGetThreadCacheStatistics hits) while linear pools, pools with a maxBlockCount and
 * MIN_MEMORY requests do not; maxBlockCount holds from several threads and a full pool
 * fails exactly where VMA's would; a block that reads empty takes a request of its whole
 * size; a block of full size cut into holes still serves a class from a short run;
 * statistics stay exact with runs in the pool's blocks; a pool is destroyed while
 * other live threads still cache runs of it (they must never touch them again:
 * ASan), and after the threads that allocated in it exited; runs of an idle thread whose
 * slots another thread freed give way before a pool or a default pool makes a block. In the single-mutex build the
 * caches are off: the same sequences must give the same results without hits.
 */
#include "api_common.h"

#define KIB API_KIB
#define MIB API_MIB

static VkResult
pool_alloc(VmaAllocator a, VmaPool pool, VkDeviceSize size, VkDeviceSize alignment,
           VmaAllocationCreateFlags flags, VmaAllocation *out)
{
    VkMemoryRequirements req = api_mem_req(size, alignment, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.flags = flags, .pool = pool};
    return vmaAllocateMemory(a, &req, &ci, out, NULL);
}

static VmaDetailedStatistics
pool_detailed(VmaAllocator a, VmaPool pool)
{
    VmaDetailedStatistics d;
    memset(&d, 0xcd, sizeof(d));
    vmaCalculatePoolStatistics(a, pool, &d);
    return d;
}

static VmaStatistics
pool_basic(VmaAllocator a, VmaPool pool)
{
    VmaStatistics s;
    memset(&s, 0xcd, sizeof(s));
    vmaGetPoolStatistics(a, pool, &s);
    return s;
}

/* The pool's two statistics agree, and block bytes are allocation plus unused bytes. */
static void
expect_pool_exact(VmaAllocator a, VmaPool pool, uint32_t count, VkDeviceSize bytes)
{
    const VmaStatistics s = pool_basic(a, pool);
    const VmaDetailedStatistics d = pool_detailed(a, pool);
    EXPECT_EQ(s.allocationCount, count);
    EXPECT_EQ_U64(s.allocationBytes, bytes);
    EXPECT_EQ(d.statistics.allocationCount, count);
    EXPECT_EQ_U64(d.statistics.allocationBytes, bytes);
    EXPECT_EQ(d.statistics.blockCount, s.blockCount);
    EXPECT_EQ_U64(d.statistics.blockBytes, s.blockBytes);
    /* every byte of a block is an allocation or an unused range: runs count as their
     * slots, free slots as unused ranges */
    VkDeviceSize unused_max = d.unusedRangeCount ? d.unusedRangeSizeMax : 0;
    EXPECT_LE(unused_max, d.statistics.blockBytes);
    EXPECT_GE(d.statistics.blockBytes, bytes);
}

/* When everything is freed, a pool's blocks are whole free ranges again, as in VMA:
 * nothing of a run is left in them. */
static void
expect_pool_empty(VmaAllocator a, VmaPool pool)
{
    const VmaDetailedStatistics d = pool_detailed(a, pool);
    EXPECT_EQ(d.statistics.allocationCount, 0u);
    EXPECT_EQ_U64(d.statistics.allocationBytes, 0);
    EXPECT_EQ(d.unusedRangeCount, d.statistics.blockCount);
    EXPECT_EQ(pool_basic(a, pool).allocationCount, 0u);
}

static void
expect_disjoint(VmaAllocator a, const VmaAllocation *x, uint32_t n, VkDeviceSize alignment)
{
    VmaAllocationInfo *info = calloc(n, sizeof(*info));
    ASSERT_TRUE(info != NULL);
    for (uint32_t i = 0; i < n; i++) {
        vmaGetAllocationInfo(a, x[i], &info[i]);
        EXPECT_EQ_U64(info[i].offset % alignment, 0);
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (info[i].deviceMemory == info[j].deviceMemory)
                EXPECT_FALSE(
                    api_ranges_overlap(info[i].offset, info[i].size, info[j].offset, info[j].size));
    free(info);
}

/* ---- served from runs ------------------------------------------------------------------ */

TEST(pool_tcache_default_algorithm_pool_requests_come_from_runs)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 16 * MIB};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    enum {
        N = 192
    };
    static VmaAllocation small[N], aligned[N];
    VkDeviceSize bytes = 0;
    const VkmThreadCacheStatistics s0 = api_my_cache(a);
    for (uint32_t i = 0; i < N; i++) {
        ASSERT_VK_OK(pool_alloc(a, pool, 1000 + i % 24, 256, 0, &small[i]));
        ASSERT_VK_OK(pool_alloc(a, pool, 900, 64 * KIB, 0, &aligned[i])); /* 64 KiB slots */
        bytes += 1000 + i % 24 + 900;
    }
    expect_disjoint(a, small, N, 256);
    expect_disjoint(a, aligned, N, 64 * KIB);
    expect_pool_exact(a, pool, 2 * N, bytes);
    /* they are the pool's: the default pools hold none of them */
    VmaTotalStatistics t = api_stats(a);
    EXPECT_EQ(t.total.statistics.allocationCount, 2u * N);
    EXPECT_EQ(t.total.statistics.blockCount, pool_basic(a, pool).blockCount);
    if (!vkmIsSingleMutexBuild()) {
        const VkmThreadCacheStatistics s1 = api_my_cache(a);
        /* warm-up aside, every request was a hit */
        EXPECT_GE(s1.hits - s0.hits, (uint64_t)2 * N * 9 / 10);
        EXPECT_GT(s1.runCount, 0u);
        EXPECT_GT(s1.runBytes, 0u);
    }
    for (uint32_t i = 0; i < N; i++) {
        vmaFreeMemory(a, small[i]);
        vmaFreeMemory(a, aligned[i]);
    }
    /* freed by their owner: runs of a pool went back at once */
    expect_pool_empty(a, pool);
    if (!vkmIsSingleMutexBuild()) {
        const VkmThreadCacheStatistics s2 = api_my_cache(a);
        EXPECT_EQ(s2.runCount, 0u);
        EXPECT_EQ_U64(s2.runBytes, 0);
        EXPECT_EQ_U64(s2.cachedBytes, 0);
    }
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_tcache_linear_pools_and_min_memory_requests_are_not_cached)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo lpci = {
        .memoryTypeIndex = 0, .blockSize = 4 * MIB, .flags = VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT};
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 4 * MIB};
    VmaPool linear, pool;
    ASSERT_VK_OK(vmaCreatePool(a, &lpci, &linear));
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    enum {
        N = 64
    };
    static VmaAllocation x[2 * N];
    const VkmThreadCacheStatistics s0 = api_my_cache(a);
    VkDeviceSize prev_end = 0;
    for (uint32_t i = 0; i < N; i++) {
        VmaAllocationInfo info;
        ASSERT_VK_OK(pool_alloc(a, linear, 1024, 256, 0, &x[i]));
        vmaGetAllocationInfo(a, x[i], &info);
        /* VMA's linear placement: one after the other from offset 0 */
        EXPECT_EQ_U64(info.offset, prev_end);
        prev_end = info.offset + 1024;
        ASSERT_VK_OK(pool_alloc(a, pool, 1024, 256, VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT,
                                &x[N + i]));
    }
    const VkmThreadCacheStatistics s1 = api_my_cache(a);
    EXPECT_EQ_U64(s1.hits, s0.hits);
    EXPECT_EQ_U64(s1.misses, s0.misses);
    EXPECT_EQ(s1.runCount, s0.runCount);
    expect_pool_exact(a, linear, N, N * 1024);
    expect_pool_exact(a, pool, N, N * 1024);
    for (uint32_t i = 0; i < 2 * N; i++)
        vmaFreeMemory(a, x[i]);
    expect_pool_empty(a, pool);
    vmaDestroyPool(a, linear);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* ---- maxBlockCount -------------------------------------------------------------------- */

/* Allocates `size`-byte allocations until the pool is full; returns how many it got. */
static uint32_t
fill_with(VmaAllocator a, VmaPool pool, VkDeviceSize size, VmaAllocation *x, uint32_t max,
          VkResult *last)
{
    uint32_t n = 0;
    *last = VK_SUCCESS;
    while (n < max) {
        *last = pool_alloc(a, pool, size, 256, 0, &x[n]);
        if (*last != VK_SUCCESS)
            break;
        n++;
    }
    return n;
}

static uint32_t
fill(VmaAllocator a, VmaPool pool, VmaAllocation *x, uint32_t max, VkResult *last)
{
    return fill_with(a, pool, 4 * KIB, x, max, last);
}

typedef struct filler {
    VmaAllocator a;
    VmaPool pool;
    VmaAllocation x[1024];
    uint32_t n;
    VkResult last;
} filler;

static void *
fill_thread(void *arg)
{
    filler *t = arg;
    t->n = fill(t->a, t->pool, t->x, 1024, &t->last);
    return NULL;
}

TEST(pool_tcache_max_block_count_holds_from_several_threads)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 1 * MIB, .maxBlockCount = 2};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    enum {
        T = 4
    };
    static filler th[T];
    pthread_t tid[T];
    for (uint32_t i = 0; i < T; i++) {
        th[i] = (filler){.a = a, .pool = pool};
        ASSERT_EQ(pthread_create(&tid[i], NULL, fill_thread, &th[i]), 0);
    }
    uint32_t total = 0;
    for (uint32_t i = 0; i < T; i++) {
        pthread_join(tid[i], NULL);
        /* each stopped because the pool was full, with VMA's code */
        EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, th[i].last);
        total += th[i].n;
    }
    const VmaStatistics s = pool_basic(a, pool);
    EXPECT_EQ(s.blockCount, 2u);
    EXPECT_EQ(s.allocationCount, total);
    EXPECT_EQ_U64(s.allocationBytes, (VkDeviceSize)total * 4 * KIB);
    /* a full pool: (almost) every byte is allocated */
    EXPECT_GE(total, 2u * 256u * 3u / 4u);
    EXPECT_LE(total, 2u * 256u);
    for (uint32_t i = 0; i < T; i++)
        for (uint32_t k = 0; k < th[i].n; k++)
            vmaFreeMemory(a, th[i].x[k]); /* their threads exited */
    expect_pool_empty(a, pool);

    /* One thread alone fills it exactly as VMA would: 2 blocks of 256 allocations. */
    static VmaAllocation x[1024];
    VkResult last;
    const uint32_t n = fill(a, pool, x, 1024, &last);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, last);
    EXPECT_EQ(n, 512u);
    EXPECT_EQ(pool_basic(a, pool).blockCount, 2u);
    expect_disjoint(a, x, n, 256);
    for (uint32_t k = 0; k < n; k++)
        vmaFreeMemory(a, x[k]);
    expect_pool_empty(a, pool);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* A pool with a block limit holds what VMA's holds: the thread cache stays out of it
 * (size classes and partly used runs would cost capacity its owner sized it for). */
TEST(pool_tcache_bounded_pool_holds_what_vma_holds)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    const VkmThreadCacheStatistics s0 = api_my_cache(a);
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(
        a, &(VmaPoolCreateInfo){.memoryTypeIndex = 0, .blockSize = 1 * MIB, .maxBlockCount = 1},
        &pool));

    /* Mixed small requests, then one that needs nearly all the rest: VMA places it. */
    static const VkDeviceSize small[] = {1024, 2048, 3072, 70016, 256};
    VmaAllocation x[6];
    for (uint32_t i = 0; i < 5; i++)
        ASSERT_VK_OK(pool_alloc(a, pool, small[i], 256, 0, &x[i]));
    ASSERT_VK_OK(pool_alloc(a, pool, 900 * KIB, 256, 0, &x[5]));
    expect_disjoint(a, x, 6, 256);
    for (uint32_t i = 0; i < 6; i++)
        vmaFreeMemory(a, x[i]);
    expect_pool_empty(a, pool);

    /* One odd size fills the block to its last whole allocation. */
    enum {
        MAX = 64
    };
    static VmaAllocation y[MAX];
    const VkDeviceSize odd = 33000, step = (odd + 255) / 256 * 256;
    VkResult last;
    const uint32_t n = fill_with(a, pool, odd, y, MAX, &last);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, last);
    EXPECT_EQ(n, (uint32_t)(1 * MIB / step));
    expect_disjoint(a, y, n, 256);
    for (uint32_t i = 0; i < n; i++)
        vmaFreeMemory(a, y[i]);
    const VkmThreadCacheStatistics s1 = api_my_cache(a);
    EXPECT_EQ_U64(s1.hits, s0.hits); /* served by the block's own ranges */
    expect_pool_empty(a, pool);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* A block that reads empty takes a request of its whole size, as in VMA: the calling
 * thread's empty cached runs in it go back before a new block is made. */
TEST(pool_tcache_own_empty_runs_give_way_before_a_new_block)
{
    api_dm_counter dm;
    const VmaDeviceMemoryCallbacks cb = api_dm_callbacks(&dm);
    api_setup s = {.device_memory_callbacks = &cb};
    api_fixture *f = api_fixture_setup(&s);
    VmaAllocator a = f->allocator;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
    VkMemoryRequirements small = api_mem_req(4 * KIB, 256, 1u);
    VmaAllocation x[10];
    for (uint32_t i = 0; i < 10; i++)
        ASSERT_VK_OK(vmaAllocateMemory(a, &small, &ci, &x[i], NULL));
    const VkDeviceSize block = api_info2(a, x[0]).blockSize;
    for (uint32_t i = 0; i < 10; i++)
        vmaFreeMemory(a, x[i]);
    const unsigned blocks_made = atomic_load(&dm.allocs);
    EXPECT_EQ(blocks_made, 1u);

    VmaTotalStatistics t;
    vmaCalculateStatistics(a, &t);
    EXPECT_EQ(t.total.statistics.allocationCount, 0u);
    EXPECT_EQ(t.total.statistics.blockCount, 1u);

    VkMemoryRequirements whole = api_mem_req(block, 256, 1u);
    VmaAllocation big;
    ASSERT_VK_OK(vmaAllocateMemory(a, &whole, &ci, &big, NULL));
    const VmaAllocationInfo2 info = api_info2(a, big);
    EXPECT_FALSE(info.dedicatedMemory);
    EXPECT_EQ_U64(info.blockSize, block);
    EXPECT_EQ(atomic_load(&dm.allocs), blocks_made); /* no new VkDeviceMemory */
    vmaFreeMemory(a, big);
    api_fixture_teardown(f);
}

/* A pool's block cut into holes of `hole` bytes: a fill by uncached (MIN_MEMORY)
 * requests of that size, then every range at an even multiple of it freed. Returns the
 * ranges kept. */
static uint32_t
holed_block(VmaAllocator a, VmaPool pool, VkDeviceSize block, VkDeviceSize hole,
            VmaAllocation *kept)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < block / hole; i++) {
        VmaAllocation x = VK_NULL_HANDLE;
        EXPECT_VK(VK_SUCCESS, pool_alloc(a, pool, hole, hole,
                                         VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT, &x));
        kept[n++] = x;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (kept[i] == VK_NULL_HANDLE)
            continue;
        if ((api_info2(a, kept[i]).allocationInfo.offset / hole) % 2 == 0)
            vmaFreeMemory(a, kept[i]);
        else
            kept[k++] = kept[i];
    }
    return k;
}

/* A run that finds no room gets shorter once the list's blocks have their full size
 * (an explicit block size: from the first block on), so a block full of holes still
 * serves a class from a run; while blocks still grow, the request takes the shared path
 * and the next, larger block will hold whole runs. 8 KiB slots start in 32 KiB runs;
 * the holes are 16 KiB, room for a run of the minimum two slots. */
TEST(pool_tcache_short_runs_fill_holes_of_full_size_blocks_only)
{
    if (vkmIsSingleMutexBuild())
        return; /* no caches */
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size = 8 * MIB});
    VmaAllocator a = f->allocator;
    static VmaAllocation kept[64];
    for (int grown = 1; grown >= 0; grown--) {
        /* With blockSize 0 the pool's first block is 1/8 of the preferred 8 MiB. */
        VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = grown ? 1 * MIB : 0};
        VmaPool pool;
        ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
        const VkDeviceSize block = 1 * MIB;
        const uint32_t n = holed_block(a, pool, block, 16 * KIB, kept);
        ASSERT_EQ(pool_basic(a, pool).blockCount, 1u);
        ASSERT_EQ_U64(pool_basic(a, pool).blockBytes, block);

        const VkmThreadCacheStatistics s0 = api_my_cache(a);
        VmaAllocation x;
        ASSERT_VK_OK(pool_alloc(a, pool, 8 * KIB, 256, 0, &x));
        const VkmThreadCacheStatistics s1 = api_my_cache(a);
        EXPECT_EQ(pool_basic(a, pool).blockCount, 1u); /* a hole took it either way */
        if (grown) {
            EXPECT_EQ(s1.misses - s0.misses, 1u); /* served by a new run */
            EXPECT_EQ(s1.bypasses - s0.bypasses, 0u);
            EXPECT_EQ(s1.runCount - s0.runCount, 1u);
            EXPECT_EQ_U64(s1.runBytes - s0.runBytes, 16 * KIB);
        } else {
            EXPECT_EQ(s1.misses, s0.misses);
            EXPECT_EQ(s1.bypasses - s0.bypasses, 1u);
            EXPECT_EQ(s1.runCount, s0.runCount);
        }
        vmaFreeMemory(a, x);
        for (uint32_t i = 0; i < n; i++)
            vmaFreeMemory(a, kept[i]);
        expect_pool_empty(a, pool);
        vmaDestroyPool(a, pool);
    }
    api_fixture_teardown(f);
}

/* ---- a tiny rendezvous ---------------------------------------------------------------- */

typedef struct gate {
    pthread_mutex_t m;
    pthread_cond_t c;
    int phase;
} gate;

static void
gate_set(gate *g, int phase)
{
    pthread_mutex_lock(&g->m);
    g->phase = phase;
    pthread_cond_broadcast(&g->c);
    pthread_mutex_unlock(&g->m);
}

static void
gate_wait(gate *g, int phase)
{
    pthread_mutex_lock(&g->m);
    while (g->phase < phase)
        pthread_cond_wait(&g->c, &g->m);
    pthread_mutex_unlock(&g->m);
}

/* A thread that used the pool and stays alive holding what its cache holds. */
typedef struct holder {
    VmaAllocator a;
    VmaPool pool, next_pool;
    gate *to_main, *from_main; /* each holder sets to_main's count; main opens from_main */
    VmaAllocation x[64];       /* pool allocations, handed to main (phase 1) */
    uint32_t n;
    VkResult res;
    uint32_t runs_after; /* runCount after one default-pool allocation (phase 2) */
    uint32_t failures;
} holder;

/* Counts one more arrival at main's gate. */
static void
holder_arrive(holder *h)
{
    pthread_mutex_lock(&h->to_main->m);
    h->to_main->phase++;
    pthread_cond_broadcast(&h->to_main->c);
    pthread_mutex_unlock(&h->to_main->m);
}

static void *
holder_thread(void *arg)
{
    holder *h = arg;
    VmaAllocator a = h->a;
    const uint32_t bits = api_all_types(a);
    /* phase 1: runs of the pool (two classes and an over-aligned one), a default-pool run
     * too */
    VmaAllocation keep = VK_NULL_HANDLE;
    h->res = api_alloc(a, 2 * KIB, 256, bits, 0, &keep, NULL);
    for (h->n = 0; h->res == VK_SUCCESS && h->n < 64; h->n++) {
        const uint32_t i = h->n;
        const VkDeviceSize size = i % 3 == 0 ? 1000 : i % 3 == 1 ? 3 * KIB : 900;
        const VkDeviceSize align = i % 3 == 2 ? 64 * KIB : 256;
        h->res = pool_alloc(a, h->pool, size, align, 0, &h->x[i]);
        if (h->res != VK_SUCCESS)
            break;
    }
    holder_arrive(h);
    gate_wait(h->from_main, 1); /* main freed our pool allocations and destroyed the pool */

    /* phase 2: the first allocation sweeps the dead pool's runs out of the cache */
    VmaAllocation y = VK_NULL_HANDLE;
    if (api_alloc(a, 2 * KIB, 256, bits, 0, &y, NULL) != VK_SUCCESS)
        h->failures++;
    if (!vkmIsSingleMutexBuild()) {
        VkmThreadCacheStatistics s;
        vkmGetThreadCacheStatistics(a, &s);
        h->runs_after = s.runCount; /* the default pool's run only */
    }
    /* and the thread goes on in another pool, trims, and frees */
    VmaAllocation z[48];
    uint32_t nz = 0;
    for (uint32_t i = 0; i < 48; i++) {
        const VkDeviceSize align = i % 3 == 2 ? 64 * KIB : 256;
        if (pool_alloc(a, h->next_pool, i % 2 ? 1000 : 3 * KIB, align, 0, &z[nz]) == VK_SUCCESS)
            nz++;
        else
            h->failures++;
    }
    vmaSetCurrentFrameIndex(a, 7);
    vkmFlushThreadCache(a);
    for (uint32_t i = 0; i < nz; i++)
        vmaFreeMemory(a, z[i]);
    vmaFreeMemory(a, y);
    vmaFreeMemory(a, keep);
    vkmFlushThreadCache(a);
    holder_arrive(h);
    gate_wait(h->from_main, 2); /* stay alive until main has looked */
    return NULL;
}

TEST(pool_tcache_pool_destroyed_while_live_threads_cache_runs_of_it)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 16 * MIB};
    VmaPool pool, next_pool;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &next_pool));
    enum {
        T = 3
    };
    static gate to_main = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    static gate from_main = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    static holder h[T];
    pthread_t tid[T];
    for (uint32_t i = 0; i < T; i++) {
        h[i] = (holder){.a = a,
                        .pool = pool,
                        .next_pool = next_pool,
                        .to_main = &to_main,
                        .from_main = &from_main};
        ASSERT_EQ(pthread_create(&tid[i], NULL, holder_thread, &h[i]), 0);
    }
    gate_wait(&to_main, T);
    uint32_t n = 0;
    for (uint32_t i = 0; i < T; i++) {
        EXPECT_VK(VK_SUCCESS, h[i].res);
        n += h[i].n;
    }
    EXPECT_EQ(pool_basic(a, pool).allocationCount, n);
    EXPECT_EQ(pool_detailed(a, pool).statistics.allocationCount, n);
    /* Remote frees: the slots go back to the threads' runs, which stay in
     * their (idle) caches. */
    for (uint32_t i = 0; i < T; i++)
        for (uint32_t k = 0; k < h[i].n; k++)
            vmaFreeMemory(a, h[i].x[k]);
    EXPECT_EQ(pool_basic(a, pool).allocationCount, 0u);
    EXPECT_EQ(pool_detailed(a, pool).statistics.allocationCount, 0u);
    if (!vkmIsSingleMutexBuild()) {
        VkmThreadCacheStatistics all;
        vkmGetAllThreadCacheStatistics(a, &all);
        EXPECT_GE(all.runCount, 3u * T); /* three run classes each, at least */
    }
    vmaDestroyPool(a, pool); /* their runs of it are dead now */
    /* a new pool may take the old one's addresses: nothing may mistake it for the old */
    VmaPool again;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &again));
    VmaAllocation mine;
    ASSERT_VK_OK(pool_alloc(a, again, 1000, 256, 0, &mine));
    gate_set(&from_main, 1);
    gate_wait(&to_main, 2 * T);
    for (uint32_t i = 0; i < T; i++) {
        EXPECT_EQ(h[i].failures, 0u);
        if (!vkmIsSingleMutexBuild())
            EXPECT_EQ(h[i].runs_after, 1u);
    }
    expect_pool_exact(a, again, 1, 1000);
    expect_pool_empty(a, next_pool);
    VmaTotalStatistics t = api_stats(a);
    EXPECT_EQ(t.total.statistics.allocationCount, 1u);
    if (!vkmIsSingleMutexBuild()) {
        VkmThreadCacheStatistics all;
        vkmGetAllThreadCacheStatistics(a, &all);
        /* the threads flushed theirs; `mine` made the new pool's first block on the shared
         * path (a run never grows a pool) */
        EXPECT_EQ(all.runCount, 0u);
    }
    gate_set(&from_main, 2);
    for (uint32_t i = 0; i < T; i++)
        pthread_join(tid[i], NULL);
    vmaFreeMemory(a, mine);
    expect_pool_empty(a, again);
    vmaDestroyPool(a, again);
    vmaDestroyPool(a, next_pool);
    api_fixture_teardown(f);
}

/* ---- threads that exited -------------------------------------------------------------- */

typedef struct leaver {
    VmaAllocator a;
    VmaPool pool;
    VmaAllocation x[96];
    uint32_t n;
    VkDeviceSize bytes;
    VkResult res;
} leaver;

/* Allocates runs' slots in the pool (over-aligned ones too), frees every fourth itself,
 * and exits with the rest live (abandoned runs). */
static void *
leaver_thread(void *arg)
{
    leaver *l = arg;
    uint32_t made = 0;
    for (uint32_t i = 0; i < 96; i++) {
        const VkDeviceSize size = i % 3 == 0 ? 700 + i : i % 3 == 1 ? 5 * KIB : 900;
        const VkDeviceSize align = i % 3 == 2 ? 32 * KIB : 256;
        VmaAllocation x;
        l->res = pool_alloc(l->a, l->pool, size, align, 0, &x);
        if (l->res != VK_SUCCESS)
            return NULL;
        if (i % 4 == 3) {
            vmaFreeMemory(l->a, x);
            continue;
        }
        l->x[made++] = x;
        l->bytes += size;
    }
    l->n = made;
    return NULL;
}

TEST(pool_tcache_pool_outlives_the_threads_that_allocated_in_it)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 16 * MIB, .minBlockCount = 1};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    enum {
        T = 3
    };
    static leaver l[T];
    pthread_t tid[T];
    for (uint32_t i = 0; i < T; i++) {
        l[i] = (leaver){.a = a, .pool = pool};
        ASSERT_EQ(pthread_create(&tid[i], NULL, leaver_thread, &l[i]), 0);
    }
    uint32_t n = 0;
    VkDeviceSize bytes = 0;
    for (uint32_t i = 0; i < T; i++) {
        pthread_join(tid[i], NULL);
        ASSERT_VK_OK(l[i].res);
        n += l[i].n;
        bytes += l[i].bytes;
    }
    expect_pool_exact(a, pool, n, bytes);
    /* this thread allocates the same classes next to the abandoned runs */
    VmaAllocation mine[24];
    for (uint32_t i = 0; i < 24; i++)
        ASSERT_VK_OK(
            pool_alloc(a, pool, i % 2 ? 5 * KIB : 900, i % 2 ? 256 : 32 * KIB, 0, &mine[i]));
    expect_pool_exact(a, pool, n + 24, bytes + 12 * 5 * KIB + 12 * 900);
    for (uint32_t i = 0; i < T; i++)
        for (uint32_t k = 0; k < l[i].n; k++)
            vmaFreeMemory(a, l[i].x[k]);
    for (uint32_t i = 0; i < 24; i++)
        vmaFreeMemory(a, mine[i]);
    /* the last frees reclaimed every abandoned run */
    expect_pool_empty(a, pool);
    EXPECT_EQ(pool_basic(a, pool).blockCount, 1u); /* minBlockCount */
    vmaDestroyPool(a, pool);
    VmaTotalStatistics t = api_stats(a);
    EXPECT_EQ(t.total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

/* Trimming applies to a pool's runs: slots freed by other threads go back to the blocks
 * when the owner flushes. */
typedef struct owner_ctx {
    VmaAllocator a;
    VmaPool pool;
    gate *g;
    VmaAllocation x[40];
    VkResult res;
} owner_ctx;

static void *
owner_thread(void *arg)
{
    owner_ctx *o = arg;
    for (uint32_t i = 0; i < 40 && o->res == VK_SUCCESS; i++)
        o->res = pool_alloc(o->a, o->pool, 2 * KIB, 256, 0, &o->x[i]);
    gate_set(o->g, 1);
    gate_wait(o->g, 2); /* main freed them remotely */
    vmaSetCurrentFrameIndex(o->a, 1);
    vkmFlushThreadCache(o->a);
    gate_set(o->g, 3);
    gate_wait(o->g, 4);
    return NULL;
}

TEST(pool_tcache_flush_returns_remotely_freed_pool_slots)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 4 * MIB};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    static gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    static owner_ctx o;
    o = (owner_ctx){.a = a, .pool = pool, .g = &g};
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, owner_thread, &o), 0);
    gate_wait(&g, 1);
    ASSERT_VK_OK(o.res);
    expect_pool_exact(a, pool, 40, 40 * 2 * KIB);
    for (uint32_t i = 0; i < 40; i++)
        vmaFreeMemory(a, o.x[i]);
    expect_pool_exact(a, pool, 0, 0);
    gate_set(&g, 2);
    gate_wait(&g, 3);
    expect_pool_empty(a, pool); /* the owner's flush gave the run back */
    gate_set(&g, 4);
    pthread_join(t, NULL);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* The streaming-loader pattern: a loader thread allocates small things and goes idle; the
 * render thread frees them (remote frees into the loader's run) and then asks for a
 * range as large as the block. VMA places it in the block that reads empty. Here the
 * render thread holds the idle loader's cache, collects the frees and gives the run
 * back before the list may grow (src/tcache.h, "Holding"). */
static void *
loader_thread(void *arg)
{
    owner_ctx *o = arg; /* pool VK_NULL_HANDLE: the default pool of memory type 0 */
    for (uint32_t i = 0; i < 40 && o->res == VK_SUCCESS; i++) {
        if (o->pool != VK_NULL_HANDLE) {
            o->res = pool_alloc(o->a, o->pool, 2 * KIB, 256, 0, &o->x[i]);
        } else {
            VkMemoryRequirements req = api_mem_req(2 * KIB, 256, 1u);
            VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
            o->res = vmaAllocateMemory(o->a, &req, &ci, &o->x[i], NULL);
        }
    }
    gate_set(o->g, 1);
    gate_wait(o->g, 2); /* idle, never touching the allocator, until the end */
    return NULL;
}

TEST(pool_tcache_idle_threads_remotely_freed_runs_give_way_before_a_new_block)
{
    for (int use_pool = 0; use_pool < 2; use_pool++) {
        api_dm_counter dm;
        const VmaDeviceMemoryCallbacks cb = api_dm_callbacks(&dm);
        api_fixture *f = api_fixture_setup(&(api_setup){.device_memory_callbacks = &cb});
        VmaAllocator a = f->allocator;
        VmaPool pool = VK_NULL_HANDLE;
        if (use_pool) {
            VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 4 * MIB};
            ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
        }
        static gate g;
        g = (gate){PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
        static owner_ctx o;
        o = (owner_ctx){.a = a, .pool = pool, .g = &g};
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, loader_thread, &o), 0);
        gate_wait(&g, 1);
        ASSERT_VK_OK(o.res);
        const VmaAllocationInfo2 first = api_info2(a, o.x[0]);
        for (uint32_t i = 0; i < 40; i++)
            vmaFreeMemory(a, o.x[i]);
        const unsigned blocks_made = atomic_load(&dm.allocs);
        EXPECT_EQ(blocks_made, 1u);

        /* the whole block, as one range (a default pool's young block is under half the
         * preferred size, so this is no dedicated request either) */
        VkMemoryRequirements whole = api_mem_req(first.blockSize, 256, 1u);
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY, .pool = pool};
        VmaAllocation big = VK_NULL_HANDLE;
        ASSERT_VK_OK(vmaAllocateMemory(a, &whole, &ci, &big, NULL));
        const VmaAllocationInfo2 info = api_info2(a, big);
        EXPECT_FALSE(info.dedicatedMemory);
        if (api_process_barrier_available()) {
            EXPECT_TRUE(info.allocationInfo.deviceMemory == first.allocationInfo.deviceMemory);
            EXPECT_EQ(atomic_load(&dm.allocs), blocks_made); /* no new VkDeviceMemory */
        }
        vmaFreeMemory(a, big);
        gate_set(&g, 2);
        pthread_join(t, NULL);
        if (pool != VK_NULL_HANDLE) {
            expect_pool_empty(a, pool);
            vmaDestroyPool(a, pool);
        }
        api_fixture_teardown(f);
    }
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
