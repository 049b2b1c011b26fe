/* SPDX-License-Identifier: MIT */
/*
 * corruption_build.c (test_corruption_build) - the build-time switches. This program is
 * compiled with VMA_DEBUG_MARGIN=16, VMA_DEBUG_DETECT_CORRUPTION=1 and
 * VMA_DEBUG_INITIALIZE_ALLOCATIONS=1 together with the library's src/corruption_build.c
 * (tests/CMakeLists.txt), which is what -DVKMALLOC_DEBUG_MARGIN=16
 * -DVKMALLOC_DEBUG_DETECT_CORRUPTION=ON -DVKMALLOC_DEBUG_INITIALIZE_ALLOCATIONS=ON give the
 * library: allocators then detect corruption and fill memory with no call to
 * vkmSetDebugOptions, and vkmSetDebugOptions still overrides the build's choice.
 */
#include "api_common.h"

TEST(corruption_build_defaults_come_from_the_vma_debug_macros)
{
    api_expect_debug_options_16_on_on(NULL);
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    const uint32_t t = api_find_type(a, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                            VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    ASSERT_NE(t, UINT32_MAX);
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(
        api_alloc(a, 99, 4, 1u << t,
                  VMA_ALLOCATION_CREATE_MAPPED_BIT | VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT,
                  &x, &info));
    EXPECT_EQ_U64(info.size, 100);
    const uint8_t *p = info.pMappedData;
    for (uint32_t i = 0; i < 100; i++)
        EXPECT_EQ(p[i], VKM_FILL_PATTERN_CREATED);
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, 1u << t));
    ((uint8_t *)info.pMappedData)[100 + 15] = 0; /* the margin's last byte */
    api_asserts_begin();
    EXPECT_VK(VK_ERROR_UNKNOWN, vmaCheckCorruption(a, 1u << t));
    vmaFreeMemory(a, x);
    const unsigned asserts = api_asserts_end();
    if (API_ASSERTS)
        EXPECT_EQ(asserts, 2u);
    EXPECT_EQ_U64(vkmGetCorruptionCount(a), 2);
    api_fixture_teardown(f);
}

TEST(corruption_build_defaults_yield_to_run_time_options)
{
    const VkmDebugOptions off = {0, VK_FALSE, VK_FALSE};
    ASSERT_VK_OK(vkmSetDebugOptions(&off));
    api_fixture *f = api_fixture_setup(NULL);
    ASSERT_VK_OK(vkmSetDebugOptions(NULL));
    VmaAllocator a = f->allocator;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCheckCorruption(a, UINT32_MAX));
    VkmDebugOptions o;
    vkmGetDebugOptions(NULL, &o); /* back to the build's */
    EXPECT_EQ_U64(o.margin, 16);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
