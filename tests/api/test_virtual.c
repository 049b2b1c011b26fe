/* SPDX-License-Identifier: MIT */
/*
 * test_virtual.c - virtual blocks through the public API only: every vma*Virtual*
 * function, the TLSF and linear algorithms, exact statistics, the exact offsets VMA's
 * documentation gives for the linear algorithm (free-at-once, stack, double stack, ring
 * buffer), strategies, host-memory callbacks, and bad input (debug builds: an assert
 * naming the argument, recorded by a vkmSetAssertHandler handler; release builds: none).
 * No Vulkan device is involved.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vk_mem_alloc.h"
#include "vkmalloc.h"

/* A null pointer the compiler cannot see through (the header's _Nonnull annotations). */
static void *volatile g_null;
#define NULLP(T) ((T *)g_null)

#define BAD_VBLOCK ((VmaVirtualBlock)(uintptr_t)0xbad0)

/* ---- assert recorder -------------------------------------------------------------------- */

static struct {
    unsigned count;
    char msg[256];
} g_log;

static void
on_assert(const char *message, const char *expression, const char *file, int line, void *user)
{
    (void)expression, (void)file, (void)line, (void)user;
    if (g_log.count++ == 0)
        snprintf(g_log.msg, sizeof(g_log.msg), "%s", message ? message : "");
}

__attribute__((constructor)) static void
install_handler(void)
{
    vkmSetAssertHandler(on_assert, NULL);
}

static void
expect_asserted(const char *file, int line, const char *arg)
{
#ifndef NDEBUG
    if (g_log.count == 0)
        vkm_test_fail(file, line, "no API assert reported (expected one naming \"%s\")", arg);
    else if (strstr(g_log.msg, arg) == NULL)
        vkm_test_fail(file, line, "API assert does not name \"%s\": \"%s\"", arg, g_log.msg);
#else
    (void)arg;
    if (g_log.count != 0)
        vkm_test_fail(file, line, "release build called the assert handler: \"%s\"", g_log.msg);
#endif
    g_log.count = 0;
}

static void
expect_no_assert(const char *file, int line)
{
    if (g_log.count != 0)
        vkm_test_fail(file, line, "unexpected API assert: \"%s\"", g_log.msg);
    g_log.count = 0;
}

#define EXPECT_ASSERTED(arg) expect_asserted(__FILE__, __LINE__, (arg))
#define EXPECT_NO_ASSERT() expect_no_assert(__FILE__, __LINE__)

/* ---- helpers ---------------------------------------------------------------------------- */

static VmaVirtualBlock
make(VkDeviceSize size, VmaVirtualBlockCreateFlags flags)
{
    VmaVirtualBlockCreateInfo ci = {0};
    ci.size = size;
    ci.flags = flags;
    VmaVirtualBlock b = BAD_VBLOCK;
    if (vmaCreateVirtualBlock(&ci, &b) != VK_SUCCESS)
        return VK_NULL_HANDLE;
    return b;
}

#define LINEAR VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT
#define UPPER VMA_VIRTUAL_ALLOCATION_CREATE_UPPER_ADDRESS_BIT

static VmaVirtualAllocation g_last; /* the handle of the last successful va() */

/* Allocates; returns the offset, or UINT64_MAX after checking the failure's outputs. */
static VkDeviceSize
va_f(VmaVirtualBlock b, VkDeviceSize size, VkDeviceSize alignment,
     VmaVirtualAllocationCreateFlags flags)
{
    VmaVirtualAllocationCreateInfo ci = {0};
    ci.size = size;
    ci.alignment = alignment;
    ci.flags = flags;
    VmaVirtualAllocation h = (VmaVirtualAllocation)(uintptr_t)0x1234;
    VkDeviceSize off = 777;
    VkResult r = vmaVirtualAllocate(b, &ci, &h, &off);
    if (r != VK_SUCCESS) {
        if (h != VK_NULL_HANDLE || off != UINT64_MAX)
            vkm_test_fail(__FILE__, __LINE__, "failed vmaVirtualAllocate left outputs set");
        if (r != VK_ERROR_OUT_OF_DEVICE_MEMORY)
            vkm_test_fail(__FILE__, __LINE__, "vmaVirtualAllocate returned %d", (int)r);
        return UINT64_MAX;
    }
    if (h == VK_NULL_HANDLE)
        vkm_test_fail(__FILE__, __LINE__, "null handle for a successful allocation");
    VmaVirtualAllocationInfo info;
    vmaGetVirtualAllocationInfo(b, h, &info);
    if (info.offset != off || info.size != size)
        vkm_test_fail(__FILE__, __LINE__, "info %llu+%llu vs %llu+%llu",
                      (unsigned long long)info.offset, (unsigned long long)info.size,
                      (unsigned long long)off, (unsigned long long)size);
    g_last = h;
    return off;
}

