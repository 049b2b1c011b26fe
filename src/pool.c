/* SPDX-License-Identifier: MIT */
#include "pool.h"
#include "tcache.h"
#include "allocation.h"
#include "debug.h"
#include "stats.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

VkResult
vkm_pool_create(VmaAllocator a, const VmaPoolCreateInfo *ci, VmaPool *out)
{
    VkResult res;
    *out = NULL;
    VmaPool p = vkm_host_new(&a->ha, struct VmaPool_T);
    if (p == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    p->magic = VKM_POOL_MAGIC;
    p->allocator = a;
    p->info = *ci;
    if (p->info.maxBlockCount == 0)
        p->info.maxBlockCount = SIZE_MAX;
    vkm_dedicated_list_init(&p->dedicated);

    VkDeviceSize type_align = vkm_allocator_type_min_alignment(a, ci->memoryTypeIndex);
    vkm_block_list_params bp = {
        .memory_type = ci->memoryTypeIndex,
        .preferred_block_size = ci->blockSize
                                    ? ci->blockSize
                                    : vkm_allocator_preferred_block_size(a, ci->memoryTypeIndex),
        .explicit_block_size = ci->blockSize != 0,
        .min_block_count = ci->minBlockCount,
        .max_block_count = p->info.maxBlockCount,
        .min_alignment =
            ci->minAllocationAlignment > type_align ? ci->minAllocationAlignment : type_align,
        .priority = ci->priority,
        .memory_allocate_next = ci->pMemoryAllocateNext,
        .pool = p,
        .ignore_granularity =
            (ci->flags & VMA_POOL_CREATE_IGNORE_BUFFER_IMAGE_GRANULARITY_BIT) != 0,
        .linear = (ci->flags & VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT) != 0,
        .locking = a->use_mutex,
    };
    res = vkm_block_list_create(a, &bp, &p->list);
    if (res != VK_SUCCESS)
        goto fail_list;
    vkm_tcache_register_list(a, p->list);
    res = vkm_block_list_create_min_blocks(p->list);
    if (res != VK_SUCCESS)
        goto fail_blocks;

    vkm_rwlock_wrlock(&a->pools_lock);
    p->id = a->next_pool_id++;
    p->prev = NULL;
    p->next = a->pools;
    if (a->pools != NULL)
        a->pools->prev = p;
    a->pools = p;
    vkm_rwlock_unlock(&a->pools_lock);
    *out = p;
    return VK_SUCCESS;

fail_blocks:
    vkm_tcache_unregister_list(a, p->list);
    vkm_block_list_destroy(p->list, true);
fail_list:
    vkm_dedicated_list_finish(&p->dedicated);
    vkm_host_delete(&a->ha, struct VmaPool_T, p);
    return res;
}

static void
free_leaked_dedicated(void *ctx, VmaAllocation alloc)
{
    VmaAllocator a = ctx;
    if (vkm_config_api_asserts)
        fprintf(stderr, "vkmalloc: a dedicated allocation of a pool was not freed before "
                        "vmaDestroyPool\n");
    vkm_allocator_free_device_memory(a, alloc->memory_type, alloc->size, alloc->u.d.memory);
}

void
vkm_pool_destroy(VmaAllocator a, VmaPool p)
{
    vkm_rwlock_wrlock(&a->pools_lock);
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        a->pools = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    vkm_rwlock_unlock(&a->pools_lock);

    /* Frees that made the statistics read empty may still be giving their memory back
     * (VMA #451): wait for them before looking for leftovers. Leftovers are counted
     * through the statistics walk, which sees into other threads' runs (a
     * run with free slots is no leak), before those caches may bury them. Then every
     * cache forgets the list (tcache.h: runs of other threads are never
     * touched here) and its per-thread counters go. */
    vkm_block_list_wait_frees(p->list);
    VmaDetailedStatistics left;
    vkm_stats_clear_detailed(&left);
    vkm_tcache *tc = vkm_tcache_enter_reader(a);
    vkm_block_list_add_stats(p->list, tc->rec, vkm_tcache_expand_range, &left);
    vkm_tcache_leave(a, tc);
    if (left.statistics.allocationCount != 0 && vkm_config_api_asserts)
        fprintf(stderr,
                "vkmalloc: %u allocation(s) in memory type %u were not freed before their "
                "pool was destroyed\n",
                left.statistics.allocationCount, p->info.memoryTypeIndex);
    vkm_tcache_forget_list(a, p->list);
    vkm_dedicated_list_visit(&p->dedicated, free_leaked_dedicated, a);
    vkm_tcache_unregister_list(a, p->list);
    vkm_block_list_destroy(p->list, false);
    vkm_dedicated_list_finish(&p->dedicated);
    vkm_host_alloc_free_str(&a->ha, p->name);
    p->magic = 0;
    vkm_host_delete(&a->ha, struct VmaPool_T, p);
}

void
vkm_pool_add_stats(VmaPool p, vkm_epoch_record *rec, VmaDetailedStatistics *d)
{
    vkm_block_list_add_stats(p->list, rec, vkm_tcache_expand_range, d);
    vkm_dedicated_list_add_stats(&p->dedicated, d);
}

void
vkm_pool_calculate_stats(VmaPool p, VmaDetailedStatistics *d)
{
    vkm_stats_clear_detailed(d);
    vkm_tcache *tc = vkm_tcache_enter_reader(p->allocator);
    vkm_pool_add_stats(p, tc->rec, d);
    vkm_tcache_leave(p->allocator, tc);
}

/* Blocks: the list's and the pool's dedicated allocations (each its own memory).
 * Allocations: the per-thread counters, which count both kinds. An allocation is counted
 * only while its memory exists (counted after it is placed, uncounted before its range or
 * memory goes back), so with the memory held still while the counters are summed, every
 * allocation counted lies in the blocks read: allocationBytes <= blockBytes, as under
 * VMA's lock. Held still: no block made or released (grow_lock), no dedicated allocation
 * made or freed (its list's lock), taken in lock order after the registry lock under
 * which the counters are summed. Reading the blocks before and after the counters, and
 * again when they differed, was not enough: in a pool whose blocks empty and fill again
 * all the time, stress_block_release under TSan read allocationBytes over blockBytes
 * after eight tries. The cost is a wait while a block of the pool is being made, which
 * VMA's readers share. */
void
vkm_pool_add_basic_stats(VmaPool p, VmaStatistics *s)
{
    VmaAllocator a = p->allocator;
    uint64_t count = 0, bytes = 0;
    VmaStatistics blocks = {0};
    VmaDetailedStatistics d;
    vkm_stats_clear_detailed(&d);
    vkm_tcache_registry_lock(a);
    const bool held = vkm_block_list_hold_blocks(p->list);
    vkm_dedicated_list_lock(&p->dedicated);
    vkm_dedicated_list_add_stats_locked(&p->dedicated, &d);
    vkm_block_list_add_block_stats_held(p->list, &blocks);
    vkm_tcache_list_totals_locked(a, p->list, &count, &bytes);
    vkm_dedicated_list_unlock(&p->dedicated);
    vkm_block_list_release_blocks(p->list, held);
    vkm_tcache_registry_unlock(a);
    s->blockCount += blocks.blockCount + d.statistics.blockCount;
    s->blockBytes += blocks.blockBytes + d.statistics.blockBytes;
    s->allocationCount += (uint32_t)count;
    s->allocationBytes += bytes;
}

void
vkm_pool_set_name(VmaPool p, const char *name)
{
    VmaAllocator a = p->allocator;
    char *copy = vkm_host_alloc_strdup(&a->ha, name);
    char *old = p->name;
    p->name = copy;
    vkm_host_alloc_free_str(&a->ha, old);
}

bool
vkm_pool_is_valid(VmaAllocator a, VmaPool pool)
{
    bool found = false;
    vkm_rwlock_rdlock(&a->pools_lock);
    for (VmaPool p = a->pools; p != NULL; p = p->next)
        if (p == pool) {
            found = true;
            break;
        }
    vkm_rwlock_unlock(&a->pools_lock);
    return found;
}
