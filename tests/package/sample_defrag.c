/* SPDX-License-Identifier: MIT */
/*
 * sample_defrag.c - the second VMA 3.3 sample program, written the way VMA's documentation
 * writes custom pools, defragmentation and the JSON dump; built by tests/package against
 * the installed vkmalloc exactly like sample.c (find_package, pkg-config, C and C++).
 *
 * It creates a custom pool of small blocks in a host-visible memory type chosen with
 * vmaFindMemoryTypeIndexForBufferInfo, fills it with persistently mapped buffers holding
 * distinct patterns, destroys every other one, defragments the pool with the pass loop of
 * VMA's "Defragmentation" page (new buffer bound to the temporary allocation, contents
 * copied through the mappings, old buffer destroyed), and checks that every surviving
 * buffer kept its contents, that blocks were released, and that vmaBuildStatsString
 * describes the pool. Exit 0: passed, 1: failed, 77: no Vulkan device.
 */
#if !defined(__cplusplus) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* setenv, access */
#endif

#define VMA_IMPLEMENTATION
#include "vk_mem_alloc.h"

#include "sample_device.h"

#define BUFFER_COUNT 48u
#define BUFFER_SIZE (16u * 1024u)
#define POOL_BLOCK_SIZE (128u * 1024u)

typedef struct SampleBuffer {
    VkBuffer buffer;
    VmaAllocation allocation;
    uint32_t seed;
} SampleBuffer;

static VkBufferCreateInfo
buffer_info(void)
{
    VkBufferCreateInfo info = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = BUFFER_SIZE;
    info.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    return info;
}

static void *
mapped_data(VmaAllocator allocator, VmaAllocation allocation)
{
    VmaAllocationInfo info;
    vmaGetAllocationInfo(allocator, allocation, &info);
    return info.pMappedData;
}

/* The pass loop of VMA's documentation, with memcpy as the copy (host-visible memory). */
static void
defragment(VmaAllocator allocator, VkDevice device, VmaPool pool, VmaDefragmentationStats *stats)
{
    VmaDefragmentationInfo defragInfo;
    memset(&defragInfo, 0, sizeof(defragInfo));
    defragInfo.pool = pool;
    defragInfo.flags = VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT;
    VmaDefragmentationContext defragCtx = VK_NULL_HANDLE;
    CHECK_VK(vmaBeginDefragmentation(allocator, &defragInfo, &defragCtx));

    for (;;) {
        VmaDefragmentationPassMoveInfo pass;
        memset(&pass, 0, sizeof(pass));
        VkResult res = vmaBeginDefragmentationPass(allocator, defragCtx, &pass);
        if (res == VK_SUCCESS)
            break;
        CHECK(res == VK_INCOMPLETE);
        for (uint32_t i = 0; i < pass.moveCount; i++) {
            /* Which of our buffers is it? VMA's samples keep this in the user data. */
            VmaAllocationInfo srcInfo;
            vmaGetAllocationInfo(allocator, pass.pMoves[i].srcAllocation, &srcInfo);
            SampleBuffer *sb = (SampleBuffer *)srcInfo.pUserData;
            CHECK(sb != NULL && sb->allocation == pass.pMoves[i].srcAllocation);

            VkBufferCreateInfo info = buffer_info();
            VkBuffer newBuffer = VK_NULL_HANDLE;
            CHECK_VK(vkCreateBuffer(device, &info, NULL, &newBuffer));
            CHECK_VK(vmaBindBufferMemory(allocator, pass.pMoves[i].dstTmpAllocation, newBuffer));
            void *dst = mapped_data(allocator, pass.pMoves[i].dstTmpAllocation);
            CHECK(dst != NULL && srcInfo.pMappedData != NULL);
            memcpy(dst, srcInfo.pMappedData, BUFFER_SIZE);

            vkDestroyBuffer(device, sb->buffer, NULL);
            sb->buffer = newBuffer;
        }
        res = vmaEndDefragmentationPass(allocator, defragCtx, &pass);
        if (res == VK_SUCCESS)
            break;
        CHECK(res == VK_INCOMPLETE);
    }
    vmaEndDefragmentation(allocator, defragCtx, stats);
}

