/* SPDX-License-Identifier: MIT */
/*
 * test_slab.c - slot bookkeeping of one run (src/slab.h): initial free bits, lowest-first
 * allocation, local and remote frees, collect, and the abandon/adopt/complete protocol
 * ("whoever's step brings the pending count to 0 reclaims"), single-threaded step by step and
 * under real concurrency: an owner handing slots to remote freers and abandoning at a
 * random point, and an adopter racing the last remote frees. The concurrent cases check
 * that every round is reclaimed exactly once and that the reclaimer finds every slot free.
 * Environment: VKM_TEST_SEED (seed of the concurrent cases), VKM_SLAB_ROUNDS (rounds per
 * concurrent case; default 2000, 1000 under ThreadSanitizer).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "slab.h"
#include "test.h"

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#ifndef TEST_TSAN
#define TEST_TSAN 0
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint32_t slot_counts[] = {1, 63, 64, 65, 256};

/* ------------------------------------------------------------------------------------ */
/* single-threaded protocol                                                              */
/* ------------------------------------------------------------------------------------ */

/* Slabs are large and cache-line aligned: keep them out of the case's stack frame. */
static vkm_slab slab_a;

/* Takes n slots and checks they come lowest-first from `first`. */
static void
alloc_n(vkm_slab *s, uint32_t n, uint32_t first)
{
    for (uint32_t i = 0; i < n; i++)
        EXPECT_EQ(vkm_slab_alloc(s), first + i);
}

TEST(slab_init_marks_exactly_nslots_free)
{
    for (size_t c = 0; c < ARRAY_LEN(slot_counts); c++) {
        const uint32_t n = slot_counts[c];
        vkm_slab_init(&slab_a, n);
        EXPECT_EQ(slab_a.nslots, n);
        EXPECT_EQ(slab_a.nfree, n);
        EXPECT_EQ(vkm_slab_used(&slab_a), 0);
        for (uint32_t i = 0; i < VKM_SLAB_MAX_SLOTS; i++) {
            if (vkm_slab_is_free_local(&slab_a, i) != (i < n)) {
                vkm_test_fail(__FILE__, __LINE__, "nslots %u: slot %u free=%d", n, i,
                              (int)vkm_slab_is_free_local(&slab_a, i));
                break;
            }
        }
        EXPECT_EQ(vkm_slab_collect(&slab_a), 0);
        EXPECT_EQ(slab_a.nfree, n);
    }
}

TEST(slab_init_resets_a_used_slab)
{
    vkm_slab_init(&slab_a, 64);
    alloc_n(&slab_a, 10, 0);
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 3));
    EXPECT_FALSE(vkm_slab_abandon(&slab_a));
    vkm_slab_init(&slab_a, 65);
    EXPECT_EQ(slab_a.nfree, 65);
    EXPECT_EQ(vkm_slab_collect(&slab_a), 0);
    EXPECT_TRUE(vkm_slab_abandon(&slab_a)); /* a fresh count, nothing outstanding */
}

TEST(slab_alloc_returns_lowest_free_slot_then_none_when_full)
{
    for (size_t c = 0; c < ARRAY_LEN(slot_counts); c++) {
        const uint32_t n = slot_counts[c];
        vkm_slab_init(&slab_a, n);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t got = vkm_slab_alloc(&slab_a);
            if (got != i) {
                vkm_test_fail(__FILE__, __LINE__, "nslots %u: alloc #%u gave %u", n, i, got);
                break;
            }
            EXPECT_FALSE(vkm_slab_is_free_local(&slab_a, got));
        }
        EXPECT_EQ(vkm_slab_used(&slab_a), n);
        EXPECT_EQ(slab_a.nfree, 0);
        EXPECT_EQ_U64(vkm_slab_alloc(&slab_a), VKM_SLAB_NONE);
        EXPECT_EQ_U64(vkm_slab_alloc(&slab_a), VKM_SLAB_NONE); /* stays full, no underflow */
        EXPECT_EQ(slab_a.nfree, 0);
    }
}

