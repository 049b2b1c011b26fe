/* SPDX-License-Identifier: MIT */
/*
 * test_alloc.c - raw allocation: vmaAllocateMemory / vmaAllocateMemoryPages / vmaFreeMemory*,
 * allocation info, user data and names, and the VmaAllocationCreateInfo flags that steer
 * where memory comes from.
 *
 * Against VMA 3.3's documented behaviour: info of a fresh allocation equals
 * vmaGetAllocationInfo; VmaAllocationInfo2 blockSize / dedicatedMemory; DEDICATED_MEMORY;
 * alignment; NEVER_ALLOCATE (only existing blocks); WITHIN_BUDGET (pHeapSizeLimit's and a
 * driver budget); pages are all-or-nothing; pUserData vs USER_DATA_COPY_STRING (a private
 * copy in pName); vmaSetAllocationName copies; memory-type choice for the legacy usages,
 * requiredFlags / preferredFlags / memoryTypeBits; STRATEGY_MIN_OFFSET; error codes; and
 * many threads allocating and freeing at once (run under TSan).
 */
#include "api_common.h"

TEST(alloc_memory_info_matches_get_allocation_info)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaAllocationInfo info;
    memset(&info, 0xcd, sizeof(info));
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 1000, 256, api_all_types(a), 0, &x, &info));
    ASSERT_TRUE(x != VK_NULL_HANDLE);
    EXPECT_EQ_U64(info.size, 1000);
    EXPECT_EQ_U64(info.offset % 256, 0);
    EXPECT_TRUE(info.deviceMemory != VK_NULL_HANDLE);
    EXPECT_LT(info.memoryType, f->ctx.mem_props.memoryTypeCount);
    EXPECT_TRUE(info.pMappedData == NULL);
    EXPECT_TRUE(info.pUserData == NULL);
    EXPECT_TRUE(info.pName == NULL);

    VmaAllocationInfo again;
    memset(&again, 0xab, sizeof(again));
    vmaGetAllocationInfo(a, x, &again);
    EXPECT_EQ(again.memoryType, info.memoryType);
    EXPECT_TRUE(again.deviceMemory == info.deviceMemory);
    EXPECT_EQ_U64(again.offset, info.offset);
    EXPECT_EQ_U64(again.size, info.size);
    EXPECT_TRUE(again.pMappedData == NULL);
    EXPECT_TRUE(again.pUserData == NULL);
    EXPECT_TRUE(again.pName == NULL);

    VmaAllocationInfo2 i2 = api_info2(a, x);
    EXPECT_EQ(i2.allocationInfo.memoryType, info.memoryType);
    EXPECT_TRUE(i2.allocationInfo.deviceMemory == info.deviceMemory);
    EXPECT_EQ_U64(i2.allocationInfo.offset, info.offset);
    EXPECT_TRUE(i2.dedicatedMemory == VK_FALSE);
    EXPECT_GE_U64(i2.blockSize, info.offset + info.size);

    VkMemoryPropertyFlags flags = 0;
    vmaGetAllocationMemoryProperties(a, x, &flags);
    EXPECT_EQ(flags, f->ctx.mem_props.memoryTypes[info.memoryType].propertyFlags);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(alloc_zero_size_fails_with_initialization_failed)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED,
              api_alloc(f->allocator, 0, 256, api_all_types(f->allocator), 0, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    api_fixture_teardown(f);
}

