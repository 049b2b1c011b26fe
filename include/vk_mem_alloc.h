/* SPDX-License-Identifier: MIT */
/*
 * vk_mem_alloc.h - vkmalloc's public API: the C interface of Vulkan Memory Allocator 3.3.
 *
 * A program written against AMD's VMA 3.3 compiles against this header and links
 * libvkmalloc with no source change. Every function, handle, enum constant, flag bit and
 * struct member below has VMA 3.3's name, value, type and position; the comments are
 * vkmalloc's own statement of the contract. vkmalloc-only additions live in vkmalloc.h.
 *
 * No implementation section. VMA ships its implementation inside its header, behind
 * VMA_IMPLEMENTATION. vkmalloc is a compiled library: defining VMA_IMPLEMENTATION before
 * the include (as VMA programs do in one .cpp file) compiles no allocator. It does honour,
 * in that one file, the debugging macros VMA's documentation tells programs to define
 * there: VMA_DEBUG_MARGIN, VMA_DEBUG_DETECT_CORRUPTION and VMA_DEBUG_INITIALIZE_ALLOCATIONS
 * become the options of every allocator the program creates (vkmSetDebugOptions, set
 * before main), and a VMA_ASSERT of the program receives the library's assertions
 * (vkmSetAssertHandler; debug builds of the library assert, release builds only return
 * the error). See the end of this file. The other macros that configure VMA's
 * implementation (VMA_STATIC_VULKAN_FUNCTIONS, VMA_DYNAMIC_VULKAN_FUNCTIONS,
 * VMA_SYSTEM_ALIGNED_MALLOC, ...) have no effect on the prebuilt library.
 *
 * ABI: one layout for every program. The library is compiled once, so no struct layout may
 * depend on a macro the program sets. Where VMA drops members when a feature macro is 0
 * (VmaVulkanFunctions' *2KHR / maintenance4 entries, VmaAllocatorCreateInfo::
 * pTypeExternalMemoryHandleTypes), this header always declares them, in VMA's order: the
 * layout is that of VMA built with its default macros on a Vulkan 1.3+ header. When the
 * Vulkan header in use is too old to define a member's PFN_* or flags typedef, the member
 * keeps its name and position with a same-sized stand-in type (PFN_vkVoidFunction, VkFlags).
 * The feature macros below (VMA_VULKAN_VERSION, VMA_DEDICATED_ALLOCATION, ...) are still
 * defined, with VMA's defaults, for programs that test them; they describe the Vulkan header,
 * not the library. At run time the library uses what VmaAllocatorCreateInfo::
 * vulkanApiVersion and flags enable, whatever these macros say.
 *
 * Declarations that VMA makes conditional stay conditional here, but their symbols are always
 * exported: vmaImportVulkanFunctionsFromVolk (defined inline when volk.h was included first,
 * i.e. VOLK_HEADER_VERSION is defined; see there), vmaGetMemoryWin32Handle (declared when
 * VMA_EXTERNAL_MEMORY_WIN32 is non-zero, as it needs HANDLE), and the four JSON statistics
 * functions (declared when VMA_STATS_STRING_ENABLED is non-zero, the default).
 *
 * Thread safety (VMA's rules, which vkmalloc keeps):
 *  - Allocators are independent; the library has no global state a program can observe.
 *  - Functions that take a VmaAllocator may be called from any number of threads at once,
 *    including allocation and freeing in the default pools and in custom pools. The
 *    exception is an allocator created with VMA_ALLOCATOR_CREATE_EXTERNALLY_SYNCHRONIZED_BIT:
 *    then the program serializes every call on that allocator and its objects.
 *  - Calls that name the same VmaAllocation must not overlap (e.g. vmaGetAllocationInfo in
 *    one thread and vmaMapMemory in another on the same allocation); the program orders them.
 *    Different allocations need no ordering, even when they share a VkDeviceMemory block.
 *  - A VmaVirtualBlock is used by one thread at a time; distinct blocks are independent.
 *  - A VmaDefragmentationContext is used by one thread at a time.
 *  - Destroying an object (allocator, pool, allocation, virtual block) must not overlap any
 *    other use of it, and the object must not be used afterwards.
 * Where vkmalloc promises more than VMA (its design contract):
 *  - Statistics that report a pool or memory type as empty mean every free into it has
 *    returned; nothing is still parked in another thread's cache.
 *  - vmaGetAllocationInfo on an allocation that the current defragmentation pass is not
 *    moving is safe during defragmentation, and allocating or freeing in other pools or
 *    memory types while a defragmentation runs is safe.
 *  - Mapping allocations of the same VkDeviceMemory block from many threads at once is safe.
 *
 * Errors: functions that can fail return VkResult; they never abort on run-time conditions
 * (out of memory, a failing Vulkan call) and leave no partial result behind. Arguments that
 * break a contract below (a null where "not null" is written, a handle of another allocator,
 * an index out of range) are reported by a debug-build assertion naming the argument (see
 * vkmSetAssertHandler in vkmalloc.h); a VkResult function then returns the error its comment
 * names for invalid input, a void function returns without effect.
 *
 * Nullability: VMA_NOT_NULL / VMA_NULLABLE expand to clang's _Nonnull / _Nullable and are
 * written on every pointer; "out" parameters receive a value on success and, unless stated
 * otherwise, VK_NULL_HANDLE (or null) on failure.
 */
#ifndef AMD_VULKAN_MEMORY_ALLOCATOR_H
#define AMD_VULKAN_MEMORY_ALLOCATOR_H

#if !defined(VULKAN_H_)
#include <vulkan/vulkan.h>
#endif


/* The layout is VMA's and has padding, and the nullability annotations are a clang
 * extension; neither should warn in a program that includes this header. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpadded"
#pragma clang diagnostic ignored "-Wnullability-extension"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpadded"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Configuration macros. Each may be defined by the program before the include.
 * ------------------------------------------------------------------------------------- */

/* The VMA API the program is written for, as major * 1000000 + minor * 1000 (the form of
 * VMA_VULKAN_VERSION, because VMA_VERSION's own value, VK_MAKE_VERSION(...), has casts
 * the preprocessor cannot evaluate). Default 3003000: a VMA 3.3 program sees 3.3's exact
 * struct layouts. A program that wants VMA 3.4's additions (VmaAllocationCreateInfo::
 * minAlignment, vmaAllocateDedicatedMemory, vmaCreateDedicatedBuffer/Image) defines
 * VKMALLOC_VMA_VERSION as 3004000 before the include; VMA_VERSION (which VMA 3.3 does
 * not define) is then defined as VMA 3.4 defines it.
 * Both kinds of program link the same library: the ten functions that take a
 * VmaAllocationCreateInfo exist there twice, and with 3.4 their declarations below name
 * the 3.4 symbols (vkm34_<name>, through an assembler label, so source names and pointers
 * to the functions are unchanged). Mixing the two in one program is fine as long as each
 * translation unit passes its own layout to its own calls. */
#if !defined(VKMALLOC_VMA_VERSION)
#define VKMALLOC_VMA_VERSION 3003000
#endif
#if VKMALLOC_VMA_VERSION >= 3004000
#define VKM_VMA_3_4 1
#if !defined(__GNUC__) && !defined(__clang__)
#error "vkmalloc: the VMA 3.4 API (VKMALLOC_VMA_VERSION >= 3004000) needs GCC or Clang"
#endif
#define VKM_VMA_LAYOUT(name) __asm__("vkm34_" #name)
#if !defined(VMA_VERSION)
#define VMA_VERSION (VK_MAKE_VERSION(3, 4, 0))
#endif
#else
#define VKM_VMA_3_4 0
#define VKM_VMA_LAYOUT(name)
#endif

/* Highest Vulkan version the Vulkan header in use declares, as major * 1000000 + minor *
 * 1000 (1003000 = Vulkan 1.3). Informational: it does not limit the library. */
#if !defined(VMA_VULKAN_VERSION)
#if defined(VK_VERSION_1_4)
#define VMA_VULKAN_VERSION 1004000
#elif defined(VK_VERSION_1_3)
#define VMA_VULKAN_VERSION 1003000
#elif defined(VK_VERSION_1_2)
#define VMA_VULKAN_VERSION 1002000
#elif defined(VK_VERSION_1_1)
#define VMA_VULKAN_VERSION 1001000
#else
#define VMA_VULKAN_VERSION 1000000
#endif
#endif

/* Feature macros: 1 when the Vulkan header in use declares the extension (or the core
 * version that absorbed it), else 0. Informational only; see "ABI" above. */
#if !defined(VMA_DEDICATED_ALLOCATION)
#if defined(VK_KHR_get_memory_requirements2) && defined(VK_KHR_dedicated_allocation)
#define VMA_DEDICATED_ALLOCATION 1
#else
#define VMA_DEDICATED_ALLOCATION 0
#endif
#endif

#if !defined(VMA_BIND_MEMORY2)
#if defined(VK_KHR_bind_memory2)
#define VMA_BIND_MEMORY2 1
#else
#define VMA_BIND_MEMORY2 0
#endif
#endif

#if !defined(VMA_MEMORY_BUDGET)
#if defined(VK_EXT_memory_budget) && \
    (defined(VK_KHR_get_physical_device_properties2) || VMA_VULKAN_VERSION >= 1001000)
#define VMA_MEMORY_BUDGET 1
#else
#define VMA_MEMORY_BUDGET 0
#endif
#endif

#if !defined(VMA_BUFFER_DEVICE_ADDRESS)
#if defined(VK_KHR_buffer_device_address) || VMA_VULKAN_VERSION >= 1002000
#define VMA_BUFFER_DEVICE_ADDRESS 1
#else
#define VMA_BUFFER_DEVICE_ADDRESS 0
#endif
#endif

#if !defined(VMA_MEMORY_PRIORITY)
#if defined(VK_EXT_memory_priority)
#define VMA_MEMORY_PRIORITY 1
#else
#define VMA_MEMORY_PRIORITY 0
#endif
#endif

#if !defined(VMA_KHR_MAINTENANCE4)
#if defined(VK_KHR_maintenance4)
#define VMA_KHR_MAINTENANCE4 1
#else
#define VMA_KHR_MAINTENANCE4 0
#endif
#endif

#if !defined(VMA_KHR_MAINTENANCE5)
#if defined(VK_KHR_maintenance5)
#define VMA_KHR_MAINTENANCE5 1
#else
#define VMA_KHR_MAINTENANCE5 0
#endif
#endif

#if !defined(VMA_EXTERNAL_MEMORY)
#if defined(VK_KHR_external_memory)
#define VMA_EXTERNAL_MEMORY 1
#else
#define VMA_EXTERNAL_MEMORY 0
#endif
#endif

/* Non-zero when vulkan_win32.h was included (VK_USE_PLATFORM_WIN32_KHR): declares
 * vmaGetMemoryWin32Handle and gives VmaVulkanFunctions::vkGetMemoryWin32HandleKHR its real
 * type. Setting it to 1 requires <windows.h> and vulkan_win32.h. */
#if !defined(VMA_EXTERNAL_MEMORY_WIN32)
#if defined(VK_KHR_external_memory_win32)
#define VMA_EXTERNAL_MEMORY_WIN32 1
#else
#define VMA_EXTERNAL_MEMORY_WIN32 0
#endif
#endif

/* Decorations placed before the return type / after it on every function declaration
 * (export attributes, calling convention). The library defines VMA_CALL_PRE itself to
 * export the symbols; programs normally leave both empty. */
#ifndef VMA_CALL_PRE
#define VMA_CALL_PRE
#endif
#ifndef VMA_CALL_POST
#define VMA_CALL_POST
#endif

/* Annotation on pNext-style pointers naming the Vulkan struct whose chain they extend.
 * Expands to nothing unless the program defines it. */
#ifndef VMA_EXTENDS_VK_STRUCT
#define VMA_EXTENDS_VK_STRUCT(vkStruct)
#endif

/* Annotation on array pointers: the array's length when the pointer is not null, given as
 * a sibling parameter or member, or as "Struct::member" of the allocator's device. Expands to
 * nothing unless the program defines it. */
#ifndef VMA_LEN_IF_NOT_NULL
#define VMA_LEN_IF_NOT_NULL(len)
#endif

/* Pointer nullability: clang's qualifiers, nothing on other compilers. */
#ifndef VMA_NULLABLE
#ifdef __clang__
#define VMA_NULLABLE _Nullable
#else
#define VMA_NULLABLE
#endif
#endif

#ifndef VMA_NOT_NULL
#ifdef __clang__
#define VMA_NOT_NULL _Nonnull
#else
#define VMA_NOT_NULL
#endif
#endif

/* Non-dispatchable Vulkan handles are pointers only on 64-bit targets; elsewhere they are
 * uint64_t and cannot carry a nullability qualifier. */
