/* SPDX-License-Identifier: MIT */
/*
 * block.h - one VkDeviceMemory sub-allocated by a range allocator (layer L2).
 *
 * A block owns its VkDeviceMemory, the range-allocator metadata of its ranges (TLSF, or
 * the linear allocator in a VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT pool), and the mapping of
 * the whole memory object (mapped once, reference-counted: Vulkan forbids mapping one
 * VkDeviceMemory twice, so every allocation in the block shares one host pointer).
 *
 * Mapping hysteresis: the memory is mapped on the first reference and unmapped on the
 * last, as VMA documents, until the block has gone through VKM_BLOCK_REMAP_LIMIT such
 * unmap/map cycles; from then on it keeps a mapping of its own (`map_pinned`) until it
 * is released. VMA does the same kind of thing (VMA_MAPPING_HYSTERESIS_ENABLED): a
 * persistently mapped allocation created and destroyed in a loop must not cost a
 * vkMapMemory and a vkUnmapMemory each time. With thread caches it matters more: each
 * thread's runs land in their own parts of blocks, so a block's last mapped allocation
 * comes and goes often (bench stream: hundreds of cycles a second; on NVIDIA's driver,
 * whose calls serialise on its own lock, 16 threads fell to 2.5 ms per resource).
 *
 * Who touches what:
 *   memory, size, memory_type, id, list   immutable after creation
 *   tlsf/linear (which one: immutable)    under `lock`
 *   dead                                  under `lock`
 *   xfit                                  written under `lock` after every change of the
 *                                         ranges, read by anyone (a hint, see below)
 *   map_count, map_cycles, map_pinned     under `map_lock`
 *   xmapped                               written under `map_lock`, read by anyone (exact
 *                                         while the reader holds a map reference)
 * A block is created and released only by its block list, under the list's growth lock.
 * A released block is marked dead under its lock before it leaves the published block
 * array, so a thread that found it in an older array skips it; the struct itself is
 * retired through the allocator's epoch and freed after every such reader is gone.
 * It knows nothing about VmaAllocation objects beyond the user pointer stored with a
 * range.
 */
#ifndef VKM_BLOCK_H
#define VKM_BLOCK_H

#include "common.h"
#include "lock.h"
#include "atomics.h"
#include "epoch.h"
#include "tlsf.h"
#include "linear.h"

typedef struct vkm_block_list vkm_block_list;

/* Unmap/map cycles after which a block stays mapped (see above). */
#define VKM_BLOCK_REMAP_LIMIT 4u

typedef struct vkm_block {
    VkDeviceMemory memory;    /* immutable */
    VkDeviceSize size;        /* immutable */
    uint32_t memory_type;     /* immutable */
    uint32_t id;              /* immutable; unique within its list */
    vkm_block_list *list;     /* immutable */
    const vkm_host_alloc *ha; /* immutable; what the struct is freed with */

    vkm_spinlock lock;  /* guards tlsf, linear, dead (lock.h: held for one range operation) */
    vkm_tlsf *tlsf;     /* under lock; NULL in a linear block */
    vkm_linear *linear; /* under lock; NULL in a TLSF block */
    bool dead;          /* under lock: released, no allocation may start here */

    vkm_mutex map_lock;     /* guards map_count, map_cycles, map_pinned */
    uint32_t map_count;     /* under map_lock: references of allocations (MapRefCount) */
    uint32_t map_cycles;    /* under map_lock: unmaps of the memory so far */
    bool map_pinned;        /* under map_lock: the block holds a mapping of its own */
    vkm_atomic_ptr xmapped; /* see above */

    vkm_epoch_entry retire; /* epoch retirement of the struct */

    /* Upper bound on the largest free range (vkm_tlsf_largest_free_bound), republished
     * under `lock` by every change of the ranges. Threads looking for room read it
     * without the lock and skip a block that cannot fit their request: a failed attempt
     * costs a lock round trip, whose line every thread in the list fights over. On a line
     * of its own, so reading it does not take the lock's line away from its holder. A
     * reader may see a value one change old; the growth path, which must not make a
     * block while another has room, reads the ranges under the locks instead. */
    _Alignas(VKM_CACHE_LINE) vkm_atomic_u64 xfit;
} vkm_block;

