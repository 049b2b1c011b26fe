/* SPDX-License-Identifier: MIT */
/*
 * tcache_count.c - per-thread allocation counters (tcache.h; tcache_impl.h): counting
 * into the calling thread's counter of a list, summing a list's or every heap's counters
 * over all caches under the registry lock, list ids (registration), and the vkm* thread
 * cache statistics (vkmGetThreadCacheStatistics and the sum over all threads).
 */
#include "tcache_impl.h"

#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Counters                                                                             */

void
vkm_tcache_count(vkm_tcache *tc, vkm_block_list *l, int64_t n, int64_t bytes)
{
    vkm_tcache_counter *c = tc_counter_of(tc, l);
    if (c != NULL) {
        tc_owner_add(&c->xcount, (uint64_t)n);
        tc_owner_add(&c->xbytes, (uint64_t)bytes);
    } else {
        vkm_atomic_fetch_add_u64_relaxed(&l->xshared_count, (uint64_t)n);
        vkm_atomic_fetch_add_u64_relaxed(&l->xshared_bytes, (uint64_t)bytes);
    }
}

void
tc_sum_slot(const vkm_tcache *tc, uint32_t id, uint64_t *count, uint64_t *bytes)
{
    const vkm_tcache_counter *chunk =
        vkm_atomic_load_ptr_acquire(&tc->xchunks[id / VKM_TCACHE_CTR_PER_CHUNK]);
    if (chunk == NULL)
        return;
    *count += vkm_atomic_load_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xcount);
    *bytes += vkm_atomic_load_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xbytes);
}

static void
clamp(uint64_t *count, uint64_t *bytes)
{
    if ((int64_t)*count < 0)
        *count = 0;
    if ((int64_t)*bytes < 0)
        *bytes = 0;
}

/* Under the registry lock. */
static void
list_totals_locked(vkm_tcache_shared *s, const vkm_block_list *l, uint64_t *count, uint64_t *bytes)
{
    *count = vkm_atomic_load_u64_relaxed(&l->xshared_count);
    *bytes = vkm_atomic_load_u64_relaxed(&l->xshared_bytes);
    if (l->id < VKM_TCACHE_MAX_LISTS) {
        for (const vkm_tcache *tc = s->caches; tc != NULL; tc = tc->reg_next)
            tc_sum_slot(tc, l->id, count, bytes);
        if (s->fallback != NULL)
            tc_sum_slot(s->fallback, l->id, count, bytes);
    }
}

void
vkm_tcache_list_totals(VmaAllocator a, const vkm_block_list *l, uint64_t *count, uint64_t *bytes)
{
    if (a->tcs == NULL) { /* vmaDestroyAllocator is freeing the last blocks */
        *count = *bytes = 0;
        return;
    }
    vkm_mutex_lock(&a->tcs->lock);
    list_totals_locked(a->tcs, l, count, bytes);
    vkm_mutex_unlock(&a->tcs->lock);
    clamp(count, bytes);
}

void
vkm_tcache_registry_lock(VmaAllocator a)
{
    if (a->tcs != NULL)
        vkm_mutex_lock(&a->tcs->lock);
}

void
vkm_tcache_registry_unlock(VmaAllocator a)
{
    if (a->tcs != NULL)
        vkm_mutex_unlock(&a->tcs->lock);
}

void
vkm_tcache_list_totals_locked(VmaAllocator a, const vkm_block_list *l, uint64_t *count,
                              uint64_t *bytes)
{
    if (a->tcs == NULL) {
        *count = *bytes = 0;
        return;
    }
    list_totals_locked(a->tcs, l, count, bytes);
    clamp(count, bytes);
}

void
vkm_tcache_heap_totals(VmaAllocator a, uint64_t count[VK_MAX_MEMORY_HEAPS],
                       uint64_t bytes[VK_MAX_MEMORY_HEAPS])
{
    memset(count, 0, sizeof(uint64_t) * VK_MAX_MEMORY_HEAPS);
    memset(bytes, 0, sizeof(uint64_t) * VK_MAX_MEMORY_HEAPS);
    vkm_tcache_shared *s = a->tcs;
    /* vmaDestroyAllocator frees the last blocks after the caches are gone, and a device
     * memory callback may ask for budgets then (VMA's budget stays readable there): no
     * allocation is left, so the totals are zero. */
    if (s == NULL)
        return;
    vkm_mutex_lock(&s->lock);
    for (uint32_t id = 0; id < VKM_TCACHE_MAX_LISTS; id++) {
        const vkm_block_list *l = s->lists[id];
        if (l == NULL) {
            if (id >= s->list_hint && id >= VK_MAX_MEMORY_TYPES)
                break; /* ids are dense below the hint */
            continue;
        }
        uint64_t c, b;
        list_totals_locked(s, l, &c, &b);
        uint32_t h = vkm_allocator_heap_of(a, l->p.memory_type);
        count[h] += c;
        bytes[h] += b;
    }
    vkm_mutex_unlock(&s->lock);
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++)
        clamp(&count[h], &bytes[h]);
}

