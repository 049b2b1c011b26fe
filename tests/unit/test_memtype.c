/* SPDX-License-Identifier: MIT */
/*
 * test_memtype.c - memory-type selection on the memory layouts of real GPUs.
 *
 * Every expectation below was worked out by hand from VMA 3.3's documentation (the
 * VmaMemoryUsage / VmaAllocationCreateFlagBits reference and "Recommended usage
 * patterns"), written with its reason, and then compared with what VMA 3.3 itself
 * returns for the same layout and request (vmaFindMemoryTypeIndex*, driven through a
 * fake VmaVulkanFunctions); they agreed everywhere. The layouts are the JSON files in
 * tests/gpus plus a few synthetic ones for features those GPUs do not expose (AMD device-coherent
 * memory, lazily allocated memory, protected memory, unified memory with a BAR-like
 * layout).
 *
 * Flag shorthand in the reasons: DL device-local, HV host-visible, HC host-coherent,
 * CA host-cached, LZ lazily-allocated, PR protected, AC/AU AMD device-coherent/uncached.
 * Cost = preferred flags missing + not-preferred flags present; lowest wins, ties to the
 * lowest index.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "debug.h"
#include "memtype.h"
#include "test.h"

/* ---- tables: plain data, kept C and C++ compatible ---------------------------------- */
/* clang-format off */
#define DL VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
#define HV VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
#define HC VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
#define CA VK_MEMORY_PROPERTY_HOST_CACHED_BIT
#define LZ VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT
#define PR VK_MEMORY_PROPERTY_PROTECTED_BIT
#define AC VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD
#define AU VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD

#define SEQ VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT
#define RND VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT
#define XFER VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT
#define MAP VMA_ALLOCATION_CREATE_MAPPED_BIT

#define B_VERTEX VK_BUFFER_USAGE_VERTEX_BUFFER_BIT
#define B_UNIFORM VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT
#define B_STORAGE VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
#define B_TSRC VK_BUFFER_USAGE_TRANSFER_SRC_BIT
#define B_TDST VK_BUFFER_USAGE_TRANSFER_DST_BIT
#define I_SAMPLED VK_IMAGE_USAGE_SAMPLED_BIT
#define I_COLOR VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT
#define I_TRANSIENT VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT
#define I_TSRC VK_IMAGE_USAGE_TRANSFER_SRC_BIT
#define I_TDST VK_IMAGE_USAGE_TRANSFER_DST_BIT

#define U_UNKNOWN VMA_MEMORY_USAGE_UNKNOWN
#define U_GPU_ONLY VMA_MEMORY_USAGE_GPU_ONLY
#define U_CPU_ONLY VMA_MEMORY_USAGE_CPU_ONLY
#define U_CPU_TO_GPU VMA_MEMORY_USAGE_CPU_TO_GPU
#define U_GPU_TO_CPU VMA_MEMORY_USAGE_GPU_TO_CPU
#define U_CPU_COPY VMA_MEMORY_USAGE_CPU_COPY
#define U_LAZY VMA_MEMORY_USAGE_GPU_LAZILY_ALLOCATED
#define U_AUTO VMA_MEMORY_USAGE_AUTO
#define U_AUTO_DEV VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE
#define U_AUTO_HOST VMA_MEMORY_USAGE_AUTO_PREFER_HOST

/* resource kind and its usage flags, as two table fields */
#define NORES 0, 0u
#define BUF(u) 1, (uint32_t)(u)
#define IMG(u) 2, (uint32_t)(u)

#define ALL 0xFFFFFFFFu /* memoryTypeBits of a resource that can live anywhere */
#define NO_TYPE (-1)    /* VK_ERROR_FEATURE_NOT_PRESENT expected */

typedef struct gpu_layout {
    const char *name;
    VkPhysicalDeviceType device_type;
    VmaAllocatorCreateFlags allocator_flags;
    uint32_t type_count;
    VkMemoryPropertyFlags type_flags[8];
    uint32_t type_heap[8];
    uint32_t heap_count;
    VkDeviceSize heap_size[4];
    VkMemoryHeapFlags heap_flags[4];
    VkDeviceSize buffer_image_granularity;
    VkDeviceSize non_coherent_atom_size;
} gpu_layout;

enum {
    LVP,       /* tests/gpus/lavapipe.json: one type that has everything; a CPU device */
    AMD,       /* tests/gpus/amd-discrete-bar256.json: VRAM, host, 256 MiB BAR, cached */
    INTEL,     /* tests/gpus/intel-igpu-nonllc.json: unified, cached type not coherent */
    NV,        /* tests/gpus/nvidia-h200.json: type 0 has no flags; type 4 is ReBAR */
    APU,       /* AMD's layout reported by an INTEGRATED device: unified-memory rules */
    AMD_COH,   /* AMD with device-coherent types, allocator flag not set */
    AMD_COH_ON,  /* same types, VMA_ALLOCATOR_CREATE_AMD_DEVICE_COHERENT_MEMORY_BIT */
    AMD_COH_CA,  /* a DL|AC type (coherent, not uncached) before plain DL, flag set */
    MOBILE,    /* tile-based integrated GPU with a lazily allocated type */
    PROT,      /* protected type after plain VRAM */
    PROT_ONLY, /* the only device-local type is protected */
    LAYOUT_COUNT
};

static const gpu_layout layouts[LAYOUT_COUNT] = {
    /* name, device type, allocator flags, types, type heaps, heaps, heap sizes, heap
     * flags, bufferImageGranularity, nonCoherentAtomSize */
    {"lavapipe", VK_PHYSICAL_DEVICE_TYPE_CPU, 0,
     1, {DL | HV | HC | CA}, {0},
     1, {2147483648u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT}, 64, 64},
    {"amd-discrete-bar256", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 0,
     4, {DL, HV | HC, DL | HV | HC, HV | HC | CA}, {0, 1, 2, 1},
     3, {8321499136u, 8568373248u, 268435456u},
     {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0, VK_MEMORY_HEAP_DEVICE_LOCAL_BIT}, 1, 64},
    {"intel-igpu-nonllc", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, 0,
     2, {DL | HV | HC, DL | HV | CA}, {0, 0},
     1, {6442450944u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT}, 1, 64},
    {"nvidia-h200", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 0,
     5, {0, DL, HV | HC, HV | HC | CA, DL | HV | HC}, {1, 0, 1, 1, 0},
     2, {150754820096u, 101361423360u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0}, 1024, 64},
    {"synthetic-apu", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, 0,
     4, {DL, HV | HC, DL | HV | HC, HV | HC | CA}, {0, 1, 0, 1},
     2, {536870912u, 8568373248u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0}, 1, 64},
    {"synthetic-amd-coherent", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 0,
     4, {DL | AC | AU, DL, HV | HC, HV | HC | AC | AU}, {0, 0, 1, 1},
     2, {8321499136u, 8568373248u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0}, 1, 64},
    {"synthetic-amd-coherent-on", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU,
     VMA_ALLOCATOR_CREATE_AMD_DEVICE_COHERENT_MEMORY_BIT,
     4, {DL | AC | AU, DL, HV | HC, HV | HC | AC | AU}, {0, 0, 1, 1},
     2, {8321499136u, 8568373248u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0}, 1, 64},
    {"synthetic-amd-coherent-cached", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU,
     VMA_ALLOCATOR_CREATE_AMD_DEVICE_COHERENT_MEMORY_BIT,
     3, {DL | AC, DL, HV | HC}, {0, 0, 1},
     2, {8321499136u, 8568373248u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0}, 1, 64},
    {"synthetic-mobile-lazy", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, 0,
     4, {DL, DL | HV | HC, DL | HV | HC | CA, DL | LZ}, {0, 0, 0, 0},
     1, {4294967296u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT}, 4096, 64},
    {"synthetic-protected", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 0,
     3, {DL, DL | PR, HV | HC}, {0, 0, 1},
     2, {8321499136u, 8568373248u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0}, 1, 64},
    {"synthetic-protected-only", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 0,
     2, {HV | HC, DL | PR}, {1, 0},
     2, {8321499136u, 8568373248u}, {VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0}, 1, 64},
};

