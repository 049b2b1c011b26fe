/* SPDX-License-Identifier: MIT */
/*
 * test_linear_pool.c - custom pools with VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT.
 *
 * Against VMA 3.3's "Linear allocation algorithm" page: new allocations go after the last
 * one and space freed in the middle is not reused (free-at-once: an emptied pool starts at
 * offset 0 again); freeing the last allocation makes its space reusable (stack);
 * VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT allocates from a second stack growing down from
 * the end of the block, and the two stacks meeting gives VK_ERROR_OUT_OF_DEVICE_MEMORY
 * (double stack); allocations freed from the beginning let the cursor wrap around to
 * offset 0 (ring buffer). UPPER_ADDRESS outside a linear pool of maxBlockCount 1 is
 * VK_ERROR_FEATURE_NOT_PRESENT (VMA's code for it). Only the last block of a linear pool
 * is ever tried, so maxBlockCount exhaustion fails even when an older block has room.
 * Statistics are exact; buffers and optimal images keep bufferImageGranularity apart;
 * threads share a linear pool (run under TSan).
 */
#include "api_common.h"

#define KIB API_KIB

static VkResult
lin_alloc(VmaAllocator a, VmaPool p, VkDeviceSize size, VmaAllocationCreateFlags flags,
          VmaAllocation *out, VmaAllocationInfo *info)
{
    VkMemoryRequirements req = api_mem_req(size, 256, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.flags = flags, .pool = p};
    VmaAllocationInfo scratch;
    return vmaAllocateMemory(a, &req, &ci, out, info ? info : &scratch);
}

/* The offset of a new allocation, or VK_WHOLE_SIZE when it failed (then *out is NULL). */
static VkDeviceSize
lin_offset(VmaAllocator a, VmaPool p, VkDeviceSize size, VmaAllocationCreateFlags flags,
           VmaAllocation *out)
{
    VmaAllocationInfo info;
    if (lin_alloc(a, p, size, flags, out, &info) != VK_SUCCESS)
        return VK_WHOLE_SIZE;
    return info.offset;
}

static VmaPool
lin_pool(VmaAllocator a, VkDeviceSize block_size, size_t max_blocks)
{
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = 0,
        .flags = VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT,
        .blockSize = block_size,
        .maxBlockCount = max_blocks,
    };
    VmaPool pool = VK_NULL_HANDLE;
    if (vmaCreatePool(a, &pci, &pool) != VK_SUCCESS)
        return VK_NULL_HANDLE;
    return pool;
}

static VmaStatistics
lin_stats(VmaAllocator a, VmaPool p)
{
    VmaStatistics s;
    memset(&s, 0xcd, sizeof(s));
    vmaGetPoolStatistics(a, p, &s);
    return s;
}

TEST(linear_pool_free_at_once_never_reuses_the_middle_and_restarts_when_empty)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPool pool = lin_pool(a, 64 * KIB, 0);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaAllocation x[4] = {0};
    EXPECT_EQ_U64(lin_offset(a, pool, 1000, 0, &x[0]), 0);
    EXPECT_EQ_U64(lin_offset(a, pool, 1000, 0, &x[1]), 1024);
    EXPECT_EQ_U64(lin_offset(a, pool, 1000, 0, &x[2]), 2048);
    vmaFreeMemory(a, x[1]);
    /* The hole at 1024 stays unused: the next one goes after the last. */
    EXPECT_EQ_U64(lin_offset(a, pool, 500, 0, &x[1]), 3072);
    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[2]);
    vmaFreeMemory(a, x[1]);
    EXPECT_EQ(lin_stats(a, pool).allocationCount, 0u);
    EXPECT_EQ_U64(lin_offset(a, pool, 1000, 0, &x[0]), 0);
    vmaFreeMemory(a, x[0]);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* Two allocations of unknown kind never share a bufferImageGranularity page (one may
 * become a buffer, the other an optimal image): the second starts on the next page, as
 * in VMA. */