TEST(alloc_without_an_acceptable_memory_type_fails_with_feature_not_present)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, api_alloc(a, 4096, 256, 0, 0, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);

    /* A required flag no type has (protected memory is never set up by the context). */
    uint32_t has_protected = 0;
    for (uint32_t t = 0; t < f->ctx.mem_props.memoryTypeCount; t++)
        has_protected |= f->ctx.mem_props.memoryTypes[t].propertyFlags &
                         VK_MEMORY_PROPERTY_PROTECTED_BIT;
    if (!has_protected) {
        VkMemoryRequirements req = api_mem_req(4096, 256, api_all_types(a));
        VmaAllocationCreateInfo ci = {.requiredFlags = VK_MEMORY_PROPERTY_PROTECTED_BIT};
        x = (VmaAllocation)(uintptr_t)0x1;
        EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaAllocateMemory(a, &req, &ci, &x, NULL));
        EXPECT_TRUE(x == VK_NULL_HANDLE);
    }
    /* GPU_LAZILY_ALLOCATED requires a lazily allocated type. */
    if (api_find_type(a, VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT) == UINT32_MAX) {
        VkMemoryRequirements req = api_mem_req(4096, 256, api_all_types(a));
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_LAZILY_ALLOCATED};
        x = (VmaAllocation)(uintptr_t)0x1;
        EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaAllocateMemory(a, &req, &ci, &x, NULL));
        EXPECT_TRUE(x == VK_NULL_HANDLE);
    }
    /* VmaAllocationCreateInfo::memoryTypeBits disjoint from the requirements' bits. */
    if (f->ctx.mem_props.memoryTypeCount < 32) {
        VkMemoryRequirements req = api_mem_req(4096, 256, api_all_types(a));
        VmaAllocationCreateInfo ci = {.memoryTypeBits = 1u << f->ctx.mem_props.memoryTypeCount};
        x = (VmaAllocation)(uintptr_t)0x1;
        EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaAllocateMemory(a, &req, &ci, &x, NULL));
        EXPECT_TRUE(x == VK_NULL_HANDLE);
    }
    EXPECT_EQ(api_stats(a).total.statistics.blockCount, 0u);
    api_fixture_teardown(f);
}

TEST(alloc_dedicated_bit_gives_each_allocation_its_own_memory)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true});
    VmaAllocator a = f->allocator;
    VmaAllocation x = VK_NULL_HANDLE, y = VK_NULL_HANDLE;
    VmaAllocationInfo ix, iy;
    ASSERT_VK_OK(api_alloc(a, 4096, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &x, &ix));
    ASSERT_VK_OK(api_alloc(a, 4096, 256, 1u, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &y, &iy));
    EXPECT_TRUE(ix.deviceMemory != iy.deviceMemory);
    EXPECT_EQ_U64(ix.offset, 0);
    EXPECT_EQ_U64(iy.offset, 0);
    VmaAllocationInfo2 i2 = api_info2(a, x);
    EXPECT_TRUE(i2.dedicatedMemory == VK_TRUE);
    EXPECT_EQ_U64(i2.blockSize, 4096);
    /* The VkDeviceMemory is exactly the request, and no resource is named in it. */
    const api_alloc_record *r = api_rec_find(&f->rec, ix.deviceMemory);
    ASSERT_TRUE(r != NULL);
    EXPECT_EQ_U64(r->size, 4096);
    EXPECT_FALSE(r->has_dedicated);
    EXPECT_EQ(f->rec.live_memory, 2u);
    vmaFreeMemory(a, x);
    EXPECT_EQ(f->rec.live_memory, 1u); /* dedicated memory goes back at once */
    vmaFreeMemory(a, y);
    EXPECT_EQ(f->rec.live_memory, 0u);
    api_fixture_teardown(f);
}

TEST(alloc_small_requests_share_a_block_without_overlapping)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size =
                                                        4 * API_MIB});
    VmaAllocator a = f->allocator;
    enum { N = 24 };
    VmaAllocation x[N];
    VmaAllocationInfo info[N];
    for (int i = 0; i < N; i++) {
        VkDeviceSize size = 100 + (VkDeviceSize)i * 777;
        VkDeviceSize align = (VkDeviceSize)1 << (i % 10);
        ASSERT_VK_OK(api_alloc(a, size, align, 1u, 0, &x[i], &info[i]));
        EXPECT_EQ_U64(info[i].offset % align, 0);
        EXPECT_EQ_U64(info[i].size, size);
        EXPECT_TRUE(api_info2(a, x[i]).dedicatedMemory == VK_FALSE);
    }
    uint32_t shared = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            if (info[i].deviceMemory != info[j].deviceMemory)
                continue;
            shared++;
            EXPECT_FALSE(api_ranges_overlap(info[i].offset, info[i].size, info[j].offset,
                                            info[j].size));
        }
    EXPECT_GT(shared, 0u);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, (uint32_t)N);
    for (int i = 0; i < N; i++)
        vmaFreeMemory(a, x[i]);
    api_fixture_teardown(f);
}

