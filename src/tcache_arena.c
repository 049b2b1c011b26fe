/* SPDX-License-Identifier: MIT */
/*
 * tcache_arena.c - a thread cache's arenas (arena.h; tcache_impl.h): the arena bins of
 * (list, kind) keys, allocation for requests that runs cannot serve (too large for a slot
 * class, or aligned beyond their size), frees by the owner and by other threads, orphans
 * and their reclamation, trimming, and what becomes of the arenas at thread exit. The
 * arena's own TLSF and lock are arena.c's; this file decides when an arena is made,
 * grown, kept, returned or orphaned, and keeps the cache's figures.
 */
#include "tcache_impl.h"
#include "debug.h"

#include <string.h>

/* Arenas (arena.h) serve what runs cannot: requests over the largest slot class and
 * requests whose alignment exceeds their size. A key's first arena is ARENA_START_BYTES;
 * like runs, arenas double when all of the key's arenas are full, and when a request was
 * too large for the current size (that request goes to the shared path), up to
 * 1/ARENA_BLOCK_FRACTION of the list's block size and ARENA_MAX_BYTES. An arena serves
 * requests up to 1/ARENA_REQUEST_FRACTION of its size, so it never holds just one.
 * ARENA_MAX_BYTES bounds what one key's arenas pin: at 32 MiB, bench churn (one thread,
 * 1024 live, ~95 MB) reserved 480 MB against 224-288 MB for the single-mutex build. At
 * 8 MiB, once the 16 MiB cache budget came, it needed a fourth block (480 MiB reserved,
 * 4.4-5.3x what it allocated, against 2.0-2.6x for single-mutex); at 4 MiB it keeps
 * three (2.4-2.6x), with the same throughput at 1 and 16 threads on the 16-core
 * machine. An arena then takes nothing above the largest slot class: arenas serve the
 * over-aligned requests, and 256-512 KiB requests go to the shared path. */
#define ARENA_START_BYTES ((VkDeviceSize)2 << 20)
#define ARENA_MAX_BYTES ((VkDeviceSize)4 << 20)
#define ARENA_MIN_BYTES ((VkDeviceSize)64 << 10) /* smaller blocks: no arenas */
#define ARENA_GROWTH_STEPS 4u
#define ARENA_BLOCK_FRACTION 8u
#define ARENA_REQUEST_FRACTION 16u
#define ARENA_MAX_ALIGN ((VkDeviceSize)1 << 20)

static inline void
set_arena_free(vkm_tcache *tc, uint64_t v)
{
    tc->arena_free = v;
    vkm_atomic_store_u64_release(&tc->xarena_free, v); /* see tc_account_run_in */
}

/* The largest arena of list `l` (a power of two), 0 when its blocks are too small. */
static VkDeviceSize
arena_cap(const vkm_block_list *l)
{
    VkDeviceSize cap = l->p.preferred_block_size / ARENA_BLOCK_FRACTION;
    if (cap > ARENA_MAX_BYTES)
        cap = ARENA_MAX_BYTES;
    if (cap < ARENA_MIN_BYTES)
        return 0;
    return (VkDeviceSize)1 << (63u - (uint32_t)__builtin_clzll(cap));
}

static VkDeviceSize
arena_align_for(VkDeviceSize arena_size)
{
    const VkDeviceSize a = arena_size / ARENA_REQUEST_FRACTION;
    return a < ARENA_MAX_ALIGN ? a : ARENA_MAX_ALIGN;
}

static bool
arena_fits(VkDeviceSize arena_size, VkDeviceSize size, VkDeviceSize alignment)
{
    return size <= arena_size / ARENA_REQUEST_FRACTION && alignment <= arena_align_for(arena_size);
}

static vkm_arena_bin *
abin_find(vkm_tcache *tc, const vkm_block_list *l, uint8_t kind, bool create)
{
    vkm_arena_bin *tomb = NULL;
    for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
        vkm_arena_bin *ab = &tc->abins[i];
        if (ab->list == l && ab->serial == l->serial && ab->kind == kind)
            return ab;
        if (ab->list == VKM_TCACHE_TOMBSTONE) {
            if (tomb == NULL)
                tomb = ab;
            continue;
        }
        if (ab->list == NULL) {
            if (!create)
                return NULL;
            tomb = tomb != NULL ? tomb : ab;
            break;
        }
    }
    if (!create || tomb == NULL)
        return NULL; /* every bin taken: this key is not cached */
    memset(tomb, 0, sizeof(*tomb));
    tomb->list = (vkm_block_list *)l;
    tomb->serial = l->serial;
    tomb->list_id = l->id;
    tomb->pooled = l->p.pool != NULL;
    tomb->keep_empty = l->p.pool == NULL;
    tomb->kind = kind;
    return tomb;
}

static void
arena_link(vkm_arena_bin *ab, vkm_arena *ar)
{
    TC_DLIST_PUSH(ab->arenas, ar);
}


