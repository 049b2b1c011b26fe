/* SPDX-License-Identifier: MIT */
/*
 * test_vk_sim.c - the test-support Vulkan context (vk_ctx) and the simulated-GPU wrapper
 * (vk_sim) tested on their own, through raw Vulkan calls: the allocator is not involved.
 * Every case ends by checking that no validation error and no unexpected sim violation
 * was reported. Without a Vulkan driver the program exits 77 before running any case
 * (and each Vulkan case would skip on its own if run through the harness alone).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "json_mini.h"
#include "test.h"
#include "vk_ctx.h"
#include "vk_sim.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

typedef struct fixture {
    vkm_test_vk ctx;
    vkm_sim *sim;
    VmaVulkanFunctions fn;
    uint32_t validation_errors_before;
    uint32_t violations_expected;
} fixture;

static VkResult
fixture_open(fixture *f, const char *layout)
{
    memset(f, 0, sizeof(*f));
    f->validation_errors_before = vkm_test_validation_error_count();
    VkResult r = vkm_test_vk_create(&f->ctx, NULL);
    if (r != VK_SUCCESS)
        return r;
    r = vkm_sim_create(&f->ctx, layout, &f->sim);
    if (r != VK_SUCCESS) {
        vkm_test_vk_destroy(&f->ctx);
        return r;
    }
    vkm_sim_fill_functions(f->sim, &f->fn);
    return VK_SUCCESS;
}

#define SETUP(f, layout)                                 \
    do {                                                 \
        VkResult setup_r_ = fixture_open((f), (layout)); \
        if (setup_r_ == VK_ERROR_INCOMPATIBLE_DRIVER)    \
            TEST_SKIP("no Vulkan driver");               \
        ASSERT_VK_OK(setup_r_);                          \
    } while (0)

static void
fixture_close(fixture *f)
{
    EXPECT_EQ(vkm_sim_live_memory_count(f->sim), 0);
    EXPECT_EQ(vkm_sim_violation_count(f->sim), f->violations_expected);
    vkm_sim_destroy(f->sim);
    vkm_test_vk_destroy(&f->ctx);
    EXPECT_EQ(vkm_test_validation_error_count(), f->validation_errors_before);
}

static VkResult
alloc(fixture *f, uint32_t type, VkDeviceSize size, VkDeviceMemory *mem)
{
    VkMemoryAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = size,
        .memoryTypeIndex = type,
    };
    return f->fn.vkAllocateMemory(f->ctx.device, &ai, NULL, mem);
}

static void
free_mem(fixture *f, VkDeviceMemory mem)
{
    f->fn.vkFreeMemory(f->ctx.device, mem, NULL);
}

static VkResult
create_buffer(fixture *f, VkDeviceSize size, VkBufferUsageFlags usage, VkBuffer *buf)
{
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    return f->fn.vkCreateBuffer(f->ctx.device, &bci, NULL, buf);
}

static VkResult
create_image(fixture *f, VkImageTiling tiling, VkImage *img)
{
    const VkImageCreateInfo ici = vkm_test_image_info(
        64, 64, tiling, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    return f->fn.vkCreateImage(f->ctx.device, &ici, NULL, img);
}

/* A layout file of our own, with a 1 MiB heap so enforcement costs nothing to test. */
static void
write_tiny_layout(char *path, size_t len)
{
    snprintf(path, len, "/tmp/vkm-tiny-layout-XXXXXX.json");
    int fd = mkstemps(path, 5);
    ASSERT_GE(fd, 0);
    FILE *fp = fdopen(fd, "w");
    ASSERT_TRUE(fp != NULL);
    fputs("{\"name\": \"tiny\", \"bufferImageGranularity\": 256, \"nonCoherentAtomSize\": 128,\n"
          " \"maxMemoryAllocationCount\": 8, \"extensions\": [\"VK_EXT_memory_budget\"],\n"
          " \"heaps\": [{\"size\": 1048576, \"flags\": [\"DEVICE_LOCAL\"]},\n"
          "           {\"size\": 2097152, \"flags\": []}],\n"
          " \"types\": [{\"heap\": 0, \"flags\": [\"DEVICE_LOCAL\"]},\n"
          "           {\"heap\": 1, \"flags\": [\"HOST_VISIBLE\", \"HOST_COHERENT\"]}]}\n",
          fp);
    fclose(fp);
}

/* ---- json_mini ---------------------------------------------------------------------- */

TEST(json_mini_reads_numbers_strings_and_nesting_exactly)
{
    const char *text = "{\"a\": [1, 2.5, -3, 150754820096, 18446744073709551615],"
                       " \"s\": \"x\\u00e9\\n\\\"\", \"t\": true, \"f\": false, \"n\": null,"
                       " \"o\": {\"k\": []}}";
    char err[128];
    vkm_json *root = vkm_json_parse(text, strlen(text), err, sizeof(err));
    ASSERT_TRUE(root != NULL);
    const vkm_json *a = vkm_json_get(root, "a");
    ASSERT_TRUE(a != NULL);
    EXPECT_EQ(a->count, 5);
    uint64_t v = 0;
    EXPECT_TRUE(vkm_json_get_u64(vkm_json_at(a, 0), &v));
    EXPECT_EQ_U64(v, 1);
    EXPECT_FALSE(vkm_json_get_u64(vkm_json_at(a, 1), &v)); /* 2.5 */
    EXPECT_TRUE(vkm_json_at(a, 1)->number == 2.5);
    EXPECT_FALSE(vkm_json_get_u64(vkm_json_at(a, 2), &v)); /* negative */
    EXPECT_TRUE(vkm_json_get_u64(vkm_json_at(a, 3), &v));
    EXPECT_EQ_U64(v, 150754820096ull);
    EXPECT_TRUE(vkm_json_get_u64(vkm_json_at(a, 4), &v));
    EXPECT_EQ_U64(v, UINT64_MAX);
    const char *s = NULL;
    EXPECT_TRUE(vkm_json_get_string(vkm_json_get(root, "s"), &s));
    EXPECT_STREQ(s, "x\xc3\xa9\n\"");
    EXPECT_TRUE(vkm_json_get(root, "t")->boolean);
    EXPECT_FALSE(vkm_json_get(root, "f")->boolean);
    EXPECT_EQ(vkm_json_get(root, "n")->type, VKM_JSON_NULL);
    EXPECT_EQ(vkm_json_get(vkm_json_get(root, "o"), "k")->type, VKM_JSON_ARRAY);
    EXPECT_TRUE(vkm_json_get(root, "missing") == NULL);
    vkm_json_free(root);
}

TEST(json_mini_rejects_malformed_input_with_a_message)
{
    const char *bad[] = {"",      "{",     "[1,]",        "{\"a\" 1}", "[01]",
                         "\"abc", "[1] x", "{\"a\":tru}", "[\"\\q\"]", "[1e]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[128] = "";
        vkm_json *root = vkm_json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
        EXPECT_TRUE(root == NULL);
        EXPECT_TRUE(err[0] != '\0');
        vkm_json_free(root);
    }
}

