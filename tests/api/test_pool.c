/* SPDX-License-Identifier: MIT */
/*
 * test_pool.c - custom pools: every VmaPoolCreateInfo member and the pool functions.
 *
 * Against VMA 3.3's documented behaviour: blockSize explicit (constant block size, no
 * dedicated allocations: DEDICATED_MEMORY -> VK_ERROR_FEATURE_NOT_PRESENT, larger requests
 * fail) or 0 (the default block-size policy, dedicated allowed and counted in the pool);
 * minBlockCount blocks exist right after creation and stay when emptied; maxBlockCount
 * exhaustion -> VK_ERROR_OUT_OF_DEVICE_MEMORY; minBlockCount > maxBlockCount ->
 * VK_ERROR_INITIALIZATION_FAILED; a memory type out of range -> VK_ERROR_FEATURE_NOT_PRESENT;
 * minAllocationAlignment; priority (VkMemoryPriorityAllocateInfoEXT, overriding the
 * allocation's); pMemoryAllocateNext chained to every vkAllocateMemory of the pool;
 * names (copied, replaced, cleared); vmaGetPoolStatistics agrees with
 * vmaCalculatePoolStatistics and with the allocator totals; the documentation's pool
 * sample; and threads allocating in one pool at once (run under TSan).
 */
#include "api_common.h"

static VmaStatistics
pool_stats(VmaAllocator a, VmaPool p)
{
    VmaStatistics s;
    memset(&s, 0xcd, sizeof(s));
    vmaGetPoolStatistics(a, p, &s);
    return s;
}

static VmaDetailedStatistics
pool_detailed(VmaAllocator a, VmaPool p)
{
    VmaDetailedStatistics d;
    memset(&d, 0xcd, sizeof(d));
    vmaCalculatePoolStatistics(a, p, &d);
    return d;
}

static VkResult
pool_alloc(VmaAllocator a, VmaPool p, VkDeviceSize size, VkDeviceSize align,
           VmaAllocationCreateFlags flags, VmaAllocation *out, VmaAllocationInfo *info)
{
    VkMemoryRequirements req = api_mem_req(size, align, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.flags = flags, .pool = p};
    return vmaAllocateMemory(a, &req, &ci, out, info);
}

/* vmaGetPoolStatistics from the device-memory callbacks of the pool's own blocks: the
 * growth that calls back holds the pool's blocks still already, so the statistics do not
 * wait for its lock (they would wait for ever: it is this thread's), and what they read
 * agrees with itself. VMA calls pfnAllocate before the new block joins the pool. */
typedef struct pool_probe {
    VmaPool pool; /* NULL: not probing (creation, destruction) */
    uint32_t calls;
    VmaStatistics seen;
} pool_probe;

static void VKAPI_PTR
pool_probe_memory(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size,
                  void *user)
{
    (void)type, (void)mem, (void)size;
    pool_probe *p = user;
    if (p->pool == VK_NULL_HANDLE)
        return;
    p->calls++;
    vmaGetPoolStatistics(a, p->pool, &p->seen);
    EXPECT_LE_U64(p->seen.allocationBytes, p->seen.blockBytes);
}

