/* SPDX-License-Identifier: MIT */
/*
 * debug.h - assertions and debug levels (layer L0).
 *
 * VKM_DEBUG is a compile-time level:
 *   0  release: no asserts; API functions still return their documented error.
 *   1  API asserts: contract violations by the caller abort with a message that
 *      names the argument (vkm_api_assert).
 *   2  internal asserts (vkm_assert): invariants of our own structures.
 *   3  expensive validation walks (<module>_validate()) on entry and exit of mutators.
 * Debug code is always compiled and guarded by a `static const` flag so it cannot rot.
 *
 * Tests that exercise bad input on purpose call vkm_debug_set_api_assert_hook() (exported
 * through vkmalloc.h as vkmSetAssertHandler) so an API assert is recorded instead of
 * aborting; release builds simply return the error.
 */
#ifndef VKM_DEBUG_H
#define VKM_DEBUG_H

#include <stdbool.h>

#ifndef VKM_DEBUG
#  ifdef NDEBUG
#    define VKM_DEBUG 0
#  else
#    define VKM_DEBUG 2
#  endif
#endif

static const bool vkm_config_api_asserts = VKM_DEBUG >= 1;
static const bool vkm_config_internal_asserts = VKM_DEBUG >= 2;
static const bool vkm_config_expensive_checks = VKM_DEBUG >= 3;

/* Reports a failed assertion. For API asserts a user hook may swallow the report
 * (returns normally); otherwise it prints and aborts. */
void vkm_assert_failed(const char *expr, const char *msg, const char *file, int line,
                       bool api);

#define VKM_LIKELY(x) __builtin_expect(!!(x), 1)
#define VKM_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* Keeps a slow path out of its caller, so the fast path's frame stays small. */
#define VKM_NOINLINE __attribute__((noinline))

/* Caller contract check. `msg` names the argument, e.g. "allocator must not be null". */
#define vkm_api_assert(expr, msg)                                                  \
    do {                                                                           \
        if (vkm_config_api_asserts && VKM_UNLIKELY(!(expr)))                       \
            vkm_assert_failed(#expr, (msg), __FILE__, __LINE__, true);             \
    } while (0)

/* Internal invariant. */
#define vkm_assert(expr)                                                           \
    do {                                                                           \
        if (vkm_config_internal_asserts && VKM_UNLIKELY(!(expr)))                  \
            vkm_assert_failed(#expr, "internal invariant", __FILE__, __LINE__, false); \
    } while (0)

#define VKM_UNUSED(x) ((void)(x))
#define VKM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* VKM_DEBUG_H */
