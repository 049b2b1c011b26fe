/* SPDX-License-Identifier: MIT */
/*
 * test_badinput.c - invalid arguments: each case feeds one kind of bad input and checks
 *   - the documented VkResult (VMA 3.3's code where VMA has one: zero size ->
 *     VK_ERROR_INITIALIZATION_FAILED, no usable memory type / contradictory flags / AUTO
 *     usage without a resource -> VK_ERROR_FEATURE_NOT_PRESENT, ...; otherwise the code
 *     our header or src/README.md names), in every build;
 *   - outputs left VK_NULL_HANDLE (or null), nothing allocated, nothing freed;
 *   - debug builds: the vkmSetAssertHandler handler was called with a message naming the
 *     argument; release builds (NDEBUG): it was never called;
 *   - documented no-ops (null handles to destroy/free functions) call no handler at all.
 * The handler is installed for the whole file, so a debug build records instead of
 * aborting. Layouts come from vk_sim over Lavapipe.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vk_ctx.h"
#include "vk_mem_alloc.h"
#include "vk_sim.h"
#include "vkmalloc.h"

#define KIB ((VkDeviceSize)1024)
#define MIB ((VkDeviceSize)1024 * 1024)

/* Sentinels written into outputs before a call that must overwrite them with null. */
#define BAD_ALLOC ((VmaAllocation)(uintptr_t)0xbad0)
#define BAD_BUFFER ((VkBuffer)(uintptr_t)0xbad1)
#define BAD_IMAGE ((VkImage)(uintptr_t)0xbad2)
#define BAD_POOL ((VmaPool)(uintptr_t)0xbad3)
#define BAD_PTR ((void *)(uintptr_t)0xbad4)

/* A null pointer the compiler cannot see through: clang's _Nonnull annotations on the
 * header would otherwise warn about the literal NULLs this file passes on purpose. */
static void *volatile g_null;
#define NULLP(T) ((T *)g_null)

/* ---- assert handler recorder -------------------------------------------------------- */

#define LOG_MAX 16

static struct {
    pthread_mutex_t lock;
    unsigned count;
    char msg[LOG_MAX][256];
} g_log = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void
on_assert(const char *message, const char *expression, const char *file, int line, void *user)
{
    (void)expression, (void)file, (void)line, (void)user;
    pthread_mutex_lock(&g_log.lock);
    if (g_log.count < LOG_MAX)
        snprintf(g_log.msg[g_log.count], sizeof(g_log.msg[0]), "%s", message ? message : "");
    g_log.count++;
    pthread_mutex_unlock(&g_log.lock);
}

static void
log_reset(void)
{
    pthread_mutex_lock(&g_log.lock);
    g_log.count = 0;
    pthread_mutex_unlock(&g_log.lock);
}

/* Debug builds: at least one report since the last check, and one of them names `arg`.
 * Release builds: none. Resets the log either way. */
static void
expect_asserted(const char *file, int line, const char *arg)
{
    pthread_mutex_lock(&g_log.lock);
    unsigned n = g_log.count;
    bool named = false;
    for (unsigned i = 0; i < n && i < LOG_MAX; i++)
        named |= strstr(g_log.msg[i], arg) != NULL;
    const char *first = n ? g_log.msg[0] : "";
#ifndef NDEBUG
    if (n == 0)
        vkm_test_fail(file, line, "no API assert reported (expected one naming \"%s\")", arg);
    else if (!named)
        vkm_test_fail(file, line, "API assert does not name \"%s\": \"%s\"", arg, first);
#else
    (void)named;
    if (n != 0)
        vkm_test_fail(file, line, "release build called the assert handler: \"%s\"", first);
#endif
    g_log.count = 0;
    pthread_mutex_unlock(&g_log.lock);
}

static void
expect_no_assert(const char *file, int line)
{
    pthread_mutex_lock(&g_log.lock);
    if (g_log.count != 0)
        vkm_test_fail(file, line, "unexpected API assert: \"%s\"", g_log.msg[0]);
    g_log.count = 0;
    pthread_mutex_unlock(&g_log.lock);
}

#define EXPECT_ASSERTED(arg) expect_asserted(__FILE__, __LINE__, (arg))
#define EXPECT_NO_ASSERT() expect_no_assert(__FILE__, __LINE__)

/* ---- fixture -------------------------------------------------------------------------- */

typedef struct fx {
    bool live;
    vkm_test_vk ctx;
    vkm_sim *sim;
    VmaAllocatorCreateInfo ci;
    VmaAllocator a;
    VmaAllocator b; /* a second allocator on the same device, when asked for */
    uint32_t validation_before;
} fx;

static fx g_fx;

static void
fx_release(fx *f)
{
    if (f->b != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->b);
    if (f->a != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->a);
    f->a = f->b = VK_NULL_HANDLE;
    vkm_sim_destroy(f->sim);
    f->sim = NULL;
    vkm_test_vk_destroy(&f->ctx);
    f->live = false;
}

