/* SPDX-License-Identifier: MIT */
/*
 * test_json.c - vmaBuildStatsString / vmaBuildVirtualBlockStatsString.
 *
 * Every dump is parsed with tests/support/json_mini (a strict reader), then checked
 * against VMA 3.3's layout: "General", "Total", "MemoryInfo" (heaps, their types), and
 * with the detailed map "DefaultPools" / "CustomPools" with "Blocks" whose
 * "Suballocations" tile each block, and "DedicatedAllocations"; a virtual block gives
 * "Stats" and "Details". Names (pools, allocations) round-trip through the escaping with
 * control characters, quotes and backslashes, and bytes of any encoding copied as they
 * are (VMA: names are copied as-is, in whatever encoding the program uses). The
 * last case dumps while other threads allocate and free (run under TSan).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "api_common.h"
#include "json_mini.h"

static vkm_json *
parse_dump(const char *s)
{
    char err[256] = "";
    vkm_json *root = s ? vkm_json_parse(s, strlen(s), err, sizeof(err)) : NULL;
    if (root == NULL && s != NULL)
        fprintf(stderr, "JSON parse error: %s\n", err);
    return root;
}

/* With VKM_JSON_DUMP_DIR set (tests/api/json_python_check.sh), every dump is also saved
 * there as dump-N.json, for a second, independent parser. */
static void
save_text(const char *name, const char *text)
{
    const char *dir = getenv("VKM_JSON_DUMP_DIR");
    if (dir == NULL || text == NULL)
        return;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs(text, f);
    fclose(f);
}

static vkm_json *
dump(VmaAllocator a, bool detailed)
{
    static unsigned saved;
    char *s = NULL;
    vmaBuildStatsString(a, &s, detailed ? VK_TRUE : VK_FALSE);
    char name[32];
    snprintf(name, sizeof(name), "dump-%u.json", saved++);
    save_text(name, s);
    vkm_json *root = parse_dump(s);
    vmaFreeStatsString(a, s);
    return root;
}

static uint64_t
u64_of(const vkm_json *obj, const char *key)
{
    uint64_t v = UINT64_MAX;
    vkm_json_get_u64(vkm_json_get(obj, key), &v);
    return v;
}

static const char *
str_of(const vkm_json *obj, const char *key)
{
    const char *s = NULL;
    vkm_json_get_string(vkm_json_get(obj, key), &s);
    return s;
}

/* The keys of VMA's statistics object agree with vmaCalculateStatistics' record. */
static void
check_stats(const vkm_json *o, const VmaDetailedStatistics *d)
{
    ASSERT_TRUE(o != NULL && o->type == VKM_JSON_OBJECT);
    EXPECT_EQ_U64(u64_of(o, "BlockCount"), d->statistics.blockCount);
    EXPECT_EQ_U64(u64_of(o, "BlockBytes"), d->statistics.blockBytes);
    EXPECT_EQ_U64(u64_of(o, "AllocationCount"), d->statistics.allocationCount);
    EXPECT_EQ_U64(u64_of(o, "AllocationBytes"), d->statistics.allocationBytes);
    EXPECT_EQ_U64(u64_of(o, "UnusedRangeCount"), d->unusedRangeCount);
    EXPECT_EQ(vkm_json_get(o, "AllocationSizeMin") != NULL, d->statistics.allocationCount > 1);
    if (d->statistics.allocationCount > 1) {
        EXPECT_EQ_U64(u64_of(o, "AllocationSizeMin"), d->allocationSizeMin);
        EXPECT_EQ_U64(u64_of(o, "AllocationSizeMax"), d->allocationSizeMax);
    }
    EXPECT_EQ(vkm_json_get(o, "UnusedRangeSizeMin") != NULL, d->unusedRangeCount > 1);
}

/* Each block's suballocations tile it and agree with its header; returns the number of
 * allocation entries. */
static uint64_t
check_blocks(const vkm_json *blocks)
{
    ASSERT_TRUE(blocks != NULL && blocks->type == VKM_JSON_OBJECT);
    uint64_t total_allocs = 0;
    for (const vkm_json *b = blocks->child; b != NULL; b = b->next) {
        ASSERT_TRUE(b->type == VKM_JSON_OBJECT);
        EXPECT_TRUE(vkm_json_get(b, "MapRefCount") != NULL);
        const uint64_t total = u64_of(b, "TotalBytes");
        const vkm_json *subs = vkm_json_get(b, "Suballocations");
        ASSERT_TRUE(subs != NULL && subs->type == VKM_JSON_ARRAY);
        uint64_t offset = 0, allocs = 0, unused = 0, used_bytes = 0;
        for (const vkm_json *s = subs->child; s != NULL; s = s->next) {
            EXPECT_EQ_U64(u64_of(s, "Offset"), offset);
            const uint64_t size = u64_of(s, "Size");
            const char *type = str_of(s, "Type");
            ASSERT_TRUE(type != NULL);
            if (strcmp(type, "FREE") == 0) {
                unused++;
            } else {
                allocs++;
                used_bytes += size;
                EXPECT_TRUE(vkm_json_get(s, "Usage") != NULL);
            }
            offset += size;
        }
        EXPECT_EQ_U64(offset, total);
        EXPECT_EQ_U64(u64_of(b, "Allocations"), allocs);
        EXPECT_EQ_U64(u64_of(b, "UnusedRanges"), unused);
        EXPECT_EQ_U64(u64_of(b, "UnusedBytes"), total - used_bytes);
        total_allocs += allocs;
    }
    return total_allocs;
}

/* Sum of the blocks' "UnusedRanges"; every block's suballocations tile it and no two FREE
 * entries are neighbours (VMA merges adjacent free space; no debug margins here). */
