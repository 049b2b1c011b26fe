/* SPDX-License-Identifier: MIT */
#include "corruption.h"
#include "allocation.h"
#include "allocator.h"
#include "block.h"
#include "block_list.h"
#include "debug.h"
#include "pool.h"
#include "tcache.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Options                                                                               */

/* The process-wide options as one word, so a reader never sees half of an update:
 * bits 0-31 margin, bit 32 detectCorruption, bit 33 initializeAllocations, bit 63 "set"
 * (0: the build's defaults). Relaxed: the word carries everything it publishes. */
static vkm_atomic_u64 process_options;

#define OPT_DETECT (1ull << 32)
#define OPT_FILL (1ull << 33)
#define OPT_SET (1ull << 63)

static bool
options_valid(const VkmDebugOptions *o)
{
    return o->margin <= VKM_DEBUG_MAX_MARGIN && (!o->detectCorruption || o->margin % 4 == 0);
}

VkResult
vkm_corruption_set_process_options(const VkmDebugOptions *o)
{
    if (o == NULL) {
        vkm_atomic_store_u64_relaxed(&process_options, 0);
        return VK_SUCCESS;
    }
    if (!options_valid(o))
        return VK_ERROR_VALIDATION_FAILED_EXT;
    const uint64_t w = OPT_SET | o->margin | (o->detectCorruption ? OPT_DETECT : 0) |
                       (o->initializeAllocations ? OPT_FILL : 0);
    vkm_atomic_store_u64_relaxed(&process_options, w);
    return VK_SUCCESS;
}

void
vkm_corruption_process_options(VkmDebugOptions *out)
{
    const uint64_t w = vkm_atomic_load_u64_relaxed(&process_options);
    if (!(w & OPT_SET)) {
        vkm_corruption_build_defaults(out);
        return;
    }
    out->margin = w & 0xffffffffu;
    out->detectCorruption = (w & OPT_DETECT) ? VK_TRUE : VK_FALSE;
    out->initializeAllocations = (w & OPT_FILL) ? VK_TRUE : VK_FALSE;
}

void
vkm_corruption_init(VmaAllocator a)
{
    vkm_corruption *c = &a->corruption;
    vkm_corruption_process_options(&c->options);
    c->margin = c->options.margin;
    c->fill = c->options.initializeAllocations != VK_FALSE;
    c->detect_types = 0;
    /* VMA's rule: the magic is only kept where the host can read the margins without a
     * flush or invalidate getting in the way. */
    if (c->options.detectCorruption && c->margin != 0) {
        for (uint32_t t = 0; t < a->mem_props.memoryTypeCount; t++)
            if (vkm_memtype_is_host_visible(&a->mt, t) && vkm_memtype_is_coherent(&a->mt, t))
                c->detect_types |= 1u << t;
    }
    vkm_rwlock_init(&c->lock);
    vkm_atomic_init_u64(&c->xfound, 0);
}

void
vkm_corruption_finish(VmaAllocator a)
{
    vkm_rwlock_destroy(&a->corruption.lock);
}

/* ------------------------------------------------------------------------------------ */
/* Margins                                                                               */

static void
write_words(uint8_t *p, VkDeviceSize bytes)
{
    const uint32_t magic = VKM_CORRUPTION_MAGIC_VALUE;
    for (VkDeviceSize i = 0; i + sizeof(magic) <= bytes; i += sizeof(magic))
        memcpy(p + i, &magic, sizeof(magic));
}

static bool
words_intact(const uint8_t *p, VkDeviceSize bytes)
{
    for (VkDeviceSize i = 0; i + sizeof(uint32_t) <= bytes; i += sizeof(uint32_t)) {
        uint32_t w;
        memcpy(&w, p + i, sizeof(w));
        if (w != VKM_CORRUPTION_MAGIC_VALUE)
            return false;
    }
    return true;
}

/* A damaged margin: counted, then a debug assertion (the application's handler when it
 * installed one) or, in release builds, one line on stderr. `when` says who found it. */
static void
report(VmaAllocator a, const vkm_block *b, VkDeviceSize offset, VkDeviceSize size, const char *when)
{
    vkm_atomic_fetch_add_u64_relaxed(&a->corruption.xfound, 1);
    char msg[256];
    snprintf(msg, sizeof msg,
             "memory corruption: the margin after the allocation at offset %llu (size %llu) "
             "of a block of memory type %u was overwritten (found %s)",
             (unsigned long long)offset, (unsigned long long)size, b->memory_type, when);
    if (vkm_config_api_asserts) {
        vkm_assert_failed("margin == VKM_CORRUPTION_MAGIC_VALUE", msg, __FILE__, __LINE__, true);
    } else {
        fprintf(stderr, "vkmalloc: %s\n", msg);
        fflush(stderr);
    }
}

VkResult
vkm_corruption_write_magic(VmaAllocator a, vkm_block *b, VkDeviceSize offset, VkDeviceSize size)
{
    void *base = NULL;
    VkResult res = vkm_block_map(b, a->device, &a->funcs.vk, 1, &base);
    if (res != VK_SUCCESS)
        return res;
    write_words((uint8_t *)base + offset + size, a->corruption.margin);
    vkm_block_unmap(b, a->device, &a->funcs.vk, 1);
    return VK_SUCCESS;
}

void
vkm_corruption_validate(VmaAllocator a, vkm_block *b, VkDeviceSize offset, VkDeviceSize size)
{
    void *base = NULL;
    /* Cannot map now: nothing to compare against, and the free must go on (VMA asserts
     * here; a failed map is the driver's business, not a corruption). */
    if (vkm_block_map(b, a->device, &a->funcs.vk, 1, &base) != VK_SUCCESS)
        return;
    const bool intact = words_intact((const uint8_t *)base + offset + size, a->corruption.margin);
    vkm_block_unmap(b, a->device, &a->funcs.vk, 1);
    if (!intact)
        report(a, b, offset, size, "when it was freed");
}