TEST(pool_statistics_are_readable_from_the_pools_device_memory_callbacks)
{
    pool_probe probe = {0};
    const VmaDeviceMemoryCallbacks cb = {pool_probe_memory, pool_probe_memory, &probe};
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    f->ci.pDeviceMemoryCallbacks = &cb;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    const VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = API_MIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    probe.pool = pool;
    VmaAllocation x[3];
    for (uint32_t i = 0; i < 3; i++) /* two do not fit in one block: a block each */
        ASSERT_VK_OK(pool_alloc(a, pool, 600 * API_KIB, 256, 0, &x[i], NULL));
    EXPECT_EQ(probe.calls, 3u);
    EXPECT_EQ(probe.seen.blockCount, 2u); /* the third block is being made */
    EXPECT_EQ(probe.seen.allocationCount, 2u);
    EXPECT_EQ_U64(probe.seen.allocationBytes, 2 * 600 * API_KIB);
    for (uint32_t i = 0; i < 3; i++)
        vmaFreeMemory(a, x[i]);
    EXPECT_GT(probe.calls, 3u); /* blocks released, past the one kept empty */
    EXPECT_EQ(probe.seen.allocationCount, 0u);
    probe.pool = VK_NULL_HANDLE;
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_min_block_count_blocks_exist_right_after_creation)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = API_MIB, .minBlockCount = 2};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaStatistics s = pool_stats(a, pool);
    EXPECT_EQ(s.blockCount, 2u);
    EXPECT_EQ_U64(s.blockBytes, 2 * API_MIB);
    EXPECT_EQ(s.allocationCount, 0u);
    EXPECT_EQ_U64(s.allocationBytes, 0);
    VmaDetailedStatistics d = pool_detailed(a, pool);
    EXPECT_EQ(d.statistics.blockCount, 2u);
    EXPECT_EQ(d.unusedRangeCount, 2u);
    EXPECT_EQ_U64(d.unusedRangeSizeMax, API_MIB);
    EXPECT_EQ_U64(d.allocationSizeMin, VK_WHOLE_SIZE);
    EXPECT_EQ(f->rec.alloc_calls, 2u);
    EXPECT_EQ_U64(f->rec.allocs[0].size, API_MIB);
    EXPECT_EQ(f->rec.allocs[0].type, 0u);
    /* Allocations use the existing blocks. */
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(pool_alloc(a, pool, 300 * API_KIB, 256, 0, &x, NULL));
    EXPECT_EQ(f->rec.alloc_calls, 2u);
    EXPECT_EQ(pool_stats(a, pool).allocationCount, 1u);
    vmaFreeMemory(a, x);
    EXPECT_EQ(pool_stats(a, pool).blockCount, 2u);
    vmaDestroyPool(a, pool);
    EXPECT_EQ(f->rec.live_memory, 0u); /* the pool's blocks go with it */
    api_fixture_teardown(f);
}

