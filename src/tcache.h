/* SPDX-License-Identifier: MIT */
/*
 * tcache.h - per-(thread, allocator) caches of runs, and per-thread counters (layer L3).
 *
 * design.md §4. A thread finds its cache through a thread slot (thread.c) keyed by the
 * allocator and its generation. A cache owns:
 *   - bins, one per (block list, slot size, resource kind), each with the runs that serve
 *     it: ranges reserved from a block of the list and cut into equal slots (slab.h);
 *   - the thread's epoch record, used by every lock-free read the thread makes;
 *   - allocation counters per block list (count and bytes, +1 on allocate and -1 on free
 *     by whichever thread does it), summed over all caches on read, so statistics and
 *     budgets are exact without a shared counter on the allocation path.
 *
 * Who touches what:
 *   bins, runs' owner fields, chunk arrays       the owning thread only, or a thread
 *                                                that holds the cache ("Holding")
 *   x* counters                                  written by the owner (relaxed store of
 *                                                load + delta: single writer), read by
 *                                                statistics under the registry lock
 *   registry links                               under VmaAllocator_T::tcache_lock
 *   a run's xsize[]                              written by the owner, read by
 *                                                statistics (atomic)
 *   slab remote words                            any thread, atomic
 *   abandoned runs                               under VmaAllocator_T::abandoned_lock
 *   xlist_serial[], xdead_gen                    written under the registry lock, read
 *                                                by owners without it (atomic)
 * A cache is freed only by its thread's exit hook or by allocator destruction, both under
 * the registry lock, so a statistics reader holding that lock never sees it go.
 *
 * Custom pools (default algorithm) are cached like default pools, and a pool may be
 * destroyed while other threads' caches still hold runs of it. Those caches
 * are owner-only, so the destroyer never touches them; instead (vkm_tcache_forget_list):
 *   - every bin remembers its list's serial, which is unique and never
 *     reused; xlist_serial[id] holds the serial of the live list with counter id `id`,
 *     0 once it is destroyed, so an owner tells a dead bin without reading the list;
 *   - the destroyer zeroes the serial and bumps xdead_gen under the registry lock; an
 *     owner that sees xdead_gen change sweeps its dead bins: their runs' structs are
 *     freed without touching their blocks (which are gone); then it trims itself, as
 *     xdead_gen also moves when a defragmentation pass asks for empty runs;
 *   - the owner paths that reach a pool's blocks through cached state rather than
 *     through one of the pool's live allocations (trimming, thread exit) check the serial
 *     and open the list's free bracket under the registry lock (tc_bracket_open), so the
 *     destroyer, which waits for the brackets after zeroing the serial, never frees the
 *     blocks under them; the other owner paths act for an allocation of the list, which
 *     the caller keeps alive (VMA's contract) or which is bracketed already (frees);
 *   - abandoned runs of the list are unlinked and freed by the destroyer itself, after the brackets (a completing freer is bracketed too).
 * Until its owner next allocates, trims or exits, a dead run's host struct stays in its
 * cache (bounded by what the cache held); allocator destruction frees what is left.
 *
 * When a thread cannot have a cache (no thread slot left, host memory exhausted) it uses
 * the allocator's fallback cache, which has no runs, under the fallback lock.
 *
 * Dumps. vmaBuildStatsString's detailed map prints each allocation's user data and name,
 * which live in its VmaAllocation. A slot of a run keeps a back pointer to it, but
 * whoever frees the slot deletes the object without taking any lock a walk could hold,
 * so a dump (vkm_tcache_tile_range with `self`) reads the objects under this protocol:
 *   - the dump opens an epoch section, then announces itself (vkm_tcache_dump_begin:
 *     xdumps + 1, seq_cst), then makes every thread of the process pass a full barrier
 *     (vkm_thread_fence_all), and withdraws when it is done; it reads a slot's remote
 *     bit with a seq_cst load (vkm_slab_is_free_remote_seq_cst), its size with acquire,
 *     then its back pointer and the object, inside its section and its walk's block
 *     lock;
 *   - a remote free publishes the slot's remote bit (seq_cst OR), then reads xdumps
 *     (seq_cst): either it sees the dump, and its caller retires the object through its
 *     epoch record instead of deleting it (vkm_tcache_free returns true), or the dump's
 *     read of the bit comes after the OR in the seq_cst order and sees the slot free;
 *   - the owner's own free clears the slot's size and back pointer with plain stores,
 *     then, after a compiler fence only, reads xdumps (acquire). The dump's barrier falls
 *     either after that read, and then the stores are visible to the dump's reads after
 *     the barrier (it sees the slot free, or a later allocation's object), or before it,
 *     and then the read sees the announcement and the object is retired. A full fence
 *     on the owner's side would do the same on every free; this way only dumps pay;
 *   - retired objects outlive the dump: each retirement it causes comes after its section
 *     opened. The owner stores a new allocation's name, user data and usage before the
 *     slot's back pointer and size (release), so a dump reads them whole;
 *   - a defragmentation pass moves an allocation out of its slot and frees the slot with
 *     the temporary allocation, so the slot's back pointer names the moved allocation,
 *     alive, until that free; when a dump was announced by then, the pass waits for a
 *     grace period before the program can free the moved allocation (defrag.c), so no
 *     dump still holds it.
 * Without the process-wide barrier (a kernel or sandbox without membarrier), a dump reads
 * the objects of its own thread's runs only, which nothing but a remote free can end
 * while their owner is dumping, and writes the slots of other threads' runs with type
 * and size (usage 0, no user data, no name).
 *
 * Holding. A defragmentation pass empties runs of other threads, and frees from other
 * threads empty runs without their owner's knowledge; an owner that never allocates
 * again would keep them, and their blocks, for good. So the end of a pass
 * (vkm_tcache_reclaim_others), and a list about to make a block
 * (vkm_tcache_release_list_others), take the caches of idle threads for a moment and
 * give their empty runs back themselves, under a handshake in which only the holder
 * pays for a fence:
 *   - the owner brackets every operation on its cache (vkm_tcache_claim / _unclaim:
 *     enter and leave, the fast path, trims, thread exit): it stores xbusy = 1, then
 *     after a compiler fence only loads xheld; a set xheld means the cache is held, and
 *     the owner clears xbusy (release), waits until the holder lets go (acquire), and
 *     tries again. A holder does nothing but trim, and holds no lock an owner could be
 *     holding when it claims (claims come first in every entry point), so the wait is
 *     short and cannot deadlock; a holder is itself busy where it holds (an allocation)
 *     or holds no claim (the end of a defragmentation pass), so two holders never wait
 *     for each other;
 *   - the holder sets xheld (seq_cst) on the caches it wants, under the registry lock
 *     (so none is freed meanwhile), makes every thread of the process pass a full
 *     barrier (vkm_thread_fence_all), then loads each xbusy (acquire): every owner
 *     either had its xbusy = 1 seen, and the holder lets that cache go (its owner is
 *     active and trims itself at its next allocation, xdead_gen), or loads xheld after
 *     the barrier and sees it set. The holder works on a cache it kept with its own
 *     epoch record (the owner's is the owner's alone), and clears xheld with release;
 *     the owner's next claim acquires it. xbusy's release at the end of each operation
 *     and the holder's acquire of it order the owner's earlier work before the holder's.
 * Without the process-wide barrier nothing is held, and idle threads keep their runs
 * until they allocate, flush or exit, as before.
 */
