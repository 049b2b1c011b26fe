/* SPDX-License-Identifier: MIT */
/*
 * vk_ctx.c - Vulkan instance and device for tests (see vk_ctx.h).
 *
 * Creation runs under one process-wide mutex: the loader reads the environment we may
 * have just set, and neither Lavapipe nor the validation layer promise anything about
 * concurrent instance creation. After creation nothing here writes shared state except
 * the validation error counter (atomic) and the queue lock of copy_buffer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vk_ctx.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VKM_CTX_MAX_EXTENSIONS 16

#if defined(__SANITIZE_THREAD__)
#define VKM_CTX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VKM_CTX_TSAN 1
#endif
#endif
#ifndef VKM_CTX_TSAN
#define VKM_CTX_TSAN 0
#endif

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint xvalidation_errors;

/* ---- environment ------------------------------------------------------------------- */

/* Lavapipe's manifest where Debian and most distributions put it. */
static const char *const lavapipe_manifests[] = {
    "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
    "/usr/share/vulkan/icd.d/lvp_icd.aarch64.json",
    "/usr/share/vulkan/icd.d/lvp_icd.i686.json",
    "/usr/local/share/vulkan/icd.d/lvp_icd.x86_64.json",
    "/etc/vulkan/icd.d/lvp_icd.x86_64.json",
};

/* Called under create_lock, so no other thread of ours reads the environment meanwhile. */
static void
select_driver(void)
{
    if (getenv("VK_ICD_FILENAMES") || getenv("VK_DRIVER_FILES"))
        return;
    for (size_t i = 0; i < sizeof(lavapipe_manifests) / sizeof(lavapipe_manifests[0]); i++) {
        if (access(lavapipe_manifests[i], R_OK) == 0) {
            setenv("VK_ICD_FILENAMES", lavapipe_manifests[i], 0);
            return;
        }
    }
    /* No Lavapipe: let the loader find whatever is installed. */
}

/* The loader dlcloses the driver and layers when the last instance goes. Leaks inside
 * them (Lavapipe, LLVM and the validation layer keep a few process-lifetime allocations)
 * are then reported by LeakSanitizer against "<unknown module>", which no suppression by
 * library name can match. Taking one extra reference to every object loaded so far keeps
 * them mapped to exit (and makes the next instance cheaper). Called under create_lock. */
static int
pin_one(struct dl_phdr_info *info, size_t size, void *user)
{
    (void)size;
    (void)user;
    if (info->dlpi_name && info->dlpi_name[0] == '/')
        (void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    return 0;
}

static void
pin_loaded_modules(void)
{
    dl_iterate_phdr(pin_one, NULL);
}

static int
env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return fallback;
    return atoi(v);
}

vkm_test_vk_options
vkm_test_vk_default_options(void)
{
    return (vkm_test_vk_options){
        .api_version = 0,
        .validation = true,
        .want_memory_budget = true,
        .want_memory_priority = true,
        .want_bda = true,
    };
}

/* ---- validation messages ----------------------------------------------------------- */

static VKAPI_ATTR VkBool32 VKAPI_CALL
debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
               VkDebugUtilsMessageTypeFlagsEXT types,
               const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)types;
    (void)user;
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        atomic_fetch_add_explicit(&xvalidation_errors, 1, memory_order_relaxed);
        fprintf(stderr, "VALIDATION ERROR [%s]: %s\n",
                data->pMessageIdName ? data->pMessageIdName : "?",
                data->pMessage ? data->pMessage : "");
        fflush(stderr);
    }
    return VK_FALSE;
}

uint32_t
vkm_test_validation_error_count(void)
{
    return atomic_load_explicit(&xvalidation_errors, memory_order_relaxed);
}

static const VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
    .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
    .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
    .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
    .pfnUserCallback = debug_callback,
};

/* ---- helpers ----------------------------------------------------------------------- */

