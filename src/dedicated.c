/* SPDX-License-Identifier: MIT */
#include "dedicated.h"
#include "allocation.h"
#include "stats.h"

void
vkm_dedicated_list_init(vkm_dedicated_list *l)
{
    vkm_mutex_init(&l->lock);
    l->head = NULL;
    l->count = 0;
}

void
vkm_dedicated_list_finish(vkm_dedicated_list *l)
{
    vkm_mutex_destroy(&l->lock);
}

void
vkm_dedicated_list_add(vkm_dedicated_list *l, VmaAllocation alloc)
{
    vkm_mutex_lock(&l->lock);
    alloc->u.d.prev = NULL;
    alloc->u.d.next = l->head;
    if (l->head != NULL)
        l->head->u.d.prev = alloc;
    l->head = alloc;
    l->count++;
    vkm_mutex_unlock(&l->lock);
}

void
vkm_dedicated_list_remove(vkm_dedicated_list *l, VmaAllocation alloc)
{
    vkm_mutex_lock(&l->lock);
    if (alloc->u.d.prev != NULL)
        alloc->u.d.prev->u.d.next = alloc->u.d.next;
    else
        l->head = alloc->u.d.next;
    if (alloc->u.d.next != NULL)
        alloc->u.d.next->u.d.prev = alloc->u.d.prev;
    alloc->u.d.prev = alloc->u.d.next = NULL;
    l->count--;
    vkm_mutex_unlock(&l->lock);
}

uint32_t
vkm_dedicated_list_count(vkm_dedicated_list *l)
{
    vkm_mutex_lock(&l->lock);
    uint32_t n = l->count;
    vkm_mutex_unlock(&l->lock);
    return n;
}

void
vkm_dedicated_list_lock(vkm_dedicated_list *l)
{
    vkm_mutex_lock(&l->lock);
}

void
vkm_dedicated_list_unlock(vkm_dedicated_list *l)
{
    vkm_mutex_unlock(&l->lock);
}

void
vkm_dedicated_list_add_stats_locked(const vkm_dedicated_list *l, VmaDetailedStatistics *d)
{
    for (VmaAllocation a = l->head; a != NULL; a = a->u.d.next) {
        d->statistics.blockCount++;
        d->statistics.blockBytes += a->size;
        vkm_stats_add_allocation(d, a->size);
    }
}

void
vkm_dedicated_list_add_stats(vkm_dedicated_list *l, VmaDetailedStatistics *d)
{
    vkm_dedicated_list_lock(l);
    vkm_dedicated_list_add_stats_locked(l, d);
    vkm_dedicated_list_unlock(l);
}

void
vkm_dedicated_list_visit(vkm_dedicated_list *l, void (*fn)(void *ctx, VmaAllocation a), void *ctx)
{
    vkm_mutex_lock(&l->lock);
    for (VmaAllocation a = l->head; a != NULL; a = a->u.d.next)
        fn(ctx, a);
    vkm_mutex_unlock(&l->lock);
}
