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

/* Block count and bytes of the pool: its list's blocks and its dedicated allocations. */
static void
pool_block_stats(VmaPool p, VmaStatistics *out)
{
    VmaDetailedStatistics d;
    vkm_stats_clear_detailed(&d);
    vkm_dedicated_list_add_stats(&p->dedicated, &d);
    memset(out, 0, sizeof(*out));
    vkm_tcache *tc = vkm_tcache_enter_reader(p->allocator);
    vkm_block_list_add_block_stats(p->list, tc->rec, out);
    vkm_tcache_leave(p->allocator, tc);
    out->blockCount += d.statistics.blockCount;
    out->blockBytes += d.statistics.blockBytes;
}

void
vkm_pool_add_basic_stats(VmaPool p, VmaStatistics *s)
{
    /* Blocks: the list's and the pool's dedicated allocations (each its own memory).
     * Allocations: the per-thread counters, which count both kinds. An allocation is
     * counted only while its memory exists, so when the blocks read the same before and
     * after the counters, every allocation counted lies in them (allocationBytes <=
     * blockBytes). Blocks made or released in between: read again, a few times. */
    VmaStatistics blocks = {0};
    uint64_t count = 0, bytes = 0;
    for (uint32_t attempt = 0; attempt < 8; attempt++) {
        VmaStatistics before;
        pool_block_stats(p, &before);
        vkm_tcache_list_totals(p->allocator, p->list, &count, &bytes);
        pool_block_stats(p, &blocks);
        if (before.blockCount == blocks.blockCount && before.blockBytes == blocks.blockBytes)
            break;
    }
    s->blockCount += blocks.blockCount;
    s->blockBytes += blocks.blockBytes;
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
