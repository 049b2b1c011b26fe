/* SPDX-License-Identifier: MIT */
/*
 * host_alloc.h - every byte of host-side metadata (layer L0).
 *
 * One vkm_host_alloc per allocator (and per virtual block). It routes to, in order:
 *   1. the user's VkAllocationCallbacks when given (scope OBJECT),
 *   2. jemalloc through mallocx/sdallocx with the library's own arena and an explicit
 *      per-thread tcache (VKMALLOC_HOST_ALLOC=jemalloc, the default),
 *   3. libc aligned_alloc/free (VKMALLOC_HOST_ALLOC=libc, forced under sanitizers so
 *      ASan and TSan see every metadata block).
 * Nothing else in the tree calls malloc or free.
 *
 * Thread safety: the struct is immutable after vkm_host_alloc_init(); every function may
 * be called from any thread at once (the user's callbacks must be thread-safe, as
 * Vulkan requires of them).
 *
 * Failure: vkm_host_alloc_* return NULL; callers turn that into
 * VK_ERROR_OUT_OF_HOST_MEMORY and unwind.
 */
#ifndef VKM_HOST_ALLOC_H
#define VKM_HOST_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

typedef struct vkm_host_alloc {
    VkAllocationCallbacks callbacks; /* immutable; valid when has_callbacks */
    int has_callbacks;
    unsigned arena; /* jemalloc arena index, 0 when unused */
} vkm_host_alloc;

/* `cb` may be NULL. Returns VK_SUCCESS or VK_ERROR_INITIALIZATION_FAILED. */
VkResult vkm_host_alloc_init(vkm_host_alloc *ha, const VkAllocationCallbacks *cb);

/* Allocates `size` bytes aligned to `align` (a power of two; 0 means the natural
 * alignment, 16). Contents are undefined. Returns NULL on failure or size 0. */
void *vkm_host_alloc_alloc(const vkm_host_alloc *ha, size_t size, size_t align);

/* As vkm_host_alloc_alloc, zero-filled. */
void *vkm_host_alloc_calloc(const vkm_host_alloc *ha, size_t size, size_t align);

/* Frees a block from this vkm_host_alloc; `size` must be the size it was allocated with
 * (sized free: jemalloc skips a lookup). NULL is a no-op. */
void vkm_host_alloc_free(const vkm_host_alloc *ha, void *ptr, size_t size);
/* As vkm_host_alloc_free for a block allocated with an alignment above 16. */
void vkm_host_alloc_free_aligned(const vkm_host_alloc *ha, void *ptr, size_t size, size_t align);

/* Resizes, keeping min(old, new) bytes. Returns NULL (old block untouched) on failure. */
void *vkm_host_alloc_realloc(const vkm_host_alloc *ha, void *ptr, size_t old_size, size_t new_size,
                             size_t align);

/* Copies a NUL-terminated string (NULL gives NULL); free with vkm_host_alloc_free_str. */
char *vkm_host_alloc_strdup(const vkm_host_alloc *ha, const char *s);
void vkm_host_alloc_free_str(const vkm_host_alloc *ha, char *s);

/* Typed helpers. */
#define vkm_host_new(ha, T) ((T *)vkm_host_alloc_calloc((ha), sizeof(T), _Alignof(T)))
/* The VmaAllocation object's size class (allocation.c): the magazine of that one class
 * without the generic path's checks, which cost as much as the pop or push itself. Same
 * blocks as vkm_host_alloc_alloc(ha, VKM_HOST_OBJ_SIZE, 16) and its sized free. */
#define VKM_HOST_OBJ_SIZE 128u
void *vkm_host_alloc_obj(const vkm_host_alloc *ha);
void vkm_host_free_obj(const vkm_host_alloc *ha, void *ptr);

#define vkm_host_delete(ha, T, p) vkm_host_alloc_free_aligned((ha), (p), sizeof(T), _Alignof(T))
#define vkm_host_new_array(ha, T, n) \
    ((T *)vkm_host_alloc_calloc((ha), sizeof(T) * (size_t)(n), _Alignof(T)))
#define vkm_host_delete_array(ha, T, p, n) \
    vkm_host_alloc_free_aligned((ha), (p), sizeof(T) * (size_t)(n), _Alignof(T))

#endif /* VKM_HOST_ALLOC_H */
