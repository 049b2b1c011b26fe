/* SPDX-License-Identifier: MIT */
/*
 * stress_common.c - the harness of the stress suites (stress_common.h): arguments,
 * failures and exit status, random streams, threads, the Vulkan context and the
 * allocator with counted device memory.
 *
 * The other harness files: stress_common_registry.c (live ranges), stress_common_alloc.c
 * (tracked allocations and patterns), stress_common_stats.c (statistics validators).
 * stress/CMakeLists.txt links all stress_common*.c into every stress_<scenario> program;
 * none of them is a suite.
 */
#include "stress_common_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arguments, failures, exit ------------------------------------------------------- */

/* written by stress_init before any thread starts; read-only afterwards */
static const char *g_name = "stress";
static uint64_t g_seed;
static atomic_uint g_failures;

static void
usage(const char *name)
{
    fprintf(stderr,
            "usage: %s [--smoke] [threads] [iterations] [seed]\n"
            "  --smoke      the small size ctest runs (positional arguments override it)\n"
            "  threads      1..%d\n"
            "  seed         also from VKM_STRESS_SEED; printed with every failure\n",
            name, STRESS_MAX_THREADS);
}

static bool
parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s[0] == '\0' || s[0] == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

int
stress_init(int argc, char **argv, const char *name, stress_args full, stress_args smoke,
            stress_args *out)
{
    g_name = name;
    bool is_smoke = false;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--smoke") == 0)
            is_smoke = true;
    *out = is_smoke ? smoke : full;
    out->smoke = is_smoke;
    out->seed = 1;
    const char *env_seed = getenv("VKM_STRESS_SEED");
    if (env_seed != NULL && env_seed[0] != '\0' && !parse_u64(env_seed, &out->seed)) {
        fprintf(stderr, "%s: VKM_STRESS_SEED is not a number: %s\n", name, env_seed);
        return STRESS_EXIT_FAIL;
    }
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0)
            continue;
        uint64_t v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
            !parse_u64(argv[i], &v) || pos > 2) {
            usage(name);
            return STRESS_EXIT_FAIL;
        }
        if (pos == 0)
            out->threads = (unsigned)(v > STRESS_MAX_THREADS ? STRESS_MAX_THREADS : v);
        else if (pos == 1)
            out->iterations = (unsigned)(v > UINT32_MAX ? UINT32_MAX : v);
        else
            out->seed = v;
        pos++;
    }
    if (out->threads == 0)
        out->threads = 1;
    g_seed = out->seed;
    printf("%s: %u threads x %u iterations, seed %" PRIu64 "%s\n", name, out->threads,
           out->iterations, out->seed, out->smoke ? " (smoke)" : "");
    fflush(stdout);
    return 0;
}

static void
vfail(const char *prefix, const char *fmt, va_list ap)
{
    unsigned n = atomic_fetch_add(&g_failures, 1) + 1;
    if (n > STRESS_MAX_PRINTED)
        return;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* one fprintf per failure so lines of different threads do not interleave */
    fprintf(stderr, "%s: FAIL: %s%s (seed %" PRIu64 ")%s\n", g_name, prefix, msg, g_seed,
            n == STRESS_MAX_PRINTED ? " [further failures counted, not printed]" : "");
}

void
stress_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail("", fmt, ap);
    va_end(ap);
}

