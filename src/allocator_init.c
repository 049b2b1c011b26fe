/* SPDX-License-Identifier: MIT */
/*
 * allocator_init.c - creating and destroying a VmaAllocator (layer L3).
 *
 * Creation reads the device's properties once through the dispatch table, applies
 * pHeapSizeLimit to the reported heap sizes (so every later decision sees the limited
 * heap, as VMA documents), decides which extensions are in use from the flags and the
 * API version, and makes the empty default block lists. Destruction reclaims whatever
 * the application leaked and reports it in debug builds.
 */
#include "allocation.h"
#include "allocator.h"
#include "block_list.h"
#include "epoch.h"
#include "tcache.h"
#include "debug.h"
#include "pool.h"

#include <stdio.h>
#include <string.h>

static void
apply_heap_limits(VmaAllocator a, const VkDeviceSize *limits)
{
    if (limits == NULL)
        return;
    for (uint32_t h = 0; h < a->mem_props.memoryHeapCount; h++) {
        VkDeviceSize lim = limits[h];
        if (lim == VK_WHOLE_SIZE)
            continue;
        /* A limit only lowers the heap: one above its real size caps at the real size,
         * as in VMA (the heap cannot hold more than it has). */
        if (lim < a->mem_props.memoryHeaps[h].size)
            a->mem_props.memoryHeaps[h].size = lim;
        a->heap_limit[h] = a->mem_props.memoryHeaps[h].size;
    }
}

static VkResult
create_default_lists(VmaAllocator a)
{
    for (uint32_t t = 0; t < a->mem_props.memoryTypeCount; t++) {
        vkm_dedicated_list_init(&a->dedicated[t]);
        if (!(a->mt.global_type_bits & (1u << t)))
            continue;
        vkm_block_list_params p = {
            .memory_type = t,
            .preferred_block_size = vkm_allocator_preferred_block_size(a, t),
            .explicit_block_size = false,
            .min_block_count = 0,
            .max_block_count = SIZE_MAX,
            .min_alignment = vkm_allocator_type_min_alignment(a, t),
            .priority = 0.5f,
            .memory_allocate_next = NULL,
            .pool = NULL,
            .locking = a->use_mutex,
        };
        VkResult res = vkm_block_list_create(a, &p, &a->default_lists[t]);
        if (res != VK_SUCCESS)
            return res;
        vkm_tcache_register_list(a, a->default_lists[t]);
    }
    return VK_SUCCESS;
}

static void
destroy_default_lists(VmaAllocator a)
{
    for (uint32_t t = 0; t < a->mem_props.memoryTypeCount; t++) {
        vkm_block_list_destroy(a->default_lists[t], true);
        a->default_lists[t] = NULL;
        vkm_dedicated_list_finish(&a->dedicated[t]);
    }
}

