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
#include <sched.h>
#include <stdbool.h>

#include "atomics.h"
#include "tsan.h"

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

/*
 * A spin lock for critical sections of a few hundred cycles that many threads take: a
 * block's ranges (one TLSF operation). Test-and-test-and-set: a waiter reads the word
 * until it looks free and only then tries the exchange, so waiters share the line instead
 * of taking it from the holder; it backs off exponentially between reads, and yields its
 * CPU after some 500 pauses, where the holder has most likely been preempted (4 threads
 * on 2 cores). Why not the adaptive mutex: on 16 cores, churn spent 16 % of its time in
 * pthread_mutex_{trylock,lock,unlock} over block locks, mostly futex_wake on unlocks
 * after a waiter had gone to sleep; the spin lock's unlock is one store.
 * Hold one for bounded work only: a host allocation may happen under it (a TLSF node
 * chunk), never a vkAllocateMemory or a device-memory callback.
 */
typedef struct vkm_spinlock {
    vkm_atomic_u32 x; /* 0 free, 1 held */
} vkm_spinlock;

#define VKM_SPIN_MAX_PAUSES 64u /* per read, at the end of the backoff */
#define VKM_SPIN_ROUNDS_BEFORE_YIELD 12u

static inline void
vkm_spin_init(vkm_spinlock *l)
{
    vkm_atomic_init_u32(&l->x, 0);
    vkm_tsan_mutex_create(l);
}

static inline void
vkm_spin_destroy(vkm_spinlock *l)
{
    vkm_tsan_mutex_destroy(l);
}

static inline bool
vkm_spin_try_once(vkm_spinlock *l)
{
    uint32_t expected = 0;
    return vkm_atomic_load_u32_relaxed(&l->x) == 0 &&
           vkm_atomic_cas_u32_acq_rel(&l->x, &expected, 1u);
}

static inline bool
vkm_spin_trylock(vkm_spinlock *l)
{
    vkm_tsan_mutex_pre_lock(l, VKM_TSAN_MUTEX_TRY_LOCK);
    const bool got = vkm_spin_try_once(l);
    vkm_tsan_mutex_post_lock(l, got ? VKM_TSAN_MUTEX_TRY_LOCK
                                    : VKM_TSAN_MUTEX_TRY_LOCK | VKM_TSAN_MUTEX_TRY_LOCK_FAILED);
    return got;
}

static inline void
vkm_spin_lock(vkm_spinlock *l)
{
    vkm_tsan_mutex_pre_lock(l, 0);
    for (uint32_t round = 0; !vkm_spin_try_once(l); round++) {
        if (round >= VKM_SPIN_ROUNDS_BEFORE_YIELD) {
            sched_yield();
            continue;
        }
        const uint32_t pauses = round < 6u ? 2u << round : VKM_SPIN_MAX_PAUSES;
        for (uint32_t i = 0; i < pauses && vkm_atomic_load_u32_relaxed(&l->x) != 0; i++)
            vkm_cpu_relax();
    }
    vkm_tsan_mutex_post_lock(l, 0);
}

static inline void
vkm_spin_unlock(vkm_spinlock *l)
{
    vkm_tsan_mutex_pre_unlock(l);
    vkm_atomic_store_u32_release(&l->x, 0);
    vkm_tsan_mutex_post_unlock(l);
}

#endif /* VKM_LOCK_H */