#if defined(__LP64__) || defined(_WIN64) || (defined(__x86_64__) && !defined(__ILP32__)) || \
    defined(_M_X64) || defined(__ia64) || defined(_M_IA64) || defined(__aarch64__) ||       \
    defined(__powerpc64__)
#ifndef VMA_NOT_NULL_NON_DISPATCHABLE
#define VMA_NOT_NULL_NON_DISPATCHABLE VMA_NOT_NULL
#endif
#ifndef VMA_NULLABLE_NON_DISPATCHABLE
#define VMA_NULLABLE_NON_DISPATCHABLE VMA_NULLABLE
#endif
#else
#ifndef VMA_NOT_NULL_NON_DISPATCHABLE
#define VMA_NOT_NULL_NON_DISPATCHABLE
#endif
#ifndef VMA_NULLABLE_NON_DISPATCHABLE
#define VMA_NULLABLE_NON_DISPATCHABLE
#endif
#endif

/* Non-zero (default): declare the JSON statistics functions. The library always has them. */
#ifndef VMA_STATS_STRING_ENABLED
#define VMA_STATS_STRING_ENABLED 1
#endif

/* VMA declares these globals for Android programs that build without Vulkan prototypes and
 * ask for statically linked Vulkan functions; the program defines them. Kept so such
 * programs still compile. vkmalloc itself never reads them: pass the functions through
 * VmaAllocatorCreateInfo::pVulkanFunctions instead. */
#if defined(__ANDROID__) && defined(VK_NO_PROTOTYPES) && defined(VMA_STATIC_VULKAN_FUNCTIONS)
#if VMA_STATIC_VULKAN_FUNCTIONS
extern PFN_vkGetInstanceProcAddr VMA_NULLABLE vkGetInstanceProcAddr;
extern PFN_vkGetDeviceProcAddr VMA_NULLABLE vkGetDeviceProcAddr;
extern PFN_vkGetPhysicalDeviceProperties VMA_NULLABLE vkGetPhysicalDeviceProperties;
extern PFN_vkGetPhysicalDeviceMemoryProperties VMA_NULLABLE vkGetPhysicalDeviceMemoryProperties;
extern PFN_vkAllocateMemory VMA_NULLABLE vkAllocateMemory;
extern PFN_vkFreeMemory VMA_NULLABLE vkFreeMemory;
extern PFN_vkMapMemory VMA_NULLABLE vkMapMemory;
extern PFN_vkUnmapMemory VMA_NULLABLE vkUnmapMemory;
extern PFN_vkFlushMappedMemoryRanges VMA_NULLABLE vkFlushMappedMemoryRanges;
extern PFN_vkInvalidateMappedMemoryRanges VMA_NULLABLE vkInvalidateMappedMemoryRanges;
extern PFN_vkBindBufferMemory VMA_NULLABLE vkBindBufferMemory;
extern PFN_vkBindImageMemory VMA_NULLABLE vkBindImageMemory;
extern PFN_vkGetBufferMemoryRequirements VMA_NULLABLE vkGetBufferMemoryRequirements;
extern PFN_vkGetImageMemoryRequirements VMA_NULLABLE vkGetImageMemoryRequirements;
extern PFN_vkCreateBuffer VMA_NULLABLE vkCreateBuffer;
extern PFN_vkDestroyBuffer VMA_NULLABLE vkDestroyBuffer;
extern PFN_vkCreateImage VMA_NULLABLE vkCreateImage;
extern PFN_vkDestroyImage VMA_NULLABLE vkDestroyImage;
extern PFN_vkCmdCopyBuffer VMA_NULLABLE vkCmdCopyBuffer;
#if VMA_VULKAN_VERSION >= 1001000
extern PFN_vkGetBufferMemoryRequirements2 VMA_NULLABLE vkGetBufferMemoryRequirements2;
extern PFN_vkGetImageMemoryRequirements2 VMA_NULLABLE vkGetImageMemoryRequirements2;
extern PFN_vkBindBufferMemory2 VMA_NULLABLE vkBindBufferMemory2;
extern PFN_vkBindImageMemory2 VMA_NULLABLE vkBindImageMemory2;
extern PFN_vkGetPhysicalDeviceMemoryProperties2 VMA_NULLABLE vkGetPhysicalDeviceMemoryProperties2;
#endif
#endif
#endif

/* ---------------------------------------------------------------------------------------
 * Enumerations and flags
 * ------------------------------------------------------------------------------------- */

/* Options for vmaCreateAllocator (VmaAllocatorCreateInfo::flags). The extension bits tell
 * the allocator that the program enabled the extension (and feature, where one exists) on
 * VmaAllocatorCreateInfo::device and wants the allocator to use it. */
typedef enum VmaAllocatorCreateFlagBits {
    /* The program serializes all calls on this allocator and on every object made from it;
     * the allocator may then skip its own synchronization. */
    VMA_ALLOCATOR_CREATE_EXTERNALLY_SYNCHRONIZED_BIT = 0x00000001,
    /* VK_KHR_dedicated_allocation (with VK_KHR_get_memory_requirements2) is enabled: ask the
     * driver whether a buffer or image wants its own VkDeviceMemory and honour it. Ignored
     * when vulkanApiVersion >= 1.1, where this is core and always used. */
    VMA_ALLOCATOR_CREATE_KHR_DEDICATED_ALLOCATION_BIT = 0x00000002,
    /* VK_KHR_bind_memory2 is enabled. Needed for a non-null pNext in vmaBindBufferMemory2 /
     * vmaBindImageMemory2 on Vulkan 1.0; ignored when vulkanApiVersion >= 1.1. */
    VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT = 0x00000004,
    /* VK_EXT_memory_budget is enabled (plus VK_KHR_get_physical_device_properties2 on 1.0):
     * budgets come from the driver instead of the allocator's own estimate. */
    VMA_ALLOCATOR_CREATE_EXT_MEMORY_BUDGET_BIT = 0x00000008,
    /* VK_AMD_device_coherent_memory and its deviceCoherentMemory feature are enabled. Without
     * this bit, memory types with DEVICE_COHERENT_AMD / DEVICE_UNCACHED_AMD are never used and
     * requests that need them fail with VK_ERROR_FEATURE_NOT_PRESENT. */
    VMA_ALLOCATOR_CREATE_AMD_DEVICE_COHERENT_MEMORY_BIT = 0x00000010,
    /* The bufferDeviceAddress feature (core 1.2 or VK_KHR_buffer_device_address) is enabled:
     * device memory is allocated with VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT where a buffer
     * with SHADER_DEVICE_ADDRESS usage may be placed in it. */
    VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT = 0x00000020,
    /* VK_EXT_memory_priority and its memoryPriority feature are enabled: the priority members
     * of VmaAllocationCreateInfo / VmaPoolCreateInfo are passed to vkAllocateMemory. */
    VMA_ALLOCATOR_CREATE_EXT_MEMORY_PRIORITY_BIT = 0x00000040,
    /* VK_KHR_maintenance4 is enabled (memory requirements queried without creating objects). */
    VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE4_BIT = 0x00000080,
    /* VK_KHR_maintenance5 is enabled (VkBufferUsageFlags2CreateInfoKHR is understood). */
    VMA_ALLOCATOR_CREATE_KHR_MAINTENANCE5_BIT = 0x00000100,
    /* VK_KHR_external_memory_win32 is enabled; needed by vmaGetMemoryWin32Handle. */
    VMA_ALLOCATOR_CREATE_KHR_EXTERNAL_MEMORY_WIN32_BIT = 0x00000200,

    VMA_ALLOCATOR_CREATE_FLAG_BITS_MAX_ENUM = 0x7FFFFFFF
} VmaAllocatorCreateFlagBits;
typedef VkFlags VmaAllocatorCreateFlags;

/* How the program will use the memory; drives the choice of memory type. Ignored for
 * allocations in a custom pool (the pool fixes the memory type). */
typedef enum VmaMemoryUsage {
    /* No preference from usage: requiredFlags / preferredFlags / memoryTypeBits decide. */
    VMA_MEMORY_USAGE_UNKNOWN = 0,
    /* Legacy values, kept for old programs; prefer the AUTO values. */
    VMA_MEMORY_USAGE_GPU_ONLY = 1,   /* prefers DEVICE_LOCAL */
    VMA_MEMORY_USAGE_CPU_ONLY = 2,   /* requires HOST_VISIBLE | HOST_COHERENT */
    VMA_MEMORY_USAGE_CPU_TO_GPU = 3, /* requires HOST_VISIBLE, prefers DEVICE_LOCAL */
    VMA_MEMORY_USAGE_GPU_TO_CPU = 4, /* requires HOST_VISIBLE, prefers HOST_CACHED */
    VMA_MEMORY_USAGE_CPU_COPY = 5,   /* prefers memory that is not DEVICE_LOCAL */
    /* Requires LAZILY_ALLOCATED memory (transient attachments, mostly on tiled mobile GPUs);
     * fails where no such type exists. Always a dedicated allocation. */
    VMA_MEMORY_USAGE_GPU_LAZILY_ALLOCATED = 6,
    /* The allocator picks the type from the buffer or image usage. Only for functions that
     * see a VkBufferCreateInfo / VkImageCreateInfo (vmaCreateBuffer, vmaCreateImage,
     * vmaFindMemoryTypeIndexFor*Info, ...). To map such memory, also set
     * VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT or _RANDOM_BIT. */
    VMA_MEMORY_USAGE_AUTO = 7,
    /* As AUTO, leaning towards device-local memory. */
    VMA_MEMORY_USAGE_AUTO_PREFER_DEVICE = 8,
    /* As AUTO, leaning towards host memory. */
    VMA_MEMORY_USAGE_AUTO_PREFER_HOST = 9,

    VMA_MEMORY_USAGE_MAX_ENUM = 0x7FFFFFFF
} VmaMemoryUsage;

/* Options for one allocation (VmaAllocationCreateInfo::flags). */
typedef enum VmaAllocationCreateFlagBits {
    /* Give the allocation its own VkDeviceMemory (VkMemoryDedicatedAllocateInfo is chained
     * for a buffer or image when available). Not with NEVER_ALLOCATE. */
    VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT = 0x00000001,
    /* Only use existing VkDeviceMemory blocks; if none has room, fail with
     * VK_ERROR_OUT_OF_DEVICE_MEMORY rather than allocate a new one. */
    VMA_ALLOCATION_CREATE_NEVER_ALLOCATE_BIT = 0x00000002,
    /* Keep the allocation mapped for its whole life; the pointer is
     * VmaAllocationInfo::pMappedData. Silently ignored if the chosen type is not
     * HOST_VISIBLE. */
    VMA_ALLOCATION_CREATE_MAPPED_BIT = 0x00000004,
    /* Legacy: pUserData is a null-terminated string; a copy becomes the allocation's name
     * (VmaAllocationInfo::pName). Prefer vmaSetAllocationName. */
    VMA_ALLOCATION_CREATE_USER_DATA_COPY_STRING_BIT = 0x00000020,
    /* Allocate from the top end of a linear-algorithm pool (double stack). Only for pools
     * created with VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT and maxBlockCount 1. */
    VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT = 0x00000040,
    /* vmaCreateBuffer / vmaCreateImage create the resource and the allocation but do not bind
     * them; the program binds. Ignored by functions that do not bind. */
    VMA_ALLOCATION_CREATE_DONT_BIND_BIT = 0x00000080,
    /* Fail with VK_ERROR_OUT_OF_DEVICE_MEMORY rather than let the heap's usage exceed its
     * budget (see vmaGetHeapBudgets). */
    VMA_ALLOCATION_CREATE_WITHIN_BUDGET_BIT = 0x00000100,
    /* Other resources will alias this memory: a dedicated allocation is then made without
     * VkMemoryDedicatedAllocateInfo, so it is not tied to one resource. */
    VMA_ALLOCATION_CREATE_CAN_ALIAS_BIT = 0x00000200,
    /* The host will map this memory and write it sequentially (memcpy-like, never reading);
     * uncached write-combined memory is acceptable. With an AUTO usage, this bit or
     * HOST_ACCESS_RANDOM is required to map at all. */
    VMA_ALLOCATION_CREATE_HOST_ACCESS_SEQUENTIAL_WRITE_BIT = 0x00000400,
    /* The host will map this memory and read and write it in any order; HOST_CACHED memory
     * is preferred. */
    VMA_ALLOCATION_CREATE_HOST_ACCESS_RANDOM_BIT = 0x00000800,
    /* With a HOST_ACCESS bit: a memory type that is not HOST_VISIBLE may still be chosen if
     * it is faster; the program checks (vmaGetAllocationMemoryProperties) and then copies
     * through a staging resource. */
    VMA_ALLOCATION_CREATE_HOST_ACCESS_ALLOW_TRANSFER_INSTEAD_BIT = 0x00001000,
    /* Placement strategy: the tightest free range (least memory, more search time). */
    VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT = 0x00010000,
    /* Placement strategy: the first range that is quick to find (least time). */
    VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT = 0x00020000,
    /* Placement strategy: the lowest offset (dense packing; what defragmentation uses). */
    VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT = 0x00040000,
    /* Older names of the two strategies above. */
    VMA_ALLOCATION_CREATE_STRATEGY_BEST_FIT_BIT = VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT,
    VMA_ALLOCATION_CREATE_STRATEGY_FIRST_FIT_BIT = VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT,
    /* All strategy bits. */
    VMA_ALLOCATION_CREATE_STRATEGY_MASK = VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT |
                                          VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT |
                                          VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT,

    VMA_ALLOCATION_CREATE_FLAG_BITS_MAX_ENUM = 0x7FFFFFFF
} VmaAllocationCreateFlagBits;
typedef VkFlags VmaAllocationCreateFlags;