static fx *
fx_open(const char *layout, bool second)
{
    fx *f = &g_fx;
    if (f->live)
        fx_release(f);
    memset(f, 0, sizeof(*f));
    vkmSetAssertHandler(on_assert, NULL);
    log_reset();
    f->validation_before = vkm_test_validation_error_count();
    VkResult r = vkm_test_vk_create(&f->ctx, NULL);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    f->live = true;
    ASSERT_VK_OK(vkm_sim_create(&f->ctx, layout, &f->sim));
    memset(&f->ci, 0, sizeof(f->ci));
    vkm_sim_fill_allocator_info(f->sim, &f->ci);
    f->ci.preferredLargeHeapBlockSize = 4 * MIB;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->a));
    if (second)
        ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->b));
    EXPECT_NO_ASSERT();
    return f;
}

static void
fx_close(fx *f)
{
    if (!f->live)
        return;
    EXPECT_NO_ASSERT();
    if (f->b != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->b);
    vmaDestroyAllocator(f->a);
    f->a = f->b = VK_NULL_HANDLE;
    EXPECT_NO_ASSERT();
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0);
    fx_release(f);
    EXPECT_EQ(vkm_test_validation_error_count(), f->validation_before);
    vkmSetAssertHandler(NULL, NULL);
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
    return vkm_test_image_info(w, h, VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_SAMPLED_BIT);
}

static uint32_t
alloc_count(VmaAllocator a)
{
    VmaTotalStatistics t;
    vmaCalculateStatistics(a, &t);
    return t.total.statistics.allocationCount;
}

static VkMemoryRequirements
req_of(VkDeviceSize size, VkDeviceSize alignment, uint32_t bits)
{
    return (VkMemoryRequirements){.size = size, .alignment = alignment, .memoryTypeBits = bits};
}

/* vmaAllocateMemory that must fail with `expected` and leave *pAllocation null. */
#define EXPECT_ALLOC_FAILS(expected, a, req, ci)                               \
    do {                                                                       \
        VmaAllocation x_ = BAD_ALLOC;                                          \
        EXPECT_VK((expected), vmaAllocateMemory((a), (req), (ci), &x_, NULL)); \
        EXPECT_TRUE(x_ == VK_NULL_HANDLE);                                     \
    } while (0)

/* vmaCreateBuffer that must fail with `expected` and leave both outputs null. */
#define EXPECT_BUFFER_FAILS(expected, a, bci, ci)                                 \
    do {                                                                          \
        VkBuffer b_ = BAD_BUFFER;                                                 \
        VmaAllocation x_ = BAD_ALLOC;                                             \
        EXPECT_VK((expected), vmaCreateBuffer((a), (bci), (ci), &b_, &x_, NULL)); \
        EXPECT_TRUE(b_ == VK_NULL_HANDLE);                                        \
        EXPECT_TRUE(x_ == VK_NULL_HANDLE);                                        \
    } while (0)

/* ---- sizes, types, alignment ---------------------------------------------------------- */

TEST(badinput_zero_size_fails_with_initialization_failed)
{
    fx *f = fx_open("lavapipe", false);
    VkMemoryRequirements req = req_of(0, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    EXPECT_ALLOC_FAILS(VK_ERROR_INITIALIZATION_FAILED, f->a, &req, &ci);

    VmaAllocation pages[4] = {BAD_ALLOC, BAD_ALLOC, BAD_ALLOC, BAD_ALLOC};
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED,
              vmaAllocateMemoryPages(f->a, &req, &ci, 4, pages, NULL));
    for (int i = 0; i < 4; i++)
        EXPECT_TRUE(pages[i] == VK_NULL_HANDLE);

    VkBufferCreateInfo bci = buffer_info(0, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    EXPECT_BUFFER_FAILS(VK_ERROR_INITIALIZATION_FAILED, f->a, &bci, &aci);
    VkBuffer b = BAD_BUFFER;
    VmaAllocation x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED,
              vmaCreateBufferWithAlignment(f->a, &bci, &aci, 256, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE && x == VK_NULL_HANDLE);

    VkImageCreateInfo ici = image_info(0, 16);
    VkImage img = BAD_IMAGE;
    x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateImage(f->a, &ici, &aci, &img, &x, NULL));
    EXPECT_TRUE(img == VK_NULL_HANDLE && x == VK_NULL_HANDLE);

    EXPECT_EQ(alloc_count(f->a), 0);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    log_reset(); /* VMA does not assert on a zero size: either way is fine */
    fx_close(f);
}

