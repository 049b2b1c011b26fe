/* SPDX-License-Identifier: MIT */
/*
 * stress_common_stats.c - statistics validators of the stress harness.
 *
 * What may be checked while other threads allocate: identities within one call's output
 * (the total is the sum over heaps and types, allocation bytes within block bytes, VMA's
 * min/max conventions), and upper bounds from what the test has really done, read after
 * the statistics (blocks and bytes the device-memory callbacks have seen, allocations the
 * helpers have made): a figure that wrapped below zero is enormous and fails them. What
 * holds only at rest (exact counts) is left to the suites, which know when they are.
 */
#include "stress_common_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- statistics validators ----------------------------------------------------------- */

/* a count or byte figure that wrapped below zero shows up as something enormous */
#define SANE_COUNT(x) ((uint64_t)(x) < (1ull << 31))

static void
check_detailed(const VmaDetailedStatistics *d, const char *what, uint32_t index,
               uint64_t max_blocks, uint64_t max_allocs, uint64_t max_block_bytes)
{
    const VmaStatistics *s = &d->statistics;
    STRESS_CHECK(s->allocationBytes <= s->blockBytes,
                 "%s[%u]: allocationBytes %" PRIu64 " > blockBytes %" PRIu64, what, index,
                 s->allocationBytes, s->blockBytes);
    STRESS_CHECK(s->blockCount <= max_blocks && s->blockBytes <= max_block_bytes,
                 "%s[%u]: %u blocks / %" PRIu64 " bytes, but only %" PRIu64 " / %" PRIu64
                 " were ever allocated",
                 what, index, s->blockCount, s->blockBytes, max_blocks, max_block_bytes);
    STRESS_CHECK(s->allocationCount <= max_allocs,
                 "%s[%u]: %u allocations, at most %" PRIu64 " can be live", what, index,
                 s->allocationCount, max_allocs);
    STRESS_CHECK(SANE_COUNT(d->unusedRangeCount), "%s[%u]: unusedRangeCount %u", what, index,
                 d->unusedRangeCount);
    if (s->allocationCount == 0) {
        STRESS_CHECK(d->allocationSizeMin == VK_WHOLE_SIZE && d->allocationSizeMax == 0,
                     "%s[%u]: no allocations but allocationSizeMin %" PRIu64 ", max %" PRIu64, what,
                     index, d->allocationSizeMin, d->allocationSizeMax);
        STRESS_CHECK(s->allocationBytes == 0, "%s[%u]: no allocations but %" PRIu64 " bytes", what,
                     index, s->allocationBytes);
    } else {
        STRESS_CHECK(d->allocationSizeMin <= d->allocationSizeMax &&
                         d->allocationSizeMax <= s->allocationBytes,
                     "%s[%u]: allocationSizeMin %" PRIu64 ", max %" PRIu64 ", bytes %" PRIu64, what,
                     index, d->allocationSizeMin, d->allocationSizeMax, s->allocationBytes);
    }
    if (d->unusedRangeCount == 0)
        STRESS_CHECK(d->unusedRangeSizeMin == VK_WHOLE_SIZE && d->unusedRangeSizeMax == 0,
                     "%s[%u]: no free range but unusedRangeSizeMin %" PRIu64 ", max %" PRIu64, what,
                     index, d->unusedRangeSizeMin, d->unusedRangeSizeMax);
    else
        STRESS_CHECK(d->unusedRangeSizeMin <= d->unusedRangeSizeMax &&
                         d->unusedRangeSizeMax <= s->blockBytes,
                     "%s[%u]: unusedRangeSizeMin %" PRIu64 ", max %" PRIu64 ", blockBytes %" PRIu64,
                     what, index, d->unusedRangeSizeMin, d->unusedRangeSizeMax, s->blockBytes);
}

static void
add_detailed(VmaDetailedStatistics *sum, const VmaDetailedStatistics *d)
{
    sum->statistics.blockCount += d->statistics.blockCount;
    sum->statistics.allocationCount += d->statistics.allocationCount;
    sum->statistics.blockBytes += d->statistics.blockBytes;
    sum->statistics.allocationBytes += d->statistics.allocationBytes;
    sum->unusedRangeCount += d->unusedRangeCount;
    if (d->allocationSizeMin < sum->allocationSizeMin)
        sum->allocationSizeMin = d->allocationSizeMin;
    if (d->allocationSizeMax > sum->allocationSizeMax)
        sum->allocationSizeMax = d->allocationSizeMax;
    if (d->unusedRangeSizeMin < sum->unusedRangeSizeMin)
        sum->unusedRangeSizeMin = d->unusedRangeSizeMin;
    if (d->unusedRangeSizeMax > sum->unusedRangeSizeMax)
        sum->unusedRangeSizeMax = d->unusedRangeSizeMax;
}

