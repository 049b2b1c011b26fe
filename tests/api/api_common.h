/* SPDX-License-Identifier: MIT */
/*
 * api_common.h - shared fixture and instruments of the API tests (test_allocator.c,
 * test_alloc.c, test_resource.c, test_map.c, test_pool.c).
 *
 *   api_fixture     a Vulkan context (optionally behind a simulated layout, vk_sim.h) and
 *                   an allocator made from an api_setup; api_teardown destroys everything
 *                   and expects no new validation error and no sim-detected misuse.
 *   api_rec         a recording VmaVulkanFunctions wrapper: counts vkAllocateMemory /
 *                   vkFreeMemory / map / unmap / flush / invalidate / bind calls and keeps,
 *                   per vkAllocateMemory, the pNext chain (sTypes and struct addresses) and
 *                   the values of the structs the allocator adds (dedicated, flags,
 *                   priority). Sits above the sim when both are used.
 *   api_host_counter  counting VkAllocationCallbacks (live blocks and bytes, alignment
 *                   checks, optional failure of the n-th allocation).
 *   api_dm_counter  VmaDeviceMemoryCallbacks counting allocate/free calls and bytes.
 *   api_asserts     a vkmSetAssertHandler recorder.
 *
 * Each test file includes this header once; the instruments are file-local statics. The
 * recorder and the counters are mutex/atomic-protected so threaded cases may run with
 * them installed, but only one recorder is active at a time (the fixture installs it).
 */
#ifndef VKM_API_COMMON_H
#define VKM_API_COMMON_H

#include <linux/membarrier.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vk_ctx.h"
#include "vk_mem_alloc.h"
#include "vk_sim.h"
#include "vkmalloc.h"

#define API_KIB ((VkDeviceSize)1024)
#define API_MIB ((VkDeviceSize)1024 * 1024)
/* Whether the library asserts on contract violations (debug builds; release builds only
 * return the error): the test is built like the library. */
#ifdef NDEBUG
#define API_ASSERTS 0
#else
#define API_ASSERTS 1
#endif

/* Whether the kernel grants the process-wide barrier (membarrier) that the library
 * needs to read other threads' slot objects in a JSON dump and to hold idle threads'
 * caches (src/tcache.h, "Dumps" and "Holding"); without it those fall back to what
 * src/README.md says. */
static inline bool
api_process_barrier_available(void)
{
    const long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds > 0 && (cmds & (MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_GLOBAL));
}

/* ---- recording Vulkan functions ------------------------------------------------------ */

#define API_REC_MAX_ALLOCS 512
#define API_REC_MAX_CHAIN 8
#define API_REC_MAX_RANGES 32

typedef struct api_alloc_record {
    VkResult result;
    VkDeviceMemory memory; /* VK_NULL_HANDLE when the call failed */
    VkDeviceSize size;
    uint32_t type;
    uint32_t chain_len;
    VkStructureType chain_stype[API_REC_MAX_CHAIN];
    const void *chain_ptr[API_REC_MAX_CHAIN];
    bool has_dedicated;
    VkBuffer dedicated_buffer;
    VkImage dedicated_image;
    bool has_flags;
    VkMemoryAllocateFlags flags;
    bool has_priority;
    float priority;
} api_alloc_record;

typedef struct api_rec {
    VmaVulkanFunctions real;  /* what the wrappers call (the driver's or the sim's) */
    VmaVulkanFunctions table; /* what the allocator gets */
    pthread_mutex_t lock;
    uint32_t alloc_calls; /* vkAllocateMemory calls, failed ones included */
    uint32_t free_calls;
    uint32_t live_memory; /* successful allocations minus frees */
    uint32_t map_calls, unmap_calls;
    uint32_t flush_calls, invalidate_calls;
    uint32_t bind_buffer_calls, bind_image_calls; /* 1 and 2 variants together */
    VkDeviceMemory last_bind_memory;              /* of the last bind of either kind */
    VkDeviceSize last_bind_offset;
    uint32_t last_flush_count, last_invalidate_count;
    VkMappedMemoryRange last_flush[API_REC_MAX_RANGES];
    VkMappedMemoryRange last_invalidate[API_REC_MAX_RANGES];
    uint32_t fail_alloc_at; /* 1-based vkAllocateMemory call number to fail; 0: never */
    bool installed;
    api_alloc_record allocs[API_REC_MAX_ALLOCS]; /* the first API_REC_MAX_ALLOCS calls */
} api_rec;