TEST(linear_pool_unknown_allocations_take_pages_of_their_own)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    const VkPhysicalDeviceProperties *pp = NULL;
    vmaGetPhysicalDeviceProperties(a, &pp);
    const VkDeviceSize g =
        pp->limits.bufferImageGranularity > 1 ? pp->limits.bufferImageGranularity : 1;
    VmaPool pool = lin_pool(a, 64 * KIB, 0);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaAllocation x[2] = {0};
    VkMemoryRequirements req = api_mem_req(100, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.pool = pool};
    VmaAllocationInfo info[2];
    for (int i = 0; i < 2; i++)
        ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x[i], &info[i]));
    EXPECT_EQ_U64(info[0].offset, 0);
    const VkDeviceSize packed = 112; /* 100 rounded up to the alignment */
    EXPECT_EQ_U64(info[1].offset, g > 1 ? (packed + g - 1) / g * g : packed);
    vmaFreeMemory(a, x[1]);
    vmaFreeMemory(a, x[0]);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(linear_pool_stack_reuses_space_of_lifo_frees)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPool pool = lin_pool(a, 64 * KIB, 0);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaAllocation x[4] = {0};
    EXPECT_EQ_U64(lin_offset(a, pool, 1024, 0, &x[0]), 0);
    EXPECT_EQ_U64(lin_offset(a, pool, 1024, 0, &x[1]), 1024);
    EXPECT_EQ_U64(lin_offset(a, pool, 1024, 0, &x[2]), 2048);
    vmaFreeMemory(a, x[2]);
    EXPECT_EQ_U64(lin_offset(a, pool, 2048, 0, &x[2]), 2048);
    /* Freeing below the top first: the top's free takes both back. */
    vmaFreeMemory(a, x[1]);
    vmaFreeMemory(a, x[2]);
    EXPECT_EQ_U64(lin_offset(a, pool, 256, 0, &x[1]), 1024);
    vmaFreeMemory(a, x[1]);
    vmaFreeMemory(a, x[0]);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(linear_pool_double_stack_upper_address_grows_down_until_the_stacks_meet)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPool pool = lin_pool(a, 64 * KIB, 1);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    const VmaAllocationCreateFlags up = VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT;
    VmaAllocation u0 = NULL, u1 = NULL, l0 = NULL, l1 = NULL, extra = NULL;
    EXPECT_EQ_U64(lin_offset(a, pool, 4 * KIB, up, &u0), 60 * KIB);
    EXPECT_EQ_U64(lin_offset(a, pool, 4 * KIB, up, &u1), 56 * KIB);
    EXPECT_EQ_U64(lin_offset(a, pool, 1 * KIB, 0, &l0), 0);
    EXPECT_EQ_U64(lin_offset(a, pool, 55 * KIB, 0, &l1), 1 * KIB);
    /* Nothing between them any more: either side fails the usual way. */
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, lin_alloc(a, pool, 256, 0, &extra, NULL));
    EXPECT_TRUE(extra == VK_NULL_HANDLE);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, lin_alloc(a, pool, 256, up, &extra, NULL));
    VmaStatistics s = lin_stats(a, pool);
    EXPECT_EQ(s.blockCount, 1u);
    EXPECT_EQ(s.allocationCount, 4u);
    EXPECT_EQ_U64(s.allocationBytes, 64 * KIB);
    /* Popping the upper stack's top makes its space usable again, from above. */
    vmaFreeMemory(a, u1);
    EXPECT_EQ_U64(lin_offset(a, pool, 2 * KIB, up, &u1), 58 * KIB);
    EXPECT_EQ_U64(lin_offset(a, pool, 2 * KIB, up, &extra), 56 * KIB);
    vmaFreeMemory(a, extra);
    vmaFreeMemory(a, u1);
    vmaFreeMemory(a, u0);
    vmaFreeMemory(a, l1);
    vmaFreeMemory(a, l0);
    EXPECT_EQ(lin_stats(a, pool).allocationCount, 0u);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(linear_pool_upper_address_needs_a_linear_pool_of_one_block)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    const VmaAllocationCreateFlags up = VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT;
    VmaPool unlimited = lin_pool(a, 64 * KIB, 0);
    VmaPool two = lin_pool(a, 64 * KIB, 2);
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 64 * KIB, .maxBlockCount = 1};
    VmaPool general = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &general));
    ASSERT_TRUE(unlimited != VK_NULL_HANDLE && two != VK_NULL_HANDLE);
    VmaAllocation x = VK_NULL_HANDLE;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, lin_alloc(a, unlimited, 1024, up, &x, NULL));
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, lin_alloc(a, two, 1024, up, &x, NULL));
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, lin_alloc(a, general, 1024, up, &x, NULL));
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, lin_alloc(a, VK_NULL_HANDLE, 1024, up, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    /* The same pools serve lower-address requests. */
    EXPECT_VK(VK_SUCCESS, lin_alloc(a, two, 1024, 0, &x, NULL));
    vmaFreeMemory(a, x);
    EXPECT_EQ(lin_stats(a, unlimited).allocationCount, 0u);
    vmaDestroyPool(a, general);
    vmaDestroyPool(a, two);
    vmaDestroyPool(a, unlimited);
    api_fixture_teardown(f);
}

