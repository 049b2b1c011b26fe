/* SPDX-License-Identifier: MIT */
/*
 * tcache_life.c - the life of thread caches (tcache.h; tcache_impl.h): creation on a
 * thread's first use of an allocator, thread exit (empty runs return, the others are
 * abandoned, counters folded into the lists), allocator-wide set-up and
 * destruction; and the protocol for lists that die under the caches (custom pools):
 * serials, the owners' sweep of dead bins, the free brackets of trimming and thread exit,
 * and vkm_tcache_forget_list.
 */
#include "tcache_impl.h"
#include "debug.h"

#include <sched.h>
#include <stdio.h>

/* ------------------------------------------------------------------------------------ */
/* Lists that die under the caches (custom pools; tcache.h says how)                    */

static bool
bin_used(const vkm_block_list *l)
{
    return l != NULL && l != VKM_TCACHE_TOMBSTONE;
}

static bool
list_alive(const vkm_tcache_shared *s, uint32_t id, uint64_t serial)
{
    /* acquire: pairs with the release stores of vkm_tcache_forget_list (and of
     * registration, for a list made after the bin's) */
    return vkm_atomic_load_u64_acquire(&s->xlist_serial[id]) == serial;
}

void
tc_sweep_dead_now(vkm_tcache *tc, uint64_t gen, vkm_epoch_record *rec)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    tc->dead_gen = gen;
    for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
        vkm_bin *b = &tc->bins[i];
        if (bin_used(b->list) && b->pooled && !list_alive(s, b->list_id, b->serial))
            tc_bin_bury(tc, b, rec);
    }
}

/* "Holding" (tcache.h): holds every other cache with runs whose owner is outside any
 * operation on it, and gives back its empty runs, remote frees collected first: all of
 * them when `l` is NULL, else those of `l`. `self` is the calling thread's cache (the
 * fallback one under its lock will do), whose record does the epoch work. Returns
 * whether any run of `l` went back. */
static bool
hold_others(VmaAllocator a, vkm_tcache *self, vkm_block_list *l)
{
    vkm_tcache_shared *s = a->tcs;
    vkm_tcache *held = NULL;
    vkm_mutex_lock(&s->lock);
    for (vkm_tcache *c = s->caches; c != NULL; c = c->reg_next) {
        /* xheld set: another holder has it (it lets go without the registry lock;
         * acquire: its last read of steal_next comes before our write) */
        if (c == self || !c->caching || vkm_atomic_load_u64_relaxed(&c->xrun_count) == 0 ||
            vkm_atomic_load_u32_acquire(&c->xheld) != 0)
            continue;
        vkm_atomic_fetch_or_u32_seq_cst(&c->xheld, 1);
        c->steal_next = held;
        held = c;
    }
    /* For a list: only on the list's turn, and a turn is spent only where there is
     * something to hold (vkm_block_list_take_hold_turn). */
    const bool turn = held != NULL && (l == NULL || vkm_block_list_take_hold_turn(l));
    /* Every owner now either has its xbusy seen by the loads below or sees its xheld. */
    const bool fenced = turn && vkm_thread_fence_all();
    vkm_tcache *keep = NULL;
    for (vkm_tcache *c = held, *next; c != NULL; c = next) {
        next = c->steal_next;
        if (fenced && vkm_atomic_load_u32_acquire(&c->xbusy) == 0) {
            c->steal_next = keep;
            keep = c;
        } else {
            vkm_atomic_store_u32_release(&c->xheld, 0); /* busy: it trims itself */
        }
    }
    /* A held cache outlives the lock: its thread's exit waits for xheld to clear. */
    vkm_mutex_unlock(&s->lock);
    bool any = false;
    for (vkm_tcache *c = keep, *next; c != NULL; c = next) {
        next = c->steal_next; /* before we let go: another holder may relink it */
        if (l == NULL)
            tc_trim_as(c, true, self->rec);
        else
            any |= tc_release_list_as(c, l, self->rec);
        vkm_atomic_store_u32_release(&c->xheld, 0);
    }
    return any;
}