/* ---- vk_ctx ------------------------------------------------------------------------- */

TEST(vk_ctx_fills_every_function_and_allocator_field)
{
    vkm_test_vk ctx;
    VkResult r = vkm_test_vk_create(&ctx, NULL);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    VmaVulkanFunctions fn;
    vkm_test_vk_fill_functions(&ctx, &fn);
    EXPECT_TRUE(fn.vkGetInstanceProcAddr && fn.vkGetDeviceProcAddr);
    EXPECT_TRUE(fn.vkGetPhysicalDeviceProperties && fn.vkGetPhysicalDeviceMemoryProperties);
    EXPECT_TRUE(fn.vkAllocateMemory && fn.vkFreeMemory && fn.vkMapMemory && fn.vkUnmapMemory);
    EXPECT_TRUE(fn.vkFlushMappedMemoryRanges && fn.vkInvalidateMappedMemoryRanges);
    EXPECT_TRUE(fn.vkBindBufferMemory && fn.vkBindImageMemory);
    EXPECT_TRUE(fn.vkGetBufferMemoryRequirements && fn.vkGetImageMemoryRequirements);
    EXPECT_TRUE(fn.vkCreateBuffer && fn.vkDestroyBuffer && fn.vkCreateImage && fn.vkDestroyImage &&
                fn.vkCmdCopyBuffer);
    if (ctx.api_version >= VK_API_VERSION_1_1) {
        EXPECT_TRUE(fn.vkGetBufferMemoryRequirements2KHR && fn.vkGetImageMemoryRequirements2KHR);
        EXPECT_TRUE(fn.vkBindBufferMemory2KHR && fn.vkBindImageMemory2KHR);
        EXPECT_TRUE(fn.vkGetPhysicalDeviceMemoryProperties2KHR);
    }
    EXPECT_EQ(fn.vkGetDeviceBufferMemoryRequirements != NULL, ctx.has_maintenance4);
    EXPECT_EQ(fn.vkGetDeviceImageMemoryRequirements != NULL, ctx.has_maintenance4);

    VmaAllocatorCreateInfo ci = {.flags = VMA_ALLOCATOR_CREATE_EXTERNALLY_SYNCHRONIZED_BIT |
                                          VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT,
                                 .preferredLargeHeapBlockSize = 12345};
    vkm_test_vk_fill_allocator_info(&ctx, &ci);
    EXPECT_TRUE(ci.instance == ctx.instance && ci.device == ctx.device &&
                ci.physicalDevice == ctx.physical_device);
    EXPECT_EQ(ci.vulkanApiVersion, ctx.api_version);
    EXPECT_EQ_U64(ci.preferredLargeHeapBlockSize, 12345);
    EXPECT_TRUE(ci.flags & VMA_ALLOCATOR_CREATE_EXTERNALLY_SYNCHRONIZED_BIT);
    EXPECT_EQ((ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT) != 0,
              ctx.has_memory_priority);
    EXPECT_EQ((ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT) != 0, ctx.has_memory_budget);
    EXPECT_EQ((ci.flags & VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT) != 0, ctx.has_bda);
    EXPECT_EQ((ci.flags & VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT) != 0, ctx.has_maintenance4);
    EXPECT_TRUE(ci.pVulkanFunctions == NULL);
    vkm_test_vk_destroy(&ctx);
    EXPECT_TRUE(ctx.device == VK_NULL_HANDLE);
}

TEST(vk_ctx_honours_api_version_option)
{
    vkm_test_vk ctx;
    vkm_test_vk_options o = vkm_test_vk_default_options();
    o.api_version = VK_API_VERSION_1_1;
    VkResult r = vkm_test_vk_create(&ctx, &o);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    EXPECT_EQ(ctx.api_version, VK_API_VERSION_1_1);
    EXPECT_TRUE(ctx.has_dedicated_allocation && ctx.has_bind_memory2);
    VmaVulkanFunctions fn;
    vkm_test_vk_fill_functions(&ctx, &fn);
    EXPECT_TRUE(fn.vkGetBufferMemoryRequirements2KHR != NULL);
    vkm_test_vk_destroy(&ctx);
}

typedef struct ctx_thread {
    VkResult result;
    uint32_t heaps;
} ctx_thread;

static void *
create_ctx_thread(void *p)
{
    ctx_thread *t = p;
    for (int i = 0; i < 3; i++) {
        vkm_test_vk ctx;
        t->result = vkm_test_vk_create(&ctx, NULL);
        if (t->result != VK_SUCCESS)
            return NULL;
        t->heaps = ctx.mem_props.memoryHeapCount;
        vkm_test_vk_destroy(&ctx);
    }
    return NULL;
}

TEST(vk_ctx_contexts_can_be_created_from_several_threads)
{
    pthread_t th[3];
    ctx_thread t[3];
    memset(t, 0, sizeof(t));
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, create_ctx_thread, &t[i]), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    if (t[0].result == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    for (int i = 0; i < 3; i++) {
        EXPECT_VK(VK_SUCCESS, t[i].result);
        EXPECT_GT(t[i].heaps, 0);
    }
}

