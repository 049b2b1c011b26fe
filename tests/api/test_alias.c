/* SPDX-License-Identifier: MIT */
/*
 * test_alias.c - resources aliasing one allocation: vmaCreateAliasingBuffer(2),
 * vmaCreateAliasingImage(2), and VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT.
 *
 * Against VMA 3.3's documented behaviour: the new resource is created and bound to the
 * allocation's memory at the allocation's offset plus allocationLocalOffset (the
 * recorder sees the bind; data a GPU copy writes through the alias is read back through
 * the original buffer); an empty resource fails with VK_ERROR_INITIALIZATION_FAILED and
 * null output; on failure no resource is left behind (the validation layer reports
 * leaked objects at device destruction). Beyond VMA, which only asserts: a resource that
 * does not fit the rest of the allocation, does not accept its memory type, or would be
 * misaligned is refused with VK_ERROR_VALIDATION_FAILED_EXT and an assert naming the
 * argument. CAN_ALIAS keeps VkMemoryDedicatedAllocateInfo off dedicated memory, so other
 * resources may alias it.
 */
#include "api_common.h"

#define KIB API_KIB

/* A null pointer the compiler cannot see through (the header's _Nonnull annotations). */
static void *volatile g_null;
#define api_null_ptr() (g_null)

static api_fixture *
setup(bool record, const char *layout)
{
    return api_fixture_setup(&(api_setup){
        .validation = 1, .record = record, .use_sim = layout != NULL, .sim_layout = layout});
}

static VkBufferCreateInfo
buffer_info(VkDeviceSize size, VkBufferUsageFlags usage)
{
    return (VkBufferCreateInfo){.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                .size = size,
                                .usage = usage,
                                .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
}

static VkImageCreateInfo
image_info(uint32_t w, uint32_t h, VkImageTiling tiling)
{
    return (VkImageCreateInfo){.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                               .imageType = VK_IMAGE_TYPE_2D,
                               .format = VK_FORMAT_R8G8B8A8_UNORM,
                               .extent = {w, h, 1},
                               .mipLevels = 1,
                               .arrayLayers = 1,
                               .samples = VK_SAMPLE_COUNT_1_BIT,
                               .tiling = tiling,
                               .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                        VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                               .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
}

/* Debug builds: some assert since api_asserts_begin, the last naming `what`. Release
 * builds: none. */
static void
expect_asserted(const char *what)
{
    unsigned n = api_asserts_end();
#ifndef NDEBUG
    EXPECT_GE(n, 1u);
    EXPECT_TRUE(strstr(api_assert_log.last, what) != NULL);
#else
    EXPECT_EQ(n, 0u);
    (void)what;
#endif
    api_asserts_begin();
}

static const VkBufferUsageFlags xfer =
    VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
static const VmaAllocationCreateFlags host_mapped =
    VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT | VMA_ALLOCATION_CREATE_MAPPED_BIT;

TEST(alias_buffer_written_by_the_gpu_is_read_through_the_original)
{
    api_fixture *f = setup(true, NULL);
    VmaAllocator a = f->allocator;
    /* A: 64 KiB, mapped. B aliases A's bytes [16 KiB, 32 KiB). */
    VkBufferCreateInfo abci = buffer_info(64 * KIB, xfer);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                   .flags = host_mapped | VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT};
    VkBuffer A = VK_NULL_HANDLE, B = (VkBuffer)(uintptr_t)0x1, S = VK_NULL_HANDLE,
             C = VK_NULL_HANDLE;
    VmaAllocation xa = VK_NULL_HANDLE, xs = VK_NULL_HANDLE, xc = VK_NULL_HANDLE;
    VmaAllocationInfo ia, is, ic;
    ASSERT_VK_OK(vmaCreateBuffer(a, &abci, &aci, &A, &xa, &ia));
    ASSERT_TRUE(ia.pMappedData != NULL);
    memset(ia.pMappedData, 0, 64 * KIB);
    vmaFlushAllocation(a, xa, 0, VK_WHOLE_SIZE);

    VkBufferCreateInfo bbci = buffer_info(16 * KIB, xfer);
    const uint32_t binds = f->rec.bind_buffer_calls;
    ASSERT_VK_OK(vmaCreateAliasingBuffer2(a, xa, 16 * KIB, &bbci, &B));
    ASSERT_TRUE(B != VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.bind_buffer_calls, binds + 1);
    EXPECT_TRUE(f->rec.last_bind_memory == ia.deviceMemory);
    EXPECT_EQ_U64(f->rec.last_bind_offset, ia.offset + 16 * KIB);

    /* Staging S -> B on the GPU: the bytes land in A's [16, 32) KiB. */
    VmaAllocationCreateInfo sci = {.usage = VMA_MEMORY_USAGE_AUTO, .flags = host_mapped};
    ASSERT_VK_OK(vmaCreateBuffer(a, &bbci, &sci, &S, &xs, &is));
    api_fill_pattern(is.pMappedData, 16 * KIB, 7);
    vmaFlushAllocation(a, xs, 0, VK_WHOLE_SIZE);
    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, S, B, 0, 0, 16 * KIB));
    vmaInvalidateAllocation(a, xa, 0, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(api_check_pattern((char *)ia.pMappedData + 16 * KIB, 16 * KIB, 7), SIZE_MAX);
    const unsigned char *head = ia.pMappedData;
    bool untouched = true;
    for (size_t i = 0; i < 16 * KIB; i++)
        untouched &= head[i] == 0 && head[32 * KIB + i] == 0;
    EXPECT_TRUE(untouched);

    /* And the GPU reading A sees what was written through B. */
    ASSERT_VK_OK(vmaCreateBuffer(a, &bbci, &sci, &C, &xc, &ic));
    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, A, C, 16 * KIB, 0, 16 * KIB));
    vmaInvalidateAllocation(a, xc, 0, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(api_check_pattern(ic.pMappedData, 16 * KIB, 7), SIZE_MAX);

    /* The alias is the caller's to destroy; the allocation is untouched by it. */
    vkDestroyBuffer(f->ctx.device, B, NULL);
    vmaDestroyBuffer(a, C, xc);
    vmaDestroyBuffer(a, S, xs);
    vmaDestroyBuffer(a, A, xa);
    api_fixture_teardown(f);
}

