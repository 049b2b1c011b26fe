/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c - fault injection through vk_sim (design.md §9): one API scenario is run
 * again and again, the N-th vkAllocateMemory (then vkMapMemory, vkBindBufferMemory,
 * vkBindImageMemory) failing, for N = 1, 2, ... until a run completes without reaching
 * the N-th call.
 *
 * The scenario: an allocator; buffers and images of mixed sizes (some dedicated because
 * they are large, some by flag), persistently mapped buffers, a custom pool with
 * minBlockCount (so its creation allocates), allocations from it, vmaAllocateMemoryPages
 * of 8, vmaMapMemory, vmaAllocateMemoryFor{Buffer,Image} + vmaBind{Buffer,Image}Memory;
 * then half of everything is freed and more is made; then everything is destroyed.
 *
 * After every step:
 *   - a failed step returned an error only because the injected fault hit one of its own
 *     calls (no spurious failure), and its outputs are VK_NULL_HANDLE / null;
 *   - a step that cannot retry (pool creation, vmaMapMemory, binds, an explicit
 *     DEDICATED_MEMORY allocation on a one-type layout) did fail when its call failed;
 *     others may recover (smaller block, another memory type, dedicated memory);
 *   - vmaCalculateStatistics counts exactly the allocations the scenario holds, and
 *     blockCount/blockBytes equal the live VkDeviceMemory seen through
 *     pDeviceMemoryCallbacks, which equal what the sim has live; vmaGetHeapBudgets
 *     agrees with the totals.
 * After vmaDestroyAllocator nothing is left: the callbacks saw as many frees as
 * allocations, the sim has no live memory, and the validation layer (at vkDestroyDevice)
 * saw no leaked buffer or image.
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
#define BAD_ALLOC ((VmaAllocation)(uintptr_t)0xbad0)
#define BAD_BUFFER ((VkBuffer)(uintptr_t)0xbad1)
#define BAD_IMAGE ((VkImage)(uintptr_t)0xbad2)
#define BAD_POOL ((VmaPool)(uintptr_t)0xbad3)

#define SEQ VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT
#define MAPPED VMA_ALLOCATION_CREATE_MAPPED_BIT
#define DEDICATED VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT
#define VB VK_BUFFER_USAGE_VERTEX_BUFFER_BIT
#define SB VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
#define TS VK_BUFFER_USAGE_TRANSFER_SRC_BIT

/* ---- VkDeviceMemory seen through pDeviceMemoryCallbacks -------------------------------- */

#define DM_MAX 256

typedef struct dm_track {
    pthread_mutex_t lock;
    uint32_t count;
    uint32_t allocs, frees;
    uint32_t unknown_frees;
    VkDeviceSize bytes;
    struct {
        VkDeviceMemory memory;
        VkDeviceSize size;
    } e[DM_MAX];
} dm_track;

static void VKAPI_PTR
dm_on_alloc(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)a, (void)type;
    dm_track *t = user;
    pthread_mutex_lock(&t->lock);
    t->allocs++;
    if (t->count < DM_MAX) {
        t->e[t->count].memory = mem;
        t->e[t->count].size = size;
        t->count++;
        t->bytes += size;
    }
    pthread_mutex_unlock(&t->lock);
}

static void VKAPI_PTR
dm_on_free(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)a, (void)type;
    dm_track *t = user;
    pthread_mutex_lock(&t->lock);
    t->frees++;
    uint32_t i = 0;
    while (i < t->count && t->e[i].memory != mem)
        i++;
    if (i == t->count || t->e[i].size != size) {
        t->unknown_frees++;
    } else {
        t->bytes -= size;
        t->e[i] = t->e[--t->count];
    }
    pthread_mutex_unlock(&t->lock);
}

/* ---- context + sim, shared by every run of a case ------------------------------------- */

typedef struct fx {
    bool live;
    vkm_test_vk ctx;
    vkm_sim *sim;
    VmaVulkanFunctions fn; /* the sim's table, for raw buffers and images */
    uint32_t type_count;
    uint32_t validation_before;
} fx;

static fx g_fx;

static void
fx_release(fx *f)
{
    vkm_sim_destroy(f->sim);
    f->sim = NULL;
    vkm_test_vk_destroy(&f->ctx);
    f->live = false;
}