int
main(void)
{
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    sample_create_device("sample_defrag", &instance, &physicalDevice, &device);
    VmaAllocator allocator = sample_create_allocator(instance, physicalDevice, device);

    /* --- a custom pool, as on VMA's "Custom memory pools" page --- */
    VkBufferCreateInfo exampleInfo = buffer_info();
    VmaAllocationCreateInfo sampleAllocInfo;
    memset(&sampleAllocInfo, 0, sizeof(sampleAllocInfo));
    sampleAllocInfo.usage = VMA_MEMORY_USAGE_AUTO;
    sampleAllocInfo.flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT;
    uint32_t memTypeIndex = 0;
    CHECK_VK(vmaFindMemoryTypeIndexForBufferInfo(allocator, &exampleInfo, &sampleAllocInfo,
                                                 &memTypeIndex));
    VmaPoolCreateInfo poolInfo;
    memset(&poolInfo, 0, sizeof(poolInfo));
    poolInfo.memoryTypeIndex = memTypeIndex;
    poolInfo.blockSize = POOL_BLOCK_SIZE;
    VmaPool pool = VK_NULL_HANDLE;
    CHECK_VK(vmaCreatePool(allocator, &poolInfo, &pool));
    vmaSetPoolName(allocator, pool, "sample \"pool\"");

    /* --- fill it with mapped buffers, each with its own pattern --- */
    static SampleBuffer buffers[BUFFER_COUNT];
    for (uint32_t i = 0; i < BUFFER_COUNT; i++) {
        VkBufferCreateInfo info = buffer_info();
        VmaAllocationCreateInfo allocInfo;
        memset(&allocInfo, 0, sizeof(allocInfo));
        allocInfo.pool = pool;
        allocInfo.flags = VMA_ALLOCATION_CREATE_MAPPED_BIT;
        allocInfo.pUserData = &buffers[i];
        VmaAllocationInfo info2;
        CHECK_VK(vmaCreateBuffer(allocator, &info, &allocInfo, &buffers[i].buffer,
                                 &buffers[i].allocation, &info2));
        CHECK(info2.pMappedData != NULL && info2.pUserData == &buffers[i]);
        buffers[i].seed = 0x5eed0000u + i;
        fill_pattern(info2.pMappedData, BUFFER_SIZE, buffers[i].seed);
    }
    VmaDetailedStatistics before;
    vmaCalculatePoolStatistics(allocator, pool, &before);
    CHECK(before.statistics.allocationCount == BUFFER_COUNT);

    /* --- free every other one: half of each block becomes holes --- */
    for (uint32_t i = 0; i < BUFFER_COUNT; i += 2) {
        vmaDestroyBuffer(allocator, buffers[i].buffer, buffers[i].allocation);
        buffers[i].buffer = VK_NULL_HANDLE;
        buffers[i].allocation = VK_NULL_HANDLE;
    }

    VmaDefragmentationStats defragStats;
    memset(&defragStats, 0, sizeof(defragStats));
    defragment(allocator, device, pool, &defragStats);
    printf("sample_defrag: moved %u allocations (%llu bytes), freed %u blocks (%llu bytes)\n",
           defragStats.allocationsMoved, (unsigned long long)defragStats.bytesMoved,
           defragStats.deviceMemoryBlocksFreed, (unsigned long long)defragStats.bytesFreed);

    VmaDetailedStatistics after;
    vmaCalculatePoolStatistics(allocator, pool, &after);
    CHECK(after.statistics.allocationCount == BUFFER_COUNT / 2);
    CHECK(defragStats.allocationsMoved > 0);
    CHECK(defragStats.bytesMoved == (VkDeviceSize)defragStats.allocationsMoved * BUFFER_SIZE);
    CHECK(after.statistics.blockCount < before.statistics.blockCount);
    CHECK(after.statistics.blockCount + defragStats.deviceMemoryBlocksFreed ==
          before.statistics.blockCount);

    /* --- every survivor kept its contents, wherever it lives now --- */
    for (uint32_t i = 1; i < BUFFER_COUNT; i += 2) {
        void *data = mapped_data(allocator, buffers[i].allocation);
        CHECK(data != NULL);
        CHECK(pattern_matches(data, BUFFER_SIZE, buffers[i].seed));
    }

    /* --- the JSON dump, as a program would save it for VMA's visualizer --- */
    char *json = NULL;
    vmaBuildStatsString(allocator, &json, VK_TRUE);
    CHECK(json != NULL && json[0] == '{');
    CHECK(strstr(json, "\"Total\"") != NULL);
    CHECK(strstr(json, "\"CustomPools\"") != NULL);
    CHECK(strstr(json, "sample \\\"pool\\\"") != NULL); /* the name, escaped */
    const char *out = getenv("SAMPLE_JSON_OUT");
    if (out != NULL) {
        FILE *f = fopen(out, "w");
        CHECK(f != NULL);
        fputs(json, f);
        fclose(f);
    }
    printf("sample_defrag: JSON dump of %zu bytes\n", strlen(json));
    vmaFreeStatsString(allocator, json);

    for (uint32_t i = 1; i < BUFFER_COUNT; i += 2)
        vmaDestroyBuffer(allocator, buffers[i].buffer, buffers[i].allocation);
    vmaDestroyPool(allocator, pool);
    vmaDestroyAllocator(allocator);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    printf("sample_defrag: OK\n");
    return 0;
}
