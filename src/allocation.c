/* SPDX-License-Identifier: MIT */
#include "allocation.h"
#include "allocator.h"
#include "block.h"
#include "debug.h"

VmaAllocation
vkm_allocation_new(VmaAllocator a)
{
    /* Not zero-filled by the host allocator (MALLOCX_ZERO ends in a memset call, and a
     * zeroing initialiser in `rep stos`, both slower than these few stores). Every member
     * is set; the union through its largest member. */
    VmaAllocation alloc = vkm_host_alloc_obj(&a->ha);
    if (alloc == NULL)
        return NULL;
    alloc->magic = VKM_ALLOCATION_MAGIC;
    alloc->type = 0;
    alloc->kind = 0;
    alloc->flags = 0;
    alloc->memory_type = 0;
    alloc->allocator = a;
    alloc->pool = NULL;
    alloc->size = 0;
    alloc->alignment = 0;
    alloc->offset = 0;
    _Static_assert(sizeof(alloc->u) == sizeof(alloc->u.d), "u.d must be the largest member");
    alloc->u.d.memory = VK_NULL_HANDLE;
    alloc->u.d.mapped = NULL;
    alloc->u.d.prev = NULL;
    alloc->u.d.next = NULL;
    alloc->user_data = NULL;
    alloc->name = NULL;
    vkm_atomic_init_u32(&alloc->xmap_count, 0);
    vkm_atomic_init_u32(&alloc->xready, 0);
    alloc->usage = 0;
    _Static_assert(offsetof(struct VmaAllocation_T, u.b.slot) < 64, "free reads one line");
    _Static_assert(sizeof(struct VmaAllocation_T) == VKM_HOST_OBJ_SIZE &&
                       _Alignof(struct VmaAllocation_T) <= 16,
                   "jemalloc's 128-byte class, through vkm_host_alloc_obj");
    return alloc;
}

void
vkm_allocation_delete(VmaAllocator a, VmaAllocation alloc)
{
    if (alloc == NULL)
        return;
    if (alloc->flags & VKM_ALLOC_FLAG_NAMED)
        vkm_host_alloc_free_str(&a->ha, alloc->name);
    alloc->magic = VKM_ALLOCATION_DEAD; /* a handle used after its free is refused */
    vkm_host_free_obj(&a->ha, alloc);
}

static void
allocation_retired(vkm_epoch_entry *e)
{
    VmaAllocation alloc = vkm_epoch_container(e, struct VmaAllocation_T, u.retire);
    const vkm_host_alloc *ha = &alloc->allocator->ha;
    if (alloc->flags & VKM_ALLOC_FLAG_NAMED)
        vkm_host_alloc_free_str(ha, alloc->name);
    vkm_host_free_obj(ha, alloc);
}

void
vkm_allocation_retire(VmaAllocator a, VmaAllocation alloc, vkm_epoch_record *rec)
{
    vkm_assert(alloc->allocator == a);
    VKM_UNUSED(a);
    alloc->magic = VKM_ALLOCATION_DEAD;
    /* The union's placement members are dead now; the entry takes their bytes. */
    vkm_epoch_retire(rec, &alloc->u.retire, allocation_retired);
}

void
vkm_allocation_set_name(VmaAllocator a, VmaAllocation alloc, const char *name)
{
    char *copy = vkm_host_alloc_strdup(&a->ha, name);
    char *old = alloc->name;
    alloc->name = copy;
    if (copy != NULL)
        alloc->flags |= VKM_ALLOC_FLAG_NAMED;
    else
        alloc->flags &= (uint16_t)~VKM_ALLOC_FLAG_NAMED;
    vkm_host_alloc_free_str(&a->ha, old);
}

void
vkm_allocation_init_user_data(VmaAllocator a, VmaAllocation alloc, VmaAllocationCreateFlags flags,
                              void *user_data)
{
    if (flags & VMA_ALLOCATION_CREATE_USER_DATA_COPY_STRING_BIT)
        vkm_allocation_set_name(a, alloc, (const char *)user_data);
    else
        alloc->user_data = user_data;
}

VkDeviceMemory
vkm_allocation_memory(VmaAllocation alloc)
{
    return alloc->type == VKM_ALLOC_BLOCK ? alloc->u.b.block->memory : alloc->u.d.memory;
}

void *
vkm_allocation_mapped_ptr(VmaAllocation alloc)
{
    if (vkm_atomic_load_u32_acquire(&alloc->xmap_count) == 0)
        return NULL;
    if (alloc->type == VKM_ALLOC_BLOCK) {
        char *base = vkm_block_mapped_ptr(alloc->u.b.block);
        return base != NULL ? base + alloc->offset : NULL;
    }
    vkm_mutex *m = vkm_allocator_map_lock(alloc->allocator, alloc);
    vkm_mutex_lock(m);
    void *p = alloc->u.d.mapped;
    vkm_mutex_unlock(m);
    return p;
}

void
vkm_allocation_fill_info(VmaAllocation alloc, VmaAllocationInfo *info)
{
    info->memoryType = alloc->memory_type;
    info->deviceMemory = vkm_allocation_memory(alloc);
    info->offset = alloc->offset;
    info->size = alloc->size;
    info->pMappedData = vkm_allocation_mapped_ptr(alloc);
    info->pUserData = alloc->user_data;
    info->pName = alloc->name;
}
