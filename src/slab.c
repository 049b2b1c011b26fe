/* SPDX-License-Identifier: MIT */
#include "slab.h"
#include "debug.h"

#define FLAG (1ull << VKM_SLAB_ABANDONED)

static inline uint64_t
all_slots(uint32_t nslots)
{
    return (1ull << nslots) - 1u; /* nslots <= 63 */
}

void
vkm_slab_init(vkm_slab *s, uint32_t nslots)
{
    vkm_assert(nslots <= VKM_SLAB_MAX_SLOTS);
    s->local_free = all_slots(nslots);
    s->nslots = nslots;
    s->nfree = nslots;
    vkm_atomic_init_u64(&s->xremote, 0);
}

uint32_t
vkm_slab_collect_tags(vkm_slab *s, vkm_atomic_u32 *tags)
{
    /* A relaxed peek first: a read does not take the line away from a remote freer. */
    if (vkm_atomic_load_u64_relaxed(&s->xremote) == 0)
        return 0;
    uint64_t bits;
    if (tags == NULL) {
        /* acquire: pairs with the release of vkm_slab_free_remote's OR, so the freer's
         * last accesses to the slot's metadata happen before the owner reuses it */
        bits = vkm_atomic_exchange_u64_acq_rel(&s->xremote, 0);
    } else {
        /* The bits seen (acquire, as above) get their tags cleared, then only those
         * bits are cleared (release: a reader seeing them clear sees the tags 0); bits
         * set meanwhile stay for the next collection. */
        bits = vkm_atomic_load_u64_acquire(&s->xremote);
        for (uint64_t m = bits; m != 0; m &= m - 1)
            vkm_atomic_store_u32_relaxed(&tags[__builtin_ctzll(m)], 0);
        vkm_atomic_fetch_and_u64_release(&s->xremote, ~bits);
    }
    vkm_assert(!(bits & FLAG) && !(bits & s->local_free));
    s->local_free |= bits;
    const uint32_t n = (uint32_t)__builtin_popcountll(bits);
    s->nfree += n;
    return n;
}

bool
vkm_slab_free_remote(vkm_slab *s, uint32_t i)
{
    /* Read while the slab is surely alive: our slot is out until the OR lands. */
    const uint64_t complete = all_slots(s->nslots) | FLAG;
    const uint64_t bit = 1ull << i;
    /* acq_rel: releases our accesses to the slot's metadata to the owner that collects
     * the bit (or to the completer); acquires, when this OR completes an abandoned
     * slab, the abandoning owner's fields and the other freers' accesses */
    const uint64_t old = vkm_atomic_fetch_or_u64_acq_rel(&s->xremote, bit);
    vkm_assert(!(old & bit)); /* the slot was freed twice */
    return (old | bit) == complete;
}

bool
vkm_slab_abandon(vkm_slab *s)
{
    const uint64_t complete = all_slots(s->nslots) | FLAG;
    /* acq_rel: releases the owner's fields to the adopter or completer; acquires the
     * remote frees before us in case we complete the slab ourselves */
    const uint64_t old = vkm_atomic_fetch_or_u64_acq_rel(&s->xremote, s->local_free | FLAG);
    return (old | s->local_free | FLAG) == complete;
}

bool
vkm_slab_adopt(vkm_slab *s)
{
    const uint64_t complete = all_slots(s->nslots) | FLAG;
    /* acquire: pairs with the abandoning OR, so local_free is the abandoner's */
    uint64_t v = vkm_atomic_load_u64_acquire(&s->xremote);
    for (;;) {
        if (!(v & FLAG) || v == complete)
            return false; /* not abandoned, or complete (its last freer reclaims it) */
        /* The remote frees since the abandonment stay for the adopter to collect. */
        if (vkm_atomic_cas_u64_acq_rel(&s->xremote, &v, v & ~(FLAG | s->local_free)))
            return true;
    }
}
