/* SPDX-License-Identifier: MIT */
/*
 * tcache.c - runs and bins of the thread caches (tcache.h): the slow allocation path
 * (bin lookup, refill, adoption of abandoned runs, new runs), the memo fast path, frees
 * by the owner and by other threads, trimming, releasing a list's empty runs, and the
 * walks that expand a run's range for statistics, corruption checks and
 * defragmentation. The cache's counters are in tcache_count.c, its life cycle and dead
 * lists in tcache_life.c (tcache_impl.h).
 */
#include "tcache_impl.h"
#include "debug.h"
#include "size_class.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

/* Runs start at RUN_START_BYTES and double whenever a bin needs a new run while all its
 * runs are full (demand outgrew them), and whenever a request went to the shared path
 * because a run would have been too small, and whenever two of its runs are empty at
 * once (maybe_return_empty), up to RUN_START_BYTES << RUN_GROWTH_STEPS, at most
 * VKM_SLAB_MAX_SLOTS slots and at most 1/RUN_BLOCK_FRACTION of the list's block size,
 * and never beyond twice the slots the bin holds live when the run is made.
 * A bin whose one run empties and comes back does not grow, so the cache stays sized to
 * what a class holds live. Fewer than RUN_MIN_SLOTS slots is not worth a run: the shared
 * path serves, so a thread making one large allocation pins nothing, and a class becomes
 * cached once it is asked for repeatedly. */
#define RUN_START_BYTES (32u * 1024u)
#define RUN_GROWTH_STEPS 5u
#define RUN_BLOCK_FRACTION 8u
#define RUN_MIN_SLOTS 2u

/* The slot size for a request of `kind` in list `l`, or 0 when runs do not serve it. A
 * run holds one kind, so bufferImageGranularity needs no padding between its slots, except
 * for the kinds that conflict with themselves (range.h: UNKNOWN, IMAGE_UNKNOWN): their
 * slots take whole granularity pages, as their ranges do in VMA, so the request is sized
 * and aligned in pages before a class is chosen (the waste bound then counts only what the
 * class adds to whole pages). */
static inline uint64_t
tc_slot_size(const vkm_block_list *l, uint64_t size, uint64_t alignment, vkm_range_kind kind)
{
    const uint64_t g = l->granularity;
    if (g > 1u && vkm_range_kind_needs_own_pages(kind)) {
        if (size > UINT64_MAX - (g - 1u))
            return 0;
        size = (size + g - 1u) & ~(g - 1u);
        alignment = alignment > g ? alignment : g;
    }
    return vkm_size_class_slot(size, alignment);
}

/* ------------------------------------------------------------------------------------ */
/* Runs                                                                                 */

/* Where the back pointers start: after xsize[], pointer-aligned (tcache.h). */
static size_t
run_allocs_offset(uint32_t nslots)
{
    const size_t end = sizeof(vkm_run) + nslots * sizeof(vkm_atomic_u32);
    return (end + _Alignof(vkm_atomic_ptr) - 1) & ~(size_t)(_Alignof(vkm_atomic_ptr) - 1);
}

static vkm_atomic_ptr *
run_allocs(const vkm_run *r)
{
    return (vkm_atomic_ptr *)(void *)((char *)(uintptr_t)r + run_allocs_offset(r->slab.nslots));
}

static size_t
run_struct_size(uint32_t nslots)
{
    return run_allocs_offset(nslots) + nslots * sizeof(vkm_atomic_ptr);
}

void
tc_run_free_struct(vkm_run *r)
{
    vkm_host_alloc_free_aligned(r->ha, r, run_struct_size(r->slab.nslots), _Alignof(vkm_run));
}

static void
run_retired(vkm_epoch_entry *e)
{
    tc_run_free_struct(vkm_epoch_container(e, vkm_run, retire));
}

void
tc_run_return(vkm_epoch_record *rec, vkm_run *r)
{
    vkm_block_list_free_range(r->list, rec, r->block, r->base);
    vkm_epoch_retire(rec, &r->retire, run_retired);
}

static vkm_bin *
bin_init(vkm_bin *b, const vkm_block_list *l, uint32_t slot_size, uint8_t kind)
{
    memset(b, 0, sizeof(*b));
    b->list = (vkm_block_list *)l;
    b->serial = l->serial;
    b->list_id = l->id;
    b->pooled = l->p.pool != NULL;
    b->keep_empty = l->p.pool == NULL;
    b->slot_size = slot_size;
    b->kind = kind;
    return b;
}

static vkm_bin *
bin_find(vkm_tcache *tc, const vkm_block_list *l, uint32_t slot_size, uint8_t kind, bool create)
{
    /* Slot sizes are multiples of 256 and lists are cache-line aligned, so the key's low
     * bits carry nothing: mix all of it (a 64-bit finaliser) and index by the top bits. */
    uint64_t h = (uint64_t)(uintptr_t)l ^ ((uint64_t)slot_size << 24) ^ ((uint64_t)kind << 56);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    vkm_bin *tomb = NULL;
    for (uint32_t i = 0; i < 16; i++) {
        vkm_bin *b = &tc->bins[(h + i) & (VKM_TCACHE_BINS - 1)];
        /* the serial tells this list from a destroyed one that had the same address */
        if (b->list == l && b->serial == l->serial && b->slot_size == slot_size && b->kind == kind)
            return b;
        if (b->list == VKM_TCACHE_TOMBSTONE) {
            if (tomb == NULL)
                tomb = b;
            continue;
        }
        if (b->list == NULL) {
            if (!create)
                return NULL;
            return bin_init(tomb != NULL ? tomb : b, l, slot_size, kind);
        }
    }
    /* neighbourhood full: this key is not cached, unless a swept bin can take it */
    return create && tomb != NULL ? bin_init(tomb, l, slot_size, kind) : NULL;
}

