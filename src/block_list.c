/* SPDX-License-Identifier: MIT */
#include "block_list.h"
#include "debug.h"
#include "stats.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

/* Blocks start small and grow: 1/8, 1/4, 1/2 of the preferred size while they are the
 * largest so far and still at least twice the request (VMA's documented policy), and a
 * failed vkAllocateMemory is retried at half the size down to the same floor. */
#define NEW_BLOCK_SHRINK_STEPS 3u

/* Contended block-lock acquisitions of the calling thread, all allocators together. */
static _Thread_local uint64_t thread_lock_waits;

/* vkm_block_list_set_tally: the calling thread's block release counter, or NULL. */
static _Thread_local vkm_block_list_tally *thread_tally;

/* The list whose grow_lock the calling thread holds (the innermost: a device-memory
 * callback may allocate in another list), or NULL: statistics asked for from such a
 * callback find the blocks held still already and must not lock again. */
static _Thread_local const vkm_block_list *thread_growing;

/* Where a thread's scans of a block array start: threads numbered in the order they first
 * scan, so N threads over M blocks start at each block N/M times. A range a thread places
 * in its first block is usually freed by that thread too (churn, a loader's staging), so
 * each block's TLSF metadata moves between few cores. The record address the scan used to
 * be hashed from left blocks with three threads next to blocks with none: on 16 cores
 * churn failed 0.9 try-locks per placement against 0.8 now. */
static vkm_atomic_u32 next_home_number;
static _Thread_local uint32_t thread_home; /* 0: not numbered yet */

static inline size_t
thread_home_number(void)
{
    if (thread_home == 0)
        thread_home = vkm_atomic_fetch_add_u32_relaxed(&next_home_number, 1) + 1u;
    return thread_home;
}

static const vkm_block_list *
growth_lock(vkm_block_list *l)
{
    vkm_mutex_lock(&l->grow_lock);
    const vkm_block_list *outer = thread_growing;
    thread_growing = l;
    return outer;
}

static void
growth_unlock(vkm_block_list *l, const vkm_block_list *outer)
{
    thread_growing = outer;
    vkm_mutex_unlock(&l->grow_lock);
}

void
vkm_block_list_set_tally(vkm_block_list_tally *t)
{
    thread_tally = t;
}

uint64_t
vkm_block_list_thread_lock_waits(void)
{
    return thread_lock_waits;
}

static inline void
block_lock(vkm_block_list *l, vkm_block *b)
{
    if (!l->p.locking)
        return;
    if (!vkm_spin_trylock(&b->lock)) {
        thread_lock_waits++;
        vkm_atomic_fetch_add_u64_relaxed(&l->xlock_waits, 1);
        vkm_spin_lock(&b->lock);
    }
}

static inline bool
block_trylock(const vkm_block_list *l, vkm_block *b)
{
    return !l->p.locking || vkm_spin_trylock(&b->lock);
}

static inline void
block_unlock(const vkm_block_list *l, vkm_block *b)
{
    if (l->p.locking)
        vkm_spin_unlock(&b->lock);
}

static vkm_block_array *
array_of(const vkm_block_list *l)
{
    /* acquire: pairs with the release store in publish(), so the array's contents and
     * the blocks it points to are initialised before a reader scans them */
    return vkm_atomic_load_ptr_acquire(&l->xarray);
}

static vkm_block_array *
array_new(const vkm_host_alloc *ha, size_t count)
{
    vkm_block_array *arr = vkm_host_alloc_alloc(ha, sizeof(*arr) + count * sizeof(vkm_block *),
                                                _Alignof(vkm_block_array));
    if (arr != NULL) {
        arr->count = count;
        arr->ha = ha;
    }
    return arr;
}

static void
array_free(vkm_block_array *arr)
{
    if (arr != NULL)
        vkm_host_alloc_free(arr->ha, arr, sizeof(*arr) + arr->count * sizeof(vkm_block *));
}

static void
array_retired(vkm_epoch_entry *e)
{
    array_free(vkm_epoch_container(e, vkm_block_array, retire));
}

/* Under grow_lock: makes `arr` the list's array and retires the old one (directly when
 * there is no record: destruction and single-threaded setup). */
static void
publish(vkm_block_list *l, vkm_epoch_record *rec, vkm_block_array *arr)
{
    vkm_block_array *old = vkm_atomic_load_ptr_relaxed(&l->xarray);
    /* release: pairs with the acquire in array_of */
    vkm_atomic_store_ptr_release(&l->xarray, arr);
    if (old == NULL)
        return;
    if (rec != NULL)
        vkm_epoch_retire(rec, &old->retire, array_retired);
    else
        array_free(old);
}

