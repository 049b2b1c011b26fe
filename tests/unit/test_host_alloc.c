/* SPDX-License-Identifier: MIT */
/*
 * test_host_alloc.c - host metadata allocation (src/host_alloc.h): blocks of every small
 * size keep their contents while other blocks come and go (the per-thread magazines of
 * the jemalloc backend hand a freed block to any request of its size class, and a wrong
 * class would overlap a neighbour); threads exit with blocks cached and others free
 * blocks they did not allocate; user callbacks see every allocation and free.
 * Debug builds with jemalloc also check every sized free against jemalloc's own size.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "host_alloc.h"
#include "test.h"

#define LIVE 64u
#define MAX_SIZE 200u /* past the magazines' 128 bytes */

typedef struct live_block {
    unsigned char *p;
    size_t size;
    unsigned id; /* the stream test's sequence number */
} live_block;

static uint64_t
next_rand(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1Dull;
}

static unsigned char
pattern(const live_block *b)
{
    return (unsigned char)((uintptr_t)b->p >> 4 ^ b->size);
}

/* Bytes [from, size) hold the block's pattern. */
static bool
block_intact_from(const live_block *b, size_t from)
{
    const unsigned char v = pattern(b);
    for (size_t i = from; i < b->size; i++)
        if (b->p[i] != v)
            return false;
    return true;
}

static bool
block_intact(const live_block *b)
{
    return block_intact_from(b, 0);
}

static void
fill(live_block *b)
{
    memset(b->p, pattern(b), b->size);
}

/* `ops` random frees and allocations over LIVE slots; returns the number of blocks found
 * damaged or misaligned. Leaves the blocks in `live` (freed by the caller). */
static unsigned
churn(const vkm_host_alloc *ha, live_block *live, uint64_t seed, unsigned ops)
{
    unsigned bad = 0;
    uint64_t x = seed | 1u;
    for (unsigned i = 0; i < ops; i++) {
        live_block *b = &live[next_rand(&x) % LIVE];
        if (b->p != NULL) {
            bad += block_intact(b) ? 0u : 1u;
            vkm_host_alloc_free(ha, b->p, b->size);
        }
        b->size = 1 + next_rand(&x) % MAX_SIZE;
        b->p = vkm_host_alloc_alloc(ha, b->size, 0);
        /* host_alloc.h promises 16-byte alignment for every size, the smallest too */
        if (b->p == NULL || ((uintptr_t)b->p & 15u) != 0) {
            bad++;
            b->p = NULL;
            continue;
        }
        fill(b);
    }
    return bad;
}

static void
free_all(const vkm_host_alloc *ha, live_block *live, unsigned *bad)
{
    for (unsigned i = 0; i < LIVE; i++) {
        if (live[i].p == NULL)
            continue;
        *bad += block_intact(&live[i]) ? 0u : 1u;
        vkm_host_alloc_free(ha, live[i].p, live[i].size);
        live[i].p = NULL;
    }
}

TEST(host_alloc_small_blocks_keep_their_contents_across_reuse)
{
    vkm_host_alloc ha;
    live_block live[LIVE] = {{0}};
    ASSERT_EQ(vkm_host_alloc_init(&ha, NULL), VK_SUCCESS);
    /* every size once, freed at once: the next size of the class reuses the block */
    for (size_t s = 1; s <= MAX_SIZE; s++) {
        live_block b = {vkm_host_alloc_alloc(&ha, s, 0), s, 0};
        ASSERT_TRUE(b.p != NULL);
        fill(&b);
        EXPECT_TRUE(block_intact(&b));
        vkm_host_alloc_free(&ha, b.p, s);
    }
    unsigned bad = churn(&ha, live, 42, 200000);
    free_all(&ha, live, &bad);
    EXPECT_EQ(bad, 0);
}

/* Blocks made by one thread, freed by another (into its cache), and threads that exit
 * with blocks cached: nothing is damaged, and (debug builds) every sized free matches. */
typedef struct churn_thread {
    pthread_t thread;
    const vkm_host_alloc *ha;
    live_block *hand_over; /* LIVE blocks left for the next thread to free */
    uint64_t seed;
    unsigned bad;
} churn_thread;

static void *
churn_thread_main(void *p)
{
    churn_thread *t = p;
    if (t->hand_over != NULL)
        free_all(t->ha, t->hand_over, &t->bad);
    live_block *live = calloc(LIVE, sizeof *live);
    if (live == NULL) {
        t->bad++;
        return NULL;
    }
    t->bad += churn(t->ha, live, t->seed, 20000);
    t->hand_over = live; /* the caller hands them to the next thread */
    return NULL;
}

TEST(host_alloc_threads_exit_with_cached_blocks_and_free_each_others)
{
    vkm_host_alloc ha;
    ASSERT_EQ(vkm_host_alloc_init(&ha, NULL), VK_SUCCESS);
    live_block *carry = NULL;
    unsigned bad = 0;
    for (unsigned round = 0; round < 16; round++) {
        churn_thread t = {.ha = &ha, .hand_over = carry, .seed = 1000u + round};
        ASSERT_EQ(pthread_create(&t.thread, NULL, churn_thread_main, &t), 0);
        pthread_join(t.thread, NULL);
        free(carry);
        carry = t.hand_over;
        bad += t.bad;
    }
    if (carry != NULL) {
        free_all(&ha, carry, &bad);
        free(carry);
    }
    EXPECT_EQ(bad, 0);
}