static api_rec *api_rec_active;

static void
api_rec_note_chain(api_alloc_record *r, const void *head)
{
    for (const VkBaseInStructure *s = head; s != NULL; s = s->pNext) {
        if (r->chain_len < API_REC_MAX_CHAIN) {
            r->chain_stype[r->chain_len] = s->sType;
            r->chain_ptr[r->chain_len] = s;
            r->chain_len++;
        }
        switch (s->sType) {
        case VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO: {
            const VkMemoryDedicatedAllocateInfo *d = (const void *)s;
            r->has_dedicated = true;
            r->dedicated_buffer = d->buffer;
            r->dedicated_image = d->image;
            break;
        }
        case VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO: {
            const VkMemoryAllocateFlagsInfo *fl = (const void *)s;
            r->has_flags = true;
            r->flags = fl->flags;
            break;
        }
        case VK_STRUCTURE_TYPE_MEMORY_PRIORITY_ALLOCATE_INFO_EXT: {
            const VkMemoryPriorityAllocateInfoEXT *p = (const void *)s;
            r->has_priority = true;
            r->priority = p->priority;
            break;
        }
        default:
            break;
        }
    }
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_allocate_memory(VkDevice device, const VkMemoryAllocateInfo *info,
                        const VkAllocationCallbacks *cb, VkDeviceMemory *out)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    uint32_t n = ++rec->alloc_calls;
    bool fail = rec->fail_alloc_at != 0 && rec->fail_alloc_at == n;
    pthread_mutex_unlock(&rec->lock);
    VkResult r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    *out = VK_NULL_HANDLE;
    if (!fail)
        r = rec->real.vkAllocateMemory(device, info, cb, out);
    pthread_mutex_lock(&rec->lock);
    if (n <= API_REC_MAX_ALLOCS) {
        api_alloc_record *a = &rec->allocs[n - 1];
        memset(a, 0, sizeof(*a));
        a->result = r;
        a->memory = r == VK_SUCCESS ? *out : VK_NULL_HANDLE;
        a->size = info->allocationSize;
        a->type = info->memoryTypeIndex;
        api_rec_note_chain(a, info->pNext);
    }
    if (r == VK_SUCCESS)
        rec->live_memory++;
    pthread_mutex_unlock(&rec->lock);
    return r;
}

static VKAPI_ATTR void VKAPI_CALL
api_rec_free_memory(VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks *cb)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->free_calls++;
    if (memory != VK_NULL_HANDLE)
        rec->live_memory--;
    pthread_mutex_unlock(&rec->lock);
    rec->real.vkFreeMemory(device, memory, cb);
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_map_memory(VkDevice device, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size,
                   VkMemoryMapFlags flags, void **pp)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->map_calls++;
    pthread_mutex_unlock(&rec->lock);
    return rec->real.vkMapMemory(device, memory, offset, size, flags, pp);
}

