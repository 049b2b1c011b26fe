/* SPDX-License-Identifier: MIT */
/*
 * block.h - one VkDeviceMemory sub-allocated by a range allocator (layer L2).
 *
 * A block owns its VkDeviceMemory, the TLSF metadata of its ranges, and the mapping of
 * the whole memory object (mapped once, reference-counted: Vulkan forbids mapping one
 * VkDeviceMemory twice, so every allocation in the block shares one host pointer).
 *
 * Who touches what:
 *   memory, size, memory_type, id, list   immutable after creation
 *   tlsf                                  under `lock`
 *   map_count, mapped                     under `map_lock` (mapped is also read
 *                                         without it by vkm_block_mapped_ptr's callers
 *                                         that hold a map reference: a held reference
 *                                         keeps it stable)
 * A block is created and destroyed only by its block list, under the list's write lock.
 * It knows nothing about VmaAllocation objects beyond the user pointer stored with a
 * range.
 */
#ifndef VKM_BLOCK_H
#define VKM_BLOCK_H

#include "common.h"
#include "lock.h"
#include "tlsf.h"

typedef struct vkm_block_list vkm_block_list;

typedef struct vkm_block {
    VkDeviceMemory memory;   /* immutable */
    VkDeviceSize size;       /* immutable */
    uint32_t memory_type;    /* immutable */
    uint32_t id;             /* immutable; unique within its list */
    vkm_block_list *list;    /* immutable */

    vkm_mutex lock;          /* guards tlsf */
    vkm_tlsf *tlsf;          /* under lock */

    vkm_mutex map_lock;      /* guards map_count, mapped */
    uint32_t map_count;      /* under map_lock */
    void *mapped;            /* under map_lock; see above */
} vkm_block;

/* Wraps an already allocated VkDeviceMemory. Only host memory can fail. */
VkResult vkm_block_create(const vkm_host_alloc *ha, vkm_block_list *list, VkDeviceMemory memory,
                          VkDeviceSize size, uint32_t memory_type, uint32_t id,
                          VkDeviceSize granularity, vkm_block **out);
/* Frees the metadata; the caller has already unmapped/freed the VkDeviceMemory. */
void vkm_block_destroy(const vkm_host_alloc *ha, vkm_block *b);

/* Adds `count` references to the block mapping, mapping it on the first; *out_ptr
 * receives the block's base pointer (may be NULL). On failure nothing changes. */
VkResult vkm_block_map(vkm_block *b, VkDevice device, const VmaVulkanFunctions *vk,
                       uint32_t count, void **out_ptr);
/* Drops `count` references, unmapping on the last. */
void vkm_block_unmap(vkm_block *b, VkDevice device, const VmaVulkanFunctions *vk, uint32_t count);

/* Base pointer of the mapping or NULL; exact only while the caller holds a reference. */
void *vkm_block_mapped_ptr(vkm_block *b);

#endif /* VKM_BLOCK_H */
