/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c - VMA's thread-safety promises on the shared (non-cached) path, and the
 * stronger ones vkmalloc makes (include/vk_mem_alloc.h, design.md §1). Not the stress
 * suite: a few threads, short runs, each case checking one promise:
 *   - several threads creating and destroying buffers in one custom pool;
 *   - several threads mapping and unmapping different allocations of the SAME block at
 *     once (VMA #525, #267): what each writes through its mapping survives, on coherent
 *     memory and on non-coherent memory (where a block unmapped under a writer loses the
 *     writes, the sim's shadow mapping being dropped);
 *   - several threads doing create + map + write + destroy as fast as they can (VMA #331);
 *   - a thread destroying a pool the moment vmaGetPoolStatistics reads no allocation,
 *     while the threads that freed them have not been joined yet (VMA #451): the
 *     statistics may only say "empty" once every free has finished with the pool.
 * Meant to be run under TSan too (-DVKMALLOC_SANITIZER=thread); sizes shrink there.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vk_ctx.h"
#include "vk_mem_alloc.h"
#include "vk_sim.h"
#include "vkmalloc.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#define KIB ((VkDeviceSize)1024)
#define MIB ((VkDeviceSize)1024 * 1024)
#define THREADS 4
/* iterations per thread: scaled down under sanitizers */
#define ITERS(n) (UNDER_SANITIZER ? (n) / 8 : (n))

/* ---- fixture ---------------------------------------------------------------------------- */

typedef struct fx {
    bool live;
    vkm_test_vk ctx;
    vkm_sim *sim;
    VmaAllocator a;
    uint32_t validation_before;
} fx;

static fx g_fx;

static void
fx_release(fx *f)
{
    if (f->a != VK_NULL_HANDLE)
        vmaDestroyAllocator(f->a);
    f->a = VK_NULL_HANDLE;
    vkm_sim_destroy(f->sim);
    f->sim = NULL;
    vkm_test_vk_destroy(&f->ctx);
    f->live = false;
}

static fx *
fx_open(const char *layout)
{
    fx *f = &g_fx;
    if (f->live)
        fx_release(f);
    memset(f, 0, sizeof(*f));
    f->validation_before = vkm_test_validation_error_count();
    VkResult r = vkm_test_vk_create(&f->ctx, NULL);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    f->live = true;
    ASSERT_VK_OK(vkm_sim_create(&f->ctx, layout, &f->sim));
    VmaAllocatorCreateInfo ci;
    memset(&ci, 0, sizeof(ci));
    vkm_sim_fill_allocator_info(f->sim, &ci);
    /* small blocks: more block creation and release, cheap under TSan (design.md §8) */
    ci.preferredLargeHeapBlockSize = 1 * MIB;
    ASSERT_VK_OK(vmaCreateAllocator(&ci, &f->a));
    return f;
}

static void
fx_close(fx *f)
{
    if (!f->live)
        return;
    VmaTotalStatistics t;
    vmaCalculateStatistics(f->a, &t);
    EXPECT_EQ(t.total.statistics.allocationCount, 0);
    vmaDestroyAllocator(f->a);
    f->a = VK_NULL_HANDLE;
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0);
    fx_release(f);
    EXPECT_EQ(vkm_test_validation_error_count(), f->validation_before);
}

/* ---- per-thread helpers ------------------------------------------------------------------ */

/* xorshift32; each thread owns one */
static uint32_t
rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void
fill(void *p, size_t n, uint32_t seed)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 9));
}

static bool
check(const void *p, size_t n, uint32_t seed)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (uint8_t)(seed * 131u + i * 7u + (i >> 9)))
            return false;
    return true;
}

/* Failures found in threads; reported by the main thread (the harness is not thread-safe). */
typedef struct errors {
    atomic_uint count;
    atomic_int first_line;
    atomic_int first_code;
} errors;

static void
thread_error(errors *e, int line, int code)
{
    if (atomic_fetch_add(&e->count, 1) == 0) {
        atomic_store(&e->first_line, line);
        atomic_store(&e->first_code, code);
    }
}

