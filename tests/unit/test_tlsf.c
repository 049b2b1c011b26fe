/* SPDX-License-Identifier: MIT */
/*
 * test_tlsf.c - the TLSF range allocator alone: splits and merges, alignment,
 * granularity, strategies, counters, host-memory failure, and a long random run checked
 * against a reference model. Environment: VKM_TEST_SEED (random run seed),
 * VKM_TLSF_OPS (random run length, default 200000).
 */
#include <stdlib.h>

#include "debug.h"
#include "test.h"
#include "tlsf.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)

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

static vkm_tlsf *
make(uint64_t size, uint64_t granularity)
{
    vkm_tlsf *t = NULL;
    if (vkm_tlsf_create(ha(), size, granularity, &t) != VKM_RANGE_OK)
        return NULL;
    return t;
}

static vkm_range_request
req_of(uint64_t size, uint64_t alignment, vkm_range_kind kind, vkm_range_strategy strategy)
{
    return (vkm_range_request){size, alignment, kind, strategy, NULL, false};
}

/* Allocates or returns VKM_NO_OFFSET. */
static uint64_t
alloc_k(vkm_tlsf *t, uint64_t size, uint64_t alignment, vkm_range_kind kind,
        vkm_range_strategy strategy)
{
    vkm_range_request r = req_of(size, alignment, kind, strategy);
    uint64_t off = 0;
    vkm_range_status st = vkm_tlsf_alloc(t, &r, &off);
    if (st != VKM_RANGE_OK) {
        if (off != VKM_NO_OFFSET)
            vkm_test_fail(__FILE__, __LINE__, "failed alloc left offset %llu",
                          (unsigned long long)off);
        return VKM_NO_OFFSET;
    }
    return off;
}

static uint64_t
alloc(vkm_tlsf *t, uint64_t size, uint64_t alignment)
{
    return alloc_k(t, size, alignment, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT);
}

/* ---- visit capture ---------------------------------------------------------------------- */

typedef struct seen_range {
    uint64_t offset, size;
    vkm_range_kind kind;
    void *user;
} seen_range;

typedef struct seen {
    seen_range r[64];
    int n;
    int overflow;
} seen;

static void
record(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    seen *s = ctx;
    if (s->n == (int)VKM_ARRAY_LEN(s->r)) {
        s->overflow = 1;
        return;
    }
    s->r[s->n++] = (seen_range){offset, size, kind, user};
}

static seen
capture(const vkm_tlsf *t)
{
    seen s;
    memset(&s, 0, sizeof(s));
    vkm_tlsf_visit(t, record, &s);
    return s;
}

/* Expects the ranges to be exactly these (offset, size, free?) triples. */
#define EXPECT_LAYOUT(t, ...)                                                 \
    do {                                                                      \
        const uint64_t want_[][3] = {__VA_ARGS__};                            \
        seen s_ = capture(t);                                                 \
        EXPECT_EQ(s_.n, (int)VKM_ARRAY_LEN(want_));                           \
        for (int i_ = 0; i_ < s_.n && i_ < (int)VKM_ARRAY_LEN(want_); i_++) { \
            EXPECT_EQ_U64(s_.r[i_].offset, want_[i_][0]);                     \
            EXPECT_EQ_U64(s_.r[i_].size, want_[i_][1]);                       \
            EXPECT_EQ((s_.r[i_].kind == VKM_RANGE_FREE), (int)want_[i_][2]);  \
        }                                                                     \
    } while (0)

#define IS_FREE 1
#define IS_USED 0

/* ---- basic shape ------------------------------------------------------------------------ */

TEST(tlsf_starts_as_one_free_range)
{
    vkm_tlsf *t = make(1 * MiB, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(vkm_tlsf_capacity(t), 1 * MiB);
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 1 * MiB);
    EXPECT_EQ(vkm_tlsf_alloc_count(t), 0);
    EXPECT_TRUE(vkm_tlsf_is_empty(t));
    EXPECT_LAYOUT(t, {0, 1 * MiB, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_first_alloc_starts_at_zero_and_splits_off_the_rest)
{
    vkm_tlsf *t = make(4096, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 100, 1), 0);
    EXPECT_LAYOUT(t, {0, 100, IS_USED}, {100, 3996, IS_FREE});
    EXPECT_EQ_U64(vkm_tlsf_size_of(t, 0), 100);
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 3996);
    EXPECT_FALSE(vkm_tlsf_is_empty(t));
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_exact_fit_takes_the_whole_range)
{
    vkm_tlsf *t = make(4096, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 4096, 4096), 0);
    EXPECT_LAYOUT(t, {0, 4096, IS_USED});
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 0);
    EXPECT_EQ_U64(alloc(t, 1, 1), VKM_NO_OFFSET);
    vkm_tlsf_free(t, 0);
    EXPECT_LAYOUT(t, {0, 4096, IS_FREE});

    /* an exact-size hole in the middle is filled without leftovers */
    EXPECT_EQ_U64(alloc(t, 1000, 1), 0);
    EXPECT_EQ_U64(alloc(t, 1000, 1), 1000);
    EXPECT_EQ_U64(alloc(t, 2096, 1), 2000);
    vkm_tlsf_free(t, 1000);
    EXPECT_EQ_U64(alloc(t, 1000, 8), 1000);
    EXPECT_LAYOUT(t, {0, 1000, IS_USED}, {1000, 1000, IS_USED}, {2000, 2096, IS_USED});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

/* ---- merge and split cases -------------------------------------------------------------- */

/* Four 256-byte ranges a b c d, then a 1 KiB tail: [a][b][c][d][tail] */
static vkm_tlsf *
four_ranges(void)
{
    vkm_tlsf *t = make(2048, 1);
    if (t == NULL)
        return NULL;
    for (uint64_t i = 0; i < 4; i++)
        if (alloc(t, 256, 256) != i * 256)
            vkm_test_fail(__FILE__, __LINE__, "setup: range %llu misplaced", (unsigned long long)i);
    return t;
}

