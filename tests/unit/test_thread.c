/* SPDX-License-Identifier: MIT */
/*
 * test_thread.c - per-thread slots and the thread-exit hook (src/thread.h): get/set/clear
 * on one thread, slots private to their thread, stale slots of an owner re-registered at
 * the same address (generation changed) neither returned nor given an exit call, exit
 * functions run once on the exiting thread for live owners only, the VKM_THREAD_SLOTS
 * limit, and the guarantee the allocator's destroy relies on: once
 * vkm_thread_owner_unregister() returns, no exit function of that owner is running or
 * will run, raced against exiting threads many times.
 * Every case works on fresh threads so that slots left by earlier cases do not matter.
 * Environment: VKM_THREAD_RACES (rounds of the race case; default 1000, 500 under
 * ThreadSanitizer).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "test.h"
#include "thread.h"

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

/* What an exit function saw: how often it ran, on which thread, with which data. */
typedef struct probe {
    _Atomic int runs;
    _Atomic(void *) data_seen;
    pthread_t ran_on;   /* written by the exit function, read after the join */
} probe;

static void
probe_init(probe *p)
{
    atomic_init(&p->runs, 0);
    atomic_init(&p->data_seen, NULL);
}

/* The data bound in a slot is the probe itself. */
static void
record_exit(void *data)
{
    probe *p = data;
    p->ran_on = pthread_self();
    atomic_store_explicit(&p->data_seen, data, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->runs, 1, memory_order_relaxed);
}

static int
runs_of(probe *p)
{
    return atomic_load_explicit(&p->runs, memory_order_relaxed);
}

/* Runs fn(arg) on a new thread and joins it (so its exit hook has run). EXPECT_* may be
 * used in fn: the main thread only waits meanwhile; ASSERT_* may not (it jumps). */
static bool
on_fresh_thread(void *(*fn)(void *), void *arg, pthread_t *id)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0)
        return false;
    if (id != NULL)
        *id = t;
    pthread_join(t, NULL);
    return true;
}

/* ------------------------------------------------------------------------------------ */

static vkm_thread_owner owner_a, owner_b;

static void *
get_set_clear_body(void *arg)
{
    (void)arg;
    int d1 = 1, d2 = 2;
    EXPECT_TRUE(vkm_thread_get(&owner_a, owner_a.gen) == NULL);
    EXPECT_TRUE(vkm_thread_set(&owner_a, owner_a.gen, &d1, NULL));
    EXPECT_TRUE(vkm_thread_get(&owner_a, owner_a.gen) == &d1);
    EXPECT_TRUE(vkm_thread_get(&owner_b, owner_b.gen) == NULL); /* another owner */
    /* binding again replaces the data */
    EXPECT_TRUE(vkm_thread_set(&owner_a, owner_a.gen, &d2, NULL));
    EXPECT_TRUE(vkm_thread_get(&owner_a, owner_a.gen) == &d2);
    /* two owners side by side */
    EXPECT_TRUE(vkm_thread_set(&owner_b, owner_b.gen, &d1, NULL));
    EXPECT_TRUE(vkm_thread_get(&owner_b, owner_b.gen) == &d1);
    EXPECT_TRUE(vkm_thread_get(&owner_a, owner_a.gen) == &d2);
    /* clear forgets one owner only */
    vkm_thread_clear(&owner_a);
    EXPECT_TRUE(vkm_thread_get(&owner_a, owner_a.gen) == NULL);
    EXPECT_TRUE(vkm_thread_get(&owner_b, owner_b.gen) == &d1);
    vkm_thread_clear(&owner_b);
    vkm_thread_clear(&owner_b); /* twice is harmless */
    EXPECT_TRUE(vkm_thread_get(&owner_b, owner_b.gen) == NULL);
    return NULL;
}

TEST(thread_get_returns_null_before_set_and_data_after)
{
    vkm_thread_owner_register(&owner_a);
    vkm_thread_owner_register(&owner_b);
    EXPECT_NE_U64(owner_a.gen, owner_b.gen);
    ASSERT_TRUE(on_fresh_thread(get_set_clear_body, NULL, NULL));
    vkm_thread_owner_unregister(&owner_a);
    vkm_thread_owner_unregister(&owner_b);
}

/* Slots are per thread. */
typedef struct two_threads {
    probe p;
    _Atomic bool other_saw_mine;
} two_threads;

static two_threads per_thread[2];