TEST(alias_image_and_buffer_bind_at_the_allocation_offset_plus_local_offset)
{
    api_fixture *f = setup(true, NULL);
    VmaAllocator a = f->allocator;
    /* An allocation made for an image, with something before it in the same block. */
    VmaAllocation pad = VK_NULL_HANDLE, xi = VK_NULL_HANDLE;
    VkBuffer padb = VK_NULL_HANDLE;
    VkBufferCreateInfo pbci = buffer_info(3 * KIB, xfer);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    ASSERT_VK_OK(vmaCreateBuffer(a, &pbci, &ci, &padb, &pad, NULL));
    VkImageCreateInfo ici = image_info(64, 64, VK_IMAGE_TILING_OPTIMAL);
    ci.flags = VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT;
    VkImage I = VK_NULL_HANDLE, J = (VkImage)(uintptr_t)0x1;
    VmaAllocationInfo ii;
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &ci, &I, &xi, &ii));

    uint32_t binds = f->rec.bind_image_calls;
    ASSERT_VK_OK(vmaCreateAliasingImage(a, xi, &ici, &J));
    ASSERT_TRUE(J != VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.bind_image_calls, binds + 1);
    EXPECT_TRUE(f->rec.last_bind_memory == ii.deviceMemory);
    EXPECT_EQ_U64(f->rec.last_bind_offset, ii.offset);
    vkDestroyImage(f->ctx.device, J, NULL);

    /* A buffer over the second half of the image's memory. */
    VkBufferCreateInfo bci = buffer_info(ii.size / 2, xfer);
    VkBuffer B = VK_NULL_HANDLE;
    binds = f->rec.bind_buffer_calls;
    ASSERT_VK_OK(vmaCreateAliasingBuffer2(a, xi, ii.size / 2, &bci, &B));
    EXPECT_EQ(f->rec.bind_buffer_calls, binds + 1);
    EXPECT_TRUE(f->rec.last_bind_memory == ii.deviceMemory);
    EXPECT_EQ_U64(f->rec.last_bind_offset, ii.offset + ii.size / 2);
    vkDestroyBuffer(f->ctx.device, B, NULL);

    /* A smaller linear image at a local offset of the same allocation. */
    VkImageCreateInfo lin = image_info(16, 16, VK_IMAGE_TILING_LINEAR);
    VkMemoryRequirements lr;
    VkImage probe = VK_NULL_HANDLE;
    ASSERT_VK_OK(vkCreateImage(f->ctx.device, &lin, NULL, &probe));
    vkGetImageMemoryRequirements(f->ctx.device, probe, &lr);
    vkDestroyImage(f->ctx.device, probe, NULL);
    const VkDeviceSize local = lr.alignment > ii.offset ? lr.alignment : 0;
    if (lr.size + local <= ii.size && ((ii.offset + local) % lr.alignment) == 0) {
        ASSERT_VK_OK(vmaCreateAliasingImage2(a, xi, local, &lin, &J));
        EXPECT_EQ_U64(f->rec.last_bind_offset, ii.offset + local);
        vkDestroyImage(f->ctx.device, J, NULL);
    }
    vmaDestroyImage(a, I, xi);
    vmaDestroyBuffer(a, padb, pad);
    api_fixture_teardown(f);
}