static fx *
fx_open(const char *layout)
{
    fx *f = &g_fx;
    if (f->live)
        fx_release(f);
    memset(f, 0, sizeof(*f));
    f->validation_before = vkm_test_validation_error_count();
    VkResult r = vkm_test_vk_create(&f->ctx, NULL);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    f->live = true;
    ASSERT_VK_OK(vkm_sim_create(&f->ctx, layout, &f->sim));
    vkm_sim_fill_functions(f->sim, &f->fn);
    f->type_count = vkm_sim_memory_properties(f->sim)->memoryTypeCount;
    return f;
}

static void
fx_close(fx *f)
{
    if (!f->live)
        return;
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0);
    fx_release(f);
    /* vkDestroyDevice under the validation layer reports any VkBuffer / VkImage left */
    EXPECT_EQ(vkm_test_validation_error_count(), f->validation_before);
}

/* ---- one run of the scenario ----------------------------------------------------------- */

#define HELD_MAX 64

typedef struct held {
    VmaAllocation alloc;
    VkBuffer buffer; /* destroyed with the allocation through vmaDestroyBuffer */
    VkImage image;
    bool host_access; /* created with a HOST_ACCESS flag: vmaMapMemory is allowed */
} held;

typedef struct run {
    fx *f;
    VmaAllocator a;
    dm_track dm;
    VmaDeviceMemoryCallbacks dm_cb;
    vkm_sim_call kind;
    uint32_t target; /* absolute number of the call that fails; 0: none armed */
    bool hit;        /* the armed call happened */
    uint32_t errors; /* steps that returned an error */
    VmaPool pool;
    uint32_t n;
    held h[HELD_MAX];
    const char *layout;
    uint32_t nth;
    bool images; /* the real driver can back the layout's image types (vk_sim.h) */
} run;

static void
run_fail(run *r, int line, const char *step, const char *fmt, VkResult res)
{
    static const char *const kinds[] = {"vkAllocateMemory", "vkMapMemory", "vkBindBufferMemory",
                                        "vkBindImageMemory"};
    char what[160];
    snprintf(what, sizeof(what), fmt, (int)res);
    vkm_test_fail(__FILE__, line, "%s, %s #%u failing: step \"%s\": %s", r->layout, kinds[r->kind],
                  r->nth, step, what);
}

static void
held_add(run *r, VmaAllocation a, VkBuffer b, VkImage i)
{
    ASSERT_LT(r->n, HELD_MAX);
    r->h[r->n++] = (held){a, b, i, false};
}

static void
held_release(run *r, uint32_t i)
{
    held *h = &r->h[i];
    if (h->buffer != VK_NULL_HANDLE)
        vmaDestroyBuffer(r->a, h->buffer, h->alloc);
    else if (h->image != VK_NULL_HANDLE)
        vmaDestroyImage(r->a, h->image, h->alloc);
    else
        vmaFreeMemory(r->a, h->alloc);
    r->h[i] = r->h[--r->n];
}

/* Statistics, budgets, callbacks and the sim agree with what the run holds. */
static void
check_consistent(run *r, int line, const char *step)
{
    VmaTotalStatistics t;
    vmaCalculateStatistics(r->a, &t);
    pthread_mutex_lock(&r->dm.lock);
    const uint32_t dm_count = r->dm.count;
    const VkDeviceSize dm_bytes = r->dm.bytes;
    pthread_mutex_unlock(&r->dm.lock);
    const uint32_t sim_live = vkm_sim_live_memory_count(r->f->sim);
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(r->a, b);
    const VkPhysicalDeviceMemoryProperties *props;
    vmaGetMemoryProperties(r->a, &props);
    uint32_t bud_allocs = 0, bud_blocks = 0;
    VkDeviceSize bud_bytes = 0;
    for (uint32_t h = 0; h < props->memoryHeapCount; h++) {
        bud_allocs += b[h].statistics.allocationCount;
        bud_blocks += b[h].statistics.blockCount;
        bud_bytes += b[h].statistics.blockBytes;
    }
    if (t.total.statistics.allocationCount != r->n || t.total.statistics.blockCount != dm_count ||
        t.total.statistics.blockBytes != dm_bytes || sim_live != dm_count || bud_allocs != r->n ||
        bud_blocks != dm_count || bud_bytes != dm_bytes) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "inconsistent: held %u, stats allocs %u blocks %u bytes %llu, budgets allocs "
                 "%u blocks %u bytes %llu, callbacks %u/%llu, sim live %u (%%d)",
                 r->n, t.total.statistics.allocationCount, t.total.statistics.blockCount,
                 (unsigned long long)t.total.statistics.blockBytes, bud_allocs, bud_blocks,
                 (unsigned long long)bud_bytes, dm_count, (unsigned long long)dm_bytes, sim_live);
        run_fail(r, line, step, msg, VK_SUCCESS);
    }
    if (vkm_sim_violation_count(r->f->sim) != 0)
        run_fail(r, line, step, "sim reported misuse (%d)", VK_SUCCESS);
}

