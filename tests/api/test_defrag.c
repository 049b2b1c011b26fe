/* SPDX-License-Identifier: MIT */
/*
 * test_defrag.c - vmaBeginDefragmentation / passes / vmaEndDefragmentation against VMA
 * 3.3's documented behaviour: every algorithm moves data the program copies (memcpy on
 * HOST_VISIBLE memory, vkCmdCopyBuffer on a queue) and keeps it intact; moves never
 * overlap live allocations and keep the memory type, size and alignment; mapping is kept
 * (pMappedData follows the move); maxBytesPerPass / maxAllocationsPerPass / the break
 * callback bound a pass; IGNORE and DESTROY; VmaDefragmentationStats equal what the
 * statistics saw change; a list of one block is compacted by every algorithm (FAST and
 * BALANCED too, as in VMA), while FAST with several blocks only drains blocks; linear
 * pools are refused; bad input is reported; slots of runs of exited threads move out and
 * their runs and blocks go back, and runs of an idle live thread drained by another
 * thread's defragmentation go back at once, with their blocks; a failing vkAllocateMemory / vkMapMemory during a pass
 * leaves everything consistent.
 */
#include "api_common.h"
#include "vk_sim.h"

#include <pthread.h>

#define MAX_LIVE 512

typedef struct live_set {
    VmaAllocation a[MAX_LIVE];
    VkDeviceSize size[MAX_LIVE];
    uint32_t seed[MAX_LIVE];
    uint32_t n;
} live_set;

static uint8_t
pattern(uint32_t seed, VkDeviceSize k)
{
    return (uint8_t)(seed * 131u + (uint32_t)k * 7u + (uint32_t)(k >> 9));
}

static void
fill(VmaAllocator a, VmaAllocation x, uint32_t seed, VkDeviceSize size)
{
    VmaAllocationInfo i;
    vmaGetAllocationInfo(a, x, &i);
    ASSERT_TRUE(i.pMappedData != NULL);
    uint8_t *p = i.pMappedData;
    for (VkDeviceSize k = 0; k < size; k++)
        p[k] = pattern(seed, k);
}

static bool
intact(VmaAllocator a, VmaAllocation x, uint32_t seed, VkDeviceSize size)
{
    VmaAllocationInfo i;
    vmaGetAllocationInfo(a, x, &i);
    if (i.pMappedData == NULL)
        return false;
    const uint8_t *p = i.pMappedData;
    for (VkDeviceSize k = 0; k < size; k++)
        if (p[k] != pattern(seed, k))
            return false;
    return true;
}

/* No two live allocations of the set overlap. */
static void
expect_disjoint(VmaAllocator a, const live_set *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        VmaAllocationInfo x;
        vmaGetAllocationInfo(a, s->a[i], &x);
        for (uint32_t j = i + 1; j < s->n; j++) {
            VmaAllocationInfo y;
            vmaGetAllocationInfo(a, s->a[j], &y);
            if (x.deviceMemory != y.deviceMemory)
                continue;
            const bool apart = x.offset + x.size <= y.offset || y.offset + y.size <= x.offset;
            EXPECT_TRUE(apart);
        }
    }
}

static VmaTotalStatistics
totals(VmaAllocator a)
{
    VmaTotalStatistics t;
    vmaCalculateStatistics(a, &t);
    return t;
}

/* Begins the next pass: false when defragmentation is done (VK_SUCCESS, no moves), true
 * when it returned moves (VK_INCOMPLETE); anything else fails the test and ends it. */
static bool
next_pass(VmaAllocator a, VmaDefragmentationContext ctx, VmaDefragmentationPassMoveInfo *pass)
{
    VkResult r = vmaBeginDefragmentationPass(a, ctx, pass);
    if (r == VK_SUCCESS) {
        EXPECT_EQ(pass->moveCount, 0u);
        return false;
    }
    EXPECT_VK(VK_INCOMPLETE, r);
    EXPECT_GT(pass->moveCount, 0u);
    return r == VK_INCOMPLETE && pass->moveCount > 0;
}

/* Runs passes until done, copying with memcpy; checks every move and the stats. */
static VmaDefragmentationStats
defrag_memcpy(VmaAllocator a, VmaPool pool, VmaDefragmentationFlags flags, uint32_t *passes)
{
    VmaDefragmentationInfo info = {.flags = flags, .pool = pool};
    VmaDefragmentationContext ctx = VK_NULL_HANDLE;
    VmaDefragmentationStats st = {0};
    VmaTotalStatistics before = totals(a);
    EXPECT_VK(VK_SUCCESS, vmaBeginDefragmentation(a, &info, &ctx));
    if (ctx == VK_NULL_HANDLE)
        return st;
    uint32_t moved = 0, np = 0;
    VkDeviceSize bytes = 0;
    for (;;) {
        VmaDefragmentationPassMoveInfo pass;
        if (!next_pass(a, ctx, &pass))
            break;
        np++;
        VmaTotalStatistics during = totals(a);
        /* the temporaries count as allocations while they exist */
        EXPECT_EQ(during.total.statistics.allocationCount,
                  before.total.statistics.allocationCount + pass.moveCount);
        for (uint32_t i = 0; i < pass.moveCount; i++) {
            VmaAllocationInfo si, di;
            vmaGetAllocationInfo(a, pass.pMoves[i].srcAllocation, &si);
            vmaGetAllocationInfo(a, pass.pMoves[i].dstTmpAllocation, &di);
            EXPECT_EQ(pass.pMoves[i].operation, VMA_DEFRAGMENTATION_MOVE_OPERATION_COPY);
            EXPECT_EQ(si.memoryType, di.memoryType);
            EXPECT_EQ_U64(si.size, di.size);
            EXPECT_TRUE(si.deviceMemory != di.deviceMemory || si.offset != di.offset);
            /* as in VMA, a persistently mapped source gets a mapped temporary */
            EXPECT_TRUE(si.pMappedData != NULL && di.pMappedData != NULL);
            void *p = NULL;
            ASSERT_VK_OK(vmaMapMemory(a, pass.pMoves[i].dstTmpAllocation, &p));
            EXPECT_TRUE(p == di.pMappedData);
            memcpy(p, si.pMappedData, (size_t)si.size);
            vmaUnmapMemory(a, pass.pMoves[i].dstTmpAllocation);
            moved++;
            bytes += si.size;
        }
        /* every move was a COPY */
        EXPECT_VK(VK_INCOMPLETE, vmaEndDefragmentationPass(a, ctx, &pass));
        ASSERT_LT(np, 200u); /* passes converge */
    }
    vmaEndDefragmentation(a, ctx, &st);
    VmaTotalStatistics after = totals(a);
    EXPECT_EQ(st.allocationsMoved, moved);
    EXPECT_EQ_U64(st.bytesMoved, bytes);
    EXPECT_EQ(after.total.statistics.allocationCount, before.total.statistics.allocationCount);
    EXPECT_EQ_U64(after.total.statistics.allocationBytes, before.total.statistics.allocationBytes);
    EXPECT_EQ(before.total.statistics.blockCount - after.total.statistics.blockCount,
              st.deviceMemoryBlocksFreed);
    EXPECT_EQ_U64(before.total.statistics.blockBytes - after.total.statistics.blockBytes,
                  st.bytesFreed);
    if (passes != NULL)
        *passes = np;
    return st;
}

