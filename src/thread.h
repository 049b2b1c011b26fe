/* SPDX-License-Identifier: MIT */
/*
 * thread.h - per-thread slots and the thread-exit hook (layer L0).
 *
 * A thread holds a few slots, each binding an owner object (an allocator) to data of
 * that thread (its cache). Owners are identified by address *and* a generation number
 * that is never reused, so a slot left behind by a destroyed owner is recognised as
 * stale even when a new owner lands at the same address, and is never dereferenced.
 *
 * Thread exit: for every slot whose owner is still registered, the slot's exit function
 * runs on the exiting thread. Registration and the exit functions are serialised by one
 * process-wide lock, so once vkm_thread_owner_unregister() returns no exit function of
 * that owner is running or will run: the owner may free everything its slots point to.
 *
 * Lock order: the owners lock is outermost; exit functions may take any library lock.
 */
#ifndef VKM_THREAD_H
#define VKM_THREAD_H

#include <stdbool.h>
#include <stdint.h>

/* Slots per thread: a thread using more allocators at once works without a cache for
 * the extra ones. */
#define VKM_THREAD_SLOTS 8

typedef void vkm_thread_exit_fn(void *data);

/* Registry node embedded in the owner (no allocation: the registry outlives every
 * owner's host-allocation callbacks). `gen` is set by vkm_thread_owner_register. */
typedef struct vkm_thread_owner {
    uint64_t gen;                  /* immutable once registered */
    struct vkm_thread_owner *next; /* under the owners lock */
} vkm_thread_owner;

/* Gives `o` a new generation and makes it live. */
void vkm_thread_owner_register(vkm_thread_owner *o);
/* See above: afterwards no exit function of `o` runs any more. */
void vkm_thread_owner_unregister(vkm_thread_owner *o);

/* The calling thread's slots (thread.c): touched only by this thread, except that the
 * exit hook reads them on the same thread. Visible here for vkm_thread_get's fast path
 * only. */
typedef struct vkm_thread_slot {
    const void *owner;
    uint64_t gen;
    void *data;
    vkm_thread_exit_fn *exit_fn;
} vkm_thread_slot;
extern _Thread_local vkm_thread_slot vkm_thread_slots[VKM_THREAD_SLOTS]
    __attribute__((visibility("hidden")));

void *vkm_thread_get_slow(const void *owner, uint64_t gen);

/* The calling thread's data for (owner, gen), or NULL. A stale slot of the same owner
 * address is dropped on the way. The first slot is checked inline: a thread that uses
 * one allocator finds its cache there. */
static inline void *
vkm_thread_get(const void *owner, uint64_t gen)
{
    const vkm_thread_slot *s = &vkm_thread_slots[0];
    if (s->owner == owner && s->gen == gen)
        return s->data;
    return vkm_thread_get_slow(owner, gen);
}

/* Binds data to (owner, gen) for the calling thread, with its exit function. Returns
 * false when all slots are taken by live owners. */
bool vkm_thread_set(const void *owner, uint64_t gen, void *data, vkm_thread_exit_fn *fn);
/* Forgets the calling thread's slot for `owner` (no exit function runs). */
void vkm_thread_clear(const void *owner);

/* The heavy side of an asymmetric fence: every other thread of the process executes a
 * full memory barrier at some point between this call's start and its return (Linux
 * membarrier: private expedited, else global). So a thread whose accesses are kept in
 * program order by a compiler fence alone (vkm_atomic_compiler_fence) either had its
 * earlier stores visible to the caller's later loads, or makes its later loads after
 * the caller's earlier stores. False when the kernel offers no such barrier (or a
 * sandbox forbids it); the caller must then not rely on it. */
bool vkm_thread_fence_all(void);

/* A monotonic clock in nanoseconds, coarse (a few milliseconds) and cheap: for rate
 * limits on slow paths, never for measuring. */
uint64_t vkm_thread_coarse_ns(void);

#endif /* VKM_THREAD_H */