void
vkm_tcache_claim_wait(vkm_tcache *tc)
{
    for (;;) {
        vkm_atomic_store_u32_release(&tc->xbusy, 0);
        while (vkm_atomic_load_u32_acquire(&tc->xheld) != 0)
            sched_yield();
        vkm_atomic_store_u32_relaxed(&tc->xbusy, 1);
        vkm_atomic_compiler_fence(); /* as in vkm_tcache_claim */
        if (vkm_atomic_load_u32_acquire(&tc->xheld) == 0)
            return;
    }
}

void
vkm_tcache_reclaim_others(VmaAllocator a)
{
    vkm_tcache_shared *s = a->tcs;
    vkm_mutex_lock(&s->lock);
    /* release: the frees that emptied the runs come before it (tc_sweep_dead acquires) */
    vkm_atomic_store_u64_release(&s->xdead_gen, vkm_atomic_load_u64_relaxed(&s->xdead_gen) + 1);
    vkm_mutex_unlock(&s->lock);
    /* Our own record does the epoch work for the caches we hold: their owners' records
     * are theirs alone. A thread without a cache of its own holds none. */
    vkm_tcache *self = vkm_tcache_peek(a);
    if (self != NULL)
        (void)hold_others(a, self, NULL);
}

bool
vkm_tcache_release_list_others(vkm_tcache *tc, vkm_block_list *l)
{
    return hold_others(tc->allocator, tc, l);
}

bool
tc_bracket_open(vkm_tcache *tc, vkm_block_list *l, bool pooled, uint32_t id, uint64_t serial)
{
    if (!pooled)
        return true;
    vkm_tcache_shared *s = tc->allocator->tcs;
    vkm_mutex_lock(&s->lock);
    const bool alive = vkm_atomic_load_u64_relaxed(&s->xlist_serial[id]) == serial;
    if (alive)
        vkm_block_list_free_begin(l);
    vkm_mutex_unlock(&s->lock);
    return alive;
}

void
vkm_tcache_forget_list(VmaAllocator a, vkm_block_list *l)
{
    vkm_tcache_shared *s = a->tcs;
    if (l->id >= VKM_TCACHE_MAX_LISTS)
        return; /* never cached */
    vkm_mutex_lock(&s->lock);
    /* release (both): pair with list_alive and tc_sweep_dead's acquire loads */
    vkm_atomic_store_u64_release(&s->xlist_serial[l->id], 0);
    vkm_atomic_store_u64_release(&s->xdead_gen, vkm_atomic_load_u64_relaxed(&s->xdead_gen) + 1);
    vkm_mutex_unlock(&s->lock);
    /* Trims and thread exits that saw the list alive, and frees (a completing freer of
     * an abandoned run among them), finish before anything goes. */
    vkm_block_list_wait_frees(l);
    /* Abandoned runs of the list hold leaked allocations only (the last free of one
     * reclaims it); their ranges go with the blocks. */
    vkm_mutex_lock(&s->abandoned_lock);
    vkm_run *next;
    for (vkm_run *r = s->abandoned; r != NULL; r = next) {
        next = r->next;
        if (r->list != l)
            continue;
        TC_DLIST_UNLINK(s->abandoned, r);
        r->in_abandoned = false;
        vkm_atomic_fetch_sub_u32_relaxed(&s->xabandoned, 1);
        tc_run_free_struct(r);
    }
    vkm_mutex_unlock(&s->abandoned_lock);
}

/* ------------------------------------------------------------------------------------ */
/* Cache life cycle                                                                      */

static vkm_tcache *
tcache_new(VmaAllocator a, bool caching)
{
    vkm_tcache *tc = vkm_host_new(&a->ha, vkm_tcache);
    if (tc == NULL)
        return NULL;
    tc->rec = vkm_epoch_register(a->epoch);
    if (tc->rec == NULL) {
        vkm_host_delete(&a->ha, vkm_tcache, tc);
        return NULL;
    }
    tc->allocator = a;
    tc->xdumps = &a->tcs->xdumps;
    tc->xdead_gen = &a->tcs->xdead_gen;
    tc->caching = caching;
    return tc;
}