typedef struct memtype_case {
    int layout;
    VmaMemoryUsage usage;
    VmaAllocationCreateFlags flags;
    VkMemoryPropertyFlags required;
    VkMemoryPropertyFlags preferred;
    uint32_t ci_type_bits; /* VmaAllocationCreateInfo::memoryTypeBits (0: all) */
    uint32_t driver_bits;  /* the resource's memoryTypeBits / vmaFindMemoryTypeIndex's */
    int resource;          /* 0 none (vmaFindMemoryTypeIndex), 1 buffer, 2 image */
    uint32_t resource_usage;
    int expect; /* memory type index, or NO_TYPE */
    const char *why;
} memtype_case;

/* Optimal-tiling images on the H200 may use types 0 and 1 only (nvidia-h200.json). */
#define NV_IMG 0x3u

static const memtype_case cases[] = {
    /* layout usage flags required preferred ci-bits driver-bits resource expect why */

    /* -- Lavapipe: one type, DL|HV|HC|CA; everything that can be satisfied lands there */
    {LVP, U_AUTO, 0, 0, 0, 0, ALL, BUF(B_VERTEX | B_TDST), 0, "only type"},
    {LVP, U_AUTO, 0, 0, 0, 0, ALL, IMG(I_COLOR | I_SAMPLED), 0, "only type"},
    {LVP, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_TSRC), 0, "only type (has HV)"},
    {LVP, U_AUTO, RND | MAP, 0, 0, 0, ALL, BUF(B_TDST), 0, "only type (HV, CA)"},
    {LVP, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM), 0, "only type"},
    {LVP, U_AUTO_HOST, SEQ, 0, 0, 0, ALL, BUF(B_UNIFORM), 0, "only type"},
    {LVP, U_AUTO, SEQ | XFER | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM | B_TDST), 0,
     "CPU device counts as discrete: prefers DL|HV, cost 1 for CA, still the only type"},
    {LVP, U_AUTO, RND | XFER, 0, 0, 0, ALL, BUF(B_STORAGE | B_TSRC), 0, "only type"},
    {LVP, U_AUTO, 0, 0, 0, 0, ALL, IMG(I_TSRC | I_TDST), 0, "only type"},
    {LVP, U_AUTO_HOST, 0, 0, 0, 0, ALL, IMG(I_TSRC | I_TDST), 0, "only type, DL costs 1"},
    {LVP, U_AUTO_DEV, SEQ, 0, 0, 0, ALL, BUF(B_TSRC), 0, "only type"},
    {LVP, U_AUTO, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "AUTO needs buffer/image usage"},
    {LVP, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0, "only type"},
    {LVP, U_CPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0, "only type has HV|HC"},
    {LVP, U_CPU_TO_GPU, 0, 0, 0, 0, ALL, NORES, 0, "only type"},
    {LVP, U_GPU_TO_CPU, 0, 0, 0, 0, ALL, NORES, 0, "only type"},
    {LVP, U_CPU_COPY, 0, 0, 0, 0, ALL, NORES, 0, "only type, DL costs 1"},
    {LVP, U_LAZY, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {LVP, U_UNKNOWN, 0, 0, 0, 0, ALL, NORES, 0, "no constraints: lowest index"},
    {LVP, U_UNKNOWN, 0, HV | CA, 0, 0, ALL, NORES, 0, "only type has HV|CA"},
    {LVP, U_UNKNOWN, 0, HV | HC, CA, 0, ALL, NORES, 0, "only type"},
    {LVP, U_UNKNOWN, 0, 0, DL | HV, 0, ALL, NORES, 0, "only type"},
    {LVP, U_UNKNOWN, 0, LZ, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {LVP, U_GPU_ONLY, 0, 0, 0, 0, 0, NORES, NO_TYPE, "memoryTypeBits 0"},

    /* -- AMD discrete, BAR 256 MiB: 0 DL, 1 HV|HC, 2 DL|HV|HC (BAR), 3 HV|HC|CA */
    {AMD, U_AUTO, 0, 0, 0, 0, ALL, BUF(B_VERTEX | B_TDST), 0, "GPU access only: pref DL, 0 first"},
    {AMD, U_AUTO, 0, 0, 0, 0, ALL, IMG(I_COLOR | I_SAMPLED), 0, "render target: pref DL"},
    {AMD, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_TSRC), 1,
     "staging: req HV, not-pref CA and DL (copy-only) -> 1 costs 0"},
    {AMD, U_AUTO, RND | MAP, 0, 0, 0, ALL, BUF(B_TDST), 3, "readback: req HV, pref CA -> 3"},
    {AMD, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM), 2,
     "dynamic UBO: req HV, pref DL, not-pref CA -> BAR type 2"},
    {AMD, U_AUTO_HOST, SEQ, 0, 0, 0, ALL, BUF(B_UNIFORM), 1,
     "prefer host: req HV, not-pref DL and CA -> 1"},
    {AMD, U_AUTO, SEQ | XFER | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM | B_TDST), 2,
     "advanced upload: pref DL|HV, not-pref CA -> BAR 2 (falls back to 0 next)"},
    {AMD, U_AUTO, RND | XFER, 0, 0, 0, ALL, BUF(B_STORAGE | B_TSRC), 0,
     "GPU-written readback, transfer allowed: pref CA|DL; 0, 2, 3 cost 1 -> lowest 0"},
    {AMD, U_AUTO, 0, 0, 0, 0, ALL, IMG(I_TSRC | I_TDST), 0, "temporal copy: no host, pref DL"},
    {AMD, U_AUTO_HOST, 0, 0, 0, 0, ALL, IMG(I_TSRC | I_TDST), 1,
     "swap copy: not-pref DL -> 1 (HV|HC) costs 0"},
    {AMD, U_AUTO_DEV, SEQ, 0, 0, 0, ALL, BUF(B_TSRC), 2,
     "staging preferring device: req HV, pref DL, not-pref CA -> 2"},
    {AMD, U_AUTO, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "AUTO needs buffer/image usage"},
    {AMD, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0, "pref DL -> 0"},
    {AMD, U_CPU_ONLY, 0, 0, 0, 0, ALL, NORES, 1, "req HV|HC -> 1 first"},
    {AMD, U_CPU_TO_GPU, 0, 0, 0, 0, ALL, NORES, 2, "req HV, pref DL (discrete) -> 2"},
    {AMD, U_GPU_TO_CPU, 0, 0, 0, 0, ALL, NORES, 3, "req HV, pref CA -> 3"},
    {AMD, U_CPU_COPY, 0, 0, 0, 0, ALL, NORES, 1, "not-pref DL -> 1 costs 0"},
    {AMD, U_LAZY, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {AMD, U_UNKNOWN, 0, 0, 0, 0, ALL, NORES, 0, "no constraints: lowest index"},
    {AMD, U_UNKNOWN, 0, HV | CA, 0, 0, ALL, NORES, 3, "only 3 has HV|CA"},
    {AMD, U_UNKNOWN, 0, HV | HC, CA, 0, ALL, NORES, 3, "req HV|HC: 1, 2, 3; pref CA -> 3"},
    {AMD, U_UNKNOWN, 0, 0, DL | HV, 0, ALL, NORES, 2, "2 has both preferred flags"},
    {AMD, U_UNKNOWN, 0, LZ, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {AMD, U_GPU_ONLY, 0, 0, 0, 0, 0, NORES, NO_TYPE, "memoryTypeBits 0"},
    {AMD, U_AUTO, SEQ | RND, 0, 0, 0, ALL, BUF(B_TSRC), 3,
     "both host-access flags: selection reads RANDOM (req HV, pref CA) -> 3"},
    {AMD, U_AUTO, MAP, 0, 0, 0, ALL, BUF(B_VERTEX), 0,
     "MAPPED alone does not change AUTO selection: pref DL -> 0"},
    {AMD, U_AUTO, XFER, 0, 0, 0, ALL, BUF(B_VERTEX), 0,
     "ALLOW_TRANSFER_INSTEAD without host access is ignored -> 0"},
    {AMD, U_AUTO, SEQ | XFER, 0, 0, 0, ALL, BUF(B_TSRC), 1,
     "transfer-only buffer: XFER needs device access, so plain staging rules -> 1"},
    {AMD, U_AUTO_HOST, SEQ | XFER, 0, 0, 0, ALL, BUF(B_UNIFORM), 1,
     "prefer host cancels XFER: req HV, not-pref DL, CA -> 1"},
    {AMD, U_AUTO, SEQ | XFER, 0, 0, 0, 0x1u, BUF(B_UNIFORM | B_TDST), 0,
     "only VRAM allowed by the resource: XFER lets it be non-HV -> 0"},
    {AMD, U_AUTO, SEQ, 0, 0, 0, 0x1u, BUF(B_UNIFORM | B_TDST), NO_TYPE,
     "only VRAM allowed and HV required -> none"},
    {AMD, U_AUTO, 0, 0, HV, 0, ALL, BUF(B_VERTEX), 2,
     "user preferred HV adds to AUTO's DL -> 2"},
    {AMD, U_AUTO, 0, HV, 0, 0, ALL, BUF(B_VERTEX), 2,
     "user required HV, AUTO pref DL -> 2"},
    {AMD, U_CPU_TO_GPU, 0, 0, HV | CA, 0, ALL, NORES, 2,
     "discrete pushes DL: pref HV|CA|DL, 2 and 3 cost 1 -> 2"},
    {AMD, U_GPU_ONLY, MAP, 0, 0, 0, ALL, NORES, 0,
     "MAPPED does not make deprecated usages host-visible -> 0 (mapping ignored)"},

    /* -- Intel integrated without LLC: 0 DL|HV|HC, 1 DL|HV|CA (not coherent) */
    {INTEL, U_AUTO, 0, 0, 0, 0, ALL, BUF(B_VERTEX | B_TDST), 0, "both DL: lowest index"},
    {INTEL, U_AUTO, 0, 0, 0, 0, ALL, IMG(I_COLOR | I_SAMPLED), 0, "both DL: lowest index"},
    {INTEL, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_TSRC), 0,
     "staging: not-pref DL and CA: 0 costs 1, 1 costs 2 -> 0"},
    {INTEL, U_AUTO, RND | MAP, 0, 0, 0, ALL, BUF(B_TDST), 1, "readback: pref CA -> 1"},
    {INTEL, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM), 0,
     "pref DL, not-pref CA -> 0"},
    {INTEL, U_AUTO_HOST, SEQ, 0, 0, 0, ALL, BUF(B_UNIFORM), 0,
     "not-pref DL, CA: 0 costs 1, 1 costs 2 -> 0"},
    {INTEL, U_AUTO, SEQ | XFER | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM | B_TDST), 0,
     "integrated: XFER not used; req HV, pref DL, not-pref CA -> 0"},
    {INTEL, U_AUTO, RND | XFER, 0, 0, 0, ALL, BUF(B_STORAGE | B_TSRC), 1,
     "integrated: req HV, pref CA -> 1"},
    {INTEL, U_AUTO, 0, 0, 0, 0, ALL, IMG(I_TSRC | I_TDST), 0, "pref DL: lowest index"},
    {INTEL, U_AUTO_HOST, 0, 0, 0, 0, ALL, IMG(I_TSRC | I_TDST), 0,
     "not-pref DL: both cost 1 -> 0"},
    {INTEL, U_AUTO_DEV, SEQ, 0, 0, 0, ALL, BUF(B_TSRC), 0, "pref DL, not-pref CA -> 0"},
    {INTEL, U_AUTO, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "AUTO needs buffer/image usage"},
    {INTEL, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0, "pref DL: lowest index"},
    {INTEL, U_CPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0, "req HV|HC: only 0 is coherent"},
    {INTEL, U_CPU_TO_GPU, 0, 0, 0, 0, ALL, NORES, 0, "req HV, pref DL -> 0"},
    {INTEL, U_GPU_TO_CPU, 0, 0, 0, 0, ALL, NORES, 1, "req HV, pref CA -> 1"},
    {INTEL, U_CPU_COPY, 0, 0, 0, 0, ALL, NORES, 0, "both DL cost 1 -> 0"},
    {INTEL, U_LAZY, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {INTEL, U_UNKNOWN, 0, 0, 0, 0, ALL, NORES, 0, "no constraints: lowest index"},
    {INTEL, U_UNKNOWN, 0, HV | CA, 0, 0, ALL, NORES, 1, "only 1 has CA"},
    {INTEL, U_UNKNOWN, 0, HV | HC, CA, 0, ALL, NORES, 0, "only 0 is coherent"},
    {INTEL, U_UNKNOWN, 0, 0, DL | HV, 0, ALL, NORES, 0, "both have DL|HV: lowest index"},
    {INTEL, U_UNKNOWN, 0, LZ, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {INTEL, U_GPU_ONLY, 0, 0, 0, 0, 0, NORES, NO_TYPE, "memoryTypeBits 0"},
    {INTEL, U_GPU_ONLY, 0, 0, HV | CA, 0, ALL, NORES, 1,
     "integrated + pref HV: no DL push; pref HV|CA -> 1"},

    /* -- NVIDIA H200: 0 (no flags, host heap), 1 DL, 2 HV|HC, 3 HV|HC|CA, 4 DL|HV|HC */
    {NV, U_AUTO, 0, 0, 0, 0, ALL, BUF(B_VERTEX | B_TDST), 1, "pref DL: 1 before 4"},
    {NV, U_AUTO, 0, 0, 0, 0, NV_IMG, IMG(I_COLOR | I_SAMPLED), 1, "pref DL -> 1"},
    {NV, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_TSRC), 2,
     "staging: req HV, not-pref DL, CA -> 2 costs 0"},
    {NV, U_AUTO, RND | MAP, 0, 0, 0, ALL, BUF(B_TDST), 3, "readback: req HV, pref CA -> 3"},
    {NV, U_AUTO, SEQ | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM), 4,
     "dynamic UBO: req HV, pref DL -> ReBAR 4"},
    {NV, U_AUTO_HOST, SEQ, 0, 0, 0, ALL, BUF(B_UNIFORM), 2, "not-pref DL, CA -> 2"},
    {NV, U_AUTO, SEQ | XFER | MAP, 0, 0, 0, ALL, BUF(B_UNIFORM | B_TDST), 4,
     "advanced upload: pref DL|HV -> 4"},
    {NV, U_AUTO, RND | XFER, 0, 0, 0, ALL, BUF(B_STORAGE | B_TSRC), 1,
     "pref CA|DL: 1 and 3 cost 1 -> 1"},
    {NV, U_AUTO, 0, 0, 0, 0, NV_IMG, IMG(I_TSRC | I_TDST), 1, "temporal copy: pref DL -> 1"},
    {NV, U_AUTO_HOST, 0, 0, 0, 0, NV_IMG, IMG(I_TSRC | I_TDST), 0,
     "swap copy: not-pref DL -> flagless host type 0"},
    {NV, U_AUTO_DEV, SEQ, 0, 0, 0, ALL, BUF(B_TSRC), 4, "req HV, pref DL -> 4"},
    {NV, U_AUTO, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "AUTO needs buffer/image usage"},
    {NV, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 1, "pref DL -> 1"},
    {NV, U_CPU_ONLY, 0, 0, 0, 0, ALL, NORES, 2, "req HV|HC -> 2 first"},
    {NV, U_CPU_TO_GPU, 0, 0, 0, 0, ALL, NORES, 4, "req HV, pref DL -> 4"},
    {NV, U_GPU_TO_CPU, 0, 0, 0, 0, ALL, NORES, 3, "req HV, pref CA -> 3"},
    {NV, U_CPU_COPY, 0, 0, 0, 0, ALL, NORES, 0, "not-pref DL -> 0 costs 0"},
    {NV, U_LAZY, 0, 0, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {NV, U_UNKNOWN, 0, 0, 0, 0, ALL, NORES, 0, "no constraints: type 0 even without flags"},
    {NV, U_UNKNOWN, 0, HV | CA, 0, 0, ALL, NORES, 3, "only 3 has CA"},
    {NV, U_UNKNOWN, 0, HV | HC, CA, 0, ALL, NORES, 3, "req HV|HC, pref CA -> 3"},
    {NV, U_UNKNOWN, 0, 0, DL | HV, 0, ALL, NORES, 4, "4 has both"},
    {NV, U_UNKNOWN, 0, LZ, 0, 0, ALL, NORES, NO_TYPE, "no LZ type"},
    {NV, U_GPU_ONLY, 0, 0, 0, 0, 0, NORES, NO_TYPE, "memoryTypeBits 0"},
    {NV, U_AUTO, 0, 0, 0, 0, ALL & ~0x2u, BUF(B_VERTEX), 4,
     "resource bits without 1: next DL type is 4"},
    {NV, U_CPU_ONLY, 0, 0, 0, 0x8u, ALL, NORES, 3, "ci memoryTypeBits = {3}"},
    {NV, U_CPU_ONLY, 0, 0, 0, 0x2u, ALL, NORES, NO_TYPE, "ci memoryTypeBits = {1}: no HV"},
    {NV, U_GPU_TO_CPU, 0, 0, 0, 0x4u, ALL, NORES, 2, "ci memoryTypeBits = {2}"},
    {NV, U_GPU_ONLY, 0, 0, 0, 0x10u, 0x3u, NORES, NO_TYPE,
     "ci bits and resource bits do not intersect"},
    {NV, U_AUTO, SEQ, 0, 0, 0, NV_IMG, IMG(I_SAMPLED | I_TDST), NO_TYPE,
     "optimal image may not be HV on this GPU: req HV fails"},
    {NV, U_AUTO, SEQ | XFER, 0, 0, 0, NV_IMG, IMG(I_SAMPLED | I_TDST), 1,
     "XFER: pref DL|HV; 1 costs 1, 0 costs 2 -> 1"},
    {NV, U_AUTO_HOST, 0, 0, 0, 0, NV_IMG, IMG(I_SAMPLED), 0,
     "prefer host, no host access: not-pref DL -> 0"},

    /* -- unified memory decides differently (AMD's types, INTEGRATED device) */
    {APU, U_CPU_TO_GPU, 0, 0, HV | CA, 0, ALL, NORES, 3,
     "integrated + pref HV: no DL push; pref HV|CA -> 3 (discrete AMD: 2)"},
    {APU, U_AUTO, SEQ | XFER, 0, 0, 0, ALL, BUF(B_UNIFORM | B_TDST), 2,
     "integrated: XFER unused, req HV, pref DL -> 2"},
    {APU, U_AUTO, RND | XFER, 0, 0, 0, ALL, BUF(B_STORAGE | B_TSRC), 3,
     "integrated: req HV, pref CA -> 3 (discrete AMD: 0)"},
    {APU, U_GPU_ONLY, 0, 0, HV, 0, ALL, NORES, 1,
     "integrated + pref HV: only HV preferred -> 1 (discrete: DL|HV -> 2)"},
    {AMD, U_GPU_ONLY, 0, 0, HV, 0, ALL, NORES, 2, "discrete: pref DL|HV -> 2"},

    /* -- AMD device-coherent memory: 0 DL|AC|AU, 1 DL, 2 HV|HC, 3 HV|HC|AC|AU */
    {AMD_COH, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 1, "AC types excluded without the flag"},
    {AMD_COH, U_UNKNOWN, 0, 0, 0, 0, ALL, NORES, 1, "type 0 excluded: lowest usable is 1"},
    {AMD_COH, U_UNKNOWN, 0, AC, 0, 0, ALL, NORES, NO_TYPE, "AC required but excluded"},
    {AMD_COH, U_GPU_TO_CPU, 0, 0, 0, 0, ALL, NORES, 2, "3 excluded -> 2"},
    {AMD_COH_ON, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 1, "AU not preferred: 0 costs 1"},
    {AMD_COH_ON, U_UNKNOWN, 0, 0, 0, 0, ALL, NORES, 1, "AU not preferred even for UNKNOWN"},
    {AMD_COH_ON, U_UNKNOWN, 0, 0, DL | AC, 0, ALL, NORES, 0,
     "asking for AC lifts the AU penalty -> 0"},
    {AMD_COH_ON, U_UNKNOWN, 0, AC, 0, 0, ALL, NORES, 0, "AC required -> 0"},
    {AMD_COH_ON, U_GPU_TO_CPU, 0, 0, 0, 0, ALL, NORES, 2, "no CA type; 3 also pays for AU -> 2"},
    {AMD_COH_CA, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0,
     "only AU is avoided; DL|AC costs 0 and comes first"},

    /* -- lazily allocated memory: 0 DL, 1 DL|HV|HC, 2 DL|HV|HC|CA, 3 DL|LZ */
    {MOBILE, U_LAZY, 0, 0, 0, 0, 0x9u, IMG(I_COLOR | I_TRANSIENT), 3, "req LZ -> 3"},
    {MOBILE, U_LAZY, 0, 0, 0, 0, ALL, NORES, 3, "req LZ -> 3"},
    {MOBILE, U_AUTO, 0, 0, 0, 0, 0x9u, IMG(I_COLOR | I_TRANSIENT), 0,
     "AUTO does not seek lazy memory: pref DL, lowest index"},
    {MOBILE, U_UNKNOWN, 0, 0, LZ, 0, 0x9u, IMG(I_COLOR | I_TRANSIENT), 3, "pref LZ -> 3"},
    {MOBILE, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0, "plain DL comes first"},
    {MOBILE, U_AUTO, SEQ, 0, 0, 0, ALL, BUF(B_UNIFORM), 1, "req HV, not-pref CA -> 1"},
    {MOBILE, U_AUTO, RND, 0, 0, 0, ALL, BUF(B_TDST), 2, "req HV, pref CA -> 2"},

    /* -- protected memory gets no special treatment (VMA has none) */
    {PROT, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 0, "plain DL comes first"},
    {PROT, U_UNKNOWN, 0, PR, 0, 0, ALL, NORES, 1, "req PR -> 1"},
    {PROT, U_AUTO, 0, 0, 0, 0, ALL, BUF(B_VERTEX), 0, "pref DL -> 0"},
    {PROT_ONLY, U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, 1,
     "protected type not avoided: only DL type wins (the driver's bits keep it off "
     "unprotected resources)"},
    {PROT_ONLY, U_AUTO, 0, 0, 0, 0, 0x1u, BUF(B_VERTEX), 0,
     "unprotected buffer: driver bits exclude 1"},
};

