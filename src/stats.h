/* SPDX-License-Identifier: MIT */
/*
 * stats.h - arithmetic on VmaStatistics / VmaDetailedStatistics (layer L3).
 *
 * Pure helpers: clearing (min fields start at VK_WHOLE_SIZE, as VMA reports for an
 * empty set), adding one block, one allocation, one unused range, or a whole range
 * allocator's summary, and summing two detailed records. Callers hold whatever lock
 * makes their source consistent; these functions touch only their arguments.
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

#endif /* VKM_STATS_H */
