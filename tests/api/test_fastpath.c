/* SPDX-License-Identifier: MIT */
/*
 * test_fastpath.c - the allocation fast path (a per-thread memo of resolved request
 * shapes, default build only) must give exactly what the slow path gives.
 *
 * The memo is keyed by every VmaAllocationCreateInfo field but pUserData, the
 * requirements' memoryTypeBits and the resource's usage and kind. Two requests that
 * differ only in `priority` therefore resolve alike (without VK_EXT_memory_priority,
 * which these allocators are not created with, priority changes nothing a block
 * allocation shows) but are different shapes: a "slow twin" with a priority no other
 * call uses misses the memo every time, so comparing a memoised request with its twin
 * compares the fast path with the slow path on the same allocator and the same state.
 *
 * Cases: placement and user data of many sizes and alignments of one shape; shapes that
 * resolve to different memory types (more than the memo holds, cycling); mapping rights
 * and MAPPED_BIT; the dedicated threshold against the preferred block size; exact
 * statistics with remote frees; vmaCreateBuffer binding and a driver's dedicated
 * preference; custom pools next to the default pools; a thread that exits holding
 * fast-path allocations. In the single-mutex build there is no memo: the same requests
 * must give the same results and the cache reports no hits.
 */
#include "api_common.h"


/* A priority no other call of a case uses: the request is a shape of its own (a memo
 * miss), resolved by the slow path. Distinct floats for i < 2^20. */
static float
twin_priority(uint32_t i)
{
    return 0.25f + (float)(i & 0xfffffu) * (1.0f / (1u << 22));
}

/* The type the slow path resolves the shape to when memory is plentiful: its first
 * candidate, which vmaFindMemoryTypeIndex reports. */
static uint32_t
expected_type(VmaAllocator a, uint32_t mr_bits, const VmaAllocationCreateInfo *ci)
{
    uint32_t t = UINT32_MAX;
    EXPECT_VK(VK_SUCCESS, vmaFindMemoryTypeIndex(a, mr_bits, ci, &t));
    return t;
}

/* The allocations hold pairwise disjoint ranges (same VkDeviceMemory). */
static void
expect_disjoint(VmaAllocator a, const VmaAllocation *x, uint32_t n)
{
    VmaAllocationInfo *info = calloc(n, sizeof(*info));
    ASSERT_TRUE(info != NULL);
    for (uint32_t i = 0; i < n; i++)
        vmaGetAllocationInfo(a, x[i], &info[i]);
    uint32_t overlaps = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (info[i].deviceMemory == info[j].deviceMemory &&
                api_ranges_overlap(info[i].offset, info[i].size, info[j].offset, info[j].size))
                overlaps++;
    EXPECT_EQ(overlaps, 0u);
    free(info);
}

/* The statistics (totals, per memory type, per heap, budgets) count exactly `count`
 * allocations of `bytes` in total. */
static void
expect_live(VmaAllocator a, uint32_t count, VkDeviceSize bytes)
{
    const VmaTotalStatistics t = api_stats(a);
    EXPECT_EQ(t.total.statistics.allocationCount, count);
    EXPECT_EQ_U64(t.total.statistics.allocationBytes, bytes);
    const VkPhysicalDeviceMemoryProperties *p = NULL;
    vmaGetMemoryProperties(a, &p);
    uint64_t tc = 0, tb = 0, hc = 0, hb = 0, bc = 0, bb = 0;
    for (uint32_t i = 0; i < p->memoryTypeCount; i++) {
        tc += t.memoryType[i].statistics.allocationCount;
        tb += t.memoryType[i].statistics.allocationBytes;
    }
    VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
    memset(budgets, 0xcd, sizeof(budgets));
    vmaGetHeapBudgets(a, budgets);
    for (uint32_t h = 0; h < p->memoryHeapCount; h++) {
        hc += t.memoryHeap[h].statistics.allocationCount;
        hb += t.memoryHeap[h].statistics.allocationBytes;
        bc += budgets[h].statistics.allocationCount;
        bb += budgets[h].statistics.allocationBytes;
    }
    EXPECT_EQ_U64(tc, count);
    EXPECT_EQ_U64(tb, bytes);
    EXPECT_EQ_U64(hc, count);
    EXPECT_EQ_U64(hb, bytes);
    EXPECT_EQ_U64(bc, count);
    EXPECT_EQ_U64(bb, bytes);
}

/* Writes a pattern into the allocation (mapped through the API; its first and last 256
 * bytes when larger than 512), or checks it: the first differing byte, or SIZE_MAX. */