TEST(slab_free_local_then_alloc_round_trips_lowest_first)
{
    vkm_slab_init(&slab_a, 256);
    alloc_n(&slab_a, 256, 0);
    /* one slot in each word, freed out of order, come back in ascending order */
    const uint32_t freed[] = {200, 64, 5, 255, 127, 128};
    for (size_t i = 0; i < ARRAY_LEN(freed); i++) {
        vkm_slab_free_local(&slab_a, freed[i]);
        EXPECT_TRUE(vkm_slab_is_free_local(&slab_a, freed[i]));
    }
    EXPECT_EQ(slab_a.nfree, ARRAY_LEN(freed));
    const uint32_t expect[] = {5, 64, 127, 128, 200, 255};
    for (size_t i = 0; i < ARRAY_LEN(expect); i++)
        EXPECT_EQ(vkm_slab_alloc(&slab_a), expect[i]);
    EXPECT_EQ_U64(vkm_slab_alloc(&slab_a), VKM_SLAB_NONE);
    /* a freed slot is the next one handed out, again and again */
    for (int round = 0; round < 3; round++) {
        vkm_slab_free_local(&slab_a, 77);
        EXPECT_EQ(vkm_slab_alloc(&slab_a), 77);
    }
    EXPECT_EQ(vkm_slab_used(&slab_a), 256);
}

TEST(slab_remote_frees_are_invisible_until_collect)
{
    vkm_slab_init(&slab_a, 65);
    alloc_n(&slab_a, 65, 0);
    const uint32_t remote[] = {64, 0, 63, 31};
    for (size_t i = 0; i < ARRAY_LEN(remote); i++)
        EXPECT_FALSE(vkm_slab_free_remote(&slab_a, remote[i])); /* not abandoned */
    /* the owner's view has not changed */
    EXPECT_EQ(slab_a.nfree, 0);
    EXPECT_FALSE(vkm_slab_is_free_local(&slab_a, 31));
    EXPECT_EQ_U64(vkm_slab_alloc(&slab_a), VKM_SLAB_NONE);

    EXPECT_EQ(vkm_slab_collect(&slab_a), ARRAY_LEN(remote));
    EXPECT_EQ(slab_a.nfree, ARRAY_LEN(remote));
    EXPECT_EQ_U64(slab_a.collected, ARRAY_LEN(remote));
    EXPECT_EQ(vkm_slab_collect(&slab_a), 0); /* nothing collected twice */
    EXPECT_EQ_U64(slab_a.collected, ARRAY_LEN(remote));
    const uint32_t expect[] = {0, 31, 63, 64};
    for (size_t i = 0; i < ARRAY_LEN(expect); i++)
        EXPECT_EQ(vkm_slab_alloc(&slab_a), expect[i]);
    EXPECT_EQ_U64(vkm_slab_alloc(&slab_a), VKM_SLAB_NONE);

    /* collect adds to local frees, it does not replace them */
    vkm_slab_free_local(&slab_a, 10);
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 20));
    EXPECT_EQ(vkm_slab_collect(&slab_a), 1);
    EXPECT_EQ(vkm_slab_alloc(&slab_a), 10);
    EXPECT_EQ(vkm_slab_alloc(&slab_a), 20);
    EXPECT_EQ_U64(slab_a.collected, ARRAY_LEN(remote) + 1);
}

TEST(slab_abandon_with_nothing_outstanding_reclaims)
{
    /* never used */
    vkm_slab_init(&slab_a, 64);
    EXPECT_TRUE(vkm_slab_abandon(&slab_a));

    /* every slot given back locally */
    vkm_slab_init(&slab_a, 64);
    alloc_n(&slab_a, 64, 0);
    for (uint32_t i = 0; i < 64; i++)
        vkm_slab_free_local(&slab_a, i);
    EXPECT_TRUE(vkm_slab_abandon(&slab_a));

    /* every slot given back remotely and collected */
    vkm_slab_init(&slab_a, 65);
    alloc_n(&slab_a, 65, 0);
    for (uint32_t i = 0; i < 65; i++)
        EXPECT_FALSE(vkm_slab_free_remote(&slab_a, i));
    EXPECT_EQ(vkm_slab_collect(&slab_a), 65);
    EXPECT_TRUE(vkm_slab_abandon(&slab_a));
}