static uint32_t
host_visible_type(VmaAllocator a)
{
    return api_find_type(a, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
}

/* Allocates n mapped allocations of mixed sizes (and some over-aligned ones, which take
 * slots of their aligned footprint, and some MIN_MEMORY ones, which take the shared path), writes a pattern into
 * each, then frees every other one. */
static void
fragment(VmaAllocator a, VmaPool pool, uint32_t type, uint32_t n, live_set *s)
{
    s->n = 0;
    VmaAllocation all[MAX_LIVE];
    VkDeviceSize sizes[MAX_LIVE];
    for (uint32_t i = 0; i < n; i++) {
        VkDeviceSize size = (VkDeviceSize)(1024u + (i * 2654435761u) % (15u * 1024u));
        VkDeviceSize align = (i % 7 == 3) ? 8 * API_KIB : 256;
        VmaAllocationCreateFlags f =
            VMA_ALLOCATION_CREATE_MAPPED_BIT | VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT;
        if (i % 5 == 1)
            f |= VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT;
        VkMemoryRequirements req = api_mem_req(size, align, 1u << type);
        VmaAllocationCreateInfo ci = {.flags = f, .pool = pool};
        ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &all[i], NULL));
        sizes[i] = size;
        fill(a, all[i], i + 1, size);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i % 2 == 0) {
            vmaFreeMemory(a, all[i]);
        } else {
            s->a[s->n] = all[i];
            s->size[s->n] = sizes[i];
            s->seed[s->n] = i + 1;
            s->n++;
        }
    }
}

static void
check_and_free(VmaAllocator a, live_set *s)
{
    expect_disjoint(a, s);
    for (uint32_t i = 0; i < s->n; i++) {
        EXPECT_TRUE(intact(a, s->a[i], s->seed[i], s->size[i]));
        VmaAllocationInfo info;
        vmaGetAllocationInfo(a, s->a[i], &info);
        EXPECT_EQ(info.offset % 256, 0u);
        vmaFreeMemory(a, s->a[i]);
    }
    s->n = 0;
}

static const VmaDefragmentationFlags algorithms[] = {
    VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT, VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT,
    VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT, VMA_DEFRAGMENTATION_FLAG_ALGORITHM_EXTENSIVE_BIT,
    0 /* BALANCED by default */};

TEST(defrag_memcpy_default_pools_every_algorithm)
{
    for (uint32_t k = 0; k < (uint32_t)(sizeof(algorithms) / sizeof(algorithms[0])); k++) {
        api_fixture *f =
            api_fixture_setup(&(api_setup){.preferred_large_heap_block_size = API_MIB});
        VmaAllocator a = f->allocator;
        const uint32_t type = host_visible_type(a);
        ASSERT_TRUE(type != UINT32_MAX);
        static live_set s;
        fragment(a, VK_NULL_HANDLE, type, 160, &s);
        VmaDefragmentationStats st = defrag_memcpy(a, VK_NULL_HANDLE, algorithms[k], NULL);
        EXPECT_GT(st.allocationsMoved, 0u);
        check_and_free(a, &s);
        api_fixture_teardown(f);
    }
}

TEST(defrag_memcpy_custom_pool_every_algorithm_frees_blocks)
{
    for (uint32_t k = 0; k < (uint32_t)(sizeof(algorithms) / sizeof(algorithms[0])); k++) {
        api_fixture *f = api_fixture_setup(NULL);
        VmaAllocator a = f->allocator;
        const uint32_t type = host_visible_type(a);
        VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = 128 * API_KIB};
        VmaPool pool = VK_NULL_HANDLE;
        ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
        static live_set s;
        fragment(a, pool, type, 120, &s);
        VmaStatistics before;
        vmaGetPoolStatistics(a, pool, &before);
        VmaDefragmentationStats st = defrag_memcpy(a, pool, algorithms[k], NULL);
        VmaStatistics after;
        vmaGetPoolStatistics(a, pool, &after);
        EXPECT_GT(st.allocationsMoved, 0u);
        EXPECT_GT(st.deviceMemoryBlocksFreed, 0u);
        EXPECT_LT(after.blockCount, before.blockCount);
        EXPECT_EQ(after.allocationCount, before.allocationCount);
        /* a second defragmentation finds nothing more, or converges again */
        defrag_memcpy(a, pool, algorithms[k], NULL);
        check_and_free(a, &s);
        vmaDestroyPool(a, pool);
        api_fixture_teardown(f);
    }
}