TEST(alloc_offsets_honour_large_alignments)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size =
                                                        8 * API_MIB});
    VmaAllocator a = f->allocator;
    VmaAllocation pad = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 100, 1, 1u, 0, &pad, NULL)); /* the block's offset 0 is taken */
    VmaAllocation x[8];
    for (int i = 0; i < 8; i++) {
        VkDeviceSize align = (VkDeviceSize)512 << i; /* 512 B .. 64 KiB */
        VmaAllocationInfo info;
        ASSERT_VK_OK(api_alloc(a, 300, align, 1u, 0, &x[i], &info));
        EXPECT_EQ_U64(info.offset % align, 0);
    }
    for (int i = 0; i < 8; i++)
        vmaFreeMemory(a, x[i]);
    vmaFreeMemory(a, pad);
    api_fixture_teardown(f);
}

TEST(alloc_never_allocate_uses_only_existing_blocks)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true,
                                                    .preferred_large_heap_block_size =
                                                        4 * API_MIB});
    VmaAllocator a = f->allocator;
    const VmaAllocationCreateFlags never = VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT;
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    /* No block yet: nothing to take from. */
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 64 * API_KIB, 256, 1u, never, &x, NULL));
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.alloc_calls, 0u);

    VmaAllocation first = VK_NULL_HANDLE;
    VmaAllocationInfo fi;
    ASSERT_VK_OK(api_alloc(a, 64 * API_KIB, 256, 1u, 0, &first, &fi));
    const VkDeviceSize block = api_info2(a, first).blockSize;
    const uint32_t calls = f->rec.alloc_calls;

    VmaAllocation y = VK_NULL_HANDLE;
    VmaAllocationInfo yi;
    ASSERT_VK_OK(api_alloc(a, 64 * API_KIB, 256, 1u, never, &y, &yi));
    EXPECT_TRUE(yi.deviceMemory == fi.deviceMemory);
    /* More than the block has left (and more than half a block: no dedicated either). */
    VmaAllocation z = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, block, 256, 1u, never, &z, NULL));
    EXPECT_TRUE(z == VK_NULL_HANDLE);
    z = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 3 * API_MIB, 256, 1u, never, &z, NULL));
    EXPECT_TRUE(z == VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.alloc_calls, calls);

    /* DEDICATED_MEMORY together with NEVER_ALLOCATE makes no sense: VMA's code. */
    api_asserts_begin();
    z = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT,
              api_alloc(a, 4096, 256, 1u, never | VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &z,
                        NULL));
    EXPECT_LE(api_asserts_end(), 1u);
    EXPECT_TRUE(z == VK_NULL_HANDLE);
    EXPECT_EQ(f->rec.alloc_calls, calls);

    vmaFreeMemory(a, y);
    vmaFreeMemory(a, first);
    api_fixture_teardown(f);
}