TEST(vk_ctx_copy_buffer_moves_bytes_on_the_gpu)
{
    fixture f;
    SETUP(&f, NULL);
    VkBuffer src, dst;
    ASSERT_VK_OK(create_buffer(&f, 4096, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, &src));
    ASSERT_VK_OK(create_buffer(&f, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT, &dst));
    VkMemoryRequirements req;
    f.fn.vkGetBufferMemoryRequirements(f.ctx.device, src, &req);
    uint32_t type = vkm_test_vk_find_memory_type(
        vkm_sim_memory_properties(f.sim), req.memoryTypeBits,
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    ASSERT_NE(type, UINT32_MAX);
    VkDeviceMemory mem;
    ASSERT_VK_OK(alloc(&f, type, 3 * 4096, &mem));
    ASSERT_VK_OK(f.fn.vkBindBufferMemory(f.ctx.device, src, mem, 0));
    ASSERT_VK_OK(f.fn.vkBindBufferMemory(f.ctx.device, dst, mem, 8192));
    uint8_t *p;
    ASSERT_VK_OK(f.fn.vkMapMemory(f.ctx.device, mem, 0, VK_WHOLE_SIZE, 0, (void **)&p));
    for (int i = 0; i < 4096; i++) {
        p[i] = (uint8_t)(i * 7);
        p[8192 + i] = 0;
    }
    ASSERT_VK_OK(vkm_test_vk_copy_buffer(&f.ctx, src, dst, 16, 32, 1000));
    EXPECT_EQ(p[8192 + 31], 0);
    EXPECT_EQ(p[8192 + 32], (uint8_t)(16 * 7));
    EXPECT_EQ(p[8192 + 32 + 999], (uint8_t)((16 + 999) * 7));
    EXPECT_EQ(p[8192 + 32 + 1000], 0);
    f.fn.vkUnmapMemory(f.ctx.device, mem);
    f.fn.vkDestroyBuffer(f.ctx.device, src, NULL);
    f.fn.vkDestroyBuffer(f.ctx.device, dst, NULL);
    free_mem(&f, mem);
    fixture_close(&f);
}

/* ---- layouts ------------------------------------------------------------------------ */

typedef struct layout_expect {
    const char *name;
    uint32_t heaps, types;
    VkDeviceSize granularity;
    uint32_t max_allocations;
    VkPhysicalDeviceType device_type;
    bool budget, priority;
} layout_expect;

static const layout_expect layouts[] = {
    {"lavapipe", 1, 1, 64, UINT32_MAX, VK_PHYSICAL_DEVICE_TYPE_CPU, false, false},
    {"amd-discrete-bar256", 3, 4, 1, 4096, VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, true, true},
    {"intel-igpu-nonllc", 1, 2, 1, UINT32_MAX, VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, true, false},
    {"nvidia-h200", 2, 5, 1024, UINT32_MAX, VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, true, true},
};

TEST(sim_reports_each_layouts_heaps_types_and_limits)
{
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        const layout_expect *e = &layouts[i];
        fixture f;
        SETUP(&f, e->name);
        EXPECT_STREQ(vkm_sim_layout_name(f.sim), e->name);
        VkPhysicalDeviceMemoryProperties mp;
        f.fn.vkGetPhysicalDeviceMemoryProperties(f.ctx.physical_device, &mp);
        EXPECT_EQ(mp.memoryHeapCount, e->heaps);
        EXPECT_EQ(mp.memoryTypeCount, e->types);
        VkPhysicalDeviceMemoryProperties2 mp2 = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2};
        f.fn.vkGetPhysicalDeviceMemoryProperties2KHR(f.ctx.physical_device, &mp2);
        EXPECT_EQ(memcmp(&mp, &mp2.memoryProperties, sizeof(mp)), 0);
        EXPECT_EQ(memcmp(&mp, vkm_sim_memory_properties(f.sim), sizeof(mp)), 0);
        VkPhysicalDeviceProperties props;
        f.fn.vkGetPhysicalDeviceProperties(f.ctx.physical_device, &props);
        EXPECT_EQ_U64(props.limits.bufferImageGranularity, e->granularity);
        EXPECT_EQ_U64(vkm_sim_buffer_image_granularity(f.sim), e->granularity);
        EXPECT_EQ_U64(props.limits.nonCoherentAtomSize, 64);
        EXPECT_EQ_U64(props.limits.maxMemoryAllocationCount, e->max_allocations);
        EXPECT_EQ(props.deviceType, e->device_type);
        VmaAllocatorCreateInfo ci = {0};
        vkm_sim_fill_allocator_info(f.sim, &ci);
        EXPECT_EQ((ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT) != 0, e->budget);
        EXPECT_EQ((ci.flags & VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT) != 0, e->priority);
        EXPECT_TRUE(ci.pVulkanFunctions != NULL);
        EXPECT_TRUE(ci.pVulkanFunctions->vkAllocateMemory == f.fn.vkAllocateMemory);
        EXPECT_TRUE(ci.device == f.ctx.device);
        fixture_close(&f);
    }
}

TEST(sim_layout_details_match_the_json_files)
{
    fixture f;
    SETUP(&f, "nvidia-h200");
    const VkPhysicalDeviceMemoryProperties *mp = vkm_sim_memory_properties(f.sim);
    EXPECT_EQ_U64(mp->memoryHeaps[0].size, 150754820096ull);
    EXPECT_EQ(mp->memoryHeaps[0].flags, VK_MEMORY_HEAP_DEVICE_LOCAL_BIT);
    EXPECT_EQ(mp->memoryHeaps[1].flags, 0);
    EXPECT_EQ(mp->memoryTypes[0].heapIndex, 1);
    EXPECT_EQ(mp->memoryTypes[0].propertyFlags, 0);
    EXPECT_EQ(mp->memoryTypes[4].heapIndex, 0);
    EXPECT_EQ(mp->memoryTypes[4].propertyFlags, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    EXPECT_TRUE(vkm_sim_has_extension(f.sim, "VK_EXT_pageable_device_local_memory"));
    EXPECT_FALSE(vkm_sim_has_extension(f.sim, "VK_AMD_device_coherent_memory"));
    fixture_close(&f);

    SETUP(&f, "intel-igpu-nonllc");
    mp = vkm_sim_memory_properties(f.sim);
    EXPECT_EQ(mp->memoryTypes[1].propertyFlags, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                    VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
    EXPECT_EQ_U64(vkm_sim_non_coherent_atom_size(f.sim), 64);
    fixture_close(&f);
}

TEST(sim_passthrough_reports_the_real_layout)
{
    fixture f;
    SETUP(&f, NULL);
    EXPECT_STREQ(vkm_sim_layout_name(f.sim), "real");
    VkPhysicalDeviceMemoryProperties mp;
    f.fn.vkGetPhysicalDeviceMemoryProperties(f.ctx.physical_device, &mp);
    EXPECT_EQ(memcmp(&mp, &f.ctx.mem_props, sizeof(mp)), 0);
    VkPhysicalDeviceProperties props;
    f.fn.vkGetPhysicalDeviceProperties(f.ctx.physical_device, &props);
    EXPECT_EQ(memcmp(&props, &f.ctx.props, sizeof(props)), 0);
    VmaAllocatorCreateInfo a = {0}, b = {0};
    vkm_test_vk_fill_allocator_info(&f.ctx, &a);
    vkm_sim_fill_allocator_info(f.sim, &b);
    EXPECT_EQ(a.flags, b.flags);
    fixture_close(&f);
}

TEST(sim_rejects_bad_layouts_and_a_second_sim_on_one_device)
{
    fixture f;
    SETUP(&f, "lavapipe");
    vkm_sim *other = NULL;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vkm_sim_create(&f.ctx, "lavapipe", &other));
    EXPECT_TRUE(other == NULL);
    vkm_sim_destroy(f.sim);
    f.sim = NULL;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vkm_sim_create(&f.ctx, "no-such-gpu", &other));
    EXPECT_TRUE(other == NULL);
    ASSERT_VK_OK(vkm_sim_create(&f.ctx, "amd-discrete-bar256", &f.sim));
    fixture_close(&f);
}

TEST(sim_two_sims_on_two_devices_answer_for_their_own)
{
    fixture a, b;
    SETUP(&a, "nvidia-h200");
    SETUP(&b, "intel-igpu-nonllc");
    VkPhysicalDeviceMemoryProperties mp;
    a.fn.vkGetPhysicalDeviceMemoryProperties(a.ctx.physical_device, &mp);
    EXPECT_EQ(mp.memoryTypeCount, 5);
    b.fn.vkGetPhysicalDeviceMemoryProperties(b.ctx.physical_device, &mp);
    EXPECT_EQ(mp.memoryTypeCount, 2);
    VkDeviceMemory ma, mb;
    ASSERT_VK_OK(alloc(&a, 4, 65536, &ma));
    ASSERT_VK_OK(alloc(&b, 1, 4096, &mb));
    EXPECT_EQ(vkm_sim_memory_type_of(a.sim, ma), 4);
    EXPECT_EQ(vkm_sim_memory_type_of(b.sim, mb), 1);
    EXPECT_EQ(vkm_sim_memory_type_of(a.sim, mb), UINT32_MAX);
    EXPECT_EQ_U64(vkm_sim_heap_usage(a.sim, 0), 65536);
    EXPECT_EQ_U64(vkm_sim_heap_usage(b.sim, 0), 4096);
    free_mem(&a, ma);
    free_mem(&b, mb);
    fixture_close(&b);
    fixture_close(&a);
}

