/* SPDX-License-Identifier: MIT */
/*
 * corruption.h - debug margins, corruption detection and debug fill (layer L3).
 *
 * VMA's VMA_DEBUG_MARGIN / VMA_DEBUG_DETECT_CORRUPTION / VMA_DEBUG_INITIALIZE_ALLOCATIONS,
 * as options an allocator takes at creation: the build's defaults (corruption_build.c)
 * or what vkmSetDebugOptions set last. They never change during an allocator's life.
 *
 * Layout. A block allocation of size S asks its range allocator (a run slot or a block's
 * TLSF: the two block paths) for S + margin bytes, so the margin sits
 * after the allocation inside its own range and no neighbour is ever placed there; like
 * VMA, nothing precedes the first allocation of a block. The allocation itself still
 * reports S (rounded up to 4 where detection applies, as VMA does). Range allocators and
 * their statistics see the range size; vkm_corruption_range_size converts.
 *
 * Detection (memory types HOST_VISIBLE and HOST_COHERENT, margin != 0): the margin holds
 * VKM_CORRUPTION_MAGIC_VALUE, written right after the range is obtained and verified when
 * the allocation is freed and by the checks. A check must not see a range that is live
 * but whose magic is not written yet, so:
 *   `lock` read side   held by an allocation in a detected type from before its range is
 *                      obtained until its magic is written (allocator.c)
 *   `lock` write side  held by vmaCheckCorruption / vmaCheckPoolCorruption for the walk
 * Frees need no lock: a margin belongs to its allocation's range, nothing but a bug
 * writes it between the allocation and the range's release. Lock order: single-mutex
 * global lock -> corruption lock -> pools list -> ... (src/README.md). A device-memory
 * callback must therefore not call the checks (it may run under the read side).
 *
 * Who touches what: everything immutable after vkm_corruption_init except `lock` and
 * `xfound` (any thread, atomic).
 */
#ifndef VKM_CORRUPTION_H
#define VKM_CORRUPTION_H

#include "atomics.h"
#include "common.h"
#include "lock.h"
#include "stats.h"

typedef struct vkm_corruption {
    VkmDebugOptions options; /* as the allocator was created with */
    VkDeviceSize margin;     /* 0 when off */
    uint32_t detect_types;   /* memory types whose margins hold the magic value */
    bool fill;               /* initializeAllocations */
    vkm_rwlock lock;         /* see above */
    vkm_atomic_u64 xfound;   /* damaged margins found */
} vkm_corruption;

/* The build's defaults (VMA_DEBUG_* as compile definitions of corruption_build.c). */
void vkm_corruption_build_defaults(VkmDebugOptions *out);

/* Process-wide options for allocators created from now on (vkmSetDebugOptions). */
VkResult vkm_corruption_set_process_options(const VkmDebugOptions *o);
void vkm_corruption_process_options(VkmDebugOptions *out);

/* At allocator creation, once memory properties are known: takes the process options. */
void vkm_corruption_init(VmaAllocator a);
void vkm_corruption_finish(VmaAllocator a);

static inline bool
vkm_corruption_detects(const vkm_corruption *c, uint32_t memory_type)
{
    return (c->detect_types >> memory_type) & 1u;
}

/* Request size and alignment of a block allocation in `memory_type` as the range
 * allocators must see them (margin added, rounded for the magic); `*user_size` receives
 * what the allocation reports. */
static inline void
vkm_corruption_adjust(const vkm_corruption *c, uint32_t memory_type, VkDeviceSize *size,
                      VkDeviceSize *alignment, VkDeviceSize *user_size)
{
    if (vkm_corruption_detects(c, memory_type)) {
        *size = (*size + 3) & ~(VkDeviceSize)3;
        *alignment = *alignment < 4 ? 4 : *alignment;
    }
    *user_size = *size;
    *size += c->margin;
}

/* The range a block allocation of reported size `size` occupies. */
static inline VkDeviceSize
vkm_corruption_range_size(const vkm_corruption *c, VkDeviceSize size)
{
    return size + c->margin;
}

typedef struct vkm_block vkm_block;

/* Statistics of a live block allocation's range: the allocation, and its margin as an
 * unused range (VMA shows margins as free space). */
static inline void
vkm_corruption_add_range_stats(VmaDetailedStatistics *d, VkDeviceSize margin,
                               VkDeviceSize range_size)
{
    vkm_stats_add_allocation(d, range_size - margin);
    if (margin != 0)
        vkm_stats_add_unused_range(d, margin);
}

/* Writes the magic into the margin of the new block allocation at `offset` of reported
 * size `size` (detected types only; the caller holds the read side of `lock`). Returns
 * the mapping's error, if any. */
VkResult vkm_corruption_write_magic(VmaAllocator a, vkm_block *b, VkDeviceSize offset,
                                    VkDeviceSize size);
/* Verifies the margin of a block allocation about to be freed; reports damage. */
void vkm_corruption_validate(VmaAllocator a, vkm_block *b, VkDeviceSize offset, VkDeviceSize size);
/* Fills a new or dying allocation with `pattern` when initializeAllocations applies. */
void vkm_corruption_fill(VmaAllocator a, VmaAllocation alloc, uint8_t pattern);

/* vmaCheckCorruption / vmaCheckPoolCorruption (VMA's return codes). */
VkResult vkm_corruption_check(VmaAllocator a, uint32_t memory_type_bits);
VkResult vkm_corruption_check_pool(VmaAllocator a, VmaPool pool);

#endif /* VKM_CORRUPTION_H */
