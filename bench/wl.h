/* SPDX-License-Identifier: MIT */
/*
 * wl.h - benchmark workloads as a small C API, so the driver (bench_main.c) and the
 * Google Benchmark shim (gbench_shim.cc) run exactly the same code.
 *
 * A workload (vkm_workload) is a shared state plus a body that each of `threads` threads
 * runs. The runner (vkm_wl_run, wl.c) owns everything around it: a fresh allocator per
 * run on the device of a vkm_wl_device (so counters and steady state belong to that run
 * alone), the threads, the clock, the stop signal, and the statistics sampled at the end.
 *
 * The body of a workload, in every thread, in this order:
 *     untimed set-up (e.g. filling a window of live allocations)
 *     vkm_wl_start(t)                      every thread; the clock starts when all arrived
 *     while (vkm_wl_running(t, done)) ...  the timed part; t->ops counts finished ops
 *     vkm_wl_quiesce(t)                    every thread; the clock stops when all arrived,
 *                                          and statistics are sampled while the workload's
 *                                          live allocations still exist (steady state)
 *     untimed tear-down: free everything still live
 * Both calls are barriers across the run's threads: a body that calls either of them
 * other than exactly once deadlocks the run. vkm_wl_running answers per thread; a
 * workload whose threads must agree on when to stop (frame's barriers, say) lets one
 * thread ask and publishes the answer itself.
 *
 * One op is one allocation that was also freed (an allocate + free pair), whichever
 * threads did the two halves: throughputs of different workloads compare directly.
 *
 * Threads: a vkm_wl_device is read-only once created, so any thread may call vkm_wl_run;
 * runs at the same time are safe but measure each other. A vkm_wl_thread belongs to its
 * thread; the workload's shared state is the workload's to synchronise.
 */
#ifndef VKM_BENCH_WL_H
#define VKM_BENCH_WL_H

#include <stdbool.h>
#include <stdint.h>

#include "vk_ctx.h"
#include "vk_mem_alloc.h"

#define VKM_WL_MAX_THREADS 256

/* The Vulkan device every run allocates on: made once per process. */
typedef struct vkm_wl_device {
    vkm_test_vk vk;
    VmaVulkanFunctions fns;
    /* memoryTypeBits of a typical buffer (vertex/index/uniform/storage/transfer), which
     * the workloads pass to vmaAllocateMemory: pure allocator cost, no driver objects. */
    uint32_t buffer_type_bits;
} vkm_wl_device;

/* Creates the device: Lavapipe unless VK_ICD_FILENAMES / VK_DRIVER_FILES names another
 * driver, validation off unless VKM_TEST_VALIDATION says otherwise (this sets it to 0
 * in the process environment when unset, so child processes inherit the choice).
 * Returns VK_SUCCESS, VK_ERROR_INCOMPATIBLE_DRIVER when there is no driver at all (a
 * program exits 77), or the creation error; on error *dev owns nothing. */
VkResult vkm_wl_device_create(vkm_wl_device *dev);
void vkm_wl_device_destroy(vkm_wl_device *dev);

typedef struct vkm_wl_params {
    uint32_t threads;          /* 1 .. VKM_WL_MAX_THREADS */
    double seconds;            /* length of the timed part, when iterations == 0 */
    uint64_t iterations;       /* ops per thread instead of a time (a workload may round up
                                  to whole frames or batches); 0 = use seconds */
    uint64_t seed;             /* thread i's generator starts from a mix of seed and i */
    VmaMemoryUsage usage;      /* 0 (UNKNOWN) = VMA_MEMORY_USAGE_GPU_ONLY */
    uint32_t memory_type_bits; /* 0 = the device's buffer_type_bits */
    /* Calibration, not a measurement of vkmalloc: vkm_wl_alloc / vkm_wl_free take host
     * memory from jemalloc (mallocx / dallocx, its automatic arenas and thread cache)
     * instead of calling vmaAllocateMemory / vmaFreeMemory, so the same bodies show what
     * their pattern of sharing costs a mature thread-caching malloc on this machine. Only
     * for workloads with host_reference_ok; vkm_wl_run fails with
     * VK_ERROR_FEATURE_NOT_PRESENT when jemalloc is not in the process (sanitizer builds). */
    bool host_reference;
} vkm_wl_params;