void
stress_fail_at(const char *file, int line, const char *cond, const char *fmt, ...)
{
    char prefix[256];
    const char *base = strrchr(file, '/');
    snprintf(prefix, sizeof(prefix), "%s:%d: !(%s): ", base ? base + 1 : file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfail(prefix, fmt, ap);
    va_end(ap);
}

const char *
stress_name(void)
{
    return g_name;
}

unsigned
stress_failures(void)
{
    return atomic_load(&g_failures);
}

int
stress_finish(void)
{
    uint64_t live = stress_registry_live();
    if (live != 0)
        stress_fail("%" PRIu64 " ranges still in the registry at the end (a suite leaked)", live);
    unsigned f = stress_failures();
    if (f == 0)
        printf("%s: ok (seed %" PRIu64 ")\n1 passed, 0 failed\n", g_name, g_seed);
    else
        printf("%s: %u failures (seed %" PRIu64 ")\n0 passed, 1 failed\n", g_name, f, g_seed);
    fflush(stdout);
    return f == 0 ? STRESS_EXIT_OK : STRESS_EXIT_FAIL;
}

/* ---- random numbers -------------------------------------------------------------------- */

stress_rng
stress_rng_make(uint64_t seed, uint64_t stream)
{
    stress_rng r = {seed ^ (stream * 0xD1B54A32D192ED03ull) ^ 0x5851F42D4C957F2Dull};
    (void)stress_rand(&r);
    return r;
}

uint64_t
stress_rand(stress_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t
stress_below(stress_rng *r, uint32_t n)
{
    return (uint32_t)(((stress_rand(r) >> 32) * (uint64_t)n) >> 32);
}

bool
stress_chance(stress_rng *r, unsigned percent)
{
    return stress_below(r, 100) < percent;
}

/* ---- threads ----------------------------------------------------------------------------- */

void
stress_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    int e = pthread_create(t, NULL, fn, arg);
    if (e != 0) {
        stress_fail("pthread_create: error %d", e);
        exit(STRESS_EXIT_FAIL);
    }
}

void
stress_thread_join(pthread_t t)
{
    int e = pthread_join(t, NULL);
    if (e != 0)
        stress_fail("pthread_join: error %d", e);
}

/* ---- Vulkan context -------------------------------------------------------------------- */


int
stress_env_open(stress_env *env)
{
    const char *layout = getenv("VKM_STRESS_LAYOUT");
    return stress_env_open_layout(env, layout != NULL && layout[0] != '\0' ? layout : NULL);
}

int
stress_env_open_layout(stress_env *env, const char *layout)
{
    memset(env, 0, sizeof(*env));
    VkResult r = vkm_test_vk_probe();
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
        printf("%s: no Vulkan driver, skipped\n", stress_name());
        return STRESS_EXIT_SKIP;
    }
    vkm_test_vk_options opt = vkm_test_vk_default_options();
    opt.validation = false; /* speed; TSan builds turn it off anyway (vk_ctx.h) */
    r = vkm_test_vk_create(&env->ctx, &opt);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
        printf("%s: no Vulkan driver, skipped\n", stress_name());
        return STRESS_EXIT_SKIP;
    }
    if (r != VK_SUCCESS) {
        stress_fail("vkm_test_vk_create: VkResult %d", (int)r);
        return STRESS_EXIT_FAIL;
    }
    if (layout != NULL) {
        r = vkm_sim_create(&env->ctx, layout, &env->sim);
        if (r != VK_SUCCESS) {
            stress_fail("vkm_sim_create(%s): VkResult %d", layout, (int)r);
            vkm_test_vk_destroy(&env->ctx);
            return STRESS_EXIT_FAIL;
        }
        vkm_sim_fill_functions(env->sim, &env->fns);
        env->mem_props = *vkm_sim_memory_properties(env->sim);
        env->granularity = vkm_sim_buffer_image_granularity(env->sim);
        printf("%s: simulated layout %s\n", stress_name(), vkm_sim_layout_name(env->sim));
    } else {
        vkm_test_vk_fill_functions(&env->ctx, &env->fns);
        env->mem_props = env->ctx.mem_props;
        env->granularity = env->ctx.props.limits.bufferImageGranularity;
    }
    const VkPhysicalDeviceMemoryProperties *mp = &env->mem_props;
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
        VkMemoryPropertyFlags f = mp->memoryTypes[t].propertyFlags;
        if (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
            env->host_visible_bits |= 1u << t;
            if (!(f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT))
                env->noncoherent_bits |= 1u << t;
        }
    }
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = 4096,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                 VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
    };
    VkBuffer b;
    r = env->fns.vkCreateBuffer(env->ctx.device, &bci, NULL, &b);
    if (r != VK_SUCCESS) {
        stress_fail("vkCreateBuffer: VkResult %d", (int)r);
        stress_env_close(env);
        return STRESS_EXIT_FAIL;
    }
    VkMemoryRequirements mr;
    env->fns.vkGetBufferMemoryRequirements(env->ctx.device, b, &mr);
    env->fns.vkDestroyBuffer(env->ctx.device, b, NULL);
    env->buffer_type_bits = mr.memoryTypeBits;
    for (int tiling = 0; tiling < 2; tiling++) {
        VkImageCreateInfo ici;
        stress_request rq = {.kind = tiling ? STRESS_IMAGE_OPTIMAL : STRESS_IMAGE_LINEAR,
                             .size = 16 * STRESS_KIB};
        stress_image_info(&rq, &ici);
        VkImage img;
        r = env->fns.vkCreateImage(env->ctx.device, &ici, NULL, &img);
        if (r != VK_SUCCESS) {
            stress_fail("vkCreateImage: VkResult %d", (int)r);
            stress_env_close(env);
            return STRESS_EXIT_FAIL;
        }
        env->fns.vkGetImageMemoryRequirements(env->ctx.device, img, &mr);
        env->fns.vkDestroyImage(env->ctx.device, img, NULL);
        bool ok = (mr.memoryTypeBits & env->host_visible_bits) != 0;
        if (tiling)
            env->optimal_image_mappable = ok;
        else
            env->linear_image_mappable = ok;
    }
    uint32_t pool_bits = env->buffer_type_bits & env->host_visible_bits;
    if (pool_bits == 0) {
        stress_fail("no host-visible memory type for buffers: the pattern checks need one");
        stress_env_close(env);
        return STRESS_EXIT_FAIL;
    }
    while (!(pool_bits & (1u << env->host_pool_type)))
        env->host_pool_type++;
    if (env->granularity == 0)
        env->granularity = 1;
    return 0;
}