/* Frees the cache's memory (its runs are gone already); the record stays with the epoch. */
static void
tcache_delete(vkm_tcache *tc)
{
    const vkm_host_alloc *ha = &tc->allocator->ha;
    for (uint32_t i = 0; i < VKM_TCACHE_CTR_CHUNKS; i++)
        vkm_host_delete_array(ha, vkm_tcache_counter, vkm_atomic_load_ptr_relaxed(&tc->xchunks[i]),
                              VKM_TCACHE_CTR_PER_CHUNK);
    vkm_host_delete(ha, vkm_tcache, tc);
}

/* Under the registry lock: moves the cache's counters into the lists' shared ones and
 * its statistics into `retired`, and unlinks it. */
static void
fold_and_unlink(vkm_tcache_shared *s, vkm_tcache *tc)
{
    for (uint32_t id = 0; id < VKM_TCACHE_MAX_LISTS; id++) {
        vkm_block_list *l = s->lists[id];
        if (l == NULL)
            continue;
        uint64_t c = 0, b = 0;
        tc_sum_slot(tc, id, &c, &b);
        if (c != 0 || b != 0) {
            vkm_atomic_fetch_add_u64_relaxed(&l->xshared_count, c);
            vkm_atomic_fetch_add_u64_relaxed(&l->xshared_bytes, b);
        }
    }
    s->retired[0] += vkm_atomic_load_u64_relaxed(&tc->xhits);
    s->retired[1] += vkm_atomic_load_u64_relaxed(&tc->xmisses);
    s->retired[2] += vkm_atomic_load_u64_relaxed(&tc->xbypasses);
    s->retired[3] += vkm_atomic_load_u64_relaxed(&tc->xremote_frees);
    if (tc->reg_prev != NULL)
        tc->reg_prev->reg_next = tc->reg_next;
    else
        s->caches = tc->reg_next;
    if (tc->reg_next != NULL)
        tc->reg_next->reg_prev = tc->reg_prev;
}

/* Thread exit (thread.c, under its owners lock; the allocator is alive): return empty
 * runs, abandon the others, fold the counters, release the record. */
static void
tcache_thread_exit(void *data)
{
    vkm_tcache *tc = data;
    VmaAllocator a = tc->allocator;
    vkm_tcache_shared *s = a->tcs;
    /* A holder trimming the cache (tcache.h, "Holding") is done in a moment; the claim
     * then stays until the cache is gone. */
    vkm_tcache_claim(tc);
    for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
        vkm_bin *bin = &tc->bins[i];
        if (bin->runs == NULL)
            continue;
        vkm_block_list *l = bin->list;
        const bool pooled = bin->pooled;
        if (!tc_bracket_open(tc, l, pooled, bin->list_id, bin->serial)) {
            tc_bin_bury(tc, bin, tc->rec);
            continue;
        }
        while (bin->runs != NULL) {
            vkm_run *r = bin->runs;
            vkm_slab_collect_tags(&r->slab, r->xsize);
            tc_account_run_out(tc, r);
            tc_bin_unlink(bin, r);
            if (r->slab.nfree == r->slab.nslots) {
                tc_run_return(tc->rec, r);
                continue;
            }
            vkm_atomic_store_ptr_relaxed(&r->xowner, NULL);
            /* In the list before the abandoning step, under the lock: an adopter cannot
             * see it half-abandoned, and a completing freer finds it there. */
            vkm_mutex_lock(&s->abandoned_lock);
            TC_DLIST_PUSH(s->abandoned, r);
            r->in_abandoned = true;
            vkm_atomic_fetch_add_u32_relaxed(&s->xabandoned, 1);
            const bool complete = vkm_slab_abandon(&r->slab);
            vkm_mutex_unlock(&s->abandoned_lock);
            if (complete)
                tc_reclaim_abandoned(tc, r);
        }
        tc_bracket_close(l, pooled);
    }
    vkm_mutex_lock(&s->lock);
    fold_and_unlink(s, tc);
    vkm_mutex_unlock(&s->lock);
    vkm_epoch_unregister(tc->rec);
    tcache_delete(tc);
}

