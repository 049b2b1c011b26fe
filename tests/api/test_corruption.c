/* SPDX-License-Identifier: MIT */
/*
 * test_corruption.c - debug margins, corruption detection and debug fill (VMA's
 * "Debugging incorrect memory usage"), switched on at run time with vkmSetDebugOptions.
 *
 * Against VMA 3.3's documented behaviour: VMA_DEBUG_MARGIN bytes stay free after every
 * block allocation (every memory type, none around dedicated allocations);
 * VMA_DEBUG_DETECT_CORRUPTION keeps VKM_CORRUPTION_MAGIC_VALUE there in HOST_VISIBLE +
 * HOST_COHERENT types, verified on free and by vmaCheckCorruption / vmaCheckPoolCorruption
 * (VK_ERROR_FEATURE_NOT_PRESENT when no given type is checked, VK_SUCCESS when intact,
 * VK_ERROR_UNKNOWN plus an assertion when overwritten); VMA_DEBUG_INITIALIZE_ALLOCATIONS
 * fills new allocations with 0xDC and freed ones with 0xEF. Each case runs over the three
 * block paths: thread-cache slots (small sizes), slots of a request's aligned footprint
 * (3000 bytes aligned to 64 KiB) and the shared path (STRATEGY_MIN_MEMORY), and checks run while other threads allocate.
 */
#include "api_common.h"

/* Debug builds report damage (and bad options) to the assert handler; release builds
 * only count it. */
#define MARGIN 16u
#define COHERENT (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
#define MAPPED (VMA_ALLOCATION_CREATE_MAPPED_BIT | VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT)

/* The three block paths, by the request that takes each. */
typedef struct path {
    const char *name;
    VkDeviceSize size;
    VmaAllocationCreateFlags flags;
    VkDeviceSize align; /* at least this alignment, whatever the call asks */
} path;

static const path paths[] = {
    {"cached slot", 200, 0, 0},
    {"footprint", 3000, 0, 64 * API_KIB}, /* aligned beyond its size: 64 KiB slots */
    {"shared (MIN_MEMORY)", 3000, VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT, 0},
};

/* The alignment a test asks for on path p, given the one it would ask for otherwise. */
static VkDeviceSize
align_on(const path *p, VkDeviceSize alignment)
{
    return p->align > alignment ? p->align : alignment;
}

/* An allocator made with these options; the process options go back to the build's. */
static api_fixture *
setup_with(VkDeviceSize margin, bool detect, bool fill, const char *sim_layout)
{
    const VkmDebugOptions o = {margin, detect, fill};
    ASSERT_VK_OK(vkmSetDebugOptions(&o));
    api_fixture *f = api_fixture_setup(&(api_setup){
        .preferred_large_heap_block_size = 64 * API_MIB,
        .use_sim = sim_layout != NULL,
        .sim_layout = sim_layout,
    });
    vkmSetDebugOptions(NULL);
    return f;
}

/* Names the path of the first failure of a case that loops over them. */
static void
note_path(uint32_t p)
{
    static bool noted;
    if (vkm_test_case_failed() && !noted) {
        noted = true;
        vkm_test_fail(__FILE__, __LINE__, "(the failures above are on the %s path)", paths[p].name);
    }
}

static uint32_t
coherent_type(VmaAllocator a)
{
    return api_find_type(a, COHERENT);
}

static uint64_t
cache_ops(VmaAllocator a)
{
    VkmThreadCacheStatistics s;
    memset(&s, 0, sizeof(s));
    vkmGetThreadCacheStatistics(a, &s);
    return s.hits + s.misses;
}

