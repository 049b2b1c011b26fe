/* SPDX-License-Identifier: MIT */
/*
 * Entry points: virtual blocks. No allocator, so no single-mutex lock: VMA makes a
 * virtual block externally synchronized. A block handle is checked by its magic, an
 * allocation handle by asking the block's range allocator whether it is live, so a stale
 * or foreign handle is reported (debug) and ignored instead of corrupting the block.
 */
#include "api.h"
#include "stats_json.h"
#include "virtual.h"

static inline bool
block_ok(VmaVirtualBlock b)
{
    return b != NULL && b->magic == VKM_VIRTUAL_MAGIC;
}

#define VKM_REQUIRE_VBLOCK(b, ret) \
    VKM_REQUIRE(block_ok(b), "virtualBlock must be a live VmaVirtualBlock", ret)
#define VKM_REQUIRE_VALLOC(b, h, ret)          \
    VKM_REQUIRE(vkm_virtual_is_live((b), (h)), \
                "allocation must be a live VmaVirtualAllocation of this virtualBlock", ret)

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateVirtualBlock(const VmaVirtualBlockCreateInfo *pCreateInfo, VmaVirtualBlock *pVirtualBlock)
{
    VKM_REQUIRE_PTR(pVirtualBlock, "pVirtualBlock", VKM_INVALID_ARG);
    *pVirtualBlock = VK_NULL_HANDLE;
    VKM_REQUIRE_PTR(pCreateInfo, "pCreateInfo", VKM_INVALID_ARG);
    VKM_REQUIRE(pCreateInfo->size > 0, "pCreateInfo->size must not be 0",
                VK_ERROR_INITIALIZATION_FAILED);
    return vkm_virtual_create(pCreateInfo, pVirtualBlock);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaDestroyVirtualBlock(VmaVirtualBlock virtualBlock)
{
    if (virtualBlock == VK_NULL_HANDLE)
        return;
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    /* VMA treats this as a leak of the caller's and asserts; the block goes anyway. */
    vkm_api_assert(vkm_virtual_is_empty(virtualBlock),
                   "virtualBlock still has allocations: vmaVirtualFree them or call "
                   "vmaClearVirtualBlock before vmaDestroyVirtualBlock");
    vkm_virtual_destroy(virtualBlock);
}

VMA_CALL_PRE VkBool32 VMA_CALL_POST
vmaIsVirtualBlockEmpty(VmaVirtualBlock virtualBlock)
{
    VKM_REQUIRE_VBLOCK(virtualBlock, VK_FALSE);
    return vkm_virtual_is_empty(virtualBlock) ? VK_TRUE : VK_FALSE;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetVirtualAllocationInfo(VmaVirtualBlock virtualBlock, VmaVirtualAllocation allocation,
                            VmaVirtualAllocationInfo *pVirtualAllocInfo)
{
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    VKM_REQUIRE_PTR(pVirtualAllocInfo, "pVirtualAllocInfo", VKM_VOID);
    VKM_REQUIRE_VALLOC(virtualBlock, allocation, VKM_VOID);
    vkm_virtual_get_info(virtualBlock, allocation, pVirtualAllocInfo);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaVirtualAllocate(VmaVirtualBlock virtualBlock, const VmaVirtualAllocationCreateInfo *pCreateInfo,
                   VmaVirtualAllocation *pAllocation, VkDeviceSize *pOffset)
{
    /* Outputs first: every failure leaves VK_NULL_HANDLE and UINT64_MAX, as VMA does. */
    if (pOffset != NULL)
        *pOffset = UINT64_MAX;
    VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);
    *pAllocation = VK_NULL_HANDLE;
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pCreateInfo, "pCreateInfo", VKM_INVALID_ARG);
    const VmaVirtualAllocationCreateInfo *ci = pCreateInfo;
    VKM_REQUIRE(ci->size > 0, "pCreateInfo->size must not be 0", VKM_INVALID_ARG);
    VKM_REQUIRE((ci->alignment & (ci->alignment - 1u)) == 0,
                "pCreateInfo->alignment must be 0 or a power of two", VKM_INVALID_ARG);
    VKM_REQUIRE(!(ci->flags & VMA_VIRTUAL_ALLOCATION_CREATE_UPPER_ADDRESS_BIT) ||
                    virtualBlock->linear,
                "pCreateInfo->flags: UPPER_ADDRESS needs a block created with "
                "VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT",
                VK_ERROR_FEATURE_NOT_PRESENT);
    uint64_t offset;
    VkResult res = vkm_virtual_alloc(virtualBlock, ci->size, ci->alignment ? ci->alignment : 1u,
                                     ci->flags, ci->pUserData, &offset);
    if (res != VK_SUCCESS)
        return res;
    *pAllocation = vkm_virtual_handle(offset);
    if (pOffset != NULL)
        *pOffset = offset;
    return VK_SUCCESS;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaVirtualFree(VmaVirtualBlock virtualBlock, VmaVirtualAllocation allocation)
{
    if (allocation == VK_NULL_HANDLE)
        return;
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    VKM_REQUIRE_VALLOC(virtualBlock, allocation, VKM_VOID);
    vkm_virtual_free(virtualBlock, allocation);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaClearVirtualBlock(VmaVirtualBlock virtualBlock)
{
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    vkm_virtual_clear(virtualBlock);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaSetVirtualAllocationUserData(VmaVirtualBlock virtualBlock, VmaVirtualAllocation allocation,
                                void *pUserData)
{
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    VKM_REQUIRE_VALLOC(virtualBlock, allocation, VKM_VOID);
    vkm_virtual_set_user(virtualBlock, allocation, pUserData);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaGetVirtualBlockStatistics(VmaVirtualBlock virtualBlock, VmaStatistics *pStats)
{
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    VKM_REQUIRE_PTR(pStats, "pStats", VKM_VOID);
    vkm_virtual_stats(virtualBlock, pStats);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaCalculateVirtualBlockStatistics(VmaVirtualBlock virtualBlock, VmaDetailedStatistics *pStats)
{
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    VKM_REQUIRE_PTR(pStats, "pStats", VKM_VOID);
    vkm_virtual_detailed_stats(virtualBlock, pStats);
}

/* --- JSON ------------------------------------------------------------------------- */

VMA_CALL_PRE void VMA_CALL_POST
vmaBuildVirtualBlockStatsString(VmaVirtualBlock virtualBlock, char **ppStatsString,
                                VkBool32 detailedMap)
{
    VKM_REQUIRE_PTR(ppStatsString, "ppStatsString", VKM_VOID);
    *ppStatsString = NULL;
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    *ppStatsString = vkm_stats_json_build_virtual(virtualBlock, detailedMap != VK_FALSE);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaFreeVirtualBlockStatsString(VmaVirtualBlock virtualBlock, char *pStatsString)
{
    if (pStatsString == NULL)
        return;
    VKM_REQUIRE_VBLOCK(virtualBlock, VKM_VOID);
    vkm_stats_json_free_virtual(virtualBlock, pStatsString);
}
