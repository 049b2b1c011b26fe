/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - what the range-allocator fuzz targets share: the reader of the fuzzer's
 * input (0 once it runs out) and host allocation callbacks that can be told to fail
 * after a number of allocations and count what is live.
 */
#ifndef VKM_FUZZ_COMMON_H
#define VKM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <vulkan/vulkan.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t
byte(input *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* ---- failing host allocator ----------------------------------------------------------- */

typedef struct host_ctx {
    int budget; /* allocations left before failing; negative: unlimited */
    long live;
} host_ctx;

static void *VKAPI_PTR
host_alloc_cb(void *ud, size_t sz, size_t align, VkSystemAllocationScope scope)
{
    host_ctx *c = ud;
    (void)scope;
    if (c->budget == 0)
        return NULL;
    if (c->budget > 0)
        c->budget--;
    void *p = aligned_alloc(align, (sz + align - 1) / align * align);
    if (p != NULL)
        c->live++;
    return p;
}

static void VKAPI_PTR
host_free_cb(void *ud, void *p)
{
    host_ctx *c = ud;
    if (p != NULL)
        c->live--;
    free(p);
}

#endif /* VKM_FUZZ_COMMON_H */