TEST(slab_abandon_with_remote_frees_not_yet_collected_reclaims)
{
    /* Returned remotely but still only in the remote bits: T counts them as out, W has
     * counted their frees, so nothing is outstanding. */
    vkm_slab_init(&slab_a, 256);
    alloc_n(&slab_a, 8, 0);
    for (uint32_t i = 0; i < 3; i++)
        EXPECT_FALSE(vkm_slab_free_remote(&slab_a, i));
    EXPECT_EQ(vkm_slab_collect(&slab_a), 3);
    for (uint32_t i = 3; i < 8; i++)
        EXPECT_FALSE(vkm_slab_free_remote(&slab_a, i));
    EXPECT_TRUE(vkm_slab_abandon(&slab_a));
    /* the reclaimer finds every slot free once it collects */
    EXPECT_EQ(vkm_slab_collect(&slab_a), 5);
    EXPECT_EQ(vkm_slab_used(&slab_a), 0);
}

TEST(slab_abandon_with_outstanding_slots_completes_on_exactly_the_last_remote_free)
{
    vkm_slab_init(&slab_a, 256);
    alloc_n(&slab_a, 100, 0);
    vkm_slab_free_local(&slab_a, 99); /* local frees are not outstanding */
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 0));
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 1));
    EXPECT_EQ(vkm_slab_collect(&slab_a), 2); /* C = 2 */
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 2)); /* U = 1 */
    EXPECT_FALSE(vkm_slab_abandon(&slab_a)); /* 96 slots still out: 3..98 */
    /* every free but the last one reports nothing, whatever the order */
    uint32_t trues = 0;
    for (uint32_t i = 98; i >= 4; i--) {
        if (vkm_slab_free_remote(&slab_a, i)) {
            vkm_test_fail(__FILE__, __LINE__, "free of slot %u completed the slab early", i);
            trues++;
        }
    }
    EXPECT_TRUE(vkm_slab_free_remote(&slab_a, 3));
    EXPECT_EQ(trues, 0);
    /* the completer owns an empty slab: slot 2 and the 96 outstanding ones to collect */
    EXPECT_EQ(vkm_slab_collect(&slab_a), 97);
    EXPECT_EQ(vkm_slab_used(&slab_a), 0);
    for (uint32_t i = 0; i < 256; i++)
        if (!vkm_slab_is_free_local(&slab_a, i))
            vkm_test_fail(__FILE__, __LINE__, "slot %u not free after completion", i);
}

TEST(slab_abandon_with_one_slot_out_completes_on_its_free)
{
    for (size_t c = 0; c < ARRAY_LEN(slot_counts); c++) {
        vkm_slab_init(&slab_a, slot_counts[c]);
        uint32_t i = vkm_slab_alloc(&slab_a);
        EXPECT_FALSE(vkm_slab_abandon(&slab_a));
        EXPECT_TRUE(vkm_slab_free_remote(&slab_a, i));
    }
}

TEST(slab_adopt_after_abandon_takes_over_outstanding_slots)
{
    vkm_slab_init(&slab_a, 64);
    alloc_n(&slab_a, 4, 0);
    EXPECT_FALSE(vkm_slab_abandon(&slab_a));
    EXPECT_TRUE(vkm_slab_adopt(&slab_a));
    /* the adopter is the owner now: no remote free completes anything */
    for (uint32_t i = 0; i < 4; i++)
        EXPECT_FALSE(vkm_slab_free_remote(&slab_a, i));
    EXPECT_EQ(vkm_slab_collect(&slab_a), 4);
    EXPECT_EQ(vkm_slab_used(&slab_a), 0);
    /* it can use the slab as any owner */
    EXPECT_EQ(vkm_slab_alloc(&slab_a), 0);
    vkm_slab_free_local(&slab_a, 0);
    /* and give it up again with nothing outstanding */
    EXPECT_TRUE(vkm_slab_abandon(&slab_a));
    EXPECT_FALSE(vkm_slab_adopt(&slab_a));
}

