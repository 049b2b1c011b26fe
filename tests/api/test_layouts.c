/* SPDX-License-Identifier: MIT */
/*
 * test_layouts.c - the allocator on the memory layouts of real GPUs (vk_sim over Lavapipe,
 * layouts in tests/gpus/): where the common usage patterns land, non-coherent memory and
 * its flush / invalidate ranges, heap size and allocation-count limits, and the budget
 * extension (reported budgets, WITHIN_BUDGET).
 *
 * Expected memory types are written out by hand from VMA 3.3's AUTO rules (the same
 * reasoning as the table in tests/unit/test_memtype.c):
 *   usage                                     nvidia-h200  amd-bar256  intel-nonllc  lavapipe
 *   vertex buffer, no host access                   1           0           0           0
 *   staging (SEQUENTIAL_WRITE, transfer src)         2           1           0           0
 *   readback (RANDOM, transfer dst)                  3           3           1           0
 *   uniform (SEQ_WRITE + ALLOW_TRANSFER_INSTEAD)     4           2           0           0
 *   optimal-tiling sampled image                     1           0           0           0
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

/* ---- fixture: context, sim, allocator; counts VkDeviceMemory through the callbacks ---- */

typedef struct fx {
    bool live;
    vkm_test_vk ctx;
    vkm_sim *sim;
    VmaAllocator a;
    VmaDeviceMemoryCallbacks dm_cb;
    pthread_mutex_t dm_lock;
    int64_t dm_live; /* pfnAllocate - pfnFree */
    const VkPhysicalDeviceMemoryProperties *props;
    uint32_t validation_before;
} fx;

static fx g_fx;

static void VKAPI_PTR
dm_on_alloc(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)a, (void)type, (void)mem, (void)size;
    fx *f = user;
    pthread_mutex_lock(&f->dm_lock);
    f->dm_live++;
    pthread_mutex_unlock(&f->dm_lock);
}

static void VKAPI_PTR
dm_on_free(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)a, (void)type, (void)mem, (void)size;
    fx *f = user;
    pthread_mutex_lock(&f->dm_lock);
    f->dm_live--;
    pthread_mutex_unlock(&f->dm_lock);
}

static void
fx_release(fx *f)
{
    if (f->a != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->a);
    f->a = VK_NULL_HANDLE;
    vkm_sim_destroy(f->sim);
    f->sim = NULL;
    vkm_test_vk_destroy(&f->ctx);
    pthread_mutex_destroy(&f->dm_lock);
    f->live = false;
}

static fx *
fx_open(const char *layout, VkDeviceSize large_block)
{
    fx *f = &g_fx;
    if (f->live)
        fx_release(f);
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->dm_lock, NULL);
    f->validation_before = vkm_test_validation_error_count();
    VkResult r = vkm_test_vk_create(&f->ctx, NULL);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
        pthread_mutex_destroy(&f->dm_lock);
        TEST_SKIP("no Vulkan driver");
    }
    ASSERT_VK_OK(r);
    f->live = true;
    ASSERT_VK_OK(vkm_sim_create(&f->ctx, layout, &f->sim));
    VmaAllocatorCreateInfo ci;
    memset(&ci, 0, sizeof(ci));
    vkm_sim_fill_allocator_info(f->sim, &ci);
    ci.preferredLargeHeapBlockSize = large_block;
    f->dm_cb = (VmaDeviceMemoryCallbacks){dm_on_alloc, dm_on_free, f};
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
    EXPECT_EQ(f->dm_live, 0);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_flush_violation_count(f->sim), 0);
    fx_release(f);
    EXPECT_EQ(vkm_test_validation_error_count(), f->validation_before);
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
fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7u + (i >> 8));
}

/* Index of the first byte of p that differs from fill(seed), or SIZE_MAX. */
static size_t
differs(const uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed + i * 7u + (i >> 8)))
            return i;
    return SIZE_MAX;
}

static size_t
differs_from_byte(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return i;
    return SIZE_MAX;
}

/* ---- where the common usages land ------------------------------------------------------ */

enum {
    U_VERTEX,
    U_STAGING,
    U_READBACK,
    U_UNIFORM,
    U_IMAGE,
    U_COUNT
};