/* Options for vmaCreatePool (VmaPoolCreateInfo::flags). */
typedef enum VmaPoolCreateFlagBits {
    /* The program promises the pool never mixes linear resources (buffers, linear images)
     * with optimal-tiling images, so bufferImageGranularity needs no padding. Only useful
     * with vmaAllocateMemory / vmaAllocateMemoryForImage, where the resource kind is unknown. */
    VMA_POOL_CREATE_IGNORE_BUFFER_IMAGE_GRANULARITY_BIT = 0x00000002,
    /* Linear algorithm: allocations are placed after the last one and freed space is reused
     * only when it is at an end. Gives free-at-once, stack, double stack and ring buffer. */
    VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT = 0x00000004,
    /* All algorithm bits. */
    VMA_POOL_CREATE_ALGORITHM_MASK = VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT,

    VMA_POOL_CREATE_FLAG_BITS_MAX_ENUM = 0x7FFFFFFF
} VmaPoolCreateFlagBits;
typedef VkFlags VmaPoolCreateFlags;

/* Options for vmaBeginDefragmentation (VmaDefragmentationInfo::flags); at most one
 * algorithm bit. None set means BALANCED. */
typedef enum VmaDefragmentationFlagBits {
    /* Cheapest: least computation and fewest moves, least compaction. */
    VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT = 0x1,
    /* The default trade-off between compaction and bytes moved. */
    VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT = 0x2,
    /* Full compaction, at the price of more computation and moves. */
    VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT = 0x4,
    /* As FULL, and also regroups buffers and images to cut bufferImageGranularity padding;
     * same as FULL when the granularity is 1. */
    VMA_DEFRAGMENTATION_FLAG_ALGORITHM_EXTENSIVE_BIT = 0x8,
    /* All algorithm bits. */
    VMA_DEFRAGMENTATION_FLAG_ALGORITHM_MASK = VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FAST_BIT |
                                              VMA_DEFRAGMENTATION_FLAG_ALGORITHM_BALANCED_BIT |
                                              VMA_DEFRAGMENTATION_FLAG_ALGORITHM_FULL_BIT |
                                              VMA_DEFRAGMENTATION_FLAG_ALGORITHM_EXTENSIVE_BIT,

    VMA_DEFRAGMENTATION_FLAG_BITS_MAX_ENUM = 0x7FFFFFFF
} VmaDefragmentationFlagBits;
typedef VkFlags VmaDefragmentationFlags;

/* What vmaEndDefragmentationPass does with one move; the program may change it. */
typedef enum VmaDefragmentationMoveOperation {
    /* Default. The program has created the resource at dstTmpAllocation, copied the data and
     * destroyed the old resource; srcAllocation takes over the new place. */
    VMA_DEFRAGMENTATION_MOVE_OPERATION_COPY = 0,
    /* The program could not move it: the new place is released, srcAllocation unchanged. */
    VMA_DEFRAGMENTATION_MOVE_OPERATION_IGNORE = 1,
    /* The program destroyed the resource and gives the allocation up: both places are
     * released and srcAllocation is freed. */
    VMA_DEFRAGMENTATION_MOVE_OPERATION_DESTROY = 2
} VmaDefragmentationMoveOperation;

/* Options for vmaCreateVirtualBlock (VmaVirtualBlockCreateInfo::flags). */
typedef enum VmaVirtualBlockCreateFlagBits {
    /* Linear algorithm, as VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT. */
    VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT = 0x00000001,
    /* All algorithm bits. */
    VMA_VIRTUAL_BLOCK_CREATE_ALGORITHM_MASK = VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT,

    VMA_VIRTUAL_BLOCK_CREATE_FLAG_BITS_MAX_ENUM = 0x7FFFFFFF
} VmaVirtualBlockCreateFlagBits;
typedef VkFlags VmaVirtualBlockCreateFlags;

/* Options for vmaVirtualAllocate; the same bit values as the matching
 * VmaAllocationCreateFlagBits. */
typedef enum VmaVirtualAllocationCreateFlagBits {
    /* Top end of a linear virtual block (double stack). Linear blocks only. */
    VMA_VIRTUAL_ALLOCATION_CREATE_UPPER_ADDRESS_BIT = VMA_ALLOCATION_CREATE_UPPER_ADDRESS_BIT,
    /* Placement strategies, as for device allocations. */
    VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT =
        VMA_ALLOCATION_CREATE_STRATEGY_MIN_MEMORY_BIT,
    VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT =
        VMA_ALLOCATION_CREATE_STRATEGY_MIN_TIME_BIT,
    VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT =
        VMA_ALLOCATION_CREATE_STRATEGY_MIN_OFFSET_BIT,
    /* All strategy bits. */
    VMA_VIRTUAL_ALLOCATION_CREATE_STRATEGY_MASK = VMA_ALLOCATION_CREATE_STRATEGY_MASK,

    VMA_VIRTUAL_ALLOCATION_CREATE_FLAG_BITS_MAX_ENUM = 0x7FFFFFFF
} VmaVirtualAllocationCreateFlagBits;
typedef VkFlags VmaVirtualAllocationCreateFlags;

/* ---------------------------------------------------------------------------------------
 * Handles. All are opaque; VK_NULL_HANDLE means "none".
 * ------------------------------------------------------------------------------------- */

/* One allocator per VkDevice: owns the device memory blocks, the default pools and every
 * object below except virtual blocks. vmaCreateAllocator / vmaDestroyAllocator. */
VK_DEFINE_HANDLE(VmaAllocator)
/* A custom pool: blocks of one memory type with their own size and algorithm.
 * vmaCreatePool / vmaDestroyPool. */
VK_DEFINE_HANDLE(VmaPool)
/* One allocation: a range of a VkDeviceMemory block, or a whole dedicated one. It exists
 * independently of any buffer or image bound to it. */
VK_DEFINE_HANDLE(VmaAllocation)
/* A defragmentation in progress. vmaBeginDefragmentation / vmaEndDefragmentation. */
VK_DEFINE_HANDLE(VmaDefragmentationContext)
/* One range of a virtual block; unique within its block only. May be a plain 64-bit
 * integer (on 32-bit targets), so compare it with VK_NULL_HANDLE, not with NULL. */
VK_DEFINE_NON_DISPATCHABLE_HANDLE(VmaVirtualAllocation)
/* A range allocator over a caller-defined space with no device memory behind it.
 * Single-threaded: the program serializes all calls on one block. */
VK_DEFINE_HANDLE(VmaVirtualBlock)

/* ---------------------------------------------------------------------------------------
 * Callback types and structures
 * ------------------------------------------------------------------------------------- */

/* Called after each successful vkAllocateMemory the allocator makes, with the new memory,
 * its type index and size. May run on any thread that allocates; must not call back into
 * the same allocator. */
typedef void(VKAPI_PTR *PFN_vmaAllocateDeviceMemoryFunction)(
    VmaAllocator VMA_NOT_NULL allocator, uint32_t memoryType,
    VkDeviceMemory VMA_NOT_NULL_NON_DISPATCHABLE memory, VkDeviceSize size,
    void *VMA_NULLABLE pUserData);

/* Called just before each vkFreeMemory the allocator makes; same arguments and rules. */
typedef void(VKAPI_PTR *PFN_vmaFreeDeviceMemoryFunction)(
    VmaAllocator VMA_NOT_NULL allocator, uint32_t memoryType,
    VkDeviceMemory VMA_NOT_NULL_NON_DISPATCHABLE memory, VkDeviceSize size,
    void *VMA_NULLABLE pUserData);

/* Informational hooks on device memory allocation and release
 * (VmaAllocatorCreateInfo::pDeviceMemoryCallbacks). Copied at allocator creation. */
typedef struct VmaDeviceMemoryCallbacks {
    PFN_vmaAllocateDeviceMemoryFunction VMA_NULLABLE pfnAllocate; /* may be null */
    PFN_vmaFreeDeviceMemoryFunction VMA_NULLABLE pfnFree;         /* may be null */
    void *VMA_NULLABLE pUserData;                                 /* passed to both */
} VmaDeviceMemoryCallbacks;

/*
 * The Vulkan entry points the allocator calls (VmaAllocatorCreateInfo::pVulkanFunctions).
 * Copied at allocator creation. Any member may be null: the allocator then fetches it through
 * vkGetInstanceProcAddr / vkGetDeviceProcAddr (this table's when set, else the Vulkan
 * loader's). The *2KHR members
 * take either the core 1.1 function or the KHR one; vkGetDevice*MemoryRequirements the core
 * 1.3 or the VK_KHR_maintenance4 one. Every member is always present, whatever the feature
 * macros say, so the layout never changes; with an old Vulkan header that lacks a PFN type,
 * the member is a PFN_vkVoidFunction of the same size (cast when assigning).
 */
typedef struct VmaVulkanFunctions {
    PFN_vkGetInstanceProcAddr VMA_NULLABLE vkGetInstanceProcAddr;
    PFN_vkGetDeviceProcAddr VMA_NULLABLE vkGetDeviceProcAddr;
    PFN_vkGetPhysicalDeviceProperties VMA_NULLABLE vkGetPhysicalDeviceProperties;
    PFN_vkGetPhysicalDeviceMemoryProperties VMA_NULLABLE vkGetPhysicalDeviceMemoryProperties;
    PFN_vkAllocateMemory VMA_NULLABLE vkAllocateMemory;
    PFN_vkFreeMemory VMA_NULLABLE vkFreeMemory;
    PFN_vkMapMemory VMA_NULLABLE vkMapMemory;
    PFN_vkUnmapMemory VMA_NULLABLE vkUnmapMemory;
    PFN_vkFlushMappedMemoryRanges VMA_NULLABLE vkFlushMappedMemoryRanges;
    PFN_vkInvalidateMappedMemoryRanges VMA_NULLABLE vkInvalidateMappedMemoryRanges;
    PFN_vkBindBufferMemory VMA_NULLABLE vkBindBufferMemory;
    PFN_vkBindImageMemory VMA_NULLABLE vkBindImageMemory;
    PFN_vkGetBufferMemoryRequirements VMA_NULLABLE vkGetBufferMemoryRequirements;
    PFN_vkGetImageMemoryRequirements VMA_NULLABLE vkGetImageMemoryRequirements;
    PFN_vkCreateBuffer VMA_NULLABLE vkCreateBuffer;
    PFN_vkDestroyBuffer VMA_NULLABLE vkDestroyBuffer;
    PFN_vkCreateImage VMA_NULLABLE vkCreateImage;
    PFN_vkDestroyImage VMA_NULLABLE vkDestroyImage;
    PFN_vkCmdCopyBuffer VMA_NULLABLE vkCmdCopyBuffer;
    /* vkGet{Buffer,Image}MemoryRequirements2 (1.1) or ...2KHR. */
#if defined(VK_KHR_get_memory_requirements2)
    PFN_vkGetBufferMemoryRequirements2KHR VMA_NULLABLE vkGetBufferMemoryRequirements2KHR;
    PFN_vkGetImageMemoryRequirements2KHR VMA_NULLABLE vkGetImageMemoryRequirements2KHR;
#else
    PFN_vkVoidFunction VMA_NULLABLE vkGetBufferMemoryRequirements2KHR;
    PFN_vkVoidFunction VMA_NULLABLE vkGetImageMemoryRequirements2KHR;
#endif
    /* vkBind{Buffer,Image}Memory2 (1.1) or ...2KHR. */
#if defined(VK_KHR_bind_memory2)
    PFN_vkBindBufferMemory2KHR VMA_NULLABLE vkBindBufferMemory2KHR;
    PFN_vkBindImageMemory2KHR VMA_NULLABLE vkBindImageMemory2KHR;
#else
    PFN_vkVoidFunction VMA_NULLABLE vkBindBufferMemory2KHR;
    PFN_vkVoidFunction VMA_NULLABLE vkBindImageMemory2KHR;
#endif
    /* vkGetPhysicalDeviceMemoryProperties2 (1.1) or ...2KHR. */
#if defined(VK_KHR_get_physical_device_properties2)
    PFN_vkGetPhysicalDeviceMemoryProperties2KHR VMA_NULLABLE
        vkGetPhysicalDeviceMemoryProperties2KHR;
#else
    PFN_vkVoidFunction VMA_NULLABLE vkGetPhysicalDeviceMemoryProperties2KHR;
#endif
    /* vkGetDevice{Buffer,Image}MemoryRequirements (1.3) or ...KHR. */
#if defined(VK_KHR_maintenance4)
    PFN_vkGetDeviceBufferMemoryRequirementsKHR VMA_NULLABLE vkGetDeviceBufferMemoryRequirements;
    PFN_vkGetDeviceImageMemoryRequirementsKHR VMA_NULLABLE vkGetDeviceImageMemoryRequirements;
#else
    PFN_vkVoidFunction VMA_NULLABLE vkGetDeviceBufferMemoryRequirements;
    PFN_vkVoidFunction VMA_NULLABLE vkGetDeviceImageMemoryRequirements;
#endif
    /* vkGetMemoryWin32HandleKHR; an untyped pointer unless VMA_EXTERNAL_MEMORY_WIN32. */
#if VMA_EXTERNAL_MEMORY_WIN32
    PFN_vkGetMemoryWin32HandleKHR VMA_NULLABLE vkGetMemoryWin32HandleKHR;
#else
    void *VMA_NULLABLE vkGetMemoryWin32HandleKHR;
#endif
} VmaVulkanFunctions;

