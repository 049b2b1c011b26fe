/* SPDX-License-Identifier: MIT */
/*
 * allocation.h - the VmaAllocation object (layer L3).
 *
 * An allocation is either a range of a block (VKM_ALLOC_BLOCK: its own TLSF range, or a
 * slot of a thread-cache run) or a VkDeviceMemory of its own (VKM_ALLOC_DEDICATED). It records what vmaGetAllocationInfo reports and the
 * host-side state VMA attaches to it: user data or name, and a map reference count.
 *
 * Who touches what:
 *   allocator, type, memory_type, kind, pool, size, alignment,
 *   usage                          immutable after creation
 *   offset, block, cached, slot    changed only by vmaEndDefragmentationPass, whose caller
 *                                  promises not to use the allocation meanwhile (defrag.h)
 *   xready                         any thread, atomic (see the member)
 *   user_data, name     written by vmaSetAllocationUserData/Name; VMA requires the caller
 *                       not to race those with reads of the same allocation
 *   xmap_count          any thread, atomic: vmaMapMemory references + 1 if persistent
 *   dedicated links     under the owning dedicated list's lock
 *
 *   map references of the block/dedicated memory held for this allocation
 *       = xmap_count  (persistent mapping counts as one)
 */
#ifndef VKM_ALLOCATION_H
#define VKM_ALLOCATION_H

#include "atomics.h"
#include "common.h"
#include "epoch.h"
#include "range.h"

#define VKM_ALLOCATION_MAGIC 0x564b4d41u /* "VKMA" */
#define VKM_ALLOCATION_DEAD 0xdeadd00du

typedef struct vkm_block vkm_block;

typedef enum vkm_alloc_type {
    VKM_ALLOC_BLOCK = 1,
    VKM_ALLOC_DEDICATED = 2,
} vkm_alloc_type;

enum {
    VKM_ALLOC_FLAG_PERSISTENT_MAP = 1u << 0,  /* created with MAPPED_BIT */
    VKM_ALLOC_FLAG_MAPPING_ALLOWED = 1u << 1, /* HOST_ACCESS_* given or implied */
    VKM_ALLOC_FLAG_NAMED = 1u << 2,           /* `name` is not NULL */
};

/*
 * Layout: a free from another thread (the frame and handoff pattern) misses on whatever
 * lines of the object it reads, since the allocating thread wrote them last. Everything
 * the free of a block allocation reads sits in the first 64 bytes, and the object is
 * padded to 128 bytes, which jemalloc serves from its 128-byte class whose regions are
 * 128-byte aligned: a remote free misses on one line, not two. `name` is read on free
 * only when VKM_ALLOC_FLAG_NAMED says there is one.
 */
struct VmaAllocation_T {
    /* first line: what every free reads */
    uint32_t magic; /* VKM_ALLOCATION_MAGIC while alive (debug checks) */
    uint8_t type;   /* vkm_alloc_type */
    uint8_t kind;   /* vkm_range_kind of the resource */
    uint16_t flags; /* VKM_ALLOC_FLAG_* */
    uint32_t memory_type;
    vkm_atomic_u32 xmap_count;
    VmaAllocator allocator;
    VmaPool pool;      /* custom pool or NULL */
    VkDeviceSize size; /* requested size */
    union {
        struct {
            vkm_block *block;
            /* the thread cache's run (with `slot`); NULL: a range of the block's TLSF
             * (shared path) */
            void *cached;
            uint32_t slot; /* slot of a run */
        } b;
        struct {
            VkDeviceMemory memory;
            void *mapped;             /* under the owner's dedicated map lock */
            VmaAllocation prev, next; /* dedicated list links */
        } d;
        /* a freed object that a JSON dump may still be reading waits here for its grace
         * period (vkm_allocation_retire; tcache.h, "Dumps") */
        vkm_epoch_entry retire;
    } u;
    /* second line: read by the shared path's frees, queries and the dedicated list */
    VkDeviceSize offset; /* in the VkDeviceMemory; 0 for dedicated */
    VkDeviceSize alignment;
    void *user_data;
    char *name;
    /* 0 until the allocating thread has set every member (release store at the end of
     * the allocation path, allocator.c); defragmentation (defrag.c) acquires it before it
     * reads an allocation it found through a range or a run's back pointer */
    vkm_atomic_u32 xready;
    /* VkBufferUsageFlags(2) / VkImageUsageFlags of the buffer or image that vmaCreateBuffer
     * or vmaCreateImage (or a variant) made with it, 0 otherwise: the JSON dump's "Usage"
     * (64 bits, as VMA keeps it with VK_KHR_maintenance5) */
    VkFlags64 usage;
    unsigned char pad[128 - 120];
};


VmaAllocation vkm_allocation_new(VmaAllocator a);
void vkm_allocation_delete(VmaAllocator a, VmaAllocation alloc);
/* As vkm_allocation_delete, but the name and the object are freed only once every epoch
 * section open now has ended (a JSON dump may be reading them: tcache.h, "Dumps"). The
 * handle is refused from now on, as after a delete. */
void vkm_allocation_retire(VmaAllocator a, VmaAllocation alloc, vkm_epoch_record *rec);

/* Replaces the name with a private copy of `name` (NULL clears it). */
void vkm_allocation_set_name(VmaAllocator a, VmaAllocation alloc, const char *name);

/* Records user data, or a copied name when `flags` has USER_DATA_COPY_STRING_BIT. */
void vkm_allocation_init_user_data(VmaAllocator a, VmaAllocation alloc,
                                   VmaAllocationCreateFlags flags, void *user_data);

VkDeviceMemory vkm_allocation_memory(VmaAllocation alloc);

/* Host pointer to the allocation's first byte when it is mapped (persistently or by
 * vmaMapMemory), else NULL. */
void *vkm_allocation_mapped_ptr(VmaAllocation alloc);

/* What vmaGetAllocationInfo reports. */
void vkm_allocation_fill_info(VmaAllocation alloc, VmaAllocationInfo *info);

#endif /* VKM_ALLOCATION_H */