TEST(badinput_no_usable_memory_type_fails_with_feature_not_present)
{
    fx *f = fx_open("nvidia-h200", false);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    /* the resource accepts no type */
    VkMemoryRequirements req = req_of(4 * KIB, 16, 0);
    EXPECT_ALLOC_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &req, &ci);
    /* the create info's mask excludes every type the resource accepts */
    req.memoryTypeBits = 1u << 1;
    ci.memoryTypeBits = 1u << 2;
    EXPECT_ALLOC_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &req, &ci);
    /* required flags no type has */
    ci.memoryTypeBits = 0;
    req.memoryTypeBits = UINT32_MAX;
    ci.requiredFlags = VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT;
    EXPECT_ALLOC_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &req, &ci);
    ci.requiredFlags = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    EXPECT_ALLOC_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &req, &ci);
    /* pages: all null */
    VmaAllocation pages[3] = {BAD_ALLOC, BAD_ALLOC, BAD_ALLOC};
    req.memoryTypeBits = 0;
    ci.requiredFlags = 0;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT,
              vmaAllocateMemoryPages(f->a, &req, &ci, 3, pages, NULL));
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(pages[i] == VK_NULL_HANDLE);
    /* a buffer whose required type set excludes everything */
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO, .memoryTypeBits = 1u << 31};
    EXPECT_BUFFER_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &bci, &aci);
    uint32_t idx = 7;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaFindMemoryTypeIndex(f->a, 0, &ci, &idx));
    EXPECT_EQ(idx, UINT32_MAX);
    EXPECT_EQ(alloc_count(f->a), 0);
    log_reset();
    fx_close(f);
}

TEST(badinput_alignment_not_a_power_of_two_is_refused)
{
    fx *f = fx_open("lavapipe", false);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    const VkDeviceSize bad[] = {3, 48, 1000, ((VkDeviceSize)1 << 63) + 1};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        VkMemoryRequirements req = req_of(4 * KIB, bad[i], UINT32_MAX);
        VmaAllocation x = BAD_ALLOC;
        VkResult r = vmaAllocateMemory(f->a, &req, &ci, &x, NULL);
        EXPECT_NE(r, VK_SUCCESS);
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, r); /* src/README.md: contract violation */
        EXPECT_TRUE(x == VK_NULL_HANDLE);
        EXPECT_ASSERTED("alignment");
        VmaAllocation pages[2] = {BAD_ALLOC, BAD_ALLOC};
        EXPECT_NE(vmaAllocateMemoryPages(f->a, &req, &ci, 2, pages, NULL), VK_SUCCESS);
        EXPECT_TRUE(pages[0] == VK_NULL_HANDLE && pages[1] == VK_NULL_HANDLE);
        EXPECT_ASSERTED("alignment");
    }
    /* vmaCreateBufferWithAlignment: minAlignment must be a power of two too */
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer b = BAD_BUFFER;
    VmaAllocation x = BAD_ALLOC;
    EXPECT_NE(vmaCreateBufferWithAlignment(f->a, &bci, &aci, 96, &b, &x, NULL), VK_SUCCESS);
    EXPECT_TRUE(b == VK_NULL_HANDLE && x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("minAlignment");
    EXPECT_EQ(alloc_count(f->a), 0);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    /* 0 is no requirement at all, as in VMA */
    ASSERT_VK_OK(vmaCreateBufferWithAlignment(f->a, &bci, &aci, 0, &b, &x, NULL));
    EXPECT_TRUE(b != VK_NULL_HANDLE && x != VK_NULL_HANDLE);
    vmaDestroyBuffer(f->a, b, x);
    EXPECT_EQ(alloc_count(f->a), 0);
    fx_close(f);
}

/* ---- usages and flags ------------------------------------------------------------------- */

TEST(badinput_auto_usage_without_resource_fails_with_feature_not_present)
{
    fx *f = fx_open("amd-discrete-bar256", false);
    const VmaMemoryUsage autos[] = {VMA_MEMORY_USAGE_AUTO, VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE,
                                    VMA_MEMORY_USAGE_AUTO_PREFER_HOST};
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    for (int i = 0; i < 3; i++) {
        VmaAllocationCreateInfo ci = {.usage = autos[i]};
        EXPECT_ALLOC_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &req, &ci);
        EXPECT_ASSERTED("usage");
        uint32_t idx = 0;
        EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT,
                  vmaFindMemoryTypeIndex(f->a, UINT32_MAX, &ci, &idx));
        EXPECT_EQ(idx, UINT32_MAX);
        EXPECT_ASSERTED("usage");
    }
    /* vmaAllocateMemoryForBuffer does not know the buffer's usage flags either (VMA) */
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VkBuffer buf = VK_NULL_HANDLE;
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &bci, NULL, &buf));
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VmaAllocation x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaAllocateMemoryForBuffer(f->a, buf, &ci, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("usage");
    /* ...but AUTO with a custom pool is fine: the pool decides the type */
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(f->a, &pci, &pool));
    ci.pool = pool;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &x, NULL));
    EXPECT_NO_ASSERT();
    vmaFreeMemory(f->a, x);
    vmaDestroyPool(f->a, pool);
    vkDestroyBuffer(f->ctx.device, buf, NULL);
    EXPECT_EQ(alloc_count(f->a), 0);
    fx_close(f);
}