/* Parameters of vmaCreateAllocator. Read during the call only: the arrays and tables it
 * points to are copied. */
typedef struct VmaAllocatorCreateInfo {
    /* VmaAllocatorCreateFlagBits. */
    VmaAllocatorCreateFlags flags;
    /* Must outlive the allocator. */
    VkPhysicalDevice VMA_NOT_NULL physicalDevice;
    /* Must outlive the allocator. */
    VkDevice VMA_NOT_NULL device;
    /* Size of the VkDeviceMemory blocks made for heaps larger than 1 GiB; 0 = library
     * default. Smaller heaps use smaller blocks. */
    VkDeviceSize preferredLargeHeapBlockSize;
    /* Host allocation callbacks, used for the allocator's own host memory and passed to the
     * Vulkan calls it makes; null = the library's allocator. The struct is copied; the
     * functions and their pUserData must stay usable for the allocator's life. */
    const VkAllocationCallbacks *VMA_NULLABLE pAllocationCallbacks;
    /* Optional hooks on vkAllocateMemory / vkFreeMemory; may be null. */
    const VmaDeviceMemoryCallbacks *VMA_NULLABLE pDeviceMemoryCallbacks;
    /* Null, or one byte limit per memory heap (memoryHeapCount entries); VK_WHOLE_SIZE =
     * no limit. Allocations that would exceed a heap's limit fail with
     * VK_ERROR_OUT_OF_DEVICE_MEMORY, and a limit below the heap size is what
     * vmaGetMemoryProperties then reports as the heap's size. */
    const VkDeviceSize *VMA_NULLABLE
        VMA_LEN_IF_NOT_NULL("VkPhysicalDeviceMemoryProperties::memoryHeapCount") pHeapSizeLimit;
    /* Null, or entry points to use (see VmaVulkanFunctions). */
    const VmaVulkanFunctions *VMA_NULLABLE pVulkanFunctions;
    /* Required. Must outlive the allocator. */
    VkInstance VMA_NOT_NULL instance;
    /* Vulkan version the program uses on this device (VK_API_VERSION_1_x; patch ignored;
     * 0 = 1.0). No higher than the instance's apiVersion nor the device's. */
    uint32_t vulkanApiVersion;
    /* Null, or per memory type (memoryTypeCount entries) the external handle types to
     * request with VkExportMemoryAllocateInfoKHR on every block of that type; 0 = none. */
#if defined(VK_KHR_external_memory_capabilities)
    const VkExternalMemoryHandleTypeFlagsKHR *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(
        "VkPhysicalDeviceMemoryProperties::memoryTypeCount") pTypeExternalMemoryHandleTypes;
#else
    const VkFlags *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(
        "VkPhysicalDeviceMemoryProperties::memoryTypeCount") pTypeExternalMemoryHandleTypes;
#endif
} VmaAllocatorCreateInfo;

/* The Vulkan objects an allocator was created with (vmaGetAllocatorInfo). */
typedef struct VmaAllocatorInfo {
    VkInstance VMA_NOT_NULL instance;
    VkPhysicalDevice VMA_NOT_NULL physicalDevice;
    VkDevice VMA_NOT_NULL device;
} VmaAllocatorInfo;

/*
 * Cheap counters for a heap, memory type, pool or virtual block. Vocabulary: a "block" is
 * one VkDeviceMemory object (what Vulkan calls an allocation); an "allocation" is one
 * VmaAllocation inside a block. A dedicated allocation counts as one block and one
 * allocation.   allocationBytes <= blockBytes;   blockBytes - allocationBytes = memory taken
 * from Vulkan but not used by any allocation.
 */
typedef struct VmaStatistics {
    uint32_t blockCount;          /* VkDeviceMemory objects */
    uint32_t allocationCount;     /* VmaAllocation objects */
    VkDeviceSize blockBytes;      /* bytes of those VkDeviceMemory objects */
    VkDeviceSize allocationBytes; /* bytes occupied by those allocations */
} VmaStatistics;

/* VmaStatistics plus the shape of the free space; slower to compute. Averages follow from
 * the counts: allocationBytes / allocationCount, (blockBytes - allocationBytes) /
 * unusedRangeCount. */
typedef struct VmaDetailedStatistics {
    VmaStatistics statistics;
    uint32_t unusedRangeCount;       /* free ranges between allocations */
    VkDeviceSize allocationSizeMin;  /* VK_WHOLE_SIZE when there is no allocation */
    VkDeviceSize allocationSizeMax;  /* 0 when there is no allocation */
    VkDeviceSize unusedRangeSizeMin; /* VK_WHOLE_SIZE when there is no free range */
    VkDeviceSize unusedRangeSizeMax; /* 0 when there is no free range */
} VmaDetailedStatistics;

/* Everything vmaCalculateStatistics reports: per memory type (first memoryTypeCount
 * entries), per heap (first memoryHeapCount entries) and the sum. */
typedef struct VmaTotalStatistics {
    VmaDetailedStatistics memoryType[VK_MAX_MEMORY_TYPES];
    VmaDetailedStatistics memoryHeap[VK_MAX_MEMORY_HEAPS];
    VmaDetailedStatistics total;
} VmaTotalStatistics;

/* One heap's use by this allocator and the system's estimate of what the program may use
 * (vmaGetHeapBudgets). budget - usage is roughly what can still be allocated safely. */
typedef struct VmaBudget {
    /* This allocator's own blocks and allocations in the heap. */
    VmaStatistics statistics;
    /* Bytes the whole program uses in the heap: from VK_EXT_memory_budget when enabled (it
     * includes memory allocated outside this allocator), else an estimate. */
    VkDeviceSize usage;
    /* Bytes the program may use in the heap: from VK_EXT_memory_budget when enabled, else an
     * estimate derived from the heap size. */
    VkDeviceSize budget;
} VmaBudget;

/* Parameters of one allocation, for vmaAllocateMemory*, vmaCreateBuffer*, vmaCreateImage,
 * vmaFindMemoryTypeIndex* and others. A zero-filled struct is valid (no constraints). */
typedef struct VmaAllocationCreateInfo {
    /* VmaAllocationCreateFlagBits. */
    VmaAllocationCreateFlags flags;
    /* Intended use; ignored when pool is set. */
    VmaMemoryUsage usage;
    /* Property flags the memory type must have; ignored when pool is set. */
    VkMemoryPropertyFlags requiredFlags;
    /* Property flags the memory type should have if possible; ignored when pool is set. */
    VkMemoryPropertyFlags preferredFlags;
    /* Acceptable memory type indices as a bit mask; 0 = any. Ignored when pool is set. */
    uint32_t memoryTypeBits;
    /* Allocate from this custom pool; VK_NULL_HANDLE = the default pools. */
    VmaPool VMA_NULLABLE pool;
    /* Stored in the allocation and returned as VmaAllocationInfo::pUserData; never
     * dereferenced (except with USER_DATA_COPY_STRING_BIT: then a string, copied). */
    void *VMA_NULLABLE pUserData;
    /* 0..1, passed to VK_EXT_memory_priority when the allocator enables it and this
     * allocation gets its own VkDeviceMemory; otherwise the block's priority applies. */
    float priority;
#if VKM_VMA_3_4
    /* (VMA 3.4) Extra alignment for this allocation: 0 (none) or a power of two. The
     * allocation's offset is aligned to the larger of this and the resource's own. */
    VkDeviceSize minAlignment;
#endif
} VmaAllocationCreateInfo;

/* Parameters of vmaCreatePool. */
typedef struct VmaPoolCreateInfo {
    /* The one memory type the pool allocates from (see vmaFindMemoryTypeIndex*). */
    uint32_t memoryTypeIndex;
    /* VmaPoolCreateFlagBits. */
    VmaPoolCreateFlags flags;
    /* Size of every block, in bytes; 0 = chosen by the library, blocks may then vary in size
     * and the pool may also hold dedicated allocations. */
    VkDeviceSize blockSize;
    /* Blocks created up front and never released; 0 = the pool may become empty. */
    size_t minBlockCount;
    /* Upper bound on blocks; 0 = unlimited. Equal to minBlockCount = fixed-size pool. */
    size_t maxBlockCount;
    /* 0..1, used when the allocator enables VK_EXT_memory_priority. */
    float priority;
    /* Extra alignment for every allocation in the pool; 0 or a power of two. */
    VkDeviceSize minAllocationAlignment;
    /* Null, or a pNext chain appended to every VkMemoryAllocateInfo of this pool (e.g.
     * VkExportMemoryAllocateInfoKHR). Must stay valid and unchanged for the pool's life. */
    void *VMA_NULLABLE VMA_EXTENDS_VK_STRUCT(VkMemoryAllocateInfo) pMemoryAllocateNext;
} VmaPoolCreateInfo;

/* State of one allocation (vmaGetAllocationInfo and the pAllocationInfo outputs). */
typedef struct VmaAllocationInfo {
    /* Memory type index; fixed for the allocation's life. */
    uint32_t memoryType;
    /* The VkDeviceMemory holding it, possibly shared with other allocations; changes only
     * when defragmentation moves the allocation. */
    VkDeviceMemory VMA_NULLABLE_NON_DISPATCHABLE deviceMemory;
    /* Byte offset in deviceMemory; (deviceMemory, offset) identifies the allocation. Changes
     * only when defragmentation moves it. Functions that take a VmaAllocation apply it
     * themselves: never add it to their offsets or to pMappedData. */
    VkDeviceSize offset;
    /* Size in bytes; fixed. May exceed the resource's requested size; all of it may be
     * accessed through a mapping, but resource commands must stay within the resource. */
    VkDeviceSize size;
    /* Host address of the allocation's first byte while mapped (MAPPED_BIT or an
     * outstanding vmaMapMemory), else null. */
    void *VMA_NULLABLE pMappedData;
    /* Value from VmaAllocationCreateInfo::pUserData or vmaSetAllocationUserData. */
    void *VMA_NULLABLE pUserData;
    /* Name from vmaSetAllocationName (or USER_DATA_COPY_STRING_BIT), or null. Owned by the
     * allocation; valid until the name changes or the allocation is freed. */
    const char *VMA_NULLABLE pName;
} VmaAllocationInfo;

/* VmaAllocationInfo plus block information (vmaGetAllocationInfo2). */
typedef struct VmaAllocationInfo2 {
    VmaAllocationInfo allocationInfo;
    /* Size of the VkDeviceMemory containing the allocation (= allocationInfo.size when
     * dedicated). */
    VkDeviceSize blockSize;
    /* VK_TRUE when the allocation has its own VkDeviceMemory (made with
     * VkMemoryDedicatedAllocateInfo where that is available). */
    VkBool32 dedicatedMemory;
} VmaAllocationInfo2;

/* Polled during a defragmentation pass; returning VK_TRUE ends the pass early. */
typedef VkBool32(VKAPI_PTR *PFN_vmaCheckDefragmentationBreakFunction)(void *VMA_NULLABLE pUserData);

