/* SPDX-License-Identifier: MIT */
/*
 * stress_common.c - the harness and validator of the stress suites (stress_common.h).
 *
 * Not a suite itself: stress/CMakeLists.txt links it into every stress_<scenario>
 * program. The registry is the one structure with real design in it: a table of shards,
 * each with its own mutex, keyed by a hash of the VkDeviceMemory handle; a shard holds the
 * memory objects that hash to it, and each memory object keeps its live ranges sorted by
 * offset, so an insert checks its two neighbours (plus the few ranges within one
 * bufferImageGranularity page) in O(log n) instead of scanning every live allocation
 * under one global lock.
 */
#include "stress_common.h"

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
        stress_fail("%" PRIu64 " ranges still in the registry at the end (a suite leaked)",
                    live);
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

/* ---- registry ---------------------------------------------------------------------------- */

typedef enum range_class { RANGE_UNKNOWN, RANGE_LINEAR, RANGE_OPTIMAL } range_class;

typedef struct live_range {
    VkDeviceSize offset, size;
    uint64_t id;
    range_class cls;
} live_range;

/* one VkDeviceMemory: its size (from the allocate callback) and its live ranges */
typedef struct mem_entry {
    VkDeviceMemory memory;
    VkDeviceSize size;     /* VK_WHOLE_SIZE: never reported by a callback */
    live_range *ranges;    /* sorted by offset */
    uint32_t count, cap;
} mem_entry;

#define SHARDS 256

typedef struct shard {
    pthread_mutex_t lock;
    mem_entry *mems; /* under lock */
    uint32_t count, cap;
    char pad[64];    /* keep neighbouring shards' mutexes off one cache line */
} shard;

static shard g_shards[SHARDS];
static atomic_uint_fast64_t g_live_ranges;
static atomic_uint_fast64_t g_next_id;
static pthread_once_t g_registry_once = PTHREAD_ONCE_INIT;

static void
registry_init(void)
{
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&g_shards[i].lock, NULL);
}

static uint64_t
handle_bits(VkDeviceMemory m)
{
    uint64_t h = 0;
    memcpy(&h, &m, sizeof(m) < sizeof(h) ? sizeof(m) : sizeof(h));
    return h;
}

static shard *
shard_of(VkDeviceMemory m)
{
    pthread_once(&g_registry_once, registry_init);
    uint64_t h = handle_bits(m) * 0x9E3779B97F4A7C15ull;
    return &g_shards[h >> 56];
}

static mem_entry *
find_mem(shard *s, VkDeviceMemory m)
{
    for (uint32_t i = 0; i < s->count; i++)
        if (s->mems[i].memory == m)
            return &s->mems[i];
    return NULL;
}

static mem_entry *
add_mem(shard *s, VkDeviceMemory m, VkDeviceSize size)
{
    if (s->count == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        mem_entry *n = realloc(s->mems, cap * sizeof(*n));
        if (n == NULL) {
            stress_fail("registry: out of host memory");
            exit(STRESS_EXIT_FAIL);
        }
        s->mems = n;
        s->cap = cap;
    }
    mem_entry *e = &s->mems[s->count++];
    *e = (mem_entry){.memory = m, .size = size};
    return e;
}

static void
remove_mem(shard *s, mem_entry *e)
{
    free(e->ranges);
    *e = s->mems[--s->count];
}

/* the memory-allocate callback: a new VkDeviceMemory */
static void
registry_memory_allocated(VkDeviceMemory m, VkDeviceSize size)
{
    shard *s = shard_of(m);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, m);
    if (e != NULL) {
        if (e->size != VK_WHOLE_SIZE || e->count == 0)
            stress_fail("vkAllocateMemory returned a handle (%#" PRIx64 ") that was never "
                        "freed", handle_bits(m));
        else
            stress_fail("allocations were reported in memory %#" PRIx64 " before the "
                        "device-memory callback announced it", handle_bits(m));
        e->size = size;
    } else {
        add_mem(s, m, size);
    }
    pthread_mutex_unlock(&s->lock);
}

/* the memory-free callback (called before vkFreeMemory): nothing may live in it */
static void
registry_memory_freed(VkDeviceMemory m)
{
    shard *s = shard_of(m);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, m);
    if (e == NULL) {
        stress_fail("vkFreeMemory of memory %#" PRIx64 " the allocate callback never "
                    "reported", handle_bits(m));
    } else {
        if (e->count != 0)
            stress_fail("memory %#" PRIx64 " freed with %u live allocations in it (first: "
                        "id %" PRIu64 " at offset %" PRIu64 ")", handle_bits(m), e->count,
                        e->ranges[0].id, e->ranges[0].offset);
        atomic_fetch_sub(&g_live_ranges, e->count);
        remove_mem(s, e);
    }
    pthread_mutex_unlock(&s->lock);
}

static bool
classes_conflict(range_class a, range_class b)
{
    return (a == RANGE_LINEAR && b == RANGE_OPTIMAL) || (a == RANGE_OPTIMAL && b == RANGE_LINEAR);
}

static range_class
class_of(stress_kind k)
{
    switch (k) {
    case STRESS_BUFFER:
    case STRESS_IMAGE_LINEAR:
        return RANGE_LINEAR;
    case STRESS_IMAGE_OPTIMAL:
        return RANGE_OPTIMAL;
    default:
        return RANGE_UNKNOWN;
    }
}

