/* SPDX-License-Identifier: MIT */
/*
 * wl_stream.c - stream: a streaming loader's uploads, with the driver in the loop. Each op
 * creates a resource with vmaCreateBuffer or vmaCreateImage, persistently mapped
 * (VMA_ALLOCATION_CREATE_MAPPED_BIT, HOST_ACCESS_SEQUENTIAL_WRITE, VMA_MEMORY_USAGE_AUTO),
 * writes all of its memory through the mapping, flushes it (a no-op on coherent memory),
 * and queues it; each thread's queue holds STREAM_DEPTH resources and destroys the oldest
 * when a new one arrives (FIFO lifetime). The queue is filled before the clock starts.
 *
 * Mix: 75 % staging buffers of 1 - 256 KiB (log-uniform by octave, TRANSFER_SRC); 25 %
 * linear-tiling 2D RGBA8 images of 16x16 - 256x256 texels (TRANSFER_SRC; linear so that
 * writing through the mapping means something on every driver). One op = one resource
 * created, written, and destroyed.
 *
 * The throughput includes vkCreateBuffer/Image, vkBind*Memory, vkDestroy* and the writes:
 * reports keep this workload apart (vkm_workload.driver_calls) from the allocator-only
 * ones, never in the same ratios.
 */
#include <stdlib.h>
#include <string.h>

#include "wl.h"

#define STREAM_DEPTH 64u

typedef struct stream_item {
    VkBuffer buffer; /* one of the two, or neither when the slot is empty */
    VkImage image;
    VmaAllocation allocation;
} stream_item;

static void
stream_destroy(vkm_wl_thread *t, stream_item *it)
{
    if (it->buffer != VK_NULL_HANDLE)
        vmaDestroyBuffer(t->allocator, it->buffer, it->allocation);
    else if (it->image != VK_NULL_HANDLE)
        vmaDestroyImage(t->allocator, it->image, it->allocation);
    memset(it, 0, sizeof(*it));
}

/* Creates, writes and flushes one resource into *it (empty on failure). */
static VkResult
stream_create(vkm_wl_thread *t, stream_item *it)
{
    const VmaAllocationCreateInfo aci = {
        .flags = VMA_ALLOCATION_CREATE_MAPPED_BIT |
                 VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT,
        .usage = VMA_MEMORY_USAGE_AUTO,
    };
    VmaAllocationInfo info;
    VkResult res;
    memset(it, 0, sizeof(*it));
    if (vkm_wl_rand(t) % 4 != 0) {
        const VkBufferCreateInfo bci = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
            .size = vkm_wl_size_log(t, 1u << 10, 256u << 10),
            .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
            .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        };
        res = vmaCreateBuffer(t->allocator, &bci, &aci, &it->buffer, &it->allocation, &info);
    } else {
        const uint32_t side = 16u << (uint32_t)(vkm_wl_rand(t) % 5); /* 16 .. 256 */
        const VkImageCreateInfo ici = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
            .imageType = VK_IMAGE_TYPE_2D,
            .format = VK_FORMAT_R8G8B8A8_UNORM,
            .extent = {side, side, 1},
            .mipLevels = 1,
            .arrayLayers = 1,
            .samples = VK_SAMPLE_COUNT_1_BIT,
            .tiling = VK_IMAGE_TILING_LINEAR,
            .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
            .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
            .initialLayout = VK_IMAGE_LAYOUT_PREINITIALIZED,
        };
        res = vmaCreateImage(t->allocator, &ici, &aci, &it->image, &it->allocation, &info);
    }
    if (res == VK_SUCCESS && info.pMappedData == NULL)
        res = VK_ERROR_MEMORY_MAP_FAILED; /* MAPPED_BIT with host access must map */
    if (res == VK_SUCCESS) {
        memset(info.pMappedData, (int)(t->index & 0xFF), (size_t)info.size);
        res = vmaFlushAllocation(t->allocator, it->allocation, 0, VK_WHOLE_SIZE);
    }
    if (res != VK_SUCCESS) {
        if (it->allocation != VK_NULL_HANDLE)
            stream_destroy(t, it);
        memset(it, 0, sizeof(*it));
        t->failures++;
    }
    return res;
}

static void
stream_thread(vkm_wl_thread *t)
{
    stream_item queue[STREAM_DEPTH];
    uint32_t head = 0; /* the oldest, replaced next */
    for (uint32_t i = 0; i < STREAM_DEPTH; i++)
        (void)stream_create(t, &queue[i]);

    vkm_wl_start(t);
    uint64_t steps = 0, ops = 0; /* steps include failed creations */
    for (; vkm_wl_running(t, steps); steps++) {
        stream_destroy(t, &queue[head]);
        if (stream_create(t, &queue[head]) == VK_SUCCESS)
            ops++;
        head = (head + 1) % STREAM_DEPTH;
    }
    t->ops = ops;
    vkm_wl_quiesce(t);

    for (uint32_t i = 0; i < STREAM_DEPTH; i++)
        stream_destroy(t, &queue[i]);
}

const vkm_workload vkm_wl_stream = {
    .name = "stream",
    .summary = "vmaCreateBuffer / vmaCreateImage, mapped and written, FIFO lifetime (64 per "
               "thread); includes driver calls, reported apart",
    .thread_main = stream_thread,
    .driver_calls = true,
};