TEST(corruption_is_off_by_default_and_checks_report_feature_not_present)
{
    api_fixture *f = api_fixture_setup(NULL);
    VmaAllocator a = f->allocator;
    VkmDebugOptions o;
    memset(&o, 0xcd, sizeof(o));
    vkmGetDebugOptions(a, &o);
    EXPECT_EQ_U64(o.margin, 0);
    EXPECT_EQ(o.detectCorruption, VK_FALSE);
    EXPECT_EQ(o.initializeAllocations, VK_FALSE);
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(api_alloc(a, 100, 4, api_all_types(a), MAPPED, &x, &info));
    EXPECT_EQ_U64(info.size, 100); /* no rounding without detection */
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCheckCorruption(a, UINT32_MAX));
    VmaPool pool = VK_NULL_HANDLE;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = coherent_type(a)};
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCheckPoolCorruption(a, pool));
    vmaDestroyPool(a, pool);
    vmaFreeMemory(a, x);
    EXPECT_EQ_U64(vkmGetCorruptionCount(a), 0);
    api_fixture_teardown(f);
}

TEST(corruption_options_are_validated_and_taken_at_allocator_creation)
{
    VkmDebugOptions build, o;
    vkmGetDebugOptions(NULL, &build);
    api_asserts_begin();
    const VkmDebugOptions odd = {6, VK_TRUE, VK_FALSE};
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vkmSetDebugOptions(&odd));
    const VkmDebugOptions huge = {VKM_DEBUG_MAX_MARGIN + 4, VK_FALSE, VK_FALSE};
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vkmSetDebugOptions(&huge));
    const unsigned asserts = api_asserts_end();
    if (API_ASSERTS)
        EXPECT_EQ(asserts, 2u);
    vkmGetDebugOptions(NULL, &o);
    EXPECT_EQ_U64(o.margin, build.margin); /* refused: nothing changed */
    /* A margin that is not a multiple of 4 is fine without detection. */
    const VkmDebugOptions margin_only = {6, VK_FALSE, VK_TRUE};
    EXPECT_VK(VK_SUCCESS, vkmSetDebugOptions(&margin_only));
    vkmGetDebugOptions(NULL, &o);
    EXPECT_EQ_U64(o.margin, 6);
    EXPECT_EQ(o.initializeAllocations, VK_TRUE);

    api_fixture *f = setup_with(MARGIN, true, false, NULL);
    VmaAllocator a = f->allocator;
    vkmGetDebugOptions(NULL, &o); /* setup_with restored the build's defaults */
    EXPECT_EQ_U64(o.margin, build.margin);
    vkmGetDebugOptions(a, &o); /* the allocator keeps what it was made with */
    EXPECT_EQ_U64(o.margin, MARGIN);
    EXPECT_EQ(o.detectCorruption, VK_TRUE);
    EXPECT_EQ(o.initializeAllocations, VK_FALSE);
    EXPECT_EQ_U64(vkmGetCorruptionCount(NULL), 0);
    api_fixture_teardown(f);
}

TEST(corruption_clean_allocations_check_clean_on_every_path)
{
    api_fixture *f = setup_with(MARGIN, true, false, NULL);
    VmaAllocator a = f->allocator;
    const uint32_t t = coherent_type(a);
    ASSERT_NE(t, UINT32_MAX);
    /* Detection is on for the type before anything is allocated in it. */
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, 1u << t));
    enum {
        N = 8
    };
    VmaAllocation x[3][N];
    for (uint32_t p = 0; p < 3; p++)
        for (uint32_t i = 0; i < N; i++)
            ASSERT_VK_OK(api_alloc(a, paths[p].size + i * 5, align_on(&paths[p], 8), 1u << t,
                                   paths[p].flags, &x[p][i], NULL));
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, UINT32_MAX));
    /* Writing right up to the end of every allocation stays inside it. */
    for (uint32_t p = 0; p < 3; p++) {
        for (uint32_t i = 0; i < N; i++) {
            void *m = NULL;
            ASSERT_VK_OK(vmaMapMemory(a, x[p][i], &m));
            memset(m, 0x5a, (size_t)(paths[p].size + i * 5));
            vmaUnmapMemory(a, x[p][i]);
        }
    }
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, UINT32_MAX));
    for (uint32_t p = 0; p < 3; p++)
        for (uint32_t i = 0; i < N; i++)
            vmaFreeMemory(a, x[p][i]);
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, UINT32_MAX));
    EXPECT_EQ_U64(vkmGetCorruptionCount(a), 0);
    api_fixture_teardown(f);
}