static uint64_t
unused_ranges_of(const vkm_json *blocks)
{
    check_blocks(blocks);
    uint64_t sum = 0;
    for (const vkm_json *b = blocks ? blocks->child : NULL; b != NULL; b = b->next) {
        sum += u64_of(b, "UnusedRanges");
        bool prev_free = false;
        const vkm_json *subs = vkm_json_get(b, "Suballocations");
        for (const vkm_json *e = subs ? subs->child : NULL; e != NULL; e = e->next) {
            const char *type = str_of(e, "Type");
            const bool free_range = type != NULL && strcmp(type, "FREE") == 0;
            if (free_range && prev_free)
                vkm_test_fail(__FILE__, __LINE__, "block %s: adjacent FREE entries at %llu", b->key,
                              (unsigned long long)u64_of(e, "Offset"));
            prev_free = free_range;
        }
    }
    return sum;
}

/* The first member of an array of objects whose `key` is `value`, or NULL. */
static const vkm_json *
find_by(const vkm_json *arr, const char *key, const char *value)
{
    for (const vkm_json *e = arr ? arr->child : NULL; e != NULL; e = e->next) {
        const char *s = str_of(e, key);
        if (s != NULL && strcmp(s, value) == 0)
            return e;
    }
    return NULL;
}

TEST(json_dump_has_vma_layout_without_detailed_map)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    VmaAllocation x[3];
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(api_alloc(a, 4096u << i, 256, UINT32_MAX, 0, &x[i], NULL));
    VmaTotalStatistics ts;
    vmaCalculateStatistics(a, &ts);

    vkm_json *root = dump(a, false);
    ASSERT_TRUE(root != NULL);
    const vkm_json *g = vkm_json_get(root, "General");
    EXPECT_STREQ(str_of(g, "API"), "Vulkan");
    EXPECT_TRUE(str_of(g, "apiVersion") != NULL);
    EXPECT_TRUE(str_of(g, "GPU") != NULL);
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);
    const VkPhysicalDeviceProperties *pp = NULL;
    vmaGetPhysicalDeviceProperties(a, &pp);
    EXPECT_EQ_U64(u64_of(g, "memoryHeapCount"), mp->memoryHeapCount);
    EXPECT_EQ_U64(u64_of(g, "memoryTypeCount"), mp->memoryTypeCount);
    EXPECT_EQ_U64(u64_of(g, "deviceType"), (uint64_t)pp->deviceType);
    EXPECT_EQ_U64(u64_of(g, "bufferImageGranularity"), pp->limits.bufferImageGranularity);
    EXPECT_EQ_U64(u64_of(g, "nonCoherentAtomSize"), pp->limits.nonCoherentAtomSize);
    EXPECT_EQ_U64(u64_of(g, "maxMemoryAllocationCount"), pp->limits.maxMemoryAllocationCount);
    check_stats(vkm_json_get(root, "Total"), &ts.total);
    EXPECT_EQ_U64(u64_of(vkm_json_get(root, "Total"), "AllocationCount"), 3);

    const vkm_json *mi = vkm_json_get(root, "MemoryInfo");
    ASSERT_TRUE(mi != NULL);
    EXPECT_EQ(mi->count, (size_t)mp->memoryHeapCount);
    uint32_t types_seen = 0;
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        char key[32];
        snprintf(key, sizeof(key), "Heap %u", h);
        const vkm_json *heap = vkm_json_get(mi, key);
        ASSERT_TRUE(heap != NULL);
        EXPECT_EQ_U64(u64_of(heap, "Size"), mp->memoryHeaps[h].size);
        const vkm_json *flags = vkm_json_get(heap, "Flags");
        ASSERT_TRUE(flags != NULL && flags->type == VKM_JSON_ARRAY);
        EXPECT_EQ(find_by(NULL, "", "") == NULL, true);
        bool has_dl = false;
        for (const vkm_json *fl = flags->child; fl; fl = fl->next)
            has_dl |= fl->type == VKM_JSON_STRING && strcmp(fl->string, "DEVICE_LOCAL") == 0;
        EXPECT_EQ(has_dl, (mp->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0);
        const vkm_json *budget = vkm_json_get(heap, "Budget");
        EXPECT_TRUE(vkm_json_get(budget, "BudgetBytes") != NULL);
        EXPECT_TRUE(vkm_json_get(budget, "UsageBytes") != NULL);
        check_stats(vkm_json_get(heap, "Stats"), &ts.memoryHeap[h]);
        const vkm_json *pools = vkm_json_get(heap, "MemoryPools");
        ASSERT_TRUE(pools != NULL);
        for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
            snprintf(key, sizeof(key), "Type %u", t);
            const vkm_json *type = vkm_json_get(pools, key);
            EXPECT_EQ(type != NULL, mp->memoryTypes[t].heapIndex == h);
            if (type == NULL)
                continue;
            types_seen++;
            EXPECT_TRUE(vkm_json_get(type, "Flags") != NULL);
            check_stats(vkm_json_get(type, "Stats"), &ts.memoryType[t]);
        }
    }
    EXPECT_EQ(types_seen, mp->memoryTypeCount);
    EXPECT_TRUE(vkm_json_get(root, "DefaultPools") == NULL);
    EXPECT_TRUE(vkm_json_get(root, "CustomPools") == NULL);
    vkm_json_free(root);
    for (int i = 0; i < 3; i++)
        vmaFreeMemory(a, x[i]);
    api_fixture_teardown(f);
}

/* Hostile names and what the dump must show for them. */
static const struct {
    const char *in, *out;
} names[] = {
    {"plain", "plain"},
    {"quote\" back\\slash /", "quote\" back\\slash /"},
    {"ctl \x01\x02\x1f\b\f\n\r\t\x7f end", "ctl \x01\x02\x1f\b\f\n\r\t\x7f end"},
    {"utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {"not utf8 \xff|\xc3|\xe2\x82|\xed\xa0\x80|\xc0\xaf|\xf4\x90\x80\x80|\x80",
     "not utf8 \xff|\xc3|\xe2\x82|\xed\xa0\x80|\xc0\xaf|\xf4\x90\x80\x80|\x80"},
    {"ISO-8859-2 Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1",
     "ISO-8859-2 Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1"},
    {"truncated at end \xe2\x82", "truncated at end \xe2\x82"},
};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

