/* SPDX-License-Identifier: MIT */
/*
 * test_debug_macros.c - VMA's debugging macros, defined the way VMA's documentation says
 * ("Debugging incorrect memory usage"): in the one source file that defines
 * VMA_IMPLEMENTATION, before the include. vkmalloc's header turns them into the options of
 * every allocator the program creates and routes the library's assertions to the
 * program's VMA_ASSERT (include/vk_mem_alloc.h, at its end).
 */
#include <stdatomic.h>

static atomic_uint vma_asserts;
#define VMA_ASSERT(expr)                       \
    do {                                       \
        if (!(expr))                           \
            atomic_fetch_add(&vma_asserts, 1); \
    } while (0)
#define VMA_DEBUG_MARGIN 16
#define VMA_DEBUG_DETECT_CORRUPTION 1
#define VMA_DEBUG_INITIALIZE_ALLOCATIONS 1
#define VMA_IMPLEMENTATION
#include "vk_mem_alloc.h"

#include "api_common.h"

TEST(debug_macros_become_the_options_of_new_allocators)
{
    api_expect_debug_options_16_on_on(NULL);
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    api_expect_debug_options_16_on_on(a);
    const uint32_t t = api_find_type(a, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                            VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    ASSERT_NE(t, UINT32_MAX);
    /* corruption detection is on: the check runs (VK_SUCCESS, not FEATURE_NOT_PRESENT) */
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, 1u << t));
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(
        api_alloc(a, 100, 4, 1u << t,
                  VMA_ALLOCATION_CREATE_MAPPED_BIT | VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT,
                  &x, &info));
    /* new allocations are filled with VMA's 0xDC */
    const uint8_t *p = info.pMappedData;
    ASSERT_TRUE(p != NULL);
    for (uint32_t i = 0; i < 100; i++)
        if (p[i] != 0xDC) {
            EXPECT_EQ(p[i], 0xDC);
            break;
        }
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, 1u << t));

    /* A write past the end lands in the margin: the check finds it, and in a debug build of
     * the library the program's VMA_ASSERT hears of it. */
    const unsigned before = atomic_load(&vma_asserts);
    ((volatile uint8_t *)info.pMappedData)[info.size] ^= 0x01;
    EXPECT_VK(VK_ERROR_UNKNOWN, vmaCheckCorruption(a, 1u << t));
    EXPECT_EQ(atomic_load(&vma_asserts), before + (API_ASSERTS ? 1u : 0u));
    ((volatile uint8_t *)info.pMappedData)[info.size] ^= 0x01; /* repaired */
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, 1u << t));
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