static VkDeviceSize
va(VmaVirtualBlock b, VkDeviceSize size)
{
    return va_f(b, size, 0, 0);
}

/* Handles by offset, for the linear tests (which free by position). */
#define MAX_H 64
static struct {
    VkDeviceSize off[MAX_H];
    VmaVirtualAllocation h[MAX_H];
    int n;
} g_h;

static VkDeviceSize
track(VkDeviceSize off)
{
    if (off != UINT64_MAX && g_h.n < MAX_H) {
        g_h.off[g_h.n] = off;
        g_h.h[g_h.n++] = g_last;
    }
    return off;
}

static void
vfree_at(VmaVirtualBlock b, VkDeviceSize off)
{
    for (int i = 0; i < g_h.n; i++) {
        if (g_h.off[i] == off) {
            vmaVirtualFree(b, g_h.h[i]);
            g_h.off[i] = g_h.off[--g_h.n];
            g_h.h[i] = g_h.h[g_h.n];
            return;
        }
    }
    vkm_test_fail(__FILE__, __LINE__, "no tracked allocation at %llu", (unsigned long long)off);
}

#define LO(b, size, align) track(va_f((b), (size), (align), 0))
#define UP(b, size, align) track(va_f((b), (size), (align), UPPER))

static void
expect_detailed(const char *file, int line, VmaVirtualBlock b, uint32_t count, VkDeviceSize bytes,
                VkDeviceSize amin, VkDeviceSize amax, uint32_t ranges, VkDeviceSize rmin,
                VkDeviceSize rmax, VkDeviceSize block_bytes)
{
    VmaDetailedStatistics d;
    memset(&d, 0xcd, sizeof(d));
    vmaCalculateVirtualBlockStatistics(b, &d);
    VmaStatistics s;
    memset(&s, 0xcd, sizeof(s));
    vmaGetVirtualBlockStatistics(b, &s);
    if (d.statistics.blockCount != 1 || s.blockCount != 1 ||
        d.statistics.blockBytes != block_bytes || s.blockBytes != block_bytes ||
        d.statistics.allocationCount != count || s.allocationCount != count ||
        d.statistics.allocationBytes != bytes || s.allocationBytes != bytes ||
        d.allocationSizeMin != amin || d.allocationSizeMax != amax ||
        d.unusedRangeCount != ranges || d.unusedRangeSizeMin != rmin ||
        d.unusedRangeSizeMax != rmax)
        vkm_test_fail(
            file, line,
            "stats: blocks %u/%u bytes %llu/%llu, allocs %u/%u bytes %llu/%llu min %llu "
            "max %llu, unused %u min %llu max %llu",
            d.statistics.blockCount, s.blockCount, (unsigned long long)d.statistics.blockBytes,
            (unsigned long long)s.blockBytes, d.statistics.allocationCount, s.allocationCount,
            (unsigned long long)d.statistics.allocationBytes, (unsigned long long)s.allocationBytes,
            (unsigned long long)d.allocationSizeMin, (unsigned long long)d.allocationSizeMax,
            d.unusedRangeCount, (unsigned long long)d.unusedRangeSizeMin,
            (unsigned long long)d.unusedRangeSizeMax);
}

#define EXPECT_STATS(b, size, count, bytes, amin, amax, ranges, rmin, rmax)                      \
    expect_detailed(__FILE__, __LINE__, (b), (count), (bytes), (amin), (amax), (ranges), (rmin), \
                    (rmax), (size))

/* ---- both algorithms -------------------------------------------------------------------- */

static const VmaVirtualBlockCreateFlags k_algos[] = {0, LINEAR};

TEST(virtual_empty_block_statistics)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1048576, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        EXPECT_EQ(vmaIsVirtualBlockEmpty(b), VK_TRUE);
        EXPECT_STATS(b, 1048576, 0, 0, VK_WHOLE_SIZE, 0, 1, 1048576, 1048576);
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

