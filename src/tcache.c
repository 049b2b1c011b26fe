/* SPDX-License-Identifier: MIT */
#include "tcache.h"
#include "debug.h"
#include "size_class.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>

/* Intrusive doubly linked lists of runs and arenas (fields prev / next): push at the
 * head, unlink from anywhere. */
#define DLIST_PUSH(head, node)     \
    do {                           \
        (node)->prev = NULL;       \
        (node)->next = (head);     \
        if ((head) != NULL)        \
            (head)->prev = (node); \
        (head) = (node);           \
    } while (0)
#define DLIST_UNLINK(head, node)               \
    do {                                       \
        if ((node)->prev != NULL)              \
            (node)->prev->next = (node)->next; \
        else                                   \
            (head) = (node)->next;             \
        if ((node)->next != NULL)              \
            (node)->next->prev = (node)->prev; \
    } while (0)

/* Runs start at RUN_START_BYTES and double whenever a bin needs a new run while all its
 * runs are full (demand outgrew them), and whenever a request went to the shared path
 * because a run would have been too small, up to RUN_START_BYTES << RUN_GROWTH_STEPS, at
 * most VKM_SLAB_MAX_SLOTS slots and at most 1/RUN_BLOCK_FRACTION of the list's block size.
 * A bin whose one run empties and comes back does not grow, so the cache stays sized to
 * what a class holds live. Fewer than RUN_MIN_SLOTS slots is not worth a run: the shared
 * path serves, so a thread making one large allocation pins nothing, and a class becomes
 * cached once it is asked for repeatedly. */
#define RUN_START_BYTES (32u * 1024u)
#define RUN_GROWTH_STEPS 5u
#define RUN_BLOCK_FRACTION 8u
#define RUN_MIN_SLOTS 2u

/* Tags on the TLSF user pointer of a run's or an arena's range in its block, to tell
 * them from a VmaAllocation, and on VmaAllocation::u.b.cached. */
#define RUN_TAG ((uintptr_t)1)
#define ARENA_TAG ((uintptr_t)2)
#define TAG_MASK ((uintptr_t)3)

/* Arenas (arena.h) serve what runs cannot: requests over the largest slot class and
 * requests whose alignment exceeds their size. A key's first arena is ARENA_START_BYTES;
 * like runs, arenas double when all of the key's arenas are full, and when a request was
 * too large for the current size (that request goes to the shared path), up to
 * 1/ARENA_BLOCK_FRACTION of the list's block size and ARENA_MAX_BYTES. An arena serves
 * requests up to 1/ARENA_REQUEST_FRACTION of its size, so it never holds just one.
 * ARENA_MAX_BYTES bounds what one key's arenas pin: at 32 MiB, bench churn (one thread,
 * 1024 live, ~95 MB) reserved 480 MB against 224-288 MB for the single-mutex build; at
 * 8 MiB it reserves 224 MB, the larger requests going to the shared path. */
#define ARENA_START_BYTES ((VkDeviceSize)2 << 20)
#define ARENA_MAX_BYTES ((VkDeviceSize)8 << 20)
#define ARENA_MIN_BYTES ((VkDeviceSize)64 << 10) /* smaller blocks: no arenas */
#define ARENA_GROWTH_STEPS 4u
#define ARENA_BLOCK_FRACTION 8u
#define ARENA_REQUEST_FRACTION 16u
#define ARENA_MAX_ALIGN ((VkDeviceSize)1 << 20)

static inline void
owner_add(vkm_atomic_u64 *x, uint64_t d)
{
    /* single writer: a plain read-modify-write of our own counter, untorn for readers;
     * release keeps the owner's figures in program order for vkm_tcache_stats */
    vkm_atomic_store_u64_release(x, vkm_atomic_load_u64_relaxed(x) + d);
}

static inline void
set_cached(vkm_tcache *tc, uint64_t v)
{
    tc->cached_bytes = v;
    vkm_atomic_store_u64_release(&tc->xcached_bytes, v); /* see account_run_in */
}

/* ------------------------------------------------------------------------------------ */
/* Counters                                                                              */

static vkm_tcache_counter *
counter_of(vkm_tcache *tc, const vkm_block_list *l)
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
        /* release: pairs with the acquire in sum_slot, so readers see zeroed counters */
        vkm_atomic_store_ptr_release(slot, chunk);
    }
    return &chunk[l->id % VKM_TCACHE_CTR_PER_CHUNK];
}

void
vkm_tcache_count(vkm_tcache *tc, vkm_block_list *l, int64_t n, int64_t bytes)
{
    vkm_tcache_counter *c = counter_of(tc, l);
    if (c != NULL) {
        owner_add(&c->xcount, (uint64_t)n);
        owner_add(&c->xbytes, (uint64_t)bytes);
    } else {
        vkm_atomic_fetch_add_u64_relaxed(&l->xshared_count, (uint64_t)n);
        vkm_atomic_fetch_add_u64_relaxed(&l->xshared_bytes, (uint64_t)bytes);
    }
}

/* Under the registry lock. */
static void
sum_slot(const vkm_tcache *tc, uint32_t id, uint64_t *count, uint64_t *bytes)
{
    const vkm_tcache_counter *chunk =
        vkm_atomic_load_ptr_acquire(&tc->xchunks[id / VKM_TCACHE_CTR_PER_CHUNK]);
    if (chunk == NULL)
        return;
    *count += vkm_atomic_load_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xcount);
    *bytes += vkm_atomic_load_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xbytes);
}

static void
clamp(uint64_t *count, uint64_t *bytes)
{
    if ((int64_t)*count < 0)
        *count = 0;
    if ((int64_t)*bytes < 0)
        *bytes = 0;
}

