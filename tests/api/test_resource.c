/* SPDX-License-Identifier: MIT */
/*
 * test_resource.c - buffers and images with their memory: vmaCreateBuffer / Image,
 * vmaCreateBufferWithAlignment, vmaAllocateMemoryFor*, vmaBind*Memory(2), vmaDestroy*.
 *
 * Every case runs with the Khronos validation layer (when installed) and ends by
 * checking that it reported nothing, through device destruction (which reports leaked
 * buffers and images). Against VMA 3.3's documented behaviour: the README sample (a
 * 64 KiB buffer and a 1024x1024 RGBA8 image with VMA_MEMORY_USAGE_AUTO, a mapped staging
 * buffer, data through the GPU and back); resources are bound unless DONT_BIND; empty
 * resources fail with VK_ERROR_INITIALIZATION_FAILED; SHADER_DEVICE_ADDRESS needs
 * VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT (else VK_ERROR_INITIALIZATION_FAILED) and
 * with it the memory carries VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT; minAlignment is
 * honoured; dedicated memory names its resource unless CAN_ALIAS; bufferImageGranularity
 * separates buffers from optimal images; failures leave no buffer, image or allocation.
 */
#include "api_common.h"

static api_fixture *
setup_validated(const api_setup *s_in)
{
    api_setup s = s_in ? *s_in : (api_setup){0};
    s.validation = 1;
    return api_fixture_setup(&s);
}

TEST(resource_readme_sample_buffer_image_and_staging_round_trip)
{
    api_fixture *f = setup_validated(NULL);
    VmaAllocator a = f->allocator;

    /* The vertex buffer and the texture of VMA's quick-start. */
    VkBufferCreateInfo vbi = api_buffer_info(65536, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT |
                                                        VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                                                        VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    VmaAllocationCreateInfo auto_ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer vb = VK_NULL_HANDLE;
    VmaAllocation vba = VK_NULL_HANDLE;
    VmaAllocationInfo vbinfo;
    ASSERT_VK_OK(vmaCreateBuffer(a, &vbi, &auto_ci, &vb, &vba, &vbinfo));
    ASSERT_TRUE(vb != VK_NULL_HANDLE && vba != VK_NULL_HANDLE);
    EXPECT_GE_U64(vbinfo.size, 65536);

    VkImageCreateInfo ici = api_image_info(1024, 1024, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT |
                                               VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation imga = VK_NULL_HANDLE;
    VmaAllocationInfo imginfo;
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &auto_ci, &img, &imga, &imginfo));
    ASSERT_TRUE(img != VK_NULL_HANDLE && imga != VK_NULL_HANDLE);
    EXPECT_GE_U64(imginfo.size, 1024 * 1024 * 4);
    if (imginfo.deviceMemory == vbinfo.deviceMemory)
        EXPECT_FALSE(api_ranges_overlap(imginfo.offset, imginfo.size, vbinfo.offset,
                                        vbinfo.size));

    /* Staging: sequential writes through a persistent mapping. */
    VkBufferCreateInfo sbi = api_buffer_info(65536, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    VmaAllocationCreateInfo staging_ci = {
        .usage = VMA_MEMORY_USAGE_AUTO,
        .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                 VMA_ALLOCATION_CREATE_MAPPED_BIT,
    };
    VkBuffer sb = VK_NULL_HANDLE;
    VmaAllocation sba = VK_NULL_HANDLE;
    VmaAllocationInfo sbinfo;
    ASSERT_VK_OK(vmaCreateBuffer(a, &sbi, &staging_ci, &sb, &sba, &sbinfo));
    ASSERT_TRUE(sbinfo.pMappedData != NULL);
    api_fill_pattern(sbinfo.pMappedData, 65536, 2024);
    ASSERT_VK_OK(vmaFlushAllocation(a, sba, 0, VK_WHOLE_SIZE));

    /* Readback: random host access. */
    VkBufferCreateInfo rbi = api_buffer_info(65536, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo readback_ci = {
        .usage = VMA_MEMORY_USAGE_AUTO,
        .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT,
    };
    VkBuffer rb = VK_NULL_HANDLE;
    VmaAllocation rba = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(a, &rbi, &readback_ci, &rb, &rba, NULL));

    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, sb, vb, 0, 0, 65536));
    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, vb, rb, 0, 0, 65536));
    void *p = NULL;
    ASSERT_VK_OK(vmaMapMemory(a, rba, &p));
    ASSERT_VK_OK(vmaInvalidateAllocation(a, rba, 0, VK_WHOLE_SIZE));
    EXPECT_EQ_U64(api_check_pattern(p, 65536, 2024), SIZE_MAX);
    vmaUnmapMemory(a, rba);

    /* The staging data also reads back through vmaCopyAllocationToMemory. */
    static unsigned char back[65536];
    ASSERT_VK_OK(vmaCopyAllocationToMemory(a, sba, 0, back, sizeof back));
    EXPECT_EQ_U64(api_check_pattern(back, sizeof back, 2024), SIZE_MAX);

    VmaTotalStatistics st = api_stats(a);
    EXPECT_EQ(st.total.statistics.allocationCount, 4u);
    vmaDestroyBuffer(a, rb, rba);
    vmaDestroyBuffer(a, sb, sba);
    vmaDestroyImage(a, img, imga);
    vmaDestroyBuffer(a, vb, vba);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

