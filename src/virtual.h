/* SPDX-License-Identifier: MIT */
/*
 * virtual.h - VMA's virtual blocks: a range allocator over a caller-defined space with no
 * device memory behind it (layer L3).
 *
 * A VmaVirtualBlock owns one range allocator over [0, size): tlsf.h by default, linear.h
 * with VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT. Its metadata, the block struct
 * included, comes from a vkm_host_alloc built from the create info's
 * pAllocationCallbacks (the library's allocator when null). Virtual ranges have no
 * resource kind and no bufferImageGranularity (granularity 1, kind UNKNOWN), as in VMA.
 *
 * Handles: a VmaVirtualAllocation is the range's offset + 1, so it is never
 * VK_NULL_HANDLE, not even for the range at offset 0, and needs no host memory of its
 * own; both range allocators find a range by its offset.
 *
 * Callers: api_virtual.c (after its argument checks), and the JSON writer through
 * vkm_virtual_visit / vkm_virtual_algorithm.
 * Threads: none of its own. VMA makes a virtual block externally synchronized: the
 * program serializes every call on one block (vk_mem_alloc.h says so); distinct blocks
 * share nothing, so they may be used from different threads at once.
 */
#ifndef VKM_VIRTUAL_H
#define VKM_VIRTUAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "host_alloc.h"
#include "linear.h"
#include "range.h"
#include "tlsf.h"

#define VKM_VIRTUAL_MAGIC 0x564b4d56u /* "VKMV" */

struct VmaVirtualBlock_T {
    uint32_t magic; /* VKM_VIRTUAL_MAGIC while alive (debug checks) */
    bool linear;    /* immutable: which range allocator */
    uint64_t size;  /* immutable */
    vkm_host_alloc ha;
    union {
        vkm_tlsf *tlsf;
        vkm_linear *lin;
    } u;
};

static inline VmaVirtualAllocation
vkm_virtual_handle(uint64_t offset)
{
#if VK_USE_64_BIT_PTR_DEFINES
    return (VmaVirtualAllocation)(uintptr_t)(offset + 1u);
#else
    return (VmaVirtualAllocation)(offset + 1u);
#endif
}

/* The offset a handle names; VKM_NO_OFFSET for VK_NULL_HANDLE. */
static inline uint64_t
vkm_virtual_offset(VmaVirtualAllocation h)
{
#if VK_USE_64_BIT_PTR_DEFINES
    return (uint64_t)(uintptr_t)h - 1u;
#else
    return (uint64_t)h - 1u;
#endif
}

/* Creates a block for ci (size > 0, checked by the caller). VK_SUCCESS or
 * VK_ERROR_OUT_OF_HOST_MEMORY (*out = VK_NULL_HANDLE). */
VkResult vkm_virtual_create(const VmaVirtualBlockCreateInfo *ci, VmaVirtualBlock *out);

/* Frees the block and its metadata; live ranges are dropped (the caller reports them). */
void vkm_virtual_destroy(VmaVirtualBlock b);

/* True when `h` names a live range of b. */
bool vkm_virtual_is_live(VmaVirtualBlock b, VmaVirtualAllocation h);

/* Reserves a range: size > 0, alignment a power of two (1 for none), flags as in
 * VmaVirtualAllocationCreateFlagBits. UPPER_ADDRESS needs a linear block (the caller
 * checks). VK_SUCCESS with *out_offset set, VK_ERROR_OUT_OF_DEVICE_MEMORY (no room; VMA's
 * code) or VK_ERROR_OUT_OF_HOST_MEMORY, with *out_offset = VKM_NO_OFFSET. */
VkResult vkm_virtual_alloc(VmaVirtualBlock b, uint64_t size, uint64_t alignment,
                           VmaVirtualAllocationCreateFlags flags, void *user, uint64_t *out_offset);

/* The rest take live handles only (vkm_virtual_is_live). */
void vkm_virtual_free(VmaVirtualBlock b, VmaVirtualAllocation h);
void vkm_virtual_get_info(VmaVirtualBlock b, VmaVirtualAllocation h, VmaVirtualAllocationInfo *out);
void vkm_virtual_set_user(VmaVirtualBlock b, VmaVirtualAllocation h, void *user);

void vkm_virtual_clear(VmaVirtualBlock b);
bool vkm_virtual_is_empty(VmaVirtualBlock b);
uint32_t vkm_virtual_alloc_count(VmaVirtualBlock b);

/* VMA's statistics of a virtual block: one block of the whole size; allocation bytes are
 * the requested sizes; unused ranges are the maximal free ranges (alignment padding and,
 * for the linear algorithm, freed space not yet reclaimed included). The detailed form
 * walks every range. Both overwrite *out. */
void vkm_virtual_stats(VmaVirtualBlock b, VmaStatistics *out);
void vkm_virtual_detailed_stats(VmaVirtualBlock b, VmaDetailedStatistics *out);

/* For the JSON writer: "TLSF" or "Linear", VMA's names for the two algorithms. */
const char *vkm_virtual_algorithm(VmaVirtualBlock b);

/* Calls fn for every range in ascending offset order, allocations and maximal free
 * ranges alike, tiling [0, size): an allocation has kind VKM_RANGE_UNKNOWN and its
 * pUserData as `user`; a free range has kind VKM_RANGE_FREE and user NULL. fn must not
 * change the block. */
void vkm_virtual_visit(VmaVirtualBlock b, vkm_range_visit_fn fn, void *ctx);

#endif /* VKM_VIRTUAL_H */