/* Fallback order: every acceptable type, best first (what the allocator walks when
 * vkAllocateMemory fails). 0 entries means selection fails. */
typedef struct candidates_case {
    int layout;
    VmaMemoryUsage usage;
    VmaAllocationCreateFlags flags;
    uint32_t driver_bits;
    int resource;
    uint32_t resource_usage;
    uint32_t count;
    uint32_t order[8];
    const char *why;
} candidates_case;

static const candidates_case candidate_cases[] = {
    {AMD, U_AUTO, SEQ | XFER, ALL, BUF(B_UNIFORM | B_TDST), 4, {2, 0, 1, 3},
     "BAR first, then plain VRAM (cost 1, lower index than 1), host 1, cached host 3"},
    {APU, U_AUTO, SEQ | XFER, ALL, BUF(B_UNIFORM | B_TDST), 3, {2, 1, 3},
     "integrated: HV required, so VRAM type 0 is never tried"},
    {NV, U_AUTO, 0, ALL, BUF(B_VERTEX), 5, {1, 4, 0, 2, 3}, "DL types first, index order"},
    {NV, U_AUTO, SEQ | XFER, ALL, BUF(B_UNIFORM | B_TDST), 5, {4, 1, 2, 0, 3},
     "ReBAR, VRAM, host (costs 1), flagless and cached host (costs 2)"},
    {NV, U_GPU_TO_CPU, 0, ALL, NORES, 3, {3, 2, 4}, "HV only; CA first"},
    {NV, U_AUTO, SEQ, ALL, BUF(B_TSRC), 3, {2, 3, 4}, "staging: HV only; 2 costs 0"},
    {INTEL, U_CPU_ONLY, 0, ALL, NORES, 1, {0}, "only the coherent type"},
    {LVP, U_AUTO, RND, ALL, BUF(B_TDST), 1, {0}, "one type"},
    {AMD, U_LAZY, 0, ALL, NORES, 0, {0}, "no LZ type: nothing"},
    {AMD, U_AUTO, 0, ALL, NORES, 0, {0}, "AUTO without usage: nothing"},
    {AMD_COH_ON, U_UNKNOWN, 0, ALL, NORES, 4, {1, 2, 0, 3}, "AU types last"},
};
/* clang-format on */
/* ---- end of tables ------------------------------------------------------------------ */