TEST(defrag_copy_buffers_on_a_queue)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size = API_MIB});
    VmaAllocator a = f->allocator;
    VkDevice dev = f->ctx.device;
    enum {
        N = 40
    };
    const VkDeviceSize size = 24 * API_KIB;
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    };
    VmaAllocationCreateInfo dci = {.usage = VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE};
    VmaAllocationCreateInfo hci = {.usage = VMA_MEMORY_USAGE_AUTO_PREFER_HOST,
                                   .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT |
                                            VMA_ALLOCATION_CREATE_MAPPED_BIT};
    VkBuffer stage;
    VmaAllocation stage_alloc;
    VmaAllocationInfo stage_info;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &hci, &stage, &stage_alloc, &stage_info));
    VkBuffer buf[N];
    VmaAllocation al[N];
    for (uint32_t i = 0; i < N; i++) {
        ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &dci, &buf[i], &al[i], NULL));
        vmaSetAllocationUserData(a, al[i], (void *)(uintptr_t)i);
        uint8_t *p = stage_info.pMappedData;
        for (VkDeviceSize k = 0; k < size; k++)
            p[k] = pattern(i + 100, k);
        ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, stage, buf[i], 0, 0, size));
    }
    for (uint32_t i = 0; i < N; i += 2) {
        vmaDestroyBuffer(a, buf[i], al[i]);
        buf[i] = VK_NULL_HANDLE;
        al[i] = VK_NULL_HANDLE;
    }
    VmaDefragmentationInfo info = {.flags = VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT};
    VmaDefragmentationContext ctx;
    ASSERT_VK_OK(vmaBeginDefragmentation(a, &info, &ctx));
    uint32_t moved = 0;
    for (;;) {
        VmaDefragmentationPassMoveInfo pass;
        VkResult r = vmaBeginDefragmentationPass(a, ctx, &pass);
        if (r == VK_SUCCESS)
            break;
        ASSERT_VK(VK_INCOMPLETE, r);
        for (uint32_t m = 0; m < pass.moveCount; m++) {
            VmaAllocationInfo si;
            vmaGetAllocationInfo(a, pass.pMoves[m].srcAllocation, &si);
            const uint32_t i = (uint32_t)(uintptr_t)si.pUserData;
            if (pass.pMoves[m].srcAllocation == stage_alloc) {
                /* mapped and in use: the program may refuse a move */
                pass.pMoves[m].operation = VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE;
                continue;
            }
            ASSERT_TRUE(i < N && al[i] == pass.pMoves[m].srcAllocation);
            VkBuffer nb;
            ASSERT_VK_OK(vkCreateBuffer(dev, &bci, NULL, &nb));
            ASSERT_VK_OK(vmaBindBufferMemory(a, pass.pMoves[m].dstTmpAllocation, nb));
            ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, buf[i], nb, 0, 0, size));
            vkDestroyBuffer(dev, buf[i], NULL);
            buf[i] = nb;
            moved++;
        }
        r = vmaEndDefragmentationPass(a, ctx, &pass);
        if (r == VK_SUCCESS)
            break; /* as in VMA's sample: nothing more to gain */
        ASSERT_VK(VK_INCOMPLETE, r);
    }
    VmaDefragmentationStats st;
    vmaEndDefragmentation(a, ctx, &st);
    EXPECT_EQ(st.allocationsMoved, moved);
    EXPECT_GT(moved, 0u);
    for (uint32_t i = 1; i < N; i += 2) {
        ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, buf[i], stage, 0, 0, size));
        const uint8_t *p = stage_info.pMappedData;
        bool ok = true;
        for (VkDeviceSize k = 0; k < size && ok; k++)
            ok = p[k] == pattern(i + 100, k);
        EXPECT_TRUE(ok);
        vmaDestroyBuffer(a, buf[i], al[i]);
    }
    vmaDestroyBuffer(a, stage, stage_alloc);
    api_fixture_teardown(f);
}

/* A pool of small blocks, fragmented: the fixture for the pass-control cases. */
static VmaPool
fragmented_pool(VmaAllocator a, live_set *s)
{
    const uint32_t type = host_visible_type(a);
    VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = 64 * API_KIB};
    VmaPool pool = VK_NULL_HANDLE;
    vmaCreatePool(a, &pci, &pool);
    if (pool != VK_NULL_HANDLE)
        fragment(a, pool, type, 80, s);
    return pool;
}

TEST(defrag_pass_limits_are_respected)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    static live_set s;
    VmaPool pool = fragmented_pool(a, &s);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaDefragmentationInfo info = {
        .pool = pool, .maxAllocationsPerPass = 3, .maxBytesPerPass = 20 * API_KIB};
    VmaDefragmentationContext ctx;
    ASSERT_VK_OK(vmaBeginDefragmentation(a, &info, &ctx));
    uint32_t passes = 0;
    for (;; passes++) {
        VmaDefragmentationPassMoveInfo pass;
        VkResult r = vmaBeginDefragmentationPass(a, ctx, &pass);
        if (r == VK_SUCCESS)
            break;
        ASSERT_LE(pass.moveCount, 3u);
        VkDeviceSize bytes = 0;
        for (uint32_t i = 0; i < pass.moveCount; i++) {
            VmaAllocationInfo si;
            vmaGetAllocationInfo(a, pass.pMoves[i].srcAllocation, &si);
            bytes += si.size;
            void *p;
            ASSERT_VK_OK(vmaMapMemory(a, pass.pMoves[i].dstTmpAllocation, &p));
            memcpy(p, si.pMappedData, (size_t)si.size);
            vmaUnmapMemory(a, pass.pMoves[i].dstTmpAllocation);
        }
        EXPECT_LE(bytes, 20 * API_KIB);
        vmaEndDefragmentationPass(a, ctx, &pass);
        ASSERT_LT(passes, 500u);
    }
    EXPECT_GT(passes, 1u);
    vmaEndDefragmentation(a, ctx, NULL);
    check_and_free(a, &s);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

static VkBool32 VKAPI_PTR
break_after(void *user)
{
    uint32_t *left = user;
    if (*left == 0)
        return VK_TRUE;
    (*left)--;
    return VK_FALSE;
}