/* first index whose offset is >= off */
static uint32_t
lower_bound(const mem_entry *e, VkDeviceSize off)
{
    uint32_t lo = 0, hi = e->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (e->ranges[mid].offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
report_overlap(VkDeviceMemory m, const live_range *n, const live_range *o)
{
    stress_fail("two live allocations overlap in memory %#" PRIx64 ": id %" PRIu64
                " [%" PRIu64 ", +%" PRIu64 ") and id %" PRIu64 " [%" PRIu64 ", +%" PRIu64 ")",
                handle_bits(m), n->id, n->offset, n->size, o->id, o->offset, o->size);
}

static void
report_granularity(VkDeviceMemory m, VkDeviceSize g, const live_range *n, const live_range *o)
{
    stress_fail("a linear and an optimal resource share a %" PRIu64 "-byte granularity page "
                "in memory %#" PRIx64 ": id %" PRIu64 " [%" PRIu64 ", +%" PRIu64 ") and id %"
                PRIu64 " [%" PRIu64 ", +%" PRIu64 ")", g, handle_bits(m), n->id,
                n->offset, n->size, o->id, o->offset, o->size);
}

/* g: the device's bufferImageGranularity (ranges of one memory share a device) */
static void
registry_insert(const stress_alloc *x, VkDeviceSize g)
{
    shard *s = shard_of(x->memory);
    live_range n = {x->offset, x->size, x->id, class_of(x->kind)};
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, x->memory);
    if (e == NULL) {
        stress_fail("allocation id %" PRIu64 " lies in memory %#" PRIx64 " that no "
                    "device-memory callback reported", x->id, handle_bits(x->memory));
        e = add_mem(s, x->memory, VK_WHOLE_SIZE);
    }
    if (e->size != VK_WHOLE_SIZE && (x->offset > e->size || x->size > e->size - x->offset))
        stress_fail("allocation id %" PRIu64 " [%" PRIu64 ", +%" PRIu64 ") goes past the end "
                    "of its memory (%" PRIu64 " bytes)", x->id, x->offset, x->size, e->size);
    uint32_t at = lower_bound(e, n.offset);
    /* overlap: only the neighbours can overlap when the stored ranges do not */
    if (at > 0 && e->ranges[at - 1].offset + e->ranges[at - 1].size > n.offset)
        report_overlap(x->memory, &n, &e->ranges[at - 1]);
    if (at < e->count && e->ranges[at].offset < n.offset + n.size)
        report_overlap(x->memory, &n, &e->ranges[at]);
    /* granularity: every range ending in our first page, every range starting in our last */
    if (n.cls != RANGE_UNKNOWN && n.size > 0) {
        VkDeviceSize first_page = n.offset / g, last_page = (n.offset + n.size - 1) / g;
        for (uint32_t j = at; j-- > 0;) {
            const live_range *o = &e->ranges[j];
            if (o->size == 0 || (o->offset + o->size - 1) / g < first_page)
                break;
            if (classes_conflict(n.cls, o->cls))
                report_granularity(x->memory, g, &n, o);
        }
        for (uint32_t j = at; j < e->count; j++) {
            const live_range *o = &e->ranges[j];
            if (o->offset / g > last_page)
                break;
            if (classes_conflict(n.cls, o->cls))
                report_granularity(x->memory, g, &n, o);
        }
    }
    if (e->count == e->cap) {
        uint32_t cap = e->cap ? e->cap * 2 : 16;
        live_range *r = realloc(e->ranges, cap * sizeof(*r));
        if (r == NULL) {
            stress_fail("registry: out of host memory");
            exit(STRESS_EXIT_FAIL);
        }
        e->ranges = r;
        e->cap = cap;
    }
    memmove(&e->ranges[at + 1], &e->ranges[at], (e->count - at) * sizeof(live_range));
    e->ranges[at] = n;
    e->count++;
    atomic_fetch_add(&g_live_ranges, 1);
    pthread_mutex_unlock(&s->lock);
}

static void
registry_remove(const stress_alloc *x)
{
    shard *s = shard_of(x->memory);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = find_mem(s, x->memory);
    bool found = false;
    if (e != NULL) {
        uint32_t j = lower_bound(e, x->offset);
        /* overlapping (already reported) ranges may share an offset: look for the id */
        for (; j < e->count && e->ranges[j].offset == x->offset; j++)
            if (e->ranges[j].id == x->id)
                break;
        if (j >= e->count || e->ranges[j].id != x->id)
            for (j = 0; j < e->count && e->ranges[j].id != x->id; j++)
                ;
        if (j < e->count) {
            memmove(&e->ranges[j], &e->ranges[j + 1], (e->count - j - 1) * sizeof(live_range));
            e->count--;
            found = true;
            atomic_fetch_sub(&g_live_ranges, 1);
        }
    }
    if (!found)
        stress_fail("allocation id %" PRIu64 " (memory %#" PRIx64 ", offset %" PRIu64 ") is "
                    "not in the registry at free: its memory was freed under it?", x->id,
                    handle_bits(x->memory), x->offset);
    pthread_mutex_unlock(&s->lock);
}

uint64_t
stress_registry_live(void)
{
    return atomic_load(&g_live_ranges);
}

/* ---- Vulkan context -------------------------------------------------------------------- */

static void image_info(const stress_request *rq, VkImageCreateInfo *ici);

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
        printf("%s: no Vulkan driver, skipped\n", g_name);
        return STRESS_EXIT_SKIP;
    }
    vkm_test_vk_options opt = vkm_test_vk_default_options();
    opt.validation = false; /* speed; TSan builds turn it off anyway (vk_ctx.h) */
    r = vkm_test_vk_create(&env->ctx, &opt);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
        printf("%s: no Vulkan driver, skipped\n", g_name);
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
        printf("%s: simulated layout %s\n", g_name, vkm_sim_layout_name(env->sim));
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
        image_info(&rq, &ici);
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
dm_allocate(VmaAllocator allocator, uint32_t type, VkDeviceMemory m, VkDeviceSize size,
            void *user)
{
    (void)allocator, (void)type;
    stress_allocator *a = user;
    registry_memory_allocated(m, size);
    atomic_fetch_add(&a->xdm_allocs, 1);
    atomic_fetch_add(&a->xdm_bytes_allocated, size);
}