TEST(pool_keeps_min_block_count_blocks_when_emptied)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 256 * API_KIB,
                             .minBlockCount = 2, .maxBlockCount = 4};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation x[4];
    for (int i = 0; i < 4; i++)
        ASSERT_VK_OK(pool_alloc(a, pool, 256 * API_KIB, 256, 0, &x[i], NULL));
    EXPECT_EQ(pool_stats(a, pool).blockCount, 4u);
    for (int i = 0; i < 4; i++)
        vmaFreeMemory(a, x[i]);
    VmaStatistics s = pool_stats(a, pool);
    EXPECT_EQ(s.blockCount, 2u);
    EXPECT_EQ(s.allocationCount, 0u);
    vmaDestroyPool(a, pool);

    /* minBlockCount 0: like the default pools, one empty block stays. */
    pci.minBlockCount = 0;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    EXPECT_EQ(pool_stats(a, pool).blockCount, 0u);
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(pool_alloc(a, pool, 256 * API_KIB, 256, 0, &x[i], NULL));
    EXPECT_EQ(pool_stats(a, pool).blockCount, 3u);
    for (int i = 0; i < 3; i++)
        vmaFreeMemory(a, x[i]);
    EXPECT_EQ(pool_stats(a, pool).blockCount, 1u);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_max_block_count_exhaustion_fails_with_out_of_device_memory)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 256 * API_KIB,
                             .maxBlockCount = 2};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation x[4];
    for (int i = 0; i < 4; i++)
        ASSERT_VK_OK(pool_alloc(a, pool, 128 * API_KIB, 256, 0, &x[i], NULL));
    EXPECT_EQ(pool_stats(a, pool).blockCount, 2u);
    const uint32_t calls = f->rec.alloc_calls;
    VmaAllocation y = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, pool_alloc(a, pool, 128 * API_KIB, 256, 0, &y, NULL));
    EXPECT_TRUE(y == VK_NULL_HANDLE);
    /* No third block and no dedicated fallback. */
    EXPECT_EQ(f->rec.alloc_calls, calls);
    EXPECT_EQ(pool_stats(a, pool).blockCount, 2u);
    /* Room again after a free. */
    vmaFreeMemory(a, x[1]);
    ASSERT_VK_OK(pool_alloc(a, pool, 128 * API_KIB, 256, 0, &x[1], NULL));
    for (int i = 0; i < 4; i++)
        vmaFreeMemory(a, x[i]);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_explicit_block_size_refuses_dedicated_and_oversized_requests)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = API_MIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    api_asserts_begin();
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT,
              pool_alloc(a, pool, 4096, 256, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &x, NULL));
    EXPECT_LE(api_asserts_end(), 1u);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, pool_alloc(a, pool, API_MIB + 1, 256, 0, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.alloc_calls, 0u);

    /* A request of more than half a block still goes to a block of exactly blockSize. */
    VmaAllocationInfo info;
    ASSERT_VK_OK(pool_alloc(a, pool, 900 * API_KIB, 256, 0, &x, &info));
    VmaAllocationInfo2 i2 = api_info2(a, x);
    EXPECT_TRUE(i2.dedicatedMemory == VK_FALSE);
    EXPECT_EQ_U64(i2.blockSize, API_MIB);
    /* and a small one too: no smaller first blocks in an explicit pool */
    VmaAllocation y = VK_NULL_HANDLE;
    ASSERT_VK_OK(pool_alloc(a, pool, 200 * API_KIB, 256, 0, &y, NULL));
    EXPECT_EQ_U64(api_info2(a, y).blockSize, API_MIB);
    for (uint32_t i = 0; i < f->rec.alloc_calls && i < API_REC_MAX_ALLOCS; i++)
        EXPECT_EQ_U64(f->rec.allocs[i].size, API_MIB);
    vmaFreeMemory(a, y);
    vmaFreeMemory(a, x);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_without_block_size_follows_the_default_policy_and_allows_dedicated)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true, .no_allocator = true});
    const uint32_t heap = f->ctx.mem_props.memoryTypes[0].heapIndex;
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        limits[i] = VK_WHOLE_SIZE;
    limits[heap] = 64 * API_MIB; /* preferred block size 8 MiB */
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;

    /* minBlockCount blocks are made at the preferred size. */
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .minBlockCount = 1};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    EXPECT_EQ_U64(pool_stats(a, pool).blockBytes, 8 * API_MIB);
    vmaDestroyPool(a, pool);

    /* Without minBlockCount the first block is 1/8 of it. */
    pci.minBlockCount = 0;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(pool_alloc(a, pool, 64 * API_KIB, 256, 0, &x, NULL));
    EXPECT_EQ_U64(api_info2(a, x).blockSize, API_MIB);

    /* Dedicated on request, and for requests over half the preferred size. */
    VmaAllocation d = VK_NULL_HANDLE, big = VK_NULL_HANDLE;
    VmaAllocationInfo di, bi;
    ASSERT_VK_OK(pool_alloc(a, pool, 100 * API_KIB, 256, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                            &d, &di));
    EXPECT_TRUE(api_info2(a, d).dedicatedMemory == VK_TRUE);
    ASSERT_VK_OK(pool_alloc(a, pool, 5 * API_MIB, 256, 0, &big, &bi));
    EXPECT_TRUE(api_info2(a, big).dedicatedMemory == VK_TRUE);
    EXPECT_EQ(di.memoryType, 0u);

    /* Dedicated allocations of the pool are the pool's in both statistics. */
    VmaStatistics s = pool_stats(a, pool);
    EXPECT_EQ(s.blockCount, 3u);
    EXPECT_EQ(s.allocationCount, 3u);
    EXPECT_EQ_U64(s.blockBytes, API_MIB + 100 * API_KIB + 5 * API_MIB);
    EXPECT_EQ_U64(s.allocationBytes, 64 * API_KIB + 100 * API_KIB + 5 * API_MIB);
    VmaDetailedStatistics dd = pool_detailed(a, pool);
    EXPECT_EQ(dd.statistics.blockCount, 3u);
    EXPECT_EQ(dd.statistics.allocationCount, 3u);
    EXPECT_EQ_U64(dd.allocationSizeMax, 5 * API_MIB);
    EXPECT_EQ_U64(dd.allocationSizeMin, 64 * API_KIB);
    vmaFreeMemory(a, big);
    vmaFreeMemory(a, d);
    vmaFreeMemory(a, x);
    EXPECT_EQ(pool_stats(a, pool).allocationCount, 0u);
    vmaDestroyPool(a, pool);
    EXPECT_EQ(f->rec.live_memory, 0u);
    api_fixture_teardown(f);
}

