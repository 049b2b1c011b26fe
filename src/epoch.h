/* SPDX-License-Identifier: MIT */
/*
 * epoch.h - epoch-based reclamation, the only door to ConcurrencyKit (layer L1).
 *
 * Lock-free readers (block arrays scanned without the growth lock, runs a remote freer
 * is publishing into) bracket their accesses with vkm_epoch_begin/vkm_epoch_end. A
 * writer that unlinks an object hands it to vkm_epoch_retire; its callback runs only
 * after every section that could have seen the object has ended (Fraser 2004, "Practical
 * lock-freedom"; ck_epoch implements it).
 *
 * One vkm_epoch per allocator, one record per (thread, allocator): a record is used by
 * one thread at a time (the thread cache that owns it, or whoever holds the allocator's
 * fallback lock). Records are never freed before the epoch: ck keeps them linked, so a
 * released record is recycled by the next thread that registers.
 *
 * Callbacks run on the retiring thread, from vkm_epoch_poll/vkm_epoch_barrier, or from
 * vkm_epoch_destroy for whatever is still pending. They must not enter a section.
 *
 * Under ThreadSanitizer (design.md §8) section ends are release points and every
 * callback starts with an acquire of the same address, since ck's own synchronisation
 * is invisible to TSan.
 */
#ifndef VKM_EPOCH_H
#define VKM_EPOCH_H

#include <stdbool.h>
#include <stddef.h>

#include "host_alloc.h"

typedef struct vkm_epoch vkm_epoch;
typedef struct vkm_epoch_record vkm_epoch_record;

/* Storage for one pending retirement, embedded in the retired object. */
typedef struct vkm_epoch_entry {
    void *opaque[4];
} vkm_epoch_entry;
typedef void vkm_epoch_fn(vkm_epoch_entry *entry);

#define vkm_epoch_container(ptr, T, member) ((T *)(void *)((char *)(ptr)-offsetof(T, member)))

/* NULL on host-memory exhaustion. */
vkm_epoch *vkm_epoch_create(const vkm_host_alloc *ha);
/* Runs every pending callback of every record, then frees the records and the epoch.
 * No section may be open and no thread may use a record any more. */
void vkm_epoch_destroy(vkm_epoch *e);

/* A record for the calling thread: a released one recycled, or a new one. NULL on
 * host-memory exhaustion. */
vkm_epoch_record *vkm_epoch_register(vkm_epoch *e);
/* Waits for a grace period, runs the record's pending callbacks, and releases it for
 * recycling. The record must not be in a section. */
void vkm_epoch_unregister(vkm_epoch_record *r);

void vkm_epoch_begin(vkm_epoch_record *r);
void vkm_epoch_end(vkm_epoch_record *r);

/* Defers fn(entry) until every section open now has ended. Then polls, so pending
 * callbacks run as grace periods pass without anyone waiting. */
void vkm_epoch_retire(vkm_epoch_record *r, vkm_epoch_entry *entry, vkm_epoch_fn *fn);
/* Runs the callbacks whose grace period has passed; never waits. */
void vkm_epoch_poll(vkm_epoch_record *r);
/* Waits for a grace period and runs every pending callback of the record. */
void vkm_epoch_barrier(vkm_epoch_record *r);
/* Callbacks retired through `r` and not yet run. */
size_t vkm_epoch_pending(const vkm_epoch_record *r);

#endif /* VKM_EPOCH_H */
