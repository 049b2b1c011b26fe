/* SPDX-License-Identifier: MIT */
/*
 * stats_json.c - VMA's JSON statistics dump over our structures (see stats_json.h).
 */
#include "stats_json.h"

#include <stdio.h>
#include <string.h>

#include "allocation.h"
#include "allocator.h"
#include "block.h"
#include "block_list.h"
#include "dedicated.h"
#include "json.h"
#include "pool.h"
#include "tcache.h"
#include "virtual.h"

/* VMA's suballocation type names, indexed by vkm_range_kind (same order). */
static const char *const kind_names[VKM_RANGE_KIND_COUNT] = {
    "FREE", "UNKNOWN", "BUFFER", "IMAGE_UNKNOWN", "IMAGE_LINEAR", "IMAGE_OPTIMAL",
};

static const char *
kind_name(unsigned kind)
{
    return kind < VKM_RANGE_KIND_COUNT ? kind_names[kind] : "UNKNOWN";
}

/* A pointer as VMA prints CustomData: the C library's %p text. */
static void
write_pointer(vkm_json_writer *w, const void *p)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%p", p);
    vkm_json_string(w, buf);
}

/* VMA's statistics object: min/max only where there is more than one of a thing. */
static void
write_detailed(vkm_json_writer *w, const VmaDetailedStatistics *d)
{
    vkm_json_begin_object(w, false);
    vkm_json_key(w, "BlockCount");
    vkm_json_u64(w, d->statistics.blockCount);
    vkm_json_key(w, "BlockBytes");
    vkm_json_u64(w, d->statistics.blockBytes);
    vkm_json_key(w, "AllocationCount");
    vkm_json_u64(w, d->statistics.allocationCount);
    vkm_json_key(w, "AllocationBytes");
    vkm_json_u64(w, d->statistics.allocationBytes);
    vkm_json_key(w, "UnusedRangeCount");
    vkm_json_u64(w, d->unusedRangeCount);
    if (d->statistics.allocationCount > 1) {
        vkm_json_key(w, "AllocationSizeMin");
        vkm_json_u64(w, d->allocationSizeMin);
        vkm_json_key(w, "AllocationSizeMax");
        vkm_json_u64(w, d->allocationSizeMax);
    }
    if (d->unusedRangeCount > 1) {
        vkm_json_key(w, "UnusedRangeSizeMin");
        vkm_json_u64(w, d->unusedRangeSizeMin);
        vkm_json_key(w, "UnusedRangeSizeMax");
        vkm_json_u64(w, d->unusedRangeSizeMax);
    }
    vkm_json_end_object(w);
}

/* The members VMA prints for an allocation (dedicated, or a range of a block). `alloc`
 * is NULL for a slot whose object the dump may not read (tcache.h, "Dumps": another
 * thread's run without the process-wide barrier): its usage, user data and name are not
 * known here. Only members set before publication are read (`flags` is not: the
 * allocating thread may still add PERSISTENT_MAP; `name` is NULL unless named). */
