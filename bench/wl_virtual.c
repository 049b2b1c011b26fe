/* SPDX-License-Identifier: MIT */
/*
 * wl_virtual.c - virtual: vmaVirtualAllocate / vmaVirtualFree on a virtual block, the
 * range allocator's metadata cost with no device memory and no thread cache in the way.
 * VMA's contract is that a virtual block is used by one thread at a time, so each thread
 * has its own block (VIRTUAL_BLOCK_SIZE bytes, default algorithm); with one thread this is
 * the metadata cost alone, with more it shows whether independent blocks still meet
 * somewhere inside the library (its host allocator, or the single-mutex build's lock).
 *
 * Per thread a window of VIRTUAL_WINDOW live ranges (churn's size mix and alignments),
 * each step frees a random one and allocates its replacement. One op = one free + one
 * allocation. Device statistics stay empty: reserved / allocated is not reported.
 */
#include <stdlib.h>

#include "wl.h"

#define VIRTUAL_WINDOW 1024u
/* Room for the window at churn's mean size (about 100 KiB) several times over, so
 * failures mean fragmentation, not a full block. */
#define VIRTUAL_BLOCK_SIZE (1ull << 30)

static void
virtual_pick(vkm_wl_thread *t, VmaVirtualAllocationCreateInfo *ci)
{
    const uint64_t r = vkm_wl_rand(t);
    const uint32_t band = (uint32_t)(r % 100);
    const uint32_t align = (uint32_t)((r >> 8) % 100);
    if (band < 70)
        ci->size = vkm_wl_size_log(t, 256u, 16u << 10);
    else if (band < 95)
        ci->size = vkm_wl_size_log(t, 16u << 10, 256u << 10);
    else
        ci->size = vkm_wl_size_log(t, 256u << 10, 4u << 20);
    ci->alignment = align < 80 ? 256u : 64u << 10;
}

static void
virtual_thread(vkm_wl_thread *t)
{
    const VmaVirtualBlockCreateInfo bci = {.size = VIRTUAL_BLOCK_SIZE};
    VmaVirtualBlock block = VK_NULL_HANDLE;
    VmaVirtualAllocation *window = calloc(VIRTUAL_WINDOW, sizeof(*window));
    if (window == NULL || vmaCreateVirtualBlock(&bci, &block) != VK_SUCCESS) {
        free(window);
        window = NULL;
        t->failures++;
    }
    VmaVirtualAllocationCreateInfo ci = {0};
    for (uint32_t i = 0; window != NULL && i < VIRTUAL_WINDOW; i++) {
        virtual_pick(t, &ci);
        if (vmaVirtualAllocate(block, &ci, &window[i], NULL) != VK_SUCCESS) {
            window[i] = VK_NULL_HANDLE;
            t->failures++;
        }
    }

    vkm_wl_start(t);
    uint64_t steps = 0, ops = 0; /* steps include failed allocations */
    for (; window != NULL && vkm_wl_running(t, steps); steps++) {
        const uint32_t slot = (uint32_t)(vkm_wl_rand(t) % VIRTUAL_WINDOW);
        if (window[slot] != VK_NULL_HANDLE)
            vmaVirtualFree(block, window[slot]);
        virtual_pick(t, &ci);
        if (vmaVirtualAllocate(block, &ci, &window[slot], NULL) == VK_SUCCESS) {
            ops++;
        } else {
            window[slot] = VK_NULL_HANDLE;
            t->failures++;
        }
    }
    t->ops = ops;
    vkm_wl_quiesce(t);

    if (window == NULL)
        return;
    for (uint32_t i = 0; i < VIRTUAL_WINDOW; i++)
        if (window[i] != VK_NULL_HANDLE)
            vmaVirtualFree(block, window[i]);
    /* Everything freed: an empty block is what destruction expects. */
    if (!vmaIsVirtualBlockEmpty(block))
        t->failures++;
    vmaDestroyVirtualBlock(block);
    free(window);
}

const vkm_workload vkm_wl_virtual = {
    .name = "virtual",
    .summary = "vmaVirtualAllocate / vmaVirtualFree, a window of 1024 ranges per thread on its "
               "own virtual block (churn's sizes): metadata cost alone",
    .thread_main = virtual_thread,
};