static void
bin_link(vkm_bin *bin, vkm_run *r)
{
    TC_DLIST_PUSH(bin->runs, r);
    bin->run_count++;
}


static uint32_t
run_slots_for(const vkm_bin *bin, const vkm_block_list *l)
{
    uint32_t shift = bin->shift;
    uint64_t bytes = (uint64_t)RUN_START_BYTES << shift;
    uint64_t cap = l->p.preferred_block_size / RUN_BLOCK_FRACTION;
    if (bytes > cap)
        bytes = cap;
    uint64_t n = bytes / bin->slot_size;
    if (n < RUN_MIN_SLOTS)
        return 0;
    /* The growth steps only ever rise, so on their own they size a class by the most it
     * ever held: churn's small classes, 20 - 30 allocations live each, ended in 1 MiB runs
     * a sixth used. A new run holds at most twice what the bin holds live now (at least
     * a first run's worth), so capacity follows the population it serves, and a class
     * that outgrows its runs still triples its capacity per new run. */
    uint64_t live = 0;
    for (const vkm_run *r = bin->runs; r != NULL; r = r->next)
        live += r->slab.nslots - r->slab.nfree;
    uint64_t most = 2u * live;
    if (most < RUN_START_BYTES / bin->slot_size)
        most = RUN_START_BYTES / bin->slot_size;
    if (most < RUN_MIN_SLOTS)
        most = RUN_MIN_SLOTS;
    if (n > most)
        n = most;
    return n > VKM_SLAB_MAX_SLOTS ? VKM_SLAB_MAX_SLOTS : (uint32_t)n;
}

/* A run struct of `nslots` slots and its range in the bin's list, or NULL with *res the
 * list's answer. */
static vkm_run *
run_try_reserve(vkm_tcache *tc, const vkm_bin *bin, const vkm_alloc_request *req, uint32_t nslots,
                VkResult *res)
{
    vkm_block_list *l = bin->list;
    const vkm_host_alloc *ha = &tc->allocator->ha;
    vkm_run *r = vkm_host_alloc_alloc(ha, run_struct_size(nslots), _Alignof(vkm_run));
    if (r == NULL) {
        *res = VK_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    memset(r, 0, sizeof(*r));
    /* Everything a statistics walk reads is set before the range (and with it the run)
     * becomes visible in the block's TLSF. */
    r->list = l;
    r->slot_size = bin->slot_size;
    r->kind = bin->kind;
    r->ha = ha;
    vkm_atomic_init_ptr(&r->xowner, tc);
    vkm_slab_init(&r->slab, nslots);
    for (uint32_t i = 0; i < nslots; i++) {
        vkm_atomic_init_u32(&r->xsize[i], 0);
        vkm_atomic_init_ptr(&run_allocs(r)[i], NULL);
    }
    vkm_block_list_request lr = {
        .size = (VkDeviceSize)nslots * bin->slot_size,
        .alignment = vkm_size_class_pow2_factor(bin->slot_size),
        .kind = (vkm_range_kind)bin->kind,
        /* placement-relevant bits only; a run is never dedicated */
        .flags = (req->flags & (VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT |
                                VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT |
                                VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                                VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT)) |
                 /* a list grows only where VMA's would: on the shared path, for the
                  * request itself, never for a run larger than the request */
                 VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT,
        .user = (void *)((uintptr_t)r | TC_RUN_TAG),
    };
    *res = vkm_block_list_alloc_range(l, tc->rec, &lr, &r->block, &r->base);
    if (*res != VK_SUCCESS) {
        vkm_host_alloc_free_aligned(ha, r, run_struct_size(nslots), _Alignof(vkm_run));
        return NULL;
    }
    return r;
}

/* Reserves a new run for `bin` from its list. */
static VkResult
run_create(vkm_tcache *tc, vkm_bin *bin, const vkm_alloc_request *req, vkm_run **out)
{
    vkm_block_list *l = bin->list;
    const uint32_t nslots = run_slots_for(bin, l);
    if (nslots == 0) {
        if (bin->shift < RUN_GROWTH_STEPS)
            bin->shift++; /* warming up: the next run is twice the size */
        return VK_INCOMPLETE;
    }
    /* Where no block has room for the run, smaller ones are tried down to RUN_MIN_SLOTS.
     * A list kept full by its growth rule (runs never grow it) has gaps that hold a short
     * run, and every request a run serves is one less on the shared path, whose block
     * locks all threads share (churn on 16 cores: 3 % of requests went there and half of
     * them waited; transient stuck in two small blocks: 90 % waited). Short runs pin the
     * gaps, though, so while the list's blocks still grow and its locks have never been
     * contended, the request goes to the shared path instead, which makes the next,
     * larger block where the next run fits whole (a defragmentation moves only other
     * threads' slots into shared ranges, and a small block full of short runs of exited
     * threads would never empty). */
    const uint32_t floor =
        vkm_block_list_grown(l) || vkm_block_list_contended(l) ? RUN_MIN_SLOTS : nslots;
    vkm_run *r;
    VkResult res;
    for (uint32_t n = nslots;; n /= 2u) {
        r = run_try_reserve(tc, bin, req, n, &res);
        if (res != VK_ERROR_OUT_OF_DEVICE_MEMORY || n / 2u < floor)
            break;
    }
    if (res != VK_SUCCESS)
        return res;
    r->block_id = r->block->id;
    /* The bin's runs are all full: the next one is twice the size, unless this one had
     * to be shorter than asked (the list has no room for longer ones). */
    if (bin->runs != NULL && r->slab.nslots == nslots && bin->shift < RUN_GROWTH_STEPS)
        bin->shift++;
    bin_link(bin, r);
    tc_account_run_in(tc, r);
    *out = r;
    return VK_SUCCESS;
}

/* Takes an abandoned run of the bin's key, if any. The adopting step runs under the
 * list's lock: a run whose last slot comes back meanwhile stays in the list for its
 * completer, who needs the same lock to unlink it before the struct is retired, so the
 * struct cannot go away under us. */
static vkm_run *
adopt(vkm_tcache *tc, vkm_bin *bin)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    if (vkm_atomic_load_u32_relaxed(&s->xabandoned) == 0)
        return NULL;
    vkm_run *r;
    vkm_mutex_lock(&s->abandoned_lock);
    for (r = s->abandoned; r != NULL; r = r->next) {
        if (r->list != bin->list || r->slot_size != bin->slot_size || r->kind != bin->kind)
            continue;
        if (!vkm_slab_adopt(&r->slab))
            continue; /* completed: its last freer reclaims it */
        TC_DLIST_UNLINK(s->abandoned, r);
        r->in_abandoned = false;
        vkm_atomic_fetch_sub_u32_relaxed(&s->xabandoned, 1);
        break;
    }
    vkm_mutex_unlock(&s->abandoned_lock);
    if (r == NULL)
        return NULL;
    vkm_atomic_store_ptr_relaxed(&r->xowner, tc);
    vkm_slab_collect_tags(&r->slab, r->xsize);
    bin_link(bin, r);
    tc_account_run_in(tc, r);
    return r;
}