static bool
detailed_equal(const VmaDetailedStatistics *x, const VmaDetailedStatistics *y)
{
    return x->statistics.blockCount == y->statistics.blockCount &&
           x->statistics.allocationCount == y->statistics.allocationCount &&
           x->statistics.blockBytes == y->statistics.blockBytes &&
           x->statistics.allocationBytes == y->statistics.allocationBytes &&
           x->unusedRangeCount == y->unusedRangeCount &&
           x->allocationSizeMin == y->allocationSizeMin &&
           x->allocationSizeMax == y->allocationSizeMax &&
           x->unusedRangeSizeMin == y->unusedRangeSizeMin &&
           x->unusedRangeSizeMax == y->unusedRangeSizeMax;
}

/* the largest VkDeviceMemory a suite makes: a 2 MiB dedicated allocation, aligned */
#define IN_FLIGHT_BYTES (4 * STRESS_MIB)

/* upper bounds, read after the statistics: anything the statistics saw happened before */
typedef struct bounds {
    uint64_t blocks, block_bytes, allocs;
} bounds;

static bounds
bounds_now(stress_allocator *a)
{
    bounds b = {
        .blocks = atomic_load(&a->xdm_allocs),
        .block_bytes = atomic_load(&a->xdm_bytes_allocated),
        /* allocations made but not yet counted by the helpers: one per thread at most */
        .allocs = atomic_load(&a->xallocs) + STRESS_MAX_THREADS,
    };
    return b;
}

VmaTotalStatistics
stress_check_statistics(stress_allocator *a)
{
    VmaTotalStatistics st;
    memset(&st, 0xA5, sizeof(st)); /* a member the call forgets to write shows */
    vmaCalculateStatistics(a->handle, &st);
    bounds b = bounds_now(a);
    const VkPhysicalDeviceMemoryProperties *mp = &a->env->mem_props;
    const VmaDetailedStatistics zero = {.allocationSizeMin = VK_WHOLE_SIZE,
                                        .unusedRangeSizeMin = VK_WHOLE_SIZE};
    VmaDetailedStatistics by_type = zero, by_heap = zero;
    VmaDetailedStatistics heap_from_types[VK_MAX_MEMORY_HEAPS];
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++)
        heap_from_types[h] = zero;
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
        check_detailed(&st.memoryType[t], "memoryType", t, b.blocks, b.allocs, b.block_bytes);
        add_detailed(&by_type, &st.memoryType[t]);
        add_detailed(&heap_from_types[mp->memoryTypes[t].heapIndex], &st.memoryType[t]);
    }
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        check_detailed(&st.memoryHeap[h], "memoryHeap", h, b.blocks, b.allocs, b.block_bytes);
        add_detailed(&by_heap, &st.memoryHeap[h]);
        STRESS_CHECK(detailed_equal(&heap_from_types[h], &st.memoryHeap[h]),
                     "memoryHeap[%u] is not the sum of its memory types (%u blocks / %u "
                     "allocations vs %u / %u)",
                     h, st.memoryHeap[h].statistics.blockCount,
                     st.memoryHeap[h].statistics.allocationCount,
                     heap_from_types[h].statistics.blockCount,
                     heap_from_types[h].statistics.allocationCount);
    }
    check_detailed(&st.total, "total", 0, b.blocks, b.allocs, b.block_bytes);
    STRESS_CHECK(detailed_equal(&by_heap, &st.total) && detailed_equal(&by_type, &st.total),
                 "total (%u blocks, %u allocations, %" PRIu64 " bytes) is not the sum over "
                 "heaps (%u, %u, %" PRIu64 ") and over types (%u, %u, %" PRIu64 ")",
                 st.total.statistics.blockCount, st.total.statistics.allocationCount,
                 st.total.statistics.allocationBytes, by_heap.statistics.blockCount,
                 by_heap.statistics.allocationCount, by_heap.statistics.allocationBytes,
                 by_type.statistics.blockCount, by_type.statistics.allocationCount,
                 by_type.statistics.allocationBytes);
    return st;
}

void
stress_check_budgets(stress_allocator *a)
{
    VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a->handle, budgets);
    bounds b = bounds_now(a);
    /* the budget counts a block from just before vkAllocateMemory (as VMA does, to reserve
     * it), the callback sees it only after: allow one block in flight per thread */
    b.blocks += STRESS_MAX_THREADS;
    b.block_bytes += STRESS_MAX_THREADS * IN_FLIGHT_BYTES;
    const VkPhysicalDeviceMemoryProperties *mp = &a->env->mem_props;
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        const VmaBudget *bu = &budgets[h];
        STRESS_CHECK(
            bu->statistics.blockCount <= b.blocks && bu->statistics.blockBytes <= b.block_bytes &&
                bu->statistics.allocationCount <= b.allocs &&
                bu->statistics.allocationBytes <= b.block_bytes,
            "heap %u budget statistics out of bounds: %u blocks, %" PRIu64
            " block bytes, %u allocations, %" PRIu64 " allocation bytes (bounds: %" PRIu64
            " blocks, %" PRIu64 " bytes, %" PRIu64 " allocations)",
            h, bu->statistics.blockCount, bu->statistics.blockBytes, bu->statistics.allocationCount,
            bu->statistics.allocationBytes, b.blocks, b.block_bytes, b.allocs);
        STRESS_CHECK(bu->budget <= mp->memoryHeaps[h].size,
                     "heap %u: budget %" PRIu64 " > heap size %" PRIu64, h, bu->budget,
                     mp->memoryHeaps[h].size);
        STRESS_CHECK(bu->usage < (1ull << 50), "heap %u: usage %" PRIu64 " (wrapped?)", h,
                     bu->usage);
    }
}

