/* SPDX-License-Identifier: MIT */
/*
 * test_linear.c - the linear range allocator alone: exact offsets of each usage pattern
 * VMA documents for its linear algorithm (free-at-once, stack, double stack, ring
 * buffer), alignment, granularity, statistics and visits, host-memory failure, and a
 * random run checked for invariants after every step. Environment: VKM_TEST_SEED.
 */
#include <stdlib.h>

#include "debug.h"
#include "linear.h"
#include "test.h"

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

static vkm_linear *
make(uint64_t size, uint64_t granularity)
{
    vkm_linear *l = NULL;
    if (vkm_linear_create(ha(), size, granularity, &l) != VKM_RANGE_OK)
        return NULL;
    return l;
}

/* Allocates or returns VKM_NO_OFFSET (checking that a failure wrote VKM_NO_OFFSET). */
static uint64_t
alloc_k(vkm_linear *l, uint64_t size, uint64_t alignment, vkm_range_kind kind, bool upper)
{
    vkm_range_request r = {size, alignment, kind, VKM_RANGE_STRATEGY_DEFAULT, NULL, upper};
    uint64_t off = 12345;
    vkm_range_status st = vkm_linear_alloc(l, &r, &off);
    if (st != VKM_RANGE_OK) {
        if (off != VKM_NO_OFFSET)
            vkm_test_fail(__FILE__, __LINE__, "failed alloc left offset %llu",
                          (unsigned long long)off);
        return VKM_NO_OFFSET;
    }
    if (!vkm_linear_validate(l))
        vkm_test_fail(__FILE__, __LINE__, "invalid after alloc");
    return off;
}

static uint64_t
lo(vkm_linear *l, uint64_t size, uint64_t alignment)
{
    return alloc_k(l, size, alignment, VKM_RANGE_BUFFER, false);
}

static uint64_t
up(vkm_linear *l, uint64_t size, uint64_t alignment)
{
    return alloc_k(l, size, alignment, VKM_RANGE_BUFFER, true);
}

static void
fr(vkm_linear *l, uint64_t offset)
{
    vkm_linear_free(l, offset);
    if (!vkm_linear_validate(l))
        vkm_test_fail(__FILE__, __LINE__, "invalid after free of %llu", (unsigned long long)offset);
}

/* ---- visit capture ---------------------------------------------------------------------- */

typedef struct seen {
    uint64_t r[32][3]; /* offset, size, free? */
    int n;
} seen;

static void
record(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    seen *s = ctx;
    VKM_UNUSED(user);
    if (s->n < 32) {
        s->r[s->n][0] = offset;
        s->r[s->n][1] = size;
        s->r[s->n][2] = kind == VKM_RANGE_FREE;
    }
    s->n++;
}

#define IS_FREE 1
#define IS_USED 0

#define EXPECT_LAYOUT(l, ...)                                                 \
    do {                                                                      \
        const uint64_t want_[][3] = {__VA_ARGS__};                            \
        seen s_;                                                              \
        memset(&s_, 0, sizeof(s_));                                           \
        vkm_linear_visit((l), record, &s_);                                   \
        EXPECT_EQ(s_.n, (int)VKM_ARRAY_LEN(want_));                           \
        for (int i_ = 0; i_ < s_.n && i_ < (int)VKM_ARRAY_LEN(want_); i_++) { \
            EXPECT_EQ_U64(s_.r[i_][0], want_[i_][0]);                         \
            EXPECT_EQ_U64(s_.r[i_][1], want_[i_][1]);                         \
            EXPECT_EQ_U64(s_.r[i_][2], want_[i_][2]);                         \
        }                                                                     \
    } while (0)

/* ---- free-at-once and stack ------------------------------------------------------------- */

