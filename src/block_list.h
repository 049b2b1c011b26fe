/* SPDX-License-Identifier: MIT */
/*
 * block_list.h - the blocks of one memory type or one custom pool (layer L2/L3 seam).
 *
 * Default pools (one per memory type) and custom pools are the same structure with
 * different parameters (issue: "default pools and custom pools are the same block-list
 * structure"). A list owns its blocks; allocations hold a pointer to their block.
 *
 * Locking (design.md §5):
 *   lock (rwlock) read   allocate in / free to existing blocks, statistics
 *   lock (rwlock) write  add or remove a block (growth); vkAllocateMemory/vkFreeMemory of
 *                        blocks happen under it, as the device-memory callbacks expect
 *   block->lock          the block's TLSF, taken under either mode of `lock`; allocation
 *                        try-locks blocks first so threads spread across blocks instead
 *                        of queueing on one
 * The next issue replaces the read side with an epoch-published block array.
 *
 *   xempty_blocks = number of blocks whose TLSF holds no range (maintained under the
 *                   block lock of the block that changes state)
 */
#ifndef VKM_BLOCK_LIST_H
#define VKM_BLOCK_LIST_H

#include "allocator.h"
#include "block.h"

typedef struct vkm_block_list_params {
    uint32_t memory_type;
    VkDeviceSize preferred_block_size;
    bool explicit_block_size;   /* custom pool with blockSize != 0: never smaller blocks */
    size_t min_block_count;
    size_t max_block_count;     /* SIZE_MAX: unlimited */
    VkDeviceSize min_alignment;
    float priority;
    const void *memory_allocate_next;
    VmaPool pool;               /* NULL for a default pool */
    bool ignore_granularity;    /* VMA_POOL_CREATE_IGNORE_BUFFER_IMAGE_GRANULARITY_BIT */
} vkm_block_list_params;

struct vkm_block_list {
    VmaAllocator allocator;       /* immutable */
    vkm_block_list_params p;      /* immutable */
    VkDeviceSize granularity;     /* immutable: bufferImageGranularity */

    vkm_rwlock lock;
    vkm_block **blocks;           /* under lock */
    size_t block_count;           /* under lock */
    size_t block_cap;             /* under write lock */
    uint32_t next_block_id;       /* under write lock */
    vkm_atomic_u32 xempty_blocks; /* see above */
    /* frees that have begun and not yet made their last access to the list; destruction
     * waits for 0, so "statistics say empty, destroy the pool now" is safe (VMA #451) */
    vkm_atomic_u32 xfrees_in_flight;
};

VkResult vkm_block_list_create(VmaAllocator a, const vkm_block_list_params *p,
                               vkm_block_list **out);
/* Frees every block. Live allocations at this point are a caller bug (leaked). */
void vkm_block_list_destroy(vkm_block_list *l);

/* Makes p.min_block_count blocks of the preferred size (pool creation). */
VkResult vkm_block_list_create_min_blocks(vkm_block_list *l);

/* One allocation from this list: existing blocks first, then a new block when allowed.
 * `alloc` is a fresh VmaAllocation the caller made; on success it is filled in. */
VkResult vkm_block_list_alloc(vkm_block_list *l, const vkm_alloc_request *req,
                              VmaAllocation alloc);
/* Returns the allocation's range; may release an empty block. Does not delete `alloc`. */
void vkm_block_list_free(vkm_block_list *l, VmaAllocation alloc);

/* Brackets a free that touches the list (or its pool) after the allocation stopped being
 * counted. vkm_block_list_destroy waits until every bracket has closed. */
static inline void
vkm_block_list_free_begin(vkm_block_list *l)
{
    vkm_atomic_fetch_add_u32_relaxed(&l->xfrees_in_flight, 1);
}

static inline void
vkm_block_list_free_end(vkm_block_list *l)
{
    /* release: pairs with the acquire load in vkm_block_list_destroy; this must be the
     * free's last access to `l` */
    vkm_atomic_fetch_sub_u32_acq_rel(&l->xfrees_in_flight, 1);
}

void vkm_block_list_add_stats(vkm_block_list *l, VmaDetailedStatistics *d);
void vkm_block_list_add_basic_stats(vkm_block_list *l, VmaStatistics *s);

#endif /* VKM_BLOCK_LIST_H */