static void *
per_thread_body(void *arg)
{
    two_threads *mine = arg;
    two_threads *other = mine == &per_thread[0] ? &per_thread[1] : &per_thread[0];
    void *got = vkm_thread_get(&owner_a, owner_a.gen);
    if (got == &other->p)
        atomic_store(&mine->other_saw_mine, true);
    EXPECT_TRUE(got == NULL);
    EXPECT_TRUE(vkm_thread_set(&owner_a, owner_a.gen, &mine->p, record_exit));
    EXPECT_TRUE(vkm_thread_get(&owner_a, owner_a.gen) == &mine->p);
    return NULL;
}

TEST(thread_slots_are_private_to_their_thread)
{
    vkm_thread_owner_register(&owner_a);
    pthread_t ids[2];
    for (int i = 0; i < 2; i++) {
        probe_init(&per_thread[i].p);
        atomic_init(&per_thread[i].other_saw_mine, false);
    }
    /* one after the other: the second thread must not see the first one's slot */
    ASSERT_TRUE(on_fresh_thread(per_thread_body, &per_thread[0], &ids[0]));
    ASSERT_TRUE(on_fresh_thread(per_thread_body, &per_thread[1], &ids[1]));
    for (int i = 0; i < 2; i++) {
        EXPECT_FALSE(atomic_load(&per_thread[i].other_saw_mine));
        EXPECT_EQ(runs_of(&per_thread[i].p), 1);
        EXPECT_TRUE(atomic_load(&per_thread[i].p.data_seen) == &per_thread[i].p);
        EXPECT_TRUE(pthread_equal(per_thread[i].p.ran_on, ids[i]));
    }
    vkm_thread_owner_unregister(&owner_a);
}

/* ------------------------------------------------------------------------------------ */

static vkm_thread_owner reused; /* one address, several generations */

static void *
stale_get_body(void *arg)
{
    (void)arg;
    int d1 = 1, d2 = 2;
    vkm_thread_owner_register(&reused);
    const uint64_t g1 = reused.gen;
    EXPECT_TRUE(vkm_thread_set(&reused, g1, &d1, NULL));
    EXPECT_TRUE(vkm_thread_get(&reused, g1) == &d1);
    /* the owner is destroyed and a new one lands at the same address */
    vkm_thread_owner_unregister(&reused);
    vkm_thread_owner_register(&reused);
    const uint64_t g2 = reused.gen;
    EXPECT_NE_U64(g1, g2);
    EXPECT_TRUE(vkm_thread_get(&reused, g2) == NULL);
    /* dropped on the way: not even the old generation finds it any more */
    EXPECT_TRUE(vkm_thread_get(&reused, g1) == NULL);
    /* the new owner binds its own data */
    EXPECT_TRUE(vkm_thread_set(&reused, g2, &d2, NULL));
    EXPECT_TRUE(vkm_thread_get(&reused, g2) == &d2);
    vkm_thread_owner_unregister(&reused);
    return NULL;
}

TEST(thread_slot_of_owner_reregistered_at_same_address_is_stale)
{
    ASSERT_TRUE(on_fresh_thread(stale_get_body, NULL, NULL));
}

static probe stale_probe, fresh_probe;
static _Atomic uint64_t stale_gen;
static _Atomic int stale_phase;

static void *
stale_exit_body(void *arg)
{
    (void)arg;
    EXPECT_TRUE(vkm_thread_set(&reused, reused.gen, &stale_probe, record_exit));
    atomic_store_explicit(&stale_gen, reused.gen, memory_order_relaxed);
    atomic_store_explicit(&stale_phase, 1, memory_order_release);
    while (atomic_load_explicit(&stale_phase, memory_order_acquire) != 2)
        sched_yield();
    /* exits without touching its slot again: the hook alone must see it is stale */
    return NULL;
}

TEST(thread_exit_skips_stale_slot_of_owner_reregistered_at_same_address)
{
    probe_init(&stale_probe);
    probe_init(&fresh_probe);
    atomic_store(&stale_phase, 0);
    vkm_thread_owner_register(&reused);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, stale_exit_body, NULL), 0);
    while (atomic_load_explicit(&stale_phase, memory_order_acquire) != 1)
        sched_yield();
    vkm_thread_owner_unregister(&reused);
    vkm_thread_owner_register(&reused); /* live again, new generation */
    EXPECT_NE_U64(reused.gen, atomic_load(&stale_gen));
    atomic_store_explicit(&stale_phase, 2, memory_order_release);
    pthread_join(t, NULL);
    EXPECT_EQ(runs_of(&stale_probe), 0);
    vkm_thread_owner_unregister(&reused);
}

