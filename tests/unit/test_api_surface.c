/* SPDX-License-Identifier: MIT */
/*
 * test_api_surface.c - include/vk_mem_alloc.h is VMA 3.3's interface, and the library has
 * every function of it.
 *
 * Checked here, without a Vulkan device:
 *  - all 72 VMA 3.3 functions link (their addresses are taken and read back at run time),
 *    and the table below is exactly the list in tests/unit/vma33_functions.txt;
 *  - every declared function has VMA 3.3's signature, and every struct member VMA's type
 *    (compile-time checks with __builtin_types_compatible_p; nullability is not part of it);
 *  - sizeof / _Alignof of every public struct, offsetof and size of every member, the value
 *    of every enum constant and flag bit;
 *  - handles are pointer-sized and compare with VK_NULL_HANDLE, the configuration macros are
 *    defined, a second #include is harmless, and so is VMA_IMPLEMENTATION (defined on the
 *    first line of this file, as a VMA program does in one source file).
 *
 * The expected numbers are VMA 3.3's x86-64 LP64 layout: a scratch program that included
 * VMA's own vk_mem_alloc.h (tag v3.3.0, default configuration, Vulkan 1.3.239 headers) was
 * compiled with gcc 12 for x86-64 and printed them; they are written out here, not computed
 * from our header. Other targets skip the layout case.
 */
#define VMA_IMPLEMENTATION
#include "vk_mem_alloc.h"
#include "vk_mem_alloc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "test.h"

/* The configuration macros a VMA program may test must exist. */
#if !defined(VMA_CALL_PRE) || !defined(VMA_CALL_POST) || !defined(VMA_NULLABLE) ||            \
    !defined(VMA_NOT_NULL) || !defined(VMA_NULLABLE_NON_DISPATCHABLE) ||                      \
    !defined(VMA_NOT_NULL_NON_DISPATCHABLE) || !defined(VMA_LEN_IF_NOT_NULL) ||               \
    !defined(VMA_EXTENDS_VK_STRUCT) || !defined(VMA_STATS_STRING_ENABLED) ||                  \
    !defined(VMA_VULKAN_VERSION) || !defined(VMA_DEDICATED_ALLOCATION) ||                     \
    !defined(VMA_BIND_MEMORY2) || !defined(VMA_MEMORY_BUDGET) ||                              \
    !defined(VMA_BUFFER_DEVICE_ADDRESS) || !defined(VMA_MEMORY_PRIORITY) ||                   \
    !defined(VMA_KHR_MAINTENANCE4) || !defined(VMA_KHR_MAINTENANCE5) ||                       \
    !defined(VMA_EXTERNAL_MEMORY) || !defined(VMA_EXTERNAL_MEMORY_WIN32)
#error "vk_mem_alloc.h lacks one of VMA 3.3's configuration macros"
#endif

/* vk_mem_alloc.h declares these two only with volk.h / the Win32 Vulkan header, as VMA does;
 * the library exports them regardless. HANDLE is void * on Windows. */
VkResult vmaImportVulkanFunctionsFromVolk(const VmaAllocatorCreateInfo *pAllocatorCreateInfo,
                                          VmaVulkanFunctions *pDstVulkanFunctions);
VkResult vmaGetMemoryWin32Handle(VmaAllocator allocator, VmaAllocation allocation,
                                 void *hTargetProcess, void **pHandle);

/* ---- signatures and member types (compile time) ------------------------------------- */

