/* SPDX-License-Identifier: MIT */
/*
 * vk_sim.h - simulated GPU memory layouts and fault injection over the real driver
 * (design.md §9), installed as the allocator's VmaVulkanFunctions.
 *
 * A sim wraps one vkm_test_vk. Its function table reports the memory heaps and types of
 * a layout file (tests/gpus/<name>.json) instead of the real device's, maps every
 * simulated type onto a real type, and behaves like the simulated GPU where that is
 * observable by an allocator:
 *   - heap sizes and maxMemoryAllocationCount are enforced by vkAllocateMemory
 *     (OUT_OF_DEVICE_MEMORY / TOO_MANY_OBJECTS); Lavapipe enforces neither;
 *   - memoryTypeBits are rewritten (every simulated type whose real type the resource
 *     accepts; optimal-tiling images on nvidia-h200 get types 0 and 1 only);
 *   - mapping a type without HOST_VISIBLE fails; a type without HOST_COHERENT maps to a
 *     private shadow copy, so only vkFlushMappedMemoryRanges moves host writes to the
 *     device bytes and only vkInvalidateMappedMemoryRanges brings device bytes back;
 *     unmap drops the shadow without flushing. A forgotten flush or invalidate therefore
 *     shows up as wrong data (vkm_sim_peek/poke read and write the device bytes);
 *   - VK_EXT_memory_budget is emulated whenever the layout lists it: usage is what the
 *     sim has live per heap, budget a settable value (default 80% of the heap);
 *   - VkPhysicalDeviceProperties reports the layout's bufferImageGranularity,
 *     nonCoherentAtomSize, maxMemoryAllocationCount and a device type.
 * Misuse that Vulkan forbids (mapping twice, flushing unaligned or unmapped ranges,
 * binding to a type or offset the resource does not accept, freeing unknown memory) is
 * reported on stderr and counted (vkm_sim_violation_count); tests assert it stays 0.
 * VKM_SIM_ABORT_ON_VIOLATION=1 in the environment aborts at the first one instead.
 * Fault injection makes the n-th, or every, allocate / map / bind call fail.
 *
 * Extensions: the allocator learns the simulated extension list only through the
 * VmaAllocatorCreateInfo flags vkm_sim_fill_allocator_info sets; pNext structs the real
 * device cannot take (memory priority without the extension) are stripped on the way.
 *
 * Threads: every wrapper is thread-safe (the allocator calls them from many threads).
 * Wrappers find their sim through a process-wide registry keyed by VkDevice and
 * VkPhysicalDevice, read-locked for the duration of each call; per-sim bookkeeping is
 * under one mutex; counters are atomics. A sim must outlive every call through its
 * table, and its vkm_test_vk must outlive the sim. One sim per device.
 *
 * layout == NULL passes the real layout through: counters, fault injection, heap-size
 * enforcement, budget emulation and the misuse checks stay active.
 */
#ifndef VKM_TEST_VK_SIM_H
#define VKM_TEST_VK_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vk_ctx.h"

typedef enum vkm_sim_call {
    VKM_SIM_ALLOCATE_MEMORY,
    VKM_SIM_MAP_MEMORY,
    VKM_SIM_BIND_BUFFER_MEMORY, /* vkBindBufferMemory and vkBindBufferMemory2 */
    VKM_SIM_BIND_IMAGE_MEMORY,  /* vkBindImageMemory and vkBindImageMemory2 */
    VKM_SIM_CALL_COUNT
} vkm_sim_call;

typedef struct vkm_sim vkm_sim;

/* layout: a file name in VKM_TEST_GPUS_DIR without ".json" ("nvidia-h200"), a path to a
 * .json file (contains '/'), or NULL for the real layout. The directory is the compile-
 * time VKM_TEST_GPUS_DIR unless the environment variable of that name overrides it.
 * Errors: VK_ERROR_INITIALIZATION_FAILED (layout unreadable or malformed: a message
 * names the reason; or a sim already exists for ctx->device), VK_ERROR_FEATURE_NOT_PRESENT
 * (no real type can back a simulated one), VK_ERROR_OUT_OF_HOST_MEMORY. */
VkResult vkm_sim_create(const vkm_test_vk *ctx, const char *layout, vkm_sim **out);
/* False when no simulated type can hold an optimal-tiling image on the real driver: a
 * simulated host-visible type needs a host-visible real one, and some drivers (NVIDIA)
 * put optimal images in device-local memory only. Tests skip their image steps then;
 * on Lavapipe, where CI runs, every layout backs images. */
bool vkm_sim_backs_optimal_images(const vkm_sim *sim);
/* Unregisters and frees the sim. Memory still allocated through it is reported on
 * stderr and left to vkDestroyDevice. NULL-safe. */
void vkm_sim_destroy(vkm_sim *sim);

