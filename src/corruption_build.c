/* SPDX-License-Identifier: MIT */
/*
 * corruption_build.c - the build's default debug options: VMA's VMA_DEBUG_MARGIN,
 * VMA_DEBUG_DETECT_CORRUPTION and VMA_DEBUG_INITIALIZE_ALLOCATIONS, given as compile
 * definitions of the library (CMake options VKMALLOC_DEBUG_*). Run-time options
 * (vkmSetDebugOptions) replace them.
 *
 * Its own translation unit, holding nothing else, so that the only file that reads the
 * macros is small and a test can link a copy compiled with other values ahead of the
 * static library's (tests/CMakeLists.txt: test_corruption_build).
 */
#include "corruption.h"

#ifndef VMA_DEBUG_MARGIN
#define VMA_DEBUG_MARGIN 0
#endif
#ifndef VMA_DEBUG_DETECT_CORRUPTION
#define VMA_DEBUG_DETECT_CORRUPTION 0
#endif
#ifndef VMA_DEBUG_INITIALIZE_ALLOCATIONS
#define VMA_DEBUG_INITIALIZE_ALLOCATIONS 0
#endif

_Static_assert(VMA_DEBUG_MARGIN >= 0 && VMA_DEBUG_MARGIN <= VKM_DEBUG_MAX_MARGIN,
               "VMA_DEBUG_MARGIN must be within 0 .. VKM_DEBUG_MAX_MARGIN");
/* The magic value is written in 32-bit words, as VMA requires. */
_Static_assert(!VMA_DEBUG_DETECT_CORRUPTION || VMA_DEBUG_MARGIN % 4 == 0,
               "VMA_DEBUG_MARGIN must be a multiple of 4 with VMA_DEBUG_DETECT_CORRUPTION");

void
vkm_corruption_build_defaults(VkmDebugOptions *out)
{
    out->margin = (VkDeviceSize)(VMA_DEBUG_MARGIN);
    out->detectCorruption = (VMA_DEBUG_DETECT_CORRUPTION) ? VK_TRUE : VK_FALSE;
    out->initializeAllocations = (VMA_DEBUG_INITIALIZE_ALLOCATIONS) ? VK_TRUE : VK_FALSE;
}
