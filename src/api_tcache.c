/* SPDX-License-Identifier: MIT */
/* vkm* thread-cache extensions (include/vkmalloc.h). TEMPORARY: reports an empty cache
 * until src/tcache.c lands (same issue); the signatures are final. */
#include "api.h"

#include <string.h>

VKM_EXPORT VkResult
vkmGetThreadCacheStatistics(VmaAllocator allocator, VkmThreadCacheStatistics *pStats)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pStats, "pStats", VKM_INVALID_ARG);
    memset(pStats, 0, sizeof(*pStats));
    return VK_SUCCESS;
}

VKM_EXPORT VkResult
vkmGetAllThreadCacheStatistics(VmaAllocator allocator, VkmThreadCacheStatistics *pStats)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pStats, "pStats", VKM_INVALID_ARG);
    memset(pStats, 0, sizeof(*pStats));
    return VK_SUCCESS;
}

VKM_EXPORT void
vkmFlushThreadCache(VmaAllocator allocator)
{
    if (allocator == NULL)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
}

VKM_EXPORT VkResult
vkmSetThreadCacheLimit(VmaAllocator allocator, VkDeviceSize maxCachedBytes)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_UNUSED(maxCachedBytes);
    return VK_SUCCESS;
}

VKM_EXPORT VkDeviceSize
vkmGetThreadCacheLimit(VmaAllocator allocator)
{
    VKM_REQUIRE_ALLOCATOR(allocator, 0);
    return VKM_DEFAULT_THREAD_CACHE_BYTES;
}
