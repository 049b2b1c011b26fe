/* SPDX-License-Identifier: MIT */
/*
 * stress_common_registry.c - the live-range registry of the stress harness.
 *
 * Every allocation a suite makes through stress_alloc_create is recorded here, and every
 * VkDeviceMemory the allocator makes or frees is learnt from its device-memory callbacks.
 * A table of shards, each with its own mutex, keyed by a hash of the VkDeviceMemory
 * handle: a shard holds the memory objects that hash to it, and each memory object keeps
 * its live ranges sorted by offset, so an insert checks its two neighbours (plus the few
 * ranges within one bufferImageGranularity page) in O(log n) under its shard's lock,
 * instead of scanning every live allocation under one global lock. Nothing here calls
 * the allocator, so its locks never nest inside ours; the device-memory callbacks take
 * ours inside the allocator's (a leaf lock, no cycle).
 */
#include "stress_common_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- registry ---------------------------------------------------------------------------- */

typedef enum range_class {
    RANGE_UNKNOWN,
    RANGE_LINEAR,
    RANGE_OPTIMAL
} range_class;

typedef struct live_range {
    VkDeviceSize offset, size;
    uint64_t id;
    range_class cls;
} live_range;

/* one VkDeviceMemory: its size (from the allocate callback) and its live ranges */
typedef struct mem_entry {
    VkDeviceMemory memory;
    VkDeviceSize size;  /* VK_WHOLE_SIZE: never reported by a callback */
    live_range *ranges; /* sorted by offset */
    uint32_t count, cap;
} mem_entry;

#define SHARDS 256

typedef struct shard {
    pthread_mutex_t lock;
    mem_entry *mems; /* under lock */
    uint32_t count, cap;
    char pad[64]; /* keep neighbouring shards' mutexes off one cache line */
} shard;

static shard g_shards[SHARDS];
static atomic_uint_fast64_t g_live_ranges;
static pthread_once_t g_registry_once = PTHREAD_ONCE_INIT;

static void
registry_init(void)
{
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&g_shards[i].lock, NULL);
}

uint64_t
stress_handle_bits(VkDeviceMemory m)
{
    uint64_t h = 0;
    memcpy(&h, &m, sizeof(m) < sizeof(h) ? sizeof(m) : sizeof(h));
    return h;
}

static shard *
shard_of(VkDeviceMemory m)
{
    pthread_once(&g_registry_once, registry_init);
    uint64_t h = stress_handle_bits(m) * 0x9E3779B97F4A7C15ull;
    return &g_shards[h >> 56];
}

static mem_entry *
find_mem(shard *s, VkDeviceMemory m)
{
    for (uint32_t i = 0; i < s->count; i++)
        if (s->mems[i].memory == m)
            return &s->mems[i];
    return NULL;
}

static mem_entry *
add_mem(shard *s, VkDeviceMemory m, VkDeviceSize size)
{
    if (s->count == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        mem_entry *n = realloc(s->mems, cap * sizeof(*n));
        if (n == NULL) {
            stress_fail("registry: out of host memory");
            exit(STRESS_EXIT_FAIL);
        }
        s->mems = n;
        s->cap = cap;
    }
    mem_entry *e = &s->mems[s->count++];
    *e = (mem_entry){.memory = m, .size = size};
    return e;
}

static void
remove_mem(shard *s, mem_entry *e)
{
    free(e->ranges);
    *e = s->mems[--s->count];
}

/* the memory-allocate callback: a new VkDeviceMemory */
void
stress_registry_memory_allocated(VkDeviceMemory m, VkDeviceSize size)
{
    shard *s = shard_of(m);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, m);
    if (e != NULL) {
        if (e->size != VK_WHOLE_SIZE || e->count == 0)
            stress_fail("vkAllocateMemory returned a handle (%#" PRIx64 ") that was never "
                        "freed",
                        stress_handle_bits(m));
        else
            stress_fail("allocations were reported in memory %#" PRIx64 " before the "
                        "device-memory callback announced it",
                        stress_handle_bits(m));
        e->size = size;
    } else {
        add_mem(s, m, size);
    }
    pthread_mutex_unlock(&s->lock);
}

/* the memory-free callback (called before vkFreeMemory): nothing may live in it */
void
stress_registry_memory_freed(VkDeviceMemory m)
{
    shard *s = shard_of(m);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, m);
    if (e == NULL) {
        stress_fail("vkFreeMemory of memory %#" PRIx64 " the allocate callback never "
                    "reported",
                    stress_handle_bits(m));
    } else {
        if (e->count != 0)
            stress_fail("memory %#" PRIx64 " freed with %u live allocations in it (first: "
                        "id %" PRIu64 " at offset %" PRIu64 ")",
                        stress_handle_bits(m), e->count, e->ranges[0].id, e->ranges[0].offset);
        atomic_fetch_sub(&g_live_ranges, e->count);
        remove_mem(s, e);
    }
    pthread_mutex_unlock(&s->lock);
}

static bool
classes_conflict(range_class a, range_class b)
{
    return (a == RANGE_LINEAR && b == RANGE_OPTIMAL) || (a == RANGE_OPTIMAL && b == RANGE_LINEAR);
}

static range_class
class_of(stress_kind k)
{
    switch (k) {
    case STRESS_BUFFER:
    case STRESS_IMAGE_LINEAR:
        return RANGE_LINEAR;
    case STRESS_IMAGE_OPTIMAL:
        return RANGE_OPTIMAL;
    default:
        return RANGE_UNKNOWN;
    }
}