static bool
run_before(const vkm_run *a, const vkm_run *b)
{
    return a->block_id != b->block_id ? a->block_id < b->block_id : a->base < b->base;
}

/* The lowest run of the bin with a free slot in the owner's view (oldest block, lowest
 * offset, which keeps memory compact), or NULL. With `collect`, remote frees are
 * collected first, and a collection that finds less than a quarter of the bin's slots
 * free marks the bin starved: its runs hold barely more than what other threads keep
 * live, so collections would come every few allocations, each pulling the freeing
 * threads' lines of every run back (handoff: one run switch in six allocations cost
 * more than the allocations themselves). The next refill makes a run instead. */
static vkm_run *
bin_pick(vkm_tcache *tc, vkm_bin *bin, bool collect)
{
    vkm_run *best = NULL;
    uint32_t free_slots = 0, slots = 0;
    for (vkm_run *r = bin->runs; r != NULL; r = r->next) {
        if (collect) {
            uint32_t n = vkm_slab_collect_tags(&r->slab, r->xsize);
            if (n != 0)
                tc_set_cached(tc, tc->cached_bytes + (uint64_t)n * r->slot_size);
            free_slots += r->slab.nfree;
            slots += r->slab.nslots;
        }
        if (r->slab.nfree != 0 && (best == NULL || run_before(r, best)))
            best = r;
    }
    if (collect && free_slots * 4u < slots)
        bin->starved = true;
    return best;
}

/* Owner slow path: a run of the bin with a free slot. Slots already collected first, so
 * the remote-free lines (which freeing threads write) are visited only once every run is
 * used up, and then each visit collects everything freed since the last one. Then an
 * adopted or a new run. */
static VkResult
bin_refill(vkm_tcache *tc, vkm_bin *bin, const vkm_alloc_request *req, vkm_run **out)
{
    vkm_run *best = bin_pick(tc, bin, false);
    if (best == NULL)
        best = bin_pick(tc, bin, true);
    if (bin->starved) {
        bin->starved = false;
        if (run_create(tc, bin, req, out) == VK_SUCCESS) {
            tc_owner_add(&tc->xmisses, 1);
            return VK_SUCCESS;
        }
    }
    if (best != NULL) {
        *out = best;
        return VK_SUCCESS;
    }
    vkm_run *r = adopt(tc, bin);
    if (r != NULL && r->slab.nfree != 0) {
        *out = r;
        return VK_SUCCESS;
    }
    VkResult res = run_create(tc, bin, req, out);
    if (res == VK_SUCCESS)
        tc_owner_add(&tc->xmisses, 1);
    return res;
}

