/* SPDX-License-Identifier: MIT */
/*
 * test_vkfuncs.c - how the dispatch table is assembled.
 *
 * A fake driver stands behind fake vkGetInstanceProcAddr / vkGetDeviceProcAddr: it hands
 * out a distinct dummy function per name (so a test can tell which name a member came
 * from), records every name asked for, and can be told to refuse names (a driver or
 * loader without that command). The last case runs against the real loader and driver
 * (Lavapipe by default) and skips when there is none.
 */
#include <stdlib.h>

/* vkfuncs.h (through common.h) must precede anything that includes vk_mem_alloc.h */
#include "vkfuncs.h"

#include "debug.h"
#include "test.h"
#include "vk_ctx.h"

/* ---- the fake driver ---------------------------------------------------------------- */
#define FAKE_MAX 64

static void VKAPI_CALL
fake_command(void)
{
}

/* Distinct addresses for distinct names: pointers into one array, each cast to the
 * generic function-pointer type is what the fake getters hand out. The fake commands
 * are never called; only their identity matters. */
static char fake_slots[FAKE_MAX];
static const char *fake_names[FAKE_MAX];
static unsigned fake_name_count;
static const char *fake_refused[8];
static unsigned fake_refused_count;
static char fake_asked[4096]; /* "name;name;..." in request order */

static void
fake_reset(void)
{
    fake_name_count = 0;
    fake_refused_count = 0;
    fake_asked[0] = '\0';
}

static void
fake_refuse(const char *name)
{
    fake_refused[fake_refused_count++] = name;
}

static PFN_vkVoidFunction
fake_lookup(const char *name)
{
    size_t used = strlen(fake_asked);
    snprintf(fake_asked + used, sizeof fake_asked - used, "%s;", name);
    for (unsigned i = 0; i < fake_refused_count; i++)
        if (strcmp(fake_refused[i], name) == 0)
            return NULL;
    unsigned i = 0;
    while (i < fake_name_count && strcmp(fake_names[i], name) != 0)
        i++;
    if (i == fake_name_count) {
        if (fake_name_count == FAKE_MAX)
            return NULL;
        fake_names[fake_name_count++] = name;
    }
    /* The pointer identifies the name; it is compared, never called. */
    PFN_vkVoidFunction f;
    const void *slot = &fake_slots[i];
    memcpy(&f, &slot, sizeof f);
    return f;
}

/* The pointer fake_lookup hands out for `name` (without recording a request). */
static PFN_vkVoidFunction
fake_pointer_of(const char *name)
{
    for (unsigned i = 0; i < fake_name_count; i++) {
        if (strcmp(fake_names[i], name) == 0) {
            PFN_vkVoidFunction f;
            const void *slot = &fake_slots[i];
            memcpy(&f, &slot, sizeof f);
            return f;
        }
    }
    return NULL;
}

static bool
fake_was_asked(const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s;", name);
    for (const char *p = fake_asked; (p = strstr(p, key)) != NULL; p++)
        if (p == fake_asked || p[-1] == ';')
            return true;
    return false;
}

static PFN_vkVoidFunction VKAPI_CALL fake_gdpa(VkDevice device, const char *name);

static PFN_vkVoidFunction VKAPI_CALL
fake_gipa(VkInstance instance, const char *name)
{
    VKM_UNUSED(instance);
    if (strcmp(name, "vkGetDeviceProcAddr") == 0)
        return (PFN_vkVoidFunction)fake_gdpa;
    return fake_lookup(name);
}

static PFN_vkVoidFunction VKAPI_CALL
fake_gdpa(VkDevice device, const char *name)
{
    VKM_UNUSED(device);
    return fake_lookup(name);
}

#define FAKE_INSTANCE ((VkInstance)(uintptr_t)0x1000)
#define FAKE_DEVICE ((VkDevice)(uintptr_t)0x2000)

static VmaVulkanFunctions user_table;