/* Under the registry lock. */
static void
list_totals_locked(vkm_tcache_shared *s, const vkm_block_list *l, uint64_t *count, uint64_t *bytes)
{
    *count = vkm_atomic_load_u64_relaxed(&l->xshared_count);
    *bytes = vkm_atomic_load_u64_relaxed(&l->xshared_bytes);
    if (l->id < VKM_TCACHE_MAX_LISTS) {
        for (const vkm_tcache *tc = s->caches; tc != NULL; tc = tc->reg_next)
            sum_slot(tc, l->id, count, bytes);
        if (s->fallback != NULL)
            sum_slot(s->fallback, l->id, count, bytes);
    }
}

void
vkm_tcache_list_totals(VmaAllocator a, const vkm_block_list *l, uint64_t *count, uint64_t *bytes)
{
    vkm_mutex_lock(&a->tcs->lock);
    list_totals_locked(a->tcs, l, count, bytes);
    vkm_mutex_unlock(&a->tcs->lock);
    clamp(count, bytes);
}

void
vkm_tcache_heap_totals(VmaAllocator a, uint64_t count[VK_MAX_MEMORY_HEAPS],
                       uint64_t bytes[VK_MAX_MEMORY_HEAPS])
{
    memset(count, 0, sizeof(uint64_t) * VK_MAX_MEMORY_HEAPS);
    memset(bytes, 0, sizeof(uint64_t) * VK_MAX_MEMORY_HEAPS);
    vkm_tcache_shared *s = a->tcs;
    vkm_mutex_lock(&s->lock);
    for (uint32_t id = 0; id < VKM_TCACHE_MAX_LISTS; id++) {
        const vkm_block_list *l = s->lists[id];
        if (l == NULL) {
            if (id >= s->list_hint && id >= VK_MAX_MEMORY_TYPES)
                break; /* ids are dense below the hint */
            continue;
        }
        uint64_t c, b;
        list_totals_locked(s, l, &c, &b);
        uint32_t h = vkm_allocator_heap_of(a, l->p.memory_type);
        count[h] += c;
        bytes[h] += b;
    }
    vkm_mutex_unlock(&s->lock);
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++)
        clamp(&count[h], &bytes[h]);
}

void
vkm_tcache_register_list(VmaAllocator a, vkm_block_list *l)
{
    vkm_tcache_shared *s = a->tcs;
    vkm_mutex_lock(&s->lock);
    for (uint32_t id = 0; id < VKM_TCACHE_MAX_LISTS; id++) {
        if (s->lists[id] == NULL) {
            s->lists[id] = l;
            l->id = id;
            l->serial = ++s->next_serial;
            /* release: pairs with the acquire in list_alive */
            vkm_atomic_store_u64_release(&s->xlist_serial[id], l->serial);
            if (id >= s->list_hint)
                s->list_hint = id + 1;
            break;
        }
    }
    vkm_mutex_unlock(&s->lock);
}

static void
zero_slot(vkm_tcache *tc, uint32_t id)
{
    vkm_tcache_counter *chunk =
        vkm_atomic_load_ptr_acquire(&tc->xchunks[id / VKM_TCACHE_CTR_PER_CHUNK]);
    if (chunk != NULL) {
        vkm_atomic_store_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xcount, 0);
        vkm_atomic_store_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xbytes, 0);
    }
}

void
vkm_tcache_unregister_list(VmaAllocator a, vkm_block_list *l)
{
    vkm_tcache_shared *s = a->tcs;
    if (l == NULL || l->id >= VKM_TCACHE_MAX_LISTS)
        return;
    /* The list is empty (its counters sum to 0) and no thread uses it any more; each
     * cache's slot may still hold a non-zero part of that zero sum. Clear them for the
     * next list with this id. The owners never touch this slot again (no allocation of
     * the list is left), so writing it here does not race. */
    vkm_mutex_lock(&s->lock);
    for (vkm_tcache *tc = s->caches; tc != NULL; tc = tc->reg_next)
        zero_slot(tc, l->id);
    if (s->fallback != NULL)
        zero_slot(s->fallback, l->id);
    s->lists[l->id] = NULL;
    vkm_atomic_store_u64_release(&s->xlist_serial[l->id], 0);
    vkm_mutex_unlock(&s->lock);
    l->id = UINT32_MAX;
    l->serial = 0;
}

/* ------------------------------------------------------------------------------------ */
/* Runs                                                                                  */

/* Any thread: the requested size of slot i's live allocation, 0 when the slot is free. A
 * remotely freed slot keeps its size until the owner collects it, so the remote bit is
 * read first (vkm_slab_collect_tags says why that order is exact). */
static uint32_t
run_slot_size(const vkm_run *r, uint32_t i)
{
    if (vkm_slab_is_free_remote(&r->slab, i))
        return 0;
    return vkm_atomic_load_u32_relaxed(&r->xsize[i]);
}

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

static void
run_free_struct(vkm_run *r)
{
    vkm_host_alloc_free_aligned(r->ha, r, run_struct_size(r->slab.nslots), _Alignof(vkm_run));
}

static void
run_retired(vkm_epoch_entry *e)
{
    run_free_struct(vkm_epoch_container(e, vkm_run, retire));
}

/* Gives a run's range back to its block; the struct is retired (a remote freer may
 * still be finishing its publication on it). */
static void
run_return(vkm_epoch_record *rec, vkm_run *r)
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
    DLIST_PUSH(bin->runs, r);
    bin->run_count++;
}

static void
bin_unlink(vkm_bin *bin, vkm_run *r)
{
    DLIST_UNLINK(bin->runs, r);
    if (bin->cur == r)
        bin->cur = NULL;
    bin->run_count--;
}

