/* SPDX-License-Identifier: MIT */
/* Entry points: buffers and images created, bound and destroyed together with their memory. */
#include "api.h"
#include "block.h"
#include "resource.h"

/* Binds into a block are serialised on the block's map lock, as VMA does with its block
 * mutex: drivers may lock the memory object inside vkBind*Memory, and NVIDIA's takes a
 * priority-inheritance lock there, on which many threads convoy (bench stream at 16
 * threads); our adaptive mutex queues them far more cheaply. */
static vkm_mutex *
bind_lock(VmaAllocation alloc)
{
    if (alloc->type != VKM_ALLOC_BLOCK)
        return NULL;
    vkm_mutex *m = &alloc->u.b.block->map_lock;
    vkm_mutex_lock(m);
    return m;
}

static VkResult
bind_unlock(vkm_mutex *m, VkResult res)
{
    if (m != NULL)
        vkm_mutex_unlock(m);
    return res;
}

static VkResult
bind_buffer(VmaAllocator a, VmaAllocation alloc, VkDeviceSize local_offset, VkBuffer buffer,
            const void *next)
{
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    VkDeviceMemory mem = vkm_allocation_memory(alloc);
    VkDeviceSize offset = alloc->offset + local_offset;
    if (next != NULL) {
        if (!a->use_bind_memory2 || vk->vkBindBufferMemory2KHR == NULL)
            return VK_ERROR_EXTENSION_NOT_PRESENT;
        VkBindBufferMemoryInfo bi = {
            .sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_INFO,
            .pNext = next,
            .buffer = buffer,
            .memory = mem,
            .memoryOffset = offset,
        };
        vkm_mutex *m = bind_lock(alloc);
        return bind_unlock(m, vk->vkBindBufferMemory2KHR(a->device, 1, &bi));
    }
    vkm_mutex *m = bind_lock(alloc);
    return bind_unlock(m, vk->vkBindBufferMemory(a->device, buffer, mem, offset));
}

static VkResult
bind_image(VmaAllocator a, VmaAllocation alloc, VkDeviceSize local_offset, VkImage image,
           const void *next)
{
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    VkDeviceMemory mem = vkm_allocation_memory(alloc);
    VkDeviceSize offset = alloc->offset + local_offset;
    if (next != NULL) {
        if (!a->use_bind_memory2 || vk->vkBindImageMemory2KHR == NULL)
            return VK_ERROR_EXTENSION_NOT_PRESENT;
        VkBindImageMemoryInfo bi = {
            .sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
            .pNext = next,
            .image = image,
            .memory = mem,
            .memoryOffset = offset,
        };
        vkm_mutex *m = bind_lock(alloc);
        return bind_unlock(m, vk->vkBindImageMemory2KHR(a->device, 1, &bi));
    }
    vkm_mutex *m = bind_lock(alloc);
    return bind_unlock(m, vk->vkBindImageMemory(a->device, image, mem, offset));
}

