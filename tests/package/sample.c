/* SPDX-License-Identifier: MIT */
/*
 * sample.c - a VMA 3.3 program written the way VMA's documentation writes one, built by
 * tests/package against the *installed* vkmalloc: through find_package and through
 * pkg-config, as C and as C++ (so it sticks to the common subset of both languages).
 *
 * It creates an instance and device (Lavapipe when VK_ICD_FILENAMES / VK_DRIVER_FILES are
 * unset), an allocator, a persistently mapped 64 KiB staging buffer, a 1024x1024 RGBA8
 * optimal image, and a host-visible buffer mapped with vmaMapMemory; it writes and reads
 * back through both mappings and destroys everything. Exit 0: passed, 1: failed,
 * 77: no Vulkan device at all (ctest's SKIP_RETURN_CODE).
 */
#if !defined(__cplusplus) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* setenv, access */
#endif

/* Exactly as in a VMA program's one implementation file: with vkmalloc the implementation
 * lives in the library, and this define is accepted and ignored. */
#define VMA_IMPLEMENTATION
#include "vk_mem_alloc.h"

#include "sample_device.h"

#define BUFFER_SIZE (64u * 1024u)

int
main(void)
{
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    sample_create_device("sample", &instance, &physicalDevice, &device);
    VmaAllocator allocator = sample_create_allocator(instance, physicalDevice, device);

    /* --- 64 KiB staging buffer, persistently mapped --- */
    VkBufferCreateInfo stagingInfo = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    stagingInfo.size = BUFFER_SIZE;
    stagingInfo.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    VmaAllocationCreateInfo stagingAllocInfo;
    memset(&stagingAllocInfo, 0, sizeof(stagingAllocInfo));
    stagingAllocInfo.usage = VMA_MEMORY_USAGE_AUTO;
    stagingAllocInfo.flags =
        VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT | VMA_ALLOCATION_CREATE_MAPPED_BIT;
    VkBuffer staging = VK_NULL_HANDLE;
    VmaAllocation stagingAlloc = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    CHECK_VK(vmaCreateBuffer(allocator, &stagingInfo, &stagingAllocInfo, &staging, &stagingAlloc,
                             &info));
    CHECK(staging != VK_NULL_HANDLE && stagingAlloc != VK_NULL_HANDLE);
    CHECK(info.size >= BUFFER_SIZE);
    CHECK(info.pMappedData != NULL);
    VkMemoryPropertyFlags memFlags = 0;
    vmaGetAllocationMemoryProperties(allocator, stagingAlloc, &memFlags);
    CHECK((memFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0);
    fill_pattern(info.pMappedData, BUFFER_SIZE, 0x1234u);
    CHECK_VK(vmaFlushAllocation(allocator, stagingAlloc, 0, VK_WHOLE_SIZE));
    CHECK(pattern_matches(info.pMappedData, BUFFER_SIZE, 0x1234u));

    /* --- 1024x1024 RGBA8 optimal image --- */
    VkImageCreateInfo imageInfo = {VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    imageInfo.imageType = VK_IMAGE_TYPE_2D;
    imageInfo.format = VK_FORMAT_R8G8B8A8_UNORM;
    imageInfo.extent.width = 1024;
    imageInfo.extent.height = 1024;
    imageInfo.extent.depth = 1;
    imageInfo.mipLevels = 1;
    imageInfo.arrayLayers = 1;
    imageInfo.samples = VK_SAMPLE_COUNT_1_BIT;
    imageInfo.tiling = VK_IMAGE_TILING_OPTIMAL;
    imageInfo.usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;
    imageInfo.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    imageInfo.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VmaAllocationCreateInfo imageAllocInfo;
    memset(&imageAllocInfo, 0, sizeof(imageAllocInfo));
    imageAllocInfo.usage = VMA_MEMORY_USAGE_AUTO;
    VkImage image = VK_NULL_HANDLE;
    VmaAllocation imageAlloc = VK_NULL_HANDLE;
    CHECK_VK(vmaCreateImage(allocator, &imageInfo, &imageAllocInfo, &image, &imageAlloc, &info));
    CHECK(image != VK_NULL_HANDLE && imageAlloc != VK_NULL_HANDLE);
    CHECK(info.size >= 1024u * 1024u * 4u);

    /* --- host-visible buffer, mapped with vmaMapMemory --- */
    VkBufferCreateInfo readbackInfo = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    readbackInfo.size = BUFFER_SIZE;
    readbackInfo.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VmaAllocationCreateInfo readbackAllocInfo;
    memset(&readbackAllocInfo, 0, sizeof(readbackAllocInfo));
    readbackAllocInfo.usage = VMA_MEMORY_USAGE_AUTO;
    readbackAllocInfo.flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT;
    VkBuffer readback = VK_NULL_HANDLE;
    VmaAllocation readbackAlloc = VK_NULL_HANDLE;
    CHECK_VK(vmaCreateBuffer(allocator, &readbackInfo, &readbackAllocInfo, &readback,
                             &readbackAlloc, NULL));
    void *mapped = NULL;
    CHECK_VK(vmaMapMemory(allocator, readbackAlloc, &mapped));
    CHECK(mapped != NULL);
    fill_pattern(mapped, BUFFER_SIZE, 0xabcdu);
    CHECK_VK(vmaFlushAllocation(allocator, readbackAlloc, 0, VK_WHOLE_SIZE));
    CHECK_VK(vmaInvalidateAllocation(allocator, readbackAlloc, 0, VK_WHOLE_SIZE));
    CHECK(pattern_matches(mapped, BUFFER_SIZE, 0xabcdu));
    vmaUnmapMemory(allocator, readbackAlloc);

    VmaTotalStatistics stats;
    vmaCalculateStatistics(allocator, &stats);
    CHECK(stats.total.statistics.allocationCount == 3);
    printf("sample: %u allocations, %llu bytes in %u blocks\n",
           stats.total.statistics.allocationCount,
           (unsigned long long)stats.total.statistics.allocationBytes,
           stats.total.statistics.blockCount);

    /* --- tear down in reverse order --- */
    vmaDestroyBuffer(allocator, readback, readbackAlloc);
    vmaDestroyImage(allocator, image, imageAlloc);
    vmaDestroyBuffer(allocator, staging, stagingAlloc);
    vmaDestroyAllocator(allocator);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    printf("sample: OK\n");
    return 0;
}