/* Owner: a run leaves the cache (returned or abandoned): drop its bytes from the
 * cache's figures. */
static void
account_run_out(vkm_tcache *tc, const vkm_run *r)
{
    set_cached(tc, tc->cached_bytes - (uint64_t)r->slab.nfree * r->slot_size);
    owner_add(&tc->xrun_bytes, (uint64_t)0 - (uint64_t)r->slab.nslots * r->slot_size);
    owner_add(&tc->xrun_count, (uint64_t)0 - 1u);
}

static void
account_run_in(vkm_tcache *tc, const vkm_run *r)
{
    /* run bytes grow before free bytes (and shrink after them, account_run_out), so a
     * reader that sees run bytes hold still never sees more free than run bytes */
    owner_add(&tc->xrun_bytes, (uint64_t)r->slab.nslots * r->slot_size);
    owner_add(&tc->xrun_count, 1);
    set_cached(tc, tc->cached_bytes + (uint64_t)r->slab.nfree * r->slot_size);
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
    return n > VKM_SLAB_MAX_SLOTS ? VKM_SLAB_MAX_SLOTS : (uint32_t)n;
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
    const vkm_host_alloc *ha = &tc->allocator->ha;
    vkm_run *r = vkm_host_alloc_alloc(ha, run_struct_size(nslots), _Alignof(vkm_run));
    if (r == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
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
                 /* a custom pool grows only where VMA's would: on the shared path, for
                  * the request itself, never for a run larger than the request */
                 (bin->pooled ? VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT : 0),
        .user = (void *)((uintptr_t)r | RUN_TAG),
    };
    VkResult res = vkm_block_list_alloc_range(l, tc->rec, &lr, &r->block, &r->base);
    if (res != VK_SUCCESS) {
        vkm_host_alloc_free_aligned(ha, r, run_struct_size(nslots), _Alignof(vkm_run));
        return res;
    }
    r->block_id = r->block->id;
    if (bin->runs != NULL && bin->shift < RUN_GROWTH_STEPS)
        bin->shift++; /* the bin's runs are all full: the next one is twice the size */
    bin_link(bin, r);
    account_run_in(tc, r);
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
        DLIST_UNLINK(s->abandoned, r);
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
    account_run_in(tc, r);
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
                set_cached(tc, tc->cached_bytes + (uint64_t)n * r->slot_size);
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
            owner_add(&tc->xmisses, 1);
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
        owner_add(&tc->xmisses, 1);
    return res;
}

/* ------------------------------------------------------------------------------------ */
/* Arenas                                                                                */

static inline void
set_arena_free(vkm_tcache *tc, uint64_t v)
{
    tc->arena_free = v;
    vkm_atomic_store_u64_release(&tc->xarena_free, v); /* see account_run_in */
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
    DLIST_PUSH(ab->arenas, ar);
}

static void
arena_unlink(vkm_arena_bin *ab, vkm_arena *ar)
{
    DLIST_UNLINK(ab->arenas, ar);
    if (ab->cur == ar)
        ab->cur = NULL;
}

/* Owner: bytes other threads freed into `ar` become free in the cache's figures. */
static void
arena_fold(vkm_tcache *tc, vkm_arena *ar, VkDeviceSize remote_freed)
{
    ar->owner_free += remote_freed;
    set_arena_free(tc, tc->arena_free + remote_freed);
}

/* Owner: `ar` leaves the cache (returned or orphaned). */
static void
arena_out(vkm_tcache *tc, vkm_arena_bin *ab, vkm_arena *ar)
{
    set_arena_free(tc, tc->arena_free - ar->owner_free);
    owner_add(&tc->xrun_bytes, (uint64_t)0 - ar->size);
    owner_add(&tc->xrun_count, (uint64_t)0 - 1u);
    arena_unlink(ab, ar);
}

static void
arena_return(vkm_tcache *tc, vkm_arena_bin *ab, vkm_arena *ar)
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
    if (!ab->keep_empty) { /* a custom pool: see maybe_return_empty */
        arena_return(tc, ab, ar);
        return;
    }
    for (vkm_arena *o = ab->arenas; o != NULL; o = o->next) {
        if (o != ar && o->owner_free == o->size) { /* empty in the owner's view: empty */
            arena_return(tc, ab, o->size < ar->size ? o : ar);
            return;
        }
    }
}

/* Serves a request that runs cannot from one of the key's arenas, or a new one. */
static VkResult
arena_alloc(vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req, VkDeviceSize alignment,
            VmaAllocation alloc)
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
        arena_fold(tc, ab->cur, remote);
        if (res == VK_SUCCESS)
            found = ab->cur;
    }
    for (vkm_arena *ar = ab->arenas; found == NULL && ar != NULL; ar = ar->next) {
        if (ar == ab->cur || !arena_fits(ar->size, req->size, alignment) ||
            ar->owner_free < req->size)
            continue;
        VkResult res = vkm_arena_alloc(ar, req->size, alignment, alloc, &offset, &remote);
        arena_fold(tc, ar, remote);
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
            (ab->pooled ? VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT : 0); /* see run_create */
        vkm_arena *ar = NULL;
        VkResult res = vkm_arena_create(l, tc->rec, size, arena_align_for(size),
                                        (vkm_range_kind)req->kind, placement, tc, ARENA_TAG, &ar);
        if (res != VK_SUCCESS)
            return VK_INCOMPLETE; /* the shared path may still place it, or reports why not */
        if (ab->arenas != NULL && ab->shift < ARENA_GROWTH_STEPS)
            ab->shift++; /* all of the key's arenas were full: the next one is larger */
        arena_link(ab, ar);
        owner_add(&tc->xrun_bytes, ar->size); /* before the free bytes: account_run_in */
        owner_add(&tc->xrun_count, 1);
        set_arena_free(tc, tc->arena_free + ar->size);
        owner_add(&tc->xmisses, 1);
        if (vkm_arena_alloc(ar, req->size, alignment, alloc, &offset, &remote) != VK_SUCCESS) {
            arena_maybe_return(tc, ab, ar);
            return VK_INCOMPLETE;
        }
        found = ar;
    } else {
        owner_add(&tc->xhits, 1);
    }
    ab->cur = found;
    found->owner_free -= req->size;
    set_arena_free(tc, tc->arena_free - req->size);
    alloc->type = VKM_ALLOC_BLOCK;
    alloc->u.b.block = found->block;
    alloc->u.b.cached = (void *)((uintptr_t)found | ARENA_TAG);
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
    DLIST_UNLINK(s->orphans, ar);
    vkm_mutex_unlock(&s->orphan_lock);
    vkm_arena_return(ar, tc->rec);
}