VkResult
vkm_block_list_create(VmaAllocator a, const vkm_block_list_params *p, vkm_block_list **out)
{
    vkm_block_list *l = vkm_host_new(&a->ha, vkm_block_list);
    vkm_block_array *arr = array_new(&a->ha, 0);
    if (l == NULL || arr == NULL) {
        vkm_host_delete(&a->ha, vkm_block_list, l);
        array_free(arr);
        *out = NULL;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    l->allocator = a;
    l->p = *p;
    l->granularity = p->ignore_granularity ? 1 : a->pd_props.limits.bufferImageGranularity;
    if (l->granularity == 0)
        l->granularity = 1;
    vkm_mutex_init(&l->grow_lock);
    vkm_atomic_init_ptr(&l->xarray, arr);
    vkm_atomic_init_u32(&l->xempty_blocks, 0);
    vkm_atomic_init_u32(&l->xfrees_in_flight, 0);
    vkm_atomic_init_u64(&l->xlock_waits, 0);
    vkm_atomic_init_u64(&l->xhold_after, 0);
    vkm_atomic_init_u32(&l->xgrown, 0);
    vkm_atomic_init_u64(&l->xshared_count, 0);
    vkm_atomic_init_u64(&l->xshared_bytes, 0);
    l->id = UINT32_MAX;
    l->serial = 0;
    *out = l;
    return VK_SUCCESS;
}

/* Unmaps and frees a block's memory; the caller retires or destroys the struct. */
static void
release_memory(vkm_block_list *l, vkm_block *b)
{
    VmaAllocator a = l->allocator;
    if (b->map_count > 0 || b->map_pinned)
        a->funcs.vk.vkUnmapMemory(a->device, b->memory);
    vkm_allocator_free_device_memory(a, b->memory_type, b->size, b->memory);
}

void
vkm_block_list_wait_frees(vkm_block_list *l)
{
    /* acquire: pairs with the release in vkm_block_list_free_end */
    while (vkm_atomic_load_u32_acquire(&l->xfrees_in_flight) != 0)
        sched_yield();
}

void
vkm_block_list_destroy(vkm_block_list *l, bool report)
{
    if (l == NULL)
        return;
    VmaAllocator a = l->allocator;
    /* A free whose allocation no longer counts may still be leaving the list. */
    vkm_block_list_wait_frees(l);
    vkm_block_array *arr = array_of(l);
    for (size_t i = 0; i < arr->count; i++) {
        vkm_block *b = arr->blocks[i];
        uint32_t live = vkm_block_range_alloc_count(b);
        if (report && live != 0 && vkm_config_api_asserts)
            fprintf(stderr,
                    "vkmalloc: %u allocation(s) in memory type %u were not freed before "
                    "their %s was destroyed\n",
                    live, l->p.memory_type, l->p.pool ? "pool" : "allocator");
        release_memory(l, b);
        vkm_block_destroy(&a->ha, b);
    }
    array_free(arr);
    vkm_mutex_destroy(&l->grow_lock);
    vkm_host_delete(&a->ha, vkm_block_list, l);
}

/* Under grow_lock: vkAllocateMemory of `size`, a block around it, a new array with it. */
static VkResult
create_block(vkm_block_list *l, vkm_epoch_record *rec, VkDeviceSize size, vkm_block **out)
{
    VmaAllocator a = l->allocator;
    VkMemoryAllocateInfo info = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = l->p.memory_allocate_next,
        .allocationSize = size,
        .memoryTypeIndex = l->p.memory_type,
    };
    /* Any block may receive a buffer that needs a device address. */
    VkMemoryAllocateFlagsInfo flags_info = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
        .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT,
    };
    if (a->use_bda) {
        flags_info.pNext = info.pNext;
        info.pNext = &flags_info;
    }
    VkMemoryPriorityAllocateInfoEXT prio = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_PRIORITY_ALLOCATE_INFO_EXT,
        .priority = l->p.priority,
    };
    if (a->use_ext_memory_priority) {
        prio.pNext = info.pNext;
        info.pNext = &prio;
    }
    VkExportMemoryAllocateInfo export_info = {
        .sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
        .handleTypes = a->external_handle_types[l->p.memory_type],
    };
    if (export_info.handleTypes != 0) {
        export_info.pNext = info.pNext;
        info.pNext = &export_info;
    }

    vkm_block_array *old = array_of(l);
    vkm_block_array *arr = array_new(&a->ha, old->count + 1);
    if (arr == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    VkDeviceMemory mem = VK_NULL_HANDLE;
    VkResult res = vkm_allocator_alloc_device_memory(a, &info, &mem);
    if (res != VK_SUCCESS)
        goto fail_memory;
    vkm_block *b = NULL;
    res = vkm_block_create(&a->ha, l, mem, size, l->p.memory_type, l->next_block_id, l->granularity,
                           l->p.linear, &b);
    if (res != VK_SUCCESS)
        goto fail_block;
    memcpy(arr->blocks, old->blocks, old->count * sizeof(vkm_block *));
    arr->blocks[old->count] = b;
    l->next_block_id++;
    vkm_atomic_fetch_add_u32_relaxed(&l->xempty_blocks, 1);
    if (size >= l->p.preferred_block_size)
        vkm_atomic_store_u32_relaxed(&l->xgrown, 1);
    publish(l, rec, arr);
    *out = b;
    return VK_SUCCESS;

fail_block:
    vkm_allocator_free_device_memory(a, l->p.memory_type, size, mem);
fail_memory:
    array_free(arr);
    return res;
}