TEST(slab_adopter_reabandon_completes_exactly_once)
{
    vkm_slab_init(&slab_a, 256);
    alloc_n(&slab_a, 6, 0);                         /* out: 0..5 */
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 0)); /* before abandon, uncollected */
    EXPECT_FALSE(vkm_slab_abandon(&slab_a));
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 1)); /* while abandoned, not the last */
    EXPECT_TRUE(vkm_slab_adopt(&slab_a));
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 2)); /* while adopted */
    EXPECT_EQ(vkm_slab_collect(&slab_a), 3);
    EXPECT_EQ(vkm_slab_used(&slab_a), 3); /* 3, 4, 5 */
    EXPECT_EQ(vkm_slab_alloc(&slab_a), 0);
    EXPECT_EQ(vkm_slab_alloc(&slab_a), 1);
    vkm_slab_free_local(&slab_a, 0);
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 4)); /* adopted, uncollected at abandon */
    EXPECT_FALSE(vkm_slab_abandon(&slab_a));        /* out: 1, 3, 5 */

    /* second cycle: adopt again, hand one out, abandon again */
    EXPECT_TRUE(vkm_slab_adopt(&slab_a));
    EXPECT_EQ(vkm_slab_collect(&slab_a), 1);
    EXPECT_EQ(vkm_slab_alloc(&slab_a), 0);
    EXPECT_FALSE(vkm_slab_abandon(&slab_a)); /* out: 0, 1, 3, 5 */

    const uint32_t rest[] = {5, 0, 3};
    for (size_t i = 0; i < ARRAY_LEN(rest); i++)
        EXPECT_FALSE(vkm_slab_free_remote(&slab_a, rest[i]));
    EXPECT_TRUE(vkm_slab_free_remote(&slab_a, 1));
    EXPECT_FALSE(vkm_slab_adopt(&slab_a)); /* complete: the last freer reclaims */
    vkm_slab_collect(&slab_a);
    EXPECT_EQ(vkm_slab_used(&slab_a), 0);
}

TEST(slab_adopt_after_completion_fails)
{
    /* completed by the last remote free */
    vkm_slab_init(&slab_a, 63);
    alloc_n(&slab_a, 2, 0);
    EXPECT_FALSE(vkm_slab_abandon(&slab_a));
    EXPECT_FALSE(vkm_slab_free_remote(&slab_a, 1));
    EXPECT_TRUE(vkm_slab_free_remote(&slab_a, 0));
    EXPECT_FALSE(vkm_slab_adopt(&slab_a));
    EXPECT_FALSE(vkm_slab_adopt(&slab_a)); /* refusing leaves the count alone */

    /* completed by the abandon itself */
    vkm_slab_init(&slab_a, 1);
    EXPECT_TRUE(vkm_slab_abandon(&slab_a));
    EXPECT_FALSE(vkm_slab_adopt(&slab_a));
}

/* ------------------------------------------------------------------------------------ */
/* concurrent protocol                                                                   */
/* ------------------------------------------------------------------------------------ */

#define FREERS 4u
#define RING 256u /* >= VKM_SLAB_MAX_SLOTS: a slot is in at most one ring at a time */

static uint64_t
rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t
rng_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(rng_next(s) % n);
}

static uint64_t
test_seed(void)
{
    const char *env = getenv("VKM_TEST_SEED");
    if (env != NULL && *env != '\0')
        return strtoull(env, NULL, 0);
    return (uint64_t)time(NULL);
}

static uint32_t
test_rounds(void)
{
    const char *env = getenv("VKM_SLAB_ROUNDS");
    if (env != NULL && *env != '\0')
        return (uint32_t)strtoul(env, NULL, 0);
    return TEST_TSAN ? 1000u : 2000u;
}

/* Single-producer single-consumer ring of slot indexes: the owner (or the adopter, never
 * both in one phase) pushes, one freer pops. */
typedef struct ring {
    _Alignas(64) _Atomic uint32_t head; /* consumer */
    _Alignas(64) _Atomic uint32_t tail; /* producer */
    uint32_t buf[RING];
} ring;

