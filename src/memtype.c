/* SPDX-License-Identifier: MIT */
/*
 * memtype.c - memory-type selection (rules summarised in memtype.h).
 *
 * A request becomes three flag sets - required, preferred, not preferred - and every
 * usable type that has all required flags is ranked by
 *     cost = |preferred \ type flags| + |not_preferred & type flags|
 * (fewer is better, ties to the lower index). What the usages contribute:
 *
 *   usage                 required        preferred               not preferred
 *   UNKNOWN               -               -                       -
 *   GPU_ONLY              -               DEVICE_LOCAL (1)        -
 *   CPU_ONLY              VISIBLE|COHERENT -                      -
 *   CPU_TO_GPU            VISIBLE         DEVICE_LOCAL (1)        -
 *   GPU_TO_CPU            VISIBLE         CACHED                  -
 *   CPU_COPY              -               -                       DEVICE_LOCAL
 *   GPU_LAZILY_ALLOCATED  LAZILY_ALLOC    -                       -
 *   AUTO*                 see auto_prefs()
 *   (1) not on an integrated GPU when the caller already prefers HOST_VISIBLE.
 * plus DEVICE_UNCACHED_AMD as not preferred unless the caller required or preferred an
 * AMD device-memory flag. The caller's requiredFlags / preferredFlags are the base.
 */
#include "memtype.h"

#include <string.h>

#include "debug.h"

#define DEVICE_LOCAL VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
#define HOST_VISIBLE VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
#define HOST_COHERENT VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
#define HOST_CACHED VK_MEMORY_PROPERTY_HOST_CACHED_BIT
#define AMD_FLAGS \
    (VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD | VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD)

#define HOST_ACCESS_SEQ VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT
#define HOST_ACCESS_RANDOM VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT
#define HOST_ACCESS_ANY (HOST_ACCESS_SEQ | HOST_ACCESS_RANDOM)
#define TRANSFER_INSTEAD VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT

/* Buffer and image usage share these two values, which is what lets one test serve
 * both: a resource whose usage has nothing else is never accessed by shaders or
 * attachments, only copied. */
#define TRANSFER_ONLY_USAGE \
    ((VkFlags64)(VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT))
_Static_assert((int)VK_BUFFER_USAGE_TRANSFER_SRC_BIT == (int)VK_IMAGE_USAGE_TRANSFER_SRC_BIT &&
                   (int)VK_BUFFER_USAGE_TRANSFER_DST_BIT == (int)VK_IMAGE_USAGE_TRANSFER_DST_BIT,
               "buffer and image transfer usage bits must coincide");

typedef struct prefs {
    VkMemoryPropertyFlags required;
    VkMemoryPropertyFlags preferred;
    VkMemoryPropertyFlags not_preferred;
} prefs;

static bool
is_auto_usage(VmaMemoryUsage u)
{
    return u == VMA_MEMORY_USAGE_AUTO || u == VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE ||
           u == VMA_MEMORY_USAGE_AUTO_PREFER_HOST;
}

void
vkm_memtype_info_init(vkm_memtype_info *mi, const VkPhysicalDeviceProperties *pdp,
                      const VkPhysicalDeviceMemoryProperties *mp,
                      VmaAllocatorCreateFlags allocator_flags)
{
    const bool amd_coherent_ok =
        (allocator_flags & VMA_ALLOCATOR_CREATE_AMD_DEVICE_COHERENT_MEMORY_BIT) != 0;

    memset(mi, 0, sizeof *mi);
    mi->props = *mp;
    vkm_assert(mi->props.memoryTypeCount <= VK_MAX_MEMORY_TYPES);
    vkm_assert(mi->props.memoryHeapCount <= VK_MAX_MEMORY_HEAPS);
    mi->device_type = pdp->deviceType;
    mi->non_coherent_atom_size = pdp->limits.nonCoherentAtomSize;
    mi->buffer_image_granularity = pdp->limits.bufferImageGranularity;
    mi->use_maintenance5 = (allocator_flags & VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT) != 0;

    /* DEVICE_COHERENT_AMD memory is slow and needs VkPhysicalDeviceCoherentMemoryFeaturesAMD
     * enabled to be allocated at all; the allocator flag is the user's promise. */
    for (uint32_t i = 0; i < mi->props.memoryTypeCount; i++) {
        const VkMemoryPropertyFlags fl = mi->props.memoryTypes[i].propertyFlags;
        if (amd_coherent_ok || (fl & VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD) == 0)
            mi->global_type_bits |= 1u << i;
    }
}