static VKAPI_ATTR void VKAPI_CALL
api_rec_unmap_memory(VkDevice device, VkDeviceMemory memory)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->unmap_calls++;
    pthread_mutex_unlock(&rec->lock);
    rec->real.vkUnmapMemory(device, memory);
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_flush(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->flush_calls++;
    rec->last_flush_count = count;
    for (uint32_t i = 0; i < count && i < API_REC_MAX_RANGES; i++)
        rec->last_flush[i] = ranges[i];
    pthread_mutex_unlock(&rec->lock);
    return rec->real.vkFlushMappedMemoryRanges(device, count, ranges);
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_invalidate(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->invalidate_calls++;
    rec->last_invalidate_count = count;
    for (uint32_t i = 0; i < count && i < API_REC_MAX_RANGES; i++)
        rec->last_invalidate[i] = ranges[i];
    pthread_mutex_unlock(&rec->lock);
    return rec->real.vkInvalidateMappedMemoryRanges(device, count, ranges);
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_bind_buffer(VkDevice device, VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize offset)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->bind_buffer_calls++;
    rec->last_bind_memory = memory;
    rec->last_bind_offset = offset;
    pthread_mutex_unlock(&rec->lock);
    return rec->real.vkBindBufferMemory(device, buffer, memory, offset);
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_bind_image(VkDevice device, VkImage image, VkDeviceMemory memory, VkDeviceSize offset)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->bind_image_calls++;
    rec->last_bind_memory = memory;
    rec->last_bind_offset = offset;
    pthread_mutex_unlock(&rec->lock);
    return rec->real.vkBindImageMemory(device, image, memory, offset);
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_bind_buffer2(VkDevice device, uint32_t count, const VkBindBufferMemoryInfo *infos)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->bind_buffer_calls += count;
    if (count > 0) {
        rec->last_bind_memory = infos[count - 1].memory;
        rec->last_bind_offset = infos[count - 1].memoryOffset;
    }
    pthread_mutex_unlock(&rec->lock);
    return rec->real.vkBindBufferMemory2KHR(device, count, infos);
}

static VKAPI_ATTR VkResult VKAPI_CALL
api_rec_bind_image2(VkDevice device, uint32_t count, const VkBindImageMemoryInfo *infos)
{
    api_rec *rec = api_rec_active;
    pthread_mutex_lock(&rec->lock);
    rec->bind_image_calls += count;
    if (count > 0) {
        rec->last_bind_memory = infos[count - 1].memory;
        rec->last_bind_offset = infos[count - 1].memoryOffset;
    }
    pthread_mutex_unlock(&rec->lock);
    return rec->real.vkBindImageMemory2KHR(device, count, infos);
}

/* Makes rec->table: `real` with the recorded members replaced. Activates `rec`. */
static void
api_rec_install(api_rec *rec, const VmaVulkanFunctions *real)
{
    memset(rec, 0, sizeof(*rec));
    pthread_mutex_init(&rec->lock, NULL);
    rec->real = *real;
    rec->table = *real;
    rec->installed = true;
    rec->table.vkAllocateMemory = api_rec_allocate_memory;
    rec->table.vkFreeMemory = api_rec_free_memory;
    rec->table.vkMapMemory = api_rec_map_memory;
    rec->table.vkUnmapMemory = api_rec_unmap_memory;
    rec->table.vkFlushMappedMemoryRanges = api_rec_flush;
    rec->table.vkInvalidateMappedMemoryRanges = api_rec_invalidate;
    rec->table.vkBindBufferMemory = api_rec_bind_buffer;
    rec->table.vkBindImageMemory = api_rec_bind_image;
    if (real->vkBindBufferMemory2KHR != NULL)
        rec->table.vkBindBufferMemory2KHR = api_rec_bind_buffer2;
    if (real->vkBindImageMemory2KHR != NULL)
        rec->table.vkBindImageMemory2KHR = api_rec_bind_image2;
    api_rec_active = rec;
}

static void
api_rec_uninstall(api_rec *rec)
{
    if (!rec->installed)
        return;
    if (api_rec_active == rec)
        api_rec_active = NULL;
    pthread_mutex_destroy(&rec->lock);
    rec->installed = false;
}

/* The record of the vkAllocateMemory call that returned `memory`, or NULL. */
static const api_alloc_record *
api_rec_find(const api_rec *rec, VkDeviceMemory memory)
{
    uint32_t n = rec->alloc_calls < API_REC_MAX_ALLOCS ? rec->alloc_calls : API_REC_MAX_ALLOCS;
    for (uint32_t i = n; i-- > 0;)
        if (rec->allocs[i].memory == memory && memory != VK_NULL_HANDLE)
            return &rec->allocs[i];
    return NULL;
}

static const api_alloc_record *
api_rec_last(const api_rec *rec)
{
    if (rec->alloc_calls == 0 || rec->alloc_calls > API_REC_MAX_ALLOCS)
        return NULL;
    return &rec->allocs[rec->alloc_calls - 1];
}

static bool
api_chain_has_ptr(const api_alloc_record *r, const void *p)
{
    for (uint32_t i = 0; i < r->chain_len; i++)
        if (r->chain_ptr[i] == p)
            return true;
    return false;
}

static uint32_t
api_chain_count_stype(const api_alloc_record *r, VkStructureType s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->chain_len; i++)
        n += r->chain_stype[i] == s;
    return n;
}

/* ---- counting host allocation callbacks ------------------------------------------------ */