void
tc_arena_fold(vkm_tcache *tc, vkm_arena *ar, VkDeviceSize remote_freed)
{
    ar->owner_free += remote_freed;
    set_arena_free(tc, tc->arena_free + remote_freed);
}

/* Owner: `ar` leaves the cache (returned or orphaned). */
static void
arena_out(vkm_tcache *tc, vkm_arena_bin *ab, vkm_arena *ar)
{
    set_arena_free(tc, tc->arena_free - ar->owner_free);
    tc_owner_add(&tc->xrun_bytes, (uint64_t)0 - ar->size);
    tc_owner_add(&tc->xrun_count, (uint64_t)0 - 1u);
    tc_arena_unlink(ab, ar);
}

void
tc_arena_return(vkm_tcache *tc, vkm_arena_bin *ab, vkm_arena *ar)
{
    arena_out(tc, ab, ar);
    vkm_arena_return(ar, tc->rec);
}

/* Owner: `ar` is empty. A key keeps one empty arena, the larger one: an arena is large
 * and costly to reserve again (its block may go with it), so the byte budget applies to
 * empty arenas only when the cache is trimmed (vmaSetCurrentFrameIndex,
 * vkmFlushThreadCache). */
static void
arena_maybe_return(vkm_tcache *tc, vkm_arena_bin *ab, vkm_arena *ar)
{
    if (!ab->keep_empty) { /* a custom pool: see maybe_return_empty (tcache.c) */
        tc_arena_return(tc, ab, ar);
        return;
    }
    for (vkm_arena *o = ab->arenas; o != NULL; o = o->next) {
        if (o != ar && o->owner_free == o->size) { /* empty in the owner's view: empty */
            tc_arena_return(tc, ab, o->size < ar->size ? o : ar);
            return;
        }
    }
}

VkResult
tc_arena_alloc(vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req,
               VkDeviceSize alignment, VmaAllocation alloc)
{
    const VkDeviceSize cap = arena_cap(l);
    if (cap == 0 || !arena_fits(cap, req->size, alignment))
        return VK_INCOMPLETE;
    vkm_arena_bin *ab = abin_find(tc, l, (uint8_t)req->kind, true);
    if (ab == NULL)
        return VK_INCOMPLETE;
    VkDeviceSize offset = 0, remote = 0;
    vkm_arena *found = NULL;
    if (ab->cur != NULL && arena_fits(ab->cur->size, req->size, alignment)) {
        VkResult res = vkm_arena_alloc(ab->cur, req->size, alignment, alloc, &offset, &remote);
        tc_arena_fold(tc, ab->cur, remote);
        if (res == VK_SUCCESS)
            found = ab->cur;
    }
    for (vkm_arena *ar = ab->arenas; found == NULL && ar != NULL; ar = ar->next) {
        if (ar == ab->cur || !arena_fits(ar->size, req->size, alignment) ||
            ar->owner_free < req->size)
            continue;
        VkResult res = vkm_arena_alloc(ar, req->size, alignment, alloc, &offset, &remote);
        tc_arena_fold(tc, ar, remote);
        if (res == VK_SUCCESS)
            found = ar;
    }
    if (found == NULL) {
        VkDeviceSize size = ARENA_START_BYTES << ab->shift;
        if (size > cap)
            size = cap;
        if (!arena_fits(size, req->size, alignment)) {
            /* Demand outgrew the arenas: the next one is larger; this request goes to the
             * shared path. */
            if (ab->shift < ARENA_GROWTH_STEPS)
                ab->shift++;
            return VK_INCOMPLETE;
        }
        const VmaAllocationCreateFlags placement =
            (req->flags &
             (VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT | VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT |
              VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
              VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT)) |
            VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT; /* existing free space only: see run_create */
        vkm_arena *ar = NULL;
        VkResult res =
            vkm_arena_create(l, tc->rec, size, arena_align_for(size), (vkm_range_kind)req->kind,
                             placement, tc, TC_ARENA_TAG, &ar);
        if (res != VK_SUCCESS)
            return VK_INCOMPLETE; /* the shared path may still place it, or reports why not */
        if (ab->arenas != NULL && ab->shift < ARENA_GROWTH_STEPS)
            ab->shift++; /* all of the key's arenas were full: the next one is larger */
        arena_link(ab, ar);
        tc_owner_add(&tc->xrun_bytes, ar->size); /* before the free bytes: tc_account_run_in */
        tc_owner_add(&tc->xrun_count, 1);
        set_arena_free(tc, tc->arena_free + ar->size);
        tc_owner_add(&tc->xmisses, 1);
        if (vkm_arena_alloc(ar, req->size, alignment, alloc, &offset, &remote) != VK_SUCCESS) {
            arena_maybe_return(tc, ab, ar);
            return VK_INCOMPLETE;
        }
        found = ar;
    } else {
        tc_owner_add(&tc->xhits, 1);
    }
    ab->cur = found;
    found->owner_free -= req->size;
    set_arena_free(tc, tc->arena_free - req->size);
    alloc->type = VKM_ALLOC_BLOCK;
    alloc->u.b.block = found->block;
    alloc->u.b.cached = (void *)((uintptr_t)found | TC_ARENA_TAG);
    alloc->offset = offset;
    alloc->size = req->size;
    alloc->alignment = alignment;
    alloc->memory_type = l->p.memory_type;
    alloc->pool = l->p.pool;
    return VK_SUCCESS;
}

