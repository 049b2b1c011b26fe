/* SPDX-License-Identifier: MIT */
/*
 * test_allocator.c - the VmaAllocator object: creation options and what they change.
 *
 * Against VMA 3.3's documented behaviour: allocator info and device properties,
 * pVulkanFunctions NULL or partial (fetched from the loader), Vulkan 1.0 with
 * VK_KHR_dedicated_allocation, pHeapSizeLimit (reported heap size, failures past it),
 * block-size policy (heap/8 on heaps <= 1 GiB, preferredLargeHeapBlockSize above, new
 * blocks at 1/8, 1/4, 1/2 of it, requests over half a block dedicated), one empty block
 * kept (none over budget), pDeviceMemoryCallbacks, pAllocationCallbacks, budgets with and
 * without VK_EXT_memory_budget, statistics identities, EXTERNALLY_SYNCHRONIZED.
 */
#include "api_common.h"

/* Heap-size-limit array with every heap unlimited except `heap`. */
static void
limit_one_heap(VkDeviceSize limits[VK_MAX_MEMORY_HEAPS], uint32_t heap, VkDeviceSize size)
{
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        limits[i] = VK_WHOLE_SIZE;
    limits[heap] = size;
}

/* The context's first memory type (the one raw allocations below use) and its heap. */
static uint32_t
first_type_heap(const api_fixture *f)
{
    return f->ctx.mem_props.memoryTypes[0].heapIndex;
}

/* VMA's preferred block size for the heap of `type` given the allocator options. */
static VkDeviceSize
expected_preferred_block_size(VmaAllocator a, uint32_t type, VkDeviceSize large_heap_block)
{
    const VkPhysicalDeviceMemoryProperties *p = NULL;
    vmaGetMemoryProperties(a, &p);
    VkDeviceSize heap = p->memoryHeaps[p->memoryTypes[type].heapIndex].size;
    VkDeviceSize s = heap <= 1024 * API_MIB ? heap / 8 : large_heap_block;
    return (s + 31) & ~(VkDeviceSize)31;
}

TEST(allocator_info_and_properties_match_the_device)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocatorInfo info;
    memset(&info, 0, sizeof(info));
    vmaGetAllocatorInfo(f->allocator, &info);
    EXPECT_TRUE(info.instance == f->ctx.instance);
    EXPECT_TRUE(info.physicalDevice == f->ctx.physical_device);
    EXPECT_TRUE(info.device == f->ctx.device);

    const VkPhysicalDeviceProperties *props = NULL;
    vmaGetPhysicalDeviceProperties(f->allocator, &props);
    ASSERT_TRUE(props != NULL);
    EXPECT_EQ(props->deviceID, f->ctx.props.deviceID);
    EXPECT_EQ(props->vendorID, f->ctx.props.vendorID);
    EXPECT_EQ_U64(props->limits.nonCoherentAtomSize, f->ctx.props.limits.nonCoherentAtomSize);
    EXPECT_EQ_U64(props->limits.bufferImageGranularity,
                  f->ctx.props.limits.bufferImageGranularity);
    EXPECT_STREQ(props->deviceName, f->ctx.props.deviceName);

    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(f->allocator, &mp);
    ASSERT_TRUE(mp != NULL);
    ASSERT_EQ(mp->memoryTypeCount, f->ctx.mem_props.memoryTypeCount);
    ASSERT_EQ(mp->memoryHeapCount, f->ctx.mem_props.memoryHeapCount);
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        EXPECT_EQ_U64(mp->memoryHeaps[h].size, f->ctx.mem_props.memoryHeaps[h].size);
        EXPECT_EQ(mp->memoryHeaps[h].flags, f->ctx.mem_props.memoryHeaps[h].flags);
    }
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
        EXPECT_EQ(mp->memoryTypes[t].heapIndex, f->ctx.mem_props.memoryTypes[t].heapIndex);
        EXPECT_EQ(mp->memoryTypes[t].propertyFlags, f->ctx.mem_props.memoryTypes[t].propertyFlags);
        VkMemoryPropertyFlags flags = 0xdeadbeef;
        vmaGetMemoryTypeProperties(f->allocator, t, &flags);
        EXPECT_EQ(flags, f->ctx.mem_props.memoryTypes[t].propertyFlags);
    }
    /* The pointers stay valid and stable for the allocator's lifetime. */
    const VkPhysicalDeviceProperties *props2 = NULL;
    vmaGetPhysicalDeviceProperties(f->allocator, &props2);
    EXPECT_TRUE(props2 == props);
    vmaDestroyAllocator(VK_NULL_HANDLE); /* a no-op */
    api_fixture_teardown(f);
}

TEST(allocator_create_without_device_fails_and_reports)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    VmaAllocatorCreateInfo ci = f->ci;
    ci.device = VK_NULL_HANDLE;
    VmaAllocator a = (VmaAllocator)(uintptr_t)0x1;
    api_asserts_begin();
    VkResult r = vmaCreateAllocator(&ci, &a);
    unsigned asserts = api_asserts_end();
    EXPECT_NE(r, VK_SUCCESS);
    EXPECT_TRUE(a == VK_NULL_HANDLE);
    EXPECT_LE(asserts, 1u);
    api_fixture_teardown(f);
}

/* Creates a host-visible buffer, writes and reads it back through a mapping: proves the
 * dispatch table the allocator assembled is complete and usable. */
static void
buffer_round_trip(VmaAllocator a)
{
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    VmaAllocationCreateInfo aci = {
        .usage = VMA_MEMORY_USAGE_AUTO,
        .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT | VMA_ALLOCATION_CREATE_MAPPED_BIT,
    };
    VkBuffer buf = VK_NULL_HANDLE;
    VmaAllocation alloc = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &aci, &buf, &alloc, &info));
    ASSERT_TRUE(info.pMappedData != NULL);
    api_fill_pattern(info.pMappedData, 4096, 7);
    EXPECT_VK(VK_SUCCESS, vmaFlushAllocation(a, alloc, 0, VK_WHOLE_SIZE));
    unsigned char back[4096];
    EXPECT_VK(VK_SUCCESS, vmaCopyAllocationToMemory(a, alloc, 0, back, sizeof back));
    EXPECT_EQ_U64(api_check_pattern(back, sizeof back, 7), SIZE_MAX);
    vmaDestroyBuffer(a, buf, alloc);
}

