/* SPDX-License-Identifier: MIT */
/*
 * tcache_impl.h - what the thread-cache files share with each other and with nobody else
 * (layer L3). Only src/tcache.c, src/tcache_count.c and src/tcache_life.c include it;
 * everything else goes through tcache.h.
 *
 * The thread cache is one module cut into three files along the seams a reader follows:
 *   tcache.c         runs and bins: allocation (slow path and memo fast path), free,
 *                    trim, release, the statistics expansion and visit functions
 *   tcache_count.c   per-thread allocation counters, their sums, vkm* cache statistics
 *   tcache_life.c    a cache's life: creation, thread exit, allocator destruction, and
 *                    bins of lists that die under the caches (custom pools)
 * The helpers below are static inline where a caller is on an allocation or free path
 * (or was inlined there before the split), so every file compiles them as tcache.c did.
 * The ownership rules are tcache.h's: everything here that takes a `vkm_tcache *` is
 * called by the cache's owner thread (or under the registry lock, where it says so).
 */
#ifndef VKM_TCACHE_IMPL_H
#define VKM_TCACHE_IMPL_H

#include "tcache.h"

/* Intrusive doubly linked lists of runs (fields prev / next): push at the head, unlink
 * from anywhere. */
#define TC_DLIST_PUSH(head, node)  \
    do {                           \
        (node)->prev = NULL;       \
        (node)->next = (head);     \
        if ((head) != NULL)        \
            (head)->prev = (node); \
        (head) = (node);           \
    } while (0)
#define TC_DLIST_UNLINK(head, node)            \
    do {                                       \
        if ((node)->prev != NULL)              \
            (node)->prev->next = (node)->next; \
        else                                   \
            (head) = (node)->next;             \
        if ((node)->next != NULL)              \
            (node)->next->prev = (node)->prev; \
    } while (0)

/* Tag on the TLSF user pointer of a run's range in its block, to tell it from a
 * VmaAllocation (a shared-path range). */
#define TC_RUN_TAG ((uintptr_t)1)
#define TC_TAG_MASK ((uintptr_t)1)

static inline void
tc_owner_add(vkm_atomic_u64 *x, uint64_t d)
{
    /* single writer: a plain read-modify-write of our own counter, untorn for readers;
     * release keeps the owner's figures in program order for vkm_tcache_stats */
    vkm_atomic_store_u64_release(x, vkm_atomic_load_u64_relaxed(x) + d);
}

static inline void
tc_set_cached(vkm_tcache *tc, uint64_t v)
{
    tc->cached_bytes = v;
    vkm_atomic_store_u64_release(&tc->xcached_bytes, v); /* see tc_account_run_in */
}

/* ------------------------------------------------------------------------------------ */
/* Counters (tcache_count.c)                                                            */

static inline vkm_tcache_counter *
tc_counter_of(vkm_tcache *tc, const vkm_block_list *l)
{
    if (l->id >= VKM_TCACHE_MAX_LISTS)
        return NULL;
    vkm_atomic_ptr *slot = &tc->xchunks[l->id / VKM_TCACHE_CTR_PER_CHUNK];
    vkm_tcache_counter *chunk = vkm_atomic_load_ptr_relaxed(slot);
    if (VKM_UNLIKELY(chunk == NULL)) {
        chunk =
            vkm_host_new_array(&tc->allocator->ha, vkm_tcache_counter, VKM_TCACHE_CTR_PER_CHUNK);
        if (chunk == NULL)
            return NULL;
        /* release: pairs with the acquire in tc_sum_slot, so readers see zeroed counters */
        vkm_atomic_store_ptr_release(slot, chunk);
    }
    return &chunk[l->id % VKM_TCACHE_CTR_PER_CHUNK];
}

/* Under the registry lock. */
void tc_sum_slot(const vkm_tcache *tc, uint32_t id, uint64_t *count, uint64_t *bytes);

/* ------------------------------------------------------------------------------------ */
/* Runs and bins (tcache.c)                                                             */

/* Any thread: the requested size of slot i's live allocation, 0 when the slot is free. A
 * remotely freed slot keeps its size until the owner collects it, so the remote bit is
 * read first (vkm_slab_collect_tags says why that order is exact). */
static inline uint32_t
tc_run_slot_size(const vkm_run *r, uint32_t i)
{
    if (vkm_slab_is_free_remote(&r->slab, i))
        return 0;
    return vkm_atomic_load_u32_relaxed(&r->xsize[i]);
}

