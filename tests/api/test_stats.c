/* SPDX-License-Identifier: MIT */
/*
 * test_stats.c - vmaCalculateStatistics, vmaGetHeapBudgets, vmaGetPoolStatistics and
 * vmaCalculatePoolStatistics against figures the test knows independently: the
 * VkDeviceMemory objects seen through pDeviceMemoryCallbacks (blocks) and the
 * VmaAllocationInfo of every allocation it holds (allocations).
 *
 * Identities checked (VMA 3.3's definitions):
 *   type t:  blockCount/blockBytes = live VkDeviceMemory of t; allocationCount/Bytes =
 *            live allocations of t; allocationSizeMin/Max = their extremes; an empty set
 *            reports min VK_WHOLE_SIZE and max 0 (allocation and unused-range sizes alike);
 *            unused ranges fit in blockBytes - allocationBytes.
 *   heap h = sum of the types of h;  total = sum of the heaps;
 *   vmaGetHeapBudgets()[h].statistics = memoryHeap[h].statistics;
 *   without VK_EXT_memory_budget: budget = heap size * 8 / 10, usage = blockBytes.
 * Layouts come from vk_sim (tests/gpus/, one JSON file per layout) over Lavapipe.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vk_ctx.h"
#include "vk_mem_alloc.h"
#include "vk_sim.h"
#include "vkmalloc.h"

#define KIB ((VkDeviceSize)1024)
#define MIB ((VkDeviceSize)1024 * 1024)

/* ---- VkDeviceMemory seen through pDeviceMemoryCallbacks -------------------------------- */

#define DM_MAX 256

typedef struct dm_entry {
    VkDeviceMemory memory;
    VkDeviceSize size;
    uint32_t type;
} dm_entry;

typedef struct dm_track {
    pthread_mutex_t lock;
    uint32_t count;
    uint32_t unknown_frees; /* pfnFree of memory pfnAllocate never reported */
    uint32_t overflow;
    dm_entry e[DM_MAX];
} dm_track;

static void VKAPI_PTR
dm_on_alloc(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)a;
    dm_track *t = user;
    pthread_mutex_lock(&t->lock);
    if (t->count < DM_MAX)
        t->e[t->count++] = (dm_entry){mem, size, type};
    else
        t->overflow++;
    pthread_mutex_unlock(&t->lock);
}

static void VKAPI_PTR
dm_on_free(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)a;
    dm_track *t = user;
    pthread_mutex_lock(&t->lock);
    uint32_t i = 0;
    while (i < t->count && t->e[i].memory != mem)
        i++;
    if (i == t->count || t->e[i].size != size || t->e[i].type != type)
        t->unknown_frees++;
    if (i < t->count)
        t->e[i] = t->e[--t->count];
    pthread_mutex_unlock(&t->lock);
}

/* Live blocks (count, bytes) of memory type `type`, or of all types for UINT32_MAX. */
static void
dm_sum(dm_track *t, uint32_t type, uint32_t *count, VkDeviceSize *bytes)
{
    *count = 0;
    *bytes = 0;
    pthread_mutex_lock(&t->lock);
    for (uint32_t i = 0; i < t->count; i++)
        if (type == UINT32_MAX || t->e[i].type == type) {
            (*count)++;
            *bytes += t->e[i].size;
        }
    pthread_mutex_unlock(&t->lock);
}

static VkDeviceSize
dm_size_of(dm_track *t, VkDeviceMemory mem)
{
    VkDeviceSize s = 0;
    pthread_mutex_lock(&t->lock);
    for (uint32_t i = 0; i < t->count; i++)
        if (t->e[i].memory == mem)
            s = t->e[i].size;
    pthread_mutex_unlock(&t->lock);
    return s;
}

/* ---- fixture ---------------------------------------------------------------------------- */

typedef struct fx {
    bool live;
    vkm_test_vk ctx;
    vkm_sim *sim;
    VmaAllocator a;
    dm_track dm;
    VmaDeviceMemoryCallbacks dm_cb;
    const VkPhysicalDeviceMemoryProperties *props;
    uint32_t validation_before;
} fx;

static fx g_fx;

static void
fx_release(fx *f)
{
    if (f->a != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->a);
    f->a = VK_NULL_HANDLE;
    vkm_sim_destroy(f->sim);
    f->sim = NULL;
    vkm_test_vk_destroy(&f->ctx);
    pthread_mutex_destroy(&f->dm.lock);
    f->live = false;
}

/* Context + sim (layout) + allocator with device-memory callbacks. `clear_flags` removes
 * allocator flags the sim would set (e.g. to run without the budget extension). */
static fx *
fx_open(const char *layout, VkDeviceSize large_block, VmaAllocatorCreateFlags clear_flags)
{
    fx *f = &g_fx;
    if (f->live)
        fx_release(f); /* a previous case ended early */
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->dm.lock, NULL);
    f->validation_before = vkm_test_validation_error_count();
    VkResult r = vkm_test_vk_create(&f->ctx, NULL);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
        pthread_mutex_destroy(&f->dm.lock);
        TEST_SKIP("no Vulkan driver");
    }
    ASSERT_VK_OK(r);
    f->live = true;
    ASSERT_VK_OK(vkm_sim_create(&f->ctx, layout, &f->sim));
    VmaAllocatorCreateInfo ci;
    memset(&ci, 0, sizeof(ci));
    vkm_sim_fill_allocator_info(f->sim, &ci);
    ci.flags &= ~clear_flags;
    ci.preferredLargeHeapBlockSize = large_block;
    f->dm_cb = (VmaDeviceMemoryCallbacks){dm_on_alloc, dm_on_free, &f->dm};
    ci.pDeviceMemoryCallbacks = &f->dm_cb;
    ASSERT_VK_OK(vmaCreateAllocator(&ci, &f->a));
    vmaGetMemoryProperties(f->a, &f->props);
    return f;
}