/* Each block carries a header in front of the user pointer: the user size and the offset
 * back to the malloc'ed base. */
typedef struct api_host_counter {
    atomic_long live; /* blocks currently allocated */
    atomic_long live_bytes;
    atomic_long total_allocs; /* pfnAllocation + pfnReallocation(NULL) successes */
    atomic_long total_frees;
    atomic_long bad_alignment; /* requests with a non power-of-two alignment */
    atomic_long fail_at;       /* fail the n-th allocation from now (1-based); 0: never */
    atomic_long calls;         /* allocation attempts since fail_at was armed */
    atomic_long failed;
} api_host_counter;

typedef struct api_host_header {
    size_t size;
    size_t offset; /* user pointer - base */
} api_host_header;

static void *
api_host_raw_alloc(api_host_counter *c, size_t size, size_t align)
{
    if (align == 0 || (align & (align - 1)) != 0) {
        atomic_fetch_add(&c->bad_alignment, 1);
        return NULL;
    }
    long fail_at = atomic_load(&c->fail_at);
    if (fail_at != 0) {
        long n = atomic_fetch_add(&c->calls, 1) + 1;
        if (n == fail_at) {
            atomic_fetch_add(&c->failed, 1);
            return NULL;
        }
    }
    if (align < sizeof(api_host_header))
        align = sizeof(api_host_header);
    /* the header sits in the `offset` bytes in front of the user pointer */
    size_t offset = (sizeof(api_host_header) + align - 1) / align * align;
    char *base = aligned_alloc(align, (size + offset + align - 1) / align * align);
    if (base == NULL)
        return NULL;
    char *user = base + offset;
    api_host_header *h = (api_host_header *)(void *)(user - sizeof(api_host_header));
    h->size = size;
    h->offset = offset;
    atomic_fetch_add(&c->live, 1);
    atomic_fetch_add(&c->live_bytes, (long)size);
    atomic_fetch_add(&c->total_allocs, 1);
    return user;
}

static void
api_host_raw_free(api_host_counter *c, void *p)
{
    if (p == NULL)
        return;
    char *user = p;
    api_host_header *h = (api_host_header *)(void *)(user - sizeof(api_host_header));
    atomic_fetch_sub(&c->live, 1);
    atomic_fetch_sub(&c->live_bytes, (long)h->size);
    atomic_fetch_add(&c->total_frees, 1);
    free(user - h->offset);
}

static VKAPI_ATTR void *VKAPI_CALL
api_host_alloc_cb(void *user, size_t size, size_t align, VkSystemAllocationScope scope)
{
    (void)scope;
    return api_host_raw_alloc(user, size, align);
}

static VKAPI_ATTR void *VKAPI_CALL
api_host_realloc_cb(void *user, void *orig, size_t size, size_t align,
                    VkSystemAllocationScope scope)
{
    (void)scope;
    api_host_counter *c = user;
    if (orig == NULL)
        return api_host_raw_alloc(c, size, align);
    if (size == 0) {
        api_host_raw_free(c, orig);
        return NULL;
    }
    void *n = api_host_raw_alloc(c, size, align);
    if (n == NULL)
        return NULL;
    api_host_header *h = (api_host_header *)(void *)((char *)orig - sizeof(api_host_header));
    memcpy(n, orig, h->size < size ? h->size : size);
    api_host_raw_free(c, orig);
    return n;
}

static VKAPI_ATTR void VKAPI_CALL
api_host_free_cb(void *user, void *p)
{
    api_host_raw_free(user, p);
}

static VkAllocationCallbacks
api_host_callbacks(api_host_counter *c)
{
    memset(c, 0, sizeof(*c));
    return (VkAllocationCallbacks){
        .pUserData = c,
        .pfnAllocation = api_host_alloc_cb,
        .pfnReallocation = api_host_realloc_cb,
        .pfnFree = api_host_free_cb,
    };
}

/* ---- device memory callbacks ---------------------------------------------------------- */

typedef struct api_dm_counter {
    atomic_uint allocs, frees;
    atomic_ullong alloc_bytes, free_bytes;
    atomic_uint wrong_user_data;
    atomic_uint wrong_allocator;
    VmaAllocator expected_allocator; /* set after creation; NULL: not checked */
    uint32_t type_allocs[VK_MAX_MEMORY_TYPES];
    uint32_t type_frees[VK_MAX_MEMORY_TYPES];
    pthread_mutex_t lock;
} api_dm_counter;