static inline void
tc_bin_unlink(vkm_bin *bin, vkm_run *r)
{
    TC_DLIST_UNLINK(bin->runs, r);
    if (bin->cur == r)
        bin->cur = NULL;
    bin->run_count--;
}

/* Owner: a run leaves the cache (returned or abandoned): drop its bytes from the
 * cache's figures. */
static inline void
tc_account_run_out(vkm_tcache *tc, const vkm_run *r)
{
    tc_set_cached(tc, tc->cached_bytes - (uint64_t)r->slab.nfree * r->slot_size);
    tc_owner_add(&tc->xrun_bytes, (uint64_t)0 - (uint64_t)r->slab.nslots * r->slot_size);
    tc_owner_add(&tc->xrun_count, (uint64_t)0 - 1u);
}

static inline void
tc_account_run_in(vkm_tcache *tc, const vkm_run *r)
{
    /* run bytes grow before free bytes (and shrink after them, tc_account_run_out), so a
     * reader that sees run bytes hold still never sees more free than run bytes */
    tc_owner_add(&tc->xrun_bytes, (uint64_t)r->slab.nslots * r->slot_size);
    tc_owner_add(&tc->xrun_count, 1);
    tc_set_cached(tc, tc->cached_bytes + (uint64_t)r->slab.nfree * r->slot_size);
}

void tc_run_free_struct(vkm_run *r);
/* Gives a run's range back to its block; the struct is retired (a remote freer may
 * still be finishing its publication on it). */
void tc_run_return(vkm_epoch_record *rec, vkm_run *r);
/* Someone took the last outstanding slot of an abandoned run back: reclaim it. */
void tc_reclaim_abandoned(vkm_tcache *tc, vkm_run *r);
/* Owner: a bin whose list is gone. Its runs' structs go without a look at their blocks
 * (the blocks went with the list) and the bin becomes a tombstone. `rec` NULL: freed at
 * once (allocator destruction), else retired like returned runs. */
void tc_bin_bury(vkm_tcache *tc, vkm_bin *bin, vkm_epoch_record *rec);

/* vkm_tcache_trim, by the owner (`rec` its own record) or by a thread that holds the
 * cache (tcache.h, "Holding"; `rec` the holder's). */
void tc_trim_as(vkm_tcache *tc, bool all, vkm_epoch_record *rec);
/* vkm_tcache_release_list, the same way. */
bool tc_release_list_as(vkm_tcache *tc, vkm_block_list *l, vkm_epoch_record *rec);

/* ------------------------------------------------------------------------------------ */
/* Dead lists and brackets (tcache_life.c)                                              */

/* Owner: buries the bins of every dead list, having seen xdead_gen at `gen`. Reads no
 * list: only the serials. */
void tc_sweep_dead_now(vkm_tcache *tc, uint64_t gen, vkm_epoch_record *rec);
/* Owner: the same when xdead_gen moved since the last sweep; inline, as every allocation
 * asks (one load of a read-mostly line). The generation also moves when another thread
 * asks every cache for its empty runs (vkm_tcache_reclaim_others): the cache then gives
 * them all back, remote frees collected first, as a trim of vkmFlushThreadCache does. */
static inline void
tc_sweep_dead(vkm_tcache *tc, vkm_epoch_record *rec)
{
    const uint64_t gen = vkm_atomic_load_u64_acquire(tc->xdead_gen);
    if (VKM_UNLIKELY(gen != tc->dead_gen)) {
        tc_sweep_dead_now(tc, gen, rec);
        if (tc->caching)
            vkm_tcache_trim(tc, true);
    }
}
/* Owner, before it reaches a list's blocks through cached state alone (trimming, thread
 * exit), with no allocation of the list in hand to keep it alive: opens the list's free
 * bracket, which pool destruction waits for, and returns true; or returns false when the
 * list is dead (the caller buries the bin). Under the registry lock, under which the
 * destroyer zeroes the serial before it waits: either it sees our bracket or we see the
 * zero. Default lists outlive every cache and need no bracket. */
bool tc_bracket_open(vkm_tcache *tc, vkm_block_list *l, bool pooled, uint32_t id, uint64_t serial);
/* The last access to `l` of a bracketed operation. */
static inline void
tc_bracket_close(vkm_block_list *l, bool pooled)
{
    if (pooled)
        vkm_block_list_free_end(l);
}

#endif /* VKM_TCACHE_IMPL_H */