/* The AUTO usages: where the resource lives follows from who touches it.
 *  - Host reads at random (readback): HOST_CACHED preferred; must be HOST_VISIBLE unless
 *    the caller accepts a staging copy instead, in which case VRAM is preferred as much.
 *  - Host writes sequentially (upload, per-frame constants): HOST_CACHED is not wanted
 *    (write-combined is better); must be HOST_VISIBLE unless a staging copy is accepted,
 *    in which case mappable VRAM (BAR, ReBAR) is the goal and plain VRAM the fallback.
 *  - No host access: VRAM, unless the caller leans to the host.
 * "A staging copy is accepted" only counts on a non-integrated GPU, for a resource the
 * device reads directly, and without AUTO_PREFER_HOST. Without host access, or with
 * host writes that must be visible, the device/host lean is: the caller's AUTO_PREFER_*
 * choice, else VRAM when the device reads the resource directly; a copy-only upload
 * buffer leans to the host unless AUTO_PREFER_DEVICE. */
static void
auto_prefs(const vkm_memtype_info *mi, const VmaAllocationCreateInfo *ci, VkFlags64 usage, prefs *p)
{
    const bool device_access = (usage & ~TRANSFER_ONLY_USAGE) != 0;
    const bool prefer_host = ci->usage == VMA_MEMORY_USAGE_AUTO_PREFER_HOST;
    const bool prefer_device = ci->usage == VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE;
    const bool staging_ok = (ci->flags & TRANSFER_INSTEAD) != 0 && device_access && !prefer_host &&
                            !vkm_memtype_is_integrated(mi);
    bool lean_device;

    if (ci->flags & HOST_ACCESS_RANDOM) {
        /* Preferred, not required: some devices have no cached type at all. */
        p->preferred |= HOST_CACHED;
        if (staging_ok)
            p->preferred |= DEVICE_LOCAL; /* VISIBLE left out on purpose: VRAM weighs as
                                             much as cached host memory */
        else
            p->required |= HOST_VISIBLE;
        return;
    }
    if (ci->flags & HOST_ACCESS_SEQ) {
        p->not_preferred |= HOST_CACHED;
        if (staging_ok) {
            p->preferred |= DEVICE_LOCAL | HOST_VISIBLE;
            return;
        }
        p->required |= HOST_VISIBLE;
        lean_device = device_access ? !prefer_host : prefer_device;
    } else {
        lean_device = !prefer_host;
    }
    if (lean_device)
        p->preferred |= DEVICE_LOCAL;
    else
        p->not_preferred |= DEVICE_LOCAL;
}

/* Request -> flag sets. Fails only for an AUTO usage without resource usage flags and
 * for a VmaMemoryUsage value that does not exist. */