TEST(corruption_write_past_the_end_is_reported_by_check_and_by_free)
{
    for (uint32_t p = 0; p < 3; p++) {
        api_fixture *f = setup_with(MARGIN, true, false, NULL);
        VmaAllocator a = f->allocator;
        const uint32_t t = coherent_type(a);
        ASSERT_NE(t, UINT32_MAX);
        /* Neighbours on both sides, so a damaged margin is not the block's last bytes. */
        VmaAllocation before = VK_NULL_HANDLE, victim = VK_NULL_HANDLE, after = VK_NULL_HANDLE;
        VmaAllocationInfo info;
        /* The class's first runs are made by the first requests (cache misses). */
        VmaAllocation warm[2];
        for (uint32_t i = 0; i < 2; i++)
            ASSERT_VK_OK(api_alloc(a, paths[p].size, align_on(&paths[p], 4), 1u << t,
                                   paths[p].flags, &warm[i], NULL));
        const uint64_t ops0 = cache_ops(a);
        ASSERT_VK_OK(api_alloc(a, paths[p].size, align_on(&paths[p], 4), 1u << t, paths[p].flags,
                               &before, NULL));
        ASSERT_VK_OK(api_alloc(a, paths[p].size - 3, align_on(&paths[p], 4), 1u << t,
                               MAPPED | paths[p].flags, &victim, &info));
        ASSERT_VK_OK(api_alloc(a, paths[p].size, align_on(&paths[p], 4), 1u << t, paths[p].flags,
                               &after, NULL));
        EXPECT_EQ_U64(info.size, paths[p].size - 3 + 3); /* rounded up to 4, as VMA does */
        if (!vkmIsSingleMutexBuild()) {
            /* served by the cache (slots), or not at all (shared path) */
            const bool shared = paths[p].flags & VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT;
            EXPECT_EQ_U64(cache_ops(a), ops0 + (shared ? 0 : 3));
        }
        EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, UINT32_MAX));

        /* One byte past the end, through the allocation's own mapping. */
        ((volatile uint8_t *)info.pMappedData)[info.size] ^= 0x01;
        api_asserts_begin();
        EXPECT_VK(VK_ERROR_UNKNOWN, vmaCheckCorruption(a, 1u << t));
        EXPECT_VK(VK_ERROR_UNKNOWN, vmaCheckCorruption(a, UINT32_MAX));
        EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCheckCorruption(a, 0));
        EXPECT_EQ_U64(vkmGetCorruptionCount(a), 2);
        vmaFreeMemory(a, victim); /* completes, and reports */
        const unsigned asserts = api_asserts_end();
        if (API_ASSERTS) {
            EXPECT_EQ(asserts, 3u);
            EXPECT_TRUE(strstr(api_assert_log.last, "corruption") != NULL);
        }
        EXPECT_EQ_U64(vkmGetCorruptionCount(a), 3);
        /* The damage left with the allocation. */
        EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, UINT32_MAX));
        vmaFreeMemory(a, before);
        vmaFreeMemory(a, after);
        vmaFreeMemory(a, warm[0]);
        vmaFreeMemory(a, warm[1]);
        EXPECT_EQ_U64(vkmGetCorruptionCount(a), 3);
        api_fixture_teardown(f);
        note_path(p);
    }
}

/* Sorted by offset within each memory object, every allocation ends at least `margin`
 * bytes before the next one begins. */