static void
arena_free(vkm_tcache *tc, vkm_arena *ar, VmaAllocation alloc)
{
    VkDeviceSize remote = 0;
    if (vkm_atomic_load_ptr_relaxed(&ar->xowner) == tc) {
        /* Only this thread ever stores itself as the owner, so the comparison is exact. */
        const vkm_arena_free_result res =
            vkm_arena_free(ar, tc, alloc->offset, alloc->size, &remote);
        arena_fold(tc, ar, remote + alloc->size);
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
    owner_add(&tc->xremote_frees, 1);
    vkm_epoch_begin(tc->rec);
    const vkm_arena_free_result res = vkm_arena_free(ar, tc, alloc->offset, alloc->size, &remote);
    vkm_epoch_end(tc->rec);
    if (res == VKM_ARENA_ORPHAN_EMPTY)
        reclaim_orphan(tc, ar);
}

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

/* Owner: a bin whose list is gone. Its runs' structs go without a look at their blocks
 * (the blocks went with the list) and the bin becomes a tombstone. `rec` NULL: freed at
 * once (allocator destruction), else retired like returned runs. */
static void
bin_bury(vkm_tcache *tc, vkm_bin *bin, vkm_epoch_record *rec)
{
    while (bin->runs != NULL) {
        vkm_run *r = bin->runs;
        account_run_out(tc, r);
        bin_unlink(bin, r);
        if (rec != NULL)
            vkm_epoch_retire(rec, &r->retire, run_retired);
        else
            run_free_struct(r);
    }
    memset(bin, 0, sizeof(*bin));
    bin->list = VKM_TCACHE_TOMBSTONE;
}

static void
abin_bury(vkm_tcache *tc, vkm_arena_bin *ab, vkm_epoch_record *rec)
{
    while (ab->arenas != NULL) {
        vkm_arena *ar = ab->arenas;
        arena_out(tc, ab, ar);
        vkm_arena_forget(ar, rec);
    }
    memset(ab, 0, sizeof(*ab));
    ab->list = VKM_TCACHE_TOMBSTONE;
}

/* Owner: buries the bins of lists destroyed since the last sweep (with `force`, every
 * dead one). Reads no list: only the serials. */
static void
sweep_dead(vkm_tcache *tc, bool force, vkm_epoch_record *rec)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    const uint64_t gen = vkm_atomic_load_u64_acquire(&s->xdead_gen);
    if (VKM_LIKELY(gen == tc->dead_gen) && !force)
        return;
    tc->dead_gen = gen;
    for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
        vkm_bin *b = &tc->bins[i];
        if (bin_used(b->list) && b->pooled && !list_alive(s, b->list_id, b->serial))
            bin_bury(tc, b, rec);
    }
    for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
        vkm_arena_bin *ab = &tc->abins[i];
        if (bin_used(ab->list) && ab->pooled && !list_alive(s, ab->list_id, ab->serial))
            abin_bury(tc, ab, rec);
    }
}

/* Owner, before it reaches a list's blocks through cached state alone (trimming, thread
 * exit), with no allocation of the list in hand to keep it alive: opens the list's free
 * bracket, which pool destruction waits for, and returns true; or returns false when the
 * list is dead (the caller buries the bin). Under the registry lock, under which the
 * destroyer zeroes the serial before it waits: either it sees our bracket or we see the
 * zero. Default lists outlive every cache and need no bracket. */
static bool
bracket_open(vkm_tcache *tc, vkm_block_list *l, bool pooled, uint32_t id, uint64_t serial)
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

/* The last access to `l` of a bracketed operation. */
static void
bracket_close(vkm_block_list *l, bool pooled)
{
    if (pooled)
        vkm_block_list_free_end(l);
}

