/* SPDX-License-Identifier: MIT */
/*
 * api_v34.c - the VMA 3.4 additions, and the 3.4-layout twins of the 3.3 entry points.
 *
 * VMA 3.4 appended `VkDeviceSize minAlignment` to VmaAllocationCreateInfo. A compiled
 * library cannot let the program's macros pick a struct layout, so it serves both: the
 * library is built with the 3.3 layout (vk_mem_alloc.h's default), the plain vma* symbols
 * read a 3.3 struct, and a program built with VKMALLOC_VMA_VERSION >= 3004000 calls the
 * vkm34_vma* symbols here (its header declares them under the VMA names through
 * assembler labels), which read the 3.4 struct. The 3.4 struct is the 3.3 one followed by
 * minAlignment (3.3's size is a multiple of 8), so each twin checks minAlignment, folds
 * it into the alignment the allocation must meet, exactly as VMA 3.4 does (the larger of
 * the two wins), and passes the 3.3 prefix on. vmaAllocateDedicatedMemory and
 * vmaCreateDedicatedBuffer/Image exist only in 3.4, under their VMA names.
 */
#include <stddef.h>

#include "api.h"

/* VmaAllocationCreateInfo as a VMA 3.4 program lays it out. */
typedef struct vkm_alloc_ci34 {
    VmaAllocationCreateInfo v33;
    VkDeviceSize minAlignment;
} vkm_alloc_ci34;

_Static_assert(offsetof(vkm_alloc_ci34, minAlignment) == sizeof(VmaAllocationCreateInfo),
               "the 3.4 layout appends minAlignment right after the 3.3 members");
_Static_assert(sizeof(VmaAllocationCreateInfo) % _Alignof(VkDeviceSize) == 0,
               "no padding between the 3.3 members and minAlignment");

#define VKM34 VMA_CALL_PRE VkResult VMA_CALL_POST

/* Prototypes (the program sees them as the VMA names; see vk_mem_alloc.h). */
VKM34 vkm34_vmaFindMemoryTypeIndex(VmaAllocator allocator, uint32_t memoryTypeBits,
                                   const vkm_alloc_ci34 *ci, uint32_t *pMemoryTypeIndex);
VKM34 vkm34_vmaFindMemoryTypeIndexForBufferInfo(VmaAllocator allocator,
                                                const VkBufferCreateInfo *pBufferCreateInfo,
                                                const vkm_alloc_ci34 *ci,
                                                uint32_t *pMemoryTypeIndex);
VKM34 vkm34_vmaFindMemoryTypeIndexForImageInfo(VmaAllocator allocator,
                                               const VkImageCreateInfo *pImageCreateInfo,
                                               const vkm_alloc_ci34 *ci,
                                               uint32_t *pMemoryTypeIndex);
VKM34 vkm34_vmaAllocateMemory(VmaAllocator allocator, const VkMemoryRequirements *req,
                              const vkm_alloc_ci34 *ci, VmaAllocation *pAllocation,
                              VmaAllocationInfo *pAllocationInfo);
VKM34 vkm34_vmaAllocateMemoryPages(VmaAllocator allocator, const VkMemoryRequirements *req,
                                   const vkm_alloc_ci34 *ci, size_t allocationCount,
                                   VmaAllocation *pAllocations, VmaAllocationInfo *pAllocationInfo);
VKM34 vkm34_vmaAllocateMemoryForBuffer(VmaAllocator allocator, VkBuffer buffer,
                                       const vkm_alloc_ci34 *ci, VmaAllocation *pAllocation,
                                       VmaAllocationInfo *pAllocationInfo);
VKM34 vkm34_vmaAllocateMemoryForImage(VmaAllocator allocator, VkImage image,
                                      const vkm_alloc_ci34 *ci, VmaAllocation *pAllocation,
                                      VmaAllocationInfo *pAllocationInfo);
VKM34 vkm34_vmaCreateBuffer(VmaAllocator allocator, const VkBufferCreateInfo *bci,
                            const vkm_alloc_ci34 *ci, VkBuffer *pBuffer, VmaAllocation *pAllocation,
                            VmaAllocationInfo *pAllocationInfo);
VKM34 vkm34_vmaCreateBufferWithAlignment(VmaAllocator allocator, const VkBufferCreateInfo *bci,
                                         const vkm_alloc_ci34 *ci, VkDeviceSize minAlignment,
                                         VkBuffer *pBuffer, VmaAllocation *pAllocation,
                                         VmaAllocationInfo *pAllocationInfo);