/* ------------------------------------------------------------------------------------ */

static probe probe_a, probe_b;
static _Atomic int live_phase;

static void *
live_only_body(void *arg)
{
    (void)arg;
    EXPECT_TRUE(vkm_thread_set(&owner_a, owner_a.gen, &probe_a, record_exit));
    EXPECT_TRUE(vkm_thread_set(&owner_b, owner_b.gen, &probe_b, record_exit));
    atomic_store_explicit(&live_phase, 1, memory_order_release);
    while (atomic_load_explicit(&live_phase, memory_order_acquire) != 2)
        sched_yield();
    return NULL;
}

TEST(thread_exit_runs_exit_fn_for_live_owners_only)
{
    probe_init(&probe_a);
    probe_init(&probe_b);
    atomic_store(&live_phase, 0);
    vkm_thread_owner_register(&owner_a);
    vkm_thread_owner_register(&owner_b);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, live_only_body, NULL), 0);
    while (atomic_load_explicit(&live_phase, memory_order_acquire) != 1)
        sched_yield();
    vkm_thread_owner_unregister(&owner_b);
    atomic_store_explicit(&live_phase, 2, memory_order_release);
    pthread_join(t, NULL);

    EXPECT_EQ(runs_of(&probe_a), 1);
    EXPECT_TRUE(atomic_load(&probe_a.data_seen) == &probe_a);
    EXPECT_TRUE(pthread_equal(probe_a.ran_on, t)); /* on the exiting thread */
    EXPECT_EQ(runs_of(&probe_b), 0);
    vkm_thread_owner_unregister(&owner_a);
    EXPECT_EQ(runs_of(&probe_a), 1);
}

static probe cleared_probe;

static void *
clear_body(void *arg)
{
    (void)arg;
    EXPECT_TRUE(vkm_thread_set(&owner_a, owner_a.gen, &cleared_probe, record_exit));
    vkm_thread_clear(&owner_a);
    EXPECT_TRUE(vkm_thread_get(&owner_a, owner_a.gen) == NULL);
    return NULL;
}

TEST(thread_clear_forgets_slot_and_its_exit_fn)
{
    probe_init(&cleared_probe);
    vkm_thread_owner_register(&owner_a);
    ASSERT_TRUE(on_fresh_thread(clear_body, NULL, NULL));
    EXPECT_EQ(runs_of(&cleared_probe), 0);
    vkm_thread_owner_unregister(&owner_a);
}

/* ------------------------------------------------------------------------------------ */

#define MANY (VKM_THREAD_SLOTS + 1)
static vkm_thread_owner many[MANY];
static probe many_probe[MANY];

static void *
full_slots_body(void *arg)
{
    (void)arg;
    for (int i = 0; i < VKM_THREAD_SLOTS; i++)
        EXPECT_TRUE(vkm_thread_set(&many[i], many[i].gen, &many_probe[i], record_exit));
    const int extra = VKM_THREAD_SLOTS;
    /* every slot is held by a live owner: the extra one works without a slot */
    EXPECT_FALSE(vkm_thread_set(&many[extra], many[extra].gen, &many_probe[extra], record_exit));
    EXPECT_TRUE(vkm_thread_get(&many[extra], many[extra].gen) == NULL);
    for (int i = 0; i < VKM_THREAD_SLOTS; i++)
        EXPECT_TRUE(vkm_thread_get(&many[i], many[i].gen) == &many_probe[i]);
    /* an owner that has a slot can still rebind it */
    EXPECT_TRUE(vkm_thread_set(&many[3], many[3].gen, &many_probe[3], record_exit));
    /* a cleared slot is free again */
    vkm_thread_clear(&many[5]);
    EXPECT_TRUE(vkm_thread_set(&many[extra], many[extra].gen, &many_probe[extra], record_exit));
    EXPECT_FALSE(vkm_thread_set(&many[5], many[5].gen, &many_probe[5], record_exit));
    /* so is the slot of an owner that is gone */
    vkm_thread_owner_unregister(&many[2]);
    EXPECT_TRUE(vkm_thread_set(&many[5], many[5].gen, &many_probe[5], record_exit));
    EXPECT_TRUE(vkm_thread_get(&many[2], many[2].gen) == NULL);
    for (int i = 0; i < MANY; i++)
        if (i != 2)
            EXPECT_TRUE(vkm_thread_get(&many[i], many[i].gen) == &many_probe[i]);
    return NULL;
}

