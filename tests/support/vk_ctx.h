/* SPDX-License-Identifier: MIT */
/*
 * vk_ctx.h - a Vulkan instance, device and queue for tests, demos and benchmarks.
 *
 * Driver: when neither VK_ICD_FILENAMES nor VK_DRIVER_FILES is set, the first context
 * created points VK_ICD_FILENAMES at Lavapipe's manifest, so the suite runs on the
 * embedded software driver by default and on a real GPU when the environment names one.
 * Device: the first physical device, or the one VKM_TEST_DEVICE_INDEX names.
 * Validation: VK_LAYER_KHRONOS_validation when asked for and installed; environment
 * VKM_TEST_VALIDATION=0/1 overrides the option either way. In ThreadSanitizer builds the
 * option is ignored and only VKM_TEST_VALIDATION=1 turns the layer on: the layer's own
 * worker thread races with object destruction (reported inside the layer). Each validation error is
 * printed to stderr and counted process-wide (vkm_test_validation_error_count), so a test
 * asserts the count did not grow.
 *
 * Threads: creating and destroying contexts is serialised internally, so several threads
 * may create their own contexts at once. A created context is read-only: any thread may
 * use it and its functions at the same time. vkm_test_vk_copy_buffer takes a process-wide
 * queue lock around vkQueueSubmit (the one call that needs external synchronisation) and
 * uses a command pool of its own per call.
 *
 * This file knows nothing of the simulated layouts (vk_sim.h) and nothing of the
 * allocator beyond the VMA structs it fills in.
 */
#ifndef VKM_TEST_VK_CTX_H
#define VKM_TEST_VK_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "vk_mem_alloc.h"

typedef struct vkm_test_vk_options {
    uint32_t api_version;      /* 0 = the highest the loader and device support, up to 1.3 */
    bool validation;           /* try VK_LAYER_KHRONOS_validation (env VKM_TEST_VALIDATION) */
    bool want_memory_budget;   /* enable VK_EXT_memory_budget when available */
    bool want_memory_priority; /* VK_EXT_memory_priority + memoryPriority feature */
    bool want_bda;             /* bufferDeviceAddress feature (1.2 core or the KHR ext) */
} vkm_test_vk_options;

typedef struct vkm_test_vk {
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    VkQueue queue; /* graphics, compute or transfer capable */
    uint32_t queue_family;
    uint32_t api_version; /* VK_API_VERSION_1_x the instance and device were made for */
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties mem_props;
    bool validation_enabled;
    bool has_memory_budget;
    bool has_memory_priority;
    bool has_dedicated_allocation; /* core 1.1 or the KHR extensions */
    bool has_bind_memory2;         /* core 1.1 or the KHR extension */
    bool has_maintenance4;         /* feature enabled (core 1.3 or the KHR extension) */
    bool has_maintenance5;
    bool has_bda;
    VkDebugUtilsMessengerEXT messenger; /* internal; VK_NULL_HANDLE without validation */
} vkm_test_vk;

/* The options a NULL `opt` stands for: api_version 0, every want_* true, validation on
 * (on Lavapipe the layer adds ~0.01-0.1 s to a context; VKM_TEST_VALIDATION=0 turns it
 * off for speed runs). */
vkm_test_vk_options vkm_test_vk_default_options(void);

/* Creates *ctx. Returns VK_SUCCESS; VK_ERROR_INCOMPATIBLE_DRIVER when no Vulkan driver or
 * physical device exists at all (callers skip: exit 77 / TEST_SKIP); another error when
 * creation failed otherwise (callers fail). On error *ctx is zeroed and owns nothing. */
VkResult vkm_test_vk_create(vkm_test_vk *ctx, const vkm_test_vk_options *opt);
/* Waits for the device to idle and destroys everything; *ctx is zeroed. NULL-safe. */
void vkm_test_vk_destroy(vkm_test_vk *ctx);

/* Whether a context can be created at all: VK_SUCCESS, VK_ERROR_INCOMPATIBLE_DRIVER (no
 * driver: a test program exits 77 at once) or the creation error. Creates and destroys one
 * context (without validation) on the first call; later calls return the cached result. */
VkResult vkm_test_vk_probe(void);

/* Validation errors reported by any context's debug messenger since process start. */
uint32_t vkm_test_validation_error_count(void);

/* Every member through vkGetInstanceProcAddr / vkGetDeviceProcAddr of the real driver:
 * core 1.1 / 1.3 names where api_version has them, KHR names where only the extension
 * is enabled, NULL where neither. */
void vkm_test_vk_fill_functions(const vkm_test_vk *ctx, VmaVulkanFunctions *out);

/* Sets instance, physicalDevice, device and vulkanApiVersion; replaces the extension bits
 * of flags (KHR_DEDICATED_ALLOCATION and KHR_BIND_MEMORY2 below 1.1, EXT_MEMORY_BUDGET,
 * EXT_MEMORY_PRIORITY, BUFFER_DEVICE_ADDRESS, KHR_MAINTENANCE4/5) by what the device has
 * enabled and keeps the caller's other bits. Every other member is left as it was
 * (pVulkanFunctions included), so zero the struct first. */
void vkm_test_vk_fill_allocator_info(const vkm_test_vk *ctx, VmaAllocatorCreateInfo *ci);

/* The flag bits fill_allocator_info manages. */
#define VKM_TEST_VK_EXTENSION_FLAGS                                                               \
    (VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT |                                          \
     VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT | VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT |     \
     VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT |                                               \
     VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT | VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT | \
     VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT)

/* Records src -> dst copy of `size` bytes, submits it, waits for it, and makes the
 * transfer writes visible to host reads of mapped memory. Any thread. */
VkResult vkm_test_vk_copy_buffer(const vkm_test_vk *ctx, VkBuffer src, VkBuffer dst,
                                 VkDeviceSize src_off, VkDeviceSize dst_off, VkDeviceSize size);

/* Index of the first real memory type in `type_bits` that has all of `required`, or
 * UINT32_MAX. A convenience for tests that allocate raw memory. */
/* A 2D R8G8B8A8_UNORM image of w x h, one mip and layer, exclusive, the layout a linear
 * image is filled in when `tiling` is linear: what the tests create. */
VkImageCreateInfo vkm_test_image_info(uint32_t w, uint32_t h, VkImageTiling tiling,
                                      VkImageUsageFlags usage);

uint32_t vkm_test_vk_find_memory_type(const VkPhysicalDeviceMemoryProperties *props,
                                      uint32_t type_bits, VkMemoryPropertyFlags required);

#endif /* VKM_TEST_VK_CTX_H */
