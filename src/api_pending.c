/* SPDX-License-Identifier: MIT */
/*
 * api_pending.c - VMA 3.3 entry points whose implementation lands in a later issue.
 *
 * None of them pretends: each returns VK_ERROR_FEATURE_NOT_PRESENT (the code VMA itself
 * uses for a feature that is not available), writes null outputs, or does nothing for a
 * void function that can only receive handles this build never hands out. The README
 * lists them.
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