static void
fx_close(fx *f)
{
    if (!f->live)
        return;
    vmaDestroyAllocator(f->a);
    f->a = VK_NULL_HANDLE;
    EXPECT_EQ(f->dm.count, 0);
    EXPECT_EQ(f->dm.unknown_frees, 0);
    EXPECT_EQ(f->dm.overflow, 0);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0);
    fx_release(f);
    EXPECT_EQ(vkm_test_validation_error_count(), f->validation_before);
}

/* ---- what the test holds ------------------------------------------------------------------ */

#define HELD_MAX 256

typedef struct held {
    VmaAllocation alloc;
    VkBuffer buffer;
    VkImage image;
    VmaPool pool;
    VmaAllocationInfo info;
} held;

typedef struct holdings {
    uint32_t n;
    held h[HELD_MAX];
} holdings;

static void
hold(fx *f, holdings *hs, VmaAllocation a, VkBuffer b, VkImage i, VmaPool pool)
{
    ASSERT_LT(hs->n, HELD_MAX);
    held *h = &hs->h[hs->n++];
    *h = (held){.alloc = a, .buffer = b, .image = i, .pool = pool};
    vmaGetAllocationInfo(f->a, a, &h->info);
}

static void
release_at(fx *f, holdings *hs, uint32_t i)
{
    held *h = &hs->h[i];
    if (h->buffer != VK_NULL_HANDLE)
        vmaDestroyBuffer(f->a, h->buffer, h->alloc);
    else if (h->image != VK_NULL_HANDLE)
        vmaDestroyImage(f->a, h->image, h->alloc);
    else
        vmaFreeMemory(f->a, h->alloc);
    hs->h[i] = hs->h[--hs->n];
}

static void
release_all(fx *f, holdings *hs)
{
    while (hs->n > 0)
        release_at(f, hs, hs->n - 1);
}

/* ---- expectations -------------------------------------------------------------------------- */

static void
expect_empty_detailed(const VmaDetailedStatistics *d, const char *what, uint32_t idx)
{
    if (d->statistics.blockCount != 0 || d->statistics.allocationCount != 0 ||
        d->statistics.blockBytes != 0 || d->statistics.allocationBytes != 0 ||
        d->unusedRangeCount != 0 || d->allocationSizeMin != VK_WHOLE_SIZE ||
        d->allocationSizeMax != 0 || d->unusedRangeSizeMin != VK_WHOLE_SIZE ||
        d->unusedRangeSizeMax != 0)
        vkm_test_fail(
            __FILE__, __LINE__,
            "%s %u not empty: blocks %u/%llu allocs %u/%llu unused %u "
            "allocMin %llu allocMax %llu unusedMin %llu unusedMax %llu",
            what, idx, d->statistics.blockCount, (unsigned long long)d->statistics.blockBytes,
            d->statistics.allocationCount, (unsigned long long)d->statistics.allocationBytes,
            d->unusedRangeCount, (unsigned long long)d->allocationSizeMin,
            (unsigned long long)d->allocationSizeMax, (unsigned long long)d->unusedRangeSizeMin,
            (unsigned long long)d->unusedRangeSizeMax);
}

/* Unused ranges: none means min VK_WHOLE_SIZE and max 0; some means 0 < min <= max and
 * everything fits in the bytes not allocated. */
static void
expect_sane_unused(const VmaDetailedStatistics *d)
{
    const VkDeviceSize free_bytes = d->statistics.blockBytes - d->statistics.allocationBytes;
    EXPECT_LE_U64(d->statistics.allocationBytes, d->statistics.blockBytes);
    if (d->unusedRangeCount == 0) {
        EXPECT_EQ_U64(d->unusedRangeSizeMin, VK_WHOLE_SIZE);
        EXPECT_EQ_U64(d->unusedRangeSizeMax, 0);
    } else {
        EXPECT_GE_U64(d->unusedRangeSizeMin, 1);
        EXPECT_LE_U64(d->unusedRangeSizeMin, d->unusedRangeSizeMax);
        EXPECT_LE_U64(d->unusedRangeSizeMax, free_bytes);
        EXPECT_LE_U64((VkDeviceSize)d->unusedRangeCount * d->unusedRangeSizeMin, free_bytes);
    }
    if (d->statistics.allocationCount == 0) {
        EXPECT_EQ_U64(d->allocationSizeMin, VK_WHOLE_SIZE);
        EXPECT_EQ_U64(d->allocationSizeMax, 0);
    } else {
        EXPECT_LE_U64(d->allocationSizeMin, d->allocationSizeMax);
        EXPECT_LE_U64((VkDeviceSize)d->statistics.allocationCount * d->allocationSizeMin,
                      d->statistics.allocationBytes);
        EXPECT_GE_U64((VkDeviceSize)d->statistics.allocationCount * d->allocationSizeMax,
                      d->statistics.allocationBytes);
    }
}

