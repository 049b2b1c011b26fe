/* SPDX-License-Identifier: MIT */
/*
 * test_v34.c - the VMA 3.4 additions, from a program that asks for the 3.4 API
 * (VKMALLOC_VMA_VERSION 3004000 before the include).
 *
 * Against VMA 3.4's documentation: VmaAllocationCreateInfo::minAlignment (0 or a power of
 * two) raises the alignment of every allocation function's result, in default and
 * custom pools, and with vmaCreateBufferWithAlignment the larger of the two wins;
 * vmaAllocateDedicatedMemory and vmaCreateDedicatedBuffer/Image always make a
 * VkDeviceMemory of their own whose VkMemoryAllocateInfo carries pMemoryAllocateNext
 * (replacing a pool's chain), and refuse pools that cannot hold dedicated memory
 * (VK_ERROR_FEATURE_NOT_PRESENT). A minAlignment that is not a power of two is refused
 * with VK_ERROR_VALIDATION_FAILED_EXT and null outputs (VMA asserts). The 3.3 entry
 * points stay as they were: every other API test is a 3.3 program linking the same
 * library.
 */
#define VKMALLOC_VMA_VERSION 3004000
#include <dlfcn.h>
#include <stddef.h>

#include "api_common.h"

#define KIB API_KIB

_Static_assert(offsetof(VmaAllocationCreateInfo, minAlignment) == 48 &&
                   sizeof(VmaAllocationCreateInfo) == 56,
               "VMA 3.4 layout: minAlignment appended");
_Static_assert(VMA_VERSION == VK_MAKE_VERSION(3, 4, 0), "VMA_VERSION says 3.4.0");

static VkBufferCreateInfo
buffer_info(VkDeviceSize size)
{
    return (VkBufferCreateInfo){.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                .size = size,
                                .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                         VK_BUFFER_USAGE_TRANSFER_DST_BIT};
}

