/* SPDX-License-Identifier: MIT */
/*
 * allocator.h - the VmaAllocator object and the allocation path (layer L3).
 *
 * The allocator owns: the dispatch table, the device's (possibly limited) memory
 * properties, one default block list and one dedicated list per memory type, the list
 * of custom pools, the heap budget counters, and the host allocator everything else
 * draws on. Everything in it is immutable after vmaCreateAllocator except the members
 * marked otherwise.
 *
 * The allocation path (design.md §3): validate -> candidate memory types in preference
 * order -> per type: dedicated when required/preferred/large, else (later: the thread
 * cache) the shared block path of the type's or pool's block list. Thread caches slot in
 * between memory-type choice and vkm_block_list_alloc in vkm_allocator_alloc_of_type.
 */
#ifndef VKM_ALLOCATOR_H
#define VKM_ALLOCATOR_H

#include "atomics.h"
#include "budget.h"
#include "common.h"
#include "corruption.h"
#include "dedicated.h"
#include "host_alloc.h"
#include "lock.h"
#include "memtype.h"
#include "range.h"
#include "thread.h"
#include "vkfuncs.h"

#define VKM_ALLOCATOR_MAGIC 0x564b4d52u /* "VKMR" */
#define VKM_DEFAULT_LARGE_HEAP_BLOCK_SIZE (256ull * 1024 * 1024)
#define VKM_SMALL_HEAP_MAX_SIZE (1024ull * 1024 * 1024)
#define VKM_MAP_LOCK_STRIPES 64u

typedef struct vkm_block_list vkm_block_list;
typedef struct vkm_tcache_shared vkm_tcache_shared;
typedef struct vkm_epoch vkm_epoch;

/* One allocation request after argument checks and flag normalisation. */
typedef struct vkm_alloc_request {
    VkDeviceSize size;
    VkDeviceSize alignment;
    VmaAllocationCreateFlags flags;  /* final flags (implied HOST_ACCESS, DEDICATED, ...) */
    vkm_range_kind kind;
    void *user_data;                 /* or the name with USER_DATA_COPY_STRING_BIT */
    float priority;
    VmaPool pool;
    bool dedicated_required;
    bool dedicated_preferred;
    VkBuffer dedicated_buffer;
    VkImage dedicated_image;
    /* VkBufferUsageFlags(2) / VkImageUsageFlags of the resource of vmaCreateBuffer or
     * vmaCreateImage (and their variants), 0 unknown; kept in the allocation for the JSON
     * dump */
    VkFlags64 buffer_image_usage;
    const void *memory_allocate_next; /* caller's VkMemoryAllocateInfo chain (dedicated) */
} vkm_alloc_request;

struct VmaAllocator_T {
    uint32_t magic;
    vkm_host_alloc ha;
    const VkAllocationCallbacks *vk_callbacks; /* passed to Vulkan; &vk_callbacks_copy or NULL */
    VkAllocationCallbacks vk_callbacks_copy;
    VmaAllocatorCreateFlags flags;
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    uint32_t api_version;                 /* normalized major.minor */
    vkm_vkfuncs funcs;
    VkPhysicalDeviceProperties pd_props;
    VkPhysicalDeviceMemoryProperties mem_props; /* heap sizes after pHeapSizeLimit */
    vkm_memtype_info mt;
    vkm_memtype_cache mt_cache;                   /* any thread: candidate lists (memtype.h) */
    VkDeviceSize heap_limit[VK_MAX_MEMORY_HEAPS]; /* 0: no pHeapSizeLimit for the heap */
    VkDeviceSize preferred_large_heap_block_size;
    VmaDeviceMemoryCallbacks dm_callbacks;
    VkExternalMemoryHandleTypeFlagsKHR external_handle_types[VK_MAX_MEMORY_TYPES];
    bool use_khr_dedicated;
    bool use_bind_memory2;
    bool use_ext_memory_budget;
    bool use_bda;
    bool use_ext_memory_priority;
    bool use_maintenance4;
    bool use_maintenance5;
    bool use_mutex;  /* false with EXTERNALLY_SYNCHRONIZED */

    vkm_budget budget;
    vkm_atomic_u32 xdevice_memory_count; /* live VkDeviceMemory we made */
    vkm_atomic_u32 xframe_index;

    vkm_block_list *default_lists[VK_MAX_MEMORY_TYPES];
    vkm_dedicated_list dedicated[VK_MAX_MEMORY_TYPES];

    vkm_rwlock pools_lock;   /* guards pools list and next_pool_id */
    VmaPool pools;           /* doubly linked, under pools_lock */
    uint32_t next_pool_id;   /* under pools_lock */

    vkm_mutex map_locks[VKM_MAP_LOCK_STRIPES]; /* dedicated-memory map counts, striped */

    vkm_mutex global_lock;   /* single-mutex build: taken by every entry point */

    vkm_thread_owner owner;  /* generation for thread slots; registered while alive */
    vkm_epoch *epoch;        /* lock-free reads of block arrays and runs */
    vkm_tcache_shared *tcs;  /* thread caches, counters (tcache.h) */
    bool use_caches;         /* immutable: runs in thread caches */
    vkm_corruption corruption; /* debug margins and fill (corruption.h) */
};

/* vmaCreateAllocator / vmaDestroyAllocator behind the argument checks (allocator_init.c). */
VkResult vkm_allocator_create(const VmaAllocatorCreateInfo *ci, VmaAllocator *out);
void vkm_allocator_destroy(VmaAllocator a);

