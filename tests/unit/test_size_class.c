/* SPDX-License-Identifier: MIT */
/*
 * test_size_class.c - slot sizes of thread-cache runs (src/size_class.h): requests that
 * are not cached, exact slots derived by hand from the header's rule (four classes
 * 2^k * {5,6,7,8}/4 per power of two, classes whose power-of-two factor is below the
 * alignment skipped, waste measured against the aligned footprint), and a sweep over
 * sizes 1 B..512 KiB and alignments 1 B..512 KiB checking every slot against the contract
 * (a multiple of the alignment, >= size, <= VKM_SIZE_CLASS_MAX, waste bound, run-base
 * alignment rule) and against a reference model written from the header comment alone.
 */
#include "size_class.h"
#include "test.h"

#define KiB 1024ull
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------------------ */
/* reference model, from the header comment                                              */
/* ------------------------------------------------------------------------------------ */

/* Every class value 2^k * q/4 (q = 5..8) up to 2 * MAX, ascending. */
static uint64_t classes[128];
static size_t nclasses;

static void
build_classes(void)
{
    if (nclasses != 0)
        return;
    for (uint32_t k = 2; (1ull << k) <= VKM_SIZE_CLASS_MAX; k++)
        for (uint64_t q = 5; q <= 8; q++)
            classes[nclasses++] = (1ull << k) / 4 * q;
}

static bool
is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* The smallest class that holds max(size, MIN) and whose every multiple-of-itself base
 * meets the alignment; 0 when the contract says "not cached". */
static uint64_t
reference_slot(uint64_t size, uint64_t alignment)
{
    if (size == 0 || size > VKM_SIZE_CLASS_MAX || alignment > VKM_SIZE_CLASS_MAX)
        return 0;
    const uint64_t need = size < VKM_SIZE_CLASS_MIN ? VKM_SIZE_CLASS_MIN : size;
    uint64_t c = 0;
    for (size_t i = 0; i < nclasses && c == 0; i++)
        if (classes[i] >= need && classes[i] % alignment == 0)
            c = classes[i];
    if (c == 0 || c > VKM_SIZE_CLASS_MAX)
        return 0;
    /* the footprint: max(size, MIN) rounded up to the alignment */
    const uint64_t footprint = (need + alignment - 1) / alignment * alignment;
    return c - footprint <= footprint / 4 || c - size < VKM_SIZE_CLASS_MIN ? c : 0;
}

static bool
is_class(uint64_t x)
{
    for (size_t i = 0; i < nclasses; i++)
        if (classes[i] == x)
            return true;
    return false;
}

/* ------------------------------------------------------------------------------------ */

