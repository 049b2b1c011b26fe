/* SPDX-License-Identifier: MIT */
/*
 * wl_frame.c - frame: a job system's transient allocations. Every frame each thread makes
 * 256 allocations (1 - 64 KiB, log-uniform by octave, alignment 256); after a barrier,
 * thread i frees the frame's allocations of thread (i + 1) % N, then a second barrier
 * ends the frame. With one thread, it frees its own. One op = one allocation freed.
 *
 * Stopping: the threads must agree on the last frame, so thread 0 asks vkm_wl_running
 * before the first barrier and publishes the answer in `last`, which everyone reads
 * between the two barriers. In the last frame the threads quiesce after the first
 * barrier, so the statistics see a whole frame live; its frees are not timed or counted
 * (an iterations run therefore makes one frame more than it counts).
 */
#include <stdlib.h>

#include "wl.h"

#define FRAME_ALLOCS 256u

typedef struct frame_state {
    vkm_wl_barrier *barrier;
    /* Row i: thread i's allocations of the current frame. Thread i writes row i before
     * barrier A; thread (i + N - 1) % N frees and clears it between A and B. */
    VmaAllocation *rows;
    /* Thread 0 writes it before A; every thread reads it between A and B. The barriers
     * order both (thread 0 writes again only after all passed B). */
    bool last;
} frame_state;

static void
frame_teardown(void *state)
{
    frame_state *s = state;
    if (s == NULL)
        return;
    vkm_wl_barrier_destroy(s->barrier);
    free(s->rows);
    free(s);
}

static VkResult
frame_setup(const vkm_wl_params *p, void **state)
{
    frame_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    s->rows = calloc((size_t)p->threads * FRAME_ALLOCS, sizeof(*s->rows));
    VkResult res = vkm_wl_barrier_create(&s->barrier, p->threads);
    if (s->rows == NULL && res == VK_SUCCESS)
        res = VK_ERROR_OUT_OF_HOST_MEMORY;
    if (res != VK_SUCCESS) {
        frame_teardown(s);
        return res;
    }
    *state = s;
    return VK_SUCCESS;
}

static void
frame_thread(vkm_wl_thread *t)
{
    frame_state *s = t->state;
    VmaAllocation *mine = s->rows + (size_t)t->index * FRAME_ALLOCS;
    VmaAllocation *theirs = s->rows + (size_t)((t->index + 1) % t->threads) * FRAME_ALLOCS;
    uint64_t ops = 0;

    vkm_wl_start(t);
    for (uint64_t frame = 0;; frame++) {
        for (uint32_t i = 0; i < FRAME_ALLOCS; i++)
            (void)vkm_wl_alloc(t, vkm_wl_size_log(t, 1u << 10, 64u << 10), 256, &mine[i]);
        if (t->index == 0)
            s->last = !vkm_wl_running(t, frame * FRAME_ALLOCS);
        vkm_wl_barrier_wait(s->barrier); /* A: the frame's allocations exist */
        const bool last = s->last;
        if (last)
            vkm_wl_quiesce(t);
        for (uint32_t i = 0; i < FRAME_ALLOCS; i++) {
            if (theirs[i] == VK_NULL_HANDLE)
                continue;
            vkm_wl_free(t, theirs[i]);
            theirs[i] = VK_NULL_HANDLE;
            ops += last ? 0 : 1;
        }
        vkm_wl_barrier_wait(s->barrier); /* B: rows are free to be refilled */
        if (last)
            break;
    }
    t->ops = ops;
}

const vkm_workload vkm_wl_frame = {
    .name = "frame",
    .summary = "per frame 256 transient allocations (1 - 64 KiB) per thread, freed at frame "
               "end by the next thread (barrier-synchronised frames)",
    .setup = frame_setup,
    .thread_main = frame_thread,
    .teardown = frame_teardown,
    .host_reference_ok = true,
};