TEST(pool_min_allocation_alignment_is_honoured)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = API_MIB,
                             .minAllocationAlignment = 4096};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation x[8];
    for (int i = 0; i < 8; i++) {
        VmaAllocationInfo info;
        ASSERT_VK_OK(pool_alloc(a, pool, 100 + (VkDeviceSize)i, 1, 0, &x[i], &info));
        EXPECT_EQ_U64(info.offset % 4096, 0);
    }
    /* A larger alignment of the request still wins. */
    VmaAllocation y = VK_NULL_HANDLE;
    VmaAllocationInfo yi;
    ASSERT_VK_OK(pool_alloc(a, pool, 100, 65536, 0, &y, &yi));
    EXPECT_EQ_U64(yi.offset % 65536, 0);
    vmaFreeMemory(a, y);
    for (int i = 0; i < 8; i++)
        vmaFreeMemory(a, x[i]);
    vmaDestroyPool(a, pool);

    /* Not a power of two: a contract violation. */
    pci.minAllocationAlignment = 3000;
    api_asserts_begin();
    VkResult r = vmaCreatePool(a, &pci, &pool);
    unsigned n = api_asserts_end();
    EXPECT_LE(n, 1u);
    if (r == VK_SUCCESS)
        vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_min_block_count_above_max_fails_with_initialization_failed)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = API_MIB, .minBlockCount = 3,
                             .maxBlockCount = 2};
    VmaPool pool = (VmaPool)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreatePool(f->allocator, &pci, &pool));
    EXPECT_TRUE(pool == VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.alloc_calls, 0u);
    /* maxBlockCount 0 means no limit, so any minBlockCount is fine. */
    pci.minBlockCount = 3;
    pci.maxBlockCount = 0;
    ASSERT_VK_OK(vmaCreatePool(f->allocator, &pci, &pool));
    EXPECT_EQ(pool_stats(f->allocator, pool).blockCount, 3u);
    vmaDestroyPool(f->allocator, pool);
    api_fixture_teardown(f);
}

TEST(pool_with_a_bad_memory_type_fails_with_feature_not_present)
{
    api_fixture *f = api_fixture_setup(NULL);
    const uint32_t count = f->ctx.mem_props.memoryTypeCount;
    const uint32_t bad[] = {count, 31, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        VmaPoolCreateInfo pci = {.memoryTypeIndex = bad[i], .blockSize = API_MIB};
        VmaPool pool = (VmaPool)(uintptr_t)0x1;
        EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCreatePool(f->allocator, &pci, &pool));
        EXPECT_TRUE(pool == VK_NULL_HANDLE);
    }
    api_fixture_teardown(f);
}

TEST(pool_min_blocks_that_do_not_fit_fail_creation_without_leaks)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true, .no_allocator = true});
    const uint32_t heap = f->ctx.mem_props.memoryTypes[0].heapIndex;
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        limits[i] = VK_WHOLE_SIZE;
    limits[heap] = 4 * API_MIB;
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 2 * API_MIB, .minBlockCount = 3};
    VmaPool pool = (VmaPool)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreatePool(f->allocator, &pci, &pool));
    EXPECT_TRUE(pool == VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.live_memory, 0u);
    EXPECT_EQ(api_stats(f->allocator).total.statistics.blockCount, 0u);
    pci.minBlockCount = 2; /* exactly the limit */
    ASSERT_VK_OK(vmaCreatePool(f->allocator, &pci, &pool));
    vmaDestroyPool(f->allocator, pool);
    api_fixture_teardown(f);
}

