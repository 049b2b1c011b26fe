/* SPDX-License-Identifier: MIT */
/*
 * atomics.h - the project's only user of <stdatomic.h> (layer L0).
 *
 * Every shared word is a struct-wrapped atomic so that a plain load or store does not
 * compile, and every access spells its memory order in the function name so that
 * `grep acquire` finds all of them. ConcurrencyKit's ck_pr is never used for our own
 * data: it is inline asm that ThreadSanitizer cannot see (design.md §8).
 *
 * Fields of these types are named with a leading `x` (xrefcount, xremote_free).
 */
#ifndef VKM_ATOMICS_H
#define VKM_ATOMICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct { _Atomic uint32_t v; } vkm_atomic_u32;
typedef struct { _Atomic uint64_t v; } vkm_atomic_u64;
typedef struct { _Atomic(void *) v; } vkm_atomic_ptr;
typedef struct { _Atomic bool v; } vkm_atomic_bool;

#define VKM_CACHE_LINE 64

#define VKM_ATOMIC_DEFINE_INT(T, suffix)                                              \
    static inline void vkm_atomic_init_##suffix(vkm_atomic_##suffix *a, T x)         \
    { atomic_init(&a->v, x); }                                                        \
    static inline T vkm_atomic_load_##suffix##_relaxed(const vkm_atomic_##suffix *a)  \
    { return atomic_load_explicit((_Atomic T *)&a->v, memory_order_relaxed); }        \
    static inline T vkm_atomic_load_##suffix##_acquire(const vkm_atomic_##suffix *a)  \
    { return atomic_load_explicit((_Atomic T *)&a->v, memory_order_acquire); }        \
    static inline void vkm_atomic_store_##suffix##_relaxed(vkm_atomic_##suffix *a, T x) \
    { atomic_store_explicit(&a->v, x, memory_order_relaxed); }                        \
    static inline void vkm_atomic_store_##suffix##_release(vkm_atomic_##suffix *a, T x) \
    { atomic_store_explicit(&a->v, x, memory_order_release); }                        \
    static inline T vkm_atomic_fetch_add_##suffix##_relaxed(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_add_explicit(&a->v, x, memory_order_relaxed); }             \
    static inline T vkm_atomic_fetch_add_##suffix##_acq_rel(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_add_explicit(&a->v, x, memory_order_acq_rel); }             \
    static inline T vkm_atomic_fetch_sub_##suffix##_relaxed(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_sub_explicit(&a->v, x, memory_order_relaxed); }             \
    static inline T vkm_atomic_fetch_sub_##suffix##_acq_rel(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_sub_explicit(&a->v, x, memory_order_acq_rel); }             \
    static inline T vkm_atomic_load_##suffix##_seq_cst(const vkm_atomic_##suffix *a)  \
    { return atomic_load_explicit((_Atomic T *)&a->v, memory_order_seq_cst); }        \
    static inline T vkm_atomic_fetch_add_##suffix##_seq_cst(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_add_explicit(&a->v, x, memory_order_seq_cst); }             \
    static inline T vkm_atomic_fetch_or_##suffix##_release(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_or_explicit(&a->v, x, memory_order_release); }              \
    static inline T vkm_atomic_fetch_or_##suffix##_seq_cst(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_or_explicit(&a->v, x, memory_order_seq_cst); }              \
    static inline T vkm_atomic_fetch_and_##suffix##_release(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_and_explicit(&a->v, x, memory_order_release); }             \
    static inline T vkm_atomic_fetch_and_##suffix##_acq_rel(vkm_atomic_##suffix *a, T x) \
    { return atomic_fetch_and_explicit(&a->v, x, memory_order_acq_rel); }             \
    static inline T vkm_atomic_exchange_##suffix##_acq_rel(vkm_atomic_##suffix *a, T x) \
    { return atomic_exchange_explicit(&a->v, x, memory_order_acq_rel); }              \
    static inline bool vkm_atomic_cas_##suffix##_acq_rel(vkm_atomic_##suffix *a, T *expected, T desired) \
    { return atomic_compare_exchange_weak_explicit(&a->v, expected, desired,          \
                                                   memory_order_acq_rel,              \
                                                   memory_order_acquire); }           \
    static inline bool vkm_atomic_cas_##suffix##_relaxed(vkm_atomic_##suffix *a, T *expected, T desired) \
    { return atomic_compare_exchange_weak_explicit(&a->v, expected, desired,          \
                                                   memory_order_relaxed,              \
                                                   memory_order_relaxed); }

VKM_ATOMIC_DEFINE_INT(uint32_t, u32)
VKM_ATOMIC_DEFINE_INT(uint64_t, u64)

static inline void vkm_atomic_init_ptr(vkm_atomic_ptr *a, void *x) { atomic_init(&a->v, x); }
static inline void *
vkm_atomic_load_ptr_relaxed(const vkm_atomic_ptr *a)
{
    return atomic_load_explicit((_Atomic(void *) *)&a->v, memory_order_relaxed);
}
static inline void *
vkm_atomic_load_ptr_acquire(const vkm_atomic_ptr *a)
{
    return atomic_load_explicit((_Atomic(void *) *)&a->v, memory_order_acquire);
}
static inline void
vkm_atomic_store_ptr_relaxed(vkm_atomic_ptr *a, void *x)
{
    atomic_store_explicit(&a->v, x, memory_order_relaxed);
}
static inline void
vkm_atomic_store_ptr_release(vkm_atomic_ptr *a, void *x)
{
    atomic_store_explicit(&a->v, x, memory_order_release);
}
static inline void *
vkm_atomic_exchange_ptr_acq_rel(vkm_atomic_ptr *a, void *x)
{
    return atomic_exchange_explicit(&a->v, x, memory_order_acq_rel);
}
static inline bool
vkm_atomic_cas_ptr_acq_rel(vkm_atomic_ptr *a, void **expected, void *desired)
{
    return atomic_compare_exchange_weak_explicit(&a->v, expected, desired,
                                                 memory_order_acq_rel, memory_order_acquire);
}
static inline bool
vkm_atomic_cas_ptr_release(vkm_atomic_ptr *a, void **expected, void *desired)
{
    return atomic_compare_exchange_weak_explicit(&a->v, expected, desired,
                                                 memory_order_release, memory_order_relaxed);
}

static inline void vkm_atomic_init_bool(vkm_atomic_bool *a, bool x) { atomic_init(&a->v, x); }
static inline bool
vkm_atomic_load_bool_acquire(const vkm_atomic_bool *a)
{
    return atomic_load_explicit((_Atomic bool *)&a->v, memory_order_acquire);
}
static inline bool
vkm_atomic_load_bool_relaxed(const vkm_atomic_bool *a)
{
    return atomic_load_explicit((_Atomic bool *)&a->v, memory_order_relaxed);
}
static inline void
vkm_atomic_store_bool_release(vkm_atomic_bool *a, bool x)
{
    atomic_store_explicit(&a->v, x, memory_order_release);
}

static inline void vkm_atomic_fence_seq_cst(void) { atomic_thread_fence(memory_order_seq_cst); }
static inline void vkm_atomic_fence_acquire(void) { atomic_thread_fence(memory_order_acquire); }
static inline void vkm_atomic_fence_release(void) { atomic_thread_fence(memory_order_release); }
/* Orders this thread's accesses for the compiler only: the light side of an asymmetric
 * fence whose heavy side is vkm_thread_fence_all (thread.h). */
static inline void vkm_atomic_compiler_fence(void) { atomic_signal_fence(memory_order_seq_cst); }

static inline void
vkm_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif /* VKM_ATOMICS_H */