void
tc_bin_bury(vkm_tcache *tc, vkm_bin *bin, vkm_epoch_record *rec)
{
    while (bin->runs != NULL) {
        vkm_run *r = bin->runs;
        tc_account_run_out(tc, r);
        tc_bin_unlink(bin, r);
        if (rec != NULL)
            vkm_epoch_retire(rec, &r->retire, run_retired);
        else
            tc_run_free_struct(r);
    }
    memset(bin, 0, sizeof(*bin));
    bin->list = VKM_TCACHE_TOMBSTONE;
}

/* Owner: slot `slot` of run `r`, just taken from its slab, becomes `alloc`'s place, with
 * `size` its requested (range) size. */
static inline void
tc_slot_bind(vkm_tcache *tc, vkm_run *r, uint32_t slot, VmaAllocation alloc, uint64_t size)
{
    tc_set_cached(tc, tc->cached_bytes - r->slot_size);
    vkm_atomic_store_ptr_relaxed(&run_allocs(r)[slot], alloc);
    /* release: pairs with the acquire in vkm_tcache_visit_allocs, which then reads the
     * pointer just stored (a plain store on x86, like the relaxed one it replaces) */
    vkm_atomic_store_u32_release(&r->xsize[slot], (uint32_t)size);
    alloc->type = VKM_ALLOC_BLOCK;
    alloc->u.b.block = r->block;
    alloc->u.b.cached = r;
    alloc->u.b.slot = slot;
    alloc->offset = r->base + (VkDeviceSize)slot * r->slot_size;
}

VkResult
vkm_tcache_alloc(vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req,
                 VmaAllocation alloc)
{
    if (!tc->caching || l->serial == 0)
        return VK_INCOMPLETE;
    tc_sweep_dead(tc, tc->rec); /* a read-mostly line; work only after a pool died */
    const VkDeviceSize alignment = vkm_block_list_alignment(l, req->alignment);
    const uint64_t slot_size = tc_slot_size(l, req->size, alignment, (vkm_range_kind)req->kind);
    /* No class (over 256 KiB, or aligned beyond that): the shared path serves. */
    vkm_bin *bin =
        slot_size != 0 ? bin_find(tc, l, (uint32_t)slot_size, (uint8_t)req->kind, true) : NULL;
    if (bin == NULL) {
        tc_owner_add(&tc->xbypasses, 1);
        return VK_INCOMPLETE;
    }
    vkm_run *r = bin->cur;
    /* A starved bin (bin_pick) refills even if its current run has a slot: the fast path
     * may have collected one there before it gave up on the thin collection. */
    uint32_t slot = r != NULL && !bin->starved ? vkm_slab_alloc(&r->slab) : VKM_SLAB_NONE;
    if (slot == VKM_SLAB_NONE) {
        const uint64_t misses_before = vkm_atomic_load_u64_relaxed(&tc->xmisses);
        VkResult res = bin_refill(tc, bin, req, &r);
        if (res != VK_SUCCESS) {
            /* No run (too small yet, or no room for a whole run near a limit): the
             * shared path may still place the request itself, and reports its errors. */
            tc_owner_add(&tc->xbypasses, 1);
            return VK_INCOMPLETE;
        }
        bin->cur = r;
        slot = vkm_slab_alloc(&r->slab);
        vkm_assert(slot != VKM_SLAB_NONE);
        if (vkm_atomic_load_u64_relaxed(&tc->xmisses) == misses_before)
            tc_owner_add(&tc->xhits, 1); /* served by collected or adopted slots */
    } else {
        tc_owner_add(&tc->xhits, 1);
    }
    tc_slot_bind(tc, r, slot, alloc, req->size);
    alloc->size = req->size;
    alloc->alignment = alignment;
    alloc->memory_type = l->p.memory_type;
    alloc->pool = l->p.pool;
    return VK_SUCCESS;
}

/* ------------------------------------------------------------------------------------ */
/* Fast path (see vkm_memo)                                                              */

/* The memo's index of a slot size (vkm_size_class_slot's values: a power of two, or
 * 2^k * q / 4 with q in 5..7, from VKM_SIZE_CLASS_MIN to VKM_SIZE_CLASS_MAX). */
static inline uint32_t
memo_class(uint64_t slot_size)
{
    const uint32_t e = 63u - (uint32_t)__builtin_clzll(slot_size);
    return (e - 8u) * 4u + (uint32_t)(slot_size >> (e - 2u)) - 4u;
}
_Static_assert(VKM_SIZE_CLASS_MIN == 1u << 8 && VKM_SIZE_CLASS_MAX == 1u << 18 &&
                   VKM_MEMO_CLASSES == (18u - 8u) * 4u + 4u,
               "memo_class covers the slot sizes");

