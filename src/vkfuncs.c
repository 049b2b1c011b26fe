/* SPDX-License-Identifier: MIT */
/*
 * vkfuncs.c - building the dispatch table (see vkfuncs.h for the precedence rules).
 *
 * The work is three passes over the table: take what the user gave, fetch by name what
 * is still missing (the names depend on the API version and the extension flags), then
 * check that what the enabled features need is there.
 */
#include "vkfuncs.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "debug.h"

/* Where names are looked up. Either getter may be NULL (a build with VK_NO_PROTOTYPES
 * and a user table without it): then nothing of that level can be fetched. */
typedef struct fetcher {
    PFN_vkGetInstanceProcAddr gipa;
    PFN_vkGetDeviceProcAddr gdpa;
    VkInstance instance;
    VkDevice device;
} fetcher;

static PFN_vkVoidFunction
instance_proc(const fetcher *c, const char *name)
{
    return c->gipa != NULL ? c->gipa(c->instance, name) : NULL;
}

static PFN_vkVoidFunction
device_proc(const fetcher *c, const char *name)
{
    /* vkGetDeviceProcAddr with a null device is invalid usage, unlike the instance
     * getter; the allocator reports a null device itself. */
    if (c->gdpa == NULL || c->device == VK_NULL_HANDLE)
        return NULL;
    return c->gdpa(c->device, name);
}

/* Fill a still-null member. PFN_vkVoidFunction is the generic function-pointer type the
 * getters return; the cast to the member's own PFN type is the documented way back. */
