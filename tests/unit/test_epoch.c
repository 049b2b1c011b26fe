/* SPDX-License-Identifier: MIT */
/*
 * test_epoch.c - epoch-based reclamation (src/epoch.h over ConcurrencyKit's ck_epoch):
 * a retired callback waits for every section that began before the retire, runs exactly
 * once from poll, barrier, unregister or destroy; records released by unregister are
 * recycled, by the same thread or by another one; and a reader/writer stress in which
 * readers dereference a shared pointer inside sections while a writer swaps it and
 * retires the old object (poisoned, then freed by its callback): readers must never see
 * the poison, and under ThreadSanitizer the whole exchange must be race-free.
 * Environment: VKM_EPOCH_SWAPS (writer swaps in the stress case; default 20000, 10000
 * under ThreadSanitizer).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "epoch.h"
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

static vkm_host_alloc test_ha;

static const vkm_host_alloc *
ha(void)
{
    static bool init;
    if (!init) {
        vkm_host_alloc_init(&test_ha, NULL);
        init = true;
    }
    return &test_ha;
}

/* A retirable object that counts how often its callback ran. */
typedef struct counted {
    vkm_epoch_entry entry;
    _Atomic int runs;
} counted;

static void
count_run(vkm_epoch_entry *e)
{
    counted *c = vkm_epoch_container(e, counted, entry);
    atomic_fetch_add_explicit(&c->runs, 1, memory_order_relaxed);
}

static int
runs_of(counted *c)
{
    return atomic_load_explicit(&c->runs, memory_order_relaxed);
}

/* ------------------------------------------------------------------------------------ */
/* a reader thread that holds a section open on command                                  */
/* ------------------------------------------------------------------------------------ */

enum { READER_STARTING, READER_IN_SECTION, READER_MAY_END, READER_ENDED, READER_DONE };

typedef struct held_reader {
    pthread_t thread;
    vkm_epoch *epoch;
    _Atomic int phase;
} held_reader;

static void
wait_phase(_Atomic int *phase, int want)
{
    /* acquire: pairs with the release that set the phase */
    while (atomic_load_explicit(phase, memory_order_acquire) != want)
        sched_yield();
}

static void
set_phase(_Atomic int *phase, int v)
{
    atomic_store_explicit(phase, v, memory_order_release);
}

static void *
held_reader_main(void *arg)
{
    held_reader *h = arg;
    vkm_epoch_record *r = vkm_epoch_register(h->epoch);
    if (r == NULL) {
        set_phase(&h->phase, READER_DONE);
        return NULL;
    }
    vkm_epoch_begin(r);
    set_phase(&h->phase, READER_IN_SECTION);
    wait_phase(&h->phase, READER_MAY_END);
    vkm_epoch_end(r);
    vkm_epoch_unregister(r);
    set_phase(&h->phase, READER_ENDED);
    return NULL;
}

static bool
start_held_reader(held_reader *h, vkm_epoch *e)
{
    h->epoch = e;
    atomic_init(&h->phase, READER_STARTING);
    if (pthread_create(&h->thread, NULL, held_reader_main, h) != 0)
        return false;
    /* acquire: wait until its section is open */
    for (;;) {
        int p = atomic_load_explicit(&h->phase, memory_order_acquire);
        if (p == READER_IN_SECTION)
            return true;
        if (p == READER_DONE) {
            pthread_join(h->thread, NULL);
            return false;
        }
        sched_yield();
    }
}

static void
finish_held_reader(held_reader *h)
{
    set_phase(&h->phase, READER_MAY_END);
    wait_phase(&h->phase, READER_ENDED);
    pthread_join(h->thread, NULL);
}

/* ------------------------------------------------------------------------------------ */

TEST(epoch_create_register_destroy)
{
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    vkm_epoch_record *r = vkm_epoch_register(e);
    ASSERT_TRUE(r != NULL);
    EXPECT_EQ(vkm_epoch_pending(r), 0);
    vkm_epoch_begin(r);
    vkm_epoch_end(r);
    vkm_epoch_unregister(r);
    vkm_epoch_destroy(e);
    vkm_epoch_destroy(NULL); /* a no-op */
}

