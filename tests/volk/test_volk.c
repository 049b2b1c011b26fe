/* SPDX-License-Identifier: MIT */
/*
 * test_volk.c - a program that loads Vulkan with volk and gives vkmalloc its functions
 * through vmaImportVulkanFunctionsFromVolk, as VMA documents it.
 *
 * Stand-alone on purpose: volk defines every Vulkan entry point as a variable of the
 * program, so nothing in this executable may call the loader's functions by name (the
 * shared test support does). It links volk (compiled in from Debian's
 * libvulkan-volk-dev), libvkmalloc, and nothing else of Vulkan. Checks: the imported
 * table holds volk's own pointers (instance level: volk's globals; device level: what
 * volkLoadDevice installed), members the API version does not need are null, an
 * allocator made with it allocates, maps and frees; the library's exported
 * vmaImportVulkanFunctionsFromVolk symbol (the loader path) gives the same device-level
 * table; a null volk getter is refused. Exit 0 pass, 1 fail, 77 no Vulkan driver.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "volk.h"
/* After volk.h: the header then defines vmaImportVulkanFunctionsFromVolk. */
#include "vk_mem_alloc.h"
#include "vkmalloc.h"

static int failures;
static int asserts;

static void
count_assert(const char *message, const char *expression, const char *file, int line, void *user)
{
    (void)message, (void)expression, (void)file, (void)line, (void)user;
    asserts++;
}

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

static void
use_lavapipe_unless_told(void)
{
    static const char *const manifests[] = {
        "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
        "/usr/share/vulkan/icd.d/lvp_icd.aarch64.json",
    };
    if (getenv("VK_ICD_FILENAMES") != NULL || getenv("VK_DRIVER_FILES") != NULL)
        return;
    for (size_t i = 0; i < sizeof manifests / sizeof manifests[0]; i++) {
        FILE *f = fopen(manifests[i], "r");
        if (f != NULL) {
            fclose(f);
            setenv("VK_ICD_FILENAMES", manifests[i], 0);
            return;
        }
    }
}

/* The loader unloads the driver with the last instance; LeakSanitizer then reports the
 * driver's process-lifetime allocations against "<unknown module>", which the
 * suppressions cannot name. One more reference to every loaded object keeps them mapped
 * (as tests/support/vk_ctx.c does). */
static int
pin_one(struct dl_phdr_info *info, size_t size, void *user)
{
    (void)size, (void)user;
    if (info->dlpi_name && info->dlpi_name[0] == '/')
        (void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    return 0;
}

/* One allocator made from `fns`: a mapped host-visible buffer, written and read back. */
static void
allocate_with(const VmaAllocatorCreateInfo *base, const VmaVulkanFunctions *fns)
{
    VmaAllocatorCreateInfo ci = *base;
    ci.pVulkanFunctions = fns;
    VmaAllocator a = VK_NULL_HANDLE;
    CHECK(vmaCreateAllocator(&ci, &a) == VK_SUCCESS);
    if (a == VK_NULL_HANDLE)
        return;
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = 65536,
                              .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT};
    VmaAllocationCreateInfo aci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                   .flags = VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT |
                                            VMA_ALLOCATION_CREATE_MAPPED_BIT};
    VkBuffer b = VK_NULL_HANDLE;
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    CHECK(vmaCreateBuffer(a, &bci, &aci, &b, &x, &info) == VK_SUCCESS);
    if (x != VK_NULL_HANDLE) {
        CHECK(info.pMappedData != NULL && info.size >= 65536);
        if (info.pMappedData != NULL) {
            memset(info.pMappedData, 0x5a, 65536);
            CHECK(((unsigned char *)info.pMappedData)[65535] == 0x5a);
        }
        vmaDestroyBuffer(a, b, x);
    }
    vmaDestroyAllocator(a);
}

