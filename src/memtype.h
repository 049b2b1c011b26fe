/* SPDX-License-Identifier: MIT */
/*
 * memtype.h - choosing a memory type for an allocation (layer L2).
 *
 * Owns: the device's memory layout as the allocator sees it (vkm_memtype_info, built
 * once in vmaCreateAllocator, immutable afterwards, so any thread reads it without a
 * lock) and the rules of VMA 3.3 that turn a VmaAllocationCreateInfo plus what is known
 * of the resource into a ranked list of memory types. Called by vmaFindMemoryTypeIndex*,
 * by the allocation path (every vmaAllocateMemory* / vmaCreateBuffer* / vmaCreateImage*)
 * and by pool creation checks.
 *
 * The rules, in short (VMA 3.3's documented behaviour, checked against its code):
 *  - The usable types are memory_type_bits & global_type_bits & ci->memoryTypeBits (the
 *    last only when non-zero). global_type_bits drops DEVICE_COHERENT_AMD types unless
 *    the allocator was created with VMA_ALLOCATOR_CREATE_AMD_DEVICE_COHERENT_MEMORY_BIT.
 *  - The usage and host-access flags add to ci->requiredFlags / preferredFlags and
 *    produce a set of "not preferred" flags (table in memtype.c). A type qualifies when
 *    it has every required flag; its cost is the number of preferred flags it lacks plus
 *    the number of not-preferred flags it has. Lowest cost wins, ties go to the lowest
 *    index. DEVICE_UNCACHED_AMD is not preferred unless ci mentions an AMD flag.
 *  - Lazily-allocated and protected types get no special treatment: VMA has none. The
 *    driver's memoryTypeBits already keeps them away from resources that cannot use
 *    them, and the Vulkan ordering rule (a type whose flags are a subset of another's
 *    comes first) makes plain types win ties.
 *  - The AUTO usages need to know the buffer's or image's usage flags. Without them
 *    (vmaFindMemoryTypeIndex, vmaAllocateMemory, and also vmaAllocateMemoryForBuffer /
 *    ForImage, which VMA treats the same way) selection fails.
 *
 * Errors: selection returns VK_SUCCESS or VK_ERROR_FEATURE_NOT_PRESENT, nothing else.
 * FEATURE_NOT_PRESENT means "no type fits" (VMA's code) and is also what we return
 * where VMA 3.3 only asserts: an AUTO usage without resource usage flags (VMA asserts
 * and returns it too), an unknown VmaMemoryUsage value (VMA asserts and carries on),
 * and the contradictory flag combinations vkm_memtype_check_flags() rejects (VMA
 * asserts on the allocation path and carries on; it returns FEATURE_NOT_PRESENT for its
 * own contradictory-flag case, DEDICATED with NEVER_ALLOCATE). Debug builds raise an API
 * assert naming the argument first.
 *
 * Not known here: pools (a pool fixes its type; vmaFindMemoryTypeIndex ignores
 * ci->pool as VMA does), budgets, dedicated-allocation decisions, whether vkAllocateMemory
 * will succeed (the allocator walks vkm_memtype_candidates() for that).
 */
#ifndef VKM_MEMTYPE_H
#define VKM_MEMTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "atomics.h"
#include "common.h"

typedef struct vkm_memtype_info { /* built once per allocator, immutable afterwards */
    VkPhysicalDeviceMemoryProperties props;
    VkPhysicalDeviceType device_type;
    uint32_t global_type_bits; /* types usable at all (bit i < memoryTypeCount) */
    VkDeviceSize non_coherent_atom_size;
    VkDeviceSize buffer_image_granularity;
    /* VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT: buffer usage may come from
     * VkBufferUsageFlags2CreateInfoKHR (see vkm_memtype_buffer_usage). */
    bool use_maintenance5;
} vkm_memtype_info;

void vkm_memtype_info_init(vkm_memtype_info *mi, const VkPhysicalDeviceProperties *pdp,
                           const VkPhysicalDeviceMemoryProperties *mp,
                           VmaAllocatorCreateFlags allocator_flags);