static size_t
ends_pattern(VmaAllocator a, VmaAllocation x, VkDeviceSize size, uint32_t seed, bool check)
{
    void *p = NULL;
    if (vmaMapMemory(a, x, &p) != VK_SUCCESS || p == NULL)
        return 0;
    const size_t n = size <= 512 ? (size_t)size : 256;
    char *tail = (char *)p + size - n;
    size_t bad = SIZE_MAX;
    if (check) {
        bad = api_check_pattern(p, n, seed);
        if (bad == SIZE_MAX && size > 512 && api_check_pattern(tail, n, ~seed) != SIZE_MAX)
            bad = (size_t)size - n;
    } else {
        api_fill_pattern(p, n, seed);
        if (size > 512)
            api_fill_pattern(tail, n, ~seed);
    }
    vmaUnmapMemory(a, x);
    return bad;
}

/* ---- 1. one shape, many sizes and alignments ------------------------------------------ */

TEST(fastpath_repeated_shape_places_each_request_right)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    const uint32_t bits = api_all_types(a);
    static const VkDeviceSize sizes[] = {256, 300, 1000, 4096, 5000, 65536, 100000, 262144};
    static const VkDeviceSize aligns[] = {1, 256, 4096, 65536};
    enum {
        NS = sizeof(sizes) / sizeof(sizes[0]),
        NA = sizeof(aligns) / sizeof(aligns[0]),
        ROUNDS = 6,
        MAX = NS * NA * (ROUNDS + 1)
    };
    static VmaAllocation x[MAX];
    static VkDeviceSize xs[MAX];
    /* host-visible: the pattern is written through a mapping (on a GPU with a memory
     * type without flags, UNKNOWN alone would pick that one) */
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN,
                                  .requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT};
    const uint32_t want_type = expected_type(a, bits, &ci);
    uint32_t n = 0;
    VkmThreadCacheStatistics before = {0};
    for (uint32_t r = 0; r <= ROUNDS; r++) {
        if (r == 1)
            before = api_my_cache(a); /* round 0 warmed every class up */
        for (uint32_t s = 0; s < NS; s++) {
            for (uint32_t k = 0; k < NA; k++) {
                const VkMemoryRequirements req = api_mem_req(sizes[s], aligns[k], bits);
                void *const ud = (void *)(uintptr_t)(0x10000u + 16u * n);
                ci.pUserData = ud;
                VmaAllocationInfo info;
                memset(&info, 0xcd, sizeof(info));
                ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x[n], &info));
                EXPECT_EQ(info.memoryType, want_type);
                EXPECT_TRUE(info.deviceMemory != VK_NULL_HANDLE);
                EXPECT_EQ_U64(info.offset % aligns[k], 0);
                EXPECT_EQ_U64(info.size, sizes[s]);
                EXPECT_TRUE(info.pUserData == ud);
                EXPECT_TRUE(info.pMappedData == NULL);
                EXPECT_TRUE(info.pName == NULL);
                const VmaAllocationInfo2 i2 = api_info2(a, x[n]);
                EXPECT_TRUE(i2.allocationInfo.deviceMemory == info.deviceMemory);
                EXPECT_EQ_U64(i2.allocationInfo.offset, info.offset);
                EXPECT_TRUE(i2.allocationInfo.pUserData == ud);
                EXPECT_TRUE(i2.dedicatedMemory == VK_FALSE);
                EXPECT_GE_U64(i2.blockSize, info.offset + info.size);
                xs[n] = sizes[s];
                EXPECT_EQ_U64(ends_pattern(a, x[n], xs[n], n, false), SIZE_MAX);
                n++;
            }
        }
    }
    const VkmThreadCacheStatistics after = api_my_cache(a);
    if (vkmIsSingleMutexBuild())
        EXPECT_EQ_U64(after.hits, 0);
    else
        EXPECT_GE(after.hits - before.hits, (uint64_t)(n - NS * NA) / 2);
    expect_disjoint(a, x, n);
    for (uint32_t i = 0; i < n; i++)
        EXPECT_EQ_U64(ends_pattern(a, x[i], xs[i], i, true), SIZE_MAX);
    VkDeviceSize bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += xs[i];
    expect_live(a, n, bytes);
    for (uint32_t i = 0; i < n; i++)
        vmaFreeMemory(a, x[i]);
    expect_live(a, 0, 0);
    api_fixture_teardown(f);
}

/* ---- 2. shapes that resolve differently ----------------------------------------------- */

typedef struct shape {
    VmaAllocationCreateInfo ci;
    uint32_t mr_bits; /* 0: every type */
} shape;

