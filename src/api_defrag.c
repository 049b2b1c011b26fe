/* SPDX-License-Identifier: MIT */
/*
 * api_defrag.c - vmaBeginDefragmentation, vmaBeginDefragmentationPass,
 * vmaEndDefragmentationPass, vmaEndDefragmentation: argument checks and the single-mutex
 * lock around defrag.c.
 */
#include "api.h"
#include "defrag.h"

static inline bool
context_ok(VmaAllocator a, VmaDefragmentationContext c)
{
    return c != NULL && c->magic == VKM_DEFRAG_MAGIC && c->allocator == a;
}

#define REQUIRE_CONTEXT(a, c, ret) \
    VKM_REQUIRE(context_ok(a, c),  \
                "context must be a live VmaDefragmentationContext of this allocator", ret)

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBeginDefragmentation(VmaAllocator allocator, const VmaDefragmentationInfo *pInfo,
                        VmaDefragmentationContext *pContext)
{
    VKM_REQUIRE_PTR(pContext, "pContext", VKM_INVALID_ARG);
    *pContext = VK_NULL_HANDLE;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pInfo, "pInfo", VKM_INVALID_ARG);
    if (pInfo->pool != VK_NULL_HANDLE) {
        VKM_REQUIRE_POOL(allocator, pInfo->pool, VKM_INVALID_ARG);
        /* VMA's answer for a linear pool: its ranges cannot be moved individually */
        if (pInfo->pool->list->p.linear)
            return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    /* VMA leaves several algorithm bits undefined; at most one is meaningful. */
    VKM_REQUIRE(vkm_defrag_algorithm(pInfo->flags) != 0,
                "pInfo->flags must hold at most one VMA_DEFRAGMENTATION_FLAG_ALGORITHM_* bit",
                VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_defrag_begin(allocator, pInfo, pContext);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE void VMA_CALL_POST
vmaEndDefragmentation(VmaAllocator allocator, VmaDefragmentationContext context,
                      VmaDefragmentationStats *pStats)
{
    if (pStats != NULL)
        *pStats = (VmaDefragmentationStats){0};
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    REQUIRE_CONTEXT(allocator, context, VKM_VOID);
    VKM_API_LOCK(allocator);
    vkm_defrag_end(context, pStats);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBeginDefragmentationPass(VmaAllocator allocator, VmaDefragmentationContext context,
                            VmaDefragmentationPassMoveInfo *pPassInfo)
{
    VKM_REQUIRE_PTR(pPassInfo, "pPassInfo", VKM_INVALID_ARG);
    pPassInfo->moveCount = 0;
    pPassInfo->pMoves = NULL;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    REQUIRE_CONTEXT(allocator, context, VKM_INVALID_ARG);
    VKM_REQUIRE(!context->in_pass,
                "context has a pass in progress: call vmaEndDefragmentationPass first",
                VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_defrag_pass_begin(context, pPassInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaEndDefragmentationPass(VmaAllocator allocator, VmaDefragmentationContext context,
                          VmaDefragmentationPassMoveInfo *pPassInfo)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    REQUIRE_CONTEXT(allocator, context, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pPassInfo, "pPassInfo", VKM_INVALID_ARG);
    /* The moves are the context's own array: the program may edit only operations. */
    VKM_REQUIRE(!context->in_pass || (pPassInfo->pMoves == context->moves &&
                                      pPassInfo->moveCount == context->move_count),
                "pPassInfo must be what vmaBeginDefragmentationPass returned", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_defrag_pass_end(context, pPassInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}
