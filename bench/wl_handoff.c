/* SPDX-License-Identifier: MIT */
/*
 * wl_handoff.c - handoff: producers allocate, consumers free. N threads split into
 * P = ceil(N / 2) producers and C = floor(N / 2) consumers, with one bounded
 * single-producer single-consumer ring per (producer, consumer) pair; a producer fills
 * one ring with PUSH_BATCH allocations before it moves on to the next (skipping full
 * ones), and a consumer polls its rings. The rings are lock-free (C11 atomics, Lamport's
 * SPSC queue with cached indices) and publish in batches: a producer stores its tail once
 * per batch and a consumer its head once per burst, so ring traffic between two cores is
 * a few cache lines per batch, not per allocation, and the workload measures the
 * allocator's own cross-thread cost. One thread alone alternates: it allocates a batch,
 * then frees it. Sizes 1 - 64 KiB (log-uniform by octave), alignment 256, as in frame.
 * One op = one allocation freed by a consumer.
 *
 * Stopping: each thread asks vkm_wl_running for itself. A producer that finds every
 * ring full keeps trying until its time is up or every consumer has stopped; a consumer
 * that finds its rings empty stops once every producer has stopped. They quiesce with the
 * rings' contents live (the steady state the statistics see); consumers then drain them.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "wl.h"

#define RING_SLOTS 256u /* power of two */
#define PUSH_BATCH 16u  /* pushes into one ring before its tail is published */
#define POP_BURST 32u   /* pops from one ring before the consumer looks at the next */
#define SOLO_BATCH 64u  /* the one-thread run's batch */
#define HANDOFF_MIN (1u << 10)
#define HANDOFF_MAX (64u << 10)
#define HANDOFF_ALIGN 256u

/* Indices run freely and wrap modulo 2^64; slot = index % RING_SLOTS. */
typedef struct ring {
    /* consumer's line */
    _Alignas(64) atomic_size_t xhead; /* next slot to pop: consumer writes, producer reads */
    size_t tail_seen;                 /* consumer only: last xtail it read */
    /* producer's line */
    _Alignas(64) atomic_size_t xtail; /* published end: producer writes, consumer reads */
    size_t tail;                      /* producer only: next slot to fill (>= xtail) */
    size_t head_seen;                 /* producer only: last xhead it read */
    _Alignas(64) VmaAllocation slots[RING_SLOTS];
} ring;

typedef struct handoff_state {
    uint32_t producers, consumers;
    ring *rings; /* producers * consumers; (p, c) at p * consumers + c */
    /* Counted when a thread has made its last push / pop. */
    atomic_uint xproducers_done, xconsumers_done;
} handoff_state;

/* Producer: makes every filled slot visible to the consumer. */
static void
ring_publish(ring *r)
{
    /* Release: publishes the slots; pairs with the consumer's acquire of xtail. */
    if (atomic_load_explicit(&r->xtail, memory_order_relaxed) != r->tail)
        atomic_store_explicit(&r->xtail, r->tail, memory_order_release);
}

/* Producer: fills a slot (published later, by ring_publish); false when the ring is full. */
static bool
ring_push(ring *r, VmaAllocation a)
{
    if (r->tail - r->head_seen == RING_SLOTS) {
        /* Acquire: pairs with the consumer's release of xhead, so its read of the slot
         * we are about to overwrite has happened. */
        r->head_seen = atomic_load_explicit(&r->xhead, memory_order_acquire);
        if (r->tail - r->head_seen == RING_SLOTS)
            return false;
    }
    r->slots[r->tail % RING_SLOTS] = a;
    r->tail++;
    return true;
}

/* Consumer: pops up to `burst` allocations from r and frees them; returns how many. The
 * head is published once, after the burst. */
static uint32_t
consume(vkm_wl_thread *t, ring *r, uint32_t burst)
{
    size_t head = atomic_load_explicit(&r->xhead, memory_order_relaxed);
    if (head == r->tail_seen) {
        /* Acquire: pairs with the producer's release of xtail (the slots are written). */
        r->tail_seen = atomic_load_explicit(&r->xtail, memory_order_acquire);
        if (head == r->tail_seen)
            return 0;
    }
    uint32_t n = 0;
    for (; n < burst && head != r->tail_seen; n++, head++)
        vkm_wl_free(t, r->slots[head % RING_SLOTS]);
    /* Release: our reads of the slots are done; pairs with the producer's acquire. */
    atomic_store_explicit(&r->xhead, head, memory_order_release);
    return n;
}

static void
handoff_teardown(void *state)
{
    handoff_state *s = state;
    if (s == NULL)
        return;
    free(s->rings);
    free(s);
}