TEST(linear_pool_ring_buffer_wraps_around_after_fifo_frees)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPool pool = lin_pool(a, 64 * KIB, 1);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaAllocation x[6] = {0};
    for (int i = 0; i < 4; i++)
        EXPECT_EQ_U64(lin_offset(a, pool, 16 * KIB, 0, &x[i]), (VkDeviceSize)i * 16 * KIB);
    EXPECT_EQ_U64(lin_offset(a, pool, 256, 0, &x[4]), VK_WHOLE_SIZE);
    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[1]);
    EXPECT_EQ_U64(lin_offset(a, pool, 16 * KIB, 0, &x[0]), 0);
    EXPECT_EQ_U64(lin_offset(a, pool, 16 * KIB, 0, &x[1]), 16 * KIB);
    /* The second lap is full up to the oldest live allocation. */
    EXPECT_EQ_U64(lin_offset(a, pool, 256, 0, &x[4]), VK_WHOLE_SIZE);
    vmaFreeMemory(a, x[2]);
    EXPECT_EQ_U64(lin_offset(a, pool, 16 * KIB, 0, &x[2]), 32 * KIB);
    VmaStatistics s = lin_stats(a, pool);
    EXPECT_EQ(s.blockCount, 1u);
    EXPECT_EQ(s.allocationCount, 4u);
    EXPECT_EQ_U64(s.allocationBytes, 64 * KIB);
    /* FIFO once more: the queue keeps going round. */
    vmaFreeMemory(a, x[3]);
    vmaFreeMemory(a, x[0]);
    EXPECT_EQ_U64(lin_offset(a, pool, 8 * KIB, 0, &x[3]), 48 * KIB);
    vmaFreeMemory(a, x[1]);
    vmaFreeMemory(a, x[2]);
    vmaFreeMemory(a, x[3]);
    EXPECT_EQ(lin_stats(a, pool).allocationCount, 0u);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(linear_pool_uses_only_its_last_block_and_honours_max_block_count)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaPool pool = lin_pool(a, 64 * KIB, 2);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaAllocation x[4] = {0};
    VmaAllocationInfo info[4];
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(lin_alloc(a, pool, 32 * KIB, 0, &x[i], &info[i]));
    EXPECT_TRUE(info[0].deviceMemory == info[1].deviceMemory);
    EXPECT_TRUE(info[2].deviceMemory != info[0].deviceMemory);
    EXPECT_EQ_U64(info[2].offset, 0);
    EXPECT_EQ(lin_stats(a, pool).blockCount, 2u);
    /* The first block empties but stays (one empty block is kept); the last block is
     * the only one tried, so once it is full the pool is exhausted. */
    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[1]);
    EXPECT_EQ(lin_stats(a, pool).blockCount, 2u);
    ASSERT_VK_OK(lin_alloc(a, pool, 32 * KIB, 0, &x[0], &info[0]));
    EXPECT_TRUE(info[0].deviceMemory == info[2].deviceMemory);
    EXPECT_EQ_U64(info[0].offset, 32 * KIB);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, lin_alloc(a, pool, 32 * KIB, 0, &x[1], NULL));
    EXPECT_TRUE(x[1] == VK_NULL_HANDLE);
    /* Larger than a block: rejected at once. */
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, lin_alloc(a, pool, 65 * KIB, 0, &x[1], NULL));
    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[2]);
    EXPECT_LE(lin_stats(a, pool).blockCount, 1u);
    vmaDestroyPool(a, pool);
    EXPECT_EQ(f->rec.live_memory, 0u);
    api_fixture_teardown(f);
}

