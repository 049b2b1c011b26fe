/* SPDX-License-Identifier: MIT */
#include "slab.h"
#include "debug.h"

#include <sched.h>
#include <string.h>

/* W reaches ABANDONED exactly when an abandoned slab completes. Abandoned values lie in
 * [ABANDONED - T, ABANDONED], far above any count of remote frees a slab ever sees, so
 * "W >= ABANDONED / 2" tells the two modes apart. */
#define ABANDONED (1ull << 62)
#define IS_ABANDONED(w) ((w) >= ABANDONED / 2)

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
    for (uint32_t w = 0; w < VKM_SLAB_WORDS; w++)
        vkm_atomic_init_u64(&s->xremote[w], 0);
    vkm_atomic_init_u64(&s->xremote_count, 0);
}

uint32_t
vkm_slab_collect_tags(vkm_slab *s, vkm_atomic_u32 *tags)
{
    uint32_t n = 0;
    for (uint32_t w = 0; w < VKM_SLAB_WORDS; w++) {
        /* A relaxed peek first: most words of a busy run have nothing to collect, and a
         * read does not take the line away from a remote freer. */
        if (vkm_atomic_load_u64_relaxed(&s->xremote[w]) == 0)
            continue;
        uint64_t bits;
        if (tags == NULL) {
            /* acquire: pairs with the release OR in vkm_slab_free_remote, so the freer's
             * last accesses to the slot's metadata happen before the owner reuses it */
            bits = vkm_atomic_exchange_u64_acq_rel(&s->xremote[w], 0);
        } else {
            /* The bits seen (acquire, as above) get their tags cleared, then only those
             * bits are cleared (release: a reader seeing them clear sees the tags 0);
             * bits set meanwhile stay for the next collection. */
            bits = vkm_atomic_load_u64_acquire(&s->xremote[w]);
            for (uint64_t m = bits; m != 0; m &= m - 1)
                vkm_atomic_store_u32_relaxed(&tags[w * 64u + (uint32_t)__builtin_ctzll(m)], 0);
            vkm_atomic_fetch_and_u64_release(&s->xremote[w], ~bits);
        }
        s->local_free[w] |= bits;
        n += (uint32_t)__builtin_popcountll(bits);
    }
    s->nfree += n;
    s->collected += n;
    return n;
}

/* The completer of an abandoned slab (W just reached ABANDONED): every remote freer has
 * counted itself, but the last ones may not have published their bit yet, and each
 * bit is its freer's last access to the slab. Waits for every slot the abandoning owner
 * had out (clear in local_free, which it released with its RMW) to show its bit; the
 * acquire loads order those freers' accesses before the caller reclaims the slab. A
 * freer is two instructions from its OR, so this waits only if one was preempted there. */
static void
wait_for_bits(vkm_slab *s)
{
    for (uint32_t w = 0; w * 64u < s->nslots; w++) {
        const uint32_t n = s->nslots - w * 64u;
        const uint64_t all = n >= 64u ? ~0ull : (1ull << n) - 1u;
        for (uint32_t spins = 0;
             ((s->local_free[w] | vkm_atomic_load_u64_acquire(&s->xremote[w])) & all) != all;
             spins++) {
            if (spins < 64u)
                vkm_cpu_relax();
            else
                sched_yield();
        }
    }
}

bool
vkm_slab_free_remote(vkm_slab *s, uint32_t i)
{
    /* Counted first, published second: the owner cannot collect the bit before the
     * count includes it, and the OR is the last access to the slab, so once the owner
     * has collected the bit it may free the slab without waiting for this thread (no
     * epoch section needed: the slab is alive until the OR because the slot is out).
     * acq_rel: orders this free after the abandoning owner's RMW (we may be the one
     * that completes the slab, and then read its owner fields) and publishes the
     * counts before us to whoever completes it. */
    const uint64_t now = vkm_atomic_fetch_add_u64_acq_rel(&s->xremote_count, 1) + 1;
    /* release: pairs with the acquire in vkm_slab_collect_tags and wait_for_bits.
     * seq_cst besides (the same locked OR on x86): the caller's check for JSON dumps
     * after it pairs with vkm_slab_is_free_remote_seq_cst (tcache.h, "Dumps"). */
    const uint64_t bit = 1ull << (i % 64u);
    const uint64_t old = vkm_atomic_fetch_or_u64_seq_cst(&s->xremote[i / 64u], bit);
    vkm_assert(!(old & bit)); /* the slot was freed twice */
    (void)old;
    if (now != ABANDONED)
        return false; /* not ours: `s` may be gone already */
    wait_for_bits(s);
    return true;
}

bool
vkm_slab_abandon(vkm_slab *s)
{
    const uint64_t target = s->collected + (s->nslots - s->nfree);
    s->abandon_target = target;
    /* acq_rel: releases the owner fields to the adopter or completer; acquires the
     * frees counted before us in case we complete the slab ourselves */
    uint64_t now = vkm_atomic_fetch_add_u64_acq_rel(&s->xremote_count, ABANDONED - target) +
                   (ABANDONED - target);
    if (now != ABANDONED)
        return false;
    wait_for_bits(s);
    return true;
}

bool
vkm_slab_adopt(vkm_slab *s)
{
    uint64_t v = vkm_atomic_load_u64_acquire(&s->xremote_count);
    for (;;) {
        if (v == ABANDONED || !IS_ABANDONED(v))
            return false; /* complete (its last freer reclaims it), or not abandoned */
        /* The CAS's acquire pairs with the abandoning RMW, so abandon_target is visible. */
        if (vkm_atomic_cas_u64_acq_rel(&s->xremote_count, &v, v - (ABANDONED - s->abandon_target)))
            return true;
    }
}