TEST(virtual_allocations_get_offsets_sizes_and_user_data)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1048576, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        int x, y;
        VmaVirtualAllocationCreateInfo ci = {0};
        ci.size = 4096;
        ci.pUserData = &x;
        VmaVirtualAllocation h0, h1;
        VkDeviceSize off0 = 1;
        ASSERT_VK_OK(vmaVirtualAllocate(b, &ci, &h0, &off0));
        EXPECT_TRUE(h0 != VK_NULL_HANDLE); /* at offset 0, still a real handle */
        EXPECT_EQ_U64(off0, 0);
        ci.pUserData = NULL;
        ASSERT_VK_OK(vmaVirtualAllocate(b, &ci, &h1, NULLP(VkDeviceSize))); /* pOffset optional */
        EXPECT_TRUE(h1 != h0);
        VmaVirtualAllocationInfo info;
        vmaGetVirtualAllocationInfo(b, h0, &info);
        EXPECT_EQ_U64(info.offset, 0);
        EXPECT_EQ_U64(info.size, 4096);
        EXPECT_TRUE(info.pUserData == &x);
        vmaGetVirtualAllocationInfo(b, h1, &info);
        EXPECT_EQ_U64(info.offset, 4096);
        EXPECT_EQ_U64(info.size, 4096);
        EXPECT_TRUE(info.pUserData == NULL);
        vmaSetVirtualAllocationUserData(b, h1, &y);
        vmaGetVirtualAllocationInfo(b, h1, &info);
        EXPECT_TRUE(info.pUserData == &y);
        vmaSetVirtualAllocationUserData(b, h0, NULL);
        vmaGetVirtualAllocationInfo(b, h0, &info);
        EXPECT_TRUE(info.pUserData == NULL);
        EXPECT_EQ(vmaIsVirtualBlockEmpty(b), VK_FALSE);
        vmaVirtualFree(b, h0);
        vmaVirtualFree(b, h1);
        EXPECT_EQ(vmaIsVirtualBlockEmpty(b), VK_TRUE);
        EXPECT_STATS(b, 1048576, 0, 0, VK_WHOLE_SIZE, 0, 1, 1048576, 1048576);
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

TEST(virtual_statistics_are_exact_for_both_algorithms)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1000, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        g_h.n = 0;
        EXPECT_EQ_U64(track(va(b, 100)), 0);
        EXPECT_EQ_U64(track(va(b, 200)), 100);
        EXPECT_EQ_U64(track(va(b, 300)), 300);
        EXPECT_STATS(b, 1000, 3, 600, 100, 300, 1, 400, 400);
        vfree_at(b, 100); /* a free range in the middle */
        EXPECT_STATS(b, 1000, 2, 400, 100, 300, 2, 200, 400);
        vfree_at(b, 0); /* merges with it */
        EXPECT_STATS(b, 1000, 1, 300, 300, 300, 2, 300, 400);
        EXPECT_EQ_U64(track(va(b, 400)), 600); /* fills the end exactly */
        EXPECT_STATS(b, 1000, 2, 700, 300, 400, 1, 300, 300);
        vfree_at(b, 300);
        vfree_at(b, 600);
        EXPECT_STATS(b, 1000, 0, 0, VK_WHOLE_SIZE, 0, 1, 1000, 1000);
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

TEST(virtual_alignment_zero_means_one_and_padding_is_an_unused_range)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1000, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        EXPECT_EQ_U64(va_f(b, 1, 0, 0), 0);
        EXPECT_EQ_U64(va_f(b, 1, 0, 0), 1); /* 0: no alignment */
        EXPECT_EQ_U64(va_f(b, 1, 1, 0), 2);
        EXPECT_EQ_U64(va_f(b, 10, 16, 0), 16);
        EXPECT_EQ_U64(va_f(b, 1, 512, 0), 512);
        EXPECT_STATS(b, 1000, 5, 14, 1, 10, 3, 13, 487); /* [3,16) [26,512) [513,1000) */
        EXPECT_EQ_U64(va_f(b, 1, 1024, 0), UINT64_MAX);
        vmaClearVirtualBlock(b);
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

TEST(virtual_failure_sets_null_handle_and_uint64_max_offset)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1000, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        EXPECT_EQ_U64(va(b, 1001), UINT64_MAX); /* larger than the block */
        EXPECT_EQ_U64(va(b, UINT64_MAX), UINT64_MAX);
        EXPECT_EQ_U64(va(b, 600), 0);
        EXPECT_EQ_U64(va(b, 401), UINT64_MAX); /* no room left */
        VmaVirtualAllocationCreateInfo ci = {0};
        ci.size = 401;
        VmaVirtualAllocation h = (VmaVirtualAllocation)(uintptr_t)0x1234;
        EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY,
                  vmaVirtualAllocate(b, &ci, &h, NULLP(VkDeviceSize)));
        EXPECT_TRUE(h == VK_NULL_HANDLE);
        EXPECT_STATS(b, 1000, 1, 600, 600, 600, 1, 400, 400);
        vmaClearVirtualBlock(b);
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