static void
sum_into(VmaDetailedStatistics *acc, const VmaDetailedStatistics *s)
{
    acc->statistics.blockCount += s->statistics.blockCount;
    acc->statistics.blockBytes += s->statistics.blockBytes;
    acc->statistics.allocationCount += s->statistics.allocationCount;
    acc->statistics.allocationBytes += s->statistics.allocationBytes;
    acc->unusedRangeCount += s->unusedRangeCount;
    if (s->allocationSizeMin < acc->allocationSizeMin)
        acc->allocationSizeMin = s->allocationSizeMin;
    if (s->allocationSizeMax > acc->allocationSizeMax)
        acc->allocationSizeMax = s->allocationSizeMax;
    if (s->unusedRangeSizeMin < acc->unusedRangeSizeMin)
        acc->unusedRangeSizeMin = s->unusedRangeSizeMin;
    if (s->unusedRangeSizeMax > acc->unusedRangeSizeMax)
        acc->unusedRangeSizeMax = s->unusedRangeSizeMax;
}

static VmaDetailedStatistics
empty_detailed(void)
{
    VmaDetailedStatistics d;
    memset(&d, 0, sizeof(d));
    d.allocationSizeMin = VK_WHOLE_SIZE;
    d.unusedRangeSizeMin = VK_WHOLE_SIZE;
    return d;
}

#define EXPECT_DETAILED_EQ(x, y)                                                       \
    do {                                                                               \
        EXPECT_EQ((x).statistics.blockCount, (y).statistics.blockCount);               \
        EXPECT_EQ_U64((x).statistics.blockBytes, (y).statistics.blockBytes);           \
        EXPECT_EQ((x).statistics.allocationCount, (y).statistics.allocationCount);     \
        EXPECT_EQ_U64((x).statistics.allocationBytes, (y).statistics.allocationBytes); \
        EXPECT_EQ((x).unusedRangeCount, (y).unusedRangeCount);                         \
        EXPECT_EQ_U64((x).allocationSizeMin, (y).allocationSizeMin);                   \
        EXPECT_EQ_U64((x).allocationSizeMax, (y).allocationSizeMax);                   \
        EXPECT_EQ_U64((x).unusedRangeSizeMin, (y).unusedRangeSizeMin);                 \
        EXPECT_EQ_U64((x).unusedRangeSizeMax, (y).unusedRangeSizeMax);                 \
    } while (0)

#define EXPECT_BASIC_EQ(x, y)                                    \
    do {                                                         \
        EXPECT_EQ((x).blockCount, (y).blockCount);               \
        EXPECT_EQ_U64((x).blockBytes, (y).blockBytes);           \
        EXPECT_EQ((x).allocationCount, (y).allocationCount);     \
        EXPECT_EQ_U64((x).allocationBytes, (y).allocationBytes); \
    } while (0)

/* Every identity of the file header, against the blocks the callbacks saw and the
 * allocations in `hs`. */
static void
check_all_identities(fx *f, const holdings *hs)
{
    VmaTotalStatistics t;
    memset(&t, 0xcd, sizeof(t));
    vmaCalculateStatistics(f->a, &t);
    const uint32_t types = f->props->memoryTypeCount, heaps = f->props->memoryHeapCount;

    VmaDetailedStatistics heap_sum[VK_MAX_MEMORY_HEAPS];
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++)
        heap_sum[h] = empty_detailed();
    for (uint32_t ty = 0; ty < types; ty++) {
        const VmaDetailedStatistics *d = &t.memoryType[ty];
        uint32_t blocks;
        VkDeviceSize block_bytes;
        dm_sum(&f->dm, ty, &blocks, &block_bytes);
        uint32_t allocs = 0;
        VkDeviceSize alloc_bytes = 0, mn = VK_WHOLE_SIZE, mx = 0;
        for (uint32_t i = 0; i < hs->n; i++) {
            if (hs->h[i].info.memoryType != ty)
                continue;
            VkDeviceSize s = hs->h[i].info.size;
            allocs++;
            alloc_bytes += s;
            if (s < mn)
                mn = s;
            if (s > mx)
                mx = s;
        }
        if (d->statistics.blockCount != blocks || d->statistics.blockBytes != block_bytes ||
            d->statistics.allocationCount != allocs ||
            d->statistics.allocationBytes != alloc_bytes || d->allocationSizeMin != mn ||
            d->allocationSizeMax != mx)
            vkm_test_fail(
                __FILE__, __LINE__,
                "type %u: stats blocks %u/%llu allocs %u/%llu min %llu max %llu; "
                "expected blocks %u/%llu allocs %u/%llu min %llu max %llu",
                ty, d->statistics.blockCount, (unsigned long long)d->statistics.blockBytes,
                d->statistics.allocationCount, (unsigned long long)d->statistics.allocationBytes,
                (unsigned long long)d->allocationSizeMin, (unsigned long long)d->allocationSizeMax,
                blocks, (unsigned long long)block_bytes, allocs, (unsigned long long)alloc_bytes,
                (unsigned long long)mn, (unsigned long long)mx);
        expect_sane_unused(d);
        sum_into(&heap_sum[f->props->memoryTypes[ty].heapIndex], d);
    }
    for (uint32_t ty = types; ty < VK_MAX_MEMORY_TYPES; ty++)
        expect_empty_detailed(&t.memoryType[ty], "memoryType", ty);

    VmaDetailedStatistics total_sum = empty_detailed();
    VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
    memset(budgets, 0xcd, sizeof(budgets));
    vmaGetHeapBudgets(f->a, budgets);
    for (uint32_t h = 0; h < heaps; h++) {
        EXPECT_DETAILED_EQ(t.memoryHeap[h], heap_sum[h]);
        expect_sane_unused(&t.memoryHeap[h]);
        EXPECT_BASIC_EQ(budgets[h].statistics, t.memoryHeap[h].statistics);
        sum_into(&total_sum, &t.memoryHeap[h]);
    }
    for (uint32_t h = heaps; h < VK_MAX_MEMORY_HEAPS; h++)
        expect_empty_detailed(&t.memoryHeap[h], "memoryHeap", h);
    EXPECT_DETAILED_EQ(t.total, total_sum);
    expect_sane_unused(&t.total);

    uint32_t blocks;
    VkDeviceSize block_bytes;
    dm_sum(&f->dm, UINT32_MAX, &blocks, &block_bytes);
    EXPECT_EQ(t.total.statistics.blockCount, blocks);
    EXPECT_EQ_U64(t.total.statistics.blockBytes, block_bytes);
    EXPECT_EQ(t.total.statistics.allocationCount, hs->n);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), blocks);
}