/* The wrapper table: pass as VmaAllocatorCreateInfo::pVulkanFunctions. Members the real
 * device lacks are NULL, except vkGetPhysicalDeviceMemoryProperties2KHR (emulated). Its
 * vkGetInstanceProcAddr / vkGetDeviceProcAddr return the wrappers for wrapped names. */
void vkm_sim_fill_functions(vkm_sim *sim, VmaVulkanFunctions *out);
/* vkm_test_vk_fill_allocator_info, then pVulkanFunctions = a table owned by the sim and
 * the extension flags of the simulated device: EXT_MEMORY_BUDGET and EXT_MEMORY_PRIORITY
 * when the layout lists them (emulated / stripped), BUFFER_DEVICE_ADDRESS and
 * KHR_MAINTENANCE5 when the layout lists them and the real device has them enabled,
 * KHR_MAINTENANCE4 when the real device has it (it only selects query functions). */
void vkm_sim_fill_allocator_info(vkm_sim *sim, VmaAllocatorCreateInfo *ci);

/* Fault injection. fail_nth: the n-th call of that kind from now fails once
 * (ALLOCATE: VK_ERROR_OUT_OF_DEVICE_MEMORY, MAP: VK_ERROR_MEMORY_MAP_FAILED, BIND:
 * VK_ERROR_OUT_OF_DEVICE_MEMORY); n == 0 disarms. fail_every: every call fails while on.
 * A failed call changes no state. Any thread. */
void vkm_sim_fail_nth(vkm_sim *sim, vkm_sim_call call, uint32_t n);
void vkm_sim_fail_every(vkm_sim *sim, vkm_sim_call call, bool on);
/* Calls of that kind since creation, failed ones included. */
uint32_t vkm_sim_call_count(const vkm_sim *sim, vkm_sim_call call);

uint32_t vkm_sim_live_memory_count(const vkm_sim *sim);         /* VkDeviceMemory alive */
uint64_t vkm_sim_heap_usage(const vkm_sim *sim, uint32_t heap); /* bytes alive in heap */
uint64_t vkm_sim_heap_budget(const vkm_sim *sim, uint32_t heap);
void vkm_sim_set_heap_budget(vkm_sim *sim, uint32_t heap, uint64_t budget);
/* Off by default (real drivers let usage pass the budget): when on, vkAllocateMemory
 * also fails with VK_ERROR_OUT_OF_DEVICE_MEMORY when heap usage + size > budget. */
void vkm_sim_enforce_budget(vkm_sim *sim, bool on);
/* Lowers (or raises) the enforced allocation count; the reported limit is unchanged. */
void vkm_sim_set_max_allocation_count(vkm_sim *sim, uint32_t count);
/* Simulated type index `mem` was allocated with; UINT32_MAX if the sim does not know it. */
uint32_t vkm_sim_memory_type_of(const vkm_sim *sim, VkDeviceMemory mem);

/* Misuse counters (see the top of this file). flush_violation_count: flush / invalidate
 * ranges breaking Vulkan's rules (offset not a multiple of nonCoherentAtomSize; size not
 * a multiple, not VK_WHOLE_SIZE and not reaching the end of the memory; outside the
 * mapped range; memory not mapped). violation_count: those and every other misuse. */
uint32_t vkm_sim_flush_violation_count(const vkm_sim *sim);
uint32_t vkm_sim_violation_count(const vkm_sim *sim);

/* The simulated layout as reported to the allocator. */
const VkPhysicalDeviceMemoryProperties *vkm_sim_memory_properties(const vkm_sim *sim);
VkDeviceSize vkm_sim_buffer_image_granularity(const vkm_sim *sim);
VkDeviceSize vkm_sim_non_coherent_atom_size(const vkm_sim *sim);
/* Whether the simulated device lists the extension (NULL layout: the enabled ones). */
bool vkm_sim_has_extension(const vkm_sim *sim, const char *name);
/* Layout name ("nvidia-h200", "real" for NULL). */
const char *vkm_sim_layout_name(const vkm_sim *sim);

/* Read / write the REAL device bytes of `mem`, bypassing any shadow mapping: to check
 * that a flush happened, or to play the device writing before an invalidate. Works
 * whether or not the memory is mapped. VK_ERROR_MEMORY_MAP_FAILED when the real memory
 * is not host-visible (simulating over a real GPU), VK_ERROR_VALIDATION_FAILED_EXT for
 * unknown memory or a range past its end. */
VkResult vkm_sim_peek(vkm_sim *sim, VkDeviceMemory mem, VkDeviceSize offset, void *dst,
                      size_t size);
VkResult vkm_sim_poke(vkm_sim *sim, VkDeviceMemory mem, VkDeviceSize offset, const void *src,
                      size_t size);

#endif /* VKM_TEST_VK_SIM_H */