static uint32_t
major_minor(uint32_t v)
{
    return VK_MAKE_API_VERSION(0, VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v), 0);
}

static uint32_t
min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static bool
has_name(const VkExtensionProperties *list, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(list[i].extensionName, name) == 0)
            return true;
    return false;
}

static bool
instance_has_layer(const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0)
        return false;
    VkLayerProperties *layers = calloc(n, sizeof(*layers));
    bool found = false;
    if (layers && vkEnumerateInstanceLayerProperties(&n, layers) >= VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(layers[i].layerName, name) == 0;
    free(layers);
    return found;
}

static VkExtensionProperties *
instance_extensions(uint32_t *count)
{
    *count = 0;
    if (vkEnumerateInstanceExtensionProperties(NULL, count, NULL) != VK_SUCCESS)
        return NULL;
    VkExtensionProperties *list = calloc(*count + 1, sizeof(*list));
    if (list && vkEnumerateInstanceExtensionProperties(NULL, count, list) < VK_SUCCESS)
        *count = 0;
    return list;
}

uint32_t
vkm_test_vk_find_memory_type(const VkPhysicalDeviceMemoryProperties *props, uint32_t type_bits,
                             VkMemoryPropertyFlags required)
{
    for (uint32_t i = 0; i < props->memoryTypeCount; i++)
        if ((type_bits & (1u << i)) && (props->memoryTypes[i].propertyFlags & required) == required)
            return i;
    return UINT32_MAX;
}

/* ---- creation ---------------------------------------------------------------------- */

static VkResult
create_instance(vkm_test_vk *ctx, const vkm_test_vk_options *opt, bool validation)
{
    uint32_t loader_version = VK_API_VERSION_1_0;
    PFN_vkEnumerateInstanceVersion enum_version =
        (PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(NULL, "vkEnumerateInstanceVersion");
    if (enum_version && enum_version(&loader_version) != VK_SUCCESS)
        loader_version = VK_API_VERSION_1_0;
    uint32_t want = opt->api_version ? opt->api_version : VK_API_VERSION_1_3;
    ctx->api_version = major_minor(min_u32(min_u32(want, loader_version), VK_API_VERSION_1_3));

    uint32_t ext_count;
    VkExtensionProperties *exts = instance_extensions(&ext_count);
    if (!exts)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    const char *enabled[VKM_CTX_MAX_EXTENSIONS];
    uint32_t n = 0;
    const char *layer = "VK_LAYER_KHRONOS_validation";
    if (validation) {
        if (!has_name(exts, ext_count, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) ||
            !instance_has_layer(layer)) {
            fprintf(stderr, "vk_ctx: validation asked for but %s or %s is missing\n", layer,
                    VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
            validation = false;
        } else {
            enabled[n++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        }
    }
    if (ctx->api_version < VK_API_VERSION_1_1 &&
        has_name(exts, ext_count, VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME))
        enabled[n++] = VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME;
    free(exts);

    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "vkmalloc-tests",
        .pEngineName = "vkmalloc",
        .apiVersion = ctx->api_version,
    };
    VkInstanceCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        /* catches errors in vkCreateInstance / vkDestroyInstance themselves */
        .pNext = validation ? &messenger_info : NULL,
        .pApplicationInfo = &app,
        .enabledLayerCount = validation ? 1u : 0u,
        .ppEnabledLayerNames = validation ? &layer : NULL,
        .enabledExtensionCount = n,
        .ppEnabledExtensionNames = enabled,
    };
    VkResult r = vkCreateInstance(&ici, NULL, &ctx->instance);
    if (r != VK_SUCCESS) {
        ctx->instance = VK_NULL_HANDLE;
        return r;
    }
    ctx->validation_enabled = validation;
    if (validation) {
        PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                ctx->instance, "vkCreateDebugUtilsMessengerEXT");
        if (!create_messenger ||
            create_messenger(ctx->instance, &messenger_info, NULL, &ctx->messenger) != VK_SUCCESS)
            fprintf(stderr, "vk_ctx: could not create the debug messenger\n");
    }
    return VK_SUCCESS;
}