static void VKAPI_PTR
api_dm_alloc_cb(VmaAllocator allocator, uint32_t type, VkDeviceMemory memory, VkDeviceSize size,
                void *user)
{
    api_dm_counter *c = user;
    (void)memory;
    if (c == NULL)
        return;
    if (c->expected_allocator != NULL && allocator != c->expected_allocator)
        atomic_fetch_add(&c->wrong_allocator, 1);
    atomic_fetch_add(&c->allocs, 1);
    atomic_fetch_add(&c->alloc_bytes, size);
    pthread_mutex_lock(&c->lock);
    if (type < VK_MAX_MEMORY_TYPES)
        c->type_allocs[type]++;
    pthread_mutex_unlock(&c->lock);
}

static void VKAPI_PTR
api_dm_free_cb(VmaAllocator allocator, uint32_t type, VkDeviceMemory memory, VkDeviceSize size,
               void *user)
{
    api_dm_counter *c = user;
    (void)memory;
    if (c == NULL)
        return;
    if (c->expected_allocator != NULL && allocator != c->expected_allocator)
        atomic_fetch_add(&c->wrong_allocator, 1);
    atomic_fetch_add(&c->frees, 1);
    atomic_fetch_add(&c->free_bytes, size);
    pthread_mutex_lock(&c->lock);
    if (type < VK_MAX_MEMORY_TYPES)
        c->type_frees[type]++;
    pthread_mutex_unlock(&c->lock);
}

static VmaDeviceMemoryCallbacks
api_dm_callbacks(api_dm_counter *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    return (VmaDeviceMemoryCallbacks){
        .pfnAllocate = api_dm_alloc_cb,
        .pfnFree = api_dm_free_cb,
        .pUserData = c,
    };
}

/* ---- assert handler recorder ------------------------------------------------------------ */

typedef struct api_asserts {
    atomic_uint count;
    char last[256];
} api_asserts;

static api_asserts api_assert_log;

static void
api_assert_record(const char *message, const char *expression, const char *file, int line,
                  void *user)
{
    (void)expression;
    (void)file;
    (void)line;
    api_asserts *log = user;
    atomic_fetch_add(&log->count, 1);
    snprintf(log->last, sizeof log->last, "%s", message ? message : "(null)");
}

/* Installs the recorder (contract violations then return their error instead of aborting
 * a debug build) and resets it. */
static void
api_asserts_begin(void)
{
    atomic_store(&api_assert_log.count, 0);
    api_assert_log.last[0] = '\0';
    vkmSetAssertHandler(api_assert_record, &api_assert_log);
}

static unsigned
api_asserts_end(void)
{
    vkmSetAssertHandler(NULL, NULL);
    return atomic_load(&api_assert_log.count);
}

/* ---- the fixture ------------------------------------------------------------------------ */

typedef struct api_setup {
    uint32_t api_version;   /* 0: the highest available (vk_ctx's default) */
    int validation;         /* 0: vk_ctx default (on unless VKM_TEST_VALIDATION=0); 1 on; -1 off */
    bool use_sim;           /* put a vkm_sim under the allocator */
    const char *sim_layout; /* with use_sim: layout name, NULL = the real layout */
    bool record;            /* put the recorder in front of the allocator's functions */
    bool null_functions;    /* pVulkanFunctions = NULL (fetched from the loader) */
    bool no_allocator;      /* only the context (and sim) */
    bool driver_errors_expected; /* injected failures: the driver logs them as errors */
    VmaAllocatorCreateFlags add_flags;
    VmaAllocatorCreateFlags clear_flags;
    VkDeviceSize preferred_large_heap_block_size;
    const VkDeviceSize *heap_size_limit;
    const VkAllocationCallbacks *host_callbacks;
    const VmaDeviceMemoryCallbacks *device_memory_callbacks;
} api_setup;

typedef struct api_fixture {
    bool live;
    vkm_test_vk ctx;
    vkm_sim *sim;
    api_rec rec;
    VmaVulkanFunctions funcs; /* the table handed to the allocator (when not NULL) */
    VmaAllocatorCreateInfo ci;
    VmaAllocator allocator;
    uint32_t validation_at_start;
    bool driver_errors_expected;
} api_fixture;