static void
write_allocation_members(vkm_json_writer *w, unsigned kind, VkDeviceSize size, VmaAllocation alloc)
{
    vkm_json_key(w, "Type");
    vkm_json_string(w, kind_name(kind));
    vkm_json_key(w, "Size");
    vkm_json_u64(w, size);
    vkm_json_key(w, "Usage");
    vkm_json_u64(w, alloc != NULL ? alloc->usage : 0);
    if (alloc == NULL)
        return;
    if (alloc->user_data != NULL) {
        vkm_json_key(w, "CustomData");
        write_pointer(w, alloc->user_data);
    }
    if (alloc->name != NULL) {
        vkm_json_key(w, "Name");
        vkm_json_string(w, alloc->name);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Blocks                                                                                */

/* One block's walk: its suballocations go to `frag` (the counts VMA prints before them
 * are known only at the end, and a block may change between two passes). The ranges go
 * through a tiler (stats.h), as the statistics' do, so free space is merged the same way
 * and the block's "UnusedRanges" is what the statistics count for it. */
typedef struct block_walk {
    vkm_stats_tiler tiler;
    const vkm_tcache *self; /* the dumping thread's cache: the runs whose objects it reads */
    bool others;            /* and other threads' runs' objects too (tcache.h, "Dumps") */
    vkm_json_writer frag;
    uint64_t allocs, unused_ranges, alloc_bytes;
} block_walk;

static void
put_free(block_walk *bw, uint64_t offset, uint64_t size)
{
    vkm_json_writer *w = &bw->frag;
    vkm_json_begin_object(w, true);
    vkm_json_key(w, "Offset");
    vkm_json_u64(w, offset);
    vkm_json_key(w, "Type");
    vkm_json_string(w, kind_names[VKM_RANGE_FREE]);
    vkm_json_key(w, "Size");
    vkm_json_u64(w, size);
    vkm_json_end_object(w);
    bw->unused_ranges++;
}

/* The tiler's sink: one suballocation entry. */
static void
put_tile(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, VmaAllocation alloc)
{
    block_walk *bw = ctx;
    if (kind == VKM_RANGE_FREE) {
        put_free(bw, offset, size);
        return;
    }
    vkm_json_writer *w = &bw->frag;
    vkm_json_begin_object(w, true);
    vkm_json_key(w, "Offset");
    vkm_json_u64(w, offset);
    write_allocation_members(w, kind, size, alloc);
    vkm_json_end_object(w);
    bw->allocs++;
    bw->alloc_bytes += size;
}

static void
visit_range(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    block_walk *bw = ctx;
    if (kind == VKM_RANGE_FREE) {
        vkm_stats_tiler_free(&bw->tiler, offset, size);
        return;
    }
    /* Runs: their slots, fed to the tiler. */
    if (user != NULL && vkm_tcache_tile_range(user, bw->self, bw->others, &bw->tiler))
        return;
    /* A shared-path range: its user pointer is the allocation. The range holds it and
     * its debug margin (corruption.h); the tiler reports the size without the margin,
     * from the range, not alloc->size (the allocating thread sets that after publishing). */
    vkm_stats_tiler_alloc(&bw->tiler, offset, size, kind, (VmaAllocation)user);
}

typedef struct list_walk {
    vkm_json_writer *w;
    VkDeviceSize margin; /* debug margin after every allocation (corruption.h) */
    block_walk bw;
} list_walk;

/* Under the block's lock (vkm_block_list_for_each_block). */
static void
write_block(vkm_block *b, void *ctx)
{
    list_walk *lw = ctx;
    vkm_json_writer *w = lw->w;
    block_walk *bw = &lw->bw;
    bw->allocs = bw->unused_ranges = bw->alloc_bytes = 0;
    /* the array sits one level inside the block's object */
    vkm_json_init(&bw->frag, w->ha, w->depth + 1);
    vkm_json_begin_array(&bw->frag, false);
    vkm_stats_tiler_init(&bw->tiler, lw->margin, put_tile, bw);
    vkm_block_range_visit(b, visit_range, bw);
    vkm_stats_tiler_finish(&bw->tiler);
    vkm_json_end_array(&bw->frag);

    vkm_mutex_lock(&b->map_lock);
    const uint32_t map_count = b->map_count;
    vkm_mutex_unlock(&b->map_lock);

    char id[16];
    snprintf(id, sizeof(id), "%u", b->id);
    vkm_json_key(w, id);
    vkm_json_begin_object(w, false);
    vkm_json_key(w, "MapRefCount");
    vkm_json_u64(w, map_count);
    vkm_json_key(w, "TotalBytes");
    vkm_json_u64(w, b->size);
    vkm_json_key(w, "UnusedBytes");
    vkm_json_u64(w, b->size - bw->alloc_bytes);
    vkm_json_key(w, "Allocations");
    vkm_json_u64(w, bw->allocs);
    vkm_json_key(w, "UnusedRanges");
    vkm_json_u64(w, bw->unused_ranges);
    vkm_json_key(w, "Suballocations");
    if (bw->frag.failed)
        w->failed = true; /* the fragment's text is gone: so is the document */
    else
        vkm_json_raw(w, bw->frag.buf, bw->frag.len);
    vkm_json_end_object(w);
    vkm_json_discard(&bw->frag);
}

static void
write_blocks(vkm_json_writer *w, VmaAllocator a, vkm_block_list *l, const vkm_tcache *tc,
             bool others)
{
    vkm_json_begin_object(w, false);
    if (l != NULL) {
        list_walk lw = {
            .w = w, .margin = a->corruption.margin, .bw = {.self = tc, .others = others}};
        vkm_block_list_for_each_block(l, tc->rec, write_block, &lw);
    }
    vkm_json_end_object(w);
}

static void
write_dedicated_one(void *ctx, VmaAllocation alloc)
{
    vkm_json_writer *w = ctx;
    vkm_json_begin_object(w, true);
    write_allocation_members(w, alloc->kind, alloc->size, alloc);
    vkm_json_end_object(w);
}

static void
write_dedicated(vkm_json_writer *w, vkm_dedicated_list *l)
{
    vkm_json_begin_array(w, false);
    vkm_dedicated_list_visit(l, write_dedicated_one, w);
    vkm_json_end_array(w);
}

static void
write_type_key(vkm_json_writer *w, const char *prefix, uint32_t index)
{
    char key[32];
    snprintf(key, sizeof(key), "%s%u", prefix, index);
    vkm_json_key(w, key);
}

static void
write_detailed_map(vkm_json_writer *w, VmaAllocator a)
{
    const uint32_t types = a->mem_props.memoryTypeCount;
    vkm_tcache *tc = vkm_tcache_enter_reader(a);
    /* Announced, this dump may read the objects of the slots of our own runs, and of
     * other threads' runs when the process-wide barrier worked (tcache.h, "Dumps"). */
    const bool others = vkm_tcache_dump_begin(a, tc);

    vkm_json_key(w, "DefaultPools");
    vkm_json_begin_object(w, false);
    for (uint32_t t = 0; t < types; t++) {
        vkm_block_list *l = a->default_lists[t];
        write_type_key(w, "Type ", t);
        vkm_json_begin_object(w, false);
        vkm_json_key(w, "PreferredBlockSize");
        vkm_json_u64(w, l != NULL ? l->p.preferred_block_size
                                  : vkm_allocator_preferred_block_size(a, t));
        vkm_json_key(w, "Blocks");
        write_blocks(w, a, l, tc, others);
        vkm_json_key(w, "DedicatedAllocations");
        write_dedicated(w, &a->dedicated[t]);
        vkm_json_end_object(w);
    }
    vkm_json_end_object(w);

    /* Per memory type, an array of its pools, named "<index> - <name>" as VMA does. */
    vkm_json_key(w, "CustomPools");
    vkm_json_begin_object(w, false);
    vkm_rwlock_rdlock(&a->pools_lock);
    /* The list is newest first; VMA numbers pools in creation order: walk it backwards. */
    VmaPool oldest = a->pools;
    while (oldest != NULL && oldest->next != NULL)
        oldest = oldest->next;
    for (uint32_t t = 0; t < types; t++) {
        uint64_t index = 0;
        for (VmaPool p = oldest; p != NULL; p = p->prev) {
            if (p->info.memoryTypeIndex != t)
                continue;
            if (index == 0) {
                write_type_key(w, "Type ", t);
                vkm_json_begin_array(w, false);
            }
            vkm_json_begin_object(w, false);
            vkm_json_key(w, "Name");
            vkm_json_begin_string(w);
            vkm_json_append_u64(w, index++);
            if (p->name != NULL) {
                vkm_json_append(w, " - ");
                vkm_json_append(w, p->name);
            }
            vkm_json_end_string(w);
            vkm_json_key(w, "PreferredBlockSize");
            vkm_json_u64(w, p->list->p.preferred_block_size);
            vkm_json_key(w, "Blocks");
            write_blocks(w, a, p->list, tc, others);
            vkm_json_key(w, "DedicatedAllocations");
            write_dedicated(w, &p->dedicated);
            vkm_json_end_object(w);
        }
        if (index != 0)
            vkm_json_end_array(w);
    }
    vkm_rwlock_unlock(&a->pools_lock);
    vkm_json_end_object(w);

    vkm_tcache_dump_end(a, tc);
    vkm_tcache_leave(a, tc);
}

/* ------------------------------------------------------------------------------------ */
/* Allocator                                                                             */

/* Names of flag bits VMA spells out, then whatever is left as a number. */
typedef struct flag_name {
    uint32_t bit;
    const char *name;
} flag_name;

static void
write_flags(vkm_json_writer *w, uint32_t flags, const flag_name *names, size_t count)
{
    vkm_json_begin_array(w, true);
    for (size_t i = 0; i < count; i++) {
        if (flags & names[i].bit) {
            vkm_json_string(w, names[i].name);
            flags &= ~names[i].bit;
        }
    }
    if (flags != 0)
        vkm_json_u64(w, flags);
    vkm_json_end_array(w);
}

static const flag_name heap_flags[] = {
    {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, "DEVICE_LOCAL"},
    {VK_MEMORY_HEAP_MULTI_INSTANCE_BIT, "MULTI_INSTANCE"},
};

static const flag_name type_flags[] = {
    {VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, "DEVICE_LOCAL"},
    {VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, "HOST_VISIBLE"},
    {VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, "HOST_COHERENT"},
    {VK_MEMORY_PROPERTY_HOST_CACHED_BIT, "HOST_CACHED"},
    {VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT, "LAZILY_ALLOCATED"},
    {VK_MEMORY_PROPERTY_PROTECTED_BIT, "PROTECTED"},
    {VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD, "DEVICE_COHERENT_AMD"},
    {VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD, "DEVICE_UNCACHED_AMD"},
};

#define COUNT_OF(x) (sizeof(x) / sizeof((x)[0]))

static void
write_general(vkm_json_writer *w, VmaAllocator a)
{
    const VkPhysicalDeviceProperties *pd = &a->pd_props;
    char version[48];
    snprintf(version, sizeof(version), "%u.%u.%u", VK_VERSION_MAJOR(pd->apiVersion),
             VK_VERSION_MINOR(pd->apiVersion), VK_VERSION_PATCH(pd->apiVersion));
    vkm_json_key(w, "General");
    vkm_json_begin_object(w, false);
    vkm_json_key(w, "API");
    vkm_json_string(w, "Vulkan");
    vkm_json_key(w, "apiVersion");
    vkm_json_string(w, version);
    /* deviceName is a fixed array the driver fills; bound it in case it lacks its NUL */
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE + 1];
    memcpy(name, pd->deviceName, VK_MAX_PHYSICAL_DEVICE_NAME_SIZE);
    name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE] = '\0';
    vkm_json_key(w, "GPU");
    vkm_json_string(w, name);
    vkm_json_key(w, "deviceType");
    vkm_json_u64(w, (uint32_t)pd->deviceType);
    vkm_json_key(w, "maxMemoryAllocationCount");
    vkm_json_u64(w, pd->limits.maxMemoryAllocationCount);
    vkm_json_key(w, "bufferImageGranularity");
    vkm_json_u64(w, pd->limits.bufferImageGranularity);
    vkm_json_key(w, "nonCoherentAtomSize");
    vkm_json_u64(w, pd->limits.nonCoherentAtomSize);
    vkm_json_key(w, "memoryHeapCount");
    vkm_json_u64(w, a->mem_props.memoryHeapCount);
    vkm_json_key(w, "memoryTypeCount");
    vkm_json_u64(w, a->mem_props.memoryTypeCount);
    vkm_json_end_object(w);
}

