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

#ifdef __cplusplus
}
#endif

#endif /* VKMALLOC_H */