/* ---- requirements and binding ------------------------------------------------------- */

TEST(sim_rewrites_memory_type_bits_optimal_images_on_nvidia_get_types_0_and_1)
{
    fixture f;
    SETUP(&f, "nvidia-h200");
    VkDevice dev = f.ctx.device;
    VkBuffer buf;
    ASSERT_VK_OK(create_buffer(&f, 1024, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, &buf));
    VkMemoryRequirements req;
    f.fn.vkGetBufferMemoryRequirements(dev, buf, &req);
    EXPECT_EQ(req.memoryTypeBits, 0x1f);
    VkBufferMemoryRequirementsInfo2 bi = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2, .buffer = buf};
    VkMemoryDedicatedRequirements ded = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
    VkMemoryRequirements2 req2 = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded};
    f.fn.vkGetBufferMemoryRequirements2KHR(dev, &bi, &req2);
    EXPECT_EQ(req2.memoryRequirements.memoryTypeBits, 0x1f);

    VkImage optimal, linear;
    ASSERT_VK_OK(create_image(&f, VK_IMAGE_TILING_OPTIMAL, &optimal));
    ASSERT_VK_OK(create_image(&f, VK_IMAGE_TILING_LINEAR, &linear));
    f.fn.vkGetImageMemoryRequirements(dev, optimal, &req);
    EXPECT_EQ(req.memoryTypeBits, 0x3);
    f.fn.vkGetImageMemoryRequirements(dev, linear, &req);
    EXPECT_EQ(req.memoryTypeBits, 0x1f);
    VkImageMemoryRequirementsInfo2 ii = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, .image = optimal};
    f.fn.vkGetImageMemoryRequirements2KHR(dev, &ii, &req2);
    EXPECT_EQ(req2.memoryRequirements.memoryTypeBits, 0x3);

    if (f.fn.vkGetDeviceImageMemoryRequirements) {
        VkImageCreateInfo ici = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
            .imageType = VK_IMAGE_TYPE_2D,
            .format = VK_FORMAT_R8G8B8A8_UNORM,
            .extent = {16, 16, 1},
            .mipLevels = 1,
            .arrayLayers = 1,
            .samples = VK_SAMPLE_COUNT_1_BIT,
            .tiling = VK_IMAGE_TILING_OPTIMAL,
            .usage = VK_IMAGE_USAGE_SAMPLED_BIT,
        };
        VkDeviceImageMemoryRequirements dii = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_IMAGE_MEMORY_REQUIREMENTS, .pCreateInfo = &ici};
        VkMemoryRequirements2 r2 = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
        f.fn.vkGetDeviceImageMemoryRequirements(dev, &dii, &r2);
        EXPECT_EQ(r2.memoryRequirements.memoryTypeBits, 0x3);
        VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                  .size = 256,
                                  .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT};
        VkDeviceBufferMemoryRequirements dbi = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_BUFFER_MEMORY_REQUIREMENTS, .pCreateInfo = &bci};
        f.fn.vkGetDeviceBufferMemoryRequirements(dev, &dbi, &r2);
        EXPECT_EQ(r2.memoryRequirements.memoryTypeBits, 0x1f);
    }

    /* binding an optimal image to a type it may not use is reported */
    f.fn.vkGetImageMemoryRequirements(dev, optimal, &req);
    VkDeviceMemory good, bad;
    ASSERT_VK_OK(alloc(&f, 1, req.size, &good));
    ASSERT_VK_OK(alloc(&f, 4, req.size, &bad));
    EXPECT_VK(VK_SUCCESS, f.fn.vkBindImageMemory(dev, optimal, good, 0));
    EXPECT_EQ(vkm_sim_violation_count(f.sim), 0);
    VkImage optimal2;
    ASSERT_VK_OK(create_image(&f, VK_IMAGE_TILING_OPTIMAL, &optimal2));
    EXPECT_VK(VK_SUCCESS, f.fn.vkBindImageMemory(dev, optimal2, bad, 0));
    EXPECT_EQ(vkm_sim_violation_count(f.sim), 1);
    f.violations_expected = 1;
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_BIND_IMAGE_MEMORY), 2);

    f.fn.vkDestroyImage(dev, optimal, NULL);
    f.fn.vkDestroyImage(dev, optimal2, NULL);
    f.fn.vkDestroyImage(dev, linear, NULL);
    f.fn.vkDestroyBuffer(dev, buf, NULL);
    free_mem(&f, good);
    free_mem(&f, bad);
    fixture_close(&f);
}

TEST(sim_bind_reports_misaligned_offsets_and_overruns)
{
    fixture f;
    SETUP(&f, "amd-discrete-bar256");
    VkDevice dev = f.ctx.device;
    VkBuffer ok, misaligned, overrun;
    ASSERT_VK_OK(create_buffer(&f, 4096, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, &ok));
    ASSERT_VK_OK(create_buffer(&f, 4096, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, &misaligned));
    ASSERT_VK_OK(create_buffer(&f, 4096, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, &overrun));
    VkMemoryRequirements req;
    f.fn.vkGetBufferMemoryRequirements(dev, ok, &req);
    VkDeviceMemory mem;
    ASSERT_VK_OK(alloc(&f, 0, 3 * 4096, &mem));
    VkBindBufferMemoryInfo bind = {.sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_INFO,
                                   .buffer = ok,
                                   .memory = mem,
                                   .memoryOffset = 4096};
    EXPECT_VK(VK_SUCCESS, f.fn.vkBindBufferMemory2KHR(dev, 1, &bind));
    EXPECT_EQ(vkm_sim_violation_count(f.sim), 0);
    /* The real driver is handed these too; Lavapipe only records the pointer, and the
     * validation layer, when on, reports them as well: that is accepted below. */
    uint32_t expected = 1;
    EXPECT_VK(VK_SUCCESS, f.fn.vkBindBufferMemory(dev, overrun, mem, 2 * 4096 + 64));
    if (req.alignment > 1) {
        EXPECT_VK(VK_SUCCESS, f.fn.vkBindBufferMemory(dev, misaligned, mem, req.alignment / 2));
        expected++;
    }
    EXPECT_EQ(vkm_sim_violation_count(f.sim), expected);
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_BIND_BUFFER_MEMORY), 1 + expected);
    f.violations_expected = expected;
    if (f.ctx.validation_enabled)
        EXPECT_GT(vkm_test_validation_error_count(), f.validation_errors_before);
    f.validation_errors_before = vkm_test_validation_error_count();
    f.fn.vkDestroyBuffer(dev, ok, NULL);
    f.fn.vkDestroyBuffer(dev, misaligned, NULL);
    f.fn.vkDestroyBuffer(dev, overrun, NULL);
    free_mem(&f, mem);
    fixture_close(&f);
}

