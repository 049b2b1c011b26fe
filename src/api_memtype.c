/* SPDX-License-Identifier: MIT */
/*
 * Entry points: vmaFindMemoryTypeIndex, vmaFindMemoryTypeIndexForBufferInfo,
 * vmaFindMemoryTypeIndexForImageInfo (layer L4).
 *
 * They read only immutable allocator state (the memory layout and the dispatch table),
 * so they take no lock, as in VMA. VmaAllocationCreateInfo::pool is ignored, as VMA
 * ignores it here. The flag contracts of vkm_memtype_check_flags() belong to the
 * allocation path, not to these queries: VMA answers them (HOST_ACCESS_RANDOM wins over
 * SEQUENTIAL_WRITE) without complaint, and so do we.
 *
 * For the buffer/image variants the resource's memoryTypeBits come from
 * vkGetDevice{Buffer,Image}MemoryRequirements when the dispatch table has it (Vulkan 1.3
 * or VK_KHR_maintenance4), else from a temporary VkBuffer/VkImage created with the
 * allocator's VkAllocationCallbacks and destroyed before returning.
 */
#include <stdbool.h>

#include "api.h"

static VkResult
find_type(VmaAllocator allocator, uint32_t memory_type_bits, const VmaAllocationCreateInfo *ci,
          vkm_resource_class resource, VkFlags64 usage, uint32_t *out)
{
    const vkm_memtype_request req = {
        .ci = ci,
        .resource = resource,
        .buffer_or_image_usage = usage,
    };
    return vkm_memtype_find(vkm_allocator_memtype_info(allocator), memory_type_bits, &req, out);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaFindMemoryTypeIndex(VmaAllocator allocator, uint32_t memoryTypeBits,
                       const VmaAllocationCreateInfo *pAllocationCreateInfo,
                       uint32_t *pMemoryTypeIndex)
{
    VKM_REQUIRE_PTR(pMemoryTypeIndex, "pMemoryTypeIndex", VKM_INVALID_ARG);
    *pMemoryTypeIndex = UINT32_MAX;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocationCreateInfo, "pAllocationCreateInfo", VKM_INVALID_ARG);
    return find_type(allocator, memoryTypeBits, pAllocationCreateInfo, VKM_RESOURCE_NONE, 0,
                     pMemoryTypeIndex);
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaFindMemoryTypeIndexForBufferInfo(VmaAllocator allocator,
                                    const VkBufferCreateInfo *pBufferCreateInfo,
                                    const VmaAllocationCreateInfo *pAllocationCreateInfo,
                                    uint32_t *pMemoryTypeIndex)
{
    VKM_REQUIRE_PTR(pMemoryTypeIndex, "pMemoryTypeIndex", VKM_INVALID_ARG);
    *pMemoryTypeIndex = UINT32_MAX;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pBufferCreateInfo, "pBufferCreateInfo", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocationCreateInfo, "pAllocationCreateInfo", VKM_INVALID_ARG);

    const VmaVulkanFunctions *vk = &vkm_allocator_vkfuncs(allocator)->vk;
    const VkDevice dev = vkm_allocator_device(allocator);
    const VkFlags64 usage =
        vkm_memtype_buffer_usage(vkm_allocator_memtype_info(allocator), pBufferCreateInfo);
    uint32_t type_bits;

    if (vk->vkGetDeviceBufferMemoryRequirements != NULL) {
        const VkDeviceBufferMemoryRequirements query = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_BUFFER_MEMORY_REQUIREMENTS,
            .pCreateInfo = pBufferCreateInfo,
        };
        VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
        vk->vkGetDeviceBufferMemoryRequirements(dev, &query, &req);
        type_bits = req.memoryRequirements.memoryTypeBits;
    } else {
        const VkAllocationCallbacks *cb = vkm_allocator_vk_callbacks(allocator);
        VkBuffer buffer = VK_NULL_HANDLE;
        VkMemoryRequirements req;
        const VkResult res = vk->vkCreateBuffer(dev, pBufferCreateInfo, cb, &buffer);
        if (res != VK_SUCCESS)
            return res;
        vk->vkGetBufferMemoryRequirements(dev, buffer, &req);
        vk->vkDestroyBuffer(dev, buffer, cb);
        type_bits = req.memoryTypeBits;
    }
    return find_type(allocator, type_bits, pAllocationCreateInfo, VKM_RESOURCE_BUFFER, usage,
                     pMemoryTypeIndex);
}