TEST(alloc_within_budget_fails_past_the_heap_limit_budget)
{
    api_fixture *f = api_fixture_setup(&(api_setup){
        .no_allocator = true, .clear_flags = VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT});
    const uint32_t heap = f->ctx.mem_props.memoryTypes[0].heapIndex;
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        limits[i] = VK_WHOLE_SIZE;
    limits[heap] = 32 * API_MIB; /* budget: 80 % = 25.6 MiB */
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;
    const VmaAllocationCreateFlags wb = VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT;

    VmaAllocation x = VK_NULL_HANDLE, y = VK_NULL_HANDLE, z = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 20 * API_MIB, 256, 1u, wb, &x, NULL));
    /* 20 + 8 > 25.6 */
    y = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 8 * API_MIB, 256, 1u, wb, &y, NULL));
    EXPECT_TRUE(y == VK_NULL_HANDLE);
    y = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY,
              api_alloc(a, 8 * API_MIB, 256, 1u, wb | VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, &y,
                        NULL));
    EXPECT_TRUE(y == VK_NULL_HANDLE);
    /* Without the flag only the heap limit counts: 28 <= 32. */
    ASSERT_VK_OK(api_alloc(a, 8 * API_MIB, 256, 1u, 0, &y, NULL));
    /* Over budget now: even a small request that needs new memory is refused. */
    z = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 64 * API_KIB, 256, 1u, wb, &z, NULL));
    EXPECT_TRUE(z == VK_NULL_HANDLE);
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[heap].usage, 28 * API_MIB);
    EXPECT_EQ(b[heap].statistics.allocationCount, 2u);
    /* Back under budget: allowed again. */
    vmaFreeMemory(a, y);
    EXPECT_VK(VK_SUCCESS, api_alloc(a, 64 * API_KIB, 256, 1u, wb, &z, NULL));
    vmaFreeMemory(a, z);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(alloc_within_budget_fails_past_the_driver_budget)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.use_sim = true,
                                                    .sim_layout = "intel-igpu-nonllc",
                                                    .preferred_large_heap_block_size =
                                                        4 * API_MIB});
    VmaAllocator a = f->allocator;
    ASSERT_TRUE(f->ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT);
    vkm_sim_set_heap_budget(f->sim, 0, 8 * API_MIB);
    vmaSetCurrentFrameIndex(a, 1); /* fetch the new budget */
    const VmaAllocationCreateFlags wb = VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT;

    VmaAllocation x = VK_NULL_HANDLE, y = VK_NULL_HANDLE, z = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 6 * API_MIB, 256, 1u, wb, &x, NULL));
    y = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 4 * API_MIB, 256, 1u, wb, &y, NULL));
    EXPECT_TRUE(y == VK_NULL_HANDLE);
    ASSERT_VK_OK(api_alloc(a, 4 * API_MIB, 256, 1u, 0, &y, NULL)); /* budget is advisory */
    z = (VmaAllocation)(uintptr_t)0x1;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, api_alloc(a, 64 * API_KIB, 256, 1u, wb, &z, NULL));
    EXPECT_TRUE(z == VK_NULL_HANDLE);
    vmaFreeMemory(a, y);
    EXPECT_VK(VK_SUCCESS, api_alloc(a, 64 * API_KIB, 256, 1u, wb, &z, NULL));
    VmaBudget b[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a, b);
    EXPECT_EQ_U64(b[0].budget, 8 * API_MIB);
    EXPECT_EQ_U64(b[0].usage, vkm_sim_heap_usage(f->sim, 0));
    EXPECT_LE_U64(b[0].usage, 8 * API_MIB);
    vmaFreeMemory(a, z);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(alloc_pages_are_all_or_nothing)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.record = true, .no_allocator = true});
    const uint32_t heap = f->ctx.mem_props.memoryTypes[0].heapIndex;
    VkDeviceSize limits[VK_MAX_MEMORY_HEAPS];
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        limits[i] = VK_WHOLE_SIZE;
    limits[heap] = 8 * API_MIB;
    f->ci.pHeapSizeLimit = limits;
    ASSERT_VK_OK(vmaCreateAllocator(&f->ci, &f->allocator));
    VmaAllocator a = f->allocator;

    VkMemoryRequirements req = api_mem_req(3 * API_MIB, 256, 1u);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_UNKNOWN};
    VmaAllocation pages[4];
    for (int i = 0; i < 4; i++)
        pages[i] = (VmaAllocation)(uintptr_t)0x1;
    /* Two of 3 MiB fit in 8 MiB, the third does not: none remain. */
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, vmaAllocateMemoryPages(a, &req, &ci, 4, pages, NULL));
    for (int i = 0; i < 4; i++)
        EXPECT_TRUE(pages[i] == VK_NULL_HANDLE);
    VmaTotalStatistics st = api_stats(a);
    EXPECT_EQ(st.total.statistics.allocationCount, 0u);
    EXPECT_EQ(st.total.statistics.blockCount, 0u);
    EXPECT_EQ(f->rec.live_memory, 0u);

    VmaAllocationInfo infos[2];
    memset(infos, 0xcd, sizeof(infos));
    ASSERT_VK_OK(vmaAllocateMemoryPages(a, &req, &ci, 2, pages, infos));
    for (int i = 0; i < 2; i++) {
        ASSERT_TRUE(pages[i] != VK_NULL_HANDLE);
        VmaAllocationInfo again;
        vmaGetAllocationInfo(a, pages[i], &again);
        EXPECT_TRUE(again.deviceMemory == infos[i].deviceMemory);
        EXPECT_EQ_U64(again.offset, infos[i].offset);
        EXPECT_EQ_U64(infos[i].size, 3 * API_MIB);
    }
    EXPECT_TRUE(pages[0] != pages[1]);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 2u);
    vmaFreeMemoryPages(a, 2, pages);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);

    /* Zero pages: success, nothing touched. */
    EXPECT_VK(VK_SUCCESS, vmaAllocateMemoryPages(a, &req, &ci, 0, pages, NULL));
    vmaFreeMemoryPages(a, 0, pages);
    api_fixture_teardown(f);
}