void
vkm_tcache_forget_list(VmaAllocator a, vkm_block_list *l)
{
    vkm_tcache_shared *s = a->tcs;
    if (l->id >= VKM_TCACHE_MAX_LISTS)
        return; /* never cached */
    vkm_mutex_lock(&s->lock);
    /* release (both): pair with list_alive and sweep_dead's acquire loads */
    vkm_atomic_store_u64_release(&s->xlist_serial[l->id], 0);
    vkm_atomic_store_u64_release(&s->xdead_gen, vkm_atomic_load_u64_relaxed(&s->xdead_gen) + 1);
    vkm_mutex_unlock(&s->lock);
    /* Trims and thread exits that saw the list alive, and frees (a completing freer of
     * an abandoned run or an orphan arena among them), finish before anything goes. */
    vkm_block_list_wait_frees(l);
    /* Abandoned runs and orphan arenas of the list hold leaked allocations only (the
     * last free of one reclaims it); their ranges go with the blocks. */
    vkm_mutex_lock(&s->abandoned_lock);
    vkm_run *next;
    for (vkm_run *r = s->abandoned; r != NULL; r = next) {
        next = r->next;
        if (r->list != l)
            continue;
        DLIST_UNLINK(s->abandoned, r);
        r->in_abandoned = false;
        vkm_atomic_fetch_sub_u32_relaxed(&s->xabandoned, 1);
        run_free_struct(r);
    }
    vkm_mutex_unlock(&s->abandoned_lock);
    vkm_mutex_lock(&s->orphan_lock);
    vkm_arena *anext;
    for (vkm_arena *ar = s->orphans; ar != NULL; ar = anext) {
        anext = ar->next;
        if (ar->list != l)
            continue;
        DLIST_UNLINK(s->orphans, ar);
        vkm_arena_forget(ar, NULL);
    }
    vkm_mutex_unlock(&s->orphan_lock);
}

/* Owner: returns empty arenas, keeping the largest of each key unless `all` or over the
 * budget. */
static void
arena_trim(vkm_tcache *tc, bool all)
{
    const uint64_t limit = vkm_atomic_load_u64_relaxed(&tc->allocator->tcs->xlimit);
    for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
        vkm_arena_bin *ab = &tc->abins[i];
        if (ab->arenas == NULL)
            continue;
        vkm_block_list *l = ab->list;
        const bool pooled = ab->pooled;
        if (!bracket_open(tc, l, pooled, ab->list_id, ab->serial)) {
            abin_bury(tc, ab, tc->rec);
            continue;
        }
        vkm_arena *keep = NULL, *next;
        for (vkm_arena *ar = ab->arenas; ar != NULL; ar = next) {
            next = ar->next;
            VkDeviceSize remote = 0;
            const bool empty = vkm_arena_sync(ar, &remote);
            arena_fold(tc, ar, remote);
            if (!empty)
                continue;
            if (keep == NULL) {
                keep = ar;
            } else if (ar->size > keep->size) {
                arena_return(tc, ab, keep);
                keep = ar;
            } else {
                arena_return(tc, ab, ar);
            }
        }
        if (keep != NULL && (all || !ab->keep_empty || tc->cached_bytes + keep->size > limit))
            arena_return(tc, ab, keep);
        bracket_close(l, pooled);
    }
}

/* Thread exit: empty arenas go back, the others become orphans that their last freer
 * reclaims. */
static void
arena_thread_exit(vkm_tcache *tc)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
        vkm_arena_bin *ab = &tc->abins[i];
        if (ab->arenas == NULL)
            continue;
        vkm_block_list *l = ab->list;
        const bool pooled = ab->pooled;
        if (!bracket_open(tc, l, pooled, ab->list_id, ab->serial)) {
            abin_bury(tc, ab, tc->rec);
            continue;
        }
        while (ab->arenas != NULL) {
            vkm_arena *ar = ab->arenas;
            arena_out(tc, ab, ar);
            /* On the orphan list before it is an orphan: a freer that empties it then
             * finds it there. */
            vkm_mutex_lock(&s->orphan_lock);
            DLIST_PUSH(s->orphans, ar);
            vkm_mutex_unlock(&s->orphan_lock);
            if (vkm_arena_orphan(ar))
                reclaim_orphan(tc, ar);
        }
        bracket_close(l, pooled);
    }
}

VkResult
vkm_tcache_alloc(vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req,
                 VmaAllocation alloc)
{
    if (!tc->caching || l->serial == 0)
        return VK_INCOMPLETE;
    sweep_dead(tc, false, tc->rec); /* a read-mostly line; work only after a pool died */
    const VkDeviceSize alignment = vkm_block_list_alignment(l, req->alignment);
    const uint64_t slot_size = vkm_size_class_slot(req->size, alignment);
    vkm_bin *bin =
        slot_size != 0 ? bin_find(tc, l, (uint32_t)slot_size, (uint8_t)req->kind, true) : NULL;
    if (bin == NULL) {
        VkResult res = arena_alloc(tc, l, req, alignment, alloc);
        if (res != VK_SUCCESS)
            owner_add(&tc->xbypasses, 1);
        return res;
    }
    vkm_run *r = bin->cur;
    uint32_t slot = r != NULL ? vkm_slab_alloc(&r->slab) : VKM_SLAB_NONE;
    if (slot == VKM_SLAB_NONE) {
        const uint64_t misses_before = vkm_atomic_load_u64_relaxed(&tc->xmisses);
        VkResult res = bin_refill(tc, bin, req, &r);
        if (res != VK_SUCCESS) {
            /* No run (too small yet, or no room for a whole run near a limit): the
             * shared path may still place the request itself, and reports its errors. */
            owner_add(&tc->xbypasses, 1);
            return VK_INCOMPLETE;
        }
        bin->cur = r;
        slot = vkm_slab_alloc(&r->slab);
        vkm_assert(slot != VKM_SLAB_NONE);
        if (vkm_atomic_load_u64_relaxed(&tc->xmisses) == misses_before)
            owner_add(&tc->xhits, 1); /* served by collected or adopted slots */
    } else {
        owner_add(&tc->xhits, 1);
    }
    set_cached(tc, tc->cached_bytes - r->slot_size);
    vkm_atomic_store_ptr_relaxed(&run_allocs(r)[slot], alloc);
    /* release: pairs with the acquire in vkm_tcache_visit_allocs, which then reads the
     * pointer just stored (a plain store on x86, like the relaxed one it replaces) */
    vkm_atomic_store_u32_release(&r->xsize[slot], (uint32_t)req->size);
    alloc->type = VKM_ALLOC_BLOCK;
    alloc->u.b.block = r->block;
    alloc->u.b.cached = r;
    alloc->u.b.slot = slot;
    alloc->offset = r->base + (VkDeviceSize)slot * r->slot_size;
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
        alloc->u.b.cached == NULL || ((uintptr_t)alloc->u.b.cached & TAG_MASK) != 0 ||
        vkm_tcache_memo_find(tc, key) != NULL)
        return;
    vkm_memo *m = &tc->memo[tc->memo_next];
    tc->memo_next = (tc->memo_next + 1u) % VKM_MEMO_ENTRIES;
    memset(m, 0, sizeof(*m));
    m->key = *key;
    m->list = l;
    m->counter = counter_of(tc, l);
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
    sweep_dead(tc, false, tc->rec); /* as vkm_tcache_alloc: the header's promise */
    vkm_block_list *l = m->list;
    alignment = vkm_block_list_alignment(l, alignment);
    const uint64_t slot_size = vkm_size_class_slot(size, alignment);
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
    owner_add(&tc->xhits, 1);
    set_cached(tc, tc->cached_bytes - r->slot_size);
    vkm_atomic_store_ptr_relaxed(&run_allocs(r)[slot], alloc);
    /* release: as in vkm_tcache_alloc */
    vkm_atomic_store_u32_release(&r->xsize[slot], (uint32_t)size);
    alloc->type = VKM_ALLOC_BLOCK;
    alloc->u.b.block = r->block;
    alloc->u.b.cached = r;
    alloc->u.b.slot = slot;
    alloc->offset = r->base + (VkDeviceSize)slot * r->slot_size;
    alloc->size = size;
    alloc->alignment = alignment;
    alloc->memory_type = l->p.memory_type;
    alloc->pool = NULL;
    owner_add(&m->counter->xcount, 1);
    owner_add(&m->counter->xbytes, size);
    return true;
}

