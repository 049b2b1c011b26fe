/* SPDX-License-Identifier: MIT */
/*
 * block_list.h - the blocks of one memory type or one custom pool (layer L2/L3 seam).
 *
 * Default pools (one per memory type) and custom pools are the same structure with
 * different parameters (issue: "default pools and custom pools are the same block-list
 * structure"). A list owns its blocks; allocations hold a pointer to their block.
 *
 * Locking (design.md §5):
 *   xarray       the blocks, an immutable array published copy-on-write; readers load it
 *                inside an epoch section and scan it without any lock (allocation,
 *                statistics); a replaced array is retired through the epoch
 *   grow_lock    adds or releases a block (and publishes the new array); vkAllocateMemory
 *                and vkFreeMemory of blocks happen under it, as the device-memory
 *                callbacks expect; never held while waiting for another list's lock
 *   block->lock  the block's ranges; allocation try-locks the blocks first so threads
 *                spread across blocks instead of queueing on one; a linear list only
 *                ever uses its newest block (VMA's placement) and waits for its lock
 * Order: grow_lock -> block->lock -> block->map_lock.
 * With `locking` false (EXTERNALLY_SYNCHRONIZED: the caller serialises every call) the
 * block locks are skipped.
 *
 * A list hands out ranges: whole allocations on the shared path, and runs for the thread
 * caches (tcache.c). It stores the caller's `user` pointer with each range.
 *
 *   xempty_blocks = number of blocks that hold no range (maintained under the
 *                   block lock of the block that changes state)
 */
#ifndef VKM_BLOCK_LIST_H
#define VKM_BLOCK_LIST_H

#include "allocator.h"
#include "block.h"
#include "epoch.h"
#include "stats.h"
#include "thread.h"

typedef struct vkm_block_list_params {
    uint32_t memory_type;
    VkDeviceSize preferred_block_size;
    bool explicit_block_size; /* custom pool with blockSize != 0: never smaller blocks */
    size_t min_block_count;
    size_t max_block_count; /* SIZE_MAX: unlimited */
    VkDeviceSize min_alignment;
    float priority;
    const void *memory_allocate_next;
    VmaPool pool;            /* NULL for a default pool */
    bool ignore_granularity; /* VMA_POOL_CREATE_IGNORE_BUFFER_IMAGE_GRANULARITY_BIT */
    /* VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT: linear blocks; only the newest is tried */
    bool linear;
    bool locking; /* false: the caller serialises every call */
} vkm_block_list_params;

/* The published block array. Immutable once published. */
typedef struct vkm_block_array {
    size_t count;
    vkm_epoch_entry retire;
    const vkm_host_alloc *ha;
    vkm_block *blocks[];
} vkm_block_array;

/* One range request. */
typedef struct vkm_block_list_request {
    VkDeviceSize size;
    VkDeviceSize alignment; /* before the list's min_alignment */
    vkm_range_kind kind;
    /* strategy, NEVER_ALLOCATE, WITHIN_BUDGET, HOST_ACCESS, UPPER_ADDRESS (linear lists) */
    VmaAllocationCreateFlags flags;
    void *user; /* stored with the range */
} vkm_block_list_request;

struct vkm_block_list {
    VmaAllocator allocator;   /* immutable */
    vkm_block_list_params p;  /* immutable */
    VkDeviceSize granularity; /* immutable: bufferImageGranularity */

    uint32_t id;     /* counter id (tcache_count.c), UINT32_MAX: none */
    uint64_t serial; /* tcache_count.c: never reused by another list; 0: no id, not cached */

    vkm_atomic_ptr xarray; /* vkm_block_array *, see above */
    vkm_mutex grow_lock;
    uint32_t next_block_id;       /* under grow_lock */
    vkm_atomic_u32 xempty_blocks; /* see above */
    vkm_atomic_u32 xgrown;        /* 1 once a block of the preferred size was made */
    vkm_atomic_u64 xlock_waits;   /* times an allocation had to wait for a block lock */
    /* vkm_thread_coarse_ns before which no allocation holds other threads' caches to
     * make room in the list (allocator.c, alloc_block_range) */
    vkm_atomic_u64 xhold_after;
    /* allocation counters of threads without per-thread ones (tcache_count.c) and of exited
     * threads, any thread, atomic */
    vkm_atomic_u64 xshared_count;
    vkm_atomic_u64 xshared_bytes;
    /* frees that have begun and not yet made their last access to the list; destruction
     * waits for 0, so "statistics say empty, destroy the pool now" is safe (VMA #451) */
    vkm_atomic_u32 xfrees_in_flight;
};

VkResult vkm_block_list_create(VmaAllocator a, const vkm_block_list_params *p,
                               vkm_block_list **out);
/* Frees every block. Live allocations at this point are a caller bug (leaked); with
 * `report` each block's ranges are reported as such (pools count them themselves, since
 * their blocks may hold other threads' runs: vkm_tcache_forget_list). */
void vkm_block_list_destroy(vkm_block_list *l, bool report);

/* True once the list has made a block of its preferred size: its blocks no longer grow,
 * so a range that finds no room now will not find it in a larger next block either. A
 * hint (relaxed). */
static inline bool
vkm_block_list_grown(const vkm_block_list *l)
{
    return vkm_atomic_load_u32_relaxed(&l->xgrown) != 0;
}

/* Whether the caller may hold other threads' caches to make room in the list instead of
 * growing it (tcache.h, "Holding"): once per VKM_BLOCK_LIST_HOLD_NS per list. A busy
 * thread between two allocations reads as idle, and taking its runs makes it build new
 * ones: without the limit, a list whose owners keep emptying and refilling their runs
 * (producers whose slots consumers free) would be held again and again instead of
 * growing once (bench handoff at 16 threads lost half its throughput). */