TEST(linear_pool_min_block_count_blocks_exist_and_the_last_one_serves)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = 0,
        .flags = VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT,
        .blockSize = 64 * KIB,
        .minBlockCount = 2,
        .maxBlockCount = 2,
    };
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    EXPECT_EQ(f->rec.alloc_calls, 2u);
    EXPECT_EQ(lin_stats(a, pool).blockCount, 2u);
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(lin_alloc(a, pool, 1024, 0, &x, &info));
    EXPECT_TRUE(info.deviceMemory == f->rec.allocs[1].memory);
    EXPECT_EQ_U64(info.offset, 0);
    vmaFreeMemory(a, x);
    EXPECT_EQ(lin_stats(a, pool).blockCount, 2u);
    /* minBlockCount > maxBlockCount is refused as for any pool. */
    pci.minBlockCount = 3;
    VmaPool bad = VK_NULL_HANDLE;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreatePool(a, &pci, &bad));
    EXPECT_TRUE(bad == VK_NULL_HANDLE);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(linear_pool_statistics_count_holes_and_agree_everywhere)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPool pool = lin_pool(a, 64 * KIB, 1);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaTotalStatistics before;
    vmaCalculateStatistics(a, &before);
    VmaAllocation x[4] = {0};
    EXPECT_EQ_U64(lin_offset(a, pool, 1024, 0, &x[0]), 0);
    EXPECT_EQ_U64(lin_offset(a, pool, 2048, 0, &x[1]), 1024);
    EXPECT_EQ_U64(lin_offset(a, pool, 4096, 0, &x[2]), 3072);
    EXPECT_EQ_U64(lin_offset(a, pool, 8 * KIB, VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT, &x[3]),
                  56 * KIB);
    vmaFreeMemory(a, x[1]); /* a hole in the middle: not reused, counted as unused */

    VmaStatistics s = lin_stats(a, pool);
    EXPECT_EQ(s.blockCount, 1u);
    EXPECT_EQ_U64(s.blockBytes, 64 * KIB);
    EXPECT_EQ(s.allocationCount, 3u);
    EXPECT_EQ_U64(s.allocationBytes, 13 * KIB);

    VmaDetailedStatistics d;
    memset(&d, 0xcd, sizeof(d));
    vmaCalculatePoolStatistics(a, pool, &d);
    EXPECT_EQ(d.statistics.blockCount, 1u);
    EXPECT_EQ_U64(d.statistics.blockBytes, 64 * KIB);
    EXPECT_EQ(d.statistics.allocationCount, 3u);
    EXPECT_EQ_U64(d.statistics.allocationBytes, 13 * KIB);
    EXPECT_EQ_U64(d.allocationSizeMin, 1024);
    EXPECT_EQ_U64(d.allocationSizeMax, 8 * KIB);
    /* [1 KiB, 3 KiB) freed, [7 KiB, 56 KiB) never used */
    EXPECT_EQ(d.unusedRangeCount, 2u);
    EXPECT_EQ_U64(d.unusedRangeSizeMin, 2 * KIB);
    EXPECT_EQ_U64(d.unusedRangeSizeMax, 49 * KIB);

    VmaTotalStatistics after;
    vmaCalculateStatistics(a, &after);
    EXPECT_EQ(after.total.statistics.allocationCount - before.total.statistics.allocationCount, 3u);
    EXPECT_EQ_U64(after.total.statistics.allocationBytes - before.total.statistics.allocationBytes,
                  13 * KIB);
    EXPECT_EQ(
        after.memoryType[0].statistics.blockCount - before.memoryType[0].statistics.blockCount, 1u);

    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[2]);
    vmaFreeMemory(a, x[3]);
    vmaCalculatePoolStatistics(a, pool, &d);
    EXPECT_EQ(d.statistics.allocationCount, 0u);
    EXPECT_EQ_U64(d.statistics.allocationBytes, 0);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* Whether two ranges share a page of `granularity` bytes. */
static bool
same_page(VkDeviceSize o1, VkDeviceSize s1, VkDeviceSize o2, VkDeviceSize s2, VkDeviceSize g)
{
    if (o1 > o2) {
        VkDeviceSize t = o1;
        o1 = o2;
        o2 = t;
        t = s1;
        s1 = s2;
        s2 = t;
    }
    return (o1 + s1 - 1) / g >= o2 / g;
}

static VkDeviceSize
align_up(VkDeviceSize v, VkDeviceSize a)
{
    return (v + a - 1) / a * a;
}

