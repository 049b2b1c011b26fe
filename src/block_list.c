/* SPDX-License-Identifier: MIT */
#include "block_list.h"
#include "allocation.h"
#include "debug.h"
#include "stats.h"

#include <sched.h>
#include <stdio.h>

/* Blocks start small and grow: 1/8, 1/4, 1/2 of the preferred size while they are the
 * largest so far and still at least twice the request (VMA's documented policy), and a
 * failed vkAllocateMemory is retried at half the size down to the same floor. */
#define NEW_BLOCK_SHRINK_STEPS 3u

VkResult
vkm_block_list_create(VmaAllocator a, const vkm_block_list_params *p, vkm_block_list **out)
{
    vkm_block_list *l = vkm_host_new(&a->ha, vkm_block_list);
    if (l == NULL) {
        *out = NULL;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    l->allocator = a;
    l->p = *p;
    l->granularity = p->ignore_granularity ? 1 : a->pd_props.limits.bufferImageGranularity;
    if (l->granularity == 0)
        l->granularity = 1;
    vkm_rwlock_init(&l->lock);
    vkm_atomic_init_u32(&l->xempty_blocks, 0);
    vkm_atomic_init_u32(&l->xfrees_in_flight, 0);
    *out = l;
    return VK_SUCCESS;
}

static void
release_block(vkm_block_list *l, vkm_block *b)
{
    VmaAllocator a = l->allocator;
    if (b->map_count > 0)
        a->funcs.vk.vkUnmapMemory(a->device, b->memory);
    vkm_allocator_free_device_memory(a, b->memory_type, b->size, b->memory);
    vkm_block_destroy(&a->ha, b);
}

void
vkm_block_list_destroy(vkm_block_list *l)
{
    if (l == NULL)
        return;
    VmaAllocator a = l->allocator;
    /* A free whose allocation no longer counts may still be leaving the list. */
    while (vkm_atomic_load_u32_acquire(&l->xfrees_in_flight) != 0)
        sched_yield();
    for (size_t i = 0; i < l->block_count; i++) {
        vkm_block *b = l->blocks[i];
        uint32_t live = vkm_tlsf_alloc_count(b->tlsf);
        if (live != 0 && vkm_config_api_asserts)
            fprintf(stderr,
                    "vkmalloc: %u allocation(s) in memory type %u were not freed before "
                    "their %s was destroyed\n",
                    live, l->p.memory_type, l->p.pool ? "pool" : "allocator");
        release_block(l, b);
    }
    vkm_host_delete_array(&a->ha, vkm_block *, l->blocks, l->block_cap);
    vkm_rwlock_destroy(&l->lock);
    vkm_host_delete(&a->ha, vkm_block_list, l);
}

/* Under the write lock. */
static VkResult
push_block(vkm_block_list *l, vkm_block *b)
{
    if (l->block_count == l->block_cap) {
        size_t cap = l->block_cap ? l->block_cap * 2 : 4;
        vkm_block **n = vkm_host_alloc_realloc(&l->allocator->ha, l->blocks,
                                               l->block_cap * sizeof(*n), cap * sizeof(*n),
                                               _Alignof(vkm_block *));
        if (n == NULL)
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        l->blocks = n;
        l->block_cap = cap;
    }
    l->blocks[l->block_count++] = b;
    return VK_SUCCESS;
}

/* Under the write lock: vkAllocateMemory of `size` and a block around it. */
static VkResult
create_block(vkm_block_list *l, VkDeviceSize size, vkm_block **out)
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

    VkDeviceMemory mem = VK_NULL_HANDLE;
    VkResult res = vkm_allocator_alloc_device_memory(a, &info, &mem);
    if (res != VK_SUCCESS)
        return res;
    vkm_block *b = NULL;
    res = vkm_block_create(&a->ha, l, mem, size, l->p.memory_type, l->next_block_id, l->granularity,
                           &b);
    if (res != VK_SUCCESS)
        goto fail_block;
    res = push_block(l, b);
    if (res != VK_SUCCESS)
        goto fail_push;
    l->next_block_id++;
    vkm_atomic_fetch_add_u32_relaxed(&l->xempty_blocks, 1);
    *out = b;
    return VK_SUCCESS;

fail_push:
    vkm_block_destroy(&a->ha, b);
fail_block:
    vkm_allocator_free_device_memory(a, l->p.memory_type, size, mem);
    return res;
}

