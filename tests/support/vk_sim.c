/* SPDX-License-Identifier: MIT */
/*
 * vk_sim.c - simulated memory layouts and fault injection (see vk_sim.h).
 *
 * Sections: layout files -> registry -> bookkeeping maps -> wrappers (physical device,
 * requirements, memory, binding, proc addr) -> public control functions.
 *
 * Locks: `registry_lock` (rwlock, process-wide) is read-held by every wrapper for the
 * whole call so vkm_sim_destroy (write) cannot free a sim under a running call. Inside,
 * `sim->lock` guards the memory and image maps, heap usage and live count. Order:
 * registry -> sim->lock. Real Vulkan calls are made with sim->lock released, except the
 * flush / invalidate / peek / poke copies, which are host memcpys.
 *
 * Accounting, under sim->lock:
 *   heap_usage[h] = sum of allocationSize of live memories of heap h, plus reservations
 *                   of vkAllocateMemory calls between their check and their real call
 *   live_count    = live memories + such reservations
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vk_sim.h"

#include "json_mini.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VKM_TEST_GPUS_DIR
#define VKM_TEST_GPUS_DIR "tests/gpus"
#endif

#if defined(__SANITIZE_THREAD__)
#define VKM_SIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VKM_SIM_TSAN 1
#endif
#endif

#define VKM_SIM_MAX_SIMS 16
#define VKM_SIM_MAX_EXTENSIONS 32

_Static_assert(sizeof(VkDeviceMemory) == sizeof(uint64_t), "64-bit handles expected");
#define HKEY(h) ((uint64_t)(uintptr_t)(h))

/* ---- bookkeeping maps (chained hash, caller locks) --------------------------------- */

typedef struct map_node {
    uint64_t key;
    void *value;
    struct map_node *next;
} map_node;

typedef struct u64_map {
    map_node **buckets;
    size_t mask; /* bucket count - 1 */
    size_t count;
} u64_map;

static size_t
map_slot(const u64_map *m, uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & m->mask;
}

static bool
map_init(u64_map *m, size_t buckets)
{
    m->buckets = calloc(buckets, sizeof(*m->buckets));
    m->mask = buckets - 1;
    m->count = 0;
    return m->buckets != NULL;
}

static void
map_grow(u64_map *m)
{
    u64_map bigger;
    if (!map_init(&bigger, (m->mask + 1) * 4))
        return; /* stay slower rather than fail */
    for (size_t i = 0; i <= m->mask; i++) {
        map_node *n = m->buckets[i];
        while (n) {
            map_node *next = n->next;
            size_t s = map_slot(&bigger, n->key);
            n->next = bigger.buckets[s];
            bigger.buckets[s] = n;
            n = next;
        }
    }
    bigger.count = m->count;
    free(m->buckets);
    *m = bigger;
}

static bool
map_put(u64_map *m, uint64_t key, void *value)
{
    map_node *n = malloc(sizeof(*n));
    if (!n)
        return false;
    if (m->count > 2 * (m->mask + 1))
        map_grow(m);
    size_t s = map_slot(m, key);
    *n = (map_node){key, value, m->buckets[s]};
    m->buckets[s] = n;
    m->count++;
    return true;
}

static void *
map_get(const u64_map *m, uint64_t key)
{
    for (map_node *n = m->buckets[map_slot(m, key)]; n; n = n->next)
        if (n->key == key)
            return n->value;
    return NULL;
}

static void *
map_take(u64_map *m, uint64_t key)
{
    for (map_node **p = &m->buckets[map_slot(m, key)]; *p; p = &(*p)->next) {
        if ((*p)->key == key) {
            map_node *n = *p;
            void *v = n->value;
            *p = n->next;
            free(n);
            m->count--;
            return v;
        }
    }
    return NULL;
}

/* Frees every node; `free_value` (may be NULL) gets each value. */
static void
map_clear(u64_map *m, void (*free_value)(void *))
{
    if (!m->buckets)
        return;
    for (size_t i = 0; i <= m->mask; i++) {
        map_node *n = m->buckets[i];
        while (n) {
            map_node *next = n->next;
            if (free_value)
                free_value(n->value);
            free(n);
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
}

/* ---- the sim ----------------------------------------------------------------------- */

/* One VkDeviceMemory the sim allocated. All fields under sim->lock. */
typedef struct sim_memory {
    VkDeviceMemory handle;
    uint32_t type; /* simulated type index */
    uint32_t heap; /* simulated heap index */
    VkDeviceSize size;
    uint8_t *real_ptr; /* persistent real mapping of the whole memory, or NULL */
    bool mapped;       /* by the user, through the sim */
    VkDeviceSize map_offset;
    VkDeviceSize map_size; /* resolved: never VK_WHOLE_SIZE */
    uint8_t *shadow;       /* host copy of [map_offset, +map_size); NULL if coherent */
    void *shadow_block;    /* what to free(): shadow - (map_offset % shadow alignment) */
} sim_memory;

struct vkm_sim {
    /* immutable after vkm_sim_create */
    const vkm_test_vk *ctx;
    VkDevice device; /* registry keys, copied from ctx */
    VkPhysicalDevice physical_device;
    VmaVulkanFunctions real;  /* the real driver's functions */
    VmaVulkanFunctions table; /* the wrappers, what fill_allocator_info hands out */
    PFN_vkGetPhysicalDeviceProperties2 real_get_properties2;
    char name[64];
    bool passthrough;
    VkPhysicalDeviceMemoryProperties mem_props; /* simulated */
    uint32_t real_type_of[VK_MAX_MEMORY_TYPES];
    uint32_t optimal_image_types; /* type mask optimal images may use */
    VkDeviceSize granularity;
    VkDeviceSize atom;
    uint32_t reported_max_allocations;
    VkDeviceSize max_allocation_size; /* 0 = keep the real value */
    VkPhysicalDeviceType device_type;
    VkDeviceSize map_alignment; /* shadow alignment */
    uint32_t extension_count;
    char extensions[VKM_SIM_MAX_EXTENSIONS][VK_MAX_EXTENSION_NAME_SIZE];

    /* any thread, atomic */
    atomic_uint xcalls[VKM_SIM_CALL_COUNT];
    atomic_uint xfail_at[VKM_SIM_CALL_COUNT]; /* call number that fails; 0 = none */
    atomic_bool xfail_every[VKM_SIM_CALL_COUNT];
    atomic_uint xviolations;
    atomic_uint xflush_violations;
    atomic_uint xmax_allocations; /* enforced */
    atomic_bool xenforce_budget;
    _Atomic uint64_t xbudget[VK_MAX_MEMORY_HEAPS];

    /* under lock */
    pthread_mutex_t lock;
    u64_map memories;      /* VkDeviceMemory -> sim_memory */
    u64_map linear_images; /* VkImage created with VK_IMAGE_TILING_LINEAR -> (void *)1 */
    uint64_t heap_usage[VK_MAX_MEMORY_HEAPS];
    uint32_t live_count;
};

__attribute__((format(printf, 2, 3))) static void
violation(vkm_sim *sim, const char *fmt, ...)
{
    va_list ap;
    atomic_fetch_add_explicit(&sim->xviolations, 1, memory_order_relaxed);
    fprintf(stderr, "vk_sim[%s]: VIOLATION: ", sim->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    const char *abort_env = getenv("VKM_SIM_ABORT_ON_VIOLATION");
    if (abort_env && abort_env[0] == '1')
        abort(); /* for a stack trace in a debugger or sanitizer report */
}

/* Copies between shadow and device bytes play the hardware: under TSan they are not
 * instrumented, because a flush of one nonCoherentAtomSize unit may legally overlap
 * bytes another thread is writing for a neighbouring allocation. Volatile accesses keep
 * the compiler from turning the loop back into an (intercepted) memcpy call. */
#ifdef VKM_SIM_TSAN
__attribute__((no_sanitize("thread"))) static void
hw_copy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    size_t i = 0;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; i + 8 <= n; i += 8)
            *(volatile uint64_t *)(d + i) = *(const volatile uint64_t *)(s + i);
    }
    for (; i < n; i++)
        d[i] = s[i];
}
#else
static void
hw_copy(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}
#endif

/* ---- layout files ------------------------------------------------------------------ */