TEST(allocator_with_null_vulkan_functions_fetches_them_from_the_loader)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.null_functions = true});
    buffer_round_trip(f->allocator);
    VkImageCreateInfo ici = api_image_info(64, 64, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation alloc = VK_NULL_HANDLE;
    EXPECT_VK(VK_SUCCESS, vmaCreateImage(f->allocator, &ici, &aci, &img, &alloc, NULL));
    vmaDestroyImage(f->allocator, img, alloc);
    api_fixture_teardown(f);
}

TEST(allocator_with_only_proc_addr_functions_fetches_the_rest)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    VmaVulkanFunctions fns;
    memset(&fns, 0, sizeof(fns));
    fns.vkGetInstanceProcAddr = vkGetInstanceProcAddr;
    fns.vkGetDeviceProcAddr = vkGetDeviceProcAddr;
    VmaAllocatorCreateInfo ci = f->ci;
    ci.pVulkanFunctions = &fns;
    ASSERT_VK_OK(vmaCreateAllocator(&ci, &f->allocator));
    buffer_round_trip(f->allocator);
    api_fixture_teardown(f);
}

TEST(allocator_vulkan_1_0_with_khr_dedicated_allocation_chains_dedicated_info)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.api_version = VK_API_VERSION_1_0,
                                                    .record = true});
    if (!f->ctx.has_dedicated_allocation) {
        api_fixture_teardown(f);
        TEST_SKIP("device lacks VK_KHR_dedicated_allocation");
    }
    EXPECT_EQ(f->ctx.api_version, VK_API_VERSION_1_0);
    EXPECT_EQ(f->ci.vulkanApiVersion, VK_API_VERSION_1_0);
    EXPECT_TRUE(f->ci.flags & VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT);

    VkBufferCreateInfo bci = api_buffer_info(64 * API_KIB, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                   .flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT};
    VkBuffer buf = VK_NULL_HANDLE;
    VmaAllocation balloc = VK_NULL_HANDLE;
    VmaAllocationInfo binfo;
    ASSERT_VK_OK(vmaCreateBuffer(f->allocator, &bci, &aci, &buf, &balloc, &binfo));
    const api_alloc_record *r = api_rec_find(&f->rec, binfo.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_dedicated);
    EXPECT_TRUE(r->dedicated_buffer == buf);
    EXPECT_TRUE(r->dedicated_image == VK_NULL_HANDLE);
    EXPECT_FALSE(r->has_flags); /* no buffer device address below 1.1 */

    VkImageCreateInfo ici = api_image_info(128, 128, VK_IMAGE_TILING_OPTIMAL,
                                           VK_IMAGE_USAGE_SAMPLED_BIT);
    VkImage img = VK_NULL_HANDLE;
    VmaAllocation ialloc = VK_NULL_HANDLE;
    VmaAllocationInfo iinfo;
    ASSERT_VK_OK(vmaCreateImage(f->allocator, &ici, &aci, &img, &ialloc, &iinfo));
    r = api_rec_find(&f->rec, iinfo.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_TRUE(r->has_dedicated);
    EXPECT_TRUE(r->dedicated_image == img);
    EXPECT_TRUE(r->dedicated_buffer == VK_NULL_HANDLE);

    /* Ordinary block allocations work too. */
    VmaAllocationCreateInfo plain = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer buf2 = VK_NULL_HANDLE;
    VmaAllocation alloc2 = VK_NULL_HANDLE;
    EXPECT_VK(VK_SUCCESS, vmaCreateBuffer(f->allocator, &bci, &plain, &buf2, &alloc2, NULL));
    vmaDestroyBuffer(f->allocator, buf2, alloc2);
    vmaDestroyImage(f->allocator, img, ialloc);
    vmaDestroyBuffer(f->allocator, buf, balloc);
    api_fixture_teardown(f);
}

TEST(allocator_vulkan_1_0_without_the_khr_flag_does_not_chain_dedicated_info)
{
    api_fixture *f = api_fixture_setup(&(api_setup){
        .api_version = VK_API_VERSION_1_0,
        .record = true,
        .clear_flags = VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT});
    EXPECT_FALSE(f->ci.flags & VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT);
    VkBufferCreateInfo bci = api_buffer_info(64 * API_KIB, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                   .flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT};
    VkBuffer buf = VK_NULL_HANDLE;
    VmaAllocation alloc = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaCreateBuffer(f->allocator, &bci, &aci, &buf, &alloc, &info));
    const api_alloc_record *r = api_rec_find(&f->rec, info.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_FALSE(r->has_dedicated);
    EXPECT_TRUE(api_info2(f->allocator, alloc).dedicatedMemory == VK_TRUE);
    vmaDestroyBuffer(f->allocator, buf, alloc);
    api_fixture_teardown(f);
}

TEST(allocator_heap_size_limit_is_reported_as_the_heap_size)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    const uint32_t heap = first_type_heap(f);
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    limit_one_heap(limits, heap, 48 * API_MIB);
    /* A limit above the real size changes nothing that is reported. */
    for (uint32_t h = 0; h < f->ctx.mem_props.memoryHeapCount; h++)
        if (h != heap)
            limits[h] = f->ctx.mem_props.memoryHeaps[h].size * 2;
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));

    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(f->allocator, &mp);
    EXPECT_EQ_U64(mp->memoryHeaps[heap].size, 48 * API_MIB);
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++)
        if (h != heap)
            EXPECT_EQ_U64(mp->memoryHeaps[h].size, f->ctx.mem_props.memoryHeaps[h].size);

    /* The budget estimate (no VK_EXT_memory_budget) follows the limited size. */
    VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(f->allocator, budgets);
    if (!(f->ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT))
        EXPECT_EQ_U64(budgets[heap].budget, 48 * API_MIB * 8 / 10);
    else
        EXPECT_LE_U64(budgets[heap].budget, 48 * API_MIB);
    api_fixture_teardown(f);
}

/* A limit above a heap's real size caps at the real size: it can only lower a heap, as in
 * VMA. On the simulated AMD layout, heap 2 (256 MiB, memory type 2) is given a 1 GiB
 * limit: a third 96 MiB allocation is refused by the allocator itself, before the
 * driver is asked. */