typedef struct layout_case {
    const char *layout;
    uint32_t expect[U_COUNT];
} layout_case;

static const layout_case layout_cases[] = {
    {"nvidia-h200", {1, 2, 3, 4, 1}},
    {"amd-discrete-bar256", {0, 1, 3, 2, 0}},
    {"intel-igpu-nonllc", {0, 0, 1, 0, 0}},
    {"lavapipe", {0, 0, 0, 0, 0}},
};

static const char *const usage_names[U_COUNT] = {"vertex", "staging", "readback", "uniform",
                                                 "image"};

static void
usage_of(int u, VkBufferCreateInfo *bci, VmaAllocationCreateInfo *ci)
{
    const VmaAllocationCreateFlags seq = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT;
    memset(ci, 0, sizeof(*ci));
    ci->usage = VMA_MEMORY_USAGE_AUTO;
    switch (u) {
    case U_VERTEX:
        *bci = buffer_info(64 * KIB,
                           VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT);
        break;
    case U_STAGING:
        *bci = buffer_info(64 * KIB, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
        ci->flags = seq | VMA_ALLOCATION_CREATE_MAPPED_BIT;
        break;
    case U_READBACK:
        *bci = buffer_info(64 * KIB, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
        ci->flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT | VMA_ALLOCATION_CREATE_MAPPED_BIT;
        break;
    case U_UNIFORM:
        *bci = buffer_info(16 * KIB,
                           VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT);
        ci->flags = seq | VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT |
                    VMA_ALLOCATION_CREATE_MAPPED_BIT;
        break;
    default:
        break;
    }
}

TEST(layouts_common_usages_land_in_the_memory_type_vma_picks)
{
    for (size_t l = 0; l < sizeof(layout_cases) / sizeof(layout_cases[0]); l++) {
        const layout_case *lc = &layout_cases[l];
        fx *f = fx_open(lc->layout, 0);
        VkBuffer bufs[U_COUNT] = {0};
        VmaAllocation allocs[U_COUNT] = {0};
        VkImage img = VK_NULL_HANDLE;
        for (int u = 0; u < U_COUNT; u++) {
            VkBufferCreateInfo bci;
            VmaAllocationCreateInfo ci;
            VmaAllocationInfo info;
            uint32_t found = UINT32_MAX;
            usage_of(u, &bci, &ci);
            if (u == U_IMAGE) {
                if (!vkm_sim_backs_optimal_images(f->sim))
                    continue; /* vk_sim.h: not on every driver */
                VkImageCreateInfo ici = image_info(128, 128);
                ASSERT_VK_OK(vmaCreateImage(f->a, &ici, &ci, &img, &allocs[u], &info));
                EXPECT_VK(VK_SUCCESS, vmaFindMemoryTypeIndexForImageInfo(f->a, &ici, &ci, &found));
            } else {
                ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &bufs[u], &allocs[u], &info));
                EXPECT_VK(VK_SUCCESS, vmaFindMemoryTypeIndexForBufferInfo(f->a, &bci, &ci, &found));
            }
            if (info.memoryType != lc->expect[u] || found != lc->expect[u])
                vkm_test_fail(__FILE__, __LINE__, "%s %s: memory type %u (find: %u), expected %u",
                              lc->layout, usage_names[u], info.memoryType, found, lc->expect[u]);
            /* the device agrees, and so does vmaGetAllocationMemoryProperties */
            EXPECT_EQ(vkm_sim_memory_type_of(f->sim, info.deviceMemory), info.memoryType);
            VkMemoryPropertyFlags flags = 0;
            vmaGetAllocationMemoryProperties(f->a, allocs[u], &flags);
            EXPECT_EQ(flags, f->props->memoryTypes[info.memoryType].propertyFlags);
            VkMemoryPropertyFlags type_flags = 0;
            vmaGetMemoryTypeProperties(f->a, info.memoryType, &type_flags);
            EXPECT_EQ(flags, type_flags);
            /* MAPPED_BIT in a host-visible type: a pointer is there */
            if (ci.flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) {
                if (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
                    EXPECT_TRUE(info.pMappedData != NULL);
                else
                    EXPECT_TRUE(info.pMappedData == NULL);
            }
        }
        for (int u = 0; u < U_COUNT; u++) {
            if (u == U_IMAGE)
                vmaDestroyImage(f->a, img, allocs[u]);
            else
                vmaDestroyBuffer(f->a, bufs[u], allocs[u]);
        }
        fx_close(f);
    }
}

TEST(layouts_simulated_properties_reach_the_allocator)
{
    for (size_t l = 0; l < sizeof(layout_cases) / sizeof(layout_cases[0]); l++) {
        fx *f = fx_open(layout_cases[l].layout, 0);
        const VkPhysicalDeviceMemoryProperties *sp = vkm_sim_memory_properties(f->sim);
        EXPECT_EQ(f->props->memoryTypeCount, sp->memoryTypeCount);
        EXPECT_EQ(f->props->memoryHeapCount, sp->memoryHeapCount);
        for (uint32_t h = 0; h < sp->memoryHeapCount; h++)
            EXPECT_EQ_U64(f->props->memoryHeaps[h].size, sp->memoryHeaps[h].size);
        for (uint32_t t = 0; t < sp->memoryTypeCount; t++) {
            EXPECT_EQ(f->props->memoryTypes[t].propertyFlags, sp->memoryTypes[t].propertyFlags);
            EXPECT_EQ(f->props->memoryTypes[t].heapIndex, sp->memoryTypes[t].heapIndex);
        }
        const VkPhysicalDeviceProperties *pp = NULL;
        vmaGetPhysicalDeviceProperties(f->a, &pp);
        ASSERT_TRUE(pp != NULL);
        EXPECT_EQ_U64(pp->limits.nonCoherentAtomSize, vkm_sim_non_coherent_atom_size(f->sim));
        EXPECT_EQ_U64(pp->limits.bufferImageGranularity, vkm_sim_buffer_image_granularity(f->sim));
        fx_close(f);
    }
}

/* ---- bufferImageGranularity for resources of unknown kind ----------------------------- */

typedef struct placed {
    VkDeviceMemory memory;
    VkDeviceSize offset, size;
} placed;

/* No two of the n ranges share a granularity page of the same VkDeviceMemory. */
static void
expect_own_pages(const placed *p, uint32_t n, VkDeviceSize g)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            if (p[i].memory != p[j].memory)
                continue;
            const VkDeviceSize i0 = p[i].offset / g, i1 = (p[i].offset + p[i].size - 1) / g;
            const VkDeviceSize j0 = p[j].offset / g, j1 = (p[j].offset + p[j].size - 1) / g;
            if (!(i1 < j0 || j1 < i0))
                vkm_test_fail(__FILE__, __LINE__, "ranges %u at %llu and %u at %llu share a page",
                              i, (unsigned long long)p[i].offset, j,
                              (unsigned long long)p[j].offset);
        }
}