TEST(linear_pool_buffers_and_optimal_images_respect_buffer_image_granularity)
{
    /* nvidia-h200: granularity 1024, buffers and optimal images share memory types. */
    api_fixture *f = api_fixture_setup(
        &(api_setup){.use_sim = true, .sim_layout = "nvidia-h200", .validation = 1});
    VmaAllocator a = f->allocator;
    const VkDeviceSize gran = vkm_sim_buffer_image_granularity(f->sim);
    ASSERT_EQ_U64(gran, 1024);
    VkImageCreateInfo ici =
        api_image_info(8, 8, VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_SAMPLED_BIT);
    VkBufferCreateInfo bci = api_buffer_info(100, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo find = {.usage = VMA_MEMORY_USAGE_AUTO};
    uint32_t type = UINT32_MAX;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForImageInfo(a, &ici, &find, &type));
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = type,
        .flags = VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT,
        .blockSize = API_MIB,
        .maxBlockCount = 1,
    };
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocationCreateInfo ci = {.pool = pool};
    VkBuffer b0 = VK_NULL_HANDLE, b1 = VK_NULL_HANDLE;
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation a0 = NULL, a1 = NULL, ai = NULL;
    VmaAllocationInfo i0, i1, ii;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b0, &a0, &i0));
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &ci, &img, &ai, &ii));
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b1, &a1, &i1));
    EXPECT_TRUE(i0.deviceMemory == ii.deviceMemory && ii.deviceMemory == i1.deviceMemory);
    VkMemoryRequirements imr;
    f->funcs.vkGetImageMemoryRequirements(f->ctx.device, img, &imr);
    EXPECT_EQ_U64(i0.offset, 0);
    /* The image starts on the first granularity page the buffer does not touch, and the
     * next buffer on the first page after the image's last. */
    EXPECT_EQ_U64(ii.offset, align_up(i0.size, imr.alignment > gran ? imr.alignment : gran));
    EXPECT_GE(i1.offset, align_up(ii.offset + ii.size, gran));
    EXPECT_FALSE(same_page(i0.offset, i0.size, ii.offset, ii.size, gran));
    EXPECT_FALSE(same_page(i1.offset, i1.size, ii.offset, ii.size, gran));
    vmaDestroyBuffer(a, b1, a1);
    vmaDestroyImage(a, img, ai);
    vmaDestroyBuffer(a, b0, a0);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* ---- threads sharing one linear pool --------------------------------------------------- */

enum {
    LIN_THREADS = 4,
    LIN_DEPTH = 6,
    LIN_ROUNDS = 40
};

typedef struct lin_thread {
    VmaAllocator allocator;
    VmaPool pool;
    uint32_t failures;
    VmaAllocation live[LIN_DEPTH];
    VmaAllocationInfo info[LIN_DEPTH];
} lin_thread;

static void *
lin_churn(void *arg)
{
    lin_thread *t = arg;
    for (int r = 0; r < LIN_ROUNDS; r++) {
        for (int k = 0; k < LIN_DEPTH; k++)
            if (lin_alloc(t->allocator, t->pool, 256 + 512 * (VkDeviceSize)k, 0, &t->live[k],
                          &t->info[k]) != VK_SUCCESS ||
                t->info[k].offset % 256 != 0)
                t->failures++;
        if (r == LIN_ROUNDS - 1)
            break; /* the last round stays live for the overlap check */
        for (int k = LIN_DEPTH; k-- > 0;) {
            vmaFreeMemory(t->allocator, t->live[k]);
            t->live[k] = VK_NULL_HANDLE;
        }
    }
    return NULL;
}

TEST(linear_pool_shared_by_threads_gives_disjoint_ranges)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPool pool = lin_pool(a, 256 * KIB, 0);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    lin_thread lt[LIN_THREADS];
    pthread_t th[LIN_THREADS];
    memset(lt, 0, sizeof(lt));
    for (int i = 0; i < LIN_THREADS; i++) {
        lt[i].allocator = a;
        lt[i].pool = pool;
        ASSERT_EQ(pthread_create(&th[i], NULL, lin_churn, &lt[i]), 0);
    }
    for (int i = 0; i < LIN_THREADS; i++)
        pthread_join(th[i], NULL);
    uint32_t n = 0;
    for (int i = 0; i < LIN_THREADS; i++) {
        EXPECT_EQ(lt[i].failures, 0u);
        for (int k = 0; k < LIN_DEPTH; k++) {
            if (lt[i].live[k] == VK_NULL_HANDLE)
                continue;
            n++;
            for (int j = 0; j < LIN_THREADS; j++)
                for (int m = 0; m < LIN_DEPTH; m++) {
                    if ((j == i && m == k) || lt[j].live[m] == VK_NULL_HANDLE)
                        continue;
                    const VmaAllocationInfo *p = &lt[i].info[k], *q = &lt[j].info[m];
                    if (p->deviceMemory == q->deviceMemory)
                        EXPECT_FALSE(api_ranges_overlap(p->offset, p->size, q->offset, q->size));
                }
        }
    }
    EXPECT_EQ(n, (uint32_t)(LIN_THREADS * LIN_DEPTH));
    EXPECT_EQ(lin_stats(a, pool).allocationCount, n);
    for (int i = 0; i < LIN_THREADS; i++)
        for (int k = 0; k < LIN_DEPTH; k++)
            vmaFreeMemory(a, lt[i].live[k]);
    VmaStatistics s = lin_stats(a, pool);
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