/* An orphan arena's last allocation came back: reclaim it. */
static void
reclaim_orphan(vkm_tcache *tc, vkm_arena *ar)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    vkm_mutex_lock(&s->orphan_lock);
    TC_DLIST_UNLINK(s->orphans, ar);
    vkm_mutex_unlock(&s->orphan_lock);
    vkm_arena_return(ar, tc->rec);
}

void
tc_arena_free(vkm_tcache *tc, vkm_arena *ar, VmaAllocation alloc)
{
    VkDeviceSize remote = 0;
    if (vkm_atomic_load_ptr_relaxed(&ar->xowner) == tc) {
        /* Only this thread ever stores itself as the owner, so the comparison is exact. */
        const vkm_arena_free_result res =
            vkm_arena_free(ar, tc, alloc->offset, alloc->size, &remote);
        tc_arena_fold(tc, ar, remote + alloc->size);
        if (res == VKM_ARENA_OWNER_EMPTY) {
            vkm_arena_bin *ab = abin_find(tc, ar->list, ar->kind, false);
            vkm_assert(ab != NULL);
            if (ab != NULL)
                arena_maybe_return(tc, ab, ar);
        }
        return;
    }
    /* Remote: the arena stays readable inside the section even if its owner returns it
     * the moment we unlock. */
    tc_owner_add(&tc->xremote_frees, 1);
    vkm_epoch_begin(tc->rec);
    const vkm_arena_free_result res = vkm_arena_free(ar, tc, alloc->offset, alloc->size, &remote);
    vkm_epoch_end(tc->rec);
    if (res == VKM_ARENA_ORPHAN_EMPTY)
        reclaim_orphan(tc, ar);
}

void
tc_abin_bury(vkm_tcache *tc, vkm_arena_bin *ab, vkm_epoch_record *rec)
{
    while (ab->arenas != NULL) {
        vkm_arena *ar = ab->arenas;
        arena_out(tc, ab, ar);
        vkm_arena_forget(ar, rec);
    }
    memset(ab, 0, sizeof(*ab));
    ab->list = VKM_TCACHE_TOMBSTONE;
}

void
tc_arena_trim(vkm_tcache *tc, bool all)
{
    const uint64_t limit = vkm_atomic_load_u64_relaxed(&tc->allocator->tcs->xlimit);
    for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
        vkm_arena_bin *ab = &tc->abins[i];
        if (ab->arenas == NULL)
            continue;
        vkm_block_list *l = ab->list;
        const bool pooled = ab->pooled;
        if (!tc_bracket_open(tc, l, pooled, ab->list_id, ab->serial)) {
            tc_abin_bury(tc, ab, tc->rec);
            continue;
        }
        vkm_arena *keep = NULL, *next;
        for (vkm_arena *ar = ab->arenas; ar != NULL; ar = next) {
            next = ar->next;
            VkDeviceSize remote = 0;
            const bool empty = vkm_arena_sync(ar, &remote);
            tc_arena_fold(tc, ar, remote);
            if (!empty)
                continue;
            if (keep == NULL) {
                keep = ar;
            } else if (ar->size > keep->size) {
                tc_arena_return(tc, ab, keep);
                keep = ar;
            } else {
                tc_arena_return(tc, ab, ar);
            }
        }
        if (keep != NULL && (all || !ab->keep_empty || tc->cached_bytes + keep->size > limit))
            tc_arena_return(tc, ab, keep);
        tc_bracket_close(l, pooled);
    }
}

void
tc_arena_thread_exit(vkm_tcache *tc)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
        vkm_arena_bin *ab = &tc->abins[i];
        if (ab->arenas == NULL)
            continue;
        vkm_block_list *l = ab->list;
        const bool pooled = ab->pooled;
        if (!tc_bracket_open(tc, l, pooled, ab->list_id, ab->serial)) {
            tc_abin_bury(tc, ab, tc->rec);
            continue;
        }
        while (ab->arenas != NULL) {
            vkm_arena *ar = ab->arenas;
            arena_out(tc, ab, ar);
            /* On the orphan list before it is an orphan: a freer that empties it then
             * finds it there. */
            vkm_mutex_lock(&s->orphan_lock);
            TC_DLIST_PUSH(s->orphans, ar);
            vkm_mutex_unlock(&s->orphan_lock);
            if (vkm_arena_orphan(ar))
                reclaim_orphan(tc, ar);
        }
        tc_bracket_close(l, pooled);
    }
}