TEST(tlsf_free_between_allocated_neighbours_stays_separate)
{
    vkm_tlsf *t = four_ranges();
    ASSERT_TRUE(t != NULL);
    vkm_tlsf_free(t, 256);
    EXPECT_LAYOUT(t, {0, 256, IS_USED}, {256, 256, IS_FREE}, {512, 256, IS_USED},
                  {768, 256, IS_USED}, {1024, 1024, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_merges_with_free_prev_only)
{
    vkm_tlsf *t = four_ranges();
    ASSERT_TRUE(t != NULL);
    vkm_tlsf_free(t, 256);
    vkm_tlsf_free(t, 512);
    EXPECT_LAYOUT(t, {0, 256, IS_USED}, {256, 512, IS_FREE}, {768, 256, IS_USED},
                  {1024, 1024, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_merges_with_free_next_only)
{
    vkm_tlsf *t = four_ranges();
    ASSERT_TRUE(t != NULL);
    vkm_tlsf_free(t, 512);
    vkm_tlsf_free(t, 256);
    EXPECT_LAYOUT(t, {0, 256, IS_USED}, {256, 512, IS_FREE}, {768, 256, IS_USED},
                  {1024, 1024, IS_FREE});
    /* next is the tail */
    vkm_tlsf_free(t, 768);
    EXPECT_LAYOUT(t, {0, 256, IS_USED}, {256, 1792, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_merges_with_both_neighbours)
{
    vkm_tlsf *t = four_ranges();
    ASSERT_TRUE(t != NULL);
    vkm_tlsf_free(t, 256);
    vkm_tlsf_free(t, 768);
    EXPECT_LAYOUT(t, {0, 256, IS_USED}, {256, 256, IS_FREE}, {512, 256, IS_USED},
                  {768, 1280, IS_FREE});
    vkm_tlsf_free(t, 512);
    EXPECT_LAYOUT(t, {0, 256, IS_USED}, {256, 1792, IS_FREE});
    vkm_tlsf_free(t, 0);
    EXPECT_LAYOUT(t, {0, 2048, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_is_empty(t));
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_first_range_merges_with_free_next)
{
    vkm_tlsf *t = four_ranges();
    ASSERT_TRUE(t != NULL);
    vkm_tlsf_free(t, 256);
    vkm_tlsf_free(t, 0);
    EXPECT_LAYOUT(t, {0, 512, IS_FREE}, {512, 256, IS_USED}, {768, 256, IS_USED},
                  {1024, 1024, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_split_leaves_the_remainder_free_in_a_hole)
{
    vkm_tlsf *t = four_ranges();
    ASSERT_TRUE(t != NULL);
    vkm_tlsf_free(t, 256);
    vkm_tlsf_free(t, 512); /* hole [256, 768) */
    EXPECT_EQ_U64(alloc_k(t, 100, 1, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 256);
    EXPECT_LAYOUT(t, {0, 256, IS_USED}, {256, 100, IS_USED}, {356, 412, IS_FREE},
                  {768, 256, IS_USED}, {1024, 1024, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

/* ---- alignment ---------------------------------------------------------------------------- */

TEST(tlsf_alignment_is_met_and_padding_stays_free)
{
    for (uint64_t align = 1; align <= 64 * KiB; align <<= 1) {
        vkm_tlsf *t = make(1 * MiB, 1);
        ASSERT_TRUE(t != NULL);
        EXPECT_EQ_U64(alloc(t, 3, 1), 0);
        uint64_t off = alloc(t, 1000, align);
        EXPECT_TRUE(off != VKM_NO_OFFSET);
        EXPECT_EQ_U64(off % align, 0);
        uint64_t want = (3 + align - 1) / align * align;
        EXPECT_EQ_U64(off, want);
        EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 1 * MiB - 1003);
        if (want > 3)
            EXPECT_LAYOUT(t, {0, 3, IS_USED}, {3, want - 3, IS_FREE}, {want, 1000, IS_USED},
                          {want + 1000, 1 * MiB - want - 1000, IS_FREE});
        else
            EXPECT_LAYOUT(t, {0, 3, IS_USED}, {3, 1000, IS_USED}, {1003, 1 * MiB - 1003, IS_FREE});
        EXPECT_TRUE(vkm_tlsf_validate(t));
        /* freeing gives the padding back: everything merges into one range */
        vkm_tlsf_free(t, off);
        vkm_tlsf_free(t, 0);
        EXPECT_LAYOUT(t, {0, 1 * MiB, IS_FREE});
        vkm_tlsf_destroy(t);
    }
}

TEST(tlsf_padding_is_reused_by_later_allocations)
{
    vkm_tlsf *t = make(1 * MiB, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 16, 1), 0);
    EXPECT_EQ_U64(alloc(t, 4096, 64 * KiB), 64 * KiB);
    /* the padding [16, 64 KiB) serves a request that fits it */
    EXPECT_EQ_U64(alloc_k(t, 1024, 1024, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 1024);
    EXPECT_EQ_U64(alloc_k(t, 16, 16, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_MEMORY), 16);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_huge_capacity_and_alignment_do_not_overflow)
{
    vkm_tlsf *t = make(UINT64_MAX - 1, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 1, 1), 0);
    uint64_t big = 1ull << 62;
    EXPECT_EQ_U64(alloc(t, 5, big), big);
    EXPECT_EQ_U64(alloc(t, 1, big), 2 * big);
    EXPECT_EQ_U64(alloc(t, big, big), VKM_NO_OFFSET); /* would end past capacity */
    EXPECT_EQ_U64(alloc(t, UINT64_MAX - 1, 1), VKM_NO_OFFSET);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_clear(t);
    EXPECT_EQ_U64(alloc(t, UINT64_MAX - 1, 1), 0);
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 0);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);

    t = make(1, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 1, 1ull << 63), 0);
    EXPECT_EQ_U64(alloc(t, 1, 1), VKM_NO_OFFSET);
    vkm_tlsf_destroy(t);
}

/* ---- exhaustion ----------------------------------------------------------------------------- */

TEST(tlsf_reports_no_space_then_fits_after_free)
{
    vkm_tlsf *t = make(64 * KiB, 1);
    ASSERT_TRUE(t != NULL);
    uint64_t offs[16];
    for (int i = 0; i < 16; i++) {
        offs[i] = alloc(t, 4 * KiB, 4 * KiB);
        EXPECT_EQ_U64(offs[i], (uint64_t)i * 4 * KiB);
    }
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 0);
    vkm_range_request r = req_of(1, 1, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT);
    uint64_t off = 123;
    EXPECT_EQ(vkm_tlsf_alloc(t, &r, &off), VKM_RANGE_NO_SPACE);
    EXPECT_EQ_U64(off, VKM_NO_OFFSET);
    /* two non-adjacent holes of 4 KiB: 8 KiB free, but no 8 KiB range */
    vkm_tlsf_free(t, offs[3]);
    vkm_tlsf_free(t, offs[9]);
    EXPECT_EQ_U64(alloc(t, 8 * KiB, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(alloc(t, 4 * KiB + 1, 1), VKM_NO_OFFSET);
    vkm_tlsf_free(t, offs[4]);
    EXPECT_EQ_U64(alloc(t, 8 * KiB, 1), 3 * 4 * KiB);
    EXPECT_EQ_U64(alloc(t, 4 * KiB, 4 * KiB), 9 * 4 * KiB);
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 0);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_request_larger_than_capacity_is_no_space)
{
    vkm_tlsf *t = make(1000, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 1001, 1), VKM_NO_OFFSET);
    EXPECT_EQ_U64(alloc(t, 1000, 2048), 0);
    vkm_tlsf_destroy(t);
}

TEST(tlsf_alignment_too_large_for_any_hole_is_no_space)
{
    vkm_tlsf *t = make(16 * KiB, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 1, 1), 0);
    /* 16 KiB - 1 bytes free but no 8 KiB-aligned 8 KiB range */
    EXPECT_EQ_U64(alloc(t, 8 * KiB, 8 * KiB), 8 * KiB);
    EXPECT_EQ_U64(alloc(t, 4 * KiB, 8 * KiB), VKM_NO_OFFSET);
    EXPECT_EQ_U64(alloc(t, 4 * KiB, 4 * KiB), 4 * KiB);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_default_finds_the_only_aligned_fit_in_a_small_class)
{
    /* Holes of 300 bytes at 100 (misaligned for 256) and at 512 (aligned), nothing else
     * free: the good-fit and guaranteed steps find nothing, the exhaustive step must. */
    vkm_tlsf *t = make(1024, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 100, 1), 0);
    EXPECT_EQ_U64(alloc(t, 300, 1), 100);
    EXPECT_EQ_U64(alloc(t, 112, 1), 400);
    EXPECT_EQ_U64(alloc(t, 300, 1), 512);
    EXPECT_EQ_U64(alloc(t, 212, 1), 812);
    vkm_tlsf_free(t, 512);
    vkm_tlsf_free(t, 100); /* the misaligned hole heads the class list */
    EXPECT_EQ_U64(alloc_k(t, 256, 256, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 512);
    EXPECT_LAYOUT(t, {0, 100, IS_USED}, {100, 300, IS_FREE}, {400, 112, IS_USED},
                  {512, 256, IS_USED}, {768, 44, IS_FREE}, {812, 212, IS_USED});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

/* ---- granularity ------------------------------------------------------------------------- */

TEST(tlsf_granularity_pushes_optimal_image_after_buffer_to_next_page)
{
    vkm_tlsf *t = make(64 * KiB, 4096);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc_k(t, 100, 16, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 0);
    EXPECT_EQ_U64(alloc_k(t, 100, 16, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT), 4096);
    EXPECT_LAYOUT(t, {0, 100, IS_USED}, {100, 3996, IS_FREE}, {4096, 100, IS_USED},
                  {4196, 64 * KiB - 4196, IS_FREE});
    /* a linear image next to the optimal one is pushed too */
    EXPECT_EQ_U64(alloc_k(t, 100, 16, VKM_RANGE_IMAGE_LINEAR, VKM_RANGE_STRATEGY_MIN_OFFSET), 112);
    /* too big for the first page's hole: after the optimal image, on the next page */
    EXPECT_EQ_U64(alloc_k(t, 4000, 16, VKM_RANGE_IMAGE_LINEAR, VKM_RANGE_STRATEGY_DEFAULT), 8192);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_granularity_packs_same_kind_tightly)
{
    vkm_tlsf *t = make(64 * KiB, 4096);
    ASSERT_TRUE(t != NULL);
    for (uint64_t i = 0; i < 4; i++)
        EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT),
                      i * 100);
    vkm_tlsf_clear(t);
    /* buffers and linear images are both linear resources: no padding between them */
    EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 0);
    EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_IMAGE_LINEAR, VKM_RANGE_STRATEGY_DEFAULT), 100);
    EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 200);
    EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_UNKNOWN, VKM_RANGE_STRATEGY_DEFAULT), 4096);
    /* unknown ranges may become a buffer and an optimal image: a page each, as in VMA */
    EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_UNKNOWN, VKM_RANGE_STRATEGY_DEFAULT), 8192);
    EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_IMAGE_UNKNOWN, VKM_RANGE_STRATEGY_DEFAULT), 12288);
    EXPECT_EQ_U64(alloc_k(t, 100, 4, VKM_RANGE_IMAGE_UNKNOWN, VKM_RANGE_STRATEGY_DEFAULT), 16384);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_granularity_rejects_hole_whose_end_shares_a_page_with_conflicting_next)
{
    vkm_tlsf *t = make(16 * KiB, 4096);
    ASSERT_TRUE(t != NULL);
    /* page 0: a 1 KiB hole then an optimal image at 1 KiB; page 1 on: free */
    EXPECT_EQ_U64(alloc_k(t, 1024, 1, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT), 0);
    EXPECT_EQ_U64(alloc_k(t, 1024, 1, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT), 1024);
    vkm_tlsf_free(t, 0);
    /* a buffer would fit [0, 1 KiB) by size but end on the image's page */
    EXPECT_EQ_U64(alloc_k(t, 512, 1, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 4096);
    /* another optimal image fits the hole */
    EXPECT_EQ_U64(alloc_k(t, 512, 1, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_MIN_OFFSET), 0);
    /* the same for the exhaustive DEFAULT path: fill everything but the hole's rest */
    uint64_t rest = alloc_k(t, 12 * KiB - 512, 1, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT);
    EXPECT_EQ_U64(rest, 4096 + 512);
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 4 * KiB - 2048 + 512);
    EXPECT_EQ_U64(alloc_k(t, 16, 1, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), VKM_NO_OFFSET);
    EXPECT_EQ_U64(alloc_k(t, 16, 1, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT), 512);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_granularity_of_one_ignores_kinds)
{
    vkm_tlsf *t = make(4096, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc_k(t, 10, 1, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 0);
    EXPECT_EQ_U64(alloc_k(t, 10, 1, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT), 10);
    EXPECT_EQ_U64(alloc_k(t, 10, 1, VKM_RANGE_UNKNOWN, VKM_RANGE_STRATEGY_DEFAULT), 20);
    vkm_tlsf_destroy(t);
}

TEST(tlsf_kinds_conflict_follows_the_granularity_rules)
{
    const vkm_range_kind U = VKM_RANGE_UNKNOWN, B = VKM_RANGE_BUFFER, IU = VKM_RANGE_IMAGE_UNKNOWN,
                         IL = VKM_RANGE_IMAGE_LINEAR, IO = VKM_RANGE_IMAGE_OPTIMAL,
                         FR = VKM_RANGE_FREE;
    const vkm_range_kind all[] = {FR, U, B, IU, IL, IO};
    for (size_t i = 0; i < VKM_ARRAY_LEN(all); i++) {
        /* a kind conflicts with itself exactly when it may be either linear or not */
        EXPECT_EQ(vkm_range_kinds_conflict(all[i], all[i]), all[i] == U || all[i] == IU);
        EXPECT_FALSE(vkm_range_kinds_conflict(all[i], FR));
        EXPECT_FALSE(vkm_range_kinds_conflict(FR, all[i]));
        for (size_t j = 0; j < VKM_ARRAY_LEN(all); j++)
            EXPECT_EQ(vkm_range_kinds_conflict(all[i], all[j]),
                      vkm_range_kinds_conflict(all[j], all[i]));
    }
    EXPECT_TRUE(vkm_range_kinds_conflict(U, B));
    EXPECT_TRUE(vkm_range_kinds_conflict(U, IU));
    EXPECT_TRUE(vkm_range_kinds_conflict(U, IL));
    EXPECT_TRUE(vkm_range_kinds_conflict(U, IO));
    EXPECT_TRUE(vkm_range_kinds_conflict(IU, B));
    EXPECT_TRUE(vkm_range_kinds_conflict(IU, IL));
    EXPECT_TRUE(vkm_range_kinds_conflict(IU, IO));
    EXPECT_TRUE(vkm_range_kinds_conflict(IO, B));
    EXPECT_TRUE(vkm_range_kinds_conflict(IO, IL));
    EXPECT_FALSE(vkm_range_kinds_conflict(B, IL));
}

/* ---- strategies --------------------------------------------------------------------------- */

/* Holes, low to high: 2 KiB at 0, 512 at 3 KiB, 1 KiB at 5 KiB, then the big tail. */
static vkm_tlsf *
holes(void)
{
    vkm_tlsf *t = make(1 * MiB, 1);
    if (t == NULL)
        return NULL;
    uint64_t a = alloc(t, 2 * KiB, 1); /* [0, 2K)   -> hole */
    alloc(t, 1 * KiB, 1);              /* [2K, 3K) */
    uint64_t b = alloc(t, 512, 1);     /* [3K, 3.5K) -> hole */
    alloc(t, 1536, 1);                 /* [3.5K, 5K) */
    uint64_t c = alloc(t, 1 * KiB, 1); /* [5K, 6K) -> hole */
    alloc(t, 1 * KiB, 1);              /* [6K, 7K) */
    vkm_tlsf_free(t, a);
    vkm_tlsf_free(t, b);
    vkm_tlsf_free(t, c);
    return t;
}

TEST(tlsf_min_offset_picks_the_lowest_offset)
{
    vkm_tlsf *t = holes();
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc_k(t, 500, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 0);
    EXPECT_EQ_U64(alloc_k(t, 1500, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 500);
    EXPECT_EQ_U64(alloc_k(t, 500, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 3072);
    EXPECT_EQ_U64(alloc_k(t, 1024, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 5 * KiB);
    EXPECT_EQ_U64(alloc_k(t, 1, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_OFFSET), 2000);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_min_memory_picks_the_smallest_range_that_fits)
{
    vkm_tlsf *t = holes();
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc_k(t, 400, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_MEMORY), 3072);
    EXPECT_EQ_U64(alloc_k(t, 600, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_MEMORY), 5 * KiB);
    EXPECT_EQ_U64(alloc_k(t, 1024, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_MEMORY), 0);
    EXPECT_EQ_U64(alloc_k(t, 1024, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_MEMORY), 1024);
    EXPECT_EQ_U64(alloc_k(t, 1024, 4, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_MEMORY), 7 * KiB);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_min_memory_best_fit_inside_one_class)
{
    /* 1008- and 1020-byte holes share a class; best fit takes the 1008 one although the
     * 1020 one heads the list */
    vkm_tlsf *t = make(1 * MiB, 1);
    ASSERT_TRUE(t != NULL);
    uint64_t a = alloc(t, 1020, 1);
    alloc(t, 8, 1);
    uint64_t b = alloc(t, 1008, 1);
    alloc(t, 8, 1);
    vkm_tlsf_free(t, b);
    vkm_tlsf_free(t, a);
    EXPECT_EQ_U64(alloc_k(t, 1000, 1, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_MEMORY), b);
    vkm_tlsf_destroy(t);
}

TEST(tlsf_default_takes_the_smallest_class_that_fits)
{
    vkm_tlsf *t = holes();
    ASSERT_TRUE(t != NULL);
    /* 1000 bytes: the 1 KiB hole rather than the 2 KiB hole or the tail */
    EXPECT_EQ_U64(alloc_k(t, 1000, 8, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 5 * KiB);
    /* 512 bytes (a class boundary): the 512-byte hole exactly */
    EXPECT_EQ_U64(alloc_k(t, 512, 512, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 3072);
    EXPECT_EQ_U64(alloc_k(t, 1500, 8, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 0);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_min_time_takes_a_guaranteed_fit)
{
    vkm_tlsf *t = holes();
    ASSERT_TRUE(t != NULL);
    /* 1000 bytes aligned to 2 KiB may need 3047 bytes: only the tail guarantees that, so
     * MIN_TIME takes it without looking at the holes */
    EXPECT_EQ_U64(alloc_k(t, 1000, 2048, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_MIN_TIME), 8 * KiB);
    /* DEFAULT looks at the holes first and finds the 2 KiB one at 0 aligned */
    EXPECT_EQ_U64(alloc_k(t, 1000, 2048, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT), 0);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_largest_free_bound_rejects_requests_that_cannot_fit)
{
    vkm_tlsf *t = make(10000, 1);
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(vkm_tlsf_largest_free_bound(t), 10000);
    uint64_t a = alloc(t, 3000, 1);
    alloc(t, 1, 1);
    EXPECT_EQ_U64(alloc(t, 6999, 1), 3001);
    EXPECT_EQ_U64(vkm_tlsf_largest_free_bound(t), 0);
    vkm_tlsf_free(t, a);
    uint64_t bound = vkm_tlsf_largest_free_bound(t);
    EXPECT_GE_U64(bound, 3000);
    EXPECT_LE_U64(bound, 3000 + 3000 / 32);
    EXPECT_EQ_U64(alloc(t, 3001, 1), VKM_NO_OFFSET);
    vkm_tlsf_free(t, 3000);
    EXPECT_EQ_U64(vkm_tlsf_largest_free_bound(t), 3001);
    vkm_tlsf_destroy(t);

    t = make(20, 1); /* sizes below 32 have exact classes */
    ASSERT_TRUE(t != NULL);
    EXPECT_EQ_U64(alloc(t, 7, 1), 0);
    EXPECT_EQ_U64(vkm_tlsf_largest_free_bound(t), 13);
    vkm_tlsf_destroy(t);
}

/* ---- counters, user data, visit, clear ---------------------------------------------------- */

TEST(tlsf_user_pointer_size_and_kind_round_trip)
{
    vkm_tlsf *t = make(1 * MiB, 1);
    ASSERT_TRUE(t != NULL);
    int x, y;
    vkm_range_request r = {300, 64, VKM_RANGE_IMAGE_OPTIMAL, VKM_RANGE_STRATEGY_DEFAULT, &x, false};
    uint64_t off;
    ASSERT_EQ(vkm_tlsf_alloc(t, &r, &off), VKM_RANGE_OK);
    EXPECT_TRUE(vkm_tlsf_user(t, off) == &x);
    EXPECT_EQ_U64(vkm_tlsf_size_of(t, off), 300);
    EXPECT_EQ(vkm_tlsf_kind_of(t, off), VKM_RANGE_IMAGE_OPTIMAL);
    vkm_tlsf_set_user(t, off, &y);
    EXPECT_TRUE(vkm_tlsf_user(t, off) == &y);
    seen s = capture(t);
    EXPECT_TRUE(s.r[0].user == &y);
    EXPECT_TRUE(s.r[1].user == NULL);
    EXPECT_EQ(s.r[1].kind, VKM_RANGE_FREE);
    vkm_tlsf_destroy(t);
}

TEST(tlsf_stats_identities_hold)
{
    vkm_tlsf *t = make(100000, 1);
    ASSERT_TRUE(t != NULL);
    vkm_range_stats st;
    vkm_tlsf_stats(t, &st);
    EXPECT_EQ(st.alloc_count, 0);
    EXPECT_EQ(st.free_count, 1);
    EXPECT_EQ_U64(st.alloc_min, UINT64_MAX);
    EXPECT_EQ_U64(st.alloc_max, 0);
    EXPECT_EQ_U64(st.free_min, 100000);
    EXPECT_EQ_U64(st.free_max, 100000);

    uint64_t a = alloc(t, 10, 1);
    uint64_t b = alloc(t, 1000, 256); /* padding [10, 256) */
    uint64_t c = alloc(t, 77, 1);
    EXPECT_EQ_U64(a, 0);
    EXPECT_EQ_U64(b, 256);
    EXPECT_EQ_U64(c, 10);
    vkm_tlsf_stats(t, &st);
    EXPECT_EQ(st.alloc_count, 3);
    EXPECT_EQ_U64(st.alloc_bytes, 1087);
    EXPECT_EQ_U64(st.free_bytes, 100000 - 1087);
    EXPECT_EQ_U64(st.alloc_bytes + st.free_bytes, vkm_tlsf_capacity(t));
    EXPECT_EQ_U64(st.free_bytes, vkm_tlsf_free_bytes(t));
    EXPECT_EQ(st.alloc_count, vkm_tlsf_alloc_count(t));
    EXPECT_EQ(st.free_count, 2);
    EXPECT_EQ_U64(st.alloc_min, 10);
    EXPECT_EQ_U64(st.alloc_max, 1000);
    EXPECT_EQ_U64(st.free_min, 256 - 87);
    EXPECT_EQ_U64(st.free_max, 100000 - 1256);
    vkm_tlsf_destroy(t);
}

static void
check_order(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    uint64_t *state = ctx; /* [next expected offset, previous was free, ranges] */
    VKM_UNUSED(user);
    if (offset != state[0])
        vkm_test_fail(__FILE__, __LINE__, "visit gap/overlap at %llu, expected %llu",
                      (unsigned long long)offset, (unsigned long long)state[0]);
    if (kind == VKM_RANGE_FREE && state[1])
        vkm_test_fail(__FILE__, __LINE__, "two adjacent free ranges at %llu",
                      (unsigned long long)offset);
    state[0] = offset + size;
    state[1] = kind == VKM_RANGE_FREE;
    state[2]++;
}

TEST(tlsf_visit_is_ascending_and_tiles_the_range)
{
    vkm_tlsf *t = make(1 * MiB, 1);
    ASSERT_TRUE(t != NULL);
    uint64_t offs[200];
    for (int i = 0; i < 200; i++)
        offs[i] = alloc(t, (uint64_t)(i % 17) * 13 + 1, 1ull << (i % 9));
    for (int i = 0; i < 200; i += 3)
        vkm_tlsf_free(t, offs[i]);
    for (int i = 1; i < 200; i += 7)
        if (i % 3 != 0)
            vkm_tlsf_free(t, offs[i]);
    uint64_t state[3] = {0, 0, 0};
    vkm_tlsf_visit(t, check_order, state);
    EXPECT_EQ_U64(state[0], 1 * MiB);
    vkm_range_stats st;
    vkm_tlsf_stats(t, &st);
    EXPECT_EQ_U64(state[2], (uint64_t)st.alloc_count + st.free_count);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_clear_frees_everything_and_keeps_working)
{
    vkm_tlsf *t = make(1 * MiB, 256);
    ASSERT_TRUE(t != NULL);
    for (int i = 0; i < 1000; i++)
        alloc_k(t, 100 + (uint64_t)i, 16, (vkm_range_kind)(1 + i % 5), VKM_RANGE_STRATEGY_DEFAULT);
    EXPECT_EQ(vkm_tlsf_alloc_count(t), 1000);
    vkm_tlsf_clear(t);
    EXPECT_TRUE(vkm_tlsf_is_empty(t));
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 1 * MiB);
    EXPECT_LAYOUT(t, {0, 1 * MiB, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    EXPECT_EQ_U64(alloc(t, 1 * MiB, 1), 0);
    vkm_tlsf_free(t, 0);
    EXPECT_EQ_U64(alloc(t, 5, 1), 0);
    EXPECT_EQ_U64(alloc(t, 5, 1), 5);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_clear(t);
    vkm_tlsf_clear(t);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

TEST(tlsf_many_small_ranges_grow_node_pool_and_lookup)
{
    enum {
        N = 20000
    };
    vkm_tlsf *t = make(N, 1);
    ASSERT_TRUE(t != NULL);
    static uint64_t offs[N];
    for (uint64_t i = 0; i < N; i++) {
        offs[i] = alloc(t, 1, 1);
        ASSERT_EQ_U64(offs[i], i);
    }
    EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), 0);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    /* free every other one, then the rest in a scrambled order */
    for (uint64_t i = 0; i < N; i += 2)
        vkm_tlsf_free(t, i);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    for (uint64_t k = 0; k < N / 2; k++)
        vkm_tlsf_free(t, ((k * 7919) % (N / 2)) * 2 + 1);
    EXPECT_TRUE(vkm_tlsf_is_empty(t));
    EXPECT_LAYOUT(t, {0, N, IS_FREE});
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
}

/* ---- host memory failure ------------------------------------------------------------------ */

typedef struct oom_ctx {
    long budget; /* allocations left before failing; negative: unlimited */
    long live;
    long calls;
} oom_ctx;

static void *VKAPI_PTR
oom_alloc(void *ud, size_t size, size_t align, VkSystemAllocationScope scope)
{
    oom_ctx *c = ud;
    VKM_UNUSED(scope);
    c->calls++;
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

static vkm_host_alloc
oom_host(oom_ctx *c)
{
    VkAllocationCallbacks cb = {0};
    cb.pUserData = c;
    cb.pfnAllocation = oom_alloc;
    cb.pfnFree = oom_free;
    vkm_host_alloc h;
    vkm_host_alloc_init(&h, &cb);
    return h;
}

TEST(tlsf_create_fails_cleanly_without_host_memory)
{
    oom_ctx c = {0, 0, 0};
    vkm_host_alloc h = oom_host(&c);
    bool created = false;
    for (long budget = 0; budget < 8 && !created; budget++) {
        c.budget = budget;
        vkm_tlsf *t = (vkm_tlsf *)&c; /* must be overwritten */
        vkm_range_status st = vkm_tlsf_create(&h, 1 * MiB, 1, &t);
        if (st == VKM_RANGE_OK) {
            ASSERT_TRUE(t != NULL);
            EXPECT_TRUE(vkm_tlsf_validate(t));
            vkm_tlsf_destroy(t);
            created = true;
        } else {
            EXPECT_EQ(st, VKM_RANGE_NO_HOST_MEMORY);
            EXPECT_TRUE(t == NULL);
        }
        EXPECT_EQ(c.live, 0);
    }
    EXPECT_TRUE(created);
}

TEST(tlsf_alloc_without_host_memory_leaves_the_allocator_unchanged)
{
    oom_ctx c = {-1, 0, 0};
    vkm_host_alloc h = oom_host(&c);
    vkm_tlsf *t = NULL;
    ASSERT_EQ(vkm_tlsf_create(&h, 1 * MiB, 64, &t), VKM_RANGE_OK);
    int failures = 0;
    for (int round = 0; round < 4; round++) {
        c.budget = round; /* fail after `round` more host allocations */
        for (int i = 0; i < 5000; i++) {
            uint32_t count = vkm_tlsf_alloc_count(t);
            uint64_t free_bytes = vkm_tlsf_free_bytes(t);
            vkm_range_stats before, after;
            vkm_tlsf_stats(t, &before);
            vkm_range_request r = {
                16, 16, (vkm_range_kind)(1 + i % 5), (vkm_range_strategy)(i % 4), NULL, false};
            uint64_t off = 0;
            vkm_range_status st = vkm_tlsf_alloc(t, &r, &off);
            if (st == VKM_RANGE_OK)
                continue;
            ASSERT_EQ(st, VKM_RANGE_NO_HOST_MEMORY);
            failures++;
            EXPECT_EQ_U64(off, VKM_NO_OFFSET);
            EXPECT_EQ(vkm_tlsf_alloc_count(t), count);
            EXPECT_EQ_U64(vkm_tlsf_free_bytes(t), free_bytes);
            vkm_tlsf_stats(t, &after);
            EXPECT_TRUE(memcmp(&before, &after, sizeof(before)) == 0);
            EXPECT_TRUE(vkm_tlsf_validate(t));
            break;
        }
        /* works again once host memory is back */
        c.budget = -1;
        uint64_t off = alloc(t, 16, 16);
        EXPECT_NE(off, VKM_NO_OFFSET);
        EXPECT_TRUE(vkm_tlsf_validate(t));
    }
    EXPECT_EQ(failures, 4);
    /* free never needs host memory */
    c.budget = 0;
    vkm_tlsf_clear(t);
    EXPECT_TRUE(vkm_tlsf_validate(t));
    c.budget = -1;
    vkm_tlsf_destroy(t);
    EXPECT_EQ(c.live, 0);
}

TEST(tlsf_free_never_calls_the_host_allocator)
{
    oom_ctx c = {-1, 0, 0};
    vkm_host_alloc h = oom_host(&c);
    vkm_tlsf *t = NULL;
    ASSERT_EQ(vkm_tlsf_create(&h, 64 * KiB, 1, &t), VKM_RANGE_OK);
    uint64_t offs[1000];
    for (int i = 0; i < 1000; i++)
        offs[i] = alloc(t, 7, 4);
    long calls = c.calls;
    c.budget = 0;
    for (int i = 999; i >= 0; i -= 2)
        vkm_tlsf_free(t, offs[i]);
    for (int i = 0; i < 1000; i += 2)
        vkm_tlsf_free(t, offs[i]);
    EXPECT_EQ(c.calls, calls);
    EXPECT_TRUE(vkm_tlsf_is_empty(t));
    EXPECT_TRUE(vkm_tlsf_validate(t));
    vkm_tlsf_destroy(t);
    EXPECT_EQ(c.live, 0);
}

/* ---- random run against a reference model --------------------------------------------------- */

/* xorshift64*; deterministic per seed */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t
rnd_below(uint64_t *s, uint64_t n)
{
    return rnd(s) % n;
}

typedef struct live_range {
    uint64_t offset, size;
    vkm_range_kind kind;
    uintptr_t token;
} live_range;

/* Live ranges sorted by offset. */
typedef struct model {
    live_range *r;
    size_t n, cap;
    uint64_t capacity, granularity, bytes;
} model;

static size_t
model_lower_bound(const model *m, uint64_t offset)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->r[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool
pages_touch(const model *m, uint64_t a_first, uint64_t a_last, uint64_t b_first, uint64_t b_last)
{
    uint64_t g = m->granularity;
    return a_first / g <= b_last / g && b_first / g <= a_last / g;
}

/* Does [off, off + size) of `kind` conflict with any live range sharing a page? The whole
 * model is checked, not only neighbours, so the check does not rely on tlsf's reasoning. */
static bool
model_conflicts(const model *m, uint64_t off, uint64_t size, vkm_range_kind kind)
{
    if (m->granularity <= 1)
        return false;
    uint64_t g = m->granularity;
    size_t i = model_lower_bound(m, off);
    for (size_t j = i; j-- > 0;) {
        const live_range *o = &m->r[j];
        if ((o->offset + o->size - 1) / g < off / g)
            break; /* earlier ranges end even lower; ranges are disjoint and sorted */
        if (pages_touch(m, o->offset, o->offset + o->size - 1, off, off + size - 1) &&
            vkm_range_kinds_conflict(o->kind, kind))
            return true;
    }
    for (size_t j = i; j < m->n; j++) {
        const live_range *o = &m->r[j];
        if (o->offset / g > (off + size - 1) / g)
            break;
        if (vkm_range_kinds_conflict(o->kind, kind))
            return true;
    }
    return false;
}

/* Lowest offset where the request fits the model, or VKM_NO_OFFSET; also the size of
 * the smallest free gap that can hold it (*best_gap). */
static uint64_t
model_lowest_fit(const model *m, const vkm_range_request *r, uint64_t *best_gap)
{
    uint64_t lowest = VKM_NO_OFFSET;
    *best_gap = UINT64_MAX;
    for (size_t i = 0; i <= m->n; i++) {
        uint64_t gs = i == 0 ? 0 : m->r[i - 1].offset + m->r[i - 1].size;
        uint64_t ge = i == m->n ? m->capacity : m->r[i].offset;
        if (ge - gs < r->size)
            continue;
        /* candidate starts: aligned, then aligned to a page boundary as well */
        uint64_t cands[2];
        uint64_t a = r->alignment > m->granularity ? r->alignment : m->granularity;
        cands[0] = gs + ((0u - gs) & (r->alignment - 1));
        cands[1] = gs + ((0u - gs) & (a - 1));
        for (int k = 0; k < 2; k++) {
            uint64_t s = cands[k];
            if (s < gs || s > ge || ge - s < r->size)
                continue;
            if (model_conflicts(m, s, r->size, r->kind))
                continue;
            if (lowest == VKM_NO_OFFSET)
                lowest = s;
            if (ge - gs < *best_gap)
                *best_gap = ge - gs;
            break;
        }
    }
    return lowest;
}

static uint64_t
model_gap_around(const model *m, uint64_t off)
{
    size_t i = model_lower_bound(m, off);
    uint64_t gs = i == 0 ? 0 : m->r[i - 1].offset + m->r[i - 1].size;
    uint64_t ge = i == m->n ? m->capacity : m->r[i].offset;
    return ge - gs;
}

static bool
model_insert(model *m, live_range lr, uint64_t seed)
{
    size_t i = model_lower_bound(m, lr.offset);
    if ((i > 0 && m->r[i - 1].offset + m->r[i - 1].size > lr.offset) ||
        (i < m->n && lr.offset + lr.size > m->r[i].offset)) {
        vkm_test_fail(__FILE__, __LINE__, "seed %llu: [%llu, +%llu) overlaps a live range",
                      (unsigned long long)seed, (unsigned long long)lr.offset,
                      (unsigned long long)lr.size);
        return false;
    }
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        live_range *nr = realloc(m->r, ncap * sizeof(*nr));
        if (nr == NULL)
            return false;
        m->r = nr;
        m->cap = ncap;
    }
    memmove(&m->r[i + 1], &m->r[i], (m->n - i) * sizeof(*m->r));
    m->r[i] = lr;
    m->n++;
    m->bytes += lr.size;
    return true;
}

static void
model_remove(model *m, size_t i)
{
    m->bytes -= m->r[i].size;
    memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(*m->r));
    m->n--;
}

typedef struct visit_cmp {
    const model *m;
    size_t next;
    uint64_t end;
    bool ok;
} visit_cmp;

static void
compare_visit(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    visit_cmp *v = ctx;
    if (offset != v->end)
        v->ok = false;
    v->end = offset + size;
    if (kind == VKM_RANGE_FREE)
        return;
    if (v->next >= v->m->n) {
        v->ok = false;
        return;
    }
    const live_range *lr = &v->m->r[v->next++];
    if (lr->offset != offset || lr->size != size || lr->kind != kind ||
        (uintptr_t)user != lr->token)
        v->ok = false;
}

static uint64_t
random_size(uint64_t *s, uint64_t capacity)
{
    uint64_t p = rnd_below(s, 100), sz;
    if (p < 60)
        sz = 1 + rnd_below(s, 512);
    else if (p < 90)
        sz = 512 + rnd_below(s, 16 * KiB);
    else if (p < 99)
        sz = 16 * KiB + rnd_below(s, 240 * KiB);
    else
        sz = 1 + rnd_below(s, capacity);
    return sz;
}

static bool
run_model(uint64_t seed, uint64_t ops, uint64_t capacity, uint64_t granularity)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    vkm_tlsf *t = make(capacity, granularity);
    if (t == NULL)
        return false;
    model m = {NULL, 0, 0, capacity, granularity, 0};
    uintptr_t next_token = 1;
    uint64_t alloc_pct = 55;
    uint64_t n_ok = 0, n_no_space = 0, n_free = 0, n_clear = 0;
    size_t max_live = 0;
    bool ok = true;
    for (uint64_t op = 0; op < ops && ok && !vkm_test_case_failed(); op++) {
        if (op % 4096 == 0)
            alloc_pct = 20 + rnd_below(&s, 70); /* phases: draining, steady, filling */
        uint64_t p = rnd_below(&s, 1000);
        if (p == 0 && rnd_below(&s, 4) == 0) {
            vkm_tlsf_clear(t);
            n_clear++;
            m.n = 0;
            m.bytes = 0;
        } else if (p % 100 < alloc_pct || m.n == 0) {
            vkm_range_request r = {0};
            r.size = random_size(&s, capacity);
            r.alignment = 1ull << (rnd_below(&s, 4) == 0 ? rnd_below(&s, 17) : rnd_below(&s, 9));
            r.kind = (vkm_range_kind)(1 + rnd_below(&s, 5));
            r.strategy = (vkm_range_strategy)rnd_below(&s, 4);
            r.user = (void *)next_token;
            uint64_t off = 0;
            vkm_range_status st = vkm_tlsf_alloc(t, &r, &off);
            uint64_t best_gap;
            uint64_t lowest = model_lowest_fit(&m, &r, &best_gap);
            if (st == VKM_RANGE_OK) {
                bool good = off % r.alignment == 0 && off < capacity && r.size <= capacity - off &&
                            !model_conflicts(&m, off, r.size, r.kind);
                if (!good) {
                    vkm_test_fail(__FILE__, __LINE__,
                                  "seed %llu op %llu: bad placement %llu size %llu align "
                                  "%llu kind %d",
                                  (unsigned long long)seed, (unsigned long long)op,
                                  (unsigned long long)off, (unsigned long long)r.size,
                                  (unsigned long long)r.alignment, (int)r.kind);
                    ok = false;
                    break;
                }
                if (r.strategy == VKM_RANGE_STRATEGY_MIN_OFFSET && off != lowest) {
                    vkm_test_fail(__FILE__, __LINE__,
                                  "seed %llu op %llu: MIN_OFFSET gave %llu, lowest fit %llu",
                                  (unsigned long long)seed, (unsigned long long)op,
                                  (unsigned long long)off, (unsigned long long)lowest);
                    ok = false;
                }
                if (r.strategy == VKM_RANGE_STRATEGY_MIN_MEMORY) {
                    /* best fit: the free range used is the smallest one that fits */
                    uint64_t gap = model_gap_around(&m, off);
                    if (gap != best_gap) {
                        vkm_test_fail(__FILE__, __LINE__,
                                      "seed %llu op %llu: MIN_MEMORY used a %llu-byte gap, "
                                      "a %llu-byte gap fits",
                                      (unsigned long long)seed, (unsigned long long)op,
                                      (unsigned long long)gap, (unsigned long long)best_gap);
                        ok = false;
                    }
                }
                n_ok++;
                live_range lr = {off, r.size, r.kind, next_token++};
                if (!model_insert(&m, lr, seed))
                    ok = false;
            } else if (st == VKM_RANGE_NO_SPACE) {
                n_no_space++;
                if (lowest != VKM_NO_OFFSET) {
                    vkm_test_fail(__FILE__, __LINE__,
                                  "seed %llu op %llu: NO_SPACE (strategy %d) but %llu bytes "
                                  "align %llu kind %d fit at %llu",
                                  (unsigned long long)seed, (unsigned long long)op, (int)r.strategy,
                                  (unsigned long long)r.size, (unsigned long long)r.alignment,
                                  (int)r.kind, (unsigned long long)lowest);
                    ok = false;
                }
            } else {
                vkm_test_fail(__FILE__, __LINE__, "seed %llu op %llu: status %d",
                              (unsigned long long)seed, (unsigned long long)op, (int)st);
                ok = false;
            }
        } else {
            size_t i = (size_t)rnd_below(&s, m.n);
            live_range lr = m.r[i];
            if (vkm_tlsf_size_of(t, lr.offset) != lr.size ||
                (uintptr_t)vkm_tlsf_user(t, lr.offset) != lr.token ||
                vkm_tlsf_kind_of(t, lr.offset) != lr.kind) {
                vkm_test_fail(__FILE__, __LINE__, "seed %llu op %llu: range %llu lost its data",
                              (unsigned long long)seed, (unsigned long long)op,
                              (unsigned long long)lr.offset);
                ok = false;
            }
            vkm_tlsf_free(t, lr.offset);
            n_free++;
            model_remove(&m, i);
        }
        max_live = m.n > max_live ? m.n : max_live;
        if (vkm_tlsf_alloc_count(t) != m.n || vkm_tlsf_free_bytes(t) != capacity - m.bytes) {
            vkm_test_fail(__FILE__, __LINE__, "seed %llu op %llu: counters %u/%llu vs %zu/%llu",
                          (unsigned long long)seed, (unsigned long long)op, vkm_tlsf_alloc_count(t),
                          (unsigned long long)vkm_tlsf_free_bytes(t), m.n,
                          (unsigned long long)(capacity - m.bytes));
            ok = false;
        }
        if (op % 512 == 0 || op + 1 == ops) {
            if (!vkm_tlsf_validate(t)) {
                vkm_test_fail(__FILE__, __LINE__, "seed %llu op %llu: validate failed",
                              (unsigned long long)seed, (unsigned long long)op);
                ok = false;
            }
            vkm_range_stats st;
            vkm_tlsf_stats(t, &st);
            uint64_t bound = vkm_tlsf_largest_free_bound(t);
            if (bound < st.free_max || bound - st.free_max > st.free_max / 32) {
                vkm_test_fail(__FILE__, __LINE__, "seed %llu op %llu: bound %llu, largest %llu",
                              (unsigned long long)seed, (unsigned long long)op,
                              (unsigned long long)bound, (unsigned long long)st.free_max);
                ok = false;
            }
            visit_cmp v = {&m, 0, 0, true};
            vkm_tlsf_visit(t, compare_visit, &v);
            if (!v.ok || v.next != m.n || v.end != capacity) {
                vkm_test_fail(__FILE__, __LINE__, "seed %llu op %llu: visit differs from model",
                              (unsigned long long)seed, (unsigned long long)op);
                ok = false;
            }
        }
    }
    fprintf(stderr,
            "  capacity %llu granularity %llu: %llu allocated, %llu no space, %llu freed, "
            "%llu clears, at most %zu live\n",
            (unsigned long long)capacity, (unsigned long long)granularity, (unsigned long long)n_ok,
            (unsigned long long)n_no_space, (unsigned long long)n_free, (unsigned long long)n_clear,
            max_live);
    free(m.r);
    vkm_tlsf_destroy(t);
    return ok;
}

TEST(tlsf_random_ops_match_reference_model)
{
    const char *e = getenv("VKM_TEST_SEED");
    uint64_t seed = e ? strtoull(e, NULL, 0) : 20240611u;
    e = getenv("VKM_TLSF_OPS");
    uint64_t ops = e ? strtoull(e, NULL, 0) : 200000u;
    static const struct {
        uint64_t capacity, granularity;
    } configs[] = {
        {1 * MiB, 1},
        {1 * MiB, 1024},
        {4 * MiB + 12345, 4096},
        {64 * KiB - 3, 1},
    };
    for (size_t i = 0; i < VKM_ARRAY_LEN(configs); i++) {
        uint64_t sd = seed + i;
        if (!run_model(sd, ops / VKM_ARRAY_LEN(configs), configs[i].capacity,
                       configs[i].granularity)) {
            fprintf(stderr, "  reproduce: VKM_TEST_SEED=%llu (config %zu: seed %llu)\n",
                    (unsigned long long)seed, i, (unsigned long long)sd);
            return;
        }
    }
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