static void VKAPI_PTR
dm_free(VmaAllocator allocator, uint32_t type, VkDeviceMemory m, VkDeviceSize size, void *user)
{
    (void)allocator, (void)type;
    stress_allocator *a = user;
    registry_memory_freed(m);
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
                 " bytes), %" PRIu64 " frees (%" PRIu64 " bytes)", na, ba, nf, bf);
}

VkResult
stress_pool_create(stress_allocator *a, VkDeviceSize block_size, size_t max_blocks,
                   VmaPool *pool)
{
    VmaPoolCreateInfo pci = {
        .memoryTypeIndex = a->env->host_pool_type,
        .blockSize = block_size,
        .maxBlockCount = max_blocks,
    };
    return vmaCreatePool(a->handle, &pci, pool);
}

/* ---- pattern ----------------------------------------------------------------------------- */

/* One 8-byte word every STRIDE bytes, plus the last 8 bytes: enough to see any overlap of
 * more than STRIDE bytes (the registry sees the rest) without paying TSan for every byte. */
#define STRIDE 64

static uint64_t
pattern_word(uint64_t id, VkDeviceSize off)
{
    uint64_t x = id * 0x9E3779B97F4A7C15ull ^ (off + 1) * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 29;
    return x;
}

void
stress_pattern_write(void *p, uint64_t id, VkDeviceSize size)
{
    unsigned char *b = p;
    if (size < 16) {
        for (VkDeviceSize i = 0; i < size; i++)
            b[i] = (unsigned char)pattern_word(id, i);
        return;
    }
    for (VkDeviceSize o = 0; o + 8 <= size - 8; o += STRIDE) {
        uint64_t w = pattern_word(id, o);
        memcpy(b + o, &w, 8);
    }
    uint64_t w = pattern_word(id, size - 8);
    memcpy(b + size - 8, &w, 8);
}

VkDeviceSize
stress_pattern_check(const void *p, uint64_t id, VkDeviceSize size)
{
    const unsigned char *b = p;
    if (size < 16) {
        for (VkDeviceSize i = 0; i < size; i++)
            if (b[i] != (unsigned char)pattern_word(id, i))
                return i;
        return VK_WHOLE_SIZE;
    }
    for (VkDeviceSize o = 0; o + 8 <= size - 8; o += STRIDE) {
        uint64_t w;
        memcpy(&w, b + o, 8);
        if (w != pattern_word(id, o))
            return o;
    }
    uint64_t w;
    memcpy(&w, b + size - 8, 8);
    if (w != pattern_word(id, size - 8))
        return size - 8;
    return VK_WHOLE_SIZE;
}

/* ---- tracked allocations ----------------------------------------------------------------- */

static _Thread_local uint64_t tl_allocs, tl_frees;

uint64_t
stress_thread_allocs(void)
{
    return tl_allocs;
}

uint64_t
stress_thread_frees(void)
{
    return tl_frees;
}

static const char *
kind_name(stress_kind k)
{
    switch (k) {
    case STRESS_MEMORY:
        return "memory";
    case STRESS_BUFFER:
        return "buffer";
    case STRESS_IMAGE_LINEAR:
        return "linear image";
    default:
        return "optimal image";
    }
}