static void
bin_return_run(vkm_tcache *tc, vkm_bin *bin, vkm_run *r)
{
    account_run_out(tc, r);
    bin_unlink(bin, r);
    run_return(tc->rec, r);
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
        bin_return_run(tc, bin, other->slab.nslots < r->slab.nslots ? other : r);
    }
}

/* Someone took the last outstanding slot of an abandoned run back: reclaim it. */
static void
reclaim_abandoned(vkm_tcache *tc, vkm_run *r)
{
    vkm_tcache_shared *s = tc->allocator->tcs;
    vkm_mutex_lock(&s->abandoned_lock);
    if (r->in_abandoned) {
        DLIST_UNLINK(s->abandoned, r);
        r->in_abandoned = false;
        vkm_atomic_fetch_sub_u32_relaxed(&s->xabandoned, 1);
    }
    vkm_mutex_unlock(&s->abandoned_lock);
    run_return(tc->rec, r);
}

void
vkm_tcache_free(vkm_tcache *tc, VmaAllocation alloc)
{
    if ((uintptr_t)alloc->u.b.cached & ARENA_TAG) {
        arena_free(tc, (vkm_arena *)((uintptr_t)alloc->u.b.cached & ~TAG_MASK), alloc);
        return;
    }
    vkm_run *r = alloc->u.b.cached;
    const uint32_t slot = alloc->u.b.slot;
    vkm_assert(vkm_atomic_load_u32_relaxed(&r->xsize[slot]) != 0);
    if (vkm_atomic_load_ptr_relaxed(&r->xowner) == tc) {
        /* Only this thread ever stores itself as the owner, so the comparison is exact. */
        vkm_assert(!vkm_slab_is_free_local(&r->slab, slot));
        vkm_atomic_store_u32_relaxed(&r->xsize[slot], 0);
        vkm_atomic_store_ptr_relaxed(&run_allocs(r)[slot], NULL);
        vkm_slab_free_local(&r->slab, slot);
        set_cached(tc, tc->cached_bytes + r->slot_size);
        if (r->slab.nfree == r->slab.nslots) {
            vkm_bin *bin = bin_find(tc, r->list, r->slot_size, r->kind, false);
            vkm_assert(bin != NULL);
            if (bin != NULL)
                maybe_return_empty(tc, bin, r);
        }
        return;
    }
    /* Remote: one count and one atomic publication, which is our last access to the run
     * (slab.h: the owner may return it as soon as it has collected the slot). The
     * slot's xsize stays: the owner clears it when it collects (the xsize lines are the
     * owner's, a write here would bounce them on every free). */
    owner_add(&tc->xremote_frees, 1);
    const bool completed = vkm_slab_free_remote(&r->slab, slot);
    if (completed)
        reclaim_abandoned(tc, r);
}

void
vkm_tcache_trim(vkm_tcache *tc, bool all)
{
    const uint64_t limit = vkm_atomic_load_u64_relaxed(&tc->allocator->tcs->xlimit);
    for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
        vkm_bin *bin = &tc->bins[i];
        if (bin->runs == NULL)
            continue;
        vkm_block_list *l = bin->list;
        const bool pooled = bin->pooled;
        if (!bracket_open(tc, l, pooled, bin->list_id, bin->serial)) {
            bin_bury(tc, bin, tc->rec);
            continue;
        }
        vkm_run *keep = NULL; /* the bin's largest empty run */
        for (vkm_run *r = bin->runs; r != NULL; r = r->next) {
            uint32_t n = vkm_slab_collect_tags(&r->slab, r->xsize);
            set_cached(tc, tc->cached_bytes + (uint64_t)n * r->slot_size);
            if (r->slab.nfree == r->slab.nslots &&
                (keep == NULL || r->slab.nslots > keep->slab.nslots))
                keep = r;
        }
        vkm_run *next;
        for (vkm_run *r = bin->runs; r != NULL; r = next) {
            next = r->next;
            if (r != keep && r->slab.nfree == r->slab.nslots)
                bin_return_run(tc, bin, r);
        }
        if (keep != NULL && (all || !bin->keep_empty || tc->cached_bytes > limit))
            bin_return_run(tc, bin, keep);
        bracket_close(l, pooled);
    }
    arena_trim(tc, all);
    vkm_epoch_poll(tc->rec);
}