TEST(defrag_break_callback_ends_the_pass)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    static live_set s;
    VmaPool pool = fragmented_pool(a, &s);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    uint32_t left = 0;
    VmaDefragmentationInfo info = {
        .pool = pool, .pfnBreakCallback = break_after, .pBreakCallbackUserData = &left};
    VmaDefragmentationContext ctx;
    ASSERT_VK_OK(vmaBeginDefragmentation(a, &info, &ctx));
    VmaDefragmentationPassMoveInfo pass;
    /* stops before the first move: nothing to do */
    EXPECT_VK(VK_SUCCESS, vmaBeginDefragmentationPass(a, ctx, &pass));
    EXPECT_EQ(pass.moveCount, 0u);
    left = 2; /* two allocations considered, then stop */
    VkResult r = vmaBeginDefragmentationPass(a, ctx, &pass);
    EXPECT_VK(VK_INCOMPLETE, r);
    EXPECT_LE(pass.moveCount, 2u);
    EXPECT_GT(pass.moveCount, 0u);
    /* IGNORE everything: nothing moves, the temporaries go */
    VmaAllocationInfo before[8];
    for (uint32_t i = 0; i < pass.moveCount; i++) {
        vmaGetAllocationInfo(a, pass.pMoves[i].srcAllocation, &before[i]);
        pass.pMoves[i].operation = VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE;
    }
    VmaAllocation srcs[8];
    for (uint32_t i = 0; i < pass.moveCount; i++)
        srcs[i] = pass.pMoves[i].srcAllocation;
    const uint32_t n = pass.moveCount;
    EXPECT_VK(VK_SUCCESS, vmaEndDefragmentationPass(a, ctx, &pass));
    for (uint32_t i = 0; i < n; i++) {
        VmaAllocationInfo now;
        vmaGetAllocationInfo(a, srcs[i], &now);
        EXPECT_TRUE(now.deviceMemory == before[i].deviceMemory);
        EXPECT_EQ_U64(now.offset, before[i].offset);
    }
    VmaStatistics ps;
    vmaGetPoolStatistics(a, pool, &ps);
    EXPECT_EQ(ps.allocationCount, s.n);
    VmaDefragmentationStats st;
    vmaEndDefragmentation(a, ctx, &st);
    EXPECT_EQ(st.allocationsMoved, 0u);
    EXPECT_EQ_U64(st.bytesMoved, 0);
    check_and_free(a, &s);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(defrag_destroy_frees_the_source)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    static live_set s;
    VmaPool pool = fragmented_pool(a, &s);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaDefragmentationInfo info = {.pool = pool, .maxAllocationsPerPass = 1};
    VmaDefragmentationContext ctx;
    ASSERT_VK_OK(vmaBeginDefragmentation(a, &info, &ctx));
    VmaDefragmentationPassMoveInfo pass;
    ASSERT_VK(VK_INCOMPLETE, vmaBeginDefragmentationPass(a, ctx, &pass));
    ASSERT_EQ(pass.moveCount, 1u);
    VmaAllocation victim = pass.pMoves[0].srcAllocation;
    pass.pMoves[0].operation = VMA_DEFRAGMENTATION_MOVE_OPERATION_DESTROY;
    EXPECT_VK(VK_INCOMPLETE, vmaEndDefragmentationPass(a, ctx, &pass));
    for (uint32_t i = 0; i < s.n; i++) {
        if (s.a[i] == victim) {
            s.a[i] = s.a[s.n - 1];
            s.size[i] = s.size[s.n - 1];
            s.seed[i] = s.seed[s.n - 1];
            s.n--;
            break;
        }
    }
    VmaStatistics ps;
    vmaGetPoolStatistics(a, pool, &ps);
    EXPECT_EQ(ps.allocationCount, s.n);
    VmaDefragmentationStats st;
    vmaEndDefragmentation(a, ctx, &st);
    EXPECT_EQ(st.allocationsMoved, 0u); /* a destroyed allocation was not moved */
    check_and_free(a, &s);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(defrag_end_with_open_pass_releases_temporaries)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    static live_set s;
    VmaPool pool = fragmented_pool(a, &s);
    ASSERT_TRUE(pool != VK_NULL_HANDLE);
    VmaDefragmentationInfo info = {.pool = pool};
    VmaDefragmentationContext ctx;
    ASSERT_VK_OK(vmaBeginDefragmentation(a, &info, &ctx));
    VmaDefragmentationPassMoveInfo pass;
    ASSERT_VK(VK_INCOMPLETE, vmaBeginDefragmentationPass(a, ctx, &pass));
    vmaEndDefragmentation(a, ctx, NULL);
    VmaStatistics ps;
    vmaGetPoolStatistics(a, pool, &ps);
    EXPECT_EQ(ps.allocationCount, s.n);
    check_and_free(a, &s);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

TEST(defrag_linear_pool_and_bad_input)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = 0, .flags = VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT, .blockSize = API_MIB};
    VmaPool lin;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &lin));
    VmaDefragmentationInfo info = {.pool = lin};
    VmaDefragmentationContext ctx = (VmaDefragmentationContext)(uintptr_t)1;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaBeginDefragmentation(a, &info, &ctx));
    EXPECT_TRUE(ctx == VK_NULL_HANDLE);
    vmaDestroyPool(a, lin);

    api_asserts_begin();
    info = (VmaDefragmentationInfo){0};
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBeginDefragmentation(NULL, &info, &ctx));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBeginDefragmentation(a, NULL, &ctx));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBeginDefragmentation(a, &info, NULL));
    info.flags =
        VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT | VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBeginDefragmentation(a, &info, &ctx));
    info.flags = 0;
    /* a foreign context: another allocator's */
    VmaAllocator b;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &b));
    VmaDefragmentationContext other;
    ASSERT_VK_OK(vmaBeginDefragmentation(b, &info, &other));
    VmaDefragmentationPassMoveInfo pass = {.moveCount = 7};
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBeginDefragmentationPass(a, other, &pass));
    EXPECT_EQ(pass.moveCount, 0u);
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBeginDefragmentationPass(a, NULL, &pass));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBeginDefragmentationPass(b, other, NULL));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaEndDefragmentationPass(a, other, &pass));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaEndDefragmentationPass(b, other, NULL));
    VmaDefragmentationStats st = {.allocationsMoved = 5};
    vmaEndDefragmentation(a, other, &st); /* foreign: ignored */
    EXPECT_EQ(st.allocationsMoved, 0u);
    vmaEndDefragmentation(NULL, other, NULL);
    EXPECT_GE(api_asserts_end(), 10u);
    /* nothing to move: SUCCESS at once, and an end without a pass is harmless */
    EXPECT_VK(VK_SUCCESS, vmaBeginDefragmentationPass(b, other, &pass));
    EXPECT_VK(VK_SUCCESS, vmaEndDefragmentationPass(b, other, &pass));
    vmaEndDefragmentation(b, other, &st);
    EXPECT_EQ(st.allocationsMoved, 0u);
    vmaDestroyAllocator(b);
    api_fixture_teardown(f);
}