/* ---- allocation limits -------------------------------------------------------------- */

TEST(sim_enforces_heap_size_and_counts_usage)
{
    char path[64];
    write_tiny_layout(path, sizeof(path));
    fixture f;
    VkResult r = fixture_open(&f, path);
    unlink(path);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    EXPECT_EQ_U64(vkm_sim_buffer_image_granularity(f.sim), 256);
    VkDeviceMemory a, b, c;
    ASSERT_VK_OK(alloc(&f, 0, 768 * 1024, &a));
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 0), 768 * 1024);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, alloc(&f, 0, 256 * 1024 + 1, &b));
    EXPECT_TRUE(b == VK_NULL_HANDLE);
    ASSERT_VK_OK(alloc(&f, 0, 256 * 1024, &b)); /* exactly full */
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 0), 1024 * 1024);
    ASSERT_VK_OK(alloc(&f, 1, 2 * 1024 * 1024, &c)); /* the other heap is independent */
    EXPECT_EQ(vkm_sim_live_memory_count(f.sim), 3);
    free_mem(&f, a);
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 0), 256 * 1024);
    ASSERT_VK_OK(alloc(&f, 0, 512 * 1024, &a));
    free_mem(&f, a);
    free_mem(&f, b);
    free_mem(&f, c);
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 0), 0);
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 1), 0);
    /* larger than the heap itself: also a Vulkan valid-usage violation */
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, alloc(&f, 0, 2 * 1024 * 1024, &a));
    EXPECT_EQ(vkm_sim_violation_count(f.sim), 1);
    /* a type index past the layout */
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, alloc(&f, 2, 4096, &a));
    EXPECT_EQ(vkm_sim_violation_count(f.sim), 2);
    f.violations_expected = 2;
    fixture_close(&f);
}

TEST(sim_enforces_real_layout_heap_size_before_touching_the_driver)
{
    fixture f;
    SETUP(&f, "amd-discrete-bar256");
    const VkDeviceSize bar = vkm_sim_memory_properties(f.sim)->memoryHeaps[2].size;
    EXPECT_EQ_U64(bar, 256ull << 20);
    VkDeviceMemory m;
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, alloc(&f, 2, bar + 4096, &m));
    f.violations_expected = 1; /* allocationSize > heap size */
    EXPECT_EQ(vkm_sim_live_memory_count(f.sim), 0);
    fixture_close(&f);
}

TEST(sim_enforces_max_memory_allocation_count)
{
    fixture f;
    SETUP(&f, "amd-discrete-bar256");
    vkm_sim_set_max_allocation_count(f.sim, 3);
    VkPhysicalDeviceProperties props;
    f.fn.vkGetPhysicalDeviceProperties(f.ctx.physical_device, &props);
    EXPECT_EQ(props.limits.maxMemoryAllocationCount, 4096); /* reported limit unchanged */
    VkDeviceMemory m[4];
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(alloc(&f, 1, 4096, &m[i]));
    EXPECT_VK(VK_ERROR_TOO_MANY_OBJECTS, alloc(&f, 1, 4096, &m[3]));
    free_mem(&f, m[0]);
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m[0]));
    for (int i = 0; i < 3; i++)
        free_mem(&f, m[i]);
    fixture_close(&f);
}

TEST(lavapipe_alone_does_not_enforce_its_heap_size)
{
#ifdef UNDER_SANITIZER
    TEST_SKIP("3 GiB of host allocations cost seconds under sanitizers");
#endif
    vkm_test_vk ctx;
    VkResult r = vkm_test_vk_create(&ctx, NULL);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    if (strstr(ctx.props.deviceName, "llvmpipe") == NULL || ctx.mem_props.memoryHeapCount != 1) {
        vkm_test_vk_destroy(&ctx);
        TEST_SKIP("not Lavapipe");
    }
    /* two allocations, each within maxMemoryAllocationSize, together 1.5x the heap */
    const VkDeviceSize heap = ctx.mem_props.memoryHeaps[0].size;
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = heap / 4 * 3,
                               .memoryTypeIndex = 0};
    VkDeviceMemory a = VK_NULL_HANDLE, b = VK_NULL_HANDLE;
    EXPECT_VK(VK_SUCCESS, vkAllocateMemory(ctx.device, &ai, NULL, &a));
    EXPECT_VK(VK_SUCCESS, vkAllocateMemory(ctx.device, &ai, NULL, &b));
    vkFreeMemory(ctx.device, a, NULL);
    vkFreeMemory(ctx.device, b, NULL);
    vkm_test_vk_destroy(&ctx);
}

/* ---- fault injection ---------------------------------------------------------------- */

TEST(sim_fails_the_nth_allocate_once)
{
    fixture f;
    SETUP(&f, "nvidia-h200");
    VkDeviceMemory m[5];
    vkm_sim_fail_nth(f.sim, VKM_SIM_ALLOCATE_MEMORY, 3);
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m[0]));
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m[1]));
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, alloc(&f, 1, 4096, &m[2]));
    EXPECT_TRUE(m[2] == VK_NULL_HANDLE);
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m[2]));
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_ALLOCATE_MEMORY), 4);
    EXPECT_EQ(vkm_sim_live_memory_count(f.sim), 3);
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 0), 3 * 4096);

    vkm_sim_fail_nth(f.sim, VKM_SIM_ALLOCATE_MEMORY, 1);
    vkm_sim_fail_nth(f.sim, VKM_SIM_ALLOCATE_MEMORY, 0); /* disarmed */
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m[3]));

    vkm_sim_fail_every(f.sim, VKM_SIM_ALLOCATE_MEMORY, true);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, alloc(&f, 1, 4096, &m[4]));
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, alloc(&f, 1, 4096, &m[4]));
    vkm_sim_fail_every(f.sim, VKM_SIM_ALLOCATE_MEMORY, false);
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m[4]));
    EXPECT_EQ(vkm_sim_live_memory_count(f.sim), 5);
    for (int i = 0; i < 5; i++)
        free_mem(&f, m[i]);
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 0), 0);
    fixture_close(&f);
}

TEST(sim_fails_the_nth_map_and_leaves_memory_unmapped)
{
    fixture f;
    SETUP(&f, "amd-discrete-bar256");
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m));
    void *p = (void *)1;
    vkm_sim_fail_nth(f.sim, VKM_SIM_MAP_MEMORY, 1);
    EXPECT_VK(VK_ERROR_MEMORY_MAP_FAILED,
              f.fn.vkMapMemory(f.ctx.device, m, 0, VK_WHOLE_SIZE, 0, &p));
    EXPECT_TRUE(p == NULL);
    ASSERT_VK_OK(f.fn.vkMapMemory(f.ctx.device, m, 0, VK_WHOLE_SIZE, 0, &p)); /* not mapped */
    EXPECT_TRUE(p != NULL);
    f.fn.vkUnmapMemory(f.ctx.device, m);
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_MAP_MEMORY), 2);
    free_mem(&f, m);
    fixture_close(&f);
}