static void
expect_margins(VmaAllocator a, VmaAllocation *x, uint32_t n, VkDeviceSize margin)
{
    VmaAllocationInfo *info = calloc(n, sizeof(*info));
    ASSERT_TRUE(info != NULL);
    for (uint32_t i = 0; i < n; i++)
        vmaGetAllocationInfo(a, x[i], &info[i]);
    uint32_t neighbours = 0;
    for (uint32_t i = 0; i < n; i++) {
        VkDeviceSize next = VK_WHOLE_SIZE;
        for (uint32_t j = 0; j < n; j++)
            if (j != i && info[j].deviceMemory == info[i].deviceMemory &&
                info[j].offset >= info[i].offset && info[j].offset < next)
                next = info[j].offset;
        if (next == VK_WHOLE_SIZE)
            continue;
        neighbours++;
        EXPECT_GE_U64(next, info[i].offset + info[i].size + margin);
    }
    EXPECT_GT(neighbours, 0u);
    free(info);
}

TEST(corruption_margins_separate_allocations_on_every_path_and_every_type)
{
    /* A margin alone applies to every memory type, host-visible or not. */
    api_fixture *f = setup_with(MARGIN, false, false, NULL);
    VmaAllocator a = f->allocator;
    const uint32_t bits = api_all_types(a);
    enum {
        N = 12
    };
    for (uint32_t p = 0; p < 3; p++) {
        VmaAllocation x[N];
        for (uint32_t i = 0; i < N; i++)
            ASSERT_VK_OK(api_alloc(a, paths[p].size, align_on(&paths[p], 16), bits, paths[p].flags,
                                   &x[i], NULL));
        expect_margins(a, x, N, MARGIN);
        /* Statistics count the requested bytes as allocations, margins as free. */
        VmaTotalStatistics s = api_stats(a);
        EXPECT_EQ_U64(s.total.statistics.allocationBytes, N * paths[p].size);
        EXPECT_GE(s.total.unusedRangeCount, (uint32_t)N);
        VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
        vmaGetHeapBudgets(a, budgets);
        const VkPhysicalDeviceMemoryProperties *props = NULL;
        vmaGetMemoryProperties(a, &props);
        VkDeviceSize budget_bytes = 0;
        for (uint32_t h = 0; h < props->memoryHeapCount; h++)
            budget_bytes += budgets[h].statistics.allocationBytes;
        EXPECT_EQ_U64(budget_bytes, s.total.statistics.allocationBytes);
        for (uint32_t i = 0; i < N; i++)
            vmaFreeMemory(a, x[i]);
        note_path(p);
    }
    /* Without detection nothing is checked and sizes are not rounded. */
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCheckCorruption(a, UINT32_MAX));
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(api_alloc(a, 13, 1, bits, 0, &x, &info));
    EXPECT_EQ_U64(info.size, 13);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

TEST(corruption_no_margin_around_dedicated_allocations)
{
    api_fixture *f = setup_with(MARGIN, true, false, NULL);
    VmaAllocator a = f->allocator;
    const uint32_t t = coherent_type(a);
    VmaAllocation x = VK_NULL_HANDLE;
    VmaAllocationInfo info;
    ASSERT_VK_OK(api_alloc(a, 4096, 4, 1u << t, MAPPED | VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                           &x, &info));
    EXPECT_EQ_U64(info.offset, 0);
    VmaAllocationInfo2 i2 = api_info2(a, x);
    EXPECT_EQ(i2.dedicatedMemory, VK_TRUE);
    EXPECT_EQ_U64(i2.blockSize, 4096); /* no margin was added to its memory */
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, 1u << t));
    vmaFreeMemory(a, x);
    EXPECT_EQ_U64(vkmGetCorruptionCount(a), 0);
    api_fixture_teardown(f);
}