TEST(resource_empty_buffer_or_image_fails_with_initialization_failed)
{
    api_fixture *f = setup_validated(NULL);
    VmaAllocator a = f->allocator;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBufferCreateInfo bci = api_buffer_info(0, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkBuffer b = (VkBuffer)(uintptr_t)0x1;
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    b = (VkBuffer)(uintptr_t)0x1;
    x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED,
              vmaCreateBufferWithAlignment(a, &bci, &ci, 256, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);

    VkImageCreateInfo ici = api_image_info(0, 16, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VkImage img = (VkImage)(uintptr_t)0x1;
    x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateImage(a, &ici, &ci, &img, &x, NULL));
    EXPECT_TRUE(img == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    ici = api_image_info(16, 16, VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_SAMPLED_BIT);
    ici.mipLevels = 0;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateImage(a, &ici, &ci, &img, &x, NULL));
    ici.mipLevels = 1;
    ici.arrayLayers = 0;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vmaCreateImage(a, &ici, &ci, &img, &x, NULL));
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

static PFN_vkGetBufferDeviceAddress
get_bda_fn(const vkm_test_vk *ctx)
{
    PFN_vkGetBufferDeviceAddress fn =
        (PFN_vkGetBufferDeviceAddress)vkGetDeviceProcAddr(ctx->device, "vkGetBufferDeviceAddress");
    if (fn == NULL)
        fn = (PFN_vkGetBufferDeviceAddress)vkGetDeviceProcAddr(ctx->device,
                                                               "vkGetBufferDeviceAddressKHR");
    return fn;
}

TEST(resource_device_address_buffer_memory_has_the_device_address_flag)
{
    api_fixture *f = setup_validated(&(api_setup){.record = true});
    if (!f->ctx.has_bda) {
        api_fixture_teardown(f);
        TEST_SKIP("device has no bufferDeviceAddress");
    }
    ASSERT_TRUE(f->ci.flags & VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT);
    VmaAllocator a = f->allocator;
    PFN_vkGetBufferDeviceAddress gbda = get_bda_fn(&f->ctx);
    ASSERT_TRUE(gbda != NULL);
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                                       VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT);
    for (int dedicated = 0; dedicated < 2; dedicated++) {
        VmaAllocationCreateInfo ci = {
            .usage = VMA_MEMORY_USAGE_AUTO,
            .flags = dedicated ? VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT : 0};
        VkBuffer b = VK_NULL_HANDLE;
        VmaAllocation x = VK_NULL_HANDLE;
        VmaAllocationInfo info;
        ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b, &x, &info));
        const api_alloc_record *r = api_rec_find(&f->rec, info.deviceMemory);
        ASSERT_TRUE(r != NULL);
        EXPECT_TRUE(r->has_flags);
        EXPECT_TRUE(r->flags & VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT);
        EXPECT_LE(api_chain_count_stype(r, VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO), 1u);
        VkBufferDeviceAddressInfo ai = {.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
                                        .buffer = b};
        EXPECT_NE(gbda(f->ctx.device, &ai), 0);
        vmaDestroyBuffer(a, b, x);
    }
    api_fixture_teardown(f);
}

