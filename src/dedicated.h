/* SPDX-License-Identifier: MIT */
/*
 * dedicated.h - the set of dedicated allocations of one memory type or one pool (layer L2).
 *
 * An intrusive doubly linked list through VmaAllocation_T::u.d.prev/next, guarded by
 * `lock`. Used for statistics, for the leak check at destruction, and (later) for the
 * JSON dump. Creating and freeing the VkDeviceMemory itself is the allocator's job; this
 * module only tracks membership.
 */
#ifndef VKM_DEDICATED_H
#define VKM_DEDICATED_H

#include "common.h"
#include "lock.h"

typedef struct vkm_dedicated_list {
    vkm_mutex lock;
    VmaAllocation head; /* under lock */
    uint32_t count;     /* under lock */
} vkm_dedicated_list;

void vkm_dedicated_list_init(vkm_dedicated_list *l);
void vkm_dedicated_list_finish(vkm_dedicated_list *l);
void vkm_dedicated_list_add(vkm_dedicated_list *l, VmaAllocation alloc);
void vkm_dedicated_list_remove(vkm_dedicated_list *l, VmaAllocation alloc);
uint32_t vkm_dedicated_list_count(vkm_dedicated_list *l);
/* Adds each member as one block holding one allocation. */
void vkm_dedicated_list_add_stats(vkm_dedicated_list *l, VmaDetailedStatistics *d);
/* The list held still across several reads that must agree with it (pool statistics:
 * its members against the allocation counters); the lock-order step is "dedicated list". */
void vkm_dedicated_list_lock(vkm_dedicated_list *l);
void vkm_dedicated_list_unlock(vkm_dedicated_list *l);
/* vkm_dedicated_list_add_stats, the list already locked. */
void vkm_dedicated_list_add_stats_locked(const vkm_dedicated_list *l, VmaDetailedStatistics *d);
/* Calls fn on every member under the lock (fn must not touch the list). */
void vkm_dedicated_list_visit(vkm_dedicated_list *l, void (*fn)(void *ctx, VmaAllocation a),
                              void *ctx);

#endif /* VKM_DEDICATED_H */