#define FETCH_INSTANCE(c, tbl, member, name)                          \
    do {                                                              \
        if ((tbl)->member == NULL)                                    \
            (tbl)->member = (PFN_##member)instance_proc((c), (name)); \
    } while (0)
#define FETCH_DEVICE(c, tbl, member, name)                          \
    do {                                                            \
        if ((tbl)->member == NULL)                                  \
            (tbl)->member = (PFN_##member)device_proc((c), (name)); \
    } while (0)

uint32_t
vkm_vkfuncs_api_version(uint32_t vulkan_api_version)
{
    if (vulkan_api_version == 0)
        return VK_API_VERSION_1_0;
    return VK_MAKE_API_VERSION(0, VK_API_VERSION_MAJOR(vulkan_api_version),
                               VK_API_VERSION_MINOR(vulkan_api_version), 0);
}

VmaAllocatorCreateFlags
vkm_vkfuncs_effective_flags(VmaAllocatorCreateFlags flags, uint32_t api_version)
{
    if (api_version >= VK_API_VERSION_1_1)
        flags &= ~(VmaAllocatorCreateFlags)(VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT |
                                            VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT);
    return flags;
}

PFN_vkGetInstanceProcAddr
vkm_vkfuncs_loader_getter(void)
{
    /* Asked of the loader's own object rather than bound by name: a program built with
     * volk defines a *variable* called vkGetInstanceProcAddr, and the dynamic linker would
     * hand a shared library that variable's address in place of the loader's function.
     * The library links the loader, so it is loaded; RTLD_NOLOAD only takes a reference,
     * which is dropped again (the loader stays, held by the library's own dependency). */
    void *h = dlopen("libvulkan.so.1", RTLD_LAZY | RTLD_NOLOAD);
    bool keep = false;
    if (h == NULL) {
        h = dlopen("libvulkan.so.1", RTLD_LAZY | RTLD_LOCAL);
        keep = true; /* loaded for us: the returned pointer must stay valid */
    }
    if (h == NULL)
        return NULL;
    PFN_vkGetInstanceProcAddr gipa = NULL;
    /* POSIX returns object and function addresses alike as void *; this is the
     * documented way back to a function pointer. */
    void *sym = dlsym(h, "vkGetInstanceProcAddr");
    memcpy(&gipa, &sym, sizeof gipa);
    if (!keep)
        dlclose(h);
    return gipa;
}

/* The getters themselves: the user's first; a user instance getter also answers for
 * the device getter (a wrapper that intercepts one usually intercepts both); the
 * loader's getter last (and the device getter through it). */
static void
resolve_getters(VmaVulkanFunctions *vk, fetcher *c, const VmaAllocatorCreateInfo *ci)
{
    c->instance = ci->instance;
    c->device = ci->device;
    if (vk->vkGetDeviceProcAddr == NULL && vk->vkGetInstanceProcAddr != NULL)
        vk->vkGetDeviceProcAddr =
            (PFN_vkGetDeviceProcAddr)vk->vkGetInstanceProcAddr(ci->instance, "vkGetDeviceProcAddr");
    if (vk->vkGetInstanceProcAddr == NULL) {
        vk->vkGetInstanceProcAddr = vkm_vkfuncs_loader_getter();
        if (vk->vkGetInstanceProcAddr != NULL && vk->vkGetDeviceProcAddr == NULL)
            vk->vkGetDeviceProcAddr = (PFN_vkGetDeviceProcAddr)vk->vkGetInstanceProcAddr(
                ci->instance, "vkGetDeviceProcAddr");
    }
    c->gipa = vk->vkGetInstanceProcAddr;
    c->gdpa = vk->vkGetDeviceProcAddr;
}

static void
fetch_core_1_0(VmaVulkanFunctions *vk, const fetcher *c)
{
    FETCH_INSTANCE(c, vk, vkGetPhysicalDeviceProperties, "vkGetPhysicalDeviceProperties");
    FETCH_INSTANCE(c, vk, vkGetPhysicalDeviceMemoryProperties,
                   "vkGetPhysicalDeviceMemoryProperties");
    FETCH_DEVICE(c, vk, vkAllocateMemory, "vkAllocateMemory");
    FETCH_DEVICE(c, vk, vkFreeMemory, "vkFreeMemory");
    FETCH_DEVICE(c, vk, vkMapMemory, "vkMapMemory");
    FETCH_DEVICE(c, vk, vkUnmapMemory, "vkUnmapMemory");
    FETCH_DEVICE(c, vk, vkFlushMappedMemoryRanges, "vkFlushMappedMemoryRanges");
    FETCH_DEVICE(c, vk, vkInvalidateMappedMemoryRanges, "vkInvalidateMappedMemoryRanges");
    FETCH_DEVICE(c, vk, vkBindBufferMemory, "vkBindBufferMemory");
    FETCH_DEVICE(c, vk, vkBindImageMemory, "vkBindImageMemory");
    FETCH_DEVICE(c, vk, vkGetBufferMemoryRequirements, "vkGetBufferMemoryRequirements");
    FETCH_DEVICE(c, vk, vkGetImageMemoryRequirements, "vkGetImageMemoryRequirements");
    FETCH_DEVICE(c, vk, vkCreateBuffer, "vkCreateBuffer");
    FETCH_DEVICE(c, vk, vkDestroyBuffer, "vkDestroyBuffer");
    FETCH_DEVICE(c, vk, vkCreateImage, "vkCreateImage");
    FETCH_DEVICE(c, vk, vkDestroyImage, "vkDestroyImage");
    FETCH_DEVICE(c, vk, vkCmdCopyBuffer, "vkCmdCopyBuffer");
}

/* Commands that are core in 1.1 / 1.3 and extensions before. The core name is tried
 * first from the version that made it core; the KHR name only when the user's flag
 * says the extension is enabled, since fetching a disabled extension's command may
 * return a pointer that must not be called. */
static void
fetch_versioned(vkm_vkfuncs *f, const fetcher *c, uint32_t api, VmaAllocatorCreateFlags flags)
{
    VmaVulkanFunctions *vk = &f->vk;
    const bool v11 = api >= VK_API_VERSION_1_1;

    if (v11) {
        FETCH_DEVICE(c, vk, vkGetBufferMemoryRequirements2KHR, "vkGetBufferMemoryRequirements2");
        FETCH_DEVICE(c, vk, vkGetImageMemoryRequirements2KHR, "vkGetImageMemoryRequirements2");
        FETCH_DEVICE(c, vk, vkBindBufferMemory2KHR, "vkBindBufferMemory2");
        FETCH_DEVICE(c, vk, vkBindImageMemory2KHR, "vkBindImageMemory2");
    } else {
        if (flags & VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT) {
            FETCH_DEVICE(c, vk, vkGetBufferMemoryRequirements2KHR,
                         "vkGetBufferMemoryRequirements2KHR");
            FETCH_DEVICE(c, vk, vkGetImageMemoryRequirements2KHR,
                         "vkGetImageMemoryRequirements2KHR");
        }
        if (flags & VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT) {
            FETCH_DEVICE(c, vk, vkBindBufferMemory2KHR, "vkBindBufferMemory2KHR");
            FETCH_DEVICE(c, vk, vkBindImageMemory2KHR, "vkBindImageMemory2KHR");
        }
    }

    /* Some drivers answer only one of the two names even when both are valid (VMA
     * #410), so the other name is the second try. */
    if (v11) {
        FETCH_INSTANCE(c, vk, vkGetPhysicalDeviceMemoryProperties2KHR,
                       "vkGetPhysicalDeviceMemoryProperties2");
        FETCH_INSTANCE(c, vk, vkGetPhysicalDeviceMemoryProperties2KHR,
                       "vkGetPhysicalDeviceMemoryProperties2KHR");
        if (f->GetPhysicalDeviceProperties2 == NULL)
            f->GetPhysicalDeviceProperties2 = (PFN_vkGetPhysicalDeviceProperties2KHR)instance_proc(
                c, "vkGetPhysicalDeviceProperties2");
        if (f->GetPhysicalDeviceProperties2 == NULL)
            f->GetPhysicalDeviceProperties2 = (PFN_vkGetPhysicalDeviceProperties2KHR)instance_proc(
                c, "vkGetPhysicalDeviceProperties2KHR");
    } else if (flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT) {
        /* VK_EXT_memory_budget requires VK_KHR_get_physical_device_properties2. */
        FETCH_INSTANCE(c, vk, vkGetPhysicalDeviceMemoryProperties2KHR,
                       "vkGetPhysicalDeviceMemoryProperties2KHR");
        FETCH_INSTANCE(c, vk, vkGetPhysicalDeviceMemoryProperties2KHR,
                       "vkGetPhysicalDeviceMemoryProperties2");
        f->GetPhysicalDeviceProperties2 = (PFN_vkGetPhysicalDeviceProperties2KHR)instance_proc(
            c, "vkGetPhysicalDeviceProperties2KHR");
    }

    if (api >= VK_API_VERSION_1_3) {
        FETCH_DEVICE(c, vk, vkGetDeviceBufferMemoryRequirements,
                     "vkGetDeviceBufferMemoryRequirements");
        FETCH_DEVICE(c, vk, vkGetDeviceImageMemoryRequirements,
                     "vkGetDeviceImageMemoryRequirements");
    }
    if (flags & VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT) {
        FETCH_DEVICE(c, vk, vkGetDeviceBufferMemoryRequirements,
                     "vkGetDeviceBufferMemoryRequirementsKHR");
        FETCH_DEVICE(c, vk, vkGetDeviceImageMemoryRequirements,
                     "vkGetDeviceImageMemoryRequirementsKHR");
    }

#if VMA_EXTERNAL_MEMORY_WIN32
    if (flags & VMA_ALLOCATOR_CREATE_KHR_EXTERNAL_MEMORY_WIN32_BIT)
        FETCH_DEVICE(c, vk, vkGetMemoryWin32HandleKHR, "vkGetMemoryWin32HandleKHR");
#endif
}

/* One needed member: 1 when it is missing (after reporting it), else 0. */
static unsigned
missing(bool present, const char *member, const char *because)
{
    if (!present && vkm_config_api_asserts) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "VmaAllocatorCreateInfo::pVulkanFunctions: %s is null and could not be "
                 "fetched (needed %s)",
                 member, because);
        vkm_api_assert(present, msg);
    }
    return present ? 0u : 1u;
}

