/* SPDX-License-Identifier: MIT */
/*
 * vkmalloc.h - vkmalloc's own extensions to the VMA 3.3 API.
 *
 * Everything here is prefixed vkm / Vkm / VKM_ and is additive: a program that uses only
 * vk_mem_alloc.h never needs this header. All functions are thread-safe.
 */
#ifndef VKMALLOC_H
#define VKMALLOC_H

#include "vk_mem_alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef VKM_API
#define VKM_API
#endif

#define VKMALLOC_VERSION_MAJOR 0
#define VKMALLOC_VERSION_MINOR 1
#define VKMALLOC_VERSION_PATCH 0
/* Packed as major << 22 | minor << 12 | patch, like VK_MAKE_API_VERSION without variant. */
#define VKMALLOC_MAKE_VERSION(major, minor, patch) \
    ((((uint32_t)(major)) << 22U) | (((uint32_t)(minor)) << 12U) | ((uint32_t)(patch)))
#define VKMALLOC_VERSION \
    VKMALLOC_MAKE_VERSION(VKMALLOC_VERSION_MAJOR, VKMALLOC_VERSION_MINOR, VKMALLOC_VERSION_PATCH)

/* Version of the library actually linked (compare with VKMALLOC_VERSION, the header's). */
VKM_API uint32_t vkmGetVersion(void);

/* VMA version whose API this build implements, in VK_MAKE_VERSION packing (3.3.0). */
VKM_API uint32_t vkmGetVmaApiVersion(void);

/* Non-zero when the library was built with -DVKMALLOC_SINGLE_MUTEX=ON: one global lock
 * around every entry point and no thread caches (the contention baseline). */
VKM_API int vkmIsSingleMutexBuild(void);

/*
 * Contract violations (a null allocator passed to vmaCreateBuffer, an allocation of
 * another allocator, ...) abort with a message naming the argument in debug builds.
 * An application or test may install a handler instead: it receives the message, the
 * failed expression, and the source location, and the function then returns its
 * documented error code. Pass NULL to restore the default (print and abort).
 * Release builds never call the handler: they only return the error.
 */
typedef void (*PFN_vkmAssertHandler)(const char *message, const char *expression,
                                     const char *file, int line, void *user_data);
VKM_API void vkmSetAssertHandler(PFN_vkmAssertHandler handler, void *user_data);

/*
 * Thread caches (design.md §4). In the default build every thread that allocates from an
 * allocator gets a cache of "runs": ranges of shared VkDeviceMemory blocks cut into equal
 * slots, from which small block allocations (up to 256 KiB, default pools and
 * default-algorithm custom pools without a maxBlockCount, not STRATEGY_MIN_MEMORY, not
 * EXTERNALLY_SYNCHRONIZED) are served without a lock.
 * A thread keeps at most one empty run per (memory type, size class, resource kind) and at
 * most a byte budget of free cached slots; the rest goes back to the blocks.
 *
 * In the single-mutex build these functions work but report zeros: there are no caches.
 */

/* What one thread's cache holds and did, or (vkmGetAllThreadCacheStatistics) the sum over
 * every thread that has used the allocator, exited threads included for the counters. */
typedef struct VkmThreadCacheStatistics {
    /* Free bytes in the runs the cache owns (device memory reserved, not allocated).
     * Runs hold slots of one size class: requests up to 256 KiB, a request aligned far
     * beyond its size taking a slot of its size rounded up to the alignment. */
    VkDeviceSize cachedBytes;
    /* Bytes of every run the cache owns, free and used together. */
    VkDeviceSize runBytes;
    /* Runs the cache owns. */
    uint32_t runCount;
    /* Threads counted (1 for the calling thread's cache, 0 when it has none). */
    uint32_t threadCount;
    /* Allocations served from a run without taking any lock. */
    uint64_t hits;
    /* Cacheable allocations that had to reserve a new run from a block first. */
    uint64_t misses;
    /* Allocations that went around the cache (too large, dedicated, pools, MIN_MEMORY). */
    uint64_t bypasses;
    /* Frees this thread made of slots owned by another thread's cache. */
    uint64_t remoteFrees;
    /* Times this thread found a lock taken and had to wait for it. */
    uint64_t lockWaits;
} VkmThreadCacheStatistics;

/* Statistics of the calling thread's cache for `allocator`. Never creates a cache: a
 * thread that has not allocated yet gets all zeros. Returns VK_SUCCESS, or
 * VK_ERROR_VALIDATION_FAILED_EXT for a null allocator or pStats. */
VKM_API VkResult vkmGetThreadCacheStatistics(VmaAllocator allocator,
                                              VkmThreadCacheStatistics *pStats);

/* Sum over all threads' caches of `allocator` (cachedBytes, runBytes, runCount over the
 * live threads; the counters over every thread that ever used it). Thread-safe, takes the
 * allocator's cache-registry lock. Same errors as vkmGetThreadCacheStatistics. */
VKM_API VkResult vkmGetAllThreadCacheStatistics(VmaAllocator allocator,
                                                 VkmThreadCacheStatistics *pStats);

/* Returns every free slot and empty run of the calling thread's cache to the blocks, so
 * the device memory it pinned can be reused by other threads or released. Runs that still
 * hold live allocations stay. Safe to call at any time; a null allocator is a no-op. */
VKM_API void vkmFlushThreadCache(VmaAllocator allocator);

