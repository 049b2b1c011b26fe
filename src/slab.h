/* SPDX-License-Identifier: MIT */
/*
 * slab.h - slot bookkeeping of one run: owner-local free bits, remote frees published
 * with one atomic OR, and the hand-over protocol for runs whose owner left (layer L1).
 *
 * A slab tracks `nslots` equal slots (at most VKM_SLAB_MAX_SLOTS). It knows nothing of
 * what a slot is: tcache.c maps slot i to [base + i * size, ...) of a device block.
 *
 * Who touches what:
 *   local_free, nfree, collected, abandon_target     the owner thread only
 *   xremote[], xremote_count                        any thread, atomic; on a cache line
 *                                                   of their own so remote frees never
 *                                                   bounce the owner's fields
 * Ownership moves only through vkm_slab_abandon / vkm_slab_adopt; the caller makes sure
 * one thread at a time considers itself the owner.
 *
 * Counting protocol. xremote_count (W) counts remote frees; the owner counts the remote
 * frees it has collected (C); U is the number of remote bits not yet collected. Once
 * every free in flight has finished, W == C + U. On abandonment the owner knows T, the
 * number of remote frees the slab will have received in all once every slot it handed
 * out is back:  T = C + (nslots - nfree)  (slots out = live + freed-not-collected).
 * It adds FLAG - T to W in one atomic step. From then on W only grows, by one per remote
 * free, and equals FLAG exactly when the last outstanding slot has come back: whoever's
 * atomic step makes W equal FLAG (the abandoning owner when nothing was outstanding,
 * else the last remote freer) owns the empty slab and reclaims it. An adopter subtracts
 * FLAG - T again (a CAS, refused once W reached FLAG) and carries on as the owner.
 *
 * Order of a remote free: count (W) first, bit second. The bit is the freer's last
 * access, and the owner can only collect it after the count, so an owner that has
 * collected every slot may free the slab at once: no freer is still inside it, and
 * freeing needs no epoch section (a fence and two stores per free). The price falls on
 * completion: W can reach FLAG while the last freers' bits are still on their way, so
 * the completer waits for every outstanding slot's bit before it reclaims the slab.
 */
#ifndef VKM_SLAB_H
#define VKM_SLAB_H

#include "atomics.h"

#define VKM_SLAB_MAX_SLOTS 256u
#define VKM_SLAB_WORDS (VKM_SLAB_MAX_SLOTS / 64u)
#define VKM_SLAB_NONE UINT32_MAX

typedef struct vkm_slab {
    /* owner thread */
    uint64_t local_free[VKM_SLAB_WORDS]; /* bit set = slot free */
    uint32_t nslots;                     /* immutable */
    uint32_t nfree;                      /* popcount(local_free) */
    uint64_t collected;                  /* C above */
    uint64_t abandon_target;             /* T above; written before the abandoning RMW */
    /* any thread: two lines away from the owner's fields, so that the adjacent-line
     * prefetch of x86 cores (which pulls lines in pairs) does not make remote frees and
     * owner operations bounce one pair between cores */
    _Alignas(2 * VKM_CACHE_LINE) vkm_atomic_u64 xremote[VKM_SLAB_WORDS];
    vkm_atomic_u64 xremote_count; /* W above */
} vkm_slab;

void vkm_slab_init(vkm_slab *s, uint32_t nslots);

/* Owner: takes a free slot, or returns VKM_SLAB_NONE (collect remote frees first). */
static inline uint32_t
vkm_slab_alloc(vkm_slab *s)
{
    for (uint32_t w = 0; w < VKM_SLAB_WORDS; w++) {
        uint64_t bits = s->local_free[w];
        if (bits != 0) {
            uint32_t b = (uint32_t)__builtin_ctzll(bits);
            s->local_free[w] = bits & (bits - 1);
            s->nfree--;
            return w * 64u + b;
        }
    }
    return VKM_SLAB_NONE;
}

/* Owner: returns slot i. */
static inline void
vkm_slab_free_local(vkm_slab *s, uint32_t i)
{
    s->local_free[i / 64u] |= 1ull << (i % 64u);
    s->nfree++;
}

/* Owner: true when slot i is free in the owner's view (debug checks). */
static inline bool
vkm_slab_is_free_local(const vkm_slab *s, uint32_t i)
{
    return (s->local_free[i / 64u] >> (i % 64u)) & 1u;
}

/* Owner: moves remote frees into the local bits; returns how many. With `tags` (one per
 * slot, may be NULL) each collected slot's tag is set to 0 before its remote bit clears,
 * so a reader that sees the bit clear (vkm_slab_is_free_remote) then reads the 0. */
uint32_t vkm_slab_collect_tags(vkm_slab *s, vkm_atomic_u32 *tags);

static inline uint32_t
vkm_slab_collect(vkm_slab *s)
{
    return vkm_slab_collect_tags(s, NULL);
}

/* Any thread: true when slot i was freed remotely and not collected yet. Read it before
 * the slot's tag (see vkm_slab_collect_tags). */
static inline bool
vkm_slab_is_free_remote(const vkm_slab *s, uint32_t i)
{
    return (vkm_atomic_load_u64_acquire((vkm_atomic_u64 *)&s->xremote[i / 64u]) >> (i % 64u)) & 1u;
}

/* The owner, during a detailed JSON dump (tcache.h, "Dumps"): as
 * vkm_slab_is_free_remote, but sequentially consistent with the OR of
 * vkm_slab_free_remote, so that of a freer (its OR, then its check for dumps) and a dump
 * (its announcement, then this load) at least one sees the other's write. */
static inline bool
vkm_slab_is_free_remote_seq_cst(const vkm_slab *s, uint32_t i)
{
    return (vkm_atomic_load_u64_seq_cst((vkm_atomic_u64 *)&s->xremote[i / 64u]) >> (i % 64u)) & 1u;
}

/* Any thread but the owner: publishes the free of slot i. Returns true when this free
 * completed an abandoned slab: the caller now owns it (every slot free) and reclaims it. */
bool vkm_slab_free_remote(vkm_slab *s, uint32_t i);

/* Owner: gives the slab up. Returns true when no slot is outstanding: the caller stays
 * the owner of an empty slab and reclaims it. */
bool vkm_slab_abandon(vkm_slab *s);

/* Any thread that found an abandoned slab on the shared list, under the lock that keeps
 * the slab alive: becomes the owner (true), or learns that the last outstanding slot came
 * back meanwhile and the freer that returned it reclaims the slab (false). */
bool vkm_slab_adopt(vkm_slab *s);

static inline uint32_t
vkm_slab_used(const vkm_slab *s)
{
    return s->nslots - s->nfree;
}

#endif /* VKM_SLAB_H */
