/* SPDX-License-Identifier: MIT */
#include "allocator.h"
#include "allocation.h"
#include "block.h"
#include "block_list.h"
#include "corruption.h"
#include "debug.h"
#include "pool.h"
#include "stats.h"
#include "tcache.h"

static const VmaAllocationCreateFlags host_access_bits =
    VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
    VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT;

static bool
is_auto_usage(VmaMemoryUsage u)
{
    return u == VMA_MEMORY_USAGE_AUTO || u == VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE ||
           u == VMA_MEMORY_USAGE_AUTO_PREFER_HOST;
}

VkDeviceSize
vkm_allocator_preferred_block_size(VmaAllocator a, uint32_t memory_type)
{
    VkDeviceSize heap_size = a->mem_props.memoryHeaps[vkm_allocator_heap_of(a, memory_type)].size;
    VkDeviceSize s =
        heap_size <= VKM_SMALL_HEAP_MAX_SIZE ? heap_size / 8 : a->preferred_large_heap_block_size;
    return (s + 31) & ~(VkDeviceSize)31;
}

void
vkm_allocator_heap_budget(VmaAllocator a, uint32_t heap, VmaBudget *out)
{
    vkm_budget_get(&a->budget, &a->funcs, a->physical_device, heap, 1, out);
}

/* ------------------------------------------------------------------------------------ */
/* Device memory                                                                         */

VkResult
vkm_allocator_alloc_device_memory(VmaAllocator a, const VkMemoryAllocateInfo *info,
                                  VkDeviceMemory *out)
{
    const uint32_t heap = vkm_allocator_heap_of(a, info->memoryTypeIndex);
    *out = VK_NULL_HANDLE;

    /* Never ask for more than the heap holds, nor past maxMemoryAllocationCount: some
     * drivers crash or hang instead of failing cleanly. */
    if (info->allocationSize > a->mem_props.memoryHeaps[heap].size)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    uint32_t prev = vkm_atomic_fetch_add_u32_relaxed(&a->xdevice_memory_count, 1);
    if (prev >= a->pd_props.limits.maxMemoryAllocationCount) {
        vkm_atomic_fetch_sub_u32_relaxed(&a->xdevice_memory_count, 1);
        return VK_ERROR_TOO_MANY_OBJECTS;
    }
    if (!vkm_budget_reserve_block(&a->budget, heap, info->allocationSize, a->heap_limit[heap])) {
        vkm_atomic_fetch_sub_u32_relaxed(&a->xdevice_memory_count, 1);
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }

    VkResult res = a->funcs.vk.vkAllocateMemory(a->device, info, a->vk_callbacks, out);
    if (res != VK_SUCCESS) {
        *out = VK_NULL_HANDLE;
        vkm_budget_cancel_block(&a->budget, heap, info->allocationSize);
        vkm_atomic_fetch_sub_u32_relaxed(&a->xdevice_memory_count, 1);
        return res;
    }
    /* Counted before the callback hears of it, and (below) uncounted only after: inside
     * pfnAllocate and pfnFree the block is part of the budget's statistics, as in VMA. */
    vkm_budget_commit_block(&a->budget, heap, info->allocationSize);
    if (a->dm_callbacks.pfnAllocate != NULL)
        a->dm_callbacks.pfnAllocate(a, info->memoryTypeIndex, *out, info->allocationSize,
                                    a->dm_callbacks.pUserData);
    vkm_atomic_fetch_add_u32_relaxed(&a->budget.xops_since_fetch, 1);
    return VK_SUCCESS;
}

void
vkm_allocator_free_device_memory(VmaAllocator a, uint32_t memory_type, VkDeviceSize size,
                                 VkDeviceMemory memory)
{
    const uint32_t heap = vkm_allocator_heap_of(a, memory_type);
    if (a->dm_callbacks.pfnFree != NULL)
        a->dm_callbacks.pfnFree(a, memory_type, memory, size, a->dm_callbacks.pUserData);
    vkm_budget_release_block(&a->budget, heap, size);
    a->funcs.vk.vkFreeMemory(a->device, memory, a->vk_callbacks);
    /* the reservation goes only once the memory is gone: pHeapSizeLimit stays exact */
    vkm_budget_cancel_block(&a->budget, heap, size);
    vkm_atomic_fetch_add_u32_relaxed(&a->budget.xops_since_fetch, 1);
    vkm_atomic_fetch_sub_u32_relaxed(&a->xdevice_memory_count, 1);
}

/* ------------------------------------------------------------------------------------ */
/* Dedicated allocations                                                                 */

/* Out of line: it makes a VkDeviceMemory, which dwarfs a call, and inlined it would
 * burden alloc_pages' block path with its frame. */