TEST(alias_out_of_range_offsets_and_sizes_are_refused_without_leaks)
{
    api_fixture *f = setup(true, NULL);
    VmaAllocator a = f->allocator;
    VkBufferCreateInfo abci = buffer_info(64 * KIB, xfer);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer A = VK_NULL_HANDLE;
    VmaAllocation xa = VK_NULL_HANDLE;
    VmaAllocationInfo ia;
    ASSERT_VK_OK(vmaCreateBuffer(a, &abci, &aci, &A, &xa, &ia));
    ASSERT_GE(ia.size, 64 * KIB);
    const VkDeviceSize size = ia.size;
    const uint32_t binds = f->rec.bind_buffer_calls;

    api_asserts_begin();
    VkBufferCreateInfo small = buffer_info(4 * KIB, xfer);
    VkBuffer B = (VkBuffer)(uintptr_t)0x1;
    /* Offset past the end. */
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateAliasingBuffer2(a, xa, size + 4 * KIB, &small, &B));
    EXPECT_TRUE(B == VK_NULL_HANDLE);
    expect_asserted("allocationLocalOffset");
    /* Inside, but the buffer runs past the end. */
    B = (VkBuffer)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateAliasingBuffer2(a, xa, size - 2 * KIB, &small, &B));
    EXPECT_TRUE(B == VK_NULL_HANDLE);
    expect_asserted("allocationLocalOffset");
    /* A buffer larger than the whole allocation, at offset 0 (the plain entry point). */
    VkBufferCreateInfo big = buffer_info(size + 4 * KIB, xfer);
    B = (VkBuffer)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateAliasingBuffer(a, xa, &big, &B));
    EXPECT_TRUE(B == VK_NULL_HANDLE);
    expect_asserted("allocationLocalOffset");
    /* An image too large for the allocation. */
    VkImageCreateInfo huge = image_info(1024, 1024, VK_IMAGE_TILING_OPTIMAL);
    VkImage I = (VkImage)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateAliasingImage2(a, xa, 0, &huge, &I));
    EXPECT_TRUE(I == VK_NULL_HANDLE);
    expect_asserted("allocationLocalOffset");
    /* Misaligned, when the buffer needs any alignment. */
    VkBuffer probe = VK_NULL_HANDLE;
    VkMemoryRequirements mr;
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &small, NULL, &probe));
    vkGetBufferMemoryRequirements(f->ctx.device, probe, &mr);
    vkDestroyBuffer(f->ctx.device, probe, NULL);
    if (mr.alignment > 1) {
        B = (VkBuffer)(uintptr_t)0x1;
        EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateAliasingBuffer2(a, xa, 1, &small, &B));
        EXPECT_TRUE(B == VK_NULL_HANDLE);
        expect_asserted("misaligned");
    }
    /* Exactly the last bytes fit. */
    B = VK_NULL_HANDLE;
    EXPECT_VK(VK_SUCCESS, vmaCreateAliasingBuffer2(a, xa, size - 4 * KIB, &small, &B));
    EXPECT_EQ_U64(f->rec.last_bind_offset, ia.offset + size - 4 * KIB);
    vkDestroyBuffer(f->ctx.device, B, NULL);
    EXPECT_EQ(api_asserts_end(), 0u);
    /* Only the successful call bound anything. */
    EXPECT_EQ(f->rec.bind_buffer_calls, binds + 1);
    EXPECT_EQ(f->rec.bind_image_calls, 0u);

    vmaDestroyBuffer(a, A, xa);
    api_fixture_teardown(f);
}