TEST(badinput_contradictory_flags_fail_with_feature_not_present)
{
    fx *f = fx_open("amd-discrete-bar256", false);
    const VmaAllocationCreateFlags seq = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT;
    const VmaAllocationCreateFlags rnd = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT;
    const struct {
        VmaAllocationCreateFlags flags;
        const char *why;
    } bad[] = {
        {seq | rnd, "SEQUENTIAL_WRITE and RANDOM together"},
        {VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT,
         "ALLOW_TRANSFER_INSTEAD alone"},
        {VMA_ALLOCATION_CREATE_MAPPED_BIT, "MAPPED with AUTO and no host access"},
    };
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO, .flags = bad[i].flags};
        VkBuffer b = BAD_BUFFER;
        VmaAllocation x = BAD_ALLOC;
        VkResult r = vmaCreateBuffer(f->a, &bci, &ci, &b, &x, NULL);
        if (r != VK_ERROR_FEATURE_NOT_PRESENT)
            vkm_test_fail(__FILE__, __LINE__, "%s: result %d", bad[i].why, (int)r);
        EXPECT_TRUE(b == VK_NULL_HANDLE && x == VK_NULL_HANDLE);
        EXPECT_ASSERTED("flags");
        /* same through vmaAllocateMemory with an explicit usage (no resource needed) */
        ci.usage = VMA_MEMORY_USAGE_CPU_TO_GPU;
        VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
        x = BAD_ALLOC;
        r = vmaAllocateMemory(f->a, &req, &ci, &x, NULL);
        if (i < 2) { /* MAPPED without host access is fine for non-AUTO usages */
            if (r != VK_ERROR_FEATURE_NOT_PRESENT)
                vkm_test_fail(__FILE__, __LINE__, "%s (CPU_TO_GPU): result %d", bad[i].why, (int)r);
            EXPECT_TRUE(x == VK_NULL_HANDLE);
            EXPECT_ASSERTED("flags");
        } else {
            EXPECT_VK(VK_SUCCESS, r);
            EXPECT_NO_ASSERT();
            vmaFreeMemory(f->a, x);
        }
    }
    /* DEDICATED_MEMORY together with NEVER_ALLOCATE */
    VmaAllocationCreateInfo ci = {
        .usage = VMA_MEMORY_USAGE_UNKNOWN,
        .flags =
            VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT | VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT,
    };
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    EXPECT_ALLOC_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &req, &ci);
    EXPECT_ASSERTED("NEVER_ALLOCATE");
    ci.usage = VMA_MEMORY_USAGE_AUTO;
    EXPECT_BUFFER_FAILS(VK_ERROR_FEATURE_NOT_PRESENT, f->a, &bci, &ci);
    EXPECT_ASSERTED("NEVER_ALLOCATE");
    EXPECT_EQ(alloc_count(f->a), 0);
    fx_close(f);
}

TEST(badinput_priority_outside_0_1_is_refused)
{
    fx *f = fx_open("nvidia-h200", false);
    const float bad[] = {-0.5f, 1.5f, -1e30f, 2.0f};
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY, .priority = bad[i]};
        VmaAllocation x = BAD_ALLOC;
        VkResult r = vmaAllocateMemory(f->a, &req, &ci, &x, NULL);
        EXPECT_NE(r, VK_SUCCESS);
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, r); /* src/README.md: contract violation */
        EXPECT_TRUE(x == VK_NULL_HANDLE);
        EXPECT_ASSERTED("priority");
        ci.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
        EXPECT_NE(vmaAllocateMemory(f->a, &req, &ci, &x, NULL), VK_SUCCESS);
        EXPECT_TRUE(x == VK_NULL_HANDLE);
        EXPECT_ASSERTED("priority");
        /* pools: the header names VK_ERROR_INITIALIZATION_FAILED for invalid parameters */
        VmaPoolCreateInfo pci = {.memoryTypeIndex = 1, .priority = bad[i]};
        VmaPool p = BAD_POOL;
        EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreatePool(f->a, &pci, &p));
        EXPECT_TRUE(p == VK_NULL_HANDLE);
        EXPECT_ASSERTED("priority");
    }
    /* the bounds themselves are valid */
    VmaAllocationCreateInfo ok = {.usage = VMA_MEMORY_USAGE_GPU_ONLY, .priority = 1.0f};
    VmaAllocation x;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ok, &x, NULL));
    vmaFreeMemory(f->a, x);
    ok.priority = 0.0f;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ok, &x, NULL));
    vmaFreeMemory(f->a, x);
    EXPECT_NO_ASSERT();
    EXPECT_EQ(alloc_count(f->a), 0);
    fx_close(f);
}

/* ---- null handles: documented no-ops -------------------------------------------------- */