static uint32_t
step_begin(run *r)
{
    return vkm_sim_call_count(r->f->sim, r->kind);
}

/* `must_fail`: the step cannot recover when its call fails. */
static void
step_end(run *r, int line, const char *step, uint32_t before, VkResult res, bool must_fail)
{
    const uint32_t after = vkm_sim_call_count(r->f->sim, r->kind);
    const bool hit_here = r->target != 0 && before < r->target && r->target <= after;
    r->hit |= hit_here;
    if (res != VK_SUCCESS) {
        r->errors++;
        if (!hit_here)
            run_fail(r, line, step, "failed (%d) without the injected fault", res);
        else if (res > 0)
            run_fail(r, line, step, "returned a positive code %d, not an error", res);
    } else if (hit_here && must_fail) {
        run_fail(r, line, step, "succeeded although its call failed (%d)", res);
    }
    check_consistent(r, line, step);
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

/* ---- steps -------------------------------------------------------------------------------- */

static void
s_buffer(run *r, int line, const char *step, VkDeviceSize size, VkBufferUsageFlags usage,
         VmaAllocationCreateFlags flags, VmaPool pool)
{
    VkBufferCreateInfo bci = buffer_info(size, usage);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO, .flags = flags, .pool = pool};
    VkBuffer b = BAD_BUFFER;
    VmaAllocation x = BAD_ALLOC;
    VmaAllocationInfo info;
    const uint32_t before = step_begin(r);
    VkResult res = vmaCreateBuffer(r->a, &bci, &ci, &b, &x, &info);
    if (res == VK_SUCCESS) {
        held_add(r, x, b, VK_NULL_HANDLE);
        r->h[r->n - 1].host_access = (flags & SEQ) != 0;
        if (flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) {
            if (info.pMappedData == NULL)
                run_fail(r, line, step, "MAPPED_BIT but no pointer (%d)", res);
            else
                memset(info.pMappedData, 0x3c, (size_t)size);
        }
    } else if (b != VK_NULL_HANDLE || x != VK_NULL_HANDLE) {
        run_fail(r, line, step, "failed (%d) but left an output behind", res);
    }
    const bool single_type = r->f->type_count == 1;
    const bool must = r->kind == VKM_SIM_BIND_BUFFER_MEMORY ||
                      (r->kind == VKM_SIM_ALLOCATE_MEMORY && single_type &&
                       (flags & VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT));
    step_end(r, line, step, before, res, must);
}

static void
s_image(run *r, int line, const char *step, uint32_t w, uint32_t h, VmaAllocationCreateFlags flags)
{
    if (!r->images)
        return;
    VkImageCreateInfo ici = image_info(w, h);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO, .flags = flags};
    VkImage img = BAD_IMAGE;
    VmaAllocation x = BAD_ALLOC;
    const uint32_t before = step_begin(r);
    VkResult res = vmaCreateImage(r->a, &ici, &ci, &img, &x, NULL);
    if (res == VK_SUCCESS)
        held_add(r, x, VK_NULL_HANDLE, img);
    else if (img != VK_NULL_HANDLE || x != VK_NULL_HANDLE)
        run_fail(r, line, step, "failed (%d) but left an output behind", res);
    const bool must = r->kind == VKM_SIM_BIND_IMAGE_MEMORY ||
                      (r->kind == VKM_SIM_ALLOCATE_MEMORY && r->f->type_count == 1 &&
                       (flags & VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT));
    step_end(r, line, step, before, res, must);
}