/* vmaAllocateMemory (UNKNOWN: it may become a buffer or an optimal image) and
 * vmaAllocateMemoryForImage (IMAGE_UNKNOWN: linear or optimal) must not put two such
 * allocations on one bufferImageGranularity page, as VMA does not: the thread cache's
 * slots of these kinds take whole pages (nvidia-h200: 1024 bytes). */
TEST(layouts_unknown_kinds_never_share_a_granularity_page)
{
    fx *f = fx_open("nvidia-h200", 0);
    const VkDeviceSize g = vkm_sim_buffer_image_granularity(f->sim);
    ASSERT_EQ_U64(g, 1024);
    enum {
        N = 96
    };
    static placed p[2 * N];
    static VmaAllocation x[2 * N];
    uint32_t n = 0;
    /* repeated shapes reach the fast path; the sizes span several classes */
    for (uint32_t i = 0; i < N; i++) {
        const VkMemoryRequirements req = {
            .size = 100 + (i % 6) * 300, .alignment = 16, .memoryTypeBits = UINT32_MAX};
        const VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
        VmaAllocationInfo info;
        ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &x[n], &info));
        p[n++] = (placed){info.deviceMemory, info.offset, info.size};
    }
    VkImageCreateInfo ici = image_info(4, 4);
    VkImage img;
    ASSERT_VK_OK(vkCreateImage(f->ctx.device, &ici, NULL, &img));
    for (uint32_t i = 0; i < N; i++) {
        const VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
        VmaAllocationInfo info;
        ASSERT_VK_OK(vmaAllocateMemoryForImage(f->a, img, &ci, &x[n], &info));
        p[n++] = (placed){info.deviceMemory, info.offset, info.size};
    }
    vkDestroyImage(f->ctx.device, img, NULL);
    expect_own_pages(p, n, g);
    for (uint32_t i = 0; i < n; i++)
        vmaFreeMemory(f->a, x[i]);
    fx_close(f);
}