static VkBufferCreateInfo
buffer_info(VkDeviceSize size, VkBufferUsageFlags usage)
{
    return (VkBufferCreateInfo){
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
}

static VkImageCreateInfo
image_info(uint32_t w, uint32_t h)
{
    return vkm_test_image_info(w, h, VK_IMAGE_TILING_OPTIMAL,
                               VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
}

static void
make_buffer(fx *f, holdings *hs, VkDeviceSize size, VkBufferUsageFlags usage,
            VmaAllocationCreateFlags flags, VmaPool pool)
{
    VkBufferCreateInfo bci = buffer_info(size, usage);
    VmaAllocationCreateInfo ci = {.flags = flags, .usage = VMA_MEMORY_USAGE_AUTO, .pool = pool};
    VkBuffer b;
    VmaAllocation a;
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &b, &a, NULL));
    hold(f, hs, a, b, VK_NULL_HANDLE, pool);
}

static void
make_memory(fx *f, holdings *hs, VkDeviceSize size, VkDeviceSize alignment, uint32_t type_bits,
            VmaAllocationCreateFlags flags)
{
    VkMemoryRequirements req = {.size = size, .alignment = alignment, .memoryTypeBits = type_bits};
    VmaAllocationCreateInfo ci = {.flags = flags, .usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation a;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &a, NULL));
    hold(f, hs, a, VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE);
}

/* ---- cases ------------------------------------------------------------------------------- */

TEST(stats_of_a_new_allocator_are_empty_with_vma_sentinels)
{
    fx *f = fx_open("nvidia-h200", 0, 0);
    VmaTotalStatistics t;
    memset(&t, 0xcd, sizeof(t));
    vmaCalculateStatistics(f->a, &t);
    for (uint32_t i = 0; i < VK_MAX_MEMORY_TYPES; i++)
        expect_empty_detailed(&t.memoryType[i], "memoryType", i);
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        expect_empty_detailed(&t.memoryHeap[i], "memoryHeap", i);
    expect_empty_detailed(&t.total, "total", 0);
    holdings hs = {0};
    check_all_identities(f, &hs);
    fx_close(f);
}