TEST(linear_places_each_range_after_the_last_and_never_reuses_the_middle)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_LAYOUT(l, {0, 1000, IS_FREE});
    EXPECT_EQ_U64(lo(l, 100, 1), 0);
    EXPECT_EQ_U64(lo(l, 200, 1), 100);
    EXPECT_EQ_U64(lo(l, 50, 1), 300);
    fr(l, 100); /* a hole in the middle: not reused */
    EXPECT_EQ_U64(lo(l, 10, 1), 350);
    EXPECT_LAYOUT(l, {0, 100, IS_USED}, {100, 200, IS_FREE}, {300, 50, IS_USED}, {350, 10, IS_USED},
                  {360, 640, IS_FREE});
    EXPECT_EQ(vkm_linear_alloc_count(l), 3);
    EXPECT_EQ_U64(vkm_linear_free_bytes(l), 1000 - 160);
    vkm_linear_destroy(l);
}

TEST(linear_free_at_once_starts_again_at_zero)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    uint64_t a = lo(l, 100, 1), b = lo(l, 200, 1), c = lo(l, 300, 1);
    EXPECT_EQ_U64(c, 300);
    fr(l, b); /* any order */
    fr(l, a);
    EXPECT_FALSE(vkm_linear_is_empty(l));
    EXPECT_EQ_U64(lo(l, 100, 1), 600); /* still after the last live range */
    fr(l, c);
    fr(l, 600);
    EXPECT_TRUE(vkm_linear_is_empty(l));
    EXPECT_LAYOUT(l, {0, 1000, IS_FREE});
    EXPECT_EQ_U64(lo(l, 1000, 1), 0); /* the whole range again */
    vkm_linear_destroy(l);
}

TEST(linear_stack_frees_from_the_top_reuse_the_space)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(lo(l, 100, 1), 0);
    EXPECT_EQ_U64(lo(l, 100, 1), 100);
    EXPECT_EQ_U64(lo(l, 100, 1), 200);
    fr(l, 200);
    EXPECT_EQ_U64(lo(l, 50, 1), 200); /* LIFO: the top's space comes back */
    fr(l, 200);
    fr(l, 100);
    EXPECT_EQ_U64(lo(l, 10, 1), 100);
    /* a hole below the top is reclaimed together with the top */
    EXPECT_EQ_U64(lo(l, 100, 1), 110);
    EXPECT_EQ_U64(lo(l, 100, 1), 210);
    fr(l, 110);
    EXPECT_EQ_U64(lo(l, 1, 1), 310);
    fr(l, 310);
    fr(l, 210);
    EXPECT_EQ_U64(lo(l, 1, 1), 110); /* right after the 10 bytes at 100 */
    EXPECT_LAYOUT(l, {0, 100, IS_USED}, {100, 10, IS_USED}, {110, 1, IS_USED}, {111, 889, IS_FREE});
    vkm_linear_destroy(l);
}