TEST(epoch_retired_callback_waits_for_section_begun_before_retire)
{
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    vkm_epoch_record *r = vkm_epoch_register(e);
    ASSERT_TRUE(r != NULL);
    held_reader h;
    ASSERT_TRUE(start_held_reader(&h, e));

    counted objs[3];
    for (size_t i = 0; i < ARRAY_LEN(objs); i++) {
        atomic_init(&objs[i].runs, 0);
        vkm_epoch_retire(r, &objs[i].entry, count_run);
    }
    /* the reader's section began before every retire: nothing may run, however often
     * the writer polls and however many of its own sections it opens meanwhile */
    for (int i = 0; i < 200; i++) {
        vkm_epoch_poll(r);
        if (i % 10 == 0) {
            vkm_epoch_begin(r);
            vkm_epoch_end(r);
        }
        sched_yield();
    }
    for (size_t i = 0; i < ARRAY_LEN(objs); i++)
        EXPECT_EQ(runs_of(&objs[i]), 0);
    EXPECT_EQ(vkm_epoch_pending(r), ARRAY_LEN(objs));

    finish_held_reader(&h);
    vkm_epoch_barrier(r);
    for (size_t i = 0; i < ARRAY_LEN(objs); i++)
        EXPECT_EQ(runs_of(&objs[i]), 1);
    EXPECT_EQ(vkm_epoch_pending(r), 0);

    /* nothing runs twice: not from more polls, barriers, or destroy */
    vkm_epoch_poll(r);
    vkm_epoch_barrier(r);
    vkm_epoch_unregister(r);
    vkm_epoch_destroy(e);
    for (size_t i = 0; i < ARRAY_LEN(objs); i++)
        EXPECT_EQ(runs_of(&objs[i]), 1);
}

TEST(epoch_barrier_runs_callbacks_retired_with_no_section_open)
{
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    vkm_epoch_record *r = vkm_epoch_register(e);
    ASSERT_TRUE(r != NULL);
    counted c;
    atomic_init(&c.runs, 0);
    vkm_epoch_retire(r, &c.entry, count_run);
    vkm_epoch_barrier(r);
    EXPECT_EQ(runs_of(&c), 1);
    EXPECT_EQ(vkm_epoch_pending(r), 0);
    vkm_epoch_unregister(r);
    vkm_epoch_destroy(e);
    EXPECT_EQ(runs_of(&c), 1);
}

TEST(epoch_poll_runs_callbacks_once_no_section_is_open)
{
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    vkm_epoch_record *r = vkm_epoch_register(e);
    ASSERT_TRUE(r != NULL);
    counted c;
    atomic_init(&c.runs, 0);
    vkm_epoch_begin(r);
    vkm_epoch_end(r);
    vkm_epoch_retire(r, &c.entry, count_run);
    /* no section anywhere: grace periods pass without anyone waiting */
    for (int i = 0; i < 8 && runs_of(&c) == 0; i++)
        vkm_epoch_poll(r);
    EXPECT_EQ(runs_of(&c), 1);
    EXPECT_EQ(vkm_epoch_pending(r), 0);
    vkm_epoch_unregister(r);
    vkm_epoch_destroy(e);
    EXPECT_EQ(runs_of(&c), 1);
}

TEST(epoch_destroy_runs_pending_callbacks)
{
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    vkm_epoch_record *r = vkm_epoch_register(e);
    ASSERT_TRUE(r != NULL);
    held_reader h;
    ASSERT_TRUE(start_held_reader(&h, e));
    counted objs[4];
    for (size_t i = 0; i < ARRAY_LEN(objs); i++) {
        atomic_init(&objs[i].runs, 0);
        vkm_epoch_retire(r, &objs[i].entry, count_run);
    }
    finish_held_reader(&h);
    /* the reader is gone but nobody polled: still pending */
    EXPECT_EQ(vkm_epoch_pending(r), ARRAY_LEN(objs));
    for (size_t i = 0; i < ARRAY_LEN(objs); i++)
        EXPECT_EQ(runs_of(&objs[i]), 0);
    vkm_epoch_destroy(e); /* r is still registered: destroy takes it too */
    for (size_t i = 0; i < ARRAY_LEN(objs); i++)
        EXPECT_EQ(runs_of(&objs[i]), 1);
}