#ifndef VKM_TCACHE_H
#define VKM_TCACHE_H

#include "allocation.h"
#include "allocator.h"
#include "block_list.h"
#include "debug.h"
#include "epoch.h"
#include "slab.h"
#include "stats.h"
#include "thread.h"

#include <string.h>

#define VKM_TCACHE_BINS 256u /* open-addressed, power of two */
#define VKM_TCACHE_CTR_PER_CHUNK 64u
#define VKM_TCACHE_CTR_CHUNKS 64u /* -> 4096 block lists with per-thread counters */
#define VKM_TCACHE_MAX_LISTS (VKM_TCACHE_CTR_PER_CHUNK * VKM_TCACHE_CTR_CHUNKS)

typedef struct vkm_tcache vkm_tcache;

/*
 * A run. slot i covers [base + i * slot_size, base + (i + 1) * slot_size) of `block`.
 *   cached bytes of a run = slab.nfree * slot_size                 (owner's view)
 *   slot i holds a live allocation of requested size xsize[i]  <=>  xsize[i] != 0 and
 *   slot i's remote-free bit is clear (a remote free leaves xsize; the owner zeroes it
 *   when it collects the slot, before it clears the bit)
 * After xsize[] lies a second array, one vkm_atomic_ptr per slot (run_allocs() in
 * tcache.c): the VmaAllocation of a live slot, written by the owner before its release
 * store of xsize[i], so a reader that acquires a non-zero size reads the pointer of that
 * allocation (defragmentation enumerates runs through it; vkm_tcache_visit_allocs). It
 * lives in the owner's lines: the allocation fast path writes no shared line for it.
 */