TEST(sim_fails_the_nth_bind)
{
    fixture f;
    SETUP(&f, "lavapipe");
    if (!vkm_sim_backs_optimal_images(f.sim)) {
        fixture_close(&f);
        TEST_SKIP("this driver cannot back the layout's optimal images (vk_sim.h)");
    }
    VkDevice dev = f.ctx.device;
    VkBuffer buf;
    ASSERT_VK_OK(create_buffer(&f, 256, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, &buf));
    VkImage img;
    ASSERT_VK_OK(create_image(&f, VK_IMAGE_TILING_OPTIMAL, &img));
    VkMemoryRequirements req;
    f.fn.vkGetImageMemoryRequirements(dev, img, &req);
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 0, req.size + 4096, &m));
    vkm_sim_fail_nth(f.sim, VKM_SIM_BIND_BUFFER_MEMORY, 1);
    vkm_sim_fail_nth(f.sim, VKM_SIM_BIND_IMAGE_MEMORY, 2);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, f.fn.vkBindBufferMemory(dev, buf, m, 0));
    EXPECT_VK(VK_SUCCESS, f.fn.vkBindBufferMemory(dev, buf, m, 0));
    VkBindImageMemoryInfo bi = {.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
                                .image = img,
                                .memory = m,
                                .memoryOffset = 4096};
    vkm_sim_fail_every(f.sim, VKM_SIM_BIND_IMAGE_MEMORY, true);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, f.fn.vkBindImageMemory2KHR(dev, 1, &bi));
    vkm_sim_fail_every(f.sim, VKM_SIM_BIND_IMAGE_MEMORY, false);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, f.fn.vkBindImageMemory2KHR(dev, 1, &bi));
    EXPECT_VK(VK_SUCCESS, f.fn.vkBindImageMemory2KHR(dev, 1, &bi));
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_BIND_BUFFER_MEMORY), 2);
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_BIND_IMAGE_MEMORY), 3);
    f.fn.vkDestroyImage(dev, img, NULL);
    f.fn.vkDestroyBuffer(dev, buf, NULL);
    free_mem(&f, m);
    fixture_close(&f);
}

/* ---- mapping ------------------------------------------------------------------------ */

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
    memset(p, v, n);
}

static bool
all_are(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

TEST(sim_noncoherent_unmap_without_flush_loses_the_writes)
{
    fixture f;
    SETUP(&f, "intel-igpu-nonllc");
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m)); /* HOST_CACHED, not coherent */
    uint8_t buf[4096];
    fill(buf, sizeof(buf), 0x11);
    ASSERT_VK_OK(vkm_sim_poke(f.sim, m, 0, buf, sizeof(buf)));
    uint8_t *p;
    ASSERT_VK_OK(f.fn.vkMapMemory(f.ctx.device, m, 0, VK_WHOLE_SIZE, 0, (void **)&p));
    EXPECT_TRUE(all_are(p, 4096, 0x11)); /* shadow starts as the device bytes */
    fill(p, 4096, 0x22);
    f.fn.vkUnmapMemory(f.ctx.device, m);
    ASSERT_VK_OK(vkm_sim_peek(f.sim, m, 0, buf, sizeof(buf)));
    EXPECT_TRUE(all_are(buf, sizeof(buf), 0x11));
    free_mem(&f, m);
    fixture_close(&f);
}

TEST(sim_noncoherent_flush_moves_exactly_the_flushed_range)
{
    fixture f;
    SETUP(&f, "intel-igpu-nonllc");
    VkDevice dev = f.ctx.device;
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m));
    uint8_t buf[4096];
    fill(buf, sizeof(buf), 0);
    ASSERT_VK_OK(vkm_sim_poke(f.sim, m, 0, buf, sizeof(buf)));
    uint8_t *p;
    ASSERT_VK_OK(f.fn.vkMapMemory(dev, m, 256, VK_WHOLE_SIZE, 0, (void **)&p));
    EXPECT_EQ(((uintptr_t)p - 256) % f.ctx.props.limits.minMemoryMapAlignment, 0);
    fill(p, 4096 - 256, 0x5a);
    VkMappedMemoryRange range = {
        .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, .memory = m, .offset = 512, .size = 128};
    ASSERT_VK_OK(f.fn.vkFlushMappedMemoryRanges(dev, 1, &range));
    ASSERT_VK_OK(vkm_sim_peek(f.sim, m, 0, buf, sizeof(buf)));
    EXPECT_TRUE(all_are(buf, 512, 0));
    EXPECT_TRUE(all_are(buf + 512, 128, 0x5a));
    EXPECT_TRUE(all_are(buf + 640, 4096 - 640, 0));
    /* WHOLE_SIZE from an aligned offset flushes to the end of the mapping */
    range.offset = 1024;
    range.size = VK_WHOLE_SIZE;
    ASSERT_VK_OK(f.fn.vkFlushMappedMemoryRanges(dev, 1, &range));
    ASSERT_VK_OK(vkm_sim_peek(f.sim, m, 0, buf, sizeof(buf)));
    EXPECT_TRUE(all_are(buf + 640, 1024 - 640, 0));
    EXPECT_TRUE(all_are(buf + 1024, 4096 - 1024, 0x5a));
    f.fn.vkUnmapMemory(dev, m);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 0);
    free_mem(&f, m);
    fixture_close(&f);
}

TEST(sim_noncoherent_invalidate_brings_device_writes_in)
{
    fixture f;
    SETUP(&f, "intel-igpu-nonllc");
    VkDevice dev = f.ctx.device;
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 1, 1000, &m)); /* size not a multiple of the atom */
    uint8_t buf[1000];
    fill(buf, sizeof(buf), 1);
    ASSERT_VK_OK(vkm_sim_poke(f.sim, m, 0, buf, sizeof(buf)));
    uint8_t *p;
    ASSERT_VK_OK(f.fn.vkMapMemory(dev, m, 0, VK_WHOLE_SIZE, 0, (void **)&p));
    fill(buf, sizeof(buf), 2); /* the "device" writes */
    ASSERT_VK_OK(vkm_sim_poke(f.sim, m, 0, buf, sizeof(buf)));
    EXPECT_TRUE(all_are(p, 1000, 1)); /* stale until invalidated */
    VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                 .memory = m,
                                 .offset = 960,
                                 .size = 40}; /* reaches the end: allowed */
    ASSERT_VK_OK(f.fn.vkInvalidateMappedMemoryRanges(dev, 1, &range));
    EXPECT_TRUE(all_are(p, 960, 1));
    EXPECT_TRUE(all_are(p + 960, 40, 2));
    range.offset = 0;
    range.size = VK_WHOLE_SIZE;
    ASSERT_VK_OK(f.fn.vkInvalidateMappedMemoryRanges(dev, 1, &range));
    EXPECT_TRUE(all_are(p, 1000, 2));
    f.fn.vkUnmapMemory(dev, m);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 0);
    free_mem(&f, m);
    fixture_close(&f);
}