TEST(epoch_unregister_runs_pending_callbacks_and_recycles_the_record)
{
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    vkm_epoch_record *r1 = vkm_epoch_register(e);
    ASSERT_TRUE(r1 != NULL);
    held_reader h;
    ASSERT_TRUE(start_held_reader(&h, e));
    counted a;
    atomic_init(&a.runs, 0);
    vkm_epoch_retire(r1, &a.entry, count_run);
    EXPECT_EQ(runs_of(&a), 0);
    finish_held_reader(&h);
    vkm_epoch_unregister(r1);
    EXPECT_EQ(runs_of(&a), 1);

    /* the released record comes back (the reader's was released too: either will do,
     * but no new one is allocated while released ones exist) */
    vkm_epoch_record *r2 = vkm_epoch_register(e);
    ASSERT_TRUE(r2 != NULL);
    vkm_epoch_record *r3 = vkm_epoch_register(e);
    ASSERT_TRUE(r3 != NULL);
    EXPECT_TRUE(r2 != r3);
    EXPECT_TRUE(r2 == r1 || r3 == r1);
    /* a recycled record starts clean and works */
    EXPECT_EQ(vkm_epoch_pending(r2), 0);
    EXPECT_EQ(vkm_epoch_pending(r3), 0);
    counted b;
    atomic_init(&b.runs, 0);
    vkm_epoch_begin(r2);
    vkm_epoch_end(r2);
    vkm_epoch_retire(r2, &b.entry, count_run);
    vkm_epoch_barrier(r2);
    EXPECT_EQ(runs_of(&b), 1);
    EXPECT_EQ(runs_of(&a), 1);

    /* registering while every record is in use makes a new one */
    vkm_epoch_record *r4 = vkm_epoch_register(e);
    ASSERT_TRUE(r4 != NULL);
    EXPECT_TRUE(r4 != r2 && r4 != r3);
    vkm_epoch_unregister(r2);
    vkm_epoch_unregister(r3);
    vkm_epoch_unregister(r4);
    vkm_epoch_destroy(e);
    EXPECT_EQ(runs_of(&b), 1);
}

/* A thread that registers, retires one object, unregisters and exits. */
typedef struct churner {
    pthread_t thread;
    vkm_epoch *epoch;
    vkm_epoch_record *rec; /* what it got, for the test to compare */
    counted obj;
    uint32_t rounds;
    _Atomic uint32_t *retired;
    _Atomic uint32_t *failures;
} churner;

static void *
exiting_user_main(void *arg)
{
    churner *c = arg;
    c->rec = vkm_epoch_register(c->epoch);
    if (c->rec == NULL)
        return NULL;
    vkm_epoch_begin(c->rec);
    vkm_epoch_end(c->rec);
    vkm_epoch_retire(c->rec, &c->obj.entry, count_run);
    vkm_epoch_unregister(c->rec);
    return NULL;
}

TEST(epoch_record_of_an_exited_thread_is_recycled)
{
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    churner c = {.epoch = e};
    atomic_init(&c.obj.runs, 0);
    ASSERT_EQ(pthread_create(&c.thread, NULL, exiting_user_main, &c), 0);
    pthread_join(c.thread, NULL);
    ASSERT_TRUE(c.rec != NULL);
    EXPECT_EQ(runs_of(&c.obj), 1); /* its unregister ran it */

    vkm_epoch_record *r = vkm_epoch_register(e);
    EXPECT_TRUE(r == c.rec);
    ASSERT_TRUE(r != NULL);
    counted mine;
    atomic_init(&mine.runs, 0);
    vkm_epoch_retire(r, &mine.entry, count_run);
    vkm_epoch_barrier(r);
    EXPECT_EQ(runs_of(&mine), 1);
    vkm_epoch_unregister(r);
    vkm_epoch_destroy(e);
    EXPECT_EQ(runs_of(&c.obj), 1);
}

/* ------------------------------------------------------------------------------------ */
/* readers against a writer that swaps and retires                                        */
/* ------------------------------------------------------------------------------------ */

#define LIVE_MAGIC 0x5eed5eed5eed5eedull

typedef struct shared_obj {
    uint64_t magic;   /* LIVE_MAGIC until the callback poisons it */
    uint64_t value;
    uint64_t check;   /* ~value */
    vkm_epoch_entry entry;
} shared_obj;

