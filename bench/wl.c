/* SPDX-License-Identifier: MIT */
/*
 * wl.c - the workload runner of wl.h: the device, a fresh allocator per run whose
 * vkAllocateMemory / vkFreeMemory calls are counted through VmaDeviceMemoryCallbacks, the
 * threads, the clock and the stop signal, the statistics sampled at quiesce, and the
 * helpers workload bodies use (allocation, random sizes, barrier, back-off).
 *
 * A run has threads + 1 participants in its start and quiesce barriers: the workers and
 * the controller (the caller of vkm_wl_run), which sleeps through a timed run and then
 * raises the stop flag. Whoever arrives last at a barrier reads the clock, so the timed
 * part is exactly "last thread ready" to "last thread done".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "wl.h"
#include "vkmalloc.h"

/* Spins of a sleeping barrier's waiter (start, quiesce) before it sleeps. */
#define BARRIER_SPIN 2000u
/* Spins of a workload barrier's waiter between yields, when no more threads than CPUs
 * run (the same rhythm as vkm_ceiling's frame barrier, so the two compare). */
#define BARRIER_YIELD_EVERY 1024u
/* Failed polls vkm_wl_backoff spins through before it starts yielding. */
#define BACKOFF_SPIN_ROUNDS 16u

/* Allocator-only workloads first, then latency, then stream (driver calls), then pair. */
const vkm_workload *const vkm_wl_all[] = {&vkm_wl_churn,     &vkm_wl_frame,   &vkm_wl_handoff,
                                          &vkm_wl_transient, &vkm_wl_virtual, &vkm_wl_latency,
                                          &vkm_wl_stream,    &vkm_wl_pair,    NULL};

const vkm_workload *
vkm_wl_find(const char *name)
{
    for (size_t i = 0; vkm_wl_all[i] != NULL; i++)
        if (strcmp(vkm_wl_all[i]->name, name) == 0)
            return vkm_wl_all[i];
    return NULL;
}

static uint32_t
online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1u;
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- barrier ------------------------------------------------------------------------ */