TEST(corruption_checks_only_host_visible_coherent_types)
{
    /* A simulated integrated GPU: type 0 coherent, type 1 cached but not coherent. */
    api_fixture *f = setup_with(MARGIN, true, false, "intel-igpu-nonllc");
    VmaAllocator a = f->allocator;
    const VkPhysicalDeviceMemoryProperties *props = NULL;
    vmaGetMemoryProperties(a, &props);
    uint32_t coherent = 0, other = 0;
    for (uint32_t t = 0; t < props->memoryTypeCount; t++) {
        if ((props->memoryTypes[t].propertyFlags & COHERENT) == COHERENT)
            coherent |= 1u << t;
        else
            other |= 1u << t;
    }
    ASSERT_NE(coherent, 0u);
    ASSERT_NE(other, 0u);
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCheckCorruption(a, other));
    EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, other | coherent));
    /* Margins still apply in the unchecked type; its damage goes unnoticed, as in VMA. */
    VmaAllocation x[4];
    for (uint32_t i = 0; i < 4; i++)
        ASSERT_VK_OK(api_alloc(a, 1000, 4, other, 0, &x[i], NULL));
    expect_margins(a, x, 4, MARGIN);
    VmaPool pool = VK_NULL_HANDLE;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = (uint32_t)__builtin_ctz(other)};
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vmaCheckPoolCorruption(a, pool));
    vmaDestroyPool(a, pool);
    for (uint32_t i = 0; i < 4; i++)
        vmaFreeMemory(a, x[i]);
    api_fixture_teardown(f);
}

TEST(corruption_pool_check_finds_damage_in_its_blocks_only)
{
    api_fixture *f = setup_with(MARGIN, true, false, NULL);
    VmaAllocator a = f->allocator;
    const uint32_t t = coherent_type(a);
    VmaPool pool = VK_NULL_HANDLE, clean = VK_NULL_HANDLE;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = t, .blockSize = API_MIB};
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &clean));
    EXPECT_VK(VK_SUCCESS, vmaCheckPoolCorruption(a, pool));
    VkMemoryRequirements req = api_mem_req(1000, 64, 1u << t);
    VmaAllocationCreateInfo ci = {.flags = MAPPED, .pool = pool};
    VmaAllocation x[3], y = VK_NULL_HANDLE;
    VmaAllocationInfo info[3];
    for (uint32_t i = 0; i < 3; i++)
        ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x[i], &info[i]));
    ci.pool = clean;
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &y, NULL));
    memset((uint8_t *)info[1].pMappedData + info[1].size, 0, MARGIN); /* the whole margin */
    api_asserts_begin();
    EXPECT_VK(VK_ERROR_UNKNOWN, vmaCheckPoolCorruption(a, pool));
    EXPECT_VK(VK_SUCCESS, vmaCheckPoolCorruption(a, clean));
    EXPECT_VK(VK_ERROR_UNKNOWN, vmaCheckCorruption(a, 1u << t)); /* custom pools too */
    vmaFreeMemory(a, x[1]);
    const unsigned asserts = api_asserts_end();
    if (API_ASSERTS)
        EXPECT_EQ(asserts, 3u);
    EXPECT_EQ_U64(vkmGetCorruptionCount(a), 3);
    EXPECT_VK(VK_SUCCESS, vmaCheckPoolCorruption(a, pool));
    vmaFreeMemory(a, x[0]);
    vmaFreeMemory(a, x[2]);
    vmaFreeMemory(a, y);
    vmaDestroyPool(a, pool);
    vmaDestroyPool(a, clean);
    api_fixture_teardown(f);
}

static bool
all_bytes(const void *p, uint8_t v, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return false;
    return true;
}

