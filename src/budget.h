/* SPDX-License-Identifier: MIT */
/*
 * budget.h - per-heap usage counters and the VK_EXT_memory_budget cache (layer L2).
 *
 * Owns, for every memory heap: the number and bytes of VkDeviceMemory objects the
 * allocator holds (blocks and dedicated allocations) and the last budget/usage numbers
 * read from the driver. Allocation counts are not here: they are per-thread counters
 * (tcache_count.c), summed by whoever reports them.
 *
 * Identity (exact at any quiescent point):
 *   block_bytes[h]      = sum of sizes of live VkDeviceMemory of heap h made by us
 * Every counter is an atomic written with relaxed read-modify-write operations by any
 * thread; a reader sees each counter untorn (design.md §5). The driver figures are
 * guarded by `fetch_lock` and refreshed every VKM_BUDGET_REFRESH_OPS device-memory
 * operations and on vmaSetCurrentFrameIndex, as VMA does.
 */
#ifndef VKM_BUDGET_H
#define VKM_BUDGET_H

#include "atomics.h"
#include "common.h"
#include "lock.h"
#include "vkfuncs.h"

#define VKM_BUDGET_REFRESH_OPS 30u

typedef struct vkm_budget {
    vkm_atomic_u32 xblock_count[VK_MAX_MEMORY_HEAPS];
    vkm_atomic_u64 xblock_bytes[VK_MAX_MEMORY_HEAPS];     /* reserved: limits, usage */
    vkm_atomic_u64 xcommitted_bytes[VK_MAX_MEMORY_HEAPS]; /* existing memory: statistics */
    vkm_atomic_u32 xops_since_fetch; /* device-memory operations since the last fetch */
    /* For the lock-free over-budget test, written at every fetch (under fetch_lock):
     *   usage = xusage_base + xblock_bytes   (mod 2^64; "negative" reads as 0)   */
    vkm_atomic_u64 xusage_base[VK_MAX_MEMORY_HEAPS];
    vkm_atomic_u64 xbudget[VK_MAX_MEMORY_HEAPS];

    /* VK_EXT_memory_budget figures; under fetch_lock */
    vkm_mutex fetch_lock;
    bool use_ext;                                /* immutable */
    uint32_t heap_count;                         /* immutable */
    VkDeviceSize heap_size[VK_MAX_MEMORY_HEAPS]; /* immutable, after pHeapSizeLimit */
    VkDeviceSize vk_usage[VK_MAX_MEMORY_HEAPS];
    VkDeviceSize vk_budget[VK_MAX_MEMORY_HEAPS];
    VkDeviceSize block_bytes_at_fetch[VK_MAX_MEMORY_HEAPS];
} vkm_budget;

void vkm_budget_init(vkm_budget *b, const VkPhysicalDeviceMemoryProperties *props, bool use_ext);
void vkm_budget_finish(vkm_budget *b);

/* Reads the driver's budget (no-op without the extension). Thread-safe. */
void vkm_budget_fetch(vkm_budget *b, const vkm_vkfuncs *f, VkPhysicalDevice pd);

/* Fills out[0..count) for heaps first..first+count (allocationCount/Bytes 0); refreshes from the driver when the
 * cached figures are older than VKM_BUDGET_REFRESH_OPS operations. */
void vkm_budget_get(vkm_budget *b, const vkm_vkfuncs *f, VkPhysicalDevice pd, uint32_t first,
                    uint32_t count, VmaBudget *out);

/* Usage at or past the budget, without a lock (frees ask this on every block that
 * empties). As exact as vkm_budget_get between fetches. */
static inline bool
vkm_budget_is_over(vkm_budget *b, uint32_t heap)
{
    uint64_t usage = vkm_atomic_load_u64_relaxed(&b->xusage_base[heap]) +
                     vkm_atomic_load_u64_relaxed(&b->xblock_bytes[heap]);
    if ((int64_t)usage < 0)
        usage = 0;
    return usage >= vkm_atomic_load_u64_relaxed(&b->xbudget[heap]);
}

/* Reserves `size` bytes of heap `heap` for a new VkDeviceMemory. With `limit` != 0 the
 * reservation fails (returns false, nothing changed) when block bytes would pass it:
 * that is how pHeapSizeLimit is enforced without a lock. */
bool vkm_budget_reserve_block(vkm_budget *b, uint32_t heap, VkDeviceSize size, VkDeviceSize limit);
/* After vkAllocateMemory: commit_block counts the new block; cancel_block gives a failed
 * reservation back. Block bytes include reservations in flight (that is what keeps
 * pHeapSizeLimit exact); the block count only memory that exists. */
void vkm_budget_commit_block(vkm_budget *b, uint32_t heap, VkDeviceSize size);
void vkm_budget_cancel_block(vkm_budget *b, uint32_t heap, VkDeviceSize size);
/* A committed block is about to be freed (statistics stop counting it); its
 * reservation goes with vkm_budget_cancel_block once vkFreeMemory returned. */
void vkm_budget_release_block(vkm_budget *b, uint32_t heap, VkDeviceSize size);

#endif /* VKM_BUDGET_H */