static void
s_pool(run *r, int line)
{
    /* a host-visible type for staging buffers, chosen as an application would */
    VkBufferCreateInfo bci = buffer_info(64 * KIB, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                  .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT};
    uint32_t type = UINT32_MAX;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForBufferInfo(r->a, &bci, &ci, &type));
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = type, .blockSize = 256 * KIB, .minBlockCount = 2, .maxBlockCount = 3};
    VmaPool p = BAD_POOL;
    const uint32_t before = step_begin(r);
    VkResult res = vmaCreatePool(r->a, &pci, &p);
    if (res == VK_SUCCESS)
        r->pool = p;
    else if (p != VK_NULL_HANDLE)
        run_fail(r, line, "vmaCreatePool", "failed (%d) but returned a pool", res);
    /* explicit block size: no smaller block to retry with */
    step_end(r, line, "vmaCreatePool", before, res, r->kind == VKM_SIM_ALLOCATE_MEMORY);
}

static void
s_pages(run *r, int line)
{
    VkMemoryRequirements req = {.size = 48 * KIB, .alignment = 256, .memoryTypeBits = UINT32_MAX};
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
    VmaAllocation pages[8];
    VmaAllocationInfo infos[8];
    for (int i = 0; i < 8; i++)
        pages[i] = BAD_ALLOC;
    const uint32_t before = step_begin(r);
    VkResult res = vmaAllocateMemoryPages(r->a, &req, &ci, 8, pages, infos);
    for (int i = 0; i < 8; i++) {
        if (res == VK_SUCCESS)
            held_add(r, pages[i], VK_NULL_HANDLE, VK_NULL_HANDLE);
        else if (pages[i] != VK_NULL_HANDLE)
            run_fail(r, line, "vmaAllocateMemoryPages", "failed (%d) but left a page behind", res);
    }
    step_end(r, line, "vmaAllocateMemoryPages(8)", before, res, false);
}

/* vmaMapMemory twice (reference counted) on a host-visible allocation, write, unmap twice. */
static void
s_map(run *r, int line, const char *step, VmaAllocation x, VkDeviceSize size)
{
    void *p = (void *)(uintptr_t)0xbad4, *q = NULL;
    uint32_t before = step_begin(r);
    VkResult res = vmaMapMemory(r->a, x, &p);
    if (res != VK_SUCCESS && p != NULL)
        run_fail(r, line, step, "failed (%d) but returned a pointer", res);
    step_end(r, line, step, before, res, r->kind == VKM_SIM_MAP_MEMORY);
    if (res != VK_SUCCESS)
        return;
    memset(p, 0x5a, (size_t)size);
    before = step_begin(r);
    res = vmaMapMemory(r->a, x, &q); /* already mapped: no Vulkan call */
    step_end(r, line, step, before, res, false);
    if (res == VK_SUCCESS) {
        if (q != p)
            run_fail(r, line, step, "second map returned another pointer (%d)", res);
        vmaUnmapMemory(r->a, x);
    }
    vmaUnmapMemory(r->a, x);
}

/* A buffer made by the application, memory from vmaAllocateMemoryForBuffer, bound with
 * vmaBindBufferMemory. A failed bind leaves a valid allocation and an unbound buffer. */
