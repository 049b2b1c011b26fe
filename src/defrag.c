/* SPDX-License-Identifier: MIT */
#include "defrag.h"
#include "block.h"
#include "block_list.h"
#include "corruption.h"
#include "debug.h"
#include "pool.h"
#include "tcache.h"

#include <stdlib.h>
#include <string.h>

/*
 * The algorithms (ours; VMA documents only their intent). A pass takes the blocks of a
 * list, most used first (ties: oldest first), and walks them from the least used back,
 * each block's allocations from the highest offset down. For every allocation:
 *   1. Into a more used block: the first more used block with room, so emptier blocks
 *      drain into fuller ones and empty blocks go back (all four algorithms). FAST takes
 *      the block's ordinary good-fit placement; the others the lowest offset.
 *   2. Else lower in its own block, at the lowest offset that fits: BALANCED only for
 *      allocations lying past the block's used byte count (the ones a compact block would
 *      not reach), FULL and EXTENSIVE for every allocation that can go lower. FAST never.
 *      A list of one block has nowhere else to go, so there every algorithm moves each
 *      allocation that can go lower (VMA too: with a single block it only reallocates
 *      inside it, at the lowest offset, whatever the algorithm).
 * EXTENSIVE is FULL: VMA's extensive algorithm regroups buffers and images to avoid
 * bufferImageGranularity conflicts, which cannot arise here (the TLSF keeps each range's
 * kind and pads only between different kinds, and a run holds one kind).
 *
 * "Used" is a block's live bytes: its allocations' ranges, not the free slots of its
 * runs, so a block of runs that are mostly free drains like a mostly free
 * block. Every move strictly raises the sum over blocks of (live bytes)^2 -- a move
 * between blocks goes to a block at least as used as its source -- or, inside a block,
 * keeps it and lowers the sum of offsets; both are bounded, so a program that loops until
 * a pass finds nothing ends. Slots leave their run for a shared range; a run whose last
 * allocation left goes back to its block by the usual path.
 *
 * Runs first. A range search never finds a free slot, so the calling thread's own runs of
 * the list are compacted among themselves before the blocks are planned: slots of the
 * least used runs go to free slots of the most used runs of the same bin (never up inside
 * one block), which raises the sum over runs of (live slots)^2 with every move, so this
 * ends too; the emptied runs go back at pass end (vkm_allocator_trim_thread_cache), and
 * with them blocks. Other threads' runs are only drained into shared ranges, as above.
 */

struct vkm_defrag_move_state {
    vkm_block_list *list;
    /* For a source mapped at pass begin: the destination block, mapped once more so that
     * pass end maps the source at its new place without a vkMapMemory that could fail. */
    vkm_block *premapped;
};

typedef struct item {
    VmaAllocation alloc;
    VkDeviceSize offset, range_size, alignment;
} item;

typedef struct blk {
    vkm_block *b;
    /* live bytes: ranges of allocations, not the free slots of runs; kept up
     * to date while the pass plans */
    VkDeviceSize used;
    VkDeviceSize largest_free;
    size_t first, count; /* its items */
} blk;

typedef struct scan {
    const vkm_host_alloc *ha;
    /* the pass: allocations it already moves (runs compacted first) are not planned again */
    const struct VmaDefragmentationContext_T *ctx;
    blk *blocks;
    size_t nblocks, cap_blocks;
    item *items;
    size_t nitems, cap_items;
    bool oom;
} scan;

uint32_t
vkm_defrag_algorithm(VmaDefragmentationFlags flags)
{
    const uint32_t alg = flags & VMA_DEFRAGMENTATION_FLAG_ALGORITHM_MASK;
    if (alg == 0)
        return VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT; /* VMA's default */
    return (alg & (alg - 1)) == 0 ? alg : 0;
}

/* Makes room for `need` elements of `elem` bytes in *arr. */
static bool
reserve_array(const vkm_host_alloc *ha, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap != 0 ? *cap * 2 : 32;
    while (n < need)
        n *= 2;
    void *p = vkm_host_alloc_alloc(ha, n * elem, 16);
    if (p == NULL)
        return false;
    if (*arr != NULL) {
        memcpy(p, *arr, *cap * elem);
        vkm_host_alloc_free(ha, *arr, *cap * elem);
    }
    *arr = p;
    *cap = n;
    return true;
}