#define SAME_TYPE(a, b) __builtin_types_compatible_p(a, b)
#define EXPECT_SIGNATURE(fn, type)                                                           \
    _Static_assert(SAME_TYPE(__typeof__(&fn), type), #fn " must have VMA 3.3's signature")
#define EXPECT_MEMBER_TYPE(T, m, type)                                                       \
    _Static_assert(SAME_TYPE(__typeof__(((T *)0)->m), type), #T "::" #m " must have VMA 3.3's type")

EXPECT_SIGNATURE(vmaImportVulkanFunctionsFromVolk,
    VkResult (*)(const VmaAllocatorCreateInfo *, VmaVulkanFunctions *));
EXPECT_SIGNATURE(vmaCreateAllocator, VkResult (*)(const VmaAllocatorCreateInfo *, VmaAllocator *));
EXPECT_SIGNATURE(vmaDestroyAllocator, void (*)(VmaAllocator));
EXPECT_SIGNATURE(vmaGetAllocatorInfo, void (*)(VmaAllocator, VmaAllocatorInfo *));
EXPECT_SIGNATURE(vmaGetPhysicalDeviceProperties,
    void (*)(VmaAllocator, const VkPhysicalDeviceProperties **));
EXPECT_SIGNATURE(vmaGetMemoryProperties,
    void (*)(VmaAllocator, const VkPhysicalDeviceMemoryProperties **));
EXPECT_SIGNATURE(vmaGetMemoryTypeProperties,
    void (*)(VmaAllocator, uint32_t, VkMemoryPropertyFlags *));
EXPECT_SIGNATURE(vmaSetCurrentFrameIndex, void (*)(VmaAllocator, uint32_t));
EXPECT_SIGNATURE(vmaCalculateStatistics, void (*)(VmaAllocator, VmaTotalStatistics *));
EXPECT_SIGNATURE(vmaGetHeapBudgets, void (*)(VmaAllocator, VmaBudget *));
EXPECT_SIGNATURE(vmaFindMemoryTypeIndex,
    VkResult (*)(VmaAllocator, uint32_t, const VmaAllocationCreateInfo *, uint32_t *));
EXPECT_SIGNATURE(vmaFindMemoryTypeIndexForBufferInfo,
    VkResult (*)(
        VmaAllocator, const VkBufferCreateInfo *, const VmaAllocationCreateInfo *, uint32_t *));
EXPECT_SIGNATURE(vmaFindMemoryTypeIndexForImageInfo,
    VkResult (*)(
        VmaAllocator, const VkImageCreateInfo *, const VmaAllocationCreateInfo *, uint32_t *));
EXPECT_SIGNATURE(vmaCreatePool, VkResult (*)(VmaAllocator, const VmaPoolCreateInfo *, VmaPool *));
EXPECT_SIGNATURE(vmaDestroyPool, void (*)(VmaAllocator, VmaPool));
EXPECT_SIGNATURE(vmaGetPoolStatistics, void (*)(VmaAllocator, VmaPool, VmaStatistics *));
EXPECT_SIGNATURE(vmaCalculatePoolStatistics,
    void (*)(VmaAllocator, VmaPool, VmaDetailedStatistics *));
EXPECT_SIGNATURE(vmaCheckPoolCorruption, VkResult (*)(VmaAllocator, VmaPool));
EXPECT_SIGNATURE(vmaGetPoolName, void (*)(VmaAllocator, VmaPool, const char **));
EXPECT_SIGNATURE(vmaSetPoolName, void (*)(VmaAllocator, VmaPool, const char *));
EXPECT_SIGNATURE(vmaAllocateMemory,
    VkResult (*)(
        VmaAllocator, const VkMemoryRequirements *, const VmaAllocationCreateInfo *,
        VmaAllocation *, VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaAllocateMemoryPages,
    VkResult (*)(
        VmaAllocator, const VkMemoryRequirements *, const VmaAllocationCreateInfo *, size_t,
        VmaAllocation *, VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaAllocateMemoryForBuffer,
    VkResult (*)(
        VmaAllocator, VkBuffer, const VmaAllocationCreateInfo *, VmaAllocation *,
        VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaAllocateMemoryForImage,
    VkResult (*)(
        VmaAllocator, VkImage, const VmaAllocationCreateInfo *, VmaAllocation *,
        VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaFreeMemory, void (*)(VmaAllocator, VmaAllocation));
EXPECT_SIGNATURE(vmaFreeMemoryPages, void (*)(VmaAllocator, size_t, const VmaAllocation *));
EXPECT_SIGNATURE(vmaGetAllocationInfo, void (*)(VmaAllocator, VmaAllocation, VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaGetAllocationInfo2,
    void (*)(VmaAllocator, VmaAllocation, VmaAllocationInfo2 *));
EXPECT_SIGNATURE(vmaSetAllocationUserData, void (*)(VmaAllocator, VmaAllocation, void *));
EXPECT_SIGNATURE(vmaSetAllocationName, void (*)(VmaAllocator, VmaAllocation, const char *));
EXPECT_SIGNATURE(vmaGetAllocationMemoryProperties,
    void (*)(VmaAllocator, VmaAllocation, VkMemoryPropertyFlags *));
EXPECT_SIGNATURE(vmaGetMemoryWin32Handle,
    VkResult (*)(VmaAllocator, VmaAllocation, void *, void **));
EXPECT_SIGNATURE(vmaMapMemory, VkResult (*)(VmaAllocator, VmaAllocation, void **));
EXPECT_SIGNATURE(vmaUnmapMemory, void (*)(VmaAllocator, VmaAllocation));
EXPECT_SIGNATURE(vmaFlushAllocation,
    VkResult (*)(VmaAllocator, VmaAllocation, VkDeviceSize, VkDeviceSize));
EXPECT_SIGNATURE(vmaInvalidateAllocation,
    VkResult (*)(VmaAllocator, VmaAllocation, VkDeviceSize, VkDeviceSize));
EXPECT_SIGNATURE(vmaFlushAllocations,
    VkResult (*)(
        VmaAllocator, uint32_t, const VmaAllocation *, const VkDeviceSize *, const VkDeviceSize *));
EXPECT_SIGNATURE(vmaInvalidateAllocations,
    VkResult (*)(
        VmaAllocator, uint32_t, const VmaAllocation *, const VkDeviceSize *, const VkDeviceSize *));
EXPECT_SIGNATURE(vmaCopyMemoryToAllocation,
    VkResult (*)(VmaAllocator, const void *, VmaAllocation, VkDeviceSize, VkDeviceSize));
EXPECT_SIGNATURE(vmaCopyAllocationToMemory,
    VkResult (*)(VmaAllocator, VmaAllocation, VkDeviceSize, void *, VkDeviceSize));
EXPECT_SIGNATURE(vmaCheckCorruption, VkResult (*)(VmaAllocator, uint32_t));
EXPECT_SIGNATURE(vmaBeginDefragmentation,
    VkResult (*)(VmaAllocator, const VmaDefragmentationInfo *, VmaDefragmentationContext *));
EXPECT_SIGNATURE(vmaEndDefragmentation,
    void (*)(VmaAllocator, VmaDefragmentationContext, VmaDefragmentationStats *));
EXPECT_SIGNATURE(vmaBeginDefragmentationPass,
    VkResult (*)(VmaAllocator, VmaDefragmentationContext, VmaDefragmentationPassMoveInfo *));
EXPECT_SIGNATURE(vmaEndDefragmentationPass,
    VkResult (*)(VmaAllocator, VmaDefragmentationContext, VmaDefragmentationPassMoveInfo *));
EXPECT_SIGNATURE(vmaBindBufferMemory, VkResult (*)(VmaAllocator, VmaAllocation, VkBuffer));
EXPECT_SIGNATURE(vmaBindBufferMemory2,
    VkResult (*)(VmaAllocator, VmaAllocation, VkDeviceSize, VkBuffer, const void *));
EXPECT_SIGNATURE(vmaBindImageMemory, VkResult (*)(VmaAllocator, VmaAllocation, VkImage));
EXPECT_SIGNATURE(vmaBindImageMemory2,
    VkResult (*)(VmaAllocator, VmaAllocation, VkDeviceSize, VkImage, const void *));
EXPECT_SIGNATURE(vmaCreateBuffer,
    VkResult (*)(
        VmaAllocator, const VkBufferCreateInfo *, const VmaAllocationCreateInfo *, VkBuffer *,
        VmaAllocation *, VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaCreateBufferWithAlignment,
    VkResult (*)(
        VmaAllocator, const VkBufferCreateInfo *, const VmaAllocationCreateInfo *, VkDeviceSize,
        VkBuffer *, VmaAllocation *, VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaCreateAliasingBuffer,
    VkResult (*)(VmaAllocator, VmaAllocation, const VkBufferCreateInfo *, VkBuffer *));
EXPECT_SIGNATURE(vmaCreateAliasingBuffer2,
    VkResult (*)(
        VmaAllocator, VmaAllocation, VkDeviceSize, const VkBufferCreateInfo *, VkBuffer *));
EXPECT_SIGNATURE(vmaDestroyBuffer, void (*)(VmaAllocator, VkBuffer, VmaAllocation));
EXPECT_SIGNATURE(vmaCreateImage,
    VkResult (*)(
        VmaAllocator, const VkImageCreateInfo *, const VmaAllocationCreateInfo *, VkImage *,
        VmaAllocation *, VmaAllocationInfo *));
EXPECT_SIGNATURE(vmaCreateAliasingImage,
    VkResult (*)(VmaAllocator, VmaAllocation, const VkImageCreateInfo *, VkImage *));
EXPECT_SIGNATURE(vmaCreateAliasingImage2,
    VkResult (*)(VmaAllocator, VmaAllocation, VkDeviceSize, const VkImageCreateInfo *, VkImage *));
EXPECT_SIGNATURE(vmaDestroyImage, void (*)(VmaAllocator, VkImage, VmaAllocation));
EXPECT_SIGNATURE(vmaCreateVirtualBlock,
    VkResult (*)(const VmaVirtualBlockCreateInfo *, VmaVirtualBlock *));
EXPECT_SIGNATURE(vmaDestroyVirtualBlock, void (*)(VmaVirtualBlock));
EXPECT_SIGNATURE(vmaIsVirtualBlockEmpty, VkBool32 (*)(VmaVirtualBlock));
EXPECT_SIGNATURE(vmaGetVirtualAllocationInfo,
    void (*)(VmaVirtualBlock, VmaVirtualAllocation, VmaVirtualAllocationInfo *));
EXPECT_SIGNATURE(vmaVirtualAllocate,
    VkResult (*)(
        VmaVirtualBlock, const VmaVirtualAllocationCreateInfo *, VmaVirtualAllocation *,
        VkDeviceSize *));
EXPECT_SIGNATURE(vmaVirtualFree, void (*)(VmaVirtualBlock, VmaVirtualAllocation));
EXPECT_SIGNATURE(vmaClearVirtualBlock, void (*)(VmaVirtualBlock));
EXPECT_SIGNATURE(vmaSetVirtualAllocationUserData,
    void (*)(VmaVirtualBlock, VmaVirtualAllocation, void *));
EXPECT_SIGNATURE(vmaGetVirtualBlockStatistics, void (*)(VmaVirtualBlock, VmaStatistics *));
EXPECT_SIGNATURE(vmaCalculateVirtualBlockStatistics,
    void (*)(VmaVirtualBlock, VmaDetailedStatistics *));
EXPECT_SIGNATURE(vmaBuildVirtualBlockStatsString, void (*)(VmaVirtualBlock, char **, VkBool32));
EXPECT_SIGNATURE(vmaFreeVirtualBlockStatsString, void (*)(VmaVirtualBlock, char *));
EXPECT_SIGNATURE(vmaBuildStatsString, void (*)(VmaAllocator, char **, VkBool32));
EXPECT_SIGNATURE(vmaFreeStatsString, void (*)(VmaAllocator, char *));

EXPECT_MEMBER_TYPE(VmaDeviceMemoryCallbacks, pfnAllocate, PFN_vmaAllocateDeviceMemoryFunction);
EXPECT_MEMBER_TYPE(VmaDeviceMemoryCallbacks, pfnFree, PFN_vmaFreeDeviceMemoryFunction);
EXPECT_MEMBER_TYPE(VmaDeviceMemoryCallbacks, pUserData, void *);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetInstanceProcAddr, PFN_vkGetInstanceProcAddr);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetDeviceProcAddr, PFN_vkGetDeviceProcAddr);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetPhysicalDeviceProperties,
                   PFN_vkGetPhysicalDeviceProperties);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetPhysicalDeviceMemoryProperties,
                   PFN_vkGetPhysicalDeviceMemoryProperties);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkAllocateMemory, PFN_vkAllocateMemory);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkFreeMemory, PFN_vkFreeMemory);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkMapMemory, PFN_vkMapMemory);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkUnmapMemory, PFN_vkUnmapMemory);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkFlushMappedMemoryRanges, PFN_vkFlushMappedMemoryRanges);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkInvalidateMappedMemoryRanges,
                   PFN_vkInvalidateMappedMemoryRanges);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkBindBufferMemory, PFN_vkBindBufferMemory);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkBindImageMemory, PFN_vkBindImageMemory);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetBufferMemoryRequirements,
                   PFN_vkGetBufferMemoryRequirements);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetImageMemoryRequirements,
                   PFN_vkGetImageMemoryRequirements);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkCreateBuffer, PFN_vkCreateBuffer);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkDestroyBuffer, PFN_vkDestroyBuffer);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkCreateImage, PFN_vkCreateImage);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkDestroyImage, PFN_vkDestroyImage);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkCmdCopyBuffer, PFN_vkCmdCopyBuffer);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetBufferMemoryRequirements2KHR,
                   PFN_vkGetBufferMemoryRequirements2KHR);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetImageMemoryRequirements2KHR,
                   PFN_vkGetImageMemoryRequirements2KHR);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkBindBufferMemory2KHR, PFN_vkBindBufferMemory2KHR);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkBindImageMemory2KHR, PFN_vkBindImageMemory2KHR);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetPhysicalDeviceMemoryProperties2KHR,
                   PFN_vkGetPhysicalDeviceMemoryProperties2KHR);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetDeviceBufferMemoryRequirements,
                   PFN_vkGetDeviceBufferMemoryRequirementsKHR);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetDeviceImageMemoryRequirements,
                   PFN_vkGetDeviceImageMemoryRequirementsKHR);