TEST(stats_identities_hold_per_type_heap_and_total)
{
    /* Small blocks so that several blocks exist per type. */
    fx *f = fx_open("nvidia-h200", 2 * MIB, 0);
    static holdings hs;
    memset(&hs, 0, sizeof(hs));
    const VmaAllocationCreateFlags seq = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT;
    const VmaAllocationCreateFlags rnd = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT;
    const VkDeviceSize sizes[] = {256, 4 * KIB, 17 * KIB, 64 * KIB, 300 * KIB, 1 * MIB + 4 * KIB};
    for (uint32_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        make_buffer(f, &hs, sizes[i], VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, 0, VK_NULL_HANDLE);
        make_buffer(f, &hs, sizes[i], VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                    seq | VMA_ALLOCATION_CREATE_MAPPED_BIT, VK_NULL_HANDLE);
        make_buffer(f, &hs, sizes[i], VK_BUFFER_USAGE_TRANSFER_DST_BIT, rnd, VK_NULL_HANDLE);
        make_buffer(
            f, &hs, sizes[i], VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
            seq | VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT, VK_NULL_HANDLE);
        make_memory(f, &hs, sizes[i] + 3, 16, 1u << 0, 0); /* odd sizes in type 0 */
        check_all_identities(f, &hs);
    }
    /* images and explicit dedicated allocations */
    VkImageCreateInfo ici = image_info(64, 64);
    VmaAllocationCreateInfo ici_alloc = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkImage img;
    VmaAllocation img_alloc;
    ASSERT_VK_OK(vmaCreateImage(f->a, &ici, &ici_alloc, &img, &img_alloc, NULL));
    hold(f, &hs, img_alloc, VK_NULL_HANDLE, img, VK_NULL_HANDLE);
    make_buffer(f, &hs, 8 * KIB, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, VK_NULL_HANDLE);
    make_memory(f, &hs, 12345, 1, 1u << 3, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT);
    /* a large request (over half a 2 MiB block) becomes dedicated on its own */
    make_memory(f, &hs, 3 * MIB / 2, 256, 1u << 2, 0);
    check_all_identities(f, &hs);

    /* Every type in use has unused ranges to report: sizes were chosen unaligned. */
    VmaTotalStatistics t;
    vmaCalculateStatistics(f->a, &t);
    EXPECT_GT(t.total.unusedRangeCount, 0);
    EXPECT_EQ_U64(t.total.allocationSizeMin, 256);

    /* Free every other one, then the rest; identities at each step. */
    for (uint32_t i = 0; i < hs.n; i++)
        release_at(f, &hs, i);
    check_all_identities(f, &hs);
    release_all(f, &hs);
    check_all_identities(f, &hs);
    vmaCalculateStatistics(f->a, &t);
    EXPECT_EQ(t.total.statistics.allocationCount, 0);
    EXPECT_EQ_U64(t.total.statistics.allocationBytes, 0);
    EXPECT_EQ_U64(t.total.allocationSizeMin, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(t.total.allocationSizeMax, 0);
    fx_close(f);
}

TEST(stats_dedicated_allocation_is_one_block_and_one_allocation)
{
    fx *f = fx_open("nvidia-h200", 0, 0);
    holdings hs = {0};
    VmaTotalStatistics before, after;
    vmaCalculateStatistics(f->a, &before);
    const VkDeviceSize size = 100 * KIB + 1;
    make_memory(f, &hs, size, 64, 1u << 2, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT);
    vmaCalculateStatistics(f->a, &after);
    const VmaDetailedStatistics *d = &after.memoryType[2];
    EXPECT_EQ(d->statistics.blockCount, before.memoryType[2].statistics.blockCount + 1);
    EXPECT_EQ(d->statistics.allocationCount, 1);
    EXPECT_EQ_U64(d->statistics.blockBytes, size);
    EXPECT_EQ_U64(d->statistics.allocationBytes, size);
    EXPECT_EQ(d->unusedRangeCount, 0);
    EXPECT_EQ_U64(d->allocationSizeMin, size);
    EXPECT_EQ_U64(d->allocationSizeMax, size);
    EXPECT_EQ_U64(dm_size_of(&f->dm, hs.h[0].info.deviceMemory), size);
    VmaAllocationInfo2 i2;
    vmaGetAllocationInfo2(f->a, hs.h[0].alloc, &i2);
    EXPECT_EQ(i2.dedicatedMemory, VK_TRUE);
    EXPECT_EQ_U64(i2.blockSize, size);
    check_all_identities(f, &hs);
    release_all(f, &hs);
    /* a dedicated allocation's memory goes with it: nothing is kept */
    vmaCalculateStatistics(f->a, &after);
    expect_empty_detailed(&after.memoryType[2], "memoryType", 2);
    check_all_identities(f, &hs);
    fx_close(f);
}

/* Without VK_EXT_memory_budget VMA estimates budget = 80 % of the heap and usage = the
 * allocator's own block bytes. */
static void
check_budget_without_extension(const char *layout, VmaAllocatorCreateFlags clear)
{
    fx *f = fx_open(layout, 2 * MIB, clear);
    holdings hs = {0};
    make_buffer(f, &hs, 64 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, 0, VK_NULL_HANDLE);
    make_buffer(f, &hs, 3 * MIB, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT, VK_NULL_HANDLE);
    make_memory(f, &hs, 1000, 8, 1u << 0, 0);
    for (int round = 0; round < 2; round++) {
        VmaBudget b[VK_MAX_MEMORY_HEAPS];
        memset(b, 0xcd, sizeof(b));
        vmaGetHeapBudgets(f->a, b);
        VmaTotalStatistics t;
        vmaCalculateStatistics(f->a, &t);
        for (uint32_t h = 0; h < f->props->memoryHeapCount; h++) {
            EXPECT_EQ_U64(b[h].budget, f->props->memoryHeaps[h].size * 8 / 10);
            EXPECT_EQ_U64(b[h].usage, b[h].statistics.blockBytes);
            EXPECT_BASIC_EQ(b[h].statistics, t.memoryHeap[h].statistics);
        }
        check_all_identities(f, &hs);
        release_all(f, &hs);
    }
    fx_close(f);
}

TEST(stats_budget_without_extension_is_80_percent_and_usage_is_block_bytes)
{
    check_budget_without_extension("lavapipe", 0);
    /* nvidia-h200 lists VK_EXT_memory_budget: take it away, two heaps then */
    check_budget_without_extension("nvidia-h200", VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT);
}

TEST(stats_pool_statistics_count_only_the_pool)
{
    fx *f = fx_open("lavapipe", 4 * MIB, 0);
    holdings hs = {0}, pool_hs = {0};
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 1 * MIB, .minBlockCount = 1};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(f->a, &pci, &pool));

    VmaStatistics ps;
    VmaDetailedStatistics pd;
    memset(&ps, 0xcd, sizeof(ps));
    memset(&pd, 0xcd, sizeof(pd));
    vmaGetPoolStatistics(f->a, pool, &ps);
    vmaCalculatePoolStatistics(f->a, pool, &pd);
    EXPECT_EQ(ps.blockCount, 1);
    EXPECT_EQ_U64(ps.blockBytes, 1 * MIB);
    EXPECT_EQ(ps.allocationCount, 0);
    EXPECT_EQ_U64(ps.allocationBytes, 0);
    EXPECT_EQ(pd.unusedRangeCount, 1); /* the empty block is one free range */
    EXPECT_EQ_U64(pd.unusedRangeSizeMax, 1 * MIB);
    EXPECT_EQ_U64(pd.allocationSizeMin, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(pd.allocationSizeMax, 0);

    /* allocations in the same memory type, in and out of the pool */
    const VkDeviceSize pool_sizes[] = {1000, 4 * KIB, 100 * KIB, 333 * KIB};
    VkDeviceSize pool_bytes = 0;
    for (uint32_t i = 0; i < 4; i++) {
        make_buffer(f, &pool_hs, pool_sizes[i], VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, 0, pool);
        make_buffer(f, &hs, pool_sizes[i] * 2, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, 0,
                    VK_NULL_HANDLE);
    }
    for (uint32_t i = 0; i < pool_hs.n; i++)
        pool_bytes += pool_hs.h[i].info.size;

    vmaGetPoolStatistics(f->a, pool, &ps);
    vmaCalculatePoolStatistics(f->a, pool, &pd);
    EXPECT_EQ(ps.allocationCount, 4);
    EXPECT_EQ_U64(ps.allocationBytes, pool_bytes);
    EXPECT_EQ(ps.blockCount, 1);
    EXPECT_EQ_U64(ps.blockBytes, 1 * MIB);
    EXPECT_BASIC_EQ(pd.statistics, ps);
    EXPECT_EQ_U64(pd.allocationSizeMin, pool_hs.h[0].info.size);
    EXPECT_EQ_U64(pd.allocationSizeMax, pool_hs.h[3].info.size);
    expect_sane_unused(&pd);
    for (uint32_t i = 0; i < pool_hs.n; i++)
        EXPECT_EQ_U64(dm_size_of(&f->dm, pool_hs.h[i].info.deviceMemory), 1 * MIB);

    /* the allocator's totals hold both */
    holdings all = hs;
    for (uint32_t i = 0; i < pool_hs.n; i++)
        all.h[all.n++] = pool_hs.h[i];
    check_all_identities(f, &all);
    VmaTotalStatistics t;
    vmaCalculateStatistics(f->a, &t);
    EXPECT_EQ(t.memoryType[0].statistics.allocationCount, 8);
    EXPECT_LT(ps.blockCount, t.memoryType[0].statistics.blockCount);

    /* freeing outside the pool leaves the pool's figures alone */
    release_all(f, &hs);
    VmaStatistics ps2;
    vmaGetPoolStatistics(f->a, pool, &ps2);
    EXPECT_BASIC_EQ(ps2, ps);

    /* and freeing inside returns it to empty (minBlockCount keeps the block) */
    release_all(f, &pool_hs);
    vmaGetPoolStatistics(f->a, pool, &ps);
    vmaCalculatePoolStatistics(f->a, pool, &pd);
    EXPECT_EQ(ps.allocationCount, 0);
    EXPECT_EQ_U64(ps.allocationBytes, 0);
    EXPECT_EQ(ps.blockCount, 1);
    EXPECT_EQ(pd.unusedRangeCount, 1);
    EXPECT_EQ_U64(pd.allocationSizeMin, VK_WHOLE_SIZE);
    check_all_identities(f, &hs);
    vmaDestroyPool(f->a, pool);
    check_all_identities(f, &hs);
    fx_close(f);
}