TEST(json_detailed_map_round_trips_names_and_tiles_blocks)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    const uint32_t type = 0;
    VmaPool pools[NAME_COUNT];
    VmaAllocation in_pool[NAME_COUNT], dedicated[NAME_COUNT], plain[4];
    int user_tag[NAME_COUNT];
    for (size_t i = 0; i < NAME_COUNT; i++) {
        VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = API_MIB};
        ASSERT_VK_OK(vmaCreatePool(a, &pci, &pools[i]));
        vmaSetPoolName(a, pools[i], names[i].in);
        VkMemoryRequirements req = api_mem_req(64 * API_KIB, 256, 1u << type);
        VmaAllocationCreateInfo ci = {.pool = pools[i], .pUserData = &user_tag[i]};
        ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &in_pool[i], NULL));
        vmaSetAllocationName(a, in_pool[i], names[i].in);
        ASSERT_VK_OK(api_alloc(a, 4096, 1, 1u << type, VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                               &dedicated[i], NULL));
        vmaSetAllocationName(a, dedicated[i], names[i].in);
    }
    for (int i = 0; i < 4; i++) /* default pool: thread-cache slots and shared ranges */
        ASSERT_VK_OK(
            api_alloc(a, i < 2 ? 1024 : 300 * API_KIB, 256, 1u << type, 0, &plain[i], NULL));
    VmaTotalStatistics ts;
    vmaCalculateStatistics(a, &ts);

    /* what the dump must show, as hex lines, for the second parser */
    char hex[4096] = "";
    for (size_t i = 0; i < NAME_COUNT; i++) {
        for (const unsigned char *c = (const unsigned char *)names[i].out; *c; c++)
            snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x", *c);
        snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "\n");
    }
    save_text("names.hex", hex);

    vkm_json *root = dump(a, true);
    ASSERT_TRUE(root != NULL);
    const vkm_json *dp = vkm_json_get(root, "DefaultPools");
    ASSERT_TRUE(dp != NULL && dp->type == VKM_JSON_OBJECT);
    uint64_t allocs = 0, dedicated_seen = 0;
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
        char key[32];
        snprintf(key, sizeof(key), "Type %u", t);
        const vkm_json *d = vkm_json_get(dp, key);
        ASSERT_TRUE(d != NULL);
        EXPECT_TRUE(u64_of(d, "PreferredBlockSize") > 0);
        allocs += check_blocks(vkm_json_get(d, "Blocks"));
        const vkm_json *ded = vkm_json_get(d, "DedicatedAllocations");
        ASSERT_TRUE(ded != NULL && ded->type == VKM_JSON_ARRAY);
        dedicated_seen += ded->count;
        for (const vkm_json *e = ded->child; e; e = e->next) {
            EXPECT_EQ_U64(u64_of(e, "Size"), 4096);
            EXPECT_STREQ(str_of(e, "Type"), "UNKNOWN");
        }
    }
    EXPECT_EQ_U64(dedicated_seen, NAME_COUNT);
    EXPECT_EQ_U64(allocs, 4);
    const vkm_json *ded0 = vkm_json_get(vkm_json_get(dp, "Type 0"), "DedicatedAllocations");

    const vkm_json *cp = vkm_json_get(root, "CustomPools");
    const vkm_json *cpt = vkm_json_get(cp, "Type 0");
    ASSERT_TRUE(cpt != NULL && cpt->type == VKM_JSON_ARRAY);
    EXPECT_EQ(cpt->count, NAME_COUNT);
    for (size_t i = 0; i < NAME_COUNT; i++) {
        /* VMA's pool naming: "<index among the type's pools> - <name>" */
        char want[256];
        snprintf(want, sizeof(want), "%zu - %s", i, names[i].out);
        const vkm_json *p = find_by(cpt, "Name", want);
        ASSERT_TRUE(p != NULL);
        EXPECT_EQ_U64(u64_of(p, "PreferredBlockSize"), API_MIB);
        EXPECT_EQ_U64(check_blocks(vkm_json_get(p, "Blocks")), 1);
        const vkm_json *blk = vkm_json_at(vkm_json_get(p, "Blocks"), 0);
        const vkm_json *sub = find_by(vkm_json_get(blk, "Suballocations"), "Name", names[i].out);
        ASSERT_TRUE(sub != NULL);
        EXPECT_EQ_U64(u64_of(sub, "Size"), 64 * API_KIB);
        char ptr[32];
        snprintf(ptr, sizeof(ptr), "%p", (void *)&user_tag[i]);
        EXPECT_STREQ(str_of(sub, "CustomData"), ptr);
        EXPECT_TRUE(find_by(ded0, "Name", names[i].out) != NULL);
    }
    vkm_json_free(root);

    for (size_t i = 0; i < NAME_COUNT; i++) {
        vmaFreeMemory(a, in_pool[i]);
        vmaFreeMemory(a, dedicated[i]);
        vmaDestroyPool(a, pools[i]);
    }
    for (int i = 0; i < 4; i++)
        vmaFreeMemory(a, plain[i]);
    /* Empty again: nothing named is left in the dump. */
    root = dump(a, true);
    ASSERT_TRUE(root != NULL);
    EXPECT_EQ(vkm_json_get(root, "CustomPools")->count, 0u);
    EXPECT_EQ_U64(u64_of(vkm_json_get(root, "Total"), "AllocationCount"), 0);
    vkm_json_free(root);
    api_fixture_teardown(f);
}

/* Per memory type, the blocks' "UnusedRanges" add up to what vmaCalculateStatistics
 * counts, and the totals agree. */