TEST(size_class_pow2_factor_is_largest_power_of_two_divisor)
{
    static const struct { uint64_t x, f; } cases[] = {
        {1, 1},          {2, 2},           {3, 1},          {12, 4},
        {320, 64},       {384, 128},       {448, 64},       {512, 512},
        {3ull << 20, 1ull << 20},          {1ull << 40, 1ull << 40},
        {UINT64_MAX, 1}, {1ull << 63, 1ull << 63},          {0xfff0, 0x10},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        EXPECT_EQ_U64(vkm_size_class_pow2_factor(cases[i].x), cases[i].f);
}

TEST(size_class_uncacheable_requests_get_zero)
{
    EXPECT_EQ_U64(vkm_size_class_slot(0, 1), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(0, 256), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(VKM_SIZE_CLASS_MAX + 1, 1), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(VKM_SIZE_CLASS_MAX * 2, 1), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(UINT64_MAX, 1), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(1, VKM_SIZE_CLASS_MAX * 2ull), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(VKM_SIZE_CLASS_MAX, VKM_SIZE_CLASS_MAX * 2ull), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(256, 1ull << 40), 0);
    EXPECT_EQ_U64(vkm_size_class_slot(256, 1ull << 63), 0);
}

/* Alignment never makes a request uncacheable on its own: up to the largest slot, every
 * (size, power-of-two alignment) has a class within 25 % of its aligned footprint (the
 * thread cache relies on it: nothing of that range needs another per-thread path). */
TEST(size_class_every_size_and_alignment_up_to_the_largest_slot_is_cached)
{
    uint32_t missing = 0;
    for (uint64_t alignment = 1; alignment <= VKM_SIZE_CLASS_MAX; alignment <<= 1)
        for (uint64_t size = 1; size <= VKM_SIZE_CLASS_MAX; size += size < 8 * KiB ? 1 : 7) {
            const uint64_t slot = vkm_size_class_slot(size, alignment);
            const uint64_t fp = (size + alignment - 1) / alignment * alignment;
            if (slot == 0 || slot % alignment != 0 || slot < size ||
                (slot - fp > fp / 4 && slot - size >= VKM_SIZE_CLASS_MIN)) {
                if (missing++ < 5)
                    vkm_test_fail(__FILE__, __LINE__, "slot(%llu, %llu) = %llu",
                                  (unsigned long long)size, (unsigned long long)alignment,
                                  (unsigned long long)slot);
            }
        }
    EXPECT_EQ(missing, 0u);
}

TEST(size_class_exact_slots_follow_the_header_rule)
{
    static const struct { uint64_t size, alignment, slot; } cases[] = {
        /* below the smallest slot */
        {1, 1, 256},
        {100, 64, 256},   /* 160 (factor 32) and 192 (< 256) skipped: 256 */
        {256, 1, 256},
        {1, 256, 256},
        /* the four classes of (256, 512] */
        {257, 1, 320},
        {257, 16, 320},
        {321, 1, 384},
        {385, 1, 448},
        {449, 1, 512},
        /* classes skipped for alignment */
        {300, 256, 512},  /* 320, 384, 448 have factors 64, 128, 64: 512, 212 < MIN wasted */
        {300, 512, 512},  /* one aligned unit, 212 wasted */
        {640, 128, 640},
        {640, 256, 768},  /* 640 has factor 128 */
        {5120, 1024, 5120},
        {5121, 1024, 6144},
        {7000, 2048, 8192}, /* 7168 has factor 1024; 1192 <= 1750 wasted */
        {3300, 4096, 4096},
        {130000, 64 * KiB, 128 * KiB},
        /* alignment far above the size: the aligned footprint, as in any placement
         * among requests of that alignment */
        {1, 512, 512},
        {256, 512, 512},
        {1, 64 * KiB, 64 * KiB},
        {2048, 4096, 4096},
        {4097, 4096, 8192},
        {5000, 4096, 8192},
        {100000, 64 * KiB, 128 * KiB},
        {3 * 64 * KiB - 1, 64 * KiB, 192 * KiB}, /* 2^17 * 6/4 */
        {1000, VKM_SIZE_CLASS_MAX, VKM_SIZE_CLASS_MAX},
        /* larger sizes */
        {513, 1, 640},
        {1000, 1, 1024},
        {200000, 1, 229376}, /* 2^17 * 7/4 */
        {VKM_SIZE_CLASS_MAX - 1, 1, VKM_SIZE_CLASS_MAX},
        {VKM_SIZE_CLASS_MAX, 1, VKM_SIZE_CLASS_MAX},
        {VKM_SIZE_CLASS_MAX, VKM_SIZE_CLASS_MAX, VKM_SIZE_CLASS_MAX},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint64_t got = vkm_size_class_slot(cases[i].size, cases[i].alignment);
        if (got != cases[i].slot)
            vkm_test_fail(__FILE__, __LINE__, "slot(%llu, %llu) = %llu, want %llu",
                          (unsigned long long)cases[i].size,
                          (unsigned long long)cases[i].alignment, (unsigned long long)got,
                          (unsigned long long)cases[i].slot);
    }
}

TEST(size_class_four_classes_per_power_of_two)
{
    /* with alignment 1 every size in (2^k, 2^(k+1)] lands on one of 2^k * {5,6,7,8}/4,
     * and each of the four is used */
    for (uint32_t k = 8; k < 18; k++) {
        const uint64_t lo = 1ull << k, quarter = lo / 4;
        uint32_t seen = 0;
        uint64_t step = lo / 512 ? lo / 512 : 1;
        for (uint64_t size = lo + 1; size <= 2 * lo; size += step) {
            uint64_t slot = vkm_size_class_slot(size, 1);
            uint64_t q = slot / quarter;
            if (slot % quarter != 0 || q < 5 || q > 8) {
                vkm_test_fail(__FILE__, __LINE__, "slot(%llu, 1) = %llu is not 2^%u * q/4",
                              (unsigned long long)size, (unsigned long long)slot, k);
                return;
            }
            seen |= 1u << q;
        }
        EXPECT_EQ(seen, (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8));
    }
}

/* Sizes of the sweep: every size up to 4 KiB, then a coarse grid plus every class
 * boundary and its neighbours, up to 512 KiB. */
static uint64_t
next_size(uint64_t size)
{
    if (size < 4 * KiB)
        return size + 1;
    return size + (size < 64 * KiB ? 5 : 61);
}

static uint64_t
footprint(uint64_t size, uint64_t alignment)
{
    const uint64_t s = size < VKM_SIZE_CLASS_MIN ? VKM_SIZE_CLASS_MIN : size;
    return (s + alignment - 1) / alignment * alignment;
}

static uint32_t
check_request(uint64_t size, uint64_t alignment)
{
    const uint64_t slot = vkm_size_class_slot(size, alignment);
    const uint64_t want = reference_slot(size, alignment);
    char why[96] = "";
    if (slot != want) {
        snprintf(why, sizeof(why), "reference model says %llu", (unsigned long long)want);
    } else if (slot != 0) {
        if (slot % alignment != 0)
            snprintf(why, sizeof(why), "not a multiple of the alignment");
        else if (slot < size)
            snprintf(why, sizeof(why), "smaller than the request");
        else if (slot > VKM_SIZE_CLASS_MAX || slot < VKM_SIZE_CLASS_MIN)
            snprintf(why, sizeof(why), "outside [MIN, MAX]");
        else if (!(slot - footprint(size, alignment) <= footprint(size, alignment) / 4 ||
                   slot - size < VKM_SIZE_CLASS_MIN))
            snprintf(why, sizeof(why), "wastes more than 25 %% of the footprint and MIN");
        else if (vkm_size_class_pow2_factor(slot) < alignment)
            snprintf(why, sizeof(why), "a run base aligned to the slot's factor breaks it");
        else if (!is_class(slot))
            snprintf(why, sizeof(why), "not one of the four classes of its power of two");
    }
    if (why[0] == '\0')
        return 0;
    vkm_test_fail(__FILE__, __LINE__, "slot(%llu, %llu) = %llu: %s", (unsigned long long)size,
                  (unsigned long long)alignment, (unsigned long long)slot, why);
    return 1;
}

TEST(size_class_sweep_slots_meet_size_alignment_and_waste_bound)
{
    build_classes();
    uint32_t failures = 0;
    uint64_t checked = 0, cached = 0;
    for (uint64_t alignment = 1; alignment <= 2 * VKM_SIZE_CLASS_MAX && failures < 10;
         alignment *= 2) {
        for (uint64_t size = 1; size <= 512 * KiB && failures < 10; size = next_size(size)) {
            failures += check_request(size, alignment);
            checked++;
            cached += vkm_size_class_slot(size, alignment) != 0;
        }
        /* every class boundary and its neighbours */
        for (size_t i = 0; i < nclasses && failures < 10; i++)
            for (uint64_t size = classes[i] - 1; size <= classes[i] + 1; size++)
                failures += check_request(size, alignment);
    }
    EXPECT_EQ(failures, 0);
    /* the sweep must have looked at both kinds of answer */
    EXPECT_GT(cached, 0);
    EXPECT_LT(cached, checked);
}

TEST(size_class_small_alignment_always_cached_up_to_max)
{
    /* With the alignment at most the smallest slot the waste bound never refuses: a class
     * is always within 25 % above 256 B. */
    for (uint64_t alignment = 1; alignment <= VKM_SIZE_CLASS_MIN; alignment *= 2)
        for (uint64_t size = 1; size <= VKM_SIZE_CLASS_MAX; size = next_size(size))
            if (vkm_size_class_slot(size, alignment) == 0) {
                vkm_test_fail(__FILE__, __LINE__, "slot(%llu, %llu) refused",
                              (unsigned long long)size, (unsigned long long)alignment);
                return;
            }
}

TEST(size_class_slot_never_shrinks_as_size_grows)
{
    /* For one alignment, cached slots are non-decreasing in the size: a larger request
     * never gets a smaller slot. */
    for (uint64_t alignment = 1; alignment <= VKM_SIZE_CLASS_MAX; alignment *= 2) {
        uint64_t prev = 0, prev_size = 0;
        for (uint64_t size = 1; size <= VKM_SIZE_CLASS_MAX; size = next_size(size)) {
            uint64_t slot = vkm_size_class_slot(size, alignment);
            if (slot == 0)
                continue;
            if (slot < prev) {
                vkm_test_fail(__FILE__, __LINE__,
                              "alignment %llu: slot(%llu) = %llu < slot(%llu) = %llu",
                              (unsigned long long)alignment, (unsigned long long)size,
                              (unsigned long long)slot, (unsigned long long)prev_size,
                              (unsigned long long)prev);
                return;
            }
            prev = slot;
            prev_size = size;
        }
    }
}

TEST(size_class_reference_model_sanity)
{
    /* the model itself: classes are ascending and powers of two are classes */
    build_classes();
    for (size_t i = 1; i < nclasses; i++)
        ASSERT_LT(classes[i - 1], classes[i]);
    for (uint64_t p = 8; p <= VKM_SIZE_CLASS_MAX; p *= 2)
        EXPECT_TRUE(is_class(p));
    EXPECT_TRUE(is_pow2(VKM_SIZE_CLASS_MIN));
    EXPECT_TRUE(is_pow2(VKM_SIZE_CLASS_MAX));
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