TEST(sim_coherent_mapping_writes_the_device_bytes_directly)
{
    fixture f;
    SETUP(&f, "intel-igpu-nonllc");
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 0, 4096, &m));
    uint8_t *p;
    ASSERT_VK_OK(f.fn.vkMapMemory(f.ctx.device, m, 64, 128, 0, (void **)&p));
    fill(p, 128, 0x77);
    uint8_t buf[128];
    ASSERT_VK_OK(vkm_sim_peek(f.sim, m, 64, buf, sizeof(buf)));
    EXPECT_TRUE(all_are(buf, sizeof(buf), 0x77));
    f.fn.vkUnmapMemory(f.ctx.device, m);
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vkm_sim_peek(f.sim, m, 4000, buf, sizeof(buf)));
    free_mem(&f, m);
    fixture_close(&f);
}

TEST(sim_counts_flush_range_violations)
{
    fixture f;
    SETUP(&f, "intel-igpu-nonllc");
    VkDevice dev = f.ctx.device;
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m));
    VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, .memory = m};
    range.offset = 0;
    range.size = 64;
    f.fn.vkFlushMappedMemoryRanges(dev, 1, &range); /* not mapped */
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 1);
    void *p;
    ASSERT_VK_OK(f.fn.vkMapMemory(dev, m, 1024, 1024, 0, &p));
    range.offset = 1024 + 32; /* offset not aligned */
    range.size = 64;
    f.fn.vkFlushMappedMemoryRanges(dev, 1, &range);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 2);
    range.offset = 1024; /* size neither aligned nor to the end */
    range.size = 100;
    f.fn.vkInvalidateMappedMemoryRanges(dev, 1, &range);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 3);
    range.offset = 1024; /* past the mapped range */
    range.size = 2048;
    f.fn.vkFlushMappedMemoryRanges(dev, 1, &range);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 4);
    range.offset = 0; /* WHOLE_SIZE from before the mapping */
    range.size = VK_WHOLE_SIZE;
    f.fn.vkFlushMappedMemoryRanges(dev, 1, &range);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 5);
    range.offset = 1024; /* fine */
    range.size = 1024;
    f.fn.vkFlushMappedMemoryRanges(dev, 1, &range);
    range.size = VK_WHOLE_SIZE;
    f.fn.vkInvalidateMappedMemoryRanges(dev, 1, &range);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 5);
    f.fn.vkUnmapMemory(dev, m);
    f.violations_expected = 5;
    free_mem(&f, m);
    fixture_close(&f);
}

TEST(sim_map_of_a_non_host_visible_type_fails)
{
    fixture f;
    SETUP(&f, "nvidia-h200");
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 1, 4096, &m)); /* DEVICE_LOCAL only */
    void *p = (void *)1;
    EXPECT_VK(VK_ERROR_MEMORY_MAP_FAILED,
              f.fn.vkMapMemory(f.ctx.device, m, 0, VK_WHOLE_SIZE, 0, &p));
    EXPECT_TRUE(p == NULL);
    EXPECT_EQ(vkm_sim_violation_count(f.sim), 1);
    f.violations_expected = 1;
    free_mem(&f, m);
    fixture_close(&f);
}

TEST(sim_mapping_twice_is_a_violation_and_fails)
{
    fixture f;
    SETUP(&f, "nvidia-h200");
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 3, 4096, &m));
    void *p, *q = (void *)1;
    ASSERT_VK_OK(f.fn.vkMapMemory(f.ctx.device, m, 0, VK_WHOLE_SIZE, 0, &p));
    EXPECT_VK(VK_ERROR_MEMORY_MAP_FAILED,
              f.fn.vkMapMemory(f.ctx.device, m, 0, VK_WHOLE_SIZE, 0, &q));
    EXPECT_TRUE(q == NULL);
    f.fn.vkUnmapMemory(f.ctx.device, m);
    f.fn.vkUnmapMemory(f.ctx.device, m); /* not mapped any more */
    EXPECT_EQ(vkm_sim_violation_count(f.sim), 2);
    f.violations_expected = 2;
    /* freeing while mapped is legal */
    ASSERT_VK_OK(f.fn.vkMapMemory(f.ctx.device, m, 0, VK_WHOLE_SIZE, 0, &p));
    free_mem(&f, m);
    fixture_close(&f);
}

/* ---- budget and pNext --------------------------------------------------------------- */

TEST(sim_emulates_memory_budget)
{
    fixture f;
    SETUP(&f, "nvidia-h200");
    VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
    VkPhysicalDeviceMemoryProperties2 mp2 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2, .pNext = &budget};
    /* the allocator may fetch it by name */
    PFN_vkGetPhysicalDeviceMemoryProperties2 get2 =
        (PFN_vkGetPhysicalDeviceMemoryProperties2)f.fn.vkGetInstanceProcAddr(
            f.ctx.instance, "vkGetPhysicalDeviceMemoryProperties2KHR");
    ASSERT_TRUE(get2 == f.fn.vkGetPhysicalDeviceMemoryProperties2KHR);
    get2(f.ctx.physical_device, &mp2);
    EXPECT_EQ_U64(budget.heapBudget[0], 150754820096ull / 10 * 8);
    EXPECT_EQ_U64(budget.heapUsage[0], 0);
    EXPECT_EQ_U64(budget.heapBudget[2], 0);
    VkDeviceMemory m;
    ASSERT_VK_OK(alloc(&f, 4, 1 << 20, &m));
    vkm_sim_set_heap_budget(f.sim, 1, 12345);
    get2(f.ctx.physical_device, &mp2);
    EXPECT_EQ_U64(budget.heapUsage[0], 1 << 20);
    EXPECT_EQ_U64(budget.heapUsage[1], 0);
    EXPECT_EQ_U64(budget.heapBudget[1], 12345);
    EXPECT_EQ_U64(vkm_sim_heap_budget(f.sim, 1), 12345);
    free_mem(&f, m);
    get2(f.ctx.physical_device, &mp2);
    EXPECT_EQ_U64(budget.heapUsage[0], 0);

    /* enforcement is opt-in */
    vkm_sim_set_heap_budget(f.sim, 1, 8192);
    VkDeviceMemory a, b;
    ASSERT_VK_OK(alloc(&f, 2, 8192, &a));
    ASSERT_VK_OK(alloc(&f, 2, 4096, &b)); /* over budget, still granted */
    free_mem(&f, b);
    vkm_sim_enforce_budget(f.sim, true);
    EXPECT_VK(VK_ERROR_OUT_OF_DEVICE_MEMORY, alloc(&f, 2, 4096, &b));
    ASSERT_VK_OK(alloc(&f, 4, 4096, &b)); /* heap 0 has budget left */
    free_mem(&f, a);
    free_mem(&f, b);
    fixture_close(&f);
}