TEST(linear_alignment_pads_and_the_padding_stays_free)
{
    vkm_linear *l = make(4096, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(lo(l, 10, 1), 0);
    EXPECT_EQ_U64(lo(l, 1, 64), 64);
    EXPECT_EQ_U64(lo(l, 1, 1), 65);
    EXPECT_EQ_U64(lo(l, 100, 1024), 1024);
    EXPECT_LAYOUT(l, {0, 10, IS_USED}, {10, 54, IS_FREE}, {64, 1, IS_USED}, {65, 1, IS_USED},
                  {66, 958, IS_FREE}, {1024, 100, IS_USED}, {1124, 2972, IS_FREE});
    EXPECT_EQ_U64(lo(l, 1, 4096), VKM_NO_OFFSET); /* 4096 is past the end */
    EXPECT_EQ_U64(lo(l, 2973, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(lo(l, 2972, 1), 1124); /* exactly the rest */
    vkm_linear_destroy(l);
}

TEST(linear_rejects_requests_larger_than_the_capacity)
{
    vkm_linear *l = make(100, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(lo(l, 101, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(up(l, 101, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(lo(l, UINT64_MAX, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(lo(l, 100, 1), 0);
    EXPECT_TRUE(vkm_linear_validate(l));
    vkm_linear_destroy(l);
}

/* ---- ring buffer ------------------------------------------------------------------------- */

TEST(linear_ring_buffer_wraps_to_the_freed_beginning)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(lo(l, 400, 1), 0);
    EXPECT_EQ_U64(lo(l, 400, 1), 400);
    EXPECT_EQ_U64(lo(l, 300, 1), VKM_NO_OFFSET); /* 200 left at the end, nothing freed */
    fr(l, 0);
    EXPECT_EQ_U64(lo(l, 300, 1), 0);   /* wraps around */
    EXPECT_EQ_U64(lo(l, 100, 1), 300); /* fills up to the first live range */
    EXPECT_LAYOUT(l, {0, 300, IS_USED}, {300, 100, IS_USED}, {400, 400, IS_USED},
                  {800, 200, IS_FREE});
    /* wrapped: the space at the end is not used until the first lap is gone */
    EXPECT_EQ_U64(lo(l, 1, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(vkm_linear_largest_free_bound(l), 0);
    /* the upper stack cannot be used while the ring is wrapped */
    EXPECT_EQ_U64(up(l, 1, 1), VKM_NO_OFFSET);
    fr(l, 400); /* first lap gone: the second lap becomes the first */
    EXPECT_EQ_U64(lo(l, 150, 1), 400);
    EXPECT_EQ_U64(lo(l, 450, 1), 550);
    EXPECT_EQ_U64(lo(l, 1, 1), VKM_NO_OFFSET);
    vkm_linear_destroy(l);
}

TEST(linear_ring_buffer_fifo_cycles_through_the_same_offsets)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    uint64_t q[3];
    for (int i = 0; i < 3; i++)
        q[i] = lo(l, 300, 1);
    EXPECT_EQ_U64(q[0], 0);
    EXPECT_EQ_U64(q[1], 300);
    EXPECT_EQ_U64(q[2], 600);
    for (int i = 3; i < 60; i++) {
        fr(l, q[i % 3]); /* the oldest */
        q[i % 3] = lo(l, 300, 1);
        EXPECT_EQ_U64(q[i % 3], (uint64_t)(i % 3) * 300u);
    }
    EXPECT_EQ(vkm_linear_alloc_count(l), 3);
    vkm_linear_destroy(l);
}

TEST(linear_ring_wrap_respects_alignment_and_the_first_live_range)
{
    vkm_linear *l = make(1024, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(lo(l, 100, 1), 0);
    EXPECT_EQ_U64(lo(l, 100, 1), 100);
    EXPECT_EQ_U64(lo(l, 800, 1), 200);
    fr(l, 0);
    fr(l, 100);
    EXPECT_EQ_U64(lo(l, 50, 1), 0);                /* wrapped */
    EXPECT_EQ_U64(lo(l, 100, 128), VKM_NO_OFFSET); /* 128 + 100 > 200 */
    EXPECT_EQ_U64(lo(l, 100, 64), 64);
    EXPECT_EQ_U64(lo(l, 36, 1), 164);
    EXPECT_EQ_U64(lo(l, 1, 1), VKM_NO_OFFSET);
    vkm_range_stats st;
    vkm_linear_stats(l, &st);
    EXPECT_EQ(st.alloc_count, 4);
    EXPECT_EQ_U64(st.alloc_bytes, 50 + 100 + 36 + 800);
    EXPECT_EQ(st.free_count, 2); /* [50, 64) and [1000, 1024) */
    EXPECT_EQ_U64(st.free_min, 14);
    EXPECT_EQ_U64(st.free_max, 24);
    vkm_linear_destroy(l);
}

/* ---- double stack ------------------------------------------------------------------------ */

TEST(linear_upper_address_grows_down_from_the_end)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(up(l, 100, 16), 896); /* 900 aligned down */
    EXPECT_EQ_U64(up(l, 96, 1), 800);
    EXPECT_EQ_U64(lo(l, 10, 1), 0);
    EXPECT_LAYOUT(l, {0, 10, IS_USED}, {10, 790, IS_FREE}, {800, 96, IS_USED}, {896, 100, IS_USED},
                  {996, 4, IS_FREE});
    fr(l, 800); /* the top of the upper stack */
    EXPECT_EQ_U64(up(l, 4, 1), 892);
    vkm_linear_destroy(l);
}

TEST(linear_double_stack_fails_where_the_stacks_meet_and_recovers_after_frees)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(lo(l, 300, 1), 0);
    EXPECT_EQ_U64(up(l, 200, 1), 800);
    EXPECT_EQ_U64(up(l, 100, 64), 640);
    EXPECT_EQ_U64(lo(l, 300, 1), 300);
    /* 40 bytes left between 600 and 640 */
    EXPECT_EQ_U64(vkm_linear_largest_free_bound(l), 40);
    EXPECT_EQ_U64(lo(l, 100, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(up(l, 50, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(lo(l, 40, 1), 600); /* exactly fills the middle */
    EXPECT_EQ_U64(up(l, 1, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(lo(l, 1, 1), VKM_NO_OFFSET);
    fr(l, 600);
    fr(l, 640); /* the upper top: the upper stack is back at 800 */
    EXPECT_EQ_U64(lo(l, 100, 1), 600);
    EXPECT_EQ_U64(up(l, 50, 1), 750);
    /* with the upper stack in use a lower request never wraps, even over freed space */
    fr(l, 0);
    EXPECT_EQ_U64(lo(l, 60, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(lo(l, 50, 1), 700);
    vkm_range_stats st;
    vkm_linear_stats(l, &st);
    EXPECT_EQ(st.alloc_count, 5);
    EXPECT_EQ_U64(st.alloc_bytes, 300 + 100 + 50 + 50 + 200);
    EXPECT_EQ(st.free_count, 1); /* [0, 300) */
    EXPECT_EQ_U64(st.free_max, 300);
    /* emptying the upper stack allows wrapping again */
    fr(l, 750);
    fr(l, 800);
    EXPECT_EQ_U64(lo(l, 250, 1), 750);
    EXPECT_EQ_U64(lo(l, 300, 1), 0); /* wraps */
    vkm_linear_destroy(l);
}

TEST(linear_upper_stack_frees_in_any_order)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(up(l, 100, 1), 900);
    EXPECT_EQ_U64(up(l, 100, 1), 800);
    EXPECT_EQ_U64(up(l, 100, 1), 700);
    fr(l, 800); /* middle: a hole */
    EXPECT_EQ_U64(up(l, 100, 1), 600);
    fr(l, 600);
    fr(l, 700); /* reclaims the hole too */
    EXPECT_EQ_U64(up(l, 50, 1), 850);
    fr(l, 900);
    fr(l, 850);
    EXPECT_TRUE(vkm_linear_is_empty(l));
    EXPECT_EQ_U64(up(l, 1000, 1), 0);
    vkm_linear_destroy(l);
}

/* ---- granularity ------------------------------------------------------------------------- */

TEST(linear_granularity_separates_conflicting_kinds)
{
    vkm_linear *l = make(4096, 1024);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_BUFFER, false), 0);
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_IMAGE_LINEAR, false), 100); /* both linear */
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_IMAGE_OPTIMAL, false), 1024);
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_BUFFER, false), 2048);
    /* upper: below a conflicting top on its page moves down to the page start */
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_IMAGE_OPTIMAL, true), 3996);
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_BUFFER, true), 3072 - 100);
    /* 2148..2872 is free, but an optimal image would share 2048's page with a buffer */
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_IMAGE_OPTIMAL, false), VKM_NO_OFFSET);
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_BUFFER, false), 2148);
    vkm_linear_destroy(l);
}