/* Create info whose table has only the two fake getters. */
static VmaAllocatorCreateInfo
fake_create_info(uint32_t api_version, VmaAllocatorCreateFlags flags)
{
    VmaAllocatorCreateInfo ci;
    memset(&ci, 0, sizeof ci);
    memset(&user_table, 0, sizeof user_table);
    user_table.vkGetInstanceProcAddr = fake_gipa;
    user_table.vkGetDeviceProcAddr = fake_gdpa;
    ci.flags = flags;
    ci.instance = FAKE_INSTANCE;
    ci.device = FAKE_DEVICE;
    ci.physicalDevice = (VkPhysicalDevice)(uintptr_t)0x3000;
    ci.vulkanApiVersion = api_version;
    ci.pVulkanFunctions = &user_table;
    return ci;
}

#define EXPECT_FROM(member, name)                                           \
    do {                                                                    \
        EXPECT_TRUE((member) != NULL);                                      \
        EXPECT_TRUE((PFN_vkVoidFunction)(member) == fake_pointer_of(name)); \
    } while (0)

/* Bad input on purpose: count API asserts instead of aborting. */
static int assert_count;
static char last_assert[512];

static void
count_assert(const char *message, const char *expression, const char *file, int line, void *user)
{
    VKM_UNUSED(expression);
    VKM_UNUSED(file);
    VKM_UNUSED(line);
    VKM_UNUSED(user);
    assert_count++;
    snprintf(last_assert, sizeof last_assert, "%s", message);
}

/* ---- cases -------------------------------------------------------------------------- */

TEST(vkfuncs_api_version_keeps_major_and_minor_only)
{
    EXPECT_EQ(vkm_vkfuncs_api_version(0), VK_API_VERSION_1_0);
    EXPECT_EQ(vkm_vkfuncs_api_version(VK_API_VERSION_1_0), VK_API_VERSION_1_0);
    EXPECT_EQ(vkm_vkfuncs_api_version(VK_MAKE_API_VERSION(0, 1, 1, 0)), VK_API_VERSION_1_1);
    EXPECT_EQ(vkm_vkfuncs_api_version(VK_MAKE_API_VERSION(0, 1, 3, 239)), VK_API_VERSION_1_3);
    EXPECT_EQ(vkm_vkfuncs_api_version(VK_MAKE_API_VERSION(0, 1, 0, 5)), VK_API_VERSION_1_0);
    EXPECT_EQ(vkm_vkfuncs_api_version(VK_MAKE_API_VERSION(1, 1, 2, 0)), VK_API_VERSION_1_2);
}

TEST(vkfuncs_effective_flags_drop_khr_bits_that_are_core)
{
    const VmaAllocatorCreateFlags khr = VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT |
                                        VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT;
    const VmaAllocatorCreateFlags other =
        VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT | VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT;
    EXPECT_EQ(vkm_vkfuncs_effective_flags(khr | other, VK_API_VERSION_1_0), khr | other);
    EXPECT_EQ(vkm_vkfuncs_effective_flags(khr | other, VK_API_VERSION_1_1), other);
    EXPECT_EQ(vkm_vkfuncs_effective_flags(khr | other, VK_API_VERSION_1_3), other);
}

TEST(vkfuncs_user_members_win_over_fetched_ones)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci = fake_create_info(VK_API_VERSION_1_1, 0);
    PFN_vkVoidFunction mine = (PFN_vkVoidFunction)fake_command;

    fake_reset();
    user_table.vkAllocateMemory = (PFN_vkAllocateMemory)mine;
    user_table.vkBindBufferMemory2KHR = (PFN_vkBindBufferMemory2KHR)mine;
    user_table.vkGetPhysicalDeviceMemoryProperties = (PFN_vkGetPhysicalDeviceMemoryProperties)mine;
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_TRUE((PFN_vkVoidFunction)f.vk.vkAllocateMemory == mine);
    EXPECT_TRUE((PFN_vkVoidFunction)f.vk.vkBindBufferMemory2KHR == mine);
    EXPECT_TRUE((PFN_vkVoidFunction)f.vk.vkGetPhysicalDeviceMemoryProperties == mine);
    /* what the user gave is not even looked up */
    EXPECT_FALSE(fake_was_asked("vkAllocateMemory"));
    EXPECT_FALSE(fake_was_asked("vkBindBufferMemory2"));
    EXPECT_FALSE(fake_was_asked("vkGetPhysicalDeviceMemoryProperties"));
    /* the rest comes through the user's getters */
    EXPECT_TRUE(f.vk.vkGetInstanceProcAddr == fake_gipa);
    EXPECT_TRUE(f.vk.vkGetDeviceProcAddr == fake_gdpa);
    EXPECT_FROM(f.vk.vkFreeMemory, "vkFreeMemory");
    EXPECT_FROM(f.vk.vkBindImageMemory2KHR, "vkBindImageMemory2");
}