VKM34 vkm34_vmaCreateImage(VmaAllocator allocator, const VkImageCreateInfo *ici,
                           const vkm_alloc_ci34 *ci, VkImage *pImage, VmaAllocation *pAllocation,
                           VmaAllocationInfo *pAllocationInfo);
VKM34 vmaAllocateDedicatedMemory(VmaAllocator allocator, const VkMemoryRequirements *req,
                                 const vkm_alloc_ci34 *ci, void *pMemoryAllocateNext,
                                 VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo);
VKM34 vmaCreateDedicatedBuffer(VmaAllocator allocator, const VkBufferCreateInfo *bci,
                               const vkm_alloc_ci34 *ci, void *pMemoryAllocateNext,
                               VkBuffer *pBuffer, VmaAllocation *pAllocation,
                               VmaAllocationInfo *pAllocationInfo);
VKM34 vmaCreateDedicatedImage(VmaAllocator allocator, const VkImageCreateInfo *ici,
                              const vkm_alloc_ci34 *ci, void *pMemoryAllocateNext, VkImage *pImage,
                              VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo);

/* minAlignment of a create info that may be null (the 3.3 function reports that). */
static bool
min_alignment_ok(const vkm_alloc_ci34 *ci)
{
    if (ci == NULL)
        return true;
    const VkDeviceSize m = ci->minAlignment;
    if ((m & (m - 1)) == 0) /* 0 or a power of two */
        return true;
    vkm_api_assert(false, "pCreateInfo->minAlignment must be 0 or a power of two");
    return false;
}

static const VmaAllocationCreateInfo *
v33(const vkm_alloc_ci34 *ci)
{
    return ci != NULL ? &ci->v33 : NULL;
}

/* *req with the alignment raised to minAlignment. */
static VkMemoryRequirements
aligned_req(const VkMemoryRequirements *req, const vkm_alloc_ci34 *ci)
{
    VkMemoryRequirements r = *req;
    if (ci->minAlignment > r.alignment)
        r.alignment = ci->minAlignment;
    return r;
}

/* --- memory types: minAlignment plays no part in the choice --------------------------- */

VKM34
vkm34_vmaFindMemoryTypeIndex(VmaAllocator allocator, uint32_t memoryTypeBits,
                             const vkm_alloc_ci34 *ci, uint32_t *pMemoryTypeIndex)
{
    if (!min_alignment_ok(ci)) {
        if (pMemoryTypeIndex != NULL)
            *pMemoryTypeIndex = UINT32_MAX;
        return VKM_INVALID_ARG;
    }
    return vmaFindMemoryTypeIndex(allocator, memoryTypeBits, v33(ci), pMemoryTypeIndex);
}

VKM34
vkm34_vmaFindMemoryTypeIndexForBufferInfo(VmaAllocator allocator,
                                          const VkBufferCreateInfo *pBufferCreateInfo,
                                          const vkm_alloc_ci34 *ci, uint32_t *pMemoryTypeIndex)
{
    if (!min_alignment_ok(ci)) {
        if (pMemoryTypeIndex != NULL)
            *pMemoryTypeIndex = UINT32_MAX;
        return VKM_INVALID_ARG;
    }
    return vmaFindMemoryTypeIndexForBufferInfo(allocator, pBufferCreateInfo, v33(ci),
                                               pMemoryTypeIndex);
}

VKM34
vkm34_vmaFindMemoryTypeIndexForImageInfo(VmaAllocator allocator,
                                         const VkImageCreateInfo *pImageCreateInfo,
                                         const vkm_alloc_ci34 *ci, uint32_t *pMemoryTypeIndex)
{
    if (!min_alignment_ok(ci)) {
        if (pMemoryTypeIndex != NULL)
            *pMemoryTypeIndex = UINT32_MAX;
        return VKM_INVALID_ARG;
    }
    return vmaFindMemoryTypeIndexForImageInfo(allocator, pImageCreateInfo, v33(ci),
                                              pMemoryTypeIndex);
}

/* --- raw allocation ------------------------------------------------------------------ */

VKM34
vkm34_vmaAllocateMemory(VmaAllocator allocator, const VkMemoryRequirements *req,
                        const vkm_alloc_ci34 *ci, VmaAllocation *pAllocation,
                        VmaAllocationInfo *pAllocationInfo)
{
    if (ci == NULL || req == NULL) /* the 3.3 function reports which */
        return vmaAllocateMemory(allocator, req, v33(ci), pAllocation, pAllocationInfo);
    if (!min_alignment_ok(ci)) {
        if (pAllocation != NULL)
            *pAllocation = VK_NULL_HANDLE;
        return VKM_INVALID_ARG;
    }
    const VkMemoryRequirements r = aligned_req(req, ci);
    return vmaAllocateMemory(allocator, &r, &ci->v33, pAllocation, pAllocationInfo);
}