typedef struct vkm_wl_result {
    uint64_t ops;           /* allocate + free pairs finished in the timed part */
    double seconds;         /* wall time of the timed part */
    double ops_per_s;       /* ops / seconds, all threads together */
    double ns_per_op;       /* per thread: seconds * threads / ops, in ns */
    uint64_t device_allocs; /* vkAllocateMemory calls, allocator creation to quiesce */
    uint64_t device_frees;  /* vkFreeMemory calls over the same span */
    /* Device bytes reserved / bytes allocated at quiesce (vmaCalculateStatistics:
     * blockBytes / allocationBytes); 0 when nothing was live then. */
    double reserved_ratio;
    /* vkmGetAllThreadCacheStatistics().cachedBytes / threads, at quiesce. */
    double cached_bytes_per_thread;
    /* Allocations that failed, plus allocations still live when the run ended (a leak);
     * a healthy run reports 0. */
    uint64_t failures;
    /* Latency of single calls over all threads of the timed part, in ns (percentiles 50,
     * 99 and 99.9 of vmaAllocateMemory and of vmaFreeMemory); 0 when the workload does not
     * time single calls (only latency does). */
    double alloc_ns[3];
    double free_ns[3];
} vkm_wl_result;

/* The percentiles of vkm_wl_result's alloc_ns / free_ns, in that order. */
#define VKM_WL_PERCENTILES \
    {                      \
        50.0, 99.0, 99.9   \
    }

typedef struct vkm_wl_runner vkm_wl_runner; /* the runner's; opaque */

/* What one thread of a run sees. Written only by its own thread while the run lasts. */
typedef struct vkm_wl_thread {
    vkm_wl_runner *run;
    const vkm_wl_params *params; /* defaults filled in */
    void *state;                 /* the workload's shared state (setup's result) */
    VmaAllocator allocator;
    uint32_t index; /* 0 .. threads - 1 */
    uint32_t threads;
    uint64_t rng; /* vkm_wl_rand's state */
    uint64_t ops; /* ops this thread finished in the timed part */
    uint64_t failures;
} vkm_wl_thread;

typedef struct vkm_workload {
    const char *name;    /* "churn", ... : what --workloads names */
    const char *summary; /* one line for --help */
    /* Shared state for a run of p->threads threads (*state may stay NULL). Optional. */
    VkResult (*setup)(const vkm_wl_params *p, void **state);
    /* The body each thread runs (see the top of this file). */
    void (*thread_main)(vkm_wl_thread *t);
    /* Adds the workload's own figures (latency percentiles, say) to a successful run's
     * result, after every thread returned and before teardown. Optional. */
    void (*report)(void *state, vkm_wl_result *out);
    /* Frees the shared state after every thread returned. Optional. */
    void (*teardown)(void *state);
    /* The workload creates driver objects (buffers, images) and writes memory: its
     * throughput includes the driver's time, so reports keep it apart from the
     * allocator-only workloads. */
    bool driver_calls;
    /* Runs at one thread count only, 1 (pair: the single-thread alloc+free figure). */
    bool single_thread;
    /* Every allocation and free goes through vkm_wl_alloc / vkm_wl_free, so the body can
     * run on the host reference (vkm_wl_params.host_reference). */
    bool host_reference_ok;
} vkm_workload;

extern const vkm_workload vkm_wl_churn;     /* wl_churn.c */
extern const vkm_workload vkm_wl_frame;     /* wl_frame.c */
extern const vkm_workload vkm_wl_handoff;   /* wl_handoff.c */
extern const vkm_workload vkm_wl_transient; /* wl_transient.c */
extern const vkm_workload vkm_wl_pair;      /* wl_pair.c */
extern const vkm_workload vkm_wl_virtual;   /* wl_virtual.c */
extern const vkm_workload vkm_wl_latency;   /* wl_latency.c */
extern const vkm_workload vkm_wl_stream;    /* wl_stream.c */