static void
layout_info(int which, vkm_memtype_info *mi)
{
    const gpu_layout *l = &layouts[which];
    VkPhysicalDeviceProperties pdp;
    VkPhysicalDeviceMemoryProperties mp;

    memset(&pdp, 0, sizeof pdp);
    memset(&mp, 0, sizeof mp);
    pdp.deviceType = l->device_type;
    pdp.limits.bufferImageGranularity = l->buffer_image_granularity;
    pdp.limits.nonCoherentAtomSize = l->non_coherent_atom_size;
    mp.memoryTypeCount = l->type_count;
    for (uint32_t i = 0; i < l->type_count; i++) {
        mp.memoryTypes[i].propertyFlags = l->type_flags[i];
        mp.memoryTypes[i].heapIndex = l->type_heap[i];
    }
    mp.memoryHeapCount = l->heap_count;
    for (uint32_t i = 0; i < l->heap_count; i++) {
        mp.memoryHeaps[i].size = l->heap_size[i];
        mp.memoryHeaps[i].flags = l->heap_flags[i];
    }
    vkm_memtype_info_init(mi, &pdp, &mp, l->allocator_flags);
}

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

static void
expect_asserts_name_argument(int before)
{
    /* Whether API asserts are compiled in is the library's build choice: accept none,
     * but a raised one must name the argument. */
    if (assert_count > before)
        EXPECT_TRUE(strstr(last_assert, "pAllocationCreateInfo") != NULL);
}