#define MISSING(vk, member, because) missing((vk)->member != NULL, #member, (because))

static VkResult
check_complete(const vkm_vkfuncs *f, uint32_t api, VmaAllocatorCreateFlags flags)
{
    const VmaVulkanFunctions *vk = &f->vk;
    const bool v11 = api >= VK_API_VERSION_1_1;
    const char *always = "always";
    unsigned lacking = 0; /* every member is checked and reported, not only the first */

    lacking += MISSING(vk, vkGetPhysicalDeviceProperties, always);
    lacking += MISSING(vk, vkGetPhysicalDeviceMemoryProperties, always);
    lacking += MISSING(vk, vkAllocateMemory, always);
    lacking += MISSING(vk, vkFreeMemory, always);
    lacking += MISSING(vk, vkMapMemory, always);
    lacking += MISSING(vk, vkUnmapMemory, always);
    lacking += MISSING(vk, vkFlushMappedMemoryRanges, always);
    lacking += MISSING(vk, vkInvalidateMappedMemoryRanges, always);
    lacking += MISSING(vk, vkBindBufferMemory, always);
    lacking += MISSING(vk, vkBindImageMemory, always);
    lacking += MISSING(vk, vkGetBufferMemoryRequirements, always);
    lacking += MISSING(vk, vkGetImageMemoryRequirements, always);
    lacking += MISSING(vk, vkCreateBuffer, always);
    lacking += MISSING(vk, vkDestroyBuffer, always);
    lacking += MISSING(vk, vkCreateImage, always);
    lacking += MISSING(vk, vkDestroyImage, always);
    lacking += MISSING(vk, vkCmdCopyBuffer, always);

    if (v11 || (flags & VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT)) {
        const char *why = v11 ? "by Vulkan >= 1.1" : "by KHR_DEDICATED_ALLOCATION_BIT";
        lacking += MISSING(vk, vkGetBufferMemoryRequirements2KHR, why);
        lacking += MISSING(vk, vkGetImageMemoryRequirements2KHR, why);
    }
    if (v11 || (flags & VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT)) {
        const char *why = v11 ? "by Vulkan >= 1.1" : "by KHR_BIND_MEMORY2_BIT";
        lacking += MISSING(vk, vkBindBufferMemory2KHR, why);
        lacking += MISSING(vk, vkBindImageMemory2KHR, why);
    }
    if (v11 || (flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT)) {
        const char *why = v11 ? "by Vulkan >= 1.1" : "by EXT_MEMORY_BUDGET_BIT";
        lacking += MISSING(vk, vkGetPhysicalDeviceMemoryProperties2KHR, why);
    }
    if (flags & VMA_ALLOCATOR_CREATE_KHR_EXTERNAL_MEMORY_WIN32_BIT) {
#if VMA_EXTERNAL_MEMORY_WIN32
        lacking += MISSING(vk, vkGetMemoryWin32HandleKHR, "by KHR_EXTERNAL_MEMORY_WIN32_BIT");
#else
        /* The member is a placeholder `void *` in this build: the feature cannot work. */
        lacking += missing(false, "vkGetMemoryWin32HandleKHR",
                           "by KHR_EXTERNAL_MEMORY_WIN32_BIT, which this build's Vulkan headers "
                           "do not support");
#endif
    }
    return lacking == 0 ? VK_SUCCESS : VK_ERROR_INITIALIZATION_FAILED;
}

VkResult
vkm_vkfuncs_init(vkm_vkfuncs *f, const VmaAllocatorCreateInfo *ci)
{
    vkm_assert(f != NULL && ci != NULL);
    const uint32_t api = vkm_vkfuncs_api_version(ci->vulkanApiVersion);
    const VmaAllocatorCreateFlags flags = vkm_vkfuncs_effective_flags(ci->flags, api);
    fetcher c;

    memset(f, 0, sizeof *f);
    /* Every member is a pointer and the table starts zeroed, so copying the whole user
     * table is "take each non-null member". */
    if (ci->pVulkanFunctions != NULL)
        f->vk = *ci->pVulkanFunctions;

    resolve_getters(&f->vk, &c, ci);
    fetch_core_1_0(&f->vk, &c);
    fetch_versioned(f, &c, api, flags);
    return check_complete(f, api, flags);
}