struct vkm_wl_barrier {
    _Alignas(64) atomic_uint xarrived; /* any thread */
    /* Written by the last arriver of a round (under mu when the barrier sleeps). Its own
     * line: waiters poll it while arrivals still write xarrived. */
    _Alignas(64) atomic_uint xgeneration;
    uint32_t count;
    /* Sleeping barriers (start, quiesce: the controller sleeps through the run) spin
     * `spin` times, then wait on cv. Workload barriers never sleep: a futex wake-up
     * costs tens of microseconds, as much as a thread's whole frame of allocator calls,
     * and that would be timed as the allocator's. Their waiters spin and yield every
     * `spin` steps (every step when there are more threads than CPUs). */
    bool sleeps;
    uint32_t spin;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static VkResult
barrier_create(vkm_wl_barrier **out, uint32_t count, bool sleeps)
{
    *out = NULL;
    if (count == 0)
        return VK_ERROR_VALIDATION_FAILED_EXT;
    vkm_wl_barrier *b = aligned_alloc(64, sizeof(*b));
    if (b == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    memset(b, 0, sizeof(*b));
    const bool fits = count <= online_cpus();
    b->count = count;
    b->sleeps = sleeps;
    b->spin = sleeps ? (fits ? BARRIER_SPIN : 0) : (fits ? BARRIER_YIELD_EVERY : 1);
    atomic_init(&b->xarrived, 0);
    atomic_init(&b->xgeneration, 0);
    if (sleeps) {
        pthread_mutex_init(&b->mu, NULL);
        pthread_cond_init(&b->cv, NULL);
    }
    *out = b;
    return VK_SUCCESS;
}

VkResult
vkm_wl_barrier_create(vkm_wl_barrier **out, uint32_t count)
{
    return barrier_create(out, count, false);
}

void
vkm_wl_barrier_destroy(vkm_wl_barrier *b)
{
    if (b == NULL)
        return;
    if (b->sleeps) {
        pthread_cond_destroy(&b->cv);
        pthread_mutex_destroy(&b->mu);
    }
    free(b);
}

/* The last arriver runs last(arg) before it releases the others, so `last` sees what
 * every participant did before arriving and everyone sees what `last` did. */
static bool
barrier_wait_then(vkm_wl_barrier *b, void (*last)(void *), void *arg)
{
    /* Read before arriving: the generation cannot move until this thread has arrived. */
    const unsigned gen = atomic_load_explicit(&b->xgeneration, memory_order_acquire);
    /* acq_rel: the arrivals form one release sequence, so the last arriver's acquire
     * makes every earlier arrival's writes visible to it (and to `last`). */
    if (atomic_fetch_add_explicit(&b->xarrived, 1, memory_order_acq_rel) + 1 == b->count) {
        if (last != NULL)
            last(arg);
        atomic_store_explicit(&b->xarrived, 0, memory_order_relaxed);
        if (!b->sleeps) {
            /* Release: pairs with the waiters' acquire loads; publishes the reset of
             * xarrived, what `last` wrote and every arrival's writes. */
            atomic_store_explicit(&b->xgeneration, gen + 1, memory_order_release);
            return true;
        }
        pthread_mutex_lock(&b->mu);
        /* Release, as above; under the mutex so a waiter between its check and
         * pthread_cond_wait cannot miss it. */
        atomic_store_explicit(&b->xgeneration, gen + 1, memory_order_release);
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
        return true;
    }
    if (!b->sleeps) {
        for (uint32_t i = 1; atomic_load_explicit(&b->xgeneration, memory_order_acquire) == gen;
             i++) {
            if (i % b->spin == 0)
                sched_yield();
            else
                cpu_relax();
        }
        return false;
    }
    for (uint32_t i = 0; i < b->spin; i++) {
        if (atomic_load_explicit(&b->xgeneration, memory_order_acquire) != gen)
            return false;
        cpu_relax();
    }
    pthread_mutex_lock(&b->mu);
    while (atomic_load_explicit(&b->xgeneration, memory_order_acquire) == gen)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    return false;
}

bool
vkm_wl_barrier_wait(vkm_wl_barrier *b)
{
    return barrier_wait_then(b, NULL, NULL);
}

/* ---- device ------------------------------------------------------------------------- */

VkResult
vkm_wl_device_create(vkm_wl_device *dev)
{
    memset(dev, 0, sizeof(*dev));
    /* The validation layer would measure itself; the user's setting wins. */
    setenv("VKM_TEST_VALIDATION", "0", 0);
    vkm_test_vk_options opt = vkm_test_vk_default_options();
    opt.validation = false;
    VkResult res = vkm_test_vk_create(&dev->vk, &opt);
    if (res != VK_SUCCESS)
        return res;
    vkm_test_vk_fill_functions(&dev->vk, &dev->fns);

    /* The memory types a typical buffer may live in: what an application's buffer would
     * pass to vmaAllocateMemory, without creating one per allocation. */
    const VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = 65536,
        .usage = VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_INDEX_BUFFER_BIT |
                 VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkBuffer buffer;
    res = dev->fns.vkCreateBuffer(dev->vk.device, &bci, NULL, &buffer);
    if (res != VK_SUCCESS) {
        vkm_test_vk_destroy(&dev->vk);
        memset(dev, 0, sizeof(*dev));
        return res;
    }
    VkMemoryRequirements req;
    dev->fns.vkGetBufferMemoryRequirements(dev->vk.device, buffer, &req);
    dev->fns.vkDestroyBuffer(dev->vk.device, buffer, NULL);
    dev->buffer_type_bits = req.memoryTypeBits;
    return VK_SUCCESS;
}

void
vkm_wl_device_destroy(vkm_wl_device *dev)
{
    if (dev == NULL)
        return;
    vkm_test_vk_destroy(&dev->vk);
    memset(dev, 0, sizeof(*dev));
}

/* ---- the run ------------------------------------------------------------------------ */

/* A thread's record on its own cache lines: t->ops is written once per op. */
typedef struct padded_thread {
    _Alignas(64) vkm_wl_thread t;
} padded_thread;

/* jemalloc's non-standard entry points, looked up at run time: the bench links jemalloc
 * only through vkmalloc (static builds), and sanitizer builds have none. */
typedef void *(*mallocx_fn)(size_t size, int flags);
typedef void (*dallocx_fn)(void *ptr, int flags);

struct vkm_wl_runner {
    vkm_wl_params params; /* defaults filled in; read-only while threads run */
    mallocx_fn ref_alloc; /* host_reference: jemalloc's mallocx and dallocx, else NULL */
    dallocx_fn ref_free;
    const vkm_workload *w;
    VmaAllocator allocator;
    void *state;
    bool oversubscribed; /* more threads than CPUs: back-off yields at once */

    /* Controller -> threads. Relaxed: it publishes no data, and a thread that sees it one
     * op late only lengthens the timed part, which the clock measures anyway. */
    atomic_int xstop;
    /* Device-memory callbacks, from whichever thread allocates. */
    atomic_uint_least64_t xdevice_allocs, xdevice_frees;

    vkm_wl_barrier *start, *quiesce; /* threads + 1 (the controller) */
    /* Written by the last arriver at start / quiesce, read after that barrier. */
    double t_start, t_end;
    VmaTotalStatistics stats;
    VkmThreadCacheStatistics tcache;
    uint64_t device_allocs, device_frees;

    /* Launch gate: threads wait here until all were created (gate 1) or one could not
     * be (gate 2: they return without running the body). Under gate_mu. */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;
    int gate;
};

static void VKAPI_PTR
on_device_alloc(VmaAllocator allocator, uint32_t type, VkDeviceMemory memory, VkDeviceSize size,
                void *user)
{
    (void)allocator;
    (void)type;
    (void)memory;
    (void)size;
    vkm_wl_runner *r = user;
    atomic_fetch_add_explicit(&r->xdevice_allocs, 1, memory_order_relaxed);
}

static void VKAPI_PTR
on_device_free(VmaAllocator allocator, uint32_t type, VkDeviceMemory memory, VkDeviceSize size,
               void *user)
{
    (void)allocator;
    (void)type;
    (void)memory;
    (void)size;
    vkm_wl_runner *r = user;
    atomic_fetch_add_explicit(&r->xdevice_frees, 1, memory_order_relaxed);
}

static void
on_start(void *arg)
{
    vkm_wl_runner *r = arg;
    r->t_start = vkm_bench_now_s();
}

/* The clock first, so the sampling is not timed. Every thread is parked in the barrier:
 * the live allocations are exactly the workload's steady state. */
static void
on_quiesce(void *arg)
{
    vkm_wl_runner *r = arg;
    r->t_end = vkm_bench_now_s();
    vmaCalculateStatistics(r->allocator, &r->stats);
    if (vkmGetAllThreadCacheStatistics(r->allocator, &r->tcache) != VK_SUCCESS)
        memset(&r->tcache, 0, sizeof(r->tcache));
    r->device_allocs = atomic_load_explicit(&r->xdevice_allocs, memory_order_relaxed);
    r->device_frees = atomic_load_explicit(&r->xdevice_frees, memory_order_relaxed);
}

void
vkm_wl_start(vkm_wl_thread *t)
{
    barrier_wait_then(t->run->start, on_start, t->run);
}

bool
vkm_wl_running(const vkm_wl_thread *t, uint64_t done)
{
    if (t->params->iterations != 0)
        return done < t->params->iterations;
    return atomic_load_explicit(&t->run->xstop, memory_order_relaxed) == 0;
}

void
vkm_wl_quiesce(vkm_wl_thread *t)
{
    barrier_wait_then(t->run->quiesce, on_quiesce, t->run);
}

static void *
thread_entry(void *arg)
{
    vkm_wl_thread *t = arg;
    vkm_wl_runner *r = t->run;
    pthread_mutex_lock(&r->gate_mu);
    while (r->gate == 0)
        pthread_cond_wait(&r->gate_cv, &r->gate_mu);
    const bool go = r->gate == 1;
    pthread_mutex_unlock(&r->gate_mu);
    if (go)
        r->w->thread_main(t);
    return NULL;
}

static void
open_gate(vkm_wl_runner *r, int value)
{
    pthread_mutex_lock(&r->gate_mu);
    r->gate = value;
    pthread_cond_broadcast(&r->gate_cv);
    pthread_mutex_unlock(&r->gate_mu);
}

static uint64_t
splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

bool
vkm_wl_host_reference_available(void)
{
    return dlsym(RTLD_DEFAULT, "mallocx") != NULL && dlsym(RTLD_DEFAULT, "dallocx") != NULL;
}

VkResult
vkm_wl_run(const vkm_wl_device *dev, const vkm_workload *w, const vkm_wl_params *p,
           vkm_wl_result *out)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (dev == NULL || w == NULL || w->thread_main == NULL || p == NULL || out == NULL ||
        p->threads == 0 || p->threads > VKM_WL_MAX_THREADS ||
        (p->iterations == 0 && !(p->seconds > 0.0)))
        return VK_ERROR_VALIDATION_FAILED_EXT;

    vkm_wl_runner *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    r->params = *p;
    if (r->params.usage == VMA_MEMORY_USAGE_UNKNOWN)
        r->params.usage = VMA_MEMORY_USAGE_GPU_ONLY;
    if (r->params.memory_type_bits == 0)
        r->params.memory_type_bits = dev->buffer_type_bits;
    r->w = w;
    if (p->host_reference) {
        r->ref_alloc = (mallocx_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "mallocx");
        r->ref_free = (dallocx_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "dallocx");
        if (!w->host_reference_ok || r->ref_alloc == NULL || r->ref_free == NULL) {
            free(r);
            return w->host_reference_ok ? VK_ERROR_FEATURE_NOT_PRESENT
                                        : VK_ERROR_VALIDATION_FAILED_EXT;
        }
    }
    r->oversubscribed = p->threads > online_cpus();
    atomic_init(&r->xstop, 0);
    atomic_init(&r->xdevice_allocs, 0);
    atomic_init(&r->xdevice_frees, 0);
    pthread_mutex_init(&r->gate_mu, NULL);
    pthread_cond_init(&r->gate_cv, NULL);

    const uint32_t n = p->threads;
    padded_thread *threads = NULL;
    pthread_t *tids = NULL;
    uint32_t created = 0;

    const VmaDeviceMemoryCallbacks callbacks = {on_device_alloc, on_device_free, r};
    VmaAllocatorCreateInfo aci = {.pVulkanFunctions = &dev->fns,
                                  .pDeviceMemoryCallbacks = &callbacks};
    vkm_test_vk_fill_allocator_info(&dev->vk, &aci);
    VkResult res = vmaCreateAllocator(&aci, &r->allocator);
    if (res != VK_SUCCESS)
        goto fail_allocator;
    if (w->setup != NULL && (res = w->setup(&r->params, &r->state)) != VK_SUCCESS)
        goto fail_setup;
    res = VK_ERROR_OUT_OF_HOST_MEMORY;
    if (barrier_create(&r->start, n + 1, true) != VK_SUCCESS ||
        barrier_create(&r->quiesce, n + 1, true) != VK_SUCCESS)
        goto fail_threads;
    threads = aligned_alloc(_Alignof(padded_thread), n * sizeof(*threads));
    tids = calloc(n, sizeof(*tids));
    if (threads == NULL || tids == NULL)
        goto fail_threads;
    for (uint32_t i = 0; i < n; i++) {
        threads[i].t = (vkm_wl_thread){
            .run = r,
            .params = &r->params,
            .state = r->state,
            .allocator = r->allocator,
            .index = i,
            .threads = n,
            .rng = splitmix64(p->seed ^ splitmix64(i + 1)) | 1u,
        };
    }
    for (; created < n; created++)
        if (pthread_create(&tids[created], NULL, thread_entry, &threads[created].t) != 0)
            break;
    if (created < n) {
        fprintf(stderr, "vkm_wl_run: could not create thread %u of %u\n", created + 1, n);
        res = VK_ERROR_INITIALIZATION_FAILED;
        open_gate(r, 2);
        goto fail_join;
    }
    open_gate(r, 1);

    barrier_wait_then(r->start, on_start, r);
    if (p->iterations == 0) {
        const double end = r->t_start + p->seconds;
        struct timespec ts = {.tv_sec = (time_t)end};
        ts.tv_nsec = (long)((end - (double)ts.tv_sec) * 1e9);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
        }
        atomic_store_explicit(&r->xstop, 1, memory_order_relaxed);
    }
    barrier_wait_then(r->quiesce, on_quiesce, r);
    res = VK_SUCCESS;

fail_join:
    for (uint32_t i = 0; i < created; i++)
        pthread_join(tids[i], NULL);
    if (res == VK_SUCCESS) {
        for (uint32_t i = 0; i < n; i++) {
            out->ops += threads[i].t.ops;
            out->failures += threads[i].t.failures;
        }
        out->seconds = r->t_end - r->t_start;
        if (out->seconds > 0.0)
            out->ops_per_s = (double)out->ops / out->seconds;
        if (out->ops > 0)
            out->ns_per_op = out->seconds * 1e9 * (double)n / (double)out->ops;
        out->device_allocs = r->device_allocs;
        out->device_frees = r->device_frees;
        const VmaStatistics *s = &r->stats.total.statistics;
        if (s->allocationBytes > 0)
            out->reserved_ratio = (double)s->blockBytes / (double)s->allocationBytes;
        out->cached_bytes_per_thread = (double)r->tcache.cachedBytes / (double)n;
        /* VKM_BENCH_DEBUG=1: the thread caches' own figures of each run, for diagnosis */
        if (getenv("VKM_BENCH_DEBUG") != NULL)
            fprintf(
                stderr,
                "tcache: hits %llu misses %llu bypasses %llu remote %llu waits %llu runs %u runMB "
                "%.1f cachedMB %.1f\n",
                (unsigned long long)r->tcache.hits, (unsigned long long)r->tcache.misses,
                (unsigned long long)r->tcache.bypasses, (unsigned long long)r->tcache.remoteFrees,
                (unsigned long long)r->tcache.lockWaits, r->tcache.runCount,
                (double)r->tcache.runBytes / 1048576.0, (double)r->tcache.cachedBytes / 1048576.0);
        /* The body must free everything it allocated: anything left is a leak. */
        VmaTotalStatistics after;
        vmaCalculateStatistics(r->allocator, &after);
        out->failures += after.total.statistics.allocationCount;
        if (w->report != NULL)
            w->report(r->state, out);
    }
fail_threads:
    free(tids);
    free(threads);
    vkm_wl_barrier_destroy(r->quiesce);
    vkm_wl_barrier_destroy(r->start);
    if (w->teardown != NULL)
        w->teardown(r->state);
fail_setup:
    vmaDestroyAllocator(r->allocator);
fail_allocator:
    pthread_cond_destroy(&r->gate_cv);
    pthread_mutex_destroy(&r->gate_mu);
    free(r);
    return res;
}