/* ---- non-coherent memory (intel-igpu-nonllc type 1) ------------------------------------ */

TEST(layouts_noncoherent_writes_need_flush_and_reads_need_invalidate)
{
    fx *f = fx_open("intel-igpu-nonllc", 0);
    const VkDeviceSize atom = vkm_sim_non_coherent_atom_size(f->sim);
    ASSERT_EQ(atom, 64);
    ASSERT_TRUE((f->props->memoryTypes[1].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) ==
                0);

    /* Two small readback buffers (sharing a block) and a dedicated one, all persistently
     * mapped, in the cached non-coherent type. Sizes are not atom multiples on purpose. */
    enum {
        N = 3
    };
    const VkDeviceSize sizes[N] = {1000, 1000, 5000};
    VkBuffer buf[N];
    VmaAllocation alloc[N];
    VmaAllocationInfo info[N];
    for (int i = 0; i < N; i++) {
        VkBufferCreateInfo bci = buffer_info(sizes[i], VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                                                           VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
        VmaAllocationCreateInfo ci = {
            .usage = VMA_MEMORY_USAGE_AUTO,
            .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT |
                     VMA_ALLOCATION_CREATE_MAPPED_BIT |
                     (i == 2 ? VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT : 0),
        };
        ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &buf[i], &alloc[i], &info[i]));
        ASSERT_EQ(info[i].memoryType, 1);
        ASSERT_TRUE(info[i].pMappedData != NULL);
        /* allocations in a non-coherent type start on an atom so flushes stay inside */
        EXPECT_EQ_U64(info[i].offset % atom, 0);
    }
    EXPECT_TRUE(info[0].deviceMemory == info[1].deviceMemory);
    EXPECT_TRUE(info[2].deviceMemory != info[0].deviceMemory);

    /* Known device contents first: 0xAA everywhere, made visible to the mapping. */
    uint8_t dev[8192];
    for (int i = 0; i < N; i++) {
        memset(dev, 0xAA, (size_t)sizes[i]);
        ASSERT_VK_OK(
            vkm_sim_poke(f->sim, info[i].deviceMemory, info[i].offset, dev, (size_t)sizes[i]));
        EXPECT_VK(VK_SUCCESS, vmaInvalidateAllocation(f->a, alloc[i], 0, VK_WHOLE_SIZE));
        EXPECT_EQ(differs_from_byte(info[i].pMappedData, (size_t)sizes[i], 0xAA), SIZE_MAX);
    }

    /* Host writes stay in the mapping until flushed. */
    for (int i = 0; i < N; i++)
        fill(info[i].pMappedData, (size_t)sizes[i], (uint8_t)(i + 1));
    for (int i = 0; i < N; i++) {
        ASSERT_VK_OK(
            vkm_sim_peek(f->sim, info[i].deviceMemory, info[i].offset, dev, (size_t)sizes[i]));
        EXPECT_EQ(differs_from_byte(dev, (size_t)sizes[i], 0xAA), SIZE_MAX);
    }

    /* A partial flush at an unaligned offset is widened to whole atoms: [3, 73) of
     * allocation 0 moves [0, 128); the rest stays behind. */
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, alloc[0], 3, 70));
    ASSERT_VK_OK(vkm_sim_peek(f->sim, info[0].deviceMemory, info[0].offset, dev, 1000));
    EXPECT_EQ(differs(dev, 128, 1), SIZE_MAX);
    EXPECT_EQ(differs_from_byte(dev + 128, 1000 - 128, 0xAA), SIZE_MAX);
    /* ...and did not touch the neighbour in the same block */
    ASSERT_VK_OK(vkm_sim_peek(f->sim, info[1].deviceMemory, info[1].offset, dev, 1000));
    EXPECT_EQ(differs_from_byte(dev, 1000, 0xAA), SIZE_MAX);

    /* Whole-allocation flushes, several at once. */
    const VmaAllocation both[2] = {alloc[0], alloc[1]};
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocations(f->a, 2, both, NULL, NULL));
    for (int i = 0; i < 2; i++) {
        ASSERT_VK_OK(vkm_sim_peek(f->sim, info[i].deviceMemory, info[i].offset, dev, 1000));
        EXPECT_EQ(differs(dev, 1000, (uint8_t)(i + 1)), SIZE_MAX);
    }
    /* The dedicated one: the tail (offset rounds down, size runs to the end of memory). */
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, alloc[2], 4990, VK_WHOLE_SIZE));
    ASSERT_VK_OK(vkm_sim_peek(f->sim, info[2].deviceMemory, info[2].offset, dev, 5000));
    EXPECT_EQ(differs_from_byte(dev, 4928, 0xAA), SIZE_MAX);
    {
        uint8_t want[5000];
        fill(want, 5000, 3);
        EXPECT_TRUE(memcmp(dev + 4928, want + 4928, 72) == 0);
    }
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, alloc[2], 0, VK_WHOLE_SIZE));
    ASSERT_VK_OK(vkm_sim_peek(f->sim, info[2].deviceMemory, info[2].offset, dev, 5000));
    EXPECT_EQ(differs(dev, 5000, 3), SIZE_MAX);

    /* Device writes reach host reads only through an invalidate. */
    for (int i = 0; i < N; i++) {
        fill(dev, (size_t)sizes[i], (uint8_t)(0x40 + i));
        ASSERT_VK_OK(
            vkm_sim_poke(f->sim, info[i].deviceMemory, info[i].offset, dev, (size_t)sizes[i]));
        EXPECT_EQ(differs(info[i].pMappedData, (size_t)sizes[i], (uint8_t)(i + 1)), SIZE_MAX);
    }
    EXPECT_VK(VK_SUCCESS, vmaInvalidateAllocation(f->a, alloc[0], 0, VK_WHOLE_SIZE));
    EXPECT_EQ(differs(info[0].pMappedData, 1000, 0x40), SIZE_MAX);
    EXPECT_EQ(differs(info[1].pMappedData, 1000, 2), SIZE_MAX); /* neighbour untouched */
    EXPECT_VK(VK_SUCCESS, vmaInvalidateAllocations(f->a, 2, &alloc[1], NULL, NULL));
    EXPECT_EQ(differs(info[1].pMappedData, 1000, 0x41), SIZE_MAX);
    EXPECT_EQ(differs(info[2].pMappedData, 5000, 0x42), SIZE_MAX);

    /* vmaMapMemory on top of the persistent mapping: same pointer, same rules. */
    void *p = NULL;
    ASSERT_VK_OK(vmaMapMemory(f->a, alloc[1], &p));
    EXPECT_TRUE(p == info[1].pMappedData);
    fill(p, 1000, 9);
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, alloc[1], 0, 1000));
    vmaUnmapMemory(f->a, alloc[1]);
    ASSERT_VK_OK(vkm_sim_peek(f->sim, info[1].deviceMemory, info[1].offset, dev, 1000));
    EXPECT_EQ(differs(dev, 1000, 9), SIZE_MAX);

    /* vmaCopyMemoryToAllocation / vmaCopyAllocationToMemory flush and invalidate. */
    uint8_t src[200], back[200];
    fill(src, sizeof(src), 0x77);
    EXPECT_VK(VK_SUCCESS, vmaCopyMemoryToAllocation(f->a, src, alloc[2], 130, sizeof(src)));
    ASSERT_VK_OK(vkm_sim_peek(f->sim, info[2].deviceMemory, info[2].offset + 130, dev, 200));
    EXPECT_TRUE(memcmp(dev, src, 200) == 0);
    fill(dev, 200, 0x11);
    ASSERT_VK_OK(vkm_sim_poke(f->sim, info[2].deviceMemory, info[2].offset + 1000, dev, 200));
    EXPECT_VK(VK_SUCCESS, vmaCopyAllocationToMemory(f->a, alloc[2], 1000, back, sizeof(back)));
    EXPECT_TRUE(memcmp(dev, back, 200) == 0);

    /* Coherent memory (type 0): flush and invalidate are no-ops that succeed. */
    VkBuffer cbuf;
    VmaAllocation calloc_;
    VmaAllocationInfo cinfo;
    VkBufferCreateInfo cbci = buffer_info(1000, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    VmaAllocationCreateInfo cci = {
        .usage = VMA_MEMORY_USAGE_AUTO,
        .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                 VMA_ALLOCATION_CREATE_MAPPED_BIT,
    };
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &cbci, &cci, &cbuf, &calloc_, &cinfo));
    EXPECT_EQ(cinfo.memoryType, 0);
    fill(cinfo.pMappedData, 1000, 5);
    ASSERT_VK_OK(vkm_sim_peek(f->sim, cinfo.deviceMemory, cinfo.offset, dev, 1000));
    EXPECT_EQ(differs(dev, 1000, 5), SIZE_MAX);
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, calloc_, 1, 1));
    EXPECT_VK(VK_SUCCESS, vmaInvalidateAllocation(f->a, calloc_, 0, VK_WHOLE_SIZE));
    vmaDestroyBuffer(f->a, cbuf, calloc_);

    EXPECT_EQ(vkm_sim_flush_violation_count(f->sim), 0);
    for (int i = 0; i < N; i++)
        vmaDestroyBuffer(f->a, buf[i], alloc[i]);
    fx_close(f);
}