static VKM_NOINLINE VkResult
alloc_dedicated_one(VmaAllocator a, VmaPool pool, uint32_t type, const vkm_alloc_request *req,
                    VmaAllocation alloc)
{
    VkMemoryAllocateInfo info = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        /* The caller's chain (3.4 dedicated functions) replaces the pool's, as in VMA. */
        .pNext = req->memory_allocate_next ? req->memory_allocate_next
                 : pool                    ? pool->info.pMemoryAllocateNext
                                           : NULL,
        .allocationSize = req->size,
        .memoryTypeIndex = type,
    };
    VkMemoryDedicatedAllocateInfo ded = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    if (a->use_khr_dedicated && !(req->flags & VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT) &&
        (req->dedicated_buffer != VK_NULL_HANDLE || req->dedicated_image != VK_NULL_HANDLE)) {
        ded.buffer = req->dedicated_buffer;
        ded.image = req->dedicated_buffer != VK_NULL_HANDLE ? VK_NULL_HANDLE : req->dedicated_image;
        ded.pNext = info.pNext;
        info.pNext = &ded;
    }
    VkMemoryAllocateFlagsInfo flags_info = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
        .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT,
    };
    if (a->use_bda) {
        /* A device address can only be taken of a buffer; an unknown resource may be one. */
        bool may_need = req->dedicated_image == VK_NULL_HANDLE;
        if (req->dedicated_buffer != VK_NULL_HANDLE && req->buffer_image_usage != 0)
            may_need = (req->buffer_image_usage & VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT) != 0;
        if (may_need) {
            flags_info.pNext = info.pNext;
            info.pNext = &flags_info;
        }
    }
    VkMemoryPriorityAllocateInfoEXT prio = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_PRIORITY_ALLOCATE_INFO_EXT,
        .priority = req->priority,
    };
    if (a->use_ext_memory_priority) {
        prio.pNext = info.pNext;
        info.pNext = &prio;
    }
    VkExportMemoryAllocateInfo export_info = {
        .sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
        .handleTypes = a->external_handle_types[type],
    };
    if (export_info.handleTypes != 0) {
        export_info.pNext = info.pNext;
        info.pNext = &export_info;
    }

    VkDeviceMemory mem;
    VkResult res = vkm_allocator_alloc_device_memory(a, &info, &mem);
    if (res != VK_SUCCESS)
        return res;
    void *mapped = NULL;
    if (req->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) {
        res = a->funcs.vk.vkMapMemory(a->device, mem, 0, VK_WHOLE_SIZE, 0, &mapped);
        if (res != VK_SUCCESS) {
            vkm_allocator_free_device_memory(a, type, req->size, mem);
            return res;
        }
        alloc->flags |= VKM_ALLOC_FLAG_PERSISTENT_MAP;
        vkm_atomic_store_u32_relaxed(&alloc->xmap_count, 1);
    }
    alloc->type = VKM_ALLOC_DEDICATED;
    alloc->u.d.memory = mem;
    alloc->u.d.mapped = mapped;
    alloc->offset = 0;
    alloc->size = req->size;
    alloc->alignment = req->alignment;
    alloc->memory_type = type;
    alloc->pool = pool;
    vkm_dedicated_list_add(pool ? &pool->dedicated : &a->dedicated[type], alloc);
    return VK_SUCCESS;
}

static void
free_dedicated(VmaAllocator a, VmaAllocation alloc)
{
    VmaPool pool = alloc->pool;
    vkm_dedicated_list_remove(pool ? &pool->dedicated : &a->dedicated[alloc->memory_type], alloc);
    /* vkFreeMemory releases a mapping implicitly (Vulkan spec), no unmap needed. */
    vkm_atomic_store_u32_relaxed(&alloc->xmap_count, 0);
    vkm_allocator_free_device_memory(a, alloc->memory_type, alloc->size, alloc->u.d.memory);
}

/* ------------------------------------------------------------------------------------ */
/* The allocation path                                                                   */

static vkm_block_list *
list_of(VmaAllocator a, VmaPool pool, uint32_t type)
{
    return pool ? pool->list : a->default_lists[type];
}

/* A range of the list's blocks themselves (the shared path). */
static VkResult
alloc_shared_range(vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req,
                   VmaAllocation alloc)
{
    vkm_block_list_request lr = {
        .size = req->size,
        .alignment = req->alignment,
        .kind = req->kind,
        .flags = req->flags,
        .user = alloc,
    };
    vkm_block *b = NULL;
    VkDeviceSize offset = 0;
    VkResult res = vkm_block_list_alloc_range(l, tc->rec, &lr, &b, &offset);
    if (res == VK_SUCCESS) {
        alloc->type = VKM_ALLOC_BLOCK;
        alloc->u.b.block = b;
        alloc->u.b.cached = NULL;
        alloc->offset = offset;
        alloc->size = req->size;
        alloc->alignment = vkm_block_list_alignment(l, req->alignment);
        alloc->memory_type = l->p.memory_type;
        alloc->pool = l->p.pool;
    }
    return res;
}

/* The range of a block allocation: a slot of the thread's cache when it qualifies
 * (design.md §3: default pools and default-algorithm custom pools without a block limit),
 * else a range of the list's blocks. */
static VkResult
alloc_block_range(vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req,
                  VmaAllocation alloc)
{
    /* MIN_MEMORY and MIN_OFFSET ask for the tightest placement in the blocks themselves
     * (VMA uses MIN_OFFSET for defragmentation): a slot of a run is neither. A linear
     * pool's placement is VMA's exactly, so it is never cached. Nor is a pool with a
     * maxBlockCount: its capacity is what its owner sized it for, and slots of a size
     * class (up to 25 % larger than the request) or another thread's partly used runs
     * would make it hold fewer allocations than VMA's. */
    const VmaAllocationCreateFlags uncached = VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT |
                                              VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT |
                                              VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT;
    const bool bounded = l->p.pool != NULL && l->p.max_block_count != SIZE_MAX;
    const bool list_cached = !l->p.linear && !bounded; /* runs of it may exist */
    const bool cacheable = list_cached && !(req->flags & uncached);
    VkResult res = VK_INCOMPLETE;
    if (cacheable)
        res = vkm_tcache_alloc(tc, l, req, alloc);
    if (res != VK_INCOMPLETE)
        return res;
    if (l->p.linear)
        return alloc_shared_range(tc, l, req, alloc);
    /* Existing space first. Where the blocks have none, empty runs of the list may be
     * what is in the way: VMA would place the request in their bytes rather than make a
     * block (or fail at maxBlockCount or the budget), so they go back before the list
     * may grow: the calling thread's own, then those of threads that are idle right now
     * (remote frees collected first: a loader thread's slots freed by the render
     * thread). Busy threads' cached slots stay where they are (src/README.md: limits). */
    vkm_alloc_request existing = *req;
    existing.flags |= VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT;
    res = alloc_shared_range(tc, l, &existing, alloc);
    if (res == VK_ERROR_OUT_OF_DEVICE_MEMORY && vkm_tcache_release_list(tc, l))
        res = alloc_shared_range(tc, l, &existing, alloc);
    /* (A list that is never cached has no runs anywhere: no barrier for its failures.) */
    if (res == VK_ERROR_OUT_OF_DEVICE_MEMORY && list_cached &&
        vkm_tcache_release_list_others(tc, l))
        res = alloc_shared_range(tc, l, &existing, alloc);
    if (res == VK_ERROR_OUT_OF_DEVICE_MEMORY &&
        !(req->flags & VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT))
        res = alloc_shared_range(tc, l, req, alloc);
    return res;
}