static void
image_info(const stress_request *rq, VkImageCreateInfo *ici)
{
    /* about rq->size bytes of RGBA8: width a power of two, height to match */
    uint32_t px = (uint32_t)(rq->size / 4 > 4 * 1024 * 1024 ? 4 * 1024 * 1024 : rq->size / 4);
    if (px < 16)
        px = 16;
    uint32_t w = 4;
    while ((VkDeviceSize)w * w < px)
        w *= 2;
    uint32_t h = (px + w - 1) / w;
    *ici = (VkImageCreateInfo){
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = VK_FORMAT_R8G8B8A8_UNORM,
        .extent = {w, h, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = rq->kind == STRESS_IMAGE_LINEAR ? VK_IMAGE_TILING_LINEAR
                                                  : VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                 VK_IMAGE_USAGE_SAMPLED_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = rq->kind == STRESS_IMAGE_LINEAR ? VK_IMAGE_LAYOUT_PREINITIALIZED
                                                         : VK_IMAGE_LAYOUT_UNDEFINED,
    };
}

VkResult
stress_alloc_create(stress_allocator *a, const stress_request *rq, stress_alloc *out)
{
    const stress_env *env = a->env;
    VkDevice dev = env->ctx.device;
    memset(out, 0, sizeof(*out));
    VmaAllocationCreateInfo ci = {
        .flags = rq->flags | (rq->random_access ? VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT
                                                : VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT),
        .pool = rq->pool,
    };
    VmaAllocationInfo info;
    VkMemoryRequirements req = {0};
    VkResult r;
    switch (rq->kind) {
    case STRESS_MEMORY:
        req = (VkMemoryRequirements){rq->size, rq->alignment ? rq->alignment : 1,
                                     rq->memory_type_bits ? rq->memory_type_bits : UINT32_MAX};
        if (rq->cpu_to_gpu) {
            ci.usage = VMA_MEMORY_USAGE_CPU_TO_GPU;
        } else {
            ci.usage = VMA_MEMORY_USAGE_UNKNOWN;
            ci.requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
            ci.preferredFlags = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        }
        r = vmaAllocateMemory(a->handle, &req, &ci, &out->alloc, &info);
        break;
    case STRESS_BUFFER: {
        VkBufferCreateInfo bci = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
            .size = rq->size,
            .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                     VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
        };
        ci.usage = VMA_MEMORY_USAGE_AUTO;
        ci.requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
        if (rq->alignment)
            r = vmaCreateBufferWithAlignment(a->handle, &bci, &ci, rq->alignment, &out->buffer,
                                             &out->alloc, &info);
        else
            r = vmaCreateBuffer(a->handle, &bci, &ci, &out->buffer, &out->alloc, &info);
        if (r == VK_SUCCESS)
            env->fns.vkGetBufferMemoryRequirements(dev, out->buffer, &req);
        break;
    }
    default: {
        VkImageCreateInfo ici;
        image_info(rq, &ici);
        ci.usage = VMA_MEMORY_USAGE_AUTO;
        ci.requiredFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
        r = vmaCreateImage(a->handle, &ici, &ci, &out->image, &out->alloc, &info);
        if (r == VK_SUCCESS)
            env->fns.vkGetImageMemoryRequirements(dev, out->image, &req);
        break;
    }
    }
    if (r != VK_SUCCESS) {
        memset(out, 0, sizeof(*out));
        return r;
    }
    tl_allocs++;
    atomic_fetch_add(&a->xallocs, 1);
    out->kind = rq->kind;
    out->memory = info.deviceMemory;
    out->offset = info.offset;
    out->size = info.size;
    out->memory_type = info.memoryType;
    out->id = atomic_fetch_add(&g_next_id, 1) + 1;
    out->mapped = (rq->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) ? info.pMappedData : NULL;

    const char *kn = kind_name(rq->kind);
    VkDeviceSize align = req.alignment ? req.alignment : 1;
    if (rq->kind == STRESS_BUFFER && rq->alignment > align)
        align = rq->alignment;
    STRESS_CHECK(info.offset % align == 0,
                 "%s id %" PRIu64 ": offset %" PRIu64 " does not meet alignment %" PRIu64, kn,
                 out->id, info.offset, align);
    STRESS_CHECK(info.size >= req.size, "%s id %" PRIu64 ": size %" PRIu64 " < required %"
                 PRIu64, kn, out->id, info.size, req.size);
    STRESS_CHECK(info.memoryType < 32 && (req.memoryTypeBits & (1u << info.memoryType)) &&
                     (env->host_visible_bits & (1u << info.memoryType)),
                 "%s id %" PRIu64 ": memory type %u not allowed (bits %#x) or not host visible",
                 kn, out->id, info.memoryType, req.memoryTypeBits);
    STRESS_CHECK(info.deviceMemory != VK_NULL_HANDLE, "%s id %" PRIu64 ": no VkDeviceMemory",
                 kn, out->id);
    if (rq->flags & VMA_ALLOCATION_CREATE_MAPPED_BIT)
        STRESS_CHECK(info.pMappedData != NULL, "%s id %" PRIu64 ": MAPPED_BIT gave no pointer",
                     kn, out->id);
    registry_insert(out, env->granularity);

    void *p = out->mapped;
    if (p == NULL) {
        r = vmaMapMemory(a->handle, out->alloc, &p);
        if (r != VK_SUCCESS) {
            stress_fail("%s id %" PRIu64 ": vmaMapMemory: VkResult %d", kn, out->id, (int)r);
            return VK_SUCCESS; /* tracked: the caller frees it as usual */
        }
    }
    stress_pattern_write(p, out->id, out->size);
    /* while still mapped: unmapping non-coherent memory may drop unflushed writes */
    r = vmaFlushAllocation(a->handle, out->alloc, 0, VK_WHOLE_SIZE);
    STRESS_CHECK(r == VK_SUCCESS, "vmaFlushAllocation: VkResult %d", (int)r);
    if (out->mapped == NULL)
        vmaUnmapMemory(a->handle, out->alloc);
    return VK_SUCCESS;
}