static vkm_memtype_request
make_request(const VmaAllocationCreateInfo *ci, int resource, uint32_t usage)
{
    vkm_memtype_request req;
    req.ci = ci;
    req.resource = resource == 1   ? VKM_RESOURCE_BUFFER
                   : resource == 2 ? VKM_RESOURCE_IMAGE
                                   : VKM_RESOURCE_NONE;
    req.buffer_or_image_usage = usage;
    return req;
}

TEST(memtype_every_layout_picks_the_type_vma_picks)
{
    vkmSetAssertHandler(count_assert, NULL);
    for (size_t i = 0; i < VKM_ARRAY_LEN(cases); i++) {
        const memtype_case *c = &cases[i];
        vkm_memtype_info mi;
        VmaAllocationCreateInfo ci;
        uint32_t got = 12345;

        layout_info(c->layout, &mi);
        memset(&ci, 0, sizeof ci);
        ci.usage = c->usage;
        ci.flags = c->flags;
        ci.requiredFlags = c->required;
        ci.preferredFlags = c->preferred;
        ci.memoryTypeBits = c->ci_type_bits;
        const vkm_memtype_request req = make_request(&ci, c->resource, c->resource_usage);
        const int before = assert_count;
        const VkResult r = vkm_memtype_find(&mi, c->driver_bits, &req, &got);

        if (c->expect == NO_TYPE) {
            if (r != VK_ERROR_FEATURE_NOT_PRESENT || got != UINT32_MAX)
                vkm_test_fail(__FILE__, __LINE__, "case %zu (%s: %s): got %d type %u, want none", i,
                              layouts[c->layout].name, c->why, (int)r, got);
        } else if (r != VK_SUCCESS || got != (uint32_t)c->expect) {
            vkm_test_fail(__FILE__, __LINE__, "case %zu (%s: %s): got %d type %u, want %d", i,
                          layouts[c->layout].name, c->why, (int)r, got, c->expect);
        }
        expect_asserts_name_argument(before);
    }
    vkmSetAssertHandler(NULL, NULL);
}

/* The candidate list must be what VMA's retry loop produces: find, drop that type from
 * the bits, find again. Checked for every case of the main table. */
TEST(memtype_candidates_match_repeated_find_for_every_case)
{
    vkmSetAssertHandler(count_assert, NULL);
    for (size_t i = 0; i < VKM_ARRAY_LEN(cases); i++) {
        const memtype_case *c = &cases[i];
        vkm_memtype_info mi;
        VmaAllocationCreateInfo ci;
        uint32_t list[VK_MAX_MEMORY_TYPES];

        layout_info(c->layout, &mi);
        memset(&ci, 0, sizeof ci);
        ci.usage = c->usage;
        ci.flags = c->flags;
        ci.requiredFlags = c->required;
        ci.preferredFlags = c->preferred;
        ci.memoryTypeBits = c->ci_type_bits;
        const vkm_memtype_request req = make_request(&ci, c->resource, c->resource_usage);
        const uint32_t n = vkm_memtype_candidates(&mi, c->driver_bits, &req, list);

        uint32_t bits = c->driver_bits, k = 0, t;
        while (vkm_memtype_find(&mi, bits, &req, &t) == VK_SUCCESS) {
            ASSERT_LT(k, n);
            EXPECT_EQ(list[k], t);
            bits &= ~(1u << t);
            k++;
        }
        EXPECT_EQ(k, n);
        if (c->expect == NO_TYPE)
            EXPECT_EQ(n, 0);
        else if (n > 0)
            EXPECT_EQ(list[0], c->expect);
    }
    vkmSetAssertHandler(NULL, NULL);
}