TEST(fastpath_shapes_that_resolve_differently_are_not_confused)
{
    /* Four types on three heaps: type 0 DEVICE_LOCAL only, 1 and 3 HOST_VISIBLE (3
     * cached), 2 both (the BAR). Lavapipe itself has one type. */
    api_fixture *f =
        api_fixture_setup(&(api_setup){.use_sim = true, .sim_layout = "amd-discrete-bar256"});
    VmaAllocator a = f->allocator;
    const VkPhysicalDeviceMemoryProperties *p = NULL;
    vmaGetMemoryProperties(a, &p);
    ASSERT_EQ(p->memoryTypeCount, 4u);
    const uint32_t all = api_all_types(a);
    const VmaMemoryUsage unk = VMA_MEMORY_USAGE_UNKNOWN;
    const shape shapes[] = {
        {{.usage = unk, .memoryTypeBits = 1u << 0}, 0},
        {{.usage = unk, .memoryTypeBits = 1u << 1}, 0},
        {{.usage = unk, .memoryTypeBits = 1u << 2}, 0},
        {{.usage = unk, .memoryTypeBits = 1u << 3}, 0},
        {{.usage = unk, .requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT}, 0},
        {{.usage = unk, .requiredFlags = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT}, 0},
        {{.usage = VMA_MEMORY_USAGE_GPU_ONLY}, 0},
        {{.usage = VMA_MEMORY_USAGE_CPU_ONLY}, 0},
        {{.usage = unk}, 1u << 2},               /* the requirements decide */
        {{.usage = unk}, (1u << 1) | (1u << 3)}, /* same create info, other bits */
        {{.usage = unk, .preferredFlags = VK_MEMORY_PROPERTY_HOST_CACHED_BIT}, 0},
    };
    enum {
        NSHAPES = sizeof(shapes) / sizeof(shapes[0]),
        MAX = 600
    };
    uint32_t want[NSHAPES];
    for (uint32_t s = 0; s < NSHAPES; s++) {
        want[s] = expected_type(a, shapes[s].mr_bits ? shapes[s].mr_bits : all, &shapes[s].ci);
        ASSERT_LT(want[s], p->memoryTypeCount);
    }
    /* The shapes really differ: otherwise this case proves nothing. */
    EXPECT_NE(want[0], want[1]);
    EXPECT_NE(want[6], want[7]);
    EXPECT_NE(want[4], want[5]);

    /* Schedules: two shapes alternating (both memoised), four round robin (the memo's
     * size), all of them cycling (every memo entry replaced before its next use), then two
     * again. */
    static uint32_t sched[MAX];
    uint32_t ns = 0;
    for (uint32_t i = 0; i < 80; i++)
        sched[ns++] = i % 2;
    for (uint32_t i = 0; i < 120; i++)
        sched[ns++] = 4 + i % 4;
    for (uint32_t i = 0; i < 10 * NSHAPES; i++)
        sched[ns++] = i % NSHAPES;
    for (uint32_t i = 0; i < 80; i++)
        sched[ns++] = i % 2 ? 6 : 7;
    for (uint32_t i = 0; i < 80; i++)
        sched[ns++] = i % 2 ? 8 : 9;
    ASSERT_LE(ns, (uint32_t)MAX);

    static VmaAllocation x[MAX];
    const uint64_t hits0 = api_my_cache(a).hits;
    for (uint32_t i = 0; i < ns; i++) {
        const shape *s = &shapes[sched[i]];
        const VkMemoryRequirements req =
            api_mem_req(512 + 1024 * (i % 7), 256, s->mr_bits ? s->mr_bits : all);
        VmaAllocationInfo info;
        ASSERT_VK_OK(vmaAllocateMemory(a, &req, &s->ci, &x[i], &info));
        const uint32_t t = info.memoryType;
        EXPECT_EQ(t, want[sched[i]]);
        ASSERT_LT(t, p->memoryTypeCount);
        EXPECT_TRUE(req.memoryTypeBits & (1u << t));
        if (s->ci.memoryTypeBits != 0)
            EXPECT_TRUE(s->ci.memoryTypeBits & (1u << t));
        EXPECT_EQ(p->memoryTypes[t].propertyFlags & s->ci.requiredFlags, s->ci.requiredFlags);
        VkMemoryPropertyFlags fl = 0;
        vmaGetAllocationMemoryProperties(a, x[i], &fl);
        EXPECT_EQ(fl, p->memoryTypes[t].propertyFlags);
        EXPECT_EQ_U64(info.offset % 256, 0);
    }
    if (!vkmIsSingleMutexBuild())
        EXPECT_GE(api_my_cache(a).hits - hits0, (uint64_t)ns / 2);
    expect_disjoint(a, x, ns);
    for (uint32_t i = 0; i < ns; i++)
        vmaFreeMemory(a, x[i]);
    expect_live(a, 0, 0);
    api_fixture_teardown(f);
}