TEST(resource_device_address_buffer_without_the_allocator_flag_fails)
{
    api_fixture *f = setup_validated(&(api_setup){
        .clear_flags = VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT});
    if (!f->ctx.has_bda) {
        api_fixture_teardown(f);
        TEST_SKIP("device has no bufferDeviceAddress");
    }
    VmaAllocator a = f->allocator;
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                                       VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer b = (VkBuffer)(uintptr_t)0x1;
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    api_asserts_begin();
    VkResult r = vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL);
    EXPECT_LE(api_asserts_end(), 1u);
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, r);
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    if (r == VK_SUCCESS)
        vmaDestroyBuffer(a, b, x);
    api_fixture_teardown(f);
}

TEST(resource_create_buffer_with_alignment_honours_min_alignment)
{
    api_fixture *f = setup_validated(&(api_setup){.preferred_large_heap_block_size = 8 * API_MIB});
    VmaAllocator a = f->allocator;
    VkBufferCreateInfo bci = api_buffer_info(1000, VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    /* Something first, so offset 0 is taken. */
    VkBuffer first = VK_NULL_HANDLE;
    VmaAllocation firsta = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &first, &firsta, NULL));
    VkBuffer b[6];
    VmaAllocation x[6];
    for (int i = 0; i < 6; i++) {
        VkDeviceSize align = (VkDeviceSize)1024 << (i * 2); /* 1 KiB .. 1 MiB */
        VmaAllocationInfo info;
        ASSERT_VK_OK(vmaCreateBufferWithAlignment(a, &bci, &ci, align, &b[i], &x[i], &info));
        EXPECT_EQ_U64(info.offset % align, 0);
    }
    /* A smaller minAlignment than the buffer's own still gets the buffer's. */
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(f->ctx.device, first, &req);
    VkBuffer small = VK_NULL_HANDLE;
    VmaAllocation smalla = VK_NULL_HANDLE;
    VmaAllocationInfo si;
    ASSERT_VK_OK(vmaCreateBufferWithAlignment(a, &bci, &ci, 1, &small, &smalla, &si));
    EXPECT_EQ_U64(si.offset % req.alignment, 0);
    /* They are bound and usable. */
    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, first, b[5], 0, 0, 1000));
    vmaDestroyBuffer(a, small, smalla);
    for (int i = 0; i < 6; i++)
        vmaDestroyBuffer(a, b[i], x[i]);
    vmaDestroyBuffer(a, first, firsta);
    api_fixture_teardown(f);
}

TEST(resource_dont_bind_leaves_binding_to_the_caller)
{
    api_fixture *f = setup_validated(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                  .flags = VMA_ALLOCATION_CREATE_DONT_BIND_BIT};
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkBuffer b = VK_NULL_HANDLE, src = VK_NULL_HANDLE;
    VmaAllocation x = VK_NULL_HANDLE, srca = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    EXPECT_EQ(f->rec.bind_buffer_calls, 0u);
    /* Binding it now must be the first binding (a second one is a validation error). */
    ASSERT_VK_OK(vmaBindBufferMemory(a, x, b));
    EXPECT_EQ(f->rec.bind_buffer_calls, 1u);
    VmaAllocationCreateInfo plain = {.usage = VMA_MEMORY_USAGE_AUTO};
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &plain, &src, &srca, NULL));
    EXPECT_EQ(f->rec.bind_buffer_calls, 2u);
    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, src, b, 0, 0, 4096));

    VkImageCreateInfo ici = api_image_info(64, 64, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation imga = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &ci, &img, &imga, NULL));
    EXPECT_EQ(f->rec.bind_image_calls, 0u);
    ASSERT_VK_OK(vmaBindImageMemory(a, imga, img));
    EXPECT_EQ(f->rec.bind_image_calls, 1u);

    vmaDestroyImage(a, img, imga);
    vmaDestroyBuffer(a, src, srca);
    vmaDestroyBuffer(a, b, x);
    api_fixture_teardown(f);
}