TEST(memtype_candidates_fall_back_in_cost_order)
{
    vkmSetAssertHandler(count_assert, NULL);
    for (size_t i = 0; i < VKM_ARRAY_LEN(candidate_cases); i++) {
        const candidates_case *c = &candidate_cases[i];
        vkm_memtype_info mi;
        VmaAllocationCreateInfo ci;
        uint32_t list[VK_MAX_MEMORY_TYPES];

        layout_info(c->layout, &mi);
        memset(&ci, 0, sizeof ci);
        ci.usage = c->usage;
        ci.flags = c->flags;
        const vkm_memtype_request req = make_request(&ci, c->resource, c->resource_usage);
        const uint32_t n = vkm_memtype_candidates(&mi, c->driver_bits, &req, list);
        bool same = n == c->count;
        for (uint32_t k = 0; same && k < n; k++)
            same = list[k] == c->order[k];
        if (!same)
            vkm_test_fail(
                __FILE__, __LINE__, "candidates %zu (%s: %s): got %u types [%u %u %u %u %u]", i,
                layouts[c->layout].name, c->why, n, n > 0 ? list[0] : 99, n > 1 ? list[1] : 99,
                n > 2 ? list[2] : 99, n > 3 ? list[3] : 99, n > 4 ? list[4] : 99);
    }
    vkmSetAssertHandler(NULL, NULL);
}

/* ---- the candidate cache ------------------------------------------------------------ */

static vkm_memtype_cache test_cache; /* 4 KiB: static, cleared per use */

static void
case_ci(const memtype_case *c, VmaAllocationCreateInfo *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->usage = c->usage;
    ci->flags = c->flags;
    ci->requiredFlags = c->required;
    ci->preferredFlags = c->preferred;
    ci->memoryTypeBits = c->ci_type_bits;
}

/* Cached and uncached lists of one request agree; returns false (after recording the
 * failure) when they do not. */
static bool
expect_cached_matches(const vkm_memtype_info *mi, vkm_memtype_cache *cache, uint32_t bits,
                      const vkm_memtype_request *req, const char *what)
{
    uint32_t want[VK_MAX_MEMORY_TYPES];
    vkm_memtype_list scratch;
    const uint32_t n = vkm_memtype_candidates(mi, bits, req, want);
    const vkm_memtype_list *got = vkm_memtype_candidates_cached(mi, cache, bits, req, &scratch);
    bool same = got->count == n;
    for (uint32_t k = 0; same && k < n; k++)
        same = got->types[k] == want[k];
    if (!same)
        vkm_test_fail(__FILE__, __LINE__,
                      "%s: cached list of %u types (first %d), want %u (first %d)", what,
                      got->count, got->count ? (int)got->types[0] : -1, n, n ? (int)want[0] : -1);
    return same;
}

/* Every case of the main table, per layout through one cache, forwards and then
 * backwards: the second pass reads what the first stored, in another order. */
TEST(memtype_cache_agrees_with_uncached_selection_for_every_case)
{
    vkmSetAssertHandler(count_assert, NULL);
    const size_t n = VKM_ARRAY_LEN(cases);
    for (int layout = 0; layout < LAYOUT_COUNT; layout++) {
        vkm_memtype_info mi;
        layout_info(layout, &mi);
        memset(&test_cache, 0, sizeof test_cache);
        for (size_t pass = 0; pass < 3; pass++) {
            for (size_t j = 0; j < n; j++) {
                const memtype_case *c = &cases[pass == 1 ? n - 1 - j : j];
                if (c->layout != layout)
                    continue;
                VmaAllocationCreateInfo ci;
                case_ci(c, &ci);
                const vkm_memtype_request req = make_request(&ci, c->resource, c->resource_usage);
                if (!expect_cached_matches(&mi, &test_cache, c->driver_bits, &req, c->why))
                    return;
            }
        }
    }
    vkmSetAssertHandler(NULL, NULL);
}

typedef struct key_variant {
    const char *field;
    VmaMemoryUsage usage;
    VmaAllocationCreateFlags flags;
    VkMemoryPropertyFlags required, preferred;
    uint32_t ci_type_bits, driver_bits;
    int resource;
    uint32_t resource_usage;
    bool same_as_base; /* the field is one selection ignores: the list must not change */
} key_variant;

/* Two requests that differ in one field of the key, asked one right after the other
 * through the same cache, on the H200 layout (types: 0 none, 1 DL, 2 HV|HC,
 * 3 HV|HC|CA, 4 DL|HV|HC). A cache that dropped or mixed up a field would hand the
 * second request the first one's list. */