bool
stress_alloc_verify(stress_allocator *a, const stress_alloc *x, const char *when)
{
    if (x->alloc == VK_NULL_HANDLE)
        return true;
    void *p = x->mapped;
    VkResult r;
    if (p == NULL) {
        r = vmaMapMemory(a->handle, x->alloc, &p);
        if (r != VK_SUCCESS) {
            stress_fail("%s id %" PRIu64 ": vmaMapMemory (%s): VkResult %d", kind_name(x->kind),
                        x->id, when, (int)r);
            return false;
        }
    }
    /* only while mapped: invalidating unmapped memory is not allowed */
    r = vmaInvalidateAllocation(a->handle, x->alloc, 0, VK_WHOLE_SIZE);
    STRESS_CHECK(r == VK_SUCCESS, "vmaInvalidateAllocation: VkResult %d", (int)r);
    VkDeviceSize bad = stress_pattern_check(p, x->id, x->size);
    if (x->mapped == NULL)
        vmaUnmapMemory(a->handle, x->alloc);
    if (bad != VK_WHOLE_SIZE) {
        stress_fail("%s id %" PRIu64 " (memory %#" PRIx64 " [%" PRIu64 ", +%" PRIu64 ")): the "
                    "pattern written through a mapping changed at byte %" PRIu64 " (%s)",
                    kind_name(x->kind), x->id, handle_bits(x->memory), x->offset, x->size, bad,
                    when);
        return false;
    }
    return true;
}

void
stress_alloc_check_info(stress_allocator *a, const stress_alloc *x)
{
    if (x->alloc == VK_NULL_HANDLE)
        return;
    VmaAllocationInfo info;
    vmaGetAllocationInfo(a->handle, x->alloc, &info);
    STRESS_CHECK(info.deviceMemory == x->memory && info.offset == x->offset &&
                     info.size == x->size && info.memoryType == x->memory_type,
                 "id %" PRIu64 ": vmaGetAllocationInfo changed: memory %#" PRIx64 " -> %#" PRIx64
                 ", offset %" PRIu64 " -> %" PRIu64 ", size %" PRIu64 " -> %" PRIu64,
                 x->id, handle_bits(x->memory), handle_bits(info.deviceMemory), x->offset,
                 info.offset, x->size, info.size);
    if (x->mapped != NULL)
        STRESS_CHECK(info.pMappedData == x->mapped,
                     "id %" PRIu64 ": the persistent mapping moved (%p -> %p)", x->id, x->mapped,
                     info.pMappedData);
}

void
stress_alloc_destroy(stress_allocator *a, stress_alloc *x)
{
    if (x->alloc == VK_NULL_HANDLE)
        return;
    stress_alloc_verify(a, x, "at free");
    registry_remove(x);
    switch (x->kind) {
    case STRESS_MEMORY:
        vmaFreeMemory(a->handle, x->alloc);
        break;
    case STRESS_BUFFER:
        vmaDestroyBuffer(a->handle, x->buffer, x->alloc);
        break;
    default:
        vmaDestroyImage(a->handle, x->image, x->alloc);
        break;
    }
    tl_frees++;
    atomic_fetch_add(&a->xfrees, 1);
    memset(x, 0, sizeof(*x));
}

VkDeviceSize
stress_random_size(stress_rng *r)
{
    uint32_t c = stress_below(r, 100);
    if (c < 80) { /* 256 B .. 64 KiB, log-uniform */
        uint32_t k = 8 + stress_below(r, 8);
        return ((VkDeviceSize)1 << k) + stress_below(r, 1u << k);
    }
    if (c < 97) /* 64 KiB .. 256 KiB */
        return 64 * STRESS_KIB + stress_below(r, (uint32_t)(192 * STRESS_KIB));
    /* 256 KiB .. 2 MiB: past half a block, these get their own VkDeviceMemory */
    return 256 * STRESS_KIB + stress_below(r, (uint32_t)(1792 * STRESS_KIB));
}

VkDeviceSize
stress_random_alignment(stress_rng *r)
{
    uint32_t c = stress_below(r, 100);
    if (c < 75)
        return (VkDeviceSize)16 << stress_below(r, 5); /* 16 .. 256 */
    if (c < 93)
        return (VkDeviceSize)512 << stress_below(r, 4); /* 512 .. 4 KiB */
    return (VkDeviceSize)8192 << stress_below(r, 4);    /* 8 KiB .. 64 KiB */
}

