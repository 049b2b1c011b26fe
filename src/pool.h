/* SPDX-License-Identifier: MIT */
/*
 * pool.h - the VmaPool object (layer L3).
 *
 * A custom pool is a block list with the pool's parameters plus the dedicated
 * allocations made "inside" it, a name and an id. Pools are linked into their
 * allocator's list (under VmaAllocator_T::pools_lock) for statistics and destruction.
 *
 *   name       set by vmaSetPoolName; VMA requires the caller not to race it with reads
 *   prev/next  under the allocator's pools_lock
 */
#ifndef VKM_POOL_H
#define VKM_POOL_H

#include "block_list.h"
#include "dedicated.h"

#define VKM_POOL_MAGIC 0x564b4d50u /* "VKMP" */

struct VmaPool_T {
    uint32_t magic;
    uint32_t id;
    VmaAllocator allocator;
    vkm_block_list *list;
    vkm_dedicated_list dedicated;
    VmaPoolCreateInfo info;  /* as given, maxBlockCount 0 replaced by SIZE_MAX */
    char *name;
    VmaPool prev, next;
};

VkResult vkm_pool_create(VmaAllocator a, const VmaPoolCreateInfo *ci, VmaPool *out);
void vkm_pool_destroy(VmaAllocator a, VmaPool pool);
void vkm_pool_add_stats(VmaPool pool, vkm_epoch_record *rec, VmaDetailedStatistics *d);
/* vmaCalculatePoolStatistics: clears `d` and fills it. */
void vkm_pool_calculate_stats(VmaPool pool, VmaDetailedStatistics *d);
void vkm_pool_add_basic_stats(VmaPool pool, VmaStatistics *s);
void vkm_pool_set_name(VmaPool pool, const char *name);
bool vkm_pool_is_valid(VmaAllocator a, VmaPool pool);

#endif /* VKM_POOL_H */