TEST(badinput_null_handles_to_destroy_and_free_are_no_ops)
{
    fx *f = fx_open("lavapipe", false);
    vmaDestroyAllocator(VK_NULL_HANDLE);
    vmaFreeMemory(f->a, VK_NULL_HANDLE);
    vmaFreeMemoryPages(f->a, 0, NULLP(const VmaAllocation));
    const VmaAllocation nulls[3] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
    vmaFreeMemoryPages(f->a, 3, nulls);
    vmaDestroyBuffer(f->a, VK_NULL_HANDLE, VK_NULL_HANDLE);
    vmaDestroyImage(f->a, VK_NULL_HANDLE, VK_NULL_HANDLE);
    vmaDestroyPool(f->a, VK_NULL_HANDLE);
    VmaAllocation empty_pages[1] = {BAD_ALLOC};
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    EXPECT_VK(VK_SUCCESS, vmaAllocateMemoryPages(f->a, &req, &ci, 0, empty_pages, NULL));
    EXPECT_NO_ASSERT();

    /* nulls mixed with live allocations: only the live ones are freed */
    VmaAllocation mix[4] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &mix[1], NULL));
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &mix[3], NULL));
    EXPECT_EQ(alloc_count(f->a), 2);
    vmaFreeMemoryPages(f->a, 4, mix);
    EXPECT_EQ(alloc_count(f->a), 0);

    /* half-null destroys: the buffer alone, or the allocation alone */
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer b;
    VmaAllocation x;
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &aci, &b, &x, NULL));
    vmaDestroyBuffer(f->a, b, VK_NULL_HANDLE);
    EXPECT_EQ(alloc_count(f->a), 1);
    vmaDestroyBuffer(f->a, VK_NULL_HANDLE, x);
    EXPECT_EQ(alloc_count(f->a), 0);
    if (vkm_sim_backs_optimal_images(f->sim)) { /* vk_sim.h: not on every driver */
        VkImageCreateInfo ici = image_info(16, 16);
        VkImage img;
        ASSERT_VK_OK(vmaCreateImage(f->a, &ici, &aci, &img, &x, NULL));
        vmaDestroyImage(f->a, img, VK_NULL_HANDLE);
        vmaDestroyImage(f->a, VK_NULL_HANDLE, x);
        EXPECT_EQ(alloc_count(f->a), 0);
    }
    EXPECT_NO_ASSERT();
    fx_close(f);
}

/* ---- handles of another allocator ------------------------------------------------------- */

TEST(badinput_handles_of_another_allocator_are_refused_and_nothing_is_freed)
{
    fx *f = fx_open("lavapipe", true);
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation xa, xb;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &xa, NULL));
    ASSERT_VK_OK(vmaAllocateMemory(f->b, &req, &ci, &xb, NULL));
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 1 * MIB, .minBlockCount = 1};
    VmaPool pb;
    ASSERT_VK_OK(vmaCreatePool(f->b, &pci, &pb));
    const uint32_t live = vkm_sim_live_memory_count(f->sim);
    EXPECT_NO_ASSERT();

    vmaFreeMemory(f->a, xb);
    EXPECT_ASSERTED("allocation");
    vmaDestroyBuffer(f->a, VK_NULL_HANDLE, xb);
    EXPECT_ASSERTED("allocation");
    vmaDestroyImage(f->a, VK_NULL_HANDLE, xb);
    EXPECT_ASSERTED("allocation");
    const VmaAllocation both[2] = {xa, xb};
    vmaFreeMemoryPages(f->a, 2, both); /* refused as a whole: xa is not freed either */
    EXPECT_ASSERTED("pAllocations");
    EXPECT_EQ(alloc_count(f->a), 1);
    EXPECT_EQ(alloc_count(f->b), 1);

    void *p = BAD_PTR;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaMapMemory(f->a, xb, &p));
    EXPECT_TRUE(p == NULL);
    EXPECT_ASSERTED("allocation");
    vmaUnmapMemory(f->a, xb);
    EXPECT_ASSERTED("allocation");
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaFlushAllocation(f->a, xb, 0, VK_WHOLE_SIZE));
    EXPECT_ASSERTED("allocation");
    VmaAllocationInfo info;
    memset(&info, 0xab, sizeof(info));
    vmaGetAllocationInfo(f->a, xb, &info);
    EXPECT_ASSERTED("allocation");
    EXPECT_EQ(info.memoryType, 0xabababab); /* untouched */
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VkBuffer buf;
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &bci, NULL, &buf));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaBindBufferMemory(f->a, xb, buf));
    EXPECT_ASSERTED("allocation");

    vmaDestroyPool(f->a, pb);
    EXPECT_ASSERTED("pool");
    VmaStatistics ps;
    memset(&ps, 0xab, sizeof(ps));
    vmaGetPoolStatistics(f->a, pb, &ps);
    EXPECT_ASSERTED("pool");
    EXPECT_EQ(ps.blockCount, 0xabababab);
    VmaAllocationCreateInfo pool_ci = {.pool = pb};
    VmaAllocation x = BAD_ALLOC;
    EXPECT_NE(vmaAllocateMemory(f->a, &req, &pool_ci, &x, NULL), VK_SUCCESS);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pool");
    VkBuffer bx = BAD_BUFFER;
    x = BAD_ALLOC;
    EXPECT_NE(vmaCreateBuffer(f->a, &bci, &pool_ci, &bx, &x, NULL), VK_SUCCESS);
    EXPECT_TRUE(bx == VK_NULL_HANDLE && x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pool");

    /* nothing was freed or destroyed: the pool and the allocation still work in B */
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), live);
    EXPECT_EQ(alloc_count(f->a), 1);
    EXPECT_EQ(alloc_count(f->b), 1);
    ASSERT_VK_OK(vmaBindBufferMemory(f->b, xb, buf));
    ASSERT_VK_OK(vmaAllocateMemory(f->b, &req, &pool_ci, &x, NULL));
    vmaGetPoolStatistics(f->b, pb, &ps);
    EXPECT_EQ(ps.allocationCount, 1);
    vmaFreeMemory(f->b, x);
    vmaDestroyPool(f->b, pb);
    vkDestroyBuffer(f->ctx.device, buf, NULL);
    vmaFreeMemory(f->b, xb);
    vmaFreeMemory(f->a, xa);
    EXPECT_EQ(alloc_count(f->a), 0);
    EXPECT_EQ(alloc_count(f->b), 0);
    fx_close(f);
}