TEST(allocator_heap_size_limit_above_the_heap_caps_at_its_size)
{
    api_fixture *f = api_fixture_setup(
        &(api_setup){.use_sim = true, .sim_layout = "amd-discrete-bar256", .no_allocator = true});
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++)
        limits[h] = VK_WHOLE_SIZE;
    limits[2] = 1024 * API_MIB;
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);
    ASSERT_EQ(mp->memoryTypes[2].heapIndex, 2u);
    EXPECT_EQ_U64(mp->memoryHeaps[2].size, 256 * API_MIB);

    VmaAllocation x[3] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
    for (int i = 0; i < 2; i++)
        ASSERT_VK_OK(api_alloc(a, 96 * API_MIB, 256, 1u << 2,
                               VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &x[i], NULL));
    const uint32_t calls = vkm_sim_call_count(f->sim, VKM_SIM_ALLOCATE_MEMORY);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY,
              api_alloc(a, 96 * API_MIB, 256, 1u << 2, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                        &x[2], NULL));
    EXPECT_TRUE(x[2] == VK_NULL_HANDLE);
    EXPECT_EQ(vkm_sim_call_count(f->sim, VKM_SIM_ALLOCATE_MEMORY), calls);
    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[1]);
    api_fixture_teardown(f);
}

TEST(allocator_heap_size_limit_fails_allocations_past_it)
{
    api_dm_counter dm;
    VmaDeviceMemoryCallbacks dmcb = api_dm_callbacks(&dm);
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    const uint32_t heap = first_type_heap(f);
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    limit_one_heap(limits, heap, 16 * API_MIB);
    f->ci.pHeapSizeLimit = limits;
    f->ci.pDeviceMemoryCallbacks = &dmcb;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    const uint32_t bits = 1u; /* type 0, in `heap` */

    /* Larger than the whole (limited) heap. */
    VmaAllocation big = VK_NULL_HANDLE;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 17 * API_MIB, 256, bits,
                                                      VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                                                      &big, NULL));
    EXPECT_TRUE(big == VK_NULL_HANDLE);

    VmaAllocation x = VK_NULL_HANDLE, y = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 12 * API_MIB, 256, bits, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                           &x, NULL));
    /* 12 + 8 > 16: fails, and leaves nothing behind. */
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY,
              api_alloc(a, 8 * API_MIB, 256, bits, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &y,
                        NULL));
    EXPECT_TRUE(y == VK_NULL_HANDLE);
    /* Also without the dedicated flag: no block of any size fits either. */
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 8 * API_MIB, 256, bits, 0, &y, NULL));
    /* 12 + 4 == 16: exactly at the limit is allowed. */
    VmaAllocation z = VK_NULL_HANDLE;
    EXPECT_VK(VK_SUCCESS, api_alloc(a, 4 * API_MIB, 256, bits,
                                    VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &z, NULL));
    VmaTotalStatistics st = api_stats(a);
    EXPECT_EQ_U64(st.memoryHeap[heap].statistics.blockBytes, z ? 16 * API_MIB : 12 * API_MIB);
    vmaFreeMemory(a, z);
    vmaFreeMemory(a, x);
    /* After freeing, the room is back. */
    EXPECT_VK(VK_SUCCESS, api_alloc(a, 8 * API_MIB, 256, bits,
                                    VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &y, NULL));
    vmaFreeMemory(a, y);
    api_fixture_teardown(f);
    EXPECT_EQ(atomic_load(&dm.allocs), atomic_load(&dm.frees));
    EXPECT_EQ(atomic_load(&dm.allocs), z ? 3u : 2u);
}

/* Allocates `size` blocks of the first memory type until `n_blocks` distinct memory
 * blocks exist; returns their sizes in creation order. */
static void
collect_block_sizes(VmaAllocator a, VkDeviceSize size, uint32_t n_blocks, VkDeviceSize *sizes,
                    VmaAllocation *allocs, uint32_t max_allocs, uint32_t *n_allocs)
{
    VkDeviceMemory seen[16];
    uint32_t n_seen = 0;
    *n_allocs = 0;
    while (n_seen < n_blocks && *n_allocs < max_allocs) {
        VmaAllocation x = VK_NULL_HANDLE;
        /* STRATEGY_MIN_MEMORY bypasses the thread caches: this measures the shared
         * path's block policy, not how runs are carved from it. */
        VkResult r = api_alloc(a, size, 256, 1u, VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT,
                               &x, NULL);
        ASSERT_VK_OK(r);
        allocs[(*n_allocs)++] = x;
        VmaAllocationInfo2 i2 = api_info2(a, x);
        ASSERT_TRUE(i2.dedicatedMemory == VK_FALSE);
        bool known = false;
        for (uint32_t k = 0; k < n_seen; k++)
            known |= seen[k] == i2.allocationInfo.deviceMemory;
        if (!known) {
            seen[n_seen] = i2.allocationInfo.deviceMemory;
            sizes[n_seen] = i2.blockSize;
            n_seen++;
        }
    }
}

TEST(allocator_small_heap_blocks_are_an_eighth_of_the_heap_and_start_smaller)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    const uint32_t heap = first_type_heap(f);
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    limit_one_heap(limits, heap, 64 * API_MIB); /* <= 1 GiB: preferred block = 8 MiB */
    f->ci.pHeapSizeLimit = limits;
    f->ci.preferredLargeHeapBlockSize = 2 * API_MIB; /* must not matter for a small heap */
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    EXPECT_EQ_U64(expected_preferred_block_size(f->allocator, 0, 2 * API_MIB), 8 * API_MIB);

    /* 256 KiB requests: the first blocks are 1/8, 1/4, 1/2 of 8 MiB (each still at least
     * twice the request and larger than every existing block), then 8 MiB. */
    VkDeviceSize sizes[5] = {0};
    VmaAllocation allocs[80];
    uint32_t n = 0;
    collect_block_sizes(f->allocator, 256 * API_KIB, 5, sizes, allocs, 80, &n);
    EXPECT_EQ_U64(sizes[0], 1 * API_MIB);
    EXPECT_EQ_U64(sizes[1], 2 * API_MIB);
    EXPECT_EQ_U64(sizes[2], 4 * API_MIB);
    EXPECT_EQ_U64(sizes[3], 8 * API_MIB);
    EXPECT_EQ_U64(sizes[4], 8 * API_MIB);
    /* Blocks were filled before new ones were made: 4 + 8 + 16 + 32 + 1 requests. */
    EXPECT_EQ(n, 61u);
    VmaTotalStatistics st = api_stats(f->allocator);
    EXPECT_EQ(st.memoryType[0].statistics.blockCount, 5u);
    EXPECT_EQ_U64(st.memoryType[0].statistics.blockBytes, 23 * API_MIB);
    EXPECT_EQ_U64(st.memoryType[0].statistics.allocationBytes, (VkDeviceSize)n * 256 * API_KIB);
    for (uint32_t i = 0; i < n; i++)
        vmaFreeMemory(f->allocator, allocs[i]);
    api_fixture_teardown(f);
}

