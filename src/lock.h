/* SPDX-License-Identifier: MIT */
/*
 * lock.h - mutexes and reader/writer locks (layer L0).
 *
 * Thin wrappers over pthreads so the lock order can be checked in one place and so the
 * single-mutex build can be expressed as "one vkm_mutex around every entry point".
 *
 * Lock order (design.md §5), outermost first:
 *   allocator-global (single-mutex build only) -> pool list -> block list growth
 *   -> block -> block map -> dedicated list -> budget.
 * Nothing is held across a call into user code except the documented
 * pDeviceMemoryCallbacks, which run under the block-list growth lock as in VMA.
 */
#ifndef VKM_LOCK_H
#define VKM_LOCK_H

#include <pthread.h>
#include <stdbool.h>

typedef struct vkm_mutex {
    pthread_mutex_t m;
} vkm_mutex;

typedef struct vkm_rwlock {
    pthread_rwlock_t l;
} vkm_rwlock;

/* A mutex of pthread type `type`. */
static inline int
vkm_mutex_init_type(vkm_mutex *m, int type)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, type);
    const int res = pthread_mutex_init(&m->m, &attr);
    pthread_mutexattr_destroy(&attr);
    return res;
}

/* Adaptive where glibc has it: a contended lock spins briefly before it sleeps. Our
 * critical sections are short (a TLSF operation, a list splice), and a plain mutex
 * sends every contended locker to futex_wait and every unlock of a contended lock to
 * futex_wake: on 16 cores, churn spent 15 % of its samples in those paths. */
static inline int
vkm_mutex_init(vkm_mutex *m)
{
#if defined(PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP)
    return vkm_mutex_init_type(m, PTHREAD_MUTEX_ADAPTIVE_NP);
#else
    return pthread_mutex_init(&m->m, NULL);
#endif
}
/* A mutex its holder may take again: the single-mutex build's global lock, held across
 * the device-memory callbacks, which may call back into the allocator (a budget query
 * from pfnAllocate, say), as they may in the default build. */
static inline int
vkm_mutex_init_recursive(vkm_mutex *m)
{
    return vkm_mutex_init_type(m, PTHREAD_MUTEX_RECURSIVE);
}
static inline void vkm_mutex_destroy(vkm_mutex *m) { pthread_mutex_destroy(&m->m); }
static inline void vkm_mutex_lock(vkm_mutex *m) { pthread_mutex_lock(&m->m); }
static inline bool vkm_mutex_trylock(vkm_mutex *m) { return pthread_mutex_trylock(&m->m) == 0; }
static inline void vkm_mutex_unlock(vkm_mutex *m) { pthread_mutex_unlock(&m->m); }

static inline int vkm_rwlock_init(vkm_rwlock *l) { return pthread_rwlock_init(&l->l, NULL); }
static inline void vkm_rwlock_destroy(vkm_rwlock *l) { pthread_rwlock_destroy(&l->l); }
static inline void vkm_rwlock_rdlock(vkm_rwlock *l) { pthread_rwlock_rdlock(&l->l); }
static inline void vkm_rwlock_wrlock(vkm_rwlock *l) { pthread_rwlock_wrlock(&l->l); }
static inline void vkm_rwlock_unlock(vkm_rwlock *l) { pthread_rwlock_unlock(&l->l); }

#endif /* VKM_LOCK_H */