/* Parameters of vmaBeginDefragmentation. */
typedef struct VmaDefragmentationInfo {
    /* VmaDefragmentationFlagBits. */
    VmaDefragmentationFlags flags;
    /* The custom pool to compact; VK_NULL_HANDLE = all default pools. */
    VmaPool VMA_NULLABLE pool;
    /* Most bytes moved in one pass; 0 = no limit. */
    VkDeviceSize maxBytesPerPass;
    /* Most allocations moved in one pass; 0 = no limit. */
    uint32_t maxAllocationsPerPass;
    /* Optional early-stop test, called on the thread running the pass. */
    PFN_vmaCheckDefragmentationBreakFunction VMA_NULLABLE pfnBreakCallback;
    /* Passed to pfnBreakCallback. */
    void *VMA_NULLABLE pBreakCallbackUserData;
} VmaDefragmentationInfo;

/* One proposed move in a defragmentation pass. */
typedef struct VmaDefragmentationMove {
    /* What vmaEndDefragmentationPass will do; COPY unless the program changes it. */
    VmaDefragmentationMoveOperation operation;
    /* The allocation being moved. Must not be freed until the pass ends. */
    VmaAllocation VMA_NOT_NULL srcAllocation;
    /* Temporary allocation at the destination, to bind the new resource to (e.g.
     * vmaBindBufferMemory). Lives only until vmaEndDefragmentationPass; never keep it. */
    VmaAllocation VMA_NOT_NULL dstTmpAllocation;
} VmaDefragmentationMove;

/* The moves of one pass (vmaBeginDefragmentationPass fills it, vmaEndDefragmentationPass
 * consumes it). For each move with operation COPY the program creates the resource at
 * dstTmpAllocation, copies the data, waits for the copy, and destroys the old resource (not
 * its allocation). */
typedef struct VmaDefragmentationPassMoveInfo {
    /* Number of entries in pMoves. */
    uint32_t moveCount;
    /* Owned by the context; valid until vmaEndDefragmentationPass. Only the operation members
     * may be changed. */
    VmaDefragmentationMove *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(moveCount) pMoves;
} VmaDefragmentationPassMoveInfo;

/* Totals of a finished defragmentation (vmaEndDefragmentation). */
typedef struct VmaDefragmentationStats {
    VkDeviceSize bytesMoved;          /* bytes of the allocations moved */
    VkDeviceSize bytesFreed;          /* bytes of the VkDeviceMemory objects released */
    uint32_t allocationsMoved;        /* allocations moved */
    uint32_t deviceMemoryBlocksFreed; /* VkDeviceMemory objects released */
} VmaDefragmentationStats;

/* Parameters of vmaCreateVirtualBlock. */
typedef struct VmaVirtualBlockCreateInfo {
    /* Size of the space, in any unit the program uses consistently; not zero. */
    VkDeviceSize size;
    /* VmaVirtualBlockCreateFlagBits. */
    VmaVirtualBlockCreateFlags flags;
    /* Host allocation callbacks for the block's metadata; null = the library's allocator.
     * Must outlive the block. */
    const VkAllocationCallbacks *VMA_NULLABLE pAllocationCallbacks;
} VmaVirtualBlockCreateInfo;

/* Parameters of vmaVirtualAllocate. */
typedef struct VmaVirtualAllocationCreateInfo {
    /* Size, in the block's unit; not zero. */
    VkDeviceSize size;
    /* Alignment of the offset: a power of two, or 0 (= 1). */
    VkDeviceSize alignment;
    /* VmaVirtualAllocationCreateFlagBits. */
    VmaVirtualAllocationCreateFlags flags;
    /* Stored with the allocation; never dereferenced. */
    void *VMA_NULLABLE pUserData;
} VmaVirtualAllocationCreateInfo;

/* State of one virtual allocation (vmaGetVirtualAllocationInfo). */
typedef struct VmaVirtualAllocationInfo {
    VkDeviceSize offset;          /* where it starts in the block */
    VkDeviceSize size;            /* the size that was requested */
    void *VMA_NULLABLE pUserData; /* as created or last set */
} VmaVirtualAllocationInfo;

/* ---------------------------------------------------------------------------------------
 * Functions, in VMA's order. Unless a comment says otherwise: "allocator" is a live
 * allocator, every handle passed belongs to it, and the thread rules of the top of this
 * file apply.
 * ------------------------------------------------------------------------------------- */

/*
 * A vkmalloc extension, here because vmaImportVulkanFunctionsFromVolk below is built on
 * it; usable without volk too. Fills *pDstVulkanFunctions with what
 * pAllocatorCreateInfo's vulkanApiVersion and flags need, fetched through the two given
 * getters (getDeviceProcAddr may be null: it is then asked of getInstanceProcAddr).
 * pAllocatorCreateInfo->pVulkanFunctions is not read. Every member is written; those not
 * needed are null.
 *   pAllocatorCreateInfo  not null; instance and device set.
 *   getInstanceProcAddr   not null.
 *   pDstVulkanFunctions   not null; written.
 * Returns VK_SUCCESS; VK_ERROR_INITIALIZATION_FAILED when a function the create info
 * needs cannot be fetched (debug builds assert, naming it) or a getter or handle is null.
 * Threads: any thread.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST
vkmImportVulkanFunctions(const VmaAllocatorCreateInfo *VMA_NOT_NULL pAllocatorCreateInfo,
                         PFN_vkGetInstanceProcAddr VMA_NULLABLE getInstanceProcAddr,
                         PFN_vkGetDeviceProcAddr VMA_NULLABLE getDeviceProcAddr,
                         VmaVulkanFunctions *VMA_NOT_NULL pDstVulkanFunctions);

#ifdef VOLK_HEADER_VERSION
/*
 * Fills *pDstVulkanFunctions from the entry points volk has loaded, as
 * vkmImportVulkanFunctions does with volk's vkGetInstanceProcAddr and
 * vkGetDeviceProcAddr: the same pointers volk's global functions and volkLoadDeviceTable
 * give. Every member is written; those that the create info's vulkanApiVersion and flags
 * do not need are null. Then pass the table as pAllocatorCreateInfo->pVulkanFunctions to
 * vmaCreateAllocator.
 *   pAllocatorCreateInfo  not null; instance and device set; volkInitialize and
 *                         volkLoadInstance already called.
 *   pDstVulkanFunctions   not null; written.
 * Returns VK_SUCCESS, or VK_ERROR_INITIALIZATION_FAILED (volk not initialised, a needed
 * function missing). Threads: any thread.
 *
 * How: vkmalloc is a compiled library and does not link volk, whose entry points are
 * variables of the program. This inline function is compiled in the program, where
 * volk's variables are visible, and hands them to the library. The library also exports
 * a vmaImportVulkanFunctionsFromVolk symbol, for a program that declares the function
 * itself: that one fetches through the Vulkan loader, which is what volk loads too.
 */
static inline VkResult
vmaImportVulkanFunctionsFromVolk(const VmaAllocatorCreateInfo *VMA_NOT_NULL pAllocatorCreateInfo,
                                 VmaVulkanFunctions *VMA_NOT_NULL pDstVulkanFunctions)
{
    return vkmImportVulkanFunctions(pAllocatorCreateInfo, vkGetInstanceProcAddr,
                                    vkGetDeviceProcAddr, pDstVulkanFunctions);
}
#endif

/*
 * Creates an allocator for one device.
 *   pCreateInfo  not null; see VmaAllocatorCreateInfo (instance, physicalDevice and device
 *                required).
 *   pAllocator   not null; receives the allocator, VK_NULL_HANDLE on failure.
 * Returns VK_SUCCESS; VK_ERROR_OUT_OF_HOST_MEMORY; VK_ERROR_INITIALIZATION_FAILED for an
 * invalid create info or a required Vulkan entry point that cannot be found; or the error of
 * a Vulkan call it makes. Threads: any thread.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAllocator(const VmaAllocatorCreateInfo *VMA_NOT_NULL pCreateInfo,
                   VmaAllocator VMA_NULLABLE *VMA_NOT_NULL pAllocator);

/*
 * Destroys an allocator and releases all its device memory. Null is a no-op. Every pool,
 * allocation and defragmentation context of it should be gone first; any left over is
 * released with it (and reported as a leak in debug builds). Must not overlap any other call
 * on the allocator; then no thread may use it again.
 */
VMA_CALL_PRE void VMA_CALL_POST vmaDestroyAllocator(VmaAllocator VMA_NULLABLE allocator);

/* Writes the instance, physical device and device the allocator was created with.
 *   pAllocatorInfo  not null. */
VMA_CALL_PRE void VMA_CALL_POST vmaGetAllocatorInfo(VmaAllocator VMA_NOT_NULL allocator,
                                                    VmaAllocatorInfo *VMA_NOT_NULL pAllocatorInfo);

/* Sets *ppPhysicalDeviceProperties to the allocator's copy of the physical device's
 * properties, valid for the allocator's life.
 *   ppPhysicalDeviceProperties  not null. */
VMA_CALL_PRE void VMA_CALL_POST vmaGetPhysicalDeviceProperties(
    VmaAllocator VMA_NOT_NULL allocator,
    const VkPhysicalDeviceProperties *VMA_NULLABLE *VMA_NOT_NULL ppPhysicalDeviceProperties);

/* Sets *ppPhysicalDeviceMemoryProperties to the allocator's copy of the memory properties,
 * valid for the allocator's life. Heap sizes are capped by pHeapSizeLimit where given.
 *   ppPhysicalDeviceMemoryProperties  not null. */
VMA_CALL_PRE void VMA_CALL_POST
vmaGetMemoryProperties(VmaAllocator VMA_NOT_NULL allocator,
                       const VkPhysicalDeviceMemoryProperties *VMA_NULLABLE *VMA_NOT_NULL
                           ppPhysicalDeviceMemoryProperties);

/* Writes the property flags of memory type memoryTypeIndex (< memoryTypeCount).
 *   pFlags  not null. */
VMA_CALL_PRE void VMA_CALL_POST
vmaGetMemoryTypeProperties(VmaAllocator VMA_NOT_NULL allocator, uint32_t memoryTypeIndex,
                           VkMemoryPropertyFlags *VMA_NOT_NULL pFlags);

/* Tells the allocator a new frame has begun (frameIndex is any value). With
 * VK_EXT_memory_budget it refreshes the budgets from the driver; vkmalloc may also trim
 * per-thread caches here. Threads: any thread. */
VMA_CALL_PRE void VMA_CALL_POST vmaSetCurrentFrameIndex(VmaAllocator VMA_NOT_NULL allocator,
                                                        uint32_t frameIndex);

/*
 * Computes detailed statistics for every memory type and heap and their total, by walking
 * all blocks: slow, for diagnostics. Under concurrent use the figures may be stale on return,
 * but each is a consistent snapshot, and a type or pool reported empty has no free still in
 * flight (vkmalloc).
 *   pStats  not null; fully written (entries past memoryTypeCount / memoryHeapCount hold
 *           empty statistics: counts 0, minimums VK_WHOLE_SIZE).
 */
VMA_CALL_PRE void VMA_CALL_POST vmaCalculateStatistics(VmaAllocator VMA_NOT_NULL allocator,
                                                       VmaTotalStatistics *VMA_NOT_NULL pStats);

/*
 * Writes the usage and budget of every heap: cheap enough for every frame or allocation.
 *   pBudgets  not null; array of at least memoryHeapCount entries, all written.
 */
VMA_CALL_PRE void VMA_CALL_POST vmaGetHeapBudgets(
    VmaAllocator VMA_NOT_NULL allocator,
    VmaBudget *VMA_NOT_NULL VMA_LEN_IF_NOT_NULL("VkPhysicalDeviceMemoryProperties::memoryHeapCount")
        pBudgets);

/*
 * Chooses the memory type an allocation with these parameters would use, among the types in
 * memoryTypeBits: it must have requiredFlags and match usage, and should have as many of
 * preferredFlags as possible. The AUTO usages need a buffer or image: use the *ForBufferInfo
 * / *ForImageInfo variants.
 *   pAllocationCreateInfo  not null.
 *   pMemoryTypeIndex       not null; receives the index, UINT32_MAX on failure.
 * Returns VK_SUCCESS, or VK_ERROR_FEATURE_NOT_PRESENT when no type qualifies (also for an
 * AUTO usage, which this function cannot resolve).
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaFindMemoryTypeIndex(
    VmaAllocator VMA_NOT_NULL allocator, uint32_t memoryTypeBits,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo,
    uint32_t *VMA_NOT_NULL pMemoryTypeIndex) VKM_VMA_LAYOUT(vmaFindMemoryTypeIndex);

/* As vmaFindMemoryTypeIndex, for a buffer described by pBufferCreateInfo (not null): the
 * memory requirements are queried without binding memory (with a temporary buffer where the
 * device lacks maintenance4). Returns VK_SUCCESS, VK_ERROR_FEATURE_NOT_PRESENT, or the error
 * of creating the temporary buffer. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaFindMemoryTypeIndexForBufferInfo(
    VmaAllocator VMA_NOT_NULL allocator, const VkBufferCreateInfo *VMA_NOT_NULL pBufferCreateInfo,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo,
    uint32_t *VMA_NOT_NULL pMemoryTypeIndex) VKM_VMA_LAYOUT(vmaFindMemoryTypeIndexForBufferInfo);

/* As vmaFindMemoryTypeIndexForBufferInfo, for an image (pImageCreateInfo not null). */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaFindMemoryTypeIndexForImageInfo(
    VmaAllocator VMA_NOT_NULL allocator, const VkImageCreateInfo *VMA_NOT_NULL pImageCreateInfo,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo,
    uint32_t *VMA_NOT_NULL pMemoryTypeIndex) VKM_VMA_LAYOUT(vmaFindMemoryTypeIndexForImageInfo);