static void
s_bind_buffer(run *r, int line, VkDeviceSize size)
{
    VkBufferCreateInfo bci = buffer_info(size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkBuffer b = VK_NULL_HANDLE;
    ASSERT_VK_OK(r->f->fn.vkCreateBuffer(r->f->ctx.device, &bci, NULL, &b));
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
    VmaAllocation x = BAD_ALLOC;
    uint32_t before = step_begin(r);
    VkResult res = vmaAllocateMemoryForBuffer(r->a, b, &ci, &x, NULL);
    if (res != VK_SUCCESS && x != VK_NULL_HANDLE)
        run_fail(r, line, "vmaAllocateMemoryForBuffer", "failed (%d) but returned an allocation",
                 res);
    if (res == VK_SUCCESS)
        held_add(r, x, VK_NULL_HANDLE, VK_NULL_HANDLE);
    step_end(r, line, "vmaAllocateMemoryForBuffer", before, res, false);
    if (res == VK_SUCCESS) {
        before = step_begin(r);
        res = vmaBindBufferMemory(r->a, x, b);
        step_end(r, line, "vmaBindBufferMemory", before, res,
                 r->kind == VKM_SIM_BIND_BUFFER_MEMORY);
        if (res == VK_SUCCESS) {
            r->h[r->n - 1].buffer = b; /* vmaDestroyBuffer takes both */
            return;
        }
    }
    r->f->fn.vkDestroyBuffer(r->f->ctx.device, b, NULL);
}

static void
s_bind_image(run *r, int line, uint32_t w)
{
    if (!r->images)
        return;
    VkImageCreateInfo ici = image_info(w, w);
    VkImage img = VK_NULL_HANDLE;
    ASSERT_VK_OK(r->f->fn.vkCreateImage(r->f->ctx.device, &ici, NULL, &img));
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
    VmaAllocation x = BAD_ALLOC;
    uint32_t before = step_begin(r);
    VkResult res = vmaAllocateMemoryForImage(r->a, img, &ci, &x, NULL);
    if (res != VK_SUCCESS && x != VK_NULL_HANDLE)
        run_fail(r, line, "vmaAllocateMemoryForImage", "failed (%d) but returned an allocation",
                 res);
    if (res == VK_SUCCESS)
        held_add(r, x, VK_NULL_HANDLE, VK_NULL_HANDLE);
    step_end(r, line, "vmaAllocateMemoryForImage", before, res, false);
    if (res == VK_SUCCESS) {
        before = step_begin(r);
        res = vmaBindImageMemory(r->a, x, img);
        step_end(r, line, "vmaBindImageMemory", before, res, r->kind == VKM_SIM_BIND_IMAGE_MEMORY);
        if (res == VK_SUCCESS) {
            r->h[r->n - 1].image = img;
            return;
        }
    }
    r->f->fn.vkDestroyImage(r->f->ctx.device, img, NULL);
}

/* The first held buffer allocation in HOST_VISIBLE memory without a persistent mapping,
 * in a block or dedicated as asked. */
static VmaAllocation
find_mappable(run *r, bool dedicated, VkDeviceSize *size)
{
    for (uint32_t i = 0; i < r->n; i++) {
        VkMemoryPropertyFlags fl = 0;
        VmaAllocationInfo2 info;
        vmaGetAllocationMemoryProperties(r->a, r->h[i].alloc, &fl);
        vmaGetAllocationInfo2(r->a, r->h[i].alloc, &info);
        if ((fl & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && info.allocationInfo.pMappedData == NULL &&
            r->h[i].host_access && (info.dedicatedMemory != VK_FALSE) == dedicated) {
            *size = info.allocationInfo.size;
            return r->h[i].alloc;
        }
    }
    return VK_NULL_HANDLE;
}


/* One run; returns whether the armed call was reached. */
static bool
run_scenario(fx *f, const char *layout, vkm_sim_call kind, uint32_t nth, uint32_t *errors)
{
    static run rr;
    run *r = &rr;
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->dm.lock, NULL);
    r->f = f;
    r->kind = kind;
    r->layout = layout;
    r->nth = nth;
    r->images = vkm_sim_backs_optimal_images(f->sim);

    VmaAllocatorCreateInfo ci;
    memset(&ci, 0, sizeof(ci));
    vkm_sim_fill_allocator_info(f->sim, &ci);
    ci.preferredLargeHeapBlockSize = 1 * MIB; /* many small blocks: many allocate calls */
    r->dm_cb = (VmaDeviceMemoryCallbacks){dm_on_alloc, dm_on_free, &r->dm};
    ci.pDeviceMemoryCallbacks = &r->dm_cb;
    r->target = nth ? vkm_sim_call_count(f->sim, kind) + nth : 0;
    vkm_sim_fail_nth(f->sim, kind, nth);
    VkResult res = vmaCreateAllocator(&ci, &r->a); /* makes no call of the kinds injected */
    if (res != VK_SUCCESS) {
        vkm_test_fail(__FILE__, __LINE__, "vmaCreateAllocator: %d", (int)res);
        vkm_sim_fail_nth(f->sim, kind, 0);
        pthread_mutex_destroy(&r->dm.lock);
        return false;
    }

    /* phase 1: a bit of everything */
    s_buffer(r, __LINE__, "vertex 4 KiB", 4 * KIB, VB, 0, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "storage 100 KiB", 100 * KIB, SB, 0, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "vertex 700 KiB (large: dedicated)", 700 * KIB, VB, 0, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "storage 2 MiB (over a block)", 2 * MIB, SB, 0, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "staging 8 KiB mapped", 8 * KIB, TS, SEQ | MAPPED, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "staging 600 KiB mapped", 600 * KIB, TS, SEQ | MAPPED, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "staging 32 KiB", 32 * KIB, TS, SEQ, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "staging 640 KiB", 640 * KIB, TS, SEQ, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "storage 16 KiB dedicated", 16 * KIB, SB, DEDICATED, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "staging 16 KiB dedicated mapped", 16 * KIB, TS, SEQ | MAPPED | DEDICATED,
             VK_NULL_HANDLE);
    s_image(r, __LINE__, "image 64x64", 64, 64, 0);
    s_image(r, __LINE__, "image 512x512 (large: dedicated)", 512, 512, 0);
    s_image(r, __LINE__, "image 32x32 dedicated", 32, 32, DEDICATED);
    s_pool(r, __LINE__);
    if (r->pool != VK_NULL_HANDLE) {
        s_buffer(r, __LINE__, "pool 64 KiB", 64 * KIB, TS, SEQ, r->pool);
        s_buffer(r, __LINE__, "pool 200 KiB mapped", 200 * KIB, TS, SEQ | MAPPED, r->pool);
        s_buffer(r, __LINE__, "pool 100 KiB", 100 * KIB, TS, SEQ, r->pool);
    }
    s_pages(r, __LINE__);
    VkDeviceSize size = 0;
    VmaAllocation m = find_mappable(r, false, &size);
    if (m != VK_NULL_HANDLE)
        s_map(r, __LINE__, "vmaMapMemory (block)", m, size);
    m = find_mappable(r, true, &size);
    if (m != VK_NULL_HANDLE)
        s_map(r, __LINE__, "vmaMapMemory (dedicated)", m, size);
    s_bind_buffer(r, __LINE__, 24 * KIB);
    s_bind_image(r, __LINE__, 128);

    /* phase 2: free every other one, make more, map again */
    for (uint32_t i = 0; i < r->n; i++)
        held_release(r, i);
    check_consistent(r, __LINE__, "after freeing half");
    s_buffer(r, __LINE__, "vertex 300 KiB", 300 * KIB, VB, 0, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "staging 900 KiB mapped", 900 * KIB, TS, SEQ | MAPPED, VK_NULL_HANDLE);
    s_buffer(r, __LINE__, "staging 48 KiB", 48 * KIB, TS, SEQ, VK_NULL_HANDLE);
    s_pages(r, __LINE__);
    for (int dedicated = 0; dedicated < 2; dedicated++) {
        m = find_mappable(r, dedicated, &size);
        if (m != VK_NULL_HANDLE)
            s_map(r, __LINE__, "vmaMapMemory (again)", m, size);
    }
    s_bind_buffer(r, __LINE__, 1500 * KIB);
    s_bind_image(r, __LINE__, 16);

    /* cleanup */
    while (r->n > 0)
        held_release(r, r->n - 1);
    check_consistent(r, __LINE__, "after freeing all");
    VmaTotalStatistics t;
    vmaCalculateStatistics(r->a, &t);
    EXPECT_EQ(t.total.statistics.allocationCount, 0);
    vmaDestroyPool(r->a, r->pool);
    vmaDestroyAllocator(r->a);
    vkm_sim_fail_nth(f->sim, kind, 0);

    if (r->dm.count != 0 || r->dm.allocs != r->dm.frees || r->dm.unknown_frees != 0 ||
        vkm_sim_live_memory_count(f->sim) != 0)
        vkm_test_fail(__FILE__, __LINE__,
                      "%s, kind %d #%u: after vmaDestroyAllocator %u VkDeviceMemory left "
                      "(callbacks %u allocs, %u frees, %u unknown), sim live %u",
                      layout, (int)kind, nth, r->dm.count, r->dm.allocs, r->dm.frees,
                      r->dm.unknown_frees, vkm_sim_live_memory_count(f->sim));
    pthread_mutex_destroy(&r->dm.lock);
    *errors += r->errors;
    return r->hit;
}

/* Runs the scenario once clean, then with call n failing for n = 1.. until a run does not
 * reach call n. Returns the number of runs that injected a fault. */
static uint32_t
sweep(const char *layout, vkm_sim_call kind, uint32_t *errors)
{
    fx *f = fx_open(layout);
    if (kind == VKM_SIM_BIND_IMAGE_MEMORY && !vkm_sim_backs_optimal_images(f->sim)) {
        fprintf(stderr, "  %s: this driver cannot back the layout's images: skipped\n", layout);
        fx_close(f);
        return 0;
    }
    uint32_t clean_errors = 0;
    run_scenario(f, layout, kind, 0, &clean_errors);
    EXPECT_EQ(clean_errors, 0);
    const uint32_t calls = vkm_sim_call_count(f->sim, kind);
    EXPECT_GT(calls, 0);
    uint32_t n = 1;
    for (; n <= 400 && !vkm_test_case_failed(); n++)
        if (!run_scenario(f, layout, kind, n, errors))
            break;
    EXPECT_LE(n, 400);
    fx_close(f);
    return n - 1;
}

static void
sweep_layouts(vkm_sim_call kind)
{
    static const char *const layouts[] = {"lavapipe", "nvidia-h200", "amd-discrete-bar256"};
    for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
        uint32_t errors = 0;
        uint32_t runs = sweep(layouts[l], kind, &errors);
        fprintf(stderr, "  %s: %u runs with a fault injected, %u failed steps\n", layouts[l], runs,
                errors);
        /* every injected failure that hits a step that cannot retry is an error, so some
         * runs must have reported one */
        if (runs > 0 && errors == 0)
            vkm_test_fail(__FILE__, __LINE__, "%s: %u faults injected, no step ever failed",
                          layouts[l], runs);
        if (vkm_test_case_failed())
            return;
    }
}