void
vkm_tcache_memo_record(vkm_tcache *tc, const vkm_memo_key *key, vkm_block_list *l,
                       VmaAllocation alloc)
{
    if (!tc->caching || l->p.pool != NULL || alloc->type != VKM_ALLOC_BLOCK ||
        alloc->u.b.cached == NULL || ((uintptr_t)alloc->u.b.cached & TC_TAG_MASK) != 0 ||
        vkm_tcache_memo_find(tc, key) != NULL)
        return;
    vkm_memo *m = &tc->memo[tc->memo_next];
    tc->memo_next = (tc->memo_next + 1u) % VKM_MEMO_ENTRIES;
    memset(m, 0, sizeof(*m));
    m->key = *key;
    m->list = l;
    m->counter = tc_counter_of(tc, l);
    if (m->counter == NULL) {
        m->list = NULL; /* counted in the list's shared atomics: slow path only */
        return;
    }
    /* the slow path prefers dedicated memory above half a block */
    const VkDeviceSize half = l->p.preferred_block_size / 2;
    m->max_size = half < VKM_SIZE_CLASS_MAX ? half : VKM_SIZE_CLASS_MAX;
    m->alloc_flags = alloc->flags;
}

bool
vkm_tcache_alloc_fast(vkm_tcache *tc, vkm_memo *m, VkDeviceSize size, VkDeviceSize alignment,
                      vkm_range_kind kind, VmaAllocation alloc)
{
    tc_sweep_dead(tc, tc->rec); /* as vkm_tcache_alloc: the header's promise */
    vkm_block_list *l = m->list;
    alignment = vkm_block_list_alignment(l, alignment);
    const uint64_t slot_size = tc_slot_size(l, size, alignment, kind);
    if (slot_size == 0)
        return false;
    vkm_bin **bp = &m->bins[memo_class(slot_size)];
    vkm_bin *bin = *bp;
    if (VKM_UNLIKELY(bin == NULL || bin->list != l || bin->slot_size != slot_size ||
                     bin->kind != (uint8_t)kind)) {
        bin = bin_find(tc, l, (uint32_t)slot_size, (uint8_t)kind, false);
        if (bin == NULL)
            return false;
        *bp = bin;
    }
    vkm_run *r = bin->cur;
    uint32_t slot = r != NULL ? vkm_slab_alloc(&r->slab) : VKM_SLAB_NONE;
    if (slot == VKM_SLAB_NONE) {
        /* The current run is used up: another run of the bin with free slots, collected
         * ones first, as bin_refill does; adopting or making a run is the slow path's. */
        r = bin_pick(tc, bin, false);
        if (r == NULL)
            r = bin_pick(tc, bin, true);
        if (r == NULL || bin->starved)
            return false;
        bin->cur = r;
        slot = vkm_slab_alloc(&r->slab);
    }
    tc_owner_add(&tc->xhits, 1);
    tc_slot_bind(tc, r, slot, alloc, size);
    alloc->size = size;
    alloc->alignment = alignment;
    alloc->memory_type = l->p.memory_type;
    alloc->pool = NULL;
    tc_owner_add(&m->counter->xcount, 1);
    tc_owner_add(&m->counter->xbytes, size);
    return true;
}

/* `rec`: the record of the thread at work, the owner's or a holder's. */
static void
bin_return_run_as(vkm_tcache *tc, vkm_bin *bin, vkm_run *r, vkm_epoch_record *rec)
{
    tc_account_run_out(tc, r);
    tc_bin_unlink(bin, r);
    tc_run_return(rec, r);
}

static void
bin_return_run(vkm_tcache *tc, vkm_bin *bin, vkm_run *r)
{
    bin_return_run_as(tc, bin, r, tc->rec);
}

/* Owner: `r` has no allocation left. Within the byte budget a bin keeps one empty run,
 * the larger one when it now has two (runs grow with demand, so the larger one is what
 * the class needs); over the budget, empty runs go back. */
static void
maybe_return_empty(vkm_tcache *tc, vkm_bin *bin, vkm_run *r)
{
    const uint64_t limit = vkm_atomic_load_u64_relaxed(&tc->allocator->tcs->xlimit);
    if (!bin->keep_empty) {
        /* A custom pool: an empty run kept here could make another thread's allocation
         * fail that VMA would place (maxBlockCount), keep a block VMA would release, and
         * show as slots where VMA shows one free range: it goes back at once. */
        bin_return_run(tc, bin, r);
        return;
    }
    vkm_run *other = NULL;
    for (vkm_run *o = bin->runs; o != NULL && other == NULL; o = o->next)
        if (o != r && o->slab.nfree == o->slab.nslots)
            other = o;
    if (tc->cached_bytes > limit) {
        bin_return_run(tc, bin, r);
        if (other != NULL && tc->cached_bytes > limit)
            bin_return_run(tc, bin, other);
    } else if (other != NULL) {
        /* Two runs empty at once: the class's demand outgrew a run (a frame needed both).
         * Only the larger stays, so the next run asked for is larger too. The growth in
         * run_create misses this when runs came out shorter than asked (a full list):
         * the class would stay in short runs, making and returning several per frame
         * under the blocks' locks (bench transient on 16 threads, one round in two). */
        bin_return_run(tc, bin, other->slab.nslots < r->slab.nslots ? other : r);
        if (bin->shift < RUN_GROWTH_STEPS)
            bin->shift++;
    }
}

void
tc_reclaim_abandoned(vkm_tcache *tc, vkm_run *r)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    vkm_mutex_lock(&s->abandoned_lock);
    if (r->in_abandoned) {
        TC_DLIST_UNLINK(s->abandoned, r);
        r->in_abandoned = false;
        vkm_atomic_fetch_sub_u32_relaxed(&s->xabandoned, 1);
    }
    vkm_mutex_unlock(&s->abandoned_lock);
    tc_run_return(tc->rec, r);
}