TEST(pool_with_explicit_block_size_grows_past_the_budget_unless_within_budget)
{
    api_fixture *f = api_fixture_setup(&(api_setup){
        .no_allocator = true, .clear_flags = VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT});
    const uint32_t heap = f->ctx.mem_props.memoryTypes[0].heapIndex;
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        limits[i] = VK_WHOLE_SIZE;
    limits[heap] = 8 * API_MIB; /* budget 6.4 MiB */
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 2 * API_MIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation x[4];
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(pool_alloc(a, pool, 2 * API_MIB, 256, 0, &x[i], NULL));
    /* 6 + 2 > 6.4: WITHIN_BUDGET refuses the fourth block ... */
    VmaAllocation y = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY,
              pool_alloc(a, pool, 2 * API_MIB, 256, VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT, &y,
                         NULL));
    EXPECT_TRUE(y == VK_NULL_HANDLE);
    /* ... without it the pool (which has no dedicated fallback) grows to the heap limit. */
    ASSERT_VK_OK(pool_alloc(a, pool, 2 * API_MIB, 256, 0, &x[3], NULL));
    EXPECT_EQ(pool_stats(a, pool).blockCount, 4u);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, pool_alloc(a, pool, 2 * API_MIB, 256, 0, &y, NULL));
    for (int i = 0; i < 4; i++)
        vmaFreeMemory(a, x[i]);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_priority_reaches_vkallocatememory_and_overrides_the_allocations)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.use_sim = true,
                                                    .sim_layout = "amd-discrete-bar256",
                                                    .record = true,
                                                    .preferred_large_heap_block_size =
                                                        4 * API_MIB});
    VmaAllocator a = f->allocator;
    ASSERT_TRUE(f->ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT);
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .minBlockCount = 1, .priority = 0.75f};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    const api_alloc_record *r = api_rec_last(&f->rec);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_priority);
    EXPECT_TRUE(r->priority == 0.75f);

    /* Dedicated memory of the pool: the pool's priority, not the allocation's. */
    VkMemoryRequirements req = api_mem_req(64 * API_KIB, 256, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                                  .pool = pool, .priority = 0.2f};
    VmaAllocation d = VK_NULL_HANDLE;
    VmaAllocationInfo di;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &d, &di));
    r = api_rec_find(&f->rec, di.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_priority);
    EXPECT_TRUE(r->priority == 0.75f);

    /* Outside pools: a dedicated allocation has its own priority, default blocks 0.5. */
    VmaAllocationCreateInfo own = {.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                                   .priority = 0.2f, .memoryTypeBits = 1u};
    VmaAllocation o = VK_NULL_HANDLE;
    VmaAllocationInfo oi;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &own, &o, &oi));
    r = api_rec_find(&f->rec, oi.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_priority);
    EXPECT_TRUE(r->priority == 0.2f);
    VmaAllocationCreateInfo plain = {.memoryTypeBits = 1u};
    VmaAllocation p = VK_NULL_HANDLE;
    VmaAllocationInfo pi;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &plain, &p, &pi));
    r = api_rec_find(&f->rec, pi.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_priority);
    EXPECT_TRUE(r->priority == 0.5f);

    vmaFreeMemory(a, p);
    vmaFreeMemory(a, o);
    vmaFreeMemory(a, d);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_priority_is_not_chained_without_the_memory_priority_flag)
{
    api_fixture *f = api_fixture_setup(&(api_setup){
        .record = true, .clear_flags = VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT});
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 256 * API_KIB,
                             .minBlockCount = 1, .priority = 0.9f};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VkMemoryRequirements req = api_mem_req(4096, 256, 1u);
    VmaAllocationCreateInfo ci = {.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                                  .priority = 0.1f};
    VmaAllocation d = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &d, NULL));
    ASSERT_GE(f->rec.alloc_calls, 2u);
    for (uint32_t i = 0; i < f->rec.alloc_calls && i < API_REC_MAX_ALLOCS; i++)
        EXPECT_FALSE(f->rec.allocs[i].has_priority);
    vmaFreeMemory(a, d);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_memory_allocate_next_is_chained_to_every_allocation)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true,
                                                    .preferred_large_heap_block_size =
                                                        4 * API_MIB});
    if (f->ctx.api_version < VK_API_VERSION_1_2) {
        api_fixture_teardown(f);
        TEST_SKIP("VkMemoryOpaqueCaptureAddressAllocateInfo needs Vulkan 1.2");
    }
    VmaAllocator a = f->allocator;
    /* A struct the allocator never adds itself; address 0 requests nothing. */
    VkMemoryOpaqueCaptureAddressAllocateInfo next = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_OPAQUE_CAPTURE_ADDRESS_ALLOCATE_INFO,
        .opaqueCaptureAddress = 0,
    };
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .minBlockCount = 1,
                             .pMemoryAllocateNext = &next};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    ASSERT_EQ(f->rec.alloc_calls, 1u);
    EXPECT_TRUE(api_chain_has_ptr(&f->rec.allocs[0], &next));

    /* A second block and a dedicated allocation of the pool carry it too. */
    VmaStatistics s = pool_stats(a, pool);
    VmaAllocation big = VK_NULL_HANDLE, fill = VK_NULL_HANDLE, more = VK_NULL_HANDLE,
                  d = VK_NULL_HANDLE;
    VmaAllocationInfo mi, di;
    ASSERT_VK_OK(pool_alloc(a, pool, s.blockBytes / 2, 256, 0, &fill, NULL));
    ASSERT_VK_OK(pool_alloc(a, pool, s.blockBytes / 2, 256, 0, &big, NULL));
    ASSERT_VK_OK(pool_alloc(a, pool, s.blockBytes / 4, 256, 0, &more, &mi));
    ASSERT_VK_OK(pool_alloc(a, pool, 4096, 256, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &d,
                            &di));
    EXPECT_GE(f->rec.alloc_calls, 3u);
    for (uint32_t i = 0; i < f->rec.alloc_calls && i < API_REC_MAX_ALLOCS; i++)
        EXPECT_TRUE(api_chain_has_ptr(&f->rec.allocs[i], &next));
    const api_alloc_record *r = api_rec_find(&f->rec, di.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(api_chain_has_ptr(r, &next));

    /* Allocations outside the pool do not get it. */
    VmaAllocation o = VK_NULL_HANDLE;
    VmaAllocationInfo oi;
    ASSERT_VK_OK(api_alloc(a, 4096, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &o, &oi));
    r = api_rec_find(&f->rec, oi.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_FALSE(api_chain_has_ptr(r, &next));
    vmaFreeMemory(a, o);
    vmaFreeMemory(a, d);
    vmaFreeMemory(a, more);
    vmaFreeMemory(a, big);
    vmaFreeMemory(a, fill);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(pool_name_is_copied_replaced_and_cleared)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 256 * API_KIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    const char *name = (const char *)(uintptr_t)0x1;
    vmaGetPoolName(a, pool, &name);
    EXPECT_TRUE(name == NULL);
    char buf[32];
    strcpy(buf, "textures");
    vmaSetPoolName(a, pool, buf);
    vmaGetPoolName(a, pool, &name);
    EXPECT_STREQ(name, "textures");
    EXPECT_TRUE(name != buf);
    strcpy(buf, "changed");
    vmaGetPoolName(a, pool, &name);
    EXPECT_STREQ(name, "textures");
    vmaSetPoolName(a, pool, "a different, longer pool name");
    vmaGetPoolName(a, pool, &name);
    EXPECT_STREQ(name, "a different, longer pool name");
    vmaSetPoolName(a, pool, NULL);
    vmaGetPoolName(a, pool, &name);
    EXPECT_TRUE(name == NULL);
    vmaSetPoolName(a, pool, "last");
    vmaDestroyPool(a, pool); /* the name goes with the pool (LSan checks) */
    vmaDestroyPool(a, VK_NULL_HANDLE);
    api_fixture_teardown(f);
}

TEST(pool_statistics_agree_with_each_other_and_the_allocator_totals)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size =
                                                        4 * API_MIB});
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = API_MIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation x[3], outside = VK_NULL_HANDLE;
    const VkDeviceSize sizes[3] = {64 * API_KIB, 128 * API_KIB, 256 * API_KIB};
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(pool_alloc(a, pool, sizes[i], 256, 0, &x[i], NULL));
    ASSERT_VK_OK(api_alloc(a, 32 * API_KIB, 256, 1u, 0, &outside, NULL));

    VmaStatistics s = pool_stats(a, pool);
    VmaDetailedStatistics d = pool_detailed(a, pool);
    EXPECT_EQ(s.blockCount, 1u);
    EXPECT_EQ(s.allocationCount, 3u);
    EXPECT_EQ_U64(s.blockBytes, API_MIB);
    EXPECT_EQ_U64(s.allocationBytes, 448 * API_KIB);
    EXPECT_EQ(d.statistics.blockCount, s.blockCount);
    EXPECT_EQ(d.statistics.allocationCount, s.allocationCount);
    EXPECT_EQ_U64(d.statistics.blockBytes, s.blockBytes);
    EXPECT_EQ_U64(d.statistics.allocationBytes, s.allocationBytes);
    EXPECT_EQ_U64(d.allocationSizeMin, 64 * API_KIB);
    EXPECT_EQ_U64(d.allocationSizeMax, 256 * API_KIB);
    EXPECT_GE(d.unusedRangeCount, 1u);
    EXPECT_LE_U64(d.unusedRangeSizeMax, API_MIB - 448 * API_KIB);

    /* The allocator's totals include the pool. */
    VmaTotalStatistics t = api_stats(a);
    EXPECT_EQ(t.memoryType[0].statistics.allocationCount, 4u);
    EXPECT_EQ_U64(t.memoryType[0].statistics.allocationBytes, 480 * API_KIB);
    EXPECT_EQ_U64(t.memoryType[0].statistics.blockBytes,
                  API_MIB + api_info2(a, outside).blockSize);
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    const uint32_t heap = f->ctx.mem_props.memoryTypes[0].heapIndex;
    EXPECT_EQ(b[heap].statistics.allocationCount, t.memoryHeap[heap].statistics.allocationCount);
    EXPECT_EQ_U64(b[heap].statistics.blockBytes, t.memoryHeap[heap].statistics.blockBytes);

    vmaFreeMemory(a, outside);
    for (int i = 0; i < 3; i++)
        vmaFreeMemory(a, x[i]);
    s = pool_stats(a, pool);
    EXPECT_EQ(s.allocationCount, 0u);
    EXPECT_EQ_U64(s.allocationBytes, 0);
    d = pool_detailed(a, pool);
    EXPECT_EQ_U64(d.allocationSizeMin, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(d.allocationSizeMax, 0);
    const uint32_t blocks_with_pool = api_stats(a).total.statistics.blockCount;
    vmaDestroyPool(a, pool);
    EXPECT_EQ(api_stats(a).total.statistics.blockCount, blocks_with_pool - 1u);
    api_fixture_teardown(f);
}