static api_fixture api_fx;

static void
api_fixture_release(api_fixture *f)
{
    if (f->allocator != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->allocator);
    f->allocator = VK_NULL_HANDLE;
    if (f->sim != NULL)
        vkm_sim_destroy(f->sim);
    f->sim = NULL;
    api_rec_uninstall(&f->rec);
    vkm_test_vk_destroy(&f->ctx);
    f->live = false;
}

/* Builds the allocator create info the fixture would use (context and sim must exist). */
static void
api_fixture_fill_create_info(api_fixture *f, const api_setup *s, VmaAllocatorCreateInfo *ci)
{
    memset(ci, 0, sizeof(*ci));
    if (f->sim != NULL) {
        vkm_sim_fill_allocator_info(f->sim, ci);
        f->funcs = *ci->pVulkanFunctions;
    } else {
        vkm_test_vk_fill_allocator_info(&f->ctx, ci);
        vkm_test_vk_fill_functions(&f->ctx, &f->funcs);
    }
    if (s->record) {
        api_rec_install(&f->rec, &f->funcs);
        f->funcs = f->rec.table;
    }
    ci->pVulkanFunctions = s->null_functions ? NULL : &f->funcs;
    ci->flags = (ci->flags | s->add_flags) & ~s->clear_flags;
    ci->preferredLargeHeapBlockSize = s->preferred_large_heap_block_size;
    ci->pHeapSizeLimit = s->heap_size_limit;
    ci->pAllocationCallbacks = s->host_callbacks;
    ci->pDeviceMemoryCallbacks = s->device_memory_callbacks;
}

/* Creates context (+ sim) (+ allocator). Skips the case when no Vulkan driver exists;
 * ends it on any other failure. A fixture a previous (failed) case left behind is
 * released first. */
static api_fixture *
api_fixture_setup(const api_setup *s_in)
{
    api_setup defaults = {0};
    const api_setup *s = s_in ? s_in : &defaults;
    api_fixture *f = &api_fx;
    if (f->live)
        api_fixture_release(f);
    memset(f, 0, sizeof(*f));

    vkm_test_vk_options o = vkm_test_vk_default_options();
    o.api_version = s->api_version;
    if (s->validation != 0)
        o.validation = s->validation > 0;
    f->validation_at_start = vkm_test_validation_error_count();
    f->driver_errors_expected = s->driver_errors_expected;
    VkResult r = vkm_test_vk_create(&f->ctx, &o);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    f->live = true;
    if (s->use_sim) {
        r = vkm_sim_create(&f->ctx, s->sim_layout, &f->sim);
        if (r != VK_SUCCESS) {
            api_fixture_release(f);
            ASSERT_VK_OK(r);
        }
    }
    api_fixture_fill_create_info(f, s, &f->ci);
    if (!s->no_allocator) {
        r = vmaCreateAllocator(&f->ci, &f->allocator);
        if (r != VK_SUCCESS) {
            api_fixture_release(f);
            ASSERT_VK_OK(r);
        }
    }
    return f;
}

/* Destroys everything; expects no validation error since setup (vkDestroyDevice reports
 * leaked objects) and no misuse seen by the sim. */
static void
api_fixture_teardown(api_fixture *f)
{
    if (!f->live)
        return;
    if (f->allocator != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->allocator);
    f->allocator = VK_NULL_HANDLE;
    if (f->sim != NULL) {
        EXPECT_EQ(vkm_sim_violation_count(f->sim), 0);
        EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
        vkm_sim_destroy(f->sim);
        f->sim = NULL;
    }
    api_rec_uninstall(&f->rec);
    vkm_test_vk_destroy(&f->ctx);
    f->live = false;
    if (!f->driver_errors_expected)
        EXPECT_EQ(vkm_test_validation_error_count(), f->validation_at_start);
}

/* ---- small helpers ---------------------------------------------------------------------- */

static VkMemoryRequirements
api_mem_req(VkDeviceSize size, VkDeviceSize alignment, uint32_t type_bits)
{
    return (VkMemoryRequirements){
        .size = size, .alignment = alignment, .memoryTypeBits = type_bits};
}