/* ------------------------------------------------------------------------------------ */
/* Debug fill                                                                            */

void
vkm_corruption_fill(VmaAllocator a, VmaAllocation alloc, uint8_t pattern)
{
    /* VMA's rule: host-visible memory of allocations that may be mapped. */
    if (!a->corruption.fill || !(alloc->flags & VKM_ALLOC_FLAG_MAPPING_ALLOWED) ||
        !vkm_memtype_is_host_visible(&a->mt, alloc->memory_type))
        return;
    void *p = NULL;
    if (vkm_allocator_map(a, alloc, &p) != VK_SUCCESS)
        return; /* the allocation is still good, only not initialised */
    memset(p, pattern, (size_t)alloc->size);
    (void)vkm_allocator_flush_or_invalidate(a, 1, &alloc, NULL, NULL, false);
    vkm_allocator_unmap(a, alloc);
}

/* ------------------------------------------------------------------------------------ */
/* Checks                                                                                */

/* One block's walk (under its lock, the corruption lock held for writing). */
typedef struct check_walk {
    VmaAllocator a;
    vkm_block *b;
    const uint8_t *base; /* the block's mapping */
    VkResult res;        /* VK_SUCCESS, VK_ERROR_UNKNOWN, or a mapping error */
} check_walk;

static void
check_range(void *ctx, uint64_t offset, uint64_t size, vkm_range_kind kind, void *user)
{
    check_walk *w = ctx;
    if (kind == VKM_RANGE_FREE)
        return;
    /* Runs: their slots, each a block allocation (user NULL). */
    if (user != NULL && vkm_tcache_visit_range(user, check_range, ctx))
        return;
    const VkDeviceSize margin = w->a->corruption.margin;
    vkm_assert(size > margin);
    if (!words_intact(w->base + offset + size - margin, margin)) {
        report(w->a, w->b, offset, size - margin, "by a corruption check");
        w->res = VK_ERROR_UNKNOWN;
    }
}

static void
check_block(vkm_block *b, void *ctx)
{
    check_walk *w = ctx;
    if (w->res != VK_SUCCESS && w->res != VK_ERROR_UNKNOWN)
        return; /* a mapping failed: stop */
    if (vkm_block_range_is_empty(b))
        return;
    void *base = NULL;
    VkResult res = vkm_block_map(b, w->a->device, &w->a->funcs.vk, 1, &base);
    if (res != VK_SUCCESS) {
        w->res = res;
        return;
    }
    w->b = b;
    w->base = base;
    vkm_block_range_visit(b, check_range, w);
    vkm_block_unmap(b, w->a->device, &w->a->funcs.vk, 1);
}

/* Checks one list; the caller holds the corruption lock for writing. */
static VkResult
check_list(VmaAllocator a, vkm_block_list *l, vkm_epoch_record *rec)
{
    check_walk w = {.a = a, .res = VK_SUCCESS};
    vkm_block_list_for_each_block(l, rec, check_block, &w);
    return w.res;
}

/* VMA's combination over lists: "not present" until one list is checked, the first
 * failure wins over success. */
static VkResult
combine(VkResult so_far, VkResult r)
{
    if (so_far != VK_SUCCESS && so_far != VK_ERROR_FEATURE_NOT_PRESENT)
        return so_far;
    return r;
}

VkResult
vkm_corruption_check(VmaAllocator a, uint32_t memory_type_bits)
{
    vkm_corruption *c = &a->corruption;
    const uint32_t types = memory_type_bits & c->detect_types;
    if (types == 0)
        return VK_ERROR_FEATURE_NOT_PRESENT;
    VkResult res = VK_ERROR_FEATURE_NOT_PRESENT;
    /* The fallback cache's lock (a thread without a cache) before the corruption lock:
     * an allocation through the fallback cache takes them in that order. */
    vkm_tcache *tc = vkm_tcache_enter_reader(a);
    vkm_rwlock_wrlock(&c->lock);
    for (uint32_t t = 0; t < a->mem_props.memoryTypeCount; t++)
        if (((types >> t) & 1u) && a->default_lists[t] != NULL)
            res = combine(res, check_list(a, a->default_lists[t], tc->rec));
    vkm_rwlock_rdlock(&a->pools_lock);
    for (VmaPool p = a->pools; p != NULL; p = p->next)
        if ((types >> p->info.memoryTypeIndex) & 1u)
            res = combine(res, check_list(a, p->list, tc->rec));
    vkm_rwlock_unlock(&a->pools_lock);
    vkm_rwlock_unlock(&c->lock);
    vkm_tcache_leave(a, tc);
    /* Detection is on for at least one of the types even if no list exists yet. */
    return res == VK_ERROR_FEATURE_NOT_PRESENT ? VK_SUCCESS : res;
}

VkResult
vkm_corruption_check_pool(VmaAllocator a, VmaPool pool)
{
    vkm_corruption *c = &a->corruption;
    if (!vkm_corruption_detects(c, pool->info.memoryTypeIndex))
        return VK_ERROR_FEATURE_NOT_PRESENT;
    vkm_tcache *tc = vkm_tcache_enter_reader(a); /* before the lock, as above */
    vkm_rwlock_wrlock(&c->lock);
    const VkResult res = check_list(a, pool->list, tc->rec);
    vkm_rwlock_unlock(&c->lock);
    vkm_tcache_leave(a, tc);
    return res;
}