/* Gives a block allocation's range back; alloc->size is the range's size here. True when
 * the object must be retired rather than deleted (vkm_tcache_free). */
static bool
free_block_range(vkm_tcache *tc, vkm_block_list *l, VmaAllocation alloc)
{
    if (alloc->u.b.cached != NULL)
        return vkm_tcache_free(tc, alloc);
    vkm_block_list_free_range(l, tc->rec, alloc->u.b.block, alloc->offset);
    return false;
}

/* A block allocation: its range, the magic in its margin where corruption detection
 * applies, then the persistent mapping if asked. On failure, *retire says whether the
 * object must be retired rather than deleted (a slot given back after its publication,
 * which a dump may have read: vkm_tcache_free). */
static VkResult
alloc_block_one(VmaAllocator a, vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req,
                VmaAllocation alloc, bool *retire)
{
    /* Debug margins (corruption.h): the range allocators see the size with its margin,
     * the allocation reports the size without. The read side of the corruption lock
     * keeps checks from seeing the range before its magic is in place. */
    vkm_corruption *c = &a->corruption;
    VkDeviceSize user_size = req->size;
    vkm_alloc_request with_margin;
    const bool detect = vkm_corruption_detects(c, l->p.memory_type);
    if (c->margin != 0) {
        with_margin = *req;
        vkm_corruption_adjust(c, l->p.memory_type, &with_margin.size, &with_margin.alignment,
                              &user_size);
        req = &with_margin;
    }
    if (detect)
        vkm_rwlock_rdlock(&c->lock);
    VkResult res = alloc_block_range(tc, l, req, alloc);
    if (res == VK_SUCCESS && detect) {
        res = vkm_corruption_write_magic(a, alloc->u.b.block, alloc->offset, user_size);
        if (res != VK_SUCCESS)
            *retire = free_block_range(tc, l, alloc);
    }
    if (detect)
        vkm_rwlock_unlock(&c->lock);
    if (res != VK_SUCCESS)
        return res;
    if (req->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) {
        res = vkm_block_map(alloc->u.b.block, a->device, &a->funcs.vk, 1, NULL);
        if (res != VK_SUCCESS) {
            *retire = free_block_range(tc, l, alloc);
            return res;
        }
        alloc->flags |= VKM_ALLOC_FLAG_PERSISTENT_MAP;
        vkm_atomic_store_u32_relaxed(&alloc->xmap_count, 1);
    }
    alloc->size = user_size;
    return VK_SUCCESS;
}

/* Gives a block allocation's memory back (mapping references it still holds first).
 * True when the object must be retired rather than deleted (vkm_tcache_free). */
static bool
free_block_one(VmaAllocator a, vkm_tcache *tc, vkm_block_list *l, VmaAllocation alloc)
{
    if (vkm_corruption_detects(&a->corruption, alloc->memory_type))
        vkm_corruption_validate(a, alloc->u.b.block, alloc->offset, alloc->size);
    /* Nobody may map an allocation while it is freed (VMA's contract), so a count of 0
     * stays 0: the plain load spares the common unmapped free a locked exchange (and a
     * free from another thread a write to the allocation's line). */
    uint32_t maps = vkm_atomic_load_u32_relaxed(&alloc->xmap_count);
    if (maps != 0)
        maps = vkm_atomic_exchange_u32_acq_rel(&alloc->xmap_count, 0);
    if (maps != 0)
        vkm_block_unmap(alloc->u.b.block, a->device, &a->funcs.vk, maps);
    /* The range allocators account the range, margin included (alloc_block_one). Written
     * only with a margin: a free from another thread otherwise leaves the object's line
     * unmodified until the magic goes. */
    if (a->corruption.margin != 0)
        alloc->size = vkm_corruption_range_size(&a->corruption, alloc->size);
    return free_block_range(tc, l, alloc);
}

/* The object of a freed allocation goes: at once, or after a grace period when a dump
 * may be reading it (tcache.h, "Dumps"). `tc` is still the caller's (its record). */
static void
drop_object(VmaAllocator a, vkm_tcache *tc, VmaAllocation alloc, bool retire)
{
    if (VKM_UNLIKELY(retire))
        vkm_allocation_retire(a, alloc, tc->rec);
    else
        vkm_allocation_delete(a, alloc);
}

/* Undo `n` successful allocations (all-or-nothing for vmaAllocateMemoryPages). They were
 * not counted yet. */
