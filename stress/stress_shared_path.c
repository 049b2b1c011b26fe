/* SPDX-License-Identifier: MIT */
/*
 * stress_shared_path - many threads on the shared (block-list) path at once.
 *
 *   stress_shared_path [threads] [iterations] [seed] | --smoke
 *
 * Each thread keeps a window of live allocations in the default pools and in one custom
 * pool shared by all threads, and mixes allocate / free / map / unmap / get-info /
 * statistics reads. Blocks are small so they are created and released all the time.
 * Invariants, checked by the threads themselves and at the end:
 *   - every offset meets its alignment;
 *   - a byte pattern written through a mapping survives until the allocation is freed
 *     (another allocation overlapping it would overwrite it);
 *   - no two live allocations overlap (a registry of live ranges, checked on insert);
 *   - statistics return to zero allocations and the device-memory callbacks balance.
 * Run under ThreadSanitizer in CI: any report fails the test.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_ctx.h"
#include "vk_mem_alloc.h"

#define WINDOW 32
#define MAX_THREADS 64
#define REG_SIZE 4096

typedef struct {
    VkDeviceMemory mem;
    VkDeviceSize offset, size;
    const void *owner;
} live_range;

/* Registry of live ranges; a mutex is fine here, the allocator is what is under test. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static live_range reg[REG_SIZE];
static atomic_uint failures;
static atomic_int dm_live;

static void
fail(const char *what, unsigned seed)
{
    fprintf(stderr, "stress_shared_path: %s (seed %u)\n", what, seed);
    atomic_fetch_add(&failures, 1);
}

static void
reg_insert(const VmaAllocationInfo *info, const void *owner, unsigned seed)
{
    pthread_mutex_lock(&reg_lock);
    int free_slot = -1;
    for (int i = 0; i < REG_SIZE; i++) {
        if (reg[i].owner == NULL) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (reg[i].mem == info->deviceMemory && info->offset < reg[i].offset + reg[i].size &&
            reg[i].offset < info->offset + info->size)
            fail("two live allocations overlap", seed);
    }
    if (free_slot >= 0)
        reg[free_slot] = (live_range){info->deviceMemory, info->offset, info->size, owner};
    pthread_mutex_unlock(&reg_lock);
}

static void
reg_remove(const void *owner)
{
    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < REG_SIZE; i++)
        if (reg[i].owner == owner)
            reg[i].owner = NULL;
    pthread_mutex_unlock(&reg_lock);
}

static void VKAPI_PTR
on_alloc(VmaAllocator a, uint32_t type, VkDeviceMemory m, VkDeviceSize s, void *u)
{
    (void)a, (void)type, (void)m, (void)s, (void)u;
    atomic_fetch_add(&dm_live, 1);
}

static void VKAPI_PTR
on_free(VmaAllocator a, uint32_t type, VkDeviceMemory m, VkDeviceSize s, void *u)
{
    (void)a, (void)type, (void)m, (void)s, (void)u;
    atomic_fetch_sub(&dm_live, 1);
}

typedef struct {
    VmaAllocation alloc;
    VkDeviceSize size;
    unsigned char pattern;
    bool mapped_persistent;
} item;

typedef struct {
    VmaAllocator allocator;
    VmaPool pool;
    unsigned seed, iterations;
    uint32_t host_type_bits;
} worker;

static uint32_t
rnd(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static bool
pattern_intact(VmaAllocator a, item *it, unsigned seed)
{
    void *p;
    if (vmaMapMemory(a, it->alloc, &p) != VK_SUCCESS) {
        fail("vmaMapMemory failed", seed);
        return false;
    }
    const unsigned char *b = p;
    bool ok = b[0] == it->pattern && b[it->size / 2] == it->pattern && b[it->size - 1] == it->pattern;
    vmaUnmapMemory(a, it->alloc);
    return ok;
}

static void
drop(worker *w, item *it)
{
    if (it->alloc == NULL)
        return;
    if (!pattern_intact(w->allocator, it, w->seed))
        fail("pattern written through a mapping did not survive", w->seed);
    reg_remove(it->alloc);
    vmaFreeMemory(w->allocator, it->alloc);
    it->alloc = NULL;
}

static void *
run(void *arg)
{
    worker *w = arg;
    item win[WINDOW];
    memset(win, 0, sizeof(win));
    unsigned s = w->seed;
    for (unsigned i = 0; i < w->iterations; i++) {
        item *it = &win[rnd(&s) % WINDOW];
        uint32_t op = rnd(&s) % 10;
        if (op < 5 || it->alloc == NULL) {
            drop(w, it);
            VkDeviceSize alignment = (VkDeviceSize)1 << (rnd(&s) % 9); /* 1..256 */
            VkDeviceSize size = 16 + rnd(&s) % (48 * 1024);
            VkMemoryRequirements mr = {size, alignment, w->host_type_bits};
            bool persistent = rnd(&s) % 2 == 0;
            VmaAllocationCreateInfo ci = {
                .usage = VMA_MEMORY_USAGE_UNKNOWN,
                .requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT |
                         (persistent ? VMA_ALLOCATION_CREATE_MAPPED_BIT : 0),
                .pool = rnd(&s) % 3 == 0 ? w->pool : VK_NULL_HANDLE,
            };
            VmaAllocationInfo info;
            VkResult r = vmaAllocateMemory(w->allocator, &mr, &ci, &it->alloc, &info);
            if (r != VK_SUCCESS) {
                if (r != VK_ERROR_OUT_OF_DEVICE_MEMORY || ci.pool == VK_NULL_HANDLE)
                    fail("vmaAllocateMemory failed", w->seed);
                it->alloc = NULL;
                continue;
            }
            if (info.offset % alignment != 0)
                fail("offset does not meet its alignment", w->seed);
            if (persistent && info.pMappedData == NULL)
                fail("MAPPED_BIT gave no pointer", w->seed);
            reg_insert(&info, it->alloc, w->seed);
            it->size = size;
            it->pattern = (unsigned char)(rnd(&s) | 1);
            it->mapped_persistent = persistent;
            void *p;
            if (vmaMapMemory(w->allocator, it->alloc, &p) == VK_SUCCESS) {
                memset(p, it->pattern, (size_t)size);
                vmaUnmapMemory(w->allocator, it->alloc);
            } else {
                fail("vmaMapMemory failed", w->seed);
            }
        } else if (op < 8) {
            drop(w, it);
        } else if (op == 8) {
            VmaAllocationInfo info;
            vmaGetAllocationInfo(w->allocator, it->alloc, &info);
            if (it->mapped_persistent && info.pMappedData == NULL)
                fail("persistent mapping lost", w->seed);
            if (!pattern_intact(w->allocator, it, w->seed))
                fail("pattern changed while the allocation was live", w->seed);
        } else {
            VmaTotalStatistics st;
            vmaCalculateStatistics(w->allocator, &st);
            VmaBudget b[VK_MAX_MEMORY_HEAPS];
            vmaGetHeapBudgets(w->allocator, b);
            VmaStatistics ps;
            vmaGetPoolStatistics(w->allocator, w->pool, &ps);
            if (st.total.statistics.allocationBytes > st.total.statistics.blockBytes ||
                ps.allocationBytes > ps.blockBytes)
                fail("statistics: more allocated than reserved", w->seed);
        }
    }
    for (unsigned k = 0; k < WINDOW; k++)
        drop(w, &win[k]);
    return NULL;
}