bool
vkm_tcache_release_list(vkm_tcache *tc, vkm_block_list *l)
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
            set_cached(tc, tc->cached_bytes + (uint64_t)n * r->slot_size);
            if (r->slab.nfree == r->slab.nslots) {
                bin_return_run(tc, bin, r);
                any = true;
            }
        }
    }
    for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
        vkm_arena_bin *ab = &tc->abins[i];
        if (ab->list != l || ab->serial != l->serial)
            continue;
        vkm_arena *next;
        for (vkm_arena *ar = ab->arenas; ar != NULL; ar = next) {
            next = ar->next;
            VkDeviceSize remote = 0;
            const bool empty = vkm_arena_sync(ar, &remote);
            arena_fold(tc, ar, remote);
            if (empty) {
                arena_return(tc, ab, ar);
                any = true;
            }
        }
    }
    return any;
}

bool
vkm_tcache_expand_range(void *user, VkDeviceSize size, VmaDetailedStatistics *d)
{
    VKM_UNUSED(size);
    if ((uintptr_t)user & ARENA_TAG) {
        vkm_arena_add_stats((vkm_arena *)((uintptr_t)user & ~TAG_MASK), d);
        return true;
    }
    if (!((uintptr_t)user & RUN_TAG))
        return false;
    const vkm_run *r = (const vkm_run *)((uintptr_t)user & ~TAG_MASK);
    /* The run is alive: its range is in the TLSF whose lock the caller holds. */
    for (uint32_t i = 0; i < r->slab.nslots; i++) {
        uint32_t s = run_slot_size(r, i);
        if (s != 0)
            vkm_corruption_add_range_stats(d, r->list->allocator->corruption.margin, s);
        else
            vkm_stats_add_unused_range(d, r->slot_size);
    }
    return true;
}

bool
vkm_tcache_visit_range(void *user, vkm_range_visit_fn fn, void *ctx)
{
    if ((uintptr_t)user & ARENA_TAG) {
        vkm_arena_visit((vkm_arena *)((uintptr_t)user & ~TAG_MASK), fn, ctx);
        return true;
    }
    if (!((uintptr_t)user & RUN_TAG))
        return false;
    const vkm_run *r = (const vkm_run *)((uintptr_t)user & ~TAG_MASK);
    /* Alive for the same reason as in vkm_tcache_expand_range. */
    for (uint32_t i = 0; i < r->slab.nslots; i++) {
        const uint32_t s = run_slot_size(r, i);
        const VkDeviceSize at = r->base + (VkDeviceSize)i * r->slot_size;
        fn(ctx, at, s != 0 ? s : r->slot_size, s != 0 ? (vkm_range_kind)r->kind : VKM_RANGE_FREE,
           NULL);
        /* the rest of a slot its allocation does not fill: walks that tile the block (the
         * JSON dump) must see every byte */
        if (s != 0 && s < r->slot_size)
            fn(ctx, at + s, r->slot_size - s, VKM_RANGE_FREE, NULL);
    }
    return true;
}

/* Rebases arena ranges that carry their VmaAllocation for vkm_tcache_visit_allocs. */
typedef struct alloc_visit {
    vkm_tcache_alloc_fn *fn;
    void *ctx;
} alloc_visit;

static void
visit_arena_range(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    const alloc_visit *v = ctx;
    if (kind != VKM_RANGE_FREE && user != NULL)
        v->fn(v->ctx, user, offset, size);
}