TEST(linear_granularity_conflict_with_the_other_side_fails)
{
    vkm_linear *l = make(4096, 1024);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_BUFFER, true), 3996);
    EXPECT_EQ_U64(alloc_k(l, 3000, 1, VKM_RANGE_IMAGE_OPTIMAL, false), 0);
    /* would end on 3996's page, which holds a buffer */
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_IMAGE_OPTIMAL, false), VKM_NO_OFFSET);
    EXPECT_EQ_U64(alloc_k(l, 50, 1, VKM_RANGE_IMAGE_OPTIMAL, false), 3000);
    EXPECT_EQ_U64(alloc_k(l, 100, 1, VKM_RANGE_BUFFER, true), 3896);
    EXPECT_EQ_U64(alloc_k(l, 800, 1, VKM_RANGE_BUFFER, true), 3096);
    /* would start on the page of the optimal image at 3000 */
    EXPECT_EQ_U64(alloc_k(l, 40, 1, VKM_RANGE_BUFFER, true), VKM_NO_OFFSET);
    EXPECT_EQ_U64(alloc_k(l, 24, 1, VKM_RANGE_BUFFER, true), 3072);
    vkm_linear_destroy(l);
}

/* Upper stack below a conflicting neighbour: VMA aligns the start down to a page boundary
 * when that clears the neighbour's page (VMA's offset, the highest such); only where it
 * does not is the end moved below the neighbour's page. */