EXPECT_MEMBER_TYPE(VmaVulkanFunctions, vkGetMemoryWin32HandleKHR, void *);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, flags, VmaAllocatorCreateFlags);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, physicalDevice, VkPhysicalDevice);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, device, VkDevice);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, preferredLargeHeapBlockSize, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, pAllocationCallbacks, const VkAllocationCallbacks *);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, pDeviceMemoryCallbacks,
                   const VmaDeviceMemoryCallbacks *);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, pHeapSizeLimit, const VkDeviceSize *);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, pVulkanFunctions, const VmaVulkanFunctions *);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, instance, VkInstance);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, vulkanApiVersion, uint32_t);
EXPECT_MEMBER_TYPE(VmaAllocatorCreateInfo, pTypeExternalMemoryHandleTypes,
                   const VkExternalMemoryHandleTypeFlagsKHR *);
EXPECT_MEMBER_TYPE(VmaAllocatorInfo, instance, VkInstance);
EXPECT_MEMBER_TYPE(VmaAllocatorInfo, physicalDevice, VkPhysicalDevice);
EXPECT_MEMBER_TYPE(VmaAllocatorInfo, device, VkDevice);
EXPECT_MEMBER_TYPE(VmaStatistics, blockCount, uint32_t);
EXPECT_MEMBER_TYPE(VmaStatistics, allocationCount, uint32_t);
EXPECT_MEMBER_TYPE(VmaStatistics, blockBytes, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaStatistics, allocationBytes, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaDetailedStatistics, statistics, VmaStatistics);
EXPECT_MEMBER_TYPE(VmaDetailedStatistics, unusedRangeCount, uint32_t);
EXPECT_MEMBER_TYPE(VmaDetailedStatistics, allocationSizeMin, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaDetailedStatistics, allocationSizeMax, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaDetailedStatistics, unusedRangeSizeMin, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaDetailedStatistics, unusedRangeSizeMax, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaTotalStatistics, memoryType, VmaDetailedStatistics[VK_MAX_MEMORY_TYPES]);
EXPECT_MEMBER_TYPE(VmaTotalStatistics, memoryHeap, VmaDetailedStatistics[VK_MAX_MEMORY_HEAPS]);
EXPECT_MEMBER_TYPE(VmaTotalStatistics, total, VmaDetailedStatistics);
EXPECT_MEMBER_TYPE(VmaBudget, statistics, VmaStatistics);
EXPECT_MEMBER_TYPE(VmaBudget, usage, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaBudget, budget, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, flags, VmaAllocationCreateFlags);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, usage, VmaMemoryUsage);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, requiredFlags, VkMemoryPropertyFlags);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, preferredFlags, VkMemoryPropertyFlags);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, memoryTypeBits, uint32_t);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, pool, VmaPool);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, pUserData, void *);
EXPECT_MEMBER_TYPE(VmaAllocationCreateInfo, priority, float);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, memoryTypeIndex, uint32_t);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, flags, VmaPoolCreateFlags);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, blockSize, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, minBlockCount, size_t);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, maxBlockCount, size_t);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, priority, float);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, minAllocationAlignment, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaPoolCreateInfo, pMemoryAllocateNext, void *);
EXPECT_MEMBER_TYPE(VmaAllocationInfo, memoryType, uint32_t);
EXPECT_MEMBER_TYPE(VmaAllocationInfo, deviceMemory, VkDeviceMemory);
EXPECT_MEMBER_TYPE(VmaAllocationInfo, offset, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaAllocationInfo, size, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaAllocationInfo, pMappedData, void *);
EXPECT_MEMBER_TYPE(VmaAllocationInfo, pUserData, void *);
EXPECT_MEMBER_TYPE(VmaAllocationInfo, pName, const char *);
EXPECT_MEMBER_TYPE(VmaAllocationInfo2, allocationInfo, VmaAllocationInfo);
EXPECT_MEMBER_TYPE(VmaAllocationInfo2, blockSize, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaAllocationInfo2, dedicatedMemory, VkBool32);
EXPECT_MEMBER_TYPE(VmaDefragmentationInfo, flags, VmaDefragmentationFlags);
EXPECT_MEMBER_TYPE(VmaDefragmentationInfo, pool, VmaPool);
EXPECT_MEMBER_TYPE(VmaDefragmentationInfo, maxBytesPerPass, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaDefragmentationInfo, maxAllocationsPerPass, uint32_t);
EXPECT_MEMBER_TYPE(VmaDefragmentationInfo, pfnBreakCallback,
                   PFN_vmaCheckDefragmentationBreakFunction);