TEST(pool_documentation_sample_creates_buffers_and_images_in_the_pool)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VkBufferCreateInfo example = api_buffer_info(1024, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT |
                                                           VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo find = {.usage = VMA_MEMORY_USAGE_AUTO};
    uint32_t type = UINT32_MAX;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForBufferInfo(a, &example, &find, &type));
    ASSERT_LT(type, f->ctx.mem_props.memoryTypeCount);

    VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = API_MIB, .maxBlockCount = 2,
                             .flags = VMA_POOL_CREATE_IGNORE_BUFFER_IMAGE_GRANULARITY_BIT};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocationCreateInfo ci = {.pool = pool};
    VkBuffer b = VK_NULL_HANDLE;
    VmaAllocation ba = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaCreateBuffer(a, &example, &ci, &b, &ba, &info));
    EXPECT_EQ(info.memoryType, type);

    VkImageCreateInfo ici = api_image_info(64, 64, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    uint32_t itype = UINT32_MAX;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForImageInfo(a, &ici, &find, &itype));
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation ia = VK_NULL_HANDLE;
    if (itype == type) {
        ASSERT_VK_OK(vmaCreateImage(a, &ici, &ci, &img, &ia, &info));
        EXPECT_EQ(info.memoryType, type);
    }
    EXPECT_EQ(pool_stats(a, pool).allocationCount, img ? 2u : 1u);
    VmaTotalStatistics t = api_stats(a);
    EXPECT_EQ(t.total.statistics.allocationCount, img ? 2u : 1u);
    if (img)
        vmaDestroyImage(a, img, ia);
    vmaDestroyBuffer(a, b, ba);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* ---- many threads in one pool ----------------------------------------------------------- */