typedef struct vkm_run {
    vkm_block_list *list;        /* immutable */
    vkm_block *block;            /* immutable */
    VkDeviceSize base;           /* immutable */
    uint32_t slot_size;          /* immutable */
    uint32_t block_id;           /* immutable: block->id, kept here because the block's
                                  * first line holds its lock, which other threads write */
    uint8_t kind;                /* immutable: vkm_range_kind */
    bool in_abandoned;           /* under abandoned_lock */
    vkm_atomic_ptr xowner;       /* vkm_tcache *; NULL while abandoned */
    struct vkm_run *prev, *next; /* owner's bin list, or the abandoned list */
    vkm_epoch_entry retire;
    const vkm_host_alloc *ha; /* immutable */
    vkm_slab slab;
    vkm_atomic_u32 xsize[];
} vkm_run;

typedef struct vkm_tcache_counter {
    vkm_atomic_u64 xcount; /* allocations made minus freed through this cache, mod 2^64 */
    vkm_atomic_u64 xbytes;
} vkm_tcache_counter;

/* A bin whose list was destroyed and that its owner swept: never matches,
 * reusable (open addressing needs the slot to stay non-empty). */
#define VKM_TCACHE_TOMBSTONE ((vkm_block_list *)(uintptr_t)1)

typedef struct vkm_bin {
    vkm_block_list *list; /* NULL: unused; VKM_TCACHE_TOMBSTONE: swept */
    uint64_t serial;      /* the list's serial (see above) */
    uint32_t list_id;     /* the list's counter id */
    bool pooled;          /* a custom pool's list: may die under the cache */
    bool keep_empty;      /* an empty run may stay cached (default pools only) */
    uint32_t slot_size;
    uint8_t kind;
    uint32_t run_count;
    uint32_t shift; /* the next run's size: RUN_START_BYTES << shift */
    bool starved;   /* the last collection was thin: the next refill makes a run */
    vkm_run *cur;   /* where allocation looks first */
    vkm_run *runs;  /* every run of the bin */
} vkm_bin;

/*
 * The allocation fast path (allocator.c, vkm_tcache_alloc_fast). Resolving a request to a
 * bin is most of the cost of an allocation the cache serves: the create info is
 * checked, a memory type chosen, the placement and dedicated rules applied, a size class
 * and a bin found (about 600 instructions before the slot is taken). A memo remembers
 * that resolution for one request shape without a custom pool, keyed by everything that
 * resolution reads: the create info's fields but pUserData, the requirements' type bits,
 * the resource's usage and kind. Its list is a default list, which lives as long as the
 * allocator, and the rest depends only on the allocator's fixed properties, so a memo
 * never goes stale. It is made only after the slow path served the shape from a run of
 * its first candidate type; a miss of any kind (no memo, size out of range, no free slot
 * in the bin's current run) takes the slow path, which then does what it always did.
 * Owner only.
 */
#define VKM_MEMO_ENTRIES 4u
#define VKM_MEMO_CLASSES 44u /* slot sizes 2^e * q / 4, e in [8, 18], q in 4..7 */