bool
vkm_tcache_free(vkm_tcache *tc, VmaAllocation alloc)
{
    vkm_run *r = alloc->u.b.cached;
    const uint32_t slot = alloc->u.b.slot;
    vkm_assert(vkm_atomic_load_u32_relaxed(&r->xsize[slot]) != 0);
    if (vkm_atomic_load_ptr_relaxed(&r->xowner) == tc) {
        /* Only this thread ever stores itself as the owner, so the comparison is exact. */
        vkm_assert(!vkm_slab_is_free_local(&r->slab, slot));
        vkm_atomic_store_u32_relaxed(&r->xsize[slot], 0);
        vkm_atomic_store_ptr_relaxed(&run_allocs(r)[slot], NULL);
        vkm_slab_free_local(&r->slab, slot);
        tc_set_cached(tc, tc->cached_bytes + r->slot_size);
        if (r->slab.nfree == r->slab.nslots) {
            vkm_bin *bin = bin_find(tc, r->list, r->slot_size, r->kind, false);
            vkm_assert(bin != NULL);
            if (bin != NULL)
                maybe_return_empty(tc, bin, r);
        }
        /* Another thread's dump may read the object ("Dumps"): the stores above, then
         * xdumps, in program order (the dump's process-wide fence does the rest). The
         * acquire orders the deletion after the reads of a dump that has ended. */
        vkm_atomic_compiler_fence();
        return vkm_atomic_load_u32_acquire(tc->xdumps) != 0;
    }
    /* Remote: one count and one atomic publication, which is our last access to the run
     * (slab.h: the owner may return it as soon as it has collected the slot). The
     * slot's xsize stays: the owner clears it when it collects (the xsize lines are the
     * owner's, a write here would bounce them on every free). */
    tc_owner_add(&tc->xremote_frees, 1);
    const bool completed = vkm_slab_free_remote(&r->slab, slot);
    /* After the OR (seq_cst, see "Dumps" in tcache.h): a shared, read-mostly line. */
    const bool dumping = vkm_tcache_dumping(tc->allocator);
    if (completed)
        tc_reclaim_abandoned(tc, r);
    return dumping;
}

bool
vkm_tcache_dump_begin(VmaAllocator a, vkm_tcache *tc)
{
    /* The section first: every retirement the announcement causes comes after it, so
     * no object the dump may read is reclaimed before the dump ends. */
    vkm_epoch_begin(tc->rec);
    /* seq_cst: before the walk's seq_cst reads of remote bits (tcache.h, "Dumps") */
    vkm_atomic_fetch_add_u32_seq_cst(&a->tcs->xdumps, 1);
    /* Owners free with plain stores and a compiler fence before they read xdumps: this
     * makes each of them either see the announcement or have its stores seen. */
    return vkm_thread_fence_all();
}

void
vkm_tcache_dump_end(VmaAllocator a, vkm_tcache *tc)
{
    /* The walk's reads are over; a freer that still sees the count retires an object
     * needlessly, which is harmless. Release: a freer that reads the count after this
     * deletes after our reads. */
    vkm_atomic_fetch_sub_u32_acq_rel(&a->tcs->xdumps, 1);
    vkm_epoch_end(tc->rec);
}

bool
vkm_tcache_dumping(VmaAllocator a)
{
    /* seq_cst: pairs with vkm_tcache_dump_begin, after the caller's seq_cst OR */
    return vkm_atomic_load_u32_seq_cst(&a->tcs->xdumps) != 0;
}

void
vkm_tcache_trim(vkm_tcache *tc, bool all)
{
    tc_trim_as(tc, all, tc->rec);
}

void
tc_trim_as(vkm_tcache *tc, bool all, vkm_epoch_record *rec)
{
    const uint64_t limit = vkm_atomic_load_u64_relaxed(&tc->allocator->tcs->xlimit);
    for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
        vkm_bin *bin = &tc->bins[i];
        if (bin->runs == NULL)
            continue;
        vkm_block_list *l = bin->list;
        const bool pooled = bin->pooled;
        if (!tc_bracket_open(tc, l, pooled, bin->list_id, bin->serial)) {
            tc_bin_bury(tc, bin, rec);
            continue;
        }
        vkm_run *keep = NULL; /* the bin's largest empty run */
        for (vkm_run *r = bin->runs; r != NULL; r = r->next) {
            uint32_t n = vkm_slab_collect_tags(&r->slab, r->xsize);
            tc_set_cached(tc, tc->cached_bytes + (uint64_t)n * r->slot_size);
            if (r->slab.nfree == r->slab.nslots &&
                (keep == NULL || r->slab.nslots > keep->slab.nslots))
                keep = r;
        }
        vkm_run *next;
        for (vkm_run *r = bin->runs; r != NULL; r = next) {
            next = r->next;
            if (r != keep && r->slab.nfree == r->slab.nslots)
                bin_return_run_as(tc, bin, r, rec);
        }
        if (keep != NULL && (all || !bin->keep_empty || tc->cached_bytes > limit))
            bin_return_run_as(tc, bin, keep, rec);
        tc_bracket_close(l, pooled);
    }
    vkm_epoch_poll(rec);
}

