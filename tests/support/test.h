/* SPDX-License-Identifier: MIT */
/*
 * test.h - the project's test harness.
 *
 *   TEST(tlsf_merges_with_both_neighbours) { ... EXPECT_EQ(a, b); ASSERT_TRUE(p); ... }
 *   int main(int argc, char **argv) { return vkm_test_main(argc, argv); }
 *
 * EXPECT_* records a failure and continues; ASSERT_* records and ends the case.
 * Cases register themselves (constructor attribute) and run in file order. A case may
 * call TEST_SKIP("why") to end itself as skipped; if every case skipped, the process exits
 * 77 (ctest SKIP_RETURN_CODE): used only when no Vulkan driver exists at all.
 * `prog name-substring` runs matching cases only. The closing line is
 * "N passed, N failed, N skipped".
 */
#ifndef VKM_TEST_H
#define VKM_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*vkm_test_fn)(void);
void vkm_test_register(const char *name, vkm_test_fn fn, const char *file);
int vkm_test_main(int argc, char **argv);
void vkm_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vkm_test_skip(const char *why);
bool vkm_test_case_failed(void);
/* jump out of the current case (used by ASSERT_* and TEST_SKIP) */
_Noreturn void vkm_test_abort_case(void);

#define TEST(name)                                                                 \
    static void test_##name(void);                                                 \
    __attribute__((constructor)) static void test_register_##name(void)            \
    { vkm_test_register(#name, test_##name, __FILE__); }                           \
    static void test_##name(void)

#define TEST_SKIP(why) do { vkm_test_skip(why); vkm_test_abort_case(); } while (0)

#define VKM_T_CHECK(cond, fatal, ...)                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            vkm_test_fail(__FILE__, __LINE__, __VA_ARGS__);                        \
            if (fatal) vkm_test_abort_case();                                      \
        }                                                                          \
    } while (0)

#define VKM_T_CMP(a, op, b, fatal)                                                 \
    do {                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                      \
        VKM_T_CHECK(va_ op vb_, fatal, "%s %s %s (%lld vs %lld)", #a, #op, #b, va_, vb_); \
    } while (0)
#define VKM_T_CMPU(a, op, b, fatal)                                                \
    do {                                                                           \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b); \
        VKM_T_CHECK(va_ op vb_, fatal, "%s %s %s (%llu vs %llu)", #a, #op, #b, va_, vb_); \
    } while (0)

#define EXPECT_TRUE(c) VKM_T_CHECK((c), 0, "expected true: %s", #c)
#define ASSERT_TRUE(c) VKM_T_CHECK((c), 1, "expected true: %s", #c)
#define EXPECT_FALSE(c) VKM_T_CHECK(!(c), 0, "expected false: %s", #c)
#define ASSERT_FALSE(c) VKM_T_CHECK(!(c), 1, "expected false: %s", #c)
#define EXPECT_EQ(a, b) VKM_T_CMP(a, ==, b, 0)
#define ASSERT_EQ(a, b) VKM_T_CMP(a, ==, b, 1)
#define EXPECT_NE(a, b) VKM_T_CMP(a, !=, b, 0)
#define ASSERT_NE(a, b) VKM_T_CMP(a, !=, b, 1)
#define EXPECT_LT(a, b) VKM_T_CMP(a, <, b, 0)
#define EXPECT_LE(a, b) VKM_T_CMP(a, <=, b, 0)
#define EXPECT_GT(a, b) VKM_T_CMP(a, >, b, 0)
#define EXPECT_GE(a, b) VKM_T_CMP(a, >=, b, 0)
#define ASSERT_LE(a, b) VKM_T_CMP(a, <=, b, 1)
#define ASSERT_GE(a, b) VKM_T_CMP(a, >=, b, 1)
#define ASSERT_LT(a, b) VKM_T_CMP(a, <, b, 1)
#define ASSERT_GT(a, b) VKM_T_CMP(a, >, b, 1)
/* unsigned 64-bit comparisons (VkDeviceSize, offsets near UINT64_MAX) */
#define EXPECT_EQ_U64(a, b) VKM_T_CMPU(a, ==, b, 0)
#define ASSERT_EQ_U64(a, b) VKM_T_CMPU(a, ==, b, 1)
#define EXPECT_NE_U64(a, b) VKM_T_CMPU(a, !=, b, 0)
#define EXPECT_LE_U64(a, b) VKM_T_CMPU(a, <=, b, 0)
#define EXPECT_GE_U64(a, b) VKM_T_CMPU(a, >=, b, 0)
#define EXPECT_STREQ(a, b)                                                         \
    do {                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                         \
        VKM_T_CHECK(sa_ && sb_ && strcmp(sa_, sb_) == 0, 0, "%s == %s (\"%s\" vs \"%s\")", \
                    #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");           \
    } while (0)
/* VkResult checks print the code */
#define EXPECT_VK(expected, expr) VKM_T_CMP((expr), ==, (expected), 0)
#define ASSERT_VK(expected, expr) VKM_T_CMP((expr), ==, (expected), 1)
#define ASSERT_VK_OK(expr) ASSERT_VK(VK_SUCCESS, expr)

#endif /* VKM_TEST_H */