typedef struct vkm_memo_key {
    VmaAllocationCreateFlags flags;
    VmaMemoryUsage usage;
    VkMemoryPropertyFlags required, preferred;
    uint32_t ci_type_bits;
    uint32_t mr_type_bits;
    VkFlags64 resource_usage; /* buffer or image usage, 0 for vmaAllocateMemory */
    uint32_t priority_bits;   /* the float's bits */
    uint32_t kind;            /* vkm_range_kind, + 0x100 with a dedicated buffer, 0x200 image */
} vkm_memo_key;
_Static_assert(sizeof(vkm_memo_key) == 6 * 4 + 8 + 2 * 4, "no padding: keys compare by memcmp");

typedef struct vkm_memo {
    vkm_memo_key key;
    vkm_block_list *list; /* NULL: unused entry */
    vkm_tcache_counter *counter;
    VkDeviceSize max_size;           /* larger requests: slow path (dedicated, shared) */
    uint16_t alloc_flags;            /* VKM_ALLOC_FLAG_* every allocation of the shape gets */
    vkm_bin *bins[VKM_MEMO_CLASSES]; /* by slot class; NULL: not looked up yet */
} vkm_memo;

struct vkm_tcache {
    VmaAllocator allocator; /* immutable */
    vkm_epoch_record *rec;  /* immutable */
    /* immutable: &allocator->tcs->xdumps, which every free of a slot reads ("Dumps"),
     * and &allocator->tcs->xdead_gen, which every allocation reads */
    const vkm_atomic_u32 *xdumps;
    const vkm_atomic_u64 *xdead_gen;
    bool caching;           /* immutable: runs are used */
    uint64_t dead_gen;      /* owner: the xdead_gen it last swept for */
    /* "Holding": xbusy is the owner's (1 inside an operation on the cache), xheld the
     * holder's (1 while another thread holds the cache); steal_next links the caches
     * one holder keeps, written by it under the registry lock */
    vkm_atomic_u32 xbusy, xheld;
    vkm_tcache *steal_next;
    vkm_tcache *reg_prev, *reg_next;
    uint64_t cached_bytes; /* owner; free slot bytes, mirrored into xcached_bytes */
    vkm_atomic_u64 xcached_bytes, xrun_bytes, xrun_count;
    vkm_atomic_u64 xhits, xmisses, xbypasses, xremote_frees;
    vkm_atomic_ptr xchunks[VKM_TCACHE_CTR_CHUNKS]; /* vkm_tcache_counter[64] */
    vkm_bin bins[VKM_TCACHE_BINS];
    vkm_memo memo[VKM_MEMO_ENTRIES];
    uint32_t memo_next; /* the entry the next new shape replaces */
};

/* Allocator-wide state (VmaAllocator_T::tcs). */
struct vkm_tcache_shared {
    vkm_mutex lock; /* the registry: caches, lists, retired counters */
    vkm_tcache *caches;
    vkm_block_list *lists[VKM_TCACHE_MAX_LISTS]; /* by list id, under lock */
    uint32_t list_hint;                          /* under lock: where the next id search starts */
    uint64_t retired[5]; /* hits, misses, bypasses, remote frees of exited caches */
    vkm_mutex fallback_lock;
    vkm_tcache *fallback;
    vkm_mutex abandoned_lock;
    vkm_run *abandoned;
    vkm_atomic_u32 xabandoned; /* runs in the list, for a lock-free "any?" check */
    vkm_atomic_u64 xlimit;     /* byte budget of cached free slots per thread */
    uint64_t next_serial;      /* under lock */
    /* bumped (release, under lock) whenever a cached list dies; owners acquire it */
    vkm_atomic_u64 xdead_gen;
    /* detailed JSON dumps in progress (see "Dumps" above); read-mostly like xdead_gen */
    vkm_atomic_u32 xdumps;
    vkm_atomic_u64 xlist_serial[VKM_TCACHE_MAX_LISTS]; /* see the header comment */
};

VkResult vkm_tcache_shared_init(VmaAllocator a);
/* Allocator destruction: every cache (live threads' too), every abandoned run, the
 * fallback. Runs still holding allocations are reported (debug) and dropped. */
void vkm_tcache_shared_finish(VmaAllocator a);