TEST(vkfuncs_vulkan_1_0_without_flags_fetches_no_extension_commands)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci = fake_create_info(0, 0);

    fake_reset();
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_FROM(f.vk.vkGetPhysicalDeviceProperties, "vkGetPhysicalDeviceProperties");
    EXPECT_FROM(f.vk.vkAllocateMemory, "vkAllocateMemory");
    EXPECT_FROM(f.vk.vkCmdCopyBuffer, "vkCmdCopyBuffer");
    EXPECT_TRUE(f.vk.vkGetBufferMemoryRequirements2KHR == NULL);
    EXPECT_TRUE(f.vk.vkBindBufferMemory2KHR == NULL);
    EXPECT_TRUE(f.vk.vkGetPhysicalDeviceMemoryProperties2KHR == NULL);
    EXPECT_TRUE(f.vk.vkGetDeviceBufferMemoryRequirements == NULL);
    EXPECT_TRUE(f.GetPhysicalDeviceProperties2 == NULL);
    EXPECT_FALSE(fake_was_asked("vkGetBufferMemoryRequirements2KHR"));
    EXPECT_FALSE(fake_was_asked("vkGetBufferMemoryRequirements2"));
    EXPECT_FALSE(fake_was_asked("vkGetPhysicalDeviceMemoryProperties2KHR"));
    EXPECT_FALSE(fake_was_asked("vkGetPhysicalDeviceProperties2KHR"));
}

TEST(vkfuncs_vulkan_1_0_with_extension_flags_fetches_khr_names)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci =
        fake_create_info(VK_API_VERSION_1_0, VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT |
                                                 VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT |
                                                 VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT |
                                                 VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT);

    fake_reset();
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_FROM(f.vk.vkGetBufferMemoryRequirements2KHR, "vkGetBufferMemoryRequirements2KHR");
    EXPECT_FROM(f.vk.vkGetImageMemoryRequirements2KHR, "vkGetImageMemoryRequirements2KHR");
    EXPECT_FROM(f.vk.vkBindBufferMemory2KHR, "vkBindBufferMemory2KHR");
    EXPECT_FROM(f.vk.vkBindImageMemory2KHR, "vkBindImageMemory2KHR");
    EXPECT_FROM(f.vk.vkGetPhysicalDeviceMemoryProperties2KHR,
                "vkGetPhysicalDeviceMemoryProperties2KHR");
    EXPECT_FROM(f.vk.vkGetDeviceBufferMemoryRequirements, "vkGetDeviceBufferMemoryRequirementsKHR");
    EXPECT_FROM(f.vk.vkGetDeviceImageMemoryRequirements, "vkGetDeviceImageMemoryRequirementsKHR");
    EXPECT_FROM(f.GetPhysicalDeviceProperties2, "vkGetPhysicalDeviceProperties2KHR");
    /* core names are not tried below 1.1 (except the #410 second try for the budget) */
    EXPECT_FALSE(fake_was_asked("vkBindBufferMemory2"));
    EXPECT_FALSE(fake_was_asked("vkGetBufferMemoryRequirements2"));
    EXPECT_FALSE(fake_was_asked("vkGetDeviceBufferMemoryRequirements"));
}

TEST(vkfuncs_vulkan_1_1_uses_core_names_and_ignores_khr_flags)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci =
        fake_create_info(VK_API_VERSION_1_1, VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT |
                                                 VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT);

    fake_reset();
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_FROM(f.vk.vkGetBufferMemoryRequirements2KHR, "vkGetBufferMemoryRequirements2");
    EXPECT_FROM(f.vk.vkGetImageMemoryRequirements2KHR, "vkGetImageMemoryRequirements2");
    EXPECT_FROM(f.vk.vkBindBufferMemory2KHR, "vkBindBufferMemory2");
    EXPECT_FROM(f.vk.vkBindImageMemory2KHR, "vkBindImageMemory2");
    EXPECT_FROM(f.vk.vkGetPhysicalDeviceMemoryProperties2KHR,
                "vkGetPhysicalDeviceMemoryProperties2");
    EXPECT_FROM(f.GetPhysicalDeviceProperties2, "vkGetPhysicalDeviceProperties2");
    EXPECT_FALSE(fake_was_asked("vkGetBufferMemoryRequirements2KHR"));
    EXPECT_FALSE(fake_was_asked("vkBindBufferMemory2KHR"));
    /* vkGetDevice*MemoryRequirements are core only from 1.3 */
    EXPECT_TRUE(f.vk.vkGetDeviceBufferMemoryRequirements == NULL);
}