typedef struct stress {
    vkm_epoch *epoch;
    _Atomic(shared_obj *) current;
    _Atomic bool stop;
    _Atomic uint32_t poisoned_seen;
    _Atomic uint32_t torn_seen;
    _Atomic uint32_t reader_failures;
    _Atomic uint64_t reads;
    _Atomic uint32_t freed;
} stress;

static stress the_stress;

static void
poison_and_free(vkm_epoch_entry *e)
{
    shared_obj *o = vkm_epoch_container(e, shared_obj, entry);
    o->magic = 0; /* plain writes: TSan checks them against every reader's reads */
    o->value = 0;
    o->check = 0;
    free(o);
    atomic_fetch_add_explicit(&the_stress.freed, 1, memory_order_relaxed);
}

static void *
stress_reader_main(void *arg)
{
    (void)arg;
    stress *s = &the_stress;
    vkm_epoch_record *r = vkm_epoch_register(s->epoch);
    if (r == NULL) {
        atomic_fetch_add_explicit(&s->reader_failures, 1, memory_order_relaxed);
        return NULL;
    }
    uint64_t n = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        vkm_epoch_begin(r);
        /* acquire: pairs with the writer's exchange, so the object's fields are visible */
        shared_obj *o = atomic_load_explicit(&s->current, memory_order_acquire);
        if (o != NULL) {
            if (o->magic != LIVE_MAGIC)
                atomic_fetch_add_explicit(&s->poisoned_seen, 1, memory_order_relaxed);
            /* stay inside now and then, so the writer retires what we hold */
            if (n % 32 == 0)
                sched_yield();
            if (o->magic != LIVE_MAGIC)
                atomic_fetch_add_explicit(&s->poisoned_seen, 1, memory_order_relaxed);
            if (o->check != ~o->value)
                atomic_fetch_add_explicit(&s->torn_seen, 1, memory_order_relaxed);
        }
        vkm_epoch_end(r);
        n++;
    }
    vkm_epoch_unregister(r);
    atomic_fetch_add_explicit(&s->reads, n, memory_order_relaxed);
    return NULL;
}

static uint32_t
stress_swaps(void)
{
    const char *env = getenv("VKM_EPOCH_SWAPS");
    if (env != NULL && *env != '\0')
        return (uint32_t)strtoul(env, NULL, 0);
    return TEST_TSAN ? 10000u : 20000u;
}

static shared_obj *
new_shared(uint64_t value)
{
    shared_obj *o = malloc(sizeof(*o));
    if (o != NULL) {
        o->magic = LIVE_MAGIC;
        o->value = value;
        o->check = ~value;
    }
    return o;
}

TEST(epoch_readers_never_see_a_retired_object)
{
    stress *s = &the_stress;
    memset(s, 0, sizeof(*s));
    s->epoch = vkm_epoch_create(ha());
    ASSERT_TRUE(s->epoch != NULL);
    vkm_epoch_record *w = vkm_epoch_register(s->epoch);
    ASSERT_TRUE(w != NULL);
    shared_obj *first = new_shared(0);
    ASSERT_TRUE(first != NULL);
    atomic_store_explicit(&s->current, first, memory_order_release);

    pthread_t readers[3];
    for (size_t i = 0; i < ARRAY_LEN(readers); i++)
        ASSERT_EQ(pthread_create(&readers[i], NULL, stress_reader_main, NULL), 0);

    const uint32_t swaps = stress_swaps();
    uint32_t retired = 0;
    size_t max_pending = 0;
    for (uint32_t i = 1; i <= swaps; i++) {
        shared_obj *o = new_shared(i);
        if (o == NULL)
            break;
        /* acq_rel: releases the new object's fields to readers */
        shared_obj *old = atomic_exchange_explicit(&s->current, o, memory_order_acq_rel);
        vkm_epoch_retire(w, &old->entry, poison_and_free);
        retired++;
        size_t p = vkm_epoch_pending(w);
        if (p > max_pending)
            max_pending = p;
        if (i % 8 == 0)
            sched_yield(); /* let the readers in: two cores, four threads */
    }
    atomic_store_explicit(&s->stop, true, memory_order_relaxed);
    for (size_t i = 0; i < ARRAY_LEN(readers); i++)
        pthread_join(readers[i], NULL);
    shared_obj *last = atomic_exchange_explicit(&s->current, NULL, memory_order_acq_rel);
    vkm_epoch_retire(w, &last->entry, poison_and_free);
    retired++;
    vkm_epoch_barrier(w);
    EXPECT_EQ(vkm_epoch_pending(w), 0);
    EXPECT_EQ(atomic_load(&s->freed), retired);
    vkm_epoch_unregister(w);
    vkm_epoch_destroy(s->epoch);

    EXPECT_EQ(atomic_load(&s->reader_failures), 0);
    EXPECT_EQ(atomic_load(&s->poisoned_seen), 0);
    EXPECT_EQ(atomic_load(&s->torn_seen), 0);
    EXPECT_EQ(atomic_load(&s->freed), retired);
    fprintf(stderr, "  %u swaps, %llu reads, at most %zu callbacks pending\n", swaps,
            (unsigned long long)atomic_load(&s->reads), max_pending);
}

