/* SPDX-License-Identifier: MIT */
#include "block.h"
#include "debug.h"

VkResult
vkm_block_create(const vkm_host_alloc *ha, vkm_block_list *list, VkDeviceMemory memory,
                 VkDeviceSize size, uint32_t memory_type, uint32_t id, VkDeviceSize granularity,
                 bool linear, vkm_block **out)
{
    vkm_block *b = vkm_host_new(ha, vkm_block);
    if (b == NULL)
        goto fail_struct;
    b->memory = memory;
    b->size = size;
    b->memory_type = memory_type;
    b->id = id;
    b->list = list;
    b->ha = ha;
    vkm_atomic_init_ptr(&b->xmapped, NULL);
    b->tlsf = NULL;
    b->linear = NULL;
    const vkm_range_status st = linear ? vkm_linear_create(ha, size, granularity, &b->linear)
                                       : vkm_tlsf_create(ha, size, granularity, &b->tlsf);
    if (st != VKM_RANGE_OK)
        goto fail_ranges;
    vkm_atomic_init_u64(&b->xfit, 0);
    vkm_block_publish_fit(b);
    vkm_spin_init(&b->lock);
    vkm_mutex_init(&b->map_lock);
    *out = b;
    return VK_SUCCESS;

fail_ranges:
    vkm_host_delete(ha, vkm_block, b);
fail_struct:
    *out = NULL;
    return VK_ERROR_OUT_OF_HOST_MEMORY;
}

void
vkm_block_destroy(const vkm_host_alloc *ha, vkm_block *b)
{
    if (b == NULL)
        return;
    if (b->linear)
        vkm_linear_destroy(b->linear);
    else
        vkm_tlsf_destroy(b->tlsf);
    vkm_spin_destroy(&b->lock);
    vkm_mutex_destroy(&b->map_lock);
    vkm_host_delete(ha, vkm_block, b);
}

VkResult
vkm_block_map(vkm_block *b, VkDevice device, const VmaVulkanFunctions *vk, uint32_t count,
              void **out_ptr)
{
    VkResult res = VK_SUCCESS;
    vkm_mutex_lock(&b->map_lock);
    if (b->map_count == 0 && !b->map_pinned) {
        void *p = NULL;
        res = vk->vkMapMemory(device, b->memory, 0, VK_WHOLE_SIZE, 0, &p);
        if (res == VK_SUCCESS) {
            vkm_atomic_store_ptr_release(&b->xmapped, p);
            /* mapped again after VKM_BLOCK_REMAP_LIMIT unmaps: keep it from now on */
            b->map_pinned = b->map_cycles >= VKM_BLOCK_REMAP_LIMIT;
        }
    }
    if (res == VK_SUCCESS)
        b->map_count += count;
    if (out_ptr != NULL)
        *out_ptr = res == VK_SUCCESS ? vkm_atomic_load_ptr_relaxed(&b->xmapped) : NULL;
    vkm_mutex_unlock(&b->map_lock);
    return res;
}

void
vkm_block_unmap(vkm_block *b, VkDevice device, const VmaVulkanFunctions *vk, uint32_t count)
{
    vkm_mutex_lock(&b->map_lock);
    vkm_assert(b->map_count >= count);
    if (b->map_count >= count) {
        b->map_count -= count;
        if (b->map_count == 0 && !b->map_pinned) {
            vkm_atomic_store_ptr_release(&b->xmapped, NULL);
            vk->vkUnmapMemory(device, b->memory);
            b->map_cycles++;
        }
    }
    vkm_mutex_unlock(&b->map_lock);
}

static void
retired(vkm_epoch_entry *e)
{
    vkm_block *b = vkm_epoch_container(e, vkm_block, retire);
    vkm_block_destroy(b->ha, b);
}

void
vkm_block_retire(vkm_block *b, vkm_epoch_record *rec)
{
    vkm_epoch_retire(rec, &b->retire, retired);
}
