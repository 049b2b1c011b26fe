/* SPDX-License-Identifier: MIT */
/*
 * api_pending.c - VMA 3.3 entry points whose implementation lands in a later issue.
 *
 * None of them pretends: each returns VK_ERROR_FEATURE_NOT_PRESENT (the code VMA itself
 * uses for a feature that is not available), writes null outputs, or does nothing for a
 * void function that can only receive handles this build never hands out. The README
 * lists them. vmaCheckCorruption / vmaCheckPoolCorruption are complete as documented for
 * a build without corruption detection: VMA returns VK_ERROR_FEATURE_NOT_PRESENT then.
 */
#include "api.h"

/* Declared by vk_mem_alloc.h only on Win32; the symbol always exists. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaGetMemoryWin32Handle(VmaAllocator allocator,
                                                            VmaAllocation allocation,
                                                            void *hTargetProcess, void **pHandle);

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaGetMemoryWin32Handle(VmaAllocator allocator, VmaAllocation allocation, void *hTargetProcess,
                        void **pHandle)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(allocation);
    VKM_UNUSED(hTargetProcess);
    if (pHandle != NULL)
        *pHandle = NULL;
    return VK_ERROR_FEATURE_NOT_PRESENT; /* no Win32 external memory on this platform */
}

/* --- defragmentation ---------------------------------------------------------------- */

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBeginDefragmentation(VmaAllocator allocator, const VmaDefragmentationInfo *pInfo,
                        VmaDefragmentationContext *pContext)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(pInfo);
    if (pContext != NULL)
        *pContext = VK_NULL_HANDLE;
    return VK_ERROR_FEATURE_NOT_PRESENT;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaEndDefragmentation(VmaAllocator allocator, VmaDefragmentationContext context,
                      VmaDefragmentationStats *pStats)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(context);
    if (pStats != NULL)
        *pStats = (VmaDefragmentationStats){0};
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBeginDefragmentationPass(VmaAllocator allocator, VmaDefragmentationContext context,
                            VmaDefragmentationPassMoveInfo *pPassInfo)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(context);
    if (pPassInfo != NULL) {
        pPassInfo->moveCount = 0;
        pPassInfo->pMoves = NULL;
    }
    return VK_ERROR_FEATURE_NOT_PRESENT;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaEndDefragmentationPass(VmaAllocator allocator, VmaDefragmentationContext context,
                          VmaDefragmentationPassMoveInfo *pPassInfo)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(context);
    VKM_UNUSED(pPassInfo);
    return VK_ERROR_FEATURE_NOT_PRESENT;
}

/* --- virtual blocks ------------------------------------------------------------------ */

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateVirtualBlock(const VmaVirtualBlockCreateInfo *pCreateInfo, VmaVirtualBlock *pVirtualBlock)
{
    VKM_UNUSED(pCreateInfo);
    if (pVirtualBlock != NULL)
        *pVirtualBlock = VK_NULL_HANDLE;
    return VK_ERROR_FEATURE_NOT_PRESENT;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaDestroyVirtualBlock(VmaVirtualBlock virtualBlock)
{
    VKM_UNUSED(virtualBlock);
}

VMA_CALL_PRE VkBool32 VMA_CALL_POST
vmaIsVirtualBlockEmpty(VmaVirtualBlock virtualBlock)
{
    VKM_UNUSED(virtualBlock);
    vkm_api_assert(false, "virtualBlock: virtual blocks are not implemented yet");
    return VK_FALSE;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetVirtualAllocationInfo(VmaVirtualBlock virtualBlock, VmaVirtualAllocation allocation,
                            VmaVirtualAllocationInfo *pVirtualAllocInfo)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(allocation);
    VKM_UNUSED(pVirtualAllocInfo);
    vkm_api_assert(false, "virtualBlock: virtual blocks are not implemented yet");
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaVirtualAllocate(VmaVirtualBlock virtualBlock, const VmaVirtualAllocationCreateInfo *pCreateInfo,
                   VmaVirtualAllocation *pAllocation, VkDeviceSize *pOffset)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(pCreateInfo);
    if (pAllocation != NULL)
        *pAllocation = VK_NULL_HANDLE;
    if (pOffset != NULL)
        *pOffset = VK_WHOLE_SIZE;
    return VK_ERROR_FEATURE_NOT_PRESENT;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaVirtualFree(VmaVirtualBlock virtualBlock, VmaVirtualAllocation allocation)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(allocation);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaClearVirtualBlock(VmaVirtualBlock virtualBlock)
{
    VKM_UNUSED(virtualBlock);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaSetVirtualAllocationUserData(VmaVirtualBlock virtualBlock, VmaVirtualAllocation allocation,
                                void *pUserData)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(allocation);
    VKM_UNUSED(pUserData);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetVirtualBlockStatistics(VmaVirtualBlock virtualBlock, VmaStatistics *pStats)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(pStats);
    vkm_api_assert(false, "virtualBlock: virtual blocks are not implemented yet");
}

VMA_CALL_PRE void VMA_CALL_POST
vmaCalculateVirtualBlockStatistics(VmaVirtualBlock virtualBlock, VmaDetailedStatistics *pStats)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(pStats);
    vkm_api_assert(false, "virtualBlock: virtual blocks are not implemented yet");
}

VMA_CALL_PRE void VMA_CALL_POST
vmaBuildVirtualBlockStatsString(VmaVirtualBlock virtualBlock, char **ppStatsString,
                                VkBool32 detailedMap)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(detailedMap);
    if (ppStatsString != NULL)
        *ppStatsString = NULL;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaFreeVirtualBlockStatsString(VmaVirtualBlock virtualBlock, char *pStatsString)
{
    VKM_UNUSED(virtualBlock);
    VKM_UNUSED(pStatsString);
}

/* --- JSON statistics ----------------------------------------------------------------- */

VMA_CALL_PRE void VMA_CALL_POST
vmaBuildStatsString(VmaAllocator allocator, char **ppStatsString, VkBool32 detailedMap)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(detailedMap);
    if (ppStatsString != NULL)
        *ppStatsString = NULL;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaFreeStatsString(VmaAllocator allocator, char *pStatsString)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(pStatsString);
}

/* --- corruption detection (not compiled in: VMA's documented answer) ----------------- */

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCheckCorruption(VmaAllocator allocator, uint32_t memoryTypeBits)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(memoryTypeBits);
    return VK_ERROR_FEATURE_NOT_PRESENT;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCheckPoolCorruption(VmaAllocator allocator, VmaPool pool)
{
    VKM_UNUSED(allocator);
    VKM_UNUSED(pool);
    return VK_ERROR_FEATURE_NOT_PRESENT;
}