static VkResult
derive_prefs(const vkm_memtype_info *mi, const vkm_memtype_request *req, prefs *p)
{
    const VmaAllocationCreateInfo *ci = req->ci;
    const bool integrated = vkm_memtype_is_integrated(mi);
    /* On unified memory a caller who asks for HOST_VISIBLE gets no DEVICE_LOCAL push
     * from the deprecated GPU usages: every type is device-local anyway, and the push
     * would outweigh the caller's own preference. */
    const bool push_device_local = !integrated || (ci->preferredFlags & HOST_VISIBLE) == 0;

    p->required = ci->requiredFlags;
    p->preferred = ci->preferredFlags;
    p->not_preferred = 0;

    switch (ci->usage) {
    case VMA_MEMORY_USAGE_UNKNOWN:
        break;
    case VMA_MEMORY_USAGE_GPU_ONLY:
        if (push_device_local)
            p->preferred |= DEVICE_LOCAL;
        break;
    case VMA_MEMORY_USAGE_CPU_ONLY:
        p->required |= HOST_VISIBLE | HOST_COHERENT;
        break;
    case VMA_MEMORY_USAGE_CPU_TO_GPU:
        p->required |= HOST_VISIBLE;
        if (push_device_local)
            p->preferred |= DEVICE_LOCAL;
        break;
    case VMA_MEMORY_USAGE_GPU_TO_CPU:
        p->required |= HOST_VISIBLE;
        p->preferred |= HOST_CACHED;
        break;
    case VMA_MEMORY_USAGE_CPU_COPY:
        p->not_preferred |= DEVICE_LOCAL;
        break;
    case VMA_MEMORY_USAGE_GPU_LAZILY_ALLOCATED:
        p->required |= VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT;
        break;
    case VMA_MEMORY_USAGE_AUTO:
    case VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE:
    case VMA_MEMORY_USAGE_AUTO_PREFER_HOST: {
        const VkFlags64 usage = req->resource == VKM_RESOURCE_NONE ? 0 : req->buffer_or_image_usage;
        if (usage == 0) {
            vkm_api_assert(usage != 0,
                           "pAllocationCreateInfo->usage: VMA_MEMORY_USAGE_AUTO* needs the "
                           "buffer or image create info (vmaCreateBuffer, vmaCreateImage, "
                           "vmaFindMemoryTypeIndexForBufferInfo/ImageInfo); with "
                           "VkBufferUsageFlags2CreateInfoKHR also set "
                           "VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT");
            return VK_ERROR_FEATURE_NOT_PRESENT;
        }
        auto_prefs(mi, ci, usage, p);
        break;
    }
    default:
        vkm_api_assert(false, "pAllocationCreateInfo->usage is not a VmaMemoryUsage value");
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }

    /* DEVICE_UNCACHED_AMD memory is for debugging crashes, very slow otherwise. */
    if (((ci->requiredFlags | ci->preferredFlags) & AMD_FLAGS) == 0)
        p->not_preferred |= VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD;
    return VK_SUCCESS;
}

static uint32_t
usable_bits(const vkm_memtype_info *mi, uint32_t memory_type_bits,
            const VmaAllocationCreateInfo *ci)
{
    uint32_t bits = memory_type_bits & mi->global_type_bits;
    if (ci->memoryTypeBits != 0)
        bits &= ci->memoryTypeBits;
    return bits;
}

static uint32_t
type_cost(VkMemoryPropertyFlags have, const prefs *p)
{
    return (uint32_t)__builtin_popcount(p->preferred & ~have) +
           (uint32_t)__builtin_popcount(p->not_preferred & have);
}