TEST(alloc_free_of_null_handles_is_a_no_op)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    vmaFreeMemory(a, VK_NULL_HANDLE);
    VmaAllocation pages[3] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
    ASSERT_VK_OK(api_alloc(a, 4096, 256, api_all_types(a), 0, &pages[1], NULL));
    vmaFreeMemoryPages(a, 3, pages); /* null entries are skipped */
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

TEST(alloc_user_data_pointer_is_kept_and_replaced)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    int marker1 = 1, marker2 = 2;
    VkMemoryRequirements req = api_mem_req(4096, 256, api_all_types(a));
    VmaAllocationCreateInfo ci = {.pUserData = &marker1};
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x, &info));
    EXPECT_TRUE(info.pUserData == &marker1);
    EXPECT_TRUE(info.pName == NULL);
    vmaSetAllocationUserData(a, x, &marker2);
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_TRUE(info.pUserData == &marker2);
    EXPECT_TRUE(info.pName == NULL);
    /* The name is independent of the user data. */
    vmaSetAllocationName(a, x, "buffer");
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_TRUE(info.pUserData == &marker2);
    EXPECT_STREQ(info.pName, "buffer");
    vmaSetAllocationUserData(a, x, NULL);
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_TRUE(info.pUserData == NULL);
    EXPECT_STREQ(info.pName, "buffer");
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(alloc_user_data_copy_string_stores_a_private_copy_as_name)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    char text[32];
    strcpy(text, "vertex buffer");
    VkMemoryRequirements req = api_mem_req(4096, 256, api_all_types(a));
    VmaAllocationCreateInfo ci = {.flags = VMA_ALLOCATION_CREATE_USER_DATA_COPY_STRING_BIT,
                                  .pUserData = text};
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x, &info));
    EXPECT_STREQ(info.pName, "vertex buffer");
    EXPECT_TRUE(info.pName != text);
    EXPECT_TRUE(info.pUserData == NULL);
    strcpy(text, "overwritten");
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_STREQ(info.pName, "vertex buffer");
    vmaFreeMemory(a, x);

    /* Also for dedicated memory and for every page of vmaAllocateMemoryPages. */
    strcpy(text, "pages");
    ci.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    VmaAllocation pages[2] = {0};
    VmaAllocationInfo infos[2];
    ASSERT_VK_OK(vmaAllocateMemoryPages(a, &req, &ci, 2, pages, infos));
    strcpy(text, "changed");
    for (int i = 0; i < 2; i++) {
        EXPECT_STREQ(infos[i].pName, "pages");
        vmaGetAllocationInfo(a, pages[i], &info);
        EXPECT_STREQ(info.pName, "pages");
    }
    EXPECT_TRUE(infos[0].pName != infos[1].pName);
    vmaFreeMemoryPages(a, 2, pages);
    api_fixture_teardown(f);
}