TEST(allocator_large_heap_uses_preferred_large_heap_block_size)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    const uint32_t heap = first_type_heap(f);
    if (f->ctx.mem_props.memoryHeaps[heap].size <= 1024 * API_MIB) {
        api_fixture_teardown(f);
        TEST_SKIP("heap of memory type 0 is not larger than 1 GiB");
    }
    f->ci.preferredLargeHeapBlockSize = 4 * API_MIB;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;

    /* First block for a small request: 1/8 of the preferred size. */
    VmaAllocation small = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 64 * API_KIB, 256, 1u, 0, &small, NULL));
    VmaAllocationInfo2 i2 = api_info2(a, small);
    EXPECT_TRUE(i2.dedicatedMemory == VK_FALSE);
    EXPECT_EQ_U64(i2.blockSize, 512 * API_KIB);

    /* Exactly half the preferred size still goes to a block: the new block may not be
     * smaller than twice the request, so it is the full 4 MiB. */
    VmaAllocation half = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 2 * API_MIB, 256, 1u, 0, &half, NULL));
    i2 = api_info2(a, half);
    EXPECT_TRUE(i2.dedicatedMemory == VK_FALSE);
    EXPECT_EQ_U64(i2.blockSize, 4 * API_MIB);

    /* More than half the preferred size: dedicated memory of exactly the request. */
    VmaAllocation big = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 2 * API_MIB + 256, 256, 1u, 0, &big, NULL));
    i2 = api_info2(a, big);
    EXPECT_TRUE(i2.dedicatedMemory == VK_TRUE);
    EXPECT_EQ_U64(i2.blockSize, 2 * API_MIB + 256);
    EXPECT_EQ_U64(i2.allocationInfo.offset, 0);
    EXPECT_EQ_U64(i2.allocationInfo.size, 2 * API_MIB + 256);

    /* Larger than a whole block: dedicated as well. */
    VmaAllocation huge = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 6 * API_MIB, 256, 1u, 0, &huge, NULL));
    EXPECT_TRUE(api_info2(a, huge).dedicatedMemory == VK_TRUE);

    vmaFreeMemory(a, huge);
    vmaFreeMemory(a, big);
    vmaFreeMemory(a, half);
    vmaFreeMemory(a, small);
    api_fixture_teardown(f);
}

TEST(allocator_default_large_heap_block_size_is_256_mib)
{
    api_fixture *f = api_fixture_setup(NULL); /* preferredLargeHeapBlockSize 0 */
    if (f->ctx.mem_props.memoryHeaps[first_type_heap(f)].size <= 1024 * API_MIB) {
        api_fixture_teardown(f);
        TEST_SKIP("heap of memory type 0 is not larger than 1 GiB");
    }
    EXPECT_EQ_U64(expected_preferred_block_size(f->allocator, 0, 256 * API_MIB), 256 * API_MIB);
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(f->allocator, 4096, 256, 1u, 0, &x, NULL));
    EXPECT_EQ_U64(api_info2(f->allocator, x).blockSize, 32 * API_MIB); /* 1/8 of 256 MiB */
    vmaFreeMemory(f->allocator, x);
    api_fixture_teardown(f);
}

TEST(allocator_keeps_one_empty_block_after_frees)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true, .no_allocator = true});
    if (f->ctx.mem_props.memoryHeaps[first_type_heap(f)].size <= 1024 * API_MIB) {
        api_fixture_teardown(f);
        TEST_SKIP("heap of memory type 0 is not larger than 1 GiB");
    }
    f->ci.preferredLargeHeapBlockSize = 4 * API_MIB;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;

    /* a: 256 KiB in a new 512 KiB block; b: 384 KiB does not fit beside it, new block. */
    VmaAllocation x = VK_NULL_HANDLE, y = VK_NULL_HANDLE;
    /* the shared path's policy: MIN_MEMORY keeps x out of the thread cache */
    const VmaAllocationCreateFlags shared = VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT;
    ASSERT_VK_OK(api_alloc(a, 256 * API_KIB, 256, 1u, shared, &x, NULL));
    ASSERT_VK_OK(api_alloc(a, 384 * API_KIB, 256, 1u, shared, &y, NULL));
    VmaAllocationInfo2 ix = api_info2(a, x), iy = api_info2(a, y);
    EXPECT_TRUE(ix.allocationInfo.deviceMemory != iy.allocationInfo.deviceMemory);
    EXPECT_EQ(api_stats(a).total.statistics.blockCount, 2u);
    EXPECT_EQ(f->rec.live_memory, 2u);

    vmaFreeMemory(a, x); /* first empty block: kept */
    EXPECT_EQ(api_stats(a).total.statistics.blockCount, 2u);
    EXPECT_EQ(f->rec.live_memory, 2u);
    vmaFreeMemory(a, y); /* a second empty block: one of them goes */
    VmaTotalStatistics st = api_stats(a);
    EXPECT_EQ(st.total.statistics.blockCount, 1u);
    EXPECT_EQ(st.total.statistics.allocationCount, 0u);
    EXPECT_EQ(f->rec.live_memory, 1u);

    /* The kept block serves the next request without a new vkAllocateMemory. */
    const uint32_t calls = f->rec.alloc_calls;
    ASSERT_VK_OK(api_alloc(a, 128 * API_KIB, 256, 1u, 0, &x, NULL));
    EXPECT_EQ(f->rec.alloc_calls, calls);
    vmaFreeMemory(a, x);
    EXPECT_EQ(api_stats(a).total.statistics.blockCount, 1u);
    api_fixture_teardown(f);
}