TEST(linear_upper_conflict_takes_vmas_page_aligned_start_when_it_clears)
{
    vkm_linear *l = make(256 * 1024, 1024);
    ASSERT_TRUE(l != NULL);
    EXPECT_EQ_U64(alloc_k(l, 708, 256, VKM_RANGE_BUFFER, true), 261376);
    /* 261376 - 5002 = 256374 ends on the buffer's page; 256000 ends on the page before */
    EXPECT_EQ_U64(alloc_k(l, 5002, 1, VKM_RANGE_UNKNOWN, true), 256000);
    vkm_linear_destroy(l);
}

/* ---- statistics, clear, user pointers ----------------------------------------------------- */

TEST(linear_stats_count_holes_as_part_of_the_free_ranges)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    vkm_range_stats st;
    vkm_linear_stats(l, &st);
    EXPECT_EQ(st.alloc_count, 0);
    EXPECT_EQ_U64(st.alloc_min, UINT64_MAX);
    EXPECT_EQ_U64(st.alloc_max, 0);
    EXPECT_EQ(st.free_count, 1);
    EXPECT_EQ_U64(st.free_min, 1000);
    lo(l, 100, 1);
    lo(l, 200, 1);
    lo(l, 300, 1);
    lo(l, 400, 1);
    fr(l, 100);
    fr(l, 300);
    vkm_linear_stats(l, &st);
    EXPECT_EQ(st.alloc_count, 2);
    EXPECT_EQ_U64(st.alloc_bytes, 500);
    EXPECT_EQ_U64(st.alloc_min, 100);
    EXPECT_EQ_U64(st.alloc_max, 400);
    EXPECT_EQ(st.free_count, 1); /* the two holes touch: [100, 600) */
    EXPECT_EQ_U64(st.free_bytes, 500);
    EXPECT_EQ_U64(st.free_min, 500);
    EXPECT_EQ_U64(st.free_max, 500);
    vkm_linear_destroy(l);
}

TEST(linear_clear_frees_everything_and_keeps_working)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    lo(l, 100, 1);
    up(l, 100, 1);
    vkm_linear_clear(l);
    EXPECT_TRUE(vkm_linear_is_empty(l));
    EXPECT_EQ_U64(vkm_linear_free_bytes(l), 1000);
    EXPECT_TRUE(vkm_linear_validate(l));
    EXPECT_EQ_U64(lo(l, 10, 1), 0);
    EXPECT_EQ_U64(up(l, 10, 1), 990);
    vkm_linear_destroy(l);
}