VKM34
vkm34_vmaAllocateMemoryPages(VmaAllocator allocator, const VkMemoryRequirements *req,
                             const vkm_alloc_ci34 *ci, size_t allocationCount,
                             VmaAllocation *pAllocations, VmaAllocationInfo *pAllocationInfo)
{
    if (allocationCount == 0 || ci == NULL || req == NULL)
        return vmaAllocateMemoryPages(allocator, req, v33(ci), allocationCount, pAllocations,
                                      pAllocationInfo);
    if (!min_alignment_ok(ci)) {
        if (pAllocations != NULL)
            for (size_t i = 0; i < allocationCount; i++)
                pAllocations[i] = VK_NULL_HANDLE;
        return VKM_INVALID_ARG;
    }
    const VkMemoryRequirements r = aligned_req(req, ci);
    return vmaAllocateMemoryPages(allocator, &r, &ci->v33, allocationCount, pAllocations,
                                  pAllocationInfo);
}

VKM34
vkm34_vmaAllocateMemoryForBuffer(VmaAllocator allocator, VkBuffer buffer, const vkm_alloc_ci34 *ci,
                                 VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    if (!min_alignment_ok(ci)) {
        if (pAllocation != NULL)
            *pAllocation = VK_NULL_HANDLE;
        return VKM_INVALID_ARG;
    }
    VKM_REQUIRE(buffer != VK_NULL_HANDLE, "buffer must not be VK_NULL_HANDLE", VKM_INVALID_ARG);
    return vkm_api_alloc_for_resource(allocator, buffer, VK_NULL_HANDLE, v33(ci),
                                      ci ? ci->minAlignment : 0, pAllocation, pAllocationInfo);
}

VKM34
vkm34_vmaAllocateMemoryForImage(VmaAllocator allocator, VkImage image, const vkm_alloc_ci34 *ci,
                                VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    if (!min_alignment_ok(ci)) {
        if (pAllocation != NULL)
            *pAllocation = VK_NULL_HANDLE;
        return VKM_INVALID_ARG;
    }
    VKM_REQUIRE(image != VK_NULL_HANDLE, "image must not be VK_NULL_HANDLE", VKM_INVALID_ARG);
    return vkm_api_alloc_for_resource(allocator, VK_NULL_HANDLE, image, v33(ci),
                                      ci ? ci->minAlignment : 0, pAllocation, pAllocationInfo);
}

VKM34
vmaAllocateDedicatedMemory(VmaAllocator allocator, const VkMemoryRequirements *req,
                           const vkm_alloc_ci34 *ci, void *pMemoryAllocateNext,
                           VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);
    *pAllocation = VK_NULL_HANDLE;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(req, "pVkMemoryRequirements", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(ci, "pCreateInfo", VKM_INVALID_ARG);
    if (!min_alignment_ok(ci))
        return VKM_INVALID_ARG;
    const VkMemoryRequirements r = aligned_req(req, ci);
    VKM_API_LOCK(allocator);
    VkResult res =
        vkm_allocator_alloc_dedicated_next(allocator, &ci->v33, &r, VK_NULL_HANDLE, VK_NULL_HANDLE,
                                           0, VKM_RANGE_UNKNOWN, pMemoryAllocateNext, pAllocation);
    if (res == VK_SUCCESS && pAllocationInfo != NULL)
        vkm_allocation_fill_info(*pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

/* --- buffers and images -------------------------------------------------------------- */

/* The argument checks every buffer entry point shares; outputs are cleared first. */
#define REQUIRE_BUFFER_ARGS()                                          \
    do {                                                               \
        if (pBuffer != NULL)                                           \
            *pBuffer = VK_NULL_HANDLE;                                 \
        if (pAllocation != NULL)                                       \
            *pAllocation = VK_NULL_HANDLE;                             \
        VKM_REQUIRE_PTR(pBuffer, "pBuffer", VKM_INVALID_ARG);          \
        VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);  \
        VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);             \
        VKM_REQUIRE_PTR(bci, "pBufferCreateInfo", VKM_INVALID_ARG);    \
        VKM_REQUIRE_PTR(ci, "pAllocationCreateInfo", VKM_INVALID_ARG); \
        if (!min_alignment_ok(ci))                                     \
            return VKM_INVALID_ARG;                                    \
    } while (0)