TEST(alloc_set_allocation_name_copies_replaces_and_clears)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 4096, 256, api_all_types(a), 0, &x, NULL));
    char name[32];
    strcpy(name, "first");
    vmaSetAllocationName(a, x, name);
    VmaAllocationInfo info;
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_STREQ(info.pName, "first");
    EXPECT_TRUE(info.pName != name);
    strcpy(name, "XXXXX");
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_STREQ(info.pName, "first");
    vmaSetAllocationName(a, x, "second, a longer name");
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_STREQ(info.pName, "second, a longer name");
    vmaSetAllocationName(a, x, NULL);
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_TRUE(info.pName == NULL);
    vmaSetAllocationName(a, x, "");
    vmaGetAllocationInfo(a, x, &info);
    EXPECT_STREQ(info.pName, "");
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

/* The lowest offset at which `size` bytes fit in [0, block) outside the live ranges. */
static VkDeviceSize
lowest_gap(VkDeviceSize block, VkDeviceSize size, const VmaAllocationInfo *live, int n)
{
    for (VkDeviceSize off = 0; off + size <= block; off += 256) {
        bool clash = false;
        for (int i = 0; i < n && !clash; i++)
            clash = api_ranges_overlap(off, size, live[i].offset, live[i].size);
        if (!clash)
            return off;
    }
    return VK_WHOLE_SIZE;
}

TEST(alloc_strategy_min_offset_takes_the_lowest_free_offset)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size =
                                                        4 * API_MIB});
    VmaAllocator a = f->allocator;
    VmaAllocation x[6];
    VmaAllocationInfo info[6];
    for (int i = 0; i < 6; i++)
        ASSERT_VK_OK(api_alloc(a, 64 * API_KIB, 256, 1u, 0, &x[i], &info[i]));
    for (int i = 1; i < 6; i++)
        ASSERT_TRUE(info[i].deviceMemory == info[0].deviceMemory);
    const VkDeviceSize block = api_info2(a, x[0]).blockSize;
    vmaFreeMemory(a, x[3]);
    vmaFreeMemory(a, x[1]);
    VmaAllocationInfo live[4] = {info[0], info[2], info[4], info[5]};
    const VkDeviceSize expect = lowest_gap(block, 64 * API_KIB, live, 4);

    VmaAllocation y = VK_NULL_HANDLE;
    VmaAllocationInfo yi;
    ASSERT_VK_OK(api_alloc(a, 64 * API_KIB, 256, 1u, VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT,
                           &y, &yi));
    EXPECT_TRUE(yi.deviceMemory == info[0].deviceMemory);
    EXPECT_EQ_U64(yi.offset, expect);

    /* The other strategies are accepted and give valid, non-overlapping ranges. */
    VmaAllocation m = VK_NULL_HANDLE, t = VK_NULL_HANDLE;
    VmaAllocationInfo mi, ti;
    ASSERT_VK_OK(api_alloc(a, 4096, 256, 1u, VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT, &m, &mi));
    ASSERT_VK_OK(api_alloc(a, 4096, 256, 1u, VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT, &t, &ti));
    if (mi.deviceMemory == ti.deviceMemory)
        EXPECT_FALSE(api_ranges_overlap(mi.offset, mi.size, ti.offset, ti.size));
    if (mi.deviceMemory == yi.deviceMemory)
        EXPECT_FALSE(api_ranges_overlap(mi.offset, mi.size, yi.offset, yi.size));
    vmaFreeMemory(a, t);
    vmaFreeMemory(a, m);
    vmaFreeMemory(a, y);
    for (int i = 0; i < 6; i++)
        if (i != 1 && i != 3)
            vmaFreeMemory(a, x[i]);
    api_fixture_teardown(f);
}