static void
undo_allocations(VmaAllocator a, vkm_tcache *tc, size_t n, VmaAllocation *allocs)
{
    while (n-- > 0) {
        VmaAllocation x = allocs[n];
        bool retire = false;
        if (x->type == VKM_ALLOC_BLOCK)
            retire = free_block_one(a, tc, list_of(a, x->pool, x->memory_type), x);
        else
            free_dedicated(a, x);
        drop_object(a, tc, x, retire);
        allocs[n] = NULL;
    }
}

/* Allocates `count` allocations from one path of one memory type. */
static VkResult
alloc_pages(VmaAllocator a, vkm_tcache *tc, VmaPool pool, uint32_t type,
            const vkm_alloc_request *req, bool dedicated, size_t count, VmaAllocation *out)
{
    vkm_block_list *l = list_of(a, pool, type);
    VkResult res = VK_SUCCESS;
    size_t i = 0;
    for (; i < count; i++) {
        VmaAllocation alloc = vkm_allocation_new(a);
        if (alloc == NULL) {
            res = VK_ERROR_OUT_OF_HOST_MEMORY;
            break;
        }
        alloc->kind = (uint8_t)req->kind;
        if (req->flags & host_access_bits)
            alloc->flags |= VKM_ALLOC_FLAG_MAPPING_ALLOWED; /* implied for non-AUTO usages */
        /* Name and user data before the range or list entry is published: a JSON dump
         * reads them under the lock that publishes it (stats_json.h). */
        vkm_allocation_init_user_data(a, alloc, req->flags, req->user_data);
        alloc->usage = req->buffer_image_usage;
        bool retire = false;
        res = dedicated ? alloc_dedicated_one(a, pool, type, req, alloc)
                        : alloc_block_one(a, tc, l, req, alloc, &retire);
        if (res != VK_SUCCESS) {
            drop_object(a, tc, alloc, retire);
            break;
        }
        out[i] = alloc;
    }
    if (res != VK_SUCCESS) {
        undo_allocations(a, tc, i, out);
        return res;
    }
    for (i = 0; i < count; i++) {
        vkm_tcache_count(tc, l, 1, (int64_t)out[i]->size);
        if (VKM_UNLIKELY(a->corruption.fill))
            vkm_corruption_fill(a, out[i], VKM_FILL_PATTERN_CREATED);
        /* release: pairs with the acquire in defrag.c, which may find the allocation
         * through its range before this thread has finished filling it in */
        vkm_atomic_store_u32_release(&out[i]->xready, 1);
    }
    return VK_SUCCESS;
}

static bool
fits_budget(VmaAllocator a, uint32_t type, VkDeviceSize bytes)
{
    VmaBudget b;
    vkm_allocator_heap_budget(a, vkm_allocator_heap_of(a, type), &b);
    return b.usage + bytes <= b.budget;
}

/* All of one memory type: dedicated or the shared block path (design.md §3; the thread
 * cache will sit in front of the block path here). */