static void
expect_unused_ranges_match(VmaAllocator a, const vkm_json *root, const VmaTotalStatistics *ts)
{
    const VkPhysicalDeviceMemoryProperties *mp = NULL;
    vmaGetMemoryProperties(a, &mp);
    const vkm_json *dp = vkm_json_get(root, "DefaultPools");
    const vkm_json *cp = vkm_json_get(root, "CustomPools");
    uint64_t total = 0;
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
        char key[32];
        snprintf(key, sizeof(key), "Type %u", t);
        uint64_t n = unused_ranges_of(vkm_json_get(vkm_json_get(dp, key), "Blocks"));
        const vkm_json *pools = vkm_json_get(cp, key);
        for (const vkm_json *p = pools ? pools->child : NULL; p != NULL; p = p->next)
            n += unused_ranges_of(vkm_json_get(p, "Blocks"));
        EXPECT_EQ_U64(n, ts->memoryType[t].unusedRangeCount);
        total += n;
    }
    EXPECT_EQ_U64(total, ts->total.unusedRangeCount);
    EXPECT_EQ_U64(u64_of(vkm_json_get(root, "Total"), "UnusedRangeCount"), total);
}

TEST(json_detailed_map_merges_free_space_as_statistics_do)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    const uint32_t type = 0;
    VmaAllocation x[32];
    uint32_t n = 0;
    /* slots of runs (three classes), an over-aligned slot, a shared-path range */
    for (int i = 0; i < 10; i++)
        ASSERT_VK_OK(api_alloc(a, 1000, 16, 1u << type, 0, &x[n++], NULL));
    for (int i = 0; i < 6; i++)
        ASSERT_VK_OK(api_alloc(a, 3000, 256, 1u << type, 0, &x[n++], NULL));
    for (int i = 0; i < 3; i++)
        ASSERT_VK_OK(api_alloc(a, 20 * API_KIB + 100, 256, 1u << type, 0, &x[n++], NULL));
    ASSERT_VK_OK(api_alloc(a, 4 * API_KIB, 64 * API_KIB, 1u << type, 0, &x[n++], NULL));
    ASSERT_VK_OK(api_alloc(a, 4 * API_KIB, 64 * API_KIB, 1u << type, 0, &x[n++], NULL));
    ASSERT_VK_OK(api_alloc(a, 300 * API_KIB, 256, 1u << type, 0, &x[n++], NULL));
    /* and a custom pool with holes in its runs */
    VmaPoolCreateInfo pci = {.memoryTypeIndex = type, .blockSize = 4 * API_MIB};
    VmaPool pool;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    VmaAllocation px[12];
    for (int i = 0; i < 12; i++) {
        VkMemoryRequirements req = api_mem_req(700, 16, 1u << type);
        VmaAllocationCreateInfo ci = {.pool = pool};
        ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &px[i], NULL));
    }
    for (int i = 1; i < 12; i += 3) {
        vmaFreeMemory(a, px[i]);
        px[i] = VK_NULL_HANDLE;
    }
    for (uint32_t i = 1; i < n; i += 3) {
        vmaFreeMemory(a, x[i]);
        x[i] = VK_NULL_HANDLE;
    }

    VmaTotalStatistics ts;
    vmaCalculateStatistics(a, &ts);
    vkm_json *root = dump(a, true);
    ASSERT_TRUE(root != NULL);
    expect_unused_ranges_match(a, root, &ts);
    VmaDetailedStatistics pd;
    vmaCalculatePoolStatistics(a, pool, &pd);
    const vkm_json *pj = vkm_json_at(vkm_json_get(vkm_json_get(root, "CustomPools"), "Type 0"), 0);
    EXPECT_EQ_U64(unused_ranges_of(vkm_json_get(pj, "Blocks")), pd.unusedRangeCount);
    vkm_json_free(root);

    for (uint32_t i = 0; i < n; i++)
        vmaFreeMemory(a, x[i]);
    for (int i = 0; i < 12; i++)
        vmaFreeMemory(a, px[i]);
    vmaDestroyPool(a, pool);
    /* Nothing live: each block of the type is one FREE entry of its whole size. */
    vmaCalculateStatistics(a, &ts);
    root = dump(a, true);
    ASSERT_TRUE(root != NULL);
    expect_unused_ranges_match(a, root, &ts);
    const vkm_json *blocks =
        vkm_json_get(vkm_json_get(vkm_json_get(root, "DefaultPools"), "Type 0"), "Blocks");
    ASSERT_TRUE(blocks != NULL && blocks->count >= 1);
    for (const vkm_json *b = blocks->child; b != NULL; b = b->next) {
        EXPECT_EQ_U64(u64_of(b, "UnusedRanges"), 1);
        const vkm_json *sub = vkm_json_at(vkm_json_get(b, "Suballocations"), 0);
        EXPECT_STREQ(str_of(sub, "Type"), "FREE");
        EXPECT_EQ_U64(u64_of(sub, "Size"), u64_of(b, "TotalBytes"));
    }
    vkm_json_free(root);
    api_fixture_teardown(f);
}

/* The suballocation (block or dedicated) whose "Name" is `name`, anywhere in the dump. */
static const vkm_json *
find_named(const vkm_json *root, const char *name)
{
    const vkm_json *dp = vkm_json_get(root, "DefaultPools");
    for (const vkm_json *t = dp ? dp->child : NULL; t != NULL; t = t->next) {
        const vkm_json *e = find_by(vkm_json_get(t, "DedicatedAllocations"), "Name", name);
        if (e != NULL)
            return e;
        const vkm_json *blocks = vkm_json_get(t, "Blocks");
        for (const vkm_json *b = blocks ? blocks->child : NULL; b != NULL; b = b->next) {
            e = find_by(vkm_json_get(b, "Suballocations"), "Name", name);
            if (e != NULL)
                return e;
        }
    }
    return NULL;
}

