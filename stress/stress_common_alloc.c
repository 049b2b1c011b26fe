/* SPDX-License-Identifier: MIT */
/*
 * stress_common_alloc.c - tracked allocations of the stress harness: creation through
 * the VMA entry points with the alignment and memory-type checks, the byte pattern
 * written and verified through a mapping, and the random requests (sizes, alignments,
 * kinds) typical of a game.
 */
#include "stress_common_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pattern ----------------------------------------------------------------------------- */

/* One 8-byte word every STRIDE bytes, plus the last 8 bytes: enough to see any overlap of
 * more than STRIDE bytes (the registry sees the rest) without paying TSan for every byte. */
#define STRIDE 64

static uint64_t
pattern_word(uint64_t id, VkDeviceSize off)
{
    uint64_t x = id * 0x9E3779B97F4A7C15ull ^ (off + 1) * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 29;
    return x;
}

void
stress_pattern_write(void *p, uint64_t id, VkDeviceSize size)
{
    unsigned char *b = p;
    if (size < 16) {
        for (VkDeviceSize i = 0; i < size; i++)
            b[i] = (unsigned char)pattern_word(id, i);
        return;
    }
    for (VkDeviceSize o = 0; o + 8 <= size - 8; o += STRIDE) {
        uint64_t w = pattern_word(id, o);
        memcpy(b + o, &w, 8);
    }
    uint64_t w = pattern_word(id, size - 8);
    memcpy(b + size - 8, &w, 8);
}

VkDeviceSize
stress_pattern_check(const void *p, uint64_t id, VkDeviceSize size)
{
    const unsigned char *b = p;
    if (size < 16) {
        for (VkDeviceSize i = 0; i < size; i++)
            if (b[i] != (unsigned char)pattern_word(id, i))
                return i;
        return VK_WHOLE_SIZE;
    }
    for (VkDeviceSize o = 0; o + 8 <= size - 8; o += STRIDE) {
        uint64_t w;
        memcpy(&w, b + o, 8);
        if (w != pattern_word(id, o))
            return o;
    }
    uint64_t w;
    memcpy(&w, b + size - 8, 8);
    if (w != pattern_word(id, size - 8))
        return size - 8;
    return VK_WHOLE_SIZE;
}

/* ---- tracked allocations ----------------------------------------------------------------- */

static _Thread_local uint64_t tl_allocs, tl_frees;
static atomic_uint_fast64_t g_next_id; /* allocation ids: process-unique, from 1 */

uint64_t
stress_thread_allocs(void)
{
    return tl_allocs;
}

uint64_t
stress_thread_frees(void)
{
    return tl_frees;
}

static const char *
kind_name(stress_kind k)
{
    switch (k) {
    case STRESS_MEMORY:
        return "memory";
    case STRESS_BUFFER:
        return "buffer";
    case STRESS_IMAGE_LINEAR:
        return "linear image";
    default:
        return "optimal image";
    }
}