static void
ring_push(ring *r, uint32_t v)
{
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    /* acquire: pairs with the consumer's release of head, so its read of buf[] is done */
    while (t - atomic_load_explicit(&r->head, memory_order_acquire) == RING)
        sched_yield();
    r->buf[t % RING] = v;
    /* release: pairs with the acquire in ring_pop */
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

static bool
ring_pop(ring *r, uint32_t *v)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
        return false;
    *v = r->buf[h % RING];
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

/* Shared state of one concurrent case. Round r: the main thread initialises the slab,
 * everyone meets at `start`, works, meets at `end`, and the main thread checks. */
typedef struct rig {
    vkm_slab slab;
    ring rings[FREERS];
    /* slot handed out and not yet given back: set before the push, cleared by the freer
     * before its free_remote (whose release OR orders it before the owner's collect) */
    _Atomic unsigned char busy[VKM_SLAB_MAX_SLOTS];
    _Atomic bool pushing_done;   /* no more slots will be pushed this round */
    _Atomic bool abandoned;      /* the owner has abandoned (adopter case) */
    _Atomic bool adopter_owns;   /* the adopter is the owner (adopter case) */
    _Atomic uint32_t completions; /* completion reports this round */
    _Atomic uint32_t violations; /* invariant violations seen off the main thread */
    _Atomic uint32_t adopted;    /* rounds whose adopt succeeded */
    _Atomic uint32_t adopt_refused;
    pthread_barrier_t start, end;
    bool stop;                   /* written before `start` by the main thread */
    uint64_t seed;               /* immutable */
    uint32_t round;              /* written before `start` by the main thread */
} rig;

static rig the_rig;

static void
violation(rig *g, const char *what, uint32_t slot)
{
    /* The harness is not thread-safe: count here, report from the main thread. */
    if (atomic_fetch_add_explicit(&g->violations, 1, memory_order_relaxed) < 5)
        fprintf(stderr, "  round %u: %s (slot %u)\n", g->round, what, slot);
}

/* Whoever learns it completed the slab: it owns it now and must find every slot free. */
static void
reclaim(rig *g, const char *who)
{
    atomic_fetch_add_explicit(&g->completions, 1, memory_order_relaxed);
    if (atomic_load_explicit(&g->adopter_owns, memory_order_relaxed))
        violation(g, who, VKM_SLAB_NONE);
    vkm_slab_collect(&g->slab);
    if (vkm_slab_used(&g->slab) != 0)
        violation(g, "reclaimed slab has slots in use", vkm_slab_used(&g->slab));
}

/* A remote free from any thread that is not the owner. */
static void
give_back(rig *g, uint32_t slot)
{
    if (atomic_load_explicit(&g->busy[slot], memory_order_relaxed) != 1)
        violation(g, "freeing a slot that was not handed out", slot);
    atomic_store_explicit(&g->busy[slot], 0, memory_order_relaxed);
    if (vkm_slab_free_remote(&g->slab, slot))
        reclaim(g, "remote free completed a slab the adopter owns");
}

/* Owner side: takes a slot (collecting when the local bits are empty), or NONE. */
static uint32_t
owner_take(rig *g)
{
    uint32_t i = vkm_slab_alloc(&g->slab);
    if (i == VKM_SLAB_NONE) {
        vkm_slab_collect(&g->slab);
        i = vkm_slab_alloc(&g->slab);
    }
    if (i != VKM_SLAB_NONE) {
        if (i >= g->slab.nslots)
            violation(g, "alloc past nslots", i);
        else if (atomic_load_explicit(&g->busy[i], memory_order_relaxed) != 0)
            violation(g, "alloc returned a slot that is still out", i);
    }
    return i;
}

static void
hand_out(rig *g, uint32_t slot, uint64_t *rng)
{
    atomic_store_explicit(&g->busy[slot], 1, memory_order_relaxed);
    ring_push(&g->rings[rng_below(rng, FREERS)], slot);
}

typedef struct worker {
    pthread_t thread;
    uint32_t id;
} worker;

static void *
freer_main(void *arg)
{
    const worker *w = arg;
    rig *g = &the_rig;
    ring *r = &g->rings[w->id];
    for (;;) {
        pthread_barrier_wait(&g->start);
        if (g->stop)
            return NULL;
        for (;;) {
            uint32_t slot;
            if (ring_pop(r, &slot)) {
                give_back(g, slot);
                continue;
            }
            /* acquire: pairs with the owner's release, so every push is visible */
            if (atomic_load_explicit(&g->pushing_done, memory_order_acquire)) {
                if (!ring_pop(r, &slot))
                    break;
                give_back(g, slot);
                continue;
            }
            sched_yield();
        }
        pthread_barrier_wait(&g->end);
    }
}

/* Adopter: waits for the abandon, tries to adopt while the last frees race it, and when
 * it wins uses the slab as its owner, then abandons it again. */
static void *
adopter_main(void *arg)
{
    (void)arg;
    rig *g = &the_rig;
    uint32_t kept[VKM_SLAB_MAX_SLOTS];
    for (;;) {
        pthread_barrier_wait(&g->start);
        if (g->stop)
            return NULL;
        uint64_t rng = g->seed ^ (0xada9ull << 32) ^ g->round;
        while (!atomic_load_explicit(&g->abandoned, memory_order_acquire))
            sched_yield();
        for (uint32_t spin = rng_below(&rng, 64); spin > 0; spin--)
            if (spin % 8 == 0)
                sched_yield();
        if (!vkm_slab_adopt(&g->slab)) {
            atomic_fetch_add_explicit(&g->adopt_refused, 1, memory_order_relaxed);
        } else {
            atomic_fetch_add_explicit(&g->adopted, 1, memory_order_relaxed);
            atomic_store_explicit(&g->adopter_owns, true, memory_order_relaxed);
            vkm_slab_collect(&g->slab);
            /* take a few slots, give some back locally, keep the rest live */
            uint32_t nkept = 0, want = rng_below(&rng, 8);
            for (uint32_t k = 0; k < want; k++) {
                uint32_t i = owner_take(g);
                if (i == VKM_SLAB_NONE)
                    break;
                if (rng_below(&rng, 2) == 0) {
                    vkm_slab_free_local(&g->slab, i);
                } else {
                    atomic_store_explicit(&g->busy[i], 1, memory_order_relaxed);
                    kept[nkept++] = i;
                }
            }
            if (rng_below(&rng, 2) == 0)
                vkm_slab_collect(&g->slab);
            /* Cleared before the abandoning RMW, which a completing freer acquires: a
             * freer that completes the slab and still sees `true` completed it while the
             * adopter owned it. */
            atomic_store_explicit(&g->adopter_owns, false, memory_order_relaxed);
            if (vkm_slab_abandon(&g->slab))
                reclaim(g, "adopter's abandon completed while it owned the slab");
            /* the kept slots are now outstanding; the adopter frees them as a stranger */
            for (uint32_t k = 0; k < nkept; k++)
                give_back(g, kept[k]);
        }
        pthread_barrier_wait(&g->end);
    }
}

/* One round on the main thread as the slab's first owner; true when its abandon
 * reported completion. */
static bool
owner_round(rig *g, uint64_t *rng)
{
    uint32_t held[VKM_SLAB_MAX_SLOTS];
    uint32_t nheld = 0;
    const uint32_t nslots = g->slab.nslots;
    /* a random abandon point: sometimes at once, mostly after some traffic */
    uint32_t steps = rng_below(rng, 8) == 0 ? 0 : rng_below(rng, 4 * nslots + 8);
    for (uint32_t step = 0; step < steps; step++) {
        uint32_t what = rng_below(rng, 16);
        if (what < 10) {
            uint32_t i = owner_take(g);
            if (i == VKM_SLAB_NONE) {
                sched_yield(); /* everything is out: let the freers run */
                continue;
            }
            if (what < 8)
                hand_out(g, i, rng);
            else
                held[nheld++] = i;
        } else if (what < 13) {
            if (nheld > 0) {
                uint32_t k = rng_below(rng, nheld);
                if (vkm_slab_is_free_local(&g->slab, held[k]))
                    violation(g, "a held slot reads free", held[k]);
                vkm_slab_free_local(&g->slab, held[k]);
                held[k] = held[--nheld];
            }
        } else if (what < 15) {
            vkm_slab_collect(&g->slab);
        } else {
            sched_yield();
        }
    }
    if (rng_below(rng, 8) == 0) {
        /* Wait until the freers have cleared every handed-out slot: their fetch_adds may
         * still be in flight, so the abandon races the last of them. */
        for (uint32_t i = 0; i < nslots; i++)
            while (atomic_load_explicit(&g->busy[i], memory_order_relaxed) != 0)
                sched_yield();
    }
    const bool mine = vkm_slab_abandon(&g->slab);
    if (mine)
        reclaim(g, "owner's abandon completed while the adopter owned the slab");
    atomic_store_explicit(&g->abandoned, true, memory_order_release);
    /* Sometimes give the adopter a head start, so it often adopts while slots are out. */
    for (uint32_t y = rng_below(rng, 4); y > 0; y--)
        sched_yield();
    /* The owner's live slots outlive its ownership: the freers return them. */
    for (uint32_t k = 0; k < nheld; k++)
        hand_out(g, held[k], rng);
    /* release: pairs with the freers' acquire, after which they drain their rings */
    atomic_store_explicit(&g->pushing_done, true, memory_order_release);
    return mine;
}

static const uint32_t mt_slot_counts[] = {1, 2, 7, 63, 64, 65, 128, 200, 256};

static void
run_concurrent(bool with_adopter)
{
    rig *g = &the_rig;
    memset(g, 0, sizeof(*g));
    g->seed = test_seed();
    const uint32_t rounds = test_rounds();
    const unsigned parties = FREERS + 1u + (with_adopter ? 1u : 0u);
    pthread_barrier_init(&g->start, NULL, parties);
    pthread_barrier_init(&g->end, NULL, parties);
    worker freers[FREERS], adopter;
    for (uint32_t i = 0; i < FREERS; i++) {
        freers[i].id = i;
        ASSERT_EQ(pthread_create(&freers[i].thread, NULL, freer_main, &freers[i]), 0);
    }
    if (with_adopter)
        ASSERT_EQ(pthread_create(&adopter.thread, NULL, adopter_main, &adopter), 0);

    uint64_t rng = g->seed;
    uint32_t failed_round = UINT32_MAX, owner_reclaims = 0;
    for (uint32_t round = 0; round < rounds; round++) {
        g->round = round;
        vkm_slab_init(&g->slab, mt_slot_counts[rng_below(&rng, ARRAY_LEN(mt_slot_counts))]);
        atomic_store_explicit(&g->pushing_done, false, memory_order_relaxed);
        atomic_store_explicit(&g->abandoned, false, memory_order_relaxed);
        atomic_store_explicit(&g->completions, 0, memory_order_relaxed);
        pthread_barrier_wait(&g->start);
        owner_reclaims += owner_round(g, &rng) ? 1u : 0u;
        pthread_barrier_wait(&g->end);

        uint32_t c = atomic_load_explicit(&g->completions, memory_order_relaxed);
        bool bad = c != 1 || atomic_load_explicit(&g->violations, memory_order_relaxed) != 0;
        for (uint32_t i = 0; i < VKM_SLAB_MAX_SLOTS && !bad; i++)
            bad = atomic_load_explicit(&g->busy[i], memory_order_relaxed) != 0;
        if (bad) {
            vkm_test_fail(__FILE__, __LINE__,
                          "round %u (nslots %u): %u completion reports, %u violations "
                          "(want exactly 1 and 0)",
                          round, g->slab.nslots, c,
                          atomic_load_explicit(&g->violations, memory_order_relaxed));
            failed_round = round;
            break;
        }
    }
    g->stop = true;
    pthread_barrier_wait(&g->start);
    for (uint32_t i = 0; i < FREERS; i++)
        pthread_join(freers[i].thread, NULL);
    if (with_adopter)
        pthread_join(adopter.thread, NULL);
    pthread_barrier_destroy(&g->start);
    pthread_barrier_destroy(&g->end);
    if (failed_round != UINT32_MAX)
        fprintf(stderr, "  reproduce: VKM_TEST_SEED=%llu\n", (unsigned long long)g->seed);
    fprintf(stderr, "  %u rounds, owner reclaimed %u%s", rounds, owner_reclaims,
            with_adopter ? "" : "\n");
    if (with_adopter)
        fprintf(stderr, ", adopt won %u, refused %u\n",
                atomic_load_explicit(&g->adopted, memory_order_relaxed),
                atomic_load_explicit(&g->adopt_refused, memory_order_relaxed));
}

TEST(slab_concurrent_abandon_is_reclaimed_exactly_once)
{
    run_concurrent(false);
}

TEST(slab_concurrent_adopt_defers_completion_until_reabandon)
{
    run_concurrent(true);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
