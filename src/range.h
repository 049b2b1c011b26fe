/* SPDX-License-Identifier: MIT */
/*
 * range.h - vocabulary shared by the range allocators (layer L1).
 *
 * A range allocator hands out sub-ranges [offset, offset + size) of an abstract range
 * [0, capacity): the bytes of one VkDeviceMemory block, of a virtual block, or of a run a
 * thread cache reserved from a block. This header owns the types both range allocators
 * speak (tlsf.h, the general-purpose one, and the linear/ring allocator): the request,
 * the result codes, the statistics record, the visitor callback and the
 * bufferImageGranularity conflict rule.
 *
 * Callers: block.c and virtual.c (through tlsf.h / linear.h), tcache.c for runs.
 * Threads: nothing here has state; a range allocator itself is not thread-safe and is
 * used under its owner's lock (the block lock for device blocks).
 * It knows nothing of Vulkan handles: `kind` only says what the range will hold, so the
 * granularity rule can be applied.
 */
#ifndef VKM_RANGE_H
#define VKM_RANGE_H

#include <stdbool.h>
#include <stdint.h>

/* Returned where an offset is expected and none exists (offset 0 is a valid offset). */
#define VKM_NO_OFFSET UINT64_MAX

/* What an allocated range holds, for bufferImageGranularity. FREE marks free ranges in
 * visits and is never a valid request kind. */
typedef enum vkm_range_kind {
    VKM_RANGE_FREE = 0,
    VKM_RANGE_UNKNOWN = 1,
    VKM_RANGE_BUFFER = 2,
    VKM_RANGE_IMAGE_UNKNOWN = 3,
    VKM_RANGE_IMAGE_LINEAR = 4,
    VKM_RANGE_IMAGE_OPTIMAL = 5,
} vkm_range_kind;

#define VKM_RANGE_KIND_COUNT 6

/*
 * True when two allocated ranges of these kinds must not share a granularity page
 * (offset / bufferImageGranularity), the rule of the Vulkan spec ("linear" and
 * "non-linear" resources) with unknown kinds treated as anything, as VMA treats them:
 *   - FREE never conflicts;
 *   - UNKNOWN conflicts with every kind, UNKNOWN included (two unknown ranges may become
 *     a buffer and an optimal image);
 *   - IMAGE_UNKNOWN conflicts with every kind, IMAGE_UNKNOWN included (linear or optimal);
 *   - IMAGE_OPTIMAL conflicts with BUFFER and IMAGE_LINEAR, not with itself;
 *   - BUFFER and IMAGE_LINEAR (both linear) never conflict.
 * So a page holding an UNKNOWN or IMAGE_UNKNOWN range holds nothing else, and among the
 * other kinds "does not conflict" is an equivalence with classes {BUFFER, IMAGE_LINEAR}
 * and {IMAGE_OPTIMAL}. The range allocators rely on that: when every pair of allocated
 * neighbours on a page agrees, checking a new range against its nearest allocated
 * neighbour checks it against the whole page.
 */
static inline bool
vkm_range_kinds_conflict(vkm_range_kind a, vkm_range_kind b)
{
    if (a == VKM_RANGE_FREE || b == VKM_RANGE_FREE)
        return false;
    if (a == VKM_RANGE_UNKNOWN || b == VKM_RANGE_UNKNOWN || a == VKM_RANGE_IMAGE_UNKNOWN ||
        b == VKM_RANGE_IMAGE_UNKNOWN)
        return true;
    if (a == b)
        return false;
    bool a_linear = a == VKM_RANGE_BUFFER || a == VKM_RANGE_IMAGE_LINEAR;
    bool b_linear = b == VKM_RANGE_BUFFER || b == VKM_RANGE_IMAGE_LINEAR;
    return !(a_linear && b_linear);
}

/* Whether a range of this kind must have granularity pages of its own (it conflicts with
 * its own kind): slots of one size class cut from a run need whole pages each. */
static inline bool
vkm_range_kind_needs_own_pages(vkm_range_kind k)
{
    return k == VKM_RANGE_UNKNOWN || k == VKM_RANGE_IMAGE_UNKNOWN;
}

/* Placement policy, mirroring VMA's allocation strategy bits. */
typedef enum vkm_range_strategy {
    VKM_RANGE_STRATEGY_DEFAULT = 0,    /* good fit, O(1) unless nearly full */
    VKM_RANGE_STRATEGY_MIN_MEMORY = 1, /* best fit within the smallest class that fits */
    VKM_RANGE_STRATEGY_MIN_TIME = 2,   /* first guaranteed fit */
    VKM_RANGE_STRATEGY_MIN_OFFSET = 3, /* lowest offset that fits (defragmentation), O(n) */
} vkm_range_strategy;

typedef struct vkm_range_request {
    uint64_t size;       /* > 0 */
    uint64_t alignment;  /* power of two, >= 1 */
    vkm_range_kind kind; /* not VKM_RANGE_FREE */
    vkm_range_strategy strategy;
    void *user; /* stored with the range, returned by <allocator>_user() */
    bool upper; /* linear.h only: take the range from the top (double stack); tlsf.h
                 * answers NO_SPACE, as VMA allows this only with the linear algorithm */
} vkm_range_request;

typedef enum vkm_range_status {
    VKM_RANGE_OK = 0,
    VKM_RANGE_NO_SPACE = 1,       /* no free range can hold the request */
    VKM_RANGE_NO_HOST_MEMORY = 2, /* metadata could not grow; nothing changed */
} vkm_range_status;

/*
 * One range allocator's ranges. Identities:
 *   alloc_bytes + free_bytes == capacity        (padding and slack count as free)
 *   alloc_bytes == sum of the requested sizes of the live ranges
 *   free_count  == number of maximal free ranges (adjacent free bytes form one range)
 * alloc_min/free_min are UINT64_MAX and alloc_max/free_max 0 when the count is 0.
 */
typedef struct vkm_range_stats {
    uint32_t alloc_count, free_count;
    uint64_t alloc_bytes, free_bytes;
    uint64_t alloc_min, alloc_max, free_min, free_max;
} vkm_range_stats;

/* Called once per range in ascending offset order; `kind` is VKM_RANGE_FREE and `user`
 * NULL for free ranges. The callback must not modify the allocator. */
typedef void (*vkm_range_visit_fn)(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind,
                                   void *user);

#endif /* VKM_RANGE_H */