stress_request
stress_random_request(stress_rng *r, const stress_env *env, VmaPool pool)
{
    stress_request rq = {.pool = pool, .size = stress_random_size(r)};
    uint32_t c = stress_below(r, 100);
    if (c < 45) {
        rq.kind = STRESS_MEMORY;
        rq.alignment = stress_random_alignment(r);
        rq.memory_type_bits = stress_chance(r, 50) ? env->buffer_type_bits : UINT32_MAX;
        rq.cpu_to_gpu = stress_chance(r, 30);
    } else if (c < 85) {
        rq.kind = STRESS_BUFFER;
        rq.alignment = stress_chance(r, 30) ? stress_random_alignment(r) : 0;
    } else {
        rq.kind = stress_chance(r, 70) ? STRESS_IMAGE_OPTIMAL : STRESS_IMAGE_LINEAR;
        if (rq.size > 256 * STRESS_KIB)
            rq.size = 256 * STRESS_KIB;
        if ((rq.kind == STRESS_IMAGE_OPTIMAL && !env->optimal_image_mappable) ||
            (rq.kind == STRESS_IMAGE_LINEAR && !env->linear_image_mappable))
            rq.kind = STRESS_BUFFER; /* the pattern needs a mapping */
    }
    rq.random_access = stress_chance(r, 50);
    if (stress_chance(r, 50))
        rq.flags |= VMA_ALLOCATION_CREATE_MAPPED_BIT;
    uint32_t s = stress_below(r, 100);
    if (s < 5)
        rq.flags |= VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT;
    else if (s < 10)
        rq.flags |= VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT;
    else if (s < 12 && pool == VK_NULL_HANDLE)
        rq.flags |= VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT;
    return rq;
}

/* ---- statistics validators ----------------------------------------------------------- */

/* a count or byte figure that wrapped below zero shows up as something enormous */
#define SANE_COUNT(x) ((uint64_t)(x) < (1ull << 31))

static void
check_detailed(const VmaDetailedStatistics *d, const char *what, uint32_t index,
               uint64_t max_blocks, uint64_t max_allocs, uint64_t max_block_bytes)
{
    const VmaStatistics *s = &d->statistics;
    STRESS_CHECK(s->allocationBytes <= s->blockBytes,
                 "%s[%u]: allocationBytes %" PRIu64 " > blockBytes %" PRIu64, what, index,
                 s->allocationBytes, s->blockBytes);
    STRESS_CHECK(s->blockCount <= max_blocks && s->blockBytes <= max_block_bytes,
                 "%s[%u]: %u blocks / %" PRIu64 " bytes, but only %" PRIu64 " / %" PRIu64
                 " were ever allocated", what, index, s->blockCount, s->blockBytes, max_blocks,
                 max_block_bytes);
    STRESS_CHECK(s->allocationCount <= max_allocs,
                 "%s[%u]: %u allocations, at most %" PRIu64 " can be live", what, index,
                 s->allocationCount, max_allocs);
    STRESS_CHECK(SANE_COUNT(d->unusedRangeCount), "%s[%u]: unusedRangeCount %u", what, index,
                 d->unusedRangeCount);
    if (s->allocationCount == 0) {
        STRESS_CHECK(d->allocationSizeMin == VK_WHOLE_SIZE && d->allocationSizeMax == 0,
                     "%s[%u]: no allocations but allocationSizeMin %" PRIu64 ", max %" PRIu64,
                     what, index, d->allocationSizeMin, d->allocationSizeMax);
        STRESS_CHECK(s->allocationBytes == 0, "%s[%u]: no allocations but %" PRIu64 " bytes",
                     what, index, s->allocationBytes);
    } else {
        STRESS_CHECK(d->allocationSizeMin <= d->allocationSizeMax &&
                         d->allocationSizeMax <= s->allocationBytes,
                     "%s[%u]: allocationSizeMin %" PRIu64 ", max %" PRIu64 ", bytes %" PRIu64,
                     what, index, d->allocationSizeMin, d->allocationSizeMax,
                     s->allocationBytes);
    }
    if (d->unusedRangeCount == 0)
        STRESS_CHECK(d->unusedRangeSizeMin == VK_WHOLE_SIZE && d->unusedRangeSizeMax == 0,
                     "%s[%u]: no free range but unusedRangeSizeMin %" PRIu64 ", max %" PRIu64,
                     what, index, d->unusedRangeSizeMin, d->unusedRangeSizeMax);
    else
        STRESS_CHECK(d->unusedRangeSizeMin <= d->unusedRangeSizeMax &&
                         d->unusedRangeSizeMax <= s->blockBytes,
                     "%s[%u]: unusedRangeSizeMin %" PRIu64 ", max %" PRIu64 ", blockBytes %"
                     PRIu64, what, index, d->unusedRangeSizeMin, d->unusedRangeSizeMax,
                     s->blockBytes);
}

static void
add_detailed(VmaDetailedStatistics *sum, const VmaDetailedStatistics *d)
{
    sum->statistics.blockCount += d->statistics.blockCount;
    sum->statistics.allocationCount += d->statistics.allocationCount;
    sum->statistics.blockBytes += d->statistics.blockBytes;
    sum->statistics.allocationBytes += d->statistics.allocationBytes;
    sum->unusedRangeCount += d->unusedRangeCount;
    if (d->allocationSizeMin < sum->allocationSizeMin)
        sum->allocationSizeMin = d->allocationSizeMin;
    if (d->allocationSizeMax > sum->allocationSizeMax)
        sum->allocationSizeMax = d->allocationSizeMax;
    if (d->unusedRangeSizeMin < sum->unusedRangeSizeMin)
        sum->unusedRangeSizeMin = d->unusedRangeSizeMin;
    if (d->unusedRangeSizeMax > sum->unusedRangeSizeMax)
        sum->unusedRangeSizeMax = d->unusedRangeSizeMax;
}