TEST(virtual_clear_frees_everything_at_once)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(4096, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        for (int i = 0; i < 10; i++)
            EXPECT_EQ_U64(va(b, 100), (VkDeviceSize)i * 100u);
        vmaClearVirtualBlock(b);
        EXPECT_EQ(vmaIsVirtualBlockEmpty(b), VK_TRUE);
        EXPECT_STATS(b, 4096, 0, 0, VK_WHOLE_SIZE, 0, 1, 4096, 4096);
        EXPECT_EQ_U64(va(b, 4096), 0);
        vmaClearVirtualBlock(b);
        vmaDestroyVirtualBlock(b); /* empty after clear: no leak report */
    }
    EXPECT_NO_ASSERT();
}

TEST(virtual_sizes_in_any_unit_up_to_the_full_64_bit_range)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(UINT64_MAX, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        EXPECT_EQ_U64(va(b, 1), 0);
        EXPECT_EQ_U64(va_f(b, 1ull << 62, 1ull << 62, 0), 1ull << 62);
        EXPECT_STATS(b, UINT64_MAX, 2, (1ull << 62) + 1, 1, 1ull << 62, 2, (1ull << 62) - 1,
                     UINT64_MAX - (1ull << 63));
        vmaClearVirtualBlock(b);
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

/* ---- TLSF strategies --------------------------------------------------------------------- */

TEST(virtual_tlsf_strategies_min_memory_and_min_offset)
{
    VmaVirtualBlock b = make(1000, 0);
    ASSERT_TRUE(b != VK_NULL_HANDLE);
    g_h.n = 0;
    EXPECT_EQ_U64(track(va(b, 100)), 0);
    EXPECT_EQ_U64(track(va(b, 10)), 100);
    EXPECT_EQ_U64(track(va(b, 300)), 110);
    EXPECT_EQ_U64(track(va(b, 10)), 410);
    vfree_at(b, 0);   /* a 100-byte hole */
    vfree_at(b, 110); /* a 300-byte hole; 580 free at the end */
    /* best fit: the smallest free range that holds 90 bytes */
    EXPECT_EQ_U64(va_f(b, 90, 0, VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT), 0);
    /* lowest offset that holds 200 bytes */
    EXPECT_EQ_U64(va_f(b, 200, 0, VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT), 110);
    EXPECT_STATS(b, 1000, 4, 310, 10, 200, 3, 10, 580); /* [90,100) [310,410) [420,1000) */
    VkDeviceSize t = va_f(b, 50, 0, VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT);
    EXPECT_NE_U64(t, UINT64_MAX);
    EXPECT_TRUE((t >= 310 && t + 50 <= 410) || t >= 420);
    vmaClearVirtualBlock(b);
    vmaDestroyVirtualBlock(b);
    EXPECT_NO_ASSERT();
}

/* MIN_TIME trades placement quality for time, never success: VMA fails only "due to not
 * enough free space available". Block and request sizes between the allocator's size
 * classes are the cases a class-rounded lookup alone misses. */
TEST(virtual_min_time_fails_only_without_space)
{
    static const VkDeviceSize sizes[] = {1000, 65535, 1000003};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        VmaVirtualBlock b = make(sizes[i], 0);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        EXPECT_EQ_U64(va_f(b, sizes[i], 0, VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT), 0);
        vmaClearVirtualBlock(b);
        /* an exact-size hole between two allocations is refilled */
        const VkDeviceSize part = sizes[i] / 3;
        g_h.n = 0;
        EXPECT_EQ_U64(track(va_f(b, part, 0, 0)), 0);
        EXPECT_EQ_U64(track(va_f(b, part, 0, 0)), part);
        EXPECT_EQ_U64(track(va_f(b, sizes[i] - 2 * part, 0, 0)), 2 * part);
        vfree_at(b, part);
        EXPECT_EQ_U64(track(va_f(b, part, 0, VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT)),
                      part);
        EXPECT_EQ_U64(va_f(b, 1, 0, VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT),
                      UINT64_MAX);
        vmaClearVirtualBlock(b);
        g_h.n = 0;
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

/* ---- linear algorithm: VMA's documented patterns ----------------------------------------- */

TEST(virtual_linear_free_at_once_and_stack)
{
    VmaVirtualBlock b = make(1000, LINEAR);
    ASSERT_TRUE(b != VK_NULL_HANDLE);
    g_h.n = 0;
    EXPECT_EQ_U64(LO(b, 100, 0), 0);
    EXPECT_EQ_U64(LO(b, 200, 0), 100);
    EXPECT_EQ_U64(LO(b, 300, 0), 300);
    vfree_at(b, 0);
    EXPECT_EQ_U64(LO(b, 100, 0), 600); /* free space at the start is not reused */
    vfree_at(b, 600);                  /* stack: the top comes back */
    EXPECT_EQ_U64(LO(b, 50, 0), 600);
    vfree_at(b, 600);
    vfree_at(b, 100); /* in the middle: not reusable yet */
    EXPECT_EQ_U64(LO(b, 10, 0), 600);
    vfree_at(b, 600);
    vfree_at(b, 300); /* the whole block is free: start again at 0 */
    EXPECT_EQ(vmaIsVirtualBlockEmpty(b), VK_TRUE);
    EXPECT_EQ_U64(LO(b, 1000, 0), 0);
    vfree_at(b, 0);
    vmaDestroyVirtualBlock(b);
    EXPECT_NO_ASSERT();
}

TEST(virtual_linear_ring_buffer_wraps_around)
{
    VmaVirtualBlock b = make(1000, LINEAR);
    ASSERT_TRUE(b != VK_NULL_HANDLE);
    g_h.n = 0;
    EXPECT_EQ_U64(LO(b, 400, 0), 0);
    EXPECT_EQ_U64(LO(b, 400, 0), 400);
    EXPECT_EQ_U64(LO(b, 300, 0), UINT64_MAX);
    vfree_at(b, 0); /* FIFO */
    EXPECT_EQ_U64(LO(b, 300, 0), 0);
    EXPECT_EQ_U64(LO(b, 100, 0), 300);
    EXPECT_STATS(b, 1000, 3, 800, 100, 400, 1, 200, 200);
    EXPECT_EQ_U64(LO(b, 1, 0), UINT64_MAX);
    EXPECT_EQ_U64(UP(b, 1, 0), UINT64_MAX); /* no double stack while the ring is wrapped */
    vfree_at(b, 400);
    EXPECT_EQ_U64(LO(b, 150, 0), 400);
    /* a queue of three 300-byte entries cycles through the same offsets */
    vfree_at(b, 0);
    vfree_at(b, 300);
    vfree_at(b, 400);
    for (int i = 0; i < 3; i++)
        EXPECT_EQ_U64(LO(b, 300, 0), (VkDeviceSize)i * 300u);
    for (int i = 3; i < 30; i++) {
        vfree_at(b, (VkDeviceSize)(i % 3) * 300u);
        EXPECT_EQ_U64(LO(b, 300, 0), (VkDeviceSize)(i % 3) * 300u);
    }
    vmaClearVirtualBlock(b);
    vmaDestroyVirtualBlock(b);
    EXPECT_NO_ASSERT();
}

TEST(virtual_linear_double_stack_meets_in_the_middle)
{
    VmaVirtualBlock b = make(1000, LINEAR);
    ASSERT_TRUE(b != VK_NULL_HANDLE);
    g_h.n = 0;
    EXPECT_EQ_U64(UP(b, 100, 16), 896); /* from the end, aligned down */
    EXPECT_EQ_U64(LO(b, 300, 0), 0);
    EXPECT_EQ_U64(UP(b, 200, 0), 696);
    EXPECT_EQ_U64(LO(b, 300, 0), 300);
    EXPECT_STATS(b, 1000, 4, 900, 100, 300, 2, 4, 96); /* [600,696) [996,1000) */
    EXPECT_EQ_U64(LO(b, 97, 0), UINT64_MAX);           /* the stacks would overlap */
    EXPECT_EQ_U64(UP(b, 97, 0), UINT64_MAX);
    EXPECT_EQ_U64(LO(b, 96, 0), 600); /* exactly meets the upper stack */
    EXPECT_EQ_U64(UP(b, 1, 0), UINT64_MAX);
    vfree_at(b, 696); /* top of the upper stack */
    EXPECT_EQ_U64(UP(b, 150, 0), 746);
    EXPECT_EQ_U64(LO(b, 50, 0), 696);
    vfree_at(b, 0); /* the upper stack is in use: a lower request does not wrap */
    EXPECT_EQ_U64(LO(b, 1, 0), UINT64_MAX);
    vmaClearVirtualBlock(b);
    vmaDestroyVirtualBlock(b);
    EXPECT_NO_ASSERT();
}

/* ---- host memory ---------------------------------------------------------------------------- */

typedef struct host_counter {
    long live, calls;
    long fail_at; /* 1-based call number to fail; 0: never */
} host_counter;

static void *VKAPI_PTR
hc_alloc(void *ud, size_t size, size_t align, VkSystemAllocationScope scope)
{
    host_counter *c = ud;
    (void)scope;
    if (++c->calls == c->fail_at)
        return NULL;
    void *p = aligned_alloc(align, (size + align - 1) / align * align);
    if (p != NULL)
        c->live++;
    return p;
}

static void VKAPI_PTR
hc_free(void *ud, void *p)
{
    host_counter *c = ud;
    if (p != NULL)
        c->live--;
    free(p);
}

TEST(virtual_block_metadata_uses_the_allocation_callbacks)
{
    for (int a = 0; a < 2; a++) {
        host_counter c = {0, 0, 0};
        VkAllocationCallbacks cb = {0};
        cb.pUserData = &c;
        cb.pfnAllocation = hc_alloc;
        cb.pfnFree = hc_free;
        VmaVirtualBlockCreateInfo ci = {0};
        ci.size = 1 << 20;
        ci.flags = k_algos[a];
        ci.pAllocationCallbacks = &cb;
        VmaVirtualBlock b;
        ASSERT_VK_OK(vmaCreateVirtualBlock(&ci, &b));
        EXPECT_GT(c.calls, 0);
        EXPECT_GT(c.live, 0);
        for (int i = 0; i < 100; i++)
            EXPECT_EQ_U64(va(b, 16), (VkDeviceSize)i * 16u);
        vmaClearVirtualBlock(b);
        vmaDestroyVirtualBlock(b);
        EXPECT_EQ(c.live, 0);
    }
    EXPECT_NO_ASSERT();
}

TEST(virtual_out_of_host_memory_fails_cleanly)
{
    for (int a = 0; a < 2; a++) {
        bool created = false;
        for (long n = 1; n < 10 && !created; n++) { /* fail the n-th host allocation */
            host_counter c = {0, 0, n};
            VkAllocationCallbacks cb = {0};
            cb.pUserData = &c;
            cb.pfnAllocation = hc_alloc;
            cb.pfnFree = hc_free;
            VmaVirtualBlockCreateInfo ci = {0};
            ci.size = 1 << 20;
            ci.flags = k_algos[a];
            ci.pAllocationCallbacks = &cb;
            VmaVirtualBlock b = BAD_VBLOCK;
            VkResult r = vmaCreateVirtualBlock(&ci, &b);
            if (r != VK_SUCCESS) {
                EXPECT_VK(VK_ERROR_OUT_OF_HOST_MEMORY, r);
                EXPECT_TRUE(b == VK_NULL_HANDLE);
                EXPECT_EQ(c.live, 0);
                continue;
            }
            created = true;
            /* the next failure hits an allocation: it fails and changes nothing */
            c.fail_at = c.calls + 1;
            int failed = 0;
            for (int i = 0; i < 100; i++) {
                VmaVirtualAllocationCreateInfo ai = {0};
                ai.size = 16;
                VmaVirtualAllocation h;
                VkDeviceSize off;
                VkResult ar = vmaVirtualAllocate(b, &ai, &h, &off);
                if (ar == VK_ERROR_OUT_OF_HOST_MEMORY) {
                    failed++;
                    EXPECT_TRUE(h == VK_NULL_HANDLE);
                    EXPECT_EQ_U64(off, UINT64_MAX);
                } else {
                    EXPECT_VK(VK_SUCCESS, ar);
                }
            }
            EXPECT_EQ(failed, 1);
            VmaStatistics s;
            vmaGetVirtualBlockStatistics(b, &s);
            EXPECT_EQ(s.allocationCount, 99);
            EXPECT_EQ_U64(s.allocationBytes, 99 * 16);
            vmaClearVirtualBlock(b);
            vmaDestroyVirtualBlock(b);
            EXPECT_EQ(c.live, 0);
        }
        EXPECT_TRUE(created);
    }
    EXPECT_NO_ASSERT();
}

/* ---- random run: the allocations never overlap and the statistics add up ------------------ */

TEST(virtual_random_alloc_free_keeps_statistics_consistent)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1 << 16, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        VmaVirtualAllocation hs[256];
        int n = 0;
        uint64_t s = 0x2545f4914f6cdd1dull, bytes = 0;
        for (int step = 0; step < 5000; step++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            if (n < 256 && (s % 100 < 55 || n == 0)) {
                VmaVirtualAllocationCreateInfo ci = {0};
                ci.size = 1 + (s >> 8) % 1024;
                ci.alignment = 1ull << ((s >> 20) % 7);
                VmaVirtualAllocation h;
                VkDeviceSize off;
                if (vmaVirtualAllocate(b, &ci, &h, &off) == VK_SUCCESS) {
                    ASSERT_TRUE(off % ci.alignment == 0 && off + ci.size <= (1 << 16));
                    hs[n++] = h;
                    bytes += ci.size;
                }
            } else {
                /* FIFO mostly, so the linear block cycles as a ring */
                int i = s % 100 < 90 ? 0 : (int)((s >> 8) % (unsigned)n);
                VmaVirtualAllocationInfo info;
                vmaGetVirtualAllocationInfo(b, hs[i], &info);
                bytes -= info.size;
                vmaVirtualFree(b, hs[i]);
                memmove(&hs[i], &hs[i + 1], (size_t)(n - i - 1) * sizeof(hs[0]));
                n--;
            }
            VmaDetailedStatistics d;
            vmaCalculateVirtualBlockStatistics(b, &d);
            ASSERT_EQ(d.statistics.allocationCount, n);
            ASSERT_EQ_U64(d.statistics.allocationBytes, bytes);
            ASSERT_TRUE(d.unusedRangeCount >= 1 || bytes == (1 << 16));
        }
        /* pairwise: no two live allocations overlap */
        for (int i = 0; i < n; i++) {
            VmaVirtualAllocationInfo x;
            vmaGetVirtualAllocationInfo(b, hs[i], &x);
            for (int j = i + 1; j < n; j++) {
                VmaVirtualAllocationInfo y;
                vmaGetVirtualAllocationInfo(b, hs[j], &y);
                ASSERT_TRUE(x.offset + x.size <= y.offset || y.offset + y.size <= x.offset);
            }
        }
        vmaClearVirtualBlock(b);
        vmaDestroyVirtualBlock(b);
    }
    EXPECT_NO_ASSERT();
}