/* ---- 3. mapping rights ------------------------------------------------------------------ */

TEST(fastpath_mapping_rights_follow_the_shape)
{
    static const char *const layouts[] = {NULL, "amd-discrete-bar256"};
    for (uint32_t li = 0; li < 2; li++) {
        api_fixture *f =
            api_fixture_setup(&(api_setup){.use_sim = true, .sim_layout = layouts[li]});
        VmaAllocator a = f->allocator;
        const uint32_t all = api_all_types(a);
        enum {
            N = 24
        };
        /* Non-AUTO usage: mapping is implied. */
        for (uint32_t i = 0; i < N; i++) {
            VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_CPU_TO_GPU};
            VmaAllocation x;
            VmaAllocationInfo info;
            ASSERT_VK_OK(vmaAllocateMemory(a, &(VkMemoryRequirements){4096 + 64 * i, 64, all}, &ci,
                                           &x, &info));
            EXPECT_EQ_U64(ends_pattern(a, x, info.size, i, false), SIZE_MAX);
            EXPECT_EQ_U64(ends_pattern(a, x, info.size, i, true), SIZE_MAX);
            vmaFreeMemory(a, x);
        }

        /* vmaCreateBuffer with AUTO: HOST_ACCESS makes it mappable; without, it is not
         * (host-visible memory: an API assertion and MEMORY_MAP_FAILED; other memory:
         * MEMORY_MAP_FAILED), and the fast path answers as its slow twin does. */
        const VkBufferCreateInfo bci = api_buffer_info(8192, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT |
                                                                 VK_BUFFER_USAGE_TRANSFER_DST_BIT);
        for (uint32_t i = 0; i < N; i++) {
            VmaAllocationCreateInfo ci = {
                .usage = VMA_MEMORY_USAGE_AUTO,
                .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT};
            VkBuffer b;
            VmaAllocation x;
            VmaAllocationInfo info;
            ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b, &x, &info));
            void *m = NULL;
            EXPECT_VK(VK_SUCCESS, vmaMapMemory(a, x, &m));
            EXPECT_TRUE(m != NULL);
            if (m != NULL)
                vmaUnmapMemory(a, x);
            vmaDestroyBuffer(a, b, x);
        }
        VkResult slow_res = VK_SUCCESS;
        unsigned slow_asserts = 0;
        uint32_t slow_type = UINT32_MAX;
        for (uint32_t i = 0; i < N; i++) {
            for (int twin = 1; twin >= 0; twin--) {
                VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
                if (twin)
                    ci.priority = twin_priority(i);
                VkBuffer b;
                VmaAllocation x;
                VmaAllocationInfo info;
                ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b, &x, &info));
                void *m = (void *)(uintptr_t)1;
                api_asserts_begin();
                const VkResult r = vmaMapMemory(a, x, &m);
                const unsigned asserts = api_asserts_end();
                EXPECT_VK(VK_ERROR_MEMORY_MAP_FAILED, r);
                EXPECT_TRUE(m == NULL);
                if (r == VK_SUCCESS)
                    vmaUnmapMemory(a, x);
                if (twin) {
                    slow_res = r;
                    slow_asserts = asserts;
                    slow_type = info.memoryType;
                } else {
                    EXPECT_VK(slow_res, r);
                    EXPECT_EQ(asserts, slow_asserts);
                    EXPECT_EQ(info.memoryType, slow_type);
                }
                vmaDestroyBuffer(a, b, x);
            }
        }

        /* MAPPED_BIT (never memoised) interleaved with the same fields without it: the
         * mapped ones are mapped every time, the others never. */
        const uint32_t hv = api_find_type(a, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
        ASSERT_NE(hv, UINT32_MAX);
        static VmaAllocation x[2 * N];
        for (uint32_t i = 0; i < 2 * N; i++) {
            const bool mapped = i % 2 == 0;
            VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN,
                                          .memoryTypeBits = 1u << hv,
                                          .flags = mapped ? VMA_ALLOCATION_CREATE_MAPPED_BIT : 0};
            VmaAllocationInfo info;
            ASSERT_VK_OK(
                vmaAllocateMemory(a, &(VkMemoryRequirements){2048, 256, all}, &ci, &x[i], &info));
            EXPECT_EQ(info.memoryType, hv);
            if (mapped) {
                EXPECT_TRUE(info.pMappedData != NULL);
                if (info.pMappedData != NULL)
                    api_fill_pattern(info.pMappedData, 2048, i);
            } else {
                EXPECT_TRUE(info.pMappedData == NULL);
            }
        }
        for (uint32_t i = 0; i < 2 * N; i++) {
            VmaAllocationInfo info;
            vmaGetAllocationInfo(a, x[i], &info);
            if (i % 2 == 0 && info.pMappedData != NULL)
                EXPECT_EQ_U64(api_check_pattern(info.pMappedData, 2048, i), SIZE_MAX);
            EXPECT_EQ(info.pMappedData != NULL, i % 2 == 0);
        }
        expect_disjoint(a, x, 2 * N);
        for (uint32_t i = 0; i < 2 * N; i++)
            vmaFreeMemory(a, x[i]);
        expect_live(a, 0, 0);
        api_fixture_teardown(f);
    }
}