static VkResult
pick_physical_device(vkm_test_vk *ctx)
{
    uint32_t n = 0;
    VkResult r = vkEnumeratePhysicalDevices(ctx->instance, &n, NULL);
    if (r != VK_SUCCESS)
        return r == VK_ERROR_INITIALIZATION_FAILED ? VK_ERROR_INCOMPATIBLE_DRIVER : r;
    if (n == 0)
        return VK_ERROR_INCOMPATIBLE_DRIVER;
    VkPhysicalDevice *devs = calloc(n, sizeof(*devs));
    if (!devs)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    r = vkEnumeratePhysicalDevices(ctx->instance, &n, devs);
    int index = env_int("VKM_TEST_DEVICE_INDEX", 0);
    if (r >= VK_SUCCESS && (index < 0 || (uint32_t)index >= n)) {
        fprintf(stderr, "vk_ctx: VKM_TEST_DEVICE_INDEX=%d but %u device(s)\n", index, n);
        r = VK_ERROR_INITIALIZATION_FAILED;
    }
    if (r >= VK_SUCCESS) {
        ctx->physical_device = devs[index];
        r = VK_SUCCESS;
    }
    free(devs);
    return r;
}

static VkResult
create_device(vkm_test_vk *ctx, const vkm_test_vk_options *opt)
{
    VkPhysicalDevice pd = ctx->physical_device;
    vkGetPhysicalDeviceProperties(pd, &ctx->props);
    vkGetPhysicalDeviceMemoryProperties(pd, &ctx->mem_props);
    ctx->api_version = major_minor(min_u32(ctx->api_version, ctx->props.apiVersion));
    const uint32_t api = ctx->api_version;

    /* queue: the first family that can at least transfer (graphics/compute imply it) */
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    VkQueueFamilyProperties *families = calloc(nq ? nq : 1, sizeof(*families));
    if (!families)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, families);
    ctx->queue_family = UINT32_MAX;
    for (uint32_t i = 0; i < nq && ctx->queue_family == UINT32_MAX; i++)
        if (families[i].queueCount > 0 &&
            (families[i].queueFlags &
             (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT)))
            ctx->queue_family = i;
    free(families);
    if (ctx->queue_family == UINT32_MAX) {
        fprintf(stderr, "vk_ctx: no queue family can transfer\n");
        return VK_ERROR_INITIALIZATION_FAILED;
    }

    uint32_t next = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &next, NULL) != VK_SUCCESS)
        return VK_ERROR_INITIALIZATION_FAILED;
    VkExtensionProperties *exts = calloc(next + 1, sizeof(*exts));
    if (!exts)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &next, exts) < VK_SUCCESS)
        next = 0;

    /* What the device could do: features through vkGetPhysicalDeviceFeatures2 (1.1 core;
     * the KHR name exists only when the instance enabled get_physical_device_properties2). */
    const bool ext_budget = has_name(exts, next, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
    const bool ext_priority = has_name(exts, next, VK_EXT_MEMORY_PRIORITY_EXTENSION_NAME);
    const bool ext_bda = has_name(exts, next, VK_KHR_BUFFER_DEVICE_ADDRESS_EXTENSION_NAME);
    const bool ext_m4 = has_name(exts, next, VK_KHR_MAINTENANCE_4_EXTENSION_NAME);
#ifdef VK_KHR_maintenance5
    const bool ext_m5 = has_name(exts, next, VK_KHR_MAINTENANCE_5_EXTENSION_NAME);
#endif
    VkPhysicalDeviceMemoryPriorityFeaturesEXT f_priority = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PRIORITY_FEATURES_EXT};
    VkPhysicalDeviceBufferDeviceAddressFeatures f_bda = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES};
    VkPhysicalDeviceMaintenance4Features f_m4 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_FEATURES};