static VkResult
alloc_of_type(VmaAllocator a, vkm_tcache *tc, VmaPool pool, uint32_t type,
              const vkm_alloc_request *in, size_t count, VmaAllocation *out)
{
    /* MAPPED_BIT means nothing in a type that cannot be mapped (VMA ignores it): drop it
     * for this type. The copy is made only then. */
    const vkm_alloc_request *req = in;
    vkm_alloc_request unmapped;
    if ((in->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) &&
        !(a->mem_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) {
        unmapped = *in;
        unmapped.flags &= ~(VmaAllocationCreateFlags)VMA_ALLOCATION_CREATE_MAPPED_BIT;
        req = &unmapped;
    }
    const bool within_budget = (req->flags & VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT) != 0;
    vkm_block_list *list = list_of(a, pool, type);

    if (req->flags & VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT) {
        if (within_budget && !fits_budget(a, type, req->size * count))
            return VK_ERROR_OUT_OF_DEVICE_MEMORY;
        return alloc_pages(a, tc, pool, type, req, true, count, out);
    }

    const bool can_dedicated = !(req->flags & VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT) &&
                               (pool == NULL || !list->p.explicit_block_size);
    bool prefer = false;
    if (can_dedicated) {
        prefer = req->dedicated_preferred || req->size > list->p.preferred_block_size / 2;
        /* Close to maxMemoryAllocationCount, stop spending VkDeviceMemory objects on
         * single resources. (Read only when it matters: the count is allocator-wide.) */
        const uint32_t max_count = a->pd_props.limits.maxMemoryAllocationCount;
        if (prefer && max_count < UINT32_MAX / 4 &&
            vkm_atomic_load_u32_relaxed(&a->xdevice_memory_count) > max_count * 3 / 4)
            prefer = false;
        if (prefer && (!within_budget || fits_budget(a, type, req->size * count))) {
            if (alloc_pages(a, tc, pool, type, req, true, count, out) == VK_SUCCESS)
                return VK_SUCCESS;
        }
    }
    VkResult res = alloc_pages(a, tc, pool, type, req, false, count, out);
    if (res == VK_SUCCESS || res == VK_ERROR_OUT_OF_HOST_MEMORY)
        return res;
    if (can_dedicated && !prefer) {
        if (within_budget && !fits_budget(a, type, req->size * count))
            return VK_ERROR_OUT_OF_DEVICE_MEMORY;
        res = alloc_pages(a, tc, pool, type, req, true, count, out);
    }
    return res;
}

static VkResult
check_create_info(VmaAllocator a, const VmaAllocationCreateInfo *ci, bool has_resource_info)
{
    VkResult bad = VK_ERROR_VALIDATION_FAILED_EXT;
    const VmaAllocationCreateFlags f = ci->flags;
    /* Each contract vkm_memtype_check_flags checks involves one of these flags. */
    if (f & (host_access_bits | VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT |
             VMA_ALLOCATION_CREATE_MAPPED_BIT)) {
        VkResult res = vkm_memtype_check_flags(ci);
        if (res != VK_SUCCESS)
            return res;
    }
    if (is_auto_usage(ci->usage) && ci->pool == VK_NULL_HANDLE && !has_resource_info) {
        vkm_api_assert(false, "pCreateInfo->usage: VMA_MEMORY_USAGE_AUTO* needs buffer or "
                              "image information (use vmaCreateBuffer/Image or "
                              "vmaFindMemoryTypeIndexFor*Info)");
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    if ((f & VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT) && ci->pool == VK_NULL_HANDLE)
        return VK_ERROR_FEATURE_NOT_PRESENT; /* only linear pools support it */
    if (ci->pool != VK_NULL_HANDLE) {
        vkm_api_assert(ci->pool->magic == VKM_POOL_MAGIC && ci->pool->allocator == a,
                       "pCreateInfo->pool belongs to another allocator or was destroyed");
        if (ci->pool->magic != VKM_POOL_MAGIC || ci->pool->allocator != a)
            return bad;
        /* VMA: the upper stack exists only in a linear pool of at most one block. */
        if ((f & VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT) &&
            (!ci->pool->list->p.linear || ci->pool->list->p.max_block_count > 1))
            return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    if (!(ci->priority >= 0.0f && ci->priority <= 1.0f)) { /* NaN too */
        vkm_api_assert(false, "pCreateInfo->priority must be within [0, 1]");
        return bad;
    }
    return VK_SUCCESS;
}

/* Both entry points below; always inlined so the common one pays nothing for `next`. */
static inline __attribute__((always_inline)) VkResult
alloc_impl(VmaAllocator a, const VmaAllocationCreateInfo *ci, const VkMemoryRequirements *mr,
           bool dedicated_required, bool dedicated_preferred, VkBuffer dedicated_buffer,
           VkImage dedicated_image, VkFlags64 buffer_image_usage, vkm_range_kind kind,
           const void *next, size_t count, VmaAllocation *out)
{
    out[0] = VK_NULL_HANDLE; /* count >= 1; only vmaAllocateMemoryPages passes more */
    for (size_t i = 1; i < count; i++)
        out[i] = VK_NULL_HANDLE;
    if (mr->size == 0)
        return VK_ERROR_INITIALIZATION_FAILED; /* VMA's code for a zero-sized request */
    /* VMA accepts alignment 0 (no requirement beyond the memory type's own). */
    if ((mr->alignment & (mr->alignment - 1)) != 0) {
        vkm_api_assert(false, "pVkMemoryRequirements->alignment must be a power of two");
        return VK_ERROR_VALIDATION_FAILED_EXT;
    }
    /* A shape the fast path can serve: one allocation without a custom pool, a chain or
     * a dedicated preference (see vkm_memo). */
    const bool memoable = count == 1 && ci->pool == VK_NULL_HANDLE && next == NULL &&
                          !dedicated_required && !dedicated_preferred;
    vkm_memo_key key;
    if (memoable) {
        key = (vkm_memo_key){
            .flags = ci->flags,
            .usage = ci->usage,
            .required = ci->requiredFlags,
            .preferred = ci->preferredFlags,
            .ci_type_bits = ci->memoryTypeBits,
            .mr_type_bits = mr->memoryTypeBits,
            .resource_usage = buffer_image_usage,
            .kind = (uint32_t)kind | (dedicated_buffer != VK_NULL_HANDLE ? 0x100u : 0u) |
                    (dedicated_image != VK_NULL_HANDLE ? 0x200u : 0u),
        };
        memcpy(&key.priority_bits, &ci->priority, sizeof(key.priority_bits));
        vkm_tcache *tc = vkm_tcache_peek(a);
        /* The memos are the owner's alone: a holder never touches them. */
        vkm_memo *m = tc != NULL ? vkm_tcache_memo_find(tc, &key) : NULL;
        if (m != NULL && mr->size - 1 < m->max_size) {
            vkm_tcache_claim(tc);
            VmaAllocation alloc = vkm_allocation_new(a);
            bool served = false;
            if (alloc != NULL) {
                /* Before the slot's publication: a dump on another thread may read the
                 * object as soon as the slot's size is stored (tcache.h, "Dumps"). */
                alloc->kind = (uint8_t)kind;
                alloc->flags = m->alloc_flags;
                alloc->user_data = ci->pUserData;
                alloc->usage = buffer_image_usage;
                served = vkm_tcache_alloc_fast(tc, m, mr->size, mr->alignment ? mr->alignment : 1,
                                               kind, alloc);
            }
            vkm_tcache_unclaim(tc);
            if (served) {
                /* release: as in alloc_pages */
                vkm_atomic_store_u32_release(&alloc->xready, 1);
                out[0] = alloc;
                return VK_SUCCESS;
            }
            if (alloc != NULL)
                vkm_allocation_delete(a, alloc);
        }
    }

    /* VMA_MEMORY_USAGE_AUTO* decides from the resource's usage flags, which only
     * vmaCreateBuffer/Image (and vmaFindMemoryTypeIndexFor*Info) know. */
    const bool resource_known = buffer_image_usage != 0;
    VkResult res = check_create_info(a, ci, resource_known);
    if (res != VK_SUCCESS)
        return res;

    vkm_alloc_request req = {
        .size = mr->size,
        .alignment = mr->alignment ? mr->alignment : 1,
        .flags = ci->flags,
        .kind = kind,
        .user_data = ci->pUserData,
        .priority = ci->priority,
        .pool = ci->pool,
        .dedicated_required = dedicated_required,
        .dedicated_preferred = dedicated_required || dedicated_preferred,
        .dedicated_buffer = dedicated_buffer,
        .dedicated_image = dedicated_image,
        .buffer_image_usage = buffer_image_usage,
        .memory_allocate_next = next,
    };
    /* Lazily allocated memory is always dedicated, as are resources the driver demands it for. */
    if (dedicated_required || ci->usage == VMA_MEMORY_USAGE_GPU_LAZILY_ALLOCATED)
        req.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    if (ci->pool != VK_NULL_HANDLE) {
        if (ci->pool->list->p.explicit_block_size &&
            (req.flags & VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT))
            return VK_ERROR_FEATURE_NOT_PRESENT;
        req.priority = ci->pool->info.priority;
    }
    if ((req.flags & VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT) &&
        (req.flags & VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT)) {
        vkm_api_assert(false, "pCreateInfo->flags: DEDICATED_MEMORY together with NEVER_ALLOCATE");
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    /* Explicit (non-AUTO) usages may always be mapped, like in VMA. */
    if (!is_auto_usage(ci->usage) && !(req.flags & host_access_bits))
        req.flags |= VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT;

    if (ci->pool != VK_NULL_HANDLE) {
        const uint32_t type = ci->pool->info.memoryTypeIndex;
        /* VMA does not read the requirements' type bits when a pool is given, so neither
         * does vmaAllocateMemory here. A buffer or image made by vkmalloc is refused
         * instead: it would be bound to memory of a type it does not accept. */
        if (kind != VKM_RANGE_UNKNOWN && !(mr->memoryTypeBits & (1u << type)))
            return VK_ERROR_FEATURE_NOT_PRESENT;
        vkm_tcache *tc = vkm_tcache_enter(a);
        res = alloc_of_type(a, tc, ci->pool, type, &req, count, out);
        vkm_tcache_leave(a, tc);
        return res;
    }

    /* The caller's create info, not one with the flags normalised above: selection reads
     * the flags only for AUTO usages, and only their HOST_ACCESS bits, which the
     * normalisation leaves alone. */
    const vkm_memtype_request mreq = {
        .ci = ci,
        .resource = dedicated_buffer != VK_NULL_HANDLE || kind == VKM_RANGE_BUFFER
                        ? VKM_RESOURCE_BUFFER
                    : (dedicated_image != VK_NULL_HANDLE || kind >= VKM_RANGE_IMAGE_UNKNOWN)
                        ? VKM_RESOURCE_IMAGE
                        : VKM_RESOURCE_NONE,
        .buffer_or_image_usage = buffer_image_usage,
    };
    vkm_memtype_list scratch;
    const vkm_memtype_list *types =
        vkm_memtype_candidates_cached(&a->mt, &a->mt_cache, mr->memoryTypeBits, &mreq, &scratch);
    const uint32_t n = types->count;
    if (n == 0)
        return VK_ERROR_FEATURE_NOT_PRESENT;
    vkm_tcache *tc = vkm_tcache_enter(a);
    for (uint32_t i = 0; i < n; i++) {
        res = alloc_of_type(a, tc, NULL, types->types[i], &req, count, out);
        if (res == VK_SUCCESS && i == 0 && memoable &&
            !(ci->flags & (VMA_ALLOCATION_CREATE_MAPPED_BIT |
                           VMA_ALLOCATION_CREATE_USER_DATA_COPY_STRING_BIT)) &&
            a->corruption.margin == 0 && !a->corruption.fill)
            vkm_tcache_memo_record(tc, &key, list_of(a, NULL, types->types[0]), out[0]);
        if (res == VK_SUCCESS || res == VK_ERROR_OUT_OF_HOST_MEMORY)
            break;
    }
    vkm_tcache_leave(a, tc);
    /* Host memory is not a property of the memory type: it ends the search at once. Any
     * other failure moves on to the next type, and when every type has failed the result
     * is VK_ERROR_OUT_OF_DEVICE_MEMORY, whatever each one said (a failed vkMapMemory of a
     * MAPPED allocation, the driver's allocation-count limit), as VMA returns. Custom
     * pools (above) return their one type's own result, as in VMA. */
    if (res == VK_SUCCESS || res == VK_ERROR_OUT_OF_HOST_MEMORY)
        return res;
    return VK_ERROR_OUT_OF_DEVICE_MEMORY;
}

VkResult
vkm_allocator_alloc(VmaAllocator a, const VmaAllocationCreateInfo *ci,
                    const VkMemoryRequirements *mr, bool dedicated_required,
                    bool dedicated_preferred, VkBuffer dedicated_buffer, VkImage dedicated_image,
                    VkFlags64 buffer_image_usage, vkm_range_kind kind, size_t count,
                    VmaAllocation *out)
{
    return alloc_impl(a, ci, mr, dedicated_required, dedicated_preferred, dedicated_buffer,
                      dedicated_image, buffer_image_usage, kind, NULL, count, out);
}

VkResult
vkm_allocator_alloc_dedicated_next(VmaAllocator a, const VmaAllocationCreateInfo *ci,
                                   const VkMemoryRequirements *mr, VkBuffer dedicated_buffer,
                                   VkImage dedicated_image, VkFlags64 buffer_image_usage,
                                   vkm_range_kind kind, const void *next, VmaAllocation *out)
{
    /* Dedicated is required (VMA: a chain of the caller's only fits memory of its own). */
    return alloc_impl(a, ci, mr, true, false, dedicated_buffer, dedicated_image, buffer_image_usage,
                      kind, next, 1, out);
}

void
vkm_allocator_free(VmaAllocator a, VmaAllocation alloc)
{
    if (VKM_UNLIKELY(a->corruption.fill))
        vkm_corruption_fill(a, alloc, VKM_FILL_PATTERN_DESTROYED);
    vkm_tcache *tc = vkm_tcache_enter(a);
    vkm_block_list *l = list_of(a, alloc->pool, alloc->memory_type);
    /* A pool may be destroyed the moment its statistics read empty, which is when the
     * count below drops: the bracket makes vmaDestroyPool wait until we are out of the
     * list (VMA #451). Default lists live as long as the allocator and need none; the
     * bracket is a shared counter, which the cached path must not touch. */
    const bool bracket = alloc->pool != NULL;
    if (bracket)
        vkm_block_list_free_begin(l);
    /* Uncounted before its memory goes (and counted after it came, alloc_pages): a
     * statistics reader never sees allocation bytes its blocks do not hold. */
    vkm_tcache_count(tc, l, -1, -(int64_t)alloc->size);
    bool retire = false;
    if (alloc->type == VKM_ALLOC_BLOCK)
        retire = free_block_one(a, tc, l, alloc);
    else
        free_dedicated(a, alloc);
    if (bracket)
        vkm_block_list_free_end(l);
    if (VKM_UNLIKELY(retire)) {
        drop_object(a, tc, alloc, true); /* through our record, which `tc` lends us */
        vkm_tcache_leave(a, tc);
        return;
    }
    vkm_tcache_leave(a, tc);
    vkm_allocation_delete(a, alloc);
}

/* ------------------------------------------------------------------------------------ */
/* Mapping                                                                               */

VkResult
vkm_allocator_map(VmaAllocator a, VmaAllocation alloc, void **out)
{
    *out = NULL;
    if (!vkm_memtype_is_host_visible(&a->mt, alloc->memory_type))
        return VK_ERROR_MEMORY_MAP_FAILED;
    if (!(alloc->flags & VKM_ALLOC_FLAG_MAPPING_ALLOWED)) {
        vkm_api_assert(false, "allocation: mapping needs VMA_ALLOCATION_CREATE_HOST_ACCESS_* "
                              "when created with VMA_MEMORY_USAGE_AUTO*");
        return VK_ERROR_MEMORY_MAP_FAILED;
    }
    if (alloc->type == VKM_ALLOC_BLOCK) {
        void *base = NULL;
        VkResult res = vkm_block_map(alloc->u.b.block, a->device, &a->funcs.vk, 1, &base);
        if (res != VK_SUCCESS)
            return res;
        vkm_atomic_fetch_add_u32_relaxed(&alloc->xmap_count, 1);
        *out = (char *)base + alloc->offset;
        return VK_SUCCESS;
    }
    vkm_mutex *m = vkm_allocator_map_lock(a, alloc);
    VkResult res = VK_SUCCESS;
    vkm_mutex_lock(m);
    if (vkm_atomic_load_u32_relaxed(&alloc->xmap_count) == 0) {
        void *p = NULL;
        res = a->funcs.vk.vkMapMemory(a->device, alloc->u.d.memory, 0, VK_WHOLE_SIZE, 0, &p);
        if (res == VK_SUCCESS)
            alloc->u.d.mapped = p;
    }
    if (res == VK_SUCCESS) {
        vkm_atomic_fetch_add_u32_relaxed(&alloc->xmap_count, 1);
        *out = alloc->u.d.mapped;
    }
    vkm_mutex_unlock(m);
    return res;
}

void
vkm_allocator_unmap(VmaAllocator a, VmaAllocation alloc)
{
    const uint32_t floor = (alloc->flags & VKM_ALLOC_FLAG_PERSISTENT_MAP) ? 1u : 0u;
    if (alloc->type == VKM_ALLOC_BLOCK) {
        uint32_t c = vkm_atomic_load_u32_relaxed(&alloc->xmap_count);
        do {
            if (c <= floor) {
                vkm_api_assert(false, "allocation was not mapped with vmaMapMemory");
                return;
            }
        } while (!vkm_atomic_cas_u32_relaxed(&alloc->xmap_count, &c, c - 1));
        vkm_block_unmap(alloc->u.b.block, a->device, &a->funcs.vk, 1);
        return;
    }
    vkm_mutex *m = vkm_allocator_map_lock(a, alloc);
    vkm_mutex_lock(m);
    uint32_t c = vkm_atomic_load_u32_relaxed(&alloc->xmap_count);
    if (c <= floor) {
        vkm_mutex_unlock(m);
        vkm_api_assert(false, "allocation was not mapped with vmaMapMemory");
        return;
    }
    vkm_atomic_store_u32_relaxed(&alloc->xmap_count, c - 1);
    if (c == 1) {
        alloc->u.d.mapped = NULL;
        a->funcs.vk.vkUnmapMemory(a->device, alloc->u.d.memory);
    }
    vkm_mutex_unlock(m);
}

/* The range VMA documents for flush/invalidate: offset rounded down and size up to
 * nonCoherentAtomSize, clamped to the allocation (dedicated) or to the block. Returns
 * false when nothing needs doing (coherent memory or size 0). */
static bool
flush_range(VmaAllocator a, VmaAllocation alloc, VkDeviceSize offset, VkDeviceSize size,
            VkMappedMemoryRange *r)
{
    if (size == 0 || !vkm_memtype_is_non_coherent(&a->mt, alloc->memory_type))
        return false;
    const VkDeviceSize atom =
        a->pd_props.limits.nonCoherentAtomSize ? a->pd_props.limits.nonCoherentAtomSize : 1;
    if (offset > alloc->size)
        offset = alloc->size;
    if (size == VK_WHOLE_SIZE || size > alloc->size - offset)
        size = alloc->size - offset;
    VkDeviceSize start = offset / atom * atom;
    VkDeviceSize len = (size + (offset - start) + atom - 1) / atom * atom;
    VkDeviceSize limit;
    if (alloc->type == VKM_ALLOC_DEDICATED) {
        limit = alloc->size;
    } else {
        start += alloc->offset; /* block allocations in such types are atom-aligned */
        limit = alloc->u.b.block->size;
    }
    if (len > limit - start)
        len = limit - start;
    *r = (VkMappedMemoryRange){
        .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
        .memory = vkm_allocation_memory(alloc),
        .offset = start,
        .size = len,
    };
    return true;
}

VkResult
vkm_allocator_flush_or_invalidate(VmaAllocator a, uint32_t count, const VmaAllocation *allocs,
                                  const VkDeviceSize *offsets, const VkDeviceSize *sizes,
                                  bool invalidate)
{
    VkMappedMemoryRange local[16];
    VkMappedMemoryRange *ranges = local;
    if (count > VKM_ARRAY_LEN(local)) {
        ranges = vkm_host_new_array(&a->ha, VkMappedMemoryRange, count);
        if (ranges == NULL)
            return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (allocs[i] == NULL)
            continue;
        VkDeviceSize off = offsets ? offsets[i] : 0;
        VkDeviceSize sz = sizes ? sizes[i] : VK_WHOLE_SIZE;
        if (flush_range(a, allocs[i], off, sz, &ranges[n]))
            n++;
    }
    VkResult res = VK_SUCCESS;
    if (n > 0)
        res = invalidate ? a->funcs.vk.vkInvalidateMappedMemoryRanges(a->device, n, ranges)
                         : a->funcs.vk.vkFlushMappedMemoryRanges(a->device, n, ranges);
    if (ranges != local)
        vkm_host_delete_array(&a->ha, VkMappedMemoryRange, ranges, count);
    return res;
}

/* ------------------------------------------------------------------------------------ */
/* Statistics                                                                            */

void
vkm_allocator_calculate_statistics(VmaAllocator a, VmaTotalStatistics *out)
{
    vkm_stats_clear_detailed(&out->total);
    for (uint32_t i = 0; i < VK_MAX_MEMORY_TYPES; i++)
        vkm_stats_clear_detailed(&out->memoryType[i]);
    for (uint32_t i = 0; i < VK_MAX_MEMORY_HEAPS; i++)
        vkm_stats_clear_detailed(&out->memoryHeap[i]);

    const uint32_t types = a->mem_props.memoryTypeCount;
    vkm_tcache *tc = vkm_tcache_enter_reader(a);
    for (uint32_t t = 0; t < types; t++) {
        if (a->default_lists[t] != NULL)
            vkm_block_list_add_stats(a->default_lists[t], tc->rec, vkm_tcache_expand_range,
                                     &out->memoryType[t]);
        vkm_dedicated_list_add_stats(&a->dedicated[t], &out->memoryType[t]);
    }
    vkm_rwlock_rdlock(&a->pools_lock);
    for (VmaPool p = a->pools; p != NULL; p = p->next)
        vkm_pool_add_stats(p, tc->rec, &out->memoryType[p->info.memoryTypeIndex]);
    vkm_rwlock_unlock(&a->pools_lock);
    vkm_tcache_leave(a, tc);

    for (uint32_t t = 0; t < types; t++)
        vkm_stats_add_detailed(&out->memoryHeap[vkm_allocator_heap_of(a, t)], &out->memoryType[t]);
    for (uint32_t h = 0; h < a->mem_props.memoryHeapCount; h++)
        vkm_stats_add_detailed(&out->total, &out->memoryHeap[h]);
}

void
vkm_allocator_heap_budgets(VmaAllocator a, VmaBudget *out)
{
    const uint32_t heaps = a->mem_props.memoryHeapCount;
    vkm_budget_get(&a->budget, &a->funcs, a->physical_device, 0, heaps, out);
    uint64_t count[VK_MAX_MEMORY_HEAPS], bytes[VK_MAX_MEMORY_HEAPS];
    vkm_tcache_heap_totals(a, count, bytes);
    for (uint32_t h = 0; h < heaps; h++) {
        out[h].statistics.allocationCount = (uint32_t)count[h];
        out[h].statistics.allocationBytes = bytes[h];
    }
}

void
vkm_allocator_trim_thread_cache(VmaAllocator a, bool all)
{
    vkm_tcache *tc = vkm_tcache_peek(a);
    if (tc != NULL) {
        vkm_tcache_claim(tc);
        vkm_tcache_trim(tc, all);
        vkm_tcache_unclaim(tc);
    }
}

bool
vkm_allocator_owns(VmaAllocator a, VmaAllocation alloc)
{
    return alloc->magic == VKM_ALLOCATION_MAGIC && alloc->allocator == a;
}

/* Read-only accessors for the L4 files that need nothing else of the allocator. */
const vkm_memtype_info *
vkm_allocator_memtype_info(VmaAllocator a)
{
    return &a->mt;
}

const vkm_vkfuncs *
vkm_allocator_vkfuncs(VmaAllocator a)
{
    return &a->funcs;
}

VkDevice
vkm_allocator_device(VmaAllocator a)
{
    return a->device;
}

const VkAllocationCallbacks *
vkm_allocator_vk_callbacks(VmaAllocator a)
{
    return a->vk_callbacks;
}