static bool
detailed_equal(const VmaDetailedStatistics *x, const VmaDetailedStatistics *y)
{
    return x->statistics.blockCount == y->statistics.blockCount &&
           x->statistics.allocationCount == y->statistics.allocationCount &&
           x->statistics.blockBytes == y->statistics.blockBytes &&
           x->statistics.allocationBytes == y->statistics.allocationBytes &&
           x->unusedRangeCount == y->unusedRangeCount &&
           x->allocationSizeMin == y->allocationSizeMin &&
           x->allocationSizeMax == y->allocationSizeMax &&
           x->unusedRangeSizeMin == y->unusedRangeSizeMin &&
           x->unusedRangeSizeMax == y->unusedRangeSizeMax;
}

/* the largest VkDeviceMemory a suite makes: a 2 MiB dedicated allocation, aligned */
#define IN_FLIGHT_BYTES (4 * STRESS_MIB)

/* upper bounds, read after the statistics: anything the statistics saw happened before */
typedef struct bounds {
    uint64_t blocks, block_bytes, allocs;
} bounds;

static bounds
bounds_now(stress_allocator *a)
{
    bounds b = {
        .blocks = atomic_load(&a->xdm_allocs),
        .block_bytes = atomic_load(&a->xdm_bytes_allocated),
        /* allocations made but not yet counted by the helpers: one per thread at most */
        .allocs = atomic_load(&a->xallocs) + STRESS_MAX_THREADS,
    };
    return b;
}

VmaTotalStatistics
stress_check_statistics(stress_allocator *a)
{
    VmaTotalStatistics st;
    memset(&st, 0xA5, sizeof(st)); /* a member the call forgets to write shows */
    vmaCalculateStatistics(a->handle, &st);
    bounds b = bounds_now(a);
    const VkPhysicalDeviceMemoryProperties *mp = &a->env->mem_props;
    const VmaDetailedStatistics zero = {.allocationSizeMin = VK_WHOLE_SIZE,
                                        .unusedRangeSizeMin = VK_WHOLE_SIZE};
    VmaDetailedStatistics by_type = zero, by_heap = zero;
    VmaDetailedStatistics heap_from_types[VK_MAX_MEMORY_HEAPS];
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++)
        heap_from_types[h] = zero;
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
        check_detailed(&st.memoryType[t], "memoryType", t, b.blocks, b.allocs, b.block_bytes);
        add_detailed(&by_type, &st.memoryType[t]);
        add_detailed(&heap_from_types[mp->memoryTypes[t].heapIndex], &st.memoryType[t]);
    }
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        check_detailed(&st.memoryHeap[h], "memoryHeap", h, b.blocks, b.allocs, b.block_bytes);
        add_detailed(&by_heap, &st.memoryHeap[h]);
        STRESS_CHECK(detailed_equal(&heap_from_types[h], &st.memoryHeap[h]),
                     "memoryHeap[%u] is not the sum of its memory types (%u blocks / %u "
                     "allocations vs %u / %u)", h, st.memoryHeap[h].statistics.blockCount,
                     st.memoryHeap[h].statistics.allocationCount,
                     heap_from_types[h].statistics.blockCount,
                     heap_from_types[h].statistics.allocationCount);
    }
    check_detailed(&st.total, "total", 0, b.blocks, b.allocs, b.block_bytes);
    STRESS_CHECK(detailed_equal(&by_heap, &st.total) && detailed_equal(&by_type, &st.total),
                 "total (%u blocks, %u allocations, %" PRIu64 " bytes) is not the sum over "
                 "heaps (%u, %u, %" PRIu64 ") and over types (%u, %u, %" PRIu64 ")",
                 st.total.statistics.blockCount, st.total.statistics.allocationCount,
                 st.total.statistics.allocationBytes, by_heap.statistics.blockCount,
                 by_heap.statistics.allocationCount, by_heap.statistics.allocationBytes,
                 by_type.statistics.blockCount, by_type.statistics.allocationCount,
                 by_type.statistics.allocationBytes);
    return st;
}

void
stress_check_budgets(stress_allocator *a)
{
    VmaBudget budgets[VK_MAX_MEMORY_HEAPS];
    vmaGetHeapBudgets(a->handle, budgets);
    bounds b = bounds_now(a);
    /* the budget counts a block from just before vkAllocateMemory (as VMA does, to reserve
     * it), the callback sees it only after: allow one block in flight per thread */
    b.blocks += STRESS_MAX_THREADS;
    b.block_bytes += STRESS_MAX_THREADS * IN_FLIGHT_BYTES;
    const VkPhysicalDeviceMemoryProperties *mp = &a->env->mem_props;
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        const VmaBudget *bu = &budgets[h];
        STRESS_CHECK(bu->statistics.blockCount <= b.blocks &&
                         bu->statistics.blockBytes <= b.block_bytes &&
                         bu->statistics.allocationCount <= b.allocs &&
                         bu->statistics.allocationBytes <= b.block_bytes,
                     "heap %u budget statistics out of bounds: %u blocks, %" PRIu64
                     " block bytes, %u allocations, %" PRIu64 " allocation bytes (bounds: %"
                     PRIu64 " blocks, %" PRIu64 " bytes, %" PRIu64 " allocations)", h,
                     bu->statistics.blockCount, bu->statistics.blockBytes,
                     bu->statistics.allocationCount, bu->statistics.allocationBytes, b.blocks,
                     b.block_bytes, b.allocs);
        STRESS_CHECK(bu->budget <= mp->memoryHeaps[h].size,
                     "heap %u: budget %" PRIu64 " > heap size %" PRIu64, h, bu->budget,
                     mp->memoryHeaps[h].size);
        STRESS_CHECK(bu->usage < (1ull << 50), "heap %u: usage %" PRIu64 " (wrapped?)", h,
                     bu->usage);
    }
}