EXPECT_MEMBER_TYPE(VmaDefragmentationInfo, pBreakCallbackUserData, void *);
EXPECT_MEMBER_TYPE(VmaDefragmentationMove, operation, VmaDefragmentationMoveOperation);
EXPECT_MEMBER_TYPE(VmaDefragmentationMove, srcAllocation, VmaAllocation);
EXPECT_MEMBER_TYPE(VmaDefragmentationMove, dstTmpAllocation, VmaAllocation);
EXPECT_MEMBER_TYPE(VmaDefragmentationPassMoveInfo, moveCount, uint32_t);
EXPECT_MEMBER_TYPE(VmaDefragmentationPassMoveInfo, pMoves, VmaDefragmentationMove *);
EXPECT_MEMBER_TYPE(VmaDefragmentationStats, bytesMoved, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaDefragmentationStats, bytesFreed, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaDefragmentationStats, allocationsMoved, uint32_t);
EXPECT_MEMBER_TYPE(VmaDefragmentationStats, deviceMemoryBlocksFreed, uint32_t);
EXPECT_MEMBER_TYPE(VmaVirtualBlockCreateInfo, size, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaVirtualBlockCreateInfo, flags, VmaVirtualBlockCreateFlags);
EXPECT_MEMBER_TYPE(VmaVirtualBlockCreateInfo, pAllocationCallbacks, const VkAllocationCallbacks *);
EXPECT_MEMBER_TYPE(VmaVirtualAllocationCreateInfo, size, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaVirtualAllocationCreateInfo, alignment, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaVirtualAllocationCreateInfo, flags, VmaVirtualAllocationCreateFlags);
EXPECT_MEMBER_TYPE(VmaVirtualAllocationCreateInfo, pUserData, void *);
EXPECT_MEMBER_TYPE(VmaVirtualAllocationInfo, offset, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaVirtualAllocationInfo, size, VkDeviceSize);
EXPECT_MEMBER_TYPE(VmaVirtualAllocationInfo, pUserData, void *);
_Static_assert(SAME_TYPE(VmaAllocatorCreateFlags, VkFlags), "flags are VkFlags");
_Static_assert(SAME_TYPE(VmaAllocationCreateFlags, VkFlags), "flags are VkFlags");
_Static_assert(SAME_TYPE(VmaPoolCreateFlags, VkFlags), "flags are VkFlags");
_Static_assert(SAME_TYPE(VmaDefragmentationFlags, VkFlags), "flags are VkFlags");
_Static_assert(SAME_TYPE(VmaVirtualBlockCreateFlags, VkFlags), "flags are VkFlags");
_Static_assert(SAME_TYPE(VmaVirtualAllocationCreateFlags, VkFlags), "flags are VkFlags");
_Static_assert(SAME_TYPE(PFN_vmaAllocateDeviceMemoryFunction,
                         void (*)(VmaAllocator, uint32_t, VkDeviceMemory, VkDeviceSize, void *)),
               "PFN_vmaAllocateDeviceMemoryFunction must have VMA 3.3's type");
_Static_assert(SAME_TYPE(PFN_vmaFreeDeviceMemoryFunction,
                         void (*)(VmaAllocator, uint32_t, VkDeviceMemory, VkDeviceSize, void *)),
               "PFN_vmaFreeDeviceMemoryFunction must have VMA 3.3's type");
_Static_assert(SAME_TYPE(PFN_vmaCheckDefragmentationBreakFunction, VkBool32 (*)(void *)),
               "PFN_vmaCheckDefragmentationBreakFunction must have VMA 3.3's type");

/* ---- every function links ----------------------------------------------------------- */

typedef void (*api_fn)(void);
typedef struct {
    const char *name;
    api_fn fn;
} api_entry;
#define API(f) {#f, (api_fn)f}

