/* SPDX-License-Identifier: MIT */
/*
 * vkfuncs.h - the allocator's Vulkan dispatch table (layer L2).
 *
 * Owns: the choice of which function pointer the allocator calls for every Vulkan
 * command it uses, made once in vmaCreateAllocator and immutable afterwards. Every other
 * module calls Vulkan through a `const vkm_vkfuncs *`, never through the loader's symbols
 * (style.md, "Concurrency").
 *
 * Where each pointer comes from, member by member:
 *   1. the non-null member of VmaAllocatorCreateInfo::pVulkanFunctions (the user's
 *      table, volk's, or a test wrapper's) wins;
 *   2. otherwise it is fetched by name through vkGetInstanceProcAddr (instance-level
 *      commands) or vkGetDeviceProcAddr (device-level commands). Those two come from the
 *      user's table when given there, else from the Vulkan loader the library links.
 *      This is VMA's VMA_DYNAMIC_VULKAN_FUNCTIONS path; with the loader's getters it
 *      also covers what VMA_STATIC_VULKAN_FUNCTIONS gives, but with device-level
 *      pointers instead of loader trampolines.
 * Which names are fetched follows VMA 3.3: core names when vulkanApiVersion is at least
 * 1.1 (or 1.3 for vkGetDevice*MemoryRequirements), the KHR names on Vulkan 1.0 when the
 * matching VMA_ALLOCATOR_CREATE_* flag says the extension is enabled. On 1.1 and later
 * the KHR_DEDICATED_ALLOCATION and KHR_BIND_MEMORY2 flags mean nothing (the features are
 * core); vkm_vkfuncs_effective_flags() drops them so callers test one thing.
 *
 * Thread rules: vkm_vkfuncs_init runs once on the creating thread; afterwards the table
 * is read-only and any thread may call through it.
 *
 * Not known here: which Vulkan features the device really supports (the user's flags are
 * trusted, as VMA trusts them), memory types, budgets.
 */
#ifndef VKM_VKFUNCS_H
#define VKM_VKFUNCS_H

#include <stdint.h>

#include "common.h"

/* The table is a VmaVulkanFunctions plus what VMA does not list but we need. */
typedef struct vkm_vkfuncs {
    VmaVulkanFunctions vk;
    /* vkGetPhysicalDeviceProperties2 (Vulkan >= 1.1), or its KHR alias on 1.0 when
     * VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT promises that
     * VK_KHR_get_physical_device_properties2 is enabled on the instance. May be NULL:
     * callers must fall back to vk.vkGetPhysicalDeviceProperties. */
    PFN_vkGetPhysicalDeviceProperties2KHR GetPhysicalDeviceProperties2;
} vkm_vkfuncs;

/* VmaAllocatorCreateInfo::vulkanApiVersion as the allocator uses it: 0 means 1.0, and
 * only the major and minor numbers count (patch and variant are dropped), so
 * comparisons against VK_API_VERSION_1_x are exact. */
uint32_t vkm_vkfuncs_api_version(uint32_t vulkan_api_version);

/* The allocator-create flags with the ones that do not apply at `api_version` (already
 * normalised) removed: KHR_DEDICATED_ALLOCATION and KHR_BIND_MEMORY2 on Vulkan >= 1.1,
 * where those features are core and always used (VMA does the same). */
VmaAllocatorCreateFlags vkm_vkfuncs_effective_flags(VmaAllocatorCreateFlags flags,
                                                    uint32_t api_version);

/*
 * Fills `f` for an allocator created with `ci` (ci->instance and ci->device are used for
 * fetching; ci->pVulkanFunctions may be NULL). Then checks that every function the
 * enabled features need is present:
 *   always: the 17 Vulkan 1.0 commands of VmaVulkanFunctions (vkGetPhysicalDevice*
 *           through vkCmdCopyBuffer);
 *   Vulkan >= 1.1 or KHR_DEDICATED_ALLOCATION: vkGet{Buffer,Image}MemoryRequirements2KHR;
 *   Vulkan >= 1.1 or KHR_BIND_MEMORY2: vkBind{Buffer,Image}Memory2KHR;
 *   Vulkan >= 1.1 or EXT_MEMORY_BUDGET: vkGetPhysicalDeviceMemoryProperties2KHR;
 *   KHR_EXTERNAL_MEMORY_WIN32: vkGetMemoryWin32HandleKHR (a build without
 *           VK_KHR_external_memory_win32 in its headers can never satisfy this).
 * vkGetDevice{Buffer,Image}MemoryRequirements stay optional (VMA does not require them
 * either: some drivers return NULL for them; callers fall back to a temporary object).
 * Returns VK_SUCCESS, or VK_ERROR_INITIALIZATION_FAILED when a needed function is
 * missing; debug builds then also raise an API assert naming the member.
 */
VkResult vkm_vkfuncs_init(vkm_vkfuncs *f, const VmaAllocatorCreateInfo *ci);

/* The Vulkan loader's vkGetInstanceProcAddr, looked up in libvulkan.so.1 itself (never
 * through the global name, which a volk program defines as a variable); NULL if the
 * loader cannot be found. */
PFN_vkGetInstanceProcAddr vkm_vkfuncs_loader_getter(void);

#endif /* VKM_VKFUNCS_H */