/* ---- 4. sizes beyond the memo's range --------------------------------------------------- */

TEST(fastpath_requests_over_the_thresholds_go_where_the_slow_path_puts_them)
{
    static const VkDeviceSize blocks[] = {1 * API_MIB, 256 * API_KIB};
    for (uint32_t bi = 0; bi < 2; bi++) {
        const VkDeviceSize block = blocks[bi];
        api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size = block});
        VmaAllocator a = f->allocator;
        const uint32_t all = api_all_types(a);
        const VkPhysicalDeviceMemoryProperties *p = NULL;
        vmaGetMemoryProperties(a, &p);
        /* Over 1 GiB a heap takes preferredLargeHeapBlockSize as its block size. */
        if (p->memoryHeaps[p->memoryTypes[0].heapIndex].size <= 1024 * API_MIB) {
            api_fixture_teardown(f);
            TEST_SKIP("the heap is small: its block size is not the preferred one");
        }
        enum {
            WARM = 48,
            MAXP = 16
        };
        VmaAllocation warm[WARM];
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
        for (uint32_t i = 0; i < WARM; i++)
            ASSERT_VK_OK(
                vmaAllocateMemory(a, &(VkMemoryRequirements){4096, 256, all}, &ci, &warm[i], NULL));
        const VkDeviceSize half = block / 2;
        const VkDeviceSize probes[] = {
            half - 1,          half,          half + 1,          256 * API_KIB,
            256 * API_KIB + 1, 128 * API_KIB, 128 * API_KIB + 1, 64 * API_KIB,
            64 * API_KIB + 1};
        VmaAllocation px[MAXP * 2];
        uint32_t npx = 0;
        for (uint32_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
            VmaAllocationInfo2 got[2];
            for (int twin = 1; twin >= 0; twin--) {
                VmaAllocationCreateInfo pci = ci;
                if (twin)
                    pci.priority = twin_priority(k);
                VmaAllocation x;
                ASSERT_VK_OK(vmaAllocateMemory(a, &(VkMemoryRequirements){probes[k], 256, all},
                                               &pci, &x, NULL));
                got[twin] = api_info2(a, x);
                px[npx++] = x;
                /* this fast-path shape stays memoised between probes */
                VmaAllocation y;
                ASSERT_VK_OK(
                    vmaAllocateMemory(a, &(VkMemoryRequirements){4096, 256, all}, &ci, &y, NULL));
                vmaFreeMemory(a, y);
            }
            const bool dedicated = probes[k] > half;
            EXPECT_EQ(got[0].dedicatedMemory, (VkBool32)dedicated);
            EXPECT_EQ(got[1].dedicatedMemory, (VkBool32)dedicated);
            EXPECT_EQ(got[0].allocationInfo.memoryType, got[1].allocationInfo.memoryType);
            EXPECT_EQ_U64(got[0].allocationInfo.size, probes[k]);
            for (int t = 0; t < 2; t++) {
                if (!got[t].dedicatedMemory)
                    continue;
                EXPECT_EQ_U64(got[t].allocationInfo.offset, 0);
                EXPECT_EQ_U64(got[t].blockSize, probes[k]);
                for (uint32_t i = 0; i < WARM; i++) {
                    VmaAllocationInfo wi;
                    vmaGetAllocationInfo(a, warm[i], &wi);
                    EXPECT_TRUE(wi.deviceMemory != got[t].allocationInfo.deviceMemory);
                }
            }
        }
        expect_disjoint(a, px, npx);
        for (uint32_t i = 0; i < npx; i++)
            vmaFreeMemory(a, px[i]);
        for (uint32_t i = 0; i < WARM; i++)
            vmaFreeMemory(a, warm[i]);
        expect_live(a, 0, 0);
        api_fixture_teardown(f);
    }
}

/* ---- 5. statistics ----------------------------------------------------------------------- */

typedef struct freer {
    VmaAllocator a;
    VmaAllocation *x;
    uint32_t from, to, step;
} freer;

