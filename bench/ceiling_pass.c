/* SPDX-License-Identifier: MIT */
/*
 * ceiling_pass.c - vkm_ceiling's second table: the least that handing allocations to
 * another thread costs on this machine, whatever the allocator.
 *
 * vkm_bench's handoff and frame workloads free on one thread what another allocated.
 * Any allocator then moves at least two things between cores per allocation: the line
 * of the allocation's own record (the freer reads what the allocator wrote; with the VMA
 * API that record is the VmaAllocation, read by vmaFreeMemory) and the news of the free
 * (the freer publishes it; the owner reads it before it reuses the memory). Here both
 * are all there is: a record is one 64-byte line from a per-owner pool, a free is one
 * atomic OR of the record's bit into a word the owner exchanges to zero when its free
 * bits run out (vkmalloc's remote free, without its bookkeeping or a device block).
 *
 *   handoff  pairs of threads: the producer takes a record, writes its line and pushes
 *            it into a ring (published 16 at a time); the consumer pops it, reads it and
 *            ORs its bit. One thread: it takes 64, then reads and frees them itself.
 *   frame    each thread takes 256 records and writes them; after a barrier it frees
 *            those of thread (i + 1) % N, and a second barrier ends the frame. One
 *            thread frees its own.
 *
 * vkm_bench runs the same shapes with real allocations: its scaling for them cannot
 * exceed these (beyond noise); the gap between the two is what the allocator itself
 * costs when memory crosses threads.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceiling.h"
#include "clock.h"

#define POOL_RECORDS 1024u            /* per owner: a handoff ring's worth and more */
#define RBITS 32u                     /* records per remote word */
#define RWORDS (POOL_RECORDS / RBITS) /* each on its own line */
#define LWORDS (POOL_RECORDS / 64u)
#define RING_SLOTS 256u
#define PUSH_BATCH 16u
#define POP_BURST 32u
#define SOLO_BATCH 64u
#define FRAME_RECORDS 256u
#define RECORD_MAGIC 0x5EC0DEDull

typedef struct record {
    _Alignas(64) uint64_t w[8]; /* w[0] index, w[1] pool, w[2..7] written, w[7] checked */
} record;

typedef struct rword {
    _Alignas(64) atomic_uint_least64_t bits;
} rword;

/* Owner-local bits and the remote words other threads OR into. */
typedef struct pool {
    record *records;
    uint64_t local[LWORDS]; /* owner only: bit set = free */
    rword remote[RWORDS];
} pool;

static bool
pool_init(pool *p)
{
    memset(p, 0, sizeof(*p));
    p->records = aligned_alloc(64, POOL_RECORDS * sizeof(record));
    if (p->records == NULL)
        return false;
    memset(p->records, 0, POOL_RECORDS * sizeof(record));
    for (uint32_t i = 0; i < LWORDS; i++)
        p->local[i] = ~0ull;
    for (uint32_t i = 0; i < RWORDS; i++)
        atomic_init(&p->remote[i].bits, 0);
    return true;
}

/* Owner: moves remote frees into the local bits; returns whether any came. */
static bool
pool_collect(pool *p)
{
    bool any = false;
    for (uint32_t r = 0; r < RWORDS; r++) {
        if (atomic_load_explicit(&p->remote[r].bits, memory_order_relaxed) == 0)
            continue;
        /* acquire: pairs with the freer's release OR; its read of the record is done */
        const uint64_t bits = atomic_exchange_explicit(&p->remote[r].bits, 0, memory_order_acquire);
        p->local[r / 2u] |= bits << (r % 2u * RBITS);
        any |= bits != 0;
    }
    return any;
}

/* Owner: a free record with its line written, or NULL when every record is out. */
static record *
pool_take(pool *p)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        for (uint32_t w = 0; w < LWORDS; w++) {
            if (p->local[w] == 0)
                continue;
            const uint32_t b = (uint32_t)__builtin_ctzll(p->local[w]);
            p->local[w] &= p->local[w] - 1u;
            const uint64_t i = w * 64u + b;
            record *rec = &p->records[i];
            rec->w[0] = i;
            rec->w[1] = (uint64_t)(uintptr_t)p;
            for (uint32_t k = 2; k < 7; k++)
                rec->w[k] = i * k;
            rec->w[7] = i ^ RECORD_MAGIC;
            return rec;
        }
        if (!pool_collect(p))
            break;
    }
    return NULL;
}

/* Reads the record as a free reads its allocation; false when it is not one. */
static bool
record_check(const record *rec, pool **owner, uint32_t *index)
{
    const uint64_t i = rec->w[0];
    *owner = (pool *)(uintptr_t)rec->w[1];
    *index = (uint32_t)i;
    return i < POOL_RECORDS && rec->w[7] == (i ^ RECORD_MAGIC);
}