vkm_tcache *
vkm_tcache_enter_slow(VmaAllocator a)
{
    vkm_tcache_shared *s = a->tcs;
    vkm_tcache *tc = tcache_new(a, a->use_caches);
    if (tc != NULL) {
        /* claimed before anyone can see it: the caller owns it until vkm_tcache_leave */
        vkm_atomic_store_u32_relaxed(&tc->xbusy, 1);
        vkm_mutex_lock(&s->lock);
        tc->reg_next = s->caches;
        if (s->caches != NULL)
            s->caches->reg_prev = tc;
        s->caches = tc;
        vkm_mutex_unlock(&s->lock);
        if (vkm_thread_set(a, a->owner.gen, tc, tcache_thread_exit))
            return tc;
        vkm_mutex_lock(&s->lock);
        fold_and_unlink(s, tc);
        vkm_mutex_unlock(&s->lock);
        vkm_epoch_unregister(tc->rec);
        tcache_delete(tc);
    }
    vkm_mutex_lock(&s->fallback_lock);
    return s->fallback;
}

VkResult
vkm_tcache_shared_init(VmaAllocator a)
{
    vkm_tcache_shared *s = vkm_host_new(&a->ha, vkm_tcache_shared);
    if (s == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    a->tcs = s;
    vkm_mutex_init(&s->lock);
    vkm_mutex_init(&s->fallback_lock);
    vkm_mutex_init(&s->abandoned_lock);
    vkm_atomic_init_u32(&s->xabandoned, 0);
    vkm_atomic_init_u64(&s->xlimit, VKM_DEFAULT_THREAD_CACHE_BYTES);
    vkm_atomic_init_u64(&s->xdead_gen, 0);
    vkm_atomic_init_u32(&s->xdumps, 0);
    for (uint32_t i = 0; i < VKM_TCACHE_MAX_LISTS; i++)
        vkm_atomic_init_u64(&s->xlist_serial[i], 0);
    s->fallback = tcache_new(a, false);
    if (s->fallback == NULL) {
        vkm_mutex_destroy(&s->lock);
        vkm_mutex_destroy(&s->fallback_lock);
        vkm_mutex_destroy(&s->abandoned_lock);
        vkm_host_delete(&a->ha, vkm_tcache_shared, s);
        a->tcs = NULL;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return VK_SUCCESS;
}

/* Allocator destruction: the range goes back without any policy (the blocks are about
 * to be freed) and the struct directly (nobody can be reading it any more). */
static void
drop_run(vkm_run *r)
{
    vkm_block *b = r->block;
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->slab.nslots; i++)
        live += tc_run_slot_size(r, i) != 0;
    if (live != 0 && vkm_config_api_asserts)
        fprintf(stderr,
                "vkmalloc: %u allocation(s) of %u bytes were not freed before the "
                "allocator was destroyed\n",
                live, r->slot_size);
    vkm_spin_lock(&b->lock);
    vkm_block_range_free(b, r->base);
    vkm_spin_unlock(&b->lock);
    tc_run_free_struct(r);
}

void
vkm_tcache_shared_finish(VmaAllocator a)
{
    vkm_tcache_shared *s = a->tcs;
    if (s == NULL)
        return;
    /* No thread uses the allocator now (VMA's contract), and thread exits no longer run
     * for it (the caller unregistered the generation first). */
    while (s->caches != NULL) {
        vkm_tcache *tc = s->caches;
        /* runs of destroyed pools: their blocks are gone */
        tc_sweep_dead_now(tc, vkm_atomic_load_u64_acquire(tc->xdead_gen), NULL);
        for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
            while (tc->bins[i].runs != NULL) {
                vkm_run *r = tc->bins[i].runs;
                tc_bin_unlink(&tc->bins[i], r);
                drop_run(r);
            }
        }
        s->caches = tc->reg_next;
        tcache_delete(tc);
    }
    while (s->abandoned != NULL) {
        vkm_run *r = s->abandoned;
        s->abandoned = r->next;
        drop_run(r);
    }
    tcache_delete(s->fallback);
    vkm_mutex_destroy(&s->lock);
    vkm_mutex_destroy(&s->fallback_lock);
    vkm_mutex_destroy(&s->abandoned_lock);
    vkm_host_delete(&a->ha, vkm_tcache_shared, s);
    a->tcs = NULL;
}