/* ---- bad input ------------------------------------------------------------------------------- */

TEST(virtual_create_rejects_bad_input)
{
    VmaVirtualBlockCreateInfo ci = {0};
    VmaVirtualBlock b = BAD_VBLOCK;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateVirtualBlock(&ci, &b)); /* size 0 */
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_ASSERTED("size");
    b = BAD_VBLOCK;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateVirtualBlock(NULLP(VmaVirtualBlockCreateInfo), &b));
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_ASSERTED("pCreateInfo");
    ci.size = 100;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateVirtualBlock(&ci, NULLP(VmaVirtualBlock)));
    EXPECT_ASSERTED("pVirtualBlock");
}

TEST(virtual_allocate_rejects_bad_input)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1000, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        VmaVirtualAllocationCreateInfo ci = {0};
        VmaVirtualAllocation h = (VmaVirtualAllocation)(uintptr_t)0x1234;
        VkDeviceSize off = 5;
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaVirtualAllocate(b, &ci, &h, &off)); /* 0 */
        EXPECT_TRUE(h == VK_NULL_HANDLE);
        EXPECT_EQ_U64(off, UINT64_MAX);
        EXPECT_ASSERTED("size");
        ci.size = 10;
        ci.alignment = 3;
        h = (VmaVirtualAllocation)(uintptr_t)0x1234;
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaVirtualAllocate(b, &ci, &h, &off));
        EXPECT_TRUE(h == VK_NULL_HANDLE);
        EXPECT_ASSERTED("alignment");
        ci.alignment = 0;
        off = 5;
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
                  vmaVirtualAllocate(b, &ci, NULLP(VmaVirtualAllocation), &off));
        EXPECT_EQ_U64(off, UINT64_MAX);
        EXPECT_ASSERTED("pAllocation");
        h = (VmaVirtualAllocation)(uintptr_t)0x1234;
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
                  vmaVirtualAllocate(b, NULLP(VmaVirtualAllocationCreateInfo), &h, &off));
        EXPECT_TRUE(h == VK_NULL_HANDLE);
        EXPECT_ASSERTED("pCreateInfo");
        h = (VmaVirtualAllocation)(uintptr_t)0x1234;
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
                  vmaVirtualAllocate(NULLP(struct VmaVirtualBlock_T), &ci, &h, &off));
        EXPECT_TRUE(h == VK_NULL_HANDLE);
        EXPECT_ASSERTED("virtualBlock");
        /* UPPER_ADDRESS: linear blocks only */
        ci.flags = UPPER;
        VkResult r = vmaVirtualAllocate(b, &ci, &h, &off);
        if (k_algos[a] == LINEAR) {
            EXPECT_VK(VK_SUCCESS, r);
            EXPECT_EQ_U64(off, 990);
            EXPECT_NO_ASSERT();
            vmaVirtualFree(b, h);
        } else {
            EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, r);
            EXPECT_TRUE(h == VK_NULL_HANDLE);
            EXPECT_ASSERTED("UPPER_ADDRESS");
        }
        EXPECT_EQ(vmaIsVirtualBlockEmpty(b), VK_TRUE);
        vmaDestroyVirtualBlock(b);
    }
}

