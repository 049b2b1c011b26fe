/* SPDX-License-Identifier: MIT */
/* Entry points: allocator lifetime, device properties, frame index, statistics, budget. */
#include "api.h"
#include "stats_json.h"

#include <string.h>

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAllocator(const VmaAllocatorCreateInfo *pCreateInfo, VmaAllocator *pAllocator)
{
    VKM_REQUIRE_PTR(pAllocator, "pAllocator", VKM_INVALID_ARG);
    *pAllocator = VK_NULL_HANDLE;
    VKM_REQUIRE_PTR(pCreateInfo, "pCreateInfo", VKM_INVALID_ARG);
    VKM_REQUIRE(pCreateInfo->physicalDevice != VK_NULL_HANDLE,
                "pCreateInfo->physicalDevice must not be null", VKM_INVALID_ARG);
    VKM_REQUIRE(pCreateInfo->device != VK_NULL_HANDLE, "pCreateInfo->device must not be null",
                VKM_INVALID_ARG);
    VKM_REQUIRE(vkm_vkfuncs_api_version(pCreateInfo->vulkanApiVersion) <=
                    VK_MAKE_API_VERSION(0, 1, 4, 0),
                "pCreateInfo->vulkanApiVersion must be Vulkan 1.0 to 1.4", VKM_INVALID_ARG);
    return vkm_allocator_create(pCreateInfo, pAllocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaDestroyAllocator(VmaAllocator allocator)
{
    if (allocator == VK_NULL_HANDLE)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    vkm_allocator_destroy(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetAllocatorInfo(VmaAllocator allocator, VmaAllocatorInfo *pAllocatorInfo)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_PTR(pAllocatorInfo, "pAllocatorInfo", VKM_VOID);
    pAllocatorInfo->instance = allocator->instance;
    pAllocatorInfo->physicalDevice = allocator->physical_device;
    pAllocatorInfo->device = allocator->device;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetPhysicalDeviceProperties(VmaAllocator allocator,
                               const VkPhysicalDeviceProperties **ppPhysicalDeviceProperties)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_PTR(ppPhysicalDeviceProperties, "ppPhysicalDeviceProperties", VKM_VOID);
    *ppPhysicalDeviceProperties = &allocator->pd_props;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetMemoryProperties(VmaAllocator allocator,
                       const VkPhysicalDeviceMemoryProperties **ppPhysicalDeviceMemoryProperties)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_PTR(ppPhysicalDeviceMemoryProperties, "ppPhysicalDeviceMemoryProperties", VKM_VOID);
    *ppPhysicalDeviceMemoryProperties = &allocator->mem_props;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetMemoryTypeProperties(VmaAllocator allocator, uint32_t memoryTypeIndex,
                           VkMemoryPropertyFlags *pFlags)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_PTR(pFlags, "pFlags", VKM_VOID);
    VKM_REQUIRE(memoryTypeIndex < allocator->mem_props.memoryTypeCount,
                "memoryTypeIndex must be below memoryTypeCount", VKM_VOID);
    *pFlags = allocator->mem_props.memoryTypes[memoryTypeIndex].propertyFlags;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaSetCurrentFrameIndex(VmaAllocator allocator, uint32_t frameIndex)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    /* Any value: VMA 3.x has no reserved frame index (VMA_FRAME_INDEX_LOST went with 2.x). */
    VKM_API_LOCK(allocator);
    vkm_atomic_store_u32_relaxed(&allocator->xframe_index, frameIndex);
    vkm_budget_fetch(&allocator->budget, &allocator->funcs, allocator->physical_device);
    vkm_allocator_trim_thread_cache(allocator, false);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaCalculateStatistics(VmaAllocator allocator, VmaTotalStatistics *pStats)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_PTR(pStats, "pStats", VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_allocator_calculate_statistics(allocator, pStats);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetHeapBudgets(VmaAllocator allocator, VmaBudget *pBudgets)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_PTR(pBudgets, "pBudgets", VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_allocator_heap_budgets(allocator, pBudgets);
    VKM_API_UNLOCK(allocator);
}

/* --- vkmalloc.h ---------------------------------------------------------------------- */

VKM_EXPORT uint32_t
vkmGetVersion(void)
{
    return VKMALLOC_VERSION;
}

VKM_EXPORT uint32_t
vkmGetVmaApiVersion(void)
{
    return VK_MAKE_VERSION(3, 3, 0);
}

VKM_EXPORT int
vkmIsSingleMutexBuild(void)
{
    return VKM_SINGLE_MUTEX ? 1 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Vulkan functions for a program that loads them itself (volk)                          */

VMA_CALL_PRE VkResult VMA_CALL_POST
vkmImportVulkanFunctions(const VmaAllocatorCreateInfo *pAllocatorCreateInfo,
                         PFN_vkGetInstanceProcAddr getInstanceProcAddr,
                         PFN_vkGetDeviceProcAddr getDeviceProcAddr,
                         VmaVulkanFunctions *pDstVulkanFunctions)
{
    VKM_REQUIRE_PTR(pDstVulkanFunctions, "pDstVulkanFunctions", VK_ERROR_INITIALIZATION_FAILED);
    memset(pDstVulkanFunctions, 0, sizeof *pDstVulkanFunctions);
    VKM_REQUIRE_PTR(pAllocatorCreateInfo, "pAllocatorCreateInfo", VK_ERROR_INITIALIZATION_FAILED);
    VKM_REQUIRE(pAllocatorCreateInfo->instance != VK_NULL_HANDLE,
                "pAllocatorCreateInfo->instance must not be null", VK_ERROR_INITIALIZATION_FAILED);
    VKM_REQUIRE(pAllocatorCreateInfo->device != VK_NULL_HANDLE,
                "pAllocatorCreateInfo->device must not be null", VK_ERROR_INITIALIZATION_FAILED);
    /* A null getter here is volk not yet initialised; the library must not fall back to
     * the loader behind the program's back then. */
    VKM_REQUIRE(getInstanceProcAddr != NULL,
                "getInstanceProcAddr must not be null (with volk: call volkInitialize and "
                "volkLoadInstance first)",
                VK_ERROR_INITIALIZATION_FAILED);
    /* The dispatch table's own rules pick the names (API version, extension flags), so an
     * imported table holds exactly what vmaCreateAllocator would fetch with these getters. */
    VmaVulkanFunctions getters = {
        .vkGetInstanceProcAddr = getInstanceProcAddr,
        .vkGetDeviceProcAddr = getDeviceProcAddr,
    };
    VmaAllocatorCreateInfo ci = *pAllocatorCreateInfo;
    ci.pVulkanFunctions = &getters;
    vkm_vkfuncs f;
    VkResult res = vkm_vkfuncs_init(&f, &ci);
    *pDstVulkanFunctions = f.vk;
    return res;
}

/* The exported symbol for a program that declares vmaImportVulkanFunctionsFromVolk
 * itself instead of getting vk_mem_alloc.h's inline definition (which passes volk's own
 * getters): the loader's getter is what volkInitialize loads too. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaImportVulkanFunctionsFromVolk(
    const VmaAllocatorCreateInfo *pAllocatorCreateInfo, VmaVulkanFunctions *pDstVulkanFunctions);

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaImportVulkanFunctionsFromVolk(const VmaAllocatorCreateInfo *pAllocatorCreateInfo,
                                 VmaVulkanFunctions *pDstVulkanFunctions)
{
    return vkmImportVulkanFunctions(pAllocatorCreateInfo, vkm_vkfuncs_loader_getter(), NULL,
                                    pDstVulkanFunctions);
}

/* --- JSON ------------------------------------------------------------------------- */

VMA_CALL_PRE void VMA_CALL_POST
vmaBuildStatsString(VmaAllocator allocator, char **ppStatsString, VkBool32 detailedMap)
{
    VKM_REQUIRE_PTR(ppStatsString, "ppStatsString", VKM_VOID);
    *ppStatsString = NULL;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_API_LOCK(allocator);
    /* VMA writes the map for VK_TRUE only, not for any non-zero value */
    *ppStatsString = vkm_stats_json_build(allocator, detailedMap == VK_TRUE);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaFreeStatsString(VmaAllocator allocator, char *pStatsString)
{
    if (pStatsString == NULL)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    vkm_stats_json_free(allocator, pStatsString);
}