/* memoryTypeBits of an image described by `ici`. Disjoint images have requirements per
 * plane; plane 0's stand for the image (VMA asserts on such images instead). An image
 * with DRM format modifier tiling cannot be asked about before creation (the driver
 * picks the modifier from a list), so it always goes through a temporary image. */
static VkResult
image_type_bits(const VmaVulkanFunctions *vk, VkDevice dev, const VkAllocationCallbacks *cb,
                const VkImageCreateInfo *ici, uint32_t *out_bits)
{
    const bool drm = ici->tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT;
    const bool disjoint = (ici->flags & VK_IMAGE_CREATE_DISJOINT_BIT) != 0;
    const VkImageAspectFlagBits plane0 =
        drm ? VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT : VK_IMAGE_ASPECT_PLANE_0_BIT;
    VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};

    if (vk->vkGetDeviceImageMemoryRequirements != NULL && !drm) {
        const VkDeviceImageMemoryRequirements query = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_IMAGE_MEMORY_REQUIREMENTS,
            .pCreateInfo = ici,
            .planeAspect = disjoint ? plane0 : (VkImageAspectFlagBits)0,
        };
        vk->vkGetDeviceImageMemoryRequirements(dev, &query, &req);
        *out_bits = req.memoryRequirements.memoryTypeBits;
        return VK_SUCCESS;
    }

    VkImage image = VK_NULL_HANDLE;
    VkResult res = vk->vkCreateImage(dev, ici, cb, &image);
    if (res != VK_SUCCESS)
        return res;
    if (!disjoint) {
        vk->vkGetImageMemoryRequirements(dev, image, &req.memoryRequirements);
    } else if (vk->vkGetImageMemoryRequirements2KHR != NULL) {
        const VkImagePlaneMemoryRequirementsInfo plane = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO,
            .planeAspect = plane0,
        };
        const VkImageMemoryRequirementsInfo2 info = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
            .pNext = &plane,
            .image = image,
        };
        vk->vkGetImageMemoryRequirements2KHR(dev, &info, &req);
    } else {
        /* Disjoint images need Vulkan 1.1 or VK_KHR_sampler_ycbcr_conversion, whose
         * requirements query the allocator was not told about. */
        res = VK_ERROR_FEATURE_NOT_PRESENT;
    }
    vk->vkDestroyImage(dev, image, cb);
    *out_bits = req.memoryRequirements.memoryTypeBits;
    return res;
}

VMA_CALL_PRE VkResult VMA_CALL_POST
vmaFindMemoryTypeIndexForImageInfo(VmaAllocator allocator,
                                   const VkImageCreateInfo *pImageCreateInfo,
                                   const VmaAllocationCreateInfo *pAllocationCreateInfo,
                                   uint32_t *pMemoryTypeIndex)
{
    VKM_REQUIRE_PTR(pMemoryTypeIndex, "pMemoryTypeIndex", VKM_INVALID_ARG);
    *pMemoryTypeIndex = UINT32_MAX;
    VKM_REQUIRE_ALLOCATOR(allocator, VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pImageCreateInfo, "pImageCreateInfo", VKM_INVALID_ARG);
    VKM_REQUIRE_PTR(pAllocationCreateInfo, "pAllocationCreateInfo", VKM_INVALID_ARG);

    uint32_t type_bits = 0;
    const VkResult res =
        image_type_bits(&vkm_allocator_vkfuncs(allocator)->vk, vkm_allocator_device(allocator),
                        vkm_allocator_vk_callbacks(allocator), pImageCreateInfo, &type_bits);
    if (res != VK_SUCCESS)
        return res;
    return find_type(allocator, type_bits, pAllocationCreateInfo, VKM_RESOURCE_IMAGE,
                     pImageCreateInfo->usage, pMemoryTypeIndex);
}