/* Sorted by name: the same 72 lines as tests/unit/vma33_functions.txt. */
static const api_entry api_table[] = {
    API(vmaAllocateMemory),
    API(vmaAllocateMemoryForBuffer),
    API(vmaAllocateMemoryForImage),
    API(vmaAllocateMemoryPages),
    API(vmaBeginDefragmentation),
    API(vmaBeginDefragmentationPass),
    API(vmaBindBufferMemory),
    API(vmaBindBufferMemory2),
    API(vmaBindImageMemory),
    API(vmaBindImageMemory2),
    API(vmaBuildStatsString),
    API(vmaBuildVirtualBlockStatsString),
    API(vmaCalculatePoolStatistics),
    API(vmaCalculateStatistics),
    API(vmaCalculateVirtualBlockStatistics),
    API(vmaCheckCorruption),
    API(vmaCheckPoolCorruption),
    API(vmaClearVirtualBlock),
    API(vmaCopyAllocationToMemory),
    API(vmaCopyMemoryToAllocation),
    API(vmaCreateAliasingBuffer),
    API(vmaCreateAliasingBuffer2),
    API(vmaCreateAliasingImage),
    API(vmaCreateAliasingImage2),
    API(vmaCreateAllocator),
    API(vmaCreateBuffer),
    API(vmaCreateBufferWithAlignment),
    API(vmaCreateImage),
    API(vmaCreatePool),
    API(vmaCreateVirtualBlock),
    API(vmaDestroyAllocator),
    API(vmaDestroyBuffer),
    API(vmaDestroyImage),
    API(vmaDestroyPool),
    API(vmaDestroyVirtualBlock),
    API(vmaEndDefragmentation),
    API(vmaEndDefragmentationPass),
    API(vmaFindMemoryTypeIndex),
    API(vmaFindMemoryTypeIndexForBufferInfo),
    API(vmaFindMemoryTypeIndexForImageInfo),
    API(vmaFlushAllocation),
    API(vmaFlushAllocations),
    API(vmaFreeMemory),
    API(vmaFreeMemoryPages),
    API(vmaFreeStatsString),
    API(vmaFreeVirtualBlockStatsString),
    API(vmaGetAllocationInfo),
    API(vmaGetAllocationInfo2),
    API(vmaGetAllocationMemoryProperties),
    API(vmaGetAllocatorInfo),
    API(vmaGetHeapBudgets),
    API(vmaGetMemoryProperties),
    API(vmaGetMemoryTypeProperties),
    API(vmaGetMemoryWin32Handle),
    API(vmaGetPhysicalDeviceProperties),
    API(vmaGetPoolName),
    API(vmaGetPoolStatistics),
    API(vmaGetVirtualAllocationInfo),
    API(vmaGetVirtualBlockStatistics),
    API(vmaImportVulkanFunctionsFromVolk),
    API(vmaInvalidateAllocation),
    API(vmaInvalidateAllocations),
    API(vmaIsVirtualBlockEmpty),
    API(vmaMapMemory),
    API(vmaSetAllocationName),
    API(vmaSetAllocationUserData),
    API(vmaSetCurrentFrameIndex),
    API(vmaSetPoolName),
    API(vmaSetVirtualAllocationUserData),
    API(vmaUnmapMemory),
    API(vmaVirtualAllocate),
    API(vmaVirtualFree),
};

#define VMA33_FUNCTION_COUNT 72

TEST(all_72_vma33_functions_link_and_are_non_null)
{
    ASSERT_EQ(sizeof(api_table) / sizeof(api_table[0]), VMA33_FUNCTION_COUNT);
    for (size_t i = 0; i < VMA33_FUNCTION_COUNT; i++) {
        /* A volatile read keeps the table, and so the references to the symbols, in the
         * binary: a missing export is a link error, not a folded-away comparison. */
        api_fn fn = *(const volatile api_fn *)&api_table[i].fn;
        VKM_T_CHECK(fn != NULL, 0, "%s has a null address", api_table[i].name);
        if (i > 0)
            VKM_T_CHECK(strcmp(api_table[i - 1].name, api_table[i].name) < 0, 0,
                        "table not sorted or duplicated at %s", api_table[i].name);
    }
}

TEST(function_table_matches_vma33_functions_txt)
{
#ifdef VKM_TEST_SOURCE_DIR
    FILE *f = fopen(VKM_TEST_SOURCE_DIR "/tests/unit/vma33_functions.txt", "r");
    if (!f)
        TEST_SKIP("tests/unit/vma33_functions.txt not readable");
    char line[128];
    size_t n = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (n < VMA33_FUNCTION_COUNT)
            EXPECT_STREQ(line, api_table[n].name);
        n++;
    }
    fclose(f);
    EXPECT_EQ(n, VMA33_FUNCTION_COUNT);
#else
    TEST_SKIP("VKM_TEST_SOURCE_DIR not defined");
#endif
}

/* ---- layouts ------------------------------------------------------------------------ */

#define EXPECT_STRUCT(T, size, align)                                                        \
    do {                                                                                     \
        EXPECT_EQ(sizeof(T), size);                                                          \
        EXPECT_EQ(_Alignof(T), align);                                                       \
    } while (0)
#define EXPECT_MEMBER(T, m, offset, size)                                                    \
    do {                                                                                     \
        EXPECT_EQ(offsetof(T, m), offset);                                                   \
        EXPECT_EQ(sizeof(((T *)0)->m), size);                                                \
    } while (0)

