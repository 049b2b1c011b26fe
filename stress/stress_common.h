/* SPDX-License-Identifier: MIT */
/*
 * stress_common.h - the harness and the validator every stress suite shares.
 *
 * A suite is one program, stress/stress_<scenario>.c:
 *
 *   stress_<scenario> [--smoke] [threads] [iterations] [seed]
 *
 * `--smoke` picks the small size ctest runs (under TSan in CI); positional arguments
 * override it. The seed defaults to 1, or to VKM_STRESS_SEED from the environment; it is
 * printed at start and with every failure. What `iterations` counts is up to each suite
 * (its header comment says). Exit status: 0 ok, 1 failure, 77 no Vulkan driver.
 *
 * The validator (checked on every allocation the helpers make and free):
 *   - registry of live ranges, sharded by VkDeviceMemory: no two live allocations of one
 *     memory object overlap, every range lies inside its memory object, a buffer or linear
 *     image never shares a bufferImageGranularity page with an optimal image, and no
 *     memory object is freed (vkFreeMemory, seen through VmaDeviceMemoryCallbacks) while a
 *     live allocation still lies in it;
 *   - alignment: every offset meets the requirement that was asked for and the one the
 *     driver reports for the buffer or image;
 *   - a byte pattern derived from the allocation's id, written through a mapping when the
 *     allocation is made, still reads back when it is freed (an overlapping allocation
 *     would have overwritten it with its own id's pattern);
 *   - device-memory callbacks balance when the allocator is destroyed (every
 *     vkAllocateMemory matched by a vkFreeMemory, in count and in bytes);
 *   - statistics, budgets and thread-cache statistics read at any time are self-consistent
 *     and bounded by what the test has really done (nothing wrapped around).
 *
 * Threads: everything here may be called from any thread at once. The registry takes one
 * mutex per shard and calls nothing of the allocator under it; the allocator is what is
 * under test, not the registry. A stress_alloc belongs to one thread at a time: handing it
 * to another thread (a queue, a join, a barrier) must be a synchronisation.
 */
#ifndef VKM_STRESS_COMMON_H
#define VKM_STRESS_COMMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vk_ctx.h"
#include "vk_sim.h"
#include "vk_mem_alloc.h"
#include "vkmalloc.h"

#define STRESS_KIB ((VkDeviceSize)1024)
#define STRESS_MIB ((VkDeviceSize)1024 * 1024)
/* preferredLargeHeapBlockSize of every stress allocator: TSan clears shadow memory on
 * free, so big blocks make it slow (design.md §8). */
#define STRESS_BLOCK_SIZE STRESS_MIB
#define STRESS_MAX_THREADS 64

enum {
    STRESS_EXIT_OK = 0,
    STRESS_EXIT_FAIL = 1,
    STRESS_EXIT_SKIP = 77
};

/* ---- arguments, failures, exit ------------------------------------------------------- */

typedef struct stress_args {
    unsigned threads;
    unsigned iterations;
    uint64_t seed;
    bool smoke;
} stress_args;

/* Parses `[--smoke] [threads] [iterations] [seed]` into *out, starting from `full` (or
 * `smoke` with --smoke), and prints "<name>: T threads x I iterations, seed S". threads is
 * clamped to 1..STRESS_MAX_THREADS. Returns 0, or STRESS_EXIT_FAIL after printing the
 * usage (the caller returns it). */
int stress_init(int argc, char **argv, const char *name, stress_args full, stress_args smoke,
                stress_args *out);

/* Records a failure (any thread): prints "<name>: FAIL: <message> (seed S)". The first
 * STRESS_MAX_PRINTED failures are printed, all are counted. */
void stress_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define STRESS_MAX_PRINTED 50
unsigned stress_failures(void);

