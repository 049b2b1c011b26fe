/* SPDX-License-Identifier: MIT */
/*
 * resource.h - memory requirements of buffers and images (layer L3).
 *
 * Asks the driver for a resource's size, alignment, allowed memory types, and whether it
 * requires or prefers a dedicated VkDeviceMemory (VK_KHR_dedicated_allocation / 1.1),
 * and maps image tiling to the range kind that bufferImageGranularity cares about.
 */
#ifndef VKM_RESOURCE_H
#define VKM_RESOURCE_H

#include "allocator.h"

typedef struct vkm_requirements {
    VkMemoryRequirements mr;
    bool dedicated_required;
    bool dedicated_preferred;
} vkm_requirements;

void vkm_resource_buffer_requirements(VmaAllocator a, VkBuffer buffer, vkm_requirements *out);
void vkm_resource_image_requirements(VmaAllocator a, VkImage image, vkm_requirements *out);

static inline vkm_range_kind
vkm_resource_image_kind(VkImageTiling tiling)
{
    return tiling == VK_IMAGE_TILING_OPTIMAL  ? VKM_RANGE_IMAGE_OPTIMAL
           : tiling == VK_IMAGE_TILING_LINEAR ? VKM_RANGE_IMAGE_LINEAR
                                              : VKM_RANGE_IMAGE_UNKNOWN;
}

#endif /* VKM_RESOURCE_H */