/* Byte budget of free cached slots per thread (default VKM_DEFAULT_THREAD_CACHE_BYTES).
 * Beyond it, a thread returns empty runs to their blocks as soon as they empty. 0 turns
 * caching of free memory off (runs are returned as soon as they are empty). Takes effect
 * for every thread at its next allocation; vmaSetCurrentFrameIndex and
 * vkmFlushThreadCache trim to it. Returns VK_ERROR_VALIDATION_FAILED_EXT for a null
 * allocator.
 *
 * The default has room for the runs of a frame's worth of transient allocations: a thread
 * that makes 256 allocations of 1 - 64 KiB per frame and frees them at frame end holds
 * about 4 MiB live but about 10 MiB of runs (one per size class, sized for its peak). A
 * budget under that returns runs at every frame end and makes them again at the next
 * frame start, through the blocks' locks, on every thread at once. */
#define VKM_DEFAULT_THREAD_CACHE_BYTES (16ull * 1024 * 1024)
VKM_API VkResult vkmSetThreadCacheLimit(VmaAllocator allocator, VkDeviceSize maxCachedBytes);
VKM_API VkDeviceSize vkmGetThreadCacheLimit(VmaAllocator allocator);

/*
 * Debugging incorrect memory usage: VMA's VMA_DEBUG_MARGIN, VMA_DEBUG_DETECT_CORRUPTION and
 * VMA_DEBUG_INITIALIZE_ALLOCATIONS, which VMA reads when its implementation is compiled.
 * vkmalloc is compiled once, so the same switches exist twice: as build options of the
 * library (-DVKMALLOC_DEBUG_MARGIN=16 -DVKMALLOC_DEBUG_DETECT_CORRUPTION=ON
 * -DVKMALLOC_DEBUG_INITIALIZE_ALLOCATIONS=ON give the defaults) and at run time through
 * vkmSetDebugOptions, so a shipped library can be switched on without a rebuild.
 *
 *   margin                 bytes kept free after every allocation made from a memory block
 *                          (every memory type, default and custom pools; never around
 *                          dedicated allocations, which have their memory to themselves).
 *   detectCorruption       with a non-zero margin: the margins of allocations in memory
 *                          types that are HOST_VISIBLE and HOST_COHERENT hold
 *                          VKM_CORRUPTION_MAGIC_VALUE (32-bit words), written when the
 *                          allocation is made and verified when it is freed and by
 *                          vmaCheckCorruption / vmaCheckPoolCorruption. Sizes and
 *                          alignments of those allocations are rounded up to 4 (what
 *                          vmaGetAllocationInfo reports too). The margin must then be a
 *                          multiple of 4.
 *   initializeAllocations  new allocations are filled with VKM_FILL_PATTERN_CREATED bytes and
 *                          freed ones with VKM_FILL_PATTERN_DESTROYED, when their memory type
 *                          is HOST_VISIBLE and they may be mapped (HOST_ACCESS_* flags or a
 *                          non-AUTO usage); dedicated allocations too. Mapped as needed.
 *
 * A damaged margin found when an allocation is freed, or by a check, is an API assertion
 * in debug builds (it aborts, like VMA's VMA_ASSERT, unless a vkmSetAssertHandler handler
 * is installed, which then receives a message naming the memory type, offset and size)
 * and one line on stderr in release builds; either way vkmGetCorruptionCount counts it,
 * and the checks return VK_ERROR_UNKNOWN. The free itself completes. The checks walk
 * every live block allocation of the given types (thread-cache slots included) while allocations in those types wait; frees go on. They must not be called
 * from a pDeviceMemoryCallbacks callback, nor from the assert handler.
 */
#define VKM_CORRUPTION_MAGIC_VALUE 0x7F84E666u
#define VKM_FILL_PATTERN_CREATED 0xDCu
#define VKM_FILL_PATTERN_DESTROYED 0xEFu
#define VKM_DEBUG_MAX_MARGIN 65536u

typedef struct VkmDebugOptions {
    VkDeviceSize margin; /* 0 .. VKM_DEBUG_MAX_MARGIN */
    VkBool32 detectCorruption;
    VkBool32 initializeAllocations;
} VkmDebugOptions;

/* Sets the options that allocators created from now on take (each allocator keeps the
 * options it was created with for its whole life: margins decide the layout of its
 * blocks). NULL restores the build's defaults. Process-wide, thread-safe; an allocator
 * created at the same moment on another thread gets either the old or the new options,
 * never a mix. Returns VK_SUCCESS, or VK_ERROR_VALIDATION_FAILED_EXT (nothing changes)
 * for a margin over VKM_DEBUG_MAX_MARGIN, or not a multiple of 4 with detectCorruption. */
VKM_API VkResult vkmSetDebugOptions(const VkmDebugOptions *pOptions);

/* The options `allocator` was created with, or with a null allocator those the next
 * allocator will get. pOptions not null (else nothing happens). */
VKM_API void vkmGetDebugOptions(VmaAllocator allocator, VkmDebugOptions *pOptions);

/* Damaged margins found in `allocator` so far (on free and by checks; a check that finds
 * several counts each). 0 for a null allocator. Thread-safe. */
VKM_API uint64_t vkmGetCorruptionCount(VmaAllocator allocator);

#ifdef __cplusplus
}
#endif

#endif /* VKMALLOC_H */