int
main(void)
{
    use_lavapipe_unless_told();
    if (volkInitialize() != VK_SUCCESS) {
        fprintf(stderr, "test_volk: no Vulkan loader, skipped\n");
        return 77;
    }
    const uint32_t api = VK_API_VERSION_1_1;
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = api};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    VkInstance instance = VK_NULL_HANDLE;
    if (vkCreateInstance(&ici, NULL, &instance) != VK_SUCCESS) {
        fprintf(stderr, "test_volk: no Vulkan driver, skipped\n");
        return 77;
    }
    volkLoadInstance(instance);
    dl_iterate_phdr(pin_one, NULL);
    uint32_t n = 1;
    VkPhysicalDevice pd = VK_NULL_HANDLE;
    if (vkEnumeratePhysicalDevices(instance, &n, &pd) < 0 || n == 0) {
        vkDestroyInstance(instance, NULL);
        fprintf(stderr, "test_volk: no physical device, skipped\n");
        return 77;
    }
    float prio = 1.0f;
    VkDeviceQueueCreateInfo q = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                 .queueFamilyIndex = 0,
                                 .queueCount = 1,
                                 .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &q};
    VkDevice device = VK_NULL_HANDLE;
    if (vkCreateDevice(pd, &dci, NULL, &device) != VK_SUCCESS) {
        vkDestroyInstance(instance, NULL);
        fprintf(stderr, "test_volk: no device, skipped\n");
        return 77;
    }
    volkLoadDevice(device);

    VmaAllocatorCreateInfo ci = {
        .physicalDevice = pd, .device = device, .instance = instance, .vulkanApiVersion = api};
    VmaVulkanFunctions fns;
    memset(&fns, 0xcd, sizeof fns);
    CHECK(vmaImportVulkanFunctionsFromVolk(&ci, &fns) == VK_SUCCESS);
    /* volk's own pointers: instance-level globals and the device-level ones
     * volkLoadDevice installed for this device. */
    CHECK(fns.vkGetInstanceProcAddr == vkGetInstanceProcAddr);
    CHECK(fns.vkGetDeviceProcAddr == vkGetDeviceProcAddr);
    CHECK(fns.vkGetPhysicalDeviceProperties == vkGetPhysicalDeviceProperties);
    CHECK(fns.vkGetPhysicalDeviceMemoryProperties == vkGetPhysicalDeviceMemoryProperties);
    CHECK(fns.vkAllocateMemory == vkAllocateMemory);
    CHECK(fns.vkFreeMemory == vkFreeMemory);
    CHECK(fns.vkMapMemory == vkMapMemory);
    CHECK(fns.vkBindBufferMemory == vkBindBufferMemory);
    CHECK(fns.vkCreateImage == vkCreateImage);
    CHECK(fns.vkCmdCopyBuffer == vkCmdCopyBuffer);
    /* Vulkan 1.1: the core names of the *2 functions. */
    CHECK(fns.vkBindBufferMemory2KHR == vkBindBufferMemory2);
    CHECK(fns.vkGetImageMemoryRequirements2KHR == vkGetImageMemoryRequirements2);
    CHECK(fns.vkGetPhysicalDeviceMemoryProperties2KHR != NULL);
    /* 1.3 functions are not asked for on a 1.1 allocator (memset left 0xcd otherwise). */
    CHECK(fns.vkGetDeviceBufferMemoryRequirements == NULL);
    CHECK(fns.vkGetDeviceImageMemoryRequirements == NULL);
    allocate_with(&ci, &fns);

    /* Vulkan 1.0 without extension flags: no *2 functions at all. */
    VmaAllocatorCreateInfo ci10 = ci;
    ci10.vulkanApiVersion = VK_API_VERSION_1_0;
    VmaVulkanFunctions fns10;
    memset(&fns10, 0xcd, sizeof fns10);
    CHECK(vmaImportVulkanFunctionsFromVolk(&ci10, &fns10) == VK_SUCCESS);
    CHECK(fns10.vkBindBufferMemory2KHR == NULL);
    CHECK(fns10.vkGetBufferMemoryRequirements2KHR == NULL);
    CHECK(fns10.vkAllocateMemory == vkAllocateMemory);
    allocate_with(&ci10, &fns10);

    /* The library's exported symbol fetches through the loader: same device functions. */
    typedef VkResult (*import_fn)(const VmaAllocatorCreateInfo *, VmaVulkanFunctions *);
    void *sym = dlsym(RTLD_DEFAULT, "vmaImportVulkanFunctionsFromVolk");
    CHECK(sym != NULL);
    if (sym != NULL) {
        import_fn exported;
        memcpy(&exported, &sym, sizeof exported);
        VmaVulkanFunctions viaLoader;
        CHECK(exported(&ci, &viaLoader) == VK_SUCCESS);
        CHECK(viaLoader.vkAllocateMemory == fns.vkAllocateMemory);
        CHECK(viaLoader.vkBindImageMemory2KHR == fns.vkBindImageMemory2KHR);
        allocate_with(&ci, &viaLoader);
    }

    /* Bad input: a null getter (volk not initialised) or device is refused (debug builds
     * also report it to the assert handler). */
    vkmSetAssertHandler(count_assert, NULL);
    VmaVulkanFunctions none;
    CHECK(vkmImportVulkanFunctions(&ci, NULL, NULL, &none) == VK_ERROR_INITIALIZATION_FAILED);
    VmaAllocatorCreateInfo nodev = ci;
    nodev.device = VK_NULL_HANDLE;
    CHECK(vmaImportVulkanFunctionsFromVolk(&nodev, &none) == VK_ERROR_INITIALIZATION_FAILED);
    CHECK(none.vkAllocateMemory == NULL);
    vkmSetAssertHandler(NULL, NULL);
#ifndef NDEBUG
    CHECK(asserts == 2);
#else
    CHECK(asserts == 0);
#endif

    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    if (failures != 0) {
        fprintf(stderr, "test_volk: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_volk: passed\n");
    return 0;
}
