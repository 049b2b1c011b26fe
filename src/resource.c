/* SPDX-License-Identifier: MIT */
#include "resource.h"

void
vkm_resource_buffer_requirements(VmaAllocator a, VkBuffer buffer, vkm_requirements *out)
{
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    out->dedicated_required = out->dedicated_preferred = false;
    if (a->use_khr_dedicated && vk->vkGetBufferMemoryRequirements2KHR != NULL) {
        VkMemoryDedicatedRequirements ded = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS,
        };
        VkBufferMemoryRequirementsInfo2 info = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2,
            .buffer = buffer,
        };
        VkMemoryRequirements2 mr2 = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded};
        vk->vkGetBufferMemoryRequirements2KHR(a->device, &info, &mr2);
        out->mr = mr2.memoryRequirements;
        out->dedicated_required = ded.requiresDedicatedAllocation != VK_FALSE;
        out->dedicated_preferred = ded.prefersDedicatedAllocation != VK_FALSE;
        return;
    }
    vk->vkGetBufferMemoryRequirements(a->device, buffer, &out->mr);
}

void
vkm_resource_image_requirements(VmaAllocator a, VkImage image, vkm_requirements *out)
{
    const VmaVulkanFunctions *vk = &a->funcs.vk;
    out->dedicated_required = out->dedicated_preferred = false;
    if (a->use_khr_dedicated && vk->vkGetImageMemoryRequirements2KHR != NULL) {
        VkMemoryDedicatedRequirements ded = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS,
        };
        VkImageMemoryRequirementsInfo2 info = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
            .image = image,
        };
        VkMemoryRequirements2 mr2 = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded};
        vk->vkGetImageMemoryRequirements2KHR(a->device, &info, &mr2);
        out->mr = mr2.memoryRequirements;
        out->dedicated_required = ded.requiresDedicatedAllocation != VK_FALSE;
        out->dedicated_preferred = ded.prefersDedicatedAllocation != VK_FALSE;
        return;
    }
    vk->vkGetImageMemoryRequirements(a->device, image, &out->mr);
}