/* ---- helpers for bodies ------------------------------------------------------------- */

VkResult
vkm_wl_alloc(vkm_wl_thread *t, VkDeviceSize size, VkDeviceSize alignment, VmaAllocation *out)
{
    if (t->run->ref_alloc != NULL) {
        /* MALLOCX_ALIGN(a) is log2(a) for a power of two */
        void *p = t->run->ref_alloc((size_t)size, alignment > 1 ? __builtin_ctzll(alignment) : 0);
        *out = (VmaAllocation)p;
        if (p != NULL)
            return VK_SUCCESS;
        t->failures++;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    const VkMemoryRequirements req = {size, alignment, t->params->memory_type_bits};
    const VmaAllocationCreateInfo ci = {.usage = t->params->usage};
    VkResult res = vmaAllocateMemory(t->allocator, &req, &ci, out, NULL);
    if (res != VK_SUCCESS) {
        *out = VK_NULL_HANDLE;
        t->failures++;
    }
    return res;
}

void
vkm_wl_free(vkm_wl_thread *t, VmaAllocation a)
{
    if (t->run->ref_free != NULL) {
        if (a != VK_NULL_HANDLE)
            t->run->ref_free((void *)a, 0);
        return;
    }
    vmaFreeMemory(t->allocator, a);
}

void
vkm_wl_batches(vkm_wl_thread *t, VmaAllocation *batch, uint32_t n, VkDeviceSize lo, VkDeviceSize hi,
               VkDeviceSize alignment)
{
    uint64_t ops = 0;
    vkm_wl_start(t);
    for (uint64_t b = 0;; b++) {
        for (uint32_t i = 0; i < n; i++)
            (void)vkm_wl_alloc(t, vkm_wl_size_log(t, lo, hi), alignment, &batch[i]);
        const bool last = !vkm_wl_running(t, b * n);
        if (last)
            vkm_wl_quiesce(t);
        for (uint32_t i = 0; i < n; i++) {
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

uint64_t
vkm_wl_rand(vkm_wl_thread *t)
{
    uint64_t x = t->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

VkDeviceSize
vkm_wl_size_log(vkm_wl_thread *t, VkDeviceSize lo, VkDeviceSize hi)
{
    const uint32_t octaves = (uint32_t)(__builtin_ctzll(hi) - __builtin_ctzll(lo));
    const uint64_t r = vkm_wl_rand(t);
    const VkDeviceSize base = lo << (uint32_t)((r >> 32) % octaves);
    return base + (r & 0xFFFFFFFFu) % base;
}

void
vkm_wl_backoff(const vkm_wl_thread *t, uint32_t *round)
{
    if (!t->run->oversubscribed && *round < BACKOFF_SPIN_ROUNDS) {
        for (uint32_t i = 0; i < 32; i++)
            cpu_relax();
    } else {
        sched_yield();
    }
    (*round)++;
}