/* ---- heap size and allocation count ---------------------------------------------------- */

TEST(layouts_full_bar_heap_fails_and_uniform_buffers_fall_back)
{
    /* amd-discrete-bar256: heap 2 (type 2, DL|HV|HC) holds 256 MiB. 64 MiB uniform buffers
     * are dedicated (over half the heap/8 block); four fill the heap. Small host-heap
     * blocks keep the fallbacks cheap. */
    fx *f = fx_open("amd-discrete-bar256", 16 * MIB);
    ASSERT_EQ_U64(f->props->memoryHeaps[2].size, 256 * MIB);
    VkBuffer buf[6] = {0};
    VmaAllocation alloc[6] = {0};
    VmaAllocationInfo info;
    VkBufferCreateInfo bci = buffer_info(64 * MIB, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT |
                                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo ci = {
        .usage = VMA_MEMORY_USAGE_AUTO,
        .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                 VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT,
    };
    for (int i = 0; i < 4; i++) {
        ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &buf[i], &alloc[i], &info));
        EXPECT_EQ(info.memoryType, 2);
    }
    EXPECT_EQ_U64(vkm_sim_heap_usage(f->sim, 2), 256 * MIB);

    /* The BAR heap is full: type 2 alone cannot take even 1 MiB more, dedicated or not. */
    VkMemoryRequirements req = {.size = 1 * MIB, .alignment = 256, .memoryTypeBits = 1u << 2};
    VmaAllocationCreateInfo raw = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaAllocateMemory(f->a, &req, &raw, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    raw.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaAllocateMemory(f->a, &req, &raw, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    /* nor anything larger than the heap itself */
    req.size = 300 * MIB;
    raw.flags = 0;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaAllocateMemory(f->a, &req, &raw, &x, NULL));

    /* AUTO + SEQ_WRITE + ALLOW_TRANSFER_INSTEAD falls back to VRAM (type 0: DL, cost 1). */
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &buf[4], &alloc[4], &info));
    EXPECT_EQ(info.memoryType, 0);
    /* Without ALLOW_TRANSFER_INSTEAD HOST_VISIBLE is required: the host heap (type 1). */
    VkBufferCreateInfo small = buffer_info(1 * MIB, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
    VmaAllocationCreateInfo seq = {
        .usage = VMA_MEMORY_USAGE_AUTO,
        .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                 VMA_ALLOCATION_CREATE_MAPPED_BIT,
    };
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &small, &seq, &buf[5], &alloc[5], &info));
    EXPECT_EQ(info.memoryType, 1);
    EXPECT_TRUE(info.pMappedData != NULL);
    EXPECT_EQ_U64(vkm_sim_heap_usage(f->sim, 2), 256 * MIB);

    /* Freeing one BAR buffer makes room in type 2 again. */
    vmaDestroyBuffer(f->a, buf[0], alloc[0]);
    buf[0] = VK_NULL_HANDLE;
    alloc[0] = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &buf[0], &alloc[0], &info));
    EXPECT_EQ(info.memoryType, 2);
    for (int i = 0; i < 6; i++)
        vmaDestroyBuffer(f->a, buf[i], alloc[i]);
    fx_close(f);
}