VkResult
vkm_api_create_buffer(VmaAllocator a, const VkBufferCreateInfo *bci,
                      const VmaAllocationCreateInfo *ci, VkDeviceSize min_alignment,
                      const void *next, VkBuffer *pBuffer, VmaAllocation *pAllocation,
                      VmaAllocationInfo *pAllocationInfo)
{
    if (bci->size == 0)
        return VK_ERROR_INITIALIZATION_FAILED; /* VMA's code for an empty buffer */
    /* The usage VMA records (and AUTO* usages read): VkBufferUsageFlags2CreateInfoKHR's
     * when maintenance5 is on and it is chained, else VkBufferCreateInfo::usage. */
    const VkFlags64 usage = vkm_memtype_buffer_usage(&a->mt, bci);
    /* Memory without VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT cannot back such a buffer:
     * VMA only asserts; we refuse rather than hand out a buffer whose address is invalid. */
    VKM_REQUIRE(!(usage & VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT) || a->use_bda,
                "pBufferCreateInfo->usage has SHADER_DEVICE_ADDRESS but the allocator was "
                "created without VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT",
                VK_ERROR_INITIALIZATION_FAILED);
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    VkResult res = vk->vkCreateBuffer(a->device, bci, a->vk_callbacks, pBuffer);
    if (res != VK_SUCCESS) {
        *pBuffer = VK_NULL_HANDLE;
        return res;
    }
    vkm_requirements r;
    vkm_resource_buffer_requirements(a, *pBuffer, &r);
    if (min_alignment > r.mr.alignment)
        r.mr.alignment = min_alignment;
    if (next != NULL)
        res = vkm_allocator_alloc_dedicated_next(a, ci, &r.mr, *pBuffer, VK_NULL_HANDLE, usage,
                                                 VKM_RANGE_BUFFER, next, pAllocation);
    else
        res =
            vkm_allocator_alloc(a, ci, &r.mr, r.dedicated_required, r.dedicated_preferred, *pBuffer,
                                VK_NULL_HANDLE, usage, VKM_RANGE_BUFFER, 1, pAllocation);
    if (res != VK_SUCCESS)
        goto fail_alloc;
    if (!(ci->flags & VMA_ALLOCATION_CREATE_DONT_BIND_BIT)) {
        res = bind_buffer(a, *pAllocation, 0, *pBuffer, NULL);
        if (res != VK_SUCCESS)
            goto fail_bind;
    }
    if (pAllocationInfo != NULL)
        vkm_allocation_fill_info(*pAllocation, pAllocationInfo);
    return VK_SUCCESS;

fail_bind:
    vkm_allocator_free(a, *pAllocation);
    *pAllocation = VK_NULL_HANDLE;
fail_alloc:
    vk->vkDestroyBuffer(a->device, *pBuffer, a->vk_callbacks);
    *pBuffer = VK_NULL_HANDLE;
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateBuffer(VmaAllocator allocator, const VkBufferCreateInfo *pBufferCreateInfo,
                const VmaAllocationCreateInfo *pAllocationCreateInfo, VkBuffer *pBuffer,
                VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    /* Clear every output that exists before refusing a missing one. */
    if (pBuffer != NULL)
        *pBuffer = VK_NULL_HANDLE;
    if (pAllocation != NULL)
        *pAllocation = VK_NULL_HANDLE;
    VKM_REQUIRE_PTR(pBuffer, "pBuffer", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pBufferCreateInfo, "pBufferCreateInfo", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocationCreateInfo, "pAllocationCreateInfo", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_api_create_buffer(allocator, pBufferCreateInfo, pAllocationCreateInfo, 1,
                                         NULL, pBuffer, pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateBufferWithAlignment(VmaAllocator allocator, const VkBufferCreateInfo *pBufferCreateInfo,
                             const VmaAllocationCreateInfo *pAllocationCreateInfo,
                             VkDeviceSize minAlignment, VkBuffer *pBuffer,
                             VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    /* Clear every output that exists before refusing a missing one. */
    if (pBuffer != NULL)
        *pBuffer = VK_NULL_HANDLE;
    if (pAllocation != NULL)
        *pAllocation = VK_NULL_HANDLE;
    VKM_REQUIRE_PTR(pBuffer, "pBuffer", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pBufferCreateInfo, "pBufferCreateInfo", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocationCreateInfo, "pAllocationCreateInfo", VKM_INVALID_ARG);
    /* 0 adds no requirement, as in VMA */
    VKM_REQUIRE((minAlignment & (minAlignment - 1)) == 0, "minAlignment must be a power of two",
                VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_api_create_buffer(allocator, pBufferCreateInfo, pAllocationCreateInfo,
                                         minAlignment, NULL, pBuffer, pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

VkResult
vkm_api_create_image(VmaAllocator a, const VkImageCreateInfo *ici,
                     const VmaAllocationCreateInfo *ci, VkDeviceSize min_alignment,
                     const void *next, VkImage *pImage, VmaAllocation *pAllocation,
                     VmaAllocationInfo *pAllocationInfo)
{
    /* VMA's codes for an empty image. */
    if (ici->extent.width == 0 || ici->extent.height == 0 || ici->extent.depth == 0 ||
        ici->mipLevels == 0 || ici->arrayLayers == 0)
        return VK_ERROR_INITIALIZATION_FAILED;
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    VkResult res = vk->vkCreateImage(a->device, ici, a->vk_callbacks, pImage);
    if (res != VK_SUCCESS) {
        *pImage = VK_NULL_HANDLE;
        return res;
    }
    vkm_requirements r;
    vkm_resource_image_requirements(a, *pImage, &r);
    if (min_alignment > r.mr.alignment)
        r.mr.alignment = min_alignment;
    const vkm_range_kind kind = vkm_resource_image_kind(ici->tiling);
    if (next != NULL)
        res = vkm_allocator_alloc_dedicated_next(a, ci, &r.mr, VK_NULL_HANDLE, *pImage, ici->usage,
                                                 kind, next, pAllocation);
    else
        res = vkm_allocator_alloc(a, ci, &r.mr, r.dedicated_required, r.dedicated_preferred,
                                  VK_NULL_HANDLE, *pImage, ici->usage, kind, 1, pAllocation);
    if (res != VK_SUCCESS)
        goto fail_alloc;
    if (!(ci->flags & VMA_ALLOCATION_CREATE_DONT_BIND_BIT)) {
        res = bind_image(a, *pAllocation, 0, *pImage, NULL);
        if (res != VK_SUCCESS)
            goto fail_bind;
    }
    if (pAllocationInfo != NULL)
        vkm_allocation_fill_info(*pAllocation, pAllocationInfo);
    return VK_SUCCESS;

fail_bind:
    vkm_allocator_free(a, *pAllocation);
    *pAllocation = VK_NULL_HANDLE;
fail_alloc:
    vk->vkDestroyImage(a->device, *pImage, a->vk_callbacks);
    *pImage = VK_NULL_HANDLE;
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateImage(VmaAllocator allocator, const VkImageCreateInfo *pImageCreateInfo,
               const VmaAllocationCreateInfo *pAllocationCreateInfo, VkImage *pImage,
               VmaAllocation *pAllocation, VmaAllocationInfo *pAllocationInfo)
{
    /* Clear every output that exists before refusing a missing one. */
    if (pImage != NULL)
        *pImage = VK_NULL_HANDLE;
    if (pAllocation != NULL)
        *pAllocation = VK_NULL_HANDLE;
    VKM_REQUIRE_PTR(pImage, "pImage", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocation, "pAllocation", VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pImageCreateInfo, "pImageCreateInfo", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocationCreateInfo, "pAllocationCreateInfo", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = vkm_api_create_image(allocator, pImageCreateInfo, pAllocationCreateInfo, 1, NULL,
                                        pImage, pAllocation, pAllocationInfo);
    VKM_API_UNLOCK(allocator);
    return res;
}

/* Shared by vmaDestroyBuffer / vmaDestroyImage: exactly one of buffer, image may be set. */
static void
destroy_resource(VmaAllocator allocator, VkBuffer buffer, VkImage image, VmaAllocation allocation)
{
    if (buffer == VK_NULL_HANDLE && image == VK_NULL_HANDLE && allocation == VK_NULL_HANDLE)
        return;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_VOID);
    VKM_REQUIRE(allocation == VK_NULL_HANDLE || vkm_api_allocation_ok(allocator, allocation),
                "allocation must be a live VmaAllocation of this allocator or null", VKM_VOID);
    VKM_API_LOCK(allocator);
    if (buffer != VK_NULL_HANDLE)
        allocator->funcs.vk.vkDestroyBuffer(allocator->device, buffer, allocator->vk_callbacks);
    if (image != VK_NULL_HANDLE)
        allocator->funcs.vk.vkDestroyImage(allocator->device, image, allocator->vk_callbacks);
    if (allocation != VK_NULL_HANDLE)
        vkm_allocator_free(allocator, allocation);
    VKM_API_UNLOCK(allocator);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaDestroyBuffer(VmaAllocator allocator, VkBuffer buffer, VmaAllocation allocation)
{
    destroy_resource(allocator, buffer, VK_NULL_HANDLE, allocation);
}

VMA_CALL_PRE void VMA_CALL_POST
vmaDestroyImage(VmaAllocator allocator, VkImage image, VmaAllocation allocation)
{
    destroy_resource(allocator, VK_NULL_HANDLE, image, allocation);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBindBufferMemory(VmaAllocator allocator, VmaAllocation allocation, VkBuffer buffer)
{
    return vmaBindBufferMemory2(allocator, allocation, 0, buffer, NULL);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBindBufferMemory2(VmaAllocator allocator, VmaAllocation allocation,
                     VkDeviceSize allocationLocalOffset, VkBuffer buffer, const void *pNext)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_INVALID_ARG);
    VKM_REQUIRE(buffer != VK_NULL_HANDLE, "buffer must not be VK_NULL_HANDLE", VKM_INVALID_ARG);
    VKM_REQUIRE(allocationLocalOffset < allocation->size,
                "allocationLocalOffset must lie inside the allocation", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = bind_buffer(allocator, allocation, allocationLocalOffset, buffer, pNext);
    VKM_API_UNLOCK(allocator);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBindImageMemory(VmaAllocator allocator, VmaAllocation allocation, VkImage image)
{
    return vmaBindImageMemory2(allocator, allocation, 0, image, NULL);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBindImageMemory2(VmaAllocator allocator, VmaAllocation allocation,
                    VkDeviceSize allocationLocalOffset, VkImage image, const void *pNext)
{
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_INVALID_ARG);
    VKM_REQUIRE(image != VK_NULL_HANDLE, "image must not be VK_NULL_HANDLE", VKM_INVALID_ARG);
    VKM_REQUIRE(allocationLocalOffset < allocation->size,
                "allocationLocalOffset must lie inside the allocation", VKM_INVALID_ARG);
    VKM_API_LOCK(allocator);
    VkResult res = bind_image(allocator, allocation, allocationLocalOffset, image, pNext);
    VKM_API_UNLOCK(allocator);
    return res;
}

/* ------------------------------------------------------------------------------------ */
/* Aliasing: a new resource bound into an existing allocation                           */

/* Whether a resource with requirements `mr` may be bound at `local_offset` inside
 * `alloc`: it must fit in what is left of the allocation, accept the allocation's memory
 * type, and find the resulting offset in the VkDeviceMemory aligned as it needs. VMA
 * leaves these to the caller (it asserts the size only); we refuse instead of binding a
 * resource that would overrun its neighbours. */
static VkResult
check_alias_fit(VmaAllocation alloc, VkDeviceSize local_offset, const VkMemoryRequirements *mr)
{
    VKM_REQUIRE(local_offset <= alloc->size && mr->size <= alloc->size - local_offset,
                "allocationLocalOffset + the resource's size must not exceed the allocation",
                VKM_INVALID_ARG);
    VKM_REQUIRE(mr->memoryTypeBits & (1u << alloc->memory_type),
                "allocation: its memory type is not one the resource accepts", VKM_INVALID_ARG);
    const VkDeviceSize align = mr->alignment ? mr->alignment : 1;
    VKM_REQUIRE((alloc->offset + local_offset) % align == 0,
                "allocationLocalOffset leaves the resource misaligned in the memory",
                VKM_INVALID_ARG);
    return VK_SUCCESS;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAliasingBuffer(VmaAllocator allocator, VmaAllocation allocation,
                        const VkBufferCreateInfo *pBufferCreateInfo, VkBuffer *pBuffer)
{
    return vmaCreateAliasingBuffer2(allocator, allocation, 0, pBufferCreateInfo, pBuffer);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAliasingBuffer2(VmaAllocator allocator, VmaAllocation allocation,
                         VkDeviceSize allocationLocalOffset,
                         const VkBufferCreateInfo *pBufferCreateInfo, VkBuffer *pBuffer)
{
    if (pBuffer != NULL)
        *pBuffer = VK_NULL_HANDLE;
    VKM_REQUIRE_PTR(pBuffer, "pBuffer", VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pBufferCreateInfo, "pBufferCreateInfo", VKM_INVALID_ARG);
    if (pBufferCreateInfo->size == 0)
        return VK_ERROR_INITIALIZATION_FAILED; /* VMA's code for an empty buffer */
    VKM_REQUIRE(!(pBufferCreateInfo->usage & VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT) ||
                    allocator->use_bda,
                "pBufferCreateInfo->usage has SHADER_DEVICE_ADDRESS but the allocator was "
                "created without VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT",
                VK_ERROR_INITIALIZATION_FAILED);
    VmaAllocator a = allocator;
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    VKM_API_LOCK(a);
    VkResult res = vk->vkCreateBuffer(a->device, pBufferCreateInfo, a->vk_callbacks, pBuffer);
    if (res != VK_SUCCESS) {
        *pBuffer = VK_NULL_HANDLE;
        goto out;
    }
    vkm_requirements r;
    vkm_resource_buffer_requirements(a, *pBuffer, &r);
    res = check_alias_fit(allocation, allocationLocalOffset, &r.mr);
    if (res == VK_SUCCESS)
        res = bind_buffer(a, allocation, allocationLocalOffset, *pBuffer, NULL);
    if (res != VK_SUCCESS) {
        vk->vkDestroyBuffer(a->device, *pBuffer, a->vk_callbacks);
        *pBuffer = VK_NULL_HANDLE;
    }
out:
    VKM_API_UNLOCK(a);
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAliasingImage(VmaAllocator allocator, VmaAllocation allocation,
                       const VkImageCreateInfo *pImageCreateInfo, VkImage *pImage)
{
    return vmaCreateAliasingImage2(allocator, allocation, 0, pImageCreateInfo, pImage);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAliasingImage2(VmaAllocator allocator, VmaAllocation allocation,
                        VkDeviceSize allocationLocalOffset,
                        const VkImageCreateInfo *pImageCreateInfo, VkImage *pImage)
{
    if (pImage != NULL)
        *pImage = VK_NULL_HANDLE;
    VKM_REQUIRE_PTR(pImage, "pImage", VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_ALLOCATION(allocator, allocation, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pImageCreateInfo, "pImageCreateInfo", VKM_INVALID_ARG);
    const VkImageCreateInfo *ici = pImageCreateInfo;
    /* VMA's codes for an empty image. */
    if (ici->extent.width == 0 || ici->extent.height == 0 || ici->extent.depth == 0 ||
        ici->mipLevels == 0 || ici->arrayLayers == 0)
        return VK_ERROR_INITIALIZATION_FAILED;
    VmaAllocator a = allocator;
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    VKM_API_LOCK(a);
    VkResult res = vk->vkCreateImage(a->device, ici, a->vk_callbacks, pImage);
    if (res != VK_SUCCESS) {
        *pImage = VK_NULL_HANDLE;
        goto out;
    }
    vkm_requirements r;
    vkm_resource_image_requirements(a, *pImage, &r);
    res = check_alias_fit(allocation, allocationLocalOffset, &r.mr);
    if (res == VK_SUCCESS)
        res = bind_image(a, allocation, allocationLocalOffset, *pImage, NULL);
    if (res != VK_SUCCESS) {
        vk->vkDestroyImage(a->device, *pImage, a->vk_callbacks);
        *pImage = VK_NULL_HANDLE;
    }
out:
    VKM_API_UNLOCK(a);
    return res;
}