TEST(sim_strips_allocation_structs_the_real_device_cannot_take)
{
    fixture f;
    SETUP(&f, "nvidia-h200"); /* lists VK_EXT_memory_priority; Lavapipe has not */
    VkMemoryPriorityAllocateInfoEXT prio = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_PRIORITY_ALLOCATE_INFO_EXT, .priority = 0.75f};
    VkMemoryAllocateFlagsInfo flags = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
                                       .pNext = &prio,
                                       .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT};
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .pNext = f.ctx.has_bda ? (void *)&flags : (void *)&prio,
                               .allocationSize = 65536,
                               .memoryTypeIndex = 1};
    VkDeviceMemory m;
    ASSERT_VK_OK(f.fn.vkAllocateMemory(f.ctx.device, &ai, NULL, &m));
    EXPECT_EQ(vkm_sim_memory_type_of(f.sim, m), 1);
    free_mem(&f, m);
    fixture_close(&f); /* checks that validation saw nothing wrong */
}

TEST(sim_proc_addr_hands_out_the_wrappers)
{
    fixture f;
    SETUP(&f, "amd-discrete-bar256");
    PFN_vkAllocateMemory a =
        (PFN_vkAllocateMemory)f.fn.vkGetDeviceProcAddr(f.ctx.device, "vkAllocateMemory");
    EXPECT_TRUE(a == f.fn.vkAllocateMemory);
    PFN_vkCreateBuffer cb =
        (PFN_vkCreateBuffer)f.fn.vkGetDeviceProcAddr(f.ctx.device, "vkCreateBuffer");
    EXPECT_TRUE(cb != NULL);
    PFN_vkGetPhysicalDeviceMemoryProperties gp =
        (PFN_vkGetPhysicalDeviceMemoryProperties)f.fn.vkGetInstanceProcAddr(
            f.ctx.instance, "vkGetPhysicalDeviceMemoryProperties");
    EXPECT_TRUE(gp == f.fn.vkGetPhysicalDeviceMemoryProperties);
    EXPECT_TRUE(f.fn.vkGetDeviceProcAddr(f.ctx.device, "vkNoSuchFunction") == NULL);
    EXPECT_TRUE(f.fn.vkGetDeviceProcAddr(f.ctx.device, "vkGetDeviceProcAddr") ==
                (PFN_vkVoidFunction)f.fn.vkGetDeviceProcAddr);
    fixture_close(&f);
}

/* ---- threads ------------------------------------------------------------------------ */

#define SIM_THREADS 4
#define SIM_ITERS 300
#define SIM_WINDOW 8

typedef struct sim_thread {
    fixture *f;
    uint32_t seed;
    uint32_t allocated, failed;
    uint8_t pattern;
} sim_thread;

static uint32_t
next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Each thread keeps a window of live memories in host-visible types, writes a pattern
 * through a mapping (flushing non-coherent ones), checks it through peek, frees. */
static void *
sim_worker(void *p)
{
    sim_thread *t = p;
    fixture *f = t->f;
    VkDevice dev = f->ctx.device;
    VkDeviceMemory live[SIM_WINDOW] = {0};
    VkDeviceSize sizes[SIM_WINDOW] = {0};
    const uint32_t host_types[] = {0, 1}; /* intel: coherent and non-coherent */
    for (int i = 0; i < SIM_ITERS; i++) {
        uint32_t slot = next_rand(&t->seed) % SIM_WINDOW;
        if (live[slot]) {
            uint8_t check[256];
            if (vkm_sim_peek(f->sim, live[slot], 0, check, sizeof(check)) == VK_SUCCESS &&
                !all_are(check, sizeof(check), t->pattern))
                t->failed += 1000000; /* data did not survive */
            free_mem(f, live[slot]);
            live[slot] = VK_NULL_HANDLE;
            continue;
        }
        uint32_t type = host_types[next_rand(&t->seed) % 2];
        VkDeviceSize size = 256 + (next_rand(&t->seed) % 64) * 1024;
        if (alloc(f, type, size, &live[slot]) != VK_SUCCESS) {
            t->failed++;
            live[slot] = VK_NULL_HANDLE;
            continue;
        }
        sizes[slot] = size;
        t->allocated++;
        uint8_t *m;
        if (f->fn.vkMapMemory(dev, live[slot], 0, VK_WHOLE_SIZE, 0, (void **)&m) != VK_SUCCESS) {
            t->failed += 1000;
            continue;
        }
        memset(m, t->pattern, 256);
        VkMappedMemoryRange r = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                 .memory = live[slot],
                                 .offset = 0,
                                 .size = 256};
        f->fn.vkFlushMappedMemoryRanges(dev, 1, &r);
        f->fn.vkUnmapMemory(dev, live[slot]);
    }
    for (int i = 0; i < SIM_WINDOW; i++)
        if (live[i])
            free_mem(f, live[i]);
    (void)sizes;
    return NULL;
}

TEST(sim_concurrent_allocate_free_keeps_counts_exact)
{
    fixture f;
    SETUP(&f, "intel-igpu-nonllc");
    pthread_t th[SIM_THREADS];
    sim_thread t[SIM_THREADS];
    /* one injected failure somewhere in the middle: exactly one thread sees it */
    vkm_sim_fail_nth(f.sim, VKM_SIM_ALLOCATE_MEMORY, SIM_THREADS * SIM_ITERS / 4);
    for (int i = 0; i < SIM_THREADS; i++) {
        t[i] = (sim_thread){
            .f = &f, .seed = 0x9e3779b9u * (uint32_t)(i + 1), .pattern = (uint8_t)(0x10 + i)};
        ASSERT_EQ(pthread_create(&th[i], NULL, sim_worker, &t[i]), 0);
    }
    uint32_t allocated = 0, failed = 0;
    for (int i = 0; i < SIM_THREADS; i++) {
        pthread_join(th[i], NULL);
        allocated += t[i].allocated;
        failed += t[i].failed;
    }
    EXPECT_EQ(failed, 1);
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_ALLOCATE_MEMORY), allocated + failed);
    EXPECT_EQ(vkm_sim_call_count(f.sim, VKM_SIM_MAP_MEMORY), allocated);
    EXPECT_EQ(vkm_sim_live_memory_count(f.sim), 0);
    EXPECT_EQ_U64(vkm_sim_heap_usage(f.sim, 0), 0);
    EXPECT_EQ(vkm_sim_flush_violation_count(f.sim), 0);
    fixture_close(&f);
}

int
main(int argc, char **argv)
{
    /* Everything here, json_mini included, exists to drive Vulkan: no driver, no run. */
    if (vkm_test_vk_probe() == VK_ERROR_INCOMPATIBLE_DRIVER) {
        printf("no Vulkan driver: skipped\n");
        return 77;
    }
    return vkm_test_main(argc, argv);
}