static void *
free_some(void *arg)
{
    freer *fr = arg;
    for (uint32_t i = fr->from; i < fr->to; i += fr->step) {
        vmaFreeMemory(fr->a, fr->x[i]);
        fr->x[i] = VK_NULL_HANDLE;
    }
    return NULL;
}

TEST(fastpath_statistics_stay_exact_with_local_and_remote_frees)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    const uint32_t all = api_all_types(a);
    enum {
        N = 160
    };
    static VmaAllocation x[2 * N];
    static VkDeviceSize xs[2 * N];
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    uint32_t count = 0;
    VkDeviceSize bytes = 0;
    /* Every allocation, checked at once. */
    for (uint32_t i = 0; i < N; i++) {
        xs[i] = 256 + 517 * (VkDeviceSize)(i % 40);
        ASSERT_VK_OK(
            vmaAllocateMemory(a, &(VkMemoryRequirements){xs[i], 64, all}, &ci, &x[i], NULL));
        count++;
        bytes += xs[i];
        expect_live(a, count, bytes);
    }
    /* A third freed by another thread (remote frees of this thread's slots). */
    freer fr = {.a = a, .x = x, .from = 0, .to = N, .step = 3};
    for (uint32_t i = 0; i < N; i += 3) {
        count--;
        bytes -= xs[i];
    }
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, free_some, &fr), 0);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    expect_live(a, count, bytes);
    /* Half of the rest here, one at a time. */
    for (uint32_t i = 1; i < N; i += 2) {
        if (x[i] == VK_NULL_HANDLE)
            continue;
        vmaFreeMemory(a, x[i]);
        x[i] = VK_NULL_HANDLE;
        count--;
        bytes -= xs[i];
        expect_live(a, count, bytes);
    }
    /* More of the same shape (the remotely freed slots come back to this thread) while
     * another thread frees what is left of the first batch. */
    fr = (freer){.a = a, .x = x, .from = 0, .to = N, .step = 1};
    for (uint32_t i = 0; i < N; i++) {
        if (x[i] != VK_NULL_HANDLE) {
            count--;
            bytes -= xs[i];
        }
    }
    ASSERT_EQ(pthread_create(&t, NULL, free_some, &fr), 0);
    for (uint32_t i = N; i < 2 * N; i++) {
        xs[i] = 256 + 517 * (VkDeviceSize)(i % 40);
        ASSERT_VK_OK(
            vmaAllocateMemory(a, &(VkMemoryRequirements){xs[i], 64, all}, &ci, &x[i], NULL));
        count++;
        bytes += xs[i];
    }
    ASSERT_EQ(pthread_join(t, NULL), 0);
    expect_live(a, count, bytes);
    expect_disjoint(a, x + N, N);
    for (uint32_t i = N; i < 2 * N; i++) {
        vmaFreeMemory(a, x[i]);
        count--;
        bytes -= xs[i];
        if (i % 8 == 0)
            expect_live(a, count, bytes);
    }
    expect_live(a, 0, 0);
    api_fixture_teardown(f);
}

/* ---- 6. vmaCreateBuffer ------------------------------------------------------------------- */

static PFN_vkGetBufferMemoryRequirements2KHR real_buffer_reqs2;
static atomic_int prefer_dedicated;
static atomic_uint buffer_reqs2_calls;

/* The driver's answer, with prefersDedicatedAllocation set while the test asks for it. */
static VKAPI_ATTR void VKAPI_CALL
buffer_reqs2_preferring(VkDevice device, const VkBufferMemoryRequirementsInfo2 *info,
                        VkMemoryRequirements2 *out)
{
    real_buffer_reqs2(device, info, out);
    atomic_fetch_add(&buffer_reqs2_calls, 1);
    if (!atomic_load(&prefer_dedicated))
        return;
    for (VkBaseOutStructure *s = out->pNext; s != NULL; s = s->pNext)
        if (s->sType == VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS)
            ((VkMemoryDedicatedRequirements *)(void *)s)->prefersDedicatedAllocation = VK_TRUE;
}

