/* SPDX-License-Identifier: MIT */
#include "slab.h"
#include "debug.h"

#include <sched.h>
#include <string.h>

/* Added to xpending by an adopter: while it is there no subtraction of a freer reaches
 * 0 (a slab has at most VKM_SLAB_MAX_SLOTS frees outstanding). */
#define ADOPTING (1ull << 62)

static uint32_t
rwords(const vkm_slab *s)
{
    return (s->nslots + VKM_SLAB_RBITS - 1u) / VKM_SLAB_RBITS;
}

void
vkm_slab_init(vkm_slab *s, uint32_t nslots)
{
    memset(s->local_free, 0, sizeof(s->local_free));
    for (uint32_t i = 0; i < nslots; i++)
        s->local_free[i / 64u] |= 1ull << (i % 64u);
    s->nslots = nslots;
    s->nfree = nslots;
    s->collected = 0;
    s->abandon_target = 0;
    memset(s->abandon_seen, 0, sizeof(s->abandon_seen));
    for (uint32_t w = 0; w < VKM_SLAB_RWORDS * VKM_SLAB_RSTRIDE; w++)
        vkm_atomic_init_u64(&s->xremote[w], 0);
    vkm_atomic_init_u64(&s->xpending, 0);
}

/* Remote word w's slots in the owner's 64-bit words. */
static inline void
give_local(vkm_slab *s, uint32_t w, uint64_t bits)
{
    s->local_free[w / 2u] |= bits << (VKM_SLAB_RBITS * (w % 2u));
}

uint32_t
vkm_slab_collect_tags(vkm_slab *s, vkm_atomic_u32 *tags)
{
    uint32_t n = 0;
    const uint32_t nw = rwords(s);
    for (uint32_t w = 0; w < nw; w++) {
        vkm_atomic_u64 *x = vkm_slab_rword(s, w);
        /* A relaxed peek first: most words of a busy run have nothing to collect, and a
         * read does not take the line away from a remote freer. */
        if (vkm_atomic_load_u64_relaxed(x) == 0)
            continue;
        /* ABANDONED, if set, goes with the bits: only the reclaimer of a completed slab
         * collects one, and it owns the slab from then on. */
        uint64_t word;
        if (tags == NULL) {
            /* acquire: pairs with the release OR in vkm_slab_free_remote, so the freer's
             * last accesses to the slot's metadata happen before the owner reuses it */
            word = vkm_atomic_exchange_u64_acq_rel(x, 0);
        } else {
            /* The bits seen (acquire, as above) get their tags cleared, then only those
             * bits are cleared (release: a reader seeing them clear sees the tags 0);
             * bits set meanwhile stay for the next collection. */
            word = vkm_atomic_load_u64_acquire(x);
            for (uint64_t m = word & VKM_SLAB_RMASK; m != 0; m &= m - 1)
                vkm_atomic_store_u32_relaxed(
                    &tags[w * VKM_SLAB_RBITS + (uint32_t)__builtin_ctzll(m)], 0);
            vkm_atomic_fetch_and_u64_release(x, ~word);
        }
        const uint64_t bits = word & VKM_SLAB_RMASK;
        give_local(s, w, bits);
        n += (uint32_t)__builtin_popcountll(bits);
    }
    s->nfree += n;
    s->collected += n;
    return n;
}

bool
vkm_slab_free_remote_abandoned(vkm_slab *s)
{
    /* Our OR saw ABANDONED: we are one of the T frees the abandoning owner counts on.
     * acq_rel: publishes our OR to whoever completes, and (if that is us) acquires
     * every other freer's OR and the owner's fields. Our last access to the slab unless
     * we complete it. */
    return vkm_atomic_fetch_sub_u64_acq_rel(&s->xpending, 1) == 1;
}

bool
vkm_slab_abandon(vkm_slab *s)
{
    const uint32_t nw = rwords(s);
    uint64_t seen = 0;
    for (uint32_t w = 0; w < nw; w++) {
        /* seq_cst (acquire would do): the frees before ours on this word are collected
         * by whoever reclaims; every free after it sees the flag and counts itself. */
        const uint64_t old =
            vkm_atomic_fetch_or_u64_seq_cst(vkm_slab_rword(s, w), VKM_SLAB_ABANDONED);
        vkm_assert(!(old & VKM_SLAB_ABANDONED));
        s->abandon_seen[w] = (uint32_t)(old & VKM_SLAB_RMASK);
        seen += (uint64_t)__builtin_popcountll(old & VKM_SLAB_RMASK);
    }
    const uint64_t out = s->nslots - s->nfree; /* handed out, or freed and not collected */
    vkm_assert(seen <= out);
    const uint64_t target = out - seen;
    s->abandon_target = target;
    /* acq_rel: releases the owner fields to the adopter or the completer; acquires the
     * subtractions made before ours in case we complete the slab ourselves. */
    return vkm_atomic_fetch_add_u64_acq_rel(&s->xpending, target) + target == 0;
}

bool
vkm_slab_adopt(vkm_slab *s)
{
    if (!(vkm_atomic_load_u64_relaxed(vkm_slab_rword(s, 0)) & VKM_SLAB_ABANDONED))
        return false; /* not abandoned */
    uint64_t v = vkm_atomic_load_u64_acquire(&s->xpending);
    for (;;) {
        if (v == 0)
            return false; /* complete: its last freer (or the abandoner) reclaims it */
        /* The CAS's acquire pairs with the abandoning RMW (the owner fields) and with
         * the subtractions before it. */
        if (vkm_atomic_cas_u64_acq_rel(&s->xpending, &v, v + ADOPTING))
            break;
    }
    /* No free can complete the slab now. Clear the flag; the frees that saw it are the
     * bits that appeared since the abandoning ORs (nothing collects in between). */
    const uint32_t nw = rwords(s);
    uint64_t flagged = 0;
    for (uint32_t w = 0; w < nw; w++) {
        const uint64_t old = vkm_atomic_fetch_and_u64_acq_rel(vkm_slab_rword(s, w),
                                                              ~VKM_SLAB_ABANDONED);
        const uint64_t bits = old & VKM_SLAB_RMASK;
        vkm_assert((bits & s->abandon_seen[w]) == s->abandon_seen[w]);
        flagged += (uint64_t)__builtin_popcountll(bits & ~(uint64_t)s->abandon_seen[w]);
    }
    /* xpending settles at v + ADOPTING minus the subtractions still to come: wait for
     * them (each freer is one instruction from its own), so no freer touches the slab
     * after we return and the new owner may free it once it has collected every slot. */
    const uint64_t settled = s->abandon_target + ADOPTING - flagged;
    for (uint32_t spins = 0; vkm_atomic_load_u64_acquire(&s->xpending) != settled; spins++) {
        if (spins < 64u)
            vkm_cpu_relax();
        else
            sched_yield();
    }
    vkm_atomic_store_u64_relaxed(&s->xpending, 0);
    return true;
}