static void
expect_entry(const vkm_json *root, const char *name, uint64_t usage, const void *user_data)
{
    const vkm_json *e = find_named(root, name);
    if (e == NULL) {
        vkm_test_fail(__FILE__, __LINE__, "no suballocation named \"%s\" in the dump", name);
        return;
    }
    EXPECT_EQ_U64(u64_of(e, "Usage"), usage);
    char ptr[32];
    snprintf(ptr, sizeof(ptr), "%p", user_data);
    EXPECT_STREQ(str_of(e, "CustomData"), ptr);
}

TEST(json_detailed_map_shows_usage_user_data_and_names_of_small_buffers)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    static const VkBufferUsageFlags usages[] = {
        VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        VK_BUFFER_USAGE_INDEX_BUFFER_BIT,
        VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
        VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
    };
    enum {
        U = sizeof(usages) / sizeof(usages[0]),
        PER = 3 /* the first of a shape takes the slow path, the next ones the memo */
    };
    VkBuffer buf[U * PER + 1];
    VmaAllocation alloc[U * PER + 1];
    int tags[U * PER + 3];
    char name[64];
    for (uint32_t i = 0; i < U * PER; i++) {
        VkBufferCreateInfo bci = api_buffer_info(256 + 64 * (i % PER), usages[i / PER]);
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO, .pUserData = &tags[i]};
        ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &buf[i], &alloc[i], NULL));
        snprintf(name, sizeof(name), "buffer %u", i);
        vmaSetAllocationName(a, alloc[i], name);
    }
    /* a dedicated buffer, an image, and memory alone (usage 0, as in VMA) */
    const uint32_t d = U * PER;
    VkBufferCreateInfo bci = api_buffer_info(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VmaAllocationCreateInfo dci = {.usage = VMA_MEMORY_USAGE_AUTO,
                                   .flags = VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT,
                                   .pUserData = &tags[d]};
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &dci, &buf[d], &alloc[d], NULL));
    vmaSetAllocationName(a, alloc[d], "dedicated buffer");
    const VkImageUsageFlags image_usage =
        VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    VkImageCreateInfo ici = api_image_info(16, 16, VK_IMAGE_TILING_OPTIMAL, image_usage);
    VmaAllocationCreateInfo ici_alloc = {.usage = VMA_MEMORY_USAGE_AUTO, .pUserData = &tags[d + 1]};
    VkImage image;
    VmaAllocation image_alloc;
    ASSERT_VK_OK(vmaCreateImage(a, &ici, &ici_alloc, &image, &image_alloc, NULL));
    vmaSetAllocationName(a, image_alloc, "image");
    VmaAllocation mem;
    VkMemoryRequirements req = api_mem_req(512, 16, 1u);
    VmaAllocationCreateInfo mci = {.pUserData = &tags[d + 2]};
    ASSERT_VK_OK(vmaAllocateMemory(a, &req, &mci, &mem, NULL));
    vmaSetAllocationName(a, mem, "memory");

    vkm_json *root = dump(a, true);
    ASSERT_TRUE(root != NULL);
    for (uint32_t i = 0; i < U * PER; i++) {
        snprintf(name, sizeof(name), "buffer %u", i);
        expect_entry(root, name, usages[i / PER], &tags[i]);
    }
    expect_entry(root, "dedicated buffer", VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, &tags[d]);
    expect_entry(root, "image", image_usage, &tags[d + 1]);
    expect_entry(root, "memory", 0, &tags[d + 2]);
    vkm_json_free(root);

    for (uint32_t i = 0; i <= d; i++)
        vmaDestroyBuffer(a, buf[i], alloc[i]);
    vmaDestroyImage(a, image, image_alloc);
    vmaFreeMemory(a, mem);
    api_fixture_teardown(f);
}

TEST(json_usage_of_a_buffer_is_its_usage2_with_maintenance5)
{
#if defined(VK_KHR_maintenance5) && VMA_KHR_MAINTENANCE5
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    if (!f->ctx.has_maintenance5) {
        api_fixture_teardown(f);
        TEST_SKIP("no VK_KHR_maintenance5");
    }
    VmaAllocator a = f->allocator;
    /* VMA takes a chained VkBufferUsageFlags2CreateInfoKHR's usage in place of
     * VkBufferCreateInfo::usage (AUTO* usages read it, and the dump prints it). */
    const VkBufferUsageFlags2KHR usage2 =
        VK_BUFFER_USAGE_2_STORAGE_BUFFER_BIT_KHR | VK_BUFFER_USAGE_2_TRANSFER_DST_BIT_KHR;
    VkBufferUsageFlags2CreateInfoKHR u2 = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_USAGE_FLAGS_2_CREATE_INFO_KHR,
        .usage = usage2,
    };
    VkBufferCreateInfo bci = api_buffer_info(1000, 0);
    bci.pNext = &u2;
    int tag;
    VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO, .pUserData = &tag};
    VkBuffer buf;
    VmaAllocation alloc;
    ASSERT_VK_OK(vmaCreateBuffer(a, &bci, &ci, &buf, &alloc, NULL));
    vmaSetAllocationName(a, alloc, "usage2 buffer");
    vkm_json *root = dump(a, true);
    ASSERT_TRUE(root != NULL);
    expect_entry(root, "usage2 buffer", usage2, &tag);
    vkm_json_free(root);
    vmaDestroyBuffer(a, buf, alloc);
    api_fixture_teardown(f);
#else
    TEST_SKIP("built without VK_KHR_maintenance5");
#endif
}