/* amd-discrete-bar256: 0 DEVICE_LOCAL; 1 HOST_VISIBLE|COHERENT; 2 DEVICE_LOCAL|HOST_VISIBLE|
 * COHERENT; 3 HOST_VISIBLE|COHERENT|CACHED. VMA picks the lowest-index type with all
 * required flags and the fewest missing preferred (plus present not-preferred) flags. */
static uint32_t
type_for(VmaAllocator a, const VmaAllocationCreateInfo *ci)
{
    VkMemoryRequirements req = api_mem_req(4096, 256, 0xf);
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    VkResult r = vmaAllocateMemory(a, &req, ci, &x, &info);
    if (r != VK_SUCCESS)
        return UINT32_MAX;
    vmaFreeMemory(a, x);
    return info.memoryType;
}

TEST(alloc_memory_type_follows_usage_and_flags)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.use_sim = true,
                                                    .sim_layout = "amd-discrete-bar256",
                                                    .preferred_large_heap_block_size =
                                                        4 * API_MIB});
    VmaAllocator a = f->allocator;
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);
    ASSERT_EQ(mp->memoryTypeCount, 4u);

    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){.usage = VMA_MEMORY_USAGE_GPU_ONLY}), 0u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){.usage = VMA_MEMORY_USAGE_CPU_ONLY}), 1u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){.usage = VMA_MEMORY_USAGE_CPU_TO_GPU}), 2u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){.usage = VMA_MEMORY_USAGE_GPU_TO_CPU}), 3u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){.usage = VMA_MEMORY_USAGE_CPU_COPY}), 1u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){
                              .requiredFlags = VK_MEMORY_PROPERTY_HOST_CACHED_BIT}), 3u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){
                              .preferredFlags = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                                VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT}), 2u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){.usage = VMA_MEMORY_USAGE_GPU_ONLY,
                                                     .memoryTypeBits = 1u << 1}), 1u);
    EXPECT_EQ(type_for(a, &(VmaAllocationCreateInfo){
                              .requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                              .memoryTypeBits = 1u << 0}), UINT32_MAX);
    /* vmaFindMemoryTypeIndex agrees with where the allocation landed. */
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_GPU_TO_CPU};
    uint32_t idx = UINT32_MAX;
    EXPECT_VK(VK_SUCCESS, vmaFindMemoryTypeIndex(a, 0xf, &ci, &idx));
    EXPECT_EQ(idx, 3u);
    api_fixture_teardown(f);
}

TEST(alloc_contradictory_host_access_flags_are_refused)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    api_asserts_begin();
    VmaAllocation x = (VmaAllocation)(uintptr_t)0x1;
    VkResult r = api_alloc(a, 4096, 256, api_all_types(a),
                           VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                               VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT,
                           &x, NULL);
    unsigned n = api_asserts_end();
    EXPECT_NE(r, VK_SUCCESS);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_LE(n, 1u);
    /* VMA_MEMORY_USAGE_AUTO needs resource information vmaAllocateMemory does not have. */
    VkMemoryRequirements req = api_mem_req(4096, 256, api_all_types(a));
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO};
    api_asserts_begin();
    x = (VmaAllocation)(uintptr_t)0x1;
    r = vmaAllocateMemory(a, &req, &ci, &x, NULL);
    n = api_asserts_end();
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, r);
    EXPECT_TRUE(x == VK_NULL_HANDLE);
    EXPECT_LE(n, 1u);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

/* ---- many threads ---------------------------------------------------------------------- */

enum { THREADS = 4, WINDOW = 12, ITERATIONS = 150 };