TEST(stats_keep_one_empty_block_and_release_a_second)
{
    /* 1 MiB blocks, allocations of 96 KiB: several per block, several blocks. */
    fx *f = fx_open("lavapipe", 1 * MIB, 0);
    static holdings hs;
    memset(&hs, 0, sizeof(hs));
    uint32_t blocks = 0;
    VkDeviceSize bytes = 0;
    while (blocks < 3) {
        make_memory(f, &hs, 96 * KIB, 256, 1u << 0, 0);
        dm_sum(&f->dm, UINT32_MAX, &blocks, &bytes);
        ASSERT_LT(hs.n, 200);
    }
    check_all_identities(f, &hs);
    VkDeviceMemory first = hs.h[0].info.deviceMemory;
    VkDeviceMemory last = hs.h[hs.n - 1].info.deviceMemory;
    ASSERT_TRUE(first != last);

    /* empty the first block: it stays (VMA keeps one empty block) */
    for (uint32_t i = hs.n; i-- > 0;)
        if (hs.h[i].info.deviceMemory == first)
            release_at(f, &hs, i);
    dm_sum(&f->dm, UINT32_MAX, &blocks, &bytes);
    EXPECT_EQ(blocks, 3);
    EXPECT_GT(dm_size_of(&f->dm, first), 0);
    check_all_identities(f, &hs);

    /* empty the last block: now two would be empty, one goes */
    for (uint32_t i = hs.n; i-- > 0;)
        if (hs.h[i].info.deviceMemory == last)
            release_at(f, &hs, i);
    dm_sum(&f->dm, UINT32_MAX, &blocks, &bytes);
    EXPECT_EQ(blocks, 2);
    check_all_identities(f, &hs);

    /* free the rest: one empty block remains, reported as one whole free range */
    release_all(f, &hs);
    dm_sum(&f->dm, UINT32_MAX, &blocks, &bytes);
    EXPECT_EQ(blocks, 1);
    VmaTotalStatistics t;
    vmaCalculateStatistics(f->a, &t);
    EXPECT_EQ(t.total.statistics.blockCount, 1);
    EXPECT_EQ_U64(t.total.statistics.blockBytes, bytes);
    EXPECT_EQ(t.total.statistics.allocationCount, 0);
    EXPECT_EQ(t.total.unusedRangeCount, 1);
    EXPECT_EQ_U64(t.total.unusedRangeSizeMin, bytes);
    EXPECT_EQ_U64(t.total.unusedRangeSizeMax, bytes);
    check_all_identities(f, &hs);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 1);
    fx_close(f);
}

