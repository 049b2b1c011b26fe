/* SPDX-License-Identifier: MIT */
/*
 * virtual.c - virtual blocks over tlsf.c or linear.c (layer L3).
 *
 * Nothing clever: each operation dispatches on the block's algorithm. The block struct is
 * allocated from the vkm_host_alloc it then holds, so the range allocator, which keeps a
 * pointer to that vkm_host_alloc, finds it at a stable address; destruction copies it out
 * before freeing the struct.
 */
#include "virtual.h"

#include <string.h>

#include "debug.h"

VkResult
vkm_virtual_create(const VmaVirtualBlockCreateInfo *ci, VmaVirtualBlock *out)
{
    *out = VK_NULL_HANDLE;
    vkm_host_alloc ha;
    VkResult res = vkm_host_alloc_init(&ha, ci->pAllocationCallbacks);
    if (res != VK_SUCCESS)
        return res;
    VmaVirtualBlock b = vkm_host_new(&ha, struct VmaVirtualBlock_T);
    if (b == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    b->ha = ha;
    b->size = ci->size;
    b->linear = (ci->flags & VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT) != 0;
    vkm_range_status st = b->linear ? vkm_linear_create(&b->ha, ci->size, 1, &b->u.lin)
                                    : vkm_tlsf_create(&b->ha, ci->size, 1, &b->u.tlsf);
    if (st != VKM_RANGE_OK) {
        vkm_host_delete(&ha, struct VmaVirtualBlock_T, b);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    b->magic = VKM_VIRTUAL_MAGIC;
    *out = b;
    return VK_SUCCESS;
}

void
vkm_virtual_destroy(VmaVirtualBlock b)
{
    if (b->linear)
        vkm_linear_destroy(b->u.lin);
    else
        vkm_tlsf_destroy(b->u.tlsf);
    b->magic = 0;
    vkm_host_alloc ha = b->ha;
    vkm_host_delete(&ha, struct VmaVirtualBlock_T, b);
}

bool
vkm_virtual_is_live(VmaVirtualBlock b, VmaVirtualAllocation h)
{
    if (h == VK_NULL_HANDLE)
        return false;
    uint64_t off = vkm_virtual_offset(h);
    if (off >= b->size)
        return false;
    return b->linear ? vkm_linear_contains(b->u.lin, off) : vkm_tlsf_contains(b->u.tlsf, off);
}

/* VMA's virtual blocks read the strategy bits in this order of precedence. */
static vkm_range_strategy
strategy_of(VmaVirtualAllocationCreateFlags flags)
{
    if (flags & VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT)
        return VKM_RANGE_STRATEGY_MIN_TIME;
    if (flags & VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT)
        return VKM_RANGE_STRATEGY_MIN_MEMORY;
    if (flags & VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT)
        return VKM_RANGE_STRATEGY_MIN_OFFSET;
    return VKM_RANGE_STRATEGY_DEFAULT;
}

VkResult
vkm_virtual_alloc(VmaVirtualBlock b, uint64_t size, uint64_t alignment,
                  VmaVirtualAllocationCreateFlags flags, void *user, uint64_t *out_offset)
{
    *out_offset = VKM_NO_OFFSET;
    const vkm_range_request req = {
        .size = size,
        .alignment = alignment,
        .kind = VKM_RANGE_UNKNOWN,
        .strategy = strategy_of(flags),
        .user = user,
        .upper = (flags & VMA_VIRTUAL_ALLOCATION_CREATE_UPPER_ADDRESS_BIT) != 0,
    };
    vkm_assert(!req.upper || b->linear);
    if (size > b->size)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    vkm_range_status st = b->linear ? vkm_linear_alloc(b->u.lin, &req, out_offset)
                                    : vkm_tlsf_alloc(b->u.tlsf, &req, out_offset);
    switch (st) {
    case VKM_RANGE_OK:
        return VK_SUCCESS;
    case VKM_RANGE_NO_HOST_MEMORY:
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    case VKM_RANGE_NO_SPACE:
    default:
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
}

void
vkm_virtual_free(VmaVirtualBlock b, VmaVirtualAllocation h)
{
    uint64_t off = vkm_virtual_offset(h);
    if (b->linear)
        vkm_linear_free(b->u.lin, off);
    else
        vkm_tlsf_free(b->u.tlsf, off);
}

void
vkm_virtual_get_info(VmaVirtualBlock b, VmaVirtualAllocation h, VmaVirtualAllocationInfo *out)
{
    uint64_t off = vkm_virtual_offset(h);
    out->offset = off;
    if (b->linear) {
        out->size = vkm_linear_size_of(b->u.lin, off);
        out->pUserData = vkm_linear_user(b->u.lin, off);
    } else {
        out->size = vkm_tlsf_size_of(b->u.tlsf, off);
        out->pUserData = vkm_tlsf_user(b->u.tlsf, off);
    }
}

void
vkm_virtual_set_user(VmaVirtualBlock b, VmaVirtualAllocation h, void *user)
{
    uint64_t off = vkm_virtual_offset(h);
    if (b->linear)
        vkm_linear_set_user(b->u.lin, off, user);
    else
        vkm_tlsf_set_user(b->u.tlsf, off, user);
}

void
vkm_virtual_clear(VmaVirtualBlock b)
{
    if (b->linear)
        vkm_linear_clear(b->u.lin);
    else
        vkm_tlsf_clear(b->u.tlsf);
}

uint32_t
vkm_virtual_alloc_count(VmaVirtualBlock b)
{
    return b->linear ? vkm_linear_alloc_count(b->u.lin) : vkm_tlsf_alloc_count(b->u.tlsf);
}

bool
vkm_virtual_is_empty(VmaVirtualBlock b)
{
    return vkm_virtual_alloc_count(b) == 0;
}

void
vkm_virtual_stats(VmaVirtualBlock b, VmaStatistics *out)
{
    uint64_t free_bytes =
        b->linear ? vkm_linear_free_bytes(b->u.lin) : vkm_tlsf_free_bytes(b->u.tlsf);
    out->blockCount = 1;
    out->allocationCount = vkm_virtual_alloc_count(b);
    out->blockBytes = b->size;
    out->allocationBytes = b->size - free_bytes;
}

void
vkm_virtual_detailed_stats(VmaVirtualBlock b, VmaDetailedStatistics *out)
{
    vkm_range_stats rs;
    if (b->linear)
        vkm_linear_stats(b->u.lin, &rs);
    else
        vkm_tlsf_stats(b->u.tlsf, &rs);
    out->statistics.blockCount = 1;
    out->statistics.allocationCount = rs.alloc_count;
    out->statistics.blockBytes = b->size;
    out->statistics.allocationBytes = rs.alloc_bytes;
    out->unusedRangeCount = rs.free_count;
    out->allocationSizeMin = rs.alloc_count ? rs.alloc_min : VK_WHOLE_SIZE;
    out->allocationSizeMax = rs.alloc_count ? rs.alloc_max : 0;
    out->unusedRangeSizeMin = rs.free_count ? rs.free_min : VK_WHOLE_SIZE;
    out->unusedRangeSizeMax = rs.free_count ? rs.free_max : 0;
}

const char *
vkm_virtual_algorithm(VmaVirtualBlock b)
{
    return b->linear ? "Linear" : "TLSF";
}

void
vkm_virtual_visit(VmaVirtualBlock b, vkm_range_visit_fn fn, void *ctx)
{
    if (b->linear)
        vkm_linear_visit(b->u.lin, fn, ctx);
    else
        vkm_tlsf_visit(b->u.tlsf, fn, ctx);
}