TEST(linear_user_pointers_and_lookups)
{
    vkm_linear *l = make(1000, 1);
    ASSERT_TRUE(l != NULL);
    int x, y;
    vkm_range_request r = {10, 1, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT, &x, false};
    uint64_t off;
    ASSERT_EQ(vkm_linear_alloc(l, &r, &off), VKM_RANGE_OK);
    r.upper = true;
    uint64_t off2;
    ASSERT_EQ(vkm_linear_alloc(l, &r, &off2), VKM_RANGE_OK);
    EXPECT_TRUE(vkm_linear_user(l, off) == &x);
    EXPECT_TRUE(vkm_linear_user(l, off2) == &x);
    vkm_linear_set_user(l, off2, &y);
    EXPECT_TRUE(vkm_linear_user(l, off2) == &y);
    EXPECT_EQ_U64(vkm_linear_size_of(l, off2), 10);
    EXPECT_EQ(vkm_linear_kind_of(l, off), VKM_RANGE_IMAGE_OPTIMAL);
    EXPECT_TRUE(vkm_linear_contains(l, 0));
    EXPECT_TRUE(vkm_linear_contains(l, 990));
    EXPECT_FALSE(vkm_linear_contains(l, 5));
    EXPECT_FALSE(vkm_linear_contains(l, 500));
    vkm_linear_free(l, 0);
    EXPECT_FALSE(vkm_linear_contains(l, 0));
    vkm_linear_destroy(l);
}

TEST(linear_many_holes_are_compacted_without_moving_ranges)
{
    vkm_linear *l = make(1u << 20, 1);
    ASSERT_TRUE(l != NULL);
    for (uint64_t i = 0; i < 1000; i++)
        ASSERT_EQ_U64(lo(l, 1, 1), i);
    for (uint64_t i = 1; i < 999; i += 2)
        fr(l, i); /* holes in the middle */
    for (uint64_t i = 0; i < 3000; i++)
        ASSERT_EQ_U64(lo(l, 1, 1), 1000 + i);
    for (uint64_t i = 0; i < 999; i += 2)
        fr(l, i); /* the front: the first lap's head moves far */
    EXPECT_EQ(vkm_linear_alloc_count(l), 3001);
    EXPECT_EQ_U64(lo(l, 1, 1), 4000);
    EXPECT_TRUE(vkm_linear_contains(l, 999));
    EXPECT_TRUE(vkm_linear_contains(l, 2500));
    vkm_range_stats st;
    vkm_linear_stats(l, &st);
    EXPECT_EQ(st.free_count, 2);
    EXPECT_EQ_U64(st.free_min, 999);
    vkm_linear_destroy(l);
}

/* ---- host memory failure ------------------------------------------------------------------ */

typedef struct oom_ctx {
    long budget; /* allocations left before failing; negative: unlimited */
    long live;
} oom_ctx;

static void *VKAPI_PTR
oom_alloc(void *ud, size_t size, size_t align, VkSystemAllocationScope scope)
{
    oom_ctx *c = ud;
    VKM_UNUSED(scope);
    if (c->budget == 0)
        return NULL;
    if (c->budget > 0)
        c->budget--;
    void *p = aligned_alloc(align, (size + align - 1) / align * align);
    if (p != NULL)
        c->live++;
    return p;
}

static void VKAPI_PTR
oom_free(void *ud, void *p)
{
    oom_ctx *c = ud;
    if (p == NULL)
        return;
    c->live--;
    free(p);
}