TEST(stats_budget_statistics_track_allocations_and_frees)
{
    fx *f = fx_open("amd-discrete-bar256", 4 * MIB, 0);
    holdings hs = {0};
    VmaBudget b0[VK_MAX_MEMORY_HEAPS], b1[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(f->a, b0);
    /* staging -> type 1 (heap 1), uniform -> type 2 (heap 2, the BAR) */
    make_buffer(f, &hs, 10 * KIB, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT, VK_NULL_HANDLE);
    make_buffer(f, &hs, 20 * KIB, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
                VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT, VK_NULL_HANDLE);
    vmaGetHeapBudgets(f->a, b1);
    EXPECT_EQ(hs.h[0].info.memoryType, 1);
    EXPECT_EQ(hs.h[1].info.memoryType, 2);
    EXPECT_EQ(b1[1].statistics.allocationCount, b0[1].statistics.allocationCount + 1);
    EXPECT_EQ(b1[2].statistics.allocationCount, b0[2].statistics.allocationCount + 1);
    EXPECT_EQ_U64(b1[1].statistics.allocationBytes, hs.h[0].info.size);
    EXPECT_EQ_U64(b1[2].statistics.allocationBytes, hs.h[1].info.size);
    EXPECT_EQ(b1[0].statistics.allocationCount, 0);
    check_all_identities(f, &hs);
    /* with the (emulated) extension, usage is what the device reports for the heap */
    for (uint32_t h = 0; h < f->props->memoryHeapCount; h++) {
        EXPECT_EQ_U64(b1[h].usage, vkm_sim_heap_usage(f->sim, h));
        EXPECT_EQ_U64(b1[h].budget, vkm_sim_heap_budget(f->sim, h));
    }
    release_all(f, &hs);
    vmaGetHeapBudgets(f->a, b1);
    for (uint32_t h = 0; h < f->props->memoryHeapCount; h++) {
        EXPECT_EQ(b1[h].statistics.allocationCount, 0);
        EXPECT_EQ_U64(b1[h].statistics.allocationBytes, 0);
    }
    check_all_identities(f, &hs);
    fx_close(f);
}

/* ---- unused ranges are maximal free gaps ------------------------------------------------ */

/* VMA's block metadata merges adjacent free space: a block's unused ranges are the
 * maximal gaps between its allocations (and its ends), whatever our structures cut the
 * block into (free ranges, runs and their slots). */
typedef struct gaps {
    uint32_t count;
    VkDeviceSize min, max;
} gaps;

static int
cmp_offset(const void *x, const void *y)
{
    const VkDeviceSize a = ((const VmaAllocationInfo *)x)->offset;
    const VkDeviceSize b = ((const VmaAllocationInfo *)y)->offset;
    return a < b ? -1 : a > b;
}

static void
gaps_add(gaps *g, VkDeviceSize from, VkDeviceSize to)
{
    if (to <= from)
        return;
    g->count++;
    if (to - from < g->min)
        g->min = to - from;
    if (to - from > g->max)
        g->max = to - from;
}

/* The gaps of every block of memory type `type`, from the allocations in `hs` (the test
 * holds every allocation of the type) and the blocks the callbacks saw. */
static gaps
expected_gaps(fx *f, const holdings *hs, uint32_t type)
{
    gaps g = {0, VK_WHOLE_SIZE, 0};
    static VmaAllocationInfo in_block[HELD_MAX];
    pthread_mutex_lock(&f->dm.lock);
    const uint32_t blocks = f->dm.count;
    dm_entry e[DM_MAX];
    memcpy(e, f->dm.e, sizeof(e));
    pthread_mutex_unlock(&f->dm.lock);
    for (uint32_t b = 0; b < blocks; b++) {
        if (e[b].type != type)
            continue;
        uint32_t n = 0;
        for (uint32_t i = 0; i < hs->n; i++)
            if (hs->h[i].info.deviceMemory == e[b].memory)
                in_block[n++] = hs->h[i].info;
        if (n == 1 && in_block[0].size == e[b].size)
            continue; /* a dedicated allocation: no unused range */
        qsort(in_block, n, sizeof(in_block[0]), cmp_offset);
        VkDeviceSize end = 0;
        for (uint32_t i = 0; i < n; i++) {
            gaps_add(&g, end, in_block[i].offset);
            end = in_block[i].offset + in_block[i].size;
        }
        gaps_add(&g, end, e[b].size);
    }
    return g;
}

static void
expect_gaps(const VmaDetailedStatistics *d, gaps g)
{
    if (d->unusedRangeCount != g.count || d->unusedRangeSizeMin != g.min ||
        d->unusedRangeSizeMax != g.max)
        vkm_test_fail(__FILE__, __LINE__,
                      "unused ranges %u (min %llu, max %llu); the free gaps between the "
                      "allocations: %u (min %llu, max %llu)",
                      d->unusedRangeCount, (unsigned long long)d->unusedRangeSizeMin,
                      (unsigned long long)d->unusedRangeSizeMax, g.count, (unsigned long long)g.min,
                      (unsigned long long)g.max);
}

static void
make_in_pool(fx *f, holdings *hs, VmaPool pool, VkDeviceSize size, VkDeviceSize alignment)
{
    VkMemoryRequirements req = {.size = size, .alignment = alignment, .memoryTypeBits = ~0u};
    VmaAllocationCreateInfo ci = {.pool = pool};
    VmaAllocation a;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &a, NULL));
    hold(f, hs, a, VK_NULL_HANDLE, VK_NULL_HANDLE, pool);
}

/* Statistics of a default pool holding one block of memory type 0; returns the block's
 * size (0, and a failure, when there is not exactly one). */
static VkDeviceSize
one_block_stats(fx *f, VmaTotalStatistics *t)
{
    uint32_t blocks;
    VkDeviceSize bytes;
    dm_sum(&f->dm, 0, &blocks, &bytes);
    EXPECT_EQ(blocks, 1);
    vmaCalculateStatistics(f->a, t);
    return blocks == 1 ? bytes : 0;
}