#define VKM_BLOCK_LIST_HOLD_NS (100u * 1000u * 1000u)
static inline bool
vkm_block_list_take_hold_turn(vkm_block_list *l)
{
    const uint64_t now = vkm_thread_coarse_ns();
    uint64_t after = vkm_atomic_load_u64_relaxed(&l->xhold_after);
    /* one winner per turn; a spurious failure only skips this one */
    return now >= after &&
           vkm_atomic_cas_u64_relaxed(&l->xhold_after, &after, now + VKM_BLOCK_LIST_HOLD_NS);
}

/* True once an allocation had to wait for one of the list's block locks. A hint. */
static inline bool
vkm_block_list_contended(const vkm_block_list *l)
{
    return vkm_atomic_load_u64_relaxed(&l->xlock_waits) != 0;
}

/* Makes p.min_block_count blocks of the preferred size (pool creation). */
VkResult vkm_block_list_create_min_blocks(vkm_block_list *l);

/* One range from this list: existing blocks first, then a new block when allowed.
 * Returns VK_SUCCESS with *out_block / *out_offset, VK_ERROR_OUT_OF_DEVICE_MEMORY (no
 * room and no growth), a vkAllocateMemory error, or VK_ERROR_OUT_OF_HOST_MEMORY.
 * `rec` is the calling thread's epoch record. */
VkResult vkm_block_list_alloc_range(vkm_block_list *l, vkm_epoch_record *rec,
                                    const vkm_block_list_request *req, vkm_block **out_block,
                                    VkDeviceSize *out_offset);
/* Returns a range; may release the block when it empties (VMA's policy: one empty block
 * is kept unless over budget). */
void vkm_block_list_free_range(vkm_block_list *l, vkm_epoch_record *rec, vkm_block *b,
                               VkDeviceSize offset);

/* Defragmentation: one range in block `b` of this list, which the caller keeps alive
 * (inside an epoch section), never a new block. VK_SUCCESS, or
 * VK_ERROR_OUT_OF_DEVICE_MEMORY (no room, or the block was released) /
 * VK_ERROR_OUT_OF_HOST_MEMORY. */
VkResult vkm_block_list_alloc_in_block(vkm_block_list *l, vkm_block *b,
                                       const vkm_block_list_request *req, VkDeviceSize *out_offset);

/* Counts the blocks the calling thread releases, in any list, while it is installed:
 * defragmentation reports the blocks its own frees emptied, whatever path released them
 * (a range free, a run going back). One per thread; NULL uninstalls. */
typedef struct vkm_block_list_tally {
    uint32_t blocks;
    VkDeviceSize bytes;
} vkm_block_list_tally;
void vkm_block_list_set_tally(vkm_block_list_tally *t);

/* The effective alignment of a request in this list. */
static inline VkDeviceSize
vkm_block_list_alignment(const vkm_block_list *l, VkDeviceSize alignment)
{
    return alignment > l->p.min_alignment ? alignment : l->p.min_alignment;
}

/* Brackets a free that touches the list (or its pool) after the allocation stopped being
 * counted. vkm_block_list_destroy waits until every bracket has closed. */
static inline void
vkm_block_list_free_begin(vkm_block_list *l)
{
    vkm_atomic_fetch_add_u32_relaxed(&l->xfrees_in_flight, 1);
}

/* Waits until every bracket opened so far has closed. */
void vkm_block_list_wait_frees(vkm_block_list *l);

static inline void
vkm_block_list_free_end(vkm_block_list *l)
{
    /* release: pairs with the acquire load in vkm_block_list_destroy; this must be the
     * free's last access to `l` */
    vkm_atomic_fetch_sub_u32_acq_rel(&l->xfrees_in_flight, 1);
}

/* Detailed statistics of every block: each block's ranges go through a tiler (stats.h)
 * in offset order, so adjacent free space counts as one unused range. A range whose user
 * pointer `expand` recognises (returns true) was fed to the tiler by `expand` (runs:
 * their slots); others are one allocation of their size. */
typedef bool vkm_block_list_expand_fn(void *user, vkm_stats_tiler *t);
void vkm_block_list_add_stats(vkm_block_list *l, vkm_epoch_record *rec,
                              vkm_block_list_expand_fn *expand, VmaDetailedStatistics *d);
/* Calls fn for every block of the list under the block's lock, inside an epoch section:
 * walks that need the block's ranges to hold still (corruption checks). */
typedef void vkm_block_list_block_fn(vkm_block *b, void *ctx);
void vkm_block_list_for_each_block(vkm_block_list *l, vkm_epoch_record *rec,
                                   vkm_block_list_block_fn *fn, void *ctx);
/* Contended block-lock acquisitions made by the calling thread (all lists). */
uint64_t vkm_block_list_thread_lock_waits(void);

/* blockCount and blockBytes only (allocations are counted per thread, stats.c). */
void vkm_block_list_add_block_stats(const vkm_block_list *l, vkm_epoch_record *rec,
                                    VmaStatistics *s);
/* Holds the list's blocks still (no block made or released) until
 * vkm_block_list_release_blocks(l, <the result>): takes grow_lock and returns true. Inside
 * a device-memory callback it returns false without waiting: at once for the list whose
 * growth called back (its blocks hold still already), when the lock is busy for any
 * other list (the blocks may then change meanwhile). */
bool vkm_block_list_hold_blocks(vkm_block_list *l);
void vkm_block_list_release_blocks(vkm_block_list *l, bool held);
/* vkm_block_list_add_block_stats while the blocks are held still. */
void vkm_block_list_add_block_stats_held(const vkm_block_list *l, VmaStatistics *s);

#endif /* VKM_BLOCK_LIST_H */