TEST(corruption_fill_patterns_mark_new_and_freed_memory)
{
    api_fixture *f = setup_with(0, false, true, NULL);
    VmaAllocator a = f->allocator;
    const uint32_t t = coherent_type(a);
    for (uint32_t p = 0; p < 3; p++) {
        /* `keeper` stays mapped, so the victim's bytes can be read after it is freed
         * through the same memory object. */
        VmaAllocation keeper = VK_NULL_HANDLE, victim = VK_NULL_HANDLE;
        VmaAllocationInfo ki, vi;
        ASSERT_VK_OK(api_alloc(a, paths[p].size, align_on(&paths[p], 64), 1u << t,
                               MAPPED | paths[p].flags, &keeper, &ki));
        ASSERT_VK_OK(api_alloc(
            a, paths[p].size, align_on(&paths[p], 64), 1u << t,
            VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT | paths[p].flags, &victim, &vi));
        EXPECT_TRUE(all_bytes(ki.pMappedData, VKM_FILL_PATTERN_CREATED, (size_t)ki.size));
        ASSERT_TRUE(vi.deviceMemory == ki.deviceMemory);
        const uint8_t *base = (const uint8_t *)ki.pMappedData - ki.offset;
        EXPECT_TRUE(all_bytes(base + vi.offset, VKM_FILL_PATTERN_CREATED, (size_t)vi.size));
        vmaFreeMemory(a, victim);
        EXPECT_TRUE(all_bytes(base + vi.offset, VKM_FILL_PATTERN_DESTROYED, (size_t)vi.size));
        vmaFreeMemory(a, keeper);
        note_path(p);
    }
    /* Dedicated allocations are filled too. */
    VmaAllocation d = VK_NULL_HANDLE;
    VmaAllocationInfo di;
    ASSERT_VK_OK(api_alloc(a, 8192, 4, 1u << t, MAPPED | VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                           &d, &di));
    EXPECT_TRUE(all_bytes(di.pMappedData, VKM_FILL_PATTERN_CREATED, 8192));
    vmaFreeMemory(a, d);
    api_fixture_teardown(f);
}

/* ---- checks while other threads allocate and free ----------------------------------- */

typedef struct churn {
    VmaAllocator a;
    uint32_t bits;
    atomic_int stop;
    VkResult res;
} churn;

static void *
churn_main(void *arg)
{
    churn *c = arg;
    VmaAllocation live[16] = {0};
    uint32_t seed = 12345;
    for (uint32_t i = 0; !atomic_load(&c->stop) && i < 4000; i++) {
        seed = seed * 1103515245u + 12345u;
        const uint32_t k = (seed >> 8) % 16;
        if (live[k] != VK_NULL_HANDLE) {
            vmaFreeMemory(c->a, live[k]);
            live[k] = VK_NULL_HANDLE;
            continue;
        }
        const path *p = &paths[(seed >> 16) % 3];
        const VkResult r = api_alloc(c->a, p->size / 2 + (seed >> 20) % 64, align_on(p, 4), c->bits,
                                     p->flags, &live[k], NULL);
        if (r != VK_SUCCESS) {
            c->res = r;
            break;
        }
    }
    for (uint32_t k = 0; k < 16; k++)
        if (live[k] != VK_NULL_HANDLE)
            vmaFreeMemory(c->a, live[k]);
    return NULL;
}

TEST(corruption_checks_during_churn_see_only_intact_margins)
{
    api_fixture *f = setup_with(MARGIN, true, false, NULL);
    VmaAllocator a = f->allocator;
    churn c = {.a = a, .bits = 1u << coherent_type(a), .res = VK_SUCCESS};
    pthread_t th[2];
    for (uint32_t i = 0; i < 2; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, churn_main, &c), 0);
    uint32_t checks = 0;
    for (; checks < 200; checks++)
        EXPECT_VK(VK_SUCCESS, vmaCheckCorruption(a, UINT32_MAX));
    atomic_store(&c.stop, 1);
    for (uint32_t i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    EXPECT_VK(VK_SUCCESS, c.res);
    EXPECT_EQ_U64(vkmGetCorruptionCount(a), 0);
    EXPECT_EQ(api_stats(a).total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

TEST(corruption_check_rejects_bad_handles)
{
    api_fixture *f = api_fixture_setup(NULL);
    api_asserts_begin();
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCheckCorruption(VK_NULL_HANDLE, UINT32_MAX));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vmaCheckPoolCorruption(f->allocator, VK_NULL_HANDLE));
    EXPECT_VK(VK_ERROR_VALIDATION_FAILED_EXT, vkmSetDebugOptions(&(VkmDebugOptions){3, 1, 0}));
    const unsigned asserts = api_asserts_end();
    if (API_ASSERTS)
        EXPECT_EQ(asserts, 3u);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