/* Wraps an already allocated VkDeviceMemory; `linear` picks the linear algorithm for its
 * ranges instead of TLSF. Only host memory can fail. */
VkResult vkm_block_create(const vkm_host_alloc *ha, vkm_block_list *list, VkDeviceMemory memory,
                          VkDeviceSize size, uint32_t memory_type, uint32_t id,
                          VkDeviceSize granularity, bool linear, vkm_block **out);
/* Frees the metadata; the caller has already unmapped/freed the VkDeviceMemory. */
void vkm_block_destroy(const vkm_host_alloc *ha, vkm_block *b);
/* vkm_block_destroy once every epoch section open now has ended. */
void vkm_block_retire(vkm_block *b, vkm_epoch_record *rec);

/* Adds `count` references to the block mapping, mapping it on the first; *out_ptr
 * receives the block's base pointer (may be NULL). On failure nothing changes. */
VkResult vkm_block_map(vkm_block *b, VkDevice device, const VmaVulkanFunctions *vk, uint32_t count,
                       void **out_ptr);
/* Drops `count` references, unmapping on the last. */
void vkm_block_unmap(vkm_block *b, VkDevice device, const VmaVulkanFunctions *vk, uint32_t count);

/* Base pointer of the mapping or NULL; exact only while the caller holds a reference. */
static inline void *
vkm_block_mapped_ptr(vkm_block *b)
{
    /* acquire: pairs with the release store in vkm_block_map, so the pointer's target
     * mapping is established before a reader uses it */
    return vkm_atomic_load_ptr_acquire(&b->xmapped);
}

/*
 * The block's ranges, whichever algorithm holds them; all under the block's lock. Runs of
 * the thread caches exist only in TLSF blocks (linear pools never use the caches), so
 * their code keeps calling tlsf.h directly.
 */

/* Under the lock, after a change of the ranges: republishes xfit (stored only when it
 * moved, so an unchanged bound costs readers nothing). */
static inline void
vkm_block_publish_fit(vkm_block *b)
{
    const uint64_t fit =
        b->linear ? vkm_linear_largest_free_bound(b->linear) : vkm_tlsf_largest_free_bound(b->tlsf);
    if (vkm_atomic_load_u64_relaxed(&b->xfit) != fit)
        vkm_atomic_store_u64_relaxed(&b->xfit, fit);
}

/* Anyone, without the lock: false when the block surely has no room for `size` bytes
 * (as of its last change, see xfit). */
static inline bool
vkm_block_may_fit(const vkm_block *b, uint64_t size)
{
    return size <= vkm_atomic_load_u64_relaxed((vkm_atomic_u64 *)&b->xfit);
}

static inline vkm_range_status
vkm_block_range_alloc(vkm_block *b, const vkm_range_request *req, uint64_t *out_offset)
{
    const vkm_range_status st = b->linear ? vkm_linear_alloc(b->linear, req, out_offset)
                                          : vkm_tlsf_alloc(b->tlsf, req, out_offset);
    if (st == VKM_RANGE_OK)
        vkm_block_publish_fit(b);
    return st;
}

static inline void
vkm_block_range_free(vkm_block *b, uint64_t offset)
{
    if (b->linear)
        vkm_linear_free(b->linear, offset);
    else
        vkm_tlsf_free(b->tlsf, offset);
    vkm_block_publish_fit(b);
}

static inline bool
vkm_block_range_is_empty(const vkm_block *b)
{
    return b->linear ? vkm_linear_is_empty(b->linear) : vkm_tlsf_is_empty(b->tlsf);
}

static inline uint32_t
vkm_block_range_alloc_count(const vkm_block *b)
{
    return b->linear ? vkm_linear_alloc_count(b->linear) : vkm_tlsf_alloc_count(b->tlsf);
}

/* Every live range and maximal free range in ascending offset order (range.h). */
static inline void
vkm_block_range_visit(const vkm_block *b, vkm_range_visit_fn fn, void *ctx)
{
    if (b->linear)
        vkm_linear_visit(b->linear, fn, ctx);
    else
        vkm_tlsf_visit(b->tlsf, fn, ctx);
}

#endif /* VKM_BLOCK_H */
