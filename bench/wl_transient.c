/* SPDX-License-Identifier: MIT */
/*
 * wl_transient.c - transient: a job-system worker's per-frame allocations, freed by the
 * thread that made them. Every frame each thread makes 256 allocations (1 - 64 KiB,
 * log-uniform by octave, alignment 256, as in frame), then frees all of them. Threads
 * share nothing but the allocator: no barrier, no hand-over.
 *
 * This is the pattern in which a thread's whole working set empties at the end of every
 * frame, so what the thread cache keeps between frames decides the cost: runs it gives
 * back at the end of one frame must be made again at the start of the next, through the
 * shared blocks' locks, by every thread at once. frame frees on another thread (the owner
 * collects, nothing empties) and churn keeps a steady window, so neither shows it.
 *
 * Stopping and counting: vkm_wl_batches (the last frame is live at quiesce). One op = one
 * allocation freed.
 */
#include "wl.h"

#define TRANSIENT_ALLOCS 256u

static void
transient_thread(vkm_wl_thread *t)
{
    VmaAllocation batch[TRANSIENT_ALLOCS];
    vkm_wl_batches(t, batch, TRANSIENT_ALLOCS, 1u << 10, 64u << 10, 256);
}

const vkm_workload vkm_wl_transient = {
    .name = "transient",
    .summary = "per frame 256 allocations (1 - 64 KiB) per thread, freed at frame end by the "
               "same thread (no barrier)",
    .thread_main = transient_thread,
    .host_reference_ok = true,
};
