/* SPDX-License-Identifier: MIT */
/*
 * stress_common_internal.h - what the harness files (stress_common*.c) share with each
 * other and not with the suites, which include stress_common.h only.
 */
#ifndef VKM_STRESS_COMMON_INTERNAL_H
#define VKM_STRESS_COMMON_INTERNAL_H

#include "stress_common.h"

/* The suite's name as given to stress_init. */
const char *stress_name(void);

/* A VkDeviceMemory handle as a number, for hashing and messages. */
uint64_t stress_handle_bits(VkDeviceMemory m);

/* Registry (stress_common_registry.c). The memory callbacks come from the allocator's
 * VmaDeviceMemoryCallbacks: allocated after vkAllocateMemory, freed before vkFreeMemory. */
void stress_registry_memory_allocated(VkDeviceMemory m, VkDeviceSize size);
void stress_registry_memory_freed(VkDeviceMemory m);
/* granularity: the bufferImageGranularity of the device the memory belongs to */
void stress_registry_insert(const stress_alloc *x, VkDeviceSize granularity);
void stress_registry_remove(const stress_alloc *x);

/* A 2D RGBA8 image of about rq->size bytes with rq->kind's tiling. */
void stress_image_info(const stress_request *rq, VkImageCreateInfo *ici);

#endif /* VKM_STRESS_COMMON_INTERNAL_H */