TEST(memtype_cache_tells_apart_requests_that_differ_in_one_field)
{
    /* clang-format off */
    static const key_variant gpu_only[] = { /* base: GPU_ONLY, nothing else -> 1 4 0 2 3 */
        {"resource bits", U_GPU_ONLY, 0, 0, 0, 0, 0x1Cu, NORES, false},
        {"ci memoryTypeBits", U_GPU_ONLY, 0, 0, 0, 0x0Cu, ALL, NORES, false},
        {"usage", U_GPU_TO_CPU, 0, 0, 0, 0, ALL, NORES, false},
        {"requiredFlags", U_GPU_ONLY, 0, HV, 0, 0, ALL, NORES, false},
        {"preferredFlags", U_GPU_ONLY, 0, 0, CA, 0, ALL, NORES, false},
        {"flags of a non-AUTO usage", U_GPU_ONLY, SEQ | MAP, 0, 0, 0, ALL, NORES, true},
        {"resource of a non-AUTO usage", U_GPU_ONLY, 0, 0, 0, 0, ALL, BUF(B_TSRC), true},
    };
    static const key_variant autos[] = { /* base: AUTO, vertex buffer -> 1 4 0 2 3 */
        {"HOST_ACCESS_SEQUENTIAL_WRITE", U_AUTO, SEQ, 0, 0, 0, ALL, BUF(B_VERTEX), false},
        {"HOST_ACCESS_RANDOM", U_AUTO, RND, 0, 0, 0, ALL, BUF(B_VERTEX), false},
        {"ALLOW_TRANSFER_INSTEAD", U_AUTO, SEQ | XFER, 0, 0, 0, ALL, BUF(B_VERTEX), false},
        {"AUTO_PREFER_HOST", U_AUTO_HOST, 0, 0, 0, 0, ALL, BUF(B_VERTEX), false},
        {"no resource", U_AUTO, 0, 0, 0, 0, ALL, NORES, false},
        {"image instead of buffer", U_AUTO, 0, 0, 0, 0, ALL, IMG(I_SAMPLED), true},
        {"MAPPED alone", U_AUTO, MAP, 0, 0, 0, ALL, BUF(B_VERTEX), true},
    };
    static const key_variant uploads[] = { /* base: AUTO, SEQ, uniform buffer -> 4 2 3 */
        {"transfer-only usage", U_AUTO, SEQ, 0, 0, 0, ALL, BUF(B_TSRC | B_TDST), false},
        {"other device usage", U_AUTO, SEQ, 0, 0, 0, ALL, BUF(B_VERTEX | B_TSRC), true},
    };
    /* clang-format on */
    static const struct {
        const key_variant *v;
        size_t n;
        key_variant base;
    } groups[] = {
        {gpu_only, VKM_ARRAY_LEN(gpu_only), {"base", U_GPU_ONLY, 0, 0, 0, 0, ALL, NORES, true}},
        {autos, VKM_ARRAY_LEN(autos), {"base", U_AUTO, 0, 0, 0, 0, ALL, BUF(B_VERTEX), true}},
        {uploads,
         VKM_ARRAY_LEN(uploads),
         {"base", U_AUTO, SEQ, 0, 0, 0, ALL, BUF(B_UNIFORM), true}},
    };
    vkm_memtype_info mi;
    layout_info(NV, &mi);
    vkmSetAssertHandler(count_assert, NULL);
    for (size_t g = 0; g < VKM_ARRAY_LEN(groups); g++) {
        for (size_t i = 0; i < groups[g].n; i++) {
            const key_variant *pair[2] = {&groups[g].base, &groups[g].v[i]};
            uint32_t lists[2][VK_MAX_MEMORY_TYPES], counts[2];
            /* both orders: the variant after the base, then the base after the variant */
            for (int order = 0; order < 2; order++) {
                memset(&test_cache, 0, sizeof test_cache);
                for (int k = 0; k < 2; k++) {
                    const key_variant *v = pair[order ? 1 - k : k];
                    VmaAllocationCreateInfo ci;
                    memset(&ci, 0, sizeof ci);
                    ci.usage = v->usage;
                    ci.flags = v->flags;
                    ci.requiredFlags = v->required;
                    ci.preferredFlags = v->preferred;
                    ci.memoryTypeBits = v->ci_type_bits;
                    const vkm_memtype_request req =
                        make_request(&ci, v->resource, v->resource_usage);
                    counts[k] = vkm_memtype_candidates(&mi, v->driver_bits, &req, lists[k]);
                    if (!expect_cached_matches(&mi, &test_cache, v->driver_bits, &req,
                                               groups[g].v[i].field))
                        return;
                }
            }
            /* The case means something only if the field changes the answer. */
            const bool same = counts[0] == counts[1] &&
                              memcmp(lists[0], lists[1], counts[0] * sizeof(uint32_t)) == 0;
            if (same != groups[g].v[i].same_as_base)
                vkm_test_fail(__FILE__, __LINE__, "%s: selection %s the base's",
                              groups[g].v[i].field, same ? "equals" : "differs from");
        }
    }
    vkmSetAssertHandler(NULL, NULL);
}

/* Far more keys than entries, many alike but for one field: the table fills up, probe
 * sequences run into each other, and every lookup must still find its own key only. */
TEST(memtype_cache_stays_exact_when_full)
{
    static const VmaMemoryUsage usages[] = {U_GPU_ONLY, U_CPU_TO_GPU, U_AUTO, U_AUTO_HOST};
    static const VmaAllocationCreateFlags flags[] = {0, SEQ, RND, SEQ | XFER, RND | XFER};
    static const uint32_t buffer_usage[] = {B_VERTEX, B_TSRC};
    vkm_memtype_info mi;
    layout_info(NV, &mi);
    memset(&test_cache, 0, sizeof test_cache);
    vkmSetAssertHandler(count_assert, NULL);
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t bits = 1; bits < 32; bits++) {
            for (size_t u = 0; u < VKM_ARRAY_LEN(usages); u++) {
                for (size_t f = 0; f < VKM_ARRAY_LEN(flags); f++) {
                    for (size_t b = 0; b < VKM_ARRAY_LEN(buffer_usage); b++) {
                        VmaAllocationCreateInfo ci;
                        memset(&ci, 0, sizeof ci);
                        ci.usage = usages[u];
                        ci.flags = flags[f];
                        ci.memoryTypeBits = bits;
                        const vkm_memtype_request req = make_request(&ci, 1, buffer_usage[b]);
                        if (!expect_cached_matches(&mi, &test_cache, ALL, &req, "dense key set"))
                            return;
                    }
                }
            }
        }
    }
    vkmSetAssertHandler(NULL, NULL);
}

/* Threads filling and reading one cache at once (TSan checks the publication): every
 * answer must be the uncached one. Cases that fail selection are left out: their API
 * asserts would go to a handler shared by the threads. */
typedef struct cache_thread {
    pthread_t thread;
    const vkm_memtype_info *mi;
    unsigned seed;
    unsigned wrong;
} cache_thread;

static _Atomic int threaded_asserts;

static void
count_threaded_assert(const char *message, const char *expression, const char *file, int line,
                      void *user)
{
    VKM_UNUSED(message);
    VKM_UNUSED(expression);
    VKM_UNUSED(file);
    VKM_UNUSED(line);
    VKM_UNUSED(user);
    atomic_fetch_add(&threaded_asserts, 1);
}

static void *
cache_thread_main(void *p)
{
    cache_thread *t = p;
    const size_t n = VKM_ARRAY_LEN(cases);
    for (unsigned it = 0; it < 4000; it++) {
        const memtype_case *c = &cases[(t->seed + it * 7u) % n];
        if (c->layout != NV || c->expect == NO_TYPE)
            continue;
        VmaAllocationCreateInfo ci;
        case_ci(c, &ci);
        const vkm_memtype_request req = make_request(&ci, c->resource, c->resource_usage);
        uint32_t want[VK_MAX_MEMORY_TYPES];
        vkm_memtype_list scratch;
        const uint32_t count = vkm_memtype_candidates(t->mi, c->driver_bits, &req, want);
        const vkm_memtype_list *got =
            vkm_memtype_candidates_cached(t->mi, &test_cache, c->driver_bits, &req, &scratch);
        bool same = got->count == count;
        for (uint32_t k = 0; same && k < count; k++)
            same = got->types[k] == want[k];
        t->wrong += same ? 0u : 1u;
    }
    return NULL;
}

TEST(memtype_cache_is_filled_and_read_by_many_threads_at_once)
{
    vkm_memtype_info mi;
    cache_thread threads[4];
    layout_info(NV, &mi);
    memset(&test_cache, 0, sizeof test_cache);
    atomic_store(&threaded_asserts, 0);
    vkmSetAssertHandler(count_threaded_assert, NULL);
    for (unsigned i = 0; i < VKM_ARRAY_LEN(threads); i++) {
        threads[i] = (cache_thread){.mi = &mi, .seed = i * 13u};
        ASSERT_EQ(pthread_create(&threads[i].thread, NULL, cache_thread_main, &threads[i]), 0);
    }
    for (unsigned i = 0; i < VKM_ARRAY_LEN(threads); i++) {
        pthread_join(threads[i].thread, NULL);
        EXPECT_EQ(threads[i].wrong, 0);
    }
    vkmSetAssertHandler(NULL, NULL);
    EXPECT_EQ(atomic_load(&threaded_asserts), 0);
}