TEST(allocator_releases_an_emptied_block_when_over_budget)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true, .no_allocator = true,
                                                    .clear_flags =
                                                        VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT});
    const uint32_t heap = first_type_heap(f);
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    /* 8 MiB heap: 1 MiB blocks, budget 80 % = 6.4 MiB */
    limit_one_heap(limits, heap, 8 * API_MIB);
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;

    VmaAllocation x[4] = {0};
    for (int i = 0; i < 4; i++)
        ASSERT_VK_OK(api_alloc(a, 512 * API_KIB, 256, 1u, 0, &x[i], NULL));
    VmaTotalStatistics st = api_stats(a);
    EXPECT_EQ(st.total.statistics.blockCount, 2u);
    EXPECT_EQ_U64(st.total.statistics.blockBytes, 2 * API_MIB);
    ASSERT_TRUE(api_info2(a, x[0]).allocationInfo.deviceMemory ==
                api_info2(a, x[1]).allocationInfo.deviceMemory);
    ASSERT_TRUE(api_info2(a, x[2]).allocationInfo.deviceMemory ==
                api_info2(a, x[3]).allocationInfo.deviceMemory);

    /* Push usage over the budget: 2 + 5 = 7 MiB >= 6.4 MiB. */
    VmaAllocation ded = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 5 * API_MIB, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                           &ded, NULL));
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    ASSERT_GE(b[heap].usage, b[heap].budget);

    /* Over budget, a block that becomes empty is released at once. */
    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[1]);
    st = api_stats(a);
    EXPECT_EQ(st.total.statistics.blockCount, 2u); /* the other block + the dedicated one */
    EXPECT_EQ_U64(st.total.statistics.blockBytes, 6 * API_MIB);
    EXPECT_EQ(f->rec.live_memory, 2u);

    /* Under budget again, the last emptied block is kept. */
    vmaFreeMemory(a, ded);
    vmaFreeMemory(a, x[2]);
    vmaFreeMemory(a, x[3]);
    st = api_stats(a);
    EXPECT_EQ(st.total.statistics.blockCount, 1u);
    EXPECT_EQ(st.total.statistics.allocationCount, 0u);
    EXPECT_EQ(f->rec.live_memory, 1u);
    api_fixture_teardown(f);
}

static api_dm_counter *dm_expected_user;
static atomic_uint dm_wrong_user;

static void VKAPI_PTR
dm_checked_alloc(VmaAllocator allocator, uint32_t type, VkDeviceMemory memory, VkDeviceSize size,
                 void *user)
{
    if (user != dm_expected_user)
        atomic_fetch_add(&dm_wrong_user, 1);
    EXPECT_TRUE(memory != VK_NULL_HANDLE);
    api_dm_alloc_cb(allocator, type, memory, size, dm_expected_user);
}

static void VKAPI_PTR
dm_checked_free(VmaAllocator allocator, uint32_t type, VkDeviceMemory memory, VkDeviceSize size,
                void *user)
{
    if (user != dm_expected_user)
        atomic_fetch_add(&dm_wrong_user, 1);
    EXPECT_TRUE(memory != VK_NULL_HANDLE);
    api_dm_free_cb(allocator, type, memory, size, dm_expected_user);
}

TEST(allocator_device_memory_callbacks_see_every_block_and_balance)
{
    api_dm_counter dm;
    VmaDeviceMemoryCallbacks cb = api_dm_callbacks(&dm);
    cb.pfnAllocate = dm_checked_alloc;
    cb.pfnFree = dm_checked_free;
    dm_expected_user = &dm;
    atomic_store(&dm_wrong_user, 0);
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true, .no_allocator = true});
    f->ci.pDeviceMemoryCallbacks = &cb;
    f->ci.preferredLargeHeapBlockSize = 4 * API_MIB;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    dm.expected_allocator = f->allocator;
    VmaAllocator a = f->allocator;
    EXPECT_EQ(atomic_load(&dm.allocs), 0u);

    VmaAllocation s[3] = {0}, ded = VK_NULL_HANDLE, p = VK_NULL_HANDLE;
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(api_alloc(a, 16 * API_KIB, 256, 1u, 0, &s[i], NULL));
    ASSERT_VK_OK(api_alloc(a, 300 * API_KIB, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                           &ded, NULL));
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = API_MIB, .minBlockCount = 1};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocationCreateInfo aci = {.pool = pool};
    VkMemoryRequirements req = api_mem_req(4096, 256, 1u);
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &aci, &p, NULL));

    /* One block (shared by the three), the dedicated memory, the pool's block. */
    EXPECT_EQ(atomic_load(&dm.allocs), 3u);
    EXPECT_EQ(atomic_load(&dm.allocs), f->rec.alloc_calls);
    EXPECT_EQ(dm.type_allocs[0], 3u);
    const VkDeviceSize expect_bytes = api_info2(a, s[0]).blockSize + 300 * API_KIB + API_MIB;
    EXPECT_EQ_U64(atomic_load(&dm.alloc_bytes), expect_bytes);
    EXPECT_EQ(atomic_load(&dm.frees), 0u);

    vmaFreeMemory(a, ded); /* dedicated memory is freed at once */
    EXPECT_EQ(atomic_load(&dm.frees), 1u);
    EXPECT_EQ_U64(atomic_load(&dm.free_bytes), 300 * API_KIB);
    vmaFreeMemory(a, p);
    vmaDestroyPool(a, pool);
    EXPECT_EQ(atomic_load(&dm.frees), 2u);
    for (int i = 0; i < 3; i++)
        vmaFreeMemory(a, s[i]);
    vmaDestroyAllocator(a);
    f->allocator = VK_NULL_HANDLE;
    EXPECT_EQ(atomic_load(&dm.frees), atomic_load(&dm.allocs));
    EXPECT_EQ_U64(atomic_load(&dm.free_bytes), atomic_load(&dm.alloc_bytes));
    EXPECT_EQ(f->rec.free_calls, f->rec.alloc_calls);
    EXPECT_EQ(atomic_load(&dm.wrong_allocator), 0u);
    EXPECT_EQ(atomic_load(&dm_wrong_user), 0u);
    api_fixture_teardown(f);
}

