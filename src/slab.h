/* SPDX-License-Identifier: MIT */
/*
 * slab.h - slot bookkeeping of one run: owner-local free bits, remote frees published
 * with one atomic OR, and the hand-over protocol for runs whose owner left (layer L1).
 *
 * A slab tracks `nslots` equal slots (at most VKM_SLAB_MAX_SLOTS). It knows nothing of
 * what a slot is: tcache.c maps slot i to [base + i * size, ...) of a device block.
 *
 * Who touches what:
 *   local_free, nfree, collected, abandon_*    the owner thread only
 *   xremote words, xpending                    any thread, atomic; away from the owner's
 *                                              fields so remote frees never bounce them
 * Ownership moves only through vkm_slab_abandon / vkm_slab_adopt; the caller makes sure
 * one thread at a time considers itself the owner.
 *
 * Remote frees. Slot i has bit i % 32 of remote word i / 32; each word sits on a cache
 * line of its own, so threads that free different parts of one run (the consumers of a
 * producer, each handed a batch of consecutive slots) do not queue for one line. Bit 63
 * of every word is ABANDONED. A remote free is a single atomic OR: it publishes the slot
 * and, through the old value, tells the freer whether the run still has an owner. With
 * an owner the OR is the freer's last access, so an owner that has collected every slot
 * may free the slab at once (no epoch section, no count).
 *
 * Abandonment. The owner ORs ABANDONED into every word; the old values say which slots
 * out were already freed, so T, the slots still to come back, is exact. It adds T to
 * xpending. Every later free sees ABANDONED in its OR and subtracts 1 from xpending;
 * whoever's step brings it to 0 (the owner when T was 0, else the last freer) owns the
 * empty slab and reclaims it. A freer that subtracts before the owner has added leaves
 * a "negative" (wrapped) value, never 0, so only the true last step completes.
 *
 * Adoption (under the lock that keeps the abandoned slab alive). The adopter adds
 * ADOPTING to xpending with a CAS that is refused once it reads 0 (complete: the
 * completer reclaims), so no freer can complete meanwhile. It clears ABANDONED from every
 * word; the frees that saw the flag are exactly the bits that appeared since the
 * abandoning ORs, and it waits until their subtractions have landed (each is one
 * instruction after its OR) before it resets xpending to 0 and carries on as the owner:
 * after that no freer touches xpending, so the new owner may free the slab as above.
 */
#ifndef VKM_SLAB_H
#define VKM_SLAB_H

#include "atomics.h"
#include "debug.h"

#define VKM_SLAB_MAX_SLOTS 256u
#define VKM_SLAB_WORDS (VKM_SLAB_MAX_SLOTS / 64u)     /* owner bit words */
#define VKM_SLAB_RBITS 32u                            /* slots per remote word */
#define VKM_SLAB_RWORDS (VKM_SLAB_MAX_SLOTS / VKM_SLAB_RBITS)
#define VKM_SLAB_RMASK ((1ull << VKM_SLAB_RBITS) - 1u)
#define VKM_SLAB_ABANDONED (1ull << 63)
/* Distance between remote words, in words: one cache line each. */
#ifndef VKM_SLAB_RSTRIDE
#define VKM_SLAB_RSTRIDE (VKM_CACHE_LINE / 8u)
#endif
#define VKM_SLAB_NONE UINT32_MAX

typedef struct vkm_slab {
    /* owner thread */
    uint64_t local_free[VKM_SLAB_WORDS]; /* bit set = slot free */
    uint32_t nslots;                     /* immutable */
    uint32_t nfree;                      /* popcount(local_free) */
    uint64_t collected;                  /* remote frees collected, for tests and dumps */
    uint64_t abandon_target;             /* T of the last abandonment */
    uint32_t abandon_seen[VKM_SLAB_RWORDS]; /* remote bits present when it abandoned */
    /* any thread: two lines away from the owner's fields, so that the adjacent-line
     * prefetch of x86 cores (which pulls lines in pairs) does not make remote frees and
     * owner operations bounce one pair between cores */
    _Alignas(2 * VKM_CACHE_LINE) vkm_atomic_u64 xremote[VKM_SLAB_RWORDS * VKM_SLAB_RSTRIDE];
    _Alignas(VKM_CACHE_LINE) vkm_atomic_u64 xpending; /* abandoned mode only */
} vkm_slab;

_Static_assert(VKM_SLAB_RBITS < 63u && VKM_SLAB_MAX_SLOTS % VKM_SLAB_RBITS == 0 &&
                   VKM_SLAB_RWORDS % 2u == 0,
               "remote words hold their slots below the ABANDONED bit, two per owner word");

static inline vkm_atomic_u64 *
vkm_slab_rword(const vkm_slab *s, uint32_t w)
{
    return (vkm_atomic_u64 *)&s->xremote[w * VKM_SLAB_RSTRIDE];
}

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
    return (vkm_atomic_load_u64_acquire(vkm_slab_rword(s, i / VKM_SLAB_RBITS)) >>
            (i % VKM_SLAB_RBITS)) & 1u;
}

/* The owner, during a detailed JSON dump (tcache.h, "Dumps"): as
 * vkm_slab_is_free_remote, but sequentially consistent with the OR of
 * vkm_slab_free_remote, so that of a freer (its OR, then its check for dumps) and a dump
 * (its announcement, then this load) at least one sees the other's write. */
static inline bool
vkm_slab_is_free_remote_seq_cst(const vkm_slab *s, uint32_t i)
{
    return (vkm_atomic_load_u64_seq_cst(vkm_slab_rword(s, i / VKM_SLAB_RBITS)) >>
            (i % VKM_SLAB_RBITS)) & 1u;
}

bool vkm_slab_free_remote_abandoned(vkm_slab *s);

/* Any thread but the owner: publishes the free of slot i. Returns true when this free
 * completed an abandoned slab: the caller now owns it (every slot free) and reclaims it. */
static inline bool
vkm_slab_free_remote(vkm_slab *s, uint32_t i)
{
    /* release: pairs with the acquire in vkm_slab_collect_tags, so this thread's last
     * accesses to the slot's metadata happen before the owner reuses it. seq_cst besides
     * (the same locked OR on x86): the caller's check for JSON dumps after it pairs with
     * vkm_slab_is_free_remote_seq_cst (tcache.h, "Dumps"). */
    const uint64_t bit = 1ull << (i % VKM_SLAB_RBITS);
    const uint64_t old = vkm_atomic_fetch_or_u64_seq_cst(vkm_slab_rword(s, i / VKM_SLAB_RBITS), bit);
    vkm_assert(!(old & bit)); /* the slot was freed twice */
    if (!(old & VKM_SLAB_ABANDONED))
        return false; /* the owner collects it; `s` may be gone already */
    return vkm_slab_free_remote_abandoned(s);
}

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