static const struct {
    const char *prefix; /* of the layout name */
    VkPhysicalDeviceType type;
    uint32_t optimal_image_types;
} layout_traits[] = {
    {"lavapipe", VK_PHYSICAL_DEVICE_TYPE_CPU, ~0u},
    {"amd-", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, ~0u},
    {"intel-igpu", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, ~0u},
    /* "Optimal-tiling images may use types 0 and 1 only" (nvidia-h200.json notes) */
    {"nvidia-h200", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 0x3u},
    {"nvidia", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, ~0u},
};

static const struct {
    const char *name;
    VkMemoryPropertyFlags bit;
} type_flag_names[] = {
    {"DEVICE_LOCAL", VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT},
    {"HOST_VISIBLE", VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT},
    {"HOST_COHERENT", VK_MEMORY_PROPERTY_HOST_COHERENT_BIT},
    {"HOST_CACHED", VK_MEMORY_PROPERTY_HOST_CACHED_BIT},
    {"LAZILY_ALLOCATED", VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT},
    {"PROTECTED", VK_MEMORY_PROPERTY_PROTECTED_BIT},
    {"DEVICE_COHERENT_AMD", VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD},
    {"DEVICE_UNCACHED_AMD", VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD},
};

static const struct {
    const char *name;
    VkMemoryHeapFlags bit;
} heap_flag_names[] = {
    {"DEVICE_LOCAL", VK_MEMORY_HEAP_DEVICE_LOCAL_BIT},
    {"MULTI_INSTANCE", VK_MEMORY_HEAP_MULTI_INSTANCE_BIT},
};

static bool
parse_type_flags(const vkm_json *arr, VkMemoryPropertyFlags *out, const char **bad)
{
    *out = 0;
    if (!arr || arr->type != VKM_JSON_ARRAY)
        return false;
    for (const vkm_json *f = arr->child; f; f = f->next) {
        size_t i, n = sizeof(type_flag_names) / sizeof(type_flag_names[0]);
        for (i = 0; i < n; i++)
            if (f->type == VKM_JSON_STRING && strcmp(f->string, type_flag_names[i].name) == 0)
                break;
        if (i == n) {
            *bad = f->type == VKM_JSON_STRING ? f->string : "(not a string)";
            return false;
        }
        *out |= type_flag_names[i].bit;
    }
    return true;
}

static bool
parse_heap_flags(const vkm_json *arr, VkMemoryHeapFlags *out, const char **bad)
{
    *out = 0;
    if (!arr || arr->type != VKM_JSON_ARRAY)
        return false;
    for (const vkm_json *f = arr->child; f; f = f->next) {
        size_t i, n = sizeof(heap_flag_names) / sizeof(heap_flag_names[0]);
        for (i = 0; i < n; i++)
            if (f->type == VKM_JSON_STRING && strcmp(f->string, heap_flag_names[i].name) == 0)
                break;
        if (i == n) {
            *bad = f->type == VKM_JSON_STRING ? f->string : "(not a string)";
            return false;
        }
        *out |= heap_flag_names[i].bit;
    }
    return true;
}

/* Name of the layout: file name without directory and ".json". */
static void
layout_basename(const char *layout, char *out, size_t outlen)
{
    const char *slash = strrchr(layout, '/');
    const char *base = slash ? slash + 1 : layout;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, base, len);
    out[len] = '\0';
}