uint32_t
vkm_memtype_candidates(const vkm_memtype_info *mi, uint32_t memory_type_bits,
                       const vkm_memtype_request *req, uint32_t out_types[VK_MAX_MEMORY_TYPES])
{
    uint32_t cost[VK_MAX_MEMORY_TYPES];
    uint32_t n = 0;
    prefs p;

    vkm_assert(req != NULL && req->ci != NULL);
    if (derive_prefs(mi, req, &p) != VK_SUCCESS)
        return 0;

    const uint32_t bits = usable_bits(mi, memory_type_bits, req->ci);
    /* Types in index order, inserted after every type of lower or equal cost: a stable
     * sort by cost, so equal costs keep the lower index first. At most 32 entries. */
    for (uint32_t t = 0; t < mi->props.memoryTypeCount; t++) {
        const VkMemoryPropertyFlags have = mi->props.memoryTypes[t].propertyFlags;
        if ((bits & (1u << t)) == 0 || (p.required & ~have) != 0)
            continue;
        const uint32_t c = type_cost(have, &p);
        uint32_t at = n;
        while (at > 0 && cost[at - 1] > c) {
            cost[at] = cost[at - 1];
            out_types[at] = out_types[at - 1];
            at--;
        }
        cost[at] = c;
        out_types[at] = t;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------------------------ */
/* Candidate cache (memtype.h)                                                           */

enum {
    ENTRY_EMPTY = 0,
    ENTRY_CLAIMED = 1,
    ENTRY_READY = 2
};

/* Everything of the request that derive_prefs() and usable_bits() read, normalised so
 * that requests they cannot tell apart share a key: the flags and the resource usage
 * only matter to the AUTO usages. */
static vkm_memtype_key
cache_key(const vkm_memtype_info *mi, uint32_t memory_type_bits, const vkm_memtype_request *req)
{
    const VmaAllocationCreateInfo *ci = req->ci;
    vkm_memtype_key k = {
        .bits = usable_bits(mi, memory_type_bits, ci),
        .usage = (uint32_t)ci->usage,
        .required = ci->requiredFlags,
        .preferred = ci->preferredFlags,
        .extra = 0,
    };
    if (is_auto_usage(ci->usage)) {
        const VkFlags64 usage = req->resource == VKM_RESOURCE_NONE ? 0 : req->buffer_or_image_usage;
        _Static_assert(((HOST_ACCESS_ANY | TRANSFER_INSTEAD) & 3u) == 0, "extra bits overlap");
        k.extra = (ci->flags & (HOST_ACCESS_ANY | TRANSFER_INSTEAD)) | (usage != 0 ? 1u : 0u) |
                  ((usage & ~TRANSFER_ONLY_USAGE) != 0 ? 2u : 0u);
    }
    return k;
}

static bool
key_equal(const vkm_memtype_key *a, const vkm_memtype_key *b)
{
    return ((a->bits ^ b->bits) | (a->usage ^ b->usage) | (a->required ^ b->required) |
            (a->preferred ^ b->preferred) | (a->extra ^ b->extra)) == 0;
}

static uint32_t
key_slot(const vkm_memtype_key *k)
{
    uint64_t h = ((uint64_t)k->bits << 32 | k->usage) * 0x9E3779B97F4A7C15ull;
    h ^= ((uint64_t)k->required << 32 | k->preferred) * 0xC2B2AE3D27D4EB4Full;
    h ^= (uint64_t)k->extra * 0x165667B19E3779F9ull;
    return (uint32_t)(h >> 40);
}

/* The miss: compute into `scratch`, and keep the answer in `empty` (an EMPTY entry of
 * the key's probe sequence, or NULL) if this thread wins it. */
static VKM_NOINLINE const vkm_memtype_list *
cache_fill(const vkm_memtype_info *mi, vkm_memtype_cache_entry *empty, const vkm_memtype_key *key,
           uint32_t memory_type_bits, const vkm_memtype_request *req, vkm_memtype_list *scratch)
{
    uint32_t types[VK_MAX_MEMORY_TYPES];
    const uint32_t n = vkm_memtype_candidates(mi, memory_type_bits, req, types);
    scratch->count = n;
    for (uint32_t i = 0; i < n; i++)
        scratch->types[i] = (uint8_t)types[i];
    uint32_t expected = ENTRY_EMPTY;
    if (n == 0 || empty == NULL ||
        !vkm_atomic_cas_u32_relaxed(&empty->xstate, &expected, ENTRY_CLAIMED))
        return scratch; /* nothing to keep, no room, or another thread took the entry */
    /* The claim gives this thread the entry alone: no reader looks inside before READY. */
    empty->key = *key;
    empty->list = *scratch;
    /* release: pairs with the acquire in the lookup below */
    vkm_atomic_store_u32_release(&empty->xstate, ENTRY_READY);
    return &empty->list;
}

const vkm_memtype_list *
vkm_memtype_candidates_cached(const vkm_memtype_info *mi, vkm_memtype_cache *c,
                              uint32_t memory_type_bits, const vkm_memtype_request *req,
                              vkm_memtype_list *scratch)
{
    const vkm_memtype_key key = cache_key(mi, memory_type_bits, req);
    const uint32_t h = key_slot(&key);
    vkm_memtype_cache_entry *empty = NULL;
    for (uint32_t i = 0; i < VKM_MEMTYPE_CACHE_PROBES; i++) {
        vkm_memtype_cache_entry *e = &c->e[(h + i) & (VKM_MEMTYPE_CACHE_ENTRIES - 1)];
        /* acquire: pairs with the release in cache_fill, so key and list are complete
         * when READY is seen */
        const uint32_t st = vkm_atomic_load_u32_acquire(&e->xstate);
        if (st == ENTRY_READY) {
            if (key_equal(&e->key, &key))
                return &e->list;
        } else if (st == ENTRY_EMPTY) {
            /* Entries are filled in probe order and never emptied: the key is not
             * further on (unless another thread is filling this entry for it now). */
            empty = e;
            break;
        }
        /* CLAIMED: being filled by another thread, perhaps for this key; skip it */
    }
    return cache_fill(mi, empty, &key, memory_type_bits, req, scratch);
}

VkResult
vkm_memtype_find(const vkm_memtype_info *mi, uint32_t memory_type_bits,
                 const vkm_memtype_request *req, uint32_t *out_type_index)
{
    uint32_t types[VK_MAX_MEMORY_TYPES];

    if (vkm_memtype_candidates(mi, memory_type_bits, req, types) == 0) {
        *out_type_index = UINT32_MAX;
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    *out_type_index = types[0];
    return VK_SUCCESS;
}

VkResult
vkm_memtype_check_flags(const VmaAllocationCreateInfo *ci)
{
    const VmaAllocationCreateFlags f = ci->flags;

    if ((f & HOST_ACCESS_ANY) == HOST_ACCESS_ANY) {
        vkm_api_assert(false, "pAllocationCreateInfo->flags: HOST_ACCESS_SEQUENTIAL_WRITE_BIT "
                              "and HOST_ACCESS_RANDOM_BIT exclude each other");
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    if ((f & TRANSFER_INSTEAD) != 0 && (f & HOST_ACCESS_ANY) == 0) {
        vkm_api_assert(false,
                       "pAllocationCreateInfo->flags: HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT "
                       "needs HOST_ACCESS_SEQUENTIAL_WRITE_BIT or HOST_ACCESS_RANDOM_BIT");
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    if (is_auto_usage(ci->usage) && (f & VMA_ALLOCATION_CREATE_MAPPED_BIT) != 0 &&
        (f & HOST_ACCESS_ANY) == 0) {
        vkm_api_assert(false, "pAllocationCreateInfo->flags: MAPPED_BIT with "
                              "VMA_MEMORY_USAGE_AUTO* needs HOST_ACCESS_SEQUENTIAL_WRITE_BIT "
                              "or HOST_ACCESS_RANDOM_BIT");
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    return VK_SUCCESS;
}

bool
vkm_memtype_mapping_allowed(const VmaAllocationCreateInfo *ci)
{
    return !is_auto_usage(ci->usage) || (ci->flags & HOST_ACCESS_ANY) != 0;
}

bool
vkm_memtype_persistently_mapped(const vkm_memtype_info *mi, uint32_t type,
                                VmaAllocationCreateFlags flags)
{
    return (flags & VMA_ALLOCATION_CREATE_MAPPED_BIT) != 0 && vkm_memtype_is_host_visible(mi, type);
}

VkFlags64
vkm_memtype_buffer_usage(const vkm_memtype_info *mi, const VkBufferCreateInfo *bci)
{
#if VMA_KHR_MAINTENANCE5
    /* maintenance5: a chained VkBufferUsageFlags2CreateInfoKHR replaces ::usage. */
    if (mi->use_maintenance5) {
        for (const VkBaseInStructure *s = (const VkBaseInStructure *)bci->pNext; s != NULL;
             s = s->pNext) {
            if (s->sType == VK_STRUCTURE_TYPE_BUFFER_USAGE_FLAGS_2_CREATE_INFO_KHR)
                return ((const VkBufferUsageFlags2CreateInfoKHR *)(const void *)s)->usage;
        }
    }
#else
    VKM_UNUSED(mi);
#endif
    return bci->usage;
}
