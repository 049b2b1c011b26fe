/* SPDX-License-Identifier: MIT */
/*
 * stats.h - arithmetic on VmaStatistics / VmaDetailedStatistics (layer L3).
 *
 * Pure helpers: clearing (min fields start at VK_WHOLE_SIZE, as VMA reports for an
 * empty set), adding one block, one allocation, one unused range, or a whole range
 * allocator's summary, summing two detailed records, and the tiler that turns one
 * block's pieces into VMA's allocations and maximal unused ranges. Callers hold whatever
 * lock makes their source consistent; these functions touch only their arguments.
 */
#ifndef VKM_STATS_H
#define VKM_STATS_H

#include "common.h"
#include "range.h"

static inline void
vkm_stats_clear(VmaStatistics *s)
{
    s->blockCount = 0;
    s->allocationCount = 0;
    s->blockBytes = 0;
    s->allocationBytes = 0;
}

static inline void
vkm_stats_clear_detailed(VmaDetailedStatistics *d)
{
    vkm_stats_clear(&d->statistics);
    d->unusedRangeCount = 0;
    d->allocationSizeMin = VK_WHOLE_SIZE;
    d->allocationSizeMax = 0;
    d->unusedRangeSizeMin = VK_WHOLE_SIZE;
    d->unusedRangeSizeMax = 0;
}

static inline void
vkm_stats_add_allocation(VmaDetailedStatistics *d, VkDeviceSize size)
{
    d->statistics.allocationCount++;
    d->statistics.allocationBytes += size;
    if (size < d->allocationSizeMin)
        d->allocationSizeMin = size;
    if (size > d->allocationSizeMax)
        d->allocationSizeMax = size;
}

static inline void
vkm_stats_add_unused_range(VmaDetailedStatistics *d, VkDeviceSize size)
{
    d->unusedRangeCount++;
    if (size < d->unusedRangeSizeMin)
        d->unusedRangeSizeMin = size;
    if (size > d->unusedRangeSizeMax)
        d->unusedRangeSizeMax = size;
}

/* One VkDeviceMemory of `size` bytes whose contents are summarized by `r`. */
static inline void
vkm_stats_add_block(VmaDetailedStatistics *d, VkDeviceSize size, const vkm_range_stats *r)
{
    d->statistics.blockCount++;
    d->statistics.blockBytes += size;
    d->statistics.allocationCount += r->alloc_count;
    d->statistics.allocationBytes += r->alloc_bytes;
    d->unusedRangeCount += r->free_count;
    if (r->alloc_count) {
        if (r->alloc_min < d->allocationSizeMin)
            d->allocationSizeMin = r->alloc_min;
        if (r->alloc_max > d->allocationSizeMax)
            d->allocationSizeMax = r->alloc_max;
    }
    if (r->free_count) {
        if (r->free_min < d->unusedRangeSizeMin)
            d->unusedRangeSizeMin = r->free_min;
        if (r->free_max > d->unusedRangeSizeMax)
            d->unusedRangeSizeMax = r->free_max;
    }
}

static inline void
vkm_stats_add_detailed(VmaDetailedStatistics *d, const VmaDetailedStatistics *s)
{
    d->statistics.blockCount += s->statistics.blockCount;
    d->statistics.allocationCount += s->statistics.allocationCount;
    d->statistics.blockBytes += s->statistics.blockBytes;
    d->statistics.allocationBytes += s->statistics.allocationBytes;
    d->unusedRangeCount += s->unusedRangeCount;
    if (s->allocationSizeMin < d->allocationSizeMin)
        d->allocationSizeMin = s->allocationSizeMin;
    if (s->allocationSizeMax > d->allocationSizeMax)
        d->allocationSizeMax = s->allocationSizeMax;
    if (s->unusedRangeSizeMin < d->unusedRangeSizeMin)
        d->unusedRangeSizeMin = s->unusedRangeSizeMin;
    if (s->unusedRangeSizeMax > d->unusedRangeSizeMax)
        d->unusedRangeSizeMax = s->unusedRangeSizeMax;
}

/*
 * One block's contents as VMA describes them (statistics and the JSON dump alike): its
 * allocations, and the maximal unused ranges between them. VMA's block metadata merges
 * adjacent free space, so an empty block is exactly one unused range of its size; ours
 * is cut into more pieces than VMA's (free ranges of the block's TLSF, runs and their
 * slots), so a walk feeds every piece through a tiler in
 * ascending offset order and the tiler merges what is adjacent before its sink sees it:
 *   vkm_stats_tiler_free    free bytes: a free block range, a free slot, the rest of a
 *                           slot after its allocation;
 *   vkm_stats_tiler_alloc   a live allocation's range, debug margin included;
 *   vkm_stats_tiler_finish  the end of the block (the last free range leaves).
 * The sink receives allocations with their requested size and free ranges with kind
 * VKM_RANGE_FREE. A debug margin (corruption.h) leaves as an unused range of its own
 * right after its allocation and is not merged with free space after it: VMA's TLSF keeps
 * margins as separate free blocks, so that is what VMA reports for them too.
 * The tiler only sees what it is fed; the caller holds the locks that keep it still.
 */
typedef void vkm_stats_tile_fn(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind,
                               VmaAllocation alloc);

typedef struct vkm_stats_tiler {
    vkm_stats_tile_fn *fn;
    void *ctx;
    VkDeviceSize margin;
    uint64_t free_offset, free_size; /* the free range not passed on yet; size 0: none */
} vkm_stats_tiler;

static inline void
vkm_stats_tiler_init(vkm_stats_tiler *t, VkDeviceSize margin, vkm_stats_tile_fn *fn, void *ctx)
{
    t->fn = fn;
    t->ctx = ctx;
    t->margin = margin;
    t->free_offset = 0;
    t->free_size = 0;
}

static inline void
vkm_stats_tiler_flush(vkm_stats_tiler *t)
{
    if (t->free_size != 0)
        t->fn(t->ctx, t->free_offset, t->free_size, VKM_RANGE_FREE, NULL);
    t->free_size = 0;
}

static inline void
vkm_stats_tiler_free(vkm_stats_tiler *t, uint64_t offset, uint64_t size)
{
    if (size == 0)
        return;
    if (t->free_size != 0 && t->free_offset + t->free_size == offset) {
        t->free_size += size;
        return;
    }
    vkm_stats_tiler_flush(t);
    t->free_offset = offset;
    t->free_size = size;
}

/* A live allocation whose range [offset, offset + range_size) holds it and its margin;
 * `alloc` may be NULL where the walk cannot read the object (tcache.h says when). */
static inline void
vkm_stats_tiler_alloc(vkm_stats_tiler *t, uint64_t offset, uint64_t range_size, vkm_range_kind kind,
                      VmaAllocation alloc)
{
    vkm_stats_tiler_flush(t);
    const uint64_t size = range_size > t->margin ? range_size - t->margin : range_size;
    t->fn(t->ctx, offset, size, kind, alloc);
    if (size < range_size)
        t->fn(t->ctx, offset + size, range_size - size, VKM_RANGE_FREE, NULL);
}

static inline void
vkm_stats_tiler_finish(vkm_stats_tiler *t)
{
    vkm_stats_tiler_flush(t);
}

/* A sink that adds into the VmaDetailedStatistics at `ctx`. */
static inline void
vkm_stats_tile_into_detailed(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind,
                             VmaAllocation alloc)
{
    (void)offset;
    (void)alloc;
    if (kind == VKM_RANGE_FREE)
        vkm_stats_add_unused_range(ctx, size);
    else
        vkm_stats_add_allocation(ctx, size);
}

#endif /* VKM_STATS_H */
