/* SPDX-License-Identifier: MIT */
/* Entry points: raw allocation and freeing, allocation info, user data and names. */
#include "api.h"
#include "block.h"
#include "resource.h"

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaAllocateMemory(VmaAllocator allocator, const VkMemoryRequirements *pVkMemoryRequirements,
                  const VmaAllocationCreateInfo *pCreateInfo, VmaAllocation *pAllocation,
                  VmaAllocationInfo *pAllocationInfo)
{
    VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);
    *pAllocation = VK_NULL_HANDLE;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pVkMemoryRequirements, "pVkMemoryRequirements", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pCreateInfo, "pCreateInfo", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res =
        vkm_allocator_alloc(allocator, pCreateInfo, pVkMemoryRequirements, false, false,
                            VK_NULL_HANDLE, VK_NULL_HANDLE, 0, VKM_RANGE_UNKNOWN, 1, pAllocation);
    if (res == VK_SUCCESS && pAllocationInfo != NULL)
        vkm_allocation_fill_info(*pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaAllocateMemoryPages(VmaAllocator allocator, const VkMemoryRequirements *pVkMemoryRequirements,
                       const VmaAllocationCreateInfo *pCreateInfo, size_t allocationCount,
                       VmaAllocation *pAllocations, VmaAllocationInfo *pAllocationInfo)
{
    if (allocationCount == 0)
        return VK_SUCCESS;
    VKM_REQUIRE_PTR(pAllocations, "pAllocations", VKM_INVALID_ARG);
    for (size_t i = 0; i < allocationCount; i++)
        pAllocations[i] = VK_NULL_HANDLE;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pVkMemoryRequirements, "pVkMemoryRequirements", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pCreateInfo, "pCreateInfo", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_allocator_alloc(allocator, pCreateInfo, pVkMemoryRequirements, false, false,
                                       VK_NULL_HANDLE, VK_NULL_HANDLE, 0, VKM_RANGE_UNKNOWN,
                                       allocationCount, pAllocations);
    if (res == VK_SUCCESS && pAllocationInfo != NULL)
        for (size_t i = 0; i < allocationCount; i++)
            vkm_allocation_fill_info(pAllocations[i], &pAllocationInfo[i]);
    VKM_API_UNLOCK(allocator);
    return res;
}

/* Shared by the ...ForBuffer / ...ForImage variants: exactly one of buffer, image is set. */
VkResult
vkm_api_alloc_for_resource(VmaAllocator allocator, VkBuffer buffer, VkImage image,
                           const VmaAllocationCreateInfo *pCreateInfo, VkDeviceSize min_alignment,
                           VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);
    *pAllocation = VK_NULL_HANDLE;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE(buffer != VK_NULL_HANDLE || image != VK_NULL_HANDLE,
                "buffer / image must not be VK_NULL_HANDLE", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pCreateInfo, "pCreateInfo", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    vkm_requirements r;
    if (buffer != VK_NULL_HANDLE)
        vkm_resource_buffer_requirements(allocator, buffer, &r);
    else
        vkm_resource_image_requirements(allocator, image, &r);
    if (min_alignment > r.mr.alignment)
        r.mr.alignment = min_alignment;
    /* Usage flags are unknown here (so AUTO* usages fail, as in VMA), and so is an
     * image's tiling: VMA treats such images as conflicting with everything. */
    VkResult res = vkm_allocator_alloc(
        allocator, pCreateInfo, &r.mr, r.dedicated_required, r.dedicated_preferred, buffer, image,
        0, buffer != VK_NULL_HANDLE ? VKM_RANGE_BUFFER : VKM_RANGE_IMAGE_UNKNOWN, 1, pAllocation);
    if (res == VK_SUCCESS && pAllocationInfo != NULL)
        vkm_allocation_fill_info(*pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaAllocateMemoryForBuffer(VmaAllocator allocator, VkBuffer buffer,
                           const VmaAllocationCreateInfo *pCreateInfo, VmaAllocation *pAllocation,
                           VmaAllocationInfo *pAllocationInfo)
{
    VKM_REQUIRE(buffer != VK_NULL_HANDLE, "buffer must not be VK_NULL_HANDLE", VKM_INVALID_ARG);
    return vkm_api_alloc_for_resource(allocator, buffer, VK_NULL_HANDLE, pCreateInfo, 0,
                                      pAllocation, pAllocationInfo);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaAllocateMemoryForImage(VmaAllocator allocator, VkImage image,
                          const VmaAllocationCreateInfo *pCreateInfo, VmaAllocation *pAllocation,
                          VmaAllocationInfo *pAllocationInfo)
{
    VKM_REQUIRE(image != VK_NULL_HANDLE, "image must not be VK_NULL_HANDLE", VKM_INVALID_ARG);
    return vkm_api_alloc_for_resource(allocator, VK_NULL_HANDLE, image, pCreateInfo, 0, pAllocation,
                                      pAllocationInfo);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaFreeMemory(VmaAllocator allocator, VmaAllocation allocation)
{
    if (allocation == VK_NULL_HANDLE)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_allocator_free(allocator, allocation);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaFreeMemoryPages(VmaAllocator allocator, size_t allocationCount,
                   const VmaAllocation *pAllocations)
{
    if (allocationCount == 0)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_PTR(pAllocations, "pAllocations", VKM_VOID);
    for (size_t i = 0; i < allocationCount; i++)
        VKM_REQUIRE(
            pAllocations[i] == VK_NULL_HANDLE || vkm_api_allocation_ok(allocator, pAllocations[i]),
            "pAllocations[] must hold live allocations of this allocator or null", VKM_VOID);
    VKM_API_LOCK(allocator);
    for (size_t i = allocationCount; i-- > 0;)
        if (pAllocations[i] != VK_NULL_HANDLE)
            vkm_allocator_free(allocator, pAllocations[i]);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetAllocationInfo(VmaAllocator allocator, VmaAllocation allocation,
                     VmaAllocationInfo *pAllocationInfo)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_VOID);
    VKM_REQUIRE_PTR(pAllocationInfo, "pAllocationInfo", VKM_VOID);
    vkm_allocation_fill_info(allocation, pAllocationInfo);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetAllocationInfo2(VmaAllocator allocator, VmaAllocation allocation,
                      VmaAllocationInfo2 *pAllocationInfo)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_VOID);
    VKM_REQUIRE_PTR(pAllocationInfo, "pAllocationInfo", VKM_VOID);
    vkm_allocation_fill_info(allocation, &pAllocationInfo->allocationInfo);
    if (allocation->type == VKM_ALLOC_BLOCK) {
        pAllocationInfo->blockSize = allocation->u.b.block->size;
        pAllocationInfo->dedicatedMemory = VK_FALSE;
    } else {
        pAllocationInfo->blockSize = allocation->size;
        pAllocationInfo->dedicatedMemory = VK_TRUE;
    }
}

VMA_CALL_PRE void VMA_CALL_POST
vmaSetAllocationUserData(VmaAllocator allocator, VmaAllocation allocation, void *pUserData)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_VOID);
    allocation->user_data = pUserData;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaSetAllocationName(VmaAllocator allocator, VmaAllocation allocation, const char *pName)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_VOID);
    vkm_allocation_set_name(allocator, allocation, pName);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetAllocationMemoryProperties(VmaAllocator allocator, VmaAllocation allocation,
                                 VkMemoryPropertyFlags *pFlags)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_VOID);
    VKM_REQUIRE_PTR(pFlags, "pFlags", VKM_VOID);
    *pFlags = allocator->mem_props.memoryTypes[allocation->memory_type].propertyFlags;
}