/* ---- null outputs and inputs ------------------------------------------------------------- */

TEST(badinput_null_output_pointers_are_refused_without_leaks)
{
    fx *f = fx_open("lavapipe", false);
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VkImageCreateInfo ici = image_info(16, 16);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};

    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaAllocateMemory(f->a, &req, &ci, NULLP(VmaAllocation), NULL));
    EXPECT_ASSERTED("pAllocation");
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaAllocateMemoryPages(f->a, &req, &ci, 2, NULLP(VmaAllocation), NULL));
    EXPECT_ASSERTED("pAllocations");

    VmaAllocation x = BAD_ALLOC;
    VkBuffer b = BAD_BUFFER;
    VkImage img = BAD_IMAGE;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateBuffer(f->a, &bci, &aci, NULLP(VkBuffer), &x, NULL));
    EXPECT_ASSERTED("pBuffer");
    EXPECT_TRUE(x == VK_NULL_HANDLE); /* header: both outputs VK_NULL_HANDLE on failure */
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateBuffer(f->a, &bci, &aci, &b, NULLP(VmaAllocation), NULL));
    EXPECT_ASSERTED("pAllocation");
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateImage(f->a, &ici, &aci, NULLP(VkImage), &x, NULL));
    EXPECT_ASSERTED("pImage");
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateImage(f->a, &ici, &aci, &img, NULLP(VmaAllocation), NULL));
    EXPECT_ASSERTED("pAllocation");
    EXPECT_TRUE(img == VK_NULL_HANDLE);

    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .minBlockCount = 1};
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreatePool(f->a, &pci, NULLP(VmaPool)));
    EXPECT_ASSERTED("pPool");
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateAllocator(&f->ci, NULLP(VmaAllocator)));
    EXPECT_ASSERTED("pAllocator");
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaFindMemoryTypeIndex(f->a, UINT32_MAX, &ci, NULLP(uint32_t)));
    EXPECT_ASSERTED("pMemoryTypeIndex");

    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &x, NULL));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaMapMemory(f->a, x, NULLP(void *)));
    EXPECT_ASSERTED("ppData");
    vmaGetAllocationInfo(f->a, x, NULLP(VmaAllocationInfo));
    EXPECT_ASSERTED("pAllocationInfo");
    vmaCalculateStatistics(f->a, NULLP(VmaTotalStatistics));
    EXPECT_ASSERTED("pStats");
    vmaGetHeapBudgets(f->a, NULLP(VmaBudget));
    EXPECT_ASSERTED("pBudgets");
    vmaFreeMemory(f->a, x);

    /* nothing was left behind: no memory, no allocation, no buffer or image (validation
     * reports leaked VkBuffer/VkImage at vkDestroyDevice) */
    EXPECT_EQ(alloc_count(f->a), 0);
    fx_close(f);
}