#define STRESS_CHECK(cond, ...)                                     \
    do {                                                            \
        if (!(cond))                                                \
            stress_fail_at(__FILE__, __LINE__, #cond, __VA_ARGS__); \
    } while (0)
void stress_fail_at(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Final checks common to every suite (the registry is empty), the closing lines, and the
 * exit status: STRESS_EXIT_OK or STRESS_EXIT_FAIL. */
int stress_finish(void);

/* ---- random numbers (splitmix64: one stream per thread, reproducible from the seed) -- */

typedef struct stress_rng {
    uint64_t s;
} stress_rng;

stress_rng stress_rng_make(uint64_t seed, uint64_t stream);
uint64_t stress_rand(stress_rng *r);
/* uniform in [0, n), n > 0 */
uint32_t stress_below(stress_rng *r, uint32_t n);
/* true with probability percent / 100 */
bool stress_chance(stress_rng *r, unsigned percent);

/* ---- threads ------------------------------------------------------------------------- */

/* pthread_create, or a failure and exit(1): a suite cannot go on without its threads. */
void stress_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
void stress_thread_join(pthread_t t);

/* ---- Vulkan context -------------------------------------------------------------------- */

typedef struct stress_env {
    vkm_test_vk ctx;
    vkm_sim *sim;                               /* NULL: the real layout, no wrapper */
    VmaVulkanFunctions fns;                     /* the driver's, or the sim's wrappers */
    VkPhysicalDeviceMemoryProperties mem_props; /* as the allocator sees them */
    uint32_t host_visible_bits;                 /* memory types with HOST_VISIBLE */
    uint32_t noncoherent_bits; /* HOST_VISIBLE without HOST_COHERENT (simulated layouts) */
    uint32_t buffer_type_bits; /* memoryTypeBits of a real transfer/uniform/storage buffer */
    uint32_t host_pool_type;   /* host-visible type for custom pools */
    VkDeviceSize granularity;  /* bufferImageGranularity */
    /* whether images of that tiling can live in host-visible memory (not so for optimal
     * images on some layouts): stress_random_request asks for buffers instead */
    bool linear_image_mappable, optimal_image_mappable;
} stress_env;

/* Creates the context (Lavapipe unless the environment names a driver, no validation
 * layer), behind the simulated GPU layout VKM_STRESS_LAYOUT names (tests/gpus/<name>.json)
 * when that is set. Returns 0, STRESS_EXIT_SKIP when there is no driver, or
 * STRESS_EXIT_FAIL. */
int stress_env_open(stress_env *env);
/* The same with an explicit layout (NULL: real), ignoring VKM_STRESS_LAYOUT. A suite may
 * hold several environments at once (each its own VkDevice). */
int stress_env_open_layout(stress_env *env, const char *layout);
/* Checks the sim saw no misuse (unflushed ranges, double maps, ...) and destroys all. */
void stress_env_close(stress_env *env);

/* ---- allocator with counted device memory ---------------------------------------------- */

typedef struct stress_allocator {
    VmaAllocator handle;
    const stress_env *env;
    /* device-memory callbacks (any thread) */
    atomic_uint_fast64_t xdm_allocs, xdm_frees;
    atomic_uint_fast64_t xdm_bytes_allocated, xdm_bytes_freed;
    /* allocations and frees made through stress_alloc_create / _destroy (any thread) */
    atomic_uint_fast64_t xallocs, xfrees;
} stress_allocator;

/* vmaCreateAllocator with preferredLargeHeapBlockSize = block_size (0: STRESS_BLOCK_SIZE),
 * device-memory callbacks that feed the registry and the counters above, and `flags`. *a
 * must stay at its address until stress_allocator_destroy. Returns the VkResult. */
VkResult stress_allocator_create(const stress_env *env, VkDeviceSize block_size,
                                 VmaAllocatorCreateFlags flags, stress_allocator *a);
/* Checks that no allocation is left (vmaCalculateStatistics), destroys the allocator and
 * checks that every vkAllocateMemory was matched by a vkFreeMemory. */
void stress_allocator_destroy(stress_allocator *a);

/* A custom pool of env->host_pool_type with fixed-size blocks. */
VkResult stress_pool_create(stress_allocator *a, VkDeviceSize block_size, size_t max_blocks,
                            VmaPool *pool);

/* ---- tracked allocations ----------------------------------------------------------------- */

typedef enum stress_kind {
    STRESS_MEMORY,       /* vmaAllocateMemory with VkMemoryRequirements */
    STRESS_BUFFER,       /* vmaCreateBuffer / vmaCreateBufferWithAlignment */
    STRESS_IMAGE_LINEAR, /* vmaCreateImage, VK_IMAGE_TILING_LINEAR */
    STRESS_IMAGE_OPTIMAL /* vmaCreateImage, VK_IMAGE_TILING_OPTIMAL */
} stress_kind;

typedef struct stress_request {
    stress_kind kind;
    VkDeviceSize size; /* bytes; images get about this many */
    /* memory: the alignment requirement; buffer: extra minimum alignment through
     * vmaCreateBufferWithAlignment (0: plain vmaCreateBuffer); images: unused */
    VkDeviceSize alignment;
    uint32_t memory_type_bits; /* memory: the requirement's bits (UINT32_MAX: all) */
    VmaPool pool;              /* VK_NULL_HANDLE: default pools */
    /* extra VmaAllocationCreateFlags: MAPPED, DEDICATED, STRATEGY_*, ...; the host-access
     * flags are chosen by the helper */
    VmaAllocationCreateFlags flags;
    bool random_access; /* HOST_ACCESS_RANDOM instead of SEQUENTIAL_WRITE */
    bool cpu_to_gpu;    /* memory kind: VMA_MEMORY_USAGE_CPU_TO_GPU instead of
                                  requiredFlags HOST_VISIBLE with usage UNKNOWN */
    /* a name given at creation (USER_DATA_COPY_STRING_BIT), or NULL: set then, it is no
     * race against another thread's JSON dump, as a later vmaSetAllocationName would be */
    const char *name;
} stress_request;

typedef struct stress_alloc {
    VmaAllocation alloc; /* VK_NULL_HANDLE: an empty slot */
    VkBuffer buffer;
    VkImage image;
    stress_kind kind;
    VkDeviceMemory memory; /* VmaAllocationInfo at creation */
    VkDeviceSize offset, size;
    uint32_t memory_type;
    uint64_t id;  /* process-unique, never 0; seeds the pattern */
    void *mapped; /* pMappedData of a MAPPED_BIT allocation, else NULL */
} stress_alloc;

/* Makes the allocation, checks its alignment and memory type, records it in the registry
 * and writes its pattern through a mapping. On failure *out is an empty slot and the
 * VkResult is returned (the helper records no failure: the caller knows which results
 * are acceptable). */
VkResult stress_alloc_create(stress_allocator *a, const stress_request *rq, stress_alloc *out);
/* Verifies the pattern, removes the range from the registry, frees (vmaDestroyBuffer,
 * vmaDestroyImage or vmaFreeMemory) and empties the slot. Empty slots are ignored. */
void stress_alloc_destroy(stress_allocator *a, stress_alloc *x);
/* Maps (or uses the persistent mapping), verifies the pattern, unmaps. `when` names the
 * moment in the failure message. Returns true when intact (and for an empty slot). */
bool stress_alloc_verify(stress_allocator *a, const stress_alloc *x, const char *when);
/* vmaGetAllocationInfo agrees with what was recorded at creation (empty slots: no-op). */
void stress_alloc_check_info(stress_allocator *a, const stress_alloc *x);

/* Pattern through a pointer to the allocation's first byte (already mapped). */
void stress_pattern_write(void *p, uint64_t id, VkDeviceSize size);
/* Returns the offset of the first wrong byte, or VK_WHOLE_SIZE when intact. */
VkDeviceSize stress_pattern_check(const void *p, uint64_t id, VkDeviceSize size);

/* Sizes typical of a game: mostly 256 B-64 KiB, some up to 256 KiB, a few up to 2 MiB. */
VkDeviceSize stress_random_size(stress_rng *r);
/* Powers of two from 16 B to 64 KiB, mostly small. */
VkDeviceSize stress_random_alignment(stress_rng *r);
/* A random mix of raw memory, buffers and images of those sizes, host-visible, half of
 * them persistently mapped, in `pool` or the default pools. */
stress_request stress_random_request(stress_rng *r, const stress_env *env, VmaPool pool);

/* ---- registry ---------------------------------------------------------------------------- */

/* Live ranges now (0 at the end of a suite: stress_finish checks it). */
uint64_t stress_registry_live(void);

/* ---- statistics validators ----------------------------------------------------------- */

/* vmaCalculateStatistics: total equals the sum over heaps and over types, allocation
 * bytes within block bytes, min/max conventions, counts and bytes bounded by what the
 * device-memory callbacks and the helpers have seen. Returns the statistics read. */
VmaTotalStatistics stress_check_statistics(stress_allocator *a);
/* vmaGetHeapBudgets: bounded counts, budget within the heap size. */
void stress_check_budgets(stress_allocator *a);
/* vmaGetPoolStatistics and vmaCalculatePoolStatistics of a pool of fixed-size blocks
 * (blockSize != 0); max_blocks 0 = unlimited, as in VmaPoolCreateInfo. */
void stress_check_pool_statistics(stress_allocator *a, VmaPool pool, VkDeviceSize block_size,
                                  size_t max_blocks);

/* Thread-cache statistics. `prev` (may be NULL) is an earlier read of the same kind by the
 * same thread: the counters never go backwards. `all` selects the all-threads read, whose
 * threadCount is at most `max_threads`; a per-thread read has threadCount 0 or 1 and its
 * counters are bounded by this thread's own allocations and frees through the helpers.
 * Returns the statistics read. */
VkmThreadCacheStatistics stress_check_cache_statistics(stress_allocator *a, bool all,
                                                       uint32_t max_threads,
                                                       const VkmThreadCacheStatistics *prev);
/* This thread's allocations / frees through the helpers, over every allocator. */
uint64_t stress_thread_allocs(void);
uint64_t stress_thread_frees(void);

#endif /* VKM_STRESS_COMMON_H */