TEST(layouts_allocation_count_limit_is_respected)
{
    /* amd-discrete-bar256 reports maxMemoryAllocationCount 4096. 1 MiB host blocks. */
    fx *f = fx_open("amd-discrete-bar256", 1 * MIB);
    const VkPhysicalDeviceProperties *pp = NULL;
    vmaGetPhysicalDeviceProperties(f->a, &pp);
    ASSERT_EQ(pp->limits.maxMemoryAllocationCount, 4096);

    /* (a) The driver refusing more VkDeviceMemory (limit lowered in the sim) fails a
     * dedicated request with VK_ERROR_OUT_OF_DEVICE_MEMORY, the code VMA returns once every
     * memory type has failed, whatever the driver said; sub-allocation still works. */
    VkMemoryRequirements req = {.size = 4 * KIB, .alignment = 64, .memoryTypeBits = 1u << 1};
    VmaAllocationCreateInfo ded = {.usage = VMA_MEMORY_USAGE_UNKNOWN,
                                   .flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT};
    VmaAllocationCreateInfo plain = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation first_block, d[2], x;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &plain, &first_block, NULL));
    vkm_sim_set_max_allocation_count(f->sim, vkm_sim_live_memory_count(f->sim) + 2);
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ded, &d[0], NULL));
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ded, &d[1], NULL));
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaAllocateMemory(f->a, &req, &ded, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &plain, &x, NULL)); /* fits the block */
    vmaFreeMemory(f->a, x);
    vmaFreeMemory(f->a, d[0]);
    vmaFreeMemory(f->a, d[1]);
    vkm_sim_set_max_allocation_count(f->sim, 4096);

    /* (b) Above 3/4 of the limit VMA stops preferring dedicated memory: a 768 KiB request
     * (over half a 1 MiB block) is dedicated at first, sub-allocated past 3072 objects. */
    VkMemoryRequirements big = {.size = 768 * KIB, .alignment = 256, .memoryTypeBits = 1u << 0};
    VmaAllocation y;
    VmaAllocationInfo2 i2;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &big, &plain, &y, NULL));
    vmaGetAllocationInfo2(f->a, y, &i2);
    EXPECT_EQ(i2.dedicatedMemory, VK_TRUE);
    vmaFreeMemory(f->a, y);

    enum {
        FILL = 3072
    };
    static VmaAllocation fillers[FILL];
    req.size = 256;
    uint32_t live = vkm_sim_live_memory_count(f->sim);
    uint32_t n = 0;
    while (live + n <= FILL) { /* strictly more than 4096 * 3 / 4 */
        ASSERT_LT(n, FILL);
        ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ded, &fillers[n], NULL));
        n++;
    }
    EXPECT_GT(vkm_sim_live_memory_count(f->sim), 4096u / 4 * 3);
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &big, &plain, &y, NULL));
    vmaGetAllocationInfo2(f->a, y, &i2);
    EXPECT_EQ(i2.dedicatedMemory, VK_FALSE);
    vmaFreeMemory(f->a, y);
    vmaFreeMemoryPages(f->a, n, fillers);
    vmaFreeMemory(f->a, first_block);
    fx_close(f);
}

