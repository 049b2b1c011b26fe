/* SPDX-License-Identifier: MIT */
/*
 * common.h - the public headers as the library sees them (layer L0).
 *
 * Every library source that defines a public function includes this instead of
 * vk_mem_alloc.h directly: it marks vma* / vkm* functions for export from a library
 * built with -fvisibility=hidden. Nothing else is exported.
 */
#ifndef VKM_COMMON_H
#define VKM_COMMON_H

#define VMA_CALL_PRE __attribute__((visibility("default")))
#define VMA_CALL_POST
#define VKM_API __attribute__((visibility("default")))
#define VKM_EXPORT VKM_API

#include "vk_mem_alloc.h"
#include "vkmalloc.h"

#endif /* VKM_COMMON_H */
