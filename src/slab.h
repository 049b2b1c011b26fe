/* SPDX-License-Identifier: MIT */
/*
 * slab.h - slot bookkeeping of one run: owner-local free bits, remote frees published
 * with one atomic OR, and the hand-over protocol for runs whose owner left (layer L1).
 *
 * A slab tracks `nslots` equal slots (at most VKM_SLAB_MAX_SLOTS). It knows nothing of
 * what a slot is: tcache.c maps slot i to [base + i * size, ...) of a device block.
 *
 * Who touches what:
 *   local_free, nfree     the owner thread only
 *   xremote               any thread, atomic; two cache lines away from the owner's fields
 *                         so remote frees never bounce them
 * Ownership moves only through vkm_slab_abandon / vkm_slab_adopt; the caller makes sure
 * one thread at a time considers itself the owner.
 *
 * One word. Bit i of xremote (i < nslots) is set by the remote free of slot i and
 * cleared when the owner collects it; bit VKM_SLAB_ABANDONED is set while the slab has
 * no owner. A slot is free when its local bit or its remote bit is set, and never both.
 * That is why a slab has at most 63 slots: a remote free is then a single fetch_or
 * that also tells its caller whether it completed an abandoned slab.
 *
 * Hand-over. The abandoning owner ORs its local free bits and the flag into xremote in
 * one step; from then on the word holds every free slot, and it reads "all slots and the
 * flag" exactly once: at the step that returns the last outstanding slot (the
 * abandoning OR itself when nothing was out, else the last remote free). Whoever makes
 * that step owns the empty slab and reclaims it. An adopter clears the flag and the
 * abandoner's local bits again (a CAS, refused once the word is complete) and carries
 * on as the owner with the abandoner's local_free, as if it had never left.
 *
 * A remote free's OR is its only access to the slab, so once the owner has collected
 * every slot nobody else is inside it: the owner may free it at once.
 */
#ifndef VKM_SLAB_H
#define VKM_SLAB_H

#include "atomics.h"

#define VKM_SLAB_MAX_SLOTS 63u
#define VKM_SLAB_ABANDONED 63u /* the flag's bit in xremote */
#define VKM_SLAB_NONE UINT32_MAX

typedef struct vkm_slab {
    /* owner thread */
    uint64_t local_free; /* bit set = slot free */
    uint32_t nslots;     /* immutable */
    uint32_t nfree;      /* popcount(local_free) */
    /* any thread: two lines away from the owner's fields, so that the adjacent-line
     * prefetch of x86 cores (which pulls lines in pairs) does not make remote frees and
     * owner operations bounce one pair between cores */
    _Alignas(2 * VKM_CACHE_LINE) vkm_atomic_u64 xremote;
} vkm_slab;

void vkm_slab_init(vkm_slab *s, uint32_t nslots);

/* Owner: takes the lowest free slot, or returns VKM_SLAB_NONE (collect remote frees
 * first). */
static inline uint32_t
vkm_slab_alloc(vkm_slab *s)
{
    const uint64_t bits = s->local_free;
    if (bits == 0)
        return VKM_SLAB_NONE;
    s->local_free = bits & (bits - 1);
    s->nfree--;
    return (uint32_t)__builtin_ctzll(bits);
}

/* Owner: returns slot i. */
static inline void
vkm_slab_free_local(vkm_slab *s, uint32_t i)
{
    s->local_free |= 1ull << i;
    s->nfree++;
}

/* Owner: true when slot i is free in the owner's view (debug checks). */
static inline bool
vkm_slab_is_free_local(const vkm_slab *s, uint32_t i)
{
    return (s->local_free >> i) & 1u;
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

/* Any thread: true when slot i was freed remotely and not collected yet, or lies free
 * in an abandoned slab. Read it before the slot's tag (see vkm_slab_collect_tags). */
static inline bool
vkm_slab_is_free_remote(const vkm_slab *s, uint32_t i)
{
    return (vkm_atomic_load_u64_acquire((vkm_atomic_u64 *)&s->xremote) >> i) & 1u;
}

/* Any thread but the owner: publishes the free of slot i. Returns true when this free
 * completed an abandoned slab: the caller now owns it (every slot free) and reclaims it.
 * When it returns false the slab may be gone already. */
bool vkm_slab_free_remote(vkm_slab *s, uint32_t i);

/* Owner: gives the slab up. Returns true when no slot is outstanding: the caller stays
 * the owner of an empty slab and reclaims it. */
bool vkm_slab_abandon(vkm_slab *s);

/* Any thread that found an abandoned slab on the shared list, under the lock that keeps
 * the slab alive: becomes the owner (true), or learns that the last outstanding slot came
 * back meanwhile and the freer that returned it reclaims the slab (false). */
bool vkm_slab_adopt(vkm_slab *s);

/* The owner of a completed slab (the caller of a free or abandon that returned true):
 * true when every slot is free, which completion guarantees (checks and tests). */
static inline bool
vkm_slab_all_free(const vkm_slab *s)
{
    const uint64_t all = (1ull << s->nslots) - 1u;
    const uint64_t remote = vkm_atomic_load_u64_acquire((vkm_atomic_u64 *)&s->xremote);
    return ((s->local_free | remote) & all) == all;
}

static inline uint32_t
vkm_slab_used(const vkm_slab *s)
{
    return s->nslots - s->nfree;
}

#endif /* VKM_SLAB_H */