/* Bits of every memory type the allocator reports. */
static uint32_t
api_all_types(VmaAllocator a)
{
    const VkPhysicalDeviceMemoryProperties *p = NULL;
    vmaGetMemoryProperties(a, &p);
    return p->memoryTypeCount >= 32 ? UINT32_MAX : (1u << p->memoryTypeCount) - 1u;
}

/* First memory type with all of `flags` (UINT32_MAX if none). */
static uint32_t
api_find_type(VmaAllocator a, VkMemoryPropertyFlags flags)
{
    const VkPhysicalDeviceMemoryProperties *p = NULL;
    vmaGetMemoryProperties(a, &p);
    for (uint32_t i = 0; i < p->memoryTypeCount; i++)
        if ((p->memoryTypes[i].propertyFlags & flags) == flags)
            return i;
    return UINT32_MAX;
}

/* vmaAllocateMemory of `size` / `alignment` in memory types `bits`, usage UNKNOWN (so no
 * resource information is needed), with `flags`. */
static VkResult
api_alloc(VmaAllocator a, VkDeviceSize size, VkDeviceSize alignment, uint32_t bits,
          VmaAllocationCreateFlags flags, VmaAllocation *out, VmaAllocationInfo *info)
{
    VkMemoryRequirements req = api_mem_req(size, alignment, bits);
    VmaAllocationCreateInfo ci = {.flags = flags, .usage = VMA_MEMORY_USAGE_UNKNOWN};
    return vmaAllocateMemory(a, &req, &ci, out, info);
}

static VmaAllocationInfo2
api_info2(VmaAllocator a, VmaAllocation x)
{
    VmaAllocationInfo2 i;
    memset(&i, 0xcd, sizeof(i));
    vmaGetAllocationInfo2(a, x, &i);
    return i;
}

/* Whether [o1, o1+s1) and [o2, o2+s2) intersect. */
static bool
api_ranges_overlap(VkDeviceSize o1, VkDeviceSize s1, VkDeviceSize o2, VkDeviceSize s2)
{
    return o1 < o2 + s2 && o2 < o1 + s1;
}

/* The calling thread's cache statistics (vkm extension), checked to succeed. */
static VkmThreadCacheStatistics
api_my_cache(VmaAllocator a)
{
    VkmThreadCacheStatistics s;
    memset(&s, 0xcd, sizeof(s));
    EXPECT_VK(VK_SUCCESS, vkmGetThreadCacheStatistics(a, &s));
    return s;
}

/* The whole-allocator totals in one call. */
static VmaTotalStatistics
api_stats(VmaAllocator a)
{
    VmaTotalStatistics t;
    memset(&t, 0xcd, sizeof(t));
    vmaCalculateStatistics(a, &t);
    return t;
}

static VkBufferCreateInfo
api_buffer_info(VkDeviceSize size, VkBufferUsageFlags usage)
{
    return (VkBufferCreateInfo){
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
}

static VkImageCreateInfo
api_image_info(uint32_t width, uint32_t height, VkImageTiling tiling, VkImageUsageFlags usage)
{
    VkImageCreateInfo ici = vkm_test_image_info(width, height, tiling, usage);
    ici.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED; /* as the API tests always made them */
    return ici;
}

static void
api_fill_pattern(void *p, size_t n, uint32_t seed)
{
    unsigned char *b = p;
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (unsigned char)x;
    }
}

/* Index of the first byte that differs from the pattern, or SIZE_MAX. */
static size_t
api_check_pattern(const void *p, size_t n, uint32_t seed)
{
    const unsigned char *b = p;
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if (b[i] != (unsigned char)x)
            return i;
    }
    return SIZE_MAX;
}

/* The debug options of `a` (NULL: of the next allocator) are margin 16, corruption
 * detection and filling: what the builds and macros under test ask for. */
static void
api_expect_debug_options_16_on_on(VmaAllocator a)
{
    VkmDebugOptions o;
    vkmGetDebugOptions(a, &o);
    EXPECT_EQ_U64(o.margin, 16);
    EXPECT_EQ(o.detectCorruption, VK_TRUE);
    EXPECT_EQ(o.initializeAllocations, VK_TRUE);
}

#endif /* VKM_API_COMMON_H */
