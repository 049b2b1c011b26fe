/* SPDX-License-Identifier: MIT */
/*
 * stats_json.h - vmaBuildStatsString and vmaBuildVirtualBlockStatsString (layer L3).
 *
 * Writes VMA 3.3's JSON dump layout (key names and nesting are the interface: VMA's
 * GpuMemDumpVis.py and other tools read them): "General", "Total", "MemoryInfo" per heap
 * and type, and with the detailed map "DefaultPools" and "CustomPools", each with
 * "PreferredBlockSize", "Blocks" (per block id: "MapRefCount", "TotalBytes",
 * "UnusedBytes", "Allocations", "UnusedRanges", "Suballocations") and
 * "DedicatedAllocations". A virtual block gives {"Stats", "Details"}.
 *
 * How our structures appear: a thread-cache run is not an allocation of its own; its
 * live slots are listed as allocations, and the free space of a block (its free ranges,
 * free slots, the rest of a slot after its allocation) as maximal free ranges, merged as VMA's metadata merges them (the tiler of
 * stats.h, which the statistics use too, so a block's "UnusedRanges" is what they count).
 * Debug margins are free ranges of their own after their allocation, as in VMA.
 * Every allocation shows "Type", "Size" and "Usage" (the buffer or image usage it was
 * created with, 0 for memory alone) and, when set, "CustomData" and "Name", whichever
 * thread made it (tcache.h, "Dumps"). Exception, only without Linux membarrier: a slot
 * of a run that another thread's cache owns shows type and size only, with usage 0.
 *
 * Locks: the statistics' own (vkm_allocator_calculate_statistics), then per block its
 * lock, the block's map lock, each dedicated list's lock,
 * the pools lock for the custom pools. A named allocation's name and user data are
 * written before its range or list entry is published (allocator.c), so reading them
 * under those locks is ordered after the writes; renaming a live allocation while a dump
 * runs is the caller's race, as in VMA.
 */
#ifndef VKM_STATS_JSON_H
#define VKM_STATS_JSON_H

#include <stdbool.h>

#include "common.h"

/* The dump, freed with vkm_stats_json_free; NULL when host memory ran out. */
char *vkm_stats_json_build(VmaAllocator a, bool detailed_map);
void vkm_stats_json_free(VmaAllocator a, char *s);

/* The dump of a virtual block (externally synchronized, as every virtual-block call). */
char *vkm_stats_json_build_virtual(VmaVirtualBlock b, bool detailed_map);
void vkm_stats_json_free_virtual(VmaVirtualBlock b, char *s);

#endif /* VKM_STATS_JSON_H */