/* Threads allocate many small mapped allocations (slots of their runs), free most, and
 * exit: their runs are abandoned with a few live slots. Defragmentation moves the slots
 * out, the last move out of each run reclaims it, and blocks go back. */
typedef struct thread_arg {
    VmaAllocator a;
    uint32_t type, index;
    live_set kept;
} thread_arg;

static void *
thread_alloc(void *p)
{
    thread_arg *t = p;
    VmaAllocation x[256];
    for (uint32_t i = 0; i < 256; i++) {
        VkMemoryRequirements req = api_mem_req(2048, 256, 1u << t->type);
        VmaAllocationCreateInfo ci = {.flags = VMA_ALLOCATION_CREATE_MAPPED_BIT |
                                               VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT};
        if (vmaAllocateMemory(t->a, &req, &ci, &x[i], NULL) != VK_SUCCESS)
            return NULL;
        fill(t->a, x[i], t->index * 1000 + i, 2048);
    }
    t->kept.n = 0;
    for (uint32_t i = 0; i < 256; i++) {
        if (i >= 160 && i % 12 == 5) { /* the runs of the first ones empty and go */
            t->kept.a[t->kept.n] = x[i];
            t->kept.size[t->kept.n] = 2048;
            t->kept.seed[t->kept.n] = t->index * 1000 + i;
            t->kept.n++;
        } else {
            vmaFreeMemory(t->a, x[i]);
        }
    }
    return NULL;
}

TEST(defrag_moves_slots_of_exited_threads_runs)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size = API_MIB});
    VmaAllocator a = f->allocator;
    const uint32_t type = host_visible_type(a);
    enum {
        T = 4
    };
    static thread_arg args[T];
    pthread_t th[T];
    /* One thread after the other: the layout, and with it what defragmentation can give
     * back, must not depend on how the threads interleave (concurrent threads made this
     * fail now and then: a later thread adopts an earlier one's abandoned runs or not). */
    for (uint32_t i = 0; i < T; i++) {
        args[i] = (thread_arg){.a = a, .type = type, .index = i + 1};
        ASSERT_EQ(pthread_create(&th[i], NULL, thread_alloc, &args[i]), 0);
        pthread_join(th[i], NULL);
    }
    static live_set all;
    all.n = 0;
    for (uint32_t i = 0; i < T; i++) {
        ASSERT_EQ(args[i].kept.n, 8u);
        for (uint32_t k = 0; k < args[i].kept.n; k++) {
            all.a[all.n] = args[i].kept.a[k];
            all.size[all.n] = args[i].kept.size[k];
            all.seed[all.n] = args[i].kept.seed[k];
            all.n++;
        }
    }
    VmaTotalStatistics before = totals(a);
    VmaDefragmentationStats st =
        defrag_memcpy(a, VK_NULL_HANDLE, VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT, NULL);
    VmaTotalStatistics after = totals(a);
    EXPECT_GT(st.allocationsMoved, 0u);
    /* the abandoned runs' free slots no longer hold memory */
    EXPECT_LT(after.memoryType[type].statistics.blockBytes -
                  after.memoryType[type].statistics.allocationBytes,
              before.memoryType[type].statistics.blockBytes -
                  before.memoryType[type].statistics.allocationBytes);
    EXPECT_EQ(after.total.statistics.allocationCount, all.n);
    check_and_free(a, &all);
    api_fixture_teardown(f);
}

/* A worker that stays alive: it allocates and frees as thread_alloc does, then waits
 * while the main thread defragments (which drains its runs into shared ranges), reports
 * its own cache's runs, makes one allocation too large for any run, and reports them
 * again. */
typedef struct live_worker {
    thread_arg t;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int phase; /* 1: allocated; 2: defragmented; 3: allocated again */
    uint32_t runs_before, runs_idle, runs_after;
} live_worker;

static void
worker_wait(live_worker *w, int phase)
{
    pthread_mutex_lock(&w->m);
    while (w->phase < phase)
        pthread_cond_wait(&w->cv, &w->m);
    pthread_mutex_unlock(&w->m);
}

static void
worker_step(live_worker *w, int phase)
{
    pthread_mutex_lock(&w->m);
    w->phase = phase;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->m);
}

static void *
live_worker_main(void *p)
{
    live_worker *w = p;
    thread_alloc(&w->t);
    VkmThreadCacheStatistics cs;
    vkmGetThreadCacheStatistics(w->t.a, &cs);
    w->runs_before = cs.runCount;
    worker_step(w, 1);
    worker_wait(w, 2);
    vkmGetThreadCacheStatistics(w->t.a, &cs);
    w->runs_idle = cs.runCount;
    /* over the largest slot class: the shared path, no run of its own */
    VkMemoryRequirements req = api_mem_req(300 * API_KIB, 256, 1u << w->t.type);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation x = VK_NULL_HANDLE;
    if (vmaAllocateMemory(w->t.a, &req, &ci, &x, NULL) == VK_SUCCESS)
        vmaFreeMemory(w->t.a, x);
    vkmGetThreadCacheStatistics(w->t.a, &cs);
    w->runs_after = cs.runCount;
    worker_step(w, 3);
    return NULL;
}