TEST(allocator_host_callbacks_receive_the_allocators_host_memory)
{
    api_host_counter hc;
    VkAllocationCallbacks cb = api_host_callbacks(&hc);
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    f->ci.pAllocationCallbacks = &cb;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    /* The allocator object itself lives in callback memory. */
    EXPECT_GT(atomic_load(&hc.live), 0);

    /* A VmaAllocation and its name are host memory too. */
    long before = atomic_load(&hc.total_allocs);
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 4096, 256, api_all_types(a), 0, &x, NULL));
    EXPECT_GT(atomic_load(&hc.total_allocs), before);
    long live = atomic_load(&hc.live);
    vmaSetAllocationName(a, x, "a name that needs a copy");
    EXPECT_EQ(atomic_load(&hc.live), live + 1);
    vmaSetAllocationName(a, x, NULL);
    EXPECT_EQ(atomic_load(&hc.live), live);

    /* Buffers and images the allocator creates get the callbacks as well (Vulkan may or
     * may not use them, so only the balance is checked). */
    VkBufferCreateInfo bci = api_buffer_info(8192, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO};
    VkBuffer buf = VK_NULL_HANDLE;
    VmaAllocation balloc = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &aci, &buf, &balloc, NULL));
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 256 * API_KIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    vmaSetPoolName(a, pool, "pool");

    vmaDestroyPool(a, pool);
    vmaDestroyBuffer(a, buf, balloc);
    vmaFreeMemory(a, x);
    vmaDestroyAllocator(a);
    f->allocator = VK_NULL_HANDLE;
    EXPECT_EQ(atomic_load(&hc.live), 0);
    EXPECT_EQ(atomic_load(&hc.live_bytes), 0);
    EXPECT_EQ(atomic_load(&hc.bad_alignment), 0);
    EXPECT_EQ(atomic_load(&hc.total_allocs), atomic_load(&hc.total_frees));
    api_fixture_teardown(f);
}

TEST(allocator_host_allocation_failures_return_out_of_host_memory_without_leaks)
{
    api_host_counter hc;
    VkAllocationCallbacks cb = api_host_callbacks(&hc);
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true, .validation = -1,
                                                    .driver_errors_expected = true});
    f->ci.pAllocationCallbacks = &cb;
    f->ci.preferredLargeHeapBlockSize = 4 * API_MIB;

    /* vmaCreateAllocator: fail the n-th host allocation until creation needs fewer. */
    bool created = false;
    int create_failures = 0;
    for (long n = 1; n < 200 && !created; n++) {
        atomic_store(&hc.calls, 0);
        atomic_store(&hc.fail_at, n);
        VmaAllocator a = (VmaAllocator)(uintptr_t)0x1;
        VkResult r = vmaCreateAllocator(&f->ci, &a);
        atomic_store(&hc.fail_at, 0);
        if (r == VK_SUCCESS) {
            created = true;
            vmaDestroyAllocator(a);
        } else {
            EXPECT_VK(VK_ERROR_OUT_OF_HOST_MEMORY, r);
            EXPECT_TRUE(a == VK_NULL_HANDLE);
            create_failures++;
        }
        EXPECT_EQ(atomic_load(&hc.live), 0);
    }
    EXPECT_TRUE(created);
    EXPECT_GT(create_failures, 0);

    /* vmaAllocateMemory (first one: makes a block) and vmaCreatePool. */
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    /* A thread whose cache cannot be created still allocates (through the allocator's
     * fallback cache); then give this thread its cache, so the sweep below reaches the
     * allocation's own host allocations. */
    {
        VmaAllocation w = VK_NULL_HANDLE;
        atomic_store(&hc.calls, 0);
        atomic_store(&hc.fail_at, 1);
        EXPECT_VK(VK_SUCCESS, api_alloc(a, 4096, 256, 1u, 0, &w, NULL));
        EXPECT_TRUE(atomic_load(&hc.failed) != 0);
        atomic_store(&hc.fail_at, 0);
        atomic_store(&hc.failed, 0);
        vmaFreeMemory(a, w);
    }
    bool done = false;
    int alloc_failures = 0, pool_failures = 0;
    for (long n = 1; n < 200 && !done; n++) {
        atomic_store(&hc.calls, 0);
        atomic_store(&hc.fail_at, n);
        VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
        VkResult r = api_alloc(a, 4096, 256, 1u, 0, &x, NULL);
        VmaPool pool = (VmaPool)(uintptr_t)0x1;
        VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 64 * API_KIB,
                                 .minBlockCount = 2};
        VkResult rp = VK_ERROR_UNKNOWN;
        if (r == VK_SUCCESS)
            rp = vmaCreatePool(a, &pci, &pool);
        bool failed = atomic_load(&hc.failed) != 0;
        atomic_store(&hc.fail_at, 0);
        atomic_store(&hc.failed, 0);
        if (r != VK_SUCCESS) {
            EXPECT_VK(VK_ERROR_OUT_OF_HOST_MEMORY, r);
            EXPECT_TRUE(x == VK_NULL_HANDLE);
            alloc_failures++;
        } else {
            if (rp == VK_SUCCESS) {
                vmaDestroyPool(a, pool);
                done = !failed;
            } else {
                EXPECT_VK(VK_ERROR_OUT_OF_HOST_MEMORY, rp);
                EXPECT_TRUE(pool == VK_NULL_HANDLE);
                pool_failures++;
            }
            vmaFreeMemory(a, x);
        }
        EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    }
    EXPECT_TRUE(done);
    EXPECT_GT(alloc_failures, 0);
    EXPECT_GT(pool_failures, 0);
    vmaDestroyAllocator(a);
    f->allocator = VK_NULL_HANDLE;
    EXPECT_EQ(atomic_load(&hc.live), 0);
    api_fixture_teardown(f);
}