typedef enum vkm_resource_class {
    VKM_RESOURCE_NONE = 0, /* no buffer/image create info: vmaFindMemoryTypeIndex,
                              vmaAllocateMemory, vmaAllocateMemoryForBuffer/Image */
    VKM_RESOURCE_BUFFER, /* vmaCreateBuffer*, vmaFindMemoryTypeIndexForBufferInfo */
    VKM_RESOURCE_IMAGE /* vmaCreateImage, vmaFindMemoryTypeIndexForImageInfo */
} vkm_resource_class;

typedef struct vkm_memtype_request {
    const VmaAllocationCreateInfo *ci; /* not NULL */
    vkm_resource_class resource;
    /* VkBufferUsageFlags(2) or VkImageUsageFlags of the resource; ignored (treated as
     * unknown) with VKM_RESOURCE_NONE. 64 bits because VK_KHR_maintenance5 buffer usage
     * is. Only "anything besides TRANSFER_SRC/DST?" matters to the rules. */
    VkFlags64 buffer_or_image_usage;
} vkm_memtype_request;

/* Best type in memory_type_bits (the caller's pool/resource bits; global_type_bits and
 * ci->memoryTypeBits are applied here). VK_SUCCESS or VK_ERROR_FEATURE_NOT_PRESENT; on
 * failure *out_type_index is UINT32_MAX. */
VkResult vkm_memtype_find(const vkm_memtype_info *mi, uint32_t memory_type_bits,
                          const vkm_memtype_request *req, uint32_t *out_type_index);

/* All acceptable types best-first: the order the allocator tries them in when
 * vkAllocateMemory fails on the better ones (VMA retries the best of the remaining types
 * each time, which is this order). out_types[0] is what vkm_memtype_find returns.
 * Returns the count written; 0 where vkm_memtype_find fails. */
uint32_t vkm_memtype_candidates(const vkm_memtype_info *mi, uint32_t memory_type_bits,
                                const vkm_memtype_request *req,
                                uint32_t out_types[VK_MAX_MEMORY_TYPES]);

/*
 * The candidate cache. vkm_memtype_candidates() depends on the immutable layout and on
 * the request alone - never on budgets or on what is allocated - so the answer for a
 * request can be kept. What of the request counts is the key: the usable type bits,
 * usage, required and preferred flags, and for the AUTO usages the host-access flags and
 * what the resource usage says (known at all; anything besides transfer). Two requests
 * with equal keys get equal lists from vkm_memtype_candidates().
 *
 * One cache per allocator (VmaAllocator_T::mt_cache), read by every thread without a
 * lock: an entry goes EMPTY -> CLAIMED -> READY exactly once (the claiming thread writes
 * key and list, then publishes), and is never changed or removed while the allocator
 * lives. So a lookup only reads shared lines; a miss writes one entry once. A full probe
 * sequence simply stops caching new keys. Failed selections are never cached: their
 * debug asserts fire on every call, as before.
 */
#define VKM_MEMTYPE_CACHE_ENTRIES 64u /* power of two */
#define VKM_MEMTYPE_CACHE_PROBES 8u

typedef struct vkm_memtype_list {
    uint32_t count;
    uint8_t types[VK_MAX_MEMORY_TYPES]; /* best first, as vkm_memtype_candidates */
} vkm_memtype_list;

typedef struct vkm_memtype_key {
    uint32_t bits;  /* usable types: resource bits & global bits & ci->memoryTypeBits */
    uint32_t usage; /* VmaMemoryUsage */
    uint32_t required, preferred;
    uint32_t extra; /* AUTO usages only: HOST_ACCESS_* flags | resource-usage bits */
} vkm_memtype_key;

typedef struct vkm_memtype_cache_entry {
    _Alignas(VKM_CACHE_LINE) vkm_atomic_u32 xstate; /* any thread: EMPTY/CLAIMED/READY */
    vkm_memtype_key key;   /* written by the claiming thread before READY, then immutable */
    vkm_memtype_list list; /* likewise */
} vkm_memtype_cache_entry;

typedef struct vkm_memtype_cache { /* zero-initialised: every entry EMPTY */
    vkm_memtype_cache_entry e[VKM_MEMTYPE_CACHE_ENTRIES];
} vkm_memtype_cache;