static void
write_memory_info(vkm_json_writer *w, VmaAllocator a, const VmaTotalStatistics *stats,
                  const VmaBudget *budgets)
{
    const VkPhysicalDeviceMemoryProperties *mp = &a->mem_props;
    vkm_json_key(w, "MemoryInfo");
    vkm_json_begin_object(w, false);
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        write_type_key(w, "Heap ", h);
        vkm_json_begin_object(w, false);
        vkm_json_key(w, "Flags");
        write_flags(w, mp->memoryHeaps[h].flags, heap_flags, COUNT_OF(heap_flags));
        vkm_json_key(w, "Size");
        vkm_json_u64(w, mp->memoryHeaps[h].size);
        vkm_json_key(w, "Budget");
        vkm_json_begin_object(w, false);
        vkm_json_key(w, "BudgetBytes");
        vkm_json_u64(w, budgets[h].budget);
        vkm_json_key(w, "UsageBytes");
        vkm_json_u64(w, budgets[h].usage);
        vkm_json_end_object(w);
        vkm_json_key(w, "Stats");
        write_detailed(w, &stats->memoryHeap[h]);
        vkm_json_key(w, "MemoryPools");
        vkm_json_begin_object(w, false);
        for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
            if (mp->memoryTypes[t].heapIndex != h)
                continue;
            write_type_key(w, "Type ", t);
            vkm_json_begin_object(w, false);
            vkm_json_key(w, "Flags");
            write_flags(w, mp->memoryTypes[t].propertyFlags, type_flags, COUNT_OF(type_flags));
            vkm_json_key(w, "Stats");
            write_detailed(w, &stats->memoryType[t]);
            vkm_json_end_object(w);
        }
        vkm_json_end_object(w);
        vkm_json_end_object(w);
    }
    vkm_json_end_object(w);
}