TEST(resource_bind_memory2_applies_the_local_offset_and_next_chain)
{
    api_fixture *f = setup_validated(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkBuffer b1 = VK_NULL_HANDLE, b2 = VK_NULL_HANDLE;
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &bci, NULL, &b1));
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &bci, NULL, &b2));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(f->ctx.device, b1, &req);
    const VkDeviceSize local = (req.size + req.alignment - 1) / req.alignment * req.alignment;

    /* One allocation, two buffers: the second at `local` inside it. */
    VkMemoryRequirements both = req;
    both.size = local + req.size;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN,
                                  .requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT};
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaAllocateMemory(a, &both, &ci, &x, NULL));
    ASSERT_VK_OK(vmaBindBufferMemory2(a, x, 0, b1, NULL));
    VkBindBufferMemoryDeviceGroupInfo group = {
        .sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_DEVICE_GROUP_INFO};
    const bool can_chain = f->ctx.api_version >= VK_API_VERSION_1_1;
    ASSERT_VK_OK(vmaBindBufferMemory2(a, x, local, b2, can_chain ? &group : NULL));
    EXPECT_EQ(f->rec.bind_buffer_calls, 2u);

    /* The GPU writes through b2; the bytes land at `local` in the allocation. */
    VkBufferCreateInfo sbi = api_buffer_info(4096, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    VmaAllocationCreateInfo sci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                   .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT};
    VkBuffer src = VK_NULL_HANDLE;
    VmaAllocation srca = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(a, &sbi, &sci, &src, &srca, NULL));
    static unsigned char data[4096], back[4096];
    api_fill_pattern(data, sizeof data, 55);
    ASSERT_VK_OK(vmaCopyMemoryToAllocation(a, data, srca, 0, sizeof data));
    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f->ctx, src, b2, 0, 0, 4096));
    ASSERT_VK_OK(vmaCopyAllocationToMemory(a, x, local, back, sizeof back));
    EXPECT_EQ(memcmp(data, back, sizeof data), 0);

    vmaDestroyBuffer(a, src, srca);
    vkDestroyBuffer(f->ctx.device, b2, NULL);
    vkDestroyBuffer(f->ctx.device, b1, NULL);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(resource_dedicated_memory_names_its_resource_unless_it_can_alias)
{
    api_fixture *f = setup_validated(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaAllocationCreateInfo ded = {.usage = VMA_MEMORY_USAGE_AUTO,
                                   .flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT};
    VkImageCreateInfo ici = api_image_info(256, 256, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT |
                                               VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation imga = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &ded, &img, &imga, &info));
    VmaAllocationInfo2 i2 = api_info2(a, imga);
    EXPECT_TRUE(i2.dedicatedMemory == VK_TRUE);
    EXPECT_EQ_U64(i2.blockSize, info.size);
    EXPECT_EQ_U64(info.offset, 0);
    const api_alloc_record *r = api_rec_find(&f->rec, info.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_dedicated);
    EXPECT_TRUE(r->dedicated_image == img);
    EXPECT_TRUE(r->dedicated_buffer == VK_NULL_HANDLE);
    EXPECT_EQ_U64(r->size, info.size);

    VkBufferCreateInfo bci = api_buffer_info(8192, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkBuffer b = VK_NULL_HANDLE;
    VmaAllocation ba = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ded, &b, &ba, &info));
    r = api_rec_find(&f->rec, info.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_dedicated);
    EXPECT_TRUE(r->dedicated_buffer == b);
    EXPECT_TRUE(r->dedicated_image == VK_NULL_HANDLE);

    /* CAN_ALIAS: the memory may hold other resources later, so it names none. */
    VmaAllocationCreateInfo alias = ded;
    alias.flags |= VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT;
    VkImage img2 = VK_NULL_HANDLE;
    VmaAllocation img2a = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &alias, &img2, &img2a, &info));
    r = api_rec_find(&f->rec, info.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_FALSE(r->has_dedicated);
    EXPECT_TRUE(api_info2(a, img2a).dedicatedMemory == VK_TRUE);

    vmaDestroyImage(a, img2, img2a);
    vmaDestroyBuffer(a, b, ba);
    vmaDestroyImage(a, img, imga);
    api_fixture_teardown(f);
}