TEST(stats_empty_default_pool_block_is_one_unused_range_after_small_frees)
{
    /* Small allocations come from a thread-cache run, which stays cached (empty) after
     * they are freed: the block is still all free, one range (VMA: one free block). */
    fx *f = fx_open("lavapipe", 0, 0);
    holdings hs = {0};
    for (int i = 0; i < 3; i++)
        make_memory(f, &hs, 1000, 16, 1u << 0, 0);
    release_all(f, &hs);
    VmaTotalStatistics t;
    const VkDeviceSize bytes = one_block_stats(f, &t);
    const VmaDetailedStatistics *d = &t.memoryType[0];
    EXPECT_EQ(d->statistics.blockCount, 1);
    EXPECT_EQ(d->statistics.allocationCount, 0);
    EXPECT_EQ(d->unusedRangeCount, 1);
    EXPECT_EQ_U64(d->unusedRangeSizeMin, bytes);
    EXPECT_EQ_U64(d->unusedRangeSizeMax, bytes);
    EXPECT_EQ(t.total.unusedRangeCount, 1);
    check_all_identities(f, &hs);
    fx_close(f);
}

TEST(stats_unused_ranges_are_the_free_gaps_between_allocations)
{
    fx *f = fx_open("lavapipe", 0, 0);
    static holdings hs;
    memset(&hs, 0, sizeof(hs));
    /* Slots of runs of three classes, two over-aligned requests (64 KiB slots, the rest
     * of each slot free), and one too large for a slot class (the block's own TLSF). */
    for (int i = 0; i < 12; i++)
        make_memory(f, &hs, 1000, 16, 1u << 0, 0);
    for (int i = 0; i < 6; i++)
        make_memory(f, &hs, 3000, 256, 1u << 0, 0);
    for (int i = 0; i < 4; i++)
        make_memory(f, &hs, 20 * KIB + 100, 256, 1u << 0, 0);
    make_memory(f, &hs, 4 * KIB, 64 * KIB, 1u << 0, 0);
    make_memory(f, &hs, 4 * KIB + 8, 64 * KIB, 1u << 0, 0);
    make_memory(f, &hs, 300 * KIB, 256, 1u << 0, 0);
    VmaTotalStatistics t;
    ASSERT_NE(one_block_stats(f, &t), 0);
    expect_gaps(&t.memoryType[0], expected_gaps(f, &hs, 0));

    /* Holes: every third allocation (neighbouring free slots join their gaps), then
     * both over-aligned allocations and more, then everything but two. */
    for (uint32_t i = hs.n; i-- > 0;)
        if (i % 3 == 1)
            release_at(f, &hs, i);
    vmaCalculateStatistics(f->a, &t);
    expect_gaps(&t.memoryType[0], expected_gaps(f, &hs, 0));
    check_all_identities(f, &hs);
    for (uint32_t i = hs.n; i-- > 0;)
        if (hs.h[i].info.size == 4 * KIB || hs.h[i].info.size == 4 * KIB + 8 || i % 2 == 0)
            release_at(f, &hs, i);
    vmaCalculateStatistics(f->a, &t);
    expect_gaps(&t.memoryType[0], expected_gaps(f, &hs, 0));
    while (hs.n > 2)
        release_at(f, &hs, 0);
    vmaCalculateStatistics(f->a, &t);
    expect_gaps(&t.memoryType[0], expected_gaps(f, &hs, 0));
    EXPECT_LE(t.memoryType[0].unusedRangeCount, 3);
    check_all_identities(f, &hs);

    release_all(f, &hs);
    uint32_t blocks;
    VkDeviceSize bytes;
    vmaCalculateStatistics(f->a, &t);
    dm_sum(&f->dm, 0, &blocks, &bytes);
    EXPECT_EQ(t.memoryType[0].unusedRangeCount, blocks);
    EXPECT_EQ_U64(t.memoryType[0].unusedRangeSizeMax, bytes);
    fx_close(f);
}

TEST(stats_pool_unused_ranges_are_the_free_gaps_between_allocations)
{
    fx *f = fx_open("lavapipe", 0, 0);
    static holdings hs;
    memset(&hs, 0, sizeof(hs));
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 4 * MIB};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(f->a, &pci, &pool));
    /* A pool's first request makes its block on the shared path; later ones fill runs. */
    for (int i = 0; i < 16; i++)
        make_in_pool(f, &hs, pool, 700, 16);
    for (int i = 0; i < 5; i++)
        make_in_pool(f, &hs, pool, 5000, 256);
    for (uint32_t i = hs.n; i-- > 0;)
        if (i % 4 == 1 || i % 4 == 2)
            release_at(f, &hs, i);
    VmaDetailedStatistics pd;
    vmaCalculatePoolStatistics(f->a, pool, &pd);
    EXPECT_EQ(pd.statistics.allocationCount, hs.n);
    expect_gaps(&pd, expected_gaps(f, &hs, 0));
    /* the pool's block is the only one of the type: the allocator's figures agree */
    VmaTotalStatistics t;
    vmaCalculateStatistics(f->a, &t);
    EXPECT_EQ(t.memoryType[0].unusedRangeCount, pd.unusedRangeCount);
    release_all(f, &hs);
    vmaCalculatePoolStatistics(f->a, pool, &pd);
    EXPECT_EQ(pd.unusedRangeCount, pd.statistics.blockCount);
    vmaDestroyPool(f->a, pool);
    fx_close(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