#define T_CHECK(e, cond, code)                        \
    do {                                              \
        if (!(cond))                                  \
            thread_error((e), __LINE__, (int)(code)); \
    } while (0)

#define EXPECT_NO_THREAD_ERRORS(e)                                                       \
    do {                                                                                 \
        unsigned n_ = atomic_load(&(e)->count);                                          \
        if (n_ != 0)                                                                     \
            vkm_test_fail(__FILE__, __LINE__,                                            \
                          "%u failure(s) in threads; first at line %d (code %d)", n_,    \
                          atomic_load(&(e)->first_line), atomic_load(&(e)->first_code)); \
    } while (0)

static VkBufferCreateInfo
buffer_info(VkDeviceSize size, VkBufferUsageFlags usage)
{
    return (VkBufferCreateInfo){
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
}

static void
spawn(pthread_t *t, int n, void *(*fn)(void *), void *args, size_t arg_size)
{
    for (int i = 0; i < n; i++)
        ASSERT_EQ(pthread_create(&t[i], NULL, fn, (char *)args + (size_t)i * arg_size), 0);
}

static void
join(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* ---- 1. create/destroy in one pool ----------------------------------------------------------- */

typedef struct pool_churn_arg {
    VmaAllocator a;
    VmaPool pool;
    uint32_t seed;
    int iters;
    errors *err;
} pool_churn_arg;

#define WINDOW 8

static void *
pool_churn_thread(void *p)
{
    pool_churn_arg *arg = p;
    uint32_t s = arg->seed;
    VkBuffer buf[WINDOW] = {0};
    VmaAllocation al[WINDOW] = {0};
    VmaAllocationInfo info[WINDOW];
    uint32_t tag[WINDOW] = {0};
    for (int it = 0; it < arg->iters; it++) {
        const int k = (int)(rnd(&s) % WINDOW);
        if (al[k] != VK_NULL_HANDLE) {
            /* what this thread wrote is still there: no other allocation overlapped it */
            T_CHECK(arg->err, check(info[k].pMappedData, (size_t)info[k].size, tag[k]), k);
            vmaDestroyBuffer(arg->a, buf[k], al[k]);
            al[k] = VK_NULL_HANDLE;
        }
        const VkDeviceSize size = 256 + (rnd(&s) % (16 * 1024));
        VkBufferCreateInfo bci = buffer_info(size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
        VmaAllocationCreateInfo ci = {
            .usage = VMA_MEMORY_USAGE_AUTO,
            .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                     VMA_ALLOCATION_CREATE_MAPPED_BIT,
            .pool = arg->pool,
        };
        VkResult r = vmaCreateBuffer(arg->a, &bci, &ci, &buf[k], &al[k], &info[k]);
        T_CHECK(arg->err, r == VK_SUCCESS, r);
        if (r != VK_SUCCESS) {
            al[k] = VK_NULL_HANDLE;
            continue;
        }
        T_CHECK(arg->err, info[k].pMappedData != NULL, 0);
        tag[k] = rnd(&s);
        fill(info[k].pMappedData, (size_t)info[k].size, tag[k]);
    }
    for (int k = 0; k < WINDOW; k++) {
        if (al[k] == VK_NULL_HANDLE)
            continue;
        T_CHECK(arg->err, check(info[k].pMappedData, (size_t)info[k].size, tag[k]), k);
        vmaDestroyBuffer(arg->a, buf[k], al[k]);
    }
    return NULL;
}

TEST(threads_create_and_destroy_buffers_in_one_pool)
{
    fx *f = fx_open("nvidia-h200");
    VkBufferCreateInfo bci = buffer_info(64 * KIB, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                  .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT};
    uint32_t type;
    ASSERT_VK_OK(vmaFindMemoryTypeIndexForBufferInfo(f->a, &bci, &ci, &type));
    /* 256 KiB blocks: the window of 4 threads needs several, so blocks come and go */
    VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = 256 * KIB};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(f->a, &pci, &pool));
    errors err = {0};
    pool_churn_arg args[THREADS];
    for (int i = 0; i < THREADS; i++)
        args[i] = (pool_churn_arg){f->a, pool, 0x9e3779b9u * (uint32_t)(i + 1), ITERS(2000), &err};
    pthread_t t[THREADS];
    spawn(t, THREADS, pool_churn_thread, args, sizeof(args[0]));
    join(t, THREADS);
    EXPECT_NO_THREAD_ERRORS(&err);
    VmaStatistics ps;
    vmaGetPoolStatistics(f->a, pool, &ps);
    EXPECT_EQ(ps.allocationCount, 0);
    EXPECT_EQ_U64(ps.allocationBytes, 0);
    EXPECT_LE(ps.blockCount, 1); /* at most the one empty block VMA keeps */
    vmaDestroyPool(f->a, pool);
    fx_close(f);
}

/* ---- 2. map/unmap different allocations of the same block ----------------------------------- */

#define PER_THREAD 4

typedef struct map_arg {
    VmaAllocator a;
    VmaAllocation al[PER_THREAD];
    VkDeviceSize size;
    uint32_t last[PER_THREAD]; /* tag last written and flushed, per allocation */
    uint32_t seed;
    int iters;
    bool noncoherent;
    errors *err;
} map_arg;

static void *
map_thread(void *p)
{
    map_arg *arg = p;
    uint32_t s = arg->seed;
    for (int it = 0; it < arg->iters; it++) {
        const int k = (int)(rnd(&s) % PER_THREAD);
        void *ptr = NULL;
        VkResult r = vmaMapMemory(arg->a, arg->al[k], &ptr);
        T_CHECK(arg->err, r == VK_SUCCESS && ptr != NULL, r);
        if (r != VK_SUCCESS)
            continue;
        if (arg->noncoherent) {
            r = vmaInvalidateAllocation(arg->a, arg->al[k], 0, VK_WHOLE_SIZE);
            T_CHECK(arg->err, r == VK_SUCCESS, r);
        }
        /* the previous round's data, written through another mapping, is there */
        T_CHECK(arg->err, check(ptr, (size_t)arg->size, arg->last[k]), it);
        const uint32_t tag = rnd(&s);
        fill(ptr, (size_t)arg->size, tag);
        if ((rnd(&s) & 3) == 0)
            sched_yield(); /* let another thread unmap meanwhile */
        if (arg->noncoherent) {
            r = vmaFlushAllocation(arg->a, arg->al[k], 0, VK_WHOLE_SIZE);
            T_CHECK(arg->err, r == VK_SUCCESS, r);
        }
        vmaUnmapMemory(arg->a, arg->al[k]);
        arg->last[k] = tag;
    }
    return NULL;
}

static void
map_same_block(const char *layout, uint32_t type, bool noncoherent)
{
    fx *f = fx_open(layout);
    const VkPhysicalDeviceMemoryProperties *props;
    vmaGetMemoryProperties(f->a, &props);
    ASSERT_EQ((props->memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) == 0,
              noncoherent);
    /* one block holds them all */
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = type, .blockSize = 256 * KIB, .minBlockCount = 1, .maxBlockCount = 1};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(f->a, &pci, &pool));
    static map_arg args[THREADS];
    errors err = {0};
    VkDeviceMemory block = VK_NULL_HANDLE;
    const VkDeviceSize size = 3000; /* not an atom multiple */
    for (int i = 0; i < THREADS; i++) {
        memset(&args[i], 0, sizeof(args[i]));
        args[i] = (map_arg){.a = f->a,
                            .size = size,
                            .seed = 0x51ed27u * (uint32_t)(i + 3),
                            .iters = ITERS(3000),
                            .noncoherent = noncoherent,
                            .err = &err};
        for (int k = 0; k < PER_THREAD; k++) {
            VkMemoryRequirements req = {
                .size = size, .alignment = 16, .memoryTypeBits = UINT32_MAX};
            VmaAllocationCreateInfo ci = {.pool = pool};
            VmaAllocationInfo info;
            ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &args[i].al[k], &info));
            if (block == VK_NULL_HANDLE)
                block = info.deviceMemory;
            ASSERT_TRUE(info.deviceMemory == block);
            /* initial contents: tag 0, made visible to the device */
            void *ptr;
            ASSERT_VK_OK(vmaMapMemory(f->a, args[i].al[k], &ptr));
            fill(ptr, (size_t)size, 0);
            ASSERT_VK_OK(vmaFlushAllocation(f->a, args[i].al[k], 0, VK_WHOLE_SIZE));
            vmaUnmapMemory(f->a, args[i].al[k]);
        }
    }
    pthread_t t[THREADS];
    spawn(t, THREADS, map_thread, args, sizeof(args[0]));
    join(t, THREADS);
    EXPECT_NO_THREAD_ERRORS(&err);
    /* the device bytes hold every allocation's last tag */
    static uint8_t dev[3000];
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < PER_THREAD; k++) {
            VmaAllocationInfo info;
            vmaGetAllocationInfo(f->a, args[i].al[k], &info);
            ASSERT_VK_OK(vkm_sim_peek(f->sim, info.deviceMemory, info.offset, dev, (size_t)size));
            if (!check(dev, (size_t)size, args[i].last[k]))
                vkm_test_fail(__FILE__, __LINE__, "thread %d allocation %d: last write lost", i, k);
            vmaFreeMemory(f->a, args[i].al[k]);
        }
    EXPECT_EQ(vkm_sim_flush_violation_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), 0); /* never mapped twice, never unmapped unmapped */
    vmaDestroyPool(f->a, pool);
    fx_close(f);
}