TEST(badinput_null_inputs_are_refused)
{
    fx *f = fx_open("lavapipe", false);
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VmaAllocation x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaAllocateMemory(NULLP(struct VmaAllocator_T), &req, &ci, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("allocator");
    x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaAllocateMemory(f->a, NULLP(const VkMemoryRequirements), &ci, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pVkMemoryRequirements");
    x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaAllocateMemory(f->a, &req, NULLP(const VmaAllocationCreateInfo), &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pCreateInfo");
    VkBuffer b = BAD_BUFFER;
    x = BAD_ALLOC;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateBuffer(f->a, NULLP(const VkBufferCreateInfo), &ci, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE && x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pBufferCreateInfo");
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateBuffer(f->a, &bci, NULLP(const VmaAllocationCreateInfo), &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE && x == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pAllocationCreateInfo");
    VmaPool p = BAD_POOL;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreatePool(f->a, NULLP(const VmaPoolCreateInfo), &p));
    EXPECT_TRUE(p == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pCreateInfo");
    /* a null allocation handle where one is required */
    void *ptr = BAD_PTR;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaMapMemory(f->a, NULLP(struct VmaAllocation_T), &ptr));
    EXPECT_TRUE(ptr == NULL);
    EXPECT_ASSERTED("allocation");
    vmaUnmapMemory(f->a, NULLP(struct VmaAllocation_T));
    EXPECT_ASSERTED("allocation");
    EXPECT_EQ(alloc_count(f->a), 0);
    fx_close(f);
}

/* ---- mapping ----------------------------------------------------------------------------- */

TEST(badinput_unmapping_an_unmapped_allocation_changes_nothing)
{
    fx *f = fx_open("lavapipe", false);
    VkMemoryRequirements req = req_of(4 * KIB, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation x;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &x, NULL));
    vmaUnmapMemory(f->a, x);
    EXPECT_ASSERTED("allocation");
    /* the allocation still maps and unmaps normally, once each */
    void *p = NULL;
    ASSERT_VK_OK(vmaMapMemory(f->a, x, &p));
    ASSERT_TRUE(p != NULL);
    memset(p, 0x5a, 4096);
    vmaUnmapMemory(f->a, x);
    EXPECT_NO_ASSERT();
    vmaUnmapMemory(f->a, x);
    EXPECT_ASSERTED("allocation");

    /* a persistently mapped allocation keeps its mapping through a stray unmap */
    VmaAllocationCreateInfo mci = {.usage = VMA_MEMORY_USAGE_UNKNOWN,
                                   .flags = VMA_ALLOCATION_CREATE_MAPPED_BIT};
    VmaAllocation m;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &mci, &m, &info));
    ASSERT_TRUE(info.pMappedData != NULL);
    vmaUnmapMemory(f->a, m);
    EXPECT_ASSERTED("allocation");
    VmaAllocationInfo after;
    vmaGetAllocationInfo(f->a, m, &after);
    EXPECT_TRUE(after.pMappedData == info.pMappedData);
    memset(info.pMappedData, 0x33, 4096); /* still mapped: ASan would object otherwise */
    vmaFreeMemory(f->a, m);
    vmaFreeMemory(f->a, x);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0); /* no vkUnmapMemory of unmapped memory */
    fx_close(f);
}

TEST(badinput_mapping_memory_that_is_not_host_visible_fails)
{
    fx *f = fx_open("nvidia-h200", false);
    /* type 1 is DEVICE_LOCAL only on the H200 */
    VkMemoryRequirements req = req_of(4 * KIB, 16, 1u << 1);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
    VmaAllocation x, d;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &x, NULL));
    void *p = BAD_PTR;
    EXPECT_VK(VK_ERROR_MEMORY_MAP_FAILED, vmaMapMemory(f->a, x, &p));
    EXPECT_TRUE(p == NULL);
    ci.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &d, NULL));
    p = BAD_PTR;
    EXPECT_VK(VK_ERROR_MEMORY_MAP_FAILED, vmaMapMemory(f->a, d, &p));
    EXPECT_TRUE(p == NULL);
    /* an AUTO vertex buffer lands in type 1 as well */
    VkBufferCreateInfo bci = buffer_info(4 * KIB, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer b;
    VmaAllocation bx;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaCreateBuffer(f->a, &bci, &aci, &b, &bx, &info));
    EXPECT_EQ(info.memoryType, 1);
    p = BAD_PTR;
    EXPECT_VK(VK_ERROR_MEMORY_MAP_FAILED, vmaMapMemory(f->a, bx, &p));
    EXPECT_TRUE(p == NULL);
    log_reset(); /* an assert about AUTO without host access is acceptable here */
    /* MAPPED_BIT on a type that is not HOST_VISIBLE is dropped, as in VMA */
    VmaAllocationCreateInfo mci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY,
                                   .flags = VMA_ALLOCATION_CREATE_MAPPED_BIT};
    VmaAllocation m;
    ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &mci, &m, &info));
    EXPECT_TRUE(info.pMappedData == NULL);
    EXPECT_NO_ASSERT();
    vmaFreeMemory(f->a, m);
    vmaDestroyBuffer(f->a, b, bx);
    vmaFreeMemory(f->a, d);
    vmaFreeMemory(f->a, x);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0); /* vkMapMemory never reached the device */
    fx_close(f);
}

/* ---- pools ------------------------------------------------------------------------------- */