/* first index whose offset is >= off */
static uint32_t
lower_bound(const mem_entry *e, VkDeviceSize off)
{
    uint32_t lo = 0, hi = e->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (e->ranges[mid].offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
report_overlap(VkDeviceMemory m, const live_range *n, const live_range *o)
{
    stress_fail("two live allocations overlap in memory %#" PRIx64 ": id %" PRIu64 " [%" PRIu64
                ", +%" PRIu64 ") and id %" PRIu64 " [%" PRIu64 ", +%" PRIu64 ")",
                stress_handle_bits(m), n->id, n->offset, n->size, o->id, o->offset, o->size);
}

static void
report_granularity(VkDeviceMemory m, VkDeviceSize g, const live_range *n, const live_range *o)
{
    stress_fail("a linear and an optimal resource share a %" PRIu64 "-byte granularity page "
                "in memory %#" PRIx64 ": id %" PRIu64 " [%" PRIu64 ", +%" PRIu64 ") and id %" PRIu64
                " [%" PRIu64 ", +%" PRIu64 ")",
                g, stress_handle_bits(m), n->id, n->offset, n->size, o->id, o->offset, o->size);
}

/* g: the device's bufferImageGranularity (ranges of one memory share a device) */
void
stress_registry_insert(const stress_alloc *x, VkDeviceSize g)
{
    shard *s = shard_of(x->memory);
    live_range n = {x->offset, x->size, x->id, class_of(x->kind)};
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, x->memory);
    if (e == NULL) {
        stress_fail("allocation id %" PRIu64 " lies in memory %#" PRIx64 " that no "
                    "device-memory callback reported",
                    x->id, stress_handle_bits(x->memory));
        e = add_mem(s, x->memory, VK_WHOLE_SIZE);
    }
    if (e->size != VK_WHOLE_SIZE && (x->offset > e->size || x->size > e->size - x->offset))
        stress_fail("allocation id %" PRIu64 " [%" PRIu64 ", +%" PRIu64 ") goes past the end "
                    "of its memory (%" PRIu64 " bytes)",
                    x->id, x->offset, x->size, e->size);
    uint32_t at = lower_bound(e, n.offset);
    /* overlap: only the neighbours can overlap when the stored ranges do not */
    if (at > 0 && e->ranges[at - 1].offset + e->ranges[at - 1].size > n.offset)
        report_overlap(x->memory, &n, &e->ranges[at - 1]);
    if (at < e->count && e->ranges[at].offset < n.offset + n.size)
        report_overlap(x->memory, &n, &e->ranges[at]);
    /* granularity: every range ending in our first page, every range starting in our last */
    if (n.cls != RANGE_UNKNOWN && n.size > 0) {
        VkDeviceSize first_page = n.offset / g, last_page = (n.offset + n.size - 1) / g;
        for (uint32_t j = at; j-- > 0;) {
            const live_range *o = &e->ranges[j];
            if (o->size == 0 || (o->offset + o->size - 1) / g < first_page)
                break;
            if (classes_conflict(n.cls, o->cls))
                report_granularity(x->memory, g, &n, o);
        }
        for (uint32_t j = at; j < e->count; j++) {
            const live_range *o = &e->ranges[j];
            if (o->offset / g > last_page)
                break;
            if (classes_conflict(n.cls, o->cls))
                report_granularity(x->memory, g, &n, o);
        }
    }
    if (e->count == e->cap) {
        uint32_t cap = e->cap ? e->cap * 2 : 16;
        live_range *r = realloc(e->ranges, cap * sizeof(*r));
        if (r == NULL) {
            stress_fail("registry: out of host memory");
            exit(STRESS_EXIT_FAIL);
        }
        e->ranges = r;
        e->cap = cap;
    }
    memmove(&e->ranges[at + 1], &e->ranges[at], (e->count - at) * sizeof(live_range));
    e->ranges[at] = n;
    e->count++;
    atomic_fetch_add(&g_live_ranges, 1);
    pthread_mutex_unlock(&s->lock);
}

void
stress_registry_remove(const stress_alloc *x)
{
    shard *s = shard_of(x->memory);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, x->memory);
    bool found = false;
    if (e != NULL) {
        uint32_t j = lower_bound(e, x->offset);
        /* overlapping (already reported) ranges may share an offset: look for the id */
        for (; j < e->count && e->ranges[j].offset == x->offset; j++)
            if (e->ranges[j].id == x->id)
                break;
        if (j >= e->count || e->ranges[j].id != x->id)
            for (j = 0; j < e->count && e->ranges[j].id != x->id; j++)
                ;
        if (j < e->count) {
            memmove(&e->ranges[j], &e->ranges[j + 1], (e->count - j - 1) * sizeof(live_range));
            e->count--;
            found = true;
            atomic_fetch_sub(&g_live_ranges, 1);
        }
    }
    if (!found)
        stress_fail("allocation id %" PRIu64 " (memory %#" PRIx64 ", offset %" PRIu64 ") is "
                    "not in the registry at free: its memory was freed under it?",
                    x->id, stress_handle_bits(x->memory), x->offset);
    pthread_mutex_unlock(&s->lock);
}

uint64_t
stress_registry_live(void)
{
    return atomic_load(&g_live_ranges);
}