VkResult
vkm_block_list_create_min_blocks(vkm_block_list *l)
{
    VkResult res = VK_SUCCESS;
    const vkm_block_list *outer = growth_lock(l);
    while (array_of(l)->count < l->p.min_block_count) {
        vkm_block *b;
        res = create_block(l, NULL, l->p.preferred_block_size, &b);
        if (res != VK_SUCCESS)
            break;
    }
    growth_unlock(l, outer);
    return res;
}

static vkm_range_strategy
strategy_of(VmaAllocationCreateFlags flags)
{
    if (flags & VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT)
        return VKM_RANGE_STRATEGY_MIN_MEMORY;
    if (flags & VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT)
        return VKM_RANGE_STRATEGY_MIN_TIME;
    if (flags & VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT)
        return VKM_RANGE_STRATEGY_MIN_OFFSET;
    return VKM_RANGE_STRATEGY_DEFAULT;
}

/* Tries one block. `blocking` false: give up if the block is busy. Returns VK_SUCCESS,
 * VK_NOT_READY (busy), VK_ERROR_OUT_OF_DEVICE_MEMORY (no room, or released) or
 * VK_ERROR_OUT_OF_HOST_MEMORY. */
static VkResult
alloc_in_block(vkm_block_list *l, vkm_block *b, const vkm_block_list_request *req,
               VkDeviceSize alignment, bool blocking, VkDeviceSize *out_offset)
{
    if (blocking)
        block_lock(l, b);
    else if (!block_trylock(l, b))
        return VK_NOT_READY;
    if (b->dead) {
        block_unlock(l, b);
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    const bool was_empty = vkm_block_range_is_empty(b);
    vkm_range_request rr = {
        .size = req->size,
        .alignment = alignment,
        .kind = req->kind,
        .strategy = strategy_of(req->flags),
        .user = req->user,
        .upper = (req->flags & VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT) != 0,
    };
    uint64_t offset = VKM_NO_OFFSET;
    vkm_range_status st = vkm_block_range_alloc(b, &rr, &offset);
    if (st == VKM_RANGE_OK) {
        if (was_empty)
            vkm_atomic_fetch_sub_u32_relaxed(&l->xempty_blocks, 1);
        /* Under the lock: a run keeps its offset here (*out_offset is its
         * base), and a walk that finds it in the block under this lock reads it. */
        *out_offset = offset;
    }
    block_unlock(l, b);
    if (st == VKM_RANGE_NO_SPACE)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    if (st == VKM_RANGE_NO_HOST_MEMORY)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    return VK_SUCCESS;
}

/* One pass over an array. VMA's placement preference: allocations that may be mapped go
 * first to blocks that are already mapped, others first to blocks that are not, so few
 * blocks stay mapped; MIN_TIME scans newest (emptiest) first. Otherwise each thread
 * starts at its own block (`start`), so threads spread over the blocks' locks instead of
 * all trying the first one. With `hinted`, blocks whose published
 * bound (vkm_block_may_fit) says the request cannot fit are skipped without their lock:
 * in a list whose blocks are mostly full, most attempts used to be such failures (churn
 * on 8 threads: 3.6 failed attempts per placed range over 512 KiB). */
static VkResult
try_existing(vkm_block_list *l, const vkm_block_array *arr, const vkm_block_list_request *req,
             VkDeviceSize alignment, bool blocking, bool hinted, size_t start,
             vkm_block **out_block, VkDeviceSize *out_offset)
{
    VmaAllocator a = l->allocator;
    const size_t n = arr->count;
    const bool host_visible = vkm_memtype_is_host_visible(&a->mt, l->p.memory_type);
    const bool mappable = (req->flags & (VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                                         VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT)) != 0;
    const bool newest_first = (req->flags & VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT) != 0;
    VkResult worst = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    bool busy = false;

    /* The linear algorithm places a range only in the newest block, as VMA does: older
     * blocks are never revisited, so offsets follow VMA's exactly. One waiting attempt;
     * a busy block is simply waited for (the order of allocations is the caller's). */
    if (l->p.linear) {
        if (n == 0)
            return VK_ERROR_OUT_OF_DEVICE_MEMORY;
        VkResult r = alloc_in_block(l, arr->blocks[n - 1], req, alignment, true, out_offset);
        if (r == VK_SUCCESS)
            *out_block = arr->blocks[n - 1];
        return r;
    }

    for (uint32_t pass = 0; pass < (host_visible ? 2u : 1u); pass++) {
        for (size_t k = 0; k < n; k++) {
            vkm_block *b = arr->blocks[newest_first ? n - 1 - k : (start + k) % n];
            if (host_visible) {
                bool mapped = vkm_block_mapped_ptr(b) != NULL;
                if ((pass == 0) != (mapped == mappable))
                    continue;
            }
            if (hinted && !vkm_block_may_fit(b, req->size))
                continue;
            VkResult r = alloc_in_block(l, b, req, alignment, blocking, out_offset);
            if (r == VK_SUCCESS) {
                *out_block = b;
                return VK_SUCCESS;
            }
            if (r == VK_NOT_READY)
                busy = true;
            else if (r != VK_ERROR_OUT_OF_DEVICE_MEMORY)
                worst = r;
        }
    }
    return busy && worst == VK_ERROR_OUT_OF_DEVICE_MEMORY ? VK_NOT_READY : worst;
}

static VkDeviceSize
largest_block(const vkm_block_array *arr)
{
    VkDeviceSize m = 0;
    for (size_t i = 0; i < arr->count; i++)
        if (arr->blocks[i]->size > m)
            m = arr->blocks[i]->size;
    return m;
}

VkResult
vkm_block_list_alloc_range(vkm_block_list *l, vkm_epoch_record *rec,
                           const vkm_block_list_request *req, vkm_block **out_block,
                           VkDeviceSize *out_offset)
{
    VmaAllocator a = l->allocator;
    const VkDeviceSize alignment = vkm_block_list_alignment(l, req->alignment);
    /* Nothing larger than a block can ever fit. */
    if (req->size > l->p.preferred_block_size)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;

    /* 1. Existing blocks, no list lock: a try-lock pass, then a waiting pass. */
    const size_t start = thread_home_number();
    vkm_epoch_begin(rec);
    const vkm_block_array *arr = array_of(l);
    VkResult res = try_existing(l, arr, req, alignment, false, true, start, out_block, out_offset);
    if (res == VK_NOT_READY)
        res = try_existing(l, arr, req, alignment, true, true, start, out_block, out_offset);
    vkm_epoch_end(rec);
    if (res != VK_ERROR_OUT_OF_DEVICE_MEMORY)
        return res;
    if (req->flags & VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;

    /* 2. Growth under grow_lock (the array cannot change under it, so no section is
     *    needed). Another thread may have grown or freed meanwhile: look once more. */
    const uint32_t heap = vkm_allocator_heap_of(a, l->p.memory_type);
    VmaBudget budget;
    vkm_allocator_heap_budget(a, heap, &budget);
    const VkDeviceSize free_budget =
        budget.usage < budget.budget ? budget.budget - budget.usage : 0;
    const bool can_fall_back = !l->p.explicit_block_size;
    const bool within_budget = (req->flags & VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT) != 0;
    /* A block is made only if it fits the budget, unless nothing else could serve the
     * request (explicit-size pool) and the caller did not ask to stay within budget. */
    const bool must_fit_budget = can_fall_back || within_budget;

    const vkm_block_list *outer = growth_lock(l);
    arr = array_of(l);
    /* Unhinted: a bound read without the lock may be one change old, and a block made
     * while another had room would stay. */
    res = try_existing(l, arr, req, alignment, true, false, start, out_block, out_offset);
    if (res != VK_ERROR_OUT_OF_DEVICE_MEMORY)
        goto out;
    if (arr->count >= l->p.max_block_count || (must_fit_budget && free_budget < req->size)) {
        res = VK_ERROR_OUT_OF_DEVICE_MEMORY;
        goto out;
    }

    VkDeviceSize size = l->p.preferred_block_size;
    uint32_t shrinks = 0;
    if (!l->p.explicit_block_size) {
        const VkDeviceSize largest = largest_block(arr);
        while (shrinks < NEW_BLOCK_SHRINK_STEPS && size / 2 > largest &&
               size / 2 >= req->size * 2) {
            size /= 2;
            shrinks++;
        }
    }
    vkm_block *b = NULL;
    res = (!must_fit_budget || size <= free_budget) ? create_block(l, rec, size, &b)
                                                    : VK_ERROR_OUT_OF_DEVICE_MEMORY;
    while (res < 0 && res != VK_ERROR_OUT_OF_HOST_MEMORY && !l->p.explicit_block_size &&
           shrinks < NEW_BLOCK_SHRINK_STEPS && size / 2 >= req->size) {
        size /= 2;
        shrinks++;
        res = (!must_fit_budget || size <= free_budget) ? create_block(l, rec, size, &b)
                                                        : VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    if (res == VK_SUCCESS) {
        res = alloc_in_block(l, b, req, alignment, true, out_offset);
        vkm_assert(res != VK_NOT_READY);
        if (res == VK_SUCCESS)
            *out_block = b;
    }
out:
    growth_unlock(l, outer);
    return res;
}

VkResult
vkm_block_list_alloc_in_block(vkm_block_list *l, vkm_block *b, const vkm_block_list_request *req,
                              VkDeviceSize *out_offset)
{
    return alloc_in_block(l, b, req, vkm_block_list_alignment(l, req->alignment), true, out_offset);
}

/* Under grow_lock: releases empty blocks beyond `keep`, never below min_block_count,
 * newest first (VMA's ordering holds them emptiest). */
static void
release_empty_blocks(vkm_block_list *l, vkm_epoch_record *rec, uint32_t keep)
{
    VmaAllocator a = l->allocator;
    vkm_block_array *arr = array_of(l);
    /* The counter is a hint (each block's state is read again under its lock). */
    uint32_t empty = vkm_atomic_load_u32_relaxed(&l->xempty_blocks);
    if (empty <= keep)
        return;
    vkm_block *victims[8];
    size_t nv = 0;
    for (size_t i = arr->count; i-- > 0 && empty > keep && nv < VKM_ARRAY_LEN(victims);) {
        if (arr->count - nv <= l->p.min_block_count)
            break;
        vkm_block *b = arr->blocks[i];
        block_lock(l, b);
        if (vkm_block_range_is_empty(b)) {
            b->dead = true; /* no allocation starts here from now on */
            victims[nv++] = b;
            empty--;
        }
        block_unlock(l, b);
    }
    if (nv == 0)
        return;
    vkm_block_array *next = array_new(&a->ha, arr->count - nv);
    if (next == NULL) {
        /* Keep them: revive the victims, a later free retries. */
        for (size_t v = 0; v < nv; v++) {
            block_lock(l, victims[v]);
            victims[v]->dead = false;
            block_unlock(l, victims[v]);
        }
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < arr->count; i++)
        if (!arr->blocks[i]->dead)
            next->blocks[n++] = arr->blocks[i];
    vkm_assert(n == next->count);
    vkm_atomic_fetch_sub_u32_relaxed(&l->xempty_blocks, (uint32_t)nv);
    publish(l, rec, next);
    for (size_t v = 0; v < nv; v++) {
        if (thread_tally != NULL) {
            thread_tally->blocks++;
            thread_tally->bytes += victims[v]->size;
        }
        release_memory(l, victims[v]);
        vkm_block_retire(victims[v], rec);
    }
}

void
vkm_block_list_free_range(vkm_block_list *l, vkm_epoch_record *rec, vkm_block *b,
                          VkDeviceSize offset)
{
    VmaAllocator a = l->allocator;
    block_lock(l, b);
    vkm_block_range_free(b, offset);
    const bool now_empty = vkm_block_range_is_empty(b);
    if (now_empty)
        vkm_atomic_fetch_add_u32_relaxed(&l->xempty_blocks, 1);
    block_unlock(l, b);
    const uint32_t empty = vkm_atomic_load_u32_relaxed(&l->xempty_blocks);

    /* Keep one empty block as hysteresis against allocating and freeing a whole block
     * back and forth (VMA's policy), none when over budget. VMA also drops a kept empty
     * block when a free lands in another block (an optional heuristic there); we do not:
     * thread caches return runs to blocks all the time, and that rule made a
     * list of two blocks release and re-create its second one dozens of times a second
     * (bench stream: 50 vkAllocateMemory calls in 0.5 s at 2 threads, against 2). */
    if (empty == 0)
        return;
    /* lock-free: this runs on every free that empties a block */
    const bool over_budget =
        vkm_budget_is_over(&a->budget, vkm_allocator_heap_of(a, l->p.memory_type));
    const uint32_t keep = !over_budget ? 1u : 0u;
    if (empty > keep) {
        const vkm_block_list *outer = growth_lock(l);
        release_empty_blocks(l, rec, keep);
        growth_unlock(l, outer);
    }
}

/* Statistics walk of one block (under its lock). */
typedef struct stats_walk {
    vkm_stats_tiler tiler;
    vkm_block_list_expand_fn *expand;
} stats_walk;

static void
visit_range(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    stats_walk *w = ctx;
    if (kind == VKM_RANGE_FREE)
        vkm_stats_tiler_free(&w->tiler, offset, size);
    else if (w->expand == NULL || !w->expand(user, &w->tiler))
        vkm_stats_tiler_alloc(&w->tiler, offset, size, kind, NULL);
}

void
vkm_block_list_add_stats(vkm_block_list *l, vkm_epoch_record *rec, vkm_block_list_expand_fn *expand,
                         VmaDetailedStatistics *d)
{
    stats_walk w = {.expand = expand};
    vkm_epoch_begin(rec);
    const vkm_block_array *arr = array_of(l);
    for (size_t i = 0; i < arr->count; i++) {
        vkm_block *b = arr->blocks[i];
        block_lock(l, b);
        if (!b->dead) {
            d->statistics.blockCount++;
            d->statistics.blockBytes += b->size;
            /* debug margin after every allocation (corruption.h) */
            vkm_stats_tiler_init(&w.tiler, l->allocator->corruption.margin,
                                 vkm_stats_tile_into_detailed, d);
            vkm_block_range_visit(b, visit_range, &w);
            vkm_stats_tiler_finish(&w.tiler);
        }
        block_unlock(l, b);
    }
    vkm_epoch_end(rec);
}

void
vkm_block_list_for_each_block(vkm_block_list *l, vkm_epoch_record *rec, vkm_block_list_block_fn *fn,
                              void *ctx)
{
    vkm_epoch_begin(rec);
    const vkm_block_array *arr = array_of(l);
    for (size_t i = 0; i < arr->count; i++) {
        vkm_block *b = arr->blocks[i];
        block_lock(l, b);
        if (!b->dead)
            fn(b, ctx);
        block_unlock(l, b);
    }
    vkm_epoch_end(rec);
}

bool
vkm_block_list_hold_blocks(vkm_block_list *l)
{
    if (thread_growing == l)
        return false;
    /* Inside another list's growth (its device-memory callback): never wait for a second
     * growth lock, which that list's own growth may need in the other order. */
    if (thread_growing != NULL)
        return vkm_mutex_trylock(&l->grow_lock);
    vkm_mutex_lock(&l->grow_lock);
    return true;
}

void
vkm_block_list_release_blocks(vkm_block_list *l, bool held)
{
    if (held)
        vkm_mutex_unlock(&l->grow_lock);
}

void
vkm_block_list_add_block_stats_held(const vkm_block_list *l, VmaStatistics *s)
{
    /* The array changes only under grow_lock (publish), so no epoch section is needed. */
    const vkm_block_array *arr = array_of(l);
    s->blockCount += (uint32_t)arr->count;
    for (size_t i = 0; i < arr->count; i++)
        s->blockBytes += arr->blocks[i]->size;
}

void
vkm_block_list_add_block_stats(const vkm_block_list *l, vkm_epoch_record *rec, VmaStatistics *s)
{
    /* One array: count and bytes of the same set of blocks. */
    vkm_epoch_begin(rec);
    const vkm_block_array *arr = array_of(l);
    s->blockCount += (uint32_t)arr->count;
    for (size_t i = 0; i < arr->count; i++)
        s->blockBytes += arr->blocks[i]->size;
    vkm_epoch_end(rec);
}