TEST(fastpath_create_buffer_binds_each_buffer_at_its_allocation)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true, .no_allocator = true});
    real_buffer_reqs2 = f->funcs.vkGetBufferMemoryRequirements2KHR;
    if (real_buffer_reqs2 != NULL)
        f->funcs.vkGetBufferMemoryRequirements2KHR = buffer_reqs2_preferring;
    atomic_store(&prefer_dedicated, 0);
    atomic_store(&buffer_reqs2_calls, 0);
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    enum {
        WARM = 4,
        N = 64,
        PREF = 8
    };
    const VkBufferCreateInfo bci =
        api_buffer_info(4096, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    const VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    uint32_t want = UINT32_MAX;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForBufferInfo(a, &bci, &aci, &want));
    static VkBuffer b[WARM + N + 2 * PREF];
    static VmaAllocation x[WARM + N + 2 * PREF];
    uint32_t n = 0;
    VkmThreadCacheStatistics before = {0};
    for (uint32_t i = 0; i < WARM + N; i++) {
        if (i == WARM)
            before = api_my_cache(a);
        VmaAllocationInfo info;
        const uint32_t binds = f->rec.bind_buffer_calls;
        ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &aci, &b[n], &x[n], &info));
        EXPECT_EQ(f->rec.bind_buffer_calls, binds + 1);
        EXPECT_TRUE(f->rec.last_bind_memory == info.deviceMemory);
        EXPECT_EQ_U64(f->rec.last_bind_offset, info.offset);
        EXPECT_EQ(info.memoryType, want);
        EXPECT_GE_U64(info.size, 4096);
        VmaAllocationInfo again;
        vmaGetAllocationInfo(a, x[n], &again);
        EXPECT_TRUE(again.deviceMemory == info.deviceMemory);
        EXPECT_EQ_U64(again.offset, info.offset);
        EXPECT_TRUE(api_info2(a, x[n]).dedicatedMemory == VK_FALSE);
        n++;
    }
    if (vkmIsSingleMutexBuild())
        EXPECT_EQ_U64(api_my_cache(a).hits, 0);
    else
        EXPECT_GE(api_my_cache(a).hits - before.hits, (uint64_t)N * 3 / 4);

    /* A driver that prefers dedicated memory for some buffers of the shape: those go
     * dedicated (naming their buffer), the others stay on the fast path. */
    if (f->ctx.has_dedicated_allocation && atomic_load(&buffer_reqs2_calls) != 0) {
        for (uint32_t i = 0; i < 2 * PREF; i++) {
            const bool pref = i % 2 == 0;
            atomic_store(&prefer_dedicated, pref);
            VmaAllocationInfo info;
            const uint32_t dm = f->rec.alloc_calls;
            ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &aci, &b[n], &x[n], &info));
            atomic_store(&prefer_dedicated, 0);
            const VmaAllocationInfo2 i2 = api_info2(a, x[n]);
            EXPECT_EQ(i2.dedicatedMemory, (VkBool32)pref);
            EXPECT_TRUE(f->rec.last_bind_memory == info.deviceMemory);
            EXPECT_EQ_U64(f->rec.last_bind_offset, info.offset);
            if (pref) {
                EXPECT_EQ_U64(info.offset, 0);
                EXPECT_EQ(f->rec.alloc_calls, dm + 1);
                const api_alloc_record *r = api_rec_find(&f->rec, info.deviceMemory);
                EXPECT_TRUE(r != NULL && r->has_dedicated && r->dedicated_buffer == b[n]);
            }
            n++;
        }
    }
    /* else: the driver reports no dedicated requirements (no VK_KHR_dedicated_allocation
     * path), so no buffer can prefer dedicated memory. */
    expect_disjoint(a, x, n);
    for (uint32_t i = 0; i < n; i++)
        vmaDestroyBuffer(a, b[i], x[i]);
    expect_live(a, 0, 0);
    api_fixture_teardown(f);
}

/* ---- 7. custom pools ----------------------------------------------------------------------- */

static bool
memory_in(VkDeviceMemory m, const VkDeviceMemory *set, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (set[i] == m)
            return true;
    return false;
}