enum { POOL_THREADS = 4, POOL_WINDOW = 8, POOL_ITERATIONS = 150 };

typedef struct pool_thread {
    VmaAllocator allocator;
    VmaPool pool;
    uint32_t seed;
    VmaAllocation live[POOL_WINDOW];
    uint32_t failures;
} pool_thread;

static void *
pool_churn(void *arg)
{
    pool_thread *t = arg;
    uint32_t s = t->seed;
    for (int it = 0; it < POOL_ITERATIONS; it++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        int slot = (int)(s % POOL_WINDOW);
        if (t->live[slot] != VK_NULL_HANDLE) {
            vmaFreeMemory(t->allocator, t->live[slot]);
            t->live[slot] = VK_NULL_HANDLE;
        }
        VkDeviceSize size = 256 + (s >> 8) % (32 * 1024);
        VmaAllocationInfo info;
        if (pool_alloc(t->allocator, t->pool, size, 256, 0, &t->live[slot], &info) != VK_SUCCESS ||
            info.offset % 256 != 0 || info.size != size)
            t->failures++;
    }
    return NULL;
}

TEST(pool_used_from_many_threads_gives_disjoint_ranges)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 256 * API_KIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    pool_thread pt[POOL_THREADS];
    pthread_t th[POOL_THREADS];
    memset(pt, 0, sizeof(pt));
    for (uint32_t i = 0; i < POOL_THREADS; i++) {
        pt[i].allocator = a;
        pt[i].pool = pool;
        pt[i].seed = 0x12345u * (i + 7);
        ASSERT_EQ(pthread_create(&th[i], NULL, pool_churn, &pt[i]), 0);
    }
    for (int i = 0; i < POOL_THREADS; i++)
        pthread_join(th[i], NULL);
    VmaAllocationInfo all[POOL_THREADS * POOL_WINDOW];
    int n = 0;
    for (int i = 0; i < POOL_THREADS; i++) {
        EXPECT_EQ(pt[i].failures, 0u);
        for (int k = 0; k < POOL_WINDOW; k++)
            if (pt[i].live[k] != VK_NULL_HANDLE)
                vmaGetAllocationInfo(a, pt[i].live[k], &all[n++]);
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (all[i].deviceMemory == all[j].deviceMemory)
                EXPECT_FALSE(api_ranges_overlap(all[i].offset, all[i].size, all[j].offset,
                                                all[j].size));
    EXPECT_EQ(pool_stats(a, pool).allocationCount, (uint32_t)n);
    for (int i = 0; i < POOL_THREADS; i++)
        for (int k = 0; k < POOL_WINDOW; k++)
            vmaFreeMemory(a, pt[i].live[k]);
    VmaStatistics s = pool_stats(a, pool);
    EXPECT_EQ(s.allocationCount, 0u);
    EXPECT_LE(s.blockCount, 1u);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
