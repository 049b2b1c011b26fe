/* SPDX-License-Identifier: MIT */
/*
 * sample_device.h - what every VMA sample does before VMA: an instance and a device on the
 * first physical device (Lavapipe when VK_ICD_FILENAMES / VK_DRIVER_FILES are unset), and
 * the checks the samples use. Plain Vulkan, C and C++ alike.
 */
#ifndef VKM_SAMPLE_DEVICE_H
#define VKM_SAMPLE_DEVICE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

#define SAMPLE_SKIP 77
#define LAVAPIPE_ICD "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"

#define CHECK_VK(call)                                                                    \
    do {                                                                                  \
        VkResult r_ = (call);                                                             \
        if (r_ != VK_SUCCESS) {                                                           \
            fprintf(stderr, "sample: %s failed: VkResult %d (line %d)\n", #call, (int)r_, \
                    __LINE__);                                                            \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "sample: check failed: %s (line %d)\n", #cond, __LINE__); \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

static inline void
fill_pattern(void *dst, size_t size, uint32_t seed)
{
    uint32_t *w = (uint32_t *)dst;
    for (size_t i = 0; i < size / 4; i++)
        w[i] = seed ^ (uint32_t)(i * 2654435761u);
}

static inline int
pattern_matches(const void *src, size_t size, uint32_t seed)
{
    const uint32_t *w = (const uint32_t *)src;
    for (size_t i = 0; i < size / 4; i++)
        if (w[i] != (seed ^ (uint32_t)(i * 2654435761u)))
            return 0;
    return 1;
}

/* Creates the instance, picks the first physical device and creates a device with one
 * queue of family 0. Exits with SAMPLE_SKIP when there is no driver or device. */
static inline void
sample_create_device(const char *name, VkInstance *pInstance, VkPhysicalDevice *pPhysicalDevice,
                     VkDevice *pDevice)
{
    if (getenv("VK_ICD_FILENAMES") == NULL && getenv("VK_DRIVER_FILES") == NULL &&
        access(LAVAPIPE_ICD, R_OK) == 0)
        setenv("VK_ICD_FILENAMES", LAVAPIPE_ICD, 1);

    VkApplicationInfo appInfo = {VK_STRUCTURE_TYPE_APPLICATION_INFO};
    appInfo.pApplicationName = name;
    appInfo.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo instanceInfo = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    instanceInfo.pApplicationInfo = &appInfo;
    VkInstance instance = VK_NULL_HANDLE;
    VkResult res = vkCreateInstance(&instanceInfo, NULL, &instance);
    if (res == VK_ERROR_INCOMPATIBLE_DRIVER) {
        fprintf(stderr, "sample: no Vulkan driver, skipping\n");
        exit(SAMPLE_SKIP);
    }
    CHECK_VK(res);

    uint32_t deviceCount = 0;
    CHECK_VK(vkEnumeratePhysicalDevices(instance, &deviceCount, NULL));
    if (deviceCount == 0) {
        fprintf(stderr, "sample: no Vulkan device, skipping\n");
        vkDestroyInstance(instance, NULL);
        exit(SAMPLE_SKIP);
    }
    VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
    deviceCount = 1;
    res = vkEnumeratePhysicalDevices(instance, &deviceCount, &physicalDevice);
    CHECK(res == VK_SUCCESS || res == VK_INCOMPLETE);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(physicalDevice, &props);
    printf("%s: device %s\n", name, props.deviceName);

    float priority = 1.0f;
    VkDeviceQueueCreateInfo queueInfo = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queueInfo.queueFamilyIndex = 0;
    queueInfo.queueCount = 1;
    queueInfo.pQueuePriorities = &priority;
    VkDeviceCreateInfo deviceInfo = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    deviceInfo.queueCreateInfoCount = 1;
    deviceInfo.pQueueCreateInfos = &queueInfo;
    CHECK_VK(vkCreateDevice(physicalDevice, &deviceInfo, NULL, pDevice));
    *pInstance = instance;
    *pPhysicalDevice = physicalDevice;
}

/* VMA's "Quick start" allocator over that device. */
static inline VmaAllocator
sample_create_allocator(VkInstance instance, VkPhysicalDevice physicalDevice, VkDevice device)
{
    VmaVulkanFunctions vulkanFunctions;
    memset(&vulkanFunctions, 0, sizeof(vulkanFunctions));
    vulkanFunctions.vkGetInstanceProcAddr = &vkGetInstanceProcAddr;
    vulkanFunctions.vkGetDeviceProcAddr = &vkGetDeviceProcAddr;

    VmaAllocatorCreateInfo allocatorInfo;
    memset(&allocatorInfo, 0, sizeof(allocatorInfo));
    allocatorInfo.vulkanApiVersion = VK_API_VERSION_1_1;
    allocatorInfo.physicalDevice = physicalDevice;
    allocatorInfo.device = device;
    allocatorInfo.instance = instance;
    allocatorInfo.pVulkanFunctions = &vulkanFunctions;
    VmaAllocator allocator = VK_NULL_HANDLE;
    CHECK_VK(vmaCreateAllocator(&allocatorInfo, &allocator));
    return allocator;
}

#endif /* VKM_SAMPLE_DEVICE_H */