static VkResult
handoff_setup(const vkm_wl_params *p, void **state)
{
    handoff_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    s->producers = (p->threads + 1) / 2;
    s->consumers = p->threads / 2;
    atomic_init(&s->xproducers_done, 0);
    atomic_init(&s->xconsumers_done, 0);
    const size_t n = (size_t)s->producers * s->consumers;
    if (n > 0) {
        s->rings = aligned_alloc(_Alignof(ring), n * sizeof(ring));
        if (s->rings == NULL) {
            free(s);
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        for (size_t i = 0; i < n; i++) {
            atomic_init(&s->rings[i].xhead, 0);
            atomic_init(&s->rings[i].xtail, 0);
            s->rings[i].tail_seen = 0;
            s->rings[i].tail = 0;
            s->rings[i].head_seen = 0;
        }
    }
    *state = s;
    return VK_SUCCESS;
}

static VkResult
handoff_alloc(vkm_wl_thread *t, VmaAllocation *a)
{
    return vkm_wl_alloc(t, vkm_wl_size_log(t, HANDOFF_MIN, HANDOFF_MAX), HANDOFF_ALIGN, a);
}

/* One thread: batches, like frame's last-batch rule (see wl_frame.c). */
static void
solo_thread(vkm_wl_thread *t)
{
    VmaAllocation batch[SOLO_BATCH];
    vkm_wl_batches(t, batch, SOLO_BATCH, HANDOFF_MIN, HANDOFF_MAX, HANDOFF_ALIGN);
}

static void
producer_thread(vkm_wl_thread *t, handoff_state *s, uint32_t p)
{
    ring *mine = s->rings + (size_t)p * s->consumers;
    const uint32_t consumers = s->consumers;
    uint32_t cur = p % consumers; /* the ring being filled */
    uint32_t in_batch = 0;        /* pushed into it since its last publication */
    uint64_t done = 0;            /* pushed, or failed to allocate */

    vkm_wl_start(t);
    while (vkm_wl_running(t, done)) {
        VmaAllocation a;
        if (handoff_alloc(t, &a) != VK_SUCCESS) {
            done++;
            continue;
        }
        for (uint32_t round = 0;;) {
            for (uint32_t j = 0; j < consumers; j++) {
                const uint32_t c = (cur + j) % consumers;
                if (c != cur) {
                    ring_publish(&mine[cur]); /* moving on: what we filled becomes visible */
                    cur = c;
                    in_batch = 0;
                }
                if (ring_push(&mine[c], a)) {
                    a = VK_NULL_HANDLE;
                    if (++in_batch == PUSH_BATCH) {
                        ring_publish(&mine[c]);
                        cur = (c + 1) % consumers;
                        in_batch = 0;
                    }
                    break;
                }
            }
            if (a == VK_NULL_HANDLE)
                break;
            ring_publish(&mine[cur]);
            /* Every ring full: wait for a consumer, unless none will come. */
            if (!vkm_wl_running(t, done) ||
                atomic_load_explicit(&s->xconsumers_done, memory_order_relaxed) == consumers) {
                vkm_wl_free(t, a);
                goto out;
            }
            vkm_wl_backoff(t, &round);
        }
        done++;
    }
out:
    for (uint32_t c = 0; c < consumers; c++)
        ring_publish(&mine[c]);
    /* Release: our pushes happen before a consumer's acquire load that sees the count,
     * so an empty ring it finds afterwards stays empty. */
    atomic_fetch_add_explicit(&s->xproducers_done, 1, memory_order_release);
    vkm_wl_quiesce(t);
}

static void
consumer_thread(vkm_wl_thread *t, handoff_state *s, uint32_t c)
{
    const uint32_t producers = s->producers;
    const size_t stride = s->consumers;
    uint64_t ops = 0;
    uint32_t round = 0;

    vkm_wl_start(t);
    while (vkm_wl_running(t, ops)) {
        uint32_t got = 0;
        for (uint32_t p = 0; p < producers; p++)
            got += consume(t, &s->rings[p * stride + c], POP_BURST);
        ops += got;
        if (got != 0) {
            round = 0;
            continue;
        }
        /* Acquire: pairs with the producers' release; see producer_thread. */
        if (atomic_load_explicit(&s->xproducers_done, memory_order_acquire) == producers) {
            for (uint32_t p = 0; p < producers; p++)
                got += consume(t, &s->rings[p * stride + c], UINT32_MAX);
            ops += got;
            if (got == 0)
                break;
            continue;
        }
        vkm_wl_backoff(t, &round);
    }
    t->ops = ops;
    atomic_fetch_add_explicit(&s->xconsumers_done, 1, memory_order_relaxed);
    vkm_wl_quiesce(t);

    /* Untimed: every producer has quiesced, so nothing more arrives. consume() stops at
     * the tail it saw last and looks again only once it gets there: call it until a
     * ring reads empty, or what was pushed after that look is never freed. */
    for (uint32_t p = 0; p < producers; p++)
        while (consume(t, &s->rings[p * stride + c], UINT32_MAX) != 0) {
        }
}

static void
handoff_thread(vkm_wl_thread *t)
{
    handoff_state *s = t->state;
    if (t->threads == 1)
        solo_thread(t);
    else if (t->index < s->producers)
        producer_thread(t, s, t->index);
    else
        consumer_thread(t, s, t->index - s->producers);
}

const vkm_workload vkm_wl_handoff = {
    .name = "handoff",
    .summary = "half the threads allocate (1 - 64 KiB) and pass the allocations through "
               "lock-free SPSC rings to the other half, which free them",
    .setup = handoff_setup,
    .thread_main = handoff_thread,
    .teardown = handoff_teardown,
    .host_reference_ok = true,
};