/* ------------------------------------------------------------------------------------ */
/* records moving between threads                                                        */
/* ------------------------------------------------------------------------------------ */

/* Retired objects of the churn case: freed by their callback. */
typedef struct churn_obj {
    vkm_epoch_entry entry;
    uint32_t magic;
    _Atomic uint32_t *freed;
} churn_obj;

#define CHURN_MAGIC 0xc4u

static void
churn_obj_free(vkm_epoch_entry *e)
{
    churn_obj *o = vkm_epoch_container(e, churn_obj, entry);
    _Atomic uint32_t *freed = o->freed;
    o->magic = 0;
    free(o);
    atomic_fetch_add_explicit(freed, 1, memory_order_relaxed);
}

static _Atomic uint32_t churn_freed;

static void *
churner_main(void *arg)
{
    churner *c = arg;
    for (uint32_t i = 0; i < c->rounds; i++) {
        /* records pass from thread to thread without any join in between */
        vkm_epoch_record *r = vkm_epoch_register(c->epoch);
        if (r == NULL) {
            atomic_fetch_add_explicit(c->failures, 1, memory_order_relaxed);
            return NULL;
        }
        for (uint32_t k = 0; k < 3; k++) {
            churn_obj *o = malloc(sizeof(*o));
            if (o == NULL) {
                atomic_fetch_add_explicit(c->failures, 1, memory_order_relaxed);
                break;
            }
            o->magic = CHURN_MAGIC;
            o->freed = &churn_freed;
            vkm_epoch_begin(r);
            if (o->magic != CHURN_MAGIC)
                atomic_fetch_add_explicit(c->failures, 1, memory_order_relaxed);
            vkm_epoch_end(r);
            vkm_epoch_retire(r, &o->entry, churn_obj_free);
            atomic_fetch_add_explicit(c->retired, 1, memory_order_relaxed);
        }
        if (i % 2 == 0)
            vkm_epoch_poll(r);
        vkm_epoch_unregister(r);
    }
    return NULL;
}

TEST(epoch_records_recycled_between_running_threads)
{
    /* Thread caches register a record per (thread, allocator) and unregister it at
     * thread exit, so a record often moves between threads that never synchronise
     * otherwise: the next user's accesses must happen after the previous user's, for
     * ThreadSanitizer too. Last in the file: with halt_on_error a report here must not
     * hide the other cases. */
    vkm_epoch *e = vkm_epoch_create(ha());
    ASSERT_TRUE(e != NULL);
    _Atomic uint32_t retired = 0, failures = 0;
    atomic_store(&churn_freed, 0);
    churner c[3];
    const uint32_t rounds = TEST_TSAN ? 300u : 2000u;
    for (size_t i = 0; i < ARRAY_LEN(c); i++) {
        c[i] = (churner){.epoch = e, .rounds = rounds, .retired = &retired, .failures = &failures};
        ASSERT_EQ(pthread_create(&c[i].thread, NULL, churner_main, &c[i]), 0);
    }
    for (size_t i = 0; i < ARRAY_LEN(c); i++)
        pthread_join(c[i].thread, NULL);
    EXPECT_EQ(atomic_load(&failures), 0);
    /* every unregister ran its record's callbacks */
    EXPECT_EQ(atomic_load(&churn_freed), atomic_load(&retired));
    vkm_epoch_destroy(e);
    EXPECT_EQ(atomic_load(&churn_freed), atomic_load(&retired));
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