TEST(json_virtual_block_dump_both_algorithms)
{
    for (int linear = 0; linear < 2; linear++) {
        VmaVirtualBlockCreateInfo ci = {
            .size = 10000,
            .flags = linear ? VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT : 0,
        };
        VmaVirtualBlock vb = VK_NULL_HANDLE;
        ASSERT_VK_OK(vmaCreateVirtualBlock(&ci, &vb));
        VmaVirtualAllocation va[3];
        int tag;
        for (int i = 0; i < 3; i++) {
            VmaVirtualAllocationCreateInfo ai = {.size = 1000u + 100u * (unsigned)i,
                                                 .pUserData = i == 1 ? &tag : NULL};
            ASSERT_VK_OK(vmaVirtualAllocate(vb, &ai, &va[i], NULL));
        }
        vmaVirtualFree(vb, va[0]);
        VmaDetailedStatistics ds;
        vmaCalculateVirtualBlockStatistics(vb, &ds);

        for (int detailed = 0; detailed < 2; detailed++) {
            char *s = NULL;
            vmaBuildVirtualBlockStatsString(vb, &s, detailed ? VK_TRUE : VK_FALSE);
            vkm_json *root = parse_dump(s);
            ASSERT_TRUE(root != NULL);
            check_stats(vkm_json_get(root, "Stats"), &ds);
            const vkm_json *det = vkm_json_get(root, "Details");
            EXPECT_EQ(det != NULL, detailed == 1);
            if (det != NULL) {
                EXPECT_EQ_U64(u64_of(det, "TotalBytes"), 10000);
                EXPECT_EQ_U64(u64_of(det, "Allocations"), 2);
                const vkm_json *subs = vkm_json_get(det, "Suballocations");
                ASSERT_TRUE(subs != NULL);
                uint64_t off = 0, free_ranges = 0, used = 0;
                char ptr[32];
                snprintf(ptr, sizeof(ptr), "%p", (void *)&tag);
                bool tagged = false;
                for (const vkm_json *e = subs->child; e; e = e->next) {
                    EXPECT_EQ_U64(u64_of(e, "Offset"), off);
                    off += u64_of(e, "Size");
                    if (str_of(e, "Type") != NULL) {
                        EXPECT_STREQ(str_of(e, "Type"), "FREE");
                        free_ranges++;
                    } else {
                        used += u64_of(e, "Size");
                        if (str_of(e, "CustomData") != NULL) {
                            EXPECT_STREQ(str_of(e, "CustomData"), ptr);
                            tagged = true;
                        }
                    }
                }
                EXPECT_EQ_U64(off, 10000);
                EXPECT_TRUE(tagged);
                EXPECT_EQ_U64(used, 1100 + 1200);
                EXPECT_EQ_U64(u64_of(det, "UnusedRanges"), free_ranges);
                EXPECT_EQ_U64(u64_of(det, "UnusedBytes"), 10000 - used);
            }
            vkm_json_free(root);
            vmaFreeVirtualBlockStatsString(vb, s);
        }
        vmaClearVirtualBlock(vb);
        vmaDestroyVirtualBlock(vb);
    }
}

TEST(json_bad_arguments_are_reported_and_harmless)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    api_asserts_begin();
    vmaBuildStatsString(a, NULL, VK_TRUE);
    char *s = (char *)"junk";
    vmaBuildStatsString(VK_NULL_HANDLE, &s, VK_TRUE);
    EXPECT_TRUE(s == NULL);
    vmaBuildVirtualBlockStatsString(VK_NULL_HANDLE, NULL, VK_FALSE);
    const uint32_t asserts = api_asserts_end();
    EXPECT_EQ(asserts, 3u);
    vmaFreeStatsString(a, NULL); /* documented no-op */
    vmaFreeVirtualBlockStatsString(VK_NULL_HANDLE, NULL);
    api_fixture_teardown(f);
}

/* The detailed map is written for VK_TRUE only, as in VMA: another non-zero VkBool32 is
 * not VK_TRUE. */
TEST(json_detailed_map_only_for_vk_true)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    VmaAllocation x = VK_NULL_HANDLE;
    ASSERT_VK_OK(api_alloc(a, 4096, 256, api_all_types(a), 0, &x, NULL));
    char *s = NULL;
    vmaBuildStatsString(a, &s, (VkBool32)2);
    ASSERT_TRUE(s != NULL);
    EXPECT_TRUE(strstr(s, "DefaultPools") == NULL);
    vmaFreeStatsString(a, s);
    vmaBuildStatsString(a, &s, VK_TRUE);
    ASSERT_TRUE(s != NULL);
    EXPECT_TRUE(strstr(s, "DefaultPools") != NULL);
    vmaFreeStatsString(a, s);
    vmaFreeMemory(a, x);
    api_fixture_teardown(f);
}

/* The strings are the caller's: writing into them (tokenising, say) before handing them
 * back must not matter to vmaFreeStatsString / vmaFreeVirtualBlockStatsString. */
TEST(json_strings_written_by_the_caller_are_freed_cleanly)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    char *s = NULL;
    vmaBuildStatsString(a, &s, VK_TRUE);
    ASSERT_TRUE(s != NULL && strlen(s) > 16);
    s[8] = '\0'; /* strlen is now 8, the block is much larger */
    vmaFreeStatsString(a, s);

    VmaVirtualBlockCreateInfo vci = {.size = 1 << 20};
    VmaVirtualBlock vb = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreateVirtualBlock(&vci, &vb));
    char *v = NULL;
    vmaBuildVirtualBlockStatsString(vb, &v, VK_TRUE);
    ASSERT_TRUE(v != NULL && strlen(v) > 4);
    for (char *p = v; *p != '\0'; p++)
        if (*p == '"')
            *p = '\0';
    vmaFreeVirtualBlockStatsString(vb, v);
    vmaDestroyVirtualBlock(vb);
    api_fixture_teardown(f);
}

/* ---- other threads' allocations ------------------------------------------------------- */

#define NAMING_THREADS 3
#define NAMING_PER 6 /* the first of a shape takes the slow path, the next ones the memo */