#define REQUIRE_IMAGE_ARGS()                                           \
    do {                                                               \
        if (pImage != NULL)                                            \
            *pImage = VK_NULL_HANDLE;                                  \
        if (pAllocation != NULL)                                       \
            *pAllocation = VK_NULL_HANDLE;                             \
        VKM_REQUIRE_PTR(pImage, "pImage", VKM_INVALID_ARG);            \
        VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);  \
        VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);             \
        VKM_REQUIRE_PTR(ici, "pImageCreateInfo", VKM_INVALID_ARG);     \
        VKM_REQUIRE_PTR(ci, "pAllocationCreateInfo", VKM_INVALID_ARG); \
        if (!min_alignment_ok(ci))                                     \
            return VKM_INVALID_ARG;                                    \
    } while (0)

static VkResult
create_buffer34(VmaAllocator allocator, const VkBufferCreateInfo *bci, const vkm_alloc_ci34 *ci,
                VkDeviceSize min_alignment, bool dedicated, const void *next, VkBuffer *pBuffer,
                VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    VmaAllocationCreateInfo c = ci->v33;
    if (dedicated)
        c.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    if (ci->minAlignment > min_alignment)
        min_alignment = ci->minAlignment;
    VKM_API_LOCK(allocator);
    VkResult res = vkm_api_create_buffer(allocator, bci, &c, min_alignment, next, pBuffer,
                                         pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

static VkResult
create_image34(VmaAllocator allocator, const VkImageCreateInfo *ici, const vkm_alloc_ci34 *ci,
               bool dedicated, const void *next, VkImage *pImage, VmaAllocation *pAllocation,
               VmaAllocationInfo *pAllocationInfo)
{
    VmaAllocationCreateInfo c = ci->v33;
    if (dedicated)
        c.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    VKM_API_LOCK(allocator);
    VkResult res = vkm_api_create_image(allocator, ici, &c, ci->minAlignment, next, pImage,
                                        pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

VKM34
vkm34_vmaCreateBuffer(VmaAllocator allocator, const VkBufferCreateInfo *bci,
                      const vkm_alloc_ci34 *ci, VkBuffer *pBuffer, VmaAllocation *pAllocation,
                      VmaAllocationInfo *pAllocationInfo)
{
    REQUIRE_BUFFER_ARGS();
    return create_buffer34(allocator, bci, ci, 1, false, NULL, pBuffer, pAllocation,
                           pAllocationInfo);
}

VKM34
vkm34_vmaCreateBufferWithAlignment(VmaAllocator allocator, const VkBufferCreateInfo *bci,
                                   const vkm_alloc_ci34 *ci, VkDeviceSize minAlignment,
                                   VkBuffer *pBuffer, VmaAllocation *pAllocation,
                                   VmaAllocationInfo *pAllocationInfo)
{
    REQUIRE_BUFFER_ARGS();
    VKM_REQUIRE(minAlignment != 0 && (minAlignment & (minAlignment - 1)) == 0,
                "minAlignment must be a power of two", VKM_INVALID_ARG);
    return create_buffer34(allocator, bci, ci, minAlignment, false, NULL, pBuffer, pAllocation,
                           pAllocationInfo);
}

VKM34
vmaCreateDedicatedBuffer(VmaAllocator allocator, const VkBufferCreateInfo *bci,
                         const vkm_alloc_ci34 *ci, void *pMemoryAllocateNext, VkBuffer *pBuffer,
                         VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    REQUIRE_BUFFER_ARGS();
    return create_buffer34(allocator, bci, ci, 1, true, pMemoryAllocateNext, pBuffer, pAllocation,
                           pAllocationInfo);
}

VKM34
vkm34_vmaCreateImage(VmaAllocator allocator, const VkImageCreateInfo *ici, const vkm_alloc_ci34 *ci,
                     VkImage *pImage, VmaAllocation *pAllocation,
                     VmaAllocationInfo *pAllocationInfo)
{
    REQUIRE_IMAGE_ARGS();
    return create_image34(allocator, ici, ci, false, NULL, pImage, pAllocation, pAllocationInfo);
}

VKM34
vmaCreateDedicatedImage(VmaAllocator allocator, const VkImageCreateInfo *ici,
                        const vkm_alloc_ci34 *ci, void *pMemoryAllocateNext, VkImage *pImage,
                        VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    REQUIRE_IMAGE_ARGS();
    return create_image34(allocator, ici, ci, true, pMemoryAllocateNext, pImage, pAllocation,
                          pAllocationInfo);
}