static VkResult
load_layout(vkm_sim *sim, const char *layout)
{
    char path[4096];
    if (strchr(layout, '/')) {
        snprintf(path, sizeof(path), "%s", layout);
    } else {
        const char *dir = getenv("VKM_TEST_GPUS_DIR");
        snprintf(path, sizeof(path), "%s/%s.json", dir && *dir ? dir : VKM_TEST_GPUS_DIR, layout);
    }
    layout_basename(layout, sim->name, sizeof(sim->name));

    char err[256];
    vkm_json *root = vkm_json_parse_file(path, err, sizeof(err));
    if (!root) {
        fprintf(stderr, "vk_sim: layout %s: %s\n", path, err);
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    const char *why = NULL, *bad = NULL;
    uint64_t v;
    VkPhysicalDeviceMemoryProperties *mp = &sim->mem_props;
    memset(mp, 0, sizeof(*mp));

    if (!vkm_json_get_u64(vkm_json_get(root, "bufferImageGranularity"), &sim->granularity) ||
        sim->granularity == 0) {
        why = "bufferImageGranularity missing or 0";
        goto done;
    }
    if (!vkm_json_get_u64(vkm_json_get(root, "nonCoherentAtomSize"), &sim->atom) ||
        sim->atom == 0) {
        why = "nonCoherentAtomSize missing or 0";
        goto done;
    }
    if (!vkm_json_get_u64(vkm_json_get(root, "maxMemoryAllocationCount"), &v) || v == 0) {
        why = "maxMemoryAllocationCount missing or 0";
        goto done;
    }
    sim->reported_max_allocations = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    if (vkm_json_get_u64(vkm_json_get(root, "maxMemoryAllocationSize"), &v))
        sim->max_allocation_size = v;

    const vkm_json *exts = vkm_json_get(root, "extensions");
    if (exts && exts->type == VKM_JSON_ARRAY) {
        for (const vkm_json *e = exts->child; e; e = e->next) {
            if (e->type != VKM_JSON_STRING || sim->extension_count == VKM_SIM_MAX_EXTENSIONS) {
                why = "extensions: not a string, or too many";
                goto done;
            }
            snprintf(sim->extensions[sim->extension_count++], VK_MAX_EXTENSION_NAME_SIZE, "%s",
                     e->string);
        }
    }

    const vkm_json *heaps = vkm_json_get(root, "heaps");
    const vkm_json *types = vkm_json_get(root, "types");
    if (!heaps || heaps->type != VKM_JSON_ARRAY || heaps->count == 0 ||
        heaps->count > VK_MAX_MEMORY_HEAPS) {
        why = "heaps: missing, empty or more than VK_MAX_MEMORY_HEAPS";
        goto done;
    }
    if (!types || types->type != VKM_JSON_ARRAY || types->count == 0 ||
        types->count > VK_MAX_MEMORY_TYPES) {
        why = "types: missing, empty or more than VK_MAX_MEMORY_TYPES";
        goto done;
    }
    for (const vkm_json *h = heaps->child; h; h = h->next) {
        VkMemoryHeap *heap = &mp->memoryHeaps[mp->memoryHeapCount++];
        if (!vkm_json_get_u64(vkm_json_get(h, "size"), &heap->size) || heap->size == 0) {
            why = "heap without a size";
            goto done;
        }
        if (!parse_heap_flags(vkm_json_get(h, "flags"), &heap->flags, &bad)) {
            why = "heap flags";
            goto done;
        }
    }
    for (const vkm_json *t = types->child; t; t = t->next) {
        VkMemoryType *type = &mp->memoryTypes[mp->memoryTypeCount++];
        if (!vkm_json_get_u64(vkm_json_get(t, "heap"), &v) || v >= mp->memoryHeapCount) {
            why = "type without a valid heap index";
            goto done;
        }
        type->heapIndex = (uint32_t)v;
        if (!parse_type_flags(vkm_json_get(t, "flags"), &type->propertyFlags, &bad)) {
            why = "type flags";
            goto done;
        }
    }
    sim->device_type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    sim->optimal_image_types = ~0u;
    for (size_t i = 0; i < sizeof(layout_traits) / sizeof(layout_traits[0]); i++) {
        if (strncmp(sim->name, layout_traits[i].prefix, strlen(layout_traits[i].prefix)) == 0) {
            sim->device_type = layout_traits[i].type;
            sim->optimal_image_types = layout_traits[i].optimal_image_types;
            break;
        }
    }
done:
    if (why)
        fprintf(stderr, "vk_sim: layout %s: %s%s%s\n", path, why, bad ? ": " : "", bad ? bad : "");
    vkm_json_free(root);
    return why ? VK_ERROR_INITIALIZATION_FAILED : VK_SUCCESS;
}

static void
add_extension(vkm_sim *sim, bool present, const char *name)
{
    if (present && sim->extension_count < VKM_SIM_MAX_EXTENSIONS)
        snprintf(sim->extensions[sim->extension_count++], VK_MAX_EXTENSION_NAME_SIZE, "%s", name);
}

/* The real layout, for layout == NULL. */
static void
load_real_layout(vkm_sim *sim)
{
    const vkm_test_vk *ctx = sim->ctx;
    snprintf(sim->name, sizeof(sim->name), "real");
    sim->passthrough = true;
    sim->mem_props = ctx->mem_props;
    sim->granularity = ctx->props.limits.bufferImageGranularity;
    sim->atom = ctx->props.limits.nonCoherentAtomSize;
    sim->reported_max_allocations = ctx->props.limits.maxMemoryAllocationCount;
    sim->device_type = ctx->props.deviceType;
    sim->optimal_image_types = ~0u;
    for (uint32_t i = 0; i < ctx->mem_props.memoryTypeCount; i++)
        sim->real_type_of[i] = i;
    add_extension(sim, ctx->has_memory_budget, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
    add_extension(sim, ctx->has_memory_priority, VK_EXT_MEMORY_PRIORITY_EXTENSION_NAME);
    add_extension(sim, ctx->has_bda, VK_KHR_BUFFER_DEVICE_ADDRESS_EXTENSION_NAME);
    add_extension(sim, ctx->has_maintenance4, VK_KHR_MAINTENANCE_4_EXTENSION_NAME);
    add_extension(sim, ctx->has_maintenance5, "VK_KHR_maintenance5");
}

static int
popcount32(uint32_t x)
{
    return __builtin_popcount(x);
}

/* Backs each simulated type by the closest real type. Host-visible simulated types need
 * a host-visible, host-coherent real type: the sim reads and writes real bytes with the
 * CPU (shadow copies, peek/poke) and never flushes real memory. */
static VkResult
map_types(vkm_sim *sim)
{
    const VkPhysicalDeviceMemoryProperties *real = &sim->ctx->mem_props;
    const VkMemoryPropertyFlags hv_hc =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkMemoryPropertyFlags compared =
        hv_hc | VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    for (uint32_t t = 0; t < sim->mem_props.memoryTypeCount; t++) {
        VkMemoryPropertyFlags want = sim->mem_props.memoryTypes[t].propertyFlags;
        int best_score = 1000;
        uint32_t best = UINT32_MAX;
        for (uint32_t r = 0; r < real->memoryTypeCount; r++) {
            VkMemoryPropertyFlags have = real->memoryTypes[r].propertyFlags;
            if ((want & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && (have & hv_hc) != hv_hc)
                continue;
            if (have & VK_MEMORY_PROPERTY_PROTECTED_BIT)
                continue;
            int score = popcount32((uint32_t)((want ^ have) & compared));
            if (score < best_score) {
                best_score = score;
                best = r;
            }
        }
        if (best == UINT32_MAX) {
            fprintf(stderr, "vk_sim[%s]: no real memory type can back simulated type %u\n",
                    sim->name, t);
            return VK_ERROR_FEATURE_NOT_PRESENT;
        }
        sim->real_type_of[t] = best;
    }
    return VK_SUCCESS;
}

/* ---- registry ---------------------------------------------------------------------- */

static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static vkm_sim *registry[VKM_SIM_MAX_SIMS]; /* under registry_lock */

_Noreturn static void
unknown_handle(const char *what, const char *fn)
{
    fprintf(stderr,
            "vk_sim: %s called with a %s no live sim owns (sim destroyed, or a "
            "handle of another device)\n",
            fn, what);
    abort();
}

/* Read-locks the registry and returns the sim of `device`; release with leave(). */
static vkm_sim *
enter_device(VkDevice device, const char *fn)
{
    pthread_rwlock_rdlock(&registry_lock);
    for (int i = 0; i < VKM_SIM_MAX_SIMS; i++)
        if (registry[i] && registry[i]->device == device)
            return registry[i];
    pthread_rwlock_unlock(&registry_lock);
    unknown_handle("VkDevice", fn);
}

static vkm_sim *
enter_physical(VkPhysicalDevice pd, const char *fn)
{
    pthread_rwlock_rdlock(&registry_lock);
    for (int i = 0; i < VKM_SIM_MAX_SIMS; i++)
        if (registry[i] && registry[i]->physical_device == pd)
            return registry[i];
    pthread_rwlock_unlock(&registry_lock);
    unknown_handle("VkPhysicalDevice", fn);
}

static void
leave(void)
{
    pthread_rwlock_unlock(&registry_lock);
}

/* ---- fault injection --------------------------------------------------------------- */

/* Counts a call; true when it must fail. Each call gets a unique number, so exactly one
 * call matches an armed fail_at. */
static bool
count_call(vkm_sim *sim, vkm_sim_call call)
{
    unsigned n = atomic_fetch_add_explicit(&sim->xcalls[call], 1, memory_order_relaxed) + 1;
    if (atomic_load_explicit(&sim->xfail_every[call], memory_order_relaxed))
        return true;
    unsigned at = atomic_load_explicit(&sim->xfail_at[call], memory_order_relaxed);
    if (at != 0 && at == n) {
        atomic_compare_exchange_strong_explicit(&sim->xfail_at[call], &at, 0, memory_order_relaxed,
                                                memory_order_relaxed);
        return true;
    }
    return false;
}

/* ---- physical device wrappers ------------------------------------------------------ */

static void
patch_properties(const vkm_sim *sim, VkPhysicalDeviceProperties *p)
{
    if (sim->passthrough)
        return;
    p->limits.bufferImageGranularity = sim->granularity;
    p->limits.nonCoherentAtomSize = sim->atom;
    p->limits.maxMemoryAllocationCount = sim->reported_max_allocations;
    p->deviceType = sim->device_type;
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_physical_device_properties(VkPhysicalDevice pd, VkPhysicalDeviceProperties *p)
{
    vkm_sim *sim = enter_physical(pd, __func__);
    sim->real.vkGetPhysicalDeviceProperties(pd, p);
    patch_properties(sim, p);
    leave();
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_physical_device_properties2(VkPhysicalDevice pd, VkPhysicalDeviceProperties2 *p)
{
    vkm_sim *sim = enter_physical(pd, __func__);
    sim->real_get_properties2(pd, p);
    patch_properties(sim, &p->properties);
    for (VkBaseOutStructure *s = p->pNext; s && !sim->passthrough; s = s->pNext) {
        if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES &&
            sim->max_allocation_size)
            ((VkPhysicalDeviceMaintenance3Properties *)s)->maxMemoryAllocationSize =
                sim->max_allocation_size;
    }
    leave();
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_memory_properties(VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties *p)
{
    vkm_sim *sim = enter_physical(pd, __func__);
    *p = sim->mem_props;
    leave();
}

/* Emulated entirely, VK_EXT_memory_budget included, so it works on devices without it. */
static VKAPI_ATTR void VKAPI_CALL
sim_get_memory_properties2(VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties2 *p)
{
    vkm_sim *sim = enter_physical(pd, __func__);
    p->memoryProperties = sim->mem_props;
    for (VkBaseOutStructure *s = p->pNext; s; s = s->pNext) {
        if (s->sType != VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT)
            continue;
        VkPhysicalDeviceMemoryBudgetPropertiesEXT *b = (void *)s;
        memset(b->heapBudget, 0, sizeof(b->heapBudget));
        memset(b->heapUsage, 0, sizeof(b->heapUsage));
        pthread_mutex_lock(&sim->lock);
        for (uint32_t h = 0; h < sim->mem_props.memoryHeapCount; h++) {
            b->heapUsage[h] = sim->heap_usage[h];
            b->heapBudget[h] = atomic_load_explicit(&sim->xbudget[h], memory_order_relaxed);
        }
        pthread_mutex_unlock(&sim->lock);
    }
    leave();
}

/* ---- memory requirements ----------------------------------------------------------- */

/* Simulated memoryTypeBits: every simulated type whose real type the resource accepts,
 * limited for optimal-tiling images where the layout says so. */
static uint32_t
sim_type_bits(const vkm_sim *sim, uint32_t real_bits, bool optimal_image)
{
    uint32_t bits = 0;
    for (uint32_t t = 0; t < sim->mem_props.memoryTypeCount; t++)
        if (real_bits & (1u << sim->real_type_of[t]))
            bits |= 1u << t;
    if (optimal_image)
        bits &= sim->optimal_image_types;
    return bits;
}

static bool
image_is_optimal(vkm_sim *sim, VkImage image)
{
    pthread_mutex_lock(&sim->lock);
    bool linear = map_get(&sim->linear_images, HKEY(image)) != NULL;
    pthread_mutex_unlock(&sim->lock);
    return !linear; /* images the sim did not see created count as optimal: the safe side */
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_buffer_memory_requirements(VkDevice device, VkBuffer buffer, VkMemoryRequirements *req)
{
    vkm_sim *sim = enter_device(device, __func__);
    sim->real.vkGetBufferMemoryRequirements(device, buffer, req);
    req->memoryTypeBits = sim_type_bits(sim, req->memoryTypeBits, false);
    leave();
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_buffer_memory_requirements2(VkDevice device, const VkBufferMemoryRequirementsInfo2 *info,
                                    VkMemoryRequirements2 *req)
{
    vkm_sim *sim = enter_device(device, __func__);
    sim->real.vkGetBufferMemoryRequirements2KHR(device, info, req);
    req->memoryRequirements.memoryTypeBits =
        sim_type_bits(sim, req->memoryRequirements.memoryTypeBits, false);
    leave();
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_image_memory_requirements(VkDevice device, VkImage image, VkMemoryRequirements *req)
{
    vkm_sim *sim = enter_device(device, __func__);
    sim->real.vkGetImageMemoryRequirements(device, image, req);
    req->memoryTypeBits = sim_type_bits(sim, req->memoryTypeBits, image_is_optimal(sim, image));
    leave();
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_image_memory_requirements2(VkDevice device, const VkImageMemoryRequirementsInfo2 *info,
                                   VkMemoryRequirements2 *req)
{
    vkm_sim *sim = enter_device(device, __func__);
    sim->real.vkGetImageMemoryRequirements2KHR(device, info, req);
    req->memoryRequirements.memoryTypeBits = sim_type_bits(
        sim, req->memoryRequirements.memoryTypeBits, image_is_optimal(sim, info->image));
    leave();
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_device_buffer_memory_requirements(VkDevice device,
                                          const VkDeviceBufferMemoryRequirements *info,
                                          VkMemoryRequirements2 *req)
{
    vkm_sim *sim = enter_device(device, __func__);
    sim->real.vkGetDeviceBufferMemoryRequirements(device, info, req);
    req->memoryRequirements.memoryTypeBits =
        sim_type_bits(sim, req->memoryRequirements.memoryTypeBits, false);
    leave();
}

static VKAPI_ATTR void VKAPI_CALL
sim_get_device_image_memory_requirements(VkDevice device,
                                         const VkDeviceImageMemoryRequirements *info,
                                         VkMemoryRequirements2 *req)
{
    vkm_sim *sim = enter_device(device, __func__);
    sim->real.vkGetDeviceImageMemoryRequirements(device, info, req);
    req->memoryRequirements.memoryTypeBits =
        sim_type_bits(sim, req->memoryRequirements.memoryTypeBits,
                      info->pCreateInfo->tiling != VK_IMAGE_TILING_LINEAR);
    leave();
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_create_image(VkDevice device, const VkImageCreateInfo *info, const VkAllocationCallbacks *cb,
                 VkImage *image)
{
    vkm_sim *sim = enter_device(device, __func__);
    VkResult r = sim->real.vkCreateImage(device, info, cb, image);
    if (r == VK_SUCCESS && info->tiling == VK_IMAGE_TILING_LINEAR) {
        pthread_mutex_lock(&sim->lock);
        bool ok = map_put(&sim->linear_images, HKEY(*image), (void *)1);
        pthread_mutex_unlock(&sim->lock);
        if (!ok) {
            sim->real.vkDestroyImage(device, *image, cb);
            *image = VK_NULL_HANDLE;
            r = VK_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    leave();
    return r;
}

static VKAPI_ATTR void VKAPI_CALL
sim_destroy_image(VkDevice device, VkImage image, const VkAllocationCallbacks *cb)
{
    vkm_sim *sim = enter_device(device, __func__);
    if (image) {
        pthread_mutex_lock(&sim->lock);
        map_take(&sim->linear_images, HKEY(image));
        pthread_mutex_unlock(&sim->lock);
    }
    sim->real.vkDestroyImage(device, image, cb);
    leave();
}

/* ---- allocate / free --------------------------------------------------------------- */

/* pNext structs vkAllocateMemory may carry that the sim knows the size of. */
static size_t
alloc_struct_size(VkStructureType s)
{
    switch (s) {
    case VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO:
        return sizeof(VkMemoryDedicatedAllocateInfo);
    case VK_STRUCTURE_TYPE_MEMORY_PRIORITY_ALLOCATE_INFO_EXT:
        return sizeof(VkMemoryPriorityAllocateInfoEXT);
    case VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO:
        return sizeof(VkMemoryAllocateFlagsInfo);
    case VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO:
        return sizeof(VkExportMemoryAllocateInfo);
    case VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR:
        return sizeof(VkImportMemoryFdInfoKHR);
    case VK_STRUCTURE_TYPE_MEMORY_OPAQUE_CAPTURE_ADDRESS_ALLOCATE_INFO:
        return sizeof(VkMemoryOpaqueCaptureAddressAllocateInfo);
    case VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT:
        return sizeof(VkImportMemoryHostPointerInfoEXT);
    default:
        return 0;
    }
}

typedef union chain_slot {
    VkBaseOutStructure base;
    VkMemoryDedicatedAllocateInfo dedicated;
    VkMemoryPriorityAllocateInfoEXT priority;
    VkMemoryAllocateFlagsInfo flags;
    VkExportMemoryAllocateInfo export_info;
    VkImportMemoryFdInfoKHR import_fd;
    VkMemoryOpaqueCaptureAddressAllocateInfo capture;
    VkImportMemoryHostPointerInfoEXT host_pointer;
} chain_slot;

#define VKM_SIM_MAX_CHAIN 8

/* What the real device cannot take: returns the struct to drop (true) or adjusts *copy. */
static bool
must_strip(const vkm_sim *sim, chain_slot *copy)
{
    const vkm_test_vk *ctx = sim->ctx;
    switch (copy->base.sType) {
    case VK_STRUCTURE_TYPE_MEMORY_PRIORITY_ALLOCATE_INFO_EXT:
        return !ctx->has_memory_priority;
    case VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO:
        return !ctx->has_dedicated_allocation;
    case VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO:
        if (!ctx->has_bda)
            copy->flags.flags &=
                ~(VkMemoryAllocateFlags)(VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT |
                                         VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_CAPTURE_REPLAY_BIT);
        return copy->flags.flags == 0;
    default:
        return false;
    }
}

/* Copies the chain into `slots`, dropping or adjusting what the real device cannot take.
 * Returns the new head. Structs of unknown size are passed through only when nothing
 * needed changing (then the original chain is returned untouched). */
static const void *
filter_alloc_chain(vkm_sim *sim, const void *head, chain_slot *slots)
{
    bool change = false;
    for (const VkBaseInStructure *s = head; s; s = s->pNext) {
        chain_slot tmp;
        size_t size = alloc_struct_size(s->sType);
        if (!size)
            continue;
        memset(&tmp, 0, sizeof(tmp));
        memcpy(&tmp, s, size);
        if (must_strip(sim, &tmp) || memcmp(&tmp, s, size) != 0)
            change = true;
    }
    if (!change)
        return head;
    const void *out = NULL;
    VkBaseOutStructure *tail = NULL;
    int n = 0;
    for (const VkBaseInStructure *s = head; s; s = s->pNext) {
        size_t size = alloc_struct_size(s->sType);
        if (!size) {
            fprintf(stderr,
                    "vk_sim[%s]: vkAllocateMemory: dropping pNext struct %d (unknown to "
                    "the sim) while stripping others\n",
                    sim->name, (int)s->sType);
            continue;
        }
        if (n == VKM_SIM_MAX_CHAIN)
            break;
        chain_slot *c = &slots[n];
        memset(c, 0, sizeof(*c));
        memcpy(c, s, size);
        if (must_strip(sim, c))
            continue;
        c->base.pNext = NULL;
        if (tail)
            tail->pNext = &c->base;
        else
            out = c;
        tail = &c->base;
        n++;
    }
    return out;
}

static void
free_record(void *p)
{
    sim_memory *m = p;
    free(m->shadow_block);
    free(m);
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_allocate_memory(VkDevice device, const VkMemoryAllocateInfo *info,
                    const VkAllocationCallbacks *cb, VkDeviceMemory *out)
{
    vkm_sim *sim = enter_device(device, __func__);
    VkResult r = VK_SUCCESS;
    const uint32_t type = info->memoryTypeIndex;
    const VkDeviceSize size = info->allocationSize;
    *out = VK_NULL_HANDLE;

    const bool inject = count_call(sim, VKM_SIM_ALLOCATE_MEMORY);
    if (type >= sim->mem_props.memoryTypeCount) {
        violation(sim, "vkAllocateMemory: memoryTypeIndex %u >= memoryTypeCount %u", type,
                  sim->mem_props.memoryTypeCount);
        r = VK_ERROR_VALIDATION_FAILED_EXT;
        goto out;
    }
    if (size == 0) {
        violation(sim, "vkAllocateMemory: allocationSize 0");
        r = VK_ERROR_VALIDATION_FAILED_EXT;
        goto out;
    }
    if (inject) {
        r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
        goto out;
    }
    const uint32_t heap = sim->mem_props.memoryTypes[type].heapIndex;
    const VkDeviceSize heap_size = sim->mem_props.memoryHeaps[heap].size;
    if (size > heap_size)
        violation(sim, "vkAllocateMemory: allocationSize %llu > size %llu of heap %u",
                  (unsigned long long)size, (unsigned long long)heap_size, heap);

    /* reserve */
    pthread_mutex_lock(&sim->lock);
    if (size > heap_size || sim->heap_usage[heap] + size > heap_size) {
        r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    } else if (atomic_load_explicit(&sim->xenforce_budget, memory_order_relaxed) &&
               sim->heap_usage[heap] + size >
                   atomic_load_explicit(&sim->xbudget[heap], memory_order_relaxed)) {
        r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    } else if (sim->live_count >=
               atomic_load_explicit(&sim->xmax_allocations, memory_order_relaxed)) {
        r = VK_ERROR_TOO_MANY_OBJECTS;
    } else {
        sim->heap_usage[heap] += size;
        sim->live_count++;
    }
    pthread_mutex_unlock(&sim->lock);
    if (r != VK_SUCCESS)
        goto out;

    sim_memory *rec = calloc(1, sizeof(*rec));
    if (!rec) {
        r = VK_ERROR_OUT_OF_HOST_MEMORY;
        goto fail_reserved;
    }
    chain_slot slots[VKM_SIM_MAX_CHAIN];
    VkMemoryAllocateInfo real_info = *info;
    real_info.memoryTypeIndex = sim->real_type_of[type];
    real_info.pNext = filter_alloc_chain(sim, info->pNext, slots);
    r = sim->real.vkAllocateMemory(device, &real_info, cb, out);
    if (r != VK_SUCCESS)
        goto fail_record;

    const VkMemoryPropertyFlags real_flags =
        sim->ctx->mem_props.memoryTypes[real_info.memoryTypeIndex].propertyFlags;
    void *ptr = NULL;
    if ((real_flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
        sim->real.vkMapMemory(device, *out, 0, VK_WHOLE_SIZE, 0, &ptr) != VK_SUCCESS)
        ptr = NULL;
    *rec = (sim_memory){.handle = *out, .type = type, .heap = heap, .size = size, .real_ptr = ptr};
    pthread_mutex_lock(&sim->lock);
    bool ok = map_put(&sim->memories, HKEY(*out), rec);
    pthread_mutex_unlock(&sim->lock);
    if (ok)
        goto out;
    sim->real.vkFreeMemory(device, *out, cb);
    *out = VK_NULL_HANDLE;
    r = VK_ERROR_OUT_OF_HOST_MEMORY;
fail_record:
    free(rec);
fail_reserved:
    pthread_mutex_lock(&sim->lock);
    sim->heap_usage[heap] -= size;
    sim->live_count--;
    pthread_mutex_unlock(&sim->lock);
out:
    leave();
    return r;
}

static VKAPI_ATTR void VKAPI_CALL
sim_free_memory(VkDevice device, VkDeviceMemory mem, const VkAllocationCallbacks *cb)
{
    if (mem == VK_NULL_HANDLE)
        return;
    vkm_sim *sim = enter_device(device, __func__);
    pthread_mutex_lock(&sim->lock);
    sim_memory *rec = map_take(&sim->memories, HKEY(mem));
    if (rec) {
        sim->heap_usage[rec->heap] -= rec->size;
        sim->live_count--;
    }
    pthread_mutex_unlock(&sim->lock);
    if (rec) {
        /* Freeing mapped memory is legal: it unmaps implicitly, real mapping included. */
        free_record(rec);
        sim->real.vkFreeMemory(device, mem, cb);
    } else {
        violation(sim,
                  "vkFreeMemory: memory %p unknown (double free, or not allocated "
                  "through the sim)",
                  (void *)mem);
    }
    leave();
}

/* ---- map / unmap / flush / invalidate ---------------------------------------------- */

static bool
type_has(const vkm_sim *sim, uint32_t type, VkMemoryPropertyFlags f)
{
    return (sim->mem_props.memoryTypes[type].propertyFlags & f) == f;
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_map_memory(VkDevice device, VkDeviceMemory mem, VkDeviceSize offset, VkDeviceSize size,
               VkMemoryMapFlags flags, void **data)
{
    vkm_sim *sim = enter_device(device, __func__);
    VkResult r = VK_ERROR_MEMORY_MAP_FAILED;
    *data = NULL;
    if (count_call(sim, VKM_SIM_MAP_MEMORY)) {
        leave();
        return r;
    }
    pthread_mutex_lock(&sim->lock);
    sim_memory *rec = map_get(&sim->memories, HKEY(mem));
    if (!rec) {
        violation(sim, "vkMapMemory: memory %p unknown", (void *)mem);
    } else if (!type_has(sim, rec->type, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) {
        violation(sim, "vkMapMemory: memory type %u is not HOST_VISIBLE", rec->type);
    } else if (flags != 0) {
        violation(sim, "vkMapMemory: flags 0x%x", (unsigned)flags);
    } else if (rec->mapped) {
        violation(sim, "vkMapMemory: memory %p is already mapped", (void *)mem);
    } else if (offset >= rec->size ||
               (size != VK_WHOLE_SIZE && (size == 0 || size > rec->size - offset))) {
        violation(sim, "vkMapMemory: range [%llu, +%llu) outside memory of %llu bytes",
                  (unsigned long long)offset, (unsigned long long)size,
                  (unsigned long long)rec->size);
    } else if (!rec->real_ptr) {
        fprintf(stderr, "vk_sim[%s]: vkMapMemory: real memory is not host-visible\n", sim->name);
    } else {
        const VkDeviceSize len = size == VK_WHOLE_SIZE ? rec->size - offset : size;
        if (type_has(sim, rec->type, VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
            *data = rec->real_ptr + offset;
            r = VK_SUCCESS;
        } else {
            /* (shadow - offset) must be aligned to minMemoryMapAlignment like a real
             * mapping: place the shadow at (offset % A) into an A-aligned block. */
            const VkDeviceSize a = sim->map_alignment;
            const VkDeviceSize lead = offset % a;
            const VkDeviceSize bytes = (lead + len + a - 1) / a * a;
            uint8_t *block = bytes <= SIZE_MAX ? aligned_alloc((size_t)a, (size_t)bytes) : NULL;
            if (!block) {
                r = VK_ERROR_OUT_OF_HOST_MEMORY;
            } else {
                rec->shadow_block = block;
                rec->shadow = block + lead;
                hw_copy(rec->shadow, rec->real_ptr + offset, (size_t)len);
                *data = rec->shadow;
                r = VK_SUCCESS;
            }
        }
        if (r == VK_SUCCESS) {
            rec->mapped = true;
            rec->map_offset = offset;
            rec->map_size = len;
        }
    }
    pthread_mutex_unlock(&sim->lock);
    leave();
    return r;
}

static VKAPI_ATTR void VKAPI_CALL
sim_unmap_memory(VkDevice device, VkDeviceMemory mem)
{
    vkm_sim *sim = enter_device(device, __func__);
    pthread_mutex_lock(&sim->lock);
    sim_memory *rec = map_get(&sim->memories, HKEY(mem));
    if (!rec) {
        violation(sim, "vkUnmapMemory: memory %p unknown", (void *)mem);
    } else if (!rec->mapped) {
        violation(sim, "vkUnmapMemory: memory %p is not mapped", (void *)mem);
    } else {
        /* no flush: what was not flushed is lost, as on a non-coherent GPU */
        free(rec->shadow_block);
        rec->shadow_block = NULL;
        rec->shadow = NULL;
        rec->mapped = false;
    }
    pthread_mutex_unlock(&sim->lock);
    leave();
}

static void
flush_violation(vkm_sim *sim, const char *fn, const VkMappedMemoryRange *range, const char *why)
{
    atomic_fetch_add_explicit(&sim->xflush_violations, 1, memory_order_relaxed);
    violation(sim, "%s: range [%llu, +%llu%s) of memory %p: %s", fn,
              (unsigned long long)range->offset, (unsigned long long)range->size,
              range->size == VK_WHOLE_SIZE ? " (WHOLE_SIZE)" : "", (void *)range->memory, why);
}

/* Checks one range against Vulkan's rules and copies its part of the mapping. */
static void
sync_range(vkm_sim *sim, const VkMappedMemoryRange *range, bool flush)
{
    const char *fn = flush ? "vkFlushMappedMemoryRanges" : "vkInvalidateMappedMemoryRanges";
    sim_memory *rec = map_get(&sim->memories, HKEY(range->memory));
    if (!rec) {
        flush_violation(sim, fn, range, "memory unknown");
        return;
    }
    if (!rec->mapped) {
        flush_violation(sim, fn, range, "memory not mapped");
        return;
    }
    const VkDeviceSize off = range->offset;
    const VkDeviceSize map_end = rec->map_offset + rec->map_size;
    VkDeviceSize end;
    if (off % sim->atom != 0)
        flush_violation(sim, fn, range, "offset not a multiple of nonCoherentAtomSize");
    if (range->size == VK_WHOLE_SIZE) {
        if (off < rec->map_offset || off >= map_end) {
            flush_violation(sim, fn, range, "offset outside the mapped range");
            return;
        }
        end = map_end;
    } else {
        if (range->size % sim->atom != 0 && !(off <= rec->size && range->size == rec->size - off))
            flush_violation(sim, fn, range,
                            "size neither a multiple of nonCoherentAtomSize "
                            "nor reaching the end of the memory");
        if (off < rec->map_offset || range->size > map_end || off > map_end - range->size) {
            flush_violation(sim, fn, range, "range not inside the mapped range");
            return;
        }
        end = off + range->size;
    }
    if (!rec->shadow || end <= off)
        return; /* coherent: nothing to move */
    uint8_t *shadow = rec->shadow + (off - rec->map_offset);
    uint8_t *real = rec->real_ptr + off;
    if (flush)
        hw_copy(real, shadow, (size_t)(end - off));
    else
        hw_copy(shadow, real, (size_t)(end - off));
}

static VkResult
sync_ranges(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges, bool flush,
            const char *fn)
{
    vkm_sim *sim = enter_device(device, fn);
    pthread_mutex_lock(&sim->lock);
    for (uint32_t i = 0; i < count; i++)
        sync_range(sim, &ranges[i], flush);
    pthread_mutex_unlock(&sim->lock);
    leave();
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_flush_ranges(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
    return sync_ranges(device, count, ranges, true, __func__);
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_invalidate_ranges(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
    return sync_ranges(device, count, ranges, false, __func__);
}

/* ---- bind -------------------------------------------------------------------------- */

/* Checks a bind against the simulated requirements: type accepted, offset aligned, fits. */
static void
check_bind(vkm_sim *sim, const char *fn, VkDeviceMemory mem, VkDeviceSize offset,
           const VkMemoryRequirements *real_req, bool optimal_image)
{
    pthread_mutex_lock(&sim->lock);
    sim_memory *rec = map_get(&sim->memories, HKEY(mem));
    uint32_t type = rec ? rec->type : UINT32_MAX;
    VkDeviceSize size = rec ? rec->size : 0;
    pthread_mutex_unlock(&sim->lock);
    if (!rec) {
        violation(sim, "%s: memory %p unknown", fn, (void *)mem);
        return;
    }
    uint32_t bits = sim_type_bits(sim, real_req->memoryTypeBits, optimal_image);
    if (!(bits & (1u << type)))
        violation(sim, "%s: memory type %u not in the resource's memoryTypeBits 0x%x%s", fn, type,
                  bits, optimal_image ? " (optimal-tiling image)" : "");
    if (real_req->alignment && offset % real_req->alignment != 0)
        violation(sim, "%s: offset %llu not a multiple of alignment %llu", fn,
                  (unsigned long long)offset, (unsigned long long)real_req->alignment);
    if (offset > size || real_req->size > size - offset)
        violation(sim, "%s: [%llu, +%llu) past the end of memory of %llu bytes", fn,
                  (unsigned long long)offset, (unsigned long long)real_req->size,
                  (unsigned long long)size);
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_bind_buffer_memory(VkDevice device, VkBuffer buffer, VkDeviceMemory mem, VkDeviceSize offset)
{
    vkm_sim *sim = enter_device(device, __func__);
    VkResult r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    if (!count_call(sim, VKM_SIM_BIND_BUFFER_MEMORY)) {
        VkMemoryRequirements req;
        sim->real.vkGetBufferMemoryRequirements(device, buffer, &req);
        check_bind(sim, "vkBindBufferMemory", mem, offset, &req, false);
        r = sim->real.vkBindBufferMemory(device, buffer, mem, offset);
    }
    leave();
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_bind_image_memory(VkDevice device, VkImage image, VkDeviceMemory mem, VkDeviceSize offset)
{
    vkm_sim *sim = enter_device(device, __func__);
    VkResult r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    if (!count_call(sim, VKM_SIM_BIND_IMAGE_MEMORY)) {
        VkMemoryRequirements req;
        sim->real.vkGetImageMemoryRequirements(device, image, &req);
        check_bind(sim, "vkBindImageMemory", mem, offset, &req, image_is_optimal(sim, image));
        r = sim->real.vkBindImageMemory(device, image, mem, offset);
    }
    leave();
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_bind_buffer_memory2(VkDevice device, uint32_t count, const VkBindBufferMemoryInfo *infos)
{
    vkm_sim *sim = enter_device(device, __func__);
    VkResult r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    if (!count_call(sim, VKM_SIM_BIND_BUFFER_MEMORY)) {
        for (uint32_t i = 0; i < count; i++) {
            VkMemoryRequirements req;
            sim->real.vkGetBufferMemoryRequirements(device, infos[i].buffer, &req);
            check_bind(sim, "vkBindBufferMemory2", infos[i].memory, infos[i].memoryOffset, &req,
                       false);
        }
        r = sim->real.vkBindBufferMemory2KHR(device, count, infos);
    }
    leave();
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL
sim_bind_image_memory2(VkDevice device, uint32_t count, const VkBindImageMemoryInfo *infos)
{
    vkm_sim *sim = enter_device(device, __func__);
    VkResult r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    if (!count_call(sim, VKM_SIM_BIND_IMAGE_MEMORY)) {
        for (uint32_t i = 0; i < count; i++) {
            VkMemoryRequirements req;
            sim->real.vkGetImageMemoryRequirements(device, infos[i].image, &req);
            check_bind(sim, "vkBindImageMemory2", infos[i].memory, infos[i].memoryOffset, &req,
                       image_is_optimal(sim, infos[i].image));
        }
        r = sim->real.vkBindImageMemory2KHR(device, count, infos);
    }
    leave();
    return r;
}

/* ---- proc addr --------------------------------------------------------------------- */

static const struct {
    const char *name;
    PFN_vkVoidFunction fn;
    bool emulated; /* answer even when the real driver has no such function */
} wrapped[] = {
/* clang-format off */
#define W(name, fn, emulated) {name, (PFN_vkVoidFunction)(fn), emulated}
    W("vkGetPhysicalDeviceProperties", sim_get_physical_device_properties, false),
    W("vkGetPhysicalDeviceProperties2", sim_get_physical_device_properties2, false),
    W("vkGetPhysicalDeviceProperties2KHR", sim_get_physical_device_properties2, false),
    W("vkGetPhysicalDeviceMemoryProperties", sim_get_memory_properties, false),
    W("vkGetPhysicalDeviceMemoryProperties2", sim_get_memory_properties2, true),
    W("vkGetPhysicalDeviceMemoryProperties2KHR", sim_get_memory_properties2, true),
    W("vkAllocateMemory", sim_allocate_memory, false),
    W("vkFreeMemory", sim_free_memory, false),
    W("vkMapMemory", sim_map_memory, false),
    W("vkUnmapMemory", sim_unmap_memory, false),
    W("vkFlushMappedMemoryRanges", sim_flush_ranges, false),
    W("vkInvalidateMappedMemoryRanges", sim_invalidate_ranges, false),
    W("vkBindBufferMemory", sim_bind_buffer_memory, false),
    W("vkBindImageMemory", sim_bind_image_memory, false),
    W("vkBindBufferMemory2", sim_bind_buffer_memory2, false),
    W("vkBindBufferMemory2KHR", sim_bind_buffer_memory2, false),
    W("vkBindImageMemory2", sim_bind_image_memory2, false),
    W("vkBindImageMemory2KHR", sim_bind_image_memory2, false),
    W("vkGetBufferMemoryRequirements", sim_get_buffer_memory_requirements, false),
    W("vkGetBufferMemoryRequirements2", sim_get_buffer_memory_requirements2, false),
    W("vkGetBufferMemoryRequirements2KHR", sim_get_buffer_memory_requirements2, false),
    W("vkGetImageMemoryRequirements", sim_get_image_memory_requirements, false),
    W("vkGetImageMemoryRequirements2", sim_get_image_memory_requirements2, false),
    W("vkGetImageMemoryRequirements2KHR", sim_get_image_memory_requirements2, false),
    W("vkGetDeviceBufferMemoryRequirements", sim_get_device_buffer_memory_requirements, false),
    W("vkGetDeviceBufferMemoryRequirementsKHR", sim_get_device_buffer_memory_requirements, false),
    W("vkGetDeviceImageMemoryRequirements", sim_get_device_image_memory_requirements, false),
    W("vkGetDeviceImageMemoryRequirementsKHR", sim_get_device_image_memory_requirements, false),
    W("vkCreateImage", sim_create_image, false),
    W("vkDestroyImage", sim_destroy_image, false),
#undef W
    /* clang-format on */
};

static PFN_vkVoidFunction
wrap(const char *name, PFN_vkVoidFunction real)
{
    if (!name)
        return real;
    for (size_t i = 0; i < sizeof(wrapped) / sizeof(wrapped[0]); i++)
        if (strcmp(name, wrapped[i].name) == 0)
            return real || wrapped[i].emulated ? wrapped[i].fn : NULL;
    return real;
}

/* The real loader functions resolve; wrapped names are answered with the sim's. The sim
 * registry is not consulted: the wrappers find their sim from their own arguments. */
static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
sim_get_instance_proc_addr(VkInstance instance, const char *name)
{
    PFN_vkVoidFunction real = vkGetInstanceProcAddr(instance, name);
    if (name && strcmp(name, "vkGetInstanceProcAddr") == 0)
        return (PFN_vkVoidFunction)sim_get_instance_proc_addr;
    return instance ? wrap(name, real) : real;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
sim_get_device_proc_addr(VkDevice device, const char *name)
{
    PFN_vkVoidFunction real = vkGetDeviceProcAddr(device, name);
    if (name && strcmp(name, "vkGetDeviceProcAddr") == 0)
        return (PFN_vkVoidFunction)sim_get_device_proc_addr;
    /* instance-level names are not device functions: NULL from the real one too */
    return real ? wrap(name, real) : NULL;
}

/* ---- create / destroy -------------------------------------------------------------- */

static void
build_table(vkm_sim *sim)
{
    VmaVulkanFunctions *t = &sim->table;
    const VmaVulkanFunctions *r = &sim->real;
    *t = *r;
    t->vkGetInstanceProcAddr = sim_get_instance_proc_addr;
    t->vkGetDeviceProcAddr = sim_get_device_proc_addr;
#define SET(member, fn) t->member = r->member ? fn : NULL
    SET(vkGetPhysicalDeviceProperties, sim_get_physical_device_properties);
    SET(vkGetPhysicalDeviceMemoryProperties, sim_get_memory_properties);
    SET(vkAllocateMemory, sim_allocate_memory);
    SET(vkFreeMemory, sim_free_memory);
    SET(vkMapMemory, sim_map_memory);
    SET(vkUnmapMemory, sim_unmap_memory);
    SET(vkFlushMappedMemoryRanges, sim_flush_ranges);
    SET(vkInvalidateMappedMemoryRanges, sim_invalidate_ranges);
    SET(vkBindBufferMemory, sim_bind_buffer_memory);
    SET(vkBindImageMemory, sim_bind_image_memory);
    SET(vkGetBufferMemoryRequirements, sim_get_buffer_memory_requirements);
    SET(vkGetImageMemoryRequirements, sim_get_image_memory_requirements);
    SET(vkCreateImage, sim_create_image);
    SET(vkDestroyImage, sim_destroy_image);
    SET(vkGetBufferMemoryRequirements2KHR, sim_get_buffer_memory_requirements2);
    SET(vkGetImageMemoryRequirements2KHR, sim_get_image_memory_requirements2);
    SET(vkBindBufferMemory2KHR, sim_bind_buffer_memory2);
    SET(vkBindImageMemory2KHR, sim_bind_image_memory2);
    SET(vkGetDeviceBufferMemoryRequirements, sim_get_device_buffer_memory_requirements);
    SET(vkGetDeviceImageMemoryRequirements, sim_get_device_image_memory_requirements);
#undef SET
    t->vkGetPhysicalDeviceMemoryProperties2KHR = sim_get_memory_properties2; /* emulated */
}

VkResult
vkm_sim_create(const vkm_test_vk *ctx, const char *layout, vkm_sim **out)
{
    *out = NULL;
    vkm_sim *sim = calloc(1, sizeof(*sim));
    if (!sim)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    sim->ctx = ctx;
    sim->device = ctx->device;
    sim->physical_device = ctx->physical_device;
    VkResult r = layout ? load_layout(sim, layout) : VK_SUCCESS;
    if (r != VK_SUCCESS)
        goto fail_sim;
    if (layout)
        r = map_types(sim);
    else
        load_real_layout(sim);
    if (r != VK_SUCCESS)
        goto fail_sim;

    vkm_test_vk_fill_functions(ctx, &sim->real);
    const char *props2 = ctx->api_version >= VK_API_VERSION_1_1
                             ? "vkGetPhysicalDeviceProperties2"
                             : "vkGetPhysicalDeviceProperties2KHR";
    sim->real_get_properties2 =
        (PFN_vkGetPhysicalDeviceProperties2)vkGetInstanceProcAddr(ctx->instance, props2);
    build_table(sim);

    const VkDeviceSize min_map = ctx->props.limits.minMemoryMapAlignment;
    sim->map_alignment = min_map > 64 ? min_map : 64;
    for (uint32_t i = 0; i < VKM_SIM_CALL_COUNT; i++) {
        atomic_init(&sim->xcalls[i], 0);
        atomic_init(&sim->xfail_at[i], 0);
        atomic_init(&sim->xfail_every[i], false);
    }
    atomic_init(&sim->xviolations, 0);
    atomic_init(&sim->xflush_violations, 0);
    atomic_init(&sim->xmax_allocations, sim->reported_max_allocations);
    atomic_init(&sim->xenforce_budget, false);
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++)
        atomic_init(&sim->xbudget[h], sim->mem_props.memoryHeaps[h].size / 10 * 8);

    if (pthread_mutex_init(&sim->lock, NULL) != 0) {
        r = VK_ERROR_OUT_OF_HOST_MEMORY;
        goto fail_sim;
    }
    if (!map_init(&sim->memories, 256) || !map_init(&sim->linear_images, 64)) {
        r = VK_ERROR_OUT_OF_HOST_MEMORY;
        goto fail_maps;
    }

    pthread_rwlock_wrlock(&registry_lock);
    int slot = -1;
    for (int i = 0; i < VKM_SIM_MAX_SIMS; i++) {
        if (registry[i] && registry[i]->device == ctx->device) {
            slot = -2;
            break;
        }
        if (!registry[i] && slot == -1)
            slot = i;
    }
    if (slot >= 0)
        registry[slot] = sim;
    pthread_rwlock_unlock(&registry_lock);
    if (slot < 0) {
        fprintf(stderr, "vk_sim: %s\n",
                slot == -2 ? "a sim already wraps this device"
                           : "too many sims (VKM_SIM_MAX_SIMS)");
        r = VK_ERROR_INITIALIZATION_FAILED;
        goto fail_maps;
    }
    *out = sim;
    return VK_SUCCESS;

fail_maps:
    map_clear(&sim->memories, NULL);
    map_clear(&sim->linear_images, NULL);
    pthread_mutex_destroy(&sim->lock);
fail_sim:
    free(sim);
    return r;
}

void
vkm_sim_destroy(vkm_sim *sim)
{
    if (!sim)
        return;
    pthread_rwlock_wrlock(&registry_lock); /* waits for calls in flight */
    for (int i = 0; i < VKM_SIM_MAX_SIMS; i++)
        if (registry[i] == sim)
            registry[i] = NULL;
    pthread_rwlock_unlock(&registry_lock);
    if (sim->memories.count)
        fprintf(stderr, "vk_sim[%s]: destroyed with %zu VkDeviceMemory still alive\n", sim->name,
                sim->memories.count);
    map_clear(&sim->memories, free_record);
    map_clear(&sim->linear_images, NULL);
    pthread_mutex_destroy(&sim->lock);
    free(sim);
}

/* ---- public control ---------------------------------------------------------------- */

void
vkm_sim_fill_functions(vkm_sim *sim, VmaVulkanFunctions *out)
{
    *out = sim->table;
}

void
vkm_sim_fill_allocator_info(vkm_sim *sim, VmaAllocatorCreateInfo *ci)
{
    const vkm_test_vk *ctx = sim->ctx;
    vkm_test_vk_fill_allocator_info(ctx, ci);
    VmaAllocatorCreateFlags f =
        ci->flags & ~(VmaAllocatorCreateFlags)(VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT |
                                               VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT |
                                               VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT |
                                               VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT);
    if (vkm_sim_has_extension(sim, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME))
        f |= VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT;
    if (vkm_sim_has_extension(sim, VK_EXT_MEMORY_PRIORITY_EXTENSION_NAME))
        f |= VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT;
    if (ctx->has_bda && vkm_sim_has_extension(sim, VK_KHR_BUFFER_DEVICE_ADDRESS_EXTENSION_NAME))
        f |= VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT;
    if (ctx->has_maintenance5 && vkm_sim_has_extension(sim, "VK_KHR_maintenance5"))
        f |= VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT;
    ci->flags = f;
    ci->pVulkanFunctions = &sim->table;
}

void
vkm_sim_fail_nth(vkm_sim *sim, vkm_sim_call call, uint32_t n)
{
    unsigned now = atomic_load_explicit(&sim->xcalls[call], memory_order_relaxed);
    unsigned at = n == 0 ? 0 : now + n;
    if (n != 0 && at == 0)
        at = 1; /* wrapped: 0 means disarmed */
    atomic_store_explicit(&sim->xfail_at[call], at, memory_order_relaxed);
}

void
vkm_sim_fail_every(vkm_sim *sim, vkm_sim_call call, bool on)
{
    atomic_store_explicit(&sim->xfail_every[call], on, memory_order_relaxed);
}

uint32_t
vkm_sim_call_count(const vkm_sim *sim, vkm_sim_call call)
{
    return atomic_load_explicit((atomic_uint *)&sim->xcalls[call], memory_order_relaxed);
}

uint32_t
vkm_sim_live_memory_count(const vkm_sim *sim)
{
    vkm_sim *s = (vkm_sim *)sim;
    pthread_mutex_lock(&s->lock);
    uint32_t n = s->live_count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint64_t
vkm_sim_heap_usage(const vkm_sim *sim, uint32_t heap)
{
    vkm_sim *s = (vkm_sim *)sim;
    if (heap >= VK_MAX_MEMORY_HEAPS)
        return 0;
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->heap_usage[heap];
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint64_t
vkm_sim_heap_budget(const vkm_sim *sim, uint32_t heap)
{
    if (heap >= VK_MAX_MEMORY_HEAPS)
        return 0;
    return atomic_load_explicit((_Atomic uint64_t *)&sim->xbudget[heap], memory_order_relaxed);
}

void
vkm_sim_set_heap_budget(vkm_sim *sim, uint32_t heap, uint64_t budget)
{
    if (heap < VK_MAX_MEMORY_HEAPS)
        atomic_store_explicit(&sim->xbudget[heap], budget, memory_order_relaxed);
}

void
vkm_sim_enforce_budget(vkm_sim *sim, bool on)
{
    atomic_store_explicit(&sim->xenforce_budget, on, memory_order_relaxed);
}

void
vkm_sim_set_max_allocation_count(vkm_sim *sim, uint32_t count)
{
    atomic_store_explicit(&sim->xmax_allocations, count, memory_order_relaxed);
}

uint32_t
vkm_sim_memory_type_of(const vkm_sim *sim, VkDeviceMemory mem)
{
    vkm_sim *s = (vkm_sim *)sim;
    pthread_mutex_lock(&s->lock);
    const sim_memory *rec = map_get(&s->memories, HKEY(mem));
    uint32_t type = rec ? rec->type : UINT32_MAX;
    pthread_mutex_unlock(&s->lock);
    return type;
}

uint32_t
vkm_sim_flush_violation_count(const vkm_sim *sim)
{
    return atomic_load_explicit((atomic_uint *)&sim->xflush_violations, memory_order_relaxed);
}

bool
vkm_sim_backs_optimal_images(const vkm_sim *sim)
{
    const VkImageCreateInfo ici =
        vkm_test_image_info(64, 64, VK_IMAGE_TILING_OPTIMAL,
                            VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    VkImage probe;
    if (sim->real.vkCreateImage(sim->device, &ici, NULL, &probe) != VK_SUCCESS)
        return false;
    VkMemoryRequirements req;
    sim->real.vkGetImageMemoryRequirements(sim->device, probe, &req);
    sim->real.vkDestroyImage(sim->device, probe, NULL);
    return sim_type_bits(sim, req.memoryTypeBits, true) != 0;
}

uint32_t
vkm_sim_violation_count(const vkm_sim *sim)
{
    return atomic_load_explicit((atomic_uint *)&sim->xviolations, memory_order_relaxed);
}

const VkPhysicalDeviceMemoryProperties *
vkm_sim_memory_properties(const vkm_sim *sim)
{
    return &sim->mem_props;
}

VkDeviceSize
vkm_sim_buffer_image_granularity(const vkm_sim *sim)
{
    return sim->granularity;
}

VkDeviceSize
vkm_sim_non_coherent_atom_size(const vkm_sim *sim)
{
    return sim->atom;
}

bool
vkm_sim_has_extension(const vkm_sim *sim, const char *name)
{
    for (uint32_t i = 0; i < sim->extension_count; i++)
        if (strcmp(sim->extensions[i], name) == 0)
            return true;
    return false;
}

const char *
vkm_sim_layout_name(const vkm_sim *sim)
{
    return sim->name;
}

static VkResult
peek_poke(vkm_sim *sim, VkDeviceMemory mem, VkDeviceSize offset, void *buf, size_t size, bool poke)
{
    VkResult r = VK_SUCCESS;
    pthread_mutex_lock(&sim->lock);
    sim_memory *rec = map_get(&sim->memories, HKEY(mem));
    if (!rec || offset > rec->size || size > rec->size - offset)
        r = VK_ERROR_VALIDATION_FAILED_EXT;
    else if (!rec->real_ptr)
        r = VK_ERROR_MEMORY_MAP_FAILED;
    else if (poke)
        hw_copy(rec->real_ptr + offset, buf, size);
    else
        hw_copy(buf, rec->real_ptr + offset, size);
    pthread_mutex_unlock(&sim->lock);
    return r;
}

VkResult
vkm_sim_peek(vkm_sim *sim, VkDeviceMemory mem, VkDeviceSize offset, void *dst, size_t size)
{
    return peek_poke(sim, mem, offset, dst, size, false);
}

VkResult
vkm_sim_poke(vkm_sim *sim, VkDeviceMemory mem, VkDeviceSize offset, const void *src, size_t size)
{
    return peek_poke(sim, mem, offset, (void *)src, size, true);
}
