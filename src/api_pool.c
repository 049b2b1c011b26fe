/* SPDX-License-Identifier: MIT */
/* Entry points: custom pools. */
#include "api.h"
#include "stats.h"

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreatePool(VmaAllocator allocator, const VmaPoolCreateInfo *pCreateInfo, VmaPool *pPool)
{
    VKM_REQUIRE_PTR(pPool, "pPool", VKM_INVALID_ARG);
    *pPool = VK_NULL_HANDLE;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pCreateInfo, "pCreateInfo", VKM_INVALID_ARG);
    /* Invalid parameters get VMA's code for an invalid create info, as the header says. */
    const VmaPoolCreateInfo *ci = pCreateInfo;
    const size_t max_blocks = ci->maxBlockCount ? ci->maxBlockCount : SIZE_MAX;
    if (ci->minBlockCount > max_blocks)
        return VK_ERROR_INITIALIZATION_FAILED; /* VMA's code */
    if (ci->memoryTypeIndex >= allocator->mem_props.memoryTypeCount ||
        !(allocator->mt.global_type_bits & (1u << ci->memoryTypeIndex)))
        return VK_ERROR_FEATURE_NOT_PRESENT; /* VMA's code */
    VKM_REQUIRE((ci->minAllocationAlignment & (ci->minAllocationAlignment - 1)) == 0,
                "pCreateInfo->minAllocationAlignment must be 0 or a power of two", VK_ERROR_INITIALIZATION_FAILED);
    VKM_REQUIRE(ci->priority >= 0.0f && ci->priority <= 1.0f,
                "pCreateInfo->priority must be within [0, 1]", VK_ERROR_INITIALIZATION_FAILED);
    VKM_REQUIRE(ci->pMemoryAllocateNext == NULL ||
                    ((const VkBaseInStructure *)ci->pMemoryAllocateNext)->sType != 0,
                "pCreateInfo->pMemoryAllocateNext points at an uninitialised structure",
                VK_ERROR_INITIALIZATION_FAILED);
    VKM_REQUIRE(!(ci->flags & ~(VmaPoolCreateFlags)(VMA_POOL_CREATE_IGNORE_BUFFER_IMAGE_GRANULARITY_BIT |
                                                   VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT)),
                "pCreateInfo->flags has unknown bits", VK_ERROR_INITIALIZATION_FAILED);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_pool_create(allocator, ci, pPool);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaDestroyPool(VmaAllocator allocator, VmaPool pool)
{
    if (pool == VK_NULL_HANDLE)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_POOL(allocator, pool, VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_pool_destroy(allocator, pool);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetPoolStatistics(VmaAllocator allocator, VmaPool pool, VmaStatistics *pPoolStats)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_POOL(allocator, pool, VKM_VOID);
    VKM_REQUIRE_PTR(pPoolStats, "pPoolStats", VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_stats_clear(pPoolStats);
    vkm_pool_add_basic_stats(pool, pPoolStats);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaCalculatePoolStatistics(VmaAllocator allocator, VmaPool pool, VmaDetailedStatistics *pPoolStats)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_POOL(allocator, pool, VKM_VOID);
    VKM_REQUIRE_PTR(pPoolStats, "pPoolStats", VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_pool_calculate_stats(pool, pPoolStats);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetPoolName(VmaAllocator allocator, VmaPool pool, const char **ppName)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_POOL(allocator, pool, VKM_VOID);
    VKM_REQUIRE_PTR(ppName, "ppName", VKM_VOID);
    *ppName = pool->name;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaSetPoolName(VmaAllocator allocator, VmaPool pool, const char *pName)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE_POOL(allocator, pool, VKM_VOID);
    vkm_pool_set_name(pool, pName);
}