TEST(threads_map_unmap_allocations_of_one_block_coherent)
{
    map_same_block("lavapipe", 0, false);
}

TEST(threads_map_unmap_allocations_of_one_block_noncoherent)
{
    /* intel-igpu-nonllc type 1: HOST_CACHED without HOST_COHERENT */
    map_same_block("intel-igpu-nonllc", 1, true);
}

/* ---- 3. create + map + write + destroy, fast (VMA #331) ---------------------------------- */

typedef struct rapid_arg {
    VmaAllocator a;
    uint32_t seed;
    int iters;
    errors *err;
} rapid_arg;

static void *
rapid_thread(void *p)
{
    rapid_arg *arg = p;
    uint32_t s = arg->seed;
    for (int it = 0; it < arg->iters; it++) {
        const VkDeviceSize size = 64 + rnd(&s) % (24 * 1024);
        VkBufferCreateInfo bci = buffer_info(size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                                       VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
        VmaAllocationCreateInfo ci = {
            .usage = VMA_MEMORY_USAGE_AUTO,
            .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT |
                     ((it & 1) ? VMA_ALLOCATION_CREATE_MAPPED_BIT : 0),
        };
        VkBuffer b;
        VmaAllocation x;
        VmaAllocationInfo info;
        VkResult r = vmaCreateBuffer(arg->a, &bci, &ci, &b, &x, &info);
        T_CHECK(arg->err, r == VK_SUCCESS, r);
        if (r != VK_SUCCESS)
            continue;
        void *ptr = NULL;
        r = vmaMapMemory(arg->a, x, &ptr);
        T_CHECK(arg->err, r == VK_SUCCESS && ptr != NULL, r);
        if (r == VK_SUCCESS) {
            if (info.pMappedData != NULL)
                T_CHECK(arg->err, ptr == info.pMappedData, 0);
            const uint32_t tag = rnd(&s);
            fill(ptr, (size_t)size, tag);
            r = vmaFlushAllocation(arg->a, x, 0, VK_WHOLE_SIZE);
            T_CHECK(arg->err, r == VK_SUCCESS, r);
            T_CHECK(arg->err, check(ptr, (size_t)size, tag), it);
            vmaUnmapMemory(arg->a, x);
        }
        vmaDestroyBuffer(arg->a, b, x);
    }
    return NULL;
}

static void
rapid(const char *layout)
{
    fx *f = fx_open(layout);
    errors err = {0};
    rapid_arg args[THREADS];
    for (int i = 0; i < THREADS; i++)
        args[i] = (rapid_arg){f->a, 0x2545f491u * (uint32_t)(i + 7), ITERS(800), &err};
    pthread_t t[THREADS];
    spawn(t, THREADS, rapid_thread, args, sizeof(args[0]));
    join(t, THREADS);
    EXPECT_NO_THREAD_ERRORS(&err);
    fx_close(f);
}

TEST(threads_create_map_write_destroy_rapidly)
{
    rapid("lavapipe");
    rapid("intel-igpu-nonllc"); /* staging lands in the coherent type, readback would not */
    rapid("nvidia-h200");
}

/* ---- 4. destroy a pool as soon as it reads empty (VMA #451) ------------------------------ */

#define POOL_ALLOCS 48
#define FREERS 2

typedef struct freer_arg {
    VmaAllocator a;
    VmaAllocation *al;
    int count;
    atomic_int *go;
} freer_arg;

static void *
freer_thread(void *p)
{
    freer_arg *arg = p;
    while (atomic_load_explicit(arg->go, memory_order_acquire) == 0)
        sched_yield();
    for (int i = 0; i < arg->count; i++)
        vmaFreeMemory(arg->a, arg->al[i]);
    return NULL;
}

static void
destroy_when_empty(bool detailed, bool dedicated)
{
    fx *f = fx_open("lavapipe");
    const int rounds = UNDER_SANITIZER ? 40 : 300;
    static VmaAllocation al[POOL_ALLOCS];
    for (int round = 0; round < rounds && !vkm_test_case_failed(); round++) {
        /* explicit 64 KiB blocks (several, released as they empty), or library-sized
         * blocks with dedicated allocations mixed in */
        VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = dedicated ? 0 : 64 * KIB};
        VmaPool pool;
        ASSERT_VK_OK(vmaCreatePool(f->a, &pci, &pool));
        for (int i = 0; i < POOL_ALLOCS; i++) {
            VkMemoryRequirements req = {.size = 4 * KIB + (VkDeviceSize)(i % 5) * 512,
                                        .alignment = 64,
                                        .memoryTypeBits = UINT32_MAX};
            VmaAllocationCreateInfo ci = {.pool = pool};
            if (dedicated && (i % 3) == 0)
                ci.flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
            ASSERT_VK_OK(vmaAllocateMemory(f->a, &req, &ci, &al[i], NULL));
        }
        atomic_int go = 0;
        freer_arg args[FREERS];
        for (int i = 0; i < FREERS; i++)
            args[i] = (freer_arg){f->a, al + i * (POOL_ALLOCS / FREERS), POOL_ALLOCS / FREERS, &go};
        pthread_t t[FREERS];
        spawn(t, FREERS, freer_thread, args, sizeof(args[0]));
        atomic_store_explicit(&go, 1, memory_order_release);
        /* poll; destroy the moment the pool reads empty, before joining the freers */
        for (;;) {
            uint32_t n;
            if (detailed) {
                VmaDetailedStatistics d;
                vmaCalculatePoolStatistics(f->a, pool, &d);
                n = d.statistics.allocationCount;
            } else {
                VmaStatistics st;
                vmaGetPoolStatistics(f->a, pool, &st);
                n = st.allocationCount;
            }
            if (n == 0)
                break;
        }
        vmaDestroyPool(f->a, pool);
        join(t, FREERS);
    }
    VmaTotalStatistics t;
    vmaCalculateStatistics(f->a, &t);
    EXPECT_EQ(t.total.statistics.allocationCount, 0);
    fx_close(f);
}

TEST(threads_pool_destroyed_when_get_pool_statistics_reads_empty)
{
    destroy_when_empty(false, false);
}

TEST(threads_pool_destroyed_when_calculate_pool_statistics_reads_empty)
{
    destroy_when_empty(true, false);
}

TEST(threads_pool_with_dedicated_allocations_destroyed_when_it_reads_empty)
{
    destroy_when_empty(false, true);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