typedef struct thread_ctx {
    VmaAllocator allocator;
    uint32_t seed;
    uint32_t id;
    VmaAllocation live[WINDOW];
    uint32_t tag[WINDOW];
    uint32_t failures;
} thread_ctx;

static uint32_t
rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static bool
verify_and_free(thread_ctx *t, int slot)
{
    VmaAllocationInfo info;
    vmaGetAllocationInfo(t->allocator, t->live[slot], &info);
    bool ok = info.pMappedData != NULL &&
              api_check_pattern(info.pMappedData, (size_t)info.size, t->tag[slot]) == SIZE_MAX;
    vmaFreeMemory(t->allocator, t->live[slot]);
    t->live[slot] = VK_NULL_HANDLE;
    return ok;
}

static void *
churn(void *arg)
{
    thread_ctx *t = arg;
    uint32_t s = t->seed;
    for (int it = 0; it < ITERATIONS; it++) {
        int slot = (int)(rnd(&s) % WINDOW);
        if (t->live[slot] != VK_NULL_HANDLE && !verify_and_free(t, slot))
            t->failures++;
        VkDeviceSize size = 64 + rnd(&s) % (48 * 1024);
        VkDeviceSize align = (VkDeviceSize)16 << (rnd(&s) % 8);
        VmaAllocationInfo info;
        VmaAllocationCreateFlags fl = VMA_ALLOCATION_CREATE_MAPPED_BIT;
        if (rnd(&s) % 8 == 0)
            fl |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
        VkResult r = api_alloc(t->allocator, size, align, 1u, fl, &t->live[slot], &info);
        if (r != VK_SUCCESS || info.offset % align != 0 || info.pMappedData == NULL) {
            t->failures++;
            if (r == VK_SUCCESS)
                vmaFreeMemory(t->allocator, t->live[slot]);
            t->live[slot] = VK_NULL_HANDLE;
            continue;
        }
        t->tag[slot] = t->id * 100000u + (uint32_t)it;
        api_fill_pattern(info.pMappedData, (size_t)size, t->tag[slot]);
    }
    return NULL;
}

TEST(alloc_from_many_threads_gives_disjoint_ranges_that_keep_their_data)
{
    api_fixture *f = api_fixture_setup(&(api_setup){.preferred_large_heap_block_size =
                                                        512 * API_KIB});
    if (!(f->ctx.mem_props.memoryTypes[0].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) {
        api_fixture_teardown(f);
        TEST_SKIP("memory type 0 is not host-visible");
    }
    thread_ctx tc[THREADS];
    pthread_t th[THREADS];
    memset(tc, 0, sizeof(tc));
    for (uint32_t i = 0; i < THREADS; i++) {
        tc[i].allocator = f->allocator;
        tc[i].seed = 0x9e3779b9u * (i + 1);
        tc[i].id = i;
        ASSERT_EQ(pthread_create(&th[i], NULL, churn, &tc[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    /* No two live allocations of all threads overlap. */
    VmaAllocationInfo all[THREADS * WINDOW];
    int n = 0;
    for (int i = 0; i < THREADS; i++) {
        EXPECT_EQ(tc[i].failures, 0u);
        for (int k = 0; k < WINDOW; k++)
            if (tc[i].live[k] != VK_NULL_HANDLE)
                vmaGetAllocationInfo(f->allocator, tc[i].live[k], &all[n++]);
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (all[i].deviceMemory == all[j].deviceMemory)
                EXPECT_FALSE(api_ranges_overlap(all[i].offset, all[i].size, all[j].offset,
                                                all[j].size));
    VmaTotalStatistics st = api_stats(f->allocator);
    EXPECT_EQ(st.total.statistics.allocationCount, (uint32_t)n);
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < WINDOW; k++)
            if (tc[i].live[k] != VK_NULL_HANDLE)
                EXPECT_TRUE(verify_and_free(&tc[i], k));
    st = api_stats(f->allocator);
    EXPECT_EQ(st.total.statistics.allocationCount, 0u);
    EXPECT_LE(st.total.statistics.blockCount, 1u);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