TEST(memtype_info_excludes_amd_coherent_types_without_the_flag)
{
    vkm_memtype_info mi;

    layout_info(AMD_COH, &mi);
    EXPECT_EQ(mi.global_type_bits, 0x6u); /* types 0 and 3 carry DEVICE_COHERENT_AMD */
    layout_info(AMD_COH_ON, &mi);
    EXPECT_EQ(mi.global_type_bits, 0xFu);
    layout_info(NV, &mi);
    EXPECT_EQ(mi.global_type_bits, 0x1Fu); /* only existing types */
    EXPECT_EQ(mi.device_type, VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU);
    EXPECT_EQ_U64(mi.buffer_image_granularity, 1024);
    EXPECT_EQ_U64(mi.non_coherent_atom_size, 64);
    EXPECT_FALSE(vkm_memtype_is_integrated(&mi));
    layout_info(LVP, &mi);
    EXPECT_FALSE(vkm_memtype_is_integrated(&mi)); /* a CPU device is not "integrated" */
    layout_info(INTEL, &mi);
    EXPECT_TRUE(vkm_memtype_is_integrated(&mi));
}

TEST(memtype_type_helpers_read_the_layout)
{
    vkm_memtype_info mi;

    layout_info(INTEL, &mi);
    EXPECT_TRUE(vkm_memtype_is_host_visible(&mi, 1));
    EXPECT_TRUE(vkm_memtype_is_coherent(&mi, 0));
    EXPECT_FALSE(vkm_memtype_is_coherent(&mi, 1));
    EXPECT_FALSE(vkm_memtype_is_non_coherent(&mi, 0));
    EXPECT_TRUE(vkm_memtype_is_non_coherent(&mi, 1));
    EXPECT_EQ_U64(vkm_memtype_min_alignment(&mi, 0), 1);
    EXPECT_EQ_U64(vkm_memtype_min_alignment(&mi, 1), 64); /* nonCoherentAtomSize */

    layout_info(NV, &mi);
    EXPECT_EQ(vkm_memtype_heap(&mi, 0), 1);
    EXPECT_EQ(vkm_memtype_heap(&mi, 4), 0);
    EXPECT_FALSE(vkm_memtype_is_host_visible(&mi, 0));
    EXPECT_FALSE(vkm_memtype_is_host_visible(&mi, 1));
    EXPECT_TRUE(vkm_memtype_is_host_visible(&mi, 4));
    EXPECT_FALSE(vkm_memtype_is_non_coherent(&mi, 1)); /* not visible at all */
    EXPECT_EQ_U64(vkm_memtype_min_alignment(&mi, 1), 1);
    EXPECT_EQ(vkm_memtype_flags(&mi, 3), HV | HC | CA);
}

TEST(memtype_mapped_bit_is_ignored_on_types_that_are_not_host_visible)
{
    vkm_memtype_info mi;

    layout_info(AMD, &mi);
    EXPECT_FALSE(vkm_memtype_persistently_mapped(&mi, 0, MAP)); /* VRAM: ignored */
    EXPECT_TRUE(vkm_memtype_persistently_mapped(&mi, 2, MAP));
    EXPECT_FALSE(vkm_memtype_persistently_mapped(&mi, 2, SEQ)); /* mappable, not asked */
}

TEST(memtype_mapping_needs_host_access_flags_only_with_auto_usages)
{
    VmaAllocationCreateInfo ci;

    memset(&ci, 0, sizeof ci);
    ci.usage = U_AUTO;
    EXPECT_FALSE(vkm_memtype_mapping_allowed(&ci));
    ci.flags = SEQ;
    EXPECT_TRUE(vkm_memtype_mapping_allowed(&ci));
    ci.flags = RND;
    EXPECT_TRUE(vkm_memtype_mapping_allowed(&ci));
    ci.usage = U_AUTO_HOST;
    ci.flags = 0;
    EXPECT_FALSE(vkm_memtype_mapping_allowed(&ci));
    ci.usage = U_UNKNOWN; /* custom pools */
    EXPECT_TRUE(vkm_memtype_mapping_allowed(&ci));
    ci.usage = U_GPU_ONLY;
    EXPECT_TRUE(vkm_memtype_mapping_allowed(&ci));
}

TEST(memtype_check_flags_rejects_contradictions)
{
    VmaAllocationCreateInfo ci;
    int before;

    vkmSetAssertHandler(count_assert, NULL);
    memset(&ci, 0, sizeof ci);
    ci.usage = U_AUTO;
    EXPECT_VK(VK_SUCCESS, vkm_memtype_check_flags(&ci));
    ci.flags = SEQ | MAP;
    EXPECT_VK(VK_SUCCESS, vkm_memtype_check_flags(&ci));
    ci.flags = RND | XFER | MAP;
    EXPECT_VK(VK_SUCCESS, vkm_memtype_check_flags(&ci));

    before = assert_count;
    ci.flags = SEQ | RND;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vkm_memtype_check_flags(&ci));
    expect_asserts_name_argument(before);

    before = assert_count;
    ci.flags = XFER;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vkm_memtype_check_flags(&ci));
    expect_asserts_name_argument(before);

    before = assert_count;
    ci.flags = MAP; /* AUTO + MAPPED needs a host-access flag */
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vkm_memtype_check_flags(&ci));
    expect_asserts_name_argument(before);

    ci.usage = U_GPU_ONLY; /* deprecated usages may map without host-access flags */
    EXPECT_VK(VK_SUCCESS, vkm_memtype_check_flags(&ci));
    ci.usage = U_UNKNOWN;
    EXPECT_VK(VK_SUCCESS, vkm_memtype_check_flags(&ci));
    vkmSetAssertHandler(NULL, NULL);
}

TEST(memtype_unknown_usage_value_fails_with_feature_not_present)
{
    vkm_memtype_info mi;
    VmaAllocationCreateInfo ci;
    uint32_t t = 0, list[VK_MAX_MEMORY_TYPES];

    vkmSetAssertHandler(count_assert, NULL);
    layout_info(AMD, &mi);
    memset(&ci, 0, sizeof ci);
    ci.usage = (VmaMemoryUsage)10;
    const vkm_memtype_request req = make_request(&ci, 1, B_VERTEX);
    const int before = assert_count;
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vkm_memtype_find(&mi, ALL, &req, &t));
    EXPECT_EQ(t, UINT32_MAX);
    EXPECT_EQ(vkm_memtype_candidates(&mi, ALL, &req, list), 0);
    expect_asserts_name_argument(before);
    vkmSetAssertHandler(NULL, NULL);
}

TEST(memtype_auto_ignores_usage_flags_when_resource_is_none)
{
    vkm_memtype_info mi;
    VmaAllocationCreateInfo ci;
    uint32_t t = 0;

    vkmSetAssertHandler(count_assert, NULL);
    layout_info(NV, &mi);
    memset(&ci, 0, sizeof ci);
    ci.usage = U_AUTO;
    /* vmaAllocateMemoryForBuffer: VMA does not look at the buffer's usage either */
    vkm_memtype_request req = make_request(&ci, 0, B_VERTEX);
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vkm_memtype_find(&mi, ALL, &req, &t));
    /* a buffer whose usage is 0 is no better (and not valid Vulkan) */
    req = make_request(&ci, 1, 0);
    EXPECT_VK(VK_ERROR_FEATURE_NOT_PRESENT, vkm_memtype_find(&mi, ALL, &req, &t));
    vkmSetAssertHandler(NULL, NULL);
}

TEST(memtype_buffer_usage_reads_create_info)
{
    vkm_memtype_info mi;
    VkBufferCreateInfo bci;

    layout_info(LVP, &mi);
    memset(&bci, 0, sizeof bci);
    bci.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    bci.usage = B_UNIFORM | B_TDST;
    EXPECT_EQ((uint64_t)vkm_memtype_buffer_usage(&mi, &bci), (uint64_t)(B_UNIFORM | B_TDST));
}

int
main(int argc, char **argv)
{
    return vkm_test_main(argc, argv);
}