VkResult
vkm_block_list_create_min_blocks(vkm_block_list *l)
{
    VkResult res = VK_SUCCESS;
    vkm_rwlock_wrlock(&l->lock);
    while (l->block_count < l->p.min_block_count) {
        vkm_block *b;
        res = create_block(l, l->p.preferred_block_size, &b);
        if (res != VK_SUCCESS)
            break;
    }
    vkm_rwlock_unlock(&l->lock);
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

/* Tries one block. `blocking` false: give up if the block is busy. Returns
 * VK_SUCCESS, VK_NOT_READY (busy), VK_ERROR_OUT_OF_DEVICE_MEMORY (no room) or
 * VK_ERROR_OUT_OF_HOST_MEMORY. On success `alloc` is filled and the range is taken. */
static VkResult
alloc_in_block(vkm_block_list *l, vkm_block *b, const vkm_alloc_request *req,
               VkDeviceSize alignment, bool blocking, VmaAllocation alloc)
{
    if (blocking)
        vkm_mutex_lock(&b->lock);
    else if (!vkm_mutex_trylock(&b->lock))
        return VK_NOT_READY;

    const bool was_empty = vkm_tlsf_is_empty(b->tlsf);
    vkm_range_request rr = {
        .size = req->size,
        .alignment = alignment,
        .kind = req->kind,
        .strategy = strategy_of(req->flags),
        .user = alloc,
    };
    uint64_t offset = VKM_NO_OFFSET;
    vkm_range_status st = vkm_tlsf_alloc(b->tlsf, &rr, &offset);
    if (st == VKM_RANGE_OK && was_empty)
        vkm_atomic_fetch_sub_u32_relaxed(&l->xempty_blocks, 1);
    vkm_mutex_unlock(&b->lock);
    if (st == VKM_RANGE_NO_SPACE)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    if (st == VKM_RANGE_NO_HOST_MEMORY)
        return VK_ERROR_OUT_OF_HOST_MEMORY;

    VmaAllocator a = l->allocator;
    if (req->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) {
        VkResult res = vkm_block_map(b, a->device, &a->funcs.vk, 1, NULL);
        if (res != VK_SUCCESS) {
            vkm_mutex_lock(&b->lock);
            vkm_tlsf_free(b->tlsf, offset);
            if (vkm_tlsf_is_empty(b->tlsf))
                vkm_atomic_fetch_add_u32_relaxed(&l->xempty_blocks, 1);
            vkm_mutex_unlock(&b->lock);
            return res;
        }
        alloc->flags |= VKM_ALLOC_FLAG_PERSISTENT_MAP;
        vkm_atomic_store_u32_relaxed(&alloc->xmap_count, 1);
    }
    alloc->type = VKM_ALLOC_BLOCK;
    alloc->u.b.block = b;
    alloc->offset = offset;
    alloc->size = req->size;
    alloc->alignment = alignment;
    alloc->memory_type = l->p.memory_type;
    alloc->pool = l->p.pool;
    return VK_SUCCESS;
}

/* One pass over the blocks (read lock held). VMA's placement preference: allocations
 * that may be mapped go first to blocks that are already mapped, others first to blocks
 * that are not, so few blocks stay mapped; MIN_TIME scans newest (emptiest) first. */
static VkResult
try_existing(vkm_block_list *l, const vkm_alloc_request *req, VkDeviceSize alignment,
             bool blocking, VmaAllocation alloc)
{
    VmaAllocator a = l->allocator;
    const size_t n = l->block_count;
    const bool host_visible = vkm_memtype_is_host_visible(&a->mt, l->p.memory_type);
    const bool mappable = (req->flags & (VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                                         VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT)) != 0;
    const bool newest_first = (req->flags & VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT) != 0;
    VkResult worst = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    bool busy = false;

    for (uint32_t pass = 0; pass < (host_visible ? 2u : 1u); pass++) {
        for (size_t k = 0; k < n; k++) {
            vkm_block *b = l->blocks[newest_first ? n - 1 - k : k];
            if (host_visible) {
                bool mapped = vkm_block_mapped_ptr(b) != NULL;
                if ((pass == 0) != (mapped == mappable))
                    continue;
            }
            VkResult r = alloc_in_block(l, b, req, alignment, blocking, alloc);
            if (r == VK_SUCCESS)
                return VK_SUCCESS;
            if (r == VK_NOT_READY)
                busy = true;
            else if (r != VK_ERROR_OUT_OF_DEVICE_MEMORY)
                worst = r;
        }
    }
    return busy && worst == VK_ERROR_OUT_OF_DEVICE_MEMORY ? VK_NOT_READY : worst;
}

static VkDeviceSize
largest_block(const vkm_block_list *l)
{
    VkDeviceSize m = 0;
    for (size_t i = 0; i < l->block_count; i++)
        if (l->blocks[i]->size > m)
            m = l->blocks[i]->size;
    return m;
}

VkResult
vkm_block_list_alloc(vkm_block_list *l, const vkm_alloc_request *req, VmaAllocation alloc)
{
    VmaAllocator a = l->allocator;
    VkDeviceSize alignment = req->alignment > l->p.min_alignment ? req->alignment
                                                                 : l->p.min_alignment;
    /* Nothing larger than a block can ever fit. */
    if (req->size > l->p.preferred_block_size)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;

    /* 1. Existing blocks under the read lock: a try-lock pass, then a waiting pass. */
    vkm_rwlock_rdlock(&l->lock);
    VkResult res = try_existing(l, req, alignment, false, alloc);
    if (res == VK_NOT_READY)
        res = try_existing(l, req, alignment, true, alloc);
    vkm_rwlock_unlock(&l->lock);
    if (res != VK_ERROR_OUT_OF_DEVICE_MEMORY)
        return res;
    if (req->flags & VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;

    /* 2. Growth under the write lock. Another thread may have grown or freed meanwhile,
     *    so look at the existing blocks once more first. */
    const uint32_t heap = vkm_allocator_heap_of(a, l->p.memory_type);
    VmaBudget budget;
    vkm_allocator_heap_budget(a, heap, &budget);
    const VkDeviceSize free_budget = budget.usage < budget.budget ? budget.budget - budget.usage : 0;
    const bool can_fall_back = !l->p.explicit_block_size;
    const bool within_budget = (req->flags & VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT) != 0;
    /* A block is made only if it fits the budget, unless nothing else could serve the
     * request (explicit-size pool) and the caller did not ask to stay within budget. */
    const bool must_fit_budget = can_fall_back || within_budget;

    vkm_rwlock_wrlock(&l->lock);
    res = try_existing(l, req, alignment, true, alloc);
    if (res != VK_ERROR_OUT_OF_DEVICE_MEMORY)
        goto out;
    if (l->block_count >= l->p.max_block_count ||
        (must_fit_budget && free_budget < req->size)) {
        res = VK_ERROR_OUT_OF_DEVICE_MEMORY;
        goto out;
    }

    VkDeviceSize size = l->p.preferred_block_size;
    uint32_t shrinks = 0;
    if (!l->p.explicit_block_size) {
        const VkDeviceSize largest = largest_block(l);
        while (shrinks < NEW_BLOCK_SHRINK_STEPS && size / 2 > largest &&
               size / 2 >= req->size * 2) {
            size /= 2;
            shrinks++;
        }
    }
    vkm_block *b = NULL;
    res = (!must_fit_budget || size <= free_budget) ? create_block(l, size, &b)
                                                     : VK_ERROR_OUT_OF_DEVICE_MEMORY;
    while (res < 0 && res != VK_ERROR_OUT_OF_HOST_MEMORY && !l->p.explicit_block_size &&
           shrinks < NEW_BLOCK_SHRINK_STEPS && size / 2 >= req->size) {
        size /= 2;
        shrinks++;
        res = (!must_fit_budget || size <= free_budget) ? create_block(l, size, &b)
                                                         : VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    if (res == VK_SUCCESS) {
        res = alloc_in_block(l, b, req, alignment, true, alloc);
        vkm_assert(res != VK_NOT_READY);
    }
out:
    vkm_rwlock_unlock(&l->lock);
    return res;
}

/* Under the write lock: drops empty blocks beyond `keep`, never below min_block_count.
 * The victims are returned through `victims` to be released after the lock. */
static size_t
collect_empty_blocks(vkm_block_list *l, uint32_t keep, vkm_block **victims, size_t max_victims)
{
    size_t nv = 0;
    uint32_t empty = 0;
    for (size_t i = 0; i < l->block_count; i++)
        if (vkm_tlsf_is_empty(l->blocks[i]->tlsf))
            empty++;
    /* Newest blocks first: they are the ones VMA's ordering would hold emptiest. */
    for (size_t i = l->block_count; i-- > 0 && empty > keep && nv < max_victims;) {
        if (l->block_count <= l->p.min_block_count)
            break;
        vkm_block *b = l->blocks[i];
        if (!vkm_tlsf_is_empty(b->tlsf))
            continue;
        victims[nv++] = b;
        for (size_t j = i + 1; j < l->block_count; j++)
            l->blocks[j - 1] = l->blocks[j];
        l->block_count--;
        empty--;
        vkm_atomic_fetch_sub_u32_relaxed(&l->xempty_blocks, 1);
    }
    return nv;
}

void
vkm_block_list_free(vkm_block_list *l, VmaAllocation alloc)
{
    VmaAllocator a = l->allocator;
    vkm_block *b = alloc->u.b.block;
    const uint32_t heap = vkm_allocator_heap_of(a, l->p.memory_type);

    vkm_block_list_free_begin(l);
    /* Mapping references this allocation still holds (persistent + unbalanced maps). */
    uint32_t maps = vkm_atomic_exchange_u32_acq_rel(&alloc->xmap_count, 0);
    if (maps != 0)
        vkm_block_unmap(b, a->device, &a->funcs.vk, maps);

    vkm_rwlock_rdlock(&l->lock);
    vkm_mutex_lock(&b->lock);
    vkm_tlsf_free(b->tlsf, alloc->offset);
    const bool now_empty = vkm_tlsf_is_empty(b->tlsf);
    if (now_empty)
        vkm_atomic_fetch_add_u32_relaxed(&l->xempty_blocks, 1);
    vkm_mutex_unlock(&b->lock);
    const uint32_t empty = vkm_atomic_load_u32_relaxed(&l->xempty_blocks);
    vkm_rwlock_unlock(&l->lock);

    /* Keep one empty block as hysteresis against allocating and freeing a whole block
     * back and forth; none when over budget, and none lingering once a free lands
     * elsewhere (VMA's policy). */
    if (empty != 0) {
        VmaBudget budget;
        vkm_allocator_heap_budget(a, heap, &budget);
        const bool over_budget = budget.usage >= budget.budget;
        const uint32_t keep = (now_empty && !over_budget) ? 1u : 0u;
        if (empty > keep) {
            vkm_block *victims[8];
            vkm_rwlock_wrlock(&l->lock);
            size_t nv = collect_empty_blocks(l, keep, victims, VKM_ARRAY_LEN(victims));
            vkm_rwlock_unlock(&l->lock);
            for (size_t i = 0; i < nv; i++)
                release_block(l, victims[i]);
        }
    }
    vkm_block_list_free_end(l);
}

void
vkm_block_list_add_stats(vkm_block_list *l, VmaDetailedStatistics *d)
{
    vkm_rwlock_rdlock(&l->lock);
    for (size_t i = 0; i < l->block_count; i++) {
        vkm_block *b = l->blocks[i];
        vkm_range_stats rs;
        vkm_mutex_lock(&b->lock);
        vkm_tlsf_stats(b->tlsf, &rs);
        vkm_mutex_unlock(&b->lock);
        vkm_stats_add_block(d, b->size, &rs);
    }
    vkm_rwlock_unlock(&l->lock);
}

void
vkm_block_list_add_basic_stats(vkm_block_list *l, VmaStatistics *s)
{
    vkm_rwlock_rdlock(&l->lock);
    for (size_t i = 0; i < l->block_count; i++) {
        vkm_block *b = l->blocks[i];
        vkm_mutex_lock(&b->lock);
        s->allocationCount += vkm_tlsf_alloc_count(b->tlsf);
        s->allocationBytes += vkm_tlsf_capacity(b->tlsf) - vkm_tlsf_free_bytes(b->tlsf);
        vkm_mutex_unlock(&b->lock);
        s->blockCount++;
        s->blockBytes += b->size;
    }
    vkm_rwlock_unlock(&l->lock);
}
