/* SPDX-License-Identifier: MIT */
/*
 * tsan.h - ThreadSanitizer annotations (layer L0).
 *
 * ConcurrencyKit's epochs synchronise through inline asm that ThreadSanitizer cannot see
 * (design.md §8). epoch.c tells it about the two happens-before edges that matter: a
 * reader's section end (release) and the grace period a deferred free waits for
 * (acquire). Everywhere else the project's own atomics are C11 and need no annotation;
 * lock.h's spin lock is also announced as a mutex, so TSan checks its lock order.
 * In builds without TSan the macros compile to nothing.
 */
#ifndef VKM_TSAN_H
#define VKM_TSAN_H

/* A lock of the project's own (lock.h's spin lock) is shown to TSan as a mutex (the
 * vkm_tsan_mutex_* macros), so its reports name it and its lock-order checks cover it.
 * The flag values are those of <sanitizer/tsan_interface.h>. */
#define VKM_TSAN_MUTEX_TRY_LOCK (1u << 4)
#define VKM_TSAN_MUTEX_TRY_LOCK_FAILED (1u << 5)

#if defined(VKM_TSAN) && VKM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void __tsan_mutex_create(void *addr, unsigned flags);
void __tsan_mutex_destroy(void *addr, unsigned flags);
void __tsan_mutex_pre_lock(void *addr, unsigned flags);
void __tsan_mutex_post_lock(void *addr, unsigned flags, int recursion);
int __tsan_mutex_pre_unlock(void *addr, unsigned flags);
void __tsan_mutex_post_unlock(void *addr, unsigned flags);
#define vkm_tsan_acquire(addr) __tsan_acquire((void *)(addr))
#define vkm_tsan_release(addr) __tsan_release((void *)(addr))
#define vkm_tsan_mutex_create(addr) __tsan_mutex_create((void *)(addr), 0)
#define vkm_tsan_mutex_destroy(addr) __tsan_mutex_destroy((void *)(addr), 0)
#define vkm_tsan_mutex_pre_lock(addr, flags) __tsan_mutex_pre_lock((void *)(addr), (flags))
#define vkm_tsan_mutex_post_lock(addr, flags) __tsan_mutex_post_lock((void *)(addr), (flags), 0)
#define vkm_tsan_mutex_pre_unlock(addr) ((void)__tsan_mutex_pre_unlock((void *)(addr), 0))
#define vkm_tsan_mutex_post_unlock(addr) __tsan_mutex_post_unlock((void *)(addr), 0)
#else
#define vkm_tsan_acquire(addr) ((void)(addr))
#define vkm_tsan_release(addr) ((void)(addr))
#define vkm_tsan_mutex_create(addr) ((void)(addr))
#define vkm_tsan_mutex_destroy(addr) ((void)(addr))
#define vkm_tsan_mutex_pre_lock(addr, flags) ((void)(addr), (void)(flags))
#define vkm_tsan_mutex_post_lock(addr, flags) ((void)(addr), (void)(flags))
#define vkm_tsan_mutex_pre_unlock(addr) ((void)(addr))
#define vkm_tsan_mutex_post_unlock(addr) ((void)(addr))
#endif

#endif /* VKM_TSAN_H */