VkResult
vkm_allocator_create(const VmaAllocatorCreateInfo *ci, VmaAllocator *out)
{
    VkResult res;
    vkm_host_alloc ha;
    *out = NULL;
    res = vkm_host_alloc_init(&ha, ci->pAllocationCallbacks);
    if (res != VK_SUCCESS)
        return res;
    VmaAllocator a = vkm_host_new(&ha, struct VmaAllocator_T);
    if (a == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    a->magic = VKM_ALLOCATOR_MAGIC;
    a->ha = ha;
    if (ci->pAllocationCallbacks != NULL) {
        a->vk_callbacks_copy = *ci->pAllocationCallbacks;
        a->vk_callbacks = &a->vk_callbacks_copy;
    }
    a->flags = ci->flags;
    a->instance = ci->instance;
    a->physical_device = ci->physicalDevice;
    a->device = ci->device;
    a->api_version = vkm_vkfuncs_api_version(ci->vulkanApiVersion);
    a->use_mutex = !(ci->flags & VMA_ALLOCATOR_CREATE_EXTERNALLY_SYNCHRONIZED_BIT);
    a->preferred_large_heap_block_size = ci->preferredLargeHeapBlockSize
                                             ? ci->preferredLargeHeapBlockSize
                                             : VKM_DEFAULT_LARGE_HEAP_BLOCK_SIZE;
    if (ci->pDeviceMemoryCallbacks != NULL)
        a->dm_callbacks = *ci->pDeviceMemoryCallbacks;

    const bool v11 = a->api_version >= VK_API_VERSION_1_1;
    const VmaAllocatorCreateFlags f = vkm_vkfuncs_effective_flags(ci->flags, a->api_version);
    a->use_khr_dedicated = v11 || (f & VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT);
    a->use_bind_memory2 = v11 || (f & VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT);
    a->use_ext_memory_budget = (f & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT) != 0;
    a->use_bda = (f & VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT) != 0;
    a->use_ext_memory_priority = (f & VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT) != 0;
    a->use_maintenance4 = (f & VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT) != 0;
    a->use_maintenance5 = (f & VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT) != 0;

    res = vkm_vkfuncs_init(&a->funcs, ci);
    if (res != VK_SUCCESS)
        goto fail_funcs;

    a->funcs.vk.vkGetPhysicalDeviceProperties(a->physical_device, &a->pd_props);
    a->funcs.vk.vkGetPhysicalDeviceMemoryProperties(a->physical_device, &a->mem_props);
    if (a->pd_props.limits.maxMemoryAllocationCount == 0)
        a->pd_props.limits.maxMemoryAllocationCount = UINT32_MAX;
    apply_heap_limits(a, ci->pHeapSizeLimit);
    if (ci->pTypeExternalMemoryHandleTypes != NULL)
        memcpy(a->external_handle_types, ci->pTypeExternalMemoryHandleTypes,
               sizeof(VkExternalMemoryHandleTypeFlagsKHR) * a->mem_props.memoryTypeCount);
    vkm_memtype_info_init(&a->mt, &a->pd_props, &a->mem_props, ci->flags);
    vkm_corruption_init(a);

    vkm_budget_init(&a->budget, &a->mem_props, a->use_ext_memory_budget);
    vkm_atomic_init_u32(&a->xdevice_memory_count, 0);
    vkm_atomic_init_u32(&a->xframe_index, 0);
    vkm_rwlock_init(&a->pools_lock);
    vkm_mutex_init_recursive(&a->global_lock); /* callbacks may re-enter (lock.h) */
    for (uint32_t i = 0; i < VKM_MAP_LOCK_STRIPES; i++)
        vkm_mutex_init(&a->map_locks[i]);
    /* Thread caches need locks that EXTERNALLY_SYNCHRONIZED promises we can skip, and
     * the single-mutex build is the no-cache baseline. */
    a->use_caches = !VKM_SINGLE_MUTEX && a->use_mutex;
    res = VK_ERROR_OUT_OF_HOST_MEMORY;
    a->epoch = vkm_epoch_create(&a->ha);
    if (a->epoch == NULL)
        goto fail_epoch;
    res = vkm_tcache_shared_init(a);
    if (res != VK_SUCCESS)
        goto fail_tcache;
    res = create_default_lists(a);
    if (res != VK_SUCCESS)
        goto fail_lists;
    vkm_thread_owner_register(&a->owner);
    vkm_budget_fetch(&a->budget, &a->funcs, a->physical_device);
    *out = a;
    return VK_SUCCESS;

fail_lists:
    destroy_default_lists(a);
    vkm_tcache_shared_finish(a);
fail_tcache:
    vkm_epoch_destroy(a->epoch);
fail_epoch:
    for (uint32_t i = 0; i < VKM_MAP_LOCK_STRIPES; i++)
        vkm_mutex_destroy(&a->map_locks[i]);
    vkm_mutex_destroy(&a->global_lock);
    vkm_rwlock_destroy(&a->pools_lock);
    vkm_budget_finish(&a->budget);
    vkm_corruption_finish(a);
fail_funcs:
    a->magic = 0;
    vkm_host_delete(&ha, struct VmaAllocator_T, a);
    return res;
}

static void
free_leaked_dedicated(void *ctx, VmaAllocation alloc)
{
    VmaAllocator a = ctx;
    vkm_allocator_free_device_memory(a, alloc->memory_type, alloc->size, alloc->u.d.memory);
}

void
vkm_allocator_destroy(VmaAllocator a)
{
    /* Pools the application forgot: VMA asserts; we reclaim and report. */
    while (a->pools != NULL) {
        if (vkm_config_api_asserts)
            fprintf(stderr, "vkmalloc: pool %u was not destroyed before vmaDestroyAllocator\n",
                    a->pools->id);
        vkm_pool_destroy(a, a->pools);
    }
    for (uint32_t t = 0; t < a->mem_props.memoryTypeCount; t++) {
        uint32_t n = vkm_dedicated_list_count(&a->dedicated[t]);
        if (n != 0 && vkm_config_api_asserts)
            fprintf(stderr,
                    "vkmalloc: %u dedicated allocation(s) of memory type %u were not "
                    "freed before vmaDestroyAllocator\n",
                    n, t);
        vkm_dedicated_list_visit(&a->dedicated[t], free_leaked_dedicated, a);
    }
    /* Caches of threads still alive: their thread-exit hooks stop running for this
     * allocator here, and their stale thread slots are recognised by the generation. */
    vkm_thread_owner_unregister(&a->owner);
    vkm_thread_clear(a);
    vkm_tcache_shared_finish(a);
    vkm_epoch_destroy(a->epoch); /* runs every deferred free */
    destroy_default_lists(a);
    for (uint32_t i = 0; i < VKM_MAP_LOCK_STRIPES; i++)
        vkm_mutex_destroy(&a->map_locks[i]);
    vkm_mutex_destroy(&a->global_lock);
    vkm_rwlock_destroy(&a->pools_lock);
    vkm_budget_finish(&a->budget);
    vkm_corruption_finish(a);
    vkm_host_alloc ha = a->ha;
    a->magic = 0;
    vkm_host_delete(&ha, struct VmaAllocator_T, a);
}
