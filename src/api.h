/* SPDX-License-Identifier: MIT */
/*
 * api.h - argument checks shared by the api_*.c entry points (layer L4).
 *
 * Each public function checks its arguments with these macros, takes the single-mutex
 * build's lock, calls into L3, and translates the result. Contract violations assert in
 * debug builds (the message names the argument) and return the documented error code
 * (or do nothing, for void functions) in release builds.
 */
#ifndef VKM_API_H
#define VKM_API_H

#include "allocation.h"
#include "allocator.h"
#include "debug.h"
#include "pool.h"

#define VKM_INVALID_ARG VK_ERROR_VALIDATION_FAILED_EXT

static inline bool
vkm_api_allocator_ok(VmaAllocator a)
{
    return a != NULL && a->magic == VKM_ALLOCATOR_MAGIC;
}

static inline bool
vkm_api_allocation_ok(VmaAllocator a, VmaAllocation x)
{
    return x != NULL && x->magic == VKM_ALLOCATION_MAGIC && x->allocator == a;
}

static inline bool
vkm_api_pool_ok(VmaAllocator a, VmaPool p)
{
    return p != NULL && p->magic == VKM_POOL_MAGIC && p->allocator == a;
}

/* `ret` is the return statement's operand; use VKM_VOID for void functions. */
#define VKM_VOID
#define VKM_REQUIRE(cond, msg, ret)     \
    do {                                \
        if (VKM_UNLIKELY(!(cond))) {    \
            vkm_api_assert(false, msg); \
            return ret;                 \
        }                               \
    } while (0)

#define VKM_REQUIRE_ALLOCATOR(a, ret) \
    VKM_REQUIRE(vkm_api_allocator_ok(a), "allocator must be a live VmaAllocator", ret)
#define VKM_REQUIRE_ALLOCATION(a, x, ret)    \
    VKM_REQUIRE(vkm_api_allocation_ok(a, x), \
                "allocation must be a live VmaAllocation of this allocator", ret)
#define VKM_REQUIRE_POOL(a, p, ret) \
    VKM_REQUIRE(vkm_api_pool_ok(a, p), "pool must be a live VmaPool of this allocator", ret)
#define VKM_REQUIRE_PTR(p, name, ret) VKM_REQUIRE((p) != NULL, name " must not be null", ret)

/* Shared bodies of the VMA 3.3 entry points and their 3.4 twins (api_v34.c). Arguments
 * are checked and the single-mutex lock is held by the caller. min_alignment: 0 or 1 for
 * none, else a power of two the offset must meet. next: null, or the caller's
 * VkMemoryAllocateInfo chain, which makes the allocation dedicated. */
VkResult vkm_api_create_buffer(VmaAllocator a, const VkBufferCreateInfo *bci,
                               const VmaAllocationCreateInfo *ci, VkDeviceSize min_alignment,
                               const void *next, VkBuffer *pBuffer, VmaAllocation *pAllocation,
                               VmaAllocationInfo *pAllocationInfo);
VkResult vkm_api_create_image(VmaAllocator a, const VkImageCreateInfo *ici,
                              const VmaAllocationCreateInfo *ci, VkDeviceSize min_alignment,
                              const void *next, VkImage *pImage, VmaAllocation *pAllocation,
                              VmaAllocationInfo *pAllocationInfo);
/* Checks its own arguments and takes the lock (exactly one of buffer, image is set). */
VkResult vkm_api_alloc_for_resource(VmaAllocator allocator, VkBuffer buffer, VkImage image,
                                    const VmaAllocationCreateInfo *pCreateInfo,
                                    VkDeviceSize min_alignment, VmaAllocation *pAllocation,
                                    VmaAllocationInfo *pAllocationInfo);

#endif /* VKM_API_H */