void
stress_check_pool_statistics(stress_allocator *a, VmaPool pool, VkDeviceSize block_size,
                             size_t max_blocks)
{
    VmaStatistics s;
    memset(&s, 0xA5, sizeof(s));
    vmaGetPoolStatistics(a->handle, pool, &s);
    bounds b = bounds_now(a);
    STRESS_CHECK(s.allocationBytes <= s.blockBytes,
                 "pool: allocationBytes %" PRIu64 " > blockBytes %" PRIu64, s.allocationBytes,
                 s.blockBytes);
    uint64_t block_bound = max_blocks == 0 ? b.blocks : max_blocks;
    STRESS_CHECK(s.blockCount <= block_bound && s.blockBytes == s.blockCount * block_size,
                 "pool of at most %" PRIu64 " blocks of %" PRIu64 " bytes: %u blocks, %" PRIu64
                 " bytes", block_bound, block_size, s.blockCount, s.blockBytes);
    STRESS_CHECK(s.allocationCount <= b.allocs, "pool: %u allocations, at most %" PRIu64,
                 s.allocationCount, b.allocs);
    VmaDetailedStatistics d;
    memset(&d, 0xA5, sizeof(d));
    vmaCalculatePoolStatistics(a->handle, pool, &d);
    check_detailed(&d, "pool", 0, block_bound, b.allocs, block_bound * block_size);
    STRESS_CHECK(d.statistics.blockBytes == d.statistics.blockCount * block_size,
                 "pool (detailed): %u blocks, %" PRIu64 " bytes, blocks of %" PRIu64,
                 d.statistics.blockCount, d.statistics.blockBytes, block_size);
}

VkmThreadCacheStatistics
stress_check_cache_statistics(stress_allocator *a, bool all, uint32_t max_threads,
                              const VkmThreadCacheStatistics *prev)
{
    VkmThreadCacheStatistics s;
    memset(&s, 0xA5, sizeof(s));
    VkResult r = all ? vkmGetAllThreadCacheStatistics(a->handle, &s)
                     : vkmGetThreadCacheStatistics(a->handle, &s);
    const char *what = all ? "vkmGetAllThreadCacheStatistics" : "vkmGetThreadCacheStatistics";
    if (r != VK_SUCCESS) {
        stress_fail("%s: VkResult %d", what, (int)r);
        memset(&s, 0, sizeof(s));
        return s;
    }
    bounds b = bounds_now(a);
    uint64_t max_allocs = all ? b.allocs : tl_allocs + 1;
    uint64_t max_frees = all ? atomic_load(&a->xfrees) + STRESS_MAX_THREADS : tl_frees + 1;
    STRESS_CHECK(s.cachedBytes <= s.runBytes, "%s: cachedBytes %" PRIu64 " > runBytes %" PRIu64,
                 what, s.cachedBytes, s.runBytes);
    /* the calling thread's own cache is a consistent snapshot; the sum over threads is
     * only a snapshot of each counter (design.md §5), so it gets the weaker checks */
    STRESS_CHECK(s.runBytes <= b.block_bytes && (all || (s.runCount == 0) == (s.runBytes == 0)),
                 "%s: %u runs of %" PRIu64 " bytes (%" PRIu64 " block bytes ever allocated)",
                 what, s.runCount, s.runBytes, b.block_bytes);
    STRESS_CHECK(s.threadCount <= (all ? max_threads : 1u), "%s: threadCount %u", what,
                 s.threadCount);
    STRESS_CHECK(s.hits + s.misses + s.bypasses <= max_allocs,
                 "%s: %" PRIu64 " hits + %" PRIu64 " misses + %" PRIu64 " bypasses, but at most %"
                 PRIu64 " allocations were made", what, s.hits, s.misses, s.bypasses, max_allocs);
    STRESS_CHECK(s.remoteFrees <= max_frees && SANE_COUNT(s.lockWaits),
                 "%s: remoteFrees %" PRIu64 " (at most %" PRIu64 " frees), lockWaits %" PRIu64,
                 what, s.remoteFrees, max_frees, s.lockWaits);
    if (prev != NULL)
        STRESS_CHECK(s.hits >= prev->hits && s.misses >= prev->misses &&
                         s.bypasses >= prev->bypasses && s.remoteFrees >= prev->remoteFrees &&
                         s.lockWaits >= prev->lockWaits,
                     "%s: a counter went backwards (hits %" PRIu64 " -> %" PRIu64 ", misses %"
                     PRIu64 " -> %" PRIu64 ", bypasses %" PRIu64 " -> %" PRIu64
                     ", remoteFrees %" PRIu64 " -> %" PRIu64 ")", what, prev->hits, s.hits,
                     prev->misses, s.misses, prev->bypasses, s.bypasses, prev->remoteFrees,
                     s.remoteFrees);
    return s;
}