/* VMA 3.3, x86-64 LP64: size, alignment; then offset and size of each member. */
TEST(struct_layouts_match_vma33_x86_64)
{
#if defined(__x86_64__) && defined(__LP64__)
    EXPECT_STRUCT(VmaDeviceMemoryCallbacks, 24, 8);
    EXPECT_MEMBER(VmaDeviceMemoryCallbacks, pfnAllocate, 0, 8);
    EXPECT_MEMBER(VmaDeviceMemoryCallbacks, pfnFree, 8, 8);
    EXPECT_MEMBER(VmaDeviceMemoryCallbacks, pUserData, 16, 8);

    EXPECT_STRUCT(VmaVulkanFunctions, 216, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetInstanceProcAddr, 0, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetDeviceProcAddr, 8, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetPhysicalDeviceProperties, 16, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetPhysicalDeviceMemoryProperties, 24, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkAllocateMemory, 32, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkFreeMemory, 40, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkMapMemory, 48, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkUnmapMemory, 56, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkFlushMappedMemoryRanges, 64, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkInvalidateMappedMemoryRanges, 72, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkBindBufferMemory, 80, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkBindImageMemory, 88, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetBufferMemoryRequirements, 96, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetImageMemoryRequirements, 104, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkCreateBuffer, 112, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkDestroyBuffer, 120, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkCreateImage, 128, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkDestroyImage, 136, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkCmdCopyBuffer, 144, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetBufferMemoryRequirements2KHR, 152, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetImageMemoryRequirements2KHR, 160, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkBindBufferMemory2KHR, 168, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkBindImageMemory2KHR, 176, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetPhysicalDeviceMemoryProperties2KHR, 184, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetDeviceBufferMemoryRequirements, 192, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetDeviceImageMemoryRequirements, 200, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetMemoryWin32HandleKHR, 208, 8);
    EXPECT_MEMBER(VmaVulkanFunctions, vkGetMemoryWin32HandleKHR, 208, 8);

    EXPECT_STRUCT(VmaAllocatorCreateInfo, 88, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, flags, 0, 4);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, physicalDevice, 8, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, device, 16, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, preferredLargeHeapBlockSize, 24, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, pAllocationCallbacks, 32, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, pDeviceMemoryCallbacks, 40, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, pHeapSizeLimit, 48, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, pVulkanFunctions, 56, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, instance, 64, 8);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, vulkanApiVersion, 72, 4);
    EXPECT_MEMBER(VmaAllocatorCreateInfo, pTypeExternalMemoryHandleTypes, 80, 8);

    EXPECT_STRUCT(VmaAllocatorInfo, 24, 8);
    EXPECT_MEMBER(VmaAllocatorInfo, instance, 0, 8);
    EXPECT_MEMBER(VmaAllocatorInfo, physicalDevice, 8, 8);
    EXPECT_MEMBER(VmaAllocatorInfo, device, 16, 8);

    EXPECT_STRUCT(VmaStatistics, 24, 8);
    EXPECT_MEMBER(VmaStatistics, blockCount, 0, 4);
    EXPECT_MEMBER(VmaStatistics, allocationCount, 4, 4);
    EXPECT_MEMBER(VmaStatistics, blockBytes, 8, 8);
    EXPECT_MEMBER(VmaStatistics, allocationBytes, 16, 8);

    EXPECT_STRUCT(VmaDetailedStatistics, 64, 8);
    EXPECT_MEMBER(VmaDetailedStatistics, statistics, 0, 24);
    EXPECT_MEMBER(VmaDetailedStatistics, unusedRangeCount, 24, 4);
    EXPECT_MEMBER(VmaDetailedStatistics, allocationSizeMin, 32, 8);
    EXPECT_MEMBER(VmaDetailedStatistics, allocationSizeMax, 40, 8);
    EXPECT_MEMBER(VmaDetailedStatistics, unusedRangeSizeMin, 48, 8);
    EXPECT_MEMBER(VmaDetailedStatistics, unusedRangeSizeMax, 56, 8);

    EXPECT_STRUCT(VmaTotalStatistics, 3136, 8);
    EXPECT_MEMBER(VmaTotalStatistics, memoryType, 0, 2048);
    EXPECT_MEMBER(VmaTotalStatistics, memoryHeap, 2048, 1024);
    EXPECT_MEMBER(VmaTotalStatistics, total, 3072, 64);

    EXPECT_STRUCT(VmaBudget, 40, 8);
    EXPECT_MEMBER(VmaBudget, statistics, 0, 24);
    EXPECT_MEMBER(VmaBudget, usage, 24, 8);
    EXPECT_MEMBER(VmaBudget, budget, 32, 8);

    EXPECT_STRUCT(VmaAllocationCreateInfo, 48, 8);
    EXPECT_MEMBER(VmaAllocationCreateInfo, flags, 0, 4);
    EXPECT_MEMBER(VmaAllocationCreateInfo, usage, 4, 4);
    EXPECT_MEMBER(VmaAllocationCreateInfo, requiredFlags, 8, 4);
    EXPECT_MEMBER(VmaAllocationCreateInfo, preferredFlags, 12, 4);
    EXPECT_MEMBER(VmaAllocationCreateInfo, memoryTypeBits, 16, 4);
    EXPECT_MEMBER(VmaAllocationCreateInfo, pool, 24, 8);
    EXPECT_MEMBER(VmaAllocationCreateInfo, pUserData, 32, 8);
    EXPECT_MEMBER(VmaAllocationCreateInfo, priority, 40, 4);

    EXPECT_STRUCT(VmaPoolCreateInfo, 56, 8);
    EXPECT_MEMBER(VmaPoolCreateInfo, memoryTypeIndex, 0, 4);
    EXPECT_MEMBER(VmaPoolCreateInfo, flags, 4, 4);
    EXPECT_MEMBER(VmaPoolCreateInfo, blockSize, 8, 8);
    EXPECT_MEMBER(VmaPoolCreateInfo, minBlockCount, 16, 8);
    EXPECT_MEMBER(VmaPoolCreateInfo, maxBlockCount, 24, 8);
    EXPECT_MEMBER(VmaPoolCreateInfo, priority, 32, 4);
    EXPECT_MEMBER(VmaPoolCreateInfo, minAllocationAlignment, 40, 8);
    EXPECT_MEMBER(VmaPoolCreateInfo, pMemoryAllocateNext, 48, 8);

    EXPECT_STRUCT(VmaAllocationInfo, 56, 8);
    EXPECT_MEMBER(VmaAllocationInfo, memoryType, 0, 4);
    EXPECT_MEMBER(VmaAllocationInfo, deviceMemory, 8, 8);
    EXPECT_MEMBER(VmaAllocationInfo, offset, 16, 8);
    EXPECT_MEMBER(VmaAllocationInfo, size, 24, 8);
    EXPECT_MEMBER(VmaAllocationInfo, pMappedData, 32, 8);
    EXPECT_MEMBER(VmaAllocationInfo, pUserData, 40, 8);
    EXPECT_MEMBER(VmaAllocationInfo, pName, 48, 8);

    EXPECT_STRUCT(VmaAllocationInfo2, 72, 8);
    EXPECT_MEMBER(VmaAllocationInfo2, allocationInfo, 0, 56);
    EXPECT_MEMBER(VmaAllocationInfo2, blockSize, 56, 8);
    EXPECT_MEMBER(VmaAllocationInfo2, dedicatedMemory, 64, 4);

    EXPECT_STRUCT(VmaDefragmentationInfo, 48, 8);
    EXPECT_MEMBER(VmaDefragmentationInfo, flags, 0, 4);
    EXPECT_MEMBER(VmaDefragmentationInfo, pool, 8, 8);
    EXPECT_MEMBER(VmaDefragmentationInfo, maxBytesPerPass, 16, 8);
    EXPECT_MEMBER(VmaDefragmentationInfo, maxAllocationsPerPass, 24, 4);
    EXPECT_MEMBER(VmaDefragmentationInfo, pfnBreakCallback, 32, 8);
    EXPECT_MEMBER(VmaDefragmentationInfo, pBreakCallbackUserData, 40, 8);

    EXPECT_STRUCT(VmaDefragmentationMove, 24, 8);
    EXPECT_MEMBER(VmaDefragmentationMove, operation, 0, 4);
    EXPECT_MEMBER(VmaDefragmentationMove, srcAllocation, 8, 8);
    EXPECT_MEMBER(VmaDefragmentationMove, dstTmpAllocation, 16, 8);

    EXPECT_STRUCT(VmaDefragmentationPassMoveInfo, 16, 8);
    EXPECT_MEMBER(VmaDefragmentationPassMoveInfo, moveCount, 0, 4);
    EXPECT_MEMBER(VmaDefragmentationPassMoveInfo, pMoves, 8, 8);

    EXPECT_STRUCT(VmaDefragmentationStats, 24, 8);
    EXPECT_MEMBER(VmaDefragmentationStats, bytesMoved, 0, 8);
    EXPECT_MEMBER(VmaDefragmentationStats, bytesFreed, 8, 8);
    EXPECT_MEMBER(VmaDefragmentationStats, allocationsMoved, 16, 4);
    EXPECT_MEMBER(VmaDefragmentationStats, deviceMemoryBlocksFreed, 20, 4);

    EXPECT_STRUCT(VmaVirtualBlockCreateInfo, 24, 8);
    EXPECT_MEMBER(VmaVirtualBlockCreateInfo, size, 0, 8);
    EXPECT_MEMBER(VmaVirtualBlockCreateInfo, flags, 8, 4);
    EXPECT_MEMBER(VmaVirtualBlockCreateInfo, pAllocationCallbacks, 16, 8);

    EXPECT_STRUCT(VmaVirtualAllocationCreateInfo, 32, 8);
    EXPECT_MEMBER(VmaVirtualAllocationCreateInfo, size, 0, 8);
    EXPECT_MEMBER(VmaVirtualAllocationCreateInfo, alignment, 8, 8);
    EXPECT_MEMBER(VmaVirtualAllocationCreateInfo, flags, 16, 4);
    EXPECT_MEMBER(VmaVirtualAllocationCreateInfo, pUserData, 24, 8);

    EXPECT_STRUCT(VmaVirtualAllocationInfo, 24, 8);
    EXPECT_MEMBER(VmaVirtualAllocationInfo, offset, 0, 8);
    EXPECT_MEMBER(VmaVirtualAllocationInfo, size, 8, 8);
    EXPECT_MEMBER(VmaVirtualAllocationInfo, pUserData, 16, 8);