/* Gives a block list its counter id (VK_SUCCESS even when ids run out: the list then
 * counts in its shared atomics). */
void vkm_tcache_register_list(VmaAllocator a, vkm_block_list *l);
/* Before a list is destroyed: forget its counters everywhere. */
void vkm_tcache_unregister_list(VmaAllocator a, vkm_block_list *l);
/* Pool destruction, before anything of `l` is freed and after the caller has counted
 * what is left in it (run structs of dead lists may go from here on): marks the list
 * dead for every cache, waits for the frees and cache operations still inside it, then
 * frees its abandoned runs (see the header comment). */
void vkm_tcache_forget_list(VmaAllocator a, vkm_block_list *l);
/* The calling thread's empty runs of `l` go back to its blocks (remote frees
 * collected first). Returns true when anything went back: the caller may retry a
 * placement that failed (a pool at maxBlockCount). */
bool vkm_tcache_release_list(vkm_tcache *tc, vkm_block_list *l);
/* The same for the caches of the other threads that are outside any operation on them
 * at this moment, which the calling thread holds meanwhile ("Holding"), on the list's
 * turn (vkm_block_list_take_hold_turn); `tc` is what vkm_tcache_enter gave the caller.
 * Busy owners keep theirs. */
bool vkm_tcache_release_list_others(vkm_tcache *tc, vkm_block_list *l);

vkm_tcache *vkm_tcache_enter_slow(VmaAllocator a);

void vkm_tcache_claim_wait(vkm_tcache *tc);

/* Owner: claims its own cache for one operation ("Holding"), waiting while another
 * thread holds it (a trim of microseconds, in a rare slow path). Pair with
 * vkm_tcache_unclaim. Claims do not nest. */
static inline void
vkm_tcache_claim(vkm_tcache *tc)
{
    vkm_assert(vkm_atomic_load_u32_relaxed(&tc->xbusy) == 0); /* an unclaim would end both */
    vkm_atomic_store_u32_relaxed(&tc->xbusy, 1);
    /* The holder's process-wide barrier orders the store before the load for it. */
    vkm_atomic_compiler_fence();
    if (VKM_UNLIKELY(vkm_atomic_load_u32_acquire(&tc->xheld) != 0))
        vkm_tcache_claim_wait(tc);
}

static inline void
vkm_tcache_unclaim(vkm_tcache *tc)
{
    /* release: the holder that reads 0 here acquires our work on the cache */
    vkm_atomic_store_u32_release(&tc->xbusy, 0);
}

/* The calling thread's cache, claimed (or, when it cannot have one, the fallback cache
 * under its lock); pair with vkm_tcache_leave. Never fails. */
static inline vkm_tcache *
vkm_tcache_enter(VmaAllocator a)
{
    vkm_tcache *tc = vkm_thread_get(a, a->owner.gen);
    if (VKM_UNLIKELY(tc == NULL))
        return vkm_tcache_enter_slow(a);
    vkm_tcache_claim(tc);
    return tc;
}

static inline void
vkm_tcache_leave(VmaAllocator a, vkm_tcache *tc)
{
    if (VKM_UNLIKELY(tc == a->tcs->fallback))
        vkm_mutex_unlock(&a->tcs->fallback_lock);
    else
        vkm_tcache_unclaim(tc);
}

/* For readers (statistics): the calling thread's cache if it has one, else the fallback
 * cache under its lock; never creates a cache. Pair with vkm_tcache_leave. */
static inline vkm_tcache *
vkm_tcache_enter_reader(VmaAllocator a)
{
    vkm_tcache *tc = vkm_thread_get(a, a->owner.gen);
    if (tc != NULL)
        return tc;
    vkm_mutex_lock(&a->tcs->fallback_lock);
    return a->tcs->fallback;
}

/* The calling thread's cache if it has one already (statistics: never creates one). */
static inline vkm_tcache *
vkm_tcache_peek(VmaAllocator a)
{
    return vkm_thread_get(a, a->owner.gen);
}