TEST(allocator_budget_without_extension_is_80_percent_of_heap_and_usage_is_block_bytes)
{
    api_fixture *f = api_fixture_setup(&(api_setup){
        .clear_flags = VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT,
        .preferred_large_heap_block_size = 4 * API_MIB});
    VmaAllocator a = f->allocator;
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        EXPECT_EQ_U64(b[h].budget, mp->memoryHeaps[h].size * 8 / 10);
        EXPECT_EQ_U64(b[h].usage, 0);
        EXPECT_EQ(b[h].statistics.blockCount, 0u);
        EXPECT_EQ(b[h].statistics.allocationCount, 0u);
    }

    const uint32_t heap = mp->memoryTypes[0].heapIndex;
    VmaAllocation x = VK_NULL_HANDLE, y = VK_NULL_HANDLE, z = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 64 * API_KIB, 256, 1u, 0, &x, NULL));
    ASSERT_VK_OK(api_alloc(a, 32 * API_KIB, 256, 1u, 0, &y, NULL));
    ASSERT_VK_OK(api_alloc(a, 1 * API_MIB, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                           &z, NULL));
    const VkDeviceSize block = api_info2(a, x).blockSize;
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[heap].statistics.blockBytes, block + API_MIB);
    EXPECT_EQ(b[heap].statistics.blockCount, 2u);
    EXPECT_EQ(b[heap].statistics.allocationCount, 3u);
    EXPECT_EQ_U64(b[heap].statistics.allocationBytes, 96 * API_KIB + API_MIB);
    EXPECT_EQ_U64(b[heap].usage, b[heap].statistics.blockBytes);
    EXPECT_EQ_U64(b[heap].budget, mp->memoryHeaps[heap].size * 8 / 10);

    vmaFreeMemory(a, z);
    vmaFreeMemory(a, y);
    vmaFreeMemory(a, x);
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ(b[heap].statistics.allocationCount, 0u);
    EXPECT_EQ_U64(b[heap].statistics.allocationBytes, 0);
    EXPECT_EQ_U64(b[heap].usage, b[heap].statistics.blockBytes); /* the kept empty block */
    api_fixture_teardown(f);
}

TEST(allocator_budget_with_extension_follows_the_driver)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.use_sim = true,
                                                    .sim_layout = "intel-igpu-nonllc",
                                                    .preferred_large_heap_block_size = 4 * API_MIB});
    ASSERT_TRUE(f->ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT);
    VmaAllocator a = f->allocator;
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].budget, vkm_sim_heap_budget(f->sim, 0));
    EXPECT_EQ_U64(b[0].usage, vkm_sim_heap_usage(f->sim, 0));

    VmaAllocation x = VK_NULL_HANDLE, y = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 64 * API_KIB, 256, 1u, 0, &x, NULL));
    ASSERT_VK_OK(api_alloc(a, 3 * API_MIB, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                           &y, NULL));
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].usage, vkm_sim_heap_usage(f->sim, 0));
    EXPECT_EQ_U64(b[0].statistics.blockBytes, vkm_sim_heap_usage(f->sim, 0));

    /* A new budget from the driver is seen after vmaSetCurrentFrameIndex. */
    vkm_sim_set_heap_budget(f->sim, 0, 100 * API_MIB);
    vmaSetCurrentFrameIndex(a, 1);
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].budget, 100 * API_MIB);
    EXPECT_EQ_U64(b[0].usage, vkm_sim_heap_usage(f->sim, 0));

    /* VMA's guards against bogus driver values: 0 -> 80 % of the heap, above the heap
     * -> the heap size. */
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);
    vkm_sim_set_heap_budget(f->sim, 0, 0);
    vmaSetCurrentFrameIndex(a, 2);
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].budget, mp->memoryHeaps[0].size * 8 / 10);
    vkm_sim_set_heap_budget(f->sim, 0, mp->memoryHeaps[0].size * 2);
    vmaSetCurrentFrameIndex(a, 3);
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].budget, mp->memoryHeaps[0].size);
    /* Any frame index is a frame index (VMA 3.x reserves none): UINT32_MAX refreshes too. */
    vkm_sim_set_heap_budget(f->sim, 0, 90 * API_MIB);
    api_asserts_begin();
    vmaSetCurrentFrameIndex(a, UINT32_MAX);
    EXPECT_EQ(api_asserts_end(), 0u);
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].budget, 90 * API_MIB);

    vmaFreeMemory(a, y);
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].usage, vkm_sim_heap_usage(f->sim, 0));
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

/* Inside the device-memory callbacks the block is part of the budget's statistics, as
 * in VMA (counted before pfnAllocate, uncounted after pfnFree), and the callbacks may ask
 * for budgets even while vmaDestroyAllocator frees the last blocks. */
typedef struct budget_probe {
    VmaAllocator allocator; /* NULL until created: the callbacks of creation are skipped */
    uint32_t heap;
    uint32_t allocs, frees;
    uint32_t blocks_seen_in_alloc, blocks_seen_in_free;
} budget_probe;

static uint32_t
probe_block_count(VmaAllocator a, const budget_probe *p)
{
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    return b[p->heap].statistics.blockCount;
}

static void VKAPI_PTR
probe_alloc(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)type, (void)mem, (void)size;
    budget_probe *p = user;
    p->allocs++;
    p->blocks_seen_in_alloc = probe_block_count(a, p);
}

static void VKAPI_PTR
probe_free(VmaAllocator a, uint32_t type, VkDeviceMemory mem, VkDeviceSize size, void *user)
{
    (void)type, (void)mem, (void)size;
    budget_probe *p = user;
    p->frees++;
    p->blocks_seen_in_free = probe_block_count(a, p);
}

TEST(allocator_device_memory_callbacks_see_the_block_in_the_budget)
{
    budget_probe probe = {0};
    const VmaDeviceMemoryCallbacks cb = {probe_alloc, probe_free, &probe};
    api_fixture *f = api_fixture_setup(&(api_setup){.no_allocator = true});
    probe.heap = first_type_heap(f);
    f->ci.pDeviceMemoryCallbacks = &cb;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(
        api_alloc(a, 64 * API_KIB, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &x, NULL));
    EXPECT_EQ(probe.allocs, 1u);
    EXPECT_EQ(probe.blocks_seen_in_alloc, 1u);
    vmaFreeMemory(a, x);
    EXPECT_EQ(probe.frees, 1u);
    EXPECT_EQ(probe.blocks_seen_in_free, 1u);
    /* a block the default pool keeps, freed by vmaDestroyAllocator itself */
    ASSERT_VK_OK(api_alloc(a, 4 * API_KIB, 256, 1u, 0, &x, NULL));
    vmaFreeMemory(a, x);
    const uint32_t frees = probe.frees;
    vmaDestroyAllocator(a);
    f->allocator = VK_NULL_HANDLE;
    EXPECT_GT(probe.frees, frees);
    api_fixture_teardown(f);
}

static void
expect_stats_equal(const VmaStatistics *x, const VmaStatistics *y)
{
    EXPECT_EQ(x->blockCount, y->blockCount);
    EXPECT_EQ(x->allocationCount, y->allocationCount);
    EXPECT_EQ_U64(x->blockBytes, y->blockBytes);
    EXPECT_EQ_U64(x->allocationBytes, y->allocationBytes);
}