/*
 * Creates a custom pool and its minBlockCount blocks.
 *   pCreateInfo  not null.
 *   pPool        not null; receives the pool, VK_NULL_HANDLE on failure.
 * Returns VK_SUCCESS; VK_ERROR_INITIALIZATION_FAILED when minBlockCount > maxBlockCount (or
 * other invalid parameters); VK_ERROR_FEATURE_NOT_PRESENT when memoryTypeIndex is out of
 * range or a type the allocator may not use; VK_ERROR_OUT_OF_HOST_MEMORY; or the error of
 * allocating the initial blocks. Threads: any thread.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreatePool(VmaAllocator VMA_NOT_NULL allocator,
                                                  const VmaPoolCreateInfo *VMA_NOT_NULL pCreateInfo,
                                                  VmaPool VMA_NULLABLE *VMA_NOT_NULL pPool);

/* Destroys a pool and releases its blocks. Null is a no-op. Its allocations must all have
 * been freed; no other call may use the pool during or after this one. */
VMA_CALL_PRE void VMA_CALL_POST vmaDestroyPool(VmaAllocator VMA_NOT_NULL allocator,
                                               VmaPool VMA_NULLABLE pool);

/* Writes the pool's counters (cheap). A pool reported empty has every free into it
 * completed (vkmalloc).
 *   pool, pPoolStats  not null. */
VMA_CALL_PRE void VMA_CALL_POST vmaGetPoolStatistics(VmaAllocator VMA_NOT_NULL allocator,
                                                     VmaPool VMA_NOT_NULL pool,
                                                     VmaStatistics *VMA_NOT_NULL pPoolStats);

/* Computes the pool's detailed statistics by walking its blocks (slow). Same guarantee as
 * vmaGetPoolStatistics.
 *   pool, pPoolStats  not null. */
VMA_CALL_PRE void VMA_CALL_POST
vmaCalculatePoolStatistics(VmaAllocator VMA_NOT_NULL allocator, VmaPool VMA_NOT_NULL pool,
                           VmaDetailedStatistics *VMA_NOT_NULL pPoolStats);

/*
 * Verifies the guard margins around every allocation of the pool (corruption detection).
 * Returns VK_SUCCESS when checked and intact; VK_ERROR_FEATURE_NOT_PRESENT when the pool is
 * not checkable (detection off for the allocator: vkmSetDebugOptions in vkmalloc.h or the
 * VKMALLOC_DEBUG_* build options turn it on; or a memory type that is not HOST_VISIBLE and
 * HOST_COHERENT); VK_ERROR_UNKNOWN when a margin was overwritten (also a debug assertion);
 * or the error of mapping the memory.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCheckPoolCorruption(VmaAllocator VMA_NOT_NULL allocator,
                                                           VmaPool VMA_NOT_NULL pool);

/* Sets *ppName to the pool's name, or null if it has none. The string is owned by the pool
 * and valid until the name is changed or the pool destroyed.
 *   pool, ppName  not null. */
VMA_CALL_PRE void VMA_CALL_POST vmaGetPoolName(VmaAllocator VMA_NOT_NULL allocator,
                                               VmaPool VMA_NOT_NULL pool,
                                               const char *VMA_NULLABLE *VMA_NOT_NULL ppName);

/* Sets the pool's name to a copy of pName (null-terminated), or clears it when pName is
 * null. Must not overlap vmaGetPoolName on the same pool or the use of its old result. */
VMA_CALL_PRE void VMA_CALL_POST vmaSetPoolName(VmaAllocator VMA_NOT_NULL allocator,
                                               VmaPool VMA_NOT_NULL pool,
                                               const char *VMA_NULLABLE pName);

/*
 * Allocates memory for the given requirements (size, power-of-two alignment,
 * memoryTypeBits). Prefer vmaCreateBuffer / vmaCreateImage, which know the resource.
 *   pVkMemoryRequirements  not null; size not zero.
 *   pCreateInfo            not null.
 *   pAllocation            not null; receives the allocation, VK_NULL_HANDLE on failure.
 *   pAllocationInfo        may be null; else receives the allocation's state.
 * Returns VK_SUCCESS; VK_ERROR_INITIALIZATION_FAILED for a zero size;
 * VK_ERROR_FEATURE_NOT_PRESENT when no memory type qualifies or the flags contradict each
 * other or the pool; VK_ERROR_OUT_OF_DEVICE_MEMORY when no room can be found or made
 * (including NEVER_ALLOCATE, WITHIN_BUDGET, heap limits, a full pool);
 * VK_ERROR_OUT_OF_HOST_MEMORY; or the error of vkAllocateMemory (e.g.
 * VK_ERROR_TOO_MANY_OBJECTS) or of vkMapMemory for MAPPED_BIT.
 * Free with vmaFreeMemory (from any thread).
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaAllocateMemory(
    VmaAllocator VMA_NOT_NULL allocator,
    const VkMemoryRequirements *VMA_NOT_NULL pVkMemoryRequirements,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pCreateInfo,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo) VKM_VMA_LAYOUT(vmaAllocateMemory);

#if VKM_VMA_3_4
/*
 * (VMA 3.4) As vmaAllocateMemory, always with a VkDeviceMemory of its own
 * (VMA_ALLOCATION_CREATE_DEDICATED_MEMORY_BIT implied), whose VkMemoryAllocateInfo
 * carries pMemoryAllocateNext (e.g. an import or export structure). In a custom pool the
 * chain replaces the pool's pMemoryAllocateNext.
 *   pMemoryAllocateNext  null or a valid pNext chain, read during the call only.
 * Returns as vmaAllocateMemory; VK_ERROR_FEATURE_NOT_PRESENT with NEVER_ALLOCATE or a
 * pool with an explicit blockSize (no dedicated memory there).
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaAllocateDedicatedMemory(
    VmaAllocator VMA_NOT_NULL allocator,
    const VkMemoryRequirements *VMA_NOT_NULL pVkMemoryRequirements,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pCreateInfo,
    void *VMA_NULLABLE VMA_EXTENDS_VK_STRUCT(VkMemoryAllocateInfo) pMemoryAllocateNext,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo);
#endif

/*
 * Makes allocationCount allocations at once (e.g. pages of a sparse resource), all with the
 * same memory type and pool. All or nothing: on failure every allocation made so far is
 * freed and all allocationCount handles are VK_NULL_HANDLE.
 *   pVkMemoryRequirements, pCreateInfo  not null; each read as a single struct that applies
 *                                       to every allocation.
 *   pAllocations      not null; array of allocationCount handles, all written.
 *   pAllocationInfo   may be null; else array of allocationCount entries.
 * allocationCount 0 returns VK_SUCCESS and does nothing. Errors as vmaAllocateMemory.
 * Free with vmaFreeMemoryPages or one by one with vmaFreeMemory.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaAllocateMemoryPages(
    VmaAllocator VMA_NOT_NULL allocator,
    const VkMemoryRequirements *VMA_NOT_NULL VMA_LEN_IF_NOT_NULL(allocationCount)
        pVkMemoryRequirements,
    const VmaAllocationCreateInfo *VMA_NOT_NULL VMA_LEN_IF_NOT_NULL(allocationCount) pCreateInfo,
    size_t allocationCount,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL VMA_LEN_IF_NOT_NULL(allocationCount) pAllocations,
    VmaAllocationInfo *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(allocationCount) pAllocationInfo)
    VKM_VMA_LAYOUT(vmaAllocateMemoryPages);

/* As vmaAllocateMemory, with the requirements of buffer (not null, created by the program);
 * honours a driver request for dedicated memory. Does not bind: use vmaBindBufferMemory.
 * Free with vmaFreeMemory. Errors as vmaAllocateMemory. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaAllocateMemoryForBuffer(
    VmaAllocator VMA_NOT_NULL allocator, VkBuffer VMA_NOT_NULL_NON_DISPATCHABLE buffer,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pCreateInfo,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo) VKM_VMA_LAYOUT(vmaAllocateMemoryForBuffer);

/* As vmaAllocateMemoryForBuffer, for image (not null). Bind with vmaBindImageMemory. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaAllocateMemoryForImage(
    VmaAllocator VMA_NOT_NULL allocator, VkImage VMA_NOT_NULL_NON_DISPATCHABLE image,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pCreateInfo,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo) VKM_VMA_LAYOUT(vmaAllocateMemoryForImage);

/* Frees an allocation made by any vmaAllocateMemory* / vmaCreate* function (the bound
 * resource, if any, is the program's to destroy). Null is a no-op. Any thread may free, not
 * only the one that allocated. Every vmaMapMemory of it must have been unmapped; the
 * permanent mapping of MAPPED_BIT goes with it. The handle is invalid afterwards. */
VMA_CALL_PRE void VMA_CALL_POST vmaFreeMemory(VmaAllocator VMA_NOT_NULL allocator,
                                              VmaAllocation VMA_NULLABLE allocation);

/* Frees allocationCount allocations, from any pools and memory types. Null entries are
 * skipped.
 *   pAllocations  not null; array of allocationCount handles. */
VMA_CALL_PRE void VMA_CALL_POST vmaFreeMemoryPages(
    VmaAllocator VMA_NOT_NULL allocator, size_t allocationCount,
    const VmaAllocation VMA_NULLABLE *VMA_NOT_NULL VMA_LEN_IF_NOT_NULL(allocationCount)
        pAllocations);

/* Writes the allocation's current state. Cheap, takes no lock in the common case. Safe
 * during defragmentation for an allocation the current pass is not moving (vkmalloc).
 *   allocation, pAllocationInfo  not null. */
VMA_CALL_PRE void VMA_CALL_POST
vmaGetAllocationInfo(VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
                     VmaAllocationInfo *VMA_NOT_NULL pAllocationInfo);

/* As vmaGetAllocationInfo, plus the block size and whether the memory is dedicated. */
VMA_CALL_PRE void VMA_CALL_POST
vmaGetAllocationInfo2(VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
                      VmaAllocationInfo2 *VMA_NOT_NULL pAllocationInfo);

/* Replaces the allocation's pUserData (stored, never dereferenced). */
VMA_CALL_PRE void VMA_CALL_POST vmaSetAllocationUserData(VmaAllocator VMA_NOT_NULL allocator,
                                                         VmaAllocation VMA_NOT_NULL allocation,
                                                         void *VMA_NULLABLE pUserData);

/* Sets the allocation's name to a copy of pName (null-terminated), or clears it when pName
 * is null; the previous name string is freed. */
VMA_CALL_PRE void VMA_CALL_POST vmaSetAllocationName(VmaAllocator VMA_NOT_NULL allocator,
                                                     VmaAllocation VMA_NOT_NULL allocation,
                                                     const char *VMA_NULLABLE pName);

/* Writes the property flags of the allocation's memory type.
 *   allocation, pFlags  not null. */
VMA_CALL_PRE void VMA_CALL_POST vmaGetAllocationMemoryProperties(
    VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
    VkMemoryPropertyFlags *VMA_NOT_NULL pFlags);