TEST(fault_nth_allocate_memory_fails_cleanly_everywhere)
{
    sweep_layouts(VKM_SIM_ALLOCATE_MEMORY);
}

TEST(fault_nth_map_memory_fails_cleanly_everywhere)
{
    sweep_layouts(VKM_SIM_MAP_MEMORY);
}

TEST(fault_nth_bind_buffer_memory_fails_cleanly_everywhere)
{
    sweep_layouts(VKM_SIM_BIND_BUFFER_MEMORY);
}

TEST(fault_nth_bind_image_memory_fails_cleanly_everywhere)
{
    sweep_layouts(VKM_SIM_BIND_IMAGE_MEMORY);
}

/* vmaCreatePool with minBlockCount N where the k-th of its N vkAllocateMemory calls fails,
 * k = 1..N, in both block-size modes: the pool's creation returns the driver's error and
 * no pool, the k - 1 blocks it had made are freed again (callbacks and sim agree), the
 * allocator's statistics are what they were, and both the allocator and a pool created
 * right afterwards work. */
TEST(fault_pool_min_block_count_creation_fails_at_each_block_without_leaks)
{
    enum {
        N = 4
    };
    fx *f = fx_open("lavapipe");
    for (uint32_t explicit_size = 0; explicit_size < 2; explicit_size++) {
        for (uint32_t k = 1; k <= N; k++) {
            static dm_track dm;
            memset(&dm, 0, sizeof(dm));
            pthread_mutex_init(&dm.lock, NULL);
            VmaDeviceMemoryCallbacks cb = {dm_on_alloc, dm_on_free, &dm};
            VmaAllocatorCreateInfo ci;
            memset(&ci, 0, sizeof(ci));
            vkm_sim_fill_allocator_info(f->sim, &ci);
            ci.preferredLargeHeapBlockSize = 1 * MIB;
            ci.pDeviceMemoryCallbacks = &cb;
            VmaAllocator a;
            ASSERT_VK_OK(vmaCreateAllocator(&ci, &a));
            /* something already there, which must stay as it is */
            VkMemoryRequirements req = {.size = 4 * KIB, .alignment = 256, .memoryTypeBits = 1};
            VmaAllocationCreateInfo raw = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
            VmaAllocation kept = VK_NULL_HANDLE;
            ASSERT_VK_OK(vmaAllocateMemory(a, &req, &raw, &kept, NULL));
            VmaTotalStatistics before;
            vmaCalculateStatistics(a, &before);
            const uint32_t live_before = vkm_sim_live_memory_count(f->sim);

            VmaPoolCreateInfo pci = {.memoryTypeIndex = 0,
                                     .blockSize = explicit_size ? 256 * KIB : 0,
                                     .minBlockCount = N};
            const uint32_t calls = vkm_sim_call_count(f->sim, VKM_SIM_ALLOCATE_MEMORY);
            vkm_sim_fail_nth(f->sim, VKM_SIM_ALLOCATE_MEMORY, k);
            VmaPool p = BAD_POOL;
            EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreatePool(a, &pci, &p));
            vkm_sim_fail_nth(f->sim, VKM_SIM_ALLOCATE_MEMORY, 0);
            EXPECT_TRUE(p == VK_NULL_HANDLE);
            /* it stopped at the failure: k calls, k - 1 blocks made and freed again */
            EXPECT_EQ(vkm_sim_call_count(f->sim, VKM_SIM_ALLOCATE_MEMORY) - calls, k);
            EXPECT_EQ(vkm_sim_live_memory_count(f->sim), live_before);
            EXPECT_EQ(dm.count, 1u); /* the held allocation's block */
            EXPECT_EQ(dm.allocs - 1u, k - 1u);
            EXPECT_EQ(dm.frees, k - 1u);
            EXPECT_EQ(dm.unknown_frees, 0u);
            VmaTotalStatistics after;
            vmaCalculateStatistics(a, &after);
            EXPECT_EQ(after.total.statistics.blockCount, before.total.statistics.blockCount);
            EXPECT_EQ_U64(after.total.statistics.blockBytes, before.total.statistics.blockBytes);
            EXPECT_EQ(after.total.statistics.allocationCount, 1u);
            VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
            vmaGetHeapBudgets(a, budgets);
            EXPECT_EQ_U64(budgets[0].statistics.blockBytes, before.total.statistics.blockBytes);

            /* the same creation succeeds now, and the pool works */
            ASSERT_VK_OK(vmaCreatePool(a, &pci, &p));
            VmaStatistics ps;
            vmaGetPoolStatistics(a, p, &ps);
            EXPECT_EQ(ps.blockCount, (uint32_t)N);
            VmaAllocationCreateInfo in_pool = {.pool = p};
            VmaAllocation x = VK_NULL_HANDLE;
            EXPECT_VK(VK_SUCCESS, vmaAllocateMemory(a, &req, &in_pool, &x, NULL));
            vmaFreeMemory(a, x);
            vmaDestroyPool(a, p);
            vmaFreeMemory(a, kept);
            vmaDestroyAllocator(a);
            EXPECT_EQ(dm.count, 0u);
            EXPECT_EQ(dm.allocs, dm.frees);
            pthread_mutex_destroy(&dm.lock);
            if (vkm_test_case_failed())
                break;
        }
    }
    fx_close(f);
}