TEST(allocator_statistics_identities_hold)
{
    api_fixture *f = api_fixture_setup(&(api_setup){
        .clear_flags = VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT,
        .preferred_large_heap_block_size = 4 * API_MIB});
    VmaAllocator a = f->allocator;
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);

    VmaTotalStatistics st = api_stats(a);
    EXPECT_EQ(st.total.statistics.blockCount, 0u);
    EXPECT_EQ(st.total.statistics.allocationCount, 0u);
    EXPECT_EQ_U64(st.total.allocationSizeMin, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(st.total.allocationSizeMax, 0);
    EXPECT_EQ_U64(st.total.unusedRangeSizeMin, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(st.total.unusedRangeSizeMax, 0);
    EXPECT_EQ(st.total.unusedRangeCount, 0u);

    /* Sizes and alignments chosen so no padding arises: byte counts are exact. */
    VmaAllocation s[3] = {0}, ded = VK_NULL_HANDLE;
    const VkDeviceSize sizes[3] = {64 * API_KIB, 128 * API_KIB, 256 * API_KIB};
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(api_alloc(a, sizes[i], 256, 1u, 0, &s[i], NULL));
    ASSERT_VK_OK(api_alloc(a, API_MIB, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &ded,
                           NULL));
    const VkDeviceSize block = api_info2(a, s[0]).blockSize;
    ASSERT_TRUE(api_info2(a, s[2]).allocationInfo.deviceMemory ==
                api_info2(a, s[0]).allocationInfo.deviceMemory);

    st = api_stats(a);
    const VmaDetailedStatistics *t = &st.total;
    EXPECT_EQ(t->statistics.blockCount, 2u);
    EXPECT_EQ(t->statistics.allocationCount, 4u);
    EXPECT_EQ_U64(t->statistics.blockBytes, block + API_MIB);
    EXPECT_EQ_U64(t->statistics.allocationBytes, 448 * API_KIB + API_MIB);
    EXPECT_LE_U64(t->statistics.allocationBytes, t->statistics.blockBytes);
    EXPECT_EQ_U64(t->allocationSizeMin, 64 * API_KIB);
    EXPECT_EQ_U64(t->allocationSizeMax, API_MIB);
    EXPECT_GE(t->unusedRangeCount, 1u);
    EXPECT_LE_U64(t->unusedRangeSizeMax, block - 448 * API_KIB);
    EXPECT_LE_U64(t->unusedRangeSizeMin, t->unusedRangeSizeMax);

    /* total == sum of heaps == sum of types; each type lands in its heap */
    VmaDetailedStatistics heaps_sum = {0}, types_sum = {0};
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        heaps_sum.statistics.blockCount += st.memoryHeap[h].statistics.blockCount;
        heaps_sum.statistics.allocationCount += st.memoryHeap[h].statistics.allocationCount;
        heaps_sum.statistics.blockBytes += st.memoryHeap[h].statistics.blockBytes;
        heaps_sum.statistics.allocationBytes += st.memoryHeap[h].statistics.allocationBytes;
        heaps_sum.unusedRangeCount += st.memoryHeap[h].unusedRangeCount;
        VmaStatistics of_types = {0};
        for (uint32_t ty = 0; ty < mp->memoryTypeCount; ty++) {
            if (mp->memoryTypes[ty].heapIndex != h)
                continue;
            of_types.blockCount += st.memoryType[ty].statistics.blockCount;
            of_types.allocationCount += st.memoryType[ty].statistics.allocationCount;
            of_types.blockBytes += st.memoryType[ty].statistics.blockBytes;
            of_types.allocationBytes += st.memoryType[ty].statistics.allocationBytes;
        }
        expect_stats_equal(&of_types, &st.memoryHeap[h].statistics);
    }
    for (uint32_t ty = 0; ty < mp->memoryTypeCount; ty++) {
        types_sum.statistics.blockCount += st.memoryType[ty].statistics.blockCount;
        types_sum.statistics.allocationBytes += st.memoryType[ty].statistics.allocationBytes;
    }
    expect_stats_equal(&heaps_sum.statistics, &t->statistics);
    EXPECT_EQ(heaps_sum.unusedRangeCount, t->unusedRangeCount);
    EXPECT_EQ(types_sum.statistics.blockCount, t->statistics.blockCount);
    EXPECT_EQ_U64(types_sum.statistics.allocationBytes, t->statistics.allocationBytes);
    /* Types and heaps with nothing report the empty-set values. */
    for (uint32_t ty = 1; ty < mp->memoryTypeCount; ty++) {
        EXPECT_EQ(st.memoryType[ty].statistics.allocationCount, 0u);
        EXPECT_EQ_U64(st.memoryType[ty].allocationSizeMin, VK_WHOLE_SIZE);
    }

    /* Budgets carry the same per-heap statistics. */
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        expect_stats_equal(&b[h].statistics, &st.memoryHeap[h].statistics);
        EXPECT_EQ_U64(b[h].usage, st.memoryHeap[h].statistics.blockBytes);
    }

    vmaFreeMemory(a, ded);
    for (int i = 0; i < 3; i++)
        vmaFreeMemory(a, s[i]);
    st = api_stats(a);
    EXPECT_EQ(st.total.statistics.allocationCount, 0u);
    EXPECT_EQ_U64(st.total.statistics.allocationBytes, 0);
    EXPECT_EQ_U64(st.total.allocationSizeMin, VK_WHOLE_SIZE);
    EXPECT_EQ_U64(st.total.allocationSizeMax, 0);
    EXPECT_EQ(st.total.statistics.blockCount, 1u); /* the kept empty block */
    EXPECT_EQ(st.total.unusedRangeCount, 1u);
    EXPECT_EQ_U64(st.total.unusedRangeSizeMin, block);
    EXPECT_EQ_U64(st.total.unusedRangeSizeMax, block);
    api_fixture_teardown(f);
}

TEST(allocator_externally_synchronized_allocates_maps_and_frees)
{
    api_fixture *f = api_fixture_setup(&(api_setup){
        .add_flags = VMA_ALLOCATOR_CREATE_EXTERNALLY_SYNCHRONIZED_BIT});
    buffer_round_trip(f->allocator);
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(f->allocator, 1000, 64, api_all_types(f->allocator), 0, &x, NULL));
    vmaFreeMemory(f->allocator, x);
    vmaSetCurrentFrameIndex(f->allocator, 5);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