#if VMA_EXTERNAL_MEMORY_WIN32
/*
 * Exports a Win32 handle to the whole VkDeviceMemory holding the allocation (mind
 * VmaAllocationInfo::offset when the block is shared), for use in hTargetProcess (null = the
 * calling process). The program closes it with CloseHandle, before or after freeing the
 * allocation.
 *   pHandle  not null; receives the handle.
 * Returns VK_SUCCESS; VK_ERROR_FEATURE_NOT_PRESENT when vkGetMemoryWin32HandleKHR is not
 * available (extension not enabled, entry point not found); or the error of that call.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaGetMemoryWin32Handle(
    VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
    HANDLE VMA_NULLABLE hTargetProcess, HANDLE VMA_NULLABLE *VMA_NOT_NULL pHandle);
#endif

/*
 * Maps the allocation and sets *ppData to its first byte (already offset into the block:
 * do not add VmaAllocationInfo::offset). Reference-counted: each call needs one
 * vmaUnmapMemory, and MAPPED_BIT's permanent mapping is separate from these. Allocations
 * sharing a block may be mapped concurrently from different threads. No cache maintenance:
 * use vmaFlushAllocation / vmaInvalidateAllocation on memory that is not HOST_COHERENT.
 *   ppData  not null; receives the pointer, null on failure.
 * Returns VK_SUCCESS; VK_ERROR_MEMORY_MAP_FAILED when the type is not HOST_VISIBLE or the map
 * count overflows; or the error of vkMapMemory.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaMapMemory(VmaAllocator VMA_NOT_NULL allocator,
                                                 VmaAllocation VMA_NOT_NULL allocation,
                                                 void *VMA_NULLABLE *VMA_NOT_NULL ppData);

/* Releases one vmaMapMemory of the allocation; the block is unmapped when its last mapping
 * goes. No cache maintenance. */
VMA_CALL_PRE void VMA_CALL_POST vmaUnmapMemory(VmaAllocator VMA_NOT_NULL allocator,
                                               VmaAllocation VMA_NOT_NULL allocation);

/*
 * Makes host writes to [offset, offset + size) of the allocation visible to the device
 * (vkFlushMappedMemoryRanges). offset is relative to the allocation, not the block; size may
 * be VK_WHOLE_SIZE (to the end); both are widened to nonCoherentAtomSize as needed. Does
 * nothing and returns VK_SUCCESS when size is 0 or the memory is HOST_COHERENT or not
 * HOST_VISIBLE. Returns VK_SUCCESS or the error of vkFlushMappedMemoryRanges.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaFlushAllocation(VmaAllocator VMA_NOT_NULL allocator,
                                                       VmaAllocation VMA_NOT_NULL allocation,
                                                       VkDeviceSize offset, VkDeviceSize size);

/* The reverse of vmaFlushAllocation: makes device writes visible to host reads
 * (vkInvalidateMappedMemoryRanges). Same range rules and results. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaInvalidateAllocation(VmaAllocator VMA_NOT_NULL allocator,
                                                            VmaAllocation VMA_NOT_NULL allocation,
                                                            VkDeviceSize offset, VkDeviceSize size);

/*
 * vmaFlushAllocation for allocationCount allocations in one Vulkan call.
 *   allocations  array of allocationCount handles (may be null only when the count is 0).
 *   offsets      null (all 0) or array of allocationCount offsets.
 *   sizes        null (all VK_WHOLE_SIZE) or array of allocationCount sizes.
 * Returns VK_SUCCESS or the error of vkFlushMappedMemoryRanges.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaFlushAllocations(
    VmaAllocator VMA_NOT_NULL allocator, uint32_t allocationCount,
    const VmaAllocation VMA_NOT_NULL *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(allocationCount) allocations,
    const VkDeviceSize *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(allocationCount) offsets,
    const VkDeviceSize *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(allocationCount) sizes);

/* vmaInvalidateAllocation for several allocations; arguments as vmaFlushAllocations. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaInvalidateAllocations(
    VmaAllocator VMA_NOT_NULL allocator, uint32_t allocationCount,
    const VmaAllocation VMA_NOT_NULL *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(allocationCount) allocations,
    const VkDeviceSize *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(allocationCount) offsets,
    const VkDeviceSize *VMA_NULLABLE VMA_LEN_IF_NOT_NULL(allocationCount) sizes);

/*
 * Copies size bytes from host memory into the allocation at dstAllocationLocalOffset
 * (relative to the allocation), mapping temporarily if needed and flushing afterwards. The
 * allocation must be HOST_VISIBLE (e.g. AUTO usage with a HOST_ACCESS bit).
 *   pSrcHostPointer  not null; size bytes.
 * Returns VK_SUCCESS, or the error of mapping or flushing.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCopyMemoryToAllocation(VmaAllocator VMA_NOT_NULL allocator,
                          const void *VMA_NOT_NULL VMA_LEN_IF_NOT_NULL(size) pSrcHostPointer,
                          VmaAllocation VMA_NOT_NULL dstAllocation,
                          VkDeviceSize dstAllocationLocalOffset, VkDeviceSize size);

/*
 * Copies size bytes from the allocation at srcAllocationLocalOffset into host memory,
 * invalidating first and mapping temporarily if needed. The allocation must be HOST_VISIBLE;
 * HOST_CACHED memory (HOST_ACCESS_RANDOM) makes it fast.
 *   pDstHostPointer  not null; size bytes.
 * Returns VK_SUCCESS, or the error of invalidating or mapping.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCopyAllocationToMemory(
    VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL srcAllocation,
    VkDeviceSize srcAllocationLocalOffset,
    void *VMA_NOT_NULL VMA_LEN_IF_NOT_NULL(size) pDstHostPointer, VkDeviceSize size);

/* As vmaCheckPoolCorruption, over the memory types in memoryTypeBits, default and custom
 * pools alike. VK_ERROR_FEATURE_NOT_PRESENT when none of those types is checkable. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCheckCorruption(VmaAllocator VMA_NOT_NULL allocator,
                                                       uint32_t memoryTypeBits);

/*
 * Starts a defragmentation of one custom pool or of all default pools.
 *   pInfo     not null.
 *   pContext  not null; receives the context, VK_NULL_HANDLE on failure.
 * Returns VK_SUCCESS; VK_ERROR_FEATURE_NOT_PRESENT for a pool with the linear algorithm;
 * VK_ERROR_OUT_OF_HOST_MEMORY. Other threads may keep allocating and freeing meanwhile, in
 * the pools being compacted and elsewhere, except that allocations listed in the current
 * pass must not be freed before the pass ends.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaBeginDefragmentation(
    VmaAllocator VMA_NOT_NULL allocator, const VmaDefragmentationInfo *VMA_NOT_NULL pInfo,
    VmaDefragmentationContext VMA_NULLABLE *VMA_NOT_NULL pContext);

/* Finishes a defragmentation and destroys its context.
 *   context  not null.
 *   pStats   may be null; else receives the totals. */
VMA_CALL_PRE void VMA_CALL_POST vmaEndDefragmentation(
    VmaAllocator VMA_NOT_NULL allocator, VmaDefragmentationContext VMA_NOT_NULL context,
    VmaDefragmentationStats *VMA_NULLABLE pStats);

/*
 * Computes the next pass: picks allocations to move and reserves their destinations.
 *   context    not null.
 *   pPassInfo  not null; receives the moves.
 * Returns VK_SUCCESS when nothing is left to move (no need for vmaEndDefragmentationPass);
 * VK_INCOMPLETE when pPassInfo lists moves: perform them, then call
 * vmaEndDefragmentationPass; or an allocation error.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaBeginDefragmentationPass(
    VmaAllocator VMA_NOT_NULL allocator, VmaDefragmentationContext VMA_NOT_NULL context,
    VmaDefragmentationPassMoveInfo *VMA_NOT_NULL pPassInfo);

/*
 * Commits the pass in pPassInfo (as returned by vmaBeginDefragmentationPass, operations
 * possibly edited): COPY moves repoint srcAllocation to the new place, IGNORE moves release
 * the destination, DESTROY moves free both; emptied blocks are released.
 * Returns VK_SUCCESS when defragmentation is complete, or VK_INCOMPLETE when another pass may
 * help.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaEndDefragmentationPass(
    VmaAllocator VMA_NOT_NULL allocator, VmaDefragmentationContext VMA_NOT_NULL context,
    VmaDefragmentationPassMoveInfo *VMA_NOT_NULL pPassInfo);

/* Binds buffer (not null) to the allocation's memory at its offset. Use this rather than
 * vkBindBufferMemory: it serializes against other binds and maps of the same VkDeviceMemory,
 * as Vulkan requires. Returns VK_SUCCESS or the error of the bind call. */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBindBufferMemory(VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
                    VkBuffer VMA_NOT_NULL_NON_DISPATCHABLE buffer);

/* As vmaBindBufferMemory, at allocationLocalOffset bytes into the allocation, with pNext
 * chained to VkBindBufferMemoryInfo. A non-null pNext needs Vulkan 1.1 or
 * VMA_ALLOCATOR_CREATE_KHR_BIND_MEMORY2_BIT, else VK_ERROR_EXTENSION_NOT_PRESENT. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaBindBufferMemory2(
    VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
    VkDeviceSize allocationLocalOffset, VkBuffer VMA_NOT_NULL_NON_DISPATCHABLE buffer,
    const void *VMA_NULLABLE VMA_EXTENDS_VK_STRUCT(VkBindBufferMemoryInfoKHR) pNext);

/* As vmaBindBufferMemory, for image (not null). */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaBindImageMemory(VmaAllocator VMA_NOT_NULL allocator,
                                                       VmaAllocation VMA_NOT_NULL allocation,
                                                       VkImage VMA_NOT_NULL_NON_DISPATCHABLE image);

/* As vmaBindBufferMemory2, for image (not null). */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaBindImageMemory2(VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
                    VkDeviceSize allocationLocalOffset, VkImage VMA_NOT_NULL_NON_DISPATCHABLE image,
                    const void *VMA_NULLABLE VMA_EXTENDS_VK_STRUCT(VkBindImageMemoryInfoKHR) pNext);

/*
 * Creates a buffer, allocates memory for it (dedicated when the driver asks for it and
 * NEVER_ALLOCATE is not set) and binds the two (unless DONT_BIND).
 *   pBufferCreateInfo      not null; size not zero.
 *   pAllocationCreateInfo  not null.
 *   pBuffer, pAllocation   not null; receive the results, both VK_NULL_HANDLE on failure
 *                          (nothing is left behind).
 *   pAllocationInfo        may be null; else receives the allocation's state.
 * Returns VK_SUCCESS; VK_ERROR_INITIALIZATION_FAILED for a zero size; the errors of
 * vmaAllocateMemory; or the error of vkCreateBuffer / the bind call.
 * Destroy with vmaDestroyBuffer.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreateBuffer(
    VmaAllocator VMA_NOT_NULL allocator, const VkBufferCreateInfo *VMA_NOT_NULL pBufferCreateInfo,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo,
    VkBuffer VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pBuffer,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo) VKM_VMA_LAYOUT(vmaCreateBuffer);

/* As vmaCreateBuffer, placing the buffer at an offset aligned to at least minAlignment (a
 * power of two), e.g. for interop. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreateBufferWithAlignment(
    VmaAllocator VMA_NOT_NULL allocator, const VkBufferCreateInfo *VMA_NOT_NULL pBufferCreateInfo,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo, VkDeviceSize minAlignment,
    VkBuffer VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pBuffer,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo) VKM_VMA_LAYOUT(vmaCreateBufferWithAlignment);

#if VKM_VMA_3_4
/* (VMA 3.4) As vmaCreateBuffer, always with dedicated memory whose VkMemoryAllocateInfo
 * carries pMemoryAllocateNext (null or a valid chain); see vmaAllocateDedicatedMemory. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreateDedicatedBuffer(
    VmaAllocator VMA_NOT_NULL allocator, const VkBufferCreateInfo *VMA_NOT_NULL pBufferCreateInfo,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo,
    void *VMA_NULLABLE VMA_EXTENDS_VK_STRUCT(VkMemoryAllocateInfo) pMemoryAllocateNext,
    VkBuffer VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pBuffer,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo);
#endif

/*
 * Creates a buffer and binds it at the start of an existing allocation (aliasing). The
 * buffer must fit in the allocation. Destroy it with vkDestroyBuffer (or with
 * vmaDestroyBuffer to free the allocation too).
 *   pBufferCreateInfo  not null; size not zero.
 *   pBuffer            not null; receives the buffer, VK_NULL_HANDLE on failure.
 * Returns VK_SUCCESS; VK_ERROR_INITIALIZATION_FAILED for a zero size (or a
 * SHADER_DEVICE_ADDRESS usage without VMA_ALLOCATOR_CREATE_BUFFER_DEVICE_ADDRESS_BIT);
 * VK_ERROR_VALIDATION_FAILED_EXT (after a debug assert) when the buffer's memory
 * requirements do not fit: larger than the rest of the allocation, not accepting its
 * memory type, or an alignment the resulting offset misses; or the error of
 * vkCreateBuffer / the bind call. On failure no buffer is left.
 * Threads: as vmaBindBufferMemory (the allocation may be used by other threads).
 */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAliasingBuffer(VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
                        const VkBufferCreateInfo *VMA_NOT_NULL pBufferCreateInfo,
                        VkBuffer VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pBuffer);