/* ---- budgets --------------------------------------------------------------------------- */

TEST(layouts_memory_budget_extension_is_reported_through_heap_budgets)
{
    for (size_t l = 0; l < sizeof(layout_cases) / sizeof(layout_cases[0]); l++) {
        const char *name = layout_cases[l].layout;
        fx *f = fx_open(name, 4 * MIB);
        const bool ext = vkm_sim_has_extension(f->sim, "VK_EXT_memory_budget");
        EXPECT_EQ(ext, strcmp(name, "lavapipe") != 0);
        VkBuffer b;
        VmaAllocation a;
        VkBufferCreateInfo bci = buffer_info(256 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
        ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &b, &a, NULL));

        VmaBudget bud[VK_MAX_MEMORY_HEAPS];
        vmaGetHeapBudgets(f->a, bud);
        for (uint32_t h = 0; h < f->props->memoryHeapCount; h++) {
            if (ext) {
                EXPECT_EQ_U64(bud[h].budget, vkm_sim_heap_budget(f->sim, h));
                EXPECT_EQ_U64(bud[h].usage, vkm_sim_heap_usage(f->sim, h));
            } else {
                EXPECT_EQ_U64(bud[h].budget, f->props->memoryHeaps[h].size * 8 / 10);
                EXPECT_EQ_U64(bud[h].usage, bud[h].statistics.blockBytes);
            }
        }
        if (ext) {
            /* a new budget from the driver shows after the next frame's refresh */
            const VkDeviceSize nb = 123 * MIB;
            vkm_sim_set_heap_budget(f->sim, 0, nb);
            vmaSetCurrentFrameIndex(f->a, 1);
            vmaGetHeapBudgets(f->a, bud);
            EXPECT_EQ_U64(bud[0].budget, nb);
            EXPECT_EQ_U64(bud[0].usage, vkm_sim_heap_usage(f->sim, 0));
        }
        vmaDestroyBuffer(f->a, b, a);
        fx_close(f);
    }
}