void
stress_image_info(const stress_request *rq, VkImageCreateInfo *ici)
{
    /* about rq->size bytes of RGBA8: width a power of two, height to match */
    uint32_t px = (uint32_t)(rq->size / 4 > 4 * 1024 * 1024 ? 4 * 1024 * 1024 : rq->size / 4);
    if (px < 16)
        px = 16;
    uint32_t w = 4;
    while ((VkDeviceSize)w * w < px)
        w *= 2;
    uint32_t h = (px + w - 1) / w;
    *ici = (VkImageCreateInfo){
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = VK_FORMAT_R8G8B8A8_UNORM,
        .extent = {w, h, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling =
            rq->kind == STRESS_IMAGE_LINEAR ? VK_IMAGE_TILING_LINEAR : VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                 VK_IMAGE_USAGE_SAMPLED_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = rq->kind == STRESS_IMAGE_LINEAR ? VK_IMAGE_LAYOUT_PREINITIALIZED
                                                         : VK_IMAGE_LAYOUT_UNDEFINED,
    };
}

VkResult
stress_alloc_create(stress_allocator *a, const stress_request *rq, stress_alloc *out)
{
    const stress_env *env = a->env;
    VkDevice dev = env->ctx.device;
    memset(out, 0, sizeof(*out));
    VmaAllocationCreateInfo ci = {
        .flags = rq->flags |
                 (rq->random_access ? VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT
                                    : VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT),
        .pool = rq->pool,
        .pUserData = (void *)rq->name,
    };
    if (rq->name != NULL)
        ci.flags |= VMA_ALLOCATION_CREATE_USER_DATA_COPY_STRING_BIT;
    VmaAllocationInfo info;
    VkMemoryRequirements req = {0};
    VkResult r;
    switch (rq->kind) {
    case STRESS_MEMORY:
        req = (VkMemoryRequirements){rq->size, rq->alignment ? rq->alignment : 1,
                                     rq->memory_type_bits ? rq->memory_type_bits : UINT32_MAX};
        if (rq->cpu_to_gpu) {
            ci.usage = VMA_MEMORY_USAGE_CPU_TO_GPU;
        } else {
            ci.usage = VMA_MEMORY_USAGE_UNKNOWN;
            ci.requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
            ci.preferredFlags = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        }
        r = vmaAllocateMemory(a->handle, &req, &ci, &out->alloc, &info);
        break;
    case STRESS_BUFFER: {
        VkBufferCreateInfo bci = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
            .size = rq->size,
            .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                     VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
        };
        ci.usage = VMA_MEMORY_USAGE_AUTO;
        ci.requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
        if (rq->alignment)
            r = vmaCreateBufferWithAlignment(a->handle, &bci, &ci, rq->alignment, &out->buffer,
                                             &out->alloc, &info);
        else
            r = vmaCreateBuffer(a->handle, &bci, &ci, &out->buffer, &out->alloc, &info);
        if (r == VK_SUCCESS)
            env->fns.vkGetBufferMemoryRequirements(dev, out->buffer, &req);
        break;
    }
    default: {
        VkImageCreateInfo ici;
        stress_image_info(rq, &ici);
        ci.usage = VMA_MEMORY_USAGE_AUTO;
        ci.requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
        r = vmaCreateImage(a->handle, &ici, &ci, &out->image, &out->alloc, &info);
        if (r == VK_SUCCESS)
            env->fns.vkGetImageMemoryRequirements(dev, out->image, &req);
        break;
    }
    }
    if (r != VK_SUCCESS) {
        memset(out, 0, sizeof(*out));
        return r;
    }
    tl_allocs++;
    atomic_fetch_add(&a->xallocs, 1);
    out->kind = rq->kind;
    out->memory = info.deviceMemory;
    out->offset = info.offset;
    out->size = info.size;
    out->memory_type = info.memoryType;
    out->id = atomic_fetch_add(&g_next_id, 1) + 1;
    out->mapped = (rq->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) ? info.pMappedData : NULL;

    const char *kn = kind_name(rq->kind);
    VkDeviceSize align = req.alignment ? req.alignment : 1;
    if (rq->kind == STRESS_BUFFER && rq->alignment > align)
        align = rq->alignment;
    STRESS_CHECK(info.offset % align == 0,
                 "%s id %" PRIu64 ": offset %" PRIu64 " does not meet alignment %" PRIu64, kn,
                 out->id, info.offset, align);
    STRESS_CHECK(info.size >= req.size, "%s id %" PRIu64 ": size %" PRIu64 " < required %" PRIu64,
                 kn, out->id, info.size, req.size);
    STRESS_CHECK(info.memoryType < 32 && (req.memoryTypeBits & (1u << info.memoryType)) &&
                     (env->host_visible_bits & (1u << info.memoryType)),
                 "%s id %" PRIu64 ": memory type %u not allowed (bits %#x) or not host visible", kn,
                 out->id, info.memoryType, req.memoryTypeBits);
    STRESS_CHECK(info.deviceMemory != VK_NULL_HANDLE, "%s id %" PRIu64 ": no VkDeviceMemory", kn,
                 out->id);
    if (rq->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT)
        STRESS_CHECK(info.pMappedData != NULL, "%s id %" PRIu64 ": MAPPED_BIT gave no pointer", kn,
                     out->id);
    stress_registry_insert(out, env->granularity);

    void *p = out->mapped;
    if (p == NULL) {
        r = vmaMapMemory(a->handle, out->alloc, &p);
        if (r != VK_SUCCESS) {
            stress_fail("%s id %" PRIu64 ": vmaMapMemory: VkResult %d", kn, out->id, (int)r);
            return VK_SUCCESS; /* tracked: the caller frees it as usual */
        }
    }
    stress_pattern_write(p, out->id, out->size);
    /* while still mapped: unmapping non-coherent memory may drop unflushed writes */
    r = vmaFlushAllocation(a->handle, out->alloc, 0, VK_WHOLE_SIZE);
    STRESS_CHECK(r == VK_SUCCESS, "vmaFlushAllocation: VkResult %d", (int)r);
    if (out->mapped == NULL)
        vmaUnmapMemory(a->handle, out->alloc);
    return VK_SUCCESS;
}

bool
stress_alloc_verify(stress_allocator *a, const stress_alloc *x, const char *when)
{
    if (x->alloc == VK_NULL_HANDLE)
        return true;
    void *p = x->mapped;
    VkResult r;
    if (p == NULL) {
        r = vmaMapMemory(a->handle, x->alloc, &p);
        if (r != VK_SUCCESS) {
            stress_fail("%s id %" PRIu64 ": vmaMapMemory (%s): VkResult %d", kind_name(x->kind),
                        x->id, when, (int)r);
            return false;
        }
    }
    /* only while mapped: invalidating unmapped memory is not allowed */
    r = vmaInvalidateAllocation(a->handle, x->alloc, 0, VK_WHOLE_SIZE);
    STRESS_CHECK(r == VK_SUCCESS, "vmaInvalidateAllocation: VkResult %d", (int)r);
    VkDeviceSize bad = stress_pattern_check(p, x->id, x->size);
    if (x->mapped == NULL)
        vmaUnmapMemory(a->handle, x->alloc);
    if (bad != VK_WHOLE_SIZE) {
        stress_fail("%s id %" PRIu64 " (memory %#" PRIx64 " [%" PRIu64 ", +%" PRIu64 ")): the "
                    "pattern written through a mapping changed at byte %" PRIu64 " (%s)",
                    kind_name(x->kind), x->id, stress_handle_bits(x->memory), x->offset, x->size,
                    bad, when);
        return false;
    }
    return true;
}