/* As vmaCreateAliasingBuffer, binding allocationLocalOffset bytes into the allocation. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreateAliasingBuffer2(
    VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
    VkDeviceSize allocationLocalOffset, const VkBufferCreateInfo *VMA_NOT_NULL pBufferCreateInfo,
    VkBuffer VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pBuffer);

/* Destroys buffer with vkDestroyBuffer, then frees allocation. Either or both may be null. */
VMA_CALL_PRE void VMA_CALL_POST vmaDestroyBuffer(VmaAllocator VMA_NOT_NULL allocator,
                                                 VkBuffer VMA_NULLABLE_NON_DISPATCHABLE buffer,
                                                 VmaAllocation VMA_NULLABLE allocation);

/* As vmaCreateBuffer, for an image. VK_ERROR_INITIALIZATION_FAILED for a zero extent, mip
 * count or layer count. Destroy with vmaDestroyImage. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreateImage(
    VmaAllocator VMA_NOT_NULL allocator, const VkImageCreateInfo *VMA_NOT_NULL pImageCreateInfo,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo,
    VkImage VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pImage,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo) VKM_VMA_LAYOUT(vmaCreateImage);

#if VKM_VMA_3_4
/* (VMA 3.4) As vmaCreateDedicatedBuffer, for an image. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreateDedicatedImage(
    VmaAllocator VMA_NOT_NULL allocator, const VkImageCreateInfo *VMA_NOT_NULL pImageCreateInfo,
    const VmaAllocationCreateInfo *VMA_NOT_NULL pAllocationCreateInfo,
    void *VMA_NULLABLE VMA_EXTENDS_VK_STRUCT(VkMemoryAllocateInfo) pMemoryAllocateNext,
    VkImage VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pImage,
    VmaAllocation VMA_NULLABLE *VMA_NOT_NULL pAllocation,
    VmaAllocationInfo *VMA_NULLABLE pAllocationInfo);
#endif

/* As vmaCreateAliasingBuffer, for an image. */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateAliasingImage(VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
                       const VkImageCreateInfo *VMA_NOT_NULL pImageCreateInfo,
                       VkImage VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pImage);

/* As vmaCreateAliasingBuffer2, for an image. */
VMA_CALL_PRE VkResult VMA_CALL_POST vmaCreateAliasingImage2(
    VmaAllocator VMA_NOT_NULL allocator, VmaAllocation VMA_NOT_NULL allocation,
    VkDeviceSize allocationLocalOffset, const VkImageCreateInfo *VMA_NOT_NULL pImageCreateInfo,
    VkImage VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pImage);

/* Destroys image with vkDestroyImage, then frees allocation. Either or both may be null. */
VMA_CALL_PRE void VMA_CALL_POST vmaDestroyImage(VmaAllocator VMA_NOT_NULL allocator,
                                                VkImage VMA_NULLABLE_NON_DISPATCHABLE image,
                                                VmaAllocation VMA_NULLABLE allocation);

/*
 * Creates a virtual block. No allocator needed; no device memory involved.
 *   pCreateInfo    not null; size not zero.
 *   pVirtualBlock  not null; receives the block, VK_NULL_HANDLE on failure.
 * Returns VK_SUCCESS, VK_ERROR_INITIALIZATION_FAILED for a zero size, or
 * VK_ERROR_OUT_OF_HOST_MEMORY. Threads: any thread.
 */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaCreateVirtualBlock(const VmaVirtualBlockCreateInfo *VMA_NOT_NULL pCreateInfo,
                      VmaVirtualBlock VMA_NULLABLE *VMA_NOT_NULL pVirtualBlock);

/* Destroys a virtual block. Null is a no-op. It should be empty (vmaVirtualFree each
 * allocation or vmaClearVirtualBlock); leftovers are a leak of the program's, reported by
 * an assert in debug builds as VMA does, and the block is freed either way. pUserData
 * values are not touched: release what they point to first. */
VMA_CALL_PRE void VMA_CALL_POST vmaDestroyVirtualBlock(VmaVirtualBlock VMA_NULLABLE virtualBlock);

/* VK_TRUE when the block holds no allocation. */
VMA_CALL_PRE VkBool32 VMA_CALL_POST
vmaIsVirtualBlockEmpty(VmaVirtualBlock VMA_NOT_NULL virtualBlock);

/* Writes the offset, size and pUserData of a live allocation of the block.
 *   allocation, pVirtualAllocInfo  not null. */
VMA_CALL_PRE void VMA_CALL_POST
vmaGetVirtualAllocationInfo(VmaVirtualBlock VMA_NOT_NULL virtualBlock,
                            VmaVirtualAllocation VMA_NOT_NULL_NON_DISPATCHABLE allocation,
                            VmaVirtualAllocationInfo *VMA_NOT_NULL pVirtualAllocInfo);

/*
 * Reserves a range of the block.
 *   pCreateInfo  not null; size not zero, alignment 0 or a power of two.
 *   pAllocation  not null; receives the handle, VK_NULL_HANDLE on failure.
 *   pOffset      may be null; else receives the offset, UINT64_MAX on failure.
 *   pCreateInfo->flags  UPPER_ADDRESS only in a block created with
 *                LINEAR_ALGORITHM_BIT (the upper stack of a double stack).
 * Returns VK_SUCCESS, or VK_ERROR_OUT_OF_DEVICE_MEMORY when no free range fits (no device
 * memory is involved; the code is VMA's), or VK_ERROR_OUT_OF_HOST_MEMORY;
 * VK_ERROR_VALIDATION_FAILED_EXT for a null argument, a zero size or an alignment that is
 * not a power of two; VK_ERROR_FEATURE_NOT_PRESENT for UPPER_ADDRESS in a TLSF block. In a
 * linear block an UPPER_ADDRESS request while the block is used as a wrapped ring buffer,
 * or a wrapping request while the upper stack is in use, is out of room
 * (VK_ERROR_OUT_OF_DEVICE_MEMORY).
 */
VMA_CALL_PRE VkResult VMA_CALL_POST
vmaVirtualAllocate(VmaVirtualBlock VMA_NOT_NULL virtualBlock,
                   const VmaVirtualAllocationCreateInfo *VMA_NOT_NULL pCreateInfo,
                   VmaVirtualAllocation VMA_NULLABLE_NON_DISPATCHABLE *VMA_NOT_NULL pAllocation,
                   VkDeviceSize *VMA_NULLABLE pOffset);

/* Releases one range of the block. VK_NULL_HANDLE is a no-op (virtualBlock may then be
 * null too); a handle that is not live in this block is reported and ignored. */
VMA_CALL_PRE void VMA_CALL_POST
vmaVirtualFree(VmaVirtualBlock VMA_NOT_NULL virtualBlock,
               VmaVirtualAllocation VMA_NULLABLE_NON_DISPATCHABLE allocation);

/* Releases every range of the block at once. pUserData values are not touched. */
VMA_CALL_PRE void VMA_CALL_POST vmaClearVirtualBlock(VmaVirtualBlock VMA_NOT_NULL virtualBlock);

/* Replaces the pUserData of a live allocation of the block. */
VMA_CALL_PRE void VMA_CALL_POST vmaSetVirtualAllocationUserData(
    VmaVirtualBlock VMA_NOT_NULL virtualBlock,
    VmaVirtualAllocation VMA_NOT_NULL_NON_DISPATCHABLE allocation, void *VMA_NULLABLE pUserData);

/* Writes the block's counters (cheap). The block counts as one block of its whole size.
 *   pStats  not null. */
VMA_CALL_PRE void VMA_CALL_POST vmaGetVirtualBlockStatistics(
    VmaVirtualBlock VMA_NOT_NULL virtualBlock, VmaStatistics *VMA_NOT_NULL pStats);

/* Computes the block's detailed statistics (walks all ranges).
 *   pStats  not null. */
VMA_CALL_PRE void VMA_CALL_POST vmaCalculateVirtualBlockStatistics(
    VmaVirtualBlock VMA_NOT_NULL virtualBlock, VmaDetailedStatistics *VMA_NOT_NULL pStats);

#if VMA_STATS_STRING_ENABLED
/* Builds a JSON description of the virtual block: its statistics, and with detailedMap =
 * VK_TRUE every allocation and free range.
 *   ppStatsString  not null; receives a null-terminated string owned by the caller, to be
 *                  released with vmaFreeVirtualBlockStatsString; null if out of memory. */
VMA_CALL_PRE void VMA_CALL_POST vmaBuildVirtualBlockStatsString(
    VmaVirtualBlock VMA_NOT_NULL virtualBlock, char *VMA_NULLABLE *VMA_NOT_NULL ppStatsString,
    VkBool32 detailedMap);

/* Releases a string from vmaBuildVirtualBlockStatsString of the same block. Null is a
 * no-op. */
VMA_CALL_PRE void VMA_CALL_POST vmaFreeVirtualBlockStatsString(
    VmaVirtualBlock VMA_NOT_NULL virtualBlock, char *VMA_NULLABLE pStatsString);

/* Builds a JSON description of the allocator: device properties, budgets, statistics per
 * heap, type and pool, and with detailedMap = VK_TRUE every block's allocations and free
 * ranges. Slow; for diagnostics. Threads: any thread.
 *   ppStatsString  not null; receives a null-terminated string owned by the caller, to be
 *                  released with vmaFreeStatsString; null if out of memory. */
VMA_CALL_PRE void VMA_CALL_POST vmaBuildStatsString(VmaAllocator VMA_NOT_NULL allocator,
                                                    char *VMA_NULLABLE *VMA_NOT_NULL ppStatsString,
                                                    VkBool32 detailedMap);

/* Releases a string from vmaBuildStatsString of the same allocator. Null is a no-op. */
VMA_CALL_PRE void VMA_CALL_POST vmaFreeStatsString(VmaAllocator VMA_NOT_NULL allocator,
                                                   char *VMA_NULLABLE pStatsString);
#endif /* VMA_STATS_STRING_ENABLED */

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif /* AMD_VULKAN_MEMORY_ALLOCATOR_H */

/* The implementation file of a VMA program (VMA_IMPLEMENTATION): VMA's debugging macros
 * reach the library through vkmalloc.h before main, once per program. Outside the include
 * guard, as VMA's implementation section is, so a file that includes this header before
 * defining VMA_IMPLEMENTATION still gets it. */
#if defined(VMA_IMPLEMENTATION) && !defined(VKM_VMA_IMPLEMENTATION_EMITTED) &&                 \
    (defined(VMA_DEBUG_MARGIN) || defined(VMA_DEBUG_DETECT_CORRUPTION) ||                      \
     defined(VMA_DEBUG_INITIALIZE_ALLOCATIONS) || defined(VMA_ASSERT))
#define VKM_VMA_IMPLEMENTATION_EMITTED
#include <stdio.h>

#include "vkmalloc.h"

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-extension"
#endif

#if defined(VMA_ASSERT)
/* The library's assertion, as the program's VMA_ASSERT would see one of VMA's. */
static void
vkm_vma_assert_bridge(const char *VMA_NULLABLE message, const char *VMA_NULLABLE expression,
                      const char *VMA_NULLABLE file, int line, void *VMA_NULLABLE user_data)
{
    (void)user_data;
    fprintf(stderr, "vkmalloc: %s (%s) at %s:%d\n", message, expression, file, line);
    VMA_ASSERT(0 && "vkmalloc assertion (message on stderr)");
}
#endif

#if defined(__GNUC__) || defined(__clang__)
__attribute__((constructor))
#endif
static void
vkm_vma_debug_macros(void)
{
    VkmDebugOptions options;
    vkmGetDebugOptions(VK_NULL_HANDLE, &options);
#if defined(VMA_DEBUG_MARGIN)
    options.margin = (VkDeviceSize)(VMA_DEBUG_MARGIN);
#endif
#if defined(VMA_DEBUG_DETECT_CORRUPTION)
    options.detectCorruption = (VMA_DEBUG_DETECT_CORRUPTION) ? VK_TRUE : VK_FALSE;
#endif
#if defined(VMA_DEBUG_INITIALIZE_ALLOCATIONS)
    options.initializeAllocations = (VMA_DEBUG_INITIALIZE_ALLOCATIONS) ? VK_TRUE : VK_FALSE;
#endif
    if (vkmSetDebugOptions(&options) != VK_SUCCESS)
        fprintf(stderr, "vkmalloc: VMA_DEBUG_MARGIN must be at most %u and, with "
                        "VMA_DEBUG_DETECT_CORRUPTION, a multiple of 4: debug macros ignored\n",
                (unsigned)VKM_DEBUG_MAX_MARGIN);
#if defined(VMA_ASSERT)
    vkmSetAssertHandler(vkm_vma_assert_bridge, NULL);
#endif
}

#if defined(__clang__)
#pragma clang diagnostic pop
#endif
#endif /* VMA_IMPLEMENTATION with debugging macros */