/* Counts `n` allocations of `bytes` in total into (or, negative, out of) list `l`. */
void vkm_tcache_count(vkm_tcache *tc, vkm_block_list *l, int64_t n, int64_t bytes);
/* Sums of the counters of list `l` (clamped at 0: a sum read while others allocate and
 * free is made of untorn counters but not one instant). */
void vkm_tcache_list_totals(VmaAllocator a, const vkm_block_list *l, uint64_t *count,
                            uint64_t *bytes);
/* The registry lock (lock order: "cache registry"), for a reader that must sum a list's
 * counters while other state holds still (pool statistics); no-op once the caches are
 * gone (allocator destruction). */
void vkm_tcache_registry_lock(VmaAllocator a);
void vkm_tcache_registry_unlock(VmaAllocator a);
/* vkm_tcache_list_totals under vkm_tcache_registry_lock. */
void vkm_tcache_list_totals_locked(VmaAllocator a, const vkm_block_list *l, uint64_t *count,
                                   uint64_t *bytes);
/* Sums per heap over every list, into count[heap] / bytes[heap] (zeroed first). */
void vkm_tcache_heap_totals(VmaAllocator a, uint64_t count[VK_MAX_MEMORY_HEAPS],
                            uint64_t bytes[VK_MAX_MEMORY_HEAPS]);

/* Serves a block-path request from a run: VK_SUCCESS with `alloc` filled in (block, run,
 * slot, offset; no mapping yet), or VK_INCOMPLETE when the cache cannot serve it (not
 * cacheable, or no new run could be made): the caller takes the shared path. */
VkResult vkm_tcache_alloc(vkm_tcache *tc, vkm_block_list *l, const vkm_alloc_request *req,
                          VmaAllocation alloc);
/* The memo for `key`, or NULL. */
static inline vkm_memo *
vkm_tcache_memo_find(vkm_tcache *tc, const vkm_memo_key *key)
{
    for (uint32_t i = 0; i < VKM_MEMO_ENTRIES; i++) {
        vkm_memo *m = &tc->memo[i];
        if (m->list != NULL && memcmp(&m->key, key, sizeof(*key)) == 0)
            return m;
    }
    return NULL;
}
/* Remembers that `key` resolved to list `l` when the slow path has just served it with
 * `alloc` from a run of `l`, a default list (else nothing happens); every allocation of
 * the shape gets alloc's flags. */
void vkm_tcache_memo_record(vkm_tcache *tc, const vkm_memo_key *key, vkm_block_list *l,
                            VmaAllocation alloc);
/* The fast path: a free slot of the current run of the memo's bin for (size, alignment)
 * goes to `alloc` (every placement member set, as vkm_tcache_alloc does) and is counted;
 * false when there is none (nothing changed: take the slow path). */
bool vkm_tcache_alloc_fast(vkm_tcache *tc, vkm_memo *m, VkDeviceSize size, VkDeviceSize alignment,
                           vkm_range_kind kind, VmaAllocation alloc);

/* Returns a slot (alloc->u.b.cached != NULL), by the owner or remotely. Returns true when a dump may be reading `alloc` (a remote free of a slot
 * while one is announced, see "Dumps"): the caller retires the object through its epoch
 * record (vkm_allocation_retire) instead of deleting it. */
bool vkm_tcache_free(vkm_tcache *tc, VmaAllocation alloc);

/* A detailed dump by the thread of `tc` (vkm_tcache_enter_reader) starts / ends (see
 * "Dumps"); the dump is one epoch section of tc's record. begin returns whether the
 * objects of other threads' slots may be read (the process-wide barrier worked). */
bool vkm_tcache_dump_begin(VmaAllocator a, vkm_tcache *tc);
void vkm_tcache_dump_end(VmaAllocator a, vkm_tcache *tc);
/* Any thread, after a free of a slot: whether a dump is announced (seq_cst, see
 * "Dumps"). */
bool vkm_tcache_dumping(VmaAllocator a);

/* Returns free slots and empty runs: all empty runs with `all`, else the ones beyond one
 * per bin and beyond the byte budget. */
