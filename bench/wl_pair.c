/* SPDX-License-Identifier: MIT */
/*
 * wl_pair.c - pair: the latency of one allocation and its free, back to back, in each
 * thread (the driver runs it on one thread: the "single-thread alloc+free pair" figure).
 * Sizes 256 B - 16 KiB (log-uniform by octave: churn's small band), alignment 256, so the
 * size changes from one pair to the next instead of replaying one cached slot.
 * One op = one allocation + its free. Nothing is live at quiesce.
 */
#include "wl.h"

static void
pair_thread(vkm_wl_thread *t)
{
    uint64_t steps = 0, ops = 0; /* steps include failed allocations */
    vkm_wl_start(t);
    for (; vkm_wl_running(t, steps); steps++) {
        VmaAllocation a;
        if (vkm_wl_alloc(t, vkm_wl_size_log(t, 256u, 16u << 10), 256u, &a) != VK_SUCCESS)
            continue;
        vkm_wl_free(t, a);
        ops++;
    }
    t->ops = ops;
    vkm_wl_quiesce(t);
}

const vkm_workload vkm_wl_pair = {
    .name = "pair",
    .summary = "one allocation (256 B - 16 KiB) and its free, back to back, per op",
    .thread_main = pair_thread,
    .single_thread = true,
    .host_reference_ok = true,
};