TEST(resource_allocate_memory_for_buffer_and_image_then_bind)
{
    api_fixture *f = setup_validated(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VkBufferCreateInfo bci = api_buffer_info(10000, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkBuffer b = VK_NULL_HANDLE, bd = VK_NULL_HANDLE;
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &bci, NULL, &b));
    ASSERT_VK_OK(vkCreateBuffer(f->ctx.device, &bci, NULL, &bd));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(f->ctx.device, b, &req);

    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_ONLY};
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaAllocateMemoryForBuffer(a, b, &ci, &x, &info));
    EXPECT_GE_U64(info.size, req.size);
    EXPECT_EQ_U64(info.offset % req.alignment, 0);
    EXPECT_TRUE(req.memoryTypeBits & (1u << info.memoryType));
    ASSERT_VK_OK(vmaBindBufferMemory(a, x, b));

    /* Dedicated: the memory names the buffer it was made for. */
    VmaAllocationCreateInfo dci = ci;
    dci.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    VmaAllocation xd = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaAllocateMemoryForBuffer(a, bd, &dci, &xd, &info));
    const api_alloc_record *r = api_rec_find(&f->rec, info.deviceMemory);
    ASSERT_TRUE(r != NULL);
    if (f->ctx.has_dedicated_allocation) {
        EXPECT_TRUE(r->has_dedicated);
        EXPECT_TRUE(r->dedicated_buffer == bd);
    }
    ASSERT_VK_OK(vmaBindBufferMemory(a, xd, bd));

    VkImageCreateInfo ici = api_image_info(128, 128, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VkImage img = VK_NULL_HANDLE;
    ASSERT_VK_OK(vkCreateImage(f->ctx.device, &ici, NULL, &img));
    VmaAllocation xi = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaAllocateMemoryForImage(a, img, &ci, &xi, &info));
    ASSERT_VK_OK(vmaBindImageMemory(a, xi, img));
    /* vmaBindImageMemory2 without pNext on a second image. */
    VkImage img2 = VK_NULL_HANDLE;
    ASSERT_VK_OK(vkCreateImage(f->ctx.device, &ici, NULL, &img2));
    VmaAllocation xi2 = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaAllocateMemoryForImage(a, img2, &ci, &xi2, NULL));
    ASSERT_VK_OK(vmaBindImageMemory2(a, xi2, 0, img2, NULL));
    EXPECT_EQ(f->rec.bind_image_calls, 2u);
    EXPECT_EQ(f->rec.bind_buffer_calls, 2u);

    vkDestroyImage(f->ctx.device, img2, NULL);
    vmaFreeMemory(a, xi2);
    vkDestroyImage(f->ctx.device, img, NULL);
    vmaFreeMemory(a, xi);
    vkDestroyBuffer(f->ctx.device, bd, NULL);
    vmaFreeMemory(a, xd);
    vkDestroyBuffer(f->ctx.device, b, NULL);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(resource_destroy_with_null_handles_is_a_no_op)
{
    api_fixture *f = setup_validated(NULL);
    VmaAllocator a = f->allocator;
    vmaDestroyBuffer(a, VK_NULL_HANDLE, VK_NULL_HANDLE);
    vmaDestroyImage(a, VK_NULL_HANDLE, VK_NULL_HANDLE);
    /* Either part alone is destroyed. */
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer b = VK_NULL_HANDLE;
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    vmaDestroyBuffer(a, b, VK_NULL_HANDLE);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 1u);
    vmaDestroyBuffer(a, VK_NULL_HANDLE, x);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

TEST(resource_failed_allocation_leaves_no_buffer_or_image)
{
    api_fixture *f = setup_validated(&(api_setup){.no_allocator = true});
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        limits[i] = 2 * API_MIB; /* every heap */
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBufferCreateInfo bci = api_buffer_info(4 * API_MIB, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkBuffer b = (VkBuffer)(uintptr_t)0x1;
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    VkImageCreateInfo ici = api_image_info(1024, 1024, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VkImage img = (VkImage)(uintptr_t)0x1;
    x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateImage(a, &ici, &ci, &img, &x, NULL));
    EXPECT_TRUE(img == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    api_fixture_teardown(f); /* the layer reports any VkBuffer/VkImage left alive */
}

TEST(resource_failed_bind_frees_the_allocation_and_the_resource)
{
    api_fixture *f = setup_validated(&(api_setup){.use_sim = true, .sim_layout = NULL});
    VmaAllocator a = f->allocator;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    vkm_sim_fail_nth(f->sim, VKM_SIM_BIND_BUFFER_MEMORY, 1);
    VkBuffer b = (VkBuffer)(uintptr_t)0x1;
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    vkm_sim_fail_nth(f->sim, VKM_SIM_BIND_IMAGE_MEMORY, 1);
    VkImageCreateInfo ici = api_image_info(64, 64, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VkImage img = (VkImage)(uintptr_t)0x1;
    x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateImage(a, &ici, &ci, &img, &x, NULL));
    EXPECT_TRUE(img == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    /* Nothing stuck: the next attempt works. */
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    vmaDestroyBuffer(a, b, x);
    api_fixture_teardown(f);
}

TEST(resource_failed_device_allocations_leave_nothing_and_one_failure_is_survived)
{
    api_fixture *f = setup_validated(&(api_setup){.use_sim = true, .sim_layout = NULL});
    VmaAllocator a = f->allocator;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    vkm_sim_fail_every(f->sim, VKM_SIM_ALLOCATE_MEMORY, true);
    VkBuffer b = (VkBuffer)(uintptr_t)0x1;
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    vkm_sim_fail_every(f->sim, VKM_SIM_ALLOCATE_MEMORY, false);
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0u);
    EXPECT_EQ(api_stats(a).total.statistics.blockCount, 0u);

    /* One failed vkAllocateMemory: the allocator tries another size or dedicated memory. */
    vkm_sim_fail_nth(f->sim, VKM_SIM_ALLOCATE_MEMORY, 1);
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &b, &x, NULL));
    EXPECT_GE(vkm_sim_call_count(f->sim, VKM_SIM_ALLOCATE_MEMORY), 2u);
    vmaDestroyBuffer(a, b, x);
    api_fixture_teardown(f);
}