#ifdef VK_KHR_maintenance5
    VkPhysicalDeviceMaintenance5FeaturesKHR f_m5 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_5_FEATURES_KHR};
#endif
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    void **tail = &f2.pNext;
#define CHAIN(s)           \
    do {                   \
        *tail = &(s);      \
        tail = &(s).pNext; \
    } while (0)
    const bool can_bda = api >= VK_API_VERSION_1_2 || (api >= VK_API_VERSION_1_1 && ext_bda);
    const bool can_m4 = api >= VK_API_VERSION_1_3 || (api >= VK_API_VERSION_1_1 && ext_m4);
    if (ext_priority)
        CHAIN(f_priority);
    if (can_bda)
        CHAIN(f_bda);
    if (can_m4)
        CHAIN(f_m4);
#ifdef VK_KHR_maintenance5
    /* maintenance5 needs dynamic rendering, core only from 1.3 */
    const bool can_m5 = api >= VK_API_VERSION_1_3 && ext_m5;
    if (can_m5)
        CHAIN(f_m5);
#endif
    if (api >= VK_API_VERSION_1_1)
        vkGetPhysicalDeviceFeatures2(pd, &f2);
    /* below 1.1 none of the structs above is chained except priority; query it through
     * the KHR entry point when the instance has it */
    else if (ext_priority) {
        PFN_vkGetPhysicalDeviceFeatures2KHR get2 =
            (PFN_vkGetPhysicalDeviceFeatures2KHR)vkGetInstanceProcAddr(
                ctx->instance, "vkGetPhysicalDeviceFeatures2KHR");
        if (get2)
            get2(pd, &f2);
    }

    /* What we enable: rebuild the chain with only the wanted, supported features. */
    const char *enabled[VKM_CTX_MAX_EXTENSIONS];
    uint32_t n = 0;
    void *chain = NULL;
    tail = &chain;
    if (api < VK_API_VERSION_1_1) {
        if (has_name(exts, next, VK_KHR_GET_MEMORY_REQUIREMENTS_2_EXTENSION_NAME) &&
            has_name(exts, next, VK_KHR_DEDICATED_ALLOCATION_EXTENSION_NAME)) {
            enabled[n++] = VK_KHR_GET_MEMORY_REQUIREMENTS_2_EXTENSION_NAME;
            enabled[n++] = VK_KHR_DEDICATED_ALLOCATION_EXTENSION_NAME;
            ctx->has_dedicated_allocation = true;
        }
        if (has_name(exts, next, VK_KHR_BIND_MEMORY_2_EXTENSION_NAME)) {
            enabled[n++] = VK_KHR_BIND_MEMORY_2_EXTENSION_NAME;
            ctx->has_bind_memory2 = true;
        }
    } else {
        ctx->has_dedicated_allocation = true;
        ctx->has_bind_memory2 = true;
    }
    /* memory_budget needs get_physical_device_properties2 (1.1 core or instance ext) */
    if (opt->want_memory_budget && ext_budget) {
        enabled[n++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
        ctx->has_memory_budget = true;
    }
    if (opt->want_memory_priority && ext_priority && f_priority.memoryPriority) {
        enabled[n++] = VK_EXT_MEMORY_PRIORITY_EXTENSION_NAME;
        f_priority = (VkPhysicalDeviceMemoryPriorityFeaturesEXT){
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PRIORITY_FEATURES_EXT,
            .memoryPriority = VK_TRUE};
        CHAIN(f_priority);
        ctx->has_memory_priority = true;
    }
    if (opt->want_bda && can_bda && f_bda.bufferDeviceAddress) {
        if (api < VK_API_VERSION_1_2)
            enabled[n++] = VK_KHR_BUFFER_DEVICE_ADDRESS_EXTENSION_NAME;
        f_bda = (VkPhysicalDeviceBufferDeviceAddressFeatures){
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES,
            .bufferDeviceAddress = VK_TRUE};
        CHAIN(f_bda);
        ctx->has_bda = true;
    }
    if (can_m4 && f_m4.maintenance4) {
        if (api < VK_API_VERSION_1_3)
            enabled[n++] = VK_KHR_MAINTENANCE_4_EXTENSION_NAME;
        f_m4 = (VkPhysicalDeviceMaintenance4Features){
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_FEATURES,
            .maintenance4 = VK_TRUE};
        CHAIN(f_m4);
        ctx->has_maintenance4 = true;
    }
#ifdef VK_KHR_maintenance5
    if (can_m5 && f_m5.maintenance5) {
        enabled[n++] = VK_KHR_MAINTENANCE_5_EXTENSION_NAME;
        f_m5 = (VkPhysicalDeviceMaintenance5FeaturesKHR){
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_5_FEATURES_KHR,
            .maintenance5 = VK_TRUE};
        CHAIN(f_m5);
        ctx->has_maintenance5 = true;
    }
#endif
#undef CHAIN
    free(exts);

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = ctx->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = chain,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qci,
        .enabledExtensionCount = n,
        .ppEnabledExtensionNames = enabled,
    };
    VkResult r = vkCreateDevice(pd, &dci, NULL, &ctx->device);
    if (r != VK_SUCCESS) {
        ctx->device = VK_NULL_HANDLE;
        return r;
    }
    vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    return VK_SUCCESS;
}