#else
    TEST_SKIP("expected layouts are written for x86-64 LP64");
#endif
}

/* VMA 3.3's values. Every enum is int-sized. */
TEST(enum_constants_and_flag_bits_match_vma33)
{
    EXPECT_EQ(sizeof(VmaAllocatorCreateFlagBits), 4);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_EXTERNALLY_SYNCHRONIZED_BIT, 0x00000001);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT, 0x00000002);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT, 0x00000004);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT, 0x00000008);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_AMD_DEVICE_COHERENT_MEMORY_BIT, 0x00000010);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT, 0x00000020);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT, 0x00000040);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT, 0x00000080);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT, 0x00000100);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_KHR_EXTERNAL_MEMORY_WIN32_BIT, 0x00000200);
    EXPECT_EQ(VMA_ALLOCATOR_CREATE_FLAG_BITS_MAX_ENUM, 0x7FFFFFFF);

    EXPECT_EQ(sizeof(VmaMemoryUsage), 4);
    EXPECT_EQ(VMA_MEMORY_USAGE_UNKNOWN, 0);
    EXPECT_EQ(VMA_MEMORY_USAGE_GPU_ONLY, 1);
    EXPECT_EQ(VMA_MEMORY_USAGE_CPU_ONLY, 2);
    EXPECT_EQ(VMA_MEMORY_USAGE_CPU_TO_GPU, 3);
    EXPECT_EQ(VMA_MEMORY_USAGE_GPU_TO_CPU, 4);
    EXPECT_EQ(VMA_MEMORY_USAGE_CPU_COPY, 5);
    EXPECT_EQ(VMA_MEMORY_USAGE_GPU_LAZILY_ALLOCATED, 6);
    EXPECT_EQ(VMA_MEMORY_USAGE_AUTO, 7);
    EXPECT_EQ(VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE, 8);
    EXPECT_EQ(VMA_MEMORY_USAGE_AUTO_PREFER_HOST, 9);
    EXPECT_EQ(VMA_MEMORY_USAGE_MAX_ENUM, 0x7FFFFFFF);

    EXPECT_EQ(sizeof(VmaAllocationCreateFlagBits), 4);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT, 0x00000001);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT, 0x00000002);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_MAPPED_BIT, 0x00000004);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_USER_DATA_COPY_STRING_BIT, 0x00000020);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT, 0x00000040);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_DONT_BIND_BIT, 0x00000080);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT, 0x00000100);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT, 0x00000200);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT, 0x00000400);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT, 0x00000800);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT, 0x00001000);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT, 0x00010000);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT, 0x00020000);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT, 0x00040000);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_STRATEGY_BEST_FIT_BIT, 0x00010000);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_STRATEGY_FIRST_FIT_BIT, 0x00020000);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_STRATEGY_MASK, 0x00070000);
    EXPECT_EQ(VMA_ALLOCATION_CREATE_FLAG_BITS_MAX_ENUM, 0x7FFFFFFF);

    EXPECT_EQ(sizeof(VmaPoolCreateFlagBits), 4);
    EXPECT_EQ(VMA_POOL_CREATE_IGNORE_BUFFER_IMAGE_GRANULARITY_BIT, 0x00000002);
    EXPECT_EQ(VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT, 0x00000004);
    EXPECT_EQ(VMA_POOL_CREATE_ALGORITHM_MASK, 0x00000004);
    EXPECT_EQ(VMA_POOL_CREATE_FLAG_BITS_MAX_ENUM, 0x7FFFFFFF);

    EXPECT_EQ(sizeof(VmaDefragmentationFlagBits), 4);
    EXPECT_EQ(VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT, 0x00000001);
    EXPECT_EQ(VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT, 0x00000002);
    EXPECT_EQ(VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT, 0x00000004);
    EXPECT_EQ(VMA_DEFRAGMENTATION_FLAG_ALGORITHM_EXTENSIVE_BIT, 0x00000008);
    EXPECT_EQ(VMA_DEFRAGMENTATION_FLAG_ALGORITHM_MASK, 0x0000000F);
    EXPECT_EQ(VMA_DEFRAGMENTATION_FLAG_BITS_MAX_ENUM, 0x7FFFFFFF);

    EXPECT_EQ(sizeof(VmaDefragmentationMoveOperation), 4);
    EXPECT_EQ(VMA_DEFRAGMENTATION_MOVE_OPERATION_COPY, 0);
    EXPECT_EQ(VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE, 1);
    EXPECT_EQ(VMA_DEFRAGMENTATION_MOVE_OPERATION_DESTROY, 2);

    EXPECT_EQ(sizeof(VmaVirtualBlockCreateFlagBits), 4);
    EXPECT_EQ(VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT, 0x00000001);
    EXPECT_EQ(VMA_VIRTUAL_BLOCK_CREATE_ALGORITHM_MASK, 0x00000001);
    EXPECT_EQ(VMA_VIRTUAL_BLOCK_CREATE_FLAG_BITS_MAX_ENUM, 0x7FFFFFFF);

    EXPECT_EQ(sizeof(VmaVirtualAllocationCreateFlagBits), 4);
    EXPECT_EQ(VMA_VIRTUAL_ALLOCATION_CREATE_UPPER_ADDRESS_BIT, 0x00000040);
    EXPECT_EQ(VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT, 0x00010000);
    EXPECT_EQ(VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT, 0x00020000);
    EXPECT_EQ(VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT, 0x00040000);
    EXPECT_EQ(VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MASK, 0x00070000);
    EXPECT_EQ(VMA_VIRTUAL_ALLOCATION_CREATE_FLAG_BITS_MAX_ENUM, 0x7FFFFFFF);
}