TEST(defrag_drains_runs_of_an_idle_live_thread_and_gives_them_back)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size = API_MIB});
    VmaAllocator a = f->allocator;
    static live_worker w;
    memset(&w, 0, sizeof(w));
    w.t = (thread_arg){.a = a, .type = host_visible_type(a), .index = 1};
    pthread_mutex_init(&w.m, NULL);
    pthread_cond_init(&w.cv, NULL);
    /* A shared range at the start of the first block, freed before defragmenting: a
     * hole below the worker's runs, which takes every slot they keep. */
    VkMemoryRequirements low_req = api_mem_req(448 * API_KIB, 256, 1u << w.t.type);
    VmaAllocationCreateInfo low_ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation low = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaAllocateMemory(a, &low_req, &low_ci, &low, NULL));
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, live_worker_main, &w), 0);
    worker_wait(&w, 1);
    vmaFreeMemory(a, low);
    ASSERT_EQ(w.t.kept.n, 8u);
    const bool cached = !vkmIsSingleMutexBuild(); /* there: no runs at all */
    EXPECT_EQ(w.runs_before > 0u, cached); /* its 8 live slots are in runs of its own */
    static live_set kept;
    kept = w.t.kept;
    VkmThreadCacheStatistics cs_before, cs_after;
    ASSERT_VK_OK(vkmGetAllThreadCacheStatistics(a, &cs_before));
    VmaDefragmentationStats st =
        defrag_memcpy(a, VK_NULL_HANDLE, VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT, NULL);
    EXPECT_EQ(st.allocationsMoved, 8u);
    VmaTotalStatistics drained = totals(a);
    ASSERT_VK_OK(vkmGetAllThreadCacheStatistics(a, &cs_after));
    EXPECT_EQ(cs_before.runCount > 0u, cached);
    if (api_process_barrier_available()) {
        /* The worker has not touched its cache since, yet no thread holds a run any
         * more: the defragmenting thread gave the worker's emptied runs back itself.
         * (This thread has none: its requests went to the shared path.) */
        EXPECT_EQ(cs_after.runCount, 0u);
        EXPECT_EQ(cs_after.runBytes, 0u);
        EXPECT_EQ(cs_after.cachedBytes, 0u);
    }
    worker_step(&w, 2);
    worker_wait(&w, 3);
    pthread_join(th, NULL);
    /* Every slot left its runs, so they were empty, and they are gone: at once when the
     * defragmenting thread could hold the idle cache, else at the worker's next
     * allocation, of no class of theirs; with them went the bytes they held. */
    if (api_process_barrier_available())
        EXPECT_EQ(w.runs_idle, 0u);
    EXPECT_EQ(w.runs_after, 0u);
    VmaTotalStatistics after = totals(a);
    EXPECT_EQ(after.total.statistics.allocationCount, kept.n);
    EXPECT_LE(after.total.statistics.blockBytes, drained.total.statistics.blockBytes);
    check_and_free(a, &kept);
    pthread_mutex_destroy(&w.m);
    pthread_cond_destroy(&w.cv);
    api_fixture_teardown(f);
}

TEST(defrag_with_failing_allocate_and_map)
{
    api_fixture *f =
        api_fixture_setup(&(api_setup){.use_sim = true, .driver_errors_expected = true});
    VmaAllocator a = f->allocator;
    const uint32_t type = host_visible_type(a);
    ASSERT_TRUE(type != UINT32_MAX);
    VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = 64 * API_KIB};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    static live_set s;
    fragment(a, pool, type, 80, &s);
    /* Every vkAllocateMemory fails: a pass never needs a new block. */
    vkm_sim_fail_every(f->sim, VKM_SIM_ALLOCATE_MEMORY, true);
    defrag_memcpy(a, pool, VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT, NULL);
    vkm_sim_fail_every(f->sim, VKM_SIM_ALLOCATE_MEMORY, false);
    check_and_free(a, &s);
    /* Every vkMapMemory fails: moves of mapped sources into unmapped blocks are skipped
     * (their destination could not be mapped), the rest proceed. */
    fragment(a, pool, type, 80, &s);
    for (uint32_t i = 0; i < s.n; i++)
        if (i % 3 == 0) {
            VmaAllocationInfo info;
            vmaGetAllocationInfo(a, s.a[i], &info);
            EXPECT_TRUE(info.pMappedData != NULL);
        }
    vkm_sim_fail_every(f->sim, VKM_SIM_MAP_MEMORY, true);
    defrag_memcpy(a, pool, VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT, NULL);
    vkm_sim_fail_every(f->sim, VKM_SIM_MAP_MEMORY, false);
    check_and_free(a, &s);
    VmaStatistics ps;
    vmaGetPoolStatistics(a, pool, &ps);
    EXPECT_EQ(ps.allocationCount, 0u);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* ---- A list of one block ----------------------------------------------------------------
 * With a single block there is no other block to drain into, and VMA reallocates inside it
 * whatever the algorithm: an allocation goes to the lowest offset where it fits when that is
 * lower than its own. These cases use custom pools limited to one block. */

/* A custom pool of host-visible memory that holds at most one block of `block_size`. */
static VmaPool
one_block_pool(VmaAllocator a, VkDeviceSize block_size)
{
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = host_visible_type(a), .blockSize = block_size, .maxBlockCount = 1};
    VmaPool pool = VK_NULL_HANDLE;
    vmaCreatePool(a, &pci, &pool);
    return pool;
}

/* A mapped allocation of `pool` aligned to `align`, holding the pattern of `seed`. */
static VmaAllocation
alloc_filled(VmaAllocator a, VmaPool pool, VkDeviceSize size, VkDeviceSize align, uint32_t seed)
{
    VkMemoryRequirements req = api_mem_req(size, align, 1u << host_visible_type(a));
    VmaAllocationCreateInfo ci = {.flags = VMA_ALLOCATION_CREATE_MAPPED_BIT |
                                           VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT,
                                  .pool = pool};
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x, NULL));
    fill(a, x, seed, size);
    return x;
}

static VkDeviceSize
offset_of(VmaAllocator a, VmaAllocation x)
{
    VmaAllocationInfo i;
    vmaGetAllocationInfo(a, x, &i);
    return i.offset;
}

/* Runs one defragmentation of a one-block pool to its end, copying with memcpy. Every pass
 * but the last returns moves within the pass limits (0: none), each into the same block at
 * a lower offset than its source; after the pass end each source sits where its temporary
 * was. Returns how many allocations moved. */
