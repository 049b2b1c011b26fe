/* SPDX-License-Identifier: MIT */
/*
 * wl_transient.c - transient: a job-system worker's per-frame allocations, freed by the
 * thread that made them. Every frame each thread makes 256 allocations (1 - 64 KiB,
 * log-uniform by octave, alignment 256, as in frame), then frees all of them. Threads
 * share nothing but the allocator: no barrier, no hand-over.
 *
 * This is the pattern in which a thread's whole working set empties at the end of every
 * frame, so what the thread cache keeps between frames decides the cost: runs given back
 * at the end of one frame are made again at the start of the next, through the shared
 * blocks' locks, by every thread at once. frame frees on another thread (the owner
 * collects, nothing empties) and churn keeps a steady window, so neither shows it.
 *
 * Stopping: asked once per frame. In the last frame the thread quiesces with the frame's
 * allocations live (the steady state the statistics see); their frees are not timed or
 * counted. One op = one allocation freed.
 */
#include "wl.h"

#define TRANSIENT_ALLOCS 256u

static void
transient_thread(vkm_wl_thread *t)
{
    VmaAllocation batch[TRANSIENT_ALLOCS];
    uint64_t ops = 0;

    vkm_wl_start(t);
    for (uint64_t frame = 0;; frame++) {
        for (uint32_t i = 0; i < TRANSIENT_ALLOCS; i++)
            (void)vkm_wl_alloc(t, vkm_wl_size_log(t, 1u << 10, 64u << 10), 256, &batch[i]);
        const bool last = !vkm_wl_running(t, frame * TRANSIENT_ALLOCS);
        if (last)
            vkm_wl_quiesce(t);
        for (uint32_t i = 0; i < TRANSIENT_ALLOCS; i++) {
            if (batch[i] != VK_NULL_HANDLE) {
                vkm_wl_free(t, batch[i]);
                ops += last ? 0 : 1;
            }
        }
        if (last)
            break;
    }
    t->ops = ops;
}

const vkm_workload vkm_wl_transient = {
    .name = "transient",
    .summary = "per frame 256 allocations (1 - 64 KiB) per thread, freed at frame end by the "
               "same thread (no barrier)",
    .thread_main = transient_thread,
};
