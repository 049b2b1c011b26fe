/* SPDX-License-Identifier: MIT */
/*
 * epoch.c - ck_epoch behind vkm_epoch_* (see epoch.h). The only file that includes
 * <ck_epoch.h>; the TSan annotations ck needs live here too (design.md §8).
 */
#include "epoch.h"
#include "debug.h"
#include "lock.h"
#include "tsan.h"

#include <ck_epoch.h>

struct vkm_epoch_record {
    ck_epoch_record_t ck;            /* first: ck hands us &ck back */
    struct vkm_epoch_record *next;   /* every record of the epoch, under vkm_epoch.lock */
    vkm_epoch *epoch;                /* immutable */
};

struct vkm_epoch {
    ck_epoch_t ck;
    const vkm_host_alloc *ha;        /* immutable */
    vkm_mutex lock;                  /* guards `records` (ck's own list is lock-free) */
    vkm_epoch_record *records;
    char tsan_sync;                  /* the address TSan's release/acquire pairs use */
};

/* vkm_epoch_entry is the caller-visible storage for ck's entry plus our callback. */
typedef struct retire_entry {
    ck_epoch_entry_t ck;
    vkm_epoch_fn *fn;
    vkm_epoch *epoch;
} retire_entry;
_Static_assert(sizeof(retire_entry) <= sizeof(vkm_epoch_entry),
               "vkm_epoch_entry too small for ck_epoch_entry_t");

vkm_epoch *
vkm_epoch_create(const vkm_host_alloc *ha)
{
    vkm_epoch *e = vkm_host_new(ha, vkm_epoch);
    if (e == NULL)
        return NULL;
    ck_epoch_init(&e->ck);
    e->ha = ha;
    vkm_mutex_init(&e->lock);
    return e;
}

void
vkm_epoch_destroy(vkm_epoch *e)
{
    if (e == NULL)
        return;
    vkm_epoch_record *r = e->records;
    while (r != NULL) {
        vkm_epoch_record *next = r->next;
        /* Nothing can be in a section any more: run whatever is still deferred. */
        vkm_tsan_acquire(&e->tsan_sync);
        ck_epoch_reclaim(&r->ck);
        vkm_host_alloc_free_aligned(e->ha, r, sizeof(*r), _Alignof(vkm_epoch_record));
        r = next;
    }
    vkm_mutex_destroy(&e->lock);
    vkm_host_delete(e->ha, vkm_epoch, e);
}

vkm_epoch_record *
vkm_epoch_register(vkm_epoch *e)
{
    ck_epoch_record_t *ck = ck_epoch_recycle(&e->ck, NULL);
    if (ck != NULL) {
        /* pairs with the release in vkm_epoch_unregister: ck hands the record over with
         * inline asm TSan cannot see */
        vkm_tsan_acquire(ck);
        return (vkm_epoch_record *)(void *)ck;
    }
    vkm_epoch_record *r = vkm_host_alloc_calloc(e->ha, sizeof(*r), _Alignof(vkm_epoch_record));
    if (r == NULL)
        return NULL;
    r->epoch = e;
    ck_epoch_register(&e->ck, &r->ck, NULL);
    vkm_mutex_lock(&e->lock);
    r->next = e->records;
    e->records = r;
    vkm_mutex_unlock(&e->lock);
    return r;
}

void
vkm_epoch_unregister(vkm_epoch_record *r)
{
    vkm_epoch_barrier(r);
    vkm_tsan_release(r); /* the next thread to recycle the record acquires it */
    ck_epoch_unregister(&r->ck);
}

void
vkm_epoch_begin(vkm_epoch_record *r)
{
    ck_epoch_begin(&r->ck, NULL);
}

void
vkm_epoch_end(vkm_epoch_record *r)
{
    /* Everything this section read happens before any callback a later grace period
     * runs: release here, acquire in dispatch() (ck's fences are invisible to TSan). */
    vkm_tsan_release(&r->epoch->tsan_sync);
    ck_epoch_end(&r->ck, NULL);
}

static void
dispatch(ck_epoch_entry_t *ck)
{
    retire_entry *re = (retire_entry *)(void *)ck;
    /* pairs with the release in vkm_epoch_end of every section of this epoch */
    vkm_tsan_acquire(&re->epoch->tsan_sync);
    re->fn((vkm_epoch_entry *)(void *)re);
}

void
vkm_epoch_retire(vkm_epoch_record *r, vkm_epoch_entry *entry, vkm_epoch_fn *fn)
{
    retire_entry *re = (retire_entry *)(void *)entry;
    re->fn = fn;
    re->epoch = r->epoch;
    ck_epoch_call(&r->ck, &re->ck, dispatch);
    vkm_epoch_poll(r);
}

void
vkm_epoch_poll(vkm_epoch_record *r)
{
    ck_epoch_poll(&r->ck);
}

void
vkm_epoch_barrier(vkm_epoch_record *r)
{
    ck_epoch_barrier(&r->ck);
}

size_t
vkm_epoch_pending(const vkm_epoch_record *r)
{
    return r->ck.n_pending;
}
