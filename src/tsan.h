/* SPDX-License-Identifier: MIT */
/*
 * tsan.h - ThreadSanitizer annotations (layer L0).
 *
 * ConcurrencyKit's epochs synchronise through inline asm that ThreadSanitizer cannot see
 * (design.md §8). epoch.c tells it about the two happens-before edges that matter: a
 * reader's section end (release) and the grace period a deferred free waits for
 * (acquire). Everywhere else the project's own atomics are C11 and need no annotation.
 * In builds without TSan the macros compile to nothing.
 */
#ifndef VKM_TSAN_H
#define VKM_TSAN_H

#if defined(VKM_TSAN) && VKM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define vkm_tsan_acquire(addr) __tsan_acquire((void *)(addr))
#define vkm_tsan_release(addr) __tsan_release((void *)(addr))
#else
#define vkm_tsan_acquire(addr) ((void)(addr))
#define vkm_tsan_release(addr) ((void)(addr))
#endif

#endif /* VKM_TSAN_H */