/* ------------------------------------------------------------------------------------ */
/* Enumeration (under each block's lock)                                                  */

static void
collect_alloc(void *ctx, VmaAllocation alloc, VkDeviceSize offset, VkDeviceSize range_size)
{
    scan *sc = ctx;
    /* acquire: pairs with the release at the end of the allocation path; an allocation
     * still being made is left alone (the program does not know it yet either). */
    if (alloc == NULL || vkm_atomic_load_u32_acquire(&alloc->xready) == 0)
        return;
    blk *bk = &sc->blocks[sc->nblocks - 1];
    /* A back pointer that no longer describes this place is skipped, not trusted. */
    if (alloc->type != VKM_ALLOC_BLOCK || alloc->u.b.block != bk->b || alloc->offset != offset)
        return;
    for (uint32_t m = 0; m < sc->ctx->move_count; m++) {
        if (sc->ctx->moves[m].srcAllocation == alloc) {
            bk->used += range_size; /* it stays live here until its pass ends */
            return;
        }
    }
    if (!reserve_array(sc->ha, (void **)&sc->items, &sc->cap_items, sc->nitems + 1, sizeof(item))) {
        sc->oom = true;
        return;
    }
    bk->used += range_size;
    sc->items[sc->nitems++] = (item){
        .alloc = alloc,
        .offset = offset,
        .range_size = range_size,
        .alignment = alloc->alignment,
    };
}

static void
collect_range(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    if (kind == VKM_RANGE_FREE)
        return;
    scan *sc = ctx;
    if (vkm_tcache_visit_allocs(user, collect_alloc, ctx))
        return;
    /* A shared range: user is the allocation. One being made still counts as live. */
    const size_t before = sc->nitems;
    collect_alloc(ctx, user, offset, size);
    if (sc->nitems == before && sc->nblocks != 0)
        sc->blocks[sc->nblocks - 1].used += size;
}

static void
collect_block(vkm_block *b, void *ctx)
{
    scan *sc = ctx;
    if (b->tlsf == NULL || sc->oom)
        return; /* linear blocks are never defragmented (VMA) */
    if (!reserve_array(sc->ha, (void **)&sc->blocks, &sc->cap_blocks, sc->nblocks + 1,
                       sizeof(blk))) {
        sc->oom = true;
        return;
    }
    sc->blocks[sc->nblocks++] = (blk){
        .b = b,
        .used = 0,
        .largest_free = vkm_tlsf_largest_free_bound(b->tlsf),
        .first = sc->nitems,
    };
    vkm_tlsf_visit(b->tlsf, collect_range, sc);
    sc->blocks[sc->nblocks - 1].count = sc->nitems - sc->blocks[sc->nblocks - 1].first;
}

static int
blk_cmp(const void *pa, const void *pb)
{
    const blk *x = pa, *y = pb;
    if (x->used != y->used)
        return x->used > y->used ? -1 : 1;
    return x->b->id < y->b->id ? -1 : x->b->id > y->b->id;
}

/* ------------------------------------------------------------------------------------ */
/* Destinations                                                                           */

/* A move's temporary for `src`, not placed yet (NULL: out of host memory). */
static VmaAllocation
new_temporary(VmaAllocator a, VmaAllocation src)
{
    VmaAllocation dst = vkm_allocation_new(a);
    if (dst == NULL)
        return NULL;
    dst->type = VKM_ALLOC_BLOCK;
    dst->kind = src->kind;
    dst->flags = src->flags & VKM_ALLOC_FLAG_MAPPING_ALLOWED;
    dst->memory_type = src->memory_type;
    dst->pool = src->pool;
    dst->size = src->size;
    dst->alignment = src->alignment;
    return dst;
}