TEST(thread_set_fails_when_every_slot_holds_a_live_owner)
{
    for (int i = 0; i < MANY; i++) {
        probe_init(&many_probe[i]);
        vkm_thread_owner_register(&many[i]);
    }
    ASSERT_TRUE(on_fresh_thread(full_slots_body, NULL, NULL));
    /* at exit: one call for each live owner that had a slot */
    for (int i = 0; i < MANY; i++)
        EXPECT_EQ(runs_of(&many_probe[i]), (i == 2 ? 0 : 1));
    for (int i = 0; i < MANY; i++)
        if (i != 2)
            vkm_thread_owner_unregister(&many[i]);
}

/* ------------------------------------------------------------------------------------ */
/* unregister against exiting threads                                                    */
/* ------------------------------------------------------------------------------------ */

enum { EXIT_NOT_RUN, EXIT_RUNNING, EXIT_DONE };

typedef struct race {
    _Atomic int state;   /* EXIT_* */
    _Atomic int runs;
    _Atomic bool slot_set;
    _Atomic bool go;     /* both sides start from here: exit and unregister */
} race;

static vkm_thread_owner race_owner;
static race the_race;

static void
slow_exit(void *data)
{
    race *r = data;
    atomic_fetch_add_explicit(&r->runs, 1, memory_order_relaxed);
    /* release: pairs with the main thread's acquire after unregister */
    atomic_store_explicit(&r->state, EXIT_RUNNING, memory_order_release);
    for (int i = 0; i < 3; i++)
        sched_yield(); /* widen the window in which unregister could slip through */
    atomic_store_explicit(&r->state, EXIT_DONE, memory_order_release);
}

static void *
race_body(void *arg)
{
    uint64_t gen = *(const uint64_t *)arg;
    if (vkm_thread_set(&race_owner, gen, &the_race, slow_exit))
        atomic_store_explicit(&the_race.slot_set, true, memory_order_release);
    while (!atomic_load_explicit(&the_race.go, memory_order_acquire))
        sched_yield();
    return NULL; /* the exit hook runs now, racing the main thread's unregister */
}

static uint32_t
race_rounds(void)
{
    const char *env = getenv("VKM_THREAD_RACES");
    if (env != NULL && *env != '\0')
        return (uint32_t)strtoul(env, NULL, 0);
    return TEST_TSAN ? 500u : 1000u;
}

TEST(thread_no_exit_fn_runs_after_unregister_returns)
{
    const uint32_t rounds = race_rounds();
    uint32_t before = 0, never = 0;
    uint64_t rng = 0x2545f4914f6cdd1dull;
    for (uint32_t round = 0; round < rounds; round++) {
        atomic_store(&the_race.state, EXIT_NOT_RUN);
        atomic_store(&the_race.runs, 0);
        atomic_store(&the_race.slot_set, false);
        atomic_store(&the_race.go, false);
        /* the same address every round: generations keep the rounds apart */
        vkm_thread_owner_register(&race_owner);
        uint64_t gen = race_owner.gen;
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, race_body, &gen), 0);
        while (!atomic_load_explicit(&the_race.slot_set, memory_order_acquire))
            sched_yield();
        /* unregister somewhere around the thread's exit */
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        atomic_store_explicit(&the_race.go, true, memory_order_release);
        for (uint64_t y = rng % 3; y > 0; y--)
            sched_yield();
        vkm_thread_owner_unregister(&race_owner);
        const int at_return = atomic_load_explicit(&the_race.state, memory_order_acquire);
        pthread_join(t, NULL);
        const int at_join = atomic_load_explicit(&the_race.state, memory_order_acquire);
        const int runs = atomic_load_explicit(&the_race.runs, memory_order_relaxed);
        if (at_return == EXIT_RUNNING) {
            vkm_test_fail(__FILE__, __LINE__,
                          "round %u: exit function still running when unregister returned",
                          round);
            break;
        }
        if (at_return == EXIT_NOT_RUN && at_join != EXIT_NOT_RUN) {
            vkm_test_fail(__FILE__, __LINE__,
                          "round %u: exit function ran after unregister returned", round);
            break;
        }
        if (runs > 1) {
            vkm_test_fail(__FILE__, __LINE__, "round %u: exit function ran %d times", round,
                          runs);
            break;
        }
        if (at_return == EXIT_DONE)
            before++;
        else
            never++;
    }
    fprintf(stderr, "  %u rounds: exit function done before unregister %u, never ran %u\n",
            rounds, before, never);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