typedef struct naming {
    VmaAllocator a;
    pthread_barrier_t *made, *dumped; /* NULL: make, then exit without freeing */
    unsigned index;
    VkBuffer buf[NAMING_PER];
    VmaAllocation alloc[NAMING_PER];
    int tags[NAMING_PER];
} naming;

static const VkBufferUsageFlags naming_usage =
    VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

static void *
naming_main(void *p)
{
    naming *n = p;
    char name[64];
    for (unsigned i = 0; i < NAMING_PER; i++) {
        VkBufferCreateInfo bci = api_buffer_info(256u << (i % 3), naming_usage);
        VmaAllocationCreateInfo ci = {.usage = VMA_MEMORY_USAGE_AUTO, .pUserData = &n->tags[i]};
        if (vmaCreateBuffer(n->a, &bci, &ci, &n->buf[i], &n->alloc[i], NULL) != VK_SUCCESS)
            return NULL;
        snprintf(name, sizeof(name), "thread %u buffer %u", n->index, i);
        vmaSetAllocationName(n->a, n->alloc[i], name);
    }
    if (n->made == NULL)
        return NULL; /* exits with its allocations live: its runs are abandoned */
    pthread_barrier_wait(n->made);
    pthread_barrier_wait(n->dumped); /* alive and owning its runs while the dump reads */
    for (unsigned i = 0; i < NAMING_PER; i++)
        vmaDestroyBuffer(n->a, n->buf[i], n->alloc[i]);
    return NULL;
}

static void
expect_named_by_threads(const vkm_json *root, const naming *n, unsigned threads)
{
    char name[64];
    for (unsigned t = 0; t < threads; t++)
        for (unsigned i = 0; i < NAMING_PER; i++) {
            snprintf(name, sizeof(name), "thread %u buffer %u", n[t].index, i);
            expect_entry(root, name, naming_usage, &n[t].tags[i]);
        }
}

/* VMA's detailed map shows every allocation's name, user data and usage, whichever
 * thread made it: small buffers of threads that are alive (their own runs, which they
 * free into with plain stores) and of a thread that has exited (its runs abandoned). */
TEST(json_detailed_map_shows_names_of_other_threads_small_allocations)
{
    if (!api_process_barrier_available())
        TEST_SKIP("membarrier refused here: other threads' slots show type and size only");
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    static naming n[NAMING_THREADS + 1];
    pthread_barrier_t made, dumped;
    ASSERT_EQ(pthread_barrier_init(&made, NULL, NAMING_THREADS + 1), 0);
    ASSERT_EQ(pthread_barrier_init(&dumped, NULL, NAMING_THREADS + 1), 0);
    pthread_t th[NAMING_THREADS + 1];
    for (unsigned t = 0; t < NAMING_THREADS; t++) {
        n[t] = (naming){.a = a, .made = &made, .dumped = &dumped, .index = t};
        ASSERT_EQ(pthread_create(&th[t], NULL, naming_main, &n[t]), 0);
    }
    pthread_barrier_wait(&made);
    vkm_json *root = dump(a, true);
    EXPECT_TRUE(root != NULL);
    expect_named_by_threads(root, n, NAMING_THREADS);
    vkm_json_free(root);
    pthread_barrier_wait(&dumped);
    for (unsigned t = 0; t < NAMING_THREADS; t++)
        pthread_join(th[t], NULL);

    naming *gone = &n[NAMING_THREADS];
    *gone = (naming){.a = a, .index = NAMING_THREADS};
    ASSERT_EQ(pthread_create(&th[NAMING_THREADS], NULL, naming_main, gone), 0);
    pthread_join(th[NAMING_THREADS], NULL);
    root = dump(a, true);
    EXPECT_TRUE(root != NULL);
    expect_named_by_threads(root, gone, 1);
    vkm_json_free(root);
    for (unsigned i = 0; i < NAMING_PER; i++)
        vmaDestroyBuffer(a, gone->buf[i], gone->alloc[i]);

    pthread_barrier_destroy(&made);
    pthread_barrier_destroy(&dumped);
    VmaTotalStatistics ts;
    vmaCalculateStatistics(a, &ts);
    EXPECT_EQ(ts.total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

/* ---- dumping while other threads allocate -------------------------------------------- */

#define CHURN_THREADS 2

typedef struct churn {
    VmaAllocator a;
    VmaPool pool;
    atomic_bool *stop;
    atomic_uint made; /* allocations made so far, all threads */
} churn;

static void *
churn_main(void *p)
{
    churn *c = p;
    VmaAllocation x[16] = {0};
    unsigned i = 0;
    while (!atomic_load(c->stop) || i < 64) {
        const unsigned k = i % 16;
        if (x[k] != NULL) {
            vmaFreeMemory(c->a, x[k]);
            x[k] = NULL;
        }
        VkMemoryRequirements req =
            api_mem_req((k % 4 == 3) ? 200 * API_KIB : 512u << (k % 3), 64, 1u);
        /* Named at creation (copied string): a rename while a dump runs would be the
         * caller's race, as in VMA. */
        VmaAllocationCreateInfo ci = {
            .pool = (k & 1) ? c->pool : VK_NULL_HANDLE,
            .flags = VMA_ALLOCATION_CREATE_USER_DATA_COPY_STRING_BIT |
                     (k == 4 ? VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT : 0),
            .pUserData = (void *)"churn \"n\"\n",
        };
        if (vmaAllocateMemory(c->a, &req, &ci, &x[k], NULL) != VK_SUCCESS)
            x[k] = NULL;
        else
            atomic_fetch_add(&c->made, 1);
        i++;
    }
    for (unsigned k = 0; k < 16; k++)
        if (x[k] != NULL)
            vmaFreeMemory(c->a, x[k]);
    return NULL;
}

/* Named suballocations of `blocks`: every name is the churners' (their objects were read
 * whole and alive, though their owners free and reuse the slots meanwhile). */
static unsigned
count_churn_names(const vkm_json *blocks)
{
    unsigned named = 0;
    for (const vkm_json *b = blocks ? blocks->child : NULL; b != NULL; b = b->next) {
        const vkm_json *subs = vkm_json_get(b, "Suballocations");
        for (const vkm_json *e = subs ? subs->child : NULL; e != NULL; e = e->next) {
            const char *n = str_of(e, "Name");
            if (n == NULL)
                continue;
            if (strcmp(n, "churn \"n\"\n") != 0)
                vkm_test_fail(__FILE__, __LINE__, "unexpected name \"%s\"", n);
            named++;
        }
    }
    return named;
}

TEST(json_dump_while_other_threads_allocate)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    VmaPoolCreateInfo pci = {.memoryTypeIndex = 0, .blockSize = 4 * API_MIB};
    VmaPool pool = VK_NULL_HANDLE;
    ASSERT_VK_OK(vmaCreatePool(a, &pci, &pool));
    vmaSetPoolName(a, pool, "shared pool");
    atomic_bool stop = false;
    churn c = {.a = a, .pool = pool, .stop = &stop};
    atomic_init(&c.made, 0);
    pthread_t th[CHURN_THREADS];
    for (int i = 0; i < CHURN_THREADS; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, churn_main, &c), 0);
    while (atomic_load(&c.made) < 32) /* the windows are filling: dumps find them */
        sched_yield();
    unsigned named = 0;
    for (int round = 0; round < 20; round++) {
        vkm_json *root = dump(a, round % 2 == 0);
        EXPECT_TRUE(root != NULL);
        if (root != NULL && round % 2 == 0) {
            const vkm_json *p =
                vkm_json_at(vkm_json_get(vkm_json_get(root, "CustomPools"), "Type 0"), 0);
            EXPECT_STREQ(str_of(p, "Name"), "0 - shared pool");
            check_blocks(vkm_json_get(p, "Blocks"));
            named += count_churn_names(vkm_json_get(p, "Blocks"));
            const vkm_json *blocks =
                vkm_json_get(vkm_json_get(vkm_json_get(root, "DefaultPools"), "Type 0"), "Blocks");
            check_blocks(blocks);
            named += count_churn_names(blocks);
        }
        vkm_json_free(root);
    }
    /* This thread allocates nothing: every named slot or range is another thread's. */
    EXPECT_TRUE(named > 0 || !api_process_barrier_available());
    atomic_store(&stop, true);
    for (int i = 0; i < CHURN_THREADS; i++)
        pthread_join(th[i], NULL);
    vmaDestroyPool(a, pool);
    api_fixture_teardown(f);
}