/* Every workload, NULL-terminated, in the order reports list them. */
extern const vkm_workload *const vkm_wl_all[];
/* The workload called `name`, or NULL. */
const vkm_workload *vkm_wl_find(const char *name);

/* Whether jemalloc is in the process, so vkm_wl_params.host_reference can run. */
bool vkm_wl_host_reference_available(void);

/* Runs `w` once with fresh allocator and threads. Returns VK_SUCCESS (see out->failures
 * for allocation failures), VK_ERROR_VALIDATION_FAILED_EXT for bad parameters, or the
 * error of allocator creation or the workload's setup. */
VkResult vkm_wl_run(const vkm_wl_device *dev, const vkm_workload *w, const vkm_wl_params *p,
                    vkm_wl_result *out);

/* ---- for workload bodies ------------------------------------------------------------ */

/* Barrier: the clock starts when every thread has called it. */
void vkm_wl_start(vkm_wl_thread *t);
/* Whether this thread should go on, having finished `done` ops: false once the run's time
 * is up, or once done >= params.iterations in an iterations run. Cheap: one relaxed load. */
bool vkm_wl_running(const vkm_wl_thread *t, uint64_t done);
/* Barrier: the clock stops and statistics are sampled when every thread has called it. */
void vkm_wl_quiesce(vkm_wl_thread *t);

/* vmaAllocateMemory with {size, alignment, the run's memory-type bits} and the run's
 * usage. On failure counts t->failures and returns the error (*out is then NULL). In a
 * host-reference run, *out is the jemalloc pointer in disguise: pass it to vkm_wl_free
 * only. */
VkResult vkm_wl_alloc(vkm_wl_thread *t, VkDeviceSize size, VkDeviceSize alignment,
                      VmaAllocation *out);
void vkm_wl_free(vkm_wl_thread *t, VmaAllocation a);

/* A thread body of batches freed by the thread that made them, from vkm_wl_start to
 * t->ops: `n` allocations (vkm_wl_size_log(lo, hi), `alignment`) into `batch`, then their
 * frees, until the run stops. The last batch is live at quiesce (the steady state the
 * statistics see); its frees are neither timed nor counted. One op = one allocation freed. */
void vkm_wl_batches(vkm_wl_thread *t, VmaAllocation *batch, uint32_t n, VkDeviceSize lo,
                    VkDeviceSize hi, VkDeviceSize alignment);

/* 64 random bits (xorshift64*, Vigna 2016); per thread, reproducible from the seed. */
uint64_t vkm_wl_rand(vkm_wl_thread *t);
/* A size in [lo, hi) that is uniform over octaves (log-uniform by powers of two), then
 * uniform inside the octave: mostly small, as real allocation mixes are. lo, hi powers
 * of two, lo < hi. */
VkDeviceSize vkm_wl_size_log(vkm_wl_thread *t, VkDeviceSize lo, VkDeviceSize hi);

/* One step of a wait loop that polls shared state: `round` counts the caller's failed
 * polls (start at 0). The first rounds spin; later ones, and all of them when the run has
 * more threads than the machine has CPUs, yield the CPU, so 4 threads on 2 cores do not
 * burn the time slice of the thread being waited for. */
void vkm_wl_backoff(const vkm_wl_thread *t, uint32_t *round);

/* A reusable barrier for workloads (frame's per-frame sync): waiters spin and yield, and
 * never sleep, so a round costs what the slowest thread's work costs, not a wake-up.
 * Returns true in exactly one thread per round (the last to arrive), which may publish
 * a decision the others read after their own return. */
typedef struct vkm_wl_barrier vkm_wl_barrier;
VkResult vkm_wl_barrier_create(vkm_wl_barrier **out, uint32_t count);
void vkm_wl_barrier_destroy(vkm_wl_barrier *b);
bool vkm_wl_barrier_wait(vkm_wl_barrier *b);

#endif /* VKM_BENCH_WL_H */
