/* SPDX-License-Identifier: MIT */
/*
 * api_pending.c - VMA 3.3 entry points this platform cannot implement.
 *
 * vmaGetMemoryWin32Handle only: it returns VK_ERROR_FEATURE_NOT_PRESENT (the code VMA
 * itself uses for a feature that is not available) and a null handle. The README lists
 * it.
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
