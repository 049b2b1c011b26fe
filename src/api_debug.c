/* SPDX-License-Identifier: MIT */
/* Entry points: corruption detection (vmaCheck*Corruption) and the vkm* debug options
 * (include/vkmalloc.h). The work is in corruption.c. */
#include "api.h"
#include "corruption.h"

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCheckCorruption(VmaAllocator allocator, uint32_t memoryTypeBits)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    const VkResult res = vkm_corruption_check(allocator, memoryTypeBits);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCheckPoolCorruption(VmaAllocator allocator, VmaPool pool)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_POOL(allocator, pool, VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    const VkResult res = vkm_corruption_check_pool(allocator, pool);
    VKM_API_UNLOCK(allocator);
    return res;
}

VKM_EXPORT VkResult
vkmSetDebugOptions(const VkmDebugOptions *pOptions)
{
    VKM_REQUIRE(pOptions == NULL || pOptions->margin <= VKM_DEBUG_MAX_MARGIN,
                "pOptions->margin must not exceed VKM_DEBUG_MAX_MARGIN", VKM_INVALID_ARG);
    VKM_REQUIRE(pOptions == NULL || !pOptions->detectCorruption || pOptions->margin % 4 == 0,
                "pOptions->margin must be a multiple of 4 with detectCorruption", VKM_INVALID_ARG);
    return vkm_corruption_set_process_options(pOptions);
}

VKM_EXPORT void
vkmGetDebugOptions(VmaAllocator allocator, VkmDebugOptions *pOptions)
{
    VKM_REQUIRE_PTR(pOptions, "pOptions", VKM_VOID);
    if (allocator == NULL) {
        vkm_corruption_process_options(pOptions);
        return;
    }
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    *pOptions = allocator->corruption.options; /* immutable */
}

VKM_EXPORT uint64_t
vkmGetCorruptionCount(VmaAllocator allocator)
{
    if (allocator == NULL)
        return 0;
    VKM_REQUIRE_ALLOCATOR(allocator, 0);
    return vkm_atomic_load_u64_relaxed(&allocator->corruption.xfound);
}