/* Every vkAllocateMemory failing: nothing can be created, nothing is left behind. */
TEST(fault_every_allocate_memory_failing_leaves_nothing)
{
    fx *f = fx_open("nvidia-h200");
    VmaAllocatorCreateInfo ci;
    memset(&ci, 0, sizeof(ci));
    vkm_sim_fill_allocator_info(f->sim, &ci);
    VmaAllocator a;
    ASSERT_VK_OK(vmaCreateAllocator(&ci, &a));
    vkm_sim_fail_every(f->sim, VKM_SIM_ALLOCATE_MEMORY, true);
    VkBufferCreateInfo bci = buffer_info(64 * KIB, VB);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer b = BAD_BUFFER;
    VmaAllocation x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateBuffer(a, &bci, &aci, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE && x == VK_NULL_HANDLE);
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 1, .minBlockCount = 1};
    VmaPool p = BAD_POOL;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreatePool(a, &pci, &p));
    EXPECT_TRUE(p == VK_NULL_HANDLE);
    VkMemoryRequirements req = {.size = 4 * KIB, .alignment = 16, .memoryTypeBits = UINT32_MAX};
    VmaAllocationCreateInfo raw = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation pages[8];
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaAllocateMemoryPages(a, &req, &raw, 8, pages, NULL));
    for (int i = 0; i < 8; i++)
        EXPECT_TRUE(pages[i] == VK_NULL_HANDLE);
    VmaTotalStatistics t;
    vmaCalculateStatistics(a, &t);
    EXPECT_EQ(t.total.statistics.allocationCount, 0);
    EXPECT_EQ(t.total.statistics.blockCount, 0);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    /* and everything works again once the device recovers */
    vkm_sim_fail_every(f->sim, VKM_SIM_ALLOCATE_MEMORY, false);
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &aci, &b, &x, NULL));
    vmaDestroyBuffer(a, b, x);
    vmaDestroyAllocator(a);
    fx_close(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
