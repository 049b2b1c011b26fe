/* SPDX-License-Identifier: MIT */
/* vkm* thread-cache extensions (include/vkmalloc.h). */
#include "api.h"
#include "tcache.h"

#include <string.h>

VKM_EXPORT VkResult
vkmGetThreadCacheStatistics(VmaAllocator allocator, VkmThreadCacheStatistics *pStats)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pStats, "pStats", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    vkm_tcache_stats(vkm_tcache_peek(allocator), pStats);
    VKM_API_UNLOCK(allocator);
    return VK_SUCCESS;
}

VKM_EXPORT VkResult
vkmGetAllThreadCacheStatistics(VmaAllocator allocator, VkmThreadCacheStatistics *pStats)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pStats, "pStats", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    vkm_tcache_stats_all(allocator, pStats);
    VKM_API_UNLOCK(allocator);
    return VK_SUCCESS;
}

VKM_EXPORT void
vkmFlushThreadCache(VmaAllocator allocator)
{
    if (allocator == NULL)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_allocator_trim_thread_cache(allocator, true);
    VKM_API_UNLOCK(allocator);
}

VKM_EXPORT VkResult
vkmSetThreadCacheLimit(VmaAllocator allocator, VkDeviceSize maxCachedBytes)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    vkm_atomic_store_u64_relaxed(&allocator->tcs->xlimit, maxCachedBytes);
    return VK_SUCCESS;
}

VKM_EXPORT VkDeviceSize
vkmGetThreadCacheLimit(VmaAllocator allocator)
{
    VKM_REQUIRE_ALLOCATOR(allocator, 0);
    return vkm_atomic_load_u64_relaxed(&allocator->tcs->xlimit);
}
