/* SPDX-License-Identifier: MIT */
#include "budget.h"

#include <string.h>

void
vkm_budget_init(vkm_budget *b, const VkPhysicalDeviceMemoryProperties *props, bool use_ext)
{
    memset(b, 0, sizeof(*b));
    vkm_mutex_init(&b->fetch_lock);
    b->use_ext = use_ext;
    b->heap_count = props->memoryHeapCount;
    for (uint32_t h = 0; h < props->memoryHeapCount; h++) {
        b->heap_size[h] = props->memoryHeaps[h].size;
        /* without the extension: usage = block bytes, budget = 80 % of the heap */
        vkm_atomic_store_u64_relaxed(&b->xbudget[h], b->heap_size[h] * 8 / 10);
    }
}

void
vkm_budget_finish(vkm_budget *b)
{
    vkm_mutex_destroy(&b->fetch_lock);
}

void
vkm_budget_fetch(vkm_budget *b, const vkm_vkfuncs *f, VkPhysicalDevice pd)
{
    if (!b->use_ext || f->vk.vkGetPhysicalDeviceMemoryProperties2KHR == NULL)
        return;
    VkPhysicalDeviceMemoryBudgetPropertiesEXT bp = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
    };
    VkPhysicalDeviceMemoryProperties2 p2 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
        .pNext = &bp,
    };
    f->vk.vkGetPhysicalDeviceMemoryProperties2KHR(pd, &p2);

    vkm_mutex_lock(&b->fetch_lock);
    for (uint32_t h = 0; h < b->heap_count; h++) {
        VkDeviceSize blocks = vkm_atomic_load_u64_relaxed(&b->xblock_bytes[h]);
        VkDeviceSize budget = bp.heapBudget[h];
        VkDeviceSize usage = bp.heapUsage[h];
        /* Drivers have been seen to report 0 or more than the heap: fall back to the
         * same 80 % estimate used without the extension, and clamp. */
        if (budget == 0)
            budget = b->heap_size[h] * 8 / 10;
        if (budget > b->heap_size[h])
            budget = b->heap_size[h];
        if (usage == 0 && blocks > 0)
            usage = blocks;
        b->vk_budget[h] = budget;
        b->vk_usage[h] = usage;
        b->block_bytes_at_fetch[h] = blocks;
        vkm_atomic_store_u64_relaxed(&b->xusage_base[h], usage - blocks);
        vkm_atomic_store_u64_relaxed(&b->xbudget[h], budget);
    }
    vkm_atomic_store_u32_relaxed(&b->xops_since_fetch, 0);
    vkm_mutex_unlock(&b->fetch_lock);
}

void
vkm_budget_get(vkm_budget *b, const vkm_vkfuncs *f, VkPhysicalDevice pd, uint32_t first,
               uint32_t count, VmaBudget *out)
{
    if (b->use_ext && vkm_atomic_load_u32_relaxed(&b->xops_since_fetch) >= VKM_BUDGET_REFRESH_OPS)
        vkm_budget_fetch(b, f, pd);

    if (b->use_ext)
        vkm_mutex_lock(&b->fetch_lock);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t h = first + i;
        VmaBudget *o = &out[i];
        o->statistics.blockCount = vkm_atomic_load_u32_relaxed(&b->xblock_count[h]);
        o->statistics.blockBytes = vkm_atomic_load_u64_relaxed(&b->xcommitted_bytes[h]);
        /* usage counts reservations in flight too: growth decisions stay conservative */
        const VkDeviceSize reserved = vkm_atomic_load_u64_relaxed(&b->xblock_bytes[h]);
        o->statistics.allocationCount = 0;
        o->statistics.allocationBytes = 0;
        if (b->use_ext) {
            /* driver usage at the fetch, moved by what we allocated or freed since */
            VkDeviceSize now = reserved;
            VkDeviceSize then = b->block_bytes_at_fetch[h];
            VkDeviceSize u = b->vk_usage[h];
            o->usage = (u + now > then) ? u + now - then : 0;
            o->budget = b->vk_budget[h] < b->heap_size[h] ? b->vk_budget[h] : b->heap_size[h];
        } else {
            o->usage = reserved;
            o->budget = b->heap_size[h] * 8 / 10;
        }
    }
    if (b->use_ext)
        vkm_mutex_unlock(&b->fetch_lock);
}

bool
vkm_budget_reserve_block(vkm_budget *b, uint32_t heap, VkDeviceSize size, VkDeviceSize limit)
{
    if (limit != 0) {
        uint64_t cur = vkm_atomic_load_u64_relaxed(&b->xblock_bytes[heap]);
        do {
            if (size > limit || cur > limit - size)
                return false;
        } while (!vkm_atomic_cas_u64_relaxed(&b->xblock_bytes[heap], &cur, cur + size));
    } else {
        vkm_atomic_fetch_add_u64_relaxed(&b->xblock_bytes[heap], size);
    }
    return true;
}

void
vkm_budget_commit_block(vkm_budget *b, uint32_t heap, VkDeviceSize size)
{
    vkm_atomic_fetch_add_u32_relaxed(&b->xblock_count[heap], 1);
    vkm_atomic_fetch_add_u64_relaxed(&b->xcommitted_bytes[heap], size);
}

void
vkm_budget_cancel_block(vkm_budget *b, uint32_t heap, VkDeviceSize size)
{
    vkm_atomic_fetch_sub_u64_relaxed(&b->xblock_bytes[heap], size);
}

void
vkm_budget_release_block(vkm_budget *b, uint32_t heap, VkDeviceSize size)
{
    vkm_atomic_fetch_sub_u32_relaxed(&b->xblock_count[heap], 1);
    vkm_atomic_fetch_sub_u64_relaxed(&b->xcommitted_bytes[heap], size);
}