static void
destroy_locked(vkm_test_vk *ctx)
{
    if (ctx->device) {
        vkDeviceWaitIdle(ctx->device);
        vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                ctx->instance, "vkDestroyDebugUtilsMessengerEXT");
        if (destroy_messenger)
            destroy_messenger(ctx->instance, ctx->messenger, NULL);
    }
    if (ctx->instance)
        vkDestroyInstance(ctx->instance, NULL);
    memset(ctx, 0, sizeof(*ctx));
}

VkResult
vkm_test_vk_create(vkm_test_vk *ctx, const vkm_test_vk_options *opt)
{
    vkm_test_vk_options defaults = vkm_test_vk_default_options();
    if (!opt)
        opt = &defaults;
    memset(ctx, 0, sizeof(*ctx));

    pthread_mutex_lock(&create_lock);
    select_driver();
    /* Under TSan the layer is off unless the environment asks: its queue-tracking thread
     * (1.3.239) frees a fence's state while that thread still unlocks its rwlock, which
     * TSan reports against our vkDestroyFence (seen 1 run in 3 of test_vk_sim). */
    bool validation = !VKM_CTX_TSAN && opt->validation;
    validation = env_int("VKM_TEST_VALIDATION", validation ? 1 : 0) != 0;
    VkResult r = create_instance(ctx, opt, validation);
    if (r == VK_SUCCESS) {
        pin_loaded_modules();
        r = pick_physical_device(ctx);
    }
    if (r == VK_SUCCESS)
        r = create_device(ctx, opt);
    if (r == VK_SUCCESS)
        pin_loaded_modules();
    if (r != VK_SUCCESS)
        destroy_locked(ctx);
    pthread_mutex_unlock(&create_lock);
    return r;
}

void
vkm_test_vk_destroy(vkm_test_vk *ctx)
{
    if (!ctx)
        return;
    pthread_mutex_lock(&create_lock);
    destroy_locked(ctx);
    pthread_mutex_unlock(&create_lock);
}

static VkResult probe_result;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void
probe(void)
{
    vkm_test_vk ctx;
    vkm_test_vk_options opt = vkm_test_vk_default_options();
    opt.validation = false;
    probe_result = vkm_test_vk_create(&ctx, &opt);
    if (probe_result == VK_SUCCESS)
        vkm_test_vk_destroy(&ctx);
}

VkResult
vkm_test_vk_probe(void)
{
    pthread_once(&probe_once, probe); /* publishes probe_result to every caller */
    return probe_result;
}

/* ---- VMA glue ---------------------------------------------------------------------- */