TEST(vkfuncs_vulkan_1_3_fetches_device_memory_requirements)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci = fake_create_info(VK_API_VERSION_1_3, 0);

    fake_reset();
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_FROM(f.vk.vkGetDeviceBufferMemoryRequirements, "vkGetDeviceBufferMemoryRequirements");
    EXPECT_FROM(f.vk.vkGetDeviceImageMemoryRequirements, "vkGetDeviceImageMemoryRequirements");
    EXPECT_FALSE(fake_was_asked("vkGetDeviceBufferMemoryRequirementsKHR"));
}

TEST(vkfuncs_memory_properties2_falls_back_to_the_other_name)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci = fake_create_info(VK_API_VERSION_1_2, 0);

    /* Drivers that answer only the KHR name although 1.1 is in use (VMA #410). */
    fake_reset();
    fake_refuse("vkGetPhysicalDeviceMemoryProperties2");
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_FROM(f.vk.vkGetPhysicalDeviceMemoryProperties2KHR,
                "vkGetPhysicalDeviceMemoryProperties2KHR");

    /* and the other way round for the extension on 1.0 */
    ci = fake_create_info(VK_API_VERSION_1_0, VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT);
    fake_reset();
    fake_refuse("vkGetPhysicalDeviceMemoryProperties2KHR");
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_FROM(f.vk.vkGetPhysicalDeviceMemoryProperties2KHR,
                "vkGetPhysicalDeviceMemoryProperties2");
}

TEST(vkfuncs_missing_required_function_fails_and_names_it)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci = fake_create_info(VK_API_VERSION_1_1, 0);

    vkmSetAssertHandler(count_assert, NULL);
    fake_reset();
    fake_refuse("vkBindImageMemory2");
    int before = assert_count;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vkm_vkfuncs_init(&f, &ci));
    if (assert_count > before)
        EXPECT_TRUE(strstr(last_assert, "vkBindImageMemory2KHR") != NULL);

    /* a core 1.0 command */
    fake_reset();
    fake_refuse("vkMapMemory");
    before = assert_count;
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vkm_vkfuncs_init(&f, &ci));
    if (assert_count > before)
        EXPECT_TRUE(strstr(last_assert, "vkMapMemory") != NULL);

    /* an extension command the flags ask for on 1.0 */
    ci = fake_create_info(VK_API_VERSION_1_0, VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT);
    fake_reset();
    fake_refuse("vkGetImageMemoryRequirements2KHR");
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vkm_vkfuncs_init(&f, &ci));

    /* the same command is not needed without the flag */
    ci = fake_create_info(VK_API_VERSION_1_0, 0);
    fake_reset();
    fake_refuse("vkGetImageMemoryRequirements2KHR");
    EXPECT_VK(VK_SUCCESS, vkm_vkfuncs_init(&f, &ci));
    vkmSetAssertHandler(NULL, NULL);
}

TEST(vkfuncs_device_memory_requirements_commands_stay_optional)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci =
        fake_create_info(VK_API_VERSION_1_3, VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT);

    /* Some drivers return NULL for these although 1.3 is in use (VMA #397). */
    fake_reset();
    fake_refuse("vkGetDeviceBufferMemoryRequirements");
    fake_refuse("vkGetDeviceBufferMemoryRequirementsKHR");
    fake_refuse("vkGetDeviceImageMemoryRequirements");
    fake_refuse("vkGetDeviceImageMemoryRequirementsKHR");
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_TRUE(f.vk.vkGetDeviceBufferMemoryRequirements == NULL);
    EXPECT_TRUE(f.vk.vkGetDeviceImageMemoryRequirements == NULL);
}