int
main(int argc, char **argv)
{
    unsigned threads = 4, iterations = 20000, seed = 1;
    if (argc > 1 && strcmp(argv[1], "--smoke") == 0) {
        threads = 4;
        iterations = 3000;
    } else {
        if (argc > 1)
            threads = (unsigned)atoi(argv[1]);
        if (argc > 2)
            iterations = (unsigned)atoi(argv[2]);
        if (argc > 3)
            seed = (unsigned)atoi(argv[3]);
    }
    if (threads == 0 || threads > MAX_THREADS)
        threads = 4;

    vkm_test_vk_options opt = vkm_test_vk_default_options();
    opt.validation = false;
    vkm_test_vk ctx;
    VkResult res = vkm_test_vk_create(&ctx, &opt);
    if (res == VK_ERROR_INCOMPATIBLE_DRIVER)
        return 77;
    if (res != VK_SUCCESS)
        return 1;
    VmaVulkanFunctions fns;
    vkm_test_vk_fill_functions(&ctx, &fns);
    VmaDeviceMemoryCallbacks dmcb = {on_alloc, on_free, NULL};
    VmaAllocatorCreateInfo aci = {
        .pVulkanFunctions = &fns,
        .preferredLargeHeapBlockSize = 1024 * 1024, /* small blocks: TSan frees are slow */
        .pDeviceMemoryCallbacks = &dmcb,
    };
    vkm_test_vk_fill_allocator_info(&ctx, &aci);
    VmaAllocator allocator;
    if (vmaCreateAllocator(&aci, &allocator) != VK_SUCCESS)
        return 1;

    uint32_t host_bits = 0;
    const VkPhysicalDeviceMemoryProperties *mp;
    vmaGetMemoryProperties(allocator, &mp);
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++)
        if (mp->memoryTypes[t].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
            host_bits |= 1u << t;
    uint32_t pool_type = 0;
    while (!(host_bits & (1u << pool_type)))
        pool_type++;
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = pool_type,
        .blockSize = 512 * 1024,
        .maxBlockCount = 4,
    };
    VmaPool pool;
    if (vmaCreatePool(allocator, &pci, &pool) != VK_SUCCESS)
        return 1;

    printf("stress_shared_path: %u threads x %u iterations, seed %u\n", threads, iterations, seed);
    pthread_t tid[MAX_THREADS];
    worker w[MAX_THREADS];
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (worker){allocator, pool, seed * 2654435761u + i + 1, iterations, host_bits};
        pthread_create(&tid[i], NULL, run, &w[i]);
    }
    for (unsigned i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);

    VmaTotalStatistics st;
    vmaCalculateStatistics(allocator, &st);
    if (st.total.statistics.allocationCount != 0)
        fail("allocations left after every thread freed its own", seed);
    vmaDestroyPool(allocator, pool);
    vmaDestroyAllocator(allocator);
    if (atomic_load(&dm_live) != 0)
        fail("device-memory callbacks do not balance", seed);
    vkm_test_vk_destroy(&ctx);
    unsigned f = atomic_load(&failures);
    printf("%u passed, %u failed\n", f == 0 ? 1u : 0u, f == 0 ? 0u : 1u);
    return f == 0 ? 0 : 1;
}