TEST(linear_alloc_without_host_memory_leaves_the_allocator_unchanged)
{
    oom_ctx c = {-1, 0};
    VkAllocationCallbacks cb = {0};
    cb.pUserData = &c;
    cb.pfnAllocation = oom_alloc;
    cb.pfnFree = oom_free;
    vkm_host_alloc h;
    vkm_host_alloc_init(&h, &cb);
    c.budget = 0;
    vkm_linear *l = (vkm_linear *)&c;
    EXPECT_EQ(vkm_linear_create(&h, 1000, 1, &l), VKM_RANGE_NO_HOST_MEMORY);
    EXPECT_TRUE(l == NULL);
    c.budget = -1;
    ASSERT_EQ(vkm_linear_create(&h, 1000, 1, &l), VKM_RANGE_OK);
    int failures = 0;
    for (uint64_t i = 0; i < 200; i++) {
        c.budget = (long)(i % 3); /* fail now and then */
        vkm_range_request r = {1,    1,           VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT,
                               NULL, (i & 1) != 0};
        uint32_t count = vkm_linear_alloc_count(l);
        uint64_t off = 0;
        vkm_range_status st = vkm_linear_alloc(l, &r, &off);
        if (st == VKM_RANGE_NO_HOST_MEMORY) {
            failures++;
            EXPECT_EQ_U64(off, VKM_NO_OFFSET);
            EXPECT_EQ(vkm_linear_alloc_count(l), count);
        } else {
            EXPECT_EQ(st, VKM_RANGE_OK);
        }
        EXPECT_TRUE(vkm_linear_validate(l));
    }
    c.budget = 0;
    vkm_linear_clear(l); /* never allocates */
    c.budget = -1;
    vkm_linear_destroy(l);
    EXPECT_GT(failures, 0);
    EXPECT_EQ(c.live, 0);
}

/* ---- random run ---------------------------------------------------------------------------- */

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

TEST(linear_random_run_keeps_every_invariant)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    const char *env = getenv("VKM_TEST_SEED");
    if (env != NULL)
        seed = strtoull(env, NULL, 0) | 1u;
    uint64_t s = seed;
    const uint64_t g[] = {1, 1, 256};
    for (int cfg = 0; cfg < 3; cfg++) {
        vkm_linear *l = make(1u << 16, g[cfg]);
        ASSERT_TRUE(l != NULL);
        uint64_t live[512];
        uint64_t sizes[512];
        size_t n = 0;
        uint64_t bytes = 0;
        for (int step = 0; step < 20000; step++) {
            uint64_t p = rnd(&s) % 100;
            if (n < 512 && (p < 55 || n == 0)) {
                vkm_range_request r = {1 + rnd(&s) % 4096,
                                       1ull << (rnd(&s) % 8),
                                       (vkm_range_kind)(1 + rnd(&s) % 5),
                                       VKM_RANGE_STRATEGY_DEFAULT,
                                       NULL,
                                       cfg == 1 && rnd(&s) % 3 == 0};
                bool was_empty = n == 0;
                uint64_t off;
                vkm_range_status st = vkm_linear_alloc(l, &r, &off);
                if (st == VKM_RANGE_OK) {
                    ASSERT_EQ_U64(off % r.alignment, 0);
                    ASSERT_TRUE(off + r.size <= (1u << 16));
                    if (was_empty && !r.upper)
                        ASSERT_EQ_U64(off, 0);
                    for (size_t i = 0; i < n; i++)
                        ASSERT_TRUE(off + r.size <= live[i] || live[i] + sizes[i] <= off);
                    live[n] = off;
                    sizes[n++] = r.size;
                    bytes += r.size;
                } else {
                    ASSERT_EQ(st, VKM_RANGE_NO_SPACE);
                }
            } else if (n > 0) {
                /* mostly FIFO or LIFO, sometimes anywhere */
                size_t i = p < 80 ? 0 : p < 95 ? n - 1 : (size_t)(rnd(&s) % n);
                ASSERT_EQ_U64(vkm_linear_size_of(l, live[i]), sizes[i]);
                vkm_linear_free(l, live[i]);
                bytes -= sizes[i];
                memmove(&live[i], &live[i + 1], (n - i - 1) * sizeof(live[0]));
                memmove(&sizes[i], &sizes[i + 1], (n - i - 1) * sizeof(sizes[0]));
                n--;
            }
            if (!vkm_linear_validate(l)) {
                vkm_test_fail(__FILE__, __LINE__, "invalid at step %d, VKM_TEST_SEED=%llu", step,
                              (unsigned long long)seed);
                vkm_test_abort_case();
            }
            ASSERT_EQ(vkm_linear_alloc_count(l), n);
            ASSERT_EQ_U64(vkm_linear_free_bytes(l), (1u << 16) - bytes);
        }
        vkm_linear_destroy(l);
    }
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