void
stress_check_pool_statistics(stress_allocator *a, VmaPool pool, VkDeviceSize block_size,
                             size_t max_blocks)
{
    VmaStatistics s;
    memset(&s, 0xA5, sizeof(s));
    vmaGetPoolStatistics(a->handle, pool, &s);
    bounds b = bounds_now(a);
    STRESS_CHECK(s.allocationBytes <= s.blockBytes,
                 "pool: allocationBytes %" PRIu64 " > blockBytes %" PRIu64, s.allocationBytes,
                 s.blockBytes);
    uint64_t block_bound = max_blocks == 0 ? b.blocks : max_blocks;
    STRESS_CHECK(s.blockCount <= block_bound && s.blockBytes == s.blockCount * block_size,
                 "pool of at most %" PRIu64 " blocks of %" PRIu64 " bytes: %u blocks, %" PRIu64
                 " bytes",
                 block_bound, block_size, s.blockCount, s.blockBytes);
    STRESS_CHECK(s.allocationCount <= b.allocs, "pool: %u allocations, at most %" PRIu64,
                 s.allocationCount, b.allocs);
    VmaDetailedStatistics d;
    memset(&d, 0xA5, sizeof(d));
    vmaCalculatePoolStatistics(a->handle, pool, &d);
    check_detailed(&d, "pool", 0, block_bound, b.allocs, block_bound * block_size);
    STRESS_CHECK(d.statistics.blockBytes == d.statistics.blockCount * block_size,
                 "pool (detailed): %u blocks, %" PRIu64 " bytes, blocks of %" PRIu64,
                 d.statistics.blockCount, d.statistics.blockBytes, block_size);
}

VkmThreadCacheStatistics
stress_check_cache_statistics(stress_allocator *a, bool all, uint32_t max_threads,
                              const VkmThreadCacheStatistics *prev)
{
    VkmThreadCacheStatistics s;
    memset(&s, 0xA5, sizeof(s));
    VkResult r = all ? vkmGetAllThreadCacheStatistics(a->handle, &s)
                     : vkmGetThreadCacheStatistics(a->handle, &s);
    const char *what = all ? "vkmGetAllThreadCacheStatistics" : "vkmGetThreadCacheStatistics";
    if (r != VK_SUCCESS) {
        stress_fail("%s: VkResult %d", what, (int)r);
        memset(&s, 0, sizeof(s));
        return s;
    }
    bounds b = bounds_now(a);
    uint64_t max_allocs = all ? b.allocs : stress_thread_allocs() + 1;
    uint64_t max_frees =
        all ? atomic_load(&a->xfrees) + STRESS_MAX_THREADS : stress_thread_frees() + 1;
    STRESS_CHECK(s.cachedBytes <= s.runBytes, "%s: cachedBytes %" PRIu64 " > runBytes %" PRIu64,
                 what, s.cachedBytes, s.runBytes);
    /* the calling thread's own cache is a consistent snapshot; the sum over threads is
     * only a snapshot of each counter (design.md §5), so it gets the weaker checks */
    STRESS_CHECK(s.runBytes <= b.block_bytes && (all || (s.runCount == 0) == (s.runBytes == 0)),
                 "%s: %u runs of %" PRIu64 " bytes (%" PRIu64 " block bytes ever allocated)", what,
                 s.runCount, s.runBytes, b.block_bytes);
    STRESS_CHECK(s.threadCount <= (all ? max_threads : 1u), "%s: threadCount %u", what,
                 s.threadCount);
    STRESS_CHECK(s.hits + s.misses + s.bypasses <= max_allocs,
                 "%s: %" PRIu64 " hits + %" PRIu64 " misses + %" PRIu64
                 " bypasses, but at most %" PRIu64 " allocations were made",
                 what, s.hits, s.misses, s.bypasses, max_allocs);
    STRESS_CHECK(s.remoteFrees <= max_frees && SANE_COUNT(s.lockWaits),
                 "%s: remoteFrees %" PRIu64 " (at most %" PRIu64 " frees), lockWaits %" PRIu64,
                 what, s.remoteFrees, max_frees, s.lockWaits);
    if (prev != NULL)
        STRESS_CHECK(s.hits >= prev->hits && s.misses >= prev->misses &&
                         s.bypasses >= prev->bypasses && s.remoteFrees >= prev->remoteFrees &&
                         s.lockWaits >= prev->lockWaits,
                     "%s: a counter went backwards (hits %" PRIu64 " -> %" PRIu64
                     ", misses %" PRIu64 " -> %" PRIu64 ", bypasses %" PRIu64 " -> %" PRIu64
                     ", remoteFrees %" PRIu64 " -> %" PRIu64 ")",
                     what, prev->hits, s.hits, prev->misses, s.misses, prev->bypasses, s.bypasses,
                     prev->remoteFrees, s.remoteFrees);
    return s;
}