static VkImageCreateInfo
image_info(void)
{
    return (VkImageCreateInfo){.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                               .imageType = VK_IMAGE_TYPE_2D,
                               .format = VK_FORMAT_R8G8B8A8_UNORM,
                               .extent = {32, 32, 1},
                               .mipLevels = 1,
                               .arrayLayers = 1,
                               .samples = VK_SAMPLE_COUNT_1_BIT,
                               .tiling = VK_IMAGE_TILING_OPTIMAL,
                               .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                               .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
}

TEST(v34_entry_points_are_separate_symbols)
{
    /* The 3.4 declarations resolve to vkm34_* symbols; the 3.3 ones stay exported. */
    EXPECT_TRUE(dlsym(RTLD_DEFAULT, "vkm34_vmaAllocateMemory") != NULL);
    EXPECT_TRUE(dlsym(RTLD_DEFAULT, "vkm34_vmaCreateImage") != NULL);
    EXPECT_TRUE(dlsym(RTLD_DEFAULT, "vmaAllocateMemory") != NULL);
    EXPECT_TRUE(dlsym(RTLD_DEFAULT, "vmaAllocateDedicatedMemory") != NULL);
}

TEST(v34_min_alignment_raises_the_alignment_of_every_allocation_function)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    /* Something first, so nothing lands at offset 0 by luck. */
    VmaAllocation pad = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 100, 16, api_all_types(a), 0, &pad, NULL));
    const VkDeviceSize align = 64 * KIB;

    VkMemoryRequirements req = api_mem_req(1000, 16, api_all_types(a));
    VmaAllocationCreateInfo ci = {.minAlignment = align};
    VmaAllocation x = VK_NULL_HANDLE, pages[3] = {0};
    VmaAllocationInfo xi, pi[3];
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x, &xi));
    EXPECT_EQ_U64(xi.offset % align, 0);
    ASSERT_VK_OK(vmaAllocateMemoryPages(a, &req, &ci, 3, pages, pi));
    for (int i = 0; i < 3; i++)
        EXPECT_EQ_U64(pi[i].offset % align, 0);

    VkBufferCreateInfo bci = buffer_info(3000);
    VmaAllocationCreateInfo bai = {.usage = VMA_MEMORY_USAGE_AUTO, .minAlignment = 8 * KIB};
    VkBuffer b = VK_NULL_HANDLE, b2 = VK_NULL_HANDLE, b3 = VK_NULL_HANDLE;
    VmaAllocation xb = VK_NULL_HANDLE, xb2 = VK_NULL_HANDLE, xb3 = VK_NULL_HANDLE;
    VmaAllocationInfo ib, ib2, ib3;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &bai, &b, &xb, &ib));
    EXPECT_EQ_U64(ib.offset % (8 * KIB), 0);
    /* WithAlignment: the larger of the parameter and the member. */
    ASSERT_VK_OK(vmaCreateBufferWithAlignment(a, &bci, &bai, 256, &b2, &xb2, &ib2));
    EXPECT_EQ_U64(ib2.offset % (8 * KIB), 0);
    bai.minAlignment = 0;
    ASSERT_VK_OK(vmaCreateBufferWithAlignment(a, &bci, &bai, 32 * KIB, &b3, &xb3, &ib3));
    EXPECT_EQ_U64(ib3.offset % (32 * KIB), 0);

    VkImageCreateInfo ici = image_info();
    VmaAllocationCreateInfo iai = {.usage = VMA_MEMORY_USAGE_AUTO, .minAlignment = 128 * KIB};
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation xi2 = VK_NULL_HANDLE, xr = VK_NULL_HANDLE;
    VmaAllocationInfo ii, ir;
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &iai, &img, &xi2, &ii));
    EXPECT_EQ_U64(ii.offset % (128 * KIB), 0);

    /* ForBuffer: usage unknown, so an explicit usage. */
    VkBuffer raw = VK_NULL_HANDLE;
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &bci, NULL, &raw));
    VmaAllocationCreateInfo rci = {.usage = VMA_MEMORY_USAGE_CPU_TO_GPU, .minAlignment = 16 * KIB};
    ASSERT_VK_OK(vmaAllocateMemoryForBuffer(a, raw, &rci, &xr, &ir));
    EXPECT_EQ_U64(ir.offset % (16 * KIB), 0);
    EXPECT_EQ(vmaBindBufferMemory(a, xr, raw), VK_SUCCESS);

    /* A custom pool honours it too. */
    uint32_t type = 0;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForBufferInfo(a, &bci, &bai, &type));
    VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = 1024 * KIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocationCreateInfo pc = {.pool = pool, .minAlignment = 256 * KIB};
    VmaAllocation p1 = VK_NULL_HANDLE, p2 = VK_NULL_HANDLE;
    VmaAllocationInfo i1, i2;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &pc, &p1, &i1));
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &pc, &p2, &i2));
    EXPECT_EQ_U64(i1.offset % (256 * KIB), 0);
    EXPECT_EQ_U64(i2.offset % (256 * KIB), 0);
    EXPECT_TRUE(i1.offset != i2.offset || i1.deviceMemory != i2.deviceMemory);

    vmaFreeMemory(a, p2);
    vmaFreeMemory(a, p1);
    vmaDestroyPool(a, pool);
    vmaDestroyBuffer(a, raw, xr);
    vmaDestroyImage(a, img, xi2);
    vmaDestroyBuffer(a, b3, xb3);
    vmaDestroyBuffer(a, b2, xb2);
    vmaDestroyBuffer(a, b, xb);
    vmaFreeMemoryPages(a, 3, pages);
    vmaFreeMemory(a, x);
    vmaFreeMemory(a, pad);
    api_fixture_teardown(f);
}

TEST(v34_min_alignment_not_a_power_of_two_is_refused_with_null_outputs)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VkMemoryRequirements req = api_mem_req(1000, 16, api_all_types(a));
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO, .minAlignment = 96};
    api_asserts_begin();
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    VmaAllocationCreateInfo raw = ci;
    raw.usage = VMA_MEMORY_USAGE_UNKNOWN;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaAllocateMemory(a, &req, &raw, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    VkBufferCreateInfo bci = buffer_info(4096);
    VkBuffer b = (VkBuffer)(uintptr_t)0x1;
    x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE && x == VK_NULL_HANDLE);
    VkImageCreateInfo ici = image_info();
    VkImage img = (VkImage)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateImage(a, &ici, &ci, &img, &x, NULL));
    EXPECT_TRUE(img == VK_NULL_HANDLE);
    uint32_t type = 7;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaFindMemoryTypeIndexForBufferInfo(a, &bci, &ci, &type));
    EXPECT_EQ(type, UINT32_MAX);
    unsigned n = api_asserts_end();
#ifndef NDEBUG
    EXPECT_EQ(n, 4u);
    EXPECT_TRUE(strstr(api_assert_log.last, "minAlignment") != NULL);
#else
    EXPECT_EQ(n, 0u);
#endif
    api_fixture_teardown(f);
}