bool
vkm_tcache_release_list(vkm_tcache *tc, vkm_block_list *l)
{
    return tc_release_list_as(tc, l, tc->rec);
}

bool
tc_release_list_as(vkm_tcache *tc, vkm_block_list *l, vkm_epoch_record *rec)
{
    /* The caller allocates in `l`, which keeps it alive: no bracket. */
    bool any = false;
    if (!tc->caching)
        return false;
    for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
        vkm_bin *bin = &tc->bins[i];
        if (bin->list != l || bin->serial != l->serial)
            continue;
        vkm_run *next;
        for (vkm_run *r = bin->runs; r != NULL; r = next) {
            next = r->next;
            uint32_t n = vkm_slab_collect_tags(&r->slab, r->xsize);
            tc_set_cached(tc, tc->cached_bytes + (uint64_t)n * r->slot_size);
            if (r->slab.nfree == r->slab.nslots) {
                bin_return_run_as(tc, bin, r, rec);
                any = true;
            }
        }
    }
    return any;
}

bool
vkm_tcache_tile_range(void *user, const vkm_tcache *self, bool others, vkm_stats_tiler *t)
{
    if (!((uintptr_t)user & TC_RUN_TAG))
        return false;
    const vkm_run *r = (const vkm_run *)((uintptr_t)user & ~TC_TAG_MASK);
    /* The run is alive: its range is in the TLSF whose lock the caller holds. The
     * comparison is exact because only the owner stores itself, and it does not change
     * while the owner is here. */
    const bool mine = self != NULL && vkm_atomic_load_ptr_relaxed(&r->xowner) == self;
    const bool objects = mine || (self != NULL && others);
    const vkm_range_kind kind = (vkm_range_kind)r->kind;
    for (uint32_t i = 0; i < r->slab.nslots; i++) {
        const VkDeviceSize at = r->base + (VkDeviceSize)i * r->slot_size;
        uint32_t s;
        VmaAllocation alloc = NULL;
        if (objects) {
            /* The seq_cst read of the remote bit decides whether the object may be read
             * after another thread's free of the slot (it is retired, not deleted, if
             * that free comes later); the owner's own frees are ordered by the dump's
             * process-wide fence ("Dumps"). The acquire orders the back pointer the
             * owner stored before the size; it may be NULL if the owner is freeing. */
            s = vkm_slab_is_free_remote_seq_cst(&r->slab, i)
                    ? 0
                    : vkm_atomic_load_u32_acquire(&r->xsize[i]);
            if (s != 0)
                alloc = vkm_atomic_load_ptr_relaxed(&run_allocs(r)[i]);
            /* An owner that freed the slot between our two reads and took it again
             * stored the new pointer before the new size: read both once more. */
            for (int again = 0; !mine && s != 0 && alloc == NULL && again < 2; again++) {
                s = vkm_atomic_load_u32_acquire(&r->xsize[i]);
                alloc = vkm_atomic_load_ptr_relaxed(&run_allocs(r)[i]);
            }
        } else {
            s = tc_run_slot_size(r, i);
        }
        if (s == 0) {
            vkm_stats_tiler_free(t, at, r->slot_size);
            continue;
        }
        /* The allocation counts with its requested size; the rest of its slot is free
         * space that joins the free space after it. */
        vkm_stats_tiler_alloc(t, at, s, kind, alloc);
        vkm_stats_tiler_free(t, at + s, r->slot_size - s);
    }
    return true;
}

bool
vkm_tcache_expand_range(void *user, vkm_stats_tiler *t)
{
    return vkm_tcache_tile_range(user, NULL, false, t);
}

bool
vkm_tcache_visit_range(void *user, vkm_range_visit_fn fn, void *ctx)
{
    if (!((uintptr_t)user & TC_RUN_TAG))
        return false;
    const vkm_run *r = (const vkm_run *)((uintptr_t)user & ~TC_TAG_MASK);
    /* Alive for the same reason as in vkm_tcache_tile_range. */
    for (uint32_t i = 0; i < r->slab.nslots; i++) {
        const uint32_t s = tc_run_slot_size(r, i);
        const VkDeviceSize at = r->base + (VkDeviceSize)i * r->slot_size;
        fn(ctx, at, s != 0 ? s : r->slot_size, s != 0 ? (vkm_range_kind)r->kind : VKM_RANGE_FREE,
           NULL);
        /* the rest of a slot its allocation does not fill: walks that tile the block
         * see every byte */
        if (s != 0 && s < r->slot_size)
            fn(ctx, at + s, r->slot_size - s, VKM_RANGE_FREE, NULL);
    }
    return true;
}

/* Live slots of a run in its owner's view, remote frees collected. */
static inline uint32_t
run_live(const vkm_run *r)
{
    return r->slab.nslots - r->slab.nfree;
}

typedef struct compact_run {
    vkm_run *r;
    uint32_t live; /* live slots, those paired away already not counted */
    uint32_t next; /* the next slot to consider as a source */
} compact_run;