void
stress_alloc_check_info(stress_allocator *a, const stress_alloc *x)
{
    if (x->alloc == VK_NULL_HANDLE)
        return;
    VmaAllocationInfo info;
    vmaGetAllocationInfo(a->handle, x->alloc, &info);
    STRESS_CHECK(info.deviceMemory == x->memory && info.offset == x->offset &&
                     info.size == x->size && info.memoryType == x->memory_type,
                 "id %" PRIu64 ": vmaGetAllocationInfo changed: memory %#" PRIx64 " -> %#" PRIx64
                 ", offset %" PRIu64 " -> %" PRIu64 ", size %" PRIu64 " -> %" PRIu64,
                 x->id, stress_handle_bits(x->memory), stress_handle_bits(info.deviceMemory),
                 x->offset, info.offset, x->size, info.size);
    if (x->mapped != NULL)
        STRESS_CHECK(info.pMappedData == x->mapped,
                     "id %" PRIu64 ": the persistent mapping moved (%p -> %p)", x->id, x->mapped,
                     info.pMappedData);
}

void
stress_alloc_destroy(stress_allocator *a, stress_alloc *x)
{
    if (x->alloc == VK_NULL_HANDLE)
        return;
    stress_alloc_verify(a, x, "at free");
    stress_registry_remove(x);
    switch (x->kind) {
    case STRESS_MEMORY:
        vmaFreeMemory(a->handle, x->alloc);
        break;
    case STRESS_BUFFER:
        vmaDestroyBuffer(a->handle, x->buffer, x->alloc);
        break;
    default:
        vmaDestroyImage(a->handle, x->image, x->alloc);
        break;
    }
    tl_frees++;
    atomic_fetch_add(&a->xfrees, 1);
    memset(x, 0, sizeof(*x));
}

VkDeviceSize
stress_random_size(stress_rng *r)
{
    uint32_t c = stress_below(r, 100);
    if (c < 80) { /* 256 B .. 64 KiB, log-uniform */
        uint32_t k = 8 + stress_below(r, 8);
        return ((VkDeviceSize)1 << k) + stress_below(r, 1u << k);
    }
    if (c < 97) /* 64 KiB .. 256 KiB */
        return 64 * STRESS_KIB + stress_below(r, (uint32_t)(192 * STRESS_KIB));
    /* 256 KiB .. 2 MiB: past half a block, these get their own VkDeviceMemory */
    return 256 * STRESS_KIB + stress_below(r, (uint32_t)(1792 * STRESS_KIB));
}

VkDeviceSize
stress_random_alignment(stress_rng *r)
{
    uint32_t c = stress_below(r, 100);
    if (c < 75)
        return (VkDeviceSize)16 << stress_below(r, 5); /* 16 .. 256 */
    if (c < 93)
        return (VkDeviceSize)512 << stress_below(r, 4); /* 512 .. 4 KiB */
    return (VkDeviceSize)8192 << stress_below(r, 4);    /* 8 KiB .. 64 KiB */
}

stress_request
stress_random_request(stress_rng *r, const stress_env *env, VmaPool pool)
{
    stress_request rq = {.pool = pool, .size = stress_random_size(r)};
    uint32_t c = stress_below(r, 100);
    if (c < 45) {
        rq.kind = STRESS_MEMORY;
        rq.alignment = stress_random_alignment(r);
        rq.memory_type_bits = stress_chance(r, 50) ? env->buffer_type_bits : UINT32_MAX;
        rq.cpu_to_gpu = stress_chance(r, 30);
    } else if (c < 85) {
        rq.kind = STRESS_BUFFER;
        rq.alignment = stress_chance(r, 30) ? stress_random_alignment(r) : 0;
    } else {
        rq.kind = stress_chance(r, 70) ? STRESS_IMAGE_OPTIMAL : STRESS_IMAGE_LINEAR;
        if (rq.size > 256 * STRESS_KIB)
            rq.size = 256 * STRESS_KIB;
        if ((rq.kind == STRESS_IMAGE_OPTIMAL && !env->optimal_image_mappable) ||
            (rq.kind == STRESS_IMAGE_LINEAR && !env->linear_image_mappable))
            rq.kind = STRESS_BUFFER; /* the pattern needs a mapping */
    }
    rq.random_access = stress_chance(r, 50);
    if (stress_chance(r, 50))
        rq.flags |= VMA_ALLOCATION_CREATE_MAPPED_BIT;
    uint32_t s = stress_below(r, 100);
    if (s < 5)
        rq.flags |= VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT;
    else if (s < 10)
        rq.flags |= VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT;
    else if (s < 12 && pool == VK_NULL_HANDLE)
        rq.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    return rq;
}