TEST(vkfuncs_win32_flag_cannot_be_met_without_win32_headers)
{
#if VMA_EXTERNAL_MEMORY_WIN32
    TEST_SKIP("this build has VK_KHR_external_memory_win32");
#else
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci =
        fake_create_info(VK_API_VERSION_1_1, VMA_ALLOCATOR_CREATE_KHR_EXTERNAL_MEMORY_WIN32_BIT);

    vkmSetAssertHandler(count_assert, NULL);
    fake_reset();
    EXPECT_VK(VK_ERROR_INITIALIZATION_FAILED, vkm_vkfuncs_init(&f, &ci));
    vkmSetAssertHandler(NULL, NULL);
#endif
}

TEST(vkfuncs_user_instance_getter_also_supplies_the_device_getter)
{
    vkm_vkfuncs f;
    VmaAllocatorCreateInfo ci = fake_create_info(VK_API_VERSION_1_1, 0);

    fake_reset();
    user_table.vkGetDeviceProcAddr = NULL;
    ASSERT_VK_OK(vkm_vkfuncs_init(&f, &ci));
    EXPECT_TRUE(f.vk.vkGetDeviceProcAddr == fake_gdpa);
    EXPECT_FROM(f.vk.vkAllocateMemory, "vkAllocateMemory");
}

TEST(vkfuncs_complete_user_table_needs_no_getters_and_no_handles)
{
    vkm_vkfuncs first, second;
    VmaAllocatorCreateInfo ci = fake_create_info(VK_API_VERSION_1_1, 0);

    /* Build a complete table once, then hand it over with the getters removed and the
     * handles null: nothing may be fetched. */
    fake_reset();
    ASSERT_VK_OK(vkm_vkfuncs_init(&first, &ci));
    first.vk.vkGetDeviceBufferMemoryRequirements = NULL;
    first.vk.vkGetDeviceImageMemoryRequirements = NULL;
    user_table = first.vk;
    user_table.vkGetInstanceProcAddr = NULL;
    user_table.vkGetDeviceProcAddr = NULL;
    ci.instance = VK_NULL_HANDLE;
    ci.device = VK_NULL_HANDLE;
    fake_reset();
    ASSERT_VK_OK(vkm_vkfuncs_init(&second, &ci));
    EXPECT_TRUE(fake_asked[0] == '\0');
    EXPECT_TRUE(second.vk.vkAllocateMemory == first.vk.vkAllocateMemory);
    EXPECT_TRUE(second.vk.vkBindImageMemory2KHR == first.vk.vkBindImageMemory2KHR);
}

TEST(vkfuncs_without_user_table_uses_the_loader)
{
    vkm_test_vk_options opt = vkm_test_vk_default_options();
    vkm_test_vk ctx;
    VmaAllocatorCreateInfo ci;
    vkm_vkfuncs f;

    opt.validation = false;
    const VkResult r = vkm_test_vk_create(&ctx, &opt);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        TEST_SKIP("no Vulkan driver");
    ASSERT_VK_OK(r);
    memset(&ci, 0, sizeof ci);
    vkm_test_vk_fill_allocator_info(&ctx, &ci);
    ci.pVulkanFunctions = NULL;
    EXPECT_VK(VK_SUCCESS, vkm_vkfuncs_init(&f, &ci));
    EXPECT_TRUE(f.vk.vkGetInstanceProcAddr == vkGetInstanceProcAddr);
    EXPECT_TRUE(f.vk.vkGetDeviceProcAddr == vkGetDeviceProcAddr);
    if (f.vk.vkGetPhysicalDeviceMemoryProperties != NULL) {
        VkPhysicalDeviceMemoryProperties mp;
        memset(&mp, 0, sizeof mp);
        f.vk.vkGetPhysicalDeviceMemoryProperties(ctx.physical_device, &mp);
        EXPECT_EQ(mp.memoryTypeCount, ctx.mem_props.memoryTypeCount);
    }
    if (ctx.api_version >= VK_API_VERSION_1_1) {
        EXPECT_TRUE(f.vk.vkBindBufferMemory2KHR != NULL);
        EXPECT_TRUE(f.vk.vkGetPhysicalDeviceMemoryProperties2KHR != NULL);
        EXPECT_TRUE(f.GetPhysicalDeviceProperties2 != NULL);
    }
    vkm_test_vk_destroy(&ctx);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