TEST(fastpath_custom_pool_requests_never_use_the_default_memo)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    const uint32_t all = api_all_types(a);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    const uint32_t type = expected_type(a, all, &ci);
    enum {
        N = 96
    };
    static VmaAllocation dx[N], px[N];
    static VkDeviceMemory dm[N], pm[N];
    for (int round = 0; round < 2; round++) {
        VmaPool pool = VK_NULL_HANDLE;
        ASSERT_VK_OK(vmaCreatePool(a, &(VmaPoolCreateInfo){.memoryTypeIndex = type}, &pool));
        VmaAllocationCreateInfo pci = ci;
        pci.pool = pool;
        /* Round 0 warms the default shape up first, round 1 the pool's. */
        uint32_t nd = 0, np = 0;
        VkDeviceSize dbytes = 0, pbytes = 0;
        for (uint32_t i = 0; i < 2 * N; i++) {
            const bool pooled = (i % 2 == 0) == (round == 1);
            const VkMemoryRequirements req = api_mem_req(1024 + 256 * (i % 5), 256, all);
            VmaAllocationInfo info;
            if (pooled) {
                ASSERT_VK_OK(vmaAllocateMemory(a, &req, &pci, &px[np], &info));
                pm[np++] = info.deviceMemory;
                pbytes += req.size;
            } else {
                ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &dx[nd], &info));
                dm[nd++] = info.deviceMemory;
                dbytes += req.size;
            }
            EXPECT_EQ(info.memoryType, type);
            VmaStatistics ps;
            memset(&ps, 0xcd, sizeof(ps));
            vmaGetPoolStatistics(a, pool, &ps);
            EXPECT_EQ(ps.allocationCount, np);
        }
        /* No default allocation lies in a pool block, no pool allocation in a default one. */
        uint32_t mixed = 0;
        for (uint32_t i = 0; i < nd; i++)
            mixed += memory_in(dm[i], pm, np);
        EXPECT_EQ(mixed, 0u);
        expect_live(a, nd + np, dbytes + pbytes);
        for (uint32_t i = 0; i < np; i++)
            vmaFreeMemory(a, px[i]);
        VmaStatistics ps;
        vmaGetPoolStatistics(a, pool, &ps);
        EXPECT_EQ(ps.allocationCount, 0u);
        EXPECT_EQ_U64(ps.allocationBytes, 0);
        vmaDestroyPool(a, pool);
        /* The default shape goes on after the pool is gone. */
        const uint64_t hits0 = api_my_cache(a).hits;
        for (uint32_t i = 0; i < nd; i++) {
            vmaFreeMemory(a, dx[i]);
            const VkMemoryRequirements req = api_mem_req(1024, 256, all);
            ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &dx[i], NULL));
        }
        if (!vkmIsSingleMutexBuild())
            EXPECT_GE(api_my_cache(a).hits - hits0, (uint64_t)nd / 2);
        expect_live(a, nd, 1024 * (VkDeviceSize)nd);
        expect_disjoint(a, dx, nd);
        for (uint32_t i = 0; i < nd; i++)
            vmaFreeMemory(a, dx[i]);
    }
    expect_live(a, 0, 0);
    api_fixture_teardown(f);
}

/* ---- 8. a thread exits holding fast-path allocations ------------------------------------- */

typedef struct holder {
    VmaAllocator a;
    uint32_t bits;
    VmaAllocation x[128];
    uint32_t n;
    VkResult res;
    uint64_t hits;
} holder;

static void *
alloc_and_exit(void *arg)
{
    holder *h = arg;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    for (h->n = 0; h->n < 128; h->n++) {
        ci.pUserData = (void *)(uintptr_t)(h->n + 1);
        h->res =
            vmaAllocateMemory(h->a, &(VkMemoryRequirements){768 + 64 * (h->n % 8), 256, h->bits},
                              &ci, &h->x[h->n], NULL);
        if (h->res != VK_SUCCESS)
            break;
    }
    h->hits = api_my_cache(h->a).hits;
    return NULL;
}

TEST(fastpath_allocations_outlive_their_thread)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    holder h1 = {.a = a, .bits = api_all_types(a)}, h2 = h1;
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, alloc_and_exit, &h1), 0);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    ASSERT_VK_OK(h1.res);
    /* A second thread after the first is gone (its cache may reuse the first's memory),
     * allocating the same shape next to the abandoned runs. */
    ASSERT_EQ(pthread_create(&t, NULL, alloc_and_exit, &h2), 0);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    ASSERT_VK_OK(h2.res);
    if (!vkmIsSingleMutexBuild()) {
        EXPECT_GE(h1.hits, 64u);
        EXPECT_GE(h2.hits, 64u);
    }
    VmaAllocation both[256];
    memcpy(both, h1.x, sizeof(h1.x));
    memcpy(both + 128, h2.x, sizeof(h2.x));
    expect_disjoint(a, both, 256);
    VkDeviceSize bytes = 0;
    for (uint32_t i = 0; i < 256; i++) {
        VmaAllocationInfo info;
        vmaGetAllocationInfo(a, both[i], &info);
        EXPECT_TRUE(info.pUserData == (void *)(uintptr_t)(i % 128 + 1));
        EXPECT_EQ_U64(info.size, 768 + 64 * (i % 8));
        bytes += info.size;
    }
    expect_live(a, 256, bytes);
    for (uint32_t i = 0; i < 256; i++) {
        VmaAllocationInfo info;
        vmaGetAllocationInfo(a, both[i], &info);
        bytes -= info.size;
        vmaFreeMemory(a, both[i]);
        if (i % 16 == 15)
            expect_live(a, 255 - i, bytes);
    }
    vkmFlushThreadCache(a);
    expect_live(a, 0, 0);
    EXPECT_LE(api_stats(a).total.statistics.blockCount, 1u);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