TEST(badinput_pool_parameters_are_checked)
{
    fx *f = fx_open("nvidia-h200", false);
    VmaPool p = BAD_POOL;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 1, .minBlockCount = 3, .maxBlockCount = 2};
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreatePool(f->a, &pci, &p));
    EXPECT_TRUE(p == VK_NULL_HANDLE);
    log_reset(); /* VMA returns the code without asserting; either is fine */
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);

    const VkPhysicalDeviceMemoryProperties *props;
    vmaGetMemoryProperties(f->a, &props);
    const uint32_t bad_types[] = {props->memoryTypeCount, 31, 32, UINT32_MAX};
    for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
        VmaPoolCreateInfo bt = {.memoryTypeIndex = bad_types[i]};
        p = BAD_POOL;
        EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCreatePool(f->a, &bt, &p));
        EXPECT_TRUE(p == VK_NULL_HANDLE);
        log_reset();
    }
    /* minAllocationAlignment must be 0 or a power of two: "other invalid parameters" */
    VmaPoolCreateInfo ba = {.memoryTypeIndex = 1, .minAllocationAlignment = 24};
    p = BAD_POOL;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreatePool(f->a, &ba, &p));
    EXPECT_TRUE(p == VK_NULL_HANDLE);
    EXPECT_ASSERTED("minAllocationAlignment");

    /* minBlockCount == maxBlockCount is a valid fixed-size pool */
    VmaPoolCreateInfo fixed = {
        .memoryTypeIndex = 1, .blockSize = 1 * MIB, .minBlockCount = 2, .maxBlockCount = 2};
    ASSERT_VK_OK(vmaCreatePool(f->a, &fixed, &p));
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 2);
    /* allocations from the pool cannot exceed its block size */
    VkMemoryRequirements req = req_of(2 * MIB, 16, UINT32_MAX);
    VmaAllocationCreateInfo ci = {.pool = p};
    EXPECT_ALLOC_FAILS(VK_ERROR_OUT_OF_DEVICE_MEMORY, f->a, &req, &ci);
    /* VMA does not read the requirements' type bits when a pool is given: a plain
     * allocation from the pool succeeds whatever they say */
    req = req_of(4 * KIB, 16, 1u << 2);
    VmaAllocation in_pool = VK_NULL_HANDLE;
    EXPECT_VK(VK_SUCCESS, vmaAllocateMemory(f->a, &req, &ci, &in_pool, NULL));
    VmaAllocationInfo in_pool_info;
    vmaGetAllocationInfo(f->a, in_pool, &in_pool_info);
    EXPECT_EQ(in_pool_info.memoryType, 1u);
    vmaFreeMemory(f->a, in_pool);
    log_reset();
    vmaDestroyPool(f->a, p);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    fx_close(f);
}

/* ---- flush / invalidate ranges ------------------------------------------------------------ */

TEST(badinput_flush_beyond_the_allocation_is_refused)
{
    fx *f = fx_open("intel-igpu-nonllc", false);
    /* type 1 is HOST_VISIBLE | HOST_CACHED without HOST_COHERENT; type 0 is coherent */
    for (uint32_t type = 0; type < 2; type++) {
        VkMemoryRequirements req = req_of(1000, 16, 1u << type);
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN,
                                      .flags = VMA_ALLOCATION_CREATE_MAPPED_BIT};
        VmaAllocation x;
        VmaAllocationInfo info;
        ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &x, &info));
        ASSERT_EQ(info.memoryType, type);
        /* offset past the end */
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaFlushAllocation(f->a, x, 1001, 1));
        EXPECT_ASSERTED("offset");
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaFlushAllocation(f->a, x, 5000, VK_WHOLE_SIZE));
        EXPECT_ASSERTED("offset");
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaInvalidateAllocation(f->a, x, 1001, 1));
        EXPECT_ASSERTED("offset");
        /* offset + size past the end */
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaFlushAllocation(f->a, x, 900, 200));
        EXPECT_ASSERTED("size");
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaInvalidateAllocation(f->a, x, 0, 1001));
        EXPECT_ASSERTED("size");
        const VkDeviceSize offs[2] = {0, 2000}, sizes[2] = {10, 10};
        const VmaAllocation two[2] = {x, x};
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaFlushAllocations(f->a, 2, two, offs, sizes));
        EXPECT_ASSERTED("offset");
        /* huge values must not wrap around into "inside" */
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
                  vmaFlushAllocation(f->a, x, 16, VK_WHOLE_SIZE - 8));
        EXPECT_ASSERTED("size");
        /* the valid edges: size 0, the whole allocation, the last byte */
        EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, x, 1000, 0));
        EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, x, 0, 1000));
        EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(f->a, x, 999, 1));
        EXPECT_VK(VK_SUCCESS, vmaInvalidateAllocation(f->a, x, 0, VK_WHOLE_SIZE));
        EXPECT_NO_ASSERT();
        vmaFreeMemory(f->a, x);
    }
    EXPECT_EQ(vkm_sim_flush_violation_count(f->sim), 0);
    fx_close(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