/* Whether two ranges share a page of `granularity` bytes. */
static bool
same_page(VkDeviceSize o1, VkDeviceSize s1, VkDeviceSize o2, VkDeviceSize s2,
          VkDeviceSize granularity)
{
    if (o1 > o2) {
        VkDeviceSize t = o1; o1 = o2; o2 = t;
        t = s1; s1 = s2; s2 = t;
    }
    return (o1 + s1 - 1) / granularity >= o2 / granularity;
}

TEST(resource_buffers_and_optimal_images_respect_buffer_image_granularity)
{
    /* nvidia-h200: granularity 1024, buffers and optimal images both in type 1. */
    api_fixture *f = setup_validated(&(api_setup){.use_sim = true, .sim_layout = "nvidia-h200",
                                                  .preferred_large_heap_block_size =
                                                      4 * API_MIB});
    VmaAllocator a = f->allocator;
    const VkDeviceSize gran = vkm_sim_buffer_image_granularity(f->sim);
    ASSERT_EQ_U64(gran, 1024);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    enum { N = 6 };
    VkImage img[N];
    VkBuffer buf[N];
    VmaAllocation ia[N], ba[N];
    VmaAllocationInfo ii[N], bi[N];
    VkImageCreateInfo ici = api_image_info(8, 8, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VkBufferCreateInfo bci = api_buffer_info(100, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    for (int i = 0; i < N; i++) {
        ASSERT_VK_OK(vmaCreateImage(a, &ici, &ci, &img[i], &ia[i], &ii[i]));
        ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &buf[i], &ba[i], &bi[i]));
    }
    uint32_t shared = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            if (ii[i].deviceMemory != bi[j].deviceMemory)
                continue;
            shared++;
            EXPECT_FALSE(same_page(ii[i].offset, ii[i].size, bi[j].offset, bi[j].size, gran));
        }
    EXPECT_GT(shared, 0u);
    for (int i = 0; i < N; i++) {
        vmaDestroyBuffer(a, buf[i], ba[i]);
        vmaDestroyImage(a, img[i], ia[i]);
    }
    api_fixture_teardown(f);
}

TEST(resource_linear_image_with_host_access_is_mappable)
{
    api_fixture *f = setup_validated(NULL);
    VmaAllocator a = f->allocator;
    VkImageCreateInfo ici = api_image_info(64, 64, VK_IMAGE_TILING_LINEAR,
                                           VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    ici.initialLayout = VK_IMAGE_LAYOUT_PREINITIALIZED;
    VmaAllocationCreateInfo ci = {
        .usage = VMA_MEMORY_USAGE_AUTO,
        .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                 VMA_ALLOCATION_CREATE_MAPPED_BIT,
    };
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    VkResult r = vmaCreateImage(a, &ici, &ci, &img, &x, &info);
    if (r == VK_ERROR_FEATURE_NOT_PRESENT) {
        api_fixture_teardown(f);
        TEST_SKIP("no host-visible memory type accepts linear images");
    }
    ASSERT_VK_OK(r);
    ASSERT_TRUE(info.pMappedData != NULL);
    api_fill_pattern(info.pMappedData, (size_t)info.size, 4);
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(a, x, 0, VK_WHOLE_SIZE));
    vmaDestroyImage(a, img, x);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