/* ---- dumping while other threads free the dumping thread's slots ----------------------- */

#define OWN_ALLOCS 96

typedef struct own_frees {
    VmaAllocator a;
    VmaAllocation *x;
    atomic_uint next;
} own_frees;

static void *
own_free_main(void *p)
{
    own_frees *o = p;
    for (unsigned i; (i = atomic_fetch_add(&o->next, 1)) < OWN_ALLOCS;) {
        for (volatile unsigned spin = 0; spin < (i % 7) * 200; spin++)
            ;
        vmaFreeMemory(o->a, o->x[i]); /* a remote free into the dumping thread's run */
    }
    return NULL;
}

/* Named entries of a block's suballocations are ours: their names were not freed under
 * the dump (which prints the objects of its own thread's slots, see tcache.h). */
static void
expect_own_names(const vkm_json *blocks)
{
    for (const vkm_json *b = blocks ? blocks->child : NULL; b != NULL; b = b->next) {
        const vkm_json *subs = vkm_json_get(b, "Suballocations");
        for (const vkm_json *e = subs ? subs->child : NULL; e != NULL; e = e->next) {
            const char *n = str_of(e, "Name");
            if (n != NULL && strncmp(n, "own slot ", 9) != 0)
                vkm_test_fail(__FILE__, __LINE__, "unexpected name \"%s\"", n);
        }
    }
}

TEST(json_dump_reads_own_slots_while_other_threads_free_them)
{
    api_fixture *f = api_fixture_setup(&(api_setup){0});
    VmaAllocator a = f->allocator;
    static VmaAllocation x[OWN_ALLOCS];
    static int tags[OWN_ALLOCS];
    for (int round = 0; round < 8; round++) {
        char name[32];
        for (unsigned i = 0; i < OWN_ALLOCS; i++) {
            VkMemoryRequirements req = api_mem_req(256u << (i % 3), 64, 1u);
            VmaAllocationCreateInfo ci = {.pUserData = &tags[i]};
            ASSERT_VK_OK(vmaAllocateMemory(a, &req, &ci, &x[i], NULL));
            snprintf(name, sizeof(name), "own slot %u", i);
            vmaSetAllocationName(a, x[i], name);
        }
        own_frees o = {.a = a, .x = x};
        atomic_init(&o.next, 0);
        pthread_t th[CHURN_THREADS];
        for (int i = 0; i < CHURN_THREADS; i++)
            ASSERT_EQ(pthread_create(&th[i], NULL, own_free_main, &o), 0);
        for (int d = 0; d < 4; d++) {
            vkm_json *root = dump(a, true);
            EXPECT_TRUE(root != NULL);
            const vkm_json *blocks =
                vkm_json_get(vkm_json_get(vkm_json_get(root, "DefaultPools"), "Type 0"), "Blocks");
            check_blocks(blocks);
            expect_own_names(blocks);
            vkm_json_free(root);
        }
        for (int i = 0; i < CHURN_THREADS; i++)
            pthread_join(th[i], NULL);
    }
    VmaTotalStatistics ts;
    vmaCalculateStatistics(a, &ts);
    EXPECT_EQ(ts.total.statistics.allocationCount, 0u);
    api_fixture_teardown(f);
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