/* ---- handles and macros ------------------------------------------------------------- */

TEST(handles_are_pointer_sized_and_compare_with_vk_null_handle)
{
    EXPECT_EQ(sizeof(VmaAllocator), sizeof(void *));
    EXPECT_EQ(sizeof(VmaPool), sizeof(void *));
    EXPECT_EQ(sizeof(VmaAllocation), sizeof(void *));
    EXPECT_EQ(sizeof(VmaDefragmentationContext), sizeof(void *));
    EXPECT_EQ(sizeof(VmaVirtualBlock), sizeof(void *));
    /* Non-dispatchable: a pointer on 64-bit targets, a uint64_t elsewhere. */
    EXPECT_EQ(sizeof(VmaVirtualAllocation), sizeof(uint64_t));

    VmaAllocator allocator = VK_NULL_HANDLE;
    VmaPool pool = VK_NULL_HANDLE;
    VmaAllocation allocation = VK_NULL_HANDLE;
    VmaDefragmentationContext context = VK_NULL_HANDLE;
    VmaVirtualBlock block = VK_NULL_HANDLE;
    VmaVirtualAllocation virtual_allocation = VK_NULL_HANDLE;
    EXPECT_TRUE(allocator == VK_NULL_HANDLE);
    EXPECT_TRUE(pool == VK_NULL_HANDLE);
    EXPECT_TRUE(allocation == VK_NULL_HANDLE);
    EXPECT_TRUE(context == VK_NULL_HANDLE);
    EXPECT_TRUE(block == VK_NULL_HANDLE);
    EXPECT_TRUE(virtual_allocation == VK_NULL_HANDLE);

    /* Zero-initialized structs hold null handles, as VMA programs assume. */
    VmaAllocationCreateInfo create_info = {0};
    VmaDefragmentationInfo defrag_info = {0};
    EXPECT_TRUE(create_info.pool == VK_NULL_HANDLE);
    EXPECT_TRUE(defrag_info.pool == VK_NULL_HANDLE);
}

TEST(configuration_macros_have_vma_defaults)
{
    EXPECT_EQ(VMA_STATS_STRING_ENABLED, 1);
#if !defined(_WIN32)
    EXPECT_EQ(VMA_EXTERNAL_MEMORY_WIN32, 0);
#endif
#if defined(VK_VERSION_1_4)
    EXPECT_EQ(VMA_VULKAN_VERSION, 1004000);
#elif defined(VK_VERSION_1_3)
    EXPECT_EQ(VMA_VULKAN_VERSION, 1003000);
#endif
#if defined(VK_KHR_get_memory_requirements2) && defined(VK_KHR_dedicated_allocation)
    EXPECT_EQ(VMA_DEDICATED_ALLOCATION, 1);
#endif
#if defined(VK_KHR_bind_memory2)
    EXPECT_EQ(VMA_BIND_MEMORY2, 1);
#endif
#if defined(VK_EXT_memory_budget)
    EXPECT_EQ(VMA_MEMORY_BUDGET, 1);
#endif
#if defined(VK_KHR_maintenance4)
    EXPECT_EQ(VMA_KHR_MAINTENANCE4, 1);
#endif
#if defined(VK_KHR_external_memory)
    EXPECT_EQ(VMA_EXTERNAL_MEMORY, 1);
#endif
    EXPECT_EQ(VMA_BUFFER_DEVICE_ADDRESS, 1);
    EXPECT_EQ(VMA_MEMORY_PRIORITY, 1);
}

/* The way VMA programs fill the create infos compiles cleanly under the project's warnings
 * (-Wconversion, -Wsign-conversion) and keeps the values. */
TEST(typical_vma_setup_code_compiles_and_keeps_values)
{
    VmaVulkanFunctions functions = {0};
    functions.vkGetInstanceProcAddr = NULL;
    functions.vkGetDeviceProcAddr = NULL;

    VmaAllocatorCreateInfo allocator_info = {0};
    allocator_info.flags = VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT |
                           VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT;
    allocator_info.vulkanApiVersion = VK_API_VERSION_1_3;
    allocator_info.pVulkanFunctions = &functions;
    allocator_info.pTypeExternalMemoryHandleTypes = NULL;
    EXPECT_EQ(allocator_info.flags, 0x28);

    VmaAllocationCreateInfo alloc_info = {0};
    alloc_info.usage = VMA_MEMORY_USAGE_AUTO;
    alloc_info.flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                       VMA_ALLOCATION_CREATE_MAPPED_BIT;
    alloc_info.priority = 1.0f;
    EXPECT_EQ(alloc_info.flags, 0x404);
    EXPECT_EQ(alloc_info.flags & VMA_ALLOCATION_CREATE_STRATEGY_MASK, 0);

    VmaPoolCreateInfo pool_info = {0};
    pool_info.flags = VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT;
    pool_info.maxBlockCount = 1;
    EXPECT_EQ(pool_info.flags & VMA_POOL_CREATE_ALGORITHM_MASK, 0x4);

    VmaVirtualAllocationCreateInfo virtual_info = {0};
    virtual_info.size = 4096;
    virtual_info.flags = VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT;
    EXPECT_EQ(virtual_info.flags, VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT);

    VmaDefragmentationMove move = {0};
    move.operation = VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE;
    EXPECT_EQ(move.operation, 1);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
