/* SPDX-License-Identifier: MIT */
/*
 * test_block.c - a block's ranges through block.h without Vulkan: the fit bound that
 * threads read without the block's lock (xfit) follows every allocation and free, for
 * TLSF and linear blocks alike, so a thread never skips a block that has room for it.
 */
#include "block.h"
#include "test.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)

static vkm_host_alloc test_ha;

static vkm_block *
make(uint64_t size, bool linear)
{
    static bool init;
    if (!init) {
        vkm_host_alloc_init(&test_ha, NULL);
        init = true;
    }
    vkm_block *b = NULL;
    if (vkm_block_create(&test_ha, NULL, VK_NULL_HANDLE, size, 0, 0, 1, linear, &b) != VK_SUCCESS)
        return NULL;
    return b;
}

static uint64_t
alloc(vkm_block *b, uint64_t size)
{
    vkm_range_request r = {size, 256, VKM_RANGE_BUFFER, VKM_RANGE_STRATEGY_DEFAULT, NULL, false};
    uint64_t off = VKM_NO_OFFSET;
    return vkm_block_range_alloc(b, &r, &off) == VKM_RANGE_OK ? off : VKM_NO_OFFSET;
}

/* The bound is an upper bound within one TLSF class (1/32) of the largest free range. */
static void
check_bound(vkm_block *b, uint64_t largest_free)
{
    EXPECT_TRUE(vkm_block_may_fit(b, largest_free));
    EXPECT_FALSE(vkm_block_may_fit(b, largest_free + largest_free / 16 + 1));
}

static void
bound_follows_changes(bool linear)
{
    vkm_block *b = make(1 * MiB, linear);
    ASSERT_TRUE(b != NULL);
    check_bound(b, 1 * MiB); /* a new block publishes its whole size */

    const uint64_t a = alloc(b, 512 * KiB);
    const uint64_t c = alloc(b, 256 * KiB);
    ASSERT_NE(a, VKM_NO_OFFSET);
    ASSERT_NE(c, VKM_NO_OFFSET);
    check_bound(b, 256 * KiB);

    const uint64_t d = alloc(b, 256 * KiB);
    ASSERT_NE(d, VKM_NO_OFFSET);
    EXPECT_FALSE(vkm_block_may_fit(b, 1)); /* full */

    /* Freeing the last range reopens its room (both algorithms), the first one the
     * room at the start (TLSF: a free range; linear: the ring's wrap-around gap is
     * only usable once the ranges behind it go, so free from the end). */
    vkm_block_range_free(b, d);
    check_bound(b, 256 * KiB);
    vkm_block_range_free(b, c);
    check_bound(b, 512 * KiB);
    vkm_block_range_free(b, a);
    check_bound(b, 1 * MiB);
    EXPECT_TRUE(vkm_block_range_is_empty(b));
    vkm_block_destroy(&test_ha, b);
}

TEST(block_tlsf_fit_bound_follows_every_change)
{
    bound_follows_changes(false);
}

TEST(block_linear_fit_bound_follows_every_change)
{
    bound_follows_changes(true);
}

TEST(block_fit_bound_after_a_free_in_the_middle)
{
    vkm_block *b = make(1 * MiB, false);
    ASSERT_TRUE(b != NULL);
    uint64_t r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = alloc(b, 256 * KiB);
        ASSERT_NE(r[i], VKM_NO_OFFSET);
    }
    EXPECT_FALSE(vkm_block_may_fit(b, 1));
    vkm_block_range_free(b, r[1]);
    check_bound(b, 256 * KiB);
    vkm_block_range_free(b, r[2]); /* merges with r[1]'s range */
    check_bound(b, 512 * KiB);
    EXPECT_EQ_U64(alloc(b, 512 * KiB), r[1]);
    EXPECT_FALSE(vkm_block_may_fit(b, 1));
    vkm_block_range_free(b, r[0]);
    vkm_block_range_free(b, r[1]);
    vkm_block_range_free(b, r[3]);
    check_bound(b, 1 * MiB);
    vkm_block_destroy(&test_ha, b);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