static uint32_t
defrag_one_block(VmaAllocator a, VmaPool pool, VmaDefragmentationFlags flags, uint32_t max_allocs,
                 VkDeviceSize max_bytes)
{
    VmaDefragmentationInfo info = {.flags = flags,
                                   .pool = pool,
                                   .maxAllocationsPerPass = max_allocs,
                                   .maxBytesPerPass = max_bytes};
    VmaDefragmentationContext ctx = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaBeginDefragmentation(a, &info, &ctx));
    static VmaAllocation src[MAX_LIVE];
    static VkDeviceSize to[MAX_LIVE];
    uint32_t moved = 0;
    for (uint32_t np = 0;; np++) {
        ASSERT_LT(np, 200u); /* passes converge */
        VmaDefragmentationPassMoveInfo pass;
        if (!next_pass(a, ctx, &pass))
            break;
        ASSERT_LE(pass.moveCount, max_allocs != 0 ? max_allocs : MAX_LIVE);
        VkDeviceSize bytes = 0;
        for (uint32_t i = 0; i < pass.moveCount; i++) {
            VmaAllocationInfo si, di;
            vmaGetAllocationInfo(a, pass.pMoves[i].srcAllocation, &si);
            vmaGetAllocationInfo(a, pass.pMoves[i].dstTmpAllocation, &di);
            EXPECT_TRUE(si.deviceMemory == di.deviceMemory);
            EXPECT_LT(di.offset, si.offset);
            void *p = NULL;
            ASSERT_VK_OK(vmaMapMemory(a, pass.pMoves[i].dstTmpAllocation, &p));
            memcpy(p, si.pMappedData, (size_t)si.size);
            vmaUnmapMemory(a, pass.pMoves[i].dstTmpAllocation);
            src[i] = pass.pMoves[i].srcAllocation;
            to[i] = di.offset;
            bytes += si.size;
        }
        if (max_bytes != 0)
            EXPECT_LE(bytes, max_bytes);
        const uint32_t n = pass.moveCount;
        EXPECT_VK(VK_INCOMPLETE, vmaEndDefragmentationPass(a, ctx, &pass));
        for (uint32_t i = 0; i < n; i++)
            EXPECT_EQ_U64(offset_of(a, src[i]), to[i]);
        moved += n;
    }
    VmaDefragmentationStats st;
    vmaEndDefragmentation(a, ctx, &st);
    EXPECT_EQ(st.allocationsMoved, moved);
    EXPECT_EQ(st.deviceMemoryBlocksFreed, 0u);
    return moved;
}

/* The audit's case: X at 0, a hole, A, then B too large for the hole. Every algorithm moves
 * A into the hole (BALANCED too, although A lies below the block's live byte count). */
TEST(defrag_one_block_every_algorithm_moves_into_a_lower_hole)
{
    const VkDeviceSize u = 512 * API_KIB; /* shared ranges: above the size classes */
    for (uint32_t k = 0; k < (uint32_t)(sizeof(algorithms) / sizeof(algorithms[0])); k++) {
        api_fixture *f = api_fixture_setup(NULL);
        VmaAllocator a = f->allocator;
        VmaPool pool = one_block_pool(a, 8 * u);
        ASSERT_TRUE(pool != VK_NULL_HANDLE);
        VmaAllocation x = alloc_filled(a, pool, u, 256, 1);
        VmaAllocation y = alloc_filled(a, pool, u, 256, 2);
        VmaAllocation al = alloc_filled(a, pool, u, 256, 3);
        VmaAllocation b = alloc_filled(a, pool, 2 * u, 256, 4);
        ASSERT_EQ_U64(offset_of(a, x), 0);
        ASSERT_EQ_U64(offset_of(a, y), u);
        ASSERT_EQ_U64(offset_of(a, al), 2 * u);
        ASSERT_EQ_U64(offset_of(a, b), 3 * u);
        vmaFreeMemory(a, y);
        EXPECT_GE(defrag_one_block(a, pool, algorithms[k], 0, 0), 1u);
        EXPECT_EQ_U64(offset_of(a, x), 0);
        EXPECT_EQ_U64(offset_of(a, al), u);
        EXPECT_EQ_U64(offset_of(a, b), 3 * u); /* the hole A left is too small for B */
        EXPECT_TRUE(intact(a, x, 1, u));
        EXPECT_TRUE(intact(a, al, 3, u));
        EXPECT_TRUE(intact(a, b, 4, 2 * u));
        VmaStatistics ps;
        vmaGetPoolStatistics(a, pool, &ps);
        EXPECT_EQ(ps.blockCount, 1u);
        EXPECT_EQ(ps.allocationCount, 3u);
        vmaFreeMemory(a, x);
        vmaFreeMemory(a, al);
        vmaFreeMemory(a, b);
        vmaDestroyPool(a, pool);
        api_fixture_teardown(f);
    }
}

/* The audit's other case: four allocations of 64 KiB (a shared range, then slots of a run),
 * the first three freed: the last moves down once, with every algorithm. */
TEST(defrag_one_block_every_algorithm_moves_the_last_of_four)
{
    const VkDeviceSize size = 64 * API_KIB;
    for (uint32_t k = 0; k < (uint32_t)(sizeof(algorithms) / sizeof(algorithms[0])); k++) {
        api_fixture *f = api_fixture_setup(NULL);
        VmaAllocator a = f->allocator;
        VmaPool pool = one_block_pool(a, API_MIB);
        ASSERT_TRUE(pool != VK_NULL_HANDLE);
        VmaAllocation x[4];
        for (uint32_t i = 0; i < 4; i++)
            x[i] = alloc_filled(a, pool, size, 256, 10 + i);
        const VkDeviceSize was = offset_of(a, x[3]);
        for (uint32_t i = 0; i < 3; i++)
            vmaFreeMemory(a, x[i]);
        EXPECT_EQ(defrag_one_block(a, pool, algorithms[k], 0, 0), 1u);
        EXPECT_LT(offset_of(a, x[3]), was);
        EXPECT_TRUE(intact(a, x[3], 13, size));
        vmaFreeMemory(a, x[3]);
        vmaDestroyPool(a, pool);
        api_fixture_teardown(f);
    }
}

/* Slots of runs (some of over-aligned requests) and shared ranges in one block, with a large hole at its
 * start and small ones everywhere: every algorithm moves allocations of all three kinds down,
 * pass by pass within the limits, and the data survives. */