char *
vkm_stats_json_build(VmaAllocator a, bool detailed_map)
{
    VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
    vkm_allocator_heap_budgets(a, budgets);
    VmaTotalStatistics *stats = vkm_host_new(&a->ha, VmaTotalStatistics);
    if (stats == NULL)
        return NULL;
    vkm_allocator_calculate_statistics(a, stats);

    vkm_json_writer w;
    vkm_json_init(&w, &a->ha, 0);
    vkm_json_begin_object(&w, false);
    write_general(&w, a);
    vkm_json_key(&w, "Total");
    write_detailed(&w, &stats->total);
    write_memory_info(&w, a, stats, budgets);
    vkm_host_delete(&a->ha, VmaTotalStatistics, stats);
    if (detailed_map)
        write_detailed_map(&w, a);
    vkm_json_end_object(&w);
    return vkm_json_finish(&w);
}

void
vkm_stats_json_free(VmaAllocator a, char *s)
{
    vkm_json_free_text(&a->ha, s);
}

/* ------------------------------------------------------------------------------------ */
/* Virtual blocks                                                                        */

static void
visit_virtual(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    block_walk *bw = ctx;
    if (kind == VKM_RANGE_FREE) {
        put_free(bw, offset, size);
        return;
    }
    /* VMA's virtual entries: offset, size, and the user data as a pointer */
    vkm_json_writer *w = &bw->frag;
    vkm_json_begin_object(w, true);
    vkm_json_key(w, "Offset");
    vkm_json_u64(w, offset);
    vkm_json_key(w, "Size");
    vkm_json_u64(w, size);
    if (user != NULL) {
        vkm_json_key(w, "CustomData");
        write_pointer(w, user);
    }
    vkm_json_end_object(w);
    bw->allocs++;
    bw->alloc_bytes += size;
}