/* --- entry-point locking (the single-mutex build's one lock) --- */
#if VKM_SINGLE_MUTEX
#define VKM_API_LOCK(a) vkm_mutex_lock(&(a)->global_lock)
#define VKM_API_UNLOCK(a) vkm_mutex_unlock(&(a)->global_lock)
#else
#define VKM_API_LOCK(a) ((void)(a))
#define VKM_API_UNLOCK(a) ((void)(a))
#endif

static inline uint32_t
vkm_allocator_heap_of(VmaAllocator a, uint32_t memory_type)
{
    return a->mem_props.memoryTypes[memory_type].heapIndex;
}

/* Alignment every allocation in the type gets: nonCoherentAtomSize for host-visible
 * non-coherent types (so flushes of one allocation never touch a neighbour), else 1. */
static inline VkDeviceSize
vkm_allocator_type_min_alignment(VmaAllocator a, uint32_t memory_type)
{
    return vkm_memtype_min_alignment(&a->mt, memory_type);
}

/* VMA's preferred block size for a memory type (heap/8 on small heaps). */
VkDeviceSize vkm_allocator_preferred_block_size(VmaAllocator a, uint32_t memory_type);

static inline vkm_mutex *
vkm_allocator_map_lock(VmaAllocator a, const void *key)
{
    uintptr_t k = (uintptr_t)key;
    return &a->map_locks[(k >> 6 ^ k >> 12) % VKM_MAP_LOCK_STRIPES];
}

/* vkAllocateMemory with heap limits, counters, budget accounting and the user's
 * pfnAllocate callback. `info` is complete (pNext chain included). */
VkResult vkm_allocator_alloc_device_memory(VmaAllocator a, const VkMemoryAllocateInfo *info,
                                           VkDeviceMemory *out);
void vkm_allocator_free_device_memory(VmaAllocator a, uint32_t memory_type, VkDeviceSize size,
                                      VkDeviceMemory memory);

/* Budget of one heap (used by WITHIN_BUDGET and block sizing). */
void vkm_allocator_heap_budget(VmaAllocator a, uint32_t heap, VmaBudget *out);

/* Allocates `count` allocations (all or none). `memory_type_bits` from the resource's
 * requirements. `buffer_image_usage`: the usage of the buffer or image being created with
 * the memory (vmaCreateBuffer, vmaCreateImage and their variants), 0 for memory alone;
 * it steers AUTO* usages and is recorded in the allocations. */
VkResult vkm_allocator_alloc(VmaAllocator a, const VmaAllocationCreateInfo *ci,
                             const VkMemoryRequirements *req, bool dedicated_required,
                             bool dedicated_preferred, VkBuffer dedicated_buffer,
                             VkImage dedicated_image, VkFlags64 buffer_image_usage,
                             vkm_range_kind kind, size_t count, VmaAllocation *out);
/* One dedicated allocation whose VkMemoryAllocateInfo carries `next` (the caller's chain,
 * in place of a pool's pMemoryAllocateNext): vmaAllocateDedicatedMemory and
 * vmaCreateDedicatedBuffer/Image. DEDICATED_MEMORY is implied. */
VkResult vkm_allocator_alloc_dedicated_next(VmaAllocator a, const VmaAllocationCreateInfo *ci,
                                            const VkMemoryRequirements *req,
                                            VkBuffer dedicated_buffer, VkImage dedicated_image,
                                            VkFlags64 buffer_image_usage, vkm_range_kind kind,
                                            const void *next, VmaAllocation *out);
void vkm_allocator_free(VmaAllocator a, VmaAllocation alloc);

/* Maps/unmaps an allocation with reference counting; returns the pointer to its first byte. */
VkResult vkm_allocator_map(VmaAllocator a, VmaAllocation alloc, void **out);
void vkm_allocator_unmap(VmaAllocator a, VmaAllocation alloc);

/* Flush or invalidate [offset, offset+size) of an allocation, rounded to nonCoherentAtomSize
 * and clamped to the memory object, as VMA documents. `invalidate` picks the direction.
 * Coherent memory: no-op, VK_SUCCESS. */
VkResult vkm_allocator_flush_or_invalidate(VmaAllocator a, uint32_t count,
                                           const VmaAllocation *allocs,
                                           const VkDeviceSize *offsets,
                                           const VkDeviceSize *sizes, bool invalidate);

void vkm_allocator_calculate_statistics(VmaAllocator a, VmaTotalStatistics *out);
/* vmaGetHeapBudgets: every heap, allocation figures summed over the threads. */
void vkm_allocator_heap_budgets(VmaAllocator a, VmaBudget *out);
/* Returns the calling thread's cached free memory (vkmFlushThreadCache with `all`,
 * vmaSetCurrentFrameIndex without). No-op for a thread without a cache. */
void vkm_allocator_trim_thread_cache(VmaAllocator a, bool all);

/* Handle sanity (debug): is this an allocation of `a` that is alive? */
bool vkm_allocator_owns(VmaAllocator a, VmaAllocation alloc);

/* Immutable state for the L4 files that need nothing else (api_memtype.c). */
const vkm_memtype_info *vkm_allocator_memtype_info(VmaAllocator a);
const vkm_vkfuncs *vkm_allocator_vkfuncs(VmaAllocator a);
VkDevice vkm_allocator_device(VmaAllocator a);
const VkAllocationCallbacks *vkm_allocator_vk_callbacks(VmaAllocator a);

#endif /* VKM_ALLOCATOR_H */