void
vkm_test_vk_fill_functions(const vkm_test_vk *ctx, VmaVulkanFunctions *out)
{
    memset(out, 0, sizeof(*out));
    const bool v11 = ctx->api_version >= VK_API_VERSION_1_1;
    const bool v13 = ctx->api_version >= VK_API_VERSION_1_3;
    VkInstance in = ctx->instance;
    VkDevice dev = ctx->device;
    PFN_vkGetDeviceProcAddr gdpa =
        (PFN_vkGetDeviceProcAddr)vkGetInstanceProcAddr(in, "vkGetDeviceProcAddr");
#define INST(member, name) out->member = (void *)vkGetInstanceProcAddr(in, name)
#define DEV(member, name) out->member = (void *)gdpa(dev, name)
    out->vkGetInstanceProcAddr = vkGetInstanceProcAddr;
    out->vkGetDeviceProcAddr = gdpa;
    INST(vkGetPhysicalDeviceProperties, "vkGetPhysicalDeviceProperties");
    INST(vkGetPhysicalDeviceMemoryProperties, "vkGetPhysicalDeviceMemoryProperties");
    DEV(vkAllocateMemory, "vkAllocateMemory");
    DEV(vkFreeMemory, "vkFreeMemory");
    DEV(vkMapMemory, "vkMapMemory");
    DEV(vkUnmapMemory, "vkUnmapMemory");
    DEV(vkFlushMappedMemoryRanges, "vkFlushMappedMemoryRanges");
    DEV(vkInvalidateMappedMemoryRanges, "vkInvalidateMappedMemoryRanges");
    DEV(vkBindBufferMemory, "vkBindBufferMemory");
    DEV(vkBindImageMemory, "vkBindImageMemory");
    DEV(vkGetBufferMemoryRequirements, "vkGetBufferMemoryRequirements");
    DEV(vkGetImageMemoryRequirements, "vkGetImageMemoryRequirements");
    DEV(vkCreateBuffer, "vkCreateBuffer");
    DEV(vkDestroyBuffer, "vkDestroyBuffer");
    DEV(vkCreateImage, "vkCreateImage");
    DEV(vkDestroyImage, "vkDestroyImage");
    DEV(vkCmdCopyBuffer, "vkCmdCopyBuffer");
    if (v11) {
        DEV(vkGetBufferMemoryRequirements2KHR, "vkGetBufferMemoryRequirements2");
        DEV(vkGetImageMemoryRequirements2KHR, "vkGetImageMemoryRequirements2");
        DEV(vkBindBufferMemory2KHR, "vkBindBufferMemory2");
        DEV(vkBindImageMemory2KHR, "vkBindImageMemory2");
        INST(vkGetPhysicalDeviceMemoryProperties2KHR, "vkGetPhysicalDeviceMemoryProperties2");
    } else {
        if (ctx->has_dedicated_allocation) {
            DEV(vkGetBufferMemoryRequirements2KHR, "vkGetBufferMemoryRequirements2KHR");
            DEV(vkGetImageMemoryRequirements2KHR, "vkGetImageMemoryRequirements2KHR");
        }
        if (ctx->has_bind_memory2) {
            DEV(vkBindBufferMemory2KHR, "vkBindBufferMemory2KHR");
            DEV(vkBindImageMemory2KHR, "vkBindImageMemory2KHR");
        }
        INST(vkGetPhysicalDeviceMemoryProperties2KHR, "vkGetPhysicalDeviceMemoryProperties2KHR");
    }
    if (v13) {
        DEV(vkGetDeviceBufferMemoryRequirements, "vkGetDeviceBufferMemoryRequirements");
        DEV(vkGetDeviceImageMemoryRequirements, "vkGetDeviceImageMemoryRequirements");
    } else if (ctx->has_maintenance4) {
        DEV(vkGetDeviceBufferMemoryRequirements, "vkGetDeviceBufferMemoryRequirementsKHR");
        DEV(vkGetDeviceImageMemoryRequirements, "vkGetDeviceImageMemoryRequirementsKHR");
    }
#undef INST
#undef DEV
}