TEST(alias_empty_resources_and_missing_arguments_fail_with_null_output)
{
    api_fixture *f = setup(false, NULL);
    VmaAllocator a = f->allocator;
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 64 * KIB, 256, api_all_types(a), 0, &x, NULL));
    VkBufferCreateInfo empty = buffer_info(0, xfer);
    VkBuffer B = (VkBuffer)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateAliasingBuffer(a, x, &empty, &B));
    EXPECT_TRUE(B == VK_NULL_HANDLE);
    VkImageCreateInfo flat = image_info(16, 16, VK_IMAGE_TILING_LINEAR);
    flat.extent.height = 0;
    VkImage I = (VkImage)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateAliasingImage(a, x, &flat, &I));
    EXPECT_TRUE(I == VK_NULL_HANDLE);
    flat = image_info(16, 16, VK_IMAGE_TILING_LINEAR);
    flat.mipLevels = 0;
    I = (VkImage)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateAliasingImage2(a, x, 0, &flat, &I));
    EXPECT_TRUE(I == VK_NULL_HANDLE);

    api_asserts_begin();
    VkBufferCreateInfo ok = buffer_info(4 * KIB, xfer);
    B = (VkBuffer)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateAliasingBuffer(a, (VmaAllocation)api_null_ptr(), &ok, &B));
    EXPECT_TRUE(B == VK_NULL_HANDLE);
    expect_asserted("allocation");
    B = (VkBuffer)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateAliasingBuffer(a, x, (const VkBufferCreateInfo *)api_null_ptr(), &B));
    EXPECT_TRUE(B == VK_NULL_HANDLE);
    expect_asserted("pBufferCreateInfo");
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT,
              vmaCreateAliasingImage(a, x, &flat, (VkImage *)api_null_ptr()));
    expect_asserted("pImage");
    api_asserts_end();
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(alias_into_a_memory_type_the_resource_refuses_fails_cleanly)
{
    /* nvidia-h200: optimal images accept types 0 and 1 only; type 2 is host-visible. */
    api_fixture *f = setup(true, "nvidia-h200");
    VmaAllocator a = f->allocator;
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo xi;
    ASSERT_VK_OK(api_alloc(a, 1024 * KIB, 4096, 1u << 2, 0, &x, &xi));
    ASSERT_EQ(xi.memoryType, 2u);
    VkImageCreateInfo ici = image_info(16, 16, VK_IMAGE_TILING_OPTIMAL);
    VkImage I = (VkImage)(uintptr_t)0x1;
    api_asserts_begin();
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCreateAliasingImage(a, x, &ici, &I));
    EXPECT_TRUE(I == VK_NULL_HANDLE);
    expect_asserted("memory type");
    api_asserts_end();
    EXPECT_EQ(f->rec.bind_image_calls, 0u);
    /* A buffer accepts the type. */
    VkBufferCreateInfo bci = buffer_info(64 * KIB, xfer);
    VkBuffer B = VK_NULL_HANDLE;
    EXPECT_VK(VK_SUCCESS, vmaCreateAliasingBuffer(a, x, &bci, &B));
    vkDestroyBuffer(f->ctx.device, B, NULL);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(alias_can_alias_keeps_dedicated_memory_free_of_its_first_resource)
{
    api_fixture *f = setup(true, NULL);
    VmaAllocator a = f->allocator;
    if (!(f->ci.flags & VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT) &&
        f->ctx.api_version < VK_API_VERSION_1_1) {
        api_fixture_teardown(f);
        TEST_SKIP("no VK_KHR_dedicated_allocation");
    }
    VkBufferCreateInfo bci = buffer_info(64 * KIB, xfer);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                  .flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT};
    VkBuffer A = VK_NULL_HANDLE, D = VK_NULL_HANDLE;
    VmaAllocation xa = VK_NULL_HANDLE, xd = VK_NULL_HANDLE;
    VmaAllocationInfo ia, id;
    /* Without CAN_ALIAS: the memory names its buffer. */
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &D, &xd, &id));
    const api_alloc_record *r = api_rec_find(&f->rec, id.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_dedicated);
    EXPECT_TRUE(r->dedicated_buffer == D);
    /* With it: a VkDeviceMemory of its own, tied to no resource, and a second buffer
     * can alias it. */
    ci.flags |= VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &A, &xa, &ia));
    r = api_rec_find(&f->rec, ia.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_FALSE(r->has_dedicated);
    EXPECT_EQ_U64(ia.offset, 0);
    VmaAllocationInfo2 i2 = api_info2(a, xa);
    EXPECT_TRUE(i2.dedicatedMemory);
    VkBuffer B = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateAliasingBuffer(a, xa, &bci, &B));
    EXPECT_TRUE(f->rec.last_bind_memory == ia.deviceMemory);
    vkDestroyBuffer(f->ctx.device, B, NULL);
    vmaDestroyBuffer(a, A, xa);
    vmaDestroyBuffer(a, D, xd);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