static int
compact_cmp(const void *pa, const void *pb)
{
    const compact_run *x = pa, *y = pb;
    if (x->live != y->live)
        return x->live > y->live ? -1 : 1; /* most used first */
    /* then lowest first: among equals, the low ones receive and the high ones give, so
     * a block's live slots gather at its bottom and its top frees up */
    if (x->r->block_id != y->r->block_id)
        return x->r->block_id < y->r->block_id ? -1 : 1;
    return x->r->base < y->r->base ? -1 : x->r->base > y->r->base;
}

VkResult
vkm_tcache_plan_compaction(vkm_tcache *tc, vkm_block_list *l, vkm_tcache_pair_fn *fn, void *ctx,
                           const bool *stop)
{
    if (!tc->caching)
        return VK_SUCCESS;
    const vkm_host_alloc *ha = &tc->allocator->ha;
    for (uint32_t b = 0; b < VKM_TCACHE_BINS && !*stop; b++) {
        vkm_bin *bin = &tc->bins[b];
        if (bin->list != l || bin->serial != l->serial || bin->run_count < 2)
            continue;
        const uint32_t n = bin->run_count;
        compact_run *cr = vkm_host_alloc_alloc(ha, n * sizeof(*cr), 16);
        if (cr == NULL)
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        uint32_t k = 0;
        for (vkm_run *r = bin->runs; r != NULL && k < n; r = r->next) {
            const uint32_t got = vkm_slab_collect_tags(&r->slab, r->xsize);
            tc_set_cached(tc, tc->cached_bytes + (uint64_t)got * r->slot_size);
            cr[k++] = (compact_run){.r = r, .live = run_live(r), .next = 0};
        }
        qsort(cr, k, sizeof(*cr), compact_cmp);
        uint32_t d = 0, s = k;
        while (s-- > 0 && !*stop) {
            compact_run *src = &cr[s];
            while (src->live > 0 && !*stop) {
                while (d < s && cr[d].r->slab.nfree == 0)
                    d++;
                /* the most used run with room that is at least as used, and, in the
                 * source's own block, lower (a move inside a block goes down, as VMA's) */
                compact_run *dst = NULL;
                for (uint32_t j = d; j < s && dst == NULL; j++) {
                    if (cr[j].live < src->live)
                        break; /* most used first: none after it is as used */
                    if (cr[j].r->slab.nfree != 0 &&
                        (cr[j].r->block != src->r->block || cr[j].r->base < src->r->base))
                        dst = &cr[j];
                }
                if (dst == NULL)
                    break; /* done with this source run */
                /* the next live slot of the source run, with its allocation */
                VmaAllocation a = NULL;
                uint32_t size = 0;
                for (; src->next < src->r->slab.nslots && a == NULL; src->next++) {
                    const uint32_t i = src->next;
                    if (vkm_slab_is_free_local(&src->r->slab, i) ||
                        vkm_slab_is_free_remote(&src->r->slab, i))
                        continue;
                    size = vkm_atomic_load_u32_acquire(&src->r->xsize[i]);
                    VmaAllocation x = vkm_atomic_load_ptr_relaxed(&run_allocs(src->r)[i]);
                    if (size != 0 && x != NULL && vkm_atomic_load_u32_acquire(&x->xready) != 0 &&
                        x->u.b.cached == src->r && x->u.b.slot == i)
                        a = x;
                }
                if (a == NULL)
                    break; /* the rest of its slots are not movable */
                if (fn(ctx, a, size, dst->r)) {
                    src->live--;
                    dst->live++;
                }
            }
        }
        vkm_host_alloc_free(ha, cr, n * sizeof(*cr));
    }
    return VK_SUCCESS;
}

bool
vkm_tcache_take_slot(vkm_tcache *tc, vkm_run *r, VmaAllocation tmp, VkDeviceSize range_size)
{
    vkm_assert(vkm_atomic_load_ptr_relaxed(&r->xowner) == tc);
    const uint32_t slot = vkm_slab_alloc(&r->slab);
    if (slot == VKM_SLAB_NONE)
        return false;
    tc_slot_bind(tc, r, slot, tmp, range_size);
    return true;
}

void
vkm_tcache_slot_set_user(vkm_run *r, uint32_t slot, VmaAllocation alloc)
{
    vkm_atomic_store_ptr_relaxed(&run_allocs(r)[slot], alloc);
}

bool
vkm_tcache_visit_allocs(void *user, vkm_tcache_alloc_fn *fn, void *ctx)
{
    if (!((uintptr_t)user & TC_RUN_TAG))
        return false;
    const vkm_run *r = (const vkm_run *)((uintptr_t)user & ~TC_TAG_MASK);
    /* Alive for the same reason as in vkm_tcache_tile_range. The owner may be
     * allocating and freeing slots meanwhile: the remote bit first (tc_run_slot_size), then
     * the size with acquire, which orders the pointer the owner stored before it. */
    for (uint32_t i = 0; i < r->slab.nslots; i++) {
        if (vkm_slab_is_free_remote(&r->slab, i))
            continue;
        const uint32_t s = vkm_atomic_load_u32_acquire(&r->xsize[i]);
        VmaAllocation alloc = vkm_atomic_load_ptr_relaxed(&run_allocs(r)[i]);
        if (s != 0 && alloc != NULL)
            fn(ctx, alloc, r->base + (VkDeviceSize)i * r->slot_size, s);
    }
    return true;
}