void vkm_tcache_trim(vkm_tcache *tc, bool all);
/* Every other thread's cache gives back its empty runs, as vkm_tcache_trim(all) does:
 * the caches of threads outside any operation on them at once, by the calling thread,
 * which holds them meanwhile ("Holding"); the others at their next allocation (it bumps
 * xdead_gen, which every allocation reads). A defragmentation pass that freed slots of
 * runs calls it: runs that other threads own, emptied by the pass, go back, and their
 * blocks with them, even when their owners never allocate again. */
void vkm_tcache_reclaim_others(VmaAllocator a);

/* Under the block lock: when `user` is the TLSF user pointer of a run's range, feeds its
 * slots (a live one as its allocation's range, then the rest of the slot as free) to `t`
 * in ascending block offsets and returns true; false for a shared-path range. Slots carry
 * their VmaAllocation when `self`, the calling thread's cache, owns the run, or with
 * `self` and `others` whatever thread owns it; else NULL. A caller that passes `self` has
 * announced a dump (vkm_tcache_dump_begin, see "Dumps"), and passes `others` only when
 * that returned true. */
bool vkm_tcache_tile_range(void *user, const vkm_tcache *self, bool others, vkm_stats_tiler *t);
/* The same without objects: block_list.h's expand callback, for statistics. */
bool vkm_tcache_expand_range(void *user, vkm_stats_tiler *t);
/* The pieces themselves, unmerged, for corruption checks: calls fn for every slot of a
 * run (then the rest of a live slot, as free), with block offsets, live ones with their
 * requested size (objects: NULL). Returns false for a range that is not a run's (a
 * shared-path allocation).
 * Under the block lock, like the statistics. */
bool vkm_tcache_visit_range(void *user, vkm_range_visit_fn fn, void *ctx);

/* Defragmentation (defrag.c), under the block lock: when `user` is a run's range, calls fn for every allocation in it whose VmaAllocation is known (block offset,
 * and the range's size, margin included) and returns true; false for a shared-path range.
 * The pointer may be of an allocation still being made: check VmaAllocation::xready. */
typedef void vkm_tcache_alloc_fn(void *ctx, VmaAllocation alloc, VkDeviceSize offset,
                                 VkDeviceSize range_size);
bool vkm_tcache_visit_allocs(void *user, vkm_tcache_alloc_fn *fn, void *ctx);

/* Defragmentation (defrag.c) of the calling thread's own runs of list `l`: slots cannot be
 * moved into by a range search, so runs are compacted among themselves. For each bin of `l`
 * with several runs (remote frees collected first), pairs a live slot of a less used run
 * with a free slot of a more used one, the least used runs first, as long as the source
 * run holds no more live slots (those already paired away not counted) than the
 * destination run: every pair then raises the sum of squared live counts (by
 * 2 * (dst - src) + 2 > 0), so repeated passes end, and the emptied runs go back to their
 * blocks. fn(ctx, src, range_size, dst_run)
 * takes the slot (vkm_tcache_take_slot) and answers whether it did; the planning stops
 * when `*stop` becomes true. */
typedef bool vkm_tcache_pair_fn(void *ctx, VmaAllocation src, VkDeviceSize range_size,
                                vkm_run *dst_run);
VkResult vkm_tcache_plan_compaction(vkm_tcache *tc, vkm_block_list *l, vkm_tcache_pair_fn *fn,
                                    void *ctx, const bool *stop);
/* The caller's own run `r`: a free slot for `tmp` (a defragmentation temporary whose range
 * is `range_size` bytes), with tmp's place filled in. False when `r` has none. */
bool vkm_tcache_take_slot(vkm_tcache *tc, vkm_run *r, VmaAllocation tmp, VkDeviceSize range_size);
/* Pass end: slot `slot` of `r` now holds `alloc` (the source took the temporary's place). */
void vkm_tcache_slot_set_user(vkm_run *r, uint32_t slot, VmaAllocation alloc);

/* vkmGetThreadCacheStatistics / vkmGetAllThreadCacheStatistics. */
void vkm_tcache_stats(const vkm_tcache *tc, VkmThreadCacheStatistics *out);
void vkm_tcache_stats_all(VmaAllocator a, VkmThreadCacheStatistics *out);

#endif /* VKM_TCACHE_H */
