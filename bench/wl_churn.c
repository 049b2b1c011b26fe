/* SPDX-License-Identifier: MIT */
/*
 * wl_churn.c - churn: each thread keeps a window of live allocations and, per op, frees a
 * random one and allocates its replacement. Threads share nothing but the allocator.
 *
 * Sizes (log-uniform by octave inside each band, see vkm_wl_size_log):
 *   70 %  256 B - 16 KiB     25 %  16 KiB - 256 KiB     5 %  256 KiB - 4 MiB
 * Alignment: 256 B for 80 %, 64 KiB for 20 %. vmaAllocateMemory with a typical buffer's
 * memory-type bits and VMA_MEMORY_USAGE_GPU_ONLY: pure allocator cost, no driver objects.
 * The window is filled before the clock starts; one op = one free + one allocation.
 */
#include <stdlib.h>

#include "wl.h"

#define CHURN_WINDOW 1024u

static void
churn_pick(vkm_wl_thread *t, VkDeviceSize *size, VkDeviceSize *alignment)
{
    const uint64_t r = vkm_wl_rand(t);
    const uint32_t band = (uint32_t)(r % 100);
    const uint32_t align = (uint32_t)((r >> 8) % 100);
    if (band < 70)
        *size = vkm_wl_size_log(t, 256u, 16u << 10);
    else if (band < 95)
        *size = vkm_wl_size_log(t, 16u << 10, 256u << 10);
    else
        *size = vkm_wl_size_log(t, 256u << 10, 4u << 20);
    *alignment = align < 80 ? 256u : 64u << 10;
}

static void
churn_thread(vkm_wl_thread *t)
{
    VmaAllocation *window = calloc(CHURN_WINDOW, sizeof(*window));
    VkDeviceSize size, alignment;
    if (window != NULL) {
        for (uint32_t i = 0; i < CHURN_WINDOW; i++) {
            churn_pick(t, &size, &alignment);
            (void)vkm_wl_alloc(t, size, alignment, &window[i]);
        }
    }

    vkm_wl_start(t);
    uint64_t steps = 0, ops = 0; /* steps include failed allocations */
    for (; window != NULL && vkm_wl_running(t, steps); steps++) {
        const uint32_t slot = (uint32_t)(vkm_wl_rand(t) % CHURN_WINDOW);
        if (window[slot] != VK_NULL_HANDLE)
            vkm_wl_free(t, window[slot]);
        churn_pick(t, &size, &alignment);
        if (vkm_wl_alloc(t, size, alignment, &window[slot]) == VK_SUCCESS)
            ops++;
    }
    t->ops = ops;
    vkm_wl_quiesce(t);

    if (window == NULL) {
        t->failures++;
        return;
    }
    for (uint32_t i = 0; i < CHURN_WINDOW; i++)
        if (window[i] != VK_NULL_HANDLE)
            vkm_wl_free(t, window[i]);
    free(window);
}

const vkm_workload vkm_wl_churn = {
    .name = "churn",
    .summary = "per thread a window of 1024 live allocations (256 B - 4 MiB, mostly small); "
               "each op frees a random one and allocates its replacement",
    .thread_main = churn_thread,
    .host_reference_ok = true,
};