/* vkm_memtype_candidates() through cache `c` (thread-safe): the list for the request,
 * either a cache entry (valid while the allocator lives, never changes) or `scratch`
 * filled in. count 0 where vkm_memtype_candidates returns 0. */
const vkm_memtype_list *vkm_memtype_candidates_cached(const vkm_memtype_info *mi,
                                                      vkm_memtype_cache *c,
                                                      uint32_t memory_type_bits,
                                                      const vkm_memtype_request *req,
                                                      vkm_memtype_list *scratch);

/* Flag contracts VMA asserts on the allocation path (not in vmaFindMemoryTypeIndex*):
 *  - HOST_ACCESS_SEQUENTIAL_WRITE together with HOST_ACCESS_RANDOM;
 *  - HOST_ACCESS_ALLOW_TRANSFER_INSTEAD without either HOST_ACCESS flag;
 *  - MAPPED with an AUTO usage but without a HOST_ACCESS flag.
 * VK_SUCCESS or VK_ERROR_FEATURE_NOT_PRESENT (with an API assert in debug builds). */
VkResult vkm_memtype_check_flags(const VmaAllocationCreateInfo *ci);

/* Whether the allocation may be mapped at all (VMA asserts in vmaMapMemory otherwise):
 * AUTO usages need a HOST_ACCESS flag; any other usage (UNKNOWN included, for custom
 * pools) always may, in a HOST_VISIBLE type. */
bool vkm_memtype_mapping_allowed(const VmaAllocationCreateInfo *ci);

/* Whether an allocation in `type` made with `flags` is persistently mapped: MAPPED_BIT
 * and a HOST_VISIBLE type. On other types VMA ignores MAPPED_BIT (documented), so an
 * ALLOW_TRANSFER_INSTEAD allocation that landed in plain VRAM is simply not mapped. */
bool vkm_memtype_persistently_mapped(const vkm_memtype_info *mi, uint32_t type,
                                     VmaAllocationCreateFlags flags);

/* Usage of a buffer as the rules see it: VkBufferUsageFlags2CreateInfoKHR::usage when
 * maintenance5 is on and the struct is chained, else VkBufferCreateInfo::usage. */
VkFlags64 vkm_memtype_buffer_usage(const vkm_memtype_info *mi, const VkBufferCreateInfo *bci);

static inline VkMemoryPropertyFlags
vkm_memtype_flags(const vkm_memtype_info *mi, uint32_t type)
{
    return mi->props.memoryTypes[type].propertyFlags;
}

static inline uint32_t
vkm_memtype_heap(const vkm_memtype_info *mi, uint32_t type)
{
    return mi->props.memoryTypes[type].heapIndex;
}

static inline bool
vkm_memtype_is_host_visible(const vkm_memtype_info *mi, uint32_t type)
{
    return (vkm_memtype_flags(mi, type) & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0;
}

static inline bool
vkm_memtype_is_coherent(const vkm_memtype_info *mi, uint32_t type)
{
    return (vkm_memtype_flags(mi, type) & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
}

/* HOST_VISIBLE but not HOST_COHERENT: flushes and invalidates are needed, in units of
 * nonCoherentAtomSize. */
static inline bool
vkm_memtype_is_non_coherent(const vkm_memtype_info *mi, uint32_t type)
{
    return vkm_memtype_is_host_visible(mi, type) && !vkm_memtype_is_coherent(mi, type);
}

/* Minimum alignment of every allocation in `type`: nonCoherentAtomSize in non-coherent
 * types (so flushing one allocation never touches a neighbour), else 1. */
static inline VkDeviceSize
vkm_memtype_min_alignment(const vkm_memtype_info *mi, uint32_t type)
{
    return vkm_memtype_is_non_coherent(mi, type) && mi->non_coherent_atom_size > 1
               ? mi->non_coherent_atom_size
               : 1;
}

/* VMA treats only INTEGRATED_GPU as unified memory; CPU and virtual devices count as
 * discrete. */
static inline bool
vkm_memtype_is_integrated(const vkm_memtype_info *mi)
{
    return mi->device_type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU;
}

#endif /* VKM_MEMTYPE_H */