/* A temporary allocation holding a new range for `it` in block `b`, or an error. */
static VkResult
reserve_dst(VmaAllocator a, vkm_tcache *tc, vkm_block_list *l, vkm_block *b, const item *it,
            bool min_offset, VmaAllocation *out)
{
    const VmaAllocation src = it->alloc;
    VmaAllocation dst = new_temporary(a, src);
    if (dst == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    dst->u.b.block = b;
    dst->u.b.cached = NULL;
    dst->u.b.slot = 0;
    const vkm_block_list_request rq = {
        .size = it->range_size,
        .alignment = it->alignment,
        .kind = (vkm_range_kind)src->kind,
        .flags = min_offset ? VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT : 0,
        .user = dst,
    };
    /* As alloc_block_one: the magic is in place before a corruption check can see it. */
    vkm_corruption *c = &a->corruption;
    const bool detect = vkm_corruption_detects(c, src->memory_type);
    if (detect)
        vkm_rwlock_rdlock(&c->lock);
    VkResult res = vkm_block_list_alloc_in_block(l, b, &rq, &dst->offset);
    if (res == VK_SUCCESS && detect) {
        res = vkm_corruption_write_magic(a, b, dst->offset, src->size);
        if (res != VK_SUCCESS)
            vkm_block_list_free_range(l, tc->rec, b, dst->offset);
    }
    if (detect)
        vkm_rwlock_unlock(&c->lock);
    if (res != VK_SUCCESS) {
        vkm_allocation_delete(a, dst);
        return res;
    }
    *out = dst;
    return VK_SUCCESS;
}

/* Gives back a destination that was never handed out (not counted, not premapped): a
 * range, or a slot of the caller's own run (run compaction). */
static void
unreserve_dst(VmaAllocator a, vkm_tcache *tc, vkm_block_list *l, VmaAllocation dst)
{
    if (dst->u.b.cached != NULL)
        (void)vkm_tcache_free(tc, dst); /* our own slot: a local free, nothing to retire */
    else
        vkm_block_list_free_range(l, tc->rec, dst->u.b.block, dst->offset);
    vkm_allocation_delete(a, dst);
}

/* Turns a reserved destination into a move of the pass (capacity already reserved). */
static VkResult
commit_move(VmaDefragmentationContext ctx, vkm_tcache *tc, vkm_block_list *l, const item *it,
            VmaAllocation dst)
{
    VmaAllocator a = ctx->allocator;
    vkm_block *premapped = NULL;
    /* relaxed: the program does not map or unmap a source while it defragments; a source
     * mapped now is mapped at its new place by pass end, which must not fail then */
    if (vkm_atomic_load_u32_relaxed(&it->alloc->xmap_count) != 0) {
        VkResult res = vkm_block_map(dst->u.b.block, a->device, &a->funcs.vk, 1, NULL);
        if (res != VK_SUCCESS)
            return res;
        if (it->alloc->flags & VKM_ALLOC_FLAG_PERSISTENT_MAP) {
            /* As in VMA, the temporary of a persistently mapped source is persistently
             * mapped too (the program copies between the two pMappedData); that
             * reference is the temporary's own, and plays the premap's part. */
            dst->flags |= VKM_ALLOC_FLAG_PERSISTENT_MAP;
            vkm_atomic_store_u32_relaxed(&dst->xmap_count, 1);
        } else {
            premapped = dst->u.b.block;
        }
    }
    vkm_tcache_count(tc, l, 1, (int64_t)dst->size); /* a temporary is an allocation */
    ctx->moves[ctx->move_count] = (VmaDefragmentationMove){
        .operation = VMA_DEFRAGMENTATION_MOVE_OPERATION_COPY,
        .srcAllocation = it->alloc,
        .dstTmpAllocation = dst,
    };
    ctx->state[ctx->move_count] = (vkm_defrag_move_state){.list = l, .premapped = premapped};
    ctx->move_count++;
    ctx->pass_bytes += it->alloc->size;
    return VK_SUCCESS;
}

/* The limits of the pass, before one more move of `size` bytes: false to skip it (it does
 * not fit the bytes left), with *stop set when the pass is full or the program says stop.
 * Makes room for the move in the arrays. */
static VkResult
pass_has_room(VmaDefragmentationContext ctx, VkDeviceSize size, bool *stop, bool *room)
{
    VmaAllocator a = ctx->allocator;
    *room = false;
    if (ctx->move_count >= ctx->max_allocs) {
        *stop = true;
        return VK_SUCCESS;
    }
    if (size > ctx->max_bytes - ctx->pass_bytes)
        return VK_SUCCESS; /* a smaller one may still fit in this pass */
    if (ctx->brk != NULL && ctx->brk(ctx->brk_user)) {
        *stop = true;
        return VK_SUCCESS;
    }
    if (!reserve_array(&a->ha, (void **)&ctx->moves, &ctx->move_cap, ctx->move_count + 1,
                       sizeof(VmaDefragmentationMove)) ||
        !reserve_array(&a->ha, (void **)&ctx->state, &ctx->state_cap, ctx->move_count + 1,
                       sizeof(vkm_defrag_move_state)))
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    *room = true;
    return VK_SUCCESS;
}

/* One allocation: a destination in a more used block, else lower in its own. Sets *stop
 * when the pass is full or the program's callback asks to stop. */
static VkResult
consider(VmaDefragmentationContext ctx, vkm_tcache *tc, vkm_block_list *l, scan *sc, size_t pos,
         const item *it, bool *stop)
{
    VmaAllocator a = ctx->allocator;
    blk *s = &sc->blocks[pos];
    bool room;
    VkResult rr = pass_has_room(ctx, it->alloc->size, stop, &room);
    if (rr != VK_SUCCESS || !room)
        return rr;

    const bool fast = ctx->algorithm == VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT;
    const bool balanced = ctx->algorithm == VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT;
    /* Several blocks: FAST only drains blocks into fuller ones, BALANCED compacts a block
     * only past its live bytes. One block: compacting it is the only gain left, so every
     * algorithm does (as VMA, which then reallocates inside the block whatever the flags). */
    const bool lower_in_own = sc->nblocks == 1 || (!fast && (!balanced || it->offset >= s->used));
    VmaAllocation dst = NULL;
    for (size_t d = 0; d < pos && dst == NULL; d++) {
        blk *db = &sc->blocks[d];
        if (db->used < s->used || db->largest_free < it->range_size)
            continue;
        VkResult res = reserve_dst(a, tc, l, db->b, it, !fast, &dst);
        if (res == VK_ERROR_OUT_OF_HOST_MEMORY)
            return res;
        if (res == VK_SUCCESS) {
            db->used += it->range_size;
            s->used -= it->range_size;
        }
    }
    if (dst == NULL && lower_in_own) {
        VkResult res = reserve_dst(a, tc, l, s->b, it, true, &dst);
        if (res == VK_ERROR_OUT_OF_HOST_MEMORY)
            return res;
        if (res == VK_SUCCESS && dst->offset >= it->offset) {
            unreserve_dst(a, tc, l, dst); /* not lower: no gain */
            dst = NULL;
        }
    }
    if (dst == NULL)
        return VK_SUCCESS;
    VkResult res = commit_move(ctx, tc, l, it, dst);
    if (res != VK_SUCCESS)
        unreserve_dst(a, tc, l, dst); /* the destination block could not be mapped: skip */
    return res == VK_ERROR_OUT_OF_HOST_MEMORY ? res : VK_SUCCESS;
}

typedef struct compaction {
    VmaDefragmentationContext ctx;
    vkm_tcache *tc;
    vkm_block_list *l;
    bool *stop;
    VkResult res;
} compaction;

/* vkm_tcache_plan_compaction's pair: `src` into a free slot of our own run `r`. */
static bool
compact_pair(void *p, VmaAllocation src, VkDeviceSize range_size, vkm_run *r)
{
    compaction *cp = p;
    VmaDefragmentationContext ctx = cp->ctx;
    VmaAllocator a = ctx->allocator;
    bool room;
    cp->res = pass_has_room(ctx, src->size, cp->stop, &room);
    if (cp->res != VK_SUCCESS) {
        *cp->stop = true;
        return false;
    }
    if (!room)
        return false;
    VmaAllocation dst = new_temporary(a, src);
    if (dst == NULL) {
        cp->res = VK_ERROR_OUT_OF_HOST_MEMORY;
        *cp->stop = true;
        return false;
    }
    if (!vkm_tcache_take_slot(cp->tc, r, dst, range_size)) {
        vkm_allocation_delete(a, dst);
        return false;
    }
    /* As reserve_dst: the magic is in place before a corruption check can see it. */
    vkm_corruption *c = &a->corruption;
    if (vkm_corruption_detects(c, src->memory_type)) {
        vkm_rwlock_rdlock(&c->lock);
        VkResult res = vkm_corruption_write_magic(a, dst->u.b.block, dst->offset, src->size);
        vkm_rwlock_unlock(&c->lock);
        if (res != VK_SUCCESS) {
            unreserve_dst(a, cp->tc, cp->l, dst);
            return false;
        }
    }
    const item it = {
        .alloc = src, .offset = src->offset, .range_size = range_size, .alignment = src->alignment};
    VkResult res = commit_move(ctx, cp->tc, cp->l, &it, dst);
    if (res != VK_SUCCESS) {
        unreserve_dst(a, cp->tc, cp->l, dst); /* the block could not be mapped: skip */
        if (res == VK_ERROR_OUT_OF_HOST_MEMORY) {
            cp->res = res;
            *cp->stop = true;
        }
        return false;
    }
    return true;
}

/* Plans the moves of one list into the context: the caller's own runs compacted among
 * themselves first (a range search never finds a free slot), then the blocks. */
static VkResult
plan_list(VmaDefragmentationContext ctx, vkm_tcache *tc, vkm_block_list *l, bool *stop)
{
    VmaAllocator a = ctx->allocator;
    compaction cp = {.ctx = ctx, .tc = tc, .l = l, .stop = stop, .res = VK_SUCCESS};
    VkResult cres = vkm_tcache_plan_compaction(tc, l, compact_pair, &cp, stop);
    if (cres != VK_SUCCESS)
        return cres;
    if (cp.res != VK_SUCCESS)
        return cp.res;
    if (*stop)
        return VK_SUCCESS;
    scan sc = {.ha = &a->ha, .ctx = ctx};
    VkResult res = VK_SUCCESS;
    /* The blocks seen stay allocated until the section ends, even if another thread
     * releases one meanwhile (reservations then fail on its dead flag). */
    vkm_epoch_begin(tc->rec);
    vkm_block_list_for_each_block(l, tc->rec, collect_block, &sc);
    if (sc.oom) {
        res = VK_ERROR_OUT_OF_HOST_MEMORY;
        goto out;
    }
    if (sc.nblocks > 1)
        qsort(sc.blocks, sc.nblocks, sizeof(blk), blk_cmp);
    for (size_t pos = sc.nblocks; pos-- > 0 && !*stop && res == VK_SUCCESS;) {
        const blk *s = &sc.blocks[pos];
        for (size_t k = s->count; k-- > 0 && !*stop && res == VK_SUCCESS;)
            res = consider(ctx, tc, l, &sc, pos, &sc.items[s->first + k], stop);
    }
out:
    vkm_epoch_end(tc->rec);
    vkm_host_alloc_free(sc.ha, sc.blocks, sc.cap_blocks * sizeof(blk));
    vkm_host_alloc_free(sc.ha, sc.items, sc.cap_items * sizeof(item));
    return res;
}

/* ------------------------------------------------------------------------------------ */
/* Contexts and passes                                                                    */

VkResult
vkm_defrag_begin(VmaAllocator a, const VmaDefragmentationInfo *info, VmaDefragmentationContext *out)
{
    VmaDefragmentationContext ctx = vkm_host_new(&a->ha, struct VmaDefragmentationContext_T);
    *out = VK_NULL_HANDLE;
    if (ctx == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    ctx->magic = VKM_DEFRAG_MAGIC;
    ctx->allocator = a;
    ctx->pool = info->pool;
    ctx->algorithm = vkm_defrag_algorithm(info->flags);
    ctx->max_bytes = info->maxBytesPerPass != 0 ? info->maxBytesPerPass : VK_WHOLE_SIZE;
    ctx->max_allocs = info->maxAllocationsPerPass != 0 ? info->maxAllocationsPerPass : UINT32_MAX;
    ctx->brk = info->pfnBreakCallback;
    ctx->brk_user = info->pBreakCallbackUserData;
    *out = ctx;
    return VK_SUCCESS;
}

static void
drop_premap(VmaAllocator a, const vkm_defrag_move_state *st)
{
    if (st->premapped != NULL)
        vkm_block_unmap(st->premapped, a->device, &a->funcs.vk, 1);
}

/* Frees every temporary of the planned pass (an error while planning). */
static void
cancel_moves(VmaDefragmentationContext ctx)
{
    for (uint32_t i = 0; i < ctx->move_count; i++) {
        drop_premap(ctx->allocator, &ctx->state[i]);
        vkm_allocator_free(ctx->allocator, ctx->moves[i].dstTmpAllocation);
    }
    ctx->move_count = 0;
}

VkResult
vkm_defrag_pass_begin(VmaDefragmentationContext ctx, VmaDefragmentationPassMoveInfo *out)
{
    VmaAllocator a = ctx->allocator;
    ctx->move_count = 0;
    ctx->pass_bytes = 0;
    bool stop = false;
    VkResult res = VK_SUCCESS;
    /* A reservation given back may release an empty block another free left lingering
     * (block_list.c's policy): that one counts as freed by this defragmentation too. */
    vkm_block_list_tally tally = {0};
    vkm_block_list_set_tally(&tally);
    vkm_tcache *tc = vkm_tcache_enter(a);
    if (ctx->pool != NULL) {
        res = plan_list(ctx, tc, ctx->pool->list, &stop);
    } else {
        for (uint32_t t = 0; t < a->mem_props.memoryTypeCount && !stop && res == VK_SUCCESS; t++)
            if (a->default_lists[t] != NULL)
                res = plan_list(ctx, tc, a->default_lists[t], &stop);
    }
    vkm_tcache_leave(a, tc);
    out->moveCount = 0;
    out->pMoves = NULL;
    if (res != VK_SUCCESS)
        cancel_moves(ctx); /* outside the cache: the free enters it again */
    vkm_block_list_set_tally(NULL);
    ctx->totals.deviceMemoryBlocksFreed += tally.blocks;
    ctx->totals.bytesFreed += tally.bytes;
    if (res != VK_SUCCESS)
        return res;
    if (ctx->move_count == 0)
        return VK_SUCCESS;
    ctx->in_pass = true;
    out->moveCount = ctx->move_count;
    out->pMoves = ctx->moves;
    return VK_INCOMPLETE;
}

/* COPY: the source takes the destination's place, the temporary the source's old one,
 * which the ordinary free path then returns. */
static bool
end_copy(VmaAllocator a, const VmaDefragmentationMove *m, const vkm_defrag_move_state *st)
{
    VmaAllocation src = m->srcAllocation, dst = m->dstTmpAllocation;
    vkm_block *nb = dst->u.b.block;
    const uint32_t maps = vkm_atomic_load_u32_relaxed(&src->xmap_count);
    if (maps != 0 && vkm_block_map(nb, a->device, &a->funcs.vk, maps, NULL) != VK_SUCCESS) {
        /* Only when the source was mapped after its pass began (no premap), against the
         * contract: it stays where it is, mapped, rather than lose its mapping. */
        vkm_api_assert(false, "pMoves[].srcAllocation was mapped during its pass");
        drop_premap(a, st);
        vkm_allocator_free(a, dst);
        return false;
    }
    drop_premap(a, st);
    /* The program's own vmaMapMemory references of the temporary (to copy into it) end
     * with it; the source's references were just taken on the same block. */
    const uint32_t own = vkm_atomic_exchange_u32_acq_rel(&dst->xmap_count, 0);
    if (own != 0)
        vkm_block_unmap(nb, a->device, &a->funcs.vk, own);
    const bool locking = st->list->p.locking;
    if (locking)
        vkm_spin_lock(&nb->lock);
    /* Under the destination block's lock, so a statistics or JSON walk of that block sees
     * either the temporary or the source there, each alive. A destination slot (run
     * compaction) names its allocation through the run's back pointer instead. */
    if (dst->u.b.cached != NULL)
        vkm_tcache_slot_set_user(dst->u.b.cached, dst->u.b.slot, src);
    else
        vkm_tlsf_set_user(nb->tlsf, dst->offset, src);
    const VkDeviceSize old_offset = src->offset;
    vkm_block *old_block = src->u.b.block;
    void *old_cached = src->u.b.cached;
    const uint32_t old_slot = src->u.b.slot;
    src->u.b.block = nb;
    src->u.b.cached = dst->u.b.cached;
    src->u.b.slot = dst->u.b.slot;
    src->offset = dst->offset;
    dst->u.b.block = old_block;
    dst->u.b.cached = old_cached;
    dst->u.b.slot = old_slot;
    dst->offset = old_offset;
    if (locking)
        vkm_spin_unlock(&nb->lock);
    /* The old block's mapping references leave with the old place. */
    vkm_atomic_store_u32_relaxed(&dst->xmap_count, maps);
    vkm_allocator_free(a, dst);
    /* If the old place was a slot, its back pointer named `src` until that free, and a
     * JSON dump may have read it there (tcache.h, "Dumps"). After the free, a dump that
     * could have is announced (the remote free's seq_cst OR, or for our own run the
     * dump's process-wide barrier): wait until its section is over, before the program
     * may free `src`. */
    if (old_cached != NULL && vkm_tcache_dumping(a)) {
        vkm_tcache *tc = vkm_tcache_enter(a);
        vkm_epoch_barrier(tc->rec);
        vkm_tcache_leave(a, tc);
    }
    return true;
}

VkResult
vkm_defrag_pass_end(VmaDefragmentationContext ctx, VmaDefragmentationPassMoveInfo *info)
{
    VmaAllocator a = ctx->allocator;
    if (!ctx->in_pass)
        return VK_SUCCESS;
    vkm_block_list_tally tally = {0};
    vkm_block_list_set_tally(&tally);
    bool progress = false, slots_freed = false;
    for (uint32_t i = 0; i < ctx->move_count; i++) {
        const VmaDefragmentationMove *m = &ctx->moves[i];
        const vkm_defrag_move_state *st = &ctx->state[i];
        /* A source in a slot: COPY and DESTROY free that slot, which may empty a run
         * that another thread owns. */
        slots_freed |= m->operation != VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE &&
                       m->srcAllocation->type == VKM_ALLOC_BLOCK &&
                       m->srcAllocation->u.b.cached != NULL;
        switch (m->operation) {
        case VMA_DEFRAGMENTATION_MOVE_OPERATION_COPY:
            if (end_copy(a, m, st)) {
                ctx->totals.allocationsMoved++;
                ctx->totals.bytesMoved += m->srcAllocation->size;
                progress = true;
            }
            break;
        case VMA_DEFRAGMENTATION_MOVE_OPERATION_DESTROY:
            drop_premap(a, st);
            vkm_allocator_free(a, m->dstTmpAllocation);
            vkm_allocator_free(a, m->srcAllocation);
            progress = true;
            break;
        case VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE:
        default:
            vkm_api_assert(m->operation == VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE,
                           "pMoves[].operation must be a VmaDefragmentationMoveOperation");
            drop_premap(a, st);
            vkm_allocator_free(a, m->dstTmpAllocation);
            break;
        }
    }
    /* Runs of this thread that the frees emptied go back now, so their blocks
     * can; other threads' runs go back at their owner's next allocation (or at once, for
     * runs of exited threads, through the freer that completes them). */
    vkm_allocator_trim_thread_cache(a, true);
    if (slots_freed)
        vkm_tcache_reclaim_others(a);
    vkm_block_list_set_tally(NULL);
    ctx->totals.deviceMemoryBlocksFreed += tally.blocks;
    ctx->totals.bytesFreed += tally.bytes;
    ctx->move_count = 0;
    ctx->in_pass = false;
    if (info != NULL) {
        info->moveCount = 0;
        info->pMoves = NULL;
    }
    return progress ? VK_INCOMPLETE : VK_SUCCESS;
}

void
vkm_defrag_end(VmaDefragmentationContext ctx, VmaDefragmentationStats *stats)
{
    VmaAllocator a = ctx->allocator;
    if (ctx->in_pass) {
        for (uint32_t i = 0; i < ctx->move_count; i++)
            ctx->moves[i].operation = VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE;
        vkm_defrag_pass_end(ctx, NULL);
    }
    if (stats != NULL)
        *stats = ctx->totals;
    vkm_host_alloc_free(&a->ha, ctx->moves, ctx->move_cap * sizeof(VmaDefragmentationMove));
    vkm_host_alloc_free(&a->ha, ctx->state, ctx->state_cap * sizeof(vkm_defrag_move_state));
    ctx->magic = VKM_ALLOCATION_DEAD;
    vkm_host_delete(&a->ha, struct VmaDefragmentationContext_T, ctx);
}