/* A loader's pattern at volume: one thread only allocates, the others only free what
 * it hands them, concurrently, so freed blocks overflow the freeing threads' caches and
 * come back to the allocating thread from elsewhere (the jemalloc backend's depot).
 * Every block is checked intact before it is freed, and no block is handed out twice
 * while live (two owners would overwrite each other's pattern). */
#define STREAM_BLOCKS 20000u
#define STREAM_SIZE 112u
#define STREAM_FREERS 3u

typedef struct stream_queue {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    live_block blocks[STREAM_BLOCKS];
    unsigned head, tail; /* under lock: [head, tail) are live blocks to free */
    bool done;           /* under lock: nothing more comes */
} stream_queue;

typedef struct stream_freer {
    pthread_t thread;
    const vkm_host_alloc *ha;
    stream_queue *q;
    unsigned freed, bad;
} stream_freer;

static void *
stream_freer_main(void *p)
{
    stream_freer *f = p;
    stream_queue *q = f->q;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (q->head == q->tail && !q->done)
            pthread_cond_wait(&q->cv, &q->lock);
        if (q->head == q->tail) {
            pthread_mutex_unlock(&q->lock);
            return NULL;
        }
        live_block b = q->blocks[q->head++];
        pthread_mutex_unlock(&q->lock);
        /* The block's first word is its sequence number (the rest its pattern): a block
         * handed out twice while live carries the later number. */
        unsigned id;
        memcpy(&id, b.p, sizeof(id));
        f->bad += id == b.id && block_intact_from(&b, sizeof(id)) ? 0u : 1u;
        vkm_host_alloc_free(f->ha, b.p, b.size);
        f->freed++;
    }
}

TEST(host_alloc_blocks_freed_on_other_threads_come_back_to_the_allocating_one)
{
    vkm_host_alloc ha;
    ASSERT_EQ(vkm_host_alloc_init(&ha, NULL), VK_SUCCESS);
    stream_queue *q = calloc(1, sizeof(*q));
    ASSERT_TRUE(q != NULL);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->cv, NULL);
    stream_freer freers[STREAM_FREERS];
    for (unsigned i = 0; i < STREAM_FREERS; i++) {
        freers[i] = (stream_freer){.ha = &ha, .q = q};
        ASSERT_EQ(pthread_create(&freers[i].thread, NULL, stream_freer_main, &freers[i]), 0);
    }
    unsigned bad = 0;
    for (unsigned i = 0; i < STREAM_BLOCKS; i++) {
        live_block b = {vkm_host_alloc_alloc(&ha, STREAM_SIZE, 0), STREAM_SIZE, 0};
        if (b.p == NULL || ((uintptr_t)b.p & 15u) != 0) {
            bad++;
            continue;
        }
        fill(&b);
        b.id = i;
        memcpy(b.p, &i, sizeof(i));
        pthread_mutex_lock(&q->lock);
        q->blocks[q->tail++] = b;
        pthread_cond_signal(&q->cv);
        pthread_mutex_unlock(&q->lock);
    }
    pthread_mutex_lock(&q->lock);
    q->done = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->lock);
    unsigned freed = 0;
    for (unsigned i = 0; i < STREAM_FREERS; i++) {
        pthread_join(freers[i].thread, NULL);
        bad += freers[i].bad;
        freed += freers[i].freed;
    }
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(freed + bad, STREAM_BLOCKS);
    /* The blocks the freers kept back serve this thread now: a window of live blocks
     * that must stay intact and distinct while they come from every cache. */
    live_block *live = calloc(LIVE, sizeof(*live));
    ASSERT_TRUE(live != NULL);
    bad = churn(&ha, live, 7, 50000);
    free_all(&ha, live, &bad);
    free(live);
    EXPECT_EQ(bad, 0);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

/* With VkAllocationCallbacks nothing is kept back: every call reaches the user. */
typedef struct counting {
    unsigned allocs, frees;
} counting;

static void *
count_alloc(void *user, size_t size, size_t align, VkSystemAllocationScope scope)
{
    (void)scope;
    ((counting *)user)->allocs++;
    return aligned_alloc(align, (size + align - 1) / align * align);
}

static void
count_free(void *user, void *p)
{
    if (p != NULL)
        ((counting *)user)->frees++;
    free(p);
}

TEST(host_alloc_user_callbacks_see_every_small_allocation_and_free)
{
    counting c = {0, 0};
    const VkAllocationCallbacks cb = {
        .pUserData = &c, .pfnAllocation = count_alloc, .pfnFree = count_free};
    vkm_host_alloc ha;
    ASSERT_EQ(vkm_host_alloc_init(&ha, &cb), VK_SUCCESS);
    for (unsigned i = 0; i < 100; i++) {
        void *p = vkm_host_alloc_alloc(&ha, 112, 8);
        ASSERT_TRUE(p != NULL);
        vkm_host_alloc_free(&ha, p, 112);
    }
    EXPECT_EQ(c.allocs, 100);
    EXPECT_EQ(c.frees, 100);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