TEST(v34_dedicated_functions_carry_the_callers_chain_in_their_own_memory)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    if (f->ctx.api_version < VK_API_VERSION_1_2) {
        api_fixture_teardown(f);
        TEST_SKIP("VkMemoryOpaqueCaptureAddressAllocateInfo needs Vulkan 1.2");
    }
    VmaAllocator a = f->allocator;
    /* A struct the allocator never adds itself; address 0 requests nothing. */
    VkMemoryOpaqueCaptureAddressAllocateInfo next = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_OPAQUE_CAPTURE_ADDRESS_ALLOCATE_INFO};

    /* Raw: small enough that it would never be dedicated on its own. */
    VkMemoryRequirements req = api_mem_req(4096, 256, api_all_types(a));
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN, .priority = 0.5f};
    VmaAllocation d = VK_NULL_HANDLE, d0 = VK_NULL_HANDLE;
    VmaAllocationInfo di, d0i;
    ASSERT_VK_OK(vmaAllocateDedicatedMemory(a, &req, &ci, &next, &d, &di));
    EXPECT_TRUE(api_info2(a, d).dedicatedMemory);
    const api_alloc_record *r = api_rec_find(&f->rec, di.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(api_chain_has_ptr(r, &next));
    EXPECT_FALSE(r->has_dedicated); /* no resource to name */
    EXPECT_EQ_U64(r->size, 4096);
    /* Without a chain it is still dedicated. */
    ASSERT_VK_OK(vmaAllocateDedicatedMemory(a, &req, &ci, NULL, &d0, &d0i));
    EXPECT_TRUE(api_info2(a, d0).dedicatedMemory);
    EXPECT_TRUE(d0i.deviceMemory != di.deviceMemory);

    /* Buffer: the chain and the dedicated-allocation info naming it. */
    VkBufferCreateInfo bci = buffer_info(4096);
    VmaAllocationCreateInfo bai = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer b = VK_NULL_HANDLE;
    VmaAllocation xb = VK_NULL_HANDLE;
    VmaAllocationInfo ib;
    ASSERT_VK_OK(vmaCreateDedicatedBuffer(a, &bci, &bai, &next, &b, &xb, &ib));
    EXPECT_TRUE(api_info2(a, xb).dedicatedMemory);
    r = api_rec_find(&f->rec, ib.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(api_chain_has_ptr(r, &next));
    if (r->has_dedicated)
        EXPECT_TRUE(r->dedicated_buffer == b);

    /* Image, without a chain. */
    VkImageCreateInfo ici = image_info();
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation xi = VK_NULL_HANDLE;
    VmaAllocationInfo ii;
    ASSERT_VK_OK(vmaCreateDedicatedImage(a, &ici, &bai, NULL, &img, &xi, &ii));
    EXPECT_TRUE(api_info2(a, xi).dedicatedMemory);
    r = api_rec_find(&f->rec, ii.deviceMemory);
    ASSERT_TRUE(r != NULL);
    if (r->has_dedicated)
        EXPECT_TRUE(r->dedicated_image == img);

    /* In a pool: the caller's chain replaces the pool's. An explicit block size allows
     * no dedicated memory. */
    VkMemoryOpaqueCaptureAddressAllocateInfo pool_next = next;
    uint32_t type = 0;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForBufferInfo(a, &bci, &bai, &type));
    VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .pMemoryAllocateNext = &pool_next};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocationCreateInfo pc = {.pool = pool};
    VmaAllocation pd = VK_NULL_HANDLE;
    VmaAllocationInfo pdi;
    ASSERT_VK_OK(vmaAllocateDedicatedMemory(a, &req, &pc, &next, &pd, &pdi));
    r = api_rec_find(&f->rec, pdi.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(api_chain_has_ptr(r, &next));
    EXPECT_FALSE(api_chain_has_ptr(r, &pool_next));
    VmaDetailedStatistics ps;
    vmaCalculatePoolStatistics(a, pool, &ps);
    EXPECT_EQ(ps.statistics.allocationCount, 1u);
    VmaPoolCreateInfo fixed = {.memoryTypeIndex = type, .blockSize = 1024 * KIB};
    VmaPool fpool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &fixed, &fpool));
    VmaAllocationCreateInfo fc = {.pool = fpool};
    VmaAllocation no = (VmaAllocation)(uintptr_t)0x1;
    api_asserts_begin();
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT,
              vmaAllocateDedicatedMemory(a, &req, &fc, &next, &no, NULL));
    api_asserts_end();
    EXPECT_TRUE(no == VK_NULL_HANDLE);

    vmaDestroyPool(a, fpool);
    vmaFreeMemory(a, pd);
    vmaDestroyPool(a, pool);
    vmaDestroyImage(a, img, xi);
    vmaDestroyBuffer(a, b, xb);
    vmaFreeMemory(a, d0);
    vmaFreeMemory(a, d);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