void
vkm_test_vk_fill_allocator_info(const vkm_test_vk *ctx, VmaAllocatorCreateInfo *ci)
{
    VmaAllocatorCreateFlags f = 0;
    if (ctx->api_version < VK_API_VERSION_1_1) {
        if (ctx->has_dedicated_allocation)
            f |= VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT;
        if (ctx->has_bind_memory2)
            f |= VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT;
    }
    if (ctx->has_memory_budget)
        f |= VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT;
    if (ctx->has_memory_priority)
        f |= VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT;
    if (ctx->has_bda)
        f |= VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT;
    if (ctx->has_maintenance4)
        f |= VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT;
    if (ctx->has_maintenance5)
        f |= VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT;
    ci->flags = (ci->flags & ~(VmaAllocatorCreateFlags)VKM_TEST_VK_EXTENSION_FLAGS) | f;
    ci->instance = ctx->instance;
    ci->physicalDevice = ctx->physical_device;
    ci->device = ctx->device;
    ci->vulkanApiVersion = ctx->api_version;
}

/* ---- one-shot commands ------------------------------------------------------------- */

VkResult
vkm_test_vk_copy_buffer(const vkm_test_vk *ctx, VkBuffer src, VkBuffer dst, VkDeviceSize src_off,
                        VkDeviceSize dst_off, VkDeviceSize size)
{
    VkCommandPool pool = VK_NULL_HANDLE;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    VkCommandPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
        .queueFamilyIndex = ctx->queue_family,
    };
    VkResult r = vkCreateCommandPool(ctx->device, &pci, NULL, &pool);
    if (r != VK_SUCCESS)
        return r;
    VkCommandBufferAllocateInfo cai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    r = vkAllocateCommandBuffers(ctx->device, &cai, &cmd);
    if (r != VK_SUCCESS)
        goto fail_pool;
    VkCommandBufferBeginInfo begin = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    r = vkBeginCommandBuffer(cmd, &begin);
    if (r != VK_SUCCESS)
        goto fail_pool;
    VkBufferCopy region = {.srcOffset = src_off, .dstOffset = dst_off, .size = size};
    vkCmdCopyBuffer(cmd, src, dst, 1, &region);
    /* Host writes before the submit are visible to the copy (submission is a host-write
     * memory dependency); the copy's writes need a barrier to reach host reads. */
    VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
    };
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &barrier, 0, NULL, 0, NULL);
    r = vkEndCommandBuffer(cmd);
    if (r != VK_SUCCESS)
        goto fail_pool;
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    r = vkCreateFence(ctx->device, &fci, NULL, &fence);
    if (r != VK_SUCCESS)
        goto fail_pool;
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &cmd,
    };
    pthread_mutex_lock(&queue_lock);
    r = vkQueueSubmit(ctx->queue, 1, &submit, fence);
    pthread_mutex_unlock(&queue_lock);
    if (r == VK_SUCCESS)
        r = vkWaitForFences(ctx->device, 1, &fence, VK_TRUE, UINT64_MAX);
    vkDestroyFence(ctx->device, fence, NULL);
fail_pool:
    vkDestroyCommandPool(ctx->device, pool, NULL); /* frees cmd */
    return r;
}

VkImageCreateInfo
vkm_test_image_info(uint32_t w, uint32_t h, VkImageTiling tiling, VkImageUsageFlags usage)
{
    return (VkImageCreateInfo){
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = VK_FORMAT_R8G8B8A8_UNORM,
        .extent = {w, h, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = tiling,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = tiling == VK_IMAGE_TILING_LINEAR ? VK_IMAGE_LAYOUT_PREINITIALIZED
                                                          : VK_IMAGE_LAYOUT_UNDEFINED,
    };
}