/* Any thread but the owner: one atomic OR, as vkmalloc's remote free. */
static void
free_remote(pool *owner, uint32_t i)
{
    atomic_fetch_or_explicit(&owner->remote[i / RBITS].bits, 1ull << (i % RBITS),
                             memory_order_release);
}

static void
free_local(pool *owner, uint32_t i)
{
    owner->local[i / 64u] |= 1ull << (i % 64u);
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* A waiter's step: spin, and every 1024 steps give the CPU away, so that more threads
 * than cores (a smoke run on a small machine) still make progress. */
static inline void
wait_step(uint32_t *spins)
{
    if (++*spins % 1024u == 0)
        sched_yield();
    else
        cpu_relax();
}

/* ---- shared by both shapes ---------------------------------------------------------- */

typedef struct ring {
    _Alignas(64) atomic_size_t xhead; /* consumer writes */
    size_t tail_seen;
    _Alignas(64) atomic_size_t xtail; /* producer writes */
    size_t tail, head_seen;
    _Alignas(64) record *slots[RING_SLOTS];
} ring;

typedef struct party party;

typedef struct shared {
    uint32_t n;
    atomic_int stop;
    atomic_int abort; /* a thread could not start: the others return at once */
    atomic_uint ready;
    atomic_uint errors;
    party *parties;
    /* frame: a sense-reversing barrier and the last-frame flag thread 0 publishes */
    _Alignas(64) atomic_uint xarrived;
    _Alignas(64) atomic_uint xgeneration;
    bool last;
} shared;

struct party {
    _Alignas(64) uint64_t ops;
    uint32_t index;
    shared *sh;
    pool pool;
    ring *ring;                 /* handoff: the pair's ring */
    record *row[FRAME_RECORDS]; /* frame: this frame's records */
};

static void
barrier_wait(shared *sh)
{
    const unsigned gen = atomic_load_explicit(&sh->xgeneration, memory_order_acquire);
    if (atomic_fetch_add_explicit(&sh->xarrived, 1, memory_order_acq_rel) + 1u == sh->n) {
        atomic_store_explicit(&sh->xarrived, 0, memory_order_relaxed);
        atomic_store_explicit(&sh->xgeneration, gen + 1u, memory_order_release);
        return;
    }
    uint32_t spins = 0;
    while (atomic_load_explicit(&sh->xgeneration, memory_order_acquire) == gen)
        wait_step(&spins);
}

static bool
stopping(const shared *sh)
{
    return atomic_load_explicit(&sh->stop, memory_order_relaxed) != 0;
}

static void
count_error(shared *sh)
{
    atomic_fetch_add_explicit(&sh->errors, 1, memory_order_relaxed);
}

/* ---- handoff ------------------------------------------------------------------------- */

static void
handoff_solo(party *me)
{
    shared *sh = me->sh;
    record *batch[SOLO_BATCH];
    uint64_t ops = 0;
    while (!stopping(sh)) {
        uint32_t got = 0;
        while (got < SOLO_BATCH && (batch[got] = pool_take(&me->pool)) != NULL)
            got++;
        for (uint32_t k = 0; k < got; k++) {
            pool *owner;
            uint32_t i;
            if (!record_check(batch[k], &owner, &i)) {
                count_error(sh);
                continue;
            }
            free_local(owner, i);
        }
        ops += got;
    }
    me->ops = ops;
}

static void
handoff_producer(party *me)
{
    shared *sh = me->sh;
    ring *r = me->ring;
    uint32_t spins = 0;
    while (!stopping(sh)) {
        for (uint32_t k = 0; k < PUSH_BATCH; k++) {
            if (r->tail - r->head_seen == RING_SLOTS) {
                r->head_seen = atomic_load_explicit(&r->xhead, memory_order_acquire);
                if (r->tail - r->head_seen == RING_SLOTS)
                    break;
            }
            record *rec = pool_take(&me->pool);
            if (rec == NULL)
                break;
            r->slots[r->tail % RING_SLOTS] = rec;
            r->tail++;
        }
        /* release: the slots and the records' lines before the consumer sees them */
        if (atomic_load_explicit(&r->xtail, memory_order_relaxed) != r->tail)
            atomic_store_explicit(&r->xtail, r->tail, memory_order_release);
        else
            wait_step(&spins); /* ring full or every record out */
    }
}

static void
handoff_consumer(party *me)
{
    shared *sh = me->sh;
    ring *r = me->ring;
    uint64_t ops = 0;
    uint32_t spins = 0;
    while (!stopping(sh)) {
        size_t head = atomic_load_explicit(&r->xhead, memory_order_relaxed);
        if (head == r->tail_seen) {
            r->tail_seen = atomic_load_explicit(&r->xtail, memory_order_acquire);
            if (head == r->tail_seen) {
                wait_step(&spins);
                continue;
            }
        }
        for (uint32_t n = 0; n < POP_BURST && head != r->tail_seen; n++, head++) {
            pool *owner;
            uint32_t i;
            if (!record_check(r->slots[head % RING_SLOTS], &owner, &i)) {
                count_error(sh);
                continue;
            }
            free_remote(owner, i);
            ops++;
        }
        atomic_store_explicit(&r->xhead, head, memory_order_release);
    }
    me->ops = ops;
}

static void
handoff_main(party *me)
{
    if (me->sh->n == 1)
        handoff_solo(me);
    else if (me->index % 2u == 0)
        handoff_producer(me);
    else
        handoff_consumer(me);
}

/* ---- frame --------------------------------------------------------------------------- */

static void
frame_main(party *me)
{
    shared *sh = me->sh;
    party *next = &sh->parties[(me->index + 1u) % sh->n];
    uint64_t ops = 0;
    for (;;) {
        uint32_t got = 0;
        while (got < FRAME_RECORDS && (me->row[got] = pool_take(&me->pool)) != NULL)
            got++;
        for (uint32_t k = got; k < FRAME_RECORDS; k++)
            me->row[k] = NULL;
        if (me->index == 0)
            sh->last = stopping(sh);
        barrier_wait(sh);
        const bool last = sh->last;
        for (uint32_t k = 0; k < FRAME_RECORDS && next->row[k] != NULL; k++) {
            pool *owner;
            uint32_t i;
            if (!record_check(next->row[k], &owner, &i)) {
                count_error(sh);
                continue;
            }
            if (owner == &me->pool)
                free_local(owner, i);
            else
                free_remote(owner, i);
            ops++;
        }
        barrier_wait(sh);
        if (last)
            break;
    }
    me->ops = ops;
}

/* ---- driver -------------------------------------------------------------------------- */

typedef struct start {
    party *me;
    void (*body)(party *);
} start;

static void *
thread_main(void *arg)
{
    start *s = arg;
    atomic_fetch_add(&s->me->sh->ready, 1);
    uint32_t spins = 0;
    while (atomic_load(&s->me->sh->ready) < s->me->sh->n)
        wait_step(&spins);
    if (atomic_load(&s->me->sh->abort) == 0)
        s->body(s->me);
    return NULL;
}

double
vkm_ceiling_pass(vkm_ceiling_shape shape, uint32_t n, double seconds, bool *ok)
{
    *ok = false;
    if (n == 0 || (shape == VKM_CEILING_HANDOFF && n > 1 && n % 2u != 0))
        return 0.0; /* handoff runs in pairs */
    shared *sh = aligned_alloc(64, sizeof(shared));
    party *parties = aligned_alloc(64, n * sizeof(party));
    ring *rings = aligned_alloc(64, (n / 2u + 1u) * sizeof(ring));
    pthread_t *tids = calloc(n, sizeof(*tids));
    start *starts = calloc(n, sizeof(*starts));
    uint32_t pools = 0, created = 0;
    double result = 0.0;
    if (sh == NULL || parties == NULL || rings == NULL || tids == NULL || starts == NULL)
        goto out;
    memset(sh, 0, sizeof(*sh));
    sh->n = n;
    sh->parties = parties;
    memset(rings, 0, (n / 2u + 1u) * sizeof(ring));
    for (; pools < n; pools++) {
        memset(&parties[pools], 0, sizeof(party));
        parties[pools].index = pools;
        parties[pools].sh = sh;
        parties[pools].ring = &rings[pools / 2u];
        if (!pool_init(&parties[pools].pool))
            goto out;
    }
    for (; created < n; created++) {
        starts[created] =
            (start){&parties[created], shape == VKM_CEILING_HANDOFF ? handoff_main : frame_main};
        if (pthread_create(&tids[created], NULL, thread_main, &starts[created]) != 0)
            break;
    }
    if (created < n) {
        /* the others wait for all n: let them through and stop them at once */
        atomic_store(&sh->abort, 1);
        atomic_fetch_add(&sh->ready, n - created);
    }
    uint32_t spins = 0;
    while (atomic_load(&sh->ready) < n)
        wait_step(&spins);
    const double t0 = vkm_bench_now_s();
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&sh->stop, 1);
    uint64_t total = 0;
    for (uint32_t i = 0; i < created; i++) {
        pthread_join(tids[i], NULL);
        total += parties[i].ops;
    }
    const double t1 = vkm_bench_now_s();
    if (created == n && atomic_load(&sh->errors) == 0) {
        result = (double)total / (t1 - t0);
        *ok = true;
    }
out:
    for (uint32_t i = 0; i < pools; i++)
        free(parties[i].pool.records);
    free(starts);
    free(tids);
    free(rings);
    free(parties);
    free(sh);
    return result;
}