bool
vkm_tcache_visit_allocs(void *user, vkm_tcache_alloc_fn *fn, void *ctx)
{
    if ((uintptr_t)user & ARENA_TAG) {
        alloc_visit v = {.fn = fn, .ctx = ctx};
        vkm_arena_visit((vkm_arena *)((uintptr_t)user & ~TAG_MASK), visit_arena_range, &v);
        return true;
    }
    if (!((uintptr_t)user & RUN_TAG))
        return false;
    const vkm_run *r = (const vkm_run *)((uintptr_t)user & ~TAG_MASK);
    /* Alive for the same reason as in vkm_tcache_expand_range. The owner may be
     * allocating and freeing slots meanwhile: the remote bit first (run_slot_size), then
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
        sum_slot(tc, id, &c, &b);
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
    for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
        vkm_bin *bin = &tc->bins[i];
        if (bin->runs == NULL)
            continue;
        vkm_block_list *l = bin->list;
        const bool pooled = bin->pooled;
        if (!bracket_open(tc, l, pooled, bin->list_id, bin->serial)) {
            bin_bury(tc, bin, tc->rec);
            continue;
        }
        while (bin->runs != NULL) {
            vkm_run *r = bin->runs;
            vkm_slab_collect_tags(&r->slab, r->xsize);
            account_run_out(tc, r);
            bin_unlink(bin, r);
            if (r->slab.nfree == r->slab.nslots) {
                run_return(tc->rec, r);
                continue;
            }
            vkm_atomic_store_ptr_relaxed(&r->xowner, NULL);
            /* In the list before the abandoning step, under the lock: an adopter cannot
             * see it half-abandoned, and a completing freer finds it there. */
            vkm_mutex_lock(&s->abandoned_lock);
            DLIST_PUSH(s->abandoned, r);
            r->in_abandoned = true;
            vkm_atomic_fetch_add_u32_relaxed(&s->xabandoned, 1);
            const bool complete = vkm_slab_abandon(&r->slab);
            vkm_mutex_unlock(&s->abandoned_lock);
            if (complete)
                reclaim_abandoned(tc, r);
        }
        bracket_close(l, pooled);
    }
    arena_thread_exit(tc);
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
    vkm_mutex_init(&s->orphan_lock);
    vkm_atomic_init_u32(&s->xabandoned, 0);
    vkm_atomic_init_u64(&s->xlimit, VKM_DEFAULT_THREAD_CACHE_BYTES);
    vkm_atomic_init_u64(&s->xdead_gen, 0);
    for (uint32_t i = 0; i < VKM_TCACHE_MAX_LISTS; i++)
        vkm_atomic_init_u64(&s->xlist_serial[i], 0);
    s->fallback = tcache_new(a, false);
    if (s->fallback == NULL) {
        vkm_mutex_destroy(&s->lock);
        vkm_mutex_destroy(&s->fallback_lock);
        vkm_mutex_destroy(&s->abandoned_lock);
        vkm_mutex_destroy(&s->orphan_lock);
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
        live += run_slot_size(r, i) != 0;
    if (live != 0 && vkm_config_api_asserts)
        fprintf(stderr,
                "vkmalloc: %u allocation(s) of %u bytes were not freed before the "
                "allocator was destroyed\n",
                live, r->slot_size);
    vkm_mutex_lock(&b->lock);
    vkm_tlsf_free(b->tlsf, r->base);
    vkm_mutex_unlock(&b->lock);
    run_free_struct(r);
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
        /* runs and arenas of destroyed pools: their blocks are gone */
        sweep_dead(tc, true, NULL);
        for (uint32_t i = 0; i < VKM_TCACHE_BINS; i++) {
            while (tc->bins[i].runs != NULL) {
                vkm_run *r = tc->bins[i].runs;
                bin_unlink(&tc->bins[i], r);
                drop_run(r);
            }
        }
        for (uint32_t i = 0; i < VKM_TCACHE_ARENA_BINS; i++) {
            while (tc->abins[i].arenas != NULL) {
                vkm_arena *ar = tc->abins[i].arenas;
                arena_unlink(&tc->abins[i], ar);
                vkm_arena_drop(ar);
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
    while (s->orphans != NULL) {
        vkm_arena *ar = s->orphans;
        s->orphans = ar->next;
        vkm_arena_drop(ar);
    }
    tcache_delete(s->fallback);
    vkm_mutex_destroy(&s->lock);
    vkm_mutex_destroy(&s->fallback_lock);
    vkm_mutex_destroy(&s->abandoned_lock);
    vkm_mutex_destroy(&s->orphan_lock);
    vkm_host_delete(&a->ha, vkm_tcache_shared, s);
    a->tcs = NULL;
}

/* ------------------------------------------------------------------------------------ */
/* vkm* statistics                                                                       */

void
vkm_tcache_stats(const vkm_tcache *tc, VkmThreadCacheStatistics *out)
{
    memset(out, 0, sizeof(*out));
    if (tc == NULL)
        return;
    /* Run bytes grow before free bytes and shrink after them (account_run_in/out), so
     * free bytes read while run bytes hold still are at most run bytes. */
    for (uint32_t attempt = 0; attempt < 8; attempt++) {
        const uint64_t run = vkm_atomic_load_u64_acquire(&tc->xrun_bytes);
        out->cachedBytes = vkm_atomic_load_u64_acquire(&tc->xcached_bytes) +
                           vkm_atomic_load_u64_acquire(&tc->xarena_free);
        out->runBytes = vkm_atomic_load_u64_acquire(&tc->xrun_bytes);
        if (out->runBytes == run)
            break;
    }
    out->runCount = (uint32_t)vkm_atomic_load_u64_relaxed(&tc->xrun_count);
    out->threadCount = 1;
    out->hits = vkm_atomic_load_u64_relaxed(&tc->xhits);
    out->misses = vkm_atomic_load_u64_relaxed(&tc->xmisses);
    out->bypasses = vkm_atomic_load_u64_relaxed(&tc->xbypasses);
    out->remoteFrees = vkm_atomic_load_u64_relaxed(&tc->xremote_frees);
    out->lockWaits = vkm_block_list_thread_lock_waits();
}

void
vkm_tcache_stats_all(VmaAllocator a, VkmThreadCacheStatistics *out)
{
    vkm_tcache_shared *s = a->tcs;
    memset(out, 0, sizeof(*out));
    vkm_mutex_lock(&s->lock);
    for (const vkm_tcache *tc = s->caches; tc != NULL; tc = tc->reg_next) {
        VkmThreadCacheStatistics one;
        vkm_tcache_stats(tc, &one);
        out->cachedBytes += one.cachedBytes;
        out->runBytes += one.runBytes;
        out->runCount += one.runCount;
        out->threadCount++;
        out->hits += one.hits;
        out->misses += one.misses;
        out->bypasses += one.bypasses;
        out->remoteFrees += one.remoteFrees;
    }
    out->hits += s->retired[0];
    out->misses += s->retired[1];
    out->bypasses += s->retired[2];
    out->remoteFrees += s->retired[3];
    for (uint32_t id = 0; id < VKM_TCACHE_MAX_LISTS; id++)
        if (s->lists[id] != NULL)
            out->lockWaits += vkm_atomic_load_u64_relaxed(&s->lists[id]->xlock_waits);
    vkm_mutex_unlock(&s->lock);
}
