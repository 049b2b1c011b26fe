/* SPDX-License-Identifier: MIT */
#include "arena.h"
#include "block.h"
#include "debug.h"

#include <stdio.h>

VkResult
vkm_arena_create(vkm_block_list *l, vkm_epoch_record *rec, VkDeviceSize size, VkDeviceSize align,
                 vkm_range_kind kind, VmaAllocationCreateFlags flags, void *owner, uintptr_t tag,
                 vkm_arena **out)
{
    const vkm_host_alloc *ha = &l->allocator->ha;
    vkm_arena *ar = vkm_host_new(ha, vkm_arena);
    if (ar == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    /* One resource kind per arena: bufferImageGranularity applies inside it only to the
     * kinds that conflict with themselves (range.h); the arena's base is aligned far above
     * the granularity, so its relative pages are the block's pages. */
    const uint64_t granularity = vkm_range_kind_needs_own_pages(kind) ? l->granularity : 1u;
    if (vkm_tlsf_create(ha, size, granularity, &ar->tlsf) != VKM_RANGE_OK) {
        vkm_host_delete(ha, vkm_arena, ar);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    ar->list = l;
    ar->size = size;
    ar->align = align;
    ar->kind = (uint8_t)kind;
    ar->ha = ha;
    ar->owner_free = size;
    vkm_atomic_init_ptr(&ar->xowner, owner);
    vkm_mutex_init(&ar->lock);
    /* Everything a statistics walk reads is set before the range becomes visible. */
    vkm_block_list_request lr = {
        .size = size,
        .alignment = align > granularity ? align : granularity,
        .kind = kind,
        .flags = flags,
        .user = (void *)((uintptr_t)ar | tag),
    };
    VkResult res = vkm_block_list_alloc_range(l, rec, &lr, &ar->block, &ar->base);
    if (res != VK_SUCCESS) {
        vkm_mutex_destroy(&ar->lock);
        vkm_tlsf_destroy(ar->tlsf);
        vkm_host_delete(ha, vkm_arena, ar);
        return res;
    }
    *out = ar;
    return VK_SUCCESS;
}

VkResult
vkm_arena_alloc(vkm_arena *ar, VkDeviceSize size, VkDeviceSize alignment, void *user,
                VkDeviceSize *out_offset, VkDeviceSize *remote_freed)
{
    vkm_assert(alignment <= ar->align);
    const vkm_range_request req = {
        .size = size,
        .alignment = alignment,
        .kind = (vkm_range_kind)ar->kind,
        .strategy = VKM_RANGE_STRATEGY_DEFAULT,
        .user = user,
    };
    uint64_t off = 0;
    vkm_mutex_lock(&ar->lock);
    *remote_freed = ar->remote_freed;
    ar->remote_freed = 0;
    const vkm_range_status st = vkm_tlsf_alloc(ar->tlsf, &req, &off);
    if (st == VKM_RANGE_OK)
        ar->live++;
    vkm_mutex_unlock(&ar->lock);
    if (st != VKM_RANGE_OK)
        return VK_INCOMPLETE; /* no room, or no host memory for a node: the shared path */
    *out_offset = ar->base + off;
    return VK_SUCCESS;
}

vkm_arena_free_result
vkm_arena_free(vkm_arena *ar, const void *caller, VkDeviceSize offset, VkDeviceSize size,
               VkDeviceSize *remote_freed)
{
    vkm_arena_free_result res = VKM_ARENA_FREED;
    *remote_freed = 0;
    vkm_mutex_lock(&ar->lock);
    vkm_assert(ar->live != 0);
    vkm_tlsf_free(ar->tlsf, offset - ar->base);
    ar->live--;
    const void *owner = vkm_atomic_load_ptr_relaxed(&ar->xowner);
    if (owner != caller) {
        ar->remote_freed += size;
    } else {
        *remote_freed = ar->remote_freed;
        ar->remote_freed = 0;
    }
    if (ar->live == 0) {
        if (owner == NULL)
            res = VKM_ARENA_ORPHAN_EMPTY;
        else if (owner == caller)
            res = VKM_ARENA_OWNER_EMPTY;
    }
    vkm_mutex_unlock(&ar->lock);
    return res;
}

bool
vkm_arena_sync(vkm_arena *ar, VkDeviceSize *remote_freed)
{
    vkm_mutex_lock(&ar->lock);
    *remote_freed = ar->remote_freed;
    ar->remote_freed = 0;
    const bool empty = ar->live == 0;
    vkm_mutex_unlock(&ar->lock);
    return empty;
}

bool
vkm_arena_orphan(vkm_arena *ar)
{
    vkm_mutex_lock(&ar->lock);
    vkm_atomic_store_ptr_relaxed(&ar->xowner, NULL);
    const bool empty = ar->live == 0;
    vkm_mutex_unlock(&ar->lock);
    return empty;
}

static void
arena_free_struct(vkm_arena *ar)
{
    vkm_mutex_destroy(&ar->lock);
    vkm_tlsf_destroy(ar->tlsf);
    vkm_host_delete(ar->ha, vkm_arena, ar);
}

static void
arena_retired(vkm_epoch_entry *e)
{
    arena_free_struct(vkm_epoch_container(e, vkm_arena, retire));
}

void
vkm_arena_return(vkm_arena *ar, vkm_epoch_record *rec)
{
    vkm_block_list_free_range(ar->list, rec, ar->block, ar->base);
    /* A remote freer that emptied it may still be leaving its lock. */
    vkm_epoch_retire(rec, &ar->retire, arena_retired);
}

void
vkm_arena_drop(vkm_arena *ar)
{
    if (ar->live != 0 && vkm_config_api_asserts)
        fprintf(stderr,
                "vkmalloc: %u allocation(s) were not freed before the allocator was "
                "destroyed\n",
                ar->live);
    vkm_block *b = ar->block;
    vkm_mutex_lock(&b->lock);
    vkm_block_range_free(b, ar->base);
    vkm_mutex_unlock(&b->lock);
    arena_free_struct(ar);
}

void
vkm_arena_forget(vkm_arena *ar, vkm_epoch_record *rec)
{
    if (rec != NULL)
        vkm_epoch_retire(rec, &ar->retire, arena_retired);
    else
        arena_free_struct(ar);
}

/* Rebases the arena's offsets onto the block for the caller's visitor. */
typedef struct visit_ctx {
    const vkm_arena *ar;
    vkm_range_visit_fn fn;
    void *ctx;
} visit_ctx;

static void
visit_rebased(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    const visit_ctx *v = ctx;
    v->fn(v->ctx, v->ar->base + offset, size, kind, user);
}

void
vkm_arena_visit(vkm_arena *ar, vkm_range_visit_fn fn, void *ctx)
{
    visit_ctx v = {.ar = ar, .fn = fn, .ctx = ctx};
    vkm_mutex_lock(&ar->lock);
    vkm_tlsf_visit(ar->tlsf, visit_rebased, &v);
    vkm_mutex_unlock(&ar->lock);
}
