/* SPDX-License-Identifier: MIT */
/*
 * arena.h - a thread cache's private sub-heap for requests that runs cannot serve well:
 * sizes over the largest slot class, and alignments larger than the size (layer L3).
 *
 * An arena is a range reserved from a block of one list (like a run), holding one
 * resource kind, and managed by its own TLSF in arena-relative offsets. It has one owner
 * thread cache, which allocates from it; any thread may free into it. Every operation on
 * the TLSF happens under the arena's own lock, which only its owner takes in the common
 * case: allocation and free cost an uncontended lock instead of a block lock that every
 * thread of the list shares. Remote frees and statistics take the same lock.
 *
 * Who touches what:
 *   list, block, base, size, kind, align, ha     immutable
 *   tlsf, live, xowner, remote_freed             under `lock` (xowner: see below)
 *   owner_free                                   the owner thread only
 *   prev, next                                   the owner's list (owner thread), or the
 *                                                orphan list (under the orphan lock)
 * Life: created by its owner; returned (range back to the block, struct retired through
 * the epoch) by its owner when it is empty, or, once the owner thread has exited (owner
 * NULL, "orphan"), by whoever frees its last allocation. A remote freer holds a live
 * allocation of the arena, so the arena cannot go before that free; it stays inside an
 * epoch section until it has unlocked.
 *
 * Lock order: block lock -> arena lock (statistics walk a block and expand its arenas).
 * An arena's lock is never held while a block lock is taken.
 */
#ifndef VKM_ARENA_H
#define VKM_ARENA_H

#include "block_list.h"
#include "epoch.h"
#include "lock.h"
#include "tlsf.h"

typedef struct vkm_arena {
    vkm_block_list *list;     /* immutable */
    vkm_block *block;         /* immutable */
    VkDeviceSize base, size;  /* immutable: the range in the block */
    VkDeviceSize align;       /* immutable: the largest alignment it serves */
    uint8_t kind;             /* immutable: vkm_range_kind */
    const vkm_host_alloc *ha; /* immutable */
    vkm_mutex lock;
    vkm_tlsf *tlsf; /* under lock */
    uint32_t live;  /* under lock: allocations in it */
    /* the owner's vkm_tcache, NULL: orphan. Written under lock; read without it only to
     * ask "am I the owner?", which is exact because only the owner stores itself. */
    vkm_atomic_ptr xowner;
    VkDeviceSize remote_freed; /* under lock: bytes freed by other threads since the
                                 * owner last allocated from it (its cache accounting) */
    VkDeviceSize owner_free;   /* owner only: free bytes as its cache accounts them */
    struct vkm_arena *prev, *next;
    vkm_epoch_entry retire;
} vkm_arena;

/* Reserves an arena of `size` bytes aligned to `align` from `l` for `owner`. `flags` are
 * the placement flags of the request that asked for it; the range's user pointer in the
 * block is the arena's address with `tag` or-ed in. */
VkResult vkm_arena_create(vkm_block_list *l, vkm_epoch_record *rec, VkDeviceSize size,
                          VkDeviceSize align, vkm_range_kind kind, VmaAllocationCreateFlags flags,
                          void *owner, uintptr_t tag, vkm_arena **out);

/* Owner: a range of `size` with `alignment` (<= arena->align), stored with `user` (its
 * VmaAllocation, which defragmentation finds through vkm_arena_visit). VK_SUCCESS with the
 * block offset, or VK_INCOMPLETE when the arena has no room. Either way *remote_freed
 * receives (and the arena forgets) the bytes other threads freed since the last call. */
VkResult vkm_arena_alloc(vkm_arena *ar, VkDeviceSize size, VkDeviceSize alignment, void *user,
                         VkDeviceSize *out_offset, VkDeviceSize *remote_freed);

typedef enum vkm_arena_free_result {
    VKM_ARENA_FREED = 0,        /* nothing more to do */
    VKM_ARENA_OWNER_EMPTY = 1,  /* the caller is the owner and the arena is now empty */
    VKM_ARENA_ORPHAN_EMPTY = 2, /* an orphan emptied: the caller returns it */
} vkm_arena_free_result;

/* Any thread: frees the range at block offset `offset` (of requested `size`). `caller`
 * is the calling thread's cache. A caller that is not the owner must be inside an epoch
 * section. The owner receives in *remote_freed what vkm_arena_alloc would have. */
vkm_arena_free_result vkm_arena_free(vkm_arena *ar, const void *caller, VkDeviceSize offset,
                                     VkDeviceSize size, VkDeviceSize *remote_freed);

/* Owner: folds remote frees (as vkm_arena_alloc does); true when the arena is empty. */
bool vkm_arena_sync(vkm_arena *ar, VkDeviceSize *remote_freed);

/* Owner thread exit: the arena becomes an orphan. Returns true when it is empty: the
 * caller returns it. */
bool vkm_arena_orphan(vkm_arena *ar);

/* Gives the range back to its block and retires the struct. Nobody may reach it any
 * more (no live allocation, out of every list). */
void vkm_arena_return(vkm_arena *ar, vkm_epoch_record *rec);

/* Allocator destruction: reports leaked allocations (debug), frees the range without
 * any policy and the struct at once. */
void vkm_arena_drop(vkm_arena *ar);

/* Its list was destroyed (pool destruction, tcache.h): frees the struct without touching
 * the block, which is gone; retired through `rec`, or at once when `rec` is NULL. */
void vkm_arena_forget(vkm_arena *ar, vkm_epoch_record *rec);

/* Calls fn for every range of the arena, allocated and free, in ascending order with
 * block offsets, under the arena's lock (the caller holds the block lock: statistics,
 * the JSON dump, corruption checks). An allocated range's `user` is its VmaAllocation,
 * alive while the lock is held: a free takes the range out under the same lock before
 * the object goes. */
void vkm_arena_visit(vkm_arena *ar, vkm_range_visit_fn fn, void *ctx);

#endif /* VKM_ARENA_H */
