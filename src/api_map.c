/* SPDX-License-Identifier: MIT */
/* Entry points: mapping, cache maintenance, and host copies into and out of allocations. */
#include "api.h"

#include <string.h>

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaMapMemory(VmaAllocator allocator, VmaAllocation allocation, void **ppData)
{
    VKM_REQUIRE_PTR(ppData, "ppData", VKM_INVALID_ARG);
    *ppData = NULL;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_allocator_map(allocator, allocation, ppData);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaUnmapMemory(VmaAllocator allocator, VmaAllocation allocation)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_allocator_unmap(allocator, allocation);
    VKM_API_UNLOCK(allocator);
}

static VkResult
flush_or_invalidate(VmaAllocator allocator, uint32_t count, const VmaAllocation *allocations,
                    const VkDeviceSize *offsets, const VkDeviceSize *sizes, bool invalidate)
{
    if (count == 0)
        return VK_SUCCESS;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(allocations, "allocations", VKM_INVALID_ARG);
    for (uint32_t i = 0; i < count; i++) {
        VKM_REQUIRE_ALLOCATION(allocator, allocations[i], VKM_INVALID_ARG);
        VKM_REQUIRE(offsets == NULL || offsets[i] <= allocations[i]->size,
                    "offsets[] must lie inside their allocation", VKM_INVALID_ARG);
        /* written as a subtraction: offset + size may wrap */
        VKM_REQUIRE(sizes == NULL || sizes[i] == VK_WHOLE_SIZE ||
                        sizes[i] <= allocations[i]->size - (offsets ? offsets[i] : 0),
                    "offset + size must lie inside the allocation (or size VK_WHOLE_SIZE)",
                    VKM_INVALID_ARG);
    }
    VKM_API_LOCK(allocator);
    VkResult res = vkm_allocator_flush_or_invalidate(allocator, count, allocations, offsets, sizes,
                                                     invalidate);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaFlushAllocation(VmaAllocator allocator, VmaAllocation allocation, VkDeviceSize offset,
                   VkDeviceSize size)
{
    return flush_or_invalidate(allocator, 1, &allocation, &offset, &size, false);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaInvalidateAllocation(VmaAllocator allocator, VmaAllocation allocation, VkDeviceSize offset,
                        VkDeviceSize size)
{
    return flush_or_invalidate(allocator, 1, &allocation, &offset, &size, true);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaFlushAllocations(VmaAllocator allocator, uint32_t allocationCount,
                    const VmaAllocation *allocations, const VkDeviceSize *offsets,
                    const VkDeviceSize *sizes)
{
    return flush_or_invalidate(allocator, allocationCount, allocations, offsets, sizes, false);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaInvalidateAllocations(VmaAllocator allocator, uint32_t allocationCount,
                         const VmaAllocation *allocations, const VkDeviceSize *offsets,
                         const VkDeviceSize *sizes)
{
    return flush_or_invalidate(allocator, allocationCount, allocations, offsets, sizes, true);
}

static VkResult
check_copy(VmaAllocator allocator, const void *host, VmaAllocation allocation,
           VkDeviceSize offset, VkDeviceSize size)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(host, "host pointer", VKM_INVALID_ARG);
    VKM_REQUIRE(offset <= allocation->size && size <= allocation->size - offset,
                "offset + size must lie inside the allocation", VKM_INVALID_ARG);
    return VK_SUCCESS;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCopyMemoryToAllocation(VmaAllocator allocator, const void *pSrcHostPointer,
                          VmaAllocation dstAllocation, VkDeviceSize dstAllocationLocalOffset,
                          VkDeviceSize size)
{
    if (size == 0)
        return VK_SUCCESS;
    VkResult res = check_copy(allocator, pSrcHostPointer, dstAllocation, dstAllocationLocalOffset,
                              size);
    if (res != VK_SUCCESS)
        return res;
    VKM_API_LOCK(allocator);
    void *p;
    res = vkm_allocator_map(allocator, dstAllocation, &p);
    if (res == VK_SUCCESS) {
        memcpy((char *)p + dstAllocationLocalOffset, pSrcHostPointer, (size_t)size);
        /* Flush while still mapped: Vulkan requires the range to be mapped. */
        res = vkm_allocator_flush_or_invalidate(allocator, 1, &dstAllocation,
                                                &dstAllocationLocalOffset, &size, false);
        vkm_allocator_unmap(allocator, dstAllocation);
    }
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCopyAllocationToMemory(VmaAllocator allocator, VmaAllocation srcAllocation,
                          VkDeviceSize srcAllocationLocalOffset, void *pDstHostPointer,
                          VkDeviceSize size)
{
    if (size == 0)
        return VK_SUCCESS;
    VkResult res = check_copy(allocator, pDstHostPointer, srcAllocation, srcAllocationLocalOffset,
                              size);
    if (res != VK_SUCCESS)
        return res;
    VKM_API_LOCK(allocator);
    void *p;
    res = vkm_allocator_map(allocator, srcAllocation, &p);
    if (res == VK_SUCCESS) {
        res = vkm_allocator_flush_or_invalidate(allocator, 1, &srcAllocation,
                                                &srcAllocationLocalOffset, &size, true);
        if (res == VK_SUCCESS)
            memcpy(pDstHostPointer, (const char *)p + srcAllocationLocalOffset, (size_t)size);
        vkm_allocator_unmap(allocator, srcAllocation);
    }
    VKM_API_UNLOCK(allocator);
    return res;
}