char *
vkm_stats_json_build_virtual(VmaVirtualBlock b, bool detailed_map)
{
    VmaDetailedStatistics stats;
    vkm_virtual_detailed_stats(b, &stats);

    vkm_json_writer w;
    vkm_json_init(&w, &b->ha, 0);
    vkm_json_begin_object(&w, false);
    vkm_json_key(&w, "Stats");
    write_detailed(&w, &stats);
    if (detailed_map) {
        block_walk bw = {.self = NULL};
        vkm_json_init(&bw.frag, &b->ha, 2);
        vkm_json_begin_array(&bw.frag, false);
        vkm_virtual_visit(b, visit_virtual, &bw);
        vkm_json_end_array(&bw.frag);

        vkm_json_key(&w, "Details");
        vkm_json_begin_object(&w, false);
        vkm_json_key(&w, "TotalBytes");
        vkm_json_u64(&w, b->size);
        vkm_json_key(&w, "UnusedBytes");
        vkm_json_u64(&w, b->size - bw.alloc_bytes);
        vkm_json_key(&w, "Allocations");
        vkm_json_u64(&w, bw.allocs);
        vkm_json_key(&w, "UnusedRanges");
        vkm_json_u64(&w, bw.unused_ranges);
        vkm_json_key(&w, "Suballocations");
        if (bw.frag.failed)
            w.failed = true;
        else
            vkm_json_raw(&w, bw.frag.buf, bw.frag.len);
        vkm_json_discard(&bw.frag);
        vkm_json_end_object(&w);
    }
    vkm_json_end_object(&w);
    return vkm_json_finish(&w);
}

void
vkm_stats_json_free_virtual(VmaVirtualBlock b, char *s)
{
    vkm_json_free_text(&b->ha, s);
}