void
vkm_tcache_register_list(VmaAllocator a, vkm_block_list *l)
{
    vkm_tcache_shared *s = a->tcs;
    vkm_mutex_lock(&s->lock);
    for (uint32_t id = 0; id < VKM_TCACHE_MAX_LISTS; id++) {
        if (s->lists[id] == NULL) {
            s->lists[id] = l;
            l->id = id;
            l->serial = ++s->next_serial;
            /* release: pairs with the acquire in list_alive (tcache_life.c) */
            vkm_atomic_store_u64_release(&s->xlist_serial[id], l->serial);
            if (id >= s->list_hint)
                s->list_hint = id + 1;
            break;
        }
    }
    vkm_mutex_unlock(&s->lock);
}

static void
zero_slot(vkm_tcache *tc, uint32_t id)
{
    vkm_tcache_counter *chunk =
        vkm_atomic_load_ptr_acquire(&tc->xchunks[id / VKM_TCACHE_CTR_PER_CHUNK]);
    if (chunk != NULL) {
        vkm_atomic_store_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xcount, 0);
        vkm_atomic_store_u64_relaxed(&chunk[id % VKM_TCACHE_CTR_PER_CHUNK].xbytes, 0);
    }
}

void
vkm_tcache_unregister_list(VmaAllocator a, vkm_block_list *l)
{
    vkm_tcache_shared *s = a->tcs;
    if (l == NULL || l->id >= VKM_TCACHE_MAX_LISTS)
        return;
    /* The list is empty (its counters sum to 0) and no thread uses it any more; each
     * cache's slot may still hold a non-zero part of that zero sum. Clear them for the
     * next list with this id. The owners never touch this slot again (no allocation of
     * the list is left), so writing it here does not race. */
    vkm_mutex_lock(&s->lock);
    for (vkm_tcache *tc = s->caches; tc != NULL; tc = tc->reg_next)
        zero_slot(tc, l->id);
    if (s->fallback != NULL)
        zero_slot(s->fallback, l->id);
    s->lists[l->id] = NULL;
    vkm_atomic_store_u64_release(&s->xlist_serial[l->id], 0);
    vkm_mutex_unlock(&s->lock);
    l->id = UINT32_MAX;
    l->serial = 0;
}

/* ------------------------------------------------------------------------------------ */
/* vkm* statistics                                                                       */

void
vkm_tcache_stats(const vkm_tcache *tc, VkmThreadCacheStatistics *out)
{
    memset(out, 0, sizeof(*out));
    if (tc == NULL)
        return;
    /* Run bytes grow before free bytes and shrink after them (tc_account_run_in/out), so
     * free bytes read while run bytes hold still are at most run bytes. */
    for (uint32_t attempt = 0; attempt < 8; attempt++) {
        const uint64_t run = vkm_atomic_load_u64_acquire(&tc->xrun_bytes);
        out->cachedBytes = vkm_atomic_load_u64_acquire(&tc->xcached_bytes);
        out->runBytes = vkm_atomic_load_u64_acquire(&tc->xrun_bytes);
        if (out->runBytes == run)
            break;
    }
    out->runCount = (uint32_t)vkm_atomic_load_u64_relaxed(&tc->xrun_count);
    out->threadCount = 1;
    out->hits = vkm_atomic_load_u64_relaxed(&tc->xhits);
    out->misses = vkm_atomic_load_u64_relaxed(&tc->xmisses);
    out->bypasses = vkm_atomic_load_u64_relaxed(&tc->xbypasses);
    out->remoteFrees = vkm_atomic_load_u64_relaxed(&tc->xremote_frees);
    out->lockWaits = vkm_block_list_thread_lock_waits();
}

void
vkm_tcache_stats_all(VmaAllocator a, VkmThreadCacheStatistics *out)
{
    vkm_tcache_shared *s = a->tcs;
    memset(out, 0, sizeof(*out));
    vkm_mutex_lock(&s->lock);
    for (const vkm_tcache *tc = s->caches; tc != NULL; tc = tc->reg_next) {
        VkmThreadCacheStatistics one;
        vkm_tcache_stats(tc, &one);
        out->cachedBytes += one.cachedBytes;
        out->runBytes += one.runBytes;
        out->runCount += one.runCount;
        out->threadCount++;
        out->hits += one.hits;
        out->misses += one.misses;
        out->bypasses += one.bypasses;
        out->remoteFrees += one.remoteFrees;
    }
    out->hits += s->retired[0];
    out->misses += s->retired[1];
    out->bypasses += s->retired[2];
    out->remoteFrees += s->retired[3];
    for (uint32_t id = 0; id < VKM_TCACHE_MAX_LISTS; id++)
        if (s->lists[id] != NULL)
            out->lockWaits += vkm_atomic_load_u64_relaxed(&s->lists[id]->xlock_waits);
    vkm_mutex_unlock(&s->lock);
}