TEST(defrag_one_block_every_algorithm_compacts_within_pass_limits)
{
    const VkDeviceSize big_align = 64 * API_KIB; /* far above the size: no run serves these */
    for (uint32_t k = 0; k < (uint32_t)(sizeof(algorithms) / sizeof(algorithms[0])); k++) {
        api_fixture *f = api_fixture_setup(NULL);
        VmaAllocator a = f->allocator;
        VmaPool pool = one_block_pool(a, 4 * API_MIB);
        ASSERT_TRUE(pool != VK_NULL_HANDLE);
        VmaAllocation lead = alloc_filled(a, pool, 512 * API_KIB, 256, 1000);
        static live_set s;
        fragment(a, pool, host_visible_type(a), 80, &s);
        for (uint32_t i = 0; i < 8; i++) {
            VmaAllocation x = alloc_filled(a, pool, 900 + i, big_align, 2000 + i);
            if (i % 2 == 0) {
                vmaFreeMemory(a, x);
                continue;
            }
            s.a[s.n] = x;
            s.size[s.n] = 900 + i;
            s.seed[s.n] = 2000 + i;
            s.n++;
        }
        vmaFreeMemory(a, lead);
        static VkDeviceSize was[MAX_LIVE];
        for (uint32_t i = 0; i < s.n; i++)
            was[i] = offset_of(a, s.a[i]);
        const uint32_t moved = defrag_one_block(a, pool, algorithms[k], 3, 24 * API_KIB);
        EXPECT_GT(moved, 3u); /* more than one pass */
        uint32_t lower = 0, lower_aligned = 0;
        for (uint32_t i = 0; i < s.n; i++) {
            const VkDeviceSize now = offset_of(a, s.a[i]);
            EXPECT_LE_U64(now, was[i]);
            lower += now < was[i];
            if (s.size[i] < API_KIB) {
                EXPECT_EQ_U64(now % big_align, 0);
                lower_aligned += now < was[i];
            }
        }
        EXPECT_GT(lower, 0u);
        EXPECT_GT(lower_aligned, 0u);
        VmaStatistics ps;
        vmaGetPoolStatistics(a, pool, &ps);
        EXPECT_EQ(ps.blockCount, 1u);
        EXPECT_EQ(ps.allocationCount, s.n);
        check_and_free(a, &s);
        vmaDestroyPool(a, pool);
        api_fixture_teardown(f);
    }
}

/* With two blocks FAST only drains blocks into fuller ones (VMA's fast algorithm): a hole
 * inside the emptier block stays when nothing fits elsewhere. */
TEST(defrag_fast_with_two_blocks_never_moves_within_a_block)
{
    const VkDeviceSize u = 512 * API_KIB;
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = host_visible_type(a), .blockSize = 8 * u, .maxBlockCount = 2};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation full[8];
    for (uint32_t i = 0; i < 8; i++)
        full[i] = alloc_filled(a, pool, u, 256, 20 + i);
    VmaAllocation x = alloc_filled(a, pool, u, 256, 1);
    VmaAllocation y = alloc_filled(a, pool, u, 256, 2);
    VmaAllocation al = alloc_filled(a, pool, u, 256, 3);
    VmaAllocationInfo fi, xi;
    vmaGetAllocationInfo(a, full[7], &fi);
    vmaGetAllocationInfo(a, x, &xi);
    ASSERT_TRUE(fi.deviceMemory != xi.deviceMemory); /* the first block is full */
    ASSERT_EQ_U64(offset_of(a, al), 2 * u);
    vmaFreeMemory(a, y);
    VmaDefragmentationInfo info = {.flags = VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT,
                                   .pool = pool};
    VmaDefragmentationContext ctx;
    ASSERT_VK_OK(vmaBeginDefragmentation(a, &info, &ctx));
    VmaDefragmentationPassMoveInfo pass;
    EXPECT_VK(VK_SUCCESS, vmaBeginDefragmentationPass(a, ctx, &pass));
    EXPECT_EQ(pass.moveCount, 0u);
    vmaEndDefragmentation(a, ctx, NULL);
    EXPECT_EQ_U64(offset_of(a, al), 2 * u);
    for (uint32_t i = 0; i < 8; i++)
        vmaFreeMemory(a, full[i]);
    vmaFreeMemory(a, x);
    vmaFreeMemory(a, al);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* Many small allocations of one size class in the default pools, every other one freed:
 * the thread cache's runs are half used, and a range search finds no room inside a run.
 * Defragmentation compacts the runs among themselves (the calling thread's own), so runs
 * empty and blocks go back, as VMA frees blocks of scattered small allocations. */
TEST(defrag_compacts_half_used_runs_of_small_allocations)
{
    for (size_t alg = 0; alg < sizeof(algorithms) / sizeof(algorithms[0]); alg++) {
        api_fixture *f =
            api_fixture_setup(&(api_setup){.preferred_large_heap_block_size = API_MIB});
        VmaAllocator a = f->allocator;
        const uint32_t type = host_visible_type(a);
        static VmaAllocation all[MAX_LIVE];
        static live_set s;
        s.n = 0;
        const uint32_t n = 384;
        for (uint32_t i = 0; i < n; i++) {
            VkMemoryRequirements req = api_mem_req(8 * API_KIB, 256, 1u << type);
            VmaAllocationCreateInfo ci = {.flags = VMA_ALLOCATION_CREATE_MAPPED_BIT |
                                                   VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT};
            ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &all[i], NULL));
            fill(a, all[i], i + 1, 8 * API_KIB);
        }
        for (uint32_t i = 0; i < n; i++) {
            if (i % 2 == 0) {
                vmaFreeMemory(a, all[i]);
            } else {
                s.a[s.n] = all[i];
                s.size[s.n] = 8 * API_KIB;
                s.seed[s.n] = i + 1;
                s.n++;
            }
        }
        VmaTotalStatistics before = totals(a);
        VmaDefragmentationStats st = defrag_memcpy(a, VK_NULL_HANDLE, algorithms[alg], NULL);
        VmaTotalStatistics after = totals(a);
        EXPECT_GT(st.allocationsMoved, 0u);
        EXPECT_GT(st.deviceMemoryBlocksFreed, 0u);
        EXPECT_LT(after.memoryType[type].statistics.blockBytes,
                  before.memoryType[type].statistics.blockBytes);
        EXPECT_EQ(after.total.statistics.allocationCount, s.n);
        check_and_free(a, &s);
        api_fixture_teardown(f);
    }
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