TEST(virtual_null_and_stale_handles)
{
    for (int a = 0; a < 2; a++) {
        VmaVirtualBlock b = make(1000, k_algos[a]);
        ASSERT_TRUE(b != VK_NULL_HANDLE);
        /* documented no-ops */
        vmaVirtualFree(b, VK_NULL_HANDLE);
        vmaVirtualFree(NULLP(struct VmaVirtualBlock_T), VK_NULL_HANDLE);
        vmaDestroyVirtualBlock(VK_NULL_HANDLE);
        EXPECT_NO_ASSERT();

        EXPECT_EQ_U64(va(b, 100), 0);
        VmaVirtualAllocation h0 = g_last;
        EXPECT_EQ_U64(va(b, 100), 100);
        VmaVirtualAllocation h1 = g_last;
        vmaVirtualFree(b, h1);
        vmaVirtualFree(b, h1); /* double free: reported, ignored */
        EXPECT_ASSERTED("allocation");
        VmaVirtualAllocationInfo info = {7, 7, NULL};
        vmaGetVirtualAllocationInfo(b, h1, &info);
        EXPECT_ASSERTED("allocation");
        EXPECT_EQ_U64(info.offset, 7); /* untouched */
        vmaSetVirtualAllocationUserData(b, h1, &info);
        EXPECT_ASSERTED("allocation");
        vmaGetVirtualAllocationInfo(b, h0, NULLP(VmaVirtualAllocationInfo));
        EXPECT_ASSERTED("pVirtualAllocInfo");
        vmaGetVirtualBlockStatistics(b, NULLP(VmaStatistics));
        EXPECT_ASSERTED("pStats");
        vmaCalculateVirtualBlockStatistics(b, NULLP(VmaDetailedStatistics));
        EXPECT_ASSERTED("pStats");
        EXPECT_STATS(b, 1000, 1, 100, 100, 100, 1, 900, 900);

        /* a handle of another block */
        VmaVirtualBlock other = make(50, k_algos[a]);
        ASSERT_TRUE(other != VK_NULL_HANDLE);
        vmaVirtualFree(other, h0);
        EXPECT_ASSERTED("allocation");
        vmaDestroyVirtualBlock(other);

        /* a block that is not one */
        EXPECT_EQ(vmaIsVirtualBlockEmpty(NULLP(struct VmaVirtualBlock_T)), VK_FALSE);
        EXPECT_ASSERTED("virtualBlock");
        vmaClearVirtualBlock(NULLP(struct VmaVirtualBlock_T));
        EXPECT_ASSERTED("virtualBlock");
        VmaStatistics s;
        vmaGetVirtualBlockStatistics(NULLP(struct VmaVirtualBlock_T), &s);
        EXPECT_ASSERTED("virtualBlock");
        vmaVirtualFree(b, h0);
        EXPECT_NO_ASSERT();
        vmaDestroyVirtualBlock(b);
    }
}

TEST(virtual_destroy_with_live_allocations_reports_a_leak_and_frees_the_block)
{
    for (int a = 0; a < 2; a++) {
        host_counter c = {0, 0, 0};
        VkAllocationCallbacks cb = {0};
        cb.pUserData = &c;
        cb.pfnAllocation = hc_alloc;
        cb.pfnFree = hc_free;
        VmaVirtualBlockCreateInfo ci = {0};
        ci.size = 1000;
        ci.flags = k_algos[a];
        ci.pAllocationCallbacks = &cb;
        VmaVirtualBlock b;
        ASSERT_VK_OK(vmaCreateVirtualBlock(&ci, &b));
        EXPECT_EQ_U64(va(b, 10), 0);
        vmaDestroyVirtualBlock(b);
        EXPECT_ASSERTED("vmaClearVirtualBlock");
        EXPECT_EQ(c.live, 0); /* nothing leaks on our side */
    }
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