static void
check_within_budget(const char *layout)
{
    fx *f = fx_open(layout, 4 * MIB);
    VkBufferCreateInfo bci = buffer_info(64 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                  .flags = VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT};
    VkBuffer b0, b1, b2;
    VmaAllocation a0, a1, a2;
    VmaAllocationInfo i0;
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &b0, &a0, &i0));
    const uint32_t heap = f->props->memoryTypes[i0.memoryType].heapIndex;

    /* The driver lowers the budget of every heap (vertex buffers may fall back to any
     * type) to what is in use plus 1 MiB. */
    for (uint32_t h = 0; h < f->props->memoryHeapCount; h++)
        vkm_sim_set_heap_budget(f->sim, h, vkm_sim_heap_usage(f->sim, h) + 1 * MIB);
    vmaSetCurrentFrameIndex(f->a, 7);
    VmaBudget bud[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(f->a, bud);
    EXPECT_EQ_U64(bud[heap].budget, vkm_sim_heap_usage(f->sim, heap) + 1 * MIB);

    /* A small buffer still fits the existing block. */
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &ci, &b1, &a1, NULL));
    /* 8 MiB would exceed the budget: refused with WITHIN_BUDGET, outputs null... */
    VkBufferCreateInfo big = buffer_info(8 * MIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VkBuffer bx = (VkBuffer)(uintptr_t)0x1;
    VmaAllocation ax = (VmaAllocation)(uintptr_t)0x1;
    const uint32_t live = vkm_sim_live_memory_count(f->sim);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateBuffer(f->a, &big, &ci, &bx, &ax, NULL));
    EXPECT_TRUE(bx == VK_NULL_HANDLE);
    EXPECT_TRUE(ax == VK_NULL_HANDLE);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), live);
    VmaAllocationCreateInfo ded = ci;
    ded.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateBuffer(f->a, &big, &ded, &bx, &ax, NULL));
    /* ...and allowed without it (the heap itself has room). */
    VmaAllocationCreateInfo over = {.usage = VMA_MEMORY_USAGE_AUTO};
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &big, &over, &b2, &a2, NULL));
    vmaDestroyBuffer(f->a, b2, a2);
    /* raising the budget lets WITHIN_BUDGET through again */
    for (uint32_t h = 0; h < f->props->memoryHeapCount; h++)
        vkm_sim_set_heap_budget(f->sim, h, f->props->memoryHeaps[h].size / 10 * 8);
    vmaSetCurrentFrameIndex(f->a, 8);
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &big, &ci, &b2, &a2, NULL));
    vmaDestroyBuffer(f->a, b2, a2);
    vmaDestroyBuffer(f->a, b1, a1);
    vmaDestroyBuffer(f->a, b0, a0);
    fx_close(f);
}

TEST(layouts_within_budget_refuses_when_the_budget_is_lowered)
{
    check_within_budget("intel-igpu-nonllc");
    check_within_budget("nvidia-h200");
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