void
stress_env_close(stress_env *env)
{
    if (env->sim != NULL) {
        uint32_t v = vkm_sim_violation_count(env->sim);
        STRESS_CHECK(v == 0, "the simulated device saw %u misuses (see stderr)", v);
        vkm_sim_destroy(env->sim);
        env->sim = NULL;
    }
    vkm_test_vk_destroy(&env->ctx);
}

/* ---- allocator ----------------------------------------------------------------------------- */

static void VKAPI_PTR
dm_allocate(VmaAllocator allocator, uint32_t type, VkDeviceMemory m, VkDeviceSize size, void *user)
{
    (void)allocator, (void)type;
    stress_allocator *a = user;
    stress_registry_memory_allocated(m, size);
    atomic_fetch_add(&a->xdm_allocs, 1);
    atomic_fetch_add(&a->xdm_bytes_allocated, size);
}

static void VKAPI_PTR
dm_free(VmaAllocator allocator, uint32_t type, VkDeviceMemory m, VkDeviceSize size, void *user)
{
    (void)allocator, (void)type;
    stress_allocator *a = user;
    stress_registry_memory_freed(m);
    atomic_fetch_add(&a->xdm_frees, 1);
    atomic_fetch_add(&a->xdm_bytes_freed, size);
}

VkResult
stress_allocator_create(const stress_env *env, VkDeviceSize block_size,
                        VmaAllocatorCreateFlags flags, stress_allocator *a)
{
    memset(a, 0, sizeof(*a));
    a->env = env;
    atomic_init(&a->xdm_allocs, 0);
    atomic_init(&a->xdm_frees, 0);
    atomic_init(&a->xdm_bytes_allocated, 0);
    atomic_init(&a->xdm_bytes_freed, 0);
    atomic_init(&a->xallocs, 0);
    atomic_init(&a->xfrees, 0);
    VmaDeviceMemoryCallbacks dmcb = {dm_allocate, dm_free, a};
    VmaVulkanFunctions fns = env->fns;
    VmaAllocatorCreateInfo aci = {.flags = flags, .pVulkanFunctions = &fns};
    if (env->sim != NULL)
        vkm_sim_fill_allocator_info(env->sim, &aci); /* the sim's table and extensions */
    else
        vkm_test_vk_fill_allocator_info(&env->ctx, &aci);
    aci.preferredLargeHeapBlockSize = block_size ? block_size : STRESS_BLOCK_SIZE;
    aci.pDeviceMemoryCallbacks = &dmcb;
    VkResult r = vmaCreateAllocator(&aci, &a->handle);
    if (r != VK_SUCCESS)
        a->handle = VK_NULL_HANDLE;
    return r;
}

void
stress_allocator_destroy(stress_allocator *a)
{
    if (a->handle == VK_NULL_HANDLE)
        return;
    VmaTotalStatistics st;
    vmaCalculateStatistics(a->handle, &st);
    STRESS_CHECK(st.total.statistics.allocationCount == 0,
                 "%u allocations left when the allocator is destroyed",
                 st.total.statistics.allocationCount);
    vmaDestroyAllocator(a->handle);
    a->handle = VK_NULL_HANDLE;
    uint64_t na = atomic_load(&a->xdm_allocs), nf = atomic_load(&a->xdm_frees);
    uint64_t ba = atomic_load(&a->xdm_bytes_allocated), bf = atomic_load(&a->xdm_bytes_freed);
    STRESS_CHECK(na == nf && ba == bf,
                 "device-memory callbacks do not balance: %" PRIu64 " allocations (%" PRIu64
                 " bytes), %" PRIu64 " frees (%" PRIu64 " bytes)",
                 na, ba, nf, bf);
}

VkResult
stress_pool_create(stress_allocator *a, VkDeviceSize block_size, size_t max_blocks, VmaPool *pool)
{
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = a->env->host_pool_type,
        .blockSize = block_size,
        .maxBlockCount = max_blocks,
    };
    return vmaCreatePool(a->handle, &pci, pool);
}
